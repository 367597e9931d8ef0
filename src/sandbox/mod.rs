//! Sandbox mode: the local AWS emulator and DNS servers that stand in for AWS and the registrar.

pub mod emulator;
pub mod registrar;
pub mod venv;

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub use crate::project::process_alive;

/// Stops a sandbox server we started: SIGTERM, then SIGKILL after `grace` (these are our own
/// emulators, never terraform).
pub fn terminate(pid: u32, grace: Duration) {
    let Ok(raw) = i32::try_from(pid) else {
        return;
    };
    if raw <= 0 {
        return;
    }
    let pid_t = Pid::from_raw(raw);
    if kill(pid_t, Signal::SIGTERM).is_err() {
        return;
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !process_alive(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = kill(pid_t, Signal::SIGKILL);
}
