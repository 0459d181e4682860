//! SD-JWT (RFC 9901), SD-JWT VC (IETF `draft-ietf-oauth-sd-jwt-vc`) and key binding.
//!
//! - Issuer: [`issue`] for any SD-JWT, [`issue_sd_jwt_vc`] for an SD-JWT VC (`typ`
//!   `dc+sd-jwt`, `vct`, `iss`, time claims, `cnf` holder key, Token Status List `status`).
//!   What is selectively disclosable is a list of [`ClaimPath`]s (object members, array
//!   elements, nested and recursive), with optional [`Decoys`].
//! - Holder: [`SdJwt::parse`], [`SdJwt::disclosable_paths`], [`SdJwt::present`] (exactly the
//!   requested claims plus the parent disclosures needed to reach them) and
//!   [`add_key_binding`] (KB-JWT with `aud`, `nonce`, `iat`, `sd_hash`).
//! - Verifier: [`verify`] applies every rule of RFC 9901 sections 7.1 and 7.3 and the SD-JWT
//!   VC rules, and returns a [`SdJwtVerification`] whose report lists each check with a stable
//!   failure code; the disclosed claims come only out of a fully verified result.
//!
//! Both serializations: compact, and the JWS JSON serialization of RFC 9901 section 8
//! ([`JsonSdJwt`], [`issue_json`], [`verify_json`]).
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use credentials::keys::{Ed25519SigningKey, Signer as _};
//! use credentials::sd_jwt::{
//!     ClaimPath, IssuerKey, KeyBindingPolicy, SdJwt, SdJwtVcOptions, VerifyOptions,
//!     issue_sd_jwt_vc, verify,
//! };
//! use serde_json::json;
//!
//! let issuer = Ed25519SigningKey::from_seed(&[1; 32]);
//! let holder = Ed25519SigningKey::from_seed(&[2; 32]);
//! let now = DateTime::<Utc>::from_timestamp(1_750_000_000, 0).unwrap();
//!
//! // Issuer: given_name and address.locality are selectively disclosable.
//! let claims = json!({"given_name": "Erika", "address": {"locality": "Köln", "country": "DE"}});
//! let mut options = SdJwtVcOptions::new("https://credentials.example/identity");
//! options.iss = Some("https://issuer.example".into());
//! options.iat = Some(now);
//! options.cnf = Some(holder.public_key());
//! let disclosable = [ClaimPath::keys(["given_name"]), ClaimPath::keys(["address", "locality"])];
//! let issued = issue_sd_jwt_vc(
//!     claims.as_object().unwrap().clone(), &disclosable, &options, &issuer, &mut rand_core::OsRng,
//! ).unwrap();
//!
//! // Holder: disclose only the locality, bound to this verifier's nonce.
//! let presentation = SdJwt::parse(issued.as_str()).unwrap()
//!     .present_with_key_binding(
//!         &[ClaimPath::keys(["address", "locality"])], &holder, "https://verifier.example", "n-1", now,
//!     ).unwrap();
//!
//! // Verifier.
//! let policy = KeyBindingPolicy::Required {
//!     audience: "https://verifier.example".into(),
//!     nonce: "n-1".into(),
//! };
//! let result = verify(
//!     &presentation, IssuerKey::Pinned(&issuer.public_key()), &VerifyOptions::sd_jwt_vc(now, policy),
//! ).unwrap();
//! assert!(result.is_verified());
//! let claims = result.claims().unwrap();
//! assert_eq!(claims["address"], json!({"country": "DE", "locality": "Köln"}));
//! assert!(claims.get("given_name").is_none());
//! ```

mod disclosure;
mod holder;
mod issuer;
mod json;
mod path;
mod verifier;

use chrono::{DateTime, Utc};
use rand_core::{CryptoRng, RngCore};
use serde_json::{Map, Value};

pub use disclosure::{Disclosure, HashAlg, RESERVED_CLAIM_NAMES};
pub use holder::{SdJwt, add_key_binding};
pub use issuer::{Decoys, IssueOptions, IssuedSdJwt, issue};
pub use json::{JsonForm, JsonSdJwt, JsonSigner, MAX_JSON_SIGNATURES, issue_json, verify_json};
pub use path::{ClaimPath, PathElement};
pub use verifier::{
    IssuerKey, KeyBindingPolicy, Profile, SdJwtVerification, VerifyOptions, verify,
};

/// The `status.status_list` reference of an SD-JWT VC (IETF Token Status List); the type is
/// shared with [`crate::status_list::token`], which checks the list itself.
pub use crate::status_list::token::StatusListReference;

use crate::jose::JwsError;
use crate::keys::{PublicKey, Signer};
use crate::resolver::KeyResolutionError;

/// The `typ` of an SD-JWT VC (SD-JWT VC, "Media Type").
pub const SD_JWT_VC_TYP: &str = "dc+sd-jwt";
/// The `typ` of a Key Binding JWT (RFC 9901 section 4.3).
pub const KB_JWT_TYP: &str = "kb+jwt";
/// Top-level claims of an SD-JWT VC that must never be selectively disclosable (SD-JWT VC,
/// "Registered JWT Claims"): refused at issuance, rejected at verification.
pub const NEVER_DISCLOSABLE: [&str; 7] =
    ["iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"];

/// How deeply claims may nest, counting both JSON nesting and disclosures whose values hold
/// further digests. Bounds the recursion of issuer, holder and verifier: an attacker can chain
/// disclosures without any signature (each is checked against a digest only), and every
/// check runs, so the bound must hold before the signature is known to be good.
pub const MAX_NESTING_DEPTH: usize = 64;

pub(crate) const SD_CLAIM: &str = "_sd";
pub(crate) const SD_ALG_CLAIM: &str = "_sd_alg";

/// Why an SD-JWT could not be issued, parsed, presented, or checked at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdJwtError {
    /// Not the compact `<JWT>~<D1>~...~<Dn>~[<KB-JWT>]` form, or a malformed digest structure.
    #[error("malformed SD-JWT")]
    Malformed,
    /// The issuer JWT or KB-JWT is not an acceptable compact JWS.
    #[error("invalid JWS: {0}")]
    Jws(JwsError),
    /// A disclosure is not base64url JSON of the right shape, or of the wrong kind for the
    /// digest that references it.
    #[error("malformed disclosure")]
    DisclosureMalformed,
    /// The same disclosure appears twice.
    #[error("duplicate disclosure")]
    DuplicateDisclosure,
    /// `_sd_alg` names an unsupported hash algorithm.
    #[error("unsupported _sd_alg")]
    UnsupportedHashAlgorithm,
    /// A claim path selects no claim (or is the root).
    #[error("claim path {0} selects no claim")]
    PathNotFound(ClaimPath),
    /// A claim path in JSON form is not a non-empty array of strings, indices and nulls.
    #[error("invalid claim path")]
    InvalidClaimPath,
    /// A claim name is reserved (`_sd`, `...`, and `_sd_alg` at the top level).
    #[error("reserved claim name")]
    ReservedClaimName,
    /// An SD-JWT VC claim that must never be selectively disclosable was asked to be.
    #[error("claim {0} must not be selectively disclosable")]
    NotDisclosable(ClaimPath),
    /// An SD-JWT VC needs a non-empty `vct`.
    #[error("vct is required")]
    VctMissing,
    /// A claim given in the claim set is one the options set (`iss`, `vct`, `cnf`, ...).
    #[error("claim set conflicts with a registered claim set by the options")]
    ConflictingClaim,
    /// A header parameter that may not be set by the caller.
    #[error("reserved header parameter")]
    ReservedHeaderParameter,
    /// The presentation already carries a Key Binding JWT.
    #[error("already key-bound")]
    AlreadyKeyBound,
    /// The SD-JWT has no usable `cnf.jwk` to bind to.
    #[error("no holder key in cnf")]
    NoHolderKey,
    /// The signer's key is not the SD-JWT's `cnf` key.
    #[error("signer is not the holder key in cnf")]
    HolderKeyMismatch,
    /// The issuer key could not be resolved now (could not check, not "invalid").
    #[error("issuer key resolution failed: {0}")]
    KeyResolution(KeyResolutionError),
    /// Claims nest deeper than [`MAX_NESTING_DEPTH`].
    #[error("claims nest too deeply")]
    NestingTooDeep,
    /// The verification options allow no algorithm.
    #[error("invalid verification options")]
    InvalidOptions,
}

/// The registered claims and options of an SD-JWT VC.
#[derive(Debug, Clone)]
pub struct SdJwtVcOptions {
    /// `vct`, the credential type (required).
    pub vct: String,
    /// `iss`.
    pub iss: Option<String>,
    /// `iat`.
    pub iat: Option<DateTime<Utc>>,
    /// `nbf`.
    pub nbf: Option<DateTime<Utc>>,
    /// `exp`.
    pub exp: Option<DateTime<Utc>>,
    /// The holder key, as `cnf.jwk`.
    pub cnf: Option<PublicKey>,
    /// The Token Status List reference, as `status`.
    pub status: Option<StatusListReference>,
    /// The header `kid` (a DID URL when `iss` is a DID).
    pub kid: Option<String>,
    /// Decoy digests.
    pub decoys: Decoys,
    /// `_sd_alg`.
    pub hash_alg: HashAlg,
}

impl SdJwtVcOptions {
    /// Options with `vct` and nothing else set.
    pub fn new(vct: impl Into<String>) -> Self {
        Self {
            vct: vct.into(),
            iss: None,
            iat: None,
            nbf: None,
            exp: None,
            cnf: None,
            status: None,
            kid: None,
            decoys: Decoys::None,
            hash_alg: HashAlg::Sha256,
        }
    }
}

/// Issues an SD-JWT VC: `typ` `dc+sd-jwt`, the registered claims from `options`, `claims`
/// as the credential's claims with `disclosable` selectively disclosable.
///
/// Refused: an empty `vct`; a claim in `claims` that the options set (`iss`, `iat`, `nbf`,
/// `exp`, `cnf`, `vct`, `status`); a disclosable path under a claim that must never be
/// selectively disclosable ([`NEVER_DISCLOSABLE`]); and everything [`issue`] refuses.
pub fn issue_sd_jwt_vc<R: RngCore + CryptoRng + ?Sized>(
    claims: Map<String, Value>,
    disclosable: &[ClaimPath],
    options: &SdJwtVcOptions,
    signer: &dyn Signer,
    rng: &mut R,
) -> Result<IssuedSdJwt, SdJwtError> {
    if options.vct.is_empty() {
        return Err(SdJwtError::VctMissing);
    }
    for path in disclosable {
        if let Some(PathElement::Key(first)) = path.elements().first()
            && NEVER_DISCLOSABLE.contains(&first.as_str())
        {
            return Err(SdJwtError::NotDisclosable(path.clone()));
        }
    }
    const FROM_OPTIONS: [&str; 7] = ["iss", "iat", "nbf", "exp", "cnf", "vct", "status"];
    if claims.keys().any(|k| FROM_OPTIONS.contains(&k.as_str())) {
        return Err(SdJwtError::ConflictingClaim);
    }
    let mut payload = Map::new();
    if let Some(iss) = &options.iss {
        payload.insert("iss".into(), Value::String(iss.clone()));
    }
    for (name, time) in [
        ("iat", options.iat),
        ("nbf", options.nbf),
        ("exp", options.exp),
    ] {
        if let Some(time) = time {
            payload.insert(name.into(), Value::from(time.timestamp()));
        }
    }
    payload.insert("vct".into(), Value::String(options.vct.clone()));
    if let Some(cnf) = &options.cnf {
        payload.insert("cnf".into(), serde_json::json!({ "jwk": cnf.to_jwk() }));
    }
    if let Some(status) = &options.status {
        payload.insert("status".into(), status.to_status_claim());
    }
    payload.extend(claims);
    let issue_options = IssueOptions {
        typ: Some(SD_JWT_VC_TYP.into()),
        kid: options.kid.clone(),
        extra_header: Map::new(),
        hash_alg: options.hash_alg,
        decoys: options.decoys,
    };
    issue(payload, disclosable, &issue_options, signer, rng)
}
