//! Preflight checks: what must hold before siteup can do its job, each problem with the command
//! that fixes it. The journey's first step runs the blocking ones; `siteup doctor` prints all.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::terraform::quick::{self, QuickError};
use crate::terraform::version;
use crate::words::{sentence, shell_quote};

/// How long the python3 probe may take.
const PYTHON_TIMEOUT: Duration = Duration::from_secs(30);

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Ok,
    /// Worth fixing; siteup can go on.
    Warning,
    /// siteup cannot go on until it is fixed.
    Problem,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Finding {
    pub check: &'static str,
    pub severity: Severity,
    /// What was found, one sentence.
    pub message: String,
    /// The command (or action) that fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: &'static str, message: impl Into<String>) -> Self {
        Self {
            check,
            severity: Severity::Ok,
            message: message.into(),
            fix: None,
        }
    }
    fn problem(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            severity: Severity::Problem,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
    fn warning(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            severity: Severity::Warning,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
}

/// terraform on PATH and new enough.
pub(crate) fn check_terraform() -> Finding {
    let path = match version::locate() {
        Ok(p) => p,
        Err(e) => {
            return Finding::problem(
                "terraform",
                sentence(&e.to_string()),
                format!(
                    "install terraform 1.11 or newer from {}",
                    version::INSTALL_URL
                ),
            );
        }
    };
    let limit = quick::bound(quick::VERSION_TIMEOUT);
    let output = quick::run_blocking(
        Command::new(&path)
            .args(["version", "-json"])
            .env("CHECKPOINT_DISABLE", "1"),
        limit,
    );
    let stdout = match output {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(QuickError::TimedOut { after }) => {
            return Finding::problem(
                "terraform",
                format!(
                    "terraform ({}) did not answer `terraform version` within {}, so siteup stopped it.",
                    path.display(),
                    crate::words::duration(after, crate::words::DurationStyle::Seconds)
                ),
                "check that `terraform version` answers in a terminal (reinstall terraform if it hangs), then run siteup again",
            );
        }
        Err(QuickError::Spawn(e)) => {
            return Finding::problem(
                "terraform",
                format!("{} could not be run: {e}.", path.display()),
                "reinstall terraform 1.11 or newer",
            );
        }
    };
    match version::parse_version_output(&stdout) {
        Some(info) => match version::check_supported(&info) {
            Ok(()) => Finding::ok(
                "terraform",
                format!("terraform {} at {}.", info.version, path.display()),
            ),
            Err(e) => Finding::problem(
                "terraform",
                sentence(&e.to_string()),
                format!(
                    "install terraform 1.11 or newer from {}",
                    version::INSTALL_URL
                ),
            ),
        },
        None => Finding::problem(
            "terraform",
            format!(
                "{} did not report its version; it may not be terraform.",
                path.display()
            ),
            "reinstall terraform 1.11 or newer",
        ),
    }
}

/// A `TF_CLI_CONFIG_FILE` that names a missing file makes terraform warn on every command.
pub(crate) fn check_cli_config_env() -> Option<Finding> {
    let value = std::env::var_os("TF_CLI_CONFIG_FILE")?;
    if value.is_empty() || Path::new(&value).exists() {
        return None;
    }
    Some(Finding::warning(
        "terraform-config",
        format!(
            "TF_CLI_CONFIG_FILE names {}, which does not exist, so terraform warns on every command.",
            Path::new(&value).display()
        ),
        "unset TF_CLI_CONFIG_FILE (or create that file)",
    ))
}

/// The project folder is a writable folder (checked without creating anything: a mistyped
/// `--dir` is reported, not made), and its `.siteup` is a folder if it exists.
pub(crate) fn check_folder(dir: &Path) -> Finding {
    let shown = crate::words::printable_line(&dir.display().to_string()).into_owned();
    let quoted = shell_quote(&dir.display().to_string());
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Finding::warning(
                "folder",
                format!(
                    "The folder {shown} does not exist yet; siteup creates it when the journey starts (check the path if that is a typo)."
                ),
                format!("mkdir -p {quoted}"),
            );
        }
        Err(e) => {
            return Finding::problem(
                "folder",
                format!(
                    "The project folder {shown} cannot be read: {}.",
                    crate::words::io_advice(&e)
                ),
                format!("ls -ld {quoted}"),
            );
        }
        Ok(meta) if !meta.is_dir() => {
            return Finding::problem(
                "folder",
                format!("{shown} is a file, not a folder."),
                "give your site's folder with --dir",
            );
        }
        Ok(_) => {}
    }
    let state = dir.join(crate::project::STATE_DIR);
    if std::fs::metadata(&state).is_ok_and(|m| !m.is_dir()) {
        return Finding::problem(
            "folder",
            format!(
                "{} in {shown} is a file, but siteup keeps its journal and lock in a folder of that name.",
                crate::project::STATE_DIR
            ),
            format!(
                "mv {} {}",
                shell_quote(&state.display().to_string()),
                shell_quote(&format!("{}.bak", state.display()))
            ),
        );
    }
    let probe = dir.join(format!(".siteup-write-test-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Finding::ok("folder", format!("{shown} is writable."))
        }
        Err(e) => Finding::problem(
            "folder",
            format!(
                "The project folder {shown} is not writable: {}.",
                crate::words::io_advice(&e)
            ),
            format!("chmod u+w {quoted}"),
        ),
    }
}

/// Nobody else holds the project's lock (looked at without taking it or creating anything).
pub(crate) fn check_lock(state_dir: &Path) -> Finding {
    match crate::project::lock::probe(state_dir) {
        Ok(None) => Finding::ok("lock", "No other siteup is working in this folder."),
        Ok(Some(Some(h))) => Finding::problem(
            "lock",
            format!(
                "Another siteup (PID {}, `{}`) is working in this folder.",
                h.pid,
                crate::words::printable_line(&h.command)
            ),
            format!("wait for it to finish, or stop it: kill -INT {}", h.pid),
        ),
        Ok(Some(None)) => Finding::problem(
            "lock",
            "Another siteup is working in this folder (its PID is unknown).",
            "wait for it to finish",
        ),
        Err(e) => Finding::problem(
            "lock",
            format!(
                "The lock file in {} cannot be read: {}.",
                crate::words::printable_line(&state_dir.display().to_string()),
                crate::words::io_advice(&e)
            ),
            "check the folder's permissions",
        ),
    }
}

/// python3 with venv, for `siteup sandbox`.
pub(crate) fn check_python_venv() -> Finding {
    let ok = quick::run_blocking(
        Command::new("python3").args(["-c", "import venv, ensurepip"]),
        quick::bound(PYTHON_TIMEOUT),
    )
    .is_ok_and(|o| o.status.success());
    if ok {
        Finding::ok(
            "sandbox-python",
            "python3 with venv is available for `siteup sandbox`.",
        )
    } else {
        Finding::warning(
            "sandbox-python",
            "python3 with the venv module is missing, so `siteup sandbox` cannot create its emulator.",
            "sudo apt install python3-venv",
        )
    }
}

/// The checks that block the journey (terraform, folder, lock is taken by the caller).
pub(crate) fn blocking(dir: &Path) -> Result<(), String> {
    for f in [check_terraform(), check_folder(dir)] {
        if f.severity == Severity::Problem {
            let fix = f.fix.map(|x| format!(" Fix: {x}.")).unwrap_or_default();
            return Err(format!("{}{}", f.message, fix));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_capitalised_and_end_with_a_full_stop() {
        assert_eq!(
            sentence("terraform was not found"),
            "Terraform was not found."
        );
        assert_eq!(sentence("Done."), "Done.");
    }

    #[test]
    fn an_unwritable_folder_is_a_problem_with_a_fix() {
        let f = check_folder(Path::new("/proc/sys"));
        assert_eq!(f.severity, Severity::Problem, "{f:?}");
        assert!(f.fix.is_some());
    }

    #[test]
    fn a_missing_folder_is_reported_and_not_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        let typo = dir.path().join("typo");
        let f = check_folder(&typo);
        assert_eq!(f.severity, Severity::Warning, "{f:?}");
        assert!(f.message.contains("does not exist"), "{f:?}");
        assert!(!typo.exists());
        let lock = check_lock(&typo.join(".siteup"));
        assert_eq!(lock.severity, Severity::Ok, "{lock:?}");
        assert!(!typo.exists());
    }

    #[test]
    fn a_file_where_a_folder_belongs_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("no folder");
        std::fs::write(&file, b"x").expect("write");
        let f = check_folder(&file);
        assert_eq!(f.severity, Severity::Problem);
        assert!(f.message.contains("is a file, not a folder"), "{f:?}");
        std::fs::write(dir.path().join(".siteup"), b"x").expect("write");
        let f = check_folder(dir.path());
        assert_eq!(f.severity, Severity::Problem);
        assert!(f.message.contains(".siteup in"), "{f:?}");
    }

    #[test]
    fn a_held_lock_names_the_pid_and_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join(".siteup");
        let _held = crate::project::lock::DirLock::acquire(&state, "siteup up").expect("lock");
        let f = check_lock(&state);
        assert_eq!(f.severity, Severity::Problem);
        assert!(f.message.contains(&std::process::id().to_string()), "{f:?}");
        assert!(
            f.fix.as_deref().is_some_and(|x| x.contains("kill -INT")),
            "{f:?}"
        );
    }
}
