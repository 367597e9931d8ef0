//! One pane per kind of step, each `pub fn render(frame, area, journey, ui)`.

pub(crate) mod alerts;
pub(crate) mod apply;
pub(crate) mod done;
pub(crate) mod edge;
pub(crate) mod email;
pub(crate) mod files;
pub(crate) mod nameservers;
pub(crate) mod phase;
pub(crate) mod plan;
pub(crate) mod preflight;
pub(crate) mod ses;
pub(crate) mod site;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::state::UiState;
use super::text;
use crate::wizard::{Journey, Status, StepId};

/// Draws the open step's pane.
pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    match ui.shown(j) {
        StepId::Preflight | StepId::Profile => preflight::render(frame, area, j, ui),
        StepId::Site => site::render(frame, area, j, ui),
        StepId::Generate => files::render(frame, area, j, ui),
        StepId::State | StepId::Foundation | StepId::Stack => phase::render(frame, area, j, ui),
        StepId::Nameservers => nameservers::render(frame, area, j, ui),
        StepId::EmailDomain | StepId::Inbox => email::render(frame, area, j, ui),
        StepId::Alerts => alerts::render(frame, area, j, ui),
        StepId::SesProduction => ses::render(frame, area, j, ui),
        StepId::Edge => edge::render(frame, area, j, ui),
        StepId::Done => done::render(frame, area, j, ui),
    }
}

/// Lines rendered with word wrap.
pub(crate) fn paragraph(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// Lines rendered with word wrap, scrolled by `scroll` rows.
pub(crate) fn scrolled(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, scroll: u16) {
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// How many rows these lines take when wrapped at `width`.
pub(crate) fn rows(lines: &[Line<'_>], width: u16) -> usize {
    lines
        .iter()
        .map(|l| {
            let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            text::wrap_count(&s, width as usize)
        })
        .sum()
}

/// `text` word-wrapped at `width` with `first` before the first row and `indent` spaces
/// before the others (a hanging indent), all in `style`.
pub(crate) fn hanging(
    first: Span<'static>,
    text: &str,
    style: ratatui::style::Style,
    width: u16,
    indent: usize,
) -> Vec<Line<'static>> {
    let first_w = first.content.chars().count();
    let width = width as usize;
    let rows = text::wrap2(
        text,
        width.saturating_sub(first_w).max(8),
        width.saturating_sub(indent).max(8),
    );
    let mut out = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        if i == 0 {
            out.push(Line::from(vec![first.clone(), Span::styled(row, style)]));
        } else {
            out.push(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(row, style),
            ]));
        }
    }
    out
}

/// "Running for 12s", "Waiting on you for 3 min", "Failed", ... for a step.
pub(crate) fn status_line(j: &Journey, ui: &UiState, step: StepId) -> Line<'static> {
    let st = j.state(step);
    let t = &ui.theme;
    let g = &ui.glyphs;
    let since = st.since.map(|s| text::elapsed_secs(s, ui.now));
    let words = match (st.status, since) {
        (Status::Running, Some(s)) => format!(
            "Running for {}",
            crate::words::seconds(s, crate::words::DurationStyle::Clock)
        ),
        (Status::Running, None) => "Running".into(),
        (Status::WaitingOnYou, Some(s)) if step.is_checkpoint() => {
            format!(
                "Waiting on you for {}",
                crate::words::seconds(s, crate::words::DurationStyle::Wait)
            )
        }
        (Status::WaitingOnAws, Some(s)) => format!(
            "Waiting on AWS for {}",
            crate::words::seconds(s, crate::words::DurationStyle::Wait)
        ),
        (Status::WaitingOnYou, _) => "Waiting on you".into(),
        (Status::WaitingOnAws, None) => "Waiting on AWS".into(),
        (Status::Done, _) => "Done".into(),
        (Status::Failed, _) => "Failed".into(),
        (Status::NotYet, _) => {
            let missing: Vec<&str> = step
                .requires()
                .iter()
                .filter(|d| !j.is_done(**d))
                .map(|d| d.title())
                .collect();
            if missing.is_empty() {
                "Starting".into()
            } else {
                format!("Starts after: {}", missing.join(", "))
            }
        }
    };
    Line::from(vec![
        Span::styled(g.status(st.status), t.status(st.status)),
        Span::raw(" "),
        Span::styled(words, t.status(st.status)),
    ])
}

/// The failure of a step, with what to do.
pub(crate) fn failure(j: &Journey, ui: &UiState, step: StepId) -> Vec<Line<'static>> {
    let st = j.state(step);
    if st.status != Status::Failed {
        return vec![];
    }
    let t = &ui.theme;
    let mut lines = vec![Line::default()];
    let detail = st
        .detail
        .unwrap_or_else(|| format!("{} failed.", step.title()));
    for l in detail.lines() {
        lines.push(Line::from(Span::styled(l.to_string(), t.bad())));
    }
    if j.offers(step, crate::wizard::Action::Retry) {
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::raw("Press "),
            Span::styled("r", t.key()),
            Span::raw(" to try again once it is fixed; the log is in .siteup/siteup.log."),
        ]));
    }
    lines
}

/// A check report's headline and lines, styled by whether it is satisfied.
pub(crate) fn report_lines(
    j: &Journey,
    ui: &UiState,
    step: StepId,
    width: u16,
) -> Vec<Line<'static>> {
    report_body(j, ui, step, width, true)
}

/// The check's lines without its headline, the status glyph on the first of them: for a pane
/// that already shows what the headline says (the nameserver pane lists the names above).
pub(crate) fn report_details(
    j: &Journey,
    ui: &UiState,
    step: StepId,
    width: u16,
) -> Vec<Line<'static>> {
    report_body(j, ui, step, width, false)
}

fn report_body(
    j: &Journey,
    ui: &UiState,
    step: StepId,
    width: u16,
    headline: bool,
) -> Vec<Line<'static>> {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let Some(r) = j.facts.checks.get(&step) else {
        return if j.ready(step) {
            vec![Line::from(Span::styled(
                format!("Checking{}", g.ellipsis()),
                t.dim(),
            ))]
        } else {
            vec![]
        };
    };
    let (glyph, style) = if r.satisfied {
        (g.status(Status::Done), t.ok())
    } else if r.waiting_on == crate::wizard::StepKind::Aws {
        (g.status(Status::WaitingOnAws), t.info())
    } else {
        (g.status(Status::WaitingOnYou), t.warn())
    };
    let mut details = r.lines.iter();
    // The headline leads, unless the pane shows what it says elsewhere: then the first detail.
    let (first, first_style, hang) = match (headline, details.clone().next()) {
        (false, Some(l)) => {
            details.next();
            (l, t.normal(), 4)
        }
        _ => (&r.headline, style, 2),
    };
    let mut lines = hanging(
        Span::styled(format!("{glyph} "), style),
        first,
        first_style,
        width,
        hang,
    );
    for l in details {
        lines.extend(hanging(Span::raw("  "), l, t.normal(), width, 4));
    }
    lines
}

/// The keys of a checkpoint that waits for a click in a mail: what to open, `r` to send it
/// again, `n` to check now, and in the sandbox `p` to play the click.
pub(crate) fn mail_keys(j: &Journey, ui: &UiState, step: StepId, open: &str) -> Line<'static> {
    let t = &ui.theme;
    let mut spans = vec![
        Span::raw(format!("{open} ")),
        Span::styled("r", t.key()),
        Span::raw(" sends it again, "),
        Span::styled("n", t.key()),
        Span::raw(" checks now."),
    ];
    if j.offers(step, crate::wizard::Action::Play) {
        spans.push(Span::raw(" Sandbox: "));
        spans.push(Span::styled("p", t.key()));
        spans.push(Span::raw(format!(
            " to {}.",
            crate::ui::keys::play_label(step)
        )));
    }
    Line::from(spans)
}
