//! Every way running terraform can fail, each worded as one sentence: what happened and what to
//! do next.

use std::path::PathBuf;

use super::version::INSTALL_URL;

#[derive(Debug, thiserror::Error)]
pub enum TfError {
    #[error(
        "terraform was not found on PATH; install terraform 1.11 or newer from {INSTALL_URL} and run siteup again"
    )]
    NotFound,

    #[error(
        "terraform {found} is too old; siteup needs 1.11 or newer for S3-native state locking: install a newer one from {INSTALL_URL}"
    )]
    TooOld { found: String },

    #[error(
        "could not start {program}: {source}; check that terraform is installed and can be run"
    )]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "could not read the version of {program} (`version -json` printed {output:?}); check that it is terraform 1.11 or newer"
    )]
    VersionUnreadable { program: String, output: String },

    #[error("`terraform {command}` failed{}: {reason}", code.map(|c| format!(" (exit code {c})")).unwrap_or_default())]
    Failed {
        command: String,
        code: Option<i32>,
        reason: String,
    },

    #[error(
        "siteup never runs terraform with -auto-approve; save a plan with `plan -out`, review it, and apply that plan"
    )]
    AutoApproveRefused,

    #[error("could not read the saved plan {path}: {source}; run the plan again")]
    PlanUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the saved plan {path} changed after it was reviewed; run the plan again and review the new one"
    )]
    PlanChanged { path: PathBuf },

    #[error(
        "terraform's description of the saved plan could not be read ({reason}); run the plan again, and check that terraform is 1.11 or newer"
    )]
    PlanJson { reason: String },

    #[error("{id:?} is not a terraform lock ID; copy the ID shown in the lock message")]
    BadLockId { id: String },

    #[error(
        "`terraform {command}` did not finish within {}, so siteup stopped it; check that `terraform {command}` works in a terminal in this folder, then run siteup again",
        crate::words::duration(*after, crate::words::DurationStyle::Seconds)
    )]
    TimedOut {
        command: String,
        after: std::time::Duration,
    },

    #[error(
        "`terraform {command}` was not started because siteup was asked to stop; run siteup again to continue"
    )]
    Stopping { command: String },

    #[error(
        "could not create terraform's output files in {}: {source}; check that the folder exists and that you may write to it",
        path.display()
    )]
    RunFiles {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
