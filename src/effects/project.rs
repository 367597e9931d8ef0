//! The project handler: preflight, the site's answers in siteup.toml, and the Terraform files.

use std::sync::Arc;

use super::{BoxFuture, Project};
use crate::failure::Failure;
use crate::project::settings;
use crate::site::SiteConfig;
use crate::tfgen::{self, Backend, GenerateOptions};
use crate::wizard::state::FileChange;

/// What the journey asks of the project's own files.
pub trait ProjectFiles: Send + Sync {
    /// The checks that must pass before anything else (terraform installed, folder writable).
    fn preflight(&self) -> BoxFuture<'_, Result<(), Failure>>;
    /// Saves the site's answers (and the profile already recorded) in siteup.toml.
    fn save_site(&self, config: SiteConfig) -> BoxFuture<'_, Result<(), Failure>>;
    /// Writes the Terraform files; what changed, file by file.
    fn generate(&self) -> BoxFuture<'_, Result<Vec<FileChange>, Failure>>;
}

/// The real [`ProjectFiles`].
pub(crate) struct LiveProjectFiles {
    project: Arc<Project>,
    /// The sandbox's emulator URL, for its override file (none: no override file).
    override_url: Option<String>,
}

impl LiveProjectFiles {
    pub(crate) fn new(project: Arc<Project>, override_url: Option<String>) -> Self {
        Self {
            project,
            override_url,
        }
    }
}

impl ProjectFiles for LiveProjectFiles {
    fn preflight(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            let dir = self.project.paths().root().to_path_buf();
            tokio::task::spawn_blocking(move || crate::preflight::blocking(&dir))
                .await?
                .map_err(|problem| Failure::Preflight { problem })
        })
    }

    fn save_site(&self, config: SiteConfig) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            config.check()?;
            let root = self.project.paths().root();
            let profile = settings::load(root)
                .ok()
                .flatten()
                .and_then(|s| s.aws.profile);
            settings::save(root, &settings::SiteupToml::from_config(&config, profile))?;
            Ok(())
        })
    }

    fn generate(&self) -> BoxFuture<'_, Result<Vec<FileChange>, Failure>> {
        Box::pin(async move {
            let config = self.project.config()?;
            let backend = if self.project.state_migrated() {
                Backend::S3
            } else {
                Backend::Local
            };
            let files = tfgen::render(&config, &GenerateOptions { backend })?;
            let tf_dir = self.project.paths().terraform_dir();
            let report = tfgen::write_project(&tf_dir, &files, false)?;
            tfgen::sandbox_override::write(&tf_dir, &config, self.override_url.as_deref())?;
            Ok(report
                .files
                .iter()
                .map(|f| FileChange {
                    path: format!("terraform/{}", f.path.display()),
                    change: f.action.into(),
                    diff: f.diff.clone(),
                })
                .collect())
        })
    }
}
