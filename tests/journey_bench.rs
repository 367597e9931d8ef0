//! The journey benchmark (issue 6), run by `scripts/bench-journey.sh`; not part of the suite
//! (ignored), because it measures rather than checks.
//!
//! 1. The full sandbox journey, `siteup sandbox --headless --auto` from an empty folder, with a
//!    terraform shim first on PATH that logs every invocation (arguments, exit code, wall time).
//! 2. On the same emulator, the blog's own sequence for the same stack (another domain): one
//!    plan and one apply per section, in the blog's order, each section's `-target`s adding the
//!    generated resources of its files to the earlier sections' (state bucket, then the state
//!    moved to S3; zone; certificate; email; site bucket; CloudFront; database; users and
//!    identity pool; Lambda and API; logs; then the guardrails, which the blog does not build but
//!    siteup's stack has), through the same shim and the sandbox override.
//!
//! It prints a table: plans, applies (and, of the journey's, the stack apply alone: the apply
//! of the stack phase's saved plan), other terraform runs (init, output, show, ...), their wall
//! times, and the journey's whole wall time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "journey_support/full.rs"]
mod full;
mod journey_support;
#[path = "support/sandbox.rs"]
mod sandbox;
#[path = "journey_support/shim.rs"]
mod shim;
#[path = "support/tf.rs"]
mod tf;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use full::JOURNEY_TIMEOUT;
use journey_support::{Project, tail};
use siteup::site::{Domain, Region, SiteConfig};
use siteup::tfgen::{self, Backend, GenerateOptions, Phase};

/// One logged terraform invocation.
#[derive(Debug, Clone)]
struct Invocation {
    subcommand: String,
    secs: f64,
    code: i32,
    args: String,
}

/// Writes the shim: a `terraform` that logs each run to `log` and runs the real one.
fn write_shim(dir: &Path, log: &Path) -> PathBuf {
    let real = tf::terraform();
    std::fs::create_dir_all(dir).expect("shim dir");
    let shim = dir.join("terraform");
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
    let text = format!(
        "#!/usr/bin/env bash\n\
         # siteup benchmark shim: log start, end, exit code and arguments of every run.\n\
         start=$(date +%s.%N)\n\
         {real} \"$@\"\n\
         rc=$?\n\
         end=$(date +%s.%N)\n\
         printf '%s\\t%s\\t%s\\t%s\\n' \"$start\" \"$end\" \"$rc\" \"$*\" >> {log}\n\
         exit $rc\n",
        real = quote(&real),
        log = quote(log),
    );
    std::fs::write(&shim, text).expect("write the shim");
    let mut perms = std::fs::metadata(&shim).expect("shim").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&shim, perms).expect("chmod the shim");
    shim
}

fn read_log(log: &Path) -> Vec<Invocation> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut f = line.splitn(4, '\t');
            let start: f64 = f.next()?.parse().ok()?;
            let end: f64 = f.next()?.parse().ok()?;
            let code: i32 = f.next()?.parse().ok()?;
            let args = f.next().unwrap_or_default().to_string();
            let subcommand = args
                .split_whitespace()
                .find(|a| !a.starts_with('-'))
                .unwrap_or("(none)")
                .to_string();
            Some(Invocation {
                subcommand,
                secs: end - start,
                code,
                args,
            })
        })
        .collect()
}

/// Counts and seconds: (plans, applies, others) and the time of each.
struct Totals {
    plans: (usize, f64),
    applies: (usize, f64),
    others: (usize, f64),
    other_kinds: BTreeMap<String, usize>,
}

impl Totals {
    fn of(runs: &[Invocation]) -> Totals {
        let mut t = Totals {
            plans: (0, 0.0),
            applies: (0, 0.0),
            others: (0, 0.0),
            other_kinds: BTreeMap::new(),
        };
        for r in runs {
            let slot = match r.subcommand.as_str() {
                "plan" => &mut t.plans,
                "apply" => &mut t.applies,
                other => {
                    *t.other_kinds.entry(other.to_string()).or_insert(0) += 1;
                    &mut t.others
                }
            };
            slot.0 += 1;
            slot.1 += r.secs;
        }
        t
    }
    fn total(&self) -> f64 {
        self.plans.1 + self.applies.1 + self.others.1
    }
    fn kinds(&self) -> String {
        self.other_kinds
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The journey's stack apply: the apply runs of the stack phase's saved plan (its file is the
/// last argument, `<phase id>.tfplan`), counted and timed (one, unless it was retried).
fn stack_applies(runs: &[Invocation]) -> (usize, f64) {
    let plan = format!("{}.tfplan", Phase::Full.id());
    runs.iter()
        .filter(|r| r.subcommand == "apply")
        .filter(|r| {
            r.args
                .split_whitespace()
                .last()
                .is_some_and(|last| last.ends_with(&format!("/{plan}")))
        })
        .fold((0, 0.0), |(n, secs), r| (n + 1, secs + r.secs))
}

/// `resource "TYPE" "NAME"` lines of a .tf file, as addresses.
fn declared(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("resource \"")?;
            let (ty, rest) = rest.split_once('"')?;
            let name = rest.trim().strip_prefix('"')?.split('"').next()?;
            Some(format!("{ty}.{name}"))
        })
        .collect()
}

/// The blog's sections, in its order, as each section's own addresses (from the files).
fn blog_sections(files: &[tfgen::GeneratedFile]) -> Vec<(&'static str, Vec<String>)> {
    let by_file: BTreeMap<String, Vec<String>> = files
        .iter()
        .filter(|f| f.path.extension().is_some_and(|e| e == "tf"))
        .map(|f| {
            (
                f.path.to_string_lossy().into_owned(),
                declared(&String::from_utf8_lossy(&f.bytes)),
            )
        })
        .collect();
    let file = |name: &str| by_file.get(name).cloned().unwrap_or_default();
    let (site_bucket, cloudfront): (Vec<String>, Vec<String>) = file("site.tf")
        .into_iter()
        .partition(|a| a.starts_with("aws_s3_"));
    vec![
        ("state bucket", file("state.tf")),
        ("zone", file("zone.tf")),
        ("certificate", file("certificate.tf")),
        ("email", file("email.tf")),
        ("site bucket", [site_bucket, file("deploys.tf")].concat()),
        ("CloudFront", cloudfront),
        ("database", file("database.tf")),
        (
            "users, identity pool",
            [file("users.tf"), file("identities.tf")].concat(),
        ),
        ("Lambda, API", file("api.tf")),
        ("logs", file("logging.tf")),
        // Not in the blog: the same stack's alarms, alerts topic and budget, last.
        ("guardrails", file("guardrails.tf")),
    ]
}

/// Runs the blog's sequence in `dir` (a fresh terraform folder for `config`) against the
/// emulator of `p`, through `shim`. Returns its wall time.
fn blog_sequence(p: &Project, shim: &Path, dir: &Path, config: &SiteConfig) -> f64 {
    let emulator = p.emulator();
    let render = |backend| {
        let files = tfgen::render(config, &GenerateOptions { backend }).expect("render");
        tfgen::write_project(dir, &files, false).expect("write the files");
        tfgen::sandbox_override::write(dir, config, Some(&emulator.url())).expect("override");
        files
    };
    let files = render(Backend::Local);
    let sections = blog_sections(&files);
    let all: BTreeSet<String> = sections.iter().flat_map(|(_, a)| a.clone()).collect();
    let expected: BTreeSet<String> = tfgen::resource_addresses(config).into_iter().collect();
    assert_eq!(all, expected, "the sections cover every generated resource");
    let tf = |args: &[String]| {
        let out = p
            .sandbox_terraform(shim)
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run terraform");
        assert!(
            out.status.success(),
            "terraform {} failed:\n{}\n{}",
            args.join(" "),
            tail(&String::from_utf8_lossy(&out.stdout), 30),
            tail(&String::from_utf8_lossy(&out.stderr), 30)
        );
    };
    let s = |v: &[&str]| {
        v.iter()
            .map(std::string::ToString::to_string)
            .collect::<Vec<_>>()
    };
    let started = Instant::now();
    tf(&s(&["init", "-input=false", "-no-color"]));
    let mut targets: Vec<String> = Vec::new();
    for (i, (name, addresses)) in sections.iter().enumerate() {
        if *name == "users, identity pool" {
            // The blog waits here for SES to verify the domain (Cognito sends through it); the
            // sandbox plays AWS, outside the timed terraform runs.
            emulator
                .verify_identity(config.domain.as_str())
                .expect("verify the domain");
            if let Some(inbox) = &config.inbox {
                emulator
                    .verify_identity(inbox.as_str())
                    .expect("verify the owner's inbox");
            }
        }
        targets.extend(addresses.iter().cloned());
        let mut plan = s(&["plan", "-input=false", "-no-color", "-lock-timeout=60s"]);
        plan.push("-out=blog.tfplan".into());
        plan.extend(targets.iter().map(|t| format!("-target={t}")));
        tf(&plan);
        tf(&s(&["apply", "-input=false", "-no-color", "blog.tfplan"]));
        eprintln!("blog section {}: {name} applied", i + 1);
        if i == 0 {
            // The state bucket exists: the backend goes in and the state moves to S3.
            render(Backend::S3);
            tf(&s(&[
                "init",
                "-migrate-state",
                "-force-copy",
                "-input=false",
                "-no-color",
            ]));
        }
    }
    started.elapsed().as_secs_f64()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("{cores} cores, {cpu}; load average at the start {load}")
}

#[test]
#[ignore = "a benchmark: run scripts/bench-journey.sh"]
fn journey_benchmark() {
    let machine = machine();
    let base = tempfile::Builder::new()
        .prefix("siteup-bench-")
        .tempdir()
        .expect("temporary directory");
    let journey_log = base.path().join("journey-terraform.log");
    let blog_log = base.path().join("blog-terraform.log");
    let journey_shim = write_shim(&base.path().join("shim-journey"), &journey_log);
    let blog_shim = write_shim(&base.path().join("shim-blog"), &blog_log);
    let p = Project::new("bench").with_path_prefix(journey_shim.parent().expect("shim dir"));

    let started = Instant::now();
    let run = p.run(&["sandbox", "--headless", "--auto"], JOURNEY_TIMEOUT);
    let journey_wall = started.elapsed().as_secs_f64();
    run.expect_code(0);
    let journey = read_log(&journey_log);
    assert!(
        !journey.is_empty(),
        "the shim logged no terraform run: siteup did not use the terraform on PATH"
    );

    let config = SiteConfig::with_defaults(
        Domain::parse("example.net").expect("domain"),
        Region::parse("us-east-1").expect("region"),
    );
    let blog_dir = base.path().join("blog").join("terraform");
    let blog_wall = blog_sequence(&p, &blog_shim, &blog_dir, &config);
    let blog = read_log(&blog_log);
    let failed: Vec<&Invocation> = journey
        .iter()
        .chain(&blog)
        .filter(|r| r.code != 0)
        .collect();

    let j = Totals::of(&journey);
    let b = Totals::of(&blog);
    let stack = stack_applies(&journey);
    assert!(
        stack.0 > 0,
        "the shim logged no apply of the stack phase's plan ({}.tfplan)",
        Phase::Full.id()
    );
    let row = |name: &str, j: String, b: String| format!("| {name:<34} | {j:>18} | {b:>18} |");
    let count_time = |c: (usize, f64)| format!("{} ({:.0} s)", c.0, c.1);
    let lines = [
        format!("Machine: {machine}"),
        String::new(),
        row("", "siteup journey".into(), "blog's sequence".into()),
        format!("|{}|{}|{}|", "-".repeat(36), "-".repeat(20), "-".repeat(20)),
        row(
            "terraform plan runs (time)",
            count_time(j.plans),
            count_time(b.plans),
        ),
        row(
            "terraform apply runs (time)",
            count_time(j.applies),
            count_time(b.applies),
        ),
        // The blog has no stack phase: its applies are one per section.
        row(
            "  of which the stack apply (time)",
            count_time(stack),
            "-".into(),
        ),
        row(
            "plans + applies, total time",
            format!("{:.0} s", j.plans.1 + j.applies.1),
            format!("{:.0} s", b.plans.1 + b.applies.1),
        ),
        row(
            "other terraform runs (time)",
            count_time(j.others),
            count_time(b.others),
        ),
        row(
            "all terraform runs, total time",
            format!("{:.0} s", j.total()),
            format!("{:.0} s", b.total()),
        ),
        row(
            "whole wall time",
            format!("{journey_wall:.0} s"),
            format!("{blog_wall:.0} s"),
        ),
        String::new(),
        format!("Other runs, journey: {}", j.kinds()),
        format!("Other runs, blog: {}", b.kinds()),
        format!(
            "Ratio of terraform time, journey / blog: {:.2} (aim: at most 0.35, issue 15); applies: {} (aim: 2)",
            j.total() / b.total(),
            j.applies.0
        ),
    ];
    println!("\n{}\n", lines.join("\n"));
    println!("Every terraform run of the journey:");
    for r in &journey {
        println!(
            "  {:>6.1} s  exit {}  terraform {}",
            r.secs,
            r.code,
            shorten(&r.args)
        );
    }
    assert!(failed.is_empty(), "terraform runs failed: {failed:#?}");
}

/// Long `-target` lists shortened for the listing.
fn shorten(args: &str) -> String {
    let targets = args.matches("-target=").count();
    let kept: Vec<&str> = args
        .split_whitespace()
        .filter(|a| !a.starts_with("-target="))
        .collect();
    let mut s = kept.join(" ");
    if targets > 0 {
        s.push_str(&format!(" ({targets} -target)"));
    }
    if s.len() > 110 {
        s.truncate(110);
        s.push_str("...");
    }
    s
}
