//! [`AwsApi`] on the official SDK.

use aws_sdk_sesv2::types::{ContactLanguage as SdkLanguage, MailType as SdkMailType};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use std::sync::Arc;

use super::alerts::{
    AlarmStatus, AlertTopic, AlertsStatus, BudgetStatus, SubscriptionState, TopicSubscription,
};
use super::connect::{AwsSession, Target, connect};
use super::error::{AwsError, CallContext, classify_sdk_error, word};
use super::identity::CallerIdentity;
use super::mail_readiness::{ConfigurationSetStatus, EventDestination};
use super::production::{ContactLanguage, MailType, ProductionAccessRequest};
use super::route53::{
    HostedZone, ZoneRecord, ZoneSummary, bare_zone_id, matching_zones, normalize_zone_name,
};
use super::ses::{
    AccountStatus, CheckState, DomainIdentityStatus, MailFromStatus, Review, ReviewState,
    SendQuota, SenderStatus, SubmittedDetails,
};
use super::{AwsApi, AwsFuture, Connector, EdgeDeployment, VerifiedIdentity};

/// Pages of ListHostedZonesByName siteup reads at most (100 zones each).
const MAX_ZONE_PAGES: usize = 50;
/// Pages of ListSubscriptionsByTopic siteup reads at most (100 subscriptions each).
const MAX_SUBSCRIPTION_PAGES: usize = 20;

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
    dynamodb: aws_sdk_dynamodb::Client,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    cloudfront: aws_sdk_cloudfront::Client,
    ses: aws_sdk_sesv2::Client,
    ses_context: CallContext,
    /// Who the session is, asked of STS once (topic ARNs and Budgets need the account id).
    caller: std::sync::Arc<std::sync::OnceLock<CallerIdentity>>,
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
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(config),
            cloudfront: aws_sdk_cloudfront::Client::new(config),
            ses: aws_sdk_sesv2::Client::new(&session.sdk_config_in(ses_region)),
            ses_context,
            session: session.clone(),
            caller: std::sync::Arc::default(),
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

    /// Who the session is, as STS said the first time (the account id does not change within
    /// a session).
    async fn caller(&self) -> Result<CallerIdentity, AwsError> {
        if let Some(known) = self.caller.get() {
            return Ok(known.clone());
        }
        self.ask_caller().await
    }

    /// Asks STS who the session is (the credentials' check: always a call).
    async fn ask_caller(&self) -> Result<CallerIdentity, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| self.fail(e, "STS", "sts:GetCallerIdentity"))?;
        let caller = CallerIdentity::new(
            out.account().unwrap_or_default().to_string(),
            out.arn().unwrap_or_default().to_string(),
            out.user_id().unwrap_or_default().to_string(),
        );
        Ok(self.caller.get_or_init(|| caller).clone())
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

    async fn records(&self, zone_id: &str) -> Result<Vec<ZoneRecord>, AwsError> {
        let mut found = Vec::new();
        let mut next: Option<(String, aws_sdk_route53::types::RrType)> = None;
        // Route 53 lists at most 300 record sets a page; a zone has at most 10,000 by default.
        for _ in 0..100 {
            let mut ask = self
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(bare_zone_id(zone_id));
            if let Some((name, kind)) = next.take() {
                ask = ask.start_record_name(name).start_record_type(kind);
            }
            let out = ask
                .send()
                .await
                .map_err(|e| self.fail(e, "Route 53", "route53:ListResourceRecordSets"))?;
            found.extend(out.resource_record_sets().iter().map(|r| ZoneRecord {
                name: normalize_zone_name(r.name()),
                kind: r.r#type().as_str().to_string(),
            }));
            match (
                out.is_truncated(),
                out.next_record_name(),
                out.next_record_type(),
            ) {
                (true, Some(name), Some(kind)) => next = Some((name.to_string(), kind.clone())),
                _ => break,
            }
        }
        Ok(found)
    }

    async fn item_count(&self, table: &str) -> Result<Option<i64>, AwsError> {
        match self
            .dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .table()
                .and_then(aws_sdk_dynamodb::types::TableDescription::item_count)),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(self.fail(e, "DynamoDB", "dynamodb:DescribeTable")),
        }
    }

    async fn pool_users(&self, pool_id: &str) -> Result<Option<i64>, AwsError> {
        match self
            .cognito
            .describe_user_pool()
            .user_pool_id(pool_id)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .user_pool()
                .map(|p| i64::from(p.estimated_number_of_users()))),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(self.fail(e, "Cognito", "cognito-idp:DescribeUserPool")),
        }
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
            configuration_set: out
                .configuration_set_name()
                .filter(|n| !n.is_empty())
                .map(str::to_string),
        })
    }

    /// GetConfigurationSet and GetConfigurationSetEventDestinations, with NotFound as missing.
    async fn config_set(&self, name: &str) -> Result<ConfigurationSetStatus, AwsError> {
        use aws_sdk_sesv2::operation::get_configuration_set::GetConfigurationSetError;
        use aws_sdk_sesv2::operation::get_configuration_set_event_destinations::GetConfigurationSetEventDestinationsError;
        let set = match self
            .ses
            .get_configuration_set()
            .configuration_set_name(name)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(GetConfigurationSetError::is_not_found_exception) =>
            {
                return Ok(ConfigurationSetStatus::missing(name));
            }
            Err(e) => return Err(self.fail(e, "SES", "ses:GetConfigurationSet")),
        };
        let destinations = match self
            .ses
            .get_configuration_set_event_destinations()
            .configuration_set_name(name)
            .send()
            .await
        {
            Ok(out) => out
                .event_destinations()
                .iter()
                .map(|d| EventDestination {
                    name: d.name().to_string(),
                    enabled: d.enabled(),
                    events: d
                        .matching_event_types()
                        .iter()
                        .map(|t| t.as_str().to_string())
                        .collect(),
                    sns_topic: d.sns_destination().map(|s| s.topic_arn().to_string()),
                })
                .collect(),
            Err(e)
                if e.as_service_error().is_some_and(
                    GetConfigurationSetEventDestinationsError::is_not_found_exception,
                ) =>
            {
                return Ok(ConfigurationSetStatus::missing(name));
            }
            Err(e) => {
                return Err(self.fail(e, "SES", "ses:GetConfigurationSetEventDestinations"));
            }
        };
        Ok(ConfigurationSetStatus {
            name: name.to_string(),
            exists: true,
            suppressed_reasons: set
                .suppression_options()
                .map(|o| {
                    o.suppressed_reasons()
                        .iter()
                        .map(|r| r.as_str().to_string())
                        .collect()
                })
                .unwrap_or_default(),
            reputation_metrics: set
                .reputation_options()
                .is_some_and(aws_sdk_sesv2::types::ReputationOptions::reputation_metrics_enabled),
            destinations,
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

    /// An SNS client in `region` (each alerts topic lives in its own region).
    fn sns(&self, region: &str) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.session.sdk_config_in(region))
    }

    /// The ARN of a topic of this account, from the caller's partition and account.
    fn topic_arn(caller: &CallerIdentity, topic: &AlertTopic) -> String {
        let partition = caller.arn.split(':').nth(1).unwrap_or("aws");
        format!(
            "arn:{partition}:sns:{}:{}:{}",
            topic.region, caller.account, topic.name
        )
    }

    /// Where `endpoint`'s email subscription to one topic stands.
    async fn subscription(
        &self,
        caller: &CallerIdentity,
        topic: &AlertTopic,
        endpoint: &str,
    ) -> Result<SubscriptionState, AwsError> {
        let sns = self.sns(&topic.region);
        let arn = Self::topic_arn(caller, topic);
        let mut next: Option<String> = None;
        let mut found: Option<String> = None;
        for _ in 0..MAX_SUBSCRIPTION_PAGES {
            let out = match sns
                .list_subscriptions_by_topic()
                .topic_arn(&arn)
                .set_next_token(next.take())
                .send()
                .await
            {
                Ok(out) => out,
                Err(e)
                    if e.as_service_error().is_some_and(
                        aws_sdk_sns::operation::list_subscriptions_by_topic::ListSubscriptionsByTopicError::is_not_found_exception,
                    ) =>
                {
                    return Ok(SubscriptionState::NoTopic);
                }
                Err(e) => return Err(self.fail(e, "SNS", "sns:ListSubscriptionsByTopic")),
            };
            found = out
                .subscriptions()
                .iter()
                .find(|s| {
                    s.protocol() == Some("email")
                        && s.endpoint()
                            .is_some_and(|e| e.eq_ignore_ascii_case(endpoint))
                })
                .and_then(|s| s.subscription_arn().map(str::to_string));
            next = out.next_token().map(str::to_string);
            if found.is_some() || next.is_none() {
                break;
            }
        }
        let Some(subscription) = found else {
            return Ok(SubscriptionState::NotSubscribed);
        };
        // ListSubscriptionsByTopic names a pending subscription "PendingConfirmation"; one
        // created with ReturnSubscriptionArn has its ARN there, pending or not.
        if !subscription.starts_with("arn:") {
            return Ok(SubscriptionState::Pending);
        }
        let attributes = sns
            .get_subscription_attributes()
            .subscription_arn(&subscription)
            .send()
            .await
            .map_err(|e| self.fail(e, "SNS", "sns:GetSubscriptionAttributes"))?;
        let pending = attributes
            .attributes()
            .and_then(|a| a.get("PendingConfirmation"))
            .is_some_and(|v| v == "true");
        Ok(if pending {
            SubscriptionState::Pending
        } else {
            SubscriptionState::Confirmed
        })
    }

    async fn subscriptions(
        &self,
        topics: &[AlertTopic],
        endpoint: &str,
    ) -> Result<AlertsStatus, AwsError> {
        let caller = self.caller().await?;
        let mut out = Vec::new();
        for topic in topics {
            out.push(TopicSubscription {
                topic: topic.clone(),
                state: self.subscription(&caller, topic, endpoint).await?,
            });
        }
        Ok(AlertsStatus {
            endpoint: endpoint.to_string(),
            topics: out,
        })
    }

    async fn resubscribe(
        &self,
        topics: &[AlertTopic],
        endpoint: &str,
    ) -> Result<AlertsStatus, AwsError> {
        let caller = self.caller().await?;
        for topic in topics {
            let state = self.subscription(&caller, topic, endpoint).await?;
            if matches!(
                state,
                SubscriptionState::Pending | SubscriptionState::NotSubscribed
            ) {
                self.sns(&topic.region)
                    .subscribe()
                    .topic_arn(Self::topic_arn(&caller, topic))
                    .protocol("email")
                    .endpoint(endpoint)
                    .send()
                    .await
                    .map_err(|e| self.fail(e, "SNS", "sns:Subscribe"))?;
            }
        }
        self.subscriptions(topics, endpoint).await
    }

    async fn publish(
        &self,
        topic: &AlertTopic,
        subject: &str,
        message: &str,
    ) -> Result<String, AwsError> {
        let caller = self.caller().await?;
        let out = self
            .sns(&topic.region)
            .publish()
            .topic_arn(Self::topic_arn(&caller, topic))
            .subject(subject)
            .message(message)
            .send()
            .await
            .map_err(|e| self.fail(e, "SNS", "sns:Publish"))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }

    async fn alarms(&self, region: &str, names: &[String]) -> Result<Vec<AlarmStatus>, AwsError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let client = aws_sdk_cloudwatch::Client::new(&self.session.sdk_config_in(region));
        let out = client
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(|e| self.fail(e, "CloudWatch", "cloudwatch:DescribeAlarms"))?;
        Ok(names
            .iter()
            .map(|name| {
                let state = out
                    .metric_alarms()
                    .iter()
                    .find(|a| a.alarm_name() == Some(name.as_str()))
                    .and_then(|a| a.state_value())
                    .map_or("missing", aws_sdk_cloudwatch::types::StateValue::as_str);
                AlarmStatus {
                    name: name.clone(),
                    region: region.to_string(),
                    state: state.to_string(),
                }
            })
            .collect())
    }

    async fn budget_of(&self, name: &str) -> Result<Option<BudgetStatus>, AwsError> {
        let caller = self.caller().await?;
        // AWS Budgets answers in us-east-1 only.
        let client = aws_sdk_budgets::Client::new(&self.session.sdk_config_in("us-east-1"));
        let out = match client
            .describe_budget()
            .account_id(&caller.account)
            .budget_name(name)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if e.as_service_error().is_some_and(
                    aws_sdk_budgets::operation::describe_budget::DescribeBudgetError::is_not_found_exception,
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(self.fail(e, "Budgets", "budgets:DescribeBudget")),
        };
        let Some(budget) = out.budget() else {
            return Ok(None);
        };
        let spend = |s: &aws_sdk_budgets::types::Spend| format!("{} {}", s.amount(), s.unit());
        Ok(Some(BudgetStatus {
            name: name.to_string(),
            limit: budget.budget_limit().map(spend).unwrap_or_default(),
            actual: budget
                .calculated_spend()
                .and_then(|c| c.actual_spend())
                .map(spend),
            forecast: budget
                .calculated_spend()
                .and_then(|c| c.forecasted_spend())
                .map(spend),
        }))
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
            let caller = self.ask_caller().await?;
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

    fn zone_records<'a>(&'a self, zone_id: &'a str) -> AwsFuture<'a, Vec<ZoneRecord>> {
        Box::pin(self.records(zone_id))
    }

    fn table_item_count<'a>(&'a self, table: &'a str) -> AwsFuture<'a, Option<i64>> {
        Box::pin(self.item_count(table))
    }

    fn user_pool_users<'a>(&'a self, pool_id: &'a str) -> AwsFuture<'a, Option<i64>> {
        Box::pin(self.pool_users(pool_id))
    }

    fn domain_identity<'a>(&'a self, domain: &'a str) -> AwsFuture<'a, DomainIdentityStatus> {
        Box::pin(self.domain(domain))
    }

    fn sender_identity<'a>(&'a self, address: &'a str) -> AwsFuture<'a, SenderStatus> {
        Box::pin(self.sender(address))
    }

    fn configuration_set<'a>(&'a self, name: &'a str) -> AwsFuture<'a, ConfigurationSetStatus> {
        Box::pin(self.config_set(name))
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

    fn alert_subscriptions<'a>(
        &'a self,
        topics: &'a [AlertTopic],
        endpoint: &'a str,
    ) -> AwsFuture<'a, AlertsStatus> {
        Box::pin(self.subscriptions(topics, endpoint))
    }

    fn resend_alert_confirmation<'a>(
        &'a self,
        topics: &'a [AlertTopic],
        endpoint: &'a str,
    ) -> AwsFuture<'a, AlertsStatus> {
        Box::pin(self.resubscribe(topics, endpoint))
    }

    fn publish_alert<'a>(
        &'a self,
        topic: &'a AlertTopic,
        subject: &'a str,
        message: &'a str,
    ) -> AwsFuture<'a, String> {
        Box::pin(self.publish(topic, subject, message))
    }

    fn alarm_states<'a>(
        &'a self,
        region: &'a str,
        names: &'a [String],
    ) -> AwsFuture<'a, Vec<AlarmStatus>> {
        Box::pin(self.alarms(region, names))
    }

    fn budget<'a>(&'a self, name: &'a str) -> AwsFuture<'a, Option<BudgetStatus>> {
        Box::pin(self.budget_of(name))
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
