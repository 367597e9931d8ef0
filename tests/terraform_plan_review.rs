//! The plan review: groups, order, consequences and the approval gate, on a hand-made
//! `show -json` (zone and user pool replaced) and on one recorded from terraform 1.11.4.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use std::path::PathBuf;

use siteup::terraform::plan_review::{Approval, ChangeKind, Danger, NotApproved, PlanReview};

fn fixture(path: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform")
        .join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {} is missing: {e}", path.display()))
}

#[test]
fn zone_and_user_pool_replacements_come_first_with_their_consequences() {
    let review = PlanReview::from_show_json(&fixture("plans/show_dangerous.json"), None)
        .expect("the fixture parses");
    let order: Vec<(&str, ChangeKind)> = review
        .ordered()
        .iter()
        .map(|i| (i.address.as_str(), i.kind))
        .collect();
    assert_eq!(
        order,
        [
            ("aws_route53_zone.main", ChangeKind::Replace),
            ("aws_cognito_user_pool.users", ChangeKind::Replace),
            ("aws_s3_bucket.uploads", ChangeKind::Delete),
            ("aws_iam_role.api", ChangeKind::Replace),
            ("aws_cloudfront_distribution.site", ChangeKind::Update),
            ("aws_lambda_function.api", ChangeKind::Update),
            ("aws_route53_record.www", ChangeKind::Create),
        ],
        "no-op and data reads are left out; dangerous destruction leads"
    );
    let zone = &review.ordered()[0];
    assert_eq!(zone.danger, Some(Danger::HostedZone));
    assert_eq!(zone.human_type, "Route 53 hosted zone");
    assert!(
        zone.consequence()
            .expect("zone consequence")
            .contains("the registrar step must be redone")
    );
    let pool = &review.ordered()[1];
    assert_eq!(pool.human_type, "Cognito user pool");
    assert!(
        pool.consequence()
            .expect("pool consequence")
            .contains("Every user account is lost")
    );
    assert!(
        review.ordered()[2]
            .consequence()
            .expect("bucket consequence")
            .contains("data is lost")
    );
    // An update of CloudFront is not a danger: only destruction is.
    assert_eq!(review.ordered()[4].danger, None);
    assert_eq!(review.dangers().count(), 3);

    let text = review.render_text();
    let zone_at = text.find("aws_route53_zone.main").expect("zone in text");
    let pool_at = text
        .find("aws_cognito_user_pool.users")
        .expect("pool in text");
    let create_at = text.find("aws_route53_record.www").expect("record in text");
    assert!(zone_at < pool_at && pool_at < create_at, "{text}");
    assert!(text.starts_with(
        "Terraform's plan: 1 to destroy, 3 to replace, 1 to create, 2 to update.\n\nDestroyed or replaced (read these first):\n  -/+ replace Route 53 hosted zone (aws_route53_zone.main)\n              ! A new zone gets new nameservers: the registrar step must be redone"
    ), "{text}");
    assert!(text.contains("because a setting changed that cannot be updated in place"));

    // Destruction needs the typed word; the default (empty answer) and "yes" refuse.
    let approval = review.approval();
    assert!(matches!(approval, Approval::TypeToConfirm { ref word, .. } if word == "destroy"));
    assert!(
        approval
            .question()
            .contains("destroys or replaces 4 resources")
    );
    assert_eq!(review.approve(""), Err(NotApproved::Declined));
    assert_eq!(review.approve("yes"), Err(NotApproved::Declined));
    assert_eq!(review.approve("destroy"), Err(NotApproved::NoSavedPlan));
}

#[test]
fn recorded_show_json_of_a_tainted_zone() {
    let review = PlanReview::from_show_json(&fixture("streams/show_replace.json"), None)
        .expect("the recorded plan parses");
    let order: Vec<(&str, ChangeKind, Option<&str>)> = review
        .ordered()
        .iter()
        .map(|i| (i.address.as_str(), i.kind, i.reason.as_deref()))
        .collect();
    assert_eq!(
        order,
        [
            (
                "aws_route53_zone.slow",
                ChangeKind::Replace,
                Some("replace_because_tainted")
            ),
            (
                "aws_s3_bucket.first",
                ChangeKind::Delete,
                Some("delete_because_no_resource_config")
            ),
        ]
    );
    let text = review.render_text();
    assert!(
        text.contains("because it was left half-created by an earlier run"),
        "{text}"
    );
    assert!(
        !text.contains("ns-2048"),
        "attribute values never reach the review"
    );
}
