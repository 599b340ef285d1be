//! The rectification ledger (问题台账). This first part holds the lifecycle rules; the
//! item, its storage and its screens come with the ledger issue.

pub mod lifecycle;
