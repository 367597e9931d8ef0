//! Is the domain's mail ready for the SES production-access review? The facts come from SES
//! (the domain identity: DKIM, MAIL FROM and its configuration set; the configuration set's event
//! destinations; the account's suppression list) and from DNS (SPF at the MAIL FROM domain, DMARC
//! at `_dmarc.<domain>`, the report authorization of an outside `rua` address), gathered by the
//! caller; [`MailReadiness::assess`] turns them into one state per item, and [`Gap`] words every
//! missing item once (what is missing, what to do).
//!
//! `siteup email` prints the assessment, `siteup ses-request --submit` refuses while it has gaps
//! ([`refusal`]), and the request's text states only the bounce and complaint handling found
//! here ([`MailReadiness::handling`]).

use std::fmt;

use serde::Serialize;

use super::ses::{AccountStatus, CheckState, DomainIdentityStatus};

/// The event types a bounce-and-complaint destination must carry.
pub const BOUNCE_AND_COMPLAINT: [&str; 2] = ["BOUNCE", "COMPLAINT"];

/// An SES configuration set, as GetConfigurationSet and GetConfigurationSetEventDestinations
/// describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigurationSetStatus {
    pub name: String,
    /// False when SES has no configuration set of that name.
    pub exists: bool,
    /// The set's own suppression reasons (SuppressionOptions), when it overrides the account's.
    pub suppressed_reasons: Vec<String>,
    /// Reputation metrics (Reputation.BounceRate, Reputation.ComplaintRate) are on.
    pub reputation_metrics: bool,
    pub destinations: Vec<EventDestination>,
}

impl ConfigurationSetStatus {
    pub fn missing(name: &str) -> Self {
        Self {
            name: name.to_string(),
            exists: false,
            suppressed_reasons: Vec::new(),
            reputation_metrics: false,
            destinations: Vec::new(),
        }
    }

    /// The enabled SNS destination that receives both bounces and complaints, if any.
    pub fn bounce_and_complaint_topic(&self) -> Option<&str> {
        self.destinations
            .iter()
            .filter(|d| d.enabled)
            .filter(|d| {
                BOUNCE_AND_COMPLAINT
                    .iter()
                    .all(|t| d.events.iter().any(|e| e.eq_ignore_ascii_case(t)))
            })
            .find_map(|d| d.sns_topic.as_deref())
    }
}

/// One event destination of a configuration set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventDestination {
    pub name: String,
    pub enabled: bool,
    /// Matching event types as SES names them (`BOUNCE`, `COMPLAINT`, ...).
    pub events: Vec<String>,
    /// The SNS topic ARN, when the destination is SNS.
    pub sns_topic: Option<String>,
}

/// The TXT records at a name, as the caller's DNS lookup found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtLookup {
    Records(Vec<String>),
    None,
    /// No answer; why, in a phrase.
    Unchecked(String),
}

/// The alerts topic's email subscription, as the caller found it (siteup's SNS check). In
/// JSON: `{"confirmed": ADDRESS}`, `{"pending": ADDRESS}`, `"no_address"`, `{"unknown": WHY}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertsSubscription {
    /// Confirmed by its owner: alerts reach the inbox.
    Confirmed(String),
    /// AWS sent the confirmation mail; nobody clicked its link yet.
    Pending(String),
    /// The site has no inbox, so there is no subscription.
    NoAddress,
    /// Not checked (no answer, or nothing asked); why, in a phrase.
    Unknown(String),
}

/// Everything the assessment reads. SES parts are `Err(sentence)` when AWS could not be asked.
#[derive(Debug, Clone)]
pub struct MailFacts {
    pub domain: String,
    /// The MAIL FROM domain the stack sets up (`mail.<domain>`), used when SES reports none.
    pub planned_mail_from: String,
    pub identity: Result<DomainIdentityStatus, String>,
    /// The identity's configuration set (None when the identity names none or was not read).
    pub configuration_set: Option<Result<ConfigurationSetStatus, String>>,
    pub account: Result<AccountStatus, String>,
    /// TXT records at the MAIL FROM domain.
    pub spf: TxtLookup,
    /// TXT records at `_dmarc.<domain>`.
    pub dmarc: TxtLookup,
    /// For each `rua` address outside the domain: the TXT records at
    /// `<domain>._report._dmarc.<its domain>` (RFC 7489 section 7.1). The caller looks them up
    /// for the addresses [`DmarcRecord::outside_report_domains`] names.
    pub report_authorizations: Vec<(String, TxtLookup)>,
    pub subscription: AlertsSubscription,
    /// Whether the SES reputation alarms (bounce and complaint rates) exist; None when not
    /// checked.
    pub reputation_alarms: Option<bool>,
}

/// A parsed DMARC record (RFC 7489 section 6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcRecord {
    pub text: String,
    /// `p=`, as written (lowercase); None when absent or not one of none/quarantine/reject.
    pub policy: Option<String>,
    /// `rua=` URIs.
    pub rua: Vec<String>,
}

impl DmarcRecord {
    /// Parses the text of a TXT record; None unless it starts with `v=DMARC1`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut tags = text.split(';').map(str::trim).filter(|t| !t.is_empty());
        let version = tags.next()?;
        let (k, v) = version.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("v") || v.trim() != "DMARC1" {
            return None;
        }
        let mut policy = None;
        let mut rua = Vec::new();
        for tag in tags {
            let Some((k, v)) = tag.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "p" => {
                    let p = v.trim().to_ascii_lowercase();
                    policy = ["none", "quarantine", "reject"]
                        .contains(&p.as_str())
                        .then_some(p);
                }
                "rua" => rua.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .map(str::to_string),
                ),
                _ => {}
            }
        }
        Some(Self {
            text: text.to_string(),
            policy,
            rua,
        })
    }

    /// The `rua` mail addresses (`mailto:` URIs, any `!size` suffix dropped).
    pub fn report_addresses(&self) -> Vec<String> {
        self.rua
            .iter()
            .filter_map(|u| {
                let (scheme, rest) = u.split_once(':')?;
                scheme.eq_ignore_ascii_case("mailto").then(|| {
                    rest.split('!')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_string()
                })
            })
            .filter(|a| a.contains('@'))
            .collect()
    }

    /// The domains of `rua` addresses that are not `domain` nor under it: each must authorize
    /// the reports at `<domain>._report._dmarc.<that domain>` (RFC 7489 section 7.1).
    pub fn outside_report_domains(&self, domain: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for address in self.report_addresses() {
            let Some((_, host)) = address.rsplit_once('@') else {
                continue;
            };
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            if !within(&host, domain) && !out.contains(&host) {
                out.push(host);
            }
        }
        out
    }
}

/// The name that authorizes `domain`'s reports to go to `report_domain`.
pub fn report_authorization_name(domain: &str, report_domain: &str) -> String {
    format!("{domain}._report._dmarc.{report_domain}")
}

/// `name` is `domain` or a name under it (relaxed alignment, RFC 7489 section 3.1).
fn within(name: &str, domain: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    name == domain || name.ends_with(&format!(".{domain}"))
}

/// One item of the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Dkim,
    MailFrom,
    Spf,
    Dmarc,
    ConfigurationSet,
    AlertsSubscription,
}

impl Item {
    /// The items `ses-request --submit` waits for, in the order they are printed.
    pub const ALL: [Item; 6] = [
        Item::Spf,
        Item::Dkim,
        Item::Dmarc,
        Item::MailFrom,
        Item::ConfigurationSet,
        Item::AlertsSubscription,
    ];

    /// What the item is, inside a sentence ("SES reviewers deny requests without ...").
    pub fn phrase(self) -> &'static str {
        match self {
            Item::Dkim => "DKIM signing",
            Item::MailFrom => "a verified MAIL FROM domain",
            Item::Spf => "SPF",
            Item::Dmarc => "DMARC",
            Item::ConfigurationSet => "bounce and complaint handling",
            Item::AlertsSubscription => "a confirmed alerts subscription",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Item::Dkim => "DKIM",
            Item::MailFrom => "MAIL FROM",
            Item::Spf => "SPF",
            Item::Dmarc => "DMARC",
            Item::ConfigurationSet => "Configuration set",
            Item::AlertsSubscription => "Alerts subscription",
        }
    }
}

/// Where one item stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ItemState {
    /// In place; what was found, in a phrase.
    Ok { detail: String },
    /// Not in place: what is missing and what to do.
    Missing { gap: Gap },
}

/// A missing item: the one place that words each, as one sentence with what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gap {
    /// SES has no identity for the domain.
    NoIdentity {
        domain: String,
    },
    DkimNotVerified {
        domain: String,
        state: CheckState,
    },
    NoMailFrom {
        domain: String,
        planned: String,
    },
    MailFromNotVerified {
        mail_from: String,
        state: CheckState,
    },
    /// The MAIL FROM domain is not under the domain, so SPF cannot align.
    MailFromNotAligned {
        mail_from: String,
        domain: String,
    },
    NoSpf {
        mail_from: String,
    },
    SpfWithoutSes {
        mail_from: String,
    },
    NoDmarc {
        domain: String,
    },
    SeveralDmarc {
        domain: String,
        count: usize,
    },
    DmarcWithoutPolicy {
        domain: String,
    },
    NoConfigurationSet {
        domain: String,
    },
    ConfigurationSetMissing {
        name: String,
    },
    NoBounceDestination {
        name: String,
    },
    SubscriptionPending {
        address: String,
    },
    NoAlertsAddress,
    /// A fact siteup could not read.
    Unchecked {
        item: Item,
        why: String,
    },
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gap::NoIdentity { domain } => write!(
                f,
                "SES has no identity for {domain}; run `siteup up` to create it."
            ),
            Gap::DkimNotVerified { domain, state } => match state {
                CheckState::Failed => write!(
                    f,
                    "SES gave up on the DKIM records of {domain} (DKIM failed); run `siteup up` to create the identity again."
                ),
                _ => write!(
                    f,
                    "DKIM for {domain} is {state} in SES; it verifies by itself minutes after the nameservers are live (check with `siteup nameservers`)."
                ),
            },
            Gap::NoMailFrom { domain, planned } => write!(
                f,
                "{domain} has no custom MAIL FROM domain in SES, so SPF does not align; run `siteup up` to set up {planned}."
            ),
            Gap::MailFromNotVerified { mail_from, state } => write!(
                f,
                "MAIL FROM {mail_from} is {state} in SES; it verifies once its MX record is live (run `siteup up`, then wait a few minutes)."
            ),
            Gap::MailFromNotAligned { mail_from, domain } => write!(
                f,
                "MAIL FROM {mail_from} is not under {domain}, so SPF does not align with DMARC; run `siteup up` to restore the generated mail.{domain}."
            ),
            Gap::NoSpf { mail_from } => write!(
                f,
                "{mail_from} publishes no SPF record; run `siteup up` to write the generated one (v=spf1 include:amazonses.com ~all)."
            ),
            Gap::SpfWithoutSes { mail_from } => write!(
                f,
                "The SPF record of {mail_from} does not include amazonses.com, so SES's mail fails SPF; run `siteup up` to restore the generated record."
            ),
            Gap::NoDmarc { domain } => write!(
                f,
                "{domain} publishes no DMARC record at _dmarc.{domain}; run `siteup up` to write the generated one."
            ),
            Gap::SeveralDmarc { domain, count } => write!(
                f,
                "_dmarc.{domain} has {count} DMARC records and receivers ignore them all; keep only the one terraform writes and delete the others at your DNS host."
            ),
            Gap::DmarcWithoutPolicy { domain } => write!(
                f,
                "The DMARC record at _dmarc.{domain} has no valid p= policy, so receivers ignore it; run `siteup up` to restore the generated record."
            ),
            Gap::NoConfigurationSet { domain } => write!(
                f,
                "{domain} sends through no configuration set, so bounces and complaints reach nobody; run `siteup up` to apply the guardrails."
            ),
            Gap::ConfigurationSetMissing { name } => write!(
                f,
                "The configuration set {name} that the domain uses does not exist in SES; run `siteup up` to create it."
            ),
            Gap::NoBounceDestination { name } => write!(
                f,
                "The configuration set {name} sends bounces and complaints to no SNS topic; run `siteup up` to add the alerts destination."
            ),
            Gap::SubscriptionPending { address } => write!(
                f,
                "The alerts subscription for {address} is not confirmed; click the link in the mail from AWS Notifications to {address}."
            ),
            Gap::NoAlertsAddress => write!(
                f,
                "There is no alerts address, so bounces and complaints reach nobody; add your inbox with `siteup generate --inbox you@example.net`, then run `siteup up`."
            ),
            Gap::Unchecked { item, why } => write!(
                f,
                "{} could not be checked: {}",
                item.label(),
                crate::words::lower_first(&end_sentence(why))
            ),
        }
    }
}

/// The phrase as a sentence: a final full stop added when it has none.
fn end_sentence(text: &str) -> String {
    let t = text.trim();
    if t.ends_with('.') {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

/// The account's suppression list, as GetAccount reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Suppression {
    /// On for both bounces and complaints.
    On,
    /// On for some reasons only (or none).
    Partial {
        reasons: Vec<String>,
    },
    Unchecked {
        why: String,
    },
}

/// What an outside `rua` address's domain says about taking the domain's reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportAuthorization {
    pub report_domain: String,
    /// The name that must hold `v=DMARC1`.
    pub name: String,
    /// True: published; false: absent; None: not checked.
    pub published: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_unchecked: Option<String>,
}

/// The assessment: one state per item, and what else `siteup email` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailReadiness {
    pub domain: String,
    /// `Item::ALL`, in order; in JSON, objects: `{"item", "state": "ok"|"missing", "detail"}`
    /// or `{"item", "state", "message", "gap": {"kind", ...}}`.
    #[serde(serialize_with = "items_json")]
    pub items: Vec<(Item, ItemState)>,
    /// The DMARC record found (the only one), when there is one.
    pub dmarc: Option<DmarcRecord>,
    pub report_authorizations: Vec<ReportAuthorization>,
    pub configuration_set: Option<ConfigurationSetStatus>,
    pub suppression: Suppression,
    pub subscription: AlertsSubscription,
    pub reputation_alarms: Option<bool>,
}

impl MailReadiness {
    /// Applies the rules to the facts.
    pub fn assess(facts: &MailFacts) -> Self {
        let domain = facts.domain.clone();
        let (dmarc_state, dmarc) = dmarc_item(&domain, &facts.dmarc);
        let configuration_set = match &facts.configuration_set {
            Some(Ok(set)) => Some(set.clone()),
            _ => None,
        };
        let items = Item::ALL
            .iter()
            .map(|&item| {
                let state = match item {
                    Item::Dkim => dkim_item(&domain, &facts.identity),
                    Item::MailFrom => mail_from_item(facts),
                    Item::Spf => spf_item(facts),
                    Item::Dmarc => dmarc_state.clone(),
                    Item::ConfigurationSet => configuration_set_item(facts),
                    Item::AlertsSubscription => subscription_item(&facts.subscription),
                };
                (item, state)
            })
            .collect();
        let report_authorizations = dmarc
            .as_ref()
            .map(|d| {
                d.outside_report_domains(&domain)
                    .into_iter()
                    .map(|report_domain| authorization(&domain, report_domain, facts))
                    .collect()
            })
            .unwrap_or_default();
        let suppression = match &facts.account {
            Ok(account) => {
                let has = |r: &str| {
                    account
                        .suppressed_reasons
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(r))
                };
                if BOUNCE_AND_COMPLAINT.iter().all(|r| has(r)) {
                    Suppression::On
                } else {
                    Suppression::Partial {
                        reasons: account.suppressed_reasons.clone(),
                    }
                }
            }
            Err(why) => Suppression::Unchecked { why: why.clone() },
        };
        Self {
            domain,
            items,
            dmarc,
            report_authorizations,
            configuration_set,
            suppression,
            subscription: facts.subscription.clone(),
            reputation_alarms: facts.reputation_alarms,
        }
    }

    pub fn state(&self, item: Item) -> Option<&ItemState> {
        self.items.iter().find(|(i, _)| *i == item).map(|(_, s)| s)
    }

    pub fn is_ok(&self, item: Item) -> bool {
        matches!(self.state(item), Some(ItemState::Ok { .. }))
    }

    /// What is missing, in the order of [`Item::ALL`].
    pub fn gaps(&self) -> Vec<&Gap> {
        self.items
            .iter()
            .filter_map(|(_, s)| match s {
                ItemState::Missing { gap } => Some(gap),
                ItemState::Ok { .. } => None,
            })
            .collect()
    }

    /// The items not in place, in the order they are printed.
    pub fn missing(&self) -> Vec<Item> {
        self.items
            .iter()
            .filter(|(_, s)| matches!(s, ItemState::Missing { .. }))
            .map(|(i, _)| *i)
            .collect()
    }

    pub fn is_ready(&self) -> bool {
        self.gaps().is_empty()
    }

    /// The DMARC policy published, if a valid record is.
    pub fn policy(&self) -> Option<&str> {
        self.dmarc.as_ref().and_then(|d| d.policy.as_deref())
    }

    /// Why the DMARC policy may not be stepped up now: DKIM and SPF must both align, or mail
    /// that passes today would start to fail. Empty when it may.
    pub fn step_up_blockers(&self) -> Vec<&Gap> {
        [Item::Dkim, Item::Spf, Item::MailFrom]
            .iter()
            .filter_map(|&i| match self.state(i) {
                Some(ItemState::Missing { gap }) => Some(gap),
                _ => None,
            })
            .collect()
    }

    /// The bounce and complaint handling really in place, one sentence each: for the
    /// production-access request. Empty when none was found.
    pub fn handling(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.is_ok(Item::ConfigurationSet)
            && let Some(set) = &self.configuration_set
        {
            let alerts = match &self.subscription {
                AlertsSubscription::Confirmed(_) => ", which mails them to the site owner at once",
                _ => "",
            };
            out.push(format!(
                "All mail from {} goes through the SES configuration set {}, which publishes every bounce and complaint to our alerts topic (Amazon SNS){alerts}.",
                self.domain, set.name
            ));
        }
        if self.suppression == Suppression::On {
            out.push(
                "The SES account-level suppression list is on for bounces and complaints, so an address that hard-bounces or complains is never mailed again."
                    .to_string(),
            );
        }
        if self.reputation_alarms == Some(true) {
            out.push(
                "CloudWatch alarms on the SES reputation metrics alert us when the bounce rate reaches 2.5 % or the complaint rate 0.05 %, half the levels at which SES reviews an account, and we stop sending to find the cause."
                    .to_string(),
            );
        }
        out
    }
}

/// The items as JSON objects, a missing one with its sentence.
fn items_json<S: serde::Serializer>(items: &[(Item, ItemState)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(items.len()))?;
    for (item, state) in items {
        let value = match state {
            ItemState::Ok { detail } => serde_json::json!({
                "item": item,
                "state": "ok",
                "detail": detail,
            }),
            ItemState::Missing { gap } => serde_json::json!({
                "item": item,
                "state": "missing",
                "message": gap.to_string(),
                "gap": gap,
            }),
        };
        seq.serialize_element(&value)?;
    }
    seq.end()
}

fn dkim_item(domain: &str, identity: &Result<DomainIdentityStatus, String>) -> ItemState {
    match identity {
        Err(why) => missing(Gap::Unchecked {
            item: Item::Dkim,
            why: why.clone(),
        }),
        Ok(id) if !id.exists => missing(Gap::NoIdentity {
            domain: domain.to_string(),
        }),
        Ok(id) if id.dkim == CheckState::Success => ItemState::Ok {
            detail: format!("verified in SES; mail is signed as {domain}, which aligns"),
        },
        Ok(id) => missing(Gap::DkimNotVerified {
            domain: domain.to_string(),
            state: id.dkim,
        }),
    }
}

/// The MAIL FROM domain to look at: SES's, else the one the stack sets up.
pub fn mail_from_domain(facts: &MailFacts) -> String {
    match &facts.identity {
        Ok(id) => id
            .mail_from
            .as_ref()
            .map_or_else(|| facts.planned_mail_from.clone(), |m| m.domain.clone()),
        Err(_) => facts.planned_mail_from.clone(),
    }
}

fn mail_from_item(facts: &MailFacts) -> ItemState {
    let domain = &facts.domain;
    match &facts.identity {
        Err(why) => missing(Gap::Unchecked {
            item: Item::MailFrom,
            why: why.clone(),
        }),
        Ok(id) if !id.exists => missing(Gap::NoIdentity {
            domain: domain.clone(),
        }),
        Ok(id) => match &id.mail_from {
            None => missing(Gap::NoMailFrom {
                domain: domain.clone(),
                planned: facts.planned_mail_from.clone(),
            }),
            Some(m) if !within(&m.domain, domain) => missing(Gap::MailFromNotAligned {
                mail_from: m.domain.clone(),
                domain: domain.clone(),
            }),
            Some(m) if m.state == CheckState::Success => ItemState::Ok {
                detail: format!("{} verified in SES, under {domain}: aligned", m.domain),
            },
            Some(m) => missing(Gap::MailFromNotVerified {
                mail_from: m.domain.clone(),
                state: m.state,
            }),
        },
    }
}

fn spf_item(facts: &MailFacts) -> ItemState {
    let mail_from = mail_from_domain(facts);
    match &facts.spf {
        TxtLookup::Unchecked(why) => missing(Gap::Unchecked {
            item: Item::Spf,
            why: why.clone(),
        }),
        TxtLookup::None => missing(Gap::NoSpf { mail_from }),
        TxtLookup::Records(records) => {
            let spf: Vec<&String> = records
                .iter()
                .filter(|r| {
                    let t = r.trim().to_ascii_lowercase();
                    t == "v=spf1" || t.starts_with("v=spf1 ")
                })
                .collect();
            match spf.as_slice() {
                [] => missing(Gap::NoSpf { mail_from }),
                [one]
                    if one
                        .split_whitespace()
                        .any(|m| m.eq_ignore_ascii_case("include:amazonses.com")) =>
                {
                    ItemState::Ok {
                        detail: format!("{mail_from}: {one}"),
                    }
                }
                _ => missing(Gap::SpfWithoutSes { mail_from }),
            }
        }
    }
}

fn dmarc_item(domain: &str, lookup: &TxtLookup) -> (ItemState, Option<DmarcRecord>) {
    let records = match lookup {
        TxtLookup::Unchecked(why) => {
            return (
                missing(Gap::Unchecked {
                    item: Item::Dmarc,
                    why: why.clone(),
                }),
                None,
            );
        }
        TxtLookup::None => Vec::new(),
        TxtLookup::Records(r) => r.iter().filter_map(|t| DmarcRecord::parse(t)).collect(),
    };
    let domain = domain.to_string();
    match records.as_slice() {
        [] => (missing(Gap::NoDmarc { domain }), None),
        [one] => match &one.policy {
            Some(p) => {
                let reports = match one.report_addresses().as_slice() {
                    [] => "no aggregate reports (no rua=)".to_string(),
                    addresses => format!("reports to {}", addresses.join(", ")),
                };
                (
                    ItemState::Ok {
                        detail: format!("p={p}, {reports}"),
                    },
                    Some(one.clone()),
                )
            }
            None => (
                missing(Gap::DmarcWithoutPolicy { domain }),
                Some(one.clone()),
            ),
        },
        several => (
            missing(Gap::SeveralDmarc {
                domain,
                count: several.len(),
            }),
            None,
        ),
    }
}

fn configuration_set_item(facts: &MailFacts) -> ItemState {
    let domain = &facts.domain;
    let name = match &facts.identity {
        Err(why) => {
            return missing(Gap::Unchecked {
                item: Item::ConfigurationSet,
                why: why.clone(),
            });
        }
        Ok(id) if !id.exists => {
            return missing(Gap::NoIdentity {
                domain: domain.clone(),
            });
        }
        Ok(id) => match &id.configuration_set {
            None => {
                return missing(Gap::NoConfigurationSet {
                    domain: domain.clone(),
                });
            }
            Some(name) => name.clone(),
        },
    };
    match &facts.configuration_set {
        None => missing(Gap::Unchecked {
            item: Item::ConfigurationSet,
            why: format!("siteup did not read the configuration set {name}"),
        }),
        Some(Err(why)) => missing(Gap::Unchecked {
            item: Item::ConfigurationSet,
            why: why.clone(),
        }),
        Some(Ok(set)) if !set.exists => missing(Gap::ConfigurationSetMissing { name }),
        Some(Ok(set)) => match set.bounce_and_complaint_topic() {
            Some(topic) => ItemState::Ok {
                detail: format!("{name}: bounces and complaints to {topic}"),
            },
            None => missing(Gap::NoBounceDestination { name }),
        },
    }
}

fn subscription_item(subscription: &AlertsSubscription) -> ItemState {
    match subscription {
        AlertsSubscription::Confirmed(address) => ItemState::Ok {
            detail: format!("confirmed by {address}"),
        },
        AlertsSubscription::Pending(address) => missing(Gap::SubscriptionPending {
            address: address.clone(),
        }),
        AlertsSubscription::NoAddress => missing(Gap::NoAlertsAddress),
        AlertsSubscription::Unknown(why) => missing(Gap::Unchecked {
            item: Item::AlertsSubscription,
            why: why.clone(),
        }),
    }
}

fn authorization(domain: &str, report_domain: String, facts: &MailFacts) -> ReportAuthorization {
    let name = report_authorization_name(domain, &report_domain);
    let lookup = facts
        .report_authorizations
        .iter()
        .find(|(d, _)| d.eq_ignore_ascii_case(&report_domain))
        .map(|(_, l)| l);
    let (published, why_unchecked) = match lookup {
        None => (None, Some("not looked up".to_string())),
        Some(TxtLookup::Unchecked(why)) => (None, Some(why.clone())),
        Some(TxtLookup::None) => (Some(false), None),
        Some(TxtLookup::Records(records)) => (
            Some(records.iter().any(|r| {
                r.split(';')
                    .next()
                    .is_some_and(|v| v.replace(' ', "").eq_ignore_ascii_case("v=DMARC1"))
            })),
            None,
        ),
    };
    ReportAuthorization {
        report_domain,
        name,
        published,
        why_unchecked,
    }
}

fn missing(gap: Gap) -> ItemState {
    ItemState::Missing { gap }
}

/// Why `ses-request --submit` sends nothing: the missing items, one line each.
pub fn refusal(gaps: &[&Gap]) -> String {
    let mut out = format!(
        "Nothing was submitted: SES reviewers deny requests from domains without these, and {} {} missing; fix {}, or submit anyway with --force:",
        crate::words::counted(gaps.len(), "item", "items"),
        if gaps.len() == 1 { "is" } else { "are" },
        if gaps.len() == 1 { "it" } else { "them" },
    );
    for gap in gaps {
        out.push_str(&format!("\n  - {gap}"));
    }
    out
}

/// The note `ses-request --submit --force` prints before sending while items are missing.
pub fn forced_note(gaps: &[&Gap]) -> String {
    let mut out = format!(
        "Submitting anyway (--force) with {} missing:",
        crate::words::counted(gaps.len(), "item", "items")
    );
    for gap in gaps {
        out.push_str(&format!("\n  - {gap}"));
    }
    out
}

/// Why `siteup email --dmarc` leaves the policy alone: alignment does not pass yet.
pub fn step_up_refusal(policy: &str, blockers: &[&Gap]) -> String {
    let what = if policy == "reject" {
        "refuse mail that fails DMARC"
    } else {
        "put mail that fails DMARC in spam"
    };
    let mut out = format!(
        "The DMARC policy stays as it is: with p={policy}, receivers {what}, and DKIM or SPF does not align yet; fix these first, or step up anyway with --force:"
    );
    for gap in blockers {
        out.push_str(&format!("\n  - {gap}"));
    }
    out
}

/// What `siteup email` prints: each item with ok or missing and what to do, the DMARC policy
/// and its reports, the configuration set and the suppression list.
pub fn render_email(r: &MailReadiness) -> String {
    let mut out = format!("Mail for {}\n\n", r.domain);
    for (item, state) in &r.items {
        match state {
            ItemState::Ok { detail } => {
                out.push_str(&format!("  {:<20} ok       {detail}\n", item.label()));
            }
            ItemState::Missing { gap } => {
                out.push_str(&format!("  {:<20} missing\n", item.label()));
                for line in crate::words::wrap(&gap.to_string(), 88) {
                    out.push_str(&format!("      {line}\n"));
                }
            }
        }
    }
    out.push('\n');
    match &r.dmarc {
        Some(d) => {
            out.push_str(&format!(
                "DMARC policy: {}\n",
                d.policy.as_deref().unwrap_or("none given (invalid)")
            ));
            let addresses = d.report_addresses();
            if addresses.is_empty() {
                out.push_str("Aggregate reports (rua): none; receivers send no reports.\n");
            } else {
                out.push_str(&format!(
                    "Aggregate reports (rua): {}\n",
                    addresses.join(", ")
                ));
            }
        }
        None => out.push_str("DMARC policy: none published\n"),
    }
    for a in &r.report_authorizations {
        let line = match a.published {
            Some(true) => format!(
                "{} accepts the reports: {} publishes v=DMARC1.",
                a.report_domain, a.name
            ),
            Some(false) => format!(
                "Receivers send no reports to {}: it does not publish TXT \"v=DMARC1\" at {} (RFC 7489 section 7.1); ask whoever runs {} to add it, or use an inbox at {}.",
                a.report_domain, a.name, a.report_domain, r.domain
            ),
            None => format!(
                "Whether {} accepts the reports could not be checked ({}): it must publish TXT \"v=DMARC1\" at {}.",
                a.report_domain,
                a.why_unchecked.as_deref().unwrap_or("no answer"),
                a.name
            ),
        };
        for l in crate::words::wrap(&line, 96) {
            out.push_str(&format!("{l}\n"));
        }
    }
    match &r.configuration_set {
        Some(set) if set.exists => {
            let suppression = if set.suppressed_reasons.is_empty() {
                "the account's".to_string()
            } else {
                set.suppressed_reasons.join(", ")
            };
            out.push_str(&format!(
                "Configuration set: {} (reputation metrics {}, suppression {suppression})\n",
                set.name,
                if set.reputation_metrics { "on" } else { "off" }
            ));
        }
        _ => out.push_str("Configuration set: none\n"),
    }
    let suppression = match &r.suppression {
        Suppression::On => "on for bounces and complaints".to_string(),
        Suppression::Partial { reasons } if reasons.is_empty() => "off".to_string(),
        Suppression::Partial { reasons } => format!("only for {}", reasons.join(", ")),
        Suppression::Unchecked { why } => format!("not checked ({})", why.trim_end_matches('.')),
    };
    out.push_str(&format!("Account suppression list: {suppression}\n"));
    out.push('\n');
    let next = if r.is_ready() {
        match r.policy() {
            Some("none") => "Everything aligns. When the reports show only your own mail, ask receivers to quarantine mail that fails: `siteup email --dmarc quarantine`.".to_string(),
            Some("quarantine") => "Everything aligns. When the reports stay clean, you can go to `siteup email --dmarc reject`.".to_string(),
            _ => "Everything aligns.".to_string(),
        }
    } else {
        "Fix what is missing above, then run `siteup email` again.".to_string()
    };
    for l in crate::words::wrap(&next, 96) {
        out.push_str(&format!("{l}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ses::MailFromStatus;

    fn identity(
        dkim: CheckState,
        mail_from: Option<CheckState>,
        set: Option<&str>,
    ) -> DomainIdentityStatus {
        DomainIdentityStatus {
            exists: true,
            verified_for_sending: dkim == CheckState::Success,
            verification: dkim,
            dkim,
            mail_from: mail_from.map(|state| MailFromStatus {
                domain: "mail.example.com".into(),
                state,
            }),
            configuration_set: set.map(str::to_string),
            ..DomainIdentityStatus::missing("example.com")
        }
    }

    fn alerts_set() -> ConfigurationSetStatus {
        ConfigurationSetStatus {
            name: "example-com".into(),
            exists: true,
            suppressed_reasons: vec!["BOUNCE".into(), "COMPLAINT".into()],
            reputation_metrics: true,
            destinations: vec![EventDestination {
                name: "alerts".into(),
                enabled: true,
                events: vec!["BOUNCE".into(), "COMPLAINT".into()],
                sns_topic: Some("arn:aws:sns:eu-west-1:123456789012:example-com-alerts".into()),
            }],
        }
    }

    fn account(suppressed: &[&str]) -> AccountStatus {
        AccountStatus {
            suppressed_reasons: suppressed.iter().map(|s| (*s).to_string()).collect(),
            ..AccountStatus::new_in_sandbox()
        }
    }

    /// A domain where everything is in place.
    fn ready() -> MailFacts {
        MailFacts {
            domain: "example.com".into(),
            planned_mail_from: "mail.example.com".into(),
            identity: Ok(identity(
                CheckState::Success,
                Some(CheckState::Success),
                Some("example-com"),
            )),
            configuration_set: Some(Ok(alerts_set())),
            account: Ok(account(&["BOUNCE", "COMPLAINT"])),
            spf: TxtLookup::Records(vec!["v=spf1 include:amazonses.com ~all".into()]),
            dmarc: TxtLookup::Records(vec![
                "v=DMARC1; p=none; rua=mailto:dmarc@example.com;".into(),
            ]),
            report_authorizations: Vec::new(),
            subscription: AlertsSubscription::Confirmed("you@example.net".into()),
            reputation_alarms: Some(true),
        }
    }

    /// A new stack before anything verified: SES has the identity only.
    fn nothing() -> MailFacts {
        MailFacts {
            identity: Ok(identity(CheckState::Pending, None, None)),
            configuration_set: None,
            account: Ok(account(&[])),
            spf: TxtLookup::None,
            dmarc: TxtLookup::None,
            subscription: AlertsSubscription::NoAddress,
            reputation_alarms: None,
            ..ready()
        }
    }

    #[test]
    fn everything_in_place_is_ready_and_says_what_it_found() {
        let r = MailReadiness::assess(&ready());
        assert!(r.is_ready(), "{:?}", r.gaps());
        assert_eq!(r.policy(), Some("none"));
        assert!(r.step_up_blockers().is_empty());
        let handling = r.handling().join(" ");
        assert!(
            handling.contains("configuration set example-com"),
            "{handling}"
        );
        assert!(
            handling.contains("mails them to the site owner"),
            "{handling}"
        );
        assert!(handling.contains("suppression list is on"), "{handling}");
        assert!(handling.contains("CloudWatch alarms"), "{handling}");
        let shown = render_email(&r);
        for label in ["SPF", "DKIM", "DMARC", "MAIL FROM"] {
            assert!(
                shown
                    .lines()
                    .any(|l| l.trim_start().starts_with(label) && l.contains(" ok ")),
                "{label}: {shown}"
            );
        }
        assert!(shown.contains("siteup email --dmarc quarantine"), "{shown}");
        assert!(
            shown.contains("Account suppression list: on for bounces and complaints"),
            "{shown}"
        );
    }

    #[test]
    fn a_new_stack_names_every_missing_item_with_what_to_do() {
        let r = MailReadiness::assess(&nothing());
        let gaps: Vec<String> = r.gaps().iter().map(ToString::to_string).collect();
        assert_eq!(
            gaps,
            vec![
                "mail.example.com publishes no SPF record; run `siteup up` to write the generated one (v=spf1 include:amazonses.com ~all).",
                "DKIM for example.com is pending in SES; it verifies by itself minutes after the nameservers are live (check with `siteup nameservers`).",
                "example.com publishes no DMARC record at _dmarc.example.com; run `siteup up` to write the generated one.",
                "example.com has no custom MAIL FROM domain in SES, so SPF does not align; run `siteup up` to set up mail.example.com.",
                "example.com sends through no configuration set, so bounces and complaints reach nobody; run `siteup up` to apply the guardrails.",
                "There is no alerts address, so bounces and complaints reach nobody; add your inbox with `siteup generate --inbox you@example.net`, then run `siteup up`.",
            ]
        );
        // Nothing found, nothing claimed.
        assert!(r.handling().is_empty());
        let refusal = refusal(&r.gaps());
        assert!(refusal.starts_with("Nothing was submitted"), "{refusal}");
        assert!(refusal.contains("6 items are missing"), "{refusal}");
        assert_eq!(refusal.lines().count(), 7, "{refusal}");
        assert!(refusal.contains("--force"), "{refusal}");
    }

    #[test]
    fn every_gap_is_one_line_one_sentence() {
        let gaps = [
            Gap::NoIdentity { domain: "example.com".into() },
            Gap::DkimNotVerified { domain: "example.com".into(), state: CheckState::Failed },
            Gap::NoMailFrom { domain: "example.com".into(), planned: "mail.example.com".into() },
            Gap::MailFromNotVerified { mail_from: "mail.example.com".into(), state: CheckState::Pending },
            Gap::MailFromNotAligned { mail_from: "bounce.other.org".into(), domain: "example.com".into() },
            Gap::NoSpf { mail_from: "mail.example.com".into() },
            Gap::SpfWithoutSes { mail_from: "mail.example.com".into() },
            Gap::NoDmarc { domain: "example.com".into() },
            Gap::SeveralDmarc { domain: "example.com".into(), count: 2 },
            Gap::DmarcWithoutPolicy { domain: "example.com".into() },
            Gap::NoConfigurationSet { domain: "example.com".into() },
            Gap::ConfigurationSetMissing { name: "example-com".into() },
            Gap::NoBounceDestination { name: "example-com".into() },
            Gap::SubscriptionPending { address: "you@example.net".into() },
            Gap::NoAlertsAddress,
            Gap::Unchecked { item: Item::Dkim, why: "Could not reach AWS in eu-west-1 (no network); check your connection and try again.".into() },
        ];
        for gap in gaps {
            let text = gap.to_string();
            assert!(!text.contains('\n'), "{text}");
            assert!(text.ends_with('.'), "{text}");
            assert_eq!(
                text.matches(". ").count(),
                0,
                "more than one sentence: {text}"
            );
        }
        assert_eq!(
            Gap::Unchecked {
                item: Item::Dkim,
                why: "Could not reach AWS in eu-west-1 (no network); check your connection and try again.".into()
            }
            .to_string(),
            "DKIM could not be checked: could not reach AWS in eu-west-1 (no network); check your connection and try again."
        );
    }

    #[test]
    fn dmarc_records_are_read_as_receivers_read_them() {
        let d = DmarcRecord::parse(
            "v=DMARC1; p=Quarantine; rua=mailto:a@example.net!10m, mailto:b@example.com; pct=50",
        )
        .expect("a DMARC record");
        assert_eq!(d.policy.as_deref(), Some("quarantine"));
        assert_eq!(d.report_addresses(), vec!["a@example.net", "b@example.com"]);
        assert_eq!(d.outside_report_domains("example.com"), vec!["example.net"]);
        assert_eq!(
            report_authorization_name("example.com", "example.net"),
            "example.com._report._dmarc.example.net"
        );
        assert!(DmarcRecord::parse("v=spf1 -all").is_none());
        assert!(DmarcRecord::parse("v=DMARC1; p=strict").is_some_and(|d| d.policy.is_none()));
        // A subdomain's inbox is the domain's own: no authorization needed.
        let sub = DmarcRecord::parse("v=DMARC1; p=none; rua=mailto:r@reports.example.com")
            .expect("record");
        assert!(sub.outside_report_domains("example.com").is_empty());

        let two = MailFacts {
            dmarc: TxtLookup::Records(vec!["v=DMARC1; p=none".into(), "v=DMARC1; p=reject".into()]),
            ..ready()
        };
        let r = MailReadiness::assess(&two);
        assert!(matches!(
            r.state(Item::Dmarc),
            Some(ItemState::Missing {
                gap: Gap::SeveralDmarc { count: 2, .. }
            })
        ));
        let bad = MailFacts {
            dmarc: TxtLookup::Records(vec![
                "v=DMARC1; rua=mailto:x@example.com".into(),
                "google-site-verification=abc".into(),
            ]),
            ..ready()
        };
        let r = MailReadiness::assess(&bad);
        assert!(matches!(
            r.state(Item::Dmarc),
            Some(ItemState::Missing {
                gap: Gap::DmarcWithoutPolicy { .. }
            })
        ));
    }

    #[test]
    fn spf_must_let_ses_send() {
        for (records, ok) in [
            (vec!["v=spf1 include:amazonses.com ~all"], true),
            (
                vec!["something else", "v=spf1 include:amazonses.com -all"],
                true,
            ),
            (vec!["v=spf1 include:_spf.google.com ~all"], false),
            // Two SPF records are a permanent error for receivers.
            (
                vec!["v=spf1 include:amazonses.com ~all", "v=spf1 -all"],
                false,
            ),
        ] {
            let facts = MailFacts {
                spf: TxtLookup::Records(records.iter().map(|s| (*s).to_string()).collect()),
                ..ready()
            };
            assert_eq!(
                MailReadiness::assess(&facts).is_ok(Item::Spf),
                ok,
                "{records:?}"
            );
        }
    }

    #[test]
    fn the_configuration_set_needs_an_enabled_destination_for_bounces_and_complaints() {
        let mut set = alerts_set();
        set.destinations[0].events = vec!["BOUNCE".into()];
        let facts = MailFacts {
            configuration_set: Some(Ok(set.clone())),
            ..ready()
        };
        let r = MailReadiness::assess(&facts);
        assert!(matches!(
            r.state(Item::ConfigurationSet),
            Some(ItemState::Missing {
                gap: Gap::NoBounceDestination { .. }
            })
        ));
        assert!(
            !r.handling().iter().any(|h| h.contains("configuration set")),
            "{:?}",
            r.handling()
        );

        set.destinations[0].events = vec!["BOUNCE".into(), "COMPLAINT".into()];
        set.destinations[0].enabled = false;
        let facts = MailFacts {
            configuration_set: Some(Ok(set)),
            ..ready()
        };
        assert!(!MailReadiness::assess(&facts).is_ok(Item::ConfigurationSet));

        let facts = MailFacts {
            configuration_set: Some(Ok(ConfigurationSetStatus::missing("example-com"))),
            ..ready()
        };
        assert!(matches!(
            MailReadiness::assess(&facts).state(Item::ConfigurationSet),
            Some(ItemState::Missing {
                gap: Gap::ConfigurationSetMissing { .. }
            })
        ));
    }

    #[test]
    fn the_alerts_subscription_is_the_callers_answer() {
        for (subscription, ok) in [
            (
                AlertsSubscription::Confirmed("you@example.net".into()),
                true,
            ),
            (AlertsSubscription::Pending("you@example.net".into()), false),
            (AlertsSubscription::NoAddress, false),
            (AlertsSubscription::Unknown("not read".into()), false),
        ] {
            let facts = MailFacts {
                subscription: subscription.clone(),
                ..ready()
            };
            let r = MailReadiness::assess(&facts);
            assert_eq!(r.is_ok(Item::AlertsSubscription), ok, "{subscription:?}");
            // Bounces still go to the topic; only a confirmed subscription is said to reach us.
            let said = r.handling().join(" ");
            assert_eq!(said.contains("mails them to the site owner"), ok, "{said}");
        }
    }

    #[test]
    fn stepping_up_waits_for_dkim_and_spf_alignment() {
        let facts = MailFacts {
            identity: Ok(identity(
                CheckState::Pending,
                Some(CheckState::Success),
                Some("example-com"),
            )),
            ..ready()
        };
        let r = MailReadiness::assess(&facts);
        let blockers = r.step_up_blockers();
        assert_eq!(blockers.len(), 1, "{blockers:?}");
        let text = step_up_refusal("quarantine", &blockers);
        assert!(text.contains("p=quarantine"), "{text}");
        assert!(text.contains("DKIM for example.com is pending"), "{text}");
        assert!(text.contains("--force"), "{text}");

        let facts = MailFacts {
            spf: TxtLookup::None,
            ..ready()
        };
        assert_eq!(MailReadiness::assess(&facts).step_up_blockers().len(), 1);
    }

    #[test]
    fn an_outside_report_inbox_is_checked_and_said_plainly() {
        let facts = MailFacts {
            dmarc: TxtLookup::Records(vec!["v=DMARC1; p=none; rua=mailto:you@example.net;".into()]),
            report_authorizations: vec![("example.net".into(), TxtLookup::None)],
            ..ready()
        };
        let r = MailReadiness::assess(&facts);
        assert_eq!(r.report_authorizations.len(), 1);
        assert_eq!(r.report_authorizations[0].published, Some(false));
        let shown = render_email(&r);
        assert!(
            shown.contains("Receivers send no reports to example.net"),
            "{shown}"
        );
        assert!(
            shown.contains("example.com._report._dmarc.example.net"),
            "{shown}"
        );

        let facts = MailFacts {
            report_authorizations: vec![(
                "example.net".into(),
                TxtLookup::Records(vec!["v=DMARC1".into()]),
            )],
            ..facts
        };
        let shown = render_email(&MailReadiness::assess(&facts));
        assert!(shown.contains("example.net accepts the reports"), "{shown}");
    }

    #[test]
    fn what_could_not_be_read_is_missing_with_the_reason() {
        let facts = MailFacts {
            identity: Err("Could not reach AWS in eu-west-1 (no network); check your connection and try again.".into()),
            dmarc: TxtLookup::Unchecked("no DNS server answered for _dmarc.example.com".into()),
            ..ready()
        };
        let r = MailReadiness::assess(&facts);
        for item in [
            Item::Dkim,
            Item::MailFrom,
            Item::ConfigurationSet,
            Item::Dmarc,
        ] {
            assert!(
                matches!(
                    r.state(item),
                    Some(ItemState::Missing {
                        gap: Gap::Unchecked { .. }
                    })
                ),
                "{item:?}: {:?}",
                r.state(item)
            );
        }
        assert!(r.gaps().iter().any(|g| g.to_string()
            == "DMARC could not be checked: no DNS server answered for _dmarc.example.com."));
    }
}
