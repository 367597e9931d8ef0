//! The full-screen wizard's loop: one `select!` over the terminal's events, the journey's
//! snapshots, a clock tick (only while a clock on screen would change) and control messages
//! (SIGTERM, SIGHUP). Events are handled in batches and the screen is redrawn once after each
//! batch; with nothing changing the loop sleeps without any wakeup.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use crossterm::event::Event as TermEvent;
use futures_core::Stream;
use ratatui::Terminal;
use ratatui::backend::Backend;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

use super::UiError;
use super::draw::draw;
use super::keys::{Action, on_key, on_paste};
use super::state::UiState;
use crate::wizard::{Event, Journey};

/// What copies text to the clipboard; returns the sentence for the status line.
pub type CopyFn = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// The clipboard as the real terminal has it: OSC 52 and the OS clipboard.
pub fn system_copy() -> CopyFn {
    Arc::new(|text: &str| crate::clipboard::copy(text).describe())
}

/// Where "now" comes from.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The wall clock.
    Wall,
    /// The wall clock at a start, moved on by tokio's clock (which tests can pause and
    /// advance).
    Tokio {
        wall: OffsetDateTime,
        at: tokio::time::Instant,
    },
}

impl Clock {
    pub fn tokio_from(wall: OffsetDateTime) -> Self {
        Clock::Tokio {
            wall,
            at: tokio::time::Instant::now(),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        match self {
            Clock::Wall => OffsetDateTime::now_utc(),
            Clock::Tokio { wall, at } => {
                let d = tokio::time::Instant::now().saturating_duration_since(*at);
                *wall + d
            }
        }
    }
}

/// Messages from outside the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// SIGTERM or SIGHUP: quit now, everything is saved.
    Terminate(&'static str),
}

/// What the loop did, for tests and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoopStats {
    pub draws: u64,
    pub wakeups: u64,
}

/// The loop's surroundings: where "now" comes from, how to copy, how to suspend.
pub struct LoopEnv<'a, B: Backend> {
    pub clock: Clock,
    pub copy: CopyFn,
    pub suspend: &'a mut (dyn FnMut(&mut Terminal<B>) -> io::Result<()> + Send),
    /// Called after each draw with the running count (tests watch it).
    pub on_draw: Option<&'a mut (dyn FnMut(u64) + Send)>,
}

/// Polls the stream once: an event if one is ready, `None` without waiting otherwise.
async fn ready_event<S>(events: &mut S) -> Option<io::Result<TermEvent>>
where
    S: Stream<Item = io::Result<TermEvent>> + Unpin,
{
    std::future::poll_fn(|cx| match Pin::new(&mut *events).poll_next(cx) {
        Poll::Ready(Some(e)) => Poll::Ready(Some(e)),
        Poll::Ready(None) | Poll::Pending => Poll::Ready(None),
    })
    .await
}

async fn next_event<S>(events: &mut Option<S>) -> Option<io::Result<TermEvent>>
where
    S: Stream<Item = io::Result<TermEvent>> + Unpin,
{
    match events {
        Some(s) => std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await,
        None => std::future::pending().await,
    }
}

fn draw_error<E: std::fmt::Display>(e: E) -> UiError {
    UiError::Terminal(io::Error::other(e.to_string()))
}

/// Runs the wizard's screen until the journey stops (the runtime ends) or a terminal error.
/// The caller owns the terminal and the runtime; `tx` goes to the runtime.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    events: S,
    mut snapshots: watch::Receiver<Journey>,
    tx: mpsc::UnboundedSender<Event>,
    ui: &mut UiState,
    mut control: mpsc::UnboundedReceiver<Control>,
    env: LoopEnv<'_, B>,
) -> Result<LoopStats, UiError>
where
    B: Backend,
    S: Stream<Item = io::Result<TermEvent>> + Unpin,
{
    let LoopEnv {
        clock,
        copy,
        suspend,
        mut on_draw,
    } = env;
    let mut stats = LoopStats::default();
    let mut events = Some(events);
    let mut control_open = true;
    let mut journey = snapshots.borrow_and_update().clone();
    ui.now = clock.now();
    ui.observe(&journey);
    let mut dirty = true;
    loop {
        if dirty {
            ui.now = clock.now();
            if let Ok(size) = terminal.size() {
                ui.size = (size.width, size.height);
            }
            terminal
                .draw(|f| {
                    ui.size = (f.area().width, f.area().height);
                    draw(f, &journey, ui);
                })
                .map_err(draw_error)?;
            stats.draws += 1;
            crate::perf_report::frame_drawn(&journey);
            if let Some(cb) = on_draw.as_mut() {
                cb(stats.draws);
            }
            dirty = false;
        }
        if journey.stop.is_some() {
            break;
        }
        let tick = ui.next_tick(&journey);
        let sleep = async {
            match tick {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = next_event(&mut events) => {
                stats.wakeups += 1;
                let mut batch = Vec::new();
                match ev {
                    Some(Ok(e)) => batch.push(e),
                    Some(Err(e)) => return Err(UiError::Terminal(e)),
                    None => events = None,
                }
                if let Some(s) = events.as_mut() {
                    while let Some(e) = ready_event(s).await {
                        match e {
                            Ok(e) => batch.push(e),
                            Err(e) => return Err(UiError::Terminal(e)),
                        }
                    }
                }
                for e in batch {
                    match e {
                        TermEvent::Key(key) => {
                            dirty = true;
                            let actions = on_key(ui, &journey, key);
                            run_actions(actions, terminal, &tx, &copy, &mut *suspend, &mut dirty);
                        }
                        TermEvent::Paste(text) => {
                            dirty = true;
                            let actions = on_paste(ui, &journey, &text);
                            run_actions(actions, terminal, &tx, &copy, &mut *suspend, &mut dirty);
                        }
                        TermEvent::Resize(_, _) => dirty = true,
                        _ => {}
                    }
                }
            }
            changed = snapshots.changed() => {
                stats.wakeups += 1;
                if changed.is_err() {
                    // The runtime ended: take its last word and stop.
                    let last = snapshots.borrow().clone();
                    if last != journey {
                        journey = last;
                        ui.now = clock.now();
                        ui.observe(&journey);
                    }
                    break;
                }
                let new = snapshots.borrow_and_update().clone();
                if new != journey {
                    journey = new;
                    ui.now = clock.now();
                    ui.observe(&journey);
                    dirty = true;
                }
            }
            _ = sleep => {
                stats.wakeups += 1;
                dirty = true;
            }
            c = control.recv(), if control_open => {
                stats.wakeups += 1;
                match c {
                    Some(Control::Terminate(signal)) => {
                        tracing::info!("{signal}: quitting");
                        ui.quitting = true;
                        dirty = true;
                        // A runtime that handles the signal itself ends at once, leaving
                        // terraform to finish; a quit would stop terraform first.
                        if !crate::runtime::handles_termination() && tx.send(Event::Quit).is_err()
                        {
                            break;
                        }
                    }
                    None => control_open = false,
                }
            }
        }
    }
    Ok(stats)
}

fn run_actions<B: Backend>(
    actions: Vec<Action>,
    terminal: &mut Terminal<B>,
    tx: &mpsc::UnboundedSender<Event>,
    copy: &CopyFn,
    suspend: &mut (dyn FnMut(&mut Terminal<B>) -> io::Result<()> + Send),
    dirty: &mut bool,
) {
    for a in actions {
        match a {
            Action::Send(e) => {
                let _ = tx.send(e);
            }
            Action::Copy { text, what } => {
                let copy = copy.clone();
                let tx = tx.clone();
                tokio::task::spawn_blocking(move || {
                    let said = copy(&text);
                    let _ = tx.send(Event::Notice(format!("{what}: {said}")));
                });
            }
            Action::Suspend => {
                if let Err(e) = suspend(terminal) {
                    let _ = tx.send(Event::Notice(format!(
                        "Could not suspend: {e}; quit with q instead."
                    )));
                }
                *dirty = true;
            }
        }
    }
}
