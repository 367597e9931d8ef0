//! The strict credentials loader: credentials and region come from the chosen profile only.
//!
//! siteup never uses the SDK's default chain, which falls through to EC2 instance metadata
//! (169.254.169.254) when a profile lacks credentials. Here the chosen profile is resolved by
//! `ProfileFileCredentialsProvider` alone; its named sources `Ec2InstanceMetadata` and
//! `EcsContainer` are replaced by a provider that refuses, and `Environment` reads the
//! [`AwsEnv`]. A profile whose own credentials come from a `credential_process` runs it through
//! siteup's runner (`aws::process`), which stops the command and all it started when the load
//! is given up (`Timeouts::credentials`). Missing config or credentials files are absent, not
//! errors. The region is the profile's own or the given default. One rustls (ring) HTTP client,
//! bounded timeouts and an explicit retry policy serve every call, credential resolution
//! included. Only a masked access key id is ever logged, at debug.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_config::identity::IdentityCache;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::SdkConfig;
use aws_types::region::Region;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::env::AwsEnv;
use super::error::{
    AwsError, CREDENTIALS_TIMEOUT_SECS, CallContext, Endpoint, MAX_ATTEMPTS,
    OPERATION_TIMEOUT_SECS, REFUSED_MARKER, SsoTokenState, credentials_failure,
    credentials_timed_out, word_credentials,
};
use super::identity::{SessionExpiry, session_expiry, sso_token_state};
use super::profiles::{
    ProfileChoice, ProfileInfo, ProfileKind, ProfileList, list_from_set, load_profile_set, one_line,
};
use super::{SANDBOX_ACCESS_KEY_ID, SANDBOX_SECRET_ACCESS_KEY};

/// The SDK behaviour version siteup is tested with. Pinned so that an SDK upgrade does not
/// change retry and timeout defaults silently (a newer version deprecates this one, and clippy
/// then asks for a deliberate change).
pub fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

/// What to connect with.
#[derive(Debug, Clone)]
pub enum Target {
    /// A profile (or the environment credentials) on real AWS, read from `env`'s files and
    /// variables; `default_region` is used when the profile names none.
    Profile {
        env: AwsEnv,
        choice: ProfileChoice,
        default_region: String,
    },
    /// The local emulator at `url`, with throwaway static credentials.
    Sandbox { url: String, region: String },
}

/// Time limits. The defaults make an unreachable endpoint fail within seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a TCP (and TLS) connection.
    pub connect: Duration,
    /// One attempt of a request.
    pub attempt: Duration,
    /// A whole request, retries included.
    pub operation: Duration,
    /// Loading credentials (a credential_process may wait for a password manager).
    pub credentials: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(3100),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(OPERATION_TIMEOUT_SECS),
            credentials: Duration::from_secs(CREDENTIALS_TIMEOUT_SECS),
        }
    }
}

/// Options for [`connect_with`].
#[derive(Clone, Default)]
pub struct ConnectOptions {
    pub timeouts: Timeouts,
    /// Replaces the rustls HTTP client (tests wrap it to record or refuse connections).
    pub http_client: Option<SharedHttpClient>,
    /// Sends every call of a profile target to this endpoint instead of AWS (tests resolve a
    /// real profile and then talk to the emulator). Sandbox targets carry their own URL.
    pub endpoint_url: Option<String>,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("timeouts", &self.timeouts)
            .field("http_client", &self.http_client.is_some())
            .field("endpoint_url", &self.endpoint_url)
            .finish()
    }
}

/// A verified-loadable set of credentials and the configuration every client is built from.
#[derive(Clone, Debug)]
pub struct AwsSession {
    config: SdkConfig,
    context: CallContext,
    region: String,
    profile: Option<ProfileInfo>,
    expiry: Option<SessionExpiry>,
}

impl AwsSession {
    /// The configuration to build SDK clients from (no secrets in its Debug output).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    /// The same configuration in another region (SES lives in the site's region).
    pub fn sdk_config_in(&self, region: &str) -> SdkConfig {
        self.config
            .to_builder()
            .region(Region::new(region.to_string()))
            .build()
    }

    /// What error messages need to know about this session.
    pub fn context(&self) -> &CallContext {
        &self.context
    }

    /// The region calls go to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The profile, for profile targets.
    pub fn profile(&self) -> Option<&ProfileInfo> {
        self.profile.as_ref()
    }

    /// When the session ends, where that is known and matters (SSO sessions, temporary keys).
    pub fn expiry(&self) -> Option<&SessionExpiry> {
        self.expiry.as_ref()
    }
}

/// The retry policy: standard mode, [`MAX_ATTEMPTS`] attempts, exponential backoff with jitter
/// from 1 s up to 8 s (throttling, 5xx and transient network errors are retried).
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_secs(1))
        .with_max_backoff(Duration::from_secs(8))
}

/// The emulator's retry policy: as many attempts, shorter waits (a local emulator that refuses a
/// connection is down, not busy), so that "emulator down" is reported within seconds.
pub fn emulator_retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(2))
}

fn timeout_config(t: &Timeouts) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(t.connect)
        .operation_attempt_timeout(t.attempt)
        .operation_timeout(t.operation)
        .build()
}

/// The one HTTP client: hyper with rustls on ring (no second TLS stack, no proxy unless asked).
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Connects with the default options.
pub async fn connect(target: &Target) -> Result<AwsSession, AwsError> {
    connect_with(target, ConnectOptions::default()).await
}

/// Loads the credentials for `target` once (so that a broken profile fails here, with its own
/// message) and returns the session every client is built from.
pub async fn connect_with(
    target: &Target,
    options: ConnectOptions,
) -> Result<AwsSession, AwsError> {
    let client = options.http_client.clone().unwrap_or_else(http_client);
    match target {
        Target::Sandbox { url, region } => connect_sandbox(url, region, client, &options),
        Target::Profile {
            env,
            choice,
            default_region,
        } => connect_profile(env, choice, default_region, client, &options).await,
    }
}

fn base_config(
    region: &str,
    client: SharedHttpClient,
    options: &ConnectOptions,
    credentials: SharedCredentialsProvider,
    emulator: Option<&str>,
) -> aws_types::sdk_config::Builder {
    let builder = SdkConfig::builder()
        .behavior_version(behavior_version())
        .region(Region::new(region.to_string()))
        .http_client(client)
        .retry_config(if emulator.is_some() {
            emulator_retry_config()
        } else {
            retry_config()
        })
        .timeout_config(timeout_config(&options.timeouts))
        .identity_cache(
            IdentityCache::lazy()
                .load_timeout(options.timeouts.credentials)
                .build(),
        )
        .credentials_provider(credentials);
    match emulator {
        Some(url) => builder.endpoint_url(url),
        None => builder,
    }
}

fn connect_sandbox(
    url: &str,
    region: &str,
    client: SharedHttpClient,
    options: &ConnectOptions,
) -> Result<AwsSession, AwsError> {
    let url = check_endpoint_url(url)?;
    // The emulator's own throwaway keys, so that siteup and terraform act in the same account.
    let credentials = Credentials::new(
        SANDBOX_ACCESS_KEY_ID,
        SANDBOX_SECRET_ACCESS_KEY,
        None,
        None,
        "siteup-sandbox",
    );
    let config = base_config(
        region,
        client,
        options,
        SharedCredentialsProvider::new(credentials),
        Some(&url),
    )
    .build();
    Ok(AwsSession {
        config,
        context: CallContext {
            choice: ProfileChoice::Named("sandbox".into()),
            kind: ProfileKind::StaticKeys {
                session_token: false,
            },
            sso_root: None,
            endpoint: Endpoint::Emulator { url },
            credentials_timeout_secs: whole_secs(options.timeouts.credentials),
        },
        region: region.to_string(),
        profile: None,
        expiry: None,
    })
}

/// A bound as messages name it: whole seconds, rounded up, at least 1.
fn whole_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

/// Checks a `--sandbox` URL: http or https, a host, no path beyond `/`.
pub fn check_endpoint_url(url: &str) -> Result<String, AwsError> {
    let trimmed = url.trim().trim_end_matches('/');
    let invalid = |detail: &str| AwsError::InvalidEndpoint {
        url: url.to_string(),
        detail: detail.to_string(),
    };
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or_else(|| invalid("it must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with(':') {
        return Err(invalid("it names no host"));
    }
    if rest.contains('/') || rest.contains('?') || rest.contains('#') || rest.contains(' ') {
        return Err(invalid("it must be just scheme, host and port"));
    }
    Ok(trimmed.to_string())
}

async fn connect_profile(
    env: &AwsEnv,
    choice: &ProfileChoice,
    default_region: &str,
    client: SharedHttpClient,
    options: &ConnectOptions,
) -> Result<AwsSession, AwsError> {
    let set = load_profile_set(env).await?;
    let list: ProfileList = list_from_set(&set, env);
    let info = match list.find(choice) {
        Some(info) => info.clone(),
        None => {
            return Err(match choice {
                ProfileChoice::Environment => AwsError::EnvironmentIncomplete {
                    missing: "AWS_ACCESS_KEY_ID".into(),
                },
                ProfileChoice::Named(name) => AwsError::ProfileNotFound {
                    profile: name.clone(),
                    known: list
                        .names()
                        .into_iter()
                        .filter(|n| n != super::profiles::ENVIRONMENT_PROFILE)
                        .collect(),
                },
            });
        }
    };
    let region = info
        .region
        .clone()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| default_region.to_string());
    if region.trim().is_empty() {
        return Err(AwsError::MissingRegion {
            profile: choice.name().to_string(),
        });
    }
    let emulator = match &options.endpoint_url {
        Some(url) => Some(check_endpoint_url(url)?),
        None => None,
    };
    let context = CallContext {
        choice: choice.clone(),
        kind: info.kind.clone(),
        sso_root: info.sso_root.clone(),
        endpoint: match &emulator {
            Some(url) => Endpoint::Emulator { url: url.clone() },
            None => Endpoint::Aws {
                region: region.clone(),
            },
        },
        credentials_timeout_secs: whole_secs(options.timeouts.credentials),
    };

    // A profile whose own credentials come from a credential_process runs it through siteup's
    // runner, which stops the command (and all it started) when the load is given up.
    let own_process = match (choice, &info.kind) {
        (ProfileChoice::Named(name), ProfileKind::CredentialProcess) => set
            .get_profile(name)
            .and_then(super::process::CredentialProcess::from_profile),
        _ => None,
    };
    // The profile a hanging credential_process belongs to (the chosen one or its source).
    let process_root = match choice {
        ProfileChoice::Named(name) => super::process::process_root_of(&set, name),
        ProfileChoice::Environment => None,
    };

    let provider: SharedCredentialsProvider = match (choice, own_process) {
        (ProfileChoice::Environment, _) => {
            SharedCredentialsProvider::new(environment_credentials(env)?)
        }
        (ProfileChoice::Named(_), Some(process)) => SharedCredentialsProvider::new(process),
        (ProfileChoice::Named(name), None) => {
            let provider_config = ProviderConfig::empty()
                .with_region(Some(Region::new(region.clone())))
                .with_http_client(client.clone())
                .with_retry_config(retry_config())
                .with_timeout_config(timeout_config(&options.timeouts))
                .with_behavior_version(Some(behavior_version()));
            let provider = ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_files(explicit_profile_files(env).await)
                .profile_name(name.clone())
                .with_custom_provider("Ec2InstanceMetadata", Refuse("Ec2InstanceMetadata"))
                .with_custom_provider("EcsContainer", Refuse("EcsContainer"))
                .with_custom_provider("Environment", EnvironmentProvider(env.clone()))
                .build();
            let provider = SharedCredentialsProvider::new(provider);
            // A role over a process profile: the SDK runs the command; stop it when given up.
            match process_root
                .as_deref()
                .and_then(|root| super::process::command_of(&set, root))
            {
                Some(command) => SharedCredentialsProvider::new(
                    super::process::StopsSdkProcess::new(provider, command),
                ),
                None => provider,
            }
        }
    };

    // Load once, bounded, so that a broken profile fails here with its own message.
    let loaded =
        tokio::time::timeout(options.timeouts.credentials, provider.provide_credentials()).await;
    let credentials = match loaded {
        Ok(Ok(c)) => c,
        Ok(Err(err)) => {
            let token = match &info.sso_root {
                Some(root) => Some(sso_token_state(env, root, OffsetDateTime::now_utc()).await),
                None => None,
            };
            let failure = credentials_failure(&err);
            // A role over a process profile: the SDK's chain ran the command; when that is
            // what failed, name the process profile rather than the role.
            let failed_base = process_root
                .filter(|root| root.as_str() != choice.name())
                .filter(|_| failure.detail.contains("external process"));
            let error = match failed_base {
                Some(profile) => AwsError::CredentialProcessFailed {
                    profile,
                    detail: one_line(&failure.detail),
                },
                None => word_credentials(failure, &context, token.as_ref()),
            };
            // The error can quote a credential_process's stderr: its text stays out of the
            // log at the default level.
            tracing::info!(
                profile = choice.name(),
                "the credentials could not be loaded"
            );
            tracing::debug!("{error}");
            return Err(error);
        }
        Err(_elapsed) => {
            // Dropping the load stopped siteup's own credential_process runner (and its group).
            let secs = context.credentials_timeout_secs;
            let error = match process_root {
                Some(profile) => AwsError::CredentialProcessTimedOut { profile, secs },
                None => credentials_timed_out(&context, secs),
            };
            tracing::info!("{error}");
            return Err(error);
        }
    };
    // Never the access key id at info (a masked form at debug).
    tracing::info!(
        profile = choice.name(),
        kind = info.kind.short(),
        "credentials loaded"
    );
    tracing::debug!(
        key = %super::process::masked_key_id(credentials.access_key_id()),
        "access key"
    );

    let token = match &info.sso_root {
        Some(root) => Some(sso_token_state(env, root, OffsetDateTime::now_utc()).await),
        None => None,
    };
    let credentials_expiry = credentials.expiry().map(OffsetDateTime::from);
    let expiry = session_expiry(
        choice,
        info.sso_root.as_ref(),
        token
            .as_ref()
            .filter(|t| !matches!(t, SsoTokenState::Unreadable)),
        credentials_expiry,
    );

    let first = PreLoaded::new(credentials, provider);
    let config = base_config(
        &region,
        client,
        options,
        SharedCredentialsProvider::new(first),
        emulator.as_deref(),
    )
    .build();
    Ok(AwsSession {
        config,
        context,
        region,
        profile: Some(info),
        expiry,
    })
}

/// The config and credentials files named by `env`, read here and handed to the SDK by content
/// so that the provider reads exactly what discovery listed. A file that does not exist is simply
/// absent, as in the AWS CLI (`aws configure sso` writes only `config`; a `credential_process`
/// user may have no `credentials` file); the SDK would refuse a missing file named by path.
async fn explicit_profile_files(env: &AwsEnv) -> ProfileFiles {
    let mut builder = ProfileFiles::builder()
        .include_default_config_file(false)
        .include_default_credentials_file(false);
    let files = [
        (ProfileFileKind::Config, env.config_file()),
        (ProfileFileKind::Credentials, env.credentials_file()),
    ];
    for (kind, path) in files {
        let Some(path) = path else { continue };
        match env.fs().read_to_end(&path).await {
            Ok(bytes) => {
                builder = builder.with_contents(kind, String::from_utf8_lossy(&bytes).into_owned());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // Unreadable for another reason (permissions): by path, so the SDK names it.
            Err(_) => builder = builder.with_file(kind, path),
        }
    }
    builder.build()
}

/// Credentials from the `AWS_ACCESS_KEY_ID` family in `env`.
fn environment_credentials(env: &AwsEnv) -> Result<Credentials, AwsError> {
    let key = env
        .var("AWS_ACCESS_KEY_ID")
        .ok_or_else(|| AwsError::EnvironmentIncomplete {
            missing: "AWS_ACCESS_KEY_ID".into(),
        })?;
    let secret =
        env.var("AWS_SECRET_ACCESS_KEY")
            .ok_or_else(|| AwsError::EnvironmentIncomplete {
                missing: "AWS_SECRET_ACCESS_KEY".into(),
            })?;
    let token = env.var("AWS_SESSION_TOKEN");
    let expiry = env
        .var("AWS_CREDENTIAL_EXPIRATION")
        .and_then(|s| OffsetDateTime::parse(s.trim(), &Rfc3339).ok())
        .map(SystemTime::from);
    Ok(Credentials::new(
        key,
        secret,
        token,
        expiry,
        "siteup-environment",
    ))
}

/// `credential_source = Environment`, read from the [`AwsEnv`].
#[derive(Debug)]
struct EnvironmentProvider(AwsEnv);

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(
            environment_credentials(&self.0)
                .map_err(|e| CredentialsError::not_loaded(e.to_string())),
        )
    }
}

/// Stands in for instance metadata and the container endpoint: always refuses, contacts nothing.
#[derive(Debug)]
struct Refuse(&'static str);

impl ProvideCredentials for Refuse {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(format!(
            "credential_source {}: {REFUSED_MARKER} instance metadata or container endpoints",
            self.0
        ))))
    }
}

/// Hands out the credentials loaded by `connect` first (so a credential_process is not run
/// twice), then defers to the profile's provider once they near their expiry.
struct PreLoaded {
    first: Mutex<Option<Credentials>>,
    inner: SharedCredentialsProvider,
}

impl std::fmt::Debug for PreLoaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not even the access key id: the session's Debug output goes to logs.
        f.write_str("PreLoaded(..)")
    }
}

impl PreLoaded {
    fn new(first: Credentials, inner: SharedCredentialsProvider) -> Self {
        Self {
            first: Mutex::new(Some(first)),
            inner,
        }
    }

    fn take_fresh(&self) -> Option<Credentials> {
        let mut slot = self.first.lock().ok()?;
        let creds = slot.take()?;
        let fresh = creds.expiry().is_none_or(|at| {
            at.duration_since(SystemTime::now())
                .is_ok_and(|left| left > Duration::from_secs(5 * 60))
        });
        fresh.then_some(creds)
    }
}

impl ProvideCredentials for PreLoaded {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        match self.take_fresh() {
            Some(creds) => future::ProvideCredentials::ready(Ok(creds)),
            None => {
                let inner = self.inner.clone();
                future::ProvideCredentials::new(async move { inner.provide_credentials().await })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_are_checked() {
        assert_eq!(
            check_endpoint_url("http://127.0.0.1:4566/").expect("valid"),
            "http://127.0.0.1:4566"
        );
        assert!(check_endpoint_url("127.0.0.1:4566").is_err());
        assert!(check_endpoint_url("http://").is_err());
        assert!(check_endpoint_url("http://127.0.0.1:4566/path").is_err());
        let e = check_endpoint_url("ftp://x").expect_err("invalid");
        assert!(e.to_string().contains("http://127.0.0.1:4566"), "{e}");
    }

    #[test]
    fn environment_credentials_need_both_variables() {
        let env = AwsEnv::from_vars(&[("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")]);
        assert_eq!(
            environment_credentials(&env).expect_err("incomplete"),
            AwsError::EnvironmentIncomplete {
                missing: "AWS_SECRET_ACCESS_KEY".into()
            }
        );
        let env = AwsEnv::from_vars(&[
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret-value"),
            ("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00Z"),
        ]);
        let creds = environment_credentials(&env).expect("complete");
        assert!(creds.expiry().is_some());
        assert!(!format!("{creds:?}").contains("secret-value"));
    }

    #[test]
    fn retry_policy_is_explicit() {
        let r = retry_config();
        assert_eq!(r.max_attempts(), MAX_ATTEMPTS);
        assert_eq!(r.initial_backoff(), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn refused_sources_never_load() {
        let err = Refuse("Ec2InstanceMetadata")
            .provide_credentials()
            .await
            .expect_err("refuses");
        let shown = format!("{err:?}");
        assert!(shown.contains(REFUSED_MARKER), "{shown}");
        assert!(
            shown.contains("credential_source Ec2InstanceMetadata"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn preloaded_credentials_are_handed_out_once() {
        let first = Credentials::new("AKIA1", "s1", None, None, "test");
        let inner =
            SharedCredentialsProvider::new(Credentials::new("AKIA2", "s2", None, None, "test"));
        let p = PreLoaded::new(first, inner);
        assert_eq!(
            p.provide_credentials()
                .await
                .expect("first")
                .access_key_id(),
            "AKIA1"
        );
        assert_eq!(
            p.provide_credentials()
                .await
                .expect("inner")
                .access_key_id(),
            "AKIA2"
        );
    }
}
