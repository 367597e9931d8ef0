//! The headless commands (`generate`, `up`, `status`, ...): each turns its flags into calls on
//! the library and words the outcome for a terminal or a script.

pub mod answers;
pub mod doctor;
pub mod generate;
pub mod nameservers;
pub mod sandbox;
pub mod ses_request;
pub mod session;
pub mod status;
pub mod up;
pub mod wizard;

/// What a command ends with, as a process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for is done (exit 0).
    Done,
    /// Stopped at a step that waits on a human or on AWS (exit 2).
    Waiting,
    /// Stopped by a signal: SIGINT (Ctrl-C) 130, SIGHUP 129, SIGTERM 143 (128 + the signal's
    /// number, as shells report it). Everything done so far is saved.
    Signalled(i32),
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Waiting => 2,
            Outcome::Signalled(signal) => u8::try_from(128 + signal.clamp(1, 127)).unwrap_or(1),
        }
    }
}

impl From<Outcome> for std::process::ExitCode {
    fn from(o: Outcome) -> Self {
        std::process::ExitCode::from(o.code())
    }
}

/// A command's failure: one sentence saying what happened and what to do next (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Message(String),
    #[error(transparent)]
    Input(#[from] crate::site::InputError),
    #[error(transparent)]
    Settings(#[from] crate::project::settings::SettingsError),
    #[error(transparent)]
    Lock(#[from] crate::project::lock::LockError),
    #[error(transparent)]
    Journal(#[from] crate::project::journal::JournalError),
}

/// Creates the project folder when it does not exist yet.
pub fn create_project_dir(paths: &crate::project::ProjectPaths) -> Result<(), CommandError> {
    std::fs::create_dir_all(paths.root()).map_err(|e| {
        CommandError::Message(format!(
            "Could not create the project folder {}: {e}; check the path and your permissions.",
            paths.root().display()
        ))
    })
}

/// The answers in siteup.toml, or the sentence that says how to give them.
pub fn require_config(
    paths: &crate::project::ProjectPaths,
) -> Result<crate::site::SiteConfig, CommandError> {
    crate::project::settings::load(paths.root())?
        .map(|s| s.to_config())
        .ok_or_else(|| {
            CommandError::Message(
                "There is no siteup.toml here; run `siteup` (or `siteup generate --domain example.com`) first.".into(),
            )
        })
}
