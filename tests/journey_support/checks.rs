//! What only the journey tests (journey.rs) read and check: the status and the journal's
//! steps, terraform's run records and events, terraform run the way siteup runs it, and a look
//! into the AWS emulator (boto3, through the emulator venv's Python). Included with
//! `#[path = "journey_support/checks.rs"] mod checks;` next to `journey_support`, `full` and
//! `watch`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use siteup::project::settings;
use siteup::sandbox::emulator;
use siteup::site::SiteConfig;
use siteup::terraform::runs::{RunRecord, record_paths};

use crate::journey_support::{Finished, Project, Running};
use crate::watch::SHORT_TIMEOUT;

/// The emulator check script (see its docstring).
const CHECK_SCRIPT: &str = include_str!("emulator_check.py");

/// The steps of `siteup status --json`, in order (the checklist).
pub(crate) const STEP_IDS: [&str; 14] = [
    "preflight",
    "profile",
    "site",
    "generate",
    "foundation",
    "state",
    "nameservers",
    "email-domain",
    "inbox",
    "alerts",
    "ses-production",
    "stack",
    "edge",
    "done",
];

impl Finished {
    /// What a headless run still waits for: its closing list after "Waiting:".
    pub(crate) fn waiting_list(&self) -> &str {
        self.stdout.split_once("\nWaiting:\n").map_or_else(
            || panic!("the run lists what it waits for: {}", self.describe()),
            |(_, w)| w,
        )
    }
}

/// What the emulator check found (see `emulator_check.py`).
#[derive(Debug)]
pub(crate) struct EmulatorCheck {
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
    pub(crate) fn count(&self, kind: &str) -> usize {
        self.inventory
            .get(kind)
            .and_then(Value::as_array)
            .map_or_else(
                || panic!("the emulator inventory has no {kind:?}"),
                Vec::len,
            )
    }

    /// The hosted zones named after the domain: (id, nameservers).
    pub(crate) fn zones(&self) -> Vec<(String, Vec<String>)> {
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
pub(crate) fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `aws_route53_record.x["a"]` -> `aws_route53_record.x`
pub(crate) fn without_index(address: &str) -> String {
    match address.find('[') {
        Some(i) => address[..i].to_string(),
        None => address.to_string(),
    }
}

impl Project {
    /// Every entry of the project folder with its bytes (files) and modification time, but the
    /// logs the sandbox's running servers keep of the requests they answer.
    pub(crate) fn snapshot(&self) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
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

    /// `siteup status --json` (exit 0 when done, 2 when not yet).
    pub(crate) fn status(&self) -> Value {
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

    /// A step's state in the journal (`running`, `done`, `waiting-on-you`, ...).
    pub(crate) fn step_state(&self, id: &str) -> Option<String> {
        self.journal()
            .steps
            .get(id)
            .and_then(|s| s.state)
            .map(|s| s.id().to_string())
    }

    /// A step's last update time in the journal.
    pub(crate) fn step_updated(&self, id: &str) -> Option<time::OffsetDateTime> {
        let journal = self.journal();
        let at = journal.steps.get(id)?.updated_at.clone()?;
        time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).ok()
    }

    /// The record paths that exist now (to tell later runs apart).
    pub(crate) fn record_marks(&self) -> BTreeSet<PathBuf> {
        record_paths(&self.runs_dir()).into_iter().collect()
    }

    /// A run of `command` (`apply`, `plan`, ...) that started after `marks` and is running now.
    pub(crate) fn new_running(
        &self,
        marks: &BTreeSet<PathBuf>,
        command: &str,
    ) -> Option<RunRecord> {
        self.run_records()
            .into_iter()
            .filter(|(p, r)| !marks.contains(p) && r.command == command && r.is_running())
            .map(|(_, r)| r)
            .next_back()
    }

    /// terraform ARGS in the project's terraform folder, with the environment siteup gives it in
    /// the sandbox (the provider mirror's CLI config, the emulator's endpoint and keys).
    pub(crate) fn terraform(&self, args: &[&str], timeout: Duration) -> Finished {
        let mut cmd = self.sandbox_terraform("terraform");
        cmd.args(args).current_dir(self.terraform_dir());
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
    pub(crate) fn python(&self, args: &[&str], timeout: Duration) -> Finished {
        let emulator = self.emulator();
        let mut cmd = Command::new(emulator::test_python());
        cmd.args(args).stdin(Stdio::null());
        emulator.apply_aws_env(&mut cmd);
        self.run_other(cmd, "python", timeout)
    }

    /// The nameservers of the hosted zone `zone_id`, asked of the emulator.
    pub(crate) fn zone_nameservers(&self, zone_id: &str) -> Vec<String> {
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
    pub(crate) fn config(&self) -> SiteConfig {
        settings::load(&self.root)
            .expect("a readable siteup.toml")
            .expect("siteup.toml exists")
            .to_config()
    }

    /// Reads the state through terraform and asks the emulator about every resource in it.
    pub(crate) fn emulator_check(&self) -> EmulatorCheck {
        let show = self.terraform(&["show", "-json", "-no-color"], SHORT_TIMEOUT);
        show.expect_code(0);
        let state: Value = serde_json::from_str(&show.stdout).expect("terraform show -json");
        let n = self.seq.get();
        let state_file = self.logs.join(format!("{n:02}-state.json"));
        std::fs::write(&state_file, &show.stdout).expect("write the state JSON");
        let script = self.logs.join("emulator_check.py");
        std::fs::write(&script, CHECK_SCRIPT).expect("write the check script");
        let config = self.config();
        let domain = config.domain.as_str().to_string();
        let region = config.region.as_str().to_string();
        let done = self.python(
            &[
                &script.to_string_lossy(),
                &state_file.to_string_lossy(),
                &domain,
                &region,
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
    pub(crate) fn assert_all_done(&self, status: &Value) {
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
    pub(crate) fn assert_whole_stack(&self, status: &Value) -> EmulatorCheck {
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
            ("topics", "aws_sns_topic"),
            ("alarms", "aws_cloudwatch_metric_alarm"),
            ("configuration_sets", "aws_sesv2_configuration_set"),
            ("budgets", "aws_budgets_budget"),
        ] {
            let want = check.state_types.get(tf_type).copied().unwrap_or(0);
            // (A stack without some parts has none of their kinds.)
            assert!(
                want > 0 || config.parts != siteup::site::Parts::all(),
                "the full stack has a {tf_type}"
            );
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
    pub(crate) fn applies(&self) -> usize {
        self.run_records()
            .iter()
            .filter(|(_, r)| r.command == "apply")
            .count()
    }
}

/// Reads the `-json` lines of a run's stdout.
pub(crate) fn run_events(record: &RunRecord) -> Vec<Value> {
    std::fs::read_to_string(&record.stdout)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The id terraform reported when it finished creating `address` in this run, if it has.
pub(crate) fn created_id(record: &RunRecord, address: &str) -> Option<String> {
    run_events(record).into_iter().find_map(|ev| {
        (ev["type"] == "apply_complete" && ev["hook"]["resource"]["addr"] == address)
            .then(|| ev["hook"]["id_value"].as_str().map(str::to_string))
            .flatten()
    })
}

/// Whether terraform started creating `address` in this run.
pub(crate) fn started(record: &RunRecord, address: &str) -> bool {
    run_events(record)
        .iter()
        .any(|ev| ev["type"] == "apply_start" && ev["hook"]["resource"]["addr"] == address)
}
