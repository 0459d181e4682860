//! `age_over_NN` attributes (ISO/IEC 18013-5 section 7.2.5 practice, EU age verification),
//! computed by the issuer from a birth date on the issuance date, each one a separately
//! disclosable claim of an SD-JWT VC.
//!
//! **Rule for 29 February births.** In a year without 29 February, the birthday is taken to
//! be 1 March: someone born on 2004-02-29 turns 18 on 2022-03-01 and is not 18 on 2022-02-28.
//! This is the rule most jurisdictions apply and what ISO 18013-5 deployments use; it never
//! declares anyone of age before they have lived the full number of years. See
//! `specs/decisions/0302-age-over-feb-29.md`.
//!
//! Dates are calendar dates (`NaiveDate`) in the issuing jurisdiction: converting the
//! issuance instant to a date in the right time zone is the caller's job.

use chrono::{Datelike as _, NaiveDate};
use serde_json::{Map, Value};

use crate::sd_jwt::ClaimPath;

/// The thresholds issued unless configured otherwise.
pub const DEFAULT_AGE_THRESHOLDS: [u8; 3] = [18, 21, 65];

/// Why age attributes could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgeError {
    /// The birth date lies after the issuance date.
    #[error("birth date after issuance date")]
    BirthAfterIssuance,
    /// A threshold is outside 1..=99 (`NN` is two digits).
    #[error("age threshold out of range")]
    InvalidThreshold,
    /// A threshold is listed twice.
    #[error("duplicate age threshold")]
    DuplicateThreshold,
    /// The claim set already has an `age_over_NN` claim.
    #[error("age claim already present")]
    ClaimPresent,
}

/// The date of the `years`-th birthday of someone born on `birth`: the same month and day
/// `years` later, except that a 29 February birthday falls on 1 March in a year without
/// 29 February. `None` only if the date is beyond chrono's range.
pub fn nth_birthday(birth: NaiveDate, years: u32) -> Option<NaiveDate> {
    let year = birth.year().checked_add(i32::try_from(years).ok()?)?;
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day()).or_else(|| {
        // Only 29 February can be missing from a year.
        NaiveDate::from_ymd_opt(year, 3, 1)
    })
}

/// Whether someone born on `birth` is at least `years` old on `on` (the day of the birthday
/// counts).
pub fn is_age_over(birth: NaiveDate, on: NaiveDate, years: u32) -> bool {
    nth_birthday(birth, years).is_some_and(|birthday| on >= birthday)
}

/// Age in completed years on `on`, or `None` if `on` is before `birth`.
pub fn age_in_years(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    let mut years = u32::try_from(on.year() - birth.year()).ok()?;
    if !is_age_over(birth, on, years) {
        years = years.checked_sub(1)?;
    }
    Some(years)
}

/// The claim name for a threshold: `age_over_18`, `age_over_05` (two digits, ISO 18013-5).
pub fn age_over_claim_name(threshold: u8) -> String {
    format!("age_over_{threshold:02}")
}

/// `age_over_NN` for each threshold, true or false, computed on `issued_on`.
pub fn age_over_claims(
    birth: NaiveDate,
    issued_on: NaiveDate,
    thresholds: &[u8],
) -> Result<Vec<(String, bool)>, AgeError> {
    if birth > issued_on {
        return Err(AgeError::BirthAfterIssuance);
    }
    let mut seen = [false; 100];
    thresholds
        .iter()
        .map(|&threshold| {
            if !(1..=99).contains(&threshold) {
                return Err(AgeError::InvalidThreshold);
            }
            if std::mem::replace(&mut seen[usize::from(threshold)], true) {
                return Err(AgeError::DuplicateThreshold);
            }
            Ok((
                age_over_claim_name(threshold),
                is_age_over(birth, issued_on, u32::from(threshold)),
            ))
        })
        .collect()
}

/// Adds the `age_over_NN` claims to `claims` (top level) and returns their paths, to be
/// passed to the issuer as selectively disclosable so that each is disclosed on its own.
pub fn insert_age_over_claims(
    claims: &mut Map<String, Value>,
    birth: NaiveDate,
    issued_on: NaiveDate,
    thresholds: &[u8],
) -> Result<Vec<ClaimPath>, AgeError> {
    let computed = age_over_claims(birth, issued_on, thresholds)?;
    if computed.iter().any(|(name, _)| claims.contains_key(name)) {
        return Err(AgeError::ClaimPresent);
    }
    let mut paths = Vec::with_capacity(computed.len());
    for (name, over) in computed {
        paths.push(ClaimPath::keys([name.as_str()]));
        claims.insert(name, Value::Bool(over));
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn day_before_and_day_of_the_eighteenth_birthday() {
        let birth = d(2007, 6, 15);
        assert!(!is_age_over(birth, d(2025, 6, 14), 18));
        assert!(is_age_over(birth, d(2025, 6, 15), 18));
        assert_eq!(age_in_years(birth, d(2025, 6, 14)), Some(17));
        assert_eq!(age_in_years(birth, d(2025, 6, 15)), Some(18));
    }

    #[test]
    fn feb_29_birth_turns_18_on_1_march_in_a_non_leap_year() {
        let birth = d(2004, 2, 29);
        // 2022 has no 29 February: the birthday is 1 March.
        assert_eq!(nth_birthday(birth, 18), Some(d(2022, 3, 1)));
        assert!(!is_age_over(birth, d(2022, 2, 28), 18));
        assert!(is_age_over(birth, d(2022, 3, 1), 18));
    }

    #[test]
    fn feb_29_birth_turns_20_on_29_february_in_a_leap_year() {
        let birth = d(2004, 2, 29);
        assert_eq!(nth_birthday(birth, 20), Some(d(2024, 2, 29)));
        assert!(!is_age_over(birth, d(2024, 2, 28), 20));
        assert!(is_age_over(birth, d(2024, 2, 29), 20));
        assert!(is_age_over(birth, d(2024, 3, 1), 20));
    }

    #[test]
    fn feb_28_and_mar_1_births_are_not_shifted() {
        assert_eq!(nth_birthday(d(2004, 2, 28), 18), Some(d(2022, 2, 28)));
        assert_eq!(nth_birthday(d(2004, 3, 1), 18), Some(d(2022, 3, 1)));
    }

    #[test]
    fn claims_for_default_thresholds() {
        let claims =
            age_over_claims(d(2000, 1, 1), d(2021, 1, 1), &DEFAULT_AGE_THRESHOLDS).unwrap();
        assert_eq!(
            claims,
            vec![
                ("age_over_18".to_owned(), true),
                ("age_over_21".to_owned(), true),
                ("age_over_65".to_owned(), false),
            ]
        );
        let claims = age_over_claims(d(2000, 1, 2), d(2021, 1, 1), &[21]).unwrap();
        assert_eq!(claims, vec![("age_over_21".to_owned(), false)]);
    }

    #[test]
    fn thresholds_are_validated() {
        let (b, on) = (d(2000, 1, 1), d(2020, 1, 1));
        assert_eq!(
            age_over_claims(b, on, &[0]),
            Err(AgeError::InvalidThreshold)
        );
        assert_eq!(
            age_over_claims(b, on, &[100]),
            Err(AgeError::InvalidThreshold)
        );
        assert_eq!(
            age_over_claims(b, on, &[18, 18]),
            Err(AgeError::DuplicateThreshold)
        );
        assert_eq!(
            age_over_claims(on, b, &[18]),
            Err(AgeError::BirthAfterIssuance)
        );
        assert_eq!(age_over_claim_name(5), "age_over_05");
    }

    #[test]
    fn insert_refuses_existing_claims_and_returns_one_path_each() {
        let mut claims = Map::new();
        let paths =
            insert_age_over_claims(&mut claims, d(2000, 1, 1), d(2020, 1, 1), &[18, 65]).unwrap();
        assert_eq!(
            paths,
            vec![
                ClaimPath::keys(["age_over_18"]),
                ClaimPath::keys(["age_over_65"])
            ]
        );
        assert_eq!(claims["age_over_18"], Value::Bool(true));
        assert_eq!(claims["age_over_65"], Value::Bool(false));
        assert_eq!(
            insert_age_over_claims(&mut claims, d(2000, 1, 1), d(2020, 1, 1), &[18]),
            Err(AgeError::ClaimPresent)
        );
    }

    proptest! {
        #[test]
        fn age_over_matches_completed_years(
            birth_days in 0i64..40_000, offset in 0i64..40_000, years in 1u32..100,
        ) {
            let birth = d(1900, 1, 1) + chrono::Days::new(birth_days as u64);
            let on = birth + chrono::Days::new(offset as u64);
            let age = age_in_years(birth, on).unwrap();
            prop_assert_eq!(is_age_over(birth, on, years), age >= years);
            // Monotone: once over, over on every later day.
            if is_age_over(birth, on, years) {
                prop_assert!(is_age_over(birth, on + chrono::Days::new(1), years));
            }
        }
    }
}
