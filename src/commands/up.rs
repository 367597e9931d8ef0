//! `siteup up [--yes]`: run every step that can run, stop at the first checkpoint that waits,
//! and say exactly what is needed. Exit codes: 0 done, 2 waiting on a human or on AWS,
//! 1 failed, and 128 + the signal when a signal ended it: 130 Ctrl-C (terraform was
//! interrupted and saved its state), 143 SIGTERM, 129 SIGHUP (terraform, if running, is left
//! to finish in its own process group; the step is recorded as interrupted).

use std::io::Write;

use tokio::sync::{mpsc, watch};

use crate::cli::GlobalArgs;
use crate::commands::session::Session;
use crate::commands::{CommandError, Outcome};
use crate::runtime;
use crate::wizard::{Event, Journey, Mode, Stop};

/// Runs the journey headless in `mode` until it stops, printing progress lines.
pub async fn drive(session: Session, mode: Mode, first: Event) -> (Journey, Stop) {
    drive_with(session, mode, first, true).await
}

/// Like [`drive`], printing nothing (`siteup status`).
pub async fn drive_quiet(session: Session, mode: Mode, first: Event) -> (Journey, Stop) {
    drive_with(session, mode, first, false).await
}

async fn drive_with(session: Session, mode: Mode, first: Event, print: bool) -> (Journey, Stop) {
    // The lock is held until the journey stops.
    let (handlers, store, _lock) = session.into_parts();
    // `siteup status` checks live but records nothing.
    let store = (mode != Mode::StatusOnly).then_some(store);
    let (input_tx, input_rx) = mpsc::unbounded_channel();
    if !print {
        // Nothing to print and no terraform to stop cleanly: no snapshots, no Ctrl-C handler.
        let _input = input_tx;
        return runtime::run(Journey::new(mode), first, handlers, store, None, input_rx).await;
    }
    // SIGTERM and SIGHUP: record the running step as interrupted and end now.
    runtime::listen_for_termination();
    let (snap_tx, mut snap_rx) = watch::channel(Journey::new(mode));
    let watching = snap_rx.clone();
    // Ctrl-C: stop terraform cleanly, then quit (the journal keeps everything).
    let ctrl_c = tokio::spawn(async move {
        let mut presses = 0;
        while tokio::signal::ctrl_c().await.is_ok() {
            presses += 1;
            runtime::note_signal(runtime::libc_signal::SIGINT);
            let busy = watching.borrow().busy.is_some();
            let _ = input_tx.send(if presses == 1 && busy {
                Event::Interrupt
            } else {
                Event::Quit
            });
            if presses == 1 && busy {
                eprintln!(
                    "siteup: stopping terraform cleanly (it saves its state and releases the lock); press Ctrl-C again to quit when it has."
                );
            }
        }
    });
    let printer = tokio::spawn(async move {
        // The same progress lines as the plain mode.
        let mut printer = crate::ui::plain::Progress::default();
        while snap_rx.changed().await.is_ok() {
            let j = snap_rx.borrow_and_update().clone();
            let mut out = std::io::stdout().lock();
            for line in printer.lines(&j) {
                let _ = writeln!(out, "{}", crate::words::printable(&line));
            }
        }
    });
    let result = runtime::run(
        Journey::new(mode),
        first,
        handlers,
        store,
        Some(snap_tx),
        input_rx,
    )
    .await;
    let _ = printer.await;
    ctrl_c.abort();
    result
}

/// The command's outcome for a front end that has already told the user how the journey
/// stopped (the plain mode's last lines): the same exit codes as [`finish`], nothing printed
/// again but a failure's sentence on standard error.
pub fn outcome(stop: Stop) -> Result<Outcome, CommandError> {
    if let Some(o) = signalled(&stop) {
        return Ok(o);
    }
    match stop {
        Stop::Done => Ok(Outcome::Done),
        Stop::Waiting(_) => Ok(Outcome::Waiting),
        Stop::Quit => Ok(Outcome::Quit),
        other => finish(other, "siteup"),
    }
}

/// The outcome of a journey that a signal ended (Ctrl-C, SIGTERM, SIGHUP), with its sentence on
/// standard error; `None` when no signal did, or the journey got done anyway.
pub fn signalled(stop: &Stop) -> Option<Outcome> {
    let signal = runtime::termination_signal()?;
    if matches!(stop, Stop::Done) {
        return None;
    }
    let what = if signal == runtime::libc_signal::SIGINT {
        "Ctrl-C (SIGINT)".to_string()
    } else {
        runtime::signal_name(signal)
    };
    eprintln!(
        "siteup: stopped by {what}; everything done so far is saved and a terraform still running finishes by itself: run siteup here again to continue."
    );
    Some(Outcome::Signalled(signal))
}

/// Turns how the journey stopped into the command's outcome; `again` is the command that
/// continues this journey (`siteup up`, `siteup sandbox --dir …`).
pub fn finish(stop: Stop, again: &str) -> Result<Outcome, CommandError> {
    if let Some(o) = signalled(&stop) {
        return Ok(o);
    }
    match stop {
        Stop::Done => {
            println!("\nEverything is done. Run `siteup status` to see the outputs again.");
            Ok(Outcome::Done)
        }
        Stop::Waiting(msg) => {
            let msg = crate::words::printable(&msg);
            println!("\nWaiting:\n{msg}\n\nRun `{again}` again once that is done.");
            Ok(Outcome::Waiting)
        }
        Stop::Quit => {
            println!("\nStopped; everything done so far is saved. Run `{again}` to continue.");
            Ok(Outcome::Quit)
        }
        Stop::Failed(msg) => Err(CommandError::Message(msg)),
    }
}

pub async fn run(global: &GlobalArgs, yes: bool) -> Result<Outcome, CommandError> {
    let session = crate::commands::session::open(global, "siteup up", None)?;
    let first = session.resume_event();
    let (journey, stop) = drive(session, Mode::Headless { yes }, first).await;
    if matches!(stop, Stop::Done) {
        print_outputs(&journey);
    }
    // Waiting on a checkpoint siteup could not even check (offline, AWS not answering) is a
    // failure with its reason, not "waiting on you": a script polling for 0 must not spin.
    if matches!(stop, Stop::Waiting(_))
        && let Some(failure) = crate::commands::unchecked_failure(&journey)
    {
        return Err(failure);
    }
    finish(
        stop,
        &crate::commands::continue_command(global, "siteup up"),
    )
}

/// The outputs the user needs next.
pub fn print_outputs(j: &Journey) {
    if j.facts.outputs.is_empty() {
        return;
    }
    // The same labels as the wizard's done pane; `siteup status --json` has the raw names.
    println!("\nOutputs:");
    for (label, value) in crate::ui::text::labelled_outputs(&j.facts.outputs) {
        println!("  {label}: {}", crate::words::printable_line(&value));
    }
}
