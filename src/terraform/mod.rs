//! The terraform child process, its `-json` stream, the plan review and the state bootstrap.

pub mod cli_config;
