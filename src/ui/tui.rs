//! Owning the terminal: raw mode, the alternate screen and bracketed paste on the way in, all
//! of it undone on every way out: normal exit and errors (`Drop`), panics (a hook that restores
//! first, then reports), SIGTERM/SIGHUP (the loop quits and drops this), and Ctrl-Z (suspend
//! restores, stops the process, and takes the terminal again on `fg`).

use std::io::{self, Stdout, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether this process has the terminal in raw mode on the alternate screen.
static OWNED: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

pub(crate) type Backend = CrosstermBackend<Stdout>;

/// The terminal, owned for as long as this value lives.
pub(crate) struct Tui {
    terminal: Terminal<Backend>,
}

impl Tui {
    /// Takes the terminal: raw mode, alternate screen, bracketed paste.
    pub(crate) fn enter() -> io::Result<Self> {
        install_panic_hook();
        take()?;
        match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(mut terminal) => {
                let _ = terminal.clear();
                Ok(Self { terminal })
            }
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub(crate) fn terminal(&mut self) -> &mut Terminal<Backend> {
        &mut self.terminal
    }

    /// Ctrl-Z: gives the terminal back, stops the process, and takes the terminal again when
    /// the shell resumes it.
    pub(crate) fn suspend(terminal: &mut Terminal<Backend>) -> io::Result<()> {
        restore();
        #[cfg(unix)]
        {
            nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP)
                .map_err(|e| io::Error::other(e.to_string()))?;
        }
        take()?;
        terminal.clear()
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        restore();
    }
}

fn take() -> io::Result<()> {
    enable_raw_mode()?;
    OWNED.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    if let Err(e) = execute!(out, EnterAlternateScreen, EnableBracketedPaste, Hide) {
        restore();
        return Err(e);
    }
    Ok(())
}

/// Gives the terminal back (cooked mode, main screen, cursor shown) if this process has it.
/// Safe to call any number of times, from any path, including the panic hook.
pub(crate) fn restore() {
    if OWNED.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(out, DisableBracketedPaste, LeaveAlternateScreen, Show);
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// A panic restores the terminal before the report is printed, so the report is readable and
/// the shell usable.
pub(crate) fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}
