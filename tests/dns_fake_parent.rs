//! The delegation check against the in-process fake parent on loopback: a root and a TLD that
//! answer with real referrals, changed at run time by the test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use siteup::dns::fake_server::{FakeData, FakeDnsServer, FakeDnsState, FakeDs, FakeRecord};
use siteup::dns::{
    DnsConfig, ResolverState, ServerAnswer, TxtAnswer, Verdict, check_delegation, lookup_txt,
    render_text,
};

const ROOT: &str = "127.0.0.40";
const TLD_A: &str = "127.0.0.41";
const TLD_B: &str = "127.0.0.43";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(std::string::ToString::to_string).collect()
}

fn new_ns() -> Vec<String> {
    names(&[
        "ns-1.awsdns-01.org",
        "ns-2.awsdns-02.co.uk",
        "ns-3.awsdns-03.com",
        "ns-4.awsdns-04.net",
    ])
}

/// Root on 127.0.0.40, `test.` on 127.0.0.41, example.test delegated to the old provider.
fn state() -> FakeDnsState {
    let mut s = FakeDnsState::root_and_tld(ip(ROOT), "test", ip(TLD_A)).expect("tree");
    s.set_delegation(
        "test",
        "example.test",
        &[("ns1.olddns.test", None), ("ns2.olddns.test", None)],
        172_800,
    )
    .expect("old delegation");
    s
}

fn delegate(server: &FakeDnsServer, ns: &[String]) {
    let pairs: Vec<(&str, Option<IpAddr>)> = ns.iter().map(|n| (n.as_str(), None)).collect();
    server
        .update(|s| s.set_delegation("test", "example.test", &pairs, 172_800))
        .expect("change delegation");
}

fn config(server: &FakeDnsServer) -> DnsConfig {
    DnsConfig::with_roots(vec![server.addr(ip(ROOT))], None)
        .with_timeouts(Duration::from_millis(300), Duration::from_secs(5))
}

fn assert_loopback_only(contacted: &[SocketAddr]) {
    assert!(!contacted.is_empty(), "the check sent no packet at all");
    for addr in contacted {
        assert!(
            addr.ip().is_loopback(),
            "packet sent off loopback to {addr}"
        );
    }
}

#[tokio::test]
async fn not_delegated_then_delegated_after_the_parent_changes() {
    let server = FakeDnsServer::start(state()).await.expect("fake dns");
    let cfg = config(&server);

    let before = check_delegation(&cfg, "Example.Test.", &new_ns()).await;
    assert_eq!(
        before.verdict,
        Verdict::NotDelegated {
            registry_has: names(&["ns1.olddns.test", "ns2.olddns.test"])
        }
    );
    assert!(!before.delegated && !before.ready && !before.registry.matches);
    assert_eq!(before.registry.zone.as_deref(), Some("test"));
    assert_eq!(
        before.registry.summary,
        "The .test registry still lists the old nameservers ns1.olddns.test and ns2.olddns.test: replace them with your 4 nameservers at your registrar."
    );
    assert_eq!(before.registry.ttl_seconds, Some(172_800));
    assert_loopback_only(&before.contacted);

    // The registrar's change reaches the registry (upper case and trailing dots on purpose).
    delegate(
        &server,
        &names(&[
            "NS-1.AWSDNS-01.ORG.",
            "ns-2.awsdns-02.co.uk.",
            "ns-3.awsdns-03.com",
            "ns-4.awsdns-04.net",
        ]),
    );
    let after = check_delegation(&cfg, "example.test", &new_ns()).await;
    assert_eq!(after.verdict, Verdict::Delegated);
    assert!(after.delegated && after.ready && after.registry.matches);
    assert!(
        after
            .registry
            .summary
            .contains("lists exactly your 4 nameservers")
    );
    assert!(!after.ds.present && after.ds.checked);
    assert_eq!(after.resolver.state, ResolverState::NotChecked);
    assert_loopback_only(&after.contacted);

    // The JSON form has the fields `siteup nameservers --json` promises.
    let json = serde_json::to_value(&after).expect("json");
    assert_eq!(
        json["nameservers"].as_array().map(std::vec::Vec::len),
        Some(4)
    );
    assert_eq!(json["registry"]["matches"], true);
    assert_eq!(json["registry"]["nameservers"][0], "ns-1.awsdns-01.org");
    assert_eq!(json["resolver"]["matches"], false);
    assert!(json["resolver"]["nameservers"].is_array());
    assert!(render_text(&after).contains("Registry: The .test registry lists exactly"));

    // The registry was asked without recursion, at the root and then at the TLD.
    let queries = server.queries();
    assert!(queries.iter().any(|q| q.local.ip() == ip(ROOT)));
    assert!(
        queries
            .iter()
            .any(|q| q.local.ip() == ip(TLD_A) && q.rtype == "NS")
    );
    assert!(
        queries
            .iter()
            .any(|q| q.local.ip() == ip(TLD_A) && q.rtype == "DS")
    );
}

#[tokio::test]
async fn partial_delegation_names_the_missing_server() {
    let server = FakeDnsServer::start(state()).await.expect("fake dns");
    let cfg = config(&server);
    delegate(&server, &new_ns()[..3]);
    let report = check_delegation(&cfg, "example.test", &new_ns()).await;
    assert_eq!(
        report.verdict,
        Verdict::PartlyDelegated {
            missing: names(&["ns-4.awsdns-04.net"]),
            extra: Vec::new()
        }
    );
    assert_eq!(report.registry.missing, names(&["ns-4.awsdns-04.net"]));
    assert_eq!(
        report.registry.summary,
        "The .test registry lists only some of your 4 nameservers: add ns-4.awsdns-04.net at your registrar."
    );

    let mut mixed = new_ns()[..3].to_vec();
    mixed.push("ns1.olddns.test".to_string());
    delegate(&server, &mixed);
    let report = check_delegation(&cfg, "example.test", &new_ns()).await;
    assert_eq!(
        report.verdict,
        Verdict::PartlyDelegated {
            missing: names(&["ns-4.awsdns-04.net"]),
            extra: names(&["ns1.olddns.test"])
        }
    );
    assert!(
        report
            .registry
            .summary
            .contains("is missing ns-4.awsdns-04.net")
    );
    assert!(
        report
            .registry
            .summary
            .contains("still lists ns1.olddns.test")
    );
}

#[tokio::test]
async fn truncated_udp_answer_is_retried_over_tcp() {
    let mut s = state();
    s.set_truncate_udp(ip(TLD_A), true);
    let server = FakeDnsServer::start(s).await.expect("fake dns");
    delegate(&server, &new_ns());
    let report = check_delegation(&config(&server), "example.test", &new_ns()).await;
    assert_eq!(report.verdict, Verdict::Delegated, "{report:#?}");
    assert!(
        report.registry.servers[0].tcp,
        "the answer should have come over TCP"
    );
    let queries = server.queries();
    assert!(
        queries
            .iter()
            .any(|q| q.local.ip() == ip(TLD_A) && !q.tcp && q.rtype == "NS"),
        "UDP first"
    );
    assert!(
        queries
            .iter()
            .any(|q| q.local.ip() == ip(TLD_A) && q.tcp && q.rtype == "NS"),
        "then TCP"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_skipped_while_another_answers() {
    let mut s = state();
    // A second TLD server: the root lists a.nic.test (silent) first, then b.nic.test.
    s.add_zone(
        "test",
        vec![ip(TLD_A), ip(TLD_B)],
        &[
            ("a.nic.test", Some(ip(TLD_A))),
            ("b.nic.test", Some(ip(TLD_B))),
        ],
    )
    .expect("tld zone");
    s.set_delegation(
        ".",
        "test",
        &[
            ("a.nic.test", Some(ip(TLD_A))),
            ("b.nic.test", Some(ip(TLD_B))),
        ],
        172_800,
    )
    .expect("root delegation");
    s.set_delegation(
        "test",
        "example.test",
        &[
            ("ns-1.awsdns-01.org", None),
            ("ns-2.awsdns-02.co.uk", None),
            ("ns-3.awsdns-03.com", None),
            ("ns-4.awsdns-04.net", None),
        ],
        172_800,
    )
    .expect("delegation");
    s.set_silent(ip(TLD_A), true);
    let server = FakeDnsServer::start(s).await.expect("fake dns");

    let started = Instant::now();
    let report = check_delegation(&config(&server), "example.test", &new_ns()).await;
    let took = started.elapsed();
    assert_eq!(report.verdict, Verdict::Delegated, "{report:#?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(report.registry.servers.len(), 2);
    let silent = &report.registry.servers[0];
    assert_eq!(silent.name, "a.nic.test");
    match &silent.answer {
        ServerAnswer::Failed { reason } => {
            assert!(reason.contains("did not answer within 0.3 s"), "{reason}");
        }
        other => panic!("a.nic.test should have failed, got {other:?}"),
    }
    assert_eq!(
        report.registry.notes.len(),
        1,
        "{:?}",
        report.registry.notes
    );
    assert!(
        report.registry.notes[0]
            .starts_with("1 of 2 servers of the .test registry did not answer (a.nic.test")
    );

    // Every server silent: unreachable, naming each server and why.
    server.update(|s| s.set_silent(ip(TLD_B), true));
    let report = check_delegation(&config(&server), "example.test", &new_ns()).await;
    match &report.verdict {
        Verdict::Unreachable { problems } => {
            assert!(
                problems.iter().any(|p| p.contains("a.nic.test")),
                "{problems:?}"
            );
            assert!(
                problems.iter().any(|p| p.contains("b.nic.test")),
                "{problems:?}"
            );
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
    assert!(
        report
            .registry
            .summary
            .starts_with("The registry could not be checked because")
    );
}

#[tokio::test]
async fn glueless_parent_servers_are_resolved_from_the_root() {
    // The root delegates test. to ns.tldhost.net without glue; net. (with glue) has its address.
    let mut s = FakeDnsState::root_and_tld(ip(ROOT), "net", ip(TLD_B)).expect("tree");
    s.add_record(
        "net",
        FakeRecord::new(
            "ns.tldhost.net.",
            None,
            FakeData::A(Ipv4Addr::new(127, 0, 0, 41)),
        ),
    )
    .expect("address record");
    s.add_zone("test", vec![ip(TLD_A)], &[("ns.tldhost.net", None)])
        .expect("tld");
    s.set_delegation(".", "test", &[("ns.tldhost.net", None)], 172_800)
        .expect("glueless delegation");
    let ns = new_ns();
    let pairs: Vec<(&str, Option<IpAddr>)> = ns.iter().map(|n| (n.as_str(), None)).collect();
    s.set_delegation("test", "example.test", &pairs, 3600)
        .expect("delegation");
    let server = FakeDnsServer::start(s).await.expect("fake dns");
    let report = check_delegation(&config(&server), "example.test", &new_ns()).await;
    assert_eq!(report.verdict, Verdict::Delegated, "{report:#?}");
    assert_eq!(report.registry.servers[0].name, "ns.tldhost.net");
    assert!(
        server
            .queries()
            .iter()
            .any(|q| q.name == "ns.tldhost.net." && q.rtype == "A"),
        "the glueless name should have been resolved iteratively"
    );
    assert_loopback_only(&report.contacted);
}

#[tokio::test]
async fn ds_at_the_parent_is_reported() {
    let server = FakeDnsServer::start(state()).await.expect("fake dns");
    delegate(&server, &new_ns());
    server
        .update(|s| {
            s.set_ds(
                "test",
                "example.test",
                &[FakeDs {
                    key_tag: 31589,
                    algorithm: 8,
                    digest_type: 2,
                    digest: "CDE0D742D6998AA554A92D890F8184C698CFAC8A26FA59875A990C03E576343C"
                        .to_string(),
                }],
            )
        })
        .expect("ds");
    let report = check_delegation(&config(&server), "example.test", &new_ns()).await;
    assert!(report.delegated);
    assert!(report.ds.present);
    assert!(
        !report.ready,
        "a DS record at the parent must hold the checkpoint"
    );
    assert_eq!(report.ds.records[0].key_tag, 31589);
    assert_eq!(report.ds.records[0].algorithm, 8);
    let warning = report.ds.summary.as_deref().expect("ds warning");
    assert!(warning.contains("will fail to resolve"), "{warning}");
    assert!(warning.contains("at your registrar"), "{warning}");
}

#[tokio::test]
async fn roots_from_the_environment_never_fall_back_to_iana() {
    // Nothing answers on this root: the check must report it, not try the IANA roots.
    let mut s = state();
    s.set_silent(ip(ROOT), true);
    let server = FakeDnsServer::start(s).await.expect("fake dns");
    let root = server.addr(ip(ROOT));
    let value = root.to_string();
    let cfg = DnsConfig::from_vars(
        |name| (name == siteup::dns::config::ROOT_ENV).then(|| value.clone()),
        Path::new("/etc/resolv.conf"),
    )
    .expect("config")
    .with_timeouts(Duration::from_millis(300), Duration::from_secs(3));
    assert_eq!(cfg.roots, vec![root]);
    assert!(cfg.loopback_only);
    // The system resolver (/etc/resolv.conf) is not used when the roots are test servers.
    assert_eq!(cfg.resolver, siteup::dns::ResolverChoice::TestRoots);
    let report = check_delegation(&cfg, "example.test", &new_ns()).await;
    assert_eq!(report.contacted, vec![root]);
    match &report.verdict {
        Verdict::Unreachable { problems } => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains(&root.to_string()), "{problems:?}");
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
    assert_eq!(report.resolver.state, ResolverState::NotChecked);

    // A referral pointing off loopback is refused without sending anything there.
    server
        .update(|s| {
            s.set_silent(ip(ROOT), false);
            s.set_delegation(
                ".",
                "test",
                &[("a.nic.test", Some(ip("192.0.2.53")))],
                172_800,
            )
        })
        .expect("off-loopback glue");
    let report = check_delegation(&cfg, "example.test", &new_ns()).await;
    assert_loopback_only(&report.contacted);
    match &report.verdict {
        Verdict::Unreachable { problems } => assert!(
            problems.iter().any(|p| p.contains("stays on loopback")),
            "{problems:?}"
        ),
        other => panic!("expected unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn txt_records_come_from_the_names_own_servers() {
    let mut s = FakeDnsState::root_and_tld(ip(ROOT), "test", ip(TLD_A)).expect("tree");
    let child = "127.0.0.42";
    s.set_delegation(
        "test",
        "example.test",
        &[("ns1.example.test", Some(ip(child)))],
        3600,
    )
    .expect("delegation");
    s.add_zone(
        "example.test",
        vec![ip(child)],
        &[("ns1.example.test", Some(ip(child)))],
    )
    .expect("zone");
    let long = format!(
        "v=DMARC1; p=none; rua=mailto:{}@example.test",
        "r".repeat(300)
    );
    s.add_record(
        "example.test",
        FakeRecord::new("_dmarc.example.test", None, FakeData::TXT(long.clone())),
    )
    .expect("record");
    let server = FakeDnsServer::start(s).await.expect("fake dns");
    let cfg = config(&server);

    // Strings longer than 255 bytes come back joined.
    assert_eq!(
        lookup_txt(&cfg, "_dmarc.example.test").await,
        TxtAnswer::Records(vec![long])
    );
    assert_eq!(lookup_txt(&cfg, "mail.example.test").await, TxtAnswer::None);

    // A record added later is seen by the next lookup (no cache in between).
    server
        .update(|s| {
            s.add_record(
                "example.test",
                FakeRecord::new(
                    "other.example.test._report._dmarc.example.test",
                    None,
                    FakeData::TXT("v=DMARC1".into()),
                ),
            )
        })
        .expect("record");
    assert_eq!(
        lookup_txt(&cfg, "other.example.test._report._dmarc.example.test").await,
        TxtAnswer::Records(vec!["v=DMARC1".into()])
    );

    server.update(|s| s.set_silent(ip(child), true));
    assert!(matches!(
        lookup_txt(&cfg, "_dmarc.example.test").await,
        TxtAnswer::Unchecked(_)
    ));
}
