//! The organisation being supervised: districts (市本级 and the counties/districts) and
//! the units in them.

#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// 地区: 市本级 or a district/county-level city.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct District {
    pub id: String,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub unit_count: i64,
}

/// 单位: a government unit whose staffing is supervised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub district_id: String,
    pub district_name: String,
}

/// Counts for overviews.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgCounts {
    pub districts: i64,
    pub units: i64,
    pub users: i64,
}
