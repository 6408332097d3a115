//! AWS SDK configuration: the real environment in Lambda, or the local stack when an endpoint
//! is given (static dummy credentials; DynamoDB Local and moto accept any).

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

pub const LOCAL_REGION: &str = "us-east-1";

/// The longest one AWS call may take, its retries included. Every client gets it unless it sets
/// its own (SES: `alerts::SEND_TIMEOUT`), so a handler never hangs on a frozen service, and the
/// leases that count on calls being quick hold (see `store::dynamo::ALERT_SEND_LEASE`).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest one attempt may take before the SDK retries.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(4);
/// The longest a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_timeout(OPERATION_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
}

/// SDK configuration from the environment (Lambda's role, region, ...).
pub async fn from_env() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts()).load().await
}

/// SDK configuration for a local endpoint (DynamoDB Local, moto).
pub async fn local(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .region(Region::new(LOCAL_REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "feedback-autopilot-local"))
        .load()
        .await
}
