//! `siteup ses-request [--submit]`: the SES production-access request, composed from the real
//! site, printed for copying, or submitted with PutAccountDetails after confirmation.

use std::io::IsTerminal;

use crate::aws::{self, ProductionAccessRequest};
use crate::cli::{GlobalArgs, SesRequestArgs};
use crate::commands::{CommandError, Outcome};

pub async fn run(global: &GlobalArgs, args: &SesRequestArgs) -> Result<Outcome, CommandError> {
    let session = crate::commands::session::open_read_only(global)?;
    let config = crate::commands::require_config(&session.paths)?;
    let api = session
        .services
        .aws()
        .await
        .map_err(CommandError::Message)?;
    let account = api.account_status().await.ok();
    let mut request = ProductionAccessRequest::compose(&config, account.as_ref());
    if let Some(path) = &args.use_case_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CommandError::Message(format!(
                "Could not read {}: {e}; give a text file with your use-case description.",
                path.display()
            ))
        })?;
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
