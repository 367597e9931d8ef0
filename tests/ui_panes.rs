//! Every pane in representative states, drawn onto ratatui's TestBackend at 80x24 and at a
//! wide size, checked against stored snapshots; colours asserted on buffer cells where they
//! carry meaning; tiny terminals get a readable message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "ui_support/checkpoints.rs"]
mod checkpoints;
#[path = "ui_support/fixtures.rs"]
mod fixtures;
#[path = "ui_support/screen_text.rs"]
mod screen_text;
#[path = "ui_support/tui_state.rs"]
mod tui_state;

use checkpoints::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixtures::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use screen_text::*;
use siteup::ui::UiState;
use siteup::ui::keys::on_key;
use siteup::ui::state::Dialog;
use siteup::wizard::state::CheckReport;
use siteup::wizard::{Journey, Mode, Phase, Status, StepId, StepKind};
use tui_state::*;

/// Snapshots the journey at 80x24 and 160x48.
fn snap(name: &str, j: &Journey, ui: &UiState) {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut ui = ui.clone();
        let t = render(j, &mut ui, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&t));
    }
}

fn key(ui: &mut UiState, j: &Journey, code: KeyCode) {
    on_key(ui, j, KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(ui: &mut UiState, j: &Journey, s: &str) {
    for c in s.chars() {
        key(ui, j, KeyCode::Char(c));
    }
}

#[test]
fn preflight_running() {
    snap("preflight_running", &fresh(), &ui());
}

#[test]
fn profile_picker_lists_kinds() {
    let j = profile_picker();
    let mut u = ui();
    u.selected = Some(StepId::Profile);
    key(&mut u, &j, KeyCode::Down);
    snap("profile_picker", &j, &u);
    let t = render(&j, &mut u.clone(), 80, 24);
    assert!(
        find(&t, "work-sso  SSO").is_some()
            && find(&t, "personal  keys").is_some()
            && find(&t, "deployer  role").is_some()
    );
}

#[test]
fn profile_verified_with_warning() {
    let j = profile_verified();
    let mut u = ui();
    u.selected = Some(StepId::Profile);
    snap("profile_verified", &j, &u);
    let t = render(&j, &mut u, 80, 24);
    let (x, y) = find(&t, "root user").expect("the warning is on screen");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Yellow);
}

#[test]
fn site_form_empty() {
    let j = site_form();
    let mut o = opts(true, true);
    o.site = None;
    let u = UiState::new(&o, now());
    snap("site_form_empty", &j, &u);
}

#[test]
fn site_form_validates_as_typed() {
    let j = site_form();
    let mut o = opts(true, true);
    o.site = None;
    let mut u = UiState::new(&o, now());
    type_text(&mut u, &j, "Example.com");
    key(&mut u, &j, KeyCode::Tab);
    type_text(&mut u, &j, "mars-1");
    snap("site_form_error", &j, &u);
    let t = render(&j, &mut u.clone(), 80, 24);
    // Derived defaults follow the domain.
    assert!(find(&t, "example-com-state").is_some());
    // The region's error is red.
    let (x, y) = find(&t, "mars-1").expect("typed region shown");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Red);
}

#[test]
fn generated_files_with_diff() {
    let j = generated();
    let mut u = ui();
    u.selected = Some(StepId::Generate);
    key(&mut u, &j, KeyCode::Down);
    snap("files_diff", &j, &u);
}

#[test]
fn plan_review_plain() {
    snap(
        "plan_foundation",
        &plan_review(Phase::Foundation, false),
        &ui(),
    );
}

#[test]
fn a_plan_that_only_adopts_the_zone_says_so_instead_of_no_changes() {
    let mut j = plan_review(Phase::Foundation, false);
    if let Some((_, plan)) = j.facts.pending_plan.as_mut() {
        *plan = siteup::wizard::state::PlanFacts {
            import: 1,
            ..Default::default()
        };
    }
    let mut u = ui();
    u.selected = Some(StepId::Foundation);
    let t = render(&j, &mut u, 80, 24);
    assert!(find(&t, "1 to adopt").is_some(), "{}", screen(&t));
    assert!(find(&t, "no changes").is_none(), "{}", screen(&t));
}

#[test]
fn plan_review_destructive_shows_dangers_first_in_red() {
    let j = plan_review(Phase::Full, true);
    let mut u = ui();
    u.selected = Some(StepId::Stack);
    snap("plan_destructive", &j, &u);
    let t = render(&j, &mut u, 80, 24);
    let rows = rows(&t);
    let danger = rows
        .iter()
        .position(|r| r.contains("Cognito user pool replaced"))
        .expect("danger shown");
    let text = rows
        .iter()
        .position(|r| r.contains("aws_route53_zone"))
        .unwrap_or(usize::MAX);
    assert!(danger < text, "dangers come before the plan text");
    let (x, y) = find(&t, "1 to destroy").expect("counts");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Red);
    let (x, y) = find(&t, "Cognito user pool replaced").expect("danger");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Red);
}

#[test]
fn typed_confirmation_dialog() {
    let j = plan_review(Phase::Full, true);
    let mut u = ui();
    u.selected = Some(StepId::Stack);
    key(&mut u, &j, KeyCode::Char('y'));
    assert!(matches!(u.dialog, Some(Dialog::TypedConfirm { .. })));
    type_text(&mut u, &j, "destr");
    snap("plan_typed_confirm", &j, &u);
}

#[test]
fn apply_progress_keeps_running_rows_visible() {
    let j = applying(30);
    let u = ui();
    snap("apply_long", &j, &u);
    let t = render(&j, &mut u.clone(), 80, 24);
    // Every running row is on screen, with its own timer and the expected duration.
    assert!(
        find(&t, "CloudFront").is_some(),
        "the long-running row is on screen"
    );
    assert!(
        find(&t, "/~15m").is_some(),
        "running row shows elapsed and expected"
    );
    // The failed row and its reason are red.
    let (x, y) = find(&t, "LimitExceeded").expect("failure reason under the row");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Red);
    let rows = rows(&t);
    let fail_row = rows
        .iter()
        .position(|r| r.contains("✗ ACM certificate"))
        .expect("failed row");
    let reason = rows
        .iter()
        .position(|r| r.contains("Error: creating ACM"))
        .expect("reason");
    assert_eq!(reason, fail_row + 1, "the reason sits under the failed row");
}

#[test]
fn apply_progress_short() {
    snap("apply_short", &applying(6), &ui());
}

#[test]
fn apply_row_timer_runs_between_reports() {
    let j = applying(6);
    let mut u = ui();
    u.observe(&j);
    let t = render(&j, &mut u, 80, 24);
    assert!(find(&t, "4m10s/~15m").is_some(), "{}", screen(&t));
    u.now = now() + time::Duration::seconds(7);
    let t = render(&j, &mut u, 80, 24);
    assert!(find(&t, "4m17s/~15m").is_some(), "{}", screen(&t));
}

#[test]
fn nameservers_waiting_pane() {
    let j = nameservers_waiting();
    snap("nameservers_waiting", &j, &ui());
    let mut u = ui();
    let t = render(&j, &mut u, 80, 24);
    for ns in nameservers() {
        assert!(find(&t, &ns).is_some(), "{ns} on screen");
    }
    assert!(find(&t, "12 min").is_some(), "time since the check started");
    assert!(find(&t, "registry").is_some() && find(&t, "resolver").is_some());
}

#[test]
fn nameservers_sandbox_dots_and_hints() {
    let j = sandbox(nameservers_waiting());
    let mut u = ui();
    key(&mut u, &j, KeyCode::Char('.'));
    snap("nameservers_sandbox_dots", &j, &u);
    let t = render(&j, &mut u.clone(), 80, 24);
    assert!(
        find(&t, "ns-0.awsdns-00.com.").is_some(),
        "trailing dots shown"
    );
    assert!(find(&t, "play the registrar").is_some());
    key(&mut u, &j, KeyCode::Char('h'));
    snap("nameservers_hints", &j, &u);
}

#[test]
fn nameservers_delegated() {
    let j = delegated();
    let mut u = ui();
    u.selected = Some(StepId::Nameservers);
    snap("nameservers_done", &j, &u);
}

#[test]
fn email_pane() {
    let j = delegated();
    let mut u = ui();
    u.selected = Some(StepId::EmailDomain);
    snap("email", &j, &u);
}

/// The alerts pane while AWS's two confirmation mails (the site's region and us-east-1) wait
/// for their clicks: the address, each topic, resend and check keys, and the sandbox's play.
#[test]
fn alerts_pane() {
    let mut j = sandbox(delegated());
    set(
        &mut j,
        StepId::Alerts,
        Status::WaitingOnYou,
        Some("click the link in AWS's mail"),
        Some(mins_ago(3)),
    );
    j.facts.checks.insert(
        StepId::Alerts,
        CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Human,
            headline: "AWS sent a mail from no-reply@sns.amazonaws.com to you@example.net: click the link (\"Confirm subscription\") so alerts reach you.".into(),
            lines: vec![
                "example-com-alerts (eu-west-1): waiting for the click".into(),
                "example-com-alerts-edge (us-east-1): confirmed".into(),
            ],
            reopen: None,
        },
    );
    let mut u = ui();
    u.form
        .set(siteup::ui::form::FieldId::Inbox, "you@example.net");
    u.selected = Some(StepId::Alerts);
    snap("alerts", &j, &u);
}

#[test]
fn ses_pane_states() {
    let j = ses_waiting();
    let mut u = ui();
    u.selected = Some(StepId::SesProduction);
    snap("ses_request", &j, &u);
    key(&mut u, &j, KeyCode::Char('e'));
    key(&mut u, &j, KeyCode::End);
    type_text(&mut u, &j, " Thanks!");
    snap("ses_editing", &j, &u);
    let mut u = ui();
    u.selected = Some(StepId::SesProduction);
    snap("ses_reviewing", &ses_reviewing(), &u);
}

#[test]
fn edge_pane_says_what_cloudfront_does_in_one_line() {
    let mut j = all_done();
    for s in [StepId::Edge, StepId::Done] {
        set(&mut j, s, Status::NotYet, None, None);
    }
    let headline =
        "CloudFront is deploying the site to its edge locations (usually about 6 min here).";
    set(
        &mut j,
        StepId::Edge,
        Status::WaitingOnAws,
        Some(headline),
        Some(mins_ago(3)),
    );
    j.facts.checks.insert(
        StepId::Edge,
        CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Aws,
            headline: headline.into(),
            lines: vec![],
            reopen: None,
        },
    );
    snap("edge_deploying", &j, &ui());
    let mut u = ui();
    let t = render(&j, &mut u, 160, 48);
    assert!(find(&t, "usually about 6 min").is_some());
    assert!(find(&t, "Site live over HTTPS").is_some());
}

#[test]
fn done_pane() {
    let mut j = all_done();
    j.facts.checks.insert(
        StepId::Alerts,
        CheckReport {
            satisfied: true,
            unchecked: false,
            waiting_on: StepKind::Human,
            headline: "Confirmed: the site's alerts reach you@example.net.".into(),
            lines: vec![
                "Alarms: 5 alarms quiet.".into(),
                "Alarm firing: example-com-function-errors (us-east-1).".into(),
                "Budget: 20.0 USD a month; spent 0.42 USD so far, forecast 1.1 USD.".into(),
            ],
            reopen: None,
        },
    );
    snap("done", &j, &ui());
    let mut u = ui();
    let t = render(&j, &mut u, 160, 48);
    assert!(find(&t, "https://example.com").is_some());
    assert!(find(&t, "$0.50").is_some());
    assert!(find(&t, "Alarm firing: example-com-function-errors").is_some());
}

#[test]
fn help_overlay() {
    let j = nameservers_waiting();
    let mut u = ui();
    key(&mut u, &j, KeyCode::Char('?'));
    snap("help", &j, &u);
}

#[test]
fn force_kill_dialog() {
    let j = applying(6);
    let mut u = ui();
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    on_key(&mut u, &j, ctrl_c);
    on_key(&mut u, &j, ctrl_c);
    snap("force_kill", &j, &u);
}

#[test]
fn checklist_ascii_and_no_color() {
    let j = sandbox(nameservers_waiting());
    for (name, color, unicode) in [
        ("checklist_ascii_color", true, false),
        ("checklist_utf8_nocolor", false, true),
        ("checklist_ascii_nocolor", false, false),
    ] {
        let u = ui_with(color, unicode);
        snap(name, &j, &u);
        let mut u2 = u.clone();
        let t = render(&j, &mut u2, 80, 24);
        let buf = t.backend().buffer();
        if !unicode {
            assert!(
                buf.content.iter().all(|c| c.symbol().is_ascii()),
                "{name}: only ASCII on a non-UTF-8 terminal"
            );
        }
        if !color {
            assert!(
                buf.content
                    .iter()
                    .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
                "{name}: no colour with NO_COLOR"
            );
            // Still readable: the open step is reversed, the step waiting on you is bold.
            let (x, y) = find(&t, "Nameservers at registrar  ").expect("checklist row");
            assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
            let (x, y) = find(&t, "Your inbox verified").expect("checklist row");
            assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
        }
    }
}

#[test]
fn checklist_shows_flips_and_clocks() {
    let mut j = nameservers_waiting();
    let mut u = ui();
    u.selected = Some(StepId::SesProduction);
    u.observe(&j);
    // The nameserver check flips while the user looks at another pane.
    let st = j.steps.get_mut(&StepId::Nameservers).expect("step");
    st.status = siteup::wizard::Status::Done;
    let t = render(&j, &mut u, 80, 24);
    let rows = rows(&t);
    let ns_row = rows
        .iter()
        .find(|r| r.contains("Nameservers at"))
        .expect("row");
    assert!(ns_row.contains("new"), "{ns_row}");
    let inbox_row = rows.iter().find(|r| r.contains("Your inbox")).expect("row");
    let checklist = inbox_row.split('│').next().unwrap_or_default();
    assert!(checklist.trim_end().ends_with("12m"), "{inbox_row}");
}

#[test]
fn tiny_terminals_get_a_message_not_a_panic() {
    let j = applying(30);
    for (w, h) in [
        (0, 0),
        (10, 3),
        (1, 1),
        (59, 16),
        (80, 15),
        (30, 40),
        (200, 5),
    ] {
        let mut u = ui();
        let t = render(&j, &mut u, w, h);
        let text = rows(&t).join(" ");
        if w < 60 || h < 16 {
            // Too small for the layout: the message (as much of it as fits) instead.
            if w >= 20 && h >= 3 {
                assert!(text.contains("siteup needs"), "{w}x{h}: {text}");
            }
        } else {
            assert!(text.contains("Journey"), "{w}x{h}: the layout: {text}");
        }
    }
    let mut u = ui();
    let t = render(&j, &mut u, 40, 8);
    insta::assert_snapshot!("too_small_40x8", screen(&t));
}

#[test]
fn resize_follows_the_terminal() {
    let j = nameservers_waiting();
    let mut u = ui();
    let mut t = render(&j, &mut u, 80, 24);
    t.backend_mut().resize(120, 30);
    t.draw(|f| siteup::ui::draw::draw(f, &j, &u)).expect("draw");
    assert_eq!(t.backend().buffer().area.width, 120);
    assert!(find(&t, "ns-1536.awsdns-00.co.uk").is_some());
}

#[test]
fn resume_opens_at_the_checkpoint_with_its_clock_intact() {
    use siteup::wizard::update::{ProfileFacts, ResumeRecord, update};
    use siteup::wizard::{Event, Mode, Status};
    let mut j = Journey::new(Mode::Interactive);
    let done = |step| ResumeRecord {
        step,
        status: Status::Done,
        since: Some(mins_ago(200)),
        finished_at: Some(mins_ago(190)),
        detail: None,
    };
    let mut records: Vec<ResumeRecord> = [
        StepId::Preflight,
        StepId::Profile,
        StepId::Site,
        StepId::Generate,
        StepId::State,
        StepId::Foundation,
    ]
    .into_iter()
    .map(done)
    .collect();
    records.push(ResumeRecord {
        step: StepId::Nameservers,
        status: Status::WaitingOnYou,
        since: Some(mins_ago(125)),
        finished_at: None,
        detail: Some("set the four nameservers".into()),
    });
    update(
        &mut j,
        Event::Resume {
            records,
            site_answered: true,
            state_migrated: true,
            profile: Some("personal".into()),
            sandbox: false,
        },
        now(),
    );
    update(&mut j, Event::PreflightDone(Ok(())), now());
    update(
        &mut j,
        Event::ProfileVerified(Ok(ProfileFacts {
            identity: "account 123456789012".into(),
            warning: None,
        })),
        now(),
    );
    update(&mut j, Event::Generated(Ok(vec![])), now());
    j.facts.nameservers = nameservers();
    update(
        &mut j,
        Event::Checked {
            step: StepId::Nameservers,
            report: checkpoint_report(false),
        },
        now(),
    );
    let mut u = ui();
    let t = render(&j, &mut u, 80, 24);
    assert_eq!(u.shown(&j), StepId::Nameservers);
    let rows = rows(&t);
    let row = rows
        .iter()
        .find(|r| r.starts_with(" ● Nameservers at registrar"))
        .expect("row");
    assert!(row.contains("2h05m"), "the wait kept its start: {row}");
    assert!(
        find(&t, "checking for 2 h 05 min").is_some(),
        "{}",
        screen(&t)
    );
}

// ---------------------------------------------------------------------------------------------
// Fixtures only these tests use
// ---------------------------------------------------------------------------------------------

fn ui_with(color: bool, unicode: bool) -> UiState {
    let mut o = opts(color, unicode);
    o.site = Some(site());
    UiState::new(&o, now())
}

fn fresh() -> Journey {
    let mut j = Journey::new(Mode::Interactive);
    set(
        &mut j,
        StepId::Preflight,
        Status::Running,
        None,
        Some(secs_ago(1)),
    );
    j.busy = None;
    j
}

fn ses_reviewing() -> Journey {
    let mut j = ses_waiting();
    set(
        &mut j,
        StepId::SesProduction,
        Status::WaitingOnAws,
        Some("AWS is reviewing the request"),
        Some(mins_ago(95)),
    );
    j.facts.checks.insert(
        StepId::SesProduction,
        CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Aws,
            headline: "AWS is reviewing the request (case 1234567890).".into(),
            lines: vec!["Submitted 1 h 35 min ago; reviews usually take under a day.".into()],
            reopen: None,
        },
    );
    j
}

/// Renders one frame of the journey at a size.
fn render(j: &Journey, ui: &mut UiState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    ui.size = (w, h);
    ui.observe(j);
    t.draw(|f| siteup::ui::draw::draw(f, j, ui)).expect("draw");
    t
}

/// Where `needle` first appears on screen: (x, y) in cells.
fn find(t: &Terminal<TestBackend>, needle: &str) -> Option<(u16, u16)> {
    let buf = t.backend().buffer();
    let area = buf.area;
    for y in 0..area.height {
        let mut cells = Vec::new();
        let mut line = String::new();
        for x in 0..area.width {
            let sym = buf[(x, y)].symbol();
            for _ in 0..sym.len() {
                cells.push(x);
            }
            line.push_str(sym);
        }
        if let Some(i) = line.find(needle) {
            return Some((cells[i], y));
        }
    }
    None
}
