//! `siteup.toml`: the user's answers, human-readable, versioned, meant to be committed.
//!
//! It never holds a credential: only the profile *name* is recorded.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::site::{
    BucketName, DmarcPolicy, Domain, Guardrails, InboundMail, Inbox, InputError, Parts,
    ProjectName, Region, SenderLocalPart, SiteConfig,
};

/// The schema version this siteup writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The file name, at the root of the project folder.
pub const FILE_NAME: &str = "siteup.toml";

/// The on-disk shape of `siteup.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteupToml {
    /// Schema version of this file.
    pub schema: u32,
    pub site: SiteSection,
    pub buckets: BucketsSection,
    pub email: EmailSection,
    pub parts: Parts,
    /// Absent in files written before the guardrails existed: they are on.
    #[serde(default)]
    pub guardrails: Guardrails,
    #[serde(default, skip_serializing_if = "AwsSection::is_empty")]
    pub aws: AwsSection,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSection {
    pub domain: Domain,
    pub region: Region,
    pub name: ProjectName,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketsSection {
    pub state: BucketName,
    pub deploys: BucketName,
    pub site: BucketName,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSection {
    /// The part before the @ of the sender address.
    pub sender: SenderLocalPart,
    /// What happens to mail sent to the domain.
    pub inbound: InboundMail,
    /// The owner's own inbox, verified in SES (the contact form's recipient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<Inbox>,
    /// The DMARC policy (`none` when absent: files written before it existed still load).
    #[serde(default, skip_serializing_if = "DmarcPolicy::is_none")]
    pub dmarc_policy: DmarcPolicy,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSection {
    /// The AWS profile name chosen in the wizard (never credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl AwsSection {
    fn is_empty(&self) -> bool {
        self.profile.is_none()
    }
}

/// Why siteup.toml could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("Could not read {path}: {}.", crate::words::io_advice(source))]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}; fix the file or move it away and run siteup again.")]
    Parse { path: String, message: String },
    #[error(
        "{path} was written by a newer siteup (schema {found}, this siteup reads up to {SCHEMA_VERSION}); upgrade siteup."
    )]
    TooNew { path: String, found: u32 },
    #[error("{path}: {source}")]
    Invalid {
        path: String,
        #[source]
        source: InputError,
    },
    #[error(
        "{path} is a symbolic link to a file that does not exist; create that file or remove the link, then run siteup again."
    )]
    DanglingLink { path: String },
    #[error("Could not write {path}: {}.", crate::words::io_advice(source))]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl SiteupToml {
    pub fn from_config(config: &SiteConfig, profile: Option<String>) -> Self {
        Self {
            schema: SCHEMA_VERSION,
            site: SiteSection {
                domain: config.domain.clone(),
                region: config.region.clone(),
                name: config.name.clone(),
            },
            buckets: BucketsSection {
                state: config.state_bucket.clone(),
                deploys: config.deploys_bucket.clone(),
                site: config.site_bucket.clone(),
            },
            email: EmailSection {
                sender: config.sender.clone(),
                inbound: config.inbound_mail.clone(),
                inbox: config.inbox.clone(),
                dmarc_policy: config.dmarc_policy,
            },
            parts: config.parts,
            guardrails: config.guardrails,
            aws: AwsSection { profile },
        }
    }

    pub fn to_config(&self) -> SiteConfig {
        SiteConfig {
            domain: self.site.domain.clone(),
            region: self.site.region.clone(),
            name: self.site.name.clone(),
            state_bucket: self.buckets.state.clone(),
            deploys_bucket: self.buckets.deploys.clone(),
            site_bucket: self.buckets.site.clone(),
            sender: self.email.sender.clone(),
            inbound_mail: self.email.inbound.clone(),
            inbox: self.email.inbox.clone(),
            parts: self.parts,
            guardrails: self.guardrails,
            dmarc_policy: self.email.dmarc_policy,
        }
    }

    /// Parses the text of a siteup.toml; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SettingsError> {
        let shown = path.display().to_string();
        // Read the schema first so a newer file gets the upgrade message, not a field error.
        #[derive(Deserialize)]
        struct Probe {
            schema: Option<u32>,
        }
        if let Ok(Probe {
            schema: Some(found),
        }) = toml::from_str::<Probe>(text)
            && found > SCHEMA_VERSION
        {
            return Err(SettingsError::TooNew { path: shown, found });
        }
        let parsed: SiteupToml = toml::from_str(text).map_err(|e| SettingsError::Parse {
            path: shown.clone(),
            message: one_line(e.message()),
        })?;
        let invalid = |source| SettingsError::Invalid {
            path: shown.clone(),
            source,
        };
        parsed.to_config().check().map_err(invalid)?;
        if let Some(profile) = &parsed.aws.profile {
            check_profile_name(profile).map_err(invalid)?;
        }
        Ok(parsed)
    }

    /// The file's text: a short header, then the answers.
    pub fn render(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!(
            "# siteup.toml: the answers siteup works from. Safe to commit: it holds no credentials.\n\
             # Edit it and run `siteup generate` to refresh terraform/.\n\n{body}"
        )
    }
}

/// A profile name as siteup records it: not empty, no control characters (it is printed and
/// pasted into suggested commands).
pub fn check_profile_name(name: &str) -> Result<(), InputError> {
    if name.trim().is_empty() {
        return Err(InputError {
            field: "profile",
            message: "The AWS profile name is empty; write a profile's name, or remove the line to choose one in the wizard.".into(),
        });
    }
    if name.chars().any(char::is_control) {
        return Err(InputError {
            field: "profile",
            message:
                "The AWS profile name contains a control character; write the name without it."
                    .into(),
        });
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches('.')
        .to_string()
}

/// The path of siteup.toml in a project folder.
pub fn path_in(project_dir: &Path) -> PathBuf {
    project_dir.join(FILE_NAME)
}

/// Loads siteup.toml from a project folder; `Ok(None)` when there is none (a link to a file
/// that does not exist is an error: the answers would be written nowhere).
pub fn load(project_dir: &Path) -> Result<Option<SiteupToml>, SettingsError> {
    let path = path_in(project_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => SiteupToml::parse(&text, &path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(&path).is_ok() {
                return Err(SettingsError::DanglingLink {
                    path: path.display().to_string(),
                });
            }
            Ok(None)
        }
        Err(source) => Err(SettingsError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Saves siteup.toml atomically; returns whether the file changed (unchanged answers: not
/// written, not one byte).
///
/// The file invites editing, so an existing one keeps the user's comments, order and spacing:
/// only the values that differ are replaced (each keeping the comment after it), missing keys
/// are added and keys no longer needed removed. A symbolic link stays a link: its target gets
/// the new text.
pub fn save(project_dir: &Path, settings: &SiteupToml) -> Result<bool, SettingsError> {
    let path = path_in(project_dir);
    let shown = path.display().to_string();
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(&path).is_ok() {
                return Err(SettingsError::DanglingLink { path: shown });
            }
            None
        }
        Err(source) => {
            return Err(SettingsError::Read {
                path: shown,
                source,
            });
        }
    };
    let text = match &existing {
        Some(old) => {
            if SiteupToml::parse(old, &path).is_ok_and(|current| current == *settings) {
                return Ok(false);
            }
            edit_preserving(old, settings, &path).unwrap_or_else(|| settings.render())
        }
        None => settings.render(),
    };
    if existing.as_deref() == Some(text.as_str()) {
        return Ok(false);
    }
    crate::project::atomic::write_atomic_through_link(&path, text.as_bytes()).map_err(
        |source| SettingsError::Write {
            path: shown,
            source,
        },
    )?;
    Ok(true)
}

/// `old` with only what differs from `settings` changed, or `None` when `old` cannot be edited
/// into text that reads back as exactly `settings` (the caller then writes a fresh file).
fn edit_preserving(old: &str, settings: &SiteupToml, path: &Path) -> Option<String> {
    let mut doc: toml_edit::DocumentMut = old.parse().ok()?;
    let wanted: toml_edit::DocumentMut = settings.render().parse().ok()?;
    merge_table(doc.as_table_mut(), wanted.as_table());
    let text = doc.to_string();
    match SiteupToml::parse(&text, path) {
        Ok(back) if back == *settings => Some(text),
        _ => None,
    }
}

/// Makes `old` hold the same keys and values as `new`, touching only what differs.
fn merge_table(old: &mut dyn toml_edit::TableLike, new: &dyn toml_edit::TableLike) {
    let gone: Vec<String> = old
        .iter()
        .map(|(k, _)| k.to_string())
        .filter(|k| !new.contains_key(k))
        .collect();
    for k in gone {
        old.remove(&k);
    }
    for (k, new_item) in new.iter() {
        match old.get_mut(k) {
            Some(old_item) => merge_item(old_item, new_item),
            None => {
                old.insert(k, detached(new_item));
            }
        }
    }
}

fn merge_item(old: &mut toml_edit::Item, new: &toml_edit::Item) {
    use toml_edit::Item;
    if same_item(old, new) {
        return;
    }
    if let (Some(o), Some(n)) = (old.as_table_like_mut(), new.as_table_like()) {
        merge_table(o, n);
        return;
    }
    let mut replacement = detached(new);
    if let (Item::Value(o), Item::Value(r)) = (&*old, &mut replacement) {
        // Keep the spacing and the comment around the old value.
        *r.decor_mut() = o.decor().clone();
    }
    *old = replacement;
}

/// A copy of `item` from another document, with that document's table positions cleared (so it
/// is placed after its neighbours here).
fn detached(item: &toml_edit::Item) -> toml_edit::Item {
    fn clear(table: &mut toml_edit::Table) {
        table.set_position(None);
        for (_, item) in table.iter_mut() {
            clear_item(item);
        }
    }
    fn clear_item(item: &mut toml_edit::Item) {
        match item {
            toml_edit::Item::Table(t) => clear(t),
            toml_edit::Item::ArrayOfTables(a) => a.iter_mut().for_each(clear),
            _ => {}
        }
    }
    let mut item = item.clone();
    clear_item(&mut item);
    item
}

/// Whether two items hold the same data, whatever their formatting.
fn same_item(a: &toml_edit::Item, b: &toml_edit::Item) -> bool {
    use toml_edit::Item;
    match (a, b) {
        (Item::Value(x), Item::Value(y)) => same_value(x, y),
        (Item::ArrayOfTables(x), Item::ArrayOfTables(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(x, y)| same_table(x, y))
        }
        _ => match (a.as_table_like(), b.as_table_like()) {
            (Some(x), Some(y)) => same_table(x, y),
            _ => false,
        },
    }
}

fn same_table(a: &dyn toml_edit::TableLike, b: &dyn toml_edit::TableLike) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(k, x)| b.get(k).is_some_and(|y| same_item(x, y)))
}

fn same_value(a: &toml_edit::Value, b: &toml_edit::Value) -> bool {
    use toml_edit::Value;
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Integer(x), Value::Integer(y)) => x.value() == y.value(),
        (Value::Float(x), Value::Float(y)) => x.value() == y.value(),
        (Value::Boolean(x), Value::Boolean(y)) => x.value() == y.value(),
        (Value::Datetime(x), Value::Datetime(y)) => x.value() == y.value(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(x, y)| same_value(x, y))
        }
        (Value::InlineTable(x), Value::InlineTable(y)) => same_table(x, y),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::MxRecord;

    fn sample() -> SiteConfig {
        let mut c = SiteConfig::with_defaults(
            Domain::parse("example.com").expect("domain"),
            Region::parse("eu-west-1").expect("region"),
        );
        c.inbound_mail = InboundMail::Mx {
            records: vec![MxRecord {
                priority: 10,
                host: "mx1.forwardemail.net".into(),
            }],
        };
        c
    }

    #[test]
    fn round_trips_through_text() {
        let settings = SiteupToml::from_config(&sample(), Some("work".into()));
        let text = settings.render();
        let back = SiteupToml::parse(&text, Path::new("siteup.toml")).expect("parses");
        assert_eq!(back, settings);
        assert!(text.contains("domain = \"example.com\""), "{text}");
        assert!(text.contains("schema = 1"), "{text}");
    }

    #[test]
    fn the_dmarc_policy_is_recorded_only_once_stepped_up() {
        let text = SiteupToml::from_config(&sample(), None).render();
        assert!(!text.contains("dmarc_policy"), "{text}");
        let old = SiteupToml::parse(&text, Path::new("siteup.toml")).expect("an old file loads");
        assert_eq!(old.to_config().dmarc_policy, DmarcPolicy::None);
        let mut stepped = sample();
        stepped.dmarc_policy = DmarcPolicy::Quarantine;
        let text = SiteupToml::from_config(&stepped, None).render();
        assert!(text.contains("dmarc_policy = \"quarantine\""), "{text}");
        let back = SiteupToml::parse(&text, Path::new("siteup.toml")).expect("parses");
        assert_eq!(back.to_config(), stepped);
        let bad = text.replace("\"quarantine\"", "\"strict\"");
        let err = SiteupToml::parse(&bad, Path::new("siteup.toml")).expect_err("unknown policy");
        assert!(err.to_string().contains("strict"), "{err}");
    }

    #[test]
    fn newer_schema_asks_for_an_upgrade() {
        let text = SiteupToml::from_config(&sample(), None)
            .render()
            .replace("schema = 1", "schema = 7");
        let err = SiteupToml::parse(&text, Path::new("siteup.toml")).expect_err("too new");
        assert!(err.to_string().contains("upgrade siteup"), "{err}");
    }

    #[test]
    fn invalid_values_are_reported_with_the_field_message() {
        let text = SiteupToml::from_config(&sample(), None)
            .render()
            .replace("\"example.com\"", "\"https://example.com\"");
        let err = SiteupToml::parse(&text, Path::new("siteup.toml")).expect_err("invalid");
        assert!(err.to_string().contains("includes a scheme"), "{err}");
    }

    #[test]
    fn an_empty_or_hostile_profile_name_is_refused() {
        for bad in ["", "  ", "--x\u{1b}[2J"] {
            let text = SiteupToml::from_config(&sample(), Some(bad.into())).render();
            let err = SiteupToml::parse(&text, Path::new("siteup.toml")).expect_err("refused");
            assert!(err.to_string().contains("profile name"), "{err}");
            assert!(!err.to_string().contains('\u{1b}'), "{err}");
        }
    }

    #[test]
    fn broken_dependencies_are_refused() {
        let text = SiteupToml::from_config(&sample(), None)
            .render()
            .replace("database = true", "database = false");
        let err = SiteupToml::parse(&text, Path::new("siteup.toml")).expect_err("invalid");
        assert!(err.to_string().contains("api part needs database"), "{err}");
    }

    #[test]
    fn saving_unchanged_answers_does_not_touch_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = SiteupToml::from_config(&sample(), None);
        assert!(save(dir.path(), &settings).expect("first save"));
        let before = std::fs::metadata(path_in(dir.path()))
            .and_then(|m| m.modified())
            .expect("mtime");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!save(dir.path(), &settings).expect("second save"));
        let after = std::fs::metadata(path_in(dir.path()))
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(before, after);
    }

    #[test]
    fn saving_changed_answers_keeps_comments_and_changes_only_those_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path_in(dir.path());
        let mut config = sample();
        let text = SiteupToml::from_config(&config, None)
            .render()
            .replace("region = \"eu-west-1\"", "region   =  'eu-west-1'  # ours")
            .replace("[parts]", "# parts we pay for\n[parts]")
            + "# the end\n";
        std::fs::write(&path, &text).expect("write");

        config.region = Region::parse("eu-north-1").expect("region");
        config.inbound_mail = InboundMail::None;
        assert!(
            save(
                dir.path(),
                &SiteupToml::from_config(&config, Some("work".into()))
            )
            .expect("save")
        );
        let after = std::fs::read_to_string(&path).expect("read");
        assert!(
            after.contains("region   =  \"eu-north-1\"  # ours\n"),
            "{after}"
        );
        assert!(after.contains("# parts we pay for\n[parts]"), "{after}");
        assert!(after.contains("# the end"), "{after}");
        assert!(after.starts_with("# siteup.toml: the answers"), "{after}");
        assert!(!after.contains("mx1.forwardemail.net"), "{after}");
        assert!(after.contains("[aws]\nprofile = \"work\""), "{after}");
        let back = SiteupToml::parse(&after, &path).expect("parses");
        assert_eq!(back, SiteupToml::from_config(&config, Some("work".into())));

        // Back to no profile: the section goes, the rest stays as the user wrote it.
        assert!(save(dir.path(), &SiteupToml::from_config(&config, None)).expect("save"));
        let again = std::fs::read_to_string(&path).expect("read");
        assert_eq!(again, after.replace("\n[aws]\nprofile = \"work\"\n", ""));
    }

    #[test]
    fn saving_equal_answers_written_differently_changes_no_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path_in(dir.path());
        let settings = SiteupToml::from_config(&sample(), None);
        let text = settings
            .render()
            .replace("domain = \"example.com\"", "domain='example.com'#mine");
        std::fs::write(&path, &text).expect("write");
        assert!(!save(dir.path(), &settings).expect("save"));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_nothing_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path_in(dir.path());
        std::os::unix::fs::symlink(dir.path().join("gone.toml"), &path).expect("symlink");
        let err = load(dir.path()).expect_err("dangling");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let settings = SiteupToml::from_config(&sample(), None);
        assert!(save(dir.path(), &settings).is_err());
        assert!(
            std::fs::symlink_metadata(&path)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
    }
}
