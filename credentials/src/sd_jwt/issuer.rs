//! Issuance (RFC 9901 section 4 and 6.1): selectively disclosable object properties and array
//! elements at any depth, recursive disclosures, decoy digests.

use rand_core::{CryptoRng, RngCore};
use serde_json::{Map, Value};

use super::disclosure::{Disclosure, HashAlg, RESERVED_CLAIM_NAMES};
use super::path::{ClaimPath, PathElement};
use super::{MAX_NESTING_DEPTH, SD_ALG_CLAIM, SD_CLAIM, SdJwtError};
use crate::base64url;
use crate::jose::sign_compact;
use crate::keys::Signer;

/// Header parameters the caller may not set through [`IssueOptions::extra_header`]: `alg` is
/// the signer's, `typ` has its own option, and the key-carrying parameters would invite a
/// verifier to take the key from the token.
const FORBIDDEN_EXTRA_HEADERS: [&str; 7] = ["alg", "typ", "crit", "jwk", "jku", "x5u", "x5c"];

/// Decoy digests (RFC 9901 section 4.2.5), added to every `_sd` array and to every array with at
/// least one selectively disclosable element, so that a verifier cannot count the hidden
/// claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoys {
    /// No decoys.
    #[default]
    None,
    /// Exactly this many per container.
    Exactly(usize),
    /// A uniformly random number from `0..=n` per container.
    UpTo(usize),
}

/// Options of [`issue`].
#[derive(Debug, Clone, Default)]
pub struct IssueOptions {
    /// The header `typ` (explicit typing, RFC 9901 section 9.11). `None` leaves it out.
    pub typ: Option<String>,
    /// The header `kid`.
    pub kid: Option<String>,
    /// Further header parameters. `alg`, `typ`, `crit`, `jwk`, `jku`, `x5u` and `x5c` are
    /// refused here, and `kid` when [`IssueOptions::kid`] is set.
    pub extra_header: Map<String, Value>,
    /// The digest algorithm, recorded as `_sd_alg`.
    pub hash_alg: HashAlg,
    /// Decoy digests.
    pub decoys: Decoys,
}

/// An SD-JWT as issued: the issuer-signed JWT followed by every disclosure, in the
/// `<JWT>~<D1>~...~<Dn>~` form of RFC 9901 section 4.
#[derive(Clone)]
pub struct IssuedSdJwt {
    serialized: String,
    issuer_jwt_len: usize,
    disclosures: Vec<Disclosure>,
}

/// Redacted: a credential never appears in logs.
impl std::fmt::Debug for IssuedSdJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSdJwt")
            .field("disclosures", &self.disclosures.len())
            .finish_non_exhaustive()
    }
}

impl IssuedSdJwt {
    /// The compact serialization, as handed to the holder.
    pub fn as_str(&self) -> &str {
        &self.serialized
    }

    /// The compact serialization.
    pub fn into_string(self) -> String {
        self.serialized
    }

    /// The issuer-signed JWT alone.
    pub fn issuer_jwt(&self) -> &str {
        &self.serialized[..self.issuer_jwt_len]
    }

    /// All disclosures.
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }
}

/// Issues an SD-JWT over `payload`, making the claims at `disclosable` selectively
/// disclosable. A path may name an object member or an array element (or all elements with
/// [`PathElement::AllElements`]); a path below another disclosable claim makes that nested claim
/// separately disclosable inside the outer disclosure (recursive disclosures, RFC 9901 section
/// 4.2.6).
///
/// Refused: a path that selects nothing ([`SdJwtError::PathNotFound`]), the root path, claim
/// names `_sd` and `...` anywhere and `_sd_alg` at the top level
/// ([`SdJwtError::ReservedClaimName`]), reserved header parameters.
pub fn issue<R: RngCore + CryptoRng + ?Sized>(
    payload: Map<String, Value>,
    disclosable: &[ClaimPath],
    options: &IssueOptions,
    signer: &dyn Signer,
    rng: &mut R,
) -> Result<IssuedSdJwt, SdJwtError> {
    let prepared = prepare(payload, disclosable, options, rng)?;
    let header = prepared.header;
    let encoded = prepared.payload;
    let disclosures = prepared.disclosures;
    let jwt = sign_compact(header, &encoded, signer);
    let issuer_jwt_len = jwt.len();
    let mut serialized = jwt;
    serialized.push('~');
    for disclosure in &disclosures {
        serialized.push_str(disclosure.as_str());
        serialized.push('~');
    }
    Ok(IssuedSdJwt {
        serialized,
        issuer_jwt_len,
        disclosures,
    })
}

/// The protected header (without `alg`), the payload with digests, and the disclosures.
pub(crate) struct Prepared {
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
    pub disclosures: Vec<Disclosure>,
}

/// Everything of issuance but the signature.
pub(crate) fn prepare<R: RngCore + CryptoRng + ?Sized>(
    payload: Map<String, Value>,
    disclosable: &[ClaimPath],
    options: &IssueOptions,
    rng: &mut R,
) -> Result<Prepared, SdJwtError> {
    if let Some(root) = disclosable.iter().find(|p| p.is_root()) {
        return Err(SdJwtError::PathNotFound(root.clone()));
    }
    if payload.contains_key(SD_ALG_CLAIM) {
        return Err(SdJwtError::ReservedClaimName);
    }
    let mut header = Map::new();
    if let Some(typ) = &options.typ {
        header.insert("typ".into(), Value::String(typ.clone()));
    }
    if let Some(kid) = &options.kid {
        header.insert("kid".into(), Value::String(kid.clone()));
    }
    for (name, value) in &options.extra_header {
        if FORBIDDEN_EXTRA_HEADERS.contains(&name.as_str())
            || (name == "kid" && options.kid.is_some())
        {
            return Err(SdJwtError::ReservedHeaderParameter);
        }
        header.insert(name.clone(), value.clone());
    }

    let mut encoder = Encoder {
        targets: disclosable,
        used: vec![false; disclosable.len()],
        alg: options.hash_alg,
        decoys: options.decoys,
        rng,
        disclosures: Vec::new(),
    };
    let mut location = ClaimPath::root();
    let mut encoded = encoder.object(&payload, &mut location)?;
    if let Some(unused) = encoder.used.iter().position(|used| !used) {
        return Err(SdJwtError::PathNotFound(disclosable[unused].clone()));
    }
    // RFC 9901 section 4.1.1: `_sd_alg` at the top level of the payload.
    encoded.insert(
        SD_ALG_CLAIM.into(),
        Value::String(options.hash_alg.as_str().into()),
    );
    Ok(Prepared {
        header,
        payload: encoded,
        disclosures: encoder.disclosures,
    })
}

struct Encoder<'a, R: ?Sized> {
    targets: &'a [ClaimPath],
    used: Vec<bool>,
    alg: HashAlg,
    decoys: Decoys,
    rng: &'a mut R,
    disclosures: Vec<Disclosure>,
}

impl<R: RngCore + CryptoRng + ?Sized> Encoder<'_, R> {
    fn is_disclosable(&mut self, location: &ClaimPath) -> bool {
        let mut selected = false;
        for (target, used) in self.targets.iter().zip(self.used.iter_mut()) {
            if target.matches(location) {
                *used = true;
                selected = true;
            }
        }
        selected
    }

    /// 128 bits of salt (RFC 9901 section 4.2.1 recommends at least that).
    fn salt(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        base64url::encode(bytes)
    }

    /// A decoy: the digest of a random value, indistinguishable from a real digest
    /// (RFC 9901 section 4.2.5).
    fn decoy(&mut self) -> String {
        let salt = self.salt();
        self.alg.encoded_digest(&salt)
    }

    fn decoy_count(&mut self) -> usize {
        match self.decoys {
            Decoys::None => 0,
            Decoys::Exactly(n) => n,
            Decoys::UpTo(n) => {
                let range = u64::try_from(n).unwrap_or(u64::MAX).saturating_add(1);
                usize::try_from(self.rng.next_u64() % range).unwrap_or(n)
            }
        }
    }

    fn value(&mut self, value: &Value, location: &mut ClaimPath) -> Result<Value, SdJwtError> {
        if location.elements().len() > MAX_NESTING_DEPTH {
            return Err(SdJwtError::NestingTooDeep);
        }
        match value {
            Value::Object(map) => self.object(map, location).map(Value::Object),
            Value::Array(items) => self.array(items, location).map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    fn object(
        &mut self,
        map: &Map<String, Value>,
        location: &mut ClaimPath,
    ) -> Result<Map<String, Value>, SdJwtError> {
        let mut out = Map::new();
        let mut digests = Vec::new();
        for (name, value) in map {
            // RFC 9901 section 4.2.1: `_sd` and `...` are never claim names.
            if RESERVED_CLAIM_NAMES.contains(&name.as_str()) {
                return Err(SdJwtError::ReservedClaimName);
            }
            location.push(PathElement::Key(name.clone()));
            let encoded = self.value(value, location)?;
            if self.is_disclosable(location) {
                let salt = self.salt();
                let disclosure = Disclosure::property(salt, name, encoded);
                digests.push(disclosure.digest(self.alg));
                self.disclosures.push(disclosure);
            } else {
                out.insert(name.clone(), encoded);
            }
            location.pop();
        }
        if !digests.is_empty() {
            for _ in 0..self.decoy_count() {
                let decoy = self.decoy();
                digests.push(decoy);
            }
            // RFC 9901 section 4.2.4.1: hide the original order, here by sorting.
            digests.sort();
            out.insert(
                SD_CLAIM.into(),
                Value::Array(digests.into_iter().map(Value::String).collect()),
            );
        }
        Ok(out)
    }

    fn array(
        &mut self,
        items: &[Value],
        location: &mut ClaimPath,
    ) -> Result<Vec<Value>, SdJwtError> {
        let mut out = Vec::with_capacity(items.len());
        let mut any_disclosable = false;
        for (index, item) in items.iter().enumerate() {
            location.push(PathElement::Index(index));
            let encoded = self.value(item, location)?;
            if self.is_disclosable(location) {
                let salt = self.salt();
                let disclosure = Disclosure::element(salt, encoded);
                out.push(array_digest(disclosure.digest(self.alg)));
                self.disclosures.push(disclosure);
                any_disclosable = true;
            } else {
                out.push(encoded);
            }
            location.pop();
        }
        if any_disclosable {
            // RFC 9901 section 4.2.5: decoys in arrays sit at random positions.
            for _ in 0..self.decoy_count() {
                let decoy = self.decoy();
                let range = u64::try_from(out.len())
                    .unwrap_or(u64::MAX)
                    .saturating_add(1);
                let at = usize::try_from(self.rng.next_u64() % range).unwrap_or(out.len());
                out.insert(at.min(out.len()), array_digest(decoy));
            }
        }
        Ok(out)
    }
}

/// `{"...": digest}` (RFC 9901 section 4.2.4.2).
fn array_digest(digest: String) -> Value {
    let mut map = Map::new();
    map.insert("...".into(), Value::String(digest));
    Value::Object(map)
}
