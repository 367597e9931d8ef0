//! The journey's state: each step's status and the facts learned along the way.
//! Pure data; the runtime and the views read it, only [`super::update`] changes it.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::steps::{StepId, StepKind};
use crate::aws::ProfileInfo;
use crate::terraform::events::Action;

/// A step's status as the checklist shows it; the journal records the same type.
pub use crate::project::journal::Status;

/// One step's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepState {
    pub status: Status,
    /// One line about where the step is (the last error, what is awaited, ...).
    pub detail: Option<String>,
    /// When the step started, or started waiting: waits show their elapsed time from here.
    #[serde(with = "time::serde::rfc3339::option")]
    pub since: Option<OffsetDateTime>,
    /// When the step was done.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

impl Default for StepState {
    fn default() -> Self {
        Self {
            status: Status::NotYet,
            detail: None,
            since: None,
            finished_at: None,
        }
    }
}

pub use crate::tfgen::Phase;

/// The journey step that applies each [`Phase`] (a trait because `Phase` lives in `tfgen`, below
/// the core's steps).
pub trait PhaseStep: Sized {
    /// The step that applies this phase.
    fn step(self) -> StepId;
    /// The phase a step applies, if it applies one.
    fn of_step(step: StepId) -> Option<Self>;
}

impl PhaseStep for Phase {
    fn step(self) -> StepId {
        match self {
            Phase::Foundation => StepId::Foundation,
            Phase::Full => StepId::Stack,
        }
    }

    fn of_step(step: StepId) -> Option<Self> {
        match step {
            StepId::Foundation => Some(Phase::Foundation),
            StepId::Stack => Some(Phase::Full),
            _ => None,
        }
    }
}

/// What a plan would do, as the review needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanFacts {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    /// Existing objects adopted with import blocks (nothing changes in AWS).
    pub import: usize,
    /// Objects the state lets go of (`removed` blocks; they stay in AWS).
    pub forget: usize,
    /// Each destroyed or replaced resource with its consequence, most dangerous first.
    pub dangers: Vec<String>,
    /// Warnings terraform printed while planning.
    pub warnings: Vec<String>,
    /// The plan's text as shown to the user (deletions and replacements first).
    pub text: String,
}

impl PlanFacts {
    /// How many resources the plan changes this way.
    pub fn count(&self, kind: crate::terraform::plan_review::ChangeKind) -> usize {
        use crate::terraform::plan_review::ChangeKind as K;
        match kind {
            K::Create => self.create,
            K::Update => self.update,
            K::Replace => self.replace,
            K::Delete => self.delete,
            K::Import => self.import,
            K::Forget => self.forget,
        }
    }

    /// The counts in one line, as everywhere siteup tells them ("no changes" only when the
    /// plan changes nothing at all).
    pub fn summary(&self) -> String {
        crate::terraform::plan_review::counts_sentence(|k| self.count(k))
    }

    pub fn is_destructive(&self) -> bool {
        self.replace > 0 || self.delete > 0
    }
    pub fn has_changes(&self) -> bool {
        self.create + self.update + self.replace + self.delete + self.import + self.forget > 0
    }
}

/// How an apply ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "message", rename_all = "kebab-case")]
pub enum ApplyResult {
    Applied,
    Failed(crate::failure::Failure),
    /// Stopped by the user; terraform saved its state and released the lock.
    Interrupted,
}

/// The outcome of one live check of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub satisfied: bool,
    /// The check itself could not be made (AWS, DNS or terraform did not answer, offline):
    /// `headline` says why. The step keeps waiting and is checked again, but nobody is told it
    /// waits on them.
    pub unchecked: bool,
    /// Who the step still waits on when not satisfied.
    pub waiting_on: StepKind,
    /// One sentence for the checklist and `siteup up`.
    pub headline: String,
    /// More lines for the pane (both DNS views, DKIM and MAIL FROM, review status...).
    pub lines: Vec<String>,
    /// AWS gave up waiting (a wait longer than 72 hours): the checkpoint can move on only after
    /// this step runs again (it replaces what AWS gave up on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopen: Option<StepId>,
}

/// One resource's row in the apply progress view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyRow {
    /// The terraform address (`aws_route53_zone.main`).
    pub address: String,
    /// A human name ("Route 53 hosted zone example.com").
    pub name: String,
    /// What terraform does to it (`None` until terraform says).
    pub action: Option<Action>,
    pub state: RowState,
    /// terraform's own elapsed seconds for this resource.
    pub elapsed_secs: u64,
    /// The expected duration learned from earlier runs on this machine.
    pub expected_secs: Option<u64>,
    /// terraform's diagnostic when the resource failed.
    pub error: Option<String>,
}

impl ApplyRow {
    /// The action's label (empty until terraform names the action).
    pub fn action_label(&self) -> &str {
        self.action.as_ref().map_or("", Action::label)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowState {
    Pending,
    Running,
    Done,
    Failed,
}

/// The apply progress view's data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyRows {
    pub phase: Option<Phase>,
    pub rows: Vec<ApplyRow>,
    /// "Apply complete! Resources: 3 added, 0 changed, 0 destroyed." once known.
    pub summary: Option<String>,
}

/// One generated file and what generation did to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// Relative to the project folder (`terraform/zone.tf`).
    pub path: String,
    pub change: FileChangeKind,
    /// The unified diff for updated files and for edits that were kept.
    pub diff: Option<String>,
}

/// What generation did to one file, as the files pane and plain mode show it: tfgen's
/// [`FileAction`](crate::tfgen::FileAction) without the conflict's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileChangeKind {
    Created,
    Updated,
    Unchanged,
    Removed,
    /// Edited by you: not overwritten (siteup's version is in the diff).
    Kept,
    /// Edited by you and replaced because of `--force`.
    Overwritten,
}

impl FileChangeKind {
    /// Every kind, in the order the files pane counts them.
    pub const ALL: [FileChangeKind; 6] = [
        FileChangeKind::Created,
        FileChangeKind::Updated,
        FileChangeKind::Removed,
        FileChangeKind::Kept,
        FileChangeKind::Overwritten,
        FileChangeKind::Unchanged,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FileChangeKind::Created => "created",
            FileChangeKind::Updated => "updated",
            FileChangeKind::Unchanged => "unchanged",
            FileChangeKind::Removed => "removed",
            FileChangeKind::Kept => "kept",
            FileChangeKind::Overwritten => "overwritten",
        }
    }
}

impl From<crate::tfgen::FileAction> for FileChangeKind {
    fn from(action: crate::tfgen::FileAction) -> Self {
        use crate::tfgen::FileAction;
        match action {
            FileAction::Unchanged => FileChangeKind::Unchanged,
            FileAction::Created => FileChangeKind::Created,
            FileAction::Updated => FileChangeKind::Updated,
            FileAction::Removed => FileChangeKind::Removed,
            FileAction::Conflict(_) => FileChangeKind::Kept,
            FileAction::Overwritten(_) => FileChangeKind::Overwritten,
        }
    }
}

/// Facts learned along the way, for the panes and the final summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// "account 123456789012 as arn:aws:iam::...:user/alice"
    pub identity: Option<String>,
    pub identity_warning: Option<String>,
    pub nameservers: Vec<String>,
    pub zone_id: Option<String>,
    /// Terraform outputs (name -> value as text) after the last apply.
    pub outputs: BTreeMap<String, String>,
    /// The last live report of each checkpoint.
    pub checks: BTreeMap<StepId, CheckReport>,
    /// The plan awaiting a decision, if any.
    pub pending_plan: Option<(Phase, PlanFacts)>,
    /// Whether the state lives in S3 (the bootstrap finished).
    pub state_migrated: bool,
    /// The running or last apply, resource by resource.
    pub apply: ApplyRows,
    /// The AWS profiles the SDK sees (for the picker).
    pub profiles: Vec<ProfileInfo>,
    /// The chosen profile's name (never credentials).
    pub profile: Option<String>,
    /// What the last generation did, file by file.
    pub files: Vec<FileChange>,
    /// The SES production-access request text (editable in the pane).
    pub ses_request: Option<String>,
    /// A short message for the status line ("copied", "mail sent again", errors of actions).
    pub notice: Option<String>,
    /// Whether this journey runs against the local sandbox (enables the play keys).
    pub sandbox: bool,
}

/// Why the journey stopped, for the headless commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "message", rename_all = "kebab-case")]
pub enum Stop {
    Done,
    /// Waiting on a human or on AWS; the message says exactly what is needed.
    Waiting(String),
    Failed(String),
    /// The user quit; everything is saved.
    Quit,
}

/// How the journey is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The full-screen wizard or the plain prompts: a person approves plans and acts at
    /// checkpoints; checkpoints keep polling.
    Interactive,
    /// `siteup up`: run what can run, stop at the first checkpoint that waits.
    /// `yes` approves plans that destroy nothing.
    Headless { yes: bool },
    /// `siteup sandbox --headless --auto`: like headless with `yes`, and the sandbox plays the
    /// human at each checkpoint, so the journey runs to done.
    AutoSandbox,
    /// `siteup status`: check everything live, change nothing.
    StatusOnly,
}

/// The whole journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journey {
    pub mode: Mode,
    pub steps: BTreeMap<StepId, StepState>,
    pub facts: Facts,
    /// Checkpoints with a check in flight or scheduled.
    pub checks_in_flight: std::collections::BTreeSet<StepId>,
    /// How many times each waiting checkpoint was re-checked since it started waiting or the
    /// user asked to check now: the back-off position ([`super::update::CHECK_SCHEDULE`]).
    pub check_attempts: BTreeMap<StepId, u32>,
    /// Checkpoints the sandbox already played the human for.
    pub played: std::collections::BTreeSet<StepId>,
    /// Steps run again because a checkpoint found that AWS gave up waiting (once each per
    /// session, so a replacement that did not help cannot loop).
    pub reopened: std::collections::BTreeSet<StepId>,
    /// Set when the journey has stopped.
    pub stop: Option<Stop>,
    /// An effect that is running and whose result is awaited (one terraform job at a time).
    pub busy: Option<StepId>,
    /// The user asked to quit while terraform was working; stop once it has.
    pub quit_requested: bool,
}

impl Journey {
    /// Why a waiting checkpoint's last check could not be made (AWS or DNS did not answer), if
    /// that is so: then the step does not wait on anybody, siteup could not look.
    pub fn could_not_check(&self, step: StepId) -> Option<&str> {
        if !self.status(step).is_waiting() {
            return None;
        }
        self.facts
            .checks
            .get(&step)
            .filter(|r| r.unchecked)
            .map(|r| r.headline.as_str())
    }

    /// The first waiting checkpoint whose check could not be made, and why.
    pub fn first_unchecked(&self) -> Option<(StepId, &str)> {
        StepId::ALL
            .into_iter()
            .find_map(|s| self.could_not_check(s).map(|why| (s, why)))
    }

    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            steps: StepId::ALL
                .into_iter()
                .map(|s| (s, StepState::default()))
                .collect(),
            facts: Facts::default(),
            checks_in_flight: Default::default(),
            check_attempts: Default::default(),
            played: Default::default(),
            reopened: Default::default(),
            stop: None,
            busy: None,
            quit_requested: false,
        }
    }

    pub fn status(&self, step: StepId) -> Status {
        self.steps.get(&step).map_or(Status::NotYet, |s| s.status)
    }

    pub fn state(&self, step: StepId) -> StepState {
        self.steps.get(&step).cloned().unwrap_or_default()
    }

    pub fn is_done(&self, step: StepId) -> bool {
        self.status(step) == Status::Done
    }

    /// Whether every dependency of `step` is done.
    pub fn ready(&self, step: StepId) -> bool {
        step.requires().iter().all(|d| self.is_done(*d))
    }

    /// The step the user should look at: the first one that is running, waiting on the user or
    /// failed; else the first waiting on AWS; else the first not done.
    pub fn current_step(&self) -> StepId {
        let find = |pred: &dyn Fn(Status) -> bool| {
            StepId::ALL.into_iter().find(|s| {
                pred(self.status(*s)) && (self.ready(*s) || self.status(*s) != Status::NotYet)
            })
        };
        find(&|s| s == Status::Failed)
            .or_else(|| find(&|s| s == Status::Running))
            .or_else(|| find(&|s| s == Status::WaitingOnYou))
            .or_else(|| find(&|s| s == Status::WaitingOnAws))
            .or_else(|| StepId::ALL.into_iter().find(|s| !self.is_done(*s)))
            .unwrap_or(StepId::Done)
    }

    pub fn all_done(&self) -> bool {
        StepId::ALL.into_iter().all(|s| self.is_done(s))
    }
}
