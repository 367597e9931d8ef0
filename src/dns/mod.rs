//! The delegation check: has the registrar's change reached the registry, and what do
//! resolvers still see?
//!
//! The registry view asks the parent zone's own servers (walking from the root with
//! non-recursive queries); the resolver view asks the configured caching resolver. Both are
//! compared with the zone's nameservers in a [`DelegationReport`], worded for people by
//! [`render_text`] and serializable for `--json`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), siteup::dns::DnsConfigError> {
//! let cfg = siteup::dns::DnsConfig::from_env()?;
//! let ns = vec!["ns-1.awsdns-01.org".to_string()];
//! let report = siteup::dns::check_delegation(&cfg, "example.com", &ns).await;
//! print!("{}", siteup::dns::render_text(&report));
//! # Ok(()) }
//! ```

pub mod config;
pub mod fake_server;
pub(crate) mod registry;
pub(crate) mod report;
mod resolver;
pub mod wire;

use std::time::Instant;

use hickory_proto::rr::Name;
use time::OffsetDateTime;

pub use config::{DnsConfig, DnsConfigError, ResolverChoice, RootSource};
pub use report::{
    DelegationReport, DsRecord, DsView, ParentServer, RegistryView, ResolverState, ResolverView,
    ServerAnswer, Verdict, nameserver_lines, normalize_ns, render_text, render_verdict_text,
};

/// A name as people write it: lowercase, no trailing dot (the root is "").
pub(crate) fn display_name(name: &Name) -> String {
    name.to_lowercase()
        .to_ascii()
        .trim_end_matches('.')
        .to_string()
}

/// A zone for sentences: ".com", or "the root zone".
pub(crate) fn display_zone(name: &Name) -> String {
    if name.is_root() {
        "the root zone".to_string()
    } else {
        format!(".{}", display_name(name))
    }
}

/// Parses a domain as the user typed it (Unicode, trailing dot or not) into an absolute name.
fn parse_domain(domain: &str) -> Option<Name> {
    let trimmed = domain.trim().trim_end_matches('.');
    if trimmed.is_empty() {
        return None;
    }
    let mut name = Name::from_utf8(trimmed).ok()?;
    name.set_fqdn(true);
    Some(name.to_lowercase())
}

/// Checks the delegation of `domain` against the zone's nameservers `expected_ns` (any case,
/// trailing dots or not): the registry view and the resolver view, in parallel, within
/// `cfg.total_timeout`.
pub async fn check_delegation(
    cfg: &DnsConfig,
    domain: &str,
    expected_ns: &[String],
) -> DelegationReport {
    let started = Instant::now();
    let checked_at = OffsetDateTime::now_utc();
    let Some(qname) = parse_domain(domain) else {
        let registry = registry::RegistryRaw {
            problems: vec![format!(
                "{domain:?} is not a domain name siteup can look up"
            )],
            ..Default::default()
        };
        let mut report = report::build_report(
            domain,
            expected_ns,
            &registry,
            &resolver::ResolverRaw::NotAsked(ResolverChoice::Disabled),
            checked_at,
            started.elapsed(),
        );
        report.registry.summary = format!(
            "{domain:?} is not a domain name siteup can look up: check the domain in the site settings."
        );
        return report;
    };
    let shown = display_name(&qname);
    let (registry, resolver) = tokio::join!(
        registry::read_registry(cfg, &qname),
        resolver::read_resolver(cfg, &qname)
    );
    report::build_report(
        &shown,
        expected_ns,
        &registry,
        &resolver,
        checked_at,
        started.elapsed(),
    )
}

/// A name's TXT records as its own servers publish them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The records, each with its strings joined.
    Records(Vec<String>),
    /// No TXT record there (the name does not exist, or has other records only).
    None,
    /// No server answered; why, in a phrase.
    Unchecked(String),
}

/// The TXT records of `name`, asked from the name's authoritative servers (walking from the
/// roots of `cfg`, so no cache answers for them), within `cfg.total_timeout`.
pub async fn lookup_txt(cfg: &DnsConfig, name: &str) -> TxtAnswer {
    // Owner names like _dmarc.example.com are not host names: read ASCII as it is.
    let ascii = name.trim().trim_end_matches('.');
    let qname = if ascii.is_ascii() && !ascii.is_empty() {
        Name::from_ascii(format!("{ascii}."))
            .ok()
            .map(|n| n.to_lowercase())
    } else {
        parse_domain(name)
    };
    let Some(qname) = qname else {
        return TxtAnswer::Unchecked(format!("{name:?} is not a name siteup can look up"));
    };
    match registry::read_txt(cfg, &qname).await {
        registry::TxtRaw::Records(records) => TxtAnswer::Records(records),
        registry::TxtRaw::NoData | registry::TxtRaw::NxDomain => TxtAnswer::None,
        registry::TxtRaw::Unreachable(problems) => TxtAnswer::Unchecked(format!(
            "no DNS server answered for {} ({})",
            display_name(&qname),
            problems.join("; ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bad_domain_is_reported_without_any_packet() {
        let cfg = DnsConfig::with_roots(vec!["127.0.0.1:9".parse().expect("addr")], None);
        let report = check_delegation(&cfg, " . ", &["ns1.example.net".to_string()]).await;
        assert!(matches!(report.verdict, Verdict::Unreachable { .. }));
        assert!(report.contacted.is_empty());
        assert!(
            report
                .registry
                .summary
                .ends_with("check the domain in the site settings."),
            "{}",
            report.registry.summary
        );
    }

    #[test]
    fn domains_parse_with_unicode_case_and_dots() {
        assert_eq!(
            parse_domain("Example.COM.").map(|n| display_name(&n)),
            Some("example.com".to_string())
        );
        assert_eq!(
            parse_domain("bücher.de").map(|n| display_name(&n)),
            Some("xn--bcher-kva.de".to_string())
        );
        assert_eq!(parse_domain(""), None);
    }
}
