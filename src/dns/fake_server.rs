//! A small authoritative DNS server on loopback, for tests and for `siteup sandbox` (where it
//! plays "the registrar"): it serves a root, TLDs and child zones on several 127.x addresses and
//! one port, and answers like real authoritative servers do: referrals with the NS set in
//! AUTHORITY and glue in ADDITIONAL (AA off), authoritative answers, NODATA and NXDOMAIN with the
//! zone's SOA. DS records at a delegation point are answered by the parent, as in real DNS.
//!
//! The whole configuration is one serializable [`FakeDnsState`] (load it from / save it to a
//! JSON file); the running [`FakeDnsServer`] can change it at any time (a new delegation, a DS
//! record, a truncated or silent address), and the next query sees the change.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, NS, NULL, SOA, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

/// Default TTL for records without one.
pub const DEFAULT_TTL: u32 = 3600;

/// A DS record (RFC 4034): key tag, algorithm, digest type and hex digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeDs {
    pub key_tag: u16,
    pub algorithm: u8,
    pub digest_type: u8,
    /// Hex.
    pub digest: String,
}

/// The data of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum FakeData {
    NS(String),
    A(Ipv4Addr),
    AAAA(Ipv6Addr),
    DS(FakeDs),
    /// One TXT record (served as strings of at most 255 bytes, which readers join).
    TXT(String),
}

impl FakeData {
    fn record_type(&self) -> RecordType {
        match self {
            FakeData::NS(_) => RecordType::NS,
            FakeData::A(_) => RecordType::A,
            FakeData::AAAA(_) => RecordType::AAAA,
            FakeData::DS(_) => RecordType::DS,
            FakeData::TXT(_) => RecordType::TXT,
        }
    }
}

/// One record of a zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeRecord {
    /// Owner name, absolute (a trailing dot is optional).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    #[serde(flatten)]
    pub data: FakeData,
}

impl FakeRecord {
    pub fn new(name: &str, ttl: Option<u32>, data: FakeData) -> Self {
        Self {
            name: name.to_string(),
            ttl,
            data,
        }
    }
}

/// A zone and the addresses that serve it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeZone {
    /// The zone's apex (`.`, `test.`, `example.test.`).
    pub origin: String,
    /// The addresses this zone is served on.
    pub servers: Vec<IpAddr>,
    /// Records, the apex NS set included. The SOA is made up from the origin.
    pub records: Vec<FakeRecord>,
}

/// Everything the fake server serves, and its misbehaviours.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FakeDnsState {
    pub zones: Vec<FakeZone>,
    /// Addresses whose UDP answers are truncated (TC set, no records): clients must use TCP.
    #[serde(default)]
    pub truncate_udp: Vec<IpAddr>,
    /// Addresses that never answer (UDP nor TCP).
    #[serde(default)]
    pub silent: Vec<IpAddr>,
}

/// A problem with a fake state or its file.
#[derive(Debug, thiserror::Error)]
pub enum FakeDnsError {
    #[error("{0:?} is not a valid DNS name.")]
    BadName(String),
    #[error("The fake DNS server has no zone {0}.")]
    NoZone(String),
    #[error("Could not read the fake DNS state {path}: {source}.")]
    Read { path: String, source: io::Error },
    #[error("The fake DNS state {path} is not valid JSON ({source}): fix or delete it.")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("Could not write the fake DNS state {path}: {source}.")]
    Write { path: String, source: io::Error },
}

fn fqdn(name: &str) -> Result<Name, FakeDnsError> {
    let trimmed = name.trim();
    let text = if trimmed.ends_with('.') {
        trimmed.to_string()
    } else {
        format!("{trimmed}.")
    };
    Name::from_ascii(&text)
        .map(|n| n.to_lowercase())
        .map_err(|_| FakeDnsError::BadName(name.to_string()))
}

fn same_name(a: &str, b: &Name) -> bool {
    fqdn(a).is_ok_and(|n| n == *b)
}

impl FakeDnsState {
    /// A root zone on `root_ip` (its server is named `a.root.`) delegating `tld` to
    /// `a.nic.<tld>` on `tld_ip`, and the TLD zone, without delegations yet, served on `tld_ip`.
    pub fn root_and_tld(root_ip: IpAddr, tld: &str, tld_ip: IpAddr) -> Result<Self, FakeDnsError> {
        let tld = fqdn(tld)?.to_ascii();
        let tld_ns = format!("a.nic.{tld}");
        let mut state = Self::default();
        state.add_zone(".", vec![root_ip], &[("a.root.", Some(root_ip))])?;
        state.add_zone(&tld, vec![tld_ip], &[(&tld_ns, Some(tld_ip))])?;
        state.set_delegation(".", &tld, &[(&tld_ns, Some(tld_ip))], 172_800)?;
        Ok(state)
    }

    /// Adds a zone served on `servers`, with its apex NS set and, for NS names inside the zone,
    /// their addresses. It replaces any zone of the same name served on one of those addresses
    /// (two different copies of a zone may live on different addresses: an old and a new
    /// provider).
    pub fn add_zone(
        &mut self,
        origin: &str,
        servers: Vec<IpAddr>,
        apex_ns: &[(&str, Option<IpAddr>)],
    ) -> Result<(), FakeDnsError> {
        let origin_name = fqdn(origin)?;
        let origin = origin_name.to_ascii();
        let mut records = Vec::new();
        for (ns, ip) in apex_ns {
            let ns_name = fqdn(ns)?;
            records.push(FakeRecord::new(
                &origin,
                None,
                FakeData::NS(ns_name.to_ascii()),
            ));
            if let Some(ip) = ip
                && origin_name.zone_of(&ns_name)
            {
                records.push(FakeRecord::new(&ns_name.to_ascii(), None, addr_data(*ip)));
            }
        }
        self.zones.retain(|z| {
            !(same_name(&z.origin, &origin_name) && z.servers.iter().any(|s| servers.contains(s)))
        });
        self.zones.push(FakeZone {
            origin,
            servers,
            records,
        });
        Ok(())
    }

    fn parent_zones_mut(&mut self, parent: &str) -> Result<Vec<&mut FakeZone>, FakeDnsError> {
        let parent = fqdn(parent)?;
        let zones: Vec<&mut FakeZone> = self
            .zones
            .iter_mut()
            .filter(|z| same_name(&z.origin, &parent))
            .collect();
        if zones.is_empty() {
            return Err(FakeDnsError::NoZone(parent.to_ascii()));
        }
        Ok(zones)
    }

    /// Replaces the delegation of `child` in every copy of zone `parent`: its NS set, and glue
    /// (A/AAAA) for the nameservers given with an address. Old glue below the cut is removed.
    /// An empty `nameservers` removes the delegation.
    pub fn set_delegation(
        &mut self,
        parent: &str,
        child: &str,
        nameservers: &[(&str, Option<IpAddr>)],
        ttl: u32,
    ) -> Result<(), FakeDnsError> {
        let child = fqdn(child)?;
        let mut wanted = Vec::new();
        for (ns, ip) in nameservers {
            wanted.push((fqdn(ns)?, *ip));
        }
        for zone in self.parent_zones_mut(parent)? {
            zone.records.retain(|r| {
                let Ok(owner) = fqdn(&r.name) else {
                    return true;
                };
                let ns_at_cut = owner == child && r.data.record_type() == RecordType::NS;
                let glue_below = child.zone_of(&owner)
                    && owner != child
                    && matches!(r.data, FakeData::A(_) | FakeData::AAAA(_));
                let glue_for_new = wanted.iter().any(|(n, ip)| *n == owner && ip.is_some())
                    && matches!(r.data, FakeData::A(_) | FakeData::AAAA(_));
                !(ns_at_cut || glue_below || glue_for_new)
            });
            for (ns, ip) in &wanted {
                zone.records.push(FakeRecord::new(
                    &child.to_ascii(),
                    Some(ttl),
                    FakeData::NS(ns.to_ascii()),
                ));
                if let Some(ip) = ip {
                    zone.records
                        .push(FakeRecord::new(&ns.to_ascii(), Some(ttl), addr_data(*ip)));
                }
            }
        }
        Ok(())
    }

    /// Sets (or, with an empty list, removes) the DS records of `child` in zone `parent`.
    pub fn set_ds(&mut self, parent: &str, child: &str, ds: &[FakeDs]) -> Result<(), FakeDnsError> {
        let child = fqdn(child)?;
        for zone in self.parent_zones_mut(parent)? {
            zone.records.retain(|r| {
                !(matches!(r.data, FakeData::DS(_)) && fqdn(&r.name).is_ok_and(|n| n == child))
            });
            for d in ds {
                zone.records.push(FakeRecord::new(
                    &child.to_ascii(),
                    None,
                    FakeData::DS(d.clone()),
                ));
            }
        }
        Ok(())
    }

    /// Adds a plain record to every copy of zone `zone`.
    pub fn add_record(&mut self, zone: &str, record: FakeRecord) -> Result<(), FakeDnsError> {
        for z in self.parent_zones_mut(zone)? {
            z.records.push(record.clone());
        }
        Ok(())
    }

    /// Makes UDP answers from `ip` truncated (or not).
    pub fn set_truncate_udp(&mut self, ip: IpAddr, on: bool) {
        self.truncate_udp.retain(|a| *a != ip);
        if on {
            self.truncate_udp.push(ip);
        }
    }

    /// Makes `ip` never answer (or answer again).
    pub fn set_silent(&mut self, ip: IpAddr, on: bool) {
        self.silent.retain(|a| *a != ip);
        if on {
            self.silent.push(ip);
        }
    }

    /// Every address some zone is served on.
    pub fn addresses(&self) -> BTreeSet<IpAddr> {
        self.zones
            .iter()
            .flat_map(|z| z.servers.iter().copied())
            .collect()
    }

    /// Reads a state saved with [`FakeDnsState::save`].
    pub fn load(path: &Path) -> Result<Self, FakeDnsError> {
        let text = std::fs::read_to_string(path).map_err(|source| FakeDnsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| FakeDnsError::Parse {
            path: path.display().to_string(),
            source,
        })
    }

    /// Writes the state as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), FakeDnsError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| FakeDnsError::Write {
            path: path.display().to_string(),
            source: io::Error::other(e),
        })?;
        crate::project::atomic::write_atomic(path, &bytes).map_err(|source| FakeDnsError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    /// The answer the server on `local` gives to `query` over UDP (`udp`) or TCP; `None` when
    /// it stays silent.
    pub fn answer(&self, local: IpAddr, query: &Message, udp: bool) -> Option<Message> {
        if self.silent.contains(&local) || query.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut response = Message::response(query.metadata.id, query.metadata.op_code);
        response.metadata.recursion_desired = query.metadata.recursion_desired;
        response.add_queries(query.queries.iter().cloned());
        let Some(question) = query.queries.first() else {
            response.metadata.response_code = ResponseCode::FormErr;
            return Some(response);
        };
        if query.metadata.op_code != OpCode::Query || query.queries.len() != 1 {
            response.metadata.response_code = ResponseCode::NotImp;
            return Some(response);
        }
        if udp && self.truncate_udp.contains(&local) {
            response.metadata.truncation = true;
            return Some(response);
        }
        let qname = question.name().to_lowercase();
        let qtype = question.query_type();
        // The deepest zone served here that contains the name.
        let zone = self
            .zones
            .iter()
            .filter(|z| z.servers.contains(&local))
            .filter_map(|z| fqdn(&z.origin).ok().map(|o| (o, z)))
            .filter(|(o, _)| o.zone_of(&qname))
            .max_by_key(|(o, _)| o.num_labels());
        let Some((origin, zone)) = zone else {
            response.metadata.response_code = ResponseCode::Refused;
            return Some(response);
        };
        let records: Vec<(Name, &FakeRecord)> = zone
            .records
            .iter()
            .filter_map(|r| fqdn(&r.name).ok().map(|n| (n, r)))
            .collect();
        // The highest delegation point between the origin and the name.
        let cut = records
            .iter()
            .filter(|(n, r)| {
                r.data.record_type() == RecordType::NS
                    && *n != origin
                    && n.zone_of(&qname)
                    && origin.zone_of(n)
            })
            .map(|(n, _)| n.clone())
            .min_by_key(hickory_proto::rr::Name::num_labels);
        if let Some(cut) = cut {
            let ds_at_cut = qtype == RecordType::DS && cut == qname;
            if !ds_at_cut {
                // Referral: NS in AUTHORITY, glue in ADDITIONAL, not authoritative.
                let mut ns_names = Vec::new();
                for (n, r) in &records {
                    if *n == cut
                        && let FakeData::NS(target) = &r.data
                    {
                        response.add_authority(to_record(n, r));
                        if let Ok(t) = fqdn(target) {
                            ns_names.push(t);
                        }
                    }
                }
                for (n, r) in &records {
                    if ns_names.contains(n) && matches!(r.data, FakeData::A(_) | FakeData::AAAA(_))
                    {
                        response.add_additional(to_record(n, r));
                    }
                }
                return Some(response);
            }
        }
        response.metadata.authoritative = true;
        let mut found = false;
        for (n, r) in &records {
            if *n == qname && r.data.record_type() == qtype {
                response.add_answer(to_record(n, r));
                found = true;
            }
        }
        if !found {
            let exists = qname == origin || records.iter().any(|(n, _)| qname.zone_of(n));
            if !exists {
                response.metadata.response_code = ResponseCode::NXDomain;
            }
            response.add_authority(soa_record(&origin, &records));
        }
        Some(response)
    }
}

fn addr_data(ip: IpAddr) -> FakeData {
    match ip {
        IpAddr::V4(v4) => FakeData::A(v4),
        IpAddr::V6(v6) => FakeData::AAAA(v6),
    }
}

fn to_record(name: &Name, r: &FakeRecord) -> Record {
    let ttl = r.ttl.unwrap_or(DEFAULT_TTL);
    let data = match &r.data {
        FakeData::NS(target) => RData::NS(NS(fqdn(target).unwrap_or_else(|_| Name::root()))),
        FakeData::A(ip) => RData::A(A(*ip)),
        FakeData::AAAA(ip) => RData::AAAA(AAAA(*ip)),
        FakeData::DS(ds) => {
            let mut bytes = Vec::new();
            bytes.extend_from_slice(&ds.key_tag.to_be_bytes());
            bytes.push(ds.algorithm);
            bytes.push(ds.digest_type);
            bytes.extend(hex::decode(&ds.digest).unwrap_or_default());
            RData::Unknown {
                code: RecordType::DS,
                rdata: NULL::with(bytes),
            }
        }
        FakeData::TXT(text) => RData::TXT(TXT::from_bytes(text.as_bytes().chunks(255).collect())),
    };
    let mut record = Record::from_rdata(name.clone(), ttl, data);
    record.dns_class = DNSClass::IN;
    record
}

fn soa_record(origin: &Name, records: &[(Name, &FakeRecord)]) -> Record {
    let mname = records
        .iter()
        .find_map(|(n, r)| match &r.data {
            FakeData::NS(t) if n == origin => fqdn(t).ok(),
            _ => None,
        })
        .unwrap_or_else(Name::root);
    let rname = Name::from_ascii("hostmaster.invalid.").unwrap_or_else(|_| Name::root());
    let soa = SOA::new(mname, rname, 1, 3600, 600, 86_400, 300);
    Record::from_rdata(origin.clone(), 300, RData::SOA(soa))
}

/// One query the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedQuery {
    pub local: SocketAddr,
    pub tcp: bool,
    pub name: String,
    pub rtype: String,
}

struct Shared {
    state: Mutex<FakeDnsState>,
    log: Mutex<Vec<LoggedQuery>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The running fake server: UDP and TCP on every address of its state, one port.
pub struct FakeDnsServer {
    port: u16,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl FakeDnsServer {
    /// Starts serving `state` on a free port shared by all its addresses. Addresses added to
    /// the state later are not listened on: list every address at start.
    pub async fn start(state: FakeDnsState) -> io::Result<Self> {
        let addrs: Vec<IpAddr> = state.addresses().into_iter().collect();
        let mut last_err = io::Error::other("no address to listen on");
        for _ in 0..50 {
            match bind_all(&addrs, 0).await {
                Ok((port, sockets)) => return Ok(Self::run(state, port, sockets)),
                Err(e) => last_err = e,
            }
        }
        Err(last_err)
    }

    fn run(state: FakeDnsState, port: u16, sockets: Vec<(UdpSocket, TcpListener)>) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            log: Mutex::new(Vec::new()),
        });
        let mut tasks = Vec::new();
        for (udp, tcp) in sockets {
            tasks.push(tokio::spawn(serve_udp(udp, Arc::clone(&shared))));
            tasks.push(tokio::spawn(serve_tcp(tcp, Arc::clone(&shared))));
        }
        Self {
            port,
            shared,
            tasks,
        }
    }

    /// The port every address listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `ip` with the server's port.
    pub fn addr(&self, ip: IpAddr) -> SocketAddr {
        SocketAddr::new(ip, self.port)
    }

    /// Changes the state; the next query sees the change.
    pub fn update<R>(&self, f: impl FnOnce(&mut FakeDnsState) -> R) -> R {
        f(&mut lock(&self.shared.state))
    }

    /// A copy of the current state (to save it, for example).
    pub fn state(&self) -> FakeDnsState {
        lock(&self.shared.state).clone()
    }

    /// Every query received so far.
    pub fn queries(&self) -> Vec<LoggedQuery> {
        lock(&self.shared.log).clone()
    }

    /// Stops serving.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for FakeDnsServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn bind_all(addrs: &[IpAddr], port: u16) -> io::Result<(u16, Vec<(UdpSocket, TcpListener)>)> {
    let mut port = port;
    let mut sockets = Vec::new();
    for ip in addrs {
        let udp = UdpSocket::bind(SocketAddr::new(*ip, port)).await?;
        if port == 0 {
            port = udp.local_addr()?.port();
        }
        let tcp = TcpListener::bind(SocketAddr::new(*ip, port)).await?;
        sockets.push((udp, tcp));
    }
    if sockets.is_empty() {
        return Err(io::Error::other("no address to listen on"));
    }
    Ok((port, sockets))
}

fn respond(shared: &Shared, local: SocketAddr, bytes: &[u8], udp: bool) -> Option<Vec<u8>> {
    let query = Message::from_vec(bytes).ok()?;
    if let Some(q) = query.queries.first() {
        lock(&shared.log).push(LoggedQuery {
            local,
            tcp: !udp,
            name: q.name().to_lowercase().to_ascii(),
            rtype: q.query_type().to_string(),
        });
    }
    let answer = lock(&shared.state).answer(local.ip(), &query, udp)?;
    answer.to_vec().ok()
}

async fn serve_udp(socket: UdpSocket, shared: Arc<Shared>) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    let mut buf = vec![0u8; 65535];
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        if let Some(out) = respond(&shared, local, &buf[..len], true) {
            let _ = socket.send_to(&out, peer).await;
        }
    }
}

async fn serve_tcp(listener: TcpListener, shared: Arc<Shared>) {
    let Ok(local) = listener.local_addr() else {
        return;
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(serve_tcp_conn(stream, local, Arc::clone(&shared)));
    }
}

async fn serve_tcp_conn(mut stream: TcpStream, local: SocketAddr, shared: Arc<Shared>) {
    loop {
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).await.is_err() {
            return;
        }
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let Some(out) = respond(&shared, local, &body, false) else {
            // Silent: keep the connection open without answering, like a black hole.
            let mut sink = [0u8; 512];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            return;
        };
        let Ok(n) = u16::try_from(out.len()) else {
            return;
        };
        let mut framed = n.to_be_bytes().to_vec();
        framed.extend_from_slice(&out);
        if stream.write_all(&framed).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::build_query;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn ask(state: &FakeDnsState, at: &str, name: &str, rtype: RecordType) -> Message {
        let q = build_query(1, &fqdn(name).expect("name"), rtype, false);
        state.answer(ip(at), &q, true).expect("an answer")
    }

    fn tree() -> FakeDnsState {
        let mut s =
            FakeDnsState::root_and_tld(ip("127.0.0.10"), "test", ip("127.0.0.11")).expect("tree");
        s.set_delegation(
            "test.",
            "example.test",
            &[
                ("ns1.example.test", Some(ip("127.0.0.12"))),
                ("ns.other.net", None),
            ],
            3600,
        )
        .expect("delegation");
        s
    }

    #[test]
    fn tld_answers_with_a_referral_and_glue() {
        let s = tree();
        let m = ask(&s, "127.0.0.11", "www.example.test", RecordType::A);
        assert!(!m.metadata.authoritative);
        assert!(m.answers.is_empty());
        assert_eq!(m.authorities.len(), 2);
        assert!(
            m.authorities
                .iter()
                .all(|r| r.record_type() == RecordType::NS)
        );
        assert_eq!(m.additionals.len(), 1);
        let root = ask(&s, "127.0.0.10", "example.test", RecordType::NS);
        assert!(!root.metadata.authoritative);
        assert_eq!(root.authorities[0].name, fqdn("test.").expect("name"));
    }

    #[test]
    fn ds_is_answered_by_the_parent() {
        let mut s = tree();
        let nodata = ask(&s, "127.0.0.11", "example.test", RecordType::DS);
        assert!(nodata.metadata.authoritative);
        assert!(nodata.answers.is_empty());
        assert_eq!(nodata.metadata.response_code, ResponseCode::NoError);
        s.set_ds(
            "test",
            "example.test",
            &[FakeDs {
                key_tag: 1,
                algorithm: 13,
                digest_type: 2,
                digest: "00ff".to_string(),
            }],
        )
        .expect("ds");
        let m = ask(&s, "127.0.0.11", "example.test", RecordType::DS);
        assert!(m.metadata.authoritative);
        assert_eq!(m.answers.len(), 1);
        let bytes = m.to_vec().expect("encode");
        let back = Message::from_vec(&bytes).expect("decode");
        assert_eq!(back.answers[0].record_type(), RecordType::DS);
    }

    #[test]
    fn nxdomain_refused_truncated_and_silent() {
        let mut s = tree();
        let m = ask(&s, "127.0.0.11", "nope.test", RecordType::NS);
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        assert!(m.metadata.authoritative);
        let m = ask(&s, "127.0.0.99", "example.test", RecordType::NS);
        assert_eq!(m.metadata.response_code, ResponseCode::Refused);
        s.set_truncate_udp(ip("127.0.0.11"), true);
        let m = ask(&s, "127.0.0.11", "example.test", RecordType::NS);
        assert!(m.metadata.truncation && m.authorities.is_empty());
        let q = build_query(
            1,
            &fqdn("example.test").expect("name"),
            RecordType::NS,
            false,
        );
        let tcp = s.answer(ip("127.0.0.11"), &q, false).expect("tcp answer");
        assert_eq!(tcp.authorities.len(), 2);
        s.set_silent(ip("127.0.0.11"), true);
        assert!(s.answer(ip("127.0.0.11"), &q, false).is_none());
    }

    #[test]
    fn state_round_trips_through_json() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dns.json");
        let mut s = tree();
        s.set_silent(ip("127.0.0.12"), true);
        s.save(&path).expect("save");
        let back = FakeDnsState::load(&path).expect("load");
        assert_eq!(back, s);
        std::fs::write(&path, "{").expect("write");
        let err = FakeDnsState::load(&path).expect_err("bad json");
        assert!(err.to_string().contains("not valid JSON"));
    }

    #[test]
    fn changing_a_delegation_replaces_ns_and_old_glue() {
        let mut s = tree();
        s.set_delegation(
            "test",
            "example.test",
            &[("ns-new.example.test", Some(ip("127.0.0.13")))],
            600,
        )
        .expect("delegation");
        let m = ask(&s, "127.0.0.11", "example.test", RecordType::NS);
        assert_eq!(m.authorities.len(), 1);
        assert_eq!(m.authorities[0].ttl, 600);
        assert_eq!(m.additionals.len(), 1);
        assert_eq!(m.additionals[0].data, RData::A(A::new(127, 0, 0, 13)));
    }
}
