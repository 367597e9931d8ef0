//! Fixtures of every UI test (ui_keys, ui_loop, ui_panes, ui_plain): a fixed clock, UI options
//! and journeys in representative states. Included with
//! `#[path = "ui_support/fixtures.rs"] mod fixtures;`; the other files of this folder hold what
//! only some of the UI tests use.

use std::collections::BTreeSet;

use siteup::aws::profiles::RoleSource;
use siteup::aws::{ProfileChoice, ProfileInfo, ProfileKind};
use siteup::terraform::events::Action;
use siteup::ui::UiOptions;
use siteup::wizard::state::{
    ApplyRow, ApplyRows, CheckReport, FileChange, FileChangeKind, PlanFacts, RowState,
};
use siteup::wizard::{Journey, Mode, Phase, PhaseStep, Status, StepId, StepKind};
use time::OffsetDateTime;

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
}

pub(crate) fn mins_ago(m: i64) -> OffsetDateTime {
    now() - time::Duration::minutes(m)
}

pub(crate) fn secs_ago(s: i64) -> OffsetDateTime {
    now() - time::Duration::seconds(s)
}

pub(crate) fn opts(color: bool, unicode: bool) -> UiOptions {
    let mut o = UiOptions::plain_ascii();
    o.color = color;
    o.unicode = unicode;
    o
}

pub(crate) fn set(
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

pub(crate) fn done(j: &mut Journey, steps: &[StepId]) {
    for s in steps {
        set(j, *s, Status::Done, None, Some(mins_ago(30)));
    }
}

pub(crate) fn nameservers() -> Vec<String> {
    vec![
        "ns-1536.awsdns-00.co.uk".into(),
        "ns-0.awsdns-00.com".into(),
        "ns-1024.awsdns-00.org".into(),
        "ns-512.awsdns-00.net".into(),
    ]
}

pub(crate) fn profile_picker() -> Journey {
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

/// A profile as the picker lists it.
pub(crate) fn profile(name: &str, kind: ProfileKind, region: Option<&str>) -> ProfileInfo {
    ProfileInfo {
        choice: ProfileChoice::Named(name.into()),
        kind,
        region: region.map(str::to_string),
        sso_root: None,
    }
}

pub(crate) fn profile_verified() -> Journey {
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

pub(crate) fn site_form() -> Journey {
    let mut j = profile_verified();
    j.facts.identity_warning = None;
    j.facts.identity = Some("account 123456789012 as arn:aws:iam::123456789012:user/alice".into());
    j
}

pub(crate) fn generated() -> Journey {
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

pub(crate) fn plan(phase: Phase, destructive: bool) -> PlanFacts {
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

pub(crate) fn plan_review(phase: Phase, destructive: bool) -> Journey {
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
            StepId::Inbox,
            Status::WaitingOnYou,
            Some("click the link in the mail sent to you@example.net"),
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

pub(crate) fn apply_rows(n: usize) -> Vec<ApplyRow> {
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
pub(crate) fn applying(n: usize) -> Journey {
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
pub(crate) fn checkpoint_report(satisfied: bool) -> CheckReport {
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
            reopen: None,
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
            reopen: None,
        }
    }
}

/// Waiting on the nameserver checkpoint for 12 minutes, the other checkpoints waiting too.
pub(crate) fn nameservers_waiting() -> Journey {
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
        StepId::Inbox,
        Status::WaitingOnYou,
        Some("click the link in the mail sent to you@example.net"),
        Some(mins_ago(12)),
    );
    j.facts.checks.insert(
        StepId::Inbox,
        CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Human,
            headline: "Click the link in the mail AWS sent to you@example.net.".into(),
            lines: vec!["The mail comes from no-reply-aws@amazon.com; look in spam too.".into()],
            reopen: None,
        },
    );
    set(
        &mut j,
        StepId::SesProduction,
        Status::WaitingOnYou,
        Some("request production access"),
        Some(mins_ago(11)),
    );
    j.checks_in_flight =
        BTreeSet::from([StepId::Nameservers, StepId::Inbox, StepId::SesProduction]);
    j
}
