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
use siteup::sandbox::emulator::{Emulator, SnsMailKind};

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
        let ses = aws_sdk_sesv2::Client::new(&world.sdk_config());
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

    /// What the generated stack creates for the mail, made through the SDK: the MAIL FROM
    /// domain, the configuration set publishing bounces and complaints to the alerts topic
    /// (used by the identity), the account's suppression list, the reputation alarms, and the
    /// owner's confirmed subscription; then the identity verified (DKIM and MAIL FROM).
    fn put_the_guardrails_in_place(&self) {
        use aws_sdk_route53::types::{
            Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
        };
        use aws_sdk_sesv2::types::{
            EventDestinationDefinition, EventType, SnsDestination, SuppressionListReason,
        };
        let config = self.sdk_config();
        let ses = aws_sdk_sesv2::Client::new(&config);
        let sns = aws_sdk_sns::Client::new(&config);
        let cw = aws_sdk_cloudwatch::Client::new(&config);
        let route53 = aws_sdk_route53::Client::new(&config);
        self.rt.block_on(async {
            let topic = subscribe_the_owner(&sns).await;
            ses.put_email_identity_mail_from_attributes()
                .email_identity("example.com")
                .mail_from_domain("mail.example.com")
                .send()
                .await
                .expect("PutEmailIdentityMailFromAttributes");
            // The zone holds what SES looks for before it verifies: the DKIM CNAMEs and the
            // MAIL FROM domain's MX and SPF.
            let tokens = ses
                .get_email_identity()
                .email_identity("example.com")
                .send()
                .await
                .expect("GetEmailIdentity")
                .dkim_attributes
                .and_then(|d| d.tokens)
                .expect("DKIM tokens");
            let zone = route53
                .create_hosted_zone()
                .name("example.com")
                .caller_reference("cli-email")
                .send()
                .await
                .expect("CreateHostedZone")
                .hosted_zone
                .expect("zone")
                .id;
            let mut records: Vec<(String, RrType, String)> = tokens
                .iter()
                .map(|t| {
                    (
                        format!("{t}._domainkey.example.com"),
                        RrType::Cname,
                        format!("{t}.dkim.amazonses.com"),
                    )
                })
                .collect();
            records.push((
                "mail.example.com".into(),
                RrType::Mx,
                "10 feedback-smtp.us-east-1.amazonses.com".into(),
            ));
            records.push((
                "mail.example.com".into(),
                RrType::Txt,
                "\"v=spf1 include:amazonses.com ~all\"".into(),
            ));
            let mut batch = ChangeBatch::builder();
            for (name, kind, value) in records {
                batch = batch.changes(
                    Change::builder()
                        .action(ChangeAction::Upsert)
                        .resource_record_set(
                            ResourceRecordSet::builder()
                                .name(name)
                                .r#type(kind)
                                .ttl(300)
                                .resource_records(
                                    ResourceRecord::builder()
                                        .value(value)
                                        .build()
                                        .expect("record"),
                                )
                                .build()
                                .expect("record set"),
                        )
                        .build()
                        .expect("change"),
                );
            }
            route53
                .change_resource_record_sets()
                .hosted_zone_id(zone)
                .change_batch(batch.build().expect("batch"))
                .send()
                .await
                .expect("ChangeResourceRecordSets");
            ses.create_configuration_set()
                .configuration_set_name("example-com")
                .send()
                .await
                .expect("CreateConfigurationSet");
            ses.create_configuration_set_event_destination()
                .configuration_set_name("example-com")
                .event_destination_name("alerts")
                .event_destination(
                    EventDestinationDefinition::builder()
                        .enabled(true)
                        .matching_event_types(EventType::Bounce)
                        .matching_event_types(EventType::Complaint)
                        .sns_destination(
                            SnsDestination::builder()
                                .topic_arn(&topic)
                                .build()
                                .expect("sns destination"),
                        )
                        .build(),
                )
                .send()
                .await
                .expect("CreateConfigurationSetEventDestination");
            ses.put_email_identity_configuration_set_attributes()
                .email_identity("example.com")
                .configuration_set_name("example-com")
                .send()
                .await
                .expect("PutEmailIdentityConfigurationSetAttributes");
            ses.put_account_suppression_attributes()
                .suppressed_reasons(SuppressionListReason::Bounce)
                .suppressed_reasons(SuppressionListReason::Complaint)
                .send()
                .await
                .expect("PutAccountSuppressionAttributes");
            for (name, metric) in [
                ("example-com-ses-bounce-rate", "Reputation.BounceRate"),
                ("example-com-ses-complaint-rate", "Reputation.ComplaintRate"),
            ] {
                cw.put_metric_alarm()
                    .alarm_name(name)
                    .namespace("AWS/SES")
                    .metric_name(metric)
                    .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
                    .period(3600)
                    .evaluation_periods(1)
                    .threshold(0.025)
                    .comparison_operator(
                        aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
                    )
                    .alarm_actions(&topic)
                    .send()
                    .await
                    .expect("PutMetricAlarm");
            }
        });
        self.emulator
            .confirm_subscriptions("you@example.net")
            .expect("the owner clicks the link");
        self.emulator
            .verify_identity("example.com")
            .expect("DKIM and MAIL FROM verified");
    }

    /// The SNS client of the emulator's region.
    fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk_config())
    }

    /// The SDK configuration of a sandbox session on the emulator, in the project's region.
    fn sdk_config(&self) -> aws_config::SdkConfig {
        self.rt
            .block_on(connect(&Target::Sandbox {
                url: self.emulator.url(),
                region: REGION.into(),
            }))
            .expect("sandbox session")
            .sdk_config()
            .clone()
    }

    /// The production-access review the emulator has for the region (null: none).
    fn review(&self) -> serde_json::Value {
        let state = self.emulator.control_state().expect("emulator state");
        state["accounts"][REGION]["review"].clone()
    }
}

/// The alerts topic the guardrails create, and the owner's email subscription to it (pending
/// until the link is clicked), as the foundation apply makes them.
async fn subscribe_the_owner(sns: &aws_sdk_sns::Client) -> String {
    let topic = sns
        .create_topic()
        .name("example-com-alerts")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn
        .expect("topic arn");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("email")
        .endpoint("you@example.net")
        .send()
        .await
        .expect("Subscribe");
    topic
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
fn ses_request_submit_is_refused_with_the_missing_items_then_accepted_once_they_hold() {
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

    // What the stack puts in place, made in the emulator as the applies would.
    w.put_the_guardrails_in_place();
    let out = w.run(&["email"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "ready now: {stdout}{stderr}");

    let out = w.run(&["ses-request", "--submit", "--yes"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(EXIT_WAITING), "{stdout}{stderr}");
    assert!(!stdout.contains("Submitting anyway"), "{stdout}");
    assert!(stdout.contains("Submitted"), "{stdout}");
    let review = w.review();
    assert_eq!(review["status"], "PENDING", "{review}");
    // The request states the handling that is really in place, read from AWS.
    let details =
        w.emulator.control_state().expect("emulator state")["accounts"][REGION]["details"]
            .to_string();
    for handling in [
        "goes through the SES configuration set example-com",
        "which mails them to the site owner at once",
        "account-level suppression list is on for bounces and complaints",
        "bounce rate reaches 2.5 %",
    ] {
        assert!(details.contains(handling), "{handling}: {details}");
    }
}

#[test]
fn ses_request_submit_with_force_submits_and_says_what_is_missing() {
    let w = World::new();
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

/// `siteup alerts test` sends nothing while there is no topic or the owner has not clicked the
/// link (exit 2, saying what to do), sends through the topic once confirmed (the emulator's
/// inbox holds it), and refuses with the guardrails off.
#[test]
fn alerts_test_waits_for_the_confirmation_then_reaches_the_inbox() {
    let w = World::new();
    let out = w.run(&["alerts", "test"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(EXIT_WAITING), "{stdout}{stderr}");
    assert!(
        stdout.contains("The alerts topic does not exist yet"),
        "{stdout}"
    );
    assert!(stdout.contains("Nothing was sent"), "{stdout}");

    let sns = w.sns();
    w.rt.block_on(subscribe_the_owner(&sns));
    let out = w.run(&["alerts", "test"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(EXIT_WAITING), "{stdout}{stderr}");
    assert!(
        stdout.contains("AWS sent a mail from no-reply@sns.amazonaws.com to you@example.net"),
        "{stdout}"
    );
    let notifications = |w: &World| {
        w.emulator
            .sns_messages()
            .expect("messages")
            .into_iter()
            .filter(|m| m.kind == SnsMailKind::Notification)
            .count()
    };
    assert_eq!(notifications(&w), 0, "nothing was published");

    w.emulator
        .confirm_subscriptions("you@example.net")
        .expect("the owner clicks the link");
    let out = w.run(&["alerts", "test"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("Sent a test alert through example-com-alerts (us-east-1)"),
        "{stdout}"
    );
    let mails = w.emulator.sns_messages().expect("messages");
    let test = mails
        .iter()
        .find(|m| m.kind == SnsMailKind::Notification)
        .unwrap_or_else(|| panic!("no notification: {mails:#?}"));
    assert_eq!(test.endpoint, "you@example.net");
    assert!(
        test.subject
            .as_deref()
            .is_some_and(|s| s.starts_with("siteup test alert")),
        "{test:?}"
    );

    let out = w.run(&["generate", "--guardrails", "off"]);
    assert!(out.status.success(), "{out:?}");
    let out = w.run(&["alerts", "test"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(EXIT_FAILED), "{stdout}{stderr}");
    assert!(
        stderr.contains("The guardrails are off, so there is no alerts topic"),
        "{stderr}"
    );
    assert_eq!(notifications(&w), 1, "nothing more was published");
}
