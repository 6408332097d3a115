//! Properties of everything that reads outside input, for any input (proptest, stable, in CI;
//! the libFuzzer targets in infra/fuzz search the same functions deeper, by hand): the
//! notification parser, the feedback report decoder and parser, triage, and the alert mail
//! renderer never panic, and what they report stays within its bounds.

use autopilot_shared::alerts::{mail, mime};
use autopilot_shared::domain::triage::triage;
use autopilot_shared::domain::{FulfillmentChannel, Marketplace};
use autopilot_shared::events::NegativeFeedbackReceived;
use autopilot_shared::notifications::{parse_notification, unwrap_sqs_envelope};
use autopilot_shared::reports::{encoding, feedback};
use autopilot_tests::mail_samples::{feedback as feedback_ref, seller_account};
use proptest::prelude::*;
use serde_json::json;

fn marketplace() -> impl Strategy<Value = Marketplace> {
    (0..Marketplace::ALL.len()).prop_map(|n| Marketplace::ALL[n])
}

/// Strings with the characters that break parsers: tabs, line ends, quotes, markup, non-ASCII.
fn nasty_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('\t'),
            Just('\n'),
            Just('\r'),
            Just('"'),
            Just('<'),
            Just('&'),
            Just('@'),
            Just('ß'),
            Just('評'),
            Just('\u{feff}'),
            any::<char>(),
            prop::char::range('0', '9'),
            prop::char::range('a', 'z'),
        ],
        0..80,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_body_is_a_notification_or_an_error_naming_its_field(body in nasty_text(), status in nasty_text(), date in nasty_text()) {
        let _ = parse_notification(&body);
        let _ = unwrap_sqs_envelope(&body);
        let notification = json!({
            "NotificationType": "ORDER_CHANGE",
            "EventTime": "2026-03-01T00:00:00Z",
            "Payload": {"OrderChangeNotification": {
                "SellerId": "A3TH9S8BH6GOGM", "AmazonOrderId": "903-8868176-2219830",
                "OrderChangeType": "OrderStatusChange",
                "OrderChangeTrigger": {"TimeOfOrderChange": date, "ChangeReason": "x"},
                "Summary": {"MarketplaceId": "ATVPDKIKX0DER", "OrderStatus": status, "PurchaseDate": null,
                            "FulfillmentType": "AFN", "OrderType": "StandardOrder", "OrderItems": []}
            }}
        });
        if let Err(err) = parse_notification(&notification.to_string()) {
            let message = err.to_string();
            prop_assert!(message.contains("Payload.OrderChangeNotification"), "{}", message);
            prop_assert!(message.chars().count() < 400, "{} chars", message.chars().count());
        }
    }

    #[test]
    fn every_report_row_is_either_read_or_rejected_with_its_line(
        marketplace in marketplace(),
        rows in prop::collection::vec((nasty_text(), 0u8..7, nasty_text()), 0..12),
    ) {
        let mut text = feedback_header(marketplace);
        for (date, rating, comment) in &rows {
            text.push_str(&format!("{date}\t{rating}\t{comment}\t\t111-1234567-1234567\tr@example.com\n"));
        }
        let report = feedback::parse_feedback_report(&text, marketplace).unwrap();
        for rejected in &report.rejected {
            prop_assert!(rejected.line >= 2);
            prop_assert!(!rejected.message.contains("r@example.com"));
        }
        let bytes = text.as_bytes();
        let decoded = encoding::decode_report(bytes, None, marketplace).unwrap();
        prop_assert_eq!(decoded.text, text);
    }

    #[test]
    fn any_bytes_decode_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..200), marketplace in marketplace(), labelled in any::<bool>()) {
        let content_type = labelled.then_some("text/plain; charset=Windows-31J");
        if let Ok(decoded) = encoding::decode_report(&bytes, content_type, marketplace) {
            let _ = feedback::parse_feedback_report(&decoded.text, marketplace);
        }
    }

    #[test]
    fn triage_gives_evidence_for_every_reason(comment in nasty_text(), rating in 0u8..7, afn in any::<bool>(), marketplace in marketplace()) {
        let channel = if afn { FulfillmentChannel::Afn } else { FulfillmentChannel::Mfn };
        let verdict = triage(&comment, rating, marketplace.language(), channel);
        prop_assert_eq!(verdict.reasons.is_empty(), verdict.evidence.is_empty(), "{:?}", verdict);
        prop_assert!(!verdict.removable || !verdict.reasons.is_empty());
    }

    #[test]
    fn a_mail_never_carries_the_buyers_markup(comment in nasty_text(), response in prop::option::of(nasty_text())) {
        let account = seller_account();
        // the buyer's words around markup that must never reach the page as markup
        let comment = format!("{comment}<script>alert(1)</script>{comment}");
        let mut reference = feedback_ref(1, &comment);
        reference.response = response;
        let event = NegativeFeedbackReceived {
            event_id: "e".into(),
            seller_id: account.seller_id.clone(),
            feedback: reference,
            order_date: None,
            fulfillment: None,
            triage: Default::default(),
            deadlines: vec![],
        };
        let rendered = mail::negative_feedback_mail(&account, &event);
        prop_assert!(!rendered.html.contains("<script>"), "the comment is escaped in HTML");
        prop_assert!(rendered.html.contains("&lt;script&gt;"), "the comment is shown, escaped");
        prop_assert!(!rendered.subject.contains('\n') && !rendered.subject.contains('\r'));
        let raw = mime::raw_message(&rendered, "alerts@seller.example", "owner@seller.example", "m@test", chrono::DateTime::UNIX_EPOCH);
        let headers = String::from_utf8_lossy(&raw);
        let headers = headers.split("\r\n\r\n").next().unwrap_or_default();
        prop_assert!(headers.lines().all(|l| !l.to_lowercase().starts_with("bcc:")), "no header injection");
    }
}

fn feedback_header(marketplace: Marketplace) -> String {
    let header = spapi_sim::report_header(marketplace);
    format!("{}\n", header.join("\t"))
}
