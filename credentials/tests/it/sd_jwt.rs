//! Integration tests of SD-JWT, SD-JWT VC, key binding and age attributes: the RFC 9901 and
//! SD-JWT VC examples, the reference implementation's test cases, one negative test per
//! security rule, and property tests.

mod common;
mod flows;
mod json_serialization;
mod properties;
mod python_testcases;
mod security;
mod spec_vectors;
