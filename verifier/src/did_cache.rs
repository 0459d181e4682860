//! A bounded, time-limited cache of resolved DID documents in front of a `DidResolver`, so
//! that a did:web issuer's document is not fetched for every presentation. Failures are not
//! cached; the document's keys are still checked on every verification.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use did_methods::{DidDocument, DidResolver, ResolutionError};

type Entries = HashMap<String, (Instant, DidDocument)>;

/// Caches successful resolutions for `ttl`, at most `capacity` of them (oldest evicted).
pub struct CachingResolver {
    inner: Arc<dyn DidResolver>,
    entries: Mutex<Entries>,
    capacity: usize,
    ttl: Duration,
}

impl std::fmt::Debug for CachingResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingResolver")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl CachingResolver {
    /// A cache of `capacity` documents, each kept for `ttl`, in front of `inner`.
    pub fn new(inner: Arc<dyn DidResolver>, capacity: usize, ttl: Duration) -> Self {
        Self {
            inner,
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl DidResolver for CachingResolver {
    async fn resolve(&self, did: &str) -> Result<DidDocument, ResolutionError> {
        if let Some((at, doc)) = self.lock().get(did)
            && at.elapsed() < self.ttl
        {
            return Ok(doc.clone());
        }
        let doc = self.inner.resolve(did).await?;
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|_, (at, _)| at.elapsed() < ttl);
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
        entries.insert(did.to_owned(), (Instant::now(), doc.clone()));
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize, did_methods::UniversalResolver);

    #[async_trait::async_trait]
    impl DidResolver for Counting {
        async fn resolve(&self, did: &str) -> Result<DidDocument, ResolutionError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            self.1.resolve(did).await
        }
    }

    #[tokio::test]
    async fn documents_are_reused_failures_are_not_and_the_cache_is_bounded() {
        let counting = Arc::new(Counting(
            AtomicUsize::new(0),
            did_methods::UniversalResolver::offline(),
        ));
        let cache = CachingResolver::new(counting.clone(), 2, Duration::from_secs(60));
        let did = |seed: u8| {
            let key = credentials::Ed25519SigningKey::from_seed(&[seed; 32]);
            did_methods::DidKey::from_public_key(&credentials::Signer::public_key(&key))
                .did()
                .to_string()
        };
        cache.resolve(&did(1)).await.unwrap();
        cache.resolve(&did(1)).await.unwrap();
        assert_eq!(counting.0.load(Ordering::SeqCst), 1);
        assert!(cache.resolve("did:web:unsupported.example").await.is_err());
        assert!(cache.resolve("did:web:unsupported.example").await.is_err());
        assert_eq!(counting.0.load(Ordering::SeqCst), 3);
        cache.resolve(&did(2)).await.unwrap();
        cache.resolve(&did(3)).await.unwrap();
        assert_eq!(cache.lock().len(), 2);
        cache.resolve(&did(1)).await.unwrap();
        assert_eq!(counting.0.load(Ordering::SeqCst), 6);
    }
}
