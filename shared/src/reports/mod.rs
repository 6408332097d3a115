//! Report documents from the Reports API, parsed into domain values.

pub mod encoding;
pub mod feedback;

use std::io::Read;

use thiserror::Error;

/// The most a report document may decompress to. A year of negative and neutral feedback of a
/// seller with 50,000 orders a day is about 30 MB; a document past this is refused rather than
/// read whole into a 256 MB Lambda.
pub const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GunzipError {
    #[error("not valid gzip: {0}")]
    Invalid(String),
    #[error("decompresses to more than {limit} bytes; refused")]
    TooLarge { limit: u64 },
}

/// Whether bytes start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompress gzip (all members) up to `limit` bytes: a larger result is an error, found
/// without decompressing more than `limit + 1` bytes.
pub fn gunzip_capped(bytes: &[u8], limit: u64) -> Result<Vec<u8>, GunzipError> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(usize::try_from(limit).unwrap_or(usize::MAX)));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|err| GunzipError::Invalid(err.to_string()))?;
    if out.len() as u64 > limit {
        return Err(GunzipError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_bomb_is_refused_at_the_limit_and_a_document_inside_it_reads() {
        let bomb = gzip(&vec![0u8; 3 * 1024 * 1024]);
        assert!(bomb.len() < 20_000, "compresses well: {}", bomb.len());
        assert_eq!(gunzip_capped(&bomb, 1024 * 1024), Err(GunzipError::TooLarge { limit: 1024 * 1024 }));
        assert_eq!(gunzip_capped(&bomb, 3 * 1024 * 1024).unwrap().len(), 3 * 1024 * 1024);
        assert!(matches!(gunzip_capped(b"\x1f\x8bnot gzip", 100), Err(GunzipError::Invalid(_))));
    }
}
