//! Folding a feedback report into the store: new feedback recorded, changed feedback updated,
//! and feedback seen before that is missing from a later report covering its date marked
//! removed, so removal outcomes are tracked. Idempotent: the same report twice writes nothing.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::feedback::Feedback;
use crate::domain::{Marketplace, SellerId};
use crate::store::{FeedbackStore, StoreError, StoredFeedback};

/// What a report changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportChanges {
    pub new: Vec<Feedback>,
    pub changed: Vec<Feedback>,
    /// Seen before, missing now: removed by the buyer or by Amazon.
    pub removed: Vec<Feedback>,
    /// Marked removed before, listed again.
    pub restored: Vec<Feedback>,
    pub unchanged: usize,
}

/// Whether a report may prove that feedback was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removals {
    /// Every row of the report was read: feedback it no longer lists was removed.
    Infer,
    /// Some rows were rejected: any missing feedback could be one of them, so nothing is marked
    /// removed from this report.
    NotFromThisReport,
}

/// Apply one report of `marketplace` that covers feedback dated `from..=to`.
pub async fn apply_report(
    store: &dyn FeedbackStore,
    seller: &SellerId,
    marketplace: Marketplace,
    (from, to): (NaiveDate, NaiveDate),
    report: &[Feedback],
    removals: Removals,
    now: DateTime<Utc>,
) -> Result<ReportChanges, StoreError> {
    let mut existing: HashMap<String, StoredFeedback> = store
        .feedback_between(seller, marketplace, from, to)
        .await?
        .into_iter()
        .map(|s| (s.feedback.order_id.to_string(), s))
        .collect();
    let mut changes = ReportChanges::default();
    for feedback in report.iter().filter(|f| f.marketplace == marketplace && f.date >= from && f.date <= to) {
        match existing.remove(feedback.order_id.as_str()) {
            None => {
                store.put_feedback(seller, &StoredFeedback::new(feedback.clone(), now)).await?;
                changes.new.push(feedback.clone());
            }
            Some(stored) if stored.removed_at.is_some() => {
                store
                    .put_feedback(
                        seller,
                        &StoredFeedback {
                            feedback: feedback.clone(),
                            removed_at: None,
                            removal_announced: false,
                            ..stored
                        },
                    )
                    .await?;
                changes.restored.push(feedback.clone());
            }
            Some(stored) if stored.feedback != *feedback => {
                store.put_feedback(seller, &StoredFeedback { feedback: feedback.clone(), ..stored }).await?;
                changes.changed.push(feedback.clone());
            }
            Some(_) => changes.unchanged += 1,
        }
    }
    if removals == Removals::NotFromThisReport {
        return Ok(changes);
    }
    for (_, stored) in existing.into_iter().filter(|(_, s)| s.removed_at.is_none()) {
        changes.removed.push(stored.feedback.clone());
        store.put_feedback(seller, &StoredFeedback { removed_at: Some(now), ..stored }).await?;
    }
    Ok(changes)
}
