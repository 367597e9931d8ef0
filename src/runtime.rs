//! Runs the core's effects on tokio and feeds their results back as events.
//!
//! The loop owns the [`Journey`]; effects run as tasks on the [`Handlers`] (one per concern)
//! and report through one channel; the UI (if any) receives a snapshot after every change through a
//! `watch` channel and sends its own events (approvals, "check now", quit) through `input`.
//! A newer check of a checkpoint replaces the pending one (one job per kind).
//!
//! SIGTERM and SIGHUP (a closed SSH session), once [`listen_for_termination`] was called, end
//! the loop at once: terraform is left to finish in its own process group (a later siteup
//! waits for it), every step still `running` is recorded as interrupted, and the loop returns
//! [`Stop::Quit`]; the command then exits with [`termination_signal`]'s code.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::effects::Handlers;
use crate::failure::Failure;
use crate::project::journal::Journal;
use crate::wizard::update::ResumeRecord;
use crate::wizard::{Effect, Event, Journey, Status, StepId, Stop, update};

/// The journal as the runtime keeps it: loaded once, saved after every recorded change.
pub struct JournalStore {
    pub state_dir: std::path::PathBuf,
    pub journal: Journal,
}

impl JournalStore {
    pub fn load(
        state_dir: &std::path::Path,
    ) -> Result<Self, crate::project::journal::JournalError> {
        Ok(Self {
            state_dir: state_dir.to_path_buf(),
            journal: Journal::load(state_dir)?,
        })
    }

    /// The records the core resumes from.
    pub fn resume_records(&self) -> Vec<ResumeRecord> {
        let parse = |s: &Option<String>| {
            s.as_deref().and_then(|t| {
                OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
        };
        self.journal
            .steps
            .iter()
            .filter_map(|(id, rec)| {
                Some(ResumeRecord {
                    step: StepId::from_id(id)?,
                    status: rec.state?,
                    since: parse(&rec.started_at),
                    finished_at: parse(&rec.finished_at),
                    detail: rec.detail.clone(),
                })
            })
            .collect()
    }

    fn record(&mut self, step: StepId, status: Status, detail: Option<String>, j: &Journey) {
        let at = crate::project::now_rfc3339();
        self.journal.record(step.id(), status, detail, &at);
        // The core owns the wait's start time: keep the journal's in step with it.
        if let Some(since) = j.state(step).since
            && let Ok(text) = since.format(&time::format_description::well_known::Rfc3339)
            && let Some(rec) = self.journal.steps.get_mut(step.id())
        {
            rec.started_at = Some(text);
        }
        if let Err(e) = self.journal.save(&self.state_dir) {
            tracing::error!("{e}");
        }
    }
}

/// The signal that stopped this siteup (SIGTERM, SIGHUP, or SIGINT when the user's Ctrl-C
/// ended the journey), 0 when none did.
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

/// A termination signal this long after the first one exits at once.
const SECOND_SIGNAL_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// Set by [`listen_for_termination`]: the number of the termination signal once one came.
static TERMINATION: OnceLock<watch::Receiver<i32>> = OnceLock::new();

/// Notes that `signal` ended (or is ending) this siteup, for the exit code. SIGTERM and SIGHUP
/// count over an earlier Ctrl-C (they end siteup without stopping terraform).
pub fn note_signal(signal: i32) {
    if signal == libc_signal::SIGINT {
        let _ = SIGNALLED.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    } else {
        SIGNALLED.store(signal, Ordering::SeqCst);
    }
}

/// The signal noted by [`note_signal`] (or a termination signal), if any.
pub fn termination_signal() -> Option<i32> {
    match SIGNALLED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Whether the runtime handles SIGTERM and SIGHUP itself (the screen then only waits for it).
pub fn handles_termination() -> bool {
    TERMINATION.get().is_some()
}

/// From now on SIGTERM and SIGHUP end the journey as described in the module's documentation.
/// Must be called inside a tokio runtime; later calls do nothing.
pub fn listen_for_termination() {
    use tokio::signal::unix::{SignalKind, signal};
    if TERMINATION.get().is_some() {
        return;
    }
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::warn!("could not listen for SIGTERM and SIGHUP");
        return;
    };
    let (tx, rx) = watch::channel(0);
    if TERMINATION.set(rx).is_err() {
        return;
    }
    tokio::spawn(async move {
        let signal = tokio::select! {
            _ = term.recv() => libc_signal::SIGTERM,
            _ = hup.recv() => libc_signal::SIGHUP,
        };
        note_signal(signal);
        let _ = tx.send(signal);
        // The journey ends now (the journal is written first). A second signal, once that had
        // time to happen, means "now": give the terminal back and exit at once, whatever is
        // still winding down. (A closed terminal may send SIGHUP twice in a row.)
        let first = tokio::time::Instant::now();
        let again = loop {
            let again = tokio::select! {
                _ = term.recv() => libc_signal::SIGTERM,
                _ = hup.recv() => libc_signal::SIGHUP,
            };
            if first.elapsed() >= SECOND_SIGNAL_AFTER {
                break again;
            }
        };
        if let Some(restore) = TERMINAL_RESTORE.get() {
            restore();
        }
        eprintln!(
            "siteup: {} again; exiting at once (a terraform still running finishes by itself).",
            signal_name(again)
        );
        std::process::exit(128 + again);
    });
}

/// How the front end that owns the terminal gives it back (the full-screen wizard registers
/// it): called before a second termination signal exits at once. The runtime sits below the
/// views, so it is told rather than importing them.
static TERMINAL_RESTORE: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Registers how to give the terminal back if a second signal ends siteup at once.
pub fn restore_terminal_with(restore: fn()) {
    let _ = TERMINAL_RESTORE.set(restore);
}

/// Signal numbers, as the exit codes use them.
pub mod libc_signal {
    pub const SIGHUP: i32 = nix::sys::signal::Signal::SIGHUP as i32;
    pub const SIGINT: i32 = nix::sys::signal::Signal::SIGINT as i32;
    pub const SIGTERM: i32 = nix::sys::signal::Signal::SIGTERM as i32;
}

/// The name of a signal number, for messages.
pub fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_string())
}

/// Resolves with the termination signal once one came; never without
/// [`listen_for_termination`].
async fn terminated() -> i32 {
    let Some(rx) = TERMINATION.get() else {
        return std::future::pending().await;
    };
    let mut rx = rx.clone();
    let signal = rx.wait_for(|s| *s != 0).await.map(|s| *s).ok();
    match signal {
        Some(s) => s,
        None => std::future::pending().await,
    }
}

/// What an interrupted step's journal detail says.
pub fn interrupted_detail(signal: i32) -> String {
    format!(
        "{}: siteup was stopped by {} before this step finished; a terraform it started goes on by itself and the next siteup waits for it, so run siteup here again to continue",
        crate::project::journal::INTERRUPTED,
        signal_name(signal)
    )
}

/// Runs the journey until it stops. `input` carries the user's events (none when headless).
pub async fn run(
    mut journey: Journey,
    first: Event,
    handlers: Handlers,
    mut store: Option<JournalStore>,
    snapshots: Option<watch::Sender<Journey>>,
    mut input: mpsc::UnboundedReceiver<Event>,
) -> (Journey, Stop) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let mut checks: HashMap<StepId, JoinHandle<()>> = HashMap::new();
    let mut pending = vec![first];
    loop {
        for event in pending.drain(..) {
            if let Event::CheckNow(step) = &event
                && let Some(h) = checks.remove(step)
            {
                h.abort();
            }
            let effects = update(&mut journey, event, OffsetDateTime::now_utc());
            for effect in effects {
                match effect {
                    Effect::Journal {
                        step,
                        status,
                        detail,
                    } => {
                        if let Some(store) = store.as_mut() {
                            store.record(step, status, detail, &journey);
                        }
                    }
                    Effect::Stop(stop) => {
                        for (_, h) in checks.drain() {
                            h.abort();
                        }
                        if let Some(s) = &snapshots {
                            let _ = s.send(journey.clone());
                        }
                        return (journey, stop);
                    }
                    Effect::Check { step, after } => {
                        if let Some(h) = checks.remove(&step) {
                            h.abort();
                        }
                        let checkpoints = handlers.checkpoints.clone();
                        let tx = tx.clone();
                        checks.insert(
                            step,
                            tokio::spawn(async move {
                                if !after.is_zero() {
                                    tokio::time::sleep(after).await;
                                }
                                let report = checkpoints.check(step).await;
                                let _ = tx.send(Event::Checked { step, report });
                            }),
                        );
                    }
                    other => spawn_effect(other, handlers.clone(), tx.clone()),
                }
            }
        }
        if let Some(s) = &snapshots {
            let _ = s.send(journey.clone());
        }
        tokio::select! {
            biased;
            signal = terminated() => {
                // Leave terraform to finish in its own process group; record what was cut.
                for (_, h) in checks.drain() {
                    h.abort();
                }
                if let Some(store) = store.as_mut() {
                    let detail = interrupted_detail(signal);
                    let at = crate::project::now_rfc3339();
                    let steps = store.journal.mark_interrupted(&detail, &at);
                    if let Err(e) = store.journal.save(&store.state_dir) {
                        tracing::error!("{e}");
                    }
                    for id in steps {
                        if let Some(step) = StepId::from_id(&id) {
                            let st = journey.steps.entry(step).or_default();
                            st.status = Status::Failed;
                            st.detail = Some(detail.clone());
                        }
                    }
                }
                tracing::info!("{}: the journey stops now", signal_name(signal));
                return (journey, Stop::Quit);
            }
            Some(ev) = rx.recv() => pending.push(ev),
            Some(ev) = input.recv() => pending.push(ev),
            else => {
                return (journey, Stop::Quit);
            }
        }
        // Take whatever else is already waiting, in one batch.
        while let Ok(ev) = rx.try_recv() {
            pending.push(ev);
        }
    }
}

fn spawn_effect(effect: Effect, h: Handlers, tx: mpsc::UnboundedSender<Event>) {
    let progress_tx = tx.clone();
    tokio::spawn(async move {
        let event = match effect {
            Effect::Preflight => Event::PreflightDone(h.project.preflight().await),
            Effect::ListProfiles => Event::ProfilesListed(h.aws.list_profiles().await),
            Effect::VerifyProfile(name) => Event::ProfileVerified(h.aws.verify_profile(name).await),
            Effect::SaveSite(config) => match h.project.save_site(*config).await {
                Ok(()) => Event::SiteAnswered,
                Err(e) => Event::SiteSaveFailed(e),
            },
            Effect::ComposeSesRequest => {
                Event::SesRequestComposed(h.aws.compose_ses_request().await)
            }
            Effect::SubmitSesRequest(text) => {
                Event::SesRequestSubmitted(h.aws.submit_ses_request(text).await)
            }
            Effect::ResendMail(step) => Event::Resent(
                step,
                if step == StepId::Alerts {
                    h.aws.resend_alert_confirmation().await
                } else {
                    h.aws.resend_verification().await
                },
            ),
            Effect::InterruptTerraform => {
                // SIGTERM or SIGHUP leaves terraform to finish by itself.
                if !matches!(
                    termination_signal(),
                    Some(libc_signal::SIGTERM | libc_signal::SIGHUP)
                ) {
                    h.terraform.interrupt();
                }
                return;
            }
            Effect::KillTerraform => {
                h.terraform.kill();
                return;
            }
            Effect::Generate => Event::Generated(h.project.generate().await),
            Effect::Plan(phase) => match h.terraform.plan(phase).await {
                Ok(plan) => Event::PlanReady { phase, plan },
                Err(error) => Event::PlanFailed { phase, error },
            },
            Effect::Apply(phase) => {
                let (ptx, mut prx) = mpsc::unbounded_channel();
                let fwd = tokio::spawn(async move {
                    while let Some(rows) = prx.recv().await {
                        let _ = progress_tx.send(Event::ApplyProgress(rows));
                    }
                });
                let result = h.terraform.apply(phase, ptx).await;
                let _ = fwd.await;
                Event::ApplyFinished { phase, result }
            }
            Effect::MigrateState => Event::StateMigrated(h.terraform.migrate_state().await),
            Effect::ReadOutputs => Event::OutputsRead(h.terraform.read_outputs().await),
            Effect::PlayHuman(step) => Event::HumanPlayed {
                step,
                result: match &h.player {
                    Some(player) => player.play(step).await,
                    None => Err(Failure::NotASandbox),
                },
            },
            Effect::Check { .. } | Effect::Journal { .. } | Effect::Stop(_) => return,
        };
        let _ = tx.send(event);
    });
}
