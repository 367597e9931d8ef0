//! Alerts: the owner's subscription to the guardrails' alerts topic (one more in us-east-1 for
//! CloudFront's alarm when the site is elsewhere), confirmed by the link in AWS's mail; with
//! resend.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{failure, mail_keys, paragraph, report_lines, status_line};
use crate::ui::form::FieldId;
use crate::ui::state::UiState;
use crate::wizard::{Action, Journey, StepId};

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let step = StepId::Alerts;
    let inbox = Some(ui.form.value(FieldId::Inbox))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "no inbox given".into());
    let mut lines: Vec<Line<'static>> = vec![Line::from(vec![
        Span::styled("Alerts to", t.bold()),
        Span::raw("  "),
        Span::styled(inbox, t.value()),
    ])];
    lines.push(status_line(j, ui, step));
    lines.extend(report_lines(j, ui, step, area.width));
    lines.extend(failure(j, ui, step));
    if j.offers(step, Action::ResendMail) {
        lines.push(Line::default());
        lines.push(mail_keys(
            j,
            ui,
            step,
            "Open the mail from AWS Notifications and click \"Confirm subscription\".",
        ));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "The guardrails mail you here: the site's errors, SES bounces and complaints, and the monthly budget. AWS deletes a subscription that stays unconfirmed for a few days; r then makes a new one.",
        t.dim(),
    )));
    paragraph(frame, area, lines);
}
