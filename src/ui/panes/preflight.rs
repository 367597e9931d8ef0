//! Preflight and the AWS profile picker: each profile's kind, the verified identity, warnings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{failure, paragraph, status_line};
use crate::ui::state::UiState;
use crate::ui::text::truncate;
use crate::wizard::{Journey, Status, StepId};

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let mut lines: Vec<Line<'static>> = vec![
        Line::from(Span::styled("Preflight checks", t.bold())),
        Line::from(Span::styled(
            "terraform on PATH and new enough, the folder writable, no other siteup here.",
            t.dim(),
        )),
        status_line(j, ui, StepId::Preflight),
    ];
    lines.extend(failure(j, ui, StepId::Preflight));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled("AWS profile", t.bold())));
    let profile = j.status(StepId::Profile);
    lines.push(status_line(j, ui, StepId::Profile));
    if profile == Status::Running
        && let Some(p) = &j.facts.profile
    {
        lines.push(Line::from(format!(
            "Asking AWS who {p} is (STS GetCallerIdentity){}",
            g.ellipsis()
        )));
    }
    if let Some(id) = &j.facts.identity {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", g.status(Status::Done)), t.ok()),
            Span::raw("Verified: "),
            Span::styled(id.clone(), t.bold()),
        ]));
    }
    if let Some(w) = &j.facts.identity_warning {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", g.warn()), t.warn()),
            Span::styled(w.clone(), t.warn()),
        ]));
    }
    lines.extend(failure(j, ui, StepId::Profile));
    let choosing = matches!(
        profile,
        Status::WaitingOnYou | Status::Failed | Status::NotYet
    );
    if !j.facts.profiles.is_empty() {
        lines.push(Line::default());
        if choosing {
            lines.push(Line::from(
                "Choose the profile siteup uses (Enter); it is saved in siteup.toml:",
            ));
        } else {
            lines.push(Line::from(Span::styled("Profiles the SDK sees:", t.dim())));
        }
        let width = area.width as usize;
        let kind_w = j
            .facts
            .profiles
            .iter()
            .map(|p| p.kind.short().chars().count())
            .max()
            .unwrap_or(0);
        let name_w = j
            .facts
            .profiles
            .iter()
            .map(|p| p.name().chars().count())
            .max()
            .unwrap_or(0)
            .clamp(8, width.saturating_sub(kind_w + 18).max(8));
        for (i, p) in j.facts.profiles.iter().enumerate() {
            let chosen = j.facts.profile.as_deref() == Some(p.name());
            let cursor = choosing && i == ui.profile_cursor;
            let name = truncate(p.name(), name_w, g.ellipsis());
            let mut spans = vec![
                Span::styled(if cursor { g.pointer() } else { " " }, t.key()),
                Span::styled(if chosen { g.status(Status::Done) } else { " " }, t.ok()),
                Span::raw(" "),
                Span::styled(
                    format!("{name:<name_w$}"),
                    if cursor {
                        t.selected()
                    } else if chosen {
                        t.bold()
                    } else {
                        t.normal()
                    },
                ),
                Span::raw("  "),
                Span::styled(format!("{:<kind_w$}", p.kind.short()), t.dim()),
            ];
            if let Some(r) = &p.region {
                spans.push(Span::styled(format!("  {r}"), t.dim()));
            }
            lines.push(Line::from(spans));
        }
    } else if profile == Status::WaitingOnYou {
        lines.push(Line::default());
        lines.push(Line::from(
            "No AWS profile is listed yet. If none appears, create one with `aws configure sso` (or `aws configure` for keys), then start siteup again.",
        ));
    }
    paragraph(frame, area, lines);
}
