//! What a person can do at each step, decided once: both front ends show and accept exactly
//! these, and [`super::update`] acts on an event only when its action is offered.

use super::state::{Journey, Mode, PhaseStep, Status};
use super::steps::StepId;

/// Something a person can ask of the journey at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Run a failed step again, or plan a terraform step whose plan was declined.
    Retry,
    /// Choose the AWS profile (or another one after it failed).
    ChooseProfile,
    /// Answer the site questions, or change the answers.
    EditAnswers,
    /// Apply the plan under review.
    ApprovePlan,
    /// Leave the plan under review unapplied.
    DeclinePlan,
    /// Sandbox only: play the human (or AWS's reviewer) for a checkpoint.
    Play,
    /// Check a waiting checkpoint live now.
    CheckNow,
    /// Send the sender address verification mail again.
    ResendMail,
    /// Edit the SES production-access request text.
    EditSesRequest,
    /// Submit the SES production-access request.
    SubmitSesRequest,
    /// Stop the terraform that works on this step (cleanly; by force after a warning).
    StopTerraform,
    /// Leave; everything is saved.
    Quit,
}

impl Action {
    /// Every action, in the order the front ends list them (what moves the step on first).
    pub const ALL: [Action; 12] = [
        Action::Retry,
        Action::ChooseProfile,
        Action::EditAnswers,
        Action::ApprovePlan,
        Action::DeclinePlan,
        Action::Play,
        Action::CheckNow,
        Action::ResendMail,
        Action::EditSesRequest,
        Action::SubmitSesRequest,
        Action::StopTerraform,
        Action::Quit,
    ];
}

impl Journey {
    /// The actions a person has at `step` now, in [`Action::ALL`]'s order.
    pub fn actions(&self, step: StepId) -> Vec<Action> {
        Action::ALL
            .into_iter()
            .filter(|a| self.offers(step, *a))
            .collect()
    }

    /// Whether `action` is open to a person at `step` now.
    pub fn offers(&self, step: StepId, action: Action) -> bool {
        if self.stop.is_some() {
            return false;
        }
        match action {
            Action::Quit => return true,
            Action::StopTerraform => return self.busy == Some(step),
            _ => {}
        }
        // The rest are a person's decisions: only the wizard and the plain prompts take them.
        if self.mode != Mode::Interactive {
            return false;
        }
        let status = self.status(step);
        let pending_here = self
            .facts
            .pending_plan
            .as_ref()
            .is_some_and(|(p, _)| p.step() == step);
        // A checkpoint that can be acted on: its dependencies are done, and it is neither done
        // nor failed (a failed one is retried first, which checks it again).
        let open_checkpoint = step.is_checkpoint()
            && self.ready(step)
            && matches!(
                status,
                Status::NotYet | Status::WaitingOnYou | Status::WaitingOnAws
            );
        match action {
            Action::Retry => {
                !pending_here
                    && (status == Status::Failed
                        || (status == Status::WaitingOnYou && step.runs_terraform()))
            }
            Action::ChooseProfile => {
                step == StepId::Profile
                    && matches!(
                        status,
                        Status::WaitingOnYou | Status::Failed | Status::NotYet
                    )
            }
            // New answers regenerate the files terraform is reading: not while it runs.
            Action::EditAnswers => step == StepId::Site && self.busy.is_none(),
            Action::ApprovePlan | Action::DeclinePlan => pending_here,
            Action::Play => {
                // The email domain verifies itself once delegation is live, and CloudFront
                // deploys by itself: nobody to play.
                self.facts.sandbox
                    && open_checkpoint
                    && !matches!(step, StepId::EmailDomain | StepId::Edge)
            }
            Action::CheckNow => open_checkpoint,
            Action::ResendMail => matches!(step, StepId::Inbox | StepId::Alerts) && open_checkpoint,
            Action::EditSesRequest | Action::SubmitSesRequest => {
                step == StepId::SesProduction && open_checkpoint && self.facts.ses_request.is_some()
            }
            Action::Quit | Action::StopTerraform => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::state::{Phase, PlanFacts};

    use Action::*;

    fn journey(done: &[StepId]) -> Journey {
        let mut j = Journey::new(Mode::Interactive);
        for s in done {
            j.steps.entry(*s).or_default().status = Status::Done;
        }
        j
    }

    fn set(j: &mut Journey, step: StepId, status: Status) {
        j.steps.entry(step).or_default().status = status;
    }

    const FOUNDED: [StepId; 6] = [
        StepId::Preflight,
        StepId::Profile,
        StepId::Site,
        StepId::Generate,
        StepId::Foundation,
        StepId::State,
    ];

    #[test]
    fn a_fresh_journey_offers_answers_and_quit() {
        let j = journey(&[]);
        assert_eq!(j.actions(StepId::Preflight), vec![Quit]);
        assert_eq!(j.actions(StepId::Profile), vec![ChooseProfile, Quit]);
        assert_eq!(j.actions(StepId::Site), vec![EditAnswers, Quit]);
        assert_eq!(j.actions(StepId::Nameservers), vec![Quit], "not ready yet");
        assert_eq!(j.actions(StepId::Done), vec![Quit]);
    }

    #[test]
    fn a_failed_step_offers_retry_and_a_failed_profile_another_choice() {
        let mut j = journey(&[StepId::Preflight]);
        set(&mut j, StepId::Profile, Status::Failed);
        assert_eq!(j.actions(StepId::Profile), vec![Retry, ChooseProfile, Quit]);
        set(&mut j, StepId::Profile, Status::Running);
        assert_eq!(j.actions(StepId::Profile), vec![Quit], "being verified");
        set(&mut j, StepId::Profile, Status::Done);
        assert_eq!(j.actions(StepId::Profile), vec![Quit]);
        set(&mut j, StepId::Generate, Status::Failed);
        assert_eq!(j.actions(StepId::Generate), vec![Retry, Quit]);
    }

    #[test]
    fn a_plan_under_review_offers_apply_or_not_and_a_declined_one_a_new_plan() {
        let mut j = journey(&FOUNDED[..4]);
        set(&mut j, StepId::Foundation, Status::WaitingOnYou);
        j.facts.pending_plan = Some((Phase::Foundation, PlanFacts::default()));
        assert_eq!(
            j.actions(StepId::Foundation),
            vec![ApprovePlan, DeclinePlan, Quit]
        );
        assert_eq!(j.actions(StepId::Stack), vec![Quit], "not its plan");
        j.facts.pending_plan = None;
        assert_eq!(j.actions(StepId::Foundation), vec![Retry, Quit]);
        // A waiting step that runs no terraform is not retried.
        set(&mut j, StepId::Site, Status::WaitingOnYou);
        assert_eq!(j.actions(StepId::Site), vec![EditAnswers, Quit]);
    }

    #[test]
    fn answers_sent_while_terraform_runs_wait_for_it() {
        let mut j = journey(&FOUNDED[..4]);
        set(&mut j, StepId::Foundation, Status::Running);
        j.busy = Some(StepId::Foundation);
        let config = crate::site::SiteConfig::with_defaults(
            crate::site::Domain::parse("example.org").expect("domain"),
            crate::site::Region::parse("us-east-1").expect("region"),
        );
        let fx = crate::wizard::update(
            &mut j,
            crate::wizard::Event::SubmitSite(Box::new(config)),
            time::OffsetDateTime::UNIX_EPOCH,
        );
        assert!(fx.is_empty(), "nothing is saved or regenerated: {fx:?}");
        assert!(
            j.facts
                .notice
                .as_deref()
                .is_some_and(|n| n.contains("once terraform finishes")),
            "{:?}",
            j.facts.notice
        );
    }

    #[test]
    fn running_terraform_can_be_stopped_at_its_step_only() {
        let mut j = journey(&FOUNDED[..4]);
        set(&mut j, StepId::Foundation, Status::Running);
        j.busy = Some(StepId::Foundation);
        assert_eq!(j.actions(StepId::Foundation), vec![StopTerraform, Quit]);
        assert_eq!(j.actions(StepId::State), vec![Quit]);
        // New answers would regenerate the files terraform is reading.
        assert_eq!(j.actions(StepId::Site), vec![Quit]);
        // Headless runs take no decisions, but can still be stopped.
        j.mode = Mode::Headless { yes: true };
        assert_eq!(j.actions(StepId::Foundation), vec![StopTerraform, Quit]);
    }

    #[test]
    fn checkpoints_offer_what_moves_them_on_until_done() {
        let mut j = journey(&FOUNDED);
        set(&mut j, StepId::Nameservers, Status::WaitingOnYou);
        assert_eq!(j.actions(StepId::Nameservers), vec![CheckNow, Quit]);
        j.facts.sandbox = true;
        assert_eq!(j.actions(StepId::Nameservers), vec![Play, CheckNow, Quit]);
        // The email domain waits on the nameservers, and then on AWS alone.
        assert_eq!(j.actions(StepId::EmailDomain), vec![Quit]);
        set(&mut j, StepId::Nameservers, Status::Done);
        set(&mut j, StepId::EmailDomain, Status::WaitingOnAws);
        assert_eq!(j.actions(StepId::EmailDomain), vec![CheckNow, Quit]);
        assert_eq!(j.actions(StepId::Nameservers), vec![Quit], "done");

        set(&mut j, StepId::Inbox, Status::WaitingOnYou);
        assert_eq!(
            j.actions(StepId::Inbox),
            vec![Play, CheckNow, ResendMail, Quit]
        );
        set(&mut j, StepId::Inbox, Status::Failed);
        assert_eq!(j.actions(StepId::Inbox), vec![Retry, Quit], "retried first");
        set(&mut j, StepId::Inbox, Status::Done);
        assert_eq!(
            j.actions(StepId::Inbox),
            vec![Quit],
            "no mail once verified"
        );

        set(&mut j, StepId::SesProduction, Status::WaitingOnYou);
        assert_eq!(j.actions(StepId::SesProduction), vec![Play, CheckNow, Quit]);
        j.facts.ses_request = Some("We send sign-up mail only.".into());
        assert_eq!(
            j.actions(StepId::SesProduction),
            vec![Play, CheckNow, EditSesRequest, SubmitSesRequest, Quit]
        );
        set(&mut j, StepId::SesProduction, Status::Done);
        assert_eq!(j.actions(StepId::SesProduction), vec![Quit]);
    }

    #[test]
    fn only_the_interactive_journey_takes_decisions_and_a_stopped_one_none() {
        let mut j = journey(&FOUNDED);
        j.facts.sandbox = true;
        set(&mut j, StepId::Nameservers, Status::WaitingOnYou);
        for mode in [
            Mode::Headless { yes: false },
            Mode::AutoSandbox,
            Mode::StatusOnly,
        ] {
            j.mode = mode;
            assert_eq!(j.actions(StepId::Nameservers), vec![Quit], "{mode:?}");
        }
        j.mode = Mode::Interactive;
        j.stop = Some(crate::wizard::Stop::Quit);
        assert!(j.actions(StepId::Nameservers).is_empty());
    }
    /// `update` acts on a person's event exactly when the core offers its action.
    #[test]
    fn update_takes_exactly_the_offered_actions() {
        use crate::wizard::update::{Event, update};
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let mut states = vec![];
        let statuses = [
            Status::WaitingOnYou,
            Status::WaitingOnAws,
            Status::Done,
            Status::Failed,
        ];
        for sandbox in [false, true] {
            for ns in statuses {
                for other in statuses {
                    for request in [false, true] {
                        let mut j = journey(&FOUNDED);
                        j.facts.sandbox = sandbox;
                        set(&mut j, StepId::Nameservers, ns);
                        for s in [StepId::EmailDomain, StepId::Inbox, StepId::SesProduction] {
                            set(&mut j, s, other);
                        }
                        for s in StepId::ALL.into_iter().filter(|s| s.is_checkpoint()) {
                            j.check_attempts.insert(s, 3);
                        }
                        if request {
                            j.facts.ses_request = Some("We send sign-up mail.".into());
                        }
                        states.push(j);
                    }
                }
            }
        }
        for plan in [false, true] {
            let mut j = journey(&FOUNDED[..4]);
            set(&mut j, StepId::Foundation, Status::WaitingOnYou);
            if plan {
                let p = PlanFacts {
                    create: 1,
                    ..PlanFacts::default()
                };
                j.facts.pending_plan = Some((Phase::Foundation, p));
            }
            states.push(j);
        }
        let mut events = vec![
            (Event::ResendMail(StepId::Inbox), StepId::Inbox, ResendMail),
            (
                Event::ResendMail(StepId::Alerts),
                StepId::Alerts,
                ResendMail,
            ),
            (
                Event::SubmitSesRequest,
                StepId::SesProduction,
                SubmitSesRequest,
            ),
            (
                Event::EditSesRequest("Edited.".into()),
                StepId::SesProduction,
                EditSesRequest,
            ),
        ];
        for step in StepId::ALL {
            events.push((Event::CheckNow(step), step, CheckNow));
            events.push((Event::PlayHuman(step), step, Play));
            events.push((Event::Retry(step), step, Retry));
        }
        for (approve, action) in [(true, ApprovePlan), (false, DeclinePlan)] {
            events.push((
                Event::PlanDecision {
                    phase: Phase::Foundation,
                    approve,
                },
                StepId::Foundation,
                action,
            ));
        }
        for j in states {
            // What the journey does on an event it ignores (it still schedules).
            let mut baseline = j.clone();
            let baseline_fx = update(&mut baseline, Event::CheckNow(StepId::Preflight), now);
            for (event, step, action) in &events {
                let mut after = j.clone();
                let fx = update(&mut after, event.clone(), now);
                let ignored =
                    (after == j && fx.is_empty()) || (after == baseline && fx == baseline_fx);
                assert_eq!(
                    !ignored,
                    j.offers(*step, *action),
                    "{event:?}: update and offers({step}, {action:?}) disagree\n{j:?}"
                );
            }
        }
    }
}
