//! The journey's effects for real, one handler per concern, each behind its own narrow trait:
//!
//! - [`project::ProjectFiles`]: preflight, the site's answers in siteup.toml, the Terraform files;
//! - [`terraform::TerraformJobs`]: plan, apply, the state move, outputs, adopting an existing
//!   zone; it owns the reviewed plans and the runs an interrupt reaches;
//! - [`aws::AwsChecks`]: the AWS session, Route 53's zones, SES and production access;
//! - [`delegation::DelegationCheck`]: the registry's and the resolver's view of the domain;
//! - [`checkpoints::Checkpoints`]: one live check per checkpoint, over the two above and the
//!   edge's check ([`edge::EdgeCheck`]: CloudFront's deployment, then [`edge::SiteProbe`], the
//!   site's HTTPS answer);
//! - [`sandbox::HumanPlayer`]: plays the registrar, the inbox and AWS's reviewers. Only a
//!   sandbox session has one ([`Handlers::player`]); the production handlers hold no sandbox
//!   branch.
//!
//! [`Handlers::live`] wires them; the runtime runs the core's effects on them. Every failure is
//! a [`Failure`], worded in one place.

pub(crate) mod aws;
pub mod checkpoints;
pub(crate) mod delegation;
pub mod edge;
pub(crate) mod mail;
pub(crate) mod project;
pub(crate) mod sandbox;
pub mod teardown;
pub(crate) mod terraform;

use std::ffi::OsString;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::aws::AwsEnv;
use crate::dns::DnsConfig;
use crate::failure::Failure;
use crate::project::journal::Journal;
use crate::project::{ProjectPaths, settings};
use crate::site::SiteConfig;

pub use aws::{AwsChecks, AwsHandler, Connect};
pub use checkpoints::Checkpoints;
pub use delegation::DelegationCheck;
pub use project::ProjectFiles;
pub use sandbox::{HumanPlayer, SandboxLink};
pub use terraform::{ProgressSink, TerraformJobs};

/// A boxed future, so the handlers' traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the runtime runs the core's effects on.
#[derive(Clone)]
pub struct Handlers {
    pub project: Arc<dyn ProjectFiles>,
    pub terraform: Arc<dyn TerraformJobs>,
    pub aws: Arc<dyn AwsChecks>,
    pub checkpoints: Arc<dyn Checkpoints>,
    /// The player of the human steps: only in a sandbox session.
    pub player: Option<Arc<dyn HumanPlayer>>,
}

/// How to run everything for one project.
#[derive(Clone)]
pub struct LiveOptions {
    pub paths: ProjectPaths,
    pub sandbox: Option<SandboxLink>,
    pub dns: DnsConfig,
    pub terraform_program: PathBuf,
    /// A CLI config for terraform (the provider mirror): only the sandbox and tests set one.
    pub tf_cli_config: Option<PathBuf>,
    pub tf_env: Vec<(String, String)>,
    pub tf_env_remove: Vec<OsString>,
    /// The profile named by the command line, `AWS_PROFILE` or siteup.toml when the session
    /// opened.
    pub profile: Option<String>,
    /// siteup.toml as a read-only command loaded it when it opened (`Some(None)`: there is
    /// none), used instead of reading the file again. `None` for a journey, whose answers change
    /// as it runs: it reads the file when it needs it.
    pub settings_at_open: Option<Option<settings::SiteupToml>>,
    /// Where the edge check's HTTPS probe connects and whom it trusts (default: DNS and the
    /// web's roots; the sandbox's edge: its loopback address and CA).
    pub probe_route: edge::ProbeRoute,
}

/// The live handlers, and the concrete ones that commands use directly.
pub struct Live {
    pub handlers: Handlers,
    pub aws: Arc<AwsHandler>,
    pub terraform: Arc<terraform::TerraformHandler>,
    pub dns: DnsConfig,
    pub project: Arc<Project>,
}

impl Handlers {
    /// Wires the handlers of one project: the production set, plus the sandbox's player (and
    /// its AWS that verifies a domain by itself) when `opts.sandbox` is set.
    pub fn live(opts: LiveOptions) -> Live {
        let project = Arc::new(Project::new(opts.paths.clone(), opts.settings_at_open));
        let connect = match &opts.sandbox {
            Some(s) => aws::Connect::Sandbox { url: s.url.clone() },
            None => aws::Connect::Profile {
                env: AwsEnv::real(),
                profile: opts.profile.clone(),
            },
        };
        let aws = Arc::new(AwsHandler::new(
            project.clone(),
            opts.dns.clone(),
            connect,
            Arc::new(crate::aws::SdkConnector),
        ));
        let delegation: Arc<dyn DelegationCheck> =
            Arc::new(delegation::DnsHandler::new(opts.dns.clone()));
        let durations = crate::durations::Durations::default_path(opts.sandbox.is_some());
        let terraform = Arc::new(terraform::TerraformHandler::new(
            project.clone(),
            terraform::TerraformSetup {
                program: opts.terraform_program,
                cli_config: opts.tf_cli_config,
                env: opts.tf_env,
                env_remove: opts.tf_env_remove,
                durations: durations.clone(),
            },
            aws.clone(),
            delegation.clone(),
        ));
        let files = Arc::new(project::LiveProjectFiles::new(
            project.clone(),
            opts.sandbox.as_ref().map(|s| s.url.clone()),
        ));
        let edge = Arc::new(edge::EdgeCheck::new(
            project.clone(),
            aws.clone(),
            terraform.clone(),
            Arc::new(edge::HttpsProbe::new(opts.probe_route)),
            durations,
        ));
        let checks: Arc<dyn Checkpoints> = Arc::new(
            checkpoints::LiveCheckpoints::new(project.clone(), aws.clone(), delegation)
                .with_edge(edge),
        );
        let (checkpoints, player) = match opts.sandbox {
            None => (checks, None),
            Some(link) => {
                let player = Arc::new(sandbox::SandboxPlayer::new(
                    project.clone(),
                    link,
                    aws.clone(),
                ));
                let checks: Arc<dyn Checkpoints> =
                    Arc::new(sandbox::SandboxCheckpoints::new(checks, player.clone()));
                (checks, Some(player as Arc<dyn HumanPlayer>))
            }
        };
        Live {
            handlers: Handlers {
                project: files,
                terraform: terraform.clone(),
                aws: aws.clone(),
                checkpoints,
                player,
            },
            aws,
            terraform,
            dns: opts.dns,
            project,
        }
    }
}

impl Live {
    /// The zone's nameservers: from the terraform outputs when the zone is applied, else from
    /// Route 53 directly.
    pub async fn nameservers(&self) -> Result<Vec<String>, Failure> {
        if self.terraform.initialised()
            && let Ok(o) = self.terraform.read_outputs().await
            && !o.nameservers.is_empty()
        {
            return Ok(o.nameservers);
        }
        self.project.expected_nameservers(self.aws.as_ref()).await
    }
}

/// What every handler of one project shares: where it is, its answers, and the zone's
/// nameservers once known.
pub struct Project {
    paths: ProjectPaths,
    settings_at_open: Option<Option<settings::SiteupToml>>,
    nameservers: Mutex<Vec<String>>,
    /// The stack's outputs as last read by this session's terraform handler.
    outputs: Mutex<std::collections::BTreeMap<String, String>>,
}

impl Project {
    pub fn new(
        paths: ProjectPaths,
        settings_at_open: Option<Option<settings::SiteupToml>>,
    ) -> Self {
        Self {
            paths,
            settings_at_open,
            nameservers: Mutex::new(Vec::new()),
            outputs: Mutex::new(std::collections::BTreeMap::new()),
        }
    }

    pub fn paths(&self) -> &ProjectPaths {
        &self.paths
    }

    /// siteup.toml: as loaded when a read-only command opened, else read now.
    pub fn settings(&self) -> Result<Option<settings::SiteupToml>, Failure> {
        match &self.settings_at_open {
            Some(at_open) => Ok(at_open.clone()),
            None => Ok(settings::load(self.paths.root())?),
        }
    }

    /// The site's answers, or the failure that says to give them first.
    pub fn config(&self) -> Result<SiteConfig, Failure> {
        match self.settings()? {
            Some(s) => Ok(s.to_config()),
            None => Err(Failure::NoSiteAnswers {
                folder: self.paths.root().to_path_buf(),
            }),
        }
    }

    /// Whether the journal records the state as moved to S3.
    pub fn state_migrated(&self) -> bool {
        Journal::load(&self.paths.state_dir()).is_ok_and(|j| j.state_is_migrated())
    }

    /// The zone's nameservers as last read (terraform outputs or Route 53); empty until then.
    pub fn known_nameservers(&self) -> Vec<String> {
        self.nameservers
            .lock()
            .map(|n| n.clone())
            .unwrap_or_default()
    }

    pub fn remember_nameservers(&self, nameservers: &[String]) {
        if let Ok(mut n) = self.nameservers.lock() {
            *n = nameservers.to_vec();
        }
    }

    /// One of the stack's outputs, as this session last read them (None before any read).
    pub fn known_output(&self, name: &str) -> Option<String> {
        self.outputs.lock().ok()?.get(name).cloned()
    }

    pub fn remember_outputs(&self, outputs: &std::collections::BTreeMap<String, String>) {
        if let Ok(mut o) = self.outputs.lock() {
            o.clone_from(outputs);
        }
    }

    /// The nameservers the registrar must point at: as known, else read from Route 53.
    pub async fn expected_nameservers(&self, aws: &dyn AwsChecks) -> Result<Vec<String>, Failure> {
        let known = self.known_nameservers();
        if !known.is_empty() {
            return Ok(known);
        }
        let config = self.config()?;
        let ns = aws.zone_nameservers(config.domain.as_str()).await?;
        self.remember_nameservers(&ns);
        Ok(ns)
    }
}
