//! Regeneration keeps the user in charge: untouched files are neither rewritten nor touched,
//! edited files survive (with a diff), `force` replaces them, and files of a part turned off are
//! removed unless edited. The API package is deterministic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

mod tfgen_common;

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use siteup::tfgen::{self, Backend, Conflict, FileAction, MANIFEST_FILE, WriteReport};
use tfgen_common::*;

/// Sets every file's modification time to a fixed point in the past, so any later write shows.
fn age_all(dir: &Path) -> SystemTime {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for entry in fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            fs::File::options()
                .write(true)
                .open(&path)
                .expect("open for mtime")
                .set_modified(old)
                .expect("set mtime");
        }
    }
    old
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, SystemTime)> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .expect("list")
        .map(|e| {
            let path = e.expect("entry").path();
            let meta = fs::metadata(&path).expect("metadata");
            (
                path.file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
                fs::read(&path).expect("read"),
                meta.modified().expect("mtime"),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn action(report: &WriteReport, name: &str) -> FileAction {
    report
        .files
        .iter()
        .find(|f| f.path == Path::new(name))
        .unwrap_or_else(|| panic!("{name} is in the report: {report:?}"))
        .action
}

#[test]
fn first_generation_creates_every_file_and_a_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    let files = render(&full_us_east_1(), Backend::Local);
    let report = tfgen::write_project(&tf, &files, false).expect("write");
    assert!(report.files.iter().all(|f| f.action == FileAction::Created));
    assert_eq!(report.files.len(), files.len());
    for f in &files {
        assert_eq!(fs::read(tf.join(&f.path)).expect("written"), f.bytes);
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(tf.join(MANIFEST_FILE)).expect("manifest")).expect("json");
    assert_eq!(manifest["schema"], 1);
    assert_eq!(
        manifest["files"].as_object().expect("files").len(),
        files.len()
    );
    assert!(!fs::read_dir(&tf).expect("list").any(|e| {
        e.expect("entry")
            .file_name()
            .to_string_lossy()
            .contains(".tmp-")
    }));
}

#[test]
fn regenerating_unchanged_answers_changes_no_byte_and_no_mtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    let config = full_us_east_1();
    tfgen::write_project(&tf, &render(&config, Backend::Local), false).expect("first");
    let old = age_all(&tf);
    let before = snapshot(&tf);
    let report =
        tfgen::write_project(&tf, &render(&config, Backend::Local), false).expect("second");
    assert!(
        report
            .files
            .iter()
            .all(|f| f.action == FileAction::Unchanged),
        "{}",
        report.summary()
    );
    assert!(!report.changed_anything());
    assert_eq!(report.summary(), "");
    let after = snapshot(&tf);
    assert_eq!(
        before, after,
        "same files, bytes and mtimes (api.zip included)"
    );
    assert!(after.iter().all(|(_, _, mtime)| *mtime == old));
    assert!(after.iter().any(|(name, _, _)| name == "api.zip"));
}

#[test]
fn an_edited_file_survives_with_a_diff_and_force_replaces_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    let config = full_us_east_1();
    tfgen::write_project(&tf, &render(&config, Backend::Local), false).expect("first");

    let logging = tf.join("logging.tf");
    let generated = fs::read_to_string(&logging).expect("read");
    let edited = generated.replace("retention_in_days = 30", "retention_in_days = 90");
    assert_ne!(generated, edited);
    fs::write(&logging, &edited).expect("edit");
    age_all(&tf);

    // Something else changes too: the S3 backend is added.
    let files = render(&config, Backend::S3);
    let report = tfgen::write_project(&tf, &files, false).expect("regenerate");
    assert_eq!(
        action(&report, "logging.tf"),
        FileAction::Conflict(Conflict::Edited)
    );
    assert!(report.has_conflicts());
    let diff = report
        .conflicts()
        .next()
        .and_then(|f| f.diff.clone())
        .expect("a conflict carries a diff");
    assert!(diff.contains("-  retention_in_days = 90"), "{diff}");
    assert!(diff.contains("+  retention_in_days = 30"), "{diff}");
    assert!(diff.contains("a/logging.tf"), "{diff}");
    assert!(report.summary().contains("--force"), "{}", report.summary());
    assert_eq!(fs::read_to_string(&logging).expect("read"), edited, "kept");
    // The non-conflicting change went through.
    assert_eq!(action(&report, "backend.tf"), FileAction::Created);
    assert!(tf.join("backend.tf").exists());

    // Still a conflict on the next run (the manifest keeps siteup's last hash).
    let again = tfgen::write_project(&tf, &files, false).expect("again");
    assert_eq!(
        action(&again, "logging.tf"),
        FileAction::Conflict(Conflict::Edited)
    );
    assert_eq!(action(&again, "backend.tf"), FileAction::Unchanged);

    // --force replaces it.
    let forced = tfgen::write_project(&tf, &files, true).expect("force");
    assert_eq!(
        action(&forced, "logging.tf"),
        FileAction::Overwritten(Conflict::Edited)
    );
    assert_eq!(fs::read_to_string(&logging).expect("read"), generated);
    let settled = tfgen::write_project(&tf, &files, false).expect("settled");
    assert!(!settled.has_conflicts());
    assert!(!settled.changed_anything());
}

#[test]
fn an_untouched_file_is_updated_when_the_answers_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    let mut config = full_us_east_1();
    tfgen::write_project(&tf, &render(&config, Backend::Local), false).expect("first");
    let zip_before = fs::read(tf.join("api.zip")).expect("zip");
    let old = age_all(&tf);

    config.inbound_mail = siteup::site::InboundMail::parse("10 mx.other.net").expect("mx");
    let report = tfgen::write_project(&tf, &render(&config, Backend::Local), false).expect("again");
    assert_eq!(action(&report, "email.tf"), FileAction::Updated);
    let diff = report
        .files
        .iter()
        .find(|f| f.path == Path::new("email.tf"))
        .and_then(|f| f.diff.clone())
        .expect("an update carries a diff");
    assert!(diff.contains("+    \"10 mx.other.net\","), "{diff}");
    assert!(diff.contains("-    \"10 mx1.forwardemail.net\","), "{diff}");
    assert!(
        fs::read_to_string(tf.join("email.tf"))
            .expect("read")
            .contains("10 mx.other.net")
    );
    // The zip did not change, so it was not rewritten.
    assert_eq!(action(&report, "api.zip"), FileAction::Unchanged);
    assert_eq!(fs::read(tf.join("api.zip")).expect("zip"), zip_before);
    assert_eq!(
        fs::metadata(tf.join("api.zip"))
            .expect("meta")
            .modified()
            .expect("mtime"),
        old
    );
}

#[test]
fn turning_a_part_off_removes_its_unedited_files_and_keeps_edited_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    let mut config = full_us_east_1();
    tfgen::write_project(&tf, &render(&config, Backend::Local), false).expect("first");
    // The user edits logging.tf, then turns the API (and so logging) off.
    let logging = tf.join("logging.tf");
    let mut edited = fs::read_to_string(&logging).expect("read");
    edited.push_str("# mine\n");
    fs::write(&logging, &edited).expect("edit");

    config
        .parts
        .disable_with_dependents(siteup::site::Part::Api);
    assert!(!config.parts.logging && config.parts.users);
    let files = render(&config, Backend::Local);
    let report = tfgen::write_project(&tf, &files, false).expect("regenerate");
    for gone in ["api.tf", "api.zip", "identities.tf"] {
        assert_eq!(action(&report, gone), FileAction::Removed, "{gone}");
        assert!(!tf.join(gone).exists(), "{gone} removed");
    }
    assert_eq!(
        action(&report, "logging.tf"),
        FileAction::Conflict(Conflict::EditedNoLongerGenerated)
    );
    assert_eq!(fs::read_to_string(&logging).expect("kept"), edited);
    let diff = report
        .conflicts()
        .next()
        .and_then(|f| f.diff.clone())
        .expect("diff");
    assert!(diff.contains("-# mine"), "{diff}");
    assert_eq!(action(&report, "users.tf"), FileAction::Unchanged);
    assert_eq!(action(&report, "outputs.tf"), FileAction::Updated);

    // Force removes the edited leftover; then the project is exactly the generated files.
    let forced = tfgen::write_project(&tf, &files, true).expect("force");
    assert_eq!(
        action(&forced, "logging.tf"),
        FileAction::Overwritten(Conflict::EditedNoLongerGenerated)
    );
    assert!(!logging.exists());
    let mut on_disk: Vec<String> = fs::read_dir(&tf)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != MANIFEST_FILE)
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect();
    expected.sort();
    assert_eq!(on_disk, expected);
}

#[test]
fn a_deleted_file_is_a_conflict_and_a_foreign_file_is_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    fs::create_dir_all(&tf).expect("mkdir");
    // A README the user had before siteup.
    fs::write(tf.join("README.md"), "my notes\n").expect("write");
    let files = render(&minimal(), Backend::Local);
    let report = tfgen::write_project(&tf, &files, false).expect("first");
    assert_eq!(
        action(&report, "README.md"),
        FileAction::Conflict(Conflict::NotFromSiteup)
    );
    assert_eq!(
        fs::read_to_string(tf.join("README.md")).expect("read"),
        "my notes\n"
    );
    // siteup did not write it: a sentence, never its content.
    let shown = report
        .conflicts()
        .find(|f| f.path == Path::new("README.md"))
        .and_then(|f| f.diff.clone())
        .expect("a sentence");
    assert!(shown.contains("siteup did not write it"), "{shown}");
    assert!(!shown.contains("my notes"), "{shown}");

    fs::remove_file(tf.join("zone.tf")).expect("delete");
    let report = tfgen::write_project(&tf, &files, false).expect("second");
    assert_eq!(
        action(&report, "zone.tf"),
        FileAction::Conflict(Conflict::Deleted)
    );
    assert!(!tf.join("zone.tf").exists());
    let report = tfgen::write_project(&tf, &files, true).expect("force");
    assert_eq!(
        action(&report, "zone.tf"),
        FileAction::Overwritten(Conflict::Deleted)
    );
    assert!(tf.join("zone.tf").exists());
}

#[test]
fn the_api_zip_is_deterministic_and_well_formed() {
    let a = render(&full_us_east_1(), Backend::Local);
    let b = render(&full_eu_central_1(), Backend::S3);
    let zip_a = a
        .iter()
        .find(|f| f.path == Path::new("api.zip"))
        .expect("zip");
    let zip_b = b
        .iter()
        .find(|f| f.path == Path::new("api.zip"))
        .expect("zip");
    assert_eq!(zip_a.bytes, zip_b.bytes, "two generations, identical bytes");
    assert_eq!(zip_a.bytes, tfgen::zip::api_zip().expect("zip"));

    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(zip_a.bytes.clone())).expect("opens");
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).expect("entry");
        names.push(entry.name().expect("name").to_string());
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o644));
        assert_eq!(entry.compression(), zip::CompressionMethod::Deflated);
        let modified = entry.last_modified().expect("timestamp");
        assert_eq!(
            (modified.year(), modified.month(), modified.day()),
            (1980, 1, 1)
        );
        assert_eq!(
            (modified.hour(), modified.minute(), modified.second()),
            (0, 0, 0)
        );
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries sorted");
    assert!(names.contains(&"index.mjs".to_string()));
    let mut source = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("index.mjs").expect("index.mjs"),
        &mut source,
    )
    .expect("read");
    assert!(source.contains("export async function handler"));
    assert!(source.contains("@aws-sdk/client-dynamodb"));
}

#[test]
fn the_sandbox_override_follows_the_parts_and_the_backend() {
    use siteup::tfgen::sandbox_override;
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    let url = "http://127.0.0.1:4566";

    // Local state: no backend in the override; only resources that exist are named.
    let config = minimal();
    tfgen::write_project(&tf, &render(&config, Backend::Local), false).expect("write");
    assert!(sandbox_override::write(&tf, &config, Some(url)).expect("override"));
    let path = tf.join(tfgen::SANDBOX_OVERRIDE_FILE);
    let text = fs::read_to_string(&path).expect("read override");
    assert!(!text.contains("backend \"s3\""));
    assert!(text.contains(&format!("sts             = \"{url}\"")));
    assert!(!text.contains("aws_cloudfront_distribution"));
    assert!(!text.contains("aws_lambda_function"));
    for line in text.lines().filter(|l| l.starts_with("resource \"")) {
        let mut it = line.split('"');
        let address = format!("{}.{}", it.nth(1).expect("type"), it.nth(1).expect("name"));
        assert!(
            tfgen::resource_addresses(&config).contains(&address),
            "the override names {address}, which the configuration declares"
        );
    }

    // Unchanged: not rewritten.
    age_all(&tf);
    let before = snapshot(&tf);
    assert!(!sandbox_override::write(&tf, &config, Some(url)).expect("again"));
    assert_eq!(before, snapshot(&tf));

    // The override is not siteup's generated project: regeneration leaves it alone.
    let report = tfgen::write_project(&tf, &render(&config, Backend::Local), false).expect("write");
    assert!(
        report
            .files
            .iter()
            .all(|f| f.path != Path::new(tfgen::SANDBOX_OVERRIDE_FILE))
    );
    assert!(path.exists());

    // With backend.tf on disk, the override carries the emulator's backend.
    let config = full_us_east_1();
    tfgen::write_project(&tf, &render(&config, Backend::S3), false).expect("write");
    assert!(sandbox_override::write(&tf, &config, Some(url)).expect("override"));
    let text = fs::read_to_string(&path).expect("read override");
    assert!(text.contains("backend \"s3\""));
    assert!(text.contains("bucket                      = \"example-com-state\""));
    assert!(text.contains("use_path_style              = true"));
    // The emulator script reads every attribute back as written: nothing is ignored.
    assert!(!text.contains("ignore_changes"), "{text}");
    assert_eq!(sandbox_override::sandbox_url(&tf).as_deref(), Some(url));

    // Sandbox mode off: the file goes away.
    assert!(sandbox_override::write(&tf, &config, None).expect("remove"));
    assert!(!path.exists());
    assert!(!sandbox_override::write(&tf, &config, None).expect("nothing to remove"));
}

#[test]
fn links_and_folders_lead_nowhere_outside_and_force_backs_up_what_it_replaces() {
    use siteup::tfgen::WriteOptions;
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("terraform");
    let outside = dir.path().join("outside.txt");
    fs::write(&outside, b"not siteup's\n").expect("write");
    let mut config = full_us_east_1();
    tfgen::write_project(&tf, &render(&config, Backend::Local), false).expect("first");

    // A folder where siteup writes a file: left alone, even by force.
    fs::remove_file(tf.join("zone.tf")).expect("remove");
    fs::create_dir(tf.join("zone.tf")).expect("mkdir");
    fs::write(tf.join("zone.tf/keep.txt"), b"mine").expect("write");
    // A link to a file outside, where a file is no longer generated (the API is turned off).
    fs::remove_file(tf.join("api.tf")).expect("remove");
    std::os::unix::fs::symlink(&outside, tf.join("api.tf")).expect("symlink");
    // An edited file that is no longer generated either.
    let mut logging = fs::read_to_string(tf.join("logging.tf")).expect("read");
    logging.push_str("# mine\n");
    fs::write(tf.join("logging.tf"), &logging).expect("edit");

    config
        .parts
        .disable_with_dependents(siteup::site::Part::Api);
    let files = render(&config, Backend::Local);
    let kept = tfgen::write_project(&tf, &files, false).expect("kept");
    assert_eq!(
        action(&kept, "zone.tf"),
        FileAction::Conflict(Conflict::NotAFile)
    );
    assert_eq!(
        action(&kept, "api.tf"),
        FileAction::Conflict(Conflict::Symlink)
    );
    let link_note = kept
        .files
        .iter()
        .find(|f| f.path == Path::new("api.tf"))
        .and_then(|f| f.diff.clone())
        .expect("a sentence for the link");
    assert!(!link_note.contains("not siteup's"), "{link_note}");

    let backup = dir.path().join("backup");
    let forced = tfgen::write_project_with(
        &tf,
        &files,
        &WriteOptions {
            force: true,
            backup_dir: Some(&backup),
        },
    )
    .expect("force");
    assert_eq!(
        action(&forced, "zone.tf"),
        FileAction::Conflict(Conflict::NotAFile),
        "force never replaces a folder"
    );
    assert_eq!(
        fs::read(tf.join("zone.tf/keep.txt")).expect("kept"),
        b"mine"
    );
    assert_eq!(
        action(&forced, "api.tf"),
        FileAction::Overwritten(Conflict::Symlink)
    );
    assert!(
        fs::symlink_metadata(tf.join("api.tf")).is_err(),
        "the link is removed"
    );
    assert_eq!(fs::read(&outside).expect("outside"), b"not siteup's\n");
    assert_eq!(
        fs::read_link(backup.join("api.tf")).expect("the link is backed up"),
        outside
    );
    assert!(!tf.join("logging.tf").exists());
    assert_eq!(
        fs::read_to_string(backup.join("logging.tf")).expect("backup"),
        logging
    );
    assert_eq!(forced.backup.as_deref(), Some(backup.as_path()));

    // A linked terraform folder is refused before anything is read or written.
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).expect("mkdir");
    let linked = dir.path().join("linked");
    std::os::unix::fs::symlink(&elsewhere, &linked).expect("symlink");
    let err = tfgen::write_project(&linked, &files, true).expect_err("refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(fs::read_dir(&elsewhere).expect("list").count(), 0);
}
