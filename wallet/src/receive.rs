//! Receiving credentials (OpenID4VCI 1.0, pre-authorized code flow).
//!
//! 1. [`resolve_offer`]: an `openid-credential-offer://` URI, by value (`credential_offer`)
//!    or by reference (`credential_offer_uri`, fetched), with its pre-authorized code and
//!    whether it needs a transaction code (`tx_code`).
//! 2. [`receive`]: issuer metadata (section 12.2) and authorization server metadata
//!    (RFC 8414), the token request (section 6; the `tx_code` is checked against the offer's
//!    description before anything is sent), then per credential: a fresh holder key, a
//!    `c_nonce` from the nonce endpoint (section 7), a `jwt` proof of possession (Appendix
//!    F.1) and the credential request (section 8). What comes back is verified before it is
//!    stored: the issuer's signature with a key of the issuer's DID (`assertionMethod`), that
//!    it is bound to the key the wallet just generated (`cnf.jwk` for `dc+sd-jwt`,
//!    `credentialSubject.id` for `ldp_vc`), and its status (Token Status List or Bitstring
//!    Status List) when it has one. A credential that fails any check is not stored, and its
//!    unused key is discarded.
//!
//! Time: each check reads the injected [`Clock`] when it happens (the issuer signs the
//! credential and may re-sign its status list while the flow runs), and what the issuer
//! signed may be up to [`CLOCK_SKEW_SECONDS`] "in the future" of the wallet's clock.

use chrono::TimeDelta;
use credentials::FailureCode;
use credentials::data_integrity;
use credentials::jose::sign_compact;
use credentials::oid4vp::messages::form_decode;
use credentials::sd_jwt::{self, IssuerKey, KeyBindingPolicy, SdJwt, VerifyOptions};
use credentials::status_list::token;
use did_methods::{DidResolver, ResolvedDocuments};
use rand_core::CryptoRngCore;
use serde::Serialize;
use serde_json::{Map, Value, json};
use url::Url;

use crate::clock::{CLOCK_SKEW_SECONDS, Clock};
use crate::contents::{CredentialFormat, CredentialId, NewCredential};
use crate::error::WalletError;
use crate::holder::{DidMethod, HolderKey};
use crate::net::{NetError, NetworkPolicy, WalletHttp, check_url};
use crate::status::{StatusFailure, StatusSources};
use crate::wallet::Wallet;

/// The URI scheme of credential offers (section 4.1.3).
pub const OFFER_SCHEME: &str = "openid-credential-offer";
/// The pre-authorized code grant type (section 4.1.1).
pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// The `typ` of a proof of possession JWT (Appendix F.1).
pub const PROOF_TYP: &str = "openid4vci-proof+jwt";
/// Most credentials one offer may ask the wallet to fetch.
pub const MAX_CONFIGURATIONS: usize = 16;

/// Why a credential could not be received. Nothing is stored in any of these cases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// Not an `openid-credential-offer://` URI.
    #[error("not an openid-credential-offer:// URI")]
    NotAnOffer,
    /// The offer is malformed.
    #[error("invalid credential offer: {0}")]
    Offer(&'static str),
    /// The offer has no pre-authorized code grant (the only one this wallet supports).
    #[error("the offer has no pre-authorized code grant")]
    UnsupportedGrant,
    /// The offer needs a transaction code and none was given.
    #[error("this offer needs a transaction code (tx_code)")]
    TxCodeRequired,
    /// The transaction code does not fit the offer's description (length, digits).
    #[error("the transaction code does not match what the offer describes")]
    InvalidTxCode,
    /// A URL is not allowed.
    #[error("{what} refused: {source}")]
    UrlRefused {
        /// Which URL.
        what: &'static str,
        /// Why.
        #[source]
        source: NetError,
    },
    /// A network operation failed.
    #[error("{what} failed: {source}")]
    Network {
        /// What was being done.
        what: &'static str,
        /// Why.
        #[source]
        source: NetError,
    },
    /// The issuer answered with an error.
    #[error("{what}: HTTP {status}{}", .error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default())]
    HttpStatus {
        /// What was being done.
        what: &'static str,
        /// The status.
        status: u16,
        /// The OAuth `error` code, if the body had one.
        error: Option<String>,
    },
    /// Metadata or a response lacks a required member or has the wrong shape.
    #[error("invalid {0}")]
    Malformed(&'static str),
    /// The metadata is for another issuer than the offer's.
    #[error("the metadata belongs to another issuer")]
    IssuerMismatch,
    /// The metadata points an endpoint to another origin than the server it describes
    /// (which would receive the access token, proofs or pre-authorized code).
    #[error("{0} is not on the origin of the server it belongs to")]
    EndpointOrigin(&'static str),
    /// The offer names a configuration the issuer does not describe.
    #[error("unknown credential configuration {0}")]
    UnknownConfiguration(String),
    /// A format this wallet does not hold.
    #[error("unsupported credential format {0}")]
    UnsupportedFormat(String),
    /// The issuer's key could not be found (the credential cannot be checked).
    #[error("cannot resolve the issuer's key: {0}")]
    IssuerKey(String),
    /// The credential failed verification.
    #[error("the credential failed verification: {}", .0.join(", "))]
    Verification(Vec<String>),
    /// The credential is not bound to the key the wallet generated for it.
    #[error("the credential is not bound to the wallet's key")]
    NotBoundToOurKey,
    /// The credential is revoked.
    #[error("the credential is revoked")]
    Revoked,
    /// The credential is suspended.
    #[error("the credential is suspended")]
    Suspended,
    /// The status could not be determined (fail closed: not stored).
    #[error("the credential's status cannot be determined: {0}")]
    StatusUnavailable(String),
    /// The vault failed.
    #[error(transparent)]
    Wallet(#[from] WalletError),
}

/// How the issuer describes the transaction code it sent out of band (section 4.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TxCode {
    /// `numeric` (digits only, the default) or `text`.
    pub input_mode: String,
    /// The number of characters, if stated.
    pub length: Option<usize>,
    /// A hint for the holder, if any.
    pub description: Option<String>,
}

impl TxCode {
    /// Checks a code against the description before it is sent.
    pub fn check(&self, code: &str) -> Result<(), ReceiveError> {
        let length_ok = self.length.is_none_or(|n| code.chars().count() == n);
        let mode_ok = self.input_mode != "numeric" || code.chars().all(|c| c.is_ascii_digit());
        if code.is_empty() || code.len() > 64 || !length_ok || !mode_ok {
            return Err(ReceiveError::InvalidTxCode);
        }
        Ok(())
    }
}

/// A credential offer (section 4.1.1) with a pre-authorized code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialOffer {
    /// The credential issuer identifier, exactly as the offer states it (checked against the
    /// network policy; compared exactly with the metadata and used as the proof `aud`).
    pub credential_issuer: String,
    /// What is offered.
    pub credential_configuration_ids: Vec<String>,
    /// The pre-authorized code.
    pub pre_authorized_code: String,
    /// The transaction code the token request needs, if any.
    pub tx_code: Option<TxCode>,
}

fn net(what: &'static str) -> impl FnOnce(NetError) -> ReceiveError {
    move |source| ReceiveError::Network { what, source }
}

fn refused(what: &'static str) -> impl FnOnce(NetError) -> ReceiveError {
    move |source| ReceiveError::UrlRefused { what, source }
}

/// Reads a JSON object from a response, or the OAuth error it carries.
fn json_body(
    what: &'static str,
    response: crate::net::HttpResponse,
) -> Result<Map<String, Value>, ReceiveError> {
    let body: Option<Value> = serde_json::from_slice(&response.body).ok();
    if !response.is_success() {
        return Err(ReceiveError::HttpStatus {
            what,
            status: response.status,
            error: body
                .as_ref()
                .and_then(|b| b.get("error"))
                .and_then(Value::as_str)
                .map(|e| {
                    crate::display::printable(&e.chars().take(64).collect::<String>()).into_owned()
                }),
        });
    }
    match body {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(ReceiveError::Malformed(what)),
    }
}

/// Step 1: reads an offer URI; an offer by reference is fetched.
pub async fn resolve_offer(
    uri: &str,
    http: &dyn WalletHttp,
    policy: NetworkPolicy,
) -> Result<CredentialOffer, ReceiveError> {
    let rest = uri
        .strip_prefix(OFFER_SCHEME)
        .and_then(|r| r.strip_prefix("://"))
        .ok_or(ReceiveError::NotAnOffer)?;
    let query = rest
        .split_once('?')
        .map(|(_, q)| q)
        .ok_or(ReceiveError::NotAnOffer)?;
    let pairs = form_decode(query).map_err(|_| ReceiveError::Offer("encoding"))?;
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let offer: Value = match (get("credential_offer"), get("credential_offer_uri")) {
        (Some(json), None) => {
            serde_json::from_str(json).map_err(|_| ReceiveError::Offer("credential_offer"))?
        }
        (None, Some(reference)) => {
            let url = check_url(reference, policy).map_err(refused("credential_offer_uri"))?;
            let response = http
                .get(&url, "application/json")
                .await
                .map_err(net("fetching the offer"))?;
            Value::Object(json_body("credential offer", response)?)
        }
        // Section 4.1: exactly one of the two.
        _ => {
            return Err(ReceiveError::Offer(
                "exactly one of credential_offer and credential_offer_uri",
            ));
        }
    };
    parse_offer(&offer, policy)
}

fn parse_offer(offer: &Value, policy: NetworkPolicy) -> Result<CredentialOffer, ReceiveError> {
    let issuer = offer
        .get("credential_issuer")
        .and_then(Value::as_str)
        .ok_or(ReceiveError::Offer("credential_issuer"))?;
    check_url(issuer, policy).map_err(refused("credential_issuer"))?;
    let credential_issuer = issuer.to_owned();
    let ids: Vec<String> = offer
        .get("credential_configuration_ids")
        .and_then(Value::as_array)
        .filter(|ids| !ids.is_empty() && ids.len() <= MAX_CONFIGURATIONS)
        .and_then(|ids| ids.iter().map(|v| v.as_str().map(str::to_owned)).collect())
        .ok_or(ReceiveError::Offer("credential_configuration_ids"))?;
    let grant = offer
        .get("grants")
        .and_then(|g| g.get(PRE_AUTHORIZED_GRANT))
        .ok_or(ReceiveError::UnsupportedGrant)?;
    let code = grant
        .get("pre-authorized_code")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty() && c.len() <= 1024)
        .ok_or(ReceiveError::Offer("pre-authorized_code"))?
        .to_owned();
    let tx_code = match grant.get("tx_code") {
        None => None,
        Some(Value::Object(t)) => Some(TxCode {
            input_mode: t
                .get("input_mode")
                .and_then(Value::as_str)
                .unwrap_or("numeric")
                .to_owned(),
            length: t
                .get("length")
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok()),
            description: t.get("description").and_then(Value::as_str).map(|d| {
                crate::display::printable(&d.chars().take(300).collect::<String>()).into_owned()
            }),
        }),
        Some(_) => return Err(ReceiveError::Offer("tx_code")),
    };
    Ok(CredentialOffer {
        credential_issuer,
        credential_configuration_ids: ids,
        pre_authorized_code: code,
        tx_code,
    })
}

/// `https://host/.well-known/{name}{path}`: the well-known URL inserted between host and path
/// (OpenID4VCI section 12.2.2, RFC 8414 section 3).
fn well_known(identifier: &str, name: &str) -> Result<Url, ReceiveError> {
    let url = Url::parse(identifier).map_err(|_| ReceiveError::Malformed("issuer identifier"))?;
    let path = url.path().trim_end_matches('/');
    let mut out = url.clone();
    out.set_path(&format!("/.well-known/{name}{path}"));
    out.set_query(None);
    Ok(out)
}

fn url_member(
    map: &Map<String, Value>,
    name: &'static str,
    policy: NetworkPolicy,
) -> Result<Url, ReceiveError> {
    let text = map
        .get(name)
        .and_then(Value::as_str)
        .ok_or(ReceiveError::Malformed(name))?;
    check_url(text, policy).map_err(refused(name))
}

/// [`url_member`] for an endpoint of `owner` (a credential issuer or authorization server
/// identifier): it must be on the owner's origin. OpenID4VCI 1.0 section 12.2.4 makes the
/// credential and nonce endpoints the Credential Issuer's, RFC 8414 section 2 the token
/// endpoint the authorization server's; an endpoint elsewhere would hand the access token,
/// the proofs of possession or the pre-authorized code and `tx_code` to a third party.
fn endpoint_of(
    owner: &str,
    map: &Map<String, Value>,
    name: &'static str,
    policy: NetworkPolicy,
) -> Result<Url, ReceiveError> {
    let url = url_member(map, name, policy)?;
    let owner = Url::parse(owner).map_err(|_| ReceiveError::Malformed("issuer identifier"))?;
    if url.origin() != owner.origin() {
        return Err(ReceiveError::EndpointOrigin(name));
    }
    Ok(url)
}

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Received {
    /// The wallet's id of the credential.
    pub id: CredentialId,
    /// The offer's configuration id.
    pub configuration_id: String,
    /// The format.
    pub format: CredentialFormat,
    /// The issuer, as verified (a DID).
    pub issuer: String,
    /// The types (`vct` or VC `type`).
    pub types: Vec<String>,
    /// The holder DID the credential is bound to (fresh for this credential).
    pub holder: String,
}

/// Step 2: fetches, verifies and stores every credential of `offer`.
///
/// `clock` is read at each check (pass [`crate::clock::SystemClock`]; a fixed instant is a
/// stopped clock, for tests).
///
/// Credentials verified before a later one fails stay stored; the error says which failed.
#[allow(clippy::too_many_arguments)]
pub async fn receive(
    wallet: &mut Wallet,
    offer: &CredentialOffer,
    tx_code: Option<&str>,
    http: &dyn WalletHttp,
    resolver: &dyn DidResolver,
    policy: NetworkPolicy,
    rng: &mut impl CryptoRngCore,
    clock: impl Clock,
) -> Result<Vec<Received>, ReceiveError> {
    // Nothing is sent before the transaction code is known to fit the offer.
    let tx_code = match (&offer.tx_code, tx_code) {
        (Some(_), None) => return Err(ReceiveError::TxCodeRequired),
        (Some(spec), Some(code)) => {
            spec.check(code)?;
            Some(code)
        }
        (None, _) => None,
    };
    let issuer_id = offer.credential_issuer.clone();

    // Issuer metadata (section 12.2): for exactly this issuer.
    let metadata_url = well_known(&issuer_id, "openid-credential-issuer")?;
    let metadata = json_body(
        "issuer metadata",
        http.get(&metadata_url, "application/json")
            .await
            .map_err(net("fetching issuer metadata"))?,
    )?;
    if metadata.get("credential_issuer").and_then(Value::as_str) != Some(issuer_id.as_str()) {
        return Err(ReceiveError::IssuerMismatch);
    }
    let credential_endpoint = endpoint_of(&issuer_id, &metadata, "credential_endpoint", policy)?;
    let nonce_endpoint = match metadata.get("nonce_endpoint") {
        Some(_) => Some(endpoint_of(
            &issuer_id,
            &metadata,
            "nonce_endpoint",
            policy,
        )?),
        None => None,
    };
    let configurations = metadata
        .get("credential_configurations_supported")
        .and_then(Value::as_object)
        .ok_or(ReceiveError::Malformed(
            "credential_configurations_supported",
        ))?;
    // Every offered configuration is understood before the code is spent.
    let mut wanted = Vec::new();
    for id in &offer.credential_configuration_ids {
        let configuration = configurations
            .get(id)
            .ok_or_else(|| ReceiveError::UnknownConfiguration(id.clone()))?;
        let format = match configuration.get("format").and_then(Value::as_str) {
            Some("dc+sd-jwt") => CredentialFormat::DcSdJwt,
            Some("ldp_vc") => CredentialFormat::LdpVc,
            other => {
                return Err(ReceiveError::UnsupportedFormat(
                    other.unwrap_or_default().to_owned(),
                ));
            }
        };
        wanted.push((id.clone(), format, configuration.clone()));
    }

    // Authorization server metadata (RFC 8414): the issuer's own unless it names another.
    let authorization_server = metadata
        .get("authorization_servers")
        .and_then(Value::as_array)
        .and_then(|list| list.first())
        .and_then(Value::as_str)
        .map_or_else(|| issuer_id.clone(), str::to_owned);
    check_url(&authorization_server, policy).map_err(refused("authorization server"))?;
    let as_url = well_known(&authorization_server, "oauth-authorization-server")?;
    let as_metadata = json_body(
        "authorization server metadata",
        http.get(&as_url, "application/json")
            .await
            .map_err(net("fetching authorization server metadata"))?,
    )?;
    if as_metadata.get("issuer").and_then(Value::as_str) != Some(authorization_server.as_str()) {
        return Err(ReceiveError::IssuerMismatch);
    }
    let token_endpoint = endpoint_of(
        &authorization_server,
        &as_metadata,
        "token_endpoint",
        policy,
    )?;

    // Token request (section 6.1).
    let mut form = vec![
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", offer.pre_authorized_code.as_str()),
    ];
    if let Some(code) = tx_code {
        form.push(("tx_code", code));
    }
    let token = json_body(
        "token request",
        http.post_form(
            &token_endpoint,
            &credentials::oid4vp::messages::form_encode(&form),
        )
        .await
        .map_err(net("token request"))?,
    )?;
    let access_token = token
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or(ReceiveError::Malformed("token response"))?
        .to_owned();

    let mut received = Vec::new();
    for (configuration_id, format, configuration) in wanted {
        let key = wallet.generate_holder_key(DidMethod::Key, rng, clock.now())?;
        let outcome = fetch_and_verify(
            wallet,
            FetchContext {
                issuer_id: &issuer_id,
                configuration_id: &configuration_id,
                format,
                configuration: &configuration,
                credential_endpoint: &credential_endpoint,
                nonce_endpoint: nonce_endpoint.as_ref(),
                access_token: &access_token,
                key: &key,
                http,
                resolver,
                policy,
                clock: &clock,
            },
        )
        .await;
        match outcome {
            Ok(credential) => {
                let issuer = credential.issuer.clone();
                let types = credential.types.clone();
                let id = wallet.store_credential(credential, rng, clock.now())?;
                received.push(Received {
                    id,
                    configuration_id,
                    format,
                    issuer,
                    types,
                    holder: key.did,
                });
            }
            Err(e) => {
                // The key was never bound to a stored credential: drop it.
                wallet.discard_unbound_key(&key.id)?;
                return Err(e);
            }
        }
    }
    Ok(received)
}

struct FetchContext<'a> {
    issuer_id: &'a str,
    configuration_id: &'a str,
    format: CredentialFormat,
    configuration: &'a Value,
    credential_endpoint: &'a Url,
    nonce_endpoint: Option<&'a Url>,
    access_token: &'a str,
    key: &'a HolderKey,
    http: &'a dyn WalletHttp,
    resolver: &'a dyn DidResolver,
    policy: NetworkPolicy,
    clock: &'a dyn Clock,
}

impl<'a> FetchContext<'a> {
    fn status_sources(&self) -> StatusSources<'a> {
        StatusSources {
            http: self.http,
            resolver: self.resolver,
            policy: self.policy,
            clock: self.clock,
        }
    }
}

async fn fetch_and_verify(
    wallet: &Wallet,
    ctx: FetchContext<'_>,
) -> Result<NewCredential, ReceiveError> {
    // Nonce (section 7).
    let nonce = match ctx.nonce_endpoint {
        Some(url) => {
            let body = json_body(
                "nonce request",
                ctx.http
                    .post_form(url, "")
                    .await
                    .map_err(net("nonce request"))?,
            )?;
            Some(
                body.get("c_nonce")
                    .and_then(Value::as_str)
                    .ok_or(ReceiveError::Malformed("nonce response"))?
                    .to_owned(),
            )
        }
        None => None,
    };

    // Proof of possession (Appendix F.1): the public JWK for SD-JWT VC (`cnf.jwk`), the
    // did:key verification method for a VC about the holder DID.
    let signer = wallet.signer(&ctx.key.id)?;
    let mut header = Map::new();
    header.insert("typ".into(), json!(PROOF_TYP));
    match ctx.format {
        CredentialFormat::DcSdJwt => header.insert("jwk".into(), ctx.key.public_key.to_jwk()),
        CredentialFormat::LdpVc => header.insert("kid".into(), json!(ctx.key.verification_method)),
    };
    let mut claims = Map::new();
    claims.insert("aud".into(), json!(ctx.issuer_id));
    claims.insert("iat".into(), json!(ctx.clock.now().timestamp()));
    if let Some(n) = &nonce {
        claims.insert("nonce".into(), json!(n));
    }
    let proof = sign_compact(header, &claims, &signer);
    let request = json!({
        "credential_configuration_id": ctx.configuration_id,
        "proofs": { "jwt": [proof] },
    });
    let response = json_body(
        "credential request",
        ctx.http
            .post_json(ctx.credential_endpoint, &request, Some(ctx.access_token))
            .await
            .map_err(net("credential request"))?,
    )?;
    if response.contains_key("transaction_id") {
        return Err(ReceiveError::Malformed(
            "credential response (deferred issuance is not supported)",
        ));
    }
    let credential = match response
        .get("credentials")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([one]) => one
            .get("credential")
            .cloned()
            .ok_or(ReceiveError::Malformed("credential response"))?,
        _ => return Err(ReceiveError::Malformed("credential response")),
    };
    match ctx.format {
        CredentialFormat::DcSdJwt => verify_sd_jwt(credential, &ctx).await,
        CredentialFormat::LdpVc => verify_ldp_vc(credential, &ctx).await,
    }
}

async fn resolve_issuer(
    resolver: &dyn DidResolver,
    issuer: &str,
) -> Result<ResolvedDocuments, ReceiveError> {
    crate::status::resolve_issuer(resolver, issuer)
        .await
        .map_err(ReceiveError::IssuerKey)
}

fn failed(report: &credentials::VerificationReport) -> ReceiveError {
    ReceiveError::Verification(
        report
            .failure_codes()
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
    )
}

async fn verify_sd_jwt(
    credential: Value,
    ctx: &FetchContext<'_>,
) -> Result<NewCredential, ReceiveError> {
    let text = credential
        .as_str()
        .ok_or(ReceiveError::Malformed("dc+sd-jwt credential"))?
        .to_owned();
    let parsed = SdJwt::parse(&text)
        .map_err(|_| ReceiveError::Verification(vec![FailureCode::Malformed.as_str().into()]))?;
    let issuer = parsed
        .unverified_payload()
        .get("iss")
        .and_then(Value::as_str)
        .ok_or(ReceiveError::Verification(vec![
            FailureCode::IssuerInvalid.as_str().into(),
        ]))?
        .to_owned();
    let documents = resolve_issuer(ctx.resolver, &issuer).await?;
    // The issuer signed moments ago: its `iat` may be a little ahead of this clock.
    let mut options = VerifyOptions::sd_jwt_vc(ctx.clock.now(), KeyBindingPolicy::NotRequired);
    options.clock_skew = TimeDelta::seconds(CLOCK_SKEW_SECONDS);
    let verification = sd_jwt::verify(&text, IssuerKey::Resolver(&documents), &options)
        .map_err(|e| ReceiveError::IssuerKey(e.to_string()))?;
    if !verification.is_verified() {
        return Err(failed(verification.report()));
    }
    if verification.holder_key() != Some(&ctx.key.public_key) {
        return Err(ReceiveError::NotBoundToOurKey);
    }
    if let Some(reference) = verification.status_list() {
        check_token_status(reference, &issuer, &documents, ctx).await?;
    }
    let claims = verification
        .into_claims()
        .ok_or(ReceiveError::Verification(Vec::new()))?;
    let vct = claims
        .get("vct")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(expected) = ctx.configuration.get("vct").and_then(Value::as_str)
        && expected != vct
    {
        return Err(ReceiveError::Verification(vec![
            FailureCode::TypeInvalid.as_str().into(),
        ]));
    }
    Ok(NewCredential {
        format: CredentialFormat::DcSdJwt,
        credential: Value::String(text),
        issuer,
        types: vec![vct],
        claims: Value::Object(claims),
        holder_key: Some(ctx.key.id.clone()),
    })
}

async fn check_token_status(
    reference: &token::StatusListReference,
    issuer: &str,
    documents: &ResolvedDocuments,
    ctx: &FetchContext<'_>,
) -> Result<(), ReceiveError> {
    crate::status::token_status(reference, issuer, documents, &ctx.status_sources())
        .await
        .map_err(status_failure)
}

/// The receive flow's error for a status that is not "valid" (fail closed: not stored).
fn status_failure(failure: StatusFailure) -> ReceiveError {
    match failure {
        StatusFailure::Refused(source) => ReceiveError::UrlRefused {
            what: "status list",
            source,
        },
        StatusFailure::Revoked => ReceiveError::Revoked,
        StatusFailure::Suspended => ReceiveError::Suspended,
        StatusFailure::Unavailable(reason) => ReceiveError::StatusUnavailable(reason),
    }
}

async fn verify_ldp_vc(
    credential: Value,
    ctx: &FetchContext<'_>,
) -> Result<NewCredential, ReceiveError> {
    if !credential.is_object() {
        return Err(ReceiveError::Malformed("ldp_vc credential"));
    }
    let issuer = match credential.get("issuer") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    let documents = resolve_issuer(ctx.resolver, &issuer).await?;
    let mut options = data_integrity::VerifyOptions::new(ctx.clock.now());
    options.clock_skew = TimeDelta::seconds(CLOCK_SKEW_SECONDS);
    let report = data_integrity::verify_credential(&credential, &documents, &options)
        .map_err(|e| ReceiveError::IssuerKey(e.to_string()))?;
    if !report.is_verified() {
        return Err(failed(&report));
    }
    let subject = credential
        .get("credentialSubject")
        .cloned()
        .unwrap_or(Value::Null);
    if subject.get("id").and_then(Value::as_str) != Some(ctx.key.did.as_str()) {
        return Err(ReceiveError::NotBoundToOurKey);
    }
    for entry in &crate::status::status_entries(&credential) {
        check_bitstring_status(entry, &issuer, ctx).await?;
    }
    let types = match credential.get("type") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(t)) => vec![t.clone()],
        _ => Vec::new(),
    };
    Ok(NewCredential {
        format: CredentialFormat::LdpVc,
        credential,
        issuer,
        types,
        claims: subject,
        holder_key: Some(ctx.key.id.clone()),
    })
}

async fn check_bitstring_status(
    entry: &Value,
    issuer: &str,
    ctx: &FetchContext<'_>,
) -> Result<(), ReceiveError> {
    crate::status::bitstring_status(entry, issuer, &ctx.status_sources())
        .await
        .map_err(status_failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const POLICY: NetworkPolicy = NetworkPolicy {
        allow_http_loopback: false,
    };

    fn offer(tx: Value) -> Value {
        json!({
            "credential_issuer": "https://issuer.example",
            "credential_configuration_ids": ["pid"],
            "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": "c", "tx_code": tx}},
        })
    }

    #[test]
    fn tx_code_description_is_enforced_before_sending() {
        let spec = TxCode {
            input_mode: "numeric".into(),
            length: Some(6),
            description: None,
        };
        spec.check("123456").unwrap();
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            assert!(spec.check(bad).is_err(), "{bad}");
        }
        let text = TxCode {
            input_mode: "text".into(),
            length: None,
            description: None,
        };
        text.check("abc-9").unwrap();
        assert!(text.check(&"x".repeat(65)).is_err());
    }

    #[test]
    fn offers_are_parsed_strictly() {
        let parsed = parse_offer(&offer(json!({"length": 4})), POLICY).unwrap();
        assert_eq!(parsed.tx_code.unwrap().input_mode, "numeric");
        let mut no_grant = offer(json!(null));
        no_grant["grants"] = json!({"authorization_code": {}});
        assert!(matches!(
            parse_offer(&no_grant, POLICY),
            Err(ReceiveError::UnsupportedGrant)
        ));
        let mut empty = offer(json!({}));
        empty["credential_configuration_ids"] = json!([]);
        assert!(parse_offer(&empty, POLICY).is_err());
        let mut many = offer(json!({}));
        many["credential_configuration_ids"] = json!(vec!["x"; MAX_CONFIGURATIONS + 1]);
        assert!(parse_offer(&many, POLICY).is_err());
        assert!(parse_offer(&offer(json!("123")), POLICY).is_err());
    }

    #[test]
    fn well_known_urls_insert_before_the_path() {
        assert_eq!(
            well_known("https://issuer.example", "openid-credential-issuer")
                .unwrap()
                .as_str(),
            "https://issuer.example/.well-known/openid-credential-issuer"
        );
        assert_eq!(
            well_known(
                "https://issuer.example/tenant/1",
                "oauth-authorization-server"
            )
            .unwrap()
            .as_str(),
            "https://issuer.example/.well-known/oauth-authorization-server/tenant/1"
        );
    }

    proptest! {
        /// Untrusted input: any JSON-ish offer parses or fails with a typed error.
        #[test]
        fn arbitrary_offers_never_panic(text in ".{0,200}") {
            if let Ok(value) = serde_json::from_str::<Value>(&text) {
                let _ = parse_offer(&value, POLICY);
            }
        }

        #[test]
        fn arbitrary_offer_members_never_panic(
            issuer in ".{0,40}", ids in proptest::collection::vec(".{0,10}", 0..20), code in ".{0,20}", length in proptest::option::of(any::<u64>()),
        ) {
            let value = json!({
                "credential_issuer": issuer,
                "credential_configuration_ids": ids,
                "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": code, "tx_code": {"length": length}}},
            });
            let _ = parse_offer(&value, POLICY);
        }
    }
}
