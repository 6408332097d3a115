//! Seller ratings from feedback: counts by star class for 30, 90 and 365 days and lifetime,
//! the negative-feedback part of the Order Defect Rate, and threshold crossings. Pure and
//! incremental: feedback is folded into daily buckets, so a new report changes only its days
//! and a recompute reads one bucket per day, not every feedback.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::feedback::StarClass;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarCounts {
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
}

impl StarCounts {
    pub fn total(&self) -> u64 {
        self.positive + self.neutral + self.negative
    }

    fn add(&mut self, class: StarClass, sign: i64) {
        let slot = match class {
            StarClass::Positive => &mut self.positive,
            StarClass::Neutral => &mut self.neutral,
            StarClass::Negative => &mut self.negative,
        };
        *slot = slot.saturating_add_signed(sign);
    }

    fn plus(mut self, other: &StarCounts) -> StarCounts {
        self.positive += other.positive;
        self.neutral += other.neutral;
        self.negative += other.negative;
        self
    }
}

/// Feedback counts per feedback date, for one seller and marketplace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyBuckets {
    days: BTreeMap<NaiveDate, StarCounts>,
    /// Feedback older than every kept day, folded together: it only counts for lifetime.
    #[serde(default)]
    older: StarCounts,
    /// The newest day folded into `older`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    folded_until: Option<NaiveDate>,
}

impl DailyBuckets {
    pub fn add(&mut self, date: NaiveDate, rating: u8) {
        self.days.entry(date).or_default().add(StarClass::of(rating), 1);
    }

    /// A feedback removed (by the buyer or Amazon) stops counting.
    pub fn remove(&mut self, date: NaiveDate, rating: u8) {
        if let Some(day) = self.days.get_mut(&date) {
            day.add(StarClass::of(rating), -1);
            if day.total() == 0 {
                self.days.remove(&date);
            }
        }
    }

    /// Counts of the `days` days ending with `today` (`None`: lifetime).
    pub fn window(&self, today: NaiveDate, days: Option<i64>) -> StarCounts {
        let from = days.map(|d| today - Duration::days(d - 1)).unwrap_or(NaiveDate::MIN);
        let start = if days.is_none() { self.older } else { StarCounts::default() };
        self.days.range(from..=today).fold(start, |sum, (_, c)| sum.plus(c))
    }

    /// Replace the counts of the days `from..=to` by those of `ratings` (date, stars): the
    /// feedback known for those days now. Idempotent, so a report applied twice, or again
    /// after a crash, gives the same buckets. Days already folded are left alone.
    pub fn replace_days(&mut self, from: NaiveDate, to: NaiveDate, ratings: impl IntoIterator<Item = (NaiveDate, u8)>) {
        let from = match self.folded_until {
            Some(folded) if folded >= from => folded + Duration::days(1),
            _ => from,
        };
        if from > to {
            return;
        }
        let stale: Vec<NaiveDate> = self.days.range(from..=to).map(|(d, _)| *d).collect();
        for day in stale {
            self.days.remove(&day);
        }
        for (date, rating) in ratings {
            if date >= from && date <= to {
                self.add(date, rating);
            }
        }
    }

    /// Fold the days before `date` into one lifetime count, keeping the stored buckets small
    /// (a report never reaches that far back, so those days no longer change).
    pub fn fold_before(&mut self, date: NaiveDate) {
        let keep = self.days.split_off(&date);
        let old = std::mem::replace(&mut self.days, keep);
        if let Some((last, _)) = old.last_key_value() {
            self.folded_until = Some(self.folded_until.map_or(*last, |f| f.max(*last)));
        }
        for counts in old.values() {
            self.older = self.older.plus(counts);
        }
    }

    /// Days held individually (the rest is folded).
    pub fn day_count(&self) -> usize {
        self.days.len()
    }
}

/// What the seller knows about positives, which the feedback report does not list: the total
/// number of ratings Seller Central shows for each window, entered by the seller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositiveBaseline {
    pub total_30: Option<u64>,
    pub total_90: Option<u64>,
    pub total_365: Option<u64>,
    pub total_lifetime: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowRating {
    pub counts: StarCounts,
    /// Positive share, only where positives are known (report rows with positives, or the
    /// seller's baseline); never invented.
    pub positive_share: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ratings {
    pub as_of: NaiveDate,
    pub days_30: WindowRating,
    pub days_90: WindowRating,
    pub days_365: WindowRating,
    pub lifetime: WindowRating,
}

fn window_rating(counts: StarCounts, positives_listed: bool, baseline_total: Option<u64>) -> WindowRating {
    let positive_share = match baseline_total {
        Some(total) if total > 0 && total >= counts.neutral + counts.negative => {
            Some((total - counts.neutral - counts.negative) as f64 / total as f64)
        }
        _ if positives_listed && counts.total() > 0 => Some(counts.positive as f64 / counts.total() as f64),
        _ => None,
    };
    WindowRating { counts, positive_share }
}

/// Ratings as of `today`. `positives_listed` says whether the source lists positive feedback
/// too (Amazon's report usually does not).
pub fn ratings(
    buckets: &DailyBuckets,
    today: NaiveDate,
    positives_listed: bool,
    baseline: PositiveBaseline,
) -> Ratings {
    Ratings {
        as_of: today,
        days_30: window_rating(buckets.window(today, Some(30)), positives_listed, baseline.total_30),
        days_90: window_rating(buckets.window(today, Some(90)), positives_listed, baseline.total_90),
        days_365: window_rating(buckets.window(today, Some(365)), positives_listed, baseline.total_365),
        lifetime: window_rating(buckets.window(today, None), positives_listed, baseline.total_lifetime),
    }
}

/// Amazon's ODR window: 60 days of order dates.
pub const ODR_WINDOW_DAYS: i64 = 60;

/// The negative-feedback part of the Order Defect Rate over the ODR window's days counted so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OdrNegative {
    pub orders: u64,
    pub negative_orders: u64,
    /// `negative_orders / orders`; `None` without orders.
    pub rate: Option<f64>,
}

/// Orders with negative feedback over orders, both keyed by ORDER date. The window is the 60
/// days ending at the last day whose orders are counted (`orders_per_day` holds counted days
/// only; today is never complete), shortened to the days counted without a gap before it (a
/// seller onboarded last week has a week of counted days). Negatives outside it are left out,
/// so both sides cover the same days. No counted day: no rate.
pub fn odr_negative_feedback(
    orders_per_day: &BTreeMap<NaiveDate, u64>,
    negative_orders_per_order_day: &BTreeMap<NaiveDate, u64>,
    today: NaiveDate,
) -> OdrNegative {
    let Some(through) = orders_per_day.range(..=today).next_back().map(|(day, _)| *day) else {
        return OdrNegative { orders: 0, negative_orders: 0, rate: None };
    };
    let mut from = through;
    while through - from < Duration::days(ODR_WINDOW_DAYS - 1)
        && orders_per_day.contains_key(&(from - Duration::days(1)))
    {
        from -= Duration::days(1);
    }
    let orders: u64 = orders_per_day.range(from..=through).map(|(_, n)| n).sum();
    let negative_orders: u64 = negative_orders_per_order_day.range(from..=through).map(|(_, n)| n).sum();
    OdrNegative { orders, negative_orders, rate: (orders > 0).then(|| negative_orders as f64 / orders as f64) }
}

/// A seller's alert thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatingThresholds {
    /// Alert when the 365-day positive share falls below this.
    pub min_positive_share_365: f64,
    /// Alert when negatives in the last 30 days reach this many.
    pub max_negatives_30: u64,
    /// Alert when the ODR negative-feedback rate reaches this (Amazon's target is < 1 %).
    pub max_odr_negative_rate: f64,
}

impl Default for RatingThresholds {
    fn default() -> Self {
        Self { min_positive_share_365: 0.95, max_negatives_30: 3, max_odr_negative_rate: 0.01 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Crossing {
    PositiveShareBelow { threshold: f64, value: f64 },
    NegativesAtLeast { threshold: u64, value: u64 },
    OdrNegativeRateAtLeast { threshold: f64, value: f64 },
}

impl Crossing {
    pub fn code(&self) -> &'static str {
        match self {
            Crossing::PositiveShareBelow { .. } => "positive_share_below",
            Crossing::NegativesAtLeast { .. } => "negatives_at_least",
            Crossing::OdrNegativeRateAtLeast { .. } => "odr_negative_rate_at_least",
        }
    }
}

/// Thresholds crossed between two snapshots: only the moment a value passes a threshold, so
/// a seller is alerted once, not every day it stays past it.
pub fn crossings(
    before: Option<(&Ratings, Option<f64>)>,
    now: (&Ratings, Option<f64>),
    thresholds: &RatingThresholds,
) -> Vec<Crossing> {
    let mut out = Vec::new();
    let (current, odr) = now;
    let was_share = before.and_then(|(r, _)| r.days_365.positive_share);
    if let Some(value) = current.days_365.positive_share
        && value < thresholds.min_positive_share_365
        && was_share.is_none_or(|w| w >= thresholds.min_positive_share_365)
    {
        out.push(Crossing::PositiveShareBelow { threshold: thresholds.min_positive_share_365, value });
    }
    let negatives = current.days_30.counts.negative;
    let was_negatives = before.map(|(r, _)| r.days_30.counts.negative);
    if negatives >= thresholds.max_negatives_30 && was_negatives.is_none_or(|w| w < thresholds.max_negatives_30) {
        out.push(Crossing::NegativesAtLeast { threshold: thresholds.max_negatives_30, value: negatives });
    }
    let was_odr = before.and_then(|(_, o)| o);
    if let Some(value) = odr
        && value >= thresholds.max_odr_negative_rate
        && was_odr.is_none_or(|w| w < thresholds.max_odr_negative_rate)
    {
        out.push(Crossing::OdrNegativeRateAtLeast { threshold: thresholds.max_odr_negative_rate, value });
    }
    out
}

/// The ratings of one seller and marketplace on one day.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RatingSnapshot {
    pub ratings: Ratings,
    /// Orders with negative feedback / orders, by order date, over the ODR window of
    /// [`odr_negative_feedback`]: the 60 days ending at the last day counted (fewer while fewer
    /// are counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odr_negative_rate: Option<f64>,
    pub orders_60: u64,
    pub negative_orders_60: u64,
    pub computed_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn windows_count_the_days_ending_today() {
        let today = d(2026, 3, 31);
        let mut buckets = DailyBuckets::default();
        buckets.add(today, 1); // 30, 90, 365, lifetime
        buckets.add(today - Duration::days(29), 3); // still inside 30 days
        buckets.add(today - Duration::days(30), 2); // 90 days
        buckets.add(today - Duration::days(200), 5); // 365 days
        buckets.add(today - Duration::days(400), 1); // lifetime only
        buckets.add(today + Duration::days(1), 1); // tomorrow: not yet
        let r = ratings(&buckets, today, false, PositiveBaseline::default());
        assert_eq!(r.days_30.counts, StarCounts { positive: 0, neutral: 1, negative: 1 });
        assert_eq!(r.days_90.counts, StarCounts { positive: 0, neutral: 1, negative: 2 });
        assert_eq!(r.days_365.counts, StarCounts { positive: 1, neutral: 1, negative: 2 });
        assert_eq!(r.lifetime.counts, StarCounts { positive: 1, neutral: 1, negative: 3 });
        assert_eq!(r.days_30.positive_share, None, "positives are not known: no share invented");
    }

    #[test]
    fn positive_share_from_listed_positives_or_the_baseline() {
        let today = d(2026, 3, 31);
        let mut buckets = DailyBuckets::default();
        buckets.add(today, 1);
        buckets.add(today, 5);
        buckets.add(today, 5);
        buckets.add(today, 4);
        let listed = ratings(&buckets, today, true, PositiveBaseline::default());
        assert_eq!(listed.days_30.positive_share, Some(0.75));
        let baseline = PositiveBaseline { total_30: Some(100), ..PositiveBaseline::default() };
        let with_baseline = ratings(&buckets, today, false, baseline);
        assert_eq!(with_baseline.days_30.positive_share, Some(0.99));
        assert_eq!(with_baseline.days_90.positive_share, None);
    }

    #[test]
    fn replacing_days_is_idempotent_and_folding_keeps_lifetime() {
        let today = d(2026, 3, 31);
        let mut buckets = DailyBuckets::default();
        buckets.add(today - Duration::days(500), 1);
        buckets.add(today - Duration::days(10), 2);
        let report = [(today - Duration::days(10), 2), (today - Duration::days(5), 3), (today, 1)];
        for _ in 0..2 {
            buckets.replace_days(today - Duration::days(30), today, report);
        }
        assert_eq!(buckets.window(today, Some(30)), StarCounts { positive: 0, neutral: 1, negative: 2 });
        buckets.fold_before(today - Duration::days(400));
        assert_eq!(buckets.day_count(), 3);
        assert_eq!(buckets.window(today, None), StarCounts { positive: 0, neutral: 1, negative: 3 });
        assert_eq!(buckets.window(today, Some(365)), StarCounts { positive: 0, neutral: 1, negative: 2 });
        buckets.replace_days(today - Duration::days(600), today, []);
        assert_eq!(buckets.window(today, None).negative, 1, "folded days are not replaced");
    }

    #[test]
    fn removed_feedback_stops_counting() {
        let today = d(2026, 3, 31);
        let mut buckets = DailyBuckets::default();
        buckets.add(today, 1);
        buckets.remove(today, 1);
        buckets.remove(today, 1);
        assert_eq!(buckets.window(today, None), StarCounts::default());
    }

    /// `per_day` orders on every day of `from..=to`.
    fn counted(from: NaiveDate, to: NaiveDate, per_day: u64) -> BTreeMap<NaiveDate, u64> {
        from.iter_days().take_while(|day| *day <= to).map(|day| (day, per_day)).collect()
    }

    #[test]
    fn odr_negative_rate_uses_the_60_counted_days_ending_at_the_last_one() {
        let today = d(2026, 3, 31);
        let yesterday = today - Duration::days(1);
        // Counted through yesterday (today is not over); 71 days counted, 60 of them in the window.
        let orders = counted(yesterday - Duration::days(70), yesterday, 10);
        let negatives: BTreeMap<_, _> = [
            (yesterday - Duration::days(10), 3),
            (yesterday - Duration::days(59), 2),
            (yesterday - Duration::days(60), 50),
            (today, 40),
        ]
        .into();
        let odr = odr_negative_feedback(&orders, &negatives, today);
        assert_eq!((odr.orders, odr.negative_orders), (600, 5));
        assert_eq!(odr.rate, Some(5.0 / 600.0));
        assert_eq!(odr_negative_feedback(&BTreeMap::new(), &negatives, today).rate, None);
    }

    #[test]
    fn odr_window_is_only_the_days_counted_without_a_gap() {
        let today = d(2026, 3, 31);
        let yesterday = today - Duration::days(1);
        let mut orders = counted(yesterday - Duration::days(6), yesterday, 10);
        orders.insert(yesterday - Duration::days(20), 500);
        let negatives: BTreeMap<_, _> =
            [(yesterday - Duration::days(3), 7), (yesterday - Duration::days(20), 9)].into();
        let odr = odr_negative_feedback(&orders, &negatives, today);
        assert_eq!((odr.orders, odr.negative_orders), (70, 7));
        assert_eq!(odr.rate, Some(0.1));
    }

    #[test]
    fn a_threshold_is_reported_when_crossed_not_while_past_it() {
        let today = d(2026, 3, 31);
        let thresholds = RatingThresholds::default();
        let mut buckets = DailyBuckets::default();
        buckets.add(today, 1);
        buckets.add(today, 2);
        let before = ratings(&buckets, today, false, PositiveBaseline::default());
        buckets.add(today, 1);
        let after = ratings(&buckets, today, false, PositiveBaseline::default());
        let crossed = crossings(Some((&before, Some(0.005))), (&after, Some(0.012)), &thresholds);
        assert_eq!(
            crossed,
            vec![
                Crossing::NegativesAtLeast { threshold: 3, value: 3 },
                Crossing::OdrNegativeRateAtLeast { threshold: 0.01, value: 0.012 }
            ]
        );
        assert!(crossings(Some((&after, Some(0.012))), (&after, Some(0.013)), &thresholds).is_empty());
    }
}
