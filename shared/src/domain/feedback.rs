//! Seller feedback as Feedback Autopilot keeps it: no rater e-mail, no buyer name.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ids::OrderId;
use super::marketplace::Marketplace;

/// How Amazon counts a rating: 4-5 positive, 3 neutral, 1-2 negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StarClass {
    Positive,
    Neutral,
    Negative,
}

impl StarClass {
    pub fn of(rating: u8) -> Self {
        match rating {
            4..=5 => StarClass::Positive,
            3 => StarClass::Neutral,
            _ => StarClass::Negative,
        }
    }
}

/// One feedback from the GET_SELLER_FEEDBACK_DATA report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub marketplace: Marketplace,
    pub order_id: OrderId,
    pub date: NaiveDate,
    /// 1 to 5 stars.
    pub rating: u8,
    pub comment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
}

impl Feedback {
    pub fn star_class(&self) -> StarClass {
        StarClass::of(self.rating)
    }
}

/// The two deadlines that matter for a negative or neutral feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// The buyer can remove their own feedback until then.
    BuyerRemoval,
    /// Amazon takes the seller's removal request until then.
    RemovalRequest,
}

impl DeadlineKind {
    pub fn code(self) -> &'static str {
        match self {
            DeadlineKind::BuyerRemoval => "buyer_removal",
            DeadlineKind::RemovalRequest => "removal_request",
        }
    }
}

/// How long after a feedback each deadline falls. Amazon does not publish either figure
/// firmly, so both are settings with the commonly quoted defaults (60 and 90 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackDeadlines {
    pub buyer_removal_days: u16,
    pub removal_request_days: u16,
}

impl Default for FeedbackDeadlines {
    fn default() -> Self {
        Self { buyer_removal_days: 60, removal_request_days: 90 }
    }
}

/// Reminders go out this many days before a deadline, most distant first.
pub const REMINDER_MARKS: [u16; 2] = [14, 3];

/// One deadline of one feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// The last day the action is possible.
    pub date: NaiveDate,
}

/// A reminder that has come due: `mark` days before the deadline (14 or 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub deadline: Deadline,
    pub mark: u16,
    /// Days left as of the day the reminder is computed (can be less than `mark` if a run
    /// was missed).
    pub days_left: i64,
}

impl Reminder {
    /// A stable name, so each reminder is recorded (and sent) once.
    pub fn key(&self) -> String {
        format!("{}:{}", self.deadline.kind.code(), self.mark)
    }
}

impl FeedbackDeadlines {
    /// The deadlines that apply to a feedback left on `date`: the buyer-removal deadline for
    /// every negative or neutral one; the removal-request deadline only where Amazon's grounds
    /// apply (`actionable`: removable or strike-through), since asking otherwise is against
    /// Amazon's policy.
    pub fn for_feedback(&self, date: NaiveDate, actionable: bool) -> Vec<Deadline> {
        let mut deadlines = vec![Deadline {
            kind: DeadlineKind::BuyerRemoval,
            date: date + chrono::Duration::days(i64::from(self.buyer_removal_days)),
        }];
        if actionable {
            deadlines.push(Deadline {
                kind: DeadlineKind::RemovalRequest,
                date: date + chrono::Duration::days(i64::from(self.removal_request_days)),
            });
        }
        deadlines
    }
}

/// The reminders due `today` for `deadlines`, given those already sent (by [`Reminder::key`]).
/// Once a deadline has passed nothing is due. When several marks have passed (a late first
/// sight, or missed runs), only the closest one is due and the others count as covered by it,
/// so a seller never gets a "14 days left" mail with 3 days left.
pub fn due_reminders(
    deadlines: &[Deadline],
    today: NaiveDate,
    sent: &BTreeSet<String>,
) -> (Vec<Reminder>, Vec<String>) {
    let mut due = Vec::new();
    let mut covered = Vec::new();
    for deadline in deadlines {
        let days_left = (deadline.date - today).num_days();
        if days_left < 0 {
            continue;
        }
        let passed: Vec<u16> = REMINDER_MARKS.iter().copied().filter(|m| days_left <= i64::from(*m)).collect();
        let Some(closest) = passed.iter().copied().min() else { continue };
        let reminder = Reminder { deadline: *deadline, mark: closest, days_left };
        if sent.contains(&reminder.key()) {
            continue;
        }
        due.push(reminder);
        covered.extend(
            passed
                .iter()
                .filter(|m| **m != closest)
                .map(|m| Reminder { mark: *m, ..reminder }.key())
                .filter(|k| !sent.contains(k)),
        );
    }
    (due, covered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn removal_request_deadline_only_where_grounds_apply() {
        let deadlines = FeedbackDeadlines::default();
        let left = d(2026, 1, 1);
        assert_eq!(
            deadlines.for_feedback(left, true),
            vec![
                Deadline { kind: DeadlineKind::BuyerRemoval, date: d(2026, 3, 2) },
                Deadline { kind: DeadlineKind::RemovalRequest, date: d(2026, 4, 1) },
            ]
        );
        assert_eq!(deadlines.for_feedback(left, false).len(), 1);
    }

    #[test]
    fn each_mark_once_and_the_closest_when_late() {
        let deadline = [Deadline { kind: DeadlineKind::BuyerRemoval, date: d(2026, 3, 31) }];
        let mut sent = BTreeSet::new();
        assert_eq!(due_reminders(&deadline, d(2026, 3, 16), &sent).0, vec![], "15 days left: nothing yet");
        let (due, covered) = due_reminders(&deadline, d(2026, 3, 17), &sent);
        assert_eq!(due.iter().map(|r| (r.mark, r.days_left)).collect::<Vec<_>>(), vec![(14, 14)]);
        assert!(covered.is_empty());
        sent.insert(due[0].key());
        assert!(due_reminders(&deadline, d(2026, 3, 18), &sent).0.is_empty(), "14-day mark already sent");
        let (due, _) = due_reminders(&deadline, d(2026, 3, 29), &sent);
        assert_eq!(due.iter().map(|r| (r.mark, r.days_left)).collect::<Vec<_>>(), vec![(3, 2)]);
        assert!(due_reminders(&deadline, d(2026, 4, 1), &BTreeSet::new()).0.is_empty(), "deadline passed");
        let (due, covered) = due_reminders(&deadline, d(2026, 3, 30), &BTreeSet::new());
        assert_eq!(due.iter().map(|r| r.mark).collect::<Vec<_>>(), vec![3], "late: only the closest mark");
        assert_eq!(covered, vec!["buyer_removal:14".to_string()]);
    }
}
