//! The ledger screens.
