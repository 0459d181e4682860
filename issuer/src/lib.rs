//! The Disclose issuer service: OpenID4VCI 1.0 (pre-authorized code flow, `dc+sd-jwt` and
//! `ldp_vc`), VC-API issuance (`eddsa-rdfc-2022`, `eddsa-jcs-2022`), status lists, and an
//! authenticated admin API, on an embedded redb store.
//!
//! Entry points:
//! - [`run`]: start the service on a bound listener until `shutdown` resolves (what
//!   `issuer serve` and an in-process launcher call).
//! - [`AppState::open`] + [`app`]: the router over a state, for tests and embedding.
//!
//! Modules:
//! - [`store`]: the narrow [`store::Store`] trait and its redb implementation.
//! - [`keyring`]: Ed25519 keys encrypted at rest, rotation.
//! - [`identity`]: did:key / did:web and the DID document.
//! - [`auth`]: admin tokens, roles, rate limits.
//! - [`credential_type`]: credential types and claim validation.
//! - [`issuance`]: building and signing `dc+sd-jwt` and `ldp_vc` credentials.
//! - [`status`]: status list publication (Token Status List, Bitstring Status List).
//! - [`http`]: routes and handlers (admin, OpenID4VCI, VC-API, public).
//! - [`qr`]: offer QR codes (PNG, SVG).
//! - [`config`], [`error`].

#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod credential_type;
pub mod error;
pub mod http;
pub mod identity;
pub mod issuance;
pub mod keyring;
pub mod qr;
pub mod status;
pub mod store;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

pub use config::{Config, KeySecretSource, Limits};
pub use error::{AppError, ErrorCode, StoreError};
pub use http::app;

use crate::auth::{AdminAuth, RateLimiter, match_hash, token_hash};
use crate::credential_type::CredentialType;
use crate::identity::{DidMode, Identity};
use crate::keyring::{KeySecret, Keyring, KeyringError};
use crate::store::{AuditDraft, RedbStore, Role, Store};

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// No admin credential exists: the service never runs open.
    #[error(
        "no admin credential: set ISSUER_ADMIN_TOKEN (at least 32 characters) or create a token with `issuer token create`"
    )]
    NoAdminCredential,
    /// `ISSUER_ADMIN_TOKEN` is too short.
    #[error("ISSUER_ADMIN_TOKEN must have at least 32 characters")]
    WeakAdminToken,
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The keys could not be opened.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// The DID could not be formed from the public URL.
    #[error("the public URL does not give a valid DID: {0}")]
    Did(String),
    /// Serving failed.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// The clock: Unix seconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().timestamp())
}

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    config: Config,
    did_mode: DidMode,
    keyring: Mutex<Keyring>,
    identity: RwLock<Arc<Identity>>,
    admin_env_hash: Option<[u8; 32]>,
    auth_limiter: RateLimiter,
    token_limiter: RateLimiter,
    status_cache: Mutex<HashMap<status::CacheKey, Arc<status::Published>>>,
    clock: Clock,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("public_url", &self.inner.config.issuer_url())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the store under `config.data_dir`, unlocks (or creates) the keys, installs the
    /// built-in credential type, and checks that an admin credential exists.
    pub fn open(config: Config, clock: Clock) -> Result<Self, Error> {
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&config.data_dir)?);
        Self::with_store(config, store, clock)
    }

    /// As [`AppState::open`] over any store.
    pub fn with_store(config: Config, store: Arc<dyn Store>, clock: Clock) -> Result<Self, Error> {
        config::validate(&config)?;
        let now = clock();
        let admin_env_hash = match &config.admin_token {
            Some(t) if t.chars().count() < config::MIN_ADMIN_TOKEN_LEN => {
                return Err(Error::WeakAdminToken);
            }
            Some(t) => Some(token_hash(t)),
            None => None,
        };
        if admin_env_hash.is_none() && store.admin_tokens()?.is_empty() {
            return Err(Error::NoAdminCredential);
        }
        let secret = match &config.key_secret {
            KeySecretSource::Passphrase(p) => KeySecret::passphrase(p.clone())?,
            KeySecretSource::KeyFile(path) => KeySecret::from_key_file(path)?,
        };
        let keyring =
            Keyring::open_or_create(store.as_ref(), &secret, &mut rand::rngs::OsRng, now)?;
        drop(secret);
        let did_mode =
            DidMode::for_public_url(&config.public_url).map_err(|e| Error::Did(e.to_string()))?;
        let identity = Identity::new(&did_mode, &keyring.keys(), keyring.active_kid())
            .ok_or(Error::Keyring(KeyringError::Corrupt("active key missing")))?;
        if !store
            .credential_types()?
            .iter()
            .any(|t| t.id == credential_type::PROOF_OF_AGE)
        {
            store.put_credential_type(
                &CredentialType::proof_of_age(),
                false,
                AuditDraft::new(
                    "system",
                    "credential_type.create",
                    Some(credential_type::PROOF_OF_AGE.into()),
                ),
                now,
            )?;
        }
        let limits = &config.limits;
        let auth_limiter =
            RateLimiter::new(limits.auth_failures_per_minute, Duration::from_secs(60));
        let token_limiter =
            RateLimiter::new(limits.token_requests_per_minute, Duration::from_secs(60));
        tracing::info!(did = %identity.did, "issuer identity ready");
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                config,
                did_mode,
                keyring: Mutex::new(keyring),
                identity: RwLock::new(Arc::new(identity)),
                admin_env_hash,
                auth_limiter,
                token_limiter,
                status_cache: Mutex::new(HashMap::new()),
                clock,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Now, Unix seconds.
    pub fn now(&self) -> i64 {
        (self.inner.clock)()
    }

    /// The current identity.
    pub fn identity(&self) -> Arc<Identity> {
        Arc::clone(
            &self
                .inner
                .identity
                .read()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    /// The active signing key with its verification method (read together, so a concurrent
    /// rotation cannot pair a key with another key's method).
    pub fn signer(&self) -> (Arc<credentials::Ed25519SigningKey>, Arc<Identity>) {
        let keyring = self.inner.keyring.lock().unwrap_or_else(|p| p.into_inner());
        (keyring.active(), self.identity())
    }

    /// The key `kid` with its DID and verification method (status lists keep the key that was
    /// active when they were opened).
    pub fn signer_for(
        &self,
        kid: &str,
    ) -> Result<(Arc<credentials::Ed25519SigningKey>, String, String), AppError> {
        let keyring = self.inner.keyring.lock().unwrap_or_else(|p| p.into_inner());
        let key = keyring
            .signing_key(kid)
            .map_err(|e| AppError::internal(&e))?;
        let (did, vm) = self
            .identity()
            .method_of(kid)
            .ok_or_else(|| AppError::internal(&"no verification method for key"))?;
        Ok((key, did, vm))
    }

    /// How the DID is formed.
    pub fn did_mode(&self) -> &DidMode {
        &self.inner.did_mode
    }

    pub(crate) fn auth_limiter(&self) -> &RateLimiter {
        &self.inner.auth_limiter
    }

    pub(crate) fn token_limiter(&self) -> &RateLimiter {
        &self.inner.token_limiter
    }

    pub(crate) fn status_cache(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<status::CacheKey, Arc<status::Published>>> {
        self.inner
            .status_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Runs a store operation on the blocking pool (redb commits wait for fsync).
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AppError> {
        let store = Arc::clone(&self.inner.store);
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| AppError::internal(&e))?
            .map_err(AppError::from)
    }

    /// Matches a presented token hash against the env token and the stored tokens.
    pub(crate) async fn match_token(
        &self,
        presented: &[u8; 32],
    ) -> Result<Option<AdminAuth>, AppError> {
        let stored = self.blocking(|s| s.admin_tokens()).await?;
        let mut candidates: Vec<([u8; 32], AdminAuth)> = stored
            .into_iter()
            .map(|(h, r)| {
                (
                    h,
                    AdminAuth {
                        actor: r.id,
                        role: r.role,
                    },
                )
            })
            .collect();
        if let Some(h) = self.inner.admin_env_hash {
            candidates.push((
                h,
                AdminAuth {
                    actor: "env-admin".into(),
                    role: Role::Admin,
                },
            ));
        }
        Ok(match_hash(presented, &candidates))
    }

    /// Rotates the signing key (durably, with its audit entry) and refreshes the identity.
    pub async fn rotate_key(&self, actor: String) -> Result<Arc<Identity>, AppError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let now = state.now();
            let mut keyring = state
                .inner
                .keyring
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            keyring
                .rotate(
                    state.inner.store.as_ref(),
                    &actor,
                    &mut rand::rngs::OsRng,
                    now,
                )
                .map_err(|e| AppError::internal(&e))?;
            let identity =
                Identity::new(&state.inner.did_mode, &keyring.keys(), keyring.active_kid())
                    .ok_or_else(|| AppError::internal(&"identity after rotation"))?;
            let identity = Arc::new(identity);
            *state
                .inner
                .identity
                .write()
                .unwrap_or_else(|p| p.into_inner()) = Arc::clone(&identity);
            state.status_cache().clear();
            Ok(identity)
        })
        .await
        .map_err(|e| AppError::internal(&e))?
    }
}

/// Runs the service on `listener` until `shutdown` resolves, then drains in-flight requests.
///
/// Refuses to start without an admin credential, with a damaged store, or with a key secret
/// that does not decrypt the keys.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let demo = config.demo_offer;
    let state = tokio::task::spawn_blocking(move || AppState::open(config, system_clock()))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    if demo {
        let offer = http::admin::seed_demo_offer(&state)
            .await
            .map_err(|e| Error::Io(std::io::Error::other(format!("demo offer: {e}"))))?;
        let path = state.config().data_dir.join("demo-offer.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&offer).unwrap_or_default())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        tracing::info!(path = %path.display(), "demo offer written");
    }
    let addr = listener.local_addr()?;
    tracing::info!(%addr, public_url = %state.config().issuer_url(), "issuer listening");
    let purger = tokio::spawn(purge_periodically(state.clone()));
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    purger.abort();
    served?;
    tracing::info!("issuer stopped");
    Ok(())
}

/// How often expired offers, grants and nonces are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// Purges expired data at start and every [`PURGE_INTERVAL`] (data minimisation).
async fn purge_periodically(state: AppState) {
    let mut interval = tokio::time::interval(PURGE_INTERVAL);
    loop {
        interval.tick().await;
        let now = state.now();
        match state.blocking(move |s| s.purge_expired(now)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(offers = n, "expired offers purged"),
            Err(e) => tracing::warn!(error = %e, "purging expired data failed"),
        }
    }
}

/// `issuer token create`: stores the hash of a fresh token and returns the token.
pub fn create_token_offline(
    data_dir: &std::path::Path,
    role: Role,
    label: &str,
    now: i64,
) -> Result<(String, zeroize::Zeroizing<String>), Error> {
    let store = RedbStore::open(data_dir)?;
    let token = auth::generate_token();
    let id = format!("tok_{}", &hex::encode(token_hash(&token))[..12]);
    let record = store::TokenRecord {
        id: id.clone(),
        role,
        label: label.to_owned(),
        created_at: now,
    };
    store.add_admin_token(
        token_hash(&token),
        &record,
        AuditDraft::new("cli", "token.create", Some(id.clone()))
            .details(serde_json::json!({ "role": role.as_str() })),
        now,
    )?;
    Ok((id, token))
}
