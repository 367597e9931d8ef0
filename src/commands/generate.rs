//! `siteup generate`: write or refresh terraform/ from siteup.toml and flags.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{GenerateArgs, GlobalArgs};
use crate::commands::{CommandError, Outcome, answers};
use crate::project::journal::Journal;
use crate::project::lock::DirLock;
use crate::project::{ProjectPaths, settings};
use crate::tfgen::{self, Backend, FileAction, GenerateOptions, WriteOptions};

pub fn run(global: &GlobalArgs, args: &GenerateArgs) -> Result<Outcome, CommandError> {
    let paths = ProjectPaths::new(&global.dir);
    if let Some(problem) = crate::commands::not_a_folder(paths.root()) {
        return Err(problem);
    }
    // Refuse bad answers before anything is created: a refused run leaves no folder or lock.
    answers::resolve(settings::load(paths.root())?.as_ref(), &args.site)?;
    crate::commands::create_project_dir(&paths)?;
    let _lock = DirLock::acquire(&paths.state_dir(), "siteup generate")?;
    // Read again under the lock: another siteup may have changed the answers meanwhile.
    let existing = settings::load(paths.root())?;
    let config = answers::resolve(existing.as_ref(), &args.site)?;
    let journal = Journal::load(&paths.state_dir())?;
    let backend = if journal.state_is_migrated() {
        Backend::S3
    } else {
        Backend::Local
    };
    let files = tfgen::render(&config, &GenerateOptions { backend })
        .map_err(|e| CommandError::Message(e.to_string()))?;
    let backup_dir = args.force.then(|| backup_dir(&paths));
    let report = tfgen::write_project_with(
        &paths.terraform_dir(),
        &files,
        &WriteOptions {
            force: args.force,
            backup_dir: backup_dir.as_deref(),
        },
    )
    .map_err(|e| CommandError::Message(e.to_string()))?;
    let profile = global
        .profile
        .clone()
        .or_else(|| existing.as_ref().and_then(|s| s.aws.profile.clone()));
    let toml_changed = settings::save(
        paths.root(),
        &settings::SiteupToml::from_config(&config, profile),
    )?;

    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{}", report.summary());
    if toml_changed {
        let _ = writeln!(out, "wrote       siteup.toml");
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if config.guardrails.on && config.inbox.is_none() {
        let _ = writeln!(
            out,
            "note: the guardrails are on but no inbox is set, so their alarms, the budget and bounce reports reach no one; add yours with `siteup generate --inbox you@example.net`."
        );
    }
    // Diffs (or, where the content may not be shown, a sentence) for what was kept or replaced.
    for file in report.conflicts().chain(report.overwritten()) {
        if let Some(diff) = &file.diff {
            let _ = write!(out, "\n{diff}");
        }
    }
    if let Some(backup) = &report.backup {
        let _ = writeln!(
            out,
            "\nThe files --force replaced are saved in {}; copy them back into terraform/ to undo.",
            backup.display()
        );
    }
    let kept: Vec<&Path> = report
        .conflicts()
        .filter(|f| matches!(f.action, FileAction::Conflict(c) if c.forcible()))
        .map(|f| f.path.as_path())
        .collect();
    let stuck: Vec<String> = report
        .conflicts()
        .filter(|f| matches!(f.action, FileAction::Conflict(c) if !c.forcible()))
        .map(|f| f.path.display().to_string())
        .collect();
    if !stuck.is_empty() {
        return Err(CommandError::Message(format!(
            "siteup left {} in terraform/ alone because {} not a regular file{}; move {} away and run `siteup generate` again{}.",
            stuck.join(", "),
            if stuck.len() == 1 {
                "it is"
            } else {
                "they are"
            },
            if stuck.len() == 1 { "" } else { "s" },
            if stuck.len() == 1 { "it" } else { "them" },
            if kept.is_empty() {
                ""
            } else {
                " (add --force to replace the other files you changed)"
            }
        )));
    }
    if !kept.is_empty() {
        return Err(CommandError::Message(format!(
            "{} you changed {} kept (see above); run `siteup generate --force` to replace {} with siteup's version (siteup keeps a backup).",
            crate::words::counted(kept.len(), "file", "files"),
            if kept.len() == 1 { "was" } else { "were" },
            if kept.len() == 1 { "it" } else { "them" },
        )));
    }
    if !report.changed_anything() && !toml_changed {
        let _ = writeln!(
            out,
            "Everything in {} is up to date.",
            paths.terraform_dir().display()
        );
    } else {
        let _ = writeln!(
            out,
            "Terraform files for {} are in {}.",
            config.domain,
            paths.terraform_dir().display()
        );
    }
    Ok(Outcome::Done)
}

/// A new folder name under `.siteup/backups/` for this run (`<UTC time>[-n]/terraform`); it is
/// created only if something is backed up.
fn backup_dir(paths: &ProjectPaths) -> PathBuf {
    let root = paths.state_dir().join("backups");
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let mut run = root.join(&stamp);
    let mut n = 2;
    while std::fs::symlink_metadata(&run).is_ok() {
        run = root.join(format!("{stamp}-{n}"));
        n += 1;
    }
    run.join("terraform")
}
