//! The delegation handler: what the registry and the resolver say about the domain's
//! nameservers, over the DNS layer (real roots, or the sandbox's and the tests' on loopback).

use super::BoxFuture;
use crate::dns::DnsConfig;
use crate::wizard::StepKind;
use crate::wizard::state::CheckReport;

/// What the journey asks of DNS.
pub trait DelegationCheck: Send + Sync {
    /// The nameserver checkpoint: is `domain` delegated to `expected`?
    fn check<'a>(&'a self, domain: &'a str, expected: &'a [String]) -> BoxFuture<'a, CheckReport>;
    /// The nameservers the registry delegates `domain` to today (none when it is not).
    fn registry_nameservers<'a>(&'a self, domain: &'a str) -> BoxFuture<'a, Vec<String>>;
}

/// The real [`DelegationCheck`].
pub(crate) struct DnsHandler {
    dns: DnsConfig,
}

impl DnsHandler {
    pub(crate) fn new(dns: DnsConfig) -> Self {
        Self { dns }
    }
}

impl DelegationCheck for DnsHandler {
    fn check<'a>(&'a self, domain: &'a str, expected: &'a [String]) -> BoxFuture<'a, CheckReport> {
        Box::pin(async move {
            let report = crate::dns::check_delegation(&self.dns, domain, expected).await;
            let lines = crate::dns::render_verdict_text(&report)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect();
            let headline = if report.ready {
                format!("{domain} is delegated to your Route 53 nameservers.")
            } else {
                format!(
                    "Set these nameservers at your registrar: {}. {}",
                    expected.join(", "),
                    report.registry.summary
                )
            };
            CheckReport {
                satisfied: report.ready,
                unchecked: false,
                waiting_on: StepKind::Human,
                headline,
                lines,
                reopen: None,
            }
        })
    }

    fn registry_nameservers<'a>(&'a self, domain: &'a str) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async move {
            crate::dns::check_delegation(&self.dns, domain, &[])
                .await
                .registry
                .nameservers
        })
    }
}
