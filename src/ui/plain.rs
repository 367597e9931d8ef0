//! `siteup --plain`: the same journey as line-by-line prompts and plain progress lines, with
//! no escape codes, for screen readers, dumb terminals and logs.
//!
//! Progress lines come from comparing successive journey snapshots ([`Progress`]): step status
//! changes, apply rows started/done/failed (and "still creating" once a minute), checkpoint
//! headlines when they change (never on every poll). Questions are asked only when the journey
//! is settled (nothing running, no first check pending), one at a time, in a fixed priority:
//! a failure, a plan to review, the site answers, the AWS profile, a checkpoint. When standard
//! input is a terminal the structured questions use inquire (no crossterm event stream is alive
//! meanwhile); otherwise every answer is one plain line read from standard input, so a script
//! or a test can feed them.

use std::collections::BTreeMap;
use std::io::{self, BufRead, IsTerminal, Write};

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::draw::status_words;
use super::form::{FieldId, SiteForm};
use super::keys::{DESTROY_WORD, play_label};
use super::text::{self, COST_TOTAL, COSTS, labelled_outputs, next_steps};
use super::{Background, UiError, UiOptions};
use crate::effects::Handlers;
use crate::runtime::JournalStore;
use crate::site::Parts;
use crate::terraform::events::Action as TfAction;
use crate::wizard::state::RowState;
use crate::wizard::{Action, Event, Journey, Phase, PhaseStep, Status, StepId, Stop};
use crate::words::DurationStyle;

/// Runs the plain mode on standard input and output. Standard input that is a terminal gets
/// inquire prompts; anything else is read line by line.
pub async fn run_plain(
    opts: UiOptions,
    journey: Journey,
    first: Event,
    handlers: Handlers,
    store: Option<JournalStore>,
) -> Result<(Journey, Stop), UiError> {
    let tty = io::stdin().is_terminal();
    let input = io::BufReader::new(io::stdin());
    run_plain_with(
        opts,
        journey,
        first,
        handlers,
        store,
        input,
        Box::new(io::stdout()),
        tty,
    )
    .await
}

/// The plain mode over any input and output. With `inquire` false every answer is a line of
/// `input` (what tests and scripts use).
#[allow(clippy::too_many_arguments)]
pub async fn run_plain_with<R: BufRead + Send + 'static>(
    opts: UiOptions,
    journey: Journey,
    first: Event,
    handlers: Handlers,
    store: Option<JournalStore>,
    input: R,
    output: Box<dyn Write + Send>,
    inquire: bool,
) -> Result<(Journey, Stop), UiError> {
    let background = Background::start(journey, first, handlers, store);
    let mut plain = Plain::new(opts, output, inquire, background.input(), input);
    let result = plain.run(background.snapshots()).await;
    let (journey, stop) = background.finish(result).await?;
    let stop = match (stop, plain.eof_stop.take()) {
        (Stop::Quit, Some(waiting)) => Stop::Waiting(waiting),
        (stop, _) => stop,
    };
    plain.say_stop(&journey, &stop);
    Ok((journey, stop))
}

/// Progress lines from successive snapshots.
#[derive(Debug, Default, Clone)]
pub struct Progress {
    steps: BTreeMap<StepId, (Status, Option<String>)>,
    rows: BTreeMap<String, (RowState, u64)>,
    apply_phase: Option<Phase>,
    summary: Option<String>,
    nameservers: Vec<String>,
    notice: Option<String>,
    identity: Option<String>,
}

fn verb(action: Option<&TfAction>) -> (&'static str, &'static str) {
    match action {
        Some(TfAction::Update) => ("updating", "updated"),
        Some(TfAction::Replace) => ("replacing", "replaced"),
        Some(TfAction::Delete) => ("destroying", "destroyed"),
        Some(TfAction::Read) => ("reading", "read"),
        _ => ("creating", "created"),
    }
}

impl Progress {
    /// The lines that describe what changed since the last call.
    pub fn lines(&mut self, j: &Journey) -> Vec<String> {
        let mut out = Vec::new();
        // What terraform did first, then what it means for the steps.
        self.apply_lines(j, &mut out);
        for step in StepId::ALL {
            let st = j.state(step);
            let now = (st.status, st.detail.clone());
            let before = self.steps.insert(step, now.clone());
            if before.as_ref() == Some(&now) || st.status == Status::NotYet || step == StepId::Done
            {
                continue;
            }
            let words = if j.could_not_check(step).is_some() {
                crate::ui::draw::COULD_NOT_CHECK
            } else {
                status_words(st.status)
            };
            let mut line = format!("{}: {words}", step.title());
            if let Some(d) = &st.detail {
                line.push_str(": ");
                line.push_str(d);
            }
            out.push(line);
            if step.is_checkpoint()
                && let Some(r) = j.facts.checks.get(&step)
            {
                for l in &r.lines {
                    out.push(format!("  {l}"));
                }
            }
            if step == StepId::Generate && st.status == Status::Done {
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                for f in &j.facts.files {
                    *counts.entry(f.change.label()).or_default() += 1;
                }
                if !counts.is_empty() {
                    let parts: Vec<String> =
                        counts.iter().map(|(c, n)| format!("{n} {c}")).collect();
                    out.push(format!("  terraform/: {}", parts.join(", ")));
                }
            }
        }
        if j.facts.identity != self.identity {
            self.identity = j.facts.identity.clone();
            if let Some(id) = &j.facts.identity {
                out.push(format!("  AWS identity: {id}"));
            }
            if let Some(w) = &j.facts.identity_warning {
                out.push(format!("  Warning: {w}"));
            }
        }
        if j.facts.nameservers != self.nameservers {
            self.nameservers = j.facts.nameservers.clone();
            if !self.nameservers.is_empty() {
                out.push("Nameservers to set at your registrar:".into());
                for ns in crate::clipboard::nameservers_text(&self.nameservers, false).lines() {
                    out.push(format!("  {ns}"));
                }
            }
        }
        if j.facts.notice != self.notice {
            self.notice = j.facts.notice.clone();
            if let Some(n) = &self.notice {
                out.push(format!("Note: {n}"));
            }
        }
        out
    }

    fn apply_lines(&mut self, j: &Journey, out: &mut Vec<String>) {
        if j.facts.apply.phase != self.apply_phase {
            self.apply_phase = j.facts.apply.phase;
            self.rows.clear();
            self.summary = None;
        }
        for r in &j.facts.apply.rows {
            let minutes = r.elapsed_secs / 60;
            let before = self.rows.insert(r.address.clone(), (r.state, minutes));
            let (ing, ed) = verb(r.action.as_ref());
            match (before, r.state) {
                (None, RowState::Pending) => {}
                (None, _) => out.extend(row_line(r, ing, ed)),
                (Some((s, _)), now) if s != now => out.extend(row_line(r, ing, ed)),
                (Some((RowState::Running, m)), RowState::Running) if minutes > m => {
                    out.push(format!(
                        "  still {ing} {} ({} elapsed)",
                        r.name,
                        crate::words::seconds(r.elapsed_secs, DurationStyle::Clock)
                    ));
                }
                _ => {}
            }
        }
        if j.facts.apply.summary != self.summary {
            self.summary = j.facts.apply.summary.clone();
            if let Some(s) = &self.summary {
                out.push(format!("  {s}"));
            }
        }
    }
}

fn row_line(r: &crate::wizard::state::ApplyRow, ing: &str, ed: &str) -> Vec<String> {
    match r.state {
        RowState::Pending => vec![],
        RowState::Running => vec![format!("  {ing} {}", r.name)],
        RowState::Done => vec![format!(
            "  {ed} {}{}",
            r.name,
            if r.elapsed_secs > 0 {
                format!(
                    " ({})",
                    crate::words::seconds(r.elapsed_secs, DurationStyle::Clock)
                )
            } else {
                String::new()
            }
        )],
        RowState::Failed => {
            let _ = ing;
            let mut v = vec![format!("  FAILED to {} {}", r.action_label(), r.name)];
            if let Some(e) = &r.error {
                v.extend(
                    e.lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| format!("    {}", l.trim())),
                );
            }
            v
        }
    }
}

/// What the plain mode is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Question {
    Failed(StepId),
    Profile,
    Site(FieldId),
    Plan {
        phase: Phase,
        typed: bool,
    },
    /// A terraform step whose plan was declined: plan again or quit.
    Replan(StepId),
    Checkpoint(StepId),
    SesSubmit,
    SesEdit,
    /// A terminal line read is outstanding while an inquire question waits.
    Continue,
}

/// A question in flight: a line read, or an inquire prompt on a blocking thread.
enum Asking {
    Line(Question),
    Inquire(Question, JoinHandle<InquireAnswer>),
}

#[derive(Debug)]
enum InquireAnswer {
    Text(String),
    /// Esc or Ctrl-C in the prompt.
    Cancelled,
    Failed(String),
}

/// Reads one line of input per request, on a thread of its own (a blocked read cannot be
/// cancelled, so it is only ever started when an answer is wanted).
struct LineReader {
    request: std::sync::mpsc::Sender<()>,
    lines: mpsc::UnboundedReceiver<io::Result<Option<String>>>,
    outstanding: bool,
}

impl LineReader {
    fn new<R: BufRead + Send + 'static>(mut input: R) -> Self {
        let (req_tx, req_rx) = std::sync::mpsc::channel::<()>();
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            while req_rx.recv().is_ok() {
                let mut line = String::new();
                let r = match input.read_line(&mut line) {
                    Ok(0) => Ok(None),
                    Ok(_) => Ok(Some(line.trim_end_matches(['\n', '\r']).to_string())),
                    Err(e) => Err(e),
                };
                let eof = !matches!(r, Ok(Some(_)));
                if tx.send(r).is_err() || eof {
                    return;
                }
            }
        });
        Self {
            request: req_tx,
            lines: rx,
            outstanding: false,
        }
    }

    fn ask(&mut self) {
        if !self.outstanding && self.request.send(()).is_ok() {
            self.outstanding = true;
        }
    }
}

struct Plain {
    opts: UiOptions,
    out: Box<dyn Write + Send>,
    inquire: bool,
    tx: mpsc::UnboundedSender<Event>,
    reader: LineReader,
    progress: Progress,
    form: SiteForm,
    /// The site question being asked, in order, once the form started.
    in_form: bool,
    /// The notice when the answers were sent; asking again waits for a different one.
    site_sent: Option<Option<String>>,
    asking: Option<Asking>,
    eof: bool,
    /// After an answer: ask nothing until the journey changes, or until the deadline.
    hold: Option<(Journey, Instant)>,
    /// Checkpoints acted on (play, check now): not asked again until their status changes or
    /// the deadline passes.
    acted: BTreeMap<StepId, (Status, Instant)>,
    /// The questions already printed for the current line read (not printed twice).
    printed: Option<Question>,
    ses_lines: Vec<String>,
    /// Lines held back while an inquire prompt has the terminal.
    held_lines: Vec<String>,
    ctrl_c: (u32, Option<Instant>),
    said_done: bool,
    said_aws_wait: Option<Vec<StepId>>,
    quit_sent: bool,
    /// Set when standard input ended while a person was needed: the journey waits on them.
    eof_stop: Option<String>,
    /// Checkpoints already asked about (the second time, the question repeats the headline).
    asked: std::collections::BTreeSet<StepId>,
    /// After the sandbox was asked to play a checkpoint: ask nothing else until that step's
    /// status changes (or the deadline passes), so the next question follows from its result.
    played_hold: Option<(StepId, Status, Instant)>,
    /// Answers refused in a row: from a pipe (`yes | siteup --plain`) they never stop coming.
    refused: u32,
}

/// How many refused answers in a row from a non-terminal input end the session.
const MAX_REFUSED_IN_A_ROW: u32 = 5;

impl Plain {
    fn new<R: BufRead + Send + 'static>(
        opts: UiOptions,
        out: Box<dyn Write + Send>,
        inquire: bool,
        tx: mpsc::UnboundedSender<Event>,
        input: R,
    ) -> Self {
        let form = opts
            .site
            .as_ref()
            .map(SiteForm::from_config)
            .unwrap_or_default();
        Self {
            opts,
            out,
            inquire,
            tx,
            reader: LineReader::new(input),
            progress: Progress::default(),
            form,
            in_form: false,
            site_sent: None,
            asking: None,
            eof: false,
            hold: None,
            acted: BTreeMap::new(),
            printed: None,
            ses_lines: Vec::new(),
            held_lines: Vec::new(),
            ctrl_c: (0, None),
            said_done: false,
            said_aws_wait: None,
            quit_sent: false,
            eof_stop: None,
            asked: Default::default(),
            refused: 0,
            played_hold: None,
        }
    }

    fn say(&mut self, line: impl Into<String>) {
        let line = line.into();
        if matches!(self.asking, Some(Asking::Inquire(..))) {
            self.held_lines.push(line);
            return;
        }
        // Profile names, AWS errors and terraform messages come from outside.
        let _ = writeln!(self.out, "{}", crate::words::printable(&line));
        let _ = self.out.flush();
    }

    /// Says why an answer was refused. From a terminal the person types again; from a pipe the
    /// same wrong answer may come forever, so after a few in a row siteup stops where it is.
    fn refuse(&mut self, j: &Journey, line: impl Into<String>) {
        self.say(line);
        self.refused += 1;
        if !self.inquire && self.refused >= MAX_REFUSED_IN_A_ROW && !self.quit_sent {
            self.say(format!(
                "Standard input gave {} answers in a row that fit no question, so siteup stops here; answer on a terminal, or use `siteup up` in scripts.",
                self.refused
            ));
            self.eof_stop = Some(crate::wizard::update::waiting_message(j));
            self.quit();
        }
    }

    /// Asks the journey to stop; nothing more is asked after this.
    fn quit(&mut self) {
        self.quit_sent = true;
        let _ = self.tx.send(Event::Quit);
    }

    fn send(&mut self, j: &Journey, e: Event, hold: Duration) {
        let _ = self.tx.send(e);
        self.hold = Some((j.clone(), Instant::now() + hold));
    }

    fn say_stop(&mut self, j: &Journey, stop: &Stop) {
        match stop {
            Stop::Done => {
                if !self.said_done {
                    self.summary(j);
                }
            }
            Stop::Waiting(msg) => {
                self.say("Stopped while waiting:");
                for l in msg.lines() {
                    self.say(format!("  {l}"));
                }
                self.say("Everything is saved; run siteup here again to continue.");
            }
            Stop::Failed(msg) => {
                self.say(format!("Stopped: {msg}"));
                self.say("Everything is saved; run siteup here again once it is fixed.");
            }
            Stop::Quit => {
                self.say("Stopped; everything is saved: run siteup here again to continue.");
            }
        }
    }

    fn summary(&mut self, j: &Journey) {
        self.said_done = true;
        self.say("Done: your stack is up.");
        let outputs = labelled_outputs(&j.facts.outputs);
        if !outputs.is_empty() {
            self.say("Outputs:");
            for (label, value) in outputs {
                self.say(format!("  {label}: {value}"));
            }
        }
        self.say("What it costs per month (estimate, light traffic):");
        for (what, cost) in COSTS {
            self.say(format!("  {what}: {cost}"));
        }
        self.say(COST_TOTAL);
        self.say("Next:");
        for (i, s) in next_steps(&j.facts.outputs).into_iter().enumerate() {
            self.say(format!("  {}. {s}", i + 1));
        }
    }

    async fn run(&mut self, mut snapshots: watch::Receiver<Journey>) -> Result<(), UiError> {
        let mut journey = snapshots.borrow_and_update().clone();
        let mut retry_at: Option<Instant> = None;
        loop {
            for l in self.progress.lines(&journey) {
                self.say(l);
            }
            if journey.stop.is_some() {
                return Ok(());
            }
            if journey.all_done() && journey.mode == crate::wizard::Mode::Interactive {
                if !self.said_done {
                    self.summary(&journey);
                    self.quit();
                }
            } else if self.asking.is_none() {
                retry_at = self.maybe_ask(&journey)?;
            } else if let Some(Asking::Line(q)) = &self.asking
                && self.inquire
                && *q != Question::Continue
                && self
                    .next_question(&journey)
                    .0
                    .as_ref()
                    .is_some_and(|n| needs_inquire(n) && n != q)
            {
                // A structured question waits behind a line read: ask for Enter first.
                self.say("(press Enter to go on to the next question)");
                self.asking = Some(Asking::Line(Question::Continue));
                self.printed = Some(Question::Continue);
            }
            let wake = retry_at;
            let reading = matches!(self.asking, Some(Asking::Line(_))) && self.reader.outstanding;
            let inquiring = matches!(self.asking, Some(Asking::Inquire(..)));
            tokio::select! {
                changed = snapshots.changed() => {
                    if changed.is_err() {
                        let last = snapshots.borrow().clone();
                        for l in self.progress.lines(&last) {
                            self.say(l);
                        }
                        return Ok(());
                    }
                    journey = snapshots.borrow_and_update().clone();
                }
                line = self.reader.lines.recv(), if reading => {
                    self.reader.outstanding = false;
                    match line {
                        Some(Ok(Some(l))) => self.answer_line(&journey, l),
                        Some(Ok(None)) | None => {
                            self.eof = true;
                            self.asking = None;
                        }
                        Some(Err(e)) => return Err(UiError::Input(e)),
                    }
                }
                done = async {
                    match &mut self.asking {
                        Some(Asking::Inquire(_, h)) => h.await,
                        _ => std::future::pending().await,
                    }
                }, if inquiring => {
                    let Some(Asking::Inquire(q, _)) = self.asking.take() else { continue };
                    let held = std::mem::take(&mut self.held_lines);
                    for l in held {
                        self.say(l);
                    }
                    match done {
                        Ok(InquireAnswer::Text(t)) => self.answer(&journey, q, t),
                        Ok(InquireAnswer::Cancelled) => {
                            self.quit();
                        }
                        Ok(InquireAnswer::Failed(e)) => {
                            self.say(format!("The prompt failed ({e}); answering line by line instead."));
                            self.inquire = false;
                        }
                        Err(e) => return Err(UiError::Runtime(e.to_string())),
                    }
                }
                _ = async {
                    match wake {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => {}
                _ = tokio::signal::ctrl_c() => self.on_ctrl_c(&journey),
            }
        }
    }

    fn on_ctrl_c(&mut self, j: &Journey) {
        let now = Instant::now();
        let recent = self
            .ctrl_c
            .1
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(10));
        let count = if recent { self.ctrl_c.0 + 1 } else { 1 };
        self.ctrl_c = (count, Some(now));
        if j.busy.is_none() {
            self.quit();
            return;
        }
        match count {
            1 => {
                let _ = self.tx.send(Event::Interrupt);
                self.say("Stopping terraform cleanly: it saves its state and releases the lock (Ctrl-C again for options).");
            }
            2 => self.say("Terraform is still stopping. Killing it can leave the state lock held and a resource half-created; press Ctrl-C once more within 10 seconds to kill it, or wait."),
            _ => {
                let _ = self.tx.send(Event::ForceKill);
                self.say("Killing terraform.");
            }
        }
    }

    /// Whether nothing is moving by itself: no step running, no first check pending.
    fn settled(j: &Journey) -> bool {
        j.busy.is_none()
            && !StepId::ALL.into_iter().any(|s| {
                j.status(s) == Status::Running
                    || (s.is_checkpoint() && j.ready(s) && j.status(s) == Status::NotYet)
            })
    }

    /// The question due now, and when to look again if none is due yet.
    fn next_question(&self, j: &Journey) -> (Option<Question>, Option<Instant>) {
        if self.in_form {
            return (Some(Question::Site(self.form.focus)), None);
        }
        if !Self::settled(j) {
            return (None, None);
        }
        if let Some(step) = StepId::ALL
            .into_iter()
            .find(|s| j.status(*s) == Status::Failed)
        {
            return (Some(Question::Failed(step)), None);
        }
        if let Some((phase, _)) = &j.facts.pending_plan {
            return (
                Some(Question::Plan {
                    phase: *phase,
                    typed: false,
                }),
                None,
            );
        }
        if let Some(step) = StepId::ALL
            .into_iter()
            .find(|s| j.status(*s) == Status::WaitingOnYou && j.offers(*s, Action::Retry))
        {
            return (Some(Question::Replan(step)), None);
        }
        if j.status(StepId::Profile) == Status::WaitingOnYou && j.facts.profile.is_none() {
            let since = j.state(StepId::Profile).since;
            let young =
                since.is_some_and(|s| text::elapsed_secs(s, time::OffsetDateTime::now_utc()) < 3);
            if j.facts.profiles.is_empty() && young {
                return (None, Some(Instant::now() + Duration::from_millis(500)));
            }
            return (Some(Question::Profile), None);
        }
        if j.status(StepId::Site) == Status::WaitingOnYou {
            let saving = self
                .site_sent
                .as_ref()
                .is_some_and(|n| *n == j.facts.notice);
            if !saving {
                return (Some(Question::Site(FieldId::Domain)), None);
            }
        }
        let now = Instant::now();
        let mut wake = None;
        for step in StepId::ALL.into_iter().filter(|s| s.is_checkpoint()) {
            let status = j.status(step);
            let actionable = status == Status::WaitingOnYou
                || (status == Status::WaitingOnAws && j.offers(step, Action::Play));
            if !actionable {
                continue;
            }
            if let Some((was, until)) = self.acted.get(&step)
                && *was == status
                && now < *until
            {
                wake = Some(wake.map_or(*until, |w: Instant| w.min(*until)));
                continue;
            }
            return (Some(Question::Checkpoint(step)), None);
        }
        (None, wake)
    }

    /// Starts the next question if one is due; returns when to look again.
    fn maybe_ask(&mut self, j: &Journey) -> Result<Option<Instant>, UiError> {
        if self.quit_sent {
            return Ok(None);
        }
        if let Some((step, was, until)) = self.played_hold {
            if j.status(step) == was && j.stop.is_none() && Instant::now() < until {
                return Ok(Some(until));
            }
            self.played_hold = None;
        }
        if let Some((at, until)) = &self.hold {
            if same_moment(at, j) && Instant::now() < *until {
                return Ok(Some(*until));
            }
            self.hold = None;
        }
        let (q, wake) = self.next_question(j);
        let Some(q) = q else {
            self.say_aws_wait(j);
            return Ok(wake);
        };
        if let Question::Site(field) = q
            && !self.in_form
        {
            self.in_form = true;
            self.form.focus = field;
            if self.printed.is_none() {
                self.say("Site answers (press Enter to keep the value in brackets):");
            }
        }
        if self.eof {
            // No more answers can come: stop where a person is needed.
            let why = match &q {
                Question::Failed(step) => {
                    let msg = j
                        .state(*step)
                        .detail
                        .unwrap_or_else(|| format!("{} failed.", step.title()));
                    self.quit();
                    self.say(format!(
                        "Standard input ended; {} failed: {msg}",
                        step.title()
                    ));
                    return Ok(None);
                }
                Question::Checkpoint(_) => "a checkpoint waits on you",
                _ => "a question is waiting for an answer",
            };
            self.say(format!("Standard input ended and {why}."));
            self.eof_stop = Some(crate::wizard::update::waiting_message(j));
            self.quit();
            return Ok(None);
        }
        self.ask(j, q);
        Ok(None)
    }

    fn say_aws_wait(&mut self, j: &Journey) {
        if !Self::settled(j) {
            return;
        }
        let waits: Vec<StepId> = StepId::ALL
            .into_iter()
            .filter(|s| j.status(*s) == Status::WaitingOnAws)
            .collect();
        if waits.is_empty() || self.said_aws_wait.as_ref() == Some(&waits) {
            return;
        }
        self.said_aws_wait = Some(waits.clone());
        let names: Vec<&str> = waits.iter().map(|s| s.title()).collect();
        self.say(format!(
            "Waiting on AWS ({}); siteup keeps checking. Ctrl-C quits; everything is saved.",
            names.join(", ")
        ));
    }

    fn ask(&mut self, j: &Journey, q: Question) {
        if self.inquire && needs_inquire(&q) {
            let handle = self.spawn_inquire(j, &q);
            self.asking = Some(Asking::Inquire(q, handle));
            return;
        }
        if self.printed.as_ref() != Some(&q) {
            for l in self.question_lines(j, &q) {
                self.say(l);
            }
        }
        self.printed = Some(q.clone());
        if let Question::Checkpoint(step) = q {
            self.asked.insert(step);
        }
        self.asking = Some(Asking::Line(q));
        self.reader.ask();
    }

    fn question_lines(&self, j: &Journey, q: &Question) -> Vec<String> {
        let mut out = Vec::new();
        match q {
            Question::Failed(step) => {
                let msg = j
                    .state(*step)
                    .detail
                    .unwrap_or_else(|| format!("{} failed.", step.title()));
                out.push(format!("{} failed: {msg}", step.title()));
                if another_profile(j, *step) {
                    out.push("Type r and Enter to try again, c to choose another profile, or q to quit (everything is saved).".into());
                } else {
                    out.push(
                        "Type r and Enter to try again, or q to quit (everything is saved).".into(),
                    );
                }
            }
            Question::Profile => {
                if j.facts.profiles.is_empty() {
                    out.push("No AWS profile was found. Type the name of the profile to use (create one with `aws configure sso`):".into());
                } else {
                    out.push("Choose the AWS profile (number or name; Enter for 1):".into());
                    for (i, p) in j.facts.profiles.iter().enumerate() {
                        let region = p
                            .region
                            .as_deref()
                            .map(|r| format!(", {r}"))
                            .unwrap_or_default();
                        out.push(format!(
                            "  {}. {} ({}{region})",
                            i + 1,
                            p.name(),
                            p.kind.short()
                        ));
                    }
                }
            }
            Question::Site(field) => {
                let default = self.site_default(*field);
                out.push(format!(
                    "{}{}: {}",
                    field.label(),
                    default.map(|d| format!(" [{d}]")).unwrap_or_default(),
                    field.hint()
                ));
            }
            Question::Plan { phase, typed } => {
                if let Some((p, plan)) = &j.facts.pending_plan
                    && p == phase
                {
                    if !*typed {
                        out.push(format!("Plan for {}:", phase.step().title()));
                        out.push(format!("  {}", plan.summary()));
                        if plan.is_destructive() {
                            out.push("  WARNING: this plan destroys or replaces:".into());
                            for d in &plan.dangers {
                                out.push(format!("    - {d}"));
                            }
                        }
                        for w in &plan.warnings {
                            out.push(format!("  Warning: {w}"));
                        }
                        for l in plan.text.lines() {
                            out.push(format!("  | {l}"));
                        }
                    }
                    if plan.is_destructive() && *typed {
                        out.push(format!("Type {DESTROY_WORD} to apply this plan; anything else does not apply it:"));
                    } else {
                        out.push("Apply this plan? [y/N]".into());
                    }
                }
            }
            Question::Checkpoint(step) => {
                if self.asked.contains(step) {
                    let headline = j
                        .facts
                        .checks
                        .get(step)
                        .map(|r| r.headline.clone())
                        .or_else(|| j.state(*step).detail)
                        .unwrap_or_else(|| status_words(j.status(*step)).into());
                    out.push(format!(
                        "{} is still {}: {headline}",
                        step.title(),
                        status_words(j.status(*step))
                    ));
                    if *step == StepId::Nameservers {
                        for ns in
                            crate::clipboard::nameservers_text(&j.facts.nameservers, false).lines()
                        {
                            out.push(format!("  {ns}"));
                        }
                    }
                }
                if *step == StepId::SesProduction
                    && let Some(text) = &j.facts.ses_request
                {
                    out.push("The production-access request siteup would send:".into());
                    for l in text.lines() {
                        out.push(format!("  | {l}"));
                    }
                }
                let mut keys: Vec<String> = checkpoint_choices(j, *step)
                    .into_iter()
                    .map(|(_, words)| words)
                    .collect();
                keys.push("w waits without asking".into());
                keys.push("q quits (everything is saved)".into());
                out.push(format!("{}: {}.", step.title(), keys.join(", ")));
            }
            Question::Replan(step) => {
                out.push(format!(
                    "{}: the plan was not applied. Type r to plan again, or q to quit (everything is saved).",
                    step.title()
                ));
            }
            Question::SesSubmit => out.push("Submit the request to AWS now? [y/N]".into()),
            Question::SesEdit => out
                .push("Type the new request text; end with a line holding only a dot (.):".into()),
            Question::Continue => {}
        }
        out
    }

    fn site_default(&self, field: FieldId) -> Option<String> {
        match field {
            FieldId::Parts => Some(parts_text(&self.form.parts)),
            FieldId::Submit => None,
            _ => {
                let v = self.form.value(field);
                if v.is_empty() { None } else { Some(v) }
            }
        }
    }

    fn answer_line(&mut self, j: &Journey, line: String) {
        let Some(Asking::Line(q)) = self.asking.take() else {
            return;
        };
        self.answer(j, q, line);
    }

    fn answer(&mut self, j: &Journey, q: Question, answer: String) {
        let refused_before = self.refused;
        self.answer_one(j, q, answer);
        if self.refused == refused_before {
            self.refused = 0;
        }
    }

    fn answer_one(&mut self, j: &Journey, q: Question, answer: String) {
        let a = answer.trim().to_string();
        let lower = a.to_ascii_lowercase();
        let hold = Duration::from_secs(10);
        match q {
            Question::Continue => {
                self.printed = None;
            }
            Question::Failed(step) => match lower.as_str() {
                "r" | "retry" => self.send(j, Event::Retry(step), hold),
                "c" if another_profile(j, step) => {
                    self.ask(j, Question::Profile);
                }
                "q" | "quit" => self.quit(),
                _ => {
                    self.refuse(j, "Type r to try again or q to quit.");
                    self.printed = Some(Question::Failed(step));
                }
            },
            Question::Replan(step) => match lower.as_str() {
                "r" | "retry" => self.send(j, Event::Retry(step), hold),
                "q" | "quit" => self.quit(),
                _ => {
                    self.refuse(j, "Type r to plan again or q to quit.");
                    self.printed = Some(Question::Replan(step));
                }
            },
            Question::Profile => {
                let profiles = &j.facts.profiles;
                let chosen = if profiles.is_empty() {
                    (!a.is_empty()).then(|| a.clone())
                } else if a.is_empty() {
                    profiles.first().map(|p| p.name().to_string())
                } else if let Ok(n) = a.parse::<usize>() {
                    n.checked_sub(1)
                        .and_then(|i| profiles.get(i))
                        .map(|p| p.name().to_string())
                } else {
                    profiles
                        .iter()
                        .find(|p| p.name() == a)
                        .map(|p| p.name().to_string())
                };
                match chosen {
                    Some(name) => {
                        self.say(format!("Using the AWS profile {name}."));
                        self.send(j, Event::ProfileChosen(name), hold);
                    }
                    None if profiles.is_empty() => {
                        self.refuse(
                            j,
                            "No profile name was given; create one with `aws configure sso` (or `aws configure --profile NAME`) and type its name.",
                        );
                        self.printed = None;
                    }
                    None => {
                        self.refuse(
                            j,
                            format!(
                                "{} is not one of the profiles; give its number or its name.",
                                crate::words::printable_line(&format!("{a:?}"))
                            ),
                        );
                        self.printed = None;
                    }
                }
            }
            Question::Site(field) => self.answer_site(j, field, &a),
            Question::Plan { phase, typed } => {
                let pending = j.facts.pending_plan.as_ref().filter(|(p, _)| *p == phase);
                let Some((_, plan)) = pending else { return };
                let destructive = plan.is_destructive();
                if typed {
                    let approve = a == DESTROY_WORD;
                    if !approve {
                        self.say("Not applied.");
                    }
                    self.send(j, Event::PlanDecision { phase, approve }, hold);
                } else if matches!(lower.as_str(), "y" | "yes") {
                    if destructive {
                        self.ask(j, Question::Plan { phase, typed: true });
                    } else {
                        self.send(
                            j,
                            Event::PlanDecision {
                                phase,
                                approve: true,
                            },
                            hold,
                        );
                    }
                } else {
                    self.say("Not applied; the step waits until you plan again.");
                    self.send(
                        j,
                        Event::PlanDecision {
                            phase,
                            approve: false,
                        },
                        hold,
                    );
                }
            }
            Question::Checkpoint(step) => {
                let status = j.status(step);
                let now = Instant::now();
                // Only what the question offered is taken.
                let chosen = checkpoint_choices(j, step)
                    .into_iter()
                    .find(|(a, _)| choice_key(*a) == Some(lower.as_str()))
                    .map(|(a, _)| a);
                match (chosen, lower.as_str()) {
                    (Some(Action::CheckNow), _) => {
                        self.acted
                            .insert(step, (status, now + Duration::from_secs(5)));
                        self.send(j, Event::CheckNow(step), Duration::from_secs(5));
                    }
                    (Some(Action::Play), _) => {
                        self.say(format!("Asking the sandbox to {}.", play_label(step)));
                        self.acted
                            .insert(step, (status, now + Duration::from_secs(60)));
                        self.played_hold = Some((step, status, now + Duration::from_secs(60)));
                        self.send(j, Event::PlayHuman(step), Duration::from_secs(60));
                    }
                    (Some(Action::ResendMail), _) => {
                        self.acted
                            .insert(step, (status, now + Duration::from_secs(30)));
                        self.send(j, Event::ResendMail(step), Duration::from_secs(5));
                    }
                    (Some(Action::SubmitSesRequest), _) => {
                        self.ask(j, Question::SesSubmit);
                    }
                    (Some(Action::EditSesRequest), _) => {
                        self.ses_lines.clear();
                        self.ask(j, Question::SesEdit);
                    }
                    (_, "w" | "wait") => {
                        self.acted
                            .insert(step, (status, now + Duration::from_secs(24 * 3600)));
                        self.say(format!(
                            "{}: siteup keeps checking and says when it changes.",
                            step.title()
                        ));
                    }
                    (_, "q" | "quit") => self.quit(),
                    _ => {
                        self.refuse(j, "That is not one of the choices above.");
                        self.printed = None;
                    }
                }
            }
            Question::SesSubmit => {
                if matches!(lower.as_str(), "y" | "yes") {
                    self.acted.insert(
                        StepId::SesProduction,
                        (
                            j.status(StepId::SesProduction),
                            Instant::now() + Duration::from_secs(30),
                        ),
                    );
                    self.send(j, Event::SubmitSesRequest, hold);
                } else {
                    self.say("Not submitted.");
                }
            }
            Question::SesEdit => {
                if a == "." {
                    let text = std::mem::take(&mut self.ses_lines).join("\n");
                    self.send(j, Event::EditSesRequest(text), Duration::from_secs(2));
                } else {
                    self.ses_lines.push(answer);
                    self.printed = Some(Question::SesEdit);
                    self.asking = Some(Asking::Line(Question::SesEdit));
                    self.reader.ask();
                }
            }
        }
    }

    fn answer_site(&mut self, j: &Journey, field: FieldId, a: &str) {
        if field == FieldId::Parts {
            if !a.is_empty() {
                match Parts::parse_list(a) {
                    Ok(p) => self.form.parts = p,
                    Err(e) => {
                        self.refuse(j, e.message);
                        self.printed = None;
                        return;
                    }
                }
            }
        } else if !a.is_empty() {
            self.form.set(field, a);
        }
        if let Err(e) = self.form.check(field) {
            self.refuse(j, e);
            if !a.is_empty() {
                self.form.set(field, "");
            }
            self.printed = None;
            return;
        }
        self.printed = None;
        if field != FieldId::Parts {
            self.form.next();
            return;
        }
        match self.form.build() {
            Ok(config) => {
                self.in_form = false;
                self.say(format!(
                    "Saving the answers for {} to siteup.toml.",
                    config.domain.as_str()
                ));
                self.site_sent = Some(j.facts.notice.clone());
                self.send(
                    j,
                    Event::SubmitSite(Box::new(config)),
                    Duration::from_secs(10),
                );
            }
            Err((f, e)) => {
                self.say(e);
                self.form.focus = if f == FieldId::Submit {
                    FieldId::Domain
                } else {
                    f
                };
            }
        }
    }

    fn spawn_inquire(&self, j: &Journey, q: &Question) -> JoinHandle<InquireAnswer> {
        use inquire::validator::Validation;
        let color = self.opts.color;
        let config = if color {
            inquire::ui::RenderConfig::default_colored()
        } else {
            inquire::ui::RenderConfig::empty()
        };
        let lines = self.question_lines(j, q);
        let q = q.clone();
        let form = self.form.clone();
        let profiles: Vec<String> = j
            .facts
            .profiles
            .iter()
            .map(|p| {
                crate::words::printable_line(&format!("{} ({})", p.name(), p.kind.short()))
                    .into_owned()
            })
            .collect();
        let names: Vec<String> = j
            .facts
            .profiles
            .iter()
            .map(|p| p.name().to_string())
            .collect();
        let default = match &q {
            Question::Site(f) => self.site_default(*f),
            _ => None,
        };
        tokio::task::spawn_blocking(move || {
            let to_answer = |r: inquire::error::InquireResult<String>| match r {
                Ok(s) => InquireAnswer::Text(s),
                Err(
                    inquire::InquireError::OperationCanceled
                    | inquire::InquireError::OperationInterrupted,
                ) => InquireAnswer::Cancelled,
                Err(e) => InquireAnswer::Failed(e.to_string()),
            };
            let confirm = |msg: &str| {
                to_answer(
                    inquire::Confirm::new(msg)
                        .with_default(false)
                        .with_render_config(config)
                        .prompt()
                        .map(|b| if b { "y".to_string() } else { "n".to_string() }),
                )
            };
            // Context lines (the plan, the headline) go first, as plain text; the site and
            // profile prompts carry their own.
            let (context, message) = match lines.split_last() {
                _ if matches!(q, Question::Site(_))
                    || (q == Question::Profile && !profiles.is_empty()) =>
                {
                    (vec![], String::new())
                }
                Some((last, rest)) => (rest.to_vec(), last.clone()),
                None => (vec![], String::new()),
            };
            {
                let mut out = io::stdout().lock();
                for l in &context {
                    let _ = writeln!(out, "{}", crate::words::printable(l));
                }
                let _ = out.flush();
            }
            match q {
                Question::Profile if !profiles.is_empty() => {
                    let r = inquire::Select::new("AWS profile", profiles.clone())
                        .with_render_config(config)
                        .raw_prompt()
                        .map(|o| names.get(o.index).cloned().unwrap_or_default());
                    to_answer(r)
                }
                Question::Plan { typed: false, .. } => confirm("Apply this plan?"),
                Question::SesSubmit => confirm("Submit the request to AWS now?"),
                Question::Site(field) => {
                    let validator = move |s: &str| {
                        let mut f = form.clone();
                        if field == FieldId::Parts {
                            return Ok(
                                match Parts::parse_list(if s.trim().is_empty() { "all" } else { s })
                                {
                                    Ok(_) => Validation::Valid,
                                    Err(e) => Validation::Invalid(e.message.into()),
                                },
                            );
                        }
                        if !s.trim().is_empty() {
                            f.set(field, s);
                        }
                        Ok(match f.check(field) {
                            Ok(()) => Validation::Valid,
                            Err(e) => Validation::Invalid(e.into()),
                        })
                    };
                    let mut t = inquire::Text::new(field.label())
                        .with_help_message(field.hint())
                        .with_validator(validator)
                        .with_render_config(config);
                    if let Some(d) = default.as_deref() {
                        t = t.with_default(d);
                    }
                    to_answer(t.prompt())
                }
                _ => to_answer(
                    inquire::Text::new(&message)
                        .with_render_config(config)
                        .prompt(),
                ),
            }
        })
    }
}

/// Whether a question is asked with inquire on a terminal (the rest are line reads).
/// Whether nothing the next question depends on changed between two snapshots: the steps,
/// what runs, the pending plan, the profile, the notice and how the journey stopped. Facts that
/// arrive in the background (a composed SES request, check details, the re-check schedule) do
/// not release a hold: after "p", the played checkpoint's own result is what the user waits for.
fn same_moment(a: &Journey, b: &Journey) -> bool {
    a.steps == b.steps
        && a.busy == b.busy
        && a.stop == b.stop
        && a.facts.pending_plan == b.facts.pending_plan
        && a.facts.profile == b.facts.profile
        && a.facts.profiles == b.facts.profiles
        && a.facts.notice == b.facts.notice
}

/// Whether a failed step's question also offers choosing another AWS profile.
fn another_profile(j: &Journey, step: StepId) -> bool {
    step == StepId::Profile
        && !j.facts.profiles.is_empty()
        && j.offers(StepId::Profile, Action::ChooseProfile)
}

/// The answer that picks an action at a checkpoint question.
fn choice_key(a: Action) -> Option<&'static str> {
    match a {
        Action::CheckNow => Some(""),
        Action::Play => Some("p"),
        Action::ResendMail => Some("r"),
        Action::SubmitSesRequest => Some("s"),
        Action::EditSesRequest => Some("e"),
        _ => None,
    }
}

/// What a checkpoint question offers, in the words of the question: exactly the core's actions
/// at the step that have an answer (quit and wait are added by the question). Every action
/// with a `choice_key` is listed here.
pub(crate) fn checkpoint_choices(j: &Journey, step: StepId) -> Vec<(Action, String)> {
    // Enter first, and the request's submit before its edit ("e edits it").
    [
        Action::CheckNow,
        Action::Play,
        Action::ResendMail,
        Action::SubmitSesRequest,
        Action::EditSesRequest,
    ]
    .into_iter()
    .filter(|a| j.offers(step, *a))
    .filter_map(|a| {
        let words = match a {
            Action::CheckNow => "Enter checks now".to_string(),
            Action::Play => format!("p lets the sandbox {}", play_label(step)),
            Action::ResendMail => "r sends the mail again".into(),
            Action::SubmitSesRequest => "s submits the request".into(),
            Action::EditSesRequest => "e edits it".into(),
            _ => return None,
        };
        Some((a, words))
    })
    .collect()
}

fn needs_inquire(q: &Question) -> bool {
    matches!(
        q,
        Question::Profile | Question::Site(_) | Question::Plan { .. } | Question::SesSubmit
    )
}

fn parts_text(p: &Parts) -> String {
    if *p == Parts::all() {
        return "all".into();
    }
    let on: Vec<&str> = p.enabled().iter().map(|x| x.key()).collect();
    if on.is_empty() {
        "none".into()
    } else {
        on.join(",")
    }
}
