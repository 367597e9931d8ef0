//! `siteup destroy [--yes] [--all] [--confirm DOMAIN]`: tears the stack down. By default it
//! deletes what costs money or can be rebuilt and keeps what cannot (the hosted zone, the table,
//! the user pool, the deploys and state buckets); `--all` deletes those too (the records added
//! by hand listed first), the state bucket last, after the state moved to a local file. Both
//! after a review of what goes and what stays and the domain typed in full (`--yes` never
//! deletes data). Stopped anywhere, it continues where it stopped when run again. Exit codes: 0
//! torn down, 1 failed or cancelled (nothing deleted unless the line says so), 130 stopped by
//! Ctrl-C (terraform saved its state; run it again).

use std::collections::BTreeMap;
use std::io::IsTerminal;

use crate::cli::{DestroyArgs, GlobalArgs};
use crate::commands::session::{self, Session};
use crate::commands::{CommandError, Outcome};
use crate::effects::teardown::{Inventory, TeardownRun};
use crate::project::teardown::{Scope, Teardown};
use crate::terraform::plan_review::{Danger, human_type};
use crate::tfgen::teardown::Holds;

pub async fn run(global: &GlobalArgs, args: &DestroyArgs) -> Result<Outcome, CommandError> {
    let session = session::open(global, "destroy", None)?;
    let config = session.require_config()?;
    let domain = config.domain.as_str().to_string();
    let scope = if args.all {
        Scope::All
    } else {
        Scope::KeepData
    };
    if scope == Scope::All && args.yes && args.confirm.is_none() {
        return Err(yes_is_not_enough(&domain));
    }
    let run = TeardownRun::new(&session.live.terraform);
    let record = run.record()?;
    let record = match record {
        Some(r) if !r.is_done() => {
            println!(
                "Continuing the teardown of {domain} started at {} (it was confirmed then{}).",
                r.started_at,
                if r.scope == Scope::All {
                    ", with --all"
                } else {
                    ""
                }
            );
            r
        }
        None if !ever_applied(&session) => {
            return Err(CommandError::Message(format!(
                "Nothing in {} was ever applied (no terraform state), so there is nothing to tear down and nothing was deleted.",
                crate::commands::shown_path(session.paths.root())
            )));
        }
        done => {
            let inventory = run.inventory().await?;
            // A finished teardown that kept data which terraform does not manage again yet
            // (no rebuild since): `--all` cannot reach it.
            if let Some(d) = &done
                && scope == Scope::All
                && d.scope == Scope::KeepData
                && d.kept
                    .iter()
                    .any(|k| !inventory.resources.iter().any(|r| r.address == k.address))
            {
                return Err(CommandError::Message(format!(
                    "{domain} was already torn down keeping its data ({}), which terraform no longer manages; run `siteup up` to adopt them again, then `siteup destroy --all`.",
                    crate::words::counted(d.kept.len(), "resource", "resources")
                )));
            }
            if inventory.is_empty() {
                return match done {
                    Some(d) => {
                        println!("{}", already_torn_down(&domain, &d));
                        Ok(Outcome::Done)
                    }
                    None => Err(CommandError::Message(format!(
                        "terraform's state in {} holds nothing siteup created, so there is nothing to tear down and nothing was deleted.",
                        crate::commands::shown_path(&session.paths.terraform_dir())
                    ))),
                };
            }
            let stake = match scope {
                Scope::All => at_stake(&session, &inventory).await?,
                Scope::KeepData => AtStake::default(),
            };
            print!("{}", review(&domain, &session, &inventory, scope, &stake));
            confirm(&domain, scope, args)?;
            run.start(scope, &inventory).await?
        }
    };
    let outcome = finish(&session, &run, record).await;
    match outcome {
        Ok(done) => {
            print!("{}", report(&domain, &session, &run, &done));
            Ok(Outcome::Done)
        }
        Err(crate::failure::Failure::RunInterrupted { .. }) => {
            eprintln!(
                "siteup: the teardown stopped cleanly; run `{}` to continue where it stopped.",
                crate::commands::continue_command(global, "siteup destroy")
            );
            Ok(Outcome::Signalled(crate::runtime::libc_signal::SIGINT))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether terraform ever kept a state here: a local state file, or the S3 backend that the
/// state's move writes. Without either, nothing was applied (and no terraform needs to run to
/// say so).
fn ever_applied(session: &Session) -> bool {
    let dir = session.paths.terraform_dir();
    dir.join(crate::terraform::bootstrap::LOCAL_STATE).is_file()
        || crate::terraform::bootstrap::is_s3_backend(&dir)
}

/// `--all --yes`: data is never deleted on `--yes` alone.
fn yes_is_not_enough(domain: &str) -> CommandError {
    CommandError::Message(format!(
        "--all deletes your data, and --yes alone never does; nothing was deleted: run it with `--all --confirm {domain}`."
    ))
}

/// Runs what is left of the teardown; Ctrl-C stops terraform cleanly (SIGINT).
async fn finish(
    session: &Session,
    run: &TeardownRun<'_>,
    record: Teardown,
) -> Result<Teardown, crate::failure::Failure> {
    let tf = session.live.terraform.clone();
    let ctrl_c = tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "siteup: stopping terraform cleanly (it saves its state and releases the lock)."
            );
            crate::effects::TerraformJobs::interrupt(tf.as_ref());
        }
    });
    let notify = |line: &str| println!("{}", crate::words::printable(line));
    let result = run.finish(record, &notify).await;
    ctrl_c.abort();
    result
}

/// The confirmation: the domain typed in full (`--confirm DOMAIN` types it in advance), or
/// `--yes`, which only a teardown that keeps the data accepts.
fn confirm(domain: &str, scope: Scope, args: &DestroyArgs) -> Result<(), CommandError> {
    let typed = match (&args.confirm, args.yes) {
        (Some(typed), _) => typed.clone(),
        (None, true) if scope == Scope::KeepData => return Ok(()),
        (None, true) => return Err(yes_is_not_enough(domain)),
        (None, false) if std::io::stdin().is_terminal() => {
            inquire::Text::new(&format!("Type {domain} to tear it down:"))
                .prompt()
                .map_err(|_| {
                    CommandError::Message("The teardown was cancelled; nothing was deleted.".into())
                })?
        }
        (None, false) => {
            return Err(CommandError::Message(match scope {
                Scope::KeepData => format!(
                    "siteup destroy asks you to type the domain, and this is no terminal; nothing was deleted: run it with `--confirm {domain}` (or `--yes`, which keeps the data)."
                ),
                Scope::All => format!(
                    "siteup destroy --all asks you to type the domain, and this is no terminal; nothing was deleted: run it with `--all --confirm {domain}`."
                ),
            }));
        }
    };
    if typed
        .trim()
        .trim_end_matches('.')
        .eq_ignore_ascii_case(domain)
    {
        Ok(())
    } else {
        Err(CommandError::Message(format!(
            "You typed \"{}\", not {domain}, so nothing was deleted; run `siteup destroy` again and type the domain in full.",
            crate::words::printable_line(typed.trim())
        )))
    }
}

/// What `--all` deletes with the data holders, read from AWS for the review.
#[derive(Default)]
struct AtStake {
    /// The zone's records that terraform does not manage (added by hand or by another tool).
    unmanaged: Vec<crate::aws::route53::ZoneRecord>,
    /// The table's items, as DynamoDB counts them.
    items: Option<i64>,
    /// The user pool's users, as Cognito estimates them.
    users: Option<i64>,
}

async fn at_stake(session: &Session, inventory: &Inventory) -> Result<AtStake, CommandError> {
    let api = session.live.aws.api().await?;
    let find = |address: &str| inventory.resources.iter().find(|r| r.address == address);
    let mut stake = AtStake::default();
    if let Some(zone) = find(crate::tfgen::names::ZONE_ADDRESS) {
        let zone_name = zone.name.clone().unwrap_or_default();
        let records = api
            .zone_records(&zone.id)
            .await
            .map_err(crate::failure::Failure::from)?;
        stake.unmanaged = records
            .into_iter()
            .filter(|r| !r.is_zone_own(&zone_name) && !inventory.manages_record(&r.name, &r.kind))
            .collect();
    }
    if let Some(table) = find(crate::tfgen::names::TABLE_ADDRESS) {
        stake.items = api
            .table_item_count(table.name.as_deref().unwrap_or(&table.id))
            .await
            .map_err(crate::failure::Failure::from)?;
    }
    if let Some(pool) = find(crate::tfgen::names::USER_POOL_ADDRESS) {
        stake.users = api
            .user_pool_users(&pool.id)
            .await
            .map_err(crate::failure::Failure::from)?;
    }
    Ok(stake)
}

/// What goes and what stays, before anything is deleted.
fn review(
    domain: &str,
    session: &Session,
    inventory: &Inventory,
    scope: Scope,
    stake: &AtStake,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let where_ = if session.sandbox {
        "the sandbox".to_string()
    } else {
        format!(
            "AWS (profile {})",
            session.profile.as_deref().unwrap_or("default")
        )
    };
    let _ = writeln!(
        out,
        "siteup destroy{}: {domain} in {where_}\n",
        if scope == Scope::All { " --all" } else { "" }
    );
    let unmanaged = &stake.unmanaged;
    if !unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "Records in the zone that terraform does not manage (added by hand or by another tool), deleted with it:"
        );
        for r in unmanaged {
            let _ = writeln!(
                out,
                "  - {} {}",
                crate::words::printable(&r.name),
                crate::words::printable(&r.kind)
            );
        }
        out.push('\n');
    }
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    let mut consequences: Vec<String> = Vec::new();
    for r in inventory.deleted(scope) {
        *groups.entry(human_type(&r.resource_type)).or_default() += 1;
        if let Some(d) = Danger::of_type(&r.resource_type) {
            let name = r.name.as_deref().unwrap_or(&r.id);
            let line = match d {
                Danger::Bucket => match crate::tfgen::teardown::holds(&r.address) {
                    Some(Holds::StateBucket) => format!(
                        "the bucket {name} with terraform's state history (the state moves to a local file first)"
                    ),
                    Some(Holds::DeploysBucket) => {
                        format!("the bucket {name} and every deploy artifact and version in it")
                    }
                    _ => format!(
                        "the bucket {name} and every version of its files (deploy the site again to restore them)"
                    ),
                },
                Danger::Distribution => "the CloudFront distribution: the site goes offline".into(),
                Danger::Certificate => format!("the certificate {}: HTTPS stops", short(name)),
                Danger::EmailIdentity => format!(
                    "the SES identity {name}: mail from it stops until a rebuild verifies it again"
                ),
                Danger::HostedZone => format!(
                    "the hosted zone {name} and every record in it: the domain stops resolving, and a rebuild gets new nameservers to set at the registrar"
                ),
                Danger::Table => format!(
                    "the table {name} and every item in it{}",
                    stake.items.map_or(String::new(), |n| format!(
                        " ({}, as DynamoDB counted them in the last six hours)",
                        counted_i64(n, "item", "items")
                    ))
                ),
                Danger::UserPool => format!(
                    "the user pool {name} and every user in it{}: nobody can sign in with their account again",
                    stake.users.map_or(String::new(), |n| format!(
                        " (about {})",
                        counted_i64(n, "user", "users")
                    ))
                ),
            };
            consequences.push(line);
        }
    }
    let total: usize = groups.values().sum();
    let _ = writeln!(
        out,
        "Deletes {}:",
        crate::words::counted(total, "resource", "resources")
    );
    for line in &consequences {
        let _ = writeln!(out, "  - {}", crate::words::printable(line));
    }
    let listed: Vec<String> = groups
        .iter()
        .map(|(kind, n)| {
            if *n == 1 {
                kind.clone()
            } else {
                format!("{n} × {kind}")
            }
        })
        .collect();
    for line in crate::words::wrap(&format!("All of them: {}.", listed.join(", ")), 94) {
        let _ = writeln!(out, "  {line}");
    }
    let holders = inventory.holders(scope);
    if holders.is_empty() {
        out.push('\n');
        return out;
    }
    let _ = writeln!(
        out,
        "\nKeeps (terraform stops managing them; `siteup up` adopts them again):"
    );
    for (holds, name) in holders {
        let _ = writeln!(
            out,
            "  - {}",
            crate::words::printable(&kept_line(holds, &name))
        );
    }
    out.push('\n');
    out
}

fn counted_i64(n: i64, one: &str, many: &str) -> String {
    crate::words::counted(usize::try_from(n).unwrap_or(0), one, many)
}

fn kept_line(holds: Holds, name: &str) -> String {
    match holds {
        Holds::Zone => format!(
            "the hosted zone {name}: the nameservers at your registrar stay valid, and records you added stay"
        ),
        Holds::Table => format!("the table {name} with its items"),
        Holds::UserPool => format!("the user pool {name} with its users"),
        Holds::DeploysBucket => format!("the bucket {name} with the deploy artifacts"),
        Holds::StateBucket => format!("the bucket {name} with terraform's state history"),
    }
}

/// A monthly cost of a kept resource, from AWS's public prices (us-east-1, 2026).
fn monthly_cost(holds: Holds) -> &'static str {
    match holds {
        Holds::Zone => "$0.50 a month",
        Holds::Table => "on-demand: $0.25 per GB stored a month, nothing while unused",
        Holds::UserPool => "free below 10,000 monthly active users",
        Holds::DeploysBucket | Holds::StateBucket => "$0.023 per GB stored a month",
    }
}

fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The closing report: what was kept, what it costs, and what is left for the person.
fn report(domain: &str, session: &Session, run: &TeardownRun<'_>, done: &Teardown) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nTorn down: {domain}'s stack is deleted{}.",
        match done.scope {
            Scope::KeepData => ", except what holds data",
            Scope::All => ", the data too; nothing of it is left in AWS",
        }
    );
    let mut kept: BTreeMap<Holds, &str> = BTreeMap::new();
    for k in &done.kept {
        if let Some(h) = crate::tfgen::teardown::holds(&k.address) {
            kept.entry(h).or_insert(&k.id);
        }
    }
    if !kept.is_empty() {
        let _ = writeln!(out, "Kept in AWS:");
        for (h, id) in &kept {
            let name = match h {
                Holds::Zone => format!("{domain} ({id})"),
                _ => (*id).to_string(),
            };
            let _ = writeln!(
                out,
                "  - {} ({})",
                crate::words::printable(&kept_line(*h, &name)),
                monthly_cost(*h)
            );
        }
    }
    let _ = writeln!(out, "What is left for you:");
    if kept.contains_key(&Holds::Zone) {
        let _ = writeln!(
            out,
            "  - Your registrar still points at the Route 53 nameservers: keep the zone, or move the nameservers back before deleting it (and remove any DS record at the registrar first)."
        );
    }
    if done.scope == Scope::All {
        let _ = writeln!(
            out,
            "  - Your registrar still points at the deleted zone's nameservers: set the nameservers of your next DNS host (or the registrar's own) for {domain}, and remove any DS record there first."
        );
        let _ = writeln!(
            out,
            "  - terraform's state, now empty, is in {}.",
            crate::commands::shown_path(&run.local_state())
        );
    }
    if let Some(copy) = &done.state_copy {
        let _ = writeln!(
            out,
            "  - The state as it was before the teardown is in {} (it holds secrets: keep it private).",
            crate::commands::shown_path(copy)
        );
    }
    let _ = writeln!(
        out,
        "  - `siteup up` rebuilds the stack from your answers in {}{}.",
        crate::commands::shown_path(&session.paths.settings()),
        if done.scope == Scope::KeepData {
            " and adopts what was kept"
        } else {
            ""
        }
    );
    out
}

/// The line for a teardown that already finished.
pub fn already_torn_down(domain: &str, done: &Teardown) -> String {
    format!(
        "{domain} was torn down at {}; nothing is left to delete ({} kept). `siteup up` rebuilds it.",
        done.finished_at.as_deref().unwrap_or(&done.started_at),
        crate::words::counted(done.kept.len(), "resource", "resources")
    )
}
