//! A scripted [`AwsApi`] for tests of the AWS handler: no network, state you set by hand, and
//! [`FakeConnector`], the connector that hands it to the handler in place of the SDK's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use siteup::aws::identity::CallerIdentity;
use siteup::aws::route53::{bare_zone_id, zone_name_matches};
use siteup::aws::ses::{Review, SendQuota};
use siteup::aws::{
    AccountStatus, AlarmStatus, AlertTopic, AlertsStatus, AwsApi, AwsError, AwsFuture,
    BudgetStatus, ConfigurationSetStatus, Connector, DomainIdentityStatus, EdgeDeployment,
    HostedZone, ProductionAccessRequest, ReviewState, SenderStatus, SubscriptionState, Target,
    TopicSubscription, VerifiedIdentity,
};

/// What the fake answers. Change it between calls through [`FakeAws::state`].
#[derive(Debug, Clone)]
pub(crate) struct FakeState {
    pub(crate) identity: Result<VerifiedIdentity, AwsError>,
    pub(crate) zones: Vec<HostedZone>,
    pub(crate) domains: HashMap<String, DomainIdentityStatus>,
    pub(crate) senders: HashMap<String, SenderStatus>,
    /// SES configuration sets by name (a name not here is missing).
    pub(crate) configuration_sets: HashMap<String, ConfigurationSetStatus>,
    pub(crate) account: AccountStatus,
    /// CloudFront's distributions by id (an id not here is missing).
    pub(crate) distributions: HashMap<String, EdgeDeployment>,
    /// When set, the next call fails with it (and it is cleared).
    pub(crate) fail_next: Option<AwsError>,
    /// Every request submitted, in order.
    pub(crate) submissions: Vec<ProductionAccessRequest>,
    /// Every address a verification mail was resent to.
    pub(crate) resends: Vec<String>,
    /// Where the owner's subscription to every alerts topic stands.
    pub(crate) alerts: SubscriptionState,
    /// Every alert published: (topic name, subject).
    pub(crate) published: Vec<(String, String)>,
    /// The name of every call, in order.
    pub(crate) calls: Vec<&'static str>,
}

impl Default for FakeState {
    fn default() -> Self {
        Self {
            identity: Ok(VerifiedIdentity {
                caller: CallerIdentity::new(
                    "123456789012".into(),
                    "arn:aws:iam::123456789012:user/siteup-test".into(),
                    "AIDAEXAMPLE".into(),
                ),
                expiry: None,
                warning: None,
            }),
            zones: Vec::new(),
            domains: HashMap::new(),
            senders: HashMap::new(),
            configuration_sets: HashMap::new(),
            // A new account as SES starts it: in the sandbox, 200 messages a day, 1 a second.
            account: AccountStatus {
                production_access: false,
                sending_enabled: true,
                quota: Some(SendQuota {
                    max_24_hour_send: 200.0,
                    max_send_rate: 1.0,
                    sent_last_24_hours: 0.0,
                }),
                enforcement_status: Some("HEALTHY".into()),
                review: None,
                details: None,
                suppressed_reasons: Vec::new(),
            },
            distributions: HashMap::new(),
            fail_next: None,
            submissions: Vec::new(),
            resends: Vec::new(),
            alerts: SubscriptionState::Confirmed,
            published: Vec::new(),
            calls: Vec::new(),
        }
    }
}

/// The fake itself.
#[derive(Debug, Default)]
pub(crate) struct FakeAws {
    state: Mutex<FakeState>,
}

impl FakeAws {
    pub(crate) fn new(state: FakeState) -> Self {
        Self {
            state: Mutex::new(state),
        }
    }

    /// The state, to read or change.
    pub(crate) fn state(&self) -> MutexGuard<'_, FakeState> {
        // A test that panicked while holding the lock poisons it; the state is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn call(&self, name: &'static str) -> Result<MutexGuard<'_, FakeState>, AwsError> {
        let mut s = self.state();
        s.calls.push(name);
        match s.fail_next.take() {
            Some(e) => Err(e),
            None => Ok(s),
        }
    }
}

impl AwsApi for FakeAws {
    fn alert_subscriptions<'a>(
        &'a self,
        topics: &'a [AlertTopic],
        endpoint: &'a str,
    ) -> AwsFuture<'a, AlertsStatus> {
        let r = self.call("alert_subscriptions").map(|s| AlertsStatus {
            endpoint: endpoint.to_string(),
            topics: topics
                .iter()
                .map(|t| TopicSubscription {
                    topic: t.clone(),
                    state: s.alerts,
                })
                .collect(),
        });
        Box::pin(async move { r })
    }

    fn resend_alert_confirmation<'a>(
        &'a self,
        topics: &'a [AlertTopic],
        endpoint: &'a str,
    ) -> AwsFuture<'a, AlertsStatus> {
        if let Ok(mut s) = self.call("resend_alert_confirmation") {
            s.resends.push(endpoint.to_string());
            if s.alerts == SubscriptionState::NotSubscribed {
                s.alerts = SubscriptionState::Pending;
            }
        }
        self.alert_subscriptions(topics, endpoint)
    }

    fn alarm_states<'a>(
        &'a self,
        region: &'a str,
        names: &'a [String],
    ) -> AwsFuture<'a, Vec<AlarmStatus>> {
        let r = self.call("alarm_states").map(|_| {
            names
                .iter()
                .map(|n| AlarmStatus {
                    name: n.clone(),
                    region: region.to_string(),
                    state: "OK".into(),
                })
                .collect()
        });
        Box::pin(async move { r })
    }

    fn budget<'a>(&'a self, name: &'a str) -> AwsFuture<'a, Option<BudgetStatus>> {
        let r = self.call("budget").map(|_| {
            Some(BudgetStatus {
                name: name.to_string(),
                limit: "20.0 USD".into(),
                actual: None,
                forecast: None,
            })
        });
        Box::pin(async move { r })
    }

    fn publish_alert<'a>(
        &'a self,
        topic: &'a AlertTopic,
        subject: &'a str,
        _message: &'a str,
    ) -> AwsFuture<'a, String> {
        let r = self.call("publish_alert").map(|mut s| {
            s.published.push((topic.name.clone(), subject.to_string()));
            format!("message-{}", s.published.len())
        });
        Box::pin(async move { r })
    }

    fn verify_identity(&self) -> AwsFuture<'_, VerifiedIdentity> {
        let r = self
            .call("verify_identity")
            .and_then(|s| s.identity.clone());
        Box::pin(async move { r })
    }

    fn zone_records<'a>(
        &'a self,
        _zone_id: &'a str,
    ) -> AwsFuture<'a, Vec<siteup::aws::route53::ZoneRecord>> {
        let r = self.call("zone_records").map(|_| Vec::new());
        Box::pin(async move { r })
    }

    fn table_item_count<'a>(&'a self, _table: &'a str) -> AwsFuture<'a, Option<i64>> {
        let r = self.call("table_item_count").map(|_| None);
        Box::pin(async move { r })
    }

    fn user_pool_users<'a>(&'a self, _pool_id: &'a str) -> AwsFuture<'a, Option<i64>> {
        let r = self.call("user_pool_users").map(|_| None);
        Box::pin(async move { r })
    }

    fn find_zones<'a>(&'a self, domain: &'a str) -> AwsFuture<'a, Vec<HostedZone>> {
        let r = self.call("find_zones").map(|s| {
            s.zones
                .iter()
                .filter(|z| zone_name_matches(&z.name, domain))
                .cloned()
                .collect()
        });
        Box::pin(async move { r })
    }

    fn zone_nameservers<'a>(&'a self, zone_id: &'a str) -> AwsFuture<'a, Vec<String>> {
        let id = bare_zone_id(zone_id);
        let r = self.call("zone_nameservers").and_then(|s| {
            s.zones
                .iter()
                .find(|z| z.id == id)
                .map(|z| z.nameservers.clone())
                .ok_or_else(|| AwsError::Unexpected {
                    service: "Route 53".into(),
                    action: "route53:GetHostedZone".into(),
                    code: "NoSuchHostedZone".into(),
                    detail: format!("No hosted zone found with ID: {id}"),
                })
        });
        Box::pin(async move { r })
    }

    fn domain_identity<'a>(&'a self, domain: &'a str) -> AwsFuture<'a, DomainIdentityStatus> {
        let r = self.call("domain_identity").map(|s| {
            s.domains
                .get(domain)
                .cloned()
                .unwrap_or_else(|| DomainIdentityStatus::missing(domain))
        });
        Box::pin(async move { r })
    }

    fn sender_identity<'a>(&'a self, address: &'a str) -> AwsFuture<'a, SenderStatus> {
        let r = self.call("sender_identity").map(|s| {
            s.senders
                .get(address)
                .cloned()
                .unwrap_or_else(|| SenderStatus::missing(address))
        });
        Box::pin(async move { r })
    }

    fn configuration_set<'a>(&'a self, name: &'a str) -> AwsFuture<'a, ConfigurationSetStatus> {
        let r = self.call("configuration_set").map(|s| {
            s.configuration_sets
                .get(name)
                .cloned()
                .unwrap_or_else(|| ConfigurationSetStatus::missing(name))
        });
        Box::pin(async move { r })
    }

    fn account_status(&self) -> AwsFuture<'_, AccountStatus> {
        let r = self.call("account_status").map(|s| s.account.clone());
        Box::pin(async move { r })
    }

    fn delete_failed_identity<'a>(&'a self, name: &'a str) -> AwsFuture<'a, bool> {
        let r = self.call("delete_failed_identity").map(|mut s| {
            let gave_up = s
                .domains
                .get(name)
                .is_some_and(DomainIdentityStatus::gave_up);
            if gave_up {
                s.domains.remove(name);
            }
            gave_up
        });
        Box::pin(async move { r })
    }

    fn resend_verification<'a>(&'a self, address: &'a str) -> AwsFuture<'a, SenderStatus> {
        let r = self.call("resend_verification").map(|mut s| {
            s.resends.push(address.to_string());
            let status = s
                .senders
                .entry(address.to_string())
                .or_insert_with(|| SenderStatus::missing(address));
            status.exists = true;
            status.clone()
        });
        Box::pin(async move { r })
    }

    fn distribution_status<'a>(&'a self, id: &'a str) -> AwsFuture<'a, EdgeDeployment> {
        let r = self.call("distribution_status").map(|s| {
            s.distributions
                .get(id)
                .cloned()
                .unwrap_or(EdgeDeployment::Missing)
        });
        Box::pin(async move { r })
    }

    fn submit_production_access<'a>(
        &'a self,
        request: &'a ProductionAccessRequest,
    ) -> AwsFuture<'a, ()> {
        let r = self.call("submit_production_access").and_then(|mut s| {
            if s.account.review.is_some() {
                return Err(AwsError::ProductionAccessConflict {
                    case_id: s.account.review.as_ref().and_then(|r| r.case_id.clone()),
                });
            }
            s.submissions.push(request.clone());
            s.account.review = Some(Review {
                status: ReviewState::Pending,
                case_id: Some(format!("fake-case-{}", s.submissions.len())),
            });
            Ok(())
        });
        Box::pin(async move { r })
    }
}

/// Hands the fake to the AWS handler wherever it connects, recording each target's profile (or
/// the sandbox's URL) and the SES region it asked for.
pub(crate) struct FakeConnector {
    pub(crate) fake: Arc<FakeAws>,
    pub(crate) opened: Mutex<Vec<(String, String)>>,
}

impl FakeConnector {
    pub(crate) fn new(fake: Arc<FakeAws>) -> Self {
        Self {
            fake,
            opened: Mutex::new(Vec::new()),
        }
    }
}

impl Connector for FakeConnector {
    fn open<'a>(
        &'a self,
        target: &'a Target,
        ses_region: &'a str,
    ) -> AwsFuture<'a, Arc<dyn AwsApi>> {
        let who = match target {
            Target::Profile { choice, .. } => choice.name().to_string(),
            Target::Sandbox { url, .. } => url.clone(),
        };
        if let Ok(mut opened) = self.opened.lock() {
            opened.push((who, ses_region.to_string()));
        }
        let api: Arc<dyn AwsApi> = self.fake.clone();
        Box::pin(async move { Ok(api) })
    }
}
