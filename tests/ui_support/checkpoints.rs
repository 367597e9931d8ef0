//! Journeys at the later checkpoints (sandbox, nameservers delegated, SES waiting), for ui_keys
//! and ui_panes. Included with `#[path = "ui_support/checkpoints.rs"] mod checkpoints;`, next
//! to `fixtures`.

use siteup::wizard::state::CheckReport;
use siteup::wizard::{Journey, Status, StepId, StepKind};

use crate::fixtures::*;

pub(crate) fn sandbox(mut j: Journey) -> Journey {
    j.facts.sandbox = true;
    j.facts.profile = Some("sandbox".into());
    j
}

pub(crate) fn delegated() -> Journey {
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
            reopen: None,
        },
    );
    j
}

pub(crate) fn ses_waiting() -> Journey {
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
            reopen: None,
        },
    );
    j
}
