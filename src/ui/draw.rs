//! The whole screen, as a pure function of the journey and the UI state.
//!
//! ```text
//!  siteup  example.com                                     profile work · sandbox
//!  Journey                         ╭ Nameservers at registrar · waiting on you ──╮
//!  ✓ Preflight checks              │ Set these 4 nameservers at your registrar:  │
//!  ✓ AWS profile                   │                                             │
//!  ✓ Site answers                  │   1  ns-1.awsdns-01.org                     │
//!  ✓ Terraform files               │   2  ns-2.awsdns-02.co.uk                   │
//!  ✓ Zone, email, storage          │   ...                                       │
//!  ✓ State moved to S3             │                                             │
//!  ● Nameservers at registrar  12m │ Delegation: not live yet                    │
//!  · Email domain verified         │   registry: ...                             │
//!  ● Your inbox verified        3m │   resolver: ...                             │
//!  ◌ SES out of sandbox         3m │                                             │
//!  · Site, users, API              │ Waiting 12 min; checked automatically.      │
//!  · Done                          ╰─────────────────────────────────────────────╯
//!  copied (OSC 52)                                                  <- notice line
//!  c copy · . trailing dots · h registrar hints · n check now · Tab steps · ? help · q quit
//! ```

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::keys::{DESTROY_WORD, hints};
use super::panes;
use super::state::{Dialog, MIN_HEIGHT, MIN_WIDTH, UiState};
use super::text::{self, elapsed_secs};
use crate::wizard::{Journey, Status, StepId};

/// Width of the checklist column.
fn checklist_width(total: u16) -> u16 {
    if total >= 110 { 38 } else { 34 }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, j: &Journey, ui: &UiState) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, ui);
        return;
    }
    let [header, body, notice, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, j, ui);
    let [left, right] = Layout::horizontal([
        Constraint::Length(checklist_width(area.width)),
        Constraint::Min(1),
    ])
    .areas(body);
    draw_checklist(frame, left, j, ui);
    let shown = ui.shown(j);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(ui.glyphs.border())
        .border_style(ui.theme.dim())
        .title(pane_title(j, ui, shown));
    let inner = block.inner(right);
    frame.render_widget(block, right);
    let inner = Rect {
        x: inner.x.saturating_add(1),
        width: inner.width.saturating_sub(2),
        ..inner
    };
    panes::render(frame, inner, j, ui);
    draw_notice(frame, notice, j, ui);
    draw_keys(frame, keys, j, ui);
    if ui.help {
        draw_help(frame, body, j, ui);
    }
    if let Some(d) = &ui.dialog {
        draw_dialog(frame, body, d, j, ui);
    }
}

fn too_small(frame: &mut Frame, area: Rect, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let msg = format!(
        "siteup needs a terminal of at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is {}x{}. Make the window larger: the journey keeps running meanwhile.",
        area.width, area.height
    );
    let p = Paragraph::new(msg)
        .style(ui.theme.bold())
        .wrap(Wrap { trim: true });
    frame.render_widget(p, area);
}

fn draw_header(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let mut left = vec![Span::styled(" siteup", t.title())];
    if let Some(d) = &ui.domain {
        left.push(Span::raw("  "));
        left.push(Span::styled(d.clone(), t.bold()));
    }
    let mut right: Vec<Span> = Vec::new();
    if let Some(p) = &j.facts.profile {
        right.push(Span::styled(format!("profile {p}"), t.dim()));
    }
    if j.facts.sandbox {
        if !right.is_empty() {
            right.push(Span::styled(ui.glyphs.sep(), t.dim()));
        }
        right.push(Span::styled(
            " sandbox ",
            t.selected().add_modifier(Modifier::BOLD),
        ));
    }
    right.push(Span::raw(" "));
    frame.render_widget(Paragraph::new(Line::from(left)), area);
    frame.render_widget(
        Paragraph::new(Line::from(right)).alignment(Alignment::Right),
        area,
    );
}

/// The words for a status, as the pane title and the plain mode say them.
/// What a waiting step is called when siteup could not check it (offline, AWS not answering).
pub const COULD_NOT_CHECK: &str = "could not check";

pub fn status_words(s: Status) -> &'static str {
    match s {
        Status::NotYet => "not yet",
        Status::Running => "running",
        Status::WaitingOnYou => "waiting on you",
        Status::WaitingOnAws => "waiting on AWS",
        Status::Done => "done",
        Status::Failed => "failed",
    }
}

fn pane_title(j: &Journey, ui: &UiState, step: StepId) -> Line<'static> {
    let status = j.status(step);
    Line::from(vec![
        Span::raw(" "),
        Span::styled(step.title(), ui.theme.title()),
        Span::styled(ui.glyphs.sep(), ui.theme.dim()),
        Span::styled(
            if j.could_not_check(step).is_some() {
                COULD_NOT_CHECK
            } else {
                status_words(status)
            },
            ui.theme.status(status),
        ),
        Span::raw(" "),
    ])
}

/// The clock shown beside a step in the checklist, if any.
pub fn step_clock(j: &Journey, ui: &UiState, step: StepId) -> Option<String> {
    let st = j.state(step);
    let since = st.since?;
    let secs = elapsed_secs(since, ui.now);
    match st.status {
        Status::Running => Some(crate::words::seconds(
            secs,
            crate::words::DurationStyle::ClockCompact,
        )),
        s if s.is_waiting() && step.is_checkpoint() => Some(crate::words::seconds(
            secs,
            crate::words::DurationStyle::WaitCompact,
        )),
        _ => None,
    }
}

fn draw_checklist(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let shown = ui.shown(j);
    // One column of margin on each side.
    let width = area.width.saturating_sub(2) as usize;
    let mut lines = vec![Line::from(Span::styled(" Journey", t.bold()))];
    for step in StepId::ALL {
        let status = j.status(step);
        let clock = if ui.flipped.contains(&step) {
            Some("new".to_string())
        } else {
            step_clock(j, ui, step)
        };
        let clock_w = clock.as_ref().map_or(0, |c| c.chars().count() + 1);
        let title_w = width.saturating_sub(2 + clock_w);
        let title = text::truncate(step.title(), title_w, g.ellipsis());
        let pad = title_w.saturating_sub(title.chars().count());
        let mut title_style = match status {
            Status::NotYet => t.dim(),
            Status::Failed => t.bad(),
            Status::WaitingOnYou => t.bold(),
            _ => t.normal(),
        };
        if step == shown {
            title_style = title_style.add_modifier(Modifier::REVERSED);
        }
        let mut spans = vec![
            Span::raw(" "),
            Span::styled(g.status(status), t.status(status)),
            Span::raw(" "),
            Span::styled(format!("{title}{}", " ".repeat(pad)), title_style),
        ];
        if let Some(c) = clock {
            let style = if ui.flipped.contains(&step) {
                t.warn().add_modifier(Modifier::REVERSED)
            } else {
                t.status(status)
            };
            spans.push(Span::raw(" "));
            spans.push(Span::styled(c, style));
        }
        lines.push(Line::from(spans));
    }
    // The legend, when there is room for it.
    let legend: [&[Status]; 3] = [
        &[Status::Done, Status::Running, Status::Failed],
        &[Status::WaitingOnYou],
        &[Status::WaitingOnAws, Status::NotYet],
    ];
    if area.height as usize >= lines.len() + 1 + legend.len() {
        lines.push(Line::default());
        for group in legend {
            let mut spans = vec![Span::raw(" ")];
            for (i, s) in group.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::raw("  "));
                }
                spans.push(Span::styled(g.status(*s), t.status(*s)));
                spans.push(Span::styled(format!(" {}", status_words(*s)), t.dim()));
            }
            lines.push(Line::from(spans));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_notice(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let line = if ui.quitting {
        Line::from(Span::styled(
            " Quitting: everything is saved; run siteup here again to continue.",
            t.bold(),
        ))
    } else if let Some(n) = &j.facts.notice {
        Line::from(vec![
            Span::raw(" "),
            Span::styled(n.clone(), t.info().add_modifier(Modifier::BOLD)),
        ])
    } else {
        Line::default()
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_keys(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let h = hints(ui, j);
    let width = area.width as usize;
    let sep = ui.glyphs.sep();
    let item_len = |(k, l): &(String, String)| k.chars().count() + 1 + l.chars().count();
    // Keep the last two (help, quit) and as many of the first ones as fit.
    let mut chosen: Vec<&(String, String)> = Vec::new();
    let tail = if h.len() > 2 { 2 } else { h.len() };
    let (head, rest) = h.split_at(h.len() - tail);
    let rest_len: usize = rest.iter().map(|i| item_len(i) + sep.len()).sum();
    let mut used = 1 + rest_len;
    for item in head {
        let l = item_len(item) + sep.chars().count();
        if used + l > width {
            break;
        }
        used += l;
        chosen.push(item);
    }
    chosen.extend(rest.iter());
    let mut spans = vec![Span::raw(" ")];
    for (i, (k, l)) in chosen.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(sep, t.dim()));
        }
        spans.push(Span::styled(k.clone(), t.key()));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(l.clone(), t.normal()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A rectangle of at most `w` x `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn popup<'a>(ui: &UiState, title: &'a str, style: Style) -> Block<'a> {
    Block::default()
        .padding(ratatui::widgets::Padding::horizontal(1))
        .borders(Borders::ALL)
        .border_set(ui.glyphs.border())
        .border_style(style)
        .title(Line::from(Span::styled(format!(" {title} "), style)))
}

fn draw_help(frame: &mut Frame, area: Rect, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let g = &ui.glyphs;
    let rect = centered(area, 76, 24);
    frame.render_widget(Clear, rect);
    let block = popup(ui, "Help", t.title());
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let state = |s: Status| {
        vec![
            Span::styled(g.status(s), t.status(s)),
            Span::raw(format!(" {}  ", status_words(s))),
        ]
    };
    let mut lines = Vec::new();
    let mut row = vec![Span::styled("States  ", t.bold())];
    for s in [Status::Done, Status::Running, Status::WaitingOnYou] {
        row.extend(state(s));
    }
    lines.push(Line::from(row));
    let mut row = vec![Span::raw("        ")];
    for s in [Status::WaitingOnAws, Status::Failed, Status::NotYet] {
        row.extend(state(s));
    }
    lines.push(Line::from(row));
    lines.push(Line::from(vec![
        Span::styled("Clocks  ", t.bold()),
        Span::raw("time waiting (checkpoints) or running (terraform); \"new\" marks a step that changed while you looked elsewhere."),
    ]));
    lines.push(Line::default());
    let key_line = |k: &str, l: &str| {
        Line::from(vec![
            Span::styled(format!("  {k:<11}"), t.key()),
            Span::raw(l.to_string()),
        ])
    };
    let mut ui_no_help = ui.clone();
    ui_no_help.help = false;
    let global = ["Tab", "Esc", "?", "q"];
    let here: Vec<(String, String)> = hints(&ui_no_help, j)
        .into_iter()
        .filter(|(k, _)| !global.contains(&k.as_str()))
        .collect();
    if !here.is_empty() {
        lines.push(Line::from(Span::styled("On this pane", t.bold())));
        for (k, l) in here {
            lines.push(key_line(&k, &l));
        }
        lines.push(Line::default());
    }
    lines.push(Line::from(Span::styled("Everywhere", t.bold())));
    lines.push(key_line(
        &format!("Tab {}", g.left_right()),
        "next/previous step (checkpoints keep being checked)",
    ));
    lines.push(key_line("Esc", "back to the current step"));
    lines.push(key_line(
        "Ctrl-C",
        "stop terraform cleanly; twice for options; else quit",
    ));
    lines.push(key_line("Ctrl-Z", "suspend (fg brings siteup back)"));
    lines.push(key_line(
        "q",
        "quit: everything is saved, siteup resumes here",
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_dialog(frame: &mut Frame, area: Rect, d: &Dialog, j: &Journey, ui: &UiState) {
    let t = &ui.theme;
    let (title, style, body): (&str, Style, Vec<Line>) = match d {
        Dialog::ConfirmQuit => (
            "Quit?",
            t.warn(),
            vec![
                Line::from(
                    "Terraform is running. Quitting stops it cleanly: it saves its state and releases the lock, and siteup continues from there next time.",
                ),
                Line::default(),
                Line::from(vec![
                    Span::styled("y", t.key()),
                    Span::raw(" quit   "),
                    Span::styled("n", t.key()),
                    Span::raw(" keep going (default)"),
                ]),
            ],
        ),
        Dialog::ForceKill => (
            "Kill terraform?",
            t.bad(),
            vec![
                Line::from(
                    "Terraform is still stopping cleanly. Killing it now can leave the state lock held and a resource half-created; the next run then has to plan again and may need `terraform force-unlock`.",
                ),
                Line::default(),
                Line::from(vec![
                    Span::styled("y", t.key()),
                    Span::styled(" kill it now   ", t.bad()),
                    Span::styled("n", t.key()),
                    Span::raw(" keep waiting (default)"),
                ]),
            ],
        ),
        Dialog::SubmitSes => (
            "Submit the request?",
            t.warn(),
            vec![
                Line::from(
                    "siteup sends the request text to AWS as your production-access request for SES. AWS reviews it within about a day; you can follow the review here.",
                ),
                Line::default(),
                Line::from(vec![
                    Span::styled("y", t.key()),
                    Span::raw(" submit   "),
                    Span::styled("n", t.key()),
                    Span::raw(" not now (default)"),
                ]),
            ],
        ),
        Dialog::TypedConfirm {
            word,
            input,
            wrong,
            phase,
        } => {
            let dangers = j
                .facts
                .pending_plan
                .as_ref()
                .filter(|(p, _)| p == phase)
                .map(|(_, plan)| plan.dangers.clone())
                .unwrap_or_default();
            let mut body = vec![Line::from(Span::styled(
                "This plan destroys or replaces resources:",
                t.bad(),
            ))];
            for danger in dangers.iter().take(4) {
                body.push(Line::from(vec![
                    Span::raw(format!("{} ", ui.glyphs.bullet())),
                    Span::styled(danger.clone(), t.bad()),
                ]));
            }
            body.push(Line::default());
            body.push(Line::from(vec![
                Span::raw("Type "),
                Span::styled(word.clone(), t.bold()),
                Span::raw(" and press Enter to apply it; Esc cancels."),
            ]));
            body.push(Line::from(vec![
                Span::styled("> ", t.key()),
                Span::styled(input.value().to_string(), t.bold()),
            ]));
            if *wrong {
                body.push(Line::from(Span::styled(
                    format!("That is not \"{DESTROY_WORD}\"; nothing was applied."),
                    t.warn(),
                )));
            }
            ("Destructive plan", t.bad(), body)
        }
    };
    let width = 64.min(area.width.saturating_sub(4)).max(20);
    let inner_w = width.saturating_sub(4).max(1);
    let height: u16 = body
        .iter()
        .map(|l| {
            let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            text::wrap_count(&s, inner_w as usize) as u16
        })
        .sum::<u16>()
        + 2;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = popup(ui, title, style);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(body).wrap(Wrap { trim: false }), inner);
    if let Dialog::TypedConfirm { input, .. } = d {
        // The cursor sits in the typed field: the line before the optional warning.
        let wrong_lines = if matches!(d, Dialog::TypedConfirm { wrong: true, .. }) {
            1
        } else {
            0
        };
        let y = inner.y + inner.height.saturating_sub(1 + wrong_lines);
        let x = inner.x + 2 + input.visual_cursor() as u16;
        let y = y.min(inner.y + inner.height.saturating_sub(1));
        if x < inner.x + inner.width && y < inner.y + inner.height {
            frame.set_cursor_position((x, y));
        }
    }
}
