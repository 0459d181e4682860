//! DID methods: being built (issue #2).
