//! The terraform child process.
//!
//! Terraform is spawned with no TTY and stdin closed, `-input=false`, `-json` where the command
//! supports it, `-no-color`, `TF_IN_AUTOMATION=1` and `CHECKPOINT_DISABLE=1` (no update check
//! off this machine), in its own process group (so a Ctrl-C in the terminal reaches siteup,
//! which forwards it, and not terraform directly). `-auto-approve` is never passed: changes are
//! applied only from a saved plan the user approved ([`ApprovedPlan`]), which terraform applies
//! without asking.
//!
//! Terraform's stdout and stderr go to files in the run directory, never to pipes (see
//! [`super::runs`]): if siteup dies mid-apply, terraform finishes on its own, saves the state and
//! releases the lock, and a later siteup finds it ([`Terraform::running`]) and follows its output
//! ([`Terraform::attach`]). One tail task per file sends typed [`RunEvent`]s on a tokio channel:
//! stdout lines are parsed into [`TfEvent`]s, stderr lines are passed on and collected for the
//! error report. A supervisor task owns the child: it forwards interrupt and kill requests, runs
//! the silence watchdog, reaps the child exactly once, lets the tails read the files to their end,
//! records the exit in the run's record and sends [`RunEvent::Exited`] last.
//!
//! An interrupt is SIGINT to terraform's process group (terraform and its providers, as a
//! Ctrl-C in a terminal would; providers ignore it and let terraform stop them). A
//! [`RunTracker`] shared by the runs of one journey knows which run is going, so that an
//! interrupt reaches whichever run it is (`init`, `plan`, `apply`, `init -migrate-state`, or a
//! run re-attached to), and so that no new run starts once a stop was asked for.
//!
//! Nothing here ever sends SIGKILL to these runs on its own: only [`RunController::force_kill`]
//! does. Short read-only commands ([`Terraform::capture`]) have a bound instead (see
//! [`super::quick`]).

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::{Notify, mpsc, oneshot};

use super::error::TfError;
use super::events::{Diagnostic, INTERRUPT_MARKER, TfEvent, parse_line};
use super::lock::{LockId, LockInfo};
use super::plan_review::{ApprovedPlan, PlanReview, SavedPlan};
use super::quick::Escalation;
use super::runs::{
    DEFAULT_RUN_DIR, ExitRecord, RunFiles, RunRecord, RunningTerraform, new_run_files, process_is,
    process_start_ticks, running_terraform,
};
use super::version::{VersionInfo, check_supported, parse_version_output};

/// Lines longer than this are cut (the rest of the line is dropped, not the following lines).
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// At most this much stderr text is kept for the error report.
const MAX_STDERR_BYTES: usize = 256 * 1024;

/// The default silence after which [`RunEvent::Silent`] is sent. While resources are being
/// changed terraform prints progress every 10 s, so minutes of silence mean it is stuck (endless
/// provider retries against an endpoint that keeps failing, a credential prompt it cannot show).
pub const DEFAULT_WATCHDOG: Duration = Duration::from_secs(5 * 60);

/// How long to wait, after the process exited, for the tails to deliver the last lines.
const DEFAULT_EXIT_GRACE: Duration = Duration::from_secs(2);

/// How often the tails look for new output, and an attached run for its process.
const POLL: Duration = Duration::from_millis(50);
const ATTACHED_POLL: Duration = Duration::from_millis(200);

/// How to run terraform: which binary, where, with which environment.
#[derive(Clone, Debug)]
pub struct Terraform {
    program: PathBuf,
    working_dir: PathBuf,
    cli_config_file: Option<PathBuf>,
    env: Vec<(String, String)>,
    env_remove: Vec<OsString>,
    watchdog: Option<Duration>,
    exit_grace: Duration,
    run_dir: Option<PathBuf>,
    tracker: Option<RunTracker>,
    quick_timeout: Option<Duration>,
}

/// Options of `terraform init`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitOptions {
    /// `-migrate-state` (terraform refuses `-json` with it, so that run's output is plain text).
    pub migrate_state: bool,
    /// `-force-copy`: answer yes to copying state during a migration.
    pub force_copy: bool,
    pub reconfigure: bool,
    pub upgrade: bool,
    /// `false` gives `-backend=false`.
    pub backend: bool,
    /// `-backend-config=...` values.
    pub backend_config: Vec<String>,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            migrate_state: false,
            force_copy: false,
            reconfigure: false,
            upgrade: false,
            backend: true,
            backend_config: Vec::new(),
        }
    }
}

/// Options of `terraform plan`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `-out=FILE`: save the plan, to review it and apply exactly it.
    pub out: Option<PathBuf>,
    /// `-detailed-exitcode`: exit 2 when there are changes.
    pub detailed_exitcode: bool,
    pub destroy: bool,
    pub refresh_only: bool,
    /// `-refresh=false`: plan from the state as it is, without reading every object back from
    /// AWS (right after an apply wrote it).
    pub skip_refresh: bool,
    /// `-var NAME=VALUE`.
    pub vars: Vec<(String, String)>,
    /// `-lock-timeout=Ns`.
    pub lock_timeout: Option<Duration>,
    /// `-parallelism=N`.
    pub parallelism: Option<u32>,
    /// `-target=ADDRESS` for each address (the journey's phases).
    pub targets: Vec<String>,
}

/// A terraform invocation.
#[derive(Clone, Debug)]
pub enum TfCommand {
    Init(InitOptions),
    Plan(PlanOptions),
    /// `apply PLANFILE` of a plan the user approved.
    Apply(ApprovedPlan),
    /// Arguments passed as they are (for commands siteup does not model, and for tests that run
    /// another program). `-auto-approve` is refused.
    Raw(Vec<OsString>),
}

fn refuse_auto_approve<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Result<(), TfError> {
    let bad = args.iter().any(|a| {
        let a = a.as_ref().to_string_lossy();
        let a = a.trim_start_matches('-');
        a == "auto-approve" || a.starts_with("auto-approve=")
    });
    if bad {
        Err(TfError::AutoApproveRefused)
    } else {
        Ok(())
    }
}

impl TfCommand {
    /// The subcommand name, for messages.
    pub fn name(&self) -> String {
        match self {
            TfCommand::Init(_) => "init".into(),
            TfCommand::Plan(_) => "plan".into(),
            TfCommand::Apply(_) => "apply".into(),
            TfCommand::Raw(args) => args
                .first()
                .map(|a| a.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }

    fn detailed_exitcode(&self) -> bool {
        matches!(self, TfCommand::Plan(p) if p.detailed_exitcode)
    }

    /// The command-line arguments (plan paths relative to `working_dir` are made absolute).
    pub fn args(&self, working_dir: &Path) -> Result<Vec<OsString>, TfError> {
        let mut a: Vec<OsString> = Vec::new();
        let mut push = |s: &str| a.push(OsString::from(s));
        match self {
            TfCommand::Init(o) => {
                push("init");
                push("-input=false");
                push("-no-color");
                if o.migrate_state {
                    push("-migrate-state");
                } else {
                    push("-json");
                }
                if o.force_copy {
                    push("-force-copy");
                }
                if o.reconfigure {
                    push("-reconfigure");
                }
                if o.upgrade {
                    push("-upgrade");
                }
                if !o.backend {
                    push("-backend=false");
                }
                for c in &o.backend_config {
                    push(&format!("-backend-config={c}"));
                }
            }
            TfCommand::Plan(o) => {
                push("plan");
                push("-input=false");
                push("-json");
                push("-no-color");
                if o.detailed_exitcode {
                    push("-detailed-exitcode");
                }
                if o.destroy {
                    push("-destroy");
                }
                if o.refresh_only {
                    push("-refresh-only");
                }
                if o.skip_refresh {
                    push("-refresh=false");
                }
                if let Some(t) = o.lock_timeout {
                    push(&format!("-lock-timeout={}s", t.as_secs().max(1)));
                }
                if let Some(n) = o.parallelism {
                    push(&format!("-parallelism={n}"));
                }
                for (k, v) in &o.vars {
                    push("-var");
                    push(&format!("{k}={v}"));
                }
                for t in &o.targets {
                    push(&format!("-target={t}"));
                }
                if let Some(out) = &o.out {
                    let mut arg = OsString::from("-out=");
                    arg.push(absolute(working_dir, out));
                    a.push(arg);
                }
            }
            TfCommand::Apply(plan) => {
                push("apply");
                push("-input=false");
                push("-json");
                push("-no-color");
                a.push(absolute(working_dir, plan.saved().path()).into_os_string());
            }
            TfCommand::Raw(args) => {
                refuse_auto_approve(args)?;
                a.extend(args.iter().cloned());
            }
        }
        Ok(a)
    }
}

fn absolute(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// What [`Terraform::capture`] returns.
#[derive(Clone, Debug)]
pub struct Captured {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Captured {
    /// The output of a command that exited 0; otherwise the failure of `command` with
    /// terraform's own explanation.
    pub fn ok(self, command: &str) -> Result<Captured, TfError> {
        if self.code == Some(0) {
            return Ok(self);
        }
        Err(TfError::Failed {
            command: command.to_string(),
            code: self.code,
            reason: summarize_stderr(&self.stderr)
                .or_else(|| summarize_stderr(&String::from_utf8_lossy(&self.stdout)))
                .unwrap_or_else(|| "terraform printed no explanation".into()),
        })
    }
}

impl Terraform {
    /// Runs `program` (terraform, or a stand-in in tests) in `working_dir`.
    pub fn new(program: impl Into<PathBuf>, working_dir: impl Into<PathBuf>) -> Terraform {
        Terraform {
            program: program.into(),
            working_dir: working_dir.into(),
            cli_config_file: None,
            env: Vec::new(),
            env_remove: Vec::new(),
            watchdog: Some(DEFAULT_WATCHDOG),
            exit_grace: DEFAULT_EXIT_GRACE,
            run_dir: None,
            tracker: None,
            quick_timeout: None,
        }
    }

    /// Registers every run started (or attached to) with `tracker`, so that
    /// [`RunTracker::interrupt`] reaches whichever run is going.
    pub fn tracked(mut self, tracker: RunTracker) -> Terraform {
        self.tracker = Some(tracker);
        self
    }

    /// The bound of the short commands run by [`Terraform::capture`] (default
    /// [`super::quick::QUICK_TIMEOUT`], or `SITEUP_QUICK_TIMEOUT`).
    pub fn quick_timeout(mut self, limit: Duration) -> Terraform {
        self.quick_timeout = Some(limit);
        self
    }

    /// Finds terraform on PATH.
    pub fn locate(working_dir: impl Into<PathBuf>) -> Result<Terraform, TfError> {
        Ok(Terraform::new(super::version::locate()?, working_dir))
    }

    /// Sets `TF_CLI_CONFIG_FILE` for the child. Only tests and the sandbox do this: otherwise
    /// the user's own CLI configuration applies untouched.
    pub fn cli_config_file(mut self, path: impl Into<PathBuf>) -> Terraform {
        self.cli_config_file = Some(path.into());
        self
    }

    /// Adds an environment variable for the child (e.g. `AWS_ENDPOINT_URL` in sandbox mode).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Terraform {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn envs<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Terraform {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Removes an inherited environment variable for the child (e.g. the caller's
    /// `AWS_PROFILE` in sandbox mode). Variables added with [`Terraform::env`] are kept.
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Terraform {
        self.env_remove.push(key.into());
        self
    }

    /// Reports [`RunEvent::Silent`] when the child has printed nothing for `silence` (default
    /// [`DEFAULT_WATCHDOG`]).
    pub fn watchdog(mut self, silence: Duration) -> Terraform {
        self.watchdog = Some(silence);
        self
    }

    /// No silence reports at all.
    pub fn no_watchdog(mut self) -> Terraform {
        self.watchdog = None;
        self
    }

    /// How long to wait for the last lines after the process exits (default 2 s).
    pub fn exit_grace(mut self, grace: Duration) -> Terraform {
        self.exit_grace = grace;
        self
    }

    /// Where the runs' output files and records go (default: [`DEFAULT_RUN_DIR`] in the working
    /// directory). Relative paths are taken from the working directory.
    pub fn run_dir(mut self, dir: impl Into<PathBuf>) -> Terraform {
        self.run_dir = Some(dir.into());
        self
    }

    /// The run directory in effect.
    pub fn runs_dir(&self) -> PathBuf {
        match &self.run_dir {
            Some(d) => absolute(&self.working_dir, d),
            None => self.working_dir.join(DEFAULT_RUN_DIR),
        }
    }

    /// A terraform run started earlier (by this or another siteup) that is still going in this
    /// run directory: follow it with [`Terraform::attach`] or wait for it instead of starting a
    /// second terraform.
    pub fn running(&self) -> Option<RunningTerraform> {
        running_terraform(&self.runs_dir())
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    pub fn working_dir(&self) -> &Path {
        &self.working_dir
    }

    fn command(&self, args: &[OsString]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(args)
            .current_dir(&self.working_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .process_group(0)
            .kill_on_drop(false);
        for k in &self.env_remove {
            cmd.env_remove(k);
        }
        if let Some(cfg) = &self.cli_config_file {
            cmd.env("TF_CLI_CONFIG_FILE", cfg);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    fn spawn_error(&self, source: std::io::Error) -> TfError {
        if source.kind() == std::io::ErrorKind::NotFound
            && self.program.file_name().is_some_and(|n| n == "terraform")
        {
            return TfError::NotFound;
        }
        TfError::Spawn {
            program: self.program.display().to_string(),
            source,
        }
    }

    /// Starts a command and streams its events. Must be called inside a tokio runtime.
    ///
    /// Terraform writes into new files in the run directory ([`RunHandle::files`]); the run is
    /// recorded there with its process id so that a later siteup can find it.
    pub fn spawn(&self, command: &TfCommand) -> Result<RunHandle, TfError> {
        if let TfCommand::Apply(plan) = command {
            plan.saved().verify_unchanged()?;
        }
        let args = command.args(&self.working_dir)?;
        if let Some(t) = &self.tracker
            && t.stop_requested()
        {
            return Err(TfError::Stopping {
                command: command.name(),
            });
        }
        let run_dir = self.runs_dir();
        let run_files_err = |source| TfError::RunFiles {
            path: run_dir.clone(),
            source,
        };
        let (files, [out, err]) =
            new_run_files(&run_dir, &command.name()).map_err(run_files_err)?;
        let mut cmd = self.command(&args);
        cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err));
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_file(&files.stdout);
                let _ = std::fs::remove_file(&files.stderr);
                return Err(self.spawn_error(e));
            }
        };
        let Some(pid) = child.id() else {
            return Err(TfError::Spawn {
                program: self.program.display().to_string(),
                source: std::io::Error::other("the process exited before it could be watched"),
            });
        };
        let record = RunRecord {
            pid,
            start_ticks: process_start_ticks(pid),
            command: command.name(),
            args: args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            working_dir: self.working_dir.clone(),
            stdout: files.stdout.clone(),
            stderr: files.stderr.clone(),
            started_at: crate::project::now_rfc3339(),
            exit: None,
        };
        if let Err(e) = record.write(&files.record) {
            // Without the record a later siteup cannot see this run; the run itself is fine.
            tracing::warn!(
                "could not record terraform's run in {}: {e}",
                files.record.display()
            );
        }
        Ok(self.watch(
            Waiter::Child(Box::new(child)),
            pid,
            command.name(),
            command.detailed_exitcode(),
            files,
            Some(record),
        ))
    }

    /// Follows a run that another siteup (or an earlier one that died) started and that is still
    /// going: its output from the start of its files, then its end. Interrupts reach it as for an
    /// own run. Its exit status cannot be read (it is not this process's child): the outcome is
    /// taken from its output.
    pub fn attach(&self, running: &RunningTerraform) -> RunHandle {
        self.watch(
            Waiter::Attached {
                pid: running.pid,
                start_ticks: running.start_ticks,
            },
            running.pid,
            running.command.clone(),
            false,
            running.files.clone(),
            None,
        )
    }

    fn watch(
        &self,
        waiter: Waiter,
        pid: u32,
        command: String,
        detailed_exitcode: bool,
        files: RunFiles,
        record: Option<RunRecord>,
    ) -> RunHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        let (ctrl_tx, ctrl_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let collected = Arc::new(Collected::new());
        let (out_done_tx, out_done) = oneshot::channel();
        let (err_done_tx, err_done) = oneshot::channel();
        tokio::spawn(tail(
            files.stdout.clone(),
            Stream::Stdout,
            tx.clone(),
            collected.clone(),
            out_done_tx,
        ));
        tokio::spawn(tail(
            files.stderr.clone(),
            Stream::Stderr,
            tx.clone(),
            collected.clone(),
            err_done_tx,
        ));
        let controller = RunController {
            pid,
            control: ctrl_tx,
            shared: shared.clone(),
        };
        if let Some(t) = &self.tracker {
            t.register(&controller);
        }
        tokio::spawn(supervise(Supervisor {
            tracker: self.tracker.clone(),
            waiter,
            pid,
            command: command.clone(),
            ctrl_rx,
            tx,
            shared: shared.clone(),
            collected,
            watchdog: self.watchdog,
            // Files end: the tails finish once they read to the end. An attached run's tails
            // may start far behind (its whole output from the start), so they get longer.
            exit_grace: if record.is_some() {
                self.exit_grace
            } else {
                self.exit_grace.max(Duration::from_secs(30))
            },
            detailed_exitcode,
            out_done,
            err_done,
            started: Instant::now(),
            record: record.map(|r| (files.record.clone(), r)),
        }));
        RunHandle {
            command,
            events: rx,
            files,
            controller,
        }
    }

    /// Runs a short command to completion and returns its whole output (for `version`, `show`,
    /// `output`, `state list`, `state pull`, `force-unlock`). Through pipes, with a bound: a
    /// command that passes it is stopped (SIGINT, then SIGKILL after a grace: these commands
    /// only read; `force-unlock`, which writes, only gets SIGINT) and reported as
    /// [`TfError::TimedOut`]. Use [`Terraform::spawn`] for anything that changes
    /// infrastructure.
    pub async fn capture<S: AsRef<std::ffi::OsStr>>(
        &self,
        args: &[S],
    ) -> Result<Captured, TfError> {
        let limit = self
            .quick_timeout
            .unwrap_or_else(|| super::quick::bound(super::quick::QUICK_TIMEOUT));
        self.capture_within(args, limit, Escalation::Kill).await
    }

    async fn capture_within<S: AsRef<std::ffi::OsStr>>(
        &self,
        args: &[S],
        limit: Duration,
        escalation: Escalation,
    ) -> Result<Captured, TfError> {
        refuse_auto_approve(args)?;
        let args: Vec<OsString> = args.iter().map(|a| a.as_ref().to_os_string()).collect();
        let out = super::quick::run(self.command(&args), limit, escalation)
            .await
            .map_err(|e| match e {
                super::quick::QuickError::Spawn(e) => self.spawn_error(e),
                super::quick::QuickError::TimedOut { after } => TfError::TimedOut {
                    command: args
                        .iter()
                        .take_while(|a| !a.to_string_lossy().starts_with('-'))
                        .map(|a| a.to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join(" "),
                    after,
                },
            })?;
        Ok(Captured {
            code: out.status.code(),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// `terraform version -json`, parsed (old releases' plain text is understood too).
    pub async fn version(&self) -> Result<VersionInfo, TfError> {
        let limit = self
            .quick_timeout
            .unwrap_or_else(|| super::quick::bound(super::quick::VERSION_TIMEOUT));
        let out = self
            .capture_within(&["version", "-json"], limit, Escalation::Kill)
            .await?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        parse_version_output(&stdout).ok_or_else(|| TfError::VersionUnreadable {
            program: self.program.display().to_string(),
            output: stdout.chars().take(200).collect(),
        })
    }

    /// The version, checked against the minimum siteup needs (1.11).
    pub async fn check_version(&self) -> Result<VersionInfo, TfError> {
        let info = self.version().await?;
        check_supported(&info)?;
        Ok(info)
    }

    /// Reviews a saved plan: `terraform show -json PLAN`, grouped and ordered, with the
    /// plan-time diagnostics collected from the `plan -json` stream.
    pub async fn review_plan(
        &self,
        plan: &Path,
        diagnostics: Vec<Diagnostic>,
    ) -> Result<PlanReview, TfError> {
        let path = absolute(&self.working_dir, plan);
        let saved = SavedPlan::from_file(&path)?;
        let args: [&std::ffi::OsStr; 4] = [
            "show".as_ref(),
            "-json".as_ref(),
            "-no-color".as_ref(),
            path.as_os_str(),
        ];
        let out = self.capture(&args).await?.ok("show -json")?;
        Ok(PlanReview::from_show_json(&out.stdout, Some(saved))?.with_diagnostics(diagnostics))
    }

    /// `terraform force-unlock -force ID`. Offer it only as [`super::lock::unlock_advice`] says.
    pub async fn force_unlock(&self, id: &LockId) -> Result<(), TfError> {
        // It writes (it deletes the lock): past its bound it is interrupted, never killed.
        let limit = self
            .quick_timeout
            .unwrap_or_else(|| super::quick::bound(super::quick::QUICK_TIMEOUT));
        self.capture_within(
            &["force-unlock", "-force", id.as_str()],
            limit,
            Escalation::InterruptOnly,
        )
        .await?
        .ok(&format!("force-unlock {id}"))?;
        Ok(())
    }

    /// `terraform state pull`: the whole state as JSON (empty when nothing was applied).
    pub async fn state_pull(&self) -> Result<Vec<u8>, TfError> {
        let out = self.capture(&["state", "pull"]).await?.ok("state pull")?;
        Ok(out.stdout)
    }

    /// `terraform state rm ADDRESS...`: terraform forgets the resources, which stay in AWS.
    /// It writes the state: past its bound it is interrupted, never killed.
    pub async fn state_rm(&self, addresses: &[String]) -> Result<(), TfError> {
        if addresses.is_empty() {
            return Ok(());
        }
        let mut args: Vec<String> = vec![
            "state".into(),
            "rm".into(),
            "-lock-timeout=60s".into(),
            "-no-color".into(),
        ];
        args.extend(addresses.iter().cloned());
        let limit = self
            .quick_timeout
            .unwrap_or_else(|| super::quick::bound(super::quick::QUICK_TIMEOUT));
        self.capture_within(&args, limit, Escalation::InterruptOnly)
            .await?
            .ok("state rm")?;
        Ok(())
    }

    /// `terraform state list`: the address of every resource the state manages.
    /// No state at all (nothing applied yet) is an empty list.
    pub async fn state_list(&self) -> Result<Vec<String>, TfError> {
        let out = self.capture(&["state", "list", "-no-color"]).await?;
        if out.code == Some(1) && out.stderr.contains("No state file was found") {
            return Ok(Vec::new());
        }
        let out = out.ok("state list")?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect())
    }
}

// ---- the running process ----------------------------------------------------------------------

/// Something that happened to a running command.
#[derive(Clone, Debug, PartialEq)]
pub enum RunEvent {
    /// One stdout line, parsed.
    Line(TfEvent),
    /// One stderr line (also kept in [`RunOutcome::stderr`]).
    Stderr(String),
    /// The state lock is held by someone else (sent right after the diagnostic that says so).
    StateLocked(LockInfo),
    /// Nothing on stdout or stderr for `silent_for` (sent again each further watchdog period).
    Silent { silent_for: Duration },
    /// The process exited and was reaped. Always the last event.
    Exited(RunOutcome),
}

/// How a run ended. Run records spell it `success`, `changes`, `locked`, `interrupted`,
/// `killed` or `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitKind {
    /// Exit code 0.
    Success,
    /// `plan -detailed-exitcode` exited 2: there are changes.
    Changes,
    /// The state lock was held by someone else (see [`RunOutcome::lock`]).
    Locked,
    /// Stopped by an interrupt (terraform saved the state and released the lock).
    Interrupted,
    /// Killed by a signal (by [`RunController::force_kill`] or from outside).
    Killed,
    /// Any other failure.
    Failed,
}

/// The end of a run: exit status, classified, and what is needed for the error report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    pub kind: ExitKind,
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// Everything terraform wrote on stderr (up to 256 KiB).
    pub stderr: String,
    /// Error diagnostics from the stream, one line each.
    pub errors: Vec<String>,
    pub lock: Option<LockInfo>,
    /// siteup asked for an interrupt.
    pub interrupt_requested: bool,
    /// Terraform said "Interrupt received".
    pub saw_interrupt: bool,
    pub duration: Duration,
}

impl RunOutcome {
    /// Exit 0, or 2 under `-detailed-exitcode`.
    pub fn succeeded(&self) -> bool {
        matches!(self.kind, ExitKind::Success | ExitKind::Changes)
    }

    /// The most useful single explanation of a failure.
    pub fn reason(&self) -> String {
        if let Some(lock) = &self.lock {
            return lock.describe(time::OffsetDateTime::now_utc());
        }
        if let Some(first) = self.errors.first() {
            return first.clone();
        }
        if let Some(s) = summarize_stderr(&self.stderr) {
            return s;
        }
        match (self.code, self.signal) {
            (_, Some(sig)) => format!("terraform was stopped by signal {sig}"),
            (Some(code), None) => {
                format!("terraform exited with code {code} and printed no explanation")
            }
            (None, None) => "terraform ended without an exit status".to_string(),
        }
    }

    /// `Ok` when the run succeeded, otherwise the error with terraform's explanation.
    pub fn into_result(self, command: &str) -> Result<RunOutcome, TfError> {
        if self.succeeded() {
            Ok(self)
        } else {
            Err(TfError::Failed {
                command: command.to_string(),
                code: self.code,
                reason: self.reason(),
            })
        }
    }
}

/// The first `Error:` of a plain-text terraform message (box drawing removed), with the lines
/// that follow it; or the last non-empty line.
pub fn summarize_stderr(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_start_matches(['│', '╷', '╵']).trim())
        .collect();
    if let Some(start) = lines.iter().position(|l| l.starts_with("Error: ")) {
        let mut out = lines[start].trim_start_matches("Error: ").to_string();
        for l in lines[start + 1..].iter().filter(|l| !l.is_empty()).take(3) {
            if l.starts_with("Error: ") || l.starts_with("Warning: ") {
                break;
            }
            out.push(' ');
            out.push_str(l);
        }
        return Some(out);
    }
    lines
        .iter()
        .rev()
        .find(|l| !l.is_empty())
        .map(std::string::ToString::to_string)
}

/// What a second interrupt request found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterruptState {
    /// SIGINT was sent now: terraform finishes or cancels what is in flight, saves the state,
    /// releases the lock and exits.
    Sent,
    /// An interrupt was already sent `since` ago and terraform is still stopping. Nothing more
    /// was done: only [`RunController::force_kill`] goes further.
    AlreadyInterrupting { since: Duration },
    /// The process has already exited.
    NotRunning,
}

/// What a kill request found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KillState {
    Sent,
    AlreadySent,
    NotRunning,
}

#[derive(Debug, Default)]
struct Shared {
    interrupt_sent: Option<Instant>,
    kill_sent: bool,
    exited: bool,
}

fn lock_shared(m: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A copy of what a mutex holds (a poisoned one still holds what was collected).
fn cloned<T: Clone>(m: &Mutex<T>) -> T {
    m.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

#[derive(Debug)]
enum Control {
    Interrupt,
    Kill,
}

/// Sends interrupt and kill requests to a running command. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RunController {
    pid: u32,
    control: mpsc::UnboundedSender<Control>,
    shared: Arc<Mutex<Shared>>,
}

impl RunController {
    /// The child's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn is_running(&self) -> bool {
        !lock_shared(&self.shared).exited
    }

    /// Asks terraform to stop cleanly (SIGINT). A second call does not escalate: it reports
    /// [`InterruptState::AlreadyInterrupting`] so the UI can explain the risk of forcing.
    pub fn interrupt(&self) -> InterruptState {
        let mut s = lock_shared(&self.shared);
        if s.exited {
            return InterruptState::NotRunning;
        }
        if let Some(at) = s.interrupt_sent {
            return InterruptState::AlreadyInterrupting {
                since: at.elapsed(),
            };
        }
        s.interrupt_sent = Some(Instant::now());
        let _ = self.control.send(Control::Interrupt);
        InterruptState::Sent
    }

    /// SIGKILL to terraform's whole process group (terraform and its providers). Only on the
    /// user's explicit request, after the wizard's warning (its kill dialog, or plain mode's
    /// second Ctrl-C): state can be lost.
    pub fn force_kill(&self) -> KillState {
        let mut s = lock_shared(&self.shared);
        if s.exited {
            return KillState::NotRunning;
        }
        if s.kill_sent {
            return KillState::AlreadySent;
        }
        s.kill_sent = true;
        let _ = self.control.send(Control::Kill);
        KillState::Sent
    }
}

/// The runs of one journey, so that a stop request reaches whichever terraform is going: the
/// current run (started or attached to by a [`Terraform`] made with [`Terraform::tracked`]) is
/// interrupted, and once a stop was asked for no new run starts ([`TfError::Stopping`]) until
/// [`RunTracker::reset`]. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct RunTracker {
    inner: Arc<Mutex<TrackerState>>,
}

#[derive(Debug, Default)]
struct TrackerState {
    current: Option<RunController>,
    stop_requested: bool,
}

impl RunTracker {
    pub fn new() -> RunTracker {
        RunTracker::default()
    }

    fn state(&self) -> MutexGuard<'_, TrackerState> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Asks the current run to stop cleanly (SIGINT to its process group), and refuses new runs
    /// until [`RunTracker::reset`]. `None` when no run is going.
    pub fn interrupt(&self) -> Option<InterruptState> {
        let mut st = self.state();
        st.stop_requested = true;
        st.current.as_ref().map(RunController::interrupt)
    }

    /// [`RunController::force_kill`] of the current run (only on the user's explicit request).
    pub fn force_kill(&self) -> Option<KillState> {
        let mut st = self.state();
        st.stop_requested = true;
        st.current.as_ref().map(RunController::force_kill)
    }

    /// A new piece of work begins: runs may start again.
    pub fn reset(&self) {
        self.state().stop_requested = false;
    }

    /// Whether a stop was asked for since the last reset.
    pub fn stop_requested(&self) -> bool {
        self.state().stop_requested
    }

    /// The run going now, if any.
    pub fn current(&self) -> Option<RunController> {
        self.state().current.clone()
    }

    fn register(&self, c: &RunController) {
        let mut st = self.state();
        st.current = Some(c.clone());
        if st.stop_requested {
            // The stop came while this run was being started.
            let _ = c.interrupt();
        }
    }

    fn unregister(&self, pid: u32) {
        let mut st = self.state();
        if st.current.as_ref().is_some_and(|c| c.pid == pid) {
            st.current = None;
        }
    }
}

/// A running command: its events, its output files, and its controller.
#[derive(Debug)]
pub struct RunHandle {
    command: String,
    events: mpsc::UnboundedReceiver<RunEvent>,
    files: RunFiles,
    controller: RunController,
}

impl RunHandle {
    pub fn pid(&self) -> u32 {
        self.controller.pid
    }

    /// The files terraform writes (its whole output stays there after the run).
    pub fn files(&self) -> &RunFiles {
        &self.files
    }

    /// A handle to interrupt or kill the run from elsewhere (e.g. the UI's key handler).
    pub fn controller(&self) -> RunController {
        self.controller.clone()
    }

    pub fn interrupt(&self) -> InterruptState {
        self.controller.interrupt()
    }

    pub fn force_kill(&self) -> KillState {
        self.controller.force_kill()
    }

    /// The next event; `None` after [`RunEvent::Exited`].
    pub async fn next_event(&mut self) -> Option<RunEvent> {
        self.events.recv().await
    }

    /// Reads every event until the exit; returns the stdout events and the outcome.
    pub async fn wait(mut self) -> (Vec<TfEvent>, RunOutcome) {
        let mut lines = Vec::new();
        while let Some(ev) = self.events.recv().await {
            match ev {
                RunEvent::Line(l) => lines.push(l),
                RunEvent::Exited(outcome) => return (lines, outcome),
                RunEvent::Stderr(_) | RunEvent::StateLocked(_) | RunEvent::Silent { .. } => {}
            }
        }
        let outcome = RunOutcome {
            kind: ExitKind::Failed,
            code: None,
            signal: None,
            stderr: format!(
                "siteup lost track of `terraform {}` before it exited",
                self.command
            ),
            errors: Vec::new(),
            lock: None,
            interrupt_requested: false,
            saw_interrupt: false,
            duration: Duration::ZERO,
        };
        (lines, outcome)
    }
}

/// What the reader tasks gather for the outcome.
struct Collected {
    stderr: Mutex<String>,
    errors: Mutex<Vec<String>>,
    lock: Mutex<Option<LockInfo>>,
    saw_interrupt: AtomicBool,
    /// A `change_summary` line: the command got to its end (how an attached run's outcome is
    /// told).
    saw_summary: AtomicBool,
    last_activity: Mutex<Instant>,
    /// Set once the process has exited: a tail that then reads the end of its file is done.
    exited: AtomicBool,
    exit_notify: Notify,
}

impl Collected {
    fn new() -> Collected {
        Collected {
            stderr: Mutex::new(String::new()),
            errors: Mutex::new(Vec::new()),
            lock: Mutex::new(None),
            saw_interrupt: AtomicBool::new(false),
            saw_summary: AtomicBool::new(false),
            last_activity: Mutex::new(Instant::now()),
            exited: AtomicBool::new(false),
            exit_notify: Notify::new(),
        }
    }

    fn touch(&self) {
        *self
            .last_activity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    fn last_activity(&self) -> Instant {
        *self
            .last_activity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_lock(&self, lock: &LockInfo) -> bool {
        let mut slot = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(lock.clone());
            true
        } else {
            false
        }
    }
}

/// Splits a byte stream into lines (without the `\n`), keeping at most `max` bytes of each
/// line: the rest of an over-long line is dropped, not the following lines.
struct LineSplitter {
    buf: Vec<u8>,
    max: usize,
}

impl LineSplitter {
    fn new(max: usize) -> LineSplitter {
        LineSplitter {
            buf: Vec::new(),
            max,
        }
    }

    fn push(&mut self, mut data: &[u8], mut line: impl FnMut(&[u8])) {
        while !data.is_empty() {
            let (part, done) = match data.iter().position(|b| *b == b'\n') {
                Some(i) => (&data[..i], Some(i + 1)),
                None => (data, None),
            };
            let room = self.max.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&part[..part.len().min(room)]);
            match done {
                Some(used) => {
                    line(&self.buf);
                    self.buf.clear();
                    data = &data[used..];
                }
                None => break,
            }
        }
    }

    /// The last line, when the stream did not end with `\n`.
    fn finish(&mut self, mut line: impl FnMut(&[u8])) {
        if !self.buf.is_empty() {
            line(&self.buf);
            self.buf.clear();
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

fn on_stdout_line(raw: &[u8], tx: &mpsc::UnboundedSender<RunEvent>, collected: &Collected) {
    let text = String::from_utf8_lossy(raw);
    if text.trim().is_empty() {
        return;
    }
    let event = parse_line(&text);
    if event.is_interrupt() {
        collected.saw_interrupt.store(true, Ordering::SeqCst);
    }
    if matches!(event, TfEvent::ChangeSummary(_)) {
        collected.saw_summary.store(true, Ordering::SeqCst);
    }
    let lock = LockInfo::from_event(&event);
    if let TfEvent::Diagnostic(d) = &event
        && d.is_error()
    {
        let mut errors = collected
            .errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if errors.len() < 100 {
            let line = match &d.address {
                Some(a) => format!("{a}: {}", d.one_line()),
                None => d.one_line(),
            };
            if !errors.contains(&line) {
                errors.push(line);
            }
        }
    }
    // The receiver may be gone; the tail keeps reading regardless.
    let _ = tx.send(RunEvent::Line(event));
    if let Some(lock) = lock
        && collected.set_lock(&lock)
    {
        let _ = tx.send(RunEvent::StateLocked(lock));
    }
}

fn on_stderr_line(raw: &[u8], tx: &mpsc::UnboundedSender<RunEvent>, collected: &Collected) {
    let text = String::from_utf8_lossy(raw);
    let line = text.trim_end_matches(['\n', '\r']).to_string();
    if line.contains(INTERRUPT_MARKER) {
        collected.saw_interrupt.store(true, Ordering::SeqCst);
    }
    {
        let mut all = collected
            .stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if all.len() < MAX_STDERR_BYTES {
            all.push_str(&line);
            all.push('\n');
        }
    }
    let _ = tx.send(RunEvent::Stderr(line));
}

/// Follows one output file from its start until the process has exited and the file's end is
/// read.
async fn tail(
    path: PathBuf,
    stream: Stream,
    tx: mpsc::UnboundedSender<RunEvent>,
    collected: Arc<Collected>,
    done: oneshot::Sender<()>,
) {
    let mut file = None;
    let mut splitter = LineSplitter::new(MAX_LINE_BYTES);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut on_line = |raw: &[u8]| match stream {
        Stream::Stdout => on_stdout_line(raw, &tx, &collected),
        Stream::Stderr => on_stderr_line(raw, &tx, &collected),
    };
    loop {
        // Read the flag before reading: an end of file seen after the exit is the real end.
        let exited = collected.exited.load(Ordering::SeqCst);
        if file.is_none() {
            file = tokio::fs::File::open(&path).await.ok();
        }
        let n = match file.as_mut() {
            Some(f) => f.read(&mut chunk).await.unwrap_or(0),
            None => 0,
        };
        if n > 0 {
            collected.touch();
            splitter.push(&chunk[..n], &mut on_line);
            continue;
        }
        if exited {
            break;
        }
        let _ = tokio::time::timeout(POLL, collected.exit_notify.notified()).await;
    }
    splitter.finish(&mut on_line);
    if stream == Stream::Stderr {
        // Plain-text runs (init -migrate-state) print a lock error on stderr.
        let lock = {
            let all = collected
                .stderr
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            LockInfo::parse(&all)
        };
        if let Some(lock) = lock
            && collected.set_lock(&lock)
        {
            let _ = tx.send(RunEvent::StateLocked(lock));
        }
    }
    let _ = done.send(());
}

/// What the supervisor waits on: its own child, or a run it attached to.
enum Waiter {
    Child(Box<Child>),
    Attached { pid: u32, start_ticks: Option<u64> },
}

/// The exit of what the supervisor waits on: an exit status, or for an attached run, that its
/// process is gone.
enum Ended {
    Status(std::io::Result<std::process::ExitStatus>),
    Gone,
}

impl Waiter {
    async fn wait(&mut self) -> Ended {
        match self {
            Waiter::Child(child) => Ended::Status(child.wait().await),
            Waiter::Attached { pid, start_ticks } => {
                while process_is(*pid, *start_ticks) {
                    tokio::time::sleep(ATTACHED_POLL).await;
                }
                Ended::Gone
            }
        }
    }
}

struct Supervisor {
    tracker: Option<RunTracker>,
    waiter: Waiter,
    pid: u32,
    command: String,
    ctrl_rx: mpsc::UnboundedReceiver<Control>,
    tx: mpsc::UnboundedSender<RunEvent>,
    shared: Arc<Mutex<Shared>>,
    collected: Arc<Collected>,
    watchdog: Option<Duration>,
    exit_grace: Duration,
    detailed_exitcode: bool,
    out_done: oneshot::Receiver<()>,
    err_done: oneshot::Receiver<()>,
    started: Instant,
    /// The run's record (own runs only), completed with the exit.
    record: Option<(PathBuf, RunRecord)>,
}

fn send_signal(pid: u32, signal: Signal, whole_group: bool) {
    let Ok(raw) = i32::try_from(pid) else {
        return;
    };
    let pid = Pid::from_raw(raw);
    if whole_group && killpg(pid, signal).is_ok() {
        return;
    }
    if let Err(e) = kill(pid, signal) {
        tracing::warn!("could not send {signal} to terraform (pid {pid}): {e}");
    }
}

async fn supervise(mut s: Supervisor) {
    let mut silence_start = s.collected.last_activity();
    let mut silent_reports: u32 = 0;
    let ended = loop {
        let deadline = s.watchdog.map(|w| {
            let last = s.collected.last_activity();
            if last != silence_start {
                silence_start = last;
                silent_reports = 0;
            }
            tokio::time::Instant::from_std(silence_start + w * (silent_reports + 1))
        });
        tokio::select! {
            biased;
            ended = s.waiter.wait() => break ended,
            Some(control) = s.ctrl_rx.recv() => {
                // An own child has not been reaped (its wait has not completed), so the pid is
                // still ours even if the process has just exited. An attached run is checked
                // to still be the recorded process first.
                let ours = match &s.waiter {
                    Waiter::Child(_) => true,
                    Waiter::Attached { pid, start_ticks } => process_is(*pid, *start_ticks),
                };
                if ours {
                    match control {
                        // The whole group, as a Ctrl-C in a terminal: terraform stops
                        // cleanly; its providers ignore SIGINT and are stopped by it.
                        Control::Interrupt => send_signal(s.pid, Signal::SIGINT, true),
                        Control::Kill => send_signal(s.pid, Signal::SIGKILL, true),
                    }
                }
            }
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending::<()>().await,
                }
            } => {
                let last = s.collected.last_activity();
                if last == silence_start {
                    silent_reports += 1;
                    let _ = s.tx.send(RunEvent::Silent { silent_for: last.elapsed() });
                }
            }
        }
    };
    lock_shared(&s.shared).exited = true;
    if let Some(t) = &s.tracker {
        t.unregister(s.pid);
    }
    s.collected.exited.store(true, Ordering::SeqCst);
    s.collected.exit_notify.notify_waiters();
    let _ = tokio::time::timeout(s.exit_grace, async {
        let _ = (&mut s.out_done).await;
        let _ = (&mut s.err_done).await;
    })
    .await;

    let (interrupt_requested, kill_sent) = {
        let sh = lock_shared(&s.shared);
        (sh.interrupt_sent.is_some(), sh.kill_sent)
    };
    let saw_interrupt = s.collected.saw_interrupt.load(Ordering::SeqCst);
    let stderr = cloned(&s.collected.stderr);
    let errors = cloned(&s.collected.errors);
    let lock = cloned(&s.collected.lock);
    let mut stderr = stderr;
    let (code, signal, kind) = match &ended {
        Ended::Status(status) => {
            let (code, signal) = match status {
                Ok(st) => (st.code(), st.signal()),
                Err(e) => {
                    stderr.push_str(&format!("siteup could not wait for terraform: {e}\n"));
                    (None, None)
                }
            };
            let kind = match (code, signal) {
                (_, Some(sig))
                    if !kill_sent && interrupt_requested && sig == Signal::SIGINT as i32 =>
                {
                    ExitKind::Interrupted
                }
                (_, Some(_)) => ExitKind::Killed,
                (Some(0), None) => ExitKind::Success,
                (Some(2), None) if s.detailed_exitcode => ExitKind::Changes,
                _ if saw_interrupt || interrupt_requested => ExitKind::Interrupted,
                _ if lock.is_some() => ExitKind::Locked,
                _ => ExitKind::Failed,
            };
            (code, signal, kind)
        }
        Ended::Gone => {
            // Not our child: no exit status. Its output tells how it ended.
            let kind = if kill_sent {
                ExitKind::Killed
            } else if saw_interrupt {
                ExitKind::Interrupted
            } else if lock.is_some() {
                ExitKind::Locked
            } else if errors.is_empty() && s.collected.saw_summary.load(Ordering::SeqCst) {
                ExitKind::Success
            } else {
                if errors.is_empty() {
                    stderr.push_str(&format!(
                        "terraform {} (process {}) ended while siteup was not watching it, and its output does not say that it finished; run the plan again to see what is left to do\n",
                        s.command, s.pid
                    ));
                }
                ExitKind::Failed
            };
            (None, None, kind)
        }
    };
    if let Some((path, mut record)) = s.record.take() {
        record.exit = Some(ExitRecord {
            code,
            signal,
            kind,
            finished_at: crate::project::now_rfc3339(),
        });
        if let Err(e) = record.write(&path) {
            tracing::warn!(
                "could not record the end of terraform's run in {}: {e}",
                path.display()
            );
        }
    }
    let outcome = RunOutcome {
        kind,
        code,
        signal,
        stderr,
        errors,
        lock,
        interrupt_requested,
        saw_interrupt,
        duration: s.started.elapsed(),
    };
    let _ = s.tx.send(RunEvent::Exited(outcome));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_splitter_splits_caps_and_keeps_the_last_line() {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut sp = LineSplitter::new(5);
        sp.push(b"one\ntwo-lo", |l| lines.push(l.to_vec()));
        sp.push(b"ng-line\nla", |l| lines.push(l.to_vec()));
        sp.push(b"st", |l| lines.push(l.to_vec()));
        assert_eq!(lines, [b"one".to_vec(), b"two-l".to_vec()]);
        sp.finish(|l| lines.push(l.to_vec()));
        assert_eq!(lines.last().map(Vec::as_slice), Some(&b"last"[..]));
        let before = lines.len();
        sp.finish(|l| lines.push(l.to_vec()));
        assert_eq!(lines.len(), before, "nothing left after finish");
    }

    #[test]
    fn args_never_auto_approve() {
        let dir = Path::new("/proj");
        let plan = TfCommand::Plan(PlanOptions {
            out: Some("plan.bin".into()),
            detailed_exitcode: true,
            skip_refresh: true,
            vars: vec![("a".into(), "b".into())],
            lock_timeout: Some(Duration::from_secs(5)),
            ..PlanOptions::default()
        });
        let args: Vec<String> = plan
            .args(dir)
            .expect("args")
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "plan",
                "-input=false",
                "-json",
                "-no-color",
                "-detailed-exitcode",
                "-refresh=false",
                "-lock-timeout=5s",
                "-var",
                "a=b",
                "-out=/proj/plan.bin"
            ]
        );
        let raw = TfCommand::Raw(vec!["apply".into(), "-auto-approve".into()]);
        assert!(matches!(raw.args(dir), Err(TfError::AutoApproveRefused)));
        let raw = TfCommand::Raw(vec!["apply".into(), "--auto-approve=true".into()]);
        assert!(matches!(raw.args(dir), Err(TfError::AutoApproveRefused)));
        let init = TfCommand::Init(InitOptions {
            migrate_state: true,
            force_copy: true,
            ..InitOptions::default()
        });
        let args: Vec<String> = init
            .args(dir)
            .expect("args")
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "init",
                "-input=false",
                "-no-color",
                "-migrate-state",
                "-force-copy"
            ]
        );
    }

    #[test]
    fn stderr_summary() {
        let text = "\n╷\n│ Error: Failed to load plugin schemas\n│ \n│ Error while loading schemas for plugin components: boom.\n╵\n";
        assert_eq!(
            summarize_stderr(text).as_deref(),
            Some(
                "Failed to load plugin schemas Error while loading schemas for plugin components: boom."
            )
        );
        assert_eq!(summarize_stderr("a\nb\n\n").as_deref(), Some("b"));
        assert_eq!(summarize_stderr(""), None);
    }
}
