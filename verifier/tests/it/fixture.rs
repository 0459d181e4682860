//! A test issuer and test holders built from the shared `credentials` crate (never from the
//! wallet or issuer crates), and a verifier wired with an in-memory status list host.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use credentials::data_integrity::{self, Cryptosuite, ProofOptions};
use credentials::jose::sign_compact;
use credentials::oid4vp::{DcqlQuery, Presentation};
use credentials::sd_jwt::{self, ClaimPath, HashAlg, SdJwt, SdJwtVcOptions, StatusListReference};
use credentials::status_list::bitstring;
use credentials::status_list::token::{Bits, StatusListTokenClaims, TokenStatusList};
use credentials::{Ed25519SigningKey, Signer};
use did_methods::{DidKey, UniversalResolver};
use serde_json::{Map, Value, json};
use verifier::status::Fetched;
use verifier::{
    ManualClock, NonceStore, Policy, PresentationRequest, RequiredClaim, StatusCache,
    StatusFetchError, StatusFetcher, Verifier,
};

pub const VCT: &str = "https://disclose.example/credentials/age";
pub const AUDIENCE: &str = "decentralized_identifier:did:key:z6MkVerifier";
pub const TOKEN_LIST_URI: &str = "https://issuer.example/status/1";
pub const BITSTRING_LIST_URL: &str = "https://issuer.example/status/bitstring/1";
pub const TOKEN_INDEX: usize = 4242;
pub const BITSTRING_INDEX: usize = 777;

pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

/// A party with an Ed25519 key and its did:key.
pub struct Party {
    pub key: Ed25519SigningKey,
    pub did: String,
    pub vm: String,
}

impl Party {
    pub fn new(seed: u8) -> Self {
        let key = Ed25519SigningKey::from_seed(&[seed; 32]);
        let did_key = DidKey::from_public_key(&key.public_key());
        Self {
            did: did_key.did().to_string(),
            vm: did_key.verification_method_id().to_string(),
            key,
        }
    }
}

/// Status list documents served by URL, like the issuer serves them: each with an `ETag`
/// that changes with the document, `304 Not Modified` to a request whose `If-None-Match`
/// is the current tag. A URL not in the map is unreachable.
#[derive(Default)]
pub struct StatusHost {
    documents: Mutex<HashMap<String, (String, Vec<u8>)>>,
    revision: AtomicUsize,
    /// Full (200) answers given.
    pub full: AtomicUsize,
    /// 304 answers given.
    pub not_modified: AtomicUsize,
    /// Called on every request before it is answered (to move the clock, re-publish...).
    pub on_request: Mutex<Option<Box<dyn Fn() + Send>>>,
}

impl StatusHost {
    /// (full answers, 304 answers) so far.
    pub fn answers(&self) -> (usize, usize) {
        (
            self.full.load(Ordering::SeqCst),
            self.not_modified.load(Ordering::SeqCst),
        )
    }
}

#[async_trait::async_trait]
impl StatusFetcher for StatusHost {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, StatusFetchError> {
        match self.fetch_if_modified(url, None).await? {
            Fetched::Modified { body, .. } => Ok(body),
            Fetched::NotModified => Err(StatusFetchError::Status(304)),
        }
    }

    async fn fetch_if_modified(
        &self,
        url: &str,
        etag: Option<&str>,
    ) -> Result<Fetched, StatusFetchError> {
        if let Some(hook) = self.on_request.lock().unwrap().as_ref() {
            hook();
        }
        let (current, body) = self
            .documents
            .lock()
            .unwrap()
            .get(url)
            .cloned()
            .ok_or(StatusFetchError::Http(did_methods::HttpError::Connect))?;
        if etag == Some(current.as_str()) {
            self.not_modified.fetch_add(1, Ordering::SeqCst);
            return Ok(Fetched::NotModified);
        }
        self.full.fetch_add(1, Ordering::SeqCst);
        Ok(Fetched::Modified {
            body,
            etag: Some(current),
        })
    }
}

pub struct World {
    pub issuer: Party,
    pub holder: Party,
    pub other_holder: Party,
    pub clock: Arc<ManualClock>,
    pub status: Arc<StatusHost>,
    pub verifier: Verifier,
    pub dir: tempfile::TempDir,
}

pub fn over_21_query() -> DcqlQuery {
    DcqlQuery::from_json(&json!({
        "credentials": [{
            "id": "age",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": [VCT]},
            "claims": [{"path": ["age_over_21"], "values": [true]}]
        }]
    }))
    .unwrap()
}

pub fn ldp_query() -> DcqlQuery {
    DcqlQuery::from_json(&json!({
        "credentials": [{
            "id": "age",
            "format": "ldp_vc",
            "meta": {"type_values": [["VerifiableCredential", "AgeCredential"]]},
            "claims": [{"path": ["credentialSubject", "age_over_21"], "values": [true]}]
        }]
    }))
    .unwrap()
}

pub fn verifier_over(
    dir: &std::path::Path,
    clock: Arc<ManualClock>,
    status: Arc<StatusHost>,
) -> Verifier {
    let db = Arc::new(redb::Database::create(dir.join("verifier.redb")).unwrap());
    Verifier::new(
        clock,
        Arc::new(UniversalResolver::offline()),
        Arc::new(StatusCache::new(status, 16, TimeDelta::seconds(60))),
        NonceStore::new(db).unwrap(),
    )
}

impl World {
    pub fn new() -> Self {
        let clock = Arc::new(ManualClock::new(t0()));
        let status = Arc::new(StatusHost::default());
        let dir = tempfile::tempdir().unwrap();
        let verifier = verifier_over(dir.path(), clock.clone(), status.clone());
        let w = Self {
            issuer: Party::new(1),
            holder: Party::new(2),
            other_holder: Party::new(3),
            clock,
            status,
            verifier,
            dir,
        };
        w.publish_token_list(0);
        w.publish_bitstring_list(0, &w.issuer);
        w
    }

    pub fn policy(&self) -> Policy {
        let mut p = Policy::trusting(vec![self.issuer.did.clone()]);
        p.required_claims = vec![RequiredClaim {
            path: credentials::oid4vp::ClaimPath::keys(["age_over_21"]),
            equals: Some(json!(true)),
        }];
        p
    }

    /// A fresh request with a nonce issued by the verifier.
    pub fn request(&self, query: DcqlQuery) -> PresentationRequest {
        let nonce = self
            .verifier
            .nonces()
            .issue(self.clock_now(), TimeDelta::minutes(5))
            .unwrap();
        PresentationRequest {
            dcql_query: query,
            nonce,
            audience: AUDIENCE.into(),
            policy: self.policy(),
        }
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use verifier::Clock as _;
        self.clock.now()
    }

    /// Publishes the issuer's Token Status List with `value` at [`TOKEN_INDEX`].
    pub fn publish_token_list(&self, value: u8) {
        let jwt = self.token_list_jwt(TOKEN_LIST_URI, value);
        self.serve(TOKEN_LIST_URI, jwt.into_bytes());
    }

    /// The issuer's Status List Token for `uri` with `value` at [`TOKEN_INDEX`], issued a
    /// minute before the clock's now.
    pub fn token_list_jwt(&self, uri: &str, value: u8) -> String {
        let now = self.clock_now().timestamp();
        self.token_list_jwt_at(uri, value, now.min(t0().timestamp()) - 60)
    }

    /// The issuer's Status List Token for `uri` with `value` at [`TOKEN_INDEX`], issued at
    /// `iat` (unix seconds).
    pub fn token_list_jwt_at(&self, uri: &str, value: u8, iat: i64) -> String {
        let mut list = TokenStatusList::new(131_072, Bits::Two).unwrap();
        list.set(TOKEN_INDEX, value).unwrap();
        let now = self.clock_now().timestamp();
        let claims = StatusListTokenClaims {
            sub: uri.into(),
            iss: Some(self.issuer.did.clone()),
            iat,
            exp: Some(now.max(t0().timestamp()).max(iat) + 86_400 * 400),
            ttl: Some(300),
            aggregation_uri: None,
        };
        claims.sign(&list, &self.issuer.key, Some(&self.issuer.vm))
    }

    /// An SD-JWT VC valid around the clock's now, with its status at `status_uri`.
    pub fn sd_jwt_vc_now(&self, status_uri: &str) -> String {
        let now = self.clock_now();
        let claims: Map<String, Value> = json!({"age_over_21": true}).as_object().unwrap().clone();
        let mut options = SdJwtVcOptions::new(VCT);
        options.iss = Some(self.issuer.did.clone());
        options.iat = Some(now - TimeDelta::days(1));
        options.exp = Some(now + TimeDelta::days(365));
        options.cnf = Some(self.holder.key.public_key());
        options.kid = Some(self.issuer.vm.clone());
        options.status = Some(StatusListReference {
            idx: TOKEN_INDEX,
            uri: status_uri.into(),
        });
        sd_jwt::issue_sd_jwt_vc(
            claims,
            &[ClaimPath::keys(["age_over_21"])],
            &options,
            &self.issuer.key,
            &mut rand::rngs::OsRng,
        )
        .unwrap()
        .into_string()
    }

    /// Publishes a Bitstring Status List credential for revocation, signed by `signer`.
    pub fn publish_bitstring_list(&self, value: u8, signer: &Party) {
        let valid_from = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        self.publish_bitstring_list_at(value, signer, valid_from, t0() - TimeDelta::days(1));
    }

    /// [`Self::publish_bitstring_list`] valid from `valid_from`, its proof created at
    /// `signed_at`.
    pub fn publish_bitstring_list_at(
        &self,
        value: u8,
        signer: &Party,
        valid_from: DateTime<Utc>,
        signed_at: DateTime<Utc>,
    ) {
        let mut list = bitstring::BitstringStatusList::new(131_072, 1).unwrap();
        list.set(BITSTRING_INDEX, value).unwrap();
        let vc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": BITSTRING_LIST_URL,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.issuer.did,
            "validFrom": valid_from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "credentialSubject": {
                "id": format!("{BITSTRING_LIST_URL}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": list.encode()
            }
        });
        let signed = data_integrity::sign(
            &vc,
            Cryptosuite::EddsaJcs2022,
            &ProofOptions::assertion(signer.vm.clone(), signed_at),
            &signer.key,
        )
        .unwrap();
        self.serve(BITSTRING_LIST_URL, serde_json::to_vec(&signed).unwrap());
    }

    /// Publishes `body` at `url`, with a new `ETag`.
    pub fn serve(&self, url: &str, body: Vec<u8>) {
        let revision = self.status.revision.fetch_add(1, Ordering::SeqCst) + 1;
        self.status
            .documents
            .lock()
            .unwrap()
            .insert(url.into(), (format!("\"{revision}\""), body));
    }

    pub fn unserve(&self, url: &str) {
        self.status.documents.lock().unwrap().remove(url);
    }

    /// An SD-JWT VC for `holder` by `issuer` with every age claim and a name, each
    /// selectively disclosable.
    pub fn sd_jwt_vc(
        &self,
        issuer: &Party,
        holder: &Party,
        iat: DateTime<Utc>,
        exp: DateTime<Utc>,
        nbf: Option<DateTime<Utc>>,
    ) -> String {
        let claims: Map<String, Value> = json!({
            "age_over_18": true,
            "age_over_21": true,
            "given_name": "Alice"
        })
        .as_object()
        .unwrap()
        .clone();
        let disclosable = [
            ClaimPath::keys(["age_over_18"]),
            ClaimPath::keys(["age_over_21"]),
            ClaimPath::keys(["given_name"]),
        ];
        let mut options = SdJwtVcOptions::new(VCT);
        options.iss = Some(issuer.did.clone());
        options.iat = Some(iat);
        options.exp = Some(exp);
        options.nbf = nbf;
        options.cnf = Some(holder.key.public_key());
        options.kid = Some(issuer.vm.clone());
        options.status = Some(StatusListReference {
            idx: TOKEN_INDEX,
            uri: TOKEN_LIST_URI.into(),
        });
        sd_jwt::issue_sd_jwt_vc(
            claims,
            &disclosable,
            &options,
            &issuer.key,
            &mut rand::rngs::OsRng,
        )
        .unwrap()
        .into_string()
    }

    pub fn default_sd_jwt_vc(&self) -> String {
        self.sd_jwt_vc(
            &self.issuer,
            &self.holder,
            t0() - TimeDelta::days(1),
            t0() + TimeDelta::days(365),
            None,
        )
    }

    /// The holder's presentation disclosing `claims`, key-bound to `nonce` and `aud`.
    pub fn present(&self, sd_jwt_vc: &str, claims: &[&str], nonce: &str, aud: &str) -> String {
        let selection: Vec<ClaimPath> = claims.iter().map(|c| ClaimPath::keys([*c])).collect();
        SdJwt::parse(sd_jwt_vc)
            .unwrap()
            .present_with_key_binding(&selection, &self.holder.key, aud, nonce, self.clock_now())
            .unwrap()
    }

    /// A KB-JWT made by hand (any signer, any `sd_hash` input).
    pub fn kb_jwt(
        signer: &dyn Signer,
        sd_hash_over: &str,
        nonce: &str,
        aud: &str,
        iat: DateTime<Utc>,
    ) -> String {
        let header = json!({"typ": "kb+jwt"}).as_object().unwrap().clone();
        let payload = json!({
            "iat": iat.timestamp(),
            "aud": aud,
            "nonce": nonce,
            "sd_hash": HashAlg::Sha256.encoded_digest(sd_hash_over),
        })
        .as_object()
        .unwrap()
        .clone();
        sign_compact(header, &payload, signer)
    }

    /// A VC 2.0 age credential for `subject`, signed by `issuer` with eddsa-jcs-2022, with a
    /// Bitstring Status List entry.
    pub fn di_vc(&self, issuer: &Party, subject: &Party, valid_until: &str) -> Value {
        let vc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "AgeCredential"],
            "issuer": issuer.did,
            "validFrom": "2026-06-01T00:00:00Z",
            "validUntil": valid_until,
            "credentialSubject": {"id": subject.did, "age_over_21": true},
            "credentialStatus": {
                "id": format!("{BITSTRING_LIST_URL}#{BITSTRING_INDEX}"),
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": BITSTRING_INDEX.to_string(),
                "statusListCredential": BITSTRING_LIST_URL
            }
        });
        data_integrity::sign(
            &vc,
            Cryptosuite::EddsaJcs2022,
            &ProofOptions::assertion(issuer.vm.clone(), t0() - TimeDelta::days(2)),
            &issuer.key,
        )
        .unwrap()
    }

    /// A VP holding `vc`, signed by `presenter` with the verifier's challenge and domain.
    pub fn di_vp(&self, vc: Value, presenter: &Party, challenge: &str, domain: &str) -> Value {
        let vp = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": presenter.did,
            "verifiableCredential": [vc]
        });
        data_integrity::sign(
            &vp,
            Cryptosuite::EddsaJcs2022,
            &ProofOptions::authentication(
                presenter.vm.clone(),
                self.clock_now(),
                challenge,
                domain,
            ),
            &presenter.key,
        )
        .unwrap()
    }
}

pub fn token(id: &str, presentation: Presentation) -> BTreeMap<String, Vec<Presentation>> {
    let mut m = BTreeMap::new();
    m.insert(id.to_owned(), vec![presentation]);
    m
}

pub fn compact(s: String) -> Presentation {
    Presentation::Compact(s)
}

pub fn json_vp(v: Value) -> Presentation {
    Presentation::Json(v.as_object().unwrap().clone())
}
