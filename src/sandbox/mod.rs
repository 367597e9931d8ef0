//! Sandbox mode: the local AWS emulator and DNS servers that stand in for AWS and the registrar.

pub mod emulator;
pub mod venv;
