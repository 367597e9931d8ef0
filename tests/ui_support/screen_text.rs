//! The text of a ratatui TestBackend screen, for ui_loop and ui_panes. Included with
//! `#[path = "ui_support/screen_text.rs"] mod screen_text;`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub(crate) fn screen(t: &Terminal<TestBackend>) -> String {
    format!("{}", t.backend())
}

/// The text of the screen, row by row, trailing blanks cut.
pub(crate) fn rows(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            let mut s = String::new();
            for x in 0..area.width {
                s.push_str(buf[(x, y)].symbol());
            }
            s.trim_end().to_string()
        })
        .collect()
}
