//! Profiles and the strict credentials loader, over temporary config files, with no network:
//! every request is recorded and any that leaves loopback is refused.

mod aws_common;

use std::time::{Duration, Instant};

use aws_common::{Recorder, TestHome, runtime};
use siteup::aws::profiles::{self, ENVIRONMENT_PROFILE, RoleSource};
use siteup::aws::{AwsError, ProfileChoice, ProfileKind, Target, connect_with};

const CONFIG: &str = r#"
[default]
region = eu-west-1

[profile keys]
region = eu-central-1

[profile sso-new]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = AdministratorAccess
region = eu-west-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile sso-legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile role]
role_arn = arn:aws:iam::111122223333:role/Deployer
source_profile = keys

[profile role-over-sso]
role_arn = arn:aws:iam::111122223333:role/Deployer
source_profile = sso-new

[profile role-imds]
role_arn = arn:aws:iam::111122223333:role/Deployer
credential_source = Ec2InstanceMetadata
region = us-east-1

[profile process]
credential_process = sh -c 'echo "vault is locked" >&2; exit 3'
region = us-east-1

[profile webid]
role_arn = arn:aws:iam::111122223333:role/Ci
web_identity_token_file = /nonexistent/token

[profile empty]
region = us-west-2
"#;

const CREDENTIALS: &str = r#"
[keys]
aws_access_key_id = AKIAKEYSPROFILE00001
aws_secret_access_key = keys-secret-value-do-not-print

[temp]
aws_access_key_id = ASIATEMPPROFILE00001
aws_secret_access_key = temp-secret-value-do-not-print
aws_session_token = temp-session-token-do-not-print
"#;

fn home() -> TestHome {
    TestHome::new(CONFIG, CREDENTIALS)
}

fn named(name: &str) -> ProfileChoice {
    ProfileChoice::Named(name.to_string())
}

fn target(name: &str) -> Target {
    Target::Profile {
        choice: named(name),
        default_region: "us-east-1".into(),
    }
}

/// Loads the named profile from the test home, every request going through the recorder.
fn connect_profile(
    home: &TestHome,
    name: &str,
    recorder: &Recorder,
) -> Result<siteup::aws::AwsSession, AwsError> {
    runtime().block_on(connect_with(
        &home.env(&[]),
        &target(name),
        recorder.options(),
    ))
}

#[test]
fn discovery_reports_the_kind_of_every_profile() {
    let home = home();
    aws_common::isolate_process_env(Some(&home));
    let env = home.env(&[
        ("AWS_PROFILE", "sso-new"),
        ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret-value-do-not-print"),
        ("AWS_REGION", "ap-south-1"),
    ]);
    let list = runtime()
        .block_on(profiles::discover(&env))
        .expect("profiles load");

    let kind = |name: &str| {
        list.find(&named(name))
            .unwrap_or_else(|| panic!("profile {name} listed: {:?}", list.names()))
            .kind
            .clone()
    };
    assert_eq!(kind("default"), ProfileKind::NoCredentials);
    assert_eq!(kind("empty"), ProfileKind::NoCredentials);
    assert_eq!(
        kind("keys"),
        ProfileKind::StaticKeys {
            session_token: false
        }
    );
    assert_eq!(
        kind("temp"),
        ProfileKind::StaticKeys {
            session_token: true
        }
    );
    assert_eq!(
        kind("sso-new"),
        ProfileKind::Sso {
            session: Some("corp".into()),
            start_url: None,
            account_id: Some("111122223333".into()),
            role_name: Some("AdministratorAccess".into()),
        }
    );
    assert!(matches!(
        kind("sso-legacy"),
        ProfileKind::Sso { session: None, start_url: Some(ref u), .. } if u == "https://legacy.awsapps.com/start"
    ));
    assert_eq!(
        kind("role"),
        ProfileKind::AssumeRole {
            role_arn: "arn:aws:iam::111122223333:role/Deployer".into(),
            source: RoleSource::Profile("keys".into()),
        }
    );
    assert_eq!(
        kind("role-imds"),
        ProfileKind::AssumeRole {
            role_arn: "arn:aws:iam::111122223333:role/Deployer".into(),
            source: RoleSource::CredentialSource("Ec2InstanceMetadata".into()),
        }
    );
    assert_eq!(kind("process"), ProfileKind::CredentialProcess);
    assert!(matches!(kind("webid"), ProfileKind::WebIdentity { .. }));

    // The environment pseudo-profile comes first, with the environment's region.
    let first = &list.profiles[0];
    assert_eq!(first.choice, ProfileChoice::Environment);
    assert_eq!(
        first.kind,
        ProfileKind::Environment {
            session_token: false
        }
    );
    assert_eq!(first.region.as_deref(), Some("ap-south-1"));
    assert_eq!(list.profiles[1].choice, named("default"));
    assert_eq!(
        ProfileChoice::parse(ENVIRONMENT_PROFILE),
        ProfileChoice::Environment
    );

    // AWS_PROFILE is preselected; regions come from the profile.
    assert_eq!(list.preselected, Some(named("sso-new")));
    assert_eq!(list.aws_profile_missing, None);
    let keys = list.find(&named("keys")).expect("keys");
    assert_eq!(keys.region.as_deref(), Some("eu-central-1"));

    // SSO roots: direct, through a role, and none for keys.
    let root = |name: &str| list.find(&named(name)).and_then(|p| p.sso_root.clone());
    let sso = root("sso-new").expect("sso root");
    assert_eq!(sso.profile, "sso-new");
    assert_eq!(sso.session.as_deref(), Some("corp"));
    assert_eq!(
        sso.start_url.as_deref(),
        Some("https://example.awsapps.com/start")
    );
    assert_eq!(root("role-over-sso").expect("via role").profile, "sso-new");
    assert_eq!(root("role"), None);

    // No secret value is kept or printed.
    let debug = format!("{list:?}");
    for secret in [
        "keys-secret-value",
        "temp-secret-value",
        "temp-session-token",
        "env-secret-value",
        "AKIAKEYSPROFILE",
        "vault is locked",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked into {debug}");
    }
}

#[test]
fn preselection_without_aws_profile_and_a_missing_aws_profile() {
    let home = home();
    aws_common::isolate_process_env(Some(&home));
    let rt = runtime();
    let list = rt
        .block_on(profiles::discover(&home.env(&[])))
        .expect("profiles load");
    assert_eq!(list.preselected, Some(named("default")));
    assert!(list.find(&ProfileChoice::Environment).is_none());

    let list = rt
        .block_on(profiles::discover(&home.env(&[("AWS_PROFILE", "nope")])))
        .expect("profiles load");
    assert_eq!(list.preselected, None);
    assert_eq!(list.aws_profile_missing.as_deref(), Some("nope"));
}

#[test]
fn a_profile_without_credentials_fails_fast_with_the_configure_message_and_no_connection() {
    let home = home();
    aws_common::isolate_process_env(Some(&home));
    let recorder = Recorder::new();
    let started = Instant::now();
    let err = connect_profile(&home, "empty", &recorder).expect_err("no credentials");
    let elapsed = started.elapsed();
    assert_eq!(
        err,
        AwsError::NoCredentials {
            profile: "empty".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "Profile empty has no credentials; add access keys with `aws configure --profile empty` or set up single sign-on with `aws configure sso`, then try again."
    );
    assert!(
        recorder.seen().is_empty(),
        "requests were made: {:?}",
        recorder.seen()
    );
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[test]
fn a_profile_that_needs_instance_metadata_is_refused_without_contacting_it() {
    let home = home();
    aws_common::isolate_process_env(Some(&home));
    let recorder = Recorder::new();
    let started = Instant::now();
    let err = connect_profile(&home, "role-imds", &recorder).expect_err("refused");
    let elapsed = started.elapsed();
    assert_eq!(
        err,
        AwsError::InstanceMetadataRefused {
            profile: "role-imds".into(),
            source: "Ec2InstanceMetadata".into(),
        }
    );
    let text = err.to_string();
    assert!(text.contains("Profile role-imds"), "{text}");
    assert!(text.contains("never contacts"), "{text}");
    assert!(
        recorder.seen().is_empty(),
        "requests were made (169.254.169.254 must never be asked): {:?}",
        recorder.seen()
    );
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[test]
fn an_expired_sso_token_says_aws_sso_login() {
    let home = home();
    home.write_sso_token("corp", "2020-01-01T00:00:00Z");
    home.isolate_process();
    let recorder = Recorder::new();
    let err = connect_profile(&home, "sso-new", &recorder).expect_err("expired");
    assert_eq!(
        err.to_string(),
        "Your SSO session for profile sso-new has expired; run `aws sso login --profile sso-new` and try again."
    );
    assert!(
        recorder.seen().is_empty(),
        "an expired token must not be sent anywhere: {:?}",
        recorder.seen()
    );
}

#[test]
fn a_role_over_an_expired_sso_session_names_the_sso_profile() {
    let home = home();
    home.write_sso_token("corp", "2020-01-01T00:00:00Z");
    home.isolate_process();
    let recorder = Recorder::new();
    let err = connect_profile(&home, "role-over-sso", &recorder).expect_err("expired");
    assert_eq!(
        err,
        AwsError::SsoExpired {
            profile: "sso-new".into()
        }
    );
    assert!(recorder.off_loopback().is_empty(), "{:?}", recorder.seen());
}

#[test]
fn a_legacy_sso_profile_never_signed_in_says_aws_sso_login() {
    let home = home();
    home.isolate_process();
    let recorder = Recorder::new();
    let err = connect_profile(&home, "sso-legacy", &recorder).expect_err("not signed in");
    assert_eq!(
        err.to_string(),
        "You are not signed in to the SSO session of profile sso-legacy; run `aws sso login --profile sso-legacy` and try again."
    );
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
}

#[test]
fn a_failing_credential_process_is_named_with_its_output() {
    let home = home();
    home.isolate_process();
    let recorder = Recorder::new();
    let err = connect_profile(&home, "process", &recorder).expect_err("process fails");
    assert!(
        matches!(err, AwsError::CredentialProcessFailed { ref profile, .. } if profile == "process"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("vault is locked"), "{text}");
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
}

#[test]
fn unknown_profiles_and_incomplete_environment_credentials() {
    let home = home();
    aws_common::isolate_process_env(Some(&home));
    let rt = runtime();
    let recorder = Recorder::new();
    let err = rt
        .block_on(connect_with(
            &home.env(&[]),
            &target("nope"),
            recorder.options(),
        ))
        .expect_err("unknown");
    let AwsError::ProfileNotFound { profile, known } = &err else {
        panic!("expected ProfileNotFound, got {err:?}");
    };
    assert_eq!(profile, "nope");
    assert!(known.contains(&"keys".to_string()), "{known:?}");

    let err = rt
        .block_on(connect_with(
            &home.env(&[("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001")]),
            &Target::Profile {
                choice: ProfileChoice::Environment,
                default_region: "us-east-1".into(),
            },
            recorder.options(),
        ))
        .expect_err("incomplete");
    assert_eq!(
        err,
        AwsError::EnvironmentIncomplete {
            missing: "AWS_SECRET_ACCESS_KEY".into()
        }
    );
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
}

#[test]
fn static_keys_load_with_the_profile_region_and_no_request() {
    let home = home();
    aws_common::isolate_process_env(Some(&home));
    let recorder = Recorder::new();
    let session = connect_profile(&home, "keys", &recorder).expect("keys load");
    assert_eq!(session.region(), "eu-central-1");
    assert_eq!(session.expiry(), None);
    assert!(!format!("{session:?}").contains("keys-secret-value"));
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
}

#[test]
fn a_valid_sso_token_exposes_its_expiry() {
    let home = home();
    home.write_sso_token("corp", "2099-01-01T00:00:00Z");
    aws_common::isolate_process_env(Some(&home));
    let env = home.env(&[]);
    let list = runtime()
        .block_on(profiles::discover(&env))
        .expect("profiles");
    let root = list
        .find(&named("role-over-sso"))
        .and_then(|p| p.sso_root.clone())
        .expect("sso root");
    let now = time::OffsetDateTime::now_utc();
    let state = runtime().block_on(siteup::aws::identity::sso_token_state(&env, &root, now));
    let expiry = siteup::aws::identity::session_expiry(
        &named("role-over-sso"),
        Some(&root),
        Some(&state),
        None,
    )
    .expect("expiry known");
    assert_eq!(expiry.at.year(), 2099);
    // A one-hour apply fits; the pure warning stays silent.
    assert_eq!(
        siteup::aws::warn_if_expires_within(&expiry, now, Duration::from_secs(3600)),
        None
    );
}
