//! The HTTP API (axum): `fn app(state) -> Router`, stable JSON errors, auth extractors with
//! rate-limited failures, body limits, timeouts and graceful shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::trace::TraceLayer;
use zeroize::Zeroizing;

use crate::budget::BudgetEpsilon;
use crate::error::{Error, Refusal};
use crate::policy::Policy;
use crate::schema::SchemaDoc;
use crate::service::Service;
use crate::store::Analyst;

/// Body limit of every route but dataset upload.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Body limit of `POST /admin/datasets`.
pub const UPLOAD_LIMIT: usize = 32 * 1024 * 1024;
/// Per-request timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests handled at once.
pub const MAX_CONCURRENT_REQUESTS: usize = 64;
/// Failed authentications allowed per client address and window.
pub const MAX_AUTH_FAILURES: u32 = 10;
/// The rate-limit window.
pub const AUTH_WINDOW: Duration = Duration::from_secs(60);

/// The OpenAPI description of this API (also served at `GET /openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("../../specs/privacy-openapi.json");

/// Every route: (method, path). Kept in step with the router and the OpenAPI document by a test.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/openapi.json"),
    ("get", "/datasets"),
    ("get", "/datasets/{name}"),
    ("get", "/datasets/{name}/budget"),
    ("post", "/datasets/{name}/queries"),
    ("get", "/datasets/{name}/rows"),
    ("post", "/admin/datasets"),
    ("put", "/admin/datasets/{name}/cap"),
    ("post", "/admin/analysts"),
    ("put", "/admin/analysts/{id}/budgets/{dataset}"),
    ("get", "/admin/analysts/{id}/budgets/{dataset}"),
    ("get", "/admin/policy"),
    ("put", "/admin/policy"),
    ("get", "/admin/releases"),
];

/// Counts failed authentications per client address.
#[derive(Debug)]
pub struct AuthLimiter {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    max_failures: u32,
    window: Duration,
}

impl AuthLimiter {
    /// A limiter allowing `max_failures` failures per `window` per address.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            max_failures,
            window,
        }
    }

    fn blocked(&self, ip: IpAddr) -> bool {
        let Ok(map) = self.failures.lock() else {
            return true;
        };
        map.get(&ip)
            .is_some_and(|(start, n)| start.elapsed() < self.window && *n >= self.max_failures)
    }

    fn fail(&self, ip: IpAddr) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() > 10_000 {
            let window = self.window;
            map.retain(|_, (start, _)| start.elapsed() < window);
        }
        let entry = map.entry(ip).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

/// Shared state of the HTTP layer.
#[derive(Clone)]
pub struct AppState {
    service: Arc<Service>,
    admin_hash: [u8; 32],
    limiter: Arc<AuthLimiter>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

impl AppState {
    /// State over a service, with the admin token (at least 16 characters; only its SHA-256
    /// is kept).
    pub fn new(service: Arc<Service>, admin_token: &str) -> Result<Self, Error> {
        if admin_token.trim().chars().count() < 16 {
            return Err(Error::WeakAdminToken);
        }
        Ok(Self {
            service,
            admin_hash: Sha256::digest(admin_token.as_bytes()).into(),
            limiter: Arc::new(AuthLimiter::new(MAX_AUTH_FAILURES, AUTH_WINDOW)),
        })
    }

    /// The service.
    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }
}

/// An error response: `{"code": ..., "message": ...}` (plus `line`/`column` for CSV errors).
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl From<Refusal> for ApiError {
    fn from(e: Refusal) -> Self {
        Self(Error::Refused(e))
    }
}

fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Refused(r) => match r {
            Refusal::RawRows
            | Refusal::IdentifierColumn(_)
            | Refusal::TagNotPermitted { .. }
            | Refusal::DatasetNotPermitted => StatusCode::FORBIDDEN,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        },
        Error::BudgetExhausted(_) => StatusCode::FORBIDDEN,
        Error::Schema(_)
        | Error::Csv(_)
        | Error::Epsilon(_)
        | Error::InvalidName(_)
        | Error::InvalidPolicy(_)
        | Error::InvalidJson(_) => StatusCode::BAD_REQUEST,
        Error::UnknownDataset | Error::UnknownAnalyst => StatusCode::NOT_FOUND,
        Error::AlreadyExists(_) => StatusCode::CONFLICT,
        Error::Unauthorized => StatusCode::UNAUTHORIZED,
        Error::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Error::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let message = if status.is_server_error() {
            // internals are logged, not returned
            tracing::error!(code = self.0.code(), error = %self.0, "request failed");
            "internal error".to_owned()
        } else {
            self.0.to_string()
        };
        let mut body = serde_json::json!({ "code": self.0.code(), "message": message });
        if let Error::Csv(csv) = &self.0 {
            body["line"] = csv.line.into();
            if let Some(c) = &csv.column {
                body["column"] = c.clone().into();
            }
        }
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A JSON body parsed with stable errors (400 `invalid_json`, 413 `body_too_large`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError(Error::BodyTooLarge)
            } else {
                ApiError(Error::InvalidJson("unreadable body".into()))
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError(Error::InvalidJson(e.to_string())))
    }
}

fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty() && token.len() <= 256).then_some(token)
}

/// An authenticated analyst.
#[derive(Debug)]
pub struct AnalystCaller(pub Analyst);

impl FromRequestParts<AppState> for AnalystCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = client_ip(parts);
        if state.limiter.blocked(ip) {
            return Err(ApiError(Error::RateLimited));
        }
        let found = match bearer(parts) {
            Some(token) => state.service.store().authenticate(token)?,
            None => None,
        };
        match found {
            Some(analyst) => Ok(Self(analyst)),
            None => {
                state.limiter.fail(ip);
                Err(ApiError(Error::Unauthorized))
            }
        }
    }
}

/// An authenticated admin.
#[derive(Debug)]
pub struct AdminCaller;

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = client_ip(parts);
        if state.limiter.blocked(ip) {
            return Err(ApiError(Error::RateLimited));
        }
        let ok = bearer(parts).is_some_and(|token| {
            let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            bool::from(hash.ct_eq(&state.admin_hash))
        });
        if ok {
            Ok(Self)
        } else {
            state.limiter.fail(ip);
            Err(ApiError(Error::Unauthorized))
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError(Error::Internal))?
        .map_err(ApiError)
}

/// The router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/datasets", get(list_datasets))
        .route("/datasets/{name}", get(describe_dataset))
        .route("/datasets/{name}/budget", get(analyst_budget))
        .route("/datasets/{name}/queries", post(run_query))
        .route("/datasets/{name}/rows", get(raw_rows))
        .route(
            "/admin/datasets",
            post(add_dataset).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/admin/datasets/{name}/cap", put(set_cap))
        .route("/admin/analysts", post(create_analyst))
        .route(
            "/admin/analysts/{id}/budgets/{dataset}",
            put(set_budget).get(admin_budget),
        )
        .route("/admin/policy", get(get_policy).put(set_policy))
        .route("/admin/releases", get(releases))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::error_handling::HandleErrorLayer::new(timed_out))
                .timeout(REQUEST_TIMEOUT),
        )
        .layer(ConcurrencyLimitLayer::new(MAX_CONCURRENT_REQUESTS))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn timed_out(error: tower::BoxError) -> Response {
    let (status, code, message) = if error.is::<tower::timeout::error::Elapsed>() {
        (
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the request took too long",
        )
    } else {
        tracing::error!("middleware error");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error",
        )
    };
    (
        status,
        Json(serde_json::json!({"code": code, "message": message})),
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({"code": "not_found", "message": "no such route"})),
    )
        .into_response()
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI_JSON,
    )
        .into_response()
}

async fn list_datasets(
    axum::extract::State(state): axum::extract::State<AppState>,
    AnalystCaller(analyst): AnalystCaller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let service = state.service.clone();
    let list = blocking(move || service.datasets_for(&analyst)).await?;
    Ok(Json(serde_json::json!({ "datasets": list })))
}

async fn describe_dataset(
    axum::extract::State(state): axum::extract::State<AppState>,
    AnalystCaller(analyst): AnalystCaller,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let service = state.service.clone();
    let info = blocking(move || service.dataset_for(&analyst, &name)).await?;
    Ok(Json(
        serde_json::to_value(info).map_err(|_| ApiError(Error::Internal))?,
    ))
}

async fn analyst_budget(
    axum::extract::State(state): axum::extract::State<AppState>,
    AnalystCaller(analyst): AnalystCaller,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let service = state.service.clone();
    let status = blocking(move || service.budget_for(&analyst, &name)).await?;
    Ok(Json(
        serde_json::to_value(status).map_err(|_| ApiError(Error::Internal))?,
    ))
}

async fn run_query(
    axum::extract::State(state): axum::extract::State<AppState>,
    AnalystCaller(analyst): AnalystCaller,
    Path(name): Path<String>,
    JsonBody(request): JsonBody<serde_json::Value>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let service = state.service.clone();
    let answer = blocking(move || service.query(&analyst, &name, &request)).await?;
    Ok(Json(
        serde_json::to_value(answer).map_err(|_| ApiError(Error::Internal))?,
    ))
}

async fn raw_rows(_caller: AnalystCaller) -> ApiError {
    ApiError(Error::Refused(Refusal::RawRows))
}

/// Body of `POST /admin/datasets`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddDataset {
    /// Dataset name.
    pub name: String,
    /// Schema.
    pub schema: SchemaDoc,
    /// CSV text (header line first).
    pub csv: String,
    /// Global epsilon cap across all analysts.
    pub epsilon_cap: f64,
}

async fn add_dataset(
    axum::extract::State(state): axum::extract::State<AppState>,
    _admin: AdminCaller,
    JsonBody(body): JsonBody<AddDataset>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let service = state.service.clone();
    let info = blocking(move || {
        service.add_dataset(
            &body.name,
            body.schema,
            body.csv.as_bytes(),
            body.epsilon_cap,
        )
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(info).map_err(|_| ApiError(Error::Internal))?),
    ))
}

/// Body carrying an epsilon.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpsilonBody {
    /// Epsilon.
    pub epsilon: f64,
}

async fn set_cap(
    axum::extract::State(state): axum::extract::State<AppState>,
    _admin: AdminCaller,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<EpsilonBody>,
) -> Result<StatusCode, ApiError> {
    let service = state.service.clone();
    blocking(move || {
        let cap = BudgetEpsilon::new(body.epsilon)?;
        service.store().set_dataset_cap(&name, cap)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /admin/analysts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAnalyst {
    /// Analyst id.
    pub id: String,
    /// Team.
    pub team: String,
}

async fn create_analyst(
    axum::extract::State(state): axum::extract::State<AppState>,
    _admin: AdminCaller,
    JsonBody(body): JsonBody<CreateAnalyst>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let service = state.service.clone();
    let (id, team) = (body.id.clone(), body.team.clone());
    let token = blocking(move || service.store().create_analyst(&body.id, &body.team)).await?;
    let token = Zeroizing::new(token.expose().to_owned());
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"id": id, "team": team, "token": token.as_str()})),
    ))
}

async fn set_budget(
    axum::extract::State(state): axum::extract::State<AppState>,
    _admin: AdminCaller,
    Path((id, dataset)): Path<(String, String)>,
    JsonBody(body): JsonBody<EpsilonBody>,
) -> Result<StatusCode, ApiError> {
    let service = state.service.clone();
    blocking(move || {
        let budget = BudgetEpsilon::new(body.epsilon)?;
        service.store().set_budget(&id, &dataset, budget)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn admin_budget(
    axum::extract::State(state): axum::extract::State<AppState>,
    _admin: AdminCaller,
    Path((id, dataset)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let service = state.service.clone();
    let status = blocking(move || {
        if service.store().analyst(&id)?.is_none() {
            return Err(Error::UnknownAnalyst);
        }
        if !service.store().has_dataset(&dataset)? {
            return Err(Error::UnknownDataset);
        }
        service.store().budget(&id, &dataset)
    })
    .await?;
    Ok(Json(
        serde_json::to_value(status).map_err(|_| ApiError(Error::Internal))?,
    ))
}

async fn get_policy(
    axum::extract::State(state): axum::extract::State<AppState>,
    _admin: AdminCaller,
) -> Result<Json<Policy>, ApiError> {
    let service = state.service.clone();
    Ok(Json(blocking(move || service.store().policy()).await?))
}

async fn set_policy(
    axum::extract::State(state): axum::extract::State<AppState>,
    _admin: AdminCaller,
    JsonBody(policy): JsonBody<Policy>,
) -> Result<StatusCode, ApiError> {
    let service = state.service.clone();
    blocking(move || service.store().set_policy(&policy)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query string of `GET /admin/releases`.
#[derive(Debug, Deserialize)]
pub struct ReleaseFilter {
    /// Only this dataset.
    pub dataset: Option<String>,
}

async fn releases(
    axum::extract::State(state): axum::extract::State<AppState>,
    _admin: AdminCaller,
    Query(filter): Query<ReleaseFilter>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let service = state.service.clone();
    let list = blocking(move || service.store().releases(filter.dataset.as_deref())).await?;
    Ok(Json(serde_json::json!({ "releases": list })))
}

/// Serves `app(state)` on `listener` until `shutdown` completes, then drains in-flight
/// requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Configuration of [`run`].
pub struct ServerConfig {
    /// Data directory (store and datasets).
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Admin token (required, at least 16 characters).
    pub admin_token: Zeroizing<String>,
    /// Service options.
    pub options: crate::service::ServiceOptions,
}

impl ServerConfig {
    /// A configuration with default service options.
    pub fn new(data_dir: impl Into<PathBuf>, listen: SocketAddr, admin_token: String) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen,
            admin_token: Zeroizing::new(admin_token),
            options: crate::service::ServiceOptions::default(),
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("admin_token", &"<redacted>")
            .finish()
    }
}

/// Opens the data directory, binds, and serves until `shutdown` completes.
pub async fn run(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    if config.admin_token.trim().chars().count() < 16 {
        return Err(Error::WeakAdminToken);
    }
    let dir = config.data_dir.clone();
    let options = config.options.clone();
    let service = tokio::task::spawn_blocking(move || Service::open_with(&dir, options))
        .await
        .map_err(|_| Error::Internal)??;
    let state = AppState::new(Arc::new(service), &config.admin_token)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    tracing::info!(address = %listener.local_addr()?, "privacy service listening");
    serve(listener, state, shutdown).await?;
    Ok(())
}
