//! The journey's steps, their kinds and their dependencies.
//!
//! ```text
//!  preflight ─┬─ profile ──────────────┐
//!             └─ site ── generate ─────┴─ foundation ─┬─ state ───────────────────────────────┐
//!                                                      ├─ nameservers ── email-domain ─────────┴─ stack ── edge ─┐
//!                                                      ├─ inbox ─────────────────────────────────────────────────┤
//!                                                      ├─ alerts ────────────────────────────────────────────────┼─ done
//!                                                      └─ ses-production ────────────────────────────────────────┘
//! ```
//! Human waits start as early as their dependencies allow: the SES identities and their records
//! are created with the zone (foundation), so the inbox's verification mail and the alerts
//! topic's confirmation mail are sent and the sandbox exit can be requested while the user is
//! still at the registrar, and the domain verifies
//! itself the moment delegation is live. Everything that does not wait on a human is applied
//! together: two applies in all. The foundation apply also creates the state bucket, with local
//! state; the state step moves the state into it right after (while the user is at the
//! registrar), verified before any local file is deleted. The stack apply ends once the
//! CloudFront distribution exists; `edge` then follows CloudFront's deployment to its edge
//! locations (minutes on AWS) until the site answers over HTTPS, which is what `done` means.

use serde::{Deserialize, Serialize};

/// One step of the journey. The order of the variants is the checklist's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepId {
    Preflight,
    Profile,
    Site,
    Generate,
    Foundation,
    State,
    Nameservers,
    EmailDomain,
    #[serde(alias = "sender-address")]
    Inbox,
    Alerts,
    SesProduction,
    Stack,
    Edge,
    Done,
}

/// Who a step waits on when it is not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// siteup does it (checks, generation, terraform).
    Auto,
    /// A person must act (registrar, inbox, form).
    Human,
    /// AWS must act (verification, review); siteup polls.
    Aws,
}

impl StepId {
    pub const ALL: [StepId; 14] = [
        StepId::Preflight,
        StepId::Profile,
        StepId::Site,
        StepId::Generate,
        StepId::Foundation,
        StepId::State,
        StepId::Nameservers,
        StepId::EmailDomain,
        StepId::Inbox,
        StepId::Alerts,
        StepId::SesProduction,
        StepId::Stack,
        StepId::Edge,
        StepId::Done,
    ];

    /// The stable id used in the journal, `status --json` and the log.
    pub fn id(self) -> &'static str {
        match self {
            StepId::Preflight => "preflight",
            StepId::Profile => "profile",
            StepId::Site => "site",
            StepId::Generate => "generate",
            StepId::Foundation => "foundation",
            StepId::State => "state",
            StepId::Nameservers => "nameservers",
            StepId::EmailDomain => "email-domain",
            StepId::Inbox => "inbox",
            StepId::Alerts => "alerts",
            StepId::SesProduction => "ses-production",
            StepId::Stack => "stack",
            StepId::Edge => "edge",
            StepId::Done => "done",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        if id == "sender-address" {
            // The step's name in journals written before the owner's inbox replaced the
            // sender address.
            return Some(StepId::Inbox);
        }
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The checklist's title for the step.
    pub fn title(self) -> &'static str {
        match self {
            StepId::Preflight => "Preflight checks",
            StepId::Profile => "AWS profile",
            StepId::Site => "Site answers",
            StepId::Generate => "Terraform files",
            StepId::Foundation => "Zone, email, storage",
            StepId::State => "State moved to S3",
            StepId::Nameservers => "Nameservers at registrar",
            StepId::EmailDomain => "Email domain verified",
            StepId::Inbox => "Your inbox verified",
            StepId::Alerts => "Alerts confirmed",
            StepId::SesProduction => "SES out of sandbox",
            StepId::Stack => "Site, users, API",
            StepId::Edge => "Site live over HTTPS",
            StepId::Done => "Done",
        }
    }

    pub fn kind(self) -> StepKind {
        match self {
            StepId::Nameservers | StepId::Inbox | StepId::Alerts | StepId::Site => StepKind::Human,
            StepId::EmailDomain | StepId::SesProduction | StepId::Edge => StepKind::Aws,
            _ => StepKind::Auto,
        }
    }

    /// Whether the step is a checkpoint that is polled live rather than run.
    pub fn is_checkpoint(self) -> bool {
        matches!(
            self,
            StepId::Nameservers
                | StepId::EmailDomain
                | StepId::Inbox
                | StepId::Alerts
                | StepId::SesProduction
                | StepId::Edge
        )
    }

    /// Whether the step runs terraform (and so must run alone).
    pub fn runs_terraform(self) -> bool {
        matches!(self, StepId::State | StepId::Foundation | StepId::Stack)
    }

    /// The steps that must be done before this one can start.
    pub fn requires(self) -> &'static [StepId] {
        match self {
            StepId::Preflight => &[],
            StepId::Profile => &[StepId::Preflight],
            StepId::Site => &[StepId::Preflight],
            StepId::Generate => &[StepId::Site],
            StepId::Foundation => &[StepId::Generate, StepId::Profile],
            StepId::State => &[StepId::Foundation],
            StepId::Nameservers => &[StepId::Foundation],
            StepId::EmailDomain => &[StepId::Nameservers],
            StepId::Inbox | StepId::Alerts => &[StepId::Foundation],
            StepId::SesProduction => &[StepId::Foundation],
            StepId::Stack => &[StepId::State, StepId::Nameservers, StepId::EmailDomain],
            StepId::Edge => &[StepId::Stack],
            StepId::Done => &[
                StepId::Edge,
                StepId::Inbox,
                StepId::Alerts,
                StepId::SesProduction,
            ],
        }
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_point_backwards_so_the_graph_has_no_cycle() {
        for step in StepId::ALL {
            for dep in step.requires() {
                assert!(dep < &step, "{step} requires {dep}, which comes after it");
            }
        }
    }

    #[test]
    fn ids_round_trip() {
        for step in StepId::ALL {
            assert_eq!(StepId::from_id(step.id()), Some(step));
        }
    }
}
