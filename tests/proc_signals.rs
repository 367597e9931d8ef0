//! Issue 12, signals, with the real binary against the sandbox and a terraform stand-in that
//! blocks in `init` or `plan` and records every signal it receives:
//!
//! - Ctrl-C (SIGINT to siteup) during `terraform init` or `plan` reaches terraform (SIGINT to its process
//!   group) and siteup then exits with 130; the journal has no step left at `running`.
//! - SIGTERM during `terraform plan` ends siteup at once with 143, leaves terraform running in
//!   its own process group (it receives nothing), and records the step as interrupted; `siteup
//!   status` then answers at once.
//! - SIGHUP (a closed SSH session) to the plain-mode wizard while terraform plans: siteup ends
//!   with 129, terraform is left alone, and the step is recorded as interrupted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod stand_in;

mod journey_support;
#[path = "support/sandbox.rs"]
mod sandbox;
#[path = "journey_support/shim.rs"]
mod shim;
#[path = "support/tf.rs"]
mod tf;
#[path = "journey_support/watch.rs"]
mod watch;

use std::path::Path;
use std::time::{Duration, Instant};

use journey_support::Project;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use siteup::project::journal::Status;
use watch::SHORT_TIMEOUT;

/// How long the sandbox may take to get to terraform (emulator, profile, generation).
const TO_TERRAFORM: Duration = Duration::from_secs(300);
/// How long siteup may take to end after the signal.
const AFTER_SIGNAL: Duration = Duration::from_secs(30);

fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn signals_seen(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("signals")).unwrap_or_default()
}

/// Stops what the stand-in left running (its whole process group).
struct KillGroup(Option<i32>);

impl Drop for KillGroup {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

fn no_step_running(p: &Project) {
    let journal = p.journal();
    let running: Vec<&String> = journal
        .steps
        .iter()
        .filter(|(_, r)| r.state == Some(Status::Running))
        .map(|(id, _)| id)
        .collect();
    assert!(
        running.is_empty(),
        "steps left at running: {running:?}: {:#?}",
        journal.steps
    );
}

#[test]
fn ctrl_c_during_terraform_init_reaches_terraform_and_siteup_exits() {
    ctrl_c_reaches_terraform("init");
}

#[test]
fn ctrl_c_during_terraform_plan_reaches_terraform_and_siteup_exits() {
    ctrl_c_reaches_terraform("plan");
}

fn ctrl_c_reaches_terraform(command: &str) {
    let fake = tempfile::tempdir().expect("tempdir");
    let bin = stand_in::blocking_terraform(fake.path(), command);
    let p = Project::new(&format!("sigint-{command}")).with_path_prefix(&bin);

    let mut up = p.spawn(&["sandbox", "--headless"]);
    let started = fake.path().join("started");
    up.wait_until(&format!("terraform {command}"), TO_TERRAFORM, || {
        started.exists()
    });
    let _cleanup = KillGroup(read_pid(&started));
    // Let siteup register the run (it does so as it starts it).
    std::thread::sleep(Duration::from_millis(500));
    kill(Pid::from_raw(up.pid() as i32), Signal::SIGINT).expect("SIGINT to siteup");
    let sent = Instant::now();
    let done = up.wait(AFTER_SIGNAL);
    eprintln!(
        "siteup ended {:.1} s after SIGINT",
        sent.elapsed().as_secs_f64()
    );

    assert_eq!(
        signals_seen(fake.path()).trim(),
        "INT",
        "terraform {command} received the interrupt (and nothing else): {}",
        done.describe()
    );
    done.expect_code(130);
    assert!(
        done.stderr.contains("SIGINT") && done.stderr.contains("run siteup here again"),
        "{}",
        done.describe()
    );
    no_step_running(&p);
    let state = p
        .journal()
        .step("foundation")
        .cloned()
        .expect("the foundation step");
    assert_eq!(state.state, Some(Status::Failed), "{state:?}");
    assert!(
        state
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("interrupted")),
        "{state:?}"
    );
}

#[test]
fn sigterm_during_terraform_plan_leaves_terraform_running_and_records_the_step_interrupted() {
    let fake = tempfile::tempdir().expect("tempdir");
    let bin = stand_in::blocking_terraform(fake.path(), "plan");
    let p = Project::new("sigterm-plan").with_path_prefix(&bin);

    let mut up = p.spawn(&["sandbox", "--headless"]);
    let started = fake.path().join("started");
    up.wait_until("terraform plan", TO_TERRAFORM, || started.exists());
    let pid = read_pid(&started).expect("the stand-in's pid");
    let _cleanup = KillGroup(Some(pid));
    std::thread::sleep(Duration::from_millis(500));
    kill(Pid::from_raw(up.pid() as i32), Signal::SIGTERM).expect("SIGTERM to siteup");
    let sent = Instant::now();
    let done = up.wait(AFTER_SIGNAL);
    eprintln!(
        "siteup ended {:.1} s after SIGTERM",
        sent.elapsed().as_secs_f64()
    );
    done.expect_code(143);
    assert!(
        done.stderr.contains("SIGTERM"),
        "the exit says why: {}",
        done.describe()
    );

    // terraform goes on in its own process group: it received nothing and still runs.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(signals_seen(fake.path()), "", "terraform was left alone");
    assert!(
        kill(Pid::from_raw(pid), None).is_ok(),
        "terraform plan is still running"
    );

    no_step_running(&p);
    let state = p
        .journal()
        .step("foundation")
        .cloned()
        .expect("the foundation step");
    assert_eq!(state.state, Some(Status::Failed), "{state:?}");
    assert!(
        state
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("interrupted") && d.contains("SIGTERM")),
        "{state:?}"
    );

    // status answers at once: while terraform still plans, the step is running and it names
    // terraform; once terraform is gone, the step is interrupted.
    let state_step = || {
        let status = p.run(&["status", "--json"], SHORT_TIMEOUT);
        status.expect_code(2);
        let v: serde_json::Value = serde_json::from_str(&status.stdout).expect("status JSON");
        v["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == "foundation"))
            .cloned()
            .expect("the foundation step")
    };
    let step = state_step();
    assert_eq!(step["state"], "running", "{step:#}");
    assert!(
        step["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("terraform plan (PID {pid})"))),
        "{step:#}"
    );
    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    let deadline = Instant::now() + Duration::from_secs(10);
    while kill(Pid::from_raw(pid), None).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let step = state_step();
    assert_eq!(step["state"], "failed", "{step:#}");
    assert_eq!(step["interrupted"], true, "{step:#}");
}

#[test]
fn sighup_in_plain_mode_during_terraform_plan_ends_siteup_and_leaves_no_step_running() {
    let fake = tempfile::tempdir().expect("tempdir");
    let bin = stand_in::blocking_terraform(fake.path(), "plan");
    let p = Project::new("sighup-plain").with_path_prefix(&bin);

    // TERM=dumb: `siteup sandbox` runs the wizard in plain mode; its input stays open.
    let mut wizard = p.spawn_with_open_stdin(&["sandbox"]);
    let started = fake.path().join("started");
    wizard.wait_until("terraform plan", TO_TERRAFORM, || started.exists());
    let pid = read_pid(&started).expect("the stand-in's pid");
    let _cleanup = KillGroup(Some(pid));
    std::thread::sleep(Duration::from_millis(500));
    kill(Pid::from_raw(wizard.pid() as i32), Signal::SIGHUP).expect("SIGHUP to siteup");
    let done = wizard.wait(AFTER_SIGNAL);
    done.expect_code(129);
    assert!(
        done.stderr.contains("stopped by SIGHUP"),
        "{}",
        done.describe()
    );
    assert_eq!(signals_seen(fake.path()), "", "terraform was left alone");
    no_step_running(&p);
    let state = p
        .journal()
        .step("foundation")
        .cloned()
        .expect("the foundation step");
    assert!(
        state
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("interrupted") && d.contains("SIGHUP")),
        "{state:?}"
    );
}

impl journey_support::Running {
    fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .map(std::process::Child::id)
            .unwrap_or_default()
    }
}
