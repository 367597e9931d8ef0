//! Issue 12, child processes and stale steps, with the real binary:
//!
//! - `siteup status` (text and `--json`) answers at once when the journal has a step at
//!   `running` that nothing is working on (what a killed `up` leaves): it says the step was
//!   interrupted and exits with the not-done code; with a live siteup holding the lock it says
//!   the step is running, and still answers.
//! - `siteup doctor` and `siteup up` answer within a bound when `terraform version` hangs, with
//!   a sentence naming terraform and the bound, and the hung terraform is stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod cli_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use siteup::project::ProjectPaths;
use siteup::project::journal::{Journal, Status};
use siteup::project::lock::DirLock;

/// The exit code of a journey that is not done (`siteup --help`).
const WAITING: i32 = 2;

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    secs: f64,
}

/// Runs siteup with a clean environment and a deadline (the test fails, and siteup is killed,
/// if it does not end in time).
fn siteup(dir: &Path, args: &[&str], env: &[(&str, &str)], path_prefix: Option<&Path>) -> Ran {
    let out_file = tempfile::NamedTempFile::new().expect("stdout file");
    let err_file = tempfile::NamedTempFile::new().expect("stderr file");
    let mut cmd = cli_support::siteup_command(dir, args, dir);
    cmd.env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .env_remove("TF_CLI_CONFIG_FILE")
        .stdin(Stdio::null())
        .stdout(out_file.reopen().expect("stdout"))
        .stderr(err_file.reopen().expect("stderr"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(prefix) = path_prefix {
        let old = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{old}", prefix.display()));
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start siteup");
    let deadline = Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().expect("poll siteup") {
            break s;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "siteup {args:?} did not return within {} s; it printed:\n{}\n{}",
                deadline.as_secs(),
                std::fs::read_to_string(out_file.path()).unwrap_or_default(),
                std::fs::read_to_string(err_file.path()).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ran {
        code: status.code(),
        stdout: std::fs::read_to_string(out_file.path()).unwrap_or_default(),
        stderr: std::fs::read_to_string(err_file.path()).unwrap_or_default(),
        secs: started.elapsed().as_secs_f64(),
    }
}

/// A folder where `siteup generate --domain example.com` wrote the answers and the files, and
/// whose journal then says the foundation step is running (siteup was killed while planning it).
fn project_with_a_running_step() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let generated = siteup(
        dir.path(),
        &["generate", "--domain", "example.com"],
        &[],
        None,
    );
    assert_eq!(generated.code, Some(0), "{}", generated.stderr);
    let state_dir = ProjectPaths::new(dir.path()).state_dir();
    let mut journal = Journal::load(&state_dir).expect("journal");
    let at = "2026-12-01T10:00:00Z";
    for step in ["preflight", "profile", "site", "generate"] {
        journal.record(step, Status::Done, None, at);
    }
    journal.record("foundation", Status::Running, Some("planning".into()), at);
    journal.save(&state_dir).expect("save journal");
    dir
}

#[test]
fn status_answers_for_a_running_step_nothing_works_on_and_says_it_was_interrupted() {
    let dir = project_with_a_running_step();

    let text = siteup(dir.path(), &["status"], &[], None);
    assert_eq!(
        text.code,
        Some(WAITING),
        "status exits with the not-done code: {}{}",
        text.stdout,
        text.stderr
    );
    assert!(text.secs < 30.0, "status took {:.1} s", text.secs);
    let state_line = text
        .stdout
        .lines()
        .skip_while(|l| !l.contains("Zone, email, storage"))
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        state_line.contains("interrupted") && state_line.contains("siteup up"),
        "the foundation step is reported interrupted, with what to do: {}",
        text.stdout
    );
    assert!(
        text.stdout.contains("[stop] Zone, email, storage"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("[....]"), "{}", text.stdout);

    let json = siteup(dir.path(), &["status", "--json"], &[], None);
    assert_eq!(json.code, Some(WAITING), "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("status JSON");
    let state = v["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "foundation"))
        .cloned()
        .expect("the foundation step");
    assert_eq!(state["state"], "failed", "{state:#}");
    assert_eq!(state["interrupted"], true, "{state:#}");
    assert!(
        state["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("interrupted")),
        "{state:#}"
    );
    assert_eq!(v["done"], false);

    // status only reads: the journal still says what the killed siteup left.
    let journal = Journal::load(&ProjectPaths::new(dir.path()).state_dir()).expect("journal");
    assert_eq!(
        journal.step("foundation").and_then(|r| r.state),
        Some(Status::Running)
    );
}

#[test]
fn status_answers_while_a_live_siteup_works_on_the_step_and_says_so() {
    let dir = project_with_a_running_step();
    // This test process holds the lock as a live siteup would.
    let paths = ProjectPaths::new(dir.path());
    let _held = DirLock::acquire(&paths.state_dir(), "siteup up").expect("take the lock");

    let json = siteup(dir.path(), &["status", "--json"], &[], None);
    assert_eq!(json.code, Some(WAITING), "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("status JSON");
    let state = v["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "foundation"))
        .cloned()
        .expect("the foundation step");
    assert_eq!(state["state"], "running", "{state:#}");
    assert!(
        state["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("PID {}", std::process::id()))),
        "names the siteup working on it: {state:#}"
    );
}

/// A terraform whose `version` never answers (it records its process id first).
fn hanging_terraform(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let pid_file = dir.join("version.pid");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = version ]; then echo $$ > '{}'; sleep 100000; fi\nexit 1\n",
        pid_file.display()
    );
    let tf = bin.join("terraform");
    std::fs::write(&tf, script).expect("write fake terraform");
    std::fs::set_permissions(&tf, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (bin, pid_file)
}

fn assert_stopped(pid_file: &Path) {
    let pid: i32 = std::fs::read_to_string(pid_file)
        .expect("the fake terraform ran")
        .trim()
        .parse()
        .expect("a pid");
    // Its process group (the shell and its sleep) is gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    while nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), None).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the hung terraform (process group {pid}) was left running"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn doctor_answers_when_terraform_version_hangs_and_names_terraform_and_the_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bin, pid_file) = hanging_terraform(dir.path());
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).expect("project dir");

    let doctor = siteup(
        &project,
        &["doctor"],
        &[("SITEUP_QUICK_TIMEOUT", "2")],
        Some(&bin),
    );
    assert_eq!(doctor.code, Some(1), "{}{}", doctor.stdout, doctor.stderr);
    assert!(doctor.secs < 30.0, "doctor took {:.1} s", doctor.secs);
    let line = doctor
        .stdout
        .lines()
        .find(|l| l.contains("PROBLEM") && l.contains("terraform"))
        .unwrap_or_else(|| panic!("no terraform problem:\n{}", doctor.stdout));
    assert!(
        line.contains("terraform version") && line.contains("within 2 s"),
        "the sentence names terraform and the bound: {line}"
    );
    assert_stopped(&pid_file);
}

#[test]
fn up_fails_its_preflight_when_terraform_version_hangs_instead_of_waiting_forever() {
    let dir = project_with_a_running_step();
    let fake = tempfile::tempdir().expect("tempdir");
    let (bin, pid_file) = hanging_terraform(fake.path());

    let up = siteup(
        dir.path(),
        &["up", "--profile", "nobody"],
        &[("SITEUP_QUICK_TIMEOUT", "2")],
        Some(&bin),
    );
    assert_eq!(up.code, Some(1), "{}{}", up.stdout, up.stderr);
    assert!(
        up.stderr.contains("within 2 s"),
        "the failure names the bound: {}",
        up.stderr
    );
    assert_stopped(&pid_file);
}
