//! The Lambda package, zipped deterministically: the same sources always give the same bytes
//! (entries sorted by name, every timestamp 1980-01-01 00:00:00, permissions 0644, Unix "made
//! by", deflate at a fixed level, no extra fields). So `filebase64sha256("api.zip")` only changes
//! when the code does, and a regeneration does not make every plan update the function.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

/// The Lambda's source files, bundled into siteup at build time: `(name in the zip, bytes)`.
pub const LAMBDA_SOURCES: &[(&str, &[u8])] =
    &[("index.mjs", include_bytes!("../../assets/lambda/index.mjs"))];

/// Zips `entries` deterministically. Names are sorted; duplicates are an error.
pub fn deterministic_zip(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut sorted: Vec<&(&str, &[u8])> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
        .system(System::Unix);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in sorted {
        writer.start_file(*name, options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// The API function's package (`api.zip`).
pub fn api_zip() -> Result<Vec<u8>, zip::result::ZipError> {
    deterministic_zip(LAMBDA_SOURCES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_input_same_bytes_whatever_the_order() {
        let a = deterministic_zip(&[("b.txt", b"two"), ("a.txt", b"one")]).expect("zip");
        let b = deterministic_zip(&[("a.txt", b"one"), ("b.txt", b"two")]).expect("zip");
        assert_eq!(a, b);
    }

    #[test]
    fn duplicate_names_are_refused() {
        assert!(deterministic_zip(&[("a", b"1"), ("a", b"2")]).is_err());
    }
}
