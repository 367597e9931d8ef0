//! Shared fixtures of the tfgen tests (tfgen_regen, tfgen_snapshots, tfgen_terraform): the
//! configurations under test and rendering. `no_api.rs` holds the one configuration tfgen_regen
//! does not use.

use siteup::site::{Domain, InboundMail, Inbox, Parts, Region, SiteConfig};
use siteup::tfgen::{self, Backend, GenerateOptions, GeneratedFile};

/// A checked configuration (the fixtures below and `no_api.rs` are built with it).
pub(crate) fn config(domain: &str, region: &str, parts: Parts, inbound: &str) -> SiteConfig {
    let mut c = SiteConfig::with_defaults(
        Domain::parse(domain).expect("test domain is valid"),
        Region::parse(region).expect("test region is valid"),
    );
    c.parts = parts;
    c.inbound_mail = InboundMail::parse(inbound).expect("test MX records are valid");
    c.check().expect("test configuration is consistent");
    c
}

/// The whole stack in us-east-1, with the registrar's mail forwarding as MX.
/// The owner reads mail at the domain itself, through those MX records.
pub(crate) fn full_us_east_1() -> SiteConfig {
    with_inbox(
        config(
            "example.com",
            "us-east-1",
            Parts::all(),
            "10 mx1.forwardemail.net, 20 mx2.forwardemail.net",
        ),
        "me@example.com",
    )
}

/// The zone and email only: every part off, and the guardrails.
pub(crate) fn minimal() -> SiteConfig {
    let mut c = config("example.com", "us-east-1", Parts::none(), "none");
    c.guardrails.on = false;
    c
}

/// The whole stack outside us-east-1 (the API gets its own regional certificate).
/// The owner reads mail elsewhere.
pub(crate) fn full_eu_central_1() -> SiteConfig {
    with_inbox(
        config(
            "example.org",
            "eu-central-1",
            Parts::all(),
            "10 mx.example.net",
        ),
        "owner@example.net",
    )
}

/// `config` with the owner's inbox.
pub(crate) fn with_inbox(mut config: SiteConfig, inbox: &str) -> SiteConfig {
    config.inbox = Some(Inbox::parse(inbox).expect("test inbox is valid"));
    config.check().expect("test configuration is consistent");
    config
}

pub(crate) fn render(config: &SiteConfig, backend: Backend) -> Vec<GeneratedFile> {
    tfgen::render(config, &GenerateOptions { backend }).expect("render succeeds")
}
