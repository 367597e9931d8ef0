//! `siteup ses-request [--submit [--force]]`: the SES production-access request, composed from
//! the real site and the bounce and complaint handling found in place, printed for copying, or
//! submitted with PutAccountDetails after confirmation. `--submit` refuses while the mail is
//! not ready (DKIM, MAIL FROM, SPF, DMARC, the configuration set, the alerts subscription),
//! naming what is missing, unless `--force`.

use std::io::IsTerminal;

use crate::aws::{self, ProductionAccessRequest, mail_readiness};
use crate::cli::{GlobalArgs, SesRequestArgs};
use crate::commands::{CommandError, Outcome};

pub async fn run(global: &GlobalArgs, args: &SesRequestArgs) -> Result<Outcome, CommandError> {
    // The file first: a wrong path fails before any AWS call.
    let use_case = match &args.use_case_file {
        Some(path) => Some(read_use_case(path)?),
        None => None,
    };
    let session = crate::commands::session::open_read_only(global)?;
    let config = session.require_config()?;
    let api = session.live.aws.api().await?;
    let account = api.account_status().await.ok();
    // What is in place for the mail: the request states it, and --submit waits for it.
    let readiness = crate::effects::mail::assess(api.as_ref(), &session.live.dns, &config).await;
    let mut request =
        ProductionAccessRequest::compose_with(&config, account.as_ref(), Some(&readiness));
    if let Some(text) = &use_case {
        request = request.with_use_case(text.trim());
    }
    if !args.submit {
        print!(
            "{}",
            aws::render_ses_request(&request, account.as_ref(), None)
        );
        return Ok(if account.is_some_and(|a| a.production_access) {
            Outcome::Done
        } else {
            Outcome::Waiting
        });
    }
    request.check().map_err(CommandError::Message)?;
    let gaps = readiness.gaps();
    let needs_request = account
        .as_ref()
        .is_none_or(aws::AccountStatus::awaits_request);
    if needs_request && !gaps.is_empty() {
        if !args.force {
            return Err(CommandError::Message(
                crate::words::printable(&mail_readiness::refusal(&gaps)).into_owned(),
            ));
        }
        println!(
            "{}\n",
            crate::words::printable(&mail_readiness::forced_note(&gaps))
        );
    }
    if std::io::stdin().is_terminal() && !args.yes {
        println!("{}\n", request.text());
        let ok = inquire::Confirm::new("Submit this request to AWS now?")
            .with_default(false)
            .prompt()
            .unwrap_or(false);
        if !ok {
            return Err(CommandError::Message(
                "Nothing was submitted; run `siteup ses-request --submit` when the text is right."
                    .into(),
            ));
        }
    }
    let outcome = aws::submit_request(api.as_ref(), &request)
        .await
        .map_err(|e| CommandError::Message(e.to_string()))?;
    print!(
        "{}",
        aws::render_ses_request(&request, account.as_ref(), Some(&outcome))
    );
    Ok(if outcome.account().production_access {
        Outcome::Done
    } else {
        Outcome::Waiting
    })
}

/// The most siteup reads of a use-case file: SES takes at most 5,000 characters, so anything
/// far larger is the wrong file (or a device that never ends).
const USE_CASE_FILE_LIMIT: u64 = 64 * 1024;

/// Reads `--use-case-file`: bounded, UTF-8, each failure with its own sentence.
fn read_use_case(path: &std::path::Path) -> Result<String, CommandError> {
    use std::io::Read;
    let shown = crate::words::printable_line(&path.display().to_string()).into_owned();
    let failed = |e: std::io::Error| {
        CommandError::Message(format!(
            "Could not read the use-case file {shown}: {}.",
            crate::words::io_advice(&e)
        ))
    };
    if path.is_dir() {
        return Err(CommandError::Message(format!(
            "The use-case file {shown} is a folder; give a text file with your use-case description."
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(failed)?
        .take(USE_CASE_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > USE_CASE_FILE_LIMIT {
        return Err(CommandError::Message(format!(
            "The use-case file {shown} is larger than 64 KiB; SES takes a description of at most 5,000 characters, so give a short text file."
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        CommandError::Message(format!(
            "The use-case file {shown} is not UTF-8 text; save it as plain text and try again."
        ))
    })
}
