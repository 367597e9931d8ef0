//! The CLI configuration siteup writes for the sandbox is read back by the real terraform as the
//! same mirror path, whatever characters the folder name holds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "support/tf.rs"]
mod tf;

use std::process::{Command, Stdio};

use siteup::terraform::cli_config::write_mirror_cli_config;

#[test]
fn terraform_installs_from_a_mirror_whose_path_holds_quotes_backslashes_and_template_marks() {
    let terraform = tf::terraform();
    let real_mirror = tf::provider_mirror();
    let tmp = tempfile::tempdir().expect("tempdir");
    // `${` with a quote and a backslash inside, an unmatched `${`, `%{`: each breaks a path
    // escaped for HCL 2 or not escaped at all.
    let mirror = tmp.path().join(r#"mirror "q" \ %{p} ${d"e\f} ${h"#);
    // terraform does not walk into linked folders, so only the platform folders are links.
    let aws = std::path::Path::new("registry.terraform.io/hashicorp/aws");
    for version in std::fs::read_dir(real_mirror.join(aws)).expect("provider versions") {
        let version = version.expect("provider version").path();
        let copy = mirror
            .join(aws)
            .join(version.file_name().expect("version name"));
        std::fs::create_dir_all(&copy).expect("mirror folder");
        for platform in std::fs::read_dir(&version).expect("provider platforms") {
            let platform = platform.expect("provider platform").path();
            std::os::unix::fs::symlink(
                &platform,
                copy.join(platform.file_name().expect("platform name")),
            )
            .expect("link the provider");
        }
    }
    let rc = write_mirror_cli_config(&tmp.path().join("cli"), &mirror).expect("CLI config");

    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).expect("work folder");
    std::fs::write(
        work.join("main.tf"),
        "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n",
    )
    .expect("main.tf");
    let out = Command::new(terraform)
        .args(["init", "-input=false", "-no-color", "-backend=false"])
        .current_dir(&work)
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run terraform init");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "terraform init failed with the mirror at {}:\n{stdout}\n{stderr}",
        mirror.display()
    );
    assert!(
        !stderr.contains("CLI configuration") && !stderr.contains("Error parsing"),
        "terraform complained about the CLI config:\n{stderr}"
    );
    assert!(
        stdout.contains("hashicorp/aws"),
        "terraform did not install hashicorp/aws:\n{stdout}"
    );
}
