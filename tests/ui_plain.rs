//! `--plain`: the journey as line prompts and progress lines, answers fed on standard input,
//! over the real runtime and a fake world, with no escape codes anywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "ui_support/fixtures.rs"]
mod fixtures;
mod ui_support;

use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fixtures::*;
use siteup::ui::plain::{Progress, run_plain_with};
use siteup::wizard::{Event, Journey, Mode, StepId, Stop};
use ui_support::*;

#[derive(Clone, Default)]
struct Out(Arc<Mutex<Vec<u8>>>);

impl Write for Out {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Out {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

fn resume(profile: Option<&str>) -> Event {
    Event::Resume {
        records: vec![],
        site_answered: false,
        state_migrated: false,
        profile: profile.map(str::to_string),
        sandbox: true,
    }
}

async fn run(answers: &str, profile: Option<&str>) -> (Journey, Stop, String, FakeWorld) {
    let world = FakeWorld::new();
    let out = Out::default();
    let mut o = opts(false, false);
    o.site = None;
    let (j, stop) = tokio::time::timeout(
        Duration::from_secs(60),
        run_plain_with(
            o,
            Journey::new(Mode::Interactive),
            resume(profile),
            world.handlers(true),
            None,
            Cursor::new(answers.as_bytes().to_vec()),
            Box::new(out.clone()),
            false,
        ),
    )
    .await
    .expect("the plain journey finished in time")
    .expect("plain mode ran");
    (j, stop, out.text(), world)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_on_stdin_reach_done() {
    let answers = [
        "1",           // the AWS profile
        "example.com", // domain
        "",
        "",
        "",
        "",
        "",
        "",
        "",                // region .. mail: the defaults
        "you@example.net", // the owner's inbox
        "",                // the monthly budget: 20 dollars
        "",                // parts: all
        "y",               // state bucket plan
        "y",               // foundation plan
        "p",               // the sandbox plays the registrar
        "y",               // the stack's plan
        "p",               // the sandbox clicks the inbox's link
        "p",               // the sandbox clicks the alerts' link
        "p",               // the sandbox grants production access
    ]
    .join("\n")
        + "\n";
    let (j, stop, out, world) = run(&answers, None).await;
    assert_eq!(stop, Stop::Done, "{out}");
    assert!(j.all_done());
    assert!(!out.contains('\x1b'), "no escape codes in plain mode");
    for expected in [
        "Choose the AWS profile",
        "Using the AWS profile sandbox.",
        "Domain: The domain you bought",
        "Apply this plan? [y/N]",
        "Nameservers to set at your registrar:",
        "ns-1536.awsdns-00.co.uk",
        "Nameservers at registrar: done",
        "Asking the sandbox to play the registrar.",
        "created Route 53 hosted zone example.com",
        "Done: your stack is up.",
        "Site: https://example.com",
        "Route 53 hosted zone: $0.50",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // Checkpoint headlines are printed when they change, not on every poll.
    let waits = out
        .matches("Nameservers at registrar: waiting on you")
        .count();
    assert_eq!(waits, 1, "{out}");
    let w = world.state.lock().expect("lock");
    assert_eq!(w.saved_site.as_deref(), Some("example.com"));
    assert_eq!(
        w.applies.len(),
        2,
        "the foundation (with the state bucket), then the stack"
    );
    assert_eq!(
        w.played,
        vec![
            StepId::Nameservers,
            StepId::Inbox,
            StepId::Alerts,
            StepId::SesProduction
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_answer_is_asked_again_and_no_means_no() {
    let answers = [
        "not a domain",
        "example.com",
        "mars-1", // region: wrong, asked again
        "eu-west-1",
        "",
        "",
        "",
        "",
        "",
        "",
        "",  // budget
        "",  // parts
        "",  // state plan: Enter is No
        "q", // a question about the declined plan: quit
    ]
    .join("\n")
        + "\n";
    let (_j, stop, out, world) = run(&answers, Some("sandbox")).await;
    assert!(
        out.contains("not an AWS region") || out.contains("mars-1"),
        "{out}"
    );
    assert!(out.contains("Not applied"), "{out}");
    assert!(
        world.state.lock().expect("lock").applies.is_empty(),
        "nothing applied"
    );
    assert!(matches!(stop, Stop::Quit | Stop::Waiting(_)), "{stop:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_ending_at_a_question_stops_waiting() {
    let answers = "example.com\n\n\n\n\n\n\n\n\n\n\n";
    let (_j, stop, out, world) = run(answers, Some("sandbox")).await;
    let Stop::Waiting(msg) = &stop else {
        panic!("expected waiting, got {stop:?}\n{out}");
    };
    assert!(msg.contains("plan"), "{msg}");
    assert!(out.contains("Standard input ended"), "{out}");
    assert!(world.state.lock().expect("lock").applies.is_empty());
}

#[test]
fn progress_lines_come_from_changes_only() {
    let mut p = Progress::default();
    let j = nameservers_waiting();
    let first = p.lines(&j);
    assert!(
        first
            .iter()
            .any(|l| l.starts_with("Nameservers at registrar: waiting on you"))
    );
    assert!(first.iter().any(|l| l.contains("ns-0.awsdns-00.com")));
    // The same snapshot again (a poll that found nothing new) prints nothing.
    assert!(p.lines(&j).is_empty());
    // Apply rows: done and failed rows are reported once.
    let a = applying(6);
    let lines = p.lines(&a);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("FAILED to create ACM certificate example.com")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("LimitExceededException")));
    assert!(p.lines(&a).is_empty());
}
