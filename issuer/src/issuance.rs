//! Building and signing credentials: `dc+sd-jwt` (SD-JWT VC with `cnf`, Token Status List
//! `status`, each claim and each `age_over_NN` separately disclosable) and `ldp_vc` (VC 2.0
//! with a Data Integrity proof, the holder's DID as subject, Bitstring Status List entries).

use chrono::{DateTime, TimeDelta, Utc};
use credentials::data_integrity::{self, ProofOptions};
use credentials::sd_jwt::{
    ClaimPath, Decoys, SdJwtVcOptions, StatusListReference, issue_sd_jwt_vc,
};
use credentials::status_list::bitstring::{BitstringStatusListEntry, StatusPurpose};
use credentials::{Ed25519SigningKey, PublicKey};
use serde_json::{Map, Value, json};

use crate::credential_type::{CredentialType, Cryptosuite, FormatSpec};
use crate::identity::Identity;
use crate::store::StatusRef;

/// Why a credential could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuanceError {
    /// The stored claims do not allow the derived attributes (birth date in the future).
    #[error("claims cannot be issued: {0}")]
    Claims(&'static str),
    /// `ldp_vc` needs a holder DID.
    #[error("ldp_vc needs a holder DID")]
    NoHolderDid,
    /// SD-JWT issuance failed.
    #[error("SD-JWT issuance failed: {0}")]
    SdJwt(#[from] credentials::sd_jwt::SdJwtError),
    /// Data Integrity signing failed.
    #[error("Data Integrity signing failed: {0}")]
    DataIntegrity(#[from] credentials::data_integrity::DataIntegrityError),
}

/// The URL of a Token Status List.
pub fn token_status_url(public_url: &str, list: u64) -> String {
    format!("{public_url}/status/token/{list}")
}

/// The URL of a Bitstring Status List credential for a purpose.
pub fn bitstring_status_url(public_url: &str, list: u64, purpose: &str) -> String {
    format!("{public_url}/status/bitstring/{list}/{purpose}")
}

/// Converts the suite of a credential type to the signing crate's.
pub fn suite(c: Cryptosuite) -> data_integrity::Cryptosuite {
    match c {
        Cryptosuite::EddsaRdfc2022 => data_integrity::Cryptosuite::EddsaRdfc2022,
        Cryptosuite::EddsaJcs2022 => data_integrity::Cryptosuite::EddsaJcs2022,
    }
}

/// RFC 3339 with seconds, `Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The claims with `age_over_NN` added (computed on the issuance date, UTC), and the paths of
/// the derived claims.
fn with_age_claims(
    credential_type: &CredentialType,
    claims: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(Map<String, Value>, Vec<ClaimPath>), IssuanceError> {
    let mut out = claims.clone();
    if credential_type.age_over.is_empty() {
        return Ok((out, Vec::new()));
    }
    let birth = claims
        .get("birth_date")
        .and_then(Value::as_str)
        .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .ok_or(IssuanceError::Claims("birth_date missing"))?;
    let paths = credentials::age::insert_age_over_claims(
        &mut out,
        birth,
        now.date_naive(),
        &credential_type.age_over,
    )
    .map_err(|_| IssuanceError::Claims("age attributes cannot be computed"))?;
    Ok((out, paths))
}

/// Everything needed to sign one credential.
pub struct IssueRequest<'a> {
    /// The type.
    pub credential_type: &'a CredentialType,
    /// The claims from the offer (validated against the type).
    pub claims: &'a Map<String, Value>,
    /// The credential id (`urn:uuid:...`).
    pub id: &'a str,
    /// Issuance time.
    pub now: DateTime<Utc>,
    /// The status entry.
    pub status: Option<StatusRef>,
    /// The public base URL.
    pub public_url: &'a str,
    /// The issuer identity and key.
    pub identity: &'a Identity,
    /// The signing key.
    pub key: &'a Ed25519SigningKey,
}

impl IssueRequest<'_> {
    /// `validUntil` / `exp`.
    pub fn valid_until(&self) -> DateTime<Utc> {
        self.now + TimeDelta::days(i64::from(self.credential_type.validity_days))
    }

    /// An SD-JWT VC bound to `holder` (`cnf.jwk`).
    pub fn sd_jwt(&self, holder: &PublicKey) -> Result<String, IssuanceError> {
        let (claims, age_paths) = with_age_claims(self.credential_type, self.claims, self.now)?;
        let mut disclosable: Vec<ClaimPath> = self
            .credential_type
            .claims
            .iter()
            .filter(|c| c.selectively_disclosable && claims.contains_key(&c.name))
            .map(|c| ClaimPath::keys([c.name.as_str()]))
            .collect();
        disclosable.extend(age_paths);
        let mut options = SdJwtVcOptions::new(self.credential_type.vct(self.public_url));
        options.iss = Some(self.identity.did.clone());
        options.kid = Some(self.identity.verification_method.clone());
        options.iat = Some(self.now);
        options.exp = Some(self.valid_until());
        options.cnf = Some(holder.clone());
        options.decoys = Decoys::UpTo(3);
        options.status = self.status.map(|s| StatusListReference {
            idx: s.index as usize,
            uri: token_status_url(self.public_url, s.list),
        });
        let issued = issue_sd_jwt_vc(
            claims,
            &disclosable,
            &options,
            self.key,
            &mut rand::rngs::OsRng,
        )?;
        Ok(issued.into_string())
    }

    /// A VC 2.0 credential about `holder_did`, carrying the claims the format allows, secured
    /// with `cryptosuite`.
    pub fn ldp_vc(
        &self,
        holder_did: &str,
        cryptosuite: Cryptosuite,
        carried: Option<&[String]>,
    ) -> Result<Value, IssuanceError> {
        let (claims, _) = with_age_claims(self.credential_type, self.claims, self.now)?;
        let mut subject = Map::new();
        subject.insert("id".into(), Value::String(holder_did.to_owned()));
        for (name, value) in claims {
            if carried.is_none_or(|list| list.contains(&name)) {
                subject.insert(name, value);
            }
        }
        let mut credential = json!({
            "@context": credential_context(),
            "id": self.id,
            "type": ["VerifiableCredential", self.credential_type.vc_type],
            "issuer": self.identity.did,
            "validFrom": timestamp(self.now),
            "validUntil": timestamp(self.valid_until()),
            "credentialSubject": subject,
        });
        if let Some(status) = self.status {
            credential["credentialStatus"] = bitstring_entries(self.public_url, status);
        }
        let options = ProofOptions::assertion(self.identity.verification_method.clone(), self.now);
        Ok(data_integrity::sign(
            &credential,
            suite(cryptosuite),
            &options,
            self.key,
        )?)
    }

    /// Signs for `format`.
    pub fn sign(&self, format: &FormatSpec, holder: &Holder) -> Result<Issued, IssuanceError> {
        match format {
            FormatSpec::SdJwt => Ok(Issued::SdJwt(self.sd_jwt(&holder.key)?)),
            FormatSpec::LdpVc {
                cryptosuite,
                claims,
            } => Ok(Issued::LdpVc(self.ldp_vc(
                &holder.did,
                *cryptosuite,
                claims.as_deref(),
            )?)),
        }
    }
}

/// The holder, from the proof of possession.
#[derive(Debug, Clone)]
pub struct Holder {
    /// The key.
    pub key: PublicKey,
    /// A DID for the key (the proof's did:key, or the did:jwk of a bare JWK).
    pub did: String,
}

impl Holder {
    /// How the issuer records the holder: the DID for `ldp_vc`, the RFC 9278 JWK thumbprint
    /// URI for `dc+sd-jwt`.
    pub fn record(&self, format: &FormatSpec) -> String {
        match format {
            FormatSpec::SdJwt => format!(
                "urn:ietf:params:oauth:jwk-thumbprint:sha-256:{}",
                self.key.jwk_thumbprint()
            ),
            FormatSpec::LdpVc { .. } => self.did.clone(),
        }
    }
}

/// A signed credential.
#[derive(Debug, Clone)]
pub enum Issued {
    /// Compact SD-JWT VC.
    SdJwt(String),
    /// JSON-LD credential.
    LdpVc(Value),
}

impl Issued {
    /// The `credential` member of the credential response.
    pub fn into_json(self) -> Value {
        match self {
            Issued::SdJwt(s) => Value::String(s),
            Issued::LdpVc(v) => v,
        }
    }
}

/// The `@context` of the issuer's `ldp_vc` credentials: VC 2.0 and an inline `@vocab` for
/// the type's own terms (claim names, the credential type). The VC 2.0 context's
/// issuer-dependent vocabulary is made explicit because Data Integrity signing expands in
/// safe mode, where a term without a definition is an error (decision 0704).
pub fn credential_context() -> Value {
    json!([
        credentials::vc::CREDENTIALS_V2_CONTEXT,
        { "@vocab": ISSUER_DEPENDENT_VOCAB }
    ])
}

/// The VC 2.0 issuer-dependent vocabulary.
pub const ISSUER_DEPENDENT_VOCAB: &str = "https://www.w3.org/ns/credentials/issuer-dependent#";

/// The two `BitstringStatusListEntry` values (revocation and suspension) of a status ref.
pub fn bitstring_entries(public_url: &str, status: StatusRef) -> Value {
    let index = status.index as usize;
    let entries: Vec<Value> = [StatusPurpose::Revocation, StatusPurpose::Suspension]
        .into_iter()
        .map(|p| {
            let url = bitstring_status_url(public_url, status.list, p.as_str());
            BitstringStatusListEntry::new(&url, p, index).to_json()
        })
        .collect();
    Value::Array(entries)
}

/// A fresh `urn:uuid:` (version 4).
pub fn new_credential_id() -> String {
    use rand::RngCore as _;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::DidMode;
    use crate::keyring::KeyInfo;
    use credentials::Signer as _;

    #[test]
    fn credential_ids_are_uuid_v4() {
        let id = new_credential_id();
        assert_eq!(id.len(), 9 + 36);
        assert_eq!(&id[9 + 14..9 + 15], "4");
        assert_ne!(id, new_credential_id());
    }

    #[test]
    fn ldp_proof_of_age_carries_only_age_attributes_about_the_holder() {
        let key = Ed25519SigningKey::from_seed(&[1; 32]);
        let identity = Identity::new(
            &DidMode::Key,
            &[KeyInfo {
                kid: "key-1".into(),
                public_key: key.public_key(),
                created_at: 0,
                retired_at: None,
            }],
            "key-1",
        )
        .unwrap();
        let t = CredentialType::proof_of_age();
        let claims = json!({"given_name":"Ada","family_name":"L","birth_date":"2000-01-01"});
        let req = IssueRequest {
            credential_type: &t,
            claims: claims.as_object().unwrap(),
            id: "urn:uuid:x",
            now: DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z")
                .unwrap()
                .to_utc(),
            status: None,
            public_url: "http://localhost",
            identity: &identity,
            key: &key,
        };
        let FormatSpec::LdpVc {
            cryptosuite,
            claims: carried,
        } = t.format_of("proof_of_age_ldp_vc").unwrap()
        else {
            panic!()
        };
        let vc = req
            .ldp_vc("did:key:zHolder", *cryptosuite, carried.as_deref())
            .unwrap();
        let subject = vc["credentialSubject"].as_object().unwrap();
        let mut names: Vec<&str> = subject.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["age_over_18", "age_over_21", "age_over_65", "id"]);
        assert_eq!(subject["age_over_21"], true);
        assert_eq!(subject["age_over_65"], false);
        assert_eq!(vc["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    }
}
