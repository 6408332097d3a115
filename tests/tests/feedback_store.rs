//! Feedback reports folded into DynamoDB Local: idempotent upserts and removal tracking.

use std::sync::Arc;

use autopilot_shared::domain::feedback::Feedback;
use autopilot_shared::domain::{ManualClock, Marketplace, OrderId};
use autopilot_shared::feedback_sync::{Removals, apply_report};
use autopilot_shared::store::FeedbackStore;
use autopilot_tests::fixtures::{at, seller_id};
use autopilot_tests::fresh_store;
use chrono::NaiveDate;

fn feedback(n: u32, day: u32, rating: u8, comment: &str) -> Feedback {
    Feedback {
        marketplace: Marketplace::De,
        order_id: OrderId::parse(format!("302-8000000-{n:07}")).unwrap(),
        date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
        rating,
        comment: comment.into(),
        response: None,
    }
}

#[tokio::test]
async fn reports_are_applied_idempotently_and_removals_are_tracked() {
    let store = fresh_store(Arc::new(ManualClock::new(at("2026-03-20T00:00:00Z"))), |c| c.page_size = Some(2)).await;
    let seller = seller_id(1);
    let range = (NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    let first = vec![
        feedback(1, 3, 1, "Kaputt"),
        feedback(2, 5, 2, "Spät"),
        feedback(3, 7, 3, "Ok"),
        feedback(4, 9, 1, "Mist"),
    ];

    let applied =
        apply_report(&store, &seller, Marketplace::De, range, &first, Removals::Infer, at("2026-03-20T00:00:00Z"))
            .await
            .unwrap();
    assert_eq!((applied.new.len(), applied.unchanged, applied.removed.len()), (4, 0, 0));

    let writes = store.capacity().write_units;
    let again =
        apply_report(&store, &seller, Marketplace::De, range, &first, Removals::Infer, at("2026-03-21T00:00:00Z"))
            .await
            .unwrap();
    assert_eq!((again.new.len(), again.changed.len(), again.unchanged, again.removed.len()), (0, 0, 4, 0));
    assert_eq!(store.capacity().write_units, writes, "the same report writes nothing");

    // the buyer removed #2 and edited #3; #1 lies outside the next report's range and stays
    let narrower = (NaiveDate::from_ymd_opt(2026, 3, 4).unwrap(), range.1);
    let second = vec![feedback(3, 7, 2, "Doch nicht ok"), feedback(4, 9, 1, "Mist")];
    let changes =
        apply_report(&store, &seller, Marketplace::De, narrower, &second, Removals::Infer, at("2026-03-22T00:00:00Z"))
            .await
            .unwrap();
    assert_eq!(changes.removed.iter().map(|f| f.order_id.to_string()).collect::<Vec<_>>(), vec!["302-8000000-0000002"]);
    assert_eq!(changes.changed.len(), 1);
    let stored = store.feedback_between(&seller, Marketplace::De, range.0, range.1).await.unwrap();
    assert_eq!(stored.len(), 4, "removed feedback is kept, marked");
    let removed: Vec<_> = stored.iter().filter(|s| s.removed_at.is_some()).collect();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].removed_at, Some(at("2026-03-22T00:00:00Z")));
    assert_eq!(removed[0].first_seen, at("2026-03-20T00:00:00Z"));

    // listed again: restored
    let restored =
        apply_report(&store, &seller, Marketplace::De, range, &first, Removals::Infer, at("2026-03-23T00:00:00Z"))
            .await
            .unwrap();
    assert_eq!((restored.restored.len(), restored.changed.len()), (1, 1));

    // the date range bounds are inclusive at both ends
    let one_day = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
    assert_eq!(store.feedback_between(&seller, Marketplace::De, one_day, one_day).await.unwrap().len(), 1);
    assert!(store.feedback_between(&seller, Marketplace::Us, range.0, range.1).await.unwrap().is_empty());
}
