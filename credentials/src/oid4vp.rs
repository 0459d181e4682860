//! OpenID4VP 1.0 protocol messages and DCQL (being built).
