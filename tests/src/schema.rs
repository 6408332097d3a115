//! Validation of JSON against the Swagger 2.0 schemas of Amazon's SP-API models (the subset
//! they use: $ref, type, properties, required, items, enum, allOf, format date-time). Strict:
//! a property the model does not declare is a violation.

use std::path::PathBuf;

use serde_json::Value;

use crate::workspace_root;

/// One operation's extract from the official model (tests/fixtures/spapi/models).
pub struct OperationModel {
    doc: Value,
}

impl OperationModel {
    pub fn load(operation: &str) -> Self {
        let path: PathBuf = workspace_root().join("tests/fixtures/spapi/models").join(format!("{operation}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
        Self { doc: serde_json::from_str(&text).unwrap_or_else(|err| panic!("parse {}: {err}", path.display())) }
    }

    pub fn response_schema(&self, status: u16) -> &Value {
        self.doc["responses"].get(status.to_string()).unwrap_or_else(|| panic!("no {status} response in the model"))
    }

    pub fn request_schema(&self) -> &Value {
        self.doc.get("request").expect("the operation has a request body")
    }

    /// The sandbox example responses for a status.
    pub fn examples(&self, status: u16) -> Vec<Value> {
        self.doc["sandbox_examples"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["status"].as_str().and_then(|s| s.parse::<u16>().ok()) == Some(status))
            .map(|e| e["response"].clone())
            .collect()
    }

    /// The whole document: the schema itself for the notification schemas.
    pub fn root(&self) -> &Value {
        &self.doc
    }

    /// Every violation of `schema` by `value`, each with its JSON path.
    pub fn violations(&self, value: &Value, schema: &Value) -> Vec<String> {
        let mut out = Vec::new();
        self.check(value, schema, "$", &mut out);
        out
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap_or_default();
                self.resolve(&self.doc["definitions"][name])
            }
            None => schema,
        }
    }

    fn check(&self, value: &Value, schema: &Value, path: &str, out: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.check(value, part, path, out);
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            out.push(format!("{path}: {value} is not one of {options:?}"));
        }
        // Swagger writes one type; the notification schemas (JSON Schema) may list several,
        // e.g. ["string", "null"] for a nullable field.
        let expected: Vec<&str> = match schema.get("type") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let type_ok = expected.is_empty()
            || expected.iter().any(|t| match *t {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                "null" => value.is_null(),
                _ => true,
            });
        if !type_ok {
            out.push(format!("{path}: expected {}, got {value}", expected.join(" or ")));
            return;
        }
        if schema.get("format").and_then(Value::as_str) == Some("date-time")
            && let Some(text) = value.as_str()
            && chrono::DateTime::parse_from_rfc3339(text).is_err()
        {
            out.push(format!("{path}: {text:?} is not an RFC 3339 date-time"));
        }
        if let Some(object) = value.as_object() {
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                if let Some(name) = required.as_str()
                    && !object.contains_key(name)
                {
                    out.push(format!("{path}: missing required {name}"));
                }
            }
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, field) in object {
                    match properties.get(name) {
                        Some(field_schema) => self.check(field, field_schema, &format!("{path}.{name}"), out),
                        // Strict: whatever we send or the simulator answers must be in Amazon's model.
                        None if schema.get("additionalProperties").is_none_or(|a| a == &Value::Bool(false)) => {
                            out.push(format!("{path}: {name} is not in the model"))
                        }
                        None => {}
                    }
                }
            }
        }
        if let (Some(items), Some(schema_items)) = (value.as_array(), schema.get("items")) {
            for (n, item) in items.iter().enumerate() {
                self.check(item, schema_items, &format!("{path}[{n}]"), out);
            }
        }
    }
}
