//! Keys: what each key does on each pane, and the hints the bottom bar and the help show.
//! [`on_key`] is pure apart from the `UiState` it updates: it returns what the loop must do.

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::backend::crossterm::EventHandler;

use super::editor::TextEditor;
use super::form::FieldId;
use super::state::{Dialog, FormMode, UiState};
use crate::wizard::{Event, Journey, Phase, PhaseStep, Status, StepId};

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
    let status = j.status(shown);
    if key.code == KeyCode::Char('r') && status == Status::Failed {
        return send(Event::Retry(shown));
    }
    match shown {
        StepId::Preflight | StepId::Profile => profile_key(ui, j, key),
        StepId::Site => {
            if matches!(key.code, KeyCode::Char('e') | KeyCode::Enter) {
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
        StepId::EmailDomain | StepId::SenderAddress => match key.code {
            KeyCode::Char('r') if j.ready(StepId::SenderAddress) => send(Event::ResendVerification),
            KeyCode::Char('p') if can_play(j, StepId::SenderAddress) => {
                send(Event::PlayHuman(StepId::SenderAddress))
            }
            _ => checkpoint_key(ui, j, shown, key),
        },
        StepId::SesProduction => match key.code {
            KeyCode::Char('e') => {
                if let Some(text) = &j.facts.ses_request {
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
                if j.facts.ses_request.is_some() && j.ready(StepId::SesProduction) {
                    ui.dialog = Some(Dialog::SubmitSes);
                }
                vec![]
            }
            _ => checkpoint_key(ui, j, shown, key),
        },
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
    let yes = matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y'));
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
        KeyCode::Char(' ') | KeyCode::Char('x') if f.focus == FieldId::Parts => f.toggle_part(),
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
            let choosable = matches!(
                j.status(StepId::Profile),
                Status::WaitingOnYou | Status::Failed | Status::NotYet
            );
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
            KeyCode::Char('y') | KeyCode::Char('a') => {
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
            KeyCode::Char('n') | KeyCode::Enter => send(Event::PlanDecision {
                phase,
                approve: false,
            }),
            _ => vec![],
        };
    }
    if key.code == KeyCode::Char('r') && j.status(step) == Status::WaitingOnYou {
        return send(Event::Retry(step));
    }
    vec![]
}

fn checkpoint_key(_ui: &mut UiState, j: &Journey, step: StepId, key: KeyEvent) -> Vec<Action> {
    match key.code {
        KeyCode::Char('n') if j.ready(step) => send(Event::CheckNow(step)),
        KeyCode::Char('p') if can_play(j, step) => send(Event::PlayHuman(step)),
        _ => vec![],
    }
}

/// Whether the sandbox can play the human (or AWS's reviewer) for this checkpoint now.
pub fn can_play(j: &Journey, step: StepId) -> bool {
    j.facts.sandbox
        && matches!(
            step,
            StepId::Nameservers | StepId::SenderAddress | StepId::SesProduction
        )
        && j.ready(step)
        && j.status(step) != Status::Done
}

/// What `p` does in the sandbox, per checkpoint.
pub fn play_label(step: StepId) -> &'static str {
    match step {
        StepId::Nameservers => "play the registrar",
        StepId::SenderAddress => "click the link",
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
    if status == Status::Failed {
        push("r", "retry");
    }
    // At a checkpoint, what moves it on comes first.
    let play = if shown == StepId::EmailDomain {
        StepId::SenderAddress
    } else {
        shown
    };
    if play.is_checkpoint() && can_play(j, play) {
        push("p", play_label(play));
    }
    if shown.is_checkpoint() && j.ready(shown) && status != Status::Done {
        push("n", "check now");
    }
    match shown {
        StepId::Preflight | StepId::Profile => {
            if !j.facts.profiles.is_empty() && j.status(StepId::Profile) != Status::Done {
                push(g.up_down(), "choose");
                push("Enter", "use profile");
            }
        }
        StepId::Site => push("e", "edit answers"),
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
                if plan.is_destructive() {
                    push("y", "apply (type destroy)");
                } else {
                    push("y", "apply");
                }
                push("n/Enter", "don't apply");
                push(g.up_down(), "scroll");
            } else if status == Status::WaitingOnYou {
                push("r", "plan again");
            } else if status == Status::Running {
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
        StepId::EmailDomain | StepId::SenderAddress => {
            if j.ready(StepId::SenderAddress) && status != Status::Failed {
                push("r", "resend mail");
            }
        }
        StepId::SesProduction => {
            if j.facts.ses_request.is_some() {
                push("e", "edit");
                push("c", "copy");
                push("s", "submit");
            }
        }
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
