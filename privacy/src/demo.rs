//! Synthetic demo data: a patients dataset (names, ids, birth dates, diagnoses, lab values,
//! billing amounts) generated from a fixed seed, its schema and policy, and [`seed`], which
//! registers it and creates a demo analyst.
//!
//! Every value is synthetic (drawn from ChaCha20 seeded with [`DEMO_SEED`]); no real person is
//! described.

use std::fmt::Write as _;
use std::path::Path;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::budget::BudgetEpsilon;
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::schema::SchemaDoc;
use crate::service::Service;
use crate::store::Token;

/// The fixed seed of the demo data.
pub const DEMO_SEED: u64 = 0x5EED_0007;
/// Number of synthetic patients.
pub const DEMO_PATIENTS: usize = 600;
/// Demo dataset name.
pub const DEMO_DATASET: &str = "patients";
/// Demo analyst id.
pub const DEMO_ANALYST: &str = "demo-analyst";
/// Demo analyst team.
pub const DEMO_TEAM: &str = "public-health";
/// Demo analyst's epsilon budget on the dataset.
pub const DEMO_BUDGET: f64 = 10.0;
/// Demo dataset's global cap.
pub const DEMO_CAP: f64 = 50.0;

const FIRST: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
    "Liam", "Maya", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tess", "Ugo", "Vera",
];
const LAST: &[&str] = &[
    "Abara", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Silva", "Tanaka",
];
const SEXES: &[&str] = &["F", "M", "X"];
const REGIONS: &[&str] = &["north", "south", "east", "west", "central"];
const YEARS: &[&str] = &["2022", "2023", "2024"];
const DEPARTMENTS: &[&str] = &[
    "cardiology",
    "endocrinology",
    "general",
    "oncology",
    "pediatrics",
];
/// ICD-10 chapter-level codes.
const DIAGNOSES: &[&str] = &["E11", "I10", "J45", "C50", "F32", "M54", "Z00"];

fn strings(values: &[&str]) -> serde_json::Value {
    serde_json::Value::from(values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

/// The demo dataset's schema: every column tagged.
pub fn patients_schema() -> SchemaDoc {
    let doc = serde_json::json!({
        "description": "Synthetic patient visits (fixed seed); every value is made up.",
        "max_rows_per_person": 3,
        "columns": [
            {"name": "patient_id", "tag": "identifier", "type": "text"},
            {"name": "name", "tag": "pii", "type": "text"},
            {"name": "birth_date", "tag": "pii", "type": "text"},
            {"name": "birth_year", "tag": "quasi_identifier", "type": "numeric", "bounds": [1920, 2010]},
            {"name": "sex", "tag": "quasi_identifier", "type": "categorical", "categories": strings(SEXES)},
            {"name": "region", "tag": "quasi_identifier", "type": "categorical", "categories": strings(REGIONS)},
            {"name": "visit_year", "tag": "public", "type": "categorical", "categories": strings(YEARS)},
            {"name": "department", "tag": "public", "type": "categorical", "categories": strings(DEPARTMENTS)},
            {"name": "diagnosis", "tag": "phi", "type": "categorical", "categories": strings(DIAGNOSES)},
            {"name": "hba1c", "tag": "phi", "type": "numeric", "decimals": 1, "bounds": [4.0, 14.0]},
            {"name": "systolic_bp", "tag": "phi", "type": "numeric", "bounds": [80, 220]},
            {"name": "billing_amount", "tag": "pci", "type": "numeric", "decimals": 2, "bounds": [0, 5000]},
            {"name": "card_last4", "tag": "pci", "type": "text"}
        ]
    });
    // The literal above is a valid SchemaDoc (checked by a unit test).
    serde_json::from_value(doc).unwrap_or(SchemaDoc {
        columns: Vec::new(),
        max_rows_per_person: 1,
        description: None,
    })
}

/// The demo CSV, byte-for-byte identical for the same seed.
pub fn patients_csv(seed: u64) -> String {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut out = String::from(
        "patient_id,name,birth_date,birth_year,sex,region,visit_year,department,diagnosis,hba1c,systolic_bp,billing_amount,card_last4\n",
    );
    for p in 0..DEMO_PATIENTS {
        let id = format!("P{:05}", 10_000 + p);
        let name = format!(
            "{} {}",
            FIRST.choose(&mut rng).unwrap_or(&"Ada"),
            LAST.choose(&mut rng).unwrap_or(&"Abara")
        );
        let year: u32 = rng.gen_range(1930..=2008);
        let birth = format!(
            "{year}-{:02}-{:02}",
            rng.gen_range(1..=12),
            rng.gen_range(1..=28)
        );
        let sex = *[SEXES[0], SEXES[0], SEXES[1], SEXES[1], SEXES[2]]
            .choose(&mut rng)
            .unwrap_or(&"F");
        let region = *REGIONS.choose(&mut rng).unwrap_or(&"north");
        let card: u32 = rng.gen_range(0..10_000);
        let visits = *[1, 1, 2, 2, 3, 4, 5].choose(&mut rng).unwrap_or(&1);
        let diabetic = rng.gen_bool(if year < 1965 { 0.3 } else { 0.1 });
        for _ in 0..visits {
            let visit_year = *YEARS.choose(&mut rng).unwrap_or(&"2022");
            let (department, diagnosis) = if diabetic && rng.gen_bool(0.7) {
                ("endocrinology", "E11")
            } else if year > 2004 {
                (
                    "pediatrics",
                    *["J45", "Z00"].choose(&mut rng).unwrap_or(&"Z00"),
                )
            } else {
                let d = *DIAGNOSES.choose(&mut rng).unwrap_or(&"Z00");
                let dept = match d {
                    "I10" => "cardiology",
                    "C50" => "oncology",
                    "E11" => "endocrinology",
                    _ => "general",
                };
                (dept, d)
            };
            let hba1c: u32 = if diabetic {
                rng.gen_range(65..=120)
            } else {
                rng.gen_range(45..=60)
            };
            let bp: u32 = rng.gen_range(95..=150) + if year < 1960 { 20 } else { 0 };
            let cents: u32 = rng.gen_range(2_000..=420_000);
            let _ = writeln!(
                out,
                "{id},{name},{birth},{year},{sex},{region},{visit_year},{department},{diagnosis},{}.{},{bp},{}.{:02},{card:04}",
                hba1c / 10,
                hba1c % 10,
                cents / 100,
                cents % 100
            );
        }
    }
    out
}

/// The demo access policy: the public-health team may use public, quasi-identifier and health
/// columns; the product team public and payment columns; nobody pii.
pub fn demo_policy() -> Policy {
    let doc = serde_json::json!({"rules": [
        {"effect": "allow", "subjects": ["team:public-health"], "resources": ["dataset:patients"],
         "actions": ["query"], "tags": ["public", "quasi_identifier", "phi"]},
        {"effect": "allow", "subjects": ["team:product"], "resources": ["dataset:patients"],
         "actions": ["query"], "tags": ["public", "pci"]},
        {"effect": "deny", "subjects": ["*"], "resources": ["*"], "actions": ["query"],
         "tags": ["pii"]}
    ]});
    serde_json::from_value(doc).unwrap_or_default()
}

/// What [`seed`] set up.
#[derive(Debug)]
pub struct DemoSeed {
    /// Dataset name.
    pub dataset: &'static str,
    /// Analyst id.
    pub analyst_id: &'static str,
    /// The analyst's token (fresh on every call; older tokens stop working).
    pub analyst_token: Token,
    /// The analyst's epsilon budget.
    pub analyst_budget: f64,
}

/// Seeds a data directory (the server must not be running on it: the store is locked by its
/// process): registers the demo dataset if absent, installs the demo policy if none is set,
/// creates the demo analyst (or rotates its token) and gives it a budget if it has none.
pub fn seed(data_dir: &Path) -> Result<DemoSeed> {
    let service = Service::open(data_dir)?;
    seed_service(&service)
}

/// [`seed`] on an open service.
pub fn seed_service(service: &Service) -> Result<DemoSeed> {
    let store = service.store();
    if !store.has_dataset(DEMO_DATASET)? {
        service.add_dataset(
            DEMO_DATASET,
            patients_schema(),
            patients_csv(DEMO_SEED).as_bytes(),
            DEMO_CAP,
        )?;
    }
    if store.policy()?.rules.is_empty() {
        store.set_policy(&demo_policy())?;
    }
    let token = match store.create_analyst(DEMO_ANALYST, DEMO_TEAM) {
        Ok(token) => token,
        Err(Error::AlreadyExists(_)) => store.rotate_token(DEMO_ANALYST)?,
        Err(e) => return Err(e),
    };
    if store.budget(DEMO_ANALYST, DEMO_DATASET)?.analyst_budget == 0.0 {
        store.set_budget(DEMO_ANALYST, DEMO_DATASET, BudgetEpsilon::new(DEMO_BUDGET)?)?;
    }
    Ok(DemoSeed {
        dataset: DEMO_DATASET,
        analyst_id: DEMO_ANALYST,
        analyst_token: token,
        analyst_budget: store.budget(DEMO_ANALYST, DEMO_DATASET)?.analyst_budget,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Dataset, Schema};

    #[test]
    fn demo_data_is_deterministic_and_valid() {
        let a = patients_csv(DEMO_SEED);
        assert_eq!(a, patients_csv(DEMO_SEED));
        assert_ne!(a, patients_csv(DEMO_SEED + 1));
        let schema = Schema::validate(patients_schema()).unwrap();
        assert_eq!(schema.columns().len(), 13);
        let d = Dataset::from_csv(schema, a.as_bytes()).unwrap();
        assert!(d.rows() > DEMO_PATIENTS);
        demo_policy().validate().unwrap();
        assert_eq!(demo_policy().rules.len(), 3);
    }
}
