//! Shared helpers for every tests/aws_*.rs file: the test process's own AWS environment and a
//! runtime. Next to it, each file includes what it uses of `aws_common/offline.rs` (a temporary
//! AWS home, a client that refuses requests off loopback), `aws_common/server.rs` (fixed
//! loopback HTTP answers) and `aws_common/fake.rs` (a scripted AWS for the AWS handler).

use std::path::Path;

/// Sets `AWS_EC2_METADATA_DISABLED=true`, removes the caller's AWS variables, and points HOME and
/// the AWS files at `~/.aws` under `home` (or at nothing).
pub(crate) fn isolate_process_env(home: Option<&Path>) {
    // Every AWS_* variable of the caller (profile, keys, regions, container credentials...).
    let removals = siteup::aws::env::inherited_aws_variables();
    // The emulator finds its venv through HOME: pin it before HOME moves.
    let python = siteup::sandbox::emulator::test_python();
    // SAFETY: called at the start of a test, before the test creates any thread or runtime;
    // nextest runs every test in its own process, so no other thread reads the environment.
    unsafe {
        std::env::set_var(siteup::sandbox::emulator::PYTHON_ENV, python);
        for key in removals {
            std::env::remove_var(key);
        }
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        match home {
            Some(home) => {
                std::env::set_var("HOME", home);
                std::env::set_var("AWS_CONFIG_FILE", home.join(".aws/config"));
                std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", home.join(".aws/credentials"));
            }
            None => {
                std::env::set_var("AWS_CONFIG_FILE", "/dev/null");
                std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
            }
        }
    }
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}
