//! Server functions of the ledger.
