//! Small helpers for the sentences siteup prints.

/// Greedy word wrap at `width` characters (one empty line for empty text), for the plain
/// text reports of the aws layer.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in line.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// `n` followed by the singular or plural noun: "1 file", "3 files".
pub fn counted(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A list for a sentence: "a", "a and b", "a, b and c".
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// Makes sure a message reads as one sentence: capitalised, ending with a full stop.
pub fn sentence(text: &str) -> String {
    let t = text.trim();
    let mut chars = t.chars();
    let mut s = match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => return String::new(),
    };
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

/// "Could not reach AWS" -> "could not reach AWS", to follow a colon.
pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if chars.clone().next().is_some_and(char::is_lowercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => s.to_string(),
    }
}

/// `text` with every control character (C0, DEL, C1) written as a visible escape (`\u{1b}`), so
/// that text from outside (a flag, a file, a profile name, an AWS error) can never move the
/// cursor, clear the screen or retitle the terminal. Newlines and tabs are kept.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    escape_where(text, is_unsafe_control)
}

/// Like [`printable`], for one-line values: newlines and tabs are escaped too.
pub fn printable_line(text: &str) -> std::borrow::Cow<'_, str> {
    escape_where(text, char::is_control)
}

/// `text` with each character that `escaped` picks written as `\u{..}`; borrowed when none is.
fn escape_where(text: &str, escaped: fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn is_unsafe_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `value` quoted for a POSIX shell, for a command siteup suggests: bare when it is only safe
/// characters, in single quotes otherwise, and as `$'...'` with escapes when it holds control
/// characters (so the suggestion itself prints nothing raw).
pub fn shell_quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@=,".contains(c))
        && !value.starts_with('-')
    {
        return value.to_string();
    }
    if value.chars().any(char::is_control) {
        let mut out = String::from("$'");
        for c in value.chars() {
            match c {
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() && (c as u32) < 0x100 => {
                    out.push_str(&format!("\\x{:02x}", c as u32));
                }
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('\'');
        return out;
    }
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// What to do about a failed file operation, worded from its cause (one clause, no full stop):
/// "the disk is full; free some space and run siteup again". The caller says what it was doing.
pub fn io_advice(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    // ENOSPC, EDQUOT, EROFS, ENOTDIR, EISDIR, ELOOP, ENAMETOOLONG on Linux and the BSDs.
    let os = e.raw_os_error();
    let kind = e.kind();
    if kind == K::StorageFull || kind == K::QuotaExceeded || matches!(os, Some(28 | 122 | 69)) {
        return "the disk is full (or your quota is used up); free some space and run siteup again"
            .into();
    }
    if kind == K::ReadOnlyFilesystem || os == Some(30) {
        return "the file system is read-only; use a folder on a writable disk".into();
    }
    if kind == K::NotADirectory || os == Some(20) {
        return "a part of that path is a file, not a folder; move the file away or choose another folder".into();
    }
    if kind == K::IsADirectory || os == Some(21) {
        return "that path is a folder, not a file; move the folder away".into();
    }
    if os == Some(40) {
        return "that path is a symbolic link loop; remove the link".into();
    }
    if kind == K::InvalidFilename || os == Some(36) {
        return "that path is too long or not a valid file name; choose a shorter path".into();
    }
    match kind {
        K::PermissionDenied => {
            "permission denied; check the permissions of the file and its folder".into()
        }
        K::NotFound => "it does not exist; check the path".into(),
        K::InvalidData => "it is not valid UTF-8 text; fix the file or move it away".into(),
        K::OutOfMemory => {
            "the machine ran out of memory; close other programs and try again".into()
        }
        _ => format!("{}; check the path and try again", plain_io_error(e)),
    }
}

/// An I/O error's own text without the "(os error N)" suffix.
fn plain_io_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// How a duration is written: one formatter ([`duration`]) for every duration siteup shows, in
/// the precision each place needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationStyle {
    /// A running clock, to the second below an hour: `42s`, `3m 12s`, `1h 03m`, `2d 04h`.
    Clock,
    /// The same in at most five columns: `42s`, `3m12s`, `1h03m`, `4d`.
    ClockCompact,
    /// An expected duration, rounded to the nearest minute: `40s`, `3m`, `1h05`.
    Estimate,
    /// A wait, to the minute, in at most five columns: `<1m`, `12m`, `1h05m`, `2d03h`.
    WaitCompact,
    /// A wait, to the minute, in words: `less than a minute`, `12 min`, `1 h 05 min`,
    /// `2 days 3 h`.
    Wait,
    /// An age, in its largest unit rounded down: `less than a minute`, `12 minutes`,
    /// `3 hours`, `2 days` (callers add "ago").
    Age,
    /// What is left, rounded, for "for ...": `less than a minute more`, `about 40 more minutes`,
    /// `about 1 h 40 m more`, `about 2 more days`.
    Remaining,
    /// A short timing, to the tenth below ten seconds: `under 0.1 s`, `0.4 s`, `2 s`.
    Seconds,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// `d` written in `style`.
pub fn duration(d: std::time::Duration, style: DurationStyle) -> String {
    let s = d.as_secs();
    let (days, hours, mins, secs) = (s / DAY, s % DAY / HOUR, s % HOUR / MINUTE, s % MINUTE);
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match style {
        DurationStyle::Clock => match s {
            0..MINUTE => format!("{s}s"),
            MINUTE..HOUR => format!("{mins}m {secs:02}s"),
            HOUR..DAY => format!("{hours}h {mins:02}m"),
            _ => format!("{days}d {hours:02}h"),
        },
        DurationStyle::ClockCompact => match s {
            0..MINUTE => format!("{s}s"),
            MINUTE..HOUR => format!("{mins}m{secs:02}s"),
            _ if s < 100 * HOUR => format!("{}h{mins:02}m", s / HOUR),
            _ => format!("{days}d"),
        },
        DurationStyle::Estimate => match s {
            0..MINUTE => format!("{s}s"),
            MINUTE..HOUR => format!("{}m", (s + 30) / MINUTE),
            _ => format!("{}h{mins:02}", s / HOUR),
        },
        DurationStyle::WaitCompact => match s {
            0..MINUTE => "<1m".into(),
            MINUTE..HOUR => format!("{mins}m"),
            HOUR..DAY => format!("{hours}h{mins:02}m"),
            _ => format!("{days}d{hours:02}h"),
        },
        DurationStyle::Wait => match s {
            0..MINUTE => "less than a minute".into(),
            MINUTE..HOUR => format!("{mins} min"),
            HOUR..DAY => format!("{hours} h {mins:02} min"),
            _ => format!("{} {hours} h", plural(days, "day")),
        },
        DurationStyle::Age => match s {
            0..MINUTE => "less than a minute".into(),
            MINUTE..HOUR => plural(mins, "minute"),
            HOUR..DAY => plural(hours, "hour"),
            _ => plural(days, "day"),
        },
        DurationStyle::Remaining => {
            // Rounded to the nearest unit: a cache's TTL is a little less than it was set to.
            if s < MINUTE {
                return "less than a minute more".into();
            }
            let minutes = (s + 30) / MINUTE;
            if minutes == 1 {
                "about 1 more minute".into()
            } else if minutes < 90 {
                format!("about {minutes} more minutes")
            } else if s < 2 * DAY {
                let (h, m) = (minutes / 60, minutes % 60);
                if m == 0 {
                    format!("about {h} h more")
                } else {
                    format!("about {h} h {m} m more")
                }
            } else {
                format!("about {} more days", (s + DAY / 2) / DAY)
            }
        }
        DurationStyle::Seconds => {
            let ms = d.as_millis();
            if ms < 100 {
                "under 0.1 s".into()
            } else if ms < 10_000 && !ms.is_multiple_of(1000) {
                format!("{:.1} s", d.as_secs_f64())
            } else {
                format!("{s} s")
            }
        }
    }
}

/// [`duration`] of whole seconds.
pub fn seconds(secs: u64, style: DurationStyle) -> String {
    duration(std::time::Duration::from_secs(secs), style)
}

#[cfg(test)]
mod tests {
    use super::{counted, io_advice, printable, printable_line, shell_quote};
    use std::io::{Error, ErrorKind};

    #[test]
    fn durations_at_their_edges() {
        use super::{DurationStyle::*, duration, seconds};
        #[rustfmt::skip]
        let cases: [(u64, [&str; 7]); 9] = [
            // secs: Clock, ClockCompact, Estimate, WaitCompact, Wait, Age, Remaining
            (0, ["0s", "0s", "0s", "<1m", "less than a minute", "less than a minute", "less than a minute more"]),
            (59, ["59s", "59s", "59s", "<1m", "less than a minute", "less than a minute", "less than a minute more"]),
            (60, ["1m 00s", "1m00s", "1m", "1m", "1 min", "1 minute", "about 1 more minute"]),
            (192, ["3m 12s", "3m12s", "3m", "3m", "3 min", "3 minutes", "about 3 more minutes"]),
            (3599, ["59m 59s", "59m59s", "60m", "59m", "59 min", "59 minutes", "about 60 more minutes"]),
            (3600, ["1h 00m", "1h00m", "1h00", "1h00m", "1 h 00 min", "1 hour", "about 60 more minutes"]),
            (6000, ["1h 40m", "1h40m", "1h40", "1h40m", "1 h 40 min", "1 hour", "about 1 h 40 m more"]),
            (86_400, ["1d 00h", "24h00m", "24h00", "1d00h", "1 day 0 h", "1 day", "about 24 h more"]),
            (2 * 86_400 + 3 * 3600, ["2d 03h", "51h00m", "51h00", "2d03h", "2 days 3 h", "2 days", "about 2 more days"]),
        ];
        let styles = [
            Clock,
            ClockCompact,
            Estimate,
            WaitCompact,
            Wait,
            Age,
            Remaining,
        ];
        for (secs, want) in cases {
            for (style, want) in styles.into_iter().zip(want) {
                assert_eq!(seconds(secs, style), want, "{secs} s as {style:?}");
            }
        }
        assert_eq!(seconds(100 * 3600, ClockCompact), "4d");
        assert_eq!(seconds(7200, Remaining), "about 2 h more");
        let ms = |n| duration(std::time::Duration::from_millis(n), Seconds);
        assert_eq!(ms(0), "under 0.1 s");
        assert_eq!(ms(3), "under 0.1 s");
        assert_eq!(ms(400), "0.4 s");
        assert_eq!(ms(2000), "2 s");
        assert_eq!(ms(59_000), "59 s");
        assert_eq!(ms(3_600_000), "3600 s");
    }

    #[test]
    fn a_sentence_lowered_to_follow_a_colon_keeps_acronyms() {
        assert_eq!(
            super::lower_first("Could not reach AWS"),
            "could not reach AWS"
        );
        assert_eq!(
            super::lower_first("AWS did not answer"),
            "AWS did not answer"
        );
        assert_eq!(super::lower_first(""), "");
    }

    #[test]
    fn control_characters_are_shown_never_sent() {
        assert_eq!(printable("plain text\nnext"), "plain text\nnext");
        let shown = printable("--x\u{1b}[2J; rm -rf /\u{7}");
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.contains("\\u{1b}[2J"), "{shown}");
        assert!(!printable("\u{9b}31m").contains('\u{9b}'));
        assert_eq!(printable_line("a\nb"), "a\\u{a}b");
    }

    #[test]
    fn suggested_values_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("work"), "work");
        assert_eq!(shell_quote("my profile"), "'my profile'");
        assert_eq!(shell_quote("--x; rm -rf /"), "'--x; rm -rf /'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        let nasty = shell_quote("--x\u{1b}[2J; rm -rf /");
        assert_eq!(nasty, "$'--x\\x1b[2J; rm -rf /'");
        assert!(!nasty.chars().any(char::is_control));
    }

    #[test]
    fn io_advice_names_the_cause() {
        let full = io_advice(&Error::from_raw_os_error(28));
        assert!(full.starts_with("the disk is full"), "{full}");
        let denied = io_advice(&Error::from(ErrorKind::PermissionDenied));
        assert!(denied.starts_with("permission denied"), "{denied}");
        let file = io_advice(&Error::from_raw_os_error(20));
        assert!(file.contains("is a file, not a folder"), "{file}");
        let ro = io_advice(&Error::from_raw_os_error(30));
        assert!(ro.contains("read-only"), "{ro}");
        let utf8 = io_advice(&Error::new(
            ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ));
        assert!(utf8.contains("UTF-8"), "{utf8}");
        let other = io_advice(&Error::from_raw_os_error(5));
        assert!(!other.contains("os error"), "{other}");
    }

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(counted(0, "file", "files"), "0 files");
        assert_eq!(counted(1, "file", "files"), "1 file");
        assert_eq!(counted(2, "MX record", "MX records"), "2 MX records");
    }
}
