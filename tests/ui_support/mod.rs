//! Shared fixtures for the UI tests: journeys in representative states, a fixed clock, a
//! renderer onto ratatui's TestBackend, and a fake world behind the effect handlers.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use siteup::aws::profiles::RoleSource;
use siteup::aws::{ProfileChoice, ProfileInfo, ProfileKind};
use siteup::effects::{
    AwsChecks, BoxFuture, Checkpoints, Handlers, HumanPlayer, ProgressSink, ProjectFiles,
    TerraformJobs,
};
use siteup::failure::Failure;
use siteup::site::SiteConfig;
use siteup::terraform::events::Action;
use siteup::ui::{UiOptions, UiState};
use siteup::wizard::state::{
    ApplyResult, ApplyRow, ApplyRows, CheckReport, FileChange, FileChangeKind, PlanFacts, RowState,
};
use siteup::wizard::update::{OutputFacts, ProfileFacts};
use siteup::wizard::{Journey, Mode, Phase, PhaseStep, Status, StepId, StepKind};
use time::OffsetDateTime;

pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
}

pub fn mins_ago(m: i64) -> OffsetDateTime {
    now() - time::Duration::minutes(m)
}

pub fn secs_ago(s: i64) -> OffsetDateTime {
    now() - time::Duration::seconds(s)
}

pub fn opts(color: bool, unicode: bool) -> UiOptions {
    let mut o = UiOptions::plain_ascii();
    o.color = color;
    o.unicode = unicode;
    o
}

pub fn site() -> SiteConfig {
    SiteConfig::with_defaults(
        siteup::site::Domain::parse("example.com").expect("domain"),
        siteup::site::Region::parse("eu-west-1").expect("region"),
    )
}

/// A UI state at the fixed clock, colours and Unicode on, answers for example.com.
pub fn ui() -> UiState {
    let mut o = opts(true, true);
    o.site = Some(site());
    UiState::new(&o, now())
}

pub fn ui_with(color: bool, unicode: bool) -> UiState {
    let mut o = opts(color, unicode);
    o.site = Some(site());
    UiState::new(&o, now())
}

fn set(
    j: &mut Journey,
    step: StepId,
    status: Status,
    detail: Option<&str>,
    since: Option<OffsetDateTime>,
) {
    let st = j.steps.entry(step).or_default();
    st.status = status;
    st.detail = detail.map(str::to_string);
    st.since = since;
    if status == Status::Done {
        st.finished_at = Some(now());
    }
}

fn done(j: &mut Journey, steps: &[StepId]) {
    for s in steps {
        set(j, *s, Status::Done, None, Some(mins_ago(30)));
    }
}

pub fn nameservers() -> Vec<String> {
    vec![
        "ns-1536.awsdns-00.co.uk".into(),
        "ns-0.awsdns-00.com".into(),
        "ns-1024.awsdns-00.org".into(),
        "ns-512.awsdns-00.net".into(),
    ]
}

pub fn fresh() -> Journey {
    let mut j = Journey::new(Mode::Interactive);
    set(
        &mut j,
        StepId::Preflight,
        Status::Running,
        None,
        Some(secs_ago(1)),
    );
    j.busy = None;
    j
}

pub fn profile_picker() -> Journey {
    let mut j = Journey::new(Mode::Interactive);
    done(&mut j, &[StepId::Preflight]);
    set(
        &mut j,
        StepId::Profile,
        Status::WaitingOnYou,
        Some("choose the AWS profile to use"),
        Some(secs_ago(5)),
    );
    set(
        &mut j,
        StepId::Site,
        Status::WaitingOnYou,
        Some("answer the site questions"),
        Some(secs_ago(5)),
    );
    j.facts.profiles = vec![
        profile(
            "work-sso",
            ProfileKind::Sso {
                session: Some("work".into()),
                start_url: None,
                account_id: None,
                role_name: None,
            },
            Some("eu-west-1"),
        ),
        profile(
            "personal",
            ProfileKind::StaticKeys {
                session_token: false,
            },
            Some("us-east-1"),
        ),
        profile(
            "deployer",
            ProfileKind::AssumeRole {
                role_arn: "arn:aws:iam::123456789012:role/deployer".into(),
                source: RoleSource::Profile("work-sso".into()),
            },
            None,
        ),
    ];
    j
}

pub fn profile_verified() -> Journey {
    let mut j = profile_picker();
    set(
        &mut j,
        StepId::Profile,
        Status::Done,
        None,
        Some(secs_ago(3)),
    );
    j.facts.profile = Some("personal".into());
    j.facts.identity = Some("account 123456789012 as arn:aws:iam::123456789012:root".into());
    j.facts.identity_warning = Some(
        "This is the account's root user; create an IAM user or use SSO for daily work.".into(),
    );
    j
}

pub fn site_form() -> Journey {
    let mut j = profile_verified();
    j.facts.identity_warning = None;
    j.facts.identity = Some("account 123456789012 as arn:aws:iam::123456789012:user/alice".into());
    j
}

/// A profile as the picker lists it.
pub fn profile(name: &str, kind: ProfileKind, region: Option<&str>) -> ProfileInfo {
    ProfileInfo {
        choice: ProfileChoice::Named(name.into()),
        kind,
        region: region.map(str::to_string),
        sso_root: None,
    }
}

pub fn generated() -> Journey {
    let mut j = site_form();
    done(&mut j, &[StepId::Site, StepId::Generate]);
    j.facts.files = vec![
        FileChange { path: "terraform/versions.tf".into(), change: FileChangeKind::Unchanged, diff: None },
        FileChange {
            path: "terraform/email.tf".into(),
            change: FileChangeKind::Updated,
            diff: Some("--- terraform/email.tf\n+++ terraform/email.tf\n@@ -1,4 +1,4 @@\n resource \"aws_sesv2_email_identity\" \"sender\" {\n-  email_identity = \"hello@example.com\"\n+  email_identity = \"no-reply@example.com\"\n }\n".into()),
        },
        FileChange { path: "terraform/site.tf".into(), change: FileChangeKind::Created, diff: None },
        FileChange {
            path: "terraform/api.tf".into(),
            change: FileChangeKind::Kept,
            diff: Some("--- terraform/api.tf (yours)\n+++ terraform/api.tf (siteup)\n@@ -10,3 +10,3 @@\n-  memory_size = 512\n+  memory_size = 256\n".into()),
        },
    ];
    j
}

pub fn plan(phase: Phase, destructive: bool) -> PlanFacts {
    let mut p = PlanFacts {
        create: 12,
        update: 1,
        text: "# aws_route53_zone.main will be created\n  + resource \"aws_route53_zone\" \"main\" {\n      + name = \"example.com\"\n    }\n# aws_s3_bucket.site will be updated in-place\n  ~ resource \"aws_s3_bucket\" \"site\" {\n      ~ tags = {}\n    }".into(),
        ..PlanFacts::default()
    };
    if destructive {
        p.replace = 1;
        p.delete = 1;
        p.dangers = vec![
            "Cognito user pool replaced: every user account is lost".into(),
            "DynamoDB table example-com destroyed: its items are deleted".into(),
        ];
        p.warnings = vec!["Argument is deprecated: use aws_s3_bucket_website_configuration".into()];
        p.text = format!(
            "# aws_cognito_user_pool.main must be replaced\n-/+ resource \"aws_cognito_user_pool\" \"main\" {{\n    }}\n# aws_dynamodb_table.main will be destroyed\n  - resource \"aws_dynamodb_table\" \"main\" {{\n    }}\n{}",
            p.text
        );
    }
    let _ = phase;
    p
}

pub fn plan_review(phase: Phase, destructive: bool) -> Journey {
    let mut j = generated();
    let step = phase.step();
    for s in StepId::ALL {
        if s < step && !s.is_checkpoint() {
            done(&mut j, &[s]);
        }
    }
    if phase == Phase::Full {
        done(&mut j, &[StepId::Nameservers, StepId::EmailDomain]);
        j.facts.nameservers = nameservers();
        set(
            &mut j,
            StepId::SenderAddress,
            Status::WaitingOnYou,
            Some("click the link in the mail sent to no-reply@example.com"),
            Some(mins_ago(40)),
        );
        set(
            &mut j,
            StepId::SesProduction,
            Status::WaitingOnAws,
            Some("AWS is reviewing the request"),
            Some(mins_ago(38)),
        );
    }
    set(
        &mut j,
        step,
        Status::WaitingOnYou,
        Some("review the plan"),
        Some(secs_ago(10)),
    );
    j.facts.pending_plan = Some((phase, plan(phase, destructive)));
    j
}

pub fn apply_rows(n: usize) -> Vec<ApplyRow> {
    let names = [
        ("aws_route53_zone.main", "Route 53 hosted zone example.com"),
        (
            "aws_sesv2_email_identity.domain",
            "SES domain identity example.com",
        ),
        (
            "aws_sesv2_email_identity.sender",
            "SES sender no-reply@example.com",
        ),
        ("aws_route53_record.dkim[0]", "DKIM record 1"),
        ("aws_route53_record.dkim[1]", "DKIM record 2"),
        ("aws_route53_record.dkim[2]", "DKIM record 3"),
        ("aws_route53_record.mail_from_mx", "MAIL FROM MX record"),
        ("aws_s3_bucket.deploys", "S3 bucket example-com-deploys"),
        ("aws_s3_bucket.site", "S3 bucket example-com-site"),
        ("aws_dynamodb_table.main", "DynamoDB table example-com"),
        ("aws_lambda_function.api", "Lambda function example-com-api"),
        (
            "aws_cloudfront_distribution.site",
            "CloudFront distribution for example.com",
        ),
        (
            "aws_cognito_user_pool.main",
            "Cognito user pool example-com",
        ),
        ("aws_acm_certificate.main", "ACM certificate example.com"),
        ("aws_api_gateway_rest_api.api", "API Gateway example-com"),
        (
            "aws_cloudwatch_log_group.api",
            "CloudWatch log group /aws/lambda/api",
        ),
    ];
    names
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, (addr, name))| ApplyRow {
            address: format!("{addr}#{i}"),
            name: name.to_string(),
            action: Some(if i == 9 {
                Action::Replace
            } else {
                Action::Create
            }),
            state: RowState::Pending,
            elapsed_secs: 0,
            expected_secs: None,
            error: None,
        })
        .collect()
}

/// The stack being applied: many rows, two running (CloudFront with an expected time), one
/// failed with its reason.
pub fn applying(n: usize) -> Journey {
    let mut j = plan_review(Phase::Full, false);
    j.facts.pending_plan = None;
    set(
        &mut j,
        StepId::Stack,
        Status::Running,
        Some("applying"),
        Some(secs_ago(252)),
    );
    j.busy = Some(StepId::Stack);
    let mut rows = apply_rows(n);
    for (i, r) in rows.iter_mut().enumerate() {
        if i < n / 2 {
            r.state = RowState::Done;
            r.elapsed_secs = 3 + i as u64;
        }
    }
    let mid = n / 2;
    if let Some(r) = rows.get_mut(mid) {
        r.state = RowState::Failed;
        r.name = "ACM certificate example.com".into();
        r.elapsed_secs = 62;
        r.error = Some("Error: creating ACM Certificate: LimitExceededException: Error: you have reached your limit of 20 certificates in the last year.".into());
    }
    for (k, name) in [
        (mid + 1, "CloudFront distribution for example.com"),
        (mid + 2, "Cognito user pool domain auth.example.com"),
    ] {
        if let Some(r) = rows.get_mut(k) {
            r.name = name.into();
            r.state = RowState::Running;
            r.elapsed_secs = 250;
            r.expected_secs = Some(900);
        }
    }
    j.facts.apply = ApplyRows {
        phase: Some(Phase::Full),
        rows,
        summary: None,
    };
    j
}

/// The nameserver check as siteup's live check words it (see `live.rs`: the headline for the
/// checklist and `siteup up`, the lines from `dns::render_verdict_text`).
pub fn checkpoint_report(satisfied: bool) -> CheckReport {
    if satisfied {
        CheckReport {
            satisfied: true,
            unchecked: false,
            waiting_on: StepKind::Human,
            headline: "example.com is delegated to your Route 53 nameservers.".into(),
            lines: vec![
                "Registry: The .com registry lists exactly your 4 nameservers, so the delegation is live.".into(),
                "Resolver: Your resolver (127.0.0.53) already sees your nameservers.".into(),
                "Checked at 2026-11-20 09:12:40 UTC in 0.3 s.".into(),
            ],
        }
    } else {
        CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Human,
            headline: "Set these nameservers at your registrar: ns-1536.awsdns-00.co.uk, ns-0.awsdns-00.com, ns-1024.awsdns-00.org, ns-512.awsdns-00.net. The .com registry still lists the old nameservers dns1.registrar-servers.com and dns2.registrar-servers.com: replace them with your 4 nameservers at your registrar.".into(),
            lines: vec![
                "Registry: The .com registry still lists the old nameservers dns1.registrar-servers.com and dns2.registrar-servers.com: replace them with your 4 nameservers at your registrar.".into(),
                "Resolver: Your resolver (127.0.0.53) is caching the old answer (dns1.registrar-servers.com and dns2.registrar-servers.com) for about 40 more minutes; it will see your nameservers after that, once the registry has them.".into(),
                "Checked at 2026-11-20 09:12:40 UTC in 0.3 s.".into(),
            ],
        }
    }
}

/// Waiting on the nameserver checkpoint for 12 minutes, the other checkpoints waiting too.
pub fn nameservers_waiting() -> Journey {
    let mut j = generated();
    done(&mut j, &[StepId::State, StepId::Foundation]);
    j.facts.nameservers = nameservers();
    j.facts.zone_id = Some("Z0123456789ABC".into());
    set(
        &mut j,
        StepId::Nameservers,
        Status::WaitingOnYou,
        Some("Not delegated yet: the registry still lists your registrar's nameservers."),
        Some(mins_ago(12)),
    );
    j.facts
        .checks
        .insert(StepId::Nameservers, checkpoint_report(false));
    set(
        &mut j,
        StepId::SenderAddress,
        Status::WaitingOnYou,
        Some("click the link in the mail sent to no-reply@example.com"),
        Some(mins_ago(12)),
    );
    j.facts.checks.insert(
        StepId::SenderAddress,
        CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Human,
            headline: "Click the link in the mail AWS sent to no-reply@example.com.".into(),
            lines: vec!["The mail comes from no-reply-aws@amazon.com; look in spam too.".into()],
        },
    );
    set(
        &mut j,
        StepId::SesProduction,
        Status::WaitingOnYou,
        Some("request production access"),
        Some(mins_ago(11)),
    );
    j.checks_in_flight = BTreeSet::from([
        StepId::Nameservers,
        StepId::SenderAddress,
        StepId::SesProduction,
    ]);
    j
}

pub fn sandbox(mut j: Journey) -> Journey {
    j.facts.sandbox = true;
    j.facts.profile = Some("sandbox".into());
    j
}

pub fn delegated() -> Journey {
    let mut j = nameservers_waiting();
    set(
        &mut j,
        StepId::Nameservers,
        Status::Done,
        None,
        Some(mins_ago(12)),
    );
    j.facts
        .checks
        .insert(StepId::Nameservers, checkpoint_report(true));
    set(
        &mut j,
        StepId::EmailDomain,
        Status::WaitingOnAws,
        Some("SES is verifying the domain"),
        Some(mins_ago(2)),
    );
    j.facts.checks.insert(
        StepId::EmailDomain,
        CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Aws,
            headline: "SES is verifying the domain.".into(),
            lines: vec![
                "DKIM: pending (3 CNAME records published)".into(),
                "MAIL FROM mail.example.com: pending (MX and SPF published)".into(),
            ],
        },
    );
    j
}

pub fn ses_waiting() -> Journey {
    let mut j = delegated();
    j.facts.ses_request = Some("We send transactional mail only (sign-up confirmations and password resets) from no-reply@example.com for the site example.com.\nBounces and complaints are handled by SES notifications; we expect under 100 mails a day.".into());
    j.facts.checks.insert(
        StepId::SesProduction,
        CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Human,
            headline: "The account is in the SES sandbox: request production access.".into(),
            lines: vec!["Sending quota: 200 a day, only to verified addresses.".into()],
        },
    );
    j
}

pub fn ses_reviewing() -> Journey {
    let mut j = ses_waiting();
    set(
        &mut j,
        StepId::SesProduction,
        Status::WaitingOnAws,
        Some("AWS is reviewing the request"),
        Some(mins_ago(95)),
    );
    j.facts.checks.insert(
        StepId::SesProduction,
        CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Aws,
            headline: "AWS is reviewing the request (case 1234567890).".into(),
            lines: vec!["Submitted 1 h 35 min ago; reviews usually take under a day.".into()],
        },
    );
    j
}

pub fn all_done() -> Journey {
    let mut j = Journey::new(Mode::Interactive);
    for s in StepId::ALL {
        set(&mut j, s, Status::Done, None, Some(mins_ago(60)));
    }
    j.facts.profile = Some("personal".into());
    j.facts.nameservers = nameservers();
    for (k, v) in [
        ("site_url", "https://example.com"),
        ("api_url", "https://api.example.com"),
        ("auth_url", "https://auth.example.com"),
        ("user_pool_id", "eu-west-1_AbCdEfGhI"),
        ("user_pool_client_id", "3n4b5urk1ft4fl3mg5e62d9ado"),
        (
            "identity_pool_id",
            "eu-west-1:1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
        ),
        ("table_name", "example-com"),
        ("site_bucket", "example-com-site"),
        ("cloudfront_distribution_id", "E2QWRUHAPOMQZL"),
        ("zone_id", "Z0123456789ABC"),
        ("region", "eu-west-1"),
    ] {
        j.facts.outputs.insert(k.into(), v.into());
    }
    j
}

/// Renders one frame of the journey at a size.
pub fn render(j: &Journey, ui: &mut UiState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    ui.size = (w, h);
    ui.observe(j);
    t.draw(|f| siteup::ui::draw::draw(f, j, ui)).expect("draw");
    t
}

pub fn screen(t: &Terminal<TestBackend>) -> String {
    format!("{}", t.backend())
}

/// The text of the screen, row by row, trailing blanks cut.
pub fn rows(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            let mut s = String::new();
            for x in 0..area.width {
                s.push_str(buf[(x, y)].symbol());
            }
            s.trim_end().to_string()
        })
        .collect()
}

/// Where `needle` first appears on screen: (x, y) in cells.
pub fn find(t: &Terminal<TestBackend>, needle: &str) -> Option<(u16, u16)> {
    let buf = t.backend().buffer();
    let area = buf.area;
    for y in 0..area.height {
        let mut cells = Vec::new();
        let mut line = String::new();
        for x in 0..area.width {
            let sym = buf[(x, y)].symbol();
            for _ in 0..sym.len() {
                cells.push(x);
            }
            line.push_str(sym);
        }
        if let Some(i) = line.find(needle) {
            return Some((cells[i], y));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// A fake world behind the effect handlers (like the simulated world of tests/wizard_core.rs)
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
pub struct WorldState {
    pub delegated: bool,
    pub address_verified: bool,
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
pub struct FakeWorld {
    pub state: Arc<Mutex<WorldState>>,
    pub profiles: Vec<ProfileInfo>,
}

impl FakeWorld {
    pub fn new() -> Self {
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
            StepId::SenderAddress => (
                w.address_verified,
                StepKind::Human,
                "click the link in the mail",
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
        }
    }

    /// The handlers the runtime runs on, all over this one world (a player only in a sandbox).
    pub fn handlers(&self, sandbox: bool) -> Handlers {
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
            for r in rows.iter_mut() {
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
    fn sender(&self) -> BoxFuture<'_, Result<CheckReport, Failure>> {
        Box::pin(async move { Ok(self.report(StepId::SenderAddress)) })
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
                StepId::SenderAddress => w.address_verified = true,
                StepId::SesProduction => w.production = true,
                _ => {}
            }
        });
        Box::pin(async { Ok(()) })
    }
}
