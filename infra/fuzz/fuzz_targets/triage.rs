//! Any comment, rating, language and channel through triage; never a panic.
#![no_main]
use autopilot_shared::domain::FulfillmentChannel;
use autopilot_shared::domain::triage::triage;
use libfuzzer_sys::fuzz_target;

const LANGUAGES: [&str; 10] = ["en", "de", "fr", "it", "es", "ja", "nl", "sv", "pl", "tr"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, comment)) = data.split_first() else { return };
    let comment = String::from_utf8_lossy(comment);
    let channel = if pick & 1 == 0 { FulfillmentChannel::Afn } else { FulfillmentChannel::Mfn };
    let language = LANGUAGES[usize::from(pick >> 1) % LANGUAGES.len()];
    let _ = triage(&comment, pick % 6, language, channel);
});
