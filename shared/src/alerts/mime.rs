//! A raw RFC 5322 / MIME message (multipart/alternative: text, then HTML; wrapped in
//! multipart/related with the images when the HTML shows inline images), as SES v2 sends it.
//! Written here rather than with a mail crate: two parts, base64 bodies and an RFC 2047
//! subject are all that is needed, and a Lambda should not carry a mail stack for that.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

use super::mail::Mail;

/// Base64 in lines of 76 characters, as MIME requires.
fn base64_lines(data: &[u8]) -> String {
    let encoded = STANDARD.encode(data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 * 2 + 2);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// A header value: plain when it is printable ASCII, RFC 2047 encoded otherwise.
pub fn header_value(text: &str) -> String {
    let clean: String = text.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect();
    if clean.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        clean
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(clean.as_bytes()))
    }
}

/// The whole message. `message_id` is derived from the event and recipient, so a copy sent
/// twice (it never should be) would still be recognisable as the same mail.
pub fn raw_message(mail: &Mail, from: &str, to: &str, message_id: &str, date: DateTime<Utc>) -> Vec<u8> {
    let boundary = format!("=_autopilot_{:016x}", fxhash(message_id));
    let mut out = String::new();
    out.push_str(&format!("From: {}\r\n", header_value(from)));
    out.push_str(&format!("To: {}\r\n", header_value(to)));
    out.push_str(&format!("Subject: {}\r\n", header_value(&mail.subject)));
    out.push_str(&format!("Date: {}\r\n", date.to_rfc2822()));
    out.push_str(&format!("Message-ID: <{message_id}>\r\n"));
    out.push_str("MIME-Version: 1.0\r\n");
    let alternative = format!("{boundary}_alt");
    let related = format!("{boundary}_rel");
    if !mail.images.is_empty() {
        out.push_str(&format!("Content-Type: multipart/related; boundary=\"{related}\"\r\n\r\n"));
        out.push_str(&format!("--{related}\r\n"));
    }
    out.push_str(&format!("Content-Type: multipart/alternative; boundary=\"{alternative}\"\r\n\r\n"));
    for (kind, body) in [("text/plain", &mail.text), ("text/html", &mail.html)] {
        out.push_str(&format!("--{alternative}\r\n"));
        out.push_str(&format!("Content-Type: {kind}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"));
        out.push_str(&base64_lines(body.as_bytes()));
    }
    out.push_str(&format!("--{alternative}--\r\n"));
    if !mail.images.is_empty() {
        for image in &mail.images {
            let name = image.content_id.split('@').next().unwrap_or("image");
            out.push_str(&format!("--{related}\r\n"));
            out.push_str(&format!(
                "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <{}>\r\nContent-Disposition: inline; filename=\"{}.png\"\r\n\r\n",
                header_value(&image.content_id),
                header_value(name)
            ));
            out.push_str(&base64_lines(&image.png));
        }
        out.push_str(&format!("--{related}--\r\n"));
    }
    out.into_bytes()
}

/// A stable 64-bit hash for boundaries (FNV-1a).
fn fxhash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The base64 body that follows the header line `marker` (for tests and tools).
fn body_after(raw: &str, marker: &str) -> Option<Vec<u8>> {
    let start = raw.find(marker)?;
    let body_start = raw[start..].find("\r\n\r\n")? + start + 4;
    let body_end = raw[body_start..].find("--")? + body_start;
    let compact: String = raw[body_start..body_end].split_whitespace().collect();
    STANDARD.decode(compact).ok()
}

/// Decode one text part of a message built by [`raw_message`] (for tests and tools).
pub fn decode_part(raw: &str, content_type: &str) -> Option<String> {
    String::from_utf8(body_after(raw, &format!("Content-Type: {content_type}"))?).ok()
}

/// The bytes of the inline image with `content_id` (for tests and tools).
pub fn decode_image(raw: &str, content_id: &str) -> Option<Vec<u8>> {
    body_after(raw, &format!("Content-ID: <{content_id}>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_subject_is_encoded() {
        let mail = Mail {
            kind: crate::alerts::mail::MailKind::Digest,
            subject: "1-star feedback — order 111".into(),
            text: "Grüße\nline two".into(),
            html: "<p>Grüße</p>".into(),
            images: Vec::new(),
        };
        let raw = String::from_utf8(raw_message(&mail, "a@b.example", "c@d.example", "id@x", Utc::now())).unwrap();
        assert!(raw.contains("Subject: =?UTF-8?B?"));
        assert_eq!(decode_part(&raw, "text/plain").unwrap(), mail.text);
        assert_eq!(decode_part(&raw, "text/html").unwrap(), mail.html);
        assert!(raw.lines().all(|l| l.len() <= 998), "no line longer than RFC 5322 allows");
        assert_eq!(header_value("a\r\nBcc: x"), "a  Bcc: x", "no header injection");
        assert!(!raw.contains("multipart/related"), "no images, no related part");
    }

    #[test]
    fn inline_images_travel_in_a_related_part() {
        let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3, 250];
        let mail = Mail {
            kind: crate::alerts::mail::MailKind::Digest,
            subject: "digest".into(),
            text: "text".into(),
            html: "<img src=\"cid:trend-US@feedback-autopilot\">".into(),
            images: vec![super::super::mail::InlineImage {
                content_id: "trend-US@feedback-autopilot".into(),
                png: png.clone(),
            }],
        };
        let raw = String::from_utf8(raw_message(&mail, "a@b.example", "c@d.example", "id@x", Utc::now())).unwrap();
        let related = raw.find("Content-Type: multipart/related").expect("related");
        let alternative = raw.find("Content-Type: multipart/alternative").expect("alternative");
        assert!(related < alternative, "the alternative sits inside the related part");
        assert_eq!(decode_part(&raw, "text/html").unwrap(), mail.html);
        assert_eq!(decode_image(&raw, "trend-US@feedback-autopilot").unwrap(), png);
        assert!(raw.trim_end().ends_with("_rel--"), "the related part is closed last");
    }
}
