//! The log: `.siteup/siteup.log` in the project, never the screen (the wizard owns the
//! terminal). `SITEUP_LOG` sets the level (`debug`, `info`, ... default `info`). Nothing that
//! could hold a credential is ever logged.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{FilterExt, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::GlobalArgs;
use crate::project::ProjectPaths;

/// Sets up logging into the project's `.siteup/siteup.log`; returns false when the file cannot
/// be opened (siteup then runs without a log rather than failing).
///
/// A command that only reads (`creates_project` false) creates nothing: it logs into the log a
/// journey already made, else nowhere (no `.siteup/`, no `siteup.log`, a mistyped --dir stays
/// absent). The others create the folder and the log, so their first run is logged too.
pub fn init(global: &GlobalArgs, creates_project: bool) -> bool {
    let paths = ProjectPaths::new(&global.dir);
    if creates_project && crate::project::create_state_dir(&paths.state_dir()).is_err() {
        return false;
    }
    let Ok(file) = OpenOptions::new()
        .create(creates_project)
        .append(true)
        .open(paths.log_file())
    else {
        return false;
    };
    let filter = EnvFilter::try_from_env("SITEUP_LOG").unwrap_or_else(|_| {
        EnvFilter::new("info,aws_smithy_runtime=warn,aws_config=warn,hyper=warn")
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_target(false)
        .with_writer(KeyIdMasking(Mutex::new(file)))
        .with_filter(filter.and(filter_fn(|meta| {
            !holds_secrets(meta.target(), *meta.level())
        })));
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .is_ok()
}

/// The log file, with every AWS access key id masked in what is written (the SDK prints
/// credentials with their key id in debug events: endpoint parameters, identities).
struct KeyIdMasking(Mutex<File>);

impl<'a> MakeWriter<'a> for KeyIdMasking {
    type Writer = MaskingGuard<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskingGuard(self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

struct MaskingGuard<'a>(MutexGuard<'a, File>);

impl Write for MaskingGuard<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The formatter writes each event whole, so a key id is never split across calls.
        self.0.write_all(&mask_key_ids(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Replaces every AWS access key id (a four-letter `A...` prefix such as AKIA or ASIA, then 16
/// upper-case letters or digits) with its prefix and last two characters.
fn mask_key_ids(text: &[u8]) -> Vec<u8> {
    const PREFIXES: &[&[u8]] = &[
        b"AKIA", b"ASIA", b"AIDA", b"AROA", b"AGPA", b"AIPA", b"ANPA", b"ANVA", b"APKA", b"ABIA",
        b"ACCA",
    ];
    const LEN: usize = 20;
    let id_char = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let starts_word = i == 0 || !id_char(text[i - 1]);
        let is_key = starts_word
            && text.len() - i >= LEN
            && PREFIXES.iter().any(|p| text[i..].starts_with(p))
            && text[i + 4..i + LEN].iter().all(|&c| id_char(c))
            && text.get(i + LEN).is_none_or(|&c| !id_char(c));
        if is_key {
            out.extend_from_slice(&text[i..i + 4]);
            out.extend_from_slice("…".as_bytes());
            out.extend_from_slice(&text[i + LEN - 2..i + LEN]);
            i += LEN;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

/// Whether an SDK event can carry a credential. The profile provider logs the access key id at
/// info (`loaded base credentials`) and a failed credential_process's stderr at warn; the process
/// provider logs its unredacted command at trace; at trace the SDK also logs signed requests and
/// signing parameters (the key id). siteup logs what it needs itself (`aws::connect`), without
/// the secrets.
fn holds_secrets(target: &str, level: Level) -> bool {
    if level == Level::TRACE && target.starts_with("aws_") {
        return true;
    }
    const SECRET_TARGETS: &[&str] = &[
        "aws_config::profile::credentials",
        "aws_config::credential_process",
    ];
    SECRET_TARGETS.iter().any(|t| {
        target == *t
            || target
                .strip_prefix(t)
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

#[cfg(test)]
mod tests {
    use super::{holds_secrets, mask_key_ids};
    use tracing::Level;

    #[test]
    fn key_ids_are_masked_wherever_they_appear() {
        let masked = |s: &str| String::from_utf8(mask_key_ids(s.as_bytes())).expect("utf-8");
        assert_eq!(
            masked(r#"Credentials { access_key_id: "AKIAIOSFODNN7EXAMPLE", x }"#),
            r#"Credentials { access_key_id: "AKIA…LE", x }"#
        );
        assert_eq!(masked("key=ASIAREFRESH000000001\n"), "key=ASIA…01\n");
        // Not a key id: too short, too long, or inside a longer word.
        for text in [
            "AKIASHORT",
            "AKIAIOSFODNN7EXAMPLEX",
            "XAKIAIOSFODNN7EXAMPLE",
            "plain text é",
        ] {
            assert_eq!(masked(text), text);
        }
    }

    #[test]
    fn the_sdk_credential_modules_are_kept_out() {
        let kept_out = |target| holds_secrets(target, Level::INFO);
        assert!(kept_out("aws_config::profile::credentials"));
        assert!(kept_out("aws_config::profile::credentials::exec"));
        assert!(kept_out("aws_config::credential_process"));
        assert!(!kept_out("aws_config::profile::credentials_extra"));
        assert!(!kept_out("aws_smithy_runtime::client::orchestrator"));
        assert!(!kept_out("siteup::aws::connect"));
        // Signed requests and signing parameters, logged by the SDK at trace.
        assert!(holds_secrets("aws_sigv4::http_request::sign", Level::TRACE));
        assert!(!holds_secrets(
            "aws_sigv4::http_request::sign",
            Level::DEBUG
        ));
        assert!(!holds_secrets("siteup::aws::connect", Level::TRACE));
    }
}
