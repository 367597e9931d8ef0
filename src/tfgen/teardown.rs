//! What `siteup destroy` keeps, and the two files it writes beside the generated ones:
//!
//! - the teardown override ([`OVERRIDE_FILE`], a `*_override.tf`, so never the user's files):
//!   `force_destroy` on the buckets the teardown empties (the provider reads it from the state,
//!   so it is applied before the destroy), and with `--all` the deletion protections and
//!   `prevent_destroy` lifted from what holds data. It exists only while a teardown runs.
//! - the kept resources' import file ([`KEPT_FILE`]): after a teardown, the next `siteup up`
//!   adopts what the teardown kept (same table, same pool, same buckets) instead of failing on
//!   names that are taken. The zone is adopted by [`super::adopt`], as any existing zone is.

use super::hcl::{Block, Expr, File};
use super::names::{self, ZONE_ADDRESS};
use crate::project::teardown::{KeptResource, Scope};

/// The teardown override, beside the generated files. The name sorts after the sandbox's
/// override (`siteup_sandbox_override.tf`), so terraform merges it last.
pub const OVERRIDE_FILE: &str = "siteup_teardown_override.tf";
/// The import blocks of the resources a teardown kept.
pub const KEPT_FILE: &str = "siteup_adopt_kept.tf";

/// What a kept resource holds, for the review and the closing report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Holds {
    /// The hosted zone: the nameservers the registrar points at, and records added by hand.
    Zone,
    /// The database's items.
    Table,
    /// The users and their passwords.
    UserPool,
    /// The deploy artifacts and their versions.
    DeploysBucket,
    /// terraform's state and its versions.
    StateBucket,
}

/// The resource type and name of an address (`aws_s3_bucket.site["x"]` gives
/// `("aws_s3_bucket", "site")`); `None` for data sources and module paths.
pub fn type_and_name(address: &str) -> Option<(&str, &str)> {
    let plain = address.split('[').next().unwrap_or(address);
    let (kind, name) = plain.split_once('.')?;
    if kind == "data" || kind == "module" || name.contains('.') {
        return None;
    }
    Some((kind, name))
}

/// What the resource at `address` holds, when it is one a default teardown keeps. A bucket's
/// settings (`aws_s3_bucket_versioning.deploys`, ...) stay with their bucket.
pub fn holds(address: &str) -> Option<Holds> {
    let (kind, name) = type_and_name(address)?;
    let plain = format!("{kind}.{name}");
    if plain == ZONE_ADDRESS {
        return Some(Holds::Zone);
    }
    if plain == names::TABLE_ADDRESS {
        return Some(Holds::Table);
    }
    if plain == names::USER_POOL_ADDRESS {
        return Some(Holds::UserPool);
    }
    if kind.starts_with("aws_s3_bucket") {
        return match name {
            names::bucket::STATE => Some(Holds::StateBucket),
            names::bucket::DEPLOYS => Some(Holds::DeploysBucket),
            _ => None,
        };
    }
    None
}

/// Whether a teardown of `scope` keeps the resource at `address`.
pub fn keeps(scope: Scope, address: &str) -> bool {
    scope == Scope::KeepData && holds(address).is_some()
}

/// The settings the override changes on one resource, and why.
struct Lift {
    kind: &'static str,
    name: &'static str,
    attrs: Vec<(&'static str, Expr)>,
    /// `lifecycle { prevent_destroy = false }`.
    unprotect: bool,
}

fn lifts(scope: Scope, state: &[String]) -> Vec<Lift> {
    let in_state =
        |kind: &str, name: &str| state.iter().any(|a| type_and_name(a) == Some((kind, name)));
    let mut out = Vec::new();
    let buckets: &[&'static str] = match scope {
        Scope::KeepData => &[names::bucket::SITE],
        Scope::All => &[
            names::bucket::SITE,
            names::bucket::DEPLOYS,
            names::bucket::STATE,
        ],
    };
    for &bucket in buckets {
        if in_state("aws_s3_bucket", bucket) {
            out.push(Lift {
                kind: "aws_s3_bucket",
                name: bucket,
                attrs: vec![("force_destroy", Expr::from(true))],
                unprotect: scope == Scope::All,
            });
        }
    }
    if scope == Scope::All {
        if in_state(names::ZONE_TYPE, names::ZONE_NAME) {
            out.push(Lift {
                kind: names::ZONE_TYPE,
                name: names::ZONE_NAME,
                attrs: vec![("force_destroy", Expr::from(true))],
                unprotect: true,
            });
        }
        if in_state("aws_dynamodb_table", "main") {
            out.push(Lift {
                kind: "aws_dynamodb_table",
                name: "main",
                attrs: vec![("deletion_protection_enabled", Expr::from(false))],
                unprotect: true,
            });
        }
        if in_state("aws_cognito_user_pool", "main") {
            out.push(Lift {
                kind: "aws_cognito_user_pool",
                name: "main",
                attrs: vec![("deletion_protection", Expr::str("INACTIVE"))],
                unprotect: true,
            });
        }
    }
    out
}

/// The addresses whose settings the override changes: the apply before the destroy targets
/// them, so that the state holds `force_destroy` and no deletion protection.
pub fn prepare_targets(scope: Scope, state: &[String]) -> Vec<String> {
    lifts(scope, state)
        .iter()
        .map(|l| format!("{}.{}", l.kind, l.name))
        .collect()
}

/// The override's text for a teardown of `scope` of a stack whose configuration holds the
/// resources `configured`; `None` when there is nothing to change. With `--all` the state
/// moves to the local file `local_state` (the state bucket is deleted too).
pub fn override_text(
    domain: &str,
    scope: Scope,
    configured: &[String],
    local_state: &std::path::Path,
) -> Option<String> {
    let lifts = lifts(scope, configured);
    if lifts.is_empty() && scope == Scope::KeepData {
        return None;
    }
    let mut blocks: Vec<Block> = Vec::new();
    if scope == Scope::All {
        blocks.push(
            Block::new("terraform").block(
                Block::labeled("backend", &["local"])
                    .attr("path", Expr::str(local_state.display().to_string())),
            ),
        );
    }
    blocks.extend(lifts.into_iter().map(|l| {
        let mut b = Block::labeled("resource", &[l.kind, l.name]);
        for (k, v) in l.attrs {
            b = b.attr(k, v);
        }
        if l.unprotect {
            b = b.block(Block::new("lifecycle").attr("prevent_destroy", false));
        }
        b
    }));
    Some(
        File {
            header: Some(format!(
                "Written by `siteup destroy` for {domain} while it tears the stack down: the buckets it\n\
                 empties may be deleted with their objects{}. siteup deletes this file when the\n\
                 teardown ends; it never changes your own files.",
                if scope == Scope::All {
                    ", the data's deletion protection is lifted, and the\n\
                     state lives in a local file (the state bucket goes too)"
                } else {
                    ""
                }
            )),
            blocks,
        }
        .to_text(),
    )
}

/// The import file that adopts the kept resources missing from `state`; `None` when nothing is
/// missing. The zone is left to [`super::adopt`].
pub fn kept_imports(domain: &str, kept: &[KeptResource], state: &[String]) -> Option<String> {
    let blocks: Vec<Block> = kept
        .iter()
        .filter(|k| k.address != ZONE_ADDRESS && !state.contains(&k.address))
        .map(|k| {
            Block::new("import")
                .attr("to", Expr::raw(&k.address))
                .attr("id", Expr::str(&k.id))
        })
        .collect();
    if blocks.is_empty() {
        return None;
    }
    Some(
        File {
            header: Some(format!(
                "Written by siteup: `siteup destroy` kept these resources of {domain} (they hold data),\n\
                 so terraform adopts them again instead of creating new ones. Safe to delete after the apply."
            )),
            blocks,
        }
        .to_text(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Vec<String> {
        [
            "aws_route53_zone.main",
            "aws_route53_record.ses_dkim[0]",
            "aws_dynamodb_table.main",
            "aws_cognito_user_pool.main",
            "aws_cognito_user_pool_domain.main",
            "aws_s3_bucket.state",
            "aws_s3_bucket_versioning.state",
            "aws_s3_bucket.deploys",
            "aws_s3_bucket_policy.deploys",
            "aws_s3_bucket.site",
            "aws_s3_bucket_versioning.site",
            "aws_cloudfront_distribution.site",
            "data.aws_caller_identity.current",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn the_default_keeps_what_holds_data_and_nothing_else() {
        let listed = state();
        let kept: Vec<&str> = listed
            .iter()
            .filter(|a| keeps(Scope::KeepData, a))
            .map(String::as_str)
            .collect();
        assert_eq!(
            kept,
            [
                "aws_route53_zone.main",
                "aws_dynamodb_table.main",
                "aws_cognito_user_pool.main",
                "aws_s3_bucket.state",
                "aws_s3_bucket_versioning.state",
                "aws_s3_bucket.deploys",
                "aws_s3_bucket_policy.deploys",
            ]
        );
        assert!(state().iter().all(|a| !keeps(Scope::All, a)));
        assert_eq!(holds("aws_s3_bucket_versioning.site"), None);
        assert_eq!(holds("data.aws_s3_bucket.state"), None);
        assert_eq!(holds("module.x.aws_s3_bucket.state"), None);
    }

    #[test]
    fn the_override_empties_the_site_bucket_by_default_and_lifts_every_protection_with_all() {
        let local = std::path::Path::new("/p/.siteup/teardown/terraform.tfstate");
        let text = override_text("example.com", Scope::KeepData, &state(), local).unwrap();
        assert!(
            text.contains("resource \"aws_s3_bucket\" \"site\" {\n  force_destroy = true\n}"),
            "{text}"
        );
        assert!(!text.contains("prevent_destroy"), "{text}");
        assert!(!text.contains("backend"), "{text}");
        assert_eq!(
            prepare_targets(Scope::KeepData, &state()),
            ["aws_s3_bucket.site"]
        );
        let all = override_text("example.com", Scope::All, &state(), local).unwrap();
        for needle in [
            "terraform {\n  backend \"local\" {\n    path = \"/p/.siteup/teardown/terraform.tfstate\"",
            "resource \"aws_s3_bucket\" \"state\"",
            "resource \"aws_route53_zone\" \"main\" {\n  force_destroy = true",
            "deletion_protection_enabled = false",
            "deletion_protection = \"INACTIVE\"",
            "prevent_destroy = false",
        ] {
            assert!(all.contains(needle), "{needle} in {all}");
        }
        assert_eq!(prepare_targets(Scope::All, &state()).len(), 6);
        // A site-only stack without the site bucket's part has nothing to change by default.
        assert_eq!(
            override_text(
                "example.com",
                Scope::KeepData,
                &["aws_route53_zone.main".into()],
                local
            ),
            None
        );
    }

    #[test]
    fn kept_imports_skip_the_zone_and_what_the_state_has_again() {
        let kept = vec![
            KeptResource {
                address: "aws_route53_zone.main".into(),
                id: "Z1".into(),
            },
            KeptResource {
                address: "aws_dynamodb_table.main".into(),
                id: "example-com".into(),
            },
            KeptResource {
                address: "aws_s3_bucket.deploys".into(),
                id: "deploys-\"${x}".into(),
            },
        ];
        let text = kept_imports("example.com", &kept, &[]).unwrap();
        assert!(!text.contains("aws_route53_zone"), "{text}");
        assert!(
            text.contains("import {\n  to = aws_dynamodb_table.main\n  id = \"example-com\"\n}"),
            "{text}"
        );
        assert!(text.contains(r#"id = "deploys-\"$${x}""#), "{text}");
        let rest = kept_imports("example.com", &kept, &["aws_dynamodb_table.main".into()]).unwrap();
        assert!(!rest.contains("aws_dynamodb_table"), "{rest}");
        assert_eq!(
            kept_imports(
                "example.com",
                &kept,
                &[
                    "aws_dynamodb_table.main".into(),
                    "aws_s3_bucket.deploys".into()
                ]
            ),
            None
        );
    }
}
