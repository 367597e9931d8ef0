//! The TUI's state for the full-screen UI tests (ui_keys, ui_loop, ui_panes): the answers, a
//! `UiState` and the finished journey. Included with
//! `#[path = "ui_support/tui_state.rs"] mod tui_state;`, next to `fixtures`.

use siteup::site::SiteConfig;
use siteup::ui::UiState;
use siteup::wizard::{Journey, Mode, Status, StepId};

use crate::fixtures::{mins_ago, nameservers, now, opts, set};

pub(crate) fn site() -> SiteConfig {
    let mut c = SiteConfig::with_defaults(
        siteup::site::Domain::parse("example.com").expect("domain"),
        siteup::site::Region::parse("eu-west-1").expect("region"),
    );
    c.inbox = Some(siteup::site::Inbox::parse("you@example.net").expect("inbox"));
    c
}

/// A UI state at the fixed clock, colours and Unicode on, answers for example.com.
pub(crate) fn ui() -> UiState {
    let mut o = opts(true, true);
    o.site = Some(site());
    UiState::new(&o, now())
}

pub(crate) fn all_done() -> Journey {
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
