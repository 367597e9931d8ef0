//! The real `siteup sandbox` in a pseudo-terminal (a private tmux server, 100x30), driven by
//! keys from the first screen to done, with the screen read back at each checkpoint; halfway,
//! the terminal is killed while the wizard waits at the nameservers, and a new `siteup sandbox`
//! in a new terminal opens at the same step with its waiting time intact.
//!
//! One full journey (two terraform applies against the emulator): a few minutes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "pty_support/drive.rs"]
mod drive;
mod pty_support;
#[path = "pty_support/run.rs"]
mod run;
#[path = "support/sandbox.rs"]
mod sandbox;
#[path = "pty_support/stop.rs"]
mod stop;
#[path = "support/tf.rs"]
mod tf;
#[path = "pty_support/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use drive::pane_title;
use pty_support::{Project, require_prerequisites, siteup_bin};
use run::log_tail;
use stop::wait_gone;
use tmux::{SESSION, Tmux};

/// terraform plan against the emulator (init included the first time).
const PLAN: Duration = Duration::from_secs(240);
/// terraform apply of a phase, then the next pane.
const APPLY: Duration = Duration::from_secs(300);
/// A screen that follows a key or a live check.
const QUICK: Duration = Duration::from_secs(60);

const NAMESERVERS: &str = "Nameservers at registrar";

fn title_is(screen: &str, title: &str) -> bool {
    pane_title(screen).as_deref() == Some(title)
}

/// Waits for the plan of `step` and approves it with `y` (typing `destroy` when the plan
/// destroys or replaces anything), then waits until the key has been taken.
fn approve_plan(term: &Tmux, step: &str, ctx: &dyn Fn() -> String) {
    let waiting = format!("{step} · waiting on you");
    let question = format!("Apply this plan for {step}?");
    let screen = term.wait_for(&format!("the plan for {step}"), PLAN, ctx, |s| {
        title_is(s, &waiting) && s.contains(&question)
    });
    if key_bar(&screen).contains("type destroy") {
        term.keys(&["y"]);
        term.wait_for("the typed confirmation", QUICK, ctx, |s| {
            key_bar(s).contains("Enter confirm")
        });
        term.type_text("destroy");
        term.keys(&["Enter"]);
    } else {
        term.keys(&["y"]);
    }
    term.wait_for(&format!("{step} to start applying"), QUICK, ctx, |s| {
        !title_is(s, &waiting)
    });
}

#[test]
fn the_wizard_in_a_terminal_runs_the_sandbox_journey_and_resumes_after_the_terminal_dies() {
    require_prerequisites(true);
    let started = Instant::now();
    let mut project = Project::new();
    let dir = project.dir();
    let dir_arg = dir.display().to_string();
    let ctx_dir = dir.clone();
    let ctx = move || log_tail(&ctx_dir, 40);
    let bin = siteup_bin();
    let args = ["sandbox", "--dir", dir_arg.as_str()];

    // First terminal: from the first screen through the foundation's plan to the nameservers.
    let mut term = Tmux::start(&project.work(), &project.env(), &bin, &args);
    let first_pid = term.program_pid();
    project.track(first_pid);
    approve_plan(&term, "Zone, email, storage", &ctx);

    let waiting_title = format!("{NAMESERVERS} · waiting on you");
    let screen = term.wait_for("the four nameservers", APPLY, &ctx, |s| {
        title_is(s, &waiting_title) && listed_nameservers(s).len() == 4
    });
    let nameservers = listed_nameservers(&screen);
    assert!(
        screen.contains("Set these 4 nameservers at your registrar"),
        "{screen}"
    );
    assert!(
        nameservers.iter().all(|n| n.contains(".awsdns-")),
        "Route 53 nameservers on screen: {nameservers:?}\n{screen}"
    );
    let row = checklist_row(&screen, NAMESERVERS).expect("the nameservers row");
    assert!(row.trim_start().starts_with('●'), "waiting on you: {row}");
    assert!(
        key_bar(&screen).contains("p play the registrar"),
        "the sandbox offers to play the registrar: {}",
        key_bar(&screen)
    );

    // While the registrar waits: the inbox, the alerts and the review, by keys on their panes.
    term.keys(&["Tab", "Tab"]);
    term.wait_for("the inbox pane", QUICK, &ctx, |s| {
        title_is(s, "Your inbox verified · waiting on you")
            && key_bar(s).contains("p click the link")
    });
    term.keys(&["p"]);
    term.wait_for("the inbox verified", QUICK, &ctx, |s| {
        title_is(s, "Your inbox verified · done")
    });
    // The alerts' confirmation: pending until the sandbox's inbox clicks the link in SNS's
    // mail; `r` has AWS mail it again.
    term.keys(&["Tab"]);
    term.wait_for("the alerts pane", QUICK, &ctx, |s| {
        title_is(s, "Alerts confirmed · waiting on you")
            && s.contains("Confirm subscription")
            && key_bar(s).contains("p click the link")
            && key_bar(s).contains("r resend mail")
    });
    term.keys(&["r"]);
    term.wait_for("the confirmation mailed again", QUICK, &ctx, |s| {
        s.contains("AWS sent the confirmation mail again")
    });
    term.keys(&["p"]);
    term.wait_for("the alerts confirmed", QUICK, &ctx, |s| {
        title_is(s, "Alerts confirmed · done")
    });
    term.keys(&["Tab"]);
    term.wait_for("the SES review pane", QUICK, &ctx, |s| {
        pane_title(s).is_some_and(|t| t.starts_with("SES out of sandbox · waiting"))
            && key_bar(s).contains("p grant the review")
    });
    term.keys(&["p"]);
    let screen = term.wait_for("SES production access granted", QUICK, &ctx, |s| {
        title_is(s, "SES out of sandbox · done")
    });
    assert!(screen.contains("production access is granted"), "{screen}");
    term.keys(&["Escape"]);
    term.wait_for("back at the nameservers", QUICK, &ctx, |s| {
        title_is(s, &waiting_title)
    });

    // Let the wait pass a minute, so a reset to zero would show.
    let screen = term.wait_for(
        "the nameservers wait to pass a minute",
        Duration::from_secs(120),
        &ctx,
        |s| {
            checklist_row(s, NAMESERVERS)
                .and_then(row_wait)
                .is_some_and(|w| w != "<1m")
        },
    );
    let before = checklist_row(&screen, NAMESERVERS)
        .and_then(row_wait)
        .map(str::to_string)
        .expect("a wait");
    assert!(screen.contains("checking for 1 min"), "{screen}");

    // Kill the terminal: siteup gets SIGHUP and must quit cleanly (lock released, log says so).
    term.kill_server();
    assert!(
        wait_gone(first_pid, Duration::from_secs(30)),
        "siteup (PID {first_pid}) is still running 30 s after its terminal went away"
    );
    let log = std::fs::read_to_string(dir.join(".siteup").join("siteup.log")).unwrap_or_default();
    assert!(log.contains("SIGHUP"), "the log records the hangup:\n{log}");
    drop(term);

    // Second terminal: the same step, the same nameservers, the wait not reset.
    let term = Tmux::start(&project.work(), &project.env(), &bin, &args);
    project.track(term.program_pid());
    let screen = term.wait_for("the resumed nameservers pane", QUICK, &ctx, |s| {
        title_is(s, &waiting_title) && listed_nameservers(s).len() == 4
    });
    assert_eq!(
        listed_nameservers(&screen),
        nameservers,
        "the same nameservers after the resume:\n{screen}"
    );
    let row = checklist_row(&screen, NAMESERVERS).expect("the nameservers row");
    let after = row_wait(row).unwrap_or("");
    assert!(
        after != "<1m" && after.ends_with('m'),
        "the wait kept its start ({before} before the terminal died): {row}\n{screen}"
    );
    assert!(
        screen.contains("checking for ") && !screen.contains("checking for less than a minute"),
        "the delegation check kept its start:\n{screen}"
    );
    for done in [
        "Your inbox verified",
        "Alerts confirmed",
        "SES out of sandbox",
    ] {
        let s = term.wait_for(&format!("{done} checked again"), QUICK, &ctx, |s| {
            checklist_row(s, done).is_some_and(|r| r.trim_start().starts_with('✓'))
        });
        assert!(title_is(&s, &waiting_title), "{s}");
    }

    // The sandbox plays the registrar from another process; no key is pressed here.
    let played = project.run(&["sandbox", "--play", "registrar"], Duration::from_secs(60));
    assert!(
        played.status.success(),
        "siteup sandbox --play registrar failed: {}{}",
        String::from_utf8_lossy(&played.stdout),
        String::from_utf8_lossy(&played.stderr)
    );
    term.wait_for(
        "the delegation verdict to flip by itself",
        Duration::from_secs(120),
        &ctx,
        |s| checklist_row(s, NAMESERVERS).is_some_and(|r| r.trim_start().starts_with('✓')),
    );

    // The stack, then done with the outputs.
    approve_plan(&term, "Site, users, API", &ctx);
    let screen = term.wait_for("the done pane", APPLY, &ctx, |s| {
        title_is(s, "Done · done") && s.contains("Your stack is up")
    });
    for expected in [
        "https://example.com",
        "https://api.example.com",
        "User pool id",
        "us-east-1_",
        "Client id",
        "Identity pool",
        "us-east-1:",
    ] {
        assert!(
            screen.contains(expected),
            "the done pane shows {expected:?}:\n{screen}"
        );
    }
    term.keys(&["q"]);
    let screen = term.wait_for("siteup to exit", QUICK, &ctx, |s| {
        s.contains("Everything is done.")
    });
    let mut status = term.exit_status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while status.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        status = term.exit_status();
    }
    assert_eq!(status, Some(0), "siteup exits 0 when done:\n{screen}");
    assert!(
        screen.contains("User pool id: ") && screen.contains("Site: https://"),
        "the outputs are printed after the wizard:\n{screen}"
    );
    eprintln!("the journey took {:.0} s", started.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------------------------
// Screen helpers only these tests use
// ---------------------------------------------------------------------------------------------

impl Tmux {
    /// Types text literally.
    fn type_text(&self, text: &str) {
        let out = self.tmux(&["send-keys", "-t", SESSION, "-l", text]);
        assert!(out.status.success(), "tmux send-keys -l failed");
    }
}

/// The rows of a screen that belong to the checklist (left of the pane's border).
fn checklist_row<'a>(screen: &'a str, title: &str) -> Option<&'a str> {
    screen.lines().find_map(|l| {
        let left = l.split(['│', '╭', '╰']).next().unwrap_or(l);
        left.contains(title).then_some(left.trim_end())
    })
}

/// The wait shown at the end of a checklist row (`<1m`, `3m`, `new`), if any.
fn row_wait(row: &str) -> Option<&str> {
    let last = row.split_whitespace().last()?;
    let looks_like_wait = last == "new"
        || last.starts_with('<')
        || last.chars().next().is_some_and(|c| c.is_ascii_digit());
    looks_like_wait.then_some(last)
}

/// The nameservers listed large on the nameserver pane (`   1  ns-…`).
fn listed_nameservers(screen: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in screen.lines() {
        let Some(pane) = line.split('│').nth(1) else {
            continue;
        };
        let mut words = pane.split_whitespace();
        if let (Some(n), Some(name), None) = (words.next(), words.next(), words.next())
            && n.parse::<u8>().is_ok()
            && name.starts_with("ns-")
        {
            out.push(name.to_string());
        }
    }
    out
}

/// The bottom line with the keys that work here.
fn key_bar(screen: &str) -> String {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string()
}
