#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests of the wallet library and the `wallet` binary.

mod cli;
mod keys;
mod kill;
mod present;
mod receive;
mod status;
mod support;
mod vault;

/// The flows' futures are `Send`, so an async host (the desktop app's command handlers, a
/// multi-threaded runtime) can await them. A compile-time check: this fails to build if a
/// future stops being `Send`.
#[allow(dead_code)]
fn flows_are_send(
    wallet: &mut wallet::Wallet,
    http: &dyn wallet::net::WalletHttp,
    resolver: &dyn did_methods::DidResolver,
    offer: &wallet::receive::CredentialOffer,
    pending: wallet::present::PendingPresentation,
) {
    fn is_send<T: Send>(_: &T) {}
    let policy = wallet::net::NetworkPolicy::default();
    let now = chrono::Utc::now();
    is_send(&wallet::present::fetch_request(
        "", http, resolver, policy, now,
    ));
    is_send(&wallet::receive::resolve_offer("", http, policy));
    {
        let mut rng = rand_core::OsRng;
        is_send(&wallet::receive::receive(
            wallet, offer, None, http, resolver, policy, &mut rng, now,
        ));
    }
    is_send(&wallet::present::submit(wallet, pending, http, now));
}
