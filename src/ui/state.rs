//! What the full-screen wizard remembers besides the journey: which pane is open, cursors,
//! scroll offsets, the open dialog, the form. Drawing is a pure function of
//! `(&Journey, &UiState)`; only key handling and [`UiState::observe`] change this.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use time::OffsetDateTime;
use tui_input::Input;

use super::UiOptions;
use super::editor::TextEditor;
use super::form::SiteForm;
use super::text;
use super::theme::{Glyphs, Theme};
use crate::wizard::state::RowState;
use crate::wizard::{Journey, Phase, PhaseStep, Status, StepId};

/// The smallest terminal the layout is drawn in; below it a message asks for more room.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// A question that takes over the keys until it is answered.
#[derive(Debug, Clone)]
pub enum Dialog {
    /// `q` while terraform runs.
    ConfirmQuit,
    /// A second Ctrl-C while terraform is stopping.
    ForceKill,
    /// Submit the SES production-access request.
    SubmitSes,
    /// A destructive plan: type the word to apply.
    TypedConfirm {
        phase: Phase,
        word: String,
        input: Input,
        wrong: bool,
    },
}

/// Whether the site form takes the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormMode {
    /// Editing while the answers are awaited.
    Auto,
    /// The user left the form (Esc).
    Left,
    /// The user opened the form again (e) to change saved answers.
    Editing,
}

/// The step the screen follows when the user has not chosen one: a failure first, then a plan
/// awaiting a decision (nothing moves until it is decided, while checkpoints keep polling by
/// themselves), then the journey's current step.
pub fn follow(j: &Journey) -> StepId {
    if let Some(step) = StepId::ALL
        .into_iter()
        .find(|s| j.status(*s) == Status::Failed)
    {
        return step;
    }
    if let Some((phase, _)) = &j.facts.pending_plan {
        return phase.step();
    }
    j.current_step()
}

#[derive(Debug, Clone)]
pub struct UiState {
    /// The time the screen is drawn for (set before each draw).
    pub now: OffsetDateTime,
    /// The terminal's size at the last draw.
    pub size: (u16, u16),
    pub theme: Theme,
    pub glyphs: Glyphs,
    /// The step whose pane the user chose; `None` follows the journey's current step.
    pub selected: Option<StepId>,
    pub help: bool,
    pub dialog: Option<Dialog>,
    /// Steps whose status changed while their pane was not open.
    pub flipped: BTreeSet<StepId>,
    pub profile_cursor: usize,
    pub form: SiteForm,
    pub form_mode: FormMode,
    /// The notice shown when the answers were sent (a different one means saving failed).
    pub form_sent_notice: Option<Option<String>>,
    pub files_cursor: usize,
    /// Scroll offset of the open pane's long content (plan text, diff, apply rows).
    pub scroll: u16,
    pub trailing_dots: bool,
    pub registrar_hints: bool,
    /// The SES request being edited.
    pub ses_editor: Option<TextEditor>,
    pub output_cursor: usize,
    /// The first Ctrl-C went to terraform.
    pub interrupt_sent: bool,
    /// For each running apply row: terraform's elapsed seconds and when that value was first
    /// seen, so the row's clock runs between terraform's progress messages.
    pub row_clock: BTreeMap<String, (u64, OffsetDateTime)>,
    /// The user asked to quit; waiting for the runtime to stop.
    pub quitting: bool,
    /// The domain, for the header and the sender address.
    pub domain: Option<String>,
    /// Statuses at the last snapshot, to see flips.
    statuses: BTreeMap<StepId, Status>,
    /// The pane shown at the last snapshot or key.
    last_shown: Option<StepId>,
}

impl UiState {
    pub fn new(opts: &UiOptions, now: OffsetDateTime) -> Self {
        let form = opts
            .site
            .as_ref()
            .map(SiteForm::from_config)
            .unwrap_or_default();
        Self {
            now,
            size: (80, 24),
            theme: Theme::new(opts.color),
            glyphs: Glyphs::new(opts.unicode),
            selected: None,
            help: false,
            dialog: None,
            flipped: BTreeSet::new(),
            profile_cursor: 0,
            form,
            form_mode: FormMode::Auto,
            form_sent_notice: None,
            files_cursor: 0,
            scroll: 0,
            trailing_dots: false,
            registrar_hints: false,
            ses_editor: None,
            output_cursor: 0,
            interrupt_sent: false,
            row_clock: BTreeMap::new(),
            quitting: false,
            domain: opts.site.as_ref().map(|s| s.domain.as_str().to_string()),
            statuses: BTreeMap::new(),
            last_shown: None,
        }
    }

    /// The step whose pane is open.
    pub fn shown(&self, j: &Journey) -> StepId {
        self.selected.unwrap_or_else(|| follow(j))
    }

    /// Whether the site form takes the keys.
    pub fn form_active(&self, j: &Journey) -> bool {
        self.shown(j) == StepId::Site
            && match self.form_mode {
                FormMode::Auto => j.status(StepId::Site) == Status::WaitingOnYou,
                FormMode::Left => false,
                FormMode::Editing => true,
            }
    }

    /// Whether the answers were sent and are being saved.
    pub fn form_saving(&self, j: &Journey) -> bool {
        self.form_sent_notice
            .as_ref()
            .is_some_and(|n| *n == j.facts.notice)
            && j.status(StepId::Site) != Status::Done
    }

    /// Whether keys go to a text field (so letters are typed, not commands).
    pub fn editing(&self, j: &Journey) -> bool {
        self.form_active(j) || (self.ses_editor.is_some() && self.shown(j) == StepId::SesProduction)
    }

    /// Whether the terminal is too small for the layout.
    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Takes in a new journey snapshot: flips, row clocks, dialogs that no longer apply.
    pub fn observe(&mut self, j: &Journey) {
        // Keep the open pane while the user edits or answers a dialog.
        if self.selected.is_none()
            && (self.editing_pinned() || self.dialog.is_some())
            && let Some(last) = self.last_shown
        {
            self.selected = Some(last);
        }
        let shown = self.shown(j);
        for step in StepId::ALL {
            let status = j.status(step);
            // A checkpoint that passes or any step that fails while its pane is not open is
            // marked until the user looks at it.
            if let Some(before) = self.statuses.get(&step)
                && *before != status
                && step != shown
                && ((status == Status::Done && step.is_checkpoint()) || status == Status::Failed)
            {
                self.flipped.insert(step);
            }
            self.statuses.insert(step, status);
        }
        self.note_shown(shown);
        // Row clocks: restart a row's local clock whenever terraform reports a new elapsed.
        let mut clocks = BTreeMap::new();
        for row in &j.facts.apply.rows {
            if row.state != RowState::Running {
                continue;
            }
            let entry = match self.row_clock.get(&row.address) {
                Some((secs, at)) if *secs == row.elapsed_secs => (*secs, *at),
                _ => (row.elapsed_secs, self.now),
            };
            clocks.insert(row.address.clone(), entry);
        }
        self.row_clock = clocks;
        if j.busy.is_none() {
            self.interrupt_sent = false;
            if matches!(self.dialog, Some(Dialog::ForceKill | Dialog::ConfirmQuit)) {
                self.dialog = None;
            }
        }
        if let Some(Dialog::TypedConfirm { phase, .. }) = &self.dialog
            && j.facts.pending_plan.as_ref().map(|(p, _)| *p) != Some(*phase)
        {
            self.dialog = None;
        }
        if self.form_mode == FormMode::Editing
            && j.status(StepId::Site) == Status::Done
            && self.form_sent_notice.is_some()
        {
            self.form_mode = FormMode::Auto;
            self.form_sent_notice = None;
        }
        if let Some(url) = j.facts.outputs.get(crate::tfgen::names::output::SITE_URL)
            && self.domain.is_none()
        {
            self.domain = Some(url.trim_start_matches("https://").to_string());
        }
    }

    fn editing_pinned(&self) -> bool {
        self.ses_editor.is_some()
            || matches!(self.form_mode, FormMode::Editing)
            || (self.last_shown == Some(StepId::Site)
                && self.form_mode == FormMode::Auto
                && self.form_sent_notice.is_none()
                && self.statuses.get(&StepId::Site) == Some(&Status::WaitingOnYou))
    }

    /// Records the open pane; a new pane starts at the top and is no longer "flipped".
    pub fn note_shown(&mut self, shown: StepId) {
        if self.last_shown != Some(shown) {
            self.scroll = 0;
            self.last_shown = Some(shown);
        }
        self.flipped.remove(&shown);
    }

    /// A running row's elapsed seconds, continued locally between terraform's reports.
    pub fn row_elapsed(&self, address: &str, reported: u64) -> u64 {
        match self.row_clock.get(address) {
            Some((secs, at)) => secs + text::elapsed_secs(*at, self.now),
            None => reported,
        }
    }

    /// How long until a clock on screen changes, or `None` when no clock is shown (then the
    /// loop sleeps until the next event).
    pub fn next_tick(&self, j: &Journey) -> Option<Duration> {
        if self.too_small() || self.help {
            return None;
        }
        let mut next: Option<time::Duration> = None;
        let mut consider = |d: time::Duration| {
            next = Some(next.map_or(d, |n: time::Duration| n.min(d)));
        };
        for step in StepId::ALL {
            let st = j.state(step);
            let Some(since) = st.since else { continue };
            let elapsed = (self.now - since).max(time::Duration::ZERO);
            let period = if st.status == Status::Running {
                time::Duration::SECOND
            } else if st.status.is_waiting() && step.is_checkpoint() {
                time::Duration::MINUTE
            } else {
                continue;
            };
            let into = time::Duration::nanoseconds(
                (elapsed.whole_nanoseconds() % period.whole_nanoseconds()) as i64,
            );
            consider(period - into);
        }
        next.map(|d| {
            let ms = d.whole_milliseconds().clamp(0, 60_000) as u64;
            Duration::from_millis(ms + 5)
        })
    }
}
