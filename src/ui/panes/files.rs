//! The generated Terraform files: what generation did to each, and the diff when regenerating.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::{failure, paragraph, scrolled, status_line};
use crate::ui::state::UiState;
use crate::ui::text::truncate;
use crate::ui::theme::Theme;
use crate::wizard::state::FileChangeKind;
use crate::wizard::{Journey, Status, StepId};

fn change_style(t: &Theme, change: FileChangeKind) -> ratatui::style::Style {
    match change {
        FileChangeKind::Created => t.ok(),
        FileChangeKind::Updated => t.info(),
        FileChangeKind::Removed => t.bad(),
        FileChangeKind::Kept => t.warn(),
        FileChangeKind::Unchanged | FileChangeKind::Overwritten => t.dim(),
    }
}

/// A diff line's style: additions, deletions, hunk headers.
pub(crate) fn diff_line(t: &Theme, l: &str) -> Line<'static> {
    let style = if l.starts_with("+++") || l.starts_with("---") {
        t.bold()
    } else if l.starts_with('+') {
        t.diff_add()
    } else if l.starts_with('-') {
        t.diff_del()
    } else if l.starts_with("@@") {
        t.info()
    } else {
        t.normal()
    };
    Line::from(Span::styled(l.to_string(), style))
}

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let status = j.status(StepId::Generate);
    let files = &j.facts.files;
    let mut head: Vec<Line<'static>> = vec![status_line(j, ui, StepId::Generate)];
    if status == Status::Running {
        head.push(Line::from(format!(
            "Writing the Terraform files into terraform/{}",
            g.ellipsis()
        )));
    }
    head.extend(failure(j, ui, StepId::Generate));
    if files.is_empty() {
        if status == Status::Done {
            head.push(Line::from(
                "The Terraform files in terraform/ are up to date.",
            ));
        } else if status == Status::NotYet {
            head.push(Line::from(
                "siteup writes the Terraform files once the site answers are in. They are yours: edit them freely; siteup shows a diff before it changes one and never overwrites your edits silently.",
            ));
        }
        paragraph(frame, area, head);
        return;
    }
    let count = |c: FileChangeKind| files.iter().filter(|f| f.change == c).count();
    let mut counts = Vec::new();
    for c in FileChangeKind::ALL {
        let n = count(c);
        if n > 0 {
            counts.push(format!("{n} {}", c.label()));
        }
    }
    head.push(Line::from(format!("terraform/: {}", counts.join(", "))));
    if count(FileChangeKind::Kept) > 0 {
        head.push(Line::from(Span::styled(
            "Files you edited were kept as they are; their diff shows what siteup would write.",
            t.warn(),
        )));
    }
    let head_rows = super::rows(&head, area.width) as u16;
    let list_rows = (files.len() as u16)
        .min(area.height.saturating_sub(head_rows) / 2)
        .max(1);
    let [top, list, rest] = Layout::vertical([
        Constraint::Length(head_rows),
        Constraint::Length(list_rows),
        Constraint::Min(0),
    ])
    .areas(area);
    paragraph(frame, top, head);
    let cursor = ui.files_cursor.min(files.len().saturating_sub(1));
    let start = cursor.saturating_sub(list_rows.saturating_sub(1) as usize);
    let width = list.width as usize;
    let rows: Vec<Line<'static>> = files
        .iter()
        .enumerate()
        .skip(start)
        .take(list_rows as usize)
        .map(|(i, f)| {
            let selected = i == cursor;
            Line::from(vec![
                Span::styled(if selected { g.pointer() } else { " " }, t.key()),
                Span::raw(" "),
                Span::styled(
                    format!("{:<10}", f.change.label()),
                    change_style(t, f.change),
                ),
                Span::styled(
                    truncate(&f.path, width.saturating_sub(13), g.ellipsis()),
                    if selected { t.selected() } else { t.normal() },
                ),
            ])
        })
        .collect();
    paragraph(frame, list, rows);
    if rest.height < 2 {
        return;
    }
    let Some(file) = files.get(cursor) else {
        return;
    };
    let mut body = vec![Line::from(Span::styled(
        format!("{} {} {}", g.hline(), file.path, g.hline().repeat(3)),
        t.dim(),
    ))];
    match &file.diff {
        Some(diff) => body.extend(diff.lines().map(|l| diff_line(t, l))),
        None => body.push(Line::from(Span::styled(
            match file.change {
                FileChangeKind::Created => "New file.",
                FileChangeKind::Unchanged => "No change.",
                FileChangeKind::Removed => "Removed: the answers no longer need it.",
                _ => "No diff to show.",
            },
            t.dim(),
        ))),
    }
    scrolled(frame, rest, body, ui.scroll);
}
