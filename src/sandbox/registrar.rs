//! The sandbox's registrar and DNS: a long-lived process (`siteup` with a hidden subcommand)
//! serving a root, the domain's TLD and a caching resolver on loopback, from a JSON state file
//! under `.siteup/sandbox/`. Changing the delegation (what a person does at the registrar) is
//! an atomic rewrite of that file; the daemon picks it up within a fraction of a second. The
//! state outlives any siteup process, so a resumed sandbox journey sees the same registry.
//!
//! ```text
//!  127.0.53.1  root      "."            -> delegates the TLD to 127.0.53.2
//!  127.0.53.2  TLD       "com."         -> delegates the domain (first to the registrar's
//!                                          parking nameservers, later to the Route 53 ones)
//!  127.0.53.3  resolver  recursive NS answers, cached for the delegation's TTL (like a real
//!                        caching resolver, it can lag behind the registry)
//!  127.0.53.4  Route 53  the domain's hosted zone as the emulator holds it (TXT, A, AAAA),
//!                        under the zone's nameserver names, which the root or the TLD
//!                        resolves to this address
//! ```
//!
//! The Route 53 zone lives in the emulator, not in the state file: the daemon reads it from
//! the emulator every second (`POST /_siteup/dns/zone`) and serves it on top of the registry,
//! so `siteup email` and the production-access gate read the SPF and DMARC records the
//! applies created, through the delegation, as they would on the internet.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::NS;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde::{Deserialize, Serialize};

use crate::dns::fake_server::{FakeData, FakeDnsServer, FakeDnsState, FakeRecord};
use crate::sandbox::emulator::{Emulator, ServedRecord, ServedZone};

pub const ROOT_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 53, 1);
pub const TLD_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 53, 2);
pub const RESOLVER_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 53, 3);
/// Where the sandbox's Route 53 nameservers answer.
pub const ROUTE53_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 53, 4);

/// How often the daemon reads the Route 53 zone from the emulator.
const ZONE_POLL: Duration = Duration::from_secs(1);

/// The nameservers a new domain has at the (pretend) registrar: its parking servers.
pub const PARKING_NAMESERVERS: [&str; 2] =
    ["dns1.registrar-servers.com", "dns2.registrar-servers.com"];

/// The TTL of the domain's delegation at the TLD: how long the sandbox resolver caches it.
pub const DELEGATION_TTL: u32 = 120;

/// What the daemon writes once it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrarReady {
    pub pid: u32,
    pub port: u16,
    pub domain: String,
    pub tld: String,
}

impl RegistrarReady {
    pub fn root(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(ROOT_IP), self.port)
    }
    pub fn resolver(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(RESOLVER_IP), self.port)
    }
    /// The TLD server: the registry, where the domain's delegation is published.
    pub fn registry(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(TLD_IP), self.port)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrarError {
    #[error(
        "The sandbox DNS state {path} could not be used: {message}; run `siteup sandbox --stop` and start the sandbox again."
    )]
    State { path: String, message: String },
    #[error("The sandbox DNS could not start: {0}; run `siteup sandbox --stop` and try again.")]
    Start(String),
    #[error(
        "The sandbox DNS did not answer within {}; see .siteup/sandbox/dns.log, then run `siteup sandbox --stop` and try again.",
        crate::words::seconds(*.0, crate::words::DurationStyle::Seconds)
    )]
    Timeout(u64),
    #[error(
        "The sandbox registry did not publish the new nameservers within {}; play the registrar again (p in the wizard, or `siteup sandbox --play registrar`).",
        crate::words::seconds(*.0, crate::words::DurationStyle::Seconds)
    )]
    NotPublished(u64),
    #[error(
        "siteup could not ask the sandbox DNS whether the change is published ({0}); play the registrar again (p in the wizard, or `siteup sandbox --play registrar`)."
    )]
    Query(String),
}

/// The files of the sandbox registrar in a project.
#[derive(Debug, Clone)]
pub struct RegistrarFiles {
    pub dir: PathBuf,
}

impl RegistrarFiles {
    pub fn new(sandbox_dir: &Path) -> Self {
        Self {
            dir: sandbox_dir.to_path_buf(),
        }
    }
    pub fn state(&self) -> PathBuf {
        self.dir.join("dns-state.json")
    }
    pub fn ready(&self) -> PathBuf {
        self.dir.join("dns-ready.json")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.join("dns.log")
    }
}

/// The parent zone ("TLD" in the registry sense) of a registrable domain: `com` for
/// `example.com`, `co.uk` for `example.co.uk`.
pub fn parent_of(domain: &str) -> String {
    domain
        .split_once('.')
        .map_or_else(|| domain.to_string(), |(_, rest)| rest.to_string())
}

/// The initial registry: the domain delegated to the registrar's parking nameservers.
pub fn initial_state(domain: &str) -> Result<FakeDnsState, RegistrarError> {
    let tld = parent_of(domain);
    let err = |e: crate::dns::fake_server::FakeDnsError| RegistrarError::State {
        path: "(new)".into(),
        message: e.to_string(),
    };
    let mut state =
        FakeDnsState::root_and_tld(IpAddr::V4(ROOT_IP), &tld, IpAddr::V4(TLD_IP)).map_err(err)?;
    let parking: Vec<(&str, Option<IpAddr>)> =
        PARKING_NAMESERVERS.iter().map(|n| (*n, None)).collect();
    state
        .set_delegation(&tld, domain, &parking, DELEGATION_TTL)
        .map_err(err)?;
    Ok(state)
}

/// Plays the person at the registrar: delegates the domain to `nameservers`.
pub fn set_nameservers(
    files: &RegistrarFiles,
    domain: &str,
    nameservers: &[String],
) -> Result<(), RegistrarError> {
    let path = files.state();
    let shown = path.display().to_string();
    let mut state = FakeDnsState::load(&path).map_err(|e| RegistrarError::State {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let ns: Vec<(&str, Option<IpAddr>)> = nameservers.iter().map(|n| (n.as_str(), None)).collect();
    state
        .set_delegation(&parent_of(domain), domain, &ns, DELEGATION_TTL)
        .map_err(|e| RegistrarError::State {
            path: shown.clone(),
            message: e.to_string(),
        })?;
    state.save(&path).map_err(|e| RegistrarError::State {
        path: shown,
        message: e.to_string(),
    })?;
    wait_until_served(files, domain, nameservers)
}

/// How long [`set_nameservers`] waits for the running daemon to serve the new delegation.
const SERVE_WAIT: Duration = Duration::from_secs(5);

/// Waits until the running daemon's TLD server refers `domain` to `nameservers` (it reloads its
/// state file every 200 ms), so that a check made right after the registrar change sees it, as
/// it would once a real registry has published it. With no daemon running there is nothing to
/// wait for: the next one loads the file.
fn wait_until_served(
    files: &RegistrarFiles,
    domain: &str,
    nameservers: &[String],
) -> Result<(), RegistrarError> {
    let Some(ready) = attach(files) else {
        return Ok(());
    };
    let norm = crate::dns::report::normalize_ns;
    let want: std::collections::BTreeSet<String> = nameservers.iter().map(|n| norm(n)).collect();
    let Ok(name) = Name::from_ascii(format!("{}.", domain.trim_end_matches('.'))) else {
        return Ok(());
    };
    let tld = SocketAddr::new(IpAddr::V4(TLD_IP), ready.port);
    let socket = std::net::UdpSocket::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .map_err(|e| RegistrarError::Query(e.to_string()))?;
    let _ = socket.set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = Instant::now() + SERVE_WAIT;
    let mut buf = [0u8; 4096];
    let mut id: u16 = rand::random();
    while Instant::now() < deadline {
        id = id.wrapping_add(1);
        let query = crate::dns::wire::build_query(id, &name, RecordType::NS, false);
        if let Ok(bytes) = query.to_vec()
            && socket.send_to(&bytes, tld).is_ok()
            && let Ok((len, _)) = socket.recv_from(&mut buf)
            && let Some(answer) = buf.get(..len).and_then(|b| Message::from_vec(b).ok())
            && answer.metadata.id == id
        {
            let served: std::collections::BTreeSet<String> = answer
                .answers
                .iter()
                .chain(&answer.authorities)
                .filter_map(|r| match &r.data {
                    RData::NS(ns) => Some(norm(&ns.0.to_ascii())),
                    _ => None,
                })
                .collect();
            if served == want {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(RegistrarError::NotPublished(SERVE_WAIT.as_secs()))
}

/// Reads the ready file of a running daemon, if its process is alive.
pub fn attach(files: &RegistrarFiles) -> Option<RegistrarReady> {
    let text = std::fs::read_to_string(files.ready()).ok()?;
    let ready: RegistrarReady = serde_json::from_str(&text).ok()?;
    (crate::sandbox::process_alive(ready.pid) && is_registrar_process(ready.pid)).then_some(ready)
}

/// True when `pid` runs `siteup __sandbox-dns` (where /proc exists): a reused PID is never
/// mistaken for the daemon, so `--stop` cannot signal an unrelated process.
fn is_registrar_process(pid: u32) -> bool {
    if !Path::new("/proc/self/cmdline").exists() {
        return true;
    }
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|raw| raw.split(|b| *b == 0).any(|arg| arg == b"__sandbox-dns"))
}

/// Starts the daemon detached (`siteup __sandbox-dns`), unless one is already running, and
/// waits until it answers.
pub fn start_detached(
    siteup_exe: &Path,
    files: &RegistrarFiles,
    domain: &str,
    emulator_ready: &Path,
) -> Result<RegistrarReady, RegistrarError> {
    if let Some(ready) = attach(files) {
        return Ok(ready);
    }
    std::fs::create_dir_all(&files.dir).map_err(|e| RegistrarError::Start(e.to_string()))?;
    if !files.state().exists() {
        let state = initial_state(domain)?;
        state
            .save(&files.state())
            .map_err(|e| RegistrarError::State {
                path: files.state().display().to_string(),
                message: e.to_string(),
            })?;
    }
    let _ = std::fs::remove_file(files.ready());
    let log =
        std::fs::File::create(files.log()).map_err(|e| RegistrarError::Start(e.to_string()))?;
    let log2 = log
        .try_clone()
        .map_err(|e| RegistrarError::Start(e.to_string()))?;
    let mut cmd = std::process::Command::new(siteup_exe);
    cmd.arg("__sandbox-dns")
        .arg("--state")
        .arg(files.state())
        .arg("--ready")
        .arg(files.ready())
        .arg("--domain")
        .arg(domain)
        .arg("--emulator-ready")
        .arg(emulator_ready)
        .stdin(std::process::Stdio::null())
        .stdout(log)
        .stderr(log2);
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd.spawn()
        .map_err(|e| RegistrarError::Start(format!("{}: {e}", siteup_exe.display())))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(ready) = attach(files) {
            return Ok(ready);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(RegistrarError::Timeout(10))
}

/// Stops a running daemon (SIGTERM), if any. Returns whether one was running.
pub fn stop(files: &RegistrarFiles) -> bool {
    match attach(files) {
        Some(ready) => {
            crate::sandbox::terminate(ready.pid, Duration::from_secs(5));
            let _ = std::fs::remove_file(files.ready());
            true
        }
        None => false,
    }
}

/// The daemon itself: serves the state file, reloads it when it changes, answers as a caching
/// resolver on [`RESOLVER_IP`], until SIGTERM.
pub async fn run_daemon(
    state_path: &Path,
    ready_path: &Path,
    domain: &str,
    emulator_ready: Option<&Path>,
) -> Result<(), RegistrarError> {
    let shown = state_path.display().to_string();
    let mut registry = FakeDnsState::load(state_path).map_err(|e| RegistrarError::State {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let mut zone: Option<ServedZone> = None;
    let mut emulator: Option<Emulator> = None;
    // The Route 53 address is served from the start (an empty zone until the emulator has one).
    let server = FakeDnsServer::start(with_route53(&registry, domain, None))
        .await
        .map_err(|e| RegistrarError::Start(e.to_string()))?;
    let port = server.port();
    let resolver = tokio::net::UdpSocket::bind(SocketAddr::new(IpAddr::V4(RESOLVER_IP), port))
        .await
        .map_err(|e| RegistrarError::Start(format!("resolver on {RESOLVER_IP}:{port}: {e}")))?;
    let ready = RegistrarReady {
        pid: std::process::id(),
        port,
        domain: domain.to_string(),
        tld: parent_of(domain),
    };
    let text = serde_json::to_vec_pretty(&ready).unwrap_or_default();
    crate::project::atomic::write_atomic(ready_path, &text)
        .map_err(|e| RegistrarError::Start(e.to_string()))?;
    eprintln!(
        "sandbox DNS: root {}, resolver {}",
        ready.root(),
        ready.resolver()
    );

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| RegistrarError::Start(e.to_string()))?;
    let mut mtime = modified(state_path);
    let mut reload = tokio::time::interval(Duration::from_millis(200));
    let mut zone_poll = tokio::time::interval(ZONE_POLL);
    let mut cache: HashMap<Name, (Vec<Name>, Instant, u32)> = HashMap::new();
    let mut buf = vec![0u8; 4096];
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = reload.tick() => {
                let now = modified(state_path);
                if now != mtime {
                    mtime = now;
                    match FakeDnsState::load(state_path) {
                        Ok(s) => {
                            registry = s;
                            let served = with_route53(&registry, domain, zone.as_ref());
                            server.update(|st| *st = served);
                            eprintln!("sandbox DNS: reloaded {}", state_path.display());
                        }
                        Err(e) => eprintln!("sandbox DNS: {e}"),
                    }
                }
            }
            _ = zone_poll.tick(), if emulator_ready.is_some() => {
                let Some(ready) = emulator_ready.map(Path::to_path_buf) else { continue };
                let held = emulator.take();
                let name = domain.to_string();
                let read = tokio::task::spawn_blocking(move || {
                    let e = match held {
                        Some(e) => e,
                        None => match Emulator::attach(&ready) {
                            Ok(Some(e)) => e,
                            _ => return (None, None),
                        },
                    };
                    match e.served_zone(&name) {
                        Ok(z) => (Some(e), Some(z)),
                        Err(err) => {
                            eprintln!("sandbox DNS: {err}");
                            (None, None)
                        }
                    }
                })
                .await;
                let Ok((held, read)) = read else { continue };
                emulator = held;
                if let Some(read) = read
                    && read != zone
                {
                    zone = read;
                    let served = with_route53(&registry, domain, zone.as_ref());
                    server.update(|st| *st = served);
                    eprintln!(
                        "sandbox DNS: Route 53 zone of {domain}: {} record sets",
                        zone.as_ref().map_or(0, |z| z.records.len())
                    );
                }
            }
            got = resolver.recv_from(&mut buf) => {
                let Ok((len, peer)) = got else { continue };
                let Some(bytes) = buf.get(..len) else { continue };
                let Ok(query) = Message::from_vec(bytes) else { continue };
                let answer = resolve(&registry, &query, &mut cache);
                if let Ok(out) = answer.to_vec() {
                    let _ = resolver.send_to(&out, peer).await;
                }
            }
        }
    }
    let _ = std::fs::remove_file(ready_path);
    Ok(())
}

/// The registry with Route 53 on top: the domain's hosted zone served on [`ROUTE53_IP`] (empty
/// while the emulator has none), and the addresses of the zone's nameserver names in the
/// deepest registry zone that holds each name, so that a resolver walking from the root
/// reaches them, as it reaches AWS's nameservers on the internet.
pub fn with_route53(
    registry: &FakeDnsState,
    domain: &str,
    zone: Option<&ServedZone>,
) -> FakeDnsState {
    let mut state = registry.clone();
    let origin = zone.map_or(domain, |z| z.name.as_str());
    let apex: Vec<(&str, Option<IpAddr>)> = zone
        .map(|z| z.nameservers.iter().map(|n| (n.as_str(), None)).collect())
        .unwrap_or_default();
    if state
        .add_zone(origin, vec![IpAddr::V4(ROUTE53_IP)], &apex)
        .is_err()
    {
        return registry.clone();
    }
    let Some(zone) = zone else {
        return state;
    };
    for record in &zone.records {
        for data in served_data(record) {
            let _ = state.add_record(
                origin,
                FakeRecord::new(&record.name, Some(record.ttl), data),
            );
        }
    }
    let Ok(origin_name) = Name::from_ascii(format!("{}.", origin.trim_end_matches('.'))) else {
        return state;
    };
    for ns in &zone.nameservers {
        let Ok(ns_name) = Name::from_ascii(format!("{}.", ns.trim_end_matches('.'))) else {
            continue;
        };
        if origin_name.zone_of(&ns_name) {
            // A nameserver inside the zone would need glue at the registry: not Route 53's.
            continue;
        }
        let holder = state
            .zones
            .iter_mut()
            .filter(|z| !z.servers.contains(&IpAddr::V4(ROUTE53_IP)))
            .filter_map(|z| {
                let o = Name::from_ascii(if z.origin.ends_with('.') {
                    z.origin.clone()
                } else {
                    format!("{}.", z.origin)
                })
                .ok()?;
                o.zone_of(&ns_name).then_some((o.num_labels(), z))
            })
            .max_by_key(|(labels, _)| *labels);
        if let Some((_, z)) = holder {
            z.records.push(FakeRecord::new(
                &ns_name.to_ascii(),
                None,
                FakeData::A(ROUTE53_IP),
            ));
        }
    }
    state
}

/// What the sandbox serves of one Route 53 record set: TXT (the quoted strings of each value
/// joined, as resolvers join them), A and AAAA; other types are not served.
fn served_data(record: &ServedRecord) -> Vec<FakeData> {
    record
        .values
        .iter()
        .filter_map(|v| match record.record_type.as_str() {
            "TXT" => Some(FakeData::TXT(txt_value(v))),
            "A" => v.trim().parse().ok().map(FakeData::A),
            "AAAA" => v.trim().parse().ok().map(FakeData::AAAA),
            _ => None,
        })
        .collect()
}

/// A Route 53 TXT value (`"v=spf1 include:amazonses.com ~all"`, or several quoted strings) as
/// the text a resolver hands back: the strings' contents joined, escapes undone.
fn txt_value(value: &str) -> String {
    let v = value.trim();
    if !v.starts_with('"') {
        return v.to_string();
    }
    let mut out = String::new();
    let mut inside = false;
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => inside = !inside,
            '\\' if inside => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            c if inside => out.push(c),
            _ => {}
        }
    }
    out
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A caching resolver's answer to an NS query: the delegation the registry had when the name
/// was first asked, with its TTL counting down; refreshed once it expires.
fn resolve(
    state: &FakeDnsState,
    query: &Message,
    cache: &mut HashMap<Name, (Vec<Name>, Instant, u32)>,
) -> Message {
    let mut response = Message::response(query.metadata.id, query.metadata.op_code);
    response.metadata.recursion_desired = query.metadata.recursion_desired;
    response.metadata.recursion_available = true;
    response.add_queries(query.queries.iter().cloned());
    let Some(q) = query.queries.first() else {
        response.metadata.response_code = ResponseCode::FormErr;
        return response;
    };
    if q.query_type != RecordType::NS {
        response.metadata.response_code = ResponseCode::NoError;
        return response;
    }
    let qname = q.name.to_lowercase();
    let now = Instant::now();
    let fresh = cache
        .get(&qname)
        .filter(|(_, at, ttl)| now.duration_since(*at) < Duration::from_secs(u64::from(*ttl)))
        .cloned();
    let (names, at, ttl) = match fresh {
        Some(entry) => entry,
        None => {
            let (names, ttl) = delegation_of(state, &qname);
            let entry = (names, now, ttl);
            cache.insert(qname.clone(), entry.clone());
            entry
        }
    };
    if names.is_empty() {
        response.metadata.response_code = ResponseCode::NXDomain;
        return response;
    }
    let left = u64::from(ttl).saturating_sub(now.duration_since(at).as_secs());
    let left = u32::try_from(left).unwrap_or(0).max(1);
    for ns in names {
        response.add_answer(Record::from_rdata(qname.clone(), left, RData::NS(NS(ns))));
    }
    response
}

/// The NS set a parent zone holds for `name`, with its TTL.
fn delegation_of(state: &FakeDnsState, name: &Name) -> (Vec<Name>, u32) {
    let mut names = Vec::new();
    let mut ttl = DELEGATION_TTL;
    for zone in &state.zones {
        let Ok(origin) = Name::from_ascii(&zone.origin) else {
            continue;
        };
        if origin.to_lowercase() == *name {
            continue;
        }
        for r in &zone.records {
            let owner = Name::from_ascii(if r.name.ends_with('.') {
                r.name.clone()
            } else {
                format!("{}.", r.name)
            });
            if let (Ok(owner), FakeData::NS(target)) = (owner, &r.data)
                && owner.to_lowercase() == *name
            {
                let target = if target.ends_with('.') {
                    target.clone()
                } else {
                    format!("{target}.")
                };
                if let Ok(t) = Name::from_ascii(&target)
                    && !names.contains(&t)
                {
                    names.push(t);
                    ttl = r.ttl.unwrap_or(ttl);
                }
            }
        }
    }
    (names, ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_of_a_domain_is_its_registry_zone() {
        assert_eq!(parent_of("example.com"), "com");
        assert_eq!(parent_of("example.co.uk"), "co.uk");
    }

    #[test]
    fn the_resolver_caches_the_old_delegation_until_its_ttl_runs_out() {
        let mut state = initial_state("example.com").expect("state");
        let mut cache = HashMap::new();
        let name = Name::from_ascii("example.com.").expect("name");
        let mut q = Message::query();
        q.add_query(hickory_proto::op::Query::query(
            name.clone(),
            RecordType::NS,
        ));
        let first = resolve(&state, &q, &mut cache);
        let names = |m: &Message| -> Vec<String> {
            m.answers
                .iter()
                .filter_map(|r| match &r.data {
                    RData::NS(ns) => Some(ns.0.to_ascii()),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(names(&first).len(), 2);
        assert!(names(&first)[0].contains("registrar-servers"));
        state
            .set_delegation("com", "example.com", &[("ns-1.awsdns-01.org", None)], 120)
            .expect("delegate");
        let cached = resolve(&state, &q, &mut cache);
        assert!(
            names(&cached)[0].contains("registrar-servers"),
            "still cached"
        );
        cache.clear();
        let fresh = resolve(&state, &q, &mut cache);
        assert_eq!(names(&fresh), vec!["ns-1.awsdns-01.org."]);
    }

    fn served(records: &[(&str, &str, &[&str])]) -> ServedZone {
        ServedZone {
            name: "example.com".into(),
            nameservers: vec![
                "ns-2048.awsdns-64.com".into(),
                "ns-2049.awsdns-65.net".into(),
            ],
            records: records
                .iter()
                .map(|(name, kind, values)| ServedRecord {
                    name: (*name).into(),
                    record_type: (*kind).into(),
                    ttl: 300,
                    values: values.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        }
    }

    /// Once the registry delegates the domain to its Route 53 nameservers, a resolver walking
    /// from the root reaches them (under .com and under .net) and reads the zone's TXT records,
    /// the quoted strings joined; aliases and other types are not served.
    #[tokio::test]
    async fn the_route53_zone_answers_through_the_delegation() {
        let mut registry = initial_state("example.com").expect("state");
        let zone = served(&[
            ("_dmarc.example.com", "TXT", &["\"v=DMARC1; p=none\""]),
            (
                "mail.example.com",
                "TXT",
                &["\"v=spf1 include:amazonses.com\" \" ~all\""],
            ),
            ("www.example.com", "A", &["192.0.2.1"]),
            (
                "example.com",
                "MX",
                &["10 inbound-smtp.us-east-1.amazonaws.com"],
            ),
        ]);
        // At the registrar's parking servers, the zone is not reached.
        let server = FakeDnsServer::start(with_route53(&registry, "example.com", Some(&zone)))
            .await
            .expect("server");
        let dns = crate::dns::DnsConfig::with_roots(vec![server.addr(IpAddr::V4(ROOT_IP))], None);
        let parked = crate::dns::lookup_txt(&dns, "_dmarc.example.com").await;
        assert!(
            !matches!(parked, crate::dns::TxtAnswer::Records(_)),
            "{parked:?}"
        );
        // The person at the registrar sets the Route 53 nameservers.
        let ns: Vec<(&str, Option<IpAddr>)> = zone
            .nameservers
            .iter()
            .map(|n| (n.as_str(), None))
            .collect();
        registry
            .set_delegation("com", "example.com", &ns, DELEGATION_TTL)
            .expect("delegation");
        server.update(|st| *st = with_route53(&registry, "example.com", Some(&zone)));
        for (name, want) in [
            ("_dmarc.example.com", "v=DMARC1; p=none"),
            ("mail.example.com", "v=spf1 include:amazonses.com ~all"),
        ] {
            let got = crate::dns::lookup_txt(&dns, name).await;
            assert_eq!(
                got,
                crate::dns::TxtAnswer::Records(vec![want.to_string()]),
                "{name}"
            );
        }
        // Without a zone in the emulator, the Route 53 servers know no records.
        server.update(|st| *st = with_route53(&registry, "example.com", None));
        let gone = crate::dns::lookup_txt(&dns, "_dmarc.example.com").await;
        assert!(
            !matches!(gone, crate::dns::TxtAnswer::Records(_)),
            "{gone:?}"
        );
    }

    #[test]
    fn txt_values_read_as_resolvers_join_them() {
        assert_eq!(txt_value("\"a b\""), "a b");
        assert_eq!(txt_value("\"a\" \"b\""), "ab");
        assert_eq!(txt_value("\"say \\\"hi\\\"\""), "say \"hi\"");
        assert_eq!(txt_value("bare"), "bare");
    }
}
