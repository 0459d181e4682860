//! Links that open the app: `openid-credential-offer://` (an issuer offers a credential) and
//! `openid4vp://` (a verifier asks for a presentation).
//!
//! A link is only ever *held* here until the window asks for it: opening a link never
//! receives, shares or sends anything by itself. The holder sees what the link is about and
//! decides.

use std::sync::{Mutex, PoisonError};

use serde::Serialize;

/// The URL scheme of a credential offer (OpenID4VCI 1.0, section 4.1).
pub const CREDENTIAL_OFFER_SCHEME: &str = "openid-credential-offer";

/// The URL scheme of a presentation request (OpenID4VP 1.0, section 13.1.2).
pub const PRESENTATION_REQUEST_SCHEME: &str = "openid4vp";

/// The longest link accepted, in bytes. Requests passed by value fit comfortably; anything
/// longer is refused rather than held.
pub const MAX_LINK_BYTES: usize = 64 * 1024;

/// What a link asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// An issuer offers a credential.
    CredentialOffer,
    /// A verifier asks to see some claims.
    PresentationRequest,
}

/// A link that opened the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncomingLink {
    /// What it asks for.
    pub kind: LinkKind,
    /// The link as received.
    pub link: String,
}

/// Recognises a wallet link by its scheme (case-insensitive, as URL schemes are). Anything
/// else, and anything too long, is `None`.
pub fn classify(link: &str) -> Option<IncomingLink> {
    let link = link.trim();
    if link.len() > MAX_LINK_BYTES {
        return None;
    }
    let (scheme, rest) = link.split_once(':')?;
    if rest.is_empty() {
        return None;
    }
    let kind = if scheme.eq_ignore_ascii_case(CREDENTIAL_OFFER_SCHEME) {
        LinkKind::CredentialOffer
    } else if scheme.eq_ignore_ascii_case(PRESENTATION_REQUEST_SCHEME) {
        LinkKind::PresentationRequest
    } else {
        return None;
    };
    Some(IncomingLink {
        kind,
        link: link.to_owned(),
    })
}

/// The most recent link the platform handed to the app, until the window takes it.
#[derive(Debug, Default)]
pub struct PendingLink(Mutex<Option<IncomingLink>>);

impl PendingLink {
    /// Keeps `link` if it is a wallet link (replacing an older one nobody looked at).
    /// Returns what was kept.
    pub fn offer(&self, link: &str) -> Option<IncomingLink> {
        let incoming = classify(link)?;
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(incoming.clone());
        Some(incoming)
    }

    /// Takes the pending link, if any.
    pub fn take(&self) -> Option<IncomingLink> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_two_wallet_schemes_only() {
        let offer = classify(
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Fo%2F1",
        )
        .unwrap();
        assert_eq!(offer.kind, LinkKind::CredentialOffer);
        let request =
            classify("OpenID4VP://?client_id=x&request_uri=https%3A%2F%2Fv.example%2Fr").unwrap();
        assert_eq!(request.kind, LinkKind::PresentationRequest);
        for other in [
            "https://example.com",
            "openid-credential-offer:",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "",
        ] {
            assert_eq!(classify(other), None, "{other}");
        }
        let huge = format!("openid4vp://?request={}", "a".repeat(MAX_LINK_BYTES));
        assert_eq!(classify(&huge), None);
    }

    #[test]
    fn a_pending_link_is_taken_once() {
        let pending = PendingLink::default();
        assert!(pending.offer("https://not-a-wallet-link.example").is_none());
        assert!(pending.take().is_none());
        pending.offer("openid4vp://?request_uri=x").unwrap();
        assert_eq!(pending.take().unwrap().kind, LinkKind::PresentationRequest);
        assert!(pending.take().is_none());
    }
}
