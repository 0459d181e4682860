//! A stored credential's status checked on demand, against the in-memory issuer of
//! [`crate::receive`] (real signed status lists): revoked, suspended, valid, and an
//! unreachable or refused status list (never valid).

use async_trait::async_trait;
use did_methods::UniversalResolver;
use serde_json::Value;
use url::Url;
use wallet::net::{HttpResponse, NetError, NetworkPolicy, WalletHttp};
use wallet::status::{CredentialStatus, check_status};
use wallet::{CredentialRecord, Wallet};

use crate::receive::{FakeIssuer, offer, run};
use crate::support::*;

/// Receives one credential of `configuration` (status valid at receive time) into `w`.
async fn received(w: &mut Wallet, issuer: &FakeIssuer, configuration: &str) -> CredentialRecord {
    let mut o = offer(issuer, &issuer.offer_uri()).await;
    o.credential_configuration_ids = vec![configuration.into()];
    let got = run(w, issuer, &o, None).await.unwrap();
    w.credential(got[0].id.as_str()).unwrap().clone()
}

async fn check(record: &CredentialRecord, http: &dyn WalletHttp) -> CredentialStatus {
    check_status(
        record,
        http,
        &UniversalResolver::offline(),
        NetworkPolicy::default(),
        now(),
    )
    .await
}

/// The issuer's server is down: every request fails to connect.
struct Unreachable;

#[async_trait]
impl WalletHttp for Unreachable {
    async fn get(&self, _url: &Url, _accept: &str) -> Result<HttpResponse, NetError> {
        Err(NetError::Connect)
    }
    async fn post_form(&self, _url: &Url, _body: &str) -> Result<HttpResponse, NetError> {
        Err(NetError::Connect)
    }
    async fn post_json(
        &self,
        _url: &Url,
        _body: &Value,
        _bearer: Option<&str>,
    ) -> Result<HttpResponse, NetError> {
        Err(NetError::Connect)
    }
}

/// The issuer's server answers every request with 503.
struct ServerError;

#[async_trait]
impl WalletHttp for ServerError {
    async fn get(&self, _url: &Url, _accept: &str) -> Result<HttpResponse, NetError> {
        Ok(HttpResponse {
            status: 503,
            content_type: None,
            body: Vec::new(),
        })
    }
    async fn post_form(&self, url: &Url, _body: &str) -> Result<HttpResponse, NetError> {
        self.get(url, "").await
    }
    async fn post_json(
        &self,
        url: &Url,
        _body: &Value,
        _bearer: Option<&str>,
    ) -> Result<HttpResponse, NetError> {
        self.get(url, "").await
    }
}

#[tokio::test]
async fn the_issuers_status_list_is_asked_on_demand() {
    for configuration in ["pid_sd_jwt", "pid_ldp"] {
        let dir = tempfile::tempdir().unwrap();
        let mut w = new_wallet(&dir.path().join("vault"));
        let mut issuer = FakeIssuer::new();
        issuer.status = Some(0);
        let record = received(&mut w, &issuer, configuration).await;

        assert_eq!(
            check(&record, &issuer).await,
            CredentialStatus::Valid,
            "{configuration}"
        );

        // The issuer revokes it after it was received.
        issuer.status = Some(1);
        assert_eq!(
            check(&record, &issuer).await,
            CredentialStatus::Revoked,
            "{configuration}"
        );
    }
}

#[tokio::test]
async fn a_suspended_token_status_is_reported_as_suspended() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let mut issuer = FakeIssuer::new();
    issuer.status = Some(0);
    let record = received(&mut w, &issuer, "pid_sd_jwt").await;
    issuer.status = Some(2);
    assert_eq!(check(&record, &issuer).await, CredentialStatus::Suspended);
    // Lifted again.
    issuer.status = Some(0);
    assert_eq!(check(&record, &issuer).await, CredentialStatus::Valid);
}

#[tokio::test]
async fn an_unreachable_or_refused_status_list_is_never_valid() {
    for configuration in ["pid_sd_jwt", "pid_ldp"] {
        let dir = tempfile::tempdir().unwrap();
        let mut w = new_wallet(&dir.path().join("vault"));
        let mut issuer = FakeIssuer::new();
        issuer.status = Some(0);
        let record = received(&mut w, &issuer, configuration).await;

        let status = check(&record, &Unreachable).await;
        assert!(
            matches!(&status, CredentialStatus::Unknown(reason) if reason.contains("connection failed")),
            "{configuration}: {status:?}"
        );

        // The status list answers with an error: not valid either.
        let status = check(&record, &ServerError).await;
        assert!(
            matches!(&status, CredentialStatus::Unknown(reason) if reason.contains("HTTP 503")),
            "{configuration}: {status:?}"
        );

        // The issuer's list no longer matches what it signed (another issuer's URL): not
        // valid.
        issuer.base = "https://issuer.example/gone".into();
        let status = check(&record, &issuer).await;
        assert!(
            matches!(&status, CredentialStatus::Unknown(_)),
            "{configuration}: {status:?}"
        );
        if configuration == "pid_sd_jwt" {
            // Its status reference is signed inside the SD-JWT: nothing to rewrite below.
            continue;
        }

        // A status list URL the policy refuses (plain http to a public host): not fetched.
        let mut insecure = record.clone();
        let text = insecure
            .credential
            .to_string()
            .replace("https://issuer.example", "http://issuer.example");
        insecure.credential = serde_json::from_str(&text).unwrap();
        let status = check(&insecure, &issuer).await;
        assert!(
            matches!(&status, CredentialStatus::Unknown(reason) if reason.contains("refused")),
            "{configuration}: {status:?}"
        );
    }
}

#[tokio::test]
async fn dates_are_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = new_wallet(&dir.path().join("vault"));
    let mut issuer = FakeIssuer::new();
    issuer.status = Some(0);
    let record = received(&mut w, &issuer, "pid_ldp").await;
    let mut expired = record.clone();
    expired.credential["validUntil"] = "2020-01-01T00:00:00Z".into();
    assert_eq!(check(&expired, &issuer).await, CredentialStatus::Expired);
    let mut future = record;
    future.credential["validFrom"] = "2099-01-01T00:00:00Z".into();
    assert_eq!(check(&future, &issuer).await, CredentialStatus::NotYetValid);
    // Revocation is still reported over the dates.
    issuer.status = Some(1);
    assert_eq!(check(&expired, &issuer).await, CredentialStatus::Revoked);
}
