//! The AWS emulator harness against real moto: the venv at `~/.cache/siteup/venv` (or
//! `$SITEUP_EMULATOR_PYTHON`). A missing venv makes these tests fail with the sentence that says
//! how to create it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "support/emulator.rs"]
mod emulator;

use std::future::Future;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::types::{
    BehaviorOnMxFailure, DkimStatus, MailFromDomainStatus, MailType, ReviewStatus as SdkReview,
    VerificationStatus,
};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;
use serde_json::Value;
use siteup::sandbox::emulator::{
    EMULATOR_SCRIPT, Emulator, EmulatorError, EmulatorOptions, ReviewStatus, SANDBOX_ACCESS_KEY_ID,
    SANDBOX_SECRET_ACCESS_KEY, test_python,
};

/// No test may reach instance metadata, whatever the SDK falls back to.
fn metadata_off() {
    // SAFETY: set before this test creates any thread of its own; nextest runs each test in
    // its own process, so no other test reads the environment concurrently.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

fn start() -> Emulator {
    metadata_off();
    emulator::start_emulator()
}

fn credentials() -> Credentials {
    Credentials::new(
        SANDBOX_ACCESS_KEY_ID,
        SANDBOX_SECRET_ACCESS_KEY,
        None,
        None,
        "siteup-emulator-test",
    )
}

fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

fn sesv2(emulator: &Emulator) -> aws_sdk_sesv2::Client {
    let config = aws_sdk_sesv2::Config::builder()
        .behavior_version(aws_sdk_sesv2::config::BehaviorVersion::v2026_01_12())
        .region(aws_sdk_sesv2::config::Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(emulator.url())
        .http_client(http_client())
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
}

/// GetEmailIdentity for one identity, which must succeed (`what` names the call in the failure).
async fn email_identity(
    ses: &aws_sdk_sesv2::Client,
    name: &str,
    what: &str,
) -> aws_sdk_sesv2::operation::get_email_identity::GetEmailIdentityOutput {
    match ses.get_email_identity().email_identity(name).send().await {
        Ok(out) => out,
        Err(e) => panic!("{what}: {e:?}"),
    }
}

fn sts(emulator: &Emulator) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::v2026_01_12())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(emulator.url())
        .http_client(http_client())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

fn pid_is_gone(pid: u32) -> bool {
    let raw = i32::try_from(pid).expect("pid fits i32");
    matches!(kill(Pid::from_raw(raw), None), Err(Errno::ESRCH))
}

#[test]
fn sts_answers_and_the_ses_account_goes_through_review() {
    let emulator = start();
    let ses = sesv2(&emulator);
    block_on(async {
        let who = sts(&emulator)
            .get_caller_identity()
            .send()
            .await
            .expect("STS GetCallerIdentity");
        assert_eq!(who.account(), Some("123456789012"));
        assert!(who.arn().is_some_and(|a| a.starts_with("arn:aws:")));

        // A new account is in the sandbox, with the sandbox quota and no request.
        let account = ses.get_account().send().await.expect("GetAccount");
        assert!(!account.production_access_enabled());
        let quota = account.send_quota().expect("a send quota");
        assert_eq!(quota.max24_hour_send(), 200.0);
        assert_eq!(quota.max_send_rate(), 1.0);
        assert!(account.details().is_none(), "no request submitted yet");

        // The request goes under review with a support case.
        ses.put_account_details()
            .mail_type(MailType::Transactional)
            .website_url("https://example.test")
            .use_case_description("Sign-up confirmations and password resets for example.test.")
            .contact_language(aws_sdk_sesv2::types::ContactLanguage::En)
            .production_access_enabled(true)
            .send()
            .await
            .expect("PutAccountDetails");
        let account = ses.get_account().send().await.expect("GetAccount");
        let details = account.details().expect("the submitted details");
        assert_eq!(details.website_url(), Some("https://example.test"));
        let review = details.review_details().expect("a review");
        assert_eq!(review.status(), Some(&SdkReview::Pending));
        let case_id = review.case_id().expect("a case id").to_string();
        assert!(!case_id.is_empty());
        assert!(!account.production_access_enabled());

        // A second request while the first is under review conflicts.
        let err = ses
            .put_account_details()
            .mail_type(MailType::Transactional)
            .website_url("https://example.test")
            .send()
            .await
            .expect_err("a second request during the review must conflict");
        assert!(
            err.as_service_error()
                .is_some_and(aws_sdk_sesv2::operation::put_account_details::PutAccountDetailsError::is_conflict_exception),
            "{err:?}"
        );

        // The reviewers grant it.
        emulator
            .set_review(ReviewStatus::Granted)
            .expect("control: GRANTED");
        let account = ses.get_account().send().await.expect("GetAccount");
        assert!(account.production_access_enabled());
        let review = account
            .details()
            .and_then(|d| d.review_details())
            .expect("the review");
        assert_eq!(review.status(), Some(&SdkReview::Granted));
        assert_eq!(review.case_id(), Some(case_id.as_str()));
        assert!(account.send_quota().expect("quota").max24_hour_send() > 200.0);

        // Denied: back in the sandbox, and a re-submission answers ConflictException.
        emulator
            .set_review(ReviewStatus::Denied)
            .expect("control: DENIED");
        let account = ses.get_account().send().await.expect("GetAccount");
        assert!(!account.production_access_enabled());
        assert_eq!(
            account
                .details()
                .and_then(|d| d.review_details())
                .and_then(|r| r.status()),
            Some(&SdkReview::Denied)
        );
        let err = ses
            .put_account_details()
            .mail_type(MailType::Transactional)
            .website_url("https://example.test")
            .production_access_enabled(true)
            .send()
            .await
            .expect_err("a re-submission after a denial must conflict");
        let service = err.as_service_error().expect("a service error");
        assert!(service.is_conflict_exception(), "{service:?}");
        assert_eq!(service.code(), Some("ConflictException"));

        let state = emulator.control_state().expect("control state");
        assert_eq!(state["accounts"]["us-east-1"]["review"]["status"], "DENIED");
        assert_eq!(
            state["accounts"]["us-east-1"]["review"]["case_id"],
            case_id.as_str()
        );

        // Reset: a fresh sandbox account again.
        emulator.reset().expect("control reset");
        let account = ses.get_account().send().await.expect("GetAccount");
        assert!(!account.production_access_enabled());
        assert!(account.details().is_none());
        let state = emulator.control_state().expect("control state");
        assert_eq!(
            state["accounts"],
            serde_json::json!({ "us-east-1": {
            "production_access": false, "review": null, "details": null } })
        );
    });
}

/// Publishes records in the emulator's Route 53 zone for example.test (created on first use),
/// as the generated stack does, with boto3 from the emulator's venv.
fn publish(emulator: &Emulator, records: &[(String, &str, String)]) {
    const SCRIPT: &str = r#"
import json, sys, boto3
r53 = boto3.client("route53")
zones = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == "example.test."]
zone = zones[0]["Id"] if zones else r53.create_hosted_zone(
    Name="example.test", CallerReference="siteup-test")["HostedZone"]["Id"]
changes = [{"Action": "UPSERT", "ResourceRecordSet": {
    "Name": n, "Type": t, "TTL": 300, "ResourceRecords": [{"Value": v}]}}
    for n, t, v in json.loads(sys.argv[1])]
r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
"#;
    let records = serde_json::to_string(records).expect("records as JSON");
    boto3(emulator, SCRIPT, &[&records]);
}

/// Runs a boto3 script against the emulator with the emulator's venv; what it printed, as JSON
/// (`null` when it printed nothing).
fn boto3(emulator: &Emulator, script: &str, args: &[&str]) -> Value {
    let mut cmd = Command::new(test_python());
    cmd.arg("-c").arg(script).args(args);
    emulator.apply_aws_env(&mut cmd);
    let output = cmd.output().expect("run boto3 from the emulator's venv");
    assert!(
        output.status.success(),
        "boto3 script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    if output.stdout.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(&output.stdout).expect("the script's JSON")
}

#[test]
fn ses_identities_are_pending_until_their_dns_records_verify_them() {
    let emulator = start();
    let ses = sesv2(&emulator);
    block_on(async {
        // A domain: pending, with DKIM tokens to publish.
        ses.create_email_identity()
            .email_identity("example.test")
            .send()
            .await
            .expect("CreateEmailIdentity (domain)");
        let domain = email_identity(&ses, "example.test", "GetEmailIdentity (domain)").await;
        assert_eq!(
            domain.verification_status(),
            Some(&VerificationStatus::Pending)
        );
        assert!(!domain.verified_for_sending_status());
        let dkim = domain.dkim_attributes().expect("DKIM attributes");
        assert_eq!(dkim.status(), Some(&DkimStatus::Pending));
        assert_eq!(dkim.tokens().len(), 3);
        assert!(dkim.signing_enabled());

        // Creating it again is refused, as on AWS (moto would silently reset it).
        let err = ses
            .create_email_identity()
            .email_identity("example.test")
            .send()
            .await
            .expect_err("a duplicate identity must be refused");
        assert!(
            err.as_service_error()
                .is_some_and(aws_sdk_sesv2::operation::create_email_identity::CreateEmailIdentityError::is_already_exists_exception),
            "{err:?}"
        );

        // MAIL FROM: pending once set.
        ses.put_email_identity_mail_from_attributes()
            .email_identity("example.test")
            .mail_from_domain("mail.example.test")
            .behavior_on_mx_failure(BehaviorOnMxFailure::RejectMessage)
            .send()
            .await
            .expect("PutEmailIdentityMailFromAttributes");
        let domain = email_identity(&ses, "example.test", "GetEmailIdentity (domain)").await;
        let mail_from = domain.mail_from_attributes().expect("MAIL FROM attributes");
        assert_eq!(mail_from.mail_from_domain(), "mail.example.test");
        assert_eq!(
            mail_from.mail_from_domain_status(),
            &MailFromDomainStatus::Pending
        );
        assert_eq!(
            mail_from.behavior_on_mx_failure(),
            &BehaviorOnMxFailure::RejectMessage
        );

        // A MAIL FROM domain outside the identity is refused.
        let err = ses
            .put_email_identity_mail_from_attributes()
            .email_identity("example.test")
            .mail_from_domain("mail.other.test")
            .send()
            .await
            .expect_err("a foreign MAIL FROM domain must be refused");
        assert!(
            err.as_service_error()
                .is_some_and(aws_sdk_sesv2::operation::put_email_identity_mail_from_attributes::PutEmailIdentityMailFromAttributesError::is_bad_request_exception),
            "{err:?}"
        );

        // An address: pending until its link is clicked.
        ses.create_email_identity()
            .email_identity("hello@example.test")
            .send()
            .await
            .expect("CreateEmailIdentity (address)");
        let address =
            email_identity(&ses, "hello@example.test", "GetEmailIdentity (address)").await;
        assert_eq!(
            address.verification_status(),
            Some(&VerificationStatus::Pending)
        );
        assert!(!address.verified_for_sending_status());

        // SES verifies a domain from its DNS records: with none published, nothing (not even
        // the control endpoint) can mark it verified.
        let tokens: Vec<String> = dkim.tokens().to_vec();
        let refused =
            |emulator: &Emulator, why: &str| match emulator.verify_identity("example.test") {
                Err(EmulatorError::Control {
                    status, message, ..
                }) => {
                    assert_eq!(status, 409, "{message}");
                    assert!(message.contains(why), "{message}");
                }
                other => panic!("expected a refusal naming {why:?}, got {other:?}"),
            };
        refused(&emulator, "no Route 53 zone holds example.test");
        // CNAMEs that point at another region's DKIM domain do not verify it either.
        let mut records: Vec<(String, &str, String)> = tokens
            .iter()
            .map(|t| {
                (
                    format!("{t}._domainkey.example.test"),
                    "CNAME",
                    format!("{t}.dkim.eu-central-2.amazonses.com"),
                )
            })
            .collect();
        publish(&emulator, &records);
        refused(&emulator, "must point at");
        // The right CNAMEs, but the MAIL FROM domain has no MX or SPF yet.
        for (r, t) in records.iter_mut().zip(&tokens) {
            r.2 = format!("{t}.dkim.amazonses.com");
        }
        publish(&emulator, &records);
        refused(
            &emulator,
            "needs the MX record 10 feedback-smtp.us-east-1.amazonses.com",
        );
        // The human publishes the MAIL FROM records too: now SES verifies it.
        publish(
            &emulator,
            &[
                (
                    "mail.example.test".into(),
                    "MX",
                    "10 feedback-smtp.us-east-1.amazonses.com".into(),
                ),
                (
                    "mail.example.test".into(),
                    "TXT",
                    "\"v=spf1 include:amazonses.com ~all\"".into(),
                ),
            ],
        );
        emulator
            .verify_identity("example.test")
            .expect("control: verify the domain");
        let domain = email_identity(&ses, "example.test", "GetEmailIdentity (domain)").await;
        assert_eq!(
            domain.verification_status(),
            Some(&VerificationStatus::Success)
        );
        assert!(domain.verified_for_sending_status());
        assert_eq!(
            domain.dkim_attributes().and_then(|d| d.status()),
            Some(&DkimStatus::Success)
        );
        assert_eq!(
            domain
                .mail_from_attributes()
                .map(aws_sdk_sesv2::types::MailFromAttributes::mail_from_domain_status),
            Some(&MailFromDomainStatus::Success)
        );
        // The address is still waiting for its click.
        let address =
            email_identity(&ses, "hello@example.test", "GetEmailIdentity (address)").await;
        assert_eq!(
            address.verification_status(),
            Some(&VerificationStatus::Pending)
        );

        emulator
            .verify_identity("hello@example.test")
            .expect("control: click the link");
        let address =
            email_identity(&ses, "hello@example.test", "GetEmailIdentity (address)").await;
        assert_eq!(
            address.verification_status(),
            Some(&VerificationStatus::Success)
        );
        assert!(address.verified_for_sending_status());

        // moto's own listing agrees.
        let listed = ses
            .list_email_identities()
            .send()
            .await
            .expect("ListEmailIdentities");
        assert_eq!(listed.email_identities().len(), 2);
        for identity in listed.email_identities() {
            assert_eq!(
                identity.verification_status(),
                Some(&VerificationStatus::Success),
                "{identity:?}"
            );
        }

        let state = emulator.control_state().expect("control state");
        let identities = state["identities"].as_array().expect("identities");
        assert_eq!(identities.len(), 2);
        // The creation of the address sent one verification mail.
        assert_eq!(state["verification_mails"]["hello@example.test"]["sent"], 1);

        // Marking an identity that does not exist says so.
        let err = emulator
            .verify_identity("nobody.test")
            .expect_err("an unknown identity cannot be verified");
        match &err {
            EmulatorError::Control {
                status, message, ..
            } => {
                assert_eq!(*status, 404);
                assert!(message.contains("nobody.test"), "{message}");
            }
            other => panic!("expected a control error, got {other:?}"),
        }

        // Reset forgets them, and a re-created identity starts pending again.
        emulator.reset().expect("control reset");
        let err = ses
            .get_email_identity()
            .email_identity("example.test")
            .send()
            .await
            .expect_err("the identity is gone after a reset");
        assert!(
            err.as_service_error()
                .is_some_and(aws_sdk_sesv2::operation::get_email_identity::GetEmailIdentityError::is_not_found_exception),
            "{err:?}"
        );
        let state = emulator.control_state().expect("control state");
        assert_eq!(state["identities"], serde_json::json!([]));
        assert_eq!(state["verification_mails"], serde_json::json!({}));
        ses.create_email_identity()
            .email_identity("example.test")
            .send()
            .await
            .expect("CreateEmailIdentity after reset");
        let domain = email_identity(&ses, "example.test", "GetEmailIdentity after reset").await;
        assert_eq!(
            domain.verification_status(),
            Some(&VerificationStatus::Pending)
        );
        assert_eq!(
            domain
                .mail_from_attributes()
                .map(aws_sdk_sesv2::types::MailFromAttributes::mail_from_domain),
            Some(""),
            "no MAIL FROM domain on a fresh identity"
        );
    });
}

/// Cognito Identity has no Rust SDK crate in the tree, and SES v1 neither: boto3 from the venv.
const BOTO3_SCRIPT: &str = r#"
import json, boto3, botocore
out = {}
cognito = boto3.client("cognito-identity")
pool = cognito.create_identity_pool(
    IdentityPoolName="siteup_test", AllowUnauthenticatedIdentities=True)["IdentityPoolId"]
roles = {"authenticated": "arn:aws:iam::123456789012:role/site-auth",
         "unauthenticated": "arn:aws:iam::123456789012:role/site-unauth"}
cognito.set_identity_pool_roles(IdentityPoolId=pool, Roles=roles)
got = cognito.get_identity_pool_roles(IdentityPoolId=pool)
out["pool"] = pool
out["roles_match"] = got["Roles"] == roles and got["IdentityPoolId"] == pool
try:
    cognito.get_identity_pool_roles(IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000")
    out["missing_pool"] = "no error"
except botocore.exceptions.ClientError as e:
    out["missing_pool"] = e.response["Error"]["Code"]
try:
    cognito.set_identity_pool_roles(IdentityPoolId=pool, Roles={"admin": roles["authenticated"]})
    out["bad_key"] = "no error"
except botocore.exceptions.ClientError as e:
    out["bad_key"] = e.response["Error"]["Code"]
ses = boto3.client("ses")
ses.verify_email_identity(EmailAddress="owner@example.test")
ses.verify_email_identity(EmailAddress="owner@example.test")
attrs = ses.get_identity_verification_attributes(Identities=["owner@example.test"])
out["v1_status"] = attrs["VerificationAttributes"]["owner@example.test"]["VerificationStatus"]
print(json.dumps(out))
"#;

#[test]
fn cognito_identity_pool_roles_round_trip_and_ses_v1_resends_are_counted() {
    let emulator = start();
    let out = boto3(&emulator, BOTO3_SCRIPT, &[]);
    assert_eq!(out["roles_match"], true, "{out}");
    assert_eq!(out["missing_pool"], "ResourceNotFoundException");
    assert_eq!(out["bad_key"], "InvalidParameterException");
    assert_eq!(out["v1_status"], "Pending");

    let state = emulator.control_state().expect("control state");
    let pools = state["identity_pool_roles"].as_array().expect("pool roles");
    assert_eq!(pools.len(), 1);
    assert_eq!(pools[0]["identity_pool_id"], out["pool"]);
    assert_eq!(
        pools[0]["roles"]["authenticated"],
        "arn:aws:iam::123456789012:role/site-auth"
    );
    let mails = &state["verification_mails"]["owner@example.test"];
    assert_eq!(mails["sent"], 2, "{state}");
    assert_eq!(mails["resends"], 1, "{state}");

    emulator.reset().expect("control reset");
    let state = emulator.control_state().expect("control state");
    assert_eq!(state["identity_pool_roles"], serde_json::json!([]));
}

#[test]
fn stopping_by_pid_leaves_no_process_and_so_does_drop() {
    let emulator = start();
    let pid = emulator.pid();
    assert!(!pid_is_gone(pid), "the emulator runs before stop");
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    let started = Instant::now();
    emulator.stop().expect("stop the emulator");
    assert!(pid_is_gone(pid), "pid {pid} must be gone after stop");
    assert!(started.elapsed() < Duration::from_secs(15));

    let emulator = start();
    let pid = emulator.pid();
    let url = emulator.url();
    drop(emulator);
    assert!(pid_is_gone(pid), "pid {pid} must be gone after drop");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    assert!(
        agent.get(format!("{url}/_siteup/health")).call().is_err(),
        "nothing answers on the old port"
    );
}

#[test]
fn a_detached_emulator_is_reattached_through_its_ready_file_and_stopped() {
    metadata_off();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = EmulatorOptions::new(test_python(), dir.path());
    options.detached = true;
    let started = match Emulator::start(&options) {
        Ok(e) => e,
        Err(e) => panic!("the emulator must start for this test: {e}"),
    };
    let (pid, port) = (started.pid(), started.port());
    drop(started);
    assert!(!pid_is_gone(pid), "a detached emulator outlives its handle");

    let attached = Emulator::attach(&options.ready_file)
        .expect("read the ready file")
        .expect("the emulator is there to attach to");
    assert_eq!((attached.pid(), attached.port()), (pid, port));
    assert_eq!(attached.url(), format!("http://127.0.0.1:{port}"));
    attached
        .control_state()
        .expect("the attached handle reaches the control endpoint");
    attached.stop().expect("stop the attached emulator");
    assert!(
        pid_is_gone(pid) || zombie(pid),
        "pid {pid} must be gone after stop"
    );
    assert!(!options.ready_file.exists(), "the ready file goes with it");
    assert!(
        Emulator::attach(&options.ready_file)
            .expect("no ready file is not an error")
            .is_none()
    );
}

/// Our own detached child is reaped only when this test process exits.
fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[test]
fn a_missing_python_is_an_error_sentence_not_a_panic() {
    metadata_off();
    let dir = tempfile::tempdir().expect("temp dir");
    let options = EmulatorOptions::new(dir.path().join("no-such-venv/bin/python"), dir.path());
    let err = Emulator::start(&options).expect_err("a missing python must fail");
    assert!(
        matches!(err, EmulatorError::PythonMissing { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("no-such-venv/bin/python"), "{text}");
    assert!(
        text.contains("pip install -r assets/emulator/requirements.txt"),
        "{text}"
    );

    // Something that is not a Python exits at once: the error says so, with the log.
    let options = EmulatorOptions::new("/bin/false", dir.path());
    let started = Instant::now();
    let err = Emulator::start(&options).expect_err("/bin/false is not a Python");
    assert!(matches!(err, EmulatorError::ExitedEarly { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.to_string().contains("emulator.log"), "{err}");
}

#[test]
fn a_missing_moto_dependency_stops_start_up_with_one_line_naming_it() {
    metadata_off();
    let dir = tempfile::tempdir().expect("temp dir");
    // Shadow moto's Cognito dependency with a package that fails like a missing one.
    let shadow = dir.path().join("shadow/joserfc");
    std::fs::create_dir_all(&shadow).expect("shadow dir");
    std::fs::write(
        shadow.join("__init__.py"),
        "raise ModuleNotFoundError(\"No module named 'joserfc'\", name='joserfc')\n",
    )
    .expect("shadow module");
    let mut options = EmulatorOptions::new(test_python(), dir.path().join("work"));
    options
        .extra_env
        .push(("PYTHONPATH".into(), dir.path().join("shadow").into()));
    let started = Instant::now();
    let err = Emulator::start(&options).expect_err("a missing dependency must stop start-up");
    assert!(started.elapsed() < Duration::from_secs(20));
    match &err {
        EmulatorError::ExitedEarly { last_line, .. } => {
            assert!(last_line.contains("'joserfc'"), "{last_line}");
            assert!(last_line.contains("cognitoidp"), "{last_line}");
        }
        other => panic!("expected an early exit, got {other:?}"),
    }
}

#[test]
fn the_script_refuses_to_listen_beyond_loopback() {
    metadata_off();
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("siteup_emulator.py");
    std::fs::write(&script, EMULATOR_SCRIPT).expect("write the script");
    let python = test_python();
    assert!(
        python.exists(),
        "the emulator's Python {} is missing: python3 -m venv ~/.cache/siteup/venv && ~/.cache/siteup/venv/bin/pip install -r assets/emulator/requirements.txt",
        python.display()
    );
    for host in ["0.0.0.0", "192.0.2.1", "example.test"] {
        let output = Command::new(&python)
            .arg(&script)
            .args(["--host", host, "--port", "0"])
            .output()
            .expect("run the script");
        assert_eq!(output.status.code(), Some(2), "{host}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("loopback"), "{host}: {stderr}");
    }
}

const IN_USE_SCRIPT: &str = r#"
import json, boto3, botocore
out = {}
def code(f):
    try:
        f()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]
r53 = boto3.client("route53")
zone = r53.create_hosted_zone(Name="example.test", CallerReference="in-use")["HostedZone"]["Id"]
acm = boto3.client("acm", region_name="us-east-1")
cert = acm.request_certificate(DomainName="auth.example.test", ValidationMethod="DNS")["CertificateArn"]
idp = boto3.client("cognito-idp")
pool = idp.create_user_pool(PoolName="site")["UserPool"]["Id"]
make_domain = lambda: idp.create_user_pool_domain(
    Domain="auth.example.test", UserPoolId=pool, CustomDomainConfig={"CertificateArn": cert})
out["domain_without_parent_a"] = code(make_domain)
r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT",
    "ResourceRecordSet": {"Name": "example.test", "Type": "A", "TTL": 60,
                          "ResourceRecords": [{"Value": "192.0.2.1"}]}}]})
out["domain_with_parent_a"] = code(make_domain)
out["delete_cert_used_by_cognito"] = code(lambda: acm.delete_certificate(CertificateArn=cert))
idp.delete_user_pool_domain(Domain="auth.example.test", UserPoolId=pool)
out["delete_cert_unused"] = code(lambda: acm.delete_certificate(CertificateArn=cert))
api_cert = boto3.client("acm").request_certificate(
    DomainName="api.example.test", ValidationMethod="DNS")["CertificateArn"]
boto3.client("apigateway").create_domain_name(
    domainName="api.example.test", regionalCertificateArn=api_cert,
    endpointConfiguration={"types": ["REGIONAL"]})
out["delete_cert_used_by_api"] = code(lambda: boto3.client("acm").delete_certificate(CertificateArn=api_cert))
print(json.dumps(out))
"#;

const PROTECTED_POOL_SCRIPT: &str = r#"
import json, boto3, botocore
out = {}
def code(f):
    try:
        f()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]
idp = boto3.client("cognito-idp")
pool = idp.create_user_pool(PoolName="users", DeletionProtection="ACTIVE")["UserPool"]["Id"]
out["delete_protected"] = code(lambda: idp.delete_user_pool(UserPoolId=pool))
out["still_there"] = idp.describe_user_pool(UserPoolId=pool)["UserPool"]["Id"] == pool
idp.update_user_pool(UserPoolId=pool, DeletionProtection="INACTIVE")
out["delete_unprotected"] = code(lambda: idp.delete_user_pool(UserPoolId=pool))
print(json.dumps(out))
"#;

/// A user pool with deletion protection active cannot be deleted (moto deletes it); once the
/// protection is off, it can.
#[test]
fn a_user_pool_with_deletion_protection_is_not_deleted() {
    let emulator = start();
    let out = boto3(&emulator, PROTECTED_POOL_SCRIPT, &[]);
    assert!(
        out["delete_protected"].as_str().is_some_and(|s| s
            .starts_with("InvalidParameterException")
            && s.contains("deletion protection")),
        "{out}"
    );
    assert_eq!(out["still_there"], Value::Bool(true), "{out}");
    assert_eq!(out["delete_unprotected"], "ok", "{out}");
}

/// Two rules of real AWS that moto lacks: a Cognito custom domain needs an A record at its
/// parent domain, and a certificate in use (by a Cognito domain, an API Gateway domain name or
/// a CloudFront distribution) cannot be deleted.
#[test]
fn cognito_domains_need_the_parent_a_record_and_certificates_in_use_stay() {
    let emulator = start();
    let out = boto3(&emulator, IN_USE_SCRIPT, &[]);
    let said = |key: &str| out[key].as_str().unwrap_or_default().to_string();
    assert!(
        said("domain_without_parent_a").starts_with("InvalidParameterException")
            && said("domain_without_parent_a").contains("parent domain example.test"),
        "{out}"
    );
    assert_eq!(said("domain_with_parent_a"), "ok", "{out}");
    assert!(
        said("delete_cert_used_by_cognito").starts_with("ResourceInUseException")
            && said("delete_cert_used_by_cognito")
                .contains("Cognito user pool domain auth.example.test"),
        "{out}"
    );
    assert_eq!(said("delete_cert_unused"), "ok", "{out}");
    assert!(
        said("delete_cert_used_by_api").starts_with("ResourceInUseException")
            && said("delete_cert_used_by_api").contains("API Gateway domain name api.example.test"),
        "{out}"
    );
}
