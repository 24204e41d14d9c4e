//! YAML output: multi-document streams that `kubectl apply -f -` reads.

use serde_json::Value;

/// Why a value could not be written as YAML.
#[derive(Debug, thiserror::Error)]
#[error("failed to write YAML: {0}")]
pub struct YamlError(String);

/// One YAML document (no leading `---`).
pub fn to_yaml(value: &Value) -> Result<String, YamlError> {
    serde_saphyr::to_string(value).map_err(|e| YamlError(e.to_string()))
}

/// Documents separated by `---`, each one complete.
pub fn to_yaml_stream(values: &[Value]) -> Result<String, YamlError> {
    let mut out = String::new();
    for v in values {
        out.push_str("---\n");
        out.push_str(&to_yaml(v)?);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_parser() {
        let docs = vec![
            serde_json::json!({"kind": "A", "data": {"k": "1", "yes": "true", "n": 1, "multi": "a\nb\n"}}),
            serde_json::json!({"kind": "B", "list": [{"x": "0777"}], "empty": {}}),
        ];
        let text = to_yaml_stream(&docs).expect("yaml");
        let back = crate::manifest::parse_documents(&text).expect("parse");
        assert_eq!(back, docs, "{text}");
    }
}
