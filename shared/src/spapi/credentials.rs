//! Where a seller's SP-API credentials come from: AWS Secrets Manager, by the secret name the
//! seller account names. The secret is a JSON object:
//! `{"client_id": "...", "client_secret": "...", "refresh_token": "..."}`.

use async_trait::async_trait;
use aws_sdk_secretsmanager::error::DisplayErrorContext;

use super::{LwaCredentials, SpApiError};

#[async_trait]
pub trait CredentialSource: Send + Sync {
    async fn credentials(&self, secret_name: &str) -> Result<LwaCredentials, SpApiError>;
}

pub struct SecretsManagerCredentials {
    client: aws_sdk_secretsmanager::Client,
}

impl SecretsManagerCredentials {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self { client: aws_sdk_secretsmanager::Client::new(sdk) }
    }
}

#[async_trait]
impl CredentialSource for SecretsManagerCredentials {
    async fn credentials(&self, secret_name: &str) -> Result<LwaCredentials, SpApiError> {
        let output = self.client.get_secret_value().secret_id(secret_name).send().await.map_err(|err| {
            SpApiError::Credentials { secret: secret_name.to_string(), message: DisplayErrorContext(&err).to_string() }
        })?;
        let text = output.secret_string().ok_or_else(|| SpApiError::Credentials {
            secret: secret_name.to_string(),
            message: "the secret has no string value".into(),
        })?;
        serde_json::from_str(text).map_err(|err| SpApiError::Credentials {
            secret: secret_name.to_string(),
            message: format!("expected a JSON object with client_id, client_secret, refresh_token: {}", redacted(&err)),
        })
    }
}

/// serde's message without anything quoted from the secret: only "missing field `x`" is kept
/// verbatim (it names our field, not the secret's content).
fn redacted(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let text = text.split(" at line ").next().unwrap_or_default();
    if text.starts_with("missing field") { text.to_string() } else { format!("{:?} error", err.classify()) }
}
