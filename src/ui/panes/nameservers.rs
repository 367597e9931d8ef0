//! The nameserver checkpoint: the four names large and easy to read, copy, registrar hints,
//! and the live delegation verdict with both views (registry and resolver).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{failure, paragraph, report_details, status_line};
use crate::ui::keys::play_label;
use crate::ui::state::UiState;
use crate::ui::text::{self, REGISTRAR_GENERIC, REGISTRAR_HINTS};
use crate::wizard::{Action, Journey, Status, StepId};

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let step = StepId::Nameservers;
    let ns = &j.facts.nameservers;
    let roomy = area.height >= 30;
    let mut lines: Vec<Line<'static>> = Vec::new();
    if ns.is_empty() {
        lines.push(status_line(j, ui, step));
        lines.push(Line::default());
        let zone_exists = j.status(StepId::Foundation) == Status::Done;
        lines.push(Line::from(if !zone_exists {
            "The four nameservers are known once the hosted zone exists (Zone, email, storage). Then you set them at the registrar where you bought the domain, and siteup checks the delegation live."
        } else if j.busy == Some(StepId::Foundation) {
            "Reading the hosted zone's nameservers from the Terraform outputs; then siteup checks the delegation live."
        } else {
            "The hosted zone's nameservers could not be read from the Terraform outputs (the note says why); siteup reads them again when it next starts."
        }));
        lines.extend(failure(j, ui, step));
        paragraph(frame, area, lines);
        return;
    }
    let done = j.status(step) == Status::Done;
    lines.push(Line::from(if done {
        "The registrar lists these nameservers:".to_string()
    } else {
        format!("Set these {} nameservers at your registrar:", ns.len())
    }));
    lines.push(Line::default());
    let text = crate::clipboard::nameservers_text(ns, ui.trailing_dots);
    for (i, name) in text.lines().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("   {}  ", i + 1), t.dim()),
            Span::styled(name.to_string(), t.value()),
        ]));
        if roomy {
            lines.push(Line::default());
        }
    }
    if !roomy {
        lines.push(Line::default());
    }
    lines.push(Line::from(vec![
        Span::styled("c", t.key()),
        Span::raw(" copy"),
        Span::styled(g.sep(), t.dim()),
        Span::styled(".", t.key()),
        Span::raw(format!(
            " trailing dots: {}",
            if ui.trailing_dots { "on" } else { "off" }
        )),
        Span::styled(g.sep(), t.dim()),
        Span::styled("h", t.key()),
        Span::raw(if ui.registrar_hints {
            " back"
        } else {
            " how-to"
        }),
    ]));
    lines.push(Line::default());
    let mut hints = vec![Line::from(Span::styled("At the registrar", t.bold()))];
    hints.extend(super::hanging(
        Span::raw(""),
        REGISTRAR_GENERIC,
        t.normal(),
        area.width,
        0,
    ));
    for (name, how) in REGISTRAR_HINTS {
        hints.extend(super::hanging(
            Span::styled(format!("{} {name}: ", g.bullet()), t.bold()),
            how,
            t.normal(),
            area.width,
            2,
        ));
    }
    if ui.registrar_hints {
        lines.extend(hints);
        super::scrolled(frame, area, lines, ui.scroll);
        return;
    }
    // The verdict, with how long the check has been running.
    let mut heading = vec![Span::styled("Delegation", t.bold())];
    let st = j.state(step);
    if st.status.is_waiting()
        && let Some(since) = st.since
    {
        heading.push(Span::styled(g.sep(), t.dim()));
        heading.push(Span::raw(format!(
            "checking for {}",
            crate::words::seconds(
                text::elapsed_secs(since, ui.now),
                crate::words::DurationStyle::Wait
            )
        )));
    }
    if j.offers(step, Action::CheckNow) {
        heading.push(Span::styled(g.sep(), t.dim()));
        heading.push(Span::styled("n", t.key()));
        heading.push(Span::raw(" now"));
    }
    lines.push(Line::from(heading));
    lines.extend(report_details(j, ui, step, area.width));
    if j.offers(step, Action::Play) {
        lines.push(Line::from(vec![
            Span::raw("Sandbox: "),
            Span::styled("p", t.key()),
            Span::raw(format!(" to {}.", play_label(step))),
        ]));
    }
    lines.extend(failure(j, ui, step));
    // On a tall screen the registrar how-to fits below the verdict.
    if !done
        && super::rows(&lines, area.width) + 1 + super::rows(&hints, area.width)
            <= area.height as usize
    {
        lines.push(Line::default());
        lines.extend(hints);
    }
    paragraph(frame, area, lines);
}
