//! Bitstring Status List and Token Status List (being built).
