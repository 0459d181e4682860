//! The Disclose verifier: one fail-closed verification pipeline for SD-JWT VC (with KB-JWT)
//! and VC 2.0 Data Integrity presentations, with relying-party policies; and the `verifier`
//! service (OpenID4VP 1.0 `request_uri` + `direct_post`, VC-API verify endpoints, the
//! relying-party page).
//!
//! Library use (see `specs/relying-party-guide.md`):
//! 1. build a [`Verifier`] from an injected [`Clock`], a `did_methods::DidResolver`, a
//!    [`StatusCache`] and a [`NonceStore`];
//! 2. issue a nonce per request ([`NonceStore::issue`]) and describe the request
//!    ([`PresentationRequest`]: DCQL query, nonce, audience, [`Policy`]);
//! 3. [`Verifier::verify_response`] returns [`Verified`] (only the pipeline can make one) with
//!    each credential's issuer and disclosed claims, or [`Rejected`] with every failed check.
//!
//! ```
//! # use std::sync::Arc;
//! # use chrono::{TimeDelta, Utc};
//! # use credentials::{Ed25519SigningKey, Signer as _};
//! # use credentials::oid4vp::{ClaimPath, DcqlQuery, Presentation};
//! # use credentials::sd_jwt::{self, SdJwt, SdJwtVcOptions};
//! # use did_methods::{DidKey, UniversalResolver};
//! # use verifier::*;
//! # struct NoStatusLists;
//! # #[async_trait::async_trait]
//! # impl StatusFetcher for NoStatusLists {
//! #     async fn fetch(&self, _: &str) -> Result<Vec<u8>, StatusFetchError> {
//! #         Err(StatusFetchError::InvalidUrl)
//! #     }
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! // An issuer (did:key) issues an SD-JWT VC with a selectively disclosable `age_over_21`.
//! let issuer = Ed25519SigningKey::from_seed(&[1; 32]);
//! let issuer_did = DidKey::from_public_key(&issuer.public_key());
//! let holder = Ed25519SigningKey::from_seed(&[2; 32]);
//! let mut options = SdJwtVcOptions::new("https://example.org/age");
//! options.iss = Some(issuer_did.did().to_string());
//! options.kid = Some(issuer_did.verification_method_id().to_string());
//! options.cnf = Some(holder.public_key());
//! let claims = serde_json::json!({"age_over_21": true, "given_name": "Alice"});
//! let credential = sd_jwt::issue_sd_jwt_vc(
//!     claims.as_object().cloned().unwrap_or_default(),
//!     &[sd_jwt::ClaimPath::keys(["age_over_21"]), sd_jwt::ClaimPath::keys(["given_name"])],
//!     &options, &issuer, &mut rand::rngs::OsRng)?;
//!
//! // The relying party: injected clock, DID resolver, status fetcher, nonce store.
//! let db = Arc::new(redb::Database::create(dir.path().join("verifier.redb"))?);
//! let verifier = Verifier::new(
//!     Arc::new(SystemClock),
//!     Arc::new(UniversalResolver::offline()),
//!     Arc::new(StatusCache::new(Arc::new(NoStatusLists), 64, TimeDelta::minutes(5))),
//!     NonceStore::new(db)?,
//! );
//! let mut policy = Policy::trusting(vec![issuer_did.did().to_string()]);
//! policy.required_claims = vec![RequiredClaim {
//!     path: ClaimPath::keys(["age_over_21"]),
//!     equals: Some(serde_json::json!(true)),
//! }];
//! let request = PresentationRequest {
//!     dcql_query: DcqlQuery::from_json(&serde_json::json!({"credentials": [{
//!         "id": "age", "format": "dc+sd-jwt",
//!         "claims": [{"path": ["age_over_21"], "values": [true]}]}]}))?,
//!     nonce: verifier.nonces().issue(Utc::now(), TimeDelta::minutes(5))?,
//!     audience: "decentralized_identifier:did:key:z6MkExampleVerifier".into(),
//!     policy,
//! };
//!
//! // The holder discloses only `age_over_21`, bound to the nonce and audience.
//! let presentation = SdJwt::parse(credential.as_str())?.present_with_key_binding(
//!     &[sd_jwt::ClaimPath::keys(["age_over_21"])], &holder,
//!     &request.audience, &request.nonce, Utc::now())?;
//! let vp_token = [("age".to_owned(), vec![Presentation::Compact(presentation)])].into();
//!
//! match verifier.verify_response(&request, &vp_token).await? {
//!     Ok(verified) => {
//!         let c = &verified.credentials()[0];
//!         assert_eq!(c.claims.get("age_over_21"), Some(&serde_json::json!(true)));
//!         assert!(c.claims.get("given_name").is_none()); // never disclosed
//!     }
//!     Err(rejected) => panic!("{:?}", rejected.codes()),
//! }
//! // The same response again is a replay.
//! let again = verifier.verify_response(&request, &vp_token).await?;
//! assert!(again.is_err_and(|r| r.has(credentials::FailureCode::NonceMismatch)));
//! # Ok(())
//! # }
//! ```
//!
//! **Invariants**: every check is mandatory; anything that cannot be checked (DID not
//! resolvable, status list unreachable or unsigned) is a failed check; a nonce is accepted
//! once, across restarts; no disclosed claim value is ever logged.

#![forbid(unsafe_code)]

pub mod clock;
pub mod did_cache;
pub mod error;
pub mod nonce;
pub mod pipeline;
pub mod policy;
pub mod status;

pub use clock::{Clock, ManualClock, SystemClock};
pub use did_cache::CachingResolver;
pub use error::StoreError;
pub use nonce::{NonceError, NonceStore};
pub use pipeline::{
    FailedCheck, Outcome, PresentationRequest, Rejected, Verified, VerifiedCredential, Verifier,
    VerifyError, verify_credential_alone, verify_presentation_alone,
};
pub use policy::{Format, Policy, PolicyError, RequiredClaim};
pub use status::{Fetched, HttpStatusFetcher, StatusCache, StatusFetchError, StatusFetcher};
pub mod service;

pub use service::{AppState, Scenario, ServiceConfig, ServiceError, ServiceParts, app, run, serve};
