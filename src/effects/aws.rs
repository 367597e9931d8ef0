//! The AWS handler: the session of the chosen profile (or the sandbox's), Route 53's zones for
//! the domain, the SES identities, and production access.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{BoxFuture, Project};
use crate::aws::ProfileInfo;
use crate::aws::{self, AwsApi, AwsEnv, Connector, HostedZone, SessionExpiry, Target};
use crate::dns::DnsConfig;
use crate::failure::Failure;
use crate::project::settings;
use crate::wizard::state::CheckReport;
use crate::wizard::update::ProfileFacts;
use crate::wizard::{StepId, StepKind};

/// What the journey asks of AWS.
pub trait AwsChecks: Send + Sync {
    /// The profiles in the user's AWS files (none when there are none).
    fn list_profiles(&self) -> BoxFuture<'_, Vec<ProfileInfo>>;
    /// Connects with the profile and says who it is.
    fn verify_profile(&self, name: String) -> BoxFuture<'_, Result<ProfileFacts, Failure>>;
    /// When the verified session ends, where known.
    fn session_expiry(&self) -> Option<SessionExpiry>;
    /// The public hosted zones named exactly `domain`.
    fn find_zones<'a>(&'a self, domain: &'a str)
    -> BoxFuture<'a, Result<Vec<HostedZone>, Failure>>;
    /// The nameservers of the domain's zone ([`Failure::NoZoneYet`] when there is none).
    fn zone_nameservers<'a>(
        &'a self,
        domain: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, Failure>>;
    /// The SES domain identity, as a check of its checkpoint.
    fn email_domain(&self) -> BoxFuture<'_, Result<CheckReport, Failure>>;
    /// The owner's inbox identity, as a check of its checkpoint (satisfied when there is none).
    fn inbox(&self) -> BoxFuture<'_, Result<CheckReport, Failure>>;
    /// The owner's subscriptions to the alerts topics, as a check of their checkpoint
    /// (satisfied when the guardrails are off or there is no inbox).
    fn alerts(&self) -> BoxFuture<'_, Result<CheckReport, Failure>>;
    /// Has SNS mail the alerts' confirmation links again.
    fn resend_alert_confirmation(&self) -> BoxFuture<'_, Result<(), Failure>>;
    /// The account's production access, as a check of its checkpoint.
    fn production(&self) -> BoxFuture<'_, Result<CheckReport, Failure>>;
    /// The production-access request's text, from the site's answers.
    fn compose_ses_request(&self) -> BoxFuture<'_, Result<String, Failure>>;
    /// Submits the request; Ok carries the sentence to show (what happens next).
    fn submit_ses_request(&self, use_case: String) -> BoxFuture<'_, Result<String, Failure>>;
    /// Sends the inbox's verification mail again.
    fn resend_verification(&self) -> BoxFuture<'_, Result<(), Failure>>;
    /// Deletes an SES identity that SES gave up verifying, so the next plan creates it anew
    /// (Ok(false): it had not failed, nothing was deleted).
    fn delete_failed_identity(&self, name: String) -> BoxFuture<'_, Result<bool, Failure>>;
    /// Where CloudFront's deployment of a distribution stands.
    fn edge_deployment(
        &self,
        distribution_id: String,
    ) -> BoxFuture<'_, Result<aws::EdgeDeployment, Failure>>;
}

/// Which AWS the handler reaches.
#[derive(Clone)]
pub enum Connect {
    /// The user's profile (the session's, else the one recorded in siteup.toml, else `default`),
    /// through the strict loader; the profile chosen is recorded in siteup.toml.
    Profile {
        env: AwsEnv,
        profile: Option<String>,
    },
    /// The sandbox's emulator with its throwaway keys.
    Sandbox { url: String },
}

#[derive(Default)]
struct Session {
    api: Option<Arc<dyn AwsApi>>,
    expiry: Option<SessionExpiry>,
}

/// The real [`AwsChecks`].
pub struct AwsHandler {
    project: Arc<Project>,
    /// Where the mail's SPF and DMARC records are read (the production-access request).
    dns: DnsConfig,
    connect: Connect,
    connector: Arc<dyn Connector>,
    session: Mutex<Session>,
}

impl AwsHandler {
    /// A handler that reaches `connect`'s AWS through `connector` ([`aws::SdkConnector`] in
    /// production), connecting on first use.
    pub fn new(
        project: Arc<Project>,
        dns: DnsConfig,
        connect: Connect,
        connector: Arc<dyn Connector>,
    ) -> Self {
        Self {
            project,
            dns,
            connect,
            connector,
            session: Mutex::new(Session::default()),
        }
    }

    /// The AWS API for this journey's profile (or the sandbox), connected on first use.
    pub async fn api(&self) -> Result<Arc<dyn AwsApi>, Failure> {
        if let Some(api) = self.session.lock().ok().and_then(|s| s.api.clone()) {
            return Ok(api);
        }
        let profile = match &self.connect {
            Connect::Profile { profile, .. } => profile.clone().or_else(|| {
                // One chosen in the wizard since the session opened (saved in siteup.toml).
                self.project
                    .settings()
                    .ok()
                    .flatten()
                    .and_then(|s| s.aws.profile)
            }),
            Connect::Sandbox { .. } => None,
        };
        self.connect_as(profile.as_deref().unwrap_or("default"))
            .await
            .map(|(api, _)| api)
    }

    /// The guardrails read live: the owner's subscriptions (None without an inbox), the
    /// alarms' states and the budget. Empty when the guardrails are off.
    pub async fn guardrails(&self) -> Result<aws::GuardrailsStatus, Failure> {
        let config = self.project.config()?;
        let topics = config.alert_topics();
        let (alarms, budget) = crate::tfgen::guardrail_names(&config);
        let api = self.api().await?;
        let subscriptions = match &config.inbox {
            Some(inbox) if !topics.is_empty() => {
                Some(api.alert_subscriptions(&topics, inbox.as_str()).await?)
            }
            _ => None,
        };
        // The alarms and the budget are best read: one that cannot be read is said, and the
        // rest (the subscriptions above all) still counts.
        let mut unreadable = Vec::new();
        let mut states = Vec::new();
        let mut regions: Vec<&str> = alarms.iter().map(|(r, _)| r.as_str()).collect();
        regions.dedup();
        for region in regions {
            let names: Vec<String> = alarms
                .iter()
                .filter(|(r, _)| r == region)
                .map(|(_, n)| n.clone())
                .collect();
            match api.alarm_states(region, &names).await {
                Ok(found) => states.extend(found),
                Err(e) => unreadable.push(format!("Alarms in {region} could not be read: {e}")),
            }
        }
        let budget = match budget {
            Some(name) => match api.budget(&name).await {
                Ok(b) => b,
                Err(e) => {
                    unreadable.push(format!("The budget could not be read: {e}"));
                    None
                }
            },
            None => None,
        };
        Ok(aws::GuardrailsStatus {
            subscriptions,
            alarms: states,
            budget,
            unreadable,
        })
    }

    async fn connect_as(
        &self,
        profile: &str,
    ) -> Result<(Arc<dyn AwsApi>, aws::VerifiedIdentity), Failure> {
        let region = self.project.config().map_or_else(
            |_| crate::site::DEFAULT_REGION.to_string(),
            |c| c.region.as_str().to_string(),
        );
        let target = match &self.connect {
            Connect::Sandbox { url } => Target::Sandbox {
                url: url.clone(),
                region: region.clone(),
            },
            Connect::Profile { env, .. } => Target::Profile {
                env: env.clone(),
                choice: aws::ProfileChoice::parse(profile),
                default_region: region.clone(),
            },
        };
        let api = self.connector.open(&target, &region).await?;
        let who = api.verify_identity().await?;
        self.remember(api.clone(), &who);
        Ok((api, who))
    }

    fn remember(&self, api: Arc<dyn AwsApi>, who: &aws::VerifiedIdentity) {
        if let Ok(mut s) = self.session.lock() {
            s.api = Some(api);
            s.expiry = who.expiry.clone();
        }
    }
}

impl AwsChecks for AwsHandler {
    fn list_profiles(&self) -> BoxFuture<'_, Vec<ProfileInfo>> {
        Box::pin(async move {
            // The sandbox has one throwaway profile, chosen for the user.
            let Connect::Profile { env, .. } = &self.connect else {
                return Vec::new();
            };
            match aws::profiles::discover(env).await {
                Ok(list) => list.profiles,
                Err(e) => {
                    tracing::warn!("listing profiles: {e}");
                    Vec::new()
                }
            }
        })
    }

    fn verify_profile(&self, name: String) -> BoxFuture<'_, Result<ProfileFacts, Failure>> {
        Box::pin(async move {
            let (_api, who) = self.connect_as(&name).await?;
            // Record the profile name (never credentials) with the answers.
            let root = self.project.paths().root();
            if matches!(self.connect, Connect::Profile { .. })
                && let Ok(Some(mut s)) = settings::load(root)
                && s.aws.profile.as_deref() != Some(name.as_str())
            {
                s.aws.profile = Some(name.clone());
                if let Err(e) = settings::save(root, &s) {
                    tracing::warn!("recording the profile: {e}");
                }
            }
            let identity = format!("account {} as {}", who.caller.account, who.caller.arn);
            let expiry_warning = who.expiry.as_ref().and_then(|e| {
                aws::warn_if_expires_within(
                    e,
                    time::OffsetDateTime::now_utc(),
                    Duration::from_secs(45 * 60),
                )
            });
            Ok(ProfileFacts {
                identity,
                warning: who.warning.or(expiry_warning),
            })
        })
    }

    fn session_expiry(&self) -> Option<SessionExpiry> {
        self.session.lock().ok().and_then(|s| s.expiry.clone())
    }

    fn find_zones<'a>(
        &'a self,
        domain: &'a str,
    ) -> BoxFuture<'a, Result<Vec<HostedZone>, Failure>> {
        Box::pin(async move { Ok(self.api().await?.find_zones(domain).await?) })
    }

    fn zone_nameservers<'a>(
        &'a self,
        domain: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, Failure>> {
        Box::pin(async move {
            let zones = self.find_zones(domain).await?;
            let ns = zones
                .into_iter()
                .next()
                .map(|z| z.nameservers)
                .unwrap_or_default();
            if ns.is_empty() {
                return Err(Failure::NoZoneYet {
                    domain: domain.to_string(),
                });
            }
            Ok(ns)
        })
    }

    fn email_domain(&self) -> BoxFuture<'_, Result<CheckReport, Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            let status = self
                .api()
                .await?
                .domain_identity(config.domain.as_str())
                .await?;
            Ok(CheckReport {
                satisfied: status.is_ready(),
                unchecked: false,
                waiting_on: StepKind::Aws,
                headline: status.headline(),
                lines: status.lines(),
                reopen: status.gave_up().then_some(StepId::Foundation),
            })
        })
    }

    fn inbox(&self) -> BoxFuture<'_, Result<CheckReport, Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            let Some(inbox) = &config.inbox else {
                return Ok(CheckReport {
                    satisfied: true,
                    unchecked: false,
                    waiting_on: StepKind::Human,
                    headline: "No inbox was given, so there is nothing to verify: mail from the site reaches only addresses of the domain until SES production access.".into(),
                    lines: vec![],
                    reopen: None,
                });
            };
            let s = self.api().await?.sender_identity(inbox.as_str()).await?;
            Ok(CheckReport {
                satisfied: s.verified,
                unchecked: false,
                waiting_on: StepKind::Human,
                headline: s.headline(),
                lines: vec![],
                reopen: None,
            })
        })
    }

    fn alerts(&self) -> BoxFuture<'_, Result<CheckReport, Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            let topics = config.alert_topics();
            let nothing = |headline: &str| CheckReport {
                satisfied: true,
                unchecked: false,
                waiting_on: StepKind::Human,
                headline: headline.to_string(),
                lines: vec![],
                reopen: None,
            };
            if topics.is_empty() {
                return Ok(nothing(
                    "The guardrails are off, so there are no alerts to confirm (siteup generate --guardrails on adds them).",
                ));
            }
            let Some(_) = &config.inbox else {
                return Ok(nothing(
                    "No inbox was given, so the alerts topic has no subscriber: alarms show in the CloudWatch console only (give an inbox with siteup generate --inbox to get them by mail).",
                ));
            };
            let guardrails = self.guardrails().await?;
            let Some(status) = &guardrails.subscriptions else {
                return Err(Failure::NoInbox);
            };
            let mut lines = status.lines();
            if status.confirmed() {
                lines.extend(guardrails.lines());
            }
            Ok(CheckReport {
                satisfied: status.confirmed(),
                unchecked: false,
                waiting_on: StepKind::Human,
                headline: status.headline(),
                lines,
                reopen: None,
            })
        })
    }

    fn resend_alert_confirmation(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            let inbox = config.inbox.clone().ok_or(Failure::NoInbox)?;
            self.api()
                .await?
                .resend_alert_confirmation(&config.alert_topics(), inbox.as_str())
                .await?;
            Ok(())
        })
    }

    fn production(&self) -> BoxFuture<'_, Result<CheckReport, Failure>> {
        Box::pin(async move {
            let a = self.api().await?.account_status().await?;
            let waiting_on = match a.review_state() {
                Some(aws::ses::ReviewState::Pending | aws::ses::ReviewState::Granted) => {
                    StepKind::Aws
                }
                _ => StepKind::Human,
            };
            Ok(CheckReport {
                satisfied: a.production_access,
                unchecked: false,
                waiting_on,
                headline: a.headline(),
                lines: a.lines(),
                reopen: None,
            })
        })
    }

    fn compose_ses_request(&self) -> BoxFuture<'_, Result<String, Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            // The request reads well without the account's figures or the handling in place:
            // an unreachable AWS only leaves them out.
            let (account, readiness) = match self.api().await {
                Ok(api) => {
                    let account = api.account_status().await.ok();
                    let readiness = super::mail::assess(api.as_ref(), &self.dns, &config).await;
                    (account, Some(readiness))
                }
                Err(_) => (None, None),
            };
            Ok(aws::ProductionAccessRequest::compose_with(
                &config,
                account.as_ref(),
                readiness.as_ref(),
            )
            .use_case_description)
        })
    }

    fn submit_ses_request(&self, use_case: String) -> BoxFuture<'_, Result<String, Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            let api = self.api().await?;
            let account = api.account_status().await.ok();
            let readiness = super::mail::assess(api.as_ref(), &self.dns, &config).await;
            // A request SES would deny for something siteup can name is not sent: the wizard
            // has no --force (the command has).
            if account
                .as_ref()
                .is_none_or(aws::AccountStatus::awaits_request)
                && !readiness.is_ready()
            {
                return Err(Failure::MailNotReady {
                    missing: readiness
                        .missing()
                        .into_iter()
                        .map(aws::mail_readiness::Item::phrase)
                        .collect(),
                });
            }
            let request = aws::ProductionAccessRequest::compose_with(
                &config,
                account.as_ref(),
                Some(&readiness),
            )
            .with_use_case(use_case);
            let outcome = aws::submit_request(api.as_ref(), &request).await?;
            Ok(outcome.account().headline())
        })
    }

    fn edge_deployment(
        &self,
        distribution_id: String,
    ) -> BoxFuture<'_, Result<aws::EdgeDeployment, Failure>> {
        Box::pin(async move {
            Ok(self
                .api()
                .await?
                .distribution_status(&distribution_id)
                .await?)
        })
    }

    fn delete_failed_identity(&self, name: String) -> BoxFuture<'_, Result<bool, Failure>> {
        Box::pin(async move { Ok(self.api().await?.delete_failed_identity(&name).await?) })
    }

    fn resend_verification(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            let inbox = config.inbox.ok_or(Failure::NoInbox)?;
            self.api()
                .await?
                .resend_verification(inbox.as_str())
                .await?;
            Ok(())
        })
    }
}
