//! Data Integrity proofs: eddsa-rdfc-2022 and eddsa-jcs-2022 (being built).
