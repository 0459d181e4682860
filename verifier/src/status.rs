//! Fetching status lists, with a bounded cache.
//!
//! The fetched bytes are cached, never a verdict: the signature and validity of a list are
//! checked on every use, so a cached list can only speed up a check, not skip it. Failures
//! are not cached. An unreachable list means the status is unavailable, and the pipeline
//! then answers "not verified" (`status_unavailable`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use did_methods::http::{HttpClient, HttpError};

/// The largest status list document fetched (a Token Status List of 2^20 entries at 8 bits
/// compresses far below this; Bitstring lists of the minimum size are ~16 KB uncompressed).
pub const MAX_STATUS_LIST_BYTES: usize = 2 * 1024 * 1024;

/// Why a status list could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusFetchError {
    /// Not an absolute URL.
    #[error("status list URL is invalid")]
    InvalidUrl,
    /// The transport failed or the target is not allowed.
    #[error("status list unreachable: {0}")]
    Http(#[from] HttpError),
    /// The server answered with a non-200 status.
    #[error("status list server answered {0}")]
    Status(u16),
}

/// Fetches a status list document by URL.
#[async_trait::async_trait]
pub trait StatusFetcher: Send + Sync {
    /// The document at `url`, at most [`MAX_STATUS_LIST_BYTES`].
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, StatusFetchError>;
}

/// Fetches over HTTP(S) with the guarded client of `did-methods`: no redirects, a size cap,
/// a timeout, and no connection to internal addresses (unless its dangerous loopback override
/// was chosen for local testing).
#[derive(Debug, Clone)]
pub struct HttpStatusFetcher<H> {
    http: H,
}

impl<H: HttpClient> HttpStatusFetcher<H> {
    /// A fetcher over `http`.
    pub fn new(http: H) -> Self {
        Self { http }
    }
}

#[async_trait::async_trait]
impl<H: HttpClient> StatusFetcher for HttpStatusFetcher<H> {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, StatusFetchError> {
        let url = url::Url::parse(url).map_err(|_| StatusFetchError::InvalidUrl)?;
        let response = self.http.get(&url, MAX_STATUS_LIST_BYTES).await?;
        if response.status != 200 {
            return Err(StatusFetchError::Status(response.status));
        }
        Ok(response.body)
    }
}

/// Cached documents by URL, with the time each was fetched.
type Entries = HashMap<String, (DateTime<Utc>, Arc<Vec<u8>>)>;

/// A bounded, time-limited cache in front of a [`StatusFetcher`].
pub struct StatusCache {
    fetcher: Arc<dyn StatusFetcher>,
    entries: Mutex<Entries>,
    capacity: usize,
    ttl: TimeDelta,
}

impl std::fmt::Debug for StatusCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusCache")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl StatusCache {
    /// At most `capacity` lists, each reused for at most `ttl`.
    pub fn new(fetcher: Arc<dyn StatusFetcher>, capacity: usize, ttl: TimeDelta) -> Self {
        Self {
            fetcher,
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            ttl,
        }
    }

    /// The list at `url`: from the cache if fetched less than `ttl` before `now`, else fetched
    /// (and cached, evicting the oldest entry when full).
    pub async fn get(
        &self,
        url: &str,
        now: DateTime<Utc>,
    ) -> Result<Arc<Vec<u8>>, StatusFetchError> {
        if let Some((at, body)) = self.lock().get(url)
            && now - *at < self.ttl
            && *at <= now
        {
            return Ok(body.clone());
        }
        let body = Arc::new(self.fetcher.fetch(url).await?);
        let mut entries = self.lock();
        entries.retain(|_, (at, _)| now - *at < self.ttl);
        while entries.len() >= self.capacity {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => entries.remove(&k),
                None => break,
            };
        }
        entries.insert(url.to_owned(), (now, body.clone()));
        Ok(body)
    }

    /// How many lists are cached.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    #[async_trait::async_trait]
    impl StatusFetcher for Counting {
        async fn fetch(&self, url: &str) -> Result<Vec<u8>, StatusFetchError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            if url.contains("down") {
                return Err(StatusFetchError::Status(503));
            }
            Ok(url.as_bytes().to_vec())
        }
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[tokio::test]
    async fn cache_is_bounded_expires_and_does_not_cache_failures() {
        let fetcher = Arc::new(Counting(AtomicUsize::new(0)));
        let cache = StatusCache::new(fetcher.clone(), 2, TimeDelta::seconds(60));
        cache.get("https://a", t(0)).await.unwrap();
        cache.get("https://a", t(10)).await.unwrap();
        assert_eq!(fetcher.0.load(Ordering::SeqCst), 1);
        cache.get("https://b", t(11)).await.unwrap();
        cache.get("https://c", t(12)).await.unwrap();
        assert_eq!(cache.len(), 2);
        // "a" was the oldest and was evicted.
        cache.get("https://a", t(13)).await.unwrap();
        assert_eq!(fetcher.0.load(Ordering::SeqCst), 4);
        // Past the TTL it is fetched again.
        cache.get("https://a", t(100)).await.unwrap();
        assert_eq!(fetcher.0.load(Ordering::SeqCst), 5);
        assert!(cache.get("https://down", t(100)).await.is_err());
        assert!(cache.get("https://down", t(101)).await.is_err());
        assert_eq!(fetcher.0.load(Ordering::SeqCst), 7);
    }
}
