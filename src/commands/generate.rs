//! `siteup generate`: write or refresh terraform/ from siteup.toml and flags.

use crate::cli::{GenerateArgs, GlobalArgs};
use crate::commands::{CommandError, Outcome};

pub fn run(_global: &GlobalArgs, _args: &GenerateArgs) -> Result<Outcome, CommandError> {
    Err(CommandError::Message("not yet".into()))
}
