//! The harness of the journey tests (journey, journey_bench, proc_signals): a sandbox project in
//! a temporary folder, the real `siteup` binary run with a clean environment and a deadline on
//! every wait, and terraform's run records. Its prerequisites come from `sandbox` and `tf`
//! (tests/support), included next to it.
//!
//! The rest is in this folder, each file included with `#[path]` by the tests that use it:
//! `full.rs` (the whole journey's time limit, the sandbox's folder and emulator), `watch.rs`
//! (watching a running siteup, the journal), `shim.rs` (a terraform shim first on PATH) and
//! `checks.rs` (journey.rs's readers of the status, run records and emulator) and `parts.rs`
//! (changing the parts in siteup.toml, and approving plans in the plain mode).
//!
//! Dropping a [`Project`] stops whatever the journey left running: terraform runs a killed siteup
//! left behind (by their recorded process id), then the sandbox's emulator and DNS
//! (`siteup sandbox --stop`). When the test failed, the folder is kept and its path printed.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use siteup::sandbox::emulator;
use siteup::terraform::runs::{RunRecord, record_paths};

/// The binary under test.
pub(crate) const SITEUP: &str = env!("CARGO_BIN_EXE_siteup");

/// Fails (never skips) when something the journey needs is missing, naming it: what
/// `siteup sandbox` needs, and the Python with boto3 that checks the emulator.
pub(crate) fn require_prerequisites() {
    crate::sandbox::require_sandbox();
    let check_python = emulator::test_python();
    assert!(
        check_python.is_file(),
        "the Python with boto3 that checks the emulator ({}, from {} or the default venv) is missing",
        check_python.display(),
        emulator::PYTHON_ENV
    );
}

/// A finished process: its exit and its output.
#[derive(Debug, Clone)]
pub(crate) struct Finished {
    pub name: String,
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub secs: f64,
}

impl Finished {
    /// The exit, the time and the end of both outputs, for assertion messages.
    pub(crate) fn describe(&self) -> String {
        format!(
            "`{}` ended with code {:?} (signal {:?}) after {:.0} s\n--- stdout (end) ---\n{}\n--- stderr (end) ---\n{}",
            self.name,
            self.code,
            self.signal,
            self.secs,
            tail(&self.stdout, 40),
            tail(&self.stderr, 25)
        )
    }

    /// Asserts the exit code.
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}: {}",
            self.describe()
        );
        self
    }
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A siteup process the test started; killed (SIGKILL) and reaped on drop if still running.
pub(crate) struct Running {
    pub(crate) name: String,
    pub(crate) child: Option<Child>,
    pub(crate) stdin: Option<ChildStdin>,
    pub(crate) out: PathBuf,
    pub(crate) err: PathBuf,
    pub(crate) started: Instant,
}

impl Running {
    /// The finished process, if it has ended.
    pub(crate) fn try_finish(&mut self) -> Option<Finished> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => {
                self.child = None;
                Some(self.finished(status))
            }
            Ok(None) => None,
            Err(e) => panic!("could not poll `{}`: {e}", self.name),
        }
    }

    pub(crate) fn finished(&self, status: std::process::ExitStatus) -> Finished {
        use std::os::unix::process::ExitStatusExt;
        Finished {
            name: self.name.clone(),
            code: status.code(),
            signal: status.signal(),
            stdout: std::fs::read_to_string(&self.out).unwrap_or_default(),
            stderr: std::fs::read_to_string(&self.err).unwrap_or_default(),
            secs: self.started.elapsed().as_secs_f64(),
        }
    }

    /// What the process printed so far.
    pub(crate) fn stdout_so_far(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Waits for the process to end.
    pub(crate) fn wait(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(done) = self.try_finish() {
                return done;
            }
            if Instant::now() >= deadline {
                let out = tail(&self.stdout_so_far(), 40);
                drop(self);
                panic!(
                    "the command did not end within {} s:\n{out}",
                    timeout.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A sandbox project folder in a temporary directory.
pub(crate) struct Project {
    temp: Option<tempfile::TempDir>,
    /// The temporary directory: `project/`, `logs/`, `cache/`.
    pub base: PathBuf,
    /// The project folder (`--dir`).
    pub root: PathBuf,
    pub(crate) logs: PathBuf,
    pub(crate) seq: Cell<usize>,
    pub(crate) path_prefix: Option<PathBuf>,
}

impl Project {
    /// A new, empty project folder (the prerequisites are checked first).
    pub(crate) fn new(label: &str) -> Project {
        require_prerequisites();
        let temp = tempfile::Builder::new()
            .prefix(&format!("siteup-journey-{label}-"))
            .tempdir()
            .expect("temporary directory");
        let base = temp.path().to_path_buf();
        let root = base.join("project");
        let logs = base.join("logs");
        std::fs::create_dir_all(&root).expect("project folder");
        std::fs::create_dir_all(&logs).expect("logs folder");
        eprintln!("{label}: project folder {}", root.display());
        Project {
            temp: Some(temp),
            base,
            root,
            logs,
            seq: Cell::new(0),
            path_prefix: None,
        }
    }

    pub(crate) fn state_dir(&self) -> PathBuf {
        self.root.join(".siteup")
    }

    pub(crate) fn terraform_dir(&self) -> PathBuf {
        self.root.join("terraform")
    }

    /// `siteup ARGS --dir ROOT` with the test environment: no AWS variable of the caller, no
    /// instance metadata, a private cache, no colours.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(SITEUP);
        cmd.args(args).arg("--dir").arg(&self.root);
        for key in siteup::aws::env::inherited_aws_variables() {
            cmd.env_remove(key);
        }
        cmd.env_remove("SITEUP_DNS_ROOT")
            .env_remove("SITEUP_DNS_RESOLVER")
            .env_remove("TF_CLI_CONFIG_FILE")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("SITEUP_CACHE_DIR", self.base.join("cache"))
            .env("NO_COLOR", "1")
            .env("TERM", "dumb");
        if let Some(prefix) = &self.path_prefix {
            let mut path = OsString::from(prefix.as_os_str());
            if let Some(old) = std::env::var_os("PATH") {
                path.push(":");
                path.push(old);
            }
            cmd.env("PATH", path);
        }
        cmd
    }

    pub(crate) fn log_files(&self, name: &str) -> (PathBuf, PathBuf) {
        let n = self.seq.get() + 1;
        self.seq.set(n);
        let stem: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        (
            self.logs.join(format!("{n:02}-{stem}.out")),
            self.logs.join(format!("{n:02}-{stem}.err")),
        )
    }

    pub(crate) fn start(&self, args: &[&str], stdin_open: bool) -> Running {
        let name = format!("siteup {}", args.join(" "));
        let (out, err) = self.log_files(&name);
        let mut cmd = self.command(args);
        cmd.stdout(File::create(&out).expect("stdout file"))
            .stderr(File::create(&err).expect("stderr file"))
            .stdin(if stdin_open {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {SITEUP}: {e}"));
        let stdin = child.stdin.take();
        Running {
            name,
            child: Some(child),
            stdin,
            out,
            err,
            started: Instant::now(),
        }
    }

    /// Starts siteup (stdin closed).
    pub(crate) fn spawn(&self, args: &[&str]) -> Running {
        self.start(args, false)
    }

    /// Runs siteup to its end.
    pub(crate) fn run(&self, args: &[&str], timeout: Duration) -> Finished {
        self.spawn(args).wait(timeout)
    }

    /// The run directory of terraform's output files and run records.
    pub(crate) fn runs_dir(&self) -> PathBuf {
        self.terraform_dir()
            .join(siteup::terraform::runs::DEFAULT_RUN_DIR)
    }

    /// Every run record, oldest first.
    pub(crate) fn run_records(&self) -> Vec<(PathBuf, RunRecord)> {
        record_paths(&self.runs_dir())
            .into_iter()
            .filter_map(|p| RunRecord::read(&p).map(|r| (p, r)))
            .collect()
    }

    /// Terraform runs a killed siteup left behind: stop them (SIGINT, then SIGKILL).
    fn stop_leftover_terraform(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut signalled = BTreeSet::new();
        loop {
            let running: Vec<RunRecord> = self
                .run_records()
                .into_iter()
                .map(|(_, r)| r)
                .filter(RunRecord::is_running)
                .collect();
            if running.is_empty() {
                return;
            }
            let late = Instant::now() >= deadline;
            for r in running {
                let Ok(pid) = i32::try_from(r.pid) else {
                    continue;
                };
                if late {
                    eprintln!("killing terraform {} (PID {})", r.command, r.pid);
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                } else if signalled.insert(r.pid) {
                    eprintln!("interrupting terraform {} (PID {})", r.command, r.pid);
                    let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
                }
            }
            if late {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        self.stop_leftover_terraform();
        let mut stop = self.command(&["sandbox", "--stop"]);
        stop.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match stop.output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "siteup sandbox --stop failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("could not run siteup sandbox --stop: {e}"),
        }
        if let Some(temp) = self.temp.take() {
            if std::thread::panicking() {
                let kept = temp.keep();
                eprintln!(
                    "the journey's folder is kept for inspection: {} (project/, logs/)",
                    kept.display()
                );
            } else {
                drop(temp);
            }
        }
    }
}
