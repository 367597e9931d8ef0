//! The log: `.siteup/siteup.log` in the project, never the screen (the wizard owns the
//! terminal). `SITEUP_LOG` sets the level (`debug`, `info`, ... default `info`). Nothing that
//! could hold a credential is ever logged.

use std::fs::OpenOptions;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::cli::GlobalArgs;
use crate::project::ProjectPaths;

/// Sets up logging into the project's `.siteup/siteup.log`; returns false when the file cannot
/// be opened (siteup then runs without a log rather than failing).
pub fn init(global: &GlobalArgs, creates_project: bool) -> bool {
    let paths = ProjectPaths::new(&global.dir);
    // A command that only reads never creates the project folder (a mistyped --dir stays
    // absent); the others create it anyway, so their first run is logged too.
    if (!creates_project && !paths.root().is_dir())
        || crate::project::create_state_dir(&paths.state_dir()).is_err()
    {
        return false;
    }
    let Ok(file) = OpenOptions::new()
        .create(true)
        .append(true)
        .open(paths.log_file())
    else {
        return false;
    };
    let filter = EnvFilter::try_from_env("SITEUP_LOG").unwrap_or_else(|_| {
        EnvFilter::new("info,aws_smithy_runtime=warn,aws_config=warn,hyper=warn")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .with_writer(Mutex::new(file))
        .try_init()
        .is_ok()
}
