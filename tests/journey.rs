//! The whole journey, end to end, with the real binary, terraform and its provider, the AWS
//! emulator and the sandbox registrar's DNS on loopback (issue 6).
//!
//! Two journeys, each a few minutes on two cores, each carrying several checks:
//!
//! - `sandbox_auto_goes_from_an_empty_folder_to_done_and_builds_the_whole_stack`: one
//!   uninterrupted `siteup sandbox --headless --auto`, then `siteup status --json` and the
//!   emulator's contents against the generated files, the guardrails as `status` reads them
//!   (both subscriptions confirmed, every alarm, the budget) and `siteup alerts test` reaching
//!   the sandbox's inbox through each alerts topic.
//! - `killed_anywhere_the_journey_resumes_with_the_same_zone_and_up_waits_for_the_registrar`:
//!   siteup is killed with SIGKILL after generation, during the foundation apply (with local
//!   state), during the state's move to S3, while the wizard polls the nameserver checkpoint,
//!   and during the stack apply; each time a new siteup resumes. `siteup up` stops at the nameserver checkpoint with
//!   exit code 2 naming the four nameservers and continues after the sandbox registrar change.
//!   At the end: done, the same zone and nameservers throughout, nothing created twice.
//! - `parts_changed_after_done_reach_done_again_in_both_directions`: one journey to done in
//!   us-east-1 (where the API's name is on the certificate CloudFront and Cognito use), then the
//!   API removed and added back in siteup.toml (the second time with a journal that does not
//!   record the foundation, so the foundation phase runs on the live stack), each time
//!   `siteup up --yes` stopping for the review of what it destroys or replaces and
//!   `siteup --plain` applying it to done; then the
//!   users part removed, which `up` refuses before applying anything (the user pool's deletion
//!   protection), and put back.

//! - `destroy_keeps_the_data_up_rebuilds_with_the_same_zone_and_all_leaves_nothing`: a
//!   journey to done, data written where a person's data lives (versions in the site and
//!   deploys buckets, table items, a TXT record added by hand); bad input deletes nothing; the
//!   default `siteup destroy` deletes the rest and keeps the zone, table, pool and the deploys
//!   and state buckets with what they hold (the emulator refuses a zone that is not empty, a
//!   certificate in use, a bucket with versions: met, not bypassed); `status` says torn down;
//!   the rebuild reaches done adopting what was kept (same zone id and nameservers); then
//!   `destroy --all` (refused with `--yes` alone) lists the hand-made record first and leaves
//!   nothing of the site in the emulator, the state in a local file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "journey_support/checks.rs"]
mod checks;
#[path = "journey_support/full.rs"]
mod full;
mod journey_support;
#[path = "journey_support/parts.rs"]
mod parts;
#[path = "support/sandbox.rs"]
mod sandbox;
#[path = "support/tf.rs"]
mod tf;
#[path = "journey_support/watch.rs"]
mod watch;

use std::time::Duration;

use checks::{created_id, started, strings};
use full::JOURNEY_TIMEOUT;
use journey_support::Project;
use siteup::sandbox::emulator::SnsMailKind;
use watch::SHORT_TIMEOUT;

/// The exit codes of the headless commands (`siteup --help`).
const DONE: i32 = 0;
const FAILED: i32 = 1;
const WAITING: i32 = 2;

/// How long the test waits for siteup to reach a kill point.
const TO_KILL_POINT: Duration = Duration::from_secs(6 * 60);

/// In eu-central-2, one of the regions whose SES DKIM domain is its own
/// (`dkim.eu-central-2.amazonses.com`): the sandbox verifies the domain only from the right
/// CNAMEs, so the journey reaches done only if the generator writes them for the region.
#[test]
fn sandbox_auto_goes_from_an_empty_folder_to_done_and_builds_the_whole_stack() {
    // Project::new makes an empty folder.
    let p = Project::new("auto");
    let run = p.run(
        &[
            "sandbox",
            "--headless",
            "--auto",
            "--region",
            "eu-central-2",
        ],
        JOURNEY_TIMEOUT,
    );
    run.expect_code(DONE);
    eprintln!("sandbox --headless --auto: done in {:.0} s", run.secs);
    assert!(
        run.stdout.contains("Everything is done"),
        "{}",
        run.describe()
    );
    // The sandbox leaves its servers running for later commands; status reattaches to them, and
    // writes nothing in the project (no terraform CLI config, no log line, no new file).
    let before = p.snapshot();
    let status = p.status();
    let after = p.snapshot();
    let changed: Vec<_> = after
        .iter()
        .filter(|(path, now)| before.get(*path) != Some(*now))
        .map(|(path, _)| path)
        .collect();
    assert!(changed.is_empty(), "siteup status wrote {changed:?}");
    p.assert_all_done(&status);
    for key in [
        "site_url",
        "api_url",
        "user_pool_id",
        "identity_pool_id",
        "zone_id",
    ] {
        assert!(
            status["outputs"][key]
                .as_str()
                .is_some_and(|v| !v.is_empty()),
            "output {key} is missing: {status:#}"
        );
    }
    let check = p.assert_whole_stack(&status);
    eprintln!(
        "the emulator holds all {} resources of the state",
        check.checked
    );
    // The guardrails, read live: outside us-east-1 the owner confirmed two subscriptions (the
    // site's topic and CloudFront's in us-east-1) through the sandbox's inbox, CloudWatch has
    // every alarm (new: no data yet), and the budget is set.
    let g = &status["guardrails"];
    let topics = g["subscriptions"]["topics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(topics.len(), 2, "{g:#}");
    assert!(topics.iter().all(|t| t["state"] == "confirmed"), "{g:#}");
    let alarms = g["alarms"].as_array().cloned().unwrap_or_default();
    assert_eq!(alarms.len(), 6, "{g:#}");
    assert!(
        alarms.iter().all(|a| a["state"] == "INSUFFICIENT_DATA"),
        "{g:#}"
    );
    assert!(
        g["budget"]["limit"]
            .as_str()
            .is_some_and(|l| l.starts_with("20") && l.ends_with("USD")),
        "{g:#}"
    );
    // `siteup alerts test` reaches the inbox through each topic.
    let test = p.run(&["alerts", "test"], SHORT_TIMEOUT);
    test.expect_code(DONE);
    let mails = p.emulator().sns_messages().expect("the sandbox's inbox");
    let tests: Vec<_> = mails
        .iter()
        .filter(|m| {
            m.kind == SnsMailKind::Notification
                && m.subject
                    .as_deref()
                    .is_some_and(|s| s.starts_with("siteup test alert"))
        })
        .collect();
    assert_eq!(tests.len(), 2, "{mails:#?}\n{}", test.describe());
    assert!(
        tests.iter().all(|m| m.endpoint == "you@inbox.test"),
        "{mails:#?}"
    );
    // The mail is ready as the world sees it: SES through the emulator, SPF and DMARC through
    // the registry's delegation to the zone's Route 53 nameservers.
    let email = p.run(&["email", "--json"], SHORT_TIMEOUT);
    email.expect_code(DONE);
    let report: serde_json::Value = serde_json::from_str(&email.stdout)
        .unwrap_or_else(|e| panic!("`siteup email --json`: {e}: {}", email.describe()));
    assert_eq!(report["dmarc"]["policy"], "none", "{report:#}");
    let items = report["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 6, "{report:#}");
    assert!(items.iter().all(|i| i["state"] == "ok"), "{report:#}");
    // Everything that does not wait on a human is applied together: the foundation (with the
    // state bucket) and the stack.
    let applies = p.applies();
    assert_eq!(
        applies, 2,
        "the journey ran terraform apply {applies} times"
    );
    // The stack plan, moments after the foundation apply, plans from the state that apply
    // wrote instead of reading every object back from AWS; the first plan reads them.
    let mut plans: Vec<_> = p
        .run_records()
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| r.command == "plan")
        .collect();
    plans.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    let skips: Vec<bool> = plans
        .iter()
        .map(|r| r.args.iter().any(|a| a == "-refresh=false"))
        .collect();
    assert_eq!(skips, [false, true], "{plans:#?}");
    // What the rehearsal learned of how long things take stays the sandbox's: it must not
    // teach what to expect of AWS.
    let cache = p.base.join("cache");
    let learned = std::fs::read_to_string(cache.join("durations-sandbox.json"))
        .expect("the sandbox's durations");
    assert!(learned.contains("\"aws_route53_zone\""), "{learned}");
    assert!(
        !cache.join("durations.json").exists(),
        "the real AWS durations are untouched"
    );
}

/// Also the journey of a site without the API, from the form's default answers otherwise (no
/// inbox): `siteup generate` writes them, and `sandbox --headless --auto` rehearses them.
#[test]
fn killed_anywhere_the_journey_resumes_with_the_same_zone_and_up_waits_for_the_registrar() {
    let p = Project::new("kills");
    p.run(
        &[
            "generate",
            "--domain",
            "example.org",
            "--parts",
            "site,database,users",
        ],
        SHORT_TIMEOUT,
    )
    .expect_code(DONE);
    let config = p.config();
    assert!(
        config.inbox.is_none() && !config.parts.api,
        "no inbox, no API: {config:?}"
    );
    let auto = ["sandbox", "--headless", "--auto"];

    // 1. Killed right after the sandbox wrote its files (its override beside the generated ones).
    let override_file = p.terraform_dir().join(siteup::tfgen::SANDBOX_OVERRIDE_FILE);
    let mut run = p.spawn(&auto);
    run.wait_until("the sandbox's files are written", TO_KILL_POINT, || {
        override_file.is_file() && p.step_state("generate").as_deref() == Some("done")
    });
    run.sigkill();
    assert!(
        p.terraform_dir().join("zone.tf").is_file(),
        "the files were written before the kill"
    );

    // 2. Killed during the foundation apply (with local state: it also creates the state
    //    bucket), once the hosted zone exists.
    let marks = p.record_marks();
    let mut run = p.spawn(&auto);
    let mut zone_id = None;
    run.wait_until(
        "the foundation apply has created the hosted zone",
        TO_KILL_POINT,
        || {
            zone_id = p
                .new_running(&marks, "apply")
                .filter(|_| p.step_state("foundation").as_deref() == Some("running"))
                .and_then(|r| created_id(&r, "aws_route53_zone.main"));
            zone_id.is_some()
        },
    );
    let apply = p
        .new_running(&marks, "apply")
        .expect("the foundation apply is still running at the kill");
    run.sigkill();
    let zone_id = zone_id.expect("zone id");
    let nameservers = p.zone_nameservers(&zone_id);
    assert_eq!(nameservers.len(), 4, "a Route 53 zone has four nameservers");
    eprintln!(
        "killed siteup during the foundation apply (terraform PID {} goes on); zone {zone_id}",
        apply.pid
    );
    let same_zone = |when: &str| {
        let status = p.status();
        assert_eq!(
            status["outputs"]["zone_id"].as_str(),
            Some(zone_id.as_str()),
            "{when}: the hosted zone changed: {status:#}"
        );
        assert_eq!(
            strings(&status["nameservers"]),
            nameservers,
            "{when}: the nameservers changed"
        );
        status
    };

    // 3. Killed while the state moves to S3 (its `init -migrate-state` runs): `siteup up`
    //    first waits for the foundation apply the killed run left going, plans and applies what
    //    is left of it, then starts the move.
    let marks = p.record_marks();
    let mut up = p.spawn(&["up", "--yes"]);
    up.wait_until("the state's move to S3 has started", TO_KILL_POINT, || {
        p.step_state("state").as_deref() == Some("running")
            && p.new_running(&marks, "init").is_some()
    });
    up.sigkill();
    assert_ne!(p.step_state("state").as_deref(), Some("done"));

    // `siteup up` finishes the move (it waits for the terraform the killed run left going,
    // verifies the bucket's copy before deleting the local one) and stops at the nameserver
    // checkpoint: exit 2, naming the nameservers.
    let up = p.run(&["up", "--yes"], JOURNEY_TIMEOUT);
    up.expect_code(WAITING);
    // Its closing message (after "Waiting:") names the checkpoint and the four nameservers.
    let waiting = up.waiting_list();
    assert!(
        waiting.contains("Nameservers at registrar"),
        "{}",
        up.describe()
    );
    for ns in &nameservers {
        assert!(
            waiting.contains(ns.as_str()),
            "`siteup up` names the nameserver {ns}: {}",
            up.describe()
        );
    }
    assert_eq!(p.step_state("foundation").as_deref(), Some("done"));
    assert_eq!(p.step_state("state").as_deref(), Some("done"));
    assert!(
        !p.terraform_dir().join("terraform.tfstate").exists(),
        "the local state is gone once its S3 copy was verified"
    );
    assert_eq!(
        p.step_state("nameservers").as_deref(),
        Some("waiting-on-you")
    );
    let status = same_zone("after `siteup up` resumed the killed state move");
    assert_eq!(status["done"], false);

    // 4. Killed while the wizard (plain mode, input open) polls the nameserver checkpoint.
    std::thread::sleep(Duration::from_millis(1100));
    let since = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("time");
    let mut wizard = p.spawn_with_open_stdin(&["--plain"]);
    wizard.wait_until(
        "the wizard has checked the nameservers and waits on the registrar",
        TO_KILL_POINT,
        || {
            p.step_state("nameservers").as_deref() == Some("waiting-on-you")
                && p.step_updated("nameservers").is_some_and(|t| t >= since)
        },
    );
    std::thread::sleep(Duration::from_secs(1));
    let killed = wizard.sigkill();
    assert!(
        killed.stdout.contains(nameservers[0].as_str()),
        "the wizard showed the nameservers before it was killed: {}",
        killed.describe()
    );
    same_zone("after the wizard was killed at the nameserver checkpoint");

    // The registrar change, through the sandbox; then `siteup up` continues.
    p.run(&["sandbox", "--play", "registrar"], SHORT_TIMEOUT)
        .expect_code(DONE);

    // 5. Killed during the stack apply, while CloudFront is being created.
    let marks = p.record_marks();
    let mut up = p.spawn(&["up", "--yes"]);
    up.wait_until(
        "the stack apply is creating the CloudFront distribution",
        TO_KILL_POINT,
        || {
            p.step_state("stack").as_deref() == Some("running")
                && p.new_running(&marks, "apply")
                    .is_some_and(|r| started(&r, "aws_cloudfront_distribution.site"))
        },
    );
    up.sigkill();
    assert_eq!(p.step_state("nameservers").as_deref(), Some("done"));

    // Resumed: the stack is finished; only the SES review still waits (no inbox was given, so
    // no address waits for its link).
    let up = p.run(&["up", "--yes"], JOURNEY_TIMEOUT);
    up.expect_code(WAITING);
    assert_eq!(
        p.step_state("stack").as_deref(),
        Some("done"),
        "{}",
        up.describe()
    );
    // What `up` still waits for is listed after "Waiting:"; the nameservers are not among it.
    let waiting = up.waiting_list();
    assert!(
        !waiting.contains("Nameservers at registrar")
            && !waiting.contains("Your inbox verified")
            && waiting.contains("SES out of sandbox"),
        "only the SES review waits: {}",
        up.describe()
    );
    same_zone("after `siteup up` resumed the killed stack apply");

    p.run(&["sandbox", "--play", "review"], SHORT_TIMEOUT)
        .expect_code(DONE);
    let up = p.run(&["up", "--yes"], JOURNEY_TIMEOUT);
    up.expect_code(DONE);
    assert!(
        up.stdout.contains("Everything is done"),
        "{}",
        up.describe()
    );

    let status = same_zone("at the end");
    p.assert_all_done(&status);
    let check = p.assert_whole_stack(&status);
    eprintln!(
        "after 5 kills: done, zone {zone_id} kept, {} resources each once in the emulator",
        check.checked
    );
}

/// Issue 14, defect 4: adding or removing a part after the site is live. In us-east-1 the API's
/// custom domain shares the main certificate, so each change replaces the certificate that
/// CloudFront and the Cognito domain hold; the sandbox, like ACM, refuses to delete a
/// certificate still attached, so a change that leaves a user behind fails here.
#[test]
fn parts_changed_after_done_reach_done_again_in_both_directions() {
    let p = Project::new("parts");
    let run = p.run(&["sandbox", "--headless", "--auto"], JOURNEY_TIMEOUT);
    run.expect_code(DONE);
    eprintln!("sandbox --headless --auto: done in {:.0} s", run.secs);
    let all = p.config().parts;
    assert_eq!(
        all,
        siteup::site::Parts::all(),
        "the default answers have every part"
    );
    let zone = p.status()["outputs"]["zone_id"].clone();

    // Each change: `up --yes` stops for the review (it destroys or replaces), applying nothing;
    // the plain mode shows the plan, the user types the word, and the journey is done again.
    let change = |parts: siteup::site::Parts, what: &str, forget_foundation: bool| {
        p.set_parts(parts);
        if forget_foundation {
            p.forget_foundation();
        }
        let applies = p.applies();
        let up = p.run(&["up", "--yes"], JOURNEY_TIMEOUT);
        up.expect_code(WAITING);
        assert!(
            up.stdout.contains("destroys or replaces") && up.stdout.contains("nothing was applied"),
            "{what}: `up --yes` stops for a review: {}",
            up.describe()
        );
        assert_eq!(
            p.applies(),
            applies,
            "{what}: nothing was applied before the review"
        );
        let (plain, approved) = p.approve_plans_in_plain_mode(JOURNEY_TIMEOUT, false);
        plain.expect_code(DONE);
        assert_eq!(
            approved.len(),
            1,
            "{what}: one plan, one apply: {approved:?}\n{}",
            plain.describe()
        );
        assert_eq!(p.applies(), applies + 1, "{what}: one apply");
        let status = p.status();
        p.assert_all_done(&status);
        assert_eq!(status["outputs"]["zone_id"], zone, "{what}: the same zone");
        // The state and the emulator hold what the files declare, each once: the old
        // certificate is gone, the new one issued, nothing created twice.
        let check = p.assert_whole_stack(&status);
        eprintln!(
            "{what}: {} ({} resources, {} certificate(s))",
            approved[0],
            check.checked,
            check.count("certificates")
        );
        status
    };
    let without_api = siteup::site::Parts {
        api: false,
        logging: false,
        ..all
    };
    // Removing: the journal trusts the finished foundation, so the stack phase applies it.
    let status = change(without_api, "the API removed", false);
    assert!(
        status["outputs"]["api_url"]
            .as_str()
            .is_none_or(str::is_empty),
        "no API any more: {status:#}"
    );
    // Adding, in a project whose journal does not record the foundation (as in a new checkout
    // of a live project): the foundation phase runs on the live stack, and must move CloudFront
    // and the Cognito domain to the new certificate in the same apply.
    let status = change(all, "the API added back", true);
    assert!(
        status["outputs"]["api_url"]
            .as_str()
            .is_some_and(|u| !u.is_empty()),
        "the API is back: {status:#}"
    );

    // Removing a part that holds data: the plan is refused before anything is applied, in one
    // sentence saying what to do.
    p.set_parts(siteup::site::Parts {
        users: false,
        ..without_api
    });
    let applies = p.applies();
    let up = p.run(&["up", "--yes"], JOURNEY_TIMEOUT);
    up.expect_code(FAILED);
    let said = format!("{}{}", up.stdout, up.stderr);
    assert!(
        said.contains("deletion protection is on") && said.contains("users = true"),
        "the refusal says why and what to do: {}",
        up.describe()
    );
    assert_eq!(p.applies(), applies, "nothing was applied");
    // Put back: done, nothing to apply, the stack whole.
    p.set_parts(all);
    let up = p.run(&["up", "--yes"], JOURNEY_TIMEOUT);
    up.expect_code(DONE);
    assert_eq!(p.applies(), applies, "nothing to apply");
    let status = p.status();
    p.assert_all_done(&status);
    p.assert_whole_stack(&status);
}

/// Issue 14, defect 3: the user takes four days at the registrar. By then ACM has given up on
/// the certificate and SES on the domain; once the nameservers are set, siteup finds the
/// identity FAILED, plans the foundation again (replacing the identity; the provider requests a
/// new certificate itself), and after that one reviewed apply the journey reaches done.
/// With an inbox (issue 16): `siteup up` waits on the alerts' confirmation (exit 2, saying
/// which mail to open), and the links clicked on the first day still hold four days later.
#[test]
fn four_days_at_the_registrar_still_reach_done() {
    let p = Project::new("fourdays");
    p.run(
        &["generate", "--domain", "example.com", "--inbox", INBOX],
        SHORT_TIMEOUT,
    )
    .expect_code(DONE);
    let first = p.run(&["sandbox", "--headless"], JOURNEY_TIMEOUT);
    first.expect_code(WAITING);
    assert!(
        first.waiting_list().contains("Nameservers at registrar"),
        "{}",
        first.describe()
    );
    // `siteup up` waits on the owner's click in SNS's mail too, and says so.
    let up = p.run(&["up", "--yes"], JOURNEY_TIMEOUT);
    up.expect_code(WAITING);
    let waiting = up.waiting_list();
    assert!(
        waiting.contains("Alerts confirmed")
            && waiting.contains(&format!(
                "AWS sent a mail from no-reply@sns.amazonaws.com to {INBOX}: click the link"
            )),
        "`siteup up` waits on the alerts' confirmation: {}",
        up.describe()
    );
    assert_eq!(p.step_state("alerts").as_deref(), Some("waiting-on-you"));
    // The owner clicks both links on the first day.
    for play in ["inbox", "alerts"] {
        p.run(&["sandbox", "--play", play], SHORT_TIMEOUT)
            .expect_code(DONE);
    }
    // The review is granted early (it waits on nothing but the foundation).
    p.run(&["sandbox", "--play", "review"], SHORT_TIMEOUT)
        .expect_code(DONE);
    // Four days pass before the person changes the nameservers.
    advance_emulator_clock(&p, 4 * 24 * 3600);
    p.run(&["sandbox", "--play", "registrar"], SHORT_TIMEOUT)
        .expect_code(DONE);
    let applies = p.applies();
    let up = p.run(&["up", "--yes"], JOURNEY_TIMEOUT);
    up.expect_code(WAITING);
    let said = format!("{}{}", up.stdout, up.stderr);
    assert!(
        said.contains("SES stopped looking for the DKIM records of example.com after 72 hours"),
        "the failure is explained: {}",
        up.describe()
    );
    assert!(
        said.contains("destroys or replaces") && said.contains("nothing was applied"),
        "the replacement waits for a review: {}",
        up.describe()
    );
    assert_eq!(p.applies(), applies, "nothing applied before the review");
    let (plain, approved) = p.approve_plans_in_plain_mode(JOURNEY_TIMEOUT, true);
    plain.expect_code(DONE);
    assert_eq!(
        approved.len(),
        2,
        "the foundation again, then the stack: {approved:?}\n{}",
        plain.describe()
    );
    for why in [
        "this plan creates it again with new DKIM records",
        "so AWS stopped trying (VALIDATION_TIMED_OUT); this plan requests a new one",
    ] {
        assert!(
            plain.stdout.contains(why),
            "the plan review explains {why:?}: {}",
            plain.describe()
        );
    }
    let status = p.status();
    p.assert_all_done(&status);
    let check = p.assert_whole_stack(&status);
    assert_eq!(
        check.inventory["timed_out_certificates"],
        serde_json::json!(["example.com"]),
        "the certificate ACM gave up on stays in the account, apart from the live ones"
    );
}

/// The owner's inbox in the journeys that give one.
const INBOX: &str = "you@inbox.test";

/// Moves the sandbox emulator's clock forward (its control endpoint).
fn advance_emulator_clock(p: &Project, seconds: u64) {
    let url = format!("{}/_siteup/clock", p.emulator().url());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(format!("{{\"advance_seconds\": {seconds}}}"))
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
}

impl journey_support::Running {
    /// SIGKILL, as a crash or `kill -9` would: the process must still be running.
    fn sigkill(mut self) -> journey_support::Finished {
        if let Some(done) = self.try_finish() {
            panic!(
                "`{}` had already ended when the test meant to kill it: {}",
                self.name,
                done.describe()
            );
        }
        let mut child = self.child.take().expect("a running child");
        child.kill().expect("SIGKILL siteup");
        let status = child.wait().expect("reap siteup");
        let done = self.finished(status);
        assert_eq!(done.signal, Some(9), "siteup was killed by SIGKILL");
        done
    }
}

// ---- siteup destroy (issue 17) ------------------------------------------------------------

const TEARDOWN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Writes what a person's site holds: versions in both buckets, items in the table, a record
/// added by hand to the zone.
const WRITE_DATA: &str = r#"
import boto3, json, sys
bucket_site, bucket_deploys, table, zone = sys.argv[1:5]
s3 = boto3.client("s3")
for body in (b"<h1>one</h1>", b"<h1>two</h1>"):
    s3.put_object(Bucket=bucket_site, Key="index.html", Body=body)
for body in (b"build 1", b"build 2"):
    s3.put_object(Bucket=bucket_deploys, Key="builds/site.zip", Body=body)
ddb = boto3.client("dynamodb")
for i in range(3):
    ddb.put_item(TableName=table, Item={"pk": {"S": f"item#{i}"}, "sk": {"S": "v"}})
boto3.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
    "Action": "CREATE", "ResourceRecordSet": {"Name": "google._domainkey.example.com", "Type": "TXT",
    "TTL": 300, "ResourceRecords": [{"Value": '"v=DKIM1; k=rsa; p=owner"'}]}}]})
"#;

/// What the emulator holds, for the test's assertions.
const LOOK: &str = r#"
import boto3, json, sys
bucket_deploys, table, zone, pool = sys.argv[1:5]
out = {}
r53 = boto3.client("route53")
out["zones"] = [z["Id"].split("/")[-1] for z in r53.list_hosted_zones()["HostedZones"]]
out["records"] = sorted(f'{r["Name"]} {r["Type"]}' for r in
    r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"])
out["items"] = boto3.client("dynamodb").scan(TableName=table)["Count"]
out["pools"] = [p["Id"] for p in boto3.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]]
s3 = boto3.client("s3")
out["buckets"] = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
out["deploy_versions"] = len(s3.list_object_versions(Bucket=bucket_deploys).get("Versions", []))
out["distributions"] = len((boto3.client("cloudfront").list_distributions()["DistributionList"]
    .get("Items") or []))
out["certificates"] = len(boto3.client("acm", region_name="us-east-1").list_certificates()
    ["CertificateSummaryList"])
out["rest_apis"] = len(boto3.client("apigateway").get_rest_apis()["items"])
out["functions"] = len(boto3.client("lambda").list_functions()["Functions"])
out["identity_pools"] = len(boto3.client("cognito-identity").list_identity_pools(MaxResults=60)
    ["IdentityPools"])
out["email_identities"] = len(boto3.client("sesv2").list_email_identities()["EmailIdentities"])
print(json.dumps(out))
"#;

/// The kinds of resource a default teardown deletes and a rebuild creates again, as `LOOK` and
/// `LOOK_ALL` name them.
const REBUILT_KINDS: [&str; 6] = [
    "distributions",
    "certificates",
    "rest_apis",
    "functions",
    "identity_pools",
    "email_identities",
];

fn look(p: &Project, outputs: &serde_json::Value) -> serde_json::Value {
    let arg = |k: &str| outputs[k].as_str().expect(k).to_string();
    let done = p.python(
        &[
            "-c",
            LOOK,
            &arg("deploys_bucket"),
            &arg("table_name"),
            &arg("zone_id"),
            &arg("user_pool_id"),
        ],
        SHORT_TIMEOUT,
    );
    done.expect_code(0);
    serde_json::from_str(&done.stdout).expect("the emulator's contents as JSON")
}

fn state_list(p: &Project) -> Vec<String> {
    let listed = p.terraform(&["state", "list"], SHORT_TIMEOUT);
    listed.expect_code(0);
    listed.stdout.lines().map(str::to_string).collect()
}

#[test]
fn destroy_keeps_the_data_up_rebuilds_with_the_same_zone_and_all_leaves_nothing() {
    let p = Project::new("destroy");
    let run = p.run(&["sandbox", "--headless", "--auto"], JOURNEY_TIMEOUT);
    run.expect_code(DONE);
    let status = p.status();
    p.assert_all_done(&status);
    let outputs = status["outputs"].clone();
    let arg = |k: &str| outputs[k].as_str().expect(k).to_string();
    let zone_id = arg("zone_id");
    let nameservers = p.zone_nameservers(&zone_id);
    let wrote = p.python(
        &[
            "-c",
            WRITE_DATA,
            &arg("site_bucket"),
            &arg("deploys_bucket"),
            &arg("table_name"),
            &zone_id,
        ],
        SHORT_TIMEOUT,
    );
    wrote.expect_code(0);
    let before = state_list(&p);
    assert!(before.len() > 50, "{before:?}");

    // Bad input deletes nothing: the wrong domain typed, no terminal and no confirmation.
    let wrong = p.run(&["destroy", "--confirm", "example.org"], SHORT_TIMEOUT);
    wrong.expect_code(FAILED);
    assert!(
        wrong
            .stderr
            .contains("You typed \"example.org\", not example.com")
            && wrong.stderr.contains("nothing was deleted"),
        "{}",
        wrong.describe()
    );
    let unconfirmed = p.run(&["destroy"], SHORT_TIMEOUT);
    unconfirmed.expect_code(FAILED);
    assert!(
        unconfirmed.stderr.contains("--confirm example.com"),
        "{}",
        unconfirmed.describe()
    );
    assert_eq!(state_list(&p), before, "bad input changed the state");
    assert!(!p.state_dir().join("teardown.json").exists());

    // The default teardown: the review names what goes and what stays. Killed with SIGKILL
    // while terraform deletes, it continues where it stopped when run again (the terraform it
    // left running finishes first), and ends with the report.
    let mut first = p.spawn(&["destroy", "--yes"]);
    let out = first.out.clone();
    first.wait_until("the destroy's apply has started", TEARDOWN_TIMEOUT, || {
        std::fs::read_to_string(&out).is_ok_and(|o| o.contains("  deleted aws_"))
    });
    let killed = first.sigkill();
    for needle in [
        "Deletes ",
        "the CloudFront distribution: the site goes offline",
        "the bucket example-com-site and every version of its files",
        "Keeps (terraform stops managing them",
        "the table example-com with its items",
        "the bucket example-com-deploys with the deploy artifacts",
    ] {
        assert!(
            killed.stdout.contains(needle),
            "{needle:?} missing: {}",
            killed.describe()
        );
    }
    let destroy = p.run(&["destroy", "--yes"], TEARDOWN_TIMEOUT);
    destroy.expect_code(DONE);
    eprintln!("destroy, continued: done in {:.0} s", destroy.secs);
    for needle in [
        "Continuing the teardown of example.com",
        "Torn down:",
        "Your registrar still points at the Route 53 nameservers",
        "`siteup up` rebuilds the stack",
    ] {
        assert!(
            destroy.stdout.contains(needle),
            "{needle:?} missing: {}",
            destroy.describe()
        );
    }
    assert!(
        state_list(&p).is_empty(),
        "terraform still manages something"
    );
    let after = look(&p, &outputs);
    assert_eq!(after["zones"], serde_json::json!([zone_id]), "{after}");
    // The zone keeps the record added by hand, and only that: siteup's records are gone.
    assert_eq!(
        after["records"],
        serde_json::json!([
            "example.com. NS",
            "example.com. SOA",
            "google._domainkey.example.com. TXT"
        ]),
        "{after}"
    );
    assert_eq!(after["items"], 3, "{after}");
    assert_eq!(
        after["pools"],
        serde_json::json!([arg("user_pool_id")]),
        "{after}"
    );
    assert_eq!(
        after["buckets"],
        serde_json::json!(["example-com-deploys", "example-com-state"]),
        "{after}"
    );
    assert_eq!(after["deploy_versions"], 2, "{after}");
    for gone in REBUILT_KINDS {
        assert_eq!(after[gone], 0, "{gone}: {after}");
    }
    assert!(
        !p.terraform_dir()
            .join("siteup_teardown_override.tf")
            .exists()
    );
    // The state before the teardown is kept in a local file only the owner reads.
    let copies: Vec<_> = std::fs::read_dir(p.state_dir().join("teardown"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&copies[0]).unwrap()).unwrap();
    assert!(copy["resources"].as_array().unwrap().len() > 40);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copies[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // status says torn down (exit 2: not done), and a second destroy has nothing left to do.
    let torn = p.run(&["status", "--json"], SHORT_TIMEOUT);
    torn.expect_code(WAITING);
    let torn: serde_json::Value = serde_json::from_str(&torn.stdout).unwrap();
    assert_eq!(torn["torn_down"]["finished"], true, "{torn:#}");
    assert_eq!(torn["done"], false, "{torn:#}");
    let again = p.run(&["destroy", "--yes"], SHORT_TIMEOUT);
    again.expect_code(DONE);
    assert!(
        again.stdout.contains("was torn down at") && again.stdout.contains("nothing is left"),
        "{}",
        again.describe()
    );

    // What was kept is out of terraform's hands until a rebuild adopts it: `--all` says so.
    let too_soon = p.run(
        &["destroy", "--all", "--confirm", "example.com"],
        SHORT_TIMEOUT,
    );
    too_soon.expect_code(FAILED);
    assert!(
        too_soon
            .stderr
            .contains("run `siteup up` to adopt them again"),
        "{}",
        too_soon.describe()
    );

    // The rebuild reaches done and adopts what was kept.
    let rebuild = p.run(&["sandbox", "--headless", "--auto"], JOURNEY_TIMEOUT);
    rebuild.expect_code(DONE);
    eprintln!("rebuild: done in {:.0} s", rebuild.secs);
    let status = p.status();
    p.assert_all_done(&status);
    assert!(status.get("torn_down").is_none(), "{status:#}");
    assert_eq!(status["outputs"]["zone_id"], zone_id.as_str());
    assert_eq!(
        status["outputs"]["user_pool_id"],
        arg("user_pool_id").as_str()
    );
    assert_eq!(p.zone_nameservers(&zone_id), nameservers);
    let rebuilt = look(&p, &outputs);
    assert_eq!(rebuilt["zones"], serde_json::json!([zone_id]), "{rebuilt}");
    assert_eq!(rebuilt["items"], 3, "{rebuilt}");
    assert_eq!(rebuilt["distributions"], 1, "{rebuilt}");
    assert!(
        rebuilt["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "google._domainkey.example.com. TXT"),
        "{rebuilt}"
    );
    p.assert_whole_stack(&status);

    // --all: `--yes` alone is refused before anything; with the domain confirmed the records
    // added by hand are listed first, the state moves to a local file, and nothing of the site
    // is left in the emulator (each kind listed, and nothing tagged ManagedBy=siteup).
    let refused = p.run(&["destroy", "--all", "--yes"], SHORT_TIMEOUT);
    refused.expect_code(FAILED);
    assert!(
        refused.stderr.contains("--yes alone never does")
            && refused.stderr.contains("--all --confirm example.com"),
        "{}",
        refused.describe()
    );
    let user = p.python(
        &[
            "-c",
            "import boto3, sys\n\
             boto3.client('cognito-idp').admin_create_user(UserPoolId=sys.argv[1], Username='ada@example.net')",
            &arg("user_pool_id"),
        ],
        SHORT_TIMEOUT,
    );
    user.expect_code(0);
    let all = p.run(
        &["destroy", "--all", "--confirm", "example.com"],
        TEARDOWN_TIMEOUT,
    );
    all.expect_code(DONE);
    eprintln!("destroy --all: done in {:.0} s", all.secs);
    let hand_made = all
        .stdout
        .find("  - google._domainkey.example.com TXT")
        .expect("the record added by hand is listed");
    for needle in [
        "the table example-com and every item in it (3 items, as DynamoDB counted them",
        "the user pool example-com-users and every user in it (about 1 user)",
        "the hosted zone example.com and every record in it",
        "the bucket example-com-state with terraform's state history",
        "Moving terraform's state to",
        "Torn down: example.com's stack is deleted, the data too",
        "set the nameservers of your next DNS host",
    ] {
        let at = all
            .stdout
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing: {}", all.describe()));
        assert!(hand_made < at, "the hand-made records come first");
    }
    let gone = p.python(&["-c", LOOK_ALL], SHORT_TIMEOUT);
    gone.expect_code(0);
    let gone: serde_json::Value = serde_json::from_str(&gone.stdout).unwrap();
    let data = ["zones", "tables", "pools", "buckets"];
    let rest = ["topics", "alarms", "log_groups", "tagged"];
    for kind in data.into_iter().chain(REBUILT_KINDS).chain(rest) {
        assert_eq!(gone[kind], serde_json::json!([]), "{kind}: {gone:#}");
    }
    // The state lives on in a local file (empty now), beside the copy taken before each
    // teardown; backend.tf is gone, so a rebuild starts with local state again.
    let local: serde_json::Value = serde_json::from_slice(
        &std::fs::read(p.state_dir().join("teardown/terraform.tfstate")).unwrap(),
    )
    .unwrap();
    assert_eq!(local["resources"], serde_json::json!([]), "{local:#}");
    let copies = std::fs::read_dir(p.state_dir().join("teardown"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("state-")
        })
        .count();
    assert_eq!(copies, 2);
    assert!(!p.terraform_dir().join("backend.tf").exists());
    assert!(
        !p.terraform_dir()
            .join("siteup_teardown_override.tf")
            .exists()
    );
    let torn = p.run(&["status", "--json"], SHORT_TIMEOUT);
    torn.expect_code(WAITING);
    let torn: serde_json::Value = serde_json::from_str(&torn.stdout).unwrap();
    assert_eq!(torn["torn_down"]["kept"], serde_json::json!([]), "{torn:#}");
}

/// Everything the emulator holds of the kinds the stack creates, by name or id, and what the
/// tagging API finds tagged by siteup.
const LOOK_ALL: &str = r#"
import boto3, json
out = {}
out["zones"] = [z["Name"] for z in boto3.client("route53").list_hosted_zones()["HostedZones"]]
out["tables"] = boto3.client("dynamodb").list_tables()["TableNames"]
out["pools"] = [p["Id"] for p in boto3.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]]
out["buckets"] = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
out["distributions"] = [d["Id"] for d in (boto3.client("cloudfront").list_distributions()
    ["DistributionList"].get("Items") or [])]
out["certificates"] = [c["CertificateArn"] for c in boto3.client("acm", region_name="us-east-1")
    .list_certificates()["CertificateSummaryList"]]
out["rest_apis"] = [a["id"] for a in boto3.client("apigateway").get_rest_apis()["items"]]
out["functions"] = [f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]]
out["identity_pools"] = [p["IdentityPoolId"] for p in boto3.client("cognito-identity")
    .list_identity_pools(MaxResults=60)["IdentityPools"]]
out["email_identities"] = [i["IdentityName"] for i in boto3.client("sesv2")
    .list_email_identities()["EmailIdentities"]]
out["topics"] = [t["TopicArn"] for t in boto3.client("sns").list_topics()["Topics"]]
out["alarms"] = [a["AlarmName"] for a in boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]]
out["log_groups"] = [g["logGroupName"] for g in boto3.client("logs").describe_log_groups()["logGroups"]
    if "example-com" in g["logGroupName"]]
out["tagged"] = [r["ResourceARN"] for r in boto3.client("resourcegroupstaggingapi").get_resources(
    TagFilters=[{"Key": "ManagedBy", "Values": ["siteup"]}])["ResourceTagMappingList"]]
print(json.dumps(out))
"#;
