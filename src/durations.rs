//! Expected durations per resource type, learned from earlier applies on this machine
//! (`~/.cache/siteup/durations.json`), so long waits can say "usually about 4 min".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How many recent durations are kept per resource type.
const KEEP: usize = 9;

/// Recent durations (seconds) of creating/updating each resource type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Durations {
    #[serde(default)]
    pub by_type: BTreeMap<String, Vec<u64>>,
}

impl Durations {
    /// The machine-wide file: `$SITEUP_CACHE_DIR` or `~/.cache/siteup`, then `durations.json`
    /// for real AWS, `durations-sandbox.json` for the sandbox: a rehearsal's emulator answers
    /// in seconds and must not teach what to expect of AWS (nor AWS of the rehearsal).
    pub(crate) fn default_path(sandbox: bool) -> Option<PathBuf> {
        let name = if sandbox {
            "durations-sandbox.json"
        } else {
            "durations.json"
        };
        if let Some(dir) = std::env::var_os("SITEUP_CACHE_DIR") {
            return Some(PathBuf::from(dir).join(name));
        }
        let home = std::env::var_os("HOME")?;
        Some(PathBuf::from(home).join(".cache/siteup").join(name))
    }

    /// Loads the file; a missing or damaged file is an empty history.
    pub(crate) fn load(path: &Path) -> Self {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Saves atomically; failures are not worth interrupting anything for.
    pub(crate) fn save(&self, path: &Path) {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(bytes) = serde_json::to_vec_pretty(self) {
            let _ = crate::project::atomic::write_atomic(path, &bytes);
        }
    }

    /// Records one finished resource.
    pub(crate) fn record(&mut self, resource_type: &str, seconds: u64) {
        let list = self.by_type.entry(resource_type.to_string()).or_default();
        list.push(seconds);
        if list.len() > KEEP {
            let excess = list.len() - KEEP;
            list.drain(..excess);
        }
    }

    /// The median of the recent durations of a type, once there is one.
    pub(crate) fn expected(&self, resource_type: &str) -> Option<u64> {
        let list = self.by_type.get(resource_type)?;
        if list.is_empty() {
            return None;
        }
        let mut sorted = list.clone();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expectation_is_the_median_of_recent_runs() {
        let mut d = Durations::default();
        assert_eq!(d.expected("aws_cloudfront_distribution"), None);
        for s in [30, 400, 35, 32] {
            d.record("aws_cloudfront_distribution", s);
        }
        assert_eq!(d.expected("aws_cloudfront_distribution"), Some(35));
        for s in 0..20 {
            d.record("aws_s3_bucket", s);
        }
        assert_eq!(d.by_type["aws_s3_bucket"].len(), KEEP);
    }

    #[test]
    fn survives_a_save_and_a_damaged_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.json");
        let mut d = Durations::default();
        d.record("aws_route53_zone", 15);
        d.save(&path);
        assert_eq!(Durations::load(&path), d);
        std::fs::write(&path, b"{").expect("write");
        assert_eq!(Durations::load(&path), Durations::default());
    }
}
