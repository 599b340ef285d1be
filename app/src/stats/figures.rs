//! The central office's figures (DESIGN §6), pure: from the facts of each item to the
//! totals, the splits by district, unit, category, source and nature, where the open items
//! concentrate, and the trend by month. On time is what the ledger froze at closure,
//! judged against the original deadline.

use super::{Concentration, Figures, MonthPoint, Share, Split, SplitRow};
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::BTreeMap;

/// What the statistics need to know of one item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fact {
    pub district: String,
    pub district_name: String,
    pub unit: String,
    pub unit_name: String,
    pub category: String,
    pub source: String,
    pub nature: String,
    pub status: String,
    pub found_on: Option<NaiveDate>,
    pub approved_deadline: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closed_on_time: Option<bool>,
}

impl Fact {
    fn withdrawn(&self) -> bool {
        self.status == "withdrawn"
    }
    fn closed(&self) -> bool {
        self.status == "closed"
    }
}

/// The Monday and Sunday of `today`'s week.
pub fn week_of(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    (monday, monday + Duration::days(6))
}

/// The figures of a set of items on `today`. Withdrawn registrations are not problems
/// found; everything else is.
pub fn figures<'a>(facts: impl IntoIterator<Item = &'a Fact>, today: NaiveDate) -> Figures {
    let (monday, sunday) = week_of(today);
    let mut f = Figures::default();
    for x in facts {
        if x.withdrawn() {
            continue;
        }
        f.found += 1;
        if x.closed() {
            f.closed += 1;
            if x.closed_on_time == Some(true) {
                f.closed_on_time += 1;
            }
        } else {
            f.open += 1;
            if let Some(d) = x.approved_deadline {
                if d < today {
                    f.overdue += 1;
                }
                if d >= monday && d <= sunday {
                    f.due_this_week += 1;
                }
            }
        }
    }
    f
}

/// The split of the items by one dimension, largest (most found) first.
pub fn split(
    facts: &[Fact],
    today: NaiveDate,
    dimension: &str,
    key: impl Fn(&Fact) -> (String, String, String),
) -> Split {
    type Group<'a> = (String, String, Vec<&'a Fact>);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for x in facts {
        let (k, label, label_en) = key(x);
        groups
            .entry(k)
            .or_insert_with(|| (label, label_en, Vec::new()))
            .2
            .push(x);
    }
    let mut rows: Vec<SplitRow> = groups
        .into_iter()
        .map(|(key, (label, label_en, members))| SplitRow {
            key,
            label,
            label_en,
            figures: figures(members.iter().copied(), today),
        })
        .filter(|r| r.figures.found > 0)
        .collect();
    rows.sort_by(|a, b| {
        b.figures
            .found
            .cmp(&a.figures.found)
            .then(b.figures.open.cmp(&a.figures.open))
            .then(a.label.cmp(&b.label))
    });
    Split {
        dimension: dimension.to_string(),
        rows,
    }
}

/// The share of open items per district, and whether the two districts with the most
/// hold half or more of them.
pub fn concentration(by_district: &Split) -> Concentration {
    let total: i64 = by_district.rows.iter().map(|r| r.figures.open).sum();
    let mut shares: Vec<Share> = by_district
        .rows
        .iter()
        .map(|r| Share {
            key: r.key.clone(),
            label: r.label.clone(),
            label_en: r.label_en.clone(),
            open: r.figures.open,
            permille: if total > 0 {
                r.figures.open * 1000 / total
            } else {
                0
            },
        })
        .collect();
    shares.sort_by(|a, b| b.open.cmp(&a.open).then(a.label.cmp(&b.label)));
    let top_two: i64 = shares.iter().take(2).map(|s| s.open).sum();
    Concentration {
        total_open: total,
        top_two_permille: if total > 0 { top_two * 1000 / total } else { 0 },
        flagged: total > 0 && shares.len() > 2 && top_two * 2 >= total,
        shares,
    }
}

/// The first day of the month `months` before `day`'s month.
fn month_start(day: NaiveDate, months_back: u32) -> NaiveDate {
    let mut y = day.year();
    let mut m = day.month() as i32 - months_back as i32;
    while m <= 0 {
        m += 12;
        y -= 1;
    }
    NaiveDate::from_ymd_opt(y, m as u32, 1).unwrap_or(day)
}

/// Found, closed, and overdue at the month's end (by the approved deadline), for the
/// `months` months up to `today`'s, oldest first.
pub fn trend(facts: &[Fact], today: NaiveDate, months: u32) -> Vec<MonthPoint> {
    (0..months)
        .rev()
        .map(|back| {
            let start = month_start(today, back);
            let next = month_start(start + Duration::days(40), 0);
            let end = (next - Duration::days(1)).min(today);
            let in_month = |d: Option<NaiveDate>| d.is_some_and(|d| d >= start && d <= end);
            let live = facts.iter().filter(|x| !x.withdrawn());
            let mut p = MonthPoint {
                month: start.format("%Y-%m").to_string(),
                ..MonthPoint::default()
            };
            for x in live {
                if in_month(x.found_on) {
                    p.found += 1;
                }
                if x.closed() && in_month(x.closed_on) {
                    p.closed += 1;
                }
                let existed = x.found_on.is_none_or(|f| f <= end);
                let still_open = !x.closed() || x.closed_on.is_some_and(|c| c > end);
                if existed && still_open && x.approved_deadline.is_some_and(|d| d < end) {
                    p.overdue_at_end += 1;
                }
            }
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    fn fact(district: &str, status: &str, deadline: &str, closed: Option<(&str, bool)>) -> Fact {
        Fact {
            district: district.into(),
            district_name: district.to_uppercase(),
            unit: format!("{district}-u"),
            unit_name: format!("{district} unit"),
            category: "over_establishment".into(),
            source: "inspection_tour".into(),
            nature: "violation".into(),
            status: status.into(),
            found_on: d("2026-06-10"),
            approved_deadline: d(deadline),
            closed_on: closed.and_then(|(c, _)| d(c)),
            closed_on_time: closed.map(|(_, t)| t),
        }
    }

    /// Nine items, counted by hand on Friday 2026-11-27 (week 11-23 to 11-29).
    fn fixture() -> Vec<Fact> {
        vec![
            fact("xh", "closed", "2026-09-30", Some(("2026-09-20", true))),
            fact("xh", "closed", "2026-09-15", Some(("2026-10-15", false))),
            fact("xh", "in_rectification", "2026-11-01", None), // overdue
            fact("xh", "issued", "2026-11-28", None),           // due this week
            fact("tx", "in_rectification", "2026-10-31", None), // overdue
            fact("tx", "closure_requested", "2026-12-31", None),
            fact("hl", "closed", "2026-08-31", Some(("2026-08-01", true))),
            fact("hl", "registered", "2026-11-23", None), // overdue and due this week
            fact("gg", "withdrawn", "2026-11-01", None),  // not a problem found
        ]
    }

    #[test]
    fn the_figures_equal_the_hand_count() {
        let today = d("2026-11-27").unwrap_or_default();
        let f = figures(&fixture(), today);
        assert_eq!(
            (
                f.found,
                f.closed,
                f.closed_on_time,
                f.open,
                f.overdue,
                f.due_this_week
            ),
            (8, 3, 2, 5, 3, 2)
        );
        assert_eq!(f.on_time_permille(), Some(666));
        assert_eq!(Figures::default().on_time_permille(), None);
    }

    #[test]
    fn splits_and_concentration() {
        let today = d("2026-11-27").unwrap_or_default();
        let facts = fixture();
        let by = split(&facts, today, "district", |x| {
            (
                x.district.clone(),
                x.district_name.clone(),
                x.district.clone(),
            )
        });
        let keys: Vec<&str> = by.rows.iter().map(|r| r.key.as_str()).collect();
        // Most found first, then most open; the withdrawn-only district found nothing.
        assert_eq!(keys, ["xh", "tx", "hl"]);
        assert_eq!(by.rows[0].figures.open, 2);
        let c = concentration(&by);
        assert_eq!(c.total_open, 5);
        // xh 2 + tx 2 of 5 open: 80%, flagged.
        assert_eq!(c.top_two_permille, 800);
        assert!(c.flagged);
        assert_eq!(c.shares[0].permille, 400);
    }

    #[test]
    fn an_even_spread_is_not_flagged() {
        let today = d("2026-11-27").unwrap_or_default();
        let facts: Vec<Fact> = ["a", "b", "c", "d", "e"]
            .into_iter()
            .map(|k| fact(k, "issued", "2026-12-31", None))
            .collect();
        let c = concentration(&split(&facts, today, "district", |x| {
            (x.district.clone(), x.district.clone(), x.district.clone())
        }));
        assert_eq!(c.top_two_permille, 400);
        assert!(!c.flagged);
    }

    #[test]
    fn the_trend_counts_found_closed_and_overdue_at_each_months_end() {
        let today = d("2026-11-27").unwrap_or_default();
        let points = trend(&fixture(), today, 6);
        let months: Vec<&str> = points.iter().map(|p| p.month.as_str()).collect();
        assert_eq!(
            months,
            [
                "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"
            ]
        );
        assert_eq!(points[0].found, 8);
        assert_eq!(points[2].closed, 1);
        assert_eq!(points[3].closed, 1);
        assert_eq!(points[4].closed, 1);
        // End of September: the item due 09-15 and closed only on 10-15 was overdue; end
        // of October: it was closed, and the item due 10-31 was due that day, not overdue;
        // end of November (today): three.
        assert_eq!(points[3].overdue_at_end, 1);
        assert_eq!(points[4].overdue_at_end, 0);
        assert_eq!(points[5].overdue_at_end, 3);
    }
}
