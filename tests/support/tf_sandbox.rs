//! What the tests that apply generated files to the emulator share (terraform_apply,
//! terraform_parts_change): the process set-up, the files as the sandbox writes them, and
//! `terraform init`. Included with `#[path = "support/tf_sandbox.rs"] mod tf_sandbox;`.

use std::path::Path;

use siteup::site::SiteConfig;
use siteup::terraform::runner::{ExitKind, InitOptions, Terraform, TfCommand};
use siteup::tfgen::{self, Backend, GenerateOptions, sandbox_override};

/// Every test process that may touch AWS code sets this before any thread starts.
pub(crate) fn no_instance_metadata() {
    // SAFETY: called first thing in each test, before this test starts any thread.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Writes (or rewrites, as `siteup up` does after siteup.toml changed) the generated files for
/// `config` with local state, and the sandbox override pointing at `emulator_url`.
pub(crate) fn write_files(tf_dir: &Path, config: &SiteConfig, emulator_url: &str) {
    let files = tfgen::render(
        config,
        &GenerateOptions {
            backend: Backend::Local,
        },
    )
    .expect("render");
    let report = tfgen::write_project(tf_dir, &files, false).expect("write project");
    assert!(!report.has_conflicts());
    sandbox_override::write(tf_dir, config, Some(emulator_url))
        .expect("write the sandbox override");
}

/// `terraform init`, which must succeed.
pub(crate) async fn init(tf: &Terraform) {
    let (_, outcome) = tf
        .spawn(&TfCommand::Init(InitOptions::default()))
        .expect("terraform init starts")
        .wait()
        .await;
    assert_eq!(
        outcome.kind,
        ExitKind::Success,
        "init: {}",
        outcome.reason()
    );
}
