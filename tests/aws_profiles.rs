//! Profiles and the strict credentials loader, over temporary config files, with no network:
//! every request is recorded and any that leaves loopback is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod aws_common;
#[path = "aws_common/offline.rs"]
mod offline;
#[path = "aws_common/server.rs"]
mod server;

use std::time::{Duration, Instant};

use aws_common::runtime;
use offline::{Recorder, TestHome};
use siteup::aws::profiles::{self, ENVIRONMENT_PROFILE, RoleSource};
use siteup::aws::{AwsError, ProfileChoice, ProfileKind, Target, connect_with};

/// What only these tests do with a temporary home.
impl TestHome {
    /// Writes an SSO token cache file for `key` (a session name or start URL) under this home.
    fn write_sso_token(&self, key: &str, expires_at: &str) {
        use sha1::{Digest, Sha1};
        let dir = self.path().join(".aws").join("sso").join("cache");
        std::fs::create_dir_all(&dir).expect("sso cache dir");
        let name = format!("{}.json", hex::encode(Sha1::digest(key.as_bytes())));
        let body = serde_json::json!({
            "accessToken": "test-access-token-not-real",
            "expiresAt": expires_at,
            "region": "eu-west-1",
            "startUrl": "https://example.awsapps.com/start",
        });
        std::fs::write(dir.join(name), body.to_string()).expect("write token");
    }

    /// Points the test process's own environment at this home too, for the parts of the SDK that
    /// read the process environment (its SSO token cache). Call it first thing in a `#[test]`,
    /// before any thread or runtime exists; nextest runs each test in its own process.
    fn isolate_process(&self) {
        aws_common::isolate_process_env(Some(self.path()));
    }
}

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

/// The named profile of the test home.
fn target(home: &TestHome, name: &str) -> Target {
    Target::Profile {
        env: home.env(&[]),
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
    runtime().block_on(connect_with(&target(home, name), recorder.options()))
}

#[test]
fn discovery_reports_the_kind_of_every_profile() {
    let home = home();
    aws_common::isolate_process_env(Some(home.path()));
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
    aws_common::isolate_process_env(Some(home.path()));
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
    aws_common::isolate_process_env(Some(home.path()));
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
    aws_common::isolate_process_env(Some(home.path()));
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
    aws_common::isolate_process_env(Some(home.path()));
    let rt = runtime();
    let recorder = Recorder::new();
    let err = rt
        .block_on(connect_with(&target(&home, "nope"), recorder.options()))
        .expect_err("unknown");
    let AwsError::ProfileNotFound { profile, known } = &err else {
        panic!("expected ProfileNotFound, got {err:?}");
    };
    assert_eq!(profile, "nope");
    assert!(known.contains(&"keys".to_string()), "{known:?}");

    let err = rt
        .block_on(connect_with(
            &Target::Profile {
                env: home.env(&[("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001")]),
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
    aws_common::isolate_process_env(Some(home.path()));
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
    aws_common::isolate_process_env(Some(home.path()));
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

// ---- Homes with only some of the files, credential_process edge cases, the log ----

/// What `aws configure sso` writes: a config file and no credentials file.
const SSO_ONLY_CONFIG: &str = r#"
[profile sso-only]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = AdministratorAccess
region = eu-west-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
"#;

/// The SSO portal's GetRoleCredentials answer (expiration in 2100, milliseconds).
const ROLE_CREDENTIALS: &str = r#"{"roleCredentials":{"accessKeyId":"ASIASSOPORTAL0000001","secretAccessKey":"sso-secret-value-do-not-print","sessionToken":"sso-session-token-do-not-print","expiration":4102444800000}}"#;

/// Writes an executable shell script under the home and returns its path.
fn script(home: &TestHome, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = home.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// A credential_process script printing static credentials with `key` as the access key id.
fn printing_script(home: &TestHome, key: &str) -> std::path::PathBuf {
    script(
        home,
        "creds.sh",
        &format!(
            "echo '{{\"Version\": 1, \"AccessKeyId\": \"{key}\", \"SecretAccessKey\": \"process-secret-do-not-print\"}}'"
        ),
    )
}

/// Points the SDK's SSO client (GetRoleCredentials) at `url`, after the process was isolated.
fn sso_portal_at(url: &str) {
    // SAFETY: called at the start of a test, right after isolate_process, before any thread
    // or runtime exists (nextest runs each test in its own process).
    unsafe { std::env::set_var("AWS_ENDPOINT_URL_SSO", url) };
}

#[test]
fn an_sso_profile_loads_without_a_credentials_file() {
    let home = TestHome::with_files(Some(SSO_ONLY_CONFIG), None);
    home.write_sso_token("corp", "2099-01-01T00:00:00Z");
    home.isolate_process();
    let portal =
        server::FixedServer::start("200 OK", "application/json", &[], ROLE_CREDENTIALS, false);
    sso_portal_at(&portal.url);
    assert!(!home.credentials_file().exists());

    let recorder = Recorder::new();
    let session = connect_profile(&home, "sso-only", &recorder).expect("the SSO profile loads");
    assert_eq!(session.region(), "eu-west-1");
    assert_eq!(portal.hits(), 1, "GetRoleCredentials was asked once");
    let seen = recorder.seen();
    assert!(
        seen.iter().any(|u| u.contains("/federation/credentials")),
        "{seen:?}"
    );
    assert!(recorder.off_loopback().is_empty(), "{seen:?}");
    assert!(!format!("{session:?}").contains("sso-secret-value"));
}

#[test]
fn a_credential_process_profile_loads_without_a_credentials_file() {
    let home = TestHome::with_files(Some(""), None);
    let creds = printing_script(&home, "AKIAPROCESSONLY00001");
    std::fs::write(
        home.config_file(),
        format!(
            "[profile vault]\ncredential_process = {}\nregion = eu-west-1\n\n[profile via-vault]\nrole_arn = arn:aws:iam::111122223333:role/Deployer\nsource_profile = vault\n",
            creds.display()
        ),
    )
    .expect("write config");
    home.isolate_process();
    let recorder = Recorder::new();
    let session = connect_profile(&home, "vault", &recorder).expect("the process profile loads");
    assert_eq!(session.region(), "eu-west-1");
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
    assert!(!format!("{session:?}").contains("process-secret"));
}

/// A role over a process profile goes through the SDK's chain, which reads the files: with no
/// credentials file it reaches STS (here a loopback server refusing the role) instead of
/// failing on the missing file.
#[test]
fn a_role_over_a_process_profile_reads_a_home_without_credentials_file() {
    let home = TestHome::with_files(Some(""), None);
    let creds = printing_script(&home, "AKIAPROCESSONLY00001");
    std::fs::write(
        home.config_file(),
        format!(
            "[profile vault]\ncredential_process = {}\nregion = eu-west-1\n\n[profile via-vault]\nrole_arn = arn:aws:iam::111122223333:role/Deployer\nsource_profile = vault\nregion = eu-west-1\n",
            creds.display()
        ),
    )
    .expect("write config");
    home.isolate_process();
    let sts = server::FixedServer::start("403 Forbidden", "text/xml", &[], STS_DENIED, false);
    // SAFETY: as in sso_portal_at.
    unsafe { std::env::set_var("AWS_ENDPOINT_URL_STS", &sts.url) };
    let recorder = Recorder::new();
    let err = connect_profile(&home, "via-vault", &recorder).expect_err("the role is refused");
    assert!(
        matches!(err, AwsError::AssumeRoleFailed { ref profile, .. } if profile == "via-vault"),
        "{err:?}"
    );
    assert_eq!(sts.hits(), 1, "STS was asked: the files were read");
    assert!(recorder.off_loopback().is_empty(), "{:?}", recorder.seen());
}

const STS_DENIED: &str = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>1</RequestId></ErrorResponse>";

/// Whether a process is gone (a zombie waiting for its parent counts as gone).
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn read_pid(path: &std::path::Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_hanging_credential_process_is_stopped_at_the_bound_with_the_right_words() {
    let home = TestHome::with_files(Some(""), None);
    let shell_pid = home.path().join("shell.pid");
    let sleep_pid = home.path().join("sleep.pid");
    // The shell and a child it waits for, as a password manager waiting for its unlock would.
    let hang = script(
        &home,
        "hang.sh",
        &format!(
            "echo $$ > {}\nsleep 30 &\necho $! > {}\nwait",
            shell_pid.display(),
            sleep_pid.display()
        ),
    );
    std::fs::write(
        home.config_file(),
        format!(
            "[profile locked]\ncredential_process = {}\nregion = eu-west-1\n",
            hang.display()
        ),
    )
    .expect("write config");
    home.isolate_process();
    let recorder = Recorder::new();
    let mut options = recorder.options();
    options.timeouts.credentials = Duration::from_secs(1);
    let started = Instant::now();
    let err = runtime()
        .block_on(connect_with(&target(&home, "locked"), options))
        .expect_err("the process hangs");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert_eq!(
        err,
        AwsError::CredentialProcessTimedOut {
            profile: "locked".into(),
            secs: 1
        }
    );
    assert_eq!(
        err.to_string(),
        "The credential_process of profile locked did not answer within 1 s and was stopped; if it waits for a password manager or vault, unlock that first, otherwise run the command that `aws configure get credential_process --profile locked` prints yourself to see where it hangs, then try again."
    );

    let (shell, sleeper) = (read_pid(&shell_pid), read_pid(&sleep_pid));
    let deadline = Instant::now() + Duration::from_secs(3);
    while !(process_gone(shell) && process_gone(sleeper)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(process_gone(shell), "the shell {shell} still runs");
    assert!(process_gone(sleeper), "its child {sleeper} still runs");
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
}

// ---- The binary: `siteup doctor` loads the profile; the log keeps secrets out ----

/// Runs `siteup doctor` in `project` with HOME at `home` (default file paths, no AWS variable
/// of this machine), plus `vars`.
fn doctor(
    home: &TestHome,
    project: &std::path::Path,
    args: &[&str],
    vars: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_siteup"));
    cmd.arg("doctor").arg("--dir").arg(project).args(args);
    for key in siteup::aws::env::inherited_aws_variables() {
        cmd.env_remove(key);
    }
    cmd.env_remove("SITEUP_LOG")
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SITEUP_DNS_ROOT", "127.0.0.1:9");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("run siteup doctor")
}

/// The doctor line of `check`.
fn doctor_line(out: &std::process::Output, check: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(check))
        .unwrap_or_else(|| {
            panic!(
                "no {check} line in:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .to_string()
}

#[test]
fn doctor_loads_an_sso_profile_from_a_home_with_only_a_config_file() {
    let home = TestHome::with_files(Some(SSO_ONLY_CONFIG), None);
    home.write_sso_token("corp", "2099-01-01T00:00:00Z");
    let portal =
        server::FixedServer::start("200 OK", "application/json", &[], ROLE_CREDENTIALS, false);
    let project = tempfile::tempdir().expect("project");
    let out = doctor(
        &home,
        project.path(),
        &["--profile", "sso-only"],
        &[("AWS_ENDPOINT_URL_SSO", portal.url.as_str())],
    );
    let profiles = doctor_line(&out, "aws-profile");
    assert!(profiles.starts_with("ok"), "{profiles}");
    let creds = doctor_line(&out, "aws-credentials");
    assert_eq!(
        creds.split_whitespace().collect::<Vec<_>>().join(" "),
        "ok aws-credentials The credentials of profile sso-only load (SSO)."
    );
    assert_eq!(portal.hits(), 1);
}

#[test]
fn doctor_reports_a_profile_that_cannot_load() {
    let home = TestHome::with_files(Some(""), None);
    let failing = script(&home, "fail.sh", "echo 'the vault is sealed' >&2\nexit 3");
    std::fs::write(
        home.config_file(),
        format!(
            "[profile vault]\ncredential_process = {}\nregion = eu-west-1\n",
            failing.display()
        ),
    )
    .expect("write config");
    let project = tempfile::tempdir().expect("project");
    let out = doctor(&home, project.path(), &[], &[("AWS_PROFILE", "vault")]);
    let creds = doctor_line(&out, "aws-credentials");
    assert!(creds.starts_with("PROBLEM"), "{creds}");
    assert!(
        creds.contains("The credential_process of profile vault failed (it exited with code 3: the vault is sealed)"),
        "{creds}"
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("Nothing stands in the way"), "{stdout}");
}

/// A canary in a credential_process's stderr and one as an access key id never reach the log
/// at the default level, nor at `info` (the documented default); the key id not even at `debug`
/// or `trace`. For a process profile run by siteup and for a role over it run by the SDK's chain.
#[test]
fn the_log_keeps_credential_process_stderr_and_key_ids_out() {
    const STDERR_CANARY: &str = "stderr-canary-7f3a9c";
    const KEY_CANARY: &str = "AKIAKEYCANARY0007F3A";
    let home = TestHome::with_files(Some(""), None);
    let failing = script(
        &home,
        "fail.sh",
        &format!("echo 'token={STDERR_CANARY}' >&2\nexit 3"),
    );
    let printing = printing_script(&home, KEY_CANARY);
    std::fs::write(
        home.config_file(),
        format!(
            "[profile failing]\ncredential_process = {}\nregion = eu-west-1\n\n\
             [profile role-over-failing]\nrole_arn = arn:aws:iam::111122223333:role/Deployer\nsource_profile = failing\nregion = eu-west-1\n\n\
             [profile printing]\ncredential_process = {}\nregion = eu-west-1\n\n\
             [profile role-over-printing]\nrole_arn = arn:aws:iam::111122223333:role/Deployer\nsource_profile = printing\nregion = eu-west-1\n",
            failing.display(),
            printing.display()
        ),
    )
    .expect("write config");
    let sts = server::FixedServer::start("403 Forbidden", "text/xml", &[], STS_DENIED, false);

    for level in [None, Some("info"), Some("debug"), Some("trace")] {
        let project = tempfile::tempdir().expect("project");
        // doctor only reads: it logs into the log a journey made, and never creates one.
        let log_file = siteup::project::ProjectPaths::new(project.path()).log_file();
        std::fs::create_dir_all(log_file.parent().expect("the log's folder")).expect("state dir");
        std::fs::write(&log_file, "").expect("an existing log");
        for profile in [
            "failing",
            "role-over-failing",
            "printing",
            "role-over-printing",
        ] {
            let mut vars = vec![("AWS_ENDPOINT_URL_STS", sts.url.as_str())];
            if let Some(level) = level {
                vars.push(("SITEUP_LOG", level));
            }
            let out = doctor(&home, project.path(), &["--profile", profile], &vars);
            // Each profile was really loaded (or failed loading) by doctor.
            let creds = doctor_line(&out, "aws-credentials");
            if profile == "printing" {
                assert!(creds.starts_with("ok"), "{profile}: {creds}");
            } else {
                assert!(creds.starts_with("PROBLEM"), "{profile}: {creds}");
            }
            if profile.ends_with("failing") {
                // The role's failure is its source's process: that profile is named.
                assert!(
                    creds.contains("The credential_process of profile failing failed"),
                    "{profile}: {creds}"
                );
            }
        }
        let log = std::fs::read_to_string(&log_file)
            .unwrap_or_else(|e| panic!("{}: {e}", log_file.display()));
        assert!(log.contains("credentials loaded"), "level {level:?}: {log}");
        if matches!(level, None | Some("info")) {
            assert!(!log.contains(STDERR_CANARY), "level {level:?}: {log}");
        }
        assert!(!log.contains(KEY_CANARY), "level {level:?}: {log}");
        assert!(!log.contains("process-secret"), "level {level:?}: {log}");
    }
    assert!(sts.hits() >= 2, "the roles were tried: {}", sts.hits());
}

/// Offline (here: nothing listens where the SSO portal should be), an SSO profile with a valid
/// token says AWS could not be reached, not that the session expired or the profile is broken.
#[test]
fn an_unreachable_sso_portal_is_worded_as_unreachable() {
    let home = TestHome::with_files(Some(SSO_ONLY_CONFIG), None);
    home.write_sso_token("corp", "2099-01-01T00:00:00Z");
    home.isolate_process();
    sso_portal_at(&format!("http://127.0.0.1:{}", server::closed_port()));
    let recorder = Recorder::new();
    let err = connect_profile(&home, "sso-only", &recorder).expect_err("no portal");
    assert_eq!(
        err.to_string(),
        "siteup could not reach AWS IAM Identity Center (SSO) in eu-west-1 (connection refused); check your internet connection, proxy and the region name, then try again."
    );
    assert!(recorder.off_loopback().is_empty(), "{:?}", recorder.seen());
}

/// Credentials that expire within minutes are loaded again before a call; a credential_process
/// that hangs then is stopped at the same bound, with the same words, and nothing is sent.
#[test]
fn a_credential_process_that_hangs_on_refresh_is_stopped_too() {
    let home = TestHome::with_files(Some(""), None);
    let marker = home.path().join("ran-once");
    let sleep_pid = home.path().join("refresh-sleep.pid");
    let expiry = (time::OffsetDateTime::now_utc() + time::Duration::minutes(2))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format expiry");
    let refresh = script(
        &home,
        "refresh.sh",
        &format!(
            "if [ -e {marker} ]; then\n  sleep 30 &\n  echo $! > {pid}\n  wait\nfi\ntouch {marker}\necho '{{\"Version\": 1, \"AccessKeyId\": \"ASIAREFRESH000000001\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", \"Expiration\": \"{expiry}\"}}'",
            marker = marker.display(),
            pid = sleep_pid.display(),
        ),
    );
    std::fs::write(
        home.config_file(),
        format!(
            "[profile expiring]\ncredential_process = {}\nregion = eu-west-1\n",
            refresh.display()
        ),
    )
    .expect("write config");
    home.isolate_process();
    let server = server::FixedServer::start("200 OK", "text/xml", &[], "", false);
    let recorder = Recorder::new();
    let mut options = recorder.options();
    options.timeouts.credentials = Duration::from_secs(1);
    options.endpoint_url = Some(server.url.clone());
    let rt = runtime();
    let session = rt
        .block_on(connect_with(&target(&home, "expiring"), options))
        .expect("the first load answers");
    assert!(marker.exists());
    let aws = siteup::aws::SdkAws::new(&session);
    let started = Instant::now();
    let err = rt
        .block_on(siteup::aws::AwsApi::verify_identity(&aws))
        .expect_err("the refresh hangs");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        err,
        AwsError::CredentialProcessTimedOut {
            profile: "expiring".into(),
            secs: 1
        }
    );
    let sleeper = read_pid(&sleep_pid);
    let deadline = Instant::now() + Duration::from_secs(3);
    while !process_gone(sleeper) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        process_gone(sleeper),
        "the refresh's child {sleeper} still runs"
    );
    assert_eq!(server.hits(), 0, "nothing was sent without credentials");
}

/// A role over a process profile: the SDK's chain runs the command, and siteup still stops it
/// (and its child) at the bound and names the process profile.
#[test]
fn a_hanging_credential_process_under_a_role_is_stopped_too() {
    let home = TestHome::with_files(Some(""), None);
    let sleep_pid = home.path().join("sleep.pid");
    let hang = script(
        &home,
        "hang.sh",
        &format!("sleep 30 &\necho $! > {}\nwait", sleep_pid.display()),
    );
    std::fs::write(
        home.config_file(),
        format!(
            "[profile locked]\ncredential_process = {}\nregion = eu-west-1\n\n[profile deployer]\nrole_arn = arn:aws:iam::111122223333:role/Deployer\nsource_profile = locked\nregion = eu-west-1\n",
            hang.display()
        ),
    )
    .expect("write config");
    home.isolate_process();
    let recorder = Recorder::new();
    let mut options = recorder.options();
    options.timeouts.credentials = Duration::from_secs(1);
    let err = runtime()
        .block_on(connect_with(&target(&home, "deployer"), options))
        .expect_err("the process hangs");
    assert_eq!(
        err,
        AwsError::CredentialProcessTimedOut {
            profile: "locked".into(),
            secs: 1
        }
    );
    let sleeper = read_pid(&sleep_pid);
    let deadline = Instant::now() + Duration::from_secs(3);
    while !process_gone(sleeper) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        process_gone(sleeper),
        "the process's child {sleeper} still runs"
    );
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
}
