//! Where a terraform run's output goes: files, never pipes.
//!
//! Every run started by [`super::runner::Terraform::spawn`] writes its stdout to
//! `<run dir>/<stamp>-<command>.jsonl` and its stderr to `<stamp>-<command>.stderr`, and siteup
//! records the child in `<stamp>-<command>.run.json` (process id, its start time, the command,
//! the files, and the exit status once siteup saw it). siteup reads the files as they grow.
//!
//! Why files: if siteup dies in the middle of an apply, a terraform writing to a pipe whose
//! reader is gone is killed by SIGPIPE at its next line, possibly before it saved the state. With
//! files it finishes the apply on its own, saves the state and releases the lock; a later siteup
//! finds it with [`running_terraform`] and follows its output instead of starting a second one.
//!
//! The run directory defaults to [`DEFAULT_RUN_DIR`] inside terraform's working directory
//! (`.terraform/` is ignored by git); callers may choose another one
//! ([`super::runner::Terraform::run_dir`]). Only the newest [`KEEP_RUNS`] finished runs are kept.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};

use super::runner::ExitKind;
use crate::project::atomic::write_atomic;

/// The run directory, relative to terraform's working directory, when the caller names none.
pub const DEFAULT_RUN_DIR: &str = ".terraform/siteup-runs";

/// How many runs' files are kept (older finished runs are deleted when a new run starts).
pub const KEEP_RUNS: usize = 30;

const RECORD_SUFFIX: &str = ".run.json";
const STDOUT_SUFFIX: &str = ".jsonl";
const STDERR_SUFFIX: &str = ".stderr";

/// The files of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunFiles {
    /// Terraform's stdout (the `-json` stream for the commands that support it).
    pub stdout: PathBuf,
    /// Terraform's stderr.
    pub stderr: PathBuf,
    /// siteup's record of the run ([`RunRecord`]).
    pub record: PathBuf,
}

/// How a run ended, as siteup saw it (written into the record when the run exits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRecord {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub kind: ExitKind,
    pub finished_at: String,
}

/// siteup's record of one run (`<stamp>-<command>.run.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub pid: u32,
    /// The process's start time in clock ticks after boot (Linux `/proc/PID/stat`), so that a
    /// later process that reuses the id is not mistaken for this run.
    #[serde(default)]
    pub start_ticks: Option<u64>,
    /// The subcommand (`plan`, `apply`, `init`, ...).
    pub command: String,
    pub args: Vec<String>,
    pub working_dir: PathBuf,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub started_at: String,
    #[serde(default)]
    pub exit: Option<ExitRecord>,
}

impl RunRecord {
    /// Whether the recorded process is still running (the same process, not a reused id).
    pub fn is_running(&self) -> bool {
        self.exit.is_none() && process_is(self.pid, self.start_ticks)
    }

    pub fn read(path: &Path) -> Option<RunRecord> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn write(&self, path: &Path) -> io::Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        write_atomic(path, &text)
    }
}

/// A terraform run that is still going, found through its record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningTerraform {
    pub pid: u32,
    pub start_ticks: Option<u64>,
    /// The subcommand (`apply`, `plan`, ...).
    pub command: String,
    pub started_at: String,
    pub files: RunFiles,
}

/// The newest run in `run_dir` whose terraform is still running, if any: wait for it or follow
/// its output ([`super::runner::Terraform::attach`]) rather than starting a second terraform.
pub fn running_terraform(run_dir: &Path) -> Option<RunningTerraform> {
    let mut records = record_paths(run_dir);
    records.reverse();
    records.into_iter().find_map(|path| {
        let record = RunRecord::read(&path)?;
        if !record.is_running() {
            return None;
        }
        Some(RunningTerraform {
            pid: record.pid,
            start_ticks: record.start_ticks,
            command: record.command,
            started_at: record.started_at,
            files: RunFiles {
                stdout: record.stdout,
                stderr: record.stderr,
                record: path,
            },
        })
    })
}

/// Every record in `run_dir`, oldest first (the names start with a sortable time stamp).
pub fn record_paths(run_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(run_dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(RECORD_SUFFIX))
        })
        .collect();
    paths.sort();
    paths
}

/// Creates the output files of a new run of `command` in `run_dir` (the files are new: an
/// existing name is never reused), after pruning old finished runs.
pub(crate) fn new_run_files(
    run_dir: &Path,
    command: &str,
) -> io::Result<(RunFiles, [std::fs::File; 2])> {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    std::fs::create_dir_all(run_dir)?;
    prune(run_dir, KEEP_RUNS.saturating_sub(1));
    let command: String = command
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(32)
        .collect();
    let now = time::OffsetDateTime::now_utc();
    for _ in 0..1000 {
        let seq = SEQ.fetch_add(1, Ordering::Relaxed) % 1000;
        let stem = format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}.{:03}-{:03}-{}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            now.millisecond(),
            seq,
            if command.is_empty() { "run" } else { &command }
        );
        let files = RunFiles {
            stdout: run_dir.join(format!("{stem}{STDOUT_SUFFIX}")),
            stderr: run_dir.join(format!("{stem}{STDERR_SUFFIX}")),
            record: run_dir.join(format!("{stem}{RECORD_SUFFIX}")),
        };
        if files.record.exists() {
            continue;
        }
        let open = |p: &Path| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
        };
        let out = match open(&files.stdout) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let err = match open(&files.stderr) {
            Ok(f) => f,
            Err(e) => {
                let _ = std::fs::remove_file(&files.stdout);
                if e.kind() == io::ErrorKind::AlreadyExists {
                    continue;
                }
                return Err(e);
            }
        };
        return Ok((files, [out, err]));
    }
    Err(io::Error::other("no free name for the run's output files"))
}

/// Deletes the files of finished runs beyond the newest `keep` runs.
fn prune(run_dir: &Path, keep: usize) {
    let records = record_paths(run_dir);
    let excess = records.len().saturating_sub(keep);
    for path in records.into_iter().take(excess) {
        let record = RunRecord::read(&path);
        if record.as_ref().is_some_and(RunRecord::is_running) {
            continue;
        }
        if let Some(r) = &record {
            let _ = std::fs::remove_file(&r.stdout);
            let _ = std::fs::remove_file(&r.stderr);
        } else if let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(RECORD_SUFFIX))
        {
            let _ = std::fs::remove_file(run_dir.join(format!("{stem}{STDOUT_SUFFIX}")));
            let _ = std::fs::remove_file(run_dir.join(format!("{stem}{STDERR_SUFFIX}")));
        }
        let _ = std::fs::remove_file(&path);
    }
}

/// The start time of process `pid` in clock ticks after boot (Linux), `None` elsewhere or when
/// the process is gone.
pub fn process_start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces and parentheses): state is field 3,
    // starttime is field 22.
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether `pid` names a live process that is the one recorded (same start time, when known).
pub fn process_is(pid: u32, start_ticks: Option<u64>) -> bool {
    if !crate::project::process_alive(pid) {
        return false;
    }
    match (start_ticks, process_start_ticks(pid)) {
        (Some(recorded), Some(now)) => recorded == now,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(dir: &Path, stem: &str, pid: u32, exit: bool) -> PathBuf {
        let path = dir.join(format!("{stem}{RECORD_SUFFIX}"));
        let r = RunRecord {
            pid,
            start_ticks: process_start_ticks(pid),
            command: "apply".into(),
            args: vec!["apply".into()],
            working_dir: dir.to_path_buf(),
            stdout: dir.join(format!("{stem}{STDOUT_SUFFIX}")),
            stderr: dir.join(format!("{stem}{STDERR_SUFFIX}")),
            started_at: "2026-11-28T00:00:00Z".into(),
            exit: exit.then(|| ExitRecord {
                code: Some(0),
                signal: None,
                kind: ExitKind::Success,
                finished_at: "2026-11-28T00:01:00Z".into(),
            }),
        };
        std::fs::write(&r.stdout, "out").expect("stdout");
        std::fs::write(&r.stderr, "err").expect("stderr");
        r.write(&path).expect("record");
        path
    }

    #[test]
    fn finds_only_a_live_unfinished_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(running_terraform(dir.path()), None);
        // This test process stands in for a running terraform.
        let me = std::process::id();
        record(dir.path(), "20261128-000000.000-000-plan", me, true);
        assert_eq!(running_terraform(dir.path()), None, "finished");
        let live = record(dir.path(), "20261128-000001.000-001-apply", me, false);
        let found = running_terraform(dir.path()).expect("the live run");
        assert_eq!(found.pid, me);
        assert_eq!(found.files.record, live);
        // A reused process id (another start time) is not the recorded run.
        let mut r = RunRecord::read(&live).expect("read");
        r.start_ticks = r.start_ticks.map(|t| t + 1);
        r.write(&live).expect("write");
        assert_eq!(running_terraform(dir.path()), None);
    }

    #[test]
    fn new_files_are_unique_and_old_finished_runs_are_pruned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let me = std::process::id();
        for i in 0..KEEP_RUNS + 5 {
            record(
                dir.path(),
                &format!("20200101-000000.000-{i:03}-plan"),
                me,
                true,
            );
        }
        let running = record(dir.path(), "20200101-000000.000-000-apply", me, false);
        let (a, _) = new_run_files(dir.path(), "apply").expect("files");
        let (b, _) = new_run_files(dir.path(), "apply").expect("files");
        assert_ne!(a, b);
        assert!(a.stdout.exists() && a.stderr.exists());
        assert!(running.exists(), "a running run is never pruned");
        // Records not yet written for a and b; the finished ones were cut down to KEEP_RUNS - 1
        // (plus the running one) before b's files were created.
        assert!(record_paths(dir.path()).len() <= KEEP_RUNS + 1);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with("20200101-000000.000-000-plan"))
        );
    }
}
