//! Snapshots of the generated project for three configurations, and the structural promises
//! that do not need terraform: no dangling references, parts that are off leave nothing behind,
//! and the phase targets exist and are closed under their dependencies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

#[path = "tfgen_common/no_api.rs"]
mod no_api;
mod tfgen_common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use no_api::eu_west_1_no_api;
use siteup::site::{Parts, SiteConfig};
use siteup::tfgen::{self, Backend, GenerateOptions, GeneratedFile, Phase, TfgenError};
use tfgen_common::*;

fn text<'a>(files: &'a [GeneratedFile], name: &str) -> &'a str {
    let f = files
        .iter()
        .find(|f| f.path == Path::new(name))
        .unwrap_or_else(|| panic!("{name} is generated"));
    std::str::from_utf8(&f.bytes).expect("text file is UTF-8")
}

fn names(files: &[GeneratedFile]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect()
}

/// All text files, each under a header, and the zip's entries (name, size, CRC-32), which do
/// not depend on the compressor's version.
fn snapshot_text(files: &[GeneratedFile]) -> String {
    let mut out = String::new();
    for f in files {
        let name = f.path.to_string_lossy();
        out.push_str(&format!("===== {name} =====\n"));
        if name.ends_with(".zip") {
            let mut archive =
                zip::ZipArchive::new(std::io::Cursor::new(&f.bytes)).expect("api.zip opens");
            for i in 0..archive.len() {
                let mut entry = archive.by_index(i).expect("zip entry");
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).expect("zip entry reads");
                out.push_str(&format!(
                    "{} size={} crc32={:08x} mode={:o} modified={}\n",
                    entry.name().expect("zip entry name"),
                    entry.size(),
                    entry.crc32(),
                    entry.unix_mode().unwrap_or(0),
                    entry
                        .last_modified()
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ));
            }
        } else {
            out.push_str(std::str::from_utf8(&f.bytes).expect("text file is UTF-8"));
        }
        out.push('\n');
    }
    out
}

#[test]
fn snapshot_full_stack_us_east_1() {
    insta::assert_snapshot!(
        "full_us_east_1",
        snapshot_text(&render(&full_us_east_1(), Backend::Local))
    );
}

#[test]
fn snapshot_eu_west_1_without_api() {
    insta::assert_snapshot!(
        "eu_west_1_no_api",
        snapshot_text(&render(&eu_west_1_no_api(), Backend::Local))
    );
}

#[test]
fn snapshot_minimal_zone_and_email() {
    insta::assert_snapshot!(
        "minimal",
        snapshot_text(&render(&minimal(), Backend::Local))
    );
}

#[test]
fn each_part_brings_exactly_its_files() {
    let full = names(&render(&full_us_east_1(), Backend::Local));
    for expected in [
        "versions.tf",
        "providers.tf",
        "state.tf",
        "deploys.tf",
        "zone.tf",
        "email.tf",
        "certificate.tf",
        "site.tf",
        "site-request.js",
        "database.tf",
        "users.tf",
        "identities.tf",
        "api.tf",
        "api.zip",
        "logging.tf",
        "guardrails.tf",
        "outputs.tf",
        ".gitignore",
        "README.md",
    ] {
        assert!(
            full.contains(&expected.to_string()),
            "full stack has {expected}"
        );
    }
    assert!(!full.contains(&"backend.tf".to_string()));

    let eu = names(&render(&eu_west_1_no_api(), Backend::Local));
    for absent in ["identities.tf", "api.tf", "api.zip", "logging.tf"] {
        assert!(!eu.contains(&absent.to_string()), "no API: no {absent}");
    }
    for present in ["site.tf", "database.tf", "users.tf", "certificate.tf"] {
        assert!(eu.contains(&present.to_string()), "eu-west-1 has {present}");
    }

    let min = names(&render(&minimal(), Backend::Local));
    assert_eq!(
        min,
        [
            "versions.tf",
            "providers.tf",
            "state.tf",
            "deploys.tf",
            "zone.tf",
            "email.tf",
            "outputs.tf",
            ".gitignore",
            "README.md"
        ]
    );
}

/// The guardrails follow the answers: the owner's subscription only with an inbox, a second topic
/// in us-east-1 only where CloudFront's alarm needs one, the API's alarms only with the API, and
/// nothing (not even the identity's configuration set) when they are off.
#[test]
fn the_guardrails_follow_the_answers() {
    let full = resource_blocks(&render(&full_us_east_1(), Backend::Local));
    for address in [
        "aws_sns_topic.alerts",
        "aws_sns_topic_policy.alerts",
        "aws_sns_topic_subscription.alerts_email",
        "aws_sesv2_configuration_set.email",
        "aws_sesv2_configuration_set_event_destination.alerts",
        "aws_sesv2_account_suppression_attributes.account",
        "aws_cloudwatch_metric_alarm.ses_bounce_rate",
        "aws_cloudwatch_metric_alarm.ses_complaint_rate",
        "aws_cloudwatch_metric_alarm.api_5xx",
        "aws_cloudwatch_metric_alarm.function_errors",
        "aws_cloudwatch_metric_alarm.function_throttles",
        "aws_cloudwatch_metric_alarm.cloudfront_5xx",
        "aws_budgets_budget.monthly",
    ] {
        assert!(full.contains_key(address), "the full stack has {address}");
    }
    assert!(
        !full.contains_key("aws_sns_topic.alerts_edge"),
        "in us-east-1 the CloudFront alarm uses the one topic"
    );
    assert!(
        full["aws_cloudwatch_metric_alarm.cloudfront_5xx"].contains("aws_sns_topic.alerts.arn")
    );
    assert!(full["aws_sesv2_email_identity.domain"].contains("configuration_set_name"));
    assert!(full["aws_route53_record.dmarc"].contains("rua=mailto:me@example.com"));
    assert!(full["aws_budgets_budget.monthly"].contains("limit_amount = \"20\""));

    let eu = resource_blocks(&render(&full_eu_central_1(), Backend::Local));
    for address in [
        "aws_sns_topic.alerts_edge",
        "aws_sns_topic_policy.alerts_edge",
        "aws_sns_topic_subscription.alerts_edge_email",
    ] {
        assert!(
            eu[address].contains("= aws.us_east_1\n"),
            "{address} is in us-east-1: {}",
            eu[address]
        );
    }
    assert!(
        eu["aws_cloudwatch_metric_alarm.cloudfront_5xx"].contains("aws_sns_topic.alerts_edge.arn")
    );

    let no_api = resource_blocks(&render(&eu_west_1_no_api(), Backend::Local));
    assert!(
        !no_api.contains_key("aws_sns_topic_subscription.alerts_email"),
        "no inbox: no subscription"
    );
    assert!(!no_api.contains_key("aws_cloudwatch_metric_alarm.api_5xx"));
    assert!(no_api.contains_key("aws_cloudwatch_metric_alarm.ses_bounce_rate"));

    let off = resource_blocks(&render(&minimal(), Backend::Local));
    assert!(
        off.keys()
            .all(|a| !a.contains("sns") && !a.contains("alarm") && !a.contains("budget")),
        "{:?}",
        off.keys()
    );
    assert!(!off["aws_sesv2_email_identity.domain"].contains("configuration_set_name"));
}

/// `type.name` for every `resource "type" "name" {` line, with the block's text.
fn resource_blocks(files: &[GeneratedFile]) -> BTreeMap<String, String> {
    let mut blocks = BTreeMap::new();
    for f in files {
        if f.path.extension().is_none_or(|e| e != "tf") {
            continue;
        }
        let text = std::str::from_utf8(&f.bytes).expect("tf is UTF-8");
        let mut current: Option<(String, String)> = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("resource \"") {
                let mut it = rest.split('"');
                let ty = it.next().expect("type label");
                it.next();
                let name = it.next().expect("name label");
                current = Some((format!("{ty}.{name}"), String::new()));
            }
            if let Some((_, body)) = current.as_mut() {
                body.push_str(line);
                body.push('\n');
            }
            if line == "}"
                && let Some((addr, body)) = current.take()
            {
                assert!(
                    blocks.insert(addr.clone(), body).is_none(),
                    "{addr} is declared once"
                );
            }
        }
    }
    blocks
}

/// The resources a piece of HCL refers to (`aws_x.y` at the start of a reference).
fn references(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while let Some(pos) = text[i..].find("aws_") {
        let start = i + pos;
        i = start + 4;
        let boundary = start == 0
            || !(bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b'.'
                || bytes[start - 1] == b'"');
        if !boundary {
            continue;
        }
        let token: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        let mut parts = token.split('.');
        if let (Some(ty), Some(name)) = (parts.next(), parts.next())
            && !name.is_empty()
        {
            out.insert(format!("{ty}.{name}"));
        }
    }
    out
}

fn all_configs() -> Vec<(&'static str, SiteConfig)> {
    let mut configs = vec![
        ("full_us_east_1", full_us_east_1()),
        ("eu_west_1_no_api", eu_west_1_no_api()),
        ("minimal", minimal()),
        ("full_eu_central_1", full_eu_central_1()),
    ];
    // Every valid combination of parts, in two regions.
    for bits in 0u8..32 {
        let mut parts = Parts::none();
        for (i, part) in siteup::site::Part::ALL.into_iter().enumerate() {
            parts.set(part, bits & (1 << i) != 0);
        }
        if parts.check().is_err() {
            continue;
        }
        for mut c in [full_us_east_1(), full_eu_central_1()] {
            c.parts = parts;
            configs.push(("combination", c));
        }
    }
    configs
}

#[test]
fn no_reference_dangles_for_any_combination_of_parts() {
    for (label, config) in all_configs() {
        for backend in [Backend::Local, Backend::S3] {
            let files = render(&config, backend);
            let blocks = resource_blocks(&files);
            for f in files
                .iter()
                .filter(|f| f.path.extension() == Some("tf".as_ref()))
            {
                let text = std::str::from_utf8(&f.bytes).expect("utf-8");
                for r in references(text) {
                    assert!(
                        blocks.contains_key(&r),
                        "{label} {:?}: {} refers to {r}, which is not declared",
                        config.parts,
                        f.path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn phase_targets_exist_and_are_closed_under_dependencies() {
    for (label, config) in all_configs() {
        let files = render(&config, Backend::Local);
        let blocks = resource_blocks(&files);
        let declared: BTreeSet<String> = blocks.keys().cloned().collect();
        let listed: BTreeSet<String> = tfgen::resource_addresses(&config).into_iter().collect();
        assert_eq!(
            declared, listed,
            "{label}: resource_addresses lists every block"
        );

        let state = tfgen::state_bucket_addresses(&config);
        assert_eq!(
            state,
            [
                "aws_s3_bucket.state",
                "aws_s3_bucket_ownership_controls.state",
                "aws_s3_bucket_public_access_block.state",
                "aws_s3_bucket_server_side_encryption_configuration.state",
                "aws_s3_bucket_versioning.state",
                "aws_s3_bucket_policy.state",
            ]
        );
        // The state bucket's lifecycle rules (and the provider's minute-long wait for them)
        // come with the foundation, not before the state can move in.
        assert!(
            tfgen::phase_targets(&config, Phase::Foundation)
                .contains(&"aws_s3_bucket_lifecycle_configuration.state".to_string()),
            "{label}"
        );
        assert!(tfgen::phase_targets(&config, Phase::Full).is_empty());

        let foundation = tfgen::phase_targets(&config, Phase::Foundation);
        let foundation_set: BTreeSet<&String> = foundation.iter().collect();
        for target in state.iter().chain(&foundation) {
            assert!(
                declared.contains(target),
                "{label}: target {target} is a declared resource"
            );
        }
        for s in &state {
            assert!(foundation_set.contains(s), "{label}: foundation keeps {s}");
        }
        for target in &foundation {
            for forbidden in [
                "aws_acm_certificate_validation.",
                "aws_cloudfront_",
                "aws_cognito_",
                "aws_api_gateway_domain_name.",
                "aws_api_gateway_base_path_mapping.",
            ] {
                assert!(
                    !target.starts_with(forbidden),
                    "{label}: foundation must not contain {target}"
                );
            }
            assert_ne!(target, "aws_route53_record.api");
            assert_ne!(target, "aws_route53_record.auth");
            // Terraform adds a target's dependencies by itself: they must be foundation too.
            for dep in references(&blocks[target]) {
                if &dep == target {
                    continue;
                }
                assert!(
                    foundation_set.contains(&dep),
                    "{label}: foundation target {target} depends on {dep}, which waits on a human"
                );
            }
        }
        // The state phase is closed too.
        for target in &state {
            for dep in references(&blocks[target]) {
                assert!(state.contains(&dep), "{target} depends on {dep}");
            }
        }
        // Everything that waits on a human is left out of the foundation.
        let expected_foundation: Vec<&str> = if config.parts.api {
            vec![
                "aws_route53_zone.main",
                "aws_sesv2_email_identity.domain",
                "aws_route53_record.ses_dkim",
                "aws_acm_certificate.main",
                "aws_route53_record.certificate_validation",
                "aws_s3_bucket.deploys",
                "aws_dynamodb_table.main",
                "aws_cloudwatch_log_group.api",
                "aws_lambda_function.api",
                "aws_iam_role.api",
                "aws_api_gateway_rest_api.api",
                "aws_api_gateway_stage.api",
            ]
        } else {
            vec!["aws_route53_zone.main", "aws_sesv2_email_identity.domain"]
        };
        for e in expected_foundation {
            if e == "aws_cloudwatch_log_group.api" && !config.parts.logging {
                continue;
            }
            assert!(
                foundation_set.contains(&e.to_string()),
                "{label}: foundation includes {e}"
            );
        }
    }
}

#[test]
fn every_certificate_user_waits_for_validation() {
    for (label, config) in all_configs() {
        let files = render(&config, Backend::Local);
        let blocks = resource_blocks(&files);
        for (addr, body) in &blocks {
            if addr.starts_with("aws_acm_certificate")
                || addr.starts_with("aws_route53_record.certificate")
            {
                continue;
            }
            assert!(
                !body.contains("aws_acm_certificate.main.arn")
                    && !body.contains("aws_acm_certificate.api.arn"),
                "{label}: {addr} uses a certificate before its validation"
            );
            if body.contains("certificate_arn") {
                assert!(
                    body.contains("aws_acm_certificate_validation."),
                    "{label}: {addr} takes its certificate from the validation resource"
                );
            }
        }
    }
}

#[test]
fn backend_is_written_only_when_asked_with_literal_values() {
    let config = full_eu_central_1();
    let local = render(&config, Backend::Local);
    assert!(!names(&local).contains(&"backend.tf".to_string()));
    let s3 = render(&config, Backend::S3);
    let backend = text(&s3, "backend.tf");
    assert!(backend.contains("backend \"s3\" {"));
    assert!(backend.contains("bucket       = \"example-org-state\""));
    assert!(backend.contains(&format!("key          = \"{}\"", tfgen::STATE_KEY)));
    assert!(backend.contains("region       = \"eu-central-1\""));
    assert!(backend.contains("encrypt      = true"));
    assert!(backend.contains("use_lockfile = true"));
    assert!(
        !backend.contains("var."),
        "backend blocks cannot use variables"
    );
    let settings = tfgen::s3_backend_settings(&config);
    assert_eq!(settings.bucket, "example-org-state");
    assert_eq!(settings.region, "eu-central-1");
    // Everything else is the same in both phases.
    let others = |files: &[GeneratedFile]| -> Vec<GeneratedFile> {
        files
            .iter()
            .filter(|f| {
                f.path.to_string_lossy() != "backend.tf" && f.path.to_string_lossy() != "README.md"
            })
            .cloned()
            .collect()
    };
    assert_eq!(others(&local), others(&s3));
}

#[test]
fn blog_bugs_are_fixed() {
    let files = render(&full_us_east_1(), Backend::Local);
    let all: String = files
        .iter()
        .filter(|f| f.path.extension() == Some("tf".as_ref()))
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .collect();
    // Old runtime, TLS 1.1, public ACLs, deprecated S3 and API Gateway arguments.
    assert!(all.contains("runtime          = \"nodejs22.x\""));
    assert!(!all.contains("nodejs10") && !all.contains("TLSv1.1"));
    assert!(all.contains("minimum_protocol_version = \"TLSv1.2_2021\""));
    assert!(!all.contains("public-read") && !all.contains("acl "));
    assert!(!all.contains("website {") && !all.contains("versioning {"));
    let blocks = resource_blocks(&files);
    let deployment = &blocks["aws_api_gateway_deployment.api"];
    assert!(
        !deployment.contains("stage_name"),
        "the stage is its own resource"
    );
    assert!(
        deployment.contains("triggers"),
        "the deployment follows changes"
    );
    assert!(!all.contains("aws_api_gateway_deployment.api.execution_arn"));
    assert!(!all.contains("aws_api_gateway_deployment.api.invoke_url"));
    // One validation record per option, not [0].
    assert!(all.contains("for option in aws_acm_certificate.main.domain_validation_options"));
    assert!(!all.contains("domain_validation_options)[0]"));
    // The log group is used by the function.
    assert!(all.contains("log_group  = aws_cloudwatch_log_group.api.name"));
    // The gateway responses are JSON.
    assert!(all.contains(r#""application/json" = "{\"message\": $context.error.messageString}""#));
    // The authenticated role may only invoke this API.
    let identities = text(&files, "identities.tf");
    assert!(!identities.contains("cognito-identity:*") && !identities.contains("\"*\""));
    assert!(identities.contains("execute-api:Invoke"));
    // The Cognito domain waits for the apex record; the OPTIONS response for its integration.
    let users = text(&files, "users.tf");
    assert!(users.contains("depends_on = [aws_route53_record.site_apex_a]"));
    let api = text(&files, "api.tf");
    assert!(api.contains("depends_on = [aws_api_gateway_integration.proxy_options]"));
    // CloudFront reads a private bucket through origin access control.
    let site = text(&files, "site.tf");
    assert!(
        site.contains("origin_access_control_id = aws_cloudfront_origin_access_control.site.id")
    );
    assert!(site.contains("bucket_regional_domain_name"));
    // No Google Domains MX.
    assert!(!all.contains("google.com"));
    // SES: no resource that blocks apply until a human acts.
    assert!(!all.contains("aws_ses_domain_identity_verification"));
    // Only hashicorp/aws.
    let versions = text(&files, "versions.tf");
    assert!(versions.contains("version = \">= 5.100, < 6\""));
    assert!(versions.contains("required_version = \">= 1.11\""));
    assert_eq!(versions.matches("source").count(), 1);
}

#[test]
fn the_cognito_pool_sends_through_the_domain_identity() {
    let files = render(&full_us_east_1(), Backend::Local);
    let users = text(&files, "users.tf");
    assert!(users.contains("email_sending_account = \"DEVELOPER\""));
    assert!(users.contains("source_arn            = aws_sesv2_email_identity.domain.arn"));
    assert!(users.contains("from_email_address    = \"no-reply@example.com\""));
}

#[test]
fn mail_records_follow_the_answers() {
    let full = render(&full_us_east_1(), Backend::Local);
    let email = text(&full, "email.tf");
    assert!(email.contains("\"10 mx1.forwardemail.net\""));
    assert!(email.contains("\"20 mx2.forwardemail.net\""));
    assert!(email.contains("\"10 feedback-smtp.us-east-1.amazonses.com\""));
    assert!(email.contains("v=DMARC1; p=none;"), "the default policy");
    let eu = render(&eu_west_1_no_api(), Backend::Local);
    let email = text(&eu, "email.tf");
    assert!(!email.contains("inbound_mx"), "no MX answer: no apex MX");
    assert!(email.contains("\"10 feedback-smtp.eu-west-1.amazonses.com\""));
    assert!(
        email.contains("v=DMARC1; p=quarantine;"),
        "the stepped-up policy"
    );
}

/// No sender address is verified: the domain identity covers every address of the domain, and
/// `no-reply@` has no mailbox to click a link in. The owner's inbox is the one address
/// identity, when given; the function mails it and may send to it while SES is in its sandbox.
#[test]
fn only_the_owner_s_inbox_is_an_address_identity() {
    let identities = |files: &[GeneratedFile]| -> Vec<String> {
        resource_blocks(files)
            .into_keys()
            .filter(|a| a.starts_with("aws_sesv2_email_identity."))
            .collect()
    };
    // The default answers: no inbox, so only the domain identity.
    let defaults = render(&minimal(), Backend::Local);
    assert_eq!(identities(&defaults), ["aws_sesv2_email_identity.domain"]);
    let no_inbox = render(&eu_west_1_no_api(), Backend::Local);
    assert_eq!(identities(&no_inbox), ["aws_sesv2_email_identity.domain"]);

    // An inbox at the domain itself: its verification mail needs the domain's MX first.
    let full = render(&full_us_east_1(), Backend::Local);
    let blocks = resource_blocks(&full);
    assert_eq!(
        identities(&full),
        [
            "aws_sesv2_email_identity.domain",
            "aws_sesv2_email_identity.inbox"
        ]
    );
    let inbox = &blocks["aws_sesv2_email_identity.inbox"];
    assert!(inbox.contains("\"me@example.com\""), "{inbox}");
    assert!(inbox.contains("aws_route53_record.inbound_mx"), "{inbox}");
    let api = text(&full, "api.tf");
    assert!(api.contains("INBOX"), "{api}");
    assert!(api.contains("\"me@example.com\""), "{api}");
    assert!(api.contains("aws_sesv2_email_identity.inbox.arn"), "{api}");

    // An inbox elsewhere waits for nothing.
    let eu = render(&full_eu_central_1(), Backend::Local);
    let inbox = &resource_blocks(&eu)["aws_sesv2_email_identity.inbox"];
    assert!(inbox.contains("\"owner@example.net\""), "{inbox}");
    assert!(!inbox.contains("depends_on"), "{inbox}");
}

#[test]
fn inconsistent_answers_are_refused_with_a_sentence() {
    let mut config = full_us_east_1();
    config.parts.site = false;
    let err = tfgen::render(&config, &GenerateOptions::default()).expect_err("users needs site");
    assert!(matches!(err, TfgenError::InvalidConfig(_)));
    let message = err.to_string();
    assert!(message.contains("users part needs site"), "{message}");
}

/// The names siteup reads back (tfgen::names) are the ones the stack writes: every output of
/// the whole stack, exactly, and the zone's address.
#[test]
fn the_names_siteup_reads_are_the_names_the_stack_writes() {
    use siteup::tfgen::names::{ZONE_ADDRESS, output};
    let config = full_us_east_1();
    let files = render(&config, Backend::Local);
    let outputs_tf = text(&files, "outputs.tf");
    let written: BTreeSet<&str> = outputs_tf
        .lines()
        .filter_map(|l| l.strip_prefix("output \""))
        .filter_map(|l| l.split('"').next())
        .collect();
    let named: BTreeSet<&str> = output::ALL.iter().copied().collect();
    assert_eq!(written, named, "{outputs_tf}");
    assert!(tfgen::resource_addresses(&config).contains(&ZONE_ADDRESS.to_string()));
}

/// Changing the parts of a live stack (issue 14, defect 4). A certificate whose names change is
/// replaced, and ACM refuses to delete the old one while anything holds it: every certificate
/// is created before the old one is destroyed, every resource that holds one is named in
/// `names::CERTIFICATE_USERS`, and when a stack with any of them changes to other parts (same
/// region), the foundation phase moves every user in the same apply as the certificates it
/// replaces or deletes. Before the stack is live, the foundation stays targeted.
#[test]
fn a_part_changed_on_a_live_stack_moves_every_certificate_user_in_the_same_apply() {
    let configs = all_configs();
    for (label, config) in &configs {
        let blocks = resource_blocks(&render(config, Backend::Local));
        for (address, body) in &blocks {
            if address.starts_with("aws_acm_certificate.") {
                assert!(
                    body.contains("create_before_destroy = true"),
                    "{label}: {address} is replaced create-before-destroy: {body}"
                );
            }
            let holds_certificate = body.contains("aws_acm_certificate_validation.")
                && !address.starts_with("aws_acm_certificate_validation.");
            assert_eq!(
                holds_certificate,
                tfgen::names::CERTIFICATE_USERS.contains(&address.as_str()),
                "{label}: {address} holds a certificate exactly when CERTIFICATE_USERS names it"
            );
        }
        // Nothing applied yet, or only the foundation: the foundation stays targeted.
        let foundation = tfgen::phase_targets(config, Phase::Foundation);
        assert!(!foundation.is_empty());
        assert_eq!(
            tfgen::phase_targets_given(config, Phase::Foundation, &foundation),
            foundation,
            "{label}: a stack without certificate users keeps its foundation targets"
        );
    }
    let mut checked = 0;
    for (_, from) in &configs {
        // The live stack: everything of `from` applied (with instance keys, as state list
        // prints them).
        let state: Vec<String> = tfgen::resource_addresses(from)
            .into_iter()
            .map(|a| {
                if a.starts_with("aws_route53_record.certificate") {
                    format!("{a}[\"{}\"]", from.domain.as_str())
                } else {
                    a
                }
            })
            .collect();
        if !tfgen::has_certificate_user(&state) {
            continue;
        }
        for (_, to) in &configs {
            if to.region != from.region || to.parts == from.parts {
                continue;
            }
            let targets = tfgen::phase_targets_given(to, Phase::Foundation, &state);
            if targets.is_empty() {
                checked += 1;
                continue; // everything, users included
            }
            let now: BTreeSet<String> = tfgen::resource_addresses(to).into_iter().collect();
            let users: Vec<&str> = tfgen::names::CERTIFICATE_USERS
                .into_iter()
                .filter(|u| now.contains(*u) || state.iter().any(|s| s == u))
                .collect();
            for user in users {
                assert!(
                    targets.iter().any(|t| t == user),
                    "{:?} -> {:?} in {}: the foundation apply of the live stack leaves {user} behind: {targets:?}",
                    from.parts,
                    to.parts,
                    to.region.as_str()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked} changes checked");
}

#[test]
fn rendering_is_deterministic() {
    for (_, config) in all_configs().into_iter().take(4) {
        assert_eq!(render(&config, Backend::S3), render(&config, Backend::S3));
    }
}

#[test]
fn production_safety_settings_are_on() {
    let files = render(&full_us_east_1(), Backend::Local);
    let blocks = resource_blocks(&files);
    assert!(blocks["aws_dynamodb_table.main"].contains("deletion_protection_enabled = true"));
    assert!(blocks["aws_cognito_user_pool.main"].contains("deletion_protection = \"ACTIVE\""));
    let throttle = &blocks["aws_api_gateway_method_settings.api"];
    assert!(throttle.contains("method_path = \"*/*\""));
    assert!(
        throttle.contains("throttling_rate_limit") && throttle.contains("throttling_burst_limit")
    );
    // Every bucket is versioned, and its old versions, stray delete markers and unfinished
    // uploads expire.
    for bucket in ["state", "deploys", "site"] {
        assert!(
            blocks.contains_key(&format!("aws_s3_bucket_versioning.{bucket}")),
            "{bucket} is versioned"
        );
        let rules = &blocks[&format!("aws_s3_bucket_lifecycle_configuration.{bucket}")];
        assert!(rules.contains("filter {}"), "{bucket}: {rules}");
        assert!(rules.contains("noncurrent_days"), "{bucket}: {rules}");
        assert!(
            rules.contains("expired_object_delete_marker = true"),
            "{bucket}: {rules}"
        );
        assert!(rules.contains("days_after_initiation"), "{bucket}: {rules}");
    }
}

#[test]
fn the_api_function_may_write_logs_with_or_without_the_logging_part() {
    for (logging, days) in [(true, 30), (false, 7)] {
        let mut config = full_us_east_1();
        config.parts.logging = logging;
        let files = render(&config, Backend::Local);
        let blocks = resource_blocks(&files);
        let policy = &blocks["aws_iam_role_policy.api"];
        assert!(policy.contains("logs:CreateLogStream"), "{policy}");
        assert!(policy.contains("logs:PutLogEvents"), "{policy}");
        // The group is always terraform's: Lambda never creates one that would collide with it
        // when the logging part is turned on later.
        assert!(!policy.contains("logs:CreateLogGroup"), "{policy}");
        assert!(
            policy.contains("aws_cloudwatch_log_group.api.arn"),
            "{policy}"
        );
        let group = &blocks["aws_cloudwatch_log_group.api"];
        assert!(
            group.contains(&format!("retention_in_days = {days}")),
            "{group}"
        );
        assert!(
            blocks["aws_lambda_function.api"].contains("aws_cloudwatch_log_group.api.name"),
            "the function writes into the managed group"
        );
    }
}

/// The DKIM CNAMEs point at the DKIM domain of the identity's region, for every region siteup
/// offers. The expected table is the AWS General Reference's "SES DKIM domains"
/// (https://docs.aws.amazon.com/general/latest/gr/ses.html#ses_dkim_domains): these regions use
/// `dkim.<region>.amazonses.com`, all others `dkim.amazonses.com`.
#[test]
fn dkim_records_point_at_the_region_s_dkim_domain() {
    const REGIONAL: &[&str] = &[
        "af-south-1",
        "ap-northeast-3",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-5",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "il-central-1",
        "me-central-1",
    ];
    for (region, _) in siteup::site::REGIONS {
        let config = SiteConfig::with_defaults(
            siteup::site::Domain::parse("example.com").expect("domain"),
            siteup::site::Region::parse(region).expect("region"),
        );
        let files = tfgen::render(
            &config,
            &GenerateOptions {
                backend: Backend::Local,
            },
        )
        .expect("render");
        let email = text(&files, "email.tf");
        let want = if REGIONAL.contains(region) {
            format!("}}.dkim.{region}.amazonses.com\"")
        } else {
            "}.dkim.amazonses.com\"".to_string()
        };
        assert!(
            email.contains(&want),
            "{region}: the DKIM CNAMEs must end in {want}:\n{email}"
        );
    }
}

/// Cognito refuses a custom domain while its parent domain has no A record (the sandbox's
/// emulator enforces it too): the user pool domain waits for the site's apex record.
#[test]
fn the_cognito_domain_waits_for_the_apex_a_record() {
    let files = render(&full_us_east_1(), Backend::Local);
    let blocks = resource_blocks(&files);
    let domain = &blocks["aws_cognito_user_pool_domain.main"];
    assert!(
        domain.contains("depends_on") && domain.contains("aws_route53_record.site_apex_a"),
        "{domain}"
    );
    assert!(
        blocks["aws_route53_record.site_apex_a"].contains("type    = \"A\"")
            || blocks["aws_route53_record.site_apex_a"].contains("type = \"A\""),
        "the apex record is an A record: {}",
        blocks["aws_route53_record.site_apex_a"]
    );
}
