//! The library's error types. A verification *outcome* (verified or the failed checks) is not
//! an error; these are failures to carry a verification out at all, which callers treat as
//! "not verified".

/// The embedded store failed.
#[derive(Debug, thiserror::Error)]
#[error("storage error: {0}")]
pub struct StoreError(#[from] redb::Error);

macro_rules! store_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError(e.into())
            }
        }
    )*};
}
store_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
