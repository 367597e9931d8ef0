//! Route 53: the public hosted zone(s) for the domain and their nameservers, and how to adopt an
//! existing zone instead of creating one with new nameservers.

use std::fmt;

use serde::Serialize;

/// One record set of a hosted zone: its name (lowercase, no trailing dot) and type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ZoneRecord {
    pub name: String,
    pub kind: String,
}

impl ZoneRecord {
    /// Whether it is one of the zone's own records (the apex SOA and NS), which go with it.
    pub fn is_zone_own(&self, zone_name: &str) -> bool {
        matches!(self.kind.as_str(), "SOA" | "NS") && self.name == normalize_zone_name(zone_name)
    }
}

/// A public hosted zone for the domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostedZone {
    /// The zone id without the `/hostedzone/` prefix (`Z0123456789ABC`).
    pub id: String,
    /// The zone name, lowercase, without the trailing dot.
    pub name: String,
    /// The delegation set's nameservers, as Route 53 lists them (no trailing dot).
    pub nameservers: Vec<String>,
    /// How many records the zone holds (2 means only its own SOA and NS).
    pub record_count: Option<i64>,
    pub comment: Option<String>,
}

/// One zone as ListHostedZonesByName lists it, before its nameservers are fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSummary {
    pub id: String,
    pub name: String,
    pub private: bool,
    pub record_count: Option<i64>,
    pub comment: Option<String>,
}

/// Lowercase, no trailing dot, Route 53's octal `\DDD` escapes decoded (`\052` is `*`).
pub fn normalize_zone_name(name: &str) -> String {
    let name = name.trim();
    let name = name.strip_suffix('.').unwrap_or(name);
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 4 <= chars.len() {
            let digits: Option<u32> = chars[i + 1..i + 4]
                .iter()
                .try_fold(0u32, |acc, c| c.to_digit(8).map(|d| acc * 8 + d));
            if let Some(c) = digits.and_then(char::from_u32) {
                out.push(c);
                i += 4;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out.to_ascii_lowercase()
}

/// Whether a zone name is exactly the domain (case and trailing dot aside).
pub fn zone_name_matches(zone_name: &str, domain: &str) -> bool {
    normalize_zone_name(zone_name) == normalize_zone_name(domain)
}

/// The zone id without its `/hostedzone/` prefix.
pub fn bare_zone_id(id: &str) -> String {
    id.trim()
        .trim_start_matches("/hostedzone/")
        .trim_start_matches("hostedzone/")
        .to_string()
}

/// What one page of ListHostedZonesByName (which starts at the domain and goes on in order)
/// contributes: the public zones named exactly `domain`, and whether the listing has gone past
/// the domain, so that no later page can hold another one.
pub fn matching_zones(domain: &str, page: &[ZoneSummary]) -> (Vec<ZoneSummary>, bool) {
    let mut found = Vec::new();
    let mut passed = false;
    for zone in page {
        if zone_name_matches(&zone.name, domain) {
            if !zone.private {
                found.push(zone.clone());
            }
        } else {
            passed = true;
        }
    }
    (found, passed)
}

/// The `terraform import` that adopts an existing zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneImport {
    /// The resource address (`aws_route53_zone.main`).
    pub address: String,
    /// The zone id (`Z0123456789ABC`).
    pub id: String,
}

impl ZoneImport {
    pub fn new(address: &str, zone: &HostedZone) -> Self {
        Self {
            address: address.to_string(),
            id: zone.id.clone(),
        }
    }

    /// `terraform import aws_route53_zone.main Z0123456789ABC`
    pub fn command(&self) -> String {
        format!("terraform import {} {}", self.address, self.id)
    }
}

impl fmt::Display for ZoneImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.command())
    }
}

/// What to tell the user when zones for the domain already exist (None when there are none).
pub fn existing_zones_message(domain: &str, zones: &[HostedZone]) -> Option<String> {
    match zones {
        [] => None,
        [zone] => Some(format!(
            "Route 53 already has a hosted zone for {domain} ({}, nameservers {}); siteup will adopt it instead of creating a new one, so the nameservers stay the same{}.",
            zone.id,
            zone.nameservers.join(", "),
            if zone.record_count.unwrap_or(0) > 2 {
                format!(
                    " and its {} existing records are kept",
                    zone.record_count.unwrap_or(0) - 2
                )
            } else {
                String::new()
            }
        )),
        several => {
            let mut ids: Vec<&str> = several.iter().map(|z| z.id.as_str()).collect();
            ids.sort_unstable();
            Some(format!(
                "Route 53 has {} hosted zones for {domain} ({}) and the registry delegates the domain to none of them, so siteup cannot tell which one to adopt; delete the zones you do not use, or point your registrar at the one to keep, and run siteup again.",
                several.len(),
                ids.join(", ")
            ))
        }
    }
}

/// Which existing zone to adopt: the one whose nameservers match `delegated` (what the registry
/// lists for the domain), else the only one; None when that cannot be decided.
pub fn zone_to_adopt<'a>(zones: &'a [HostedZone], delegated: &[String]) -> Option<&'a HostedZone> {
    let norm = |s: &str| normalize_zone_name(s);
    let mut wanted: Vec<String> = delegated.iter().map(|n| norm(n)).collect();
    wanted.sort();
    if !wanted.is_empty() {
        let hit = zones.iter().find(|z| {
            let mut ns: Vec<String> = z.nameservers.iter().map(|n| norm(n)).collect();
            ns.sort();
            ns == wanted
        });
        if hit.is_some() {
            return hit;
        }
    }
    match zones {
        [only] => Some(only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apex_soa_and_ns_are_the_zone_own_records() {
        let r = |name: &str, kind: &str| ZoneRecord {
            name: name.into(),
            kind: kind.into(),
        };
        assert!(r("example.com", "NS").is_zone_own("Example.com."));
        assert!(r("example.com", "SOA").is_zone_own("example.com"));
        assert!(!r("dev.example.com", "NS").is_zone_own("example.com"));
        assert!(!r("example.com", "TXT").is_zone_own("example.com"));
    }

    fn summary(name: &str, private: bool) -> ZoneSummary {
        ZoneSummary {
            id: format!("Z{}", name.len()),
            name: name.to_string(),
            private,
            record_count: Some(2),
            comment: None,
        }
    }

    #[test]
    fn names_compare_exactly_with_or_without_the_dot() {
        assert!(zone_name_matches("example.com.", "example.com"));
        assert!(zone_name_matches("Example.COM", "example.com."));
        assert!(!zone_name_matches("myexample.com.", "example.com"));
        assert!(!zone_name_matches("sub.example.com.", "example.com"));
        assert!(!zone_name_matches("example.com.au.", "example.com"));
        assert!(!zone_name_matches("example.co.", "example.com"));
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(normalize_zone_name("\\052.example.com."), "*.example.com");
        assert_eq!(normalize_zone_name("a\\\\b"), "a\\\\b");
    }

    #[test]
    fn a_page_yields_exact_public_matches_and_stops_after_them() {
        let page = vec![
            summary("example.com.", false),
            summary("example.com.", true),
            summary("sub.example.com.", false),
        ];
        let (found, passed) = matching_zones("example.com", &page);
        assert_eq!(found.len(), 1);
        assert!(!found[0].private);
        assert!(passed);
        let (found, passed) = matching_zones("example.com", &[summary("example.com.", false)]);
        assert_eq!(found.len(), 1);
        assert!(!passed, "an all-matching page may continue on the next one");
        let (found, passed) = matching_zones("example.com", &[summary("myexample.com.", false)]);
        assert!(found.is_empty());
        assert!(passed);
    }

    #[test]
    fn zone_ids_lose_their_prefix() {
        assert_eq!(bare_zone_id("/hostedzone/Z123"), "Z123");
        assert_eq!(bare_zone_id("Z123"), "Z123");
    }

    fn zone(id: &str, ns: &[&str]) -> HostedZone {
        HostedZone {
            id: id.into(),
            name: "example.com".into(),
            nameservers: ns.iter().map(std::string::ToString::to_string).collect(),
            record_count: Some(5),
            comment: None,
        }
    }

    #[test]
    fn import_address_and_id() {
        let z = zone("Z123", &["ns-1.awsdns-01.org"]);
        let import = ZoneImport::new("aws_route53_zone.main", &z);
        assert_eq!(
            import.command(),
            "terraform import aws_route53_zone.main Z123"
        );
    }

    #[test]
    fn messages_for_existing_zones() {
        assert_eq!(existing_zones_message("example.com", &[]), None);
        let one = existing_zones_message("example.com", &[zone("Z1", &["ns-1.awsdns-01.org"])])
            .expect("message");
        assert!(one.contains("Z1"), "{one}");
        assert!(one.contains("3 existing records"), "{one}");
        let two = existing_zones_message("example.com", &[zone("Z1", &[]), zone("Z2", &[])])
            .expect("message");
        assert!(two.contains("2 hosted zones"), "{two}");
    }

    #[test]
    fn the_delegated_zone_is_the_one_to_adopt() {
        let zones = vec![
            zone("Z1", &["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"]),
            zone("Z2", &["ns-3.awsdns-03.org", "ns-4.awsdns-04.com"]),
        ];
        let delegated = vec![
            "NS-4.awsdns-04.com.".to_string(),
            "ns-3.awsdns-03.org".to_string(),
        ];
        assert_eq!(
            zone_to_adopt(&zones, &delegated).map(|z| z.id.as_str()),
            Some("Z2")
        );
        assert_eq!(zone_to_adopt(&zones, &[]), None);
        assert_eq!(
            zone_to_adopt(&zones[..1], &[]).map(|z| z.id.as_str()),
            Some("Z1")
        );
    }
}
