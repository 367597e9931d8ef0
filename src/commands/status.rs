//! `siteup status [--json]`: every step and checkpoint with its live status (checkpoints are
//! checked now; nothing is changed).

use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::commands::{CommandError, Outcome};
use crate::project::journal::is_interrupted;
use crate::wizard::{Event, Journey, Mode, Status, StepId};

#[derive(Debug, Serialize)]
pub struct StatusJson {
    pub domain: Option<String>,
    pub done: bool,
    pub steps: Vec<StepJson>,
    pub nameservers: Vec<String>,
    pub outputs: std::collections::BTreeMap<String, String>,
    /// The guardrails read live (subscriptions, alarms, budget), once the foundation is applied
    /// and while they are on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<crate::aws::GuardrailsStatus>,
    /// `siteup destroy` tore the stack down (or is tearing it down) and no rebuild has reached
    /// done since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torn_down: Option<TornDownJson>,
}

#[derive(Debug, Serialize)]
pub struct TornDownJson {
    /// The teardown finished (otherwise `siteup destroy` continues it).
    pub finished: bool,
    pub started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// The resources it kept, by address.
    pub kept: Vec<String>,
}

impl TornDownJson {
    fn of(t: &crate::project::teardown::Teardown) -> Self {
        TornDownJson {
            finished: t.is_done(),
            started_at: t.started_at.clone(),
            finished_at: t.finished_at.clone(),
            kept: t.kept.iter().map(|k| k.address.clone()).collect(),
        }
    }

    fn line(&self) -> String {
        if self.finished {
            format!(
                "Torn down by `siteup destroy` at {} ({} kept); `siteup up` rebuilds it from your answers.",
                self.finished_at.as_deref().unwrap_or(&self.started_at),
                crate::words::counted(self.kept.len(), "resource", "resources")
            )
        } else {
            format!(
                "A teardown started at {} has not finished; run `siteup destroy` to continue it.",
                self.started_at
            )
        }
    }
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
    /// The step was cut short (siteup stopped mid-step); it runs again on the next `siteup up`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// The checkpoint could not be checked (AWS or DNS did not answer); `detail` says why.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unchecked: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

pub fn to_json(
    j: &Journey,
    domain: Option<String>,
    guardrails: Option<crate::aws::GuardrailsStatus>,
    torn_down: Option<TornDownJson>,
) -> StatusJson {
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
                    interrupted: st.status == Status::Failed
                        && is_interrupted(st.detail.as_deref()),
                    unchecked: j.could_not_check(s).is_some(),
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
        guardrails,
        torn_down,
    }
}

pub fn render_text(j: &Journey) -> String {
    let now = time::OffsetDateTime::now_utc();
    let mut out = String::new();
    for s in StepId::ALL {
        let st = j.state(s);
        let mark = match st.status {
            _ if j.could_not_check(s).is_some() => "[????]",
            Status::Done => "[done]",
            Status::Running => "[....]",
            Status::WaitingOnYou => "[you ]",
            Status::WaitingOnAws => "[aws ]",
            Status::Failed if is_interrupted(st.detail.as_deref()) => "[stop]",
            Status::Failed => "[FAIL]",
            Status::NotYet => "[    ]",
        };
        let waited = match (st.status.is_waiting(), st.since) {
            (true, Some(since)) => format!(
                " (waiting {})",
                crate::words::duration(
                    (now - since).try_into().unwrap_or_default(),
                    crate::words::DurationStyle::Wait
                )
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

/// Takes the steps recorded as running, or as interrupted, out of the resume event (they become
/// "not yet" for the core, which would otherwise wait for a running one to end): each step with
/// its recorded detail.
fn take_running(first: &mut Event) -> Vec<(StepId, Option<String>)> {
    let Event::Resume { records, .. } = first else {
        return Vec::new();
    };
    records
        .iter_mut()
        .filter(|r| {
            !r.step.is_checkpoint()
                && (r.status == Status::Running
                    || (r.status == Status::Failed && is_interrupted(r.detail.as_deref())))
        })
        .map(|r| {
            r.status = Status::NotYet;
            (r.step, r.detail.take())
        })
        .collect()
}

pub async fn run(global: &GlobalArgs, json: bool) -> Result<Outcome, CommandError> {
    // Read-only: it records nothing, so it also works beside a running wizard.
    let session = crate::commands::session::open_read_only(global)?;
    // A damaged siteup.toml is a failure with its sentence, not a journey that waits.
    let domain = session.site()?.map(|s| s.site.domain.to_string());
    let mut first = session.resume_event();
    // A step the journal records as `running` is not waited for: either someone is working on
    // it now, or it was interrupted (siteup was killed mid-step).
    let running = take_running(&mut first);
    let working = if running.is_empty() {
        None
    } else {
        crate::commands::session::work_in_progress(&session.paths)
    };
    // Outputs from the terraform state, when there is one (cheap: no provider is loaded), read
    // before the checks so that the edge's check finds the distribution in them (one run).
    let terraform = session.live.terraform.clone();
    let foundation_recorded = matches!(&first, Event::Resume { records, .. }
        if records.iter().any(|r| r.step == StepId::Foundation && r.status == Status::Done));
    let outputs = if foundation_recorded {
        crate::effects::TerraformJobs::read_outputs(terraform.as_ref())
            .await
            .ok()
    } else {
        None
    };
    let teardown = crate::project::teardown::Teardown::load(&session.paths.state_dir())
        .map_err(crate::failure::Failure::from)?;
    let aws = session.live.aws.clone();
    let guardrails_on = matches!(session.site(), Ok(Some(s)) if s.guardrails.on);
    let (mut journey, _stop) =
        crate::commands::up::drive_quiet(session, Mode::StatusOnly, first).await;
    // The guardrails as AWS has them; a read that fails leaves them out (the alerts step's
    // check already says why).
    let guardrails = if guardrails_on && journey.is_done(StepId::Foundation) {
        aws.guardrails().await.ok()
    } else {
        None
    };
    for (step, detail) in running {
        let st = journey.steps.entry(step).or_default();
        let recorded_interrupted = is_interrupted(detail.as_deref());
        match &working {
            Some(who) => {
                st.status = Status::Running;
                st.detail = Some(match detail {
                    Some(d) if !recorded_interrupted => format!("{d}; {who}"),
                    _ => who.clone(),
                });
            }
            // A step recorded as interrupted (siteup was stopped by a signal) says how.
            None if recorded_interrupted => {
                st.status = Status::Failed;
                st.detail = detail;
            }
            None => {
                st.status = Status::Failed;
                st.detail = Some(format!(
                    "{}: siteup stopped before this step finished and nothing is working on it now; run `siteup up` (or `siteup`) here to continue",
                    crate::project::journal::INTERRUPTED
                ));
            }
        }
    }
    if journey.is_done(StepId::Foundation)
        && let Some(o) = outputs
    {
        journey.facts.nameservers = o.nameservers;
        journey.facts.outputs = o.outputs;
    }
    let torn_down = teardown
        .as_ref()
        .filter(|_| !journey.all_done())
        .map(TornDownJson::of);
    if json {
        let text = serde_json::to_string_pretty(&to_json(&journey, domain, guardrails, torn_down))
            .map_err(|e| CommandError::Message(format!("Could not write the status: {e}.")))?;
        println!("{text}");
    } else {
        if let Some(d) = &domain {
            println!("siteup status for {d}\n");
        }
        if let Some(t) = &torn_down {
            println!("{}\n", t.line());
        }
        print!("{}", crate::words::printable(&render_text(&journey)));
        if let Some(g) = &guardrails {
            println!("\nGuardrails:");
            if let Some(s) = &g.subscriptions {
                println!("  {}", crate::words::printable(&s.headline()));
            }
            for line in g.lines() {
                println!("  {}", crate::words::printable(&line));
            }
        }
        crate::commands::up::print_outputs(&journey);
    }
    // Offline is not "waiting on you": a checkpoint that could not be checked fails status
    // with the reason (what was printed above shows which).
    if let Some(failure) = crate::commands::unchecked_failure(&journey) {
        return Err(failure);
    }
    Ok(if journey.all_done() {
        Outcome::Done
    } else {
        Outcome::Waiting
    })
}
