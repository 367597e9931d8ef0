//! For the tests that run the whole journey (journey, journey_bench): its time limit, and the
//! sandbox it leaves (its folder, its emulator, terraform run as siteup runs it there). Included with
//! `#[path = "journey_support/full.rs"] mod full;` next to `journey_support`.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use siteup::sandbox::emulator::Emulator;
use siteup::terraform::cli_config::CLI_CONFIG_FILE;

use crate::journey_support::Project;

/// How long a whole journey (or a long part of one) may take before the test gives up.
pub(crate) const JOURNEY_TIMEOUT: Duration = Duration::from_secs(12 * 60);

impl Project {
    pub(crate) fn sandbox_dir(&self) -> PathBuf {
        self.state_dir().join("sandbox")
    }

    /// The attached emulator of this sandbox.
    pub(crate) fn emulator(&self) -> Emulator {
        Emulator::attach(&self.sandbox_dir().join("emulator.json"))
            .expect("the emulator's ready file is readable")
            .expect("the sandbox's emulator is running")
    }

    /// `program` (terraform, or a shim of it) with the environment siteup gives terraform in
    /// the sandbox: the provider mirror's CLI config siteup wrote, the emulator's endpoint and
    /// keys; standard input closed.
    pub(crate) fn sandbox_terraform(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.stdin(Stdio::null());
        self.emulator().apply_aws_env(&mut cmd);
        cmd.env(
            "TF_CLI_CONFIG_FILE",
            self.sandbox_dir().join(CLI_CONFIG_FILE),
        );
        cmd
    }
}
