//! Atomic file writes: temp file in the same directory, fsync, rename, fsync the directory.
//! A reader sees either the old bytes or the new ones, never a torn file, even after a crash.
//!
//! The rename replaces the *name*: a symbolic link at `path` is replaced by the new file, never
//! written through. The temp file is created exclusively, so a link planted at its name is not
//! followed either. [`write_atomic_through_link`] is for the one file whose link is kept.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Removes the file at `path`; a file that is not there is already removed.
pub(crate) fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` atomically. The parent directory must exist.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with_mode(path, bytes, None)
}

/// Like [`write_atomic`], with explicit Unix permissions for the new file (e.g. `0o600`).
pub(crate) fn write_atomic_with_mode(
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut options = OpenOptions::new();
        // Exclusive: never opens (and truncates) whatever a link at the temp name points to.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode.unwrap_or(0o644));
        }
        let mut file = match options.open(&tmp) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // Left by a crashed siteup with the same PID (or planted): remove the name only.
                fs::remove_file(&tmp)?;
                options.open(&tmp)?
            }
            other => other?,
        };
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Like [`write_atomic`], except that when `path` is a symbolic link the link stays: its final
/// target gets the new bytes atomically (keeping the target's permissions). A regular file keeps
/// its permissions too. A link whose target does not exist is an error (`NotFound`).
pub(crate) fn write_atomic_through_link(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(&target)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.permissions().mode() & 0o7777)
    };
    #[cfg(not(unix))]
    let mode = None;
    write_atomic_with_mode(&target, bytes, mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.toml");
        write_atomic(&path, b"one").expect("first write");
        write_atomic(&path, b"two").expect("second write");
        assert_eq!(fs::read(&path).expect("read"), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "only the target file remains: {names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_path_is_replaced_and_its_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target.txt");
        fs::write(&target, b"secret").expect("write target");
        let link = dir.path().join("a.tf");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        write_atomic(&link, b"new").expect("write");
        assert!(
            !fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&link).expect("read"), b"new");
        assert_eq!(fs::read(&target).expect("read target"), b"secret");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_the_temp_name_is_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target.txt");
        fs::write(&target, b"secret").expect("write target");
        let tmp = dir.path().join(format!(".a.tf.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&target, &tmp).expect("symlink");
        write_atomic(&dir.path().join("a.tf"), b"new").expect("write");
        assert_eq!(fs::read(&target).expect("read target"), b"secret");
        assert_eq!(fs::read(dir.path().join("a.tf")).expect("read"), b"new");
        assert!(
            fs::symlink_metadata(&tmp).is_err(),
            "the planted name is gone"
        );
    }

    #[cfg(unix)]
    #[test]
    fn writing_through_a_link_keeps_the_link_and_the_target_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("shared");
        fs::create_dir(&real).expect("mkdir");
        let target = real.join("siteup.toml");
        fs::write(&target, b"old").expect("write target");
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).expect("chmod");
        let link = dir.path().join("siteup.toml");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        write_atomic_through_link(&link, b"new").expect("write");
        assert!(
            fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).expect("read target"), b"new");
        let mode = fs::metadata(&target).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
