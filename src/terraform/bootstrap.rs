//! The state bootstrap: the state bucket is created with local state, then the state moves into
//! it, and only once the bucket is seen to hold every resource are the local files deleted.
//!
//! Six sub-steps ([`BootstrapStep`]), each safe to run again, each recorded once done through a
//! [`BootstrapProgress`] (the journal, or a small JSON file in `.siteup/`):
//!
//! 1. `init` with local state;
//! 2. plan and apply only the state bucket (`-target`, [`crate::tfgen::Phase::StateBootstrap`]),
//!    through a reviewed plan that the caller approves ([`BootstrapHooks::approve`]);
//! 3. write `backend.tf` (the generated project with the S3 backend; in sandbox mode the
//!    override is rewritten with the emulator's backend);
//! 4. `init -migrate-state -force-copy -input=false`;
//! 5. verify that the remote state (`terraform state pull`) holds every resource instance the
//!    local state held, each with the same `id` (terraform gives the migrated state a new
//!    lineage, so lineage and serial cannot be compared);
//! 6. only then delete the local `terraform.tfstate` and `terraform.tfstate.backup` (verifying
//!    again first when they are still there).
//!
//! A run resumes at the first sub-step not recorded ([`next_step`]); a sub-step that was done but
//! not recorded (siteup killed in between) is done again, which changes nothing. A terraform still
//! running from a siteup that died is waited for (and followed) before anything else runs. Once
//! every sub-step is recorded, running it again does nothing.
//!
//! The journey applies the state bucket through its own reviewed plan and then calls
//! [`migrate`], which runs sub-steps 3 to 6 the same way, resumable by what it observes.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::TfError;
use super::events::diagnostics_of;
use super::plan_review::{ApprovedPlan, PlanReview};
use super::runner::{
    ExitKind, InitOptions, PlanOptions, RunController, RunEvent, RunHandle, RunOutcome, Terraform,
    TfCommand,
};
use crate::project::atomic::write_atomic;
use crate::project::journal::Journal;
use crate::site::SiteConfig;
use crate::tfgen::{self, Backend, GenerateOptions, Phase, TfgenError, sandbox_override};

/// The local state file terraform writes without a backend.
pub const LOCAL_STATE: &str = "terraform.tfstate";
/// The previous local state (after a migration: the whole state, with its secrets).
pub const LOCAL_STATE_BACKUP: &str = "terraform.tfstate.backup";
/// The journal step that [`JournalProgress`] records into.
pub const JOURNAL_STEP: &str = "state_bootstrap";

/// One sub-step of the bootstrap, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BootstrapStep {
    InitLocal,
    ApplyStateBucket,
    WriteBackend,
    MigrateState,
    VerifyRemote,
    RemoveLocalState,
}

impl BootstrapStep {
    pub const ALL: [BootstrapStep; 6] = [
        BootstrapStep::InitLocal,
        BootstrapStep::ApplyStateBucket,
        BootstrapStep::WriteBackend,
        BootstrapStep::MigrateState,
        BootstrapStep::VerifyRemote,
        BootstrapStep::RemoveLocalState,
    ];

    /// A stable identifier for records (`init_local`, ...).
    pub fn id(self) -> &'static str {
        match self {
            BootstrapStep::InitLocal => "init_local",
            BootstrapStep::ApplyStateBucket => "apply_state_bucket",
            BootstrapStep::WriteBackend => "write_backend",
            BootstrapStep::MigrateState => "migrate_state",
            BootstrapStep::VerifyRemote => "verify_remote",
            BootstrapStep::RemoveLocalState => "remove_local_state",
        }
    }

    pub fn from_id(id: &str) -> Option<BootstrapStep> {
        BootstrapStep::ALL.into_iter().find(|s| s.id() == id)
    }

    /// What the sub-step does, for the user.
    pub fn describe(self) -> &'static str {
        match self {
            BootstrapStep::InitLocal => "Prepare terraform with local state",
            BootstrapStep::ApplyStateBucket => "Create the state bucket",
            BootstrapStep::WriteBackend => "Write backend.tf (state in the bucket)",
            BootstrapStep::MigrateState => "Move the state into the bucket",
            BootstrapStep::VerifyRemote => "Check that the bucket holds every resource",
            BootstrapStep::RemoveLocalState => "Delete the local state files",
        }
    }
}

/// The first sub-step not yet recorded as done; `None` when the bootstrap is complete.
pub fn next_step(completed: &[BootstrapStep]) -> Option<BootstrapStep> {
    BootstrapStep::ALL
        .into_iter()
        .find(|s| !completed.contains(s))
}

/// Why the bootstrap stopped. One sentence each, with the next step.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Terraform(#[from] TfError),
    #[error(transparent)]
    Generate(#[from] TfgenError),
    #[error(
        "The plan for the state bucket was not approved, so siteup stopped before creating it; run siteup again to review it again."
    )]
    Declined,
    #[error(
        "backend.tf in {} was edited, so siteup did not replace it; undo the edit (or run `siteup generate --force`) and run siteup again.",
        dir.display()
    )]
    BackendEdited { dir: PathBuf },
    #[error(
        "The state in the bucket {bucket} does not hold everything the local state holds ({problem}); the local state files were kept: run siteup again to retry the move."
    )]
    VerifyFailed { bucket: String, problem: String },
    #[error(
        "terraform's state could not be read ({0}); the local state files were kept: run siteup again, and if this repeats run `terraform state pull` in the terraform folder to see why."
    )]
    StateUnreadable(String),
    #[error(
        "Could not {action} {}: {source}; check the folder's permissions and run siteup again.",
        path.display()
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "Could not record the progress of the state move in {}: {detail}; check free space and permissions, then run siteup again.",
        path.display()
    )]
    Progress { path: PathBuf, detail: String },
}

/// Where the completed sub-steps are recorded.
pub trait BootstrapProgress {
    /// The sub-steps recorded as done.
    fn completed(&self) -> Vec<BootstrapStep>;
    /// Records `step` as done (durably: it must survive the process).
    fn record(&mut self, step: BootstrapStep) -> Result<(), BootstrapError>;
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProgressJson {
    #[serde(default)]
    completed: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
}

/// Progress in a small JSON file (`{"completed": ["init_local", ...]}`), written atomically.
#[derive(Debug, Clone)]
pub struct ProgressFile {
    path: PathBuf,
    completed: Vec<BootstrapStep>,
}

impl ProgressFile {
    /// The file at `path` (a missing file is a bootstrap not started).
    pub fn load(path: impl Into<PathBuf>) -> Result<ProgressFile, BootstrapError> {
        let path = path.into();
        let completed = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let parsed: ProgressJson =
                    serde_json::from_str(&text).map_err(|e| BootstrapError::Progress {
                        path: path.clone(),
                        detail: format!("the file is damaged ({e}); delete it to start over"),
                    })?;
                parsed
                    .completed
                    .iter()
                    .filter_map(|id| BootstrapStep::from_id(id))
                    .collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(BootstrapError::Io {
                    action: "read",
                    path,
                    source: e,
                });
            }
        };
        Ok(ProgressFile { path, completed })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl BootstrapProgress for ProgressFile {
    fn completed(&self) -> Vec<BootstrapStep> {
        self.completed.clone()
    }

    fn record(&mut self, step: BootstrapStep) -> Result<(), BootstrapError> {
        let mut completed = self.completed.clone();
        if !completed.contains(&step) {
            completed.push(step);
        }
        let json = ProgressJson {
            completed: completed.iter().map(|s| s.id().to_string()).collect(),
            updated_at: Some(crate::project::now_rfc3339()),
        };
        let bytes = serde_json::to_vec_pretty(&json).unwrap_or_default();
        let err = |detail: String| BootstrapError::Progress {
            path: self.path.clone(),
            detail,
        };
        if let Some(dir) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        write_atomic(&self.path, &bytes).map_err(|e| err(e.to_string()))?;
        self.completed = completed;
        Ok(())
    }
}

/// Progress in the journal: the fact `completed` of step [`JOURNAL_STEP`] (comma-separated
/// sub-step ids), saved after every sub-step.
pub struct JournalProgress<'a> {
    journal: &'a mut Journal,
    state_dir: PathBuf,
}

impl<'a> JournalProgress<'a> {
    pub fn new(journal: &'a mut Journal, state_dir: impl Into<PathBuf>) -> JournalProgress<'a> {
        JournalProgress {
            journal,
            state_dir: state_dir.into(),
        }
    }
}

/// The sub-steps the journal records as done.
pub fn journal_completed(journal: &Journal) -> Vec<BootstrapStep> {
    journal
        .fact(JOURNAL_STEP, "completed")
        .unwrap_or("")
        .split(',')
        .filter_map(|id| BootstrapStep::from_id(id.trim()))
        .collect()
}

impl BootstrapProgress for JournalProgress<'_> {
    fn completed(&self) -> Vec<BootstrapStep> {
        journal_completed(self.journal)
    }

    fn record(&mut self, step: BootstrapStep) -> Result<(), BootstrapError> {
        let mut completed = journal_completed(self.journal);
        if !completed.contains(&step) {
            completed.push(step);
        }
        let ids: Vec<&str> = completed.iter().map(|s| s.id()).collect();
        self.journal
            .set_fact(JOURNAL_STEP, "completed", &ids.join(","));
        self.journal
            .save(&self.state_dir)
            .map_err(|e| BootstrapError::Progress {
                path: Journal::path_in(&self.state_dir),
                detail: e.to_string(),
            })
    }
}

/// What the caller sees and decides during the bootstrap.
pub trait BootstrapHooks: Send {
    /// The reviewed plan for the state bucket (it changes something): `Some` with the approved
    /// plan to apply it, `None` to stop ([`BootstrapError::Declined`]).
    fn approve(&mut self, review: &PlanReview)
    -> impl Future<Output = Option<ApprovedPlan>> + Send;
    /// A sub-step starts.
    fn step_started(&mut self, _step: BootstrapStep) {}
    /// A terraform run of `step` started (or was found still running from an earlier siteup):
    /// the controller interrupts it.
    fn run_started(&mut self, _step: Option<BootstrapStep>, _controller: RunController) {}
    /// Something terraform printed.
    fn run_event(&mut self, _step: Option<BootstrapStep>, _event: &RunEvent) {}
    /// A sub-step is done (and recorded).
    fn step_done(&mut self, _step: BootstrapStep) {}
}

/// Approves any plan that only creates or updates (for tests and `--yes`); a plan that would
/// delete or replace something is declined.
#[derive(Clone, Copy, Debug, Default)]
pub struct AutoApprove;

impl BootstrapHooks for AutoApprove {
    async fn approve(&mut self, review: &PlanReview) -> Option<ApprovedPlan> {
        if review.is_destructive() {
            return None;
        }
        let answer = match review.approval() {
            super::plan_review::Approval::YesNo { .. } => "y".to_string(),
            super::plan_review::Approval::TypeToConfirm { word, .. } => word,
            super::plan_review::Approval::NothingToDo => return None,
        };
        review.approve(&answer).ok()
    }
}

/// What the bootstrap needs.
#[derive(Clone, Copy, Debug)]
pub struct BootstrapContext<'a> {
    /// Terraform, working in the project's terraform folder, with the caller's environment
    /// (sandbox endpoint and credentials, CLI config).
    pub terraform: &'a Terraform,
    pub config: &'a SiteConfig,
    /// Where the saved plan for the state bucket goes (e.g. `.siteup/plans/state.tfplan`).
    pub plan_file: &'a Path,
}

impl BootstrapContext<'_> {
    fn dir(&self) -> &Path {
        self.terraform.working_dir()
    }
}

/// What a bootstrap run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BootstrapReport {
    /// The sub-steps this run carried out, in order.
    pub ran: Vec<BootstrapStep>,
    /// The resource instances the remote state holds (when this run verified it).
    pub remote_resources: Vec<String>,
}

/// Runs the bootstrap from the first sub-step not recorded in `progress` to the end, recording
/// each one as it completes. Returns at once when every sub-step is recorded.
pub async fn run_bootstrap<H: BootstrapHooks>(
    ctx: BootstrapContext<'_>,
    progress: &mut (dyn BootstrapProgress + Send),
    hooks: &mut H,
) -> Result<BootstrapReport, BootstrapError> {
    let mut report = BootstrapReport::default();
    if next_step(&progress.completed()).is_none() {
        return Ok(report);
    }
    wait_for_running(ctx.terraform, hooks).await?;
    while let Some(step) = next_step(&progress.completed()) {
        hooks.step_started(step);
        match step {
            BootstrapStep::InitLocal => init_local(ctx.terraform, hooks).await?,
            BootstrapStep::ApplyStateBucket => apply_state_bucket(ctx, hooks).await?,
            BootstrapStep::WriteBackend => write_backend(ctx.config, ctx.dir())?,
            BootstrapStep::MigrateState => migrate_state(ctx.terraform, Some(&mut *hooks)).await?,
            BootstrapStep::VerifyRemote => {
                report.remote_resources = verify_remote(ctx.terraform, ctx.config).await?;
            }
            BootstrapStep::RemoveLocalState => {
                remove_local_state(ctx.terraform, ctx.config).await?
            }
        }
        progress.record(step)?;
        report.ran.push(step);
        hooks.step_done(step);
    }
    Ok(report)
}

/// Sub-steps 3 to 6 for a project whose state bucket is already applied (the journey applies
/// it through its own reviewed plan): write `backend.tf`, migrate, verify, delete the local
/// files. Each is resumable by what it observes, so calling it again after an interruption, or
/// after success, is safe. `terraform` works in `terraform_dir`.
pub async fn migrate(
    terraform: &Terraform,
    config: &SiteConfig,
    terraform_dir: &Path,
) -> Result<(), BootstrapError> {
    let tf = terraform;
    struct NoHooks;
    impl BootstrapHooks for NoHooks {
        async fn approve(&mut self, _review: &PlanReview) -> Option<ApprovedPlan> {
            None
        }
    }
    wait_for_running(tf, &mut NoHooks).await?;
    write_backend(config, terraform_dir)?;
    migrate_state::<NoHooks>(tf, None).await?;
    let dir = tf.working_dir();
    if [LOCAL_STATE, LOCAL_STATE_BACKUP]
        .iter()
        .any(|f| dir.join(f).exists())
    {
        // Verifies the remote state (one `state pull`) before it deletes anything.
        remove_local_state(tf, config).await
    } else {
        verify_remote(tf, config).await.map(|_| ())
    }
}

/// Whether `terraform.tfstate` (not the backup) holds a state: what a migration would copy.
fn local_state_present(dir: &Path) -> bool {
    std::fs::read(dir.join(LOCAL_STATE))
        .map(|b| !b.iter().all(u8::is_ascii_whitespace))
        .unwrap_or(false)
}

/// Waits for a terraform still running in this project (started by a siteup that died), so
/// that no second one starts; its output goes to the hooks.
async fn wait_for_running<H: BootstrapHooks>(
    tf: &Terraform,
    hooks: &mut H,
) -> Result<(), BootstrapError> {
    while let Some(running) = tf.running() {
        let handle = tf.attach(&running);
        follow(handle, None, hooks).await;
    }
    Ok(())
}

/// Reads a run's events to its end, passing them to the hooks.
async fn follow<H: BootstrapHooks>(
    mut handle: RunHandle,
    step: Option<BootstrapStep>,
    hooks: &mut H,
) -> (Vec<super::events::TfEvent>, RunOutcome) {
    hooks.run_started(step, handle.controller());
    let mut lines = Vec::new();
    while let Some(ev) = handle.next_event().await {
        hooks.run_event(step, &ev);
        match ev {
            RunEvent::Line(l) => lines.push(l),
            RunEvent::Exited(outcome) => return (lines, outcome),
            _ => {}
        }
    }
    let outcome = RunOutcome {
        kind: ExitKind::Failed,
        code: None,
        signal: None,
        stderr: "siteup lost track of terraform before it exited".into(),
        errors: Vec::new(),
        lock: None,
        interrupt_requested: false,
        saw_interrupt: false,
        duration: std::time::Duration::ZERO,
    };
    (lines, outcome)
}

async fn run<H: BootstrapHooks>(
    tf: &Terraform,
    command: &TfCommand,
    step: Option<BootstrapStep>,
    hooks: &mut H,
) -> Result<(Vec<super::events::TfEvent>, RunOutcome), BootstrapError> {
    let name = command.name();
    let handle = tf.spawn(command)?;
    let (lines, outcome) = follow(handle, step, hooks).await;
    let outcome = outcome.into_result(&name)?;
    Ok((lines, outcome))
}

/// Sub-step 1: `terraform init` with local state.
pub async fn init_local<H: BootstrapHooks>(
    tf: &Terraform,
    hooks: &mut H,
) -> Result<(), BootstrapError> {
    run(
        tf,
        &TfCommand::Init(InitOptions::default()),
        Some(BootstrapStep::InitLocal),
        hooks,
    )
    .await
    .map(|_| ())
}

/// Sub-step 2: plan the state bucket only, have the caller approve the reviewed plan, apply it.
/// Nothing to do (already applied) is success.
pub async fn apply_state_bucket<H: BootstrapHooks>(
    ctx: BootstrapContext<'_>,
    hooks: &mut H,
) -> Result<(), BootstrapError> {
    let step = Some(BootstrapStep::ApplyStateBucket);
    if let Some(dir) = ctx.plan_file.parent() {
        std::fs::create_dir_all(dir).map_err(|source| BootstrapError::Io {
            action: "create the folder",
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let plan = TfCommand::Plan(PlanOptions {
        out: Some(ctx.plan_file.to_path_buf()),
        targets: tfgen::phase_targets(ctx.config, Phase::StateBootstrap),
        ..PlanOptions::default()
    });
    let (lines, _) = run(ctx.terraform, &plan, step, hooks).await?;
    let review = ctx
        .terraform
        .review_plan(ctx.plan_file, diagnostics_of(&lines))
        .await?;
    if review.is_empty() {
        let _ = std::fs::remove_file(ctx.plan_file);
        return Ok(());
    }
    let Some(approved) = hooks.approve(&review).await else {
        return Err(BootstrapError::Declined);
    };
    run(ctx.terraform, &TfCommand::Apply(approved), step, hooks).await?;
    let _ = std::fs::remove_file(ctx.plan_file);
    Ok(())
}

/// Sub-step 3: the generated project with the S3 backend (`backend.tf`); in sandbox mode the
/// override is rewritten so that its backend points at the emulator too.
pub fn write_backend(config: &SiteConfig, terraform_dir: &Path) -> Result<(), BootstrapError> {
    let files = tfgen::render(
        config,
        &GenerateOptions {
            backend: Backend::S3,
        },
    )?;
    tfgen::write_project(terraform_dir, &files, false)?;
    let wanted = files
        .iter()
        .find(|f| f.path == Path::new("backend.tf"))
        .map(|f| f.bytes.clone())
        .unwrap_or_default();
    if std::fs::read(terraform_dir.join("backend.tf")).ok() != Some(wanted) {
        return Err(BootstrapError::BackendEdited {
            dir: terraform_dir.to_path_buf(),
        });
    }
    if let Some(url) = sandbox_override::sandbox_url(terraform_dir) {
        sandbox_override::write(terraform_dir, config, Some(&url))?;
    }
    Ok(())
}

/// Sub-step 4: `terraform init -migrate-state -force-copy -input=false` (the local state is
/// copied into the bucket; terraform leaves an empty `terraform.tfstate` and the whole state in
/// `terraform.tfstate.backup`).
///
/// Only while `terraform.tfstate` holds a state. After a migration that file is empty: it is
/// deleted (so that an empty state can never be copied over the bucket's, e.g. after `.terraform`
/// was removed), and terraform is only initialised with the S3 backend if it is not yet.
pub async fn migrate_state<H: BootstrapHooks>(
    tf: &Terraform,
    hooks: Option<&mut H>,
) -> Result<(), BootstrapError> {
    let dir = tf.working_dir();
    let command = if local_state_present(dir) {
        TfCommand::Init(InitOptions {
            migrate_state: true,
            force_copy: true,
            ..InitOptions::default()
        })
    } else {
        let empty = dir.join(LOCAL_STATE);
        match std::fs::remove_file(&empty) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(BootstrapError::Io {
                    action: "delete the empty",
                    path: empty,
                    source,
                });
            }
        }
        if is_s3_backend(dir) {
            return Ok(());
        }
        TfCommand::Init(InitOptions::default())
    };
    match hooks {
        Some(h) => run(tf, &command, Some(BootstrapStep::MigrateState), h)
            .await
            .map(|_| ()),
        None => {
            let (_, outcome) = tf.spawn(&command)?.wait().await;
            outcome.into_result(&command.name()).map(|_| ())?;
            Ok(())
        }
    }
}

/// A state file's resource instances (`aws_s3_bucket.state`, `aws_route53_record.x[0]`,
/// `module.m.aws_x.y["k"]`) with their `id` attribute, lineage and serial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateSummary {
    pub instances: BTreeSet<String>,
    pub ids: std::collections::BTreeMap<String, Option<String>>,
    pub lineage: Option<String>,
    pub serial: Option<u64>,
}

/// Reads terraform's state JSON (v4).
pub fn summarize_state(json: &[u8]) -> Result<StateSummary, String> {
    let v: Value = serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
    if !v.is_object() {
        return Err("not a state object".into());
    }
    let mut instances = BTreeSet::new();
    let mut ids = std::collections::BTreeMap::new();
    for r in v["resources"].as_array().into_iter().flatten() {
        let mut base = String::new();
        if let Some(m) = r["module"].as_str() {
            base.push_str(m);
            base.push('.');
        }
        if r["mode"].as_str() == Some("data") {
            base.push_str("data.");
        }
        base.push_str(r["type"].as_str().unwrap_or("?"));
        base.push('.');
        base.push_str(r["name"].as_str().unwrap_or("?"));
        let list = r["instances"].as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            instances.insert(base.clone());
        }
        for i in list {
            let addr = match &i["index_key"] {
                Value::Number(n) => format!("{base}[{n}]"),
                Value::String(s) => format!("{base}[{}]", Value::String(s.clone())),
                _ => base.clone(),
            };
            ids.insert(
                addr.clone(),
                i["attributes"]["id"].as_str().map(str::to_string),
            );
            instances.insert(addr);
        }
    }
    Ok(StateSummary {
        instances,
        ids,
        lineage: v["lineage"].as_str().map(str::to_string),
        serial: v["serial"].as_u64(),
    })
}

/// The local state, if any is left: `terraform.tfstate` when it is not empty, else
/// `terraform.tfstate.backup` (where terraform leaves it after a migration).
pub fn local_state_resources(dir: &Path) -> Option<(PathBuf, StateSummary)> {
    for name in [LOCAL_STATE, LOCAL_STATE_BACKUP] {
        let path = dir.join(name);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Ok(summary) = summarize_state(&bytes) {
            return Some((path, summary));
        }
    }
    None
}

/// `terraform state pull`, summarised.
pub async fn remote_state(tf: &Terraform) -> Result<StateSummary, BootstrapError> {
    let out = tf
        .capture(&["state", "pull"])
        .await?
        .ok("state pull")
        .map_err(|e| BootstrapError::StateUnreadable(e.to_string()))?;
    summarize_state(&out.stdout).map_err(BootstrapError::StateUnreadable)
}

/// Sub-step 5: the remote state holds every instance the local state holds, with the same `id`,
/// and in any case the state bucket itself. Returns the remote instances.
pub async fn verify_remote(
    tf: &Terraform,
    config: &SiteConfig,
) -> Result<Vec<String>, BootstrapError> {
    let bucket = config.state_bucket.as_str().to_string();
    let fail = |problem: String| BootstrapError::VerifyFailed {
        bucket: bucket.clone(),
        problem,
    };
    let dir = tf.working_dir();
    if !is_s3_backend(dir) {
        return Err(fail(
            "terraform is not set up with the S3 backend yet".to_string(),
        ));
    }
    let remote = remote_state(tf).await?;
    let mut wanted: BTreeSet<String> = tfgen::phase_targets(config, Phase::StateBootstrap)
        .into_iter()
        .collect();
    if let Some((path, local)) = local_state_resources(dir) {
        wanted.extend(local.instances.iter().cloned());
        let differing: Vec<&String> = local
            .ids
            .iter()
            .filter(|(addr, id)| {
                remote
                    .ids
                    .get(*addr)
                    .is_some_and(|remote_id| remote_id != *id)
            })
            .map(|(addr, _)| addr)
            .collect();
        if !differing.is_empty() {
            return Err(fail(format!(
                "{} differ from {}",
                differing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                path.display()
            )));
        }
    }
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !remote.instances.contains(*w))
        .collect();
    if !missing.is_empty() {
        return Err(fail(format!(
            "missing: {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(remote.instances.into_iter().collect())
}

/// Whether terraform's working directory is initialised with the S3 backend.
fn is_s3_backend(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(".terraform/terraform.tfstate"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|v| v["backend"]["type"].as_str() == Some("s3"))
}

/// Sub-step 6: deletes `terraform.tfstate` and `terraform.tfstate.backup`, after verifying the
/// remote state again when either is still there.
pub async fn remove_local_state(tf: &Terraform, config: &SiteConfig) -> Result<(), BootstrapError> {
    let dir = tf.working_dir();
    let paths = [dir.join(LOCAL_STATE), dir.join(LOCAL_STATE_BACKUP)];
    if !paths.iter().any(|p| p.exists()) {
        return Ok(());
    }
    verify_remote(tf, config).await?;
    for path in paths {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(BootstrapError::Io {
                    action: "delete",
                    path,
                    source,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_step_is_the_first_not_recorded() {
        assert_eq!(next_step(&[]), Some(BootstrapStep::InitLocal));
        assert_eq!(
            next_step(&[BootstrapStep::InitLocal, BootstrapStep::WriteBackend]),
            Some(BootstrapStep::ApplyStateBucket)
        );
        assert_eq!(next_step(&BootstrapStep::ALL), None);
        for s in BootstrapStep::ALL {
            assert_eq!(BootstrapStep::from_id(s.id()), Some(s));
        }
    }

    #[test]
    fn progress_file_survives_a_reload() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".siteup/bootstrap.json");
        let mut p = ProgressFile::load(&path).expect("missing is empty");
        assert!(p.completed().is_empty());
        p.record(BootstrapStep::InitLocal).expect("record");
        p.record(BootstrapStep::ApplyStateBucket).expect("record");
        p.record(BootstrapStep::InitLocal).expect("again");
        let back = ProgressFile::load(&path).expect("load");
        assert_eq!(
            back.completed(),
            [BootstrapStep::InitLocal, BootstrapStep::ApplyStateBucket]
        );
        std::fs::write(&path, "{not json").expect("damage");
        assert!(matches!(
            ProgressFile::load(&path),
            Err(BootstrapError::Progress { .. })
        ));
    }

    #[test]
    fn journal_progress_is_saved() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state_dir = dir.path().join(".siteup");
        let mut journal = Journal::new();
        let mut p = JournalProgress::new(&mut journal, &state_dir);
        p.record(BootstrapStep::InitLocal).expect("record");
        p.record(BootstrapStep::ApplyStateBucket).expect("record");
        let back = Journal::load(&state_dir).expect("load");
        assert_eq!(
            journal_completed(&back),
            [BootstrapStep::InitLocal, BootstrapStep::ApplyStateBucket]
        );
    }

    #[test]
    fn state_summary_lists_instances() {
        let json = br#"{"version":4,"serial":7,"lineage":"abc","resources":[
            {"mode":"managed","type":"aws_s3_bucket","name":"state","instances":[{"attributes":{"id":"b"}}]},
            {"mode":"managed","type":"aws_route53_record","name":"dkim","instances":[{"index_key":0},{"index_key":1}]},
            {"mode":"managed","type":"aws_route53_record","name":"v","instances":[{"index_key":"example.com"}]},
            {"module":"module.m","mode":"data","type":"aws_caller_identity","name":"me","instances":[{}]}
        ]}"#;
        let s = summarize_state(json).expect("parses");
        assert_eq!(s.serial, Some(7));
        assert_eq!(s.lineage.as_deref(), Some("abc"));
        assert_eq!(s.ids["aws_s3_bucket.state"].as_deref(), Some("b"));
        assert_eq!(s.ids["aws_route53_record.dkim[0]"], None);
        let got: Vec<&str> = s.instances.iter().map(String::as_str).collect();
        assert_eq!(
            got,
            [
                "aws_route53_record.dkim[0]",
                "aws_route53_record.dkim[1]",
                "aws_route53_record.v[\"example.com\"]",
                "aws_s3_bucket.state",
                "module.m.data.aws_caller_identity.me",
            ]
        );
        assert!(summarize_state(b"").is_err());
        assert!(summarize_state(b"[]").is_err());
    }

    #[test]
    fn local_state_prefers_a_non_empty_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(local_state_resources(dir.path()).is_none());
        std::fs::write(dir.path().join(LOCAL_STATE), "").expect("empty");
        std::fs::write(
            dir.path().join(LOCAL_STATE_BACKUP),
            r#"{"lineage":"l","serial":3,"resources":[{"mode":"managed","type":"t","name":"n","instances":[{}]}]}"#,
        )
        .expect("backup");
        let (path, s) = local_state_resources(dir.path()).expect("the backup");
        assert!(path.ends_with(LOCAL_STATE_BACKUP));
        assert!(s.instances.contains("t.n"));
    }
}
