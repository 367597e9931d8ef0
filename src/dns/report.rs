//! The delegation report: both views compared with the zone's nameservers, worded for people
//! (one clear sentence each), serializable for `siteup nameservers --json`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::words::DurationStyle;

use super::config::{RESOLVER_ENV, ROOT_ENV, ResolverChoice};
use super::registry::RegistryRaw;
use super::resolver::ResolverRaw;

/// The registry's verdict on the delegation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Verdict {
    /// Every registry server lists exactly the zone's nameservers.
    Delegated,
    /// Some registry servers list exactly the zone's nameservers, others do not yet.
    Propagating { updated: usize, answering: usize },
    /// The registry lists some of the zone's nameservers: `missing` must be added, `extra`
    /// removed.
    PartlyDelegated {
        missing: Vec<String>,
        extra: Vec<String>,
    },
    /// The registry lists none of the zone's nameservers (`registry_has` is what it lists:
    /// the old provider, or nothing).
    NotDelegated { registry_has: Vec<String> },
    /// No registry server could be asked.
    Unreachable { problems: Vec<String> },
}

impl Verdict {
    /// Short machine-friendly name (`delegated`, `partly_delegated`...).
    pub fn state(&self) -> &'static str {
        match self {
            Verdict::Delegated => "delegated",
            Verdict::Propagating { .. } => "propagating",
            Verdict::PartlyDelegated { .. } => "partly_delegated",
            Verdict::NotDelegated { .. } => "not_delegated",
            Verdict::Unreachable { .. } => "unreachable",
        }
    }
}

/// What one server of the parent zone answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum ServerAnswer {
    /// A referral (or authoritative NS set) naming these nameservers.
    Delegation {
        nameservers: Vec<String>,
        ttl_seconds: u32,
    },
    /// The server knows the zone but has no delegation for the domain.
    NoDelegation,
    /// No usable answer.
    Failed { reason: String },
}

/// One server of the parent zone (the registry) and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentServer {
    /// The server's name (e.g. `a.gtld-servers.net`), or "root server".
    pub name: String,
    /// The address that answered (or the last one tried).
    pub address: Option<String>,
    #[serde(flatten)]
    pub answer: ServerAnswer,
    /// DS records this server holds for the domain; absent when it could not tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ds: Option<Vec<DsRecord>>,
    /// Whether the answer needed TCP (the UDP answer was truncated).
    #[serde(default)]
    pub tcp: bool,
}

/// A DS record at the parent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DsRecord {
    pub key_tag: u16,
    pub algorithm: u8,
    pub digest_type: u8,
    /// Hex digest.
    pub digest: String,
}

/// The registry view: what the parent zone's own servers say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryView {
    /// The parent zone (`com`, `co.uk`; empty string for the root), when reached.
    pub zone: Option<String>,
    /// The nameservers the registry lists (the answer most of its servers gave), sorted.
    pub nameservers: Vec<String>,
    /// Whether every answering registry server lists exactly the zone's nameservers.
    pub matches: bool,
    /// The zone's nameservers the registry does not list.
    pub missing: Vec<String>,
    /// Nameservers the registry lists that are not the zone's.
    pub extra: Vec<String>,
    /// TTL of the delegation: how long resolvers may cache it.
    pub ttl_seconds: Option<u32>,
    /// Each registry server and its answer.
    pub servers: Vec<ParentServer>,
    /// One sentence: the registry's verdict and what to do.
    pub summary: String,
    /// Further sentences (servers that did not answer).
    pub notes: Vec<String>,
}

/// The state of the resolver view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolverState {
    /// The resolver returns exactly the zone's nameservers.
    Matches,
    /// The resolver returns other nameservers (cached for `ttl_seconds`).
    CachingOld,
    /// The resolver says the domain does not exist.
    NoSuchDomain,
    /// The resolver finds no NS records.
    NoNameservers,
    /// The resolver answered with an error code.
    Failed,
    /// The resolver did not answer.
    Unreachable,
    /// No resolver was asked.
    NotChecked,
}

/// The resolver view: what the configured caching resolver answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolverView {
    /// The resolver's address.
    pub server: Option<String>,
    pub state: ResolverState,
    /// The nameservers it returned, sorted.
    pub nameservers: Vec<String>,
    /// Whether they are exactly the zone's nameservers.
    pub matches: bool,
    /// How long its cached answer still lives.
    pub ttl_seconds: Option<u32>,
    /// One sentence.
    pub summary: String,
}

/// DS records at the parent. siteup's zones are unsigned, so any DS breaks resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsView {
    /// Whether at least one registry server said whether it holds a DS record.
    pub checked: bool,
    /// Whether a DS record is there.
    pub present: bool,
    pub records: Vec<DsRecord>,
    /// The warning sentence, when a DS record is there.
    pub summary: Option<String>,
}

/// Everything one delegation check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationReport {
    pub domain: String,
    /// The zone's nameservers (to enter at the registrar), without trailing dots.
    pub nameservers: Vec<String>,
    pub verdict: Verdict,
    /// The registry lists exactly the zone's nameservers.
    pub delegated: bool,
    /// Delegated and no DS record in the way: the checkpoint is passed.
    pub ready: bool,
    pub registry: RegistryView,
    pub resolver: ResolverView,
    pub ds: DsView,
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    /// How long the check took.
    pub took_ms: u64,
    /// Every address a packet was sent to during the check.
    pub contacted: Vec<SocketAddr>,
}

/// Lowercase, no surrounding space, no trailing dot.
pub fn normalize_ns(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn normalized_set(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let n = normalize_ns(n);
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// Like `normalized_set`, sorted: the order servers give varies from answer to answer.
fn sorted_set(names: &[String]) -> Vec<String> {
    let mut out = normalized_set(names);
    out.sort();
    out
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let a: BTreeSet<&String> = a.iter().collect();
    let b: BTreeSet<&String> = b.iter().collect();
    a == b
}

/// "a", "a and b", "a, b and c".
pub(crate) fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "The .com registry" / "the .com registry" / "The root zone".
fn registry_label(zone: Option<&str>, capital: bool) -> String {
    let text = match zone {
        Some("") => "the root zone".to_string(),
        Some(z) => format!("the .{z} registry"),
        None => "the registry".to_string(),
    };
    if capital {
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
            None => text,
        }
    } else {
        text
    }
}

fn your_n(n: usize) -> String {
    if n == 1 {
        "your nameserver".to_string()
    } else {
        format!("your {n} nameservers")
    }
}

fn server_label(addr: &SocketAddr) -> String {
    if addr.port() == 53 {
        addr.ip().to_string()
    } else {
        addr.to_string()
    }
}

/// Compares a list of names with the expected ones.
fn classify(found: &[String], expected: &[String]) -> Verdict {
    if expected.is_empty() {
        return Verdict::NotDelegated {
            registry_has: found.to_vec(),
        };
    }
    if same_set(found, expected) {
        return Verdict::Delegated;
    }
    let missing: Vec<String> = expected
        .iter()
        .filter(|e| !found.contains(e))
        .cloned()
        .collect();
    let extra: Vec<String> = found
        .iter()
        .filter(|f| !expected.contains(f))
        .cloned()
        .collect();
    if missing.len() == expected.len() {
        Verdict::NotDelegated {
            registry_has: found.to_vec(),
        }
    } else {
        Verdict::PartlyDelegated { missing, extra }
    }
}

fn registry_view(
    domain: &str,
    expected: &[String],
    raw: &RegistryRaw,
) -> (RegistryView, Verdict, DsView) {
    let zone = raw.zone.as_ref().map(super::display_name);
    let label = registry_label(zone.as_deref(), true);
    let label_lower = registry_label(zone.as_deref(), false);
    let mut groups: Vec<(Vec<String>, usize)> = Vec::new();
    let mut ttl: Option<u32> = None;
    let mut failed = Vec::new();
    for server in &raw.servers {
        let names = match &server.answer {
            ServerAnswer::Delegation {
                nameservers,
                ttl_seconds,
            } => {
                ttl = Some(ttl.map_or(*ttl_seconds, |t| t.min(*ttl_seconds)));
                sorted_set(nameservers)
            }
            ServerAnswer::NoDelegation => Vec::new(),
            ServerAnswer::Failed { reason } => {
                failed.push(reason.clone());
                continue;
            }
        };
        match groups.iter_mut().find(|(g, _)| same_set(g, &names)) {
            Some((_, count)) => *count += 1,
            None => groups.push((names, 1)),
        }
    }
    let answering: usize = groups.iter().map(|(_, c)| *c).sum();
    let mut notes = Vec::new();
    let verdict;
    let mut nameservers = Vec::new();
    if raw.zone.is_none() || answering == 0 {
        let mut problems = raw.problems.clone();
        problems.extend(failed.iter().cloned());
        if problems.is_empty() {
            problems.push(format!(
                "no server of {label_lower} could be found for {domain}"
            ));
        }
        verdict = Verdict::Unreachable { problems };
    } else {
        // The answer most servers gave; on a tie, the first.
        let mut best = 0;
        for (i, (_, count)) in groups.iter().enumerate() {
            if *count > groups[best].1 {
                best = i;
            }
        }
        nameservers = groups[best].0.clone();
        let updated = groups
            .iter()
            .filter(|(g, _)| same_set(g, expected))
            .map(|(_, c)| *c)
            .sum::<usize>();
        verdict = if groups.len() > 1 && updated > 0 {
            Verdict::Propagating { updated, answering }
        } else {
            classify(&nameservers, expected)
        };
        if !failed.is_empty() {
            let total = raw.servers.len();
            notes.push(format!(
                "{} of {total} servers of {label_lower} did not answer ({}), so the verdict rests on the {answering} that did.",
                failed.len(),
                failed.join("; ")
            ));
        }
    }
    let (missing, extra) = match &verdict {
        Verdict::Delegated => (Vec::new(), Vec::new()),
        Verdict::Unreachable { .. } => (Vec::new(), Vec::new()),
        _ => (
            expected
                .iter()
                .filter(|e| !nameservers.contains(e))
                .cloned()
                .collect(),
            nameservers
                .iter()
                .filter(|f| !expected.contains(f))
                .cloned()
                .collect::<Vec<_>>(),
        ),
    };
    let n = expected.len();
    let summary = match &verdict {
        Verdict::Delegated => format!(
            "{label} lists exactly {}, so the delegation is live.",
            your_n(n)
        ),
        Verdict::Propagating { updated, answering } => format!(
            "{updated} of the {answering} servers of {label_lower} already list {} and the others still list {}; the rest usually catch up within minutes.",
            your_n(n),
            match groups
                .iter()
                .filter(|(g, _)| !same_set(g, expected))
                .max_by_key(|(_, c)| *c)
            {
                Some((g, _)) if !g.is_empty() => join_names(g),
                _ => "no nameservers".to_string(),
            }
        ),
        Verdict::PartlyDelegated { missing, extra } => match (missing.is_empty(), extra.is_empty())
        {
            (false, true) => format!(
                "{label} lists only some of {}: add {} at your registrar.",
                your_n(n),
                join_names(missing)
            ),
            (true, false) => format!(
                "{label} lists {} plus {}: remove {} at your registrar.",
                your_n(n),
                join_names(extra),
                if extra.len() == 1 { "it" } else { "them" }
            ),
            _ => format!(
                "{label} is missing {} and still lists {}: at your registrar, add the missing {} and remove the {}.",
                join_names(missing),
                join_names(extra),
                if missing.len() == 1 { "one" } else { "ones" },
                if extra.len() == 1 { "other" } else { "others" }
            ),
        },
        Verdict::NotDelegated { registry_has } if expected.is_empty() => format!(
            "The zone's nameservers are not known yet, so siteup cannot compare them with {label_lower}, which lists {}.",
            if registry_has.is_empty() {
                "no nameservers".to_string()
            } else {
                join_names(registry_has)
            }
        ),
        Verdict::NotDelegated { registry_has } if registry_has.is_empty() => format!(
            "{label} has no nameservers for {domain}: check that the domain is registered and enter {} at your registrar.",
            your_n(n)
        ),
        Verdict::NotDelegated { registry_has } => format!(
            "{label} still lists the old nameservers {}: replace them with {} at your registrar.",
            join_names(registry_has),
            your_n(n)
        ),
        Verdict::Unreachable { problems } => {
            let shown = if problems.len() > 3 {
                format!(
                    "{}; and {} more",
                    problems[..3].join("; "),
                    problems.len() - 3
                )
            } else {
                problems.join("; ")
            };
            format!(
                "The registry could not be checked because {shown}: check the network connection (or {ROOT_ENV}) and try again."
            )
        }
    };
    // DS records: any at the parent is a problem, the zone is unsigned.
    let mut records: Vec<DsRecord> = Vec::new();
    let mut checked = false;
    for server in &raw.servers {
        if let Some(ds) = &server.ds {
            checked = true;
            for r in ds {
                if !records.contains(r) {
                    records.push(r.clone());
                }
            }
        }
    }
    records.sort();
    let ds_summary = if records.is_empty() {
        None
    } else {
        let tags: Vec<String> = records
            .iter()
            .map(|r| format!("key tag {}, algorithm {}", r.key_tag, r.algorithm))
            .collect();
        Some(format!(
            "{label} holds a DS record for {domain} ({}) but your new zone is not signed, so DNSSEC-validating resolvers will fail to resolve the domain: turn off DNSSEC (delete the DS record) at your registrar.",
            tags.join("; ")
        ))
    };
    let ds = DsView {
        checked,
        present: !records.is_empty(),
        records,
        summary: ds_summary,
    };
    let view = RegistryView {
        zone,
        matches: verdict == Verdict::Delegated,
        nameservers,
        missing,
        extra,
        ttl_seconds: ttl,
        servers: raw.servers.clone(),
        summary,
        notes,
    };
    (view, verdict, ds)
}

fn resolver_view(
    domain: &str,
    expected: &[String],
    raw: &ResolverRaw,
    delegated: bool,
    ds_present: bool,
) -> ResolverView {
    let none = |state, summary: String| ResolverView {
        server: None,
        state,
        nameservers: Vec::new(),
        matches: false,
        ttl_seconds: None,
        summary,
    };
    match raw {
        ResolverRaw::NotAsked(choice) => {
            let summary = match choice {
                ResolverChoice::TestRoots => format!(
                    "Your resolver was not asked because {ROOT_ENV} points siteup at test servers; set {RESOLVER_ENV}=IP:PORT to include one."
                ),
                ResolverChoice::NoneConfigured => format!(
                    "Your resolver was not asked because /etc/resolv.conf names no nameserver; set {RESOLVER_ENV}=IP:PORT to name one."
                ),
                ResolverChoice::Disabled | ResolverChoice::Use(_) => {
                    "Your resolver was not asked because none is configured for this check."
                        .to_string()
                }
            };
            none(ResolverState::NotChecked, summary)
        }
        ResolverRaw::Answered { server, names, ttl } => {
            let names = sorted_set(names);
            let who = format!("Your resolver ({})", server_label(server));
            let matches = same_set(&names, expected);
            let (state, summary) = if matches {
                (
                    ResolverState::Matches,
                    format!("{who} already sees your nameservers."),
                )
            } else if delegated {
                (
                    ResolverState::CachingOld,
                    format!(
                        "{who} is caching the old answer ({}) for {}; the registry already has your nameservers, so it will switch by itself.",
                        join_names(&names),
                        crate::words::seconds(u64::from(*ttl), DurationStyle::Remaining)
                    ),
                )
            } else {
                (
                    ResolverState::CachingOld,
                    format!(
                        "{who} is caching the old answer ({}) for {}; it will see your nameservers after that, once the registry has them.",
                        join_names(&names),
                        crate::words::seconds(u64::from(*ttl), DurationStyle::Remaining)
                    ),
                )
            };
            ResolverView {
                server: Some(server.to_string()),
                state,
                nameservers: names,
                matches,
                ttl_seconds: Some(*ttl),
                summary,
            }
        }
        ResolverRaw::NoSuchDomain { server, ttl } => {
            let who = format!("Your resolver ({})", server_label(server));
            let summary = match ttl {
                Some(t) => format!(
                    "{who} says {domain} does not exist and is caching that answer for {}.",
                    crate::words::seconds(u64::from(*t), DurationStyle::Remaining)
                ),
                None => format!("{who} says {domain} does not exist."),
            };
            ResolverView {
                server: Some(server.to_string()),
                state: ResolverState::NoSuchDomain,
                nameservers: Vec::new(),
                matches: false,
                ttl_seconds: *ttl,
                summary,
            }
        }
        ResolverRaw::NoData { server, ttl } => ResolverView {
            server: Some(server.to_string()),
            state: ResolverState::NoNameservers,
            nameservers: Vec::new(),
            matches: false,
            ttl_seconds: *ttl,
            summary: format!(
                "Your resolver ({}) finds no nameservers for {domain}.",
                server_label(server)
            ),
        },
        ResolverRaw::Failed { server, rcode } => {
            let who = format!("Your resolver ({})", server_label(server));
            let summary = if rcode.eq_ignore_ascii_case("Server Failure")
                || rcode.to_ascii_uppercase().contains("SERVFAIL")
            {
                if ds_present {
                    format!(
                        "{who} fails to resolve {domain} (SERVFAIL), which is what the DS record at the registry causes."
                    )
                } else {
                    format!(
                        "{who} fails to resolve {domain} (SERVFAIL), usually because the nameservers the registry lists do not answer for it."
                    )
                }
            } else {
                format!("{who} answered {rcode}, so only the registry view is shown.")
            };
            ResolverView {
                server: Some(server.to_string()),
                state: ResolverState::Failed,
                nameservers: Vec::new(),
                matches: false,
                ttl_seconds: None,
                summary,
            }
        }
        ResolverRaw::Unreachable { server, reason } => ResolverView {
            server: Some(server.to_string()),
            state: ResolverState::Unreachable,
            nameservers: Vec::new(),
            matches: false,
            ttl_seconds: None,
            summary: format!(
                "Your resolver ({}) {reason}, so only the registry view is shown.",
                server_label(server)
            ),
        },
    }
}

/// Builds the report from both raw views.
pub(crate) fn build_report(
    domain: &str,
    expected_ns: &[String],
    registry: &RegistryRaw,
    resolver: &ResolverRaw,
    checked_at: OffsetDateTime,
    took: Duration,
) -> DelegationReport {
    let expected = normalized_set(expected_ns);
    let (registry_view, verdict, ds) = registry_view(domain, &expected, registry);
    let delegated = verdict == Verdict::Delegated;
    let resolver_view = resolver_view(domain, &expected, resolver, delegated, ds.present);
    DelegationReport {
        domain: domain.to_string(),
        nameservers: expected,
        delegated,
        ready: delegated && !ds.present,
        verdict,
        registry: registry_view,
        resolver: resolver_view,
        ds,
        checked_at,
        took_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        contacted: registry.contacted.clone(),
    }
}

/// The nameservers, one per line, to enter at the registrar.
pub fn nameserver_lines(nameservers: &[String], trailing_dots: bool) -> String {
    let mut out = String::new();
    for ns in nameservers {
        let ns = normalize_ns(ns);
        if trailing_dots {
            let _ = writeln!(out, "{ns}.");
        } else {
            let _ = writeln!(out, "{ns}");
        }
    }
    out
}

/// The plain-text form of a report (`siteup nameservers` without `--json`).
pub fn render_text(report: &DelegationReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Nameservers for {} (enter these at your registrar):",
        report.domain
    );
    for ns in &report.nameservers {
        let _ = writeln!(out, "  {ns}");
    }
    let _ = writeln!(out);
    out.push_str(&render_verdict_text(report));
    out
}

/// The verdict part of [`render_text`]: both views, DNSSEC, when it was checked.
pub fn render_verdict_text(report: &DelegationReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Registry: {}", report.registry.summary);
    for note in &report.registry.notes {
        let _ = writeln!(out, "          {note}");
    }
    let _ = writeln!(out, "Resolver: {}", report.resolver.summary);
    if let Some(ds) = &report.ds.summary {
        let _ = writeln!(out, "DNSSEC:   {ds}");
    }
    let when = report
        .checked_at
        .to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .unwrap_or_else(|_| "just now".to_string());
    let _ = writeln!(
        out,
        "Checked at {when} in {}.",
        crate::words::duration(
            Duration::from_millis(report.took_ms),
            DurationStyle::Seconds
        )
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Name;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(std::string::ToString::to_string).collect()
    }

    fn server(name: &str, ns: &[&str]) -> ParentServer {
        ParentServer {
            name: name.to_string(),
            address: Some("127.0.0.11:5353".to_string()),
            answer: ServerAnswer::Delegation {
                nameservers: s(ns),
                ttl_seconds: 172_800,
            },
            ds: Some(Vec::new()),
            tcp: false,
        }
    }

    fn raw(servers: Vec<ParentServer>) -> RegistryRaw {
        RegistryRaw {
            zone: Some(Name::from_ascii("com.").expect("name")),
            servers,
            problems: Vec::new(),
            contacted: Vec::new(),
        }
    }

    const EXPECTED: [&str; 2] = ["ns-1.awsdns-01.org.", "NS-2.awsdns-02.com"];

    fn report(registry: RegistryRaw, resolver: ResolverRaw) -> DelegationReport {
        build_report(
            "example.com",
            &s(&EXPECTED),
            &registry,
            &resolver,
            OffsetDateTime::UNIX_EPOCH,
            Duration::from_millis(420),
        )
    }

    #[test]
    fn names_compare_case_insensitively_with_or_without_dots() {
        let r = report(
            raw(vec![server(
                "a.gtld-servers.net",
                &["NS-1.AWSDNS-01.ORG", "ns-2.awsdns-02.com."],
            )]),
            ResolverRaw::NotAsked(ResolverChoice::Disabled),
        );
        assert_eq!(r.verdict, Verdict::Delegated);
        assert!(r.delegated && r.ready && r.registry.matches);
        assert_eq!(
            r.registry.summary,
            "The .com registry lists exactly your 2 nameservers, so the delegation is live."
        );
        assert_eq!(
            r.nameservers,
            s(&["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"])
        );
    }

    #[test]
    fn partial_and_not_delegated_name_the_servers() {
        let r = report(
            raw(vec![server("a", &["ns-1.awsdns-01.org", "ns1.old.net"])]),
            ResolverRaw::NotAsked(ResolverChoice::Disabled),
        );
        assert_eq!(
            r.verdict,
            Verdict::PartlyDelegated {
                missing: s(&["ns-2.awsdns-02.com"]),
                extra: s(&["ns1.old.net"])
            }
        );
        assert!(r.registry.summary.contains("missing ns-2.awsdns-02.com"));
        assert!(r.registry.summary.contains("still lists ns1.old.net"));
        let r = report(
            raw(vec![server("a", &["ns1.old.net", "ns2.old.net"])]),
            ResolverRaw::NotAsked(ResolverChoice::Disabled),
        );
        assert_eq!(
            r.registry.summary,
            "The .com registry still lists the old nameservers ns1.old.net and ns2.old.net: replace them with your 2 nameservers at your registrar."
        );
        let r = report(
            raw(vec![server("a", &["ns-1.awsdns-01.org"])]),
            ResolverRaw::NotAsked(ResolverChoice::Disabled),
        );
        assert_eq!(
            r.registry.summary,
            "The .com registry lists only some of your 2 nameservers: add ns-2.awsdns-02.com at your registrar."
        );
    }

    #[test]
    fn resolver_caching_old_answer_gives_remaining_time() {
        let r = report(
            raw(vec![server("a", &EXPECTED)]),
            ResolverRaw::Answered {
                server: "10.0.0.2:53".parse().expect("addr"),
                names: s(&["ns1.old.net", "ns2.old.net"]),
                ttl: 6000,
            },
        );
        assert_eq!(r.resolver.state, ResolverState::CachingOld);
        assert_eq!(
            r.resolver.summary,
            "Your resolver (10.0.0.2) is caching the old answer (ns1.old.net and ns2.old.net) for about 1 h 40 m more; the registry already has your nameservers, so it will switch by itself."
        );
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["registry"]["matches"], true);
        assert_eq!(json["resolver"]["matches"], false);
        assert_eq!(json["resolver"]["nameservers"][0], "ns1.old.net");
        assert_eq!(json["nameservers"][1], "ns-2.awsdns-02.com");
        assert_eq!(json["verdict"]["state"], "delegated");
        let back: DelegationReport = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, r);
    }

    #[test]
    fn ds_at_parent_is_a_problem() {
        let mut srv = server("a", &EXPECTED);
        srv.ds = Some(vec![DsRecord {
            key_tag: 2371,
            algorithm: 13,
            digest_type: 2,
            digest: "AB".to_string(),
        }]);
        let r = report(
            raw(vec![srv]),
            ResolverRaw::NotAsked(ResolverChoice::Disabled),
        );
        assert!(r.delegated);
        assert!(!r.ready);
        let text = r.ds.summary.clone().expect("ds warning");
        assert!(text.contains("key tag 2371"), "{text}");
        assert!(text.contains("turn off DNSSEC"), "{text}");
        let text = render_text(&r);
        assert!(text.contains("DNSSEC:"));
        assert!(
            text.ends_with("Checked at 1970-01-01 00:00:00 UTC in 0.4 s.\n"),
            "{text}"
        );
    }

    #[test]
    fn disagreeing_servers_are_propagating_and_failures_are_noted() {
        let failed = ParentServer {
            name: "c".to_string(),
            address: Some("127.0.0.13:5353".to_string()),
            answer: ServerAnswer::Failed {
                reason: "c (127.0.0.13:5353) did not answer within 0.4 s".to_string(),
            },
            ds: None,
            tcp: false,
        };
        let r = report(
            raw(vec![
                server("a", &EXPECTED),
                server("b", &["ns1.old.net"]),
                server("d", &["ns1.old.net"]),
                failed,
            ]),
            ResolverRaw::NotAsked(ResolverChoice::Disabled),
        );
        assert_eq!(
            r.verdict,
            Verdict::Propagating {
                updated: 1,
                answering: 3
            }
        );
        assert!(!r.delegated);
        assert_eq!(r.registry.notes.len(), 1);
        assert!(r.registry.notes[0].contains("did not answer within 0.4 s"));
    }

    #[test]
    fn unreachable_names_each_server_and_why() {
        let mut registry = raw(Vec::new());
        registry.zone = None;
        registry.problems = s(&["root server (127.0.0.30:5353) did not answer within 0.4 s"]);
        let r = report(
            registry,
            ResolverRaw::Unreachable {
                server: "127.0.0.1:5399".parse().expect("addr"),
                reason: "did not answer within 3 s".to_string(),
            },
        );
        assert!(matches!(r.verdict, Verdict::Unreachable { .. }));
        assert!(r.registry.summary.starts_with(
            "The registry could not be checked because root server (127.0.0.30:5353) did not answer within 0.4 s"
        ));
        assert_eq!(
            r.resolver.summary,
            "Your resolver (127.0.0.1:5399) did not answer within 3 s, so only the registry view is shown."
        );
    }

    #[test]
    fn unknown_zone_nameservers_never_count_as_delegated() {
        let r = build_report(
            "example.com",
            &[],
            &raw(vec![server("a", &[])]),
            &ResolverRaw::NotAsked(ResolverChoice::Disabled),
            OffsetDateTime::UNIX_EPOCH,
            Duration::ZERO,
        );
        assert!(!r.delegated && !r.ready);
        assert!(
            r.registry.summary.contains("not known yet"),
            "{}",
            r.registry.summary
        );
    }

    #[test]
    fn remaining_time_reads_like_a_person_wrote_it() {
        let remaining = |s| crate::words::seconds(s, DurationStyle::Remaining);
        assert_eq!(remaining(10), "less than a minute more");
        assert_eq!(remaining(70), "about 1 more minute");
        assert_eq!(remaining(3599), "about 60 more minutes");
        assert_eq!(remaining(6000), "about 1 h 40 m more");
        assert_eq!(remaining(7200), "about 2 h more");
        assert_eq!(remaining(172_800), "about 2 more days");
        let short = |d| crate::words::duration(d, DurationStyle::Seconds);
        assert_eq!(short(Duration::from_millis(400)), "0.4 s");
        assert_eq!(short(Duration::from_secs(2)), "2 s");
        assert_eq!(short(Duration::from_millis(3)), "under 0.1 s");
        assert_eq!(join_names(&s(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn nameserver_lines_with_and_without_dots() {
        let ns = s(&["NS-1.awsdns-01.org.", "ns-2.awsdns-02.com"]);
        assert_eq!(
            nameserver_lines(&ns, true),
            "ns-1.awsdns-01.org.\nns-2.awsdns-02.com.\n"
        );
        assert_eq!(
            nameserver_lines(&ns, false),
            "ns-1.awsdns-01.org\nns-2.awsdns-02.com\n"
        );
    }
}
