//! Issue 12, the full-screen wizard and signals: the real `siteup sandbox` in a private tmux
//! terminal, with a terraform stand-in whose `plan` blocks (and records any signal it gets).
//!
//! - SIGTERM while terraform plans: the wizard ends at once with 143, the terminal is restored
//!   (back on the normal screen), terraform is left running and receives nothing, and
//!   the journal records the step as interrupted, not `running`.
//! - SIGHUP from a closed terminal (the tmux server is killed, as a dropped SSH session would):
//!   siteup ends and the journal again has no step left at `running`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod pty_support;
#[path = "support/sandbox.rs"]
mod sandbox;
mod stand_in;
#[path = "pty_support/stop.rs"]
mod stop;
#[path = "support/tf.rs"]
mod tf;
#[path = "pty_support/tmux.rs"]
mod tmux;

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use pty_support::{Project, require_prerequisites, siteup_bin};
use siteup::project::journal::Journal;
use stop::wait_gone;
use tmux::Tmux;

/// From the first screen to terraform plan (emulator, profile, generation, init).
const TO_PLAN: Duration = Duration::from_secs(300);
const AFTER_SIGNAL: Duration = Duration::from_secs(30);

fn wait_for_file(path: &Path, term: &Tmux, what: &str) -> i32 {
    let deadline = Instant::now() + TO_PLAN;
    loop {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        assert!(
            term.exit_status().is_none(),
            "siteup exited before {what}:\n{}",
            term.screen()
        );
        assert!(
            Instant::now() < deadline,
            "no {what} within {TO_PLAN:?}:\n{}",
            term.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn running_steps(project: &Path) -> Vec<String> {
    Journal::load(&project.join(".siteup"))
        .expect("the journal")
        .running_steps()
}

/// Kills the stand-in's process group when the test ends.
struct KillGroup(i32);

impl Drop for KillGroup {
    fn drop(&mut self) {
        let _ = killpg(Pid::from_raw(self.0), Signal::SIGKILL);
    }
}

#[test]
fn sigterm_and_sighup_end_the_wizard_restore_the_terminal_and_leave_no_step_running() {
    require_prerequisites(true);
    let mut project = Project::new();
    let fake = tempfile::tempdir().expect("tempdir");
    let bin = stand_in::blocking_terraform(fake.path(), "plan");
    let mut env = project.env();
    env.push((
        "PATH".into(),
        format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    ));
    let dir_arg = project.dir().display().to_string();
    let args = ["sandbox", "--dir", dir_arg.as_str()];
    let started = fake.path().join("started");

    // SIGTERM while terraform plans.
    let term = Tmux::start(&project.work(), &env, &siteup_bin(), &args);
    let pid = term.program_pid();
    project.track(pid);
    let tf = wait_for_file(&started, &term, "terraform plan");
    let first = KillGroup(tf);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        term.alternate_screen(),
        "the wizard is on the alternate screen"
    );
    kill(Pid::from_raw(pid as i32), Signal::SIGTERM).expect("SIGTERM to siteup");
    let deadline = Instant::now() + AFTER_SIGNAL;
    let code = loop {
        if let Some(code) = term.exit_status() {
            break code;
        }
        assert!(
            Instant::now() < deadline,
            "siteup did not end within {AFTER_SIGNAL:?} of SIGTERM:\n{}",
            term.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let screen = term.screen();
    assert_eq!(code, 143, "the exit code of SIGTERM:\n{screen}");
    assert!(
        !term.alternate_screen(),
        "the terminal is back on the normal screen:\n{screen}"
    );
    assert!(
        screen.contains("SIGTERM"),
        "it says why it ended:\n{screen}"
    );
    assert_eq!(
        std::fs::read_to_string(fake.path().join("signals")).unwrap_or_default(),
        "",
        "terraform received nothing"
    );
    assert!(
        kill(Pid::from_raw(tf), None).is_ok(),
        "terraform plan was left running"
    );
    assert_eq!(running_steps(&project.dir()), Vec::<String>::new());
    drop(term);

    // The plan a new siteup would wait for is ended here; then SIGHUP from a closed terminal.
    drop(first);
    let _ = std::fs::remove_file(&started);
    let mut term = Tmux::start(&project.work(), &env, &siteup_bin(), &args);
    let pid = term.program_pid();
    project.track(pid);
    let tf = wait_for_file(&started, &term, "the second terraform plan");
    let _second = KillGroup(tf);
    std::thread::sleep(Duration::from_millis(500));
    term.kill_server();
    assert!(
        wait_gone(pid, AFTER_SIGNAL),
        "siteup did not end within {AFTER_SIGNAL:?} of losing its terminal"
    );
    assert_eq!(running_steps(&project.dir()), Vec::<String>::new());
    assert!(
        kill(Pid::from_raw(tf), None).is_ok(),
        "terraform plan was left running"
    );
}

impl Tmux {
    /// Whether the terminal shows the alternate screen (a full-screen program that is running,
    /// or one that exited without restoring the terminal).
    fn alternate_screen(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }
}
