//! The AWS profiles the SDK itself sees, each with its kind.
//!
//! The files are read and parsed by the SDK (`aws_config::profile::load`), never by hand; keys are
//! read one by one with `Profile::get`. Secret values (keys, session tokens) are looked at only to
//! decide that they are present, and never kept.

use std::borrow::Cow;
use std::fmt;

use aws_config::profile::{Profile, ProfileSet};
use aws_runtime::env_config::file::EnvConfigFiles as ProfileFiles;
use serde::{Deserialize, Serialize};

use super::env::AwsEnv;
use super::error::AwsError;

/// How `--profile` names the environment-credentials pseudo-profile.
pub const ENVIRONMENT_PROFILE: &str = "@env";

/// Which credentials to use: a named profile, or the `AWS_ACCESS_KEY_ID` family of variables.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileChoice {
    Named(String),
    Environment,
}

impl ProfileChoice {
    /// Reads a `--profile` value: [`ENVIRONMENT_PROFILE`] means the environment variables.
    pub fn parse(name: &str) -> Self {
        let name = name.trim();
        if name == ENVIRONMENT_PROFILE {
            Self::Environment
        } else {
            Self::Named(name.to_string())
        }
    }

    /// The profile name, or `@env` for the environment variables.
    pub fn name(&self) -> &str {
        match self {
            Self::Named(n) => n,
            Self::Environment => ENVIRONMENT_PROFILE,
        }
    }

    /// How messages refer to it: "profile work" or "the AWS_ACCESS_KEY_ID environment variables".
    pub fn describe(&self) -> String {
        match self {
            Self::Named(n) => format!("profile {n}"),
            Self::Environment => "the AWS_ACCESS_KEY_ID environment variables".to_string(),
        }
    }
}

impl fmt::Display for ProfileChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Named(n) => f.write_str(n),
            Self::Environment => f.write_str("environment variables"),
        }
    }
}

/// Where an assume-role profile gets the credentials it assumes the role with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    /// `source_profile = NAME`
    Profile(String),
    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`
    CredentialSource(String),
    /// Neither is set: the SDK refuses such a profile.
    Missing,
}

/// What kind of credentials a profile holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProfileKind {
    /// `aws_access_key_id` / `aws_secret_access_key` (with or without `aws_session_token`).
    StaticKeys { session_token: bool },
    /// IAM Identity Center: `sso_session = NAME` (`session` is set) or the legacy `sso_start_url`.
    Sso {
        session: Option<String>,
        start_url: Option<String>,
        account_id: Option<String>,
        role_name: Option<String>,
    },
    /// `role_arn` with its source.
    AssumeRole {
        role_arn: String,
        source: RoleSource,
    },
    /// `credential_process = ...` (the command is not kept: its arguments may hold secrets).
    CredentialProcess,
    /// `web_identity_token_file` with `role_arn`.
    WebIdentity { role_arn: Option<String> },
    /// `login_session` (the console sign-in of `aws login`).
    Login,
    /// The `AWS_ACCESS_KEY_ID` family of environment variables.
    Environment { session_token: bool },
    /// Nothing the SDK can turn into credentials (for example only a `region`).
    NoCredentials,
}

impl ProfileKind {
    /// A short label for lists: "SSO", "keys", "role", ...
    pub fn short(&self) -> &'static str {
        match self {
            Self::StaticKeys { .. } => "keys",
            Self::Sso { .. } => "SSO",
            Self::AssumeRole { .. } => "role",
            Self::CredentialProcess => "process",
            Self::WebIdentity { .. } => "web identity",
            Self::Login => "console login",
            Self::Environment { .. } => "environment",
            Self::NoCredentials => "no credentials",
        }
    }

    /// A one-line description for the profile picker.
    pub fn describe(&self) -> String {
        match self {
            Self::StaticKeys {
                session_token: false,
            } => "access keys".to_string(),
            Self::StaticKeys {
                session_token: true,
            } => "temporary access keys (with a session token)".to_string(),
            Self::Sso {
                session,
                account_id,
                role_name,
                ..
            } => {
                let mut s = match session {
                    Some(name) => format!("SSO (session {name}"),
                    None => "SSO (legacy start URL".to_string(),
                };
                if let Some(account) = account_id {
                    s.push_str(&format!(", account {account}"));
                }
                if let Some(role) = role_name {
                    s.push_str(&format!(", role {role}"));
                }
                s.push(')');
                s
            }
            Self::AssumeRole { role_arn, source } => match source {
                RoleSource::Profile(p) => format!("role {role_arn} from profile {p}"),
                RoleSource::CredentialSource(c) => format!("role {role_arn} from {c}"),
                RoleSource::Missing => format!("role {role_arn} with no source"),
            },
            Self::CredentialProcess => "credential_process command".to_string(),
            Self::WebIdentity { role_arn } => match role_arn {
                Some(r) => format!("web identity token for {r}"),
                None => "web identity token".to_string(),
            },
            Self::Login => "console login session".to_string(),
            Self::Environment {
                session_token: false,
            } => "keys in environment variables".to_string(),
            Self::Environment {
                session_token: true,
            } => "temporary keys in environment variables".to_string(),
            Self::NoCredentials => "no credentials configured".to_string(),
        }
    }
}

/// The SSO profile at the root of a credentials chain: who to `aws sso login` as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SsoRoot {
    /// The profile that holds the SSO settings (the chosen one, or its source profile).
    pub profile: String,
    /// The `sso-session` section name (None for legacy profiles).
    pub session: Option<String>,
    /// The start URL (from the profile or its sso-session section).
    pub start_url: Option<String>,
}

impl SsoRoot {
    /// The key the AWS CLI and SDK cache this session's token under.
    pub fn cache_key(&self) -> Option<&str> {
        self.session.as_deref().or(self.start_url.as_deref())
    }
}

/// One profile as the picker shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileInfo {
    pub choice: ProfileChoice,
    pub kind: ProfileKind,
    /// The profile's own `region` (for the environment: `AWS_REGION` / `AWS_DEFAULT_REGION`).
    pub region: Option<String>,
    /// Set when the credentials come from an SSO session, directly or through `source_profile`.
    pub sso_root: Option<SsoRoot>,
}

impl ProfileInfo {
    /// The profile's name, or `@env` for the environment variables.
    pub fn name(&self) -> &str {
        self.choice.name()
    }
}

/// Every profile the SDK sees, and the one to preselect.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ProfileList {
    /// Environment credentials first (when set), then `default`, then the others by name.
    pub profiles: Vec<ProfileInfo>,
    /// `AWS_PROFILE` when set, else environment credentials, else `default`, else the only one.
    pub preselected: Option<ProfileChoice>,
    /// `AWS_PROFILE` names a profile that is not defined in the files.
    pub aws_profile_missing: Option<String>,
}

impl ProfileList {
    pub fn find(&self, choice: &ProfileChoice) -> Option<&ProfileInfo> {
        self.profiles.iter().find(|p| &p.choice == choice)
    }

    /// The profile names, for messages.
    pub fn names(&self) -> Vec<String> {
        self.profiles
            .iter()
            .map(|p| p.choice.name().to_string())
            .collect()
    }
}

/// Reads the config and credentials files through the SDK and lists every profile with its kind.
pub async fn discover(env: &AwsEnv) -> Result<ProfileList, AwsError> {
    let set = load_profile_set(env).await?;
    Ok(list_from_set(&set, env))
}

/// The SDK's parse of the files named by `env` (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
/// `HOME`), with `AWS_PROFILE` as the selected profile.
pub(crate) async fn load_profile_set(env: &AwsEnv) -> Result<ProfileSet, AwsError> {
    aws_config::profile::load(
        env.fs(),
        env.env(),
        &ProfileFiles::default(),
        None::<Cow<'static, str>>,
    )
    .await
    .map_err(|e| AwsError::ProfileFilesInvalid {
        detail: one_line(&e.to_string()),
    })
}

/// Builds the list from a parsed profile set.
pub(crate) fn list_from_set(set: &ProfileSet, env: &AwsEnv) -> ProfileList {
    let mut named: Vec<ProfileInfo> = set
        .profiles()
        .filter_map(|name| set.get_profile(name))
        .map(|profile| ProfileInfo {
            choice: ProfileChoice::Named(profile.name().to_string()),
            kind: kind_of(profile),
            region: profile.get("region").map(str::to_string),
            sso_root: sso_root_of(set, profile.name()),
        })
        .collect();
    named.sort_by(|a, b| {
        let key = |p: &ProfileInfo| (p.choice.name() != "default", p.choice.name().to_string());
        key(a).cmp(&key(b))
    });

    let mut profiles = Vec::new();
    if let Some(env_profile) = environment_profile(env) {
        profiles.push(env_profile);
    }
    profiles.extend(named);

    let aws_profile = env.var("AWS_PROFILE");
    let mut aws_profile_missing = None;
    let preselected = match aws_profile {
        Some(name) if set.get_profile(&name).is_some() => Some(ProfileChoice::Named(name)),
        Some(name) => {
            aws_profile_missing = Some(name);
            None
        }
        None => {
            if profiles
                .iter()
                .any(|p| p.choice == ProfileChoice::Environment)
            {
                Some(ProfileChoice::Environment)
            } else if set.get_profile("default").is_some() {
                Some(ProfileChoice::Named("default".into()))
            } else if profiles.len() == 1 {
                Some(profiles[0].choice.clone())
            } else {
                None
            }
        }
    };

    ProfileList {
        profiles,
        preselected,
        aws_profile_missing,
    }
}

/// The environment pseudo-profile, when `AWS_ACCESS_KEY_ID` is set.
fn environment_profile(env: &AwsEnv) -> Option<ProfileInfo> {
    if !env.has_var("AWS_ACCESS_KEY_ID") {
        return None;
    }
    Some(ProfileInfo {
        choice: ProfileChoice::Environment,
        kind: ProfileKind::Environment {
            session_token: env.has_var("AWS_SESSION_TOKEN"),
        },
        region: env
            .var("AWS_REGION")
            .or_else(|| env.var("AWS_DEFAULT_REGION")),
        sso_root: None,
    })
}

/// The kind of one profile, in the order the SDK resolves a profile's credentials.
pub fn kind_of(profile: &Profile) -> ProfileKind {
    let get = |k: &str| profile.get(k).map(str::to_string);
    let has = |k: &str| profile.get(k).is_some_and(|v| !v.trim().is_empty());

    // A web identity token file makes role_arn part of a base provider, not a chained role.
    if has("web_identity_token_file") {
        return ProfileKind::WebIdentity {
            role_arn: get("role_arn"),
        };
    }
    if let Some(role_arn) = get("role_arn") {
        let source = match (get("source_profile"), get("credential_source")) {
            (Some(p), None) => RoleSource::Profile(p),
            (None, Some(c)) => RoleSource::CredentialSource(c),
            _ => RoleSource::Missing,
        };
        return ProfileKind::AssumeRole { role_arn, source };
    }
    if [
        "sso_session",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
    ]
    .iter()
    .any(|k| has(k))
    {
        return ProfileKind::Sso {
            session: get("sso_session"),
            start_url: get("sso_start_url"),
            account_id: get("sso_account_id"),
            role_name: get("sso_role_name"),
        };
    }
    if has("login_session") {
        return ProfileKind::Login;
    }
    if has("credential_process") {
        return ProfileKind::CredentialProcess;
    }
    if has("aws_access_key_id") {
        return ProfileKind::StaticKeys {
            session_token: has("aws_session_token"),
        };
    }
    ProfileKind::NoCredentials
}

/// Follows `source_profile` from `name` to the profile that holds the base credentials, and
/// returns it when that is an SSO profile.
pub(crate) fn sso_root_of(set: &ProfileSet, name: &str) -> Option<SsoRoot> {
    let mut current = name.to_string();
    let mut seen = Vec::new();
    loop {
        if seen.contains(&current) || seen.len() > 16 {
            return None;
        }
        seen.push(current.clone());
        let profile = set.get_profile(&current)?;
        // After the first hop the SDK prefers static keys over anything else in the profile.
        if seen.len() > 1 && profile.get("aws_access_key_id").is_some() {
            return None;
        }
        match kind_of(profile) {
            ProfileKind::Sso {
                session, start_url, ..
            } => {
                let start_url = start_url.or_else(|| {
                    session
                        .as_deref()
                        .and_then(|s| set.sso_session(s))
                        .and_then(|s| s.get("sso_start_url"))
                        .map(str::to_string)
                });
                return Some(SsoRoot {
                    profile: current,
                    session,
                    start_url,
                });
            }
            ProfileKind::AssumeRole {
                source: RoleSource::Profile(next),
                ..
            } if next != current => current = next,
            ProfileKind::AssumeRole {
                source: RoleSource::Profile(_),
                ..
            } => {
                // `source_profile` naming itself: the base credentials are in this profile.
                return None;
            }
            _ => return None,
        }
    }
}

/// The first line of a message, for errors that must stay one sentence.
pub(crate) fn one_line(s: &str) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(240).collect();
    if line.chars().count() > 240 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_parses_the_environment_marker() {
        assert_eq!(ProfileChoice::parse("@env"), ProfileChoice::Environment);
        assert_eq!(
            ProfileChoice::parse(" work "),
            ProfileChoice::Named("work".into())
        );
        assert_eq!(ProfileChoice::Environment.name(), ENVIRONMENT_PROFILE);
        assert_eq!(
            ProfileChoice::Named("work".into()).describe(),
            "profile work"
        );
    }

    #[test]
    fn kind_descriptions_name_the_sso_session_and_role() {
        let kind = ProfileKind::Sso {
            session: Some("corp".into()),
            start_url: None,
            account_id: Some("123456789012".into()),
            role_name: Some("Admin".into()),
        };
        assert_eq!(
            kind.describe(),
            "SSO (session corp, account 123456789012, role Admin)"
        );
        assert_eq!(kind.short(), "SSO");
    }

    #[test]
    fn kinds_serialize_for_status_json() {
        let kind = ProfileKind::AssumeRole {
            role_arn: "arn:aws:iam::1:role/R".into(),
            source: RoleSource::Profile("base".into()),
        };
        let json = serde_json::to_value(&kind).expect("serializes");
        assert_eq!(json["kind"], "assume_role");
        assert_eq!(json["source"]["profile"], "base");
        let json = serde_json::to_value(ProfileKind::CredentialProcess).expect("serializes");
        assert_eq!(json["kind"], "credential_process");
    }

    #[test]
    fn one_line_keeps_the_first_non_empty_line() {
        assert_eq!(one_line("\n  first  \nsecond"), "first");
        assert_eq!(one_line(&"x".repeat(300)).chars().count(), 241);
    }

    #[test]
    fn sso_root_cache_key_prefers_the_session_name() {
        let root = SsoRoot {
            profile: "p".into(),
            session: Some("corp".into()),
            start_url: Some("https://x.awsapps.com/start".into()),
        };
        assert_eq!(root.cache_key(), Some("corp"));
        let legacy = SsoRoot {
            session: None,
            ..root
        };
        assert_eq!(legacy.cache_key(), Some("https://x.awsapps.com/start"));
    }
}
