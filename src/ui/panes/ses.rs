//! Leaving the SES sandbox: the production-access request (editable), copy, submit with a
//! confirmation, and the review's status.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use super::{failure, paragraph, report_lines, status_line};
use crate::ui::keys::play_label;
use crate::ui::state::UiState;
use crate::wizard::{Action, Journey, Status, StepId};

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let step = StepId::SesProduction;
    let mut head: Vec<Line<'static>> = vec![
        Line::from(Span::styled(
            "New SES accounts only send to verified addresses; production access lets the site mail anyone.",
            t.dim(),
        )),
        status_line(j, ui, step),
    ];
    head.extend(report_lines(j, ui, step, area.width));
    head.extend(failure(j, ui, step));
    let done = j.status(step) == Status::Done;
    let Some(request) = j.facts.ses_request.as_ref().filter(|_| !done) else {
        if !done && j.ready(step) {
            head.push(Line::default());
            head.push(Line::from(format!(
                "siteup is writing the request from your stack{}",
                g.ellipsis()
            )));
        }
        paragraph(frame, area, head);
        return;
    };
    let mut keys = vec![];
    if ui.ses_editor.is_some() {
        keys.push(Span::styled("Editing: ", t.warn()));
        keys.push(Span::styled("Esc", t.key()));
        keys.push(Span::raw(" keeps the text"));
    } else {
        // The keys the core offers here (copy is always there: it only reads).
        let mut offered = vec![];
        if j.offers(step, Action::EditSesRequest) {
            offered.push(("e", "edit".to_string()));
        }
        offered.push(("c", "copy".to_string()));
        if j.offers(step, Action::SubmitSesRequest) {
            offered.push(("s", "submit".to_string()));
        }
        if j.offers(step, Action::Play) {
            offered.push(("p", play_label(step).to_string()));
        }
        keys.push(Span::raw("The request ("));
        for (i, (k, label)) in offered.into_iter().enumerate() {
            if i > 0 {
                keys.push(Span::raw(", "));
            }
            keys.push(Span::styled(k, t.key()));
            keys.push(Span::raw(format!(" {label}")));
        }
        keys.push(Span::raw("):"));
    }
    head.push(Line::from(keys));
    let head_rows = (super::rows(&head, area.width) as u16).min(area.height.saturating_sub(4));
    let [top, body] =
        Layout::vertical([Constraint::Length(head_rows), Constraint::Min(0)]).areas(area);
    paragraph(frame, top, head);
    if body.height < 3 {
        return;
    }
    let block = Block::default()
        .padding(ratatui::widgets::Padding::horizontal(1))
        .borders(Borders::ALL)
        .border_set(g.border())
        .border_style(if ui.ses_editor.is_some() {
            t.warn()
        } else {
            t.dim()
        });
    let inner = block.inner(body);
    frame.render_widget(block, body);
    match &ui.ses_editor {
        Some(editor) => {
            let (rows, (cy, cx)) = editor.layout(inner.width as usize);
            let height = inner.height as usize;
            let start = cy.saturating_sub(height.saturating_sub(1));
            let lines: Vec<Line<'static>> = rows
                .into_iter()
                .skip(start)
                .take(height)
                .map(Line::from)
                .collect();
            frame.render_widget(ratatui::widgets::Paragraph::new(lines), inner);
            let (x, y) = (inner.x + cx as u16, inner.y + (cy - start) as u16);
            if x < inner.x + inner.width && y < inner.y + inner.height {
                frame.set_cursor_position((x, y));
            }
        }
        None => {
            let lines: Vec<Line<'static>> =
                request.lines().map(|l| Line::from(l.to_string())).collect();
            super::scrolled(frame, inner, lines, ui.scroll);
        }
    }
}
