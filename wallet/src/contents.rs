//! What the vault holds once decrypted: holder keys, credentials and the presentation
//! history. Serialized as JSON inside the ciphertext.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::WalletError;
use crate::holder::{KeyId, KeyRecord};

/// The version of the plaintext layout (inside the container's format version 1).
pub(crate) const CONTENTS_VERSION: u32 = 1;

/// A credential's id inside the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CredentialId(pub(crate) String);

impl CredentialId {
    /// An id as given by a caller (e.g. picked in a user interface).
    pub fn new(id: String) -> Self {
        Self(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CredentialId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The credential formats the wallet holds (OpenID4VCI format identifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CredentialFormat {
    /// SD-JWT VC (`dc+sd-jwt`): the credential is the compact SD-JWT with all disclosures.
    #[serde(rename = "dc+sd-jwt")]
    DcSdJwt,
    /// A W3C VC with a Data Integrity proof (`ldp_vc`): the credential is the JSON object.
    #[serde(rename = "ldp_vc")]
    LdpVc,
}

impl CredentialFormat {
    /// The OpenID4VCI format identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialFormat::DcSdJwt => "dc+sd-jwt",
            CredentialFormat::LdpVc => "ldp_vc",
        }
    }
}

/// A credential to store: received and verified by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCredential {
    /// The format.
    pub format: CredentialFormat,
    /// The credential as issued: a JSON string (SD-JWT) or object (VC).
    pub credential: Value,
    /// The issuer identifier (a DID or URL), as verified.
    pub issuer: String,
    /// The credential types (`vct` of an SD-JWT VC, `type` of a VC).
    pub types: Vec<String>,
    /// The claims the holder holds, as a JSON object, for display and for choosing what to
    /// disclose.
    pub claims: Value,
    /// The holder key the credential is bound to.
    pub holder_key: Option<KeyId>,
}

/// A stored credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialRecord {
    /// The wallet's id.
    pub id: CredentialId,
    /// The format.
    pub format: CredentialFormat,
    /// The credential as issued.
    pub credential: Value,
    /// The issuer identifier.
    pub issuer: String,
    /// The credential types.
    pub types: Vec<String>,
    /// The claims, as a JSON object.
    pub claims: Value,
    /// The holder key it is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_key: Option<KeyId>,
    /// When the wallet stored it.
    pub received_at: DateTime<Utc>,
}

/// The outcome of a presentation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresentationOutcome {
    /// The holder approved and the presentation was delivered.
    Sent,
    /// The holder declined: nothing was sent.
    Declined,
    /// The holder approved but delivery failed.
    Failed,
}

/// What was shared from one credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedCredential {
    /// The credential.
    pub credential: CredentialId,
    /// The claim paths disclosed (e.g. `given_name`, `address.locality`).
    pub disclosed: Vec<String>,
    /// The claim paths the credential holds that were not disclosed.
    pub withheld: Vec<String>,
}

/// One entry of the presentation history: what, to whom, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentationRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// The verifier's identifier as proven (its authenticated `client_id`).
    pub verifier: String,
    /// How the verifier's identity was established (the `client_id` prefix, e.g.
    /// `x509_san_dns`, `decentralized_identifier`, `redirect_uri`).
    pub verifier_proven_by: String,
    /// Where the response went.
    pub response_uri: String,
    /// What was shared, per credential.
    pub shared: Vec<SharedCredential>,
    /// Sent, declined or failed.
    pub outcome: PresentationOutcome,
}

/// The decrypted vault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Contents {
    pub(crate) version: u32,
    pub(crate) created_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) keys: Vec<KeyRecord>,
    #[serde(default)]
    pub(crate) credentials: Vec<CredentialRecord>,
    #[serde(default)]
    pub(crate) history: Vec<PresentationRecord>,
}

impl Contents {
    pub(crate) fn new(now: DateTime<Utc>) -> Self {
        Self {
            version: CONTENTS_VERSION,
            created_at: now,
            keys: Vec::new(),
            credentials: Vec::new(),
            history: Vec::new(),
        }
    }

    /// Serializes into zeroizing memory (see [`ZeroizingWriter`]).
    pub(crate) fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        let mut writer = ZeroizingWriter(Zeroizing::new(Vec::with_capacity(4096)));
        // Serializing these types cannot fail (string keys, no non-finite floats from us);
        // a failure would still be an error, not a panic.
        serde_json::to_writer(&mut writer, self).map_err(|_| WalletError::Damaged)?;
        Ok(writer.0)
    }

    /// Parses decrypted bytes. A plaintext that authenticated but does not parse was written
    /// by something else: damaged. A newer contents version is refused as such.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, WalletError> {
        let contents: Contents = serde_json::from_slice(bytes).map_err(|_| WalletError::Damaged)?;
        if contents.version != CONTENTS_VERSION {
            return Err(WalletError::UnsupportedVersion(
                u16::try_from(contents.version).unwrap_or(u16::MAX),
            ));
        }
        Ok(contents)
    }
}

/// A `Write` into zeroizing memory that, when it must grow, moves into a new zeroizing
/// buffer instead of letting `Vec` reallocate (which would free the old bytes unzeroized).
struct ZeroizingWriter(Zeroizing<Vec<u8>>);

impl std::io::Write for ZeroizingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let needed = self.0.len() + buf.len();
        if needed > self.0.capacity() {
            let mut grown = Zeroizing::new(Vec::with_capacity(needed.max(self.0.capacity() * 2)));
            grown.extend_from_slice(&self.0);
            // The old buffer is zeroized as it drops here.
            self.0 = grown;
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn zeroizing_writer_grows_without_losing_bytes() {
        let mut w = ZeroizingWriter(Zeroizing::new(Vec::with_capacity(1)));
        for i in 0..1000u32 {
            w.write_all(&i.to_be_bytes()).unwrap();
        }
        assert_eq!(w.0.len(), 4000);
        assert_eq!(&w.0[3996..], &999u32.to_be_bytes());
    }

    #[test]
    fn newer_contents_version_is_refused() {
        let mut c = serde_json::to_value(Contents::new(DateTime::UNIX_EPOCH)).unwrap();
        c["version"] = 2.into();
        assert!(matches!(
            Contents::from_bytes(c.to_string().as_bytes()),
            Err(WalletError::UnsupportedVersion(2))
        ));
        assert!(matches!(
            Contents::from_bytes(b"not json"),
            Err(WalletError::Damaged)
        ));
    }

    #[test]
    fn formats_serialize_as_openid4vci_identifiers() {
        assert_eq!(
            serde_json::to_value(CredentialFormat::DcSdJwt).unwrap(),
            "dc+sd-jwt"
        );
        assert_eq!(
            serde_json::to_value(CredentialFormat::LdpVc).unwrap(),
            "ldp_vc"
        );
    }
}
