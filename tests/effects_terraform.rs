//! The terraform handler over the AWS emulator, wired as `siteup sandbox` wires it
//! (`Handlers::live` with a sandbox link): what its foundation plan does with the public hosted
//! zones Route 53 already has for the domain.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "support/emulator.rs"]
mod emulator;
#[path = "support/tf.rs"]
mod tf;

use std::sync::Arc;

use emulator::start_emulator;
use siteup::aws::{Target, connect};
use siteup::dns::DnsConfig;
use siteup::effects::{Handlers, LiveOptions, SandboxLink};
use siteup::failure::Failure;
use siteup::project::ProjectPaths;
use siteup::project::settings::{self, SiteupToml};
use siteup::sandbox::registrar::RegistrarFiles;
use siteup::site::{Domain, Region, SiteConfig};
use siteup::terraform::cli_config::write_mirror_cli_config;
use siteup::tfgen::Phase;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Route 53 has two public zones for the domain and the registry delegates it to neither (the
/// DNS root answers nothing): the foundation plan stops before terraform plans, with the one
/// sentence that names both zones and says what to do, and adopts neither.
#[test]
fn two_zones_none_delegated_stop_the_foundation_plan() {
    // SAFETY: first thing in the test, before it starts any thread.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let emulator = start_emulator();
    let rt = runtime();
    let session = rt
        .block_on(connect(&Target::Sandbox {
            url: emulator.url(),
            region: "us-east-1".into(),
        }))
        .expect("a session with the emulator");
    let r53 = aws_sdk_route53::Client::new(session.sdk_config());
    let mut ids: Vec<String> = ["siteup-test-1", "siteup-test-2"]
        .iter()
        .map(|reference| {
            let created = rt
                .block_on(
                    r53.create_hosted_zone()
                        .name("example.com")
                        .caller_reference(*reference)
                        .send(),
                )
                .expect("create a zone");
            siteup::aws::route53::bare_zone_id(created.hosted_zone().expect("zone").id())
        })
        .collect();
    ids.sort();

    let folder = tempfile::tempdir().expect("tempdir");
    let paths = ProjectPaths::new(folder.path());
    let config = SiteConfig::with_defaults(
        Domain::parse("example.com").expect("domain"),
        Region::parse("us-east-1").expect("region"),
    );
    settings::save(paths.root(), &SiteupToml::from_config(&config, None)).expect("siteup.toml");
    let sandbox_dir = paths.state_dir().join("sandbox");
    let cli_config =
        write_mirror_cli_config(&sandbox_dir, &tf::provider_mirror()).expect("CLI config");
    let (tf_env, tf_env_remove) = (emulator.aws_env(), emulator.aws_env_removals());
    let live = Handlers::live(LiveOptions {
        paths: paths.clone(),
        sandbox: Some(SandboxLink {
            url: emulator.url(),
            emulator: Arc::new(emulator),
            registrar: RegistrarFiles::new(&sandbox_dir),
        }),
        // A root that answers nothing: the registry delegates the domain nowhere.
        dns: DnsConfig::with_roots(vec!["127.0.0.1:9".parse().expect("address")], None),
        terraform_program: tf::terraform(),
        tf_cli_config: Some(cli_config),
        tf_env,
        tf_env_remove,
        profile: Some("sandbox".into()),
        settings_at_open: None,
        // The plan never asks the site.
        probe_route: siteup::effects::edge::ProbeRoute::default(),
    });

    rt.block_on(live.handlers.project.generate())
        .expect("the Terraform files");
    let failure = rt
        .block_on(live.handlers.terraform.plan(Phase::Foundation))
        .expect_err("two zones, none delegated");
    assert!(
        matches!(failure, Failure::SeveralZones { .. }),
        "{failure:?}"
    );
    assert_eq!(
        failure.to_string(),
        format!(
            "Route 53 has 2 hosted zones for example.com ({}, {}) and the registry delegates the domain to none of them, so siteup cannot tell which one to adopt; delete the zones you do not use, or point your registrar at the one to keep, and run siteup again.",
            ids[0], ids[1]
        )
    );
    // The import block that adopts a zone (`tfgen::adopt`) is not written.
    assert!(
        !paths.terraform_dir().join("siteup_adopt_zone.tf").exists(),
        "no zone is adopted"
    );
}
