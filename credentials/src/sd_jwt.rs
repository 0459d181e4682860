//! SD-JWT (RFC 9901), SD-JWT VC and key binding (being built).
