//! `siteup alerts test`: a test notification through the guardrails' alerts topics, so the
//! owner sees that alerts reach the inbox. It refuses (exit 2) while a subscription waits for
//! its confirmation click: SNS would deliver the test to nobody.

use crate::aws::alerts::test_notification;
use crate::cli::{AlertsAction, AlertsArgs, GlobalArgs};
use crate::commands::{CommandError, Outcome};

pub async fn run(global: &GlobalArgs, args: &AlertsArgs) -> Result<Outcome, CommandError> {
    match args.action {
        AlertsAction::Test => test(global).await,
    }
}

async fn test(global: &GlobalArgs) -> Result<Outcome, CommandError> {
    let session = crate::commands::session::open_read_only(global)?;
    let config = session.require_config()?;
    let topics = config.alert_topics();
    if topics.is_empty() {
        return Err(CommandError::Message(
            "The guardrails are off, so there is no alerts topic; turn them on with `siteup generate --guardrails on` and run `siteup up`.".into(),
        ));
    }
    let Some(inbox) = &config.inbox else {
        return Err(CommandError::Message(
            "No inbox is set, so the alerts topic mails nobody; add yours with `siteup generate --inbox you@example.net` and run `siteup up`.".into(),
        ));
    };
    let api = session.live.aws.api().await?;
    let status = api
        .alert_subscriptions(&topics, inbox.as_str())
        .await
        .map_err(|e| CommandError::Message(e.to_string()))?;
    if !status.confirmed() {
        println!("{}", status.headline());
        for line in status.lines() {
            println!("  {line}");
        }
        println!(
            "Nothing was sent: run `siteup alerts test` again once the subscription is confirmed."
        );
        return Ok(Outcome::Waiting);
    }
    let (subject, message) = test_notification(config.domain.as_str());
    for topic in &topics {
        let id = api
            .publish_alert(topic, &subject, &message)
            .await
            .map_err(|e| CommandError::Message(e.to_string()))?;
        println!(
            "Sent a test alert through {} ({}), message {id}.",
            topic.name, topic.region
        );
    }
    println!(
        "It reaches {inbox} from AWS Notifications (no-reply@sns.amazonaws.com) within a minute, subject \"{subject}\"."
    );
    Ok(Outcome::Done)
}
