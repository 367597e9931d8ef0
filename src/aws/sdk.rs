//! [`AwsApi`] on the official SDK.

use aws_sdk_sesv2::types::{ContactLanguage as SdkLanguage, MailType as SdkMailType};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use std::sync::Arc;

use super::connect::{AwsSession, Target, connect};
use super::error::{AwsError, CallContext, classify_sdk_error, word};
use super::identity::CallerIdentity;
use super::production::{ContactLanguage, MailType, ProductionAccessRequest};
use super::route53::{HostedZone, ZoneSummary, bare_zone_id, matching_zones, normalize_zone_name};
use super::ses::{
    AccountStatus, CheckState, DomainIdentityStatus, MailFromStatus, Review, ReviewState,
    SendQuota, SenderStatus, SubmittedDetails,
};
use super::{AwsApi, AwsFuture, Connector, EdgeDeployment, VerifiedIdentity};

/// Pages of ListHostedZonesByName siteup reads at most (100 zones each).
const MAX_ZONE_PAGES: usize = 50;

/// The production [`Connector`]: the strict loader, then the SDK's clients ([`SdkAws`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SdkConnector;

impl Connector for SdkConnector {
    fn open<'a>(
        &'a self,
        target: &'a Target,
        ses_region: &'a str,
    ) -> AwsFuture<'a, Arc<dyn AwsApi>> {
        Box::pin(async move {
            let session = connect(target).await?;
            let api: Arc<dyn AwsApi> = Arc::new(SdkAws::with_ses_region(&session, ses_region));
            Ok(api)
        })
    }
}

/// The SDK clients for one session. SES calls go to `ses_region` (the site's region).
#[derive(Debug, Clone)]
pub struct SdkAws {
    session: AwsSession,
    sts: aws_sdk_sts::Client,
    route53: aws_sdk_route53::Client,
    cloudfront: aws_sdk_cloudfront::Client,
    ses: aws_sdk_sesv2::Client,
    ses_context: CallContext,
}

impl SdkAws {
    /// Clients in the session's region.
    pub fn new(session: &AwsSession) -> Self {
        Self::with_ses_region(session, session.region())
    }

    /// Clients in the session's region, SES in `ses_region`.
    pub fn with_ses_region(session: &AwsSession, ses_region: &str) -> Self {
        let config = session.sdk_config();
        let mut ses_context = session.context().clone();
        if let super::error::Endpoint::Aws { region } = &mut ses_context.endpoint {
            *region = ses_region.to_string();
        }
        Self {
            sts: aws_sdk_sts::Client::new(config),
            route53: aws_sdk_route53::Client::new(config),
            cloudfront: aws_sdk_cloudfront::Client::new(config),
            ses: aws_sdk_sesv2::Client::new(&session.sdk_config_in(ses_region)),
            ses_context,
            session: session.clone(),
        }
    }

    pub fn session(&self) -> &AwsSession {
        &self.session
    }

    fn fail<E>(&self, err: SdkError<E, HttpResponse>, service: &str, action: &str) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let ctx = if service == "SES" {
            &self.ses_context
        } else {
            self.session.context()
        };
        let failure = classify_sdk_error(&err);
        tracing::debug!(service, action, error = ?failure, "AWS call failed");
        word(failure, ctx, service, action)
    }

    async fn caller(&self) -> Result<CallerIdentity, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| self.fail(e, "STS", "sts:GetCallerIdentity"))?;
        Ok(CallerIdentity::new(
            out.account().unwrap_or_default().to_string(),
            out.arn().unwrap_or_default().to_string(),
            out.user_id().unwrap_or_default().to_string(),
        ))
    }

    async fn zones(&self, domain: &str) -> Result<Vec<HostedZone>, AwsError> {
        let name = normalize_zone_name(domain);
        let mut found: Vec<ZoneSummary> = Vec::new();
        let mut next: Option<(String, Option<String>)> = None;
        for _ in 0..MAX_ZONE_PAGES {
            let mut req = self.route53.list_hosted_zones_by_name().max_items(100);
            req = match &next {
                None => req.dns_name(name.clone()),
                Some((dns, id)) => {
                    let r = req.dns_name(dns.clone());
                    match id {
                        Some(id) => r.hosted_zone_id(id.clone()),
                        None => r,
                    }
                }
            };
            let out = req
                .send()
                .await
                .map_err(|e| self.fail(e, "Route 53", "route53:ListHostedZonesByName"))?;
            let page: Vec<ZoneSummary> = out
                .hosted_zones()
                .iter()
                .map(|z| ZoneSummary {
                    id: bare_zone_id(z.id()),
                    name: normalize_zone_name(z.name()),
                    private: z
                        .config()
                        .is_some_and(aws_sdk_route53::types::HostedZoneConfig::private_zone),
                    record_count: z.resource_record_set_count(),
                    comment: z.config().and_then(|c| c.comment()).map(str::to_string),
                })
                .collect();
            let (matches, passed) = matching_zones(&name, &page);
            found.extend(matches);
            if passed || !out.is_truncated() {
                break;
            }
            match out.next_dns_name() {
                Some(dns) => {
                    next = Some((
                        dns.to_string(),
                        out.next_hosted_zone_id().map(str::to_string),
                    ));
                }
                None => break,
            }
        }
        let mut zones = Vec::with_capacity(found.len());
        for z in found {
            let nameservers = self.nameservers(&z.id).await?;
            zones.push(HostedZone {
                id: z.id,
                name: z.name,
                nameservers,
                record_count: z.record_count,
                comment: z.comment,
            });
        }
        Ok(zones)
    }

    async fn nameservers(&self, zone_id: &str) -> Result<Vec<String>, AwsError> {
        let out = self
            .route53
            .get_hosted_zone()
            .id(bare_zone_id(zone_id))
            .send()
            .await
            .map_err(|e| self.fail(e, "Route 53", "route53:GetHostedZone"))?;
        Ok(out
            .delegation_set()
            .map(|d| d.name_servers().to_vec())
            .unwrap_or_default())
    }

    async fn distribution(&self, id: &str) -> Result<EdgeDeployment, AwsError> {
        match self.cloudfront.get_distribution().id(id).send().await {
            Ok(out) => Ok(out
                .distribution()
                .map_or(EdgeDeployment::Missing, |d| {
                    EdgeDeployment::from_status(d.status())
                })),
            Err(e)
                if e.as_service_error().is_some_and(
                    aws_sdk_cloudfront::operation::get_distribution::GetDistributionError::is_no_such_distribution,
                ) =>
            {
                Ok(EdgeDeployment::Missing)
            }
            Err(e) => Err(self.fail(e, "CloudFront", "cloudfront:GetDistribution")),
        }
    }

    /// GetEmailIdentity, with NotFound as None.
    async fn email_identity(
        &self,
        identity: &str,
    ) -> Result<
        Option<aws_sdk_sesv2::operation::get_email_identity::GetEmailIdentityOutput>,
        AwsError,
    > {
        match self
            .ses
            .get_email_identity()
            .email_identity(identity)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(aws_sdk_sesv2::operation::get_email_identity::GetEmailIdentityError::is_not_found_exception) =>
            {
                Ok(None)
            }
            Err(e) => Err(self.fail(e, "SES", "ses:GetEmailIdentity")),
        }
    }

    async fn domain(&self, domain: &str) -> Result<DomainIdentityStatus, AwsError> {
        let Some(out) = self.email_identity(domain).await? else {
            return Ok(DomainIdentityStatus::missing(domain));
        };
        let state = |s: Option<&str>| s.map_or(CheckState::NotStarted, CheckState::parse);
        Ok(DomainIdentityStatus {
            domain: domain.to_string(),
            exists: true,
            verified_for_sending: out.verified_for_sending_status(),
            verification: state(
                out.verification_status()
                    .map(aws_sdk_sesv2::types::VerificationStatus::as_str),
            ),
            dkim: state(
                out.dkim_attributes()
                    .and_then(|d| d.status())
                    .map(aws_sdk_sesv2::types::DkimStatus::as_str),
            ),
            dkim_tokens: out
                .dkim_attributes()
                .map(|d| d.tokens().to_vec())
                .unwrap_or_default(),
            mail_from: out
                .mail_from_attributes()
                .filter(|m| !m.mail_from_domain().is_empty())
                .map(|m| MailFromStatus {
                    domain: m.mail_from_domain().to_string(),
                    state: CheckState::parse(m.mail_from_domain_status().as_str()),
                }),
        })
    }

    async fn sender(&self, address: &str) -> Result<SenderStatus, AwsError> {
        let Some(out) = self.email_identity(address).await? else {
            return Ok(SenderStatus::missing(address));
        };
        let verified = out.verified_for_sending_status();
        // An address is verified only once the link was clicked, whatever else SES says.
        let verification = if verified {
            CheckState::Success
        } else {
            match out
                .verification_status()
                .map(|s| CheckState::parse(s.as_str()))
            {
                Some(CheckState::Failed) => CheckState::Failed,
                _ => CheckState::Pending,
            }
        };
        Ok(SenderStatus {
            address: address.to_string(),
            exists: true,
            verified,
            verification,
        })
    }

    async fn account(&self) -> Result<AccountStatus, AwsError> {
        let out = self
            .ses
            .get_account()
            .send()
            .await
            .map_err(|e| self.fail(e, "SES", "ses:GetAccount"))?;
        let details = out.details();
        Ok(AccountStatus {
            production_access: out.production_access_enabled(),
            sending_enabled: out.sending_enabled(),
            quota: out.send_quota().map(|q| SendQuota {
                max_24_hour_send: q.max24_hour_send(),
                max_send_rate: q.max_send_rate(),
                sent_last_24_hours: q.sent_last24_hours(),
            }),
            enforcement_status: out.enforcement_status().map(str::to_string),
            review: details.and_then(|d| d.review_details()).map(|r| Review {
                status: r.status().map_or(ReviewState::Unknown(String::new()), |s| {
                    ReviewState::parse(s.as_str())
                }),
                case_id: r.case_id().map(str::to_string),
            }),
            details: details.map(|d| SubmittedDetails {
                mail_type: d.mail_type().map(|m| m.as_str().to_string()),
                website_url: d.website_url().map(str::to_string),
                use_case_description: d.use_case_description().map(str::to_string),
            }),
            suppressed_reasons: out
                .suppression_attributes()
                .map(|s| {
                    s.suppressed_reasons()
                        .iter()
                        .map(|r| r.as_str().to_string())
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    async fn resend(&self, address: &str) -> Result<SenderStatus, AwsError> {
        let current = self.sender(address).await?;
        if current.verified {
            return Ok(current);
        }
        if current.exists {
            match self
                .ses
                .delete_email_identity()
                .email_identity(address)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .is_some_and(aws_sdk_sesv2::operation::delete_email_identity::DeleteEmailIdentityError::is_not_found_exception) => {}
                Err(e) => return Err(self.fail(e, "SES", "ses:DeleteEmailIdentity")),
            }
        }
        self.ses
            .create_email_identity()
            .email_identity(address)
            .send()
            .await
            .map_err(|e| self.fail(e, "SES", "ses:CreateEmailIdentity"))?;
        self.sender(address).await
    }

    async fn submit(&self, request: &ProductionAccessRequest) -> Result<(), AwsError> {
        let mail_type = match request.mail_type {
            MailType::Transactional => SdkMailType::Transactional,
            MailType::Marketing => SdkMailType::Marketing,
        };
        let language = match request.contact_language {
            ContactLanguage::En => SdkLanguage::En,
            ContactLanguage::Ja => SdkLanguage::Ja,
        };
        let contacts = if request.additional_contacts.is_empty() {
            None
        } else {
            Some(request.additional_contacts.clone())
        };
        self.ses
            .put_account_details()
            .mail_type(mail_type)
            .website_url(request.website_url.clone())
            .contact_language(language)
            .use_case_description(request.use_case_description.trim().to_string())
            .set_additional_contact_email_addresses(contacts)
            .production_access_enabled(true)
            .send()
            .await
            .map_err(|e| self.fail(e, "SES", "ses:PutAccountDetails"))?;
        Ok(())
    }
}

impl AwsApi for SdkAws {
    fn verify_identity(&self) -> AwsFuture<'_, VerifiedIdentity> {
        Box::pin(async move {
            let caller = self.caller().await?;
            let warning = caller.warning();
            Ok(VerifiedIdentity {
                caller,
                expiry: self.session.expiry().cloned(),
                warning,
            })
        })
    }

    fn find_zones<'a>(&'a self, domain: &'a str) -> AwsFuture<'a, Vec<HostedZone>> {
        Box::pin(self.zones(domain))
    }

    fn zone_nameservers<'a>(&'a self, zone_id: &'a str) -> AwsFuture<'a, Vec<String>> {
        Box::pin(self.nameservers(zone_id))
    }

    fn domain_identity<'a>(&'a self, domain: &'a str) -> AwsFuture<'a, DomainIdentityStatus> {
        Box::pin(self.domain(domain))
    }

    fn sender_identity<'a>(&'a self, address: &'a str) -> AwsFuture<'a, SenderStatus> {
        Box::pin(self.sender(address))
    }

    fn account_status(&self) -> AwsFuture<'_, AccountStatus> {
        Box::pin(self.account())
    }

    fn resend_verification<'a>(&'a self, address: &'a str) -> AwsFuture<'a, SenderStatus> {
        Box::pin(self.resend(address))
    }

    fn submit_production_access<'a>(
        &'a self,
        request: &'a ProductionAccessRequest,
    ) -> AwsFuture<'a, ()> {
        Box::pin(self.submit(request))
    }

    fn distribution_status<'a>(&'a self, id: &'a str) -> AwsFuture<'a, EdgeDeployment> {
        Box::pin(self.distribution(id))
    }

    fn delete_failed_identity<'a>(&'a self, name: &'a str) -> AwsFuture<'a, bool> {
        Box::pin(async move {
            if !self.domain(name).await?.gave_up() {
                return Ok(false);
            }
            match self.ses.delete_email_identity().email_identity(name).send().await {
                Ok(_) => Ok(true),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(aws_sdk_sesv2::operation::delete_email_identity::DeleteEmailIdentityError::is_not_found_exception) => Ok(false),
                Err(e) => Err(self.fail(e, "SES", "ses:DeleteEmailIdentity")),
            }
        })
    }
}
