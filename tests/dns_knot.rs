//! The delegation check against a real authoritative server: Knot (Debian `knot`) serves a
//! root (127.0.0.10), a TLD `test.` (127.0.0.11 and 127.0.0.14) and the child zone
//! example.test (127.0.0.12), one knotd per role, all on one free port. The test changes the
//! delegation at the TLD with knotc while siteup polls, then adds a DS record at the parent.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hickory_proto::rr::{Name, RecordType};
use siteup::dns::{DelegationReport, DnsConfig, Verdict, check_delegation};

const ROOT: &str = "127.0.0.10";
const TLD_A: &str = "127.0.0.11";
const CHILD: &str = "127.0.0.12";
const TLD_B: &str = "127.0.0.14";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

/// Finds a Knot program, or fails naming the Debian package.
fn knot_program(name: &str) -> PathBuf {
    if let Ok(p) = which::which(name) {
        return p;
    }
    for dir in ["/usr/sbin", "/usr/local/sbin", "/sbin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "{name} is not installed: this test needs Knot DNS, install the Debian packages `knot` and `knot-dnsutils` (apt-get install knot knot-dnsutils)"
    );
}

/// A port free for UDP and TCP on every address (checked, then released for knotd).
fn free_port(addrs: &[IpAddr]) -> u16 {
    'search: for _ in 0..100 {
        let first = std::net::UdpSocket::bind(SocketAddr::new(addrs[0], 0)).expect("bind udp");
        let port = first.local_addr().expect("local addr").port();
        let mut held = Vec::new();
        for a in addrs {
            let sa = SocketAddr::new(*a, port);
            match (
                std::net::TcpListener::bind(sa),
                if *a == addrs[0] {
                    Ok(None)
                } else {
                    std::net::UdpSocket::bind(sa).map(Some)
                },
            ) {
                (Ok(t), Ok(u)) => held.push((t, u)),
                _ => continue 'search,
            }
        }
        return port;
    }
    panic!("no free port on {addrs:?}");
}

/// One knotd process serving `zones` on `listen`, stopped by PID on drop.
struct Knot {
    child: Child,
    socket: PathBuf,
    log: PathBuf,
}

impl Knot {
    fn start(dir: &Path, role: &str, listen: &[IpAddr], port: u16, zones: &[(&str, &str)]) -> Knot {
        let base = dir.join(role);
        for sub in ["run", "db", "zones"] {
            std::fs::create_dir_all(base.join(sub)).expect("knot dirs");
        }
        let listen_list: Vec<String> = listen.iter().map(|a| format!("\"{a}@{port}\"")).collect();
        let mut conf = format!(
            "server:\n    rundir: \"{run}\"\n    listen: [ {listen} ]\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n\
             database:\n    storage: \"{db}\"\n\
             control:\n    listen: \"{run}/knot.sock\"\n\
             log:\n  - target: stderr\n    any: info\n\
             template:\n  - id: default\n    storage: \"{zones}\"\n    zonefile-sync: -1\n    journal-content: none\n\
             zone:\n",
            run = base.join("run").display(),
            db = base.join("db").display(),
            zones = base.join("zones").display(),
            listen = listen_list.join(", "),
        );
        for (origin, text) in zones {
            let file = format!("{}.zone", if *origin == "." { "root" } else { origin });
            std::fs::write(base.join("zones").join(&file), text).expect("zone file");
            conf.push_str(&format!("  - domain: \"{origin}\"\n    file: \"{file}\"\n"));
        }
        let conf_path = base.join("knot.conf");
        std::fs::write(&conf_path, conf).expect("knot.conf");
        let log = base.join("knotd.log");
        let child = Command::new(knot_program("knotd"))
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("knotd should start");
        Knot {
            child,
            socket: base.join("run").join("knot.sock"),
            log,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs knotc against this server; the command must succeed.
    fn knotc(&self, args: &[&str]) {
        let out = Command::new(knot_program("knotc"))
            .arg("-s")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("knotc should run");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && !text.contains("error"),
            "knotc {args:?} failed: {text}\nknotd log:\n{}",
            self.log_text()
        );
    }
}

impl Drop for Knot {
    fn drop(&mut self) {
        // SIGTERM, SIGKILL after 5 s (a test DNS server, never terraform); then reap it.
        siteup::sandbox::terminate(self.child.id(), Duration::from_secs(5));
        let _ = self.child.wait();
    }
}

/// Waits until `addr` answers an SOA query for `zone` authoritatively.
async fn wait_ready(addr: SocketAddr, zone: &str, knot: &Knot) {
    let name = Name::from_ascii(zone).expect("zone name");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(answer) = siteup::dns::wire::query(
            addr,
            &name,
            RecordType::SOA,
            false,
            Duration::from_millis(200),
            None,
        )
        .await
            && answer.message.metadata.authoritative
            && !answer.message.answers.is_empty()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "knotd did not serve {zone} on {addr} within 10 s; its log:\n{}",
        knot.log_text()
    );
}

const ROOT_ZONE: &str = "\
$TTL 86400
.            IN SOA a.root. hostmaster.root. 1 1800 900 604800 86400
.            IN NS  a.root.
a.root.      IN A   127.0.0.10
test. 172800 IN NS  a.nic.test.
test. 172800 IN NS  b.nic.test.
a.nic.test. 172800 IN A 127.0.0.11
b.nic.test. 172800 IN A 127.0.0.14
";

const TLD_ZONE: &str = "\
$TTL 3600
test.            IN SOA a.nic.test. hostmaster.nic.test. 1 1800 900 604800 300
test.            IN NS  a.nic.test.
test.            IN NS  b.nic.test.
a.nic.test.      IN A   127.0.0.11
b.nic.test.      IN A   127.0.0.14
ns1.olddns.test. IN A   127.0.0.13
ns2.olddns.test. IN A   127.0.0.13
ns1.newdns.test. IN A   127.0.0.12
ns2.newdns.test. IN A   127.0.0.12
example.test. 172800 IN NS ns1.olddns.test.
example.test. 172800 IN NS ns2.olddns.test.
";

const CHILD_ZONE: &str = "\
$TTL 3600
example.test.     IN SOA ns1.newdns.test. hostmaster.example.test. 1 1800 900 604800 300
example.test.     IN NS  ns1.newdns.test.
example.test.     IN NS  ns2.newdns.test.
www.example.test. IN A   127.0.0.12
";

fn expected() -> Vec<String> {
    vec![
        "ns1.newdns.test".to_string(),
        "NS2.NEWDNS.TEST.".to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knot_delegation_change_is_seen_within_one_poll_and_ds_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let all = [ip(ROOT), ip(TLD_A), ip(CHILD), ip(TLD_B)];
    let port = free_port(&all);
    let root = Knot::start(dir.path(), "root", &[ip(ROOT)], port, &[(".", ROOT_ZONE)]);
    let tld = Knot::start(
        dir.path(),
        "tld",
        &[ip(TLD_A), ip(TLD_B)],
        port,
        &[("test.", TLD_ZONE)],
    );
    let child = Knot::start(
        dir.path(),
        "child",
        &[ip(CHILD)],
        port,
        &[("example.test.", CHILD_ZONE)],
    );
    wait_ready(SocketAddr::new(ip(ROOT), port), ".", &root).await;
    wait_ready(SocketAddr::new(ip(TLD_A), port), "test.", &tld).await;
    wait_ready(SocketAddr::new(ip(TLD_B), port), "test.", &tld).await;
    wait_ready(SocketAddr::new(ip(CHILD), port), "example.test.", &child).await;

    let cfg = DnsConfig::with_roots(vec![SocketAddr::new(ip(ROOT), port)], None)
        .with_timeouts(Duration::from_millis(500), Duration::from_secs(5));

    // Before: both TLD servers still list the old provider.
    let before = check_delegation(&cfg, "example.test", &expected()).await;
    assert_eq!(
        before.verdict,
        Verdict::NotDelegated {
            registry_has: vec!["ns1.olddns.test".to_string(), "ns2.olddns.test".to_string()]
        },
        "{before:#?}"
    );
    assert_eq!(before.registry.servers.len(), 2, "both TLD servers asked");
    assert!(before.contacted.iter().all(|a| a.ip().is_loopback()));

    // Poll while the delegation changes.
    // (The wizard re-checks on the core's back-off schedule; here a fixed interval.)
    let interval = Duration::from_millis(1000);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, DelegationReport)>();
    let poll_cfg = cfg.clone();
    let poller = tokio::spawn(async move {
        loop {
            let r = check_delegation(&poll_cfg, "example.test", &expected()).await;
            let _ = tx.send((Instant::now(), r.clone()));
            if r.ready {
                return r;
            }
            tokio::time::sleep(interval).await;
        }
    });
    // Let two checks see the old delegation first.
    for _ in 0..2 {
        let (_, r) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a poll within 5 s")
            .expect("poller alive");
        assert!(matches!(r.verdict, Verdict::NotDelegated { .. }), "{r:#?}");
    }
    tld.knotc(&["zone-begin", "test."]);
    tld.knotc(&["zone-unset", "test.", "example.test.", "NS"]);
    tld.knotc(&[
        "zone-set",
        "test.",
        "example.test.",
        "172800",
        "NS",
        "ns1.newdns.test.",
    ]);
    tld.knotc(&[
        "zone-set",
        "test.",
        "example.test.",
        "172800",
        "NS",
        "ns2.newdns.test.",
    ]);
    tld.knotc(&["zone-commit", "test."]);
    let committed = Instant::now();

    let last = tokio::time::timeout(Duration::from_secs(10), poller)
        .await
        .expect("polling should stop once delegated")
        .expect("poller task");
    assert_eq!(last.verdict, Verdict::Delegated, "{last:#?}");
    let mut first_delegated = None;
    while let Ok((at, r)) = rx.try_recv() {
        if r.delegated && first_delegated.is_none() {
            first_delegated = Some((at, r));
        }
    }
    let (seen_at, report) = first_delegated.expect("a delegated report");
    let lag = seen_at.saturating_duration_since(committed);
    // One interval of sleep, then one check (its own duration), plus scheduling slack.
    let bound = interval + Duration::from_millis(report.took_ms) + Duration::from_millis(500);
    assert!(
        lag <= bound,
        "the change was reported {lag:?} after the commit, more than one poll interval ({bound:?})"
    );
    assert!(report.registry.matches);
    assert_eq!(report.registry.servers.len(), 2);

    // A DS record at the parent (the old provider's DNSSEC) is reported.
    tld.knotc(&["zone-begin", "test."]);
    tld.knotc(&[
        "zone-set",
        "test.",
        "example.test.",
        "3600",
        "DS",
        "31589",
        "8",
        "2",
        "CDE0D742D6998AA554A92D890F8184C698CFAC8A26FA59875A990C03E576343C",
    ]);
    tld.knotc(&["zone-commit", "test."]);
    let with_ds = check_delegation(&cfg, "example.test", &expected()).await;
    assert!(with_ds.delegated, "{with_ds:#?}");
    assert!(with_ds.ds.present, "{with_ds:#?}");
    assert!(!with_ds.ready);
    assert_eq!(with_ds.ds.records[0].key_tag, 31589);
    assert_eq!(
        with_ds.ds.records[0].digest,
        "CDE0D742D6998AA554A92D890F8184C698CFAC8A26FA59875A990C03E576343C"
    );
    let text = siteup::dns::render_text(&with_ds);
    assert!(text.contains("DNSSEC:"), "{text}");
    assert!(text.contains("key tag 31589"), "{text}");

    drop(child);
    drop(tld);
    drop(root);
}
