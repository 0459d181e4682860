//! The injected clock of the wallet's flows.
//!
//! A flow such as [`crate::receive::receive`] talks to an issuer for a while, and the issuer
//! signs what it sends (the credential's `iat`, a status list re-signed on request) during
//! that time. Each check therefore reads the clock when it happens rather than comparing
//! with one instant taken before the flow began. The clock is injected so that tests stay
//! deterministic.
//!
//! - [`SystemClock`]: the system time, for applications.
//! - any `Fn() -> DateTime<Utc>` (such as `chrono::Utc::now`, or a test's closure over a
//!   clock it moves);
//! - a `DateTime<Utc>`: a stopped clock that always shows that instant (tests; callers that
//!   still pass one instant get the bounded clock skew of the checks, nothing more).

use chrono::{DateTime, Utc};

/// The clock skew tolerated when something the issuer signed is compared with the wallet's
/// clock ("issued in the future", "not yet valid"): 60 seconds, as Data Integrity's default
/// and `credentials::status_list::DEFAULT_CLOCK_SKEW_SECONDS`.
pub const CLOCK_SKEW_SECONDS: i64 = 60;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

impl<F: Fn() -> DateTime<Utc> + Send + Sync> Clock for F {
    fn now(&self) -> DateTime<Utc> {
        self()
    }
}

/// A stopped clock: always this instant.
impl Clock for DateTime<Utc> {
    fn now(&self) -> DateTime<Utc> {
        *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_instants_and_the_system_clock_are_clocks() {
        let fixed = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        assert_eq!(fixed.now(), fixed);
        let moving = std::sync::atomic::AtomicI64::new(0);
        let clock = || {
            let s = moving.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            fixed + chrono::TimeDelta::seconds(s)
        };
        assert!(Clock::now(&clock) < Clock::now(&clock));
    }
}
