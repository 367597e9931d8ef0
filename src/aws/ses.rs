//! SES status for the email checkpoints: the domain identity (verification, DKIM, MAIL FROM),
//! the sender address, and the account (sandbox or production, quota, review).

use std::fmt;

use serde::Serialize;

/// The state of one SES check, as SES words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckState {
    NotStarted,
    Pending,
    Success,
    Failed,
    TemporaryFailure,
    Unknown,
}

impl CheckState {
    /// From SES's `SUCCESS`, `PENDING`, `FAILED`, `TEMPORARY_FAILURE`, `NOT_STARTED`.
    pub fn parse(value: &str) -> Self {
        match value.trim().to_ascii_uppercase().as_str() {
            "SUCCESS" => Self::Success,
            "PENDING" => Self::Pending,
            "FAILED" => Self::Failed,
            "TEMPORARY_FAILURE" => Self::TemporaryFailure,
            "NOT_STARTED" => Self::NotStarted,
            _ => Self::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotStarted => "not started",
            Self::Pending => "pending",
            Self::Success => "verified",
            Self::Failed => "failed",
            Self::TemporaryFailure => "temporary failure",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for CheckState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The custom MAIL FROM domain's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailFromStatus {
    pub domain: String,
    pub state: CheckState,
}

/// The domain identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainIdentityStatus {
    pub domain: String,
    /// False when SES has no identity for the domain (terraform has not created it yet).
    pub exists: bool,
    pub verified_for_sending: bool,
    pub verification: CheckState,
    pub dkim: CheckState,
    /// The DKIM CNAME tokens (public; they name the records terraform writes).
    pub dkim_tokens: Vec<String>,
    pub mail_from: Option<MailFromStatus>,
    /// The configuration set the identity's mail uses by default (its ConfigurationSetName).
    pub configuration_set: Option<String>,
}

impl DomainIdentityStatus {
    pub fn missing(domain: &str) -> Self {
        Self {
            domain: domain.to_string(),
            exists: false,
            verified_for_sending: false,
            verification: CheckState::NotStarted,
            dkim: CheckState::NotStarted,
            dkim_tokens: Vec::new(),
            mail_from: None,
            configuration_set: None,
        }
    }

    /// Verified for sending, DKIM verified, and MAIL FROM (when set up) verified.
    pub fn is_ready(&self) -> bool {
        self.exists
            && self.verified_for_sending
            && self.dkim == CheckState::Success
            && self
                .mail_from
                .as_ref()
                .is_none_or(|m| m.state == CheckState::Success)
    }

    /// SES stopped trying (72 hours without the records): only a new identity verifies.
    pub fn gave_up(&self) -> bool {
        self.exists && (self.dkim == CheckState::Failed || self.verification == CheckState::Failed)
    }

    /// One sentence for the checklist.
    pub fn headline(&self) -> String {
        let d = &self.domain;
        if !self.exists {
            return format!(
                "SES has no identity for {d} yet; it is created with the zone in the next apply."
            );
        }
        if self.is_ready() {
            return format!("{d} is verified in SES, with DKIM and MAIL FROM.");
        }
        if self.gave_up() {
            return format!(
                "SES stopped looking for the DKIM records of {d} after 72 hours; siteup plans the zone and email again to create the identity anew, and SES verifies it minutes after that apply."
            );
        }
        format!(
            "SES is verifying {d} (DKIM {}, MAIL FROM {}); this finishes by itself minutes after the nameservers are live.",
            self.dkim,
            self.mail_from
                .as_ref()
                .map_or("not set up".to_string(), |m| m.state.to_string())
        )
    }

    /// Lines for the email pane.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("Domain {}: {}", self.domain, self.verification),
            format!(
                "Verified for sending: {}",
                if self.verified_for_sending {
                    "yes"
                } else {
                    "no"
                }
            ),
            format!("DKIM: {}", self.dkim),
        ];
        match &self.mail_from {
            Some(m) => lines.push(format!("MAIL FROM {}: {}", m.domain, m.state)),
            None => lines.push("MAIL FROM: not set up".to_string()),
        }
        lines
    }
}

/// The sender address identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SenderStatus {
    pub address: String,
    pub exists: bool,
    /// True once the link in the verification mail was clicked.
    pub verified: bool,
    pub verification: CheckState,
}

impl SenderStatus {
    pub fn missing(address: &str) -> Self {
        Self {
            address: address.to_string(),
            exists: false,
            verified: false,
            verification: CheckState::NotStarted,
        }
    }

    pub fn headline(&self) -> String {
        let a = &self.address;
        if !self.exists {
            format!("SES has no identity for {a} yet; it is created with the next apply.")
        } else if self.verified {
            format!("{a} is verified.")
        } else if self.verification == CheckState::Failed {
            format!(
                "The verification link for {a} expired unused (it lasts 24 hours); resend the mail and click the link in it."
            )
        } else {
            format!(
                "SES sent a verification mail to {a}; click the link in it (resend the mail if it did not arrive)."
            )
        }
    }
}

/// SES's sending limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SendQuota {
    pub max_24_hour_send: f64,
    pub max_send_rate: f64,
    pub sent_last_24_hours: f64,
}

/// The production-access review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewState {
    Pending,
    Granted,
    Denied,
    Failed,
    Unknown(String),
}

impl ReviewState {
    pub fn parse(value: &str) -> Self {
        match value.trim().to_ascii_uppercase().as_str() {
            "PENDING" => Self::Pending,
            "GRANTED" => Self::Granted,
            "DENIED" => Self::Denied,
            "FAILED" => Self::Failed,
            other => Self::Unknown(other.to_string()),
        }
    }

    pub fn label(&self) -> &str {
        match self {
            Self::Pending => "PENDING",
            Self::Granted => "GRANTED",
            Self::Denied => "DENIED",
            Self::Failed => "FAILED",
            Self::Unknown(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub status: ReviewState,
    pub case_id: Option<String>,
}

/// What was submitted in the production-access request, as GetAccount echoes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmittedDetails {
    pub mail_type: Option<String>,
    pub website_url: Option<String>,
    pub use_case_description: Option<String>,
}

/// The SES account in one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountStatus {
    /// Out of the sandbox.
    pub production_access: bool,
    pub sending_enabled: bool,
    pub quota: Option<SendQuota>,
    /// `HEALTHY`, `PROBATION` or `SHUTDOWN`.
    pub enforcement_status: Option<String>,
    pub review: Option<Review>,
    pub details: Option<SubmittedDetails>,
    /// What the account-level suppression list collects: `BOUNCE`, `COMPLAINT`.
    pub suppressed_reasons: Vec<String>,
}

impl AccountStatus {
    /// A new account as SES starts it: in the sandbox, sending enabled, 200 messages a day and
    /// 1 a second, healthy, no review asked for (the unit tests' starting point).
    #[cfg(test)]
    pub(crate) fn new_in_sandbox() -> AccountStatus {
        AccountStatus {
            production_access: false,
            sending_enabled: true,
            quota: Some(SendQuota {
                max_24_hour_send: 200.0,
                max_send_rate: 1.0,
                sent_last_24_hours: 0.0,
            }),
            enforcement_status: Some("HEALTHY".into()),
            review: None,
            details: None,
            suppressed_reasons: Vec::new(),
        }
    }

    /// The review's case id, when there is one.
    pub fn case_id(&self) -> Option<&str> {
        self.review.as_ref().and_then(|r| r.case_id.as_deref())
    }

    pub fn review_state(&self) -> Option<&ReviewState> {
        self.review.as_ref().map(|r| &r.status)
    }

    /// Whether submitting now would make a new production-access request: the account is in
    /// the sandbox and no review is pending or granted.
    pub fn awaits_request(&self) -> bool {
        !self.production_access
            && !matches!(
                self.review_state(),
                Some(ReviewState::Pending | ReviewState::Granted)
            )
    }

    /// One sentence for the checklist.
    pub fn headline(&self) -> String {
        if self.production_access {
            return match &self.quota {
                Some(q) => format!(
                    "SES production access is granted: up to {} messages a day, {} a second, to any address.",
                    thousands(q.max_24_hour_send),
                    thousands(q.max_send_rate)
                ),
                None => "SES production access is granted.".to_string(),
            };
        }
        let case = self
            .case_id()
            .map(|c| format!(" (case {c})"))
            .unwrap_or_default();
        match self.review_state() {
            Some(ReviewState::Pending) => format!(
                "AWS is reviewing the production-access request{case}; answers usually come within a day, by mail and in the AWS Support console."
            ),
            Some(ReviewState::Granted) => {
                format!("AWS granted production access{case}; it takes effect within minutes.")
            }
            Some(ReviewState::Denied | ReviewState::Failed) => review_guidance(self)
                .unwrap_or_else(|| "AWS did not grant production access.".to_string()),
            _ => {
                let limit = self.quota.map_or_else(
                    || "a small daily limit".to_string(),
                    |q| format!("{} messages a day", thousands(q.max_24_hour_send)),
                );
                format!(
                    "The SES account is in the sandbox ({limit}, only to verified addresses); send the production-access request so your users get their mail."
                )
            }
        }
    }

    /// Lines for the sandbox-exit pane.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "Account: {}",
            if self.production_access {
                "production"
            } else {
                "sandbox"
            }
        )];
        if let Some(q) = &self.quota {
            lines.push(format!(
                "Quota: {} a day, {} a second ({} sent in the last 24 h)",
                thousands(q.max_24_hour_send),
                thousands(q.max_send_rate),
                thousands(q.sent_last_24_hours)
            ));
        }
        if let Some(r) = &self.review {
            lines.push(format!(
                "Review: {}{}",
                r.status.label(),
                r.case_id
                    .as_deref()
                    .map(|c| format!(", case {c}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(e) = &self.enforcement_status {
            lines.push(format!("Sending status: {e}"));
        }
        lines
    }
}

/// What to do after a denied or failed review (None for any other state).
pub fn review_guidance(account: &AccountStatus) -> Option<String> {
    let review = account.review.as_ref()?;
    let case = review.case_id.as_deref();
    let where_ = match case {
        Some(id) => format!(
            "case {id} in the AWS Support console (https://console.aws.amazon.com/support/home#/case/?displayId={id})"
        ),
        None => "the case in the AWS Support console (https://console.aws.amazon.com/support/home#/case/)".to_string(),
    };
    match review.status {
        ReviewState::Denied => Some(format!(
            "AWS denied production access; open {where_}, read the reviewer's reason, and reply there (not with a new request, which AWS refuses) saying how people sign up and confirm their address, that you send only transactional mail, how bounces and complaints are handled, and how many messages a day you expect."
        )),
        ReviewState::Failed => Some(format!(
            "The production-access review could not be completed; open {where_} and reply there, or open a new case of type \"Service limit increase\" for SES sending limits."
        )),
        _ => None,
    }
}

/// 50000.0 -> "50,000"; 14.0 -> "14"; 0.5 -> "0.5".
pub fn thousands(value: f64) -> String {
    if !value.is_finite() || value < 0.0 {
        return "0".to_string();
    }
    if value.fract() != 0.0 && value < 10.0 {
        return format!("{value:.1}");
    }
    let n = value.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox() -> AccountStatus {
        AccountStatus::new_in_sandbox()
    }

    #[test]
    fn states_parse() {
        assert_eq!(CheckState::parse("SUCCESS"), CheckState::Success);
        assert_eq!(
            CheckState::parse("temporary_failure"),
            CheckState::TemporaryFailure
        );
        assert_eq!(CheckState::parse("what"), CheckState::Unknown);
        assert_eq!(ReviewState::parse("DENIED"), ReviewState::Denied);
        assert_eq!(
            ReviewState::parse("NEW"),
            ReviewState::Unknown("NEW".into())
        );
    }

    #[test]
    fn domain_readiness_needs_dkim_and_mail_from() {
        let mut d = DomainIdentityStatus::missing("example.com");
        assert!(!d.is_ready());
        assert!(d.headline().contains("no identity"));
        d.exists = true;
        d.verified_for_sending = true;
        d.verification = CheckState::Success;
        d.dkim = CheckState::Success;
        d.mail_from = Some(MailFromStatus {
            domain: "mail.example.com".into(),
            state: CheckState::Pending,
        });
        assert!(!d.is_ready());
        assert!(
            d.headline().contains("MAIL FROM pending"),
            "{}",
            d.headline()
        );
        d.mail_from = Some(MailFromStatus {
            domain: "mail.example.com".into(),
            state: CheckState::Success,
        });
        assert!(d.is_ready());
    }

    #[test]
    fn sender_headlines() {
        let mut s = SenderStatus::missing("no-reply@example.com");
        s.exists = true;
        s.verification = CheckState::Pending;
        assert!(s.headline().contains("click the link"));
        s.verified = true;
        assert_eq!(s.headline(), "no-reply@example.com is verified.");
    }

    #[test]
    fn account_headlines_follow_the_review() {
        let mut a = sandbox();
        assert!(
            a.headline().contains("sandbox (200 messages a day"),
            "{}",
            a.headline()
        );
        a.review = Some(Review {
            status: ReviewState::Pending,
            case_id: Some("1234567890".into()),
        });
        assert!(a.headline().contains("case 1234567890"), "{}", a.headline());
        a.review = Some(Review {
            status: ReviewState::Denied,
            case_id: Some("1234567890".into()),
        });
        let denied = a.headline();
        assert!(denied.contains("denied"), "{denied}");
        assert!(denied.contains("displayId=1234567890"), "{denied}");
        assert_eq!(review_guidance(&a), Some(denied));
        a.production_access = true;
        a.quota = Some(SendQuota {
            max_24_hour_send: 50000.0,
            max_send_rate: 14.0,
            sent_last_24_hours: 3.0,
        });
        assert!(a.headline().contains("50,000 messages a day, 14 a second"));
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(thousands(50000.0), "50,000");
        assert_eq!(thousands(1_000_000.0), "1,000,000");
        assert_eq!(thousands(200.0), "200");
        assert_eq!(thousands(0.5), "0.5");
    }
}
