//! Key handling: plan reviews default to No, destructive plans need the typed word, Ctrl-C
//! stops terraform cleanly and only an explicit confirmation kills it, `q` asks while
//! terraform runs, the form takes typed letters, copy and sandbox keys.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "ui_support/checkpoints.rs"]
mod checkpoints;
#[path = "ui_support/fixtures.rs"]
mod fixtures;
#[path = "ui_support/tui_state.rs"]
mod tui_state;

use checkpoints::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixtures::*;
use siteup::ui::UiState;
use siteup::ui::keys::{Action, on_key, on_paste};
use siteup::ui::state::Dialog;
use siteup::wizard::{Event, Journey, Phase, StepId};
use tui_state::*;

fn press(ui: &mut UiState, j: &Journey, code: KeyCode) -> Vec<Action> {
    on_key(ui, j, KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(ui: &mut UiState, j: &Journey, c: char) -> Vec<Action> {
    on_key(
        ui,
        j,
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
    )
}

fn typed(ui: &mut UiState, j: &Journey, s: &str) -> Vec<Action> {
    s.chars()
        .flat_map(|c| press(ui, j, KeyCode::Char(c)))
        .collect()
}

fn sent(actions: &[Action]) -> Vec<Event> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn approves(actions: &[Action]) -> bool {
    sent(actions)
        .iter()
        .any(|e| matches!(e, Event::PlanDecision { approve: true, .. }))
}

#[test]
fn enter_on_a_fresh_plan_review_does_not_approve() {
    let j = plan_review(Phase::Foundation, false);
    let mut u = ui();
    let a = press(&mut u, &j, KeyCode::Enter);
    assert!(!approves(&a));
    assert_eq!(
        sent(&a),
        vec![Event::PlanDecision {
            phase: Phase::Foundation,
            approve: false
        }]
    );
    // Scrolling and other keys approve nothing either.
    let mut u = ui();
    for code in [
        KeyCode::Down,
        KeyCode::PageDown,
        KeyCode::Char(' '),
        KeyCode::Char('x'),
    ] {
        assert!(!approves(&press(&mut u, &j, code)));
    }
    let a = press(&mut u, &j, KeyCode::Char('y'));
    assert_eq!(
        sent(&a),
        vec![Event::PlanDecision {
            phase: Phase::Foundation,
            approve: true
        }]
    );
}

#[test]
fn destructive_plan_needs_the_typed_word() {
    let j = plan_review(Phase::Full, true);
    let mut u = ui();
    u.selected = Some(StepId::Stack);
    let a = press(&mut u, &j, KeyCode::Char('y'));
    assert!(a.is_empty(), "y alone does not apply a destructive plan");
    assert!(matches!(u.dialog, Some(Dialog::TypedConfirm { .. })));
    // Enter with nothing typed, or a near miss, applies nothing.
    assert!(!approves(&press(&mut u, &j, KeyCode::Enter)));
    assert!(matches!(
        u.dialog,
        Some(Dialog::TypedConfirm { wrong: true, .. })
    ));
    assert!(!approves(&typed(&mut u, &j, "destroX")));
    assert!(!approves(&press(&mut u, &j, KeyCode::Enter)));
    // Esc cancels.
    let a = press(&mut u, &j, KeyCode::Esc);
    assert!(a.is_empty() && u.dialog.is_none());
    // The word applies it.
    press(&mut u, &j, KeyCode::Char('y'));
    assert!(!approves(&typed(&mut u, &j, "destroy")));
    let a = press(&mut u, &j, KeyCode::Enter);
    assert_eq!(
        sent(&a),
        vec![Event::PlanDecision {
            phase: Phase::Full,
            approve: true
        }]
    );
    // Pasting the word works too.
    let mut u = ui();
    u.selected = Some(StepId::Stack);
    press(&mut u, &j, KeyCode::Char('y'));
    on_paste(&mut u, &j, "destroy");
    assert!(approves(&press(&mut u, &j, KeyCode::Enter)));
}

#[test]
fn ctrl_c_interrupts_then_asks_before_killing() {
    let j = applying(6);
    let mut u = ui();
    assert_eq!(sent(&ctrl(&mut u, &j, 'c')), vec![Event::Interrupt]);
    // The second shows the risk and sends nothing.
    assert!(ctrl(&mut u, &j, 'c').is_empty());
    assert!(matches!(u.dialog, Some(Dialog::ForceKill)));
    // A third while the dialog is open sends nothing either.
    assert!(ctrl(&mut u, &j, 'c').is_empty());
    // Anything but y keeps waiting.
    for code in [KeyCode::Enter, KeyCode::Char('n')] {
        assert!(press(&mut u, &j, code).is_empty());
        assert!(u.dialog.is_none());
        ctrl(&mut u, &j, 'c');
        assert!(matches!(u.dialog, Some(Dialog::ForceKill)));
    }
    assert_eq!(
        sent(&press(&mut u, &j, KeyCode::Char('y'))),
        vec![Event::ForceKill]
    );
}

#[test]
fn ctrl_c_with_nothing_running_quits() {
    let j = nameservers_waiting();
    let mut u = ui();
    assert_eq!(sent(&ctrl(&mut u, &j, 'c')), vec![Event::Quit]);
    assert!(u.quitting);
}

#[test]
fn q_asks_while_terraform_runs() {
    let j = applying(6);
    let mut u = ui();
    assert!(press(&mut u, &j, KeyCode::Char('q')).is_empty());
    assert!(matches!(u.dialog, Some(Dialog::ConfirmQuit)));
    assert!(press(&mut u, &j, KeyCode::Char('n')).is_empty());
    assert!(u.dialog.is_none() && !u.quitting);
    press(&mut u, &j, KeyCode::Char('q'));
    assert_eq!(
        sent(&press(&mut u, &j, KeyCode::Char('y'))),
        vec![Event::Quit]
    );
    // With nothing running, q quits at once.
    let j = nameservers_waiting();
    let mut u = ui();
    assert_eq!(
        sent(&press(&mut u, &j, KeyCode::Char('q'))),
        vec![Event::Quit]
    );
}

#[test]
fn the_form_takes_letters_and_submits_valid_answers() {
    let j = site_form();
    let mut o = opts(true, true);
    o.site = None;
    let mut u = UiState::new(&o, now());
    // q and ? are typed, not commands.
    assert!(typed(&mut u, &j, "q?").is_empty());
    assert!(!u.quitting && !u.help);
    press(&mut u, &j, KeyCode::Backspace);
    press(&mut u, &j, KeyCode::Backspace);
    typed(&mut u, &j, "example.org");
    // Ctrl-S from the middle of the form submits everything, defaults included.
    let a = ctrl(&mut u, &j, 's');
    let events = sent(&a);
    let [Event::SubmitSite(config)] = events.as_slice() else {
        panic!("expected one SubmitSite, got {events:?}");
    };
    assert_eq!(config.domain.as_str(), "example.org");
    assert_eq!(config.state_bucket.as_str(), "example-org-state");
    assert_eq!(config.region.as_str(), "us-east-1");
}

#[test]
fn an_invalid_form_is_not_sent_and_shows_the_field() {
    let j = site_form();
    let mut o = opts(true, true);
    o.site = None;
    let mut u = UiState::new(&o, now());
    typed(&mut u, &j, "example.com");
    press(&mut u, &j, KeyCode::Tab);
    typed(&mut u, &j, "nowhere-9");
    for _ in 0..10 {
        press(&mut u, &j, KeyCode::Tab);
    }
    let a = press(&mut u, &j, KeyCode::Enter);
    assert!(sent(&a).is_empty());
    assert_eq!(u.form.focus, siteup::ui::form::FieldId::Region);
    // Pasted text lands in the focused field (one line).
    on_paste(&mut u, &j, "\n");
    for _ in 0..9 {
        press(&mut u, &j, KeyCode::Backspace);
    }
    on_paste(&mut u, &j, "eu-west-1\n");
    assert_eq!(u.form.raw(siteup::ui::form::FieldId::Region), "eu-west-1");
    let a = ctrl(&mut u, &j, 's');
    assert_eq!(sent(&a).len(), 1);
}

#[test]
fn copy_keys_copy_what_the_registrar_needs() {
    let j = nameservers_waiting();
    let mut u = ui();
    let a = press(&mut u, &j, KeyCode::Char('c'));
    let [Action::Copy { text, .. }] = a.as_slice() else {
        panic!("expected a copy, got {a:?}");
    };
    assert_eq!(text.lines().count(), 4);
    assert!(text.lines().all(|l| !l.ends_with('.')));
    press(&mut u, &j, KeyCode::Char('.'));
    let a = press(&mut u, &j, KeyCode::Char('c'));
    let [Action::Copy { text, .. }] = a.as_slice() else {
        panic!("expected a copy, got {a:?}");
    };
    assert!(text.lines().all(|l| l.ends_with('.')), "{text}");
    // On the done pane, digits copy the outputs.
    let j = all_done();
    let mut u = ui();
    let a = press(&mut u, &j, KeyCode::Char('2'));
    assert_eq!(
        a,
        vec![Action::Copy {
            text: "https://api.example.com".into(),
            what: "API".into()
        }]
    );
}

#[test]
fn sandbox_play_keys() {
    let j = nameservers_waiting();
    let mut u = ui();
    assert!(
        press(&mut u, &j, KeyCode::Char('p')).is_empty(),
        "no play outside the sandbox"
    );
    let j = sandbox(nameservers_waiting());
    let mut u = ui();
    assert_eq!(
        sent(&press(&mut u, &j, KeyCode::Char('p'))),
        vec![Event::PlayHuman(StepId::Nameservers)]
    );
    assert_eq!(
        sent(&press(&mut u, &j, KeyCode::Char('n'))),
        vec![Event::CheckNow(StepId::Nameservers)]
    );
    u.selected = Some(StepId::Inbox);
    assert_eq!(
        sent(&press(&mut u, &j, KeyCode::Char('p'))),
        vec![Event::PlayHuman(StepId::Inbox)]
    );
    assert_eq!(
        sent(&press(&mut u, &j, KeyCode::Char('r'))),
        vec![Event::ResendMail(StepId::Inbox)]
    );
}

#[test]
fn ses_request_edit_copy_and_confirmed_submit() {
    let j = ses_waiting();
    let mut u = ui();
    u.selected = Some(StepId::SesProduction);
    press(&mut u, &j, KeyCode::Char('e'));
    assert!(u.ses_editor.is_some());
    // Letters are typed while editing (s does not submit).
    press(&mut u, &j, KeyCode::End);
    assert!(typed(&mut u, &j, " Thanks, sq").is_empty());
    let a = press(&mut u, &j, KeyCode::Esc);
    let events = sent(&a);
    let [Event::EditSesRequest(text)] = events.as_slice() else {
        panic!("expected the edited text, got {events:?}");
    };
    assert!(
        text.lines().next().unwrap_or("").ends_with("Thanks, sq"),
        "{text}"
    );
    // Submit asks first; only y submits.
    assert!(press(&mut u, &j, KeyCode::Char('s')).is_empty());
    assert!(matches!(u.dialog, Some(Dialog::SubmitSes)));
    assert!(press(&mut u, &j, KeyCode::Enter).is_empty());
    press(&mut u, &j, KeyCode::Char('s'));
    assert_eq!(
        sent(&press(&mut u, &j, KeyCode::Char('y'))),
        vec![Event::SubmitSesRequest]
    );
}

#[test]
fn tab_moves_between_panes_and_esc_follows_again() {
    let j = nameservers_waiting();
    let mut u = ui();
    assert_eq!(u.shown(&j), StepId::Nameservers);
    press(&mut u, &j, KeyCode::Tab);
    assert_eq!(u.shown(&j), StepId::EmailDomain);
    press(&mut u, &j, KeyCode::BackTab);
    press(&mut u, &j, KeyCode::Left);
    assert_eq!(u.shown(&j), StepId::State);
    press(&mut u, &j, KeyCode::Esc);
    assert_eq!(u.selected, None);
    assert_eq!(u.shown(&j), StepId::Nameservers);
    // ? opens help; any key closes it without acting.
    press(&mut u, &j, KeyCode::Char('?'));
    assert!(u.help);
    assert!(press(&mut u, &j, KeyCode::Char('q')).is_empty());
    assert!(!u.help && !u.quitting);
}

#[test]
fn profile_picker_chooses_with_enter() {
    let j = profile_picker();
    let mut u = ui();
    press(&mut u, &j, KeyCode::Down);
    let a = press(&mut u, &j, KeyCode::Enter);
    assert_eq!(sent(&a), vec![Event::ProfileChosen("personal".into())]);
}

#[test]
fn retry_on_a_failed_step() {
    let mut j = applying(6);
    let st = j.steps.get_mut(&StepId::Stack).expect("stack");
    st.status = siteup::wizard::Status::Failed;
    st.detail = Some("Error: creating ACM Certificate".into());
    j.busy = None;
    let mut u = ui();
    assert_eq!(
        sent(&press(&mut u, &j, KeyCode::Char('r'))),
        vec![Event::Retry(StepId::Stack)]
    );
}
