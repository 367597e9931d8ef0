//! Sandbox mode: `terraform/siteup_sandbox_override.tf` points Terraform at the local AWS
//! emulator without touching the production files.
//!
//! Terraform merges `*_override.tf` files into the configuration, so this one file:
//!
//! - sends every AWS call of both providers to the emulator (`endpoints`), with throwaway
//!   credentials, path-style S3 and few retries (an emulator error should fail fast instead of
//!   being retried for twenty minutes); with the file present, Terraform cannot reach AWS even if
//!   the environment still names a real profile;
//! - when `backend.tf` exists, replaces the S3 backend with one that stores the state in the
//!   emulator's state bucket (an override's backend replaces the original one entirely);
//! - ignores no attribute: moto 5.2.5's round-trip gaps for this stack (CloudFront's
//!   cache behaviour, origin and certificate; the Cognito domain's certificate; the Lambda's
//!   `logging_config`; tags of SESv2 identities) are fixed in the emulator itself
//!   (`assets/emulator/siteup_emulator.py`), so the sandbox checks those settings too, and a
//!   second plan after an apply shows no changes.
//!
//! Terraform refuses an override for a resource the configuration does not declare, so the file
//! follows the parts that are on. The file is never in the manifest and is ignored by git
//! (`*_override.tf` in the generated .gitignore). Its header names the emulator's URL
//! ([`sandbox_url`]), so that whoever writes `backend.tf` later can rewrite the override with the
//! emulator's backend.
//!
//! The backend block carries the emulator's URL: when the URL changes, the backend configuration
//! changes too and terraform asks for `init -reconfigure` (the state stays in the emulator's
//! bucket, so nothing is to be migrated).

use std::io;
use std::path::Path;

use super::hcl::{Block, Expr, File};
use super::{STATE_KEY, TfgenError};
use crate::aws::{SANDBOX_ACCESS_KEY_ID, SANDBOX_SECRET_ACCESS_KEY};
use crate::project::atomic::write_atomic;
use crate::site::SiteConfig;

/// The override file's name in the terraform folder.
pub const SANDBOX_OVERRIDE_FILE: &str = "siteup_sandbox_override.tf";

/// The services the generated stack calls (provider `endpoints` names).
const SERVICES: &[&str] = &[
    "acm",
    "apigateway",
    "budgets",
    "cloudfront",
    "cloudwatch",
    "cognitoidentity",
    "cognitoidp",
    "dynamodb",
    "iam",
    "lambda",
    "logs",
    "route53",
    "s3",
    "ses",
    "sesv2",
    "sns",
    "sts",
];

/// The header line that names the emulator's URL.
const URL_MARKER: &str = "siteup-sandbox-endpoint: ";

/// Whether `url` can be written into the override: `http://` or `https://`, no spaces, quotes
/// or control characters.
pub fn valid_url(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && url.len() <= 200
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\' | '$' | '%'))
}

/// The emulator URL named by the override in `terraform_dir`, if the file exists (sandbox mode
/// is on).
pub fn sandbox_url(terraform_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(terraform_dir.join(SANDBOX_OVERRIDE_FILE)).ok()?;
    text.lines()
        .filter_map(|l| l.strip_prefix("# "))
        .find_map(|l| l.strip_prefix(URL_MARKER))
        .map(str::trim)
        .filter(|u| valid_url(u))
        .map(str::to_string)
}

/// The override for `config`, talking to the emulator at `url`; with the S3 backend when
/// `with_backend`.
pub fn render(config: &SiteConfig, url: &str, with_backend: bool) -> String {
    let mut file = File {
        header: Some(format!(
            "Written by siteup for sandbox mode: every AWS call goes to the local emulator, with\n\
             throwaway credentials. siteup removes this file when sandbox mode is off. Do not\n\
             commit it.\n\
             {URL_MARKER}{url}"
        )),
        blocks: Vec::new(),
    };
    if with_backend {
        file.blocks.push(
            Block::new("terraform").block(
                Block::labeled("backend", &["s3"])
                    .attr("bucket", Expr::str(config.state_bucket.as_str()))
                    .attr("key", Expr::str(STATE_KEY))
                    .attr("region", Expr::str(config.region.as_str()))
                    .attr("encrypt", true)
                    .attr("use_lockfile", true)
                    .attr("use_path_style", true)
                    .attr("access_key", Expr::str(SANDBOX_ACCESS_KEY_ID))
                    .attr("secret_key", Expr::str(SANDBOX_SECRET_ACCESS_KEY))
                    .attr("skip_credentials_validation", true)
                    .attr("skip_requesting_account_id", true)
                    .attr("skip_metadata_api_check", true)
                    .attr(
                        "endpoints",
                        Expr::Object(
                            ["iam", "s3", "sts"]
                                .into_iter()
                                .map(|s| (s.to_string(), Expr::str(url)))
                                .collect(),
                        ),
                    ),
            ),
        );
    }
    let provider = |alias: Option<&str>| {
        let b = Block::labeled("provider", &["aws"]);
        let b = match alias {
            Some(a) => b.attr("alias", Expr::str(a)),
            None => b,
        };
        let mut endpoints = Block::new("endpoints");
        for s in SERVICES {
            endpoints = endpoints.attr(s, Expr::str(url));
        }
        b.attr("access_key", Expr::str(SANDBOX_ACCESS_KEY_ID))
            .attr("secret_key", Expr::str(SANDBOX_SECRET_ACCESS_KEY))
            .attr("s3_use_path_style", true)
            .attr("skip_metadata_api_check", Expr::str("true"))
            .attr("max_retries", 2)
            .block(endpoints)
    };
    file.blocks.push(provider(None));
    file.blocks.push(provider(Some("us_east_1")));

    file.to_text()
}

/// Writes the override when `sandbox_url` is given (with the sandbox backend if `backend.tf`
/// exists in `terraform_dir`), removes it otherwise. Returns whether the file changed; an
/// unchanged file is not rewritten.
pub fn write(
    terraform_dir: &Path,
    config: &SiteConfig,
    sandbox_url: Option<&str>,
) -> Result<bool, TfgenError> {
    let path = terraform_dir.join(SANDBOX_OVERRIDE_FILE);
    let io_err = |action: &'static str, source: io::Error| TfgenError::Io {
        action,
        path: path.clone(),
        source,
    };
    match sandbox_url {
        Some(url) if !valid_url(url) => Err(TfgenError::BadSandboxUrl(url.to_string())),
        None => match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err("remove", e)),
        },
        Some(url) => {
            let with_backend = terraform_dir.join("backend.tf").exists();
            let text = render(config, url, with_backend);
            match std::fs::read(&path) {
                Ok(existing) if existing == text.as_bytes() => return Ok(false),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("read", e)),
            }
            std::fs::create_dir_all(terraform_dir)
                .map_err(|e| io_err("create the folder of", e))?;
            write_atomic(&path, text.as_bytes()).map_err(|e| io_err("write", e))?;
            Ok(true)
        }
    }
}
