//! A test holder built from the shared crate: follows an `openid4vp://` link, fetches and
//! verifies the signed request object, picks the requested claims and posts the answer with
//! `direct_post` (what a wallet does, without the wallet crate).

use credentials::Signer;
use credentials::oid4vp::{AuthorizationRequest, AuthorizationResponse, Presentation, RequestLink};
use credentials::resolver::{KeyResolver as _, Relationship};
use credentials::sd_jwt::{ClaimPath, SdJwt};
use did_methods::OfflineResolver;

use crate::fixture::World;

/// Fetches and verifies the request behind `link`.
pub async fn fetch_request(http: &reqwest::Client, link: &str) -> AuthorizationRequest {
    let link = RequestLink::parse(link).unwrap();
    let resp = http.get(&link.request_uri).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/oauth-authz-req+jwt"
    );
    let signed = AuthorizationRequest::parse_signed(&resp.text().await.unwrap()).unwrap();
    let key = OfflineResolver::default()
        .resolve_key(signed.kid(), Relationship::AssertionMethod)
        .unwrap();
    let request = signed.verify(&key).unwrap();
    assert_eq!(request.client_id, link.client_id);
    request
}

/// The holder's SD-JWT presentation disclosing the claims the request asks for.
pub fn answer_sd_jwt(
    w: &World,
    request: &AuthorizationRequest,
    credential: &str,
    holder: &dyn Signer,
) -> AuthorizationResponse {
    let query = &request.dcql_query.credentials[0];
    let selection: Vec<ClaimPath> = query
        .claims
        .iter()
        .flatten()
        .map(|c| {
            ClaimPath::keys(c.path.0.iter().filter_map(|e| match e {
                credentials::oid4vp::PathElement::Key(k) => Some(k.clone()),
                _ => None,
            }))
        })
        .collect();
    let presentation = SdJwt::parse(credential)
        .unwrap()
        .present_with_key_binding(
            &selection,
            holder,
            &request.client_id,
            &request.nonce,
            w.clock_now(),
        )
        .unwrap();
    let mut vp_token = std::collections::BTreeMap::new();
    vp_token.insert(query.id.clone(), vec![Presentation::Compact(presentation)]);
    AuthorizationResponse::VpToken {
        vp_token,
        state: Some(request.state.clone()),
    }
}

/// Posts the answer to the response URI.
pub async fn post(
    http: &reqwest::Client,
    request: &AuthorizationRequest,
    response: &AuthorizationResponse,
) -> reqwest::Response {
    http.post(&request.response_uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(response.to_form())
        .send()
        .await
        .unwrap()
}
