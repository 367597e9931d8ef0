//! The site's answers (`SiteConfig`) and their validation, field by field, as the user types.
//!
//! Every constructor here takes untrusted text and returns either a value that is known to be
//! valid or an [`InputError`] whose message is one sentence: what is wrong and what would be
//! accepted. Nothing here panics on any input.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A rejected answer: one sentence saying what is wrong and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    /// Which answer was rejected (`domain`, `region`, `state_bucket`, ...).
    pub field: &'static str,
    /// The sentence shown to the user.
    pub message: String,
}

impl InputError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Shortens user input for quoting inside an error message.
fn quote(input: &str) -> String {
    let trimmed: String = input.chars().take(60).collect();
    let trimmed = crate::words::printable_line(&trimmed).into_owned();
    if input.chars().count() > 60 {
        format!("\u{201c}{trimmed}\u{2026}\u{201d}")
    } else {
        format!("\u{201c}{trimmed}\u{201d}")
    }
}

/// The region used when neither a flag nor siteup.toml gives one.
pub const DEFAULT_REGION: &str = "us-east-1";

// ---------------------------------------------------------------------------------------------
// Domain
// ---------------------------------------------------------------------------------------------

/// A registrable domain name (`example.com`, `example.co.uk`), lowercase, in ASCII (punycode for
/// internationalised names).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl Domain {
    /// Validates what the user typed and returns the domain in its canonical (ASCII, lowercase)
    /// form.
    pub fn parse(input: &str) -> Result<Self, InputError> {
        const F: &str = "domain";
        let raw = input.trim();
        if raw.is_empty() {
            return Err(InputError::new(
                F,
                "The domain is empty; enter the name you bought, like example.com.",
            ));
        }
        if raw.chars().any(char::is_whitespace) {
            return Err(InputError::new(
                F,
                format!(
                    "{} contains a space; enter a single name like example.com.",
                    quote(raw)
                ),
            ));
        }
        if let Some(pos) = raw.find("://") {
            let rest = &raw[pos + 3..];
            let host = rest.split(['/', ':', '?', '#']).next().unwrap_or(rest);
            return Err(InputError::new(
                F,
                format!(
                    "{} includes a scheme ({}://); enter just the domain, like {}.",
                    quote(raw),
                    &raw[..pos],
                    if host.is_empty() {
                        "example.com".to_string()
                    } else {
                        host.to_lowercase()
                    }
                ),
            ));
        }
        if raw.contains('@') {
            return Err(InputError::new(
                F,
                format!(
                    "{} looks like an email address; enter just the domain after the @, like example.com.",
                    quote(raw)
                ),
            ));
        }
        if let Some(idx) = raw.find(['/', '?', '#']) {
            return Err(InputError::new(
                F,
                format!(
                    "{} includes a path; enter just the domain, like {}.",
                    quote(raw),
                    raw[..idx].to_lowercase()
                ),
            ));
        }
        if let Some(idx) = raw.rfind(':') {
            return Err(InputError::new(
                F,
                format!(
                    "{} includes a port; enter just the domain, like {}.",
                    quote(raw),
                    raw[..idx].to_lowercase()
                ),
            ));
        }
        if raw.ends_with('.') {
            return Err(InputError::new(
                F,
                format!(
                    "{} ends with a dot; enter it without the trailing dot, like {}.",
                    quote(raw),
                    raw.trim_end_matches('.').to_lowercase()
                ),
            ));
        }
        if raw.starts_with('.') || raw.contains("..") {
            return Err(InputError::new(
                F,
                format!(
                    "{} has an empty label (two dots in a row or a leading dot); enter a name like example.com.",
                    quote(raw)
                ),
            ));
        }
        if raw.starts_with('*') {
            return Err(InputError::new(
                F,
                format!(
                    "{} is a wildcard; enter the domain itself, like example.com.",
                    quote(raw)
                ),
            ));
        }
        if raw.parse::<std::net::Ipv4Addr>().is_ok() {
            return Err(InputError::new(
                F,
                format!(
                    "{} is an IP address; enter the domain name you bought, like example.com.",
                    quote(raw)
                ),
            ));
        }
        // Lengths first: the IDNA conversion below refuses long names without saying why.
        if raw.len() > 253 {
            return Err(InputError::new(
                F,
                format!(
                    "The domain is {} characters long; a domain name has at most 253.",
                    raw.chars().count()
                ),
            ));
        }
        for label in raw.split('.') {
            if label.is_ascii() && label.len() > 63 {
                return Err(InputError::new(
                    F,
                    format!(
                        "The label {} is {} characters long; each part between dots may have at most 63.",
                        quote(label),
                        label.len()
                    ),
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(InputError::new(
                    F,
                    format!(
                        "The label {} starts or ends with a hyphen; hyphens may only appear inside a label.",
                        quote(label)
                    ),
                ));
            }
            if label.contains('_') {
                return Err(InputError::new(
                    F,
                    format!(
                        "{} contains an underscore, which a registrable domain cannot hold; use letters, digits and hyphens.",
                        quote(raw)
                    ),
                ));
            }
        }
        let Ok(ascii) = idna::domain_to_ascii_strict(raw) else {
            let bad: Option<char> = raw
                .chars()
                .find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '.'));
            return Err(InputError::new(
                F,
                match bad {
                    Some(c) => format!(
                        "{} contains {:?}, which a domain cannot hold; use letters, digits, hyphens and dots.",
                        quote(raw),
                        c
                    ),
                    None => format!(
                        "{} is not a valid domain name; use letters, digits and hyphens between dots, like example.com.",
                        quote(raw)
                    ),
                },
            ));
        };
        if ascii.len() > 253 {
            return Err(InputError::new(
                F,
                "The domain is longer than 253 characters; a domain name cannot be that long.",
            ));
        }
        let labels: Vec<&str> = ascii.split('.').collect();
        if labels.len() < 2 && ascii == "localhost" {
            return Err(InputError::new(
                F,
                "localhost is this machine's own name, not a domain you can buy; enter the domain you bought, like example.com.",
            ));
        }
        if labels.len() < 2 {
            return Err(InputError::new(
                F,
                format!(
                    "{} has no top-level domain; enter the full name, like {}.com.",
                    quote(raw),
                    ascii
                ),
            ));
        }
        for label in &labels {
            if label.len() > 63 {
                return Err(InputError::new(
                    F,
                    format!(
                        "The label {} is longer than 63 characters; each part between dots must be 63 or fewer.",
                        quote(label)
                    ),
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(InputError::new(
                    F,
                    format!(
                        "The label {} starts or ends with a hyphen; hyphens may only appear inside a label.",
                        quote(label)
                    ),
                ));
            }
            if label.chars().any(|c| c == '_') {
                return Err(InputError::new(
                    F,
                    format!(
                        "{} contains an underscore, which a registrable domain cannot hold; use letters, digits and hyphens.",
                        quote(raw)
                    ),
                ));
            }
        }
        let tld = labels.last().copied().unwrap_or_default();
        if tld.chars().all(|c| c.is_ascii_digit()) {
            return Err(InputError::new(
                F,
                format!(
                    "{} ends in a numeric label; enter a domain with a real top-level domain, like example.com.",
                    quote(raw)
                ),
            ));
        }
        // A registrable name is exactly one label below a public suffix.
        match psl::suffix(ascii.as_bytes()) {
            Some(suffix) if suffix.is_known() => {
                let suffix_len = suffix.as_bytes().len();
                if suffix_len == ascii.len() {
                    return Err(InputError::new(
                        F,
                        format!(
                            "{} is a public suffix that anyone can register under; enter the name you bought, like example.{}.",
                            quote(raw),
                            ascii
                        ),
                    ));
                }
                let registrable = psl::domain_str(&ascii).unwrap_or(&ascii);
                if registrable != ascii {
                    let prefix = &ascii[..ascii.len() - registrable.len() - 1];
                    if prefix == "www" {
                        return Err(InputError::new(
                            F,
                            format!(
                                "{} starts with www.; enter the domain without it, like {} (siteup serves www too).",
                                quote(raw),
                                registrable
                            ),
                        ));
                    }
                    return Err(InputError::new(
                        F,
                        format!(
                            "{} is a subdomain of {}; enter the registrable domain you bought, like {}.",
                            quote(raw),
                            registrable,
                            registrable
                        ),
                    ));
                }
            }
            _ => {
                return Err(InputError::new(
                    F,
                    format!(
                        "{} does not end in a known top-level domain; check the spelling, like example.com or example.co.uk.",
                        quote(raw)
                    ),
                ));
            }
        }
        Ok(Self(ascii))
    }

    /// The domain in ASCII (punycode), lowercase, without a trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain as the user would read it (Unicode for internationalised names).
    pub fn display_name(&self) -> String {
        let (unicode, result) = idna::domain_to_unicode(&self.0);
        if result.is_ok() {
            unicode
        } else {
            self.0.clone()
        }
    }

    /// A short project name derived from the domain, usable in bucket and resource names:
    /// `example.com` becomes `example-com`.
    /// Whether mail to `domain` is this domain's to receive: the domain itself or a name under
    /// it (the site's zone holds their MX records, if any).
    pub fn receives_for(&self, domain: &str) -> bool {
        let domain = domain.to_ascii_lowercase();
        domain == self.0 || domain.ends_with(&format!(".{}", self.0))
    }

    pub fn default_name(&self) -> ProjectName {
        let mut name = self.0.replace('.', "-");
        if name.starts_with("xn--") {
            name = format!("site-{name}");
        }
        if name.len() > 40 {
            name.truncate(40);
            while name.ends_with('-') {
                name.pop();
            }
        }
        ProjectName(name)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Domain {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Domain> for String {
    fn from(value: Domain) -> Self {
        value.0
    }
}

// ---------------------------------------------------------------------------------------------
// Project name
// ---------------------------------------------------------------------------------------------

/// The short name used as a prefix for AWS resource names (`example-com`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectName(String);

impl ProjectName {
    /// Validates a project name: 1 to 40 lowercase letters, digits and hyphens, starting with a
    /// letter and not ending with a hyphen.
    pub fn parse(input: &str) -> Result<Self, InputError> {
        const F: &str = "name";
        let raw = input.trim();
        if raw.is_empty() {
            return Err(InputError::new(
                F,
                "The project name is empty; enter a short name like example-com.",
            ));
        }
        if raw.len() > 40 {
            return Err(InputError::new(
                F,
                format!(
                    "The project name is {} characters long; use at most 40.",
                    raw.len()
                ),
            ));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(InputError::new(
                F,
                format!(
                    "The project name {} contains {:?}; use lowercase letters, digits and hyphens.",
                    quote(raw),
                    c
                ),
            ));
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) || raw.ends_with('-') {
            return Err(InputError::new(
                F,
                format!(
                    "The project name {} must start with a letter and not end with a hyphen, like example-com.",
                    quote(raw)
                ),
            ));
        }
        if raw.starts_with("xn--") {
            return Err(InputError::new(
                F,
                "The project name cannot start with xn-- (S3 reserves it); add a prefix, like site-xn--.",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProjectName {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ProjectName> for String {
    fn from(value: ProjectName) -> Self {
        value.0
    }
}

// ---------------------------------------------------------------------------------------------
// Region
// ---------------------------------------------------------------------------------------------

/// The commercial AWS regions siteup knows, with a human name for each.
pub const REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("me-central-1", "Middle East (UAE)"),
    ("sa-east-1", "South America (Sao Paulo)"),
];

/// A known AWS region code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Region(String);

impl Region {
    pub fn parse(input: &str) -> Result<Self, InputError> {
        const F: &str = "region";
        let raw = input.trim().to_ascii_lowercase();
        if raw.is_empty() {
            return Err(InputError::new(
                F,
                "The region is empty; enter an AWS region code like us-east-1 or eu-west-1.",
            ));
        }
        if REGIONS.iter().any(|(code, _)| *code == raw) {
            return Ok(Self(raw));
        }
        // A human name ("Ireland") or a zone ("us-east-1a") deserves a precise hint.
        if let Some((code, _)) = REGIONS
            .iter()
            .find(|(code, _)| raw.len() == code.len() + 1 && raw.starts_with(code))
        {
            return Err(InputError::new(
                F,
                format!(
                    "{} is an availability zone, not a region; enter the region {}.",
                    quote(input.trim()),
                    code
                ),
            ));
        }
        if let Some((code, name)) = REGIONS
            .iter()
            .find(|(_, name)| name.to_ascii_lowercase().contains(&raw) && raw.len() >= 4)
        {
            return Err(InputError::new(
                F,
                format!(
                    "{} is not a region code; for {} enter {}.",
                    quote(input.trim()),
                    name,
                    code
                ),
            ));
        }
        if raw.starts_with("cn-") || raw.starts_with("us-gov-") || raw.starts_with("us-iso") {
            return Err(InputError::new(
                F,
                format!(
                    "{} is in a separate AWS partition that siteup does not support; choose a commercial region like us-east-1.",
                    quote(input.trim())
                ),
            ));
        }
        Err(InputError::new(
            F,
            format!(
                "{} is not an AWS region siteup knows; enter a code like us-east-1, eu-west-1 or ap-southeast-2.",
                quote(input.trim())
            ),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region's human name ("Europe (Ireland)").
    pub fn human_name(&self) -> &'static str {
        REGIONS
            .iter()
            .find(|(code, _)| *code == self.0)
            .map_or("", |(_, name)| *name)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Region {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Region> for String {
    fn from(value: Region) -> Self {
        value.0
    }
}

// ---------------------------------------------------------------------------------------------
// Bucket names
// ---------------------------------------------------------------------------------------------

/// An S3 bucket name that follows the general-purpose bucket naming rules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BucketName(String);

impl BucketName {
    /// Validates a bucket name; `field` names the answer in the error (`state_bucket`, ...).
    pub fn parse_field(field: &'static str, input: &str) -> Result<Self, InputError> {
        let raw = input.trim();
        let q = quote(raw);
        let err = |m: String| Err(InputError::new(field, m));
        if raw.is_empty() {
            return err(
                "The bucket name is empty; enter 3 to 63 lowercase letters, digits and hyphens, like example-com-state."
                    .into(),
            );
        }
        if raw.len() < 3 {
            return err(format!(
                "The bucket name {q} is shorter than 3 characters; S3 needs 3 to 63."
            ));
        }
        if raw.len() > 63 {
            return err(format!(
                "The bucket name is {} characters long; S3 allows at most 63.",
                raw.len()
            ));
        }
        if raw.chars().any(|c| c.is_ascii_uppercase()) {
            return err(format!(
                "The bucket name {q} has uppercase letters; S3 accepts only lowercase, like {}.",
                raw.to_ascii_lowercase()
            ));
        }
        if raw.contains('_') {
            return err(format!(
                "The bucket name {q} has an underscore; S3 accepts hyphens instead, like {}.",
                raw.replace('_', "-")
            ));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.'))
        {
            return err(format!(
                "The bucket name {q} contains {c:?}; use lowercase letters, digits, hyphens and dots."
            ));
        }
        let first_ok = raw.starts_with(|c: char| c.is_ascii_alphanumeric());
        let last_ok = raw.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !first_ok || !last_ok {
            return err(format!(
                "The bucket name {q} must start and end with a letter or digit."
            ));
        }
        if raw.contains("..") || raw.contains(".-") || raw.contains("-.") {
            return err(format!(
                "The bucket name {q} has two separators in a row; put letters or digits between dots and hyphens."
            ));
        }
        if raw.parse::<std::net::Ipv4Addr>().is_ok() {
            return err(format!(
                "The bucket name {q} is formatted as an IP address, which S3 refuses; use a name like example-com-state."
            ));
        }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
            if raw.starts_with(prefix) {
                return err(format!(
                    "The bucket name {q} starts with {prefix}, which S3 reserves; choose another prefix."
                ));
            }
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
            if raw.ends_with(suffix) {
                return err(format!(
                    "The bucket name {q} ends with {suffix}, which S3 reserves; choose another ending."
                ));
            }
        }
        if raw.contains('.') {
            return err(format!(
                "The bucket name {q} contains dots, which break HTTPS to the bucket; use hyphens, like {}.",
                raw.replace('.', "-")
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn parse(input: &str) -> Result<Self, InputError> {
        Self::parse_field("bucket", input)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for BucketName {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<BucketName> for String {
    fn from(value: BucketName) -> Self {
        value.0
    }
}

// ---------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------

/// The local part of the sender address (`no-reply` in `no-reply@example.com`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SenderLocalPart(String);

impl SenderLocalPart {
    pub fn parse(input: &str) -> Result<Self, InputError> {
        const F: &str = "sender";
        let raw = input.trim();
        if raw.is_empty() {
            return Err(InputError::new(
                F,
                "The sender name is empty; enter the part before the @, like no-reply.",
            ));
        }
        if let Some((local, _)) = raw.split_once('@') {
            return Err(InputError::new(
                F,
                format!(
                    "{} is a whole address; enter only the part before the @, like {}.",
                    quote(raw),
                    if local.is_empty() { "no-reply" } else { local }
                ),
            ));
        }
        if raw.len() > 64 {
            return Err(InputError::new(
                F,
                format!(
                    "The sender name is {} characters long; an address allows at most 64 before the @.",
                    raw.len()
                ),
            ));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+')))
        {
            return Err(InputError::new(
                F,
                format!(
                    "The sender name {} contains {:?}; use letters, digits, dots, hyphens, underscores or plus signs.",
                    quote(raw),
                    c
                ),
            ));
        }
        if raw.starts_with('.') || raw.ends_with('.') || raw.contains("..") {
            return Err(InputError::new(
                F,
                format!(
                    "The sender name {} has a dot at the start, the end or twice in a row; put letters between dots, like no.reply.",
                    quote(raw)
                ),
            ));
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SenderLocalPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SenderLocalPart {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SenderLocalPart> for String {
    fn from(value: SenderLocalPart) -> Self {
        value.0
    }
}

/// The owner's own inbox (`you@example.net`): where the contact form's mail goes, verified in
/// SES so that mail reaches it while the account is still in the SES sandbox.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Inbox(String);

impl Inbox {
    pub fn parse(input: &str) -> Result<Self, InputError> {
        let raw = input.trim();
        let bad = |why: &str| {
            InputError::new(
                "inbox",
                format!(
                    "{} is not an address SES can verify ({why}); enter the address you read mail at, like you@example.net.",
                    quote(raw)
                ),
            )
        };
        let Some((local, domain)) = raw.rsplit_once('@') else {
            return Err(bad("it has no @"));
        };
        let local_ok = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
        if local.is_empty() || local.len() > 64 || !local.chars().all(local_ok) {
            return Err(bad(
                "the part before the @ must be 1 to 64 letters, digits or !#$%&'*+-/=?^_`{|}~.",
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(bad(
                "the part before the @ has a dot at the start, the end or twice in a row",
            ));
        }
        let domain = domain.to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if domain.len() > 253 || !domain.contains('.') || !domain.split('.').all(label_ok) {
            return Err(bad(
                "the part after the @ is not a domain name like example.net",
            ));
        }
        Ok(Self(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain after the @.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Inbox {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Inbox> for String {
    fn from(value: Inbox) -> Self {
        value.0
    }
}

/// One MX record for mail sent to the domain (for example the registrar's forwarding service).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MxRecord {
    pub priority: u16,
    pub host: String,
}

impl MxRecord {
    /// Parses `"10 mx1.forwardemail.net"` (priority, then host). A missing priority means 10.
    pub fn parse(input: &str) -> Result<Self, InputError> {
        const F: &str = "mx";
        let raw = input.trim();
        let mut parts = raw.split_whitespace();
        let (priority, host) = match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => {
                return Err(InputError::new(
                    F,
                    "The MX record is empty; enter a priority and a mail server, like 10 mx1.forwardemail.net.",
                ));
            }
            (Some(host), None, _) => (10u32, host),
            (Some(p), Some(host), None) => match p.parse::<u32>() {
                Ok(n) => (n, host),
                Err(_) => {
                    return Err(InputError::new(
                        F,
                        format!(
                            "The MX priority {} is not a number; enter a priority from 0 to 65535 and a server, like 10 mx1.forwardemail.net.",
                            quote(p)
                        ),
                    ));
                }
            },
            _ => {
                return Err(InputError::new(
                    F,
                    format!(
                        "{} has too many parts; enter a priority and one mail server, like 10 mx1.forwardemail.net.",
                        quote(raw)
                    ),
                ));
            }
        };
        let Ok(priority) = u16::try_from(priority) else {
            return Err(InputError::new(
                F,
                format!("The MX priority {priority} is too large; use a number from 0 to 65535."),
            ));
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.parse::<std::net::IpAddr>().is_ok() {
            return Err(InputError::new(
                F,
                format!(
                    "The MX server {} is an IP address; MX records need a host name, like mx1.forwardemail.net.",
                    quote(&host)
                ),
            ));
        }
        let valid_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if host.split('.').count() < 2 || !host.split('.').all(valid_label) || host.len() > 253 {
            return Err(InputError::new(
                F,
                format!(
                    "The MX server {} is not a valid host name; enter one like mx1.forwardemail.net.",
                    quote(&host)
                ),
            ));
        }
        Ok(Self { priority, host })
    }
}

impl fmt::Display for MxRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.priority, self.host)
    }
}

/// What happens to mail sent to the domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum InboundMail {
    /// No MX record at the apex: mail to the domain bounces.
    #[default]
    None,
    /// MX records the user gives (for example the registrar's forwarding).
    Mx { records: Vec<MxRecord> },
}

impl InboundMail {
    /// Parses a comma-separated list of MX records, or `none`.
    pub fn parse(input: &str) -> Result<Self, InputError> {
        let raw = input.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("none") {
            return Ok(Self::None);
        }
        let mut records = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            records.push(MxRecord::parse(part)?);
        }
        Self::from_records(records)
    }

    pub fn from_records(records: Vec<MxRecord>) -> Result<Self, InputError> {
        if records.is_empty() {
            return Ok(Self::None);
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in &records {
            if !seen.insert(r.host.clone()) {
                return Err(InputError::new(
                    "mx",
                    format!(
                        "The MX server {} is listed twice; give each mail server once.",
                        quote(&r.host)
                    ),
                ));
            }
        }
        Ok(Self::Mx { records })
    }

    pub fn records(&self) -> &[MxRecord] {
        match self {
            Self::None => &[],
            Self::Mx { records } => records,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parts of the stack
// ---------------------------------------------------------------------------------------------

/// Which optional parts of the stack to build. The zone and email are always built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parts {
    /// S3 site bucket behind CloudFront with A/AAAA aliases at the apex.
    pub site: bool,
    /// DynamoDB single table.
    pub database: bool,
    /// Cognito user pool (and, with the API, an identity pool).
    pub users: bool,
    /// Lambda behind API Gateway.
    pub api: bool,
    /// CloudWatch log group for the Lambda, with retention.
    pub logging: bool,
}

/// One optional part of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Site,
    Database,
    Users,
    Api,
    Logging,
}

impl Part {
    pub const ALL: [Part; 5] = [
        Part::Site,
        Part::Database,
        Part::Users,
        Part::Api,
        Part::Logging,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Part::Site => "site",
            Part::Database => "database",
            Part::Users => "users",
            Part::Api => "api",
            Part::Logging => "logging",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Part::Site => "website: private S3 bucket behind CloudFront at https://<domain>",
            Part::Database => "database: one DynamoDB table with a secondary index",
            Part::Users => "users: Cognito user pool with sign-in at auth.<domain>",
            Part::Api => "api: Lambda behind API Gateway at api.<domain>",
            Part::Logging => "logging: keep the API's logs for 30 days (7 without)",
        }
    }

    /// The parts this one cannot work without.
    pub fn requires(self) -> &'static [Part] {
        match self {
            // Cognito's custom domain needs an A record at the apex, which the site provides.
            Part::Users => &[Part::Site],
            // The API stores in the table and authorises callers through the identity pool.
            Part::Api => &[Part::Database, Part::Users],
            // The log group exists for the API's function.
            Part::Logging => &[Part::Api],
            Part::Site | Part::Database => &[],
        }
    }

    pub fn parse(input: &str) -> Result<Self, InputError> {
        let raw = input.trim().to_ascii_lowercase();
        Part::ALL
            .into_iter()
            .find(|p| p.key() == raw)
            .ok_or_else(|| {
                InputError::new(
                    "parts",
                    format!(
                        "{} is not a part of the stack; choose from site, database, users, api and logging.",
                        quote(input.trim())
                    ),
                )
            })
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl Default for Parts {
    fn default() -> Self {
        Self::all()
    }
}

impl Parts {
    pub fn all() -> Self {
        Self {
            site: true,
            database: true,
            users: true,
            api: true,
            logging: true,
        }
    }

    pub fn none() -> Self {
        Self {
            site: false,
            database: false,
            users: false,
            api: false,
            logging: false,
        }
    }

    pub fn has(&self, part: Part) -> bool {
        match part {
            Part::Site => self.site,
            Part::Database => self.database,
            Part::Users => self.users,
            Part::Api => self.api,
            Part::Logging => self.logging,
        }
    }

    pub fn set(&mut self, part: Part, on: bool) {
        match part {
            Part::Site => self.site = on,
            Part::Database => self.database = on,
            Part::Users => self.users = on,
            Part::Api => self.api = on,
            Part::Logging => self.logging = on,
        }
    }

    /// Parses a comma-separated list (`site,database`), `all` or `none`, and checks dependencies.
    pub fn parse_list(input: &str) -> Result<Self, InputError> {
        let raw = input.trim();
        if raw.eq_ignore_ascii_case("all") {
            return Ok(Self::all());
        }
        let mut parts = Self::none();
        if raw.eq_ignore_ascii_case("none") {
            return Ok(parts);
        }
        let mut named = 0;
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            parts.set(Part::parse(item)?, true);
            named += 1;
        }
        if named == 0 {
            return Err(InputError::new(
                "parts",
                "The list of parts is empty; name some of site, database, users, api and logging, or write all or none.",
            ));
        }
        parts.check()?;
        Ok(parts)
    }

    /// The enabled parts, in order.
    pub fn enabled(&self) -> Vec<Part> {
        Part::ALL.into_iter().filter(|p| self.has(*p)).collect()
    }

    /// Checks that every enabled part has the parts it requires.
    pub fn check(&self) -> Result<(), InputError> {
        for part in Part::ALL {
            if !self.has(part) {
                continue;
            }
            let missing: Vec<&str> = part
                .requires()
                .iter()
                .filter(|r| !self.has(**r))
                .map(|r| r.key())
                .collect();
            if !missing.is_empty() {
                return Err(InputError::new(
                    "parts",
                    format!(
                        "The {} part needs {}; turn {} on too, or turn {} off.",
                        part.key(),
                        missing.join(" and "),
                        if missing.len() == 1 { "it" } else { "them" },
                        part.key()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Turns `part` on together with everything it requires (what a checkbox does in the form).
    pub fn enable_with_requirements(&mut self, part: Part) {
        self.set(part, true);
        for r in part.requires() {
            self.enable_with_requirements(*r);
        }
    }

    /// Turns `part` off together with everything that requires it.
    pub fn disable_with_dependents(&mut self, part: Part) {
        self.set(part, false);
        for other in Part::ALL {
            if other.requires().contains(&part) && self.has(other) {
                self.disable_with_dependents(other);
            }
        }
    }

    /// Whether an ACM certificate is needed (CloudFront, the Cognito domain or the API domain).
    pub fn needs_certificate(&self) -> bool {
        self.site || self.users || self.api
    }

    /// Whether the Cognito identity pool is built (users and API together).
    pub fn identity_pool(&self) -> bool {
        self.users && self.api
    }
}

// ---------------------------------------------------------------------------------------------
// Guardrails
// ---------------------------------------------------------------------------------------------

/// The guardrails (`[guardrails]` in siteup.toml): one alerts channel (an SNS topic that mails
/// the owner's inbox), SES bounce and complaint handling with reputation alarms, alarms on the
/// API's and the site's errors, and a monthly cost budget. On unless the owner turns them off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    pub on: bool,
    /// The monthly cost budget in US dollars: alerts at 80 % forecast and 100 % actual.
    #[serde(default = "MonthlyBudget::default")]
    pub budget_usd: MonthlyBudget,
}

impl Default for Guardrails {
    fn default() -> Self {
        Self {
            on: true,
            budget_usd: MonthlyBudget::default(),
        }
    }
}

/// One SNS topic of the guardrails' alerts: its name and region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct AlertTopic {
    pub region: String,
    pub name: String,
}

/// A monthly budget in whole US dollars, 1 to 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct MonthlyBudget(u32);

impl MonthlyBudget {
    /// The default: well above what this stack costs at rest (about a dollar a month) and low
    /// enough that a runaway function or a traffic spike shows within days.
    pub const DEFAULT_USD: u32 = 20;
    const MAX_USD: u32 = 1_000_000;

    pub fn usd(self) -> u32 {
        self.0
    }

    /// What the user typed: a whole number of dollars (`20`, `$20`, `1,000`).
    pub fn parse(input: &str) -> Result<Self, InputError> {
        let raw = input.trim();
        let digits: String = raw
            .trim_start_matches('$')
            .trim_end_matches("USD")
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '_')
            .collect();
        let value = digits.parse::<u32>().map_err(|_| {
            InputError::new(
                "budget",
                format!(
                    "{} is not a whole number of dollars; enter the monthly budget like 20.",
                    quote(raw)
                ),
            )
        })?;
        Self::try_from(value)
    }
}

impl Default for MonthlyBudget {
    fn default() -> Self {
        Self(Self::DEFAULT_USD)
    }
}

impl TryFrom<u32> for MonthlyBudget {
    type Error = InputError;

    fn try_from(value: u32) -> Result<Self, InputError> {
        if value == 0 || value > Self::MAX_USD {
            return Err(InputError::new(
                "budget",
                format!(
                    "A monthly budget of {value} dollars cannot be used; give a whole number from 1 to 1,000,000."
                ),
            ));
        }
        Ok(Self(value))
    }
}

impl From<MonthlyBudget> for u32 {
    fn from(b: MonthlyBudget) -> u32 {
        b.0
    }
}

impl fmt::Display for MonthlyBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// SiteConfig
// ---------------------------------------------------------------------------------------------

/// All answers about the site: what `siteup.toml` records and what the generator needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteConfig {
    pub domain: Domain,
    pub region: Region,
    pub name: ProjectName,
    pub state_bucket: BucketName,
    pub deploys_bucket: BucketName,
    pub site_bucket: BucketName,
    pub sender: SenderLocalPart,
    pub inbound_mail: InboundMail,
    /// The owner's inbox, verified in SES (none: no address identity and no contact form mail).
    pub inbox: Option<Inbox>,
    pub parts: Parts,
    /// Alerts, mail reputation, error alarms and a monthly cost budget.
    pub guardrails: Guardrails,
    /// The DMARC policy published at `_dmarc.<domain>` (`none` until the owner steps it up with
    /// `siteup email --dmarc`).
    pub dmarc_policy: DmarcPolicy,
}

impl SiteConfig {
    /// The answers for a domain and region with every other answer at its default.
    pub fn with_defaults(domain: Domain, region: Region) -> Self {
        let name = domain.default_name();
        let bucket = |suffix: &str| BucketName(format!("{}-{suffix}", name.as_str()));
        Self {
            state_bucket: bucket("state"),
            deploys_bucket: bucket("deploys"),
            site_bucket: bucket("site"),
            domain,
            region,
            name,
            sender: SenderLocalPart("no-reply".into()),
            inbound_mail: InboundMail::None,
            inbox: None,
            parts: Parts::all(),
            guardrails: Guardrails::default(),
            dmarc_policy: DmarcPolicy::None,
        }
    }

    /// Default bucket names for a project name.
    pub fn default_buckets(name: &ProjectName) -> [String; 3] {
        ["state", "deploys", "site"].map(|s| format!("{}-{s}", name.as_str()))
    }

    /// The SNS topics the guardrails' alerts go to, with the region of each: the site's topic
    /// in its region, and one in us-east-1 for CloudFront's alarm when the site is elsewhere (an
    /// alarm notifies only a topic of its own region). None when the guardrails are off.
    pub fn alert_topics(&self) -> Vec<AlertTopic> {
        if !self.guardrails.on {
            return Vec::new();
        }
        let mut topics = vec![AlertTopic {
            region: self.region.as_str().to_string(),
            name: format!("{}-alerts", self.name.as_str()),
        }];
        if self.parts.site && self.region.as_str() != "us-east-1" {
            topics.push(AlertTopic {
                region: "us-east-1".into(),
                name: format!("{}-alerts-edge", self.name.as_str()),
            });
        }
        topics
    }

    /// The sender address (`no-reply@example.com`).
    pub fn sender_address(&self) -> String {
        format!("{}@{}", self.sender, self.domain)
    }

    /// Checks the answers as a whole: part dependencies, distinct bucket names.
    pub fn check(&self) -> Result<(), InputError> {
        self.parts.check()?;
        if let Some(inbox) = &self.inbox
            && self.inbound_mail == InboundMail::None
            && self.domain.receives_for(inbox.domain())
        {
            return Err(InputError::new(
                "inbox",
                format!(
                    "{inbox} cannot receive mail: mail to {} goes nowhere (no MX records); give an address you read elsewhere, or the MX records of your mail service.",
                    self.domain
                ),
            ));
        }
        let names = [
            ("state_bucket", &self.state_bucket),
            ("deploys_bucket", &self.deploys_bucket),
            ("site_bucket", &self.site_bucket),
        ];
        for (i, (field, a)) in names.iter().enumerate() {
            for (other, b) in names.iter().skip(i + 1) {
                if a == b {
                    return Err(InputError::new(
                        field,
                        format!(
                            "The {} and the {} have the same name {}; give each bucket its own name.",
                            field.replace('_', " "),
                            other.replace('_', " "),
                            quote(a.as_str())
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// DMARC policy
// ---------------------------------------------------------------------------------------------

/// What receivers are asked to do with mail that fails DMARC (RFC 7489 section 6.3, `p=`):
/// `none` only reports, `quarantine` puts it in spam, `reject` refuses it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DmarcPolicy {
    #[default]
    None,
    Quarantine,
    Reject,
}

impl DmarcPolicy {
    /// From `none`, `quarantine` or `reject` (any case).
    pub fn parse(input: &str) -> Result<Self, InputError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "quarantine" => Ok(Self::Quarantine),
            "reject" => Ok(Self::Reject),
            _ => Err(InputError::new(
                "dmarc_policy",
                format!(
                    "{} is not a DMARC policy; give none, quarantine or reject.",
                    quote(input.trim())
                ),
            )),
        }
    }

    /// The value of the record's `p=` tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Quarantine => "quarantine",
            Self::Reject => "reject",
        }
    }

    pub fn is_none(&self) -> bool {
        *self == Self::None
    }
}

impl fmt::Display for DmarcPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
