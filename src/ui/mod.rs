//! siteup's face: the full-screen wizard (ratatui on crossterm) and the plain, line-by-line
//! mode. Both drive the journey of [`crate::wizard`] through [`crate::runtime::run`] and add
//! nothing to it but views and keys.
//!
//! - [`run_tui`]: the full-screen wizard ([`app`] is its loop, [`draw`] and [`panes`] its views,
//!   [`keys`] its keys, [`tui`] owns the terminal).
//! - [`run_plain`]: `siteup --plain`, prompts and progress lines ([`plain`]).
//! - [`should_use_plain`]: which of the two a start should use.

pub(crate) mod app;
pub mod draw;
pub(crate) mod editor;
pub mod form;
pub mod keys;
pub(crate) mod panes;
pub mod plain;
pub mod state;
pub(crate) mod text;
pub(crate) mod theme;
pub(crate) mod tui;

use std::ffi::OsStr;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::effects::Handlers;
use crate::runtime::JournalStore;
use crate::site::SiteConfig;
use crate::wizard::{Event, Journey, Stop};

pub use app::{Clock, Control, CopyFn, LoopEnv, LoopStats, run_loop, system_copy};
pub use plain::run_plain;
pub use state::UiState;

/// How the screen should look, decided once at start.
#[derive(Clone)]
pub struct UiOptions {
    /// Colours on (off with `--no-color` or NO_COLOR).
    pub color: bool,
    /// Unicode glyphs and borders (off when the locale is not UTF-8).
    pub unicode: bool,
    /// The answers in siteup.toml, to fill the form and name the domain.
    pub site: Option<SiteConfig>,
    /// How text is copied (OSC 52 and the OS clipboard by default).
    pub copy: CopyFn,
}

impl std::fmt::Debug for UiOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiOptions")
            .field("color", &self.color)
            .field("unicode", &self.unicode)
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

impl UiOptions {
    /// From the environment: NO_COLOR and the locale variables.
    pub fn from_env(no_color_flag: bool, site: Option<SiteConfig>) -> Self {
        let var = std::env::var_os;
        Self {
            color: color_enabled(no_color_flag, var("NO_COLOR").as_deref()),
            unicode: unicode_locale(
                var("LC_ALL").as_deref(),
                var("LC_CTYPE").as_deref(),
                var("LANG").as_deref(),
            ),
            site,
            copy: system_copy(),
        }
    }

    /// Plain colours-off, ASCII options for tests.
    pub fn plain_ascii() -> Self {
        Self {
            color: false,
            unicode: false,
            site: None,
            copy: Arc::new(|_: &str| "copied (test)".to_string()),
        }
    }
}

/// Whether to use colour: not with `--no-color`, not when NO_COLOR is set to anything
/// non-empty (<https://no-color.org>).
pub fn color_enabled(no_color_flag: bool, no_color_env: Option<&OsStr>) -> bool {
    !no_color_flag && no_color_env.is_none_or(std::ffi::OsStr::is_empty)
}

/// Whether the locale is UTF-8: the first set of LC_ALL, LC_CTYPE, LANG names UTF-8.
pub fn unicode_locale(
    lc_all: Option<&OsStr>,
    lc_ctype: Option<&OsStr>,
    lang: Option<&OsStr>,
) -> bool {
    let effective = [lc_all, lc_ctype, lang]
        .into_iter()
        .flatten()
        .find(|v| !v.is_empty());
    effective.is_some_and(|v| {
        let v = v.to_string_lossy().to_ascii_lowercase();
        v.contains("utf-8") || v.contains("utf8")
    })
}

/// Whether a start should use the plain mode: stdout is not a terminal, or TERM is `dumb`
/// (or unset).
pub fn should_use_plain(stdout_is_tty: bool, term: Option<&str>) -> bool {
    !stdout_is_tty || term.is_none_or(|t| t.is_empty() || t == "dumb")
}

/// A failure of the screen itself (the journey's own failures are in its [`Stop`]).
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error(
        "The terminal could not be used ({0}); run `siteup --plain` for line-by-line prompts instead."
    )]
    Terminal(std::io::Error),
    #[error(
        "The journey stopped unexpectedly ({0}); run siteup again: it resumes where it stopped."
    )]
    Runtime(String),
    #[error("Standard input could not be read ({0}); run siteup again in a terminal.")]
    Input(std::io::Error),
}

/// How the journey ended, as the caller reports it: an interactive journey never stops by
/// itself, so a quit with every step done is `Done`.
pub fn final_stop(j: &Journey, stop: Stop) -> Stop {
    match stop {
        Stop::Quit if j.all_done() => Stop::Done,
        other => other,
    }
}

/// Runs the full-screen wizard over the journey until the user quits or the journey stops.
/// The terminal is restored before this returns, whatever happened.
pub async fn run_tui(
    opts: UiOptions,
    journey: Journey,
    first: Event,
    handlers: Handlers,
    store: Option<JournalStore>,
) -> Result<(Journey, Stop), UiError> {
    crate::runtime::restore_terminal_with(tui::restore);
    let background = Background::start(journey, first, handlers, store);
    let result = screen(&opts, background.snapshots(), background.input()).await;
    background.finish(result).await
}

/// The journey's runtime ([`crate::runtime::run`]) on a background task, fed by a front end
/// (the screen or the plain lines) through the journey snapshots and the input events.
pub(crate) struct Background {
    snapshots: watch::Receiver<Journey>,
    input: mpsc::UnboundedSender<Event>,
    runtime: tokio::task::JoinHandle<(Journey, Stop)>,
}

impl Background {
    /// Starts the runtime on `journey`, with `first` as its first event.
    pub(crate) fn start(
        journey: Journey,
        first: Event,
        handlers: Handlers,
        store: Option<JournalStore>,
    ) -> Self {
        let (snap_tx, snapshots) = watch::channel(journey.clone());
        let (input, in_rx) = mpsc::unbounded_channel();
        let runtime = tokio::spawn(crate::runtime::run(
            journey,
            first,
            handlers,
            store,
            Some(snap_tx),
            in_rx,
        ));
        Self {
            snapshots,
            input,
            runtime,
        }
    }

    /// The journey as the runtime changes it.
    pub(crate) fn snapshots(&self) -> watch::Receiver<Journey> {
        self.snapshots.clone()
    }

    /// Where the front end sends the user's events.
    pub(crate) fn input(&self) -> mpsc::UnboundedSender<Event> {
        self.input.clone()
    }

    /// Once the front end has ended with `front`: a front end that failed asks the runtime to
    /// quit; then waits for the runtime and returns the final journey and why it stopped.
    /// The front end must have dropped its copies of the input sender.
    pub(crate) async fn finish<T>(
        self,
        front: Result<T, UiError>,
    ) -> Result<(Journey, Stop), UiError> {
        if front.is_err() {
            let _ = self.input.send(Event::Quit);
        }
        drop(self.input);
        let (journey, stop) = self
            .runtime
            .await
            .map_err(|e| UiError::Runtime(e.to_string()))?;
        front?;
        let stop = final_stop(&journey, stop);
        Ok((journey, stop))
    }
}

async fn screen(
    opts: &UiOptions,
    snapshots: watch::Receiver<Journey>,
    tx: mpsc::UnboundedSender<Event>,
) -> Result<LoopStats, UiError> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err(UiError::Terminal(std::io::Error::other(
            "standard output is not a terminal",
        )));
    }
    let mut tui = tui::Tui::enter().map_err(UiError::Terminal)?;
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let signals = tokio::spawn(forward_signals(ctl_tx));
    let mut ui = UiState::new(opts, time::OffsetDateTime::now_utc());
    let mut suspend = |t: &mut ratatui::Terminal<tui::Backend>| tui::Tui::suspend(t);
    let result = run_loop(
        tui.terminal(),
        crossterm::event::EventStream::new(),
        snapshots,
        tx,
        &mut ui,
        ctl_rx,
        LoopEnv {
            clock: Clock::Wall,
            copy: opts.copy.clone(),
            suspend: &mut suspend,
            on_draw: None,
        },
    )
    .await;
    signals.abort();
    drop(tui);
    result
}

/// Forwards SIGTERM and SIGHUP to the loop, which quits cleanly and restores the terminal.
async fn forward_signals(tx: mpsc::UnboundedSender<Control>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = hup.recv() => "SIGHUP",
            };
            if tx.send(Control::Terminate(name)).is_err() {
                return;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tx;
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_when_not_a_terminal_or_dumb() {
        assert!(should_use_plain(false, Some("xterm-256color")));
        assert!(should_use_plain(true, Some("dumb")));
        assert!(should_use_plain(true, None));
        assert!(!should_use_plain(true, Some("xterm-256color")));
    }

    #[test]
    fn no_color_and_locale() {
        assert!(color_enabled(false, None));
        assert!(color_enabled(false, Some(OsStr::new(""))));
        assert!(!color_enabled(false, Some(OsStr::new("1"))));
        assert!(!color_enabled(true, None));
        let s = |v: &'static str| Some(OsStr::new(v));
        assert!(unicode_locale(None, None, s("en_US.UTF-8")));
        assert!(unicode_locale(s(""), None, s("C.utf8")));
        assert!(!unicode_locale(s("C"), None, s("en_US.UTF-8")));
        assert!(!unicode_locale(None, None, None));
        assert!(!unicode_locale(None, s("POSIX"), None));
    }
}
