//! The registry view: walk from the root servers to the parent zone's servers with
//! non-recursive queries, then ask every one of the parent's servers, in parallel, for the
//! referral of the domain and for its DS record.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::config::DnsConfig;
use super::report::{DsRecord, ParentServer, ServerAnswer};
use super::wire::{self, Answer, QueryError, Transport};

/// Longest chain of referrals followed from the root.
const MAX_REFERRALS: usize = 12;
/// Most queries one check may send, all servers together: a check never floods anybody.
const MAX_QUERIES: usize = 200;
/// How deep glueless nameserver names may depend on other glueless names.
const MAX_GLUELESS_DEPTH: u8 = 3;

/// What the walk found, before any wording.
#[derive(Debug, Clone, Default)]
pub(crate) struct RegistryRaw {
    /// The parent zone (e.g. `com.`), when its servers were reached.
    pub zone: Option<Name>,
    /// One entry per server of the parent zone.
    pub servers: Vec<ParentServer>,
    /// Why the parent zone's servers could not be found, when they were not.
    pub problems: Vec<String>,
    /// Every address a packet was sent to.
    pub contacted: Vec<SocketAddr>,
}

/// A server to ask: its name when known (root hints have none), its addresses when known
/// (glue), and the port to ask on.
#[derive(Debug, Clone)]
struct Target {
    name: Option<Name>,
    addrs: Vec<IpAddr>,
    port: u16,
}

impl Target {
    fn label(&self) -> String {
        match &self.name {
            Some(n) => super::display_name(n),
            None => "root server".to_string(),
        }
    }
}

/// How one answer reads, relative to the question and the zone the server is asked about.
#[derive(Debug, Clone)]
enum Reading {
    /// Referral to `zone` (strictly below the zone asked), with its servers and glue.
    Referral {
        zone: Name,
        ns: Vec<Name>,
        ttl: u32,
        glue: HashMap<Name, Vec<IpAddr>>,
    },
    /// Records answering the question (any AA answer section for the name).
    Answer(Vec<Record>),
    /// The name does not exist.
    NxDomain,
    /// The name exists, without records of that type (or a non-referral empty answer).
    NoData,
}

/// Reads a response; `Err` is a one-phrase reason to try another server.
fn read_answer(message: &Message, qname: &Name, zone: &Name) -> Result<Reading, String> {
    match message.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => return Ok(Reading::NxDomain),
        other => return Err(format!("answered {}", rcode_text(other))),
    }
    let answers: Vec<Record> = message
        .answers
        .iter()
        .filter(|r| r.name.eq_ignore_root_case(qname) || r.record_type() == RecordType::CNAME)
        .cloned()
        .collect();
    if !answers.is_empty() {
        return Ok(Reading::Answer(answers));
    }
    // Referral: NS records in AUTHORITY for a zone between the zone asked about and the name.
    let mut cut: Option<Name> = None;
    let mut ns = Vec::new();
    let mut ttl = u32::MAX;
    for record in &message.authorities {
        if let RData::NS(target) = &record.data {
            let owner = record.name.to_lowercase();
            if !owner.zone_of(qname) {
                continue;
            }
            match &cut {
                Some(c) if !c.eq_ignore_root_case(&owner) => continue,
                _ => {}
            }
            cut = Some(owner);
            ttl = ttl.min(record.ttl);
            let target = target.0.to_lowercase();
            if !ns.contains(&target) {
                ns.push(target);
            }
        }
    }
    if let Some(cut) = cut {
        let below = zone.zone_of(&cut) && cut.num_labels() > zone.num_labels();
        if !below {
            if message.metadata.authoritative {
                // Authoritative answer that lists the zone's own NS in AUTHORITY: NODATA.
                return Ok(Reading::NoData);
            }
            return Err(format!(
                "sent a referral to {} instead of an answer about {}",
                super::display_zone(&cut),
                super::display_name(qname)
            ));
        }
        let mut glue: HashMap<Name, Vec<IpAddr>> = HashMap::new();
        for record in &message.additionals {
            let ip = match &record.data {
                RData::A(a) => IpAddr::V4(a.0),
                RData::AAAA(a) => IpAddr::V6(a.0),
                _ => continue,
            };
            let owner = record.name.to_lowercase();
            if ns.contains(&owner) {
                let entry = glue.entry(owner).or_default();
                if !entry.contains(&ip) {
                    entry.push(ip);
                }
            }
        }
        return Ok(Reading::Referral {
            zone: cut,
            ns,
            ttl,
            glue,
        });
    }
    if message.metadata.authoritative {
        Ok(Reading::NoData)
    } else {
        Err("sent neither a referral nor an authoritative answer".to_string())
    }
}

fn rcode_text(code: ResponseCode) -> String {
    match code {
        ResponseCode::Refused => "REFUSED (it does not serve this zone)".to_string(),
        ResponseCode::ServFail => "SERVFAIL (it has a problem of its own)".to_string(),
        ResponseCode::FormErr => "FORMERR (it did not understand the question)".to_string(),
        ResponseCode::NotImp => "NOTIMP (it does not support the question)".to_string(),
        other => other.to_string(),
    }
}

fn sorted_targets(ns: &[Name], glue: &HashMap<Name, Vec<IpAddr>>, port: u16) -> Vec<Target> {
    ns.iter()
        .map(|name| {
            let mut addrs = glue.get(name).cloned().unwrap_or_default();
            addrs.sort_by_key(std::net::IpAddr::is_ipv6);
            Target {
                name: Some(name.clone()),
                addrs,
                port,
            }
        })
        .collect()
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One check's walk: shared by the parallel reads of the parent's servers.
struct Walker {
    cfg: DnsConfig,
    deadline: Instant,
    sent: AtomicUsize,
    contacted: Mutex<Vec<SocketAddr>>,
    addr_cache: Mutex<HashMap<Name, Vec<IpAddr>>>,
}

impl Walker {
    fn root_targets(&self) -> Vec<Target> {
        self.cfg
            .roots
            .iter()
            .map(|addr| Target {
                name: None,
                addrs: vec![addr.ip()],
                port: addr.port(),
            })
            .collect()
    }

    /// Sends one non-recursive question, honouring loopback sealing, budget and deadline.
    async fn ask(
        &self,
        addr: SocketAddr,
        qname: &Name,
        qtype: RecordType,
    ) -> Result<Answer, QueryError> {
        if !self.cfg.may_contact(&addr) {
            return Err(QueryError::NotLoopback);
        }
        if self.sent.fetch_add(1, Ordering::SeqCst) >= MAX_QUERIES {
            return Err(QueryError::OverBudget);
        }
        if let Ok(mut list) = self.contacted.lock()
            && !list.contains(&addr)
        {
            list.push(addr);
        }
        wire::query(
            addr,
            qname,
            qtype,
            false,
            self.cfg.query_timeout,
            Some(self.deadline),
        )
        .await
    }

    /// The addresses of a target: its glue, or its name resolved from the root.
    async fn addrs_of(&self, target: &Target, depth: u8) -> Result<Vec<IpAddr>, String> {
        if !target.addrs.is_empty() {
            return Ok(target.addrs.clone());
        }
        let Some(name) = &target.name else {
            return Err("has no address".to_string());
        };
        self.resolve_addresses(name.clone(), depth + 1).await
    }

    /// Asks the targets in turn until one gives an answer `read` accepts. Returns what `read`
    /// made of it and the address that answered; otherwise every server's problem.
    async fn ask_any<T>(
        &self,
        targets: &[Target],
        qname: &Name,
        qtype: RecordType,
        depth: u8,
        read: impl Fn(&Message) -> Result<T, String>,
    ) -> Result<(T, SocketAddr, Transport), Vec<String>> {
        let mut problems = Vec::new();
        for target in targets {
            let addrs = match self.addrs_of(target, depth).await {
                Ok(a) => a,
                Err(reason) => {
                    problems.push(format!("{}: {reason}", target.label()));
                    continue;
                }
            };
            for ip in addrs {
                let addr = SocketAddr::new(ip, target.port);
                match self.ask(addr, qname, qtype).await {
                    Ok(answer) => match read(&answer.message) {
                        Ok(value) => return Ok((value, addr, answer.transport)),
                        Err(reason) => {
                            problems.push(format!("{} ({addr}) {reason}", target.label()));
                        }
                    },
                    Err(e) => {
                        problems.push(format!("{} ({addr}) {e}", target.label()));
                        if matches!(e, QueryError::OutOfTime | QueryError::OverBudget) {
                            return Err(problems);
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            problems.push("no server to ask".to_string());
        }
        Err(problems)
    }

    /// Walks from the root to the servers of the zone that holds the delegation of `qname`.
    async fn find_parent(&self, qname: &Name) -> Result<(Name, Vec<Target>), Vec<String>> {
        let mut zone = Name::root();
        let mut targets = self.root_targets();
        for _ in 0..MAX_REFERRALS {
            let current = zone.clone();
            let (reading, addr, _) = self
                .ask_any(&targets, qname, RecordType::NS, 0, |m| {
                    read_answer(m, qname, &current)
                })
                .await?;
            match reading {
                Reading::Referral {
                    zone: cut,
                    ns,
                    glue,
                    ..
                } => {
                    if cut.eq_ignore_root_case(qname) {
                        return Ok((zone, targets));
                    }
                    zone = cut;
                    targets = sorted_targets(&ns, &glue, addr.port());
                }
                // The servers asked are authoritative for the zone that contains the name.
                Reading::Answer(_) | Reading::NxDomain | Reading::NoData => {
                    return Ok((zone, targets));
                }
            }
        }
        Err(vec![format!(
            "the chain of referrals for {} is longer than {MAX_REFERRALS} steps",
            super::display_name(qname)
        )])
    }

    /// Resolves a nameserver name without glue, iteratively from the root (never through a
    /// recursive resolver).
    fn resolve_addresses(
        &self,
        name: Name,
        depth: u8,
    ) -> BoxFuture<'_, Result<Vec<IpAddr>, String>> {
        Box::pin(async move {
            if depth > MAX_GLUELESS_DEPTH {
                return Err(format!(
                    "has no glue and resolving {} needs too many other lookups",
                    super::display_name(&name)
                ));
            }
            let key = name.to_lowercase();
            if let Ok(cache) = self.addr_cache.lock()
                && let Some(found) = cache.get(&key)
            {
                return Ok(found.clone());
            }
            let mut qname = key.clone();
            let mut found = Vec::new();
            'types: for qtype in [RecordType::A, RecordType::AAAA] {
                let mut zone = Name::root();
                let mut targets = self.root_targets();
                let mut cnames = 0;
                for _ in 0..MAX_REFERRALS {
                    let current = zone.clone();
                    let q = qname.clone();
                    let result = self
                        .ask_any(&targets, &q, qtype, depth, |m| read_answer(m, &q, &current))
                        .await;
                    let (reading, addr, _) = match result {
                        Ok(r) => r,
                        Err(problems) => {
                            return Err(format!(
                                "has no glue and its address could not be found ({})",
                                problems.join("; ")
                            ));
                        }
                    };
                    match reading {
                        Reading::Referral {
                            zone: cut,
                            ns,
                            glue,
                            ..
                        } => {
                            zone = cut;
                            targets = sorted_targets(&ns, &glue, addr.port());
                        }
                        Reading::Answer(records) => {
                            for r in &records {
                                match &r.data {
                                    RData::A(a) => found.push(IpAddr::V4(a.0)),
                                    RData::AAAA(a) => found.push(IpAddr::V6(a.0)),
                                    _ => {}
                                }
                            }
                            if !found.is_empty() {
                                break 'types;
                            }
                            let cname = records.iter().find_map(|r| match &r.data {
                                RData::CNAME(c) => Some(c.0.to_lowercase()),
                                _ => None,
                            });
                            match cname {
                                Some(target) if cnames < 4 => {
                                    cnames += 1;
                                    qname = target;
                                    zone = Name::root();
                                    targets = self.root_targets();
                                }
                                _ => continue 'types,
                            }
                        }
                        Reading::NxDomain => {
                            return Err(format!(
                                "has no glue and its name {} does not exist",
                                super::display_name(&key)
                            ));
                        }
                        Reading::NoData => continue 'types,
                    }
                }
            }
            if found.is_empty() {
                return Err(format!(
                    "has no glue and its name {} has no address",
                    super::display_name(&key)
                ));
            }
            found.sort_by_key(std::net::IpAddr::is_ipv6);
            if let Ok(mut cache) = self.addr_cache.lock() {
                cache.insert(key, found.clone());
            }
            Ok(found)
        })
    }

    /// Asks one parent server for the delegation of `qname` and for its DS records.
    async fn read_parent_server(&self, target: Target, qname: Name, zone: Name) -> ParentServer {
        let name = target.label();
        let addrs = match self.addrs_of(&target, 0).await {
            Ok(a) => a,
            Err(reason) => {
                return ParentServer {
                    name,
                    address: None,
                    answer: ServerAnswer::Failed {
                        reason: format!("{} {reason}", target.label()),
                    },
                    ds: None,
                    tcp: false,
                };
            }
        };
        let mut last = String::new();
        let mut last_addr = None;
        for ip in addrs {
            let addr = SocketAddr::new(ip, target.port);
            last_addr = Some(addr.to_string());
            let answer = match self.ask(addr, &qname, RecordType::NS).await {
                Ok(a) => a,
                Err(e) => {
                    last = format!("{name} ({addr}) {e}");
                    continue;
                }
            };
            let outcome = match read_answer(&answer.message, &qname, &zone) {
                Ok(Reading::Referral {
                    zone: cut, ns, ttl, ..
                }) if cut.eq_ignore_root_case(&qname) => ServerAnswer::Delegation {
                    nameservers: ns.iter().map(super::display_name).collect(),
                    ttl_seconds: ttl,
                },
                Ok(Reading::Answer(records)) => {
                    let ns: Vec<&Record> = records
                        .iter()
                        .filter(|r| matches!(r.data, RData::NS(_)))
                        .collect();
                    if ns.is_empty() {
                        ServerAnswer::NoDelegation
                    } else {
                        ServerAnswer::Delegation {
                            nameservers: ns
                                .iter()
                                .filter_map(|r| match &r.data {
                                    RData::NS(n) => Some(super::display_name(&n.0)),
                                    _ => None,
                                })
                                .collect(),
                            ttl_seconds: ns.iter().map(|r| r.ttl).min().unwrap_or(0),
                        }
                    }
                }
                Ok(Reading::NxDomain | Reading::NoData) => ServerAnswer::NoDelegation,
                Ok(Reading::Referral { zone: cut, .. }) => {
                    last = format!(
                        "{name} ({addr}) sent a referral to {} instead of the delegation of {}",
                        super::display_zone(&cut),
                        super::display_name(&qname)
                    );
                    continue;
                }
                Err(reason) => {
                    last = format!("{name} ({addr}) {reason}");
                    continue;
                }
            };
            let ds = self.read_ds(addr, &qname, &zone).await;
            return ParentServer {
                name,
                address: Some(addr.to_string()),
                answer: outcome,
                ds,
                tcp: answer.transport == Transport::Tcp,
            };
        }
        ParentServer {
            name,
            address: last_addr,
            answer: ServerAnswer::Failed { reason: last },
            ds: None,
            tcp: false,
        }
    }

    /// The DS records one parent server holds for `qname`: `None` when it could not tell.
    async fn read_ds(&self, addr: SocketAddr, qname: &Name, zone: &Name) -> Option<Vec<DsRecord>> {
        let answer = self.ask(addr, qname, RecordType::DS).await.ok()?;
        match read_answer(&answer.message, qname, zone).ok()? {
            Reading::Answer(records) => Some(
                records
                    .iter()
                    .filter(|r| r.record_type() == RecordType::DS)
                    .map(ds_from_record)
                    .collect(),
            ),
            Reading::NoData | Reading::NxDomain => Some(Vec::new()),
            Reading::Referral { .. } => None,
        }
    }
}

fn ds_from_record(record: &Record) -> DsRecord {
    if let RData::Unknown { rdata, .. } = &record.data {
        let b = &rdata.anything;
        if b.len() >= 4 {
            return DsRecord {
                key_tag: u16::from_be_bytes([b[0], b[1]]),
                algorithm: b[2],
                digest_type: b[3],
                digest: hex::encode_upper(&b[4..]),
            };
        }
    }
    DsRecord {
        key_tag: 0,
        algorithm: 0,
        digest_type: 0,
        digest: record.data.to_string(),
    }
}

/// Reads the registry view of `qname` under `cfg`, within `cfg.total_timeout`.
pub(crate) async fn read_registry(cfg: &DnsConfig, qname: &Name) -> RegistryRaw {
    let walker = Arc::new(Walker {
        cfg: cfg.clone(),
        deadline: Instant::now() + cfg.total_timeout,
        sent: AtomicUsize::new(0),
        contacted: Mutex::new(Vec::new()),
        addr_cache: Mutex::new(HashMap::new()),
    });
    let mut raw = RegistryRaw::default();
    match walker.find_parent(qname).await {
        Err(problems) => raw.problems = problems,
        Ok((zone, targets)) => {
            let mut set = JoinSet::new();
            let mut seen: Vec<String> = Vec::new();
            for (index, target) in targets.into_iter().enumerate() {
                let key = target.label();
                if target.name.is_some() && seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                let w = Arc::clone(&walker);
                let q = qname.clone();
                let z = zone.clone();
                set.spawn(async move { (index, w.read_parent_server(target, q, z).await) });
            }
            let mut servers = Vec::new();
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok(entry) => servers.push(entry),
                    Err(e) => raw
                        .problems
                        .push(format!("a registry query stopped unexpectedly ({e})")),
                }
            }
            servers.sort_by_key(|(i, _)| *i);
            raw.servers = servers.into_iter().map(|(_, s)| s).collect();
            // The zone that holds the delegation is, for wording, the domain's parent (the
            // walk may stop one level higher when one server hosts both, as nic.uk does for
            // co.uk).
            raw.zone = Some(if qname.is_root() {
                zone
            } else {
                qname.base_name()
            });
        }
    }
    if let Ok(list) = walker.contacted.lock() {
        raw.contacted = list.clone();
    }
    raw
}

/// What the authoritative servers of a name say about its TXT records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TxtRaw {
    /// The TXT records, each with its strings joined.
    Records(Vec<String>),
    /// The name exists without TXT records.
    NoData,
    /// The name does not exist.
    NxDomain,
    /// No authoritative answer: why, per server.
    Unreachable(Vec<String>),
}

/// The TXT records of `qname`, asked from its authoritative servers, walking from the roots of
/// `cfg` with non-recursive queries (never a cache), within `cfg.total_timeout`. CNAMEs are
/// followed a few times.
pub(crate) async fn read_txt(cfg: &DnsConfig, qname: &Name) -> TxtRaw {
    let walker = Walker {
        cfg: cfg.clone(),
        deadline: Instant::now() + cfg.total_timeout,
        sent: AtomicUsize::new(0),
        contacted: Mutex::new(Vec::new()),
        addr_cache: Mutex::new(HashMap::new()),
    };
    let mut name = qname.to_lowercase();
    let mut zone = Name::root();
    let mut targets = walker.root_targets();
    let mut cnames = 0;
    for _ in 0..MAX_REFERRALS {
        let current = zone.clone();
        let q = name.clone();
        let reading = walker
            .ask_any(&targets, &q, RecordType::TXT, 0, |m| {
                read_answer(m, &q, &current)
            })
            .await;
        let (reading, addr, _) = match reading {
            Ok(r) => r,
            Err(problems) => return TxtRaw::Unreachable(problems),
        };
        match reading {
            Reading::Referral {
                zone: cut,
                ns,
                glue,
                ..
            } => {
                zone = cut;
                targets = sorted_targets(&ns, &glue, addr.port());
            }
            Reading::Answer(records) => {
                let texts: Vec<String> = records
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::TXT(txt) => Some(
                            txt.txt_data
                                .iter()
                                .map(|part| String::from_utf8_lossy(part).into_owned())
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect();
                if !texts.is_empty() {
                    return TxtRaw::Records(texts);
                }
                let cname = records.iter().find_map(|r| match &r.data {
                    RData::CNAME(c) => Some(c.0.to_lowercase()),
                    _ => None,
                });
                match cname {
                    Some(target) if cnames < 4 => {
                        cnames += 1;
                        name = target;
                        zone = Name::root();
                        targets = walker.root_targets();
                    }
                    _ => return TxtRaw::NoData,
                }
            }
            Reading::NxDomain => return TxtRaw::NxDomain,
            Reading::NoData => return TxtRaw::NoData,
        }
    }
    TxtRaw::Unreachable(vec![format!(
        "the chain of referrals for {} is longer than {MAX_REFERRALS} steps",
        super::display_name(qname)
    )])
}

/// Wire-format answers for the mutation tests (`crate::fuzz`): a referral with glue and an
/// authoritative answer.
#[cfg(test)]
pub(crate) fn sample_answers() -> Vec<Vec<u8>> {
    use hickory_proto::op::{MessageType, OpCode};
    use hickory_proto::rr::rdata::{A, NS};
    let name = |s: &str| Name::from_ascii(s).expect("name");
    let mut referral = Message::new(7, MessageType::Response, OpCode::Query);
    referral.add_query(hickory_proto::op::Query::query(
        name("example.com."),
        RecordType::NS,
    ));
    for ns in ["ns1.example.net.", "ns2.example.net."] {
        referral.add_authority(Record::from_rdata(
            name("example.com."),
            172800,
            RData::NS(NS(name(ns))),
        ));
        referral.add_additional(Record::from_rdata(
            name(ns),
            172800,
            RData::A(A::new(127, 0, 0, 53)),
        ));
    }
    let mut answer = Message::new(8, MessageType::Response, OpCode::Query);
    answer.metadata.authoritative = true;
    answer.add_answer(Record::from_rdata(
        name("example.com."),
        300,
        RData::A(A::new(127, 0, 0, 80)),
    ));
    [referral, answer]
        .iter()
        .map(|m| m.to_vec().expect("encode"))
        .collect()
}

/// Decodes `bytes` as a DNS message and reads it as the registry check would (mutation tests).
#[cfg(test)]
pub(crate) fn read_any(bytes: &[u8]) {
    if let Ok(message) = Message::from_vec(bytes) {
        let qname = Name::from_ascii("example.com.").expect("name");
        let zone = Name::from_ascii("com.").expect("zone");
        let _ = read_answer(&message, &qname, &zone);
    }
}
