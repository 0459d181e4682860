//! W3C VC Data Model 2.0 (being built).
