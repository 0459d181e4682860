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
//! **Invariants**: every check is mandatory; anything that cannot be checked (DID not
//! resolvable, status list unreachable or unsigned) is a failed check; a nonce is accepted
//! once, across restarts; no disclosed claim value is ever logged.

#![forbid(unsafe_code)]

pub mod clock;
pub mod error;
pub mod nonce;
pub mod pipeline;
pub mod policy;
pub mod status;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::StoreError;
pub use nonce::{NonceError, NonceStore};
pub use pipeline::{
    FailedCheck, Outcome, PresentationRequest, Rejected, Verified, VerifiedCredential, Verifier,
    VerifyError, verify_credential_alone, verify_presentation_alone,
};
pub use policy::{Format, Policy, PolicyError, RequiredClaim};
pub use status::{HttpStatusFetcher, StatusCache, StatusFetchError, StatusFetcher};
pub mod service;

pub use service::{AppState, Scenario, ServiceConfig, ServiceError, ServiceParts, app, run, serve};
