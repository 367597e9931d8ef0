//! The runner against real terraform 1.11.4 and the real hashicorp/aws 5.100.0 provider, applying
//! tests/fixtures/terraform/live/main.tf to the AWS emulator on loopback (S3 backend with the
//! S3-native lock).
//!
//! Prerequisites (the tests fail, naming them, when missing): terraform on PATH, the provider
//! mirror (see `siteup::terraform::cli_config`), the emulator's Python venv.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "support/emulator.rs"]
mod emulator;
#[path = "support/tf.rs"]
mod tf;
#[path = "support/tf_emulator.rs"]
mod tf_emulator;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use siteup::sandbox::emulator::Emulator;
use siteup::terraform::events::{TfEvent, diagnostics_of};
use siteup::terraform::lock::{UnlockAdvice, scan_terraform_processes, this_host, unlock_advice};
use siteup::terraform::plan_review::{Approval, ApprovedPlan, PlanReview};
use siteup::terraform::progress::{ApplyProgress, ResourceStatus};
use siteup::terraform::runner::{
    ExitKind, InitOptions, InterruptState, KillState, PlanOptions, RunEvent, RunHandle, RunOutcome,
    Terraform, TfCommand,
};

const STATE_BUCKET: &str = "siteup-test-state";
const STATE_KEY: &str = "live/terraform.tfstate";
const LOCK_KEY: &str = "live/terraform.tfstate.tflock";
const LIMIT: Duration = Duration::from_secs(100);

struct Live {
    // Dropped last: stops the emulator by PID.
    emulator: Emulator,
    dir: tempfile::TempDir,
    tf: Terraform,
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// moto does not check signatures, but answers an unsigned request for a private object as if it
/// came from an anonymous user (403): any Authorization header makes it the account's request.
const NOMINAL_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIASITEUPSANDBOX000/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

/// GET an object from the emulator's S3 (path style): status and body.
async fn s3_get(base: &str, key: &str) -> (u16, String) {
    let url = format!("{base}/{STATE_BUCKET}/{key}");
    tokio::task::spawn_blocking(move || {
        let mut resp = http()
            .get(&url)
            .header("Authorization", NOMINAL_AUTH)
            .call()
            .unwrap_or_else(|e| panic!("GET {url} failed: {e}"));
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        (status, body)
    })
    .await
    .expect("join")
}

async fn setup() -> Live {
    let emulator = tokio::task::spawn_blocking(emulator::start_emulator)
        .await
        .expect("join");
    let dir = tempfile::tempdir().expect("tempdir");
    let config =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform/live/main.tf");
    std::fs::copy(&config, dir.path().join("main.tf")).expect("copy the live fixture config");
    let tf = tf_emulator::runner(dir.path(), &dir.path().join(".tfcli"), &emulator)
        .env("CHECKPOINT_DISABLE", "1");

    let url = format!("{}/{STATE_BUCKET}", emulator.url());
    let status = tokio::task::spawn_blocking(move || {
        http()
            .put(&url)
            .send_empty()
            .map_or_else(|e| panic!("PUT {url} failed: {e}"), |r| r.status().as_u16())
    })
    .await
    .expect("join");
    assert_eq!(status, 200, "creating the state bucket in the emulator");

    let (_, outcome) = tf
        .spawn(&TfCommand::Init(InitOptions::default()))
        .expect("terraform init starts")
        .wait()
        .await;
    assert_eq!(
        outcome.kind,
        ExitKind::Success,
        "terraform init: {}\n{}",
        outcome.reason(),
        outcome.stderr
    );
    Live { emulator, dir, tf }
}

impl Live {
    fn url(&self) -> String {
        self.emulator.url()
    }

    /// `plan -out`, the review, and the answer the approval asks for.
    async fn plan_and_approve(&self) -> (PlanReview, ApprovedPlan) {
        let plan_file = self.dir.path().join("siteup.tfplan");
        let run = self
            .tf
            .spawn(&TfCommand::Plan(PlanOptions {
                out: Some(plan_file.clone()),
                ..PlanOptions::default()
            }))
            .expect("terraform plan starts");
        let (events, outcome) = run.wait().await;
        assert_eq!(
            outcome.kind,
            ExitKind::Success,
            "terraform plan: {}",
            outcome.reason()
        );
        let diagnostics = diagnostics_of(&events);
        let review = self
            .tf
            .review_plan(&plan_file, diagnostics)
            .await
            .expect("terraform show -json of the saved plan");
        let answer = match review.approval() {
            Approval::YesNo { .. } => "y".to_string(),
            Approval::TypeToConfirm { word, .. } => word,
            Approval::NothingToDo => panic!("the plan unexpectedly changes nothing"),
        };
        assert!(review.approve("").is_err(), "the default answer is No");
        let approved = review.approve(&answer).expect("approved");
        (review, approved)
    }

    async fn state_list(&self) -> Vec<String> {
        self.tf
            .state_list()
            .await
            .expect("terraform state list")
            .into_iter()
            .collect()
    }

    /// Waits until the lock object exists and returns its JSON.
    async fn wait_for_lock_object(&self, holder: &RunHandle) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = s3_get(&self.url(), LOCK_KEY).await;
            if status == 200 {
                return serde_json::from_str(&body)
                    .unwrap_or_else(|e| panic!("the lock object is not JSON ({e}): {body}"));
            }
            assert!(
                Instant::now() < deadline && holder.controller().is_running(),
                "the apply never took the S3 lock (last status {status}; apply running: {})",
                holder.controller().is_running()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn next(run: &mut RunHandle) -> RunEvent {
    match tokio::time::timeout(LIMIT, run.next_event()).await {
        Ok(Some(ev)) => ev,
        Ok(None) => panic!("the event channel closed without an Exited event"),
        Err(_) => panic!("terraform printed nothing and did not exit within {LIMIT:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_plan_meets_the_lock_and_learns_its_holder() {
    let live = setup().await;
    let (review, approved) = live.plan_and_approve().await;
    assert_eq!(review.counts_line(), "2 to create");
    let apply = live
        .tf
        .spawn(&TfCommand::Apply(approved))
        .expect("terraform apply starts");
    let lock_object = live.wait_for_lock_object(&apply).await;
    let holder_id = lock_object
        .get("ID")
        .and_then(Value::as_str)
        .expect("the lock object has an ID")
        .to_string();

    // A second plan, while the apply holds the lock.
    let mut plan = live
        .tf
        .spawn(&TfCommand::Plan(PlanOptions::default()))
        .expect("the second plan starts");
    let mut typed = None;
    let outcome: RunOutcome = loop {
        match next(&mut plan).await {
            RunEvent::StateLocked(lock) => typed = Some(lock),
            RunEvent::Exited(o) => break o,
            _ => {}
        }
    };
    assert_eq!(outcome.kind, ExitKind::Locked, "{}", outcome.reason());
    let lock = typed.expect("a StateLocked event");
    assert_eq!(
        lock.id.as_str(),
        holder_id,
        "the typed event names the holder's lock"
    );
    assert_eq!(outcome.lock.as_ref(), Some(&lock));
    assert_eq!(lock.operation_label().as_deref(), Some("apply"));
    assert_eq!(
        lock.path.as_deref(),
        Some("siteup-test-state/live/terraform.tfstate")
    );
    let host = this_host().expect("this machine's host name");
    assert_eq!(lock.holder_host(), Some(host.as_str()));
    let age = lock
        .age(time::OffsetDateTime::now_utc())
        .expect("the lock's creation time parses");
    assert!(age < Duration::from_secs(120), "{age:?}");
    assert!(
        outcome
            .reason()
            .starts_with("The terraform state is locked by ")
    );

    // The holder is still running here: force-unlock is not offered.
    let scan = scan_terraform_processes(live.dir.path());
    assert!(scan.running_here.contains(&apply.pid()), "{scan:?}");
    assert!(matches!(
        unlock_advice(&lock, Some(&host), &scan),
        UnlockAdvice::HolderRunning { .. }
    ));

    // The user forces the holder to stop: the lock stays behind, stale.
    assert_eq!(apply.force_kill(), KillState::Sent);
    let (_, killed) = apply.wait().await;
    assert_eq!(killed.kind, ExitKind::Killed);
    assert_eq!(
        s3_get(&live.url(), LOCK_KEY).await.0,
        200,
        "the stale lock remains"
    );

    // Now the holder is gone: force-unlock is safe, and it clears the lock.
    let scan = scan_terraform_processes(live.dir.path());
    assert!(scan.running_here.is_empty(), "{scan:?}");
    assert_eq!(
        unlock_advice(&lock, Some(&host), &scan),
        UnlockAdvice::HolderGone
    );
    live.tf
        .force_unlock(&lock.id)
        .await
        .expect("terraform force-unlock");
    assert_eq!(
        s3_get(&live.url(), LOCK_KEY).await.0,
        404,
        "the lock is gone"
    );
    let (_, after) = live
        .tf
        .spawn(&TfCommand::Plan(PlanOptions {
            detailed_exitcode: true,
            ..PlanOptions::default()
        }))
        .expect("a plan starts")
        .wait()
        .await;
    assert_eq!(after.kind, ExitKind::Changes, "{}", after.reason());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_mid_apply_saves_state_releases_the_lock_and_the_next_apply_finishes() {
    let live = setup().await;
    let (review, approved) = live.plan_and_approve().await;
    assert_eq!(review.counts_line(), "2 to create");
    let mut run = live
        .tf
        .spawn(&TfCommand::Apply(approved))
        .expect("terraform apply starts");
    let ctl = run.controller();
    let mut progress = ApplyProgress::new();
    let mut zone_started = false;
    let mut bucket_done = false;
    let mut sent = false;
    let outcome = loop {
        match next(&mut run).await {
            RunEvent::Line(ev) => {
                progress.on_event(&ev);
                match &ev {
                    TfEvent::ApplyStart(h) if h.resource.addr == "aws_route53_zone.slow" => {
                        zone_started = true;
                    }
                    TfEvent::ApplyComplete(h) if h.resource.addr == "aws_s3_bucket.first" => {
                        bucket_done = true;
                    }
                    _ => {}
                }
                if zone_started && bucket_done && !sent {
                    assert_eq!(ctl.interrupt(), InterruptState::Sent);
                    assert!(matches!(
                        ctl.interrupt(),
                        InterruptState::AlreadyInterrupting { .. }
                    ));
                    sent = true;
                }
            }
            RunEvent::Exited(o) => break o,
            _ => {}
        }
    };
    assert!(sent, "the apply ended before it could be interrupted");
    assert_eq!(outcome.kind, ExitKind::Interrupted, "{}", outcome.reason());
    assert_eq!(outcome.code, Some(1));
    assert_eq!(outcome.signal, None, "terraform exited by itself");
    assert!(outcome.saw_interrupt);
    assert!(progress.interrupted());
    assert_eq!(
        progress.get("aws_s3_bucket.first").map(|r| r.status),
        Some(ResourceStatus::Done)
    );

    // The state was saved: what was created so far is in it, in the emulator's bucket.
    let (status, body) = s3_get(&live.url(), STATE_KEY).await;
    assert_eq!(status, 200, "the remote state exists");
    let state: Value = serde_json::from_str(&body).expect("the state is JSON");
    let in_state: Vec<String> = state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| {
            format!(
                "{}.{}",
                r["type"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        in_state.contains(&"aws_s3_bucket.first".to_string()),
        "{in_state:?}"
    );
    assert!(
        live.state_list()
            .await
            .contains(&"aws_s3_bucket.first".to_string())
    );
    // The lock was released.
    assert_eq!(
        s3_get(&live.url(), LOCK_KEY).await.0,
        404,
        "the lock is released"
    );

    // The next apply finishes the job: only the zone is left to do.
    let (review, approved) = live.plan_and_approve().await;
    let left: Vec<&str> = review
        .ordered()
        .iter()
        .map(|i| i.address.as_str())
        .collect();
    assert_eq!(left, ["aws_route53_zone.slow"], "{}", review.render_text());
    let (events, outcome) = live
        .tf
        .spawn(&TfCommand::Apply(approved))
        .expect("the second apply starts")
        .wait()
        .await;
    assert_eq!(outcome.kind, ExitKind::Success, "{}", outcome.reason());
    let mut progress = ApplyProgress::new();
    for e in &events {
        progress.on_event(e);
    }
    let zone = progress.get("aws_route53_zone.slow").expect("zone row");
    assert_eq!(zone.status, ResourceStatus::Done);
    assert!(
        zone.elapsed_seconds >= 10,
        "terraform's own elapsed time: {zone:?}"
    );
    assert_eq!(
        progress.summary().map(|s| s.operation.as_str()),
        Some("apply")
    );
    let mut listed = live.state_list().await;
    listed.sort();
    assert_eq!(listed, ["aws_route53_zone.slow", "aws_s3_bucket.first"]);
    assert_eq!(s3_get(&live.url(), LOCK_KEY).await.0, 404);
}
