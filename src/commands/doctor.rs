//! `siteup doctor`: the preflight checks, each problem with the command that fixes it.

use crate::cli::GlobalArgs;
use crate::commands::{CommandError, Outcome};
use crate::preflight::{self, Finding, Severity};
use crate::project::ProjectPaths;
use crate::project::settings::{SettingsError, SiteupToml};

pub async fn run(global: &GlobalArgs) -> Result<Outcome, CommandError> {
    let paths = ProjectPaths::new(&global.dir);
    let mut findings: Vec<Finding> = Vec::new();
    let dir = paths.root().to_path_buf();
    let state = paths.state_dir();
    let blocking = tokio::task::spawn_blocking(move || {
        let mut f = vec![
            preflight::check_terraform(),
            preflight::check_folder(&dir),
            preflight::check_lock(&state),
            preflight::check_python_venv(),
        ];
        f.extend(preflight::check_cli_config_env());
        f
    })
    .await
    .map_err(|e| CommandError::Message(format!("The checks could not run: {e}.")))?;
    findings.extend(blocking);
    // The only read of siteup.toml in doctor; the checks below are given what it holds.
    let settings = crate::project::settings::load(paths.root());
    findings.extend(check_settings(&settings));
    let recorded = settings.as_ref().ok().and_then(Option::as_ref);
    if crate::commands::session::emulator_ready_file(&paths).exists() || global.sandbox.is_some() {
        findings.push(Finding {
            check: "aws-profile",
            severity: Severity::Ok,
            message: "This folder is a sandbox rehearsal: it uses the emulator's throwaway credentials, no AWS profile.".into(),
            fix: None,
        });
    } else {
        findings.extend(check_profiles(global, recorded).await);
    }

    let mut problems = 0;
    for f in &findings {
        let mark = match f.severity {
            Severity::Ok => "ok     ",
            Severity::Warning => "warning",
            Severity::Problem => "PROBLEM",
        };
        // Profile names and file contents come from outside: shown, never sent raw.
        println!(
            "{mark}  {:<16} {}",
            f.check,
            crate::words::printable_line(&f.message)
        );
        if let Some(fix) = &f.fix
            && f.severity != Severity::Ok
        {
            println!(
                "         {:<16} fix: {}",
                "",
                crate::words::printable_line(fix)
            );
        }
        if f.severity == Severity::Problem {
            problems += 1;
        }
    }
    if problems > 0 {
        return Err(CommandError::Message(if problems == 1 {
            "1 problem needs fixing before siteup can run; its fix is shown above.".to_string()
        } else {
            format!(
                "{problems} problems need fixing before siteup can run; each has its fix above."
            )
        }));
    }
    println!("\nNothing stands in the way.");
    Ok(Outcome::Done)
}

fn check_settings(settings: &Result<Option<SiteupToml>, SettingsError>) -> Option<Finding> {
    match settings {
        Ok(Some(s)) => Some(Finding {
            check: "siteup.toml",
            severity: Severity::Ok,
            message: format!("siteup.toml is valid ({}).", s.site.domain),
            fix: None,
        }),
        Ok(None) => None,
        Err(e) => Some(Finding {
            check: "siteup.toml",
            severity: Severity::Problem,
            message: e.to_string(),
            fix: Some("edit siteup.toml, or move it away and run `siteup`".into()),
        }),
    }
}

/// The profiles, then whether the one siteup would use loads its credentials.
async fn check_profiles(global: &GlobalArgs, recorded: Option<&SiteupToml>) -> Vec<Finding> {
    let env = crate::aws::AwsEnv::real();
    let listed = list_profiles(global, &env).await;
    if listed.severity != Severity::Ok {
        return vec![listed];
    }
    let mut findings = vec![listed];
    findings.extend(check_credentials(global, recorded, &env).await);
    findings
}

/// Loads the credentials of the profile siteup would use (`--profile`, `AWS_PROFILE`, the one in
/// siteup.toml, else the preselected one), so that a profile that cannot load (an expired SSO
/// session, a failing credential_process) is reported here and not halfway through the journey.
/// Loading contacts only what the profile needs (the SSO portal, STS for a role).
async fn check_credentials(
    global: &GlobalArgs,
    recorded: Option<&SiteupToml>,
    env: &crate::aws::AwsEnv,
) -> Option<Finding> {
    let named = crate::commands::session::chosen_profile(global, env, recorded);
    let choice = match named {
        Some(name) => crate::aws::ProfileChoice::parse(&name),
        None => {
            crate::aws::profiles::discover(env)
                .await
                .ok()?
                .preselected?
        }
    };
    let default_region = match recorded {
        Some(s) => s.site.region.as_str().to_string(),
        None => crate::site::DEFAULT_REGION.to_string(),
    };
    let target = crate::aws::Target::Profile {
        env: env.clone(),
        choice: choice.clone(),
        default_region,
    };
    Some(match crate::aws::connect(&target).await {
        Ok(session) => Finding {
            check: "aws-credentials",
            severity: Severity::Ok,
            message: format!(
                "The credentials of {} load ({}).",
                choice.describe(),
                session.profile().map_or("environment", |p| p.kind.short())
            ),
            fix: None,
        },
        Err(e) => Finding {
            check: "aws-credentials",
            severity: Severity::Problem,
            message: e.to_string(),
            fix: None,
        },
    })
}

async fn list_profiles(global: &GlobalArgs, env: &crate::aws::AwsEnv) -> Finding {
    match crate::aws::profiles::discover(env).await {
        Ok(list) if list.profiles.is_empty() => Finding {
            check: "aws-profile",
            severity: Severity::Problem,
            message: "No AWS profile or credentials were found.".into(),
            fix: Some("aws configure sso   (or: aws configure --profile NAME)".into()),
        },
        Ok(list) => {
            if let Some(missing) = &list.aws_profile_missing {
                return Finding {
                    check: "aws-profile",
                    severity: Severity::Problem,
                    message: format!("AWS_PROFILE names {missing}, which is not defined."),
                    fix: Some(format!(
                        "aws configure sso --profile {}   (or unset AWS_PROFILE)",
                        crate::words::shell_quote(missing)
                    )),
                };
            }
            let wanted = global.profile.clone();
            if let Some(name) = &wanted
                && !list.names().iter().any(|n| n == name)
            {
                return Finding {
                    check: "aws-profile",
                    severity: Severity::Problem,
                    message: format!(
                        "The profile {name} is not defined; known: {}.",
                        list.names().join(", ")
                    ),
                    fix: Some(format!(
                        "aws configure sso --profile {}",
                        crate::words::shell_quote(name)
                    )),
                };
            }
            let names: Vec<String> = list
                .profiles
                .iter()
                .map(|p| format!("{} ({})", p.choice.name(), p.kind.short()))
                .collect();
            Finding {
                check: "aws-profile",
                severity: Severity::Ok,
                message: format!("AWS profiles: {}.", names.join(", ")),
                fix: None,
            }
        }
        Err(e) => Finding {
            check: "aws-profile",
            severity: Severity::Problem,
            message: e.to_string(),
            fix: Some("check ~/.aws/config and ~/.aws/credentials".into()),
        },
    }
}
