//! Receiving (OpenID4VCI, pre-authorized code) against an in-memory issuer that really
//! checks the token request and proof, and signs real SD-JWT VCs, Data Integrity VCs and
//! status lists.

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use credentials::data_integrity::{self, Cryptosuite, ProofOptions};
use credentials::jose::CompactJws;
use credentials::oid4vp::messages::{form_decode, form_encode};
use credentials::sd_jwt::{self, ClaimPath, SdJwtVcOptions, StatusListReference};
use credentials::status_list::bitstring::{
    BitstringStatusList, StatusListCredentialParams, StatusPurpose,
};
use credentials::status_list::token::{Bits, StatusListTokenClaims, TokenStatusList};
use credentials::{Ed25519SigningKey, PublicKey, Signer as _};
use did_methods::UniversalResolver;
use serde_json::{Value, json};
use url::Url;
use wallet::net::{HttpResponse, NetError, NetworkPolicy, WalletHttp};
use wallet::receive::{self, CredentialOffer, ReceiveError};
use wallet::{CredentialFormat, DidMethod, Wallet};

use crate::support::*;

const BASE: &str = "https://issuer.example";
const PID: &str = "urn:eudi:pid:1";
const STATUS_IDX: usize = 7;

pub struct FakeIssuer {
    pub base: String,
    key: Ed25519SigningKey,
    did: String,
    kid: String,
    code: String,
    pub tx_code: Option<String>,
    /// Binds the credential to this key instead of the proof's.
    bind_to: Option<PublicKey>,
    /// Signs the credential with this key instead of the issuer's.
    sign_with: Option<Ed25519SigningKey>,
    /// The status value at the credential's index, if it has a status.
    pub status: Option<u8>,
    metadata_issuer: String,
    /// Serves `credential_endpoint` and `nonce_endpoint` under this origin instead of `base`.
    endpoint_base: Option<String>,
    /// Serves `token_endpoint` under this origin instead of `base`.
    token_endpoint_base: Option<String>,
    log: Mutex<Vec<String>>,
    nonces: Mutex<Vec<String>>,
    /// The true time: starts at `now()` and moves `step` with every request answered (the
    /// flow takes time).
    time: Mutex<DateTime<Utc>>,
    step: TimeDelta,
    /// How far ahead of the true time the issuer's clock is when it signs a credential.
    ahead: TimeDelta,
    /// How far ahead of the true time the issuer's clock is when it signs a status list.
    status_ahead: TimeDelta,
}

impl FakeIssuer {
    pub fn new() -> Self {
        Self::at(BASE)
    }

    pub fn at(base: &str) -> Self {
        let key = Ed25519SigningKey::from_seed(&[77; 32]);
        Self {
            base: base.to_owned(),
            did: DidMethod::Key.did(&key.public_key()),
            kid: DidMethod::Key.verification_method(&key.public_key()),
            key,
            code: "pre-auth-code-1".into(),
            tx_code: None,
            bind_to: None,
            sign_with: None,
            status: None,
            metadata_issuer: base.to_owned(),
            endpoint_base: None,
            token_endpoint_base: None,
            log: Mutex::new(Vec::new()),
            nonces: Mutex::new(Vec::new()),
            time: Mutex::new(now()),
            step: TimeDelta::zero(),
            ahead: TimeDelta::zero(),
            status_ahead: TimeDelta::zero(),
        }
    }

    /// The true time (what a correct clock shows now).
    pub fn time(&self) -> DateTime<Utc> {
        *self.time.lock().unwrap()
    }

    fn offer_json(&self) -> Value {
        let mut grant = json!({"pre-authorized_code": self.code});
        if self.tx_code.is_some() {
            grant["tx_code"] =
                json!({"input_mode": "numeric", "length": 6, "description": "sent by mail"});
        }
        json!({
            "credential_issuer": self.base,
            "credential_configuration_ids": ["pid_sd_jwt"],
            "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": grant},
        })
    }

    pub fn offer_uri(&self) -> String {
        format!(
            "openid-credential-offer://?{}",
            form_encode(&[("credential_offer", &self.offer_json().to_string())])
        )
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Signed on request, like the real issuer re-signs a changed list.
    fn status_token(&self, value: u8) -> String {
        let mut list = TokenStatusList::new(131_072, Bits::Two).unwrap();
        list.set(STATUS_IDX, value).unwrap();
        let signed = self.time() + self.status_ahead;
        StatusListTokenClaims {
            sub: format!("{}/status/1", self.base),
            iss: Some(self.did.clone()),
            iat: signed.timestamp(),
            exp: Some(signed.timestamp() + 3600),
            ttl: Some(300),
            aggregation_uri: None,
        }
        .sign(&list, &self.key, Some(&self.kid))
    }

    /// A revocation Bitstring Status List credential with `value` at [`STATUS_IDX`], valid
    /// from when it is signed, on request.
    fn bitstring_list(&self, value: u8) -> Value {
        let mut list = BitstringStatusList::new(131_072, 1).unwrap();
        list.set(STATUS_IDX, value).unwrap();
        let signed = self.time() + self.status_ahead;
        let unsigned = StatusListCredentialParams {
            id: format!("{}/status/bitstring/1", self.base),
            issuer: self.did.clone(),
            purposes: vec![StatusPurpose::Revocation],
            valid_from: signed,
            valid_until: Some(signed + TimeDelta::days(1)),
            ttl_ms: Some(300_000),
        }
        .unsigned_credential(&list);
        data_integrity::sign(
            &unsigned,
            Cryptosuite::EddsaJcs2022,
            &ProofOptions::assertion(&self.kid, signed),
            &self.key,
        )
        .unwrap()
    }

    fn issue(
        &self,
        configuration: &str,
        proof_key: PublicKey,
        holder_did: Option<String>,
    ) -> Value {
        let signer = self.sign_with.as_ref().unwrap_or(&self.key);
        let bound = self.bind_to.clone().unwrap_or(proof_key);
        if configuration == "pid_ldp" {
            let holder = holder_did.unwrap_or_else(|| DidMethod::Key.did(&bound));
            let holder = if self.bind_to.is_some() {
                DidMethod::Key.did(&bound)
            } else {
                holder
            };
            let mut vc = json!({
                // VC 2.0 plus an explicit issuer-dependent @vocab: Data Integrity expands in
                // safe mode, where an undefined term is an error.
                "@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://www.w3.org/ns/credentials/issuer-dependent#"}],
                "type": ["VerifiableCredential", "PersonCredential"],
                "issuer": self.did,
                "validFrom": "2026-01-01T00:00:00Z",
                "credentialSubject": {"id": holder, "given_name": "Erika", "age_over_18": true},
            });
            if self.status.is_some() {
                vc["credentialStatus"] = json!({
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                    "statusListIndex": STATUS_IDX.to_string(),
                    "statusListCredential": format!("{}/status/bitstring/1", self.base),
                });
            }
            return data_integrity::sign(
                &vc,
                Cryptosuite::EddsaRdfc2022,
                &ProofOptions::assertion(&self.kid, self.time() + self.ahead),
                signer,
            )
            .unwrap();
        }
        let mut options = SdJwtVcOptions::new(PID);
        options.iss = Some(self.did.clone());
        options.kid = Some(self.kid.clone());
        options.iat = Some(self.time() + self.ahead);
        options.cnf = Some(bound);
        if self.status.is_some() {
            options.status = Some(StatusListReference {
                idx: STATUS_IDX,
                uri: format!("{}/status/1", self.base),
            });
        }
        let claims = json!({"given_name": "Erika", "birthdate": "1990-01-01", "age_over_18": true});
        let disclosable: Vec<ClaimPath> = ["given_name", "birthdate", "age_over_18"]
            .iter()
            .map(|k| ClaimPath::keys([*k]))
            .collect();
        let issued = sd_jwt::issue_sd_jwt_vc(
            claims.as_object().unwrap().clone(),
            &disclosable,
            &options,
            signer,
            &mut rng(9),
        )
        .unwrap();
        json!(issued.as_str())
    }
}

fn ok_json(body: Value) -> HttpResponse {
    HttpResponse {
        status: 200,
        content_type: Some("application/json".into()),
        body: body.to_string().into_bytes(),
    }
}

fn error(status: u16, code: &str) -> HttpResponse {
    HttpResponse {
        status,
        content_type: Some("application/json".into()),
        body: json!({"error": code}).to_string().into_bytes(),
    }
}

impl FakeIssuer {
    /// One request: (method, path, body, bearer) to a response. Shared by the in-memory
    /// transport and the loopback HTTP server of the CLI tests.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        body: &str,
        bearer: Option<&str>,
    ) -> HttpResponse {
        self.log.lock().unwrap().push(format!("{method} {path}"));
        *self.time.lock().unwrap() += self.step;
        let base = self.base.clone();
        let endpoints = self.endpoint_base.clone().unwrap_or_else(|| base.clone());
        let token_base = self
            .token_endpoint_base
            .clone()
            .unwrap_or_else(|| base.clone());
        match (method, path) {
            ("GET", "/.well-known/openid-credential-issuer") => ok_json(json!({
                "credential_issuer": self.metadata_issuer,
                "credential_endpoint": format!("{endpoints}/credential"),
                "nonce_endpoint": format!("{endpoints}/nonce"),
                "credential_configurations_supported": {
                    "pid_sd_jwt": {"format": "dc+sd-jwt", "vct": PID},
                    "pid_ldp": {"format": "ldp_vc"},
                    "pid_mdoc": {"format": "mso_mdoc"},
                },
            })),
            ("GET", "/.well-known/oauth-authorization-server") => ok_json(json!({
                "issuer": base,
                "token_endpoint": format!("{token_base}/token"),
            })),
            ("GET", "/offer/1") => ok_json(self.offer_json()),
            ("GET", "/status/1") => HttpResponse {
                status: 200,
                content_type: Some("application/statuslist+jwt".into()),
                body: self.status_token(self.status.unwrap_or(0)).into_bytes(),
            },
            ("GET", "/status/bitstring/1") => HttpResponse {
                status: 200,
                content_type: Some("application/vc+ld+json".into()),
                body: self
                    .bitstring_list(self.status.unwrap_or(0))
                    .to_string()
                    .into_bytes(),
            },
            ("POST", "/token") => {
                let form = form_decode(body).unwrap();
                let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                if get("grant_type").as_deref()
                    != Some("urn:ietf:params:oauth:grant-type:pre-authorized_code")
                    || get("pre-authorized_code") != Some(self.code.clone())
                    || get("tx_code") != self.tx_code
                {
                    error(400, "invalid_grant")
                } else {
                    ok_json(
                        json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 300}),
                    )
                }
            }
            ("POST", "/nonce") => {
                let mut nonces = self.nonces.lock().unwrap();
                let nonce = format!("c-nonce-{}", nonces.len());
                nonces.push(nonce.clone());
                ok_json(json!({"c_nonce": nonce}))
            }
            ("POST", "/credential") => {
                if bearer != Some("at-1") {
                    return error(401, "invalid_token");
                }
                let body: Value = serde_json::from_str(body).unwrap();
                // The proof: typ, key, signature, aud = this issuer, a nonce it issued.
                let proof = CompactJws::parse(body["proofs"]["jwt"][0].as_str().unwrap()).unwrap();
                assert_eq!(proof.typ(), Some("openid4vci-proof+jwt"));
                let (key, holder_did) = match (proof.header().get("jwk"), proof.header().get("kid"))
                {
                    (Some(jwk), None) => (PublicKey::from_jwk(jwk).unwrap(), None),
                    (None, Some(kid)) => {
                        let did = kid.as_str().unwrap().split('#').next().unwrap().to_owned();
                        let multikey = did.strip_prefix("did:key:").unwrap();
                        (PublicKey::from_multikey(multikey).unwrap(), Some(did))
                    }
                    _ => return error(400, "invalid_proof"),
                };
                proof
                    .verify(&key, &[credentials::jose::Algorithm::EdDSA])
                    .unwrap();
                assert_eq!(proof.payload()["aud"], json!(base));
                let nonce = proof.payload()["nonce"].as_str().unwrap().to_owned();
                if !self.nonces.lock().unwrap().contains(&nonce) {
                    return error(400, "invalid_nonce");
                }
                let configuration = body["credential_configuration_id"].as_str().unwrap();
                ok_json(
                    json!({"credentials": [{"credential": self.issue(configuration, key, holder_did)}]}),
                )
            }
            _ => error(404, "not_found"),
        }
    }
}

#[async_trait::async_trait]
impl WalletHttp for FakeIssuer {
    async fn get(&self, url: &Url, _accept: &str) -> Result<HttpResponse, NetError> {
        Ok(self.handle("GET", url.path(), "", None))
    }
    async fn post_form(&self, url: &Url, body: &str) -> Result<HttpResponse, NetError> {
        Ok(self.handle("POST", url.path(), body, None))
    }
    async fn post_json(
        &self,
        url: &Url,
        body: &Value,
        bearer: Option<&str>,
    ) -> Result<HttpResponse, NetError> {
        Ok(self.handle("POST", url.path(), &body.to_string(), bearer))
    }
}

pub async fn offer(issuer: &FakeIssuer, uri: &str) -> CredentialOffer {
    receive::resolve_offer(uri, issuer, NetworkPolicy::default())
        .await
        .unwrap()
}

pub async fn run(
    w: &mut Wallet,
    issuer: &FakeIssuer,
    offer: &CredentialOffer,
    tx: Option<&str>,
) -> Result<Vec<receive::Received>, ReceiveError> {
    // A fresh seed per call: a seeded RNG would otherwise generate the same "fresh" key.
    let seed = w.holder_keys().len() as u64 * 1000 + w.credentials().len() as u64 + 1;
    receive::receive(
        w,
        offer,
        tx,
        issuer,
        &UniversalResolver::offline(),
        NetworkPolicy::default(),
        &mut rng(seed),
        now(),
    )
    .await
}

#[tokio::test]
async fn an_offer_by_value_yields_a_verified_credential_bound_to_a_fresh_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let issuer = FakeIssuer::new();
    let o = offer(&issuer, &issuer.offer_uri()).await;
    assert_eq!(o.credential_issuer, BASE);
    assert!(o.tx_code.is_none());
    let got = run(&mut w, &issuer, &o, None).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].issuer, issuer.did);
    assert_eq!(got[0].types, [PID]);
    assert_eq!(
        issuer.log(),
        [
            "GET /.well-known/openid-credential-issuer",
            "GET /.well-known/oauth-authorization-server",
            "POST /token",
            "POST /nonce",
            "POST /credential",
        ]
    );
    let stored = w.credential(got[0].id.as_str()).unwrap();
    assert_eq!(stored.format, CredentialFormat::DcSdJwt);
    assert_eq!(stored.claims["given_name"], "Erika");
    let key = w.holder_key(stored.holder_key.as_ref().unwrap()).unwrap();
    assert_eq!(key.did, got[0].holder);
    assert_eq!(key.credential.as_ref(), Some(&got[0].id));

    // A second credential gets another key: two verifiers cannot link them by key.
    let issuer2 = FakeIssuer::new();
    let again = run(
        &mut w,
        &issuer2,
        &offer(&issuer2, &issuer2.offer_uri()).await,
        None,
    )
    .await
    .unwrap();
    assert_ne!(again[0].holder, got[0].holder);
}

#[tokio::test]
async fn an_offer_by_reference_is_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let issuer = FakeIssuer::new();
    let uri = format!(
        "openid-credential-offer://?{}",
        form_encode(&[("credential_offer_uri", &format!("{BASE}/offer/1"))])
    );
    let o = offer(&issuer, &uri).await;
    assert_eq!(issuer.log(), ["GET /offer/1"]);
    run(&mut w, &issuer, &o, None).await.unwrap();
    // Both forms at once, neither, or another scheme: refused.
    for bad in [
        "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffer%2F1".to_owned(),
        "openid-credential-offer://?foo=bar".to_owned(),
        "https://issuer.example/offer".to_owned(),
    ] {
        assert!(
            receive::resolve_offer(&bad, &issuer, NetworkPolicy::default())
                .await
                .is_err(),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_transaction_code_is_asked_for_checked_and_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let mut issuer = FakeIssuer::new();
    issuer.tx_code = Some("493536".into());
    let o = offer(&issuer, &issuer.offer_uri()).await;
    assert_eq!(o.tx_code.as_ref().unwrap().length, Some(6));
    issuer.log.lock().unwrap().clear();
    assert!(matches!(
        run(&mut w, &issuer, &o, None).await,
        Err(ReceiveError::TxCodeRequired)
    ));
    assert!(matches!(
        run(&mut w, &issuer, &o, Some("49353a")).await,
        Err(ReceiveError::InvalidTxCode)
    ));
    assert!(matches!(
        run(&mut w, &issuer, &o, Some("4935")).await,
        Err(ReceiveError::InvalidTxCode)
    ));
    assert!(
        issuer.log().is_empty(),
        "sent something before the code was known to fit: {:?}",
        issuer.log()
    );
    let err = run(&mut w, &issuer, &o, Some("000000")).await.unwrap_err();
    assert!(
        matches!(&err, ReceiveError::HttpStatus { status: 400, error: Some(e), .. } if e == "invalid_grant"),
        "{err:?}"
    );
    run(&mut w, &issuer, &o, Some("493536")).await.unwrap();
    assert_eq!(w.credentials().len(), 1);
}

#[tokio::test]
async fn refused_credentials_are_not_stored_and_leave_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));

    // Bound to someone else's key.
    let mut issuer = FakeIssuer::new();
    issuer.bind_to = Some(Ed25519SigningKey::from_seed(&[1; 32]).public_key());
    let o = offer(&issuer, &issuer.offer_uri()).await;
    assert!(matches!(
        run(&mut w, &issuer, &o, None).await,
        Err(ReceiveError::NotBoundToOurKey)
    ));

    // Signed by a key that is not the issuer DID's.
    let mut issuer = FakeIssuer::new();
    issuer.sign_with = Some(Ed25519SigningKey::from_seed(&[2; 32]));
    let o = offer(&issuer, &issuer.offer_uri()).await;
    let err = run(&mut w, &issuer, &o, None).await.unwrap_err();
    assert!(
        matches!(&err, ReceiveError::Verification(codes) if codes.contains(&"signature_invalid".to_owned())),
        "{err:?}"
    );

    // Metadata of another issuer.
    let mut issuer = FakeIssuer::new();
    issuer.metadata_issuer = "https://evil.example".into();
    let o = offer(&issuer, &issuer.offer_uri()).await;
    assert!(matches!(
        run(&mut w, &issuer, &o, None).await,
        Err(ReceiveError::IssuerMismatch)
    ));
    assert!(
        !issuer.log().iter().any(|l| l == "POST /token"),
        "code spent on a mismatched issuer"
    );

    // An unsupported format is refused before the code is spent.
    let issuer = FakeIssuer::new();
    let mut o = offer(&issuer, &issuer.offer_uri()).await;
    o.credential_configuration_ids = vec!["pid_mdoc".into()];
    assert!(matches!(
        run(&mut w, &issuer, &o, None).await,
        Err(ReceiveError::UnsupportedFormat(_))
    ));
    assert!(!issuer.log().iter().any(|l| l == "POST /token"));

    assert!(w.credentials().is_empty());
    assert!(
        w.holder_keys().is_empty(),
        "keys of refused credentials kept: {:?}",
        w.holder_keys()
    );
}

#[tokio::test]
async fn status_is_checked_before_storing() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    for (value, expect_stored) in [(1u8, false), (2, false), (0, true)] {
        let mut issuer = FakeIssuer::new();
        issuer.status = Some(value);
        let o = offer(&issuer, &issuer.offer_uri()).await;
        let result = run(&mut w, &issuer, &o, None).await;
        match value {
            1 => assert!(matches!(result, Err(ReceiveError::Revoked)), "{result:?}"),
            2 => assert!(matches!(result, Err(ReceiveError::Suspended)), "{result:?}"),
            _ => {
                result.unwrap();
            }
        }
        assert!(issuer.log().iter().any(|l| l == "GET /status/1"));
        assert_eq!(w.credentials().len(), usize::from(expect_stored));
    }
}

#[tokio::test]
async fn plain_http_issuers_are_refused() {
    let issuer = FakeIssuer::new();
    let mut offer_json = issuer.offer_json();
    offer_json["credential_issuer"] = json!("http://issuer.example");
    let uri = format!(
        "openid-credential-offer://?{}",
        form_encode(&[("credential_offer", &offer_json.to_string())])
    );
    let err = receive::resolve_offer(&uri, &issuer, NetworkPolicy::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ReceiveError::UrlRefused {
                what: "credential_issuer",
                ..
            }
        ),
        "{err:?}"
    );
    let err = receive::resolve_offer(
        &uri,
        &issuer,
        NetworkPolicy {
            allow_http_loopback: true,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ReceiveError::UrlRefused { .. }), "{err:?}");
}

#[tokio::test]
async fn a_data_integrity_credential_is_verified_and_bound_to_the_holder_did() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let issuer = FakeIssuer::new();
    let mut o = offer(&issuer, &issuer.offer_uri()).await;
    o.credential_configuration_ids = vec!["pid_ldp".into()];
    let got = run(&mut w, &issuer, &o, None).await.unwrap();
    let stored = w.credential(got[0].id.as_str()).unwrap();
    assert_eq!(stored.format, CredentialFormat::LdpVc);
    assert_eq!(stored.types, ["VerifiableCredential", "PersonCredential"]);
    assert_eq!(stored.claims["id"], got[0].holder);
    assert_eq!(stored.claims["given_name"], "Erika");

    // Bound to another DID: refused.
    let mut other = FakeIssuer::new();
    other.bind_to = Some(Ed25519SigningKey::from_seed(&[3; 32]).public_key());
    let err = run(&mut w, &other, &o, None).await.unwrap_err();
    assert!(matches!(err, ReceiveError::NotBoundToOurKey), "{err:?}");
}

/// The issuer signs the credential (`iat`, proof `created`) and its status list while the
/// flow runs, after the instant the wallet started with. Seen end to end: a list re-signed a
/// second after the wallet's start instant was refused as "issued in the future", and the
/// credential with it.
async fn receive_from(
    w: &mut Wallet,
    issuer: &FakeIssuer,
    configuration: &str,
    clock: impl wallet::clock::Clock,
) -> Result<Vec<receive::Received>, ReceiveError> {
    let mut o = offer(issuer, &issuer.offer_uri()).await;
    o.credential_configuration_ids = vec![configuration.into()];
    let seed = w.holder_keys().len() as u64 * 1000 + w.credentials().len() as u64 + 1;
    receive::receive(
        w,
        &o,
        None,
        issuer,
        &UniversalResolver::offline(),
        NetworkPolicy::default(),
        &mut rng(seed),
        clock,
    )
    .await
}

#[tokio::test]
async fn what_the_issuer_signs_seconds_after_the_wallets_start_instant_is_accepted() {
    for configuration in ["pid_sd_jwt", "pid_ldp"] {
        let dir = tempfile::tempdir().unwrap();
        let mut w = new_wallet(&dir.path().join("vault"));
        let mut issuer = FakeIssuer::new();
        issuer.status = Some(0);
        issuer.step = TimeDelta::seconds(1);
        // A wallet that read its clock once, before the flow: within the 60 s skew.
        let start = now();
        let got = receive_from(&mut w, &issuer, configuration, start)
            .await
            .unwrap_or_else(|e| panic!("{configuration}: {e}"));
        assert_eq!(got.len(), 1);
        assert!(issuer.time() > start, "the issuer signed after the start");
        let status = if configuration == "pid_ldp" {
            "GET /status/bitstring/1"
        } else {
            "GET /status/1"
        };
        assert!(issuer.log().iter().any(|l| l == status), "{configuration}");

        // The revocation is still seen.
        let mut revoked = FakeIssuer::new();
        revoked.status = Some(1);
        revoked.step = TimeDelta::seconds(1);
        let err = receive_from(&mut w, &revoked, configuration, start)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ReceiveError::Revoked),
            "{configuration}: {err:?}"
        );
        assert_eq!(w.credentials().len(), 1, "{configuration}");
    }
}

#[tokio::test]
async fn the_clock_is_read_at_each_check_not_once_for_the_flow() {
    for configuration in ["pid_sd_jwt", "pid_ldp"] {
        let dir = tempfile::tempdir().unwrap();
        let mut w = new_wallet(&dir.path().join("vault"));
        // A slow issuer: 40 s pass with every request, far more than the skew over the flow.
        let mut issuer = FakeIssuer::new();
        issuer.status = Some(0);
        issuer.step = TimeDelta::seconds(40);
        let got = receive_from(&mut w, &issuer, configuration, || issuer.time())
            .await
            .unwrap_or_else(|e| panic!("{configuration}: {e}"));
        let stored = w.credential(got[0].id.as_str()).unwrap();
        assert_eq!(
            stored.received_at,
            issuer.time(),
            "stored when it was stored"
        );

        // The same slow issuer against a clock stopped at the start: beyond the skew.
        let mut slow = FakeIssuer::new();
        slow.status = Some(0);
        slow.step = TimeDelta::seconds(40);
        let err = receive_from(&mut w, &slow, configuration, now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ReceiveError::Verification(_)),
            "{configuration}: {err:?}"
        );
        assert_eq!(w.credentials().len(), 1, "{configuration}");
    }
}

#[tokio::test]
async fn what_the_issuer_signs_far_in_the_future_is_refused() {
    for configuration in ["pid_sd_jwt", "pid_ldp"] {
        let dir = tempfile::tempdir().unwrap();
        let mut w = new_wallet(&dir.path().join("vault"));
        // Within the skew: accepted.
        let mut close = FakeIssuer::new();
        close.status = Some(0);
        close.ahead = TimeDelta::seconds(50);
        close.status_ahead = TimeDelta::seconds(50);
        receive_from(&mut w, &close, configuration, || close.time())
            .await
            .unwrap_or_else(|e| panic!("{configuration}: {e}"));
        // The credential signed an hour ahead: not verified, not stored.
        let mut ahead = FakeIssuer::new();
        ahead.status = Some(0);
        ahead.ahead = TimeDelta::hours(1);
        let err = receive_from(&mut w, &ahead, configuration, || ahead.time())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ReceiveError::Verification(_)),
            "{configuration}: {err:?}"
        );
        // The status list signed an hour ahead: the status cannot be determined.
        let mut list_ahead = FakeIssuer::new();
        list_ahead.status = Some(0);
        list_ahead.status_ahead = TimeDelta::hours(1);
        let err = receive_from(&mut w, &list_ahead, configuration, || list_ahead.time())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ReceiveError::StatusUnavailable(_)),
            "{configuration}: {err:?}"
        );
        assert_eq!(w.credentials().len(), 1, "{configuration}");
        assert_eq!(
            w.holder_keys().len(),
            1,
            "{configuration}: refused keys dropped"
        );
    }
}

/// OpenID4VCI 1.0 section 12.2.4 names the credential and nonce endpoints the *Credential
/// Issuer's*, and RFC 8414 section 2 the token endpoint the authorization server's: metadata
/// pointing them to another origin would send the access token, the proofs of possession
/// or the pre-authorized code (with the tx_code) to a third party. Refused before the code is
/// spent.
#[tokio::test]
async fn endpoints_on_another_origin_than_the_issuer_are_refused_before_the_code_is_spent() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    for (credential_elsewhere, token_elsewhere, what) in [
        (
            Some("https://collector.example"),
            None,
            "credential_endpoint",
        ),
        (
            Some("https://issuer.example:8443"),
            None,
            "credential_endpoint",
        ),
        (None, Some("https://collector.example"), "token_endpoint"),
    ] {
        let mut issuer = FakeIssuer::new();
        issuer.tx_code = Some("493536".into());
        issuer.endpoint_base = credential_elsewhere.map(str::to_owned);
        issuer.token_endpoint_base = token_elsewhere.map(str::to_owned);
        let o = offer(&issuer, &issuer.offer_uri()).await;
        let err = run(&mut w, &issuer, &o, Some("493536")).await.unwrap_err();
        assert!(
            matches!(&err, ReceiveError::EndpointOrigin(w) if *w == what),
            "{err:?}"
        );
        assert!(
            !issuer.log().iter().any(|l| l.starts_with("POST")),
            "sent to another origin: {:?}",
            issuer.log()
        );
    }
    assert!(w.credentials().is_empty());
    assert!(w.holder_keys().is_empty());
}
