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
//!
//! Links and other things that are not regular files never lead siteup out of the folder:
//!
//! - a **symbolic link** where siteup would write is a conflict: siteup never reads through it
//!   (so no diff, only a sentence), and `force` replaces (or removes) the link itself, never its
//!   target; the link is backed up as a link;
//! - a **folder, device or pipe**, or a path under a linked folder, is a conflict that even
//!   `force` leaves alone (replacing it could destroy more than one file): the user moves it away;
//! - a linked `terraform/` folder is refused outright.
//!
//! Diffs show only text siteup wrote or would write: a file siteup did not write (or that has
//! other hard links, so its content may live elsewhere too) gets a sentence instead of a diff.
//! With a backup folder ([`WriteOptions::backup_dir`]), every file `force` replaces or removes is
//! first copied there, so `--force` can be undone.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{GeneratedFile, TfgenError};
use crate::project::atomic::{write_atomic, write_atomic_with_mode};

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
    /// A symbolic link: never read or written through; `force` replaces the link itself.
    Symlink,
    /// Not a regular file (a folder, a device, a pipe, or under a linked folder): never replaced,
    /// even with `force`.
    NotAFile,
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
            Conflict::Symlink => "a symbolic link, which siteup neither reads nor writes through",
            Conflict::NotAFile => "not a regular file",
        }
    }

    /// Whether `force` replaces (or removes) such a file.
    pub fn forcible(self) -> bool {
        self != Conflict::NotAFile
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
    /// overwrites (`None` otherwise). Binary files, links, and files whose content siteup may
    /// not show (it did not write them) get a one-line sentence instead.
    pub diff: Option<String>,
}

/// What [`write_project`] did, file by file, in a stable order (generated files first, then
/// files no longer generated).
#[derive(Debug, Clone, Default)]
pub struct WriteReport {
    pub files: Vec<FileReport>,
    /// Things the user should know that are not about one file (an unreadable manifest).
    pub notes: Vec<String>,
    /// The folder holding the files `force` replaced or removed, as they were (`None` when
    /// nothing was backed up).
    pub backup: Option<PathBuf>,
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

    /// Files `force` replaced or removed: the caller should show their diffs and the backup.
    pub fn overwritten(&self) -> impl Iterator<Item = &FileReport> {
        self.files
            .iter()
            .filter(|f| matches!(f.action, FileAction::Overwritten(_)))
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
                FileAction::Conflict(c) if c.forcible() => {
                    format!(" ({}; kept, --force replaces it)", c.describe())
                }
                FileAction::Conflict(c) => {
                    format!(
                        " ({}; kept, move it away since --force leaves it)",
                        c.describe()
                    )
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

/// What is at a path inside the terraform folder, looked at without following any link.
enum OnDisk {
    Missing,
    /// A regular file. `own_link`: its only hard link is this one, so its content is the
    /// project's own (a file with other links may be a copy of something outside).
    File {
        bytes: Vec<u8>,
        own_link: bool,
    },
    /// A symbolic link (never read through).
    Link,
    /// A folder, device, pipe or socket, or anything under a linked folder.
    NotAFile,
}

/// Looks at `rel` under `terraform_dir` without following links: every folder between them must
/// be a real folder, and only a regular file is read (opened with `O_NOFOLLOW`).
fn inspect(terraform_dir: &Path, rel: &Path) -> Result<OnDisk, TfgenError> {
    let components: Vec<_> = rel.components().collect();
    let mut dir = terraform_dir.to_path_buf();
    for c in components.iter().take(components.len().saturating_sub(1)) {
        dir.push(c);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Ok(OnDisk::NotAFile),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OnDisk::Missing),
            Err(e) => return Err(io_err("inspect", &dir, e)),
        }
    }
    let full = terraform_dir.join(rel);
    let meta = match std::fs::symlink_metadata(&full) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OnDisk::Missing),
        Err(e) => return Err(io_err("inspect", &full, e)),
    };
    if meta.file_type().is_symlink() {
        return Ok(OnDisk::Link);
    }
    if !meta.is_file() {
        return Ok(OnDisk::NotAFile);
    }
    let (bytes, own_link) = read_regular_file(&full).map_err(|e| io_err("read", &full, e))?;
    Ok(OnDisk::File { bytes, own_link })
}

/// Reads a regular file without following a link (even one swapped in since it was inspected)
/// and without blocking on a pipe; returns its bytes and whether it has a single hard link.
fn read_regular_file(path: &Path) -> io::Result<(Vec<u8>, bool)> {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let flags = nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("it is no longer a regular file"));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok((bytes, meta.nlink() == 1))
}

/// The sentence shown instead of a diff when the content on disk may not be shown.
/// `after` says what became of the file.
fn withheld(path: &Path, why: &str, after: &str) -> String {
    format!(
        "{} {why}; its content is not shown, and {after}.\n",
        key(path)
    )
}

/// A conflict, or with `--force` (where it may) the overwrite of it.
fn conflict_action(c: Conflict, force: bool) -> FileAction {
    if force && c.forcible() {
        FileAction::Overwritten(c)
    } else {
        FileAction::Conflict(c)
    }
}

/// A link or a non-file where siteup would write (`generated`) or where a file it no longer
/// generates was: never read through, a link replaced or removed only with `--force`, anything
/// else left alone. The sentence stands in for a diff.
fn not_a_plain_file(
    k: &str,
    current: &OnDisk,
    force: bool,
    generated: bool,
) -> (FileAction, Option<String>) {
    let shown = match (current, generated, force) {
        (OnDisk::Link, true, true) => format!(
            "{k} is a symbolic link; siteup did not read or write through it, and --force replaced the link itself with siteup's version (its target is untouched).\n"
        ),
        (OnDisk::Link, true, false) => format!(
            "{k} is a symbolic link; siteup does not read or write through links, so it kept it and shows no diff.\n"
        ),
        (OnDisk::Link, false, true) => format!(
            "{k} is a symbolic link that siteup no longer generates; --force removed the link itself (its target is untouched).\n"
        ),
        (OnDisk::Link, false, false) => format!(
            "{k} is a symbolic link that siteup no longer generates; siteup does not read through links, so it kept it and shows no diff.\n"
        ),
        (_, true, _) => format!(
            "{k} is not a regular file (a folder, a device, or something under a linked folder); siteup left it alone, even with --force: move it away to let siteup write it.\n"
        ),
        (_, false, _) => format!(
            "{k} is not a regular file (a folder, a device, or something under a linked folder) and siteup no longer generates it; siteup left it alone, even with --force.\n"
        ),
    };
    let action = if matches!(current, OnDisk::Link) {
        conflict_action(Conflict::Symlink, force)
    } else {
        FileAction::Conflict(Conflict::NotAFile)
    };
    (action, Some(shown))
}

const KEPT: &str = "siteup kept it as it is";
const REPLACED: &str = "--force replaced it with siteup's version";
const REMOVED: &str = "--force removed it";
const OTHER_LINKS: &str = "has other hard links, so it may be a file from outside the project";

/// The manifest's bytes, or `None` when there is no manifest; a manifest that is a link is
/// not read (empty bytes, so siteup replaces it with its own) and explained in `notes`.
fn read_manifest_bytes(
    path: &Path,
    notes: &mut Vec<String>,
) -> Result<Option<Vec<u8>>, TfgenError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("inspect", path, e)),
        Ok(m) if m.file_type().is_symlink() => {
            notes.push(format!(
                "{MANIFEST_FILE} is a symbolic link; siteup did not read through it, treated every differing file as yours and replaced the link with its own manifest."
            ));
            Ok(Some(Vec::new()))
        }
        Ok(m) if !m.is_file() => Err(io_err(
            "read",
            path,
            io::Error::other("it is not a regular file; move it away"),
        )),
        Ok(_) => read_regular_file(path)
            .map(|(bytes, _)| Some(bytes))
            .map_err(|e| io_err("read", path, e)),
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
    let noted = notes.len();
    let Some(bytes) = read_manifest_bytes(&path, notes)? else {
        return Ok(Loaded {
            files: BTreeMap::new(),
            bytes: None,
        });
    };
    if notes.len() > noted {
        // A linked manifest, already explained: nothing is known.
        return Ok(Loaded {
            files: BTreeMap::new(),
            bytes: Some(bytes),
        });
    }
    let files = parse_manifest(&bytes, notes);
    Ok(Loaded {
        files,
        bytes: Some(bytes),
    })
}

/// The manifest's entries from its bytes: only plain relative paths inside the folder (never
/// the manifest itself); anything else, and a manifest that cannot be read or is of another
/// schema, is explained in `notes` and leaves no entry.
pub(crate) fn parse_manifest(bytes: &[u8], notes: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    match serde_json::from_slice::<Manifest>(bytes) {
        Ok(m) if m.schema == SCHEMA => {
            for (k, v) in m.files {
                if safe_relative(Path::new(&k)) && k != MANIFEST_FILE {
                    files.insert(k, v);
                } else {
                    notes.push(format!(
                        "{MANIFEST_FILE} names {k:?}, which is outside the terraform folder; siteup ignored that entry."
                    ));
                }
            }
        }
        Ok(m) => notes.push(format!(
            "{MANIFEST_FILE} has schema {} but this siteup reads schema {SCHEMA}; siteup treated every differing file as yours and rewrote the manifest.",
            m.schema
        )),
        Err(e) => notes.push(format!(
            "{MANIFEST_FILE} could not be read ({e}); siteup treated every differing file as yours and rewrote the manifest."
        )),
    }
    files
}

/// How [`write_project_with`] treats files the user changed.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions<'a> {
    /// Replace (or remove) conflicting files, links included, instead of keeping them.
    pub force: bool,
    /// Where the files `force` replaces or removes are copied first, at their path relative to
    /// the terraform folder (created only when something is backed up). `None`: no backup.
    pub backup_dir: Option<&'a Path>,
}

/// Writes `files` into `terraform_dir` (created if missing), keeping user edits unless `force`.
/// See the module documentation for what happens to each file.
pub fn write_project(
    terraform_dir: &Path,
    files: &[GeneratedFile],
    force: bool,
) -> Result<WriteReport, TfgenError> {
    write_project_with(
        terraform_dir,
        files,
        &WriteOptions {
            force,
            backup_dir: None,
        },
    )
}

/// What to keep of a file before `force` replaces or removes it.
enum Saved {
    File(Vec<u8>),
    Link(PathBuf),
}

/// [`write_project`] with a backup of everything `force` replaces or removes.
pub fn write_project_with(
    terraform_dir: &Path,
    files: &[GeneratedFile],
    options: &WriteOptions<'_>,
) -> Result<WriteReport, TfgenError> {
    let force = options.force;
    match std::fs::symlink_metadata(terraform_dir) {
        Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
            return Err(TfgenError::NotAFolder(terraform_dir.to_path_buf()));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("inspect", terraform_dir, e)),
    }
    std::fs::create_dir_all(terraform_dir)
        .map_err(|e| io_err("create the folder", terraform_dir, e))?;
    let mut report = WriteReport::default();
    let Loaded {
        files: old,
        bytes: old_bytes,
    } = load_manifest(terraform_dir, &mut report.notes)?;
    let mut new_manifest: BTreeMap<String, String> = BTreeMap::new();

    // Decide everything first, then back up, then write: an error while reading or backing up
    // leaves the folder untouched.
    enum Op<'a> {
        Write(&'a [u8]),
        Remove,
    }
    let mut ops: Vec<(PathBuf, Op)> = Vec::new();
    let mut saves: Vec<(PathBuf, Saved)> = Vec::new();
    let save_of = |rel: &Path, current: OnDisk| -> Result<Option<Saved>, TfgenError> {
        Ok(match current {
            OnDisk::File { bytes, .. } => Some(Saved::File(bytes)),
            OnDisk::Link => {
                let full = terraform_dir.join(rel);
                let target = std::fs::read_link(&full).map_err(|e| io_err("read", &full, e))?;
                Some(Saved::Link(target))
            }
            OnDisk::Missing | OnDisk::NotAFile => None,
        })
    };

    let mut generated = std::collections::BTreeSet::new();
    for file in files {
        if !safe_relative(&file.path) || key(&file.path) == MANIFEST_FILE {
            return Err(TfgenError::UnsafePath(file.path.clone()));
        }
        let k = key(&file.path);
        if !generated.insert(k.clone()) {
            return Err(TfgenError::UnsafePath(file.path.clone()));
        }
        let current = inspect(terraform_dir, &file.path)?;
        let recorded = old.get(&k);
        let new_hash = sha256_hex(&file.bytes);
        let conflict = |c: Conflict| conflict_action(c, force);
        // The action, and what the user sees instead of the file (a diff or a sentence).
        let (action, diff) = match &current {
            OnDisk::File { bytes, .. } if *bytes == file.bytes => (FileAction::Unchanged, None),
            OnDisk::File { bytes, own_link } => {
                if recorded.is_some_and(|h| *h == sha256_hex(bytes)) {
                    // Exactly what siteup wrote: its own text may be shown.
                    (
                        FileAction::Updated,
                        Some(diff(&file.path, bytes, &file.bytes)),
                    )
                } else if recorded.is_some() {
                    let action = conflict(Conflict::Edited);
                    let shown = if *own_link {
                        diff(&file.path, bytes, &file.bytes)
                    } else {
                        withheld(&file.path, OTHER_LINKS, if force { REPLACED } else { KEPT })
                    };
                    (action, Some(shown))
                } else {
                    let action = conflict(Conflict::NotFromSiteup);
                    let shown = withheld(
                        &file.path,
                        "was already there and siteup did not write it",
                        if force { REPLACED } else { KEPT },
                    );
                    (action, Some(shown))
                }
            }
            OnDisk::Link | OnDisk::NotAFile => not_a_plain_file(&k, &current, force, true),
            OnDisk::Missing if recorded.is_some() => {
                let action = conflict(Conflict::Deleted);
                (action, Some(diff(&file.path, b"", &file.bytes)))
            }
            OnDisk::Missing => (FileAction::Created, None),
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
        if matches!(
            action,
            FileAction::Created | FileAction::Updated | FileAction::Overwritten(_)
        ) {
            ops.push((file.path.clone(), Op::Write(&file.bytes)));
        }
        if matches!(action, FileAction::Overwritten(_))
            && let Some(saved) = save_of(&file.path, current)?
        {
            saves.push((file.path.clone(), saved));
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
        let current = inspect(terraform_dir, &rel)?;
        let conflict = |c: Conflict| conflict_action(c, force);
        let (action, diff) = match &current {
            // Already gone: forget it.
            OnDisk::Missing => continue,
            OnDisk::File { bytes, .. } if sha256_hex(bytes) == *recorded => {
                (FileAction::Removed, None)
            }
            OnDisk::File { bytes, own_link } => {
                let action = conflict(Conflict::EditedNoLongerGenerated);
                let shown = if *own_link {
                    diff(&rel, bytes, b"")
                } else {
                    withheld(&rel, OTHER_LINKS, if force { REMOVED } else { KEPT })
                };
                (action, Some(shown))
            }
            OnDisk::Link | OnDisk::NotAFile => not_a_plain_file(k, &current, force, false),
        };
        match action {
            FileAction::Conflict(_) => {
                new_manifest.insert(k.clone(), recorded.clone());
            }
            _ => ops.push((rel.clone(), Op::Remove)),
        }
        if matches!(action, FileAction::Overwritten(_))
            && let Some(saved) = save_of(&rel, current)?
        {
            saves.push((rel.clone(), saved));
        }
        report.files.push(FileReport {
            path: rel,
            action,
            diff,
        });
    }

    if let Some(backup_dir) = options.backup_dir
        && !saves.is_empty()
    {
        for (rel, saved) in &saves {
            let path = backup_dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| io_err("create the backup folder", parent, e))?;
            }
            match saved {
                Saved::File(bytes) => write_atomic_with_mode(&path, bytes, Some(0o600))
                    .map_err(|e| io_err("back up", &path, e))?,
                Saved::Link(target) => std::os::unix::fs::symlink(target, &path)
                    .map_err(|e| io_err("back up", &path, e))?,
            }
        }
        report.backup = Some(backup_dir.to_path_buf());
    }

    for (rel, op) in ops {
        let full = terraform_dir.join(&rel);
        match op {
            Op::Write(bytes) => {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| io_err("create the folder", parent, e))?;
                }
                // A rename replaces whatever name is there (a link included), never a target.
                write_atomic(&full, bytes).map_err(|e| io_err("write", &full, e))?;
            }
            // Removes the name (a link itself, never its target).
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
