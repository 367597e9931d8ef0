//! Turning flags and an existing siteup.toml into one validated [`SiteConfig`].

use crate::cli::SiteArgs;
use crate::project::settings::SiteupToml;
use crate::site::{
    BucketName, Domain, InboundMail, Inbox, InputError, MonthlyBudget, Parts, ProjectName, Region,
    SenderLocalPart, SiteConfig,
};

pub use crate::site::DEFAULT_REGION;

/// Merges flags over the answers already recorded. Without a recorded domain, `--domain` is
/// required. When the domain changes, derived names (project name, buckets) follow it unless
/// given explicitly.
pub fn resolve(existing: Option<&SiteupToml>, args: &SiteArgs) -> Result<SiteConfig, InputError> {
    let base = existing.map(SiteupToml::to_config);
    let domain = match (&args.domain, &base) {
        (Some(d), _) => Domain::parse(d)?,
        (None, Some(b)) => b.domain.clone(),
        (None, None) => {
            return Err(InputError {
                field: "domain",
                message: "No domain is set: there is no siteup.toml here; pass --domain example.com (or run siteup for the wizard).".into(),
            });
        }
    };
    let region = match (&args.region, &base) {
        (Some(r), _) => Region::parse(r)?,
        (None, Some(b)) => b.region.clone(),
        (None, None) => Region::parse(DEFAULT_REGION)?,
    };
    let same_domain = base.as_ref().is_some_and(|b| b.domain == domain);
    let mut config = match base {
        Some(b) if same_domain => SiteConfig { region, ..b },
        Some(b) => SiteConfig {
            sender: b.sender,
            inbound_mail: b.inbound_mail,
            inbox: b.inbox,
            parts: b.parts,
            guardrails: b.guardrails,
            ..SiteConfig::with_defaults(domain, region)
        },
        None => SiteConfig::with_defaults(domain, region),
    };
    if let Some(name) = &args.name {
        config.name = ProjectName::parse(name)?;
        if !same_domain || args.state_bucket.is_none() {
            let [state, deploys, site] = SiteConfig::default_buckets(&config.name);
            config.state_bucket = BucketName::parse_field("state_bucket", &state)?;
            config.deploys_bucket = BucketName::parse_field("deploys_bucket", &deploys)?;
            config.site_bucket = BucketName::parse_field("site_bucket", &site)?;
        }
    }
    if let Some(b) = &args.state_bucket {
        config.state_bucket = BucketName::parse_field("state_bucket", b)?;
    }
    if let Some(b) = &args.deploys_bucket {
        config.deploys_bucket = BucketName::parse_field("deploys_bucket", b)?;
    }
    if let Some(b) = &args.site_bucket {
        config.site_bucket = BucketName::parse_field("site_bucket", b)?;
    }
    if let Some(s) = &args.sender {
        config.sender = SenderLocalPart::parse(s)?;
    }
    if let Some(mx) = &args.mx {
        config.inbound_mail = InboundMail::parse(mx)?;
    }
    if let Some(inbox) = &args.inbox {
        config.inbox = match inbox.trim() {
            "" | "none" => None,
            address => Some(Inbox::parse(address)?),
        };
    }
    if let Some(p) = &args.parts {
        config.parts = Parts::parse_list(p)?;
    }
    if let Some(on) = &args.guardrails {
        config.guardrails.on = match on.trim().to_ascii_lowercase().as_str() {
            "on" | "yes" | "true" => true,
            "off" | "no" | "false" => false,
            _ => {
                return Err(InputError {
                    field: "guardrails",
                    message: format!(
                        "--guardrails takes on or off, not {}.",
                        crate::words::printable_line(on.trim())
                    ),
                });
            }
        };
    }
    if let Some(b) = &args.budget {
        config.guardrails.budget_usd = MonthlyBudget::parse(b)?;
    }
    config.check()?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(domain: Option<&str>) -> SiteArgs {
        SiteArgs {
            domain: domain.map(str::to_string),
            ..SiteArgs::default()
        }
    }

    #[test]
    fn a_domain_is_required_without_siteup_toml() {
        let err = resolve(None, &args(None)).expect_err("needs a domain");
        assert!(err.message.contains("pass --domain"), "{err}");
    }

    #[test]
    fn flags_override_recorded_answers_and_keep_the_rest() {
        let mut first = resolve(None, &args(Some("example.com"))).expect("first");
        first.sender = SenderLocalPart::parse("hello").expect("sender");
        let recorded = SiteupToml::from_config(&first, None);
        let again = resolve(
            Some(&recorded),
            &SiteArgs {
                region: Some("eu-west-1".into()),
                ..SiteArgs::default()
            },
        )
        .expect("again");
        assert_eq!(again.region.as_str(), "eu-west-1");
        assert_eq!(again.sender.as_str(), "hello");
        assert_eq!(again.state_bucket.as_str(), "example-com-state");
        let moved = resolve(Some(&recorded), &args(Some("other.org"))).expect("new domain");
        assert_eq!(moved.state_bucket.as_str(), "other-org-state");
        assert_eq!(moved.sender.as_str(), "hello");
    }
}
