//! `lambda-local FUNCTION EVENT.json [--deadline timeout|missing|EPOCH_MS]`: runs one function's
//! built bootstrap under the project's Runtime API with the environment template.yaml gives it
//! and the local stack's endpoints, hands it the event, prints its answer as JSON on stdout
//! and its log lines on stderr. Exit status 0 when it answered (even with an error answer:
//! that is the function's result), 1 when it could not be run, 2 on usage errors.
//!
//! Environment: `AUTOPILOT_LAMBDA_ARTIFACTS` (what `infra/deploy/build.sh` prints as
//! ARTIFACTS), `AUTOPILOT_DYNAMODB_ENDPOINT` and `AUTOPILOT_AWS_ENDPOINT` (the local stack),
//! optionally `AUTOPILOT_SPAPI_ENDPOINT` (the simulator), `AUTOPILOT_TABLE` (default
//! `feedback-autopilot-local`, created if missing), `AUTOPILOT_EVENT_BUS` (default
//! `feedback-autopilot-local`), `RUST_LOG`. `infra/local/lambda.sh` sets them all.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use lambda_local::{Deadline, FunctionSpec, LocalLambda, Outcome};

const USAGE: &str = "usage: lambda-local FUNCTION EVENT.json [--deadline timeout|missing|EPOCH_MS]";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (function, event, deadline) = match args.as_slice() {
        [f, e] => (f, e, Deadline::Timeout),
        [f, e, flag, value] if flag == "--deadline" => match value.as_str() {
            "timeout" => (f, e, Deadline::Timeout),
            "missing" => (f, e, Deadline::Missing),
            ms => match ms.parse() {
                Ok(ms) => (f, e, Deadline::EpochMillis(ms)),
                Err(_) => return usage(),
            },
        },
        _ => return usage(),
    };
    match run(function, event, deadline).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lambda-local: {message}");
            ExitCode::from(1)
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

async fn run(function: &str, event: &str, deadline: Deadline) -> Result<(), String> {
    let payload: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(event).map_err(|e| format!("{event}: {e}"))?)
            .map_err(|e| format!("{event}: not JSON: {e}"))?;
    let artifacts =
        env("AUTOPILOT_LAMBDA_ARTIFACTS").ok_or("AUTOPILOT_LAMBDA_ARTIFACTS is not set (run infra/deploy/build.sh)")?;
    let dynamodb = env("AUTOPILOT_DYNAMODB_ENDPOINT")
        .ok_or("AUTOPILOT_DYNAMODB_ENDPOINT is not set (run infra/local/stack.sh up)")?;
    let aws = env("AUTOPILOT_AWS_ENDPOINT").ok_or("AUTOPILOT_AWS_ENDPOINT is not set (run infra/local/stack.sh up)")?;
    let table = env("AUTOPILOT_TABLE").unwrap_or_else(|| "feedback-autopilot-local".into());
    let bus = env("AUTOPILOT_EVENT_BUS").unwrap_or_else(|| "feedback-autopilot-local".into());

    let sdk = autopilot_shared::aws::local(&dynamodb).await;
    let clock = Arc::new(autopilot_shared::domain::SystemClock);
    let store =
        autopilot_shared::store::DynamoStore::connect(&sdk, autopilot_shared::store::StoreConfig::new(&table), clock);
    store.create_table_if_missing().await.map_err(|e| format!("creating table {table}: {e}"))?;

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let references = BTreeMap::from([("Table".to_string(), table), ("EventBus".to_string(), bus)]);
    let spec = FunctionSpec::from_template(&root.join("template.yaml"), artifacts.as_ref(), function, &references)
        .map_err(|e| e.to_string())?;
    let mut extra = BTreeMap::from([
        ("AUTOPILOT_DYNAMODB_ENDPOINT".to_string(), dynamodb),
        ("AUTOPILOT_AWS_ENDPOINT".to_string(), aws),
    ]);
    for name in ["AUTOPILOT_SPAPI_ENDPOINT", "RUST_LOG"] {
        if let Some(value) = env(name) {
            extra.insert(name.to_string(), value);
        }
    }
    let mut lambda = LocalLambda::start(spec, &extra).await.map_err(|e| e.to_string())?;
    let result = lambda.invoke(&payload, deadline).await;
    for line in lambda.logs() {
        eprintln!("{line}");
    }
    lambda.stop().await;
    let invocation = result.map_err(|e| e.to_string())?;
    let answer = match invocation.outcome {
        Outcome::Response(value) => serde_json::json!({"response": value}),
        Outcome::Error { error_type, error_message } => {
            serde_json::json!({"errorType": error_type, "errorMessage": error_message})
        }
    };
    println!("{answer}");
    Ok(())
}
