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
    let Some(map) = value.as_object() else {
        return Ok(Outputs::default());
    };
    Ok(collect(map.iter().map(|(name, o)| {
        (
            name.as_str(),
            o.get("sensitive").and_then(serde_json::Value::as_bool) == Some(true),
            o.get("value"),
        )
    })))
}

/// Reads the outputs an apply printed in its `-json` stream (its last `outputs` line: the
/// state's outputs once the apply is done, as `terraform output -json` would print them), so
/// the journey needs no `terraform output` run after its applies. `None` when the line carries
/// no values (a plan's line says only what will change).
pub(crate) fn from_apply(
    outputs: &BTreeMap<String, crate::terraform::events::OutputInfo>,
) -> Option<Outputs> {
    if outputs.values().any(|o| !o.sensitive && o.value.is_none()) {
        return None;
    }
    Some(collect(outputs.iter().map(|(name, o)| {
        (name.as_str(), o.sensitive, o.value.as_ref())
    })))
}

/// Every output that is not sensitive, as text, and the nameservers and zone id.
fn collect<'a>(
    entries: impl Iterator<Item = (&'a str, bool, Option<&'a serde_json::Value>)>,
) -> Outputs {
    let mut outputs = Outputs::default();
    for (name, sensitive, value) in entries {
        if sensitive {
            continue;
        }
        let text = match value {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        if name == output::NAME_SERVERS {
            outputs.nameservers = value
                .and_then(serde_json::Value::as_array)
                .map(|ns| {
                    ns.iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
        }
        if name == output::ZONE_ID {
            outputs.zone_id = value
                .and_then(serde_json::Value::as_str)
                .map(str::to_string);
        }
        outputs.values.insert(name.to_string(), text);
    }
    outputs
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

    /// The apply's own `outputs` lines, as terraform 1.11 prints them (here for a targeted
    /// apply: a plan's line first, without values, then the applied state's).
    #[test]
    fn an_apply_s_last_outputs_line_reads_as_terraform_output_does() {
        use crate::terraform::events::{TfEvent, parse_line};
        let of = |line: &str| match parse_line(line) {
            TfEvent::Outputs(map) => map,
            other => panic!("not an outputs line: {other:?}"),
        };
        let planned = of(
            r#"{"@level":"info","@message":"Outputs: 2","@module":"terraform.ui","outputs":{"zone_id":{"sensitive":false,"action":"create"},"name_servers":{"sensitive":false,"action":"create"}},"type":"outputs"}"#,
        );
        assert_eq!(from_apply(&planned), None, "a plan's line has no values");
        let applied = of(
            r#"{"@level":"info","@message":"Outputs: 3","@module":"terraform.ui","outputs":{"zone_id":{"sensitive":false,"type":"string","value":"Z123"},"name_servers":{"sensitive":false,"type":["list","string"],"value":["ns-1.awsdns-01.org","ns-2.awsdns-02.com"]},"api_key":{"sensitive":true,"type":"string"}},"type":"outputs"}"#,
        );
        let printed = br#"{
            "zone_id": {"sensitive": false, "type": "string", "value": "Z123"},
            "name_servers": {"sensitive": false, "type": ["list","string"], "value": ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"]},
            "api_key": {"sensitive": true, "type": "string", "value": "secret"}
        }"#;
        assert_eq!(from_apply(&applied), Some(parse(printed).expect("parses")));
    }
}
