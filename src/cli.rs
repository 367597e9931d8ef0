//! The command line: clap definitions for the commands and flags of the design note's contract.
//! A command appears here only once it works.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "siteup",
    version,
    about = "From \"I bought a domain\" to a production-grade AWS backend, through Terraform you own.",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The same journey as line-by-line prompts and plain progress (screen readers, dumb
    /// terminals, logs); chosen by itself when stdout is not a terminal or TERM is dumb.
    #[arg(long)]
    pub plain: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The project folder (where siteup.toml, terraform/ and .siteup/ live).
    #[arg(long, global = true, value_name = "PATH", default_value = ".", value_parser = path_value)]
    pub dir: PathBuf,

    /// The AWS profile to use (default: AWS_PROFILE, then the one recorded in siteup.toml).
    #[arg(long, global = true, value_name = "NAME", value_parser = text_value)]
    pub profile: Option<String>,

    /// Do not use colours (also when NO_COLOR is set).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Use a local AWS emulator at URL instead of AWS (writes the emulator override file and
    /// points the SDK and terraform at it with throwaway credentials).
    #[arg(long, global = true, value_name = "URL", value_parser = text_value)]
    pub sandbox: Option<String>,

    /// DNS root servers to start the delegation check from (IP:PORT, comma-separated) instead
    /// of the IANA roots; used by tests and the sandbox.
    #[arg(
        long,
        global = true,
        value_name = "IP:PORT,...",
        env = "SITEUP_DNS_ROOT",
        hide_env_values = true,
        value_parser = crate::dns::config::check_roots_flag
    )]
    pub dns_root: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write or refresh the Terraform files in terraform/ (answers from flags or siteup.toml).
    Generate(Box<GenerateArgs>),
    /// Run every step that can run, stop at the first checkpoint that waits on a person or on
    /// AWS and say what is needed. Exit codes: 0 done, 2 waiting, 1 failed, 64 usage error,
    /// 130/129/143 stopped by SIGINT/SIGHUP/SIGTERM.
    Up(UpArgs),
    /// Every step and checkpoint with its live status. Exit codes: 0 done, 2 not yet, 1 failed,
    /// 64 usage error.
    Status(StatusArgs),
    /// The nameservers to set at your registrar, and whether the registry and your resolver
    /// already have them. Exit codes: 0 delegated, 2 not yet.
    Nameservers(NameserversArgs),
    /// The SES production-access request: print it for copying, or submit it (refused while
    /// the mail is not ready, unless --force). Exit codes: 0 production access, 2 not yet, 1
    /// failed or refused.
    SesRequest(SesRequestArgs),
    /// The guardrails' alerts: `siteup alerts test` sends a test notification through the
    /// alerts topic to your inbox. Exit codes: 0 sent, 2 not confirmed yet, 1 failed.
    Alerts(AlertsArgs),
    /// SPF, DKIM, DMARC and MAIL FROM alignment of the domain's mail, the DMARC policy and its
    /// reports, the configuration set and the suppression list; `--dmarc` steps the policy up.
    /// Exit codes: 0 all in place, 2 something missing, 1 failed or refused.
    Email(EmailArgs),
    /// Tear the stack down: delete what costs money or can be rebuilt, keep the hosted zone, the
    /// table, the user pool and the deploys and state buckets (--all deletes them too). Asks
    /// for the domain typed in full; run it again to continue a teardown that stopped. Exit
    /// codes: 0 torn down, 1 failed or cancelled, 130 stopped by Ctrl-C.
    Destroy(DestroyArgs),
    /// Check what siteup needs (terraform, AWS profiles, the folder) and say how to fix it.
    Doctor,
    /// Rehearse the whole journey on this machine with no AWS account (a local AWS emulator
    /// and a local registrar and DNS).
    Sandbox(SandboxArgs),
    /// The sandbox's DNS server (started by `siteup sandbox`).
    #[command(name = "__sandbox-dns", hide = true)]
    SandboxDns(SandboxDnsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// Apply plans that create or update without asking (plans that destroy or replace
    /// anything still stop for a review).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DestroyArgs {
    /// Do not ask for the domain (allowed only without --all: this teardown keeps the data).
    #[arg(long)]
    pub yes: bool,
    /// Delete the data too: the zone (with records added by hand, listed first), the table, the
    /// user pool, the deploys and state buckets with every version; the state moves to a local
    /// file first. Needs the domain typed (or --confirm DOMAIN), never --yes alone.
    #[arg(long)]
    pub all: bool,
    /// The domain, typed in advance (for scripts): the teardown goes ahead only if it matches.
    #[arg(long, value_name = "DOMAIN", value_parser = text_value)]
    pub confirm: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Machine-readable output: {"done": bool, "steps": [{"id", "state", ...}], ...}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct NameserversArgs {
    /// Copy the nameservers to the clipboard (OSC 52 over SSH, else the OS clipboard).
    #[arg(long)]
    pub copy: bool,
    /// Machine-readable output: {"nameservers", "registry", "resolver", "verdict", ...}.
    #[arg(long)]
    pub json: bool,
    /// Show and copy the names with trailing dots (fully qualified; some registrars want them,
    /// most refuse them).
    #[arg(long)]
    pub dots: bool,
}

#[derive(Debug, Clone, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub action: AlertsAction,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum AlertsAction {
    /// Send a test notification through every alerts topic, so you see the path to your inbox
    /// works.
    Test,
}

#[derive(Debug, Clone, Args)]
pub struct SesRequestArgs {
    /// Submit the request to AWS (PutAccountDetails) after showing it.
    #[arg(long)]
    pub submit: bool,
    /// Do not ask for confirmation before submitting.
    #[arg(long)]
    pub yes: bool,
    /// A text file with your own use-case description.
    #[arg(long, value_name = "FILE", value_parser = path_value)]
    pub use_case_file: Option<PathBuf>,
    /// With --submit: submit even though DKIM, MAIL FROM, DMARC, the configuration set or the
    /// alerts subscription is not in place (they are listed first).
    #[arg(long, requires = "submit")]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct EmailArgs {
    /// Machine-readable output: {"domain", "items": [{"item", "state", "detail" or "message"}],
    /// "dmarc", "report_authorizations", "configuration_set", "suppression", ...}.
    #[arg(long, conflicts_with = "dmarc")]
    pub json: bool,
    /// Set the DMARC policy (none, quarantine or reject) in siteup.toml and terraform/; `siteup
    /// up` publishes it.
    #[arg(long, value_name = "POLICY", value_parser = ["none", "quarantine", "reject"])]
    pub dmarc: Option<String>,
    /// With --dmarc: step the policy up even though DKIM or SPF does not align yet.
    #[arg(long, requires = "dmarc")]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// No full-screen wizard: progress lines only.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: play the registrar, the inbox and AWS's reviewers automatically and run
    /// to done.
    #[arg(long, requires = "headless")]
    pub auto: bool,
    /// Stop the sandbox's emulator and DNS for this folder.
    #[arg(long, conflicts_with_all = ["headless", "auto"])]
    pub stop: bool,
    /// The domain to rehearse with (default example.com; only used when there is no siteup.toml).
    #[arg(long, value_name = "DOMAIN", value_parser = text_value)]
    pub domain: Option<String>,
    /// The AWS region to rehearse in (default us-east-1; only used when there is no
    /// siteup.toml): regions differ, e.g. in where SES's DKIM records point.
    #[arg(long, value_name = "REGION", value_parser = text_value)]
    pub region: Option<String>,
    /// Play one human step now and exit: `registrar` (set the nameservers), `inbox` (click the
    /// verification link), `alerts` (click the alerts' confirmation links), `review` (AWS grants
    /// production access).
    #[arg(long, value_name = "WHAT", conflicts_with_all = ["headless", "auto", "stop"])]
    pub play: Option<PlayWhat>,
}

/// A flag's text value: never empty (`--parts none` and `--mx none` say "nothing" explicitly),
/// never with control characters (they would reach the terminal when siteup quotes the value).
fn text_value(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err(
            "the value is empty; give one (to turn the parts or the MX records off, write none)"
                .into(),
        );
    }
    if value.chars().any(char::is_control) {
        return Err("the value contains a control character; type it again without it".into());
    }
    Ok(value.to_string())
}

/// A path flag's value: never empty, no control characters.
fn path_value(value: &str) -> Result<PathBuf, String> {
    text_value(value).map(PathBuf::from)
}

/// What `siteup sandbox --play` plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlayWhat {
    /// Set the zone's nameservers at the sandbox registrar.
    Registrar,
    /// Click the link in the sender address verification mail.
    Inbox,
    /// Click the links in SNS's confirmation mails of the alerts topics.
    Alerts,
    /// Submit the SES production-access request if needed, and grant it.
    Review,
}

#[derive(Debug, Clone, Args)]
pub struct SandboxDnsArgs {
    #[arg(long)]
    pub state: PathBuf,
    #[arg(long)]
    pub ready: PathBuf,
    #[arg(long)]
    pub domain: String,
    /// The emulator's ready file: where to read the Route 53 zone to serve.
    #[arg(long)]
    pub emulator_ready: Option<PathBuf>,
}

/// Answers that can be given as flags; anything not given comes from siteup.toml or defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct SiteArgs {
    /// The domain you bought, like example.com.
    #[arg(long, value_name = "DOMAIN", value_parser = text_value)]
    pub domain: Option<String>,

    /// The AWS region for the stack (the certificate for CloudFront is always in us-east-1).
    #[arg(long, value_name = "REGION", value_parser = text_value)]
    pub region: Option<String>,

    /// Short project name used in resource names (default: from the domain, like example-com).
    #[arg(long, value_name = "NAME", value_parser = text_value)]
    pub name: Option<String>,

    /// Bucket for the Terraform state (default: <name>-state).
    #[arg(long, value_name = "BUCKET", value_parser = text_value)]
    pub state_bucket: Option<String>,

    /// Bucket for deploy artifacts (default: <name>-deploys).
    #[arg(long, value_name = "BUCKET", value_parser = text_value)]
    pub deploys_bucket: Option<String>,

    /// Bucket for the website files (default: <name>-site).
    #[arg(long, value_name = "BUCKET", value_parser = text_value)]
    pub site_bucket: Option<String>,

    /// The part before the @ of the sender address (default: no-reply).
    #[arg(long, value_name = "LOCAL_PART", value_parser = text_value)]
    pub sender: Option<String>,

    /// MX records for mail sent to the domain, like "10 mx1.forwardemail.net,20
    /// mx2.forwardemail.net", or "none".
    #[arg(long, value_name = "RECORDS", value_parser = text_value)]
    pub mx: Option<String>,

    /// Your own inbox, like you@example.net: the contact form mails it, and SES verifies it so
    /// mail reaches it while the account is in the SES sandbox; "none" for no inbox.
    #[arg(long, value_name = "ADDRESS", value_parser = text_value)]
    pub inbox: Option<String>,

    /// Parts of the stack to build: all, none, or a list of site,database,users,api,logging.
    #[arg(long, value_name = "PARTS", value_parser = text_value)]
    pub parts: Option<String>,

    /// The guardrails, "on" (the default) or "off": alerts mailed to your inbox, bounce and
    /// complaint handling for SES, alarms on errors, and a monthly cost budget.
    #[arg(long, value_name = "on|off", value_parser = text_value)]
    pub guardrails: Option<String>,

    /// The monthly cost budget in US dollars (default 20): an alert when the month's forecast
    /// passes 80 % of it, and another when the spend passes it.
    #[arg(long, value_name = "USD", value_parser = text_value)]
    pub budget: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub site: SiteArgs,

    /// Overwrite files you edited since siteup wrote them (the diff is shown, and the replaced
    /// files are kept under .siteup/backups/).
    #[arg(long)]
    pub force: bool,
}
