//! Figures for the benchmark (`scripts/bench.sh`), written only when asked for through the
//! environment; without the variables nothing here does any work beyond one lookup.
//!
//! - `SITEUP_REPORT_FIRST_FRAME=PATH`: when the full-screen wizard has drawn (and flushed to
//!   the terminal) its first frame of the journey resumed from the folder, siteup writes the
//!   wall-clock time of that moment to PATH as `first_frame_unix_us=N` (microseconds since
//!   the Unix epoch). The benchmark notes the time just before it starts siteup, so the figure
//!   it prints includes the process's start-up. Later, at the first frame where the start-up
//!   work is over (no step running, nothing busy: preflight, profile and terraform outputs
//!   re-read, so a checkpoint shows its facts), it adds `settled_frame_unix_us=N`.
//! - `SITEUP_REPORT_RUSAGE=PATH`: when siteup exits, it writes its own peak resident memory
//!   and CPU time (children such as terraform not included) to PATH, one `key=value` a line:
//!   `max_rss_kb`, `utime_ms`, `stime_ms` (from `/proc/self/status` and `/proc/self/stat`;
//!   on systems without `/proc` the file says `unavailable=1`).

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::wizard::{Journey, Status};

/// The variable naming the first-frame report's file.
pub const FIRST_FRAME_ENV: &str = "SITEUP_REPORT_FIRST_FRAME";
/// The variable naming the resource-usage report's file.
pub const RUSAGE_ENV: &str = "SITEUP_REPORT_RUSAGE";

static FIRST_FRAME_PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
/// 0: nothing reported yet; 1: the first frame reported; 2: done (or not asked for).
static FRAME_STAGE: AtomicU8 = AtomicU8::new(0);

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn unix_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

/// Called by the wizard's loop after every frame it has drawn: the first frame showing a
/// journey other than the blank one it starts from (that is, the journey resumed from the
/// folder) is reported, then the first frame where the start-up work is over.
pub fn frame_drawn(journey: &Journey) {
    let stage = FRAME_STAGE.load(Ordering::Relaxed);
    if stage >= 2 {
        return;
    }
    let Some(path) = FIRST_FRAME_PATH.get_or_init(|| env_path(FIRST_FRAME_ENV)) else {
        FRAME_STAGE.store(2, Ordering::Relaxed);
        return;
    };
    let line = if stage == 0 {
        if *journey == Journey::new(journey.mode) {
            return;
        }
        format!("first_frame_unix_us={}\n", unix_us())
    } else {
        let settled =
            journey.busy.is_none() && journey.steps.values().all(|s| s.status != Status::Running);
        if !settled {
            return;
        }
        format!("settled_frame_unix_us={}\n", unix_us())
    };
    FRAME_STAGE.store(stage + 1, Ordering::Relaxed);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        tracing::warn!(
            "could not write the first-frame report {}: {e}",
            path.display()
        );
    }
}

/// Called once as siteup exits: writes the resource-usage report if it was asked for.
pub fn write_rusage_if_asked() {
    let Some(path) = env_path(RUSAGE_ENV) else {
        return;
    };
    let text = rusage_text().unwrap_or_else(|| "unavailable=1\n".to_string());
    // siteup is exiting: a report that cannot be written is only mentioned.
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!(
            "siteup: could not write the resource report {}: {e}.",
            path.display()
        );
    }
}

/// `/proc` reports CPU time in USER_HZ ticks, which Linux fixes at 100 a second for user space.
const USER_HZ: u64 = 100;

fn rusage_text() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let max_rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())?;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis
    // start at field 3, so utime (14) and stime (15) are the 12th and 13th of them.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(format!(
        "max_rss_kb={max_rss_kb}\nutime_ms={}\nstime_ms={}\n",
        utime * 1000 / USER_HZ,
        stime * 1000 / USER_HZ
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn rusage_reads_this_process() {
        let text = rusage_text().expect("/proc/self is readable on Linux");
        let rss: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("max_rss_kb="))
            .and_then(|v| v.parse().ok())
            .expect("the report names the peak resident memory");
        assert!(rss > 0, "a running process has resident memory: {text}");
        assert!(
            text.contains("utime_ms=") && text.contains("stime_ms="),
            "{text}"
        );
    }
}
