//! The plan review: destroys and replacements first with their consequences, warnings, the
//! plan text, and the decision (default No; a destructive plan needs a typed word).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::{paragraph, scrolled};
use crate::ui::keys::DESTROY_WORD;
use crate::ui::state::UiState;
use crate::ui::theme::Theme;
use crate::wizard::state::PlanFacts;
use crate::wizard::{Journey, Phase, PhaseStep};

/// A plan text line's style: destroys red, creates green, updates yellow.
pub(crate) fn plan_line(t: &Theme, l: &str) -> Line<'static> {
    let trimmed = l.trim_start();
    let style = if trimmed.starts_with("-/+")
        || trimmed.starts_with("+/-")
        || trimmed.starts_with('-')
        || trimmed.contains("must be replaced")
        || trimmed.contains("will be destroyed")
    {
        t.bad()
    } else if trimmed.starts_with('+') || trimmed.contains("will be created") {
        t.ok()
    } else if trimmed.starts_with('~') || trimmed.contains("updated in-place") {
        t.warn()
    } else {
        t.normal()
    };
    Line::from(Span::styled(l.to_string(), style))
}

/// The counts, destroys and replacements first.
pub(crate) fn counts(t: &Theme, p: &PlanFacts) -> Line<'static> {
    use crate::terraform::plan_review::{ChangeKind, count_phrases};
    let mut spans = vec![Span::raw("Plan: ")];
    let phrases = count_phrases(|k| p.count(k));
    if phrases.is_empty() {
        spans.push(Span::raw("no changes"));
    }
    for (i, (kind, phrase)) in phrases.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(", "));
        }
        let style = match kind {
            ChangeKind::Delete | ChangeKind::Replace => t.bad(),
            ChangeKind::Create => t.ok(),
            ChangeKind::Update => t.warn(),
            ChangeKind::Import | ChangeKind::Forget => t.normal(),
        };
        spans.push(Span::styled(phrase, style));
    }
    Line::from(spans)
}

pub(crate) fn render(
    frame: &mut Frame,
    area: Rect,
    _j: &Journey,
    ui: &UiState,
    phase: Phase,
    p: &PlanFacts,
) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let mut head: Vec<Line<'static>> = vec![counts(t, p)];
    if p.is_destructive() {
        head.push(Line::from(Span::styled(
            format!("{} This plan destroys or replaces:", g.warn()),
            t.bad(),
        )));
        for d in &p.dangers {
            head.extend(super::hanging(
                Span::styled(format!("  {} ", g.bullet()), t.bad()),
                d,
                t.bad(),
                area.width,
                4,
            ));
        }
        if p.dangers.is_empty() {
            head.push(Line::from(Span::styled(
                format!("  {} see the plan text below", g.bullet()),
                t.bad(),
            )));
        }
    }
    for w in &p.warnings {
        head.extend(super::hanging(
            Span::styled(format!("{} ", g.warn()), t.warn()),
            w,
            t.warn(),
            area.width,
            2,
        ));
    }
    let mut decision: Vec<Line<'static>> = vec![Line::from(Span::styled(
        format!("Apply this plan for {}?", phase.step().title()),
        t.bold(),
    ))];
    decision.push(if p.is_destructive() {
        Line::from(vec![
            Span::styled("y", t.key()),
            Span::raw(format!(" then type \"{DESTROY_WORD}\" to apply  ")),
            Span::styled("n", t.key()),
            Span::raw("/"),
            Span::styled("Enter", t.key()),
            Span::raw(" don't (default)"),
        ])
    } else {
        Line::from(vec![
            Span::styled("y", t.key()),
            Span::raw(" apply  "),
            Span::styled("n", t.key()),
            Span::raw("/"),
            Span::styled("Enter", t.key()),
            Span::raw(" don't apply (default)"),
        ])
    });
    let head_rows = (super::rows(&head, area.width) as u16).min(area.height / 2);
    let decision_rows = super::rows(&decision, area.width) as u16;
    let [top, text, bottom] = Layout::vertical([
        Constraint::Length(head_rows),
        Constraint::Min(0),
        Constraint::Length(decision_rows),
    ])
    .areas(area);
    paragraph(frame, top, head);
    if text.height > 1 {
        let mut body = vec![Line::from(Span::styled(
            format!(
                "{} plan {}",
                g.hline().repeat(2),
                g.hline().repeat((text.width as usize).saturating_sub(9))
            ),
            t.dim(),
        ))];
        body.extend(p.text.lines().map(|l| plan_line(t, l)));
        scrolled(frame, text, body, ui.scroll);
    }
    paragraph(frame, bottom, decision);
}
