//! Receive and present, as far as they go without an issuer or verifier service: links and
//! QR codes are recognised, offers are read and shown, nothing is fetched from refused
//! addresses, transaction codes are checked before anything is sent, and consent ids are
//! single-use and forgotten when the wallet locks. (Receiving from a real issuer and
//! presenting to a real verifier are end-to-end tests against the services.)

use base64::Engine as _;
use serde_json::{Value, json};

use crate::{PASSPHRASE, TestApp};

/// A credential offer by value (no fetch needed), with a 4-digit transaction code.
fn offer_link(issuer: &str, with_grant: bool) -> String {
    let mut offer = json!({
        "credential_issuer": issuer,
        "credential_configuration_ids": ["AgeCredential"],
    });
    if with_grant {
        offer["grants"] = json!({
            "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                "pre-authorized_code": "SplxlOBeZQQYbYS6WxSbIA",
                "tx_code": {"input_mode": "numeric", "length": 4, "description": "Sent to you by email"}
            }
        });
    }
    let encoded: String = url_encode(&offer.to_string());
    format!("openid-credential-offer://?credential_offer={encoded}")
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn unlocked() -> (tempfile::TempDir, TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    app.create();
    (dir, app)
}

#[test]
fn pasted_links_are_recognised_by_scheme() {
    let (_dir, app) = unlocked();
    let offer = offer_link("https://issuer.example.com", true);
    assert_eq!(
        app.call("recognise_link", json!({"link": format!("  {offer} ")}))
            .unwrap()["kind"],
        "credential_offer"
    );
    assert_eq!(
        app.call(
            "recognise_link",
            json!({"link": "openid4vp://?client_id=x&request_uri=https%3A%2F%2Fv.example%2Fr"})
        )
        .unwrap()["kind"],
        "presentation_request"
    );
    for other in ["https://example.com", "hello", "javascript:alert(1)"] {
        assert_eq!(
            app.error_code("recognise_link", json!({"link": other})),
            "not_a_wallet_link"
        );
    }
}

#[test]
fn an_offer_is_shown_before_anything_is_requested_and_its_code_is_checked_first() {
    let (_dir, app) = unlocked();
    let shown = app
        .call(
            "open_offer",
            json!({"link": offer_link("https://issuer.example.com/tenant", true)}),
        )
        .unwrap();
    assert_eq!(shown["issuer"], "issuer.example.com");
    assert_eq!(shown["issuer_id"], "https://issuer.example.com/tenant");
    assert_eq!(shown["credentials"], json!(["Age credential"]));
    assert_eq!(
        shown["tx_code"],
        json!({"numeric": true, "length": 4, "description": "Sent to you by email"})
    );
    let offer_id = shown["offer_id"].as_str().unwrap().to_owned();

    // The code is checked against the offer before anything is sent; the offer stays open.
    let accept =
        |code: Value| app.error_code("accept_offer", json!({"offerId": offer_id, "txCode": code}));
    assert_eq!(accept(Value::Null), "tx_code_required");
    assert_eq!(accept(json!("")), "tx_code_required");
    assert_eq!(accept(json!("12")), "tx_code_invalid");
    assert_eq!(accept(json!("12a4")), "tx_code_invalid");

    app.call("dismiss_offer", json!({"offerId": offer_id}))
        .unwrap();
    assert_eq!(accept(json!("1234")), "request_gone");
    assert_eq!(app.call("credentials", json!({})).unwrap(), json!([]));
}

#[test]
fn offers_with_refused_addresses_or_missing_parts_are_not_used() {
    let (_dir, app) = unlocked();
    // Plain http (and private addresses) are refused without contacting them.
    for issuer in [
        "http://issuer.example.com",
        "https://10.0.0.1",
        "https://127.0.0.1:8443",
    ] {
        assert_eq!(
            app.error_code("open_offer", json!({"link": offer_link(issuer, true)})),
            "address_refused",
            "{issuer}"
        );
    }
    let by_reference = format!(
        "openid-credential-offer://?credential_offer_uri={}",
        url_encode("http://127.0.0.1:9/offer")
    );
    assert_eq!(
        app.error_code("open_offer", json!({"link": by_reference})),
        "address_refused"
    );
    assert_eq!(
        app.error_code(
            "open_offer",
            json!({"link": offer_link("https://issuer.example.com", false)})
        ),
        "offer_unusable"
    );
    // A presentation request is not an offer, and the other way round.
    assert_eq!(
        app.error_code(
            "open_offer",
            json!({"link": "openid4vp://?client_id=x&request_uri=https%3A%2F%2Fv.example%2Fr"})
        ),
        "not_a_wallet_link"
    );
    assert_eq!(
        app.error_code(
            "prepare_presentation",
            json!({"link": offer_link("https://issuer.example.com", true)})
        ),
        "not_a_wallet_link"
    );
}

#[test]
fn presentation_requests_from_refused_addresses_are_not_fetched() {
    let (_dir, app) = unlocked();
    for request_uri in [
        "http://verifier.example.com/request/1",
        "https://192.168.1.10/request/1",
    ] {
        let link = format!(
            "openid4vp://?client_id={}&request_uri={}",
            url_encode("decentralized_identifier:did:web:verifier.example.com"),
            url_encode(request_uri)
        );
        assert_eq!(
            app.error_code("prepare_presentation", json!({"link": link})),
            "address_refused",
            "{request_uri}"
        );
    }
    assert_eq!(
        app.error_code(
            "prepare_presentation",
            json!({"link": "openid4vp://?client_id=only"})
        ),
        "not_a_wallet_link"
    );
    assert_eq!(app.call("history", json!({})).unwrap(), json!([]));
}

#[test]
fn consent_ids_cannot_be_guessed_or_reused_and_locking_forgets_pending_offers() {
    let (_dir, app) = unlocked();
    for command in ["approve", "decline"] {
        assert_eq!(
            app.error_code(command, json!({"consentId": "0000"})),
            "request_gone"
        );
    }
    let shown = app
        .call(
            "open_offer",
            json!({"link": offer_link("https://issuer.example.com", true)}),
        )
        .unwrap();
    let offer_id = shown["offer_id"].as_str().unwrap().to_owned();
    app.call("lock", json!({})).unwrap();
    assert_eq!(
        app.error_code(
            "open_offer",
            json!({"link": offer_link("https://issuer.example.com", true)})
        ),
        "locked"
    );
    assert_eq!(
        app.error_code("approve", json!({"consentId": "0000"})),
        "locked"
    );
    app.call("unlock", json!({"passphrase": PASSPHRASE}))
        .unwrap();
    assert_eq!(
        app.error_code(
            "accept_offer",
            json!({"offerId": offer_id, "txCode": "1234"})
        ),
        "request_gone"
    );
    assert_eq!(app.call("history", json!({})).unwrap(), json!([]));
}

fn qr_png(content: &str) -> String {
    let code = qrcode::QrCode::new(content.as_bytes()).unwrap();
    let width = code.width();
    let colors = code.to_colors();
    let scale = 6;
    let side = u32::try_from((width + 8) * scale).unwrap();
    let image = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x as usize / scale, y as usize / scale);
        let dark = (4..width + 4).contains(&mx)
            && (4..width + 4).contains(&my)
            && colors[(my - 4) * width + (mx - 4)] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(&png)
}

#[test]
fn a_qr_code_image_gives_its_wallet_link() {
    let (_dir, app) = unlocked();
    let link = "openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Av.example&request_uri=https%3A%2F%2Fv.example%2Fr%2F1";
    let found = app
        .call("read_qr_image", json!({"image": qr_png(link)}))
        .unwrap();
    assert_eq!(found, json!({"kind": "presentation_request", "link": link}));
    assert_eq!(
        app.error_code(
            "read_qr_image",
            json!({"image": qr_png("https://example.com")})
        ),
        "not_a_wallet_link"
    );
    let text = base64::engine::general_purpose::STANDARD.encode(b"GIF89a not really");
    assert_eq!(
        app.error_code("read_qr_image", json!({"image": text})),
        "not_an_image"
    );
}

/// An SD-JWT VC record whose status list is at `status_uri`, from a did:key issuer (resolved
/// without the network). Only its issuer-signed payload is read by a status check.
fn store_with_status_list(app: &TestApp, status_uri: &str) -> String {
    let b64 = |v: Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    let issuer_key = credentials::Ed25519SigningKey::from_seed(&[9; 32]);
    let issuer = wallet::DidMethod::Key.did(&credentials::Signer::public_key(&issuer_key));
    let text = format!(
        "{}.{}.c2ln~",
        b64(json!({"alg": "EdDSA", "typ": "dc+sd-jwt"})),
        b64(json!({
            "iss": issuer,
            "vct": "urn:age",
            "status": {"status_list": {"idx": 3, "uri": status_uri}},
        })),
    );
    let mut wallet = wallet::Wallet::open(
        &app.vault_path(),
        &wallet::Passphrase::new(PASSPHRASE.into()),
        &wallet::VaultConfig::insecure_for_tests(),
    )
    .unwrap();
    let id = wallet
        .store_credential(
            wallet::NewCredential {
                format: wallet::CredentialFormat::DcSdJwt,
                credential: Value::String(text),
                issuer,
                types: vec!["urn:age".into()],
                claims: json!({"vct": "urn:age", "age_over_18": true}),
                holder_key: None,
            },
            &mut rand_core::OsRng,
            chrono::Utc::now(),
        )
        .unwrap();
    wallet.lock();
    id.as_str().to_owned()
}

#[test]
fn check_status_answers_in_words_and_never_says_valid_when_it_could_not_check() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, _) = crate::commands::seed_vault(dir.path());
    let app = TestApp::new(dir.path());
    // Status lists on an address the wallet does not contact (loopback over https is refused
    // by the default policy) and on a host that does not exist.
    let refused = store_with_status_list(&app, "https://127.0.0.1/statuslists/1");
    let unreachable = store_with_status_list(&app, "https://status.invalid/statuslists/1");

    // Locked: nothing is checked.
    assert_eq!(
        app.error_code("check_status", json!({"credentialId": plain.as_str()})),
        "locked"
    );
    app.call("unlock", json!({"passphrase": PASSPHRASE}))
        .unwrap();

    // No status list and within its dates: valid, checked now.
    let answer = app
        .call("check_status", json!({"credentialId": plain.as_str()}))
        .unwrap();
    assert_eq!(answer["status"], "valid");
    assert_eq!(answer["message"], "Valid — checked just now");
    assert_eq!(answer["checked_at"], "2026-06-01T12:00:00Z");

    let answer = app
        .call("check_status", json!({"credentialId": refused}))
        .unwrap();
    assert_eq!(answer["status"], "unknown", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("Couldn't check"),
        "{answer}"
    );

    let answer = app
        .call("check_status", json!({"credentialId": unreachable}))
        .unwrap();
    assert_eq!(answer["status"], "unknown", "{answer}");
    assert_eq!(
        answer["message"],
        "Couldn't check: the issuer's status list is unreachable"
    );

    // Exact ids only.
    assert_eq!(
        app.error_code(
            "check_status",
            json!({"credentialId": &plain.as_str()[..6]})
        ),
        "unknown_credential"
    );
}
