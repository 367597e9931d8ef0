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

/// What every boto3 script starts with: the imports, and `code(f)`, which runs `f` and answers
/// "ok" or AWS's error as "Code: Message".
const BOTO3_PRELUDE: &str = r#"import json, boto3, botocore
def code(f):
    try:
        f()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]
"#;

/// What a script's `out[key]` says (empty when it is not a string).
fn said(out: &Value, key: &str) -> String {
    out[key].as_str().unwrap_or_default().to_string()
}

/// Runs a boto3 script against the emulator with the emulator's venv; what it printed, as JSON
/// (`null` when it printed nothing).
fn boto3(emulator: &Emulator, script: &str, args: &[&str]) -> Value {
    let mut cmd = Command::new(test_python());
    cmd.arg("-c")
        .arg(format!("{BOTO3_PRELUDE}{script}"))
        .args(args);
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

        // Mail needs a mailbox: example.test has no MX record, so nobody can open the mail
        // SES sent to hello@example.test (the sender-address trap of the default answers).
        match emulator.verify_identity("hello@example.test") {
            Err(EmulatorError::Control {
                status, message, ..
            }) => {
                assert_eq!(status, 409, "{message}");
                assert!(
                    message.contains("example.test has no MX record"),
                    "{message}"
                );
            }
            other => panic!("an address with no mailbox was verified: {other:?}"),
        }
        // An inbox outside the emulator's zones is a real inbox elsewhere: its link is clicked.
        ses.create_email_identity()
            .email_identity("owner@elsewhere.net")
            .send()
            .await
            .expect("CreateEmailIdentity (the owner's inbox)");
        emulator
            .verify_identity("owner@elsewhere.net")
            .expect("control: the owner clicks the link");
        ses.delete_email_identity()
            .email_identity("owner@elsewhere.net")
            .send()
            .await
            .expect("DeleteEmailIdentity");
        // Once the domain receives mail, its address can be verified.
        publish(
            &emulator,
            &[("example.test".into(), "MX", "10 mx.elsewhere.net".into())],
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

/// Two rules of real AWS that moto lacks: a Cognito custom domain needs an A record at its
/// parent domain, and a certificate in use (by a Cognito domain, an API Gateway domain name or
/// a CloudFront distribution) cannot be deleted.
#[test]
fn cognito_domains_need_the_parent_a_record_and_certificates_in_use_stay() {
    let emulator = start();
    let out = boto3(&emulator, IN_USE_SCRIPT, &[]);
    assert!(
        said(&out, "domain_without_parent_a").starts_with("InvalidParameterException")
            && said(&out, "domain_without_parent_a").contains("parent domain example.test"),
        "{out}"
    );
    assert_eq!(said(&out, "domain_with_parent_a"), "ok", "{out}");
    assert!(
        said(&out, "delete_cert_used_by_cognito").starts_with("ResourceInUseException")
            && said(&out, "delete_cert_used_by_cognito")
                .contains("Cognito user pool domain auth.example.test"),
        "{out}"
    );
    assert_eq!(said(&out, "delete_cert_unused"), "ok", "{out}");
    assert!(
        said(&out, "delete_cert_used_by_api").starts_with("ResourceInUseException")
            && said(&out, "delete_cert_used_by_api")
                .contains("API Gateway domain name api.example.test"),
        "{out}"
    );
}

/// What every clock script starts with: `ctl(path, body)` calls the emulator's control
/// endpoint (URL in `AWS_ENDPOINT_URL`) and answers `(status, json)`; `advance(hours)` moves
/// its clock forward.
const CONTROL_PRELUDE: &str = r#"
import json, os, sys, urllib.error, urllib.request
import boto3, botocore
URL = os.environ["AWS_ENDPOINT_URL"]
def ctl(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + "/_siteup/" + path, data=data,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
def advance(hours):
    status, body = ctl("clock", {"advance_seconds": hours * 3600})
    assert status == 200, body
def validation_records(acm, arn):
    options = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    return [(o["ResourceRecord"]["Name"], "CNAME", o["ResourceRecord"]["Value"]) for o in options]
def zone_id(r53, name):
    zones = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == name + "."]
    return zones[0]["Id"] if zones else r53.create_hosted_zone(
        Name=name, CallerReference="siteup-test-" + name)["HostedZone"]["Id"]
def publish(r53, name, records):
    changes = [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": n, "Type": t, "TTL": 60, "ResourceRecords": [{"Value": v}]}} for n, t, v in records]
    r53.change_resource_record_sets(HostedZoneId=zone_id(r53, name), ChangeBatch={"Changes": changes})
"#;

/// Runs `script` after [`CONTROL_PRELUDE`].
fn clock_script(emulator: &Emulator, script: &str, args: &[&str]) -> Value {
    boto3(emulator, &format!("{CONTROL_PRELUDE}\n{script}"), args)
}

const ACM_CLOCK_SCRIPT: &str = r#"
acm = boto3.client("acm")
r53 = boto3.client("route53")
out = {}
status = lambda arn: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]
zone_id(r53, "example.test")
main = acm.request_certificate(DomainName="example.test", ValidationMethod="DNS",
                               SubjectAlternativeNames=["www.example.test"])["CertificateArn"]
late = acm.request_certificate(DomainName="late.example.test", ValidationMethod="DNS")["CertificateArn"]
quick = acm.request_certificate(DomainName="quick.example.test", ValidationMethod="DNS")["CertificateArn"]
# quick's records are in place at once; nobody asks about it before a long jump.
publish(r53, "example.test", validation_records(acm, quick))
out["fresh"] = status(main)
# moto's own wait (60 s) has passed, but no validation record exists: still pending.
advance(0.02)
out["after_moto_wait_without_records"] = status(main)
publish(r53, "example.test", validation_records(acm, main))
out["with_records"] = status(main)
out["with_records_options"] = [o["ValidationStatus"] for o in
    acm.describe_certificate(CertificateArn=main)["Certificate"]["DomainValidationOptions"]]
advance(71)
out["late_at_71h"] = status(late)
advance(2)
out["late_at_73h"] = status(late)
out["late_options"] = [o["ValidationStatus"] for o in
    acm.describe_certificate(CertificateArn=late)["Certificate"]["DomainValidationOptions"]]
out["timed_out_listed"] = [c["CertificateArn"] == late for c in acm.list_certificates(
    CertificateStatuses=["VALIDATION_TIMED_OUT"])["CertificateSummaryList"]]
out["listed"] = sorted(c["Status"] for c in acm.list_certificates()["CertificateSummaryList"])
# Too late: the records arrive after the timeout, and the certificate stays timed out.
publish(r53, "example.test", validation_records(acm, late))
advance(1)
out["late_with_records_after_timeout"] = status(late)
out["quick_after_jump"] = status(quick)
out["clock"] = ctl("state")[1]["clock"]["offset_seconds"]
print(json.dumps(out))
"#;

/// ACM issues a certificate only from its DNS validation records (moto issues every one after
/// 60 s), and one still pending 72 hours after its request times out for good.
#[test]
fn acm_issues_from_its_validation_records_and_times_out_after_72_hours() {
    let emulator = start();
    let out = clock_script(&emulator, ACM_CLOCK_SCRIPT, &[]);
    assert_eq!(out["fresh"], "PENDING_VALIDATION", "{out}");
    assert_eq!(
        out["after_moto_wait_without_records"], "PENDING_VALIDATION",
        "{out}"
    );
    assert_eq!(out["with_records"], "ISSUED", "{out}");
    assert_eq!(
        out["with_records_options"],
        serde_json::json!(["SUCCESS", "SUCCESS"]),
        "{out}"
    );
    assert_eq!(out["late_at_71h"], "PENDING_VALIDATION", "{out}");
    assert_eq!(out["late_at_73h"], "VALIDATION_TIMED_OUT", "{out}");
    assert_eq!(out["late_options"], serde_json::json!(["FAILED"]), "{out}");
    assert_eq!(out["timed_out_listed"], serde_json::json!([true]), "{out}");
    assert_eq!(
        out["listed"],
        serde_json::json!(["ISSUED", "ISSUED", "VALIDATION_TIMED_OUT"]),
        "{out}"
    );
    assert_eq!(
        out["late_with_records_after_timeout"], "VALIDATION_TIMED_OUT",
        "{out}"
    );
    // Its records were right before the clock jumped: ACM issued it long before 72 hours.
    assert_eq!(out["quick_after_jump"], "ISSUED", "{out}");
    let offset = out["clock"].as_f64().expect("the clock's offset");
    assert!((offset - 74.02 * 3600.0).abs() < 1.0, "{out}");
}

const SES_CLOCK_SCRIPT: &str = r#"
ses = boto3.client("sesv2")
v1 = boto3.client("ses")
r53 = boto3.client("route53")
out = {}
def state(name):
    got = ses.get_email_identity(EmailIdentity=name)
    return [got["VerificationStatus"], got["DkimAttributes"]["Status"]]
ses.create_email_identity(EmailIdentity="slow.test")
ses.create_email_identity(EmailIdentity="owner@slow.test")
ses.create_email_identity(EmailIdentity="example.test")
# example.test's records are right; nobody asks SES to check before the clock jumps.
tokens = ses.get_email_identity(EmailIdentity="example.test")["DkimAttributes"]["Tokens"]
publish(r53, "example.test", [(f"{t}._domainkey.example.test", "CNAME",
                               f"{t}.dkim.amazonses.com") for t in tokens])
advance(25)
out["address_after_25h"] = state("owner@slow.test")[0]
out["verify_expired_link"] = ctl("identities/verify", {"identity": "owner@slow.test"})
v1.verify_email_identity(EmailAddress="owner@slow.test")
out["address_after_resend"] = state("owner@slow.test")[0]
out["verify_after_resend"] = ctl("identities/verify", {"identity": "owner@slow.test"})[0]
out["address_verified"] = state("owner@slow.test")[0]
out["verified_by_dns_during_jump"] = state("example.test")
advance(46)
out["domain_at_71h"] = state("slow.test")
advance(2)
out["domain_at_73h"] = state("slow.test")
out["v1_domain_at_73h"] = v1.get_identity_verification_attributes(
    Identities=["slow.test"])["VerificationAttributes"]["slow.test"]["VerificationStatus"]
out["v1_dkim_at_73h"] = v1.get_identity_dkim_attributes(
    Identities=["slow.test"])["DkimAttributes"]["slow.test"]["DkimVerificationStatus"]
# The records arrive now: too late, SES stopped checking.
tokens = ses.get_email_identity(EmailIdentity="slow.test")["DkimAttributes"]["Tokens"]
publish(r53, "slow.test", [(f"{t}._domainkey.slow.test", "CNAME",
                            f"{t}.dkim.amazonses.com") for t in tokens])
out["verify_failed_domain"] = ctl("identities/verify", {"identity": "slow.test"})
out["state_expired"] = {i["identity"]: i["expired"] for i in ctl("state")[1]["identities"]}
# Created again, it starts over (new tokens, whose records are not published yet).
ses.delete_email_identity(EmailIdentity="slow.test")
ses.create_email_identity(EmailIdentity="slow.test")
out["recreated"] = state("slow.test")
tokens = ses.get_email_identity(EmailIdentity="slow.test")["DkimAttributes"]["Tokens"]
publish(r53, "slow.test", [(f"{t}._domainkey.slow.test", "CNAME",
                            f"{t}.dkim.amazonses.com") for t in tokens])
out["verify_recreated"] = ctl("identities/verify", {"identity": "slow.test"})[0]
print(json.dumps(out))
"#;

/// SES stops waiting: a domain not verified 72 hours after its creation turns FAILED and can
/// no longer be verified; an address's link expires 24 hours after the last mail, until a
/// resend.
#[test]
fn ses_domains_fail_after_72_hours_and_address_links_expire_after_24() {
    let emulator = start();
    let out = clock_script(&emulator, SES_CLOCK_SCRIPT, &[]);
    assert_eq!(out["address_after_25h"], "FAILED", "{out}");
    assert_eq!(out["verify_expired_link"][0], 409, "{out}");
    let said = out["verify_expired_link"][1]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        said.contains("link sent to owner@slow.test expired") && said.contains("resend the mail"),
        "{out}"
    );
    assert_eq!(out["address_after_resend"], "PENDING", "{out}");
    assert_eq!(out["verify_after_resend"], 200, "{out}");
    assert_eq!(out["address_verified"], "SUCCESS", "{out}");
    assert_eq!(
        out["verified_by_dns_during_jump"],
        serde_json::json!(["SUCCESS", "SUCCESS"]),
        "{out}"
    );
    assert_eq!(
        out["domain_at_71h"],
        serde_json::json!(["PENDING", "PENDING"]),
        "{out}"
    );
    assert_eq!(
        out["domain_at_73h"],
        serde_json::json!(["FAILED", "FAILED"]),
        "{out}"
    );
    assert_eq!(out["v1_domain_at_73h"], "Failed", "{out}");
    assert_eq!(out["v1_dkim_at_73h"], "Failed", "{out}");
    assert_eq!(out["verify_failed_domain"][0], 409, "{out}");
    let said = out["verify_failed_domain"][1]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        said.contains("stopped checking slow.test 72 hours") && said.contains("create it again"),
        "{out}"
    );
    assert_eq!(out["state_expired"]["slow.test"], "domain", "{out}");
    assert_eq!(
        out["recreated"],
        serde_json::json!(["PENDING", "PENDING"]),
        "{out}"
    );
    assert_eq!(out["verify_recreated"], 200, "{out}");
}

const DELEGATION_SCRIPT: &str = r#"
ses = boto3.client("sesv2")
acm = boto3.client("acm")
r53 = boto3.client("route53")
out = {}
step = sys.argv[1]
if step == "setup":
    zone = zone_id(r53, "example.test")
    out["nameservers"] = r53.get_hosted_zone(Id=zone)["DelegationSet"]["NameServers"]
    ses.create_email_identity(EmailIdentity="example.test")
    tokens = ses.get_email_identity(EmailIdentity="example.test")["DkimAttributes"]["Tokens"]
    publish(r53, "example.test", [(f"{t}._domainkey.example.test", "CNAME",
                                   f"{t}.dkim.amazonses.com") for t in tokens])
    arn = acm.request_certificate(DomainName="example.test", ValidationMethod="DNS")["CertificateArn"]
    publish(r53, "example.test", validation_records(acm, arn))
    out["arn"] = arn
    # A domain outside the registry's TLD: nothing is known of its delegation.
    ses.create_email_identity(EmailIdentity="example.org")
    tokens = ses.get_email_identity(EmailIdentity="example.org")["DkimAttributes"]["Tokens"]
    publish(r53, "example.org", [(f"{t}._domainkey.example.org", "CNAME",
                                  f"{t}.dkim.amazonses.com") for t in tokens])
    out["verify_outside"] = ctl("identities/verify", {"identity": "example.org"})[0]
    # Past moto's own wait: only the delegation is missing now.
    advance(0.02)
else:
    out["verify"] = ctl("identities/verify", {"identity": "example.test"})
    out["certificate"] = acm.describe_certificate(CertificateArn=sys.argv[2])["Certificate"]["Status"]
print(json.dumps(out))
"#;

/// With the sandbox registry given, AWS reads the zone only through the delegation: SES
/// verification and ACM issuance are refused while the TLD delegates the domain elsewhere, and
/// go through once it delegates to the zone's nameservers.
#[test]
fn the_registry_must_delegate_the_domain_before_ses_verifies_or_acm_issues() {
    use siteup::dns::fake_server::{FakeDnsServer, FakeDnsState};
    use std::net::IpAddr;

    let emulator = start();
    let root_ip: IpAddr = "127.0.0.61".parse().expect("ip");
    let tld_ip: IpAddr = "127.0.0.62".parse().expect("ip");
    let mut registry = FakeDnsState::root_and_tld(root_ip, "test", tld_ip).expect("registry");
    registry
        .set_delegation(
            "test",
            "example.test",
            &[
                ("dns1.registrar-servers.test", None),
                ("dns2.registrar-servers.test", None),
            ],
            120,
        )
        .expect("parking delegation");
    // The fake TLD answers from the runtime's worker threads while this thread blocks.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let tld = rt
        .block_on(FakeDnsServer::start(registry))
        .expect("the fake TLD starts");
    emulator
        .set_registry(tld.addr(tld_ip), "test")
        .expect("control: the registry's address");
    let state = emulator.control_state().expect("control state");
    assert_eq!(state["registry"]["host"], "127.0.0.62", "{state}");
    assert_eq!(state["registry"]["tld"], "test", "{state}");

    let setup = clock_script(&emulator, DELEGATION_SCRIPT, &["setup"]);
    let arn = setup["arn"]
        .as_str()
        .expect("the certificate's ARN")
        .to_string();
    let check = || clock_script(&emulator, DELEGATION_SCRIPT, &["check", &arn]);

    // Parked at the registrar: the records are right, but nobody can reach them.
    let parked = check();
    assert_eq!(parked["verify"][0], 409, "{parked}");
    let said = parked["verify"][1]["error"].as_str().unwrap_or_default();
    assert!(
        said.contains("the registry delegates example.test to dns1.registrar-servers.test"),
        "{parked}"
    );
    assert_eq!(parked["certificate"], "PENDING_VALIDATION", "{parked}");

    // The person changes the nameservers at the registrar.
    let nameservers: Vec<String> = setup["nameservers"]
        .as_array()
        .expect("the zone's nameservers")
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    assert!(!nameservers.is_empty(), "{setup}");
    let pairs: Vec<(&str, Option<IpAddr>)> =
        nameservers.iter().map(|n| (n.as_str(), None)).collect();
    tld.update(|s| s.set_delegation("test", "example.test", &pairs, 120))
        .expect("delegate to Route 53");
    let delegated = check();
    assert_eq!(delegated["verify"][0], 200, "{delegated}");
    assert_eq!(delegated["certificate"], "ISSUED", "{delegated}");
    assert!(
        tld.queries()
            .iter()
            .any(|q| q.local == tld.addr(tld_ip) && q.rtype == "NS" && !q.tcp),
        "the emulator asked the TLD server with a UDP NS query: {:?}",
        tld.queries()
    );
    drop(tld);
    drop(rt);
}

/// What the Route 53 scripts start with: `change(zone, action, name, kind, value)`, one record
/// change with a 60 s TTL.
const ROUTE53_PRELUDE: &str = r#"
import json, boto3, botocore
out = {}
def change(zone, action, name, kind, value):
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": action, "ResourceRecordSet": {"Name": name, "Type": kind, "TTL": 60,
                                                "ResourceRecords": [{"Value": value}]}}]})
r53 = boto3.client("route53")
"#;

const NOT_EMPTY_SCRIPT: &str = r#"
zone = r53.create_hosted_zone(Name="example.test", CallerReference="not-empty")["HostedZone"]["Id"]
change(zone, "CREATE", "www.example.test", "A", "192.0.2.1")
out["zone_with_a_record"] = code(lambda: r53.delete_hosted_zone(Id=zone))
change(zone, "DELETE", "www.example.test", "A", "192.0.2.1")
change(zone, "CREATE", "dev.example.test", "NS", "ns1.elsewhere.test")
out["zone_with_subdomain_ns"] = code(lambda: r53.delete_hosted_zone(Id=zone))
change(zone, "DELETE", "dev.example.test", "NS", "ns1.elsewhere.test")
out["zone_with_its_own_soa_and_ns_only"] = code(lambda: r53.delete_hosted_zone(Id=zone))

s3 = boto3.client("s3")
s3.create_bucket(Bucket="plain-bucket")
s3.put_object(Bucket="plain-bucket", Key="index.html", Body=b"hi")
out["bucket_with_an_object"] = code(lambda: s3.delete_bucket(Bucket="plain-bucket"))
s3.delete_object(Bucket="plain-bucket", Key="index.html")
out["bucket_emptied"] = code(lambda: s3.delete_bucket(Bucket="plain-bucket"))

s3.create_bucket(Bucket="versioned-bucket")
s3.put_bucket_versioning(Bucket="versioned-bucket", VersioningConfiguration={"Status": "Enabled"})
first = s3.put_object(Bucket="versioned-bucket", Key="state", Body=b"1")["VersionId"]
second = s3.put_object(Bucket="versioned-bucket", Key="state", Body=b"2")["VersionId"]
marker = s3.delete_object(Bucket="versioned-bucket", Key="state")["VersionId"]
out["no_current_objects"] = s3.list_objects_v2(Bucket="versioned-bucket")["KeyCount"]
out["bucket_with_versions_and_a_delete_marker"] = code(
    lambda: s3.delete_bucket(Bucket="versioned-bucket"))
for version in (first, second):
    s3.delete_object(Bucket="versioned-bucket", Key="state", VersionId=version)
out["bucket_with_a_delete_marker_only"] = code(lambda: s3.delete_bucket(Bucket="versioned-bucket"))
s3.delete_object(Bucket="versioned-bucket", Key="state", VersionId=marker)
out["versioned_bucket_emptied"] = code(lambda: s3.delete_bucket(Bucket="versioned-bucket"))

# Versioning suspended (as a destroy does before the bucket goes): the old versions and delete
# markers stay, and each is deleted by its version id, one at a time.
s3.create_bucket(Bucket="suspended-bucket")
s3.put_bucket_versioning(Bucket="suspended-bucket", VersioningConfiguration={"Status": "Enabled"})
s3.put_object(Bucket="suspended-bucket", Key="lock", Body=b"1")
s3.put_object(Bucket="suspended-bucket", Key="lock", Body=b"2")
s3.delete_object(Bucket="suspended-bucket", Key="lock")
s3.put_bucket_versioning(Bucket="suspended-bucket", VersioningConfiguration={"Status": "Suspended"})
listed = s3.list_object_versions(Bucket="suspended-bucket")
kept = [v["VersionId"] for v in listed.get("Versions", [])]
markers = [m["VersionId"] for m in listed.get("DeleteMarkers", [])]
out["suspended_kept"] = [len(kept), len(markers)]
out["suspended_delete_marker"] = code(lambda: s3.delete_objects(Bucket="suspended-bucket",
    Delete={"Objects": [{"Key": "lock", "VersionId": markers[0]}]}))
left = s3.list_object_versions(Bucket="suspended-bucket")
out["suspended_left"] = [len(left.get("Versions", [])), len(left.get("DeleteMarkers", []))]
for version in kept:
    s3.delete_object(Bucket="suspended-bucket", Key="lock", VersionId=version)
out["suspended_bucket_emptied"] = code(lambda: s3.delete_bucket(Bucket="suspended-bucket"))
print(json.dumps(out))
"#;

/// Things in use cannot be deleted: a hosted zone with records other than its own SOA and NS
/// (moto lets a subdomain's NS records through: siteup's rule), a bucket with objects, object
/// versions or delete markers (moto's own rule, kept by this test).
#[test]
fn zones_and_buckets_that_hold_something_cannot_be_deleted() {
    let emulator = start();
    let out = boto3(
        &emulator,
        &format!("{ROUTE53_PRELUDE}{NOT_EMPTY_SCRIPT}"),
        &[],
    );
    for key in ["zone_with_a_record", "zone_with_subdomain_ns"] {
        assert!(
            said(&out, key).starts_with("HostedZoneNotEmpty"),
            "{key}: {out}"
        );
    }
    assert_eq!(
        said(&out, "zone_with_its_own_soa_and_ns_only"),
        "ok",
        "{out}"
    );
    assert_eq!(out["no_current_objects"], 0, "{out}");
    for key in [
        "bucket_with_an_object",
        "bucket_with_versions_and_a_delete_marker",
        "bucket_with_a_delete_marker_only",
    ] {
        assert!(
            said(&out, key).starts_with("BucketNotEmpty"),
            "{key}: {out}"
        );
    }
    assert_eq!(said(&out, "bucket_emptied"), "ok", "{out}");
    assert_eq!(said(&out, "versioned_bucket_emptied"), "ok", "{out}");
    // Versioning suspended: a delete marker goes by its id and the versions stay (moto dropped
    // them all and answered HTTP 500).
    assert_eq!(out["suspended_kept"], serde_json::json!([2, 1]), "{out}");
    assert_eq!(said(&out, "suspended_delete_marker"), "ok", "{out}");
    assert_eq!(out["suspended_left"], serde_json::json!([2, 0]), "{out}");
    assert_eq!(said(&out, "suspended_bucket_emptied"), "ok", "{out}");
}

const RECREATE_SCRIPT: &str = r#"
zone = r53.create_hosted_zone(Name="example.test", CallerReference="recreate")["HostedZone"]["Id"]
change(zone, "CREATE", "mail.example.test", "MX", "10 feedback-smtp.example.test")
change(zone, "CREATE", "www.example.test", "A", "192.0.2.1")
change(zone, "DELETE", "mail.example.test", "MX", "10 feedback-smtp.example.test")
# The same record again, after it was deleted, with another record sorting after it.
out["recreated"] = code(lambda: change(zone, "CREATE", "mail.example.test", "MX",
                                       "10 feedback-smtp.example.test"))
out["duplicate"] = code(lambda: change(zone, "CREATE", "mail.example.test", "MX",
                                       "10 feedback-smtp.example.test"))
out["other_type"] = code(lambda: change(zone, "CREATE", "mail.example.test", "TXT", '"v=spf1 -all"'))
sets = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
out["listed"] = sorted(f'{r["Name"]} {r["Type"]}' for r in sets)
print(json.dumps(out))
"#;

/// A record created, deleted and created again (what a rebuild after `siteup destroy` does in
/// the kept zone) is accepted; a CREATE is refused only while that name and type exist. moto
/// refused the second CREATE whenever any record sorted after it.
#[test]
fn a_deleted_record_can_be_created_again_and_only_an_existing_one_is_refused() {
    let emulator = start();
    let out = boto3(
        &emulator,
        &format!("{ROUTE53_PRELUDE}{RECREATE_SCRIPT}"),
        &[],
    );
    assert_eq!(said(&out, "recreated"), "ok", "{out}");
    assert!(
        said(&out, "duplicate").starts_with("InvalidChangeBatch"),
        "{out}"
    );
    assert_eq!(said(&out, "other_type"), "ok", "{out}");
    assert_eq!(
        out["listed"],
        serde_json::json!([
            "example.test. NS",
            "example.test. SOA",
            "mail.example.test. MX",
            "mail.example.test. TXT",
            "www.example.test. A"
        ]),
        "{out}"
    );
}

const PROTECTED_SCRIPT: &str = r#"
import json, boto3, botocore
out = {}
ddb = boto3.client("dynamodb")
ddb.create_table(TableName="site", BillingMode="PAY_PER_REQUEST",
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], DeletionProtectionEnabled=True)
out["protected_table"] = code(lambda: ddb.delete_table(TableName="site"))
ddb.update_table(TableName="site", DeletionProtectionEnabled=False)
out["unprotected_table"] = code(lambda: ddb.delete_table(TableName="site"))
idp = boto3.client("cognito-idp")
pool = idp.create_user_pool(PoolName="site", DeletionProtection="ACTIVE")["UserPool"]["Id"]
out["protected_pool"] = code(lambda: idp.delete_user_pool(UserPoolId=pool))
out["pool_still_there"] = idp.describe_user_pool(UserPoolId=pool)["UserPool"]["Id"] == pool
idp.update_user_pool(UserPoolId=pool, DeletionProtection="INACTIVE")
idp.create_user_pool_domain(Domain="site-auth", UserPoolId=pool)
out["pool_with_domain"] = code(lambda: idp.delete_user_pool(UserPoolId=pool))
idp.delete_user_pool_domain(Domain="site-auth", UserPoolId=pool)
out["unprotected_pool"] = code(lambda: idp.delete_user_pool(UserPoolId=pool))
print(json.dumps(out))
"#;

/// Deletion protection, which the generator turns on for the table and the user pool: a
/// protected DynamoDB table (moto's own rule, kept here) or Cognito user pool (siteup's rule)
/// cannot be deleted until the protection is turned off; nor a pool that still has a domain.
#[test]
fn protected_tables_and_user_pools_cannot_be_deleted() {
    let emulator = start();
    let out = boto3(&emulator, PROTECTED_SCRIPT, &[]);
    assert!(
        said(&out, "protected_table").starts_with("ValidationException"),
        "{out}"
    );
    assert_eq!(said(&out, "unprotected_table"), "ok", "{out}");
    assert!(
        said(&out, "protected_pool").starts_with("InvalidParameterException")
            && said(&out, "protected_pool").contains("deletion protection is activated"),
        "{out}"
    );
    assert_eq!(out["pool_still_there"], true, "{out}");
    // A pool is deleted after its domain (moto deleted it with its domain still there).
    assert_eq!(
        said(&out, "pool_with_domain"),
        "InvalidParameterException: User pool cannot be deleted. It has a domain configured that should be deleted first.",
        "{out}"
    );
    assert_eq!(said(&out, "unprotected_pool"), "ok", "{out}");
}

const NEW_ACCOUNT_SCRIPT: &str = r#"
import json, os, urllib.request, boto3, botocore
out = {}
def control(path, body):
    request = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + "/_siteup/" + path,
        data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        return e.code
def code(f):
    try:
        f()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return "%s %s: %s" % (e.response["ResponseMetadata"]["HTTPStatusCode"],
                              e.response["Error"]["Code"], e.response["Error"]["Message"])
cf = boto3.client("cloudfront")
def config(ref):
    return {"CallerReference": ref, "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "site.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
out["bad_switch"] = control("account", {"cloudfront_verified": "no"})
out["switch_off"] = control("account", {"cloudfront_verified": False})
out["create_new_account"] = code(lambda: cf.create_distribution(DistributionConfig=config("a")))
out["create_with_tags_new_account"] = code(lambda: cf.create_distribution_with_tags(
    DistributionConfigWithTags={"DistributionConfig": config("b"),
                                "Tags": {"Items": [{"Key": "site", "Value": "x"}]}}))
out["distributions_new_account"] = cf.list_distributions()["DistributionList"].get("Quantity", 0)
out["switch_on"] = control("account", {"cloudfront_verified": True})
out["create_verified"] = code(lambda: cf.create_distribution(DistributionConfig=config("c")))
control("account", {"cloudfront_verified": False})
control("reset", {})
out["create_after_reset"] = code(lambda: cf.create_distribution(DistributionConfig=config("d")))
print(json.dumps(out))
"#;

/// A new AWS account cannot create CloudFront distributions until AWS Support verifies it: the
/// control endpoint's switch plays such an account (HTTP 403 AccessDenied, AWS's own message).
#[test]
fn a_new_account_cannot_create_a_cloudfront_distribution_until_verified() {
    let emulator = start();
    let out = boto3(&emulator, NEW_ACCOUNT_SCRIPT, &[]);
    assert_eq!(out["bad_switch"], 400, "{out}");
    assert_eq!(out["switch_off"], 200, "{out}");
    for key in ["create_new_account", "create_with_tags_new_account"] {
        assert_eq!(
            said(&out, key),
            "403 AccessDenied: Your account must be verified before you can add new CloudFront resources. To verify your account, please contact AWS Support (https://console.aws.amazon.com/support/home#/) and include this error message.",
            "{key}: {out}"
        );
    }
    assert_eq!(out["distributions_new_account"], 0, "{out}");
    assert_eq!(out["switch_on"], 200, "{out}");
    assert_eq!(said(&out, "create_verified"), "ok", "{out}");
    assert_eq!(said(&out, "create_after_reset"), "ok", "{out}");
}

/// `get(host, path, ca)`: a GET over TLS to the emulator's HTTPS edge with `host` as the SNI
/// name and Host header, trusting `ca` (the sandbox CA by default): `{"status", "via",
/// "x_cache", "body"}`, or `{"error": ...}` when the handshake fails.
const EDGE_PRELUDE: &str = r#"
import socket, ssl
EDGE = ctl("health")[1]["edge"]
def get(host, path="/", ca=EDGE["ca_file"]):
    ctx = ssl.create_default_context(cafile=ca)
    try:
        raw = socket.create_connection(("127.0.0.1", EDGE["port"]), timeout=5)
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    except (ssl.SSLError, OSError) as e:
        return {"error": type(e).__name__}
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return {"status": int(lines[0].split()[1]), "via": headers.get("via", ""),
            "x_cache": headers.get("x-cache", ""), "body": body.decode(errors="replace")}
cf = boto3.client("cloudfront")
status = lambda dist: cf.get_distribution(Id=dist)["Distribution"]["Status"]
"#;

const EDGE_SETUP_SCRIPT: &str = r#"
acm, r53, s3 = (boto3.client(n) for n in ("acm", "route53", "s3"))
out = {}
cert = acm.request_certificate(DomainName="example.test", ValidationMethod="DNS",
                               SubjectAlternativeNames=["www.example.test"])["CertificateArn"]
publish(r53, "example.test", validation_records(acm, cert))
s3.create_bucket(Bucket="site-bucket")
s3.put_object(Bucket="site-bucket", Key="index.html", Body=b"<h1>hello</h1>", ContentType="text/html")
config = {"CallerReference": "site", "Comment": "", "Enabled": True, "DefaultRootObject": "index.html",
    "Aliases": {"Quantity": 2, "Items": ["example.test", "www.example.test"]},
    "Origins": {"Quantity": 1, "Items": [{"Id": "site-bucket",
        "DomainName": "site-bucket.s3.us-east-1.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
    "DefaultCacheBehavior": {"TargetOriginId": "site-bucket", "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    "ViewerCertificate": {"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021"}}
made = cf.create_distribution(DistributionConfig=config)["Distribution"]
out["dist"] = made["Id"]
out["created"] = made["Status"]
# moto's own state manager says Deployed on the first read; real AWS takes minutes.
out["read"] = [status(made["Id"]), status(made["Id"])]
out["edge_in_progress"] = get("example.test")
advance(20 / 3600)
out["after_20s"] = status(made["Id"])
print(json.dumps(out))
"#;

const EDGE_DEPLOYED_SCRIPT: &str = r#"
acm = boto3.client("acm")
dist = sys.argv[1]
out = {}
advance(45 / 3600)
out["after_65s"] = status(dist)
out["deployed"] = get("example.test")
out["www_missing_key"] = get("www.example.test", "/missing.html")
out["other_name"] = get("other.example.test")
out["without_the_ca"] = get("example.test", ca=None)
etag = cf.get_distribution_config(Id=dist)["ETag"]
config = cf.get_distribution_config(Id=dist)["DistributionConfig"]
config["Comment"] = "changed"
out["updated"] = cf.update_distribution(Id=dist, IfMatch=etag, DistributionConfig=config)["Distribution"]["Status"]
out["read_after_update"] = status(dist)
out["edge_during_update"] = get("example.test")["status"]
advance(31 / 3600)
out["after_update_deployed"] = status(dist)
print(json.dumps(out))
"#;

const CLOUDFRONT_DELETE_SCRIPT: &str = r#"
cf = boto3.client("cloudfront")
out = {}
def status_code(f):
    try:
        f()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return "%s %s" % (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
config = {"CallerReference": "gone", "Comment": "", "Enabled": True,
    "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "site.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
    "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
dist = cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
advance(31 / 3600)
etag = lambda: cf.get_distribution_config(Id=dist)["ETag"]
out["enabled"] = status_code(lambda: cf.delete_distribution(Id=dist, IfMatch=etag()))
current = cf.get_distribution_config(Id=dist)
current["DistributionConfig"]["Enabled"] = False
cf.update_distribution(Id=dist, IfMatch=current["ETag"], DistributionConfig=current["DistributionConfig"])
out["disabling"] = status_code(lambda: cf.delete_distribution(Id=dist, IfMatch=etag()))
advance(31 / 3600)
out["disabled"] = status_code(lambda: cf.delete_distribution(Id=dist, IfMatch=etag()))
out["left"] = cf.list_distributions()["DistributionList"].get("Quantity", 0)
print(json.dumps(out))
"#;

/// CloudFront deletes a distribution only once it is disabled and the disable has deployed
/// (DistributionNotDisabled, HTTP 409, before that); moto deletes an enabled one.
#[test]
fn cloudfront_deletes_only_a_disabled_deployed_distribution() {
    let emulator = start();
    let out = clock_script(&emulator, CLOUDFRONT_DELETE_SCRIPT, &[]);
    assert_eq!(out["enabled"], "409 DistributionNotDisabled", "{out}");
    assert_eq!(out["disabling"], "409 DistributionNotDisabled", "{out}");
    assert_eq!(out["disabled"], "ok", "{out}");
    assert_eq!(out["left"], 0, "{out}");
}

/// CloudFront deploys for a while after a create or an update (moto: Deployed at once), and the
/// emulator's HTTPS edge answers for the distribution's aliases only once it is deployed and its
/// certificate issued, with CloudFront's headers and a certificate signed by the sandbox CA;
/// siteup's probe (rustls, the sandbox CA, the edge's address) sees the same.
#[test]
fn cloudfront_deploys_on_the_emulator_clock_and_the_edge_answers_only_once_deployed() {
    use siteup::effects::edge::{HttpsProbe, ProbeRoute, SiteAnswer, SiteProbe};
    let emulator = start();
    let edge = emulator.edge().expect("the emulator's HTTPS edge");
    let probe = HttpsProbe::new(ProbeRoute {
        connect_to: Some(edge.address),
        trusted_ca: Some(edge.ca_file.clone()),
    });
    let ask = |probe: &HttpsProbe| block_on(probe.get("example.test".into()));
    let edge_script = |script: &str, args: &[&str]| {
        clock_script(&emulator, &format!("{EDGE_PRELUDE}\n{script}"), args)
    };

    let out = edge_script(EDGE_SETUP_SCRIPT, &[]);
    assert_eq!(out["created"], "InProgress", "{out}");
    assert_eq!(
        out["read"],
        serde_json::json!(["InProgress", "InProgress"]),
        "{out}"
    );
    assert_eq!(out["after_20s"], "InProgress", "{out}");
    assert_eq!(out["edge_in_progress"]["error"], "SSLError", "{out}");
    assert!(
        matches!(ask(&probe), SiteAnswer::NoAnswer { .. }),
        "the probe must not get an answer before the deployment"
    );

    let out = edge_script(EDGE_DEPLOYED_SCRIPT, &[&said(&out, "dist")]);
    assert_eq!(out["after_65s"], "Deployed", "{out}");
    let deployed = &out["deployed"];
    assert_eq!(deployed["status"], 200, "{out}");
    assert_eq!(deployed["body"], "<h1>hello</h1>", "{out}");
    assert!(said(deployed, "via").ends_with("(CloudFront)"), "{out}");
    let missing = &out["www_missing_key"];
    assert_eq!(missing["status"], 403, "{out}");
    assert!(
        said(missing, "body").contains("<Code>AccessDenied</Code>"),
        "{out}"
    );
    assert_eq!(missing["x_cache"], "Error from cloudfront", "{out}");
    assert_eq!(out["other_name"]["error"], "SSLError", "{out}");
    assert_eq!(
        out["without_the_ca"]["error"], "SSLCertVerificationError",
        "{out}"
    );
    assert_eq!(out["updated"], "InProgress", "{out}");
    assert_eq!(out["read_after_update"], "InProgress", "{out}");
    assert_eq!(out["edge_during_update"], 200, "{out}");
    assert_eq!(out["after_update_deployed"], "Deployed", "{out}");

    assert_eq!(ask(&probe), SiteAnswer::CloudFront { status: 200 });
    // The same edge, without the sandbox CA: the web's roots do not know it.
    let untrusted = HttpsProbe::new(ProbeRoute {
        connect_to: Some(edge.address),
        trusted_ca: None,
    });
    match ask(&untrusted) {
        SiteAnswer::NoAnswer { problem } => {
            assert!(
                problem.to_lowercase().contains("certificate") || problem.contains("Unknown"),
                "{problem}"
            );
        }
        other => panic!("an untrusted certificate must be no answer, got {other:?}"),
    }
}

const SNS_SCRIPT: &str = r#"
sns = boto3.client("sns", region_name="eu-west-1")
out = {}
topic = sns.create_topic(Name="example-com-alerts")["TopicArn"]
def attrs(arn):
    return sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
def listed():
    return [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]]
def mails(endpoint, kind):
    return [m for m in ctl("sns/messages")[1]["messages"] if m["endpoint"] == endpoint and m["kind"] == kind]
owner = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="owner@elsewhere.net",
                      ReturnSubscriptionArn=True)["SubscriptionArn"]
out["owner_pending"] = attrs(owner)["PendingConfirmation"]
out["listed_pending"] = listed()
# Subscribing again while pending is the resend: a new mail, still one subscription.
out["resubscribe_answer"] = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="owner@elsewhere.net")["SubscriptionArn"]
out["subscriptions_after_resend"] = len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"])
confirmations = mails("owner@elsewhere.net", "confirmation")
out["confirmation_mails"] = len(confirmations)
out["confirmation_subject"] = confirmations[0]["subject"]
out["token_in_link"] = confirmations[-1]["token"] in confirmations[-1]["message"]
# Nothing reaches a pending subscription.
sns.publish(TopicArn=topic, Subject="Before", Message="not delivered")
out["notifications_while_pending"] = len(mails("owner@elsewhere.net", "notification"))
out["bad_token"] = code(lambda: sns.confirm_subscription(TopicArn=topic, Token="0" * 128))
out["confirmed_arn"] = sns.confirm_subscription(TopicArn=topic, Token=confirmations[0]["token"])["SubscriptionArn"]
out["owner_arn"] = owner
out["owner_after_token"] = attrs(owner)["PendingConfirmation"]
out["listed_confirmed"] = listed()
# A second address, confirmed through the control endpoint (the owner clicking the link).
second = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="second@elsewhere.net",
                       ReturnSubscriptionArn=True)["SubscriptionArn"]
out["second"] = second
print(json.dumps(out))
"#;

const SNS_LATER_SCRIPT: &str = r#"
sns = boto3.client("sns", region_name="eu-west-1")
topic = [t["TopicArn"] for t in sns.list_topics()["Topics"]][0]
out = {}
out["second_after_control"] = sns.get_subscription_attributes(SubscriptionArn=sys.argv[1])["Attributes"]["PendingConfirmation"]
sns.publish(TopicArn=topic, Subject="Test alarm", Message="The path works.")
late = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="late@elsewhere.net",
                     ReturnSubscriptionArn=True)["SubscriptionArn"]
advance(47)
out["late_at_47h"] = sns.get_subscription_attributes(SubscriptionArn=late)["Attributes"]["PendingConfirmation"]
advance(1.5)
out["late_after_48h"] = code(lambda: sns.get_subscription_attributes(SubscriptionArn=late))
out["late_confirm"] = ctl("sns/confirm", {"endpoint": "late@elsewhere.net"})
out["subscriptions"] = len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"])
print(json.dumps(out))
"#;

/// An email subscription is pending until its owner clicks the link SNS mailed (moto confirms
/// it at once); the mails SNS sends are recorded, and a pending one is deleted after 48 hours.
#[test]
fn sns_email_subscriptions_wait_for_their_owner_and_the_mail_is_recorded() {
    use siteup::sandbox::emulator::SnsMailKind;
    let emulator = start();
    let out = clock_script(&emulator, SNS_SCRIPT, &[]);
    assert_eq!(out["owner_pending"], "true", "{out}");
    assert_eq!(
        out["listed_pending"],
        serde_json::json!(["PendingConfirmation"])
    );
    assert_eq!(out["resubscribe_answer"], "pending confirmation", "{out}");
    assert_eq!(out["subscriptions_after_resend"], 1, "{out}");
    assert_eq!(out["confirmation_mails"], 2, "{out}");
    assert_eq!(
        out["confirmation_subject"],
        "AWS Notification - Subscription Confirmation"
    );
    assert_eq!(out["token_in_link"], true, "{out}");
    assert_eq!(out["notifications_while_pending"], 0, "{out}");
    assert_eq!(said(&out, "bad_token"), "InvalidParameter: Invalid token");
    assert_eq!(out["confirmed_arn"], out["owner_arn"], "{out}");
    assert_eq!(out["owner_after_token"], "false", "{out}");
    assert_eq!(
        out["listed_confirmed"],
        serde_json::json!([out["owner_arn"]])
    );

    // The second owner clicks the link: the control endpoint confirms it.
    let second = said(&out, "second");
    let confirmed = emulator
        .confirm_sns_subscriptions("second@elsewhere.net", None)
        .expect("control: confirm");
    assert_eq!(confirmed, vec![second.clone()]);
    // Clicking again confirms nothing new, and says so without an error.
    let again = emulator
        .confirm_sns_subscriptions("second@elsewhere.net", None)
        .expect("control: confirm again");
    assert!(again.is_empty(), "{again:?}");

    let later = clock_script(&emulator, SNS_LATER_SCRIPT, &[&second]);
    assert_eq!(later["second_after_control"], "false", "{later}");
    assert_eq!(later["late_at_47h"], "true", "{later}");
    assert_eq!(
        said(&later, "late_after_48h"),
        "NotFound: Subscription does not exist"
    );
    assert_eq!(later["late_confirm"][0], 404, "{later}");
    assert_eq!(later["subscriptions"], 2, "{later}");

    // The test alarm reached both confirmed addresses, and nobody else.
    let mails = emulator.sns_messages().expect("control: messages");
    let notifications: Vec<_> = mails
        .iter()
        .filter(|m| m.kind == SnsMailKind::Notification)
        .collect();
    let mut to: Vec<&str> = notifications.iter().map(|m| m.endpoint.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["owner@elsewhere.net", "second@elsewhere.net"]);
    for mail in &notifications {
        assert_eq!(mail.subject.as_deref(), Some("Test alarm"));
        assert_eq!(mail.message, "The path works.");
        assert!(mail.topic_arn.ends_with(":example-com-alerts"), "{mail:?}");
    }
    assert!(
        mails
            .iter()
            .any(|m| m.endpoint == "late@elsewhere.net" && m.kind == SnsMailKind::Confirmation)
    );
    emulator.reset().expect("control reset");
    assert!(emulator.sns_messages().expect("messages").is_empty());
}

const SES_EVENTS_SCRIPT: &str = r#"
ses = boto3.client("sesv2", region_name="eu-west-1")
sns = boto3.client("sns", region_name="eu-west-1")
out = {}
topic = sns.create_topic(Name="example-com-alerts")["TopicArn"]
sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="owner@elsewhere.net")
assert ctl("sns/confirm", {"endpoint": "owner@elsewhere.net"})[0] == 200
ses.create_configuration_set(
    ConfigurationSetName="example-com",
    ReputationOptions={"ReputationMetricsEnabled": True},
    SendingOptions={"SendingEnabled": True},
    SuppressionOptions={"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
    Tags=[{"Key": "Project", "Value": "example-com"}])
got = ses.get_configuration_set(ConfigurationSetName="example-com")
out["sending"] = got["SendingOptions"]
out["reputation"] = got["ReputationOptions"]["ReputationMetricsEnabled"]
out["suppression"] = got["SuppressionOptions"]["SuppressedReasons"]
out["tracking_left_out"] = "TrackingOptions" not in got
out["tags"] = ses.list_tags_for_resource(
    ResourceArn="arn:aws:ses:eu-west-1:123456789012:configuration-set/example-com")["Tags"]
ses.put_configuration_set_sending_options(ConfigurationSetName="example-com", SendingEnabled=False)
out["sending_after_put"] = ses.get_configuration_set(ConfigurationSetName="example-com")["SendingOptions"]
ses.put_configuration_set_sending_options(ConfigurationSetName="example-com", SendingEnabled=True)
# Naming a configuration set that does not exist is refused.
out["identity_missing_set"] = code(lambda: ses.create_email_identity(
    EmailIdentity="sender@elsewhere.net", ConfigurationSetName="nope"))
out["identity_after_refusal"] = code(lambda: ses.get_email_identity(EmailIdentity="sender@elsewhere.net"))
ses.create_email_identity(EmailIdentity="sender@elsewhere.net", ConfigurationSetName="example-com")
out["identity_set"] = ses.get_email_identity(EmailIdentity="sender@elsewhere.net").get("ConfigurationSetName")
out["put_missing_set"] = code(lambda: ses.put_email_identity_configuration_set_attributes(
    EmailIdentity="sender@elsewhere.net", ConfigurationSetName="nope"))
ses.put_email_identity_configuration_set_attributes(EmailIdentity="sender@elsewhere.net")
out["identity_set_cleared"] = ses.get_email_identity(EmailIdentity="sender@elsewhere.net").get("ConfigurationSetName")
ses.put_email_identity_configuration_set_attributes(
    EmailIdentity="sender@elsewhere.net", ConfigurationSetName="example-com")
dest = {"Enabled": True, "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
        "SnsDestination": {"TopicArn": topic}}
out["dest_missing_set"] = code(lambda: ses.create_configuration_set_event_destination(
    ConfigurationSetName="nope", EventDestinationName="alerts", EventDestination=dest))
ses.create_configuration_set_event_destination(
    ConfigurationSetName="example-com", EventDestinationName="alerts", EventDestination=dest)
out["dest_again"] = code(lambda: ses.create_configuration_set_event_destination(
    ConfigurationSetName="example-com", EventDestinationName="alerts", EventDestination=dest))
out["dests"] = ses.get_configuration_set_event_destinations(ConfigurationSetName="example-com")["EventDestinations"]
ses.put_account_suppression_attributes(SuppressedReasons=["BOUNCE"])
out["account_reasons"] = ses.get_account()["SuppressionAttributes"]["SuppressedReasons"]
# The mailbox simulator: sent with the identity's default configuration set.
def send(to):
    ses.send_email(FromEmailAddress="sender@elsewhere.net", Destination={"ToAddresses": [to]},
                   Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hi"}}}})
send("bounce@simulator.amazonses.com")
send("complaint+label@simulator.amazonses.com")
send("success@simulator.amazonses.com")
events = [json.loads(m["message"]) for m in ctl("sns/messages")[1]["messages"] if m["kind"] == "notification"]
out["event_types"] = [e["eventType"] for e in events]
out["bounced"] = events[0]["bounce"]["bouncedRecipients"][0]["emailAddress"]
out["bounce_type"] = events[0]["bounce"]["bounceType"]
out["complained"] = events[1]["complaint"]["complainedRecipients"][0]["emailAddress"]
out["event_set"] = events[0]["mail"]["tags"]["ses:configuration-set"]
out["event_source"] = events[0]["mail"]["source"]
out["suppressed_after_simulator"] = ses.list_suppressed_destinations()["SuppressedDestinationSummaries"]
print(json.dumps(out))
"#;

const SES_BOUNCE_SCRIPT: &str = r#"
ses = boto3.client("sesv2", region_name="eu-west-1")
out = {}
out["listed"] = [(d["EmailAddress"], d["Reason"]) for d in ses.list_suppressed_destinations()["SuppressedDestinationSummaries"]]
out["got"] = ses.get_suppressed_destination(EmailAddress="gone@real.example")["SuppressedDestination"]["Reason"]
out["other"] = code(lambda: ses.get_suppressed_destination(EmailAddress="fine@real.example"))
ses.delete_suppressed_destination(EmailAddress="gone@real.example")
out["after_delete"] = len(ses.list_suppressed_destinations()["SuppressedDestinationSummaries"])
print(json.dumps(out))
"#;

/// SESv2 configuration sets read back as they were given, event destinations, the account's
/// suppression attributes; mail to the mailbox simulator's bounce and complaint addresses
/// publishes SES's events to the alerts topic (and never suppresses the simulator), and an
/// injected real bounce lands on the suppression list.
#[test]
fn ses_bounces_and_complaints_reach_the_topic_and_the_suppression_list() {
    let emulator = start();
    let out = clock_script(&emulator, SES_EVENTS_SCRIPT, &[]);
    assert_eq!(out["sending"], serde_json::json!({"SendingEnabled": true}));
    assert_eq!(out["reputation"], true, "{out}");
    assert_eq!(
        out["suppression"],
        serde_json::json!(["BOUNCE", "COMPLAINT"])
    );
    assert_eq!(out["tracking_left_out"], true, "{out}");
    assert_eq!(
        out["tags"],
        serde_json::json!([{"Key": "Project", "Value": "example-com"}])
    );
    assert_eq!(
        out["sending_after_put"],
        serde_json::json!({"SendingEnabled": false})
    );
    assert!(
        said(&out, "identity_missing_set").starts_with("NotFoundException"),
        "{out}"
    );
    assert!(
        said(&out, "identity_after_refusal").starts_with("NotFoundException"),
        "{out}"
    );
    assert_eq!(out["identity_set"], "example-com");
    assert!(
        said(&out, "put_missing_set").starts_with("NotFoundException"),
        "{out}"
    );
    assert_eq!(out["identity_set_cleared"], Value::Null, "{out}");
    assert!(
        said(&out, "dest_missing_set").starts_with("NotFoundException"),
        "{out}"
    );
    assert!(
        said(&out, "dest_again").starts_with("AlreadyExistsException"),
        "{out}"
    );
    assert_eq!(out["dests"][0]["Name"], "alerts");
    assert_eq!(out["dests"][0]["Enabled"], true);
    assert_eq!(
        out["dests"][0]["MatchingEventTypes"],
        serde_json::json!(["BOUNCE", "COMPLAINT"])
    );
    assert_eq!(out["account_reasons"], serde_json::json!(["BOUNCE"]));
    assert_eq!(
        out["event_types"],
        serde_json::json!(["Bounce", "Complaint"]),
        "{out}"
    );
    assert_eq!(out["bounced"], "bounce@simulator.amazonses.com");
    assert_eq!(out["bounce_type"], "Permanent");
    assert_eq!(out["complained"], "complaint+label@simulator.amazonses.com");
    assert_eq!(out["event_set"], serde_json::json!(["example-com"]));
    assert_eq!(out["event_source"], "sender@elsewhere.net");
    assert_eq!(out["suppressed_after_simulator"], serde_json::json!([]));

    // A real address bounces: suppressed (the account suppresses BOUNCE) and published.
    let bounced = emulator
        .inject_ses_bounce("gone@real.example")
        .expect("control: bounce");
    assert_eq!(bounced.len(), 1, "{bounced:?}");
    assert_eq!(bounced[0].region, "eu-west-1");
    assert!(bounced[0].suppressed);
    assert_eq!(bounced[0].published.len(), 1);
    assert!(bounced[0].published[0].ends_with(":example-com-alerts"));
    let last = emulator.sns_messages().expect("messages");
    let event: Value =
        serde_json::from_str(&last.last().expect("a mail").message).expect("event JSON");
    assert_eq!(event["eventType"], "Bounce");
    assert_eq!(
        event["bounce"]["bouncedRecipients"][0]["emailAddress"],
        "gone@real.example"
    );
    // The simulator's bounce address never joins the suppression list, even when injected.
    let simulated = emulator
        .inject_ses_bounce("bounce@simulator.amazonses.com")
        .expect("control: simulator bounce");
    assert!(!simulated[0].suppressed, "{simulated:?}");
    let out = boto3(&emulator, SES_BOUNCE_SCRIPT, &[]);
    assert_eq!(
        out["listed"],
        serde_json::json!([["gone@real.example", "BOUNCE"]])
    );
    assert_eq!(out["got"], "BOUNCE");
    assert!(
        said(&out, "other").starts_with("NotFoundException"),
        "{out}"
    );
    assert_eq!(out["after_delete"], 0);
}

const CLOUDWATCH_SCRIPT: &str = r#"
cw = boto3.client("cloudwatch", region_name="eu-west-1")
sns_here = boto3.client("sns", region_name="eu-west-1")
sns_east = boto3.client("sns", region_name="us-east-1")
here = sns_here.create_topic(Name="alerts")["TopicArn"]
east = sns_east.create_topic(Name="alerts-edge")["TopicArn"]
out = {}
def put(actions, threshold=0.025):
    cw.put_metric_alarm(AlarmName="example-com-ses-bounce-rate", Namespace="AWS/SES",
        MetricName="Reputation.BounceRate", Statistic="Average", Period=3600, EvaluationPeriods=1,
        Threshold=threshold, ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching", AlarmActions=actions, OKActions=actions,
        Tags=[{"Key": "Project", "Value": "example-com"}])
out["other_region"] = code(lambda: put([east]))
out["after_refusal"] = len(cw.describe_alarms()["MetricAlarms"])
put([here])
alarm = cw.describe_alarms(AlarmNames=["example-com-ses-bounce-rate"])["MetricAlarms"][0]
out["state"] = alarm["StateValue"]
out["actions"] = alarm["AlarmActions"]
out["tags"] = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
cw.set_alarm_state(AlarmName="example-com-ses-bounce-rate", StateValue="ALARM", StateReason="test")
put([here], threshold=0.02)
alarm = cw.describe_alarms(AlarmNames=["example-com-ses-bounce-rate"])["MetricAlarms"][0]
out["state_after_update"] = alarm["StateValue"]
out["threshold_after_update"] = alarm["Threshold"]
cw.delete_alarms(AlarmNames=["example-com-ses-bounce-rate"])
out["after_delete"] = len(cw.describe_alarms()["MetricAlarms"])
print(json.dumps(out))
"#;

/// A new alarm is INSUFFICIENT_DATA (moto: OK) and an update keeps its state; an alarm's SNS
/// action must be a topic of the alarm's own region.
#[test]
fn cloudwatch_alarms_start_without_data_and_act_only_in_their_region() {
    let emulator = start();
    let out = boto3(&emulator, CLOUDWATCH_SCRIPT, &[]);
    assert_eq!(
        said(&out, "other_region"),
        "ValidationError: Invalid region us-east-1 specified. Only eu-west-1 is supported."
    );
    assert_eq!(out["after_refusal"], 0);
    assert_eq!(out["state"], "INSUFFICIENT_DATA", "{out}");
    assert_eq!(
        out["actions"][0],
        "arn:aws:sns:eu-west-1:123456789012:alerts"
    );
    assert_eq!(
        out["tags"],
        serde_json::json!([{"Key": "Project", "Value": "example-com"}])
    );
    assert_eq!(out["state_after_update"], "ALARM", "{out}");
    assert_eq!(out["threshold_after_update"], 0.02);
    assert_eq!(out["after_delete"], 0);
}

fn cloudwatch(emulator: &Emulator, region: &str) -> aws_sdk_cloudwatch::Client {
    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::v2026_01_12())
        .region(aws_sdk_cloudwatch::config::Region::new(region.to_string()))
        .credentials_provider(credentials())
        .endpoint_url(emulator.url())
        .http_client(http_client())
        .build();
    aws_sdk_cloudwatch::Client::from_conf(config)
}

const CLOUDWATCH_QUERY_ALARM_SCRIPT: &str = r#"
cw = boto3.client("cloudwatch", region_name="eu-west-1")
cw.put_metric_alarm(AlarmName="example-com-ses-bounce-rate", Namespace="AWS/SES",
    MetricName="Reputation.BounceRate", Statistic="Average", Period=3600, EvaluationPeriods=1,
    Threshold=0.025, ComparisonOperator="GreaterThanOrEqualToThreshold")
"#;

/// aws-sdk-cloudwatch speaks Smithy RPC v2 CBOR (moto: 404); the emulator bridges it to moto:
/// alarms made by boto3 and by the SDK itself read back through the SDK, with their state and
/// timestamps, an unknown name reads as no alarm, and a refused alarm is the SDK's typed error.
#[test]
fn the_rust_cloudwatch_sdk_reads_and_writes_alarms_over_rpc_v2_cbor() {
    use aws_sdk_cloudwatch::error::ProvideErrorMetadata as _;
    use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};

    let emulator = start();
    boto3(&emulator, CLOUDWATCH_QUERY_ALARM_SCRIPT, &[]);
    let cw = cloudwatch(&emulator, "eu-west-1");
    block_on(async {
        let put = |name: &'static str, action: &'static str| {
            cw.put_metric_alarm()
                .alarm_name(name)
                .namespace("AWS/SES")
                .metric_name("Reputation.ComplaintRate")
                .statistic(Statistic::Average)
                .period(3600)
                .evaluation_periods(1)
                .threshold(0.001)
                .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
                .alarm_actions(action)
                .send()
        };
        if let Err(e) = put(
            "example-com-ses-complaint-rate",
            "arn:aws:sns:eu-west-1:123456789012:alerts",
        )
        .await
        {
            panic!("PutMetricAlarm over CBOR: {e:?}");
        }

        let names = [
            "example-com-ses-bounce-rate",
            "example-com-ses-complaint-rate",
        ];
        let out = match cw
            .describe_alarms()
            .set_alarm_names(Some(names.iter().map(ToString::to_string).collect()))
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => panic!("DescribeAlarms over CBOR: {e:?}"),
        };
        let mut alarms: Vec<_> = out
            .metric_alarms()
            .iter()
            .map(|a| {
                (
                    a.alarm_name().unwrap_or_default().to_string(),
                    a.state_value().cloned(),
                    a.state_updated_timestamp().is_some(),
                    a.alarm_configuration_updated_timestamp().is_some(),
                )
            })
            .collect();
        alarms.sort();
        assert_eq!(
            alarms,
            names
                .iter()
                .map(|n| (
                    n.to_string(),
                    Some(StateValue::InsufficientData),
                    true,
                    true
                ))
                .collect::<Vec<_>>()
        );
        let complaint = out
            .metric_alarms()
            .iter()
            .find(|a| a.alarm_name() == Some(names[1]));
        assert_eq!(
            complaint.map(aws_sdk_cloudwatch::types::MetricAlarm::alarm_actions),
            Some(&["arn:aws:sns:eu-west-1:123456789012:alerts".to_string()][..])
        );
        assert_eq!(
            complaint.and_then(aws_sdk_cloudwatch::types::MetricAlarm::threshold),
            Some(0.001)
        );

        let unknown = match cw
            .describe_alarms()
            .alarm_names("no-such-alarm")
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => panic!("DescribeAlarms of an unknown name: {e:?}"),
        };
        assert!(unknown.metric_alarms().is_empty(), "{unknown:?}");
        assert!(unknown.composite_alarms().is_empty(), "{unknown:?}");

        // A topic of another region: CloudWatch's ValidationError, read by the SDK from the
        // CBOR error (not a 404 the SDK cannot read).
        match put(
            "example-com-cloudfront-5xx",
            "arn:aws:sns:us-east-1:123456789012:alerts-edge",
        )
        .await
        {
            Ok(out) => panic!("a topic of another region was accepted: {out:?}"),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let service = e.as_service_error();
                assert_eq!(status, Some(400), "{e:?}");
                assert_eq!(
                    service.and_then(|s| s.code()),
                    Some("ValidationError"),
                    "{e:?}"
                );
                assert_eq!(
                    service.and_then(|s| s.message()),
                    Some("Invalid region us-east-1 specified. Only eu-west-1 is supported."),
                    "{e:?}"
                );
            }
        }
        let after = cw
            .describe_alarms()
            .send()
            .await
            .map(|o| o.metric_alarms().len());
        assert_eq!(after.ok(), Some(2));
    });
}

const BUDGETS_SCRIPT: &str = r#"
b = boto3.client("budgets", region_name="us-east-1")
acct = "123456789012"
out = {}
def notification(kind, threshold):
    return {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN",
            "Threshold": threshold, "ThresholdType": "PERCENTAGE"}
topic = "arn:aws:sns:us-east-1:123456789012:example-com-alerts"
sub = {"SubscriptionType": "SNS", "Address": topic}
b.create_budget(AccountId=acct,
    Budget={"BudgetName": "example-com-monthly", "BudgetType": "COST", "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": "20", "Unit": "USD"}},
    NotificationsWithSubscribers=[
        {"Notification": notification("FORECASTED", 80.0), "Subscribers": [sub]},
        {"Notification": notification("ACTUAL", 100.0), "Subscribers": [sub]}],
    ResourceTags=[{"Key": "Project", "Value": "example-com"}])
arn = "arn:aws:budgets::123456789012:budget/example-com-monthly"
out["notifications"] = len(b.describe_notifications_for_budget(AccountId=acct, BudgetName="example-com-monthly")["Notifications"])
out["subscribers"] = b.describe_subscribers_for_notification(AccountId=acct, BudgetName="example-com-monthly",
    Notification=notification("ACTUAL", 100.0))["Subscribers"]
out["tags"] = b.list_tags_for_resource(ResourceARN=arn)["ResourceTags"]
b.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "ManagedBy", "Value": "siteup"}])
b.untag_resource(ResourceARN=arn, ResourceTagKeys=["Project"])
out["tags_after"] = b.list_tags_for_resource(ResourceARN=arn)["ResourceTags"]
b.update_budget(AccountId=acct, NewBudget={"BudgetName": "example-com-monthly", "BudgetType": "COST",
    "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": "30", "Unit": "USD"}})
out["limit"] = b.describe_budget(AccountId=acct, BudgetName="example-com-monthly")["Budget"]["BudgetLimit"]["Amount"]
b.delete_budget(AccountId=acct, BudgetName="example-com-monthly")
out["gone"] = code(lambda: b.describe_budget(AccountId=acct, BudgetName="example-com-monthly"))
out["gone_notifications"] = code(lambda: b.describe_notifications_for_budget(AccountId=acct, BudgetName="example-com-monthly"))
print(json.dumps(out))
"#;

/// A budget with two notifications, SNS subscribers and tags, as terraform's aws_budgets_budget
/// calls it (moto lacks the subscribers, tags and updates).
#[test]
fn budgets_keep_their_notifications_subscribers_and_tags() {
    let emulator = start();
    let out = boto3(&emulator, BUDGETS_SCRIPT, &[]);
    assert_eq!(out["notifications"], 2, "{out}");
    assert_eq!(
        out["subscribers"],
        serde_json::json!([{"SubscriptionType": "SNS",
            "Address": "arn:aws:sns:us-east-1:123456789012:example-com-alerts"}])
    );
    assert_eq!(
        out["tags"],
        serde_json::json!([{"Key": "Project", "Value": "example-com"}])
    );
    assert_eq!(
        out["tags_after"],
        serde_json::json!([{"Key": "ManagedBy", "Value": "siteup"}])
    );
    assert_eq!(out["limit"], "30");
    assert!(said(&out, "gone").starts_with("NotFoundException"), "{out}");
    assert!(
        said(&out, "gone_notifications").starts_with("NotFoundException"),
        "{out}"
    );
}

fn sns(emulator: &Emulator, region: &str) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::v2026_01_12())
        .region(aws_sdk_sns::config::Region::new(region.to_string()))
        .credentials_provider(credentials())
        .endpoint_url(emulator.url())
        .http_client(http_client())
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

/// What siteup reads through aws-sdk-sns: a pending email subscription is listed as
/// "PendingConfirmation" and its PendingConfirmation attribute is "true" until the owner clicks
/// the link; then the listing has its ARN and the attribute is "false".
#[test]
fn the_sns_sdk_reads_a_pending_subscription_until_the_owner_clicks() {
    let emulator = start();
    let client = sns(&emulator, "us-east-1");
    block_on(async {
        let topic = client
            .create_topic()
            .name("example-com-alerts-edge")
            .send()
            .await
            .expect("CreateTopic")
            .topic_arn()
            .expect("a topic ARN")
            .to_string();
        let arn = client
            .subscribe()
            .topic_arn(&topic)
            .protocol("email")
            .endpoint("owner@elsewhere.net")
            .return_subscription_arn(true)
            .send()
            .await
            .expect("Subscribe")
            .subscription_arn()
            .expect("a subscription ARN")
            .to_string();
        let state = |client: aws_sdk_sns::Client, topic: String, arn: String| async move {
            let listed = client
                .list_subscriptions_by_topic()
                .topic_arn(&topic)
                .send()
                .await
                .expect("ListSubscriptionsByTopic");
            let listed: Vec<String> = listed
                .subscriptions()
                .iter()
                .filter_map(|s| s.subscription_arn().map(str::to_string))
                .collect();
            let attributes = client
                .get_subscription_attributes()
                .subscription_arn(&arn)
                .send()
                .await
                .expect("GetSubscriptionAttributes");
            let pending = attributes
                .attributes()
                .and_then(|a| a.get("PendingConfirmation"))
                .cloned();
            (listed, pending)
        };
        let (listed, pending) = state(client.clone(), topic.clone(), arn.clone()).await;
        assert_eq!(listed, ["PendingConfirmation"]);
        assert_eq!(pending.as_deref(), Some("true"));

        emulator
            .confirm_subscriptions("owner@elsewhere.net")
            .expect("control: the owner clicks");
        let (listed, pending) = state(client.clone(), topic.clone(), arn.clone()).await;
        assert_eq!(listed, vec![arn]);
        assert_eq!(pending.as_deref(), Some("false"));
    });
}
