//! The `autopilot` binary as an operator runs it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn official() -> String {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/notifications/order_change_official.json");
    std::fs::read_to_string(path).unwrap()
}

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_autopilot"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn prints_the_normalized_change_without_buyer_data() {
    let (code, stdout, stderr) = run(&["notification", "-"], &official());
    assert_eq!(code, 0, "{stderr}");
    let change: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(change["order_id"], "903-8868176-2219830");
    assert_eq!(change["seller_id"], "A3TH9S8BH6GOGM");
    assert_eq!(change["status"], "Unshipped");
    assert_eq!(change["buyer_cancel_requested"], true);
    assert_eq!(change["changed_at"], "2022-11-29T19:42:04.284Z");
    assert!(!stdout.contains("48110"), "no postal code in the output");
}

#[test]
fn accepts_an_sqs_message_wrapping_the_notification() {
    let wrapped = serde_json::json!({"MessageId": "m-1", "Body": official()}).to_string();
    let (code, stdout, stderr) = run(&["notification", "-"], &wrapped);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("903-8868176-2219830"));
}

#[test]
fn reads_a_file() {
    let path = std::env::temp_dir().join(format!("autopilot-cli-{}.json", std::process::id()));
    std::fs::write(&path, official()).unwrap();
    let (code, stdout, _) = run(&["notification", path.to_str().unwrap()], "");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 0);
    assert!(stdout.contains("\"marketplace\": \"ATVPDKIKX0DER\""), "{stdout}");
}

#[test]
fn names_the_bad_field_and_exits_non_zero() {
    let mut bad: serde_json::Value = serde_json::from_str(&official()).unwrap();
    bad["Payload"]["OrderChangeNotification"]["Summary"]["PurchaseDate"] = serde_json::json!("yesterday");
    let (code, stdout, stderr) = run(&["notification", "-"], &bad.to_string());
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("Payload.OrderChangeNotification.Summary.PurchaseDate"), "{stderr}");

    let (code, _, stderr) = run(&["notification", "-"], "{\"Payload\": 1}");
    assert_eq!(code, 1);
    assert!(stderr.contains("NotificationType"), "{stderr}");

    let (code, _, stderr) = run(&["notification", "/no/such/file.json"], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("/no/such/file.json"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = run(&["frobnicate"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("Usage: autopilot"), "{stderr}");
}

#[test]
fn feedback_report_prints_one_json_object_per_feedback_and_names_bad_lines() {
    let report = "Datum\tBewertung\tKommentare\tIhre Antwort\tBestellnummer\tE-Mail-Adresse des Bewerters\r\n\
                  7.3.26\t1\tKaputt\t\t302-1234567-1234567\tx7@marketplace.amazon.de\r\n\
                  40.3.26\t1\tKaputt\t\t302-1234567-1234568\tx8@marketplace.amazon.de\r\n\
                  8.3.26\t3\tOk\tDanke\t302-1234567-1234569\tx9@marketplace.amazon.de\r\n";
    let (code, stdout, stderr) = run(&["feedback-report", "--marketplace", "A1PA6795UKMFR9", "-"], report);
    assert_eq!(code, 1, "a rejected row makes the exit status 1");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "the good rows are all printed");
    assert_eq!(
        lines[0],
        serde_json::json!({"date": "2026-03-07", "rating": 1, "comment": "Kaputt", "response": null, "order_id": "302-1234567-1234567"})
    );
    assert_eq!(lines[1]["response"], "Danke");
    assert!(stderr.contains("line 3") && stderr.contains("Date"), "{stderr}");
    assert!(!stdout.contains("marketplace.amazon.de"), "the rater e-mail is dropped");
}

#[test]
fn feedback_report_reads_gzip_and_country_codes() {
    use flate2::write::GzEncoder;
    let report =
        "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\n3/7/26\t2\tLate\t\t111-1234567-1234567\ta@b.c\n";
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(report.as_bytes()).unwrap();
    let path = std::env::temp_dir().join(format!("autopilot-report-{}.gz", std::process::id()));
    std::fs::write(&path, encoder.finish().unwrap()).unwrap();
    let (code, stdout, stderr) = run(&["feedback-report", "--marketplace", "US", path.to_str().unwrap()], "");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"date\":\"2026-03-07\""), "{stdout}");
}

#[test]
fn feedback_report_reads_legacy_encodings_without_being_told_and_takes_an_override() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/reports");
    let jp = fixtures.join("jp_windows-31j.tsv");
    let (code, stdout, stderr) = run(&["feedback-report", "--marketplace", "JP", jp.to_str().unwrap()], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("最悪の商品です。二度と買いません"), "{stdout}");
    assert!(stderr.contains("Shift_JIS"), "says how it read the file: {stderr}");
    let de = fixtures.join("de_cp1252.tsv");
    let (code, stdout, _) = run(&["feedback-report", "--marketplace", "DE", de.to_str().unwrap()], "");
    assert_eq!(code, 0);
    assert!(stdout.contains("Scheiße, nie wieder – Müll"), "{stdout}");
    // told: the override wins (and a wrong one fails loudly instead of garbling)
    let (code, stdout, _) =
        run(&["feedback-report", "--marketplace", "DE", "--encoding", "windows-1252", de.to_str().unwrap()], "");
    assert_eq!(code, 0);
    assert!(stdout.contains("Größe falsch"), "{stdout}");
    let (code, _, stderr) =
        run(&["feedback-report", "--encoding", "UTF-8", "--marketplace", "DE", de.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
    let (code, _, stderr) =
        run(&["feedback-report", "--marketplace", "DE", "--encoding", "klingon", de.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("--encoding") && stderr.contains("klingon"), "{stderr}");
}

#[test]
fn triage_reads_json_lines_and_prints_a_verdict_each() {
    let input = "{\"comment\": \"Paket kam zu spät an\", \"rating\": 2}\n\
                 {\"comment\": \"Scheiße\", \"rating\": 1}\n\
                 not json\n\
                 {\"comment\": \"Alles gut\", \"rating\": 7}\n";
    let (code, stdout, stderr) = run(&["triage", "--marketplace", "A1PA6795UKMFR9", "--fulfillment", "AFN"], input);
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["strike_through"], true);
    assert_eq!(lines[0]["removable"], false);
    assert_eq!(lines[0]["reasons"], serde_json::json!(["fba_delivery"]));
    assert_eq!(lines[1]["removable"], true);
    assert_eq!(lines[1]["reasons"], serde_json::json!(["obscene"]));
    assert!(lines[1]["evidence"][0].as_str().unwrap().contains("scheiße"));
    assert!(stderr.contains("line 3") && stderr.contains("line 4"), "{stderr}");

    let (code, _, stderr) = run(&["triage", "--marketplace", "XX", "--fulfillment", "AFN"], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("--marketplace"), "{stderr}");
}
