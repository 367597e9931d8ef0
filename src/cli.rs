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

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The project folder (where siteup.toml, terraform/ and .siteup/ live).
    #[arg(long, global = true, value_name = "PATH", default_value = ".")]
    pub dir: PathBuf,

    /// The AWS profile to use (default: AWS_PROFILE, then the one recorded in siteup.toml).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Do not use colours (also when NO_COLOR is set).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Use a local AWS emulator at URL instead of AWS (writes the emulator override file and
    /// points the SDK and terraform at it with throwaway credentials).
    #[arg(long, global = true, value_name = "URL")]
    pub sandbox: Option<String>,

    /// DNS root servers to start the delegation check from (IP:PORT, comma-separated) instead
    /// of the IANA roots; used by tests and the sandbox.
    #[arg(
        long,
        global = true,
        value_name = "IP:PORT,...",
        env = "SITEUP_DNS_ROOT",
        hide_env_values = true
    )]
    pub dns_root: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write or refresh the Terraform files in terraform/ (answers from flags or siteup.toml).
    Generate(GenerateArgs),
}

/// Answers that can be given as flags; anything not given comes from siteup.toml or defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct SiteArgs {
    /// The domain you bought, like example.com.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,

    /// The AWS region for the stack (the certificate for CloudFront is always in us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Short project name used in resource names (default: from the domain, like example-com).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Bucket for the Terraform state (default: <name>-state).
    #[arg(long, value_name = "BUCKET")]
    pub state_bucket: Option<String>,

    /// Bucket for deploy artifacts (default: <name>-deploys).
    #[arg(long, value_name = "BUCKET")]
    pub deploys_bucket: Option<String>,

    /// Bucket for the website files (default: <name>-site).
    #[arg(long, value_name = "BUCKET")]
    pub site_bucket: Option<String>,

    /// The part before the @ of the sender address (default: no-reply).
    #[arg(long, value_name = "LOCAL_PART")]
    pub sender: Option<String>,

    /// MX records for mail sent to the domain, like "10 mx1.forwardemail.net,20
    /// mx2.forwardemail.net", or "none".
    #[arg(long, value_name = "RECORDS")]
    pub mx: Option<String>,

    /// Parts of the stack to build: all, none, or a list of site,database,users,api,logging.
    #[arg(long, value_name = "PARTS")]
    pub parts: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub site: SiteArgs,

    /// Overwrite files you edited since siteup wrote them (the diff is shown first).
    #[arg(long)]
    pub force: bool,
}
