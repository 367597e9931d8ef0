//! For the tests that put a terraform stand-in or shim first on PATH (journey_bench,
//! proc_signals). Included with `#[path = "journey_support/shim.rs"] mod shim;` next to
//! `journey_support`.

use std::path::Path;

use crate::journey_support::Project;

impl Project {
    /// Puts `dir` first on the PATH of every siteup this project runs (a terraform shim).
    pub(crate) fn with_path_prefix(mut self, dir: &Path) -> Project {
        self.path_prefix = Some(dir.to_path_buf());
        self
    }
}
