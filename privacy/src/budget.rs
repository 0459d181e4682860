//! Privacy parameters and budget arithmetic.
//!
//! Budgets are kept as integer counts of nano-epsilon ([`Units`]) so that the ledger's sums are
//! exact: a charge is rounded *up* and a cap *down*, hence accepted spend never exceeds a cap,
//! whatever the sequence of queries.

use serde::{Deserialize, Serialize};

/// Nano-epsilon per epsilon.
pub const UNITS_PER_EPSILON: f64 = 1e9;
/// Smallest epsilon a query may spend (anything smaller gives useless answers and invites
/// rounding games with subnormal numbers).
pub const MIN_QUERY_EPSILON: f64 = 1e-6;
/// Largest epsilon a single query may spend.
pub const MAX_QUERY_EPSILON: f64 = 100.0;
/// Largest budget or cap an admin may set.
pub const MAX_BUDGET_EPSILON: f64 = 1e6;

/// Why a number is not a usable epsilon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EpsilonError {
    /// NaN.
    #[error("must be a number (got NaN)")]
    NaN,
    /// Infinite.
    #[error("must be finite")]
    Infinite,
    /// Zero or negative.
    #[error("must be positive")]
    NotPositive,
    /// Subnormal, or below [`MIN_QUERY_EPSILON`].
    #[error("must be at least 1e-6")]
    TooSmall,
    /// Above the per-query or per-budget maximum.
    #[error("is larger than allowed")]
    TooLarge,
}

fn check_finite_positive(value: f64) -> Result<(), EpsilonError> {
    if value.is_nan() {
        return Err(EpsilonError::NaN);
    }
    if value.is_infinite() {
        return Err(EpsilonError::Infinite);
    }
    if value <= 0.0 {
        return Err(EpsilonError::NotPositive);
    }
    if !value.is_normal() {
        return Err(EpsilonError::TooSmall);
    }
    Ok(())
}

/// An epsilon a single query may spend: finite, normal, in [1e-6, 100].
///
/// The request is read as a decimal and rounded to the nearest nano-epsilon: that is the
/// exact [`charge`](Self::charge). The mechanism is calibrated to
/// [`mechanism_epsilon`](Self::mechanism_epsilon), the largest `f64` that is exactly `<=` the
/// charge, so the ledger never charges less than the mechanism spends.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
pub struct QueryEpsilon {
    charge: Units,
    mechanism: f64,
}

/// Whether `x <= units / 1e9` exactly (for `x` in the per-query range).
pub fn at_most_units(x: f64, units: Units) -> bool {
    if !(x.is_finite() && x > 0.0) {
        return false;
    }
    let bits = x.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    let mantissa =
        u128::from(bits & ((1u64 << 52) - 1)) | if raw_exp == 0 { 0 } else { 1u128 << 52 };
    let exp = if raw_exp == 0 { -1074 } else { raw_exp - 1075 };
    // x = mantissa * 2^exp; compare mantissa * 1e9 with units * 2^-exp
    let lhs = mantissa * 1_000_000_000;
    let units = u128::from(units.0);
    if exp >= 0 {
        let shift = exp as u32;
        return shift < 64 && lhs << shift <= units;
    }
    let shift = (-exp) as u32;
    if shift > 127 - 40 {
        // units * 2^shift could overflow; x < 2^53 * 2^-88 < 1e-10 is then below any
        // positive number of nano-epsilon
        return units > 0;
    }
    lhs <= units << shift
}

impl QueryEpsilon {
    /// Validates a requested epsilon.
    pub fn new(value: f64) -> Result<Self, EpsilonError> {
        check_finite_positive(value)?;
        if value < MIN_QUERY_EPSILON {
            return Err(EpsilonError::TooSmall);
        }
        if value > MAX_QUERY_EPSILON {
            return Err(EpsilonError::TooLarge);
        }
        // value in [1e-6, 100]: value * 1e9 in [1e3, 1e11], exactly representable range
        let charge = Units((value * UNITS_PER_EPSILON).round() as u64);
        let mut mechanism = charge.0 as f64 / UNITS_PER_EPSILON;
        while !at_most_units(mechanism, charge) {
            mechanism = mechanism.next_down();
        }
        Ok(Self { charge, mechanism })
    }

    /// The epsilon the mechanism is calibrated to (never more than the charge).
    pub fn mechanism_epsilon(self) -> f64 {
        self.mechanism
    }

    /// The exact charge in nano-epsilon.
    pub fn charge(self) -> Units {
        self.charge
    }
}

/// A budget or cap an admin sets: finite, non-negative, at most 1e6.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct BudgetEpsilon(f64);

impl BudgetEpsilon {
    /// Validates a budget. Zero is allowed (it revokes further spending).
    pub fn new(value: f64) -> Result<Self, EpsilonError> {
        if value != 0.0 {
            check_finite_positive(value)?;
        }
        if value > MAX_BUDGET_EPSILON {
            return Err(EpsilonError::TooLarge);
        }
        Ok(Self(value))
    }

    /// The cap in nano-epsilon, rounded down.
    pub fn cap(self) -> Units {
        Units((self.0 * UNITS_PER_EPSILON).floor() as u64)
    }
}

/// An exact amount of privacy budget, in nano-epsilon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Units(pub u64);

impl Units {
    /// As an epsilon (for display).
    pub fn epsilon(self) -> f64 {
        self.0 as f64 / UNITS_PER_EPSILON
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_nan_infinite_zero_negative_subnormal() {
        assert_eq!(QueryEpsilon::new(f64::NAN), Err(EpsilonError::NaN));
        assert_eq!(
            QueryEpsilon::new(f64::INFINITY),
            Err(EpsilonError::Infinite)
        );
        assert_eq!(
            QueryEpsilon::new(f64::NEG_INFINITY),
            Err(EpsilonError::Infinite)
        );
        assert_eq!(QueryEpsilon::new(0.0), Err(EpsilonError::NotPositive));
        assert_eq!(QueryEpsilon::new(-0.0), Err(EpsilonError::NotPositive));
        assert_eq!(QueryEpsilon::new(-1.0), Err(EpsilonError::NotPositive));
        assert_eq!(QueryEpsilon::new(1e-310), Err(EpsilonError::TooSmall));
        assert_eq!(
            QueryEpsilon::new(f64::MIN_POSITIVE / 2.0),
            Err(EpsilonError::TooSmall)
        );
        assert_eq!(QueryEpsilon::new(1e-7), Err(EpsilonError::TooSmall));
        assert_eq!(QueryEpsilon::new(101.0), Err(EpsilonError::TooLarge));
        assert!(QueryEpsilon::new(1e-6).is_ok());
        assert!(QueryEpsilon::new(0.5).is_ok());
        assert_eq!(BudgetEpsilon::new(f64::NAN), Err(EpsilonError::NaN));
        assert_eq!(BudgetEpsilon::new(-1.0), Err(EpsilonError::NotPositive));
        assert!(BudgetEpsilon::new(0.0).is_ok());
    }

    #[test]
    fn mechanism_epsilon_never_exceeds_the_charge() {
        for eps in [
            1e-6,
            0.1,
            0.3,
            1.0 / 3.0,
            0.5,
            1.0,
            2.5,
            99.999_999_999,
            100.0,
        ] {
            let q = QueryEpsilon::new(eps).unwrap();
            assert!(at_most_units(q.mechanism_epsilon(), q.charge()), "{eps}");
            assert!((q.charge().epsilon() - eps).abs() <= 0.6e-9, "{eps}");
            assert!(q.mechanism_epsilon() <= eps + 1e-9);
        }
        assert_eq!(QueryEpsilon::new(0.5).unwrap().charge(), Units(500_000_000));
        assert_eq!(QueryEpsilon::new(0.1).unwrap().charge(), Units(100_000_000));
        // the f64 nearest 0.1 is above 0.1: the mechanism gets the next one down
        assert!(QueryEpsilon::new(0.1).unwrap().mechanism_epsilon() < 0.1);
        assert!(at_most_units(0.5, Units(500_000_000)));
        assert!(!at_most_units(0.1, Units(100_000_000)));
        assert!(!at_most_units(0.500_000_001, Units(500_000_000)));
    }

    #[test]
    fn caps_round_down() {
        for eps in [0.1, 1.0 / 3.0, 10.0, 12_345.678_9] {
            let cap = BudgetEpsilon::new(eps).unwrap().cap();
            assert!(cap.0 as f64 <= eps * UNITS_PER_EPSILON, "{eps}");
        }
    }
}
