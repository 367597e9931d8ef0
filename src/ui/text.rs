//! Words and numbers as the screen shows them: elapsed time (written by
//! [`crate::words::duration`]), truncation, and the fixed texts
//! (registrar hints, the monthly cost estimate, next steps) in one place.

use time::OffsetDateTime;

use crate::tfgen::names::output;

/// Whole seconds from `since` to `now` (zero when the clock went backwards).
pub(crate) fn elapsed_secs(since: OffsetDateTime, now: OffsetDateTime) -> u64 {
    let secs = (now - since).whole_seconds();
    u64::try_from(secs).unwrap_or(0)
}

/// Cuts `s` to at most `width` columns, ending with `ellipsis` when cut.
pub(crate) fn truncate(s: &str, width: usize, ellipsis: &str) -> String {
    let count = s.chars().count();
    if count <= width {
        return s.to_string();
    }
    let el = ellipsis.chars().count();
    if width <= el {
        return s.chars().take(width).collect();
    }
    let mut out: String = s.chars().take(width - el).collect();
    out.push_str(ellipsis);
    out
}

/// How many rows `s` takes when word-wrapped at `width` columns (greedy, like the paragraph
/// widget: words longer than a row are cut).
pub(crate) fn wrap_count(s: &str, width: usize) -> usize {
    let width = width.max(1);
    let mut rows = 1;
    let mut col = 0;
    for word in s.split(' ') {
        let w = word.chars().count();
        let need = if col == 0 { w } else { col + 1 + w };
        if need <= width {
            col = need;
        } else if w <= width {
            rows += 1;
            col = w;
        } else {
            // A word longer than a row starts a row and is cut.
            if col > 0 {
                rows += 1;
            }
            rows += (w - 1) / width;
            col = match w % width {
                0 => width,
                r => r,
            };
        }
    }
    rows
}

/// `s` cut into rows at spaces (greedy), the first row `first` columns wide and the others
/// `rest`; words longer than a row are cut.
pub(crate) fn wrap2(s: &str, first: usize, rest: usize) -> Vec<String> {
    let (first, rest) = (first.max(1), rest.max(1));
    let mut rows: Vec<String> = Vec::new();
    let mut row = String::new();
    let mut col = 0;
    let width = |rows: &Vec<String>| if rows.is_empty() { first } else { rest };
    for word in s.split(' ') {
        let mut w: Vec<char> = word.chars().collect();
        if col > 0 && col + 1 + w.len() <= width(&rows) {
            row.push(' ');
            row.extend(w.iter());
            col += 1 + w.len();
            continue;
        }
        if col > 0 {
            rows.push(std::mem::take(&mut row));
        }
        while w.len() > width(&rows) {
            let tail = w.split_off(width(&rows));
            rows.push(w.iter().collect());
            w = tail;
        }
        row.extend(w.iter());
        col = w.len();
    }
    rows.push(row);
    rows
}

/// Where to set the nameservers at well-known registrars.
pub(crate) const REGISTRAR_HINTS: &[(&str, &str)] = &[
    (
        "Namecheap",
        "Domain List > Manage > Nameservers: choose Custom DNS, paste the four names, save.",
    ),
    (
        "GoDaddy",
        "My Products > the domain > DNS > Nameservers > Change: \"I'll use my own nameservers\".",
    ),
    (
        "Porkbun",
        "Domain Management > the domain > Details > Authoritative Nameservers > Edit.",
    ),
    (
        "Gandi",
        "Domain > Nameservers > Change: choose External, paste the four names.",
    ),
    (
        "Squarespace (ex Google Domains)",
        "Domains > the domain > DNS > Domain nameservers > Use custom nameservers.",
    ),
    (
        "OVHcloud",
        "Web Cloud > Domain names > the domain > DNS servers > Modify DNS servers.",
    ),
    (
        "Cloudflare Registrar",
        "does not let you change the nameservers; transfer the domain out, or keep the zone at Cloudflare.",
    ),
];

/// What to do at any registrar.
pub(crate) const REGISTRAR_GENERIC: &str = "At your registrar, open the domain's \"Nameservers\" (or \"DNS\") settings, choose custom nameservers, replace all of them with these four, and save. Remove any DNSSEC/DS record there too.";

/// A short, honest monthly cost estimate for light traffic.
pub(crate) const COSTS: &[(&str, &str)] = &[
    ("Route 53 hosted zone", "$0.50"),
    ("DNS queries", "$0.40 per million"),
    ("S3 + CloudFront", "~$0, free tier"),
    ("Lambda + API Gateway", "~$0, free tier"),
    ("DynamoDB on demand", "~$0, per request"),
    ("Cognito (<10k users)", "$0"),
    ("SES mail", "$0.10 per 1,000"),
    ("ACM certificate", "$0"),
    ("6 alarms (guardrails)", "$0.60, 10 free"),
    ("Budget, alert mail", "$0"),
];

/// The total line of the cost table.
pub(crate) const COST_TOTAL: &str =
    "About $1 to $2 a month while traffic is light; the domain itself is billed by your registrar.";

/// Labels for the terraform outputs the done pane shows first, in order.
pub(crate) const OUTPUT_LABELS: &[(&str, &str)] = &[
    (output::SITE_URL, "Site"),
    (output::API_URL, "API"),
    (output::AUTH_URL, "Sign-in"),
    (output::USER_POOL_ID, "User pool id"),
    (output::USER_POOL_CLIENT_ID, "Client id"),
    (output::IDENTITY_POOL_ID, "Identity pool"),
    (output::TABLE_NAME, "Table"),
    (output::SITE_BUCKET, "Site bucket"),
    (output::CLOUDFRONT_DISTRIBUTION_ID, "CloudFront id"),
    (output::API_INVOKE_URL, "API endpoint"),
    (output::SENDER_ADDRESS, "Sender"),
];

/// The outputs worth showing, labelled and in a useful order: known ones first, then the rest
/// (minus the ones that are only plumbing).
pub(crate) fn labelled_outputs(
    outputs: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, label) in OUTPUT_LABELS {
        if let Some(v) = outputs.get(*key) {
            out.push(((*label).to_string(), v.clone()));
        }
    }
    const HIDDEN: &[&str] = &[
        output::NAME_SERVERS,
        output::ZONE_ID,
        output::REGION,
        output::STATE_BUCKET,
    ];
    for (k, v) in outputs {
        if OUTPUT_LABELS.iter().any(|(key, _)| key == k) || HIDDEN.contains(&k.as_str()) {
            continue;
        }
        out.push((k.replace('_', " "), v.clone()));
    }
    out
}

/// What to do once the stack is up.
pub(crate) fn next_steps(outputs: &std::collections::BTreeMap<String, String>) -> Vec<String> {
    let mut steps = Vec::new();
    if let Some(bucket) = outputs.get(output::SITE_BUCKET) {
        steps.push(format!(
            "Upload your site: aws s3 sync ./public s3://{bucket} --delete"
        ));
        if let Some(id) = outputs.get(output::CLOUDFRONT_DISTRIBUTION_ID) {
            steps.push(format!(
                "Then refresh the cache: aws cloudfront create-invalidation --distribution-id {id} --paths '/*'"
            ));
        }
    }
    if outputs.contains_key(output::API_URL) {
        steps.push("Edit the API in terraform/api/ and run `siteup` again to deploy it.".into());
    }
    steps.push("Commit siteup.toml and terraform/ to your repository.".into());
    steps.push("Run `siteup status` any time to check every part live.".into());
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks() {}

    #[test]
    fn word_wrap() {
        assert_eq!(wrap2("aaa bbb ccc", 7, 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap2("aaaaaaa b", 3, 3), vec!["aaa", "aaa", "a b"]);
        assert_eq!(wrap2("", 3, 3), vec![""]);
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap_count("", 10), 1);
        assert_eq!(wrap_count("aaa bbb ccc", 7), 2);
        assert_eq!(wrap_count("aaa bbb ccc", 11), 1);
        assert_eq!(wrap_count("aaaaaaaaaaaa", 5), 3);
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate("abcdef", 4, "…"), "abc…");
        assert_eq!(truncate("abc", 4, "…"), "abc");
        assert_eq!(truncate("abcdef", 2, "..."), "ab");
    }
}
