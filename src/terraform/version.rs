//! Finding terraform and checking that it is new enough.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::error::TfError;

/// The oldest terraform siteup works with: S3-native state locking (`use_lockfile`) came as an
/// experiment in 1.10 and is generally available from 1.11. The generated stack's
/// `required_version` ([`crate::tfgen::REQUIRED_TERRAFORM_VERSION`]) names the same release, so
/// siteup never accepts a terraform that would refuse its own files.
pub(crate) const MIN_VERSION: TfVersion = TfVersion {
    major: 1,
    minor: 11,
    patch: 0,
};

/// Where to get terraform, for messages.
pub(crate) const INSTALL_URL: &str = "https://developer.hashicorp.com/terraform/install";

/// A terraform release number (pre-release suffixes such as `-beta1` are ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TfVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl fmt::Display for TfVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl TfVersion {
    /// Parses `1.11.4`, `v1.11.4` or `1.12.0-beta1`.
    pub fn parse(text: &str) -> Option<TfVersion> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(p) => p.parse().ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(TfVersion {
            major,
            minor,
            patch,
        })
    }

    /// Whether siteup can use this version.
    pub fn is_supported(&self) -> bool {
        *self >= MIN_VERSION
    }
}

/// What `terraform version -json` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: TfVersion,
    pub platform: Option<String>,
    /// Terraform's own "a newer version exists" flag (only meaningful when checkpoint is enabled).
    pub outdated: bool,
}

#[derive(Deserialize)]
struct WireVersionJson {
    terraform_version: String,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    terraform_outdated: bool,
}

/// Parses the stdout of `terraform version -json`, or the plain text of `terraform version`
/// (`Terraform v1.11.4` on the first line) that very old releases print instead.
pub(crate) fn parse_version_output(stdout: &str) -> Option<VersionInfo> {
    if let Ok(w) = serde_json::from_str::<WireVersionJson>(stdout.trim()) {
        return Some(VersionInfo {
            version: TfVersion::parse(&w.terraform_version)?,
            platform: w.platform,
            outdated: w.terraform_outdated,
        });
    }
    let first = stdout.lines().find(|l| !l.trim().is_empty())?;
    let rest = first.trim().strip_prefix("Terraform ")?;
    Some(VersionInfo {
        version: TfVersion::parse(rest.split_whitespace().next()?)?,
        platform: None,
        outdated: false,
    })
}

/// Checks the minimum version, with the sentence to show when it is too old.
pub(crate) fn check_supported(info: &VersionInfo) -> Result<(), TfError> {
    if info.version.is_supported() {
        Ok(())
    } else {
        Err(TfError::TooOld {
            found: info.version.to_string(),
        })
    }
}

/// Finds `terraform` on PATH.
pub(crate) fn locate() -> Result<PathBuf, TfError> {
    which::which("terraform").map_err(|_| TfError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_output() {
        let out = r#"{
  "terraform_version": "1.11.4",
  "platform": "linux_amd64",
  "provider_selections": {},
  "terraform_outdated": false
}"#;
        let info = parse_version_output(out).expect("parses");
        assert_eq!(
            info.version,
            TfVersion {
                major: 1,
                minor: 11,
                patch: 4
            }
        );
        assert_eq!(info.platform.as_deref(), Some("linux_amd64"));
        assert!(check_supported(&info).is_ok());
    }

    #[test]
    fn parses_plain_text_of_old_releases() {
        let info =
            parse_version_output("Terraform v0.12.31\n\nYour version of Terraform is out of date!")
                .expect("parses");
        assert_eq!(info.version.to_string(), "0.12.31");
        let err = check_supported(&info).expect_err("too old");
        assert_eq!(
            err.to_string(),
            format!(
                "terraform 0.12.31 is too old; siteup needs 1.11 or newer for S3-native state locking: install a newer one from {INSTALL_URL}"
            )
        );
    }

    #[test]
    fn the_generated_required_version_is_the_minimum_siteup_checks() {
        assert_eq!(
            crate::tfgen::REQUIRED_TERRAFORM_VERSION,
            format!(">= {}.{}", MIN_VERSION.major, MIN_VERSION.minor)
        );
    }

    #[test]
    fn version_order_and_prerelease() {
        assert!(!TfVersion::parse("1.9.8").expect("v").is_supported());
        assert!(!TfVersion::parse("1.10.5").expect("v").is_supported());
        assert!(TfVersion::parse("1.11.0").expect("v").is_supported());
        assert!(TfVersion::parse("v1.12.0-beta1").expect("v").is_supported());
        assert!(TfVersion::parse("2.0").expect("v").is_supported());
        assert_eq!(TfVersion::parse("1.x.0"), None);
        assert_eq!(TfVersion::parse("1.2.3.4"), None);
        assert_eq!(parse_version_output("garbage"), None);
    }
}
