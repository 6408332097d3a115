//! AWS SDK configuration: the real environment in Lambda, or the local stack when an endpoint
//! is given (static dummy credentials; DynamoDB Local and moto accept any).

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig};
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

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
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts()).http_client(http_client()).load().await
}

/// SDK configuration for a local endpoint (DynamoDB Local, moto).
pub async fn local(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .region(Region::new(LOCAL_REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "feedback-autopilot-local"))
        .http_client(http_client())
        .load()
        .await
}

/// The HTTP client of one SDK configuration, shared by every AWS client built from it: the
/// SDK's default (hyper, rustls with aws-lc, the system's trust store, proxies from the
/// environment), whose connectors (one per timeout setting) are built on their first request.
///
/// Why not the default as `aws_config` sets it: the SDK builds a connector when each client is
/// created, to load the trust store "at client initialization time", and each build parses the
/// whole store again (one parse per client at start-up, then one per setting on first use).
/// A function that builds three clients parsed it four times before its first call; this way
/// it is parsed once, when the first request needs it (the cold-start bench measures both).
///
/// One per configuration, not per process: a connection pool belongs to the Tokio runtime
/// that opened it (tests run one runtime each).
pub fn http_client() -> SharedHttpClient {
    let https = Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    OnFirstRequest(https).into_shared()
}

/// An HTTP client whose connectors are built on first use only (see [`http_client`]).
#[derive(Debug)]
struct OnFirstRequest(SharedHttpClient);

impl HttpClient for OnFirstRequest {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}
