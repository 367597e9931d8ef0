//! Changing the parts of a live sandbox project, as a user does: siteup.toml edited, then
//! `siteup up --yes`, and a plan that destroys or replaces something reviewed and approved in
//! `siteup --plain` (typing the word), as `up` tells the user to. For journey.rs's parts test.
//! Included with `#[path = "journey_support/parts.rs"] mod parts;` next to `journey_support`,
//! `full`, `watch` and `checks`.

use std::io::Write;
use std::time::{Duration, Instant};

use siteup::project::settings;
use siteup::site::Parts;

use crate::journey_support::{Finished, Project, tail};

impl Project {
    /// Writes `parts` into siteup.toml, as a user edits it (the rest of the file is kept).
    pub(crate) fn set_parts(&self, parts: Parts) {
        let mut toml = settings::load(&self.root)
            .expect("a readable siteup.toml")
            .expect("siteup.toml exists");
        toml.parts = parts;
        settings::save(&self.root, &toml).expect("write siteup.toml");
    }

    /// Drops the foundation step from the journal, as in a new checkout of a live project (the
    /// journal is not committed): the next run plans the foundation phase again.
    pub(crate) fn forget_foundation(&self) {
        let mut journal = self.journal();
        assert!(
            journal.steps.remove("foundation").is_some(),
            "the journal records the foundation"
        );
        journal.save(&self.state_dir()).expect("write the journal");
    }

    /// `siteup --plain` with answers given as its questions come: every plan is approved (`y`,
    /// then the word a destructive plan asks for); any other question fails the test. Returns
    /// the finished run and the plan summaries it approved.
    /// With `answer_checks`, a checkpoint's question is answered with Enter (check now).
    pub(crate) fn approve_plans_in_plain_mode(
        &self,
        timeout: Duration,
        answer_checks: bool,
    ) -> (Finished, Vec<String>) {
        let mut run = self.spawn_with_open_stdin(&["--plain"]);
        let deadline = Instant::now() + timeout;
        let mut seen = 0;
        let mut approved = Vec::new();
        loop {
            let out = run.stdout_so_far();
            let lines: Vec<&str> = out.lines().collect();
            // Only complete lines (a question ends with its newline).
            let complete = if out.ends_with('\n') {
                lines.len()
            } else {
                lines.len().saturating_sub(1)
            };
            for i in seen..complete {
                let line = lines[i];
                let reply = if line == "Apply this plan? [y/N]" {
                    // The summary is the line after "Plan for ...:".
                    let summary = lines[..i]
                        .iter()
                        .rposition(|l| l.starts_with("Plan for "))
                        .and_then(|p| lines.get(p + 1))
                        .map_or_else(String::new, |s| s.trim().to_string());
                    approved.push(summary);
                    "y"
                } else if line.starts_with("Type destroy to apply") {
                    "destroy"
                } else if answer_checks && line.contains(": Enter checks now") {
                    ""
                } else if line.contains("Type r to plan again")
                    || line.starts_with("Type r and Enter to try again")
                    || line.contains(": Enter checks now")
                    || line.starts_with("Choose the AWS profile")
                    || line.starts_with("Site answers (press Enter")
                {
                    let rest = tail(&out, 40);
                    drop(run);
                    panic!(
                        "siteup --plain asked {line:?}, which this change should not ask:\n{rest}"
                    );
                } else {
                    continue;
                };
                let stdin = run.stdin.as_mut().expect("stdin is open");
                stdin
                    .write_all(format!("{reply}\n").as_bytes())
                    .and_then(|()| stdin.flush())
                    .unwrap_or_else(|e| panic!("could not answer {line:?}: {e}"));
            }
            seen = complete;
            if let Some(done) = run.try_finish() {
                return (done, approved);
            }
            if Instant::now() >= deadline {
                let rest = tail(&out, 40);
                drop(run);
                panic!(
                    "siteup --plain did not finish within {} s:\n{rest}",
                    timeout.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
