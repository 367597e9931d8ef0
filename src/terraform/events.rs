//! Terraform's machine-readable UI: one JSON object per line on stdout when a command runs with
//! `-json`. [`parse_line`] turns one line into a typed [`TfEvent`].
//!
//! The parser never fails: a line that is not JSON becomes [`TfEvent::NotJson`], a JSON line of a
//! type siteup does not know (or of a known type whose fields do not have the expected shape)
//! becomes [`TfEvent::Unknown`] with the raw text kept, so nothing terraform says is lost.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The message terraform logs when it receives SIGINT and starts a graceful stop.
pub const INTERRUPT_MARKER: &str = "Interrupt received";

/// The `@level` of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Other(String),
}

impl Level {
    fn parse(s: &str) -> Level {
        match s {
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warn" => Level::Warn,
            "error" => Level::Error,
            other => Level::Other(other.to_string()),
        }
    }
}

/// What terraform does (or plans to do) to one resource instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    Replace,
    Delete,
    Move,
    Import,
    /// Removed from the state without destroying the object (`removed { lifecycle { destroy = false } }`).
    Forget,
    Other(String),
}

impl Action {
    pub fn parse(s: &str) -> Action {
        match s {
            "noop" | "no-op" => Action::NoOp,
            "create" => Action::Create,
            "read" => Action::Read,
            "update" => Action::Update,
            "replace" => Action::Replace,
            "delete" => Action::Delete,
            "move" => Action::Move,
            "import" => Action::Import,
            "remove" | "forget" => Action::Forget,
            other => Action::Other(other.to_string()),
        }
    }

    /// Whether this action destroys the existing object.
    pub fn is_destructive(&self) -> bool {
        matches!(self, Action::Replace | Action::Delete)
    }

    /// How the apply pane and plain mode name it: `create`, `update`, `replace`, ...
    pub fn label(&self) -> &str {
        match self {
            Action::NoOp => "noop",
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Move => "move",
            Action::Import => "import",
            Action::Forget => "forget",
            Action::Other(other) => other,
        }
    }
}

impl serde::Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// A resource instance as terraform names it in the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceRef {
    /// The full address, e.g. `module.site.aws_route53_record.txt[0]`.
    pub addr: String,
    /// The module path (`""` for the root module).
    pub module: String,
    /// e.g. `aws_route53_record`.
    pub resource_type: String,
    /// e.g. `txt`.
    pub resource_name: String,
    /// The `count` index or `for_each` key, as text (`0`, `"www"`), if any.
    pub resource_key: Option<String>,
    /// e.g. `aws`.
    pub implied_provider: String,
}

/// `version`: the first line of every `-json` run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionLine {
    pub terraform: String,
    pub ui: String,
}

/// `log`, `state_lock_acquire`, `state_lock_release`: a plain message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub level: Level,
    pub message: String,
    pub timestamp: Option<String>,
}

impl LogLine {
    /// Whether this is terraform's "Interrupt received" message (a graceful stop has begun).
    pub fn is_interrupt(&self) -> bool {
        self.message.contains(INTERRUPT_MARKER)
    }
}

/// Severity of a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Other(String),
}

/// Where in the configuration a diagnostic points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRange {
    pub filename: String,
    pub start_line: u64,
}

/// `diagnostic`: an error or a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    /// The resource instance the diagnostic is about, when terraform knows it.
    pub address: Option<String>,
    pub range: Option<SourceRange>,
    pub timestamp: Option<String>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }

    /// One line: summary, then detail if any (detail lines joined by spaces).
    pub fn one_line(&self) -> String {
        let detail = self.detail.split_whitespace().collect::<Vec<_>>().join(" ");
        if detail.is_empty() {
            self.summary.clone()
        } else {
            format!("{}: {}", self.summary, detail)
        }
    }
}

/// `planned_change` and `resource_drift`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeLine {
    pub resource: ResourceRef,
    pub action: Action,
    /// Why, e.g. `tainted`, `delete_because_no_resource_config`.
    pub reason: Option<String>,
    /// For moves: where the resource was before.
    pub previous_resource: Option<ResourceRef>,
    pub message: String,
}

/// `change_summary`: counts for a plan or an apply.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ChangeSummary {
    pub add: u64,
    pub change: u64,
    pub import: u64,
    pub remove: u64,
    /// `plan`, `apply` or `destroy`.
    pub operation: String,
    pub message: String,
}

/// `refresh_*`, `apply_*` and `provision_*` hooks: something happening to one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookLine {
    pub resource: ResourceRef,
    /// Absent on refresh hooks.
    pub action: Option<Action>,
    pub id_key: Option<String>,
    pub id_value: Option<String>,
    /// Terraform's own count of seconds since the operation started.
    pub elapsed_seconds: Option<u64>,
    /// For provision hooks: the provisioner type.
    pub provisioner: Option<String>,
    /// For `provision_progress`: a line of provisioner output.
    pub output: Option<String>,
    pub message: String,
    pub timestamp: Option<String>,
}

/// One entry of an `outputs` line.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputInfo {
    pub sensitive: bool,
    /// Present after an apply (absent for sensitive outputs).
    pub value: Option<Value>,
    /// Present in a plan: `create`, `update`, `noop`, `delete`.
    pub action: Option<Action>,
}

/// `init_output`: progress messages of `terraform init`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitOutputLine {
    pub message: String,
    pub message_code: Option<String>,
}

/// A line terraform printed that siteup does not model: the type and the raw text, kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownLine {
    /// The `type` field, or `""` when there is none.
    pub kind: String,
    pub raw: String,
}

/// One line of terraform's `-json` output, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum TfEvent {
    Version(VersionLine),
    Log(LogLine),
    Diagnostic(Diagnostic),
    PlannedChange(ChangeLine),
    ResourceDrift(ChangeLine),
    ChangeSummary(ChangeSummary),
    RefreshStart(HookLine),
    RefreshComplete(HookLine),
    ApplyStart(HookLine),
    ApplyProgress(HookLine),
    ApplyComplete(HookLine),
    ApplyErrored(HookLine),
    ProvisionStart(HookLine),
    ProvisionProgress(HookLine),
    ProvisionComplete(HookLine),
    ProvisionErrored(HookLine),
    Outputs(BTreeMap<String, OutputInfo>),
    StateLockAcquire(LogLine),
    StateLockRelease(LogLine),
    InitOutput(InitOutputLine),
    /// JSON with an unknown `type`, or a known type whose fields did not parse.
    Unknown(UnknownLine),
    /// A line that is not a JSON object (kept verbatim, trailing newline removed).
    NotJson(String),
}

impl TfEvent {
    /// The human-readable message terraform attached to the line, when the event keeps one.
    pub fn message(&self) -> Option<&str> {
        match self {
            TfEvent::Log(l) | TfEvent::StateLockAcquire(l) | TfEvent::StateLockRelease(l) => {
                Some(&l.message)
            }
            TfEvent::PlannedChange(c) | TfEvent::ResourceDrift(c) => Some(&c.message),
            TfEvent::ChangeSummary(s) => Some(&s.message),
            TfEvent::RefreshStart(h)
            | TfEvent::RefreshComplete(h)
            | TfEvent::ApplyStart(h)
            | TfEvent::ApplyProgress(h)
            | TfEvent::ApplyComplete(h)
            | TfEvent::ApplyErrored(h)
            | TfEvent::ProvisionStart(h)
            | TfEvent::ProvisionProgress(h)
            | TfEvent::ProvisionComplete(h)
            | TfEvent::ProvisionErrored(h) => Some(&h.message),
            TfEvent::InitOutput(i) => Some(&i.message),
            TfEvent::Diagnostic(d) => Some(&d.summary),
            TfEvent::NotJson(t) => Some(t),
            TfEvent::Version(_) | TfEvent::Outputs(_) | TfEvent::Unknown(_) => None,
        }
    }

    /// Whether this line says terraform received an interrupt.
    pub fn is_interrupt(&self) -> bool {
        match self {
            TfEvent::Log(l) => l.is_interrupt(),
            TfEvent::NotJson(t) => t.contains(INTERRUPT_MARKER),
            _ => false,
        }
    }
}

// ---- wire format -------------------------------------------------------------------------------

#[derive(Deserialize)]
struct WireCommon {
    #[serde(rename = "@level", default)]
    level: String,
    #[serde(rename = "@message", default)]
    message: String,
    #[serde(rename = "@timestamp", default)]
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct WireVersion {
    #[serde(default)]
    terraform: String,
    #[serde(default)]
    ui: String,
}

#[derive(Deserialize)]
struct WireResource {
    addr: String,
    #[serde(default)]
    module: String,
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    resource_name: String,
    #[serde(default)]
    resource_key: Value,
    #[serde(default)]
    implied_provider: String,
}

impl From<WireResource> for ResourceRef {
    fn from(w: WireResource) -> Self {
        let resource_key = match w.resource_key {
            Value::Null => None,
            Value::String(s) => Some(format!("\"{s}\"")),
            other => Some(other.to_string()),
        };
        ResourceRef {
            addr: w.addr,
            module: w.module,
            resource_type: w.resource_type,
            resource_name: w.resource_name,
            resource_key,
            implied_provider: w.implied_provider,
        }
    }
}

#[derive(Deserialize)]
struct WireChange {
    resource: WireResource,
    #[serde(default)]
    previous_resource: Option<WireResource>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct WireChangeLine {
    change: WireChange,
}

#[derive(Deserialize)]
struct WireHook {
    resource: WireResource,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    id_key: Option<String>,
    #[serde(default)]
    id_value: Option<String>,
    #[serde(default)]
    elapsed_seconds: Option<f64>,
    #[serde(default)]
    provisioner: Option<String>,
    #[serde(default)]
    output: Option<String>,
}

#[derive(Deserialize)]
struct WireHookLine {
    hook: WireHook,
}

#[derive(Deserialize, Default)]
struct WireChanges {
    #[serde(default)]
    add: u64,
    #[serde(default)]
    change: u64,
    #[serde(default)]
    import: u64,
    #[serde(default)]
    remove: u64,
    #[serde(default)]
    operation: String,
}

#[derive(Deserialize)]
struct WireSummaryLine {
    changes: WireChanges,
}

#[derive(Deserialize)]
struct WirePos {
    #[serde(default)]
    line: u64,
}

#[derive(Deserialize)]
struct WireRange {
    #[serde(default)]
    filename: String,
    start: Option<WirePos>,
}

#[derive(Deserialize)]
struct WireDiagnostic {
    #[serde(default)]
    severity: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    range: Option<WireRange>,
}

#[derive(Deserialize)]
struct WireDiagnosticLine {
    diagnostic: WireDiagnostic,
}

#[derive(Deserialize)]
struct WireOutput {
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    action: Option<String>,
}

#[derive(Deserialize)]
struct WireOutputsLine {
    outputs: BTreeMap<String, WireOutput>,
}

#[derive(Deserialize)]
struct WireInitOutput {
    #[serde(default)]
    message_code: Option<String>,
}

fn hook(w: WireHook, common: &WireCommon) -> HookLine {
    HookLine {
        resource: w.resource.into(),
        action: w.action.as_deref().map(Action::parse),
        id_key: w.id_key,
        id_value: w.id_value,
        elapsed_seconds: w
            .elapsed_seconds
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| s as u64),
        provisioner: w.provisioner,
        output: w.output,
        message: common.message.clone(),
        timestamp: common.timestamp.clone(),
    }
}

fn diagnostic_from_wire(d: WireDiagnostic, timestamp: Option<String>) -> Diagnostic {
    Diagnostic {
        severity: match d.severity.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            other => Severity::Other(other.to_string()),
        },
        summary: d.summary,
        detail: d.detail,
        address: d.address.filter(|a| !a.is_empty()),
        range: d.range.map(|r| SourceRange {
            filename: r.filename,
            start_line: r.start.map_or(0, |p| p.line),
        }),
        timestamp,
    }
}

fn typed(kind: &str, value: Value, common: &WireCommon) -> Option<TfEvent> {
    let log = || LogLine {
        level: Level::parse(&common.level),
        message: common.message.clone(),
        timestamp: common.timestamp.clone(),
    };
    let hook_line = |value: Value| -> Option<HookLine> {
        let w: WireHookLine = serde_json::from_value(value).ok()?;
        Some(hook(w.hook, common))
    };
    let change_line = |value: Value| -> Option<ChangeLine> {
        let w: WireChangeLine = serde_json::from_value(value).ok()?;
        Some(ChangeLine {
            resource: w.change.resource.into(),
            action: Action::parse(&w.change.action),
            reason: w.change.reason,
            previous_resource: w.change.previous_resource.map(Into::into),
            message: common.message.clone(),
        })
    };
    let event = match kind {
        "version" => {
            let w: WireVersion = serde_json::from_value(value).ok()?;
            TfEvent::Version(VersionLine {
                terraform: w.terraform,
                ui: w.ui,
            })
        }
        "log" => TfEvent::Log(log()),
        "state_lock_acquire" => TfEvent::StateLockAcquire(log()),
        "state_lock_release" => TfEvent::StateLockRelease(log()),
        "diagnostic" => {
            let w: WireDiagnosticLine = serde_json::from_value(value).ok()?;
            TfEvent::Diagnostic(diagnostic_from_wire(w.diagnostic, common.timestamp.clone()))
        }
        "planned_change" => TfEvent::PlannedChange(change_line(value)?),
        "resource_drift" => TfEvent::ResourceDrift(change_line(value)?),
        "change_summary" => {
            let w: WireSummaryLine = serde_json::from_value(value).ok()?;
            TfEvent::ChangeSummary(ChangeSummary {
                add: w.changes.add,
                change: w.changes.change,
                import: w.changes.import,
                remove: w.changes.remove,
                operation: w.changes.operation,
                message: common.message.clone(),
            })
        }
        "refresh_start" => TfEvent::RefreshStart(hook_line(value)?),
        "refresh_complete" => TfEvent::RefreshComplete(hook_line(value)?),
        "apply_start" => TfEvent::ApplyStart(hook_line(value)?),
        "apply_progress" => TfEvent::ApplyProgress(hook_line(value)?),
        "apply_complete" => TfEvent::ApplyComplete(hook_line(value)?),
        "apply_errored" => TfEvent::ApplyErrored(hook_line(value)?),
        "provision_start" => TfEvent::ProvisionStart(hook_line(value)?),
        "provision_progress" => TfEvent::ProvisionProgress(hook_line(value)?),
        "provision_complete" => TfEvent::ProvisionComplete(hook_line(value)?),
        "provision_errored" => TfEvent::ProvisionErrored(hook_line(value)?),
        "outputs" => {
            let w: WireOutputsLine = serde_json::from_value(value).ok()?;
            TfEvent::Outputs(
                w.outputs
                    .into_iter()
                    .map(|(name, o)| {
                        (
                            name,
                            OutputInfo {
                                sensitive: o.sensitive,
                                value: o.value,
                                action: o.action.as_deref().map(Action::parse),
                            },
                        )
                    })
                    .collect(),
            )
        }
        "init_output" => {
            let w: WireInitOutput = serde_json::from_value(value).ok()?;
            TfEvent::InitOutput(InitOutputLine {
                message: common.message.clone(),
                message_code: w.message_code,
            })
        }
        _ => return None,
    };
    Some(event)
}

/// Parses one line of terraform's `-json` output. Never fails and never panics.
pub fn parse_line(line: &str) -> TfEvent {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let value: Value = match serde_json::from_str(line) {
        Ok(v @ Value::Object(_)) => v,
        _ => return TfEvent::NotJson(line.to_string()),
    };
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let unknown = |kind: String| {
        TfEvent::Unknown(UnknownLine {
            kind,
            raw: line.to_string(),
        })
    };
    let Ok(common) = serde_json::from_value::<WireCommon>(value.clone()) else {
        return unknown(kind);
    };
    match typed(&kind, value, &common) {
        Some(event) => event,
        None => unknown(kind),
    }
}

/// The diagnostics among `events` (e.g. the plan-time warnings to show in the plan review).
pub fn diagnostics_of(events: &[TfEvent]) -> Vec<Diagnostic> {
    events
        .iter()
        .filter_map(|e| match e {
            TfEvent::Diagnostic(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// Parses every line of a recorded stream.
pub fn parse_stream(text: &str) -> Vec<TfEvent> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_line)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_progress_line_is_typed() {
        let line = r#"{"@level":"info","@message":"aws_route53_zone.test: Still creating... [10s elapsed]","@module":"terraform.ui","@timestamp":"2026-11-28T22:02:52.804912Z","hook":{"resource":{"addr":"aws_route53_zone.test","module":"","resource":"aws_route53_zone.test","implied_provider":"aws","resource_type":"aws_route53_zone","resource_name":"test","resource_key":null},"action":"create","elapsed_seconds":10},"type":"apply_progress"}"#;
        let TfEvent::ApplyProgress(h) = parse_line(line) else {
            panic!("expected apply_progress, got {:?}", parse_line(line));
        };
        assert_eq!(h.resource.addr, "aws_route53_zone.test");
        assert_eq!(h.resource.resource_type, "aws_route53_zone");
        assert_eq!(h.action, Some(Action::Create));
        assert_eq!(h.elapsed_seconds, Some(10));
        assert_eq!(h.resource.resource_key, None);
    }

    #[test]
    fn resource_keys_are_rendered_as_in_addresses() {
        let line = r#"{"type":"apply_start","hook":{"resource":{"addr":"a.b[\"www\"]","resource_key":"www"},"action":"create"}}"#;
        let TfEvent::ApplyStart(h) = parse_line(line) else {
            panic!("expected apply_start");
        };
        assert_eq!(h.resource.resource_key.as_deref(), Some("\"www\""));
        let line = r#"{"type":"apply_start","hook":{"resource":{"addr":"a.b[2]","resource_key":2},"action":"delete"}}"#;
        let TfEvent::ApplyStart(h) = parse_line(line) else {
            panic!("expected apply_start");
        };
        assert_eq!(h.resource.resource_key.as_deref(), Some("2"));
        assert_eq!(h.action, Some(Action::Delete));
    }

    #[test]
    fn unknown_type_and_wrong_shape_are_kept() {
        let line = r#"{"type":"ephemeral_op_start","x":1}"#;
        assert_eq!(
            parse_line(line),
            TfEvent::Unknown(UnknownLine {
                kind: "ephemeral_op_start".into(),
                raw: line.into()
            })
        );
        let line = r#"{"type":"apply_start","hook":42}"#;
        assert!(matches!(parse_line(line), TfEvent::Unknown(u) if u.kind == "apply_start"));
        let line = r#"{"no_type":true}"#;
        assert!(matches!(parse_line(line), TfEvent::Unknown(u) if u.kind.is_empty()));
        let line = r#"{"type":"log","@message":17}"#;
        assert!(matches!(parse_line(line), TfEvent::Unknown(u) if u.kind == "log"));
    }

    #[test]
    fn non_json_is_kept_verbatim() {
        assert_eq!(
            parse_line("Error: something\n"),
            TfEvent::NotJson("Error: something".into())
        );
        assert_eq!(parse_line("[1,2]"), TfEvent::NotJson("[1,2]".into()));
        assert_eq!(parse_line(""), TfEvent::NotJson(String::new()));
    }

    #[test]
    fn diagnostic_keeps_address_and_range() {
        let line = r#"{"@level":"error","@message":"Error: x","type":"diagnostic","diagnostic":{"severity":"error","summary":"x","detail":"line one\n  line two","address":"aws_s3_bucket.a","range":{"filename":"main.tf","start":{"line":7,"column":1,"byte":0},"end":{"line":7,"column":2,"byte":1}}}}"#;
        let TfEvent::Diagnostic(d) = parse_line(line) else {
            panic!("expected diagnostic");
        };
        assert!(d.is_error());
        assert_eq!(d.address.as_deref(), Some("aws_s3_bucket.a"));
        assert_eq!(
            d.range,
            Some(SourceRange {
                filename: "main.tf".into(),
                start_line: 7
            })
        );
        assert_eq!(d.one_line(), "x: line one line two");
    }

    #[test]
    fn negative_or_fractional_elapsed_does_not_panic() {
        let line = r#"{"type":"apply_progress","hook":{"resource":{"addr":"a.b"},"action":"create","elapsed_seconds":-3}}"#;
        let TfEvent::ApplyProgress(h) = parse_line(line) else {
            panic!("expected apply_progress");
        };
        assert_eq!(h.elapsed_seconds, None);
        let line = r#"{"type":"apply_progress","hook":{"resource":{"addr":"a.b"},"action":"create","elapsed_seconds":1e300}}"#;
        assert!(matches!(parse_line(line), TfEvent::ApplyProgress(_)));
    }
}
