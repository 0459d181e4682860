//! The OpenID4VCI pre-authorized code flow end to end, and its refusals.

use axum::http::{Method, StatusCode};
use chrono::Utc;
use credentials::Signer as _;
use credentials::data_integrity::{self, VerifyOptions as DiOptions};
use credentials::sd_jwt::{IssuerKey, KeyBindingPolicy, SdJwt, VerifyOptions, verify};
use serde_json::{Map, json};

use crate::common::*;

#[tokio::test]
async fn sd_jwt_flow_issues_a_credential_the_shared_verifier_accepts() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(7);
    let (credential, offer) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
    let sd_jwt = credential.as_str().unwrap();

    let resolver = resolver();
    let result = verify(
        sd_jwt,
        IssuerKey::Resolver(&resolver),
        &VerifyOptions::sd_jwt_vc(Utc::now(), KeyBindingPolicy::NotRequired),
    )
    .unwrap();
    assert!(result.is_verified(), "{:?}", result.report());
    let claims = result.claims().unwrap();
    assert_eq!(claims["iss"], issuer.did());
    assert_eq!(claims["given_name"], "Ada");
    assert_eq!(claims["birth_date"], "1990-12-10");
    assert_eq!(claims["age_over_18"], true);
    assert_eq!(claims["age_over_65"], false);
    assert_eq!(claims["vct"], format!("{PUBLIC_URL}/vct/proof_of_age"));
    // The holder key from the proof is the cnf.
    assert_eq!(result.holder_key().unwrap(), &wallet.key.public_key());
    // A status entry was assigned.
    let status = result.status_list().unwrap();
    assert!(
        status
            .uri
            .starts_with(&format!("{PUBLIC_URL}/status/token/"))
    );

    // Each personal claim and each age_over_NN is separately disclosable.
    let parsed = SdJwt::parse(sd_jwt).unwrap();
    let paths: Vec<String> = parsed
        .disclosable_paths()
        .unwrap()
        .iter()
        .map(|p| p.to_string())
        .collect();
    for name in [
        "given_name",
        "family_name",
        "birth_date",
        "age_over_18",
        "age_over_21",
        "age_over_65",
    ] {
        assert!(
            paths.iter().any(|p| p.contains(name)),
            "{name} not disclosable: {paths:?}"
        );
    }
    // Only age_over_18 disclosed: nothing else leaks.
    let only_age = parsed
        .present(&[credentials::sd_jwt::ClaimPath::keys(["age_over_18"])])
        .unwrap();
    let r = verify(
        &only_age,
        IssuerKey::Resolver(&resolver),
        &VerifyOptions::sd_jwt_vc(Utc::now(), KeyBindingPolicy::NotRequired),
    )
    .unwrap();
    let c = r.claims().unwrap();
    assert_eq!(c["age_over_18"], true);
    assert!(!c.contains_key("given_name") && !c.contains_key("birth_date"));

    // The offer is now issued and its claims are gone; the record keeps no claim values.
    let o = issuer
        .admin_get(&format!("/admin/offers/{}", offer["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(o["state"], "issued");
    let list = issuer.admin_get("/admin/credentials").await;
    assert!(!list.text().contains("Lovelace") && !list.text().contains("1990-12-10"));
    let rec = &list.json()["credentials"][0];
    assert_eq!(rec["format"], "dc+sd-jwt");
    assert_eq!(rec["status"], "active");
    assert_eq!(
        rec["holder"],
        format!(
            "urn:ietf:params:oauth:jwk-thumbprint:sha-256:{}",
            wallet.key.public_key().jwk_thumbprint()
        )
    );
}

#[tokio::test]
async fn ldp_vc_flow_issues_an_age_only_credential_about_the_holder_did() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(8);
    let (credential, _) = issue_via_oid4vci(&issuer, "proof_of_age_ldp_vc", &wallet).await;
    let report =
        data_integrity::verify_credential(&credential, &resolver(), &DiOptions::new(Utc::now()))
            .unwrap();
    assert!(report.is_verified(), "{report:?}");
    assert_eq!(credential["issuer"], issuer.did());
    let subject = credential["credentialSubject"].as_object().unwrap();
    assert_eq!(subject["id"], wallet.did_key().did().as_str());
    let mut names: Vec<&String> = subject.keys().collect();
    names.sort();
    assert_eq!(names, ["age_over_18", "age_over_21", "age_over_65", "id"]);
    assert_eq!(credential["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    let status = credential["credentialStatus"].as_array().unwrap();
    assert_eq!(status.len(), 2);
    assert_eq!(status[0]["statusPurpose"], "revocation");
    assert_eq!(status[1]["statusPurpose"], "suspension");
    // Tampering breaks the proof.
    let mut forged = credential.clone();
    forged["credentialSubject"]["age_over_65"] = json!(true);
    let report =
        data_integrity::verify_credential(&forged, &resolver(), &DiOptions::new(Utc::now()))
            .unwrap();
    assert!(!report.is_verified());
}

#[tokio::test]
async fn ldp_vc_with_a_bare_jwk_uses_did_jwk_as_subject() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(9);
    let offer = issuer.offer("proof_of_age_ldp_vc", None).await;
    let access = token(&issuer, &pre_authorized_code(&offer), None)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let n = nonce(&issuer).await;
    let r = credential_request(
        &issuer,
        &access,
        "proof_of_age_ldp_vc",
        &wallet.proof_jwk(PUBLIC_URL, &n),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let subject = r.json()["credentials"][0]["credential"]["credentialSubject"]["id"].clone();
    assert!(subject.as_str().unwrap().starts_with("did:jwk:"));
}

#[tokio::test]
async fn replayed_pre_authorized_code_is_refused() {
    let issuer = TestIssuer::new();
    let offer = issuer.offer("proof_of_age_sd_jwt", None).await;
    let code = pre_authorized_code(&offer);
    let first = token(&issuer, &code, None).await;
    assert_eq!(first.status, StatusCode::OK);
    let access = first.json()["access_token"].as_str().unwrap().to_owned();
    let replay = token(&issuer, &code, None).await;
    replay.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(replay.json()["error"], "invalid_grant");
    // RFC 6749 section 4.1.2: the replay revokes the token granted for the code.
    let wallet = Wallet::new(16);
    let n = nonce(&issuer).await;
    credential_request(
        &issuer,
        &access,
        "proof_of_age_sd_jwt",
        &wallet.proof_jwk(PUBLIC_URL, &n),
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    token(&issuer, "not-a-code", None)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn replayed_nonce_is_refused() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(10);
    let first = issuer.offer("proof_of_age_sd_jwt", None).await;
    let second = issuer.offer("proof_of_age_sd_jwt", None).await;
    let a1 = token(&issuer, &pre_authorized_code(&first), None)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let a2 = token(&issuer, &pre_authorized_code(&second), None)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let n = nonce(&issuer).await;
    let proof = wallet.proof_jwk(PUBLIC_URL, &n);
    assert_eq!(
        credential_request(&issuer, &a1, "proof_of_age_sd_jwt", &proof)
            .await
            .status,
        StatusCode::OK
    );
    credential_request(&issuer, &a2, "proof_of_age_sd_jwt", &proof)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_nonce");
    // A nonce the issuer never handed out.
    let made_up = wallet.proof_jwk(PUBLIC_URL, "made-up-nonce");
    credential_request(&issuer, &a2, "proof_of_age_sd_jwt", &made_up)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_nonce");
    // The refused attempts did not use up the grant.
    let n = nonce(&issuer).await;
    let ok = credential_request(
        &issuer,
        &a2,
        "proof_of_age_sd_jwt",
        &wallet.proof_jwk(PUBLIC_URL, &n),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}

#[tokio::test]
async fn proof_signed_by_another_key_is_refused() {
    let issuer = TestIssuer::new();
    let holder = Wallet::new(11);
    let attacker = Wallet::new(12);
    let offer = issuer.offer("proof_of_age_sd_jwt", None).await;
    let access = token(&issuer, &pre_authorized_code(&offer), None)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let n = nonce(&issuer).await;
    // Header names the holder's key, the signature is the attacker's.
    let mut header = Map::new();
    header.insert("typ".into(), json!("openid4vci-proof+jwt"));
    header.insert("jwk".into(), holder.key.public_key().to_jwk());
    let forged = proof(header, PUBLIC_URL, &n, &attacker.key);
    credential_request(&issuer, &access, "proof_of_age_sd_jwt", &forged)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_proof");
    // did:key kid of the holder, signed by the attacker.
    let mut header = Map::new();
    header.insert("typ".into(), json!("openid4vci-proof+jwt"));
    header.insert(
        "kid".into(),
        json!(holder.did_key().verification_method_id().to_string()),
    );
    let forged = proof(header, PUBLIC_URL, &n, &attacker.key);
    credential_request(&issuer, &access, "proof_of_age_sd_jwt", &forged)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_proof");
}

#[tokio::test]
async fn malformed_proofs_are_refused() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(13);
    let offer = issuer.offer("proof_of_age_sd_jwt", None).await;
    let access = token(&issuer, &pre_authorized_code(&offer), None)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let n = nonce(&issuer).await;
    let jwk = wallet.key.public_key().to_jwk();
    let cases: Vec<(&str, Map<String, serde_json::Value>, String)> = vec![
        ("wrong typ", json!({"typ":"JWT","jwk":jwk}).as_object().unwrap().clone(), PUBLIC_URL.into()),
        ("wrong aud", json!({"typ":"openid4vci-proof+jwt","jwk":jwk}).as_object().unwrap().clone(), "https://other.example".into()),
        ("no key", json!({"typ":"openid4vci-proof+jwt"}).as_object().unwrap().clone(), PUBLIC_URL.into()),
        ("both keys", json!({"typ":"openid4vci-proof+jwt","jwk":jwk,"kid":wallet.did_key().verification_method_id().to_string()}).as_object().unwrap().clone(), PUBLIC_URL.into()),
    ];
    for (name, header, aud) in cases {
        let p = proof(header, &aud, &n, &wallet.key);
        let r = credential_request(&issuer, &access, "proof_of_age_sd_jwt", &p).await;
        assert_eq!(r.json()["code"], "invalid_proof", "{name}: {}", r.text());
    }
    // Stale iat.
    let mut header = Map::new();
    header.insert("typ".into(), json!("openid4vci-proof+jwt"));
    header.insert("jwk".into(), jwk.clone());
    let payload = json!({"aud": PUBLIC_URL, "iat": Utc::now().timestamp() - 3600, "nonce": n});
    let stale = credentials::jose::sign_compact(header, payload.as_object().unwrap(), &wallet.key);
    credential_request(&issuer, &access, "proof_of_age_sd_jwt", &stale)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_proof");
    // Two proofs, no proofs, the draft `proof` member.
    let p = wallet.proof_jwk(PUBLIC_URL, &n);
    let r = issuer
        .post(
            "/credential",
            Some(&access),
            json!({"credential_configuration_id":"proof_of_age_sd_jwt","proofs":{"jwt":[p, p]}}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_proof");
    let r = issuer
        .post(
            "/credential",
            Some(&access),
            json!({"credential_configuration_id":"proof_of_age_sd_jwt"}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_proof");
    let r = issuer
        .post("/credential", Some(&access), json!({"credential_configuration_id":"proof_of_age_sd_jwt","proof":{"proof_type":"jwt","jwt":p}}))
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_credential_request");
    // Another configuration than the token covers.
    let r = credential_request(&issuer, &access, "proof_of_age_ldp_vc", &p).await;
    r.assert_error(StatusCode::BAD_REQUEST, "unknown_credential_configuration");
}

#[tokio::test]
async fn access_token_is_required_single_use_and_checked() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(14);
    let n = nonce(&issuer).await;
    let p = wallet.proof_jwk(PUBLIC_URL, &n);
    let r = credential_request(&issuer, "bogus", "proof_of_age_sd_jwt", &p).await;
    r.assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert!(r.headers.get("www-authenticate").is_some());
    let offer = issuer.offer("proof_of_age_sd_jwt", None).await;
    let access = token(&issuer, &pre_authorized_code(&offer), None)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        credential_request(&issuer, &access, "proof_of_age_sd_jwt", &p)
            .await
            .status,
        StatusCode::OK
    );
    let n = nonce(&issuer).await;
    credential_request(
        &issuer,
        &access,
        "proof_of_age_sd_jwt",
        &wallet.proof_jwk(PUBLIC_URL, &n),
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn tx_code_is_required_when_offered() {
    let issuer = TestIssuer::new();
    let offer = issuer
        .offer(
            "proof_of_age_sd_jwt",
            Some(json!({"length": 6, "description": "sent by SMS"})),
        )
        .await;
    let tx = offer["tx_code"].as_str().unwrap().to_owned();
    assert_eq!(tx.len(), 6);
    let grant = &offer["credential_offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"];
    assert_eq!(grant["tx_code"]["length"], 6);
    assert_eq!(grant["tx_code"]["input_mode"], "numeric");
    let code = pre_authorized_code(&offer);
    token(&issuer, &code, None)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let wrong = if tx == "000000" { "111111" } else { "000000" };
    token(&issuer, &code, Some(wrong))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        token(&issuer, &code, Some(&tx)).await.status,
        StatusCode::OK
    );
    // Given code.
    let offer = issuer
        .offer("proof_of_age_sd_jwt", Some(json!("4711")))
        .await;
    assert!(offer.get("tx_code").is_none(), "a given code is not echoed");
    assert_eq!(
        token(&issuer, &pre_authorized_code(&offer), Some("4711"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn token_endpoint_refuses_other_grants_and_is_rate_limited() {
    let issuer = TestIssuer::with(|c| c.limits.token_requests_per_minute = 5);
    let r = issuer
        .call(form(
            "/token",
            &[("grant_type", "authorization_code"), ("code", "x")],
        ))
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    let r = issuer
        .call(form(
            "/token",
            &[(
                "grant_type",
                "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            )],
        ))
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let mut limited = false;
    for _ in 0..10 {
        let r = token(&issuer, "guess", None).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            r.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
            assert!(r.headers.get("retry-after").is_some());
            limited = true;
            break;
        }
    }
    assert!(limited, "token endpoint not rate limited");
    // JSON instead of a form is refused.
    let r = issuer
        .post("/token", None, json!({"grant_type": "x"}))
        .await;
    assert!(r.status.is_client_error());
}

#[tokio::test]
async fn metadata_describes_both_formats_and_endpoints() {
    let issuer = TestIssuer::new();
    let m = issuer
        .get("/.well-known/openid-credential-issuer", None)
        .await
        .json();
    assert_eq!(m["credential_issuer"], PUBLIC_URL);
    assert_eq!(m["credential_endpoint"], format!("{PUBLIC_URL}/credential"));
    assert_eq!(m["nonce_endpoint"], format!("{PUBLIC_URL}/nonce"));
    let sd = &m["credential_configurations_supported"]["proof_of_age_sd_jwt"];
    assert_eq!(sd["format"], "dc+sd-jwt");
    assert_eq!(
        sd["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"][0],
        "EdDSA"
    );
    let ldp = &m["credential_configurations_supported"]["proof_of_age_ldp_vc"];
    assert_eq!(ldp["format"], "ldp_vc");
    assert_eq!(
        ldp["credential_signing_alg_values_supported"][0],
        "eddsa-rdfc-2022"
    );
    let claims: Vec<String> = ldp["credential_metadata"]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"][1].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(claims, ["age_over_18", "age_over_21", "age_over_65"]);
    let as_meta = issuer
        .get("/.well-known/oauth-authorization-server", None)
        .await
        .json();
    assert_eq!(as_meta["token_endpoint"], format!("{PUBLIC_URL}/token"));
    assert_eq!(
        as_meta["pre-authorized_grant_anonymous_access_supported"],
        true
    );
    let n = issuer
        .call(request(Method::POST, "/nonce", None, None))
        .await;
    assert_eq!(n.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn vct_resolves_to_type_metadata() {
    let issuer = TestIssuer::new();
    let wallet = Wallet::new(15);
    let (credential, _) = issue_via_oid4vci(&issuer, "proof_of_age_sd_jwt", &wallet).await;
    let sd = SdJwt::parse(credential.as_str().unwrap()).unwrap();
    let vct = sd.unverified_payload()["vct"].as_str().unwrap().to_owned();
    let r = issuer
        .get(vct.strip_prefix(PUBLIC_URL).unwrap(), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = r.json();
    assert_eq!(m["vct"], vct);
    let sd_of = |name: &str| {
        m["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"][0] == name)
            .unwrap()["sd"]
            .clone()
    };
    assert_eq!(sd_of("given_name"), "always");
    assert_eq!(sd_of("age_over_21"), "always");
    issuer
        .get("/vct/nope", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn es256_holder_keys_are_accepted_and_bound() {
    let issuer = TestIssuer::new();
    let holder = credentials::P256SigningKey::from_bytes(&[5; 32]).unwrap();
    let offer = issuer.offer("proof_of_age_sd_jwt", None).await;
    let access = token(&issuer, &pre_authorized_code(&offer), None)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let n = nonce(&issuer).await;
    let mut header = Map::new();
    header.insert("typ".into(), json!("openid4vci-proof+jwt"));
    header.insert("jwk".into(), holder.public_key().to_jwk());
    let p = proof(header, PUBLIC_URL, &n, &holder);
    let r = credential_request(&issuer, &access, "proof_of_age_sd_jwt", &p).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let resolver = resolver();
    let v = verify(
        r.json()["credentials"][0]["credential"].as_str().unwrap(),
        IssuerKey::Resolver(&resolver),
        &VerifyOptions::sd_jwt_vc(Utc::now(), KeyBindingPolicy::NotRequired),
    )
    .unwrap();
    assert_eq!(v.holder_key().unwrap(), &holder.public_key());
}

#[tokio::test]
async fn a_public_url_with_a_path_is_served_under_it() {
    let issuer = TestIssuer::with(|c| {
        c.public_url = url::Url::parse("http://issuer.test/tenant-a").unwrap()
    });
    let m = issuer
        .get("/.well-known/openid-credential-issuer/tenant-a", None)
        .await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.text());
    let m = m.json();
    assert_eq!(m["credential_issuer"], "http://issuer.test/tenant-a");
    assert_eq!(
        m["credential_endpoint"],
        "http://issuer.test/tenant-a/credential"
    );
    let a = issuer
        .get("/.well-known/oauth-authorization-server/tenant-a", None)
        .await
        .json();
    assert_eq!(a["token_endpoint"], "http://issuer.test/tenant-a/token");
    assert_eq!(
        issuer.get("/tenant-a/health", None).await.status,
        StatusCode::OK
    );
    issuer
        .get("/health", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let r = issuer
        .call(request(Method::POST, "/tenant-a/nonce", None, None))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // did:web under a path: did:web:host:path, document at <path>/did.json.
    let web = TestIssuer::with(|c| {
        c.public_url = url::Url::parse("https://issuer.example/tenant-a").unwrap()
    });
    assert_eq!(web.did(), "did:web:issuer.example:tenant-a");
    let doc = web.get("/tenant-a/did.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.json()["id"], "did:web:issuer.example:tenant-a");
}
