//! The live check of each human checkpoint, routed to the handler of its concern: the
//! nameservers to the delegation check, the email steps to AWS, the edge to its check (AWS and
//! the site's HTTPS answer).

use std::sync::Arc;

use super::edge::EdgeCheck;
use super::{AwsChecks, BoxFuture, DelegationCheck, Project};
use crate::failure::Failure;
use crate::wizard::state::CheckReport;
use crate::wizard::{StepId, StepKind};

/// One live check of a checkpoint.
pub trait Checkpoints: Send + Sync {
    /// Never fails: a check that cannot be made says why, and the step keeps waiting on whoever
    /// must act.
    fn check(&self, step: StepId) -> BoxFuture<'_, CheckReport>;
}

/// The real [`Checkpoints`].
pub struct LiveCheckpoints {
    project: Arc<Project>,
    aws: Arc<dyn AwsChecks>,
    delegation: Arc<dyn DelegationCheck>,
    edge: Option<Arc<EdgeCheck>>,
}

impl LiveCheckpoints {
    pub fn new(
        project: Arc<Project>,
        aws: Arc<dyn AwsChecks>,
        delegation: Arc<dyn DelegationCheck>,
    ) -> Self {
        Self {
            project,
            aws,
            delegation,
            edge: None,
        }
    }

    /// With the edge step's check.
    #[must_use]
    pub fn with_edge(mut self, edge: Arc<EdgeCheck>) -> Self {
        self.edge = Some(edge);
        self
    }

    async fn nameservers(&self) -> Result<CheckReport, Failure> {
        let config = self.project.config()?;
        let expected = self.project.expected_nameservers(self.aws.as_ref()).await?;
        Ok(self
            .delegation
            .check(config.domain.as_str(), &expected)
            .await)
    }
}

impl Checkpoints for LiveCheckpoints {
    fn check(&self, step: StepId) -> BoxFuture<'_, CheckReport> {
        Box::pin(async move {
            // A check that cannot be made waits on whoever must act: the domain's verification
            // is AWS's to finish; the other checkpoints are the user's.
            let (on_error, result) = match step {
                StepId::Nameservers => (StepKind::Human, self.nameservers().await),
                StepId::EmailDomain => (StepKind::Aws, self.aws.email_domain().await),
                StepId::Inbox => (StepKind::Human, self.aws.inbox().await),
                StepId::Alerts => (StepKind::Human, self.aws.alerts().await),
                StepId::SesProduction => (StepKind::Human, self.aws.production().await),
                StepId::Edge => match &self.edge {
                    Some(edge) => (StepKind::Aws, edge.check().await),
                    None => (
                        StepKind::Aws,
                        Err(Failure::NotACheckpoint { step: step.title() }),
                    ),
                },
                other => (
                    StepKind::Aws,
                    Err(Failure::NotACheckpoint {
                        step: other.title(),
                    }),
                ),
            };
            result.unwrap_or_else(|e| unchecked(on_error, &e))
        })
    }
}

/// A check that could not be made (AWS, DNS or terraform did not answer): the step keeps
/// waiting on whoever must act and is checked again; the headline says why.
pub fn unchecked(waiting_on: StepKind, failure: &Failure) -> CheckReport {
    CheckReport {
        satisfied: false,
        unchecked: true,
        waiting_on,
        headline: failure.to_string(),
        lines: vec![],
        reopen: None,
    }
}
