//! Every AWS failure a user can meet, as one enum, worded in one place.
//!
//! Each message is one sentence: what happened, then (after a semicolon) what to do next.
//! `classify_sdk_error` turns an SDK error into facts ([`Failure`]) and `word` turns facts and
//! the call's context into an [`AwsError`]; the `Display` impl at the bottom is the only place
//! that words messages.

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::profiles::{ProfileChoice, ProfileKind, RoleSource, SsoRoot, one_line};

/// Total attempts per request (the first try and three retries) for throttling, 5xx and
/// transient network errors; see `connect::retry_config`.
pub const MAX_ATTEMPTS: u32 = 4;

/// Seconds one request may take, retries included, before siteup gives up on it.
pub const OPERATION_TIMEOUT_SECS: u64 = 30;

/// Seconds loading credentials may take (a credential_process may wait for a password manager)
/// before siteup gives up and stops it; see `connect::Timeouts`.
pub const CREDENTIALS_TIMEOUT_SECS: u64 = 60;

/// Where the requests went: AWS in a region, or the local emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Aws { region: String },
    Emulator { url: String },
}

/// An AWS failure, with the context its message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsError {
    /// The config or credentials file could not be parsed.
    ProfileFilesInvalid { detail: String },
    /// The chosen profile is not defined.
    ProfileNotFound { profile: String, known: Vec<String> },
    /// The profile defines no credentials (for example only a region).
    NoCredentials { profile: String },
    /// Environment credentials were chosen but a variable is missing.
    EnvironmentIncomplete { missing: String },
    /// The SSO token in the cache has expired (or the SSO portal refused it).
    SsoExpired { profile: String },
    /// There is no cached SSO token for the profile's session.
    SsoNotSignedIn { profile: String },
    /// The profile asks for instance metadata or the container endpoint, which siteup never uses.
    InstanceMetadataRefused { profile: String, source: String },
    /// The profile is set up in a way the SDK refuses (missing source, loop, bad SSO settings).
    ProfileInvalid { profile: String, detail: String },
    /// The profile's credential_process failed.
    CredentialProcessFailed { profile: String, detail: String },
    /// The credential_process of `profile` did not answer within `secs` and was stopped.
    CredentialProcessTimedOut { profile: String, secs: u64 },
    /// Loading credentials (SSO portal, STS for a role) took longer than `secs`.
    CredentialsTimedOut { who: String, secs: u64 },
    /// Assuming the profile's role failed.
    AssumeRoleFailed {
        profile: String,
        role_arn: String,
        detail: String,
    },
    /// Loading credentials failed for another reason.
    CredentialsFailed { who: String, detail: String },
    /// No region in the profile and none given.
    MissingRegion { profile: String },
    /// The `--sandbox` URL is not a usable http(s) URL.
    InvalidEndpoint { url: String, detail: String },
    /// AWS says the session token has expired.
    ExpiredToken {
        who: String,
        sso_profile: Option<String>,
    },
    /// AWS does not recognise the access key or the signature.
    InvalidCredentials {
        who: String,
        profile: Option<String>,
        region: String,
        code: String,
    },
    /// The identity may not call this action.
    AccessDenied {
        who: String,
        action: String,
        code: String,
    },
    /// Still throttled after every retry.
    Throttled { service: String },
    /// Still a server error after every retry.
    ServiceUnavailable { service: String, status: u16 },
    /// The service is not available to this account in this region.
    WrongRegion {
        service: String,
        region: String,
        code: String,
    },
    /// No connection could be made (refused, DNS failure, network down).
    Unreachable {
        service: String,
        endpoint: Endpoint,
        detail: String,
    },
    /// The request or the connection timed out.
    Timeout { service: String, endpoint: Endpoint },
    /// PutAccountDetails refused: a production-access request already exists for the account.
    ProductionAccessConflict { case_id: Option<String> },
    /// AWS refused a request because of what siteup sent (a validation error).
    BadRequest {
        service: String,
        action: String,
        detail: String,
    },
    /// Anything else, with AWS's own code and message.
    Unexpected {
        service: String,
        action: String,
        code: String,
        detail: String,
    },
}

impl StdError for AwsError {}

/// What a failed call looked like, before it is worded (pure data, easy to test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Credentials could not be loaded.
    Credentials(CredentialsFailure),
    /// The attempt or the whole operation timed out.
    Timeout,
    /// No connection could be made.
    Unreachable { detail: String },
    /// The service answered with an error.
    Service {
        code: Option<String>,
        message: Option<String>,
        status: u16,
    },
    /// The service answered something the SDK could not read.
    BadResponse { status: Option<u16>, detail: String },
    /// The request could not be built.
    Other { detail: String },
}

/// The kind of a credentials-loading failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsFailure {
    pub kind: CredentialsFailureKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsFailureKind {
    NotLoaded,
    TimedOut,
    /// Loading needed AWS (the SSO portal, STS for a role) and no connection could be made.
    Unreachable,
    InvalidConfiguration,
    Provider,
    Unhandled,
}

/// What the SDK's SSO cache says about a session's token (read by `identity::sso_token_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoTokenState {
    Valid { expires_at: time::OffsetDateTime },
    Expired { expired_at: time::OffsetDateTime },
    Missing,
    Unreadable,
}

/// Who and where a call was made for: what the messages need to be specific.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    pub choice: ProfileChoice,
    pub kind: ProfileKind,
    pub sso_root: Option<SsoRoot>,
    pub endpoint: Endpoint,
    /// The bound on loading credentials (`connect::Timeouts::credentials`), in whole seconds.
    pub credentials_timeout_secs: u64,
}

impl CallContext {
    /// "profile work" / "the AWS_ACCESS_KEY_ID environment variables" / "the emulator's test
    /// credentials".
    pub fn who(&self) -> String {
        match self.endpoint {
            Endpoint::Emulator { .. } => "the emulator's test credentials".to_string(),
            Endpoint::Aws { .. } => self.choice.describe(),
        }
    }

    fn region(&self) -> String {
        match &self.endpoint {
            Endpoint::Aws { region } => region.clone(),
            Endpoint::Emulator { .. } => "the emulator".to_string(),
        }
    }
}

/// Reduces an SDK error to the facts that decide its wording.
pub fn classify_sdk_error<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    if let Some(cred) = find_credentials_error(err) {
        return Failure::Credentials(credentials_failure(cred));
    }
    let cause = root_cause(err);
    if cause.contains(IDENTITY_TIMEOUT_MARKER) {
        // The identity cache gave up on a later credentials load (a refresh): the same bound,
        // the same words as the first load.
        return Failure::Credentials(CredentialsFailure {
            kind: CredentialsFailureKind::TimedOut,
            detail: cause,
        });
    }
    match err {
        SdkError::TimeoutError(_) => Failure::Timeout,
        SdkError::DispatchFailure(d) => {
            if d.is_timeout() {
                // The connection could not be made in time (offline, a firewall dropping
                // packets): AWS was not reached, it did not fail to answer.
                Failure::Unreachable {
                    detail: "the connection timed out".into(),
                }
            } else if d.is_io() {
                Failure::Unreachable {
                    detail: root_cause(err),
                }
            } else if d.is_user() {
                Failure::Other {
                    detail: root_cause(err),
                }
            } else {
                Failure::Unreachable {
                    detail: root_cause(err),
                }
            }
        }
        SdkError::ResponseError(r) => Failure::BadResponse {
            status: Some(r.raw().status().as_u16()),
            detail: root_cause(err),
        },
        SdkError::ServiceError(s) => Failure::Service {
            code: s.err().code().map(str::to_string),
            message: s.err().message().map(str::to_string),
            status: s.raw().status().as_u16(),
        },
        SdkError::ConstructionFailure(_) => Failure::Other {
            detail: root_cause(err),
        },
        _ => Failure::Other {
            detail: root_cause(err),
        },
    }
}

/// Reduces a credentials-provider error to facts.
pub fn credentials_failure(err: &CredentialsError) -> CredentialsFailure {
    if let Some(connector) = find_connector_error(err)
        && (connector.is_io() || connector.is_timeout())
    {
        return CredentialsFailure {
            kind: CredentialsFailureKind::Unreachable,
            detail: root_cause(err),
        };
    }
    let kind = match err {
        CredentialsError::CredentialsNotLoaded(_) => CredentialsFailureKind::NotLoaded,
        CredentialsError::ProviderTimedOut(_) => CredentialsFailureKind::TimedOut,
        CredentialsError::InvalidConfiguration(_) => CredentialsFailureKind::InvalidConfiguration,
        CredentialsError::ProviderError(_) => CredentialsFailureKind::Provider,
        _ => CredentialsFailureKind::Unhandled,
    };
    let detail = chain_text(err);
    // The SDK's wrapper sentence says nothing the message does not say already.
    let detail = match detail.strip_prefix("an error occurred while loading credentials: ") {
        Some(rest) => rest.to_string(),
        None => detail,
    };
    CredentialsFailure { kind, detail }
}

/// Words a failed call. `service` is the display name ("Route 53"), `action` the IAM action
/// (`route53:ListHostedZonesByName`).
pub fn word(failure: Failure, ctx: &CallContext, service: &str, action: &str) -> AwsError {
    let service_s = service.to_string();
    match failure {
        Failure::Credentials(c) => word_credentials(c, ctx, None),
        Failure::Timeout => AwsError::Timeout {
            service: service_s,
            endpoint: ctx.endpoint.clone(),
        },
        Failure::Unreachable { detail } => AwsError::Unreachable {
            service: service_s,
            endpoint: ctx.endpoint.clone(),
            detail: short_cause(&detail),
        },
        Failure::BadResponse { status, detail } => match status {
            Some(s) if s >= 500 => AwsError::ServiceUnavailable {
                service: service_s,
                status: s,
            },
            _ => AwsError::Unexpected {
                service: service_s,
                action: action.to_string(),
                code: status.map_or_else(|| "no status".into(), |s| format!("HTTP {s}")),
                detail: one_line(&detail),
            },
        },
        Failure::Other { detail } => AwsError::Unexpected {
            service: service_s,
            action: action.to_string(),
            code: "request not sent".into(),
            detail: one_line(&detail),
        },
        Failure::Service {
            code,
            message,
            status,
        } => word_service(
            code.as_deref().unwrap_or(""),
            message.as_deref().unwrap_or(""),
            status,
            ctx,
            service,
            action,
        ),
    }
}

fn word_service(
    code: &str,
    message: &str,
    status: u16,
    ctx: &CallContext,
    service: &str,
    action: &str,
) -> AwsError {
    let code_s = if code.is_empty() {
        format!("HTTP {status}")
    } else {
        code.to_string()
    };
    const THROTTLING: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
    ];
    const EXPIRED: &[&str] = &[
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "TokenRefreshRequired",
    ];
    const INVALID: &[&str] = &[
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidSignatureException",
        "AuthFailure",
        "InvalidAccessKeyId",
        "MissingAuthenticationToken",
    ];
    const DENIED: &[&str] = &[
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "NotAuthorized",
    ];
    const REGION: &[&str] = &[
        "OptInRequired",
        "InvalidRegion",
        "RegionDisabledException",
        "AuthorizationHeaderMalformed",
    ];
    let is = |list: &[&str]| list.iter().any(|c| c.eq_ignore_ascii_case(code));

    if is(THROTTLING) || status == 429 && !is(DENIED) {
        return AwsError::Throttled {
            service: service.to_string(),
        };
    }
    if is(EXPIRED) || message.to_ascii_lowercase().contains("token has expired") {
        return AwsError::ExpiredToken {
            who: ctx.who(),
            sso_profile: ctx.sso_root.as_ref().map(|r| r.profile.clone()),
        };
    }
    if is(INVALID) {
        return AwsError::InvalidCredentials {
            who: ctx.who(),
            profile: match &ctx.choice {
                ProfileChoice::Named(n) => Some(n.clone()),
                ProfileChoice::Environment => None,
            },
            region: ctx.region(),
            code: code_s,
        };
    }
    if is(REGION) {
        return AwsError::WrongRegion {
            service: service.to_string(),
            region: ctx.region(),
            code: code_s,
        };
    }
    if is(DENIED) || status == 403 {
        return AwsError::AccessDenied {
            who: ctx.who(),
            action: action.to_string(),
            code: code_s,
        };
    }
    if code.eq_ignore_ascii_case("ConflictException") && action.ends_with("PutAccountDetails") {
        return AwsError::ProductionAccessConflict { case_id: None };
    }
    if status >= 500 {
        return AwsError::ServiceUnavailable {
            service: service.to_string(),
            status,
        };
    }
    if status == 400
        && (code.eq_ignore_ascii_case("BadRequestException")
            || code.eq_ignore_ascii_case("ValidationException")
            || code.eq_ignore_ascii_case("InvalidInput")
            || code.eq_ignore_ascii_case("InvalidParameterValue"))
    {
        return AwsError::BadRequest {
            service: service.to_string(),
            action: action.to_string(),
            detail: one_line(message),
        };
    }
    AwsError::Unexpected {
        service: service.to_string(),
        action: action.to_string(),
        code: code_s,
        detail: one_line(message),
    }
}

/// Words a credentials failure for the chosen profile. `token` is what the SSO cache says, when
/// it was read.
pub fn word_credentials(
    failure: CredentialsFailure,
    ctx: &CallContext,
    token: Option<&SsoTokenState>,
) -> AwsError {
    let profile = ctx.choice.name().to_string();
    let detail = one_line(&failure.detail);
    let lower = failure.detail.to_ascii_lowercase();

    if matches!(failure.kind, CredentialsFailureKind::TimedOut) {
        return credentials_timed_out(ctx, ctx.credentials_timeout_secs);
    }
    if matches!(failure.kind, CredentialsFailureKind::Unreachable) {
        // Offline (or a proxy in the way): not an expired session nor a broken profile.
        // An SSO chain asks the SSO portal first (then STS for a role over it).
        let service = match &ctx.kind {
            _ if ctx.sso_root.is_some() => "IAM Identity Center (SSO)",
            ProfileKind::AssumeRole { .. } | ProfileKind::WebIdentity { .. } => "STS",
            _ => "sign-in",
        };
        return AwsError::Unreachable {
            service: service.into(),
            endpoint: ctx.endpoint.clone(),
            detail: short_cause(&failure.detail),
        };
    }
    if lower.contains(REFUSED_MARKER) {
        let source = match &ctx.kind {
            ProfileKind::AssumeRole {
                source: RoleSource::CredentialSource(s),
                ..
            } => s.clone(),
            _ => "Ec2InstanceMetadata".to_string(),
        };
        return AwsError::InstanceMetadataRefused { profile, source };
    }
    if let ProfileKind::Sso {
        account_id,
        role_name,
        ..
    } = &ctx.kind
        && (account_id.is_none() || role_name.is_none())
    {
        // Such a profile gives a token (for `aws sso` commands), not credentials.
        return AwsError::ProfileInvalid {
            profile,
            detail: "it names no sso_account_id or no sso_role_name, so it gives no credentials"
                .into(),
        };
    }
    if let Some(root) = &ctx.sso_root
        && !matches!(failure.kind, CredentialsFailureKind::InvalidConfiguration)
    {
        // The SSO token is the usual cause: expired, revoked (the portal answers
        // UnauthorizedException) or never obtained. With a token the cache says is valid and no
        // sign of that, the failure is the role's or the permission set's.
        let token_refused =
            lower.contains("expired") || lower.contains("unauthorized") || lower.contains("token");
        match token {
            Some(SsoTokenState::Missing) => {
                return AwsError::SsoNotSignedIn {
                    profile: root.profile.clone(),
                };
            }
            Some(SsoTokenState::Valid { .. }) if !token_refused => {}
            _ => {
                return AwsError::SsoExpired {
                    profile: root.profile.clone(),
                };
            }
        }
    }
    match failure.kind {
        CredentialsFailureKind::NotLoaded => match &ctx.choice {
            ProfileChoice::Environment => AwsError::EnvironmentIncomplete {
                missing: "AWS_ACCESS_KEY_ID".into(),
            },
            ProfileChoice::Named(_) if lower.contains("was not defined") => {
                AwsError::ProfileNotFound {
                    profile,
                    known: Vec::new(),
                }
            }
            ProfileChoice::Named(_) => AwsError::NoCredentials { profile },
        },
        CredentialsFailureKind::InvalidConfiguration => {
            AwsError::ProfileInvalid { profile, detail }
        }
        CredentialsFailureKind::Provider | CredentialsFailureKind::Unhandled => match &ctx.kind {
            ProfileKind::CredentialProcess => AwsError::CredentialProcessFailed { profile, detail },
            ProfileKind::AssumeRole { role_arn, .. } => AwsError::AssumeRoleFailed {
                profile,
                role_arn: role_arn.clone(),
                detail,
            },
            _ => AwsError::CredentialsFailed {
                who: ctx.who(),
                detail,
            },
        },
        CredentialsFailureKind::TimedOut => {
            credentials_timed_out(ctx, ctx.credentials_timeout_secs)
        }
        CredentialsFailureKind::Unreachable => AwsError::Unreachable {
            service: "sign-in".into(),
            endpoint: ctx.endpoint.clone(),
            detail: short_cause(&failure.detail),
        },
    }
}

/// Loading the credentials of `ctx` took longer than `secs`: a credential_process that did not
/// answer, or AWS sign-in (SSO portal, STS) that did not.
pub fn credentials_timed_out(ctx: &CallContext, secs: u64) -> AwsError {
    match &ctx.kind {
        ProfileKind::CredentialProcess => AwsError::CredentialProcessTimedOut {
            profile: ctx.choice.name().to_string(),
            secs,
        },
        _ => AwsError::CredentialsTimedOut {
            who: ctx.choice.describe(),
            secs,
        },
    }
}

/// How the SDK's identity cache words a credentials load it gave up on (`load_timeout`).
const IDENTITY_TIMEOUT_MARKER: &str = "identity resolver timed out";

/// The message of the provider that stands in for instance metadata and the container endpoint.
pub(crate) const REFUSED_MARKER: &str = "siteup never contacts";

fn find_credentials_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(c);
        }
        current = e.source();
    }
    None
}

fn find_connector_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a ConnectorError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(c) = e.downcast_ref::<ConnectorError>() {
            return Some(c);
        }
        current = e.source();
    }
    None
}

/// The deepest error's text: "Connection refused (os error 111)".
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut last = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() {
            last = text;
        }
        current = e.source();
    }
    last
}

/// Every error in the chain, joined: the SDK puts the useful part in different places.
fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// A short, lower-case cause for "could not reach" messages.
fn short_cause(detail: &str) -> String {
    let lower = detail.to_ascii_lowercase();
    if lower.contains("connection refused") {
        "connection refused".into()
    } else if lower.contains("temporary failure in name resolution") {
        // No DNS server answered: the usual sign of being offline.
        "no network: host names cannot be looked up".into()
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
        || lower.contains("no such host")
    {
        "the host name does not resolve".into()
    } else if lower.contains("network is unreachable") || lower.contains("no route to host") {
        "the network is unreachable".into()
    } else if lower.contains("connection reset") {
        "connection reset".into()
    } else if lower.contains("certificate") || lower.contains("tls") {
        "TLS handshake failed".into()
    } else {
        one_line(detail)
    }
}

fn sso_login(profile: &str) -> String {
    format!(
        "`aws sso login --profile {}`",
        crate::words::shell_quote(profile)
    )
}

fn console_case_url(case_id: &str) -> String {
    format!("https://console.aws.amazon.com/support/home#/case/?displayId={case_id}")
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProfileFilesInvalid { detail } => write!(
                f,
                "The AWS config or credentials file could not be read ({detail}); fix the line it names (or run `aws configure list-profiles` to see what the AWS CLI makes of it) and try again."
            ),
            Self::ProfileNotFound { profile, known } => {
                if known.is_empty() {
                    write!(
                        f,
                        "There is no AWS profile named {profile}; create it with `aws configure sso --profile {profile_q}` (or `aws configure --profile {profile_q}` for access keys) and try again.",
                        profile_q = crate::words::shell_quote(profile)
                    )
                } else {
                    write!(
                        f,
                        "There is no AWS profile named {profile}; choose one of {} or create it with `aws configure sso --profile {profile_q}`.",
                        known.join(", "),
                        profile_q = crate::words::shell_quote(profile)
                    )
                }
            }
            Self::NoCredentials { profile } => write!(
                f,
                "Profile {profile} has no credentials; add access keys with `aws configure --profile {profile_q}` or set up single sign-on with `aws configure sso`, then try again.",
                profile_q = crate::words::shell_quote(profile)
            ),
            Self::EnvironmentIncomplete { missing } => write!(
                f,
                "The environment credentials are incomplete ({missing} is not set); export both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or choose a profile instead."
            ),
            Self::SsoExpired { profile } => write!(
                f,
                "Your SSO session for profile {profile} has expired; run {} and try again.",
                sso_login(profile)
            ),
            Self::SsoNotSignedIn { profile } => write!(
                f,
                "You are not signed in to the SSO session of profile {profile}; run {} and try again.",
                sso_login(profile)
            ),
            Self::InstanceMetadataRefused { profile, source } => write!(
                f,
                "Profile {profile} takes its credentials from {source}, which siteup never contacts (it only works on an AWS machine and can act for that machine); choose a profile with SSO or access keys, or create one with `aws configure sso`."
            ),
            Self::ProfileInvalid { profile, detail } => write!(
                f,
                "Profile {profile} is not set up correctly ({detail}); fix it in ~/.aws/config (or recreate it with `aws configure sso --profile {profile_q}`) and try again.",
                profile_q = crate::words::shell_quote(profile)
            ),
            Self::CredentialProcessFailed { profile, detail } => write!(
                f,
                "The credential_process of profile {profile} failed ({detail}); run that command yourself to see why, fix it, and try again."
            ),
            Self::CredentialProcessTimedOut { profile, secs } => write!(
                f,
                "The credential_process of profile {profile} did not answer within {within} and was stopped; if it waits for a password manager or vault, unlock that first, otherwise run the command that `aws configure get credential_process --profile {profile_q}` prints yourself to see where it hangs, then try again.",
                profile_q = crate::words::shell_quote(profile),
                within = crate::words::seconds(*secs, crate::words::DurationStyle::Seconds)
            ),
            Self::CredentialsTimedOut { who, secs } => write!(
                f,
                "The credentials of {who} did not load within {} (AWS sign-in did not answer); check your internet connection and try again.",
                crate::words::seconds(*secs, crate::words::DurationStyle::Seconds)
            ),
            Self::AssumeRoleFailed {
                profile,
                role_arn,
                detail,
            } => write!(
                f,
                "Profile {profile} could not assume the role {role_arn} ({detail}); check that its source credentials work and that the role trusts them, then try again."
            ),
            Self::CredentialsFailed { who, detail } => write!(
                f,
                "The credentials of {who} could not be loaded ({detail}); check them with `aws sts get-caller-identity` and try again."
            ),
            Self::MissingRegion { profile } => write!(
                f,
                "Profile {profile} names no region and none was given; add one with `aws configure set region eu-west-1 --profile {profile_q}` (or choose the region in siteup) and try again.",
                profile_q = crate::words::shell_quote(profile)
            ),
            Self::InvalidEndpoint { url, detail } => write!(
                f,
                "The emulator address {url} is not usable ({detail}); give a URL like http://127.0.0.1:4566."
            ),
            Self::ExpiredToken { who, sso_profile } => match sso_profile {
                Some(p) => write!(
                    f,
                    "Your SSO session for profile {p} has expired; run {} and try again.",
                    sso_login(p)
                ),
                None => write!(
                    f,
                    "The session credentials of {who} have expired; get fresh ones (new temporary keys, or `aws configure` for long-lived keys) and try again."
                ),
            },
            Self::InvalidCredentials {
                who,
                profile,
                region,
                code,
            } => {
                let check = match profile {
                    Some(p) => format!(
                        "`aws sts get-caller-identity --profile {}`",
                        crate::words::shell_quote(p)
                    ),
                    None => "`aws sts get-caller-identity`".to_string(),
                };
                write!(
                    f,
                    "AWS does not accept the credentials of {who} ({code}: the access key is unknown, deleted or mistyped, or the region {region} is not enabled for the account); check them with {check} and replace them if needed."
                )
            }
            Self::AccessDenied { who, action, code } => write!(
                f,
                "The identity of {who} is not allowed to call {action} ({code}); give it administrator rights for the setup (for example the AdministratorAccess permission set) or choose another profile."
            ),
            Self::Throttled { service } => write!(
                f,
                "AWS kept throttling siteup's {service} requests ({MAX_ATTEMPTS} attempts); wait a minute and try again."
            ),
            Self::ServiceUnavailable { service, status } => write!(
                f,
                "{service} answered with a server error (HTTP {status}) on each of {MAX_ATTEMPTS} attempts; wait a few minutes and try again (https://health.aws.amazon.com lists outages)."
            ),
            Self::WrongRegion {
                service,
                region,
                code,
            } => write!(
                f,
                "{service} is not available to this account in {region} ({code}); enable the region in the AWS console (Account, AWS Regions) or choose another region."
            ),
            Self::Unreachable {
                service,
                endpoint,
                detail,
            } => match endpoint {
                Endpoint::Emulator { url } => write!(
                    f,
                    "The AWS emulator at {url} is not answering ({detail}); start it with `siteup sandbox` (or check the --sandbox URL) and try again."
                ),
                Endpoint::Aws { region } => write!(
                    f,
                    "siteup could not reach AWS {service} in {region} ({detail}); check your internet connection, proxy and the region name, then try again."
                ),
            },
            Self::Timeout { service, endpoint } => match endpoint {
                Endpoint::Emulator { url } => write!(
                    f,
                    "The AWS emulator at {url} did not answer {service} within {}; restart it with `siteup sandbox --stop` then `siteup sandbox`, and try again.",
                    crate::words::seconds(
                        OPERATION_TIMEOUT_SECS,
                        crate::words::DurationStyle::Seconds
                    )
                ),
                Endpoint::Aws { region } => write!(
                    f,
                    "AWS {service} in {region} did not answer within {}; check your connection and try again in a minute.",
                    crate::words::seconds(
                        OPERATION_TIMEOUT_SECS,
                        crate::words::DurationStyle::Seconds
                    )
                ),
            },
            Self::ProductionAccessConflict { case_id } => match case_id {
                Some(id) => write!(
                    f,
                    "AWS already has a production-access request for this account (case {id}) and does not take another through the API; reply to that case in the AWS Support console ({}) with your updated description.",
                    console_case_url(id)
                ),
                None => write!(
                    f,
                    "AWS already has a production-access request for this account and does not take another through the API; reply to its case in the AWS Support console (https://console.aws.amazon.com/support/home#/case/) with your updated description."
                ),
            },
            Self::BadRequest {
                service,
                action,
                detail,
            } => write!(
                f,
                "{service} refused {action} as invalid ({detail}); correct what it names and try again."
            ),
            Self::Unexpected {
                service,
                action,
                code,
                detail,
            } => {
                if detail.is_empty() {
                    write!(
                        f,
                        "{service} failed on {action} ({code}); try again, and if it keeps failing, read the details in siteup's log under .siteup/."
                    )
                } else {
                    write!(
                        f,
                        "{service} failed on {action} ({code}: {detail}); try again, and if it keeps failing, read the details in siteup's log under .siteup/."
                    )
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    /// The context of the SSO profile `work` (session `corp`) with this account and role.
    fn sso_ctx(account: Option<&str>, role: Option<&str>) -> CallContext {
        let mut c = ctx();
        c.kind = ProfileKind::Sso {
            session: Some("corp".into()),
            start_url: None,
            account_id: account.map(str::to_string),
            role_name: role.map(str::to_string),
        };
        c.sso_root = Some(SsoRoot {
            profile: "work".into(),
            session: Some("corp".into()),
            start_url: None,
        });
        c
    }

    fn ctx() -> CallContext {
        CallContext {
            choice: ProfileChoice::Named("work".into()),
            kind: ProfileKind::StaticKeys {
                session_token: false,
            },
            sso_root: None,
            endpoint: Endpoint::Aws {
                region: "eu-west-1".into(),
            },
            credentials_timeout_secs: CREDENTIALS_TIMEOUT_SECS,
        }
    }

    fn service_error(code: &str, status: u16) -> SdkError<GetCallerIdentityError, HttpResponse> {
        let err = GetCallerIdentityError::generic(
            ErrorMetadata::builder()
                .code(code)
                .message("it went wrong")
                .build(),
        );
        let status = StatusCode::try_from(status).expect("valid status");
        SdkError::service_error(err, HttpResponse::new(status, SdkBody::empty()))
    }

    fn classify_word(err: SdkError<GetCallerIdentityError, HttpResponse>) -> AwsError {
        word(
            classify_sdk_error(&err),
            &ctx(),
            "STS",
            "sts:GetCallerIdentity",
        )
    }

    #[test]
    fn throttling_codes_and_429_are_throttling() {
        for (code, status) in [
            ("Throttling", 400),
            ("TooManyRequestsException", 429),
            ("", 429),
        ] {
            assert_eq!(
                classify_word(service_error(code, status)),
                AwsError::Throttled {
                    service: "STS".into()
                },
                "{code}"
            );
        }
        let text = classify_word(service_error("Throttling", 400)).to_string();
        assert!(text.contains("wait a minute"), "{text}");
    }

    #[test]
    fn server_errors_say_wait() {
        let e = classify_word(service_error("InternalFailure", 503));
        assert_eq!(
            e,
            AwsError::ServiceUnavailable {
                service: "STS".into(),
                status: 503
            }
        );
        assert!(e.to_string().contains("HTTP 503"));
    }

    #[test]
    fn access_denied_names_the_action_and_profile() {
        let e = classify_word(service_error("AccessDenied", 403));
        let text = e.to_string();
        assert!(text.contains("sts:GetCallerIdentity"), "{text}");
        assert!(text.contains("profile work"), "{text}");
        assert!(text.contains("AdministratorAccess"), "{text}");
    }

    #[test]
    fn expired_token_for_an_sso_chain_says_sso_login() {
        let mut c = ctx();
        c.sso_root = Some(SsoRoot {
            profile: "corp".into(),
            session: Some("corp".into()),
            start_url: None,
        });
        let e = word(
            classify_sdk_error(&service_error("ExpiredToken", 400)),
            &c,
            "STS",
            "sts:GetCallerIdentity",
        );
        assert_eq!(
            e.to_string(),
            "Your SSO session for profile corp has expired; run `aws sso login --profile corp` and try again."
        );
        let plain = classify_word(service_error("ExpiredTokenException", 400));
        assert!(plain.to_string().contains("have expired"), "{plain}");
    }

    #[test]
    fn invalid_key_mentions_region_enablement() {
        let e = classify_word(service_error("InvalidClientTokenId", 403));
        let text = e.to_string();
        assert!(text.contains("eu-west-1"), "{text}");
        assert!(
            text.contains("aws sts get-caller-identity --profile work"),
            "{text}"
        );
    }

    #[test]
    fn opt_in_required_is_the_wrong_region() {
        let e = classify_word(service_error("OptInRequired", 403));
        assert!(matches!(e, AwsError::WrongRegion { .. }), "{e:?}");
        assert!(e.to_string().contains("eu-west-1"));
    }

    #[test]
    fn conflict_on_put_account_details_is_the_production_conflict() {
        let err = service_error("ConflictException", 409);
        let e = word(
            classify_sdk_error(&err),
            &ctx(),
            "SES",
            "ses:PutAccountDetails",
        );
        assert_eq!(e, AwsError::ProductionAccessConflict { case_id: None });
        let with_case = AwsError::ProductionAccessConflict {
            case_id: Some("1234".into()),
        };
        assert!(with_case.to_string().contains("displayId=1234"));
    }

    #[test]
    fn connection_refused_against_the_emulator_says_start_it() {
        let err: SdkError<GetCallerIdentityError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused (os error 111)",
            ))));
        let mut c = ctx();
        c.endpoint = Endpoint::Emulator {
            url: "http://127.0.0.1:9".into(),
        };
        let e = word(classify_sdk_error(&err), &c, "STS", "sts:GetCallerIdentity");
        assert_eq!(
            e.to_string(),
            "The AWS emulator at http://127.0.0.1:9 is not answering (connection refused); start it with `siteup sandbox` (or check the --sandbox URL) and try again."
        );
    }

    #[test]
    fn timeouts_are_worded_with_the_limit() {
        let err: SdkError<GetCallerIdentityError, HttpResponse> =
            SdkError::timeout_error("operation timed out");
        let e = classify_word(err);
        assert!(matches!(e, AwsError::Timeout { .. }));
        assert!(e.to_string().contains("within 30 s"), "{e}");
    }

    #[test]
    fn offline_credential_loading_is_unreachable_not_an_expired_session() {
        // What the SSO provider returns when the portal cannot be reached: the SDK error of
        // GetRoleCredentials (a dispatch failure) inside a CredentialsError.
        let dispatch: SdkError<GetCallerIdentityError, HttpResponse> = SdkError::dispatch_failure(
            ConnectorError::io(Box::new(std::io::Error::other(
                "dns error: failed to lookup address information: Temporary failure in name resolution",
            ))),
        );
        let cred = CredentialsError::provider_error(dispatch);
        let failure = credentials_failure(&cred);
        assert_eq!(
            failure.kind,
            CredentialsFailureKind::Unreachable,
            "{failure:?}"
        );
        let mut c = sso_ctx(Some("111122223333"), Some("Admin"));
        // Whatever the token cache says (here: unreadable), offline is not "expired".
        let e = word_credentials(failure.clone(), &c, Some(&SsoTokenState::Unreadable));
        assert_eq!(
            e.to_string(),
            "siteup could not reach AWS IAM Identity Center (SSO) in eu-west-1 (no network: host names cannot be looked up); check your internet connection, proxy and the region name, then try again."
        );
        // A role over the SSO profile asks the portal first: the portal is named, not STS.
        c.kind = ProfileKind::AssumeRole {
            role_arn: "arn:aws:iam::1:role/Deployer".into(),
            source: RoleSource::Profile("work".into()),
        };
        let role = word_credentials(failure.clone(), &c, None);
        assert!(
            role.to_string().contains("IAM Identity Center (SSO)"),
            "{role}"
        );
        c.sso_root = None;
        let plain_role = word_credentials(failure, &c, None);
        assert!(
            plain_role.to_string().contains("reach AWS STS"),
            "{plain_role}"
        );
    }

    #[test]
    fn a_connect_timeout_is_unreachable_not_a_slow_answer() {
        let err: SdkError<GetCallerIdentityError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::timeout(Box::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connection timed out",
            ))));
        let e = classify_word(err);
        assert_eq!(
            e.to_string(),
            "siteup could not reach AWS STS in eu-west-1 (the connection timed out); check your internet connection, proxy and the region name, then try again."
        );
        let unreachable: SdkError<GetCallerIdentityError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(std::io::Error::other(
                "Network is unreachable (os error 101)",
            ))));
        assert!(
            classify_word(unreachable)
                .to_string()
                .contains("(the network is unreachable)")
        );
    }

    #[test]
    fn credential_timeouts_name_the_real_bound_and_the_process() {
        let mut c = ctx();
        c.kind = ProfileKind::CredentialProcess;
        let e = credentials_timed_out(&c, 60);
        assert_eq!(
            e,
            AwsError::CredentialProcessTimedOut {
                profile: "work".into(),
                secs: 60
            }
        );
        let text = e.to_string();
        assert!(text.contains("within 60 s"), "{text}");
        assert!(text.contains("password manager"), "{text}");
        assert!(!text.contains("connection"), "{text}");
        let sso = credentials_timed_out(&ctx(), 60).to_string();
        assert!(sso.contains("within 60 s"), "{sso}");
        // A timeout reported by the SDK (a later refresh) gets the same words.
        let failure = credentials_failure(&CredentialsError::provider_timed_out(
            std::time::Duration::from_secs(60),
        ));
        assert!(matches!(
            word_credentials(failure, &c, None),
            AwsError::CredentialProcessTimedOut { secs: 60, .. }
        ));
    }

    #[test]
    fn a_refresh_given_up_by_the_identity_cache_is_a_credentials_timeout() {
        #[derive(Debug)]
        struct TimedOut;
        impl fmt::Display for TimedOut {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("identity resolver timed out after 60s")
            }
        }
        impl StdError for TimedOut {}
        let err: SdkError<GetCallerIdentityError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::other(Box::new(TimedOut), None));
        let mut c = ctx();
        c.kind = ProfileKind::CredentialProcess;
        let e = word(classify_sdk_error(&err), &c, "STS", "sts:GetCallerIdentity");
        assert_eq!(
            e,
            AwsError::CredentialProcessTimedOut {
                profile: "work".into(),
                secs: CREDENTIALS_TIMEOUT_SECS
            }
        );
    }

    #[test]
    fn credentials_errors_inside_dispatch_failures_are_found() {
        let cred =
            CredentialsError::provider_error("the SSO token has expired and cannot be refreshed");
        let err: SdkError<GetCallerIdentityError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::other(Box::new(cred), None));
        let failure = classify_sdk_error(&err);
        assert!(matches!(failure, Failure::Credentials(_)), "{failure:?}");
        let c = sso_ctx(Some("111122223333"), Some("Admin"));
        let e = word(failure, &c, "STS", "sts:GetCallerIdentity");
        assert_eq!(
            e,
            AwsError::SsoExpired {
                profile: "work".into()
            }
        );
    }

    #[test]
    fn a_missing_sso_token_says_not_signed_in() {
        let mut c = ctx();
        c.sso_root = Some(SsoRoot {
            profile: "work".into(),
            session: Some("corp".into()),
            start_url: None,
        });
        let failure = CredentialsFailure {
            kind: CredentialsFailureKind::Provider,
            detail: "failed to read cached SSO token".into(),
        };
        let e = word_credentials(failure, &c, Some(&SsoTokenState::Missing));
        assert_eq!(
            e.to_string(),
            "You are not signed in to the SSO session of profile work; run `aws sso login --profile work` and try again."
        );
    }

    #[test]
    fn a_valid_sso_token_with_a_failing_role_blames_the_role() {
        let mut c = ctx();
        c.kind = ProfileKind::AssumeRole {
            role_arn: "arn:aws:iam::1:role/Deployer".into(),
            source: RoleSource::Profile("sso".into()),
        };
        c.sso_root = Some(SsoRoot {
            profile: "sso".into(),
            session: Some("corp".into()),
            start_url: None,
        });
        let valid = SsoTokenState::Valid {
            expires_at: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        let denied = CredentialsFailure {
            kind: CredentialsFailureKind::Provider,
            detail: "AccessDenied: not authorized to perform sts:AssumeRole".into(),
        };
        assert!(matches!(
            word_credentials(denied, &c, Some(&valid)),
            AwsError::AssumeRoleFailed { .. }
        ));
        let revoked = CredentialsFailure {
            kind: CredentialsFailureKind::Provider,
            detail: "UnauthorizedException: Session token not found or invalid".into(),
        };
        assert_eq!(
            word_credentials(revoked, &c, Some(&valid)),
            AwsError::SsoExpired {
                profile: "sso".into()
            }
        );
    }

    #[test]
    fn an_sso_profile_without_account_or_role_is_invalid_not_expired() {
        let c = sso_ctx(None, None);
        let failure = credentials_failure(&CredentialsError::not_loaded(
            "selected profile will resolve an access token instead of credentials",
        ));
        let e = word_credentials(failure, &c, None);
        assert!(matches!(e, AwsError::ProfileInvalid { .. }), "{e:?}");
        assert!(e.to_string().contains("sso_account_id"), "{e}");
    }

    #[test]
    fn not_loaded_is_the_configure_message() {
        let failure = credentials_failure(&CredentialsError::not_loaded("no credentials"));
        let e = word_credentials(failure, &ctx(), None);
        assert_eq!(
            e.to_string(),
            "Profile work has no credentials; add access keys with `aws configure --profile work` or set up single sign-on with `aws configure sso`, then try again."
        );
    }

    #[test]
    fn process_and_role_failures_name_their_part() {
        let mut c = ctx();
        c.kind = ProfileKind::CredentialProcess;
        let f = credentials_failure(&CredentialsError::provider_error("exited with code 1"));
        assert!(matches!(
            word_credentials(f.clone(), &c, None),
            AwsError::CredentialProcessFailed { .. }
        ));
        c.kind = ProfileKind::AssumeRole {
            role_arn: "arn:aws:iam::1:role/R".into(),
            source: RoleSource::Profile("base".into()),
        };
        let e = word_credentials(f, &c, None);
        assert!(e.to_string().contains("arn:aws:iam::1:role/R"), "{e}");
    }

    #[test]
    fn every_message_is_one_sentence_with_a_next_step() {
        let samples = vec![
            AwsError::ProfileFilesInvalid {
                detail: "line 3".into(),
            },
            AwsError::ProfileNotFound {
                profile: "x".into(),
                known: vec!["a".into(), "b".into()],
            },
            AwsError::MissingRegion {
                profile: "x".into(),
            },
            AwsError::CredentialProcessTimedOut {
                profile: "x".into(),
                secs: 60,
            },
            AwsError::CredentialsTimedOut {
                who: "profile x".into(),
                secs: 60,
            },
            AwsError::InstanceMetadataRefused {
                profile: "x".into(),
                source: "Ec2InstanceMetadata".into(),
            },
            AwsError::Unreachable {
                service: "STS".into(),
                endpoint: Endpoint::Aws {
                    region: "us-east-1".into(),
                },
                detail: "the host name does not resolve".into(),
            },
            AwsError::Unexpected {
                service: "SES".into(),
                action: "ses:GetAccount".into(),
                code: "Weird".into(),
                detail: String::new(),
            },
        ];
        for e in samples {
            let text = e.to_string();
            assert!(text.ends_with('.'), "{text}");
            assert!(text.contains(';'), "{text}");
            assert!(!text.contains('\n'), "{text}");
        }
    }
}
