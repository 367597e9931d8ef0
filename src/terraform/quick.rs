//! Short, read-only child processes with a bound: `terraform version`, `output`, `state list`,
//! `show`, `force-unlock`, and the other probes siteup waits on outside the long terraform runs.
//!
//! Each runs in its own process group. When it passes its bound it is stopped: SIGINT to its
//! group first, then, since these commands only read, SIGKILL to the group after
//! [`KILL_GRACE`]. The long runs (`init`, `plan`, `apply`, `init -migrate-state`) never come
//! here: they are only ever interrupted (see [`super::runner`]).

use std::io::Read;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// How long a short terraform command may take when nothing else is said (`show -json` of a
/// large plan loads the provider's schemas, a few seconds on a slow machine).
pub(crate) const QUICK_TIMEOUT: Duration = Duration::from_secs(120);

/// How long `terraform version` may take (it loads nothing).
pub(crate) const VERSION_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a stopped command gets to exit after SIGINT before its group is killed.
pub(crate) const KILL_GRACE: Duration = Duration::from_secs(5);

/// The environment variable that overrides every bound of this module, in seconds (tests, and
/// very slow machines).
pub(crate) const TIMEOUT_ENV: &str = "SITEUP_QUICK_TIMEOUT";

/// `default`, unless [`TIMEOUT_ENV`] names a number of seconds (at least 1).
pub(crate) fn bound(default: Duration) -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(default, Duration::from_secs)
}

/// What a bounded command printed and how it ended.
#[derive(Debug)]
pub(crate) struct QuickOutput {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Why a bounded command gave no output.
#[derive(Debug, thiserror::Error)]
pub(crate) enum QuickError {
    #[error("could not be started: {0}")]
    Spawn(#[source] std::io::Error),
    #[error(
        "did not finish within {}, so siteup stopped it",
        crate::words::duration(*.after, crate::words::DurationStyle::Seconds)
    )]
    TimedOut { after: Duration },
}

fn signal_group(pid: u32, signal: Signal) {
    if let Ok(raw) = i32::try_from(pid)
        && let Err(e) = killpg(Pid::from_raw(raw), signal)
    {
        tracing::debug!("could not send {signal} to process group {pid}: {e}");
    }
}

/// Runs `cmd` (stdin closed, stdout and stderr captured, in its own process group) for at most
/// `limit`. Blocking: for the preflight checks, which run on a blocking thread.
pub(crate) fn run_blocking(
    cmd: &mut std::process::Command,
    limit: Duration,
) -> Result<QuickOutput, QuickError> {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(QuickError::Spawn)?;
    let pid = child.id();
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let wait_until = |child: &mut std::process::Child, deadline: Instant| loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) | Err(_) => return None,
        }
    };
    match wait_until(&mut child, Instant::now() + limit) {
        Some(status) => {
            // The pipes end with the process (a grandchild that kept them open is not waited
            // for beyond the grace).
            let take = |rx: std::sync::mpsc::Receiver<Vec<u8>>| {
                rx.recv_timeout(KILL_GRACE).unwrap_or_default()
            };
            Ok(QuickOutput {
                status,
                stdout: take(out),
                stderr: take(err),
            })
        }
        None => {
            signal_group(pid, Signal::SIGINT);
            if wait_until(&mut child, Instant::now() + KILL_GRACE).is_none() {
                signal_group(pid, Signal::SIGKILL);
                let _ = child.kill();
                let _ = child.wait();
            }
            Err(QuickError::TimedOut { after: limit })
        }
    }
}

/// What to do with a command that passed its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Escalation {
    /// SIGINT, then SIGKILL after [`KILL_GRACE`]: for commands that only read.
    Kill,
    /// SIGINT only, never SIGKILL; siteup then stops waiting for it (for a short command that
    /// writes, such as `force-unlock`).
    InterruptOnly,
}

/// Runs `cmd` (set up by the caller: stdin, pipes, its own process group) for at most `limit`.
pub(crate) async fn run(
    mut cmd: tokio::process::Command,
    limit: Duration,
    escalation: Escalation,
) -> Result<QuickOutput, QuickError> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    let child = cmd.spawn().map_err(QuickError::Spawn)?;
    let pid = child.id();
    let output = child.wait_with_output();
    tokio::pin!(output);
    match tokio::time::timeout(limit, &mut output).await {
        Ok(Ok(o)) => Ok(QuickOutput {
            status: o.status,
            stdout: o.stdout,
            stderr: o.stderr,
        }),
        Ok(Err(e)) => Err(QuickError::Spawn(e)),
        Err(_) => {
            if let Some(pid) = pid {
                signal_group(pid, Signal::SIGINT);
                if tokio::time::timeout(KILL_GRACE, &mut output).await.is_err()
                    && escalation == Escalation::Kill
                {
                    signal_group(pid, Signal::SIGKILL);
                    let _ = tokio::time::timeout(KILL_GRACE, &mut output).await;
                }
            }
            Err(QuickError::TimedOut { after: limit })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_hangs_is_stopped_at_its_bound() {
        let started = Instant::now();
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", "sleep 600"]);
        let r = run_blocking(&mut cmd, Duration::from_millis(300));
        assert!(matches!(r, Err(QuickError::TimedOut { .. })), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_command_that_ignores_sigint_is_killed_after_the_grace() {
        let started = Instant::now();
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", "trap '' INT; while :; do sleep 0.1; done"]);
        let r = run_blocking(&mut cmd, Duration::from_millis(200));
        assert!(matches!(r, Err(QuickError::TimedOut { .. })), "{r:?}");
        assert!(started.elapsed() < KILL_GRACE + Duration::from_secs(5));
    }

    #[tokio::test]
    async fn the_async_run_returns_output_or_stops_at_its_bound() {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2"]);
        let o = run(cmd, Duration::from_secs(30), Escalation::Kill)
            .await
            .expect("runs");
        assert_eq!(o.stdout, b"out\n");
        assert_eq!(o.stderr, b"err\n");
        let mut cmd = tokio::process::Command::new("sh");
        cmd.args(["-c", "sleep 600"]);
        let started = Instant::now();
        let r = run(cmd, Duration::from_millis(200), Escalation::Kill).await;
        assert!(matches!(r, Err(QuickError::TimedOut { .. })), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
