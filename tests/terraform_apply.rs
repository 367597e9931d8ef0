//! The generated stack in sandbox mode, with the real terraform 1.11.4, the real hashicorp/aws
//! 5.100.0 provider (from the local mirror) and the AWS emulator on loopback:
//!
//! - the whole stack (every resource of `SiteConfig::with_defaults(example.com, us-east-1)`)
//!   bootstraps its state into the emulator's bucket, applies, and a second
//!   `plan -detailed-exitcode` reports no changes; no plan-time diagnostics;
//! - the state bootstrap, interrupted after each sub-step (and with each sub-step done again
//!   because its record was lost), completes; once done, running it again does nothing;
//! - the sandbox override appears in sandbox mode and goes away without it; the production files
//!   never mention the emulator.
//!
//! Prerequisites (the tests fail, naming them, when missing): terraform on PATH, the provider
//! mirror (see `siteup::terraform::cli_config`), the emulator's Python venv.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use siteup::sandbox::emulator::Emulator;
use siteup::site::{Domain, InboundMail, Parts, Region, SiteConfig};
use siteup::terraform::bootstrap::{
    self, AutoApprove, BootstrapContext, BootstrapError, BootstrapHooks, BootstrapProgress,
    BootstrapStep, ProgressFile, next_step,
};
use siteup::terraform::cli_config::{find_provider_mirror, write_mirror_cli_config};
use siteup::terraform::events::{Diagnostic, TfEvent, diagnostics_of};
use siteup::terraform::plan_review::{ApprovedPlan, ChangeKind, PlanReview};
use siteup::terraform::runner::{ExitKind, PlanOptions, RunOutcome, Terraform, TfCommand};
use siteup::tfgen::{self, Backend, GenerateOptions, Phase, sandbox_override};

/// Every test process that may touch AWS code sets this before any thread starts.
fn no_instance_metadata() {
    // SAFETY: called first thing in each test, before this test starts any thread.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

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
        let terraform = which::which("terraform")
            .expect("terraform must be on PATH for this test (1.10 or newer; CI installs 1.11.4)");
        let mirror = find_provider_mirror().expect(
            "the hashicorp/aws provider mirror is missing (/opt/tf-plugins, or set SITEUP_TF_PROVIDER_MIRROR)",
        );
        let emulator = Emulator::start_for_tests().unwrap_or_else(|e| {
            panic!(
                "the AWS emulator must start for this test (moto venv at ~/.cache/siteup/venv): {e}"
            )
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let rc = write_mirror_cli_config(&dir.path().join(".tfcli"), &mirror).expect("cli config");
        let tf_dir = dir.path().join("terraform");
        let mut tf = Terraform::new(terraform, &tf_dir)
            .cli_config_file(rc)
            .envs(emulator.aws_env())
            .run_dir(dir.path().join(".siteup/runs"));
        for key in emulator.aws_env_removals() {
            tf = tf.env_remove(key);
        }
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

    fn progress_path(&self) -> PathBuf {
        self.dir.path().join(".siteup/bootstrap.json")
    }

    /// The generated files with local state, and the sandbox override.
    fn generate(&self) {
        let files = tfgen::render(
            &self.config,
            &GenerateOptions {
                backend: Backend::Local,
            },
        )
        .expect("render");
        let report = tfgen::write_project(&self.tf_dir(), &files, false).expect("write project");
        assert!(!report.has_conflicts());
        sandbox_override::write(&self.tf_dir(), &self.config, Some(&self.emulator.url()))
            .expect("write the sandbox override");
    }

    async fn bootstrap<H: BootstrapHooks>(
        &self,
        progress: &mut (dyn BootstrapProgress + Send),
        hooks: &mut H,
    ) -> Result<bootstrap::BootstrapReport, BootstrapError> {
        let plan_file = self.plan_file();
        bootstrap::run_bootstrap(
            BootstrapContext {
                terraform: &self.tf,
                config: &self.config,
                plan_file: &plan_file,
            },
            progress,
            hooks,
        )
        .await
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
        for target in tfgen::phase_targets(&self.config, Phase::StateBootstrap) {
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
                targets: tfgen::phase_targets(&self.config, Phase::StateBootstrap),
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

/// AutoApprove that also keeps what the approved plans create.
#[derive(Default)]
struct Recording {
    created: Vec<String>,
    steps: Vec<BootstrapStep>,
}

impl BootstrapHooks for Recording {
    async fn approve(&mut self, review: &PlanReview) -> Option<ApprovedPlan> {
        assert!(!review.is_destructive(), "{}", review.render_text());
        self.created.extend(
            review
                .of_kind(ChangeKind::Create)
                .map(|i| i.address.clone()),
        );
        AutoApprove.approve(review).await
    }

    fn step_started(&mut self, step: BootstrapStep) {
        self.steps.push(step);
    }
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
        let mut progress = ProgressFile::load(sandbox.progress_path()).expect("progress");
        let mut hooks = Recording::default();
        let report = sandbox
            .bootstrap(&mut progress, &mut hooks)
            .await
            .unwrap_or_else(|e| panic!("the bootstrap: {e}"));
        assert_eq!(report.ran, BootstrapStep::ALL);
        let bootstrap_created: BTreeSet<String> = hooks.created.iter().cloned().collect();
        let targets: BTreeSet<String> = tfgen::phase_targets(&config, Phase::StateBootstrap)
            .into_iter()
            .collect();
        assert_eq!(
            bootstrap_created, targets,
            "the bootstrap creates the state bucket only"
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
            "plan-time diagnostics of the generated stack: {:#?}",
            diagnostics
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
        let approved = AutoApprove
            .approve(&review)
            .await
            .expect("a plan that only creates is approved");
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

        // 5. The bootstrap again: already done, nothing runs.
        let mut progress = ProgressFile::load(sandbox.progress_path()).expect("progress");
        let mut hooks = Recording::default();
        let report = sandbox
            .bootstrap(&mut progress, &mut hooks)
            .await
            .expect("the bootstrap again");
        assert!(
            report.ran.is_empty() && hooks.steps.is_empty(),
            "{report:?}"
        );
    });
    eprintln!("whole test: {:.1} s", started.elapsed().as_secs_f64());
}

/// A progress record that "crashes" siteup when asked to record one sub-step: that sub-step was
/// done, but its record is lost (the next run must do it again, harmlessly).
struct CrashBeforeRecording {
    inner: ProgressFile,
    crash_at: BootstrapStep,
}

impl BootstrapProgress for CrashBeforeRecording {
    fn completed(&self) -> Vec<BootstrapStep> {
        self.inner.completed()
    }

    fn record(&mut self, step: BootstrapStep) -> Result<(), BootstrapError> {
        if step == self.crash_at {
            return Err(BootstrapError::Progress {
                path: self.inner.path().to_path_buf(),
                detail: format!("simulated crash after {}", step.id()),
            });
        }
        self.inner.record(step)
    }
}

#[test]
fn the_bootstrap_resumes_after_an_interruption_at_every_sub_step() {
    no_instance_metadata();
    let started = Instant::now();
    let sandbox = Sandbox::start(minimal_config());
    let rt = runtime();
    rt.block_on(async {
        // Run k (k = 1..6) redoes sub-step k-1 (done, record lost), records it, does sub-step
        // k, and "dies" before recording it. Every sub-step is thereby interrupted after, and
        // done twice.
        for (k, crash_at) in BootstrapStep::ALL.into_iter().enumerate() {
            let inner = ProgressFile::load(sandbox.progress_path()).expect("progress");
            let resumed_at = next_step(&inner.completed());
            let expected_start = if k == 0 {
                BootstrapStep::InitLocal
            } else {
                BootstrapStep::ALL[k - 1]
            };
            assert_eq!(
                resumed_at,
                Some(expected_start),
                "run {k} resumes where it stopped"
            );
            let mut progress = CrashBeforeRecording { inner, crash_at };
            let mut hooks = Recording::default();
            let err = sandbox
                .bootstrap(&mut progress, &mut hooks)
                .await
                .expect_err("the simulated crash stops the run");
            assert!(
                err.to_string().contains("simulated crash"),
                "run {k} stopped for another reason: {err}"
            );
            assert_eq!(hooks.steps.last(), Some(&crash_at), "{:?}", hooks.steps);
            if k > 0 {
                assert_eq!(hooks.steps.first(), Some(&BootstrapStep::ALL[k - 1]));
            }
            // Never a state deleted before the remote copy is verified: until the last
            // sub-step ran, the local state is still there once there is any.
            if crash_at < BootstrapStep::RemoveLocalState && crash_at > BootstrapStep::InitLocal {
                assert!(
                    !sandbox.local_state_files().is_empty(),
                    "the local state is kept until the last sub-step (run {k})"
                );
            }
        }

        // The last run finishes (redoing the removal, which finds nothing left to remove).
        let mut progress = ProgressFile::load(sandbox.progress_path()).expect("progress");
        let mut hooks = Recording::default();
        let report = sandbox
            .bootstrap(&mut progress, &mut hooks)
            .await
            .unwrap_or_else(|e| panic!("the bootstrap completes: {e}"));
        assert_eq!(report.ran, [BootstrapStep::RemoveLocalState]);
        sandbox.assert_bootstrapped().await;

        // Done: running it again does nothing at all.
        let before: Vec<_> = std::fs::read_dir(sandbox.dir.path().join(".siteup/runs"))
            .expect("runs")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        let mut progress = ProgressFile::load(sandbox.progress_path()).expect("progress");
        let mut hooks = Recording::default();
        let report = sandbox
            .bootstrap(&mut progress, &mut hooks)
            .await
            .expect("again");
        assert!(report.ran.is_empty() && hooks.steps.is_empty());
        let after: Vec<_> = std::fs::read_dir(sandbox.dir.path().join(".siteup/runs"))
            .expect("runs")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(before.len(), after.len(), "no terraform ran");

        // The journey's entry point (sub-steps 3 to 6 by observation) is a no-op now too.
        bootstrap::migrate(&sandbox.tf, &sandbox.config, &sandbox.tf_dir())
            .await
            .unwrap_or_else(|e| panic!("migrate after success: {e}"));
        sandbox.assert_bootstrapped().await;
    });
    eprintln!("whole test: {:.1} s", started.elapsed().as_secs_f64());
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
    let terraform = which::which("terraform")
        .expect("terraform must be on PATH for this test (1.10 or newer; CI installs 1.11.4)");
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
