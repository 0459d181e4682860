//! Wallet core and CLI: not built yet (issue #5). Nothing here claims to work.
