//! Login with Amazon: exchanging the seller's refresh token (or the application's client
//! credentials, for grantless calls) for a one-hour access token, cached until shortly before
//! it expires.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::SpApiError;
use crate::domain::Clock;

pub const AMAZON_TOKEN_ENDPOINT: &str = "https://api.amazon.com/auth/o2/token";
/// Scope of the grantless token for the Notifications API's destinations.
pub const NOTIFICATIONS_SCOPE: &str = "sellingpartnerapi::notifications";
/// Refresh this long before Amazon's expiry, so a token never expires mid-request.
const REFRESH_MARGIN: Duration = Duration::seconds(120);

/// The application's LWA client and, for seller calls, the seller's refresh token. `Debug`
/// never prints the secrets.
#[derive(Clone, Deserialize, PartialEq, Eq)]
pub struct LwaCredentials {
    pub client_id: String,
    pub client_secret: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl fmt::Debug for LwaCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LwaCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Which grant a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Calls on behalf of the seller (refresh_token grant).
    Seller,
    /// Grantless calls with the given scope (client_credentials grant).
    Grantless(&'static str),
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
}

#[derive(Deserialize)]
struct TokenError {
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Clone)]
struct CachedToken {
    value: String,
    expires_at: DateTime<Utc>,
}

/// A cache of one access token, shared by every request of one seller client (and across warm
/// Lambda invocations, since clients live as long as the process).
pub struct TokenCache {
    grant: Grant,
    endpoint: String,
    cached: Mutex<Option<CachedToken>>,
}

impl TokenCache {
    pub fn new(grant: Grant, endpoint: impl Into<String>) -> Self {
        Self { grant, endpoint: endpoint.into(), cached: Mutex::new(None) }
    }

    /// A valid access token: the cached one, or a new one from LWA.
    pub async fn access_token(
        &self,
        http: &reqwest::Client,
        credentials: &LwaCredentials,
        clock: &dyn Clock,
    ) -> Result<String, SpApiError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref()
            && token.expires_at - REFRESH_MARGIN > clock.now()
        {
            return Ok(token.value.clone());
        }
        let token = self.exchange(http, credentials, clock).await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    /// Forget the cached token (Amazon said it is expired or invalid).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn exchange(
        &self,
        http: &reqwest::Client,
        credentials: &LwaCredentials,
        clock: &dyn Clock,
    ) -> Result<CachedToken, SpApiError> {
        let mut form =
            vec![("client_id", credentials.client_id.as_str()), ("client_secret", credentials.client_secret.as_str())];
        match self.grant {
            Grant::Seller => {
                let refresh_token = credentials
                    .refresh_token
                    .as_deref()
                    .ok_or_else(|| SpApiError::Auth("the seller's credentials have no refresh_token".to_string()))?;
                form.push(("grant_type", "refresh_token"));
                form.push(("refresh_token", refresh_token));
            }
            Grant::Grantless(scope) => {
                form.push(("grant_type", "client_credentials"));
                form.push(("scope", scope));
            }
        }
        let requested_at = clock.now();
        let response = http
            .post(&self.endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|err| SpApiError::Auth(format!("LWA token endpoint unreachable: {err}")))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|err| SpApiError::Auth(format!("LWA response unreadable: {err}")))?;
        if !status.is_success() {
            let detail = serde_json::from_slice::<TokenError>(&body)
                .ok()
                .map(|e| format!("{}: {}", e.error.unwrap_or_default(), e.error_description.unwrap_or_default()))
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(SpApiError::Auth(format!("LWA refused the token request ({status}): {detail}")));
        }
        let token: TokenResponse = serde_json::from_slice(&body)
            .map_err(|err| SpApiError::Auth(format!("LWA answered without a usable token: {err}")))?;
        Ok(CachedToken { value: token.access_token, expires_at: requested_at + Duration::seconds(token.expires_in) })
    }
}
