//! The AWS layer against the emulator harness (moto plus siteup's SES additions): identity through
//! the strict loader, Route 53 zone lookup, SES identities and the production-access review.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod aws_common;
#[path = "support/emulator.rs"]
mod emulator;
#[path = "aws_common/offline.rs"]
mod offline;

use aws_common::runtime;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecord, ResourceRecordSet, RrType,
    Vpc, VpcRegion,
};
use emulator::start_emulator;
use offline::{Recorder, TestHome};
use siteup::aws::production::{SubmitOutcome, submit_request};
use siteup::aws::route53::existing_zones_message;
use siteup::aws::ses::{CheckState, review_guidance};
use siteup::aws::{
    AwsApi, AwsError, AwsSession, ConnectOptions, DomainIdentityStatus, ProductionAccessRequest,
    ProfileChoice, ReviewState, SdkAws, SenderStatus, Target, ZoneImport, connect, connect_with,
    render_ses_request,
};
use siteup::sandbox::emulator::{Emulator, ReviewStatus};
use siteup::site::{Domain, Region, SiteConfig};
use siteup::tfgen::names::ZONE_ADDRESS;

const REGION: &str = "us-east-1";

fn sandbox_session(emulator: &Emulator) -> AwsSession {
    runtime()
        .block_on(connect(&Target::Sandbox {
            url: emulator.url(),
            region: REGION.into(),
        }))
        .expect("sandbox session")
}

/// The SES domain and sender identities, as the email checkpoints read them.
fn ses_identities(
    rt: &tokio::runtime::Runtime,
    aws: &SdkAws,
    domain: &str,
    sender: &str,
) -> (DomainIdentityStatus, SenderStatus) {
    (
        rt.block_on(aws.domain_identity(domain))
            .expect("domain identity"),
        rt.block_on(aws.sender_identity(sender))
            .expect("sender identity"),
    )
}

fn site() -> SiteConfig {
    SiteConfig::with_defaults(
        Domain::parse("example.com").expect("domain"),
        Region::parse(REGION).expect("region"),
    )
}

#[test]
fn caller_identity_through_the_strict_loader() {
    let home = TestHome::new(
        "[profile keys]\nregion = us-east-1\n",
        "[keys]\naws_access_key_id = AKIAKEYSPROFILE00001\naws_secret_access_key = keys-secret\n",
    );
    aws_common::isolate_process_env(Some(home.path()));
    let emulator = start_emulator();
    let rt = runtime();

    // The sandbox target: the emulator's throwaway keys.
    let session = sandbox_session(&emulator);
    let who = rt
        .block_on(SdkAws::new(&session).verify_identity())
        .expect("GetCallerIdentity");
    assert_eq!(who.caller.account, "123456789012");
    assert!(who.caller.arn.starts_with("arn:aws:"), "{}", who.caller.arn);
    assert_eq!(who.warning, None);
    assert_eq!(who.expiry, None);

    // A real profile resolved by the strict loader, its calls sent to the emulator.
    let recorder = Recorder::new();
    let session = rt
        .block_on(connect_with(
            &Target::Profile {
                env: home.env(&[]),
                choice: ProfileChoice::Named("keys".into()),
                default_region: "eu-west-1".into(),
            },
            ConnectOptions {
                endpoint_url: Some(emulator.url()),
                ..recorder.options()
            },
        ))
        .expect("profile session");
    assert_eq!(session.region(), "us-east-1");
    let who = rt
        .block_on(SdkAws::new(&session).verify_identity())
        .expect("GetCallerIdentity with the profile's keys");
    assert_eq!(who.caller.account, "123456789012");
    let seen = recorder.seen();
    assert!(
        seen.iter().any(|u| u.starts_with(&emulator.url())),
        "the call went to the emulator: {seen:?}"
    );
    assert!(recorder.off_loopback().is_empty(), "{seen:?}");
}

#[test]
fn root_arn_gets_the_warning() {
    let w = siteup::aws::root_warning("arn:aws:iam::123456789012:root").expect("warning");
    assert!(w.contains("root user"), "{w}");
    assert!(w.contains("aws configure sso"), "{w}");
    assert_eq!(
        siteup::aws::root_warning("arn:aws:sts::123456789012:assumed-role/Admin/ada"),
        None
    );
}

#[test]
fn zone_lookup_finds_existing_zones_by_exact_name() {
    aws_common::isolate_process_env(None);
    let emulator = start_emulator();
    let session = sandbox_session(&emulator);
    let rt = runtime();
    let r53 = aws_sdk_route53::Client::new(session.sdk_config());
    let create = |name: &str, reference: &str| {
        rt.block_on(
            r53.create_hosted_zone()
                .name(name)
                .caller_reference(reference)
                .send(),
        )
        .unwrap_or_else(|e| panic!("create zone {name}: {e:?}"))
        .hosted_zone()
        .map(|z| siteup::aws::route53::bare_zone_id(z.id()))
        .expect("zone id")
    };
    let main = create("example.com", "siteup-test-1");
    let lookalike = create("myexample.com", "siteup-test-2");
    let sub = create("sub.example.com.", "siteup-test-3");
    // A private zone of the same name must not be adopted.
    rt.block_on(
        r53.create_hosted_zone()
            .name("example.com")
            .caller_reference("siteup-test-private")
            .hosted_zone_config(HostedZoneConfig::builder().private_zone(true).build())
            .vpc(
                Vpc::builder()
                    .vpc_id("vpc-12345678")
                    .vpc_region(VpcRegion::UsEast1)
                    .build(),
            )
            .send(),
    )
    .expect("create a private zone");

    let aws = SdkAws::new(&session);
    let found = rt.block_on(aws.find_zones("example.com")).expect("lookup");
    assert_eq!(found.len(), 1, "{found:?}");
    let zone = &found[0];
    assert_eq!(zone.id, main);
    assert_eq!(zone.name, "example.com");
    assert_eq!(zone.nameservers.len(), 4, "{zone:?}");
    assert!(zone.nameservers.iter().all(|n| !n.ends_with('.')));
    assert_eq!(
        rt.block_on(aws.zone_nameservers(&format!("/hostedzone/{main}")))
            .expect("nameservers"),
        zone.nameservers
    );

    // With a trailing dot or in capitals: the same zone.
    let again = rt.block_on(aws.find_zones("Example.COM.")).expect("lookup");
    assert_eq!(again.iter().map(|z| &z.id).collect::<Vec<_>>(), vec![&main]);
    // Look-alikes are their own zones.
    let mine = rt
        .block_on(aws.find_zones("myexample.com"))
        .expect("lookup");
    assert_eq!(
        mine.iter().map(|z| &z.id).collect::<Vec<_>>(),
        vec![&lookalike]
    );
    let subs = rt
        .block_on(aws.find_zones("sub.example.com"))
        .expect("lookup");
    assert_eq!(subs.iter().map(|z| &z.id).collect::<Vec<_>>(), vec![&sub]);
    // A domain with no zone.
    let none = rt.block_on(aws.find_zones("example.org")).expect("lookup");
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(existing_zones_message("example.org", &none), None);

    // Adopting: the message and the import pair, with the generator's zone address.
    let message = existing_zones_message("example.com", &found).expect("message");
    assert!(message.contains(&main), "{message}");
    assert!(message.contains("adopt"), "{message}");
    let import = ZoneImport::new(ZONE_ADDRESS, zone);
    assert_eq!(
        import.command(),
        format!("terraform import aws_route53_zone.main {main}")
    );
    assert!(
        siteup::tfgen::resource_addresses(&site()).contains(&ZONE_ADDRESS.to_string()),
        "the generator names its zone {ZONE_ADDRESS}"
    );

    // Two public zones of the same name are both reported.
    let second = create("example.com", "siteup-test-4");
    let both = rt.block_on(aws.find_zones("example.com")).expect("lookup");
    let mut ids: Vec<&str> = both.iter().map(|z| z.id.as_str()).collect();
    ids.sort();
    let mut want = vec![main.as_str(), second.as_str()];
    want.sort();
    assert_eq!(ids, want);
    assert!(
        existing_zones_message("example.com", &both)
            .expect("message")
            .contains("2 hosted zones")
    );
}

#[test]
fn ses_identities_pending_then_verified() {
    aws_common::isolate_process_env(None);
    let emulator = start_emulator();
    let session = sandbox_session(&emulator);
    let rt = runtime();
    let ses = aws_sdk_sesv2::Client::new(session.sdk_config());
    let aws = SdkAws::new(&session);
    let domain = "example.com";
    let sender = "owner@example.net"; // the owner's inbox: a mailbox outside the zone

    // Before terraform creates them: missing, not an error.
    let (domain_status, sender_status) = ses_identities(&rt, &aws, domain, sender);
    assert!(!domain_status.exists);
    assert!(!sender_status.exists);

    for identity in [domain, sender] {
        rt.block_on(ses.create_email_identity().email_identity(identity).send())
            .unwrap_or_else(|e| panic!("create {identity}: {e:?}"));
    }
    rt.block_on(
        ses.put_email_identity_mail_from_attributes()
            .email_identity(domain)
            .mail_from_domain("mail.example.com")
            .send(),
    )
    .expect("MAIL FROM");

    let d = rt.block_on(aws.domain_identity(domain)).expect("domain");
    assert!(d.exists);
    assert!(!d.verified_for_sending);
    assert_eq!(d.dkim, CheckState::Pending);
    assert_eq!(d.dkim_tokens.len(), 3);
    assert_eq!(
        d.mail_from.as_ref().map(|m| (m.domain.as_str(), m.state)),
        Some(("mail.example.com", CheckState::Pending))
    );
    assert!(!d.is_ready());
    assert!(
        d.headline().contains("SES is verifying example.com"),
        "{}",
        d.headline()
    );

    let s = rt.block_on(aws.sender_identity(sender)).expect("sender");
    assert!(s.exists);
    assert!(!s.verified);
    assert_eq!(s.verification, CheckState::Pending);
    assert!(s.headline().contains("click the link"), "{}", s.headline());

    // Resending the mail: a second verification mail, still pending.
    let resent = rt
        .block_on(aws.resend_verification(sender))
        .expect("resend");
    assert!(resent.exists && !resent.verified);
    let mails = |e: &Emulator| {
        e.control_state().expect("emulator state")["verification_mails"][sender]["sent"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(mails(&emulator), 2);

    // SES verifies the domain only from its records: none are published yet.
    assert!(emulator.verify_identity(domain).is_err());
    // The records the stack publishes: the DKIM CNAMEs, the MAIL FROM MX and SPF.
    let r53 = aws_sdk_route53::Client::new(session.sdk_config());
    let zone = rt
        .block_on(
            r53.create_hosted_zone()
                .name(domain)
                .caller_reference("siteup-test-ses")
                .send(),
        )
        .expect("create the zone")
        .hosted_zone()
        .map(|z| siteup::aws::route53::bare_zone_id(z.id()))
        .expect("zone id");
    let mut records: Vec<(String, RrType, String)> = d
        .dkim_tokens
        .iter()
        .map(|t| {
            (
                format!("{t}._domainkey.{domain}"),
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
    let changes = records
        .into_iter()
        .map(|(name, kind, value)| {
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
                .expect("change")
        })
        .collect::<Vec<_>>();
    rt.block_on(
        r53.change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(
                ChangeBatch::builder()
                    .set_changes(Some(changes))
                    .build()
                    .expect("batch"),
            )
            .send(),
    )
    .expect("publish the records");

    // The human clicks the link; the DNS records are found.
    emulator.verify_identity(domain).expect("verify domain");
    emulator.verify_identity(sender).expect("verify sender");
    let (domain_status, sender_status) = ses_identities(&rt, &aws, domain, sender);
    assert!(domain_status.is_ready(), "{domain_status:?}");
    assert_eq!(domain_status.dkim, CheckState::Success);
    assert!(sender_status.verified);
    assert_eq!(sender_status.headline(), "owner@example.net is verified.");

    // A verified address is left alone by resend.
    let kept = rt
        .block_on(aws.resend_verification(sender))
        .expect("resend is a no-op");
    assert!(kept.verified);
    assert_eq!(mails(&emulator), 2);
}

#[test]
fn production_access_sandbox_then_pending_granted_denied() {
    aws_common::isolate_process_env(None);
    let emulator = start_emulator();
    let session = sandbox_session(&emulator);
    let rt = runtime();
    let aws = SdkAws::new(&session);

    // In the sandbox, nothing requested yet.
    let account = rt.block_on(aws.account_status()).expect("account");
    assert!(!account.production_access);
    assert_eq!(account.review, None);
    assert_eq!(account.quota.map(|q| q.max_24_hour_send), Some(200.0));
    assert!(
        account.headline().contains("sandbox"),
        "{}",
        account.headline()
    );

    // The request, written from the site and the account's suppression settings.
    let request = ProductionAccessRequest::compose(&site(), Some(&account));
    assert_eq!(request.website_url, "https://example.com");
    assert!(
        request
            .use_case_description
            .contains("suppression list is on for bounces and complaints"),
        "{}",
        request.use_case_description
    );
    let shown = render_ses_request(&request, Some(&account), None);
    assert!(shown.contains("siteup ses-request --submit"), "{shown}");

    // Submitted: PENDING with a case id, and AWS holds what was sent.
    let outcome = rt
        .block_on(submit_request(&aws, &request))
        .expect("submitted");
    let SubmitOutcome::Submitted(pending) = &outcome else {
        panic!("expected a submission, got {outcome:?}");
    };
    assert_eq!(pending.review_state(), Some(&ReviewState::Pending));
    let case = pending.case_id().expect("case id").to_string();
    assert!(!case.is_empty());
    let details = pending.details.as_ref().expect("details echoed");
    assert_eq!(details.mail_type.as_deref(), Some("TRANSACTIONAL"));
    assert_eq!(details.website_url.as_deref(), Some("https://example.com"));
    assert_eq!(
        details.use_case_description.as_deref(),
        Some(request.use_case_description.trim())
    );
    let printed = render_ses_request(&request, None, Some(&outcome));
    assert!(
        printed.contains(&format!("Submitted as case {case}")),
        "{printed}"
    );

    // While it is pending, siteup does not send another.
    let again = rt
        .block_on(submit_request(&aws, &request))
        .expect("no error");
    assert!(
        matches!(again, SubmitOutcome::AlreadyInReview(_)),
        "{again:?}"
    );

    // Granted.
    emulator.set_review(ReviewStatus::Granted).expect("grant");
    let granted = rt.block_on(aws.account_status()).expect("account");
    assert!(granted.production_access);
    assert_eq!(granted.review_state(), Some(&ReviewState::Granted));
    assert!(
        granted.headline().contains("granted"),
        "{}",
        granted.headline()
    );

    // Denied: guidance that names the case, and a new request is refused with the same case.
    emulator.set_review(ReviewStatus::Denied).expect("deny");
    let denied = rt.block_on(aws.account_status()).expect("account");
    assert!(!denied.production_access);
    assert_eq!(denied.review_state(), Some(&ReviewState::Denied));
    let guidance = review_guidance(&denied).expect("guidance");
    assert!(guidance.contains(&case), "{guidance}");
    assert!(guidance.contains("AWS Support console"), "{guidance}");
    assert_eq!(denied.headline(), guidance);
    let printed = render_ses_request(&request, Some(&denied), None);
    assert!(printed.contains("would be refused"), "{printed}");

    let err = rt
        .block_on(submit_request(&aws, &request))
        .expect_err("conflict");
    assert_eq!(
        err,
        AwsError::ProductionAccessConflict {
            case_id: Some(case.clone())
        }
    );
    assert!(
        err.to_string().contains(&format!("displayId={case}")),
        "{err}"
    );
}

/// The domain identity names the configuration set its mail uses; the set is read from SES.
#[test]
fn the_domain_identity_names_its_configuration_set() {
    aws_common::isolate_process_env(None);
    let emulator = start_emulator();
    let session = sandbox_session(&emulator);
    let rt = runtime();
    let ses = aws_sdk_sesv2::Client::new(session.sdk_config());
    let aws = SdkAws::new(&session);

    let missing = rt
        .block_on(aws.configuration_set("example-com"))
        .expect("a set SES does not have");
    assert!(!missing.exists);

    rt.block_on(
        ses.create_configuration_set()
            .configuration_set_name("example-com")
            .send(),
    )
    .expect("CreateConfigurationSet");
    rt.block_on(
        ses.create_email_identity()
            .email_identity("example.com")
            .configuration_set_name("example-com")
            .send(),
    )
    .expect("CreateEmailIdentity");
    let d = rt
        .block_on(aws.domain_identity("example.com"))
        .expect("domain");
    assert_eq!(d.configuration_set.as_deref(), Some("example-com"));
    let plain = rt
        .block_on(
            ses.create_email_identity()
                .email_identity("example.org")
                .send(),
        )
        .map(|_| ());
    plain.expect("CreateEmailIdentity without a set");
    let d = rt
        .block_on(aws.domain_identity("example.org"))
        .expect("domain");
    assert_eq!(d.configuration_set, None);
}
