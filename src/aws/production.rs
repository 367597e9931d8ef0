//! The SES sandbox-exit (production access) request: composed from the real site, shown for
//! copying or submitted with PutAccountDetails after the user confirms, then followed.

use serde::{Deserialize, Serialize};

use crate::site::{Part, SiteConfig};

use super::AwsApi;
use super::error::AwsError;
use super::mail_readiness::MailReadiness;
use super::ses::{AccountStatus, ReviewState, review_guidance};

/// The longest use-case description SES accepts.
pub const MAX_USE_CASE_CHARS: usize = 5000;

/// The kind of mail, as PutAccountDetails names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MailType {
    Transactional,
    Marketing,
}

impl MailType {
    pub fn api_value(self) -> &'static str {
        match self {
            Self::Transactional => "TRANSACTIONAL",
            Self::Marketing => "MARKETING",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Transactional => "Transactional",
            Self::Marketing => "Marketing",
        }
    }
}

/// The language AWS answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContactLanguage {
    En,
    Ja,
}

impl ContactLanguage {
    pub fn api_value(self) -> &'static str {
        match self {
            Self::En => "EN",
            Self::Ja => "JA",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Ja => "Japanese",
        }
    }
}

/// The request, as the user reviews (and may edit) it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductionAccessRequest {
    pub domain: String,
    pub website_url: String,
    pub mail_type: MailType,
    pub contact_language: ContactLanguage,
    /// Editable: what is sent, to whom, how bounces and complaints are handled.
    pub use_case_description: String,
    /// Up to four more addresses AWS writes to about SES matters.
    pub additional_contacts: Vec<String>,
}

impl ProductionAccessRequest {
    /// The request for this site. `account` (when known) tells whether the account-level
    /// suppression list already handles bounces and complaints.
    pub fn compose(site: &SiteConfig, account: Option<&AccountStatus>) -> Self {
        Self::compose_with(site, account, None)
    }

    /// The request for this site, stating the bounce and complaint handling that `readiness`
    /// found in place (and nothing it did not find).
    pub fn compose_with(
        site: &SiteConfig,
        account: Option<&AccountStatus>,
        readiness: Option<&MailReadiness>,
    ) -> Self {
        let domain = site.domain.as_str().to_string();
        let handling = readiness.map(MailReadiness::handling);
        Self {
            website_url: format!("https://{domain}"),
            use_case_description: default_use_case(site, account, handling.as_deref()),
            domain,
            mail_type: MailType::Transactional,
            contact_language: ContactLanguage::En,
            // AWS mails the review's outcome to the account's contacts and these.
            additional_contacts: site.inbox.iter().map(|i| i.as_str().to_string()).collect(),
        }
    }

    /// The same request with the user's own description.
    pub fn with_use_case(mut self, text: impl Into<String>) -> Self {
        self.use_case_description = text.into();
        self
    }

    /// Checks what SES would refuse, as one sentence with the fix.
    pub fn check(&self) -> Result<(), String> {
        let text = self.use_case_description.trim();
        if text.is_empty() {
            return Err(
                "The use-case description is empty; describe what mail you send and to whom."
                    .into(),
            );
        }
        let n = text.chars().count();
        if n > MAX_USE_CASE_CHARS {
            return Err(format!(
                "The use-case description has {n} characters and SES takes at most {MAX_USE_CASE_CHARS}; shorten it."
            ));
        }
        if !(self.website_url.starts_with("https://") || self.website_url.starts_with("http://")) {
            return Err(format!(
                "The website URL {} must start with https://; use https://{}.",
                self.website_url, self.domain
            ));
        }
        if self.additional_contacts.len() > 4 {
            return Err(format!(
                "SES takes at most 4 additional contact addresses and {} are given; keep four.",
                self.additional_contacts.len()
            ));
        }
        for a in &self.additional_contacts {
            let ok = a.len() <= 254
                && a.split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !a.contains(' '));
            if !ok {
                return Err(format!(
                    "{a} is not an email address; give contacts like you@{}.",
                    self.domain
                ));
            }
        }
        Ok(())
    }

    /// The request as text to copy into the SES console's "Request production access" form.
    pub fn text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("Mail type: {}\n", self.mail_type.label()));
        out.push_str(&format!("Website URL: {}\n", self.website_url));
        out.push_str(&format!(
            "Contact language: {}\n",
            self.contact_language.label()
        ));
        if !self.additional_contacts.is_empty() {
            out.push_str(&format!(
                "Additional contacts: {}\n",
                self.additional_contacts.join(", ")
            ));
        }
        out.push_str("Use case description:\n");
        out.push_str(self.use_case_description.trim());
        out.push('\n');
        out
    }
}

/// The default use-case description, written from the site's answers. `handling` (when the
/// mail's readiness was assessed) is the bounce and complaint handling found in place, one
/// sentence each; without it, the account's suppression list is all that is read.
pub fn default_use_case(
    site: &SiteConfig,
    account: Option<&AccountStatus>,
    handling: Option<&[String]>,
) -> String {
    let domain = site.domain.as_str();
    let url = format!("https://{domain}");
    let sender = site.sender_address();
    let users = site.parts.has(Part::Users);
    let api = site.parts.has(Part::Api);

    let mut what = Vec::new();
    if users {
        what.push(
            "sign-up confirmation codes and password-reset codes sent by Amazon Cognito when a person creates an account or asks to reset their password"
                .to_string(),
        );
    }
    if api {
        what.push("notices our API sends to a signed-in user about their own account".to_string());
    }
    if what.is_empty() {
        what.push(
            "replies the site sends to a visitor who asked for them (for example a receipt for a message sent through the site)"
                .to_string(),
        );
    }

    let recipients = if users {
        format!(
            "Every recipient is a person who signed up on {url} themselves and confirmed the address with the code we mailed them; unconfirmed addresses get nothing else."
        )
    } else {
        format!("Every recipient is a person who asked {url} for the message.")
    };

    let watch = "we watch the bounce and complaint rates on the SES reputation page and stop sending to find the cause if either rises.";
    let suppression_on = account.is_some_and(|a| {
        let has = |r: &str| {
            a.suppressed_reasons
                .iter()
                .any(|s| s.eq_ignore_ascii_case(r))
        };
        has("BOUNCE") && has("COMPLAINT")
    });
    let bounces = match handling {
        // What the readiness check found in place, and only that.
        Some(found) if !found.is_empty() => {
            format!(
                "Bounces and complaints: {} We also {watch}",
                found.join(" ")
            )
        }
        Some(_) => format!("Bounces and complaints: {watch}"),
        None if suppression_on => format!(
            "Bounces and complaints: the SES account-level suppression list is on for bounces and complaints, so an address that hard-bounces or complains is never mailed again; {watch}"
        ),
        None => format!(
            "Bounces and complaints: we turn on the SES account-level suppression list for bounces and complaints before launch, so an address that hard-bounces or complains is never mailed again; {watch}"
        ),
    };

    let replies = match site.inbound_mail.records() {
        [] => format!(
            "Mail is sent from {sender}, which does not take replies; each message says how to reach us through {url}."
        ),
        records => {
            let hosts: Vec<&str> = records.iter().map(|r| r.host.as_str()).collect();
            format!(
                "Mail is sent from {sender}; replies and mail to {domain} reach our mailbox through {}.",
                hosts.join(", ")
            )
        }
    };

    format!(
        "{domain} is our website ({url}). We send transactional email only, from our own verified domain with DKIM: {}. We send no marketing or newsletters and never mail bought, rented or scraped lists. {recipients} {bounces} {replies} We expect fewer than 1,000 messages a day at launch.",
        what.join("; and ")
    )
}

/// How a submission went.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmitOutcome {
    /// Sent; the account as it is now (normally PENDING with a case id).
    Submitted(AccountStatus),
    /// Nothing sent: the account already has production access.
    AlreadyProduction(AccountStatus),
    /// Nothing sent: a review is already under way (or granted and taking effect).
    AlreadyInReview(AccountStatus),
}

impl SubmitOutcome {
    pub fn account(&self) -> &AccountStatus {
        match self {
            Self::Submitted(a) | Self::AlreadyProduction(a) | Self::AlreadyInReview(a) => a,
        }
    }
}

/// Submits the request (after the user confirmed it), unless the account needs none, and
/// returns the account as it is afterwards. A ConflictException comes back as
/// [`AwsError::ProductionAccessConflict`] with the existing case id.
pub async fn submit_request(
    api: &dyn AwsApi,
    request: &ProductionAccessRequest,
) -> Result<SubmitOutcome, AwsError> {
    if let Err(problem) = request.check() {
        return Err(AwsError::BadRequest {
            service: "SES".into(),
            action: "ses:PutAccountDetails".into(),
            detail: problem,
        });
    }
    let before = api.account_status().await?;
    if before.production_access {
        return Ok(SubmitOutcome::AlreadyProduction(before));
    }
    if matches!(
        before.review_state(),
        Some(ReviewState::Pending | ReviewState::Granted)
    ) {
        return Ok(SubmitOutcome::AlreadyInReview(before));
    }
    match api.submit_production_access(request).await {
        Ok(()) => Ok(SubmitOutcome::Submitted(api.account_status().await?)),
        Err(AwsError::ProductionAccessConflict { .. }) => Err(AwsError::ProductionAccessConflict {
            case_id: before.case_id().map(str::to_string),
        }),
        Err(e) => Err(e),
    }
}

/// What `siteup ses-request` prints: the account's state, the request text for copying, and the
/// next step. `outcome` is set after `--submit`.
pub fn render_ses_request(
    request: &ProductionAccessRequest,
    account: Option<&AccountStatus>,
    outcome: Option<&SubmitOutcome>,
) -> String {
    let mut out = String::new();
    out.push_str(&format!("SES production access for {}\n\n", request.domain));
    let account = outcome.map(SubmitOutcome::account).or(account);
    if let Some(a) = account {
        for line in crate::words::wrap(&format!("Status: {}", a.headline()), 96) {
            out.push_str(&line);
            out.push('\n');
        }
        for line in a.lines() {
            out.push_str(&format!("  {line}\n"));
        }
        out.push('\n');
    }

    let needs_request = account.is_none_or(|a| {
        !a.production_access
            && !matches!(
                a.review_state(),
                Some(ReviewState::Pending | ReviewState::Granted)
            )
    });
    if needs_request || outcome.is_some() {
        out.push_str("The request:\n\n");
        for line in request.text().lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                for wrapped in crate::words::wrap(line, 92) {
                    out.push_str(&format!("  {wrapped}\n"));
                }
            }
        }
        out.push('\n');
    }

    let next = match (outcome, account) {
        (Some(SubmitOutcome::Submitted(a)), _) => format!(
            "Submitted{}; AWS usually answers within a day. Run `siteup ses-request` (or `siteup status`) to follow the review.",
            a.case_id().map(|c| format!(" as case {c}")).unwrap_or_default()
        ),
        (Some(SubmitOutcome::AlreadyProduction(_)), _) => {
            "Nothing was sent: the account already has production access.".to_string()
        }
        (Some(SubmitOutcome::AlreadyInReview(_)), _) => {
            "Nothing was sent: AWS is already reviewing a request for this account.".to_string()
        }
        (None, Some(a)) if a.production_access => {
            "Nothing to request: production access is granted.".to_string()
        }
        (None, Some(a)) if matches!(a.review_state(), Some(ReviewState::Pending)) => {
            "AWS is reviewing the request; run `siteup ses-request` again to follow it.".to_string()
        }
        (None, Some(a)) if matches!(a.review_state(), Some(ReviewState::Granted)) => {
            "AWS granted the request; production access takes effect within minutes.".to_string()
        }
        (None, Some(a)) if review_guidance(a).is_some() => {
            "Follow the guidance above; a new request through the API would be refused.".to_string()
        }
        _ => "Check the text, then run `siteup ses-request --submit` to send it, or paste it into the SES console (Account dashboard, Request production access).".to_string(),
    };
    for line in crate::words::wrap(&next, 96) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ses::Review;
    use crate::site::{Domain, InboundMail, Parts, Region};

    fn site() -> SiteConfig {
        SiteConfig::with_defaults(
            Domain::parse("example.com").expect("domain"),
            Region::parse("eu-west-1").expect("region"),
        )
    }

    fn sandbox(suppressed: &[&str]) -> AccountStatus {
        AccountStatus {
            enforcement_status: None,
            suppressed_reasons: suppressed
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            ..AccountStatus::new_in_sandbox()
        }
    }

    #[test]
    fn the_request_states_only_the_handling_found_in_place() {
        use crate::aws::mail_readiness::{
            AlertsSubscription, ConfigurationSetStatus, EventDestination, MailFacts, MailReadiness,
            TxtLookup,
        };
        use crate::aws::ses::{CheckState, DomainIdentityStatus};
        let facts = |set: Option<ConfigurationSetStatus>, suppressed: &[&str]| MailFacts {
            domain: "example.com".into(),
            planned_mail_from: "mail.example.com".into(),
            identity: Ok(DomainIdentityStatus {
                exists: true,
                dkim: CheckState::Success,
                configuration_set: set.as_ref().map(|s| s.name.clone()),
                ..DomainIdentityStatus::missing("example.com")
            }),
            configuration_set: set.map(Ok),
            account: Ok(sandbox(suppressed)),
            spf: TxtLookup::None,
            dmarc: TxtLookup::None,
            report_authorizations: Vec::new(),
            subscription: AlertsSubscription::Pending("you@example.net".into()),
            reputation_alarms: None,
        };
        let set = ConfigurationSetStatus {
            name: "example-com".into(),
            exists: true,
            suppressed_reasons: Vec::new(),
            reputation_metrics: true,
            destinations: vec![EventDestination {
                name: "alerts".into(),
                enabled: true,
                events: vec!["BOUNCE".into(), "COMPLAINT".into()],
                sns_topic: Some("arn:aws:sns:eu-west-1:123456789012:example-com-alerts".into()),
            }],
        };
        let found = MailReadiness::assess(&facts(Some(set), &["BOUNCE", "COMPLAINT"]));
        let text =
            ProductionAccessRequest::compose_with(&site(), None, Some(&found)).use_case_description;
        assert!(text.contains("configuration set example-com"), "{text}");
        assert!(text.contains("suppression list is on"), "{text}");
        // The subscription is pending and the alarms were not read: neither is claimed.
        assert!(!text.contains("mails them to the site owner"), "{text}");
        assert!(!text.contains("CloudWatch"), "{text}");

        let none = MailReadiness::assess(&facts(None, &[]));
        let text =
            ProductionAccessRequest::compose_with(&site(), None, Some(&none)).use_case_description;
        assert!(!text.contains("configuration set"), "{text}");
        assert!(!text.contains("suppression list"), "{text}");
        assert!(
            text.contains("we watch the bounce and complaint rates"),
            "{text}"
        );
    }

    #[test]
    fn the_request_is_written_from_the_site() {
        let r = ProductionAccessRequest::compose(&site(), None);
        assert_eq!(r.website_url, "https://example.com");
        assert_eq!(r.mail_type.api_value(), "TRANSACTIONAL");
        assert_eq!(r.contact_language.api_value(), "EN");
        let text = &r.use_case_description;
        assert!(text.contains("no-reply@example.com"), "{text}");
        assert!(text.contains("Amazon Cognito"), "{text}");
        assert!(text.contains("Bounces and complaints"), "{text}");
        assert!(
            text.contains("we turn on the SES account-level suppression list"),
            "{text}"
        );
        assert!(r.check().is_ok());
    }

    #[test]
    fn an_existing_suppression_list_is_described_as_on() {
        let r = ProductionAccessRequest::compose(&site(), Some(&sandbox(&["BOUNCE", "COMPLAINT"])));
        assert!(
            r.use_case_description
                .contains("suppression list is on for bounces and complaints"),
            "{}",
            r.use_case_description
        );
    }

    #[test]
    fn a_site_without_users_or_mx_says_so() {
        let mut s = site();
        s.parts = Parts::none();
        s.inbound_mail = InboundMail::parse("10 mx1.forwardemail.net").expect("mx");
        let text = default_use_case(&s, None, None);
        assert!(!text.contains("Cognito"), "{text}");
        assert!(text.contains("mx1.forwardemail.net"), "{text}");
    }

    #[test]
    fn checks_catch_what_ses_refuses() {
        let r = ProductionAccessRequest::compose(&site(), None);
        assert!(r.clone().with_use_case("   ").check().is_err());
        assert!(r.clone().with_use_case("x".repeat(5001)).check().is_err());
        let mut many = r.clone();
        many.additional_contacts = vec!["a@example.com".into(); 5];
        assert!(many.check().is_err());
        let mut bad = r;
        bad.additional_contacts = vec!["not-an-address".into()];
        assert!(bad.check().expect_err("bad").contains("not-an-address"));
    }

    #[test]
    fn render_shows_the_text_and_the_next_step() {
        let r = ProductionAccessRequest::compose(&site(), None);
        let out = render_ses_request(&r, Some(&sandbox(&[])), None);
        assert!(
            out.contains("Status: The SES account is in the sandbox"),
            "{out}"
        );
        assert!(out.contains("Website URL: https://example.com"), "{out}");
        assert!(out.contains("siteup ses-request --submit"), "{out}");
        for line in out.lines() {
            assert!(line.chars().count() <= 100, "long line: {line}");
        }
    }

    #[test]
    fn render_after_submission_names_the_case() {
        let r = ProductionAccessRequest::compose(&site(), None);
        let mut a = sandbox(&[]);
        a.review = Some(Review {
            status: ReviewState::Pending,
            case_id: Some("CASE-1".into()),
        });
        let out = render_ses_request(&r, None, Some(&SubmitOutcome::Submitted(a.clone())));
        assert!(out.contains("Submitted as case CASE-1"), "{out}");
        let follow = render_ses_request(&r, Some(&a), None);
        assert!(follow.contains("AWS is reviewing"), "{follow}");
        assert!(!follow.contains("The request:"), "{follow}");
    }

    #[test]
    fn render_after_denial_gives_guidance() {
        let r = ProductionAccessRequest::compose(&site(), None);
        let mut a = sandbox(&[]);
        a.review = Some(Review {
            status: ReviewState::Denied,
            case_id: Some("CASE-2".into()),
        });
        let out = render_ses_request(&r, Some(&a), None);
        assert!(out.contains("denied"), "{out}");
        assert!(out.contains("displayId=CASE-2"), "{out}");
        assert!(
            out.contains("a new request through the API would be refused"),
            "{out}"
        );
    }

    #[test]
    fn wrap_keeps_words_whole() {
        assert_eq!(crate::words::wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(crate::words::wrap("", 5), vec![""]);
    }
}
