//! The site form: every answer validated as it is typed, defaults derived from the domain.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::paragraph;
use crate::site::Part;
use crate::ui::form::FieldId;
use crate::ui::state::UiState;
use crate::ui::text::truncate;
use crate::wizard::{Journey, Status, StepId};

const LABEL_W: usize = 15;

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let f = &ui.form;
    let active = ui.form_active(j);
    let done = j.status(StepId::Site) == Status::Done;
    let mut lines: Vec<Line<'static>> = Vec::new();
    lines.push(if ui.form_saving(j) {
        Line::from(Span::styled(
            format!("Saving the answers to siteup.toml{}", g.ellipsis()),
            t.info(),
        ))
    } else if active {
        Line::from(Span::styled(
            "The answers are saved in siteup.toml.",
            t.dim(),
        ))
    } else if done {
        Line::from(vec![
            Span::styled(format!("{} ", g.status(Status::Done)), t.ok()),
            Span::raw("Saved in siteup.toml. Press "),
            Span::styled("e", t.key()),
            Span::raw(" to change them."),
        ])
    } else {
        Line::from(vec![
            Span::raw("Press "),
            Span::styled("e", t.key()),
            Span::raw(" to answer the questions."),
        ])
    });
    let value_w = (area.width as usize).saturating_sub(2 + LABEL_W);
    let mut cursor: Option<(u16, u16)> = None;
    for field in FieldId::TEXT {
        let focused = active && f.focus == field;
        let invalid = f.check(field).is_err() && f.shows_error(field);
        let raw = f.raw(field);
        let (shown, style) = if raw.is_empty() {
            match f.default_for(field) {
                Some(d) => (d, t.dim()),
                None => (String::new(), t.normal()),
            }
        } else {
            (raw.to_string(), if invalid { t.bad() } else { t.normal() })
        };
        let mut spans = label_spans(t, g, field, focused, invalid);
        // The focused field scrolls horizontally around its cursor.
        let text = if focused && !raw.is_empty() {
            let input = f.input(field);
            let scroll = input.map_or(0, |i| i.visual_scroll(value_w.max(1)));
            let visible: String = raw.chars().skip(scroll).take(value_w).collect();
            let cx = input
                .map_or(0, tui_input::Input::visual_cursor)
                .saturating_sub(scroll);
            cursor = Some((cx as u16, lines.len() as u16));
            visible
        } else {
            if focused {
                cursor = Some((0, lines.len() as u16));
            }
            truncate(&shown, value_w, g.ellipsis())
        };
        let used = text.chars().count();
        spans.push(Span::styled(
            text,
            if focused {
                style.add_modifier(ratatui::style::Modifier::UNDERLINED)
            } else {
                style
            },
        ));
        if let Some(note) = f.note(field).filter(|_| !invalid) {
            let room = value_w.saturating_sub(used + 2);
            if room >= 6 {
                let sep = if field == FieldId::Sender { "" } else { "  " };
                spans.push(Span::styled(
                    format!("{sep}{}", truncate(&note, room, g.ellipsis())),
                    t.dim(),
                ));
            }
        }
        lines.push(Line::from(spans));
    }
    // The parts, as checkboxes that wrap to the value column.
    let focused = active && f.focus == FieldId::Parts;
    let invalid = f.parts.check().is_err();
    let mut row: Vec<Span<'static>> = label_spans(t, g, FieldId::Parts, focused, invalid);
    let mut used = 0;
    for (i, part) in Part::ALL.into_iter().enumerate() {
        let label = format!(
            "{} {}",
            if f.parts.has(part) {
                g.check_on()
            } else {
                g.check_off()
            },
            part.key()
        );
        let w = label.chars().count() + 1;
        if used > 0 && used + w > value_w {
            lines.push(Line::from(std::mem::take(&mut row)));
            row.push(Span::raw(" ".repeat(2 + LABEL_W)));
            used = 0;
        }
        let style = if focused && i == f.part_cursor {
            t.selected()
        } else if f.parts.has(part) {
            t.normal()
        } else {
            t.dim()
        };
        row.push(Span::styled(label, style));
        row.push(Span::raw(" "));
        used += w;
    }
    lines.push(Line::from(row));
    if active {
        let focused = f.focus == FieldId::Submit;
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(2 + LABEL_W)),
            Span::styled(
                "[ Save and continue ]",
                if focused {
                    t.selected().add_modifier(ratatui::style::Modifier::BOLD)
                } else {
                    t.key()
                },
            ),
        ]));
    }
    lines.push(Line::default());
    // What the focused answer is for, or what is wrong with it.
    if active {
        let field = f.focus;
        let error = match field {
            FieldId::Submit if f.tried => f.build().err().map(|(_, e)| e),
            FieldId::Submit => None,
            _ => f.check(field).err().filter(|_| f.shows_error(field)),
        };
        match error {
            Some(e) => lines.push(Line::from(vec![
                Span::styled(format!("{} ", g.status(Status::Failed)), t.bad()),
                Span::styled(e, t.bad()),
            ])),
            None => {
                let hint = if field == FieldId::Parts {
                    Part::ALL
                        .get(f.part_cursor)
                        .map(|p| p.describe().to_string())
                        .unwrap_or_default()
                } else {
                    field.hint().to_string()
                };
                lines.push(Line::from(Span::styled(hint, t.dim())));
            }
        }
    }
    if let Some(n) = &j.facts.notice
        && j.status(StepId::Site) == Status::WaitingOnYou
        && ui
            .form_sent_notice
            .as_ref()
            .is_some_and(|s| s != &j.facts.notice)
    {
        lines.push(Line::from(Span::styled(n.clone(), t.bad())));
    }
    if let Some((cx, idx)) = cursor
        && let cy = super::rows(&lines[..(idx as usize).min(lines.len())], area.width) as u16
        && cy < area.height
    {
        let x = area.x + (2 + LABEL_W) as u16 + cx;
        if x < area.x + area.width {
            frame.set_cursor_position((x, area.y + cy));
        }
    }
    paragraph(frame, area, lines);
}

/// A field's row start: the focus pointer, the invalid mark and the label.
fn label_spans(
    t: &crate::ui::theme::Theme,
    g: &crate::ui::theme::Glyphs,
    field: FieldId,
    focused: bool,
    invalid: bool,
) -> Vec<Span<'static>> {
    vec![
        Span::styled(if focused { g.pointer() } else { " " }, t.key()),
        Span::styled(
            if invalid {
                g.status(Status::Failed)
            } else {
                " "
            },
            t.bad(),
        ),
        Span::styled(
            format!("{:<LABEL_W$}", field.label()),
            if focused { t.bold() } else { t.normal() },
        ),
    ]
}
