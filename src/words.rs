//! Small helpers for the sentences siteup prints.

/// `n` followed by the singular or plural noun: "1 file", "3 files".
pub fn counted(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
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

#[cfg(test)]
mod tests {
    use super::{counted, io_advice, printable, printable_line, shell_quote};
    use std::io::{Error, ErrorKind};

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
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
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
        assert!(!nasty.chars().any(|c| c.is_control()));
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
