//! State locks: "Error acquiring the state lock" turned into a [`LockInfo`], worded for people,
//! and the decision whether `terraform force-unlock` is safe to offer.
//!
//! With the S3 backend and `use_lockfile = true`, a held lock shows as a diagnostic whose detail
//! carries a 412 PreconditionFailed and a `Lock Info:` block (ID, Path, Operation, Who, Version,
//! Created, Info). `Who` is `user@hostname`; terraform records no process id.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;

use super::error::TfError;
use super::events::{Diagnostic, TfEvent};

/// The summary terraform gives a lock it could not take.
pub const LOCK_ERROR_SUMMARY: &str = "Error acquiring the state lock";

/// A lock ID, checked so that it can be passed to `terraform force-unlock` as an argument.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LockId(String);

impl LockId {
    /// Accepts the IDs terraform writes (UUIDs, or other plain tokens from older backends).
    pub fn new(id: &str) -> Result<LockId, TfError> {
        let id = id.trim();
        let ok = !id.is_empty()
            && id.len() <= 200
            && !id.starts_with('-')
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'));
        if ok {
            Ok(LockId(id.to_string()))
        } else {
            Err(TfError::BadLockId { id: id.to_string() })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who holds the state lock, and since when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    pub id: LockId,
    /// `bucket/key` of the state.
    pub path: Option<String>,
    /// Terraform's operation name, e.g. `OperationTypeApply`.
    pub operation: Option<String>,
    /// `user@hostname` of the holder.
    pub who: Option<String>,
    /// The holder's terraform version.
    pub version: Option<String>,
    /// When the lock was taken, if the `Created` line could be read.
    pub created: Option<OffsetDateTime>,
    /// The `Created` line as terraform wrote it.
    pub created_raw: Option<String>,
    pub info: Option<String>,
}

impl LockInfo {
    /// Reads a `Lock Info:` block out of a diagnostic detail or a stderr text.
    pub fn parse(text: &str) -> Option<LockInfo> {
        let start = text.find("Lock Info:")?;
        let block = &text[start + "Lock Info:".len()..];
        let mut id = None;
        let mut info = LockInfo {
            id: LockId(String::new()),
            path: None,
            operation: None,
            who: None,
            version: None,
            created: None,
            created_raw: None,
            info: None,
        };
        for line in block.lines().skip_while(|l| l.trim().is_empty()) {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                break;
            }
            let Some((key, value)) = trimmed.split_once(':') else {
                break;
            };
            let value = value.trim();
            let owned = (!value.is_empty()).then(|| value.to_string());
            match key.trim() {
                "ID" => id = owned,
                "Path" => info.path = owned,
                "Operation" => info.operation = owned,
                "Who" => info.who = owned,
                "Version" => info.version = owned,
                "Created" => {
                    info.created = parse_go_time(value);
                    info.created_raw = owned;
                }
                "Info" => info.info = owned,
                _ => {}
            }
        }
        info.id = LockId::new(&id?).ok()?;
        Some(info)
    }

    /// The lock described by a diagnostic, if it is a lock error.
    pub fn from_diagnostic(d: &Diagnostic) -> Option<LockInfo> {
        if !d.summary.contains(LOCK_ERROR_SUMMARY) && !d.detail.contains("Lock Info:") {
            return None;
        }
        LockInfo::parse(&d.detail)
    }

    /// The lock described by a stream event, if it is a lock error.
    pub fn from_event(e: &TfEvent) -> Option<LockInfo> {
        match e {
            TfEvent::Diagnostic(d) => LockInfo::from_diagnostic(d),
            _ => None,
        }
    }

    /// How long the lock has been held at `now`.
    pub fn age(&self, now: OffsetDateTime) -> Option<Duration> {
        let created = self.created?;
        let secs = (now - created).whole_seconds();
        Some(Duration::from_secs(secs.max(0) as u64))
    }

    /// The holder's host name (the part of `Who` after the last `@`).
    pub fn holder_host(&self) -> Option<&str> {
        let who = self.who.as_deref()?;
        Some(who.rsplit_once('@').map_or(who, |(_, h)| h))
    }

    /// `apply`, `plan`, `refresh`... from terraform's `OperationTypeApply`.
    pub fn operation_label(&self) -> Option<String> {
        let op = self.operation.as_deref()?;
        let op = op.strip_prefix("OperationType").unwrap_or(op);
        if op.is_empty() || op == "Invalid" {
            return None;
        }
        Some(op.to_lowercase())
    }

    /// One sentence: "The terraform state is locked by root@vm since 2026-11-28 22:03 UTC
    /// (12 minutes ago), running apply."
    pub fn describe(&self, now: OffsetDateTime) -> String {
        let who = self.who.as_deref().unwrap_or("an unknown holder");
        let mut s = format!("The terraform state is locked by {who}");
        match (self.created, &self.created_raw) {
            (Some(created), _) => {
                let utc = created.to_offset(time::UtcOffset::UTC);
                s.push_str(&format!(
                    " since {:04}-{:02}-{:02} {:02}:{:02} UTC",
                    utc.year(),
                    u8::from(utc.month()),
                    utc.day(),
                    utc.hour(),
                    utc.minute()
                ));
                if let Some(age) = self.age(now) {
                    s.push_str(&format!(
                        " ({} ago)",
                        crate::words::duration(age, crate::words::DurationStyle::Age)
                    ));
                }
            }
            (None, Some(raw)) => s.push_str(&format!(" since {raw}")),
            (None, None) => {}
        }
        if let Some(op) = self.operation_label() {
            s.push_str(&format!(", running {op}"));
        }
        s.push_str(&format!(" (lock ID {}).", self.id));
        s
    }
}

/// Parses Go's `time.Time.String()` format: `2026-11-28 22:03:51.423550286 +0000 UTC`.
fn parse_go_time(text: &str) -> Option<OffsetDateTime> {
    let mut parts = text.split_whitespace();
    let date = parts.next()?;
    let clock = parts.next()?;
    let offset = parts.next()?;
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]] [offset_hour sign:mandatory][offset_minute]"
    );
    OffsetDateTime::parse(&format!("{date} {clock} {offset}"), &format).ok()
}

/// Terraform processes found on this machine (Linux `/proc`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessScan {
    /// False where processes cannot be listed (no `/proc`): nothing can be concluded.
    pub supported: bool,
    /// Terraform processes whose working directory (or `-chdir`) is the project's folder.
    pub running_here: Vec<u32>,
    /// Terraform processes whose folder could not be read (another user's).
    pub unreadable: Vec<u32>,
}

/// Lists terraform processes working in `dir`.
pub fn scan_terraform_processes(dir: &Path) -> ProcessScan {
    scan_proc(Path::new("/proc"), dir)
}

fn scan_proc(proc_root: &Path, dir: &Path) -> ProcessScan {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return ProcessScan::default();
    };
    let want = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let me = std::process::id();
    let mut scan = ProcessScan {
        supported: true,
        ..ProcessScan::default()
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let base = entry.path();
        let Ok(comm) = std::fs::read_to_string(base.join("comm")) else {
            continue;
        };
        let comm = comm.trim();
        if !comm.starts_with("terraform") || comm.starts_with("terraform-prov") {
            continue;
        }
        let chdir = std::fs::read(base.join("cmdline")).ok().and_then(|raw| {
            raw.split(|b| *b == 0)
                .filter_map(|a| std::str::from_utf8(a).ok())
                .find_map(|a| a.strip_prefix("-chdir=").map(PathBuf::from))
        });
        match std::fs::read_link(base.join("cwd")) {
            Ok(cwd) => {
                let effective = match chdir {
                    Some(c) if c.is_absolute() => c,
                    Some(c) => cwd.join(c),
                    None => cwd,
                };
                let effective = std::fs::canonicalize(&effective).unwrap_or(effective);
                if effective == want {
                    scan.running_here.push(pid);
                }
            }
            Err(_) => scan.unreadable.push(pid),
        }
    }
    scan
}

/// This machine's host name, as terraform writes it in `Who`.
pub fn this_host() -> Option<String> {
    if let Ok(h) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let h = h.trim();
        if !h.is_empty() {
            return Some(h.to_string());
        }
    }
    let out = super::quick::run_blocking(
        &mut std::process::Command::new("hostname"),
        std::time::Duration::from_secs(5),
    )
    .ok()?;
    let h = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!h.is_empty()).then_some(h)
}

/// Whether siteup may offer `terraform force-unlock`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnlockAdvice {
    /// The lock was taken on this machine and no terraform runs in this folder any more: the
    /// holder is gone and force-unlock is safe.
    HolderGone,
    /// Terraform is still running in this folder: wait for it to finish (or stop it) instead.
    HolderRunning { pids: Vec<u32> },
    /// siteup cannot see the holder (another machine, or processes it cannot inspect): offer
    /// force-unlock only after the user confirms that no terraform is running there.
    ConfirmFirst { reason: String },
}

impl UnlockAdvice {
    /// Whether force-unlock may be offered at all (after confirmation for [`Self::ConfirmFirst`]).
    pub fn may_offer(&self) -> bool {
        !matches!(self, UnlockAdvice::HolderRunning { .. })
    }

    pub fn needs_confirmation(&self) -> bool {
        matches!(self, UnlockAdvice::ConfirmFirst { .. })
    }

    /// One or two sentences for the user.
    pub fn explain(&self) -> String {
        match self {
            UnlockAdvice::HolderGone => "The terraform run that took this lock on this machine is no longer running, so the lock is stale and can be released safely.".to_string(),
            UnlockAdvice::HolderRunning { pids } => format!(
                "Terraform is still running in this folder (process {}); wait for it to finish, or stop it, before trying again.",
                pids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            ),
            UnlockAdvice::ConfirmFirst { reason } => format!(
                "{reason} Release the lock only if you are sure that run has stopped: two runs writing the state at once can corrupt it."
            ),
        }
    }
}

/// Decides whether force-unlock is safe, from the lock, this machine's host name, and the
/// terraform processes running in the project's folder.
pub fn unlock_advice(lock: &LockInfo, this_host: Option<&str>, scan: &ProcessScan) -> UnlockAdvice {
    let holder = lock.holder_host();
    let same_host = match (holder, this_host) {
        (Some(h), Some(me)) => h.eq_ignore_ascii_case(me),
        _ => false,
    };
    if !same_host {
        let who = lock.who.as_deref().unwrap_or("an unknown holder");
        return UnlockAdvice::ConfirmFirst {
            reason: format!(
                "The lock was taken by {who}, not on this machine, so siteup cannot tell whether that run is still going."
            ),
        };
    }
    if !scan.supported {
        return UnlockAdvice::ConfirmFirst {
            reason: "siteup cannot list the processes on this system to check whether that terraform run is still going.".to_string(),
        };
    }
    if !scan.running_here.is_empty() {
        return UnlockAdvice::HolderRunning {
            pids: scan.running_here.clone(),
        };
    }
    if !scan.unreadable.is_empty() {
        return UnlockAdvice::ConfirmFirst {
            reason: "Terraform is running on this machine under another user, and siteup cannot see in which folder.".to_string(),
        };
    }
    UnlockAdvice::HolderGone
}

#[cfg(test)]
mod tests {
    use super::*;

    const DETAIL: &str = "Error message: operation error S3: PutObject, https response error StatusCode: 412, RequestID: x, HostID: y, api error PreconditionFailed: At least one of the pre-conditions you specified did not hold\nLock Info:\n  ID:        d6b24a84-fe86-9035-342b-97ba3f4cb497\n  Path:      siteup-test-state/fixture/terraform.tfstate\n  Operation: OperationTypeApply\n  Who:       root@vm\n  Version:   1.11.4\n  Created:   2026-11-28 22:03:51.423550286 +0000 UTC\n  Info:      \n\n\nTerraform acquires a state lock to protect the state from being written\nby multiple users at the same time.";

    fn lock() -> LockInfo {
        LockInfo::parse(DETAIL).expect("lock info parses")
    }

    #[test]
    fn parses_lock_info_block() {
        let l = lock();
        assert_eq!(l.id.as_str(), "d6b24a84-fe86-9035-342b-97ba3f4cb497");
        assert_eq!(
            l.path.as_deref(),
            Some("siteup-test-state/fixture/terraform.tfstate")
        );
        assert_eq!(l.operation_label().as_deref(), Some("apply"));
        assert_eq!(l.who.as_deref(), Some("root@vm"));
        assert_eq!(l.holder_host(), Some("vm"));
        assert_eq!(l.version.as_deref(), Some("1.11.4"));
        assert_eq!(l.info, None);
        let created = l.created.expect("created parses");
        assert_eq!(created.unix_timestamp(), 1_795_903_431);
    }

    #[test]
    fn describes_holder_age_and_operation() {
        let l = lock();
        let now = l.created.expect("created") + time::Duration::minutes(12);
        assert_eq!(
            l.describe(now),
            "The terraform state is locked by root@vm since 2026-11-28 22:03 UTC (12 minutes ago), running apply (lock ID d6b24a84-fe86-9035-342b-97ba3f4cb497)."
        );
    }

    #[test]
    fn no_lock_block_means_no_lock() {
        assert_eq!(LockInfo::parse("Error: something else"), None);
        assert_eq!(LockInfo::parse("Lock Info:\n  Path: x\n"), None);
        assert_eq!(LockInfo::parse("Lock Info:\n  ID: --force\n"), None);
    }

    #[test]
    fn lock_ids_are_checked() {
        assert!(LockId::new("d6b24a84-fe86-9035-342b-97ba3f4cb497").is_ok());
        assert!(LockId::new("-force").is_err());
        assert!(LockId::new("a b").is_err());
        assert!(LockId::new("").is_err());
    }

    #[test]
    fn unlock_advice_cases() {
        let l = lock();
        let none_here = ProcessScan {
            supported: true,
            ..ProcessScan::default()
        };
        assert_eq!(
            unlock_advice(&l, Some("vm"), &none_here),
            UnlockAdvice::HolderGone
        );
        let running = ProcessScan {
            supported: true,
            running_here: vec![42],
            unreadable: vec![],
        };
        let advice = unlock_advice(&l, Some("vm"), &running);
        assert!(!advice.may_offer());
        assert!(advice.explain().contains("process 42"));
        let other = unlock_advice(&l, Some("laptop"), &none_here);
        assert!(other.may_offer() && other.needs_confirmation());
        assert!(other.explain().contains("root@vm"));
        let unsupported = unlock_advice(&l, Some("vm"), &ProcessScan::default());
        assert!(unsupported.needs_confirmation());
    }

    #[test]
    fn process_scan_finds_this_folder_only() {
        let proc_root = tempfile::tempdir().expect("tempdir");
        let project = tempfile::tempdir().expect("tempdir");
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let mk = |pid: u32, comm: &str, cwd: &Path, cmdline: &[&str]| {
            let d = proc_root.path().join(pid.to_string());
            std::fs::create_dir_all(&d).expect("mkdir");
            std::fs::write(d.join("comm"), format!("{comm}\n")).expect("comm");
            std::fs::write(d.join("cmdline"), cmdline.join("\0")).expect("cmdline");
            std::os::unix::fs::symlink(cwd, d.join("cwd")).expect("symlink");
        };
        mk(100, "terraform", project.path(), &["terraform", "apply"]);
        mk(101, "terraform", elsewhere.path(), &["terraform", "plan"]);
        mk(102, "terraform-provi", project.path(), &["x"]);
        mk(103, "bash", project.path(), &["bash"]);
        let chdir = format!("-chdir={}", project.path().display());
        mk(
            104,
            "terraform",
            elsewhere.path(),
            &["terraform", &chdir, "plan"],
        );
        let scan = scan_proc(proc_root.path(), project.path());
        assert!(scan.supported);
        let mut here = scan.running_here.clone();
        here.sort();
        assert_eq!(here, vec![100, 104]);
        assert!(scan.unreadable.is_empty());
        assert!(!scan_proc(&proc_root.path().join("missing"), project.path()).supported);
    }
}
