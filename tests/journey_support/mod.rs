//! The harness of the journey tests and the journey benchmark: a sandbox project in a temporary
//! folder, the real `siteup` binary run with a clean environment and a deadline on every wait,
//! readers for the journal and for terraform's run records, terraform run the way siteup runs it,
//! and a look into the AWS emulator (boto3, through the emulator venv's Python).
//!
//! Dropping a [`Project`] stops whatever the journey left running: terraform runs a killed siteup
//! left behind (by their recorded process id), then the sandbox's emulator and DNS
//! (`siteup sandbox --stop`). When the test failed, the folder is kept and its path printed.
#![allow(dead_code)]

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use siteup::project::journal::Journal;
use siteup::project::settings;
use siteup::sandbox::emulator::{self, Emulator};
use siteup::sandbox::venv;
use siteup::site::SiteConfig;
use siteup::terraform::runs::{RunRecord, record_paths};

/// The binary under test.
pub const SITEUP: &str = env!("CARGO_BIN_EXE_siteup");

/// The emulator check script (see its docstring).
const CHECK_SCRIPT: &str = include_str!("emulator_check.py");

/// How long a whole journey (or a long part of one) may take before the test gives up.
pub const JOURNEY_TIMEOUT: Duration = Duration::from_secs(12 * 60);
/// How long a short command (status, play, stop) may take.
pub const SHORT_TIMEOUT: Duration = Duration::from_secs(90);

/// The steps of `siteup status --json`, in order (the checklist).
pub const STEP_IDS: [&str; 12] = [
    "preflight",
    "profile",
    "site",
    "generate",
    "state",
    "foundation",
    "nameservers",
    "email-domain",
    "sender-address",
    "ses-production",
    "stack",
    "done",
];

/// Fails (never skips) when something the journey needs is missing, naming it.
pub fn require_prerequisites() {
    assert!(
        which::which("terraform").is_ok(),
        "terraform is not on PATH: the journey tests run the real terraform (install terraform >= 1.10)"
    );
    assert!(
        siteup::terraform::cli_config::find_provider_mirror().is_some(),
        "no filesystem mirror of the hashicorp/aws provider was found (/opt/tf-plugins or {}): the sandbox runs terraform offline with it",
        siteup::terraform::cli_config::MIRROR_ENV
    );
    let venv_dir = venv::default_venv_dir();
    let python = venv::venv_python(&venv_dir);
    assert!(
        python.is_file(),
        "the emulator's venv {} is missing (no {}): create it with `python3 -m venv {} && {}/bin/pip install -r assets/emulator/requirements.txt`",
        venv_dir.display(),
        python.display(),
        venv_dir.display(),
        venv_dir.display()
    );
    let check_python = emulator::test_python();
    assert!(
        check_python.is_file(),
        "the Python with boto3 that checks the emulator ({}, from {} or the default venv) is missing",
        check_python.display(),
        emulator::PYTHON_ENV
    );
}

/// A finished process: its exit and its output.
#[derive(Debug, Clone)]
pub struct Finished {
    pub name: String,
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub secs: f64,
}

impl Finished {
    /// What a headless run still waits for: its closing list after "Waiting:".
    pub fn waiting_list(&self) -> &str {
        self.stdout
            .split_once("\nWaiting:\n")
            .map(|(_, w)| w)
            .unwrap_or_else(|| panic!("the run lists what it waits for: {}", self.describe()))
    }

    /// The exit, the time and the end of both outputs, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "`{}` ended with code {:?} (signal {:?}) after {:.0} s\n--- stdout (end) ---\n{}\n--- stderr (end) ---\n{}",
            self.name,
            self.code,
            self.signal,
            self.secs,
            tail(&self.stdout, 40),
            tail(&self.stderr, 25)
        )
    }

    /// Asserts the exit code.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}: {}",
            self.describe()
        );
        self
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A siteup process the test started; killed (SIGKILL) and reaped on drop if still running.
pub struct Running {
    name: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    out: PathBuf,
    err: PathBuf,
    started: Instant,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or_default()
    }

    /// The finished process, if it has ended.
    fn try_finish(&mut self) -> Option<Finished> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => {
                self.child = None;
                Some(self.finished(status))
            }
            Ok(None) => None,
            Err(e) => panic!("could not poll `{}`: {e}", self.name),
        }
    }

    fn finished(&self, status: std::process::ExitStatus) -> Finished {
        use std::os::unix::process::ExitStatusExt;
        Finished {
            name: self.name.clone(),
            code: status.code(),
            signal: status.signal(),
            stdout: std::fs::read_to_string(&self.out).unwrap_or_default(),
            stderr: std::fs::read_to_string(&self.err).unwrap_or_default(),
            secs: self.started.elapsed().as_secs_f64(),
        }
    }

    /// What the process printed so far.
    pub fn stdout_so_far(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Waits until `cond` holds, failing if the process ends first or the deadline passes.
    pub fn wait_until(&mut self, what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            if cond() {
                return;
            }
            if let Some(done) = self.try_finish() {
                panic!("`{}` ended before {what}: {}", self.name, done.describe());
            }
            assert!(
                Instant::now() < deadline,
                "`{}` did not reach {what} within {} s; its output so far:\n{}",
                self.name,
                timeout.as_secs(),
                tail(&self.stdout_so_far(), 40)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL, as a crash or `kill -9` would: the process must still be running.
    pub fn sigkill(mut self) -> Finished {
        if let Some(done) = self.try_finish() {
            panic!(
                "`{}` had already ended when the test meant to kill it: {}",
                self.name,
                done.describe()
            );
        }
        let mut child = self.child.take().expect("a running child");
        child.kill().expect("SIGKILL siteup");
        let status = child.wait().expect("reap siteup");
        let done = self.finished(status);
        assert_eq!(done.signal, Some(9), "siteup was killed by SIGKILL");
        done
    }

    /// Waits for the process to end.
    pub fn wait(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(done) = self.try_finish() {
                return done;
            }
            if Instant::now() >= deadline {
                let out = tail(&self.stdout_so_far(), 40);
                drop(self);
                panic!(
                    "the command did not end within {} s:\n{out}",
                    timeout.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What the emulator check found (see `emulator_check.py`).
#[derive(Debug)]
pub struct EmulatorCheck {
    pub checked: usize,
    pub missing: Vec<String>,
    pub unchecked: Vec<String>,
    pub inventory: Value,
    /// Every managed resource instance in the terraform state.
    pub state_instances: Vec<String>,
    /// How many instances of each type the terraform state holds.
    pub state_types: BTreeMap<String, usize>,
}

impl EmulatorCheck {
    /// How many the emulator holds of an inventory kind.
    pub fn count(&self, kind: &str) -> usize {
        self.inventory
            .get(kind)
            .and_then(Value::as_array)
            .map(Vec::len)
            .unwrap_or_else(|| panic!("the emulator inventory has no {kind:?}"))
    }

    /// The hosted zones named after the domain: (id, nameservers).
    pub fn zones(&self) -> Vec<(String, Vec<String>)> {
        self.inventory["zones"]
            .as_array()
            .expect("zones")
            .iter()
            .map(|z| {
                (
                    z["id"].as_str().unwrap_or_default().to_string(),
                    strings(&z["nameservers"]),
                )
            })
            .collect()
    }
}

/// A JSON array of strings.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `aws_route53_record.x["a"]` -> `aws_route53_record.x`
pub fn without_index(address: &str) -> String {
    match address.find('[') {
        Some(i) => address[..i].to_string(),
        None => address.to_string(),
    }
}

/// A sandbox project folder in a temporary directory.
pub struct Project {
    temp: Option<tempfile::TempDir>,
    /// The temporary directory: `project/`, `logs/`, `cache/`.
    pub base: PathBuf,
    /// The project folder (`--dir`).
    pub root: PathBuf,
    logs: PathBuf,
    seq: Cell<usize>,
    path_prefix: Option<PathBuf>,
}

impl Project {
    /// A new, empty project folder (the prerequisites are checked first).
    pub fn new(label: &str) -> Project {
        require_prerequisites();
        let temp = tempfile::Builder::new()
            .prefix(&format!("siteup-journey-{label}-"))
            .tempdir()
            .expect("temporary directory");
        let base = temp.path().to_path_buf();
        let root = base.join("project");
        let logs = base.join("logs");
        std::fs::create_dir_all(&root).expect("project folder");
        std::fs::create_dir_all(&logs).expect("logs folder");
        eprintln!("{label}: project folder {}", root.display());
        Project {
            temp: Some(temp),
            base,
            root,
            logs,
            seq: Cell::new(0),
            path_prefix: None,
        }
    }

    /// Puts `dir` first on the PATH of every siteup this project runs (a terraform shim).
    pub fn with_path_prefix(mut self, dir: &Path) -> Project {
        self.path_prefix = Some(dir.to_path_buf());
        self
    }

    pub fn logs_dir(&self) -> &Path {
        &self.logs
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".siteup")
    }

    pub fn terraform_dir(&self) -> PathBuf {
        self.root.join("terraform")
    }

    pub fn sandbox_dir(&self) -> PathBuf {
        self.state_dir().join("sandbox")
    }

    /// Every entry of the project folder with its bytes (files) and modification time, but the
    /// logs the sandbox's running servers keep of the requests they answer.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
        let servers_logs = [
            self.sandbox_dir()
                .join(siteup::sandbox::emulator::LOG_FILE_NAME),
            self.sandbox_dir().join("dns.log"),
        ];
        let mut out = BTreeMap::new();
        let mut todo = vec![self.root.clone()];
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(&dir).expect("read folder") {
                let path = entry.expect("folder entry").path();
                if servers_logs.contains(&path) {
                    continue;
                }
                let meta = std::fs::symlink_metadata(&path).expect("metadata");
                let bytes = if meta.is_file() {
                    std::fs::read(&path).expect("read file")
                } else {
                    Vec::new()
                };
                if meta.is_dir() {
                    todo.push(path.clone());
                }
                out.insert(path, (bytes, meta.modified().expect("modification time")));
            }
        }
        out
    }

    /// `siteup ARGS --dir ROOT` with the test environment: no AWS variable of the caller, no
    /// instance metadata, a private cache, no colours.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(SITEUP);
        cmd.args(args).arg("--dir").arg(&self.root);
        for key in siteup::aws::env::inherited_aws_variables() {
            cmd.env_remove(key);
        }
        cmd.env_remove("SITEUP_DNS_ROOT")
            .env_remove("SITEUP_DNS_RESOLVER")
            .env_remove("TF_CLI_CONFIG_FILE")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("SITEUP_CACHE_DIR", self.base.join("cache"))
            .env("NO_COLOR", "1")
            .env("TERM", "dumb");
        if let Some(prefix) = &self.path_prefix {
            let mut path = OsString::from(prefix.as_os_str());
            if let Some(old) = std::env::var_os("PATH") {
                path.push(":");
                path.push(old);
            }
            cmd.env("PATH", path);
        }
        cmd
    }

    fn log_files(&self, name: &str) -> (PathBuf, PathBuf) {
        let n = self.seq.get() + 1;
        self.seq.set(n);
        let stem: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        (
            self.logs.join(format!("{n:02}-{stem}.out")),
            self.logs.join(format!("{n:02}-{stem}.err")),
        )
    }

    fn start(&self, args: &[&str], stdin_open: bool) -> Running {
        let name = format!("siteup {}", args.join(" "));
        let (out, err) = self.log_files(&name);
        let mut cmd = self.command(args);
        cmd.stdout(File::create(&out).expect("stdout file"))
            .stderr(File::create(&err).expect("stderr file"))
            .stdin(if stdin_open {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {SITEUP}: {e}"));
        let stdin = child.stdin.take();
        Running {
            name,
            child: Some(child),
            stdin,
            out,
            err,
            started: Instant::now(),
        }
    }

    /// Starts siteup (stdin closed).
    pub fn spawn(&self, args: &[&str]) -> Running {
        self.start(args, false)
    }

    /// Starts siteup with a standard input that stays open (and empty) until it ends.
    pub fn spawn_with_open_stdin(&self, args: &[&str]) -> Running {
        self.start(args, true)
    }

    /// Runs siteup to its end.
    pub fn run(&self, args: &[&str], timeout: Duration) -> Finished {
        self.spawn(args).wait(timeout)
    }

    /// `siteup status --json` (exit 0 when done, 2 when not yet).
    pub fn status(&self) -> Value {
        let done = self.run(&["status", "--json"], SHORT_TIMEOUT);
        assert!(
            matches!(done.code, Some(0 | 2)),
            "siteup status failed: {}",
            done.describe()
        );
        serde_json::from_str(&done.stdout).unwrap_or_else(|e| {
            panic!(
                "siteup status --json printed no JSON ({e}): {}",
                done.describe()
            )
        })
    }

    /// The journal as it is now (a missing journal is an empty one).
    pub fn journal(&self) -> Journal {
        Journal::load(&self.state_dir()).expect("a readable journal")
    }

    /// A step's state in the journal (`running`, `done`, `waiting-on-you`, ...).
    pub fn step_state(&self, id: &str) -> Option<String> {
        self.journal()
            .steps
            .get(id)
            .and_then(|s| s.state)
            .map(|s| s.id().to_string())
    }

    /// A step's last update time in the journal.
    pub fn step_updated(&self, id: &str) -> Option<time::OffsetDateTime> {
        let journal = self.journal();
        let at = journal.steps.get(id)?.updated_at.clone()?;
        time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).ok()
    }

    /// The run directory of terraform's output files and run records.
    pub fn runs_dir(&self) -> PathBuf {
        self.terraform_dir()
            .join(siteup::terraform::runs::DEFAULT_RUN_DIR)
    }

    /// Every run record, oldest first.
    pub fn run_records(&self) -> Vec<(PathBuf, RunRecord)> {
        record_paths(&self.runs_dir())
            .into_iter()
            .filter_map(|p| RunRecord::read(&p).map(|r| (p, r)))
            .collect()
    }

    /// The record paths that exist now (to tell later runs apart).
    pub fn record_marks(&self) -> BTreeSet<PathBuf> {
        record_paths(&self.runs_dir()).into_iter().collect()
    }

    /// A run of `command` (`apply`, `plan`, ...) that started after `marks` and is running now.
    pub fn new_running(&self, marks: &BTreeSet<PathBuf>, command: &str) -> Option<RunRecord> {
        self.run_records()
            .into_iter()
            .filter(|(p, r)| !marks.contains(p) && r.command == command && r.is_running())
            .map(|(_, r)| r)
            .next_back()
    }

    /// The attached emulator of this sandbox.
    pub fn emulator(&self) -> Emulator {
        Emulator::attach(&self.sandbox_dir().join("emulator.json"))
            .expect("the emulator's ready file is readable")
            .expect("the sandbox's emulator is running")
    }

    /// terraform ARGS in the project's terraform folder, with the environment siteup gives it in
    /// the sandbox (the provider mirror's CLI config, the emulator's endpoint and keys).
    pub fn terraform(&self, args: &[&str], timeout: Duration) -> Finished {
        let emulator = self.emulator();
        let mut cmd = Command::new("terraform");
        cmd.args(args)
            .current_dir(self.terraform_dir())
            .stdin(Stdio::null());
        emulator.apply_aws_env(&mut cmd);
        cmd.env(
            "TF_CLI_CONFIG_FILE",
            self.sandbox_dir().join("siteup-terraform.rc"),
        );
        self.run_other(cmd, &format!("terraform {}", args.join(" ")), timeout)
    }

    fn run_other(&self, mut cmd: Command, name: &str, timeout: Duration) -> Finished {
        let (out, err) = self.log_files(name);
        cmd.stdout(File::create(&out).expect("stdout file"))
            .stderr(File::create(&err).expect("stderr file"));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        Running {
            name: name.to_string(),
            child: Some(child),
            stdin: None,
            out,
            err,
            started: Instant::now(),
        }
        .wait(timeout)
    }

    /// Runs a Python snippet or script with boto3 against the emulator.
    pub fn python(&self, args: &[&str], timeout: Duration) -> Finished {
        let emulator = self.emulator();
        let mut cmd = Command::new(emulator::test_python());
        cmd.args(args).stdin(Stdio::null());
        emulator.apply_aws_env(&mut cmd);
        self.run_other(cmd, "python", timeout)
    }

    /// The nameservers of the hosted zone `zone_id`, asked of the emulator.
    pub fn zone_nameservers(&self, zone_id: &str) -> Vec<String> {
        let done = self.python(
            &[
                "-c",
                "import boto3, json, sys\n\
                 z = boto3.client('route53', region_name='us-east-1').get_hosted_zone(Id=sys.argv[1])\n\
                 print(json.dumps(z['DelegationSet']['NameServers']))",
                zone_id,
            ],
            SHORT_TIMEOUT,
        );
        done.expect_code(0);
        strings(&serde_json::from_str(&done.stdout).expect("nameservers JSON"))
    }

    /// The answers in siteup.toml.
    pub fn config(&self) -> SiteConfig {
        settings::load(&self.root)
            .expect("a readable siteup.toml")
            .expect("siteup.toml exists")
            .to_config()
    }

    /// Reads the state through terraform and asks the emulator about every resource in it.
    pub fn emulator_check(&self) -> EmulatorCheck {
        let show = self.terraform(&["show", "-json", "-no-color"], SHORT_TIMEOUT);
        show.expect_code(0);
        let state: Value = serde_json::from_str(&show.stdout).expect("terraform show -json");
        let n = self.seq.get();
        let state_file = self.logs.join(format!("{n:02}-state.json"));
        std::fs::write(&state_file, &show.stdout).expect("write the state JSON");
        let script = self.logs.join("emulator_check.py");
        std::fs::write(&script, CHECK_SCRIPT).expect("write the check script");
        let domain = self.config().domain.as_str().to_string();
        let done = self.python(
            &[
                &script.to_string_lossy(),
                &state_file.to_string_lossy(),
                &domain,
            ],
            SHORT_TIMEOUT,
        );
        done.expect_code(0);
        let out: Value = serde_json::from_str(&done.stdout).unwrap_or_else(|e| {
            panic!(
                "the emulator check printed no JSON ({e}): {}",
                done.describe()
            )
        });
        let mut state_instances = Vec::new();
        let mut state_types = BTreeMap::new();
        let resources = state["values"]["root_module"]["resources"]
            .as_array()
            .expect("terraform show -json lists the root module's resources");
        for r in resources {
            if r["mode"] != "managed" {
                continue;
            }
            state_instances.push(r["address"].as_str().unwrap_or_default().to_string());
            *state_types
                .entry(r["type"].as_str().unwrap_or_default().to_string())
                .or_insert(0) += 1;
        }
        // Every key the script reports must be there: a missing one is a broken check, never
        // an empty (passing) list.
        let list = |key: &str| {
            assert!(
                out[key].is_array(),
                "the emulator check printed no {key:?} list: {}",
                done.describe()
            );
            strings(&out[key])
        };
        let checked = out["checked"].as_u64().unwrap_or_else(|| {
            panic!(
                "the emulator check printed no \"checked\" count: {}",
                done.describe()
            )
        });
        EmulatorCheck {
            checked: usize::try_from(checked).unwrap_or(usize::MAX),
            missing: list("missing"),
            unchecked: list("unchecked"),
            inventory: out["inventory"].clone(),
            state_instances,
            state_types,
        }
    }

    /// Asserts that `siteup status --json` reports the journey done, every step done.
    pub fn assert_all_done(&self, status: &Value) {
        assert_eq!(status["done"], Value::Bool(true), "status: {status:#}");
        let steps = status["steps"].as_array().expect("steps array");
        let ids: Vec<&str> = steps.iter().filter_map(|s| s["id"].as_str()).collect();
        assert_eq!(ids, STEP_IDS, "every step is listed, in order");
        for s in steps {
            assert_eq!(s["state"], "done", "step {} is not done: {s:#}", s["id"]);
        }
        assert_eq!(
            strings(&status["nameservers"]).len(),
            4,
            "status: {status:#}"
        );
    }

    /// Asserts that the emulator holds every resource of the generated stack, each exactly once,
    /// and exactly one hosted zone for the domain (the one in the outputs, with the status's
    /// nameservers). Returns the check for further assertions.
    pub fn assert_whole_stack(&self, status: &Value) -> EmulatorCheck {
        let check = self.emulator_check();
        let config = self.config();
        // The state holds every resource the generated files declare, nothing else.
        let expected: BTreeSet<String> = siteup::tfgen::resource_addresses(&config)
            .iter()
            .map(|a| without_index(a))
            .collect();
        let in_state: BTreeSet<String> = check
            .state_instances
            .iter()
            .map(|a| without_index(a))
            .collect();
        assert_eq!(
            in_state, expected,
            "the terraform state and the generated files name different resources"
        );
        // The emulator holds every one of them, as terraform recorded it.
        assert!(
            check.missing.is_empty(),
            "the emulator lacks resources the state records: {:#?}",
            check.missing
        );
        assert!(
            check.unchecked.is_empty(),
            "the emulator check has no check for: {:?} (add one to tests/journey_support/emulator_check.py)",
            check.unchecked
        );
        assert_eq!(check.checked, check.state_instances.len());
        // Nothing was created twice: the emulator holds as many of each kind as the state.
        for (kind, tf_type) in [
            ("buckets", "aws_s3_bucket"),
            ("tables", "aws_dynamodb_table"),
            ("user_pools", "aws_cognito_user_pool"),
            ("user_pool_clients", "aws_cognito_user_pool_client"),
            ("identity_pools", "aws_cognito_identity_pool"),
            ("distributions", "aws_cloudfront_distribution"),
            ("cloudfront_functions", "aws_cloudfront_function"),
            (
                "origin_access_controls",
                "aws_cloudfront_origin_access_control",
            ),
            ("rest_apis", "aws_api_gateway_rest_api"),
            ("api_domains", "aws_api_gateway_domain_name"),
            ("lambdas", "aws_lambda_function"),
            ("certificates", "aws_acm_certificate"),
            ("log_groups", "aws_cloudwatch_log_group"),
            ("ses_identities", "aws_sesv2_email_identity"),
            ("roles", "aws_iam_role"),
        ] {
            let want = check.state_types.get(tf_type).copied().unwrap_or(0);
            assert!(want > 0, "the full stack has a {tf_type}");
            assert_eq!(
                check.count(kind),
                want,
                "the emulator holds {} {kind} for {want} {tf_type} in the state: {:#}",
                check.count(kind),
                check.inventory[kind]
            );
        }
        let buckets: BTreeSet<String> = strings(&check.inventory["buckets"]).into_iter().collect();
        let want_buckets: BTreeSet<String> = [
            &config.state_bucket,
            &config.deploys_bucket,
            &config.site_bucket,
        ]
        .iter()
        .map(|b| b.as_str().to_string())
        .collect();
        assert_eq!(buckets, want_buckets, "the expected buckets, no other");
        let zones = check.zones();
        assert_eq!(
            zones.len(),
            1,
            "exactly one hosted zone for {}: {zones:?}",
            config.domain
        );
        assert_eq!(
            status["outputs"]["zone_id"].as_str(),
            Some(zones[0].0.as_str()),
            "the outputs name the zone the emulator holds"
        );
        assert_eq!(
            strings(&status["nameservers"]),
            zones[0].1,
            "the status shows the zone's nameservers"
        );
        check
    }

    /// How many `terraform apply` runs the records show.
    pub fn applies(&self) -> usize {
        self.run_records()
            .iter()
            .filter(|(_, r)| r.command == "apply")
            .count()
    }

    /// Terraform runs a killed siteup left behind: stop them (SIGINT, then SIGKILL).
    fn stop_leftover_terraform(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut signalled = BTreeSet::new();
        loop {
            let running: Vec<RunRecord> = self
                .run_records()
                .into_iter()
                .map(|(_, r)| r)
                .filter(RunRecord::is_running)
                .collect();
            if running.is_empty() {
                return;
            }
            let late = Instant::now() >= deadline;
            for r in running {
                let Ok(pid) = i32::try_from(r.pid) else {
                    continue;
                };
                if late {
                    eprintln!("killing terraform {} (PID {})", r.command, r.pid);
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                } else if signalled.insert(r.pid) {
                    eprintln!("interrupting terraform {} (PID {})", r.command, r.pid);
                    let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
                }
            }
            if late {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Reads the `-json` lines of a run's stdout.
pub fn run_events(record: &RunRecord) -> Vec<Value> {
    std::fs::read_to_string(&record.stdout)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The id terraform reported when it finished creating `address` in this run, if it has.
pub fn created_id(record: &RunRecord, address: &str) -> Option<String> {
    run_events(record).into_iter().find_map(|ev| {
        (ev["type"] == "apply_complete" && ev["hook"]["resource"]["addr"] == address)
            .then(|| ev["hook"]["id_value"].as_str().map(str::to_string))
            .flatten()
    })
}

/// Whether terraform started creating `address` in this run.
pub fn started(record: &RunRecord, address: &str) -> bool {
    run_events(record)
        .iter()
        .any(|ev| ev["type"] == "apply_start" && ev["hook"]["resource"]["addr"] == address)
}

impl Drop for Project {
    fn drop(&mut self) {
        self.stop_leftover_terraform();
        let mut stop = self.command(&["sandbox", "--stop"]);
        stop.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match stop.output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "siteup sandbox --stop failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("could not run siteup sandbox --stop: {e}"),
        }
        if let Some(temp) = self.temp.take() {
            if std::thread::panicking() {
                let kept = temp.keep();
                eprintln!(
                    "the journey's folder is kept for inspection: {} (project/, logs/)",
                    kept.display()
                );
            } else {
                drop(temp);
            }
        }
    }
}
