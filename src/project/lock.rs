//! The directory lock: one siteup per project folder.
//!
//! The lock is an advisory `flock` on `.siteup/lock`, held for the life of the process. The
//! kernel releases it when the process ends, however it ends, so a lock left by a dead process is
//! simply taken over. The file also records the holder's PID and start time so that a refused
//! second siteup can say who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What the lock file says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub pid: u32,
    pub host: String,
    pub started_at: String,
    pub command: String,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "Another siteup (PID {pid}, running `{command}` since {started_at}) is working in {dir}; wait for it to finish or stop it, then run this again."
    )]
    Held {
        pid: u32,
        command: String,
        started_at: String,
        dir: String,
    },
    #[error(
        "Another siteup is working in {dir} (its PID is unknown); wait for it to finish, then run this again."
    )]
    HeldUnknown { dir: String },
    #[error(
        "Could not create the lock file {path}: {}.",
        crate::words::io_advice(source)
    )]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A held directory lock; released when dropped (and by the kernel if the process dies).
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
    /// Set when the lock file named a holder that was no longer running.
    pub took_over_from: Option<u32>,
}

impl DirLock {
    /// Takes the lock for the project whose machine-state folder is `state_dir` (`.siteup/`).
    pub fn acquire(state_dir: &Path, command: &str) -> Result<Self, LockError> {
        let path = state_dir.join("lock");
        let io_err = |source| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        crate::project::create_state_dir(state_dir).map_err(io_err)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        let previous = read_holder(&mut file);
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let dir = state_dir
                    .parent()
                    .unwrap_or(state_dir)
                    .display()
                    .to_string();
                return Err(match previous {
                    Some(h) => LockError::Held {
                        pid: h.pid,
                        command: h.command,
                        started_at: h.started_at,
                        dir,
                    },
                    None => LockError::HeldUnknown { dir },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let took_over_from = previous
            .filter(|h| h.pid != std::process::id())
            .map(|h| h.pid);
        let holder = LockHolder {
            pid: std::process::id(),
            host: hostname(),
            started_at: crate::project::now_rfc3339(),
            command: command.to_string(),
        };
        let text = serde_json::to_string_pretty(&holder).unwrap_or_default();
        file.set_len(0).map_err(io_err)?;
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        file.write_all(text.as_bytes()).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        Ok(Self {
            file,
            path,
            took_over_from,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Whether another process holds the lock in `state_dir`, found without taking it for longer
/// than the look or creating anything: `None` when it is free (or there is no lock file),
/// `Some(holder)` when it is held (the holder's record, if readable).
pub fn probe(state_dir: &Path) -> std::io::Result<Option<Option<LockHolder>>> {
    let mut file = match File::open(state_dir.join("lock")) {
        Ok(f) => f,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let holder = read_holder(&mut file);
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            Ok(None)
        }
        Err(TryLockError::WouldBlock) => Ok(Some(holder)),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Reads who holds (or last held) the lock in `state_dir`, without taking it.
pub fn current_holder(state_dir: &Path) -> Option<LockHolder> {
    let mut file = File::open(state_dir.join("lock")).ok()?;
    read_holder(&mut file)
}

fn read_holder(file: &mut File) -> Option<LockHolder> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    let _ = file.seek(SeekFrom::Start(0));
    serde_json::from_str(&text).ok()
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_folder_is_ignored_by_git() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join(".siteup");
        let _lock = DirLock::acquire(&state, "siteup").expect("lock");
        let ignore = std::fs::read_to_string(state.join(".gitignore")).expect(".gitignore");
        assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    }

    #[test]
    fn second_lock_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join(".siteup");
        let first = DirLock::acquire(&state, "siteup up").expect("first lock");
        let err = DirLock::acquire(&state, "siteup status").expect_err("second lock refused");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("PID {}", std::process::id())),
            "names the PID: {msg}"
        );
        assert!(msg.contains("siteup up"), "names the command: {msg}");
        drop(first);
        DirLock::acquire(&state, "siteup status").expect("free again after drop");
    }

    #[test]
    fn a_lock_left_by_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join(".siteup");
        std::fs::create_dir_all(&state).expect("mkdir");
        // A process that exited: its PID is in the file but it holds no flock any more.
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let dead_pid = child.id();
        child.wait().expect("wait");
        let stale = LockHolder {
            pid: dead_pid,
            host: hostname(),
            started_at: "2026-01-01T00:00:00Z".into(),
            command: "siteup up".into(),
        };
        std::fs::write(
            state.join("lock"),
            serde_json::to_string(&stale).expect("json"),
        )
        .expect("write stale lock");
        let lock = DirLock::acquire(&state, "siteup up").expect("takes over");
        assert_eq!(lock.took_over_from, Some(dead_pid));
        let holder = current_holder(&state).expect("holder recorded");
        assert_eq!(holder.pid, std::process::id());
    }
}
