//! Who the credentials belong to (STS GetCallerIdentity), the root-user warning, and how long
//! the session lasts.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::words::DurationStyle;

use super::env::AwsEnv;
use super::error::SsoTokenState;
use super::profiles::{ProfileChoice, SsoRoot};

/// What STS says about the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
    pub principal: Principal,
}

impl CallerIdentity {
    pub fn new(account: String, arn: String, user_id: String) -> Self {
        let principal = Principal::from_arn(&arn);
        Self {
            account,
            arn,
            user_id,
            principal,
        }
    }

    /// The warning to show for this identity, if any (the root user).
    pub fn warning(&self) -> Option<String> {
        root_warning(&self.arn)
    }
}

/// The kind of principal behind an ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Principal {
    /// `arn:aws:iam::123456789012:root`
    Root,
    /// `arn:aws:iam::123456789012:user/path/name`
    User { name: String },
    /// `arn:aws:sts::123456789012:assumed-role/Role/session`; `sso` when the role is one
    /// IAM Identity Center made (`AWSReservedSSO_...`).
    AssumedRole {
        role: String,
        session: String,
        sso: bool,
    },
    /// `arn:aws:sts::123456789012:federated-user/name`
    FederatedUser { name: String },
    /// Anything else.
    Other,
}

impl Principal {
    /// Reads the principal out of an ARN (`arn:PARTITION:SERVICE::ACCOUNT:RESOURCE`).
    pub fn from_arn(arn: &str) -> Self {
        let mut parts = arn.splitn(6, ':');
        let (
            Some("arn"),
            Some(_partition),
            Some(service),
            Some(_region),
            Some(_account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Self::Other;
        };
        match (service, resource) {
            ("iam", "root") => Self::Root,
            ("iam", r) if r.starts_with("user/") => Self::User {
                name: r.rsplit('/').next().unwrap_or_default().to_string(),
            },
            ("sts", r) if r.starts_with("assumed-role/") => {
                let mut it = r["assumed-role/".len()..].splitn(2, '/');
                let role = it.next().unwrap_or_default().to_string();
                let session = it.next().unwrap_or_default().to_string();
                let sso = role.starts_with("AWSReservedSSO_");
                Self::AssumedRole { role, session, sso }
            }
            ("sts", r) if r.starts_with("federated-user/") => Self::FederatedUser {
                name: r["federated-user/".len()..].to_string(),
            },
            _ => Self::Other,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("the root user"),
            Self::User { name } => write!(f, "IAM user {name}"),
            Self::AssumedRole {
                role,
                session,
                sso: true,
            } => {
                let set = role
                    .strip_prefix("AWSReservedSSO_")
                    .and_then(|r| r.rsplit_once('_').map(|(name, _)| name))
                    .unwrap_or(role);
                write!(f, "SSO user {session} with permission set {set}")
            }
            Self::AssumedRole { role, session, .. } => {
                write!(f, "role {role} (session {session})")
            }
            Self::FederatedUser { name } => write!(f, "federated user {name}"),
            Self::Other => f.write_str("an AWS principal"),
        }
    }
}

/// The warning for an ARN of the root user, or None for any other ARN.
pub fn root_warning(arn: &str) -> Option<String> {
    if Principal::from_arn(arn) != Principal::Root {
        return None;
    }
    Some(
        "These are the account's root user keys: root keys can do anything in the account, \
         including closing it, and no policy can limit them, so a leaked key costs the whole \
         account; create an IAM Identity Center user (or an IAM user) with administrator \
         rights, run `aws configure sso` for it, choose that profile here, and delete the root \
         access keys in the console (Security credentials)."
            .to_string(),
    )
}

/// Where a known session end comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ExpirySource {
    /// The IAM Identity Center session (the SSO token in the CLI's cache) of this profile.
    SsoToken { profile: String },
    /// Temporary keys that nothing can renew (environment variables with an expiry, or
    /// credentials that report an expiry and come from no renewable source).
    TemporaryKeys { who: String },
}

/// When the session ends, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionExpiry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub source: ExpirySource,
}

/// A warning when the session ends before `now + expected_duration` (the expected length of the
/// step about to run), or None when it lasts long enough.
pub fn warn_if_expires_within(
    expiry: &SessionExpiry,
    now: OffsetDateTime,
    expected_duration: Duration,
) -> Option<String> {
    let expected = time::Duration::try_from(expected_duration).unwrap_or(time::Duration::MAX);
    let outlasts = now
        .checked_add(expected)
        .is_some_and(|deadline| expiry.at > deadline);
    if outlasts {
        return None;
    }
    let at = format_utc(expiry.at);
    let needs = crate::words::duration(expected_duration, DurationStyle::Wait);
    Some(if expiry.at <= now {
        match &expiry.source {
            ExpirySource::SsoToken { profile } => format!(
                "Your SSO session for profile {profile} has expired; run `aws sso login --profile {profile_q}` and try again.",
                profile_q = crate::words::shell_quote(profile)
            ),
            ExpirySource::TemporaryKeys { who } => format!(
                "The temporary credentials of {who} expired at {at}; get fresh ones and try again."
            ),
        }
    } else {
        let left = crate::words::duration(
            Duration::try_from(expiry.at - now).unwrap_or(Duration::ZERO),
            DurationStyle::Wait,
        );
        match &expiry.source {
            ExpirySource::SsoToken { profile } => format!(
                "Your SSO session for profile {profile} ends in {left} (at {at}) and this step can take {needs}; run `aws sso login --profile {profile_q}` first so it does not stop halfway.",
                profile_q = crate::words::shell_quote(profile)
            ),
            ExpirySource::TemporaryKeys { who } => format!(
                "The temporary credentials of {who} end in {left} (at {at}) and this step can take {needs}; get fresh ones first so it does not stop halfway."
            ),
        }
    })
}

/// Decides which expiry matters for a session: the SSO token for SSO-rooted chains, the
/// credentials' own expiry for environment keys. Chains the SDK renews by itself (static keys,
/// credential_process, an assumed role over them) have no expiry that needs a warning.
pub fn session_expiry(
    choice: &ProfileChoice,
    sso_root: Option<&SsoRoot>,
    sso_token: Option<&SsoTokenState>,
    credentials_expiry: Option<OffsetDateTime>,
) -> Option<SessionExpiry> {
    if let Some(root) = sso_root {
        let at = match sso_token {
            Some(SsoTokenState::Valid { expires_at }) => Some(*expires_at),
            Some(SsoTokenState::Expired { expired_at }) => Some(*expired_at),
            _ => credentials_expiry,
        }?;
        return Some(SessionExpiry {
            at,
            source: ExpirySource::SsoToken {
                profile: root.profile.clone(),
            },
        });
    }
    match choice {
        ProfileChoice::Environment => credentials_expiry.map(|at| SessionExpiry {
            at,
            source: ExpirySource::TemporaryKeys {
                who: choice.describe(),
            },
        }),
        ProfileChoice::Named(_) => None,
    }
}

/// The cache file the AWS CLI and SDK keep an SSO session's token in:
/// `~/.aws/sso/cache/<sha1 of the session name or start URL>.json`.
pub fn sso_cache_file(env: &AwsEnv, root: &SsoRoot) -> Option<std::path::PathBuf> {
    let key = root.cache_key()?;
    let digest = Sha1::digest(key.as_bytes());
    Some(
        env.sso_cache_dir()?
            .join(format!("{}.json", hex::encode(digest))),
    )
}

/// Reads only `expiresAt` from the SSO token cache (the token itself is never kept).
pub async fn sso_token_state(env: &AwsEnv, root: &SsoRoot, now: OffsetDateTime) -> SsoTokenState {
    let Some(path) = sso_cache_file(env, root) else {
        return SsoTokenState::Missing;
    };
    let bytes = match env.fs().read_to_end(&path).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return SsoTokenState::Missing,
        Err(_) => return SsoTokenState::Unreadable,
    };
    parse_token_expiry(&bytes, now)
}

/// The part of a cached token siteup reads.
#[derive(Deserialize)]
struct CachedTokenExpiry {
    #[serde(rename = "expiresAt")]
    expires_at: String,
}

fn parse_token_expiry(bytes: &[u8], now: OffsetDateTime) -> SsoTokenState {
    let Ok(cached) = serde_json::from_slice::<CachedTokenExpiry>(bytes) else {
        return SsoTokenState::Unreadable;
    };
    let Ok(at) = OffsetDateTime::parse(cached.expires_at.trim(), &Rfc3339) else {
        return SsoTokenState::Unreadable;
    };
    if at <= now {
        SsoTokenState::Expired { expired_at: at }
    } else {
        SsoTokenState::Valid { expires_at: at }
    }
}

fn format_utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn principals_from_arns() {
        assert_eq!(
            Principal::from_arn("arn:aws:iam::123456789012:root"),
            Principal::Root
        );
        assert_eq!(
            Principal::from_arn("arn:aws:iam::123456789012:user/dev/ada"),
            Principal::User { name: "ada".into() }
        );
        assert_eq!(
            Principal::from_arn(
                "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123abcd/ada@example.com"
            ),
            Principal::AssumedRole {
                role: "AWSReservedSSO_AdministratorAccess_0123abcd".into(),
                session: "ada@example.com".into(),
                sso: true
            }
        );
        assert_eq!(
            Principal::from_arn("arn:aws:sts::1:federated-user/bob"),
            Principal::FederatedUser { name: "bob".into() }
        );
        assert_eq!(Principal::from_arn("not an arn"), Principal::Other);
    }

    #[test]
    fn sso_principals_read_naturally() {
        let p = Principal::from_arn(
            "arn:aws:sts::1:assumed-role/AWSReservedSSO_AdministratorAccess_0123abcd/ada",
        );
        assert_eq!(
            p.to_string(),
            "SSO user ada with permission set AdministratorAccess"
        );
        let r = Principal::from_arn("arn:aws:sts::1:assumed-role/Deployer/siteup");
        assert_eq!(r.to_string(), "role Deployer (session siteup)");
    }

    #[test]
    fn root_gets_a_warning_with_why_and_what_instead() {
        let w = root_warning("arn:aws:iam::123456789012:root").expect("root warns");
        assert!(w.contains("no policy can limit them"), "{w}");
        assert!(w.contains("IAM Identity Center"), "{w}");
        assert!(w.contains("aws configure sso"), "{w}");
        assert_eq!(root_warning("arn:aws:iam::123456789012:user/ada"), None);
        assert_eq!(root_warning("arn:aws:iam::123456789012:rootless"), None);
        // A user literally named root is not the root user.
        assert_eq!(root_warning("arn:aws:iam::123456789012:user/root"), None);
        assert!(root_warning("arn:aws-cn:iam::123456789012:root").is_some());
    }

    fn sso_expiry(at: OffsetDateTime) -> SessionExpiry {
        SessionExpiry {
            at,
            source: ExpirySource::SsoToken {
                profile: "corp".into(),
            },
        }
    }

    #[test]
    fn no_warning_when_the_session_outlasts_the_step() {
        let now = datetime!(2026-03-01 10:00 UTC);
        let e = sso_expiry(datetime!(2026-03-01 12:00 UTC));
        assert_eq!(
            warn_if_expires_within(&e, now, Duration::from_secs(60 * 60)),
            None
        );
    }

    #[test]
    fn warning_when_the_session_ends_during_the_step() {
        let now = datetime!(2026-03-01 10:00 UTC);
        let e = sso_expiry(datetime!(2026-03-01 10:25 UTC));
        let w = warn_if_expires_within(&e, now, Duration::from_secs(40 * 60)).expect("warns");
        assert_eq!(
            w,
            "Your SSO session for profile corp ends in 25 min (at 2026-03-01 10:25 UTC) and this step can take 40 min; run `aws sso login --profile corp` first so it does not stop halfway."
        );
    }

    #[test]
    fn an_already_expired_session_says_so() {
        let now = datetime!(2026-03-01 10:00 UTC);
        let e = sso_expiry(datetime!(2026-03-01 09:00 UTC));
        let w = warn_if_expires_within(&e, now, Duration::from_secs(60)).expect("warns");
        assert!(w.contains("has expired"), "{w}");
    }

    #[test]
    fn expiry_serializes_as_rfc3339() {
        let e = sso_expiry(datetime!(2026-03-01 10:25 UTC));
        let json = serde_json::to_value(&e).expect("serializes");
        assert_eq!(json["at"], "2026-03-01T10:25:00Z");
        assert_eq!(json["source"]["kind"], "sso-token");
        let p = serde_json::to_value(Principal::from_arn("arn:aws:iam::1:root")).expect("ok");
        assert_eq!(p["kind"], "root");
    }

    #[test]
    fn expiry_sources() {
        let root = SsoRoot {
            profile: "corp".into(),
            session: Some("corp".into()),
            start_url: None,
        };
        let at = datetime!(2026-03-01 12:00 UTC);
        let token = SsoTokenState::Valid { expires_at: at };
        let e = session_expiry(
            &ProfileChoice::Named("dev".into()),
            Some(&root),
            Some(&token),
            None,
        )
        .expect("sso expiry");
        assert_eq!(e.at, at);
        assert_eq!(
            session_expiry(&ProfileChoice::Named("keys".into()), None, None, Some(at)),
            None
        );
        assert!(session_expiry(&ProfileChoice::Environment, None, None, Some(at)).is_some());
    }

    #[test]
    fn token_cache_expiry_is_parsed() {
        let now = datetime!(2026-03-01 10:00 UTC);
        let past =
            br#"{"accessToken":"secret","expiresAt":"2026-03-01T09:00:00Z","region":"us-east-1"}"#;
        assert_eq!(
            parse_token_expiry(past, now),
            SsoTokenState::Expired {
                expired_at: datetime!(2026-03-01 09:00 UTC)
            }
        );
        let future = br#"{"expiresAt":"2026-03-01T18:00:00.000Z"}"#;
        assert!(matches!(
            parse_token_expiry(future, now),
            SsoTokenState::Valid { .. }
        ));
        assert_eq!(parse_token_expiry(b"{}", now), SsoTokenState::Unreadable);
    }

    #[test]
    fn cache_file_name_is_the_sha1_of_the_session_name() {
        let env = AwsEnv::from_vars(&[("HOME", "/home/someuser")]);
        let root = SsoRoot {
            profile: "p".into(),
            session: Some("admin".into()),
            start_url: None,
        };
        // The SDK's own test vector.
        assert_eq!(
            sso_cache_file(&env, &root),
            Some(std::path::PathBuf::from(
                "/home/someuser/.aws/sso/cache/d033e22ae348aeb5660fc2140aec35850c4da997.json"
            ))
        );
    }
}
