//! Test support for integration and end-to-end tests: the local stack (started through
//! `infra/local/stack.sh up`, the same script the demo and CI use) and fresh, isolated tables.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use autopilot_shared::domain::Clock;
use autopilot_shared::store::{DynamoStore, StoreConfig};

/// Endpoints of the running local stack.
#[derive(Debug, Clone)]
pub struct LocalStack {
    pub dynamodb_endpoint: String,
    pub aws_endpoint: String,
    pub cfn_lint: Option<String>,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The local stack, started once per test process if the environment does not name one.
/// Panics with the script's output when it cannot be started: every test that needs it would
/// fail anyway, and the message says why.
pub fn local_stack() -> &'static LocalStack {
    static STACK: OnceLock<LocalStack> = OnceLock::new();
    STACK.get_or_init(|| {
        // Every integration test starts here: its process logs to AUTOPILOT_LOG_DIR when set.
        let binary = std::env::current_exe().ok().and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()));
        autopilot_shared::runtime::init_log_file(&binary.unwrap_or_else(|| "test".into()));
        if let Ok(endpoint) = std::env::var("AUTOPILOT_DYNAMODB_ENDPOINT") {
            return LocalStack {
                dynamodb_endpoint: endpoint,
                aws_endpoint: std::env::var("AUTOPILOT_AWS_ENDPOINT").unwrap_or_default(),
                cfn_lint: std::env::var("AUTOPILOT_CFN_LINT").ok(),
            };
        }
        let script = workspace_root().join("infra/local/stack.sh");
        let output = Command::new("bash").arg(&script).arg("up").output().expect("bash runs");
        assert!(
            output.status.success(),
            "{} up failed:\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = |key: &str| {
            stdout
                .lines()
                .find_map(|line| line.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
                .map(str::to_string)
        };
        LocalStack {
            dynamodb_endpoint: value("AUTOPILOT_DYNAMODB_ENDPOINT").expect("stack.sh prints the DynamoDB endpoint"),
            aws_endpoint: value("AUTOPILOT_AWS_ENDPOINT").expect("stack.sh prints the moto endpoint"),
            cfn_lint: value("AUTOPILOT_CFN_LINT"),
        }
    })
}

pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let config = autopilot_shared::aws::local(&local_stack().dynamodb_endpoint).await;
    aws_sdk_dynamodb::Client::new(&config)
}

/// A store on a table of its own (unique name), created from the schema definition.
pub async fn fresh_store(clock: Arc<dyn Clock>, configure: impl FnOnce(&mut StoreConfig)) -> DynamoStore {
    let mut config = StoreConfig::new(format!("test-{}", uuid::Uuid::new_v4().simple()));
    configure(&mut config);
    let store = DynamoStore::new(dynamodb_client().await, config, clock);
    store.create_table_if_missing().await.expect("create test table on DynamoDB Local");
    store
}

pub mod cost;
pub mod fixtures;
pub mod life;
pub mod log_scan;
pub mod mail_samples;
pub mod readme_session;
pub mod schema;
pub mod sim;
