//! Opening a project for the journey: the lock, the journal, the sandbox (if any), the DNS
//! settings, terraform, and the handlers every journey command runs on.

use std::path::PathBuf;
use std::sync::Arc;

use crate::aws::AwsEnv;
use crate::cli::GlobalArgs;
use crate::commands::CommandError;
use crate::dns::DnsConfig;
use crate::effects::edge::ProbeRoute;
use crate::effects::{Handlers, Live, LiveOptions, SandboxLink};
use crate::project::ProjectPaths;
use crate::project::lock::DirLock;
use crate::project::settings::{self, SettingsError, SiteupToml};
use crate::runtime::JournalStore;
use crate::sandbox::emulator::Emulator;
use crate::sandbox::registrar::{self, RegistrarFiles};
use crate::wizard::Event;

/// The name the sandbox's throwaway profile goes by.
pub const SANDBOX_PROFILE: &str = "sandbox";

/// An open project, ready for the runtime.
pub struct Session {
    pub paths: ProjectPaths,
    /// The handlers the journey runs on, and the concrete ones commands use directly.
    pub live: Live,
    pub store: JournalStore,
    pub sandbox: bool,
    /// The AWS profile to use, as [`chosen_profile`] decides it.
    pub profile: Option<String>,
    /// Held for the life of the session (read-only commands run without it).
    pub lock: Option<DirLock>,
    /// siteup.toml as it was when the project was opened: read once here and passed down, never
    /// read again by the command.
    pub settings: Result<Option<SiteupToml>, SettingsError>,
}

impl Session {
    /// What the runtime needs, and the lock to hold while it runs.
    pub fn into_parts(self) -> (Handlers, JournalStore, Option<DirLock>) {
        (self.live.handlers, self.store, self.lock)
    }

    /// The answers in siteup.toml, or the sentence that says what is wrong with the file.
    pub fn site(&self) -> Result<Option<&SiteupToml>, CommandError> {
        self.settings
            .as_ref()
            .map(Option::as_ref)
            .map_err(|e| CommandError::Message(e.to_string()))
    }

    /// The answers in siteup.toml, or the sentence that says how to give them.
    pub fn require_config(&self) -> Result<crate::site::SiteConfig, CommandError> {
        self.site()?.map(SiteupToml::to_config).ok_or_else(|| {
            CommandError::Message(
                "There is no siteup.toml here; run `siteup` (or `siteup generate --domain example.com`) first.".into(),
            )
        })
    }

    /// The event the core starts from: the journal's records and what is on disk.
    pub fn resume_event(&self) -> Event {
        Event::Resume {
            records: self.store.resume_records(),
            site_answered: matches!(self.settings, Ok(Some(_))),
            state_migrated: self.store.journal.state_is_migrated(),
            profile: self.profile.clone(),
            sandbox: self.sandbox,
        }
    }
}

/// The AWS profile a command uses on real AWS: `--profile`, else `AWS_PROFILE`, else the one
/// recorded in siteup.toml (`recorded`, from the settings the caller already loaded); `None` when
/// none is named (the wizard then asks). A sandbox session uses [`SANDBOX_PROFILE`] instead.
pub fn chosen_profile(
    global: &GlobalArgs,
    aws_env: &AwsEnv,
    recorded: Option<&SiteupToml>,
) -> Option<String> {
    global
        .profile
        .clone()
        .filter(|p| !p.trim().is_empty())
        .or_else(|| aws_env.var("AWS_PROFILE"))
        .or_else(|| recorded.and_then(|s| s.aws.profile.clone()))
}

/// Who is working in the project now: a live siteup holding its lock, or a terraform that a
/// siteup started there and that is still running. `None` when nothing is: a step the journal
/// records as `running` was then interrupted.
pub fn work_in_progress(paths: &ProjectPaths) -> Option<String> {
    if let Some(holder) = crate::project::lock::current_holder(&paths.state_dir())
        && holder.pid != std::process::id()
        && crate::project::process_alive(holder.pid)
    {
        return Some(format!(
            "siteup (PID {}, `{}`) is working on it",
            holder.pid, holder.command
        ));
    }
    let runs = paths
        .terraform_dir()
        .join(crate::terraform::runs::DEFAULT_RUN_DIR);
    crate::terraform::running_terraform(&runs).map(|r| {
        format!(
            "terraform {} (PID {}) is still running for it",
            r.command, r.pid
        )
    })
}

/// The sandbox folder of a project (`.siteup/sandbox/`).
pub fn sandbox_dir(paths: &ProjectPaths) -> PathBuf {
    paths.state_dir().join("sandbox")
}

/// The emulator's ready file in a project's sandbox folder.
pub fn emulator_ready_file(paths: &ProjectPaths) -> PathBuf {
    sandbox_dir(paths).join("emulator.json")
}

/// The sandbox a project runs against: given by `--sandbox URL`, or the one `siteup sandbox`
/// started for this folder (found through its ready files).
pub fn find_sandbox(
    global: &GlobalArgs,
    paths: &ProjectPaths,
) -> Result<Option<SandboxLink>, CommandError> {
    let files = RegistrarFiles::new(&sandbox_dir(paths));
    let attached = Emulator::attach(&emulator_ready_file(paths))
        .map_err(|e| CommandError::Message(e.to_string()))?;
    match (&global.sandbox, attached) {
        (Some(url), Some(emulator)) if emulator.url() == url.trim_end_matches('/') => {
            Ok(Some(link(emulator, files)))
        }
        (Some(url), _) => {
            // An emulator the user started by hand: reach its control endpoint by URL.
            let emulator =
                Emulator::connect(url).map_err(|e| CommandError::Message(e.to_string()))?;
            Ok(Some(link(emulator, files)))
        }
        (None, Some(emulator)) => Ok(Some(link(emulator, files))),
        (None, None) => {
            if emulator_ready_file(paths).exists() {
                return Err(CommandError::Message(
                    "This folder is a sandbox rehearsal, but its emulator is not running; run `siteup sandbox` to start it again.".into(),
                ));
            }
            Ok(None)
        }
    }
}

fn link(emulator: Emulator, registrar: RegistrarFiles) -> SandboxLink {
    SandboxLink {
        url: emulator.url(),
        emulator: Arc::new(emulator),
        registrar,
    }
}

/// Opens the project in `global.dir` for a journey command.
///
/// DNS: an explicit `--dns-root` (or `SITEUP_DNS_ROOT`) wins, in a sandbox folder too (the
/// user asked for those roots); without it a sandbox uses its own DNS.
pub fn open(
    global: &GlobalArgs,
    command: &str,
    sandbox: Option<SandboxLink>,
) -> Result<Session, CommandError> {
    open_with(global, Some(command), sandbox)
}

/// Opens the project without taking its lock, for commands that only read: nothing is written
/// (no lock, no terraform CLI config), and siteup.toml is read once, into [`Session::settings`].
pub fn open_read_only(global: &GlobalArgs) -> Result<Session, CommandError> {
    open_with(global, None, None)
}

fn open_with(
    global: &GlobalArgs,
    command: Option<&str>,
    sandbox: Option<SandboxLink>,
) -> Result<Session, CommandError> {
    let paths = ProjectPaths::new(&global.dir);
    if command.is_some() {
        crate::commands::create_project_dir(&paths)?;
    } else if let Some(problem) = crate::commands::not_a_folder(paths.root()) {
        return Err(problem);
    } else if !paths.root().is_dir() {
        // A command that only reads never creates the folder it was pointed at.
        return Err(CommandError::Message(format!(
            "There is no folder {}; run this in your site's folder, or name it with --dir.",
            crate::commands::shown_path(paths.root())
        )));
    }
    let lock = match command {
        Some(c) => Some(DirLock::acquire(&paths.state_dir(), c)?),
        None => None,
    };
    let store = JournalStore::load(&paths.state_dir())?;
    let sandbox = match sandbox {
        Some(s) => Some(s),
        None => find_sandbox(global, &paths)?,
    };
    let dns = match dns_source(global.dns_root.as_deref(), sandbox.as_ref()) {
        DnsSource::Flags => dns_from_flags(global)?,
        DnsSource::Sandbox(s) => {
            let ready = registrar::attach(&s.registrar).ok_or_else(|| {
                CommandError::Message(
                    "The sandbox DNS is not running; run `siteup sandbox` to start it again."
                        .into(),
                )
            })?;
            DnsConfig::with_roots(vec![ready.root()], Some(ready.resolver()))
        }
    };
    let terraform_program =
        crate::terraform::version::locate().map_err(crate::failure::Failure::from)?;
    let (tf_cli_config, tf_env, tf_env_remove) = match &sandbox {
        Some(s) => {
            // A read-only command runs no terraform that installs providers: it writes no CLI
            // config (an existing one, from the sandbox run, is still used).
            let cli = if command.is_some() {
                crate::terraform::cli_config::find_provider_mirror().and_then(|m| {
                    crate::terraform::cli_config::write_mirror_cli_config(&sandbox_dir(&paths), &m)
                        .ok()
                })
            } else {
                let written =
                    sandbox_dir(&paths).join(crate::terraform::cli_config::CLI_CONFIG_FILE);
                written.is_file().then_some(written)
            };
            (cli, s.emulator.aws_env(), s.emulator.aws_env_removals())
        }
        None => (None, Vec::new(), Vec::new()),
    };
    // The only read of siteup.toml for the whole command.
    let settings = settings::load(paths.root());
    let recorded = settings.as_ref().ok().and_then(Option::as_ref);
    let profile = match &sandbox {
        // The sandbox never reads the user's AWS files or keys.
        Some(_) => Some(SANDBOX_PROFILE.to_string()),
        None => chosen_profile(global, &AwsEnv::real(), recorded),
    };
    // The sandbox's site answers on its emulator's HTTPS edge, under the sandbox CA.
    let probe_route = match &sandbox {
        Some(s) => {
            let edge = s
                .emulator
                .edge()
                .map_err(|e| CommandError::Message(e.to_string()))?;
            ProbeRoute {
                connect_to: Some(edge.address),
                trusted_ca: Some(edge.ca_file),
            }
        }
        None => ProbeRoute::default(),
    };
    let live = Handlers::live(LiveOptions {
        paths: paths.clone(),
        sandbox: sandbox.clone(),
        dns,
        terraform_program,
        tf_cli_config,
        tf_env,
        tf_env_remove,
        profile: profile.clone(),
        // A read-only command never reads siteup.toml again; a journey re-reads what it changes.
        settings_at_open: match (command, &settings) {
            (None, Ok(loaded)) => Some(loaded.clone()),
            _ => None,
        },
        probe_route,
    });
    Ok(Session {
        paths,
        live,
        store,
        sandbox: sandbox.is_some(),
        profile,
        lock,
        settings,
    })
}

/// Where a session's DNS settings come from.
#[derive(Debug, PartialEq)]
enum DnsSource<S> {
    /// `--dns-root` (or `SITEUP_DNS_ROOT`) and the environment.
    Flags,
    /// The sandbox's own root and resolver.
    Sandbox(S),
}

/// An explicit `--dns-root` (or `SITEUP_DNS_ROOT`) wins, even in a sandbox folder: the user asked
/// for those roots. Otherwise a sandbox uses its own DNS, and a real project the defaults.
fn dns_source<S>(dns_root: Option<&str>, sandbox: Option<S>) -> DnsSource<S> {
    match (dns_root, sandbox) {
        (Some(root), _) if !root.trim().is_empty() => DnsSource::Flags,
        (_, Some(s)) => DnsSource::Sandbox(s),
        (_, None) => DnsSource::Flags,
    }
}

/// The DNS settings from `--dns-root` (or `SITEUP_DNS_ROOT`) and the environment.
pub fn dns_from_flags(global: &GlobalArgs) -> Result<DnsConfig, CommandError> {
    // clap fills `dns_root` from SITEUP_DNS_ROOT too, so the flag is the whole answer.
    let root_flag = global.dns_root.clone();
    DnsConfig::from_vars(
        |name| {
            if name == crate::dns::config::ROOT_ENV {
                root_flag.clone()
            } else {
                std::env::var(name).ok()
            }
        },
        std::path::Path::new("/etc/resolv.conf"),
    )
    .map_err(|e| CommandError::Message(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_dns_root_wins_over_the_sandbox_dns() {
        assert_eq!(
            dns_source(Some("127.0.0.1:5300"), Some("sandbox")),
            DnsSource::Flags
        );
        assert_eq!(
            dns_source(None, Some("sandbox")),
            DnsSource::Sandbox("sandbox")
        );
        assert_eq!(
            dns_source(Some(" "), Some("sandbox")),
            DnsSource::Sandbox("sandbox")
        );
        assert_eq!(
            dns_source(Some("127.0.0.1:5300"), None::<&str>),
            DnsSource::Flags
        );
        assert_eq!(dns_source(None, None::<&str>), DnsSource::Flags);
    }
}
