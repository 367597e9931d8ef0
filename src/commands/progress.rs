//! Plain progress lines for the headless commands: what changed between two snapshots of the
//! journey, one line each (no escape codes, fit for logs and CI).

use std::collections::BTreeMap;

use crate::wizard::state::RowState;
use crate::wizard::{Journey, Status, StepId};

/// Remembers what was already printed.
#[derive(Default)]
pub struct ProgressPrinter {
    steps: BTreeMap<StepId, (Status, Option<String>)>,
    rows: BTreeMap<String, RowState>,
    notice: Option<String>,
}

impl ProgressPrinter {
    /// The lines describing what changed since the last call.
    pub fn lines(&mut self, j: &Journey) -> Vec<String> {
        let mut out = Vec::new();
        for row in &j.facts.apply.rows {
            let before = self.rows.insert(row.address.clone(), row.state);
            if before == Some(row.state) {
                continue;
            }
            match row.state {
                RowState::Done => out.push(format!(
                    "    done     {} ({})",
                    row.name,
                    crate::terraform::progress::format_elapsed(row.elapsed_secs)
                )),
                RowState::Failed => out.push(format!(
                    "    FAILED   {}: {}",
                    row.name,
                    row.error.clone().unwrap_or_default()
                )),
                RowState::Running if before.is_none() || before == Some(RowState::Pending) => {
                    out.push(format!("    started  {}", row.name));
                }
                _ => {}
            }
        }
        for step in StepId::ALL {
            let st = j.state(step);
            let key = (st.status, st.detail.clone());
            if self.steps.get(&step) == Some(&key) {
                continue;
            }
            let first = !self.steps.contains_key(&step);
            self.steps.insert(step, key);
            if first && st.status == Status::NotYet {
                continue;
            }
            let label = match st.status {
                Status::NotYet => continue,
                Status::Running => "running ",
                Status::WaitingOnYou => "waiting on you",
                Status::WaitingOnAws => "waiting on AWS",
                Status::Done => "done    ",
                Status::Failed => "FAILED  ",
            };
            let detail = st.detail.map(|d| format!(": {d}")).unwrap_or_default();
            out.push(format!("{label}  {}{detail}", step.title()));
        }
        if j.facts.notice != self.notice {
            self.notice = j.facts.notice.clone();
            if let Some(n) = &self.notice {
                out.push(format!("note: {n}"));
            }
        }
        out
    }
}
