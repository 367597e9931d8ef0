//! A terraform stand-in for the signal tests: one command blocks (and writes down the signals
//! it gets), every other command runs the real terraform. Needs `tf` (support/tf.rs) next to it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A terraform stand-in in `dir/bin`: `terraform BLOCK ...` records its process id in
/// `dir/started`, then waits, recording each SIGINT, SIGTERM or SIGHUP it receives in
/// `dir/signals` (and exiting after it, as terraform does after an interrupt). Every other
/// command runs the real terraform.
pub(crate) fn blocking_terraform(dir: &Path, block: &str) -> PathBuf {
    let real = crate::tf::terraform();
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let started = dir.join("started");
    let signals = dir.join("signals");
    let script = format!(
        r#"#!/bin/sh
if [ "$1" = "{block}" ]; then
  echo $$ > '{started}'
  trap 'echo INT >> "{signals}"; exit 130' INT
  trap 'echo TERM >> "{signals}"; exit 143' TERM
  trap 'echo HUP >> "{signals}"; exit 129' HUP
  sleep 100000 &
  wait $!
  exit 1
fi
exec '{real}' "$@"
"#,
        started = started.display(),
        signals = signals.display(),
        real = real.display(),
    );
    let tf = bin.join("terraform");
    std::fs::write(&tf, script).expect("write the stand-in");
    std::fs::set_permissions(&tf, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    bin
}
