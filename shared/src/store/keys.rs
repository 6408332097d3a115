//! Every key of the single table is built here and nowhere else.
//!
//! | entity            | pk                                   | sk                         | due index (sparse)                         |
//! |-------------------|--------------------------------------|----------------------------|--------------------------------------------|
//! | seller account    | `SELLERS`                            | `SELLER#{seller}`          |                                            |
//! | order             | `SELLER#{seller}#ORDER#{order}`      | `ORDER`                    | `DUE#{seller}#{shard}` / `{time}#{order}` |
//! | feedback          | `SELLER#{seller}#MP#{mkt}#FEEDBACK`  | `{YYYY-MM-DD}#{order}`     |                                            |
//! | rating snapshot   | `SELLER#{seller}#MP#{mkt}#RATING`    | `{YYYY-MM-DD}`             |                                            |
//! | rating buckets    | `SELLER#{seller}#MP#{mkt}#RATING`    | `BUCKETS`                  |                                            |
//! | orders per day    | `SELLER#{seller}#MP#{mkt}#ORDERCOUNT`| `{YYYY-MM-DD}`             |                                            |
//! | review outcomes   | `SELLER#{seller}#MP#{mkt}#REVIEWS`   | `{YYYY-MM-DD}`             |                                            |
//! | report job        | `SELLER#{seller}#REPORTJOBS`         | `{report type}#{mkt}`      |                                            |
//! | alert ledger      | `SELLER#{seller}#ALERTS`             | `{event id}#{recipient}`   |                                            |
//! | sync checkpoint   | `SELLER#{seller}#MP#{mkt}`           | `CHECKPOINT#{stream}`      |                                            |
//!
//! Sellers share one partition so that listing them is a Query, not a Scan; there are few of
//! them and they change rarely. Orders get a partition each (getting one order is the hot
//! path). The due index is written only while a review request is pending or claimed, and its
//! partition is spread over `due_shards` shards per seller so a seller with a sales spike does
//! not concentrate writes on one index partition.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::domain::{Marketplace, OrderId, SellerId};

pub const SELLERS_PARTITION: &str = "SELLERS";
pub const ORDER_SORT_KEY: &str = "ORDER";

pub fn seller_sort_key(seller: &SellerId) -> String {
    format!("SELLER#{seller}")
}

pub fn order_partition(seller: &SellerId, order: &OrderId) -> String {
    format!("SELLER#{seller}#ORDER#{order}")
}

pub fn feedback_partition(seller: &SellerId, marketplace: Marketplace) -> String {
    format!("SELLER#{seller}#MP#{marketplace}#FEEDBACK")
}

pub fn feedback_sort_key(date: NaiveDate, order: &OrderId) -> String {
    format!("{}#{order}", date.format("%Y-%m-%d"))
}

/// Sort-key bounds of the feedback dated `from..=to` (inclusive at both ends).
pub fn feedback_range_start(from: NaiveDate) -> String {
    format!("{}#", from.format("%Y-%m-%d"))
}

pub fn feedback_range_end(to: NaiveDate) -> String {
    format!("{}#~", to.format("%Y-%m-%d"))
}

pub fn rating_partition(seller: &SellerId, marketplace: Marketplace) -> String {
    format!("SELLER#{seller}#MP#{marketplace}#RATING")
}

pub fn rating_sort_key(date: NaiveDate) -> String {
    day_sort_key(date)
}

/// Sorts after every date, so a date-range query on the rating partition never returns it.
pub const RATING_BUCKETS_SORT_KEY: &str = "BUCKETS";

/// The orders per purchase day, as counted from searchOrders. (Items of the older
/// `...#ORDERDAYS` partition, counted as orders were first recorded, are no longer read and
/// expire with their TTL.)
pub fn order_count_partition(seller: &SellerId, marketplace: Marketplace) -> String {
    format!("SELLER#{seller}#MP#{marketplace}#ORDERCOUNT")
}

pub fn day_sort_key(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Review-request outcomes per day: `SELLER#{seller}#MP#{mkt}#REVIEWS` / `{YYYY-MM-DD}`.
pub fn review_outcomes_partition(seller: &SellerId, marketplace: Marketplace) -> String {
    format!("SELLER#{seller}#MP#{marketplace}#REVIEWS")
}

pub fn report_jobs_partition(seller: &SellerId) -> String {
    format!("SELLER#{seller}#REPORTJOBS")
}

pub fn report_job_sort_key(report_type: &str, marketplace: Marketplace) -> String {
    format!("{report_type}#{marketplace}")
}

pub fn alerts_partition(seller: &SellerId) -> String {
    format!("SELLER#{seller}#ALERTS")
}

pub fn alert_sort_key(event_id: &str, recipient: &str) -> String {
    format!("{event_id}#{recipient}")
}

/// The seller's digest log: every event the alerts function received, by time.
pub fn digest_partition(seller: &SellerId) -> String {
    format!("SELLER#{seller}#DIGEST")
}

/// Fixed-width UTC time, so that sort keys order as times do.
pub fn digest_time_key(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub fn digest_sort_key(at: chrono::DateTime<chrono::Utc>, event_id: &str) -> String {
    format!("{}#{event_id}", digest_time_key(at))
}

pub fn checkpoint_partition(seller: &SellerId, marketplace: Marketplace) -> String {
    format!("SELLER#{seller}#MP#{marketplace}")
}

pub fn checkpoint_sort_key(stream: super::CheckpointStream) -> String {
    format!("CHECKPOINT#{}", stream.as_str())
}

/// Which due-index shard an order lives in: a stable hash of the order id (FNV-1a, written out
/// because it is four lines and must never change between releases).
pub fn due_shard(order: &OrderId, shards: u16) -> u16 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in order.as_str().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash % u64::from(shards.max(1))) as u16
}

pub fn due_partition(seller: &SellerId, shard: u16) -> String {
    format!("DUE#{seller}#{shard}")
}

/// Fixed-width UTC timestamps sort as strings in time order.
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn due_sort_key(at: DateTime<Utc>, order: &OrderId) -> String {
    format!("{}#{order}", sortable_time(at))
}

/// The time and order a due-index sort key names (the reverse of [`due_sort_key`]).
pub fn parse_due_sort_key(due_sk: &str) -> Result<(DateTime<Utc>, OrderId), &'static str> {
    let (time, order) = due_sk.split_once('#').ok_or("due_sk has no '#'")?;
    let at = DateTime::parse_from_rfc3339(time).map_err(|_| "due_sk does not start with a time")?;
    let order = OrderId::parse(order).map_err(|_| "due_sk does not end with an order id")?;
    Ok((at.with_timezone(&Utc), order))
}

/// Upper bound for "due at or before `now`" on the due index: every sort key that starts with a
/// time <= now sorts below it ('~' sorts after '#' and every digit).
pub fn due_upper_bound(now: DateTime<Utc>) -> String {
    format!("{}#~", sortable_time(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_keys_sort_in_time_order_and_bound_is_inclusive() {
        let order = OrderId::parse("902-3159896-1390916").unwrap();
        let t0 = DateTime::parse_from_rfc3339("2026-03-10T09:00:00Z").unwrap().with_timezone(&Utc);
        let t1 = t0 + chrono::Duration::milliseconds(1);
        assert!(due_sort_key(t0, &order) < due_sort_key(t1, &order));
        assert!(due_sort_key(t0, &order) <= due_upper_bound(t0));
        assert!(due_sort_key(t1, &order) > due_upper_bound(t0));
        assert_eq!(parse_due_sort_key(&due_sort_key(t1, &order)), Ok((t1, order.clone())));
        assert!(parse_due_sort_key("2026-03-01T00:00:00Z").is_err());
    }

    #[test]
    fn shards_are_stable_and_spread() {
        let mut counts = [0u32; 8];
        for n in 0..8000u32 {
            let id = OrderId::parse(format!("111-{:07}-{:07}", n, n * 7 % 9_999_999)).unwrap();
            let shard = due_shard(&id, 8);
            assert_eq!(shard, due_shard(&id, 8));
            counts[usize::from(shard)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 700), "uneven shards: {counts:?}");
        assert_eq!(due_shard(&OrderId::parse("902-3159896-1390916").unwrap(), 1), 0);
    }
}
