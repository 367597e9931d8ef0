//! The generated stack: one function per file, each returning canonical HCL built with
//! [`super::hcl`], and the phase ([`Tier`]) of every resource for the journey's targeted applies.

use super::hcl::{Block, Expr, File, Seg, interp, lit};
use super::names::{self, ZONE_ADDRESS, ZONE_NAME, ZONE_TYPE, output};
use super::{Backend, GenerateOptions, REQUIRED_TERRAFORM_VERSION, STATE_KEY};
use crate::site::SiteConfig;

/// When a resource can be applied in the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    /// The state bucket and its settings, applied with local state before the backend exists.
    State,
    /// Everything that does not wait on a human (delegation, SES verification, certificate
    /// validation).
    Foundation,
    /// The rest: whatever uses the validated certificate, CloudFront, Cognito, API custom domain.
    Full,
}

/// A `.tf` file with the addresses of the resources it declares.
pub(crate) struct TfFile {
    pub name: &'static str,
    pub file: File,
    pub resources: Vec<(String, Tier)>,
}

impl TfFile {
    fn new(name: &'static str, header: &str) -> Self {
        Self {
            name,
            file: File {
                header: Some(header.to_string()),
                blocks: Vec::new(),
            },
            resources: Vec::new(),
        }
    }

    /// Adds `resource "ty" "name" { ... }`, built by `body` from an empty block.
    fn resource(&mut self, tier: Tier, ty: &str, name: &str, body: impl FnOnce(Block) -> Block) {
        self.resources.push((format!("{ty}.{name}"), tier));
        self.file
            .blocks
            .push(body(Block::labeled("resource", &[ty, name])));
    }

    fn block(&mut self, block: Block) {
        self.file.blocks.push(block);
    }

    fn output(&mut self, name: &str, description: &str, value: Expr) {
        self.block(
            Block::labeled("output", &[name])
                .attr("description", Expr::str(description))
                .attr("value", value),
        );
    }
}

/// The name of the CloudFront viewer-request function's source file.
pub(crate) const SITE_FUNCTION_FILE: &str = "site-request.js";
/// The name of the Lambda package.
pub(crate) const API_ZIP_FILE: &str = "api.zip";
/// The DynamoDB secondary index, as in the blog's single-table design (`sk` then `data`).
pub(crate) const TABLE_INDEX: &str = "gsi";
/// AWS's managed CloudFront cache policy "Managed-CachingOptimized".
const CACHING_OPTIMIZED_POLICY_ID: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// AWS's managed response headers policy "Managed-SecurityHeadersPolicy" (HSTS, nosniff,
/// X-Frame-Options, Referrer-Policy, X-XSS-Protection), maintained by AWS.
const SECURITY_HEADERS_POLICY_ID: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";

/// Values derived from the answers that every file uses.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a SiteConfig,
    pub domain: String,
    pub region: String,
    pub name: String,
    pub sender: String,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(cfg: &'a SiteConfig) -> Self {
        Self {
            domain: cfg.domain.as_str().to_string(),
            region: cfg.region.as_str().to_string(),
            name: cfg.name.as_str().to_string(),
            sender: cfg.sender_address(),
            cfg,
        }
    }

    fn sub(&self, label: &str) -> String {
        format!("{label}.{}", self.domain)
    }

    fn origin(&self) -> String {
        format!("https://{}", self.domain)
    }

    /// Whether the API custom domain needs its own certificate in the main region (a REGIONAL
    /// endpoint needs a certificate in its own region; in us-east-1 the main one serves).
    pub(super) fn regional_api_certificate(&self) -> bool {
        self.cfg.parts.api && self.region != "us-east-1"
    }

    /// The address of the validated certificate the API custom domain uses.
    fn api_certificate_validation(&self) -> &'static str {
        if self.regional_api_certificate() {
            "aws_acm_certificate_validation.api"
        } else {
            "aws_acm_certificate_validation.main"
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Small expression helpers
// ---------------------------------------------------------------------------------------------

fn s(v: impl Into<String>) -> Expr {
    Expr::str(v)
}

fn r(v: impl Into<String>) -> Expr {
    Expr::raw(v)
}

fn t(segs: Vec<Seg>) -> Expr {
    Expr::template(segs)
}

fn obj(items: Vec<(&str, Expr)>) -> Expr {
    Expr::Object(items.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn refs(items: &[&str]) -> Expr {
    Expr::List(items.iter().map(|i| r(*i)).collect())
}

/// `jsonencode({ Version = "2012-10-17", Statement = [...] })`.
fn policy(statements: Vec<Expr>) -> Expr {
    Expr::jsonencode(obj(vec![
        ("Version", s("2012-10-17")),
        ("Statement", Expr::ListLines(statements)),
    ]))
}

/// `aws_route53_zone.main.zone_id`, the zone every record goes in.
fn zone_id() -> Expr {
    r(format!("{ZONE_ADDRESS}.zone_id"))
}

/// A DNS record with literal values.
fn record(name: &str, ty: &str, ttl: i64, records: Expr) -> impl FnOnce(Block) -> Block {
    let name = name.to_string();
    let ty = ty.to_string();
    move |b: Block| {
        b.attr("zone_id", zone_id())
            .attr("name", s(name))
            .attr("type", s(ty))
            .attr("ttl", ttl)
            .attr("records", records)
    }
}

/// An alias record (A or AAAA) to a CloudFront or API Gateway target.
fn alias(name: &str, ty: &str, target: &str, target_zone: &str) -> impl FnOnce(Block) -> Block {
    let name = name.to_string();
    let ty = ty.to_string();
    let target = target.to_string();
    let target_zone = target_zone.to_string();
    move |b: Block| {
        b.attr("zone_id", zone_id())
            .attr("name", s(name))
            .attr("type", s(ty))
            .block(
                Block::new("alias")
                    .attr("name", r(target))
                    .attr("zone_id", r(target_zone))
                    .attr("evaluate_target_health", false),
            )
    }
}

/// How long a versioned bucket keeps an object's old versions, in days after they stop being
/// current (a newer upload or a delete). Long enough to notice a bad deploy and roll back, short
/// enough that every upload does not cost storage forever.
const NONCURRENT_DAYS: i64 = 30;
/// The state bucket keeps old versions longer: each one is a past state of the whole stack,
/// the only way back from a broken apply, and state files are small.
const STATE_NONCURRENT_DAYS: i64 = 90;
/// Days after which S3 aborts a multipart upload that never completed (its parts are billed
/// but invisible in a listing).
const ABORT_MULTIPART_DAYS: i64 = 7;

/// A private bucket: ownership enforced (ACLs off), public access blocked, encrypted at rest,
/// versioned with old versions expiring, and a policy that refuses plain HTTP (plus `extra`
/// statements).
struct Bucket<'a> {
    /// Resource name (`state` gives `aws_s3_bucket.state`).
    name: &'a str,
    /// The bucket's name in S3.
    bucket: &'a str,
    tier: Tier,
    /// Days an old (noncurrent) version is kept before the lifecycle rule deletes it.
    noncurrent_days: i64,
    protect: bool,
    /// Statements added to the bucket policy, before the plain-HTTP refusal.
    extra: Vec<Expr>,
    /// The policy's tier (later than the bucket's when a statement refers to CloudFront).
    policy_tier: Tier,
    /// The lifecycle rules' tier. The provider waits about a minute after creating them until
    /// S3 answers them back consistently; the state bucket's wait in the foundation apply
    /// overlaps everything else there, instead of holding up the state bootstrap.
    lifecycle_tier: Tier,
}

fn private_bucket(f: &mut TfFile, spec: Bucket) {
    let Bucket {
        name,
        bucket,
        tier,
        noncurrent_days,
        protect,
        extra,
        policy_tier,
        lifecycle_tier,
    } = spec;
    let bucket_id = format!("aws_s3_bucket.{name}.id");
    let bucket_arn = format!("aws_s3_bucket.{name}.arn");
    f.resource(tier, "aws_s3_bucket", name, |b| {
        let b = b.attr("bucket", s(bucket));
        if protect { b.prevent_destroy() } else { b }
    });
    f.resource(tier, "aws_s3_bucket_ownership_controls", name, |b| {
        b.attr("bucket", r(&bucket_id))
            .block(Block::new("rule").attr("object_ownership", s("BucketOwnerEnforced")))
    });
    f.resource(tier, "aws_s3_bucket_public_access_block", name, |b| {
        b.attr("bucket", r(&bucket_id))
            .attr("block_public_acls", true)
            .attr("block_public_policy", true)
            .attr("ignore_public_acls", true)
            .attr("restrict_public_buckets", true)
    });
    f.resource(
        tier,
        "aws_s3_bucket_server_side_encryption_configuration",
        name,
        |b| {
            b.attr("bucket", r(&bucket_id)).block(
                Block::new("rule").block(
                    Block::new("apply_server_side_encryption_by_default")
                        .attr("sse_algorithm", s("AES256")),
                ),
            )
        },
    );
    f.resource(tier, "aws_s3_bucket_versioning", name, |b| {
        b.attr("bucket", r(&bucket_id))
            .block(Block::new("versioning_configuration").attr("status", s("Enabled")))
    });
    f.resource(
        lifecycle_tier,
        "aws_s3_bucket_lifecycle_configuration",
        name,
        |b| {
            b.attr("bucket", r(&bucket_id))
                .block(
                    Block::new("rule")
                        .attr("id", s("expire-old-versions"))
                        .attr("status", s("Enabled"))
                        .blank()
                        .comment("The whole bucket (provider 5.x wants a filter or a prefix).")
                        .block(Block::new("filter"))
                        .blank()
                        .block(
                            Block::new("noncurrent_version_expiration")
                                .attr("noncurrent_days", noncurrent_days),
                        )
                        .blank()
                        .comment(
                            "A delete marker whose old versions have all expired hides nothing: \
                         remove it.",
                        )
                        .block(Block::new("expiration").attr("expired_object_delete_marker", true))
                        .block(
                            Block::new("abort_incomplete_multipart_upload")
                                .attr("days_after_initiation", ABORT_MULTIPART_DAYS),
                        ),
                )
                .blank()
                .comment("Versioning is on before the rules that act on old versions.")
                .attr(
                    "depends_on",
                    refs(&[&format!("aws_s3_bucket_versioning.{name}")]),
                )
        },
    );
    let mut statements = extra;
    statements.push(obj(vec![
        ("Sid", s("DenyPlainHttp")),
        ("Effect", s("Deny")),
        ("Principal", s("*")),
        ("Action", s("s3:*")),
        (
            "Resource",
            Expr::List(vec![
                r(&bucket_arn),
                t(vec![interp(&bucket_arn), lit("/*")]),
            ]),
        ),
        (
            "Condition",
            obj(vec![(
                "Bool",
                obj(vec![("aws:SecureTransport", s("false"))]),
            )]),
        ),
    ]));
    f.resource(policy_tier, "aws_s3_bucket_policy", name, |b| {
        b.attr("bucket", r(&bucket_id))
            .attr("policy", policy(statements))
            // The public access block goes first: S3 refuses policies while it is being set.
            .depends_on(&[&format!("aws_s3_bucket_public_access_block.{name}")])
    });
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

pub(crate) fn versions() -> TfFile {
    let mut f = TfFile::new(
        "versions.tf",
        "Terraform and provider versions. Terraform >= 1.11: S3-native state locking\n\
         (`use_lockfile`) is generally available from 1.11 on.",
    );
    f.block(
        Block::new("terraform")
            .attr("required_version", s(REQUIRED_TERRAFORM_VERSION))
            .block(Block::new("required_providers").attr(
                "aws",
                obj(vec![
                    ("source", s("hashicorp/aws")),
                    ("version", s(">= 5.100, < 6")),
                ]),
            )),
    );
    f
}

pub(crate) fn providers(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "providers.tf",
        "The AWS provider in the site's region, and an alias in us-east-1: CloudFront and Cognito\n\
         custom domains only accept certificates from us-east-1, whatever the main region is.\n\
         The alias stays even when nothing uses it, so that resources it created can always be\n\
         destroyed cleanly.",
    );
    let tags = || {
        Block::new("default_tags").attr(
            "tags",
            obj(vec![("ManagedBy", s("siteup")), ("Project", s(&c.name))]),
        )
    };
    f.block(
        Block::labeled("provider", &["aws"])
            .attr("region", s(&c.region))
            .block(tags()),
    );
    f.block(
        Block::labeled("provider", &["aws"])
            .attr("alias", s("us_east_1"))
            .attr("region", s("us-east-1"))
            .block(tags()),
    );
    f
}

pub(crate) fn backend(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "backend.tf",
        "Remote state in the state bucket, locked with an S3 lock file (no DynamoDB table).\n\
         Backend blocks cannot use variables: the values are literal. siteup writes this file only\n\
         once the state bucket exists, then moves the local state into it.",
    );
    f.block(
        Block::new("terraform").block(
            Block::labeled("backend", &["s3"])
                .attr("bucket", s(c.cfg.state_bucket.as_str()))
                .attr("key", s(STATE_KEY))
                .attr("region", s(&c.region))
                .attr("encrypt", true)
                .attr("use_lockfile", true),
        ),
    );
    f
}

pub(crate) fn state(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "state.tf",
        "The bucket that holds Terraform's state: private, encrypted, versioned (every state\n\
         version can be recovered for 90 days after a newer one replaces it) and protected from\n\
         destruction.",
    );
    private_bucket(
        &mut f,
        Bucket {
            name: names::bucket::STATE,
            bucket: c.cfg.state_bucket.as_str(),
            tier: Tier::State,
            noncurrent_days: STATE_NONCURRENT_DAYS,
            protect: true,
            extra: Vec::new(),
            policy_tier: Tier::State,
            lifecycle_tier: Tier::Foundation,
        },
    );
    f
}

pub(crate) fn deploys(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "deploys.tf",
        "A private bucket for deployment artifacts (site builds, function packages), versioned:\n\
         old versions are kept for 30 days.",
    );
    private_bucket(
        &mut f,
        Bucket {
            name: names::bucket::DEPLOYS,
            bucket: c.cfg.deploys_bucket.as_str(),
            tier: Tier::Foundation,
            noncurrent_days: NONCURRENT_DAYS,
            protect: true,
            extra: Vec::new(),
            policy_tier: Tier::Foundation,
            lifecycle_tier: Tier::Foundation,
        },
    );
    f
}

pub(crate) fn zone(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "zone.tf",
        "The Route 53 hosted zone. Its four nameservers go to the registrar; a new zone gets new\n\
         nameservers, so the zone is protected from destruction.",
    );
    f.resource(Tier::Foundation, ZONE_TYPE, ZONE_NAME, |b| {
        b.attr("name", s(&c.domain)).prevent_destroy()
    });
    f
}

/// The regions whose SES DKIM domain is their own; every other region uses
/// `dkim.amazonses.com`. Source: AWS General Reference, "Amazon Simple Email Service endpoints
/// and quotas", section "SES DKIM domains"
/// (<https://docs.aws.amazon.com/general/latest/gr/ses.html#ses_dkim_domains>). The sandbox's
/// emulator holds the same table and refuses to verify a domain whose CNAMEs point elsewhere.
const SES_REGIONAL_DKIM_DOMAINS: &[&str] = &[
    "af-south-1",
    "ap-northeast-3",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "il-central-1",
    "me-central-1",
    "us-gov-east-1",
];

/// Where an SES domain identity's DKIM CNAMEs point in `region`.
fn ses_dkim_domain(region: &str) -> String {
    if SES_REGIONAL_DKIM_DOMAINS.contains(&region) {
        format!("dkim.{region}.amazonses.com")
    } else {
        "dkim.amazonses.com".to_string()
    }
}

/// The DMARC record: the policy (`p=none` until the owner steps it up with `siteup email`),
/// with aggregate reports mailed to the owner's inbox when there is one.
fn dmarc_value(c: &Ctx) -> String {
    let policy = c.cfg.dmarc_policy;
    match &c.cfg.inbox {
        Some(inbox) => format!("v=DMARC1; p={policy}; rua=mailto:{inbox};"),
        None => format!("v=DMARC1; p={policy};"),
    }
}

pub(crate) fn email(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "email.tf",
        "Sending email with SES: the domain identity with Easy DKIM (its three CNAME records are\n\
         also what verifies the domain), a MAIL FROM domain with its MX and SPF records, a DMARC\n\
         policy, the owner's inbox if one was given (verified so that mail reaches it before SES\n\
         grants production access), and what happens to mail sent to the domain.\n\
         Nothing here waits for verification: SES verifies the domain by itself once the zone's\n\
         delegation is live.",
    );
    let domain = &c.domain;
    let mail_from = c.sub("mail");
    f.resource(
        Tier::Foundation,
        "aws_sesv2_email_identity",
        "domain",
        |b| {
            let b = b.attr("email_identity", s(domain));
            if c.cfg.guardrails.on {
                // Mail sent without a configuration set of its own uses this one: bounces and
                // complaints reach the alerts topic.
                b.attr(
                    "configuration_set_name",
                    r("aws_sesv2_configuration_set.email.configuration_set_name"),
                )
            } else {
                b
            }
        },
    );
    let token = "aws_sesv2_email_identity.domain.dkim_signing_attributes[0].tokens[count.index]";
    f.resource(Tier::Foundation, "aws_route53_record", "ses_dkim", |b| {
        b.attr("count", 3)
            .blank()
            .attr("zone_id", zone_id())
            .attr(
                "name",
                t(vec![interp(token), lit(format!("._domainkey.{domain}"))]),
            )
            .attr("type", s("CNAME"))
            .attr("ttl", 1800)
            .attr(
                "records",
                Expr::List(vec![t(vec![
                    interp(token),
                    lit(format!(".{}", ses_dkim_domain(&c.region))),
                ])]),
            )
    });
    f.resource(
        Tier::Foundation,
        "aws_sesv2_email_identity_mail_from_attributes",
        "domain",
        |b| {
            b.attr(
                "email_identity",
                r("aws_sesv2_email_identity.domain.email_identity"),
            )
            .attr("mail_from_domain", s(&mail_from))
            .attr("behavior_on_mx_failure", s("USE_DEFAULT_VALUE"))
        },
    );
    f.resource(
        Tier::Foundation,
        "aws_route53_record",
        "ses_mail_from_mx",
        record(
            &mail_from,
            "MX",
            600,
            Expr::strs([format!("10 feedback-smtp.{}.amazonses.com", c.region)]),
        ),
    );
    f.resource(
        Tier::Foundation,
        "aws_route53_record",
        "ses_mail_from_spf",
        record(
            &mail_from,
            "TXT",
            600,
            Expr::strs(["v=spf1 include:amazonses.com ~all"]),
        ),
    );
    f.resource(
        Tier::Foundation,
        "aws_route53_record",
        "dmarc",
        record(&c.sub("_dmarc"), "TXT", 600, Expr::strs([dmarc_value(c)])),
    );
    let inbound = c.cfg.inbound_mail.records();
    if !inbound.is_empty() {
        f.resource(
            Tier::Foundation,
            "aws_route53_record",
            "inbound_mx",
            record(
                domain,
                "MX",
                300,
                Expr::ListLines(inbound.iter().map(|m| s(m.to_string())).collect()),
            ),
        );
    }
    if let Some(inbox) = &c.cfg.inbox {
        // The owner's own inbox: SES mails it a verification link. While the account is in the
        // SES sandbox, mail reaches only verified addresses; the domain identity already lets
        // the site send from any address of the domain, so no sender address is verified.
        f.resource(Tier::Foundation, "aws_sesv2_email_identity", "inbox", |b| {
            let b = b.attr("email_identity", s(inbox.as_str()));
            if c.cfg.domain.receives_for(inbox.domain()) && !inbound.is_empty() {
                // The verification mail to an address of the domain needs the domain's MX.
                b.depends_on(&["aws_route53_record.inbound_mx"])
            } else {
                b
            }
        });
    }
    f
}

/// The validation records of one certificate: one record per validation option.
fn validation_records(f: &mut TfFile, name: &str, certificate: &str) {
    f.resource(Tier::Foundation, "aws_route53_record", name, |b| {
        b.attr(
            "for_each",
            Expr::Lines(vec![
                "{".into(),
                format!(
                    "  for option in {certificate}.domain_validation_options : option.domain_name => {{"
                ),
                "    name   = option.resource_record_name".into(),
                "    record = option.resource_record_value".into(),
                "    type   = option.resource_record_type".into(),
                "  }".into(),
                "}".into(),
            ]),
        )
        .blank()
        .attr("zone_id", zone_id())
        .attr("name", r("each.value.name"))
        .attr("type", r("each.value.type"))
        .attr("ttl", 60)
        .attr("records", refs(&["each.value.record"]))
        .attr("allow_overwrite", true)
    });
}

pub(crate) fn certificate(c: &Ctx) -> TfFile {
    let parts = c.cfg.parts;
    let mut f = TfFile::new(
        "certificate.tf",
        "The TLS certificate, requested in us-east-1 (CloudFront and Cognito need it there), with\n\
         one DNS validation record per name. Everything that uses the certificate takes its ARN\n\
         from the validation resource, so nothing uses it before it is issued.",
    );
    let mut sans = Vec::new();
    if parts.site {
        sans.push(c.sub("www"));
    }
    if parts.users {
        sans.push(c.sub("auth"));
    }
    if parts.api && !c.regional_api_certificate() {
        sans.push(c.sub("api"));
    }
    f.resource(Tier::Foundation, "aws_acm_certificate", "main", |b| {
        let b = b
            .attr("provider", r("aws.us_east_1"))
            .blank()
            .attr("domain_name", s(&c.domain));
        let b = if sans.is_empty() {
            b
        } else {
            b.attr("subject_alternative_names", Expr::strs(sans.clone()))
        };
        b.attr("validation_method", s("DNS"))
            .block(Block::new("lifecycle").attr("create_before_destroy", true))
    });
    validation_records(&mut f, "certificate_validation", "aws_acm_certificate.main");
    f.resource(Tier::Full, "aws_acm_certificate_validation", "main", |b| {
        b.attr("provider", r("aws.us_east_1"))
            .blank()
            .attr("certificate_arn", r("aws_acm_certificate.main.arn"))
            .attr(
                "validation_record_fqdns",
                r("[for record in aws_route53_record.certificate_validation : record.fqdn]"),
            )
    });
    if c.regional_api_certificate() {
        f.resource(Tier::Foundation, "aws_acm_certificate", "api", |b| {
            b.comment(&format!(
                "The API's REGIONAL custom domain needs a certificate in {} itself.",
                c.region
            ))
            .attr("domain_name", s(c.sub("api")))
            .attr("validation_method", s("DNS"))
            .block(Block::new("lifecycle").attr("create_before_destroy", true))
        });
        validation_records(
            &mut f,
            "certificate_api_validation",
            "aws_acm_certificate.api",
        );
        f.resource(Tier::Full, "aws_acm_certificate_validation", "api", |b| {
            b.attr("certificate_arn", r("aws_acm_certificate.api.arn")).attr(
                "validation_record_fqdns",
                r("[for record in aws_route53_record.certificate_api_validation : record.fqdn]"),
            )
        });
    }
    f
}

pub(crate) fn site(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "site.tf",
        "The website: a private bucket that only this CloudFront distribution can read (origin\n\
         access control), HTTPS with TLS 1.2 or newer, IPv6, security headers, a function that\n\
         serves /dir/index.html for /dir/ and redirects www to the bare domain, a 404 page, and\n\
         A/AAAA records for the domain and www. The bucket is versioned, so a bad deploy can be\n\
         rolled back to the files of the last 30 days.",
    );
    let www = c.sub("www");
    let read = obj(vec![
        ("Sid", s("AllowCloudFrontRead")),
        ("Effect", s("Allow")),
        (
            "Principal",
            obj(vec![("Service", s("cloudfront.amazonaws.com"))]),
        ),
        ("Action", s("s3:GetObject")),
        (
            "Resource",
            t(vec![interp("aws_s3_bucket.site.arn"), lit("/*")]),
        ),
        (
            "Condition",
            obj(vec![(
                "StringEquals",
                obj(vec![(
                    "AWS:SourceArn",
                    r("aws_cloudfront_distribution.site.arn"),
                )]),
            )]),
        ),
    ]);
    private_bucket(
        &mut f,
        Bucket {
            name: names::bucket::SITE,
            bucket: c.cfg.site_bucket.as_str(),
            tier: Tier::Foundation,
            noncurrent_days: NONCURRENT_DAYS,
            protect: false,
            extra: vec![read],
            policy_tier: Tier::Full,
            lifecycle_tier: Tier::Foundation,
        },
    );
    f.resource(
        Tier::Full,
        "aws_cloudfront_origin_access_control",
        "site",
        |b| {
            b.attr("name", s(format!("{}-site", c.name)))
                .attr("description", s(format!("CloudFront reads {}", c.domain)))
                .attr("origin_access_control_origin_type", s("s3"))
                .attr("signing_behavior", s("always"))
                .attr("signing_protocol", s("sigv4"))
        },
    );
    f.resource(Tier::Full, "aws_cloudfront_function", "site_request", |b| {
        b.attr("name", s(format!("{}-site-request", c.name)))
            .attr(
                "comment",
                s("Serves index.html for directories and redirects www"),
            )
            .attr("runtime", s("cloudfront-js-2.0"))
            .attr("publish", true)
            .attr(
                "code",
                Expr::Call(
                    "file".into(),
                    Box::new(t(vec![
                        interp("path.module"),
                        lit(format!("/{SITE_FUNCTION_FILE}")),
                    ])),
                ),
            )
    });
    f.resource(Tier::Full, "aws_cloudfront_distribution", "site", |b| {
        b.attr("enabled", true)
            .attr("is_ipv6_enabled", true)
            .attr("http_version", s("http2and3"))
            .attr("comment", s(&c.domain))
            .attr("aliases", Expr::strs([c.domain.clone(), www.clone()]))
            .attr("default_root_object", s("index.html"))
            .attr("price_class", s("PriceClass_100"))
            .comment(
                "The apply ends once the distribution exists; siteup follows the edge deployment\n\
                 (InProgress -> Deployed, minutes) as its own step, until the site answers over\n\
                 HTTPS.",
            )
            .attr("wait_for_deployment", false)
            .block(
                Block::new("origin")
                    .attr("origin_id", s("site-bucket"))
                    .attr(
                        "domain_name",
                        r("aws_s3_bucket.site.bucket_regional_domain_name"),
                    )
                    .attr(
                        "origin_access_control_id",
                        r("aws_cloudfront_origin_access_control.site.id"),
                    ),
            )
            .blank()
            .comment(&format!(
                "AWS managed policies: {CACHING_OPTIMIZED_POLICY_ID} is \"CachingOptimized\",\n\
                 {SECURITY_HEADERS_POLICY_ID} is \"SecurityHeadersPolicy\" (HSTS, nosniff,\n\
                 X-Frame-Options, Referrer-Policy)."
            ))
            .block(
                Block::new("default_cache_behavior")
                    .attr("target_origin_id", s("site-bucket"))
                    .attr("viewer_protocol_policy", s("redirect-to-https"))
                    .attr("allowed_methods", Expr::strs(["GET", "HEAD"]))
                    .attr("cached_methods", Expr::strs(["GET", "HEAD"]))
                    .attr("compress", true)
                    .attr("cache_policy_id", s(CACHING_OPTIMIZED_POLICY_ID))
                    .attr("response_headers_policy_id", s(SECURITY_HEADERS_POLICY_ID))
                    .block(
                        Block::new("function_association")
                            .attr("event_type", s("viewer-request"))
                            .attr(
                                "function_arn",
                                r("aws_cloudfront_function.site_request.arn"),
                            ),
                    ),
            )
            .blank()
            .comment(
                "The bucket answers 403 for a missing object (CloudFront may not list it): both\n\
                 403 and 404 become a 404 with the site's /404.html.",
            )
            .block(
                Block::new("custom_error_response")
                    .attr("error_code", 403)
                    .attr("response_code", 404)
                    .attr("response_page_path", s("/404.html"))
                    .attr("error_caching_min_ttl", 60),
            )
            .block(
                Block::new("custom_error_response")
                    .attr("error_code", 404)
                    .attr("response_code", 404)
                    .attr("response_page_path", s("/404.html"))
                    .attr("error_caching_min_ttl", 60),
            )
            .block(
                Block::new("restrictions")
                    .block(Block::new("geo_restriction").attr("restriction_type", s("none"))),
            )
            .block(
                Block::new("viewer_certificate")
                    .attr(
                        "acm_certificate_arn",
                        r("aws_acm_certificate_validation.main.certificate_arn"),
                    )
                    .attr("ssl_support_method", s("sni-only"))
                    .attr("minimum_protocol_version", s("TLSv1.2_2021")),
            )
    });
    let cf = "aws_cloudfront_distribution.site.domain_name";
    let cfz = "aws_cloudfront_distribution.site.hosted_zone_id";
    for (name, host, ty) in [
        ("site_apex_a", c.domain.as_str(), "A"),
        ("site_apex_aaaa", c.domain.as_str(), "AAAA"),
        ("site_www_a", www.as_str(), "A"),
        ("site_www_aaaa", www.as_str(), "AAAA"),
    ] {
        f.resource(
            Tier::Full,
            "aws_route53_record",
            name,
            alias(host, ty, cf, cfz),
        );
    }
    f
}

pub(crate) fn database(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "database.tf",
        "One DynamoDB table for all the site's data (single-table design): items keyed by pk and\n\
         sk, and a secondary index on sk and pk to query the other way round. An item's data is\n\
         never a key: DynamoDB refuses an item whose sort key (of the table or of an index) is\n\
         over 1024 bytes. On-demand billing, point-in-time recovery, and protected from\n\
         destruction twice: by Terraform (prevent_destroy) and by DynamoDB itself (deletion\n\
         protection, which also stops a delete from the console, the CLI or another tool).",
    );
    let attribute = |n: &str| {
        Block::new("attribute")
            .attr("name", s(n))
            .attr("type", s("S"))
    };
    f.resource(Tier::Foundation, "aws_dynamodb_table", "main", |b| {
        b.attr("name", s(&c.name))
            .attr("billing_mode", s("PAY_PER_REQUEST"))
            .attr("hash_key", s("pk"))
            .attr("range_key", s("sk"))
            .block(attribute("pk"))
            .block(attribute("sk"))
            // The inverted index. Source: Amazon DynamoDB Developer Guide, "Service, account,
            // and table quotas" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html):
            // a partition key value is at most 2048 bytes and a sort key value at most 1024,
            // index keys included; the API function stores up to 64 KiB of data per item.
            .block(
                Block::new("global_secondary_index")
                    .attr("name", s(TABLE_INDEX))
                    .attr("hash_key", s("sk"))
                    .attr("range_key", s("pk"))
                    .attr("projection_type", s("ALL")),
            )
            .block(Block::new("point_in_time_recovery").attr("enabled", true))
            .attr("deletion_protection_enabled", true)
            .prevent_destroy()
    });
    f
}

pub(crate) fn users(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "users.tf",
        "Sign-up and sign-in with Cognito: a user pool that sends its mail through SES from the\n\
         verified domain, a web client (no secret, SRP sign-in), and the hosted sign-in pages at\n\
         auth.<domain>. The pool is protected from destruction, by Terraform and by Cognito's own\n\
         deletion protection: replacing it loses every account.",
    );
    let auth = c.sub("auth");
    f.resource(Tier::Full, "aws_cognito_user_pool", "main", |b| {
        b.attr("name", s(format!("{}-users", c.name)))
            .attr("username_attributes", Expr::strs(["email"]))
            .attr("auto_verified_attributes", Expr::strs(["email"]))
            .block(Block::new("username_configuration").attr("case_sensitive", false))
            .block(
                Block::new("password_policy")
                    .attr("minimum_length", 10)
                    .attr("require_lowercase", true)
                    .attr("require_numbers", true)
                    .attr("require_symbols", false)
                    .attr("require_uppercase", true)
                    .attr("temporary_password_validity_days", 7),
            )
            .block(
                Block::new("account_recovery_setting").block(
                    Block::new("recovery_mechanism")
                        .attr("name", s("verified_email"))
                        .attr("priority", 1),
                ),
            )
            .blank()
            .comment(
                "Cognito checks the identity given as source_arn: the domain identity verifies\n\
                 itself through DNS, so no inbox click is needed before the pool can be created.",
            )
            .block(
                Block::new("email_configuration")
                    .attr("email_sending_account", s("DEVELOPER"))
                    .attr("source_arn", r("aws_sesv2_email_identity.domain.arn"))
                    .attr("from_email_address", s(&c.sender)),
            )
            .block(
                Block::new("verification_message_template")
                    .attr("default_email_option", s("CONFIRM_WITH_CODE")),
            )
            .attr("deletion_protection", s("ACTIVE"))
            .prevent_destroy()
    });
    f.resource(Tier::Full, "aws_cognito_user_pool_client", "web", |b| {
        b.attr("name", s("web"))
            .attr("user_pool_id", r("aws_cognito_user_pool.main.id"))
            .attr("generate_secret", false)
            .attr(
                "explicit_auth_flows",
                Expr::strs(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
            )
            .attr("prevent_user_existence_errors", s("ENABLED"))
            .attr("enable_token_revocation", true)
            .attr("supported_identity_providers", Expr::strs(["COGNITO"]))
            .attr("allowed_oauth_flows_user_pool_client", true)
            .attr("allowed_oauth_flows", Expr::strs(["code"]))
            .attr(
                "allowed_oauth_scopes",
                Expr::strs(["email", "openid", "profile"]),
            )
            .attr("callback_urls", Expr::strs([format!("{}/", c.origin())]))
            .attr("logout_urls", Expr::strs([format!("{}/", c.origin())]))
    });
    f.resource(Tier::Full, "aws_cognito_user_pool_domain", "main", |b| {
        b.attr("domain", s(&auth))
            .attr(
                "certificate_arn",
                r("aws_acm_certificate_validation.main.certificate_arn"),
            )
            .attr("user_pool_id", r("aws_cognito_user_pool.main.id"))
            .blank()
            .comment("Cognito refuses a custom domain whose parent domain has no A record yet.")
            .attr("depends_on", refs(&["aws_route53_record.site_apex_a"]))
    });
    f.resource(
        Tier::Full,
        "aws_route53_record",
        "auth",
        alias(
            &auth,
            "A",
            "aws_cognito_user_pool_domain.main.cloudfront_distribution",
            "aws_cognito_user_pool_domain.main.cloudfront_distribution_zone_id",
        ),
    );
    f
}

pub(crate) fn identities(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "identities.tf",
        "Signed-in users get AWS credentials from the identity pool; its authenticated role may\n\
         do exactly one thing: call this API.",
    );
    f.resource(Tier::Full, "aws_cognito_identity_pool", "main", |b| {
        b.attr("identity_pool_name", s(format!("{}-identities", c.name)))
            .attr("allow_unauthenticated_identities", false)
            .attr("allow_classic_flow", false)
            .block(
                Block::new("cognito_identity_providers")
                    .attr("client_id", r("aws_cognito_user_pool_client.web.id"))
                    .attr("provider_name", r("aws_cognito_user_pool.main.endpoint"))
                    .attr("server_side_token_check", true),
            )
    });
    f.resource(Tier::Full, "aws_iam_role", "authenticated", |b| {
        b.attr("name", s(format!("{}-authenticated", c.name))).attr(
            "assume_role_policy",
            policy(vec![obj(vec![
                ("Effect", s("Allow")),
                (
                    "Principal",
                    obj(vec![("Federated", s("cognito-identity.amazonaws.com"))]),
                ),
                ("Action", s("sts:AssumeRoleWithWebIdentity")),
                (
                    "Condition",
                    obj(vec![
                        (
                            "StringEquals",
                            obj(vec![(
                                "cognito-identity.amazonaws.com:aud",
                                r("aws_cognito_identity_pool.main.id"),
                            )]),
                        ),
                        (
                            "ForAnyValue:StringLike",
                            obj(vec![(
                                "cognito-identity.amazonaws.com:amr",
                                s("authenticated"),
                            )]),
                        ),
                    ]),
                ),
            ])]),
        )
    });
    f.resource(Tier::Full, "aws_iam_role_policy", "authenticated", |b| {
        b.attr("name", s("invoke-api"))
            .attr("role", r("aws_iam_role.authenticated.id"))
            .attr(
                "policy",
                policy(vec![obj(vec![
                    ("Effect", s("Allow")),
                    ("Action", s("execute-api:Invoke")),
                    (
                        "Resource",
                        t(vec![
                            interp("aws_api_gateway_stage.api.execution_arn"),
                            lit("/*"),
                        ]),
                    ),
                ])]),
            )
    });
    f.resource(
        Tier::Full,
        "aws_cognito_identity_pool_roles_attachment",
        "main",
        |b| {
            b.attr("identity_pool_id", r("aws_cognito_identity_pool.main.id"))
                .attr(
                    "roles",
                    obj(vec![("authenticated", r("aws_iam_role.authenticated.arn"))]),
                )
        },
    );
    f
}

/// The API's request limits, per method of the stage, for all callers together.
struct Throttle {
    /// Steady requests per second.
    rate: i64,
    /// Requests allowed at once above the steady rate (the token bucket's size).
    burst: i64,
}

/// Without stage limits API Gateway allows up to the account's limit (10,000 requests per
/// second), and every request runs the function and the table: a runaway client or a loop in
/// the site could run up a large bill in an hour. A small site's visitors make a few requests
/// per second at most; 25 per second (about 2 million a day) with bursts of 50 is far above
/// that, and caps what a runaway can cost. Requests above it get 429 Too Many Requests.
const API_THROTTLE: Throttle = Throttle {
    rate: 25,
    burst: 50,
};

const CORS_ALLOW_HEADERS: &str = "'Authorization,Content-Type,X-Amz-Content-Sha256,X-Amz-Date,X-Amz-Security-Token,X-Amz-User-Agent'";
const CORS_ALLOW_METHODS: &str = "'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'";

pub(crate) fn api(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "api.tf",
        "The API: one Lambda function (Node.js 22, packaged by siteup into api.zip) behind a\n\
         REGIONAL API Gateway REST API at api.<domain>. Every path and method goes to the function\n\
         and needs AWS (SigV4) credentials from the identity pool; CORS preflights are answered by\n\
         API Gateway itself, and its own errors are JSON with CORS headers.",
    );
    let origin = format!("'{}'", c.origin());
    let api_domain = c.sub("api");

    // -- the function and its permissions
    f.resource(Tier::Foundation, "aws_iam_role", "api", |b| {
        b.attr("name", s(format!("{}-api", c.name))).attr(
            "assume_role_policy",
            policy(vec![obj(vec![
                ("Effect", s("Allow")),
                (
                    "Principal",
                    obj(vec![("Service", s("lambda.amazonaws.com"))]),
                ),
                ("Action", s("sts:AssumeRole")),
            ])]),
        )
    });
    let mut statements = vec![
        obj(vec![
            ("Sid", s("Table")),
            ("Effect", s("Allow")),
            (
                "Action",
                Expr::ListLines(
                    [
                        "dynamodb:BatchGetItem",
                        "dynamodb:BatchWriteItem",
                        "dynamodb:ConditionCheckItem",
                        "dynamodb:DeleteItem",
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:Query",
                        "dynamodb:UpdateItem",
                    ]
                    .into_iter()
                    .map(s)
                    .collect(),
                ),
            ),
            (
                "Resource",
                Expr::List(vec![
                    r("aws_dynamodb_table.main.arn"),
                    t(vec![interp("aws_dynamodb_table.main.arn"), lit("/index/*")]),
                ]),
            ),
        ]),
        obj(vec![
            ("Sid", s("SendEmail")),
            ("Effect", s("Allow")),
            ("Action", s("ses:SendEmail")),
            (
                "Resource",
                // The sender (any address of the domain) and, while the account is in the SES
                // sandbox, the verified recipient: the owner's inbox.
                refs(if c.cfg.inbox.is_some() {
                    &[
                        "aws_sesv2_email_identity.domain.arn",
                        "aws_sesv2_email_identity.inbox.arn",
                    ]
                } else {
                    &["aws_sesv2_email_identity.domain.arn"]
                }),
            ),
        ]),
    ];
    // The function's log group is terraform's whenever the API exists (logging.tf), so the
    // function only ever writes into it: Lambda never creates a group terraform would later
    // collide with when the logging part is turned on.
    statements.push(obj(vec![
        ("Sid", s("Logs")),
        ("Effect", s("Allow")),
        (
            "Action",
            Expr::strs(["logs:CreateLogStream", "logs:PutLogEvents"]),
        ),
        (
            "Resource",
            t(vec![interp("aws_cloudwatch_log_group.api.arn"), lit(":*")]),
        ),
    ]));
    f.resource(Tier::Foundation, "aws_iam_role_policy", "api", |b| {
        b.attr("name", s("least-privilege"))
            .attr("role", r("aws_iam_role.api.id"))
            .attr("policy", policy(statements))
    });
    let zip = || t(vec![interp("path.module"), lit(format!("/{API_ZIP_FILE}"))]);
    f.resource(Tier::Foundation, "aws_lambda_function", "api", |b| {
        let b = b
            .attr("function_name", s(format!("{}-api", c.name)))
            .attr("role", r("aws_iam_role.api.arn"))
            .attr("runtime", s("nodejs22.x"))
            .attr("architectures", Expr::strs(["arm64"]))
            .attr("handler", s("index.handler"))
            .attr("filename", zip())
            .attr(
                "source_code_hash",
                Expr::Call("filebase64sha256".into(), Box::new(zip())),
            )
            .attr("memory_size", 256)
            .attr("timeout", 10)
            .block(Block::new("environment").attr(
                "variables",
                obj(vec![
                    ("ALLOWED_ORIGIN", s(c.origin())),
                    ("INBOX", s(c.cfg.inbox.as_ref().map_or("", |i| i.as_str()))),
                    ("SENDER", s(&c.sender)),
                    ("TABLE_INDEX", s(TABLE_INDEX)),
                    ("TABLE_NAME", r("aws_dynamodb_table.main.name")),
                ]),
            ));
        b.block(
            Block::new("logging_config")
                .attr("log_format", s("Text"))
                .attr("log_group", r("aws_cloudwatch_log_group.api.name")),
        )
        .depends_on(&["aws_iam_role_policy.api"])
    });
    f.resource(
        Tier::Foundation,
        "aws_lambda_permission",
        "api_gateway",
        |b| {
            b.attr("statement_id", s("AllowApiGatewayInvoke"))
                .attr("action", s("lambda:InvokeFunction"))
                .attr("function_name", r("aws_lambda_function.api.function_name"))
                .attr("principal", s("apigateway.amazonaws.com"))
                .attr(
                    "source_arn",
                    t(vec![
                        interp("aws_api_gateway_rest_api.api.execution_arn"),
                        lit("/*/*"),
                    ]),
                )
        },
    );

    // -- the REST API
    let api_id = || r("aws_api_gateway_rest_api.api.id");
    f.resource(Tier::Foundation, "aws_api_gateway_rest_api", "api", |b| {
        b.attr("name", s(format!("{}-api", c.name)))
            .block(Block::new("endpoint_configuration").attr("types", Expr::strs(["REGIONAL"])))
    });
    f.resource(Tier::Foundation, "aws_api_gateway_resource", "proxy", |b| {
        b.attr("rest_api_id", api_id())
            .attr(
                "parent_id",
                r("aws_api_gateway_rest_api.api.root_resource_id"),
            )
            .attr("path_part", s("{proxy+}"))
    });
    let resource_id = || r("aws_api_gateway_resource.proxy.id");
    f.resource(
        Tier::Foundation,
        "aws_api_gateway_method",
        "proxy_any",
        |b| {
            b.attr("rest_api_id", api_id())
                .attr("resource_id", resource_id())
                .attr("http_method", s("ANY"))
                .attr("authorization", s("AWS_IAM"))
        },
    );
    f.resource(
        Tier::Foundation,
        "aws_api_gateway_integration",
        "proxy_any",
        |b| {
            b.attr("rest_api_id", api_id())
                .attr("resource_id", resource_id())
                .attr(
                    "http_method",
                    r("aws_api_gateway_method.proxy_any.http_method"),
                )
                .attr("type", s("AWS_PROXY"))
                .attr("integration_http_method", s("POST"))
                .attr("uri", r("aws_lambda_function.api.invoke_arn"))
        },
    );
    f.resource(
        Tier::Foundation,
        "aws_api_gateway_method",
        "proxy_options",
        |b| {
            b.comment("CORS preflight, answered by API Gateway without calling the function.")
                .attr("rest_api_id", api_id())
                .attr("resource_id", resource_id())
                .attr("http_method", s("OPTIONS"))
                .attr("authorization", s("NONE"))
        },
    );
    f.resource(
        Tier::Foundation,
        "aws_api_gateway_integration",
        "proxy_options",
        |b| {
            b.attr("rest_api_id", api_id())
                .attr("resource_id", resource_id())
                .attr(
                    "http_method",
                    r("aws_api_gateway_method.proxy_options.http_method"),
                )
                .attr("type", s("MOCK"))
                .attr(
                    "request_templates",
                    obj(vec![(
                        "application/json",
                        Expr::str("{\"statusCode\": 200}"),
                    )]),
                )
        },
    );
    let cors_params = |prefix: &str, value: bool| {
        let v = |text: &str| if value { s(text) } else { Expr::from(true) };
        obj(vec![
            (
                &*format!("{prefix}.header.Access-Control-Allow-Headers"),
                v(CORS_ALLOW_HEADERS),
            ),
            (
                &*format!("{prefix}.header.Access-Control-Allow-Methods"),
                v(CORS_ALLOW_METHODS),
            ),
            (
                &*format!("{prefix}.header.Access-Control-Allow-Origin"),
                v(&origin),
            ),
            (
                &*format!("{prefix}.header.Access-Control-Max-Age"),
                v("'600'"),
            ),
        ])
    };
    f.resource(
        Tier::Foundation,
        "aws_api_gateway_method_response",
        "proxy_options",
        |b| {
            b.attr("rest_api_id", api_id())
                .attr("resource_id", resource_id())
                .attr(
                    "http_method",
                    r("aws_api_gateway_method.proxy_options.http_method"),
                )
                .attr("status_code", s("200"))
                .attr("response_parameters", cors_params("method.response", false))
                .attr(
                    "response_models",
                    obj(vec![("application/json", s("Empty"))]),
                )
        },
    );
    f.resource(
        Tier::Foundation,
        "aws_api_gateway_integration_response",
        "proxy_options",
        |b| {
            b.attr("rest_api_id", api_id())
                .attr("resource_id", resource_id())
                .attr(
                    "http_method",
                    r("aws_api_gateway_method.proxy_options.http_method"),
                )
                .attr(
                    "status_code",
                    r("aws_api_gateway_method_response.proxy_options.status_code"),
                )
                .attr("response_parameters", cors_params("method.response", true))
                .blank()
                .comment(
                    "The integration must exist before its response (\"Invalid Method identifier\n\
                     specified\" otherwise).",
                )
                .attr(
                    "depends_on",
                    refs(&["aws_api_gateway_integration.proxy_options"]),
                )
        },
    );
    for (name, kind) in [
        ("default_4xx", "DEFAULT_4XX"),
        ("default_5xx", "DEFAULT_5XX"),
    ] {
        f.resource(
            Tier::Foundation,
            "aws_api_gateway_gateway_response",
            name,
            |b| {
                b.attr("rest_api_id", api_id())
                    .attr("response_type", s(kind))
                    .attr(
                        "response_templates",
                        obj(vec![(
                            "application/json",
                            Expr::str("{\"message\": $context.error.messageString}"),
                        )]),
                    )
                    .attr(
                        "response_parameters",
                        obj(vec![
                            (
                                "gatewayresponse.header.Access-Control-Allow-Headers",
                                s(CORS_ALLOW_HEADERS),
                            ),
                            (
                                "gatewayresponse.header.Access-Control-Allow-Origin",
                                s(&origin),
                            ),
                        ]),
                    )
            },
        );
    }
    f.resource(Tier::Foundation, "aws_api_gateway_deployment", "api", |b| {
        b.attr("rest_api_id", api_id())
            .blank()
            .comment(
                "A new deployment whenever the API's configuration changes. The hash covers the\n\
                 values set here, not whole resources, so attributes AWS fills in do not cause a\n\
                 redeployment on every plan.",
            )
            .attr(
                "triggers",
                obj(vec![(
                    "redeployment",
                    Expr::Call(
                        "sha1".into(),
                        Box::new(Expr::jsonencode(Expr::ListLines(
                            [
                                "aws_api_gateway_resource.proxy.id",
                                "aws_api_gateway_method.proxy_any.id",
                                "aws_api_gateway_method.proxy_any.authorization",
                                "aws_api_gateway_integration.proxy_any.id",
                                "aws_api_gateway_integration.proxy_any.uri",
                                "aws_api_gateway_method.proxy_options.id",
                                "aws_api_gateway_integration.proxy_options.id",
                                "aws_api_gateway_integration.proxy_options.request_templates",
                                "aws_api_gateway_method_response.proxy_options.response_parameters",
                                "aws_api_gateway_integration_response.proxy_options.response_parameters",
                                "aws_api_gateway_gateway_response.default_4xx.response_parameters",
                                "aws_api_gateway_gateway_response.default_4xx.response_templates",
                                "aws_api_gateway_gateway_response.default_5xx.response_parameters",
                                "aws_api_gateway_gateway_response.default_5xx.response_templates",
                            ]
                            .into_iter()
                            .map(r)
                            .collect(),
                        ))),
                    ),
                )]),
            )
            .block(Block::new("lifecycle").attr("create_before_destroy", true))
    });
    f.resource(Tier::Foundation, "aws_api_gateway_stage", "api", |b| {
        b.attr("rest_api_id", api_id())
            .attr("deployment_id", r("aws_api_gateway_deployment.api.id"))
            .attr("stage_name", s("production"))
    });
    f.resource(
        Tier::Foundation,
        "aws_api_gateway_method_settings",
        "api",
        |b| {
            b.attr("rest_api_id", api_id())
                .attr("stage_name", r("aws_api_gateway_stage.api.stage_name"))
                .attr("method_path", s("*/*"))
                .blank()
                .comment(
                    "Every method of the stage: a limit far above a small site's traffic that a\n\
                     runaway client cannot pass.",
                )
                .block(
                    Block::new("settings")
                        .attr("throttling_rate_limit", API_THROTTLE.rate)
                        .attr("throttling_burst_limit", API_THROTTLE.burst),
                )
        },
    );

    // -- the custom domain
    f.resource(Tier::Full, "aws_api_gateway_domain_name", "api", |b| {
        b.attr("domain_name", s(&api_domain))
            .attr(
                "regional_certificate_arn",
                r(format!(
                    "{}.certificate_arn",
                    c.api_certificate_validation()
                )),
            )
            .attr("security_policy", s("TLS_1_2"))
            .block(Block::new("endpoint_configuration").attr("types", Expr::strs(["REGIONAL"])))
    });
    f.resource(
        Tier::Full,
        "aws_api_gateway_base_path_mapping",
        "api",
        |b| {
            b.attr("api_id", api_id())
                .attr("stage_name", r("aws_api_gateway_stage.api.stage_name"))
                .attr(
                    "domain_name",
                    r("aws_api_gateway_domain_name.api.domain_name"),
                )
        },
    );
    f.resource(
        Tier::Full,
        "aws_route53_record",
        "api",
        alias(
            &api_domain,
            "A",
            "aws_api_gateway_domain_name.api.regional_domain_name",
            "aws_api_gateway_domain_name.api.regional_zone_id",
        ),
    );
    f
}

/// How long the API function's logs are kept: with the logging part, long enough to look back
/// over a month; without it, a week (still enough to debug a failing request, and cheap).
const LOG_RETENTION_DAYS: (i64, i64) = (30, 7);

pub(crate) fn logging(c: &Ctx) -> TfFile {
    let days = if c.cfg.parts.logging {
        LOG_RETENTION_DAYS.0
    } else {
        LOG_RETENTION_DAYS.1
    };
    let mut f = TfFile::new(
        "logging.tf",
        &format!(
            "The API function's log group (the function writes here through its logging_config),\n\
             kept for {days} days."
        ),
    );
    f.resource(Tier::Foundation, "aws_cloudwatch_log_group", "api", |b| {
        b.attr("name", s(format!("/aws/lambda/{}-api", c.name)))
            .attr("retention_in_days", days)
    });
    f
}

// ---------------------------------------------------------------------------------------------
// Guardrails
// ---------------------------------------------------------------------------------------------

/// SES reviews an account whose bounce rate reaches 5 % or complaint rate 0.1 % ("Sending
/// review process FAQs", SES Developer Guide); the alarms fire at half of each, as fractions
/// (the reputation metrics are ratios, not percentages).
const BOUNCE_RATE_ALARM: &str = "0.025";
const COMPLAINT_RATE_ALARM: &str = "0.0005";
/// What SES suppresses account-wide and in the configuration set.
const SUPPRESSED_REASONS: [&str; 2] = ["BOUNCE", "COMPLAINT"];

/// The policy of an alerts topic: the account keeps its default rights, and the AWS services
/// that report to it (Budgets, CloudWatch alarms, SES event publishing) may publish, for this
/// account only. Budgets needs the statement: it cannot publish to a topic whose policy does not
/// name it ("Creating an Amazon SNS topic for budget notifications", AWS Budgets user guide).
fn topic_policy(topic: &str, services: &[&str]) -> Expr {
    let arn = || r(format!("aws_sns_topic.{topic}.arn"));
    let owner = || r(format!("aws_sns_topic.{topic}.owner"));
    policy(vec![
        obj(vec![
            ("Sid", s("AccountOwner")),
            ("Effect", s("Allow")),
            ("Principal", obj(vec![("AWS", s("*"))])),
            (
                "Action",
                Expr::strs([
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:AddPermission",
                    "SNS:RemovePermission",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ]),
            ),
            ("Resource", arn()),
            (
                "Condition",
                obj(vec![(
                    "StringEquals",
                    obj(vec![("AWS:SourceOwner", owner())]),
                )]),
            ),
        ]),
        obj(vec![
            ("Sid", s("AwsServicesPublish")),
            ("Effect", s("Allow")),
            (
                "Principal",
                obj(vec![("Service", Expr::strs(services.iter().copied()))]),
            ),
            ("Action", s("SNS:Publish")),
            ("Resource", arn()),
            (
                "Condition",
                obj(vec![(
                    "StringEquals",
                    obj(vec![("aws:SourceAccount", owner())]),
                )]),
            ),
        ]),
    ])
}

/// One alerts topic (`alerts`, or `alerts_edge` in us-east-1), its policy, and the owner's email
/// subscription. AWS mails a confirmation link; until it is clicked the subscription is pending
/// and nothing reaches the inbox.
fn alerts_topic(f: &mut TfFile, c: &Ctx, name: &str, topic_name: &str, us_east_1: bool) {
    // The site's topic takes the budget's, SES's and the alarms' notifications; the edge topic
    // in us-east-1 only CloudFront's alarm (an alarm's topic must be in its own region).
    let services: &[&str] = if us_east_1 {
        &["cloudwatch.amazonaws.com"]
    } else {
        &[
            "budgets.amazonaws.com",
            "cloudwatch.amazonaws.com",
            "ses.amazonaws.com",
        ]
    };
    let provider = |b: Block| {
        if us_east_1 {
            b.attr("provider", r("aws.us_east_1"))
        } else {
            b
        }
    };
    f.resource(Tier::Foundation, "aws_sns_topic", name, |b| {
        provider(b).attr("name", s(topic_name))
    });
    f.resource(Tier::Foundation, "aws_sns_topic_policy", name, |b| {
        provider(b)
            .attr("arn", r(format!("aws_sns_topic.{name}.arn")))
            .attr("policy", topic_policy(name, services))
    });
    if let Some(inbox) = &c.cfg.inbox {
        f.resource(
            Tier::Foundation,
            "aws_sns_topic_subscription",
            &format!("{name}_email"),
            |b| {
                provider(b)
                    .attr("topic_arn", r(format!("aws_sns_topic.{name}.arn")))
                    .attr("protocol", s("email"))
                    .attr("endpoint", s(inbox.as_str()))
            },
        );
    }
}

/// A CloudWatch alarm that reports to an alerts topic when it fires and when it clears.
struct Alarm<'a> {
    /// The resource name and the alarm's name after the project's (`api_5xx`: `<name>-api-5xx`).
    name: &'a str,
    description: String,
    namespace: &'a str,
    metric: &'a str,
    dimensions: Vec<(&'a str, Expr)>,
    statistic: &'a str,
    period: i64,
    evaluation_periods: i64,
    threshold: Expr,
    topic: &'a str,
    tier: Tier,
    us_east_1: bool,
}

fn alarm(f: &mut TfFile, c: &Ctx, a: Alarm) {
    let topic = refs(&[&format!("aws_sns_topic.{}.arn", a.topic)]);
    f.resource(a.tier, "aws_cloudwatch_metric_alarm", a.name, |b| {
        let b = if a.us_east_1 {
            b.attr("provider", r("aws.us_east_1"))
        } else {
            b
        };
        let b = b
            .attr("alarm_name", s(alarm_name(c, a.name)))
            .attr("alarm_description", s(a.description))
            .attr("namespace", s(a.namespace))
            .attr("metric_name", s(a.metric));
        let b = if a.dimensions.is_empty() {
            b
        } else {
            b.attr("dimensions", obj(a.dimensions))
        };
        b.attr("statistic", s(a.statistic))
            .attr("period", a.period)
            .attr("evaluation_periods", a.evaluation_periods)
            .attr("threshold", a.threshold)
            .attr("comparison_operator", s("GreaterThanOrEqualToThreshold"))
            .attr("treat_missing_data", s("notBreaching"))
            .attr("alarm_actions", topic.clone())
            .attr("ok_actions", topic)
    });
}

/// The alarms [`guardrails`] writes, by resource name, with whether each lives in us-east-1:
/// read from the file itself, so the readers and the generator cannot disagree.
pub(crate) fn alarm_resources(c: &Ctx) -> Vec<(String, bool)> {
    let file = guardrails(c);
    file.resources
        .iter()
        .filter_map(|(address, _)| address.strip_prefix("aws_cloudwatch_metric_alarm."))
        .map(|name| (name.to_string(), name == CLOUDFRONT_ALARM))
        .collect()
}

/// The one alarm in us-east-1: CloudFront publishes its metrics there.
const CLOUDFRONT_ALARM: &str = "cloudfront_5xx";

/// A guardrail alarm's name in CloudWatch: the project's name, then the resource's.
pub(crate) fn alarm_name(c: &Ctx, resource: &str) -> String {
    format!("{}-{}", c.name, resource.replace('_', "-"))
}

/// The monthly budget's name in AWS Budgets.
pub(crate) fn budget_name(c: &Ctx) -> String {
    format!("{}-monthly", c.name)
}

pub(crate) fn guardrails(c: &Ctx) -> TfFile {
    let mut f = TfFile::new(
        "guardrails.tf",
        "Guardrails: one alerts channel (an SNS topic that mails the owner), SES bounce and\n\
         complaint handling (a configuration set that reports them to the topic, the account's\n\
         suppression list, alarms well below the rates at which AWS reviews an account), alarms\n\
         on the API's and the site's errors, and a monthly cost budget. Turn them off with\n\
         `siteup generate --guardrails off`; tune thresholds in a guardrails_override.tf.",
    );
    let name = &c.name;
    let mut edge = "alerts";
    for (i, topic) in c.cfg.alert_topics().iter().enumerate() {
        if i == 0 {
            alerts_topic(&mut f, c, "alerts", &topic.name, false);
        } else {
            alerts_topic(&mut f, c, "alerts_edge", &topic.name, true);
            edge = "alerts_edge";
        }
    }
    f.resource(
        Tier::Foundation,
        "aws_sesv2_configuration_set",
        "email",
        |b| {
            b.attr("configuration_set_name", s(name))
                .block(Block::new("reputation_options").attr("reputation_metrics_enabled", true))
                .block(Block::new("sending_options").attr("sending_enabled", true))
                .block(
                    Block::new("suppression_options")
                        .attr("suppressed_reasons", Expr::strs(SUPPRESSED_REASONS)),
                )
        },
    );
    f.resource(
        Tier::Foundation,
        "aws_sesv2_configuration_set_event_destination",
        "alerts",
        |b| {
            b.attr(
                "configuration_set_name",
                r("aws_sesv2_configuration_set.email.configuration_set_name"),
            )
            .attr("event_destination_name", s("alerts"))
            .block(
                Block::new("event_destination")
                    // The provider's default is false: a destination that publishes nothing.
                    .attr("enabled", true)
                    .attr("matching_event_types", Expr::strs(["BOUNCE", "COMPLAINT"]))
                    .block(
                        Block::new("sns_destination")
                            .attr("topic_arn", r("aws_sns_topic.alerts.arn")),
                    ),
            )
            // SES publishes only where the topic's policy lets it.
            .depends_on(&["aws_sns_topic_policy.alerts"])
        },
    );
    f.resource(
        Tier::Foundation,
        "aws_sesv2_account_suppression_attributes",
        "account",
        |b| {
            b.comment("Account-wide: addresses that bounced or complained are not mailed again.")
                .attr("suppressed_reasons", Expr::strs(SUPPRESSED_REASONS))
        },
    );
    for (alarm_name, metric, threshold, what) in [
        (
            "ses_bounce_rate",
            "Reputation.BounceRate",
            BOUNCE_RATE_ALARM,
            "bounce rate reached 2.5 % (SES reviews the account at 5 %)",
        ),
        (
            "ses_complaint_rate",
            "Reputation.ComplaintRate",
            COMPLAINT_RATE_ALARM,
            "complaint rate reached 0.05 % (SES reviews the account at 0.1 %)",
        ),
    ] {
        alarm(
            &mut f,
            c,
            Alarm {
                name: alarm_name,
                description: format!("The SES {what}."),
                namespace: "AWS/SES",
                metric,
                dimensions: Vec::new(),
                statistic: "Average",
                period: 3600,
                evaluation_periods: 1,
                threshold: r(threshold),
                topic: "alerts",
                tier: Tier::Foundation,
                us_east_1: false,
            },
        );
    }
    if c.cfg.parts.api {
        let function = || r("aws_lambda_function.api.function_name");
        alarm(
            &mut f,
            c,
            Alarm {
                name: "api_5xx",
                description: "5 % or more of the API's requests failed with a 5xx for 10 minutes."
                    .into(),
                namespace: "AWS/ApiGateway",
                metric: "5XXError",
                dimensions: vec![
                    ("ApiName", r("aws_api_gateway_rest_api.api.name")),
                    ("Stage", r("aws_api_gateway_stage.api.stage_name")),
                ],
                statistic: "Average",
                period: 300,
                evaluation_periods: 2,
                threshold: r("0.05"),
                topic: "alerts",
                tier: Tier::Foundation,
                us_east_1: false,
            },
        );
        alarm(
            &mut f,
            c,
            Alarm {
                name: "function_errors",
                description: "The API's function failed 5 times or more in 5 minutes.".into(),
                namespace: "AWS/Lambda",
                metric: "Errors",
                dimensions: vec![("FunctionName", function())],
                statistic: "Sum",
                period: 300,
                evaluation_periods: 1,
                threshold: r("5"),
                topic: "alerts",
                tier: Tier::Foundation,
                us_east_1: false,
            },
        );
        alarm(
            &mut f,
            c,
            Alarm {
                name: "function_throttles",
                description: "The API's function was throttled (it hit its concurrency limit)."
                    .into(),
                namespace: "AWS/Lambda",
                metric: "Throttles",
                dimensions: vec![("FunctionName", function())],
                statistic: "Sum",
                period: 300,
                evaluation_periods: 1,
                threshold: r("1"),
                topic: "alerts",
                tier: Tier::Foundation,
                us_east_1: false,
            },
        );
    }
    if c.cfg.parts.site {
        alarm(
            &mut f,
            c,
            Alarm {
                name: CLOUDFRONT_ALARM,
                description: "5 % or more of the site's requests failed with a 5xx for 10 minutes."
                    .into(),
                namespace: "AWS/CloudFront",
                metric: "5xxErrorRate",
                dimensions: vec![
                    ("DistributionId", r("aws_cloudfront_distribution.site.id")),
                    ("Region", s("Global")),
                ],
                statistic: "Average",
                period: 300,
                evaluation_periods: 2,
                threshold: r("5"),
                topic: edge,
                tier: Tier::Full,
                us_east_1: true,
            },
        );
    }
    let budget = c.cfg.guardrails.budget_usd;
    f.resource(Tier::Foundation, "aws_budgets_budget", "monthly", |b| {
        let notification = |kind: &str, percent: i64| {
            Block::new("notification")
                .attr("comparison_operator", s("GREATER_THAN"))
                .attr("threshold", percent)
                .attr("threshold_type", s("PERCENTAGE"))
                .attr("notification_type", s(kind))
                .attr(
                    "subscriber_sns_topic_arns",
                    refs(&["aws_sns_topic.alerts.arn"]),
                )
        };
        b.comment(
            "The whole account's cost: tags count in a budget only once activated for billing.",
        )
        .attr("name", s(format!("{name}-monthly")))
        .attr("budget_type", s("COST"))
        .attr("limit_amount", s(budget.to_string()))
        .attr("limit_unit", s("USD"))
        .attr("time_unit", s("MONTHLY"))
        .block(notification("FORECASTED", 80))
        .block(notification("ACTUAL", 100))
        .depends_on(&["aws_sns_topic_policy.alerts"])
    });
    f
}

pub(crate) fn outputs(c: &Ctx) -> TfFile {
    let parts = c.cfg.parts;
    let mut f = TfFile::new(
        "outputs.tf",
        "What you need after apply: `terraform output` prints these (`-json` for scripts).",
    );
    f.output(
        output::NAME_SERVERS,
        "Set these four nameservers at your registrar.",
        r(format!("{ZONE_ADDRESS}.name_servers")),
    );
    f.output(
        output::ZONE_ID,
        "The Route 53 hosted zone ID.",
        r(format!("{ZONE_ADDRESS}.zone_id")),
    );
    f.output(output::REGION, "The main AWS region.", s(&c.region));
    f.output(
        output::SENDER_ADDRESS,
        "The address the site sends mail from (the domain identity covers every address of it).",
        s(&c.sender),
    );
    f.output(
        output::STATE_BUCKET,
        "The bucket that holds Terraform's state.",
        r("aws_s3_bucket.state.bucket"),
    );
    f.output(
        output::DEPLOYS_BUCKET,
        "The bucket for deployment artifacts.",
        r("aws_s3_bucket.deploys.bucket"),
    );
    if parts.site {
        f.output(output::SITE_URL, "The website.", s(c.origin()));
        f.output(
            output::SITE_BUCKET,
            "Upload the built site here (aws s3 sync).",
            r("aws_s3_bucket.site.bucket"),
        );
        f.output(
            output::CLOUDFRONT_DISTRIBUTION_ID,
            "Invalidate this distribution after an upload.",
            r("aws_cloudfront_distribution.site.id"),
        );
    }
    if parts.database {
        f.output(
            output::TABLE_NAME,
            "The DynamoDB table.",
            r("aws_dynamodb_table.main.name"),
        );
    }
    if parts.users {
        f.output(
            output::USER_POOL_ID,
            "The Cognito user pool ID.",
            r("aws_cognito_user_pool.main.id"),
        );
        f.output(
            output::USER_POOL_CLIENT_ID,
            "The web client ID for sign-in from the site.",
            r("aws_cognito_user_pool_client.web.id"),
        );
        f.output(
            output::AUTH_URL,
            "The hosted sign-in pages.",
            s(format!("https://{}", c.sub("auth"))),
        );
    }
    if parts.identity_pool() {
        f.output(
            output::IDENTITY_POOL_ID,
            "The Cognito identity pool ID (AWS credentials for signed-in users).",
            r("aws_cognito_identity_pool.main.id"),
        );
    }
    if parts.api {
        f.output(
            output::API_URL,
            "The API at its own domain.",
            s(format!("https://{}", c.sub("api"))),
        );
        f.output(
            output::API_INVOKE_URL,
            "The API's default endpoint (works before the custom domain is ready).",
            r("aws_api_gateway_stage.api.invoke_url"),
        );
        f.output(
            output::API_FUNCTION_NAME,
            "The Lambda function behind the API.",
            r("aws_lambda_function.api.function_name"),
        );
    }
    if parts.api {
        f.output(
            output::API_LOG_GROUP,
            "The API function's CloudWatch log group.",
            r("aws_cloudwatch_log_group.api.name"),
        );
    }
    f
}

/// Every `.tf` file for the answers, in a stable order.
pub(crate) fn tf_files(c: &Ctx, opts: &GenerateOptions) -> Vec<TfFile> {
    let parts = c.cfg.parts;
    let mut files = vec![versions(), providers(c)];
    if opts.backend == Backend::S3 {
        files.push(backend(c));
    }
    files.push(state(c));
    files.push(deploys(c));
    files.push(zone(c));
    files.push(email(c));
    if parts.needs_certificate() {
        files.push(certificate(c));
    }
    if parts.site {
        files.push(site(c));
    }
    if parts.database {
        files.push(database(c));
    }
    if parts.users {
        files.push(users(c));
    }
    if parts.identity_pool() {
        files.push(identities(c));
    }
    if parts.api {
        files.push(api(c));
    }
    // The API's log group exists with the API, whatever the logging part says (it sets how
    // long logs are kept).
    if parts.api {
        files.push(logging(c));
    }
    if c.cfg.guardrails.on {
        files.push(guardrails(c));
    }
    files.push(outputs(c));
    files
}
