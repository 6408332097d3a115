//! The floor a function's cold start is measured against (`cargo bench -p autopilot-tests
//! --bench cold_start`): a hello-world `lambda_runtime` binary, built with the same runtime
//! crate, features and release profile as the functions, that answers each event with itself.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move { Ok::<Value, Error>(event.payload) })).await
}
