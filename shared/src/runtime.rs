//! What every Lambda's `main` needs: configuration from the environment, the clients built
//! once per process ([`Clients`]) and JSON logs.

use std::sync::Arc;

use thiserror::Error;

use crate::domain::SystemClock;
use crate::store::{DynamoStore, StoreConfig};

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name}: {message}")]
    Invalid { name: &'static str, message: String },
}

/// The deployment's settings, from the environment the template sets.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// `AUTOPILOT_TABLE`
    pub table: String,
    /// `AUTOPILOT_DYNAMODB_ENDPOINT`: DynamoDB Local instead of AWS (local runs only).
    pub dynamodb_endpoint: Option<String>,
    /// `AUTOPILOT_AWS_ENDPOINT`: moto instead of AWS for SQS, SES, EventBridge, Secrets Manager.
    pub aws_endpoint: Option<String>,
    /// `AUTOPILOT_SPAPI_ENDPOINT`: the simulator instead of Amazon.
    pub spapi_endpoint: Option<String>,
    /// `AUTOPILOT_EVENT_BUS`: the application's EventBridge bus for domain events.
    pub event_bus: Option<String>,
    /// `AUTOPILOT_MAIL_FROM`: the verified SES identity seller mails come from.
    pub mail_from: Option<String>,
    /// `AUTOPILOT_TIMEOUT_SECONDS`: the function's configured timeout (the template sets it to
    /// the function's `Timeout`), the bound on each invocation's deadline.
    pub timeout: Option<std::time::Duration>,
}

fn timeout_seconds(value: &str) -> Result<std::time::Duration, ConfigError> {
    let max = crate::lambda::MAX_FUNCTION_TIMEOUT.as_secs();
    match value.parse::<u64>() {
        Ok(seconds @ 1..) if seconds <= max => Ok(std::time::Duration::from_secs(seconds)),
        _ => Err(ConfigError::Invalid {
            name: "AUTOPILOT_TIMEOUT_SECONDS",
            message: format!("{value:?} is not a whole number of seconds from 1 to {max}"),
        }),
    }
}

impl RuntimeConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let optional = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(Self {
            table: optional("AUTOPILOT_TABLE").ok_or(ConfigError::Missing("AUTOPILOT_TABLE"))?,
            dynamodb_endpoint: optional("AUTOPILOT_DYNAMODB_ENDPOINT"),
            aws_endpoint: optional("AUTOPILOT_AWS_ENDPOINT"),
            spapi_endpoint: optional("AUTOPILOT_SPAPI_ENDPOINT"),
            event_bus: optional("AUTOPILOT_EVENT_BUS"),
            mail_from: optional("AUTOPILOT_MAIL_FROM"),
            timeout: optional("AUTOPILOT_TIMEOUT_SECONDS").map(|v| timeout_seconds(&v)).transpose()?,
        })
    }

    pub fn required_event_bus(&self) -> Result<&str, ConfigError> {
        self.event_bus.as_deref().ok_or(ConfigError::Missing("AUTOPILOT_EVENT_BUS"))
    }

    pub async fn dynamodb_sdk(&self) -> aws_config::SdkConfig {
        match &self.dynamodb_endpoint {
            Some(endpoint) => crate::aws::local(endpoint).await,
            None => crate::aws::from_env().await,
        }
    }

    pub async fn aws_sdk(&self) -> aws_config::SdkConfig {
        match &self.aws_endpoint {
            Some(endpoint) => crate::aws::local(endpoint).await,
            None => crate::aws::from_env().await,
        }
    }

    pub fn spapi_config(&self) -> crate::spapi::SpApiConfig {
        match &self.spapi_endpoint {
            Some(endpoint) => crate::spapi::SpApiConfig::local(endpoint),
            None => crate::spapi::SpApiConfig::default(),
        }
    }
}

/// The clients a function builds once at start-up and keeps for the life of the process (so
/// SP-API tokens and rate-limit buckets survive warm invocations). Each `main` takes what its
/// library type needs.
pub struct Clients {
    pub config: RuntimeConfig,
    pub clock: Arc<SystemClock>,
    pub store: Arc<DynamoStore>,
    /// For SQS, SES, EventBridge and Secrets Manager.
    pub aws: aws_config::SdkConfig,
}

impl Clients {
    /// The configuration from the environment and the DynamoDB store on its table.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = RuntimeConfig::from_env()?;
        if let Some(timeout) = config.timeout {
            crate::lambda::set_function_timeout(timeout);
        }
        tracing::info!(
            panic_strategy = PANIC_STRATEGY,
            timeout_s = crate::lambda::function_timeout().as_secs(),
            "function starting"
        );
        let clock = Arc::new(SystemClock);
        let aws = config.aws_sdk().await;
        // In AWS (no endpoint overrides) both are the same configuration: loaded once.
        let dynamodb =
            if config.dynamodb_endpoint == config.aws_endpoint { aws.clone() } else { config.dynamodb_sdk().await };
        let store = Arc::new(DynamoStore::connect(&dynamodb, StoreConfig::new(&config.table), clock.clone()));
        Ok(Self { config, clock, store, aws })
    }

    /// The SP-API client, with each seller's credentials from Secrets Manager.
    pub fn sp_api(&self) -> Arc<crate::spapi::SpApi> {
        let credentials = Arc::new(crate::spapi::SecretsManagerCredentials::new(&self.aws));
        Arc::new(crate::spapi::SpApi::new(self.config.spapi_config(), credentials, self.clock.clone()))
    }

    /// The publisher to the application's bus (`AUTOPILOT_EVENT_BUS` must be set).
    pub fn event_bus(&self) -> Result<Arc<crate::events::EventBridgePublisher>, ConfigError> {
        Ok(Arc::new(crate::events::EventBridgePublisher::new(&self.aws, self.config.required_event_bus()?)))
    }

    /// SES and the identity mails come from (`AUTOPILOT_MAIL_FROM` must be set).
    pub fn mailer(&self) -> Result<(Arc<crate::alerts::SesMailer>, String), ConfigError> {
        let from = self.config.mail_from.clone().ok_or(ConfigError::Missing("AUTOPILOT_MAIL_FROM"))?;
        Ok((Arc::new(crate::alerts::SesMailer::new(&self.aws)), from))
    }
}

/// How this binary handles a panic, as text the deploy check finds in the built artifact
/// (infra/deploy/build.sh) and the function logs at start-up: a binary built with
/// `panic = "abort"` says so, and the check fails.
pub const PANIC_STRATEGY: &str =
    if cfg!(panic = "unwind") { "autopilot-panic-strategy:unwind" } else { "autopilot-panic-strategy:abort" };

/// JSON logs for CloudWatch, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
}

/// What `AUTOPILOT_LOG_DIR` logs by default: this project's crates at debug, the rest at info.
pub const DEBUG_LOG_FILTER: &str = "info,autopilot_shared=debug,spapi_sim=debug,solicit=debug,order_events=debug,\
order_sync=debug,feedback_sync=debug,alerts=debug,autopilot_demo=debug,autopilot_tests=debug";

/// When `AUTOPILOT_LOG_DIR` is set: JSON logs, as the functions write them in Lambda, at debug
/// level (or `RUST_LOG`) into `<dir>/<name>-<pid>.jsonl`, so the test command can scan what the
/// suite and the demo log for personal data and secrets. Does nothing otherwise.
pub fn init_log_file(name: &str) {
    let Ok(dir) = std::env::var("AUTOPILOT_LOG_DIR") else { return };
    let path = std::path::Path::new(&dir).join(format!("{name}-{}.jsonl", std::process::id()));
    let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(&path) else { return };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEBUG_LOG_FILTER));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}
