//! The real `siteup` binary for command-line tests, in an environment that names no AWS setting
//! of this machine and sends no packet beyond loopback.

use std::path::Path;
use std::process::Command;

/// `siteup ARGS --dir DIR`, with the caller's `AWS_*` variables removed, AWS files that do not
/// exist (under `aws_files`), instance metadata off and the DNS root on a closed loopback port.
pub(crate) fn siteup_command(dir: &Path, args: &[&str], aws_files: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_siteup"));
    cmd.args(args).arg("--dir").arg(dir);
    for key in siteup::aws::env::inherited_aws_variables() {
        cmd.env_remove(key);
    }
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", aws_files.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            aws_files.join("no-aws-credentials"),
        )
        .env("SITEUP_DNS_ROOT", "127.0.0.1:9");
    cmd
}
