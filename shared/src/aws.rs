//! AWS SDK configuration: the real environment in Lambda, or the local stack when an endpoint
//! is given (static dummy credentials; DynamoDB Local and moto accept any).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

pub const LOCAL_REGION: &str = "us-east-1";

/// SDK configuration from the environment (Lambda's role, region, ...).
pub async fn from_env() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// SDK configuration for a local endpoint (DynamoDB Local, moto).
pub async fn local(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(LOCAL_REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "feedback-autopilot-local"))
        .load()
        .await
}
