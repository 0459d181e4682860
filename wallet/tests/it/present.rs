//! Presenting (OpenID4VP + DCQL) against an in-memory verifier: a real signed request
//! object, real SD-JWT VCs, and a fake transport that records what would be sent.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Duration;
use credentials::oid4vp::messages::STATIC_DISCOVERY_AUDIENCE;
use credentials::oid4vp::{
    AuthorizationRequest, AuthorizationResponse, DcqlQuery, Presentation, RequestLink,
};
use credentials::sd_jwt::{
    self, ClaimPath, IssuerKey, KeyBindingPolicy, SdJwtVcOptions, VerifyOptions,
};
use credentials::{Ed25519SigningKey, FailureCode, Signer as _};
use did_methods::UniversalResolver;
use serde_json::{Value, json};
use url::Url;
use wallet::net::{HttpResponse, NetError, NetworkPolicy, WalletHttp};
use wallet::present::{self, PresentError};
use wallet::{CredentialFormat, DidMethod, NewCredential, PresentationOutcome, Wallet};

use crate::support::*;

/// Serves GETs from a table and records every POST.
#[derive(Default)]
struct FakeHttp {
    pages: HashMap<String, String>,
    posts: Mutex<Vec<(String, String)>>,
    /// The body of the answer to a post, if not the default `redirect_uri`.
    answer: Option<String>,
}

#[async_trait::async_trait]
impl WalletHttp for FakeHttp {
    async fn get(&self, url: &Url, _accept: &str) -> Result<HttpResponse, NetError> {
        Ok(match self.pages.get(url.as_str()) {
            Some(body) => HttpResponse {
                status: 200,
                content_type: Some("application/oauth-authz-req+jwt".into()),
                body: body.clone().into_bytes(),
            },
            None => HttpResponse {
                status: 404,
                content_type: None,
                body: Vec::new(),
            },
        })
    }
    async fn post_form(&self, url: &Url, body: &str) -> Result<HttpResponse, NetError> {
        self.posts
            .lock()
            .unwrap()
            .push((url.to_string(), body.to_owned()));
        Ok(HttpResponse {
            status: 200,
            content_type: Some("application/json".into()),
            body: self
                .answer
                .clone()
                .unwrap_or_else(|| r#"{"redirect_uri":"https://verifier.example/done"}"#.into())
                .into_bytes(),
        })
    }
    async fn post_json(
        &self,
        _: &Url,
        _: &Value,
        _: Option<&str>,
    ) -> Result<HttpResponse, NetError> {
        unreachable!("presenting posts forms only")
    }
}

pub struct Verifier {
    pub key: Ed25519SigningKey,
    pub did: String,
    pub kid: String,
}

impl Verifier {
    pub fn new(seed: u8) -> Self {
        let key = Ed25519SigningKey::from_seed(&[seed; 32]);
        let did = DidMethod::Key.did(&key.public_key());
        let kid = DidMethod::Key.verification_method(&key.public_key());
        Self { key, did, kid }
    }

    pub fn client_id(&self) -> String {
        format!("decentralized_identifier:{}", self.did)
    }

    pub fn request(&self, dcql: Value) -> AuthorizationRequest {
        AuthorizationRequest {
            response_type: "vp_token".into(),
            client_id: self.client_id(),
            response_mode: "direct_post".into(),
            response_uri: "https://verifier.example/response/1".into(),
            nonce: "n-0S6_WzA2Mj".into(),
            state: "state-1".into(),
            dcql_query: DcqlQuery::from_json(&dcql).unwrap(),
            client_metadata: None,
            iss: Some(self.did.clone()),
            aud: Some(STATIC_DISCOVERY_AUDIENCE.into()),
            iat: Some(now().timestamp()),
            exp: Some((now() + Duration::minutes(5)).timestamp()),
        }
    }
}

const REQUEST_URI: &str = "https://verifier.example/request/1";
const PID: &str = "urn:eudi:pid:1";

pub fn pid_query(paths: &[&str]) -> Value {
    json!({"credentials": [{
        "id": "pid",
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [PID]},
        "claims": paths.iter().map(|p| json!({"path": [p]})).collect::<Vec<_>>(),
    }]})
}

/// An issuer signs an SD-JWT VC bound to a fresh holder key of the wallet; the wallet
/// verifies it and stores it (as the receive flow will).
pub fn receive_pid(w: &mut Wallet, seed: u64) -> wallet::CredentialId {
    let claims = json!({"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1990-01-01", "age_over_18": true});
    receive_sd_jwt(
        w,
        seed,
        claims,
        &["given_name", "family_name", "birthdate", "age_over_18"],
    )
}

/// An SD-JWT VC with `claims`, of which `disclosable` are selectively disclosable.
pub fn receive_sd_jwt(
    w: &mut Wallet,
    seed: u64,
    claims: Value,
    disclosable: &[&str],
) -> wallet::CredentialId {
    let issuer = Ed25519SigningKey::from_seed(&[42; 32]);
    let issuer_did = DidMethod::Key.did(&issuer.public_key());
    let holder = w
        .generate_holder_key(DidMethod::Key, &mut rng(seed), now())
        .unwrap();
    let mut options = SdJwtVcOptions::new(PID);
    options.iss = Some(issuer_did.clone());
    options.iat = Some(now());
    options.cnf = Some(holder.public_key.clone());
    options.kid = Some(DidMethod::Key.verification_method(&issuer.public_key()));
    let disclosable: Vec<ClaimPath> = disclosable.iter().map(|k| ClaimPath::keys([*k])).collect();
    let issued = sd_jwt::issue_sd_jwt_vc(
        claims.as_object().unwrap().clone(),
        &disclosable,
        &options,
        &issuer,
        &mut rng(seed + 100),
    )
    .unwrap();
    let verified = sd_jwt::verify(
        issued.as_str(),
        IssuerKey::Pinned(&issuer.public_key()),
        &VerifyOptions::sd_jwt_vc(now(), KeyBindingPolicy::NotRequired),
    )
    .unwrap();
    assert!(verified.is_verified(), "{:?}", verified.report());
    w.store_credential(
        NewCredential {
            format: CredentialFormat::DcSdJwt,
            credential: json!(issued.as_str()),
            issuer: issuer_did,
            types: vec![PID.into()],
            claims: Value::Object(verified.into_claims().unwrap()),
            holder_key: Some(holder.id),
        },
        &mut rng(seed + 200),
        now(),
    )
    .unwrap()
}

fn serve(request: &AuthorizationRequest, signer: &Ed25519SigningKey, kid: &str) -> FakeHttp {
    let mut http = FakeHttp::default();
    http.pages
        .insert(REQUEST_URI.into(), request.sign(kid, signer));
    http
}

pub fn link(client_id: &str, request_uri: &str) -> String {
    RequestLink {
        client_id: client_id.into(),
        request_uri: request_uri.into(),
    }
    .to_uri()
}

async fn fetch(
    http: &FakeHttp,
    link: &str,
    policy: NetworkPolicy,
) -> Result<present::VerifiedRequest, PresentError> {
    present::fetch_request(link, http, &UniversalResolver::offline(), policy, now()).await
}

#[tokio::test]
async fn a_request_for_more_than_needed_shows_it_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let credential = receive_pid(&mut w, 1);
    let verifier = Verifier::new(7);
    let http = serve(
        &verifier.request(pid_query(&["given_name", "birthdate"])),
        &verifier.key,
        &verifier.kid,
    );
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    let summary = pending.summary();
    // Who asks, as proven by the signature.
    assert_eq!(summary.verifier.did, verifier.did);
    assert_eq!(summary.verifier.key_id, verifier.kid);
    assert_eq!(summary.verifier.proven_by, "decentralized_identifier");
    let c = &summary.credentials[0];
    assert_eq!(c.credential_id, credential);
    assert_eq!(c.shared, ["given_name", "birthdate"]);
    assert_eq!(c.not_shared, ["family_name", "age_over_18"]);
    assert!(c.revealed_anyway.is_empty(), "{:?}", c.revealed_anyway);
    assert_eq!(summary.warnings.len(), 1, "{:?}", summary.warnings);
    assert!(
        summary.warnings[0].contains("birthdate") && summary.warnings[0].contains("age_over_18")
    );
    let text = summary.to_string();
    assert!(
        text.contains("will share:      given_name, birthdate"),
        "{text}"
    );
    assert!(
        text.contains("will not share:  family_name, age_over_18"),
        "{text}"
    );
    assert!(text.contains("WARNING"), "{text}");

    // Asking only for what is needed raises no warning.
    let http = serve(
        &verifier.request(pid_query(&["age_over_18"])),
        &verifier.key,
        &verifier.kid,
    );
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    assert!(pending.summary().warnings.is_empty());
    assert_eq!(pending.summary().credentials[0].shared, ["age_over_18"]);
    assert!(
        http.posts.lock().unwrap().is_empty(),
        "planning sent something"
    );
}

#[tokio::test]
async fn a_declined_request_sends_nothing_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let credential = receive_pid(&mut w, 2);
    let verifier = Verifier::new(7);
    let http = serve(
        &verifier.request(pid_query(&["given_name"])),
        &verifier.key,
        &verifier.kid,
    );
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    present::decline(&mut w, pending, now()).unwrap();
    assert!(
        http.posts.lock().unwrap().is_empty(),
        "a declined request sent something"
    );
    let last = w.history().last().unwrap();
    assert_eq!(last.outcome, PresentationOutcome::Declined);
    assert_eq!(last.verifier, verifier.client_id());
    assert_eq!(last.shared[0].credential, credential);
    assert!(last.shared[0].disclosed.is_empty());
}

#[tokio::test]
async fn the_kb_jwt_is_bound_to_the_request_nonce_and_audience_and_discloses_only_what_was_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    receive_pid(&mut w, 3);
    let verifier = Verifier::new(7);
    let request_object = verifier.request(pid_query(&["given_name"]));
    let http = serve(&request_object, &verifier.key, &verifier.kid);
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    let submitted = present::submit(&mut w, pending, &http, now())
        .await
        .unwrap();
    assert_eq!(
        submitted.redirect_uri.as_deref(),
        Some("https://verifier.example/done")
    );

    let posts = http.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].0, "https://verifier.example/response/1");
    let AuthorizationResponse::VpToken { vp_token, state } =
        AuthorizationResponse::from_form(&posts[0].1).unwrap()
    else {
        panic!("not a vp_token response");
    };
    assert_eq!(state.as_deref(), Some("state-1"));
    let Presentation::Compact(presented) = &vp_token["pid"][0] else {
        panic!("not an SD-JWT");
    };
    let issuer = Ed25519SigningKey::from_seed(&[42; 32]).public_key();
    let check = |audience: &str, nonce: &str| {
        sd_jwt::verify(
            presented,
            IssuerKey::Pinned(&issuer),
            &VerifyOptions::sd_jwt_vc(
                now(),
                KeyBindingPolicy::Required {
                    audience: audience.into(),
                    nonce: nonce.into(),
                },
            ),
        )
        .unwrap()
    };
    let ok = check(&verifier.client_id(), &request_object.nonce);
    assert!(ok.is_verified(), "{:?}", ok.report());
    assert!(ok.is_key_bound());
    let claims = ok.claims().unwrap();
    assert_eq!(claims["given_name"], "Erika");
    for withheld in ["family_name", "birthdate", "age_over_18"] {
        assert!(!claims.contains_key(withheld), "{withheld} disclosed");
    }
    assert!(
        check(&verifier.client_id(), "another nonce")
            .report()
            .has_failure(FailureCode::NonceMismatch)
    );
    assert!(
        check(
            "decentralized_identifier:did:example:other",
            &request_object.nonce
        )
        .report()
        .has_failure(FailureCode::AudienceMismatch)
    );
    let last = w.history().last().unwrap();
    assert_eq!(last.outcome, PresentationOutcome::Sent);
    assert_eq!(last.shared[0].disclosed, ["given_name"]);
    assert_eq!(
        last.shared[0].withheld,
        ["family_name", "birthdate", "age_over_18"]
    );
}

#[tokio::test]
async fn the_verifier_identity_is_the_signed_one_not_the_claimed_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    receive_pid(&mut w, 4);
    let verifier = Verifier::new(7);
    let impostor = Verifier::new(8);
    let request = verifier.request(pid_query(&["given_name"]));

    // The link claims another client_id than the signed request.
    let http = serve(&request, &verifier.key, &verifier.kid);
    let err = fetch(
        &http,
        &link(&impostor.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, PresentError::ClientIdMismatch), "{err:?}");

    // Signed by the impostor's own key (its own kid) for the verifier's client_id.
    let http = serve(&request, &impostor.key, &impostor.kid);
    let err = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, PresentError::RequestObject(_)), "{err:?}");

    // Signed by the impostor's key under the verifier's kid.
    let http = serve(&request, &impostor.key, &verifier.kid);
    let err = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, PresentError::RequestObject(_)), "{err:?}");

    // Expired.
    let mut old = request.clone();
    old.exp = Some((now() - Duration::seconds(1)).timestamp());
    let http = serve(&old, &verifier.key, &verifier.kid);
    let err = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, PresentError::Expired), "{err:?}");

    // Not an openid4vp:// link.
    let err = fetch(
        &http,
        "https://verifier.example/?client_id=x&request_uri=y",
        NetworkPolicy::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, PresentError::NotARequestLink), "{err:?}");
}

#[tokio::test]
async fn plain_http_is_refused_except_to_loopback_with_the_flag() {
    let verifier = Verifier::new(7);
    let loopback_uri = "http://127.0.0.1:8080/request/1";
    let mut request = verifier.request(pid_query(&["given_name"]));
    request.response_uri = "http://127.0.0.1:8080/response/1".into();
    let mut http = FakeHttp::default();
    http.pages.insert(
        loopback_uri.into(),
        request.sign(&verifier.kid, &verifier.key),
    );
    let strict = NetworkPolicy::default();
    let loopback = NetworkPolicy {
        allow_http_loopback: true,
    };
    let err = fetch(&http, &link(&verifier.client_id(), loopback_uri), strict)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            PresentError::UrlRefused {
                what: "request_uri",
                ..
            }
        ),
        "{err:?}"
    );
    fetch(&http, &link(&verifier.client_id(), loopback_uri), loopback)
        .await
        .unwrap();

    // The flag opens loopback only: a response_uri on another host stays refused.
    request.response_uri = "http://verifier.example/response/1".into();
    http.pages.insert(
        loopback_uri.into(),
        request.sign(&verifier.kid, &verifier.key),
    );
    let err = fetch(&http, &link(&verifier.client_id(), loopback_uri), loopback)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            PresentError::UrlRefused {
                what: "response_uri",
                ..
            }
        ),
        "{err:?}"
    );
    let err = fetch(
        &http,
        &link(&verifier.client_id(), "http://verifier.example/request/1"),
        loopback,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            PresentError::UrlRefused {
                what: "request_uri",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unsatisfiable_request_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    receive_pid(&mut w, 5);
    let verifier = Verifier::new(7);
    let mut query = pid_query(&["given_name"]);
    query["credentials"][0]["meta"]["vct_values"] = json!(["urn:example:diploma"]);
    let http = serve(&verifier.request(query), &verifier.key, &verifier.kid);
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let err = present::plan(&w, request).unwrap_err();
    assert!(
        matches!(&err, PresentError::Unsatisfiable(ids) if ids == &["pid".to_owned()]),
        "{err:?}"
    );
    // A claim the credential does not have.
    let http = serve(
        &verifier.request(pid_query(&["nationality"])),
        &verifier.key,
        &verifier.kid,
    );
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    assert!(matches!(
        present::plan(&w, request),
        Err(PresentError::Unsatisfiable(_))
    ));
    assert!(http.posts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn optional_credential_sets_and_claim_set_alternatives_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    receive_pid(&mut w, 6);
    let verifier = Verifier::new(7);
    let query = json!({
        "credentials": [
            {"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID]},
             "claims": [
                {"id": "age", "path": ["age_over_18"]},
                {"id": "dob", "path": ["birthdate"]},
                {"id": "name", "path": ["family_name"]}
             ],
             "claim_sets": [["age"], ["dob"]]},
            {"id": "pid_extra", "format": "dc+sd-jwt", "meta": {"vct_values": [PID]},
             "claims": [{"path": ["family_name"]}]}
        ],
        "credential_sets": [
            {"options": [["pid"]]},
            {"options": [["pid_extra"]], "required": false}
        ]
    });
    let http = serve(&verifier.request(query), &verifier.key, &verifier.kid);
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    let summary = pending.summary();
    assert_eq!(summary.credentials.len(), 1);
    assert_eq!(summary.credentials[0].shared, ["age_over_18"]);
    assert_eq!(summary.optional_not_shared, ["pid_extra"]);
    present::submit(&mut w, pending, &http, now())
        .await
        .unwrap();
    let posts = http.posts.lock().unwrap().clone();
    let AuthorizationResponse::VpToken { vp_token, .. } =
        AuthorizationResponse::from_form(&posts[0].1).unwrap()
    else {
        panic!()
    };
    assert_eq!(vp_token.keys().collect::<Vec<_>>(), ["pid"]);
    let Presentation::Compact(presented) = &vp_token["pid"][0] else {
        panic!()
    };
    // One disclosure (age_over_18), plus the KB-JWT.
    assert_eq!(presented.matches('~').count(), 2, "{presented}");
}

/// Stores a Data Integrity credential about a fresh holder DID (as the receive flow does).
fn receive_ldp(w: &mut Wallet, seed: u64) -> wallet::CredentialId {
    receive_ldp_with(w, seed, json!({}))
}

/// [`receive_ldp`] with `extra` top-level members in the credential.
fn receive_ldp_with(w: &mut Wallet, seed: u64, extra: Value) -> wallet::CredentialId {
    use credentials::data_integrity::{self, Cryptosuite, ProofOptions};
    let issuer = Ed25519SigningKey::from_seed(&[43; 32]);
    let issuer_did = DidMethod::Key.did(&issuer.public_key());
    let holder = w
        .generate_holder_key(DidMethod::Key, &mut rng(seed), now())
        .unwrap();
    let vc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://www.w3.org/ns/credentials/issuer-dependent#"}],
        "type": ["VerifiableCredential", "PersonCredential"],
        "issuer": issuer_did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": holder.did, "given_name": "Erika", "age_over_18": true},
    });
    let mut vc = vc;
    for (name, member) in extra.as_object().unwrap() {
        vc[name] = member.clone();
    }
    let options = ProofOptions::assertion(
        DidMethod::Key.verification_method(&issuer.public_key()),
        now(),
    );
    let signed = data_integrity::sign(&vc, Cryptosuite::EddsaRdfc2022, &options, &issuer).unwrap();
    w.store_credential(
        NewCredential {
            format: CredentialFormat::LdpVc,
            claims: signed["credentialSubject"].clone(),
            credential: signed,
            issuer: issuer_did,
            types: vec!["VerifiableCredential".into(), "PersonCredential".into()],
            holder_key: Some(holder.id),
        },
        &mut rng(seed + 1),
        now(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_data_integrity_presentation_carries_the_challenge_and_domain_and_shows_what_cannot_be_hidden()
 {
    use credentials::data_integrity;
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    receive_ldp(&mut w, 21);
    let verifier = Verifier::new(7);
    let query = json!({"credentials": [{
        "id": "person",
        "format": "ldp_vc",
        "meta": {"type_values": [["PersonCredential"]]},
        "claims": [{"path": ["credentialSubject", "age_over_18"], "values": [true]}],
    }]});
    let request_object = verifier.request(query);
    let http = serve(&request_object, &verifier.key, &verifier.kid);
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    let c = &pending.summary().credentials[0];
    assert_eq!(c.shared, ["credentialSubject.age_over_18"]);
    // A Data Integrity credential is shown whole: the summary says so.
    assert!(
        c.revealed_anyway
            .contains(&"credentialSubject.given_name".to_owned()),
        "{:?}",
        c.revealed_anyway
    );
    assert!(
        pending
            .summary()
            .warnings
            .iter()
            .any(|w| w.contains("cannot hide claims"))
    );
    present::submit(&mut w, pending, &http, now())
        .await
        .unwrap();

    let posts = http.posts.lock().unwrap().clone();
    let AuthorizationResponse::VpToken { vp_token, .. } =
        AuthorizationResponse::from_form(&posts[0].1).unwrap()
    else {
        panic!()
    };
    let Presentation::Json(vp) = &vp_token["person"][0] else {
        panic!("not a JSON presentation")
    };
    let vp = Value::Object(vp.clone());
    let resolver = did_methods::OfflineResolver::default();
    let options = data_integrity::VerifyOptions::new(now());
    let verify = |challenge: &str, domain: &str| {
        data_integrity::verify_presentation(&vp, &resolver, challenge, domain, &options).unwrap()
    };
    assert!(verify(&request_object.nonce, &verifier.client_id()).is_verified());
    assert!(
        verify("another nonce", &verifier.client_id())
            .presentation
            .has_failure(FailureCode::NonceMismatch)
    );
    assert!(
        verify(
            &request_object.nonce,
            "decentralized_identifier:did:example:other"
        )
        .presentation
        .has_failure(FailureCode::AudienceMismatch)
    );
}

#[tokio::test]
async fn claims_that_cannot_be_withheld_are_listed_as_revealed_anyway() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    // `sub` and `family_name` are plain claims of this credential: always visible.
    let claims = json!({"sub": "user-4711", "family_name": "Mustermann", "given_name": "Erika", "age_over_18": true});
    receive_sd_jwt(&mut w, 31, claims, &["given_name", "age_over_18"]);
    let verifier = Verifier::new(7);
    let http = serve(
        &verifier.request(pid_query(&["age_over_18"])),
        &verifier.key,
        &verifier.kid,
    );
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    let c = &pending.summary().credentials[0];
    assert_eq!(c.shared, ["age_over_18"]);
    assert_eq!(c.not_shared, ["given_name"]);
    assert_eq!(c.revealed_anyway, ["sub", "family_name"]);
    assert!(
        pending
            .summary()
            .to_string()
            .contains("also visible:    sub, family_name")
    );
}

#[tokio::test]
async fn expired_credentials_are_not_offered() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let id = receive_pid(&mut w, 41);
    // The same credential, as the wallet would hold it once its `exp` has passed.
    let mut expired = w.credential(id.as_str()).unwrap().clone();
    expired.claims["exp"] = json!((now() - Duration::seconds(1)).timestamp());
    w.remove_credential(&id).unwrap();
    let holder = w
        .generate_holder_key(DidMethod::Key, &mut rng(42), now())
        .unwrap();
    w.store_credential(
        NewCredential {
            format: expired.format,
            credential: expired.credential,
            issuer: expired.issuer,
            types: expired.types,
            claims: expired.claims,
            holder_key: Some(holder.id),
        },
        &mut rng(43),
        now(),
    )
    .unwrap();
    let verifier = Verifier::new(7);
    let http = serve(
        &verifier.request(pid_query(&["given_name"])),
        &verifier.key,
        &verifier.kid,
    );
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    assert!(matches!(
        present::plan(&w, request),
        Err(PresentError::Unsatisfiable(_))
    ));
}

#[tokio::test]
async fn hostile_claim_names_cannot_rewrite_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    // An issuer put a terminal escape and a fake line into a plain claim's name.
    let hostile = "x\u{1b}[2J\nwill share:      (nothing)";
    let claims = json!({hostile: "v", "given_name": "Erika"});
    receive_sd_jwt(&mut w, 51, claims, &["given_name"]);
    let verifier = Verifier::new(7);
    let http = serve(
        &verifier.request(pid_query(&["given_name"])),
        &verifier.key,
        &verifier.kid,
    );
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    let text = pending.summary().to_string();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    // The fake line stays inside the "also visible" line: one real "will share" line.
    let share_lines = text
        .lines()
        .filter(|l| l.trim_start().starts_with("will share:"))
        .count();
    assert_eq!(share_lines, 1, "{text}");
    assert!(text.contains("\\u{1b}"), "{text}");
}

/// RFC 9901 section 7.2 / decision 0603: the summary lists everything the verifier will see.
/// Asking for `address.locality` where the issuer made the whole `address` one disclosure
/// opens that disclosure, and with it every plain member inside (`street_address`): the
/// summary must say so, not only "address.locality".
#[tokio::test]
async fn plain_claims_inside_a_disclosure_opened_for_a_requested_claim_are_listed_as_revealed() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let claims = json!({
        "given_name": "Erika",
        "address": {"locality": "Berlin", "street_address": "Heidestrasse 17"},
    });
    receive_sd_jwt(&mut w, 61, claims, &["given_name", "address"]);
    let verifier = Verifier::new(7);
    let query = json!({"credentials": [{
        "id": "pid",
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [PID]},
        "claims": [{"path": ["address", "locality"]}],
    }]});
    let http = serve(&verifier.request(query), &verifier.key, &verifier.kid);
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    let c = &pending.summary().credentials[0];
    assert_eq!(c.shared, ["address.locality"]);
    assert_eq!(c.not_shared, ["given_name"]);
    assert_eq!(c.revealed_anyway, ["address.street_address"]);

    // And that is exactly what the verifier gets.
    present::submit(&mut w, pending, &http, now())
        .await
        .unwrap();
    let posts = http.posts.lock().unwrap().clone();
    let AuthorizationResponse::VpToken { vp_token, .. } =
        AuthorizationResponse::from_form(&posts[0].1).unwrap()
    else {
        panic!("not a vp_token response");
    };
    let Presentation::Compact(presented) = &vp_token["pid"][0] else {
        panic!("not an SD-JWT");
    };
    let issuer = Ed25519SigningKey::from_seed(&[42; 32]).public_key();
    let seen = sd_jwt::verify(
        presented,
        IssuerKey::Pinned(&issuer),
        &VerifyOptions::sd_jwt_vc(now(), KeyBindingPolicy::NotRequired),
    )
    .unwrap();
    let seen = seen.claims().unwrap();
    assert_eq!(seen["address"]["street_address"], "Heidestrasse 17");
    assert!(!seen.contains_key("given_name"));
}

/// OpenID4VP 1.0 section 8.2: the wallet sends the user-agent to the `redirect_uri` the
/// verifier answers with. It comes from the verifier's response, unsigned: only an allowed
/// web URL (the same rule as every other URL, `wallet::net`) is passed on, never a
/// `javascript:`, `file:` or plain `http:` target, and never raw control characters that a
/// terminal would interpret.
#[tokio::test]
async fn a_redirect_uri_from_the_verifier_is_passed_on_only_if_it_is_an_allowed_url() {
    for (answer, expected) in [
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("http://verifier.example/done", None),
        ("https://10.0.0.1/done", None),
        ("not a url", None),
        (
            "https://verifier.example/done\\u001b[2J",
            Some("https://verifier.example/done%1B[2J"),
        ),
        (
            "https://verifier.example/done?x=1",
            Some("https://verifier.example/done?x=1"),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut w = new_wallet(&dir.path().join("vault"));
        receive_pid(&mut w, 71);
        let verifier = Verifier::new(7);
        let mut http = serve(
            &verifier.request(pid_query(&["given_name"])),
            &verifier.key,
            &verifier.kid,
        );
        http.answer = Some(format!(r#"{{"redirect_uri":"{answer}"}}"#));
        let request = fetch(
            &http,
            &link(&verifier.client_id(), REQUEST_URI),
            NetworkPolicy::default(),
        )
        .await
        .unwrap();
        let pending = present::plan(&w, request).unwrap();
        let submitted = present::submit(&mut w, pending, &http, now())
            .await
            .unwrap();
        assert_eq!(submitted.redirect_uri.as_deref(), expected, "{answer}");
    }
}

/// Decision 0603: a Data Integrity credential is sent whole, so the summary lists everything
/// in it that was not asked for, not only the subject's claims: a credential `id` (a
/// correlation handle across verifiers) or `evidence` (documents checked at issuance) leave
/// the wallet too.
#[tokio::test]
async fn every_member_of_a_data_integrity_credential_outside_its_subject_is_listed_as_revealed() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    receive_ldp_with(
        &mut w,
        81,
        json!({
            "id": "urn:uuid:5c2b1f0e-4a0e-4f43-9a1c-0f3c1d2e3f40",
            "evidence": [{"type": ["DocumentVerification"], "document": "passport C01X00T47"}],
        }),
    );
    let verifier = Verifier::new(7);
    let query = json!({"credentials": [{
        "id": "person",
        "format": "ldp_vc",
        "meta": {"type_values": [["PersonCredential"]]},
        "claims": [{"path": ["credentialSubject", "age_over_18"], "values": [true]}],
    }]});
    let http = serve(&verifier.request(query), &verifier.key, &verifier.kid);
    let request = fetch(
        &http,
        &link(&verifier.client_id(), REQUEST_URI),
        NetworkPolicy::default(),
    )
    .await
    .unwrap();
    let pending = present::plan(&w, request).unwrap();
    let revealed = &pending.summary().credentials[0].revealed_anyway;
    for expected in ["id", "evidence", "credentialSubject.given_name"] {
        assert!(
            revealed.contains(&expected.to_owned()),
            "{expected} not listed: {revealed:?}"
        );
    }
    for described in ["@context", "type", "issuer", "validFrom", "proof"] {
        assert!(
            !revealed.iter().any(|r| r.starts_with(described)),
            "{described} listed as a claim: {revealed:?}"
        );
    }
}
