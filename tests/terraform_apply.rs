//! The generated stack in sandbox mode, with the real terraform 1.11.4, the real hashicorp/aws
//! 5.100.0 provider (from the local mirror) and the AWS emulator on loopback:
//!
//! - the whole stack (every resource of `SiteConfig::with_defaults(example.com, us-east-1)`)
//!   bootstraps its state into the emulator's bucket, applies, and a second
//!   `plan -detailed-exitcode` reports no changes; no plan-time diagnostics;
//! - the state move the journey runs (`bootstrap::migrate`), interrupted after each sub-step
//!   (the next run does each one again), completes; once done, running it again changes nothing;
//! - the local state is never deleted when the bucket's copy does not hold it, or when
//!   backend.tf was edited;
//! - the sandbox override appears in sandbox mode and goes away without it; the production files
//!   never mention the emulator;
//! - the API function's own code (from the generated `api.zip`, run by node with the AWS SDK for
//!   JavaScript) stores and reads back a 2 KiB item in the table as terraform creates it.
//!
//! Prerequisites (the tests fail, naming them, when missing): terraform on PATH, the provider
//! mirror (see `siteup::terraform::cli_config`), the emulator's Python venv; for the API function,
//! node 20 or newer and the SDK modules `scripts/test.sh` installs (`SITEUP_NODE_SDK`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "support/emulator.rs"]
mod emulator;
#[path = "support/tf.rs"]
mod tf;
#[path = "support/tf_emulator.rs"]
mod tf_emulator;
#[path = "support/tf_sandbox.rs"]
mod tf_sandbox;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use siteup::failure::Failure;
use siteup::sandbox::emulator::Emulator;
use siteup::site::{Domain, InboundMail, Parts, Region, SiteConfig};
use siteup::terraform::bootstrap::{self, BootstrapError, MigrationStep};
use siteup::terraform::events::{Diagnostic, TfEvent, diagnostics_of};
use siteup::terraform::plan_review::{Approval, ApprovedPlan, ChangeKind, PlanReview};
use siteup::terraform::runner::{ExitKind, PlanOptions, RunOutcome, Terraform, TfCommand};
use siteup::tfgen::{self, Backend, GenerateOptions, sandbox_override};
use tf_sandbox::{no_instance_metadata, runtime};

fn full_config() -> SiteConfig {
    SiteConfig::with_defaults(
        Domain::parse("example.com").expect("domain"),
        Region::parse("us-east-1").expect("region"),
    )
}

fn minimal_config() -> SiteConfig {
    let mut c = full_config();
    c.parts = Parts::none();
    c.inbound_mail = InboundMail::None;
    c.check().expect("the minimal configuration is consistent");
    c
}

/// A project in sandbox mode: the generated files (local state), the override, and terraform
/// pointed at the emulator with throwaway credentials.
struct Sandbox {
    // Dropped last: stops the emulator by PID.
    emulator: Emulator,
    dir: tempfile::TempDir,
    tf: Terraform,
    config: SiteConfig,
}

impl Sandbox {
    fn start(config: SiteConfig) -> Sandbox {
        let emulator = emulator::start_emulator();
        let dir = tempfile::tempdir().expect("tempdir");
        let tf = tf_emulator::runner(
            &dir.path().join("terraform"),
            &dir.path().join(".tfcli"),
            &emulator,
        )
        .run_dir(dir.path().join(".siteup/runs"));
        let sandbox = Sandbox {
            emulator,
            dir,
            tf,
            config,
        };
        sandbox.generate();
        sandbox
    }

    fn tf_dir(&self) -> PathBuf {
        self.tf.working_dir().to_path_buf()
    }

    fn plan_file(&self) -> PathBuf {
        self.dir.path().join(".siteup/plans/state.tfplan")
    }

    /// The generated files with local state, and the sandbox override.
    fn generate(&self) {
        tf_sandbox::write_files(&self.tf_dir(), &self.config, &self.emulator.url());
    }

    /// The journey's state phase (src/live.rs): `init` with local state, then a reviewed plan
    /// of the state bucket only, approved and applied. Returns what the plan created.
    async fn apply_state_bucket(&self) -> Vec<String> {
        tf_sandbox::init(&self.tf).await;
        let plan_file = self.plan_file();
        std::fs::create_dir_all(plan_file.parent().expect("a folder")).expect("plans folder");
        let (events, outcome) = self
            .plan(PlanOptions {
                out: Some(plan_file.clone()),
                targets: tfgen::state_bucket_addresses(&self.config),
                ..PlanOptions::default()
            })
            .await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "plan: {}",
            outcome.reason()
        );
        let review = self
            .tf
            .review_plan(&plan_file, diagnostics_of(&events))
            .await
            .expect("terraform show -json of the plan");
        if review.is_empty() {
            return Vec::new();
        }
        let created = review
            .of_kind(ChangeKind::Create)
            .map(|i| i.address.clone())
            .collect();
        self.apply(&review).await;
        created
    }

    /// Applies a reviewed plan that destroys nothing, and checks it succeeded.
    async fn apply(&self, review: &PlanReview) {
        let (_, outcome) = self
            .tf
            .spawn(&TfCommand::Apply(approve(review)))
            .expect("terraform apply starts")
            .wait()
            .await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "apply: {}",
            outcome.reason()
        );
    }

    /// `init`, then a reviewed plan of `targets` only, approved and applied, as the journey's
    /// phases do. Returns the apply's events and outcome (which may be a failure).
    async fn apply_targets(&self, targets: Vec<String>) -> (Vec<TfEvent>, RunOutcome) {
        tf_sandbox::init(&self.tf).await;
        let plan_file = self.dir.path().join(".siteup/plans/targets.tfplan");
        std::fs::create_dir_all(plan_file.parent().expect("a folder")).expect("plans folder");
        let (events, outcome) = self
            .plan(PlanOptions {
                out: Some(plan_file.clone()),
                targets,
                ..PlanOptions::default()
            })
            .await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "plan: {}",
            outcome.reason()
        );
        let review = self
            .tf
            .review_plan(&plan_file, diagnostics_of(&events))
            .await
            .expect("terraform show -json of the plan");
        self.tf
            .spawn(&TfCommand::Apply(approve(&review)))
            .expect("terraform apply starts")
            .wait()
            .await
    }

    /// The product's state move.
    async fn migrate(&self) -> Result<Vec<String>, BootstrapError> {
        bootstrap::migrate(&self.tf, &self.config, &self.tf_dir()).await
    }

    /// What a siteup killed after sub-step `last` of the move had done.
    async fn migrate_until(&self, last: MigrationStep) {
        for step in MigrationStep::ALL.into_iter().filter(|s| *s <= last) {
            bootstrap::migration_step(step, &self.tf, &self.config, &self.tf_dir())
                .await
                .unwrap_or_else(|e| panic!("{step:?}: {e}"));
        }
    }

    async fn plan(&self, options: PlanOptions) -> (Vec<TfEvent>, RunOutcome) {
        self.tf
            .spawn(&TfCommand::Plan(options))
            .expect("terraform plan starts")
            .wait()
            .await
    }

    async fn state_list(&self) -> BTreeSet<String> {
        self.tf
            .state_list()
            .await
            .expect("terraform state list")
            .into_iter()
            .collect()
    }

    /// GET an object from the emulator's S3 (path style).
    fn s3_get(&self, bucket: &str, key: &str) -> (u16, String) {
        let url = format!("{}/{bucket}/{key}", self.emulator.url());
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        // moto answers an unsigned request for a private object as an anonymous one (403):
        // any Authorization header makes it the account's request.
        let mut resp = agent
            .get(&url)
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIASITEUPSANDBOX000/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
            )
            .call()
            .unwrap_or_else(|e| panic!("GET {url} failed: {e}"));
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap_or_default())
    }

    /// The state object in the emulator's state bucket holds these instances.
    fn remote_state_object(&self) -> BTreeSet<String> {
        let (status, body) = self.s3_get(self.config.state_bucket.as_str(), tfgen::STATE_KEY);
        assert_eq!(
            status, 200,
            "the state object exists in the state bucket: {body}"
        );
        let summary = bootstrap::summarize_state(body.as_bytes())
            .unwrap_or_else(|e| panic!("the state object is terraform state ({e}): {body}"));
        summary.instances
    }

    fn local_state_files(&self) -> Vec<PathBuf> {
        [bootstrap::LOCAL_STATE, bootstrap::LOCAL_STATE_BACKUP]
            .iter()
            .map(|n| self.tf_dir().join(n))
            .filter(|p| p.exists())
            .collect()
    }

    /// What a finished bootstrap leaves: the state in the bucket, no local state files, the
    /// backend (and the sandbox override's backend) in place, and a plan of the state bucket
    /// through the S3 backend with nothing to do.
    async fn assert_bootstrapped(&self) {
        let remote = self.remote_state_object();
        for target in tfgen::state_bucket_addresses(&self.config) {
            assert!(
                remote.contains(&target),
                "{target} is in the remote state: {remote:?}"
            );
        }
        assert_eq!(
            self.local_state_files(),
            Vec::<PathBuf>::new(),
            "local state deleted"
        );
        assert!(self.tf_dir().join("backend.tf").exists());
        let override_text =
            std::fs::read_to_string(self.tf_dir().join(tfgen::SANDBOX_OVERRIDE_FILE))
                .expect("the override");
        assert!(override_text.contains("backend \"s3\""), "{override_text}");
        let (_, outcome) = self
            .plan(PlanOptions {
                detailed_exitcode: true,
                targets: tfgen::state_bucket_addresses(&self.config),
                ..PlanOptions::default()
            })
            .await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "a plan through the S3 backend has nothing to do: {}",
            outcome.reason()
        );
    }
}

/// Warnings and errors of a `-json` stream, except the one terraform always prints for
/// `-target` (siteup targets on purpose in the bootstrap).
fn unexpected_diagnostics(events: &[TfEvent]) -> Vec<Diagnostic> {
    diagnostics_of(events)
        .into_iter()
        .filter(|d| d.summary != "Resource targeting is in effect")
        .collect()
}

fn instance_resource(address: &str) -> &str {
    address.split('[').next().unwrap_or(address)
}

/// Approves a plan that destroys nothing, as the user would.
fn approve(review: &PlanReview) -> ApprovedPlan {
    assert!(!review.is_destructive(), "{}", review.render_text());
    let Approval::YesNo { .. } = review.approval() else {
        panic!("a yes/no plan: {}", review.render_text())
    };
    review.approve("y").expect("approved")
}

#[test]
fn the_whole_stack_bootstraps_applies_in_sandbox_mode_and_plans_clean() {
    no_instance_metadata();
    let started = Instant::now();
    let sandbox = Sandbox::start(full_config());
    let config = sandbox.config.clone();
    let rt = runtime();
    rt.block_on(async {
        // 1. The state bootstrap.
        let t = Instant::now();
        let bootstrap_created: BTreeSet<String> =
            sandbox.apply_state_bucket().await.into_iter().collect();
        let verified: BTreeSet<String> = sandbox
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("the state move: {e}"))
            .into_iter()
            .collect();
        let targets: BTreeSet<String> =
            tfgen::state_bucket_addresses(&config).into_iter().collect();
        assert_eq!(
            bootstrap_created, targets,
            "the bootstrap creates the state bucket only"
        );
        assert_eq!(
            verified, targets,
            "the move returns the remote state's instances it verified"
        );
        sandbox.assert_bootstrapped().await;
        eprintln!("bootstrap: {:.1} s", t.elapsed().as_secs_f64());

        // 2. One plan of everything: no diagnostics (deprecations show at plan time only).
        let t = Instant::now();
        let plan_file = sandbox.dir.path().join(".siteup/plans/full.tfplan");
        let (events, outcome) = sandbox
            .plan(PlanOptions {
                out: Some(plan_file.clone()),
                ..PlanOptions::default()
            })
            .await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "plan: {}",
            outcome.reason()
        );
        let diagnostics = unexpected_diagnostics(&events);
        assert!(
            diagnostics.is_empty(),
            "plan-time diagnostics of the generated stack: {diagnostics:#?}"
        );
        let review = sandbox
            .tf
            .review_plan(&plan_file, diagnostics_of(&events))
            .await
            .expect("terraform show -json of the plan");
        assert!(!review.is_destructive(), "{}", review.render_text());
        let planned: BTreeSet<String> = review
            .of_kind(ChangeKind::Create)
            .map(|i| i.address.clone())
            .collect();
        assert_eq!(
            planned.len(),
            review.ordered().len(),
            "the plan only creates: {}",
            review.render_text()
        );
        eprintln!(
            "full plan: {:.1} s, {} to create",
            t.elapsed().as_secs_f64(),
            planned.len()
        );

        // 3. Apply it, every resource, none skipped.
        let t = Instant::now();
        let approved = approve(&review);
        let (events, outcome) = sandbox
            .tf
            .spawn(&TfCommand::Apply(approved))
            .expect("terraform apply starts")
            .wait()
            .await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "apply: {}\n{:#?}",
            outcome.reason(),
            outcome.errors
        );
        let diagnostics = unexpected_diagnostics(&events);
        assert!(
            diagnostics.is_empty(),
            "apply diagnostics: {diagnostics:#?}"
        );
        eprintln!("full apply: {:.1} s", t.elapsed().as_secs_f64());

        let listed = sandbox.state_list().await;
        let expected: BTreeSet<String> = planned.union(&bootstrap_created).cloned().collect();
        assert_eq!(
            listed, expected,
            "the state holds exactly what the plans created"
        );
        let resources: BTreeSet<&str> = listed.iter().map(|a| instance_resource(a)).collect();
        for address in tfgen::resource_addresses(&config) {
            assert!(
                resources.contains(address.as_str()),
                "{address} of the configuration is in the state"
            );
        }
        assert_eq!(
            sandbox.remote_state_object(),
            listed,
            "the state is in the bucket"
        );

        // 4. A second plan: no changes, no diagnostics.
        let t = Instant::now();
        let (events, outcome) = sandbox
            .plan(PlanOptions {
                detailed_exitcode: true,
                ..PlanOptions::default()
            })
            .await;
        // Drift reports (`tags` null read back as {}, the certificate now ISSUED, ...) are
        // terraform's refresh noise that plans nothing; planned changes are what counts.
        let changes: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                TfEvent::PlannedChange(c) => Some(c.message.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "the second plan has no changes: {}; {changes:#?}",
            outcome.reason()
        );
        assert!(changes.is_empty(), "{changes:#?}");
        let diagnostics = unexpected_diagnostics(&events);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        eprintln!("second plan: {:.1} s", t.elapsed().as_secs_f64());

        // 5. The bootstrap again: nothing to create, nothing to move.
        assert!(sandbox.apply_state_bucket().await.is_empty());
        sandbox.migrate().await.expect("the state move again");
        assert_eq!(sandbox.local_state_files(), Vec::<PathBuf>::new());
    });
    eprintln!("whole test: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn the_state_move_resumes_after_an_interruption_at_every_sub_step() {
    no_instance_metadata();
    let started = Instant::now();
    let sandbox = Sandbox::start(minimal_config());
    let rt = runtime();
    rt.block_on(async {
        assert!(!sandbox.apply_state_bucket().await.is_empty());
        // Run k does sub-steps 1..=k of the move and is killed (nothing records progress: the
        // next run starts at the top, doing each sub-step again). Never a local state deleted
        // before the last sub-step.
        for last in [MigrationStep::WriteBackend, MigrationStep::MigrateState] {
            sandbox.migrate_until(last).await;
            let local = sandbox.local_state_files();
            assert!(
                !local.is_empty(),
                "the local state is kept until the last sub-step (killed after {last:?})"
            );
        }
        // The state is in the bucket now; the local copy is still there.
        let remote = sandbox.remote_state_object();
        for target in tfgen::state_bucket_addresses(&sandbox.config) {
            assert!(remote.contains(&target), "{target} moved: {remote:?}");
        }
        // Killed in the middle of the last sub-step: one of the two files deleted.
        std::fs::remove_file(sandbox.tf_dir().join(bootstrap::LOCAL_STATE))
            .expect("terraform left an empty terraform.tfstate");
        assert!(
            sandbox
                .tf_dir()
                .join(bootstrap::LOCAL_STATE_BACKUP)
                .exists()
        );

        // The next run (the journey's MigrateState) finishes.
        sandbox
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("the state move completes: {e}"));
        sandbox.assert_bootstrapped().await;

        // Done: running it again changes nothing.
        sandbox.migrate().await.expect("again");
        sandbox.assert_bootstrapped().await;
    });
    eprintln!("whole test: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn the_local_state_is_kept_when_the_bucket_does_not_hold_all_of_it() {
    no_instance_metadata();
    let sandbox = Sandbox::start(minimal_config());
    let rt = runtime();
    rt.block_on(async {
        assert!(!sandbox.apply_state_bucket().await.is_empty());
        sandbox.migrate_until(MigrationStep::MigrateState).await;
        // The local state (terraform keeps it in the backup after the migration) holds a
        // resource the bucket's copy lacks.
        let backup = sandbox.tf_dir().join(bootstrap::LOCAL_STATE_BACKUP);
        let text = std::fs::read_to_string(&backup).expect("the local state after the move");
        let mut state: serde_json::Value = serde_json::from_str(&text).expect("state JSON");
        state["resources"]
            .as_array_mut()
            .expect("resources")
            .push(serde_json::json!({
                "mode": "managed", "type": "aws_s3_bucket", "name": "only_here",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{"schema_version": 0, "attributes": {"id": "only-here"}}]
            }));
        let before = serde_json::to_vec_pretty(&state).expect("JSON");
        std::fs::write(&backup, &before).expect("write the local state");

        let err = sandbox.migrate().await.expect_err("the move cannot be verified");
        assert!(
            matches!(&err, BootstrapError::VerifyFailed { problem, .. } if problem.contains("aws_s3_bucket.only_here")),
            "{err}"
        );
        // (The empty terraform.tfstate the migration leaves may go; it holds nothing.)
        let after = std::fs::read(&backup).expect("the local state is kept");
        assert!(after == before, "the local state is kept unchanged");
    });
}

#[test]
fn the_local_state_is_kept_when_backend_tf_was_edited() {
    no_instance_metadata();
    let sandbox = Sandbox::start(minimal_config());
    let rt = runtime();
    rt.block_on(async {
        assert!(!sandbox.apply_state_bucket().await.is_empty());
        sandbox.migrate_until(MigrationStep::WriteBackend).await;
        // The user edits backend.tf (still a valid S3 backend) before the state moves.
        let backend = sandbox.tf_dir().join("backend.tf");
        let mut text = std::fs::read_to_string(&backend).expect("backend.tf");
        text.push_str("# mine\n");
        std::fs::write(&backend, &text).expect("edit backend.tf");
        let local = sandbox.tf_dir().join(bootstrap::LOCAL_STATE);
        let before = std::fs::read(&local).expect("the local state");

        let err = sandbox
            .migrate()
            .await
            .expect_err("the edit stops the move");
        assert!(matches!(err, BootstrapError::BackendEdited { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&backend).expect("kept"), text);
        let after = std::fs::read(&local).expect("the local state is kept");
        assert!(after == before, "the local state is kept unchanged");
        let summary = bootstrap::summarize_state(&before).expect("a state");
        assert!(!summary.instances.is_empty());
    });
}

#[test]
fn the_sandbox_override_comes_and_goes_and_production_files_never_name_the_emulator() {
    no_instance_metadata();
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    let url = "http://127.0.0.1:45678";
    for config in [full_config(), minimal_config()] {
        for backend in [Backend::Local, Backend::S3] {
            let files = tfgen::render(&config, &GenerateOptions { backend }).expect("render");
            for f in &files {
                let text = String::from_utf8_lossy(&f.bytes).to_lowercase();
                for word in [
                    "127.0.0.1",
                    "localhost",
                    "[::1]",
                    "endpoints",
                    "endpoint_url",
                    "path_style",
                    "skip_credentials",
                    "akiasiteup",
                    "sandbox-secret",
                    "sandbox",
                    "4566",
                    "moto",
                ] {
                    assert!(
                        !text.contains(word)
                            || f.path == Path::new(".gitignore") && word == "sandbox",
                        "{} mentions {word:?}",
                        f.path.display()
                    );
                }
                assert!(
                    !f.path.to_string_lossy().contains("override"),
                    "{} is not a production file",
                    f.path.display()
                );
            }
            tfgen::write_project(&tf, &files, false).expect("write");
            let path = tf.join(tfgen::SANDBOX_OVERRIDE_FILE);

            // Sandbox mode on: the override exists, names the emulator everywhere.
            sandbox_override::write(&tf, &config, Some(url)).expect("override");
            let text = std::fs::read_to_string(&path).expect("the override exists");
            assert_eq!(sandbox_override::sandbox_url(&tf).as_deref(), Some(url));
            let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(words.contains("s3_use_path_style = true"), "{text}");
            assert!(words.contains("max_retries = 2"), "{text}");
            assert_eq!(text.matches("provider \"aws\"").count(), 2);
            assert_eq!(
                text.contains("backend \"s3\""),
                backend == Backend::S3,
                "the emulator's backend only with backend.tf: {text}"
            );
            assert!(!text.contains("ignore_changes"), "{text}");
            assert!(words.contains(&format!("sts = \"{url}\"")), "{text}");

            // A bad URL is refused and changes nothing.
            assert!(sandbox_override::write(&tf, &config, Some("http://a b\"")).is_err());
            assert_eq!(std::fs::read_to_string(&path).expect("kept"), text);

            // Sandbox mode off: the file goes away.
            assert!(sandbox_override::write(&tf, &config, None).expect("remove"));
            assert!(!path.exists());
            assert_eq!(sandbox_override::sandbox_url(&tf), None);
        }
    }
}

#[test]
fn the_override_is_canonical_hcl_and_terraform_accepts_it() {
    no_instance_metadata();
    let terraform = tf::terraform();
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    let config = full_config();
    let files = tfgen::render(
        &config,
        &GenerateOptions {
            backend: Backend::S3,
        },
    )
    .expect("render");
    tfgen::write_project(&tf, &files, false).expect("write");
    sandbox_override::write(&tf, &config, Some("http://127.0.0.1:4566")).expect("override");
    let out = std::process::Command::new(terraform)
        .args(["fmt", "-check", "-diff", tfgen::SANDBOX_OVERRIDE_FILE])
        .current_dir(&tf)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("terraform fmt runs");
    assert!(
        out.status.success(),
        "terraform fmt -check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The pinned AWS SDK for JavaScript modules the API function imports (the Lambda runtime ships
/// them), as `scripts/test.sh` installs them: `$SITEUP_NODE_SDK/node_modules`, by default
/// `~/.cache/siteup/node-sdk`.
fn node_sdk_modules() -> PathBuf {
    let dir = std::env::var_os("SITEUP_NODE_SDK")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/siteup/node-sdk")))
        .expect("HOME or SITEUP_NODE_SDK is set");
    let modules = dir.join("node_modules");
    for module in ["@aws-sdk/client-dynamodb", "@aws-sdk/client-sesv2"] {
        assert!(
            modules.join(module).join("package.json").exists(),
            "the API function's SDK module {module} is not installed in {}: run scripts/test.sh (it installs the pinned versions), or set SITEUP_NODE_SDK to a folder whose node_modules holds them",
            modules.display()
        );
    }
    modules
}

/// The generated `api.zip`, unpacked into `dir` next to a link to the SDK modules and a script
/// that calls the handler with the event given as its argument and prints its answer.
fn unpack_api_function(zip_path: &Path, dir: &Path) {
    let file = std::fs::File::open(zip_path).expect("the generated api.zip");
    let mut archive = zip::ZipArchive::new(file).expect("api.zip is a zip");
    archive.extract(dir).expect("unpack api.zip");
    std::os::unix::fs::symlink(node_sdk_modules(), dir.join("node_modules"))
        .expect("link the SDK modules");
    std::fs::write(
        dir.join("invoke.mjs"),
        "import { handler } from \"./index.mjs\";\n\
         const answer = await handler(JSON.parse(process.argv[2]));\n\
         process.stdout.write(JSON.stringify(answer));\n",
    )
    .expect("write invoke.mjs");
}

/// Runs the API function's handler once with node against the emulator, as Lambda would with
/// the environment the stack gives it; returns its answer (statusCode, body) and what it logged.
fn invoke_api_function(
    dir: &Path,
    emulator: &Emulator,
    config: &SiteConfig,
    event: &serde_json::Value,
) -> (u16, serde_json::Value, String) {
    let node = which::which("node").expect("node (20 or newer) is on PATH");
    let mut cmd = std::process::Command::new(node);
    cmd.arg("invoke.mjs")
        .arg(event.to_string())
        .current_dir(dir);
    emulator.apply_aws_env(&mut cmd);
    cmd.env("TABLE_NAME", config.name.as_str())
        .env("SENDER", format!("no-reply@{}", config.domain.as_str()))
        .env(
            "ALLOWED_ORIGIN",
            format!("https://{}", config.domain.as_str()),
        );
    let out = cmd.output().expect("node runs");
    let logged = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "node failed: {logged}");
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("the handler's answer is JSON ({e}): {logged}"));
    let status = u16::try_from(answer["statusCode"].as_u64().expect("a statusCode"))
        .expect("an HTTP status");
    let body = match answer["body"].as_str() {
        Some("") | None => serde_json::Value::Null,
        Some(text) => serde_json::from_str(text).expect("a JSON body"),
    };
    (status, body, logged)
}

/// An API Gateway proxy event from a signed-in caller (identity pool credentials).
fn api_event(method: &str, path: &str, body: Option<&serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "httpMethod": method,
        "path": path,
        "headers": { "content-type": "application/json" },
        "isBase64Encoded": false,
        "body": body.map(ToString::to_string),
        "requestContext": { "identity": {
            "cognitoIdentityId": "us-east-1:0f6b1a2c-3d4e-4f50-8a61-7b8c9d0e1f23"
        } },
    })
}

/// The API's data never sits in a key: DynamoDB refuses an item whose sort key, of the table or
/// of an index, is over 1024 bytes (moto enforces it too), and the function accepts up to 64 KiB.
/// The table comes from the generated files through terraform, the code from the generated
/// api.zip; only the API Gateway -> Lambda invocation is played by the test (moto runs Lambda
/// functions in docker), with the proxy event API Gateway sends.
#[test]
fn the_api_function_stores_and_reads_a_2_kib_item_in_the_generated_table() {
    no_instance_metadata();
    let sandbox = Sandbox::start(full_config());
    let function_dir = sandbox.dir.path().join("function");
    std::fs::create_dir_all(&function_dir).expect("function folder");
    unpack_api_function(&sandbox.tf_dir().join("api.zip"), &function_dir);
    let rt = runtime();
    let (_, outcome) =
        rt.block_on(sandbox.apply_targets(vec!["aws_dynamodb_table.main".to_string()]));
    assert_eq!(
        outcome.kind,
        ExitKind::Success,
        "the table applies: {}",
        outcome.reason()
    );

    // 2 KiB of UTF-8 (1024 characters of two bytes each).
    let data = "\u{e9}".repeat(1024);
    assert_eq!(data.len(), 2048);
    let put = api_event(
        "PUT",
        "/items/abc",
        Some(&serde_json::json!({ "data": data })),
    );
    let (status, body, logged) =
        invoke_api_function(&function_dir, &sandbox.emulator, &sandbox.config, &put);
    assert_eq!(
        status, 200,
        "PUT /items/abc: {body}; the function logged: {logged}"
    );
    assert_eq!(body["id"], "abc");

    let get = api_event("GET", "/items/abc", None);
    let (status, body, logged) =
        invoke_api_function(&function_dir, &sandbox.emulator, &sandbox.config, &get);
    assert_eq!(
        status, 200,
        "GET /items/abc: {body}; the function logged: {logged}"
    );
    assert_eq!(body["data"].as_str(), Some(data.as_str()));

    let list = api_event("GET", "/items", None);
    let (status, body, logged) =
        invoke_api_function(&function_dir, &sandbox.emulator, &sandbox.config, &list);
    assert_eq!(
        status, 200,
        "GET /items: {body}; the function logged: {logged}"
    );
    assert_eq!(body["items"][0]["data"].as_str(), Some(data.as_str()));
}

/// Sets the emulator's account switch: `false` plays a new AWS account that CloudFront has not
/// verified yet.
fn set_cloudfront_verified(emulator: &Emulator, verified: bool) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let url = format!("{}/_siteup/account", emulator.url());
    agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(serde_json::json!({ "cloudfront_verified": verified }).to_string())
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
}

/// A new AWS account: CloudFront refuses the distribution, and siteup's sentence says what it
/// means and what to do (AWS Support, then `siteup up`); once the account is verified, the
/// same apply goes through. The project keeps the generated providers and sandbox override and
/// holds one plain distribution: the stack's own waits on its zone and certificate for a minute
/// and more before it reaches the distribution, and CloudFront's refusal is the same.
#[test]
fn a_new_account_s_cloudfront_refusal_reads_as_what_to_do() {
    no_instance_metadata();
    let sandbox = Sandbox::start(full_config());
    let keep = ["versions.tf", "providers.tf", tfgen::SANDBOX_OVERRIDE_FILE];
    for entry in std::fs::read_dir(sandbox.tf_dir()).expect("the project") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".tf") && !keep.contains(&name) {
            std::fs::remove_file(&path).expect("remove a generated file");
        }
    }
    std::fs::write(
        sandbox.tf_dir().join("cloudfront.tf"),
        r#"resource "aws_cloudfront_distribution" "site" {
  enabled             = true
  wait_for_deployment = false
  origin {
    domain_name = "example-com-site.s3.us-east-1.amazonaws.com"
    origin_id   = "site"
  }
  default_cache_behavior {
    target_origin_id       = "site"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  }
  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }
  viewer_certificate {
    cloudfront_default_certificate = true
  }
  tags = { site = "example.com" }
}
"#,
    )
    .expect("write cloudfront.tf");
    set_cloudfront_verified(&sandbox.emulator, false);
    let rt = runtime();
    let (_, outcome) = rt.block_on(sandbox.apply_targets(Vec::new()));
    assert_eq!(outcome.kind, ExitKind::Failed, "{}", outcome.reason());
    let failure = Failure::of_run("apply", &outcome);
    assert_eq!(
        failure,
        Failure::CloudFrontAccountUnverified,
        "terraform said: {:#?}",
        outcome.errors
    );
    let text = failure.to_string();
    assert!(
        text.contains("AWS Support") && text.contains("`siteup up`"),
        "{text}"
    );

    // AWS Support verified the account: the next apply creates the distribution.
    set_cloudfront_verified(&sandbox.emulator, true);
    let (_, outcome) = rt.block_on(sandbox.apply_targets(Vec::new()));
    assert_eq!(
        outcome.kind,
        ExitKind::Success,
        "after verification: {}",
        outcome.reason()
    );
}

/// Issue 14, defect 3: a user who stays at the registrar for four days. ACM gives up on the
/// certificate (VALIDATION_TIMED_OUT) and SES on the domain (DKIM FAILED) 72 hours after they
/// were created. The plan review finds both in the plan's refreshed state and drift: the
/// provider forgets the certificate and plans a new one itself; the identity, whose
/// replacement could not be created while its name is taken, is deleted through siteup's AWS
/// layer (only because it failed) and the next plan creates it anew.
#[test]
fn resources_aws_gave_up_on_after_72_hours_are_created_anew_by_the_next_plan() {
    no_instance_metadata();
    let mut config = full_config();
    config.parts = Parts::parse_list("site").expect("parts");
    let sandbox = Sandbox::start(config);
    let rt = runtime();
    // The certificate and the identity without their DNS records: nothing can validate them.
    let targets: Vec<String> = [
        "aws_acm_certificate.main",
        "aws_sesv2_email_identity.domain",
    ]
    .map(String::from)
    .to_vec();
    rt.block_on(async {
        tf_sandbox::init(&sandbox.tf).await;
        let plan_file = sandbox.plan_file();
        std::fs::create_dir_all(plan_file.parent().expect("a folder")).expect("plans folder");
        let plan = || {
            let options = PlanOptions {
                out: Some(plan_file.clone()),
                targets: targets.clone(),
                ..PlanOptions::default()
            };
            let sandbox = &sandbox;
            let plan_file = plan_file.clone();
            async move {
                let (events, outcome) = sandbox.plan(options).await;
                assert_eq!(
                    outcome.kind,
                    ExitKind::Success,
                    "plan: {}",
                    outcome.reason()
                );
                sandbox
                    .tf
                    .review_plan(&plan_file, diagnostics_of(&events))
                    .await
                    .expect("terraform show -json of the plan")
            }
        };
        let first = plan().await;
        assert!(first.expired.is_empty(), "{:?}", first.expired);
        sandbox.apply(&first).await;

        let session = siteup::aws::connect(&siteup::aws::Target::Sandbox {
            url: sandbox.emulator.url(),
            region: "us-east-1".into(),
        })
        .await
        .expect("a session with the emulator");
        let aws = siteup::aws::SdkAws::new(&session);
        use siteup::aws::AwsApi;

        // A quick user: nothing has expired, nothing is deleted.
        let quick = plan().await;
        assert!(quick.expired.is_empty(), "{:?}", quick.expired);
        assert!(
            !aws.delete_failed_identity("example.com")
                .await
                .expect("the identity is read"),
            "a pending identity is never deleted"
        );

        // Four days later.
        advance_clock(&sandbox.emulator, 4 * 24 * 3600);
        let late = plan().await;
        let expired: BTreeSet<(&str, bool)> = late
            .expired
            .iter()
            .map(|e| (e.address.as_str(), e.delete_first))
            .collect();
        assert_eq!(
            expired,
            BTreeSet::from([
                ("aws_acm_certificate.main", false),
                ("aws_sesv2_email_identity.domain", true)
            ]),
            "{:?}",
            late.expired
        );
        assert!(
            late.of_kind(ChangeKind::Create)
                .any(|i| i.address == "aws_acm_certificate.main"),
            "the provider requests a new certificate itself: {:?}",
            late.ordered()
        );
        // What the terraform handler does: delete the failed identity, plan again.
        assert!(
            aws.delete_failed_identity("example.com")
                .await
                .expect("the failed identity is deleted")
        );
        let again = plan().await;
        let changed: BTreeSet<(&str, ChangeKind)> = again
            .ordered()
            .iter()
            .map(|i| (i.address.as_str(), i.kind))
            .collect();
        assert_eq!(
            changed,
            BTreeSet::from([
                ("aws_acm_certificate.main", ChangeKind::Create),
                ("aws_sesv2_email_identity.domain", ChangeKind::Create)
            ]),
            "{:?}",
            again.ordered()
        );
        sandbox.apply(&again).await;
        let after = plan().await;
        assert!(
            after.expired.is_empty() && after.is_empty(),
            "the new certificate and identity wait afresh: {:?} {:?}",
            after.expired,
            after.ordered()
        );
    });
}

/// Moves the emulator's clock forward (its control endpoint; only tests compress time).
fn advance_clock(emulator: &Emulator, seconds: u64) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let url = format!("{}/_siteup/clock", emulator.url());
    agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(format!("{{\"advance_seconds\": {seconds}}}"))
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
}
