//! Adding or removing a part after the stack is live (issue 14, defect 4), with the real
//! terraform and provider against the AWS emulator, which refuses to delete a certificate still
//! attached to CloudFront, an API Gateway domain or a Cognito domain, as ACM does.
//!
//! Each test applies the stack the way the journey does (the foundation phase, then the full
//! phase), changes the parts, regenerates the files as `siteup up` does, applies the phases the
//! journey runs for a live stack, and checks that every apply ends without error, that a second
//! plan has nothing to do, and that the emulator holds exactly the certificates the state names,
//! each attached where it should be (none detached, none duplicated).
//!
//! Prerequisites (the tests fail, naming them, when missing): terraform on PATH, the provider
//! mirror (see `siteup::terraform::cli_config`), the emulator's Python venv.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "support/emulator.rs"]
mod emulator;
#[path = "support/tf.rs"]
mod tf;
#[path = "support/tf_emulator.rs"]
mod tf_emulator;
#[path = "support/tf_sandbox.rs"]
mod tf_sandbox;

use std::path::PathBuf;
use std::time::Instant;

use siteup::sandbox::emulator::Emulator;
use siteup::site::{Domain, Parts, Region, SiteConfig};
use siteup::terraform::events::diagnostics_of;
use siteup::terraform::plan_review::{Approval, PlanReview};
use siteup::terraform::runner::{ExitKind, PlanOptions, Terraform, TfCommand};
use siteup::tfgen::{self, Phase};
use tf_sandbox::{no_instance_metadata, runtime};

fn config(region: &str, parts: Parts) -> SiteConfig {
    let mut c = SiteConfig::with_defaults(
        Domain::parse("example.com").expect("domain"),
        Region::parse(region).expect("region"),
    );
    c.parts = parts;
    c.check().expect("a consistent configuration");
    c
}

/// The website, the database and the users, without the API.
fn without_api() -> Parts {
    Parts {
        api: false,
        logging: false,
        ..Parts::all()
    }
}

/// A sandbox project: the generated files (local state), the override, terraform pointed at
/// the emulator.
struct Sandbox {
    // Dropped last: stops the emulator by PID.
    emulator: Emulator,
    dir: tempfile::TempDir,
    tf: Terraform,
}

impl Sandbox {
    fn start() -> Sandbox {
        let emulator = emulator::start_emulator();
        let dir = tempfile::tempdir().expect("tempdir");
        let tf = tf_emulator::runner(
            &dir.path().join("terraform"),
            &dir.path().join(".tfcli"),
            &emulator,
        )
        .run_dir(dir.path().join(".siteup/runs"));
        Sandbox { emulator, dir, tf }
    }

    fn tf_dir(&self) -> PathBuf {
        self.tf.working_dir().to_path_buf()
    }

    /// Writes (or rewrites, as `siteup up` does after siteup.toml changed) the files for `config`.
    fn generate(&self, config: &SiteConfig) {
        tf_sandbox::write_files(&self.tf_dir(), config, &self.emulator.url());
    }

    /// Plans `phase` for `config` with the journey's targets, approves the plan as the user
    /// would (typing the word when it destroys or replaces), and applies it. Returns the
    /// review.
    async fn apply_phase(&self, config: &SiteConfig, phase: Phase, when: &str) -> PlanReview {
        let plan_file = self
            .dir
            .path()
            .join(format!(".siteup/plans/{}.tfplan", phase.id()));
        std::fs::create_dir_all(plan_file.parent().expect("a folder")).expect("plans folder");
        let (events, outcome) = self
            .tf
            .spawn(&TfCommand::Plan(PlanOptions {
                out: Some(plan_file.clone()),
                targets: tfgen::phase_targets_given(config, phase, &self.state_list().await),
                ..PlanOptions::default()
            }))
            .expect("terraform plan starts")
            .wait()
            .await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "{when}: the {} plan: {}",
            phase.id(),
            outcome.reason()
        );
        let review = self
            .tf
            .review_plan(&plan_file, diagnostics_of(&events))
            .await
            .expect("terraform show -json of the plan");
        let answer = match review.approval() {
            Approval::NothingToDo => return review,
            Approval::YesNo { .. } => "y".to_string(),
            Approval::TypeToConfirm { word, .. } => word,
        };
        let approved = review.approve(&answer).expect("approved");
        let t = Instant::now();
        let (_, outcome) = self
            .tf
            .spawn(&TfCommand::Apply(approved))
            .expect("terraform apply starts")
            .wait()
            .await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "{when}: the {} apply failed: {}\n{:#?}\nthe plan was:\n{}",
            phase.id(),
            outcome.reason(),
            outcome.errors,
            review.render_text()
        );
        eprintln!(
            "{when}: {} applied in {:.0} s ({})",
            phase.id(),
            t.elapsed().as_secs_f64(),
            review.counts_line()
        );
        review
    }

    async fn state_list(&self) -> Vec<String> {
        self.tf.state_list().await.expect("terraform state list")
    }

    /// A plan of everything has nothing to do.
    async fn assert_plans_clean(&self, when: &str) {
        let (_, outcome) = self
            .tf
            .spawn(&TfCommand::Plan(PlanOptions {
                detailed_exitcode: true,
                ..PlanOptions::default()
            }))
            .expect("terraform plan starts")
            .wait()
            .await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "{when}: a second plan has nothing to do: {}",
            outcome.reason()
        );
    }
}

/// Lists the emulator's certificates (both regions) and what uses each: CloudFront
/// distributions, API Gateway domain names, the Cognito custom domain.
const CERTIFICATES_SCRIPT: &str = r#"
import json, sys
import boto3
regions = sorted(set(sys.argv[1:]))
out = {"certificates": [], "users": []}
for region in regions:
    acm = boto3.client("acm", region_name=region)
    for c in acm.list_certificates()["CertificateSummaryList"]:
        d = acm.describe_certificate(CertificateArn=c["CertificateArn"])["Certificate"]
        out["certificates"].append({"arn": d["CertificateArn"],
                                    "names": sorted(d.get("SubjectAlternativeNames", []))})
cf = boto3.client("cloudfront", region_name="us-east-1")
for item in cf.list_distributions()["DistributionList"].get("Items") or []:
    cfg = cf.get_distribution_config(Id=item["Id"])["DistributionConfig"]
    out["users"].append({"user": "CloudFront distribution " + item["Id"],
                         "names": cfg.get("Aliases", {}).get("Items", []),
                         "arn": cfg["ViewerCertificate"].get("ACMCertificateArn")})
for region in regions:
    apigw = boto3.client("apigateway", region_name=region)
    for dn in apigw.get_domain_names().get("items", []):
        out["users"].append({"user": "API Gateway domain " + dn["domainName"],
                             "names": [dn["domainName"]],
                             "arn": dn.get("regionalCertificateArn") or dn.get("certificateArn")})
    idp = boto3.client("cognito-idp", region_name=region)
    d = idp.describe_user_pool_domain(Domain="auth.example.com").get("DomainDescription") or {}
    if d.get("Domain"):
        out["users"].append({"user": "Cognito domain " + d["Domain"], "names": [d["Domain"]],
                             "arn": (d.get("CustomDomainConfig") or {}).get("CertificateArn")})
print(json.dumps(out))
"#;

impl Sandbox {
    /// The emulator holds exactly the certificates `config` declares, each in use, and every
    /// user (CloudFront, the API domain, the Cognito domain) holds a certificate that exists and
    /// covers its names: none detached, none duplicated, none missing.
    fn assert_certificates(&self, config: &SiteConfig, when: &str) {
        let mut cmd = std::process::Command::new(siteup::sandbox::emulator::test_python());
        cmd.arg("-c")
            .arg(CERTIFICATES_SCRIPT)
            .args(["us-east-1", config.region.as_str()]);
        self.emulator.apply_aws_env(&mut cmd);
        let output = cmd.output().expect("run boto3 from the emulator's venv");
        assert!(
            output.status.success(),
            "the certificate listing failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let found: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("the listing's JSON");
        let certificates = found["certificates"].as_array().expect("certificates");
        let users = found["users"].as_array().expect("users");
        let declared = tfgen::resource_addresses(config)
            .iter()
            .filter(|a| a.starts_with("aws_acm_certificate."))
            .count();
        assert_eq!(
            certificates.len(),
            declared,
            "{when}: the emulator holds one certificate per certificate of the configuration: {found:#}"
        );
        for cert in certificates {
            assert!(
                users.iter().any(|u| u["arn"] == cert["arn"]),
                "{when}: certificate {} is attached to nothing: {found:#}",
                cert["arn"]
            );
        }
        for user in users {
            let cert = certificates
                .iter()
                .find(|c| c["arn"] == user["arn"])
                .unwrap_or_else(|| {
                    panic!(
                        "{when}: {} uses a certificate that does not exist: {found:#}",
                        user["user"]
                    )
                });
            for name in user["names"].as_array().expect("names") {
                assert!(
                    cert["names"].as_array().expect("names").contains(name),
                    "{when}: {} serves {name} with a certificate that does not cover it: {found:#}",
                    user["user"]
                );
            }
        }
        let expected_users = usize::from(config.parts.site)
            + usize::from(config.parts.users)
            + usize::from(config.parts.api);
        assert_eq!(
            users.len(),
            expected_users,
            "{when}: one certificate user per part that serves HTTPS: {found:#}"
        );
    }

    /// The journey to done for `config`: the foundation phase, then the full phase.
    async fn journey(&self, config: &SiteConfig) {
        self.generate(config);
        tf_sandbox::init(&self.tf).await;
        self.apply_phase(config, Phase::Foundation, "first journey")
            .await;
        self.apply_phase(config, Phase::Full, "first journey").await;
        self.assert_plans_clean("first journey").await;
        self.assert_certificates(config, "first journey");
    }

    /// The user changes the parts in siteup.toml and runs `siteup up`: the files are
    /// regenerated and the journey applies what it applies to a live stack.
    async fn change_parts(&self, config: &SiteConfig, when: &str) {
        self.generate(config);
        for phase in PHASES_AFTER_CHANGE {
            self.apply_phase(config, *phase, when).await;
        }
        self.assert_plans_clean(when).await;
        self.assert_certificates(config, when);
    }
}

/// The phases `siteup up` plans after the parts changed: the journal trusts a finished
/// foundation, so usually the full phase alone; but a project whose journal does not say so (a
/// new checkout of a live project, a journal lost) runs the foundation phase first. Both run
/// here, so the foundation phase of a live stack must be safe on its own.
const PHASES_AFTER_CHANGE: &[Phase] = &[Phase::Foundation, Phase::Full];

/// In us-east-1 the API's custom domain shares the main certificate (its name is a SAN), so
/// adding or removing the API replaces the certificate that CloudFront and Cognito use.
#[test]
fn adding_then_removing_the_api_replaces_the_shared_certificate_in_one_apply() {
    no_instance_metadata();
    let started = Instant::now();
    let sandbox = Sandbox::start();
    let before = config("us-east-1", without_api());
    let after = config("us-east-1", Parts::all());
    runtime().block_on(async {
        sandbox.journey(&before).await;
        sandbox.change_parts(&after, "with the API added").await;
        sandbox.change_parts(&before, "with the API removed").await;
    });
    eprintln!("whole test: {:.0} s", started.elapsed().as_secs_f64());
}
