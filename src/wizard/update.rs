//! The pure core: `update(journey, event, now) -> effects`.
//!
//! No I/O, no clock, no threads: the runtime runs the effects and feeds their results back as
//! events. Resume is the same code: the runtime starts with [`Event::Resume`] built from the
//! journal, and checkpoints are polled again rather than trusted.

use std::time::Duration;

use time::OffsetDateTime;

use super::actions::Action;
use super::state::{
    ApplyResult, ApplyRows, CheckReport, FileChange, FileChangeKind, Journey, Mode, Phase,
    PhaseStep, PlanFacts, Status, Stop,
};
use super::steps::{StepId, StepKind};
use crate::failure::Failure;

/// What the runtime must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// terraform present and new enough, folder writable.
    Preflight,
    /// List the AWS profiles the SDK sees.
    ListProfiles,
    /// Verify the chosen AWS profile (STS GetCallerIdentity).
    VerifyProfile(String),
    /// Write siteup.toml with the answers from the form.
    SaveSite(Box<crate::site::SiteConfig>),
    /// Write or refresh terraform/ (with the S3 backend once the state is migrated).
    Generate,
    /// `terraform plan -out` for a phase, then the review.
    Plan(Phase),
    /// Apply the approved plan of a phase.
    Apply(Phase),
    /// Write the backend, migrate the local state to S3, verify, remove the local copies.
    MigrateState,
    /// Read terraform outputs (nameservers, ids, URLs).
    ReadOutputs,
    /// Check a checkpoint live, after a delay.
    Check { step: StepId, after: Duration },
    /// Sandbox only: play the human (or AWS's reviewer) for a checkpoint.
    PlayHuman(StepId),
    /// Compose the SES production-access request text.
    ComposeSesRequest,
    /// Submit the SES production-access request (the user confirmed).
    SubmitSesRequest(String),
    /// Send a checkpoint's mail again: the inbox's verification, the alerts' confirmation.
    ResendMail(StepId),
    /// Ask terraform to stop cleanly (SIGINT).
    InterruptTerraform,
    /// Stop terraform at once (SIGKILL), after the user confirmed the risk.
    KillTerraform,
    /// Record a step's new status in the journal.
    Journal {
        step: StepId,
        status: Status,
        detail: Option<String>,
    },
    /// The journey stopped (headless commands exit with it).
    Stop(Stop),
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Start or resume: what the journal recorded for each step, and whether siteup.toml
    /// exists.
    Resume {
        records: Vec<ResumeRecord>,
        site_answered: bool,
        state_migrated: bool,
        /// The preselected profile (flag, AWS_PROFILE, siteup.toml, or the sandbox's).
        profile: Option<String>,
        sandbox: bool,
    },
    PreflightDone(Result<(), Failure>),
    ProfilesListed(Vec<crate::aws::ProfileInfo>),
    /// A profile was chosen (picker, flag, AWS_PROFILE or siteup.toml).
    ProfileChosen(String),
    ProfileVerified(Result<ProfileFacts, Failure>),
    /// The user completed the site form.
    SubmitSite(Box<crate::site::SiteConfig>),
    /// siteup.toml holds the answers (written now, or found at start).
    SiteAnswered,
    SiteSaveFailed(Failure),
    Generated(Result<Vec<FileChange>, Failure>),
    PlanReady {
        phase: Phase,
        plan: PlanFacts,
    },
    PlanFailed {
        phase: Phase,
        error: Failure,
    },
    /// The user's decision on the pending plan.
    PlanDecision {
        phase: Phase,
        approve: bool,
    },
    /// Per-resource progress of the running apply.
    ApplyProgress(ApplyRows),
    ApplyFinished {
        phase: Phase,
        result: ApplyResult,
    },
    StateMigrated(Result<(), Failure>),
    OutputsRead(Result<OutputFacts, Failure>),
    Checked {
        step: StepId,
        report: CheckReport,
    },
    HumanPlayed {
        step: StepId,
        result: Result<(), Failure>,
    },
    /// The user asked to check a checkpoint now.
    CheckNow(StepId),
    /// Sandbox: the user asked the sandbox to play the human for a checkpoint.
    PlayHuman(StepId),
    SesRequestComposed(Result<String, Failure>),
    /// The user edited the request text.
    EditSesRequest(String),
    /// The user confirmed submitting the request.
    SubmitSesRequest,
    SesRequestSubmitted(Result<String, Failure>),
    ResendMail(StepId),
    Resent(StepId, Result<(), Failure>),
    /// Ctrl-C during terraform: stop it cleanly.
    Interrupt,
    /// The user confirmed killing terraform after the warning.
    ForceKill,
    /// A message for the status line.
    Notice(String),
    /// The user asked to retry a failed step.
    Retry(StepId),
    Quit,
}

/// One journal record at resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeRecord {
    pub step: StepId,
    pub status: Status,
    pub since: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFacts {
    pub identity: String,
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputFacts {
    pub nameservers: Vec<String>,
    pub zone_id: Option<String>,
    pub outputs: std::collections::BTreeMap<String, String>,
}

/// A checkpoint is first checked at once.
pub const FIRST_CHECK: Duration = Duration::ZERO;

/// When a waiting checkpoint is checked again: fast at first (the user has just acted), each
/// delay half again as long as the one before, up to a ceiling. The core counts the re-checks
/// of each checkpoint ([`Journey::check_attempts`]); "check now" starts the count again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckSchedule {
    /// The delay before the first re-check.
    pub first: Duration,
    /// Growth factor per re-check (1 or more).
    pub factor: f64,
    /// The longest delay.
    pub ceiling: Duration,
}

/// 5 s, 7.5 s, 11 s, 17 s, 25 s, 38 s, 57 s, then every 60 s.
pub const CHECK_SCHEDULE: CheckSchedule = CheckSchedule {
    first: Duration::from_secs(5),
    factor: 1.5,
    ceiling: Duration::from_secs(60),
};

/// How many times `up` re-checks the edge before it stops waiting: on [`CHECK_SCHEDULE`],
/// about 40 minutes, longer than CloudFront's deployments take.
pub const HEADLESS_EDGE_CHECKS: u32 = 45;

/// The sandbox plays the human at once, so its checkpoints are re-checked on a short fixed
/// delay.
pub const SANDBOX_RECHECK: Duration = Duration::from_secs(2);

impl CheckSchedule {
    /// The delay before re-check number `attempt` (0 for the first), at most the ceiling.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let exponent = i32::try_from(attempt.min(64)).unwrap_or(64);
        let secs = self.first.as_secs_f64() * factor.powi(exponent);
        if !secs.is_finite() || secs >= self.ceiling.as_secs_f64() {
            return self.ceiling;
        }
        Duration::from_secs_f64(secs)
    }
}

/// Applies one event and returns the effects to run.
pub fn update(j: &mut Journey, event: Event, now: OffsetDateTime) -> Vec<Effect> {
    let mut fx = Vec::new();
    if j.stop.is_some() {
        return fx;
    }
    match event {
        Event::Resume {
            records,
            site_answered,
            state_migrated,
            profile,
            sandbox,
        } => {
            j.facts.state_migrated = state_migrated;
            j.facts.profile = profile;
            j.facts.sandbox = sandbox;
            for r in records {
                let st = j.steps.entry(r.step).or_default();
                st.since = r.since;
                // Trust the journal for terraform phases that finished and for generation;
                // checkpoints are polled again, preflight and the profile are re-verified.
                // The stack phase is planned again on every run: a plan with no changes is
                // quick, and it brings back whatever drifted since (the state is the truth).
                let trusted = matches!(r.step, StepId::State | StepId::Foundation)
                    && r.status == Status::Done;
                if trusted {
                    st.status = Status::Done;
                    st.finished_at = r.finished_at;
                } else if j.mode == Mode::StatusOnly && !r.step.is_checkpoint() {
                    // `siteup status` reports what the journal recorded for the steps it does
                    // not re-run.
                    st.status = r.status;
                    st.finished_at = r.finished_at;
                    st.detail = r.detail.clone();
                } else if r.step.is_checkpoint() && r.status != Status::NotYet {
                    // Keep the waiting time; the status comes from the next live check.
                    st.status = Status::NotYet;
                    st.detail = r.detail;
                }
            }
            if site_answered {
                set(j, &mut fx, StepId::Site, Status::Done, None, now);
            }
            // The nameservers and outputs of applied phases are not in the journal: read them
            // again so the resumed wizard shows them, holding terraform back meanwhile (no step
            // is running, so the outputs complete no step).
            if j.mode == Mode::Interactive && j.is_done(StepId::Foundation) && j.busy.is_none() {
                j.busy = Some(StepId::Foundation);
                fx.push(Effect::ReadOutputs);
            }
        }
        Event::PreflightDone(r) => finish_auto(j, &mut fx, StepId::Preflight, r, now),
        Event::ProfilesListed(list) => {
            j.facts.profiles = list;
            return fx;
        }
        Event::ProfileChosen(name) => {
            j.facts.profile = Some(name);
            if j.status(StepId::Profile) != Status::Running {
                set(j, &mut fx, StepId::Profile, Status::NotYet, None, now);
            }
        }
        Event::SubmitSite(config) => {
            // New answers regenerate the files a running terraform reads: they wait for it.
            if j.busy.is_some() {
                j.facts.notice = Some(
                    "Your answers can change once terraform finishes; change them then.".into(),
                );
            } else {
                fx.push(Effect::SaveSite(config));
            }
            return fx;
        }
        Event::SiteSaveFailed(e) => {
            j.facts.notice = Some(e.to_string());
            return fx;
        }
        Event::ProfileVerified(r) => {
            let r = r.map(|p| {
                j.facts.identity = Some(p.identity);
                j.facts.identity_warning = p.warning;
            });
            finish_auto(j, &mut fx, StepId::Profile, r, now);
        }
        Event::SiteAnswered => {
            set(j, &mut fx, StepId::Site, Status::Done, None, now);
            // New answers mean new files.
            if j.is_done(StepId::Generate) {
                set(j, &mut fx, StepId::Generate, Status::NotYet, None, now);
            }
        }
        Event::Generated(r) => {
            let r = r.map(|files| {
                let kept = files.iter().filter(|f| f.change == FileChangeKind::Kept).count();
                if kept > 0 {
                    j.facts.notice = Some(format!(
                        "{} you edited {} kept; run `siteup generate --force` to overwrite your edits",
                        crate::words::counted(kept, "file", "files"),
                        if kept == 1 { "was" } else { "were" }
                    ));
                }
                j.facts.files = files;
            });
            finish_auto(j, &mut fx, StepId::Generate, r, now);
        }
        Event::PlanReady { phase, plan } => {
            j.busy = None;
            let step = phase.step();
            if plan.has_changes() {
                let auto = match j.mode {
                    Mode::Headless { yes } => yes && !plan.is_destructive(),
                    Mode::AutoSandbox => !plan.is_destructive(),
                    Mode::Interactive | Mode::StatusOnly => false,
                };
                let summary = plan.summary();
                if auto {
                    j.busy = Some(step);
                    set(
                        j,
                        &mut fx,
                        step,
                        Status::Running,
                        Some(format!("applying: {summary}")),
                        now,
                    );
                    fx.push(Effect::Apply(phase));
                } else if matches!(j.mode, Mode::Interactive) {
                    set(
                        j,
                        &mut fx,
                        step,
                        Status::WaitingOnYou,
                        Some(format!("review the plan: {summary}")),
                        now,
                    );
                    j.facts.pending_plan = Some((phase, plan));
                } else {
                    let why = if plan.is_destructive() {
                        format!(
                            "The plan for {} destroys or replaces resources ({}); run `siteup` to review it, nothing was applied.",
                            step.title().to_lowercase(),
                            plan.dangers.join("; ")
                        )
                    } else {
                        format!(
                            "The plan for {} is ready ({summary}); run `siteup up --yes` to apply it or `siteup` to review it.",
                            step.title().to_lowercase()
                        )
                    };
                    set(
                        j,
                        &mut fx,
                        step,
                        Status::WaitingOnYou,
                        Some(why.clone()),
                        now,
                    );
                    j.facts.pending_plan = Some((phase, plan));
                    stop(j, &mut fx, Stop::Waiting(why));
                    return fx;
                }
            } else {
                j.facts.pending_plan = None;
                after_apply(j, &mut fx, phase, now);
            }
        }
        Event::PlanFailed { phase, error } => {
            j.busy = None;
            fail(j, &mut fx, phase.step(), &error, now);
        }
        Event::PlanDecision { phase, approve } => {
            let decision = if approve {
                Action::ApprovePlan
            } else {
                Action::DeclinePlan
            };
            if j.offers(phase.step(), decision) {
                j.facts.pending_plan = None;
                let step = phase.step();
                if approve {
                    j.busy = Some(step);
                    set(
                        j,
                        &mut fx,
                        step,
                        Status::Running,
                        Some("applying".into()),
                        now,
                    );
                    fx.push(Effect::Apply(phase));
                } else {
                    set(
                        j,
                        &mut fx,
                        step,
                        Status::WaitingOnYou,
                        Some("plan declined: nothing was applied; press r to plan again".into()),
                        now,
                    );
                }
            }
        }
        Event::ApplyProgress(rows) => {
            j.facts.apply = rows;
            return fx;
        }
        Event::ApplyFinished { phase, result } => {
            j.busy = None;
            let step = phase.step();
            match result {
                ApplyResult::Applied => after_apply(j, &mut fx, phase, now),
                ApplyResult::Failed(e) => fail(j, &mut fx, step, &e, now),
                ApplyResult::Interrupted => {
                    set(
                        j,
                        &mut fx,
                        step,
                        Status::Failed,
                        Some(
                            "interrupted: terraform saved its state and released the lock; retry to finish"
                                .into(),
                        ),
                        now,
                    );
                    // Headless runs end here; the wizard stays open (retry with r), unless the
                    // user asked to quit, which `schedule` handles now that terraform is done.
                    if j.mode != Mode::Interactive && !j.quit_requested {
                        stop(j, &mut fx, Stop::Quit);
                        return fx;
                    }
                }
            }
        }
        Event::StateMigrated(r) => {
            j.busy = None;
            if r.is_ok() {
                j.facts.state_migrated = true;
            }
            finish_auto(j, &mut fx, StepId::State, r, now);
        }
        Event::OutputsRead(r) => {
            j.busy = None;
            let step = j
                .steps
                .iter()
                .find(|(s, st)| s.runs_terraform() && st.status == Status::Running)
                .map(|(s, _)| *s);
            match r {
                Ok(o) => {
                    if !o.nameservers.is_empty() {
                        j.facts.nameservers = o.nameservers;
                    }
                    if o.zone_id.is_some() {
                        j.facts.zone_id = o.zone_id;
                    }
                    j.facts.outputs = o.outputs;
                    if let Some(step) = step {
                        set(j, &mut fx, step, Status::Done, None, now);
                    }
                }
                Err(e) => match step {
                    Some(step) => fail(j, &mut fx, step, &e, now),
                    // The re-read on resume: no step to fail, so the user reads why here.
                    None => {
                        j.facts.notice = Some(format!(
                            "{e} The nameservers and URLs show once the Terraform outputs can be read."
                        ));
                    }
                },
            }
        }
        Event::Checked { step, report } => {
            j.checks_in_flight.remove(&step);
            // AWS gave up waiting (more than 72 hours at the registrar): the step that created
            // what it gave up on runs again, and its plan replaces it.
            if let Some(again) = report.reopen
                && !report.satisfied
                && j.status(again) == Status::Done
                && j.reopened.insert(again)
            {
                set(
                    j,
                    &mut fx,
                    again,
                    Status::NotYet,
                    Some(format!("runs again: {}", report.headline)),
                    now,
                );
            }
            let status = if report.satisfied {
                Status::Done
            } else {
                match report.waiting_on {
                    StepKind::Aws => Status::WaitingOnAws,
                    _ => Status::WaitingOnYou,
                }
            };
            let detail = if report.satisfied {
                None
            } else {
                Some(report.headline.clone())
            };
            j.facts.checks.insert(step, report);
            if status == Status::Done {
                j.check_attempts.remove(&step);
            }
            set(j, &mut fx, step, status, detail, now);
            if step == StepId::SesProduction
                && status.is_waiting()
                && j.facts.ses_request.is_none()
                && j.mode == Mode::Interactive
            {
                fx.push(Effect::ComposeSesRequest);
            }
            if status.is_waiting() {
                match j.mode {
                    Mode::Interactive => {
                        let attempt = j.check_attempts.entry(step).or_insert(0);
                        let after = CHECK_SCHEDULE.delay(*attempt);
                        *attempt = attempt.saturating_add(1);
                        j.checks_in_flight.insert(step);
                        fx.push(Effect::Check { step, after });
                    }
                    Mode::AutoSandbox => {
                        if status == Status::WaitingOnYou && j.played.insert(step) {
                            fx.push(Effect::PlayHuman(step));
                        } else if status == Status::WaitingOnAws
                            && step == StepId::SesProduction
                            && j.played.insert(step)
                        {
                            // The sandbox plays AWS's reviewer too.
                            fx.push(Effect::PlayHuman(step));
                        }
                        j.checks_in_flight.insert(step);
                        fx.push(Effect::Check {
                            step,
                            after: SANDBOX_RECHECK,
                        });
                    }
                    // `up` follows the edge's deployment to the end, as the apply's waiter used
                    // to: AWS finishes it within minutes. A bounded number of re-checks, so a
                    // site that never answers (records pointing elsewhere) still stops.
                    Mode::Headless { .. }
                        if step == StepId::Edge && status == Status::WaitingOnAws =>
                    {
                        let attempt = j.check_attempts.entry(step).or_insert(0);
                        if *attempt < HEADLESS_EDGE_CHECKS {
                            let after = CHECK_SCHEDULE.delay(*attempt);
                            *attempt = attempt.saturating_add(1);
                            j.checks_in_flight.insert(step);
                            fx.push(Effect::Check { step, after });
                        }
                    }
                    Mode::Headless { .. } | Mode::StatusOnly => {}
                }
            }
        }
        Event::HumanPlayed { step, result } => match result {
            Err(e) => fail(j, &mut fx, step, &e, now),
            // Interactive: look at once, so the verdict flips without waiting for the next
            // poll (the sandbox's registrar and inbox act instantly).
            Ok(()) if j.mode == Mode::Interactive && step.is_checkpoint() && j.ready(step) => {
                j.check_attempts.remove(&step);
                j.checks_in_flight.insert(step);
                fx.push(Effect::Check {
                    step,
                    after: Duration::ZERO,
                });
            }
            Ok(()) => {}
        },
        Event::CheckNow(step) => {
            if j.offers(step, Action::CheckNow) {
                // The user just acted: back to fast re-checks.
                j.check_attempts.remove(&step);
                j.checks_in_flight.insert(step);
                fx.push(Effect::Check {
                    step,
                    after: Duration::ZERO,
                });
            }
        }
        Event::Retry(step) => {
            if j.offers(step, Action::Retry) {
                set(j, &mut fx, step, Status::NotYet, None, now);
            }
        }
        Event::PlayHuman(step) => {
            if j.offers(step, Action::Play) {
                fx.push(Effect::PlayHuman(step));
            }
            return fx;
        }
        Event::SesRequestComposed(r) => {
            match r {
                Ok(text) => {
                    if j.facts.ses_request.is_none() {
                        j.facts.ses_request = Some(text);
                    }
                }
                Err(e) => j.facts.notice = Some(e.to_string()),
            }
            return fx;
        }
        Event::EditSesRequest(text) => {
            if j.offers(StepId::SesProduction, Action::EditSesRequest) {
                j.facts.ses_request = Some(text);
            }
            return fx;
        }
        Event::SubmitSesRequest => {
            if let Some(text) = j.facts.ses_request.clone()
                && j.offers(StepId::SesProduction, Action::SubmitSesRequest)
            {
                fx.push(Effect::SubmitSesRequest(text));
            }
            return fx;
        }
        Event::SesRequestSubmitted(r) => {
            j.facts.notice = Some(match r {
                Ok(msg) => msg,
                Err(e) => e.to_string(),
            });
            j.check_attempts.remove(&StepId::SesProduction);
            j.checks_in_flight.insert(StepId::SesProduction);
            fx.push(Effect::Check {
                step: StepId::SesProduction,
                after: Duration::ZERO,
            });
            return fx;
        }
        Event::ResendMail(step) => {
            if j.offers(step, Action::ResendMail) {
                fx.push(Effect::ResendMail(step));
            }
            return fx;
        }
        Event::Resent(step, r) => {
            j.facts.notice = Some(match r {
                Ok(()) if step == StepId::Alerts => {
                    "AWS sent the confirmation mail again; open it and click its link.".into()
                }
                Ok(()) => "The verification mail was sent again; check the inbox.".into(),
                Err(e) => e.to_string(),
            });
            return fx;
        }
        Event::Interrupt => {
            if j.busy.is_some() {
                j.facts.notice = Some(
                    "Stopping terraform cleanly: it saves its state and releases the lock (press Ctrl-C again for options)."
                        .into(),
                );
                fx.push(Effect::InterruptTerraform);
            }
            return fx;
        }
        Event::ForceKill => {
            if j.busy.is_some() {
                fx.push(Effect::KillTerraform);
            }
            return fx;
        }
        Event::Notice(text) => {
            j.facts.notice = Some(text);
            return fx;
        }
        Event::Quit => {
            if j.busy.is_some() {
                // terraform is working: stop it cleanly first; the journey stops once it has
                // saved its state and released the lock.
                j.quit_requested = true;
                j.facts.notice = Some(
                    "Quitting: terraform is stopping cleanly (it saves its state and releases the lock)."
                        .into(),
                );
                fx.push(Effect::InterruptTerraform);
                return fx;
            }
            stop(j, &mut fx, Stop::Quit);
            return fx;
        }
    }
    schedule(j, &mut fx, now);
    fx
}

/// Starts everything that can start now, and stops the journey when nothing more can happen.
fn schedule(j: &mut Journey, fx: &mut Vec<Effect>, now: OffsetDateTime) {
    if j.stop.is_some() {
        return;
    }
    if j.quit_requested {
        if j.busy.is_none() {
            stop(j, fx, Stop::Quit);
        }
        return;
    }
    let status_only = j.mode == Mode::StatusOnly;
    for step in StepId::ALL {
        if j.status(step) != Status::NotYet || !j.ready(step) {
            continue;
        }
        if step.is_checkpoint() {
            if j.checks_in_flight.insert(step) {
                fx.push(Effect::Check {
                    step,
                    after: FIRST_CHECK,
                });
            }
            continue;
        }
        if status_only && step != StepId::Done {
            continue;
        }
        match step {
            StepId::Preflight => {
                set(j, fx, step, Status::Running, None, now);
                fx.push(Effect::Preflight);
            }
            StepId::Profile => match j.facts.profile.clone() {
                Some(name) => {
                    set(j, fx, step, Status::Running, Some(format!("verifying {name}")), now);
                    fx.push(Effect::VerifyProfile(name));
                }
                None if j.mode == Mode::Interactive => {
                    set(
                        j,
                        fx,
                        step,
                        Status::WaitingOnYou,
                        Some("choose the AWS profile to use".into()),
                        now,
                    );
                    fx.push(Effect::ListProfiles);
                }
                None => set(
                    j,
                    fx,
                    step,
                    Status::Failed,
                    Some(
                        "No AWS profile is chosen; pass --profile NAME or set AWS_PROFILE (run `siteup doctor` to list them)."
                            .into(),
                    ),
                    now,
                ),
            },
            StepId::Site => {
                if j.mode == Mode::Interactive {
                    set(
                        j,
                        fx,
                        step,
                        Status::WaitingOnYou,
                        Some("answer the site questions".into()),
                        now,
                    );
                } else {
                    set(
                        j,
                        fx,
                        step,
                        Status::Failed,
                        Some(
                            "There is no siteup.toml here; run `siteup` for the wizard or `siteup generate --domain example.com` first."
                                .into(),
                        ),
                        now,
                    );
                }
            }
            StepId::Generate => {
                set(j, fx, step, Status::Running, None, now);
                fx.push(Effect::Generate);
            }
            // The state moves to S3 right after the foundation apply created its bucket.
            StepId::State if j.facts.state_migrated => {
                set(j, fx, step, Status::Done, None, now);
            }
            StepId::State if j.busy.is_none() => {
                j.busy = Some(step);
                set(
                    j,
                    fx,
                    step,
                    Status::Running,
                    Some("moving the state to S3".into()),
                    now,
                );
                fx.push(Effect::MigrateState);
            }
            StepId::Foundation | StepId::Stack if j.busy.is_none() => {
                let phase = Phase::of_step(step).unwrap_or(Phase::Full);
                j.busy = Some(step);
                set(j, fx, step, Status::Running, Some("planning".into()), now);
                fx.push(Effect::Plan(phase));
            }
            StepId::Done => {
                set(j, fx, step, Status::Done, None, now);
            }
            _ => {}
        }
    }
    // Stop when nothing is running and nothing more can start.
    if j.all_done() {
        if j.mode != Mode::Interactive {
            stop(j, fx, Stop::Done);
        }
        return;
    }
    // In status mode nothing runs here: a step at Running came from the journal (a killed
    // siteup left it) and is not waited for.
    let anything_running = j.busy.is_some()
        || (!status_only && j.steps.values().any(|s| s.status == Status::Running))
        || (!j.checks_in_flight.is_empty() && j.mode != Mode::Interactive)
        || fx.iter().any(|e| !matches!(e, Effect::Journal { .. }));
    if anything_running || j.mode == Mode::Interactive {
        return;
    }
    if let Some((step, st)) = j.steps.iter().find(|(_, s)| s.status == Status::Failed) {
        let msg = st
            .detail
            .clone()
            .unwrap_or_else(|| format!("{} failed.", step.title()));
        stop(j, fx, Stop::Failed(msg));
        return;
    }
    if j.mode == Mode::StatusOnly {
        stop(j, fx, Stop::Waiting(waiting_message(j)));
        return;
    }
    stop(j, fx, Stop::Waiting(waiting_message(j)));
}

/// What the journey waits on, in one message naming each waiting step.
pub fn waiting_message(j: &Journey) -> String {
    let waits: Vec<String> = StepId::ALL
        .into_iter()
        .filter(|s| j.status(*s).is_waiting())
        .map(|s| {
            let detail = j.state(s).detail.unwrap_or_else(|| "waiting".to_string());
            format!("{}: {}", s.title(), detail)
        })
        .collect();
    if waits.is_empty() {
        "Nothing more can run now; run `siteup status` to see why.".into()
    } else {
        waits.join("\n")
    }
}

fn after_apply(j: &mut Journey, fx: &mut Vec<Effect>, phase: Phase, now: OffsetDateTime) {
    let step = phase.step();
    j.busy = Some(step);
    set(
        j,
        fx,
        step,
        Status::Running,
        Some("reading outputs".into()),
        now,
    );
    fx.push(Effect::ReadOutputs);
}

fn finish_auto(
    j: &mut Journey,
    fx: &mut Vec<Effect>,
    step: StepId,
    r: Result<(), Failure>,
    now: OffsetDateTime,
) {
    match r {
        Ok(()) => set(j, fx, step, Status::Done, None, now),
        Err(e) => fail(j, fx, step, &e, now),
    }
}

/// Marks a step failed; its detail is the failure's sentence.
fn fail(
    j: &mut Journey,
    fx: &mut Vec<Effect>,
    step: StepId,
    failure: &Failure,
    now: OffsetDateTime,
) {
    set(j, fx, step, Status::Failed, Some(failure.to_string()), now);
}

fn stop(j: &mut Journey, fx: &mut Vec<Effect>, s: Stop) {
    j.stop = Some(s.clone());
    fx.push(Effect::Stop(s));
}

/// Changes a step's status, keeping `since` for waits, and records it in the journal.
fn set(
    j: &mut Journey,
    fx: &mut Vec<Effect>,
    step: StepId,
    status: Status,
    detail: Option<String>,
    now: OffsetDateTime,
) {
    let st = j.steps.entry(step).or_default();
    let changed = st.status != status || st.detail != detail;
    // A wait keeps its start time across re-checks and resumes; a new run starts now.
    let keep_since = st.since.is_some()
        && (status.is_waiting() && (st.status.is_waiting() || st.status == Status::NotYet)
            || status == st.status);
    if !keep_since && status != Status::NotYet && status != Status::Done {
        st.since = Some(now);
    }
    if status == Status::Done && st.status != Status::Done {
        st.finished_at = Some(now);
    }
    st.status = status;
    st.detail = detail.clone();
    if changed {
        fx.push(Effect::Journal {
            step,
            status,
            detail,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::wizard::state::PlanFacts;

    #[test]
    fn a_plan_that_only_forgets_is_a_change_and_says_so() {
        let p = PlanFacts {
            forget: 2,
            ..PlanFacts::default()
        };
        assert!(p.has_changes());
        assert_eq!(p.summary(), "2 to forget (kept in AWS)");
        assert_eq!(PlanFacts::default().summary(), "no changes");
        let adopt = PlanFacts {
            import: 1,
            create: 2,
            ..PlanFacts::default()
        };
        assert_eq!(adopt.summary(), "2 to create, 1 to adopt");
    }
}
