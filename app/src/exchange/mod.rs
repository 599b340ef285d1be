//! Excel in and out (DESIGN §6): the ledger exported with the usual columns (streamed,
//! flat memory), the statistics tables, and ledger sheets imported with a preview of every
//! row's errors and all-or-nothing registration.

pub mod api;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod import;
pub mod page;
#[cfg(any(feature = "ssr", feature = "rules"))]
pub mod sheet;

use serde::{Deserialize, Serialize};

/// The ledger sheet's columns, as the offices' ledgers have them.
pub const COLUMNS: [&str; 16] = [
    "序号",
    "单位",
    "所属地区",
    "问题类型",
    "问题性质",
    "问题描述",
    "发现来源",
    "发现时间",
    "整改时限",
    "第一责任人",
    "整改措施",
    "整改进展",
    "状态",
    "销号时间",
    "是否按期",
    "台账编号",
];

/// The same columns in English (an English sheet imports too).
pub const COLUMNS_EN: [&str; 16] = [
    "No.",
    "Unit",
    "District",
    "Category",
    "Nature",
    "Description",
    "Source",
    "Found on",
    "Deadline",
    "Responsible person",
    "Measures",
    "Progress",
    "Status",
    "Closed on",
    "On time",
    "Ledger number",
];

/// Where the import form posts its file (multipart).
pub const IMPORT_PATH: &str = "/api/import_ledger";
/// Where the ledger export is downloaded (with the ledger page's filters as query). No
/// dot in the path: the session layer takes dotted paths for static files.
pub const EXPORT_PATH: &str = "/ledger/export";
/// Where the statistics tables are downloaded.
pub const STATS_EXPORT_PATH: &str = "/dashboard/export";

/// What is wrong with one row of an imported sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The column's header.
    pub column: String,
    /// `missing`, `unknown_unit`, `district_mismatch`, `bad_date`, `deadline_before_found`,
    /// `unknown_category`, `unknown_source`, `unknown_nature`, `unknown_owner`,
    /// `ambiguous_owner`, `too_long`, `missing_column`, `no_rows`, `unreadable`.
    pub problem: String,
    /// What the cell held.
    pub value: String,
}

/// One row as it will be registered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub row: usize,
    pub unit_name: String,
    pub category: String,
    pub nature: String,
    pub description: String,
    pub found_on: String,
    pub deadline: String,
    pub owner: String,
}

/// An uploaded sheet, checked: what would be registered and every problem found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub batch: String,
    pub file_name: String,
    pub rows: Vec<PreviewRow>,
    pub problems: Vec<RowProblem>,
    /// The numbers given to the items, once imported.
    pub imported: Vec<String>,
}
