//! For the tests that run the whole journey (journey, journey_bench): its time limit, and the
//! sandbox it leaves (its folder, its emulator). Included with
//! `#[path = "journey_support/full.rs"] mod full;` next to `journey_support`.

use std::path::PathBuf;
use std::time::Duration;

use siteup::sandbox::emulator::Emulator;

use crate::journey_support::Project;

/// How long a whole journey (or a long part of one) may take before the test gives up.
pub const JOURNEY_TIMEOUT: Duration = Duration::from_secs(12 * 60);

impl Project {
    pub fn sandbox_dir(&self) -> PathBuf {
        self.state_dir().join("sandbox")
    }

    /// The attached emulator of this sandbox.
    pub fn emulator(&self) -> Emulator {
        Emulator::attach(&self.sandbox_dir().join("emulator.json"))
            .expect("the emulator's ready file is readable")
            .expect("the sandbox's emulator is running")
    }
}
