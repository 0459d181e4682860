//! OpenID for Verifiable Presentations 1.0 protocol messages and DCQL queries. Pure: no IO,
//! no clock reads, so the wallet and the verifier share one implementation.
//!
//! - [`dcql`]: the Digital Credentials Query Language (section 6), claims path pointers
//!   (section 7) and matching a credential's claims against a query.
//! - [`messages`]: the signed request object fetched from `request_uri`, the `openid4vp://`
//!   link, and the `direct_post` authorization response with its `vp_token`.

pub mod dcql;
pub mod messages;

pub use dcql::{
    CandidateCredential, ClaimPath, ClaimsMatch, ClaimsQuery, CredentialQuery, CredentialSetQuery,
    DcqlError, DcqlParseError, DcqlQuery, FORMAT_LDP_VC, FORMAT_SD_JWT_VC, MismatchReason,
    PathElement,
};
pub use messages::{
    AuthorizationRequest, AuthorizationResponse, DID_CLIENT_ID_PREFIX, MessageError, Presentation,
    RequestLink, SignedRequest,
};
