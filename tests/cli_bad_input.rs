//! The real binary over bad input: flags, damaged and hostile project files, folders that are
//! files, profiles with control characters, fake terraform binaries that crash or lie. For every
//! case: no panic, no hang (each run is bounded), the documented exit code, one sentence, no
//! file damaged, and the canary secret planted in the test's AWS files printed or logged nowhere.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Planted in the test home's AWS credentials: it must never appear in any output or log.
const CANARY: &str = "CANARYsecretKEY0000siteupMustNeverPrintThis";
const EXIT_FAILED: i32 = 1;
const EXIT_WAITING: i32 = 2;
const EXIT_USAGE: i32 = 64;
/// No single run may take longer than this (the hang bound).
const RUN_BOUND: Duration = Duration::from_secs(60);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A scratch world: a home with AWS files holding the canary, a bin folder first on PATH for
/// fake programs, and a project folder.
struct World {
    root: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        let aws = root.path().join("home/.aws");
        std::fs::create_dir_all(&aws).expect("mkdir .aws");
        std::fs::write(
            aws.join("credentials"),
            format!(
                "[canary]\naws_access_key_id = AKIACANARY0000000001\naws_secret_access_key = {CANARY}\n"
            ),
        )
        .expect("credentials");
        std::fs::write(aws.join("config"), "[profile canary]\nregion = eu-west-1\n")
            .expect("config");
        std::fs::create_dir_all(root.path().join("bin")).expect("bin");
        std::fs::create_dir_all(root.path().join("project")).expect("project");
        Self { root }
    }

    fn project(&self) -> PathBuf {
        self.root.path().join("project")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Puts an executable shell script named `name` first on PATH.
    fn fake_program(&self, name: &str, script: &str) {
        let path = self.path("bin").join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("write fake");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_with(args, &[])
    }

    fn command_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_siteup"));
        cmd.args(args);
        for key in siteup::aws::env::inherited_aws_variables() {
            cmd.env_remove(key);
        }
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.env("HOME", self.path("home"))
            .env("PATH", path)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("SITEUP_DNS_ROOT", "127.0.0.1:9")
            .env("SITEUP_DNS_RESOLVER", "none")
            .env_remove("SITEUP_LOG")
            .env_remove("NO_COLOR")
            .env("TERM", "dumb");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs siteup with `args` (and `--dir` the project unless given), stdin from `input`.
    fn run_with(
        &self,
        args: &[&str],
        input: Option<Box<dyn FnOnce(std::process::ChildStdin) + Send>>,
    ) -> Run {
        let mut full: Vec<&str> = args.to_vec();
        let dir = self.project().display().to_string();
        if !args.contains(&"--dir") {
            full.push("--dir");
            full.push(&dir);
        }
        let mut cmd = self.command(&full);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let start = Instant::now();
        let mut child = cmd.spawn().expect("spawn siteup");
        let writer = input.and_then(|feed| {
            child
                .stdin
                .take()
                .map(|stdin| std::thread::spawn(move || feed(stdin)))
        });
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let out = std::thread::spawn(move || read_all(stdout));
        let err = std::thread::spawn(move || read_all(stderr));
        let code = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status.code();
            }
            if start.elapsed() > RUN_BOUND {
                let _ = child.kill();
                let _ = child.wait();
                panic!("siteup {full:?} did not return within {RUN_BOUND:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = start.elapsed();
        drop(writer);
        Run {
            code,
            stdout: out.join().expect("stdout reader"),
            stderr: err.join().expect("stderr reader"),
            took,
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None)
    }

    /// Every file under the world's project and home, with its bytes (to prove nothing changed).
    fn snapshot(&self, dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.ends_with("siteup.log") || p.ends_with("lock") {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(bytes) = std::fs::read(&p) {
                    out.push((p, bytes));
                }
            }
        }
        out.sort();
        out
    }

    /// Everything siteup logged in the project, if it logged.
    fn log(&self) -> String {
        std::fs::read_to_string(self.project().join(".siteup/siteup.log")).unwrap_or_default()
    }
}

fn read_all(mut r: impl std::io::Read) -> String {
    let mut bytes = Vec::new();
    let _ = r.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// What every run must satisfy, whatever the case.
fn check_common(world: &World, case: &str, run: &Run) {
    let all = run.all();
    assert!(
        !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
        "{case}: siteup panicked:\n{all}"
    );
    assert!(
        !all.contains(CANARY) && !world.log().contains(CANARY),
        "{case}: the canary secret was printed or logged:\n{all}"
    );
    assert!(
        !all.contains('\u{1b}') && !all.contains('\u{7}') && !all.contains('\u{9b}'),
        "{case}: a raw control character reached the terminal:\n{all:?}"
    );
    assert!(run.took < RUN_BOUND, "{case}: took {:?}", run.took);
}

/// A failure is one sentence on stderr after `siteup: `, ending with a full stop.
fn check_one_sentence(case: &str, run: &Run) {
    let line = run
        .stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("siteup: "))
        .unwrap_or_else(|| panic!("{case}: no `siteup: ` sentence on stderr:\n{}", run.stderr));
    assert!(
        line.trim_end().ends_with('.'),
        "{case}: the sentence does not end with a full stop: {line}"
    );
}

fn expect(world: &World, case: &str, run: &Run, code: i32, words: &[&str]) {
    check_common(world, case, run);
    assert_eq!(
        run.code,
        Some(code),
        "{case}: exit code\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    for w in words {
        assert!(
            run.all().contains(w),
            "{case}: output should say {w:?}:\n{}",
            run.all()
        );
    }
    if code == EXIT_FAILED {
        check_one_sentence(case, run);
    }
}

fn generated(world: &World) {
    let run = world.run(&["generate", "--domain", "example.com"]);
    expect(world, "generate", &run, 0, &[]);
}

#[test]
fn usage_errors_have_their_own_exit_code_and_show_what_was_typed_safely() {
    let world = World::new();
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("unknown flag", &["--bogus"], &["--bogus"]),
        (
            "unknown flag after a command",
            &["status", "--nope"],
            &["--nope"],
        ),
        ("unknown command", &["stauts"], &["stauts"]),
        (
            "empty parts",
            &["generate", "--domain", "example.com", "--parts", ""],
            &["--parts", "empty"],
        ),
        (
            "empty mx",
            &["generate", "--domain", "example.com", "--mx", " "],
            &["--mx", "empty"],
        ),
        (
            "empty profile",
            &["status", "--profile", ""],
            &["--profile", "empty"],
        ),
        ("empty dir", &["status", "--dir", ""], &["--dir", "empty"]),
        (
            "escape in a domain",
            &["generate", "--domain", "x\u{1b}[2J.com"],
            &["--domain", "control character"],
        ),
        (
            "escape in a profile",
            &["status", "--profile=--x\u{1b}[2J; rm -rf /\u{7}"],
            &["--profile", "control character"],
        ),
        (
            "bad dns root",
            &["status", "--dns-root", "127.0.0.1"],
            &["--dns-root", "IP:PORT"],
        ),
        (
            "play what",
            &["sandbox", "--play", "everything"],
            &["--play"],
        ),
    ];
    let before = world.snapshot(world.root.path());
    for (case, args, words) in cases {
        let run = world.run(args);
        expect(&world, case, &run, EXIT_USAGE, words);
    }
    assert_eq!(
        before,
        world.snapshot(world.root.path()),
        "a usage error changed a file"
    );
    assert!(
        !world.project().join(".siteup").exists(),
        "a usage error created .siteup/"
    );
    // Help and version are not errors.
    for args in [&["--help"][..], &["--version"], &["status", "--help"]] {
        let run = world.run(args);
        expect(&world, "help", &run, 0, &[]);
    }
}

#[test]
fn bad_answers_fail_with_one_sentence_and_create_nothing() {
    let world = World::new();
    let long = format!("{}.com", "a".repeat(260));
    let long_label = format!("{}.com", "b".repeat(70));
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "localhost",
            vec!["--domain", "localhost"],
            vec!["machine's own name"],
        ),
        ("too long", vec!["--domain", &long], vec!["at most 253"]),
        (
            "label too long",
            vec!["--domain", &long_label],
            vec!["at most 63"],
        ),
        (
            "scheme",
            vec!["--domain", "HTTPS://Example.COM/"],
            vec!["like example.com"],
        ),
        (
            "parts list of commas",
            vec!["--domain", "example.com", "--parts", ",,"],
            vec!["list of parts is empty"],
        ),
        (
            "unknown part",
            vec!["--domain", "example.com", "--parts", "site,blog"],
            vec!["blog"],
        ),
        (
            "bad mx",
            vec!["--domain", "example.com", "--mx", "ten mx.example.net"],
            vec!["not a number"],
        ),
    ];
    for (case, flags, words) in cases {
        let fresh = world.path(&format!("fresh-{}", case.replace(' ', "-")));
        let dir = fresh.display().to_string();
        let mut args = vec!["generate", "--dir", &dir];
        args.extend(flags);
        let run = world.run(&args);
        expect(&world, case, &run, EXIT_FAILED, &words);
        assert!(
            !fresh.exists(),
            "{case}: a refused generate created {fresh:?}"
        );
    }
}

#[test]
fn damaged_and_hostile_project_files_fail_with_their_own_sentence_and_stay_as_they_were() {
    let world = World::new();
    generated(&world);
    let toml = world.project().join("siteup.toml");
    let journal_dir = world.project().join(".siteup");
    let journal = journal_dir.join("journal.json");
    let good_toml = std::fs::read(&toml).expect("siteup.toml");

    // A broken siteup.toml: status says what is wrong and fails (it used to exit 2 silently).
    std::fs::write(&toml, b"schema = 1\n[site\ndomain = ").expect("write");
    let run = world.run(&["status"]);
    expect(
        &world,
        "broken siteup.toml",
        &run,
        EXIT_FAILED,
        &["siteup.toml", "not valid"],
    );
    assert_eq!(
        std::fs::read(&toml).expect("read"),
        b"schema = 1\n[site\ndomain = "
    );

    // A profile with control characters in siteup.toml.
    let hostile = String::from_utf8(good_toml.clone())
        .expect("utf-8")
        .replace(
            "[parts]",
            "[aws]\nprofile = \"--x\\u001b[2J; rm -rf /\"\n\n[parts]",
        );
    std::fs::write(&toml, &hostile).expect("write");
    let run = world.run(&["status"]);
    expect(
        &world,
        "hostile profile",
        &run,
        EXIT_FAILED,
        &["control character"],
    );
    assert_eq!(std::fs::read_to_string(&toml).expect("read"), hostile);
    std::fs::write(&toml, &good_toml).expect("restore");

    // A journal from a newer siteup is refused and left byte for byte.
    std::fs::create_dir_all(&journal_dir).expect("mkdir");
    let newer = br#"{"schema": 99, "created_at": "2031-01-01T00:00:00Z", "steps": {}, "history": [], "later": true}"#;
    std::fs::write(&journal, newer).expect("write");
    for args in [&["status"][..], &["up"], &["generate"]] {
        let run = world.run(args);
        expect(
            &world,
            "newer journal",
            &run,
            EXIT_FAILED,
            &["upgrade siteup"],
        );
        assert_eq!(
            std::fs::read(&journal).expect("read"),
            newer,
            "{args:?} rewrote the journal"
        );
    }

    // A journal that is not UTF-8 is damaged, not a permission problem.
    std::fs::write(&journal, b"{\"schema\": 1, \xff}").expect("write");
    let run = world.run(&["status"]);
    expect(&world, "binary journal", &run, EXIT_FAILED, &["damaged"]);
    assert!(!run.stderr.contains("permission"), "{}", run.stderr);
    std::fs::remove_file(&journal).expect("rm");

    // .siteup is a file: each command names that, none calls the folder writable.
    std::fs::remove_dir_all(&journal_dir).expect("rm .siteup");
    std::fs::write(&journal_dir, b"not a folder").expect("write");
    let run = world.run(&["status"]);
    expect(
        &world,
        ".siteup is a file",
        &run,
        EXIT_FAILED,
        &["is a file, not a folder"],
    );
    let run = world.run(&["doctor"]);
    check_common(&world, "doctor with .siteup a file", &run);
    assert_eq!(run.code, Some(EXIT_FAILED), "{}", run.all());
    assert!(run.stdout.contains(".siteup in"), "{}", run.stdout);
    assert!(!run.stdout.contains("is writable"), "{}", run.stdout);
    assert_eq!(std::fs::read(&journal_dir).expect("read"), b"not a folder");
}

#[test]
fn a_damaged_or_hostile_manifest_never_costs_a_file() {
    let world = World::new();
    generated(&world);
    let manifest = world.project().join("terraform/.siteup-manifest.json");
    let victim = world.path("victim.txt");
    std::fs::write(&victim, b"keep me").expect("victim");
    let zone = world.project().join("terraform/zone.tf");
    let zone_before = std::fs::read(&zone).expect("zone.tf");

    // Garbage: every file still equal to what siteup writes, so nothing is lost or kept.
    std::fs::write(&manifest, b"\x00\xff{ not json").expect("write");
    let run = world.run(&["generate"]);
    expect(&world, "garbage manifest", &run, 0, &["could not be read"]);
    assert_eq!(std::fs::read(&zone).expect("zone.tf"), zone_before);

    // A manifest that claims files outside the folder: siteup removes none of them.
    let escape = format!(
        r#"{{"schema": 1, "files": {{"../../victim.txt": "00", "{}": "00", "zone.tf": "00"}}}}"#,
        victim.display()
    );
    std::fs::write(&manifest, escape).expect("write");
    let run = world.run(&["generate", "--region", "eu-west-1"]);
    check_common(&world, "hostile manifest", &run);
    assert!(
        run.all().contains("outside the terraform folder"),
        "{}",
        run.all()
    );
    assert_eq!(std::fs::read(&victim).expect("victim survives"), b"keep me");
}

#[test]
fn folders_that_are_missing_or_files_are_named_and_never_created() {
    let world = World::new();
    let typo = world.path("typo-folder");
    let typo_s = typo.display().to_string();
    let run = world.run(&["doctor", "--dir", &typo_s]);
    check_common(&world, "doctor --dir typo", &run);
    assert!(run.stdout.contains("does not exist"), "{}", run.stdout);
    assert!(!run.stdout.contains("is writable"), "{}", run.stdout);
    assert!(!typo.exists(), "doctor created {typo:?}");
    for args in [
        &["status", "--dir", &typo_s][..],
        &["nameservers", "--dir", &typo_s],
    ] {
        let run = world.run(args);
        expect(
            &world,
            "read-only command, missing folder",
            &run,
            EXIT_FAILED,
            &["There is no folder"],
        );
        assert!(!typo.exists(), "{args:?} created {typo:?}");
    }

    let file = world.path("no folder");
    std::fs::write(&file, b"a file").expect("write");
    let file_s = file.display().to_string();
    for args in [
        &["status", "--dir", &file_s][..],
        &["generate", "--dir", &file_s, "--domain", "example.com"],
        &["up", "--dir", &file_s],
    ] {
        let run = world.run(args);
        expect(
            &world,
            "--dir is a file",
            &run,
            EXIT_FAILED,
            &["is a file, not a folder"],
        );
        assert!(!run.all().contains("no folder/"), "{}", run.all());
    }
    let run = world.run(&["doctor", "--dir", &file_s]);
    check_common(&world, "doctor --dir file", &run);
    assert!(
        run.stdout.contains("is a file, not a folder"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read(&file).expect("read"), b"a file");
}

#[test]
fn fake_terraform_binaries_that_crash_or_lie_are_named_by_doctor() {
    let world = World::new();
    let cases = [
        ("crashes", "kill -SEGV $$", "terraform"),
        (
            "lies about its version",
            "echo '{\"terraform_version\":\"0.12.31\"}'",
            "0.12",
        ),
        (
            "prints garbage",
            "printf '\\033[2J\\007not json at all'",
            "terraform",
        ),
    ];
    for (case, script, word) in cases {
        world.fake_program("terraform", script);
        let run = world.run(&["doctor"]);
        check_common(&world, case, &run);
        assert_eq!(run.code, Some(EXIT_FAILED), "{case}: {}", run.all());
        assert!(
            run.stdout
                .lines()
                .any(|l| l.contains("PROBLEM") && l.contains("terraform")),
            "{case}: doctor names terraform as the problem:\n{}",
            run.stdout
        );
        assert!(run.all().contains(word), "{case}: {}", run.all());
    }
}

#[test]
fn a_use_case_file_that_never_ends_is_refused_quickly() {
    let world = World::new();
    generated(&world);
    let run = world.run(&["ses-request", "--use-case-file", "/dev/zero"]);
    expect(
        &world,
        "/dev/zero",
        &run,
        EXIT_FAILED,
        &["larger than 64 KiB"],
    );
    assert!(run.took < Duration::from_secs(10), "took {:?}", run.took);
    let folder = world.project().display().to_string();
    let run = world.run(&["ses-request", "--use-case-file", &folder]);
    expect(&world, "a folder", &run, EXIT_FAILED, &["is a folder"]);
    let binary = world.path("binary.txt");
    std::fs::write(&binary, b"\xff\xfe\x00use case").expect("write");
    let binary_s = binary.display().to_string();
    let run = world.run(&["ses-request", "--use-case-file", &binary_s]);
    expect(&world, "not UTF-8", &run, EXIT_FAILED, &["not UTF-8"]);
}

#[test]
fn a_piped_yes_does_not_make_plain_mode_ask_forever() {
    let world = World::new();
    generated(&world);
    let feed: Box<dyn FnOnce(std::process::ChildStdin) + Send> = Box::new(|mut stdin| {
        // What `yes | siteup --plain` sends: "y" lines until the pipe closes (bounded here).
        let start = Instant::now();
        while start.elapsed() < RUN_BOUND {
            if stdin.write_all(b"y\n").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let run = world.run_with(&["--plain"], Some(feed));
    check_common(&world, "yes | siteup --plain", &run);
    assert_eq!(run.code, Some(EXIT_WAITING), "{}", run.all());
    assert!(
        run.all().contains("answers in a row that fit no question"),
        "{}",
        run.all()
    );
}

#[test]
fn a_hostile_profile_name_is_shown_escaped_and_quoted_in_the_suggested_command() {
    let world = World::new();
    let hostile = "--x\u{1b}[2J; rm -rf /\u{7}";
    let mut cmd = world.command_with(
        &["doctor", "--dir", &world.project().display().to_string()],
        &[("AWS_PROFILE", hostile)],
    );
    let out = cmd.output().expect("run doctor");
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: Duration::ZERO,
    };
    check_common(&world, "hostile AWS_PROFILE", &run);
    assert_eq!(run.code, Some(EXIT_FAILED), "{}", run.all());
    assert!(
        run.stdout
            .contains("aws configure sso --profile $'--x\\x1b[2J; rm -rf /\\x07'"),
        "the suggested command quotes the name for the shell:\n{}",
        run.stdout
    );
}
