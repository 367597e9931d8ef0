//! The Python virtual environment that holds moto for the AWS emulator.
//!
//! siteup creates it once (`python3 -m venv`, then `pip install -r` the requirements embedded
//! below) and reuses it while its moto matches the pinned version. CI creates the same venv with
//! `python3 -m venv ~/.cache/siteup/venv && ~/.cache/siteup/venv/bin/pip install -r
//! assets/emulator/requirements.txt`; [`ensure_venv`] accepts such a venv as it is.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::project::atomic::write_atomic;

/// The emulator's pinned Python requirements (`assets/emulator/requirements.txt`).
pub const REQUIREMENTS: &str = include_str!("../../assets/emulator/requirements.txt");

/// Environment variable that names the venv directory instead of the default.
pub const VENV_ENV: &str = "SITEUP_VENV";

/// File written beside the venv's own files with the requirements it was installed from.
const REQUIREMENTS_FILE: &str = "siteup-requirements.txt";
/// Written after a successful install: the requirements it satisfied.
const INSTALLED_MARKER: &str = "siteup-installed.txt";

/// Why the emulator's venv could not be created or reused. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum VenvError {
    #[error(
        "python3 was not found on PATH, and the sandbox's AWS emulator needs it; install Python 3 (for example `apt install python3 python3-venv`) and run siteup again."
    )]
    Python3Missing,
    #[error(
        "python3 cannot create virtual environments because its venv module is missing; install it (for example `apt install python3-venv`) and run siteup again."
    )]
    VenvModuleMissing,
    #[error(
        "`python3 -m venv {dir}` failed ({detail}); see {log} for its output, delete {dir} and run siteup again."
    )]
    VenvFailed {
        dir: PathBuf,
        detail: String,
        log: PathBuf,
    },
    #[error(
        "installing moto into {dir} with pip failed ({detail}); see {log} for pip's output, check the network access to PyPI and run siteup again."
    )]
    PipFailed {
        dir: PathBuf,
        detail: String,
        log: PathBuf,
    },
    #[error(
        "pip finished but {python} still does not have moto {wanted} (found: {found}); delete {dir} and run siteup again to rebuild it."
    )]
    StillWrong {
        dir: PathBuf,
        python: PathBuf,
        wanted: String,
        found: String,
    },
    #[error("could not write {path}: {source}; check that the folder is writable and try again.")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The venv directory: `$SITEUP_VENV`, else `$HOME/.cache/siteup/venv` (a temporary folder when
/// `HOME` is not set).
pub fn default_venv_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(VENV_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache/siteup/venv"),
        None => std::env::temp_dir().join("siteup-venv"),
    }
}

/// The venv's Python interpreter (whether it exists or not).
pub fn venv_python(dir: &Path) -> PathBuf {
    dir.join("bin").join("python")
}

/// The pip log of a venv: beside the venv directory, so deleting the venv keeps it.
pub fn pip_log_path(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map_or_else(|| "venv".to_string(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!("{name}-install.log"))
}

/// The moto version pinned in [`REQUIREMENTS`] (`moto[server]==X` gives `X`).
pub fn pinned_moto_version() -> Option<&'static str> {
    REQUIREMENTS.lines().find_map(|line| {
        let line = line.trim();
        let rest = line.strip_prefix("moto")?;
        let rest = match rest.strip_prefix('[') {
            Some(r) => &r[r.find(']')? + 1..],
            None => rest,
        };
        Some(rest.trim().strip_prefix("==")?.trim())
    })
}

/// Creates the venv in `dir`, or reuses it when its moto matches the pinned requirements, and
/// returns its Python. `progress` receives one human line per step (creation takes about 30 s
/// and 300 MB the first time).
pub fn ensure_venv(dir: &Path, progress: &mut dyn FnMut(&str)) -> Result<PathBuf, VenvError> {
    let python3 = which::which("python3").ok();
    ensure_venv_with(dir, python3.as_deref(), progress)
}

/// [`ensure_venv`] with an explicit `python3` (None: not installed).
fn ensure_venv_with(
    dir: &Path,
    python3: Option<&Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf, VenvError> {
    let python = venv_python(dir);
    let wanted = pinned_moto_version().unwrap_or("?").to_string();
    let log = pip_log_path(dir);

    if python.exists() {
        let found = installed_moto_version(&python);
        if found.as_deref() == Some(wanted.as_str()) {
            let marker = fs::read_to_string(dir.join(INSTALLED_MARKER)).unwrap_or_default();
            if marker == REQUIREMENTS {
                return Ok(python);
            }
            // A venv made by hand or by CI from the same file: pip confirms it offline.
            progress(&format!(
                "Checking the emulator's Python packages in {}",
                dir.display()
            ));
        } else {
            progress(&format!(
                "Updating the emulator's Python packages in {} to moto {wanted}",
                dir.display()
            ));
        }
    } else {
        let Some(python3) = python3 else {
            return Err(VenvError::Python3Missing);
        };
        progress(&format!(
            "Creating the emulator's Python environment in {}",
            dir.display()
        ));
        if let Some(parent) = dir.parent() {
            fs::create_dir_all(parent).map_err(|source| VenvError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let output = run_logged(Command::new(python3).arg("-m").arg("venv").arg(dir), &log)?;
        if !output.success {
            if output.text.contains("ensurepip is not available")
                || output.text.contains("No module named venv")
                || output.text.contains("No module named 'venv'")
            {
                return Err(VenvError::VenvModuleMissing);
            }
            return Err(VenvError::VenvFailed {
                dir: dir.to_path_buf(),
                detail: output.summary(),
                log,
            });
        }
        progress(&format!(
            "Installing moto {wanted} and its dependencies (about 30 s and 300 MB the first time)"
        ));
    }

    let requirements = dir.join(REQUIREMENTS_FILE);
    write_atomic(&requirements, REQUIREMENTS.as_bytes()).map_err(|source| VenvError::Io {
        path: requirements.clone(),
        source,
    })?;
    let output = run_logged(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
        &log,
    )?;
    if !output.success {
        return Err(VenvError::PipFailed {
            dir: dir.to_path_buf(),
            detail: output.summary(),
            log,
        });
    }
    let found = installed_moto_version(&python);
    if found.as_deref() != Some(wanted.as_str()) {
        return Err(VenvError::StillWrong {
            dir: dir.to_path_buf(),
            python,
            wanted,
            found: found.unwrap_or_else(|| "none".to_string()),
        });
    }
    let marker = dir.join(INSTALLED_MARKER);
    write_atomic(&marker, REQUIREMENTS.as_bytes()).map_err(|source| VenvError::Io {
        path: marker.clone(),
        source,
    })?;
    progress("The emulator's Python environment is ready");
    Ok(python)
}

/// The moto version importable by `python`, if any.
fn installed_moto_version(python: &Path) -> Option<String> {
    // Bounded: a broken venv must not hang `siteup sandbox` (a timeout reads as "not installed").
    let mut cmd = Command::new(python);
    cmd.args([
        "-c",
        "import importlib.metadata as m; print(m.version('moto'))",
    ]);
    let output = crate::terraform::quick::run_blocking(
        &mut cmd,
        crate::terraform::quick::bound(std::time::Duration::from_secs(60)),
    )
    .ok()?;
    if !output.status.success() {
        return None;
    }
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (!version.is_empty()).then_some(version)
}

struct LoggedOutput {
    success: bool,
    status: String,
    text: String,
}

impl LoggedOutput {
    /// A short reason for an error sentence: the exit status and the last line of output.
    fn summary(&self) -> String {
        let last = self
            .text
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no output");
        format!("{}: {last}", self.status)
    }
}

/// Runs `cmd` with stdin closed and appends its output to `log`.
fn run_logged(cmd: &mut Command, log: &Path) -> Result<LoggedOutput, VenvError> {
    let describe = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ");
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|source| VenvError::Io {
            path: PathBuf::from(cmd.get_program()),
            source,
        })?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let entry = format!("$ {describe}\n{text}\n[{}]\n", output.status);
    append(log, &entry).map_err(|source| VenvError::Io {
        path: log.to_path_buf(),
        source,
    })?;
    Ok(LoggedOutput {
        success: output.status.success(),
        status: output.status.to_string(),
        text,
    })
}

fn append(path: &Path, text: &str) -> io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_is_read_from_the_requirements() {
        assert_eq!(pinned_moto_version(), Some("5.2.5"));
        assert!(REQUIREMENTS.contains("moto[server]==5.2.5"));
    }

    #[test]
    fn no_python3_is_one_sentence_with_the_install_command() {
        let dir = std::env::temp_dir().join(format!("siteup-venv-test-{}", std::process::id()));
        let err = ensure_venv_with(&dir.join("venv"), None, &mut |_| {})
            .expect_err("no python3 must fail");
        assert!(matches!(err, VenvError::Python3Missing));
        assert!(err.to_string().contains("apt install python3"));
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_python3_without_venv_says_to_install_python3_venv() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("siteup-venv-test2-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let fake = dir.join("python3");
        fs::write(
            &fake,
            "#!/bin/sh\necho 'The virtual environment was not created successfully because ensurepip is not available.' >&2\nexit 1\n",
        )
        .expect("write fake python3");
        fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut lines = Vec::new();
        let err = ensure_venv_with(&dir.join("venv"), Some(&fake), &mut |l| {
            lines.push(l.to_string());
        })
        .expect_err("a python3 without venv must fail");
        assert!(matches!(err, VenvError::VenvModuleMissing), "{err}");
        assert!(err.to_string().contains("apt install python3-venv"));
        assert!(lines.iter().any(|l| l.contains("Creating")), "{lines:?}");
        let log = fs::read_to_string(pip_log_path(&dir.join("venv"))).expect("log written");
        assert!(log.contains("ensurepip is not available"));
        let _ = fs::remove_dir_all(&dir);
    }
}
