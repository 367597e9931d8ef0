//! Writing the generated files without ever silently overwriting the user's edits.
//!
//! siteup records what it wrote in `terraform/.siteup-manifest.json`: each file's path and the
//! SHA-256 of the bytes siteup wrote. The manifest is meant to be committed with the files, so a
//! teammate's checkout knows them too. On regeneration, each file is:
//!
//! - **unchanged**: the file already holds exactly the new bytes; nothing is written (same bytes,
//!   same modification time);
//! - **created**: the file does not exist and siteup never wrote it;
//! - **updated**: the file is as siteup last wrote it; it is replaced (atomically);
//! - **removed**: siteup wrote it, the answers no longer produce it, and it is unedited;
//! - **conflict**: the file changed since siteup wrote it (edited, deleted, or it was there before
//!   siteup): it is kept as it is, and the report carries a unified diff of what siteup would
//!   change; with `force` it is replaced (or removed) and reported as **overwritten**.
//!
//! Files without conflicts are written even when others conflict, so turning a part on or off
//! still works while an edited file is kept. A conflicting file stays a conflict on every run
//! until it is forced or matches what siteup generates again.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{GeneratedFile, TfgenError};
use crate::project::atomic::write_atomic;

/// The manifest's file name, inside the terraform folder.
pub const MANIFEST_FILE: &str = ".siteup-manifest.json";
const SCHEMA: u32 = 1;
const NOTE: &str = "Files siteup generated in this folder and the SHA-256 of what it wrote. \
siteup never overwrites a file whose content no longer matches without --force. Commit this file.";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    schema: u32,
    #[serde(default)]
    note: String,
    files: BTreeMap<String, String>,
}

/// Why a file is a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Edited since siteup wrote it.
    Edited,
    /// Deleted since siteup wrote it.
    Deleted,
    /// There before siteup, with other content.
    NotFromSiteup,
    /// Edited since siteup wrote it, and the answers no longer produce it.
    EditedNoLongerGenerated,
}

impl Conflict {
    pub fn describe(self) -> &'static str {
        match self {
            Conflict::Edited => "edited since siteup wrote it",
            Conflict::Deleted => "deleted since siteup wrote it",
            Conflict::NotFromSiteup => "already there and not written by siteup",
            Conflict::EditedNoLongerGenerated => {
                "edited since siteup wrote it, and no longer generated for these answers"
            }
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    Unchanged,
    Created,
    Updated,
    Removed,
    /// Kept as the user left it; siteup's version is in the diff.
    Conflict(Conflict),
    /// A conflict replaced (or removed) because of `force`.
    Overwritten(Conflict),
}

impl FileAction {
    pub fn label(self) -> &'static str {
        match self {
            FileAction::Unchanged => "unchanged",
            FileAction::Created => "created",
            FileAction::Updated => "updated",
            FileAction::Removed => "removed",
            FileAction::Conflict(_) => "conflict",
            FileAction::Overwritten(_) => "overwritten",
        }
    }
}

/// One file of a [`WriteReport`].
#[derive(Debug, Clone)]
pub struct FileReport {
    /// Relative to the terraform folder.
    pub path: PathBuf,
    pub action: FileAction,
    /// A unified diff from the file on disk to siteup's version, for updates, conflicts and
    /// overwrites (`None` otherwise). Binary files get a one-line note instead.
    pub diff: Option<String>,
}

/// What [`write_project`] did, file by file, in a stable order (generated files first, then
/// files no longer generated).
#[derive(Debug, Clone, Default)]
pub struct WriteReport {
    pub files: Vec<FileReport>,
    /// Things the user should know that are not about one file (an unreadable manifest).
    pub notes: Vec<String>,
}

impl WriteReport {
    /// Files kept because the user changed them: the caller should show their diffs and say
    /// that `--force` replaces them.
    pub fn conflicts(&self) -> impl Iterator<Item = &FileReport> {
        self.files
            .iter()
            .filter(|f| matches!(f.action, FileAction::Conflict(_)))
    }

    pub fn has_conflicts(&self) -> bool {
        self.conflicts().next().is_some()
    }

    /// Whether anything on disk changed.
    pub fn changed_anything(&self) -> bool {
        self.files.iter().any(|f| {
            matches!(
                f.action,
                FileAction::Created
                    | FileAction::Updated
                    | FileAction::Removed
                    | FileAction::Overwritten(_)
            )
        })
    }

    /// One line per file that is not unchanged: `created   api.tf`.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            if f.action == FileAction::Unchanged {
                continue;
            }
            let extra = match f.action {
                FileAction::Conflict(c) => {
                    format!(" ({}; kept, --force replaces it)", c.describe())
                }
                FileAction::Overwritten(c) => format!(" ({}; replaced by --force)", c.describe()),
                _ => String::new(),
            };
            out.push_str(&format!(
                "{:<11} {}{}\n",
                f.action.label(),
                f.path.display(),
                extra
            ));
        }
        out
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Accepts only plain relative paths (`a.tf`, `dir/a.tf`): nothing absolute, no `..`.
fn safe_relative(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// The manifest key for a path: `/`-separated.
fn key(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn io_err(action: &'static str, path: &Path, source: io::Error) -> TfgenError {
    TfgenError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, TfgenError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("read", path, e)),
    }
}

fn diff(path: &Path, old: &[u8], new: &[u8]) -> String {
    match (std::str::from_utf8(old), std::str::from_utf8(new)) {
        (Ok(old), Ok(new)) => {
            let name = key(path);
            similar::TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("a/{name} (on disk)"),
                    &format!("b/{name} (siteup)"),
                )
                .to_string()
        }
        _ => format!("Binary file {} differs\n", key(path)),
    }
}

/// Loads the manifest; an unreadable or foreign one is treated as empty (every differing file
/// then counts as a conflict, nothing is removed) and explained in `notes`.
/// The manifest's entries (path -> SHA-256) and the file's bytes as read (to skip rewriting it).
struct Loaded {
    files: BTreeMap<String, String>,
    bytes: Option<Vec<u8>>,
}

fn load_manifest(terraform_dir: &Path, notes: &mut Vec<String>) -> Result<Loaded, TfgenError> {
    let path = terraform_dir.join(MANIFEST_FILE);
    let Some(bytes) = read_optional(&path)? else {
        return Ok(Loaded {
            files: BTreeMap::new(),
            bytes: None,
        });
    };
    match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(m) if m.schema == SCHEMA => {
            let mut files = BTreeMap::new();
            for (k, v) in m.files {
                if safe_relative(Path::new(&k)) && k != MANIFEST_FILE {
                    files.insert(k, v);
                } else {
                    notes.push(format!(
                        "{MANIFEST_FILE} names {k:?}, which is outside the terraform folder; siteup ignored that entry."
                    ));
                }
            }
            Ok(Loaded {
                files,
                bytes: Some(bytes),
            })
        }
        Ok(m) => {
            notes.push(format!(
                "{MANIFEST_FILE} has schema {} but this siteup reads schema {SCHEMA}; siteup treated every differing file as yours and rewrote the manifest.",
                m.schema
            ));
            Ok(Loaded {
                files: BTreeMap::new(),
                bytes: Some(bytes),
            })
        }
        Err(e) => {
            notes.push(format!(
                "{MANIFEST_FILE} could not be read ({e}); siteup treated every differing file as yours and rewrote the manifest."
            ));
            Ok(Loaded {
                files: BTreeMap::new(),
                bytes: Some(bytes),
            })
        }
    }
}

/// Writes `files` into `terraform_dir` (created if missing), keeping user edits unless `force`.
/// See the module documentation for what happens to each file.
pub fn write_project(
    terraform_dir: &Path,
    files: &[GeneratedFile],
    force: bool,
) -> Result<WriteReport, TfgenError> {
    std::fs::create_dir_all(terraform_dir)
        .map_err(|e| io_err("create the folder", terraform_dir, e))?;
    let mut report = WriteReport::default();
    let Loaded {
        files: old,
        bytes: old_bytes,
    } = load_manifest(terraform_dir, &mut report.notes)?;
    let mut new_manifest: BTreeMap<String, String> = BTreeMap::new();

    // Decide everything first, then write: an error while reading leaves the folder untouched.
    enum Op<'a> {
        Write(&'a [u8]),
        Remove,
    }
    let mut ops: Vec<(PathBuf, Op)> = Vec::new();

    let mut generated = std::collections::BTreeSet::new();
    for file in files {
        if !safe_relative(&file.path) || key(&file.path) == MANIFEST_FILE {
            return Err(TfgenError::UnsafePath(file.path.clone()));
        }
        let k = key(&file.path);
        if !generated.insert(k.clone()) {
            return Err(TfgenError::UnsafePath(file.path.clone()));
        }
        let full = terraform_dir.join(&file.path);
        let current = read_optional(&full)?;
        let recorded = old.get(&k);
        let new_hash = sha256_hex(&file.bytes);
        let (action, write) = match &current {
            Some(bytes) if *bytes == file.bytes => (FileAction::Unchanged, false),
            Some(bytes) => {
                if recorded.is_some_and(|h| *h == sha256_hex(bytes)) {
                    (FileAction::Updated, true)
                } else {
                    let c = if recorded.is_some() {
                        Conflict::Edited
                    } else {
                        Conflict::NotFromSiteup
                    };
                    if force {
                        (FileAction::Overwritten(c), true)
                    } else {
                        (FileAction::Conflict(c), false)
                    }
                }
            }
            None if recorded.is_some() => {
                if force {
                    (FileAction::Overwritten(Conflict::Deleted), true)
                } else {
                    (FileAction::Conflict(Conflict::Deleted), false)
                }
            }
            None => (FileAction::Created, true),
        };
        match action {
            FileAction::Conflict(_) => {
                if let Some(h) = recorded {
                    new_manifest.insert(k.clone(), h.clone());
                }
            }
            _ => {
                new_manifest.insert(k.clone(), new_hash);
            }
        }
        let diff = match action {
            FileAction::Updated | FileAction::Conflict(_) | FileAction::Overwritten(_) => {
                Some(diff(
                    &file.path,
                    current.as_deref().unwrap_or_default(),
                    &file.bytes,
                ))
            }
            _ => None,
        };
        if write {
            ops.push((file.path.clone(), Op::Write(&file.bytes)));
        }
        report.files.push(FileReport {
            path: file.path.clone(),
            action,
            diff,
        });
    }

    for (k, recorded) in &old {
        if generated.contains(k) {
            continue;
        }
        let rel = PathBuf::from(k);
        let full = terraform_dir.join(&rel);
        let Some(current) = read_optional(&full)? else {
            // Already gone: forget it.
            continue;
        };
        let (action, remove) = if sha256_hex(&current) == *recorded {
            (FileAction::Removed, true)
        } else if force {
            (
                FileAction::Overwritten(Conflict::EditedNoLongerGenerated),
                true,
            )
        } else {
            new_manifest.insert(k.clone(), recorded.clone());
            (
                FileAction::Conflict(Conflict::EditedNoLongerGenerated),
                false,
            )
        };
        let diff = match action {
            FileAction::Removed => None,
            _ => Some(diff(&rel, &current, b"")),
        };
        if remove {
            ops.push((rel.clone(), Op::Remove));
        }
        report.files.push(FileReport {
            path: rel,
            action,
            diff,
        });
    }

    for (rel, op) in ops {
        let full = terraform_dir.join(&rel);
        match op {
            Op::Write(bytes) => {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| io_err("create the folder", parent, e))?;
                }
                write_atomic(&full, bytes).map_err(|e| io_err("write", &full, e))?;
            }
            Op::Remove => match std::fs::remove_file(&full) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("remove", &full, e)),
            },
        }
    }

    let manifest = Manifest {
        schema: SCHEMA,
        note: NOTE.into(),
        files: new_manifest,
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| {
        io_err(
            "encode",
            &terraform_dir.join(MANIFEST_FILE),
            io::Error::other(e),
        )
    })?;
    bytes.push(b'\n');
    if old_bytes.as_deref() != Some(&bytes[..]) {
        let path = terraform_dir.join(MANIFEST_FILE);
        write_atomic(&path, &bytes).map_err(|e| io_err("write", &path, e))?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_safe() {
        assert!(safe_relative(Path::new("api.tf")));
        assert!(safe_relative(Path::new("dir/api.tf")));
        assert!(!safe_relative(Path::new("../api.tf")));
        assert!(!safe_relative(Path::new("/etc/passwd")));
        assert!(!safe_relative(Path::new("./api.tf")));
        assert!(!safe_relative(Path::new("")));
    }

    #[test]
    fn a_manifest_entry_outside_the_folder_is_never_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, b"keep").expect("write");
        let tf = dir.path().join("terraform");
        std::fs::create_dir_all(&tf).expect("mkdir");
        let manifest = format!(
            "{{\"schema\":1,\"files\":{{\"../outside.txt\":\"{}\"}}}}",
            sha256_hex(b"keep")
        );
        std::fs::write(tf.join(MANIFEST_FILE), manifest).expect("write manifest");
        let report = write_project(&tf, &[], false).expect("write");
        assert_eq!(std::fs::read(&outside).expect("read"), b"keep");
        assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    }

    #[test]
    fn a_corrupt_manifest_makes_every_differing_file_a_conflict() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(MANIFEST_FILE), b"{not json").expect("write");
        std::fs::write(dir.path().join("a.tf"), b"mine\n").expect("write");
        let files = [GeneratedFile {
            path: "a.tf".into(),
            bytes: b"siteup\n".to_vec(),
        }];
        let report = write_project(dir.path(), &files, false).expect("write");
        assert_eq!(
            report.files[0].action,
            FileAction::Conflict(Conflict::NotFromSiteup)
        );
        assert_eq!(
            std::fs::read(dir.path().join("a.tf")).expect("read"),
            b"mine\n"
        );
        assert!(!report.notes.is_empty());
    }
}
