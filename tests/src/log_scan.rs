//! A scanner for what must never be in a log line: buyers' personal data (e-mail addresses,
//! postal codes) and secrets (LWA access and refresh tokens, client secrets, pre-signed URL
//! signatures). The test command runs it over the JSON logs the suite and the demo write at
//! debug level (`AUTOPILOT_LOG_DIR`); `cargo run -p autopilot-tests --bin log-scan -- DIR`.

/// The postal codes the fixtures and the simulator give buyers (ORDER_CHANGE's
/// `DestinationPostalCode`): none of them may reach a log.
pub const PLANTED_POSTAL_CODES: &[&str] =
    &["48110", "98101", "98100", "98102", "98103", "98104", "98105", "98106", "98107", "98108", "98109"];

/// Every finding in one line of text, each naming what it found (never more of the line).
pub fn findings(line: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    if has_email(line) {
        found.push("an e-mail address");
    }
    if line.contains("PostalCode") || PLANTED_POSTAL_CODES.iter().any(|code| has_number(line, code)) {
        found.push("a postal code");
    }
    if line.contains("Atza|") || line.contains("Atzr|") {
        found.push("an LWA token");
    }
    if line.contains("amzn1.oa2-cs") || line.contains("client_secret") {
        found.push("a client secret");
    }
    let lower = line.to_ascii_lowercase();
    if lower.contains("x-amz-signature") || lower.contains("x-amz-security-token") || lower.contains("?expires=") {
        found.push("a pre-signed URL's signature");
    }
    found
}

/// `word@domain.tld`, the way a person writes an address.
fn has_email(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.iter().enumerate().filter(|(_, b)| **b == b'@').any(|(at, _)| {
        let local = bytes[..at].iter().rev().take_while(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(b)).count();
        let domain: Vec<u8> =
            bytes[at + 1..].iter().take_while(|b| b.is_ascii_alphanumeric() || b".-".contains(b)).copied().collect();
        let domain = String::from_utf8_lossy(&domain);
        let domain = domain.trim_end_matches('.');
        local > 0 && domain.contains('.') && domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2)
    })
}

/// `number` as a whole number in the line (not part of a longer one).
fn has_number(line: &str, number: &str) -> bool {
    line.match_indices(number).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + number.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_personal_data_and_secrets_are_found() {
        let planted = [
            (r#"{"message":"order","postal":"48110"}"#, "a postal code"),
            (r#"{"DestinationPostalCode":null}"#, "a postal code"),
            (r#"{"rater":"buyer-1@marketplace.amazon.de"}"#, "an e-mail address"),
            (r#"{"token":"Atza|IwEBIA"}"#, "an LWA token"),
            (r#"{"refresh":"Atzr|IwEBIA"}"#, "an LWA token"),
            (r#"{"secret":"amzn1.oa2-cs.v1.abc"}"#, "a client secret"),
            (
                r#"error sending request for url (https://s3.example/doc?X-Amz-Signature=abc)"#,
                "a pre-signed URL's signature",
            ),
            (r#"GET http://127.0.0.1:1/_sim/documents/d?expires=1772000000"#, "a pre-signed URL's signature"),
        ];
        for (line, what) in planted {
            assert!(findings(line).contains(&what), "{line}: {:?}", findings(line));
        }
    }

    #[test]
    fn ordinary_lines_are_clean() {
        for line in [
            r#"{"level":"INFO","fields":{"message":"order change","order":"111-4810000-9810100","seller":"A3TH9S8BH6GOGM"}}"#,
            r#"{"message":"review request","outcome":"Sent","at":"2026-03-12T00:00:00Z","count":98101234}"#,
            r#"{"message":"mail sent","recipients":2,"subject":"1-star feedback @ 10:00"}"#,
        ] {
            assert!(findings(line).is_empty(), "{line}: {:?}", findings(line));
        }
    }
}
