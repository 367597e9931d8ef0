//! `terraform output -json`, read: every output that is not sensitive as text, and the zone's
//! nameservers and id as the journey needs them.

use std::collections::BTreeMap;

use crate::tfgen::names::output;

/// The outputs of an applied stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outputs {
    /// Each non-sensitive output as one line of text (lists joined with ", ").
    pub values: BTreeMap<String, String>,
    /// `name_servers`, one per entry.
    pub nameservers: Vec<String>,
    /// `zone_id`.
    pub zone_id: Option<String>,
}

/// Reads what `terraform output -json` printed.
pub(crate) fn parse(json: &[u8]) -> Result<Outputs, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_slice(json)?;
    let mut outputs = Outputs::default();
    let Some(map) = value.as_object() else {
        return Ok(outputs);
    };
    for (name, o) in map {
        if o.get("sensitive").and_then(serde_json::Value::as_bool) == Some(true) {
            continue;
        }
        let text = match o.get("value") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        outputs.values.insert(name.clone(), text);
    }
    let value_of = |name: &str| map.get(name).and_then(|o| o.get("value"));
    outputs.nameservers = value_of(output::NAME_SERVERS)
        .and_then(serde_json::Value::as_array)
        .map(|ns| {
            ns.iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    outputs.zone_id = value_of(output::ZONE_ID)
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_strings_and_leaves_sensitive_outputs_out() {
        let json = br#"{
            "name_servers": {"sensitive": false, "type": ["list","string"], "value": ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"]},
            "zone_id": {"sensitive": false, "type": "string", "value": "Z123"},
            "api_key": {"sensitive": true, "type": "string", "value": "secret"},
            "port": {"sensitive": false, "type": "number", "value": 443}
        }"#;
        let o = parse(json).expect("parses");
        assert_eq!(o.nameservers, ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"]);
        assert_eq!(o.zone_id.as_deref(), Some("Z123"));
        assert_eq!(
            o.values.get("name_servers").map(String::as_str),
            Some("ns-1.awsdns-01.org, ns-2.awsdns-02.com")
        );
        assert_eq!(o.values.get("port").map(String::as_str), Some("443"));
        assert!(!o.values.contains_key("api_key"));
    }

    #[test]
    fn no_outputs_and_bad_json() {
        assert_eq!(parse(b"{}").expect("parses"), Outputs::default());
        assert!(parse(b"not json").is_err());
    }
}
