//! `siteup email` and the readiness gate of `siteup ses-request --submit`, the real binary
//! against the AWS emulator (SES) and the fake DNS server on loopback (the domain's SPF and
//! DMARC records, and the report authorization of an outside `rua` inbox).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod cli_support;
#[path = "support/emulator.rs"]
mod emulator;

use std::net::IpAddr;
use std::path::Path;
use std::process::Output;

use siteup::aws::{Target, connect};
use siteup::dns::fake_server::{FakeData, FakeDnsServer, FakeDnsState, FakeRecord};
use siteup::sandbox::emulator::Emulator;

const ROOT: &str = "127.0.0.70";
const COM: &str = "127.0.0.71";
const SITE_NS: &str = "127.0.0.72";
const NET_NS: &str = "127.0.0.73";
const REGION: &str = "us-east-1";
const EXIT_FAILED: i32 = 1;
const EXIT_WAITING: i32 = 2;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

/// The root, `com.` (delegating example.com and example.net), example.com with the generated
/// SPF at mail.example.com and a DMARC record reporting to you@example.net, and example.net
/// without the report authorization.
fn dns_state() -> FakeDnsState {
    let mut s = FakeDnsState::root_and_tld(ip(ROOT), "com", ip(COM)).expect("tree");
    // `net.` on the same server as `com.`.
    s.add_zone("net", vec![ip(COM)], &[("a.nic.net", Some(ip(COM)))])
        .expect("net");
    s.set_delegation(".", "net", &[("a.nic.net", Some(ip(COM)))], 172_800)
        .expect("net delegation");
    for (tld, zone, ns, addr) in [
        ("com", "example.com", "ns1.example.com", SITE_NS),
        ("net", "example.net", "ns1.example.net", NET_NS),
    ] {
        s.set_delegation(tld, zone, &[(ns, Some(ip(addr)))], 3600)
            .expect("delegation");
        s.add_zone(zone, vec![ip(addr)], &[(ns, Some(ip(addr)))])
            .expect("zone");
    }
    s.add_record(
        "example.com",
        FakeRecord::new(
            "mail.example.com",
            None,
            FakeData::TXT("v=spf1 include:amazonses.com ~all".into()),
        ),
    )
    .expect("spf");
    s.add_record(
        "example.com",
        FakeRecord::new(
            "_dmarc.example.com",
            None,
            FakeData::TXT("v=DMARC1; p=none; rua=mailto:you@example.net;".into()),
        ),
    )
    .expect("dmarc");
    s
}

struct World {
    _parent: tempfile::TempDir,
    dir: std::path::PathBuf,
    emulator: Emulator,
    dns: FakeDnsServer,
    rt: tokio::runtime::Runtime,
}

impl World {
    /// A generated project for example.com with an inbox at example.net, the emulator with the
    /// domain's SES identity (DKIM pending, no MAIL FROM, no configuration set), and the DNS.
    fn new() -> Self {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("project");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dns = rt
            .block_on(FakeDnsServer::start(dns_state()))
            .expect("fake dns");
        let emulator = emulator::start_emulator();
        let world = Self {
            _parent: parent,
            dir,
            emulator,
            dns,
            rt,
        };
        let out = world.run(&[
            "generate",
            "--domain",
            "example.com",
            "--region",
            REGION,
            "--inbox",
            "you@example.net",
        ]);
        assert!(out.status.success(), "generate failed: {out:?}");
        let session = world
            .rt
            .block_on(connect(&Target::Sandbox {
                url: world.emulator.url(),
                region: REGION.into(),
            }))
            .expect("sandbox session");
        let ses = aws_sdk_sesv2::Client::new(session.sdk_config());
        world
            .rt
            .block_on(
                ses.create_email_identity()
                    .email_identity("example.com")
                    .send(),
            )
            .expect("CreateEmailIdentity");
        world
    }

    fn dns_root(&self) -> String {
        self.dns.addr(ip(ROOT)).to_string()
    }

    fn run(&self, args: &[&str]) -> Output {
        let outside = self.dir.parent().expect("parent");
        let mut all: Vec<&str> = args.to_vec();
        let url = self.emulator.url();
        let root = self.dns_root();
        if args.first() != Some(&"generate") {
            all.extend(["--sandbox", url.as_str(), "--dns-root", root.as_str()]);
        }
        cli_support::siteup_command(&self.dir, &all, outside)
            .output()
            .expect("run siteup")
    }

    /// The production-access review the emulator has for the region (null: none).
    fn review(&self) -> serde_json::Value {
        let state = self.emulator.control_state().expect("emulator state");
        state["accounts"][REGION]["review"].clone()
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn line_with<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no line starting with {start:?} in:\n{text}"))
}

#[test]
fn email_shows_alignment_and_the_report_authorization() {
    let w = World::new();
    let out = w.run(&["email"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(EXIT_WAITING), "{stdout}{stderr}");
    assert!(stdout.starts_with("Mail for example.com"), "{stdout}");
    assert!(line_with(&stdout, "SPF").contains(" ok "), "{stdout}");
    assert!(
        line_with(&stdout, "SPF").contains("v=spf1 include:amazonses.com ~all"),
        "{stdout}"
    );
    assert!(
        line_with(&stdout, "DMARC").contains("p=none, reports to you@example.net"),
        "{stdout}"
    );
    assert!(line_with(&stdout, "DKIM").contains("missing"), "{stdout}");
    assert!(
        stdout.contains("DKIM for example.com is pending in SES"),
        "{stdout}"
    );
    assert!(
        line_with(&stdout, "MAIL FROM").contains("missing"),
        "{stdout}"
    );
    assert!(
        stdout.contains("example.com sends through no configuration set"),
        "{stdout}"
    );
    assert!(stdout.contains("DMARC policy: none"), "{stdout}");
    // The inbox's domain does not publish the authorization: said plainly.
    assert!(
        stdout.contains("Receivers send no reports to example.net"),
        "{stdout}"
    );
    assert!(
        stdout.contains("example.com._report._dmarc.example.net"),
        "{stdout}"
    );

    // Once example.net authorizes the reports, the same command says so.
    w.dns.update(|s| {
        s.add_record(
            "example.net",
            FakeRecord::new(
                "example.com._report._dmarc.example.net",
                None,
                FakeData::TXT("v=DMARC1".into()),
            ),
        )
        .expect("authorization");
    });
    let (stdout, _) = text(&w.run(&["email"]));
    assert!(
        stdout.contains("example.net accepts the reports"),
        "{stdout}"
    );

    let out = w.run(&["email", "--json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(EXIT_WAITING), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["domain"], "example.com");
    assert_eq!(json["dmarc"]["policy"], "none");
    assert_eq!(json["report_authorizations"][0]["published"], true);
    let state_of = |item: &str| {
        json["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|entry| entry["item"] == item)
            .map_or_else(|| panic!("no {item} in {json}"), |e| e["state"].clone())
    };
    assert_eq!(state_of("spf"), "ok");
    assert_eq!(state_of("dmarc"), "ok");
    assert_eq!(state_of("dkim"), "missing");
    assert_eq!(state_of("configuration_set"), "missing");
    let dkim = json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|entry| entry["item"] == "dkim")
        .expect("dkim");
    assert_eq!(dkim["gap"]["kind"], "dkim_not_verified");
    assert!(
        dkim["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("DKIM for example.com is pending")),
        "{dkim}"
    );
}

#[test]
fn ses_request_submit_is_refused_with_the_missing_items_then_forced() {
    let w = World::new();
    assert_eq!(w.review(), serde_json::Value::Null);
    let out = w.run(&["ses-request", "--submit", "--yes"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(EXIT_FAILED), "{stdout}{stderr}");
    assert!(stderr.contains("Nothing was submitted"), "{stderr}");
    for missing in [
        "DKIM for example.com is pending in SES",
        "example.com has no custom MAIL FROM domain in SES",
        "example.com sends through no configuration set",
        "Alerts subscription could not be checked",
    ] {
        assert!(stderr.contains(missing), "{missing}: {stderr}");
    }
    // SPF and DMARC are in place: not listed.
    assert!(!stderr.contains("SPF record"), "{stderr}");
    assert!(!stderr.contains("DMARC record"), "{stderr}");
    assert_eq!(
        w.review(),
        serde_json::Value::Null,
        "a refused request reached SES"
    );

    let out = w.run(&["ses-request", "--submit", "--yes", "--force"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(EXIT_WAITING), "{stdout}{stderr}");
    assert!(stdout.contains("Submitting anyway (--force)"), "{stdout}");
    assert!(
        stdout.contains("DKIM for example.com is pending"),
        "{stdout}"
    );
    assert!(stdout.contains("Submitted"), "{stdout}");
    assert_eq!(w.review()["status"], "PENDING", "{}", w.review());
    // No configuration set was found: the request does not claim one.
    assert!(
        !stdout.contains("configuration set example-com"),
        "{stdout}"
    );
}

fn dmarc_of(dir: &Path) -> String {
    let tf = std::fs::read_to_string(dir.join("terraform/email.tf")).expect("email.tf");
    tf.lines()
        .filter(|l| l.contains("v=DMARC1"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn email_dmarc_steps_up_only_once_dkim_and_spf_align_unless_forced() {
    let w = World::new();
    let toml_before = std::fs::read_to_string(w.dir.join("siteup.toml")).expect("toml");
    assert!(dmarc_of(&w.dir).contains("p=none"), "{}", dmarc_of(&w.dir));

    let out = w.run(&["email", "--dmarc", "quarantine"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(EXIT_FAILED), "{stdout}{stderr}");
    assert!(
        stderr.contains("The DMARC policy stays as it is"),
        "{stderr}"
    );
    assert!(
        stderr.contains("DKIM for example.com is pending"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(w.dir.join("siteup.toml")).expect("toml"),
        toml_before
    );
    assert!(dmarc_of(&w.dir).contains("p=none"));

    let out = w.run(&["email", "--dmarc", "quarantine", "--force"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("run `siteup up` to publish it"), "{stdout}");
    let toml = std::fs::read_to_string(w.dir.join("siteup.toml")).expect("toml");
    assert!(toml.contains("dmarc_policy = \"quarantine\""), "{toml}");
    assert!(
        dmarc_of(&w.dir).contains("p=quarantine"),
        "{}",
        dmarc_of(&w.dir)
    );

    // Stepping down needs no alignment.
    let out = w.run(&["email", "--dmarc", "none"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(dmarc_of(&w.dir).contains("p=none"));
}
