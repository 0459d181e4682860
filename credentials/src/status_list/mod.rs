//! Status lists: W3C Bitstring Status List v1.0 ([`bitstring`]) and the IETF Token Status List
//! used by SD-JWT VC ([`token`]).
//!
//! Both formats pack the status of many credentials into one compressed bit array so that a
//! verifier fetching the list does not tell the issuer which credential it is checking (herd
//! privacy). They differ in details that are easy to get wrong, so each has its own module:
//!
//! | | Bitstring Status List | Token Status List |
//! |---|---|---|
//! | index 0 is | the most significant bit of byte 0 | the least significant bits of byte 0 |
//! | entry size | `statusSize` bits (we accept 1..=8) | `bits` of 1, 2, 4 or 8 |
//! | compression | GZIP (RFC 1952) | DEFLATE in ZLIB (RFC 1950) |
//! | text encoding | multibase `u` + base64url, no padding | base64url, no padding |
//! | minimum size | 131,072 entries (spec) | none in the spec; 131,072 here by default |
//!
//! Shared here: the [`StatusListError`] type, the herd-privacy minimum, the decompression cap
//! that makes decoding safe against compression bombs, the [`IndexAllocator`] that hands out
//! unpredictable indices, and [`record_status`], which turns a status outcome into the single
//! `status` check of a [`VerificationReport`].

pub mod bitstring;
pub mod token;

use std::io::Read as _;

use crate::report::{Check, FailureCode, VerificationReport};

/// The minimum number of entries of a status list: Bitstring Status List v1.0 section 3.2
/// (Validate Algorithm, step 2, `minimumNumberOfEntries`) and section 5.1 (131,072 entries,
/// 16 KB of single bits). Used as the herd-privacy default for Token Status Lists as well.
pub const MIN_ENTRIES: usize = 131_072;

/// The largest decompressed list accepted: 16 MiB, i.e. 134,217,728 single-bit entries. Larger
/// outputs are refused while decompressing, so a small hostile input cannot exhaust memory.
pub const MAX_DECOMPRESSED_BYTES: usize = 16 * 1024 * 1024;

/// The clock skew tolerated by default when a list's validity (`validFrom` / `validUntil`,
/// `iat` / `nbf` / `exp`) is compared with the verifier's time: 60 seconds, as for Data
/// Integrity proofs (`data_integrity::VerifyOptions::new`). An issuer re-signs its lists, so
/// a list fetched right after the verifier read its clock is routinely "a second in the
/// future"; without a tolerance such a list, and so the credential, would be refused.
pub const DEFAULT_CLOCK_SKEW_SECONDS: i64 = 60;

/// The largest clock skew ever applied, whatever the options say: 5 minutes. A larger
/// setting is lowered to this, a negative one raised to 0, so that a mistaken option cannot
/// make a long-expired or far-future list acceptable.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

/// `seconds` of skew bounded to `0..=MAX_CLOCK_SKEW_SECONDS`.
pub(crate) fn bounded_skew_seconds(seconds: i64) -> i64 {
    seconds.clamp(0, MAX_CLOCK_SKEW_SECONDS)
}

/// Why a status list could not be built, decoded, or checked, or why a status could not be
/// determined. Every variant means "no statement about the status can be made": verifiers
/// map all of them to [`FailureCode::StatusUnavailable`] (see [`record_status`]).
///
/// Messages never contain indices, URLs or other values from the credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    /// A required property or claim is absent.
    #[error("missing property `{0}`")]
    MissingProperty(&'static str),
    /// A property or claim has the wrong type or an invalid value.
    #[error("invalid property `{0}`")]
    InvalidProperty(&'static str),
    /// The status list index is not a non-negative base-10 integer.
    #[error("status list index is not a non-negative base-10 integer")]
    InvalidIndex,
    /// The index lies outside the list (Bitstring Status List section 3.2 `RANGE_ERROR`;
    /// Token Status List section 8.3 step 6).
    #[error("status list index out of range")]
    IndexOutOfRange,
    /// Token Status List `bits` is not 1, 2, 4 or 8 (section 4.1 step 1).
    #[error("bits per status must be 1, 2, 4 or 8")]
    InvalidBits,
    /// Bitstring `statusSize` is not an integer in 1..=8.
    #[error("unsupported status size")]
    UnsupportedStatusSize,
    /// A status value does not fit in the list's entry size.
    #[error("status value does not fit the entry size")]
    StatusValueTooLarge,
    /// The list has fewer entries than the herd-privacy minimum (Bitstring Status List
    /// section 3.2 `STATUS_LIST_LENGTH_ERROR`).
    #[error("status list has {entries} entries, fewer than the minimum of {minimum}")]
    ListTooSmall {
        /// Entries in the list.
        entries: usize,
        /// The minimum required.
        minimum: usize,
    },
    /// The list would decompress to more than the accepted maximum.
    #[error("status list exceeds the maximum decompressed size")]
    ListTooLarge,
    /// `encodedList` is not multibase base64url (`u` prefix).
    #[error("encoded list is not multibase base64url (`u`)")]
    NotMultibaseBase64Url,
    /// The text is not canonical unpadded base64url.
    #[error("invalid base64url")]
    InvalidBase64Url,
    /// The compressed data is not a valid GZIP / ZLIB stream, or has trailing bytes.
    #[error("invalid compressed status list")]
    InvalidCompression,
    /// Every index of the list has been allocated.
    #[error("status list is full")]
    ListFull,
    /// The entry's `statusPurpose` is not one of the list's purposes (Bitstring Status List
    /// section 3.2 step 5).
    #[error("status purpose does not match the status list")]
    PurposeMismatch,
    /// The list credential is not the one the entry references.
    #[error("status list credential does not match the entry's reference")]
    ListCredentialMismatch,
    /// The status list credential is not of the required type.
    #[error("not a status list credential")]
    NotAStatusListCredential,
    /// The status list credential's `@context` is not VC 2.0.
    #[error("status list credential context invalid")]
    ContextInvalid,
    /// The list (credential or token) is not valid yet.
    #[error("status list not yet valid")]
    NotYetValid,
    /// The list (credential or token) has expired.
    #[error("status list expired")]
    Expired,
    /// The Status List Token's `iat` is in the future.
    #[error("status list token issued in the future")]
    IssuedInFuture,
    /// A time claim or property has the wrong type or format.
    #[error("invalid time value `{0}`")]
    InvalidTime(&'static str),
    /// The Status List Token's `typ` is not `statuslist+jwt` (Token Status List section 5.1).
    #[error("status list token typ is not statuslist+jwt")]
    TypMismatch,
    /// The Status List Token's `sub` is not the referenced `uri` (section 8.3 step 4a).
    #[error("status list token subject does not match the referenced uri")]
    SubjectMismatch,
    /// The Status List Token is not a valid compact JWS, uses a disallowed algorithm, or its
    /// signature does not verify.
    #[error("status list token: {0}")]
    Jws(#[from] crate::jose::JwsError),
    /// The key for the Status List Token could not be resolved.
    #[error("status list token key: {0}")]
    KeyResolution(#[from] crate::resolver::KeyResolutionError),
}

/// The outcome of a status lookup, as one `status` check of a verification report.
pub trait StatusOutcome {
    /// `None` if the status allows the credential to be accepted; otherwise the failure code
    /// and a short explanation without claim values.
    fn failure(&self) -> Option<(FailureCode, &'static str)>;
}

/// Records a status lookup as one [`Check::Status`] entry: passed, failed with the status's
/// code (`revoked`, `suspended`, ...), or failed with `status_unavailable` when no statement
/// about the status could be made. Fails closed: an error is never recorded as a pass.
pub fn record_status<S: StatusOutcome>(
    report: &mut VerificationReport,
    outcome: &Result<S, StatusListError>,
) {
    match outcome {
        Ok(status) => match status.failure() {
            None => report.pass(Check::Status),
            Some((code, detail)) => report.fail(Check::Status, code, detail),
        },
        Err(error) => report.fail(
            Check::Status,
            FailureCode::StatusUnavailable,
            error.to_string(),
        ),
    }
}

/// Decompresses `input` into at most `max_output` bytes. Refuses larger outputs without
/// producing them, corrupt streams (checksums included), and trailing bytes after the stream.
fn decompress_bounded(
    input: &[u8],
    format: Compression,
    max_output: usize,
) -> Result<Vec<u8>, StatusListError> {
    let limit = u64::try_from(max_output)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut output = Vec::new();
    let remaining = match format {
        Compression::Gzip => {
            let mut decoder = flate2::bufread::GzDecoder::new(input);
            (&mut decoder)
                .take(limit)
                .read_to_end(&mut output)
                .map_err(|_| StatusListError::InvalidCompression)?;
            if output.len() > max_output {
                return Err(StatusListError::ListTooLarge);
            }
            decoder.into_inner()
        }
        Compression::Zlib => {
            let mut decoder = flate2::bufread::ZlibDecoder::new(input);
            (&mut decoder)
                .take(limit)
                .read_to_end(&mut output)
                .map_err(|_| StatusListError::InvalidCompression)?;
            if output.len() > max_output {
                return Err(StatusListError::ListTooLarge);
            }
            decoder.into_inner()
        }
    };
    if !remaining.is_empty() {
        return Err(StatusListError::InvalidCompression);
    }
    Ok(output)
}

/// Compresses `bytes` at the highest level (Token Status List section 4.1 step 4 recommends
/// it; it also minimises the Bitstring list).
fn compress(bytes: &[u8], format: Compression) -> Vec<u8> {
    use std::io::Write as _;
    let level = flate2::Compression::best();
    // Writing into a `Vec` cannot fail, so neither can these encoders.
    match format {
        Compression::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
            let _ = encoder.write_all(bytes);
            encoder.finish().unwrap_or_default()
        }
        Compression::Zlib => {
            let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), level);
            let _ = encoder.write_all(bytes);
            encoder.finish().unwrap_or_default()
        }
    }
}

/// An absolute URL by RFC 3986 syntax: a scheme, `:`, and a non-empty rest without whitespace.
pub(crate) fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[derive(Debug, Clone, Copy)]
enum Compression {
    /// RFC 1952, for Bitstring Status List.
    Gzip,
    /// RFC 1950 wrapping RFC 1951, for Token Status List.
    Zlib,
}

/// Hands out unused indices of a status list, uniformly at random from a caller-supplied
/// CSPRNG, so that an index reveals neither the order of issuance nor how many credentials
/// the list holds (Bitstring Status List section 2.1, `statusListIndex`: "Implementations
/// SHOULD assign indexes randomly"; Token Status List section 12.5.1: "choose non-sequential,
/// pseudo-random or random indices"; section 13.3: prevent double allocation).
///
/// The allocator keeps one bit per index (16 KiB for 131,072 entries). An issuer restores
/// it after a restart with [`IndexAllocator::with_used`] from its record of issued indices.
#[derive(Clone, PartialEq, Eq)]
pub struct IndexAllocator {
    capacity: usize,
    used: Vec<u64>,
    used_count: usize,
}

impl std::fmt::Debug for IndexAllocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The set of used indices is not printed: it is issuance data.
        f.debug_struct("IndexAllocator")
            .field("capacity", &self.capacity)
            .field("used", &self.used_count)
            .finish()
    }
}

impl IndexAllocator {
    /// Random draws tried before falling back to selecting among the free indices directly.
    const REJECTION_ATTEMPTS: usize = 32;

    /// An allocator for a list of `capacity` entries, none used.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            used: vec![0; capacity.div_ceil(64)],
            used_count: 0,
        }
    }

    /// An allocator with the given indices already used (restoring issuer state).
    pub fn with_used(
        capacity: usize,
        used: impl IntoIterator<Item = usize>,
    ) -> Result<Self, StatusListError> {
        let mut allocator = Self::new(capacity);
        for index in used {
            allocator.mark_used(index)?;
        }
        Ok(allocator)
    }

    /// The number of entries of the list.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many indices are in use.
    pub fn used(&self) -> usize {
        self.used_count
    }

    /// How many indices are still free.
    pub fn remaining(&self) -> usize {
        self.capacity - self.used_count
    }

    /// Whether `index` is in use. Out-of-range indices are reported as an error.
    pub fn is_used(&self, index: usize) -> Result<bool, StatusListError> {
        if index >= self.capacity {
            return Err(StatusListError::IndexOutOfRange);
        }
        Ok(self.used[index / 64] & (1u64 << (index % 64)) != 0)
    }

    /// Marks `index` as used; returns `false` if it already was.
    pub fn mark_used(&mut self, index: usize) -> Result<bool, StatusListError> {
        if self.is_used(index)? {
            return Ok(false);
        }
        self.used[index / 64] |= 1u64 << (index % 64);
        self.used_count += 1;
        Ok(true)
    }

    /// Draws an unused index uniformly at random among all unused indices and marks it used.
    /// Fails with [`StatusListError::ListFull`] when none is left; an index is never handed
    /// out twice.
    pub fn allocate<R: rand_core::RngCore + rand_core::CryptoRng>(
        &mut self,
        rng: &mut R,
    ) -> Result<usize, StatusListError> {
        let remaining = self.remaining();
        if remaining == 0 {
            return Err(StatusListError::ListFull);
        }
        // While the list is sparse, a uniform draw over the whole list that lands on a free
        // index is a uniform draw over the free indices.
        for _ in 0..Self::REJECTION_ATTEMPTS {
            let candidate = uniform_below(rng, self.capacity);
            if self.mark_used(candidate)? {
                return Ok(candidate);
            }
        }
        // Dense list: pick the k-th free index for a uniform k (also uniform over the free
        // indices), counting free bits a word at a time.
        let mut k = uniform_below(rng, remaining);
        for (word_index, word) in self.used.iter().enumerate() {
            let base = word_index * 64;
            let valid_bits = (self.capacity - base).min(64);
            let valid_mask = if valid_bits == 64 {
                u64::MAX
            } else {
                (1u64 << valid_bits) - 1
            };
            let mut free = !word & valid_mask;
            let free_count = free.count_ones() as usize;
            if k >= free_count {
                k -= free_count;
                continue;
            }
            for _ in 0..k {
                free &= free - 1; // clear the lowest free bit
            }
            let index = base + free.trailing_zeros() as usize;
            self.mark_used(index)?;
            return Ok(index);
        }
        // `k < remaining` and `remaining` counts exactly the free bits scanned above.
        Err(StatusListError::ListFull)
    }
}

/// A uniform integer in `0..bound` (`bound > 0`), without modulo bias.
fn uniform_below<R: rand_core::RngCore>(rng: &mut R, bound: usize) -> usize {
    let bound = bound as u64;
    // Largest multiple of `bound` that fits; draws at or above it are rejected.
    let zone = u64::MAX - (u64::MAX % bound + 1) % bound;
    loop {
        let draw = rng.next_u64();
        if draw <= zone {
            // `draw % bound < bound <= usize::MAX`.
            return (draw % bound) as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand::rngs::StdRng;

    #[test]
    fn bounded_decompression_refuses_one_byte_over_the_cap() {
        let data = vec![0u8; 1025];
        for format in [Compression::Gzip, Compression::Zlib] {
            let compressed = compress(&data, format);
            assert_eq!(decompress_bounded(&compressed, format, 1025).unwrap(), data);
            assert_eq!(
                decompress_bounded(&compressed, format, 1024),
                Err(StatusListError::ListTooLarge)
            );
        }
    }

    #[test]
    fn trailing_bytes_and_truncation_are_refused() {
        for format in [Compression::Gzip, Compression::Zlib] {
            let mut compressed = compress(&[1, 2, 3], format);
            compressed.push(0);
            assert_eq!(
                decompress_bounded(&compressed, format, 100),
                Err(StatusListError::InvalidCompression)
            );
            compressed.truncate(compressed.len() - 3);
            assert_eq!(
                decompress_bounded(&compressed, format, 100),
                Err(StatusListError::InvalidCompression)
            );
        }
    }

    #[test]
    fn corrupted_checksum_is_refused() {
        for format in [Compression::Gzip, Compression::Zlib] {
            let mut compressed = compress(&[7; 100], format);
            let last = compressed.len() - 1;
            // The last byte belongs to the ISIZE (gzip) / Adler-32 (zlib) trailer.
            compressed[last] ^= 1;
            assert_eq!(
                decompress_bounded(&compressed, format, 1000),
                Err(StatusListError::InvalidCompression)
            );
        }
    }

    #[test]
    fn uniform_below_stays_in_range() {
        let mut rng = StdRng::seed_from_u64(1);
        for bound in [1usize, 2, 3, 7, 64, 131_072] {
            for _ in 0..200 {
                assert!(uniform_below(&mut rng, bound) < bound);
            }
        }
    }

    #[test]
    fn allocator_dense_fallback_finds_the_last_free_index() {
        let mut allocator = IndexAllocator::with_used(130, (0..130).filter(|i| *i != 97)).unwrap();
        let mut rng = StdRng::seed_from_u64(2);
        assert_eq!(allocator.allocate(&mut rng).unwrap(), 97);
        assert_eq!(allocator.allocate(&mut rng), Err(StatusListError::ListFull));
    }

    #[test]
    fn urls_need_a_scheme() {
        assert!(is_url("https://example.com/status/3"));
        assert!(is_url("did:example:123"));
        assert!(!is_url("example.com/status"));
        assert!(!is_url("https://exa mple.com"));
        assert!(!is_url("1http://x"));
    }
}
