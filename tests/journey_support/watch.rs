//! For the tests that watch or interrupt a running siteup (journey, proc_signals): a short
//! deadline, waiting for a condition while it runs, an open standard input, and the journal.
//! Included with `#[path = "journey_support/watch.rs"] mod watch;` next to `journey_support`.

use std::time::{Duration, Instant};

use siteup::project::journal::Journal;

use crate::journey_support::{Project, Running, tail};

/// How long a short command (status, play, stop) may take.
pub(crate) const SHORT_TIMEOUT: Duration = Duration::from_secs(90);

impl Running {
    /// Waits until `cond` holds, failing if the process ends first or the deadline passes.
    pub(crate) fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut() -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            if cond() {
                return;
            }
            if let Some(done) = self.try_finish() {
                panic!("`{}` ended before {what}: {}", self.name, done.describe());
            }
            assert!(
                Instant::now() < deadline,
                "`{}` did not reach {what} within {} s; its output so far:\n{}",
                self.name,
                timeout.as_secs(),
                tail(&self.stdout_so_far(), 40)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Project {
    /// Starts siteup with a standard input that stays open (and empty) until it ends.
    pub(crate) fn spawn_with_open_stdin(&self, args: &[&str]) -> Running {
        self.start(args, true)
    }

    /// The journal as it is now (a missing journal is an empty one).
    pub(crate) fn journal(&self) -> Journal {
        Journal::load(&self.state_dir()).expect("a readable journal")
    }
}
