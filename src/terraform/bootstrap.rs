//! The state bootstrap: the state bucket is created with local state, then the state moves into
//! it, and only once the bucket is seen to hold every resource are the local files deleted.
//!
//! The journey's foundation apply ([`crate::tfgen::Phase::Foundation`]) creates the state bucket
//! with everything else that waits on no human, with local state, through its reviewed plan;
//! right after it the journey calls [`migrate`], which runs the [`MigrationStep`]s in order:
//!
//! 1. write `backend.tf` (the generated project with the S3 backend; in sandbox mode the
//!    override is rewritten with the emulator's backend), unless the user edited it;
//! 2. `init -migrate-state -force-copy -input=false`, while `terraform.tfstate` holds a state;
//! 3. verify that the remote state (`terraform state pull`) holds every resource instance the
//!    local state held, each with the same `id` (terraform gives the migrated state a new
//!    lineage, so lineage and serial cannot be compared), and only then delete the local
//!    `terraform.tfstate` and `terraform.tfstate.backup`.
//!
//! Nothing records progress: each sub-step looks at the files and does only what is left, so a
//! siteup killed anywhere (even with SIGKILL) runs [`migrate`] again from the start, and a
//! sub-step that was done is done again harmlessly. A terraform still running from a siteup that
//! died is waited for before anything else runs. Once the move is done, [`migrate`] changes
//! nothing and verifies the remote state again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::TfError;
use super::runner::{InitOptions, Terraform, TfCommand};
use crate::site::SiteConfig;
use crate::tfgen::{self, Backend, GenerateOptions, TfgenError, sandbox_override};

/// The local state file terraform writes without a backend.
pub const LOCAL_STATE: &str = "terraform.tfstate";
/// The previous local state (after a migration: the whole state, with its secrets).
pub const LOCAL_STATE_BACKUP: &str = "terraform.tfstate.backup";

/// One sub-step of the move of the state into the bucket, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MigrationStep {
    WriteBackend,
    MigrateState,
    /// Verify the remote state, then delete the local files.
    RemoveLocalState,
}

impl MigrationStep {
    pub const ALL: [MigrationStep; 3] = [
        MigrationStep::WriteBackend,
        MigrationStep::MigrateState,
        MigrationStep::RemoveLocalState,
    ];
}

/// Why the move stopped. One sentence each, with the next step.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Terraform(#[from] TfError),
    #[error(transparent)]
    Generate(#[from] TfgenError),
    #[error(
        "backend.tf in {} was edited, so siteup did not replace it; undo the edit (or run `siteup generate --force`) and run siteup again.",
        dir.display()
    )]
    BackendEdited { dir: PathBuf },
    #[error(
        "The state in the bucket {bucket} does not hold everything the local state holds ({problem}); the local state files were kept: run siteup again to retry the move."
    )]
    VerifyFailed { bucket: String, problem: String },
    #[error(
        "terraform's state could not be read ({0}); the local state files were kept: run siteup again, and if this repeats run `terraform state pull` in the terraform folder to see why."
    )]
    StateUnreadable(String),
    #[error(
        "Could not {action} {}: {source}; check the folder's permissions and run siteup again.",
        path.display()
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Moves the state of a project whose state bucket is applied into the bucket: every
/// [`MigrationStep`] in order. Each looks at the files and does only what is left, so calling it
/// again after an interruption, or after success, is safe. `terraform` works in `terraform_dir`.
pub async fn migrate(
    terraform: &Terraform,
    config: &SiteConfig,
    terraform_dir: &Path,
) -> Result<Vec<String>, BootstrapError> {
    wait_for_running(terraform).await;
    let mut verified = Vec::new();
    for step in MigrationStep::ALL {
        if let Some(instances) = migration_step(step, terraform, config, terraform_dir).await? {
            verified = instances;
        }
    }
    Ok(verified)
}

/// Runs one sub-step of [`migrate`] (the others before it are assumed done). The last one
/// returns the remote state's instances it verified.
pub async fn migration_step(
    step: MigrationStep,
    terraform: &Terraform,
    config: &SiteConfig,
    terraform_dir: &Path,
) -> Result<Option<Vec<String>>, BootstrapError> {
    match step {
        MigrationStep::WriteBackend => write_backend(config, terraform_dir).map(|()| None),
        MigrationStep::MigrateState => migrate_state(terraform).await.map(|()| None),
        MigrationStep::RemoveLocalState => remove_local_state(terraform, config).await.map(Some),
    }
}

/// Whether `terraform.tfstate` (not the backup) holds a state: what a migration would copy.
fn local_state_present(dir: &Path) -> bool {
    std::fs::read(dir.join(LOCAL_STATE)).is_ok_and(|b| !b.iter().all(u8::is_ascii_whitespace))
}

/// Waits for a terraform still running in this project (started by a siteup that died), so
/// that no second one starts.
async fn wait_for_running(tf: &Terraform) {
    while let Some(running) = tf.running() {
        tf.attach(&running).wait().await;
    }
}

/// Sub-step 1: the generated project with the S3 backend (`backend.tf`); in sandbox mode the
/// override is rewritten so that its backend points at the emulator too.
pub fn write_backend(config: &SiteConfig, terraform_dir: &Path) -> Result<(), BootstrapError> {
    let files = tfgen::render(
        config,
        &GenerateOptions {
            backend: Backend::S3,
        },
    )?;
    tfgen::write_project(terraform_dir, &files, false)?;
    let wanted = files
        .iter()
        .find(|f| f.path == Path::new("backend.tf"))
        .map(|f| f.bytes.clone())
        .unwrap_or_default();
    if std::fs::read(terraform_dir.join("backend.tf")).ok() != Some(wanted) {
        return Err(BootstrapError::BackendEdited {
            dir: terraform_dir.to_path_buf(),
        });
    }
    if let Some(url) = sandbox_override::sandbox_url(terraform_dir) {
        sandbox_override::write(terraform_dir, config, Some(&url))?;
    }
    Ok(())
}

/// Sub-step 2: `terraform init -migrate-state -force-copy -input=false` (the local state is
/// copied into the bucket; terraform leaves an empty `terraform.tfstate` and the whole state in
/// `terraform.tfstate.backup`).
///
/// Only while `terraform.tfstate` holds a state. After a migration that file is empty: it is
/// deleted (so that an empty state can never be copied over the bucket's, e.g. after `.terraform`
/// was removed), and terraform is only initialised with the S3 backend if it is not yet.
pub async fn migrate_state(tf: &Terraform) -> Result<(), BootstrapError> {
    let dir = tf.working_dir();
    let command = if local_state_present(dir) {
        TfCommand::Init(InitOptions {
            migrate_state: true,
            force_copy: true,
            ..InitOptions::default()
        })
    } else {
        let empty = dir.join(LOCAL_STATE);
        match std::fs::remove_file(&empty) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(BootstrapError::Io {
                    action: "delete the empty",
                    path: empty,
                    source,
                });
            }
        }
        if is_s3_backend(dir) {
            return Ok(());
        }
        TfCommand::Init(InitOptions::default())
    };
    let (_, outcome) = tf.spawn(&command)?.wait().await;
    outcome.into_result(&command.name())?;
    Ok(())
}

/// A state file's resource instances (`aws_s3_bucket.state`, `aws_route53_record.x[0]`,
/// `module.m.aws_x.y["k"]`) with their `id` attribute, lineage and serial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateSummary {
    pub instances: BTreeSet<String>,
    pub ids: std::collections::BTreeMap<String, Option<String>>,
    pub lineage: Option<String>,
    pub serial: Option<u64>,
}

/// Reads terraform's state JSON (v4).
pub fn summarize_state(json: &[u8]) -> Result<StateSummary, String> {
    let v: Value = serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
    if !v.is_object() {
        return Err("not a state object".into());
    }
    let mut instances = BTreeSet::new();
    let mut ids = std::collections::BTreeMap::new();
    for r in v["resources"].as_array().into_iter().flatten() {
        let mut base = String::new();
        if let Some(m) = r["module"].as_str() {
            base.push_str(m);
            base.push('.');
        }
        if r["mode"].as_str() == Some("data") {
            base.push_str("data.");
        }
        base.push_str(r["type"].as_str().unwrap_or("?"));
        base.push('.');
        base.push_str(r["name"].as_str().unwrap_or("?"));
        let list = r["instances"].as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            instances.insert(base.clone());
        }
        for i in list {
            let addr = match &i["index_key"] {
                Value::Number(n) => format!("{base}[{n}]"),
                Value::String(s) => format!("{base}[{}]", Value::String(s.clone())),
                _ => base.clone(),
            };
            ids.insert(
                addr.clone(),
                i["attributes"]["id"].as_str().map(str::to_string),
            );
            instances.insert(addr);
        }
    }
    Ok(StateSummary {
        instances,
        ids,
        lineage: v["lineage"].as_str().map(str::to_string),
        serial: v["serial"].as_u64(),
    })
}

/// The local state, if any is left: `terraform.tfstate` when it is not empty, else
/// `terraform.tfstate.backup` (where terraform leaves it after a migration).
pub fn local_state_resources(dir: &Path) -> Option<(PathBuf, StateSummary)> {
    for name in [LOCAL_STATE, LOCAL_STATE_BACKUP] {
        let path = dir.join(name);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Ok(summary) = summarize_state(&bytes) {
            return Some((path, summary));
        }
    }
    None
}

/// The instances of the local state (`terraform.tfstate`, what terraform reads while the
/// backend is local), read from the file: no terraform run. No file: an empty state.
pub fn local_state_instances(dir: &Path) -> Result<Vec<String>, String> {
    match std::fs::read(dir.join(LOCAL_STATE)) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(Vec::new()),
        Ok(bytes) => Ok(summarize_state(&bytes)?.instances.into_iter().collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e.to_string()),
    }
}

/// `terraform state pull`, summarised.
pub async fn remote_state(tf: &Terraform) -> Result<StateSummary, BootstrapError> {
    let out = tf
        .capture(&["state", "pull"])
        .await?
        .ok("state pull")
        .map_err(|e| BootstrapError::StateUnreadable(e.to_string()))?;
    summarize_state(&out.stdout).map_err(BootstrapError::StateUnreadable)
}

/// The remote state holds every instance the local state holds, with the same `id`,
/// and in any case the state bucket itself. Returns the remote instances.
pub async fn verify_remote(
    tf: &Terraform,
    config: &SiteConfig,
) -> Result<Vec<String>, BootstrapError> {
    let bucket = config.state_bucket.as_str().to_string();
    let fail = |problem: String| BootstrapError::VerifyFailed {
        bucket: bucket.clone(),
        problem,
    };
    let dir = tf.working_dir();
    if !is_s3_backend(dir) {
        return Err(fail(
            "terraform is not set up with the S3 backend yet".to_string(),
        ));
    }
    let remote = remote_state(tf).await?;
    let mut wanted: BTreeSet<String> = tfgen::state_bucket_addresses(config).into_iter().collect();
    if let Some((path, local)) = local_state_resources(dir) {
        wanted.extend(local.instances.iter().cloned());
        let differing: Vec<&String> = local
            .ids
            .iter()
            .filter(|(addr, id)| {
                remote
                    .ids
                    .get(*addr)
                    .is_some_and(|remote_id| remote_id != *id)
            })
            .map(|(addr, _)| addr)
            .collect();
        if !differing.is_empty() {
            return Err(fail(format!(
                "{} differ from {}",
                differing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                path.display()
            )));
        }
    }
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !remote.instances.contains(*w))
        .collect();
    if !missing.is_empty() {
        return Err(fail(format!(
            "missing: {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(remote.instances.into_iter().collect())
}

/// Whether terraform's working directory is initialised with the S3 backend.
pub fn is_s3_backend(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(".terraform/terraform.tfstate"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|v| v["backend"]["type"].as_str() == Some("s3"))
}

/// Sub-step 3: verifies the remote state ([`verify_remote`]), then deletes `terraform.tfstate`
/// and `terraform.tfstate.backup`. With neither left, it only verifies that the remote state
/// holds the state bucket. Returns the remote state's instances, as verified.
pub async fn remove_local_state(
    tf: &Terraform,
    config: &SiteConfig,
) -> Result<Vec<String>, BootstrapError> {
    let dir = tf.working_dir();
    let paths = [dir.join(LOCAL_STATE), dir.join(LOCAL_STATE_BACKUP)];
    // Never delete a local state before the bucket is seen to hold it.
    let instances = verify_remote(tf, config).await?;
    for path in paths {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(BootstrapError::Io {
                    action: "delete",
                    path,
                    source,
                });
            }
        }
    }
    Ok(instances)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_summary_lists_instances() {
        let json = br#"{"version":4,"serial":7,"lineage":"abc","resources":[
            {"mode":"managed","type":"aws_s3_bucket","name":"state","instances":[{"attributes":{"id":"b"}}]},
            {"mode":"managed","type":"aws_route53_record","name":"dkim","instances":[{"index_key":0},{"index_key":1}]},
            {"mode":"managed","type":"aws_route53_record","name":"v","instances":[{"index_key":"example.com"}]},
            {"module":"module.m","mode":"data","type":"aws_caller_identity","name":"me","instances":[{}]}
        ]}"#;
        let s = summarize_state(json).expect("parses");
        assert_eq!(s.serial, Some(7));
        assert_eq!(s.lineage.as_deref(), Some("abc"));
        assert_eq!(s.ids["aws_s3_bucket.state"].as_deref(), Some("b"));
        assert_eq!(s.ids["aws_route53_record.dkim[0]"], None);
        let got: Vec<&str> = s.instances.iter().map(String::as_str).collect();
        assert_eq!(
            got,
            [
                "aws_route53_record.dkim[0]",
                "aws_route53_record.dkim[1]",
                "aws_route53_record.v[\"example.com\"]",
                "aws_s3_bucket.state",
                "module.m.data.aws_caller_identity.me",
            ]
        );
        assert!(summarize_state(b"").is_err());
        assert!(summarize_state(b"[]").is_err());
    }

    #[test]
    fn local_state_prefers_a_non_empty_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(local_state_resources(dir.path()).is_none());
        std::fs::write(dir.path().join(LOCAL_STATE), "").expect("empty");
        std::fs::write(
            dir.path().join(LOCAL_STATE_BACKUP),
            r#"{"lineage":"l","serial":3,"resources":[{"mode":"managed","type":"t","name":"n","instances":[{}]}]}"#,
        )
        .expect("backup");
        let (path, s) = local_state_resources(dir.path()).expect("the backup");
        assert!(path.ends_with(LOCAL_STATE_BACKUP));
        assert!(s.instances.contains("t.n"));
    }
}
