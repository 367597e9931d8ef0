//! Running a siteup command to its end (bounded) and the end of the project's log, for
//! plain_journey, tui_pty and tui_quit. Included with `#[path = "pty_support/run.rs"] mod run;`.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::pty_support::Project;

impl Project {
    /// Runs a siteup command to its end (bounded) and returns its output.
    pub(crate) fn run(&mut self, args: &[&str], timeout: Duration) -> Output {
        let mut child = self
            .siteup(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start siteup");
        self.track(child.id());
        let deadline = Instant::now() + timeout;
        loop {
            match child.try_wait().expect("wait for siteup") {
                Some(_) => break,
                None if Instant::now() > deadline => {
                    let _ = child.kill();
                    let out = child.wait_with_output().expect("siteup output");
                    panic!(
                        "`siteup {}` did not finish within {timeout:?}; its output:\n{}\n{}",
                        args.join(" "),
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                None => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        child.wait_with_output().expect("siteup output")
    }
}

/// The end of a project's log, for failure messages.
pub(crate) fn log_tail(project: &Path, lines: usize) -> String {
    let path = project.join(".siteup").join("siteup.log");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    format!(
        "last lines of {}:\n{}",
        path.display(),
        all[start..].join("\n")
    )
}
