//! `siteup nameservers [--copy] [--json]`: the nameservers to paste at the registrar and the
//! live delegation verdict (the registry's view and the resolver's).

use crate::cli::{GlobalArgs, NameserversArgs};
use crate::commands::{CommandError, Outcome};

pub async fn run(global: &GlobalArgs, args: &NameserversArgs) -> Result<Outcome, CommandError> {
    let session = crate::commands::session::open_read_only(global)?;
    let config = session.require_config()?;
    let nameservers = session.live.nameservers().await?;
    let report =
        crate::dns::check_delegation(&session.live.dns, config.domain.as_str(), &nameservers).await;
    let copied = if args.copy {
        let text = crate::clipboard::nameservers_text(&nameservers, args.dots);
        Some(crate::clipboard::copy(&text).describe())
    } else {
        None
    };
    if args.json {
        let mut value = serde_json::to_value(&report)
            .map_err(|e| CommandError::Message(format!("Could not write the report: {e}.")))?;
        if let (Some(obj), Some(c)) = (value.as_object_mut(), &copied) {
            obj.insert("copied".into(), serde_json::Value::String(c.clone()));
        }
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| CommandError::Message(format!("Could not write the report: {e}.")))?;
        println!("{text}");
    } else {
        println!(
            "Set these nameservers for {} at your registrar:\n",
            config.domain
        );
        println!("{}", crate::dns::nameserver_lines(&nameservers, args.dots));
        if let Some(c) = &copied {
            println!("({c})");
        }
        println!();
        print!(
            "{}",
            crate::words::printable(&crate::dns::render_verdict_text(&report))
        );
    }
    Ok(if report.ready {
        Outcome::Done
    } else {
        Outcome::Waiting
    })
}
