//! `siteup --plain` runs the whole sandbox journey as line-by-line prompts, with the answers fed
//! on standard input (not a terminal) as the questions come, and prints no escape codes.
//!
//! First `siteup sandbox` starts the sandbox with its output going to a pipe: the plain mode is
//! chosen by itself, and with nothing on standard input it stops at the first question. Then
//! `siteup --plain` in the same folder attaches to that sandbox and completes the journey: the
//! three plans approved with `y`, the registrar, the inbox and the review played with `p`.
//!
//! One full journey (three terraform applies against the emulator): a few minutes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod pty_support;
#[path = "pty_support/run.rs"]
mod run;
#[path = "support/sandbox.rs"]
mod sandbox;
#[path = "support/tf.rs"]
mod tf;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pty_support::{Project, require_prerequisites};
use run::log_tail;

/// The whole journey in the plain mode, bounded.
const JOURNEY: Duration = Duration::from_secs(420);

const ESC: u8 = 0x1b;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The answer a person would type to a line of the plain mode, if the line asks something.
fn answer_for(line: &str) -> Option<Answer> {
    if line == "Apply this plan? [y/N]" {
        return Some(Answer::Line("y".into()));
    }
    if line.starts_with("Type destroy to apply") {
        return Some(Answer::Line("destroy".into()));
    }
    if let Some((step, keys)) = line.split_once(": Enter checks now") {
        // A checkpoint: let the sandbox play the person; wait on the ones it cannot play.
        let a = if keys.contains("p lets the sandbox") {
            "p"
        } else {
            "w"
        };
        return Some(Answer::Checkpoint(step.to_string(), a.into()));
    }
    if line.starts_with("Type r and Enter to try again") || line.contains("Type r to plan again") {
        return Some(Answer::Unexpected(line.to_string()));
    }
    if line.starts_with("Choose the AWS profile")
        || line.starts_with("No AWS profile was found")
        || line.starts_with("Site answers (press Enter")
    {
        return Some(Answer::Unexpected(line.to_string()));
    }
    None
}

fn fail(why: &str, transcript: &[String], dir: &std::path::Path) -> ! {
    panic!(
        "{why}; the plain mode's output so far:\n{}\n{}",
        transcript.join("\n"),
        log_tail(dir, 40)
    )
}

enum Answer {
    Line(String),
    Checkpoint(String, String),
    /// A question this journey should never ask (a failure, the profile, the site form).
    Unexpected(String),
}

#[test]
fn plain_mode_completes_the_sandbox_journey_with_answers_on_standard_input() {
    require_prerequisites(false);
    let started = Instant::now();
    let mut project = Project::new();
    let dir = project.dir();

    // 1. `siteup sandbox` writing to a pipe: plain by itself; no answers, so it stops at the
    //    first question and leaves the sandbox running.
    let first = project.run(&["sandbox"], Duration::from_secs(240));
    let (out, err) = (text(&first.stdout), text(&first.stderr));
    assert!(
        !first.stdout.contains(&ESC) && !first.stderr.contains(&ESC),
        "the plain mode printed an escape code:\n{out:?}\n{err:?}"
    );
    assert_eq!(
        first.status.code(),
        Some(2),
        "siteup sandbox waits at the first question (exit 2):\n{out}\n{err}\n{}",
        log_tail(&dir, 30)
    );
    assert!(
        out.contains("Plan for Zone, email, storage:") && out.contains("Apply this plan? [y/N]"),
        "the first question is the foundation's plan:\n{out}"
    );
    assert!(
        out.contains("Standard input ended and a question is waiting for an answer."),
        "{out}"
    );
    // The plain mode says once how it stopped; the command adds no second summary.
    assert_eq!(
        out.matches("Everything is saved").count(),
        1,
        "the stop is reported once:\n{out}"
    );
    assert!(!out.contains("\nWaiting:\n"), "no second summary:\n{out}");
    eprintln!(
        "[{:>5.1}s] the sandbox is up; the plain mode stopped at the first plan",
        started.elapsed().as_secs_f64()
    );

    // 2. `siteup --plain` with answers on standard input, given as the questions come.
    let mut child = project
        .siteup(&["--plain"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start siteup --plain");
    project.track(child.id());
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        loop {
            let mut line = Vec::new();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });

    let mut raw: Vec<u8> = Vec::new();
    let mut transcript: Vec<String> = Vec::new();
    let mut answered: Vec<String> = Vec::new();
    let mut unexpected: Option<String> = None;
    let deadline = Instant::now() + JOURNEY;
    let fail = |why: &str, transcript: &[String]| fail(why, transcript, &dir);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            fail(
                &format!("the plain journey did not finish within {JOURNEY:?}"),
                &transcript,
            );
        }
        let bytes = match rx.recv_timeout(left) {
            Ok(b) => b,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        raw.extend_from_slice(&bytes);
        let line = text(&bytes).trim_end_matches(['\n', '\r']).to_string();
        transcript.push(line.clone());
        let reply = match answer_for(&line) {
            None => continue,
            Some(Answer::Line(a)) => a,
            Some(Answer::Checkpoint(step, a)) => {
                answered.push(format!("{step}: {a}"));
                a
            }
            Some(Answer::Unexpected(q)) => {
                unexpected.get_or_insert(q);
                "q".to_string()
            }
        };
        if reply == "y" {
            answered.push("plan: y".into());
        }
        eprintln!(
            "[{:>5.1}s] {line} -> {reply}",
            started.elapsed().as_secs_f64()
        );
        if let Err(e) = stdin
            .write_all(format!("{reply}\n").as_bytes())
            .and_then(|()| stdin.flush())
        {
            fail(&format!("could not answer {line:?}: {e}"), &transcript);
        }
    }
    drop(stdin);
    let wait_deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        match child.try_wait().expect("wait for siteup --plain") {
            Some(s) => break s,
            None if Instant::now() > wait_deadline => {
                let _ = child.kill();
                fail(
                    "siteup --plain closed its output but did not exit",
                    &transcript,
                );
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let err_bytes = err_thread.join().unwrap_or_default();
    let all = transcript.join("\n");
    if let Some(q) = unexpected {
        fail(&format!("the plain mode asked {q:?}"), &transcript);
    }
    assert!(
        status.success(),
        "siteup --plain exits 0 when done ({status}):\n{all}\n{}\n{}",
        text(&err_bytes),
        log_tail(&dir, 40)
    );
    assert!(
        !raw.contains(&ESC) && !err_bytes.contains(&ESC),
        "the plain mode printed an escape code:\n{:?}\n{:?}",
        text(&raw),
        text(&err_bytes)
    );

    // Every plan was shown and approved from standard input.
    for step in ["Zone, email, storage", "Site, users, API"] {
        assert!(
            all.contains(&format!("Plan for {step}:")),
            "the plan for {step} was shown:\n{all}"
        );
    }
    assert_eq!(
        answered.iter().filter(|a| *a == "plan: y").count(),
        2,
        "two plans approved: {answered:?}"
    );
    // The four nameservers, and the sandbox playing the person at each checkpoint.
    let i = transcript
        .iter()
        .position(|l| l == "Nameservers to set at your registrar:")
        .unwrap_or_else(|| fail("no nameservers were printed", &transcript));
    let listed: Vec<&String> = transcript[i + 1..]
        .iter()
        .take_while(|l| l.starts_with("  ns-"))
        .collect();
    assert_eq!(listed.len(), 4, "four nameservers:\n{all}");
    for (step, play) in [
        ("Nameservers at registrar", "play the registrar"),
        ("Your inbox verified", "click the link"),
        ("Alerts confirmed", "click the link"),
        ("SES out of sandbox", "grant the review"),
    ] {
        assert!(
            answered.contains(&format!("{step}: p")),
            "the sandbox was asked to play {step}: {answered:?}\n{all}"
        );
        assert!(
            all.contains(&format!("Asking the sandbox to {play}.")),
            "{all}"
        );
        assert!(
            all.contains(&format!("{step}: done")),
            "{step} turned done:\n{all}"
        );
    }
    // Done, with the outputs the user needs next.
    assert!(all.contains("Done: your stack is up."), "{all}");
    assert!(
        !all.contains("Everything is done. Run `siteup status`"),
        "the outputs are listed once, by the plain mode:\n{all}"
    );
    for expected in [
        "  Site: https://example.com",
        "  API: https://api.example.com",
        "  User pool id: us-east-1_",
        "  Client id: ",
        "  Identity pool: us-east-1:",
    ] {
        assert!(
            all.contains(expected),
            "the outputs include {expected:?}:\n{all}"
        );
    }
    eprintln!(
        "the plain journey took {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
