//! The core in the moments that go wrong or end early, one event at a time: quit while
//! terraform runs, an interrupted apply, a failed apply, a failed plan, a failed save of the site
//! answers, a submitted SES request. Each asserts the effects the core asks for and the state
//! the user sees, with no terraform, AWS or clock.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use siteup::failure::Failure;
use siteup::wizard::state::{ApplyResult, PlanFacts};
use siteup::wizard::{Effect, Event, Journey, Mode, Phase, Status, StepId, Stop, update};
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
}

/// A journey in `mode` that has planned the state bucket and (interactive) waits for the review.
fn at_the_first_plan(mode: Mode) -> (Journey, Vec<Effect>) {
    let mut j = Journey::new(mode);
    let mut fx = update(
        &mut j,
        Event::Resume {
            records: vec![],
            site_answered: true,
            state_migrated: false,
            profile: Some("work".into()),
            sandbox: false,
        },
        now(),
    );
    // Answer the automatic steps until terraform is asked to plan.
    for _ in 0..10 {
        let mut next = Vec::new();
        for e in fx.drain(..) {
            let ev = match e {
                Effect::Preflight => Event::PreflightDone(Ok(())),
                Effect::VerifyProfile(_) => {
                    Event::ProfileVerified(Ok(siteup::wizard::update::ProfileFacts {
                        identity: "account 123456789012".into(),
                        warning: None,
                    }))
                }
                Effect::Generate => Event::Generated(Ok(vec![])),
                Effect::Plan(_) => return (j, vec![e]),
                _ => continue,
            };
            next.extend(update(&mut j, ev, now()));
        }
        fx = next;
    }
    panic!("the journey never asked for a plan");
}

fn plan_ready(j: &mut Journey) -> Vec<Effect> {
    update(
        j,
        Event::PlanReady {
            phase: Phase::Foundation,
            plan: PlanFacts {
                create: 2,
                ..PlanFacts::default()
            },
        },
        now(),
    )
}

fn applying(mode: Mode) -> Journey {
    let (mut j, _) = at_the_first_plan(mode);
    let fx = plan_ready(&mut j);
    if mode == Mode::Interactive {
        assert!(!fx.iter().any(|e| matches!(e, Effect::Apply(_))), "{fx:?}");
        let fx = update(
            &mut j,
            Event::PlanDecision {
                phase: Phase::Foundation,
                approve: true,
            },
            now(),
        );
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::Apply(Phase::Foundation))),
            "{fx:?}"
        );
    } else {
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::Apply(Phase::Foundation))),
            "{fx:?}"
        );
    }
    assert_eq!(j.status(StepId::Foundation), Status::Running);
    j
}

fn stopped(fx: &[Effect]) -> Option<&Stop> {
    fx.iter().find_map(|e| match e {
        Effect::Stop(s) => Some(s),
        _ => None,
    })
}

#[test]
fn quit_while_terraform_applies_interrupts_it_and_stops_only_once_it_saved_its_state() {
    let mut j = applying(Mode::Interactive);
    let fx = update(&mut j, Event::Quit, now());
    assert!(fx.contains(&Effect::InterruptTerraform), "{fx:?}");
    assert_eq!(
        stopped(&fx),
        None,
        "the journey waits for terraform: {fx:?}"
    );
    assert!(j.stop.is_none());
    let fx = update(
        &mut j,
        Event::ApplyFinished {
            phase: Phase::Foundation,
            result: ApplyResult::Interrupted,
        },
        now(),
    );
    assert_eq!(stopped(&fx), Some(&Stop::Quit), "{fx:?}");
    assert_eq!(j.status(StepId::Foundation), Status::Failed);
    assert!(
        j.state(StepId::Foundation)
            .detail
            .is_some_and(|d| d.starts_with("interrupted")),
        "{:?}",
        j.state(StepId::Foundation)
    );
}

#[test]
fn an_interrupted_apply_keeps_the_wizard_open_and_a_retry_plans_again() {
    let mut j = applying(Mode::Interactive);
    let fx = update(&mut j, Event::Interrupt, now());
    assert!(fx.contains(&Effect::InterruptTerraform), "{fx:?}");
    let fx = update(
        &mut j,
        Event::ApplyFinished {
            phase: Phase::Foundation,
            result: ApplyResult::Interrupted,
        },
        now(),
    );
    assert_eq!(stopped(&fx), None, "the wizard stays open: {fx:?}");
    assert_eq!(j.status(StepId::Foundation), Status::Failed);
    let fx = update(&mut j, Event::Retry(StepId::Foundation), now());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Plan(Phase::Foundation))),
        "{fx:?}"
    );
    assert_eq!(j.status(StepId::Foundation), Status::Running);
}

#[test]
fn an_interrupted_headless_apply_stops_the_run() {
    let mut j = applying(Mode::Headless { yes: true });
    let fx = update(
        &mut j,
        Event::ApplyFinished {
            phase: Phase::Foundation,
            result: ApplyResult::Interrupted,
        },
        now(),
    );
    assert_eq!(stopped(&fx), Some(&Stop::Quit), "{fx:?}");
}

#[test]
fn a_failed_apply_fails_its_step_with_terraform_s_sentence_and_nothing_after_it_starts() {
    let mut j = applying(Mode::Headless { yes: true });
    let failure = Failure::RunFailed {
        command: "apply",
        reason: "BucketAlreadyExists: the name is taken; choose another state bucket name".into(),
    };
    let why = "terraform apply failed: BucketAlreadyExists: the name is taken; choose another state bucket name.";
    assert_eq!(failure.to_string(), why);
    let fx = update(
        &mut j,
        Event::ApplyFinished {
            phase: Phase::Foundation,
            result: ApplyResult::Failed(failure),
        },
        now(),
    );
    assert_eq!(stopped(&fx), Some(&Stop::Failed(why.into())), "{fx:?}");
    assert_eq!(j.status(StepId::Foundation), Status::Failed);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::MigrateState | Effect::Plan(_))),
        "{fx:?}"
    );
    assert_eq!(j.status(StepId::State), Status::NotYet);
}

#[test]
fn a_failed_plan_fails_its_step_and_a_headless_run_stops_with_the_reason() {
    let (mut j, _) = at_the_first_plan(Mode::Headless { yes: true });
    let why = "terraform plan failed: The S3 bucket name is not valid.";
    let fx = update(
        &mut j,
        Event::PlanFailed {
            phase: Phase::Foundation,
            error: Failure::RunFailed {
                command: "plan",
                reason: "the S3 bucket name is not valid".into(),
            },
        },
        now(),
    );
    assert_eq!(stopped(&fx), Some(&Stop::Failed(why.into())), "{fx:?}");
    assert_eq!(j.status(StepId::Foundation), Status::Failed);
    assert!(j.busy.is_none(), "nothing is left running");
}

#[test]
fn a_failed_save_of_the_site_answers_is_told_and_the_step_still_waits() {
    let mut j = Journey::new(Mode::Interactive);
    let _ = update(
        &mut j,
        Event::Resume {
            records: vec![],
            site_answered: false,
            state_migrated: false,
            profile: Some("work".into()),
            sandbox: false,
        },
        now(),
    );
    let _ = update(&mut j, Event::PreflightDone(Ok(())), now());
    assert_eq!(j.status(StepId::Site), Status::WaitingOnYou);
    let why = "Could not write siteup.toml: the disk is full (or your quota is used up); free some space and run siteup again.";
    let fx = update(
        &mut j,
        Event::SiteSaveFailed(Failure::Settings {
            problem: why.into(),
        }),
        now(),
    );
    assert!(fx.is_empty(), "nothing runs on a failed save: {fx:?}");
    assert_eq!(j.facts.notice.as_deref(), Some(why));
    assert_eq!(j.status(StepId::Site), Status::WaitingOnYou);
    assert_eq!(j.status(StepId::Generate), Status::NotYet);
}

#[test]
fn a_submitted_ses_request_is_told_and_checked_at_once() {
    let mut j = Journey::new(Mode::Interactive);
    let fx = update(
        &mut j,
        Event::SesRequestSubmitted(Ok(
            "Submitted: case 1234567890. AWS usually answers within a day.".into(),
        )),
        now(),
    );
    assert!(
        fx.contains(&Effect::Check {
            step: StepId::SesProduction,
            after: std::time::Duration::ZERO,
        }),
        "{fx:?}"
    );
    assert!(
        j.facts
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("case 1234567890")),
        "{:?}",
        j.facts.notice
    );
    let fx = update(
        &mut j,
        Event::SesRequestSubmitted(Err(Failure::Aws(siteup::aws::AwsError::Throttled {
            service: "SES".into(),
        }))),
        now(),
    );
    assert!(
        j.facts.notice.as_deref().is_some_and(|n| n
            == Failure::Aws(siteup::aws::AwsError::Throttled {
                service: "SES".into()
            })
            .to_string()),
        "{:?}",
        j.facts.notice
    );
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Check {
            step: StepId::SesProduction,
            ..
        }
    )));
}
