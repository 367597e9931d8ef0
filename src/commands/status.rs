//! `siteup status [--json]`: every step and checkpoint with its live status (checkpoints are
//! checked now; nothing is changed).

use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::commands::{CommandError, Outcome};
use crate::wizard::{Journey, Mode, Status, StepId};

#[derive(Debug, Serialize)]
pub struct StatusJson {
    pub domain: Option<String>,
    pub done: bool,
    pub steps: Vec<StepJson>,
    pub nameservers: Vec<String>,
    pub outputs: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub struct StepJson {
    pub id: &'static str,
    pub title: &'static str,
    pub state: &'static str,
    pub checkpoint: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

pub fn to_json(j: &Journey, domain: Option<String>) -> StatusJson {
    let rfc = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    };
    StatusJson {
        domain,
        done: j.all_done(),
        steps: StepId::ALL
            .into_iter()
            .map(|s| {
                let st = j.state(s);
                StepJson {
                    id: s.id(),
                    title: s.title(),
                    state: st.status.id(),
                    checkpoint: s.is_checkpoint(),
                    detail: st.detail.clone(),
                    since: st.since.and_then(rfc),
                    lines: j
                        .facts
                        .checks
                        .get(&s)
                        .map(|c| c.lines.clone())
                        .unwrap_or_default(),
                }
            })
            .collect(),
        nameservers: j.facts.nameservers.clone(),
        outputs: j.facts.outputs.clone(),
    }
}

pub fn render_text(j: &Journey) -> String {
    let now = time::OffsetDateTime::now_utc();
    let mut out = String::new();
    for s in StepId::ALL {
        let st = j.state(s);
        let mark = match st.status {
            Status::Done => "[done]",
            Status::Running => "[....]",
            Status::WaitingOnYou => "[you ]",
            Status::WaitingOnAws => "[aws ]",
            Status::Failed => "[FAIL]",
            Status::NotYet => "[    ]",
        };
        let waited = match (st.status.is_waiting(), st.since) {
            (true, Some(since)) => format!(
                " (waiting {})",
                crate::aws::identity::format_duration((now - since).try_into().unwrap_or_default())
            ),
            _ => String::new(),
        };
        out.push_str(&format!("{mark} {}{waited}\n", s.title()));
        if let Some(d) = &st.detail {
            out.push_str(&format!("       {d}\n"));
        }
    }
    out
}

pub async fn run(global: &GlobalArgs, json: bool) -> Result<Outcome, CommandError> {
    // Read-only: it records nothing, so it also works beside a running wizard.
    let session = crate::commands::session::open_read_only(global)?;
    // A damaged siteup.toml is a failure with its sentence, not a journey that waits.
    let domain =
        crate::project::settings::load(session.paths.root())?.map(|s| s.site.domain.to_string());
    let first = session.resume_event();
    // Outputs from the terraform state, when there is one (cheap: no provider is loaded).
    let services = session.services.clone();
    let (mut journey, _stop) =
        crate::commands::up::drive_quiet(session, Mode::StatusOnly, first).await;
    if journey.is_done(StepId::Foundation)
        && let Ok(o) = crate::runtime::Services::read_outputs(services.as_ref()).await
    {
        journey.facts.nameservers = o.nameservers;
        journey.facts.outputs = o.outputs;
    }
    if json {
        let text = serde_json::to_string_pretty(&to_json(&journey, domain))
            .map_err(|e| CommandError::Message(format!("Could not write the status: {e}.")))?;
        println!("{text}");
    } else {
        if let Some(d) = &domain {
            println!("siteup status for {d}\n");
        }
        print!("{}", crate::words::printable(&render_text(&journey)));
        crate::commands::up::print_outputs(&journey);
    }
    Ok(if journey.all_done() {
        Outcome::Done
    } else {
        Outcome::Waiting
    })
}
