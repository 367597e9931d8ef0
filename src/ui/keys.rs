//! Keys: what each key does on each pane, and the hints the bottom bar and the help show.
//! [`on_key`] is pure apart from the `UiState` it updates: it returns what the loop must do.
//!
//! Which journey actions exist at a step is the core's decision ([`Journey::offers`]): a key
//! sends an event only for an action the core offers, and the hints list exactly those (plus
//! the keys that only move the view: scroll, copy, Tab, help).

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::backend::crossterm::EventHandler;

use super::editor::TextEditor;
use super::form::FieldId;
use super::state::{Dialog, FormMode, UiState};
use crate::wizard::{Action as Offer, Event, Journey, Phase, PhaseStep, Status, StepId};

/// What the loop does after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send an event to the journey.
    Send(Event),
    /// Copy text to the clipboard; `what` names it in the notice.
    Copy { text: String, what: String },
    /// Ctrl-Z: give the terminal back and stop until resumed.
    Suspend,
}

/// The word a destructive plan needs typed before it is applied.
pub const DESTROY_WORD: &str = "destroy";

fn send(e: Event) -> Vec<Action> {
    vec![Action::Send(e)]
}

/// Handles one key. Returns what to do; the screen is redrawn after every key.
pub fn on_key(ui: &mut UiState, j: &Journey, key: KeyEvent) -> Vec<Action> {
    if !matches!(key.kind, KeyEventKind::Press | KeyEventKind::Repeat) {
        return vec![];
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c')) {
        return ctrl_c(ui, j);
    }
    if ctrl && matches!(key.code, KeyCode::Char('z')) {
        return vec![Action::Suspend];
    }
    if ui.dialog.is_some() {
        return dialog_key(ui, j, key);
    }
    if ui.help {
        ui.help = false;
        return vec![];
    }
    let shown = ui.shown(j);
    if ui.form_active(j) {
        return form_key(ui, j, key);
    }
    if shown == StepId::SesProduction
        && let Some(editor) = ui.ses_editor.as_mut()
    {
        if key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('s')) {
            let text = editor.text();
            ui.ses_editor = None;
            return send(Event::EditSesRequest(text));
        }
        editor.handle(&key);
        return vec![];
    }
    // Keys that work everywhere.
    match key.code {
        KeyCode::Char('?') | KeyCode::F(1) => {
            ui.help = true;
            return vec![];
        }
        KeyCode::Char('q') => return quit(ui, j),
        KeyCode::Tab | KeyCode::Right => {
            move_step(ui, j, 1);
            return vec![];
        }
        KeyCode::BackTab | KeyCode::Left => {
            move_step(ui, j, -1);
            return vec![];
        }
        KeyCode::Esc => {
            ui.selected = None;
            let now_shown = ui.shown(j);
            ui.note_shown(now_shown);
            return vec![];
        }
        KeyCode::PageDown => {
            ui.scroll = ui.scroll.saturating_add(10);
            return vec![];
        }
        KeyCode::PageUp => {
            ui.scroll = ui.scroll.saturating_sub(10);
            return vec![];
        }
        _ => {}
    }
    if key.code == KeyCode::Char('r') && j.offers(shown, Offer::Retry) {
        return send(Event::Retry(shown));
    }
    match shown {
        StepId::Preflight | StepId::Profile => profile_key(ui, j, key),
        StepId::Site => {
            if matches!(key.code, KeyCode::Char('e') | KeyCode::Enter)
                && j.offers(StepId::Site, Offer::EditAnswers)
            {
                ui.form_mode = FormMode::Editing;
                ui.selected = Some(StepId::Site);
            }
            vec![]
        }
        StepId::Generate => {
            match key.code {
                KeyCode::Down | KeyCode::Char('j') if ui.files_cursor + 1 < j.facts.files.len() => {
                    ui.files_cursor += 1;
                    ui.scroll = 0;
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    ui.files_cursor = ui.files_cursor.saturating_sub(1);
                    ui.scroll = 0;
                }
                _ => {}
            }
            vec![]
        }
        StepId::State | StepId::Foundation | StepId::Stack => phase_key(ui, j, shown, key),
        StepId::Nameservers => match key.code {
            KeyCode::Char('c') if !j.facts.nameservers.is_empty() => vec![Action::Copy {
                text: crate::clipboard::nameservers_text(&j.facts.nameservers, ui.trailing_dots),
                what: "The four nameservers".into(),
            }],
            KeyCode::Char('.') => {
                ui.trailing_dots = !ui.trailing_dots;
                vec![]
            }
            KeyCode::Char('h') => {
                ui.registrar_hints = !ui.registrar_hints;
                ui.scroll = 0;
                vec![]
            }
            _ => checkpoint_key(ui, j, shown, key),
        },
        StepId::EmailDomain | StepId::Inbox => match key.code {
            KeyCode::Char('r') if j.offers(StepId::Inbox, Offer::ResendMail) => {
                send(Event::ResendMail(StepId::Inbox))
            }
            KeyCode::Char('p') if j.offers(StepId::Inbox, Offer::Play) => {
                send(Event::PlayHuman(StepId::Inbox))
            }
            _ => checkpoint_key(ui, j, shown, key),
        },
        StepId::Alerts => match key.code {
            KeyCode::Char('r') if j.offers(StepId::Alerts, Offer::ResendMail) => {
                send(Event::ResendMail(StepId::Alerts))
            }
            _ => checkpoint_key(ui, j, shown, key),
        },
        StepId::SesProduction => match key.code {
            KeyCode::Char('e') => {
                if let Some(text) = &j.facts.ses_request
                    && j.offers(StepId::SesProduction, Offer::EditSesRequest)
                {
                    ui.ses_editor = Some(TextEditor::new(text));
                    ui.selected = Some(StepId::SesProduction);
                }
                vec![]
            }
            KeyCode::Char('c') => match &j.facts.ses_request {
                Some(text) => vec![Action::Copy {
                    text: text.clone(),
                    what: "The request text".into(),
                }],
                None => vec![],
            },
            KeyCode::Char('s') => {
                if j.offers(StepId::SesProduction, Offer::SubmitSesRequest) {
                    ui.dialog = Some(Dialog::SubmitSes);
                }
                vec![]
            }
            _ => checkpoint_key(ui, j, shown, key),
        },
        StepId::Edge => checkpoint_key(ui, j, shown, key),
        StepId::Done => {
            let outputs = super::text::labelled_outputs(&j.facts.outputs);
            match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    if ui.output_cursor + 1 < outputs.len() {
                        ui.output_cursor += 1;
                    }
                    vec![]
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    ui.output_cursor = ui.output_cursor.saturating_sub(1);
                    vec![]
                }
                KeyCode::Char('c') | KeyCode::Enter => outputs
                    .get(ui.output_cursor)
                    .map(|(label, value)| {
                        vec![Action::Copy {
                            text: value.clone(),
                            what: label.clone(),
                        }]
                    })
                    .unwrap_or_default(),
                KeyCode::Char(d @ '1'..='9') => {
                    let i = (d as usize) - ('1' as usize);
                    match outputs.get(i) {
                        Some((label, value)) => {
                            ui.output_cursor = i;
                            vec![Action::Copy {
                                text: value.clone(),
                                what: label.clone(),
                            }]
                        }
                        None => vec![],
                    }
                }
                _ => vec![],
            }
        }
    }
}

fn ctrl_c(ui: &mut UiState, j: &Journey) -> Vec<Action> {
    if j.busy.is_some() {
        if matches!(ui.dialog, Some(Dialog::ForceKill)) {
            return vec![];
        }
        if ui.interrupt_sent {
            ui.dialog = Some(Dialog::ForceKill);
            return vec![];
        }
        ui.interrupt_sent = true;
        return send(Event::Interrupt);
    }
    ui.dialog = None;
    ui.quitting = true;
    send(Event::Quit)
}

fn quit(ui: &mut UiState, j: &Journey) -> Vec<Action> {
    if j.busy.is_some() {
        ui.dialog = Some(Dialog::ConfirmQuit);
        return vec![];
    }
    ui.quitting = true;
    send(Event::Quit)
}

fn move_step(ui: &mut UiState, j: &Journey, delta: isize) {
    let shown = ui.shown(j);
    let i = StepId::ALL.iter().position(|s| *s == shown).unwrap_or(0) as isize;
    let n = StepId::ALL.len() as isize;
    let next = StepId::ALL[(i + delta).clamp(0, n - 1) as usize];
    ui.selected = Some(next);
    ui.note_shown(next);
}

fn dialog_key(ui: &mut UiState, j: &Journey, key: KeyEvent) -> Vec<Action> {
    let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
    let Some(dialog) = ui.dialog.take() else {
        return vec![];
    };
    match dialog {
        Dialog::ConfirmQuit => {
            if yes {
                ui.quitting = true;
                return send(Event::Quit);
            }
        }
        Dialog::ForceKill => {
            if yes && j.busy.is_some() {
                return send(Event::ForceKill);
            }
        }
        Dialog::SubmitSes => {
            if yes {
                return send(Event::SubmitSesRequest);
            }
        }
        Dialog::TypedConfirm {
            phase,
            word,
            mut input,
            ..
        } => match key.code {
            KeyCode::Esc => {}
            KeyCode::Enter => {
                if input.value().trim() == word {
                    return send(Event::PlanDecision {
                        phase,
                        approve: true,
                    });
                }
                ui.dialog = Some(Dialog::TypedConfirm {
                    phase,
                    word,
                    input,
                    wrong: true,
                });
            }
            _ => {
                input.handle_event(&TermEvent::Key(key));
                ui.dialog = Some(Dialog::TypedConfirm {
                    phase,
                    word,
                    input,
                    wrong: false,
                });
            }
        },
    }
    vec![]
}

fn form_key(ui: &mut UiState, j: &Journey, key: KeyEvent) -> Vec<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let f = &mut ui.form;
    match key.code {
        KeyCode::Esc => {
            ui.form_mode = FormMode::Left;
            return vec![];
        }
        KeyCode::Tab | KeyCode::Down => f.next(),
        KeyCode::BackTab | KeyCode::Up => f.prev(),
        KeyCode::Char('s') if ctrl => return submit(ui, j),
        KeyCode::Enter if f.focus == FieldId::Submit => return submit(ui, j),
        KeyCode::Char(' ') if f.focus == FieldId::Submit => return submit(ui, j),
        KeyCode::Enter => f.next(),
        KeyCode::Left if f.focus == FieldId::Parts => f.move_part(-1),
        KeyCode::Right if f.focus == FieldId::Parts => f.move_part(1),
        KeyCode::Char(' ' | 'x') if f.focus == FieldId::Parts => f.toggle_part(),
        _ => {
            if let Some(req) = tui_input::backend::crossterm::to_input_request(&TermEvent::Key(key))
            {
                f.edit(req);
            }
        }
    }
    vec![]
}

fn submit(ui: &mut UiState, j: &Journey) -> Vec<Action> {
    ui.form.tried = true;
    match ui.form.build() {
        Ok(config) => {
            ui.domain = Some(config.domain.as_str().to_string());
            ui.form_sent_notice = Some(j.facts.notice.clone());
            ui.form_mode = FormMode::Auto;
            ui.selected = None;
            send(Event::SubmitSite(Box::new(config)))
        }
        Err((field, _)) => {
            ui.form.focus = field;
            vec![]
        }
    }
}

fn profile_key(ui: &mut UiState, j: &Journey, key: KeyEvent) -> Vec<Action> {
    let n = j.facts.profiles.len();
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => {
            if ui.profile_cursor + 1 < n {
                ui.profile_cursor += 1;
            }
            vec![]
        }
        KeyCode::Up | KeyCode::Char('k') => {
            ui.profile_cursor = ui.profile_cursor.saturating_sub(1);
            vec![]
        }
        KeyCode::Enter => {
            let choosable = j.offers(StepId::Profile, Offer::ChooseProfile);
            match j.facts.profiles.get(ui.profile_cursor) {
                Some(p) if choosable => send(Event::ProfileChosen(p.name().to_string())),
                _ => vec![],
            }
        }
        _ => vec![],
    }
}

fn phase_key(ui: &mut UiState, j: &Journey, step: StepId, key: KeyEvent) -> Vec<Action> {
    let phase = Phase::of_step(step);
    let pending = j
        .facts
        .pending_plan
        .as_ref()
        .filter(|(p, _)| Some(*p) == phase);
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => {
            ui.scroll = ui.scroll.saturating_add(1);
            return vec![];
        }
        KeyCode::Up | KeyCode::Char('k') => {
            ui.scroll = ui.scroll.saturating_sub(1);
            return vec![];
        }
        _ => {}
    }
    if let Some((phase, plan)) = pending {
        let phase = *phase;
        return match key.code {
            KeyCode::Char('y' | 'a') if j.offers(step, Offer::ApprovePlan) => {
                if plan.is_destructive() {
                    ui.dialog = Some(Dialog::TypedConfirm {
                        phase,
                        word: DESTROY_WORD.into(),
                        input: tui_input::Input::default(),
                        wrong: false,
                    });
                    vec![]
                } else {
                    send(Event::PlanDecision {
                        phase,
                        approve: true,
                    })
                }
            }
            // Enter takes the default, which is No.
            KeyCode::Char('n') | KeyCode::Enter if j.offers(step, Offer::DeclinePlan) => {
                send(Event::PlanDecision {
                    phase,
                    approve: false,
                })
            }
            _ => vec![],
        };
    }
    vec![]
}

fn checkpoint_key(_ui: &mut UiState, j: &Journey, step: StepId, key: KeyEvent) -> Vec<Action> {
    match key.code {
        KeyCode::Char('n') if j.offers(step, Offer::CheckNow) => send(Event::CheckNow(step)),
        KeyCode::Char('p') if j.offers(step, Offer::Play) => send(Event::PlayHuman(step)),
        _ => vec![],
    }
}

/// What `p` does in the sandbox, per checkpoint.
pub fn play_label(step: StepId) -> &'static str {
    match step {
        StepId::Nameservers => "play the registrar",
        StepId::Inbox | StepId::Alerts => "click the link",
        StepId::SesProduction => "grant the review",
        _ => "play",
    }
}

/// The keys that work now, most important first; `? help` and `q quit` close the list.
pub fn hints(ui: &UiState, j: &Journey) -> Vec<(String, String)> {
    let g = &ui.glyphs;
    let mut h: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, l: &str| h.push((k.to_string(), l.to_string()));
    if let Some(d) = &ui.dialog {
        match d {
            Dialog::TypedConfirm { .. } => {
                push("Enter", "confirm");
                push("Esc", "cancel");
            }
            _ => {
                push("y", "yes");
                push("n", "no");
            }
        }
        return h;
    }
    if ui.help {
        push("any key", "close help");
        return h;
    }
    let shown = ui.shown(j);
    if ui.form_active(j) {
        if ui.form.focus == FieldId::Parts {
            push(g.left_right(), "part");
            push("Space", "toggle");
        }
        push(&format!("Tab/{}", g.up_down()), "field");
        if ui.form.focus == FieldId::Submit {
            push("Enter", "save");
        } else {
            push("Enter", "next");
        }
        push("Ctrl-S", "save");
        push("Esc", "leave form");
        push("Ctrl-C", "quit");
        return h;
    }
    if shown == StepId::SesProduction && ui.ses_editor.is_some() {
        push("Esc", "done editing");
        push("Ctrl-S", "save");
        return h;
    }
    let status = j.status(shown);
    let offers = |a: Offer| j.offers(shown, a);
    if offers(Offer::Retry) {
        if status == Status::Failed {
            push("r", "retry");
        } else {
            push("r", "plan again");
        }
    }
    // At a checkpoint, what moves it on comes first. The email pane shows the owner's inbox
    // too, whose mail is the one to click.
    let mail = if shown == StepId::EmailDomain {
        StepId::Inbox
    } else {
        shown
    };
    if j.offers(mail, Offer::Play) {
        push("p", play_label(mail));
    }
    if offers(Offer::CheckNow) {
        push("n", "check now");
    }
    match shown {
        StepId::Preflight | StepId::Profile => {
            if !j.facts.profiles.is_empty() && j.offers(StepId::Profile, Offer::ChooseProfile) {
                push(g.up_down(), "choose");
                push("Enter", "use profile");
            }
        }
        StepId::Site => {
            if offers(Offer::EditAnswers) {
                push("e", "edit answers");
            }
        }
        StepId::Generate => {
            if j.facts.files.len() > 1 {
                push(g.up_down(), "file");
            }
            push("PgUp/PgDn", "scroll diff");
        }
        StepId::State | StepId::Foundation | StepId::Stack => {
            let phase = Phase::of_step(shown);
            let pending = j
                .facts
                .pending_plan
                .as_ref()
                .filter(|(p, _)| Some(*p) == phase);
            if let Some((_, plan)) = pending {
                if offers(Offer::ApprovePlan) {
                    if plan.is_destructive() {
                        push("y", "apply (type destroy)");
                    } else {
                        push("y", "apply");
                    }
                }
                if offers(Offer::DeclinePlan) {
                    push("n/Enter", "don't apply");
                }
                push(g.up_down(), "scroll");
            }
            if offers(Offer::StopTerraform) {
                push("Ctrl-C", "stop terraform");
            }
        }
        StepId::Nameservers => {
            if !j.facts.nameservers.is_empty() {
                push("c", "copy");
                push(".", "trailing dots");
            }
            push("h", "registrar how-to");
        }
        StepId::EmailDomain | StepId::Inbox => {
            // r retries the shown step when it failed.
            if j.offers(StepId::Inbox, Offer::ResendMail) && !offers(Offer::Retry) {
                push("r", "resend mail");
            }
        }
        StepId::Alerts => {
            if offers(Offer::ResendMail) && !offers(Offer::Retry) {
                push("r", "resend mail");
            }
        }
        StepId::SesProduction => {
            if offers(Offer::EditSesRequest) {
                push("e", "edit");
            }
            if j.facts.ses_request.is_some() {
                push("c", "copy");
            }
            if offers(Offer::SubmitSesRequest) {
                push("s", "submit");
            }
        }
        StepId::Edge => {}
        StepId::Done => {
            if !j.facts.outputs.is_empty() {
                push(g.up_down(), "choose");
                push("c", "copy");
            }
        }
    }
    if shown == StepId::Done || (shown == StepId::Nameservers && ui.registrar_hints) {
        push("PgDn", "more");
    }
    push("Tab", "steps");
    if ui.selected.is_some() {
        push("Esc", "current step");
    }
    push("?", "help");
    push("q", "quit");
    h
}

/// Pasted text (bracketed paste): typed into the field that has the keys, if any.
pub fn on_paste(ui: &mut UiState, j: &Journey, text: &str) -> Vec<Action> {
    if let Some(Dialog::TypedConfirm { input, wrong, .. }) = ui.dialog.as_mut() {
        for c in text.chars().filter(|c| !c.is_control()) {
            input.handle(tui_input::InputRequest::InsertChar(c));
        }
        *wrong = false;
        return vec![];
    }
    if ui.dialog.is_some() {
        return vec![];
    }
    if ui.form_active(j) {
        // One line only: a pasted newline does not move to the next field.
        for c in text.chars().filter(|c| !c.is_control()) {
            ui.form.edit(tui_input::InputRequest::InsertChar(c));
        }
        return vec![];
    }
    if ui.shown(j) == StepId::SesProduction
        && let Some(editor) = ui.ses_editor.as_mut()
    {
        for c in text.chars() {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\r' => continue,
                c if c.is_control() => continue,
                c => KeyCode::Char(c),
            };
            editor.handle(&KeyEvent::new(code, KeyModifiers::NONE));
        }
    }
    vec![]
}

#[cfg(test)]
mod tests {
    //! The wizard's keys, its hints and plain mode's questions offer exactly what the core
    //! offers ([`Journey::offers`]), in every state of a grid of journeys.

    use std::collections::BTreeSet;

    use super::*;
    use crate::aws::{ProfileChoice, ProfileInfo, ProfileKind};
    use crate::ui::UiOptions;
    use crate::ui::state::FormMode;
    use crate::wizard::state::PlanFacts;

    type Offered = BTreeSet<(StepId, Offer)>;

    fn base() -> Journey {
        let mut j = Journey::new(crate::wizard::Mode::Interactive);
        for s in [
            StepId::Preflight,
            StepId::Profile,
            StepId::Site,
            StepId::Generate,
            StepId::Foundation,
            StepId::State,
        ] {
            j.steps.entry(s).or_default().status = Status::Done;
        }
        j.facts.nameservers = vec!["ns-1.awsdns-01.org".into()];
        j
    }

    fn set(j: &mut Journey, step: StepId, status: Status) {
        j.steps.entry(step).or_default().status = status;
    }

    /// Journeys in many states: every checkpoint status, in and out of the sandbox, with and
    /// without a request text; plans under review, declined, running, failed; the profile.
    fn journeys() -> Vec<Journey> {
        use Status::*;
        let mut out = vec![];
        let statuses = [NotYet, WaitingOnYou, WaitingOnAws, Done, Failed];
        for sandbox in [false, true] {
            for ns in [WaitingOnYou, Done] {
                for other in statuses {
                    for request in [false, true] {
                        let mut j = base();
                        j.facts.sandbox = sandbox;
                        set(&mut j, StepId::Nameservers, ns);
                        for s in [StepId::EmailDomain, StepId::Inbox, StepId::SesProduction] {
                            set(&mut j, s, other);
                        }
                        if ns != Done {
                            set(&mut j, StepId::EmailDomain, NotYet);
                        }
                        if request {
                            j.facts.ses_request = Some("We send sign-up mail.".into());
                        }
                        out.push(j);
                    }
                }
            }
        }
        for (status, plan, busy) in [
            (WaitingOnYou, Some(false), false),
            (WaitingOnYou, Some(true), false),
            (WaitingOnYou, None, false),
            (Running, None, true),
            (Failed, None, false),
        ] {
            let mut j = base();
            set(&mut j, StepId::Foundation, status);
            if let Some(destructive) = plan {
                let p = PlanFacts {
                    create: 1,
                    delete: usize::from(destructive),
                    ..PlanFacts::default()
                };
                j.facts.pending_plan = Some((Phase::Foundation, p));
            }
            if busy {
                j.busy = Some(StepId::Foundation);
            }
            out.push(j);
        }
        for status in [NotYet, WaitingOnYou, Running, Failed, Done] {
            for listed in [false, true] {
                let mut j = Journey::new(crate::wizard::Mode::Interactive);
                set(&mut j, StepId::Preflight, Done);
                set(&mut j, StepId::Profile, status);
                set(&mut j, StepId::Site, WaitingOnYou);
                if listed {
                    j.facts.profiles = vec![ProfileInfo {
                        choice: ProfileChoice::Named("personal".into()),
                        kind: ProfileKind::StaticKeys {
                            session_token: false,
                        },
                        region: None,
                        sso_root: None,
                    }];
                }
                out.push(j);
            }
        }
        out
    }

    fn ui_on(pane: StepId) -> UiState {
        let mut ui = UiState::new(&UiOptions::plain_ascii(), time::OffsetDateTime::UNIX_EPOCH);
        ui.selected = Some(pane);
        // The form's own keys are the form's: look at the pane with the form left.
        ui.form_mode = FormMode::Left;
        ui
    }

    /// What a key did, as the core's action.
    fn key_action(j: &Journey, pane: StepId, code: KeyCode) -> Option<(StepId, Offer)> {
        let mut ui = ui_on(pane);
        let out = on_key(&mut ui, j, KeyEvent::new(code, KeyModifiers::NONE));
        if let Some(d) = &ui.dialog {
            return match d {
                Dialog::SubmitSes => Some((StepId::SesProduction, Offer::SubmitSesRequest)),
                Dialog::TypedConfirm { phase, .. } => Some((phase.step(), Offer::ApprovePlan)),
                Dialog::ConfirmQuit | Dialog::ForceKill => Some((pane, Offer::Quit)),
            };
        }
        if ui.ses_editor.is_some() {
            return Some((StepId::SesProduction, Offer::EditSesRequest));
        }
        if ui.form_mode == FormMode::Editing {
            return Some((StepId::Site, Offer::EditAnswers));
        }
        let event = out.into_iter().find_map(|a| match a {
            Action::Send(e) => Some(e),
            _ => None,
        })?;
        Some(match event {
            Event::Retry(s) => (s, Offer::Retry),
            Event::CheckNow(s) => (s, Offer::CheckNow),
            Event::PlayHuman(s) => (s, Offer::Play),
            Event::ResendMail(s) => (s, Offer::ResendMail),
            Event::ProfileChosen(_) => (StepId::Profile, Offer::ChooseProfile),
            Event::PlanDecision { phase, approve } => (
                phase.step(),
                if approve {
                    Offer::ApprovePlan
                } else {
                    Offer::DeclinePlan
                },
            ),
            Event::Quit => (pane, Offer::Quit),
            other => panic!("unexpected event {other:?}"),
        })
    }

    /// The core actions the hints of a pane name.
    fn hinted(j: &Journey, pane: StepId) -> Offered {
        let ui = ui_on(pane);
        let mail = if pane == StepId::EmailDomain {
            StepId::Inbox
        } else {
            pane
        };
        hints(&ui, j)
            .into_iter()
            .filter_map(|(_, label)| {
                Some(match label.as_str() {
                    "retry" | "plan again" => (pane, Offer::Retry),
                    "check now" => (pane, Offer::CheckNow),
                    l if l == play_label(mail) => (mail, Offer::Play),
                    "use profile" => (StepId::Profile, Offer::ChooseProfile),
                    "edit answers" => (StepId::Site, Offer::EditAnswers),
                    "apply" | "apply (type destroy)" => (pane, Offer::ApprovePlan),
                    "don't apply" => (pane, Offer::DeclinePlan),
                    "resend mail" if pane == StepId::Alerts => (pane, Offer::ResendMail),
                    "resend mail" => (StepId::Inbox, Offer::ResendMail),
                    "edit" => (pane, Offer::EditSesRequest),
                    "submit" => (pane, Offer::SubmitSesRequest),
                    "stop terraform" => (pane, Offer::StopTerraform),
                    "quit" => (pane, Offer::Quit),
                    _ => return None,
                })
            })
            .collect()
    }

    /// What the core offers on a pane, as the wizard can take it: the email pane also acts for
    /// the sender address, the preflight pane chooses the profile, and choosing needs a list.
    fn expected(j: &Journey, pane: StepId) -> Offered {
        let mut out: Offered = j.actions(pane).into_iter().map(|a| (pane, a)).collect();
        if pane == StepId::EmailDomain {
            for a in [Offer::Play, Offer::ResendMail] {
                if j.offers(StepId::Inbox, a) {
                    out.insert((StepId::Inbox, a));
                }
            }
        }
        if pane == StepId::Preflight && j.offers(StepId::Profile, Offer::ChooseProfile) {
            out.insert((StepId::Profile, Offer::ChooseProfile));
        }
        if j.facts.profiles.is_empty() {
            out.remove(&(StepId::Profile, Offer::ChooseProfile));
        }
        // Ctrl-C, global, stops terraform; it is hinted on the step terraform works on.
        out
    }

    const KEYS: [KeyCode; 8] = [
        KeyCode::Char('r'),
        KeyCode::Char('n'),
        KeyCode::Char('p'),
        KeyCode::Char('e'),
        KeyCode::Char('s'),
        KeyCode::Char('y'),
        KeyCode::Enter,
        KeyCode::Char('q'),
    ];

    #[test]
    fn keys_and_hints_offer_exactly_what_the_core_offers() {
        for j in journeys() {
            for pane in StepId::ALL {
                let want = expected(&j, pane);
                let mut by_keys: Offered = KEYS
                    .into_iter()
                    .filter_map(|k| key_action(&j, pane, k))
                    .collect();
                for (step, action) in &by_keys {
                    assert!(
                        j.offers(*step, *action),
                        "{pane} pane: a key does {action:?} at {step}, which the core does not offer\n{j:?}"
                    );
                }
                // Ctrl-C stops terraform wherever it is pressed.
                if j.busy == Some(pane) {
                    by_keys.insert((pane, Offer::StopTerraform));
                }
                assert_eq!(by_keys, want, "{pane} pane: keys\n{j:?}");
                assert_eq!(hinted(&j, pane), want, "{pane} pane: hints\n{j:?}");
            }
        }
    }

    #[test]
    fn plain_questions_and_wizard_keys_offer_the_same_at_each_checkpoint() {
        let answerable = [
            Offer::CheckNow,
            Offer::Play,
            Offer::ResendMail,
            Offer::SubmitSesRequest,
            Offer::EditSesRequest,
        ];
        for j in journeys() {
            for step in StepId::ALL.into_iter().filter(|s| s.is_checkpoint()) {
                let plain: Offered = crate::ui::plain::checkpoint_choices(&j, step)
                    .into_iter()
                    .map(|(a, _)| (step, a))
                    .collect();
                let core: Offered = j
                    .actions(step)
                    .into_iter()
                    .filter(|a| answerable.contains(a))
                    .map(|a| (step, a))
                    .collect();
                assert_eq!(plain, core, "{step}: plain\n{j:?}");
                let wizard: Offered = KEYS
                    .into_iter()
                    .filter_map(|k| key_action(&j, step, k))
                    .filter(|(s, a)| *s == step && answerable.contains(a))
                    .collect();
                assert_eq!(wizard, plain, "{step}: wizard and plain differ\n{j:?}");
            }
        }
    }
}
