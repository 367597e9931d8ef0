//! A step that runs terraform (the foundation, the state's move to S3, the stack): its plan
//! review while one awaits a decision, its apply progress while it runs, and where it stands
//! otherwise.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{apply, failure, paragraph, plan, status_line};
use crate::ui::state::UiState;
use crate::wizard::{Journey, Phase, PhaseStep, Status, StepId};

/// What a phase does, in one or two sentences.
pub(crate) fn describe(step: StepId) -> &'static str {
    match step {
        StepId::Foundation => {
            "Creates the hosted zone, the email identities and their records, the buckets and the tables: everything that does not wait on you. The zone is protected so its nameservers never change."
        }
        StepId::State => {
            "Moves Terraform's state from this folder into its S3 bucket (created by the foundation apply), and removes the local copies once the bucket is seen to hold everything."
        }
        StepId::Stack => {
            "Validates the certificate, then creates CloudFront, the user pool and the API's domain. CloudFront alone takes 5 to 30 minutes on AWS."
        }
        _ => "",
    }
}

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let step = ui.shown(j);
    // The state's move applies no plan of its own.
    let phase = Phase::of_step(step);
    if let (Some(phase), Some((p, facts))) = (phase, &j.facts.pending_plan)
        && *p == phase
    {
        plan::render(frame, area, j, ui, phase, facts);
        return;
    }
    let status = j.status(step);
    let has_rows =
        phase.is_some() && j.facts.apply.phase == phase && !j.facts.apply.rows.is_empty();
    if let Some(phase) = phase.filter(|_| has_rows)
        && matches!(status, Status::Running | Status::Failed | Status::Done)
    {
        apply::render(frame, area, j, ui, phase);
        return;
    }
    let t = &ui.theme;
    let g = &ui.glyphs;
    let mut lines: Vec<Line<'static>> = vec![
        Line::from(Span::styled(describe(step), t.dim())),
        Line::default(),
        status_line(j, ui, step),
    ];
    let st = j.state(step);
    match status {
        Status::Running => {
            let what = st.detail.clone().unwrap_or_else(|| "working".into());
            lines.push(Line::from(format!("terraform: {what}{}", g.ellipsis())));
            if j.offers(step, crate::wizard::Action::StopTerraform) {
                lines.push(Line::default());
                lines.push(Line::from(vec![
                    Span::styled("Ctrl-C", t.key()),
                    Span::raw(" stops terraform cleanly (it saves its state)."),
                ]));
            }
        }
        Status::WaitingOnYou => {
            if let Some(d) = &st.detail {
                lines.push(Line::from(d.clone()));
            }
            if j.offers(step, crate::wizard::Action::Retry) {
                lines.push(Line::default());
                lines.push(Line::from(vec![
                    Span::raw("Press "),
                    Span::styled("r", t.key()),
                    Span::raw(" to plan again."),
                ]));
            }
        }
        Status::Done => {
            if let Some(s) = j
                .facts
                .apply
                .summary
                .as_ref()
                .filter(|_| phase.is_some() && j.facts.apply.phase == phase)
            {
                lines.push(Line::from(s.clone()));
            }
        }
        Status::Failed | Status::WaitingOnAws | Status::NotYet => {}
    }
    lines.extend(failure(j, ui, step));
    paragraph(frame, area, lines);
}
