//! Terraform CLI configuration for tests and the sandbox: a `filesystem_mirror` for the
//! `hashicorp/aws` provider, so `terraform init` works with no registry access.
//!
//! siteup never writes or overrides a user's own CLI configuration when it runs against AWS;
//! this is used only where siteup owns the whole environment (tests, `siteup sandbox`).

use std::path::{Path, PathBuf};

/// Environment variable that names the provider mirror directory explicitly (the directory that
/// holds `registry.terraform.io/hashicorp/aws/...`).
pub const MIRROR_ENV: &str = "SITEUP_TF_PROVIDER_MIRROR";

/// Places a filesystem mirror is commonly found, in the order they are tried.
fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(explicit) = std::env::var_os(MIRROR_ENV) {
        dirs.push(PathBuf::from(explicit));
        return dirs;
    }
    dirs.push(PathBuf::from("/opt/tf-plugins"));
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        dirs.push(home.join(".terraform.d/plugins"));
        dirs.push(home.join(".local/share/terraform/plugins"));
    }
    dirs.push(PathBuf::from("/usr/local/share/terraform/plugins"));
    dirs.push(PathBuf::from("/usr/share/terraform/plugins"));
    dirs
}

/// Finds a directory holding an unpacked `hashicorp/aws` provider mirror, if any.
///
/// With `SITEUP_TF_PROVIDER_MIRROR` set, only that directory is considered.
pub fn find_provider_mirror() -> Option<PathBuf> {
    candidate_dirs()
        .into_iter()
        .find(|dir| has_aws_provider(dir))
}

fn has_aws_provider(dir: &Path) -> bool {
    let aws = dir.join("registry.terraform.io/hashicorp/aws");
    let Ok(versions) = std::fs::read_dir(&aws) else {
        return false;
    };
    versions.flatten().any(|v| {
        std::fs::read_dir(v.path())
            .is_ok_and(|platforms| platforms.flatten().any(|p| p.path().is_dir()))
    })
}

/// The text of a CLI configuration that installs `hashicorp/aws` from `mirror` only.
///
/// Written with the generator's HCL writer; the path is escaped for HCL 1 (the parser terraform
/// reads its CLI configuration with), so any folder name, `"`, `\`, `${` and `%{` included, is
/// read back by terraform as the same path.
pub fn mirror_cli_config(mirror: &Path) -> String {
    use crate::tfgen::hcl::{Block, Expr, escape_hcl1};
    const AWS: &str = "registry.terraform.io/hashicorp/aws";
    let path = format!("\"{}\"", escape_hcl1(&mirror.display().to_string()));
    Block::new("provider_installation")
        .block(
            Block::new("filesystem_mirror")
                .attr("path", Expr::raw(path))
                .attr("include", Expr::strs([AWS])),
        )
        .block(Block::new("direct").attr("exclude", Expr::strs([AWS])))
        .to_text()
}

/// The name of the CLI configuration file [`write_mirror_cli_config`] writes.
pub const CLI_CONFIG_FILE: &str = "siteup-terraform.rc";

/// Writes `siteup-terraform.rc` into `dir` and returns its path, for `TF_CLI_CONFIG_FILE`.
pub fn write_mirror_cli_config(dir: &Path, mirror: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(CLI_CONFIG_FILE);
    crate::project::atomic::write_atomic(&path, mirror_cli_config(mirror).as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_path_with_quotes_backslashes_and_template_marks_stays_one_string() {
        let text = mirror_cli_config(Path::new(r#"/m/a"b\c ${d"e\f} %{g} ${h"#));
        assert_eq!(
            text,
            "provider_installation {\n  filesystem_mirror {\n    path    = \"/m/a\\\"b\\\\c \\u0024{d\\\"e\\\\f} %{g} \\u0024{h\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }\n\n  direct {\n    exclude = [\"registry.terraform.io/hashicorp/aws\"]\n  }\n}\n"
        );
        // No `${` is left for HCL 1 to read as the start of an interpolation.
        assert!(!text.contains("${"));
    }
}
