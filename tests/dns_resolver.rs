//! The two views disagreeing: a real caching resolver (Debian `unbound`) on loopback still holds
//! the old NS set while the registry (the in-process fake root and TLD) already has the new
//! one; the verdict explains it with the time the cached answer still lives.
//!
//! Unbound asks every server on port 53 except those named with `@port` in a stub zone, so the
//! root, the TLD and the old provider's servers are stub zones pointing at the fake server's port.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hickory_proto::rr::{Name, RecordType};
use siteup::dns::fake_server::{FakeDnsServer, FakeDnsState};
use siteup::dns::{DnsConfig, ResolverState, Verdict, check_delegation};

const ROOT: &str = "127.0.0.20";
const TLD: &str = "127.0.0.21";
const OLD_CHILD: &str = "127.0.0.22";
const NEW_CHILD: &str = "127.0.0.23";
const RESOLVER: &str = "127.0.0.24";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn unbound_program() -> PathBuf {
    if let Ok(p) = which::which("unbound") {
        return p;
    }
    for dir in ["/usr/sbin", "/usr/local/sbin", "/sbin"] {
        let p = Path::new(dir).join("unbound");
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "unbound is not installed: this test needs a caching resolver, install the Debian package `unbound` (apt-get install unbound)"
    );
}

fn free_port(addr: IpAddr) -> u16 {
    for _ in 0..100 {
        let udp = std::net::UdpSocket::bind(SocketAddr::new(addr, 0)).expect("bind udp");
        let port = udp.local_addr().expect("local addr").port();
        if std::net::TcpListener::bind(SocketAddr::new(addr, port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on {addr}");
}

/// An unbound process in the foreground, stopped by PID on drop.
struct Unbound {
    child: Child,
    log: PathBuf,
}

impl Unbound {
    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        // SIGTERM, SIGKILL after 5 s (a test DNS server, never terraform); then reap it.
        siteup::sandbox::terminate(self.child.id(), Duration::from_secs(5));
        let _ = self.child.wait();
    }
}

fn start_unbound(dir: &Path, listen: SocketAddr, dns_port: u16) -> Unbound {
    let hints = dir.join("root.hints");
    std::fs::write(
        &hints,
        format!(".  3600000 IN NS a.root.\na.root. 3600000 IN A {ROOT}\n"),
    )
    .expect("root hints");
    let conf = format!(
        "server:
    interface: {ip}
    port: {port}
    do-daemonize: no
    use-syslog: no
    logfile: \"\"
    chroot: \"\"
    username: \"\"
    pidfile: \"\"
    directory: \"{dir}\"
    root-hints: \"{hints}\"
    do-not-query-localhost: no
    do-ip6: no
    module-config: \"iterator\"
    access-control: 127.0.0.0/8 allow
    local-zone: \"test.\" nodefault
    qname-minimisation: no
    harden-referral-path: no
    num-threads: 1
    verbosity: 1
remote-control:
    control-enable: no
stub-zone:
    name: \".\"
    stub-addr: {ROOT}@{dns_port}
stub-zone:
    name: \"test.\"
    stub-addr: {TLD}@{dns_port}
stub-zone:
    name: \"example.test.\"
    stub-addr: {OLD_CHILD}@{dns_port}
",
        ip = listen.ip(),
        port = listen.port(),
        dir = dir.display(),
        hints = hints.display(),
    );
    let conf_path = dir.join("unbound.conf");
    std::fs::write(&conf_path, conf).expect("unbound.conf");
    let log = dir.join("unbound.log");
    let child = Command::new(unbound_program())
        .arg("-d")
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("unbound should start");
    Unbound { child, log }
}

fn state() -> FakeDnsState {
    let mut s = FakeDnsState::root_and_tld(ip(ROOT), "test", ip(TLD)).expect("tree");
    // The old provider serves example.test on 127.0.0.22, the new one (Route 53) on 127.0.0.23.
    s.add_zone(
        "example.test",
        vec![ip(OLD_CHILD)],
        &[("ns1.olddns.test", None), ("ns2.olddns.test", None)],
    )
    .expect("old child");
    s.add_zone(
        "example.test",
        vec![ip(NEW_CHILD)],
        &[("ns1.newdns.test", None), ("ns2.newdns.test", None)],
    )
    .expect("new child");
    s.set_delegation(
        "test",
        "example.test",
        &[
            ("ns1.olddns.test", Some(ip(OLD_CHILD))),
            ("ns2.olddns.test", Some(ip(OLD_CHILD))),
        ],
        3600,
    )
    .expect("old delegation");
    s
}

fn expected() -> Vec<String> {
    vec!["ns1.newdns.test".to_string(), "ns2.newdns.test".to_string()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolver_still_caches_the_old_answer_while_the_registry_has_the_new_one() {
    let program = unbound_program();
    assert!(program.is_file());
    let fake = FakeDnsServer::start(state()).await.expect("fake dns");
    let dir = tempfile::tempdir().expect("tempdir");
    let resolver = SocketAddr::new(ip(RESOLVER), free_port(ip(RESOLVER)));
    let unbound = start_unbound(dir.path(), resolver, fake.port());

    // Wait for unbound to answer.
    let probe = Name::from_ascii("test.").expect("name");
    let started = Instant::now();
    loop {
        if siteup::dns::wire::query(
            resolver,
            &probe,
            RecordType::SOA,
            true,
            Duration::from_millis(300),
            None,
        )
        .await
        .is_ok()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "unbound did not answer on {resolver} within 10 s; its log:\n{}",
            unbound.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let cfg = DnsConfig::with_roots(vec![fake.addr(ip(ROOT))], Some(resolver))
        .with_timeouts(Duration::from_millis(500), Duration::from_secs(5));

    // Before the change both views agree on the old provider; the resolver now caches it.
    let before = check_delegation(&cfg, "example.test", &expected()).await;
    assert!(
        matches!(before.verdict, Verdict::NotDelegated { .. }),
        "{before:#?}"
    );
    assert_eq!(
        before.resolver.nameservers,
        vec!["ns1.olddns.test".to_string(), "ns2.olddns.test".to_string()],
        "{before:#?}\nunbound log:\n{}",
        unbound.log_text()
    );
    assert_eq!(before.resolver.state, ResolverState::CachingOld);
    assert!(
        before
            .resolver
            .summary
            .contains("it will see your nameservers after that, once the registry has them"),
        "{}",
        before.resolver.summary
    );

    // The registrar's change reaches the registry; the old provider goes away entirely, so
    // whatever the resolver says next comes from its cache.
    fake.update(|s| {
        s.set_silent(ip(OLD_CHILD), true);
        s.set_delegation(
            "test",
            "example.test",
            &[
                ("ns1.newdns.test", Some(ip(NEW_CHILD))),
                ("ns2.newdns.test", Some(ip(NEW_CHILD))),
            ],
            3600,
        )
    })
    .expect("new delegation");
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let after = check_delegation(&cfg, "example.test", &expected()).await;
    assert_eq!(after.verdict, Verdict::Delegated, "{after:#?}");
    assert!(after.registry.matches);
    assert_eq!(
        after.resolver.state,
        ResolverState::CachingOld,
        "{after:#?}"
    );
    assert!(!after.resolver.matches);
    assert_eq!(
        after.resolver.nameservers,
        vec!["ns1.olddns.test".to_string(), "ns2.olddns.test".to_string()]
    );
    let ttl = after.resolver.ttl_seconds.expect("the cached answer's TTL");
    assert!(
        (3500..3600).contains(&ttl),
        "the cached answer should have aged a little: TTL {ttl}"
    );
    let summary = &after.resolver.summary;
    assert_eq!(
        *summary,
        format!(
            "Your resolver ({resolver}) is caching the old answer (ns1.olddns.test and ns2.olddns.test) for {}; the registry already has your nameservers, so it will switch by itself.",
            siteup::words::seconds(u64::from(ttl), siteup::words::DurationStyle::Remaining)
        )
    );
    assert!(
        summary.contains("for about 60 more minutes")
            || summary.contains("for about 59 more minutes"),
        "{summary}"
    );
    let json = serde_json::to_value(&after).expect("json");
    assert_eq!(json["registry"]["matches"], true);
    assert_eq!(json["resolver"]["matches"], false);
    assert_eq!(json["resolver"]["state"], "caching_old");
    assert_eq!(json["resolver"]["nameservers"][0], "ns1.olddns.test");
    assert!(siteup::dns::render_text(&after).contains("Resolver: Your resolver"));
    // The registry view never went through the resolver, and nothing left loopback.
    assert!(!after.contacted.contains(&resolver));
    assert!(after.contacted.iter().all(|a| a.ip().is_loopback()));

    drop(unbound);
}
