//! The journal, `.siteup/journal.json`: what siteup did and when, step by step.
//!
//! It is machine state (ignored by git), written atomically after every change. It is a record,
//! not the truth: the terraform state says what exists, and checkpoints are polled again on
//! resume. It never holds a credential.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;
pub const FILE_NAME: &str = "journal.json";

/// A step's status: the one type the core's checklist and the journal share. It is written in
/// the journal with the spellings of [`Status::id`] (`not-yet`, `running`, `waiting-on-you`,
/// `waiting-on-aws`, `done`, `failed`), the same spellings journals had when the state was a
/// string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Its dependencies are not done yet.
    NotYet,
    /// siteup is working on it now.
    Running,
    /// A person must act.
    WaitingOnYou,
    /// AWS must act; siteup keeps checking.
    WaitingOnAws,
    Done,
    Failed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::NotYet,
        Status::Running,
        Status::WaitingOnYou,
        Status::WaitingOnAws,
        Status::Done,
        Status::Failed,
    ];

    /// The status's id, as the journal and `status --json` spell it.
    pub fn id(self) -> &'static str {
        match self {
            Status::NotYet => "not-yet",
            Status::Running => "running",
            Status::WaitingOnYou => "waiting-on-you",
            Status::WaitingOnAws => "waiting-on-aws",
            Status::Done => "done",
            Status::Failed => "failed",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    pub fn is_waiting(self) -> bool {
        matches!(self, Status::WaitingOnYou | Status::WaitingOnAws)
    }
}

/// Reads a recorded state leniently: a spelling this siteup does not know (from an older or
/// hand-edited journal) is `None`, and resuming skips that step's record instead of refusing
/// the whole journal.
fn lenient_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Status>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    Ok(text.as_deref().and_then(Status::from_id))
}

/// What the journal knows about one step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step's last recorded state; `None` for a record whose state this siteup cannot read.
    #[serde(default, deserialize_with = "lenient_status")]
    pub state: Option<Status>,
    /// When the step (or the wait) first started, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the step last changed state, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// When the step finished, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// How many times the step was started.
    #[serde(default)]
    pub attempts: u32,
    /// A short human note (the last error, the sub-step reached, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One line of history: a step reached a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub at: String,
    pub step: String,
    /// The status reached (`None` for a spelling this siteup cannot read).
    #[serde(default, deserialize_with = "lenient_status")]
    pub event: Option<Status>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub schema: u32,
    pub created_at: String,
    #[serde(default)]
    pub steps: BTreeMap<String, StepRecord>,
    #[serde(default)]
    pub history: Vec<JournalEntry>,
}

/// How the detail of an interrupted step starts.
pub const INTERRUPTED: &str = "interrupted";

/// Whether a step's detail says it was interrupted (rather than failed).
pub fn is_interrupted(detail: Option<&str>) -> bool {
    detail.is_some_and(|d| d.starts_with(INTERRUPTED))
}

/// How many history lines are kept (older ones are dropped).
const HISTORY_LIMIT: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "Could not read the journal {path}: {}.",
        crate::words::io_advice(source)
    )]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "The journal {path} is damaged ({message}); move it away and run siteup again: the terraform state still knows what exists."
    )]
    Parse { path: String, message: String },
    #[error(
        "The journal {path} was written by a newer siteup (schema {found}; this siteup reads up to {SCHEMA_VERSION}); upgrade siteup to continue this journey."
    )]
    TooNew { path: String, found: u32 },
    #[error(
        "Could not write the journal {path}: {}.",
        crate::words::io_advice(source)
    )]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Default for Journal {
    fn default() -> Self {
        Self::new()
    }
}

impl Journal {
    pub fn new() -> Self {
        Self {
            schema: SCHEMA_VERSION,
            created_at: crate::project::now_rfc3339(),
            steps: BTreeMap::new(),
            history: Vec::new(),
        }
    }

    pub fn path_in(state_dir: &Path) -> PathBuf {
        state_dir.join(FILE_NAME)
    }

    /// Loads the journal from `.siteup/`; a missing journal is a new, empty one.
    pub fn load(state_dir: &Path) -> Result<Self, JournalError> {
        let path = Self::path_in(state_dir);
        match std::fs::read(&path) {
            Ok(bytes) => Self::parse(&bytes, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::new()),
            Err(source) => Err(JournalError::Read {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Parses a journal's bytes; `path` is only used in messages. A journal written by a newer
    /// siteup is refused (rewriting it would drop the fields this version does not know).
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, JournalError> {
        let shown = || path.display().to_string();
        #[derive(Deserialize)]
        struct Probe {
            schema: Option<u32>,
        }
        let damaged = |message: String| JournalError::Parse {
            path: shown(),
            message,
        };
        let probe: Probe = serde_json::from_slice(bytes).map_err(|e| damaged(e.to_string()))?;
        match probe.schema {
            Some(found) if found > SCHEMA_VERSION => {
                return Err(JournalError::TooNew {
                    path: shown(),
                    found,
                });
            }
            None => return Err(damaged("it has no schema number".into())),
            Some(_) => {}
        }
        serde_json::from_slice(bytes).map_err(|e| damaged(e.to_string()))
    }

    /// Writes the journal atomically into `.siteup/` (created if needed).
    pub fn save(&self, state_dir: &Path) -> Result<(), JournalError> {
        let path = Self::path_in(state_dir);
        let write_err = |source| JournalError::Write {
            path: path.display().to_string(),
            source,
        };
        crate::project::create_state_dir(state_dir).map_err(write_err)?;
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        crate::project::atomic::write_atomic(&path, &text).map_err(write_err)
    }

    /// Whether the state bootstrap finished (the S3 backend belongs in the files from then on).
    pub fn state_is_migrated(&self) -> bool {
        self.step("state")
            .is_some_and(|s| s.state == Some(Status::Done))
    }

    pub fn step(&self, id: &str) -> Option<&StepRecord> {
        self.steps.get(id)
    }

    /// Records a new state for a step at time `at` and appends it to the history.
    pub fn record(&mut self, id: &str, state: Status, detail: Option<String>, at: &str) {
        let rec = self.steps.entry(id.to_string()).or_default();
        let changed = rec.state != Some(state);
        if rec.started_at.is_none() || (changed && state == Status::Running) {
            if rec.started_at.is_none() || rec.state == Some(Status::Done) {
                rec.started_at = Some(at.to_string());
            }
            if state == Status::Running {
                rec.attempts += 1;
            }
        }
        if state == Status::Done {
            rec.finished_at = Some(at.to_string());
        }
        rec.state = Some(state);
        rec.updated_at = Some(at.to_string());
        rec.detail = detail;
        if changed {
            self.history.push(JournalEntry {
                at: at.to_string(),
                step: id.to_string(),
                event: Some(state),
            });
            if self.history.len() > HISTORY_LIMIT {
                let excess = self.history.len() - HISTORY_LIMIT;
                self.history.drain(..excess);
            }
        }
    }

    /// The steps recorded as `running`.
    pub fn running_steps(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter(|(_, r)| r.state == Some(Status::Running))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Records every step still at `running` as interrupted (`failed`, with `detail`, which
    /// starts with [`INTERRUPTED`]): what siteup leaves when it is stopped mid-step. Returns the
    /// steps it changed.
    pub fn mark_interrupted(&mut self, detail: &str, at: &str) -> Vec<String> {
        let steps = self.running_steps();
        for id in &steps {
            self.record(id, Status::Failed, Some(detail.to_string()), at);
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_a_save_and_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join(".siteup");
        let mut j = Journal::new();
        j.record("zone", Status::Running, None, "2026-11-28T10:00:00Z");
        j.record("zone", Status::Done, None, "2026-11-28T10:01:00Z");
        j.save(&state).expect("save");
        let back = Journal::load(&state).expect("load");
        assert_eq!(back, j);
        let zone = back.step("zone").expect("zone step");
        assert_eq!(zone.state, Some(Status::Done));
        assert_eq!(zone.attempts, 1);
        assert_eq!(zone.started_at.as_deref(), Some("2026-11-28T10:00:00Z"));
        assert_eq!(zone.finished_at.as_deref(), Some("2026-11-28T10:01:00Z"));
        assert_eq!(back.history.len(), 2);
    }

    #[test]
    fn a_journal_with_the_old_per_step_facts_still_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let old = br#"{"schema": 1, "created_at": "2026-11-28T10:00:00Z", "steps": {"zone": {"state": "done", "attempts": 1, "facts": {"zone_id": "Z123"}}}, "history": []}"#;
        std::fs::write(dir.path().join(FILE_NAME), old).expect("write");
        let j = Journal::load(dir.path()).expect("an older journal loads");
        assert_eq!(j.step("zone").and_then(|s| s.state), Some(Status::Done));
    }

    /// Journals written when the state was a string still load, every spelling to its status,
    /// and a spelling this siteup does not know is skipped rather than refusing the journal.
    #[test]
    fn a_journal_with_string_states_loads_into_statuses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let old = br#"{"schema": 1, "created_at": "2026-11-28T10:00:00Z", "steps": {
            "preflight": {"state": "done", "attempts": 1, "finished_at": "2026-11-28T10:00:00Z"},
            "state": {"state": "running", "attempts": 2, "detail": "planning"},
            "zone_delegated": {"state": "waiting-on-you"},
            "ses_verified": {"state": "waiting-on-aws"},
            "stack": {"state": "failed", "detail": "interrupted: stopped"},
            "site": {"state": "not-yet"},
            "odd": {"state": "someday"}
        }, "history": [{"at": "2026-11-28T10:00:00Z", "step": "preflight", "event": "done"}]}"#;
        std::fs::write(dir.path().join(FILE_NAME), old).expect("write");
        let j = Journal::load(dir.path()).expect("an older journal loads");
        let state = |id: &str| j.step(id).and_then(|s| s.state);
        assert_eq!(state("preflight"), Some(Status::Done));
        assert_eq!(state("state"), Some(Status::Running));
        assert_eq!(state("zone_delegated"), Some(Status::WaitingOnYou));
        assert_eq!(state("ses_verified"), Some(Status::WaitingOnAws));
        assert_eq!(state("stack"), Some(Status::Failed));
        assert_eq!(state("site"), Some(Status::NotYet));
        assert_eq!(state("odd"), None);
        assert_eq!(j.history[0].event, Some(Status::Done));
        assert!(!j.state_is_migrated());
        assert_eq!(j.running_steps(), ["state"]);
        // Saved again, the states keep their spellings.
        j.save(dir.path()).expect("save");
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).expect("read");
        for spelling in [
            "\"done\"",
            "\"running\"",
            "\"waiting-on-you\"",
            "\"waiting-on-aws\"",
            "\"failed\"",
            "\"not-yet\"",
        ] {
            assert!(
                text.contains(&format!("\"state\": {spelling}")),
                "{spelling} in {text}"
            );
        }
    }

    #[test]
    fn a_damaged_journal_is_one_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(FILE_NAME), b"{ not json").expect("write");
        let err = Journal::load(dir.path()).expect_err("damaged");
        assert!(err.to_string().contains("is damaged"), "{err}");
    }

    #[test]
    fn a_newer_journal_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let text = br#"{"schema": 9, "created_at": "2030-01-01T00:00:00Z", "steps": {}, "history": [], "future": 1}"#;
        std::fs::write(&path, text).expect("write");
        let err = Journal::load(dir.path()).expect_err("too new");
        assert!(
            matches!(err, JournalError::TooNew { found: 9, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("upgrade siteup"), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), text);
    }

    #[test]
    fn a_journal_that_is_not_utf8_is_damaged_not_a_permission_problem() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(FILE_NAME), b"{\"schema\": 1, \xff\xfe}").expect("write");
        let err = Journal::load(dir.path()).expect_err("damaged");
        assert!(err.to_string().contains("is damaged"), "{err}");
        assert!(!err.to_string().contains("permission"), "{err}");
    }

    #[test]
    fn running_steps_are_marked_interrupted_and_others_kept() {
        let mut j = Journal::new();
        j.record(
            "state",
            Status::Running,
            Some("planning".into()),
            "2026-11-28T10:00:00Z",
        );
        j.record("profile", Status::Done, None, "2026-11-28T10:00:00Z");
        let changed = j.mark_interrupted("interrupted: stopped", "2026-11-28T10:01:00Z");
        assert_eq!(changed, ["state"]);
        let state = j.step("state").expect("state");
        assert_eq!(state.state, Some(Status::Failed));
        assert!(is_interrupted(state.detail.as_deref()));
        assert_eq!(j.step("profile").and_then(|r| r.state), Some(Status::Done));
        assert!(j.running_steps().is_empty());
    }

    #[test]
    fn missing_journal_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let j = Journal::load(dir.path()).expect("load");
        assert!(j.steps.is_empty());
    }
}
