//! The sandbox player: in a sandbox session only, it plays the humans of the journey (the
//! registrar, the inbox, AWS's reviewers) and AWS's own verification of the domain. The
//! production handlers never call it: [`super::Handlers::live`] adds it only when the session
//! has a sandbox.

use std::sync::Arc;

use super::{AwsHandler, BoxFuture, Checkpoints, Project};
use crate::aws;
use crate::failure::Failure;
use crate::sandbox::emulator::{Emulator, ReviewStatus};
use crate::sandbox::registrar::{self, RegistrarFiles};
use crate::wizard::StepId;
use crate::wizard::state::CheckReport;

/// The sandbox this journey runs against.
#[derive(Clone)]
pub struct SandboxLink {
    /// The emulator's URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// The emulator, for its control endpoint (playing the inbox and the reviewers).
    pub emulator: Arc<Emulator>,
    /// The registrar's files (changing the delegation plays the registrar).
    pub registrar: RegistrarFiles,
}

/// Plays the human of a checkpoint.
pub trait HumanPlayer: Send + Sync {
    fn play(&self, step: StepId) -> BoxFuture<'_, Result<(), Failure>>;
}

/// The sandbox's [`HumanPlayer`].
pub(crate) struct SandboxPlayer {
    project: Arc<Project>,
    link: SandboxLink,
    aws: Arc<AwsHandler>,
}

impl SandboxPlayer {
    pub(crate) fn new(project: Arc<Project>, link: SandboxLink, aws: Arc<AwsHandler>) -> Self {
        Self { project, link, aws }
    }

    /// Marks an SES identity verified in the emulator (the inbox's click, or AWS's own check
    /// of the domain's records).
    async fn verify_identity(&self, identity: String) -> Result<(), Failure> {
        let emulator = self.link.emulator.clone();
        tokio::task::spawn_blocking(move || emulator.verify_identity(&identity)).await??;
        Ok(())
    }
}

impl HumanPlayer for SandboxPlayer {
    fn play(&self, step: StepId) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            match step {
                StepId::Nameservers => {
                    let ns = self.project.expected_nameservers(self.aws.as_ref()).await?;
                    let domain = config.domain.as_str().to_string();
                    let files = self.link.registrar.clone();
                    tokio::task::spawn_blocking(move || {
                        registrar::set_nameservers(&files, &domain, &ns)
                    })
                    .await??;
                    Ok(())
                }
                StepId::Inbox => {
                    let inbox = config.inbox.ok_or(Failure::NoInbox)?;
                    self.verify_identity(inbox.as_str().to_string()).await
                }
                StepId::Alerts => {
                    let inbox = config.inbox.ok_or(Failure::NoInbox)?;
                    let emulator = self.link.emulator.clone();
                    tokio::task::spawn_blocking(move || {
                        emulator.confirm_subscriptions(inbox.as_str())
                    })
                    .await??;
                    Ok(())
                }
                StepId::EmailDomain => {
                    self.verify_identity(config.domain.as_str().to_string())
                        .await
                }
                StepId::SesProduction => {
                    let api = self.aws.api().await?;
                    let account = api.account_status().await?;
                    if account.review.is_none() && !account.production_access {
                        let request =
                            aws::ProductionAccessRequest::compose(&config, Some(&account));
                        aws::submit_request(api.as_ref(), &request).await?;
                    }
                    let emulator = self.link.emulator.clone();
                    tokio::task::spawn_blocking(move || emulator.set_review(ReviewStatus::Granted))
                        .await??;
                    Ok(())
                }
                other => Err(Failure::NothingToPlay {
                    step: other.title(),
                }),
            }
        })
    }
}

/// The checkpoints of a sandbox session: as in production, except that the sandbox plays AWS,
/// which verifies the domain by itself once its records are reachable.
pub(crate) struct SandboxCheckpoints {
    inner: Arc<dyn Checkpoints>,
    player: Arc<SandboxPlayer>,
}

impl SandboxCheckpoints {
    pub(crate) fn new(inner: Arc<dyn Checkpoints>, player: Arc<SandboxPlayer>) -> Self {
        Self { inner, player }
    }
}

impl Checkpoints for SandboxCheckpoints {
    fn check(&self, step: StepId) -> BoxFuture<'_, CheckReport> {
        Box::pin(async move {
            let report = self.inner.check(step).await;
            if step != StepId::EmailDomain || report.satisfied || report.unchecked {
                return report;
            }
            // The identity exists but is not verified yet: play AWS's check, then look again.
            // (A failure to play it leaves the first report standing.)
            if self.player.play(StepId::EmailDomain).await.is_ok() {
                return self.inner.check(step).await;
            }
            report
        })
    }
}

impl From<crate::sandbox::emulator::EmulatorError> for Failure {
    fn from(e: crate::sandbox::emulator::EmulatorError) -> Self {
        Failure::Sandbox {
            problem: e.to_string(),
        }
    }
}

impl From<registrar::RegistrarError> for Failure {
    fn from(e: registrar::RegistrarError) -> Self {
        Failure::Sandbox {
            problem: e.to_string(),
        }
    }
}
