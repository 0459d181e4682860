//! The proof-of-age scenario, end to end across processes: the State ID Office issues Alice
//! an age credential over OpenID4VCI into the wallet CLI, the liquor store's verifier asks for
//! `age_over_21` only, Alice presents twice without anything linkable, the issuer revokes, the
//! next presentation is rejected; an underage holder cannot produce `age_over_21: true`.

use std::path::PathBuf;

use chrono::{Months, Utc};
use serde_json::{Value, json};

use crate::support::{
    Bins, Http, ISSUER_ADMIN_TOKEN, Service, Tap, VERIFIER_ADMIN_TOKEN, WalletCli, bins,
};

/// The two credential formats of the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    SdJwt,
    LdpVc,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::SdJwt => "dc+sd-jwt",
            Format::LdpVc => "ldp_vc",
        }
    }

    /// The issuer's OpenID4VCI configuration of the built-in proof-of-age type.
    fn configuration_id(self) -> &'static str {
        match self {
            Format::SdJwt => "proof_of_age_sd_jwt",
            Format::LdpVc => "proof_of_age_ldp_vc",
        }
    }

    /// The liquor store's DCQL query: `age_over_21`, and with `value_required` only `true`.
    fn dcql_query(self, value_required: bool) -> Value {
        let mut claim = match self {
            Format::SdJwt => json!({"path": ["age_over_21"]}),
            Format::LdpVc => json!({"path": ["credentialSubject", "age_over_21"]}),
        };
        if value_required {
            claim["values"] = json!([true]);
        }
        let mut query = json!({"id": "age", "format": self.name(), "claims": [claim]});
        if self == Format::LdpVc {
            query["meta"] =
                json!({"type_values": [["VerifiableCredential", "ProofOfAgeCredential"]]});
        }
        json!({"credentials": [query]})
    }
}

/// A person the State ID Office knows.
struct Person {
    given_name: &'static str,
    family_name: &'static str,
    birth_date: String,
}

impl Person {
    /// Born `years` years ago today (minus a few days, so the birthday has passed).
    fn aged(given_name: &'static str, family_name: &'static str, years: u32) -> Self {
        let birth = Utc::now()
            .date_naive()
            .checked_sub_months(Months::new(12 * years))
            .and_then(|d| d.checked_sub_days(chrono::Days::new(3)))
            .expect("a birth date");
        Self {
            given_name,
            family_name,
            birth_date: birth.format("%Y-%m-%d").to_string(),
        }
    }

    fn claims(&self) -> Value {
        json!({
            "given_name": self.given_name,
            "family_name": self.family_name,
            "birth_date": self.birth_date,
        })
    }

    /// Personal data that must never reach the liquor store.
    fn secrets(&self) -> Vec<String> {
        vec![
            self.given_name.to_owned(),
            self.family_name.to_owned(),
            self.birth_date.clone(),
        ]
    }
}

/// The issuer and the verifier as separate processes, and a tap in front of the verifier.
struct Deployment {
    http: Http,
    issuer: Service,
    verifier: Service,
    issuer_did: String,
    tap: Tap,
    // Last: removed after the services are stopped (their logs are printed on failure).
    dir: tempfile::TempDir,
}

impl Deployment {
    fn start(bins: &Bins) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let key_file = root.join("issuer.key");
        let out = std::process::Command::new(&bins.issuer)
            .arg("key-file")
            .arg(&key_file)
            .output()
            .expect("issuer key-file");
        assert!(out.status.success(), "issuer key-file: {out:?}");
        let issuer_data = root.join("issuer");
        let issuer = Service::start(
            "issuer",
            &bins.issuer,
            &[
                "serve",
                "--listen",
                "127.0.0.1:{port}",
                "--data",
                issuer_data.to_str().expect("utf-8 path"),
                "--key-file",
                key_file.to_str().expect("utf-8 path"),
                "--name",
                "State ID Office",
            ],
            &[("ISSUER_ADMIN_TOKEN", ISSUER_ADMIN_TOKEN)],
            root,
        );
        let http = Http::new();
        let (status, identity) = http.get(
            &format!("{}/admin/identity", issuer.base),
            Some(ISSUER_ADMIN_TOKEN),
        );
        assert_eq!(status, 200, "{identity}");
        let issuer_did = identity["did"].as_str().expect("issuer DID").to_owned();

        // The verifier's public URL is the tap's: the wallet reaches the verifier through it.
        let verifier_port = crate::support::free_port();
        let tap = Tap::start(verifier_port);
        let verifier_data = root.join("verifier");
        let listen = format!("127.0.0.1:{verifier_port}");
        let public_url = format!("http://127.0.0.1:{}", tap.port);
        let verifier = Service::start_on(
            "verifier",
            &bins.verifier,
            verifier_port,
            &[
                "serve",
                "--listen",
                &listen,
                "--public-url",
                &public_url,
                "--data",
                verifier_data.to_str().expect("utf-8 path"),
                "--trust-issuer",
                &issuer_did,
                "--issuer-name",
                &format!("{issuer_did}=State ID Office"),
                // The issuer's status lists are on loopback in this deployment.
                "--dangerous-allow-loopback",
            ],
            &[("VERIFIER_ADMIN_TOKEN", VERIFIER_ADMIN_TOKEN)],
            root,
        );
        Self {
            dir,
            http,
            issuer,
            verifier,
            issuer_did,
            tap,
        }
    }

    fn holder_dir(&self, name: &str) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).expect("holder dir");
        dir
    }

    /// The operator creates an offer; returns its id, URI and generated transaction code.
    fn offer(
        &self,
        format: Format,
        person: &Person,
        tx_code: bool,
    ) -> (String, String, Option<String>) {
        let mut body = json!({
            "credential_configuration_id": format.configuration_id(),
            "claims": person.claims(),
        });
        if tx_code {
            body["tx_code"] = json!({"length": 6, "description": "the code on your letter"});
        }
        let (status, offer) = self.http.post(
            &format!("{}/admin/offers", self.issuer.base),
            ISSUER_ADMIN_TOKEN,
            &body,
        );
        assert_eq!(status, 201, "{offer}");
        (
            offer["id"].as_str().expect("offer id").to_owned(),
            offer["offer_uri"].as_str().expect("offer_uri").to_owned(),
            offer["tx_code"].as_str().map(str::to_owned),
        )
    }

    /// Offers `person` a credential and receives it with `wallet receive`; returns the
    /// wallet's record of it and the issuer's credential id.
    fn issue(&self, wallet: &WalletCli, format: Format, person: &Person, tx_code: bool) -> Issued {
        let (offer_id, offer_uri, code) = self.offer(format, person, tx_code);
        let mut args = vec!["receive", offer_uri.as_str()];
        if let Some(code) = &code {
            args.extend(["--tx-code", code.as_str()]);
        }
        let received = wallet.ok(&args).json();
        let received = received.as_array().expect("a list of received credentials");
        assert_eq!(received.len(), 1, "{received:?}");
        let r = &received[0];
        assert_eq!(r["format"], format.name());
        assert_eq!(r["issuer"], self.issuer_did.as_str(), "verified issuer");
        let (status, offer) = self.http.get(
            &format!("{}/admin/offers/{offer_id}", self.issuer.base),
            Some(ISSUER_ADMIN_TOKEN),
        );
        assert_eq!(status, 200, "{offer}");
        assert_eq!(offer["state"], "issued", "{offer}");
        Issued {
            wallet_id: r["id"].as_str().expect("credential id").to_owned(),
            holder: r["holder"].as_str().expect("holder DID").to_owned(),
            issuer_id: offer["credential_id"]
                .as_str()
                .expect("issued credential id")
                .to_owned(),
        }
    }

    /// The liquor store creates a request; returns its id and `openid4vp://` link.
    fn request(&self, format: Format, value_required: bool) -> (String, String) {
        let body = json!({
            "dcql_query": format.dcql_query(value_required),
            "trusted_issuers": [self.issuer_did],
            "formats": [format.name()],
            "required_claims": [{"path": ["age_over_21"], "equals": true}],
            "max_credential_age_secs": 31_536_000,
        });
        let (status, created) = self.http.post(
            &format!("{}/presentation-requests", self.verifier.base),
            VERIFIER_ADMIN_TOKEN,
            &body,
        );
        assert_eq!(status, 201, "{created}");
        (
            created["id"].as_str().expect("request id").to_owned(),
            created["request_uri"]
                .as_str()
                .expect("request_uri")
                .to_owned(),
        )
    }

    /// What the liquor store knows about request `id`.
    fn outcome(&self, id: &str) -> Value {
        let (status, view) = self.http.get(
            &format!("{}/presentation-requests/{id}", self.verifier.base),
            None,
        );
        assert_eq!(status, 200, "{view}");
        view
    }

    fn issued_credential(&self, issuer_id: &str) -> Value {
        let (status, c) = self.http.get(
            &format!("{}/admin/credentials/{issuer_id}", self.issuer.base),
            Some(ISSUER_ADMIN_TOKEN),
        );
        assert_eq!(status, 200, "{c}");
        c
    }
}

/// A credential as the wallet and the issuer know it.
struct Issued {
    wallet_id: String,
    holder: String,
    issuer_id: String,
}

/// The value at `key` anywhere in `value` (first found, depth first).
fn find<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|v| find(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find(v, key)),
        _ => None,
    }
}

fn failed_codes(view: &Value) -> Vec<String> {
    view["failed_checks"]
        .as_array()
        .map(|checks| {
            checks
                .iter()
                .filter_map(|c| c["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Alice's view at the store: verified, `age_over_21: true`, and nothing of her identity.
fn assert_verified_minimal(format: Format, view: &Value, alice: &Person, issuer_did: &str) {
    assert_eq!(view["state"], "verified", "{view:#}");
    let credentials = view["credentials"].as_array().expect("credentials");
    assert_eq!(credentials.len(), 1, "{view:#}");
    let c = &credentials[0];
    assert_eq!(c["format"], format.name());
    assert_eq!(c["issuer"], issuer_did);
    let claims = c["claims"].as_object().expect("claims");
    assert_eq!(claims.get("age_over_21"), Some(&json!(true)), "{view:#}");
    for name in ["given_name", "family_name", "birth_date"] {
        assert!(
            find(view, name).is_none(),
            "{name} reached the verifier: {view:#}"
        );
    }
    assert_nothing_of(alice, view, "what the verifier kept");
    match format {
        // Every claim is selectively disclosable: exactly what was asked, nothing else.
        Format::SdJwt => {
            assert_eq!(
                Value::Object(claims.clone()),
                json!({"age_over_21": true}),
                "{view:#}"
            );
            assert_eq!(c["unrequested_claims"], json!([]), "{view:#}");
        }
        // The eddsa suites cannot disclose selectively: the credential carries only the
        // age attributes, all of which travel together.
        Format::LdpVc => {
            let keys: Vec<&String> = claims.keys().collect();
            assert!(
                keys.iter().all(|k| k.starts_with("age_over_")),
                "only age attributes: {view:#}"
            );
        }
    }
}

/// Everything in a presentation that would let two relying parties (or one, twice) link
/// it to another: the issuer's signature, the holder key, the status entry, the salts.
fn linkable_parts(format: Format, presented: &Value) -> Vec<String> {
    match format {
        Format::SdJwt => {
            let compact = presented.as_str().expect("an SD-JWT string");
            let mut parts: Vec<&str> = compact.split('~').collect();
            let kb_jwt = parts.pop().expect("a KB-JWT");
            assert!(!kb_jwt.is_empty(), "the key binding JWT is present");
            let payload = parts[0].split('.').nth(1).expect("JWT payload");
            let payload: Value = serde_json::from_slice(
                &credentials::base64url::decode(payload).expect("base64url payload"),
            )
            .expect("JSON payload");
            let mut out: Vec<String> = parts.iter().map(|p| (*p).to_owned()).collect();
            out.push(payload["cnf"]["jwk"].to_string());
            out.push(payload["status"]["status_list"].to_string());
            out
        }
        Format::LdpVc => {
            let vc = &presented["verifiableCredential"];
            let vc = if vc.is_array() { &vc[0] } else { vc };
            vec![
                vc["proof"]["proofValue"].to_string(),
                vc["credentialSubject"]["id"].to_string(),
                vc["credentialStatus"].to_string(),
                vc["id"].to_string(),
                presented["proof"]["verificationMethod"].to_string(),
            ]
            .into_iter()
            .filter(|p| p != "null")
            .collect()
        }
    }
}

/// A presentation as JSON: a Data Integrity VP as is; an SD-JWT with its issuer JWT payload,
/// decoded disclosures and KB-JWT payload.
fn decoded(format: Format, presented: &Value) -> Value {
    let jwt_payload = |jwt: &str| -> Value {
        let part = jwt.split('.').nth(1).expect("JWT payload");
        serde_json::from_slice(&credentials::base64url::decode(part).expect("base64url"))
            .expect("JSON payload")
    };
    match format {
        Format::LdpVc => presented.clone(),
        Format::SdJwt => {
            let compact = presented.as_str().expect("an SD-JWT string");
            let parts: Vec<&str> = compact.split('~').collect();
            let disclosures: Vec<Value> = disclosed(presented)
                .into_iter()
                .map(|(name, value)| json!([name, value]))
                .collect();
            json!({
                "issuer_jwt": jwt_payload(parts[0]),
                "disclosures": disclosures,
                "kb_jwt": jwt_payload(parts[parts.len() - 1]),
            })
        }
    }
}

/// Fails if any string in `value` is, or contains, a piece of `person`'s identity.
fn assert_nothing_of(person: &Person, value: &Value, what: &str) {
    match value {
        Value::String(text) => {
            for secret in person.secrets() {
                assert!(
                    text != &secret && !text.contains(&person.birth_date),
                    "{secret:?} in {what}"
                );
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| assert_nothing_of(person, v, what)),
        Value::Object(map) => {
            for (k, v) in map {
                assert!(
                    !["given_name", "family_name", "birth_date"].contains(&k.as_str()),
                    "{k} in {what}"
                );
                assert_nothing_of(person, v, what);
            }
        }
        _ => {}
    }
}

/// The disclosed claims (name, value) of an SD-JWT presentation.
fn disclosed(presented: &Value) -> Vec<(String, Value)> {
    let compact = presented.as_str().expect("an SD-JWT string");
    let parts: Vec<&str> = compact.split('~').collect();
    parts[1..parts.len() - 1]
        .iter()
        .map(|d| {
            let array: Value =
                serde_json::from_slice(&credentials::base64url::decode(d).expect("disclosure"))
                    .expect("disclosure JSON");
            (
                array[1].as_str().expect("claim name").to_owned(),
                array[2].clone(),
            )
        })
        .collect()
}

fn run_scenario(format: Format) {
    let bins = bins();
    let d = Deployment::start(bins);

    // --- Alice, 25, receives her proof of age (with a transaction code) -----------------
    let alice = Person::aged("Alice", "Liddell", 25);
    let alice_wallet = WalletCli::init(&bins.wallet, &d.holder_dir("alice"));
    let first = d.issue(&alice_wallet, format, &alice, true);
    let shown = alice_wallet.ok(&["show", &first.wallet_id]).json();
    assert_eq!(shown["holder"], first.holder.as_str());
    assert_eq!(
        find(&shown["claims"], "age_over_21"),
        Some(&json!(true)),
        "{shown:#}"
    );

    // --- The liquor store asks for age_over_21 only; Alice presents ---------------------
    let (request_1, link_1) = d.request(format, true);
    let presented = alice_wallet.ok(&["present", &link_1, "--yes"]);
    let summary = presented.json();
    assert_eq!(
        summary["credentials"].as_array().map(Vec::len),
        Some(1),
        "{summary:#}"
    );
    assert_consent_summary(format, &summary["credentials"][0]);
    let view_1 = d.outcome(&request_1);
    assert_verified_minimal(format, &view_1, &alice, &d.issuer_did);

    // --- A second visit: a fresh credential, so nothing presented twice -----------------
    let second = d.issue(&alice_wallet, format, &alice, false);
    assert_ne!(second.wallet_id, first.wallet_id);
    assert_ne!(
        second.holder, first.holder,
        "a fresh holder key per credential"
    );
    let (request_2, link_2) = d.request(format, true);
    alice_wallet.ok(&["present", &link_2, "--yes"]);
    let view_2 = d.outcome(&request_2);
    assert_verified_minimal(format, &view_2, &alice, &d.issuer_did);

    // What the verifier received, byte for byte: two presentations sharing nothing.
    let tokens = d.tap.vp_tokens();
    assert_eq!(tokens.len(), 2, "two presentations posted: {tokens:#?}");
    let p1 = &tokens[0]["age"][0];
    let p2 = &tokens[1]["age"][0];
    let (l1, l2) = (linkable_parts(format, p1), linkable_parts(format, p2));
    assert!(l1.len() >= 3, "{l1:?}");
    for part in &l1 {
        assert!(!l2.contains(part), "presented twice: {part}");
    }
    assert_nothing_of(&alice, &decoded(format, p1), "the first presentation");
    assert_nothing_of(&alice, &decoded(format, p2), "the second presentation");
    if format == Format::SdJwt {
        assert_eq!(disclosed(p1), [("age_over_21".to_owned(), json!(true))]);
        assert_eq!(disclosed(p2), [("age_over_21".to_owned(), json!(true))]);
    }
    // The wallet's history says the same: each visit used its own credential.
    let history = alice_wallet.ok(&["history"]).json();
    let used: Vec<&Value> = history
        .as_array()
        .expect("history")
        .iter()
        .map(|p| {
            assert_eq!(p["outcome"], "sent", "{p:#}");
            &p["shared"][0]["credential"]
        })
        .collect();
    assert_eq!(used, [&json!(first.wallet_id), &json!(second.wallet_id)]);
    // And the issuer's records: two credentials, two holders, two status entries.
    let c1 = d.issued_credential(&first.issuer_id);
    let c2 = d.issued_credential(&second.issuer_id);
    assert_ne!(c1["holder"], c2["holder"]);
    assert_ne!(c1["status_entry"], c2["status_entry"]);

    // --- The issuer revokes the credential Alice would present next ---------------------
    let (status, revoked) = d.http.post(
        &format!(
            "{}/admin/credentials/{}/revoke",
            d.issuer.base, second.issuer_id
        ),
        ISSUER_ADMIN_TOKEN,
        &json!({}),
    );
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(d.issued_credential(&second.issuer_id)["status"], "revoked");
    // The very next presentation is refused, although this verifier fetched the list seconds
    // ago and the issuer publishes it with `ttl` 300 s: the verifier revalidates its cached
    // list on every verification (decision 0807), so nothing waits for the ttl.
    let (request_3, link_3) = d.request(format, true);
    let refused = alice_wallet.run(&["present", &link_3, "--yes"]);
    let view_3 = d.outcome(&request_3);
    assert_eq!(
        view_3["state"], "rejected",
        "{view_3:#}\n{}",
        refused.stderr
    );
    assert!(
        failed_codes(&view_3).iter().any(|c| c == "revoked"),
        "{view_3:#}"
    );
    assert!(view_3["credentials"].as_array().is_none_or(Vec::is_empty));
    assert!(!refused.status.success(), "the wallet reports the refusal");
    assert_eq!(
        d.tap.vp_tokens().len(),
        3,
        "the revoked credential was presented"
    );

    // --- Bob, 19: no `age_over_21: true` can come out of his wallet ---------------------
    let bob = Person::aged("Bob", "Underwood", 19);
    let bob_wallet = WalletCli::init(&bins.wallet, &d.holder_dir("bob"));
    let bobs = d.issue(&bob_wallet, format, &bob, false);
    let shown = bob_wallet.ok(&["show", &bobs.wallet_id]).json();
    assert_eq!(
        find(&shown["claims"], "age_over_21"),
        Some(&json!(false)),
        "{shown:#}"
    );
    assert_eq!(
        find(&shown["claims"], "age_over_18"),
        Some(&json!(true)),
        "{shown:#}"
    );

    // The store's request (age_over_21 = true): the wallet has nothing that answers it and
    // sends nothing.
    let (request_4, link_4) = d.request(format, true);
    let unable = bob_wallet.run(&["present", &link_4, "--yes"]);
    assert!(!unable.status.success(), "{}", unable.stdout);
    assert_eq!(d.outcome(&request_4)["state"], "pending");
    assert_eq!(d.tap.vp_tokens().len(), 3, "nothing was sent for Bob");

    // A request for age_over_21 whatever its value: Bob's wallet can only say `false`, and
    // the store's policy (age_over_21 = true) rejects it.
    let (request_5, link_5) = d.request(format, false);
    let _ = bob_wallet.run(&["present", &link_5, "--yes"]);
    let view_5 = d.outcome(&request_5);
    assert_eq!(view_5["state"], "rejected", "{view_5:#}");
    assert!(
        failed_codes(&view_5)
            .iter()
            .any(|c| c == "required_claim_missing"),
        "{view_5:#}"
    );
    let tokens = d.tap.vp_tokens();
    assert_eq!(tokens.len(), 4, "Bob's answer was sent");
    let answer = &tokens[3]["age"][0];
    match format {
        Format::SdJwt => {
            assert_eq!(
                disclosed(answer),
                [("age_over_21".to_owned(), json!(false))]
            );
        }
        Format::LdpVc => {
            let vc = &answer["verifiableCredential"];
            let vc = if vc.is_array() { &vc[0] } else { vc };
            assert_eq!(
                vc["credentialSubject"]["age_over_21"],
                json!(false),
                "{answer:#}"
            );
        }
    }
    assert_nothing_of(&bob, &decoded(format, answer), "Bob's presentation");
}

#[test]
fn proof_of_age_as_sd_jwt_vc() {
    run_scenario(Format::SdJwt);
}

#[test]
fn proof_of_age_as_data_integrity_vc() {
    run_scenario(Format::LdpVc);
}

/// The consent summary the holder approved names what is shared, what stays private and what an
/// all-or-nothing proof reveals anyway: for SD-JWT only `age_over_21` goes, and name and birth
/// date stay private; a Data Integrity credential cannot hide its other claims, so the summary
/// says the other age attributes are shared too and nothing is held back.
fn assert_consent_summary(format: Format, planned: &Value) {
    let names = |field: &str| -> Vec<String> {
        planned[field]
            .as_array()
            .unwrap_or_else(|| panic!("{field} in {planned:#}"))
            .iter()
            .map(|v| v.as_str().expect("claim path").to_owned())
            .collect()
    };
    let mentions = |list: &[String], claim: &str| list.iter().any(|p| p.ends_with(claim));
    let shared = names("shared");
    assert!(mentions(&shared, "age_over_21"), "{planned:#}");
    assert_eq!(shared.len(), 1, "{planned:#}");
    let (not_shared, anyway) = (names("not_shared"), names("revealed_anyway"));
    match format {
        Format::SdJwt => {
            for private in ["given_name", "family_name", "birth_date", "age_over_18"] {
                assert!(mentions(&not_shared, private), "{private}: {planned:#}");
                assert!(!mentions(&anyway, private), "{private}: {planned:#}");
            }
        }
        Format::LdpVc => {
            assert!(not_shared.is_empty(), "{planned:#}");
            for revealed in ["age_over_18", "age_over_65"] {
                assert!(mentions(&anyway, revealed), "{revealed}: {planned:#}");
            }
        }
    }
}
