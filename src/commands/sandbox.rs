//! `siteup sandbox`: rehearse the whole journey on this machine with no AWS account.
//!
//! It creates or reuses the emulator's venv, starts (or reattaches to) the AWS emulator and the
//! sandbox registrar (a DNS root, TLD and caching resolver on loopback), tells the emulator where
//! the registry is (AWS reads the zone only through its delegation), points siteup at them,
//! and runs the journey. Both servers run detached with their state under `.siteup/sandbox/`,
//! so a later `siteup sandbox` (or `siteup`, `siteup status` in the same folder) reattaches and
//! resumes as it would on AWS. `siteup sandbox --stop` stops them.

use std::io::Write;
use std::path::Path;

use crate::cli::{GlobalArgs, PlayWhat, SandboxArgs};
use crate::commands::session::{self, emulator_ready_file, sandbox_dir};
use crate::commands::{CommandError, Outcome};
use crate::effects::SandboxLink;
use crate::failure::Failure;
use crate::project::{ProjectPaths, settings};
use crate::sandbox::emulator::{Emulator, EmulatorOptions};
use crate::sandbox::registrar::{self, RegistrarFiles};
use crate::sandbox::venv;
use crate::site::{Domain, Inbox, Region, SiteConfig};
use crate::wizard::{Mode, StepId};

/// The domain the sandbox rehearses with unless told otherwise.
pub const DEFAULT_DOMAIN: &str = "example.com";
/// The rehearsal owner's inbox (a reserved `.test` name: no real mail ever goes there).
pub const SANDBOX_INBOX: &str = "you@inbox.test";

fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "sandbox: {text}");
}

fn msg<E: std::fmt::Display>(e: E) -> CommandError {
    CommandError::Message(e.to_string())
}

/// Stops whatever the sandbox started for this folder.
pub fn stop(paths: &ProjectPaths) -> Result<Outcome, CommandError> {
    let mut stopped = Vec::new();
    if let Some(emulator) = Emulator::attach(&emulator_ready_file(paths)).map_err(msg)? {
        let pid = emulator.pid();
        emulator.stop().map_err(msg)?;
        stopped.push(format!("the AWS emulator (PID {pid})"));
    }
    let files = RegistrarFiles::new(&sandbox_dir(paths));
    if let Some(ready) = registrar::attach(&files) {
        registrar::stop(&files);
        stopped.push(format!("the sandbox DNS (PID {})", ready.pid));
    }
    if stopped.is_empty() {
        println!(
            "Nothing of the sandbox was running in {}.",
            paths.root().display()
        );
    } else {
        println!(
            "Stopped {}. Its AWS state is gone: the next `siteup sandbox` starts the rehearsal over.",
            stopped.join(" and ")
        );
    }
    Ok(Outcome::Done)
}

/// A freshly started emulator holds nothing: forget the rehearsal that lived in the old one.
fn forget_stale_rehearsal(paths: &ProjectPaths) {
    let journal = crate::project::journal::Journal::path_in(&paths.state_dir());
    let tf = paths.terraform_dir();
    if journal.exists() {
        say(
            "the emulator was not running, so the AWS side of the last rehearsal is gone; starting it over",
        );
    } else if !tf.join(".terraform").exists() {
        return;
    }
    let remove = |p: &Path| {
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(p);
        } else {
            let _ = std::fs::remove_file(p);
        }
    };
    remove(&journal);
    remove(&paths.state_dir().join("plans"));
    remove(&tf.join(".terraform"));
    remove(&tf.join(crate::terraform::bootstrap::LOCAL_STATE));
    remove(&tf.join(crate::terraform::bootstrap::LOCAL_STATE_BACKUP));
    remove(&RegistrarFiles::new(&sandbox_dir(paths)).state());
}

/// Starts (or reattaches to) everything the sandbox needs and returns the link to it.
pub async fn prepare(
    paths: &ProjectPaths,
    domain: Option<&str>,
    region: Option<&str>,
) -> Result<SandboxLink, CommandError> {
    let dir = sandbox_dir(paths);
    std::fs::create_dir_all(&dir).map_err(|e| {
        CommandError::Message(format!(
            "Could not create {}: {e}; check the folder's permissions.",
            dir.display()
        ))
    })?;
    // The answers: the rehearsal's own site unless the folder has some.
    let existing = settings::load(paths.root())?;
    let config = match &existing {
        Some(s) => s.to_config(),
        None => {
            let domain = Domain::parse(domain.unwrap_or(DEFAULT_DOMAIN))?;
            let region = Region::parse(region.unwrap_or(crate::sandbox::emulator::SANDBOX_REGION))?;
            let mut config = SiteConfig::with_defaults(domain, region);
            // The rehearsal's owner reads mail outside the site's domain, as most people do:
            // the sandbox inbox receives its verification mail.
            let inbox = Inbox::parse(SANDBOX_INBOX)?;
            if !config.domain.receives_for(inbox.domain()) {
                config.inbox = Some(inbox);
            }
            settings::save(
                paths.root(),
                &settings::SiteupToml::from_config(&config, None),
            )?;
            say(&format!(
                "rehearsing with {} in {} (the full stack); siteup.toml holds the answers",
                config.domain, config.region
            ));
            config
        }
    };
    let ready_file = emulator_ready_file(paths);
    let emulator = match Emulator::attach(&ready_file).map_err(msg)? {
        Some(e) => {
            say(&format!("reattached to the AWS emulator at {}", e.url()));
            e
        }
        None => {
            forget_stale_rehearsal(paths);
            let venv_dir = venv::default_venv_dir();
            say(&format!(
                "preparing the emulator's Python venv in {}",
                venv_dir.display()
            ));
            let python = tokio::task::spawn_blocking(move || {
                venv::ensure_venv(&venv_dir, &mut |line: &str| say(line))
            })
            .await
            .map_err(msg)?
            .map_err(msg)?;
            let mut options = EmulatorOptions::new(python, &dir);
            options.detached = true;
            options.ready_file = ready_file.clone();
            options.log_path = dir.join("emulator.log");
            let e = tokio::task::spawn_blocking(move || Emulator::start(&options))
                .await
                .map_err(msg)?
                .map_err(msg)?;
            say(&format!(
                "started the AWS emulator at {} (PID {})",
                e.url(),
                e.pid()
            ));
            e
        }
    };
    let files = RegistrarFiles::new(&dir);
    let exe = std::env::current_exe().map_err(|e| {
        CommandError::Message(format!("Could not find siteup's own program file: {e}."))
    })?;
    let domain = config.domain.as_str().to_string();
    let files2 = files.clone();
    let ready = tokio::task::spawn_blocking(move || {
        registrar::start_detached(&exe, &files2, &domain, &ready_file)
    })
    .await
    .map_err(msg)?
    .map_err(msg)?;
    say(&format!(
        "the sandbox registrar and DNS answer at {} (resolver {})",
        ready.root(),
        ready.resolver()
    ));
    // AWS reads the zone only through the registry's delegation: the emulator asks the
    // registrar's TLD server (on every start, as the registrar's port may have changed).
    let (server, tld) = (ready.registry(), ready.tld.clone());
    let emulator =
        tokio::task::spawn_blocking(move || emulator.set_registry(server, &tld).map(|()| emulator))
            .await
            .map_err(msg)?
            .map_err(msg)?;
    Ok(SandboxLink {
        url: emulator.url(),
        emulator: std::sync::Arc::new(emulator),
        registrar: files,
    })
}

pub async fn run(global: &GlobalArgs, args: &SandboxArgs) -> Result<Outcome, CommandError> {
    let paths = ProjectPaths::new(&global.dir);
    if args.stop {
        return stop(&paths);
    }
    crate::commands::create_project_dir(&paths)?;
    if let Some(what) = args.play {
        return play(global, what).await;
    }
    let link = prepare(&paths, args.domain.as_deref(), args.region.as_deref()).await?;
    let session = session::open(global, "siteup sandbox", Some(link))?;
    let first = session.resume_event();
    if args.headless {
        let mode = if args.auto {
            Mode::AutoSandbox
        } else {
            Mode::Headless { yes: true }
        };
        let (journey, stop) = crate::commands::up::drive(session, mode, first).await;
        if matches!(stop, crate::wizard::Stop::Done) {
            crate::commands::up::print_outputs(&journey);
        }
        let again = crate::commands::continue_command(
            global,
            if args.auto {
                "siteup sandbox --headless --auto"
            } else {
                "siteup sandbox --headless"
            },
        );
        return crate::commands::up::finish(stop, &again);
    }
    let again = crate::commands::continue_command(global, "siteup sandbox");
    crate::commands::wizard::run_session(global, false, session, first, &again).await
}

/// `siteup sandbox --play WHAT`: plays one human step in a running sandbox.
pub async fn play(global: &GlobalArgs, what: PlayWhat) -> Result<Outcome, CommandError> {
    let session = session::open_read_only(global)?;
    let Some(player) = session.live.handlers.player.clone() else {
        return Err(Failure::NotASandbox.into());
    };
    let step = match what {
        PlayWhat::Registrar => StepId::Nameservers,
        PlayWhat::Inbox => StepId::Inbox,
        PlayWhat::Alerts => StepId::Alerts,
        PlayWhat::Review => StepId::SesProduction,
    };
    player.play(step).await?;
    println!(
        "{}",
        match what {
            PlayWhat::Registrar =>
                "The sandbox registrar now delegates the domain to your Route 53 nameservers.",
            PlayWhat::Inbox => "The verification link in the sandbox inbox was clicked.",
            PlayWhat::Alerts => "The alerts' confirmation links in the sandbox inbox were clicked.",
            PlayWhat::Review => "The sandbox's AWS reviewers granted production access.",
        }
    );
    Ok(Outcome::Done)
}
