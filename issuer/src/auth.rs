//! Admin authentication: bearer tokens compared in constant time against SHA-256 hashes,
//! roles, and a per-client limiter on failed attempts.
//!
//! Tokens are random (`isr_` + 64 hex characters) or the operator-chosen
//! `ISSUER_ADMIN_TOKEN` (at least 32 characters); only their SHA-256 is kept. Every stored
//! hash is compared, with `subtle`, without early exit. A client that failed too often in the
//! current minute is refused with `429` before its token is even looked at.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::store::Role;

/// SHA-256 of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh random token (shown once).
pub fn generate_token() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(format!("isr_{}", hex::encode(bytes.as_ref())))
}

/// A fixed-window counter per client address.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    entries: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// Entries kept before expired windows are swept.
const MAX_TRACKED_CLIENTS: usize = 100_000;

impl RateLimiter {
    /// `limit` events per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `client` may try again, if it is over the limit now.
    pub fn blocked(&self, client: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (start, count) = entries.get(&client)?;
        let elapsed = now.saturating_duration_since(*start);
        (elapsed < self.window && *count >= self.limit)
            .then(|| (self.window - elapsed).as_secs().max(1))
    }

    /// Records one event; returns the retry delay if this event is over the limit.
    pub fn hit(&self, client: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_TRACKED_CLIENTS {
            let window = self.window;
            entries.retain(|_, (start, _)| now.saturating_duration_since(*start) < window);
        }
        let entry = entries.entry(client).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        let elapsed = now.saturating_duration_since(entry.0);
        (entry.1 > self.limit).then(|| (self.window - elapsed.min(self.window)).as_secs().max(1))
    }
}

/// The client address (from the connection; `127.0.0.1`-less in-process tests use
/// the unspecified address).
pub fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// The bearer token of a request, if the header is well-formed.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// An authenticated admin API caller.
#[derive(Debug, Clone)]
pub struct AdminAuth {
    /// The token id (audit actor).
    pub actor: String,
    /// The role.
    pub role: Role,
}

impl AdminAuth {
    /// Refuses callers without the admin role.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::Forbidden,
                "this action needs the admin role",
            ))
        }
    }
}

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let client = client_ip(parts);
        if let Some(retry) = state.auth_limiter().blocked(client) {
            return Err(AppError::rate_limited(retry));
        }
        let presented = bearer(parts).map(token_hash);
        let matched = match presented {
            Some(hash) => state.match_token(&hash).await?,
            None => None,
        };
        match matched {
            Some(auth) => Ok(auth),
            None => {
                if let Some(retry) = state.auth_limiter().hit(client) {
                    tracing::warn!("admin authentication rate limit reached");
                    return Err(AppError::rate_limited(retry));
                }
                Err(AppError::new(
                    ErrorCode::Unauthorized,
                    "missing or invalid bearer token",
                ))
            }
        }
    }
}

/// Finds the token among `candidates` comparing every hash in constant time.
pub fn match_hash<T: Clone>(presented: &[u8; 32], candidates: &[([u8; 32], T)]) -> Option<T> {
    let mut found = None;
    for (hash, value) in candidates {
        if bool::from(hash.ct_eq(presented)) {
            found = Some(value.clone());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_blocks_after_the_limit_per_client() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.hit(a).is_none());
        }
        assert!(l.blocked(a).is_some());
        assert!(l.hit(a).is_some());
        assert!(l.blocked(b).is_none());
        assert!(l.hit(b).is_none());
    }

    #[test]
    fn limiter_window_resets() {
        let l = RateLimiter::new(1, Duration::from_millis(0));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..5 {
            assert!(l.hit(a).is_none());
        }
    }

    #[test]
    fn hashes_are_matched_against_all_candidates() {
        let cands = vec![(token_hash("a"), 1), (token_hash("b"), 2)];
        assert_eq!(match_hash(&token_hash("b"), &cands), Some(2));
        assert_eq!(match_hash(&token_hash("c"), &cands), None);
    }

    #[test]
    fn generated_tokens_are_long_and_distinct() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(*a, *b);
        assert_eq!(a.len(), 4 + 64);
    }
}
