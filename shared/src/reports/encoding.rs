//! Report documents are not always UTF-8: JP files come in Windows-31J (Shift_JIS), EU ones in
//! Cp1252 (windows-1252), as SP-API users report. A lossy UTF-8 decode turns "Scheiße" into
//! "Schei\u{fffd}e" and triage then misses the word, so a document is decoded by, in order:
//! 1. the charset its download's `Content-Type` names;
//! 2. UTF-8, when the bytes are valid UTF-8 (a byte-order mark is dropped);
//! 3. the marketplace's legacy encoding.
//!
//! Decoding uses encoding_rs (WHATWG's decoders: `Windows-31J`, `Shift_JIS`, `Cp1252`,
//! `ISO-8859-1` and the other labels Amazon might send are all known to it).

use encoding_rs::{Encoding, SHIFT_JIS, UTF_8, WINDOWS_1252};
use thiserror::Error;

use crate::domain::Marketplace;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("unknown text encoding {0:?}")]
    UnknownEncoding(String),
    #[error("the document is not valid {encoding} text (first bad byte at offset {offset})")]
    Malformed { encoding: &'static str, offset: usize },
}

/// A decoded document and how it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The encoding's canonical name (`UTF-8`, `Shift_JIS`, `windows-1252`).
    pub encoding: &'static str,
    /// Why that encoding: `content-type`, `utf-8`, `marketplace` or `override`.
    pub chosen_by: &'static str,
}

/// The legacy encoding of a marketplace's flat files.
pub fn legacy_encoding(marketplace: Marketplace) -> &'static Encoding {
    if marketplace == Marketplace::Jp { SHIFT_JIS } else { WINDOWS_1252 }
}

/// The charset parameter of a `Content-Type` value, if any.
pub fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim().eq_ignore_ascii_case("charset").then(|| value.trim().trim_matches('"'))
    })
}

/// An encoding by any of its labels (`Windows-31J`, `cp1252`, `utf8`, ...).
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding, DecodeError> {
    Encoding::for_label(label.trim().as_bytes())
        .ok_or_else(|| DecodeError::UnknownEncoding(crate::notifications::clip(label)))
}

/// Decode strictly with one encoding: a malformed byte is an error, never a silent U+FFFD.
pub fn decode_with(bytes: &[u8], encoding: &'static Encoding, chosen_by: &'static str) -> Result<Decoded, DecodeError> {
    let (without_bom, encoding) = match Encoding::for_bom(bytes) {
        Some((bom_encoding, length)) if bom_encoding == encoding || encoding == UTF_8 => {
            (&bytes[length..], bom_encoding)
        }
        _ => (bytes, encoding),
    };
    match encoding.decode_without_bom_handling_and_without_replacement(without_bom) {
        Some(text) => Ok(Decoded { text: text.into_owned(), encoding: encoding.name(), chosen_by }),
        None => {
            Err(DecodeError::Malformed { encoding: encoding.name(), offset: first_bad_byte(without_bom, encoding) })
        }
    }
}

fn first_bad_byte(bytes: &[u8], encoding: &'static Encoding) -> usize {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3 + 16);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(bad, _) => read.saturating_sub(usize::from(bad)),
        _ => read,
    }
}

/// Decode a report document by the rules above. `content_type` is the download's header.
pub fn decode_report(
    bytes: &[u8],
    content_type: Option<&str>,
    marketplace: Marketplace,
) -> Result<Decoded, DecodeError> {
    if let Some(label) = content_type.and_then(charset_of) {
        let encoding = encoding_for_label(label)?;
        return decode_with(bytes, encoding, "content-type");
    }
    if let Ok(decoded) = decode_with(bytes, UTF_8, "utf-8") {
        return Ok(decoded);
    }
    decode_with(bytes, legacy_encoding(marketplace), "marketplace")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_read_as_utf8_with_its_bom_dropped() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend("Scheiße".as_bytes());
        let decoded = decode_report(&bytes, None, Marketplace::De).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.encoding, decoded.chosen_by), ("Scheiße", "UTF-8", "utf-8"));
    }

    #[test]
    fn invalid_utf8_falls_back_to_the_marketplaces_legacy_encoding() {
        let cp1252 = WINDOWS_1252.encode("Scheiße Ware").0.into_owned();
        assert!(std::str::from_utf8(&cp1252).is_err());
        let decoded = decode_report(&cp1252, None, Marketplace::De).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.chosen_by), ("Scheiße Ware", "marketplace"));
        let sjis = SHIFT_JIS.encode("最悪の商品です").0.into_owned();
        let decoded = decode_report(&sjis, None, Marketplace::Jp).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.encoding), ("最悪の商品です", "Shift_JIS"));
    }

    #[test]
    fn the_content_type_charset_wins() {
        let sjis = SHIFT_JIS.encode("最悪").0.into_owned();
        let decoded = decode_report(&sjis, Some("text/plain; charset=Windows-31J"), Marketplace::Us).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.chosen_by), ("最悪", "content-type"));
        let cp = WINDOWS_1252.encode("Müll").0.into_owned();
        assert_eq!(decode_report(&cp, Some("text/plain;charset=\"Cp1252\""), Marketplace::Jp).unwrap().text, "Müll");
        assert_eq!(
            decode_report(b"x", Some("text/plain; charset=klingon"), Marketplace::Us),
            Err(DecodeError::UnknownEncoding("klingon".into()))
        );
    }

    #[test]
    fn a_declared_charset_that_does_not_fit_is_an_error_not_a_lossy_guess() {
        let cp = WINDOWS_1252.encode("abc Müll").0.into_owned();
        assert_eq!(
            decode_report(&cp, Some("text/plain; charset=UTF-8"), Marketplace::De),
            Err(DecodeError::Malformed { encoding: "UTF-8", offset: 5 })
        );
    }

    #[test]
    fn charset_parameters_are_found_case_insensitively() {
        assert_eq!(charset_of("text/plain; CharSet=Shift_JIS"), Some("Shift_JIS"));
        assert_eq!(charset_of("application/octet-stream"), None);
    }
}
