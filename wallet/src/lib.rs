//! The holder's wallet: keys that never leave it, credentials, and a history of what was
//! shared with whom, in one encrypted file.
//!
//! - [`vault`]: the encrypted container (Argon2id + XChaCha20-Poly1305, header as associated
//!   data, bounded KDF parameters).
//! - [`storage`]: atomic writes, the single-writer lock, the failed-unlock throttle.
//! - [`wallet`]: [`Wallet`], the unlocked vault: holder keys, credentials, history, passphrase
//!   change, backup export and import.
//! - [`holder`]: holder keys, their did:key / did:jwk identifiers, and [`HolderSigner`].
//! - [`clock`]: the injected clock the flows read at each check.
//! - [`contents`]: the records the vault holds.
//! - [`display`]: escaping text from issuers and verifiers before it is shown.
//! - [`net`]: which URLs the wallet may contact, and the HTTP trait the flows use.
//! - [`receive`]: OpenID4VCI 1.0 (pre-authorized code): offer, token, nonce, proof,
//!   credential, verified before it is stored.
//! - [`present`]: OpenID4VP 1.0 with DCQL: verified request, minimal disclosure, consent
//!   summary, then (only after approval) the presentation posted with `direct_post`.
//! - [`status`]: a stored credential's status checked on demand (its status list, verified as
//!   at receive time, and its dates).
//!
//! The CLI (`src/main.rs`) and the desktop app are thin layers over this library.

#![forbid(unsafe_code)]

pub mod clock;
pub mod contents;
pub mod display;
pub mod error;
pub mod holder;
pub mod net;
pub mod passphrase;
pub mod present;
pub mod receive;
pub mod status;
pub mod storage;
pub mod vault;
pub mod wallet;

pub use contents::{
    CredentialFormat, CredentialId, CredentialRecord, NewCredential, PresentationOutcome,
    PresentationRecord, SharedCredential,
};
pub use error::WalletError;
pub use holder::{DidMethod, HolderKey, HolderSigner, KeyId};
pub use passphrase::Passphrase;
pub use storage::{Throttle, failed_unlock_attempts};
pub use vault::{FileKind, KdfParams, KdfPolicy};
pub use wallet::{Summary, VaultConfig, Wallet};
