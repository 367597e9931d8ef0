//! Quitting the wizard on purpose is not a failure: the real binary in a private tmux terminal,
//! `q` on the first question, exits 3 and names the command that continues this journey (with
//! the folder it was given).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "pty_support/drive.rs"]
mod drive;
mod pty_support;
#[path = "pty_support/run.rs"]
mod run;
#[path = "support/sandbox.rs"]
mod sandbox;
#[path = "support/tf.rs"]
mod tf;
#[path = "pty_support/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use pty_support::{Project, require_prerequisites, siteup_bin};
use run::log_tail;
use tmux::Tmux;

const QUICK: Duration = Duration::from_secs(60);

#[test]
fn q_exits_3_and_names_the_command_that_continues() {
    require_prerequisites(true);
    let mut project = Project::new();
    let dir = project.dir();
    let generated = project.run(&["generate", "--domain", "example.com"], QUICK);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let dir_arg = dir.display().to_string();
    let ctx_dir = dir.clone();
    let ctx = move || log_tail(&ctx_dir, 20);
    let term = Tmux::start(
        &project.work(),
        &project.env(),
        &siteup_bin(),
        &["--dir", dir_arg.as_str()],
    );
    project.track(term.program_pid());
    term.wait_for("the AWS profile step", QUICK, &ctx, |s| {
        s.contains("AWS profile") && s.contains("q quit")
    });
    term.keys(&["q"]);
    let continue_line = format!("Run `siteup --dir {dir_arg}` to continue.");
    // The line may wrap at the terminal's width.
    let unwrapped = |s: &str| s.replace('\n', "");
    let screen = term.wait_for("siteup to say how to continue", QUICK, &ctx, |s| {
        unwrapped(s).contains(&continue_line)
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = term.exit_status();
    while status.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        status = term.exit_status();
    }
    assert_eq!(status, Some(3), "a deliberate quit exits 3:\n{screen}");
    assert!(!screen.contains("siteup up"), "{screen}");
}
