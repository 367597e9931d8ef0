//! A fake world behind the effect handlers for the UI tests that run the loop (ui_loop, ui_plain); it
//! needs `fixtures` next to it. The fixtures of the UI tests are in this folder too
//! (`fixtures.rs`, `tui_state.rs`, `checkpoints.rs`, `screen_text.rs`), each included with
//! `#[path]` by the tests that use it.

use std::sync::{Arc, Mutex};

use siteup::aws::{ProfileInfo, ProfileKind};
use siteup::effects::{
    AwsChecks, BoxFuture, Checkpoints, Handlers, HumanPlayer, ProgressSink, ProjectFiles,
    TerraformJobs,
};
use siteup::failure::Failure;
use siteup::site::SiteConfig;
use siteup::wizard::state::{
    ApplyResult, ApplyRows, CheckReport, FileChange, FileChangeKind, PlanFacts, RowState,
};
use siteup::wizard::update::{OutputFacts, ProfileFacts};
use siteup::wizard::{Phase, StepId, StepKind};

use crate::fixtures::{apply_rows, nameservers, profile};

// ---------------------------------------------------------------------------------------------
// A fake world behind the effect handlers (like the simulated world of tests/wizard_core.rs)
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
pub(crate) struct WorldState {
    pub delegated: bool,
    pub address_verified: bool,
    pub alerts_confirmed: bool,
    pub production: bool,
    pub applies: Vec<Phase>,
    pub plans: Vec<Phase>,
    pub played: Vec<StepId>,
    pub saved_site: Option<String>,
    pub submitted: Option<String>,
    pub interrupted: usize,
    pub killed: usize,
}

#[derive(Clone, Default)]
pub(crate) struct FakeWorld {
    pub state: Arc<Mutex<WorldState>>,
    pub profiles: Vec<ProfileInfo>,
}

impl FakeWorld {
    pub(crate) fn new() -> Self {
        Self {
            state: Arc::default(),
            profiles: vec![profile(
                "sandbox",
                ProfileKind::StaticKeys {
                    session_token: false,
                },
                Some("us-east-1"),
            )],
        }
    }
    fn with<T>(&self, f: impl FnOnce(&mut WorldState) -> T) -> T {
        let mut g = self.state.lock().expect("world lock");
        f(&mut g)
    }
}

impl FakeWorld {
    /// The fake's answer to a check of `step`.
    fn report(&self, step: StepId) -> CheckReport {
        let (ok, on, headline) = self.with(|w| match step {
            StepId::Nameservers => (
                w.delegated,
                StepKind::Human,
                "set the four nameservers at your registrar",
            ),
            StepId::EmailDomain => (w.delegated, StepKind::Aws, "SES is verifying the domain"),
            StepId::Inbox => (
                w.address_verified,
                StepKind::Human,
                "click the link in the mail",
            ),
            StepId::Alerts => (
                w.alerts_confirmed,
                StepKind::Human,
                "click the link in AWS's mail",
            ),
            StepId::SesProduction => (w.production, StepKind::Human, "request production access"),
            _ => (true, StepKind::Auto, "ok"),
        });
        CheckReport {
            satisfied: ok,
            unchecked: false,
            waiting_on: on,
            headline: headline.into(),
            lines: vec![],
            reopen: None,
        }
    }

    /// The handlers the runtime runs on, all over this one world (a player only in a sandbox).
    pub(crate) fn handlers(&self, sandbox: bool) -> Handlers {
        let w = Arc::new(self.clone());
        Handlers {
            project: w.clone(),
            terraform: w.clone(),
            aws: w.clone(),
            checkpoints: w.clone(),
            player: sandbox.then_some(w as Arc<dyn HumanPlayer>),
        }
    }
}

impl ProjectFiles for FakeWorld {
    fn preflight(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async { Ok(()) })
    }
    fn save_site(&self, config: SiteConfig) -> BoxFuture<'_, Result<(), Failure>> {
        self.with(|w| w.saved_site = Some(config.domain.as_str().to_string()));
        Box::pin(async { Ok(()) })
    }
    fn generate(&self) -> BoxFuture<'_, Result<Vec<FileChange>, Failure>> {
        Box::pin(async {
            Ok(vec![FileChange {
                path: "terraform/zone.tf".into(),
                change: FileChangeKind::Created,
                diff: None,
            }])
        })
    }
}

impl TerraformJobs for FakeWorld {
    fn plan(&self, phase: Phase) -> BoxFuture<'_, Result<PlanFacts, Failure>> {
        self.with(|w| w.plans.push(phase));
        Box::pin(async move {
            Ok(PlanFacts {
                create: 3,
                text: format!("plan for {}", phase.id()),
                ..PlanFacts::default()
            })
        })
    }
    fn apply(&self, phase: Phase, progress: ProgressSink) -> BoxFuture<'_, ApplyResult> {
        self.with(|w| w.applies.push(phase));
        Box::pin(async move {
            let mut rows = apply_rows(3);
            let _ = progress.send(ApplyRows {
                phase: Some(phase),
                rows: rows.clone(),
                summary: None,
            });
            for r in &mut rows {
                r.state = RowState::Done;
                r.elapsed_secs = 2;
            }
            let _ = progress.send(ApplyRows {
                phase: Some(phase),
                rows,
                summary: Some("Apply complete! Resources: 3 added, 0 changed, 0 destroyed.".into()),
            });
            ApplyResult::Applied
        })
    }
    fn migrate_state(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async { Ok(()) })
    }
    fn read_outputs(&self) -> BoxFuture<'_, Result<OutputFacts, Failure>> {
        Box::pin(async {
            let mut o = OutputFacts {
                nameservers: nameservers(),
                zone_id: Some("Z1".into()),
                ..OutputFacts::default()
            };
            o.outputs
                .insert("site_url".into(), "https://example.com".into());
            o.outputs
                .insert("user_pool_id".into(), "us-east-1_Abc".into());
            Ok(o)
        })
    }
    fn interrupt(&self) {
        self.with(|w| w.interrupted += 1);
    }
    fn kill(&self) {
        self.with(|w| w.killed += 1);
    }
}

impl AwsChecks for FakeWorld {
    fn list_profiles(&self) -> BoxFuture<'_, Vec<ProfileInfo>> {
        let p = self.profiles.clone();
        Box::pin(async move { p })
    }
    fn verify_profile(&self, name: String) -> BoxFuture<'_, Result<ProfileFacts, Failure>> {
        Box::pin(async move {
            Ok(ProfileFacts {
                identity: format!("account 123456789012 as {name}"),
                warning: None,
            })
        })
    }
    fn session_expiry(&self) -> Option<siteup::aws::SessionExpiry> {
        None
    }
    fn find_zones<'a>(
        &'a self,
        _domain: &'a str,
    ) -> BoxFuture<'a, Result<Vec<siteup::aws::HostedZone>, Failure>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn zone_nameservers<'a>(
        &'a self,
        _domain: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, Failure>> {
        Box::pin(async { Ok(nameservers()) })
    }
    fn email_domain(&self) -> BoxFuture<'_, Result<CheckReport, Failure>> {
        Box::pin(async move { Ok(self.report(StepId::EmailDomain)) })
    }
    fn delete_failed_identity(&self, _name: String) -> BoxFuture<'_, Result<bool, Failure>> {
        Box::pin(async { Ok(false) })
    }
    fn edge_deployment(
        &self,
        _distribution_id: String,
    ) -> BoxFuture<'_, Result<siteup::aws::EdgeDeployment, Failure>> {
        Box::pin(async { Ok(siteup::aws::EdgeDeployment::Deployed) })
    }

    fn inbox(&self) -> BoxFuture<'_, Result<CheckReport, Failure>> {
        Box::pin(async move { Ok(self.report(StepId::Inbox)) })
    }
    fn production(&self) -> BoxFuture<'_, Result<CheckReport, Failure>> {
        Box::pin(async move { Ok(self.report(StepId::SesProduction)) })
    }
    fn compose_ses_request(&self) -> BoxFuture<'_, Result<String, Failure>> {
        Box::pin(async { Ok("We send sign-up mail from no-reply@example.com.".to_string()) })
    }
    fn submit_ses_request(&self, text: String) -> BoxFuture<'_, Result<String, Failure>> {
        self.with(|w| w.submitted = Some(text));
        Box::pin(async { Ok("Submitted; AWS answers within a day.".to_string()) })
    }
    fn resend_verification(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async { Ok(()) })
    }
    fn alerts(&self) -> BoxFuture<'_, Result<CheckReport, Failure>> {
        Box::pin(async move { Ok(self.report(StepId::Alerts)) })
    }
    fn resend_alert_confirmation(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async { Ok(()) })
    }
}

impl Checkpoints for FakeWorld {
    fn check(&self, step: StepId) -> BoxFuture<'_, CheckReport> {
        let report = self.report(step);
        Box::pin(async move { report })
    }
}

impl HumanPlayer for FakeWorld {
    fn play(&self, step: StepId) -> BoxFuture<'_, Result<(), Failure>> {
        self.with(|w| {
            w.played.push(step);
            match step {
                StepId::Nameservers => w.delegated = true,
                StepId::Inbox => w.address_verified = true,
                StepId::Alerts => w.alerts_confirmed = true,
                StepId::SesProduction => w.production = true,
                _ => {}
            }
        });
        Box::pin(async { Ok(()) })
    }
}
