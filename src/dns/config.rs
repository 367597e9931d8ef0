//! Where the delegation check sends its packets: the root servers it starts from, the resolver
//! it asks for the "what do resolvers see" view, and how long it may wait.
//!
//! `SITEUP_DNS_ROOT` (comma-separated `IP:PORT`) replaces the IANA root servers; when it is set the
//! check never falls back to the IANA roots, never reads `/etc/resolv.conf`, and refuses to send a
//! packet to a non-loopback address if every root is on loopback (tests and the sandbox).
//! `SITEUP_DNS_RESOLVER` (`IP:PORT`, or `none`) names the resolver to ask; without it the first
//! `nameserver` of `/etc/resolv.conf` is used (only when `SITEUP_DNS_ROOT` is not set).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

/// Environment variable naming the root servers (`IP:PORT,IP:PORT`).
pub const ROOT_ENV: &str = "SITEUP_DNS_ROOT";
/// Environment variable naming the resolver whose cache the check reads (`IP:PORT` or `none`).
pub const RESOLVER_ENV: &str = "SITEUP_DNS_RESOLVER";

/// The IANA root servers a.root-servers.net to m.root-servers.net (IPv4), port 53.
pub const IANA_ROOTS: [Ipv4Addr; 13] = [
    Ipv4Addr::new(198, 41, 0, 4),
    Ipv4Addr::new(170, 247, 170, 2),
    Ipv4Addr::new(192, 33, 4, 12),
    Ipv4Addr::new(199, 7, 91, 13),
    Ipv4Addr::new(192, 203, 230, 10),
    Ipv4Addr::new(192, 5, 5, 241),
    Ipv4Addr::new(192, 112, 36, 4),
    Ipv4Addr::new(198, 97, 190, 53),
    Ipv4Addr::new(192, 36, 148, 17),
    Ipv4Addr::new(192, 58, 128, 30),
    Ipv4Addr::new(193, 0, 14, 129),
    Ipv4Addr::new(199, 7, 83, 42),
    Ipv4Addr::new(202, 12, 27, 33),
];

/// Where the root servers of a [`DnsConfig`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootSource {
    /// The IANA root servers (no `SITEUP_DNS_ROOT`).
    Iana,
    /// `SITEUP_DNS_ROOT`.
    Environment,
    /// Given in code (tests, the sandbox).
    Explicit,
}

/// Why the resolver view is not available.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolverChoice {
    /// Ask this resolver.
    Use(SocketAddr),
    /// `SITEUP_DNS_RESOLVER=none`.
    Disabled,
    /// `SITEUP_DNS_ROOT` points at test servers and no resolver was named.
    TestRoots,
    /// `/etc/resolv.conf` is missing or names no usable nameserver.
    NoneConfigured,
}

/// Settings of one delegation check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    /// Root servers the walk starts from. Every server found below a root is asked on the port
    /// of the server that named it (so a loopback setup runs everything on one port).
    pub roots: Vec<SocketAddr>,
    /// Where `roots` came from.
    pub root_source: RootSource,
    /// The resolver asked for the resolver view.
    pub resolver: ResolverChoice,
    /// How long one query waits for an answer before the next server is tried.
    pub query_timeout: Duration,
    /// Upper bound for the whole check.
    pub total_timeout: Duration,
    /// Refuse to send any packet to a non-loopback address (set when every root is on loopback).
    pub loopback_only: bool,
}

/// A setting in the environment that siteup cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsConfigError {
    #[error(
        "{var} is set to {value:?}, which is not a comma-separated list of IP:PORT addresses ({problem}): fix it, for example {var}=127.0.0.10:5353, or unset it to use the real root servers."
    )]
    BadRoots {
        var: &'static str,
        value: String,
        problem: String,
    },
    #[error(
        "{var} is set to {value:?}, which is not an IP:PORT address: fix it, for example {var}=127.0.0.1:5353, or set it to none to skip the resolver view."
    )]
    BadResolver { var: &'static str, value: String },
}

impl DnsConfig {
    /// Default time one query may take.
    pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_millis(1500);
    /// Default bound for the whole check.
    pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(10);

    /// Reads `SITEUP_DNS_ROOT` and `SITEUP_DNS_RESOLVER` from the process environment and, when
    /// neither points elsewhere, `/etc/resolv.conf`.
    pub fn from_env() -> Result<Self, DnsConfigError> {
        Self::from_vars(
            |name| std::env::var(name).ok(),
            Path::new("/etc/resolv.conf"),
        )
    }

    /// Like [`DnsConfig::from_env`] with the environment given as a function (tests) and the
    /// path of `resolv.conf`.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        resolv_conf: &Path,
    ) -> Result<Self, DnsConfigError> {
        let roots_value = var(ROOT_ENV).filter(|v| !v.trim().is_empty());
        let (roots, root_source) = match &roots_value {
            Some(value) => (parse_roots(value)?, RootSource::Environment),
            None => (iana_roots(), RootSource::Iana),
        };
        let resolver = match var(RESOLVER_ENV).filter(|v| !v.trim().is_empty()) {
            Some(value) => parse_resolver(&value)?,
            None if root_source == RootSource::Environment => ResolverChoice::TestRoots,
            None => match std::fs::read_to_string(resolv_conf) {
                Ok(text) => match first_nameserver(&text) {
                    Some(addr) => ResolverChoice::Use(addr),
                    None => ResolverChoice::NoneConfigured,
                },
                Err(_) => ResolverChoice::NoneConfigured,
            },
        };
        let loopback_only = all_loopback(&roots);
        Ok(Self {
            roots,
            root_source,
            resolver,
            query_timeout: Self::DEFAULT_QUERY_TIMEOUT,
            total_timeout: Self::DEFAULT_TOTAL_TIMEOUT,
            loopback_only,
        })
    }

    /// A configuration with explicit roots and resolver (tests, the sandbox). If every root is
    /// on loopback, no packet will ever leave loopback.
    pub fn with_roots(roots: Vec<SocketAddr>, resolver: Option<SocketAddr>) -> Self {
        let loopback_only = all_loopback(&roots);
        Self {
            roots,
            root_source: RootSource::Explicit,
            resolver: match resolver {
                Some(addr) => ResolverChoice::Use(addr),
                None => ResolverChoice::Disabled,
            },
            query_timeout: Self::DEFAULT_QUERY_TIMEOUT,
            total_timeout: Self::DEFAULT_TOTAL_TIMEOUT,
            loopback_only,
        }
    }

    /// Sets the per-query and whole-check time limits.
    pub fn with_timeouts(mut self, query: Duration, total: Duration) -> Self {
        self.query_timeout = query;
        self.total_timeout = total;
        self
    }

    /// Whether `addr` may be sent a packet under this configuration.
    pub fn may_contact(&self, addr: &SocketAddr) -> bool {
        !self.loopback_only || addr.ip().is_loopback()
    }
}

fn all_loopback(roots: &[SocketAddr]) -> bool {
    !roots.is_empty() && roots.iter().all(|a| a.ip().is_loopback())
}

/// The IANA root servers on port 53.
pub fn iana_roots() -> Vec<SocketAddr> {
    IANA_ROOTS
        .iter()
        .map(|ip| SocketAddr::new(IpAddr::V4(*ip), 53))
        .collect()
}

/// Checks a `--dns-root` value on the command line; clap's error then names the flag (and
/// `SITEUP_DNS_ROOT`, which fills it).
pub fn check_roots_flag(value: &str) -> Result<String, String> {
    match parse_roots(value) {
        Ok(_) => Ok(value.to_string()),
        Err(DnsConfigError::BadRoots { problem, .. }) => Err(format!(
            "{problem}; give comma-separated IP:PORT addresses like 127.0.0.10:5353"
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_roots(value: &str) -> Result<Vec<SocketAddr>, DnsConfigError> {
    let bad = |problem: String| DnsConfigError::BadRoots {
        var: ROOT_ENV,
        value: value.to_string(),
        problem,
    };
    let mut roots = Vec::new();
    for part in value.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let addr: SocketAddr = part
            .parse()
            .map_err(|_| bad(format!("{part:?} is not IP:PORT")))?;
        if addr.port() == 0 {
            return Err(bad(format!("{part:?} has port 0")));
        }
        roots.push(addr);
    }
    if roots.is_empty() {
        return Err(bad("it names no server".to_string()));
    }
    Ok(roots)
}

fn parse_resolver(value: &str) -> Result<ResolverChoice, DnsConfigError> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("none") || value.eq_ignore_ascii_case("off") {
        return Ok(ResolverChoice::Disabled);
    }
    match value.parse::<SocketAddr>() {
        Ok(addr) if addr.port() != 0 => Ok(ResolverChoice::Use(addr)),
        _ => Err(DnsConfigError::BadResolver {
            var: RESOLVER_ENV,
            value: value.to_string(),
        }),
    }
}

/// The first usable `nameserver` line of a resolv.conf text, on port 53.
pub fn first_nameserver(resolv_conf: &str) -> Option<SocketAddr> {
    resolv_conf.lines().find_map(|line| {
        let line = line.split(['#', ';']).next().unwrap_or("");
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            return None;
        }
        let ip: IpAddr = words.next()?.parse().ok()?;
        Some(SocketAddr::new(ip, 53))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn roots_from_env_replace_iana_and_seal_loopback() {
        let cfg = DnsConfig::from_vars(
            vars(&[(ROOT_ENV, "127.0.0.10:5353, 127.0.0.11:5353")]),
            Path::new("/nonexistent/resolv.conf"),
        )
        .expect("valid roots");
        assert_eq!(
            cfg.roots,
            vec![
                "127.0.0.10:5353".parse::<SocketAddr>().expect("addr"),
                "127.0.0.11:5353".parse().expect("addr")
            ]
        );
        assert_eq!(cfg.root_source, RootSource::Environment);
        assert!(cfg.loopback_only);
        assert!(!cfg.roots.iter().any(|r| iana_roots().contains(r)));
        assert_eq!(cfg.resolver, ResolverChoice::TestRoots);
        assert!(!cfg.may_contact(&"192.0.2.1:53".parse().expect("addr")));
    }

    #[test]
    fn bad_roots_are_refused_not_replaced_by_iana() {
        for value in ["nonsense", "127.0.0.1", "127.0.0.1:0", " , "] {
            let err = DnsConfig::from_vars(vars(&[(ROOT_ENV, value)]), Path::new("/nonexistent"))
                .expect_err("bad roots must be refused");
            let text = err.to_string();
            assert!(text.contains(ROOT_ENV), "{text}");
        }
    }

    #[test]
    fn resolver_comes_from_env_or_resolv_conf() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("resolv.conf");
        std::fs::write(
            &conf,
            "# comment\nsearch example\nnameserver fe80::1%eth0\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n",
        )
        .expect("write");
        let cfg = DnsConfig::from_vars(vars(&[]), &conf).expect("config");
        assert_eq!(cfg.roots, iana_roots());
        assert!(!cfg.loopback_only);
        assert_eq!(
            cfg.resolver,
            ResolverChoice::Use("10.0.0.2:53".parse().expect("addr"))
        );
        let cfg =
            DnsConfig::from_vars(vars(&[(RESOLVER_ENV, "127.0.0.1:5399")]), &conf).expect("config");
        assert_eq!(
            cfg.resolver,
            ResolverChoice::Use("127.0.0.1:5399".parse().expect("addr"))
        );
        let cfg = DnsConfig::from_vars(vars(&[(RESOLVER_ENV, "none")]), &conf).expect("config");
        assert_eq!(cfg.resolver, ResolverChoice::Disabled);
        let err = DnsConfig::from_vars(vars(&[(RESOLVER_ENV, "resolver")]), &conf)
            .expect_err("bad resolver");
        assert!(err.to_string().contains(RESOLVER_ENV));
        let cfg =
            DnsConfig::from_vars(vars(&[]), &dir.path().join("missing")).expect("no resolv.conf");
        assert_eq!(cfg.resolver, ResolverChoice::NoneConfigured);
    }
}
