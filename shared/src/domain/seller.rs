//! A seller account that Feedback Autopilot works for, with the seller's own settings.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::feedback::FeedbackDeadlines;
use super::ids::{EmailAddress, OrderId, SellerId};
use super::marketplace::Marketplace;
use super::ratings::{PositiveBaseline, RatingThresholds};

/// How a seller wants alerts: each one as it happens, or collected in the daily digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertDelivery {
    #[default]
    Instant,
    Digest,
}

/// The seller's rules for review requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequestPolicy {
    /// Days after the latest delivery estimate before asking (never before Amazon's window
    /// opens). Commercial tools use 5 to 10; the default is 7.
    pub delay_days: u16,
    /// Marketplaces where requests are sent; others are skipped with a reason.
    pub enabled_marketplaces: BTreeSet<Marketplace>,
    #[serde(default)]
    pub do_not_solicit_orders: BTreeSet<OrderId>,
    #[serde(default)]
    pub do_not_solicit_skus: BTreeSet<String>,
    /// Amazon order programs (e.g. `Business`) or order types (e.g. `Preorder`) to leave alone.
    #[serde(default)]
    pub excluded_programs: BTreeSet<String>,
}

impl ReviewRequestPolicy {
    pub const DEFAULT_DELAY_DAYS: u16 = 7;

    /// The default policy: every marketplace of the account enabled, a 7-day delay.
    pub fn for_marketplaces(marketplaces: &[Marketplace]) -> Self {
        Self {
            delay_days: Self::DEFAULT_DELAY_DAYS,
            enabled_marketplaces: marketplaces.iter().copied().collect(),
            do_not_solicit_orders: BTreeSet::new(),
            do_not_solicit_skus: BTreeSet::new(),
            excluded_programs: BTreeSet::new(),
        }
    }

    pub fn delay(&self) -> Duration {
        Duration::days(i64::from(self.delay_days))
    }
}

/// One seller account (one SP-API authorisation) and the marketplaces it sells in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SellerAccount {
    pub seller_id: SellerId,
    /// A name for humans (e-mails, the operator's output).
    pub display_name: String,
    pub marketplaces: Vec<Marketplace>,
    pub alert_recipients: Vec<EmailAddress>,
    #[serde(default)]
    pub alert_delivery: AlertDelivery,
    pub review_requests: ReviewRequestPolicy,
    /// Name of the AWS Secrets Manager secret that holds this seller's LWA refresh token and
    /// the application's client id/secret. The credentials themselves are never stored here.
    pub credentials_secret: String,
    /// Feedback deadlines, rating alert thresholds and positive baselines.
    #[serde(default)]
    pub feedback: FeedbackSettings,
}

/// The seller's settings for feedback follow-up.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FeedbackSettings {
    #[serde(default)]
    pub deadlines: FeedbackDeadlines,
    #[serde(default)]
    pub thresholds: RatingThresholds,
    /// Per marketplace, the rating totals Seller Central shows, for a positive share the
    /// feedback report alone cannot give (it lists 1-3 star feedback only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub positive_baseline: BTreeMap<Marketplace, PositiveBaseline>,
}
