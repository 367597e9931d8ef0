//! The process environment and file system the AWS layer reads, made explicit.
//!
//! Production code uses [`AwsEnv::real`]; tests build one from a list of variables so that they
//! never depend on (or change) the environment of the test process. Everything in `siteup::aws`
//! that reads `HOME`, `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_PROFILE` or the
//! `AWS_ACCESS_KEY_ID` family goes through this type.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use aws_types::os_shim_internal::{Env, Fs};

/// The names of this process's `AWS_*` variables (profile, keys, endpoints, regions...): what a
/// child (terraform, or siteup in a test) must not inherit when it is to use only the account
/// and endpoint it is given.
pub fn inherited_aws_variables() -> Vec<OsString> {
    std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| k.to_string_lossy().starts_with("AWS_"))
        .collect()
}

/// Environment variables and file system seen by the AWS layer.
#[derive(Clone)]
pub struct AwsEnv {
    env: Env,
    fs: Fs,
}

impl fmt::Debug for AwsEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print variable values: AWS_SECRET_ACCESS_KEY may be among them.
        f.debug_struct("AwsEnv").finish_non_exhaustive()
    }
}

impl AwsEnv {
    /// The real process environment and file system.
    pub fn real() -> Self {
        Self {
            env: Env::real(),
            fs: Fs::real(),
        }
    }

    /// A fixed set of variables over the real file system (for tests and sandboxes).
    pub fn from_vars(vars: &[(&str, &str)]) -> Self {
        Self {
            env: Env::from_slice(vars),
            fs: Fs::real(),
        }
    }

    /// The SDK's view of the environment.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The SDK's view of the file system.
    pub fn fs(&self) -> &Fs {
        &self.fs
    }

    /// A variable's value, if it is set and not empty.
    pub fn var(&self, name: &str) -> Option<String> {
        self.env.get(name).ok().filter(|v| !v.trim().is_empty())
    }

    /// Whether a variable is set and not empty, without handing out its value.
    pub fn has_var(&self, name: &str) -> bool {
        self.var(name).is_some()
    }

    /// The home directory, as the SDK resolves it (`HOME`, then the Windows variables).
    pub fn home_dir(&self) -> Option<PathBuf> {
        if let Some(home) = self.var("HOME") {
            return Some(PathBuf::from(home));
        }
        if cfg!(windows) {
            if let Some(profile) = self.var("USERPROFILE") {
                return Some(PathBuf::from(profile));
            }
            if let (Some(drive), Some(path)) = (self.var("HOMEDRIVE"), self.var("HOMEPATH")) {
                return Some(PathBuf::from(format!("{drive}{path}")));
            }
        }
        None
    }

    /// The shared config file: `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub fn config_file(&self) -> Option<PathBuf> {
        self.file_path("AWS_CONFIG_FILE", "config")
    }

    /// The shared credentials file: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub fn credentials_file(&self) -> Option<PathBuf> {
        self.file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
    }

    /// Where the AWS CLI caches SSO tokens: `~/.aws/sso/cache`.
    pub fn sso_cache_dir(&self) -> Option<PathBuf> {
        self.home_dir()
            .map(|h| h.join(".aws").join("sso").join("cache"))
    }

    fn file_path(&self, variable: &str, default_name: &str) -> Option<PathBuf> {
        match self.var(variable) {
            Some(path) => Some(self.expand_home(&path)),
            None => self.home_dir().map(|h| h.join(".aws").join(default_name)),
        }
    }

    /// Expands a leading `~` like the SDK does; other paths are returned unchanged.
    fn expand_home(&self, path: &str) -> PathBuf {
        let rest = if path == "~" {
            Some("")
        } else {
            path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\"))
        };
        match (rest, self.home_dir()) {
            (Some(""), Some(home)) => home,
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_default_to_the_home_directory() {
        let env = AwsEnv::from_vars(&[("HOME", "/home/ada")]);
        assert_eq!(
            env.config_file(),
            Some(PathBuf::from("/home/ada/.aws/config"))
        );
        assert_eq!(
            env.credentials_file(),
            Some(PathBuf::from("/home/ada/.aws/credentials"))
        );
        assert_eq!(
            env.sso_cache_dir(),
            Some(PathBuf::from("/home/ada/.aws/sso/cache"))
        );
    }

    #[test]
    fn variables_override_the_files_and_expand_tilde() {
        let env = AwsEnv::from_vars(&[
            ("HOME", "/home/ada"),
            ("AWS_CONFIG_FILE", "~/work/aws-config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"),
        ]);
        assert_eq!(
            env.config_file(),
            Some(PathBuf::from("/home/ada/work/aws-config"))
        );
        assert_eq!(env.credentials_file(), Some(PathBuf::from("/etc/creds")));
    }

    #[test]
    fn no_home_means_no_default_files() {
        let env = AwsEnv::from_vars(&[]);
        assert_eq!(env.config_file(), None);
        assert!(!env.has_var("AWS_ACCESS_KEY_ID"));
    }

    #[test]
    fn debug_prints_no_values() {
        let env = AwsEnv::from_vars(&[("AWS_SECRET_ACCESS_KEY", "very-secret-value")]);
        assert!(!format!("{env:?}").contains("very-secret-value"));
    }
}
