//! `siteup` with no command: the full-screen wizard, or the plain line-by-line mode (chosen by
//! `--plain`, or by itself when stdout is not a terminal or TERM is dumb).

use std::io::IsTerminal;

use crate::cli::GlobalArgs;
use crate::commands::session::Session;
use crate::commands::{CommandError, Outcome};
use crate::ui::{self, UiOptions};
use crate::wizard::{Event, Journey, Mode};

pub async fn run(global: &GlobalArgs, plain: bool) -> Result<Outcome, CommandError> {
    let session = crate::commands::session::open(global, "siteup", None)?;
    let first = session.resume_event();
    let again = crate::commands::continue_command(global, "siteup");
    run_session(global, plain, session, first, &again).await
}

pub async fn run_session(
    global: &GlobalArgs,
    plain: bool,
    session: Session,
    first: Event,
    again: &str,
) -> Result<Outcome, CommandError> {
    let term = std::env::var("TERM").ok();
    let plain = plain || ui::should_use_plain(std::io::stdout().is_terminal(), term.as_deref());
    let site = session
        .site()
        .ok()
        .flatten()
        .map(super::super::project::settings::SiteupToml::to_config);
    let opts = UiOptions::from_env(global.no_color, site);
    // The lock is held until the journey stops.
    let (handlers, store, _lock) = session.into_parts();
    let journey = Journey::new(Mode::Interactive);
    // SIGTERM and SIGHUP: record the running step as interrupted and end now (the screen is
    // restored as for a quit).
    crate::runtime::listen_for_termination();
    let result = if plain {
        ui::run_plain(opts, journey, first, handlers, Some(store)).await
    } else {
        ui::run_tui(opts, journey, first, handlers, Some(store)).await
    };
    // A terminal closed under the screen fails it: the signal is the news then.
    if result.is_err()
        && let Some(signal) = crate::runtime::termination_signal()
    {
        return Ok(crate::commands::up::signalled(&crate::wizard::Stop::Quit)
            .unwrap_or(Outcome::Signalled(signal)));
    }
    // Both front ends end with the journey's final word (see `ui::final_stop`).
    let (journey, stop) = result.map_err(|e| CommandError::Message(e.to_string()))?;
    if plain {
        // The plain mode's last lines said it (outputs, or what it waits for).
        return crate::commands::up::outcome(stop);
    }
    if matches!(stop, crate::wizard::Stop::Done) {
        crate::commands::up::print_outputs(&journey);
    }
    crate::commands::up::finish(stop, again)
}
