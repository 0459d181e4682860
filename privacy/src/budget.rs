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
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct QueryEpsilon(f64);

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
        Ok(Self(value))
    }

    /// The value.
    pub fn value(self) -> f64 {
        self.0
    }

    /// The charge in nano-epsilon, rounded up: `floor(eps * 1e9) + 1 > eps * 1e9`.
    pub fn charge(self) -> Units {
        // eps <= 100 so eps * 1e9 <= 1e11 is far below 2^53: the product's rounding error is
        // below 1e-5 units, so floor + 1 is strictly above the exact product.
        Units((self.0 * UNITS_PER_EPSILON).floor() as u64 + 1)
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
        assert_eq!(QueryEpsilon::new(f64::INFINITY), Err(EpsilonError::Infinite));
        assert_eq!(QueryEpsilon::new(f64::NEG_INFINITY), Err(EpsilonError::Infinite));
        assert_eq!(QueryEpsilon::new(0.0), Err(EpsilonError::NotPositive));
        assert_eq!(QueryEpsilon::new(-0.0), Err(EpsilonError::NotPositive));
        assert_eq!(QueryEpsilon::new(-1.0), Err(EpsilonError::NotPositive));
        assert_eq!(QueryEpsilon::new(1e-310), Err(EpsilonError::TooSmall));
        assert_eq!(QueryEpsilon::new(f64::MIN_POSITIVE / 2.0), Err(EpsilonError::TooSmall));
        assert_eq!(QueryEpsilon::new(1e-7), Err(EpsilonError::TooSmall));
        assert_eq!(QueryEpsilon::new(101.0), Err(EpsilonError::TooLarge));
        assert!(QueryEpsilon::new(1e-6).is_ok());
        assert!(QueryEpsilon::new(0.5).is_ok());
        assert_eq!(BudgetEpsilon::new(f64::NAN), Err(EpsilonError::NaN));
        assert_eq!(BudgetEpsilon::new(-1.0), Err(EpsilonError::NotPositive));
        assert!(BudgetEpsilon::new(0.0).is_ok());
    }

    #[test]
    fn charges_round_up_and_caps_round_down() {
        for eps in [1e-6, 0.1, 0.3, 1.0 / 3.0, 1.0, 2.5, 99.999_999_999] {
            let charge = QueryEpsilon::new(eps).unwrap().charge();
            assert!(charge.0 as f64 > eps * UNITS_PER_EPSILON, "{eps}");
            let cap = BudgetEpsilon::new(eps).unwrap().cap();
            assert!(cap.0 as f64 <= eps * UNITS_PER_EPSILON, "{eps}");
            assert!(cap < charge);
        }
    }
}
