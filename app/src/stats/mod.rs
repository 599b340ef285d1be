//! The central office's view (DESIGN §6): the dashboard and its splits, where open items
//! concentrate, the trend by month, charts drawn on the server, frozen monthly snapshots.

pub mod api;
#[cfg(feature = "ssr")]
pub mod facts;
pub mod figures;
pub mod page;
#[cfg(feature = "ssr")]
pub mod service;
pub mod svg;

use serde::{Deserialize, Serialize};

/// Units are many: the dashboard lists the first so many (most problems found first);
/// the Excel export has them all.
pub const UNIT_ROWS: usize = 15;

/// The figures of a set of items.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Problems found (every item but withdrawn registrations).
    pub found: i64,
    pub closed: i64,
    /// Closed by the original deadline.
    pub closed_on_time: i64,
    pub open: i64,
    /// Open past the approved deadline.
    pub overdue: i64,
    /// Open with the approved deadline in this week (Monday to Sunday).
    pub due_this_week: i64,
}

impl Figures {
    /// Closed on time per thousand closed; none closed yet: `None`.
    pub fn on_time_permille(&self) -> Option<i64> {
        (self.closed > 0).then(|| self.closed_on_time * 1000 / self.closed)
    }
}

/// One group of a split (a district, a unit, a category, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitRow {
    /// The ledger filter's value for this group (a record key or a code).
    pub key: String,
    pub label: String,
    pub label_en: String,
    pub figures: Figures,
}

/// The items split by one dimension: `district`, `unit`, `category`, `source`, `nature`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub dimension: String,
    pub rows: Vec<SplitRow>,
}

/// One district's share of the open items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub key: String,
    pub label: String,
    pub label_en: String,
    pub open: i64,
    pub permille: i64,
}

/// Where the open items concentrate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concentration {
    pub total_open: i64,
    pub shares: Vec<Share>,
    pub top_two_permille: i64,
    /// The two districts with most open items hold half of them or more.
    pub flagged: bool,
}

/// One month of the trend.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthPoint {
    /// `YYYY-MM`.
    pub month: String,
    pub found: i64,
    pub closed: i64,
    pub overdue_at_end: i64,
}

/// Everything the dashboard shows, live or frozen in a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The city, or the district office's district.
    pub scope_name: String,
    /// The day the figures are of (YYYY-MM-DD) and its week, for the "due this week" link.
    pub today: String,
    pub week_from: String,
    pub week_to: String,
    pub totals: Figures,
    pub splits: Vec<Split>,
    pub concentration: Concentration,
    pub trend: Vec<MonthPoint>,
}

/// A frozen dashboard, as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    pub id: String,
    /// `2026-11` for the monthly one taken on the 1st of December; the local time of an
    /// on-demand one.
    pub label: String,
    pub monthly: bool,
    pub taken_at: String,
}

/// The dashboard page's data: live or a snapshot, with the one before it to compare.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub dashboard: Dashboard,
    /// The snapshot shown, if not live.
    pub snapshot: Option<SnapshotInfo>,
    /// The totals of the snapshot before the one shown (or the latest, when live).
    pub previous: Option<(SnapshotInfo, Figures)>,
    pub snapshots: Vec<SnapshotInfo>,
    /// The caller may take a snapshot on demand.
    pub may_freeze: bool,
}
