//! Copying text to the clipboard: OSC 52 (works over SSH), the OS clipboard as a fallback.
//!
//! OSC 52 is an escape sequence the terminal turns into a clipboard write; it travels over SSH
//! and, wrapped for passthrough, through tmux. Whether the terminal honours it cannot be known
//! (some local terminals ignore it), so when a clipboard tool (wl-copy, xclip, xsel, pbcopy) is
//! usable it is run as well. The outcome says what was done, for a message like
//! "copied (OSC 52)".

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// How long a clipboard tool may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(2);

/// The nameservers as text to paste at a registrar, one per line (no final newline),
/// lowercase, with or without trailing dots.
pub(crate) fn nameservers_text(nameservers: &[String], trailing_dots: bool) -> String {
    crate::dns::nameserver_lines(nameservers, trailing_dots)
        .trim_end_matches('\n')
        .to_string()
}

/// How the OSC 52 sequence is wrapped for a terminal multiplexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Passthrough {
    None,
    /// tmux DCS passthrough (`ESC P tmux; ... ESC \`, inner ESC doubled).
    Tmux,
    /// GNU screen DCS passthrough.
    Screen,
}

/// The OSC 52 sequence that puts `text` on the clipboard.
pub(crate) fn osc52_sequence(text: &str, passthrough: Passthrough) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let plain = format!("\x1b]52;c;{encoded}\x07");
    match passthrough {
        Passthrough::None => plain,
        Passthrough::Tmux => format!("\x1bPtmux;{}\x1b\\", plain.replace('\x1b', "\x1b\x1b")),
        Passthrough::Screen => format!("\x1bP{plain}\x1b\\"),
    }
}

/// One way the text was copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub(crate) enum CopyMethod {
    /// The OSC 52 sequence was written to the terminal.
    Osc52 { passthrough: Passthrough },
    /// A clipboard tool took the text.
    Tool { name: String },
}

/// What [`copy`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct CopyOutcome {
    pub methods: Vec<CopyMethod>,
    /// Why a tool that was tried did not work.
    pub problems: Vec<String>,
}

impl CopyOutcome {
    /// One phrase for the UI: "copied (OSC 52)", "copied (OSC 52 and wl-copy)", or a sentence
    /// saying why nothing was copied and what to do.
    pub(crate) fn describe(&self) -> String {
        if self.methods.is_empty() {
            let mut text = "not copied: there is no terminal to send OSC 52 to and no clipboard tool (wl-copy, xclip, xsel or pbcopy) worked".to_string();
            if !self.problems.is_empty() {
                text.push_str(&format!(" ({})", self.problems.join("; ")));
            }
            text.push_str(", so select the names and copy them by hand.");
            return text;
        }
        let names: Vec<String> = self
            .methods
            .iter()
            .map(|m| match m {
                CopyMethod::Osc52 { .. } => "OSC 52".to_string(),
                CopyMethod::Tool { name } => name.clone(),
            })
            .collect();
        format!("copied ({})", names.join(" and "))
    }
}

/// What the clipboard code needs to know about its surroundings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ClipboardEnv {
    /// Inside tmux (`$TMUX`).
    pub tmux: bool,
    /// Inside GNU screen (`$STY`, or TERM starting with "screen" outside tmux).
    pub screen: bool,
    /// Where to look for tools (`$PATH`).
    pub path: Option<OsString>,
    /// A Wayland session (`$WAYLAND_DISPLAY`).
    pub wayland: bool,
    /// An X11 display (`$DISPLAY`).
    pub x11: bool,
    /// macOS (pbcopy).
    pub macos: bool,
}

impl ClipboardEnv {
    /// Reads the process environment.
    pub(crate) fn from_env() -> Self {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let tmux = set("TMUX");
        let term = std::env::var("TERM").unwrap_or_default();
        Self {
            tmux,
            screen: !tmux && (set("STY") || term.starts_with("screen")),
            path: std::env::var_os("PATH"),
            wayland: set("WAYLAND_DISPLAY"),
            x11: set("DISPLAY"),
            macos: cfg!(target_os = "macos"),
        }
    }

    /// The clipboard tools worth trying here, in order: (program, arguments).
    fn tools(&self) -> Vec<(&'static str, &'static [&'static str])> {
        let mut tools: Vec<(&'static str, &'static [&'static str])> = Vec::new();
        if self.macos {
            tools.push(("pbcopy", &[]));
        }
        if self.wayland {
            tools.push(("wl-copy", &[]));
        }
        if self.x11 {
            tools.push(("xclip", &["-selection", "clipboard"]));
            tools.push(("xsel", &["--clipboard", "--input"]));
        }
        tools
    }

    fn find(&self, program: &str) -> Option<PathBuf> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        which::which_in(program, self.path.as_ref(), cwd).ok()
    }
}

/// Copies `text`: OSC 52 to the terminal (stdout when it is one, else `/dev/tty`), and the
/// first clipboard tool that works.
pub(crate) fn copy(text: &str) -> CopyOutcome {
    let env = ClipboardEnv::from_env();
    let stdout = std::io::stdout();
    if stdout.is_terminal() {
        let mut lock = stdout.lock();
        return copy_with(text, &env, Some(&mut lock));
    }
    match std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        Ok(mut tty) => copy_with(text, &env, Some(&mut tty)),
        Err(_) => copy_with(text, &env, None),
    }
}

/// Like [`copy`], with the surroundings and the terminal given.
pub(crate) fn copy_with(
    text: &str,
    env: &ClipboardEnv,
    terminal: Option<&mut dyn Write>,
) -> CopyOutcome {
    let mut outcome = CopyOutcome::default();
    if let Some(term) = terminal {
        let passthrough = if env.tmux {
            Passthrough::Tmux
        } else if env.screen {
            Passthrough::Screen
        } else {
            Passthrough::None
        };
        // In tmux, send the plain sequence too: tmux with `set-clipboard on` takes that one,
        // tmux with `allow-passthrough on` forwards the wrapped one.
        let mut bytes = String::new();
        if passthrough == Passthrough::Tmux {
            bytes.push_str(&osc52_sequence(text, Passthrough::None));
        }
        bytes.push_str(&osc52_sequence(text, passthrough));
        match term.write_all(bytes.as_bytes()).and_then(|()| term.flush()) {
            Ok(()) => outcome.methods.push(CopyMethod::Osc52 { passthrough }),
            Err(e) => outcome
                .problems
                .push(format!("the terminal could not be written to ({e})")),
        }
    }
    for (program, args) in env.tools() {
        let Some(path) = env.find(program) else {
            continue;
        };
        match run_tool(&path, args, text) {
            Ok(()) => {
                outcome.methods.push(CopyMethod::Tool {
                    name: program.to_string(),
                });
                break;
            }
            Err(problem) => outcome.problems.push(format!("{program} {problem}")),
        }
    }
    outcome
}

fn run_tool(path: &PathBuf, args: &[&str], text: &str) -> Result<(), String> {
    let mut child = Command::new(path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start ({e})"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("did not take the text ({e})"))?;
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("failed ({status})")),
            Ok(None) if started.elapsed() > TOOL_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("did not finish within 2 s".to_string());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("could not be waited for ({e})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_and_without_trailing_dots() {
        let ns = vec![
            "NS-1.awsdns-01.org.".to_string(),
            "ns-2.awsdns-02.com".to_string(),
        ];
        assert_eq!(
            nameservers_text(&ns, false),
            "ns-1.awsdns-01.org\nns-2.awsdns-02.com"
        );
        assert_eq!(
            nameservers_text(&ns, true),
            "ns-1.awsdns-01.org.\nns-2.awsdns-02.com."
        );
    }

    #[test]
    fn osc52_plain_and_wrapped() {
        assert_eq!(
            osc52_sequence("hi", Passthrough::None),
            "\x1b]52;c;aGk=\x07"
        );
        assert_eq!(
            osc52_sequence("hi", Passthrough::Tmux),
            "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"
        );
        assert_eq!(
            osc52_sequence("hi", Passthrough::Screen),
            "\x1bP\x1b]52;c;aGk=\x07\x1b\\"
        );
    }

    #[test]
    fn tmux_gets_plain_and_passthrough_sequences() {
        let env = ClipboardEnv {
            tmux: true,
            path: Some(OsString::new()),
            ..Default::default()
        };
        let mut term = Vec::new();
        let outcome = copy_with("ns1.example.", &env, Some(&mut term));
        assert_eq!(
            outcome.methods,
            vec![CopyMethod::Osc52 {
                passthrough: Passthrough::Tmux
            }]
        );
        assert_eq!(outcome.describe(), "copied (OSC 52)");
        let written = String::from_utf8(term).expect("utf8");
        assert!(written.starts_with(&osc52_sequence("ns1.example.", Passthrough::None)));
        assert!(written.ends_with(&osc52_sequence("ns1.example.", Passthrough::Tmux)));
    }

    #[cfg(unix)]
    #[test]
    fn os_tool_is_used_when_present() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("clipboard.txt");
        let tool = dir.path().join("xclip");
        std::fs::write(&tool, format!("#!/bin/sh\ncat > '{}'\n", out.display()))
            .expect("write tool");
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let env = ClipboardEnv {
            x11: true,
            path: Some(dir.path().as_os_str().to_owned()),
            ..Default::default()
        };
        let outcome = copy_with("a\nb", &env, None);
        assert_eq!(
            outcome.methods,
            vec![CopyMethod::Tool {
                name: "xclip".to_string()
            }]
        );
        assert_eq!(outcome.describe(), "copied (xclip)");
        assert_eq!(std::fs::read_to_string(&out).expect("read"), "a\nb");
    }

    #[test]
    fn nothing_to_copy_with_says_what_to_do() {
        let env = ClipboardEnv {
            x11: true,
            path: Some(OsString::new()),
            ..Default::default()
        };
        let outcome = copy_with("x", &env, None);
        assert!(outcome.methods.is_empty());
        let text = outcome.describe();
        assert!(text.starts_with("not copied"), "{text}");
        assert!(text.ends_with("copy them by hand."), "{text}");
    }
}
