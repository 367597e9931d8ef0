//! The one failure vocabulary of the journey's effects.
//!
//! Every handler's error converts into a [`Failure`]; the core's events carry it; its `Display`
//! is the one place that words what a user reads: one sentence, what happened and what to do
//! next. Variants carry their context (in the spirit of `just`'s error enum), never a finished
//! message, except where a lower layer's own error type already words itself (AWS, terraform,
//! the settings file, the generator): those keep their sentence and pass through here.

use std::fmt;
use std::path::PathBuf;

use crate::aws::AwsError;
use crate::terraform::RunOutcome;
use crate::terraform::refusals::{CLOUDFRONT_UNVERIFIED, KnownRefusal};
use crate::terraform::runner::ExitKind;
use crate::words::{printable, sentence};

/// Why an effect of the journey failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// AWS refused or could not be reached.
    Aws(AwsError),
    /// terraform could not be run, or what it wrote could not be read.
    Terraform { problem: String },
    /// A terraform run ended in failure.
    RunFailed {
        command: &'static str,
        reason: String,
    },
    /// CloudFront refused to create a distribution: AWS has not verified this (new) account for
    /// CloudFront yet, and only AWS Support can.
    CloudFrontAccountUnverified,
    /// A terraform run was interrupted before it finished.
    RunInterrupted { command: &'static str },
    /// terraform went away without an exit status.
    RunLost,
    /// Another run holds the state lock (the lock's own description).
    StateLocked { holder: String },
    /// terraform printed something siteup could not read.
    UnreadableOutput {
        command: &'static str,
        problem: String,
    },
    /// Moving the state to S3 stopped.
    StateMove { problem: String },
    /// The plan deletes objects whose deletion protection is on (AWS would refuse halfway
    /// through the apply): each as "human type (address)", and the siteup.toml lines that keep
    /// them.
    ProtectedDeletion {
        objects: Vec<String>,
        keep: Vec<&'static str>,
    },
    /// An apply was asked for without a reviewed plan.
    NoReviewedPlan,
    /// The reviewed plan could not be approved.
    NotApproved { problem: String },
    /// siteup.toml has no answers yet.
    NoSiteAnswers { folder: PathBuf },
    /// siteup.toml could not be read or written.
    Settings { problem: String },
    /// The site's answers are not valid.
    Answers { problem: String },
    /// The Terraform files could not be generated or written.
    Generate { problem: String },
    /// A folder or file siteup needs could not be written.
    Write { path: PathBuf, problem: String },
    /// Route 53 has no hosted zone for the domain yet.
    NoZoneYet { domain: String },
    /// Route 53 has several zones for the domain and none can be chosen (the sentence names
    /// them).
    SeveralZones { listing: String },
    /// A preflight check found a problem (its sentence and fix).
    Preflight { problem: String },
    /// The sandbox could not play its part.
    Sandbox { problem: String },
    /// A human step can be played only in a sandbox, and the project has none (`siteup sandbox
    /// --play` in a folder that is no rehearsal).
    NotASandbox,
    /// The sandbox has nothing to play for this step.
    NothingToPlay { step: &'static str },
    /// A step that is not a checkpoint was checked.
    NotACheckpoint { step: &'static str },
    /// A background task of siteup ended before it answered.
    TaskLost { what: &'static str },
    /// The site answers name no inbox, so there is no verification mail to send.
    NoInbox,
    /// The production-access request was not submitted: the mail lacks what SES reviewers
    /// look for (each a phrase, `Item::phrase`).
    MailNotReady { missing: Vec<&'static str> },
    /// ACM still refuses to delete a certificate because something holds it, after siteup
    /// waited for CloudFront to release it.
    CertificateInUse { waited: std::time::Duration },
    /// The teardown record could not be read or written.
    TeardownRecord { problem: String },
    /// The destroy plan would delete something the teardown keeps (the configuration was
    /// changed to manage it under another address): nothing was deleted.
    TeardownWouldDelete { addresses: Vec<String> },
    /// terraform's state still holds resources after the destroy.
    TeardownLeftovers { addresses: Vec<String> },
    /// The Terraform outputs name no CloudFront distribution although the stack has a site.
    NoDistributionId,
    /// CloudFront has no distribution with the id the outputs name.
    DistributionMissing { id: String },
    /// CloudFront reports a distribution status siteup does not know.
    DistributionStatus { id: String, status: String },
    /// The site does not answer over HTTPS (yet): why, as the probe saw it.
    SiteNotAnswering { url: String, problem: String },
    /// The site answers over HTTPS, but not from CloudFront.
    SiteNotCloudFront {
        url: String,
        status: u16,
        server: Option<String>,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Failure::Aws(e) => sentence(&e.to_string()),
            Failure::Terraform { problem } => sentence(problem),
            Failure::RunFailed { command, reason } => {
                format!("terraform {command} failed: {}", sentence(reason))
            }
            Failure::CloudFrontAccountUnverified => format!(
                "AWS refused to create the CloudFront distribution because it has not verified this AWS account for CloudFront yet, as happens to new accounts: open a case with AWS Support at https://console.aws.amazon.com/support/home#/ asking them to verify the account for CloudFront and quoting \"{CLOUDFRONT_UNVERIFIED}\", then run `siteup up` once they confirm, to continue where the apply stopped."
            ),
            Failure::RunInterrupted { command } => format!(
                "terraform {command} was interrupted before it finished; run siteup again to continue."
            ),
            Failure::RunLost => "terraform stopped without an exit status; run siteup again to plan what is left.".into(),
            Failure::StateLocked { holder } => sentence(holder),
            Failure::UnreadableOutput { command, problem } => format!(
                "terraform {command} printed something siteup could not read ({problem}); run siteup again, and check that terraform is 1.11 or newer."
            ),
            Failure::StateMove { problem } => sentence(problem),
            Failure::ProtectedDeletion { objects, keep } => {
                let keep = if keep.is_empty() {
                    "undo the change in siteup.toml".to_string()
                } else {
                    format!("put `{}` back in siteup.toml", keep.join("` and `"))
                };
                format!(
                    "The plan would delete {}, whose deletion protection is on because it holds your data, so siteup applied nothing; {keep} and run siteup again, or, to delete the data for good, turn its deletion protection off in the AWS console first.",
                    objects.join(" and ")
                )
            }
            Failure::NoReviewedPlan => {
                "There is no reviewed plan to apply; plan again.".into()
            }
            Failure::NotApproved { problem } => sentence(problem),
            Failure::NoSiteAnswers { folder } => format!(
                "There is no siteup.toml in {}; answer the site questions first.",
                folder.display()
            ),
            Failure::Settings { problem } => sentence(problem),
            Failure::Answers { problem } => sentence(problem),
            Failure::Generate { problem } => sentence(problem),
            Failure::Write { path, problem } => format!(
                "Could not write {}: {problem}; check that the folder is writable and run siteup again.",
                path.display()
            ),
            Failure::NoZoneYet { domain } => format!(
                "Route 53 has no hosted zone for {domain} yet; it is created in the zone step."
            ),
            Failure::SeveralZones { listing } => sentence(listing),
            Failure::Preflight { problem } => sentence(problem),
            Failure::Sandbox { problem } => format!(
                "The sandbox could not play its part: {}",
                sentence(problem)
            ),
            Failure::NotASandbox => "This folder has no sandbox, and only a sandbox can play a human step; do the step yourself (the wizard says how), or rehearse in a folder of its own with `siteup sandbox`.".into(),
            Failure::NothingToPlay { step } => {
                format!("The sandbox has nothing to play for {step}.")
            }
            Failure::NotACheckpoint { step } => format!("{step} is not a checkpoint."),
            Failure::NoInbox => "The site answers name no inbox, so there is no verification mail to send; add yours with `siteup generate --inbox you@example.net`.".to_string(),
            Failure::MailNotReady { missing } => format!(
                "Nothing was submitted: SES reviewers deny requests from domains without {}, which {} not in place yet; `siteup email` shows what to fix, or submit anyway with `siteup ses-request --submit --force`.",
                crate::words::and_list(missing),
                if missing.len() == 1 { "is" } else { "are" }
            ),
            Failure::CertificateInUse { waited } => format!(
                "ACM still refuses to delete the certificate because something holds it, after siteup waited {} for CloudFront to release it; run `siteup destroy` again later (it continues where it stopped), or see which resource holds it under \"In use by\" in the ACM console.",
                crate::words::duration(*waited, crate::words::DurationStyle::Wait)
            ),
            Failure::TeardownRecord { problem } => sentence(problem),
            Failure::TeardownWouldDelete { addresses } => format!(
                "The destroy plan would delete {}, which holds data the teardown keeps, so siteup deleted nothing; check the terraform files for a renamed resource, or use `siteup destroy --all` to delete the data too.",
                addresses.join(", ")
            ),
            Failure::TeardownLeftovers { addresses } => format!(
                "terraform's state still holds {} after the destroy; run `siteup destroy` again to retry them.",
                addresses.join(", ")
            ),
            Failure::NoDistributionId => "The Terraform outputs name no CloudFront distribution although the stack has a website; run `siteup up` to apply the stack again.".into(),
            Failure::DistributionMissing { id } => format!(
                "CloudFront has no distribution {} (deleted outside siteup?); run `siteup up` to create it again.",
                printable(id)
            ),
            Failure::DistributionStatus { id, status } => format!(
                "CloudFront reports distribution {} as \"{}\", a status siteup does not know; look at it in the CloudFront console, then run `siteup status` again.",
                printable(id),
                printable(status)
            ),
            Failure::SiteNotAnswering { url, problem } => format!(
                "CloudFront has deployed the site but {url} does not answer over HTTPS yet ({}); resolvers can take a few minutes to find the new records, and siteup checks again.",
                printable(problem).trim_end_matches('.')
            ),
            Failure::SiteNotCloudFront {
                url,
                status,
                server,
            } => format!(
                "{url} answers (HTTP {status}{}) but not from CloudFront, so resolvers still hold older records for the domain; siteup checks again until they expire (run `siteup status` to see what they say).",
                server
                    .as_deref()
                    .map(|s| format!(", server {}", printable(s)))
                    .unwrap_or_default()
            ),
            Failure::TaskLost { what } => format!(
                "siteup's {what} ended before it answered; run siteup again, and report it if it happens again."
            ),
        };
        // One sentence, capitalised, whatever the variant (terraform's name stays lowercase).
        if text.starts_with("terraform ") || text.starts_with("siteup") {
            f.write_str(&text)
        } else {
            f.write_str(&sentence(&text))
        }
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// The failure of a terraform run that did not succeed: an interrupted one says so, and an
    /// AWS refusal siteup knows is explained in its own words.
    pub fn of_run(command: &'static str, outcome: &RunOutcome) -> Failure {
        if outcome.kind == ExitKind::Interrupted {
            return Failure::RunInterrupted { command };
        }
        match KnownRefusal::of(outcome) {
            Some(KnownRefusal::CloudFrontAccountUnverified) => Failure::CloudFrontAccountUnverified,
            Some(KnownRefusal::CertificateInUse) | None => Failure::RunFailed {
                command,
                reason: outcome.reason(),
            },
        }
    }
}

/// A failure is written out as its sentence (`status --json`, the journal).
impl serde::Serialize for Failure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl From<crate::project::teardown::TeardownFileError> for Failure {
    fn from(e: crate::project::teardown::TeardownFileError) -> Self {
        Failure::TeardownRecord {
            problem: e.to_string(),
        }
    }
}

impl From<AwsError> for Failure {
    fn from(e: AwsError) -> Self {
        Failure::Aws(e)
    }
}

impl From<crate::terraform::TfError> for Failure {
    fn from(e: crate::terraform::TfError) -> Self {
        Failure::Terraform {
            problem: e.to_string(),
        }
    }
}

impl From<crate::terraform::bootstrap::BootstrapError> for Failure {
    fn from(e: crate::terraform::bootstrap::BootstrapError) -> Self {
        Failure::StateMove {
            problem: e.to_string(),
        }
    }
}

impl From<crate::project::settings::SettingsError> for Failure {
    fn from(e: crate::project::settings::SettingsError) -> Self {
        Failure::Settings {
            problem: e.to_string(),
        }
    }
}

impl From<crate::tfgen::TfgenError> for Failure {
    fn from(e: crate::tfgen::TfgenError) -> Self {
        Failure::Generate {
            problem: e.to_string(),
        }
    }
}

impl From<crate::site::InputError> for Failure {
    fn from(e: crate::site::InputError) -> Self {
        Failure::Answers {
            problem: e.to_string(),
        }
    }
}

impl From<tokio::task::JoinError> for Failure {
    fn from(_: tokio::task::JoinError) -> Self {
        Failure::TaskLost {
            what: "background task",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant is one sentence: capitalised, ending with a full stop, on one line.
    #[test]
    fn every_failure_reads_as_one_sentence() {
        let all = [
            Failure::Aws(AwsError::Throttled {
                service: "SES".into(),
            }),
            Failure::Terraform {
                problem: "terraform was not found on PATH".into(),
            },
            Failure::RunFailed {
                command: "plan",
                reason: "error: boom".into(),
            },
            Failure::RunInterrupted { command: "apply" },
            Failure::CertificateInUse {
                waited: std::time::Duration::from_secs(1800),
            },
            Failure::TeardownRecord {
                problem: "could not write x".into(),
            },
            Failure::TeardownWouldDelete {
                addresses: vec!["aws_dynamodb_table.main".into()],
            },
            Failure::TeardownLeftovers {
                addresses: vec!["aws_acm_certificate.main".into()],
            },
            Failure::CloudFrontAccountUnverified,
            Failure::RunLost,
            Failure::StateLocked {
                holder: "the state is locked by x".into(),
            },
            Failure::UnreadableOutput {
                command: "output",
                problem: "expected value".into(),
            },
            Failure::StateMove {
                problem: "the copy differs".into(),
            },
            Failure::ProtectedDeletion {
                objects: vec!["the Cognito user pool (aws_cognito_user_pool.main)".into()],
                keep: vec!["users = true"],
            },
            Failure::ProtectedDeletion {
                objects: vec!["the DynamoDB table (aws_dynamodb_table.main)".into()],
                keep: vec![],
            },
            Failure::NoReviewedPlan,
            Failure::NotApproved {
                problem: "type apply".into(),
            },
            Failure::NoSiteAnswers {
                folder: PathBuf::from("/tmp/x"),
            },
            Failure::Settings {
                problem: "siteup.toml line 3: bad".into(),
            },
            Failure::Answers {
                problem: "the domain is empty".into(),
            },
            Failure::Generate {
                problem: "kept your edit".into(),
            },
            Failure::Write {
                path: PathBuf::from("/tmp/x"),
                problem: "permission denied".into(),
            },
            Failure::NoZoneYet {
                domain: "example.com".into(),
            },
            Failure::SeveralZones {
                listing: "Route 53 has two zones".into(),
            },
            Failure::Preflight {
                problem: "terraform is missing".into(),
            },
            Failure::Sandbox {
                problem: "the emulator did not answer".into(),
            },
            Failure::NotASandbox,
            Failure::NothingToPlay { step: "Terraform" },
            Failure::NotACheckpoint { step: "Terraform" },
            Failure::TaskLost { what: "plan" },
            Failure::NoInbox,
            Failure::MailNotReady {
                missing: vec!["DKIM signing", "DMARC"],
            },
            Failure::NoDistributionId,
            Failure::DistributionMissing {
                id: "E2QWRUHEXAMPLE".into(),
            },
            Failure::DistributionStatus {
                id: "E2QWRUHEXAMPLE".into(),
                status: "Disabled".into(),
            },
            Failure::SiteNotAnswering {
                url: "https://example.com/".into(),
                problem: "connection refused.".into(),
            },
            Failure::SiteNotCloudFront {
                url: "https://example.com/".into(),
                status: 200,
                server: Some("nginx".into()),
            },
        ];
        for f in all {
            let text = f.to_string();
            assert!(
                text.starts_with("terraform ")
                    || text.starts_with("siteup's ")
                    || text.chars().next().is_some_and(char::is_uppercase),
                "{text}"
            );
            assert!(text.ends_with('.'), "{text}");
            assert!(!text.contains('\n'), "{text}");
            assert!(!text.contains(".."), "{text}");
        }
    }

    fn failed_run(errors: &[&str], kind: ExitKind) -> RunOutcome {
        RunOutcome {
            kind,
            code: Some(1),
            signal: None,
            stderr: String::new(),
            errors: errors.iter().map(ToString::to_string).collect(),
            lock: None,
            interrupt_requested: false,
            saw_interrupt: false,
            duration: std::time::Duration::from_secs(2),
        }
    }

    /// A new account's CloudFront refusal reads as what it means and what to do, not as
    /// terraform's error.
    #[test]
    fn an_unverified_cloudfront_account_says_to_ask_aws_support_then_run_siteup_up() {
        let line = "aws_cloudfront_distribution.site: creating CloudFront Distribution: operation error CloudFront: CreateDistributionWithTags, https response error StatusCode: 403, RequestID: 797432d4, AccessDenied: Your account must be verified before you can add new CloudFront resources. To verify your account, please contact AWS Support (https://console.aws.amazon.com/support/home#/) and include this error message.";
        let failure = Failure::of_run("apply", &failed_run(&[line], ExitKind::Failed));
        assert_eq!(failure, Failure::CloudFrontAccountUnverified);
        let text = failure.to_string();
        for part in [
            "has not verified this AWS account for CloudFront",
            "AWS Support",
            "https://console.aws.amazon.com/support/home#/",
            "Your account must be verified before you can add new CloudFront resources",
            "`siteup up`",
        ] {
            assert!(text.contains(part), "{part:?} in {text}");
        }

        // Other failures keep terraform's reason; an interrupt stays an interrupt.
        let other = Failure::of_run("apply", &failed_run(&["boom"], ExitKind::Failed));
        assert_eq!(
            other,
            Failure::RunFailed {
                command: "apply",
                reason: "boom".into()
            }
        );
        let interrupted = Failure::of_run("apply", &failed_run(&[line], ExitKind::Interrupted));
        assert_eq!(interrupted, Failure::RunInterrupted { command: "apply" });
    }
}
