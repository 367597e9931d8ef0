//! The teardown (`siteup destroy`): what the state holds, what goes and what stays, and the
//! stages that take the stack down. Each stage looks at the state and the teardown record and
//! does only what is left, so a teardown stopped anywhere (Ctrl-C, SIGKILL) continues where it
//! stopped and never deletes twice:
//!
//! 1. **Start**: the state is copied to `.siteup/teardown/` and the record written (what is
//!    kept, with the ids that adopt it again).
//! 2. **Release**: the kept resources leave terraform's state (`terraform state rm`; they stay in
//!    AWS). The user's files are not touched.
//! 3. **Destroy**: the teardown override (`force_destroy` on the buckets to empty) is applied to
//!    the resources it changes, then a saved `plan -destroy`, checked to delete nothing kept, is
//!    applied. ACM's "certificate in use" while CloudFront lets go is waited out.
//! 4. **Done**: the state must be empty; the override goes, the journal starts over (a later
//!    `siteup up` rebuilds from the answers and adopts what was kept).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::terraform::TerraformHandler;
use crate::failure::Failure;
use crate::project::journal::Journal;
use crate::project::teardown::{KeptResource, Scope, Stage, TEARDOWN_DIR, Teardown};
use crate::terraform::plan_review::{CONFIRM_WORD, ChangeKind};
use crate::terraform::refusals::KnownRefusal;
use crate::terraform::{
    ExitKind, InitOptions, PlanOptions, PlanReview, RunEvent, TfCommand, TfEvent,
};
use crate::tfgen::teardown::{self as plan, Holds};

/// The journal's id of the state's move to S3.
const STATE_STEP: &str = "state";

/// One resource in terraform's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateResource {
    pub address: String,
    pub resource_type: String,
    /// The id terraform recorded.
    pub id: String,
    /// The name a person knows it by (a bucket's or table's name, a zone's domain), if any.
    pub name: Option<String>,
    /// A DNS record's type (`aws_route53_record`).
    pub record_type: Option<String>,
}

/// What the state holds, sorted into what a teardown of a scope deletes and keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    pub resources: Vec<StateResource>,
    /// The state as `terraform state pull` gave it: the copy a teardown keeps is the state
    /// the person reviewed.
    pulled: Vec<u8>,
}

impl Inventory {
    /// Reads `terraform state pull` output. An empty output (nothing applied) is empty.
    pub fn parse(state: &[u8]) -> Result<Inventory, Failure> {
        if state.iter().all(u8::is_ascii_whitespace) {
            return Ok(Inventory::default());
        }
        let v: Value = serde_json::from_slice(state).map_err(|e| Failure::UnreadableOutput {
            command: "state pull",
            problem: e.to_string(),
        })?;
        let mut resources = Vec::new();
        for r in v["resources"].as_array().into_iter().flatten() {
            if r["mode"] != "managed" || r.get("module").is_some() {
                continue;
            }
            let (Some(kind), Some(name)) = (r["type"].as_str(), r["name"].as_str()) else {
                continue;
            };
            for inst in r["instances"].as_array().into_iter().flatten() {
                let index = match &inst["index_key"] {
                    Value::Number(n) => format!("[{n}]"),
                    Value::String(s) => format!("[{}]", Value::String(s.clone())),
                    _ => String::new(),
                };
                let attrs = &inst["attributes"];
                let text = |k: &str| attrs[k].as_str().map(str::to_string);
                resources.push(StateResource {
                    address: format!("{kind}.{name}{index}"),
                    resource_type: kind.to_string(),
                    id: text("id").unwrap_or_default(),
                    name: text("bucket")
                        .or_else(|| text("name"))
                        .or_else(|| text("domain_name")),
                    record_type: (kind == "aws_route53_record")
                        .then(|| text("type"))
                        .flatten(),
                });
            }
        }
        Ok(Inventory {
            resources,
            pulled: state.to_vec(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The resources a teardown of `scope` deletes.
    pub fn deleted(&self, scope: Scope) -> impl Iterator<Item = &StateResource> {
        self.resources
            .iter()
            .filter(move |r| !plan::keeps(scope, &r.address))
    }

    /// The resources a teardown of `scope` keeps.
    pub fn kept(&self, scope: Scope) -> impl Iterator<Item = &StateResource> {
        self.resources
            .iter()
            .filter(move |r| plan::keeps(scope, &r.address))
    }

    /// The id of the hosted zone the state manages, if any.
    pub fn zone_id(&self) -> Option<&str> {
        self.resources
            .iter()
            .find(|r| r.address == crate::tfgen::names::ZONE_ADDRESS)
            .map(|r| r.id.as_str())
    }

    /// Whether the state manages the DNS record `name` of type `kind`.
    pub fn manages_record(&self, name: &str, kind: &str) -> bool {
        let bare = |n: &str| n.trim_end_matches('.').to_ascii_lowercase();
        self.resources.iter().any(|r| {
            r.record_type.as_deref() == Some(kind)
                && r.name.as_deref().map(bare) == Some(bare(name))
        })
    }

    /// The kept resources that hold something, one per kind (a bucket, not its settings), with
    /// the name a person knows them by.
    pub fn holders(&self, scope: Scope) -> BTreeMap<Holds, String> {
        self.kept(scope)
            .filter(|r| !r.resource_type.starts_with("aws_s3_bucket_"))
            .filter_map(|r| {
                let holds = plan::holds(&r.address)?;
                Some((holds, r.name.clone().unwrap_or_else(|| r.id.clone())))
            })
            .collect()
    }
}

/// Something to tell the person while the teardown runs.
pub type Notify<'a> = &'a (dyn Fn(&str) + Sync);

/// How long siteup waits, in all, for ACM to let go of a certificate. CloudFront usually
/// releases one within minutes of the distribution's deletion; the provider gives up after 20.
const CERTIFICATE_WAIT: Duration = Duration::from_secs(40 * 60);

/// The teardown of one project.
pub struct TeardownRun<'a> {
    tf: &'a TerraformHandler,
}

impl<'a> TeardownRun<'a> {
    pub fn new(tf: &'a TerraformHandler) -> Self {
        TeardownRun { tf }
    }

    fn state_dir(&self) -> PathBuf {
        self.tf.project().paths().state_dir()
    }

    fn terraform_dir(&self) -> PathBuf {
        self.tf.project().paths().terraform_dir()
    }

    /// The record of a teardown under way or finished, if any.
    pub fn record(&self) -> Result<Option<Teardown>, Failure> {
        Ok(Teardown::load(&self.state_dir())?)
    }

    /// What the state holds now (after any terraform an earlier siteup left running).
    pub async fn inventory(&self) -> Result<Inventory, Failure> {
        self.tf.prepare().await?;
        let pulled = self.tf.terraform().state_pull().await?;
        Inventory::parse(&pulled)
    }

    /// Starts a teardown of `scope` (confirmed by the person): copies the state to a local
    /// file and writes the record. Nothing in AWS changes yet.
    pub async fn start(&self, scope: Scope, inventory: &Inventory) -> Result<Teardown, Failure> {
        let now = crate::project::now_rfc3339();
        let dir = self.state_dir().join(TEARDOWN_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| Failure::Write {
            path: dir.clone(),
            problem: crate::words::io_advice(&e),
        })?;
        let copy = dir.join(format!("state-{}.json", now.replace(':', "")));
        // The state holds secrets (keys, passwords terraform generated): only the owner reads it.
        crate::project::atomic::write_atomic_with_mode(&copy, &inventory.pulled, Some(0o600))
            .map_err(|e| Failure::Write {
                path: copy.clone(),
                problem: crate::words::io_advice(&e),
            })?;
        let kept = inventory
            .kept(scope)
            .map(|r| KeptResource {
                address: r.address.clone(),
                id: r.id.clone(),
            })
            .collect();
        let record = Teardown::new(scope, kept, copy, &now);
        record.save(&self.state_dir())?;
        Ok(record)
    }

    /// Runs the stages left of `record`, telling `notify` what happens.
    pub async fn finish(
        &self,
        mut record: Teardown,
        notify: Notify<'_>,
    ) -> Result<Teardown, Failure> {
        self.tf.prepare().await?;
        if record.scope == Scope::All && record.stage < Stage::Destroyed {
            // The state bucket goes too: the state moves to a local file first (terraform
            // copies it; the bucket's copy stays until the bucket is deleted).
            self.write_override(record.scope)?;
            if !self.local_state().is_file() {
                notify(&format!(
                    "Moving terraform's state to {} (the state bucket is deleted too)",
                    self.local_state().display()
                ));
            }
            self.move_state_local().await?;
        }
        if record.stage < Stage::Released {
            let state = self.tf.terraform().state_list().await?;
            let release: Vec<String> = record
                .kept
                .iter()
                .map(|k| k.address.clone())
                .filter(|a| state.contains(a))
                .collect();
            if !release.is_empty() {
                notify(&format!(
                    "Releasing {} from terraform's state (they stay in AWS)",
                    crate::words::counted(release.len(), "kept resource", "kept resources")
                ));
                self.tf.terraform().state_rm(&release).await?;
            }
            record.stage = Stage::Released;
            record.save(&self.state_dir())?;
        }
        if record.stage < Stage::Destroyed {
            self.destroy(&record, notify).await?;
            record.stage = Stage::Destroyed;
            record.save(&self.state_dir())?;
        }
        if record.stage < Stage::Done {
            // Verified while terraform still reads the state the teardown used (with `--all`,
            // the local file named by the override; a run stopped after the override went has
            // verified already).
            let override_file = self.terraform_dir().join(plan::OVERRIDE_FILE);
            if record.scope == Scope::KeepData || override_file.is_file() {
                let left = self.tf.terraform().state_list().await?;
                if !left.is_empty() {
                    return Err(Failure::TeardownLeftovers { addresses: left });
                }
            }
            self.remove_override()?;
            if record.scope == Scope::All {
                self.forget_backend(notify)?;
            }
            self.restart_journey(record.scope == Scope::KeepData)?;
            record.stage = Stage::Done;
            record.finished_at = Some(crate::project::now_rfc3339());
            record.save(&self.state_dir())?;
        }
        Ok(record)
    }

    /// The local state file of a teardown with `--all`.
    pub fn local_state(&self) -> PathBuf {
        self.state_dir()
            .join(TEARDOWN_DIR)
            .join("terraform.tfstate")
    }

    /// Writes the teardown override for `scope` (or removes it when there is nothing to say).
    fn write_override(&self, scope: Scope) -> Result<(), Failure> {
        let config = self.tf.project().config()?;
        let configured = crate::tfgen::resource_addresses(&config);
        let path = self.terraform_dir().join(plan::OVERRIDE_FILE);
        match plan::override_text(
            config.domain.as_str(),
            scope,
            &configured,
            &self.local_state(),
        ) {
            Some(text) => {
                crate::project::atomic::write_atomic(&path, text.as_bytes()).map_err(|e| {
                    Failure::Write {
                        path: path.clone(),
                        problem: crate::words::io_advice(&e),
                    }
                })
            }
            None => self.remove_override(),
        }
    }

    /// `terraform init -migrate-state -force-copy`: the state moves to the backend the override
    /// names (a local file). Done again, it changes nothing.
    async fn move_state_local(&self) -> Result<(), Failure> {
        if let Some(dir) = self.local_state().parent() {
            std::fs::create_dir_all(dir).map_err(|e| Failure::Write {
                path: dir.to_path_buf(),
                problem: crate::words::io_advice(&e),
            })?;
        }
        let handle = self.tf.terraform().spawn(&TfCommand::Init(InitOptions {
            migrate_state: true,
            force_copy: true,
            ..InitOptions::default()
        }))?;
        let (_events, outcome) = handle.wait().await;
        if outcome.succeeded() {
            Ok(())
        } else {
            Err(Failure::of_run("init", &outcome))
        }
    }

    /// After `--all` the state bucket is gone: the generated `backend.tf` goes (the manifest
    /// removes it only if unedited), the sandbox override loses its backend, and terraform's
    /// record of the old backend goes, so the next `siteup up` starts with local state.
    fn forget_backend(&self, notify: Notify<'_>) -> Result<(), Failure> {
        use crate::tfgen::{Backend, GenerateOptions, sandbox_override};
        let config = self.tf.project().config()?;
        let dir = self.terraform_dir();
        let files = crate::tfgen::render(
            &config,
            &GenerateOptions {
                backend: Backend::Local,
            },
        )?;
        crate::tfgen::write_project(&dir, &files, false)?;
        if dir.join("backend.tf").exists() {
            notify(
                "backend.tf was edited, so siteup left it; it names the deleted state bucket: delete it before `siteup up`",
            );
        }
        if let Some(url) = sandbox_override::sandbox_url(&dir) {
            sandbox_override::write(&dir, &config, Some(&url))?;
        }
        let cached = dir.join(".terraform").join("terraform.tfstate");
        crate::project::atomic::remove_if_present(&cached).map_err(|e| Failure::Write {
            path: cached,
            problem: crate::words::io_advice(&e),
        })
    }

    /// The journey starts over, so a later `siteup up` rebuilds from the answers; the state's
    /// move stays done (`keep_state_move`) while the kept state bucket holds the state.
    fn restart_journey(&self, keep_state_move: bool) -> Result<(), Failure> {
        let problem = |e: crate::project::journal::JournalError| Failure::TeardownRecord {
            problem: e.to_string(),
        };
        let old = Journal::load(&self.state_dir()).map_err(problem)?;
        let mut fresh = Journal::new();
        if let Some(moved) = old
            .step(STATE_STEP)
            .filter(|_| keep_state_move && old.state_is_migrated())
        {
            fresh.steps.insert(STATE_STEP.to_string(), moved.clone());
        }
        fresh.save(&self.state_dir()).map_err(problem)
    }

    fn remove_override(&self) -> Result<(), Failure> {
        let path = self.terraform_dir().join(plan::OVERRIDE_FILE);
        crate::project::atomic::remove_if_present(&path).map_err(|e| Failure::Write {
            path,
            problem: crate::words::io_advice(&e),
        })
    }

    async fn destroy(&self, record: &Teardown, notify: Notify<'_>) -> Result<(), Failure> {
        let state = self.tf.terraform().state_list().await?;
        if state.is_empty() {
            return Ok(());
        }
        // 1. The override, applied to the resources it changes (the provider reads
        //    `force_destroy` and the deletion protections from the state, not from the
        //    configuration).
        self.write_override(record.scope)?;
        let targets = plan::prepare_targets(record.scope, &state);
        if !targets.is_empty() {
            let review = self
                .plan(PlanOptions {
                    targets,
                    ..PlanOptions::default()
                })
                .await?;
            if !review.is_empty() {
                if review.is_destructive() {
                    return Err(Failure::TeardownWouldDelete {
                        addresses: review
                            .ordered()
                            .iter()
                            .filter(|i| i.kind.is_destructive())
                            .map(|i| i.address.clone())
                            .collect(),
                    });
                }
                notify(match record.scope {
                    Scope::KeepData => "Letting the buckets to empty be deleted with their objects",
                    Scope::All => {
                        "Lifting the deletion protection and letting the buckets and the zone be deleted with what they hold"
                    }
                });
                self.apply(&review, "yes", notify)
                    .await
                    .map_err(Retry::into_failure)?;
            }
        }
        // 2. The destroy, planned and applied; a certificate CloudFront still holds is waited
        //    out with a bounded back-off.
        let started = Instant::now();
        let mut pause = Duration::from_secs(15);
        loop {
            let review = self
                .plan(PlanOptions {
                    destroy: true,
                    ..PlanOptions::default()
                })
                .await?;
            if review.is_empty() {
                return Ok(());
            }
            let wrong: Vec<String> = review
                .ordered()
                .iter()
                .filter(|i| i.kind != ChangeKind::Delete || plan::keeps(record.scope, &i.address))
                .map(|i| i.address.clone())
                .collect();
            if !wrong.is_empty() {
                return Err(Failure::TeardownWouldDelete { addresses: wrong });
            }
            notify(&format!(
                "Deleting {}",
                crate::words::counted(review.count(ChangeKind::Delete), "resource", "resources")
            ));
            match self.apply(&review, CONFIRM_WORD, notify).await {
                Ok(()) => return Ok(()),
                Err(Retry::CertificateInUse) => {
                    let waited = started.elapsed();
                    if waited >= CERTIFICATE_WAIT {
                        return Err(Failure::CertificateInUse { waited });
                    }
                    notify(&format!(
                        "Waiting for CloudFront to release the certificate (ACM says it is still in use); trying again in {}",
                        crate::words::duration(pause, crate::words::DurationStyle::Wait)
                    ));
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(120));
                }
                Err(Retry::No(f)) => return Err(f),
            }
        }
    }

    async fn plan(&self, mut options: PlanOptions) -> Result<PlanReview, Failure> {
        let out = self.state_dir().join("plans").join("teardown.tfplan");
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Failure::Write {
                path: dir.to_path_buf(),
                problem: crate::words::io_advice(&e),
            })?;
        }
        options.out = Some(out.clone());
        options.lock_timeout = Some(Duration::from_secs(60));
        self.tf.plan_and_review(&options, &out).await
    }

    async fn apply(
        &self,
        review: &PlanReview,
        answer: &str,
        notify: Notify<'_>,
    ) -> Result<(), Retry> {
        let approved = review.approve(answer).map_err(|e| {
            Retry::No(Failure::NotApproved {
                problem: e.to_string(),
            })
        })?;
        let mut handle = self
            .tf
            .terraform()
            .spawn(&TfCommand::Apply(approved))
            .map_err(|e| Retry::No(e.into()))?;
        let outcome = loop {
            match handle.next_event().await {
                Some(RunEvent::Line(TfEvent::ApplyComplete(h))) => {
                    let verb = match h.action {
                        Some(crate::terraform::events::Action::Delete) => "deleted",
                        _ => "updated",
                    };
                    notify(&format!("  {verb} {}", h.resource.addr));
                }
                Some(RunEvent::Exited(outcome)) => break Some(outcome),
                Some(_) => {}
                None => break None,
            }
        };
        match outcome {
            Some(o) if o.succeeded() => Ok(()),
            Some(o) if o.kind == ExitKind::Interrupted => {
                Err(Retry::No(Failure::RunInterrupted { command: "apply" }))
            }
            Some(o) if KnownRefusal::of(&o) == Some(KnownRefusal::CertificateInUse) => {
                Err(Retry::CertificateInUse)
            }
            Some(o) => Err(Retry::No(Failure::of_run("apply", &o))),
            None => Err(Retry::No(Failure::RunLost)),
        }
    }
}

/// Why an apply of the teardown did not finish.
enum Retry {
    /// ACM still holds a certificate for a distribution that is going away: wait and retry.
    CertificateInUse,
    No(Failure),
}

impl Retry {
    fn into_failure(self) -> Failure {
        match self {
            Retry::CertificateInUse => Failure::CertificateInUse {
                waited: Duration::ZERO,
            },
            Retry::No(f) => f,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inventory_reads_managed_instances_with_their_ids_and_names() {
        let state = br#"{"version": 4, "resources": [
            {"mode": "managed", "type": "aws_s3_bucket", "name": "deploys",
             "instances": [{"attributes": {"id": "example-com-deploys", "bucket": "example-com-deploys"}}]},
            {"mode": "managed", "type": "aws_route53_record", "name": "dkim",
             "instances": [{"index_key": 0, "attributes": {"id": "Z1_a_CNAME"}},
                           {"index_key": "b", "attributes": {"id": "Z1_b_CNAME"}}]},
            {"mode": "data", "type": "aws_caller_identity", "name": "current",
             "instances": [{"attributes": {"id": "123"}}]},
            {"mode": "managed", "type": "aws_dynamodb_table", "name": "main",
             "instances": [{"attributes": {"id": "example-com", "name": "example-com"}}]}
        ]}"#;
        let inv = Inventory::parse(state).unwrap();
        assert_eq!(
            inv.resources
                .iter()
                .map(|r| r.address.as_str())
                .collect::<Vec<_>>(),
            [
                "aws_s3_bucket.deploys",
                "aws_route53_record.dkim[0]",
                "aws_route53_record.dkim[\"b\"]",
                "aws_dynamodb_table.main"
            ]
        );
        assert_eq!(inv.deleted(Scope::KeepData).count(), 2);
        assert_eq!(inv.deleted(Scope::All).count(), 4);
        let holders = inv.holders(Scope::KeepData);
        assert_eq!(holders[&Holds::Table], "example-com");
        assert_eq!(holders[&Holds::DeploysBucket], "example-com-deploys");
        assert!(Inventory::parse(b"").unwrap().is_empty());
        let dns = br#"{"resources": [
            {"mode": "managed", "type": "aws_route53_zone", "name": "main",
             "instances": [{"attributes": {"id": "Z9", "name": "example.com"}}]},
            {"mode": "managed", "type": "aws_route53_record", "name": "dmarc",
             "instances": [{"attributes": {"id": "Z9__dmarc.example.com_TXT",
                            "name": "_dmarc.example.com", "type": "TXT"}}]}
        ]}"#;
        let inv = Inventory::parse(dns).unwrap();
        assert_eq!(inv.zone_id(), Some("Z9"));
        assert!(inv.manages_record("_DMARC.example.com.", "TXT"));
        assert!(!inv.manages_record("_dmarc.example.com", "MX"));
        assert!(!inv.manages_record("google._domainkey.example.com", "TXT"));
        assert!(Inventory::parse(b"{not json").is_err());
    }
}
