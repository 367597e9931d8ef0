//! A small multi-line text editor for the SES request text: insert, delete, move, soft-wrapped
//! display. tui-input covers single lines; this covers the one multi-line field.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEditor {
    lines: Vec<Vec<char>>,
    row: usize,
    col: usize,
}

impl TextEditor {
    pub fn new(text: &str) -> Self {
        let mut lines: Vec<Vec<char>> = text.split('\n').map(|l| l.chars().collect()).collect();
        if lines.is_empty() {
            lines.push(Vec::new());
        }
        Self {
            lines,
            row: 0,
            col: 0,
        }
    }

    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn line_len(&self) -> usize {
        self.lines.get(self.row).map_or(0, Vec::len)
    }

    /// Applies a key; returns whether the text or the cursor changed.
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char(c) if !ctrl => {
                if let Some(line) = self.lines.get_mut(self.row) {
                    let at = self.col.min(line.len());
                    line.insert(at, c);
                    self.col = at + 1;
                }
            }
            KeyCode::Enter => {
                let rest = match self.lines.get_mut(self.row) {
                    Some(line) => line.split_off(self.col.min(line.len())),
                    None => Vec::new(),
                };
                self.row += 1;
                self.lines.insert(self.row.min(self.lines.len()), rest);
                self.col = 0;
            }
            KeyCode::Backspace => {
                if self.col > 0 {
                    if let Some(line) = self.lines.get_mut(self.row) {
                        let at = self.col.min(line.len());
                        if at > 0 {
                            line.remove(at - 1);
                        }
                        self.col = at.saturating_sub(1);
                    }
                } else if self.row > 0 {
                    let line = self.lines.remove(self.row);
                    self.row -= 1;
                    self.col = self.line_len();
                    if let Some(prev) = self.lines.get_mut(self.row) {
                        prev.extend(line);
                    }
                }
            }
            KeyCode::Delete => {
                let len = self.line_len();
                if self.col < len {
                    if let Some(line) = self.lines.get_mut(self.row) {
                        line.remove(self.col);
                    }
                } else if self.row + 1 < self.lines.len() {
                    let next = self.lines.remove(self.row + 1);
                    if let Some(line) = self.lines.get_mut(self.row) {
                        line.extend(next);
                    }
                }
            }
            KeyCode::Left => {
                if self.col > 0 {
                    self.col -= 1;
                } else if self.row > 0 {
                    self.row -= 1;
                    self.col = self.line_len();
                }
            }
            KeyCode::Right => {
                if self.col < self.line_len() {
                    self.col += 1;
                } else if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = 0;
                }
            }
            KeyCode::Up => {
                self.row = self.row.saturating_sub(1);
                self.col = self.col.min(self.line_len());
            }
            KeyCode::Down => {
                if self.row + 1 < self.lines.len() {
                    self.row += 1;
                }
                self.col = self.col.min(self.line_len());
            }
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.line_len(),
            _ => return false,
        }
        true
    }

    /// The text cut into rows of at most `width` characters (at spaces when possible), and the
    /// cursor's (row, column) in them.
    pub fn layout(&self, width: usize) -> (Vec<String>, (usize, usize)) {
        let width = width.max(1);
        let mut rows = Vec::new();
        let mut cursor = (0, 0);
        for (i, line) in self.lines.iter().enumerate() {
            // Row boundaries: [start, end) ranges over the line's characters.
            let mut ranges = Vec::new();
            let mut start = 0;
            while line.len() - start > width {
                let window = &line[start..start + width];
                let end = match window.iter().rposition(|c| *c == ' ') {
                    Some(p) if p > 0 => start + p + 1,
                    _ => start + width,
                };
                ranges.push((start, end));
                start = end;
            }
            ranges.push((start, line.len()));
            let first = rows.len();
            for (a, b) in &ranges {
                rows.push(line[*a..*b].iter().collect::<String>());
            }
            if i == self.row {
                let c = self.col.min(line.len());
                let k = ranges
                    .iter()
                    .position(|(a, b)| c >= *a && c < *b)
                    .unwrap_or(ranges.len() - 1);
                let (a, _) = ranges[k];
                let col = c - a;
                if col >= width {
                    // At the end of a full row: the cursor starts a fresh one.
                    rows.insert(first + k + 1, String::new());
                    cursor = (first + k + 1, 0);
                } else {
                    cursor = (first + k, col);
                }
            }
        }
        (rows, cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_joining_and_splitting() {
        let mut e = TextEditor::new("ab\ncd");
        e.handle(&key(KeyCode::End));
        e.handle(&key(KeyCode::Char('x')));
        assert_eq!(e.text(), "abx\ncd");
        e.handle(&key(KeyCode::Delete));
        assert_eq!(e.text(), "abxcd");
        e.handle(&key(KeyCode::Enter));
        assert_eq!(e.text(), "abx\ncd");
        e.handle(&key(KeyCode::Backspace));
        assert_eq!(e.text(), "abxcd");
        let (rows, cursor) = e.layout(2);
        assert_eq!(rows, vec!["ab", "xc", "d"]);
        assert_eq!(cursor, (1, 1));
        let e = TextEditor::new("one two three");
        let (rows, cursor) = e.layout(8);
        assert_eq!(rows, vec!["one two ", "three"]);
        assert_eq!(cursor, (0, 0));
    }
}
