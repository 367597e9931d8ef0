//! `SiteConfig` -> a complete Terraform project for the whole stack, written into
//! `PATH/terraform/`.
//!
//! - [`render`] is pure: the answers in, every file's bytes out (`.tf` files in canonical
//!   `terraform fmt` form, the CloudFront function, the deterministic `api.zip`, README.md and
//!   .gitignore). Parts that are off produce no file and no reference.
//! - [`write_project`] writes them without ever silently overwriting a file the user edited
//!   (see [`manifest`]).
//! - [`phase_targets`] gives the `-target` addresses for each phase of the journey, so later
//!   steps can apply in phases while the files stay complete.
//!
//! ```text
//! let files = render(&config, &GenerateOptions { backend: Backend::Local })?;
//! let report = write_project(&dir.join("terraform"), &files, force)?;
//! ```

pub(crate) mod adopt;
mod docs;
pub(crate) mod hcl;
pub(crate) mod manifest;
pub mod names;
pub mod sandbox_override;
mod stack;
pub mod teardown;
pub mod zip;

use std::path::PathBuf;

pub use manifest::{
    Conflict, FileAction, FileReport, MANIFEST_FILE, WriteOptions, WriteReport, write_project,
    write_project_with,
};
pub use sandbox_override::SANDBOX_OVERRIDE_FILE;

use crate::site::{InputError, SiteConfig};
use stack::{Ctx, Tier};

/// The key of the state object in the state bucket.
pub const STATE_KEY: &str = "terraform.tfstate";

/// The generated stack's `required_version`: 1.11 made S3-native state locking
/// (`use_lockfile`, which `backend.tf` uses) generally available. siteup's own check
/// (`terraform::version::MIN_VERSION`) asks for the same release.
pub const REQUIRED_TERRAFORM_VERSION: &str = ">= 1.11";

/// Where Terraform keeps its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// Local `terraform.tfstate`: before the state bucket exists (no `backend.tf`).
    #[default]
    Local,
    /// The S3 backend in the state bucket (`backend.tf`), once the bucket exists.
    S3,
}

/// Options for [`render`].
#[derive(Debug, Clone, Default)]
pub struct GenerateOptions {
    pub backend: Backend,
}

/// The S3 backend's settings, as written into `backend.tf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3BackendSettings {
    pub bucket: String,
    pub key: String,
    pub region: String,
}

/// The S3 backend settings siteup writes for `config`.
pub fn s3_backend_settings(config: &SiteConfig) -> S3BackendSettings {
    S3BackendSettings {
        bucket: config.state_bucket.as_str().to_string(),
        key: STATE_KEY.to_string(),
        region: config.region.as_str().to_string(),
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative to the terraform folder.
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum TfgenError {
    #[error("The answers cannot be generated as they are: {0}")]
    InvalidConfig(#[from] InputError),
    #[error(
        "siteup could not build the API package api.zip ({0}); this is a bug in siteup, please report it."
    )]
    Zip(String),
    #[error(
        "siteup could not {action} {}: {}.", path.display(), crate::words::io_advice(source)
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "siteup refused to write {0}: generated files must stay inside the terraform folder, once each; this is a bug in siteup, please report it."
    )]
    UnsafePath(PathBuf),
    #[error(
        "{0} is a symbolic link or not a folder; siteup writes only into a real terraform folder inside the project, so replace it with a folder and run siteup again."
    )]
    NotAFolder(PathBuf),
    #[error(
        "The sandbox URL {0:?} cannot be used; give the emulator's address as http://HOST:PORT, like http://127.0.0.1:4566."
    )]
    BadSandboxUrl(String),
}

/// The phases of the journey's applies: the one phase type of siteup (the core's steps map to
/// it in `wizard::state`, the apply handler targets it with [`phase_targets`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Everything that does not wait on a human: the state bucket and its settings (applied with
    /// local state: the state moves into the bucket right after this apply), the zone, SES
    /// identities and all their records,
    /// certificate requests and their validation records (not the validations), buckets, table,
    /// log group, Lambda, IAM and the REST API without its custom domain. Once a certificate's
    /// user exists (the stack is live), everything: see [`phase_targets_given`].
    Foundation,
    /// Everything (no targets).
    Full,
}

impl Phase {
    /// The phase's id in file names (`foundation.tfplan`).
    pub fn id(self) -> &'static str {
        match self {
            Phase::Foundation => "foundation",
            Phase::Full => "full",
        }
    }
}

/// Every file of the project for `config`, in a stable order.
pub fn render(
    config: &SiteConfig,
    opts: &GenerateOptions,
) -> Result<Vec<GeneratedFile>, TfgenError> {
    config.check()?;
    let ctx = Ctx::new(config);
    let parts = config.parts;
    let mut files: Vec<GeneratedFile> = stack::tf_files(&ctx, opts)
        .into_iter()
        .map(|f| GeneratedFile {
            path: PathBuf::from(f.name),
            bytes: f.file.to_text().into_bytes(),
        })
        .collect();
    if parts.site {
        files.push(GeneratedFile {
            path: PathBuf::from(stack::SITE_FUNCTION_FILE),
            bytes: docs::site_function(&ctx).into_bytes(),
        });
    }
    if parts.api {
        files.push(GeneratedFile {
            path: PathBuf::from(stack::API_ZIP_FILE),
            bytes: zip::api_zip().map_err(|e| TfgenError::Zip(e.to_string()))?,
        });
    }
    files.push(GeneratedFile {
        path: PathBuf::from(".gitignore"),
        bytes: docs::gitignore().into_bytes(),
    });
    let mut names: Vec<String> = files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect();
    names.push("README.md".into());
    files.push(GeneratedFile {
        path: PathBuf::from("README.md"),
        bytes: docs::readme(&ctx, &names).into_bytes(),
    });
    Ok(files)
}

/// Every resource address in the generated configuration, in file order.
pub fn resource_addresses(config: &SiteConfig) -> Vec<String> {
    let ctx = Ctx::new(config);
    stack::tf_files(&ctx, &GenerateOptions::default())
        .into_iter()
        .flat_map(|f| f.resources)
        .map(|(address, _)| address)
        .collect()
}

/// The `-target` addresses for `phase` before anything is applied (empty for [`Phase::Full`]:
/// apply everything). See [`phase_targets_given`] for a stack that exists.
///
/// Each set is closed under the dependencies that need no human: Terraform adds a target's
/// dependencies by itself, and nothing in [`Phase::Foundation`] depends on a certificate
/// validation, CloudFront or Cognito.
pub fn phase_targets(config: &SiteConfig, phase: Phase) -> Vec<String> {
    phase_targets_given(config, phase, &[])
}

/// The `-target` addresses for `phase` when the state already holds `state` (the addresses
/// `terraform state list` prints).
///
/// A certificate is replaced when its names change (a part that serves HTTPS added or removed)
/// and deleted with the last part that needs it, while its users ([`names::CERTIFICATE_USERS`]:
/// CloudFront, the Cognito and API custom domains) belong to the full phase. Once one of them
/// exists, an apply targeted at the foundation would create the new certificate and then try to
/// delete the old one while they still hold it, which ACM refuses (and the apply stops half
/// done). So the foundation phase of a stack that has a certificate user applies everything:
/// each user moves to the new certificate in the same apply, before the old one is deleted
/// (`create_before_destroy`). Nothing in it waits on a human any more: the domain was delegated
/// and the certificates validated when the users were created.
pub fn phase_targets_given(config: &SiteConfig, phase: Phase, state: &[String]) -> Vec<String> {
    if phase == Phase::Foundation && has_certificate_user(state) {
        return Vec::new();
    }
    match phase {
        Phase::Foundation => addresses_of(config, |tier| {
            matches!(tier, Tier::State | Tier::Foundation)
        }),
        Phase::Full => Vec::new(),
    }
}

/// The guardrails' CloudWatch alarms as (region, name), and the budget's name; nothing when
/// the guardrails are off.
pub fn guardrail_names(config: &SiteConfig) -> (Vec<(String, String)>, Option<String>) {
    if !config.guardrails.on {
        return (Vec::new(), None);
    }
    let ctx = Ctx::new(config);
    let alarms = stack::alarm_resources(&ctx)
        .into_iter()
        .map(|(resource, us_east_1)| {
            let region = if us_east_1 {
                "us-east-1".to_string()
            } else {
                config.region.as_str().to_string()
            };
            (region, stack::alarm_name(&ctx, &resource))
        })
        .collect();
    (alarms, Some(stack::budget_name(&ctx)))
}

/// The state bucket and its settings: what the state's move to S3 needs to exist, and what the
/// remote state must hold once the move is done.
pub fn state_bucket_addresses(config: &SiteConfig) -> Vec<String> {
    addresses_of(config, |tier| tier == Tier::State)
}

fn addresses_of(config: &SiteConfig, wanted: impl Fn(Tier) -> bool) -> Vec<String> {
    let ctx = Ctx::new(config);
    stack::tf_files(&ctx, &GenerateOptions::default())
        .into_iter()
        .flat_map(|f| f.resources)
        .filter(|(_, tier)| wanted(*tier))
        .map(|(address, _)| address)
        .collect()
}

/// Whether `state` (addresses from `terraform state list`) holds a resource that uses a
/// certificate.
pub fn has_certificate_user(state: &[String]) -> bool {
    state.iter().any(|address| {
        let resource = address.split('[').next().unwrap_or(address);
        names::CERTIFICATE_USERS.contains(&resource)
    })
}
