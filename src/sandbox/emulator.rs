//! The AWS emulator harness: moto, run in-process by siteup's own script
//! (`assets/emulator/siteup_emulator.py`) on a loopback port, with what moto lacks and a
//! control endpoint that plays the human (verification links, DNS checks) and AWS's reviewers.
//!
//! The same code serves the tests ([`Emulator::start_for_tests`]: owned, stopped on drop) and
//! `siteup sandbox` ([`Emulator::start`] with `detached`, then [`Emulator::attach`] from later
//! runs through the ready file the script writes).
//!
//! Every call here blocks (process waits and HTTP through `ureq`); from async code run them on
//! a blocking thread (`tokio::task::spawn_blocking`).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::process_alive;
use crate::words::sentence;
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::Deserialize;
use serde_json::{Value, json};

use super::venv;
use crate::project::atomic::write_atomic;

/// The emulator script, embedded so that siteup can write it wherever it runs the emulator.
pub const EMULATOR_SCRIPT: &str = include_str!("../../assets/emulator/siteup_emulator.py");
/// File name of the script inside the work directory.
pub const SCRIPT_FILE_NAME: &str = "siteup_emulator.py";
/// Default file name of the ready file (`{"pid", "port", "url"}`) inside the work directory.
pub const READY_FILE_NAME: &str = "emulator.json";
/// Default file name of the emulator's log inside the work directory.
pub const LOG_FILE_NAME: &str = "emulator.log";
/// Environment variable naming the Python that tests use instead of the default venv's.
pub const PYTHON_ENV: &str = "SITEUP_EMULATOR_PYTHON";
pub use crate::aws::{SANDBOX_ACCESS_KEY_ID, SANDBOX_SECRET_ACCESS_KEY};
/// The region the emulator's environment names.
pub const SANDBOX_REGION: &str = "us-east-1";
/// How long [`Emulator::start`] waits for the emulator to answer by default.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);

const CONTROL_PREFIX: &str = "/_siteup/";
const STOP_GRACE: Duration = Duration::from_secs(10);
const DROP_GRACE: Duration = Duration::from_secs(5);
const KILL_WAIT: Duration = Duration::from_secs(5);
const CONTROL_TIMEOUT: Duration = Duration::from_secs(30);
const ATTACH_TIMEOUT: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(50);

const VENV_HINT: &str = "python3 -m venv ~/.cache/siteup/venv && ~/.cache/siteup/venv/bin/pip install -r assets/emulator/requirements.txt";

/// Why the emulator could not be started, reached or stopped. One sentence each, with the next
/// step.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error(
        "The AWS emulator's Python {} does not exist; create the venv with `{VENV_HINT}`, or set {PYTHON_ENV} to a Python that has moto[server]==5.2.5.",
        .python.display()
    )]
    PythonMissing { python: PathBuf },
    #[error(
        "Could not prepare the emulator's folder {}: {source}; check that it is writable and try again.",
        .path.display()
    )]
    WorkDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "Could not run {}: {source}; check that it is a working Python 3 (recreate the venv with `{VENV_HINT}`).",
        .python.display()
    )]
    Spawn {
        python: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "The AWS emulator exited while starting ({status}): {last_line}; see {} for its whole output.",
        .log.display()
    )]
    ExitedEarly {
        status: String,
        last_line: String,
        log: PathBuf,
    },
    #[error(
        "The AWS emulator did not answer within {}, so siteup stopped it; see {} for its output and try again.",
        crate::words::seconds(*.secs, crate::words::DurationStyle::Seconds),
        .log.display()
    )]
    StartTimeout { secs: u64, log: PathBuf },
    #[error(
        "The AWS emulator at {url} did not answer ({detail}); start it again (`siteup sandbox`) or check that nothing else holds its port."
    )]
    Unreachable { url: String, detail: String },
    #[error("The AWS emulator refused to {what} (HTTP {status}): {message}")]
    Control {
        what: String,
        status: u16,
        message: String,
    },
    #[error(
        "The AWS emulator gave an unreadable answer when asked to {what} ({detail}); the running emulator may be older than this siteup: stop it and start it again."
    )]
    BadAnswer { what: String, detail: String },
    #[error(
        "Could not read the emulator's ready file {}: {source}; delete it and start the emulator again.",
        .path.display()
    )]
    ReadyFile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "Could not watch the emulator process {pid}: {source}; stop it with `kill {pid}` and start it again."
    )]
    Watch {
        pid: u32,
        #[source]
        source: io::Error,
    },
    #[error("Could not stop the emulator process {pid}: {detail}; stop it with `kill -9 {pid}`.")]
    Stop { pid: u32, detail: String },
}

/// The production-access review state the control endpoint sets (AWS's `ReviewStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    Pending,
    Granted,
    Denied,
    Failed,
}

impl ReviewStatus {
    /// The API spelling (`PENDING`, `GRANTED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "PENDING",
            ReviewStatus::Granted => "GRANTED",
            ReviewStatus::Denied => "DENIED",
            ReviewStatus::Failed => "FAILED",
        }
    }
}

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// The Python that has moto (usually `venv::venv_python(&venv::default_venv_dir())`).
    pub python: PathBuf,
    /// Where the script is written; the default ready file and log live here too.
    pub work_dir: PathBuf,
    /// The emulator's stdout and stderr are appended here.
    pub log_path: PathBuf,
    /// Where the script writes `{"pid", "port", "url"}` once it answers.
    pub ready_file: PathBuf,
    /// Detached: its own process group, kept running when this handle is dropped or this process
    /// exits (reattach with [`Emulator::attach`]). Not detached: stopped on drop and when this
    /// process goes away.
    pub detached: bool,
    /// The loopback port; None picks a free one.
    pub port: Option<u16>,
    /// How long to wait for the first answer.
    pub ready_timeout: Duration,
    /// Extra environment for the Python process.
    pub extra_env: Vec<(OsString, OsString)>,
}

impl EmulatorOptions {
    /// Options with the ready file and log in `work_dir`, not detached, a free port.
    pub fn new(python: impl Into<PathBuf>, work_dir: impl Into<PathBuf>) -> Self {
        let work_dir = work_dir.into();
        EmulatorOptions {
            python: python.into(),
            log_path: work_dir.join(LOG_FILE_NAME),
            ready_file: work_dir.join(READY_FILE_NAME),
            work_dir,
            detached: false,
            port: None,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            extra_env: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ReadyInfo {
    pid: u32,
    port: u16,
    url: String,
}

/// A running emulator. Owned ones (tests, non-detached) are stopped by PID on drop.
pub struct Emulator {
    pid: u32,
    port: u16,
    url: String,
    child: Option<Child>,
    stop_on_drop: bool,
    remove_on_drop: Option<PathBuf>,
    ready_file: PathBuf,
    log_path: Option<PathBuf>,
    agent: ureq::Agent,
    stopped: bool,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("pid", &self.pid)
            .field("url", &self.url)
            .field("owned", &self.stop_on_drop)
            .field("log", &self.log_path)
            .finish()
    }
}

impl Emulator {
    /// For tests: Python from `$SITEUP_EMULATOR_PYTHON`, else the default venv's (never
    /// creates the venv), a fresh temporary folder, a free loopback port; waits until it
    /// answers; stopped by PID on drop (the folder is removed too, unless the test panicked).
    pub fn start_for_tests() -> Result<Emulator, EmulatorError> {
        let dir = unique_temp_dir();
        let options = EmulatorOptions::new(test_python(), &dir);
        let mut emulator = Emulator::start(&options)?;
        emulator.remove_on_drop = Some(dir);
        Ok(emulator)
    }

    /// Starts the emulator as `options` say and waits until it answers.
    pub fn start(options: &EmulatorOptions) -> Result<Emulator, EmulatorError> {
        let python = resolve_python(&options.python)?;
        let work_dir = &options.work_dir;
        fs::create_dir_all(work_dir).map_err(|source| EmulatorError::WorkDir {
            path: work_dir.clone(),
            source,
        })?;
        let script = work_dir.join(SCRIPT_FILE_NAME);
        if fs::read_to_string(&script).ok().as_deref() != Some(EMULATOR_SCRIPT) {
            write_atomic(&script, EMULATOR_SCRIPT.as_bytes()).map_err(|source| {
                EmulatorError::WorkDir {
                    path: script.clone(),
                    source,
                }
            })?;
        }
        if let Some(parent) = options
            .ready_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            fs::create_dir_all(parent).map_err(|source| EmulatorError::WorkDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        match fs::remove_file(&options.ready_file) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(EmulatorError::WorkDir {
                    path: options.ready_file.clone(),
                    source,
                });
            }
        }
        let log_path = &options.log_path;
        let log_err = |source| EmulatorError::WorkDir {
            path: log_path.clone(),
            source,
        };
        if let Some(parent) = log_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(log_err)?;
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .map_err(log_err)?;
        let log_start = log.metadata().map_or(0, |m| m.len());
        let log_stderr = log.try_clone().map_err(log_err)?;

        let mut cmd = Command::new(&python);
        cmd.arg(&script)
            .arg("--host")
            .arg("127.0.0.1")
            .arg("--port")
            .arg(options.port.unwrap_or(0).to_string())
            .arg("--ready-file")
            .arg(&options.ready_file)
            .current_dir(work_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_stderr))
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        // moto builds a botocore session; a user's AWS_PROFILE and friends can break it.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(&key);
            }
        }
        for (key, value) in &options.extra_env {
            cmd.env(key, value);
        }
        if options.detached {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        } else {
            cmd.arg("--exit-with-parent");
        }
        let mut child = cmd.spawn().map_err(|source| EmulatorError::Spawn {
            python: python.clone(),
            source,
        })?;
        let pid = child.id();
        let agent = make_agent(CONTROL_TIMEOUT);
        let deadline = Instant::now() + options.ready_timeout;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    return Err(EmulatorError::ExitedEarly {
                        status: status.to_string(),
                        last_line: last_log_line(log_path, log_start),
                        log: log_path.clone(),
                    });
                }
                Ok(None) => {}
                Err(source) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(EmulatorError::Watch { pid, source });
                }
            }
            if let Some(info) = read_ready(&options.ready_file).filter(|i| i.pid == pid)
                && is_loopback_url(&info.url)
                && health_pid(&agent, &info.url).ok() == Some(pid)
            {
                return Ok(Emulator {
                    pid,
                    port: info.port,
                    url: info.url,
                    child: Some(child),
                    stop_on_drop: !options.detached,
                    remove_on_drop: None,
                    ready_file: options.ready_file.clone(),
                    log_path: Some(log_path.clone()),
                    agent,
                    stopped: false,
                });
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(EmulatorError::StartTimeout {
                    secs: options.ready_timeout.as_secs(),
                    log: log_path.clone(),
                });
            }
            std::thread::sleep(POLL);
        }
    }

    /// Reattaches to a detached emulator through its ready file: Some when the process named
    /// there is alive and answers as that process, None when there is nothing to attach to
    /// (no file, a stale one, a dead or foreign process). The handle does not stop it on drop.
    pub fn attach(ready_file: &Path) -> Result<Option<Emulator>, EmulatorError> {
        let text = match fs::read_to_string(ready_file) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(EmulatorError::ReadyFile {
                    path: ready_file.to_path_buf(),
                    source,
                });
            }
        };
        let Ok(info) = serde_json::from_str::<ReadyInfo>(&text) else {
            return Ok(None);
        };
        if !is_loopback_url(&info.url) || !process_alive(info.pid) {
            return Ok(None);
        }
        if !looks_like_emulator(info.pid) {
            return Ok(None);
        }
        let probe = make_agent(ATTACH_TIMEOUT);
        if health_pid(&probe, &info.url).ok() != Some(info.pid) {
            return Ok(None);
        }
        let log_path = ready_file
            .parent()
            .map(|dir| dir.join(LOG_FILE_NAME))
            .filter(|p| p.exists());
        Ok(Some(Emulator {
            pid: info.pid,
            port: info.port,
            url: info.url,
            child: None,
            stop_on_drop: false,
            remove_on_drop: None,
            ready_file: ready_file.to_path_buf(),
            log_path,
            agent: make_agent(CONTROL_TIMEOUT),
            stopped: false,
        }))
    }

    /// A handle on an emulator given by URL (`--sandbox URL`): it must be siteup's emulator on
    /// loopback and answer its health route. The handle never stops it.
    pub fn connect(url: &str) -> Result<Emulator, EmulatorError> {
        let url = url.trim().trim_end_matches('/').to_string();
        if !is_loopback_url(&url) {
            return Err(EmulatorError::Unreachable {
                url,
                detail:
                    "siteup's sandbox only talks to an emulator on loopback (http://127.x.x.x:PORT)"
                        .into(),
            });
        }
        let probe = make_agent(ATTACH_TIMEOUT);
        let pid = health_pid(&probe, &url).map_err(|detail| EmulatorError::Unreachable {
            url: url.clone(),
            detail,
        })?;
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0);
        Ok(Emulator {
            pid,
            port,
            url,
            child: None,
            stop_on_drop: false,
            remove_on_drop: None,
            ready_file: PathBuf::new(),
            log_path: None,
            agent: make_agent(CONTROL_TIMEOUT),
            stopped: false,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The ready file this emulator was started with (or attached through).
    pub fn ready_file(&self) -> &Path {
        &self.ready_file
    }

    /// The emulator's log, when known.
    pub fn log_path(&self) -> Option<&Path> {
        self.log_path.as_deref()
    }

    /// Environment for a child (terraform, the AWS CLI, boto3) that must talk to this emulator
    /// only: endpoint, throwaway keys, region, no instance metadata, no profile files, and no
    /// proxy for loopback. Use [`Emulator::apply_aws_env`] to also remove the caller's other
    /// `AWS_*` variables (`AWS_PROFILE`, `AWS_SESSION_TOKEN`, per-service endpoints, ...).
    pub fn aws_env(&self) -> Vec<(String, String)> {
        let mut no_proxy = std::env::var("NO_PROXY")
            .or_else(|_| std::env::var("no_proxy"))
            .unwrap_or_default();
        for host in ["127.0.0.1", "localhost", "::1"] {
            if !no_proxy.split(',').any(|h| h.trim() == host) {
                if !no_proxy.is_empty() {
                    no_proxy.push(',');
                }
                no_proxy.push_str(host);
            }
        }
        [
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", SANDBOX_ACCESS_KEY_ID.to_string()),
            (
                "AWS_SECRET_ACCESS_KEY",
                SANDBOX_SECRET_ACCESS_KEY.to_string(),
            ),
            ("AWS_REGION", SANDBOX_REGION.to_string()),
            ("AWS_DEFAULT_REGION", SANDBOX_REGION.to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("AWS_CONFIG_FILE", "/dev/null".to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_string()),
            ("NO_PROXY", no_proxy.clone()),
            ("no_proxy", no_proxy),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// The caller's `AWS_*` variables that [`Emulator::aws_env`] does not set (a child must not
    /// inherit them: `AWS_PROFILE`, `AWS_SESSION_TOKEN`, `AWS_ENDPOINT_URL_S3`, ...).
    pub fn aws_env_removals(&self) -> Vec<OsString> {
        let set: Vec<String> = self.aws_env().into_iter().map(|(k, _)| k).collect();
        crate::aws::env::inherited_aws_variables()
            .into_iter()
            .filter(|k| !set.iter().any(|s| k.to_string_lossy() == s.as_str()))
            .collect()
    }

    /// Applies [`Emulator::aws_env_removals`] and [`Emulator::aws_env`] to `cmd`.
    pub fn apply_aws_env(&self, cmd: &mut Command) {
        for key in self.aws_env_removals() {
            cmd.env_remove(key);
        }
        for (key, value) in self.aws_env() {
            cmd.env(key, value);
        }
    }

    /// Plays the human and the DNS checks: the identity (a domain: verification, DKIM and
    /// MAIL FROM; an address: its link clicked) becomes verified, in every region that has it.
    pub fn verify_identity(&self, identity: &str) -> Result<(), EmulatorError> {
        self.control(
            "identities/verify",
            Some(json!({ "identity": identity })),
            &format!("mark {identity} verified"),
        )
        .map(|_| ())
    }

    /// Plays the owner clicking the link in SNS's confirmation mails: every pending email
    /// subscription of `endpoint`, to any topic, becomes confirmed.
    pub fn confirm_subscriptions(&self, endpoint: &str) -> Result<(), EmulatorError> {
        self.confirm_sns_subscriptions(endpoint, None).map(|_| ())
    }

    /// Tells the emulator where the sandbox registry's server for the zone `tld` answers: from
    /// then on SES verifies a domain under `tld` and ACM issues its certificates only while
    /// that server delegates the domain to its Route 53 zone's nameservers.
    pub fn set_registry(&self, server: SocketAddr, tld: &str) -> Result<(), EmulatorError> {
        let what = format!("use the sandbox registry of {tld} at {server}");
        let body = json!({ "host": server.ip().to_string(), "port": server.port(), "tld": tld });
        match self.control("registry", Some(body), &what) {
            Ok(_) => Ok(()),
            // An emulator started by an older siteup has no such route.
            Err(EmulatorError::Control { status: 404, .. }) => Err(EmulatorError::BadAnswer {
                what,
                detail: "it has no registry route".into(),
            }),
            Err(e) => Err(e),
        }
    }

    /// Plays AWS's reviewers: sets the production-access review of every region that has a
    /// request (GRANTED gives production access; the others leave the account in the sandbox).
    pub fn set_review(&self, status: ReviewStatus) -> Result<(), EmulatorError> {
        self.control(
            "review",
            Some(json!({ "status": status.as_str() })),
            &format!("set the production-access review to {}", status.as_str()),
        )
        .map(|_| ())
    }

    /// The emulator's HTTPS edge (CloudFront's stand-in on loopback): where it listens and the
    /// sandbox CA file its certificates are signed by.
    pub fn edge(&self) -> Result<EdgeEndpoint, EmulatorError> {
        let what = "report its HTTPS edge";
        let health = self.control("health", None, what)?;
        let edge = health.get("edge");
        let port = edge
            .and_then(|e| e.get("port"))
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok());
        let ca_file = edge
            .and_then(|e| e.get("ca_file"))
            .and_then(Value::as_str)
            .map(PathBuf::from);
        match (port, ca_file) {
            (Some(port), Some(ca_file)) => Ok(EdgeEndpoint {
                address: SocketAddr::from(([127, 0, 0, 1], port)),
                ca_file,
            }),
            // An emulator started by an older siteup has no edge.
            _ => Err(EmulatorError::BadAnswer {
                what: what.into(),
                detail: "it has no HTTPS edge (an older emulator: stop it and run `siteup sandbox` again)".into(),
            }),
        }
    }

    /// Every mail SNS "sent" to an email endpoint, oldest first: the confirmation mails of
    /// email subscriptions (with their token) and the notifications published to topics with
    /// confirmed email subscribers (`GET /_siteup/sns/messages`).
    pub fn sns_messages(&self) -> Result<Vec<SnsMail>, EmulatorError> {
        let what = "list the mails SNS sent";
        let answer = self.control("sns/messages", None, what)?;
        serde_json::from_value::<SnsMessages>(answer)
            .map(|m| m.messages)
            .map_err(|e| EmulatorError::BadAnswer {
                what: what.into(),
                detail: e.to_string(),
            })
    }

    /// Plays the owner of `endpoint` clicking the link(s) SNS mailed: confirms its pending
    /// email subscriptions, to every topic or to `topic_arn` only (`POST /_siteup/sns/confirm`).
    /// Answers the subscription ARNs it confirmed (empty when all were confirmed already); an
    /// address with no subscription (SNS deletes one still pending after 48 hours) is an error.
    pub fn confirm_sns_subscriptions(
        &self,
        endpoint: &str,
        topic_arn: Option<&str>,
    ) -> Result<Vec<String>, EmulatorError> {
        let what = format!("confirm the SNS subscriptions of {endpoint}");
        let mut body = json!({ "endpoint": endpoint });
        if let Some(arn) = topic_arn {
            body["topic_arn"] = json!(arn);
        }
        let answer = self.control("sns/confirm", Some(body), &what)?;
        serde_json::from_value::<SnsConfirmed>(answer)
            .map(|c| {
                c.confirmed
                    .into_iter()
                    .map(|s| s.subscription_arn)
                    .collect()
            })
            .map_err(|e| EmulatorError::BadAnswer {
                what,
                detail: e.to_string(),
            })
    }

    /// Plays a real address that bounced (`POST /_siteup/ses/bounce`): in every region with an
    /// SES configuration set, SES adds it to the account's suppression list (when the account
    /// suppresses BOUNCE) and publishes the bounce event to the configuration sets' matching
    /// event destinations. Answers, per region, whether it was suppressed and the topics that
    /// got the event.
    pub fn inject_ses_bounce(&self, address: &str) -> Result<Vec<SesBounce>, EmulatorError> {
        let what = format!("bounce mail to {address}");
        let answer = self.control("ses/bounce", Some(json!({ "address": address })), &what)?;
        serde_json::from_value::<SesBounceAnswer>(answer)
            .map(|a| {
                a.regions
                    .into_iter()
                    .map(|(region, r)| SesBounce {
                        region,
                        suppressed: r.suppressed,
                        published: r.published,
                    })
                    .collect()
            })
            .map_err(|e| EmulatorError::BadAnswer {
                what,
                detail: e.to_string(),
            })
    }

    /// What Route 53's nameservers serve for the public zone holding `domain` (None: no zone
    /// holds it), alias records left out (`POST /_siteup/dns/zone`).
    pub fn served_zone(&self, domain: &str) -> Result<Option<ServedZone>, EmulatorError> {
        let what = format!("read the Route 53 zone of {domain}");
        let answer = self.control("dns/zone", Some(json!({ "domain": domain })), &what)?;
        serde_json::from_value::<ServedZoneAnswer>(answer)
            .map(|a| a.zone)
            .map_err(|e| EmulatorError::BadAnswer {
                what,
                detail: e.to_string(),
            })
    }

    /// Forgets everything: moto's resources and the emulator's own SES and Cognito state.
    pub fn reset(&self) -> Result<(), EmulatorError> {
        self.control("reset", Some(json!({})), "reset its state")
            .map(|_| ())
    }

    /// The emulator's own state as JSON: `identities` (each with `identity`, `type`,
    /// `verification`, `dkim.status`, `mail_from`, `expired`: `domain` once SES stopped
    /// checking a domain, `link` once an address's link expired), `accounts` (per region:
    /// `production_access`, `review`), `verification_mails` (per address: `sent`, `resends`),
    /// `identity_pool_roles`, `clock` (`offset_seconds`, `now`) and `registry` (`host`,
    /// `port`, `tld`, or null).
    pub fn control_state(&self) -> Result<Value, EmulatorError> {
        self.control("state", None, "report its state")
    }

    /// Stops the emulator: SIGTERM by PID, a wait, then SIGKILL after a timeout.
    pub fn stop(mut self) -> Result<(), EmulatorError> {
        self.shutdown(STOP_GRACE)
    }

    fn control(&self, path: &str, body: Option<Value>, what: &str) -> Result<Value, EmulatorError> {
        let url = format!("{}{CONTROL_PREFIX}{path}", self.url);
        let result = match body {
            Some(body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.to_string()),
            None => self.agent.get(&url).call(),
        };
        let mut response = result.map_err(|e| EmulatorError::Unreachable {
            url: self.url.clone(),
            detail: e.to_string(),
        })?;
        let status = response.status().as_u16();
        let text =
            response
                .body_mut()
                .read_to_string()
                .map_err(|e| EmulatorError::Unreachable {
                    url: self.url.clone(),
                    detail: e.to_string(),
                })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| EmulatorError::BadAnswer {
            what: what.to_string(),
            detail: format!("HTTP {status}, {e}"),
        })?;
        if !(200..300).contains(&status) {
            let message = value
                .get("error")
                .and_then(Value::as_str)
                .map_or_else(|| text.trim().to_string(), str::to_string);
            return Err(EmulatorError::Control {
                what: what.to_string(),
                status,
                message: sentence(&message),
            });
        }
        Ok(value)
    }

    fn shutdown(&mut self, grace: Duration) -> Result<(), EmulatorError> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        let result = self.terminate(grace);
        if result.is_ok()
            && let Some(info) = read_ready(&self.ready_file)
            && info.pid == self.pid
        {
            let _ = fs::remove_file(&self.ready_file);
        }
        result
    }

    fn terminate(&mut self, grace: Duration) -> Result<(), EmulatorError> {
        let own_pid = self.pid;
        let stop_error = move |detail: String| EmulatorError::Stop {
            pid: own_pid,
            detail,
        };
        let raw = i32::try_from(self.pid).map_err(|_| stop_error("not a valid PID".into()))?;
        if raw <= 0 {
            return Err(stop_error("not a valid PID".into()));
        }
        let pid = Pid::from_raw(raw);
        // A process we did not spawn may be gone and its PID reused: signal only our script.
        if self.child.is_none() && !looks_like_emulator(self.pid) {
            return Ok(());
        }
        match kill(pid, Signal::SIGTERM) {
            Ok(()) => {}
            Err(Errno::ESRCH) => {
                self.wait_gone(Duration::ZERO);
                return Ok(());
            }
            Err(e) => return Err(stop_error(e.desc().to_string())),
        }
        if self.wait_gone(grace) {
            return Ok(());
        }
        match kill(pid, Signal::SIGKILL) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(e) => return Err(stop_error(e.desc().to_string())),
        }
        if self.wait_gone(KILL_WAIT) {
            return Ok(());
        }
        Err(stop_error(format!(
            "it was still running {} after SIGKILL",
            crate::words::duration(KILL_WAIT, crate::words::DurationStyle::Seconds)
        )))
    }

    /// Waits up to `timeout` for the process to be gone (reaping it when it is our child).
    fn wait_gone(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let gone = match &mut self.child {
                Some(child) => !matches!(child.try_wait(), Ok(None)),
                None => !process_alive(self.pid),
            };
            if gone {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if self.stop_on_drop && !self.stopped {
            let _ = self.shutdown(DROP_GRACE);
        }
        if let Some(dir) = self.remove_on_drop.take() {
            if std::thread::panicking() {
                eprintln!(
                    "the AWS emulator's folder is kept for inspection: {}",
                    dir.display()
                );
            } else {
                let _ = fs::remove_dir_all(&dir);
            }
        }
    }
}

/// One mail SNS "sent" to an email endpoint, as the emulator recorded it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SnsMail {
    /// The address it went to.
    pub endpoint: String,
    pub topic_arn: String,
    pub kind: SnsMailKind,
    pub subject: Option<String>,
    pub message: String,
    /// Emulator time (epoch seconds) it was sent.
    pub time: f64,
    /// The confirmation token (confirmation mails only).
    #[serde(default)]
    pub token: Option<String>,
}

/// What an SNS mail was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnsMailKind {
    /// "Click this link to confirm the subscription".
    Confirmation,
    /// A message published to the topic.
    Notification,
}

/// What an injected bounce did in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesBounce {
    pub region: String,
    /// Added to the account's suppression list.
    pub suppressed: bool,
    /// The SNS topics the bounce event was published to.
    pub published: Vec<String>,
}

/// A public hosted zone as its Route 53 nameservers serve it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServedZone {
    /// The zone's apex, without the trailing dot.
    pub name: String,
    /// The nameservers Route 53 gave the zone.
    pub nameservers: Vec<String>,
    pub records: Vec<ServedRecord>,
}

/// One record set of a served zone, values as Route 53 keeps them (TXT values quoted).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServedRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    pub ttl: u32,
    pub values: Vec<String>,
}

#[derive(Deserialize)]
struct ServedZoneAnswer {
    zone: Option<ServedZone>,
}

#[derive(Deserialize)]
struct SnsMessages {
    messages: Vec<SnsMail>,
}

#[derive(Deserialize)]
struct SnsConfirmed {
    confirmed: Vec<SnsConfirmedSubscription>,
}

#[derive(Deserialize)]
struct SnsConfirmedSubscription {
    subscription_arn: String,
}

#[derive(Deserialize)]
struct SesBounceAnswer {
    regions: std::collections::BTreeMap<String, SesBounceRegion>,
}

#[derive(Deserialize)]
struct SesBounceRegion {
    suppressed: bool,
    published: Vec<String>,
}

/// The emulator's HTTPS edge: CloudFront's stand-in, answering on loopback for the aliases
/// of a deployed distribution with certificates signed by the sandbox CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeEndpoint {
    pub address: SocketAddr,
    /// The sandbox CA's certificate (PEM).
    pub ca_file: PathBuf,
}

/// The Python tests use: `$SITEUP_EMULATOR_PYTHON`, else the default venv's.
pub fn test_python() -> PathBuf {
    match std::env::var_os(PYTHON_ENV).filter(|v| !v.is_empty()) {
        Some(python) => PathBuf::from(python),
        None => venv::venv_python(&venv::default_venv_dir()),
    }
}

fn resolve_python(python: &Path) -> Result<PathBuf, EmulatorError> {
    let missing = || EmulatorError::PythonMissing {
        python: python.to_path_buf(),
    };
    if python.as_os_str().is_empty() {
        return Err(missing());
    }
    if python.components().count() == 1 && !python.is_absolute() {
        return which::which(python).map_err(|_| missing());
    }
    if python.is_file() {
        Ok(python.to_path_buf())
    } else {
        Err(missing())
    }
}

fn unique_temp_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!(
        "siteup-emulator-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn make_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

fn read_ready(path: &Path) -> Option<ReadyInfo> {
    let text = fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn is_loopback_url(url: &str) -> bool {
    url.starts_with("http://127.") || url.starts_with("http://[::1]:")
}

/// The PID the emulator at `url` reports on its health route.
fn health_pid(agent: &ureq::Agent, url: &str) -> Result<u32, String> {
    let mut response = agent
        .get(format!("{url}{CONTROL_PREFIX}health"))
        .call()
        .map_err(|e| e.to_string())?;
    if response.status().as_u16() != 200 {
        return Err(format!("HTTP {}", response.status()));
    }
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let value: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    value
        .get("pid")
        .and_then(Value::as_u64)
        .and_then(|p| u32::try_from(p).ok())
        .ok_or_else(|| "no pid in the health answer".to_string())
}

/// True when `pid` runs our script (where `/proc` exists; elsewhere, when it is alive).
fn looks_like_emulator(pid: u32) -> bool {
    if !Path::new("/proc/self/cmdline").exists() {
        return process_alive(pid);
    }
    match fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(raw) => raw
            .split(|b| *b == 0)
            .any(|arg| Path::new(OsStr::from_bytes(arg)).ends_with(SCRIPT_FILE_NAME)),
        Err(_) => false,
    }
}

/// The last meaningful line the emulator wrote to its log since `start` (its own lines first).
fn last_log_line(log: &Path, start: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = fs::File::open(log) {
        let _ = file.seek(SeekFrom::Start(start));
        let mut raw = Vec::new();
        let _ = file.read_to_end(&mut raw);
        text = String::from_utf8_lossy(&raw).into_owned();
    }
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let ours = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("[siteup-emulator]").map(str::trim));
    let line = ours
        .or_else(|| lines.last().copied())
        .unwrap_or("it wrote nothing");
    line.trim_end_matches('.').to_string()
}
