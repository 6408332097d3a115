//! The CDK app (infra/cdk) declares what template.yaml declares: its synthesized template is
//! compared, resource by resource and property by property, with template.yaml expanded into
//! plain CloudFormation by aws-sam-translator (what `sam deploy` hands CloudFormation).
//! `infra/cdk/synth.sh` makes both files (the test command runs it first) and names them in
//! `AUTOPILOT_CDK_TEMPLATE` and `AUTOPILOT_SAM_EXPANDED`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

fn load(variable: &str) -> Value {
    let path = std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} is not set: run infra/local/test.sh, or infra/cdk/synth.sh and export what it prints")
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {path}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("parse {path}: {err}"))
}

/// Each function role's policies as one sorted list of statements (policy names and document
/// versions aside, a lone action as a list of one), its managed policies sorted.
fn normalise_role(properties: &mut Map<String, Value>) {
    let mut statements = Vec::new();
    for policy in properties.remove("Policies").and_then(|p| p.as_array().cloned()).unwrap_or_default() {
        for mut statement in policy["PolicyDocument"]["Statement"].as_array().cloned().unwrap_or_default() {
            if let Some(Value::String(one)) = statement.get("Action").cloned() {
                statement["Action"] = Value::Array(vec![Value::String(one)]);
            }
            statements.push(statement);
        }
    }
    statements.sort_by_key(|s| s.to_string());
    statements.dedup();
    properties.insert("PolicyStatements".into(), Value::Array(statements));
    if let Some(Value::Array(arns)) = properties.get_mut("ManagedPolicyArns") {
        arns.sort_by_key(|a| a.to_string());
    }
}

/// What parity is about in one resource: its type, condition, deletion policies and
/// properties, minus what only says which tool made it (SAM's `lambda:createdBy` tag, CDK's
/// metadata) and the code's location (an S3 key either way).
fn normalise(resource: &Value) -> Value {
    let kind = resource["Type"].as_str().unwrap_or_default().to_string();
    let mut properties = resource["Properties"].as_object().cloned().unwrap_or_default();
    if let Some(Value::Array(tags)) = properties.get_mut("Tags") {
        tags.retain(|t| t["Key"] != "lambda:createdBy");
        if tags.is_empty() {
            properties.remove("Tags");
        }
    }
    match kind.as_str() {
        "AWS::Lambda::Function" => {
            properties.remove("Code");
        }
        "AWS::IAM::Role" => normalise_role(&mut properties),
        _ => {}
    }
    let policy = |key: &str| resource.get(key).cloned().unwrap_or(Value::String("Delete".into()));
    serde_json::json!({
        "Type": kind,
        "Condition": resource.get("Condition").cloned().unwrap_or(Value::Null),
        "DeletionPolicy": policy("DeletionPolicy"),
        "UpdateReplacePolicy": policy("UpdateReplacePolicy"),
        "Properties": Value::Object(properties),
    })
}

/// Every difference between `sam` and `cdk` under `path`, as "path: SAM has x, CDK has y".
fn differences(path: &str, sam: &Value, cdk: &Value, out: &mut Vec<String>) {
    match (sam, cdk) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let (x, y) = (a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null));
                differences(&format!("{path}.{key}"), x, y, out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ if sam == cdk => {}
        _ => out.push(format!("{path}: SAM has {sam}, CDK has {cdk}")),
    }
}

/// A parameter's type, default and allowed values, as text (CDK writes a number's allowed
/// values as strings).
fn parameter(value: &Value) -> Value {
    let text = |v: &Value| match v {
        Value::String(s) => Value::String(s.clone()),
        Value::Null => Value::Null,
        other => Value::String(other.to_string()),
    };
    let allowed = value["AllowedValues"].as_array().map(|list| list.iter().map(text).collect::<Vec<_>>());
    serde_json::json!({
        "Type": value["Type"],
        "Default": text(&value["Default"]),
        "AllowedValues": allowed,
        "AllowedPattern": value["AllowedPattern"],
    })
}

/// All differences between the two templates, each naming the resource (or parameter,
/// condition, output) and the property.
fn compare(sam: &Value, cdk: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let resources = |t: &Value| -> BTreeMap<String, Value> {
        t["Resources"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), normalise(v))).collect()
    };
    let (a, b) = (resources(sam), resources(cdk));
    for id in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
        match (a.get(id), b.get(id)) {
            (Some(x), Some(y)) => differences(id, x, y, &mut out),
            (Some(x), None) => out.push(format!("{id}: only in SAM ({})", x["Type"])),
            (None, Some(y)) => out.push(format!("{id}: only in CDK ({})", y["Type"])),
            (None, None) => {}
        }
    }
    // The CDK's bootstrap-version check is how its asset publishing works, nothing SAM has.
    let parameters = |t: &Value| -> BTreeMap<String, Value> {
        t["Parameters"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != "BootstrapVersion")
            .map(|(k, v)| (k.clone(), parameter(v)))
            .collect()
    };
    differences(
        "Parameters",
        &serde_json::to_value(parameters(sam)).unwrap(),
        &serde_json::to_value(parameters(cdk)).unwrap(),
        &mut out,
    );
    differences("Conditions", &sam["Conditions"], &cdk["Conditions"], &mut out);
    let outputs = |t: &Value| -> BTreeMap<String, Value> {
        t["Outputs"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v["Value"].clone())).collect()
    };
    differences(
        "Outputs",
        &serde_json::to_value(outputs(sam)).unwrap(),
        &serde_json::to_value(outputs(cdk)).unwrap(),
        &mut out,
    );
    out
}

#[test]
fn the_cdk_app_declares_what_the_sam_template_declares() {
    let sam = load("AUTOPILOT_SAM_EXPANDED");
    let cdk = load("AUTOPILOT_CDK_TEMPLATE");
    let found = compare(&sam, &cdk);
    assert!(found.is_empty(), "the CDK app and template.yaml differ:\n  {}", found.join("\n  "));
    let functions =
        cdk["Resources"].as_object().unwrap().values().filter(|r| r["Type"] == "AWS::Lambda::Function").count();
    assert_eq!(functions, 6, "six functions compared");
}

/// The comparison itself: one changed environment variable and one extra IAM action are each
/// reported with the resource and property named.
#[test]
fn a_difference_is_reported_by_resource_and_property() {
    let sam = serde_json::json!({"Resources": {
        "F": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Key": "a"}, "Timeout": 30,
              "Environment": {"Variables": {"RUST_LOG": "info"}}}},
        "FRole": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "p0", "PolicyDocument":
              {"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "t"}]}}]}}
    }});
    let mut cdk = sam.clone();
    cdk["Resources"]["F"]["Properties"]["Code"] = serde_json::json!({"S3Key": "b"});
    assert!(compare(&sam, &cdk).is_empty(), "where the code lives is no difference");
    cdk["Resources"]["F"]["Properties"]["Environment"]["Variables"]["RUST_LOG"] = "debug".into();
    cdk["Resources"]["FRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] =
        serde_json::json!(["dynamodb:GetItem", "dynamodb:Scan"]);
    let found = compare(&sam, &cdk);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("F.Properties.Environment.Variables.RUST_LOG: SAM has \"info\""), "{found:?}");
    assert!(found[1].starts_with("FRole.Properties.PolicyStatements[0].Action"), "{found:?}");
}
