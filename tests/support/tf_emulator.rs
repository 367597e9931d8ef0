//! siteup's terraform runner pointed at the AWS emulator, as the sandbox runs it: terraform from
//! PATH, a CLI configuration that installs hashicorp/aws from the mirror, and the emulator's
//! endpoint and keys in place of the caller's AWS settings. For the tests that apply to the
//! emulator (terraform_apply, terraform_live). Included with
//! `#[path = "support/tf_emulator.rs"] mod tf_emulator;` next to `tf` and `emulator`.

use std::path::Path;

use siteup::sandbox::emulator::Emulator;
use siteup::terraform::cli_config::write_mirror_cli_config;
use siteup::terraform::runner::Terraform;

/// The runner for `work_dir`, its CLI configuration written into `cli_dir`.
pub(crate) fn runner(work_dir: &Path, cli_dir: &Path, emulator: &Emulator) -> Terraform {
    let rc = write_mirror_cli_config(cli_dir, &crate::tf::provider_mirror())
        .expect("write the CLI configuration");
    let mut tf = Terraform::new(crate::tf::terraform(), work_dir)
        .cli_config_file(rc)
        .envs(emulator.aws_env());
    for key in emulator.aws_env_removals() {
        tf = tf.env_remove(key);
    }
    tf
}
