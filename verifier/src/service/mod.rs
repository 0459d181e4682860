//! The `verifier serve` service: OpenID4VP 1.0 (`request_uri` + `direct_post`), presentation
//! request state with server-sent events, VC-API verify endpoints, the relying-party page,
//! health and the OpenAPI document.
//!
//! [`app`] builds the router from an [`AppState`] (tested with `tower::ServiceExt::oneshot`
//! and on a real socket); [`run`] serves it until the shutdown future resolves.

mod http;
mod oid4vp;
mod page;
mod store;
mod vcapi;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use chrono::TimeDelta;
use credentials::oid4vp::{DID_CLIENT_ID_PREFIX, DcqlQuery};
use credentials::{Ed25519SigningKey, Signer as _};
use did_methods::{DidKey, DidResolver, DidWebResolver, ReqwestHttpClient, UniversalResolver};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use http::OPENAPI;
pub use oid4vp::log_ref;
pub use store::{CheckView, CredentialView, RequestRecord, RequestState};

use crate::clock::{Clock, SystemClock};
use crate::error::StoreError;
use crate::nonce::NonceStore;
use crate::pipeline::Verifier;
use crate::policy::{Policy, RequiredClaim};
use crate::status::{HttpStatusFetcher, StatusCache, StatusFetcher};

/// The largest JSON body accepted by the management and VC-API endpoints.
pub const MAX_JSON_BODY: usize = 256 * 1024;
/// The largest `direct_post` body accepted.
pub const MAX_RESPONSE_BODY: usize = credentials::oid4vp::messages::MAX_RESPONSE_LEN;
/// How long a request may take before the service answers 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Requests handled at once; more wait.
pub const MAX_CONCURRENT_REQUESTS: usize = 256;
/// Event streams open at once; more are refused with `503 too_many_streams`.
pub const MAX_EVENT_STREAMS: usize = 1024;
/// The shortest admin token accepted.
pub const MIN_ADMIN_TOKEN_LEN: usize = 16;
/// Status lists kept for revalidation at most.
pub const STATUS_CACHE_CAPACITY: usize = 1024;
/// A cached status list not used for this long is dropped (memory only: a cached list is
/// never used without the issuer confirming it with a 304).
pub const STATUS_CACHE_IDLE: TimeDelta = TimeDelta::minutes(5);

/// The relying-party page's scenario: what it asks, whom it trusts, how it names things.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The relying party's name, shown as the page title.
    pub title: String,
    /// The request in plain words ("Prove you are over 21").
    pub prompt: String,
    /// The DCQL query each page visit sends.
    pub dcql_query: DcqlQuery,
    /// The acceptance policy (trusted issuers, required claims...).
    pub policy: Policy,
    /// Plain-words names of claims (`age_over_21` -> `Over 21`).
    #[serde(default)]
    pub claim_labels: BTreeMap<String, String>,
    /// Display names of issuers, by DID.
    #[serde(default)]
    pub issuer_names: BTreeMap<String, String>,
}

impl Scenario {
    /// The demo: a liquor store asking only for `age_over_21` (an SD-JWT VC), trusting
    /// `trusted_issuers`.
    pub fn liquor_store(trusted_issuers: Vec<String>) -> Self {
        let dcql_query = serde_json::from_value(serde_json::json!({
            "credentials": [{
                "id": "age",
                "format": "dc+sd-jwt",
                "claims": [{"path": ["age_over_21"], "values": [true]}]
            }]
        }))
        .unwrap_or_else(|_| DcqlQuery {
            credentials: Vec::new(),
            credential_sets: None,
        });
        let mut policy = Policy::trusting(trusted_issuers);
        policy.required_claims = vec![RequiredClaim {
            path: credentials::oid4vp::ClaimPath::keys(["age_over_21"]),
            equals: Some(serde_json::Value::Bool(true)),
        }];
        let mut claim_labels = BTreeMap::new();
        claim_labels.insert("age_over_21".into(), "Over 21".into());
        claim_labels.insert("age_over_18".into(), "Over 18".into());
        Self {
            title: "Corner Liquor Store".into(),
            prompt: "Prove you are over 21".into(),
            dcql_query,
            policy,
            claim_labels,
            issuer_names: BTreeMap::new(),
        }
    }

    /// Checks the query and the policy, and that the policy accepts every requested format.
    pub fn validate(&self) -> Result<(), ServiceError> {
        self.dcql_query
            .validate()
            .map_err(|e| ServiceError::Config(format!("scenario DCQL query: {e}")))?;
        self.policy
            .validate()
            .map_err(|e| ServiceError::Config(format!("scenario policy: {e}")))?;
        check_formats(&self.dcql_query, &self.policy).map_err(ServiceError::Config)
    }
}

/// Every credential query must ask for a format the policy accepts: otherwise no answer
/// could ever be verified.
pub(crate) fn check_formats(query: &DcqlQuery, policy: &Policy) -> Result<(), String> {
    for credential in &query.credentials {
        let accepted = crate::policy::Format::from_name(&credential.format)
            .is_some_and(|f| policy.formats.contains(&f));
        if !accepted {
            return Err(format!(
                "credential query {} asks for format {}, which the policy does not accept",
                credential.id, credential.format
            ));
        }
    }
    Ok(())
}

/// The service configuration.
#[derive(Clone)]
pub struct ServiceConfig {
    /// Where the database and the verifier's key live.
    pub data_dir: PathBuf,
    /// The URL wallets and browsers reach this service at (no trailing slash needed).
    pub public_url: url::Url,
    /// The management bearer token (`VERIFIER_ADMIN_TOKEN`). Required: empty refuses to start.
    pub admin_token: String,
    /// The relying-party page's scenario; its policy also applies to the VC-API endpoints.
    pub scenario: Scenario,
    /// How long a presentation request (and its nonce) stays valid.
    pub request_ttl: TimeDelta,
    /// Dangerous, for local testing only: allow fetching status lists and did:web documents
    /// from loopback addresses over plain HTTP.
    pub dangerous_allow_loopback: bool,
    /// Requests per minute per client IP on the endpoints that create state.
    pub rate_limit_per_minute: u32,
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("data_dir", &self.data_dir)
            .field("public_url", &self.public_url.as_str())
            .field("admin_token", &"<redacted>")
            .field("scenario", &self.scenario.title)
            .finish_non_exhaustive()
    }
}

impl ServiceConfig {
    /// A configuration with the defaults (5-minute requests, 120 requests per minute).
    pub fn new(
        data_dir: PathBuf,
        public_url: url::Url,
        admin_token: String,
        scenario: Scenario,
    ) -> Self {
        Self {
            data_dir,
            public_url,
            admin_token,
            scenario,
            request_ttl: TimeDelta::minutes(5),
            dangerous_allow_loopback: false,
            rate_limit_per_minute: 120,
        }
    }
}

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// No admin token: the service never runs open.
    #[error("VERIFIER_ADMIN_TOKEN is not set: refusing to start without a management credential")]
    NoAdminToken,
    /// The configuration is not usable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The data directory or key file could not be used.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client for DID and status retrieval could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] did_methods::HttpError),
}

/// The injected parts: clock, DID resolver, status list fetcher.
#[derive(Clone)]
pub struct ServiceParts {
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The DID resolver.
    pub resolver: Arc<dyn DidResolver>,
    /// How status lists are fetched.
    pub status_fetcher: Arc<dyn StatusFetcher>,
}

impl ServiceParts {
    /// The system clock; did:key, did:jwk and did:web; status lists over the guarded HTTP
    /// client (no internal addresses, no redirects, size cap, timeouts).
    pub fn production(dangerous_allow_loopback: bool) -> Result<Self, ServiceError> {
        let client = || {
            let builder = ReqwestHttpClient::builder()
                .timeout(Duration::from_secs(10))
                .connect_timeout(Duration::from_secs(5));
            if dangerous_allow_loopback {
                builder.dangerous().allow_loopback().build()
            } else {
                builder.build()
            }
        };
        let web = DidWebResolver::new(client()?);
        let web = if dangerous_allow_loopback {
            web.dangerous().plain_http_for_localhost()
        } else {
            web
        };
        Ok(Self {
            clock: Arc::new(SystemClock),
            resolver: Arc::new(crate::did_cache::CachingResolver::new(
                Arc::new(UniversalResolver::new(web)),
                1024,
                Duration::from_secs(300),
            )),
            status_fetcher: Arc::new(HttpStatusFetcher::new(client()?)),
        })
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServiceConfig,
    verifier: Verifier,
    clock: Arc<dyn Clock>,
    store: store::RequestStore,
    signing_key: Ed25519SigningKey,
    kid: String,
    client_id: String,
    admin_token_hash: [u8; 32],
    events: broadcast::Sender<String>,
    limiter: http::RateLimiter,
    page: page::PageAssets,
    streams: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Opens the data directory (creating it, the database and the verifier's key as needed).
    pub fn open(config: ServiceConfig, parts: ServiceParts) -> Result<Self, ServiceError> {
        if config.admin_token.trim().is_empty() {
            return Err(ServiceError::NoAdminToken);
        }
        if config.admin_token.len() < MIN_ADMIN_TOKEN_LEN {
            return Err(ServiceError::Config(format!(
                "VERIFIER_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_LEN} characters"
            )));
        }
        config.scenario.validate()?;
        std::fs::create_dir_all(&config.data_dir)?;
        let db = redb::Database::create(config.data_dir.join("verifier.redb"))
            .map_err(|e| ServiceError::Store(StoreError::from(e)))?;
        let db = Arc::new(db);
        let signing_key = load_or_create_key(&config.data_dir.join("verifier-key"))?;
        let did_key = DidKey::from_public_key(&signing_key.public_key());
        let did = did_key.did().to_string();
        let kid = did_key.verification_method_id().to_string();
        // Every status lookup is revalidated with the issuer (a conditional GET; the cached
        // bytes are used only on 304), so a revocation shows at the next verification; an
        // entry unused for 5 minutes is dropped, and at most 1024 lists are kept.
        let status = Arc::new(StatusCache::new(
            parts.status_fetcher,
            STATUS_CACHE_CAPACITY,
            STATUS_CACHE_IDLE,
        ));
        let verifier = Verifier::new(
            parts.clock.clone(),
            parts.resolver,
            status,
            NonceStore::new(db.clone())?,
        );
        let (events, _) = broadcast::channel(256);
        let admin_token_hash = Sha256::digest(config.admin_token.as_bytes()).into();
        let limiter = http::RateLimiter::new(config.rate_limit_per_minute);
        Ok(Self {
            inner: Arc::new(Inner {
                store: store::RequestStore::new(db)?,
                client_id: format!("{DID_CLIENT_ID_PREFIX}{did}"),
                kid,
                signing_key,
                verifier,
                clock: parts.clock,
                admin_token_hash,
                events,
                limiter,
                page: page::PageAssets::new(),
                streams: Arc::new(tokio::sync::Semaphore::new(MAX_EVENT_STREAMS)),
                config,
            }),
        })
    }

    /// The OpenID4VP client identifier (`decentralized_identifier:did:key:...`): the audience
    /// of every presentation this service accepts.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.inner.config.public_url.as_str().trim_end_matches('/'),
            path
        )
    }
}

/// Reads the verifier's request-object signing key, or creates one (mode 0600).
fn load_or_create_key(path: &Path) -> Result<Ed25519SigningKey, ServiceError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                ServiceError::Config("verifier-key is damaged (not 32 bytes)".into())
            })?;
            Ok(Ed25519SigningKey::from_seed(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Ed25519SigningKey::generate(&mut rand::rngs::OsRng);
            let tmp = path.with_extension("tmp");
            {
                use std::io::Write as _;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt as _;
                    options.mode(0o600);
                }
                let _ = std::fs::remove_file(&tmp);
                let mut file = options.open(&tmp)?;
                file.write_all(key.to_seed().as_slice())?;
                file.sync_all()?;
            }
            std::fs::rename(&tmp, path)?;
            if let Some(dir) = path.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(key)
        }
        Err(e) => Err(e.into()),
    }
}

/// The router.
pub fn app(state: AppState) -> Router {
    let limited = Router::new()
        .route("/", get(page::index))
        .route("/presentation-requests", post(oid4vp::create))
        .route("/challenges", post(vcapi::challenges))
        .route("/credentials/verify", post(vcapi::verify_credential))
        .route("/presentations/verify", post(vcapi::verify_presentation))
        .route(
            "/oid4vp/response/{key}",
            post(oid4vp::response).layer(DefaultBodyLimit::max(MAX_RESPONSE_BODY)),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::rate_limit,
        ));
    Router::new()
        .route("/health", get(http::health))
        .route("/openapi.json", get(http::openapi))
        .route("/outcome/{id}", get(page::outcome))
        .route("/presentation-requests/{id}", get(oid4vp::status))
        .route("/presentation-requests/{id}/events", get(oid4vp::events))
        .route("/oid4vp/request/{key}", get(oid4vp::request_object))
        .merge(limited)
        .fallback(http::not_found)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(RequestBodyLimitLayer::new(MAX_RESPONSE_BODY))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_CONCURRENT_REQUESTS,
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<axum::body::Body>| {
                    // Method and route template only: paths carry capability ids, and no
                    // query string, header or body is ever logged.
                    let route = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map_or("unmatched", axum::extract::MatchedPath::as_str);
                    tracing::info_span!("http", method = %req.method(), route = %route)
                },
            ),
        )
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` resolves, purging expired records every
/// minute.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServiceError> {
    let purger = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let now = state.inner.clock.now();
                let _ = state.inner.store.purge(now.timestamp(), 86_400);
                let _ = state.inner.verifier.nonces().purge(now, TimeDelta::days(1));
            }
        })
    };
    let result = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    purger.abort();
    result.map_err(ServiceError::Io)
}

/// The launcher entry point: opens the state with the production parts and serves until
/// `shutdown` resolves.
pub async fn run(
    config: ServiceConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServiceError> {
    let parts = ServiceParts::production(config.dangerous_allow_loopback)?;
    let state = AppState::open(config, parts)?;
    tracing::info!(client_id = %state.client_id(), "verifier listening");
    serve(state, listener, shutdown).await
}
