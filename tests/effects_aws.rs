//! The AWS handler and the checkpoint routing over `FakeAws` (`aws_common/fake.rs`), a scripted
//! AWS that the handler opens through its connector, where production opens the SDK's: what each
//! checkpoint's check reports as AWS's answers change, what a failed call becomes, and what a
//! submitted production-access request carries.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "aws_common/fake.rs"]
mod fake;

use std::sync::Arc;

use fake::{FakeAws, FakeConnector, FakeState};
use siteup::aws::SubscriptionState;
use siteup::aws::mail_readiness::{ConfigurationSetStatus, EventDestination};
use siteup::aws::ses::{
    CheckState, DomainIdentityStatus, MailFromStatus, Review, ReviewState, SenderStatus,
};
use siteup::aws::{AwsEnv, AwsError, HostedZone};
use siteup::dns::DnsConfig;
use siteup::dns::fake_server::{FakeData, FakeDnsServer, FakeDnsState, FakeRecord};
use siteup::effects::checkpoints::LiveCheckpoints;
use siteup::effects::{
    AwsChecks, AwsHandler, BoxFuture, Checkpoints, Connect, DelegationCheck, Project,
};
use siteup::failure::Failure;
use siteup::project::ProjectPaths;
use siteup::project::settings::SiteupToml;
use siteup::site::{Domain, Inbox, Region, SiteConfig};
use siteup::wizard::state::CheckReport;
use siteup::wizard::{StepId, StepKind};

const NS: [&str; 2] = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"];

/// A delegation check that says "delegated" exactly when the expected nameservers are the
/// zone's, and names them in its headline.
struct Registry;

impl DelegationCheck for Registry {
    fn check<'a>(&'a self, domain: &'a str, expected: &'a [String]) -> BoxFuture<'a, CheckReport> {
        let ready = expected == NS;
        Box::pin(async move {
            CheckReport {
                satisfied: ready,
                unchecked: false,
                waiting_on: StepKind::Human,
                headline: format!("{domain} -> {}", expected.join(" ")),
                lines: vec![],
                reopen: None,
            }
        })
    }
    fn registry_nameservers<'a>(&'a self, _domain: &'a str) -> BoxFuture<'a, Vec<String>> {
        Box::pin(async { Vec::new() })
    }
}

struct World {
    fake: Arc<FakeAws>,
    connector: Arc<FakeConnector>,
    aws: Arc<AwsHandler>,
    checks: LiveCheckpoints,
    /// The domain's DNS, when the test serves it (the mail's SPF and DMARC records).
    dns: Option<FakeDnsServer>,
}

fn world() -> World {
    let mut config = SiteConfig::with_defaults(
        Domain::parse("example.com").expect("domain"),
        Region::parse("us-east-1").expect("region"),
    );
    config.inbox = Some(Inbox::parse("owner@example.net").expect("inbox"));
    world_with(config)
}

fn world_with(config: SiteConfig) -> World {
    // No DNS answers: port 9 of loopback (discard) refuses at once.
    let nowhere = DnsConfig::with_roots(vec!["127.0.0.1:9".parse().expect("addr")], None);
    world_on(config, nowhere)
}

const ROOT: &str = "127.0.0.80";
const COM: &str = "127.0.0.81";
const SITE_NS: &str = "127.0.0.82";

/// The owner's world once every apply and click is done: the domain verified with its MAIL
/// FROM, the configuration set publishing bounces and complaints to the alerts topic, the
/// subscription confirmed, and SPF and DMARC served by the domain's DNS on loopback.
async fn ready_world() -> World {
    let ip = |s: &str| -> std::net::IpAddr { s.parse().expect("ip") };
    let mut tree = FakeDnsState::root_and_tld(ip(ROOT), "com", ip(COM)).expect("tree");
    tree.set_delegation(
        "com",
        "example.com",
        &[("ns1.example.com", Some(ip(SITE_NS)))],
        3600,
    )
    .expect("delegation");
    tree.add_zone(
        "example.com",
        vec![ip(SITE_NS)],
        &[("ns1.example.com", Some(ip(SITE_NS)))],
    )
    .expect("zone");
    for (name, text) in [
        ("mail.example.com", "v=spf1 include:amazonses.com ~all"),
        (
            "_dmarc.example.com",
            "v=DMARC1; p=none; rua=mailto:owner@example.com;",
        ),
    ] {
        tree.add_record(
            "example.com",
            FakeRecord::new(name, None, FakeData::TXT(text.into())),
        )
        .expect("record");
    }
    let server = FakeDnsServer::start(tree).await.expect("fake dns");
    let mut config = SiteConfig::with_defaults(
        Domain::parse("example.com").expect("domain"),
        Region::parse("us-east-1").expect("region"),
    );
    config.inbox = Some(Inbox::parse("owner@example.net").expect("inbox"));
    let dns = DnsConfig::with_roots(vec![server.addr(ip(ROOT))], None);
    let mut world = world_on(config, dns);
    world.dns = Some(server);
    {
        let mut state = world.fake.state();
        state.domains.insert(
            "example.com".into(),
            DomainIdentityStatus {
                mail_from: Some(MailFromStatus {
                    domain: "mail.example.com".into(),
                    state: CheckState::Success,
                }),
                configuration_set: Some("example-com".into()),
                ..domain(CheckState::Success)
            },
        );
        state.configuration_sets.insert(
            "example-com".into(),
            ConfigurationSetStatus {
                name: "example-com".into(),
                exists: true,
                suppressed_reasons: Vec::new(),
                reputation_metrics: true,
                destinations: vec![EventDestination {
                    name: "alerts".into(),
                    enabled: true,
                    events: vec!["BOUNCE".into(), "COMPLAINT".into()],
                    sns_topic: Some("arn:aws:sns:us-east-1:123456789012:example-com-alerts".into()),
                }],
            },
        );
        state.alerts = SubscriptionState::Confirmed;
    }
    world
}

fn world_on(config: SiteConfig, dns: DnsConfig) -> World {
    // The answers as a read-only command holds them: no file is read or written.
    let project = Arc::new(Project::new(
        ProjectPaths::new(std::path::Path::new("/nonexistent/siteup-test")),
        Some(Some(SiteupToml::from_config(&config, None))),
    ));
    let fake = Arc::new(FakeAws::new(FakeState::default()));
    let connector = Arc::new(FakeConnector::new(fake.clone()));
    // As production wires it for a real account, with no profile named and no AWS files.
    let connect = Connect::Profile {
        env: AwsEnv::from_vars(&[]),
        profile: None,
    };
    let aws = Arc::new(AwsHandler::new(
        project.clone(),
        dns,
        connect,
        connector.clone(),
    ));
    let checks = LiveCheckpoints::new(project, aws.clone(), Arc::new(Registry));
    World {
        fake,
        connector,
        aws,
        checks,
        dns: None,
    }
}

fn domain(state: CheckState) -> DomainIdentityStatus {
    DomainIdentityStatus {
        exists: true,
        verified_for_sending: state == CheckState::Success,
        verification: state,
        dkim: state,
        ..DomainIdentityStatus::missing("example.com")
    }
}

#[tokio::test]
async fn the_email_domain_waits_on_aws_until_ses_verifies_it() {
    let World { fake, checks, .. } = world();
    fake.state()
        .domains
        .insert("example.com".into(), domain(CheckState::Pending));
    let r = checks.check(StepId::EmailDomain).await;
    assert!(!r.satisfied && !r.unchecked, "{r:?}");
    assert_eq!(r.waiting_on, StepKind::Aws);
    assert!(
        r.headline.starts_with("SES is verifying example.com"),
        "{r:?}"
    );

    fake.state()
        .domains
        .insert("example.com".into(), domain(CheckState::Success));
    let r = checks.check(StepId::EmailDomain).await;
    assert!(r.satisfied, "{r:?}");
}

#[tokio::test]
async fn the_inbox_waits_on_the_user_until_the_link_is_clicked() {
    let World { fake, checks, .. } = world();
    let address = "owner@example.net";
    let mut sender = SenderStatus::missing(address);
    sender.exists = true;
    sender.verification = CheckState::Pending;
    fake.state().senders.insert(address.into(), sender.clone());
    let r = checks.check(StepId::Inbox).await;
    assert!(!r.satisfied, "{r:?}");
    assert_eq!(r.waiting_on, StepKind::Human);

    sender.verified = true;
    sender.verification = CheckState::Success;
    fake.state().senders.insert(address.into(), sender);
    assert!(checks.check(StepId::Inbox).await.satisfied);
}

#[tokio::test]
async fn a_failed_aws_call_leaves_the_step_unchecked_with_aws_s_sentence() {
    let World { fake, checks, .. } = world();
    let error = AwsError::Throttled {
        service: "SES".into(),
    };
    fake.state().fail_next = Some(error.clone());
    let r = checks.check(StepId::SesProduction).await;
    assert!(r.unchecked && !r.satisfied, "{r:?}");
    // Production access is the user's to ask for: a check that could not be made waits on them.
    assert_eq!(r.waiting_on, StepKind::Human);
    assert_eq!(r.headline, Failure::Aws(error).to_string());
}

#[tokio::test]
async fn the_nameserver_check_expects_the_zone_s_nameservers_from_route53() {
    let World { fake, checks, .. } = world();
    let r = checks.check(StepId::Nameservers).await;
    assert!(r.unchecked, "no zone yet: {r:?}");
    assert_eq!(
        r.headline,
        Failure::NoZoneYet {
            domain: "example.com".into()
        }
        .to_string()
    );

    fake.state().zones.push(HostedZone {
        id: "Z123".into(),
        name: "example.com".into(),
        nameservers: NS.iter().map(std::string::ToString::to_string).collect(),
        record_count: Some(2),
        comment: None,
    });
    let r = checks.check(StepId::Nameservers).await;
    assert!(r.satisfied, "{r:?}");
    assert_eq!(r.headline, format!("example.com -> {}", NS.join(" ")));
}

#[tokio::test]
async fn a_submitted_request_carries_the_user_s_text_and_says_what_happens_next() {
    // `_dns` keeps the domain's DNS serving until the test ends.
    let World {
        fake,
        aws,
        dns: _dns,
        ..
    } = ready_world().await;
    let composed = aws.compose_ses_request().await.expect("composed");
    assert!(composed.contains("example.com"), "{composed}");
    // The handling in place, read from AWS, is in the text the user edits.
    assert!(
        composed.contains("goes through the SES configuration set example-com"),
        "{composed}"
    );
    let said = aws
        .submit_ses_request("We send sign-up mail only.".into())
        .await
        .expect("submitted");
    assert!(!said.is_empty());
    let state = fake.state();
    assert_eq!(state.submissions.len(), 1);
    assert_eq!(
        state.submissions[0].use_case_description,
        "We send sign-up mail only."
    );
}

/// The wizard has no --force: a request SES reviewers would deny for a reason siteup can name
/// is not sent, and the failure names each missing item and the way out.
#[tokio::test]
async fn a_request_is_not_submitted_while_the_mail_is_not_ready() {
    let World { fake, aws, .. } = world();
    fake.state().alerts = SubscriptionState::Pending;
    let err = aws
        .submit_ses_request("We send sign-up mail only.".into())
        .await
        .expect_err("refused");
    assert!(matches!(err, Failure::MailNotReady { .. }), "{err:?}");
    let text = err.to_string();
    for part in [
        "Nothing was submitted",
        "SPF, DKIM signing, DMARC, a verified MAIL FROM domain, bounce and complaint handling and a confirmed alerts subscription, which are not in place yet",
        "`siteup email`",
        "`siteup ses-request --submit --force`",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    assert!(fake.state().submissions.is_empty());
}

#[tokio::test]
async fn a_check_of_a_step_that_is_no_checkpoint_says_so() {
    let World { checks, .. } = world();
    let r = checks.check(StepId::Generate).await;
    assert!(r.unchecked, "{r:?}");
    assert!(r.headline.ends_with("is not a checkpoint."), "{r:?}");
}

/// The default answers name no inbox: nothing waits on a verification mail, the domain identity
/// covers the sender, and there is no mail to resend.
#[tokio::test]
async fn without_an_inbox_the_inbox_step_is_satisfied_and_nothing_is_resent() {
    let World {
        fake, aws, checks, ..
    } = world_with(SiteConfig::with_defaults(
        Domain::parse("example.com").expect("domain"),
        Region::parse("us-east-1").expect("region"),
    ));
    let r = checks.check(StepId::Inbox).await;
    assert!(r.satisfied, "{r:?}");
    assert!(r.headline.contains("No inbox"), "{r:?}");
    let resent = aws.resend_verification().await;
    assert!(matches!(resent, Err(Failure::NoInbox)), "{resent:?}");
    assert!(
        fake.state().calls.is_empty(),
        "nothing was asked of SES: {:?}",
        fake.state().calls
    );
}

/// SES gave up on the domain after 72 hours: the check says so in one sentence and asks for
/// the foundation to run again (its plan replaces the identity); a pending one asks nothing.
#[tokio::test]
async fn a_domain_ses_gave_up_on_asks_for_the_foundation_again() {
    let World { fake, checks, .. } = world();
    fake.state()
        .domains
        .insert("example.com".into(), domain(CheckState::Pending));
    let r = checks.check(StepId::EmailDomain).await;
    assert_eq!(r.reopen, None, "{r:?}");
    fake.state()
        .domains
        .insert("example.com".into(), domain(CheckState::Failed));
    let r = checks.check(StepId::EmailDomain).await;
    assert!(!r.satisfied, "{r:?}");
    assert_eq!(r.reopen, Some(StepId::Foundation), "{r:?}");
    assert!(
        r.headline
            .starts_with("SES stopped looking for the DKIM records of example.com after 72 hours"),
        "{r:?}"
    );
}

/// The handler opens AWS once, through its connector, as production does: with no profile named
/// it connects as `default`, with SES in the site's region; later checks reuse the session.
#[tokio::test]
async fn the_handler_connects_once_as_the_default_profile_in_the_site_s_region() {
    let World {
        connector, checks, ..
    } = world_with(SiteConfig::with_defaults(
        Domain::parse("example.com").expect("domain"),
        Region::parse("eu-west-1").expect("region"),
    ));
    checks.check(StepId::EmailDomain).await;
    checks.check(StepId::SesProduction).await;
    assert_eq!(
        *connector.opened.lock().expect("opened"),
        vec![("default".to_string(), "eu-west-1".to_string())]
    );
}

/// A second request is not sent while the first is in review; the handler says where it stands.
#[tokio::test]
async fn a_request_in_review_is_not_submitted_again() {
    // `_dns` keeps the domain's DNS serving until the test ends.
    let World {
        fake,
        aws,
        dns: _dns,
        ..
    } = ready_world().await;
    aws.submit_ses_request("We send sign-up mail only.".into())
        .await
        .expect("submitted");
    let again = aws
        .submit_ses_request("We send sign-up mail only.".into())
        .await
        .expect("no error");
    assert_eq!(fake.state().submissions.len(), 1);
    assert_eq!(
        fake.state().account.review.as_ref().map(|r| &r.status),
        Some(&ReviewState::Pending)
    );
    assert_eq!(again, fake.state().account.headline());
}

/// After a denial SES refuses a new request: the failure names the case to reopen.
#[tokio::test]
async fn a_conflict_after_denial_carries_the_case() {
    // `_dns` keeps the domain's DNS serving until the test ends.
    let World {
        fake,
        aws,
        dns: _dns,
        ..
    } = ready_world().await;
    fake.state().account.review = Some(Review {
        status: ReviewState::Denied,
        case_id: Some("C-9".into()),
    });
    let err = aws
        .submit_ses_request("We send sign-up mail only.".into())
        .await
        .expect_err("conflict");
    assert_eq!(
        err,
        Failure::Aws(AwsError::ProductionAccessConflict {
            case_id: Some("C-9".into())
        })
    );
    assert!(err.to_string().contains("displayId=C-9"), "{err}");
}

/// The applied stack's outputs, as terraform would give them: only what the edge reads.
struct Outputs {
    reads: std::sync::Mutex<u32>,
}

impl siteup::effects::TerraformJobs for Outputs {
    fn plan(
        &self,
        _phase: siteup::wizard::Phase,
    ) -> BoxFuture<'_, Result<siteup::wizard::state::PlanFacts, Failure>> {
        Box::pin(async { Err(Failure::NoReviewedPlan) })
    }
    fn apply(
        &self,
        _phase: siteup::wizard::Phase,
        _progress: siteup::effects::ProgressSink,
    ) -> BoxFuture<'_, siteup::wizard::state::ApplyResult> {
        Box::pin(async { siteup::wizard::state::ApplyResult::Failed(Failure::NoReviewedPlan) })
    }
    fn migrate_state(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async { Ok(()) })
    }
    fn read_outputs(&self) -> BoxFuture<'_, Result<siteup::wizard::update::OutputFacts, Failure>> {
        *self.reads.lock().unwrap() += 1;
        Box::pin(async {
            let mut o = siteup::wizard::update::OutputFacts::default();
            o.outputs
                .insert("cloudfront_distribution_id".into(), "E2QWRUHEXAMPLE".into());
            Ok(o)
        })
    }
    fn interrupt(&self) {}
    fn kill(&self) {}
}

/// A site that answers as it is told to, counting the probes.
struct Site {
    answer: std::sync::Mutex<siteup::effects::edge::SiteAnswer>,
    probes: std::sync::Mutex<Vec<String>>,
}

impl siteup::effects::edge::SiteProbe for Site {
    fn get(&self, host: String) -> BoxFuture<'_, siteup::effects::edge::SiteAnswer> {
        self.probes.lock().unwrap().push(host);
        let answer = self.answer.lock().unwrap().clone();
        Box::pin(async move { answer })
    }
}

/// The edge's check: CloudFront's status first (the site is not asked while it deploys), then
/// who answers over HTTPS; the deployment's length is learned and shown as the next estimate.
#[tokio::test]
async fn the_edge_waits_for_cloudfront_then_for_the_site_to_answer_from_cloudfront() {
    use siteup::aws::EdgeDeployment;
    use siteup::effects::edge::{EdgeCheck, SiteAnswer};

    let World {
        fake, aws, checks, ..
    } = world();
    let project = Arc::new(Project::new(
        ProjectPaths::new(std::path::Path::new("/nonexistent/siteup-test")),
        Some(Some(SiteupToml::from_config(
            &SiteConfig::with_defaults(
                Domain::parse("example.com").expect("domain"),
                Region::parse("us-east-1").expect("region"),
            ),
            None,
        ))),
    ));
    let outputs = Arc::new(Outputs {
        reads: std::sync::Mutex::new(0),
    });
    let site = Arc::new(Site {
        answer: std::sync::Mutex::new(SiteAnswer::NoAnswer {
            problem: "Connection refused".into(),
        }),
        probes: std::sync::Mutex::new(vec![]),
    });
    let dir = tempfile::tempdir().unwrap();
    let durations = dir.path().join("durations.json");
    let edge = Arc::new(EdgeCheck::new(
        project,
        aws,
        outputs.clone(),
        site.clone(),
        Some(durations.clone()),
    ));
    let checks = checks.with_edge(edge);
    let set = |status: EdgeDeployment| {
        fake.state()
            .distributions
            .insert("E2QWRUHEXAMPLE".into(), status);
    };

    set(EdgeDeployment::InProgress);
    let r = checks.check(StepId::Edge).await;
    assert!(!r.satisfied && !r.unchecked, "{r:?}");
    assert_eq!(r.waiting_on, StepKind::Aws);
    assert_eq!(
        r.headline,
        "CloudFront is deploying the site to its edge locations (on AWS this takes a few minutes)."
    );
    assert!(
        site.probes.lock().unwrap().is_empty(),
        "not asked while deploying"
    );

    set(EdgeDeployment::Deployed);
    let r = checks.check(StepId::Edge).await;
    assert!(!r.satisfied, "{r:?}");
    assert!(
        r.headline.starts_with("CloudFront has deployed the site but https://example.com/ does not answer over HTTPS yet (Connection refused)"),
        "{r:?}"
    );
    assert_eq!(
        *site.probes.lock().unwrap(),
        vec!["example.com".to_string()]
    );
    // The deployment was seen from InProgress to Deployed: its length is learned.
    assert!(
        std::fs::read_to_string(&durations)
            .unwrap()
            .contains("edge deployment"),
        "the deployment's duration is recorded"
    );

    *site.answer.lock().unwrap() = SiteAnswer::Elsewhere {
        status: 200,
        server: Some("nginx".into()),
    };
    let r = checks.check(StepId::Edge).await;
    assert!(!r.satisfied, "{r:?}");
    assert!(
        r.headline
            .contains("answers (HTTP 200, server nginx) but not from CloudFront"),
        "{r:?}"
    );

    *site.answer.lock().unwrap() = SiteAnswer::CloudFront { status: 403 };
    let r = checks.check(StepId::Edge).await;
    assert!(
        r.satisfied,
        "an empty bucket behind CloudFront answers: {r:?}"
    );
    assert_eq!(
        r.headline,
        "https://example.com/ answers over HTTPS from CloudFront (HTTP 403)."
    );

    // An update deploys again: the estimate is what this machine learned.
    set(EdgeDeployment::InProgress);
    let r = checks.check(StepId::Edge).await;
    assert_eq!(
        r.headline,
        "CloudFront is deploying the site to its edge locations (usually under a minute here)."
    );
    assert_eq!(
        *outputs.reads.lock().unwrap(),
        1,
        "the outputs are read once"
    );

    // A distribution deleted outside siteup: the check says so, and reads the outputs again.
    fake.state().distributions.clear();
    let r = checks.check(StepId::Edge).await;
    assert!(r.unchecked, "{r:?}");
    assert!(
        r.headline
            .contains("CloudFront has no distribution E2QWRUHEXAMPLE"),
        "{r:?}"
    );
    let _ = checks.check(StepId::Edge).await;
    assert_eq!(*outputs.reads.lock().unwrap(), 2);
}
