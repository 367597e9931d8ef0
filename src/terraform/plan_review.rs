//! The plan review: what a saved plan (`terraform show -json PLAN`) will do, grouped and ordered
//! so that destruction is read first, each dangerous change named with its consequence, and the
//! approval that gates `terraform apply PLAN`.
//!
//! Pure data and text: the UI renders [`PlanReview`] and asks the [`Approval`] question; only an
//! accepted answer yields the [`ApprovedPlan`] that the runner needs to apply.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::TfError;
use super::events::{Action, Diagnostic};

/// What a change does to one resource, as the review groups it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// Destroyed and created again (in either order).
    Replace,
    Delete,
    Update,
    Create,
    /// Dropped from the state; the real object is left alone.
    Forget,
    /// An existing object taken under management (an `import` block); nothing changes in AWS.
    Import,
}

impl ChangeKind {
    pub fn is_destructive(self) -> bool {
        matches!(self, ChangeKind::Replace | ChangeKind::Delete)
    }

    /// The marker terraform itself uses.
    pub fn symbol(self) -> &'static str {
        match self {
            ChangeKind::Replace => "-/+",
            ChangeKind::Delete => "-",
            ChangeKind::Update => "~",
            ChangeKind::Create => "+",
            ChangeKind::Forget => ".",
            ChangeKind::Import => "<=",
        }
    }

    /// The order a plan's counts are told in: what destroys first, what changes nothing in
    /// AWS last.
    pub const COUNT_ORDER: [ChangeKind; 6] = [
        ChangeKind::Delete,
        ChangeKind::Replace,
        ChangeKind::Create,
        ChangeKind::Update,
        ChangeKind::Import,
        ChangeKind::Forget,
    ];

    /// The words of a plan's count of this kind: "2 to destroy", "1 to adopt".
    pub fn count_words(self) -> &'static str {
        match self {
            ChangeKind::Replace => "replace",
            ChangeKind::Delete => "destroy",
            ChangeKind::Update => "update",
            ChangeKind::Create => "create",
            ChangeKind::Forget => "forget (kept in AWS)",
            ChangeKind::Import => "adopt",
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            ChangeKind::Replace => "replace",
            ChangeKind::Delete => "delete",
            ChangeKind::Update => "update",
            ChangeKind::Create => "create",
            ChangeKind::Forget => "forget",
            ChangeKind::Import => "import",
        }
    }
}

/// A plan's counts as phrases, in [`ChangeKind::COUNT_ORDER`], zeros left out:
/// `(Delete, "2 to destroy")`. The one wording of plan counts: the core, the review pane, plain
/// mode and `up` all tell them through this.
pub fn count_phrases(count: impl Fn(ChangeKind) -> usize) -> Vec<(ChangeKind, String)> {
    ChangeKind::COUNT_ORDER
        .into_iter()
        .filter_map(|k| {
            let n = count(k);
            (n > 0).then(|| (k, format!("{n} to {}", k.count_words())))
        })
        .collect()
}

/// The counts in one line ("1 to destroy, 3 to create"), or "no changes" when the plan changes
/// nothing (a plan that only adopts or forgets is a change).
pub fn counts_sentence(count: impl Fn(ChangeKind) -> usize) -> String {
    let phrases = count_phrases(count);
    if phrases.is_empty() {
        "no changes".to_string()
    } else {
        phrases
            .into_iter()
            .map(|(_, p)| p)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Resources whose destruction costs the user something beyond a few seconds of terraform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Danger {
    /// Route 53 hosted zone: a new zone gets new nameservers.
    HostedZone,
    /// Cognito user pool: every account lives in it.
    UserPool,
    /// DynamoDB table: its items.
    Table,
    /// S3 bucket: its objects.
    Bucket,
    /// CloudFront distribution: slow to create.
    Distribution,
    /// ACM certificate: must be validated again.
    Certificate,
    /// SES identity: sending stops until it is verified again.
    EmailIdentity,
}

impl Danger {
    /// The danger of destroying a resource of this terraform type, if any.
    pub fn of_type(resource_type: &str) -> Option<Danger> {
        Some(match resource_type {
            "aws_route53_zone" => Danger::HostedZone,
            "aws_cognito_user_pool" => Danger::UserPool,
            "aws_dynamodb_table" => Danger::Table,
            "aws_s3_bucket" => Danger::Bucket,
            "aws_cloudfront_distribution" => Danger::Distribution,
            "aws_acm_certificate" => Danger::Certificate,
            "aws_sesv2_email_identity" | "aws_ses_domain_identity" | "aws_ses_email_identity" => {
                Danger::EmailIdentity
            }
            _ => return None,
        })
    }

    /// What the user loses when the resource is replaced or deleted.
    pub fn consequence(self, kind: ChangeKind) -> &'static str {
        let replaced = kind == ChangeKind::Replace;
        match self {
            Danger::HostedZone if replaced => {
                "A new zone gets new nameservers: the registrar step must be redone, and the domain stops resolving until it is."
            }
            Danger::HostedZone => {
                "The domain's DNS goes away: the site, the API and email stop working."
            }
            Danger::UserPool => {
                "Every user account is lost; nobody can sign in with their old account."
            }
            Danger::Table => "Its data is lost.",
            Danger::Bucket => "Its data is lost (every object in the bucket).",
            Danger::Distribution if replaced => {
                "The site is down for about 15-30 minutes while it is recreated."
            }
            Danger::Distribution => "The site goes offline.",
            Danger::Certificate if replaced => {
                "A new certificate must be issued and validated; HTTPS can fail until it is."
            }
            Danger::Certificate => "HTTPS stops working for the names it covers.",
            Danger::EmailIdentity => {
                "Email sending stops until the identity is verified again (new DKIM records)."
            }
        }
    }
}

/// A human name for a terraform resource type, e.g. "CloudFront distribution".
pub fn human_type(resource_type: &str) -> String {
    let known = match resource_type {
        "aws_route53_zone" => "Route 53 hosted zone",
        "aws_route53_record" => "DNS record",
        "aws_acm_certificate" => "TLS certificate",
        "aws_acm_certificate_validation" => "certificate validation",
        "aws_cloudfront_distribution" => "CloudFront distribution",
        "aws_cloudfront_origin_access_control" => "CloudFront origin access control",
        "aws_cloudfront_function" => "CloudFront function",
        "aws_cloudfront_cache_policy" => "CloudFront cache policy",
        "aws_cloudfront_response_headers_policy" => "CloudFront response headers policy",
        "aws_s3_bucket" => "S3 bucket",
        "aws_s3_bucket_policy" => "S3 bucket policy",
        "aws_s3_bucket_public_access_block" => "S3 public access block",
        "aws_s3_bucket_versioning" => "S3 bucket versioning",
        "aws_s3_bucket_server_side_encryption_configuration" => "S3 bucket encryption",
        "aws_s3_bucket_ownership_controls" => "S3 bucket ownership controls",
        "aws_s3_bucket_cors_configuration" => "S3 bucket CORS rules",
        "aws_s3_bucket_lifecycle_configuration" => "S3 bucket lifecycle rules",
        "aws_s3_bucket_website_configuration" => "S3 website configuration",
        "aws_s3_object" => "S3 object",
        "aws_dynamodb_table" => "DynamoDB table",
        "aws_cognito_user_pool" => "Cognito user pool",
        "aws_cognito_user_pool_client" => "Cognito app client",
        "aws_cognito_user_pool_domain" => "Cognito sign-in domain",
        "aws_cognito_identity_pool" => "Cognito identity pool",
        "aws_cognito_identity_pool_roles_attachment" => "Cognito identity pool roles",
        "aws_iam_role" => "IAM role",
        "aws_iam_role_policy" => "IAM role policy",
        "aws_iam_policy" => "IAM policy",
        "aws_iam_role_policy_attachment" => "IAM policy attachment",
        "aws_lambda_function" => "Lambda function",
        "aws_lambda_permission" => "Lambda permission",
        "aws_api_gateway_rest_api" => "API Gateway REST API",
        "aws_api_gateway_resource" => "API Gateway resource",
        "aws_api_gateway_method" => "API Gateway method",
        "aws_api_gateway_method_response" => "API Gateway method response",
        "aws_api_gateway_integration" => "API Gateway integration",
        "aws_api_gateway_integration_response" => "API Gateway integration response",
        "aws_api_gateway_deployment" => "API Gateway deployment",
        "aws_api_gateway_stage" => "API Gateway stage",
        "aws_api_gateway_method_settings" => "API Gateway method settings",
        "aws_api_gateway_domain_name" => "API Gateway custom domain",
        "aws_api_gateway_base_path_mapping" => "API Gateway base path mapping",
        "aws_api_gateway_gateway_response" => "API Gateway gateway response",
        "aws_api_gateway_authorizer" => "API Gateway authorizer",
        "aws_api_gateway_account" => "API Gateway account settings",
        "aws_cloudwatch_log_group" => "CloudWatch log group",
        "aws_cloudwatch_metric_alarm" => "CloudWatch alarm",
        "aws_sesv2_email_identity" => "SES email identity",
        "aws_sesv2_email_identity_mail_from_attributes" => "SES MAIL FROM settings",
        "aws_sesv2_configuration_set" => "SES configuration set",
        "aws_ses_domain_identity" => "SES domain identity",
        "aws_ses_domain_dkim" => "SES DKIM settings",
        "aws_ses_domain_mail_from" => "SES MAIL FROM settings",
        "aws_ses_email_identity" => "SES email address identity",
        "aws_ses_receipt_rule" => "SES receipt rule",
        "aws_ses_receipt_rule_set" => "SES receipt rule set",
        "aws_sns_topic" => "SNS topic",
        "aws_budgets_budget" => "budget",
        "terraform_data" => "terraform data",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let stripped = resource_type.strip_prefix("aws_").unwrap_or(resource_type);
    stripped.replace('_', " ")
}

/// One resource in the review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewItem {
    pub address: String,
    pub resource_type: String,
    /// e.g. "CloudFront distribution".
    pub human_type: String,
    pub kind: ChangeKind,
    /// Terraform's reason, e.g. `replace_because_tainted`, `delete_because_no_resource_config`.
    pub reason: Option<String>,
    /// Set when the change destroys something whose loss matters (see [`Danger`]).
    pub danger: Option<Danger>,
    /// A deposed object (left over from a failed create-before-destroy) is being removed.
    pub deposed: bool,
    /// The change destroys an object whose deletion protection is on (a DynamoDB table with
    /// `deletion_protection_enabled`, a Cognito user pool with `deletion_protection = "ACTIVE"`):
    /// AWS refuses the deletion, so an apply would stop half done.
    pub deletion_protected: bool,
}

impl ReviewItem {
    /// The consequence sentence, for destructive changes of dangerous resources.
    pub fn consequence(&self) -> Option<&'static str> {
        self.danger.map(|d| d.consequence(self.kind))
    }

    /// Terraform's reason in words, when it helps.
    pub fn reason_text(&self) -> Option<&'static str> {
        Some(match self.reason.as_deref()? {
            "replace_because_tainted" => "it was left half-created by an earlier run",
            "replace_because_cannot_update" => "a setting changed that cannot be updated in place",
            "replace_by_request" => "you asked for it to be replaced",
            "replace_by_triggers" => "a replacement trigger changed",
            "delete_because_no_resource_config" => "it is no longer in the configuration",
            "delete_because_no_module" => "its module is no longer in the configuration",
            "delete_because_wrong_repetition"
            | "delete_because_count_index"
            | "delete_because_each_key" => "fewer copies are configured now",
            "delete_because_no_move_target" => "the moved block points to nothing",
            _ => return None,
        })
    }
}

/// A saved plan file and the hash of its contents when it was reviewed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedPlan {
    path: PathBuf,
    sha256: [u8; 32],
}

impl SavedPlan {
    /// Reads and hashes a plan file written by `terraform plan -out=PATH`.
    pub fn from_file(path: &Path) -> Result<SavedPlan, TfError> {
        let bytes = std::fs::read(path).map_err(|source| TfError::PlanUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(SavedPlan {
            path: path.to_path_buf(),
            sha256: Sha256::digest(&bytes).into(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that the file still has the contents that were reviewed.
    pub fn verify_unchanged(&self) -> Result<(), TfError> {
        let now = SavedPlan::from_file(&self.path)?;
        if now.sha256 == self.sha256 {
            Ok(())
        } else {
            Err(TfError::PlanChanged {
                path: self.path.clone(),
            })
        }
    }
}

/// A saved plan the user approved: the only thing `terraform apply` is ever run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedPlan {
    plan: SavedPlan,
}

impl ApprovedPlan {
    pub fn saved(&self) -> &SavedPlan {
        &self.plan
    }
}

/// The question that gates the apply. The default answer is always No.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approval {
    /// The plan changes nothing: there is nothing to apply.
    NothingToDo,
    /// Only creations and in-place updates: a yes/no question, No by default.
    YesNo { question: String },
    /// Something is destroyed or replaced: the user must type `word` exactly.
    TypeToConfirm { word: String, question: String },
}

/// The word to type when a plan destroys or replaces something.
pub const CONFIRM_WORD: &str = "destroy";

impl Approval {
    /// Whether `answer` approves. Empty, "n", anything unexpected: no.
    pub fn accepts(&self, answer: &str) -> bool {
        let answer = answer.trim();
        match self {
            Approval::NothingToDo => false,
            Approval::YesNo { .. } => {
                answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes")
            }
            Approval::TypeToConfirm { word, .. } => answer == word,
        }
    }

    pub fn question(&self) -> &str {
        match self {
            Approval::NothingToDo => "The plan changes nothing; there is nothing to apply.",
            Approval::YesNo { question } | Approval::TypeToConfirm { question, .. } => question,
        }
    }
}

/// Why a plan was not approved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotApproved {
    #[error("the plan was not approved, so nothing was changed")]
    Declined,
    #[error("the plan changes nothing, so there is nothing to apply")]
    NothingToDo,
    #[error(
        "this review was not made from a saved plan file, so it cannot be applied; plan again with -out"
    )]
    NoSavedPlan,
}

/// A saved plan, reviewed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PlanReview {
    /// Every resource that changes, destructive ones first (see [`PlanReview::ordered`]).
    items: Vec<ReviewItem>,
    /// Plan-time warnings and errors from the `plan -json` stream (deprecations show only there).
    pub diagnostics: Vec<Diagnostic>,
    /// Resources AWS gave up on (read from the refreshed state) that this plan does not replace.
    pub expired: Vec<Expired>,
    /// Terraform reported the plan as errored (incomplete): it must not be applied.
    pub errored: bool,
    saved: Option<SavedPlan>,
}

#[derive(Deserialize)]
struct WirePlan {
    #[serde(default)]
    resource_changes: Vec<WireResourceChange>,
    #[serde(default)]
    errored: bool,
    /// The state as the plan's refresh read it.
    #[serde(default)]
    prior_state: Option<WireState>,
    /// What the refresh found changed outside terraform (objects gone show as "delete").
    #[serde(default)]
    resource_drift: Vec<WireDrift>,
}

#[derive(Deserialize)]
struct WireDrift {
    address: String,
    #[serde(rename = "type", default)]
    resource_type: String,
    change: WireDriftChange,
}

#[derive(Deserialize)]
struct WireDriftChange {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    before: serde_json::Value,
}

/// Why an SES identity is created again, in one sentence.
fn identity_why(identity: &str) -> String {
    format!(
        "SES looked for the DKIM records of {identity} for 72 hours and then stopped (FAILED); siteup deleted that identity, so this plan creates it again with new DKIM records, which SES verifies within minutes now that the nameservers are live."
    )
}

impl WireDrift {
    /// A certificate that was still waiting for validation and is gone from the refreshed
    /// state: the provider forgets a certificate ACM timed out (VALIDATION_TIMED_OUT), and the
    /// plan requests a new one by itself.
    fn expired(&self) -> Option<Expired> {
        if self.change.actions != ["delete"] {
            return None;
        }
        let before = &self.change.before;
        if self.resource_type == "aws_sesv2_email_identity" {
            // Gone from AWS: siteup deletes one SES gave up on (WireStateResource::expired); the
            // state still holds it as it was when last applied.
            let identity = before.get("email_identity").and_then(|v| v.as_str())?;
            return Some(Expired {
                address: self.address.clone(),
                why: format!(
                    "The SES identity {identity} no longer exists in AWS (siteup deletes one that SES gave up verifying after 72 hours); this plan creates it again with new DKIM records, which SES verifies within minutes now that the nameservers are live."
                ),
                delete_first: false,
                name: identity.to_string(),
            });
        }
        if self.resource_type != "aws_acm_certificate" {
            return None;
        }
        if before.get("status").and_then(|v| v.as_str()) != Some("PENDING_VALIDATION") {
            return None;
        }
        let domain = before
            .get("domain_name")
            .and_then(|v| v.as_str())
            .unwrap_or("the site");
        Some(Expired {
            address: self.address.clone(),
            why: format!(
                "The certificate for {domain} waited more than 72 hours for its DNS validation, so AWS stopped trying (VALIDATION_TIMED_OUT); this plan requests a new one, which validates within minutes now that the nameservers are live, and the old one stays in ACM, unused and free, until you delete it in the ACM console."
            ),
            delete_first: false,
            name: domain.to_string(),
        })
    }
}

#[derive(Deserialize)]
struct WireState {
    #[serde(default)]
    values: Option<WireStateValues>,
}

#[derive(Deserialize)]
struct WireStateValues {
    #[serde(default)]
    root_module: Option<WireModule>,
}

#[derive(Deserialize)]
struct WireModule {
    #[serde(default)]
    resources: Vec<WireStateResource>,
}

#[derive(Deserialize)]
struct WireStateResource {
    address: String,
    #[serde(default)]
    mode: String,
    #[serde(rename = "type", default)]
    resource_type: String,
    #[serde(default)]
    values: serde_json::Value,
}

/// A resource AWS gave up on while it waited for a person: it can never succeed as it is, and
/// only a new one (terraform's `-replace`) starts the wait again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expired {
    pub address: String,
    /// One sentence: what AWS did and what the next apply does about it.
    pub why: String,
    /// siteup must delete it before planning again (it cannot be replaced in place: its
    /// replacement would be created first under a name still taken); false when terraform
    /// already plans a new one by itself.
    pub delete_first: bool,
    /// The AWS name of the object (the SES identity, the certificate's domain).
    pub name: String,
}

impl WireStateResource {
    /// Whether AWS stopped waiting for this resource (read from the refreshed state): a
    /// certificate still unvalidated 72 hours after its request (ACM: VALIDATION_TIMED_OUT), a
    /// domain identity whose DKIM records SES did not find within 72 hours (DKIM FAILED).
    fn expired(&self) -> Option<Expired> {
        if self.mode == "data" {
            return None;
        }
        let mut name = String::new();
        let why = match self.resource_type.as_str() {
            "aws_acm_certificate" => {
                let status = self.values.get("status").and_then(|v| v.as_str())?;
                if !matches!(status, "VALIDATION_TIMED_OUT" | "FAILED") {
                    return None;
                }
                let domain = self
                    .values
                    .get("domain_name")
                    .and_then(|v| v.as_str())
                    .unwrap_or("the site");
                domain.clone_into(&mut name);
                format!(
                    "The certificate for {domain} waited more than 72 hours for its DNS validation, so AWS stopped trying ({status}); this plan replaces it with a new one, which validates within minutes now that the nameservers are live."
                )
            }
            "aws_sesv2_email_identity" => {
                let status = self
                    .values
                    .get("dkim_signing_attributes")
                    .and_then(|v| v.get(0))
                    .and_then(|v| v.get("status"))
                    .and_then(|v| v.as_str())?;
                if status != "FAILED" {
                    return None;
                }
                let identity = self
                    .values
                    .get("email_identity")
                    .and_then(|v| v.as_str())
                    .unwrap_or("the domain");
                identity.clone_into(&mut name);
                identity_why(identity)
            }
            _ => return None,
        };
        Some(Expired {
            address: self.address.clone(),
            why,
            delete_first: true,
            name,
        })
    }
}

#[derive(Deserialize)]
struct WireResourceChange {
    address: String,
    #[serde(default)]
    mode: String,
    #[serde(rename = "type", default)]
    resource_type: String,
    #[serde(default)]
    deposed: Option<String>,
    change: WireChange,
    #[serde(default)]
    action_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireChange {
    #[serde(default)]
    actions: Vec<String>,
    /// Set when an `import` block takes an existing object under management.
    #[serde(default)]
    importing: Option<serde_json::Value>,
    /// The object as it is now (null for a creation).
    #[serde(default)]
    before: Option<serde_json::Value>,
}

/// Whether `before` (a resource's attributes in the plan) has its deletion protection on.
fn deletion_protection_on(before: Option<&serde_json::Value>) -> bool {
    before.is_some_and(|b| {
        b.get("deletion_protection_enabled") == Some(&serde_json::Value::Bool(true))
            || b.get("deletion_protection")
                .and_then(serde_json::Value::as_str)
                == Some("ACTIVE")
    })
}

fn kind_of(actions: &[String], importing: bool) -> Option<ChangeKind> {
    let actions: Vec<Action> = actions.iter().map(|a| Action::parse(a)).collect();
    match actions.as_slice() {
        [Action::NoOp] | [] if importing => Some(ChangeKind::Import),
        [Action::Create] => Some(ChangeKind::Create),
        [Action::Update] => Some(ChangeKind::Update),
        [Action::Delete] => Some(ChangeKind::Delete),
        [Action::Forget] => Some(ChangeKind::Forget),
        [Action::Delete, Action::Create] | [Action::Create, Action::Delete] => {
            Some(ChangeKind::Replace)
        }
        [Action::Replace] => Some(ChangeKind::Replace),
        // no-op, read, and anything terraform adds later that changes nothing we can name.
        _ => None,
    }
}

impl PlanReview {
    /// Builds the review from the stdout of `terraform show -json PLAN`. `saved` is the plan file
    /// the JSON describes (needed to approve it).
    pub fn from_show_json(json: &[u8], saved: Option<SavedPlan>) -> Result<PlanReview, TfError> {
        let wire: WirePlan = serde_json::from_slice(json).map_err(|e| TfError::PlanJson {
            reason: e.to_string(),
        })?;
        let mut items: Vec<ReviewItem> = wire
            .resource_changes
            .into_iter()
            .filter(|rc| rc.mode != "data")
            .filter_map(|rc| {
                let kind = kind_of(&rc.change.actions, rc.change.importing.is_some())?;
                let danger = if kind.is_destructive() {
                    Danger::of_type(&rc.resource_type)
                } else {
                    None
                };
                let deletion_protected =
                    kind.is_destructive() && deletion_protection_on(rc.change.before.as_ref());
                Some(ReviewItem {
                    deletion_protected,
                    human_type: human_type(&rc.resource_type),
                    address: rc.address,
                    resource_type: rc.resource_type,
                    kind,
                    reason: rc.action_reason,
                    danger,
                    deposed: rc.deposed.is_some(),
                })
            })
            .collect();
        items.sort_by_key(order_key);
        let replaced: std::collections::BTreeSet<&str> = items
            .iter()
            .filter(|i| i.kind.is_destructive())
            .map(|i| i.address.as_str())
            .collect();
        let expired = wire
            .prior_state
            .and_then(|s| s.values)
            .and_then(|v| v.root_module)
            .map(|m| m.resources)
            .unwrap_or_default()
            .iter()
            .filter_map(WireStateResource::expired)
            .chain(wire.resource_drift.iter().filter_map(WireDrift::expired))
            .filter(|e| !replaced.contains(e.address.as_str()))
            .collect();
        Ok(PlanReview {
            items,
            expired,
            diagnostics: Vec::new(),
            errored: wire.errored,
            saved,
        })
    }

    /// Adds the plan-time diagnostics collected from the `plan -json` stream.
    pub fn with_diagnostics(mut self, diagnostics: Vec<Diagnostic>) -> PlanReview {
        self.diagnostics = diagnostics;
        self
    }

    /// Every change, in reading order: dangerous destructions first, then other replacements
    /// and deletions, then updates, creations, and state-only removals.
    pub fn ordered(&self) -> &[ReviewItem] {
        &self.items
    }

    pub fn of_kind(&self, kind: ChangeKind) -> impl Iterator<Item = &ReviewItem> {
        self.items.iter().filter(move |i| i.kind == kind)
    }

    pub fn count(&self, kind: ChangeKind) -> usize {
        self.of_kind(kind).count()
    }

    /// The destructive changes of dangerous resources, each with its consequence.
    pub fn dangers(&self) -> impl Iterator<Item = (&ReviewItem, &'static str)> {
        self.items
            .iter()
            .filter_map(|i| i.consequence().map(|c| (i, c)))
    }

    /// The changes that destroy an object whose deletion protection is on: AWS refuses them.
    pub fn protected_deletions(&self) -> impl Iterator<Item = &ReviewItem> {
        self.items.iter().filter(|i| i.deletion_protected)
    }

    pub fn is_destructive(&self) -> bool {
        self.items.iter().any(|i| i.kind.is_destructive())
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_warning())
    }

    /// "1 to destroy, 2 to replace, 3 to create, 1 to update" (only the non-zero counts).
    pub fn counts_line(&self) -> String {
        counts_sentence(|k| self.count(k))
    }

    /// The approval question for this plan (default No; typed confirmation for destruction).
    pub fn approval(&self) -> Approval {
        if self.is_empty() {
            return Approval::NothingToDo;
        }
        if self.is_destructive() {
            let n = self
                .items
                .iter()
                .filter(|i| i.kind.is_destructive())
                .count();
            let what = if n == 1 {
                "1 resource".to_string()
            } else {
                format!("{n} resources")
            };
            Approval::TypeToConfirm {
                word: CONFIRM_WORD.to_string(),
                question: format!(
                    "This plan destroys or replaces {what}. Type \"{CONFIRM_WORD}\" to apply it; anything else cancels."
                ),
            }
        } else {
            Approval::YesNo {
                question: format!("Apply this plan ({})? [y/N]", self.counts_line()),
            }
        }
    }

    /// Turns the user's answer into an [`ApprovedPlan`], or says why not.
    pub fn approve(&self, answer: &str) -> Result<ApprovedPlan, NotApproved> {
        let approval = self.approval();
        if approval == Approval::NothingToDo {
            return Err(NotApproved::NothingToDo);
        }
        if !approval.accepts(answer) {
            return Err(NotApproved::Declined);
        }
        let plan = self.saved.clone().ok_or(NotApproved::NoSavedPlan)?;
        Ok(ApprovedPlan { plan })
    }

    /// The review as plain text (for the line-by-line mode and logs).
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Terraform's plan: {}.", self.counts_line());
        if self.errored {
            let _ = writeln!(
                out,
                "Terraform reported errors while planning: this plan is incomplete and cannot be applied."
            );
        }
        let sections: [(&str, &[ChangeKind]); 5] = [
            (
                "Destroyed or replaced (read these first):",
                &[ChangeKind::Replace, ChangeKind::Delete],
            ),
            ("Updated in place:", &[ChangeKind::Update]),
            ("Created:", &[ChangeKind::Create]),
            (
                "Adopted (already in AWS, now managed by terraform; nothing changes):",
                &[ChangeKind::Import],
            ),
            (
                "Removed from terraform's state only (the real resource stays):",
                &[ChangeKind::Forget],
            ),
        ];
        for (title, kinds) in sections {
            let items: Vec<&ReviewItem> = self
                .items
                .iter()
                .filter(|i| kinds.contains(&i.kind))
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title}");
            for i in items {
                let _ = writeln!(
                    out,
                    "  {:<3} {:<7} {} ({}{})",
                    i.kind.symbol(),
                    i.kind.verb(),
                    i.human_type,
                    i.address,
                    if i.deposed { ", leftover copy" } else { "" }
                );
                if let Some(c) = i.consequence() {
                    let _ = writeln!(out, "              ! {c}");
                }
                if i.kind.is_destructive()
                    && let Some(r) = i.reason_text()
                {
                    let _ = writeln!(out, "              because {r}");
                }
            }
        }
        let warnings: Vec<&Diagnostic> = self.warnings().collect();
        if !warnings.is_empty() {
            let _ = writeln!(out, "\nWarnings from terraform ({}):", warnings.len());
            for w in warnings {
                match &w.address {
                    Some(a) => {
                        let _ = writeln!(out, "  {a}: {}", w.one_line());
                    }
                    None => {
                        let _ = writeln!(out, "  {}", w.one_line());
                    }
                }
            }
        }
        out
    }
}

fn order_key(i: &ReviewItem) -> (u8, Option<Danger>, ChangeKind, String) {
    let group = match (i.kind.is_destructive(), i.danger.is_some()) {
        (true, true) => 0,
        (true, false) => 1,
        (false, _) => 2,
    };
    // Within a group: by danger (zone, user pool, table, bucket, ...), then replace before
    // delete before update before create, then by address.
    (group, i.danger, i.kind, i.address.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(changes: &[(&str, &str, &[&str])]) -> Vec<u8> {
        let rcs: Vec<serde_json::Value> = changes
            .iter()
            .map(|(addr, ty, actions)| {
                serde_json::json!({
                    "address": addr, "mode": "managed", "type": ty, "name": "x",
                    "change": {"actions": actions, "before": {"secret": "hidden"}}
                })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({"format_version": "1.2", "resource_changes": rcs}))
            .expect("json")
    }

    #[test]
    fn groups_and_orders() {
        let json = plan(&[
            ("aws_route53_record.www", "aws_route53_record", &["create"]),
            (
                "aws_lambda_function.api",
                "aws_lambda_function",
                &["update"],
            ),
            ("aws_iam_role.old", "aws_iam_role", &["delete"]),
            ("aws_s3_bucket.uploads", "aws_s3_bucket", &["delete"]),
            (
                "aws_route53_zone.main",
                "aws_route53_zone",
                &["delete", "create"],
            ),
            (
                "data.aws_caller_identity.me",
                "aws_caller_identity",
                &["read"],
            ),
            ("aws_s3_bucket.site", "aws_s3_bucket", &["no-op"]),
        ]);
        let review = PlanReview::from_show_json(&json, None).expect("parses");
        let order: Vec<&str> = review
            .ordered()
            .iter()
            .map(|i| i.address.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "aws_route53_zone.main",
                "aws_s3_bucket.uploads",
                "aws_iam_role.old",
                "aws_lambda_function.api",
                "aws_route53_record.www",
            ]
        );
        assert_eq!(
            review.counts_line(),
            "2 to destroy, 1 to replace, 1 to create, 1 to update"
        );
        assert!(review.is_destructive());
        assert_eq!(review.dangers().count(), 2);
    }

    #[test]
    fn an_import_block_is_an_adoption_not_a_no_op() {
        let json = serde_json::to_vec(&serde_json::json!({
            "format_version": "1.2",
            "resource_changes": [{
                "address": "aws_route53_zone.main", "mode": "managed",
                "type": "aws_route53_zone", "name": "main",
                "change": {"actions": ["no-op"], "importing": {"id": "Z123"}}
            }, {
                "address": "aws_s3_bucket.site", "mode": "managed",
                "type": "aws_s3_bucket", "name": "site",
                "change": {"actions": ["no-op"]}
            }]
        }))
        .expect("json");
        let review = PlanReview::from_show_json(&json, None).expect("parses");
        assert_eq!(review.count(ChangeKind::Import), 1);
        assert_eq!(review.ordered().len(), 1, "the plain no-op is not listed");
        assert!(!review.is_destructive());
        assert_eq!(review.counts_line(), "1 to adopt");
        assert!(
            review.render_text().contains("Adopted"),
            "{}",
            review.render_text()
        );
    }

    #[test]
    fn deleting_what_deletion_protection_holds_is_found_from_the_objects_as_they_are() {
        let change = |address: &str, ty: &str, actions: &[&str], before: serde_json::Value| {
            serde_json::json!({
                "address": address, "mode": "managed", "type": ty, "name": "main",
                "change": {"actions": actions, "before": before}
            })
        };
        let json = serde_json::to_vec(&serde_json::json!({"resource_changes": [
            change("aws_dynamodb_table.main", "aws_dynamodb_table", &["delete"],
                serde_json::json!({"deletion_protection_enabled": true})),
            change("aws_cognito_user_pool.main", "aws_cognito_user_pool", &["delete", "create"],
                serde_json::json!({"deletion_protection": "ACTIVE"})),
            // Protection off (turned off by the user): AWS deletes it.
            change("aws_dynamodb_table.old", "aws_dynamodb_table", &["delete"],
                serde_json::json!({"deletion_protection_enabled": false})),
            change("aws_cognito_user_pool.old", "aws_cognito_user_pool", &["delete"],
                serde_json::json!({"deletion_protection": "INACTIVE"})),
            // Protected but only updated: nothing is deleted.
            change("aws_dynamodb_table.kept", "aws_dynamodb_table", &["update"],
                serde_json::json!({"deletion_protection_enabled": true})),
            change("aws_route53_record.www", "aws_route53_record", &["create"],
                serde_json::Value::Null),
        ]}))
        .expect("json");
        let review = PlanReview::from_show_json(&json, None).expect("parses");
        let mut protected: Vec<&str> = review
            .protected_deletions()
            .map(|i| i.address.as_str())
            .collect();
        protected.sort_unstable();
        assert_eq!(
            protected,
            ["aws_cognito_user_pool.main", "aws_dynamodb_table.main"]
        );
    }

    #[test]
    fn approval_defaults_to_no_and_destruction_needs_the_word() {
        let json = plan(&[("aws_route53_record.www", "aws_route53_record", &["create"])]);
        let review = PlanReview::from_show_json(&json, None).expect("parses");
        let a = review.approval();
        assert!(matches!(a, Approval::YesNo { .. }));
        assert!(!a.accepts(""));
        assert!(!a.accepts("no"));
        assert!(a.accepts("y") && a.accepts(" YES "));
        // No saved plan: even a yes cannot produce something to apply.
        assert_eq!(review.approve("yes"), Err(NotApproved::NoSavedPlan));
        assert_eq!(review.approve(""), Err(NotApproved::Declined));

        let json = plan(&[("aws_dynamodb_table.t", "aws_dynamodb_table", &["delete"])]);
        let review = PlanReview::from_show_json(&json, None).expect("parses");
        let a = review.approval();
        assert!(matches!(a, Approval::TypeToConfirm { .. }));
        assert!(!a.accepts("y") && !a.accepts("yes") && !a.accepts("DESTROY"));
        assert!(a.accepts("destroy"));

        let empty = PlanReview::from_show_json(&plan(&[]), None).expect("parses");
        assert_eq!(empty.approval(), Approval::NothingToDo);
        assert_eq!(empty.approve("yes"), Err(NotApproved::NothingToDo));
    }

    #[test]
    fn approving_a_saved_plan_checks_its_contents() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.bin");
        std::fs::write(&path, b"plan bytes").expect("write");
        let saved = SavedPlan::from_file(&path).expect("hash");
        let json = plan(&[("aws_route53_record.www", "aws_route53_record", &["create"])]);
        let review = PlanReview::from_show_json(&json, Some(saved)).expect("parses");
        let approved = review.approve("y").expect("approved");
        assert!(approved.saved().verify_unchanged().is_ok());
        std::fs::write(&path, b"other bytes").expect("write");
        assert!(matches!(
            approved.saved().verify_unchanged(),
            Err(TfError::PlanChanged { .. })
        ));
    }

    #[test]
    fn human_type_names() {
        assert_eq!(
            human_type("aws_cloudfront_distribution"),
            "CloudFront distribution"
        );
        assert_eq!(human_type("aws_vpc_endpoint"), "vpc endpoint");
    }

    /// What the plan's refresh read: a certificate ACM gave up on, an SES domain whose DKIM
    /// failed, and healthy ones; only the first two are expired, and not once the plan
    /// replaces them.
    #[test]
    fn resources_aws_gave_up_on_are_found_in_the_refreshed_state() {
        let state = |changes: &[(&str, &str, &[&str])]| {
            let mut v: serde_json::Value =
                serde_json::from_slice(&plan(changes)).expect("plan json");
            v["prior_state"] = serde_json::json!({"values": {"root_module": {"resources": [
                {"address": "aws_acm_certificate.main", "mode": "managed",
                 "type": "aws_acm_certificate",
                 "values": {"domain_name": "example.com", "status": "VALIDATION_TIMED_OUT"}},
                {"address": "aws_acm_certificate.api", "mode": "managed",
                 "type": "aws_acm_certificate",
                 "values": {"domain_name": "api.example.com", "status": "PENDING_VALIDATION"}},
                {"address": "aws_sesv2_email_identity.domain", "mode": "managed",
                 "type": "aws_sesv2_email_identity",
                 "values": {"email_identity": "example.com",
                            "dkim_signing_attributes": [{"status": "FAILED"}]}},
                {"address": "aws_sesv2_email_identity.inbox", "mode": "managed",
                 "type": "aws_sesv2_email_identity",
                 "values": {"email_identity": "you@example.net",
                            "dkim_signing_attributes": [{"status": "SUCCESS"}]}},
            ]}}});
            v["resource_drift"] = serde_json::json!([
                {"address": "aws_acm_certificate.api", "type": "aws_acm_certificate",
                 "change": {"actions": ["delete"],
                            "before": {"domain_name": "api.example.com",
                                       "status": "PENDING_VALIDATION"}}},
                {"address": "aws_s3_bucket.site", "type": "aws_s3_bucket",
                 "change": {"actions": ["delete"], "before": {"bucket": "site"}}},
            ]);
            PlanReview::from_show_json(&serde_json::to_vec(&v).expect("json"), None)
                .expect("parses")
        };
        let review = state(&[("aws_route53_record.www", "aws_route53_record", &["create"])]);
        let expired: Vec<&str> = review.expired.iter().map(|e| e.address.as_str()).collect();
        assert_eq!(
            expired,
            [
                "aws_acm_certificate.main",
                "aws_sesv2_email_identity.domain",
                "aws_acm_certificate.api"
            ]
        );
        let replace: Vec<bool> = review.expired.iter().map(|e| e.delete_first).collect();
        assert_eq!(
            replace,
            [true, true, false],
            "terraform recreates a forgotten one"
        );
        assert!(
            review.expired[0]
                .why
                .starts_with("The certificate for example.com waited more than 72 hours"),
            "{:?}",
            review.expired[0]
        );
        assert!(
            review.expired[1]
                .why
                .contains("SES looked for the DKIM records of example.com")
        );
        // Once the plan replaces them (-replace), nothing is left to report.
        let replacing = state(&[
            (
                "aws_acm_certificate.main",
                "aws_acm_certificate",
                &["create", "delete"],
            ),
            (
                "aws_sesv2_email_identity.domain",
                "aws_sesv2_email_identity",
                &["delete", "create"],
            ),
        ]);
        let left: Vec<&str> = replacing
            .expired
            .iter()
            .map(|e| e.address.as_str())
            .collect();
        assert_eq!(left, ["aws_acm_certificate.api"], "{:?}", replacing.expired);
        // A plan without a prior state (the first one) has nothing expired.
        let first = PlanReview::from_show_json(&plan(&[]), None).expect("parses");
        assert!(first.expired.is_empty());
    }

    #[test]
    fn garbage_json_is_an_error_not_a_panic() {
        assert!(PlanReview::from_show_json(b"not json", None).is_err());
        assert!(PlanReview::from_show_json(b"{\"resource_changes\": 5}", None).is_err());
        let ok = PlanReview::from_show_json(b"{}", None).expect("empty object is an empty plan");
        assert!(ok.is_empty());
    }
}
