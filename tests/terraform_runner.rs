//! The runner's process handling, with stand-in children (sh, cat, a fake `terraform` script)
//! and, for the version check, the real terraform on PATH.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use siteup::terraform::error::TfError;
use siteup::terraform::events::{TfEvent, parse_stream};
use siteup::terraform::runner::{
    ExitKind, InterruptState, KillState, RunEvent, RunHandle, RunOutcome, Terraform, TfCommand,
};
use siteup::terraform::runs::{RunRecord, running_terraform};

const LIMIT: Duration = Duration::from_secs(20);

fn raw(args: &[&str]) -> TfCommand {
    TfCommand::Raw(args.iter().map(Into::into).collect())
}

fn sh(script: &str) -> TfCommand {
    raw(&["-c", script])
}

/// Every event until the exit, failing the test if the child outlives `LIMIT`.
async fn all_events(mut run: RunHandle) -> (Vec<RunEvent>, RunOutcome) {
    let mut events = Vec::new();
    let deadline = Instant::now() + LIMIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, run.next_event()).await {
            Ok(Some(RunEvent::Exited(outcome))) => return (events, outcome),
            Ok(Some(ev)) => events.push(ev),
            Ok(None) => panic!("the event channel closed without an Exited event"),
            Err(_) => panic!("the child did not exit within {LIMIT:?}; events so far: {events:?}"),
        }
    }
}

fn lines(events: &[RunEvent]) -> Vec<TfEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Line(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn stdout_lines_arrive_as_the_parser_types_them() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform/streams/apply_interrupt.jsonl");
    let text = std::fs::read_to_string(&fixture).expect("fixture");
    let runs = tempfile::tempdir().expect("tempdir");
    let tf = Terraform::new("cat", env!("CARGO_MANIFEST_DIR")).run_dir(runs.path());
    let run = tf
        .spawn(&raw(&[fixture.to_str().expect("utf-8 path")]))
        .expect("cat starts");
    let (events, outcome) = all_events(run).await;
    assert_eq!(lines(&events), parse_stream(&text));
    // `cat` exiting 0 is a success even though the stream says "Interrupt received": the
    // outcome follows the stream only for failures.
    assert_eq!(outcome.code, Some(0));
    assert!(outcome.saw_interrupt);
    assert_eq!(outcome.kind, ExitKind::Success);
    assert_eq!(
        outcome.errors.first().map(String::as_str),
        Some(
            "aws_route53_zone.slow: waiting for Route 53 Hosted Zone (VAV70KX0YZQ9DB3JUEK8YI) synchronize: context canceled"
        )
    );
}

#[tokio::test]
async fn stdin_is_closed_env_is_set_and_the_child_leads_its_own_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "cat; echo \"input=$TF_INPUT auto=$TF_IN_AUTOMATION cfg=${TF_CLI_CONFIG_FILE-unset} extra=$SITEUP_EXTRA\"; \
                  echo \"pgrp=$(cut -d' ' -f5 /proc/$$/stat) pid=$$\"; echo \"checkpoint=$CHECKPOINT_DISABLE\"; \
                  echo 'Error: it broke' >&2; exit 3";
    let inherited = std::env::var("TF_CLI_CONFIG_FILE").unwrap_or_else(|_| "unset".into());

    let tf = Terraform::new("sh", dir.path()).env("SITEUP_EXTRA", "yes");
    let (events, outcome) = all_events(tf.spawn(&sh(script)).expect("sh starts")).await;
    let out: Vec<String> = lines(&events)
        .into_iter()
        .map(|e| match e {
            TfEvent::NotJson(t) => t,
            other => panic!("expected plain text, got {other:?}"),
        })
        .collect();
    assert_eq!(out[0], format!("input=0 auto=1 cfg={inherited} extra=yes"));
    let (pgrp, pid) = out[1]
        .strip_prefix("pgrp=")
        .and_then(|s| s.split_once(" pid="))
        .expect("pgrp line");
    assert_eq!(pgrp, pid, "the child must lead its own process group");
    assert_eq!(
        out[2], "checkpoint=1",
        "no update check off this machine (CHECKPOINT_DISABLE)"
    );
    assert_eq!(outcome.kind, ExitKind::Failed);
    assert_eq!(outcome.code, Some(3));
    assert_eq!(outcome.stderr, "Error: it broke\n");
    assert_eq!(outcome.reason(), "it broke");
    assert!(events.contains(&RunEvent::Stderr("Error: it broke".into())));

    // The CLI config is set only when the caller passes one.
    let cfg = dir.path().join("given.rc");
    let tf = Terraform::new("sh", dir.path()).cli_config_file(&cfg);
    let (events, _) = all_events(
        tf.spawn(&sh("echo \"cfg=$TF_CLI_CONFIG_FILE\""))
            .expect("sh starts"),
    )
    .await;
    assert_eq!(
        lines(&events),
        [TfEvent::NotJson(format!("cfg={}", cfg.display()))]
    );
}

#[tokio::test]
async fn watchdog_reports_silence_and_an_interrupt_stops_the_child() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = Terraform::new("sh", dir.path()).watchdog(Duration::from_millis(700));
    let mut run = tf
        .spawn(&sh("echo started; exec sleep 30"))
        .expect("sh starts");
    let started = Instant::now();
    let mut silences = Vec::new();
    while silences.len() < 2 {
        match tokio::time::timeout(LIMIT, run.next_event()).await {
            Ok(Some(RunEvent::Silent { silent_for })) => silences.push(silent_for),
            Ok(Some(RunEvent::Line(_))) => {}
            other => panic!("expected the watchdog to fire, got {other:?}"),
        }
    }
    assert!(silences[0] >= Duration::from_millis(700), "{silences:?}");
    assert!(silences[1] >= Duration::from_millis(1400), "{silences:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(run.interrupt(), InterruptState::Sent);
    let (_, outcome) = all_events(run).await;
    assert_eq!(outcome.kind, ExitKind::Interrupted);
    assert_eq!(
        outcome.signal,
        Some(nix::sys::signal::Signal::SIGINT as i32)
    );
    assert!(outcome.interrupt_requested);
}

#[tokio::test]
async fn a_second_interrupt_never_escalates_only_force_kill_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = Terraform::new("sh", dir.path());
    let script = "trap 'echo got-int' INT; echo ready; while :; do sleep 0.1; done";
    let mut run = tf.spawn(&sh(script)).expect("sh starts");
    let ctl = run.controller();
    match tokio::time::timeout(LIMIT, run.next_event()).await {
        Ok(Some(RunEvent::Line(TfEvent::NotJson(t)))) if t == "ready" => {}
        other => panic!("expected ready, got {other:?}"),
    }
    assert_eq!(ctl.interrupt(), InterruptState::Sent);
    match tokio::time::timeout(LIMIT, run.next_event()).await {
        Ok(Some(RunEvent::Line(TfEvent::NotJson(t)))) if t == "got-int" => {}
        other => panic!("expected got-int, got {other:?}"),
    }
    let second = ctl.interrupt();
    assert!(
        matches!(second, InterruptState::AlreadyInterrupting { .. }),
        "{second:?}"
    );
    // Nothing more was sent: the child keeps running.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(ctl.is_running());
    assert_eq!(ctl.force_kill(), KillState::Sent);
    assert_eq!(ctl.force_kill(), KillState::AlreadySent);
    let (events, outcome) = all_events(run).await;
    assert_eq!(outcome.kind, ExitKind::Killed);
    assert_eq!(
        outcome.signal,
        Some(nix::sys::signal::Signal::SIGKILL as i32)
    );
    let got_int = lines(&events)
        .iter()
        .filter(|e| **e == TfEvent::NotJson("got-int".into()))
        .count();
    assert_eq!(got_int, 0, "the second interrupt sent no signal");
    assert_eq!(ctl.interrupt(), InterruptState::NotRunning);
    assert_eq!(ctl.force_kill(), KillState::NotRunning);
}

#[tokio::test]
async fn a_grandchild_holding_the_pipe_does_not_hold_the_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = Terraform::new("sh", dir.path()).exit_grace(Duration::from_millis(300));
    let run = tf
        .spawn(&sh("sleep 30 & echo parent-done"))
        .expect("sh starts");
    let pgid = run.pid();
    let started = Instant::now();
    let (events, outcome) = all_events(run).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(outcome.kind, ExitKind::Success);
    assert_eq!(lines(&events), [TfEvent::NotJson("parent-done".into())]);
    // Clean up the test's own grandchild (same process group as the child).
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(i32::try_from(pgid).expect("pid")),
        nix::sys::signal::Signal::SIGKILL,
    );
}

#[tokio::test]
async fn garbage_and_huge_lines_from_the_child_are_survived() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = Terraform::new("sh", dir.path());
    let script =
        "head -c 200000 /dev/urandom; printf '\\n{\"type\":\"log\",\"@message\":\"after\"}\\n'";
    let (events, outcome) = all_events(tf.spawn(&sh(script)).expect("sh starts")).await;
    assert_eq!(outcome.kind, ExitKind::Success);
    let last = lines(&events).pop().expect("some lines");
    assert_eq!(last.message(), Some("after"));
}

fn fake_terraform(dir: &Path, version_json: &str) -> PathBuf {
    let path = dir.join("terraform");
    std::fs::write(
        &path,
        format!("#!/bin/sh\ncat <<'EOF'\n{version_json}\nEOF\n"),
    )
    .expect("write fake terraform");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[tokio::test]
async fn version_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = fake_terraform(
        dir.path(),
        r#"{"terraform_version":"1.9.8","platform":"linux_amd64","provider_selections":{},"terraform_outdated":true}"#,
    );
    let err = Terraform::new(&old, dir.path())
        .check_version()
        .await
        .expect_err("1.9.8 is too old");
    assert_eq!(
        err.to_string(),
        "terraform 1.9.8 is too old; siteup needs 1.11 or newer for S3-native state locking: install a newer one from https://developer.hashicorp.com/terraform/install"
    );

    let missing = Terraform::new(dir.path().join("nope/terraform"), dir.path());
    assert!(matches!(missing.version().await, Err(TfError::NotFound)));
    assert!(matches!(
        missing.spawn(&raw(&["version"])),
        Err(TfError::NotFound)
    ));
    assert!(matches!(
        Terraform::new("sh", dir.path()).spawn(&raw(&["apply", "-auto-approve"])),
        Err(TfError::AutoApproveRefused)
    ));

    // The real one on PATH.
    let real = Terraform::locate(dir.path())
        .expect("terraform must be on PATH for this test (terraform 1.11.4 in CI)");
    let info = real
        .env("CHECKPOINT_DISABLE", "1")
        .check_version()
        .await
        .expect("the terraform on PATH is supported");
    assert!(info.version.is_supported());
    assert_eq!(info.version.to_string(), "1.11.4");
}

/// A stand-in terraform that prints `n` lines over a while, then an apply's closing summary.
fn slow_writer(n: u32) -> TfCommand {
    sh(&format!(
        "i=0; while [ $i -lt {n} ]; do echo \"line $i\"; i=$((i+1)); sleep 0.05; done; \
         echo '{{\"@level\":\"info\",\"@message\":\"Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\",\"changes\":{{\"add\":1,\"change\":0,\"import\":0,\"remove\":0,\"operation\":\"apply\"}},\"type\":\"change_summary\"}}'; \
         echo 'done on stderr' >&2"
    ))
}

#[tokio::test]
async fn output_goes_to_files_in_the_run_dir_and_the_record_keeps_the_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runs = dir.path().join("runs");
    let tf = Terraform::new("sh", dir.path()).run_dir(&runs);
    assert_eq!(tf.runs_dir(), runs);
    let run = tf.spawn(&slow_writer(3)).expect("sh starts");
    let files = run.files().clone();
    assert!(files.stdout.starts_with(&runs) && files.stderr.starts_with(&runs));
    let pid = run.pid();
    let (events, outcome) = all_events(run).await;
    assert_eq!(outcome.kind, ExitKind::Success);
    assert_eq!(lines(&events).len(), 4);
    let stdout = std::fs::read_to_string(&files.stdout).expect("stdout file");
    assert!(stdout.starts_with("line 0\nline 1\nline 2\n"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&files.stderr).expect("stderr file"),
        "done on stderr\n"
    );
    let record = RunRecord::read(&files.record).expect("the run is recorded");
    assert_eq!(record.pid, pid);
    assert_eq!(record.args[0], "-c");
    let exit = record.exit.expect("the exit is recorded");
    assert_eq!((exit.code, exit.kind), (Some(0), ExitKind::Success));
    assert_eq!(running_terraform(&runs), None, "nothing runs any more");

    // Without a run directory, the files go under the working directory's .terraform/.
    let tf = Terraform::new("sh", dir.path());
    let run = tf.spawn(&sh("echo hi")).expect("sh starts");
    assert!(
        run.files()
            .stdout
            .starts_with(dir.path().join(".terraform/siteup-runs"))
    );
    let (events, _) = all_events(run).await;
    assert_eq!(lines(&events), [TfEvent::NotJson("hi".into())]);
}

/// siteup dies (its runtime and every reader go away) in the middle of a run: the child is not
/// killed by a broken pipe, it writes its whole output, and a later siteup finds it and follows
/// it to its end.
#[test]
fn a_run_outlives_the_siteup_that_started_it_and_a_later_one_attaches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runs = dir.path().join("runs");
    let tf = Terraform::new("sh", dir.path()).run_dir(&runs);
    const N: u32 = 30;

    let first = tokio::runtime::Runtime::new().expect("runtime");
    let (pid, files) = first.block_on(async {
        let mut run = tf.spawn(&slow_writer(N)).expect("sh starts");
        match tokio::time::timeout(LIMIT, run.next_event()).await {
            Ok(Some(RunEvent::Line(TfEvent::NotJson(t)))) if t == "line 0" => {}
            other => panic!("expected the first line, got {other:?}"),
        }
        (run.pid(), run.files().clone())
    });
    // siteup "dies": every task and handle is dropped, nothing reads the output any more.
    drop(first);

    let second = tokio::runtime::Runtime::new().expect("runtime");
    second.block_on(async {
        let running = tf
            .running()
            .expect("the later siteup sees the run still going");
        assert_eq!(running.pid, pid);
        assert_eq!(running.files, files);
        assert_eq!(running.command, "-c");
        let (events, outcome) = all_events(tf.attach(&running)).await;
        let got: Vec<TfEvent> = lines(&events);
        assert_eq!(
            got.len() as u32,
            N + 1,
            "every line, from the start: {got:?}"
        );
        assert_eq!(got[0], TfEvent::NotJson("line 0".into()));
        assert_eq!(
            got[N as usize - 1],
            TfEvent::NotJson(format!("line {}", N - 1))
        );
        assert!(matches!(got[N as usize], TfEvent::ChangeSummary(_)));
        assert!(events.contains(&RunEvent::Stderr("done on stderr".into())));
        // No exit status for a run that is not our child: its output says it completed.
        assert_eq!(outcome.kind, ExitKind::Success, "{}", outcome.reason());
        assert_eq!(outcome.code, None);
    });
    let stdout = std::fs::read_to_string(&files.stdout).expect("stdout file");
    assert_eq!(
        stdout.lines().count() as u32,
        N + 1,
        "the child was not killed by SIGPIPE"
    );
    assert_eq!(running_terraform(&runs), None);
}

#[tokio::test]
async fn an_attached_run_that_ends_without_saying_so_is_not_called_a_success() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runs = dir.path().join("runs");
    let tf = Terraform::new("sh", dir.path()).run_dir(&runs);
    let own = tf
        .spawn(&sh("echo started; sleep 0.5; echo stopped"))
        .expect("sh starts");
    let running = tf.running().expect("running");
    assert_eq!(running.pid, own.pid());
    let (events, outcome) = all_events(tf.attach(&running)).await;
    assert_eq!(
        lines(&events),
        [
            TfEvent::NotJson("started".into()),
            TfEvent::NotJson("stopped".into())
        ]
    );
    assert_eq!(outcome.kind, ExitKind::Failed);
    assert!(
        outcome
            .reason()
            .contains("ended while siteup was not watching it"),
        "{}",
        outcome.reason()
    );
    let (_, own_outcome) = all_events(own).await;
    assert_eq!(own_outcome.kind, ExitKind::Success);
}

/// `state list` with the real terraform: no state yet is an empty list, a state names its
/// resources, and a broken state is a failure with terraform's own reason.
#[tokio::test]
async fn state_list_reads_the_real_terraform_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), "terraform {}\n").expect("main.tf");
    let cfg = dir.path().join("cli.tfrc");
    std::fs::write(&cfg, "").expect("cli config");
    let tf = Terraform::new("terraform", dir.path()).cli_config_file(&cfg);
    assert_eq!(
        tf.state_list().await.expect("no state yet"),
        Vec::<String>::new()
    );

    let state = r#"{"version":4,"terraform_version":"1.11.0","serial":1,"lineage":"t","outputs":{},
"resources":[{"mode":"managed","type":"aws_route53_zone","name":"main",
"provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
"instances":[{"schema_version":0,"attributes":{"id":"Z1"}}]}],"check_results":null}"#;
    std::fs::write(dir.path().join("terraform.tfstate"), state).expect("state");
    assert_eq!(
        tf.state_list().await.expect("state list"),
        vec!["aws_route53_zone.main".to_string()]
    );

    std::fs::write(dir.path().join("terraform.tfstate"), "{ not json").expect("state");
    let err = tf.state_list().await.expect_err("a broken state fails");
    assert!(
        matches!(&err, TfError::Failed { command, .. } if command == "state list"),
        "{err:?}"
    );
}

/// Issue 12: a tracker reaches whichever run is going (its whole process group, so a child
/// waiting in the foreground stops too), refuses new runs once a stop was asked for, and a
/// reset lets them start again.
#[tokio::test]
async fn a_tracker_interrupts_the_current_run_and_refuses_new_ones_until_reset() {
    let runs = tempfile::tempdir().expect("tempdir");
    let marks = tempfile::tempdir().expect("tempdir");
    let got = marks.path().join("got");
    let tracker = siteup::terraform::RunTracker::new();
    let tf = Terraform::new("sh", runs.path())
        .run_dir(runs.path())
        .no_watchdog()
        .tracked(tracker.clone());
    assert!(tracker.interrupt().is_none(), "nothing to interrupt yet");
    tracker.reset();
    // `sleep` in the foreground: only a signal to the group stops it before it ends.
    let script = format!(
        "trap 'echo INT > \"{}\"; exit 130' INT; sleep 600; echo no-signal > \"{}\"",
        got.display(),
        got.display()
    );
    let run = tf.spawn(&sh(&script)).expect("sh starts");
    assert_eq!(tracker.current().map(|c| c.pid()), Some(run.pid()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    assert_eq!(tracker.interrupt(), Some(InterruptState::Sent));
    let (_, outcome) = all_events(run).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(outcome.kind, ExitKind::Interrupted, "{outcome:?}");
    assert_eq!(
        std::fs::read_to_string(&got).unwrap_or_default().trim(),
        "INT"
    );
    assert!(tracker.current().is_none(), "the ended run is forgotten");
    assert!(matches!(
        tf.spawn(&sh("exit 0")),
        Err(TfError::Stopping { .. })
    ));
    tracker.reset();
    let (_, outcome) = all_events(tf.spawn(&sh("exit 0")).expect("starts again")).await;
    assert_eq!(outcome.kind, ExitKind::Success);
}

/// Issue 12: a short command that hangs is stopped at its bound with a sentence naming it.
#[tokio::test]
async fn a_hanging_short_command_is_stopped_at_its_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf_path = dir.path().join("terraform");
    std::fs::write(&tf_path, "#!/bin/sh\nsleep 100000\n").expect("write");
    std::fs::set_permissions(&tf_path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let tf = Terraform::new(&tf_path, dir.path()).quick_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let err = tf.state_list().await.expect_err("times out");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(err, TfError::TimedOut { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("`terraform state list` did not finish within"),
        "{text}"
    );
    let err = tf.version().await.expect_err("times out");
    assert!(err.to_string().contains("`terraform version`"), "{err}");
}
