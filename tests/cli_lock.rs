//! The directory lock seen from the command line: a second siteup that would change the project
//! is refused with the PID holding the lock, while `siteup status` (read-only) still answers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod cli_support;

use std::process::Output;

use siteup::project::ProjectPaths;
use siteup::project::lock::DirLock;

fn siteup(dir: &std::path::Path, args: &[&str]) -> Output {
    cli_support::siteup_command(dir, args, dir)
        .output()
        .expect("run siteup")
}

/// A folder where `siteup generate --domain example.com` has written the answers and files.
fn generated_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let generated = siteup(dir.path(), &["generate", "--domain", "example.com"]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    dir
}

#[test]
fn a_held_lock_refuses_up_names_the_pid_and_status_still_answers() {
    let dir = generated_project();

    let paths = ProjectPaths::new(dir.path());
    let held = DirLock::acquire(&paths.state_dir(), "siteup").expect("take the lock");

    let up = siteup(dir.path(), &["up"]);
    let err = String::from_utf8_lossy(&up.stderr);
    assert_eq!(up.status.code(), Some(1), "up is refused: {err}");
    assert!(
        err.contains(&format!("PID {}", std::process::id())),
        "the refusal names the holder's PID: {err}"
    );
    let destroy = siteup(dir.path(), &["destroy", "--yes"]);
    let destroy_err = String::from_utf8_lossy(&destroy.stderr);
    assert_eq!(destroy.status.code(), Some(1), "{destroy_err}");
    assert!(
        destroy_err.contains(&format!("PID {}", std::process::id())),
        "destroy is refused, naming the holder: {destroy_err}"
    );
    assert!(!paths.state_dir().join("teardown.json").exists());
    let generate_again = siteup(dir.path(), &["generate"]);
    assert_eq!(
        generate_again.status.code(),
        Some(1),
        "generate is refused too: {}",
        String::from_utf8_lossy(&generate_again.stderr)
    );

    let status = siteup(dir.path(), &["status", "--json"]);
    assert_eq!(
        status.status.code(),
        Some(2),
        "status answers (waiting) beside the lock holder: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&status.stdout).expect("status --json prints JSON");
    assert_eq!(json["done"], serde_json::json!(false));
    assert_eq!(json["domain"], serde_json::json!("example.com"));
    // The answers written by `generate` are there; nothing has been applied.
    let state_of = |id: &str| {
        json["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == id))
            .map(|s| s["state"].clone())
    };
    assert_eq!(state_of("site"), Some(serde_json::json!("done")), "{json}");
    assert_eq!(
        state_of("state"),
        Some(serde_json::json!("not-yet")),
        "{json}"
    );

    // Once the holder is gone, up runs again: it gets past the lock and stops on the missing
    // profile, the next thing this folder lacks.
    drop(held);
    let up = siteup(dir.path(), &["up"]);
    let err = String::from_utf8_lossy(&up.stderr);
    assert!(
        !err.contains("Another siteup"),
        "the lock was released: {err}"
    );
    assert_eq!(up.status.code(), Some(1), "{err}");
    assert!(err.contains("No AWS profile is chosen"), "{err}");
}

/// Commands outside the journey use the same profile as the journey: `--profile`, then
/// `AWS_PROFILE`, then siteup.toml (none of these profiles exists here, so each is named in
/// the error).
/// A folder whose files were generated but never applied has nothing to tear down: one
/// sentence, exit 1, and no terraform run (no `.terraform/`), with or without confirmation.
#[test]
fn destroy_of_a_folder_never_applied_deletes_nothing_and_says_so() {
    let dir = generated_project();
    for args in [
        &["destroy", "--yes"][..],
        &["destroy", "--confirm", "example.com"][..],
    ] {
        let out = siteup(dir.path(), args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("was ever applied") && err.contains("nothing was deleted"),
            "{args:?}: {err}"
        );
    }
    let paths = ProjectPaths::new(dir.path());
    assert!(!paths.terraform_dir().join(".terraform").exists());
    assert!(!paths.state_dir().join("teardown.json").exists());
    // A folder without answers is refused before anything else.
    let empty = tempfile::tempdir().expect("tempdir");
    let out = siteup(empty.path(), &["destroy", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("siteup.toml"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn read_only_commands_use_the_profile_the_command_line_names() {
    let dir = generated_project();
    let named = siteup(dir.path(), &["nameservers", "--profile", "from-flag"]);
    let err = String::from_utf8_lossy(&named.stderr);
    assert_eq!(named.status.code(), Some(1), "{err}");
    assert!(err.contains("no AWS profile named from-flag"), "{err}");

    let from_env = cli_support::siteup_command(dir.path(), &["ses-request"], dir.path())
        .env("AWS_PROFILE", "from-env")
        .output()
        .expect("run siteup");
    let err = String::from_utf8_lossy(&from_env.stderr);
    assert!(err.contains("no AWS profile named from-env"), "{err}");
}

/// A read-only command pointed at a folder that does not exist says so and creates nothing.
#[test]
fn read_only_commands_never_create_the_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("typo");
    for args in [
        &["status"][..],
        &["nameservers"],
        &["ses-request"],
        &["email"],
    ] {
        let out = siteup(&missing, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("There is no folder"), "{args:?}: {err}");
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
}
