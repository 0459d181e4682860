//! Strict base64url without padding (RFC 7515 section 2, RFC 4648 section 5).
//!
//! Decoding refuses padding, characters outside the url-safe alphabet and non-zero trailing
//! bits, so every byte string has exactly one accepted encoding: a changed character always
//! changes the decoded bytes or is refused.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// The input was not canonical unpadded base64url.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64url")]
pub struct Base64UrlError;

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    ENGINE.encode(bytes)
}

/// Decodes canonical unpadded base64url.
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, Base64UrlError> {
    ENGINE.decode(text).map_err(|_| Base64UrlError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc7515_appendix_c_example() {
        // RFC 7515 Appendix C: the octets 3, 236, 255, 224, 193 encode as "A-z_4ME".
        assert_eq!(encode([3u8, 236, 255, 224, 193]), "A-z_4ME");
        assert_eq!(decode("A-z_4ME").unwrap(), vec![3u8, 236, 255, 224, 193]);
    }

    #[test]
    fn refuses_padding_standard_alphabet_and_trailing_bits() {
        assert!(decode("A-z_4ME=").is_err());
        assert!(decode("A+z/4ME").is_err());
        // "QQ" is 'A'; "QR" carries non-zero trailing bits.
        assert_eq!(decode("QQ").unwrap(), b"A");
        assert!(decode("QR").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            prop_assert_eq!(decode(encode(&bytes)).unwrap(), bytes);
        }
    }
}
