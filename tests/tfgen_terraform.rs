//! The generated project against the real terraform and hashicorp/aws provider (from the local
//! mirror): `fmt -check`, `init -backend=false`, `validate -json` with no error and no warning,
//! the phase targets checked against terraform's own dependency graph, and the zip's hash
//! against terraform's `filebase64sha256`.
//!
//! Missing terraform or provider mirror fails these tests with a message naming it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "tfgen_common/no_api.rs"]
mod no_api;
#[path = "support/tf.rs"]
mod tf;
mod tfgen_common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use no_api::eu_west_1_no_api;
use sha2::Digest as _;
use siteup::site::SiteConfig;
use siteup::terraform::cli_config::write_mirror_cli_config;
use siteup::tfgen::{self, Backend, Phase};
use tfgen_common::*;

/// terraform on PATH and a CLI config that installs hashicorp/aws from the local mirror.
struct Terraform {
    binary: PathBuf,
    cli_config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Terraform {
    /// Fails the test (never skips it) when terraform or the provider mirror is missing.
    fn new() -> Self {
        let binary = tf::terraform();
        let dir = tempfile::tempdir().expect("tempdir for the CLI config");
        let cli_config = write_mirror_cli_config(dir.path(), &tf::provider_mirror())
            .expect("write the CLI config");
        Self {
            binary,
            cli_config,
            _dir: dir,
        }
    }

    /// Runs terraform in `dir` with `args` (and `stdin`), never prompting.
    fn run(&self, dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(&self.binary);
        cmd.args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match stdin {
            Some(input) => {
                cmd.stdin(Stdio::piped());
                let mut child = cmd.spawn().expect("spawn terraform");
                {
                    use std::io::Write;
                    let mut pipe = child.stdin.take().expect("stdin pipe");
                    pipe.write_all(input.as_bytes()).expect("write stdin");
                }
                child.wait_with_output().expect("wait for terraform")
            }
            None => {
                cmd.stdin(Stdio::null());
                cmd.output().expect("run terraform")
            }
        }
    }

    /// Like [`run`], and fails the test with terraform's output when it exits non-zero.
    fn ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.run(dir, args, None);
        assert!(
            out.status.success(),
            "terraform {} failed in {}:\n{}\n{}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Writes the project for `config` and checks fmt, init and validate. Returns the folder.
fn check_project(tf: &Terraform, config: &SiteConfig, backend: Backend) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("terraform");
    let files = render(config, backend);
    let report = tfgen::write_project(&project, &files, false).expect("write the project");
    assert!(!report.has_conflicts());

    let fmt = tf.run(&project, &["fmt", "-check", "-recursive", "-diff"], None);
    assert!(
        fmt.status.success() && fmt.stdout.is_empty(),
        "terraform fmt -check found files to reformat:\n{}\n{}",
        String::from_utf8_lossy(&fmt.stdout),
        String::from_utf8_lossy(&fmt.stderr)
    );

    tf.ok(
        &project,
        &["init", "-backend=false", "-input=false", "-no-color"],
    );
    assert!(
        project.join(".terraform.lock.hcl").exists(),
        "init wrote the lock file"
    );

    let out = tf.run(&project, &["validate", "-json", "-no-color"], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "terraform validate -json printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(
        json["valid"],
        true,
        "terraform validate: {}",
        serde_json::to_string_pretty(&json).unwrap_or_default()
    );
    assert_eq!(json["error_count"], 0, "{json}");
    assert_eq!(
        json["warning_count"],
        0,
        "validate warnings (deprecations?): {}",
        serde_json::to_string_pretty(&json["diagnostics"]).unwrap_or_default()
    );
    assert_eq!(json["diagnostics"].as_array().map(Vec::len), Some(0));
    assert!(out.status.success());
    dir
}

/// Adds the sandbox override (with the emulator backend when backend.tf exists) and checks that
/// the merged configuration is still formatted and valid.
fn check_with_sandbox_override(tf: &Terraform, config: &SiteConfig, project: &Path) {
    assert!(
        tfgen::sandbox_override::write(project, config, Some("http://127.0.0.1:4566"))
            .expect("write the override")
    );
    let fmt = tf.run(project, &["fmt", "-check", "-diff"], None);
    assert!(
        fmt.status.success() && fmt.stdout.is_empty(),
        "the sandbox override is not fmt clean:\n{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
    let out = tf.run(project, &["validate", "-json", "-no-color"], None);
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("validate -json prints JSON");
    assert_eq!(json["valid"], true, "with the sandbox override: {json}");
    assert_eq!(
        json["warning_count"], 0,
        "with the sandbox override: {json}"
    );
    assert!(tfgen::sandbox_override::write(project, config, None).expect("remove the override"));
}

/// Terraform's own dependency graph: `address -> direct dependencies`.
fn graph(tf: &Terraform, project: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let dot = tf.ok(project, &["graph"]);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in dot.lines() {
        let line = line.trim();
        if let Some((from, to)) = line.split_once(" -> ") {
            let clean = |s: &str| s.trim().trim_end_matches(';').trim_matches('"').to_string();
            edges.entry(clean(from)).or_default().insert(clean(to));
        } else if let Some((node, _)) = line.strip_prefix('"').and_then(|rest| rest.split_once('"'))
        {
            edges.entry(node.to_string()).or_default();
        }
    }
    assert!(edges.len() > 5, "terraform graph listed resources:\n{dot}");
    edges
}

/// Checks the phase targets against terraform's graph: every target is a node, and everything
/// a target depends on (transitively) is in the same phase.
fn check_phase_targets(tf: &Terraform, config: &SiteConfig, project: &Path) {
    let edges = graph(tf, project);
    let nodes: BTreeSet<&String> = edges.keys().collect();
    for address in tfgen::resource_addresses(config) {
        assert!(
            nodes.contains(&address),
            "{address} is in terraform's graph"
        );
    }
    for (phase, targets) in [
        ("state bucket", tfgen::state_bucket_addresses(config)),
        (
            "foundation",
            tfgen::phase_targets(config, Phase::Foundation),
        ),
    ] {
        assert!(!targets.is_empty());
        let allowed: BTreeSet<&String> = targets.iter().collect();
        let mut queue: VecDeque<&String> = targets.iter().collect();
        let mut seen = BTreeSet::new();
        while let Some(node) = queue.pop_front() {
            if !seen.insert(node.clone()) {
                continue;
            }
            assert!(nodes.contains(node), "{node} is in terraform's graph");
            assert!(
                allowed.contains(node),
                "{phase}: terraform would also apply {node}, which is not in the phase"
            );
            for dep in edges.get(node).into_iter().flatten() {
                queue.push_back(dep);
            }
        }
        if phase == "foundation" {
            for node in &seen {
                for forbidden in [
                    "aws_acm_certificate_validation.",
                    "aws_cloudfront_",
                    "aws_cognito_",
                    "aws_api_gateway_domain_name.",
                ] {
                    assert!(!node.starts_with(forbidden), "foundation reaches {node}");
                }
            }
        }
    }
}

#[test]
fn full_stack_us_east_1_is_valid_terraform_and_its_zip_hash_matches() {
    let tf = Terraform::new();
    let config = full_us_east_1();
    let dir = check_project(&tf, &config, Backend::Local);
    let project = dir.path().join("terraform");
    check_phase_targets(&tf, &config, &project);

    // The zip's base64 SHA-256 as terraform computes it, in a folder with no configuration
    // (no provider to load).
    let scratch = tempfile::tempdir().expect("tempdir");
    std::fs::copy(project.join("api.zip"), scratch.path().join("api.zip")).expect("copy zip");
    let out = tf.run(
        scratch.path(),
        &["console"],
        Some("filebase64sha256(\"api.zip\")\n"),
    );
    assert!(
        out.status.success(),
        "terraform console failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_terraform = String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_matches('"')
        .to_string();
    let zip = std::fs::read(project.join("api.zip")).expect("read zip");
    let ours = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&zip));
    assert_eq!(from_terraform, ours);
    // And a second generation gives the same bytes, so the same hash.
    let again = render(&config, Backend::Local);
    let zip_again = &again
        .iter()
        .find(|f| f.path == Path::new("api.zip"))
        .expect("zip")
        .bytes;
    assert_eq!(zip_again, &zip);
}

#[test]
fn eu_west_1_without_api_is_valid_terraform() {
    let tf = Terraform::new();
    let config = eu_west_1_no_api();
    let dir = check_project(&tf, &config, Backend::Local);
    check_phase_targets(&tf, &config, &dir.path().join("terraform"));
}

#[test]
fn minimal_zone_and_email_is_valid_terraform() {
    let tf = Terraform::new();
    let config = minimal();
    let dir = check_project(&tf, &config, Backend::Local);
    let project = dir.path().join("terraform");
    check_phase_targets(&tf, &config, &project);
    check_with_sandbox_override(&tf, &config, &project);
}

#[test]
fn full_stack_eu_central_1_with_the_s3_backend_is_valid_terraform() {
    let tf = Terraform::new();
    let config = full_eu_central_1();
    let dir = check_project(&tf, &config, Backend::S3);
    let project = dir.path().join("terraform");
    assert!(project.join("backend.tf").exists());
    check_with_sandbox_override(&tf, &config, &project);
    // `terraform graph` needs an initialised backend: regenerate with local state (which also
    // removes the unedited backend.tf) and read the graph from that.
    let report = tfgen::write_project(&project, &render(&config, Backend::Local), false)
        .expect("regenerate with local state");
    assert_eq!(
        report
            .files
            .iter()
            .find(|f| f.path == Path::new("backend.tf"))
            .map(|f| f.action),
        Some(tfgen::FileAction::Removed)
    );
    check_phase_targets(&tf, &config, &project);
}
