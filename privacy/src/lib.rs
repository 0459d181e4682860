//! Differential-privacy analytics over PII/PHI-tagged data, with a durable per-analyst budget.
//!
//! Bird's-eye view:
//! - [`schema`]: tagged schemas and CSV ingestion ([`schema::Dataset`]).
//! - [`policy`]: policy-based access control (deny wins).
//! - [`query`]: requests and planning; every refusal happens here, before data is touched.
//! - [`mechanism`]: OpenDP measurements, calibration from public parameters, release.
//! - [`store`]: redb ledger (analysts, hashed tokens, budgets, releases).
//! - [`service`]: the core flow (plan, calibrate, atomic durable debit, release).
#![forbid(unsafe_code)]

pub mod budget;
pub mod error;
pub mod mechanism;
pub mod policy;
pub mod query;
pub mod schema;
pub mod store;

pub use error::{Error, Refusal, Result};
pub mod http;
pub mod service;

pub use http::{AppState, ServerConfig, app, run, serve};
pub use service::{Service, ServiceOptions};
pub mod client;
pub mod demo;
