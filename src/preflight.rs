//! Preflight checks: what must hold before siteup can do its job, each problem with the command
//! that fixes it. The journey's first step runs the blocking ones; `siteup doctor` prints all.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::terraform::quick::{self, QuickError};
use crate::terraform::version;

/// How long the python3 probe may take.
const PYTHON_TIMEOUT: Duration = Duration::from_secs(30);

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    /// Worth fixing; siteup can go on.
    Warning,
    /// siteup cannot go on until it is fixed.
    Problem,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
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
pub fn check_terraform() -> Finding {
    let path = match version::locate() {
        Ok(p) => p,
        Err(e) => {
            return Finding::problem(
                "terraform",
                sentence(&e.to_string()),
                format!(
                    "install terraform 1.10 or newer from {}",
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
                    "terraform ({}) did not answer `terraform version` within {} seconds, so siteup stopped it.",
                    path.display(),
                    after.as_secs()
                ),
                "check that `terraform version` answers in a terminal (reinstall terraform if it hangs), then run siteup again",
            );
        }
        Err(QuickError::Spawn(e)) => {
            return Finding::problem(
                "terraform",
                format!("{} could not be run: {e}.", path.display()),
                "reinstall terraform 1.10 or newer",
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
                    "install terraform 1.10 or newer from {}",
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
            "reinstall terraform 1.10 or newer",
        ),
    }
}

/// A `TF_CLI_CONFIG_FILE` that names a missing file makes terraform warn on every command.
pub fn check_cli_config_env() -> Option<Finding> {
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

/// The project folder exists (or can be created) and is writable.
pub fn check_folder(dir: &Path) -> Finding {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return Finding::problem(
            "folder",
            format!(
                "The project folder {} cannot be created: {e}.",
                dir.display()
            ),
            format!("mkdir -p {}", shell_quote(&dir.display().to_string())),
        );
    }
    let probe = dir.join(format!(".siteup-write-test-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Finding::ok("folder", format!("{} is writable.", dir.display()))
        }
        Err(e) => Finding::problem(
            "folder",
            format!("The project folder {} is not writable: {e}.", dir.display()),
            format!("chmod u+w {}", shell_quote(&dir.display().to_string())),
        ),
    }
}

/// Nobody else holds the project's lock.
pub fn check_lock(state_dir: &Path) -> Finding {
    match crate::project::lock::DirLock::acquire(state_dir, "siteup doctor") {
        Ok(_lock) => Finding::ok("lock", "No other siteup is working in this folder."),
        Err(crate::project::lock::LockError::Held { pid, command, .. }) => Finding::problem(
            "lock",
            format!("Another siteup (PID {pid}, `{command}`) is working in this folder."),
            format!("wait for it to finish, or stop it: kill -INT {pid}"),
        ),
        Err(e) => Finding::problem(
            "lock",
            sentence(&e.to_string()),
            "check the folder's permissions",
        ),
    }
}

/// python3 with venv, for `siteup sandbox`.
pub fn check_python_venv() -> Finding {
    let ok = quick::run_blocking(
        Command::new("python3").args(["-c", "import venv, ensurepip"]),
        quick::bound(PYTHON_TIMEOUT),
    )
    .map(|o| o.status.success())
    .unwrap_or(false);
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
pub fn blocking(dir: &Path) -> Result<(), String> {
    for f in [check_terraform(), check_folder(dir)] {
        if f.severity == Severity::Problem {
            let fix = f.fix.map(|x| format!(" Fix: {x}.")).unwrap_or_default();
            return Err(format!("{}{}", f.message, fix));
        }
    }
    Ok(())
}

/// Makes sure a message reads as one sentence: capitalised, ending with a full stop.
pub fn sentence(text: &str) -> String {
    let t = text.trim();
    let mut chars = t.chars();
    let mut s = match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => return String::new(),
    };
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Waits at most `limit` for a child to exit; used by checks that run programs.
pub fn bounded<T>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> Option<T>
where
    T: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).ok()
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
        let f = check_folder(Path::new("/proc/siteup-cannot-exist"));
        assert_eq!(f.severity, Severity::Problem);
        assert!(f.fix.is_some());
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
