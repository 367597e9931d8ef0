//! Commands that only read (the real binary) leave the project folder exactly as it was: no file
//! changes its bytes or its modification time, and no file or folder appears.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod cli_support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

fn siteup(dir: &Path, args: &[&str]) -> Output {
    let outside = dir.parent().expect("the project has a parent folder");
    cli_support::siteup_command(dir, args, outside)
        .output()
        .expect("run siteup")
}

/// Every entry under `root`: its kind, bytes (files) and modification time.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (bool, Vec<u8>, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir).expect("read folder") {
            let path = entry.expect("folder entry").path();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            let modified = meta.modified().expect("modification time");
            if meta.is_dir() {
                todo.push(path.clone());
                out.insert(path, (true, Vec::new(), modified));
            } else {
                let bytes = if meta.is_file() {
                    fs::read(&path).expect("read file")
                } else {
                    Vec::new()
                };
                out.insert(path, (false, bytes, modified));
            }
        }
    }
    out
}

#[test]
fn read_only_commands_leave_a_generated_project_untouched() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("project");
    let out = siteup(&dir, &["generate", "--domain", "example.com"]);
    assert!(out.status.success(), "generate failed: {out:?}");
    let before = snapshot(&dir);
    for command in [
        &["status"][..],
        &["status", "--json"],
        &["doctor"],
        &["email"],
        &["email", "--json"],
    ] {
        // The outcome does not matter here (nothing is deployed), only that nothing is written.
        let out = siteup(&dir, command);
        let after = snapshot(&dir);
        let appeared: Vec<_> = after.keys().filter(|p| !before.contains_key(*p)).collect();
        assert!(
            appeared.is_empty(),
            "`siteup {}` created {appeared:?}; stderr: {}",
            command.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        for (path, was) in &before {
            assert_eq!(
                after.get(path),
                Some(was),
                "`siteup {}` changed {}",
                command.join(" "),
                path.display()
            );
        }
    }
}

/// `siteup sandbox --play` in a project that is no sandbox rehearsal: nothing can play the step,
/// siteup says so in its one sentence (exit 1), and the project is left as it was but for the
/// log (`.siteup/siteup.log`, which every command that may act writes).
#[test]
fn playing_a_step_outside_a_sandbox_is_refused_and_changes_nothing_but_the_log() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("project");
    let out = siteup(&dir, &["generate", "--domain", "example.com"]);
    assert!(out.status.success(), "generate failed: {out:?}");
    let before = snapshot(&dir);
    for what in ["registrar", "inbox", "review"] {
        let out = siteup(&dir, &["sandbox", "--play", what]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "siteup: This folder has no sandbox, and only a sandbox can play a human step; do the \
             step yourself (the wizard says how), or rehearse in a folder of its own with \
             `siteup sandbox`.\n",
            "--play {what}"
        );
        assert!(out.stdout.is_empty(), "{out:?}");
        let after = snapshot(&dir);
        let changed: Vec<_> = after
            .iter()
            .filter(|(path, entry)| before.get(*path) != Some(*entry))
            .filter(|(path, _)| {
                *path != &dir.join(".siteup") && *path != &dir.join(".siteup").join("siteup.log")
            })
            .map(|(path, _)| path)
            .collect();
        assert!(
            changed.is_empty(),
            "`siteup sandbox --play {what}` changed {changed:?}"
        );
    }
}
