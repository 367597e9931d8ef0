//! `siteup email [--json] [--dmarc POLICY [--force]]`: SPF, DKIM, DMARC and MAIL FROM alignment
//! of the domain's mail, the DMARC policy and its reports, the configuration set and the
//! suppression list (read-only, like `status`); `--dmarc` steps the DMARC policy up in
//! siteup.toml and the generated Terraform, for `siteup up` to apply.

use crate::aws::AwsApi;
use crate::aws::SubscriptionState;
use crate::aws::mail_readiness::{self, AlertsSubscription, MailFacts, MailReadiness, TxtLookup};
use crate::cli::{EmailArgs, GenerateArgs, GlobalArgs, SiteArgs};
use crate::commands::{CommandError, Outcome};
use crate::dns::{DnsConfig, TxtAnswer};
use crate::site::{DmarcPolicy, SiteConfig};

pub async fn run(global: &GlobalArgs, args: &EmailArgs) -> Result<Outcome, CommandError> {
    let session = crate::commands::session::open_read_only(global)?;
    let config = session.require_config()?;
    let api = session.live.aws.api().await?;
    let readiness = assess(api.as_ref(), &session.live.dns, &config).await;
    if let Some(wanted) = &args.dmarc {
        let wanted = DmarcPolicy::parse(wanted)?;
        return step_policy(global, &config, &readiness, wanted, args.force);
    }
    if args.json {
        let text = serde_json::to_string_pretty(&readiness)
            .map_err(|e| CommandError::Message(format!("Could not write the report: {e}.")))?;
        println!("{text}");
    } else {
        print!(
            "{}",
            crate::words::printable(&mail_readiness::render_email(&readiness))
        );
    }
    Ok(if readiness.is_ready() {
        Outcome::Done
    } else {
        Outcome::Waiting
    })
}

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

/// `--dmarc POLICY`: records the policy in siteup.toml and regenerates terraform/ (the DMARC
/// record in email.tf); refuses to step up while DKIM or SPF does not align, unless `force`.
fn step_policy(
    global: &GlobalArgs,
    config: &SiteConfig,
    readiness: &MailReadiness,
    wanted: DmarcPolicy,
    force: bool,
) -> Result<Outcome, CommandError> {
    if wanted == config.dmarc_policy {
        println!(
            "The DMARC policy of {} is already p={wanted} in siteup.toml; run `siteup up` if it is not live yet.",
            config.domain
        );
        return Ok(Outcome::Done);
    }
    let blockers = readiness.step_up_blockers();
    if wanted > config.dmarc_policy && !blockers.is_empty() && !force {
        return Err(CommandError::Message(
            crate::words::printable(&mail_readiness::step_up_refusal(wanted.as_str(), &blockers))
                .into_owned(),
        ));
    }
    set_policy(global, wanted)?;
    let generated = crate::commands::generate::run(
        global,
        &GenerateArgs {
            site: SiteArgs::default(),
            force: false,
        },
    )?;
    println!(
        "The DMARC policy of {} is now p={wanted} in siteup.toml and terraform/email.tf; run `siteup up` to publish it.",
        config.domain
    );
    Ok(generated)
}

/// Writes the policy into siteup.toml, under the project's lock.
fn set_policy(global: &GlobalArgs, policy: DmarcPolicy) -> Result<(), CommandError> {
    use crate::project::{ProjectPaths, lock::DirLock, settings};
    let paths = ProjectPaths::new(&global.dir);
    let _lock = DirLock::acquire(&paths.state_dir(), "siteup email --dmarc")?;
    let Some(mut toml) = settings::load(paths.root())? else {
        return Err(CommandError::Message(
            "There is no siteup.toml here; run `siteup` (or `siteup generate --domain example.com`) first.".into(),
        ));
    };
    toml.email.dmarc_policy = policy;
    settings::save(paths.root(), &toml)?;
    Ok(())
}
