//! `siteup generate`: write or refresh terraform/ from siteup.toml and flags.

use std::io::Write;

use crate::cli::{GenerateArgs, GlobalArgs};
use crate::commands::{CommandError, Outcome, answers};
use crate::project::journal::Journal;
use crate::project::lock::DirLock;
use crate::project::{ProjectPaths, settings};
use crate::tfgen::{self, Backend, GenerateOptions};

pub fn run(global: &GlobalArgs, args: &GenerateArgs) -> Result<Outcome, CommandError> {
    let paths = ProjectPaths::new(&global.dir);
    crate::commands::create_project_dir(&paths)?;
    let _lock = DirLock::acquire(&paths.state_dir(), "siteup generate")?;
    let existing = settings::load(paths.root())?;
    let config = answers::resolve(existing.as_ref(), &args.site)?;
    let journal = Journal::load(&paths.state_dir())?;
    let backend = if state_is_migrated(&journal) {
        Backend::S3
    } else {
        Backend::Local
    };
    let files = tfgen::render(&config, &GenerateOptions { backend })
        .map_err(|e| CommandError::Message(e.to_string()))?;
    let report = tfgen::write_project(&paths.terraform_dir(), &files, args.force)
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
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    for conflict in report.conflicts() {
        if let Some(diff) = &conflict.diff {
            let _ = writeln!(out, "\n{diff}");
        }
    }
    if toml_changed {
        let _ = writeln!(out, "wrote       siteup.toml");
    }
    let kept = report.conflicts().count();
    if kept > 0 {
        return Err(CommandError::Message(format!(
            "{} you edited {} kept (the diff above shows what siteup would write); run `siteup generate --force` to overwrite your edits.",
            crate::words::counted(kept, "file", "files"),
            if kept == 1 { "was" } else { "were" }
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

/// Whether the state bootstrap finished (the backend belongs in the files from then on).
pub fn state_is_migrated(journal: &Journal) -> bool {
    journal.step("state").is_some_and(|s| s.state == "done")
}
