//! After a report (and every scheduled run): triage and announce new negative or neutral
//! feedback, flag their orders, send due deadline reminders, announce removals, and write the
//! day's rating snapshot, announcing thresholds crossed.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::{FeedbackSync, SyncError, SyncSummary};
use crate::domain::feedback::{Deadline, FeedbackDeadlines, StarClass, due_reminders};
use crate::domain::ratings::{ODR_WINDOW_DAYS, PositiveBaseline, crossings, odr_negative_feedback, ratings};
use crate::domain::triage::{Verdict, triage};
use crate::domain::{FulfillmentChannel, Marketplace, OrderId, SellerAccount};
use crate::events::{
    DeadlineStatus, DomainEvent, FeedbackDeadlineApproaching, FeedbackRef, FeedbackRemoved, NegativeFeedbackReceived,
    RatingThresholdCrossed,
};
use crate::store::{Expect, FollowUp, PutOutcome, RatingSnapshot, StoredFeedback};

const ORDER_WRITE_ATTEMPTS: usize = 3;

fn feedback_ref(stored: &StoredFeedback) -> FeedbackRef {
    let f = &stored.feedback;
    FeedbackRef {
        marketplace: f.marketplace,
        order_id: f.order_id.clone(),
        feedback_date: f.date,
        rating: f.rating,
        star_class: f.star_class(),
        comment: f.comment.clone(),
        response: f.response.clone(),
    }
}

fn needs_attention(stored: &StoredFeedback) -> bool {
    stored.feedback.star_class() != StarClass::Positive
}

fn actionable(verdict: &Verdict) -> bool {
    verdict.removable || verdict.strike_through
}

fn deadlines_of(stored: &StoredFeedback, verdict: &Verdict, settings: &FeedbackDeadlines) -> Vec<Deadline> {
    settings.for_feedback(stored.feedback.date, actionable(verdict))
}

fn status(deadline: &Deadline, today: NaiveDate) -> DeadlineStatus {
    DeadlineStatus { kind: deadline.kind, date: deadline.date, days_left: (deadline.date - today).num_days() }
}

impl FeedbackSync {
    pub(super) async fn follow_up(
        &self,
        account: &SellerAccount,
        marketplace: Marketplace,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let now = self.clock.now();
        let today = now.date_naive();
        let seller = &account.seller_id;
        let settings = &account.feedback;
        // Nothing older can still be acted on, or count for the ODR (feedback comes after its
        // order, so an order inside the ODR window has feedback inside it too).
        let reach = i64::from(settings.deadlines.removal_request_days.max(settings.deadlines.buyer_removal_days))
            .max(ODR_WINDOW_DAYS);
        let window = self.store.feedback_between(seller, marketplace, today - Duration::days(reach), today).await?;

        let mut events = Vec::new();
        let mut updated: Vec<StoredFeedback> = Vec::new();
        for stored in window.iter().filter(|s| needs_attention(s)) {
            let mut next = stored.clone();
            let mut counted = (0, 0, 0);
            match (&stored.removed_at, &stored.follow_up) {
                (None, None) => {
                    let follow_up = self.first_follow_up(account, stored, now).await?;
                    let deadlines = deadlines_of(stored, &follow_up.triage, &settings.deadlines);
                    // The alert shows every deadline with its days left; marks already passed
                    // are covered by it rather than sent as separate reminders.
                    let (passed, covered) = due_reminders(&deadlines, today, &next.reminders_sent);
                    next.reminders_sent.extend(passed.iter().map(|r| r.key()).chain(covered));
                    events.push(DomainEvent::of(&NegativeFeedbackReceived {
                        event_id: format!("negative-feedback:{seller}:{marketplace}:{}", stored.feedback.order_id),
                        seller_id: seller.clone(),
                        feedback: feedback_ref(stored),
                        order_date: follow_up.order_date,
                        fulfillment: follow_up.fulfillment,
                        triage: follow_up.triage.clone(),
                        deadlines: deadlines.iter().map(|d| status(d, today)).collect(),
                    })?);
                    next.follow_up = Some(follow_up);
                    counted.0 += 1;
                }
                (None, Some(follow_up)) => {
                    let deadlines = deadlines_of(stored, &follow_up.triage, &settings.deadlines);
                    let (due, covered) = due_reminders(&deadlines, today, &stored.reminders_sent);
                    for reminder in &due {
                        events.push(DomainEvent::of(&FeedbackDeadlineApproaching {
                            event_id: format!(
                                "feedback-deadline:{seller}:{marketplace}:{}:{}",
                                stored.feedback.order_id,
                                reminder.key()
                            ),
                            seller_id: seller.clone(),
                            feedback: feedback_ref(stored),
                            triage: follow_up.triage.clone(),
                            deadline: status(&reminder.deadline, today),
                            mark: reminder.mark,
                        })?);
                    }
                    counted.1 += due.len() as u32;
                    next.reminders_sent.extend(due.iter().map(|r| r.key()).chain(covered));
                }
                (Some(removed_at), _) if !stored.removal_announced => {
                    events.push(DomainEvent::of(&FeedbackRemoved {
                        event_id: format!(
                            "feedback-removed:{seller}:{marketplace}:{}:{}",
                            stored.feedback.order_id,
                            removed_at.timestamp()
                        ),
                        seller_id: seller.clone(),
                        feedback: feedback_ref(stored),
                        removed_at: *removed_at,
                        had_grounds: stored.follow_up.as_ref().is_some_and(|f| actionable(&f.triage)),
                    })?);
                    next.removal_announced = true;
                    counted.2 += 1;
                }
                (Some(_), _) => {}
            }
            if next != *stored {
                summary.negatives_announced += counted.0;
                summary.reminders += counted.1;
                summary.removals_announced += counted.2;
                updated.push(next);
            }
        }
        // Publish first, then record: a crash in between publishes again rather than never.
        self.events.publish(&events).await?;
        for stored in &updated {
            self.store.put_feedback(seller, stored).await?;
        }

        let negatives_by_order_day = negative_orders_by_order_day(&window, &updated);
        self.snapshot(account, marketplace, &negatives_by_order_day, summary).await
    }

    /// What the first look at a feedback finds: its order (date, fulfilment; flagged when the
    /// feedback is negative, so it is never solicited) and the triage verdict.
    async fn first_follow_up(
        &self,
        account: &SellerAccount,
        stored: &StoredFeedback,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<FollowUp, SyncError> {
        let feedback = &stored.feedback;
        let order = self.flag_order(account, &feedback.order_id, feedback.star_class() == StarClass::Negative).await?;
        let fulfillment = order.as_ref().map(|(_, f)| *f);
        // Without the order, assume merchant-fulfilled: no strike-through is claimed on a guess.
        let verdict = triage(
            &feedback.comment,
            feedback.rating,
            feedback.marketplace.language(),
            fulfillment.unwrap_or(FulfillmentChannel::Mfn),
        );
        Ok(FollowUp { order_date: order.map(|(d, _)| d), fulfillment, triage: verdict, announced_at: now })
    }

    /// The order's purchase date and fulfilment, marking it as having negative feedback when
    /// `negative`. `None`: the order is not recorded (older than Feedback Autopilot, or expired).
    async fn flag_order(
        &self,
        account: &SellerAccount,
        order_id: &OrderId,
        negative: bool,
    ) -> Result<Option<(NaiveDate, FulfillmentChannel)>, SyncError> {
        for _ in 0..ORDER_WRITE_ATTEMPTS {
            let Some(read) = self.store.get_order(&account.seller_id, order_id).await? else {
                return Ok(None);
            };
            let found = (read.value.purchase_date.date_naive(), read.value.fulfillment);
            if !negative || read.value.negative_feedback {
                return Ok(Some(found));
            }
            let mut order = read.value;
            order.negative_feedback = true;
            if let PutOutcome::Written { .. } = self.store.put_order(&order, Expect::Version(read.version)).await? {
                return Ok(Some(found));
            }
        }
        Err(SyncError::OrderBusy { order_id: order_id.to_string() })
    }

    /// Today's ratings from the buckets, the ODR negative-feedback rate, and the thresholds
    /// crossed since the previous snapshot.
    async fn snapshot(
        &self,
        account: &SellerAccount,
        marketplace: Marketplace,
        negatives_by_order_day: &BTreeMap<NaiveDate, u64>,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let seller = &account.seller_id;
        let Some(buckets) = self.store.get_buckets(seller, marketplace).await? else {
            return Ok(()); // no report applied yet: nothing to rate
        };
        let now = self.clock.now();
        let today = now.date_naive();
        let baseline =
            account.feedback.positive_baseline.get(&marketplace).copied().unwrap_or(PositiveBaseline::default());
        let positives_listed = buckets.window(today, None).positive > 0;
        let current = ratings(&buckets, today, positives_listed, baseline);
        // The window ends at the last day counted, which may lag (a poll behind): two windows back.
        let orders =
            self.store.orders_per_day(seller, marketplace, today - Duration::days(2 * ODR_WINDOW_DAYS), today).await?;
        let odr = odr_negative_feedback(&orders, negatives_by_order_day, today);
        let snapshot = RatingSnapshot {
            ratings: current,
            odr_negative_rate: odr.rate,
            orders_60: odr.orders,
            negative_orders_60: odr.negative_orders,
            computed_at: now,
        };
        let previous = self.store.latest_snapshot(seller, marketplace, today).await?;
        let crossed = crossings(
            previous.as_ref().map(|p| (&p.ratings, p.odr_negative_rate)),
            (&snapshot.ratings, odr.rate),
            &account.feedback.thresholds,
        );
        let events = crossed
            .iter()
            .map(|crossing| {
                DomainEvent::of(&RatingThresholdCrossed {
                    event_id: format!("rating-threshold:{seller}:{marketplace}:{today}:{}", crossing.code()),
                    seller_id: seller.clone(),
                    marketplace,
                    crossing: crossing.clone(),
                    snapshot: snapshot.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.events.publish(&events).await?;
        self.store.put_snapshot(seller, marketplace, &snapshot).await?;
        summary.snapshots += 1;
        summary.thresholds_crossed += crossed.len() as u32;
        Ok(())
    }
}

/// Orders with a (not removed) negative feedback, per order date, from the follow-up window
/// as just updated (one feedback per order: the map is keyed by order). Feedback whose order is unknown cannot be placed and is left out.
fn negative_orders_by_order_day(window: &[StoredFeedback], updated: &[StoredFeedback]) -> BTreeMap<NaiveDate, u64> {
    let latest: BTreeMap<&OrderId, &StoredFeedback> =
        window.iter().chain(updated.iter()).map(|s| (&s.feedback.order_id, s)).collect();
    let mut per_day = BTreeMap::new();
    for stored in latest.values() {
        let negative = stored.feedback.star_class() == StarClass::Negative && stored.removed_at.is_none();
        if let (true, Some(date)) = (negative, stored.follow_up.as_ref().and_then(|f| f.order_date)) {
            *per_day.entry(date).or_insert(0) += 1;
        }
    }
    per_day
}
