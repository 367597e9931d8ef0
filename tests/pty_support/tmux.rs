//! A private tmux server used as the terminal and screen model (`capture-pane` gives the screen
//! as a person sees it; the raw byte stream of a ratatui app never holds a multi-word string
//! contiguously), for proc_tui_signals, tui_pty and tui_quit. Included with
//! `#[path = "pty_support/tmux.rs"] mod tmux;` next to `mod pty_support;`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::pty_support::{Project, alive, env_removals};

/// The terminal every TUI test uses.
pub(crate) const COLS: u16 = 100;
pub(crate) const ROWS: u16 = 30;

/// A name no other test (or run) uses.
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl Project {
    /// A scratch folder beside the project (tmux configuration and the like).
    pub(crate) fn work(&self) -> PathBuf {
        self.dir()
            .parent()
            .expect("the project's temporary folder")
            .to_path_buf()
    }
}

/// A private tmux server (its own socket, no user configuration) with one session: the
/// terminal the wizard runs in. Dropping it kills the server.
pub(crate) struct Tmux {
    /// The server's socket, in the test's own folder (`tmux -S`).
    socket: PathBuf,
    conf: PathBuf,
    /// Where the shell in the pane writes the program's exit status (tmux's own
    /// `pane_dead_status` is sometimes never filled in).
    status_file: PathBuf,
    env: Vec<(String, String)>,
    pub killed: bool,
}

/// The session's name.
pub(crate) const SESSION: &str = "siteup";

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Tmux {
    /// Starts a detached `COLS`x`ROWS` session whose shell runs `program args` in the
    /// foreground, as a terminal with a shell would, then records its exit status. The pane
    /// stays after the program exits, so its last screen can be read.
    pub(crate) fn start(
        work: &Path,
        env: &[(String, String)],
        program: &Path,
        args: &[&str],
    ) -> Self {
        let name = unique("tmux");
        let socket = work.join(format!("{name}.sock"));
        let conf = work.join(format!("{name}.conf"));
        let status_file = work.join(format!("{name}.status"));
        std::fs::write(
            &conf,
            "set -g remain-on-exit on\nset -g history-limit 2000\nset -g status off\nset -g default-shell /bin/sh\n",
        )
        .expect("write the tmux configuration");
        let t = Self {
            socket,
            conf,
            status_file: status_file.clone(),
            env: env.to_vec(),
            killed: false,
        };
        let mut command = quote(&program.display().to_string());
        for a in args {
            command.push(' ');
            command.push_str(&quote(a));
        }
        command.push_str(&format!(
            "; echo $? > {}",
            quote(&status_file.display().to_string())
        ));
        let mut new = vec![
            "new-session".to_string(),
            "-d".into(),
            "-s".into(),
            SESSION.into(),
            "-x".into(),
            COLS.to_string(),
            "-y".into(),
            ROWS.to_string(),
        ];
        for (k, v) in env {
            new.push("-e".into());
            new.push(format!("{k}={v}"));
        }
        new.push(command);
        let out = t.tmux(&new.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> Output {
        let mut c = Command::new("tmux");
        c.arg("-u")
            .arg("-S")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.conf)
            .args(args)
            .stdin(Stdio::null());
        for k in env_removals() {
            c.env_remove(k);
        }
        c.envs(self.env.iter().cloned());
        c.output().expect("run tmux")
    }

    /// The screen as text, one line per row.
    pub(crate) fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn format(&self, f: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", SESSION, f]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The process id of the program the pane's shell runs (waits for the shell to start it).
    pub(crate) fn program_pid(&self) -> u32 {
        let text = self.format("#{pane_pid}");
        let shell: u32 = text
            .parse()
            .unwrap_or_else(|_| panic!("tmux gave no pane pid: {text:?}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(pid) = child_of(shell) {
                return pid;
            }
            if Instant::now() > deadline {
                panic!("the shell in the terminal (PID {shell}) did not start the program");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The program's exit status once it has exited; `None` while it runs (or when it was
    /// killed with the terminal).
    pub(crate) fn exit_status(&self) -> Option<i32> {
        let text = std::fs::read_to_string(&self.status_file).ok()?;
        text.trim().parse().ok()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        if !self.killed {
            let _ = self.tmux(&["kill-server"]);
        }
        let _ = std::fs::remove_file(&self.conf);
        let _ = std::fs::remove_file(&self.status_file);
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// A live child process of `parent`, if any.
fn child_of(parent: u32) -> Option<u32> {
    let entries = std::fs::read_dir("/proc").ok()?;
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) && alive(pid) {
            return Some(pid);
        }
    }
    None
}
