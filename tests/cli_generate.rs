//! `siteup generate` seen from the command line (the real binary): it never follows a link out
//! of the project nor prints a file it did not write, keeps the user's comments in siteup.toml,
//! shows what `--force` replaces and keeps a backup, and a refused run leaves nothing behind.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod cli_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A secret that must never reach the terminal.
const CANARY: &str = "aws_secret_access_key = CANARY-wJalrXUtnFEMI-K7MDENG";

fn siteup(dir: &Path, args: &[&str]) -> Output {
    cli_support::siteup_command(dir, args, dir)
        .output()
        .expect("run siteup")
}

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A project folder (inside `parent`) where `siteup generate --domain example.com` has run.
fn generated_project(parent: &Path) -> PathBuf {
    let dir = parent.join("project");
    let out = siteup(&dir, &["generate", "--domain", "example.com"]);
    assert!(out.status.success(), "{}", text(&out));
    dir
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// The one backup folder (`.siteup/backups/<time>/terraform`) of a project.
fn only_backup(project: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = fs::read_dir(project.join(".siteup/backups"))
        .expect("a backups folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(runs.len(), 1, "one forced run, one backup: {runs:?}");
    runs[0].join("terraform")
}

#[test]
fn a_linked_tf_file_is_never_read_printed_or_written_through() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = generated_project(tmp.path());
    // The secret lives outside the project.
    let secret = tmp.path().join("credentials");
    fs::write(&secret, format!("[default]\n{CANARY}\n")).expect("write secret");
    let zone = project.join("terraform/zone.tf");
    fs::remove_file(&zone).expect("remove zone.tf");
    std::os::unix::fs::symlink(&secret, &zone).expect("symlink zone.tf");

    let kept = siteup(&project, &["generate", "--region", "eu-west-1"]);
    let shown = text(&kept);
    assert_eq!(kept.status.code(), Some(1), "a conflict: {shown}");
    assert!(!shown.contains("CANARY"), "the secret was printed: {shown}");
    assert!(shown.contains("zone.tf is a symbolic link"), "{shown}");
    assert!(is_symlink(&zone), "the link is kept without --force");

    let forced = siteup(&project, &["generate", "--force", "--region", "eu-west-1"]);
    let shown = text(&forced);
    assert!(forced.status.success(), "{shown}");
    assert!(!shown.contains("CANARY"), "the secret was printed: {shown}");
    assert_eq!(
        fs::read_to_string(&secret).expect("read secret"),
        format!("[default]\n{CANARY}\n"),
        "the link's target is untouched"
    );
    assert!(!is_symlink(&zone), "--force replaced the link itself");
    let generated = fs::read_to_string(&zone).expect("read zone.tf");
    assert!(generated.contains("aws_route53_zone"), "{generated}");
    // The backup is the link, not a copy of what it points to.
    let backup = only_backup(&project).join("zone.tf");
    assert!(is_symlink(&backup), "the link is backed up as a link");
    assert_eq!(fs::read_link(&backup).expect("read link"), secret);
}

#[test]
fn files_siteup_did_not_write_are_described_not_printed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = generated_project(tmp.path());
    // A file siteup never wrote, where siteup now writes (README.md is no longer siteup's).
    let manifest_path = project.join("terraform/.siteup-manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(&manifest_path).expect("manifest")).expect("json");
    manifest["files"]
        .as_object_mut()
        .expect("files")
        .remove("README.md");
    fs::write(&manifest_path, manifest.to_string()).expect("write manifest");
    fs::write(project.join("terraform/README.md"), format!("{CANARY}\n")).expect("write");
    // A file siteup wrote, replaced by a hard link to a secret (its content lives elsewhere).
    let secret = tmp.path().join("hard-linked-secret");
    fs::write(&secret, format!("{CANARY}\n")).expect("write secret");
    let outputs = project.join("terraform/outputs.tf");
    fs::remove_file(&outputs).expect("remove outputs.tf");
    fs::hard_link(&secret, &outputs).expect("hard link");

    let kept = siteup(&project, &["generate"]);
    let shown = text(&kept);
    assert_eq!(kept.status.code(), Some(1), "two conflicts: {shown}");
    assert!(
        !shown.contains("CANARY"),
        "a foreign file was printed: {shown}"
    );
    assert!(
        shown.contains("README.md was already there and siteup did not write it"),
        "{shown}"
    );
    assert!(shown.contains("outputs.tf has other hard links"), "{shown}");

    let forced = siteup(&project, &["generate", "--force"]);
    let shown = text(&forced);
    assert!(forced.status.success(), "{shown}");
    assert!(
        !shown.contains("CANARY"),
        "a foreign file was printed: {shown}"
    );
    assert_eq!(
        fs::read_to_string(&secret).expect("read"),
        format!("{CANARY}\n"),
        "the other hard link is untouched"
    );
    assert_eq!(
        fs::read_to_string(only_backup(&project).join("README.md")).expect("backup"),
        format!("{CANARY}\n")
    );
}

#[test]
fn a_linked_siteup_toml_stays_a_link_and_its_target_gets_the_answers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = generated_project(tmp.path());
    let shared = tmp.path().join("shared");
    fs::create_dir(&shared).expect("mkdir");
    let target = shared.join("siteup.toml");
    fs::rename(project.join("siteup.toml"), &target).expect("move siteup.toml");
    let link = project.join("siteup.toml");
    std::os::unix::fs::symlink("../shared/siteup.toml", &link).expect("symlink");

    let out = siteup(&project, &["generate", "--region", "eu-west-1"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(is_symlink(&link), "siteup.toml is still a link");
    assert_eq!(
        fs::read_link(&link).expect("read link"),
        Path::new("../shared/siteup.toml")
    );
    let answers = fs::read_to_string(&target).expect("read target");
    assert!(answers.contains("region = \"eu-west-1\""), "{answers}");
    let leftovers: Vec<_> = fs::read_dir(&shared)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp file left: {leftovers:?}");
}

#[test]
fn comments_and_spacing_in_siteup_toml_survive_a_changed_answer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = generated_project(tmp.path());
    let path = project.join("siteup.toml");
    let written = fs::read_to_string(&path).expect("read");
    let mine = written
        .replace(
            "region = \"us-east-1\"",
            "region   =   \"us-east-1\"    # closest to our users",
        )
        .replace(
            "[parts]",
            "# Which parts we pay for.\n[parts]   # keep in sync with the budget",
        )
        .replace("sender = \"no-reply\"", "sender='no-reply'")
        + "\n# Last reviewed by the platform team.\n";
    assert_ne!(mine, written);
    fs::write(&path, &mine).expect("edit siteup.toml");

    let same = siteup(&project, &["generate"]);
    assert!(same.status.success(), "{}", text(&same));
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        mine,
        "no answer changed: not one byte changed"
    );

    let changed = siteup(&project, &["generate", "--region", "eu-west-1"]);
    assert!(changed.status.success(), "{}", text(&changed));
    let after = fs::read_to_string(&path).expect("read");
    let expected = mine.replace(
        "region   =   \"us-east-1\"    # closest to our users",
        "region   =   \"eu-west-1\"    # closest to our users",
    );
    assert_eq!(after, expected, "only the region's value changed");
}

#[test]
fn force_shows_the_diff_and_keeps_the_edited_file_in_a_backup() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = generated_project(tmp.path());
    let zone = project.join("terraform/zone.tf");
    let mut edited = fs::read_to_string(&zone).expect("read");
    edited.push_str("# my own note about the zone\n");
    fs::write(&zone, &edited).expect("edit zone.tf");

    let forced = siteup(&project, &["generate", "--force", "--region", "eu-west-1"]);
    let shown = text(&forced);
    assert!(forced.status.success(), "{shown}");
    let stdout = String::from_utf8_lossy(&forced.stdout);
    assert!(stdout.contains("overwritten zone.tf"), "{stdout}");
    assert!(stdout.contains("a/zone.tf (on disk)"), "the diff: {stdout}");
    assert!(stdout.contains("-# my own note about the zone"), "{stdout}");
    let backup = only_backup(&project);
    assert!(
        stdout.contains(&backup.display().to_string()),
        "the backup is named: {stdout}"
    );
    assert_eq!(
        fs::read(backup.join("zone.tf")).expect("backup"),
        edited.as_bytes(),
        "the backup holds the user's edited bytes"
    );
    assert!(
        !fs::read_to_string(&zone)
            .expect("read")
            .contains("my own note"),
        "replaced"
    );
    // Only what --force replaced is backed up.
    let saved: Vec<_> = fs::read_dir(&backup)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(saved, ["zone.tf"]);
}

#[test]
fn a_refused_flag_leaves_no_folder_and_no_lock() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let new = tmp.path().join("new-project");
    let out = siteup(&new, &["generate", "--domain", "not a domain"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a domain"),
        "{}",
        text(&out)
    );
    assert!(!new.exists(), "the refused run created {}", new.display());

    // An existing folder gets no .siteup/ (and so no lock) either.
    let existing = tmp.path().join("existing");
    fs::create_dir(&existing).expect("mkdir");
    let out = siteup(&existing, &["generate", "--domain", "not a domain"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        fs::read_dir(&existing).expect("list").count(),
        0,
        "nothing was created in the existing folder"
    );
}

/// Guardrails with no inbox alert no one: `generate` says so, and says nothing once there is an
/// inbox or the guardrails are off.
#[test]
fn guardrails_without_an_inbox_are_pointed_out() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("site");
    const NOTE: &str = "the guardrails are on but no inbox is set";
    let out = siteup(&dir, &["generate", "--domain", "example.com"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(NOTE), "{}", text(&out));
    assert!(
        text(&out).contains("`siteup generate --inbox you@example.net`"),
        "{}",
        text(&out)
    );
    let out = siteup(&dir, &["generate", "--inbox", "you@example.net"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(NOTE), "{}", text(&out));
    let out = siteup(
        &dir,
        &["generate", "--inbox", "none", "--guardrails", "off"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(NOTE), "{}", text(&out));
}
