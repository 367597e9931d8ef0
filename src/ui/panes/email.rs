//! Email: the domain's verification (DKIM, MAIL FROM), which covers every sender address of the
//! domain, and the owner's inbox's, with resend.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{failure, mail_keys, paragraph, report_lines, status_line};
use crate::ui::form::FieldId;
use crate::ui::state::UiState;
use crate::wizard::{Action, Journey, StepId};

pub(crate) fn render(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let shown = ui.shown(j);
    let domain = ui.domain.clone();
    let sender = j
        .facts
        .outputs
        .get(crate::tfgen::names::output::SENDER_ADDRESS)
        .cloned()
        .or_else(|| {
            domain
                .as_ref()
                .map(|d| format!("{}@{d}", ui.form.value(FieldId::Sender)))
        });
    let mut lines: Vec<Line<'static>> = Vec::new();
    let heading = |title: &str, value: Option<String>, step: StepId| {
        let mut spans = vec![Span::styled(
            title.to_string(),
            if step == shown {
                t.bold().add_modifier(ratatui::style::Modifier::UNDERLINED)
            } else {
                t.bold()
            },
        )];
        if let Some(v) = value {
            spans.push(Span::raw("  "));
            spans.push(Span::styled(v, t.value()));
        }
        Line::from(spans)
    };
    lines.push(heading("Email domain", domain, StepId::EmailDomain));
    lines.push(status_line(j, ui, StepId::EmailDomain));
    lines.extend(report_lines(j, ui, StepId::EmailDomain, area.width));
    if !j.ready(StepId::EmailDomain) {
        lines.push(Line::from(Span::styled(
            "SES verifies the domain (DKIM and MAIL FROM records in the zone) as soon as the nameservers are live.",
            t.dim(),
        )));
    }
    if let Some(sender) = sender {
        lines.push(Line::from(Span::styled(
            format!("The site sends as {sender}: the verified domain covers every address of it."),
            t.dim(),
        )));
    }
    lines.extend(failure(j, ui, StepId::EmailDomain));
    lines.push(Line::default());
    let inbox = Some(ui.form.value(FieldId::Inbox))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "none given".into());
    lines.push(heading("Your inbox", Some(inbox), StepId::Inbox));
    lines.push(status_line(j, ui, StepId::Inbox));
    lines.extend(report_lines(j, ui, StepId::Inbox, area.width));
    lines.extend(failure(j, ui, StepId::Inbox));
    let step = StepId::Inbox;
    if j.offers(step, Action::ResendMail) {
        lines.push(Line::default());
        lines.push(mail_keys(
            j,
            ui,
            step,
            "Open the mail from AWS and click its link.",
        ));
    }
    paragraph(frame, area, lines);
}
