//! Stopping: killing the terminal (the program gets SIGHUP) and waiting until a process is
//! gone, for proc_tui_signals and tui_pty. Included with
//! `#[path = "pty_support/stop.rs"] mod stop;` next to `tmux`.

use std::time::{Duration, Instant};

use crate::pty_support::alive;
use crate::tmux::Tmux;

impl Tmux {
    /// Kills the server: the terminal goes away and the program gets SIGHUP.
    pub(crate) fn kill_server(&mut self) {
        let _ = self.tmux(&["kill-server"]);
        self.killed = true;
    }
}

/// Waits until `pid` has exited; false on timeout.
pub(crate) fn wait_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}
