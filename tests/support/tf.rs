//! terraform and the hashicorp/aws provider mirror, for every test that runs the real terraform
//! offline. Each fails the test (never skips it) with a sentence naming what is missing.
//!
//! Included with `#[path = "support/tf.rs"] mod tf;`.

use std::path::PathBuf;

use siteup::terraform::cli_config::{MIRROR_ENV, find_provider_mirror};

/// The terraform on PATH.
pub(crate) fn terraform() -> PathBuf {
    which::which("terraform").unwrap_or_else(|_| {
        panic!("terraform is not on PATH: install terraform >= 1.11 (CI installs 1.11.4)")
    })
}

/// The filesystem mirror of the hashicorp/aws provider (see `siteup::terraform::cli_config`).
/// The inherited `TF_CLI_CONFIG_FILE` names no file the tests can use, so each test writes its
/// own CLI configuration for this mirror (`cli_config::write_mirror_cli_config`).
pub(crate) fn provider_mirror() -> PathBuf {
    find_provider_mirror().unwrap_or_else(|| {
        panic!(
            "no filesystem mirror of the hashicorp/aws provider was found (looked in /opt/tf-plugins and the usual plugin folders; set {MIRROR_ENV} to its folder)"
        )
    })
}
