//! The guardrails' alerts channel: the owner's email subscription to each alerts topic
//! (pending until the link in AWS's mail is clicked), and a test notification through it.

use serde::Serialize;

pub use crate::site::AlertTopic;

/// Where the owner's subscription to one alerts topic stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubscriptionState {
    /// The topic does not exist yet (the foundation apply creates it).
    NoTopic,
    /// The topic has no email subscription for the address (never created, or deleted by SNS
    /// after it went unconfirmed).
    NotSubscribed,
    /// AWS mailed the confirmation link; nothing reaches the inbox until it is clicked.
    Pending,
    Confirmed,
}

/// The owner's subscription to one topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicSubscription {
    pub topic: AlertTopic,
    pub state: SubscriptionState,
}

/// The owner's subscriptions to every alerts topic of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertsStatus {
    /// The address the alerts mail.
    pub endpoint: String,
    pub topics: Vec<TopicSubscription>,
}

impl AlertsStatus {
    /// Whether every topic mails the owner.
    pub fn confirmed(&self) -> bool {
        !self.topics.is_empty()
            && self
                .topics
                .iter()
                .all(|t| t.state == SubscriptionState::Confirmed)
    }

    fn count(&self, state: SubscriptionState) -> usize {
        self.topics.iter().filter(|t| t.state == state).count()
    }

    /// One sentence: where the subscriptions stand and what to do.
    pub fn headline(&self) -> String {
        let to = &self.endpoint;
        let links = |n: usize| {
            if n == 1 {
                "the link".to_string()
            } else {
                format!("the link in each of the {n} mails")
            }
        };
        if self.confirmed() {
            return format!("Confirmed: the site's alerts reach {to}.");
        }
        if self.count(SubscriptionState::NoTopic) > 0 {
            return format!(
                "The alerts topic does not exist yet; the foundation apply creates it and AWS then mails {to} a confirmation link."
            );
        }
        let pending = self.count(SubscriptionState::Pending);
        if self.count(SubscriptionState::NotSubscribed) > 0 {
            return format!(
                "The subscription of {to} is gone (SNS deletes one that stays unconfirmed); press r and AWS mails a new link."
            );
        }
        format!(
            "AWS sent a mail from no-reply@sns.amazonaws.com to {to}: click {} (\"Confirm subscription\") so alerts reach you.",
            links(pending)
        )
    }

    /// One line per topic when there are several.
    pub fn lines(&self) -> Vec<String> {
        if self.topics.len() < 2 {
            return Vec::new();
        }
        self.topics
            .iter()
            .map(|t| {
                let state = match t.state {
                    SubscriptionState::NoTopic => "not created yet",
                    SubscriptionState::NotSubscribed => "no subscription",
                    SubscriptionState::Pending => "waiting for the click",
                    SubscriptionState::Confirmed => "confirmed",
                };
                format!("{} ({}): {state}", t.topic.name, t.topic.region)
            })
            .collect()
    }
}

/// One CloudWatch alarm of the guardrails and its state (`OK`, `ALARM`, `INSUFFICIENT_DATA`;
/// `missing` when CloudWatch has no such alarm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmStatus {
    pub name: String,
    pub region: String,
    pub state: String,
}

/// The monthly cost budget as AWS Budgets reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetStatus {
    pub name: String,
    /// The limit, like `20.0 USD`.
    pub limit: String,
    /// This month's spend so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// The month's forecast.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecast: Option<String>,
}

/// Everything the guardrails are, read live: the owner's subscriptions, the alarms' states,
/// the budget. What `status --json` lists and the alerts checkpoint reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardrailsStatus {
    pub subscriptions: Option<AlertsStatus>,
    pub alarms: Vec<AlarmStatus>,
    /// None: no budget of that name (not applied yet).
    pub budget: Option<BudgetStatus>,
    /// What could not be read (alarms, budget), each one sentence: the rest still shows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

impl GuardrailsStatus {
    /// The lines of the alerts checkpoint and the done pane: the alarms that fire (or how many
    /// are quiet), and the budget.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.alarms.is_empty() {
            let firing: Vec<&AlarmStatus> =
                self.alarms.iter().filter(|a| a.state == "ALARM").collect();
            let missing = self.alarms.iter().filter(|a| a.state == "missing").count();
            if firing.is_empty() {
                let quiet = self.alarms.len() - missing;
                lines.push(format!(
                    "Alarms: {} quiet{}.",
                    crate::words::counted(quiet, "alarm", "alarms"),
                    if missing > 0 {
                        format!(", {missing} not created yet")
                    } else {
                        String::new()
                    }
                ));
            }
            for a in firing {
                lines.push(format!("Alarm firing: {} ({}).", a.name, a.region));
            }
        }
        if let Some(b) = &self.budget {
            let mut line = format!("Budget: {} a month", b.limit);
            if let Some(actual) = &b.actual {
                line.push_str(&format!("; spent {actual} so far"));
            }
            if let Some(forecast) = &b.forecast {
                line.push_str(&format!(", forecast {forecast}"));
            }
            line.push('.');
            lines.push(line);
        }
        lines.extend(self.unreadable.iter().cloned());
        lines
    }
}

/// The subject and text of `siteup alerts test`'s notification.
pub fn test_notification(domain: &str) -> (String, String) {
    (
        format!("siteup test alert for {domain}"),
        format!(
            "This is a test notification from siteup through the alerts topic of {domain}. \
             Alarms (errors, mail bounces and complaints, the monthly budget) arrive the same way. \
             Nothing is wrong."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(states: &[SubscriptionState]) -> AlertsStatus {
        AlertsStatus {
            endpoint: "you@example.net".into(),
            topics: states
                .iter()
                .enumerate()
                .map(|(i, s)| TopicSubscription {
                    topic: AlertTopic {
                        region: if i == 0 { "eu-west-1" } else { "us-east-1" }.into(),
                        name: format!("site-{i}"),
                    },
                    state: *s,
                })
                .collect(),
        }
    }

    #[test]
    fn the_guardrails_lines_name_firing_alarms_the_budget_and_what_could_not_be_read() {
        let alarm = |name: &str, state: &str| AlarmStatus {
            name: name.into(),
            region: "eu-west-1".into(),
            state: state.into(),
        };
        let mut g = GuardrailsStatus {
            subscriptions: None,
            alarms: vec![
                alarm("site-ses-bounce-rate", "OK"),
                alarm("site-api-5xx", "INSUFFICIENT_DATA"),
                alarm("site-cloudfront-5xx", "missing"),
            ],
            budget: Some(BudgetStatus {
                name: "site-monthly".into(),
                limit: "20.0 USD".into(),
                actual: Some("1.5 USD".into()),
                forecast: None,
            }),
            unreadable: vec!["The budget could not be read: no.".into()],
        };
        assert_eq!(
            g.lines(),
            [
                "Alarms: 2 alarms quiet, 1 not created yet.",
                "Budget: 20.0 USD a month; spent 1.5 USD so far.",
                "The budget could not be read: no.",
            ]
        );
        g.alarms[1].state = "ALARM".into();
        assert_eq!(g.lines()[0], "Alarm firing: site-api-5xx (eu-west-1).");
    }

    #[test]
    fn confirmed_only_when_every_topic_is() {
        use SubscriptionState::*;
        assert!(status(&[Confirmed, Confirmed]).confirmed());
        assert!(!status(&[Confirmed, Pending]).confirmed());
        assert!(!status(&[]).confirmed());
        let two = status(&[Pending, Pending]);
        assert!(
            two.headline().contains("each of the 2 mails"),
            "{}",
            two.headline()
        );
        assert_eq!(two.lines().len(), 2);
        assert!(status(&[NoTopic]).headline().contains("foundation apply"));
        assert!(status(&[NotSubscribed]).headline().contains("press r"));
        assert!(status(&[Pending]).headline().contains("click the link"));
    }
}
