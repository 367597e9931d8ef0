//! A scripted [`AwsApi`] for tests of the wizard core: no network, state you set by hand.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::error::AwsError;
use super::identity::CallerIdentity;
use super::production::ProductionAccessRequest;
use super::route53::{HostedZone, bare_zone_id, zone_name_matches};
use super::ses::{AccountStatus, DomainIdentityStatus, Review, ReviewState, SenderStatus};
use super::{AwsApi, AwsFuture, EdgeDeployment, VerifiedIdentity};

/// What the fake answers. Change it between calls through [`FakeAws::state`].
#[derive(Debug, Clone)]
pub struct FakeState {
    pub identity: Result<VerifiedIdentity, AwsError>,
    pub zones: Vec<HostedZone>,
    pub domains: HashMap<String, DomainIdentityStatus>,
    pub senders: HashMap<String, SenderStatus>,
    pub account: AccountStatus,
    /// CloudFront's distributions by id (an id not here is missing).
    pub distributions: HashMap<String, EdgeDeployment>,
    /// When set, the next call fails with it (and it is cleared).
    pub fail_next: Option<AwsError>,
    /// Every request submitted, in order.
    pub submissions: Vec<ProductionAccessRequest>,
    /// Every address a verification mail was resent to.
    pub resends: Vec<String>,
    /// The name of every call, in order.
    pub calls: Vec<&'static str>,
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
            account: AccountStatus::new_in_sandbox(),
            distributions: HashMap::new(),
            fail_next: None,
            submissions: Vec::new(),
            resends: Vec::new(),
            calls: Vec::new(),
        }
    }
}

/// The fake itself.
#[derive(Debug, Default)]
pub struct FakeAws {
    state: Mutex<FakeState>,
}

impl FakeAws {
    pub fn new(state: FakeState) -> Self {
        Self {
            state: Mutex::new(state),
        }
    }

    /// The state, to read or change.
    pub fn state(&self) -> MutexGuard<'_, FakeState> {
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
    fn verify_identity(&self) -> AwsFuture<'_, VerifiedIdentity> {
        let r = self
            .call("verify_identity")
            .and_then(|s| s.identity.clone());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::production::{SubmitOutcome, submit_request};
    use crate::site::{Domain, Region, SiteConfig};

    fn request() -> ProductionAccessRequest {
        let site = SiteConfig::with_defaults(
            Domain::parse("example.com").expect("domain"),
            Region::parse("us-east-1").expect("region"),
        );
        ProductionAccessRequest::compose(&site, None)
    }

    #[tokio::test]
    async fn submitting_moves_the_review_to_pending_once() {
        let fake = FakeAws::default();
        let outcome = submit_request(&fake, &request()).await.expect("submitted");
        let SubmitOutcome::Submitted(account) = outcome else {
            panic!("expected a submission, got {outcome:?}");
        };
        assert_eq!(account.review_state(), Some(&ReviewState::Pending));
        assert_eq!(fake.state().submissions.len(), 1);
        // A second submission is not sent while the review runs.
        let again = submit_request(&fake, &request()).await.expect("no error");
        assert!(matches!(again, SubmitOutcome::AlreadyInReview(_)));
        assert_eq!(fake.state().submissions.len(), 1);
    }

    #[tokio::test]
    async fn a_conflict_after_denial_carries_the_case() {
        let fake = FakeAws::default();
        fake.state().account.review = Some(Review {
            status: ReviewState::Denied,
            case_id: Some("C-9".into()),
        });
        let err = submit_request(&fake, &request())
            .await
            .expect_err("conflict");
        assert_eq!(
            err,
            AwsError::ProductionAccessConflict {
                case_id: Some("C-9".into())
            }
        );
        assert!(err.to_string().contains("displayId=C-9"));
    }

    #[tokio::test]
    async fn scripted_failures_surface_once() {
        let fake = FakeAws::default();
        fake.state().fail_next = Some(AwsError::Throttled {
            service: "STS".into(),
        });
        assert!(fake.verify_identity().await.is_err());
        assert!(fake.verify_identity().await.is_ok());
        assert_eq!(
            fake.state().calls,
            vec!["verify_identity", "verify_identity"]
        );
    }

    #[tokio::test]
    async fn zones_match_exactly() {
        let fake = FakeAws::default();
        fake.state().zones = vec![HostedZone {
            id: "Z1".into(),
            name: "myexample.com".into(),
            nameservers: vec![],
            record_count: None,
            comment: None,
        }];
        assert!(fake.find_zones("example.com").await.expect("ok").is_empty());
    }
}
