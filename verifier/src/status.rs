//! Fetching status lists, with a bounded cache that is revalidated on every use.
//!
//! The fetched bytes are cached, never a verdict: the signature and validity of a list are
//! checked on every use. A cached list is never used without asking its server first: every
//! lookup is a conditional GET (`If-None-Match` with the cached `ETag`, RFC 9110 section
//! 13.1.2), and the cached bytes are used only when the server answers `304 Not Modified`.
//! So a revocation is seen by the very next verification after the issuer published it,
//! whatever the list's `ttl` (decision 0807). A list served without an `ETag` is not cached
//! at all. Failures are not cached, and a failed revalidation never falls back to the cached
//! copy: an unreachable list means the status is unavailable, and the pipeline then answers
//! "not verified" (`status_unavailable`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use did_methods::http::{HttpClient, HttpError, MAX_ETAG_LEN};

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
    /// The server answered with a status other than 200 (or a 304 to a request that had
    /// no cached copy to confirm).
    #[error("status list server answered {0}")]
    Status(u16),
}

/// The answer to a conditional fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The current document, and its entity tag if the server gave one.
    Modified {
        /// The document, at most [`MAX_STATUS_LIST_BYTES`].
        body: Vec<u8>,
        /// The `ETag` to revalidate it with next time.
        etag: Option<String>,
    },
    /// `304 Not Modified`: the document with the entity tag that was sent is still current.
    NotModified,
}

/// Fetches a status list document by URL.
#[async_trait::async_trait]
pub trait StatusFetcher: Send + Sync {
    /// The document at `url`, at most [`MAX_STATUS_LIST_BYTES`].
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, StatusFetchError>;

    /// The document at `url` unless its current entity tag is `etag` (a conditional GET with
    /// `If-None-Match`), in which case [`Fetched::NotModified`].
    ///
    /// The default fetches unconditionally and reports no tag, so nothing is cached for a
    /// fetcher that does not implement this: every verification then gets the list anew.
    async fn fetch_if_modified(
        &self,
        url: &str,
        etag: Option<&str>,
    ) -> Result<Fetched, StatusFetchError> {
        let _ = etag;
        Ok(Fetched::Modified {
            body: self.fetch(url).await?,
            etag: None,
        })
    }
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
        let url = url::Url::parse(url).map_err(|_| StatusFetchError::InvalidUrl)?;
        let response = self
            .http
            .get_if_none_match(&url, MAX_STATUS_LIST_BYTES, etag)
            .await?;
        match response.status {
            200 => Ok(Fetched::Modified {
                body: response.body,
                etag: response.etag,
            }),
            // Only an answer to our own condition: a 304 to an unconditional request is not
            // a document.
            304 if etag.is_some() => Ok(Fetched::NotModified),
            other => Err(StatusFetchError::Status(other)),
        }
    }
}

/// A cached document: its entity tag, the bytes, and when it was last fetched or confirmed.
struct Entry {
    etag: String,
    body: Arc<Vec<u8>>,
    confirmed_at: DateTime<Utc>,
}

/// A bounded cache of status list documents in front of a [`StatusFetcher`]; every lookup is
/// revalidated with the server (see the module documentation).
pub struct StatusCache {
    fetcher: Arc<dyn StatusFetcher>,
    entries: Mutex<HashMap<String, Entry>>,
    capacity: usize,
    idle: TimeDelta,
}

impl std::fmt::Debug for StatusCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusCache")
            .field("capacity", &self.capacity)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl StatusCache {
    /// At most `capacity` lists (the least recently confirmed is dropped first), each dropped
    /// once it has not been fetched or confirmed for `idle`. `idle` bounds memory only: a
    /// cached list is never used without the server confirming it first.
    pub fn new(fetcher: Arc<dyn StatusFetcher>, capacity: usize, idle: TimeDelta) -> Self {
        Self {
            fetcher,
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            idle,
        }
    }

    /// The current list at `url`: always asked of the server, with the cached copy's `ETag`
    /// if there is one; the cached bytes are returned only on `304 Not Modified`. A failed
    /// fetch is an error (and drops the cached copy), never the stale copy. `now` only dates
    /// the entries, for eviction.
    pub async fn get(
        &self,
        url: &str,
        now: DateTime<Utc>,
    ) -> Result<Arc<Vec<u8>>, StatusFetchError> {
        let cached = self
            .lock()
            .get(url)
            .map(|e| (e.etag.clone(), e.body.clone()));
        let etag = cached.as_ref().map(|(etag, _)| etag.as_str());
        let fetched = match self.fetcher.fetch_if_modified(url, etag).await {
            Ok(fetched) => fetched,
            Err(e) => {
                self.lock().remove(url);
                return Err(e);
            }
        };
        let (body, etag) = match (fetched, cached) {
            (Fetched::NotModified, Some((etag, body))) => (body, Some(etag)),
            // A 304 with nothing cached (the fetcher answered a condition we did not send).
            (Fetched::NotModified, None) => return Err(StatusFetchError::Status(304)),
            (Fetched::Modified { body, etag }, _) => (Arc::new(body), etag),
        };
        let mut entries = self.lock();
        match etag.filter(|e| !e.is_empty() && e.len() <= MAX_ETAG_LEN) {
            Some(etag) => {
                entries.retain(|_, e| now - e.confirmed_at < self.idle);
                if !entries.contains_key(url) {
                    while entries.len() >= self.capacity {
                        let oldest = entries
                            .iter()
                            .min_by_key(|(_, e)| e.confirmed_at)
                            .map(|(k, _)| k.clone());
                        match oldest {
                            Some(k) => entries.remove(&k),
                            None => break,
                        };
                    }
                }
                entries.insert(
                    url.to_owned(),
                    Entry {
                        etag,
                        body: body.clone(),
                        confirmed_at: now,
                    },
                );
            }
            // Nothing to revalidate with: keep nothing (an older copy is now outdated).
            None => {
                entries.remove(url);
            }
        }
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Serves `url` as the document, with an `ETag` of `"v<version>"`, except for URLs
    /// containing "down" (503) or "plain" (no `ETag`). Counts full answers and 304s.
    #[derive(Default)]
    struct Server {
        version: AtomicUsize,
        full: AtomicUsize,
        not_modified: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl StatusFetcher for Server {
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
            if url.contains("down") {
                return Err(StatusFetchError::Status(503));
            }
            let version = self.version.load(Ordering::SeqCst);
            let current = format!("\"v{version}\"");
            if etag == Some(current.as_str()) {
                self.not_modified.fetch_add(1, Ordering::SeqCst);
                return Ok(Fetched::NotModified);
            }
            self.full.fetch_add(1, Ordering::SeqCst);
            Ok(Fetched::Modified {
                body: format!("{url} {version}").into_bytes(),
                etag: (!url.contains("plain")).then_some(current),
            })
        }
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn counts(server: &Server) -> (usize, usize) {
        (
            server.full.load(Ordering::SeqCst),
            server.not_modified.load(Ordering::SeqCst),
        )
    }

    #[tokio::test]
    async fn every_lookup_revalidates_and_a_304_reuses_the_cached_bytes() {
        let server = Arc::new(Server::default());
        let cache = StatusCache::new(server.clone(), 4, TimeDelta::seconds(600));
        let first = cache.get("https://a", t(0)).await.unwrap();
        assert_eq!(first.as_slice(), b"https://a 0");
        assert_eq!(counts(&server), (1, 0));
        // Unchanged: the server is asked and answers 304; the very same bytes are used.
        let again = cache.get("https://a", t(1)).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(counts(&server), (1, 1));
        // Changed at the server: the next lookup has the new list, without waiting.
        server.version.store(1, Ordering::SeqCst);
        let changed = cache.get("https://a", t(2)).await.unwrap();
        assert_eq!(changed.as_slice(), b"https://a 1");
        assert_eq!(counts(&server), (2, 1));
    }

    #[tokio::test]
    async fn a_failed_revalidation_is_an_error_never_the_cached_copy() {
        struct Flaky {
            up: std::sync::atomic::AtomicBool,
        }
        #[async_trait::async_trait]
        impl StatusFetcher for Flaky {
            async fn fetch(&self, _: &str) -> Result<Vec<u8>, StatusFetchError> {
                Err(StatusFetchError::Status(500))
            }
            async fn fetch_if_modified(
                &self,
                _: &str,
                _: Option<&str>,
            ) -> Result<Fetched, StatusFetchError> {
                if self.up.load(Ordering::SeqCst) {
                    Ok(Fetched::Modified {
                        body: b"list".to_vec(),
                        etag: Some("\"1\"".into()),
                    })
                } else {
                    Err(StatusFetchError::Http(HttpError::Timeout))
                }
            }
        }
        let server = Arc::new(Flaky {
            up: std::sync::atomic::AtomicBool::new(true),
        });
        let cache = StatusCache::new(server.clone(), 4, TimeDelta::seconds(600));
        cache.get("https://a", t(0)).await.unwrap();
        assert_eq!(cache.len(), 1);
        server.up.store(false, Ordering::SeqCst);
        assert_eq!(
            cache.get("https://a", t(1)).await,
            Err(StatusFetchError::Http(HttpError::Timeout))
        );
        assert!(cache.is_empty(), "the unconfirmed copy is dropped");
    }

    #[tokio::test]
    async fn cache_is_bounded_drops_idle_entries_and_keeps_nothing_without_an_etag() {
        let server = Arc::new(Server::default());
        let cache = StatusCache::new(server.clone(), 2, TimeDelta::seconds(60));
        cache.get("https://a", t(0)).await.unwrap();
        cache.get("https://b", t(11)).await.unwrap();
        cache.get("https://c", t(12)).await.unwrap();
        assert_eq!(cache.len(), 2);
        // "a" was the least recently confirmed and was dropped: a full fetch again.
        cache.get("https://a", t(13)).await.unwrap();
        assert_eq!(counts(&server), (4, 0));
        assert_eq!(cache.len(), 2);
        // Idle past 60 s: dropped when something else is stored.
        cache.get("https://d", t(100)).await.unwrap();
        assert_eq!(cache.len(), 1);
        // A list without an ETag cannot be revalidated, so it is never kept.
        cache.get("https://plain", t(100)).await.unwrap();
        cache.get("https://plain", t(101)).await.unwrap();
        assert_eq!(counts(&server), (7, 0));
        assert_eq!(cache.len(), 1);
        // Failures are not cached.
        assert!(cache.get("https://down", t(100)).await.is_err());
        assert!(cache.get("https://down", t(101)).await.is_err());
        assert_eq!(cache.len(), 1);
    }

    #[tokio::test]
    async fn a_304_without_a_cached_copy_is_refused() {
        struct Always304;
        #[async_trait::async_trait]
        impl StatusFetcher for Always304 {
            async fn fetch(&self, _: &str) -> Result<Vec<u8>, StatusFetchError> {
                Err(StatusFetchError::Status(304))
            }
            async fn fetch_if_modified(
                &self,
                _: &str,
                _: Option<&str>,
            ) -> Result<Fetched, StatusFetchError> {
                Ok(Fetched::NotModified)
            }
        }
        let cache = StatusCache::new(Arc::new(Always304), 4, TimeDelta::seconds(60));
        assert_eq!(
            cache.get("https://a", t(0)).await,
            Err(StatusFetchError::Status(304))
        );
    }
}
