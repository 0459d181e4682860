//! Shared helpers: a test issuer, requests through the router, a wallet that makes proofs.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use credentials::jose::sign_compact;
use credentials::{Ed25519SigningKey, Signer};
use did_methods::{DidKey, DidKeyOptions, OfflineResolver};
use http_body_util::BodyExt as _;
use issuer::keyring::KeySecret;
use issuer::{AppState, Config, KeySecretSource, app, system_clock};
use serde_json::{Map, Value, json};
use tower::ServiceExt as _;

/// The admin token of every test issuer.
pub const ADMIN: &str = "test-admin-token-0123456789abcdefghijklmnop";
/// The public URL of router-level test issuers.
pub const PUBLIC_URL: &str = "http://issuer.test";

/// A configuration with a fresh key file under `dir`.
pub fn config(dir: &std::path::Path, public_url: &str) -> Config {
    let key = dir.join("issuer.key");
    if !key.exists() {
        KeySecret::create_key_file(&key).unwrap();
    }
    let mut c = Config::new(
        dir.join("data"),
        url::Url::parse(public_url).unwrap(),
        KeySecretSource::KeyFile(key),
    );
    c.admin_token = Some(zeroize::Zeroizing::new(ADMIN.to_owned()));
    c
}

/// A test issuer over a temp directory.
pub struct TestIssuer {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub router: Router,
}

impl TestIssuer {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    pub fn with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut c = config(dir.path(), PUBLIC_URL);
        adjust(&mut c);
        let state = AppState::open(c, system_clock()).unwrap();
        let router = app(state.clone());
        Self { dir, state, router }
    }

    pub async fn call(&self, req: Request<Body>) -> Resp {
        call(&self.router, req).await
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> Resp {
        self.call(request(Method::GET, uri, token, None)).await
    }

    pub async fn post(&self, uri: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(request(Method::POST, uri, token, Some(body)))
            .await
    }

    pub async fn admin_post(&self, uri: &str, body: Value) -> Resp {
        self.post(uri, Some(ADMIN), body).await
    }

    pub async fn admin_get(&self, uri: &str) -> Resp {
        self.get(uri, Some(ADMIN)).await
    }

    /// Creates a proof-of-age offer; returns the 201 body.
    pub async fn offer(&self, configuration: &str, tx_code: Option<Value>) -> Value {
        let mut body = json!({
            "credential_configuration_id": configuration,
            "claims": { "given_name": "Ada", "family_name": "Lovelace", "birth_date": "1990-12-10" },
        });
        if let Some(t) = tx_code {
            body["tx_code"] = t;
        }
        let r = self.admin_post("/admin/offers", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()
    }

    /// The issuer DID.
    pub fn did(&self) -> String {
        self.state.identity().did.clone()
    }
}

/// A response.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts a stable error.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert!(body["message"].is_string(), "{body}");
    }
}

pub async fn call(router: &Router, req: Request<Body>) -> Resp {
    let response = router.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Resp {
        status,
        headers,
        body,
    }
}

pub fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

pub fn raw(
    method: Method,
    uri: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::from(body)).unwrap()
}

pub fn form(uri: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    raw(
        Method::POST,
        uri,
        None,
        "application/x-www-form-urlencoded",
        body.into_bytes(),
    )
}

/// The pre-authorized code of an offer response.
pub fn pre_authorized_code(offer: &Value) -> String {
    offer["credential_offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A wallet holding an Ed25519 key.
pub struct Wallet {
    pub key: Ed25519SigningKey,
}

impl Wallet {
    pub fn new(seed: u8) -> Self {
        Self {
            key: Ed25519SigningKey::from_seed(&[seed; 32]),
        }
    }

    pub fn did_key(&self) -> DidKey {
        DidKey::from_public_key(&self.key.public_key())
    }

    /// A proof JWT with `jwk` in the header.
    pub fn proof_jwk(&self, aud: &str, nonce: &str) -> String {
        let mut header = Map::new();
        header.insert("typ".into(), json!("openid4vci-proof+jwt"));
        header.insert("jwk".into(), self.key.public_key().to_jwk());
        proof(header, aud, nonce, &self.key)
    }

    /// A proof JWT with a did:key `kid`.
    pub fn proof_kid(&self, aud: &str, nonce: &str) -> String {
        let mut header = Map::new();
        header.insert("typ".into(), json!("openid4vci-proof+jwt"));
        header.insert(
            "kid".into(),
            json!(self.did_key().verification_method_id().to_string()),
        );
        proof(header, aud, nonce, &self.key)
    }
}

pub fn proof(header: Map<String, Value>, aud: &str, nonce: &str, signer: &dyn Signer) -> String {
    let payload = json!({ "aud": aud, "iat": chrono::Utc::now().timestamp(), "nonce": nonce });
    sign_compact(header, payload.as_object().unwrap(), signer)
}

/// Redeems a pre-authorized code; returns the access token.
pub async fn token(issuer: &TestIssuer, code: &str, tx_code: Option<&str>) -> Resp {
    let mut fields = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        ),
        ("pre-authorized_code", code),
    ];
    if let Some(t) = tx_code {
        fields.push(("tx_code", t));
    }
    issuer.call(form("/token", &fields)).await
}

pub async fn nonce(issuer: &TestIssuer) -> String {
    let r = issuer
        .call(request(Method::POST, "/nonce", None, None))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["c_nonce"].as_str().unwrap().to_owned()
}

pub async fn credential_request(
    issuer: &TestIssuer,
    access: &str,
    configuration: &str,
    proof_jwt: &str,
) -> Resp {
    issuer
        .post(
            "/credential",
            Some(access),
            json!({ "credential_configuration_id": configuration, "proofs": { "jwt": [proof_jwt] } }),
        )
        .await
}

/// Offer -> token -> nonce -> credential; returns the `credential` value and the offer.
pub async fn issue_via_oid4vci(
    issuer: &TestIssuer,
    configuration: &str,
    wallet: &Wallet,
) -> (Value, Value) {
    let offer = issuer.offer(configuration, None).await;
    let t = token(issuer, &pre_authorized_code(&offer), None).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    let access = t.json()["access_token"].as_str().unwrap().to_owned();
    let n = nonce(issuer).await;
    let proof = if configuration.ends_with("ldp_vc") {
        wallet.proof_kid(PUBLIC_URL, &n)
    } else {
        wallet.proof_jwk(PUBLIC_URL, &n)
    };
    let r = credential_request(issuer, &access, configuration, &proof).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    (r.json()["credentials"][0]["credential"].clone(), offer)
}

/// Resolves did:key issuers and holders offline.
pub fn resolver() -> OfflineResolver {
    OfflineResolver::new(DidKeyOptions::default())
}

/// The id of the credential recorded last for an offer.
pub async fn credential_id_of_offer(issuer: &TestIssuer, offer_id: &str) -> String {
    let r = issuer.admin_get(&format!("/admin/offers/{offer_id}")).await;
    r.json()["credential_id"].as_str().unwrap().to_owned()
}
