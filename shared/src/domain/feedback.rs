//! Seller feedback as Feedback Autopilot keeps it: no rater e-mail, no buyer name.

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
