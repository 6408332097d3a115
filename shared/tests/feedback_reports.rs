//! The feedback report parser on one fixture per date-format family (tests/fixtures/reports).

use autopilot_shared::domain::Marketplace;
use autopilot_shared::reports::feedback::parse_feedback_report;
use chrono::NaiveDate;

/// The report fixtures, shared with the integration tests and the simulator.
fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/reports")
}

fn fixture(name: &str) -> String {
    let path = fixtures().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A fixture, its marketplace, and the (date, stars) of its rows.
type Case = (&'static str, Marketplace, Vec<(NaiveDate, u8)>);

#[test]
fn every_date_family_parses_to_the_same_dates() {
    let cases: Vec<Case> = vec![
        ("us_m-d-yy.tsv", Marketplace::Us, vec![(d(2026, 11, 3), 1), (d(2026, 2, 14), 3), (d(2025, 12, 31), 2)]),
        ("de_d.m.yy_bom_crlf.tsv", Marketplace::De, vec![(d(2026, 11, 3), 1), (d(2026, 2, 14), 2)]),
        ("jp_yy-m-d.tsv", Marketplace::Jp, vec![(d(2026, 11, 3), 1), (d(2025, 12, 31), 3)]),
        ("se_yyyy-mm-dd.tsv", Marketplace::Se, vec![(d(2026, 11, 3), 2), (d(2026, 2, 14), 1)]),
        ("uk_d-m-yy_legacy_columns.tsv", Marketplace::Uk, vec![(d(2026, 11, 3), 1), (d(2026, 2, 14), 2)]),
    ];
    for (name, marketplace, expected) in &cases {
        let text = fixture(name);
        let parsed = parse_feedback_report(&text, *marketplace).unwrap_or_else(|err| panic!("{name}: {err}"));
        let got: Vec<(NaiveDate, u8)> = parsed.feedback.iter().map(|f| (f.date, f.rating)).collect();
        assert_eq!(got, *expected, "{name}");
        assert!(parsed.feedback.iter().all(|f| f.marketplace == *marketplace), "{name}");
        let dump = format!("{:?}", parsed.feedback);
        assert!(!dump.contains("marketplace.amazon"), "{name}: the rater e-mail must be dropped: {dump}");
    }
}

#[test]
fn comments_responses_and_whitespace_come_through_cleanly() {
    let us = parse_feedback_report(&fixture("us_m-d-yy.tsv"), Marketplace::Us).unwrap();
    assert_eq!(us.feedback[1].response.as_deref(), Some("Sorry about the delay!"));
    assert_eq!(us.feedback[2].comment, "", "an empty comment is a valid row");
    let de = parse_feedback_report(&fixture("de_d.m.yy_bom_crlf.tsv"), Marketplace::De).unwrap();
    assert_eq!(de.feedback[0].comment, "Scheiße, nie wieder", "no BOM or CR left in the data");
    assert_eq!(de.feedback[0].order_id.as_str(), "302-1234567-1234567");
    let se = parse_feedback_report(&fixture("se_yyyy-mm-dd.tsv"), Marketplace::Se).unwrap();
    assert_eq!(se.feedback[1].comment.split_whitespace().collect::<Vec<_>>(), ["extra", "spaces"]);
    assert!(!se.feedback[1].comment.starts_with(' '));
}

#[test]
fn a_malformed_row_is_named_by_its_line_and_the_rest_is_kept() {
    let uk = parse_feedback_report(&fixture("uk_d-m-yy_legacy_columns.tsv"), Marketplace::Uk).unwrap();
    assert_eq!(uk.feedback.len(), 2);
    assert_eq!(uk.rejected.len(), 1);
    assert_eq!(uk.rejected[0].line, 4);
    assert!(
        uk.rejected[0].message.contains("Date") && uk.rejected[0].message.contains("D/M/YY"),
        "{}",
        uk.rejected[0].message
    );
    assert!(!uk.rejected[0].message.contains("not-a-date"), "the cell itself is never quoted");
    assert!(!uk.rejected[0].to_string().contains("x@y.z"), "a row error never quotes the rater e-mail");
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

#[test]
fn legacy_encoded_reports_decode_and_parse_with_exact_comments() {
    use autopilot_shared::reports::encoding::decode_report;
    let jp_bytes = fixture_bytes("jp_windows-31j.tsv");
    assert!(std::str::from_utf8(&jp_bytes).is_err(), "the fixture really is not UTF-8");
    for content_type in [None, Some("text/plain; charset=Windows-31J"), Some("text/plain; charset=Shift_JIS")] {
        let decoded = decode_report(&jp_bytes, content_type, Marketplace::Jp).unwrap();
        let jp = parse_feedback_report(&decoded.text, Marketplace::Jp).unwrap();
        assert!(jp.rejected.is_empty(), "{:?}", jp.rejected);
        let comments: Vec<&str> = jp.feedback.iter().map(|f| f.comment.as_str()).collect();
        assert_eq!(comments, ["最悪の商品です。二度と買いません", "配送が遅い。箱がつぶれていた"]);
        assert_eq!(jp.feedback[1].response.as_deref(), Some("ご迷惑をおかけしました"));
        assert_eq!(jp.feedback[0].date, d(2026, 11, 3));
    }

    let de_bytes = fixture_bytes("de_cp1252.tsv");
    assert!(std::str::from_utf8(&de_bytes).is_err(), "the fixture really is not UTF-8");
    for content_type in [None, Some("text/plain; charset=Cp1252"), Some("text/plain; charset=ISO-8859-1")] {
        let decoded = decode_report(&de_bytes, content_type, Marketplace::De).unwrap();
        let de = parse_feedback_report(&decoded.text, Marketplace::De).unwrap();
        let comments: Vec<&str> = de.feedback.iter().map(|f| f.comment.as_str()).collect();
        assert_eq!(comments, ["Scheiße, nie wieder – Müll", "Zu spät geliefert, Größe falsch"]);
        assert_eq!(de.feedback[1].response.as_deref(), Some("Entschuldigung für die Verspätung"));
    }
    // triage sees the word a lossy decode would have broken
    let decoded = decode_report(&de_bytes, None, Marketplace::De).unwrap();
    let de = parse_feedback_report(&decoded.text, Marketplace::De).unwrap();
    let verdict = autopilot_shared::domain::triage::triage(
        &de.feedback[0].comment,
        1,
        "de",
        autopilot_shared::domain::FulfillmentChannel::Mfn,
    );
    assert!(verdict.removable, "{verdict:?}");
    let lossy = String::from_utf8_lossy(&de_bytes);
    assert!(!lossy.contains("Scheiße"), "what the old lossy decode lost");
}
