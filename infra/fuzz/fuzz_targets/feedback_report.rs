//! Any bytes as a downloaded report document (gzip or not, any encoding, the first byte picks
//! the marketplace and whether a charset is declared): decoded and parsed; never a panic.
#![no_main]
use autopilot_shared::domain::Marketplace;
use autopilot_shared::reports::{encoding, feedback, gunzip_capped, is_gzip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, document)) = data.split_first() else { return };
    let marketplace = Marketplace::ALL[usize::from(pick) % Marketplace::ALL.len()];
    let content_type = match pick % 4 {
        0 => Some("text/plain; charset=Windows-31J"),
        1 => Some("text/plain; charset=Cp1252"),
        2 => Some("text/plain; charset=UTF-8"),
        _ => None,
    };
    let bytes = if is_gzip(document) {
        match gunzip_capped(document, 1 << 20) {
            Ok(bytes) => bytes,
            Err(_) => return,
        }
    } else {
        document.to_vec()
    };
    if let Ok(decoded) = encoding::decode_report(&bytes, content_type, marketplace) {
        let _ = feedback::parse_feedback_report(&decoded.text, marketplace);
    }
});
