//! The `-json` stream parser, the apply progress fold and the lock parser, on streams recorded
//! from terraform 1.11.4 + hashicorp/aws 5.100.0 against moto (tests/fixtures/terraform/streams),
//! and on garbage.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use std::path::PathBuf;

use rand::{RngExt, SeedableRng};
use siteup::terraform::events::{Action, Severity, TfEvent, parse_line, parse_stream};
use siteup::terraform::lock::LockInfo;
use siteup::terraform::plan_review::PlanReview;
use siteup::terraform::progress::{ApplyProgress, ResourceStatus};
use siteup::terraform::runner::summarize_stderr;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform/streams")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} is missing: {e}", path.display()))
}

fn events(name: &str) -> Vec<TfEvent> {
    let events = parse_stream(&fixture(name));
    assert!(!events.is_empty(), "{name} has no events");
    for e in &events {
        assert!(
            !matches!(e, TfEvent::Unknown(_) | TfEvent::NotJson(_)),
            "{name}: a recorded line was not typed: {e:?}"
        );
    }
    events
}

fn fold(events: &[TfEvent]) -> ApplyProgress {
    let mut p = ApplyProgress::new();
    for e in events {
        p.on_event(e);
    }
    p
}

#[test]
fn every_recorded_stream_starts_with_the_version() {
    for name in [
        "plan_create.jsonl",
        "apply_create.jsonl",
        "plan_drift.jsonl",
        "plan_warnings.jsonl",
        "apply_error.jsonl",
        "apply_interrupt.jsonl",
        "plan_locked.jsonl",
        "plan_lock_timeout.jsonl",
        "init.jsonl",
        "plan_config_error.jsonl",
        "apply_replace.jsonl",
    ] {
        let ev = events(name);
        match &ev[0] {
            TfEvent::Version(v) => {
                assert_eq!(v.terraform, "1.11.4", "{name}");
                assert_eq!(v.ui, "1.2", "{name}");
            }
            other => panic!("{name}: first event is {other:?}"),
        }
    }
}

#[test]
fn plan_stream_has_changes_summary_and_outputs() {
    let ev = events("plan_create.jsonl");
    let planned: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            TfEvent::PlannedChange(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(planned.len(), 4);
    assert!(planned.iter().all(|c| c.action == Action::Create));
    assert_eq!(planned[0].resource.addr, "aws_route53_zone.test");
    assert_eq!(planned[1].resource.resource_key.as_deref(), Some("0"));
    let summary = ev
        .iter()
        .find_map(|e| match e {
            TfEvent::ChangeSummary(s) => Some(s),
            _ => None,
        })
        .expect("change_summary");
    assert_eq!((summary.add, summary.change, summary.remove), (4, 0, 0));
    assert_eq!(summary.operation, "plan");
    let outputs = ev
        .iter()
        .find_map(|e| match e {
            TfEvent::Outputs(o) => Some(o),
            _ => None,
        })
        .expect("outputs");
    assert_eq!(
        outputs.get("zone_id").and_then(|o| o.action.clone()),
        Some(Action::Create)
    );
}

#[test]
fn apply_stream_folds_into_per_resource_progress() {
    let ev = events("apply_create.jsonl");
    let p = fold(&ev);
    assert_eq!(p.resources().len(), 4);
    assert_eq!(p.counts(), (0, 0, 4, 0));
    let zone = p.get("aws_route53_zone.test").expect("zone row");
    assert_eq!(zone.status, ResourceStatus::Done);
    assert_eq!(zone.elapsed_seconds, 15);
    assert_eq!(zone.id.as_deref(), Some("1TQT5W377ULMNVT0OGID5R"));
    assert_eq!(zone.human_type, "Route 53 hosted zone");
    assert_eq!(zone.action, Some(Action::Create));
    let summary = p.summary().expect("apply summary");
    assert_eq!(summary.operation, "apply");
    assert_eq!(summary.add, 4);
    assert_eq!(
        summary.message,
        "Apply complete! Resources: 4 added, 0 changed, 0 destroyed."
    );
    assert!(!p.has_failures());
    assert!(!p.interrupted());
    // The progress lines carry terraform's own elapsed seconds while running.
    let mut partial = ApplyProgress::new();
    for e in &ev {
        partial.on_event(e);
        if let TfEvent::ApplyProgress(h) = e
            && h.resource.addr == "aws_route53_record.txt[1]"
        {
            break;
        }
    }
    let rec = partial
        .get("aws_route53_record.txt[1]")
        .expect("record row");
    assert_eq!(rec.status, ResourceStatus::Running);
    assert_eq!(rec.elapsed_seconds, 10);
    assert_eq!(
        partial.get("aws_route53_record.txt[2]").map(|r| r.status),
        Some(ResourceStatus::Running)
    );
    let text = p.render_text();
    assert!(text.contains("done    create  Route 53 hosted zone (aws_route53_zone.test) 15s"));
}

#[test]
fn refresh_and_drift_are_typed() {
    let ev = events("plan_drift.jsonl");
    let count = |f: fn(&TfEvent) -> bool| ev.iter().filter(|e| f(e)).count();
    assert_eq!(count(|e| matches!(e, TfEvent::RefreshStart(_))), 4);
    assert_eq!(count(|e| matches!(e, TfEvent::RefreshComplete(_))), 4);
    assert_eq!(count(|e| matches!(e, TfEvent::ResourceDrift(_))), 2);
    let delete = ev
        .iter()
        .find_map(|e| match e {
            TfEvent::PlannedChange(c) if c.action == Action::Delete => Some(c),
            _ => None,
        })
        .expect("a planned delete");
    assert_eq!(delete.resource.addr, "aws_route53_record.txt[2]");
    assert_eq!(delete.reason.as_deref(), Some("delete_because_count_index"));
    let refresh = ev
        .iter()
        .find_map(|e| match e {
            TfEvent::RefreshComplete(h) => Some(h),
            _ => None,
        })
        .expect("refresh_complete");
    assert_eq!(refresh.id_key.as_deref(), Some("id"));
    assert!(refresh.id_value.is_some());
}

#[test]
fn plan_time_warnings_are_collected_for_the_review() {
    let ev = events("plan_warnings.jsonl");
    let warnings: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            TfEvent::Diagnostic(d) if d.severity == Severity::Warning => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 2);
    assert_eq!(warnings[0].summary, "Argument is deprecated");
    assert_eq!(warnings[0].address.as_deref(), Some("aws_s3_bucket.warn"));
    assert_eq!(
        warnings[0]
            .range
            .as_ref()
            .map(|r| (r.filename.as_str(), r.start_line)),
        Some(("main.tf", 26))
    );
    let review = PlanReview::from_show_json(b"{\"resource_changes\":[]}", None)
        .expect("empty plan")
        .with_diagnostics(warnings);
    let text = review.render_text();
    assert!(
        text.contains("aws_s3_bucket.warn: Argument is deprecated: acl is deprecated. Use the aws_s3_bucket_acl resource instead."),
        "{text}"
    );
}

#[test]
fn failed_resource_carries_terraforms_error_text() {
    let ev = events("apply_error.jsonl");
    let p = fold(&ev);
    let broken = p.get("aws_route53_record.broken").expect("broken row");
    assert_eq!(broken.status, ResourceStatus::Failed);
    assert_eq!(
        broken.errors,
        ["reading Route 53 Hosted Zone (ZNOSUCHZONE000): couldn't find resource".to_string()]
    );
    assert_eq!(
        p.get("aws_s3_bucket.warn").map(|r| r.status),
        Some(ResourceStatus::Done)
    );
    assert_eq!(p.warnings().len(), 1);
    assert!(p.summary().is_none(), "a failed apply prints no summary");
    assert!(p.has_failures());
    assert!(!p.interrupted());
}

#[test]
fn interrupted_apply_is_told_apart_from_a_failure() {
    let ev = events("apply_interrupt.jsonl");
    assert!(ev.iter().any(TfEvent::is_interrupt));
    let p = fold(&ev);
    assert!(p.interrupted());
    assert_eq!(
        p.get("aws_s3_bucket.first").map(|r| r.status),
        Some(ResourceStatus::Done)
    );
    let zone = p.get("aws_route53_zone.slow").expect("zone row");
    assert_eq!(zone.status, ResourceStatus::Failed);
    assert!(
        zone.errors
            .iter()
            .any(|e| e.contains("synchronize: context canceled")),
        "{:?}",
        zone.errors
    );
    assert_eq!(p.errors(), ["execution halted".to_string()]);
    // The failed apply of apply_error.jsonl has no interrupt line.
    assert!(
        !events("apply_error.jsonl")
            .iter()
            .any(TfEvent::is_interrupt)
    );
}

#[test]
fn lock_error_becomes_lock_info() {
    let ev = events("plan_locked.jsonl");
    let lock = ev
        .iter()
        .find_map(LockInfo::from_event)
        .expect("the lock diagnostic parses");
    assert_eq!(lock.id.as_str(), "d6b24a84-fe86-9035-342b-97ba3f4cb497");
    assert_eq!(lock.who.as_deref(), Some("root@vm"));
    assert_eq!(lock.operation.as_deref(), Some("OperationTypeApply"));
    assert_eq!(
        lock.path.as_deref(),
        Some("siteup-test-state/fixture/terraform.tfstate")
    );
    assert_eq!(lock.version.as_deref(), Some("1.11.4"));
    let created = lock.created.expect("created time");
    let text = lock.describe(created + time::Duration::seconds(30));
    assert_eq!(
        text,
        "The terraform state is locked by root@vm since 2026-11-28 22:03 UTC (less than a minute ago), running apply (lock ID d6b24a84-fe86-9035-342b-97ba3f4cb497)."
    );

    let ev = events("plan_lock_timeout.jsonl");
    assert!(
        matches!(ev[1], TfEvent::StateLockAcquire(ref l) if l.message.starts_with("Acquiring state lock"))
    );
    let lock = ev.iter().find_map(LockInfo::from_event).expect("lock");
    assert_eq!(lock.id.as_str(), "46563d22-a788-8110-a497-d80dbd0fe730");
}

#[test]
fn init_and_config_errors() {
    let ev = events("init.jsonl");
    let codes: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            TfEvent::InitOutput(i) => i.message_code.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(
        codes,
        [
            "initializing_backend_message",
            "initializing_provider_plugin_message",
            "output_init_success_message"
        ]
    );
    let ev = events("plan_config_error.jsonl");
    let d = ev
        .iter()
        .find_map(|e| match e {
            TfEvent::Diagnostic(d) => Some(d),
            _ => None,
        })
        .expect("diagnostic");
    assert!(d.is_error());
    assert_eq!(d.address, None);
    assert_eq!(
        d.one_line(),
        "Unsupported argument: An argument named \"nosuch\" is not expected here."
    );
    let p = fold(&ev);
    assert_eq!(
        p.errors(),
        ["Unsupported argument: An argument named \"nosuch\" is not expected here.".to_string()]
    );
}

#[test]
fn plain_text_stderr_is_summarised() {
    let text = fixture("init_migrate_no_bucket.stderr");
    let s = summarize_stderr(&text).expect("summary");
    assert!(
        s.starts_with("Error inspecting states in the \"local\" backend: S3 bucket \"siteup-no-such-bucket\" does not exist."),
        "{s}"
    );
}

/// Random bytes, mutated recorded lines and well-formed JSON of the wrong shape: the parser
/// returns something for each and never panics.
#[test]
fn garbage_lines_never_panic() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x0051_730b);
    let recorded: Vec<String> = [
        "apply_create.jsonl",
        "apply_interrupt.jsonl",
        "plan_locked.jsonl",
        "plan_drift.jsonl",
        "apply_error.jsonl",
    ]
    .iter()
    .flat_map(|n| fixture(n).lines().map(str::to_string).collect::<Vec<_>>())
    .collect();
    let mut typed = 0usize;
    let mut not_json = 0usize;
    for i in 0..20_000 {
        let bytes: Vec<u8> = match i % 4 {
            // Pure random bytes.
            0 => {
                let len = rng.random_range(0..300);
                (0..len).map(|_| rng.random::<u8>()).collect()
            }
            // A recorded line cut short.
            1 => {
                let line = recorded[rng.random_range(0..recorded.len())].as_bytes();
                line[..rng.random_range(0..=line.len())].to_vec()
            }
            // A recorded line with random bytes flipped.
            2 => {
                let mut line = recorded[rng.random_range(0..recorded.len())]
                    .as_bytes()
                    .to_vec();
                for _ in 0..rng.random_range(1..6) {
                    let at = rng.random_range(0..line.len());
                    line[at] = rng.random::<u8>();
                }
                line
            }
            // Valid JSON, known type, fields of the wrong shape.
            _ => {
                let kinds = [
                    "apply_start",
                    "apply_progress",
                    "diagnostic",
                    "planned_change",
                    "change_summary",
                    "outputs",
                    "version",
                    "log",
                    "init_output",
                ];
                let kind = kinds[rng.random_range(0..kinds.len())];
                let values = [
                    "null",
                    "42",
                    "-1e999",
                    "\"x\"",
                    "[]",
                    "{}",
                    "{\"resource\":7}",
                    "{\"resource\":{\"addr\":\"a.b\"},\"elapsed_seconds\":\"ten\"}",
                    "{\"severity\":1}",
                ];
                let v = values[rng.random_range(0..values.len())];
                format!(
                    "{{\"type\":\"{kind}\",\"hook\":{v},\"change\":{v},\"changes\":{v},\"diagnostic\":{v},\"outputs\":{v},\"@message\":{v}}}"
                )
                .into_bytes()
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let event = parse_line(&text);
        // Whatever came out is usable by the consumers.
        let _ = event.message();
        let _ = LockInfo::from_event(&event);
        let mut p = ApplyProgress::new();
        p.on_event(&event);
        match event {
            TfEvent::NotJson(_) => not_json += 1,
            TfEvent::Unknown(_) => {}
            _ => typed += 1,
        }
    }
    // The mix really exercised both paths.
    assert!(not_json > 5_000, "not_json = {not_json}");
    assert!(typed > 100, "typed = {typed}");
}
