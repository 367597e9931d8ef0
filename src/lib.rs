//! siteup: from "I bought a domain" to a production-grade AWS backend, through Terraform.
//!
//! The crate is split by concern (see `DEVELOPERS`-level notes in README.md):
//! the pure wizard core knows nothing of the terminal, tokio or the AWS SDK; every side
//! effect sits behind a small interface in its own module.

#![forbid(unsafe_code)]

pub mod aws;
pub mod cli;
pub(crate) mod clipboard;
pub mod commands;
pub mod dns;
pub(crate) mod durations;
pub mod effects;
pub mod failure;
#[cfg(test)]
mod fuzz;
pub mod logging;
pub mod perf_report;
pub(crate) mod preflight;
pub mod project;
pub mod runtime;
pub mod sandbox;
pub mod site;
pub mod terraform;
pub mod tfgen;
pub mod ui;
pub mod wizard;
pub mod words;
