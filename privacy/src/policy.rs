//! Policy-based access control: rules of (subjects, resources, actions, tags, effect).
//!
//! Evaluation is default-deny and **deny wins**: a request is allowed only if some `allow` rule
//! matches it and no `deny` rule does.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::schema::Tag;

/// Largest number of rules.
pub const MAX_RULES: usize = 256;

/// Effect of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Grants.
    Allow,
    /// Forbids; wins over any allow.
    Deny,
}

/// An action on a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Run differentially private aggregate queries.
    Query,
}

/// One rule.
///
/// * `subjects`: `"*"`, `"analyst:<id>"` or `"team:<team>"`.
/// * `resources`: `"*"` or `"dataset:<name>"`.
/// * `tags`: the column tags the rule covers; absent means every tag. A query always asks for
///   dataset-level access (matched by allow rules whatever their tags, and by deny rules
///   without `tags`) and for each tag of each column it uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Allow or deny.
    pub effect: Effect,
    /// Who.
    pub subjects: Vec<String>,
    /// Which datasets.
    pub resources: Vec<String>,
    /// Which actions.
    pub actions: Vec<Action>,
    /// Which column tags (absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

/// An access policy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The rules (order does not matter).
    pub rules: Vec<Rule>,
}

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Analyst id.
    pub analyst: &'a str,
    /// Analyst's team.
    pub team: &'a str,
}

impl Policy {
    /// Checks the policy's form.
    pub fn validate(&self) -> Result<(), Error> {
        if self.rules.len() > MAX_RULES {
            return Err(Error::InvalidPolicy("at most 256 rules"));
        }
        for rule in &self.rules {
            if rule.subjects.is_empty() || rule.resources.is_empty() || rule.actions.is_empty() {
                return Err(Error::InvalidPolicy(
                    "subjects, resources and actions must not be empty",
                ));
            }
            if !rule
                .subjects
                .iter()
                .all(|s| s == "*" || s.starts_with("analyst:") || s.starts_with("team:"))
            {
                return Err(Error::InvalidPolicy(
                    "a subject is `*`, `analyst:<id>` or `team:<team>`",
                ));
            }
            if !rule
                .resources
                .iter()
                .all(|r| r == "*" || r.starts_with("dataset:"))
            {
                return Err(Error::InvalidPolicy(
                    "a resource is `*` or `dataset:<name>`",
                ));
            }
            if rule.effect == Effect::Allow
                && rule
                    .tags
                    .as_ref()
                    .is_some_and(|t| t.contains(&Tag::Identifier))
            {
                return Err(Error::InvalidPolicy(
                    "identifier columns are never released: no rule can allow them",
                ));
            }
        }
        Ok(())
    }

    /// Decides one request. `tag: None` asks for dataset-level access.
    pub fn allows(
        &self,
        subject: Subject<'_>,
        dataset: &str,
        action: Action,
        tag: Option<Tag>,
    ) -> bool {
        let mut allowed = false;
        for rule in &self.rules {
            let subject_matches = rule.subjects.iter().any(|s| {
                s == "*"
                    || s.strip_prefix("analyst:") == Some(subject.analyst)
                    || s.strip_prefix("team:") == Some(subject.team)
            });
            let resource_matches = rule
                .resources
                .iter()
                .any(|r| r == "*" || r.strip_prefix("dataset:") == Some(dataset));
            if !subject_matches || !resource_matches || !rule.actions.contains(&action) {
                continue;
            }
            let tag_matches = match (tag, &rule.tags, rule.effect) {
                (_, None, _) => true,
                (None, Some(_), Effect::Allow) => true,
                (None, Some(_), Effect::Deny) => false,
                (Some(t), Some(tags), _) => tags.contains(&t),
            };
            if !tag_matches {
                continue;
            }
            match rule.effect {
                Effect::Deny => return false,
                Effect::Allow => allowed = true,
            }
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        serde_json::from_value(serde_json::json!({"rules": [
            {"effect": "allow", "subjects": ["team:health"], "resources": ["dataset:patients"],
             "actions": ["query"], "tags": ["public", "quasi_identifier", "phi"]},
            {"effect": "allow", "subjects": ["analyst:bob"], "resources": ["*"],
             "actions": ["query"], "tags": ["pci"]},
            {"effect": "deny", "subjects": ["analyst:eve"], "resources": ["*"],
             "actions": ["query"], "tags": ["phi"]},
            {"effect": "deny", "subjects": ["analyst:mallory"], "resources": ["dataset:patients"],
             "actions": ["query"]}
        ]}))
        .unwrap()
    }

    #[test]
    fn default_deny_and_deny_wins() {
        let p = policy();
        p.validate().unwrap();
        let alice = Subject {
            analyst: "alice",
            team: "health",
        };
        let eve = Subject {
            analyst: "eve",
            team: "health",
        };
        let mallory = Subject {
            analyst: "mallory",
            team: "health",
        };
        let bob = Subject {
            analyst: "bob",
            team: "product",
        };
        let nobody = Subject {
            analyst: "zed",
            team: "other",
        };
        let q = Action::Query;
        assert!(p.allows(alice, "patients", q, None));
        assert!(p.allows(alice, "patients", q, Some(Tag::Phi)));
        assert!(!p.allows(alice, "patients", q, Some(Tag::Pci)));
        assert!(!p.allows(alice, "other", q, None));
        assert!(p.allows(eve, "patients", q, None));
        assert!(!p.allows(eve, "patients", q, Some(Tag::Phi)));
        assert!(p.allows(eve, "patients", q, Some(Tag::Public)));
        assert!(!p.allows(mallory, "patients", q, None));
        assert!(!p.allows(mallory, "patients", q, Some(Tag::Public)));
        assert!(p.allows(bob, "anything", q, Some(Tag::Pci)));
        assert!(!p.allows(bob, "anything", q, Some(Tag::Phi)));
        assert!(!p.allows(nobody, "patients", q, None));
        assert!(!Policy::default().allows(alice, "patients", q, None));
    }

    #[test]
    fn no_rule_can_allow_identifiers() {
        let p: Policy = serde_json::from_value(serde_json::json!({"rules": [
            {"effect": "allow", "subjects": ["*"], "resources": ["*"], "actions": ["query"],
             "tags": ["identifier"]}]}))
        .unwrap();
        assert!(p.validate().is_err());
    }
}
