//! Done: the outputs the user needs next (with copy keys), what it costs, what to do next.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::paragraph;
use crate::ui::state::UiState;
use crate::ui::text::{COST_TOTAL, COSTS, labelled_outputs, next_steps, truncate};
use crate::wizard::{Journey, Status, StepId};

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let mut lines: Vec<Line<'static>> = Vec::new();
    if j.status(StepId::Done) != Status::Done {
        lines.push(Line::from(Span::styled("Not there yet.", t.bold())));
        for step in StepId::ALL {
            let s = j.status(step);
            if step == StepId::Done || s == Status::Done {
                continue;
            }
            lines.push(Line::from(vec![
                Span::styled(g.status(s), t.status(s)),
                Span::raw(format!(" {}", step.title())),
                Span::styled(format!(": {}", crate::ui::draw::status_words(s)), t.dim()),
            ]));
        }
        paragraph(frame, area, lines);
        return;
    }
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", g.status(Status::Done)), t.ok()),
        Span::styled(
            "Your stack is up.",
            t.ok().add_modifier(ratatui::style::Modifier::BOLD),
        ),
    ]));
    let outputs = labelled_outputs(&j.facts.outputs);
    let width = area.width as usize;
    if !outputs.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled("Outputs", t.bold()),
            Span::styled(
                format!(
                    " ({} choose, c or 1-{} copy)",
                    g.up_down(),
                    outputs.len().min(9)
                ),
                t.dim(),
            ),
        ]));
        let label_w = outputs
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0)
            .min(16);
        let value_w = width.saturating_sub(label_w + 5);
        for (i, (label, value)) in outputs.iter().enumerate() {
            let selected = i == ui.output_cursor;
            let key = if i < 9 {
                format!("{}", i + 1)
            } else {
                " ".into()
            };
            let value_style = if selected {
                t.value().add_modifier(ratatui::style::Modifier::REVERSED)
            } else {
                t.value()
            };
            let mut spans = vec![
                Span::styled(if selected { g.pointer() } else { " " }, t.key()),
                Span::styled(format!("{key} "), t.key()),
                Span::styled(
                    format!("{:<label_w$} ", truncate(label, label_w, g.ellipsis())),
                    t.dim(),
                ),
            ];
            // A value too long for its column goes on its own row, whole.
            if value.chars().count() <= value_w {
                spans.push(Span::styled(value.clone(), value_style));
                lines.push(Line::from(spans));
            } else {
                lines.push(Line::from(spans));
                lines.push(Line::from(vec![
                    Span::raw("    "),
                    Span::styled(value.clone(), value_style),
                ]));
            }
        }
    }
    // The guardrails, as the alerts checkpoint last found them: the subscription, the alarms'
    // states, the budget.
    if let Some(report) = j.facts.checks.get(&StepId::Alerts) {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("Guardrails", t.bold())));
        for text in std::iter::once(&report.headline).chain(report.lines.iter()) {
            let style = if text.starts_with("Alarm firing") {
                t.warn()
            } else {
                t.dim()
            };
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(text.clone(), style),
            ]));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Cost per month (light traffic, estimate)",
        t.bold(),
    )));
    let cost_w = COSTS
        .iter()
        .map(|(w, _)| w.chars().count())
        .max()
        .unwrap_or(0);
    for (what, cost) in COSTS {
        lines.push(Line::from(vec![
            Span::raw(format!("  {what:<cost_w$}  ")),
            Span::styled(*cost, t.bold()),
        ]));
    }
    lines.push(Line::from(Span::styled(COST_TOTAL, t.dim())));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled("Next", t.bold())));
    for (i, s) in next_steps(&j.facts.outputs).into_iter().enumerate() {
        lines.push(Line::from(format!("  {}. {s}", i + 1)));
    }
    super::scrolled(frame, area, lines, ui.scroll);
}
