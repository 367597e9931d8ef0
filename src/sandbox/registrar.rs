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
//! ```

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::NS;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde::{Deserialize, Serialize};

use crate::dns::fake_server::{FakeData, FakeDnsServer, FakeDnsState};

pub const ROOT_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 53, 1);
pub const TLD_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 53, 2);
pub const RESOLVER_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 53, 3);

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
) -> Result<(), RegistrarError> {
    let shown = state_path.display().to_string();
    let state = FakeDnsState::load(state_path).map_err(|e| RegistrarError::State {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let server = FakeDnsServer::start(state)
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
                            server.update(|st| *st = s);
                            eprintln!("sandbox DNS: reloaded {}", state_path.display());
                        }
                        Err(e) => eprintln!("sandbox DNS: {e}"),
                    }
                }
            }
            got = resolver.recv_from(&mut buf) => {
                let Ok((len, peer)) = got else { continue };
                let Some(bytes) = buf.get(..len) else { continue };
                let Ok(query) = Message::from_vec(bytes) else { continue };
                let answer = resolve(&server.state(), &query, &mut cache);
                if let Ok(out) = answer.to_vec() {
                    let _ = resolver.send_to(&out, peer).await;
                }
            }
        }
    }
    let _ = std::fs::remove_file(ready_path);
    Ok(())
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
}
