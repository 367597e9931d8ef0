//! siteup's entry point: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;

use siteup::cli::{Cli, Command};
use siteup::commands::{self, CommandError, Outcome};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    // The generate command needs no async runtime.
    let result = match &cli.command {
        Some(Command::Generate(args)) => commands::generate::run(&cli.global, args),
        _ => run_async(&cli),
    };
    let code = match result {
        Ok(outcome) => outcome.into(),
        Err(e) => {
            // Text from outside (a flag, a file, an AWS error) may be in the sentence.
            eprintln!("siteup: {}", siteup::words::printable(&e.to_string()));
            ExitCode::from(commands::EXIT_FAILED)
        }
    };
    // Only with SITEUP_REPORT_RUSAGE set (the benchmark): peak memory and CPU time.
    siteup::perf_report::write_rusage_if_asked();
    code
}

/// Help and version go to stdout with exit 0; a usage error (unknown flag, bad value) is printed
/// by clap and exits with its own code, never 2, which means "waiting" to scripts.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            // clap quotes the offending value as typed: show its control characters, never
            // send them.
            eprint!("{}", siteup::words::printable(&e.render().to_string()));
            ExitCode::from(commands::EXIT_USAGE)
        }
    }
}

fn run_async(cli: &Cli) -> Result<Outcome, CommandError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Message(format!("Could not start siteup's runtime: {e}.")))?;
    // The sandbox DNS daemon runs from whatever folder the user was in and has no project of
    // its own: it logs nowhere rather than create a .siteup/ there.
    let creates_project = !matches!(
        cli.command,
        Some(
            Command::Status(_)
                | Command::Nameservers(_)
                | Command::SesRequest(_)
                | Command::Alerts(_)
                | Command::Email(_)
                | Command::Doctor
        )
    );
    let _log = (!matches!(cli.command, Some(Command::SandboxDns(_))))
        .then(|| siteup::logging::init(&cli.global, creates_project));
    runtime.block_on(async {
        match &cli.command {
            None => commands::wizard::run(&cli.global, cli.plain).await,
            Some(Command::Up(a)) => commands::up::run(&cli.global, a.yes).await,
            Some(Command::Status(a)) => commands::status::run(&cli.global, a.json).await,
            Some(Command::Destroy(a)) => commands::destroy::run(&cli.global, a).await,
            Some(Command::Nameservers(a)) => commands::nameservers::run(&cli.global, a).await,
            Some(Command::SesRequest(a)) => commands::ses_request::run(&cli.global, a).await,
            Some(Command::Alerts(a)) => commands::alerts::run(&cli.global, a).await,
            Some(Command::Email(a)) => commands::email::run(&cli.global, a).await,
            Some(Command::Doctor) => commands::doctor::run(&cli.global).await,
            Some(Command::Sandbox(a)) => commands::sandbox::run(&cli.global, a).await,
            Some(Command::SandboxDns(a)) => siteup::sandbox::registrar::run_daemon(
                &a.state,
                &a.ready,
                &a.domain,
                a.emulator_ready.as_deref(),
            )
            .await
            .map(|()| Outcome::Done)
            .map_err(|e| CommandError::Message(e.to_string())),
            Some(Command::Generate(args)) => commands::generate::run(&cli.global, args),
        }
    })
}
