//! The resolver view: what the configured (caching) resolver answers for the domain's NS
//! records, and how long its cached answer still lives.

use std::net::SocketAddr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData};

use super::config::{DnsConfig, ResolverChoice};
use super::wire;

/// What the resolver said, before any wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResolverRaw {
    /// No resolver was asked.
    NotAsked(ResolverChoice),
    /// NS records for the domain, with the remaining TTL of the cached set.
    Answered {
        server: SocketAddr,
        names: Vec<String>,
        ttl: u32,
    },
    /// NXDOMAIN, with how long the negative answer is cached when known.
    NoSuchDomain {
        server: SocketAddr,
        ttl: Option<u32>,
    },
    /// NOERROR without NS records.
    NoData {
        server: SocketAddr,
        ttl: Option<u32>,
    },
    /// An error code (SERVFAIL, REFUSED...).
    Failed { server: SocketAddr, rcode: String },
    /// No answer at all.
    Unreachable { server: SocketAddr, reason: String },
}

/// Asks the configured resolver (RD=1) for the NS records of `qname`.
pub(crate) async fn read_resolver(cfg: &DnsConfig, qname: &Name) -> ResolverRaw {
    let server = match &cfg.resolver {
        ResolverChoice::Use(addr) => *addr,
        other => return ResolverRaw::NotAsked(other.clone()),
    };
    // A resolver that has to recurse may need a little longer than one authoritative server.
    let wait = cfg.query_timeout.saturating_mul(2).min(cfg.total_timeout);
    let answer = match wire::query(
        server,
        qname,
        hickory_proto::rr::RecordType::NS,
        true,
        wait,
        None,
    )
    .await
    {
        Ok(a) => a,
        Err(e) => {
            return ResolverRaw::Unreachable {
                server,
                reason: e.to_string(),
            };
        }
    };
    let message = answer.message;
    let negative_ttl = message.authorities.iter().find_map(|r| match &r.data {
        RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
        _ => None,
    });
    match message.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => {
            return ResolverRaw::NoSuchDomain {
                server,
                ttl: negative_ttl,
            };
        }
        other => {
            return ResolverRaw::Failed {
                server,
                rcode: other.to_string(),
            };
        }
    }
    let mut names = Vec::new();
    let mut ttl = u32::MAX;
    for record in &message.answers {
        if let RData::NS(ns) = &record.data
            && record.name.eq_ignore_root_case(qname)
        {
            ttl = ttl.min(record.ttl);
            let name = super::display_name(&ns.0);
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if names.is_empty() {
        return ResolverRaw::NoData {
            server,
            ttl: negative_ttl,
        };
    }
    ResolverRaw::Answered { server, names, ttl }
}
