//! Colours, modifiers and glyphs, decided once from the terminal's capabilities.
//!
//! Every style the views use comes from [`Theme`], so NO_COLOR (or `--no-color`) turns colour
//! off in one place while keeping the screen readable through modifiers (bold, dim, reversed)
//! and glyphs. [`Glyphs`] has an ASCII variant for terminals whose locale is not UTF-8.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

use crate::wizard::Status;
use crate::wizard::state::RowState;

/// The styles of every kind of text on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn normal(&self) -> Style {
        Style::new()
    }
    pub fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn bad(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn info(&self) -> Style {
        self.fg(Color::Blue)
    }
    /// The four nameservers, the outputs: the things to copy.
    pub fn value(&self) -> Style {
        self.fg(Color::LightYellow).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn diff_add(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn diff_del(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    pub fn status(&self, s: Status) -> Style {
        match s {
            Status::Done => self.ok(),
            Status::Running => self.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Status::WaitingOnYou => self.warn(),
            Status::WaitingOnAws => self.info(),
            Status::Failed => self.bad(),
            Status::NotYet => self.dim(),
        }
    }
    pub fn row(&self, s: RowState) -> Style {
        match s {
            RowState::Done => self.ok(),
            RowState::Running => self.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            RowState::Failed => self.bad(),
            RowState::Pending => self.dim(),
        }
    }
}

/// The characters used for states, borders and decorations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    pub unicode: bool,
}

const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Glyphs {
    pub fn new(unicode: bool) -> Self {
        Self { unicode }
    }

    fn pick(&self, u: &'static str, a: &'static str) -> &'static str {
        if self.unicode { u } else { a }
    }

    pub fn status(&self, s: Status) -> &'static str {
        match s {
            Status::Done => self.pick("✓", "+"),
            Status::Running => self.pick("▸", ">"),
            Status::WaitingOnYou => self.pick("●", "!"),
            Status::WaitingOnAws => self.pick("◌", "~"),
            Status::Failed => self.pick("✗", "x"),
            Status::NotYet => self.pick("·", "-"),
        }
    }
    pub fn row(&self, s: RowState) -> &'static str {
        match s {
            RowState::Done => self.pick("✓", "+"),
            RowState::Running => self.pick("▸", ">"),
            RowState::Failed => self.pick("✗", "x"),
            RowState::Pending => self.pick("·", "-"),
        }
    }
    pub fn border(&self) -> border::Set<'static> {
        if self.unicode {
            border::ROUNDED
        } else {
            ASCII_BORDER
        }
    }
    pub fn hline(&self) -> &'static str {
        self.pick("─", "-")
    }
    pub fn sep(&self) -> &'static str {
        self.pick(" · ", " | ")
    }
    pub fn ellipsis(&self) -> &'static str {
        self.pick("…", "...")
    }
    pub fn bullet(&self) -> &'static str {
        self.pick("•", "*")
    }
    pub fn pointer(&self) -> &'static str {
        self.pick("›", ">")
    }
    pub fn check_on(&self) -> &'static str {
        "[x]"
    }
    pub fn check_off(&self) -> &'static str {
        "[ ]"
    }
    pub fn up_down(&self) -> &'static str {
        self.pick("↑↓", "Up/Down")
    }
    pub fn left_right(&self) -> &'static str {
        self.pick("←→", "Left/Right")
    }
    pub fn warn(&self) -> &'static str {
        self.pick("⚠", "!")
    }
}
