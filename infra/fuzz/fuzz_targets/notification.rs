//! Any bytes as an SQS message body: unwrapped, parsed as a notification; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let body = autopilot_shared::notifications::unwrap_sqs_envelope(text).unwrap_or_else(|_| text.to_string());
        let _ = autopilot_shared::notifications::parse_notification(&body);
        let _ = autopilot_shared::notifications::parse_report_finished(&body);
    }
});
