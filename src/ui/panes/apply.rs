//! Apply progress: one row per resource with a human name, its state, its own timer, the
//! expected duration when known, and the failure reason under a failed row. When the list is
//! longer than the pane, the window follows what is running, and a last line names it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::paragraph;
use crate::terraform::events::Action;
use crate::ui::state::UiState;
use crate::ui::text::{truncate, wrap_count};
use crate::wizard::state::{ApplyRow, RowState};
use crate::wizard::{Action as Offer, Journey, Phase, PhaseStep, Status};
use crate::words::{DurationStyle, seconds};

/// The timer column of a row: `4m12s/~15m`, `3s`, `~15m`.
pub(crate) fn row_timer(ui: &UiState, row: &ApplyRow) -> String {
    let expected = row
        .expected_secs
        .map(|e| format!("~{}", seconds(e, DurationStyle::Estimate)));
    match row.state {
        RowState::Running => {
            let e = ui.row_elapsed(&row.address, row.elapsed_secs);
            match expected {
                Some(x) => format!("{}/{x}", seconds(e, DurationStyle::ClockCompact)),
                None => seconds(e, DurationStyle::ClockCompact),
            }
        }
        RowState::Done | RowState::Failed => {
            if row.elapsed_secs > 0 {
                seconds(row.elapsed_secs, DurationStyle::ClockCompact)
            } else {
                String::new()
            }
        }
        RowState::Pending => expected.unwrap_or_default(),
    }
}

const ERROR_LINES: usize = 3;

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState, phase: Phase) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let rows = &j.facts.apply.rows;
    let n = |s: RowState| rows.iter().filter(|r| r.state == s).count();
    let (done, running, failed) = (n(RowState::Done), n(RowState::Running), n(RowState::Failed));
    let step = phase.step();
    let status = j.status(step);
    let mut head = vec![Span::styled(
        format!("{done}/{} done", rows.len()),
        t.bold(),
    )];
    if running > 0 {
        head.push(Span::styled(g.sep(), t.dim()));
        head.push(Span::styled(
            format!("{running} running"),
            t.row(RowState::Running),
        ));
    }
    if failed > 0 {
        head.push(Span::styled(g.sep(), t.dim()));
        head.push(Span::styled(format!("{failed} failed"), t.bad()));
    }
    let width = area.width as usize;
    let timer_w = 10;
    let name_w = width.saturating_sub(2 + 1 + timer_w);
    // Each row and its error lines, as blocks of lines.
    let blocks: Vec<Vec<Line<'static>>> = rows
        .iter()
        .map(|r| {
            let action_style = match r.action {
                Some(Action::Delete | Action::Replace) => t.bad(),
                Some(Action::Update) => t.warn(),
                _ => t.dim(),
            };
            let name_style = match r.state {
                RowState::Failed => t.bad(),
                RowState::Running => t.bold(),
                RowState::Pending => t.dim(),
                RowState::Done => t.normal(),
            };
            // Anything but a create says so after the name.
            let tag = if r.action == Some(Action::Create) {
                String::new()
            } else {
                format!(" ({})", r.action_label())
            };
            let tag_w = tag.chars().count();
            let name = truncate(&r.name, name_w.saturating_sub(tag_w), g.ellipsis());
            let pad = name_w.saturating_sub(name.chars().count() + tag_w);
            let mut spans = vec![
                Span::styled(g.row(r.state), t.row(r.state)),
                Span::raw(" "),
                Span::styled(name, name_style),
                Span::styled(tag, action_style),
                Span::raw(" ".repeat(pad + 1)),
            ];
            spans.push(Span::styled(
                format!("{:>timer_w$}", row_timer(ui, r)),
                t.row(r.state),
            ));
            let mut block = vec![Line::from(spans)];
            if let Some(e) = &r.error {
                let text: Vec<&str> = e.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                let mut wrapped = super::hanging(
                    Span::raw("    "),
                    &text.join(" "),
                    t.bad(),
                    area.width.saturating_sub(1),
                    4,
                );
                if wrapped.len() > ERROR_LINES {
                    wrapped.truncate(ERROR_LINES);
                    if let Some(last) = wrapped.last_mut() {
                        last.spans.push(Span::styled(g.ellipsis(), t.bad()));
                    }
                }
                block.extend(wrapped);
            }
            block
        })
        .collect();
    let height = |b: &Vec<Line<'static>>| -> usize {
        b.iter()
            .map(|l| {
                let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
                wrap_count(&s, width)
            })
            .sum()
    };
    let mut footer: Vec<Line<'static>> = Vec::new();
    if let Some(s) = &j.facts.apply.summary {
        footer.push(Line::from(Span::styled(s.clone(), t.ok())));
    }
    if j.offers(step, Offer::StopTerraform) {
        footer.push(Line::from(vec![
            Span::styled("Ctrl-C", t.key()),
            Span::raw(" stops terraform cleanly"),
        ]));
    } else if status == Status::Failed && j.offers(step, Offer::Retry) {
        footer.push(Line::from(vec![
            Span::raw("Press "),
            Span::styled("r", t.key()),
            Span::raw(" to plan and apply again; terraform keeps what was made."),
        ]));
    }
    let avail = (area.height as usize).saturating_sub(1 + footer.len());
    let total: usize = blocks.iter().map(height).sum();
    let mut lines = vec![Line::from(head)];
    let (start, end) = if total <= avail {
        (0, blocks.len())
    } else {
        // Room for a "running now" line when something running is out of view.
        let avail = avail.saturating_sub(1);
        let focus = rows
            .iter()
            .position(|r| r.state == RowState::Failed)
            .or_else(|| rows.iter().position(|r| r.state == RowState::Running))
            .or_else(|| rows.iter().position(|r| r.state == RowState::Pending))
            .unwrap_or(rows.len().saturating_sub(1));
        let manual = ui.scroll as usize;
        let mut start = if manual > 0 {
            manual.min(blocks.len().saturating_sub(1))
        } else {
            focus.saturating_sub(2)
        };
        // Fill the window: move the start back while the tail leaves room.
        let tail: usize = blocks[start..].iter().map(height).sum();
        if tail < avail && manual == 0 {
            let mut room = avail - tail;
            while start > 0 && height(&blocks[start - 1]) <= room {
                room -= height(&blocks[start - 1]);
                start -= 1;
            }
        }
        let mut used = 0;
        let mut end = start;
        while end < blocks.len() && used + height(&blocks[end]) <= avail {
            used += height(&blocks[end]);
            end += 1;
        }
        (start, end.max(start + 1).min(blocks.len()))
    };
    for b in &blocks[start..end] {
        lines.extend(b.iter().cloned());
    }
    let hidden_running: Vec<&str> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| r.state == RowState::Running && (*i < start || *i >= end))
        .map(|(_, r)| r.name.as_str())
        .collect();
    if !hidden_running.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("Running now: ", t.row(RowState::Running)),
            Span::raw(truncate(
                &hidden_running.join(", "),
                width.saturating_sub(13),
                g.ellipsis(),
            )),
        ]));
    } else if start > 0 || end < blocks.len() {
        lines.push(Line::from(Span::styled(
            format!(
                "{start} above{}{} below{}{} scroll",
                g.sep(),
                blocks.len() - end,
                g.sep(),
                g.up_down()
            ),
            t.dim(),
        )));
    }
    lines.extend(footer);
    paragraph(frame, area, lines);
}
