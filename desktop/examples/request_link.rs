//! Prints an OpenID4VP request for the end-to-end consent test: a request object signed by a
//! freshly generated verifier `did:key` (client id `decentralized_identifier:did:key:...`)
//! asking, with DCQL, for `age_over_21` from an age credential, answered by `direct_post` to
//! `BASE/response`; and the `openid4vp://` link whose `request_uri` is `BASE/request`.
//!
//! It uses the shared `credentials` library, as the `verifier` service does; the test serves
//! the request and records any answer with a few lines of HTTP server, standing in for the
//! verifier service until that exists.
//!
//! `cargo run -p desktop --example request_link -- http://127.0.0.1:PORT` prints
//! `{"link": ..., "request_object": ...}`.

use std::error::Error;

use chrono::{Duration, Utc};
use credentials::oid4vp::messages::{
    DID_CLIENT_ID_PREFIX, RESPONSE_MODE_DIRECT_POST, RESPONSE_TYPE_VP_TOKEN,
    STATIC_DISCOVERY_AUDIENCE,
};
use credentials::oid4vp::{AuthorizationRequest, RequestLink};
use credentials::{Ed25519SigningKey, Signer};
use rand_core::RngCore as _;
use serde_json::json;

fn main() -> Result<(), Box<dyn Error>> {
    let base = std::env::args()
        .nth(1)
        .ok_or("usage: request_link BASE_URL")?;
    let rng = &mut rand_core::OsRng;
    let key = Ed25519SigningKey::generate(rng);
    let multikey = key.public_key().to_multikey();
    let did = format!("did:key:{multikey}");
    let client_id = format!("{DID_CLIENT_ID_PREFIX}{did}");
    let fresh = |rng: &mut rand_core::OsRng| {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let now = Utc::now();
    let request = AuthorizationRequest {
        response_type: RESPONSE_TYPE_VP_TOKEN.into(),
        client_id: client_id.clone(),
        response_mode: RESPONSE_MODE_DIRECT_POST.into(),
        response_uri: format!("{base}/response"),
        nonce: fresh(rng),
        state: fresh(rng),
        dcql_query: serde_json::from_value(json!({
            "credentials": [{
                "id": "age",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://credentials.example.com/AgeCredential"]},
                "claims": [{"path": ["age_over_21"]}]
            }]
        }))?,
        client_metadata: None,
        iss: Some(did.clone()),
        aud: Some(STATIC_DISCOVERY_AUDIENCE.into()),
        iat: Some(now.timestamp()),
        exp: Some((now + Duration::minutes(10)).timestamp()),
    };
    request.validate()?;
    let signer: &dyn Signer = &key;
    let request_object = request.sign(&format!("{did}#{multikey}"), signer);
    let link = RequestLink {
        client_id,
        request_uri: format!("{base}/request"),
    }
    .to_uri();
    println!(
        "{}",
        json!({"link": link, "request_object": request_object})
    );
    Ok(())
}
