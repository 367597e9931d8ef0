//! The AWS emulator (moto) for tests: started by `Emulator::start_for_tests`, failing the test
//! (never skipping it) with a sentence naming the Python it needs.
//!
//! Included with `#[path = "support/emulator.rs"] mod emulator;`.

use siteup::sandbox::emulator::{Emulator, PYTHON_ENV, test_python};

/// A fresh emulator on a free loopback port; stopped when dropped.
pub(crate) fn start_emulator() -> Emulator {
    Emulator::start_for_tests().unwrap_or_else(|e| {
        panic!(
            "the AWS emulator is needed for this test and could not start (moto venv at {}, or set {PYTHON_ENV}): {e}",
            test_python().display()
        )
    })
}
