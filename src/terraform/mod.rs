//! The terraform child process, its `-json` stream, the plan review and the state bootstrap.
//!
//! - [`runner`]: spawning terraform (no TTY, stdin closed, `-input=false`, `-json`), typed events
//!   on a channel, interrupts, the silence watchdog.
//! - [`events`]: one `-json` line into a [`TfEvent`]; never fails.
//! - [`plan_review`]: a saved plan grouped and ordered, dangers named, the approval gate.
//! - [`progress`]: the apply, resource by resource, as a pure fold.
//! - [`lock`]: "state locked" as a [`LockInfo`], its wording, and force-unlock safety.
//! - [`refusals`]: AWS refusals siteup explains in its own words (an account CloudFront has not
//!   verified).
//! - [`version`]: finding terraform and checking it is 1.11 or newer.
//! - [`quick`]: short read-only commands with a bound (stopped when they pass it).
//! - [`runs`]: terraform's output files and run records; finding a terraform still running.
//! - [`bootstrap`]: moving the state into its S3 bucket, resumable at every sub-step.

pub mod bootstrap;
pub mod cli_config;
pub mod error;
pub mod events;
pub mod lock;
pub(crate) mod outputs;
pub mod plan_review;
pub mod progress;
pub(crate) mod quick;
pub(crate) mod refusals;
pub mod runner;
pub mod runs;
pub(crate) mod version;

pub use error::TfError;
pub use events::{TfEvent, parse_line};
pub use lock::{LockId, LockInfo, UnlockAdvice};
pub use plan_review::{Approval, ApprovedPlan, PlanReview, SavedPlan};
pub use progress::ApplyProgress;
pub use runner::{
    ExitKind, InitOptions, InterruptState, PlanOptions, RunController, RunEvent, RunHandle,
    RunOutcome, RunTracker, Terraform, TfCommand,
};
pub use runs::{RunFiles, RunningTerraform, running_terraform};
pub use version::{TfVersion, VersionInfo};
