//! Receiving credentials (OpenID4VCI) and sharing them (OpenID4VP), as intents.
//!
//! Each flow is split so that the holder decides before anything is stored or sent:
//! `open_offer` only reads the offer and shows who offers what; `accept_offer` receives,
//! verifies and stores. `prepare_presentation` fetches and verifies the request and plans the
//! minimal disclosure, keeping it under a random consent id; only `approve(consent_id)` sends,
//! and `decline(consent_id)` sends nothing. The page never sees the credential as issued or
//! the presentation, and cannot change what a consent id shares.
//!
//! Network work runs on the blocking thread pool, with the wallet checked out of the session
//! ([`crate::session::Session::check_out`]) so the window stays responsive meanwhile.

use rand_core::RngCore as _;
use serde::Serialize;
use tauri::{AppHandle, Manager as _, Runtime};
use wallet::net::{ReqwestHttp, did_resolver};

use crate::error::AppError;
use crate::links::{IncomingLink, LinkKind, classify};
use crate::session::Session;
use crate::view::{self, ConsentView, CredentialCard, OfferView, StatusCheck};

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `work` on the blocking pool with the app's session.
async fn blocking<R: Runtime, T: Send + 'static>(
    app: AppHandle<R>,
    work: impl FnOnce(&Session) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(move || work(&app.state::<Session>()))
        .await
        .map_err(|_| AppError::Internal)?
}

fn http() -> Result<ReqwestHttp, AppError> {
    ReqwestHttp::new().map_err(|_| AppError::Network)
}

/// Reads a wallet link from a QR code image (base64 of a PNG or JPEG file the holder picked).
#[tauri::command]
pub async fn read_qr_image(image: String) -> Result<IncomingLink, AppError> {
    tauri::async_runtime::spawn_blocking(move || crate::qr::link_from_image(&image))
        .await
        .map_err(|_| AppError::Internal)?
}

/// Recognises a pasted link: a credential offer or a presentation request.
#[tauri::command]
pub fn recognise_link(link: String) -> Result<IncomingLink, AppError> {
    classify(&link).ok_or(AppError::NotAWalletLink)
}

/// Reads a credential offer (fetching it if it is passed by reference) and shows who offers
/// what. Nothing is requested from the issuer yet.
#[tauri::command]
pub async fn open_offer<R: Runtime>(
    app: AppHandle<R>,
    link: String,
) -> Result<OfferView, AppError> {
    let incoming = classify(&link).ok_or(AppError::NotAWalletLink)?;
    if incoming.kind != LinkKind::CredentialOffer {
        return Err(AppError::NotAWalletLink);
    }
    blocking(app, move |session| {
        // Only an unlocked wallet opens offers.
        session.with_pending(|_, _| ())?;
        let policy = session.config().network;
        let http = http()?;
        let offer = tauri::async_runtime::block_on(wallet::receive::resolve_offer(
            &incoming.link,
            &http,
            policy,
        ))?;
        let offer_id = random_id();
        let shown = view::offer(offer_id.clone(), &offer);
        session.with_pending(|offers, _| {
            offers.insert(offer_id, offer);
        })?;
        Ok(shown)
    })
    .await
}

/// Accepts an offer opened with [`open_offer`]: receives its credentials, verifies them and
/// stores them. Answers the cards of what arrived. With a missing, malformed or refused
/// transaction code the offer stays open so the holder can try again.
#[tauri::command]
pub async fn accept_offer<R: Runtime>(
    app: AppHandle<R>,
    offer_id: String,
    tx_code: Option<String>,
) -> Result<Vec<CredentialCard>, AppError> {
    blocking(app, move |session| {
        let offer = session
            .with_pending(|offers, _| offers.get(&offer_id).cloned())?
            .ok_or(AppError::RequestGone)?;
        let config = session.config();
        let http = http()?;
        let resolver = did_resolver(config.network).map_err(|_| AppError::Network)?;
        let now = config.clock.wall();
        let mut out = session.check_out()?;
        let wallet = out.wallet()?;
        let result = tauri::async_runtime::block_on(wallet::receive::receive(
            wallet,
            &offer,
            tx_code.as_deref().map(str::trim).filter(|c| !c.is_empty()),
            &http,
            &resolver,
            config.network,
            &mut rand_core::OsRng,
            now,
        ));
        let received = match result {
            Ok(received) => received,
            Err(error) => {
                let error = AppError::from(error);
                // A code that does not fit, or one the issuer refused, can be typed again:
                // the offer stays open (the issuer decides whether its code is spent).
                if !matches!(
                    error,
                    AppError::TxCodeRequired | AppError::TxCodeInvalid | AppError::IssuerRefused
                ) {
                    drop(out);
                    let _ = session.with_pending(|offers, _| offers.remove(&offer_id));
                }
                return Err(error);
            }
        };
        let cards = received
            .iter()
            .filter_map(|r| {
                wallet
                    .credentials()
                    .iter()
                    .find(|c| c.id == r.id)
                    .map(|record| view::card(record, now))
            })
            .collect();
        drop(out);
        let _ = session.with_pending(|offers, _| offers.remove(&offer_id));
        Ok(cards)
    })
    .await
}

/// Checks one credential's status now ("Check status" on its card): asks the issuer's status
/// list (verified with the issuer's key, fail closed: an unreachable or unverifiable list is
/// "couldn't check", never valid) and reads its dates. Uses no key material and stores
/// nothing; the wallet stays usable meanwhile (only a copy of the record leaves it).
#[tauri::command]
pub async fn check_status<R: Runtime>(
    app: AppHandle<R>,
    credential_id: String,
) -> Result<StatusCheck, AppError> {
    blocking(app, move |session| {
        // Exact ids only, as for `credential`.
        let record = session.with_wallet(|wallet| {
            wallet
                .credentials()
                .iter()
                .find(|c| c.id.as_str() == credential_id)
                .cloned()
                .ok_or(AppError::UnknownCredential)
        })?;
        let config = session.config();
        let http = http()?;
        let resolver = did_resolver(config.network).map_err(|_| AppError::Network)?;
        let clock = config.clock.clone();
        let status = tauri::async_runtime::block_on(wallet::status::check_status(
            &record,
            &http,
            &resolver,
            config.network,
            move || clock.wall(),
        ));
        Ok(view::status_check(&status, config.clock.wall()))
    })
    .await
}

/// Forgets an opened offer without receiving anything.
#[tauri::command]
pub fn dismiss_offer(session: tauri::State<'_, Session>, offer_id: String) -> Result<(), AppError> {
    session.with_pending(|offers, _| {
        offers.remove(&offer_id);
    })
}

/// Fetches and verifies the request behind an `openid4vp://` link and plans the minimal
/// disclosure. Answers the consent screen; nothing is sent.
#[tauri::command]
pub async fn prepare_presentation<R: Runtime>(
    app: AppHandle<R>,
    link: String,
) -> Result<ConsentView, AppError> {
    let incoming = classify(&link).ok_or(AppError::NotAWalletLink)?;
    if incoming.kind != LinkKind::PresentationRequest {
        return Err(AppError::NotAWalletLink);
    }
    blocking(app, move |session| {
        session.with_pending(|_, _| ())?;
        let config = session.config();
        let http = http()?;
        let resolver = did_resolver(config.network).map_err(|_| AppError::Network)?;
        let request = tauri::async_runtime::block_on(wallet::present::fetch_request(
            &incoming.link,
            &http,
            &resolver,
            config.network,
            config.clock.wall(),
        ))?;
        let pending = session.with_wallet(|wallet| Ok(wallet::present::plan(wallet, request)?))?;
        let consent_id = random_id();
        let shown = view::consent(consent_id.clone(), pending.summary());
        session.with_pending(|_, consents| {
            consents.insert(consent_id, pending);
        })?;
        Ok(shown)
    })
    .await
}

/// The verifier's answer to an approved presentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shared {
    /// Who received it, shortened.
    pub verifier: String,
    /// Where the verifier asks the holder to continue, if it said (not opened by the app).
    pub continue_at: Option<String>,
}

/// The holder approved consent `consent_id`: sends exactly what its consent screen listed.
/// The outcome (sent or failed) is recorded in the history either way.
#[tauri::command]
pub async fn approve<R: Runtime>(
    app: AppHandle<R>,
    consent_id: String,
) -> Result<Shared, AppError> {
    blocking(app, move |session| {
        let pending = session
            .with_pending(|_, consents| consents.remove(&consent_id))?
            .ok_or(AppError::RequestGone)?;
        let verifier = view::short_identifier(&pending.summary().verifier.did);
        let http = http()?;
        let now = session.config().clock.wall();
        let mut out = session.check_out()?;
        let submitted = tauri::async_runtime::block_on(wallet::present::submit(
            out.wallet()?,
            pending,
            &http,
            now,
        ))?;
        Ok(Shared {
            verifier,
            continue_at: submitted.redirect_uri,
        })
    })
    .await
}

/// The holder declined consent `consent_id`: nothing is sent; the refusal is recorded in the
/// history.
#[tauri::command]
pub fn decline(session: tauri::State<'_, Session>, consent_id: String) -> Result<(), AppError> {
    let pending = session
        .with_pending(|_, consents| consents.remove(&consent_id))?
        .ok_or(AppError::RequestGone)?;
    let now = session.config().clock.wall();
    session.with_wallet(|wallet| Ok(wallet::present::decline(wallet, pending, now)?))
}
