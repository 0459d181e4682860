//! DID documents (DID Core 1.0 sections 5 and 6), verification methods, and key lookup by
//! verification relationship.
//!
//! A [`DidDocument`] is only built by [`DidDocument::from_json`] (untrusted input, validated)
//! or by the builders used by the method implementations. Relative DID URLs (`#key-1`) are
//! resolved against the document's `id` when parsed, so every id held here is absolute.

use credentials::keys::PublicKey;
use credentials::{KeyResolutionError, Relationship};
use serde_json::{Map, Value, json};

use crate::did::{Did, DidUrl};
use crate::error::DocumentError;

/// `@context` of DID Core 1.0 (DID Core section 6.3.1: must come first).
pub const DID_V1_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
/// `@context` of the Multikey verification method type (Controlled Identifiers / Multikey v1).
pub const MULTIKEY_V1_CONTEXT: &str = "https://w3id.org/security/multikey/v1";
/// `@context` of `JsonWebKey2020` (used by the did:jwk method spec).
pub const JWS_2020_CONTEXT: &str = "https://w3id.org/security/suites/jws-2020/v1";
/// `@context` of the `JsonWebKey` verification method type (Controlled Identifiers v1).
pub const JWK_V1_CONTEXT: &str = "https://w3id.org/security/jwk/v1";

/// Most verification methods (listed plus embedded) accepted in one document: a bound on
/// untrusted input.
pub const MAX_VERIFICATION_METHODS: usize = 256;

/// The five verification relationships, in the order they are serialized.
pub const RELATIONSHIPS: [Relationship; 5] = [
    Relationship::Authentication,
    Relationship::AssertionMethod,
    Relationship::CapabilityDelegation,
    Relationship::CapabilityInvocation,
    Relationship::KeyAgreement,
];

fn relationship_index(r: Relationship) -> usize {
    match r {
        Relationship::Authentication => 0,
        Relationship::AssertionMethod => 1,
        Relationship::CapabilityDelegation => 2,
        Relationship::CapabilityInvocation => 3,
        Relationship::KeyAgreement => 4,
    }
}

/// The verification material of a method (DID Core section 5.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// `publicKeyMultibase`.
    Multibase(String),
    /// `publicKeyJwk`.
    Jwk(Value),
    /// `publicKeyBase58` (legacy `Ed25519VerificationKey2018`).
    Base58(String),
}

/// A verification method (DID Core section 5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMethod {
    id: DidUrl,
    type_: String,
    controller: Did,
    material: KeyMaterial,
    extra: Map<String, Value>,
}

impl VerificationMethod {
    /// A `Multikey` method (`publicKeyMultibase`).
    pub fn multikey(id: DidUrl, controller: Did, key: &PublicKey) -> Self {
        Self::with_material(
            id,
            "Multikey",
            controller,
            KeyMaterial::Multibase(key.to_multikey()),
        )
    }

    /// A method with the given type and material.
    pub fn with_material(
        id: DidUrl,
        type_: impl Into<String>,
        controller: Did,
        material: KeyMaterial,
    ) -> Self {
        VerificationMethod {
            id,
            type_: type_.into(),
            controller,
            material,
            extra: Map::new(),
        }
    }

    /// The method's id.
    pub fn id(&self) -> &DidUrl {
        &self.id
    }

    /// The method's `type`.
    pub fn type_(&self) -> &str {
        &self.type_
    }

    /// The method's `controller`.
    pub fn controller(&self) -> &Did {
        &self.controller
    }

    /// The method's verification material.
    pub fn material(&self) -> &KeyMaterial {
        &self.material
    }

    /// The verification key. Supports `Multikey`, `Ed25519VerificationKey2020` (multibase),
    /// `Ed25519VerificationKey2018` (base58), `JsonWebKey2020` and `JsonWebKey` (JWK);
    /// refuses a type whose material is of the wrong form, and weak (small-order) Ed25519
    /// keys.
    pub fn public_key(&self) -> Result<PublicKey, KeyResolutionError> {
        let key = match (self.type_.as_str(), &self.material) {
            ("Multikey", KeyMaterial::Multibase(mb)) => {
                PublicKey::from_multikey(mb).map_err(unsupported)?
            }
            ("Ed25519VerificationKey2020", KeyMaterial::Multibase(mb)) => {
                match PublicKey::from_multikey(mb).map_err(unsupported)? {
                    k @ PublicKey::Ed25519(_) => k,
                    PublicKey::P256(_) => return Err(KeyResolutionError::UnsupportedKey),
                }
            }
            ("Ed25519VerificationKey2018", KeyMaterial::Base58(b58)) => {
                let raw = bs58::decode(b58).into_vec().map_err(unsupported)?;
                let mut bytes = credentials::keys::MULTICODEC_ED25519_PUB.to_vec();
                bytes.extend_from_slice(&raw);
                PublicKey::from_multicodec(&bytes).map_err(unsupported)?
            }
            ("JsonWebKey2020" | "JsonWebKey", KeyMaterial::Jwk(jwk)) => {
                PublicKey::from_jwk(jwk).map_err(unsupported)?
            }
            _ => return Err(KeyResolutionError::UnsupportedKey),
        };
        if let PublicKey::Ed25519(k) = &key
            && k.is_weak()
        {
            return Err(KeyResolutionError::UnsupportedKey);
        }
        Ok(key)
    }

    fn from_json(value: &Value, base: &Did) -> Result<Self, DocumentError> {
        let obj = value.as_object().ok_or(DocumentError::Malformed)?;
        let text = |name: &str| obj.get(name).and_then(Value::as_str);
        let id = DidUrl::parse_relative(text("id").ok_or(DocumentError::InvalidMethodId)?, base)
            .map_err(|_| DocumentError::InvalidMethodId)?;
        let type_ = text("type").ok_or(DocumentError::Malformed)?.to_owned();
        let controller = Did::parse(text("controller").ok_or(DocumentError::InvalidController)?)
            .map_err(|_| DocumentError::InvalidController)?;
        // DID Core 5.2.1: exactly one form of verification material.
        let mut materials = Vec::new();
        if let Some(v) = obj.get("publicKeyMultibase") {
            materials.push(KeyMaterial::Multibase(
                v.as_str().ok_or(DocumentError::Malformed)?.to_owned(),
            ));
        }
        if let Some(v) = obj.get("publicKeyJwk") {
            if !v.is_object() {
                return Err(DocumentError::Malformed);
            }
            materials.push(KeyMaterial::Jwk(v.clone()));
        }
        if let Some(v) = obj.get("publicKeyBase58") {
            materials.push(KeyMaterial::Base58(
                v.as_str().ok_or(DocumentError::Malformed)?.to_owned(),
            ));
        }
        let material = match materials.len() {
            1 => materials.remove(0),
            _ => return Err(DocumentError::VerificationMaterial),
        };
        let extra = obj
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "id" | "type"
                        | "controller"
                        | "publicKeyMultibase"
                        | "publicKeyJwk"
                        | "publicKeyBase58"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(VerificationMethod {
            id,
            type_,
            controller,
            material,
            extra,
        })
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("id".into(), Value::String(self.id.to_string()));
        obj.insert("type".into(), Value::String(self.type_.clone()));
        obj.insert(
            "controller".into(),
            Value::String(self.controller.to_string()),
        );
        match &self.material {
            KeyMaterial::Multibase(mb) => {
                obj.insert("publicKeyMultibase".into(), Value::String(mb.clone()))
            }
            KeyMaterial::Jwk(jwk) => obj.insert("publicKeyJwk".into(), jwk.clone()),
            KeyMaterial::Base58(b) => {
                obj.insert("publicKeyBase58".into(), Value::String(b.clone()))
            }
        };
        for (k, v) in &self.extra {
            obj.insert(k.clone(), v.clone());
        }
        Value::Object(obj)
    }
}

/// An entry of a verification relationship: a reference to a method of `verificationMethod`
/// or a method embedded for that relationship only (DID Core section 5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationshipEntry {
    /// A DID URL referring to a verification method.
    Reference(DidUrl),
    /// A method usable only for this relationship.
    Embedded(VerificationMethod),
}

/// A DID document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidDocument {
    context: Vec<Value>,
    id: Did,
    controller: Vec<Did>,
    also_known_as: Vec<String>,
    verification_method: Vec<VerificationMethod>,
    relationships: [Vec<RelationshipEntry>; 5],
    service: Vec<Value>,
    extra: Map<String, Value>,
}

impl DidDocument {
    /// An empty document for `id` (context is derived from the methods when serialized).
    pub fn new(id: Did) -> Self {
        DidDocument {
            context: Vec::new(),
            id,
            controller: Vec::new(),
            also_known_as: Vec::new(),
            verification_method: Vec::new(),
            relationships: Default::default(),
            service: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Sets `@context` explicitly.
    pub fn set_context(&mut self, context: Vec<Value>) {
        self.context = context;
    }

    /// Adds a `controller` DID (DID Core section 5.1.2).
    pub fn add_controller(&mut self, controller: Did) {
        self.controller.push(controller);
    }

    /// Adds a method to `verificationMethod` and references it from each relationship.
    pub fn add_verification_method(
        &mut self,
        method: VerificationMethod,
        relationships: &[Relationship],
    ) {
        for r in relationships {
            self.relationships[relationship_index(*r)]
                .push(RelationshipEntry::Reference(method.id.clone()));
        }
        self.verification_method.push(method);
    }

    /// Embeds a method under one relationship only.
    pub fn add_embedded_method(&mut self, relationship: Relationship, method: VerificationMethod) {
        self.relationships[relationship_index(relationship)]
            .push(RelationshipEntry::Embedded(method));
    }

    /// Adds a reference (possibly to another DID's method) under a relationship.
    pub fn add_reference(&mut self, relationship: Relationship, id: DidUrl) {
        self.relationships[relationship_index(relationship)].push(RelationshipEntry::Reference(id));
    }

    /// Adds a service entry.
    pub fn add_service(&mut self, service: Value) {
        self.service.push(service);
    }

    /// The document's DID.
    pub fn id(&self) -> &Did {
        &self.id
    }

    /// The `controller` DIDs.
    pub fn controllers(&self) -> &[Did] {
        &self.controller
    }

    /// The `verificationMethod` entries.
    pub fn verification_methods(&self) -> &[VerificationMethod] {
        &self.verification_method
    }

    /// The entries under a relationship.
    pub fn relationship(&self, relationship: Relationship) -> &[RelationshipEntry] {
        &self.relationships[relationship_index(relationship)]
    }

    /// The `service` entries.
    pub fn services(&self) -> &[Value] {
        &self.service
    }

    /// Parses and validates an untrusted DID document.
    pub fn from_json(value: &Value) -> Result<Self, DocumentError> {
        let obj = value.as_object().ok_or(DocumentError::Malformed)?;
        // DID Core 5.1.1: `id` is required and is a DID.
        let id = Did::parse(
            obj.get("id")
                .and_then(Value::as_str)
                .ok_or(DocumentError::Malformed)?,
        )
        .map_err(|_| DocumentError::Malformed)?;
        let mut doc = DidDocument::new(id.clone());
        doc.context = match obj.get("@context") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(v @ (Value::String(_) | Value::Object(_))) => vec![v.clone()],
            Some(_) => return Err(DocumentError::Malformed),
        };
        // DID Core 5.1.2: controller is a DID or a set of DIDs.
        doc.controller = one_or_many(obj.get("controller"))?
            .into_iter()
            .map(|v| {
                v.as_str()
                    .and_then(|s| Did::parse(s).ok())
                    .ok_or(DocumentError::InvalidController)
            })
            .collect::<Result<_, _>>()?;
        doc.also_known_as = match obj.get("alsoKnownAs") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or(DocumentError::Malformed)
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(DocumentError::Malformed),
        };
        let mut count = 0usize;
        if let Some(vms) = obj.get("verificationMethod") {
            let vms = vms.as_array().ok_or(DocumentError::Malformed)?;
            count += vms.len();
            if count > MAX_VERIFICATION_METHODS {
                return Err(DocumentError::TooLarge);
            }
            for vm in vms {
                doc.verification_method
                    .push(VerificationMethod::from_json(vm, &id)?);
            }
        }
        for r in RELATIONSHIPS {
            let Some(entries) = obj.get(r.as_str()) else {
                continue;
            };
            let entries = entries.as_array().ok_or(DocumentError::Malformed)?;
            count += entries.len();
            if count > MAX_VERIFICATION_METHODS {
                return Err(DocumentError::TooLarge);
            }
            for entry in entries {
                let parsed = match entry {
                    Value::String(s) => RelationshipEntry::Reference(
                        DidUrl::parse_relative(s, &id)
                            .map_err(|_| DocumentError::InvalidMethodId)?,
                    ),
                    Value::Object(_) => {
                        RelationshipEntry::Embedded(VerificationMethod::from_json(entry, &id)?)
                    }
                    _ => return Err(DocumentError::Malformed),
                };
                doc.relationships[relationship_index(r)].push(parsed);
            }
        }
        // DID Core 5.2: verification method ids are unique within the document (listed and
        // embedded alike).
        let mut seen = std::collections::HashSet::new();
        let embedded = doc.relationships.iter().flatten().filter_map(|e| match e {
            RelationshipEntry::Embedded(vm) => Some(vm),
            RelationshipEntry::Reference(_) => None,
        });
        for vm in doc.verification_method.iter().chain(embedded) {
            if !seen.insert(vm.id.to_string()) {
                return Err(DocumentError::DuplicateMethodId);
            }
        }
        doc.service = match obj.get("service") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err(DocumentError::Malformed),
        };
        const KNOWN: [&str; 11] = [
            "@context",
            "id",
            "controller",
            "alsoKnownAs",
            "verificationMethod",
            "authentication",
            "assertionMethod",
            "capabilityDelegation",
            "capabilityInvocation",
            "keyAgreement",
            "service",
        ];
        doc.extra = obj
            .iter()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(doc)
    }

    /// Parses an untrusted document retrieved for `did`, requiring `id == did` (DID Core
    /// section 7.1: the resolved document's `id` is the DID that was resolved).
    pub fn from_json_for(value: &Value, did: &Did) -> Result<Self, DocumentError> {
        // Check the id before anything else, so a wrong-id document is reported as such.
        if value.get("id").and_then(Value::as_str) != Some(did.as_str()) {
            return Err(DocumentError::IdMismatch);
        }
        Self::from_json(value)
    }

    /// The `@context` written on serialization: the explicit one, or DID v1 followed by the
    /// contexts of the verification method types in use.
    pub fn context(&self) -> Vec<Value> {
        if !self.context.is_empty() {
            return self.context.clone();
        }
        let mut ctx = vec![Value::String(DID_V1_CONTEXT.into())];
        let embedded = self.relationships.iter().flatten().filter_map(|e| match e {
            RelationshipEntry::Embedded(vm) => Some(vm),
            RelationshipEntry::Reference(_) => None,
        });
        for vm in self.verification_method.iter().chain(embedded) {
            let extra = match vm.type_.as_str() {
                "Multikey" => MULTIKEY_V1_CONTEXT,
                "JsonWebKey2020" => JWS_2020_CONTEXT,
                "JsonWebKey" => JWK_V1_CONTEXT,
                _ => continue,
            };
            let v = Value::String(extra.into());
            if !ctx.contains(&v) {
                ctx.push(v);
            }
        }
        ctx
    }

    /// The JSON-LD form (`application/did+ld+json`), `@context` first.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("@context".into(), Value::Array(self.context()));
        obj.insert("id".into(), Value::String(self.id.to_string()));
        match self.controller.as_slice() {
            [] => {}
            [one] => {
                obj.insert("controller".into(), Value::String(one.to_string()));
            }
            many => {
                obj.insert("controller".into(), json!(many));
            }
        }
        if !self.also_known_as.is_empty() {
            obj.insert("alsoKnownAs".into(), json!(self.also_known_as));
        }
        if !self.verification_method.is_empty() {
            obj.insert(
                "verificationMethod".into(),
                Value::Array(
                    self.verification_method
                        .iter()
                        .map(VerificationMethod::to_json)
                        .collect(),
                ),
            );
        }
        for r in RELATIONSHIPS {
            let entries = &self.relationships[relationship_index(r)];
            if entries.is_empty() {
                continue;
            }
            let values = entries
                .iter()
                .map(|e| match e {
                    RelationshipEntry::Reference(url) => Value::String(url.to_string()),
                    RelationshipEntry::Embedded(vm) => vm.to_json(),
                })
                .collect();
            obj.insert(r.as_str().into(), Value::Array(values));
        }
        if !self.service.is_empty() {
            obj.insert("service".into(), Value::Array(self.service.clone()));
        }
        for (k, v) in &self.extra {
            obj.insert(k.clone(), v.clone());
        }
        Value::Object(obj)
    }

    /// The method of `verificationMethod` with this id.
    pub fn verification_method(&self, id: &DidUrl) -> Option<&VerificationMethod> {
        self.verification_method.iter().find(|vm| &vm.id == id)
    }

    /// The verification method `id` if, and only if, it is authorized for `relationship`
    /// (DID Core section 5.3):
    /// - it belongs to this document's DID (a method of another DID is looked up in that
    ///   DID's own document, never accepted on this document's say-so);
    /// - it is embedded under the relationship, or referenced there and listed in
    ///   `verificationMethod` (an embedded method of another relationship does not count);
    /// - its `controller` is this DID or a DID listed in this document's `controller`.
    pub fn authorized_method(
        &self,
        id: &DidUrl,
        relationship: Relationship,
    ) -> Result<&VerificationMethod, KeyResolutionError> {
        if id.did() != &self.id {
            return Err(KeyResolutionError::NotFound);
        }
        let mut found = None;
        for entry in self.relationship(relationship) {
            match entry {
                RelationshipEntry::Embedded(vm) if &vm.id == id => {
                    found = Some(vm);
                    break;
                }
                RelationshipEntry::Reference(r) if r == id => {
                    found = Some(
                        self.verification_method(id)
                            .ok_or(KeyResolutionError::NotFound)?,
                    );
                    break;
                }
                _ => {}
            }
        }
        let Some(vm) = found else {
            let exists = self.verification_method(id).is_some()
                || self
                    .relationships
                    .iter()
                    .flatten()
                    .any(|e| matches!(e, RelationshipEntry::Embedded(vm) if &vm.id == id));
            return Err(if exists {
                KeyResolutionError::NotAuthorized
            } else {
                KeyResolutionError::NotFound
            });
        };
        // DID Core 5.2: the controller of the method must be this DID or one of the
        // document's controllers; otherwise the document cannot authorize it.
        if vm.controller != self.id && !self.controller.contains(&vm.controller) {
            return Err(KeyResolutionError::NotAuthorized);
        }
        Ok(vm)
    }

    /// The public key of `verification_method` (an absolute DID URL) if it is authorized for
    /// `relationship`.
    pub fn resolve_key(
        &self,
        verification_method: &str,
        relationship: Relationship,
    ) -> Result<PublicKey, KeyResolutionError> {
        let id = DidUrl::parse(verification_method).map_err(|_| KeyResolutionError::InvalidId)?;
        self.authorized_method(&id, relationship)?.public_key()
    }
}

fn unsupported<E>(_: E) -> KeyResolutionError {
    KeyResolutionError::UnsupportedKey
}

fn one_or_many(value: Option<&Value>) -> Result<Vec<Value>, DocumentError> {
    Ok(match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(v @ Value::String(_)) => vec![v.clone()],
        Some(_) => return Err(DocumentError::Malformed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::{Ed25519SigningKey, Signer as _};

    fn key(seed: u8) -> PublicKey {
        Ed25519SigningKey::from_seed(&[seed; 32]).public_key()
    }

    fn doc_with(extra: Value) -> Value {
        let mut base = json!({
            "@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
            "id": "did:example:alice",
            "verificationMethod": [{
                "id": "#key-1",
                "type": "Multikey",
                "controller": "did:example:alice",
                "publicKeyMultibase": key(1).to_multikey()
            }, {
                "id": "did:example:alice#key-2",
                "type": "Multikey",
                "controller": "did:example:alice",
                "publicKeyMultibase": key(2).to_multikey()
            }],
            "assertionMethod": ["#key-1"],
            "authentication": ["did:example:alice#key-2", {
                "id": "#embedded",
                "type": "Multikey",
                "controller": "did:example:alice",
                "publicKeyMultibase": key(3).to_multikey()
            }]
        });
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        base
    }

    #[test]
    fn relationship_lookup_references_and_embedded() {
        let doc = DidDocument::from_json(&doc_with(json!({}))).unwrap();
        let am = Relationship::AssertionMethod;
        let auth = Relationship::Authentication;
        assert_eq!(
            doc.resolve_key("did:example:alice#key-1", am).unwrap(),
            key(1)
        );
        assert_eq!(
            doc.resolve_key("did:example:alice#key-2", auth).unwrap(),
            key(2)
        );
        assert_eq!(
            doc.resolve_key("did:example:alice#embedded", auth).unwrap(),
            key(3)
        );
    }

    #[test]
    fn method_not_under_relationship_is_not_authorized() {
        // DID Core 5.3: a key listed for authentication must not verify assertions.
        let doc = DidDocument::from_json(&doc_with(json!({}))).unwrap();
        let am = Relationship::AssertionMethod;
        assert_eq!(
            doc.resolve_key("did:example:alice#key-2", am),
            Err(KeyResolutionError::NotAuthorized)
        );
        // An embedded method is authorized only for the relationship that embeds it.
        assert_eq!(
            doc.resolve_key("did:example:alice#embedded", am),
            Err(KeyResolutionError::NotAuthorized)
        );
        assert_eq!(
            doc.resolve_key("did:example:alice#nope", am),
            Err(KeyResolutionError::NotFound)
        );
        assert_eq!(
            doc.resolve_key("not a did", am),
            Err(KeyResolutionError::InvalidId)
        );
    }

    #[test]
    fn foreign_controller_is_not_authorized_unless_listed() {
        let mut value = doc_with(json!({}));
        value["verificationMethod"][0]["controller"] = json!("did:example:mallory");
        let doc = DidDocument::from_json(&value).unwrap();
        assert_eq!(
            doc.resolve_key("did:example:alice#key-1", Relationship::AssertionMethod),
            Err(KeyResolutionError::NotAuthorized)
        );
        // DID Core 5.1.2: the document lists mallory as a controller, so it is accepted.
        value["controller"] = json!(["did:example:mallory"]);
        let doc = DidDocument::from_json(&value).unwrap();
        assert_eq!(
            doc.resolve_key("did:example:alice#key-1", Relationship::AssertionMethod)
                .unwrap(),
            key(1)
        );
    }

    #[test]
    fn method_of_another_did_is_not_accepted_from_this_document() {
        let mut value = doc_with(json!({}));
        value["verificationMethod"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "id": "did:example:bob#k",
                "type": "Multikey",
                "controller": "did:example:alice",
                "publicKeyMultibase": key(4).to_multikey()
            }));
        value["assertionMethod"] = json!(["#key-1", "did:example:bob#k"]);
        let doc = DidDocument::from_json(&value).unwrap();
        assert_eq!(
            doc.resolve_key("did:example:bob#k", Relationship::AssertionMethod),
            Err(KeyResolutionError::NotFound)
        );
    }

    #[test]
    fn reference_to_missing_method_is_not_found() {
        let doc =
            DidDocument::from_json(&doc_with(json!({"assertionMethod": ["#ghost"]}))).unwrap();
        assert_eq!(
            doc.resolve_key("did:example:alice#ghost", Relationship::AssertionMethod),
            Err(KeyResolutionError::NotFound)
        );
    }

    #[test]
    fn document_structure_rules() {
        let dup = doc_with(json!({"authentication": [{
            "id": "#key-1", "type": "Multikey", "controller": "did:example:alice",
            "publicKeyMultibase": key(5).to_multikey()
        }]}));
        assert_eq!(
            DidDocument::from_json(&dup),
            Err(DocumentError::DuplicateMethodId)
        );

        let mut two = doc_with(json!({}));
        two["verificationMethod"][0]["publicKeyJwk"] = key(1).to_jwk();
        assert_eq!(
            DidDocument::from_json(&two),
            Err(DocumentError::VerificationMaterial)
        );

        let mut none = doc_with(json!({}));
        none["verificationMethod"][0]
            .as_object_mut()
            .unwrap()
            .remove("publicKeyMultibase");
        assert_eq!(
            DidDocument::from_json(&none),
            Err(DocumentError::VerificationMaterial)
        );

        let bad_ref = doc_with(json!({"assertionMethod": ["key-1"]}));
        assert_eq!(
            DidDocument::from_json(&bad_ref),
            Err(DocumentError::InvalidMethodId)
        );

        let bad_ctl = doc_with(json!({"controller": "alice"}));
        assert_eq!(
            DidDocument::from_json(&bad_ctl),
            Err(DocumentError::InvalidController)
        );

        assert_eq!(
            DidDocument::from_json(&json!([])),
            Err(DocumentError::Malformed)
        );
        assert_eq!(
            DidDocument::from_json(&json!({"id": "example"})),
            Err(DocumentError::Malformed)
        );

        let many: Vec<Value> = (0..=MAX_VERIFICATION_METHODS)
            .map(|i| {
                json!({"id": format!("#k{i}"), "type": "Multikey",
                "controller": "did:example:alice", "publicKeyMultibase": "z"})
            })
            .collect();
        let big = doc_with(json!({"verificationMethod": many}));
        assert_eq!(DidDocument::from_json(&big), Err(DocumentError::TooLarge));
    }

    #[test]
    fn id_must_equal_the_resolved_did() {
        let value = doc_with(json!({}));
        let other = Did::parse("did:example:bob").unwrap();
        assert_eq!(
            DidDocument::from_json_for(&value, &other),
            Err(DocumentError::IdMismatch)
        );
        let alice = Did::parse("did:example:alice").unwrap();
        assert!(DidDocument::from_json_for(&value, &alice).is_ok());
    }

    #[test]
    fn key_types_and_material_forms() {
        let did = Did::parse("did:example:a").unwrap();
        let id = did.with_fragment("k").unwrap();
        let ed = key(7);
        let jwk = VerificationMethod::with_material(
            id.clone(),
            "JsonWebKey",
            did.clone(),
            KeyMaterial::Jwk(ed.to_jwk()),
        );
        assert_eq!(jwk.public_key().unwrap(), ed);
        // Multikey type with JWK material: wrong form.
        let wrong = VerificationMethod::with_material(
            id.clone(),
            "Multikey",
            did.clone(),
            KeyMaterial::Jwk(ed.to_jwk()),
        );
        assert_eq!(wrong.public_key(), Err(KeyResolutionError::UnsupportedKey));
        let unknown = VerificationMethod::with_material(
            id.clone(),
            "RsaVerificationKey2018",
            did.clone(),
            KeyMaterial::Multibase(ed.to_multikey()),
        );
        assert_eq!(
            unknown.public_key(),
            Err(KeyResolutionError::UnsupportedKey)
        );
        // A small-order Ed25519 point (the identity, y = 1) is refused.
        let mut identity = vec![0xed, 0x01, 1];
        identity.extend([0u8; 31]);
        let weak = format!("z{}", bs58::encode(identity).into_string());
        let weak_vm =
            VerificationMethod::with_material(id, "Multikey", did, KeyMaterial::Multibase(weak));
        assert_eq!(
            weak_vm.public_key(),
            Err(KeyResolutionError::UnsupportedKey)
        );
    }

    #[test]
    fn serialization_round_trips_with_context_first() {
        let doc = DidDocument::from_json(&doc_with(json!({"service": [{"id": "#s", "type": "X",
            "serviceEndpoint": "https://example.com"}], "custom": 1})))
        .unwrap();
        let out = doc.to_json();
        assert_eq!(out.as_object().unwrap().keys().next().unwrap(), "@context");
        assert_eq!(DidDocument::from_json(&out).unwrap(), doc);
        assert_eq!(out["custom"], json!(1));
        assert_eq!(out["assertionMethod"], json!(["did:example:alice#key-1"]));
    }

    #[test]
    fn derived_context_lists_method_type_contexts() {
        let did = Did::parse("did:example:a").unwrap();
        let mut doc = DidDocument::new(did.clone());
        doc.add_verification_method(
            VerificationMethod::multikey(did.with_fragment("k").unwrap(), did.clone(), &key(1)),
            &[Relationship::AssertionMethod],
        );
        assert_eq!(
            doc.context(),
            vec![json!(DID_V1_CONTEXT), json!(MULTIKEY_V1_CONTEXT)]
        );
    }
}
