//! The apply, resource by resource: a pure fold over the `-json` stream of `terraform apply`.
//!
//! Feed every [`TfEvent`] to [`ApplyProgress::on_event`]; read the per-resource rows (started,
//! terraform's own `elapsed_seconds`, done or failed with terraform's diagnostic text) and the
//! final `change_summary`.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::events::{Action, ChangeSummary, Diagnostic, HookLine, TfEvent};
use super::plan_review::human_type;

/// Where one resource stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceStatus {
    /// In the plan, not started yet.
    Pending,
    Running,
    Done,
    Failed,
}

/// One row of the progress view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceProgress {
    pub address: String,
    pub resource_type: String,
    /// e.g. "CloudFront distribution".
    pub human_type: String,
    pub action: Option<Action>,
    pub status: ResourceStatus,
    /// Terraform's own count (from `apply_progress`, `apply_complete`, `apply_errored`).
    pub elapsed_seconds: u64,
    /// Terraform's timestamp of the `apply_start` line.
    pub started_at: Option<String>,
    /// The id terraform reported on completion (e.g. the zone id).
    pub id: Option<String>,
    /// Terraform's error text for this resource (diagnostics that name it).
    pub errors: Vec<String>,
    /// The latest line terraform printed about it ("Still creating... [10s elapsed]").
    pub last_message: String,
}

/// The state of an apply, folded from its event stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplyProgress {
    resources: Vec<ResourceProgress>,
    index: HashMap<String, usize>,
    /// The `change_summary` of the apply (operation `apply` or `destroy`).
    summary: Option<ChangeSummary>,
    /// The `change_summary` of the plan part, when the stream has one.
    planned: Option<ChangeSummary>,
    /// Errors that name no resource we know.
    errors: Vec<String>,
    warnings: Vec<Diagnostic>,
    interrupted: bool,
}

impl ApplyProgress {
    pub fn new() -> ApplyProgress {
        ApplyProgress::default()
    }

    fn entry(&mut self, address: &str, resource_type: &str) -> &mut ResourceProgress {
        let idx = match self.index.get(address) {
            Some(&i) => i,
            None => {
                self.resources.push(ResourceProgress {
                    address: address.to_string(),
                    resource_type: resource_type.to_string(),
                    human_type: human_type(resource_type),
                    action: None,
                    status: ResourceStatus::Pending,
                    elapsed_seconds: 0,
                    started_at: None,
                    id: None,
                    errors: Vec::new(),
                    last_message: String::new(),
                });
                let i = self.resources.len() - 1;
                self.index.insert(address.to_string(), i);
                i
            }
        };
        &mut self.resources[idx]
    }

    fn hook_entry(&mut self, h: &HookLine) -> &mut ResourceProgress {
        let r = self.entry(&h.resource.addr, &h.resource.resource_type);
        if h.action.is_some() {
            r.action = h.action.clone();
        }
        if let Some(e) = h.elapsed_seconds {
            r.elapsed_seconds = r.elapsed_seconds.max(e);
        }
        r.last_message = h.message.clone();
        r
    }

    /// Folds one event in. Events that do not concern the apply are ignored.
    pub fn on_event(&mut self, event: &TfEvent) {
        match event {
            TfEvent::PlannedChange(c) => {
                if matches!(c.action, Action::NoOp | Action::Read) {
                    return;
                }
                let r = self.entry(&c.resource.addr, &c.resource.resource_type);
                r.action = Some(c.action.clone());
            }
            TfEvent::ApplyStart(h) => {
                let r = self.hook_entry(h);
                r.status = ResourceStatus::Running;
                r.elapsed_seconds = 0;
                r.started_at = h.timestamp.clone();
            }
            TfEvent::ApplyProgress(h) => {
                let r = self.hook_entry(h);
                if r.status == ResourceStatus::Pending {
                    r.status = ResourceStatus::Running;
                }
            }
            TfEvent::ApplyComplete(h) => {
                let r = self.hook_entry(h);
                r.status = ResourceStatus::Done;
                if h.id_value.is_some() {
                    r.id = h.id_value.clone();
                }
            }
            TfEvent::ApplyErrored(h) => {
                let r = self.hook_entry(h);
                r.status = ResourceStatus::Failed;
            }
            TfEvent::Diagnostic(d) => self.on_diagnostic(d),
            TfEvent::ChangeSummary(s) => {
                if s.operation == "plan" {
                    self.planned = Some(s.clone());
                } else {
                    self.summary = Some(s.clone());
                }
            }
            TfEvent::Log(l) if l.is_interrupt() => self.interrupted = true,
            TfEvent::NotJson(_) if event.is_interrupt() => self.interrupted = true,
            _ => {}
        }
    }

    fn on_diagnostic(&mut self, d: &Diagnostic) {
        if d.is_warning() {
            if !self.warnings.contains(d) {
                self.warnings.push(d.clone());
            }
            return;
        }
        if !d.is_error() {
            return;
        }
        let text = d.one_line();
        if let Some(addr) = &d.address
            && let Some(&i) = self.index.get(addr)
        {
            let r = &mut self.resources[i];
            if !r.errors.contains(&text) {
                r.errors.push(text);
            }
            if r.status == ResourceStatus::Running || r.status == ResourceStatus::Pending {
                r.status = ResourceStatus::Failed;
            }
            return;
        }
        let text = match &d.address {
            Some(addr) => format!("{addr}: {text}"),
            None => text,
        };
        if !self.errors.contains(&text) {
            self.errors.push(text);
        }
    }

    /// Every resource seen, in the order terraform first mentioned it.
    pub fn resources(&self) -> &[ResourceProgress] {
        &self.resources
    }

    pub fn get(&self, address: &str) -> Option<&ResourceProgress> {
        self.index.get(address).map(|&i| &self.resources[i])
    }

    pub fn with_status(&self, status: ResourceStatus) -> impl Iterator<Item = &ResourceProgress> {
        self.resources.iter().filter(move |r| r.status == status)
    }

    /// (pending, running, done, failed).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let c = |s| self.with_status(s).count();
        (
            c(ResourceStatus::Pending),
            c(ResourceStatus::Running),
            c(ResourceStatus::Done),
            c(ResourceStatus::Failed),
        )
    }

    /// The apply's own summary ("Apply complete! Resources: 4 added, ..."), once it arrived.
    pub fn summary(&self) -> Option<&ChangeSummary> {
        self.summary.as_ref()
    }

    /// Errors that name no known resource (e.g. "execution halted").
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Terraform said it received an interrupt.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Whether anything failed (a resource, or an error without a resource).
    pub fn has_failures(&self) -> bool {
        !self.errors.is_empty() || self.with_status(ResourceStatus::Failed).next().is_some()
    }

    /// The progress as plain text, one line per resource with errors indented below.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for r in &self.resources {
            let status = match r.status {
                ResourceStatus::Pending => "waiting",
                ResourceStatus::Running => "running",
                ResourceStatus::Done => "done",
                ResourceStatus::Failed => "FAILED",
            };
            let verb = match &r.action {
                Some(Action::Create) => "create",
                Some(Action::Update) => "update",
                Some(Action::Delete) => "delete",
                Some(Action::Replace) => "replace",
                _ => "",
            };
            let elapsed = if r.status == ResourceStatus::Pending {
                String::new()
            } else {
                format!(
                    " {}",
                    crate::words::seconds(
                        r.elapsed_seconds,
                        crate::words::DurationStyle::ClockCompact
                    )
                )
            };
            let _ = writeln!(
                out,
                "{status:<8}{verb:<8}{} ({}){elapsed}",
                r.human_type, r.address
            );
            for e in &r.errors {
                let _ = writeln!(out, "        {e}");
            }
        }
        for e in &self.errors {
            let _ = writeln!(out, "error   {e}");
        }
        if self.interrupted {
            let _ = writeln!(
                out,
                "Terraform was interrupted: it stopped after saving the state."
            );
        }
        if let Some(s) = &self.summary {
            let _ = writeln!(out, "{}", s.message);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::events::parse_line;

    fn hook(kind: &str, addr: &str, extra: &str) -> TfEvent {
        parse_line(&format!(
            r#"{{"@level":"info","@message":"{addr}: m","@timestamp":"2026-01-01T00:00:00Z","type":"{kind}","hook":{{"resource":{{"addr":"{addr}","resource_type":"aws_s3_bucket"}},"action":"create"{extra}}}}}"#
        ))
    }

    #[test]
    fn folds_a_resource_through_its_life() {
        let mut p = ApplyProgress::new();
        p.on_event(&hook("apply_start", "aws_s3_bucket.a", ""));
        assert_eq!(
            p.get("aws_s3_bucket.a").map(|r| r.status),
            Some(ResourceStatus::Running)
        );
        p.on_event(&hook(
            "apply_progress",
            "aws_s3_bucket.a",
            r#","elapsed_seconds":10"#,
        ));
        assert_eq!(
            p.get("aws_s3_bucket.a").map(|r| r.elapsed_seconds),
            Some(10)
        );
        p.on_event(&hook(
            "apply_complete",
            "aws_s3_bucket.a",
            r#","elapsed_seconds":12,"id_key":"id","id_value":"bkt""#,
        ));
        let r = p.get("aws_s3_bucket.a").expect("row");
        assert_eq!(r.status, ResourceStatus::Done);
        assert_eq!(r.elapsed_seconds, 12);
        assert_eq!(r.id.as_deref(), Some("bkt"));
        assert_eq!(r.human_type, "S3 bucket");
        assert_eq!(p.counts(), (0, 0, 1, 0));
    }

    #[test]
    fn diagnostics_attach_by_address() {
        let mut p = ApplyProgress::new();
        p.on_event(&hook("apply_start", "aws_s3_bucket.a", ""));
        p.on_event(&parse_line(
            r#"{"type":"diagnostic","diagnostic":{"severity":"error","summary":"boom","detail":"it broke","address":"aws_s3_bucket.a"}}"#,
        ));
        p.on_event(&parse_line(
            r#"{"type":"diagnostic","diagnostic":{"severity":"error","summary":"execution halted","detail":""}}"#,
        ));
        p.on_event(&parse_line(
            r#"{"type":"diagnostic","diagnostic":{"severity":"error","summary":"execution halted","detail":""}}"#,
        ));
        let r = p.get("aws_s3_bucket.a").expect("row");
        assert_eq!(r.status, ResourceStatus::Failed);
        assert_eq!(r.errors, vec!["boom: it broke".to_string()]);
        assert_eq!(p.errors(), ["execution halted".to_string()]);
        assert!(p.has_failures());
    }
}
