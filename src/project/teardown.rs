//! The teardown record (`.siteup/teardown.json`): what `siteup destroy` decided and how far it
//! got. It is written atomically before anything changes and after every stage, so a destroy
//! stopped anywhere (Ctrl-C, SIGKILL, a closed laptop) continues where it stopped, and a later
//! `siteup up` knows which kept resources to adopt again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The record's file name in `.siteup/`.
pub const TEARDOWN_FILE: &str = "teardown.json";
/// The folder in `.siteup/` that holds the state copies a teardown pulled.
pub const TEARDOWN_DIR: &str = "teardown";
const SCHEMA: u32 = 1;

/// What a teardown removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Everything that costs money or can be rebuilt; the zone, the table, the user pool and
    /// the deploys and state buckets stay (the default).
    KeepData,
    /// Everything, the data too (`--all`).
    All,
}

/// How far a teardown got. Each stage is done again harmlessly if it was already done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Decided and confirmed; the state was copied to a local file.
    Started,
    /// The kept resources left terraform's state.
    Released,
    /// terraform destroyed the rest.
    Destroyed,
    /// Verified and reported.
    Done,
}

/// A resource the teardown keeps, with the id that imports it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptResource {
    /// Its terraform address.
    pub address: String,
    /// The id terraform recorded (what an `import` block needs).
    pub id: String,
}

/// The record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Teardown {
    pub schema: u32,
    pub scope: Scope,
    pub stage: Stage,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// The resources kept out of the teardown (none with [`Scope::All`]).
    #[serde(default)]
    pub kept: Vec<KeptResource>,
    /// The copy of the state pulled before anything changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_copy: Option<PathBuf>,
}

/// Why the record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TeardownFileError {
    #[error(
        "Could not read the teardown record {path}: {problem}; check the folder's permissions and run siteup again."
    )]
    Read { path: String, problem: String },
    #[error(
        "The teardown record {path} is not one this siteup can read ({problem}); move it aside and run `siteup destroy` again."
    )]
    Unreadable { path: String, problem: String },
    #[error(
        "Could not write the teardown record {path}: {problem}; check the folder's permissions and free space, and run siteup again."
    )]
    Write { path: String, problem: String },
}

impl Teardown {
    /// A new record, at [`Stage::Started`].
    pub fn new(scope: Scope, kept: Vec<KeptResource>, state_copy: PathBuf, at: &str) -> Self {
        Teardown {
            schema: SCHEMA,
            scope,
            stage: Stage::Started,
            started_at: at.to_string(),
            finished_at: None,
            kept,
            state_copy: Some(state_copy),
        }
    }

    /// The record's path in `state_dir`.
    pub fn path_in(state_dir: &Path) -> PathBuf {
        state_dir.join(TEARDOWN_FILE)
    }

    /// The record in `state_dir`, if there is one.
    pub fn load(state_dir: &Path) -> Result<Option<Self>, TeardownFileError> {
        let path = Self::path_in(state_dir);
        let shown = path.display().to_string();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(TeardownFileError::Read {
                    path: shown,
                    problem: crate::words::io_advice(&e),
                });
            }
        };
        let record: Teardown =
            serde_json::from_slice(&bytes).map_err(|e| TeardownFileError::Unreadable {
                path: shown.clone(),
                problem: e.to_string(),
            })?;
        if record.schema > SCHEMA {
            return Err(TeardownFileError::Unreadable {
                path: shown,
                problem: format!("written by a newer siteup, schema {}", record.schema),
            });
        }
        Ok(Some(record))
    }

    /// Writes the record atomically.
    pub fn save(&self, state_dir: &Path) -> Result<(), TeardownFileError> {
        let path = Self::path_in(state_dir);
        let err = |e: std::io::Error| TeardownFileError::Write {
            path: path.display().to_string(),
            problem: crate::words::io_advice(&e),
        };
        crate::project::create_state_dir(state_dir).map_err(err)?;
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        crate::project::atomic::write_atomic(&path, &text).map_err(err)
    }

    /// Deletes the record (a rebuild adopted everything it kept).
    pub fn remove(state_dir: &Path) -> Result<(), TeardownFileError> {
        let path = Self::path_in(state_dir);
        crate::project::atomic::remove_if_present(&path).map_err(|e| TeardownFileError::Write {
            path: path.display().to_string(),
            problem: crate::words::io_advice(&e),
        })
    }

    /// Whether the teardown finished.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_survives_a_round_trip_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Teardown::load(dir.path()).unwrap(), None);
        let mut t = Teardown::new(
            Scope::KeepData,
            vec![KeptResource {
                address: "aws_route53_zone.main".into(),
                id: "Z1".into(),
            }],
            dir.path().join("teardown/state.json"),
            "2026-12-08T00:00:00Z",
        );
        t.save(dir.path()).unwrap();
        t.stage = Stage::Released;
        t.save(dir.path()).unwrap();
        let back = Teardown::load(dir.path()).unwrap().unwrap();
        assert_eq!(back, t);
        assert!(!back.is_done());
        let text = std::fs::read_to_string(Teardown::path_in(dir.path())).unwrap();
        assert!(text.contains("\"scope\": \"keep-data\""), "{text}");
        assert!(text.contains("\"stage\": \"released\""), "{text}");
        Teardown::remove(dir.path()).unwrap();
        assert_eq!(Teardown::load(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_garbled_or_newer_record_is_refused_with_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(Teardown::path_in(dir.path()), b"{not json").unwrap();
        let e = Teardown::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("move it aside"), "{e}");
        std::fs::write(
            Teardown::path_in(dir.path()),
            br#"{"schema": 9, "scope": "all", "stage": "done", "started_at": "x"}"#,
        )
        .unwrap();
        let e = Teardown::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("newer siteup"), "{e}");
    }
}
