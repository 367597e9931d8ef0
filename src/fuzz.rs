//! Bounded mutation tests over every parser that reads outside input: siteup.toml, the journal,
//! terraform's `-json` streams and `show -json`, and DNS answers. Each parser gets a few hundred
//! deterministic mutations of a valid sample (bytes flipped, inserted, deleted, duplicated,
//! truncated) and must return a value or an error sentence, never panic. The seeds are fixed, so
//! a failure reproduces; the counts keep the whole module well under a second.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// `count` mutations of `sample`, the same ones on every run for a given `seed`.
pub(crate) fn mutations(seed: u64, sample: &[u8], count: usize) -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(seed);
    const INTERESTING: &[&[u8]] = &[
        b"\"",
        b"\\",
        b"{",
        b"}",
        b"[",
        b"]",
        b"\n",
        b"\x00",
        b"\x1b[2J",
        b"\xff\xfe",
        b"99999999999999999999",
        b"-1",
        b"null",
        b"= ",
        b"\"\"\"",
        b"\xc3",
    ];
    (0..count)
        .map(|_| {
            let mut bytes = sample.to_vec();
            for _ in 0..rng.random_range(1..=4) {
                let len = bytes.len();
                match rng.random_range(0..6) {
                    0 if len > 0 => {
                        let i = rng.random_range(0..len);
                        bytes[i] ^= 1 << rng.random_range(0..8);
                    }
                    1 => {
                        let i = rng.random_range(0..=len);
                        let piece = INTERESTING[rng.random_range(0..INTERESTING.len())];
                        bytes.splice(i..i, piece.iter().copied());
                    }
                    2 if len > 0 => {
                        let start = rng.random_range(0..len);
                        let end = (start + rng.random_range(1..=16)).min(len);
                        bytes.drain(start..end);
                    }
                    3 if len > 0 => {
                        let start = rng.random_range(0..len);
                        let end = (start + rng.random_range(1..=32)).min(len);
                        let piece: Vec<u8> = bytes[start..end].to_vec();
                        let at = rng.random_range(0..=len);
                        bytes.splice(at..at, piece);
                    }
                    4 if len > 0 => bytes.truncate(rng.random_range(0..len)),
                    _ if len > 0 => {
                        let i = rng.random_range(0..len);
                        bytes[i] = rng.random();
                    }
                    _ => bytes.push(rng.random()),
                }
            }
            bytes
        })
        .collect()
}

/// An error as the user reads it: one line, a full stop at the end.
fn assert_sentence(what: &str, text: &str) {
    assert!(!text.trim().is_empty(), "{what}: an empty error");
    assert!(
        text.trim_end().ends_with('.'),
        "{what}: the error is not a sentence: {text}"
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{assert_sentence, mutations};

    const ROUNDS: usize = 2000;

    #[test]
    fn siteup_toml_never_panics_and_every_error_is_a_sentence() {
        let config = crate::site::SiteConfig::with_defaults(
            crate::site::Domain::parse("example.com").expect("domain"),
            crate::site::Region::parse("eu-west-1").expect("region"),
        );
        let sample =
            crate::project::settings::SiteupToml::from_config(&config, Some("work".into()))
                .render();
        let mut refused = 0;
        for bytes in mutations(1, sample.as_bytes(), ROUNDS) {
            let text = String::from_utf8_lossy(&bytes);
            if let Err(e) =
                crate::project::settings::SiteupToml::parse(&text, Path::new("siteup.toml"))
            {
                refused += 1;
                assert_sentence("siteup.toml", &e.to_string());
            }
        }
        assert!(
            refused > ROUNDS / 4,
            "the mutations barely changed anything"
        );
    }

    #[test]
    fn the_journal_never_panics_and_every_error_is_a_sentence() {
        let mut journal = crate::project::journal::Journal::new();
        journal.record(
            "zone",
            crate::project::journal::Status::Running,
            None,
            "2026-11-28T10:00:00Z",
        );
        journal.record(
            "zone",
            crate::project::journal::Status::Done,
            Some("ok".into()),
            "2026-11-28T10:01:00Z",
        );
        let sample = serde_json::to_vec_pretty(&journal).expect("json");
        let mut refused = 0;
        for bytes in mutations(2, &sample, ROUNDS) {
            if let Err(e) = crate::project::journal::Journal::parse(&bytes, Path::new("j.json")) {
                refused += 1;
                assert_sentence("journal", &e.to_string());
            }
        }
        assert!(
            refused > ROUNDS / 4,
            "the mutations barely changed anything"
        );
    }

    #[test]
    fn terraform_streams_never_panic() {
        let samples: [&str; 4] = [
            include_str!("../tests/fixtures/terraform/streams/plan_create.jsonl"),
            include_str!("../tests/fixtures/terraform/streams/apply_create.jsonl"),
            include_str!("../tests/fixtures/terraform/streams/apply_error.jsonl"),
            include_str!("../tests/fixtures/terraform/streams/init.jsonl"),
        ];
        for (seed, sample) in samples.iter().enumerate() {
            for bytes in mutations(10 + seed as u64, sample.as_bytes(), ROUNDS / 2) {
                let text = String::from_utf8_lossy(&bytes);
                for event in crate::terraform::events::parse_stream(&text) {
                    let _ = format!("{event:?}");
                }
            }
        }
    }

    #[test]
    fn a_plan_shown_as_json_never_panics() {
        let sample = include_bytes!("../tests/fixtures/terraform/streams/show_replace.json");
        for bytes in mutations(20, sample, ROUNDS) {
            if let Ok(review) =
                crate::terraform::plan_review::PlanReview::from_show_json(&bytes, None)
            {
                let _ = review.ordered().len();
            }
        }
    }

    #[test]
    fn a_manifest_never_names_a_path_outside_the_folder() {
        let sample = br#"{"schema": 1, "files": {"zone.tf": "ab12", "lambda/api.zip": "cd34", "README.md": "ef56"}}"#;
        let mut kept = 0;
        for bytes in mutations(40, sample, ROUNDS) {
            let mut notes = Vec::new();
            let files = crate::tfgen::manifest::parse_manifest(&bytes, &mut notes);
            for name in files.keys() {
                let path = Path::new(name);
                assert!(
                    path.components()
                        .all(|c| matches!(c, std::path::Component::Normal(_))),
                    "the manifest let {name:?} through"
                );
                kept += 1;
            }
            for note in &notes {
                assert_sentence("manifest note", note);
                assert!(!note.contains('\u{1b}'), "a raw escape in {note:?}");
            }
        }
        assert!(
            kept > 0,
            "no mutation kept an entry: the property was never tested"
        );
    }

    #[test]
    fn dns_answers_never_panic() {
        for (seed, sample) in crate::dns::registry::sample_answers().iter().enumerate() {
            for bytes in mutations(30 + seed as u64, sample, ROUNDS) {
                crate::dns::registry::read_any(&bytes);
            }
        }
    }

    #[test]
    fn txt_records_never_panic_the_mail_readiness() {
        use crate::aws::mail_readiness::{
            AlertsSubscription, MailFacts, MailReadiness, TxtLookup, render_email,
        };
        let samples = [
            "v=DMARC1; p=quarantine; rua=mailto:a@example.net!10m,mailto:b@example.com; pct=50",
            "v=spf1 include:amazonses.com ~all",
        ];
        let mut seen_policy = false;
        for (seed, sample) in samples.iter().enumerate() {
            for bytes in mutations(60 + seed as u64, sample.as_bytes(), ROUNDS) {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let facts = MailFacts {
                    domain: "example.com".into(),
                    planned_mail_from: "mail.example.com".into(),
                    identity: Err("not read".into()),
                    configuration_set: None,
                    account: Err("not read".into()),
                    spf: TxtLookup::Records(vec![text.clone()]),
                    dmarc: TxtLookup::Records(vec![text.clone()]),
                    report_authorizations: vec![(
                        "example.net".into(),
                        TxtLookup::Records(vec![text]),
                    )],
                    subscription: AlertsSubscription::NoAddress,
                    reputation_alarms: None,
                };
                let r = MailReadiness::assess(&facts);
                seen_policy |= r.policy().is_some();
                let shown = render_email(&r);
                assert!(shown.starts_with("Mail for example.com"), "{shown}");
            }
        }
        assert!(
            seen_policy,
            "no mutation kept a DMARC policy: the parser was never exercised"
        );
    }
}
