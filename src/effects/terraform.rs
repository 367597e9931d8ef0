//! The terraform handler: plan, apply, the state's move to S3, outputs, and adopting a zone
//! Route 53 already has. It owns the reviewed plans (an apply applies only the plan the user
//! reviewed) and the runs an interrupt reaches; it never starts a second terraform while one
//! runs, even one an earlier siteup started.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::{AwsChecks, BoxFuture, DelegationCheck, Project};
use crate::aws;
use crate::durations::Durations;
use crate::failure::Failure;
use crate::site::SiteConfig;
use crate::terraform::plan_review::{Approval, CONFIRM_WORD};
use crate::terraform::progress::ResourceStatus;
use crate::terraform::{
    ApplyProgress, ExitKind, InitOptions, PlanOptions, PlanReview, RunEvent, RunTracker, Terraform,
    TfCommand, TfEvent,
};
use crate::tfgen;
use crate::wizard::Phase;
use crate::wizard::state::{ApplyResult, ApplyRow, ApplyRows, PlanFacts, RowState};
use crate::wizard::update::OutputFacts;

/// Where an apply reports its progress (per-resource rows for the UI).
pub type ProgressSink = mpsc::UnboundedSender<ApplyRows>;

/// What the journey asks of terraform.
pub trait TerraformJobs: Send + Sync {
    /// Plans a phase and keeps the plan for review; the facts the review pane shows.
    fn plan(&self, phase: Phase) -> BoxFuture<'_, Result<PlanFacts, Failure>>;
    /// Applies the reviewed plan; progress goes to the sink as it happens.
    fn apply(&self, phase: Phase, progress: ProgressSink) -> BoxFuture<'_, ApplyResult>;
    /// Moves the state to its S3 bucket, verified before any local file is deleted.
    fn migrate_state(&self) -> BoxFuture<'_, Result<(), Failure>>;
    /// The applied stack's outputs.
    fn read_outputs(&self) -> BoxFuture<'_, Result<OutputFacts, Failure>>;
    /// Asks a running terraform to stop cleanly (SIGINT); it saves its state and lock.
    fn interrupt(&self);
    /// Kills a running terraform (SIGKILL), only after the user confirmed the risk.
    fn kill(&self);
}

/// How to start terraform here.
pub struct TerraformSetup {
    pub program: PathBuf,
    /// A CLI config for terraform (the provider mirror): only the sandbox and tests set one.
    pub cli_config: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub env_remove: Vec<OsString>,
    /// Where the apply rows' learned durations live (one file for real AWS, one for the
    /// sandbox); `None` learns nothing.
    pub durations: Option<PathBuf>,
}

/// The real [`TerraformJobs`].
pub struct TerraformHandler {
    project: Arc<Project>,
    setup: TerraformSetup,
    /// Every terraform run of this journey (init, plan, apply, the state migration, and a run
    /// re-attached to): what an interrupt reaches.
    runs: RunTracker,
    plans: Mutex<HashMap<Phase, PlanReview>>,
    aws: Arc<dyn AwsChecks>,
    delegation: Arc<dyn DelegationCheck>,
    /// What siteup already knows, so that it runs terraform only where a run buys safety or
    /// information: see [`Known`].
    known: Mutex<Known>,
}

/// What this siteup saw terraform write, kept so that the journey does not run terraform again
/// to learn it. Each is dropped when a new apply starts.
#[derive(Default)]
struct Known {
    /// The outputs the last apply printed in its `-json` stream (the state's outputs after it).
    outputs: Option<crate::terraform::outputs::Outputs>,
    /// The remote state's instances, as the state's move verified them.
    state: Option<Vec<String>>,
    /// When the last apply ended successfully: a plan soon after it plans from the state it
    /// wrote, without reading every object back from AWS.
    applied_at: Option<std::time::Instant>,
}

/// Lock timeout for terraform operations: long enough to outwait a short-lived holder.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// How long after an apply a plan trusts the state that apply wrote (`-refresh=false`).
const FRESH_AFTER_APPLY: Duration = Duration::from_secs(10 * 60);

impl TerraformHandler {
    pub fn new(
        project: Arc<Project>,
        setup: TerraformSetup,
        aws: Arc<dyn AwsChecks>,
        delegation: Arc<dyn DelegationCheck>,
    ) -> Self {
        Self {
            project,
            setup,
            runs: RunTracker::new(),
            plans: Mutex::new(HashMap::new()),
            aws,
            delegation,
            known: Mutex::new(Known::default()),
        }
    }

    /// Whether `terraform init` has run here (outputs can be read without a network).
    pub fn initialised(&self) -> bool {
        self.project
            .paths()
            .terraform_dir()
            .join(".terraform")
            .is_dir()
    }

    /// The project this handler runs terraform for.
    pub(crate) fn project(&self) -> &Project {
        &self.project
    }

    /// Ready to run a new piece of work: no earlier interrupt applies, a terraform an earlier
    /// siteup left running has finished, and the folder is initialised.
    pub(crate) async fn prepare(&self) -> Result<(), Failure> {
        self.runs.reset();
        self.wait_for_running().await;
        self.ensure_init().await
    }

    pub(crate) fn terraform(&self) -> Terraform {
        let mut tf = Terraform::new(&self.setup.program, self.project.paths().terraform_dir())
            .envs(self.setup.env.iter().cloned())
            .tracked(self.runs.clone());
        if let Some(cfg) = &self.setup.cli_config {
            tf = tf.cli_config_file(cfg);
        }
        for k in &self.setup.env_remove {
            tf = tf.env_remove(k.clone());
        }
        tf
    }

    fn plan_file(&self, phase: Phase) -> PathBuf {
        self.project
            .paths()
            .state_dir()
            .join("plans")
            .join(format!("{}.tfplan", phase.id()))
    }

    /// When Route 53 already has a zone for the domain that the state does not manage (made by
    /// hand, by another tool, or by an earlier attempt whose state was lost), adopt it with an
    /// import block instead of creating a second zone with new nameservers. Returns what to tell
    /// the user.
    async fn adopt_existing_zone(
        &self,
        config: &SiteConfig,
        state: &[String],
    ) -> Result<Option<String>, Failure> {
        let import_file = self
            .project
            .paths()
            .terraform_dir()
            .join(tfgen::adopt::ADOPT_FILE);
        let managed = state.iter().any(|a| a == tfgen::names::ZONE_ADDRESS);
        if managed {
            return Ok(None);
        }
        let domain = config.domain.as_str();
        let zones = self.aws.find_zones(domain).await?;
        if zones.is_empty() {
            if let Err(e) = std::fs::remove_file(&import_file)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("removing {}: {e}", import_file.display());
            }
            return Ok(None);
        }
        // Prefer the zone the registry already delegates to.
        let delegated = self.delegation.registry_nameservers(domain).await;
        let Some(zone) = aws::route53::zone_to_adopt(&zones, &delegated) else {
            return Err(Failure::SeveralZones {
                listing: aws::route53::existing_zones_message(domain, &zones).unwrap_or_else(
                    || "Route 53 has several zones for the domain; delete the unused ones".into(),
                ),
            });
        };
        crate::project::atomic::write_atomic(
            &import_file,
            tfgen::adopt::render(domain, &zone.id).as_bytes(),
        )
        .map_err(|e| Failure::Write {
            path: import_file.clone(),
            problem: e.to_string(),
        })?;
        Ok(aws::route53::existing_zones_message(
            domain,
            std::slice::from_ref(zone),
        ))
    }

    /// After `siteup destroy`, the resources it kept (the table, the user pool, the deploys and
    /// state buckets) are adopted again with import blocks, in the phase that targets them, so
    /// the rebuild finds their names taken by themselves rather than failing. Once the state
    /// holds them all, the file and the teardown record go.
    fn adopt_kept(
        &self,
        config: &SiteConfig,
        state: &[String],
        targets: &[String],
    ) -> Result<(), Failure> {
        use crate::project::teardown::Teardown;
        let state_dir = self.project.paths().state_dir();
        let file = self
            .project
            .paths()
            .terraform_dir()
            .join(tfgen::teardown::KEPT_FILE);
        let Some(record) = Teardown::load(&state_dir)?.filter(Teardown::is_done) else {
            return Ok(());
        };
        let targeted: Vec<_> = record
            .kept
            .iter()
            .filter(|k| {
                targets.is_empty()
                    || targets
                        .iter()
                        .any(|t| k.address == *t || k.address.starts_with(&format!("{t}[")))
            })
            .cloned()
            .collect();
        let missing = tfgen::teardown::kept_imports(config.domain.as_str(), &record.kept, state);
        match tfgen::teardown::kept_imports(config.domain.as_str(), &targeted, state) {
            Some(text) => {
                crate::project::atomic::write_atomic(&file, text.as_bytes()).map_err(|e| {
                    Failure::Write {
                        path: file.clone(),
                        problem: e.to_string(),
                    }
                })?;
            }
            None => {
                if let Err(e) = crate::project::atomic::remove_if_present(&file) {
                    tracing::warn!("removing {}: {e}", file.display());
                }
                if missing.is_none() {
                    Teardown::remove(&state_dir)?;
                }
            }
        }
        Ok(())
    }

    /// The state's resource instances, from what siteup already knows where it can: the local
    /// state file while the backend is local (terraform would read that file), the instances
    /// the state's move verified; `terraform state list` otherwise.
    async fn state_addresses(&self) -> Result<Vec<String>, Failure> {
        let dir = self.project.paths().terraform_dir();
        if !crate::terraform::bootstrap::is_s3_backend(&dir)
            && let Ok(local) = crate::terraform::bootstrap::local_state_instances(&dir)
        {
            return Ok(local);
        }
        if let Some(known) = self.known.lock().ok().and_then(|k| k.state.clone()) {
            return Ok(known);
        }
        Ok(self.terraform().state_list().await?)
    }

    /// Whether this siteup's last apply ended moments ago, so a plan now need not read back
    /// from AWS what that apply just wrote. Nothing AWS gives up on (72 hours) or a person
    /// changes in the console is likely in that window; any later plan refreshes.
    fn just_applied(&self) -> bool {
        self.known
            .lock()
            .ok()
            .and_then(|k| k.applied_at)
            .is_some_and(|t| t.elapsed() < FRESH_AFTER_APPLY)
    }

    /// Waits for a terraform that an earlier siteup started here and that is still running
    /// (siteup was killed; terraform went on, as it should): never start a second one.
    async fn wait_for_running(&self) {
        let tf = self.terraform();
        while let Some(running) = tf.running() {
            tracing::info!("waiting for the terraform a previous siteup started to finish");
            // Attached runs are tracked too: an interrupt reaches them as it would our own.
            let mut handle = tf.attach(&running);
            while let Some(ev) = handle.next_event().await {
                if matches!(ev, RunEvent::Exited(_)) {
                    break;
                }
            }
            if self.runs.stop_requested() {
                return;
            }
        }
    }

    /// `terraform init` when the working directory is not initialised yet.
    async fn ensure_init(&self) -> Result<(), Failure> {
        let dir = self.project.paths().terraform_dir();
        if dir.join(".terraform").is_dir() && dir.join(".terraform.lock.hcl").is_file() {
            return Ok(());
        }
        let handle = self
            .terraform()
            .spawn(&TfCommand::Init(InitOptions::default()))?;
        let (_events, outcome) = handle.wait().await;
        if outcome.succeeded() {
            Ok(())
        } else {
            Err(Failure::of_run("init", &outcome))
        }
    }

    async fn plan_phase(&self, phase: Phase) -> Result<PlanFacts, Failure> {
        // A new piece of work: an interrupt of an earlier one no longer applies.
        self.prepare().await?;
        let config = self.project.config()?;
        let state = self.state_addresses().await?;
        let adoption = self.adopt_existing_zone(&config, &state).await?;
        let targets = tfgen::phase_targets_given(&config, phase, &state);
        self.adopt_kept(&config, &state, &targets)?;
        let out = self.plan_file(phase);
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Failure::Write {
                path: dir.to_path_buf(),
                problem: e.to_string(),
            })?;
        }
        // A stack that already has a certificate's users (a part changed after the site went
        // live, or a new checkout of a live project) is planned whole: see
        // `tfgen::phase_targets_given`.
        let options = PlanOptions {
            out: Some(out.clone()),
            lock_timeout: Some(LOCK_TIMEOUT),
            targets,
            skip_refresh: self.just_applied(),
            ..PlanOptions::default()
        };
        let mut review = self.plan_and_review(&options, &out).await?;
        // AWS gives up on a certificate or an SES domain left waiting for more than 72 hours
        // (a long stay at the registrar). The provider forgets a timed-out certificate and
        // plans a new one itself. An SES identity cannot be replaced in place (a replacement
        // created first finds its name taken, and the stack's create-before-destroy resources
        // make terraform create first): siteup deletes the failed identity, which holds nothing,
        // and plans again, so the plan creates it anew; that plan's drift explains both. Quick
        // users never pay for this.
        if review.expired.iter().any(|e| e.delete_first) {
            for e in review.expired.iter().filter(|e| e.delete_first) {
                self.aws.delete_failed_identity(e.name.clone()).await?;
            }
            review = self.plan_and_review(&options, &out).await?;
        }
        refuse_protected_deletions(&review)?;
        let mut facts = plan_facts(&review);
        facts
            .warnings
            .splice(0..0, review.expired.iter().map(|e| e.why.clone()));
        if let Some(message) = adoption {
            facts.warnings.insert(0, message);
        }
        // A session that ends during the apply stops it halfway: say so before it starts.
        if let Some(expiry) = self.aws.session_expiry()
            && let Some(warning) = aws::warn_if_expires_within(
                &expiry,
                time::OffsetDateTime::now_utc(),
                expected_apply_time(phase),
            )
        {
            facts.warnings.insert(0, warning);
        }
        if let Ok(mut plans) = self.plans.lock() {
            plans.insert(phase, review);
        }
        Ok(facts)
    }

    /// One `terraform plan -out`, then its review.
    pub(crate) async fn plan_and_review(
        &self,
        options: &PlanOptions,
        out: &std::path::Path,
    ) -> Result<PlanReview, Failure> {
        let handle = self.terraform().spawn(&TfCommand::Plan(options.clone()))?;
        let (events, outcome) = handle.wait().await;
        if !outcome.succeeded() {
            return Err(match &outcome.lock {
                Some(lock) if outcome.kind != ExitKind::Interrupted => Failure::StateLocked {
                    holder: lock.describe(time::OffsetDateTime::now_utc()),
                },
                _ => Failure::of_run("plan", &outcome),
            });
        }
        let diagnostics = crate::terraform::events::diagnostics_of(&events);
        Ok(self.terraform().review_plan(out, diagnostics).await?)
    }

    async fn apply_phase(&self, phase: Phase, progress: ProgressSink) -> ApplyResult {
        let review = self.plans.lock().ok().and_then(|mut p| p.remove(&phase));
        let Some(review) = review else {
            return ApplyResult::Failed(Failure::NoReviewedPlan);
        };
        let answer = match review.approval() {
            Approval::TypeToConfirm { .. } => CONFIRM_WORD,
            _ => "yes",
        };
        let approved = match review.approve(answer) {
            Ok(a) => a,
            Err(e) => {
                return ApplyResult::Failed(Failure::NotApproved {
                    problem: e.to_string(),
                });
            }
        };
        self.runs.reset();
        // The apply changes the state: what siteup knew of it no longer holds.
        if let Ok(mut known) = self.known.lock() {
            *known = Known::default();
        }
        let mut handle = match self.terraform().spawn(&TfCommand::Apply(approved)) {
            Ok(h) => h,
            Err(e) => return ApplyResult::Failed(e.into()),
        };
        let durations_path = self.setup.durations.clone();
        let mut durations = durations_path
            .as_deref()
            .map(Durations::load)
            .unwrap_or_default();
        let mut fold = ApplyProgress::new();
        let mut last_rows = ApplyRows::default();
        let mut outputs = None;
        let outcome = loop {
            match handle.next_event().await {
                Some(RunEvent::Line(ev)) => {
                    if let TfEvent::Outputs(map) = &ev
                        && let Some(o) = crate::terraform::outputs::from_apply(map)
                    {
                        outputs = Some(o);
                    }
                    fold.on_event(&ev);
                    if matches!(ev, TfEvent::Unknown(_) | TfEvent::NotJson(_)) {
                        continue;
                    }
                    let rows = rows_of(&fold, phase, &durations);
                    if rows != last_rows {
                        let _ = progress.send(rows.clone());
                        last_rows = rows;
                    }
                }
                Some(RunEvent::Silent { silent_for }) => {
                    tracing::warn!("terraform silent for {silent_for:?}");
                }
                Some(RunEvent::Exited(outcome)) => break Some(outcome),
                Some(_) => {}
                None => break None,
            }
        };
        for r in fold.resources() {
            if r.status == ResourceStatus::Done && r.elapsed_seconds > 0 {
                durations.record(&r.resource_type, r.elapsed_seconds);
            }
        }
        if let Some(p) = &durations_path {
            durations.save(p);
        }
        let _ = progress.send(rows_of(&fold, phase, &durations));
        match outcome {
            Some(o) if o.succeeded() => {
                if let Ok(mut known) = self.known.lock() {
                    known.outputs = outputs;
                    known.applied_at = Some(std::time::Instant::now());
                }
                ApplyResult::Applied
            }
            Some(o) if o.kind == ExitKind::Interrupted => ApplyResult::Interrupted,
            Some(o) => ApplyResult::Failed(Failure::of_run("apply", &o)),
            None => ApplyResult::Failed(Failure::RunLost),
        }
    }

    /// The stack's outputs: those the last apply printed, else `terraform output -json`.
    async fn outputs(&self) -> Result<OutputFacts, Failure> {
        let applied = self.known.lock().ok().and_then(|mut k| k.outputs.take());
        let parsed = match applied {
            Some(parsed) => parsed,
            None => {
                let out = self
                    .terraform()
                    .capture(&["output", "-json", "-no-color"])
                    .await?;
                if out.code != Some(0) {
                    return Err(Failure::RunFailed {
                        command: "output",
                        reason: out.stderr,
                    });
                }
                crate::terraform::outputs::parse(&out.stdout).map_err(|e| {
                    Failure::UnreadableOutput {
                        command: "output",
                        problem: e.to_string(),
                    }
                })?
            }
        };
        if !parsed.nameservers.is_empty() {
            self.project.remember_nameservers(&parsed.nameservers);
        }
        self.project.remember_outputs(&parsed.values);
        Ok(OutputFacts {
            nameservers: parsed.nameservers,
            zone_id: parsed.zone_id,
            outputs: parsed.values,
        })
    }
}

impl TerraformJobs for TerraformHandler {
    fn plan(&self, phase: Phase) -> BoxFuture<'_, Result<PlanFacts, Failure>> {
        Box::pin(self.plan_phase(phase))
    }

    fn apply(&self, phase: Phase, progress: ProgressSink) -> BoxFuture<'_, ApplyResult> {
        Box::pin(self.apply_phase(phase, progress))
    }

    fn migrate_state(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            self.runs.reset();
            let verified = crate::terraform::bootstrap::migrate(
                &self.terraform(),
                &config,
                &self.project.paths().terraform_dir(),
            )
            .await?;
            if let Ok(mut known) = self.known.lock() {
                known.state = Some(verified);
            }
            Ok(())
        })
    }

    fn read_outputs(&self) -> BoxFuture<'_, Result<OutputFacts, Failure>> {
        Box::pin(self.outputs())
    }

    fn interrupt(&self) {
        let _ = self.runs.interrupt();
    }

    fn kill(&self) {
        let _ = self.runs.force_kill();
    }
}

/// A plan that deletes an object whose deletion protection is on (the table, the user pool:
/// the parts that hold data) would stop halfway through its apply, after deleting what comes
/// before it: refuse it before anything is applied, saying how to keep the data.
fn refuse_protected_deletions(review: &PlanReview) -> Result<(), Failure> {
    let protected: Vec<_> = review.protected_deletions().collect();
    if protected.is_empty() {
        return Ok(());
    }
    let mut keep: Vec<&'static str> = protected
        .iter()
        .filter_map(|i| match i.resource_type.as_str() {
            "aws_dynamodb_table" => Some("database = true"),
            "aws_cognito_user_pool" => Some("users = true"),
            _ => None,
        })
        .collect();
    keep.sort_unstable();
    keep.dedup();
    Err(Failure::ProtectedDeletion {
        objects: protected
            .iter()
            .map(|i| format!("the {} ({})", i.human_type, i.address))
            .collect(),
        keep,
    })
}

/// The plan's facts for the core and the review pane.
fn plan_facts(review: &PlanReview) -> PlanFacts {
    use crate::terraform::plan_review::ChangeKind;
    let dangers = review
        .ordered()
        .iter()
        .filter(|i| i.kind.is_destructive())
        .map(|i| match i.consequence() {
            Some(c) => format!("{} {}: {}", i.human_type, i.kind.verb(), c),
            None => format!("{} ({}) {}", i.human_type, i.address, i.kind.verb()),
        })
        .collect();
    let warnings = review
        .warnings()
        .filter(|d| !is_targeting_warning(&d.summary))
        .map(super::super::terraform::events::Diagnostic::one_line)
        .collect();
    PlanFacts {
        create: review.count(ChangeKind::Create),
        update: review.count(ChangeKind::Update),
        replace: review.count(ChangeKind::Replace),
        delete: review.count(ChangeKind::Delete),
        import: review.count(ChangeKind::Import),
        forget: review.count(ChangeKind::Forget),
        dangers,
        warnings,
        text: review.render_text(),
    }
}

/// How long an apply of a phase can take on AWS (CloudFront dominates the full stack).
fn expected_apply_time(phase: Phase) -> Duration {
    match phase {
        Phase::Foundation => Duration::from_secs(15 * 60),
        Phase::Full => Duration::from_secs(45 * 60),
    }
}

/// Terraform warns whenever `-target` is used; siteup targets on purpose to apply in phases.
fn is_targeting_warning(summary: &str) -> bool {
    summary.contains("Resource targeting is in effect")
        || summary.contains("Applied changes may be incomplete")
}

fn rows_of(progress: &ApplyProgress, phase: Phase, durations: &Durations) -> ApplyRows {
    ApplyRows {
        phase: Some(phase),
        rows: progress
            .resources()
            .iter()
            .map(|r| ApplyRow {
                address: r.address.clone(),
                name: format!("{} {}", r.human_type, short_name(&r.address)),
                action: r.action.clone(),
                state: match r.status {
                    ResourceStatus::Pending => RowState::Pending,
                    ResourceStatus::Running => RowState::Running,
                    ResourceStatus::Done => RowState::Done,
                    ResourceStatus::Failed => RowState::Failed,
                },
                elapsed_secs: r.elapsed_seconds,
                expected_secs: durations.expected(&r.resource_type),
                error: (!r.errors.is_empty()).then(|| r.errors.join(" ")),
            })
            .collect(),
        summary: progress.summary().map(|s| {
            format!(
                "Apply complete: {} added, {} changed, {} destroyed.",
                s.add, s.change, s.remove
            )
        }),
    }
}

/// `aws_route53_record.dkim["abc"]` -> `dkim["abc"]`
fn short_name(address: &str) -> String {
    address
        .split_once('.')
        .map_or_else(|| address.to_string(), |(_, rest)| rest.to_string())
}
