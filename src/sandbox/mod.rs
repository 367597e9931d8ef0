//! Sandbox mode: the local AWS emulator and DNS servers that stand in for AWS and the registrar.

pub mod emulator;
pub mod registrar;
pub mod venv;

use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// True when `pid` names a live process (a zombie counts as gone).
pub fn process_alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    if raw <= 0 {
        return false;
    }
    match kill(Pid::from_raw(raw), None) {
        Ok(()) | Err(Errno::EPERM) => {}
        Err(_) => return false,
    }
    // On Linux, a zombie still accepts signal 0.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
            .unwrap_or(true),
        Err(_) => true,
    }
}

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
