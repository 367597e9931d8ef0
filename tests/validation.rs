//! Validation tables: every rejected answer gets one sentence saying what is wrong and what
//! would be accepted. Each row asserts the exact part of the message that matters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use siteup::site::{
    BucketName, Domain, InboundMail, Inbox, MxRecord, Parts, ProjectName, Region, SenderLocalPart,
    SiteConfig,
};

/// (input, a fragment the message must contain)
const BAD_DOMAINS: &[(&str, &str)] = &[
    ("", "The domain is empty"),
    ("   ", "The domain is empty"),
    (
        "https://example.com",
        "includes a scheme (https://); enter just the domain, like example.com.",
    ),
    (
        "http://example.com/about",
        "includes a scheme (http://); enter just the domain, like example.com.",
    ),
    (
        "example.com/blog",
        "includes a path; enter just the domain, like example.com.",
    ),
    (
        "example.com:8080",
        "includes a port; enter just the domain, like example.com.",
    ),
    (
        "HTTPS://Example.COM/",
        "includes a scheme (HTTPS://); enter just the domain, like example.com.",
    ),
    (
        "Example.com.",
        "ends with a dot; enter it without the trailing dot, like example.com.",
    ),
    (
        "example.com.",
        "ends with a dot; enter it without the trailing dot, like example.com.",
    ),
    (
        "www.example.com",
        "starts with www.; enter the domain without it, like example.com",
    ),
    (
        "blog.example.com",
        "is a subdomain of example.com; enter the registrable domain you bought, like example.com.",
    ),
    ("shop.example.co.uk", "is a subdomain of example.co.uk"),
    ("co.uk", "is a public suffix that anyone can register under"),
    (
        "com",
        "has no top-level domain; enter the full name, like com.com.",
    ),
    (
        "localhost",
        "this machine's own name, not a domain you can buy",
    ),
    (
        "mysite",
        "has no top-level domain; enter the full name, like mysite.com.",
    ),
    (
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
        "is 70 characters long; each part between dots may have at most 63",
    ),
    ("example..com", "has an empty label"),
    (".example.com", "has an empty label"),
    ("-example.com", "starts or ends with a hyphen"),
    ("example-.com", "starts or ends with a hyphen"),
    ("exa mple.com", "contains a space"),
    ("exa_mple.com", "contains an underscore"),
    ("you@example.com", "looks like an email address"),
    ("192.168.1.1", "is an IP address"),
    ("*.example.com", "is a wildcard"),
    (
        "example.invalidtld",
        "does not end in a known top-level domain",
    ),
    ("exam!ple.com", "contains '!', which a domain cannot hold"),
];

const BAD_REGIONS: &[(&str, &str)] = &[
    (
        "",
        "The region is empty; enter an AWS region code like us-east-1",
    ),
    (
        "us-east-1a",
        "is an availability zone, not a region; enter the region us-east-1.",
    ),
    (
        "Ireland",
        "is not a region code; for Europe (Ireland) enter eu-west-1.",
    ),
    ("mars-north-1", "is not an AWS region siteup knows"),
    (
        "cn-north-1",
        "is in a separate AWS partition that siteup does not support",
    ),
    ("us-gov-west-1", "separate AWS partition"),
];

const BAD_BUCKETS: &[(&str, &str)] = &[
    ("", "The bucket name is empty"),
    ("ab", "is shorter than 3 characters; S3 needs 3 to 63."),
    (
        "My-Bucket",
        "has uppercase letters; S3 accepts only lowercase, like my-bucket.",
    ),
    (
        "my_bucket",
        "has an underscore; S3 accepts hyphens instead, like my-bucket.",
    ),
    ("-bucket", "must start and end with a letter or digit."),
    ("bucket-", "must start and end with a letter or digit."),
    ("my..bucket", "has two separators in a row"),
    ("192.168.5.4", "is formatted as an IP address"),
    ("xn--bucket", "starts with xn--, which S3 reserves"),
    ("sthree-files", "starts with sthree-, which S3 reserves"),
    ("files-s3alias", "ends with -s3alias, which S3 reserves"),
    ("files--ol-s3", "ends with --ol-s3, which S3 reserves"),
    (
        "my.bucket.name",
        "contains dots, which break HTTPS to the bucket; use hyphens, like my-bucket-name.",
    ),
    (
        "bücket",
        "contains 'ü'; use lowercase letters, digits, hyphens and dots.",
    ),
];

const BAD_SENDERS: &[(&str, &str)] = &[
    (
        "",
        "The sender name is empty; enter the part before the @, like no-reply.",
    ),
    (
        "hello@example.com",
        "is a whole address; enter only the part before the @, like hello.",
    ),
    ("no reply", "contains ' '"),
    (
        ".hello",
        "has a dot at the start, the end or twice in a row",
    ),
    (
        "he..llo",
        "has a dot at the start, the end or twice in a row",
    ),
];

const BAD_MX: &[(&str, &str)] = &[
    (
        "ten mx1.forwardemail.net",
        "The MX priority \u{201c}ten\u{201d} is not a number",
    ),
    (
        "70000 mx1.forwardemail.net",
        "The MX priority 70000 is too large; use a number from 0 to 65535.",
    ),
    (
        "10 192.0.2.1",
        "is an IP address; MX records need a host name",
    ),
    ("10 mail", "is not a valid host name"),
    ("10 mx1.example.com extra", "has too many parts"),
    (
        "10 mx1.example.com, 20 mx1.example.com",
        "is listed twice; give each mail server once.",
    ),
];

const BAD_PARTS: &[(&str, &str)] = &[
    (
        "api",
        "The api part needs database and users; turn them on too, or turn api off.",
    ),
    (
        "users",
        "The users part needs site; turn it on too, or turn users off.",
    ),
    (
        "site,users,api",
        "The api part needs database; turn it on too, or turn api off.",
    ),
    (
        "site,database,users,logging",
        "The logging part needs api; turn it on too, or turn logging off.",
    ),
    (
        "site,blog",
        "\u{201c}blog\u{201d} is not a part of the stack; choose from site, database, users, api and logging.",
    ),
];

const BAD_NAMES: &[(&str, &str)] = &[
    ("", "The project name is empty"),
    (
        "Example",
        "contains 'E'; use lowercase letters, digits and hyphens.",
    ),
    (
        "1site",
        "must start with a letter and not end with a hyphen",
    ),
];

const BAD_INBOXES: &[(&str, &str)] = &[
    ("", "it has no @"),
    ("you.example.net", "it has no @"),
    ("@example.net", "the part before the @ must be 1 to 64"),
    ("you @example.net", "the part before the @ must be 1 to 64"),
    (
        ".you@example.net",
        "has a dot at the start, the end or twice in a row",
    ),
    ("you@localhost", "is not a domain name like example.net"),
    ("you@exa_mple.net", "is not a domain name like example.net"),
    ("you@-example.net", "is not a domain name like example.net"),
];

fn check_table(
    field: &str,
    table: &[(&str, &str)],
    parse: impl Fn(&str) -> Result<String, String>,
) -> usize {
    let mut failures = Vec::new();
    for (input, expected) in table {
        match parse(input) {
            Ok(v) => failures.push(format!("{field} {input:?} was accepted as {v:?}")),
            Err(msg) => {
                if !msg.contains(expected) {
                    failures.push(format!(
                        "{field} {input:?}: message {msg:?} lacks {expected:?}"
                    ));
                }
                // One sentence: ends with a full stop, no line breaks.
                if !msg.ends_with('.') || msg.contains('\n') {
                    failures.push(format!("{field} {input:?}: not one sentence: {msg:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    table.len()
}

#[test]
fn every_rejected_input_has_its_message() {
    let mut total = 0;
    total += check_table("domain", BAD_DOMAINS, |s| {
        Domain::parse(s)
            .map(|d| d.to_string())
            .map_err(|e| e.to_string())
    });
    total += check_table("region", BAD_REGIONS, |s| {
        Region::parse(s)
            .map(|d| d.to_string())
            .map_err(|e| e.to_string())
    });
    total += check_table("bucket", BAD_BUCKETS, |s| {
        BucketName::parse(s)
            .map(|d| d.to_string())
            .map_err(|e| e.to_string())
    });
    total += check_table("sender", BAD_SENDERS, |s| {
        SenderLocalPart::parse(s)
            .map(|d| d.to_string())
            .map_err(|e| e.to_string())
    });
    total += check_table("inbox", BAD_INBOXES, |s| {
        Inbox::parse(s)
            .map(|d| d.to_string())
            .map_err(|e| e.to_string())
    });
    total += check_table("mx", BAD_MX, |s| {
        InboundMail::parse(s)
            .map(|d| format!("{d:?}"))
            .map_err(|e| e.to_string())
    });
    total += check_table("parts", BAD_PARTS, |s| {
        Parts::parse_list(s)
            .map(|d| format!("{d:?}"))
            .map_err(|e| e.to_string())
    });
    total += check_table("name", BAD_NAMES, |s| {
        ProjectName::parse(s)
            .map(|d| d.to_string())
            .map_err(|e| e.to_string())
    });
    assert!(total >= 30, "at least 30 rejected inputs, got {total}");
}

#[test]
fn accepted_inputs_are_canonicalised() {
    let cases = [
        ("Example.COM", "example.com"),
        ("  example.com  ", "example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("example.co.uk", "example.co.uk"),
        ("my-site.io", "my-site.io"),
        ("例え.jp", "xn--r8jz45g.jp"),
    ];
    for (input, expected) in cases {
        let d = Domain::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(d.as_str(), expected, "{input}");
    }
    assert_eq!(
        Domain::parse("bücher.de").expect("idn").display_name(),
        "bücher.de"
    );
    assert_eq!(
        Region::parse(" EU-West-1 ").expect("region").as_str(),
        "eu-west-1"
    );
    assert_eq!(
        SenderLocalPart::parse("No-Reply").expect("sender").as_str(),
        "no-reply"
    );
    assert_eq!(
        InboundMail::parse("10 MX1.ForwardEmail.net., mx2.forwardemail.net").expect("mx"),
        InboundMail::Mx {
            records: vec![
                MxRecord {
                    priority: 10,
                    host: "mx1.forwardemail.net".into()
                },
                MxRecord {
                    priority: 10,
                    host: "mx2.forwardemail.net".into()
                },
            ]
        }
    );
    assert_eq!(InboundMail::parse("none").expect("none"), InboundMail::None);
}

#[test]
fn defaults_are_derived_from_the_domain() {
    let c = SiteConfig::with_defaults(
        Domain::parse("example.com").expect("domain"),
        Region::parse("us-east-1").expect("region"),
    );
    assert_eq!(c.name.as_str(), "example-com");
    assert_eq!(c.state_bucket.as_str(), "example-com-state");
    assert_eq!(c.deploys_bucket.as_str(), "example-com-deploys");
    assert_eq!(c.sender_address(), "no-reply@example.com");
    c.check().expect("defaults are valid");
    // An internationalised domain must not produce a reserved xn-- bucket prefix.
    let idn = SiteConfig::with_defaults(
        Domain::parse("bücher.de").expect("domain"),
        Region::parse("eu-central-1").expect("region"),
    );
    BucketName::parse(idn.state_bucket.as_str()).expect("derived bucket is valid");
    ProjectName::parse(idn.name.as_str()).expect("derived name is valid");
}

#[test]
fn toggling_parts_keeps_dependencies() {
    let mut p = Parts::none();
    p.enable_with_requirements(siteup::site::Part::Logging);
    assert_eq!(p, Parts::all());
    p.disable_with_dependents(siteup::site::Part::Site);
    assert!(
        p.database && !p.site && !p.users && !p.api && !p.logging,
        "{p:?}"
    );
    p.check().expect("consistent");
    let same = SiteConfig {
        deploys_bucket: BucketName::parse("example-com-state").expect("bucket"),
        ..SiteConfig::with_defaults(
            Domain::parse("example.com").expect("d"),
            Region::parse("us-east-1").expect("r"),
        )
    };
    let err = same.check().expect_err("duplicate buckets");
    assert!(
        err.to_string().contains("give each bucket its own name"),
        "{err}"
    );
}

/// The owner's inbox must be able to receive the verification mail: an address of the site's
/// own domain only when the domain has MX records; the domain part is lowercased.
#[test]
fn an_inbox_at_the_domain_needs_its_mail_servers() {
    let mut c = SiteConfig::with_defaults(
        Domain::parse("example.com").unwrap(),
        Region::parse("us-east-1").unwrap(),
    );
    c.inbox = Some(Inbox::parse("Me@Example.COM").unwrap());
    assert_eq!(c.inbox.as_ref().unwrap().as_str(), "Me@example.com");
    let err = c.check().expect_err("no MX: nobody reads me@example.com");
    assert_eq!(err.field, "inbox");
    assert!(
        err.message
            .starts_with("Me@example.com cannot receive mail: mail to example.com goes nowhere"),
        "{err}"
    );
    c.inbox = Some(Inbox::parse("me@mail.example.com").unwrap());
    assert!(
        c.check().is_err(),
        "a name under the domain is the zone's too"
    );
    c.inbox = Some(Inbox::parse("me@example.net").unwrap());
    c.check().expect("an inbox elsewhere");
    c.inbox = Some(Inbox::parse("me@example.com").unwrap());
    c.inbound_mail = InboundMail::parse("10 mx.example.net").unwrap();
    c.check().expect("the domain's mail servers receive it");
}
