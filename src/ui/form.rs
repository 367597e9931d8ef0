//! The site form's state and its validation as the user types; the full-screen pane and the
//! plain prompts both use it, so both accept exactly the same answers.

use tui_input::{Input, InputRequest};

use crate::site::{
    BucketName, Domain, Guardrails, InboundMail, Inbox, InputError, MonthlyBudget, Part, Parts,
    ProjectName, Region, SenderLocalPart, SiteConfig,
};

/// The budget field's text for recorded guardrails: the amount, or `off`.
fn budget_text(g: Guardrails) -> String {
    if g.on {
        g.budget_usd.to_string()
    } else {
        "off".into()
    }
}

/// The guardrails the budget field's answer gives: a whole number of dollars, or `off`.
fn guardrails_from(answer: &str) -> Result<Guardrails, InputError> {
    if answer.trim().eq_ignore_ascii_case("off") {
        return Ok(Guardrails {
            on: false,
            ..Guardrails::default()
        });
    }
    Ok(Guardrails {
        on: true,
        budget_usd: MonthlyBudget::parse(answer)?,
    })
}

/// One question of the form, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldId {
    Domain,
    Region,
    Name,
    StateBucket,
    DeploysBucket,
    SiteBucket,
    Sender,
    Mail,
    Inbox,
    Budget,
    Parts,
    Submit,
}

impl FieldId {
    pub const ALL: [FieldId; 12] = [
        FieldId::Domain,
        FieldId::Region,
        FieldId::Name,
        FieldId::StateBucket,
        FieldId::DeploysBucket,
        FieldId::SiteBucket,
        FieldId::Sender,
        FieldId::Mail,
        FieldId::Inbox,
        FieldId::Budget,
        FieldId::Parts,
        FieldId::Submit,
    ];

    /// The text fields, in order (everything but the parts and the submit button).
    pub const TEXT: [FieldId; 10] = [
        FieldId::Domain,
        FieldId::Region,
        FieldId::Name,
        FieldId::StateBucket,
        FieldId::DeploysBucket,
        FieldId::SiteBucket,
        FieldId::Sender,
        FieldId::Mail,
        FieldId::Inbox,
        FieldId::Budget,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FieldId::Domain => "Domain",
            FieldId::Region => "Region",
            FieldId::Name => "Project name",
            FieldId::StateBucket => "State bucket",
            FieldId::DeploysBucket => "Deploys bucket",
            FieldId::SiteBucket => "Site bucket",
            FieldId::Sender => "Sender",
            FieldId::Mail => "Mail to domain",
            FieldId::Inbox => "Your inbox",
            FieldId::Budget => "Monthly budget",
            FieldId::Parts => "Parts",
            FieldId::Submit => "",
        }
    }

    /// One sentence saying what the answer is for.
    pub fn hint(self) -> &'static str {
        match self {
            FieldId::Domain => "The domain you bought, like example.com.",
            FieldId::Region => {
                "The AWS region for the stack, like eu-west-1 (the CloudFront certificate is always in us-east-1)."
            }
            FieldId::Name => {
                "A short name used in resource names; empty uses the one derived from the domain."
            }
            FieldId::StateBucket => {
                "The S3 bucket for Terraform's state; bucket names are global, so make it yours."
            }
            FieldId::DeploysBucket => "The S3 bucket for deployment artifacts (the API's zip).",
            FieldId::SiteBucket => "The S3 bucket for the website's files.",
            FieldId::Sender => "The part before the @ of the address the site sends mail from.",
            FieldId::Mail => {
                "MX records for mail to the domain, like \"10 mx1.forwardemail.net, 20 mx2.forwardemail.net\", or none."
            }
            FieldId::Inbox => {
                "Optional: the address you read mail at, like you@example.net; the contact form and the site's alerts mail it, and SES verifies it so mail reaches you while the account is in the SES sandbox."
            }
            FieldId::Budget => {
                "The month's cost in US dollars that alerts you (at 80 % forecast and at 100 %), like 20; off turns the guardrails (alerts, alarms, budget) off."
            }
            FieldId::Parts => {
                "Which parts of the stack to build; the zone and email are always built."
            }
            FieldId::Submit => "Save the answers to siteup.toml and write the Terraform files.",
        }
    }

    fn index(self) -> usize {
        FieldId::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }

    fn text_index(self) -> Option<usize> {
        FieldId::TEXT.iter().position(|f| *f == self)
    }
}

/// The form's state.
#[derive(Debug, Clone)]
pub struct SiteForm {
    inputs: [Input; 10],
    touched: [bool; 10],
    pub parts: Parts,
    /// Which part the cursor is on in the parts row.
    pub part_cursor: usize,
    pub focus: FieldId,
    /// Set after a submit attempt: every error shows, not only the touched ones.
    pub tried: bool,
    /// Set once the answers were sent; cleared when the user edits again.
    pub sent: bool,
    /// Not a field: the DMARC policy of the earlier answers, kept as it is (`siteup email
    /// --dmarc` changes it).
    dmarc_policy: crate::site::DmarcPolicy,
}

impl Default for SiteForm {
    fn default() -> Self {
        Self {
            inputs: Default::default(),
            touched: [false; 10],
            parts: Parts::all(),
            part_cursor: 0,
            focus: FieldId::Domain,
            tried: false,
            sent: false,
            dmarc_policy: crate::site::DmarcPolicy::default(),
        }
    }
}

impl SiteForm {
    /// A form filled with earlier answers (from siteup.toml).
    pub fn from_config(c: &SiteConfig) -> Self {
        let mut f = Self::default();
        let values = [
            c.domain.as_str().to_string(),
            c.region.as_str().to_string(),
            c.name.as_str().to_string(),
            c.state_bucket.as_str().to_string(),
            c.deploys_bucket.as_str().to_string(),
            c.site_bucket.as_str().to_string(),
            c.sender.as_str().to_string(),
            mail_text(&c.inbound_mail),
            c.inbox
                .as_ref()
                .map(|i| i.as_str().to_string())
                .unwrap_or_default(),
            budget_text(c.guardrails),
        ];
        for (i, v) in values.into_iter().enumerate() {
            f.inputs[i] = Input::new(v);
        }
        f.parts = c.parts;
        f.dmarc_policy = c.dmarc_policy;
        f
    }

    /// What the user typed in a text field.
    pub fn raw(&self, field: FieldId) -> &str {
        field.text_index().map_or("", |i| self.inputs[i].value())
    }

    pub fn input(&self, field: FieldId) -> Option<&Input> {
        field.text_index().map(|i| &self.inputs[i])
    }

    pub fn set(&mut self, field: FieldId, value: &str) {
        if let Some(i) = field.text_index() {
            self.inputs[i] = Input::new(value.to_string());
            self.touched[i] = true;
        }
    }

    pub fn touched(&self, field: FieldId) -> bool {
        field.text_index().is_some_and(|i| self.touched[i])
    }

    /// Applies an editing request to the focused text field.
    pub fn edit(&mut self, req: InputRequest) -> bool {
        if let Some(i) = self.focus.text_index() {
            let changed = self.inputs[i].handle(req).is_some_and(|c| c.value);
            if changed {
                self.touched[i] = true;
                self.sent = false;
            }
            changed
        } else {
            false
        }
    }

    /// The value used when the field is left empty, derived from the other answers.
    pub fn default_for(&self, field: FieldId) -> Option<String> {
        match field {
            FieldId::Region => Some("us-east-1".into()),
            FieldId::Name => Domain::parse(self.raw(FieldId::Domain))
                .ok()
                .map(|d| d.default_name().as_str().to_string()),
            FieldId::StateBucket | FieldId::DeploysBucket | FieldId::SiteBucket => {
                let name = self.name().ok()?;
                let [state, deploys, site] = SiteConfig::default_buckets(&name);
                Some(match field {
                    FieldId::StateBucket => state,
                    FieldId::DeploysBucket => deploys,
                    _ => site,
                })
            }
            FieldId::Sender => Some("no-reply".into()),
            FieldId::Mail => Some("none".into()),
            FieldId::Budget => Some(MonthlyBudget::DEFAULT_USD.to_string()),
            _ => None,
        }
    }

    /// The answer: what was typed, or the default when nothing was.
    pub fn value(&self, field: FieldId) -> String {
        let raw = self.raw(field).trim();
        if raw.is_empty() {
            self.default_for(field).unwrap_or_default()
        } else {
            raw.to_string()
        }
    }

    fn name(&self) -> Result<ProjectName, String> {
        let raw = self.raw(FieldId::Name).trim();
        if raw.is_empty() {
            Domain::parse(self.raw(FieldId::Domain))
                .map(|d| d.default_name())
                .map_err(|e| e.message)
        } else {
            ProjectName::parse(raw).map_err(|e| e.message)
        }
    }

    /// Checks one answer; the error is one sentence.
    pub fn check(&self, field: FieldId) -> Result<(), String> {
        let v = self.value(field);
        let r = match field {
            FieldId::Domain => Domain::parse(&v).map(|_| ()),
            FieldId::Region => Region::parse(&v).map(|_| ()),
            FieldId::Name => return self.name().map(|_| ()),
            FieldId::StateBucket => BucketName::parse_field("state_bucket", &v).map(|_| ()),
            FieldId::DeploysBucket => BucketName::parse_field("deploys_bucket", &v).map(|_| ()),
            FieldId::SiteBucket => BucketName::parse_field("site_bucket", &v).map(|_| ()),
            FieldId::Sender => SenderLocalPart::parse(&v).map(|_| ()),
            FieldId::Mail => InboundMail::parse(&v).map(|_| ()),
            FieldId::Inbox if v.is_empty() => Ok(()),
            FieldId::Inbox => {
                if let Err((FieldId::Inbox, e)) = self.build() {
                    return Err(e);
                }
                Inbox::parse(&v).map(|_| ())
            }
            FieldId::Budget => guardrails_from(&v).map(|_| ()),
            FieldId::Parts => self.parts.check(),
            FieldId::Submit => return self.build().map(|_| ()).map_err(|(_, e)| e),
        };
        r.map_err(|e| e.message)
    }

    /// Whether an error should show for the field now (typed in, or after a submit attempt).
    pub fn shows_error(&self, field: FieldId) -> bool {
        self.tried
            || self.touched(field)
            || (field != FieldId::Domain && self.touched(FieldId::Domain))
    }

    /// A note beside a valid answer (the region's name, the sender's address).
    pub fn note(&self, field: FieldId) -> Option<String> {
        match field {
            FieldId::Region => Region::parse(&self.value(field))
                .ok()
                .map(|r| r.human_name().to_string()),
            FieldId::Sender => Domain::parse(self.raw(FieldId::Domain))
                .ok()
                .map(|d| format!("@{}", d.as_str())),
            FieldId::Mail => match InboundMail::parse(&self.value(field)) {
                Ok(InboundMail::None) => Some("mail bounces".into()),
                Ok(InboundMail::Mx { records }) => Some(crate::words::counted(
                    records.len(),
                    "MX record",
                    "MX records",
                )),
                Err(_) => None,
            },
            FieldId::Budget => match guardrails_from(&self.value(field)) {
                Ok(g) if g.on => Some("US dollars a month".into()),
                Ok(_) => Some("no guardrails".into()),
                Err(_) => None,
            },
            _ => None,
        }
    }

    /// All the answers, or the first field that is wrong with its error.
    pub fn build(&self) -> Result<SiteConfig, (FieldId, String)> {
        let err = |f: FieldId| move |e: crate::site::InputError| (f, e.message);
        let domain = Domain::parse(&self.value(FieldId::Domain)).map_err(err(FieldId::Domain))?;
        let region = Region::parse(&self.value(FieldId::Region)).map_err(err(FieldId::Region))?;
        let name = self.name().map_err(|e| (FieldId::Name, e))?;
        let state_bucket =
            BucketName::parse_field("state_bucket", &self.value(FieldId::StateBucket))
                .map_err(err(FieldId::StateBucket))?;
        let deploys_bucket =
            BucketName::parse_field("deploys_bucket", &self.value(FieldId::DeploysBucket))
                .map_err(err(FieldId::DeploysBucket))?;
        let site_bucket = BucketName::parse_field("site_bucket", &self.value(FieldId::SiteBucket))
            .map_err(err(FieldId::SiteBucket))?;
        let sender =
            SenderLocalPart::parse(&self.value(FieldId::Sender)).map_err(err(FieldId::Sender))?;
        let inbound_mail =
            InboundMail::parse(&self.value(FieldId::Mail)).map_err(err(FieldId::Mail))?;
        let inbox = match self.value(FieldId::Inbox) {
            v if v.is_empty() => None,
            v => Some(Inbox::parse(&v).map_err(err(FieldId::Inbox))?),
        };
        let config = SiteConfig {
            domain,
            region,
            name,
            state_bucket,
            deploys_bucket,
            site_bucket,
            sender,
            inbound_mail,
            inbox,
            parts: self.parts,
            guardrails: guardrails_from(&self.value(FieldId::Budget))
                .map_err(err(FieldId::Budget))?,
            dmarc_policy: self.dmarc_policy,
        };
        config.check().map_err(|e| {
            let field = match e.field {
                "state_bucket" => FieldId::StateBucket,
                "deploys_bucket" => FieldId::DeploysBucket,
                "site_bucket" => FieldId::SiteBucket,
                "parts" => FieldId::Parts,
                "inbox" => FieldId::Inbox,
                _ => FieldId::Submit,
            };
            (field, e.message)
        })?;
        Ok(config)
    }

    pub fn next(&mut self) {
        let i = self.focus.index();
        self.focus = FieldId::ALL[(i + 1).min(FieldId::ALL.len() - 1)];
    }

    pub fn prev(&mut self) {
        let i = self.focus.index();
        self.focus = FieldId::ALL[i.saturating_sub(1)];
    }

    /// Toggles the part under the cursor, with its requirements or dependents.
    pub fn toggle_part(&mut self) {
        let Some(part) = Part::ALL.get(self.part_cursor).copied() else {
            return;
        };
        if self.parts.has(part) {
            self.parts.disable_with_dependents(part);
        } else {
            self.parts.enable_with_requirements(part);
        }
        self.sent = false;
    }

    pub fn move_part(&mut self, delta: isize) {
        let n = Part::ALL.len() as isize;
        self.part_cursor = ((self.part_cursor as isize + delta).rem_euclid(n)) as usize;
    }
}

/// The MX records as the form shows them.
pub fn mail_text(m: &InboundMail) -> String {
    match m {
        InboundMail::None => "none".into(),
        InboundMail::Mx { records } => records
            .iter()
            .map(std::string::ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_domain() {
        let mut f = SiteForm::default();
        f.set(FieldId::Domain, "Example.COM");
        assert_eq!(f.value(FieldId::Name), "example-com");
        assert_eq!(f.value(FieldId::StateBucket), "example-com-state");
        f.set(FieldId::Name, "shop");
        assert_eq!(f.value(FieldId::SiteBucket), "shop-site");
        let c = f.build().expect("valid");
        assert_eq!(c.domain.as_str(), "example.com");
        assert_eq!(c.region.as_str(), "us-east-1");
    }

    #[test]
    fn errors_name_the_field() {
        let mut f = SiteForm::default();
        f.set(FieldId::Domain, "example.com");
        f.set(FieldId::Region, "mars-1");
        let (field, msg) = f.build().expect_err("bad region");
        assert_eq!(field, FieldId::Region);
        assert!(!msg.is_empty());
        f.set(FieldId::Region, "eu-west-1");
        f.set(FieldId::SiteBucket, "example-com-state");
        let (field, _) = f.build().expect_err("same buckets");
        assert_eq!(field, FieldId::StateBucket);
    }

    #[test]
    fn parts_toggle_with_requirements() {
        let mut f = SiteForm::default();
        assert_eq!(f.part_cursor, 0); // site
        f.toggle_part();
        assert!(!f.parts.site && !f.parts.users && !f.parts.api && !f.parts.logging);
        f.part_cursor = 3; // api
        f.toggle_part();
        assert!(f.parts.api && f.parts.users && f.parts.site && f.parts.database);
    }

    #[test]
    fn editing_earlier_answers_keeps_the_dmarc_policy() {
        let mut c = SiteConfig::with_defaults(
            crate::site::Domain::parse("example.com").expect("domain"),
            crate::site::Region::parse("eu-west-1").expect("region"),
        );
        c.dmarc_policy = crate::site::DmarcPolicy::Quarantine;
        let mut f = SiteForm::from_config(&c);
        f.set(FieldId::Sender, "hello");
        let built = f.build().expect("answers");
        assert_eq!(built.dmarc_policy, crate::site::DmarcPolicy::Quarantine);
    }
}
