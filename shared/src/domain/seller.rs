//! A seller account that Feedback Autopilot works for, with the seller's own settings.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::feedback::FeedbackDeadlines;
use super::ids::{EmailAddress, OrderId, SellerId};
use super::marketplace::Marketplace;
use super::ratings::{PositiveBaseline, RatingThresholds};

/// How a seller wants alerts: each one as it happens (and the digest as well, if one is
/// scheduled), or only collected in the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertDelivery {
    #[default]
    Instant,
    Digest,
}

/// How often the seller's digest goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestFrequency {
    Off,
    Daily,
    Weekly,
}

/// The digest: a summary of the period (review requests, new negatives, removals, ratings with
/// their trend), sent by the daily schedule to the seller's alert recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSchedule {
    pub frequency: DigestFrequency,
    /// The day a weekly digest goes out (`Mon` ... `Sun`); unused by daily digests.
    #[serde(default = "default_weekday")]
    pub weekday: Weekday,
}

fn default_weekday() -> Weekday {
    Weekday::Mon
}

impl Default for DigestSchedule {
    /// A weekly digest on Mondays.
    fn default() -> Self {
        Self { frequency: DigestFrequency::Weekly, weekday: default_weekday() }
    }
}

impl DigestSchedule {
    /// The number of days (ending yesterday) the digest of `today` covers, or `None` when no
    /// digest is due today. A seller who takes alerts by digest only always gets one, daily
    /// when the digest is switched off: their alerts must reach them somehow.
    pub fn period_days(&self, delivery: AlertDelivery, today: NaiveDate) -> Option<u32> {
        match (self.frequency, delivery) {
            (DigestFrequency::Off, AlertDelivery::Instant) => None,
            (DigestFrequency::Off, AlertDelivery::Digest) | (DigestFrequency::Daily, _) => Some(1),
            (DigestFrequency::Weekly, _) => (today.weekday() == self.weekday).then_some(7),
        }
    }
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
    /// How orders are planned when Amazon gives no delivery dates (FBA orders, always), and how
    /// long Amazon is asked before an order is given up.
    #[serde(default)]
    pub asking: AskingPolicy,
}

/// Planning without delivery dates, and the cadence and cutoff of asking Amazon.
///
/// Amazon does not show FBA (AFN) orders' delivery dates (Orders v0 and ORDER_CHANGE: "Only
/// returned for seller-fulfilled orders"), but it still applies its window: the
/// productReviewAndSellerFeedback action is offered by getSolicitationActionsForOrder only while
/// the window is open. So such an order is first due at the ship time plus a transit estimate
/// plus the seller's delay, and from then on Amazon is asked every `ask_every_hours` until
/// `cutoff_days_after_shipping`. The cutoff also bounds how long a dated order whose window
/// Amazon does not (yet) confirm is asked: a revised estimate whose notification was lost may
/// open the window later than the stored dates say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AskingPolicy {
    /// Days from shipping to delivery where no per-marketplace figure is set.
    #[serde(default = "AskingPolicy::default_transit_days")]
    pub transit_days: u16,
    /// Per-marketplace transit estimates, overriding `transit_days`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transit_days_by_marketplace: BTreeMap<Marketplace, u16>,
    /// How often Amazon is asked again while it does not offer the request.
    #[serde(default = "AskingPolicy::default_ask_every_hours")]
    pub ask_every_hours: u16,
    /// Days after shipping (or purchase, when the ship time is unknown) after which an order
    /// that Amazon never offered is expired.
    #[serde(default = "AskingPolicy::default_cutoff_days")]
    pub cutoff_days_after_shipping: u16,
}

impl AskingPolicy {
    fn default_transit_days() -> u16 {
        3
    }
    fn default_ask_every_hours() -> u16 {
        24
    }
    fn default_cutoff_days() -> u16 {
        45
    }

    pub fn transit(&self, marketplace: Marketplace) -> Duration {
        let days = self.transit_days_by_marketplace.get(&marketplace).copied().unwrap_or(self.transit_days);
        Duration::days(i64::from(days))
    }

    /// The pause between two questions to Amazon (at least an hour).
    pub fn ask_every(&self) -> Duration {
        Duration::hours(i64::from(self.ask_every_hours.max(1)))
    }

    pub fn cutoff_after_shipping(&self) -> Duration {
        Duration::days(i64::from(self.cutoff_days_after_shipping))
    }

    /// The most getSolicitationActionsForOrder calls one order can cost when no call fails: one
    /// at its due time, then one per `ask_every` until the cutoff.
    pub fn max_questions_per_order(&self) -> u32 {
        let cutoff_hours = u32::from(self.cutoff_days_after_shipping) * 24;
        1 + cutoff_hours.div_ceil(u32::from(self.ask_every_hours.max(1)))
    }
}

impl Default for AskingPolicy {
    fn default() -> Self {
        Self {
            transit_days: Self::default_transit_days(),
            transit_days_by_marketplace: BTreeMap::new(),
            ask_every_hours: Self::default_ask_every_hours(),
            cutoff_days_after_shipping: Self::default_cutoff_days(),
        }
    }
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
            asking: AskingPolicy::default(),
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
    #[serde(default)]
    pub digest: DigestSchedule,
    pub review_requests: ReviewRequestPolicy,
    /// Name of the AWS Secrets Manager secret that holds this seller's LWA refresh token and
    /// the application's client id/secret. The credentials themselves are never stored here.
    pub credentials_secret: String,
    /// Feedback deadlines, rating alert thresholds and positive baselines.
    #[serde(default)]
    pub feedback: FeedbackSettings,
    /// Paused by the operator (`autopilot seller pause`): no SP-API calls are made for the
    /// seller (no review requests, order polls or feedback reports) until resumed. Order
    /// notifications are still recorded, so nothing is missed meanwhile.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap() // 2026-11-23 is a Monday
    }

    #[test]
    fn digests_are_due_daily_or_on_their_weekday() {
        let weekly = DigestSchedule::default();
        assert_eq!(weekly.period_days(AlertDelivery::Instant, day(23)), Some(7));
        assert_eq!(weekly.period_days(AlertDelivery::Instant, day(24)), None);
        let friday = DigestSchedule { frequency: DigestFrequency::Weekly, weekday: Weekday::Fri };
        assert_eq!(friday.period_days(AlertDelivery::Digest, day(27)), Some(7));
        assert_eq!(friday.period_days(AlertDelivery::Digest, day(23)), None);
        let daily = DigestSchedule { frequency: DigestFrequency::Daily, weekday: Weekday::Mon };
        assert!((20..=26).all(|d| daily.period_days(AlertDelivery::Instant, day(d)) == Some(1)));
    }

    #[test]
    fn digest_only_sellers_always_get_a_digest() {
        let off = DigestSchedule { frequency: DigestFrequency::Off, weekday: Weekday::Mon };
        assert_eq!(off.period_days(AlertDelivery::Instant, day(23)), None);
        assert_eq!(off.period_days(AlertDelivery::Digest, day(24)), Some(1));
    }

    #[test]
    fn the_schedule_reads_from_json_with_defaults() {
        let s: DigestSchedule = serde_json::from_str(r#"{"frequency":"daily"}"#).unwrap();
        assert_eq!(s, DigestSchedule { frequency: DigestFrequency::Daily, weekday: Weekday::Mon });
        let s: DigestSchedule = serde_json::from_str(r#"{"frequency":"weekly","weekday":"Fri"}"#).unwrap();
        assert_eq!(s.weekday, Weekday::Fri);
        assert!(serde_json::from_str::<DigestSchedule>(r#"{"frequency":"hourly"}"#).is_err());
    }
}
