//! AWS accounts and live checkpoint status: profiles, the strict credentials loader, identity,
//! Route 53 zones, SES status and the SES production-access request.
//!
//! ```text
//! let env = AwsEnv::real();
//! let profiles = profiles::discover(&env).await?;              // the picker
//! let target = Target::Profile { env, choice, default_region };
//! let aws = SdkConnector.open(&target, site.region.as_str()).await?; // connect + SDK clients
//! let who = aws.verify_identity().await?;                      // account, ARN, root warning
//! let zones = aws.find_zones("example.com").await?;            // adopt instead of create
//! let ses = aws.domain_identity("example.com").await?;          // the email checkpoint
//! ```
//!
//! The AWS handler reaches AWS only through a [`Connector`], which hands out an [`AwsApi`]:
//! [`SdkConnector`] in production; tests give one that hands out a scripted API. Every failure
//! is an [`AwsError`] whose `Display` is one sentence with the next step.

/// Throwaway credentials the sandbox's emulator accepts (moto maps them to account
/// 123456789012). They live here, below the sandbox, because the credentials loader and the
/// sandbox override file both name them.
pub const SANDBOX_ACCESS_KEY_ID: &str = "AKIASITEUPSANDBOX000";
/// See [`SANDBOX_ACCESS_KEY_ID`].
pub const SANDBOX_SECRET_ACCESS_KEY: &str = "siteup-sandbox-secret-not-a-real-key";

pub mod alerts;
pub mod cloudfront;
pub mod connect;
pub mod env;
pub mod error;
pub mod identity;
pub mod mail_readiness;
pub(crate) mod process;
pub mod production;
pub mod profiles;
pub mod route53;
pub(crate) mod sdk;
pub mod ses;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use alerts::{
    AlarmStatus, AlertTopic, AlertsStatus, BudgetStatus, GuardrailsStatus, SubscriptionState,
    TopicSubscription,
};
pub use cloudfront::EdgeDeployment;
pub use connect::{AwsSession, ConnectOptions, Target, Timeouts, connect, connect_with};
pub use env::AwsEnv;
pub use error::AwsError;
pub use identity::{
    CallerIdentity, ExpirySource, Principal, SessionExpiry, root_warning, warn_if_expires_within,
};
pub use mail_readiness::{ConfigurationSetStatus, MailFacts, MailReadiness};
pub use production::{ProductionAccessRequest, SubmitOutcome, render_ses_request, submit_request};
pub use profiles::{ProfileChoice, ProfileInfo, ProfileKind, ProfileList};
pub use route53::{HostedZone, ZoneImport};
pub use sdk::{SdkAws, SdkConnector};
pub use ses::{AccountStatus, DomainIdentityStatus, ReviewState, SenderStatus};

/// A boxed future of an AWS call (keeps [`AwsApi`] usable as `dyn AwsApi`).
pub type AwsFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AwsError>> + Send + 'a>>;

/// The identity the chosen credentials belong to, and what to warn about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifiedIdentity {
    pub caller: CallerIdentity,
    /// When the session ends, where known (SSO session, temporary keys).
    pub expiry: Option<SessionExpiry>,
    /// The root-user warning, when it applies.
    pub warning: Option<String>,
}

/// Everything the journey asks AWS. Implemented by [`SdkAws`] (the SDK); tests script their own.
pub trait AwsApi: Send + Sync {
    /// STS GetCallerIdentity with the session's expiry and the root warning.
    fn verify_identity(&self) -> AwsFuture<'_, VerifiedIdentity>;

    /// The public hosted zones named exactly `domain`, each with its nameservers.
    fn find_zones<'a>(&'a self, domain: &'a str) -> AwsFuture<'a, Vec<HostedZone>>;

    /// One zone's delegation-set nameservers.
    fn zone_nameservers<'a>(&'a self, zone_id: &'a str) -> AwsFuture<'a, Vec<String>>;

    /// Every record set of one zone, by name and type.
    fn zone_records<'a>(&'a self, zone_id: &'a str) -> AwsFuture<'a, Vec<route53::ZoneRecord>>;

    /// How many items a DynamoDB table holds, as DynamoDB counts them (refreshed about every six
    /// hours); `None` when there is no such table.
    fn table_item_count<'a>(&'a self, table: &'a str) -> AwsFuture<'a, Option<i64>>;

    /// About how many users a Cognito user pool holds; `None` when there is no such pool.
    fn user_pool_users<'a>(&'a self, pool_id: &'a str) -> AwsFuture<'a, Option<i64>>;

    /// The SES domain identity (missing when SES has none).
    fn domain_identity<'a>(&'a self, domain: &'a str) -> AwsFuture<'a, DomainIdentityStatus>;

    /// The SES sender address identity (missing when SES has none).
    fn sender_identity<'a>(&'a self, address: &'a str) -> AwsFuture<'a, SenderStatus>;

    /// An SES configuration set with its event destinations (missing when SES has none).
    fn configuration_set<'a>(&'a self, name: &'a str) -> AwsFuture<'a, ConfigurationSetStatus>;

    /// The SES account: sandbox or production, quota, review.
    fn account_status(&self) -> AwsFuture<'_, AccountStatus>;

    /// Sends the address verification mail again (SESv2 has no resend: the identity is deleted
    /// and created again, which SES answers with a new mail). A verified address is left alone.
    fn resend_verification<'a>(&'a self, address: &'a str) -> AwsFuture<'a, SenderStatus>;

    /// Deletes an SES identity that SES gave up verifying (FAILED), so the next apply creates it
    /// anew: its replacement cannot be created first (the name is taken). Anything else is left
    /// alone; Ok(false) says nothing was deleted.
    fn delete_failed_identity<'a>(&'a self, name: &'a str) -> AwsFuture<'a, bool>;

    /// CloudFront GetDistribution: where the distribution's deployment to the edge stands.
    fn distribution_status<'a>(&'a self, id: &'a str) -> AwsFuture<'a, EdgeDeployment>;

    /// Where the subscriptions of `endpoint` (an email address) to the alerts topics stand.
    fn alert_subscriptions<'a>(
        &'a self,
        topics: &'a [AlertTopic],
        endpoint: &'a str,
    ) -> AwsFuture<'a, AlertsStatus>;

    /// Subscribes `endpoint` again to each topic where it is not confirmed: SNS mails a new
    /// confirmation link (and creates the subscription anew if it was deleted).
    fn resend_alert_confirmation<'a>(
        &'a self,
        topics: &'a [AlertTopic],
        endpoint: &'a str,
    ) -> AwsFuture<'a, AlertsStatus>;

    /// Publishes a notification to a topic; Ok carries SNS's message id.
    fn publish_alert<'a>(
        &'a self,
        topic: &'a AlertTopic,
        subject: &'a str,
        message: &'a str,
    ) -> AwsFuture<'a, String>;

    /// The states of the named CloudWatch alarms in `region` (an alarm CloudWatch does not
    /// have is reported `missing`).
    fn alarm_states<'a>(
        &'a self,
        region: &'a str,
        names: &'a [String],
    ) -> AwsFuture<'a, Vec<AlarmStatus>>;

    /// The account's cost budget of that name, with this month's spend (None: no such budget).
    fn budget<'a>(&'a self, name: &'a str) -> AwsFuture<'a, Option<BudgetStatus>>;

    /// PutAccountDetails with the request and ProductionAccessEnabled = true.
    fn submit_production_access<'a>(
        &'a self,
        request: &'a ProductionAccessRequest,
    ) -> AwsFuture<'a, ()>;
}

/// Opens the [`AwsApi`] of a target: the one way the AWS handler reaches AWS. [`SdkConnector`]
/// loads the credentials with the strict loader ([`connect`]) and talks through the SDK.
pub trait Connector: Send + Sync {
    /// Connects to `target` (a profile that cannot load fails here, with its own sentence), with
    /// SES calls going to `ses_region`.
    fn open<'a>(
        &'a self,
        target: &'a Target,
        ses_region: &'a str,
    ) -> AwsFuture<'a, Arc<dyn AwsApi>>;
}
