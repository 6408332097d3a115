//! Seller onboarding: what makes a seller account work, in the order it must happen. Its LWA
//! credentials go to Secrets Manager (never into the table), the account into the store, and
//! the seller's SP-API notifications (ORDER_CHANGE, REPORT_PROCESSING_FINISHED) are subscribed
//! to the deployment's SQS queues. Every step can run again: an existing secret is replaced,
//! an existing destination for the same queue and an existing subscription are kept.
//!
//! Used by the demo and the tests (and the operator CLI's `seller add`).

use std::sync::Arc;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use serde::Serialize;
use thiserror::Error;
use tokio::time::Instant;

use crate::domain::{SellerAccount, SellerId};
use crate::spapi::{SpApi, SpApiError};
use crate::store::{SellerDirectory, StoreError};

/// The notification types Feedback Autopilot needs, each with the queue it is delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationType {
    /// To the order-events queue.
    OrderChange,
    /// To the report queue of feedback sync.
    ReportProcessingFinished,
}

impl NotificationType {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationType::OrderChange => "ORDER_CHANGE",
            NotificationType::ReportProcessingFinished => "REPORT_PROCESSING_FINISHED",
        }
    }
}

/// A seller's LWA credentials as the secret keeps them (the shape
/// `spapi::SecretsManagerCredentials` reads). `Debug` never prints them.
#[derive(Clone, Serialize)]
pub struct SellerSecret {
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
}

impl std::fmt::Debug for SellerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SellerSecret").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

#[derive(Debug, Error)]
pub enum OnboardingError {
    #[error("credentials secret {secret}: {message}")]
    Secret {
        secret: String,
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("seller {seller}: {source}")]
    SpApi {
        seller: SellerId,
        #[source]
        source: SpApiError,
    },
}

impl crate::lambda::Failure for OnboardingError {
    fn error_type(&self) -> &'static str {
        match self {
            OnboardingError::Secret { .. } => "CredentialsNotStored",
            OnboardingError::Store(err) => err.error_type(),
            OnboardingError::SpApi { source, .. } => source.error_type(),
        }
    }
}

/// What onboarding did with the seller's notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribed {
    pub notification_type: NotificationType,
    pub destination_id: String,
    /// `false` when the subscription existed already.
    pub created: bool,
}

pub struct Onboarding {
    pub secrets: aws_sdk_secretsmanager::Client,
    pub api: Arc<SpApi>,
}

impl Onboarding {
    /// The seller's SP-API in the region of its first marketplace (notifications are per
    /// application and region).
    async fn seller_api(&self, seller: &SellerAccount) -> Result<Arc<crate::spapi::SellerApi>, OnboardingError> {
        let region = seller.marketplaces.first().map(|m| m.region()).unwrap_or(crate::domain::Region::Na);
        let api = self.api.seller(seller, region).await;
        api.map_err(|source| OnboardingError::SpApi { seller: seller.seller_id.clone(), source })
    }

    /// Create the seller's secret, or replace its value when it exists.
    pub async fn store_credentials(&self, secret_name: &str, secret: &SellerSecret) -> Result<(), OnboardingError> {
        let failed = |message: String, source: Option<Box<dyn std::error::Error + Send + Sync>>| {
            OnboardingError::Secret { secret: secret_name.to_string(), message, source }
        };
        let value = serde_json::to_string(secret).map_err(|err| failed(err.to_string(), Some(Box::new(err))))?;
        let created = self.secrets.create_secret().name(secret_name).secret_string(&value).send().await;
        match created {
            Ok(_) => Ok(()),
            Err(err) if err.code() == Some("ResourceExistsException") => {
                let put = self.secrets.put_secret_value().secret_id(secret_name).secret_string(&value).send().await;
                put.map(|_| ()).map_err(|err| failed(DisplayErrorContext(&err).to_string(), Some(Box::new(err))))
            }
            Err(err) => Err(failed(DisplayErrorContext(&err).to_string(), Some(Box::new(err)))),
        }
    }

    /// Delete the seller's secret at once (no recovery window, so the seller can be added
    /// again under the same name); a secret that does not exist is already gone.
    pub async fn delete_credentials(&self, secret_name: &str) -> Result<(), OnboardingError> {
        let deleted =
            self.secrets.delete_secret().secret_id(secret_name).force_delete_without_recovery(true).send().await;
        match deleted {
            Ok(_) => Ok(()),
            Err(err) if err.code() == Some("ResourceNotFoundException") => Ok(()),
            Err(err) => Err(OnboardingError::Secret {
                secret: secret_name.to_string(),
                message: DisplayErrorContext(&err).to_string(),
                source: Some(Box::new(err)),
            }),
        }
    }

    /// The seller's subscription of `notification_type` to the queue `queue_arn`, through the
    /// application's destination for that queue (named `destination_name` when it has to be
    /// created). Kept when it exists.
    pub async fn subscribe(
        &self,
        seller: &SellerAccount,
        notification_type: NotificationType,
        destination_name: &str,
        queue_arn: &str,
        deadline: Instant,
    ) -> Result<Subscribed, OnboardingError> {
        let api_error = |source| OnboardingError::SpApi { seller: seller.seller_id.clone(), source };
        let api = self.seller_api(seller).await?;
        let kind = notification_type.as_str();
        if let Some(existing) = api.get_subscription(kind, deadline).await.map_err(api_error)? {
            let destination_id = existing.destination_id;
            return Ok(Subscribed { notification_type, destination_id, created: false });
        }
        let destinations = api.get_destinations(deadline).await.map_err(api_error)?;
        let for_queue = destinations.into_iter().find(|d| d.resource.sqs.as_ref().is_some_and(|q| q.arn == queue_arn));
        let destination = match for_queue {
            Some(destination) => destination,
            None => api.create_destination(destination_name, queue_arn, deadline).await.map_err(api_error)?,
        };
        let subscription =
            api.create_subscription(kind, &destination.destination_id, deadline).await.map_err(api_error)?;
        Ok(Subscribed { notification_type, destination_id: subscription.destination_id, created: true })
    }

    /// Stop the seller's notification of `notification_type`: `true` when a subscription was
    /// deleted, `false` when there was none.
    pub async fn unsubscribe(
        &self,
        seller: &SellerAccount,
        notification_type: NotificationType,
        deadline: Instant,
    ) -> Result<bool, OnboardingError> {
        let api_error = |source| OnboardingError::SpApi { seller: seller.seller_id.clone(), source };
        let api = self.seller_api(seller).await?;
        let kind = notification_type.as_str();
        match api.get_subscription(kind, deadline).await.map_err(api_error)? {
            Some(existing) => {
                api.delete_subscription(kind, &existing.subscription_id, deadline).await.map_err(api_error)
            }
            None => Ok(false),
        }
    }

    /// The seller's current subscription of `notification_type`, if any.
    pub async fn subscription(
        &self,
        seller: &SellerAccount,
        notification_type: NotificationType,
        deadline: Instant,
    ) -> Result<Option<String>, OnboardingError> {
        let api_error = |source| OnboardingError::SpApi { seller: seller.seller_id.clone(), source };
        let api = self.seller_api(seller).await?;
        let found = api.get_subscription(notification_type.as_str(), deadline).await.map_err(api_error)?;
        Ok(found.map(|s| s.destination_id))
    }

    /// All of it: the credentials, the account (into `sellers`), and each notification to its
    /// queue (`(type, destination name, queue ARN)`).
    pub async fn onboard(
        &self,
        sellers: &dyn SellerDirectory,
        seller: &SellerAccount,
        secret: &SellerSecret,
        queues: &[(NotificationType, &str, &str)],
        deadline: Instant,
    ) -> Result<Vec<Subscribed>, OnboardingError> {
        self.store_credentials(&seller.credentials_secret, secret).await?;
        sellers.put_seller(seller).await?;
        let mut subscribed = Vec::with_capacity(queues.len());
        for (notification_type, destination_name, queue_arn) in queues {
            subscribed.push(self.subscribe(seller, *notification_type, destination_name, queue_arn, deadline).await?);
        }
        Ok(subscribed)
    }
}
