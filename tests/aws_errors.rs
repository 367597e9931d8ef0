//! What a user sees when AWS (or the emulator) fails: one sentence with the next step, within a
//! bounded time, after a bounded number of retries. Everything here talks to loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod aws_common;
#[path = "aws_common/server.rs"]
mod server;

use std::time::{Duration, Instant};

use aws_common::runtime;
use server::{FixedServer, closed_port};
use siteup::aws::error::{Endpoint, MAX_ATTEMPTS};
use siteup::aws::{AwsApi, AwsError, ConnectOptions, SdkAws, Target, Timeouts, connect_with};

fn sandbox(url: &str, options: ConnectOptions) -> SdkAws {
    let session = runtime()
        .block_on(connect_with(
            &Target::Sandbox {
                url: url.to_string(),
                region: "us-east-1".into(),
            },
            options,
        ))
        .expect("a sandbox session needs no network");
    SdkAws::new(&session)
}

#[test]
fn emulator_down_is_one_sentence_within_seconds() {
    aws_common::isolate_process_env(None);
    let url = format!("http://127.0.0.1:{}", closed_port());
    let aws = sandbox(&url, ConnectOptions::default());
    let rt = runtime();

    let started = Instant::now();
    let err = rt
        .block_on(aws.verify_identity())
        .expect_err("nothing listens");
    let elapsed = started.elapsed();
    assert_eq!(
        err,
        AwsError::Unreachable {
            service: "STS".into(),
            endpoint: Endpoint::Emulator { url: url.clone() },
            detail: "connection refused".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "The AWS emulator at {url} is not answering (connection refused); start it with `siteup sandbox` (or check the --sandbox URL) and try again."
        )
    );
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");

    // SES and Route 53 say the same.
    for result in [
        rt.block_on(aws.account_status()).map(|_| ()),
        rt.block_on(aws.find_zones("example.com")).map(|_| ()),
    ] {
        let e = result.expect_err("nothing listens");
        assert!(matches!(e, AwsError::Unreachable { .. }), "{e:?}");
    }
}

#[test]
fn a_silent_endpoint_times_out_within_the_limit() {
    aws_common::isolate_process_env(None);
    let server = FixedServer::start("200 OK", "text/xml", &[], "", true);
    let options = ConnectOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(1),
            attempt: Duration::from_millis(300),
            operation: Duration::from_secs(2),
            credentials: Duration::from_secs(2),
        },
        ..ConnectOptions::default()
    };
    let aws = sandbox(&server.url, options);
    let started = Instant::now();
    let err = runtime()
        .block_on(aws.verify_identity())
        .expect_err("no answer");
    let elapsed = started.elapsed();
    assert!(matches!(err, AwsError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("did not answer"), "{err}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(server.hits() >= 1);
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    aws_common::isolate_process_env(None);
    let body = "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom</Message></Error><RequestId>1</RequestId></ErrorResponse>";
    let server = FixedServer::start("503 Service Unavailable", "text/xml", &[], body, false);
    let aws = sandbox(&server.url, ConnectOptions::default());
    let started = Instant::now();
    let err = runtime().block_on(aws.verify_identity()).expect_err("503");
    let elapsed = started.elapsed();
    assert_eq!(
        err,
        AwsError::ServiceUnavailable {
            service: "STS".into(),
            status: 503
        }
    );
    assert!(err.to_string().contains("wait a few minutes"), "{err}");
    assert_eq!(
        server.hits(),
        MAX_ATTEMPTS as usize,
        "one try and the retries"
    );
    assert!(elapsed < Duration::from_secs(8), "took {elapsed:?}");
}

#[test]
fn throttling_is_retried_then_worded() {
    aws_common::isolate_process_env(None);
    let body = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>";
    let server = FixedServer::start("400 Bad Request", "text/xml", &[], body, false);
    let aws = sandbox(&server.url, ConnectOptions::default());
    let err = runtime()
        .block_on(aws.verify_identity())
        .expect_err("throttled");
    assert_eq!(
        err,
        AwsError::Throttled {
            service: "STS".into()
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "AWS kept throttling siteup's STS requests ({MAX_ATTEMPTS} attempts); wait a minute and try again."
        )
    );
    assert_eq!(server.hits(), MAX_ATTEMPTS as usize);
}

#[test]
fn access_denied_names_the_action() {
    aws_common::isolate_process_env(None);
    let body = r#"{"message":"User is not authorized to perform ses:GetAccount"}"#;
    let server = FixedServer::start(
        "403 Forbidden",
        "application/json",
        &[("x-amzn-ErrorType", "AccessDeniedException")],
        body,
        false,
    );
    let aws = sandbox(&server.url, ConnectOptions::default());
    let err = runtime()
        .block_on(aws.account_status())
        .expect_err("denied");
    assert!(
        matches!(err, AwsError::AccessDenied { ref action, .. } if action == "ses:GetAccount"),
        "{err:?}"
    );
    assert!(err.to_string().contains("AdministratorAccess"), "{err}");
    assert_eq!(server.hits(), 1, "access denied is not retried");
}

/// GetConfigurationSet and GetConfigurationSetEventDestinations read into one status: a server
/// that answers both with one body holding the fields of each (the SDK ignores the others).
#[test]
fn a_configuration_set_is_read_with_its_event_destinations() {
    aws_common::isolate_process_env(None);
    let body = r#"{"ConfigurationSetName": "example-com",
        "SuppressionOptions": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
        "ReputationOptions": {"ReputationMetricsEnabled": true},
        "EventDestinations": [
            {"Name": "logs", "Enabled": true, "MatchingEventTypes": ["SEND"],
             "CloudWatchDestination": {"DimensionConfigurations": []}},
            {"Name": "alerts", "Enabled": true, "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
             "SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:example-com-alerts"}}
        ]}"#;
    let server = FixedServer::start("200 OK", "application/json", &[], body, false);
    let aws = sandbox(&server.url, ConnectOptions::default());
    let set = runtime()
        .block_on(aws.configuration_set("example-com"))
        .expect("configuration set");
    assert!(set.exists);
    assert_eq!(set.suppressed_reasons, ["BOUNCE", "COMPLAINT"]);
    assert!(set.reputation_metrics);
    assert_eq!(set.destinations.len(), 2);
    assert_eq!(
        set.bounce_and_complaint_topic(),
        Some("arn:aws:sns:us-east-1:123456789012:example-com-alerts")
    );
    assert_eq!(
        server.hits(),
        2,
        "one call for the set, one for its destinations"
    );
}

#[test]
fn a_configuration_set_ses_does_not_have_is_missing() {
    aws_common::isolate_process_env(None);
    let body = r#"{"message": "Configuration set <example-com> does not exist."}"#;
    let server = FixedServer::start(
        "404 Not Found",
        "application/json",
        &[("x-amzn-ErrorType", "NotFoundException")],
        body,
        false,
    );
    let aws = sandbox(&server.url, ConnectOptions::default());
    let set = runtime()
        .block_on(aws.configuration_set("example-com"))
        .expect("a missing set is an answer");
    assert!(!set.exists);
    assert!(set.bounce_and_complaint_topic().is_none());
}
