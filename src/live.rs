//! The journey's effects for real: generation, terraform, AWS, DNS and (in sandbox mode) the
//! sandbox that plays the registrar, the inbox and AWS's reviewers.
//!
//! Every method turns its failure into one sentence for the checklist; nothing here panics on
//! what the outside world sends back.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use crate::aws::{self, AwsApi, AwsEnv, SdkAws, Target};
use crate::dns::DnsConfig;
use crate::durations::Durations;
use crate::preflight::sentence;
use crate::project::journal::Journal;
use crate::project::{ProjectPaths, settings};
use crate::runtime::{BoxFuture, ProgressSink, Services};
use crate::sandbox::emulator::{Emulator, ReviewStatus};
use crate::sandbox::registrar::{self, RegistrarFiles};
use crate::site::SiteConfig;
use crate::terraform::plan_review::{Approval, CONFIRM_WORD};
use crate::terraform::progress::ResourceStatus;
use crate::terraform::{
    ApplyProgress, ExitKind, InitOptions, PlanOptions, PlanReview, RunEvent, RunOutcome,
    RunTracker, Terraform, TfCommand, TfEvent,
};
use crate::tfgen::{self, Backend, GenerateOptions};
use crate::wizard::state::{
    ApplyResult, ApplyRow, ApplyRows, CheckReport, FileChange, PlanFacts, ProfileChoice, RowState,
};
use crate::wizard::update::{OutputFacts, ProfileFacts};
use crate::wizard::{Phase, StepId, StepKind};

/// The sandbox this journey runs against.
#[derive(Clone)]
pub struct SandboxLink {
    /// The emulator's URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// The emulator, for its control endpoint (playing the inbox and the reviewers).
    pub emulator: Arc<Emulator>,
    /// The registrar's files (changing the delegation plays the registrar).
    pub registrar: RegistrarFiles,
}

/// How to run everything.
#[derive(Clone)]
pub struct LiveOptions {
    pub paths: ProjectPaths,
    pub sandbox: Option<SandboxLink>,
    pub dns: DnsConfig,
    pub terraform_program: PathBuf,
    /// A CLI config for terraform (the provider mirror): only the sandbox and tests set one.
    pub tf_cli_config: Option<PathBuf>,
    pub tf_env: Vec<(String, String)>,
    pub tf_env_remove: Vec<OsString>,
    pub aws_env: AwsEnv,
    /// The profile named by the command line, `AWS_PROFILE` or siteup.toml when the session
    /// opened (`commands::session::chosen_profile`).
    pub profile: Option<String>,
    /// siteup.toml as a read-only command loaded it when it opened (`Some(None)`: there is
    /// none), used instead of reading the file again. `None` for a journey, whose answers change
    /// as it runs: it reads the file when it needs it.
    pub settings_at_open: Option<Option<settings::SiteupToml>>,
}

#[derive(Default)]
struct Inner {
    aws: Option<Arc<dyn AwsApi>>,
    /// When the verified session ends, where known (SSO, temporary keys).
    expiry: Option<aws::SessionExpiry>,
    plans: HashMap<Phase, PlanReview>,
    nameservers: Vec<String>,
}

/// The real [`Services`].
pub struct LiveServices {
    opts: LiveOptions,
    inner: Mutex<Inner>,
    /// Every terraform run of this journey (init, plan, apply, the state migration, and a run
    /// re-attached to): what an interrupt reaches.
    runs: RunTracker,
}

/// The file holding the import block that adopts an existing hosted zone.
pub const ADOPT_FILE: &str = "siteup_adopt_zone.tf";

/// Lock timeout for terraform operations: long enough to outwait a short-lived holder.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

impl LiveServices {
    pub fn new(opts: LiveOptions) -> Self {
        Self {
            opts,
            inner: Mutex::new(Inner::default()),
            runs: RunTracker::new(),
        }
    }

    /// The DNS settings of this journey (sandbox or real roots).
    pub fn dns(&self) -> &DnsConfig {
        &self.opts.dns
    }

    /// The zone's nameservers: from the terraform outputs when the zone is applied, else from
    /// Route 53 directly.
    pub async fn nameservers(&self, config: &SiteConfig) -> Result<Vec<String>, String> {
        if self.opts.paths.terraform_dir().join(".terraform").is_dir()
            && let Ok(o) = self.read_outputs().await
            && !o.nameservers.is_empty()
        {
            return Ok(o.nameservers);
        }
        self.zone_nameservers(config).await
    }

    fn config(&self) -> Result<SiteConfig, String> {
        let loaded = match &self.opts.settings_at_open {
            Some(at_open) => Ok(at_open.clone()),
            None => settings::load(self.opts.paths.root()),
        };
        match loaded {
            Ok(Some(s)) => Ok(s.to_config()),
            Ok(None) => Err(format!(
                "There is no siteup.toml in {}; answer the site questions first.",
                self.opts.paths.root().display()
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    fn terraform(&self) -> Terraform {
        let mut tf = Terraform::new(
            &self.opts.terraform_program,
            self.opts.paths.terraform_dir(),
        )
        .envs(self.opts.tf_env.iter().cloned())
        .tracked(self.runs.clone());
        if let Some(cfg) = &self.opts.tf_cli_config {
            tf = tf.cli_config_file(cfg);
        }
        for k in &self.opts.tf_env_remove {
            tf = tf.env_remove(k.clone());
        }
        tf
    }

    fn state_migrated(&self) -> bool {
        Journal::load(&self.opts.paths.state_dir())
            .map(|j| j.state_is_migrated())
            .unwrap_or(false)
    }

    fn plan_file(&self, phase: Phase) -> PathBuf {
        self.opts
            .paths
            .state_dir()
            .join("plans")
            .join(format!("{}.tfplan", phase.id()))
    }

    /// The AWS API for this journey's profile (or the sandbox), connected on first use.
    pub async fn aws(&self) -> Result<Arc<dyn AwsApi>, String> {
        if let Some(a) = self.inner.lock().await.aws.clone() {
            return Ok(a);
        }
        // The session's profile; else one chosen in the wizard since (saved in siteup.toml).
        let profile = self.opts.profile.clone().or_else(|| {
            match &self.opts.settings_at_open {
                Some(at_open) => at_open.clone(),
                None => settings::load(self.opts.paths.root()).ok().flatten(),
            }
            .and_then(|s| s.aws.profile)
        });
        self.connect(profile.as_deref().unwrap_or("default"))
            .await
            .map(|(api, _)| api)
    }

    async fn connect(
        &self,
        profile: &str,
    ) -> Result<(Arc<dyn AwsApi>, aws::VerifiedIdentity), String> {
        let region = self
            .config()
            .map(|c| c.region.as_str().to_string())
            .unwrap_or_else(|_| crate::site::DEFAULT_REGION.to_string());
        let target = match &self.opts.sandbox {
            Some(s) => Target::Sandbox {
                url: s.url.clone(),
                region: region.clone(),
            },
            None => Target::Profile {
                choice: aws::ProfileChoice::parse(profile),
                default_region: region.clone(),
            },
        };
        let session = aws::connect(&self.opts.aws_env, &target)
            .await
            .map_err(|e| e.to_string())?;
        let api: Arc<dyn AwsApi> = Arc::new(SdkAws::with_ses_region(&session, &region));
        let who = api.verify_identity().await.map_err(|e| e.to_string())?;
        {
            let mut inner = self.inner.lock().await;
            inner.aws = Some(api.clone());
            inner.expiry = who.expiry.clone();
        }
        Ok((api, who))
    }

    /// When Route 53 already has a zone for the domain that the state does not manage (made by
    /// hand, by another tool, or by an earlier attempt whose state was lost), adopt it with an
    /// import block instead of creating a second zone with new nameservers. Returns what to tell
    /// the user.
    async fn adopt_existing_zone(&self, config: &SiteConfig) -> Result<Option<String>, String> {
        let import_file = self.opts.paths.terraform_dir().join(ADOPT_FILE);
        let managed = self
            .terraform()
            .state_list()
            .await
            .map_err(|e| sentence(&e.to_string()))?
            .iter()
            .any(|a| a == aws::ZONE_ADDRESS);
        if managed {
            return Ok(None);
        }
        let api = self.aws().await?;
        let zones = api
            .find_zones(config.domain.as_str())
            .await
            .map_err(|e| e.to_string())?;
        if zones.is_empty() {
            let _ = std::fs::remove_file(&import_file);
            return Ok(None);
        }
        // Prefer the zone the registry already delegates to.
        let report =
            crate::dns::check_delegation(&self.opts.dns, config.domain.as_str(), &[]).await;
        let delegated = report.registry.nameservers.clone();
        let Some(zone) = aws::route53::zone_to_adopt(&zones, &delegated) else {
            return Err(
                aws::route53::existing_zones_message(config.domain.as_str(), &zones)
                    .unwrap_or_else(|| {
                        "Route 53 has several zones for the domain; delete the unused ones.".into()
                    }),
            );
        };
        let import = aws::ZoneImport::new(aws::ZONE_ADDRESS, zone);
        let text = format!(
            "# Written by siteup: Route 53 already had a hosted zone for {}, so terraform adopts it
# (same nameservers) instead of creating a new one. Safe to keep or delete after the apply.

{}",
            config.domain,
            import.import_block()
        );
        crate::project::atomic::write_atomic(&import_file, text.as_bytes())
            .map_err(|e| format!("Could not write {}: {e}.", import_file.display()))?;
        Ok(aws::route53::existing_zones_message(
            config.domain.as_str(),
            std::slice::from_ref(zone),
        ))
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
    async fn ensure_init(&self, force: bool) -> Result<(), String> {
        let dir = self.opts.paths.terraform_dir();
        if !force && dir.join(".terraform").is_dir() && dir.join(".terraform.lock.hcl").is_file() {
            return Ok(());
        }
        self.run_simple(TfCommand::Init(InitOptions::default()), "init")
            .await
    }

    /// Runs a short command to the end; a failure becomes one sentence.
    async fn run_simple(&self, command: TfCommand, what: &str) -> Result<(), String> {
        let handle = self
            .terraform()
            .spawn(&command)
            .map_err(|e| sentence(&e.to_string()))?;
        let (_events, outcome) = handle.wait().await;
        if outcome.succeeded() {
            Ok(())
        } else {
            Err(run_failure(what, &outcome))
        }
    }

    async fn targets(&self, phase: Phase) -> Result<Vec<String>, String> {
        let config = self.config()?;
        Ok(match phase {
            Phase::StateBootstrap => tfgen::phase_targets(&config, tfgen::Phase::StateBootstrap),
            Phase::Foundation => tfgen::phase_targets(&config, tfgen::Phase::Foundation),
            Phase::Full => Vec::new(),
        })
    }

    async fn check_nameservers(&self) -> Result<CheckReport, String> {
        let config = self.config()?;
        let expected = {
            let known = self.inner.lock().await.nameservers.clone();
            if known.is_empty() {
                self.zone_nameservers(&config).await?
            } else {
                known
            }
        };
        let report =
            crate::dns::check_delegation(&self.opts.dns, config.domain.as_str(), &expected).await;
        let mut lines: Vec<String> = crate::dns::render_verdict_text(&report)
            .lines()
            .map(str::to_string)
            .collect();
        lines.retain(|l| !l.trim().is_empty());
        let headline = if report.ready {
            format!(
                "{} is delegated to your Route 53 nameservers.",
                config.domain
            )
        } else {
            format!(
                "Set these nameservers at your registrar: {}. {}",
                expected.join(", "),
                report.registry.summary
            )
        };
        Ok(CheckReport {
            satisfied: report.ready,
            unchecked: false,
            waiting_on: StepKind::Human,
            headline,
            lines,
        })
    }

    async fn zone_nameservers(&self, config: &SiteConfig) -> Result<Vec<String>, String> {
        let api = self.aws().await?;
        let zones = api
            .find_zones(config.domain.as_str())
            .await
            .map_err(|e| e.to_string())?;
        let ns = zones
            .into_iter()
            .next()
            .map(|z| z.nameservers)
            .unwrap_or_default();
        if ns.is_empty() {
            return Err(format!(
                "Route 53 has no hosted zone for {} yet; it is created in the zone step.",
                config.domain
            ));
        }
        self.inner.lock().await.nameservers = ns.clone();
        Ok(ns)
    }

    async fn check_email_domain(&self) -> Result<CheckReport, String> {
        let config = self.config()?;
        let api = self.aws().await?;
        let mut status = api
            .domain_identity(config.domain.as_str())
            .await
            .map_err(|e| e.to_string())?;
        // In the sandbox, play AWS: it verifies the domain by itself once the DNS records are
        // reachable through the delegation.
        if !status.is_ready()
            && status.exists
            && let Some(sb) = &self.opts.sandbox
        {
            let emulator = sb.emulator.clone();
            let domain = config.domain.as_str().to_string();
            let _ = tokio::task::spawn_blocking(move || emulator.verify_identity(&domain)).await;
            if let Ok(s) = api.domain_identity(config.domain.as_str()).await {
                status = s;
            }
        }
        Ok(CheckReport {
            satisfied: status.is_ready(),
            unchecked: false,
            waiting_on: StepKind::Aws,
            headline: status.headline(),
            lines: status.lines(),
        })
    }

    async fn check_sender(&self) -> Result<CheckReport, String> {
        let config = self.config()?;
        let api = self.aws().await?;
        let s = api
            .sender_identity(&config.sender_address())
            .await
            .map_err(|e| e.to_string())?;
        Ok(CheckReport {
            satisfied: s.verified,
            unchecked: false,
            waiting_on: StepKind::Human,
            headline: s.headline(),
            lines: vec![],
        })
    }

    async fn check_production(&self) -> Result<CheckReport, String> {
        let api = self.aws().await?;
        let a = api.account_status().await.map_err(|e| e.to_string())?;
        let waiting_on = match a.review_state() {
            Some(aws::ses::ReviewState::Pending | aws::ses::ReviewState::Granted) => StepKind::Aws,
            _ => StepKind::Human,
        };
        Ok(CheckReport {
            satisfied: a.production_access,
            unchecked: false,
            waiting_on,
            headline: a.headline(),
            lines: a.lines(),
        })
    }

    async fn submit_request(&self, use_case: String) -> Result<String, String> {
        let config = self.config()?;
        let api = self.aws().await?;
        let account = api.account_status().await.ok();
        let request = aws::ProductionAccessRequest::compose(&config, account.as_ref())
            .with_use_case(use_case);
        match aws::submit_request(api.as_ref(), &request).await {
            Ok(outcome) => Ok(outcome.account().headline()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The sentence for a terraform run that did not succeed: an interrupted one says so.
fn run_failure(what: &str, outcome: &RunOutcome) -> String {
    if outcome.kind == ExitKind::Interrupted {
        return format!(
            "terraform {what} was interrupted before it finished; run siteup again to continue."
        );
    }
    format!("terraform {what} failed: {}", sentence(&outcome.reason()))
}

/// A check that could not be made (AWS, DNS or terraform did not answer): the step keeps
/// waiting on whoever must act and is checked again; `message` says why it could not be checked.
fn failed_check(waiting_on: StepKind, message: String) -> CheckReport {
    CheckReport {
        satisfied: false,
        unchecked: true,
        waiting_on,
        headline: message,
        lines: vec![],
    }
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
        .map(|d| d.one_line())
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
        Phase::StateBootstrap => Duration::from_secs(5 * 60),
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
                action: r
                    .action
                    .as_ref()
                    .map(|a| format!("{a:?}").to_lowercase())
                    .unwrap_or_default(),
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
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_else(|| address.to_string())
}

impl Services for LiveServices {
    fn preflight(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let dir = self.opts.paths.root().to_path_buf();
            tokio::task::spawn_blocking(move || crate::preflight::blocking(&dir))
                .await
                .map_err(|e| format!("The preflight checks could not run: {e}."))?
        })
    }

    fn list_profiles(&self) -> BoxFuture<'_, Vec<ProfileChoice>> {
        Box::pin(async move {
            match aws::profiles::discover(&self.opts.aws_env).await {
                Ok(list) => list
                    .profiles
                    .iter()
                    .map(|p| ProfileChoice {
                        name: p.choice.name().to_string(),
                        kind: p.kind.short().to_string(),
                        region: p.region.clone(),
                    })
                    .collect(),
                Err(e) => {
                    tracing::warn!("listing profiles: {e}");
                    Vec::new()
                }
            }
        })
    }

    fn verify_profile(&self, name: String) -> BoxFuture<'_, Result<ProfileFacts, String>> {
        Box::pin(async move {
            let (_api, who) = self.connect(&name).await?;
            // Record the profile name (never credentials) with the answers.
            if let Ok(Some(mut s)) = settings::load(self.opts.paths.root())
                && self.opts.sandbox.is_none()
                && s.aws.profile.as_deref() != Some(name.as_str())
            {
                s.aws.profile = Some(name.clone());
                let _ = settings::save(self.opts.paths.root(), &s);
            }
            let identity = format!("account {} as {}", who.caller.account, who.caller.arn);
            let expiry_warning = who.expiry.as_ref().and_then(|e| {
                aws::warn_if_expires_within(
                    e,
                    time::OffsetDateTime::now_utc(),
                    Duration::from_secs(45 * 60),
                )
            });
            Ok(ProfileFacts {
                identity,
                warning: who.warning.or(expiry_warning),
            })
        })
    }

    fn save_site(&self, config: SiteConfig) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            config.check().map_err(|e| e.to_string())?;
            let profile = settings::load(self.opts.paths.root())
                .ok()
                .flatten()
                .and_then(|s| s.aws.profile);
            settings::save(
                self.opts.paths.root(),
                &settings::SiteupToml::from_config(&config, profile),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        })
    }

    fn generate(&self) -> BoxFuture<'_, Result<Vec<FileChange>, String>> {
        Box::pin(async move {
            let config = self.config()?;
            let backend = if self.state_migrated() {
                Backend::S3
            } else {
                Backend::Local
            };
            let files =
                tfgen::render(&config, &GenerateOptions { backend }).map_err(|e| e.to_string())?;
            let tf_dir = self.opts.paths.terraform_dir();
            let report = tfgen::write_project(&tf_dir, &files, false).map_err(|e| e.to_string())?;
            crate::tfgen::sandbox_override::write(
                &tf_dir,
                &config,
                self.opts.sandbox.as_ref().map(|s| s.url.as_str()),
            )
            .map_err(|e| e.to_string())?;
            Ok(report
                .files
                .iter()
                .map(|f| FileChange {
                    path: format!("terraform/{}", f.path.display()),
                    change: match f.action {
                        tfgen::FileAction::Conflict(_) => "kept".to_string(),
                        other => other.label().to_string(),
                    },
                    diff: f.diff.clone(),
                })
                .collect())
        })
    }

    fn plan(&self, phase: Phase) -> BoxFuture<'_, Result<PlanFacts, String>> {
        Box::pin(async move {
            if phase == Phase::StateBootstrap && self.state_migrated() {
                return Ok(PlanFacts::default());
            }
            // A new piece of work: an interrupt of an earlier one no longer applies.
            self.runs.reset();
            self.wait_for_running().await;
            self.ensure_init(false).await?;
            let adoption = if matches!(phase, Phase::Foundation | Phase::Full) {
                self.adopt_existing_zone(&self.config()?).await?
            } else {
                None
            };
            let out = self.plan_file(phase);
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("Could not create {}: {e}.", dir.display()))?;
            }
            let options = PlanOptions {
                out: Some(out.clone()),
                lock_timeout: Some(LOCK_TIMEOUT),
                targets: self.targets(phase).await?,
                ..PlanOptions::default()
            };
            let handle = self
                .terraform()
                .spawn(&TfCommand::Plan(options))
                .map_err(|e| sentence(&e.to_string()))?;
            let (events, outcome) = handle.wait().await;
            if !outcome.succeeded() {
                return Err(match &outcome.lock {
                    Some(lock) if outcome.kind != ExitKind::Interrupted => {
                        sentence(&lock.describe(time::OffsetDateTime::now_utc()))
                    }
                    _ => run_failure("plan", &outcome),
                });
            }
            let diagnostics = crate::terraform::events::diagnostics_of(&events);
            let review = self
                .terraform()
                .review_plan(&out, diagnostics)
                .await
                .map_err(|e| sentence(&e.to_string()))?;
            let mut facts = plan_facts(&review);
            if let Some(message) = adoption {
                facts.warnings.insert(0, message);
            }
            // A session that ends during the apply stops it halfway: say so before it starts.
            let expiry = self.inner.lock().await.expiry.clone();
            if let Some(expiry) = expiry
                && let Some(warning) = aws::warn_if_expires_within(
                    &expiry,
                    time::OffsetDateTime::now_utc(),
                    expected_apply_time(phase),
                )
            {
                facts.warnings.insert(0, warning);
            }
            self.inner.lock().await.plans.insert(phase, review);
            Ok(facts)
        })
    }

    fn apply(&self, phase: Phase, progress: ProgressSink) -> BoxFuture<'_, ApplyResult> {
        Box::pin(async move {
            let review = self.inner.lock().await.plans.remove(&phase);
            let Some(review) = review else {
                return ApplyResult::Failed(
                    "There is no reviewed plan to apply; plan again.".into(),
                );
            };
            let answer = match review.approval() {
                Approval::TypeToConfirm { .. } => CONFIRM_WORD,
                _ => "yes",
            };
            let approved = match review.approve(answer) {
                Ok(a) => a,
                Err(e) => return ApplyResult::Failed(sentence(&e.to_string())),
            };
            self.runs.reset();
            let mut handle = match self.terraform().spawn(&TfCommand::Apply(approved)) {
                Ok(h) => h,
                Err(e) => return ApplyResult::Failed(sentence(&e.to_string())),
            };
            let durations_path = Durations::default_path();
            let mut durations = durations_path
                .as_deref()
                .map(Durations::load)
                .unwrap_or_default();
            let mut fold = ApplyProgress::new();
            let mut last_rows = ApplyRows::default();
            let outcome = loop {
                match handle.next_event().await {
                    Some(RunEvent::Line(ev)) => {
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
                Some(o) if o.succeeded() => ApplyResult::Applied,
                Some(o) if o.kind == ExitKind::Interrupted => ApplyResult::Interrupted,
                Some(o) => ApplyResult::Failed(format!(
                    "terraform apply failed: {}",
                    sentence(&o.reason())
                )),
                None => ApplyResult::Failed("terraform stopped without an exit status; run siteup again to plan what is left.".into()),
            }
        })
    }

    fn migrate_state(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let config = self.config()?;
            self.runs.reset();
            crate::terraform::bootstrap::migrate(
                &self.terraform(),
                &config,
                &self.opts.paths.terraform_dir(),
            )
            .await
            .map_err(|e| sentence(&e.to_string()))
        })
    }

    fn read_outputs(&self) -> BoxFuture<'_, Result<OutputFacts, String>> {
        Box::pin(async move {
            let out = self
                .terraform()
                .capture(&["output", "-json", "-no-color"])
                .await
                .map_err(|e| sentence(&e.to_string()))?;
            if out.code != Some(0) {
                return Err(format!(
                    "terraform output failed: {}",
                    sentence(&out.stderr)
                ));
            }
            let value: serde_json::Value = serde_json::from_slice(&out.stdout)
                .map_err(|e| format!("terraform output printed something unexpected: {e}."))?;
            let mut facts = OutputFacts::default();
            let mut outputs = BTreeMap::new();
            if let Some(map) = value.as_object() {
                for (name, o) in map {
                    if o.get("sensitive").and_then(|s| s.as_bool()) == Some(true) {
                        continue;
                    }
                    let v = o.get("value").cloned().unwrap_or_default();
                    let text = match &v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Array(items) => items
                            .iter()
                            .map(|i| {
                                i.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| i.to_string())
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                        other => other.to_string(),
                    };
                    outputs.insert(name.clone(), text);
                }
                if let Some(ns) = map
                    .get("name_servers")
                    .and_then(|o| o.get("value"))
                    .and_then(|v| v.as_array())
                {
                    facts.nameservers = ns
                        .iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect();
                }
                facts.zone_id = map
                    .get("zone_id")
                    .and_then(|o| o.get("value"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
            }
            if !facts.nameservers.is_empty() {
                self.inner.lock().await.nameservers = facts.nameservers.clone();
            }
            facts.outputs = outputs;
            Ok(facts)
        })
    }

    fn check(&self, step: StepId) -> BoxFuture<'_, CheckReport> {
        Box::pin(async move {
            // A check that cannot be made waits on whoever must act: the domain's verification
            // is AWS's to finish; the other checkpoints are the user's.
            let (on_error, result) = match step {
                StepId::Nameservers => (StepKind::Human, self.check_nameservers().await),
                StepId::EmailDomain => (StepKind::Aws, self.check_email_domain().await),
                StepId::SenderAddress => (StepKind::Human, self.check_sender().await),
                StepId::SesProduction => (StepKind::Human, self.check_production().await),
                other => (
                    StepKind::Aws,
                    Err(format!("{} is not a checkpoint.", other.title())),
                ),
            };
            result.unwrap_or_else(|e| failed_check(on_error, e))
        })
    }

    fn play_human(&self, step: StepId) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let Some(sb) = self.opts.sandbox.clone() else {
                return Err("Only the sandbox can play this step for you.".into());
            };
            let config = self.config()?;
            match step {
                StepId::Nameservers => {
                    let ns = {
                        let known = self.inner.lock().await.nameservers.clone();
                        if known.is_empty() {
                            self.zone_nameservers(&config).await?
                        } else {
                            known
                        }
                    };
                    let domain = config.domain.as_str().to_string();
                    tokio::task::spawn_blocking(move || {
                        registrar::set_nameservers(&sb.registrar, &domain, &ns)
                    })
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())
                }
                StepId::SenderAddress => {
                    let address = config.sender_address();
                    tokio::task::spawn_blocking(move || sb.emulator.verify_identity(&address))
                        .await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())
                }
                StepId::SesProduction => {
                    let api = self.aws().await?;
                    let account = api.account_status().await.map_err(|e| e.to_string())?;
                    if account.review.is_none() && !account.production_access {
                        let request =
                            aws::ProductionAccessRequest::compose(&config, Some(&account));
                        aws::submit_request(api.as_ref(), &request)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    tokio::task::spawn_blocking(move || {
                        sb.emulator.set_review(ReviewStatus::Granted)
                    })
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())
                }
                StepId::EmailDomain => {
                    let domain = config.domain.as_str().to_string();
                    tokio::task::spawn_blocking(move || sb.emulator.verify_identity(&domain))
                        .await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())
                }
                other => Err(format!(
                    "The sandbox has nothing to play for {}.",
                    other.title()
                )),
            }
        })
    }

    fn compose_ses_request(&self) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async move {
            let config = self.config()?;
            let account = match self.aws().await {
                Ok(api) => api.account_status().await.ok(),
                Err(_) => None,
            };
            Ok(
                aws::ProductionAccessRequest::compose(&config, account.as_ref())
                    .use_case_description,
            )
        })
    }

    fn submit_ses_request(&self, text: String) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(self.submit_request(text))
    }

    fn resend_verification(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let config = self.config()?;
            let api = self.aws().await?;
            api.resend_verification(&config.sender_address())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }

    fn interrupt(&self) {
        let _ = self.runs.interrupt();
    }

    fn kill(&self) {
        let _ = self.runs.force_kill();
    }
}
