//! The headless commands (`generate`, `up`, `status`, ...): each turns its flags into calls on
//! the library and words the outcome for a terminal or a script.

pub mod alerts;
pub mod answers;
pub mod destroy;
pub mod doctor;
pub mod email;
pub mod generate;
pub mod nameservers;
pub mod sandbox;
pub mod ses_request;
pub mod session;
pub mod status;
pub mod up;
pub mod wizard;

/// Exit code of a failed command (one sentence on stderr says what happened and what to do).
pub const EXIT_FAILED: u8 = 1;
/// Exit code of a journey the user quit on purpose (q in the wizard): nothing failed, and the
/// line before names the command that continues it.
pub const EXIT_QUIT: u8 = 3;

/// The command that continues this journey: `base` (like `siteup sandbox`) with the `--dir`
/// the user gave, quoted for the shell.
pub fn continue_command(global: &crate::cli::GlobalArgs, base: &str) -> String {
    if global.dir == std::path::Path::new(".") {
        base.to_string()
    } else {
        format!(
            "{base} --dir {}",
            crate::words::shell_quote(&global.dir.display().to_string())
        )
    }
}

/// Exit code of a command line siteup could not understand (an unknown flag, a bad value): the
/// BSD `EX_USAGE`, so that a script waiting for 0 or 2 stops on a typo.
pub const EXIT_USAGE: u8 = 64;

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
    /// The user quit on purpose (q in the wizard); nothing failed (exit 3).
    Quit,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Waiting => 2,
            Outcome::Quit => EXIT_QUIT,
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
    #[error(transparent)]
    Failure(#[from] crate::failure::Failure),
}

/// Creates the project folder when it does not exist yet.
pub fn create_project_dir(paths: &crate::project::ProjectPaths) -> Result<(), CommandError> {
    if let Some(problem) = not_a_folder(paths.root()) {
        return Err(problem);
    }
    std::fs::create_dir_all(paths.root()).map_err(|e| {
        CommandError::Message(format!(
            "Could not create the project folder {}: {}.",
            shown_path(paths.root()),
            crate::words::io_advice(&e)
        ))
    })
}

/// The sentence for a project path that exists but is not a folder.
pub fn not_a_folder(path: &std::path::Path) -> Option<CommandError> {
    let meta = std::fs::metadata(path).ok()?;
    (!meta.is_dir()).then(|| {
        CommandError::Message(format!(
            "{} is a file, not a folder; give your site's folder with --dir.",
            shown_path(path)
        ))
    })
}

/// A path for a sentence, with any control characters shown, never sent.
pub fn shown_path(path: &std::path::Path) -> String {
    crate::words::printable_line(&path.display().to_string()).into_owned()
}

/// The failure of a journey that waits on a checkpoint siteup could not even check (offline, AWS
/// or DNS not answering): "Email domain verified could not be checked: could not reach AWS ...".
/// `up` and `status` end with it instead of "waiting", so a script polling for 0 does not spin.
pub fn unchecked_failure(journey: &crate::wizard::Journey) -> Option<CommandError> {
    let (step, why) = journey.first_unchecked()?;
    Some(CommandError::Message(format!(
        "{} could not be checked: {}",
        step.title(),
        crate::words::lower_first(why)
    )))
}

#[cfg(test)]
mod tests {
    use crate::wizard::state::CheckReport;
    use crate::wizard::{Event, Journey, Mode, StepId, StepKind, update};

    #[test]
    fn a_checkpoint_that_could_not_be_checked_fails_with_the_reason() {
        let mut j = Journey::new(Mode::Interactive);
        assert!(super::unchecked_failure(&j).is_none());
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let report = CheckReport {
            satisfied: false,
            unchecked: true,
            waiting_on: StepKind::Aws,
            headline: "Could not reach AWS in eu-west-1 (no network); check your connection and try again.".into(),
            lines: vec![],
            reopen: None,
        };
        let _ = update(
            &mut j,
            Event::Checked {
                step: StepId::EmailDomain,
                report,
            },
            now,
        );
        let failure = super::unchecked_failure(&j).expect("a failure").to_string();
        assert_eq!(
            failure,
            "Email domain verified could not be checked: could not reach AWS in eu-west-1 (no network); check your connection and try again."
        );
    }
}
