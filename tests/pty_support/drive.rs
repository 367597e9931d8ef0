//! Driving the TUI in its terminal: keys, and waiting for a screen (failing on a failed step or
//! an early exit), for tui_pty and tui_quit. Included with
//! `#[path = "pty_support/drive.rs"] mod drive;` next to `tmux`.

use std::time::{Duration, Instant};

use crate::tmux::{SESSION, Tmux};

/// How often the screen is read while waiting.
pub(crate) const POLL: Duration = Duration::from_millis(500);

impl Tmux {
    /// Sends keys (tmux key names: "y", "Tab", "BTab", "Escape", "Enter").
    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(
            out.status.success(),
            "tmux send-keys {keys:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Reads the screen every [`POLL`] until `done` holds, and returns that screen. Fails with
    /// the last screen (and `context`) when the time is up, a step's pane says it failed, or the
    /// program exits.
    pub(crate) fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        context: &dyn Fn() -> String,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                eprintln!("[{:>5.1}s] {what}", start.elapsed().as_secs_f64());
                return screen;
            }
            if pane_title(&screen).is_some_and(|t| t.ends_with("· failed")) {
                panic!(
                    "a step failed while waiting for {what}; the screen:\n{screen}\n{}",
                    context()
                );
            }
            if let Some(code) = self.exit_status() {
                let screen = self.screen();
                if done(&screen) {
                    return screen;
                }
                panic!(
                    "siteup exited (status {code}) while waiting for {what}; last screen:\n{screen}\n{}",
                    context()
                );
            }
            if start.elapsed() > timeout {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; last screen:\n{screen}\n{}",
                    context()
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

/// The pane's title (`Nameservers at registrar · waiting on you`), from the top border.
pub(crate) fn pane_title(screen: &str) -> Option<String> {
    screen.lines().find_map(|l| {
        let (_, rest) = l.split_once('╭')?;
        let title = rest.trim_matches(|c: char| c == '─' || c == '╮' || c.is_whitespace());
        Some(title.to_string())
    })
}
