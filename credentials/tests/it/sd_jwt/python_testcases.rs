//! The reference implementation's end-to-end cases
//! (`specs/vectors/sd-jwt/sd-jwt-python-testcases/*/specification.yml`): issue `user_claims`
//! (`!sd` tags mark what is selectively disclosable) with our issuer, present the holder's
//! selection, verify, and compare with `expect_verified_user_claims` (plus `iss`, and `cnf`
//! with key binding), as the reference implementation's `test_e2e` does. Issued with Ed25519
//! and with the reference settings' ES256 key; key binding with the settings' ES256 holder
//! key.

use credentials::PublicKey;
use credentials::keys::{P256SigningKey, Signer};
use credentials::sd_jwt::{
    ClaimPath, IssueOptions, IssuerKey, JsonForm, JsonSdJwt, JsonSigner, KeyBindingPolicy, SdJwt,
    VerifyOptions, issue, issue_json, verify, verify_json,
};
use serde_json::{Map, Value};
use serde_yaml::Value as Yaml;

use super::common::{at, issuer_key, rng};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../specs/vectors/sd-jwt/sd-jwt-python-testcases"
);

fn load(path: &str) -> Yaml {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn is_sd(tagged: &serde_yaml::value::TaggedValue) -> bool {
    tagged.tag == "sd"
}

fn key_string(key: &Yaml) -> (String, bool) {
    match key {
        Yaml::String(s) => (s.clone(), false),
        Yaml::Tagged(t) if is_sd(t) => (key_string(&t.value).0, true),
        other => panic!("unexpected key {other:?}"),
    }
}

/// Converts YAML with `!sd` tags to JSON plus the paths of the tagged claims.
fn claims(yaml: &Yaml, at: &mut ClaimPath, sd: &mut Vec<ClaimPath>) -> Value {
    match yaml {
        Yaml::Tagged(t) if is_sd(t) => {
            sd.push(at.clone());
            claims(&t.value, at, sd)
        }
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let (name, tagged) = key_string(k);
                let mut child = at.clone().key(name.clone());
                if tagged {
                    sd.push(child.clone());
                }
                out.insert(name, claims(v, &mut child, sd));
            }
            Value::Object(out)
        }
        Yaml::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| claims(v, &mut at.clone().index(i), sd))
                .collect(),
        ),
        other => serde_json::to_value(other).unwrap(),
    }
}

/// The holder's selection (`True` leaves; `False`, `null` and `None` select nothing) as paths.
fn selection(yaml: &Yaml, at: ClaimPath, out: &mut Vec<ClaimPath>) {
    match yaml {
        Yaml::Bool(true) => out.push(at),
        Yaml::Mapping(map) => {
            for (k, v) in map {
                selection(v, at.clone().key(key_string(k).0), out);
            }
        }
        Yaml::Sequence(items) => {
            for (i, v) in items.iter().enumerate() {
                selection(v, at.clone().index(i), out);
            }
        }
        _ => {}
    }
}

fn settings_key(jwk: &Yaml) -> P256SigningKey {
    let d = credentials::base64url::decode(jwk["d"].as_str().unwrap()).unwrap();
    P256SigningKey::from_bytes(&d.try_into().unwrap()).unwrap()
}

fn run_case(name: &str, issuer: &dyn Signer) {
    let settings = load(&format!("{DIR}/settings.yml"));
    let case = load(&format!("{DIR}/{name}/specification.yml"));
    let iss = settings["identifiers"]["issuer"].as_str().unwrap();
    let verifier_id = settings["identifiers"]["verifier"].as_str().unwrap();
    let nonce = settings["key_binding_nonce"].as_str().unwrap();
    let holder = settings_key(&settings["key_settings"]["holder_key"]);
    let key_binding = case["key_binding"].as_bool().unwrap_or(false);

    let mut disclosable = Vec::new();
    let user_claims = claims(
        &case["user_claims"],
        &mut ClaimPath::root(),
        &mut disclosable,
    );
    let mut payload = Map::new();
    payload.insert("iss".into(), Value::String(iss.into()));
    payload.extend(user_claims.as_object().unwrap().clone());
    if key_binding {
        payload.insert(
            "cnf".into(),
            serde_json::json!({"jwk": holder.public_key().to_jwk()}),
        );
    }
    let extra_header = match serde_json::to_value(&case["extra_header_parameters"]).unwrap() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let options = IssueOptions {
        extra_header: extra_header.clone(),
        ..IssueOptions::default()
    };
    let issued = issue(payload, &disclosable, &options, issuer, &mut rng()).unwrap();

    let mut selected = Vec::new();
    selection(
        &case["holder_disclosed_claims"],
        ClaimPath::root(),
        &mut selected,
    );
    let sd_jwt = SdJwt::parse(issued.as_str()).unwrap();
    let now = at(1_683_000_100);
    let presentation = if key_binding {
        sd_jwt
            .present_with_key_binding(&selected, &holder, verifier_id, nonce, now)
            .unwrap()
    } else {
        sd_jwt.present(&selected).unwrap()
    };

    let policy = if key_binding {
        KeyBindingPolicy::Required {
            audience: verifier_id.into(),
            nonce: nonce.into(),
        }
    } else {
        KeyBindingPolicy::NotRequired
    };
    let issuer_public = issuer.public_key();
    let result = verify(
        &presentation,
        IssuerKey::Pinned(&issuer_public),
        &VerifyOptions::plain(now, None, policy),
    )
    .unwrap();
    assert!(result.is_verified(), "{name}: {:?}", result.report());

    let mut expected = serde_json::to_value(&case["expect_verified_user_claims"]).unwrap();
    expected["iss"] = Value::String(iss.into());
    if key_binding {
        expected["cnf"] = serde_json::json!({"jwk": holder.public_key().to_jwk()});
        assert_eq!(result.holder_key(), Some(&holder.public_key()));
    }
    assert_eq!(
        Value::Object(result.claims().unwrap().clone()),
        expected,
        "{name}"
    );

    // The header holds `alg` and the extra parameters, nothing else (test_e2e's last check).
    let mut expected_header = extra_header;
    expected_header.insert("alg".into(), issuer.algorithm().as_str().into());
    assert_eq!(sd_jwt.header(), &expected_header, "{name}");
}

fn run(name: &str) {
    run_case(name, &issuer_key());
    let settings = load(&format!("{DIR}/settings.yml"));
    let es256_issuer = settings_key(&settings["key_settings"]["issuer_keys"][0]);
    assert_eq!(
        es256_issuer.public_key(),
        PublicKey::from_jwk(&serde_json::json!({
            "kty": "EC", "crv": "P-256",
            "x": "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ",
            "y": "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"
        }))
        .unwrap()
    );
    run_case(name, &es256_issuer);
}

#[test]
fn python_array_data_types() {
    run("array_data_types");
}
#[test]
fn python_array_full_sd() {
    run("array_full_sd");
}
#[test]
fn python_array_in_sd() {
    run("array_in_sd");
}
#[test]
fn python_array_nested_in_plain() {
    run("array_nested_in_plain");
}
#[test]
fn python_array_none_disclosed() {
    run("array_none_disclosed");
}
#[test]
fn python_array_of_nulls() {
    run("array_of_nulls");
}
#[test]
fn python_array_of_objects() {
    run("array_of_objects");
}
#[test]
fn python_array_of_scalars() {
    run("array_of_scalars");
}
#[test]
fn python_array_recursive_sd() {
    run("array_recursive_sd");
}
#[test]
fn python_array_recursive_sd_some_disclosed() {
    run("array_recursive_sd_some_disclosed");
}
#[test]
fn python_header_mod() {
    run("header_mod");
}
#[test]
fn python_key_binding() {
    run("key_binding");
}
#[test]
fn python_no_sd() {
    run("no_sd");
}
#[test]
fn python_object_data_types() {
    run("object_data_types");
}
#[test]
fn python_recursions() {
    run("recursions");
}

/// The issuer keys of a JSON case's `settings_override` (with their `kid`s).
fn override_keys(case: &Yaml) -> Vec<(P256SigningKey, String)> {
    let o = &case["settings_override"];
    let keys = if o["issuer_keys"].is_sequence() {
        &o["issuer_keys"]
    } else {
        &o["key_settings"]["issuer_keys"]
    };
    keys.as_sequence()
        .unwrap()
        .iter()
        .map(|k| (settings_key(k), k["kid"].as_str().unwrap().to_owned()))
        .collect()
}

/// A JSON-serialization case (RFC 9901 section 8): issue with the case's issuer keys (one
/// for the flattened form, all of them for the general form), present, bind, verify with
/// each issuer key pinned in turn.
fn run_json_case(name: &str, form: JsonForm) {
    let settings = load(&format!("{DIR}/settings.yml"));
    let case = load(&format!("{DIR}/{name}/specification.yml"));
    assert_eq!(case["serialization_format"].as_str(), Some("json"));
    let iss = settings["identifiers"]["issuer"].as_str().unwrap();
    let verifier_id = settings["identifiers"]["verifier"].as_str().unwrap();
    let nonce = settings["key_binding_nonce"].as_str().unwrap();
    let holder = settings_key(&settings["key_settings"]["holder_key"]);
    assert!(case["key_binding"].as_bool().unwrap());

    let mut disclosable = Vec::new();
    let user_claims = claims(
        &case["user_claims"],
        &mut ClaimPath::root(),
        &mut disclosable,
    );
    let mut payload = Map::new();
    payload.insert("iss".into(), Value::String(iss.into()));
    payload.extend(user_claims.as_object().unwrap().clone());
    payload.insert(
        "cnf".into(),
        serde_json::json!({"jwk": holder.public_key().to_jwk()}),
    );
    let keys = override_keys(&case);
    let mut signers: Vec<JsonSigner<'_>> = keys
        .iter()
        .map(|(key, kid)| JsonSigner {
            signer: key,
            kid: Some(kid.as_str()),
        })
        .collect();
    if form == JsonForm::Flattened {
        signers.truncate(1);
    }
    let issued = issue_json(
        payload,
        &disclosable,
        &IssueOptions::default(),
        &signers,
        form,
        &mut rng(),
    )
    .unwrap();
    let wire = issued.to_json();
    let parsed = JsonSdJwt::parse(&wire).unwrap();
    assert_eq!(parsed, issued);
    assert_eq!(parsed.signature_count(), signers.len());

    let mut selected = Vec::new();
    selection(
        &case["holder_disclosed_claims"],
        ClaimPath::root(),
        &mut selected,
    );
    let now = at(1_683_000_100);
    let presentation = parsed
        .present(&selected)
        .unwrap()
        .add_key_binding(&holder, verifier_id, nonce, now)
        .unwrap()
        .to_json();
    let top: Value = serde_json::from_str(&presentation).unwrap();
    match form {
        JsonForm::Flattened => assert!(top["header"]["kb_jwt"].is_string()),
        JsonForm::General => {
            assert!(top["signatures"][0]["header"]["kb_jwt"].is_string());
            assert!(top["signatures"][1].get("header").is_none());
        }
    }

    let mut expected = serde_json::to_value(&case["expect_verified_user_claims"]).unwrap();
    expected["iss"] = Value::String(iss.into());
    expected["cnf"] = serde_json::json!({"jwk": holder.public_key().to_jwk()});
    let policy = KeyBindingPolicy::Required {
        audience: verifier_id.into(),
        nonce: nonce.into(),
    };
    for (key, _) in keys.iter().take(signers.len()) {
        let public = key.public_key();
        let result = verify_json(
            &presentation,
            IssuerKey::Pinned(&public),
            &VerifyOptions::plain(now, None, policy.clone()),
        )
        .unwrap();
        assert!(result.is_verified(), "{name}: {:?}", result.report());
        assert_eq!(
            Value::Object(result.claims().unwrap().clone()),
            expected,
            "{name}"
        );
    }
    // A key that signed none of the signatures verifies nothing.
    let stranger = issuer_key().public_key();
    let result = verify_json(
        &presentation,
        IssuerKey::Pinned(&stranger),
        &VerifyOptions::plain(now, None, policy),
    )
    .unwrap();
    assert!(!result.is_verified());
}

#[test]
fn python_json_serialization_flattened() {
    run_json_case("json_serialization_flattened", JsonForm::Flattened);
}

#[test]
fn python_json_serialization_general() {
    run_json_case("json_serialization_general", JsonForm::General);
}

/// Every case directory has a test above: 15 compact, 2 JSON serialization.
#[test]
fn python_every_case_is_covered() {
    let mut compact = Vec::new();
    let mut json = Vec::new();
    for entry in std::fs::read_dir(DIR).unwrap() {
        let entry = entry.unwrap();
        if !entry.file_type().unwrap().is_dir() {
            continue;
        }
        let name = entry.file_name().into_string().unwrap();
        let case = load(&format!("{DIR}/{name}/specification.yml"));
        if case["serialization_format"].as_str() == Some("json") {
            json.push(name);
        } else {
            compact.push(name);
        }
    }
    compact.sort();
    json.sort();
    assert_eq!(compact.len(), 15);
    assert_eq!(
        json,
        vec!["json_serialization_flattened", "json_serialization_general"]
    );
}
