//! Harness for the tests that run the real `siteup` binary against the sandbox: the
//! prerequisites (failing with a sentence naming what is missing), a project folder whose guard
//! stops the sandbox and every siteup it started, and a private tmux server used as the
//! terminal and screen model (`capture-pane` gives the screen as a person sees it; the raw byte
//! stream of a ratatui app never holds a multi-word string contiguously).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The terminal every TUI test uses.
pub const COLS: u16 = 100;
pub const ROWS: u16 = 30;

/// How often the screen is read while waiting.
pub const POLL: Duration = Duration::from_millis(500);

/// The siteup binary under test.
pub fn siteup_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_siteup"))
}

/// The environment every process of these tests gets: no instance metadata, a UTF-8 locale,
/// and a private cache for learned durations.
pub fn child_env(cache: &Path) -> Vec<(String, String)> {
    vec![
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("LC_ALL".into(), "C.UTF-8".into()),
        ("SITEUP_CACHE_DIR".into(), cache.display().to_string()),
    ]
}

/// Variables removed from every child besides the caller's `AWS_*` ones: an enclosing tmux,
/// and NO_COLOR.
const ENV_REMOVE: &[&str] = &["TMUX", "TMUX_PANE", "NO_COLOR"];

/// What every child must not inherit: the caller's AWS settings and [`ENV_REMOVE`].
fn env_removals() -> Vec<std::ffi::OsString> {
    let mut keys = siteup::aws::env::inherited_aws_variables();
    keys.extend(ENV_REMOVE.iter().map(std::ffi::OsString::from));
    keys
}

/// Fails the test, with a sentence naming it, when something the sandbox journey needs is
/// missing (tmux too, with `need_tmux`). Never skips.
pub fn require_prerequisites(need_tmux: bool) {
    if need_tmux {
        assert!(
            which::which("tmux").is_ok(),
            "the sandbox journey cannot run: tmux is not on PATH (install the Debian package tmux)"
        );
    }
    crate::sandbox::require_sandbox();
}

/// A name no other test (or run) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A project folder for one journey. Dropping it kills every siteup process recorded with
/// [`Project::track`] that is still alive and runs `siteup sandbox --stop`, so neither the
/// wizard nor the emulator nor the sandbox DNS survives a failed test.
pub struct Project {
    tmp: tempfile::TempDir,
    pids: Vec<u32>,
}

impl Project {
    pub fn new() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("siteup-pty-")
            .tempdir()
            .expect("a temporary folder for the project");
        std::fs::create_dir_all(tmp.path().join("project")).expect("project folder");
        std::fs::create_dir_all(tmp.path().join("cache")).expect("cache folder");
        Self { tmp, pids: vec![] }
    }

    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    pub fn cache(&self) -> PathBuf {
        self.tmp.path().join("cache")
    }

    pub fn env(&self) -> Vec<(String, String)> {
        child_env(&self.cache())
    }

    /// Records a siteup process this test started, to kill it if the test fails.
    pub fn track(&mut self, pid: u32) {
        self.pids.push(pid);
    }

    /// A `siteup` command for this project, with the test environment.
    pub fn siteup(&self, args: &[&str]) -> Command {
        let mut c = Command::new(siteup_bin());
        c.args(args).arg("--dir").arg(self.dir());
        for k in env_removals() {
            c.env_remove(k);
        }
        c.envs(self.env());
        c
    }

    /// Runs a siteup command to its end (bounded) and returns its output.
    pub fn run(&mut self, args: &[&str], timeout: Duration) -> Output {
        let mut child = self
            .siteup(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start siteup");
        self.track(child.id());
        let deadline = Instant::now() + timeout;
        loop {
            match child.try_wait().expect("wait for siteup") {
                Some(_) => break,
                None if Instant::now() > deadline => {
                    let _ = child.kill();
                    let out = child.wait_with_output().expect("siteup output");
                    panic!(
                        "`siteup {}` did not finish within {timeout:?}; its output:\n{}\n{}",
                        args.join(" "),
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                None => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        child.wait_with_output().expect("siteup output")
    }

    /// A scratch folder beside the project (tmux configuration and the like).
    pub fn work(&self) -> PathBuf {
        self.tmp.path().to_path_buf()
    }
}

/// The end of a project's log, for failure messages.
pub fn log_tail(project: &Path, lines: usize) -> String {
    let path = project.join(".siteup").join("siteup.log");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    format!(
        "last lines of {}:\n{}",
        path.display(),
        all[start..].join("\n")
    )
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        for pid in &self.pids {
            kill_if_siteup(*pid);
        }
        let _ = self
            .siteup(&["sandbox", "--stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Whether a process is alive (a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    siteup::sandbox::process_alive(pid)
}

/// SIGKILLs `pid` if it is still a live siteup process (never anything else).
fn kill_if_siteup(pid: u32) {
    if !alive(pid) {
        return;
    }
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    let ours = exe
        .as_deref()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n.to_string_lossy().starts_with("siteup"));
    if ours && let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Waits until `pid` has exited; false on timeout.
pub fn wait_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

/// A private tmux server (its own socket, no user configuration) with one session: the
/// terminal the wizard runs in. Dropping it kills the server.
pub struct Tmux {
    /// The server's socket, in the test's own folder (`tmux -S`).
    socket: PathBuf,
    conf: PathBuf,
    /// Where the shell in the pane writes the program's exit status (tmux's own
    /// `pane_dead_status` is sometimes never filled in).
    status_file: PathBuf,
    env: Vec<(String, String)>,
    killed: bool,
}

/// The session's name.
const SESSION: &str = "siteup";

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Tmux {
    /// Starts a detached `COLS`x`ROWS` session whose shell runs `program args` in the
    /// foreground, as a terminal with a shell would, then records its exit status. The pane
    /// stays after the program exits, so its last screen can be read.
    pub fn start(work: &Path, env: &[(String, String)], program: &Path, args: &[&str]) -> Self {
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

    fn tmux(&self, args: &[&str]) -> Output {
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
    pub fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends keys (tmux key names: "y", "Tab", "BTab", "Escape", "Enter").
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(
            out.status.success(),
            "tmux send-keys {keys:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        let out = self.tmux(&["send-keys", "-t", SESSION, "-l", text]);
        assert!(out.status.success(), "tmux send-keys -l failed");
    }

    fn format(&self, f: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", SESSION, f]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The process id of the program the pane's shell runs (waits for the shell to start it).
    pub fn program_pid(&self) -> u32 {
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

    /// Whether the terminal shows the alternate screen (a full-screen program that is running,
    /// or one that exited without restoring the terminal).
    pub fn alternate_screen(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }

    /// The program's exit status once it has exited; `None` while it runs (or when it was
    /// killed with the terminal).
    pub fn exit_status(&self) -> Option<i32> {
        let text = std::fs::read_to_string(&self.status_file).ok()?;
        text.trim().parse().ok()
    }

    /// Kills the server: the terminal goes away and the program gets SIGHUP.
    pub fn kill_server(&mut self) {
        let _ = self.tmux(&["kill-server"]);
        self.killed = true;
    }

    /// Reads the screen every [`POLL`] until `done` holds, and returns that screen. Fails with
    /// the last screen (and `context`) when the time is up, a step's pane says it failed, or the
    /// program exits.
    pub fn wait_for(
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

/// The rows of a screen that belong to the checklist (left of the pane's border).
pub fn checklist_row<'a>(screen: &'a str, title: &str) -> Option<&'a str> {
    screen.lines().find_map(|l| {
        let left = l.split(['│', '╭', '╰']).next().unwrap_or(l);
        left.contains(title).then_some(left.trim_end())
    })
}

/// The wait shown at the end of a checklist row (`<1m`, `3m`, `new`), if any.
pub fn row_wait(row: &str) -> Option<&str> {
    let last = row.split_whitespace().last()?;
    let looks_like_wait = last == "new"
        || last.starts_with('<')
        || last.chars().next().is_some_and(|c| c.is_ascii_digit());
    looks_like_wait.then_some(last)
}

/// The nameservers listed large on the nameserver pane (`   1  ns-…`).
pub fn listed_nameservers(screen: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in screen.lines() {
        let Some(pane) = line.split('│').nth(1) else {
            continue;
        };
        let mut words = pane.split_whitespace();
        if let (Some(n), Some(name), None) = (words.next(), words.next(), words.next())
            && n.parse::<u8>().is_ok()
            && name.starts_with("ns-")
        {
            out.push(name.to_string());
        }
    }
    out
}

/// The pane's title (`Nameservers at registrar · waiting on you`), from the top border.
pub fn pane_title(screen: &str) -> Option<String> {
    screen.lines().find_map(|l| {
        let (_, rest) = l.split_once('╭')?;
        let title = rest.trim_matches(|c: char| c == '─' || c == '╮' || c.is_whitespace());
        Some(title.to_string())
    })
}

/// The bottom line with the keys that work here.
pub fn key_bar(screen: &str) -> String {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string()
}
