//! The mail's readiness gathered for real: SES (identity, DKIM, MAIL FROM, configuration set,
//! account), SNS (the owner's alerts subscription), CloudWatch (the reputation alarms) through
//! the session's AWS connection, and the SPF and DMARC records from the domain's own DNS
//! servers. `siteup email`, `siteup ses-request` and the wizard's SES request all read it here.

use crate::aws::mail_readiness::{self, AlertsSubscription, MailFacts, MailReadiness, TxtLookup};
use crate::aws::{AwsApi, SubscriptionState};
use crate::dns::{DnsConfig, TxtAnswer};
use crate::site::SiteConfig;

/// The MAIL FROM domain the generated stack sets up (`stack.rs`: `c.sub("mail")`).
fn planned_mail_from(config: &SiteConfig) -> String {
    format!("mail.{}", config.domain)
}

/// The owner's subscription to the alerts topics, read from SNS.
async fn subscription(api: &dyn AwsApi, config: &SiteConfig) -> AlertsSubscription {
    let Some(inbox) = &config.inbox else {
        return AlertsSubscription::NoAddress;
    };
    let topics = config.alert_topics();
    if topics.is_empty() {
        return AlertsSubscription::Unknown(
            "the guardrails are off, so there is no alerts topic (turn them on with `siteup generate --guardrails on`)".into(),
        );
    }
    match api.alert_subscriptions(&topics, inbox.as_str()).await {
        Ok(status) if status.confirmed() => AlertsSubscription::Confirmed(inbox.to_string()),
        // No topic yet, or no subscription at all: the headline says what to do.
        Ok(status)
            if status.topics.iter().any(|t| {
                t.state != SubscriptionState::Pending && t.state != SubscriptionState::Confirmed
            }) =>
        {
            AlertsSubscription::Unknown(status.headline())
        }
        Ok(_) => AlertsSubscription::Pending(inbox.to_string()),
        Err(e) => AlertsSubscription::Unknown(e.to_string()),
    }
}

/// Whether the SES reputation alarms exist (Some(false): not created yet; None: not read).
async fn reputation_alarms(api: &dyn AwsApi, config: &SiteConfig) -> Option<bool> {
    let (alarms, _) = crate::tfgen::guardrail_names(config);
    let names: Vec<String> = alarms
        .into_iter()
        .filter(|(region, name)| region == config.region.as_str() && name.contains("-ses-"))
        .map(|(_, name)| name)
        .collect();
    if names.is_empty() {
        return Some(false);
    }
    let states = api
        .alarm_states(config.region.as_str(), &names)
        .await
        .ok()?;
    Some(states.iter().all(|a| a.state != "missing"))
}

/// Gathers the facts (SES through the session's AWS connection, DNS from the domain's own
/// servers) and assesses them.
pub(crate) async fn assess(
    api: &dyn AwsApi,
    dns: &DnsConfig,
    config: &SiteConfig,
) -> MailReadiness {
    MailReadiness::assess(&gather(api, dns, config).await)
}

async fn gather(api: &dyn AwsApi, dns: &DnsConfig, config: &SiteConfig) -> MailFacts {
    let domain = config.domain.as_str().to_string();
    let identity = api
        .domain_identity(&domain)
        .await
        .map_err(|e| e.to_string());
    let configuration_set = match identity
        .as_ref()
        .ok()
        .and_then(|i| i.configuration_set.clone())
    {
        Some(name) => Some(
            api.configuration_set(&name)
                .await
                .map_err(|e| e.to_string()),
        ),
        None => None,
    };
    let account = api.account_status().await.map_err(|e| e.to_string());
    let mail_from = identity
        .as_ref()
        .ok()
        .and_then(|i| i.mail_from.as_ref())
        .map_or_else(|| planned_mail_from(config), |m| m.domain.clone());
    let dmarc_name = format!("_dmarc.{domain}");
    let (spf, dmarc) = tokio::join!(
        crate::dns::lookup_txt(dns, &mail_from),
        crate::dns::lookup_txt(dns, &dmarc_name)
    );
    let dmarc = txt(dmarc);
    let mut report_authorizations = Vec::new();
    if let TxtLookup::Records(records) = &dmarc {
        let mut outside: Vec<String> = Vec::new();
        for r in records
            .iter()
            .filter_map(|t| mail_readiness::DmarcRecord::parse(t))
        {
            for d in r.outside_report_domains(&domain) {
                if !outside.contains(&d) {
                    outside.push(d);
                }
            }
        }
        for report_domain in outside {
            let name = mail_readiness::report_authorization_name(&domain, &report_domain);
            let found = txt(crate::dns::lookup_txt(dns, &name).await);
            report_authorizations.push((report_domain, found));
        }
    }
    MailFacts {
        planned_mail_from: planned_mail_from(config),
        identity,
        configuration_set,
        account,
        spf: txt(spf),
        dmarc,
        report_authorizations,
        subscription: subscription(api, config).await,
        reputation_alarms: reputation_alarms(api, config).await,
        domain,
    }
}

fn txt(answer: TxtAnswer) -> TxtLookup {
    match answer {
        TxtAnswer::Records(r) => TxtLookup::Records(r),
        TxtAnswer::None => TxtLookup::None,
        TxtAnswer::Unchecked(why) => TxtLookup::Unchecked(why),
    }
}
