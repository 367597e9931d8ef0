//! siteup's entry point: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;

use siteup::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Generate(args)) => siteup::commands::generate::run(&cli.global, args),
        None => Err(siteup::commands::CommandError::Message(
            "The full-screen wizard is not built yet; run `siteup generate --domain example.com` to write the Terraform files.".into(),
        )),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("siteup: {e}");
            ExitCode::from(1)
        }
    }
}
