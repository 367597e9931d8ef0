//! What `siteup sandbox` needs on this machine, checked before a test runs the real binary in
//! it: terraform, the provider mirror (from `tf`) and the emulator's venv.
//!
//! Included with `#[path = "support/sandbox.rs"] mod sandbox;`, next to `tf`.

use siteup::sandbox::venv;

/// Fails the test (never skips it), naming the first thing `siteup sandbox` needs that is missing.
pub(crate) fn require_sandbox() {
    crate::tf::terraform();
    crate::tf::provider_mirror();
    let venv_dir = venv::default_venv_dir();
    let python = venv::venv_python(&venv_dir);
    assert!(
        python.is_file(),
        "the AWS emulator's venv is missing: {} does not exist (create it with `python3 -m venv {} && {}/bin/pip install -r assets/emulator/requirements.txt`, or run scripts/test.sh)",
        python.display(),
        venv_dir.display(),
        venv_dir.display()
    );
}
