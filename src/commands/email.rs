//! `siteup email [--json] [--dmarc POLICY [--force]]`: SPF, DKIM, DMARC and MAIL FROM alignment
//! of the domain's mail, the DMARC policy and its reports, the configuration set and the
//! suppression list (read-only, like `status`); `--dmarc` steps the DMARC policy up in
//! siteup.toml and the generated Terraform, for `siteup up` to apply.

use crate::aws::mail_readiness::{self, MailReadiness};
use crate::cli::{EmailArgs, GenerateArgs, GlobalArgs, SiteArgs};
use crate::commands::{CommandError, Outcome};
use crate::effects::mail::assess;
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
