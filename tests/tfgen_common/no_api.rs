//! The tfgen fixture without the API, for tfgen_snapshots and tfgen_terraform. Included with
//! `#[path = "tfgen_common/no_api.rs"] mod no_api;` next to `mod tfgen_common;`.

use siteup::site::{DmarcPolicy, Parts, SiteConfig};

/// eu-west-1 with site, database and users, no API (so no identity pool and no logging), and
/// the DMARC policy stepped up to quarantine.
pub(crate) fn eu_west_1_no_api() -> SiteConfig {
    SiteConfig {
        dmarc_policy: DmarcPolicy::Quarantine,
        ..crate::tfgen_common::config(
            "example.com",
            "eu-west-1",
            Parts::parse_list("site,database,users").expect("parts"),
            "none",
        )
    }
}
