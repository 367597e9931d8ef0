//! The log: `.siteup/siteup.log` in the project, never the screen (the wizard owns the
//! terminal). `SITEUP_LOG` sets the level (`debug`, `info`, ... default `info`). Nothing that
//! could hold a credential is ever logged.

use std::fs::OpenOptions;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{FilterExt, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::GlobalArgs;
use crate::project::ProjectPaths;

/// Sets up logging into the project's `.siteup/siteup.log`; returns false when the file cannot
/// be opened (siteup then runs without a log rather than failing).
pub fn init(global: &GlobalArgs, creates_project: bool) -> bool {
    let paths = ProjectPaths::new(&global.dir);
    // A command that only reads never creates the project folder (a mistyped --dir stays
    // absent); the others create it anyway, so their first run is logged too.
    if (!creates_project && !paths.root().is_dir())
        || std::fs::create_dir_all(paths.state_dir()).is_err()
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
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_target(false)
        .with_writer(Mutex::new(file))
        .with_filter(filter.and(filter_fn(|meta| !holds_secrets(meta.target()))));
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .is_ok()
}

/// The SDK modules whose events can carry a credential at any level: the profile provider logs
/// the access key id at info (`loaded base credentials`) and a failed credential_process's
/// stderr at warn; the process provider logs its unredacted command at trace. siteup logs what
/// it needs of these itself (`aws::connect`), without the secrets.
fn holds_secrets(target: &str) -> bool {
    const SECRET_TARGETS: &[&str] = &[
        "aws_config::profile::credentials",
        "aws_config::credential_process",
    ];
    SECRET_TARGETS.iter().any(|t| {
        target == *t
            || target
                .strip_prefix(t)
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

#[cfg(test)]
mod tests {
    use super::holds_secrets;

    #[test]
    fn the_sdk_credential_modules_are_kept_out() {
        assert!(holds_secrets("aws_config::profile::credentials"));
        assert!(holds_secrets("aws_config::profile::credentials::exec"));
        assert!(holds_secrets("aws_config::credential_process"));
        assert!(!holds_secrets("aws_config::profile::credentials_extra"));
        assert!(!holds_secrets("siteup::aws::connect"));
    }
}
