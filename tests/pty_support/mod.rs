//! Harness for the tests that run the real `siteup` binary against the sandbox (plain_journey,
//! proc_tui_signals, tui_pty, tui_quit): the prerequisites (failing with a sentence naming what
//! is missing; needs `sandbox` and `tf` from tests/support next to it), and a project folder
//! whose guard stops the sandbox and every siteup it started.
//!
//! The rest is in this folder, each file included with `#[path]` by the tests that use it:
//! `tmux.rs` (a private tmux server as the terminal and screen model), `drive.rs` (keys and
//! waiting for a screen), `stop.rs` (killing the terminal, waiting for a process to go) and
//! `run.rs` (running siteup to its end, the log's tail).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The siteup binary under test.
pub(crate) fn siteup_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_siteup"))
}

/// The environment every process of these tests gets: no instance metadata, a UTF-8 locale,
/// and a private cache for learned durations.
pub(crate) fn child_env(cache: &Path) -> Vec<(String, String)> {
    vec![
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("LC_ALL".into(), "C.UTF-8".into()),
        ("SITEUP_CACHE_DIR".into(), cache.display().to_string()),
    ]
}

/// Variables removed from every child besides the caller's `AWS_*` ones: an enclosing tmux,
/// and NO_COLOR.
const ENV_REMOVE: &[&str] = &["TMUX", "TMUX_PANE", "NO_COLOR"];

/// What every child must not inherit: the caller's AWS settings and [`ENV_REMOVE`].
pub(crate) fn env_removals() -> Vec<std::ffi::OsString> {
    let mut keys = siteup::aws::env::inherited_aws_variables();
    keys.extend(ENV_REMOVE.iter().map(std::ffi::OsString::from));
    keys
}

/// Fails the test, with a sentence naming it, when something the sandbox journey needs is
/// missing (tmux too, with `need_tmux`). Never skips.
pub(crate) fn require_prerequisites(need_tmux: bool) {
    if need_tmux {
        assert!(
            which::which("tmux").is_ok(),
            "the sandbox journey cannot run: tmux is not on PATH (install the Debian package tmux)"
        );
    }
    crate::sandbox::require_sandbox();
}

/// A project folder for one journey. Dropping it kills every siteup process recorded with
/// [`Project::track`] that is still alive and runs `siteup sandbox --stop`, so neither the
/// wizard nor the emulator nor the sandbox DNS survives a failed test.
pub(crate) struct Project {
    tmp: tempfile::TempDir,
    pids: Vec<u32>,
}

impl Project {
    pub(crate) fn new() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("siteup-pty-")
            .tempdir()
            .expect("a temporary folder for the project");
        std::fs::create_dir_all(tmp.path().join("project")).expect("project folder");
        std::fs::create_dir_all(tmp.path().join("cache")).expect("cache folder");
        Self { tmp, pids: vec![] }
    }

    pub(crate) fn dir(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    pub(crate) fn cache(&self) -> PathBuf {
        self.tmp.path().join("cache")
    }

    pub(crate) fn env(&self) -> Vec<(String, String)> {
        child_env(&self.cache())
    }

    /// Records a siteup process this test started, to kill it if the test fails.
    pub(crate) fn track(&mut self, pid: u32) {
        self.pids.push(pid);
    }

    /// A `siteup` command for this project, with the test environment.
    pub(crate) fn siteup(&self, args: &[&str]) -> Command {
        let mut c = Command::new(siteup_bin());
        c.args(args).arg("--dir").arg(self.dir());
        for k in env_removals() {
            c.env_remove(k);
        }
        c.envs(self.env());
        c
    }
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        for pid in &self.pids {
            kill_if_siteup(*pid);
        }
        let _ = self
            .siteup(&["sandbox", "--stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Whether a process is alive (a zombie counts as gone).
pub(crate) fn alive(pid: u32) -> bool {
    siteup::sandbox::process_alive(pid)
}

/// SIGKILLs `pid` if it is still a live siteup process (never anything else).
fn kill_if_siteup(pid: u32) {
    if !alive(pid) {
        return;
    }
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    let ours = exe
        .as_deref()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n.to_string_lossy().starts_with("siteup"));
    if ours && let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}
