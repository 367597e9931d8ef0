//! The pure journey core driven by a simulated world: no terraform, no AWS, no DNS, no clock.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use std::collections::BTreeSet;

use siteup::wizard::state::{ApplyResult, CheckReport, PlanFacts};
use siteup::wizard::update::{OutputFacts, ProfileFacts, ResumeRecord};
use siteup::wizard::{Effect, Event, Journey, Mode, Phase, Status, StepId, StepKind, Stop, update};
use time::OffsetDateTime;

/// A world where each checkpoint is satisfied or not, and plans have a given shape.
struct World {
    delegated: bool,
    domain_verified: bool,
    address_verified: bool,
    alerts_confirmed: bool,
    production: bool,
    destructive_full_plan: bool,
    /// AWS does not answer: every check comes back unchecked.
    offline: bool,
    applies: Vec<Phase>,
    plans: Vec<Phase>,
    /// Every terraform run asked for, in order: `plan foundation`, `apply full`, `migrate`.
    runs: Vec<String>,
    played: BTreeSet<StepId>,
    /// How many checks of the edge find CloudFront still deploying before the site answers
    /// (`u32::MAX`: it never answers).
    edge_deploying_checks: u32,
    /// The edge's checks so far.
    edge_checks: u32,
}

impl World {
    fn new() -> Self {
        Self {
            delegated: false,
            domain_verified: false,
            address_verified: false,
            alerts_confirmed: false,
            production: false,
            destructive_full_plan: false,
            offline: false,
            applies: vec![],
            plans: vec![],
            runs: vec![],
            played: BTreeSet::new(),
            edge_deploying_checks: 1,
            edge_checks: 0,
        }
    }

    /// A world where every person and AWS has done their part: delegated, verified, granted.
    fn everyone_done() -> Self {
        Self {
            delegated: true,
            domain_verified: true,
            address_verified: true,
            alerts_confirmed: true,
            production: true,
            ..Self::new()
        }
    }

    fn answer(&mut self, effect: &Effect) -> Option<Event> {
        Some(match effect {
            Effect::Preflight => Event::PreflightDone(Ok(())),
            Effect::VerifyProfile(_) => Event::ProfileVerified(Ok(ProfileFacts {
                identity: "account 123456789012".into(),
                warning: None,
            })),
            Effect::Generate => Event::Generated(Ok(vec![])),
            Effect::Plan(phase) => {
                self.plans.push(*phase);
                self.runs.push(format!("plan {}", phase.id()));
                let mut plan = PlanFacts {
                    create: 3,
                    ..PlanFacts::default()
                };
                if *phase == Phase::Full && self.destructive_full_plan {
                    plan.replace = 1;
                    plan.dangers = vec!["Route 53 zone replaced: the nameservers change".into()];
                }
                Event::PlanReady {
                    phase: *phase,
                    plan,
                }
            }
            Effect::Apply(phase) => {
                self.applies.push(*phase);
                self.runs.push(format!("apply {}", phase.id()));
                Event::ApplyFinished {
                    phase: *phase,
                    result: ApplyResult::Applied,
                }
            }
            Effect::MigrateState => {
                self.runs.push("migrate".into());
                Event::StateMigrated(Ok(()))
            }
            Effect::ReadOutputs => Event::OutputsRead(Ok(OutputFacts {
                nameservers: vec![
                    "ns-1.awsdns-01.org".into(),
                    "ns-2.awsdns-02.co.uk".into(),
                    "ns-3.awsdns-03.com".into(),
                    "ns-4.awsdns-04.net".into(),
                ],
                zone_id: Some("Z1".into()),
                ..OutputFacts::default()
            })),
            Effect::Check { step, .. } => {
                let (ok, on, headline) = match step {
                    StepId::Nameservers => (
                        self.delegated,
                        StepKind::Human,
                        "set ns-1.awsdns-01.org, ns-2.awsdns-02.co.uk, ns-3.awsdns-03.com, ns-4.awsdns-04.net at your registrar",
                    ),
                    StepId::EmailDomain => (
                        self.domain_verified,
                        StepKind::Aws,
                        "SES is verifying the domain",
                    ),
                    StepId::Inbox => (
                        self.address_verified,
                        StepKind::Human,
                        "click the link in the mail",
                    ),
                    StepId::Alerts => (
                        self.alerts_confirmed,
                        StepKind::Human,
                        "click the link in AWS's mail",
                    ),
                    StepId::SesProduction => (
                        self.production,
                        StepKind::Human,
                        "request production access",
                    ),
                    StepId::Edge => {
                        self.edge_checks += 1;
                        let live = self.edge_checks > self.edge_deploying_checks;
                        (
                            live,
                            StepKind::Aws,
                            if live {
                                "https://example.com/ answers over HTTPS from CloudFront (HTTP 403)."
                            } else {
                                "CloudFront is deploying the site to its edge locations (usually about 6 min here)."
                            },
                        )
                    }
                    _ => return None,
                };
                Event::Checked {
                    step: *step,
                    report: CheckReport {
                        satisfied: ok && !self.offline,
                        unchecked: self.offline,
                        waiting_on: on,
                        headline: if self.offline {
                            "Could not reach AWS in eu-west-1 (dns error); check your connection and try again.".into()
                        } else {
                            headline.into()
                        },
                        lines: vec![],
                        reopen: None,
                    },
                }
            }
            Effect::PlayHuman(step) => {
                self.played.insert(*step);
                match step {
                    StepId::Nameservers => {
                        self.delegated = true;
                        self.domain_verified = true;
                    }
                    StepId::Inbox => self.address_verified = true,
                    StepId::Alerts => self.alerts_confirmed = true,
                    StepId::SesProduction => self.production = true,
                    _ => {}
                }
                Event::HumanPlayed {
                    step: *step,
                    result: Ok(()),
                }
            }
            _ => return None,
        })
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
}

/// Runs the core until it stops or goes quiet; returns the stop.
fn drive(j: &mut Journey, world: &mut World, first: Event) -> Option<Stop> {
    let mut queue = std::collections::VecDeque::from([first]);
    let mut steps = 0;
    while let Some(ev) = queue.pop_front() {
        steps += 1;
        assert!(steps < 500, "the journey did not settle");
        for fx in update(j, ev, now()) {
            if let Effect::Stop(s) = &fx {
                return Some(s.clone());
            }
            // Delayed re-checks happen "later": follow them only where the mode needs them to
            // make progress (the sandbox), not in the interactive mode, which would poll forever.
            if matches!(fx, Effect::Check { after, .. } if !after.is_zero())
                && j.mode == Mode::Interactive
            {
                continue;
            }
            if let Some(ev) = world.answer(&fx) {
                queue.push_back(ev);
            }
        }
    }
    j.stop.clone()
}

fn resume(site: bool) -> Event {
    Event::Resume {
        records: vec![],
        site_answered: site,
        state_migrated: false,
        profile: Some("work".into()),
        sandbox: false,
    }
}

/// Journal records of steps that finished at [`now`].
fn done_records(steps: &[StepId]) -> Vec<ResumeRecord> {
    steps
        .iter()
        .map(|&step| ResumeRecord {
            step,
            status: Status::Done,
            since: Some(now()),
            finished_at: Some(now()),
            detail: None,
        })
        .collect()
}

/// Resuming a project whose answers are saved and whose state is in S3, with these records.
fn resume_migrated(records: Vec<ResumeRecord>) -> Event {
    Event::Resume {
        records,
        site_answered: true,
        state_migrated: true,
        profile: Some("work".into()),
        sandbox: false,
    }
}

#[test]
fn headless_up_stops_at_the_nameservers_naming_them() {
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::new();
    let stop = drive(&mut j, &mut w, resume(true)).expect("stops");
    let Stop::Waiting(msg) = stop else {
        panic!("expected waiting, got {stop:?}")
    };
    assert!(
        msg.contains("ns-1.awsdns-01.org") && msg.contains("ns-4.awsdns-04.net"),
        "{msg}"
    );
    assert_eq!(w.applies, vec![Phase::Foundation]);
    assert_eq!(j.status(StepId::Nameservers), Status::WaitingOnYou);
    assert_eq!(j.status(StepId::Stack), Status::NotYet);
    assert_eq!(j.facts.nameservers.len(), 4);
}

/// Issue 16: `up` with everything else done stops at the alerts subscription (exit 2), saying
/// what to click; once the owner clicked, the next `up` reaches done.
#[test]
fn headless_up_waits_for_the_alerts_confirmation_and_says_so() {
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::everyone_done();
    w.alerts_confirmed = false;
    let stop = drive(&mut j, &mut w, resume(true)).expect("stops");
    let Stop::Waiting(msg) = stop else {
        panic!("expected waiting, got {stop:?}")
    };
    assert!(
        msg.contains("Alerts confirmed") && msg.contains("click the link in AWS's mail"),
        "{msg}"
    );
    assert_eq!(j.status(StepId::Alerts), Status::WaitingOnYou);
    assert!(j.is_done(StepId::Edge), "nothing else waits");
    w.alerts_confirmed = true;
    let finished: Vec<StepId> = StepId::ALL.into_iter().filter(|s| j.is_done(*s)).collect();
    let mut again = Journey::new(Mode::Headless { yes: true });
    assert_eq!(
        drive(&mut again, &mut w, resume_migrated(done_records(&finished))),
        Some(Stop::Done)
    );
}

/// Issue 15: two applies. The foundation apply creates the state bucket with local state, and
/// the state moves into it right after, before anything else runs terraform.
#[test]
fn the_state_moves_to_s3_right_after_the_foundation_apply_and_before_the_stack() {
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::everyone_done();
    let stop = drive(&mut j, &mut w, resume(true));
    assert_eq!(stop, Some(Stop::Done));
    assert_eq!(
        w.runs,
        [
            "plan foundation",
            "apply foundation",
            "migrate",
            "plan full",
            "apply full"
        ]
    );
    assert!(j.facts.state_migrated);
}

/// Killed after the foundation apply but before the state moved: the resumed journey moves it
/// (the move checks its files and does what is left) without planning the foundation again.
#[test]
fn killed_between_the_foundation_apply_and_the_state_move_the_resume_moves_the_state() {
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::new();
    let records = done_records(&[StepId::Generate, StepId::Foundation]);
    let event = Event::Resume {
        records,
        site_answered: true,
        state_migrated: false,
        profile: Some("work".into()),
        sandbox: false,
    };
    let stop = drive(&mut j, &mut w, event).expect("stops");
    assert_eq!(w.runs, ["migrate"], "{stop:?}");
    assert_eq!(j.status(StepId::State), Status::Done);
    assert_eq!(j.status(StepId::Nameservers), Status::WaitingOnYou);
}

#[test]
fn resuming_after_delegation_applies_the_stack_without_repeating_earlier_phases() {
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::everyone_done();
    let records = done_records(&[StepId::Generate, StepId::State, StepId::Foundation]);
    let stop = drive(&mut j, &mut w, resume_migrated(records));
    assert_eq!(stop, Some(Stop::Done));
    assert_eq!(w.applies, vec![Phase::Full], "only the stack is applied");
    assert!(j.all_done());
}

#[test]
fn headless_yes_never_applies_a_destructive_plan() {
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::new();
    w.delegated = true;
    w.domain_verified = true;
    w.destructive_full_plan = true;
    let stop = drive(&mut j, &mut w, resume(true)).expect("stops");
    let Stop::Waiting(msg) = stop else {
        panic!("expected waiting, got {stop:?}")
    };
    assert!(
        msg.contains("destroys or replaces") && msg.contains("nameservers change"),
        "{msg}"
    );
    assert!(!w.applies.contains(&Phase::Full));
}

#[test]
fn headless_without_yes_stops_at_the_first_plan() {
    let mut j = Journey::new(Mode::Headless { yes: false });
    let mut w = World::new();
    let stop = drive(&mut j, &mut w, resume(true)).expect("stops");
    assert!(
        matches!(stop, Stop::Waiting(ref m) if m.contains("siteup up --yes")),
        "{stop:?}"
    );
    assert!(w.applies.is_empty());
}

#[test]
fn the_auto_sandbox_plays_every_human_and_reaches_done() {
    let mut j = Journey::new(Mode::AutoSandbox);
    let mut w = World::new();
    let stop = drive(&mut j, &mut w, resume(true));
    assert_eq!(stop, Some(Stop::Done));
    assert_eq!(w.applies, vec![Phase::Foundation, Phase::Full]);
    assert!(w.played.contains(&StepId::Nameservers));
    assert!(w.played.contains(&StepId::Inbox));
    assert!(w.played.contains(&StepId::SesProduction));
}

#[test]
fn interactive_plans_wait_for_the_user_and_checkpoints_keep_polling() {
    let mut j = Journey::new(Mode::Interactive);
    let mut w = World::new();
    assert_eq!(drive(&mut j, &mut w, resume(true)), None);
    assert_eq!(j.status(StepId::Foundation), Status::WaitingOnYou);
    assert!(j.facts.pending_plan.is_some());
    assert!(w.applies.is_empty());
    assert_eq!(j.current_step(), StepId::Foundation);
    // Approve every plan as the user would.
    let mut approvals = 0;
    while let Some((phase, _)) = j.facts.pending_plan.clone() {
        approvals += 1;
        assert!(approvals < 5);
        drive(
            &mut j,
            &mut w,
            Event::PlanDecision {
                phase,
                approve: true,
            },
        );
    }
    assert_eq!(j.status(StepId::Nameservers), Status::WaitingOnYou);
    // Checkpoints are rescheduled, never dropped, in the interactive mode.
    assert!(j.checks_in_flight.contains(&StepId::Nameservers));
    assert_eq!(j.current_step(), StepId::Nameservers);
}

#[test]
fn a_wait_keeps_its_start_time_across_a_resume() {
    let started = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("t");
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::new();
    let records = vec![
        ResumeRecord {
            step: StepId::State,
            status: Status::Done,
            since: None,
            finished_at: None,
            detail: None,
        },
        ResumeRecord {
            step: StepId::Foundation,
            status: Status::Done,
            since: None,
            finished_at: None,
            detail: None,
        },
        ResumeRecord {
            step: StepId::Nameservers,
            status: Status::WaitingOnYou,
            since: Some(started),
            finished_at: None,
            detail: None,
        },
    ];
    drive(&mut j, &mut w, resume_migrated(records));
    assert_eq!(j.status(StepId::Nameservers), Status::WaitingOnYou);
    assert_eq!(j.state(StepId::Nameservers).since, Some(started));
}

#[test]
fn a_phase_killed_while_running_is_planned_again_and_done_checkpoints_are_polled_again() {
    // The journal of a siteup killed during the foundation apply, after an earlier run saw the
    // nameservers delegated (since undone at the registrar).
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::new();
    let at = Some(now());
    let record = |step, status| ResumeRecord {
        step,
        status,
        since: at,
        finished_at: None,
        detail: None,
    };
    let records = vec![
        record(StepId::Generate, Status::Done),
        record(StepId::State, Status::Done),
        record(StepId::Foundation, Status::Running),
        record(StepId::Nameservers, Status::Done),
    ];
    let stop = drive(&mut j, &mut w, resume_migrated(records)).expect("stops");
    assert_eq!(w.plans, vec![Phase::Foundation], "only the killed phase");
    assert_eq!(w.applies, vec![Phase::Foundation]);
    assert_eq!(j.status(StepId::Foundation), Status::Done);
    // The journal's "done" is not trusted for a checkpoint: the live check says not delegated.
    assert_eq!(j.status(StepId::Nameservers), Status::WaitingOnYou);
    assert!(matches!(stop, Stop::Waiting(ref m) if m.contains("ns-1.awsdns-01.org")));
}

/// Resuming the wizard after the zone exists re-reads the outputs; when they cannot be read,
/// the user is told why (no step is running to fail) and terraform is no longer held back.
#[test]
fn an_unreadable_output_on_resume_becomes_a_notice() {
    let mut j = Journey::new(Mode::Interactive);
    let records = done_records(&[StepId::Generate, StepId::State, StepId::Foundation]);
    let fx = update(&mut j, resume_migrated(records), now());
    assert!(
        fx.iter().any(|f| matches!(f, Effect::ReadOutputs)),
        "{fx:?}"
    );
    assert_eq!(j.busy, Some(StepId::Foundation));

    update(
        &mut j,
        Event::OutputsRead(Err(siteup::failure::Failure::RunFailed {
            command: "output",
            reason: "the state bucket is unreachable".into(),
        })),
        now(),
    );
    assert_eq!(j.busy, None);
    assert_eq!(j.status(StepId::Foundation), Status::Done);
    let notice = j.facts.notice.clone().unwrap_or_default();
    assert!(
        notice
            == "terraform output failed: The state bucket is unreachable. The nameservers and URLs show once the Terraform outputs can be read.",
        "{notice}"
    );
}

#[test]
fn status_stops_even_when_the_journal_records_a_step_as_running() {
    // What a killed `siteup up` leaves behind: the foundation apply recorded as running.
    let mut records = done_records(&[
        StepId::Preflight,
        StepId::Profile,
        StepId::Site,
        StepId::Generate,
        StepId::State,
    ]);
    records.push(ResumeRecord {
        step: StepId::Foundation,
        status: Status::Running,
        since: Some(now()),
        finished_at: None,
        detail: Some("applying".into()),
    });
    let mut j = Journey::new(Mode::StatusOnly);
    let mut w = World::new();
    let stop = drive(&mut j, &mut w, resume_migrated(records));
    assert!(stop.is_some(), "status settles instead of waiting forever");
    assert!(
        w.plans.is_empty() && w.applies.is_empty(),
        "status runs nothing"
    );
}

#[test]
fn a_checkpoint_that_could_not_be_checked_is_not_waiting_on_the_user() {
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::new();
    w.offline = true;
    let stop = drive(&mut j, &mut w, resume(true));
    assert!(matches!(stop, Some(Stop::Waiting(_))), "{stop:?}");
    let (step, why) = j.first_unchecked().expect("an unchecked checkpoint");
    let why = why.to_string();
    assert_eq!(step, StepId::Nameservers);
    assert!(why.contains("Could not reach AWS"), "{why}");
    // In the wizard, once a check answers the step is an ordinary wait again.
    let mut j = Journey::new(Mode::Interactive);
    let report = |unchecked: bool, headline: &str| CheckReport {
        satisfied: false,
        unchecked,
        waiting_on: StepKind::Human,
        headline: headline.into(),
        lines: vec![],
        reopen: None,
    };
    let _ = update(
        &mut j,
        Event::Checked {
            step,
            report: report(true, &why),
        },
        now(),
    );
    assert_eq!(j.first_unchecked().map(|(s, _)| s), Some(step));
    let _ = update(
        &mut j,
        Event::Checked {
            step,
            report: report(false, "set the nameservers"),
        },
        now(),
    );
    assert_eq!(j.could_not_check(step), None);
    assert_eq!(j.status(step), Status::WaitingOnYou);
}

/// The re-check delays the core asks for after `n` checks of `step` that still wait.
fn recheck_delays(j: &mut Journey, step: StepId, n: usize) -> Vec<std::time::Duration> {
    (0..n)
        .map(|_| {
            let fx = update(
                j,
                Event::Checked {
                    step,
                    report: CheckReport {
                        satisfied: false,
                        unchecked: false,
                        waiting_on: StepKind::Human,
                        headline: "set the nameservers at your registrar".into(),
                        lines: vec![],
                        reopen: None,
                    },
                },
                now(),
            );
            let afters: Vec<_> = fx
                .iter()
                .filter_map(|e| match e {
                    Effect::Check { step: s, after } if *s == step => Some(*after),
                    _ => None,
                })
                .collect();
            assert_eq!(afters.len(), 1, "one re-check scheduled: {fx:?}");
            afters[0]
        })
        .collect()
}

#[test]
fn a_waiting_checkpoint_is_rechecked_fast_then_backs_off_and_check_now_starts_over() {
    use siteup::wizard::update::CHECK_SCHEDULE;
    use std::time::Duration;
    let mut j = Journey::new(Mode::Interactive);
    let step = StepId::Nameservers;
    for dep in step.requires() {
        j.steps.entry(*dep).or_default().status = Status::Done;
    }
    assert!(j.ready(step));
    let delays = recheck_delays(&mut j, step, 12);
    assert_eq!(j.status(step), Status::WaitingOnYou);
    assert_eq!(delays[0], Duration::from_secs(5), "{delays:?}");
    assert!(
        delays.windows(2).all(|w| w[0] <= w[1]),
        "never faster: {delays:?}"
    );
    assert!(
        delays[..4].windows(2).all(|w| w[0] < w[1]),
        "growing at first: {delays:?}"
    );
    assert_eq!(delays[11], CHECK_SCHEDULE.ceiling, "{delays:?}");
    assert!(delays.iter().all(|d| *d <= CHECK_SCHEDULE.ceiling));
    assert_eq!(CHECK_SCHEDULE.delay(u32::MAX), CHECK_SCHEDULE.ceiling);

    // "Check now": at once, and the next re-check is fast again.
    let fx = update(&mut j, Event::CheckNow(step), now());
    assert_eq!(
        fx,
        vec![Effect::Check {
            step,
            after: Duration::ZERO
        }]
    );
    assert_eq!(
        recheck_delays(&mut j, step, 2),
        [delays[0], delays[1]],
        "the back-off starts over"
    );

    // Once satisfied, the checkpoint is not checked again.
    let fx = update(
        &mut j,
        Event::Checked {
            step,
            report: CheckReport {
                satisfied: true,
                unchecked: false,
                waiting_on: StepKind::Human,
                headline: "delegated".into(),
                lines: vec![],
                reopen: None,
            },
        },
        now(),
    );
    assert_eq!(j.status(step), Status::Done);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Check { step: s, .. } if *s == step)),
        "{fx:?}"
    );
}

/// Issue 14, defect 3: SES gave up on the domain (72 hours at the registrar). The email
/// checkpoint's report names the step to run again: the foundation is planned again (its plan
/// replaces the identity), the checkpoint keeps waiting on AWS, and a second such report in the
/// same session does not loop.
#[test]
fn a_checkpoint_aws_gave_up_on_plans_its_phase_again_once() {
    let mut j = Journey::new(Mode::Interactive);
    let records = done_records(&[
        StepId::Preflight,
        StepId::Profile,
        StepId::Generate,
        StepId::State,
        StepId::Foundation,
        StepId::Nameservers,
    ]);
    let _ = update(&mut j, resume_migrated(records), now());
    let gave_up = || Event::Checked {
        step: StepId::EmailDomain,
        report: CheckReport {
            satisfied: false,
            unchecked: false,
            waiting_on: StepKind::Aws,
            headline: "SES stopped looking for the DKIM records of example.com after 72 hours."
                .into(),
            lines: vec![],
            reopen: Some(StepId::Foundation),
        },
    };
    // Settle whatever the resume started (the profile verified and the files written again),
    // then the check that finds the identity FAILED.
    j.busy = None;
    for step in [StepId::Profile, StepId::Generate] {
        j.steps.entry(step).or_default().status = Status::Done;
    }
    let fx = update(&mut j, gave_up(), now());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Plan(Phase::Foundation))),
        "the foundation is planned again: {fx:?}"
    );
    assert_eq!(j.status(StepId::Foundation), Status::Running);
    assert_eq!(j.status(StepId::EmailDomain), Status::WaitingOnAws);
    // The foundation applies again; SES still reports the old failure once more: no loop.
    j.busy = None;
    j.steps
        .get_mut(&StepId::Foundation)
        .expect("foundation")
        .status = Status::Done;
    let fx = update(&mut j, gave_up(), now());
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Plan(_))),
        "planned again only once: {fx:?}"
    );
    assert_eq!(j.status(StepId::Foundation), Status::Done);
}

#[test]
fn done_waits_for_the_edge_deployment_after_the_stack_and_up_follows_it() {
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::everyone_done();
    w.edge_deploying_checks = 3;
    let records = done_records(&[StepId::Generate, StepId::State, StepId::Foundation]);
    let stop = drive(&mut j, &mut w, resume_migrated(records));
    assert_eq!(stop, Some(Stop::Done));
    assert_eq!(w.applies, vec![Phase::Full], "the edge adds no apply");
    assert_eq!(w.edge_checks, 4, "checked until the site answers");
    assert_eq!(j.status(StepId::Edge), Status::Done);
    assert!(
        j.facts.checks[&StepId::Edge]
            .headline
            .contains("answers over HTTPS"),
        "{:?}",
        j.facts.checks[&StepId::Edge]
    );
}

#[test]
fn the_edge_is_an_aws_wait_after_the_stack_and_done_needs_it() {
    assert_eq!(StepId::Edge.kind(), StepKind::Aws);
    assert!(StepId::Edge.is_checkpoint());
    assert!(!StepId::Edge.runs_terraform());
    assert_eq!(StepId::Edge.requires(), &[StepId::Stack]);
    assert!(StepId::Done.requires().contains(&StepId::Edge));
    assert_eq!(StepId::from_id("edge"), Some(StepId::Edge));

    // Interactive: the stack is applied, CloudFront still deploys: the edge waits on AWS with
    // the check's one line, and the journey is not done.
    let mut j = Journey::new(Mode::Interactive);
    let mut w = World::everyone_done();
    let records = done_records(&[StepId::Generate, StepId::State, StepId::Foundation]);
    drive(&mut j, &mut w, resume_migrated(records));
    let approve = Event::PlanDecision {
        phase: Phase::Full,
        approve: true,
    };
    assert_eq!(drive(&mut j, &mut w, approve), None);
    assert_eq!(j.status(StepId::Stack), Status::Done);
    assert_eq!(j.status(StepId::Edge), Status::WaitingOnAws);
    assert_eq!(j.status(StepId::Done), Status::NotYet);
    assert!(
        j.state(StepId::Edge)
            .detail
            .is_some_and(|d| d.contains("usually about 6 min")),
        "{:?}",
        j.state(StepId::Edge)
    );
    // The next poll finds the site answering: done.
    let fx = update(&mut j, Event::CheckNow(StepId::Edge), now());
    for e in fx {
        if let Some(ev) = w.answer(&e) {
            update(&mut j, ev, now());
        }
    }
    assert_eq!(j.status(StepId::Edge), Status::Done);
    assert_eq!(j.status(StepId::Done), Status::Done);
}

#[test]
fn up_stops_waiting_for_an_edge_that_never_answers() {
    let mut j = Journey::new(Mode::Headless { yes: true });
    let mut w = World::everyone_done();
    w.edge_deploying_checks = u32::MAX;
    let records = done_records(&[StepId::Generate, StepId::State, StepId::Foundation]);
    let stop = drive(&mut j, &mut w, resume_migrated(records)).expect("stops");
    let Stop::Waiting(msg) = stop else {
        panic!("expected waiting, got {stop:?}")
    };
    assert!(
        msg.contains("Site live over HTTPS: CloudFront is deploying"),
        "{msg}"
    );
    assert_eq!(
        w.edge_checks,
        1 + siteup::wizard::update::HEADLESS_EDGE_CHECKS,
        "the first check and the bounded re-checks"
    );
    assert_eq!(j.status(StepId::Done), Status::NotYet);
}
