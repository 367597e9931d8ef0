//! Files siteup owns in the user's project: siteup.toml, the journal under `.siteup/`, atomic
//! writes and the directory lock.

pub(crate) mod atomic;
pub mod journal;
pub mod lock;
pub mod settings;
pub mod teardown;

use std::path::{Path, PathBuf};

/// The machine-state folder inside a project (`.siteup/`).
pub const STATE_DIR: &str = ".siteup";

/// Where siteup keeps what it owns in one project folder.
#[derive(Debug, Clone)]
pub struct ProjectPaths {
    pub root: PathBuf,
}

impl ProjectPaths {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    /// `siteup.toml`
    pub fn settings(&self) -> PathBuf {
        settings::path_in(&self.root)
    }
    /// `.siteup/`
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }
    /// `terraform/`
    pub fn terraform_dir(&self) -> PathBuf {
        self.root.join("terraform")
    }
    /// `.siteup/siteup.log`
    pub fn log_file(&self) -> PathBuf {
        self.state_dir().join("siteup.log")
    }
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Creates the machine-state folder (`.siteup/`) with a `.gitignore` that ignores everything in
/// it, so the journal, the log, saved plans and backups never end up in a commit.
pub fn create_state_dir(state_dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(state_dir)?;
    let ignore = state_dir.join(".gitignore");
    if std::fs::symlink_metadata(&ignore).is_err() {
        atomic::write_atomic(&ignore, b"# siteup's machine state: never committed.\n*\n")?;
    }
    Ok(())
}

/// True when `pid` names a live process (a zombie counts as gone).
pub fn process_alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    if raw <= 0 {
        return false;
    }
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), None) {
        Ok(()) | Err(nix::errno::Errno::EPERM) => {}
        Err(_) => return false,
    }
    // On Linux, a zombie still accepts signal 0.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_none_or(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// The current time as RFC 3339 (UTC, whole seconds).
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
