//! The edge: CloudFront deploying the site to its edge locations, then the site answering over
//! HTTPS. One line says what is happening, with the time it usually takes here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{failure, paragraph, report_lines, status_line};
use crate::ui::state::UiState;
use crate::wizard::{Journey, StepId};

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let step = StepId::Edge;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut heading = vec![Span::styled(step.title().to_string(), t.bold())];
    if let Some(domain) = ui.domain.clone() {
        heading.push(Span::raw("  "));
        heading.push(Span::styled(format!("https://{domain}/"), t.value()));
    }
    lines.push(Line::from(heading));
    lines.push(status_line(j, ui, step));
    lines.extend(report_lines(j, ui, step, area.width));
    lines.extend(failure(j, ui, step));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "The stack's apply ends once the CloudFront distribution exists; CloudFront then copies it to its edge locations (minutes on AWS). siteup checks until the site answers over HTTPS with its certificate.",
        t.dim(),
    )));
    paragraph(frame, area, lines);
}
