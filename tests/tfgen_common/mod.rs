//! Shared fixtures for the tfgen tests: the configurations under test and a terraform runner
//! that uses the local provider mirror (never the registry).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use siteup::site::{Domain, InboundMail, Parts, Region, SiteConfig};
use siteup::tfgen::{self, Backend, GenerateOptions, GeneratedFile};

fn config(domain: &str, region: &str, parts: Parts, inbound: &str) -> SiteConfig {
    let mut c = SiteConfig::with_defaults(
        Domain::parse(domain).expect("test domain is valid"),
        Region::parse(region).expect("test region is valid"),
    );
    c.parts = parts;
    c.inbound_mail = InboundMail::parse(inbound).expect("test MX records are valid");
    c.check().expect("test configuration is consistent");
    c
}

/// The whole stack in us-east-1, with the registrar's mail forwarding as MX.
pub fn full_us_east_1() -> SiteConfig {
    config(
        "example.com",
        "us-east-1",
        Parts::all(),
        "10 mx1.forwardemail.net, 20 mx2.forwardemail.net",
    )
}

/// eu-west-1 with site, database and users, no API (so no identity pool and no logging).
pub fn eu_west_1_no_api() -> SiteConfig {
    config(
        "example.com",
        "eu-west-1",
        Parts::parse_list("site,database,users").expect("parts"),
        "none",
    )
}

/// The zone and email only: every part off.
pub fn minimal() -> SiteConfig {
    config("example.com", "us-east-1", Parts::none(), "none")
}

/// The whole stack outside us-east-1 (the API gets its own regional certificate).
pub fn full_eu_central_1() -> SiteConfig {
    config(
        "example.org",
        "eu-central-1",
        Parts::all(),
        "10 mx.example.net",
    )
}

pub fn render(config: &SiteConfig, backend: Backend) -> Vec<GeneratedFile> {
    tfgen::render(config, &GenerateOptions { backend }).expect("render succeeds")
}

pub fn text<'a>(files: &'a [GeneratedFile], name: &str) -> &'a str {
    let f = files
        .iter()
        .find(|f| f.path == Path::new(name))
        .unwrap_or_else(|| panic!("{name} is generated"));
    std::str::from_utf8(&f.bytes).expect("text file is UTF-8")
}

pub fn names(files: &[GeneratedFile]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect()
}

/// terraform on PATH and a CLI config that installs hashicorp/aws from the local mirror.
pub struct Terraform {
    pub binary: PathBuf,
    pub cli_config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Terraform {
    /// Fails the test (never skips it) when terraform or the provider mirror is missing.
    pub fn new() -> Self {
        let binary = which::which("terraform").unwrap_or_else(|_| {
            panic!(
                "terraform is not on PATH: install terraform >= 1.10 to run the tfgen terraform tests"
            )
        });
        let mirror = siteup::terraform::cli_config::find_provider_mirror().unwrap_or_else(|| {
            panic!(
                "no hashicorp/aws provider mirror found (looked in /opt/tf-plugins and the usual plugin folders; set {} to its folder)",
                siteup::terraform::cli_config::MIRROR_ENV
            )
        });
        let dir = tempfile::tempdir().expect("tempdir for the CLI config");
        let cli_config =
            siteup::terraform::cli_config::write_mirror_cli_config(dir.path(), &mirror)
                .expect("write the CLI config");
        Self {
            binary,
            cli_config,
            _dir: dir,
        }
    }

    /// Runs terraform in `dir` with `args` (and `stdin`), never prompting.
    pub fn run(&self, dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
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
    pub fn ok(&self, dir: &Path, args: &[&str]) -> String {
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
