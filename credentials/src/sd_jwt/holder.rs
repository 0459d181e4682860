//! The holder's side (RFC 9901 section 7.2): parse an SD-JWT, list what it can disclose,
//! build a presentation with exactly the requested claims, and add a Key Binding JWT
//! (section 4.3).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::disclosure::{Disclosure, HashAlg};
use super::path::{ClaimPath, PathElement};
use super::{KB_JWT_TYP, MAX_NESTING_DEPTH, SD_ALG_CLAIM, SD_CLAIM, SdJwtError};
use crate::jose::{CompactJws, sign_compact};
use crate::keys::{PublicKey, Signer};

/// The three parts of the compact serialization `<JWT>~<D1>~...~<Dn>~[<KB-JWT>]`
/// (RFC 9901 section 4): the issuer-signed JWT, the disclosures, and the Key Binding JWT if
/// the last part is not empty.
pub(crate) struct Parts<'a> {
    pub issuer_jwt: &'a str,
    pub disclosures: Vec<&'a str>,
    pub key_binding_jwt: Option<&'a str>,
    /// Everything up to and including the last `~`: the input of `sd_hash` (section 4.3.1).
    pub without_key_binding: &'a str,
}

pub(crate) fn split(serialized: &str) -> Result<Parts<'_>, SdJwtError> {
    let last_tilde = serialized.rfind('~').ok_or(SdJwtError::Malformed)?;
    let (without_key_binding, kb) = serialized.split_at(last_tilde + 1);
    let mut parts = without_key_binding[..last_tilde].split('~');
    let issuer_jwt = parts.next().ok_or(SdJwtError::Malformed)?;
    let disclosures: Vec<&str> = parts.collect();
    if issuer_jwt.is_empty() || disclosures.iter().any(|d| d.is_empty()) {
        return Err(SdJwtError::Malformed);
    }
    Ok(Parts {
        issuer_jwt,
        disclosures,
        key_binding_jwt: (!kb.is_empty()).then_some(kb),
        without_key_binding,
    })
}

/// The hash algorithm named by a payload's `_sd_alg` (default `sha-256`, RFC 9901 section
/// 4.1.1), or `None` if it is not a supported name.
pub(crate) fn payload_hash_alg(payload: &Map<String, Value>) -> Option<HashAlg> {
    match payload.get(SD_ALG_CLAIM) {
        None => Some(HashAlg::Sha256),
        Some(Value::String(name)) => HashAlg::from_name(name),
        Some(_) => None,
    }
}

/// A parsed SD-JWT or SD-JWT+KB as a holder sees it. Nothing here is verified: a wallet
/// verifies a credential it receives with [`super::verify`] before storing it.
#[derive(Clone)]
pub struct SdJwt {
    jws: CompactJws,
    disclosures: Vec<Disclosure>,
    key_binding_jwt: Option<String>,
    hash_alg: HashAlg,
}

/// Redacted: a credential never appears in logs.
impl std::fmt::Debug for SdJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdJwt")
            .field("alg", &self.jws.algorithm())
            .field("typ", &self.jws.typ())
            .field("disclosures", &self.disclosures.len())
            .field("key_bound", &self.key_binding_jwt.is_some())
            .finish_non_exhaustive()
    }
}

/// A claim reachable by disclosures, with every disclosure needed on the way to it.
struct Node {
    path: ClaimPath,
    /// Disclosure indices from the top down to (and including) this claim's own.
    chain: Vec<usize>,
}

impl SdJwt {
    /// Parses the compact serialization (RFC 9901 section 4).
    pub fn parse(serialized: &str) -> Result<Self, SdJwtError> {
        let parts = split(serialized)?;
        let jws = CompactJws::parse(parts.issuer_jwt).map_err(SdJwtError::Jws)?;
        let hash_alg =
            payload_hash_alg(jws.payload()).ok_or(SdJwtError::UnsupportedHashAlgorithm)?;
        let disclosures = parts
            .disclosures
            .iter()
            .map(|d| Disclosure::parse(d))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            jws,
            disclosures,
            key_binding_jwt: parts.key_binding_jwt.map(str::to_owned),
            hash_alg,
        })
    }

    /// The issuer-signed JWT.
    pub fn issuer_jwt(&self) -> &str {
        self.jws.as_str()
    }

    /// The issuer-signed JWT's header (unverified).
    pub fn header(&self) -> &Map<String, Value> {
        self.jws.header()
    }

    /// The issuer-signed JWT's payload with its digests (unverified, nothing disclosed).
    pub fn unverified_payload(&self) -> &Map<String, Value> {
        self.jws.payload()
    }

    /// The disclosures.
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// The Key Binding JWT, if this is an SD-JWT+KB.
    pub fn key_binding_jwt(&self) -> Option<&str> {
        self.key_binding_jwt.as_deref()
    }

    /// The digest algorithm (`_sd_alg`).
    pub fn hash_alg(&self) -> HashAlg {
        self.hash_alg
    }

    /// The holder key from `cnf.jwk` (RFC 7800 section 3.2), if present and usable.
    pub fn holder_key(&self) -> Option<PublicKey> {
        let jwk = self.jws.payload().get("cnf")?.get("jwk")?;
        PublicKey::from_jwk(jwk).ok()
    }

    /// Every claim this SD-JWT can selectively disclose, as concrete paths in disclosure
    /// order (array indices count the elements of the complete array; decoys are not
    /// elements).
    pub fn disclosable_paths(&self) -> Result<Vec<ClaimPath>, SdJwtError> {
        let mut own: Vec<(usize, ClaimPath)> = self.walk()?.own.into_iter().collect();
        own.sort_by_key(|(index, _)| *index);
        Ok(own.into_iter().map(|(_, path)| path).collect())
    }

    /// Walks the payload with the disclosures at hand: every reachable claim, plain ones
    /// included, and the path of each disclosure.
    fn walk(&self) -> Result<Walker<'_>, SdJwtError> {
        let mut walker = Walker::new(self)?;
        let mut path = ClaimPath::root();
        let mut chain = Vec::new();
        walker.object(self.jws.payload(), &mut path, &mut chain, true)?;
        Ok(walker)
    }

    /// Builds a presentation disclosing exactly the claims at `selection` (RFC 9901 section
    /// 7.2): for each path, the claim there with everything below it, plus the disclosures of
    /// the claims on the way to it (so that a nested claim can be reached). Nothing else is
    /// disclosed. The result ends with `~` and carries no Key Binding JWT; see
    /// [`add_key_binding`].
    ///
    /// A path that selects no claim is refused with [`SdJwtError::PathNotFound`].
    pub fn present(&self, selection: &[ClaimPath]) -> Result<String, SdJwtError> {
        let nodes = self.walk()?.nodes;
        let mut included = vec![false; self.disclosures.len()];
        for wanted in selection {
            if wanted.is_root() {
                return Err(SdJwtError::PathNotFound(wanted.clone()));
            }
            let mut found = false;
            for node in nodes.iter().filter(|n| wanted.covers(&n.path)) {
                found |= wanted.matches(&node.path);
                for &index in &node.chain {
                    included[index] = true;
                }
            }
            if !found {
                return Err(SdJwtError::PathNotFound(wanted.clone()));
            }
        }
        let mut out = String::from(self.jws.as_str());
        out.push('~');
        for (disclosure, _) in self
            .disclosures
            .iter()
            .zip(&included)
            .filter(|(_, inc)| **inc)
        {
            out.push_str(disclosure.as_str());
            out.push('~');
        }
        Ok(out)
    }

    /// [`SdJwt::present`] followed by [`add_key_binding`].
    pub fn present_with_key_binding(
        &self,
        selection: &[ClaimPath],
        holder: &dyn Signer,
        audience: &str,
        nonce: &str,
        issued_at: DateTime<Utc>,
    ) -> Result<String, SdJwtError> {
        let presentation = self.present(selection)?;
        add_key_binding(&presentation, holder, audience, nonce, issued_at)
    }
}

/// Appends a Key Binding JWT (RFC 9901 section 4.3) to a presentation that ends with `~`:
/// header `typ` `kb+jwt`, payload `iat`, `aud`, `nonce` and `sd_hash` (section 4.3.1: the
/// digest, with the SD-JWT's `_sd_alg`, of the presentation exactly as given).
///
/// The signer's key must be the SD-JWT's `cnf.jwk`: anything else could never verify, and
/// signing with a key the credential is not bound to is refused.
pub fn add_key_binding(
    presentation: &str,
    holder: &dyn Signer,
    audience: &str,
    nonce: &str,
    issued_at: DateTime<Utc>,
) -> Result<String, SdJwtError> {
    let sd_jwt = SdJwt::parse(presentation)?;
    if sd_jwt.key_binding_jwt.is_some() {
        return Err(SdJwtError::AlreadyKeyBound);
    }
    let bound = sd_jwt.holder_key().ok_or(SdJwtError::NoHolderKey)?;
    if bound != holder.public_key() {
        return Err(SdJwtError::HolderKeyMismatch);
    }
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(KB_JWT_TYP.into()));
    let mut payload = Map::new();
    payload.insert("iat".into(), Value::from(issued_at.timestamp()));
    payload.insert("aud".into(), Value::String(audience.into()));
    payload.insert("nonce".into(), Value::String(nonce.into()));
    payload.insert(
        "sd_hash".into(),
        Value::String(sd_jwt.hash_alg.encoded_digest(presentation)),
    );
    let kb_jwt = sign_compact(header, &payload, holder);
    Ok(format!("{presentation}{kb_jwt}"))
}

/// Walks the payload with the disclosures at hand, recording each reachable claim.
struct Walker<'a> {
    disclosures: &'a [Disclosure],
    by_digest: HashMap<String, usize>,
    visited: Vec<bool>,
    nodes: Vec<Node>,
    own: HashMap<usize, ClaimPath>,
}

impl<'a> Walker<'a> {
    fn new(sd_jwt: &'a SdJwt) -> Result<Self, SdJwtError> {
        let mut by_digest = HashMap::new();
        for (index, disclosure) in sd_jwt.disclosures.iter().enumerate() {
            if by_digest
                .insert(disclosure.digest(sd_jwt.hash_alg), index)
                .is_some()
            {
                return Err(SdJwtError::DuplicateDisclosure);
            }
        }
        Ok(Self {
            disclosures: &sd_jwt.disclosures,
            by_digest,
            visited: vec![false; sd_jwt.disclosures.len()],
            nodes: Vec::new(),
            own: HashMap::new(),
        })
    }

    fn enter(&mut self, digest: &str) -> Result<Option<usize>, SdJwtError> {
        let Some(&index) = self.by_digest.get(digest) else {
            return Ok(None);
        };
        if std::mem::replace(&mut self.visited[index], true) {
            return Err(SdJwtError::Malformed);
        }
        Ok(Some(index))
    }

    fn value(
        &mut self,
        value: &Value,
        path: &mut ClaimPath,
        chain: &mut Vec<usize>,
    ) -> Result<(), SdJwtError> {
        match value {
            Value::Object(map) => self.object(map, path, chain, false),
            Value::Array(items) => self.array(items, path, chain),
            _ => Ok(()),
        }
    }

    fn visit(
        &mut self,
        element: PathElement,
        value: &Value,
        own: Option<usize>,
        path: &mut ClaimPath,
        chain: &mut Vec<usize>,
    ) -> Result<(), SdJwtError> {
        path.push(element);
        if path.elements().len() > MAX_NESTING_DEPTH {
            return Err(SdJwtError::NestingTooDeep);
        }
        if let Some(index) = own {
            chain.push(index);
            self.own.insert(index, path.clone());
        }
        self.nodes.push(Node {
            path: path.clone(),
            chain: chain.clone(),
        });
        self.value(value, path, chain)?;
        if own.is_some() {
            chain.pop();
        }
        path.pop();
        Ok(())
    }

    fn object(
        &mut self,
        map: &Map<String, Value>,
        path: &mut ClaimPath,
        chain: &mut Vec<usize>,
        top: bool,
    ) -> Result<(), SdJwtError> {
        for (name, value) in map {
            if name == SD_CLAIM || (top && name == SD_ALG_CLAIM) {
                continue;
            }
            self.visit(PathElement::Key(name.clone()), value, None, path, chain)?;
        }
        let digests = match map.get(SD_CLAIM) {
            None => return Ok(()),
            Some(Value::Array(digests)) => digests,
            Some(_) => return Err(SdJwtError::Malformed),
        };
        for digest in digests {
            let digest = digest.as_str().ok_or(SdJwtError::Malformed)?;
            if let Some(index) = self.enter(digest)? {
                let disclosures = self.disclosures;
                let disclosure = &disclosures[index];
                let name = disclosure
                    .claim_name()
                    .ok_or(SdJwtError::DisclosureMalformed)?;
                self.visit(
                    PathElement::Key(name.to_owned()),
                    disclosure.value(),
                    Some(index),
                    path,
                    chain,
                )?;
            }
        }
        Ok(())
    }

    fn array(
        &mut self,
        items: &[Value],
        path: &mut ClaimPath,
        chain: &mut Vec<usize>,
    ) -> Result<(), SdJwtError> {
        let mut position = 0;
        for item in items {
            match array_element_digest(item)? {
                Some(digest) => {
                    if let Some(index) = self.enter(digest)? {
                        let disclosures = self.disclosures;
                        let disclosure = &disclosures[index];
                        if disclosure.claim_name().is_some() {
                            return Err(SdJwtError::DisclosureMalformed);
                        }
                        self.visit(
                            PathElement::Index(position),
                            disclosure.value(),
                            Some(index),
                            path,
                            chain,
                        )?;
                        position += 1;
                    }
                }
                None => {
                    self.visit(PathElement::Index(position), item, None, path, chain)?;
                    position += 1;
                }
            }
        }
        Ok(())
    }
}

/// The digest of an array element of the form `{"...": digest}` (RFC 9901 section 4.2.4.2);
/// `None` for an ordinary element. An object with a `...` member and other members, or a
/// non-string digest, is malformed.
pub(crate) fn array_element_digest(item: &Value) -> Result<Option<&str>, SdJwtError> {
    let Some(map) = item.as_object() else {
        return Ok(None);
    };
    let Some(digest) = map.get("...") else {
        return Ok(None);
    };
    if map.len() != 1 {
        return Err(SdJwtError::Malformed);
    }
    digest.as_str().map(Some).ok_or(SdJwtError::Malformed)
}
