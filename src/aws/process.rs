//! siteup's own runner for a profile's `credential_process`.
//!
//! The SDK runs the command with `sh -c` in siteup's process group and leaves it running when a
//! load is given up. Here the command runs in a process group of its own, and that whole group
//! (the shell and everything it started) is killed when the load is dropped before the command
//! finished: a hanging password manager prompt never outlives siteup's time limit. The command,
//! its output and its stderr are never logged (they can hold secrets).

use std::fmt;
use std::process::Stdio;
use std::time::SystemTime;

use aws_config::profile::{Profile, ProfileSet};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::profiles::one_line;

/// A profile's `credential_process` command (never printed: its arguments may hold secrets).
#[derive(Clone)]
pub(crate) struct CredentialProcess {
    command: String,
    account_id: Option<String>,
}

impl fmt::Debug for CredentialProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialProcess(..)")
    }
}

impl CredentialProcess {
    /// The profile's command, when it has one.
    pub(crate) fn from_profile(profile: &Profile) -> Option<Self> {
        let command = profile
            .get("credential_process")
            .map(str::trim)
            .filter(|c| !c.is_empty())?;
        Some(Self {
            command: command.to_string(),
            account_id: profile
                .get("aws_account_id")
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string),
        })
    }

    async fn run(self) -> Result<Credentials, CredentialsError> {
        let mut command = tokio::process::Command::new("sh");
        command
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| {
            CredentialsError::provider_error(format!("the command could not be started: {e}"))
        })?;
        // The child leads its own group: its pid is the group id.
        let mut group = child.id().map(GroupGuard);
        let output = child.wait_with_output().await.map_err(|e| {
            CredentialsError::provider_error(format!("its output could not be read: {e}"))
        })?;
        // It finished: whatever it left running on purpose (an agent) is not ours to stop.
        if let Some(g) = group.take() {
            g.disarm();
        }
        if !output.status.success() {
            let stderr = one_line(&String::from_utf8_lossy(&output.stderr));
            let status = match output.status.code() {
                Some(code) => format!("it exited with code {code}"),
                None => "it was killed by a signal".to_string(),
            };
            return Err(CredentialsError::provider_error(if stderr.is_empty() {
                status
            } else {
                format!("{status}: {stderr}")
            }));
        }
        parse_output(&output.stdout, self.account_id.as_deref())
            .map_err(|what| CredentialsError::provider_error(format!("its output {what}")))
    }
}

impl ProvideCredentials for CredentialProcess {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.clone().run())
    }
}

/// Kills a process group when dropped, unless disarmed.
struct GroupGuard(u32);

impl GroupGuard {
    fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let Ok(raw) = i32::try_from(self.0) else {
            return;
        };
        if raw <= 1 {
            return;
        }
        match killpg(Pid::from_raw(raw), Signal::SIGKILL) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(e) => tracing::debug!("could not stop the credential_process group {raw}: {e}"),
        }
    }
}

/// Wraps the SDK's profile provider when the chain's base is a `credential_process` (a role over
/// a process profile): the SDK runs that command as `sh -c COMMAND`, a child of siteup in its
/// process group, and leaves it running when the load is dropped. When a load is dropped before
/// it finished, this finds those children and kills them with everything they started (Linux;
/// elsewhere they are left to finish on their own).
pub(crate) struct StopsSdkProcess {
    inner: aws_credential_types::provider::SharedCredentialsProvider,
    command: String,
}

impl fmt::Debug for StopsSdkProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StopsSdkProcess(..)")
    }
}

impl StopsSdkProcess {
    /// `command` is the base profile's `credential_process` value, as the SDK runs it.
    pub(crate) fn new(
        inner: aws_credential_types::provider::SharedCredentialsProvider,
        command: String,
    ) -> Self {
        Self { inner, command }
    }
}

impl ProvideCredentials for StopsSdkProcess {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let inner = self.inner.clone();
        let sweep = Sweep(Some(self.command.clone()));
        future::ProvideCredentials::new(async move {
            let result = inner.provide_credentials().await;
            sweep.disarm();
            result
        })
    }
}

/// Kills the SDK's `sh -c COMMAND` children when dropped, unless disarmed.
struct Sweep(Option<String>);

impl Sweep {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Sweep {
    fn drop(&mut self) {
        if let Some(command) = self.0.take() {
            stop_children_running(&command);
        }
    }
}

/// Kills this process's children whose command line is `sh -c COMMAND`, and their descendants.
#[cfg(target_os = "linux")]
fn stop_children_running(command: &str) {
    let wanted: Vec<u8> = [b"sh".as_slice(), b"-c", command.as_bytes()]
        .iter()
        .flat_map(|part| part.iter().copied().chain(std::iter::once(0)))
        .collect();
    let own = std::process::id();
    for child in children_of(own) {
        let Ok(cmdline) = std::fs::read(format!("/proc/{child}/cmdline")) else {
            continue;
        };
        if cmdline != wanted {
            continue;
        }
        // The whole tree first, then SIGKILL to each (a parent's death does not end them).
        let mut tree = vec![child];
        let mut next = 0;
        while next < tree.len() && tree.len() < 4096 {
            tree.extend(children_of(tree[next]));
            next += 1;
        }
        for pid in tree {
            let Ok(raw) = i32::try_from(pid) else {
                continue;
            };
            match nix::sys::signal::kill(Pid::from_raw(raw), Signal::SIGKILL) {
                Ok(()) | Err(Errno::ESRCH) => {}
                Err(e) => tracing::debug!("could not stop credential_process pid {raw}: {e}"),
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn stop_children_running(_command: &str) {}

/// The children of every thread of `pid` (`/proc/PID/task/TID/children`).
#[cfg(target_os = "linux")]
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// The `credential_process` command of `profile`, as the SDK runs it.
pub(crate) fn command_of(set: &ProfileSet, profile: &str) -> Option<String> {
    set.get_profile(profile)?
        .get("credential_process")
        .filter(|c| !c.trim().is_empty())
        .map(str::to_string)
}

/// The name of the profile at the base of `name`'s `source_profile` chain when that base gets
/// its credentials from a `credential_process` (the profile to name when it hangs).
pub(crate) fn process_root_of(set: &ProfileSet, name: &str) -> Option<String> {
    let mut current = name.to_string();
    for _ in 0..16 {
        let profile = set.get_profile(&current)?;
        match profile.get("source_profile") {
            Some(next) if profile.get("role_arn").is_some() && next != current => {
                current = next.to_string();
            }
            _ => {
                return profile
                    .get("credential_process")
                    .filter(|c| !c.trim().is_empty())
                    .map(|_| current.clone());
            }
        }
    }
    None
}

/// Reads the JSON a credential process prints (keys case-insensitive, `Version` 1). The error
/// says what is wrong without quoting any value.
fn parse_output(stdout: &[u8], account_id: Option<&str>) -> Result<Credentials, String> {
    let value: serde_json::Value = serde_json::from_slice(stdout)
        .map_err(|_| "is not the JSON credentials object the AWS CLI expects".to_string())?;
    let serde_json::Value::Object(map) = value else {
        return Err("is not a JSON object".into());
    };
    let field = |name: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let text = |name: &str| -> Result<Option<String>, String> {
        match field(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("has a {name} that is not a string")),
        }
    };
    match field("Version") {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(1) => {}
        Some(_) => return Err("has a Version other than 1".into()),
        None => return Err("has no Version".into()),
    }
    let key = text("AccessKeyId")?
        .filter(|k| !k.is_empty())
        .ok_or("has no AccessKeyId")?;
    let secret = text("SecretAccessKey")?
        .filter(|s| !s.is_empty())
        .ok_or("has no SecretAccessKey")?;
    let token = text("SessionToken")?.filter(|t| !t.is_empty());
    let expiry = match text("Expiration")? {
        Some(at) => Some(SystemTime::from(
            OffsetDateTime::parse(at.trim(), &Rfc3339)
                .map_err(|_| "has an Expiration that is not an RFC 3339 time".to_string())?,
        )),
        None => None,
    };
    let account = text("AccountId")?
        .filter(|a| !a.is_empty())
        .or_else(|| account_id.map(str::to_string));
    let mut builder = Credentials::builder()
        .access_key_id(key)
        .secret_access_key(secret)
        .provider_name("CredentialProcess");
    builder.set_session_token(token);
    builder.set_expiry(expiry);
    if let Some(account) = account {
        builder = builder.account_id(account);
    }
    Ok(builder.build())
}

/// An access key id as the log may show it: the kind prefix and the last two characters.
pub(crate) fn masked_key_id(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "****".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_parsed_case_insensitively() {
        let creds = parse_output(
            br#"{"version": 1, "accessKeyId": "AKIAPROCESS000000001", "SecretAccessKey": "s",
                "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z"}"#,
            Some("111122223333"),
        )
        .expect("valid output");
        assert_eq!(creds.access_key_id(), "AKIAPROCESS000000001");
        assert_eq!(creds.session_token(), Some("t"));
        assert!(creds.expiry().is_some());
        assert_eq!(
            creds
                .account_id()
                .map(aws_credential_types::attributes::AccountId::as_str),
            Some("111122223333")
        );
    }

    #[test]
    fn bad_output_says_what_is_wrong_without_quoting_it() {
        let e = parse_output(b"secret-looking-garbage", None).expect_err("not JSON");
        assert!(!e.contains("secret-looking"), "{e}");
        let e = parse_output(br#"{"Version": 2}"#, None).expect_err("version");
        assert!(e.contains("Version"), "{e}");
        let e =
            parse_output(br#"{"Version": 1, "AccessKeyId": "AKIA"}"#, None).expect_err("no secret");
        assert!(e.contains("SecretAccessKey"), "{e}");
    }

    #[test]
    fn key_ids_are_masked() {
        assert_eq!(masked_key_id("AKIAIOSFODNN7EXAMPLE"), "AKIA…LE");
        assert_eq!(masked_key_id("short"), "****");
    }

    #[tokio::test]
    async fn a_failing_command_reports_its_exit_code_and_first_stderr_line() {
        let p = CredentialProcess {
            command: "echo 'vault is locked' >&2; echo second >&2; exit 3".into(),
            account_id: None,
        };
        let e = p.provide_credentials().await.expect_err("fails");
        let text = format!("{e:?}");
        assert!(
            text.contains("exited with code 3: vault is locked"),
            "{text}"
        );
        assert!(!text.contains("second"), "{text}");
    }
}
