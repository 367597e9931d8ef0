//! The non-HCL files: README.md, .gitignore and the CloudFront function's source.

use super::manifest::MANIFEST_FILE;
use super::stack::{API_ZIP_FILE, Ctx, SITE_FUNCTION_FILE, TABLE_INDEX};
use crate::site::DmarcPolicy;

pub(crate) fn gitignore() -> String {
    "\
# Written by siteup. Commit .terraform.lock.hcl and .siteup-manifest.json; never state or plans.
.terraform/
*.tfstate
*.tfstate.*
*.tfplan
*.plan
tfplan
crash.log
crash.*.log
# Local overrides, including siteup's sandbox file (siteup_sandbox_override.tf).
override.tf
override.tf.json
*_override.tf
*_override.tf.json
"
    .to_string()
}

/// The CloudFront viewer-request function (cloudfront-js-2.0).
pub(crate) fn site_function(c: &Ctx) -> String {
    // A JSON string is a valid JavaScript string literal, whatever it holds.
    let apex = serde_json::Value::String(c.domain.clone()).to_string();
    let www = serde_json::Value::String(format!("www.{}", c.domain)).to_string();
    format!(
        r#"// CloudFront viewer-request function, written by siteup (runtime cloudfront-js-2.0).
// - Requests for www are redirected (301) to the bare domain, path and query kept.
// - A path ending in "/" is served from its index.html: the bucket is private and reached
//   through its REST endpoint, which has no index documents of its own.
var APEX = {apex};
var WWW = {www};

function queryString(querystring) {{
  var parts = [];
  for (var key in querystring) {{
    var entry = querystring[key];
    var values = entry.multiValue ? entry.multiValue : [entry];
    for (var i = 0; i < values.length; i++) {{
      parts.push(values[i].value === "" ? key : key + "=" + values[i].value);
    }}
  }}
  return parts.length > 0 ? "?" + parts.join("&") : "";
}}

function handler(event) {{
  var request = event.request;
  var host = request.headers.host ? request.headers.host.value : "";
  if (host === WWW) {{
    return {{
      statusCode: 301,
      statusDescription: "Moved Permanently",
      headers: {{
        location: {{ value: "https://" + APEX + request.uri + queryString(request.querystring) }},
      }},
    }};
  }}
  if (request.uri.endsWith("/")) {{
    request.uri += "index.html";
  }}
  return request;
}}
"#
    )
}

/// Wraps `text` at `width` columns: the first line starts with `first`, later ones with `rest`.
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

const WIDTH: usize = 92;

fn para(text: &str) -> String {
    let mut s = wrap(text, WIDTH, "", "");
    s.push('\n');
    s
}

fn bullet(text: &str) -> String {
    wrap(text, WIDTH, "- ", "  ")
}

/// The README: one entry per file that exists for these answers, the phases, the choices.
pub(crate) fn readme(c: &Ctx, file_names: &[String]) -> String {
    let parts = c.cfg.parts;
    let has = |n: &str| file_names.iter().any(|f| f == n);
    let mut out = format!("# Terraform for {}\n\n", c.domain);
    out.push_str(&para(&format!(
        "siteup generated these files from `siteup.toml`. They are ordinary Terraform: read them, \
         run them yourself, change them. siteup records what it wrote in `{MANIFEST_FILE}` \
         (commit it): `siteup generate` never overwrites a file you edited; it shows the diff of \
         what it would change and needs `--force` to replace it. Files of a part you turn off \
         are removed when you have not edited them."
    )));
    let mut region = format!("Region: {} ({}).", c.region, c.cfg.region.human_name());
    if parts.needs_certificate() {
        region.push_str(
            " The certificate for CloudFront and the Cognito sign-in domain lives in us-east-1 \
             (the `aws.us_east_1` provider), as AWS requires.",
        );
    }
    out.push_str(&para(&region));
    out.push_str("## Files\n\n");
    let entries: Vec<(&str, String)> = vec![
        ("versions.tf", "Terraform >= 1.11 and the AWS provider (>= 5.100, < 6).".into()),
        (
            "providers.tf",
            "the AWS provider in the main region and its us-east-1 alias.".into(),
        ),
        (
            "backend.tf",
            "remote state in the state bucket with S3-native locking (written once the bucket \
             exists)."
                .into(),
        ),
        (
            "state.tf",
            "the state bucket: private, encrypted, versioned (old state versions are kept for 90 \
             days), HTTPS only, protected from destruction."
                .into(),
        ),
        (
            "deploys.tf",
            "a private bucket for deployment artifacts, with the same protections (old versions \
             are kept for 30 days)."
                .into(),
        ),
        (
            "zone.tf",
            "the hosted zone, protected: a new zone means new nameservers at the registrar.".into(),
        ),
        (
            "email.tf",
            format!(
                "SES: the domain identity with Easy DKIM (its three DKIM CNAME records are also its \
                 verification: SES v2 has no separate verification TXT record), the MAIL FROM \
                 domain `mail.` with its MX and SPF records, a DMARC record ({}), the owner's inbox \
                 as an address identity (if given: until SES grants production access, mail \
                 reaches only verified addresses) and the domain's own MX records (if any). No \
                 sender address is verified: the domain identity covers all of them.",
                match c.cfg.dmarc_policy {
                    DmarcPolicy::None => "`p=none`: receivers only report; once DKIM and SPF \
                                          align, `siteup email --dmarc quarantine` tightens it"
                        .to_string(),
                    policy => format!("`p={policy}`, set with `siteup email --dmarc`"),
                }
            ),
        ),
        (
            "certificate.tf",
            "the ACM certificate with one validation record per name; whatever uses the \
             certificate takes its ARN from the validation resource, so it waits until the \
             certificate is issued."
                .into(),
        ),
        (
            "site.tf",
            "the site bucket (private, read only by CloudFront through origin access control, \
             versioned so that a bad deploy can be rolled back; old versions are kept for 30 days), \
             the CloudFront distribution (TLS 1.2 or newer, HTTP/2 and 3, IPv6, AWS's managed \
             security headers policy, a 404 page at `/404.html`) and A/AAAA records for the domain \
             and www."
                .into(),
        ),
        (
            SITE_FUNCTION_FILE,
            "the CloudFront function: `/dir/` serves `/dir/index.html`; www redirects to the \
             bare domain."
                .into(),
        ),
        (
            "database.tf",
            format!(
                "one DynamoDB table (keys `pk` and `sk`; index `{TABLE_INDEX}` on `sk` and `pk`), \
                 on-demand billing, point-in-time recovery, protected from destruction and with \
                 DynamoDB's deletion protection on."
            ),
        ),
        (
            "users.tf",
            "the Cognito user pool (its mail goes through SES from the domain; Cognito's deletion \
             protection on), its web client and \
             the sign-in domain `auth.` (created after the domain's A record, which Cognito \
             requires)."
                .into(),
        ),
        (
            "identities.tf",
            "the identity pool: signed-in users get credentials that may only call this API."
                .into(),
        ),
        (
            "api.tf",
            "the Lambda function and its least-privilege role, the REST API (`{proxy+}` to the \
             function with IAM authorization, CORS preflights answered by API Gateway, JSON error \
             responses, a deployment that follows every change, the `production` stage with a \
             request rate limit on every method) and its \
             REGIONAL custom domain `api.` with TLS 1.2."
                .into(),
        ),
        (
            API_ZIP_FILE,
            "the function's code, zipped by siteup reproducibly (same code, same bytes). Replace \
             it with your own build: siteup keeps a file you changed."
                .into(),
        ),
        (
            "logging.tf",
            "the function's log group, with 30 days of retention.".into(),
        ),
        ("outputs.tf", "what you need later: `terraform output`.".into()),
        (
            ".gitignore",
            "keeps state, plans and `.terraform/` out of git.".into(),
        ),
    ];
    for (name, text) in entries {
        if has(name) {
            out.push_str(&bullet(&format!("`{name}`: {text}")));
        }
    }

    out.push_str("\n## How siteup applies this\n\n");
    let mut steps = vec![
        "The state bucket alone, with local state; then `backend.tf` is written and the state is \
         moved into the bucket."
            .to_string(),
        "Everything that does not wait on a person, in one apply: the zone, the SES identities \
         and their records, the certificate requests and their validation records, the buckets, \
         the table, the log group, the function, the roles and the API without its custom domain \
         (whichever of these you chose)."
            .to_string(),
    ];
    let mut later = Vec::new();
    if parts.needs_certificate() {
        later.push("the certificate validation");
    }
    if parts.site {
        later.push("CloudFront and the site's records");
    }
    if parts.users {
        later.push("Cognito");
    }
    if parts.api {
        later.push("the API's custom domain");
    }
    if !later.is_empty() {
        steps.push(format!(
            "Once the nameservers are set at the registrar and AWS has verified the domain: the \
             rest ({}).",
            later.join(", ")
        ));
    }
    for (n, text) in steps.iter().enumerate() {
        out.push_str(&wrap(text, WIDTH, &format!("{}. ", n + 1), "   "));
    }

    out.push_str("\n## Choices worth knowing\n\n");
    if parts.api {
        let mut text = String::from(
            "The API is REGIONAL, not edge-optimized: it works seconds after apply (an edge \
             domain hides a CloudFront distribution that takes up to 40 minutes), and the \
             function, the table and the identity pool live in the same region anyway.",
        );
        if c.regional_api_certificate() {
            text.push_str(&format!(
                " A REGIONAL domain needs a certificate in its own region, so `api.{}` has its own \
                 certificate in {}.",
                c.domain, c.region
            ));
        }
        out.push_str(&bullet(&text));
        out.push_str(&bullet(
            "CORS allows the site's own origin only. To call the API from elsewhere (a local \
             development server), add that origin in `api.tf` and in the function's \
             `ALLOWED_ORIGIN`.",
        ));
        if !parts.logging {
            out.push_str(&bullet(
                "Logging is off: the function may not write logs, so nothing is stored (or \
                 billed) in CloudWatch.",
            ));
        }
    }
    if parts.site {
        out.push_str(&bullet(
            "www redirects to the bare domain (one canonical address), through the same \
             distribution. The security headers come from AWS's managed policy \
             SecurityHeadersPolicy; to change them, create your own \
             `aws_cloudfront_response_headers_policy` and point the distribution at it.",
        ));
    }
    let mut protected = vec!["the zone", "the state and deploys buckets"];
    if parts.database {
        protected.push("the table");
    }
    if parts.users {
        protected.push("the user pool");
    }
    let last = protected.pop().unwrap_or_default();
    out.push_str(&bullet(&format!(
        "Protected from destruction (`prevent_destroy`): {} and {last}. Turning a part off in \
         siteup removes its file and with it the protection: the plan review then names what \
         would be lost. The table and the user pool also have AWS's own deletion protection: \
         to delete one, first set `deletion_protection_enabled = false` (table) or \
         `deletion_protection = \"INACTIVE\"` (pool) and apply.",
        protected.join(", ")
    )));
    out
}
