//! The central office's figures (DESIGN §6), pure: from the facts of each item to the
//! totals, the splits by district, unit, category, source and nature, where the open items
//! concentrate, and the trend by month. On time is what the ledger froze at closure,
//! judged against the original deadline.

use super::{Concentration, Figures, MonthPoint, Share, Split, SplitRow};
use chrono::{Datelike, Duration, NaiveDate};

/// Where an item stands, as the figures count it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Standing {
    #[default]
    Open,
    Closed,
    /// A withdrawn registration: not a problem found.
    Withdrawn,
}

impl Standing {
    pub fn of(status: &str) -> Self {
        match status {
            "closed" => Standing::Closed,
            "withdrawn" => Standing::Withdrawn,
            _ => Standing::Open,
        }
    }
}

/// What the statistics need to know of one item. The dimensions are small numbers
/// standing for a district, unit, category, source and nature (the caller keeps what
/// each number names), so a million facts stay small and quick to count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fact {
    pub district: u32,
    pub unit: u32,
    pub category: u32,
    pub source: u32,
    pub nature: u32,
    pub standing: Standing,
    pub found_on: Option<NaiveDate>,
    pub approved_deadline: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closed_on_time: Option<bool>,
}

/// The Monday and Sunday of `today`'s week.
pub fn week_of(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    (monday, monday + Duration::days(6))
}

/// The day the figures are of, and its week.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Day {
    today: NaiveDate,
    monday: NaiveDate,
    sunday: NaiveDate,
}

impl Day {
    fn of(today: NaiveDate) -> Self {
        let (monday, sunday) = week_of(today);
        Day {
            today,
            monday,
            sunday,
        }
    }
}

/// Counts one item into `f` (`by` 1), or takes it out again (`by` -1). Withdrawn
/// registrations are not problems found; everything else is.
fn count(f: &mut Figures, x: &Fact, day: Day, by: i64) {
    match x.standing {
        Standing::Withdrawn => {}
        Standing::Closed => {
            f.found += by;
            f.closed += by;
            if x.closed_on_time == Some(true) {
                f.closed_on_time += by;
            }
        }
        Standing::Open => {
            f.found += by;
            f.open += by;
            if let Some(d) = x.approved_deadline {
                if d < day.today {
                    f.overdue += by;
                }
                if d >= day.monday && d <= day.sunday {
                    f.due_this_week += by;
                }
            }
        }
    }
}

/// The figures of a set of items on `today`.
#[cfg(test)] // The separate counts the one-pass `tally` is checked against.
pub fn figures<'a>(facts: impl IntoIterator<Item = &'a Fact>, today: NaiveDate) -> Figures {
    let day = Day::of(today);
    let mut f = Figures::default();
    for x in facts {
        count(&mut f, x, day, 1);
    }
    f
}

/// The figures of each group of one dimension (`group` gives an item's number), in one
/// pass: index `n` holds group `n`'s figures.
#[cfg(test)] // The separate counts the one-pass `tally` is checked against.
pub fn by_group(facts: &[Fact], today: NaiveDate, group: impl Fn(&Fact) -> u32) -> Vec<Figures> {
    let day = Day::of(today);
    let mut groups: Vec<Figures> = Vec::new();
    for x in facts {
        let g = group(x) as usize;
        if g >= groups.len() {
            groups.resize(g + 1, Figures::default());
        }
        count(&mut groups[g], x, day, 1);
    }
    groups
}

/// The order of a split: most found first, then most open, then by label.
fn largest_first(a: &SplitRow, b: &SplitRow) -> std::cmp::Ordering {
    b.figures
        .found
        .cmp(&a.figures.found)
        .then(b.figures.open.cmp(&a.figures.open))
        .then(a.label.cmp(&b.label))
}

/// The split of the items by one dimension, largest (most found) first, at most `limit`
/// rows (`None`: all). `name` gives a group's (key, label, English label); it is asked
/// only for the rows kept and those tied with the last one kept.
pub fn split(
    groups: &[Figures],
    dimension: &str,
    limit: Option<usize>,
    name: impl Fn(u32) -> (String, String, String),
) -> Split {
    split_by(groups, dimension, limit, |g| name(g).1, &name)
}

/// [`split`], with `label` giving a group's label cheaply (it breaks the ties of the last
/// row kept, among perhaps a hundred thousand units); `name` is asked only for the rows
/// kept, and must give the same label.
pub fn split_by<L: Ord>(
    groups: &[Figures],
    dimension: &str,
    limit: Option<usize>,
    label: impl Fn(u32) -> L,
    name: impl Fn(u32) -> (String, String, String),
) -> Split {
    let mut found: Vec<(u32, Figures)> = groups
        .iter()
        .enumerate()
        .filter(|(_, f)| f.found > 0)
        .map(|(g, f)| (g as u32, *f))
        .collect();
    let row = |(g, figures): (u32, Figures)| {
        let (key, label, label_en) = name(g);
        SplitRow {
            key,
            label,
            label_en,
            figures,
        }
    };
    let mut rows: Vec<SplitRow> = match limit {
        // A city has a hundred thousand units, many with the same counts: pick out the
        // largest by their counts, and of those tied with the last, the first by label.
        Some(limit) if limit > 0 && found.len() > limit => {
            found.select_nth_unstable_by(limit - 1, |a, b| {
                b.1.found.cmp(&a.1.found).then(b.1.open.cmp(&a.1.open))
            });
            let last = found[limit - 1].1;
            let counts = |f: &Figures| (f.found, f.open);
            let (larger, tied): (Vec<_>, Vec<_>) = found
                .into_iter()
                .filter(|(_, f)| counts(f) >= counts(&last))
                .partition(|(_, f)| counts(f) > counts(&last));
            let room = limit - larger.len();
            let mut tied = tied;
            if tied.len() > room {
                tied.select_nth_unstable_by(room - 1, |a, b| label(a.0).cmp(&label(b.0)));
                tied.truncate(room);
            }
            larger.into_iter().chain(tied).map(row).collect()
        }
        _ => found.into_iter().map(row).collect(),
    };
    rows.sort_by(largest_first);
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
#[cfg(test)] // The separate counts the one-pass `tally` is checked against.
pub fn trend(facts: &[Fact], today: NaiveDate, months: u32) -> Vec<MonthPoint> {
    let mut t = Trend::new(today, months);
    for x in facts {
        t.add(x, 1);
    }
    t.points()
}

/// The trend, counted one item at a time: each is open and overdue at the ends of a run
/// of consecutive months, added as a difference.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Trend {
    starts: Vec<NaiveDate>,
    ends: Vec<NaiveDate>,
    points: Vec<MonthPoint>,
    /// overdue[m] - overdue[m - 1]: items that became overdue at month m's end, less
    /// those that stopped being.
    change: Vec<i64>,
}

impl Trend {
    fn new(today: NaiveDate, months: u32) -> Self {
        let starts: Vec<NaiveDate> = (0..months)
            .rev()
            .map(|back| month_start(today, back))
            .collect();
        let ends: Vec<NaiveDate> = starts
            .iter()
            .map(|&start| {
                let next = month_start(start + Duration::days(40), 0);
                (next - Duration::days(1)).min(today)
            })
            .collect();
        let points = starts
            .iter()
            .map(|s| MonthPoint {
                month: s.format("%Y-%m").to_string(),
                ..MonthPoint::default()
            })
            .collect();
        let change = vec![0; starts.len() + 1];
        Trend {
            starts,
            ends,
            points,
            change,
        }
    }

    fn month_of(&self, d: NaiveDate) -> Option<usize> {
        let m = self.ends.partition_point(|e| *e < d);
        (m < self.starts.len() && d >= self.starts[m]).then_some(m)
    }

    /// Counts one item in (`by` 1) or out again (`by` -1).
    fn add(&mut self, x: &Fact, by: i64) {
        if x.standing == Standing::Withdrawn {
            return;
        }
        let closed = x.standing == Standing::Closed;
        if let Some(m) = x.found_on.and_then(|d| self.month_of(d)) {
            self.points[m].found += by;
        }
        if closed && let Some(m) = x.closed_on.and_then(|d| self.month_of(d)) {
            self.points[m].closed += by;
        }
        let Some(deadline) = x.approved_deadline else {
            return;
        };
        let ends = &self.ends;
        // From the first month's end it existed at and was past its deadline …
        let existed = x.found_on.map_or(0, |f| ends.partition_point(|e| *e < f));
        let past_deadline = ends.partition_point(|e| *e <= deadline);
        let from = existed.max(past_deadline);
        // … until the first month's end it was closed by.
        let until = match (closed, x.closed_on) {
            (false, _) => ends.len(),
            (true, Some(c)) => ends.partition_point(|e| *e < c),
            (true, None) => 0,
        };
        if from < until {
            self.change[from] += by;
            self.change[until] -= by;
        }
    }

    fn points(&self) -> Vec<MonthPoint> {
        let mut points = self.points.clone();
        let mut running = 0;
        for (m, p) in points.iter_mut().enumerate() {
            running += self.change[m];
            p.overdue_at_end = running;
        }
        points
    }
}

/// Everything the dashboard counts on one day: the totals, the figures of each district,
/// unit, category, source and nature (indexed by their numbers), and the trend. Counted in
/// one pass over the facts, then kept up to date as items change (`remove` the old fact,
/// `add` the new): the city's dashboard does not count a million items on every view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    day: Day,
    pub totals: Figures,
    pub by_district: Vec<Figures>,
    pub by_unit: Vec<Figures>,
    pub by_category: Vec<Figures>,
    pub by_source: Vec<Figures>,
    pub by_nature: Vec<Figures>,
    trend: Trend,
}

impl Tally {
    /// Nothing counted yet, on `today`, with a trend of `months` months.
    pub fn new(today: NaiveDate, months: u32) -> Self {
        Tally {
            day: Day::of(today),
            totals: Figures::default(),
            by_district: Vec::new(),
            by_unit: Vec::new(),
            by_category: Vec::new(),
            by_source: Vec::new(),
            by_nature: Vec::new(),
            trend: Trend::new(today, months),
        }
    }

    /// The day counted for (overdue and due this week depend on it).
    pub fn today(&self) -> NaiveDate {
        self.day.today
    }

    pub fn add(&mut self, x: &Fact) {
        self.count(x, 1);
    }

    /// Takes out an item counted before (with the fact it was counted with).
    pub fn remove(&mut self, x: &Fact) {
        self.count(x, -1);
    }

    fn count(&mut self, x: &Fact, by: i64) {
        let day = self.day;
        let bump = |groups: &mut Vec<Figures>, g: u32| {
            let g = g as usize;
            if g >= groups.len() {
                groups.resize(g + 1, Figures::default());
            }
            count(&mut groups[g], x, day, by);
        };
        count(&mut self.totals, x, day, by);
        bump(&mut self.by_district, x.district);
        bump(&mut self.by_unit, x.unit);
        bump(&mut self.by_category, x.category);
        bump(&mut self.by_source, x.source);
        bump(&mut self.by_nature, x.nature);
        self.trend.add(x, by);
    }

    /// Found, closed, and overdue at the month's end, oldest month first.
    pub fn trend(&self) -> Vec<MonthPoint> {
        self.trend.points()
    }
}

/// The tally of `facts` on `today`, in one pass.
pub fn tally<'a>(
    facts: impl IntoIterator<Item = &'a Fact>,
    today: NaiveDate,
    months: u32,
) -> Tally {
    let mut t = Tally::new(today, months);
    for x in facts {
        t.add(x);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    /// District codes of the fixture, numbered as the dashboard numbers them.
    const DISTRICTS: [&str; 9] = ["xh", "tx", "hl", "gg", "a", "b", "c", "d", "e"];

    fn district(code: &str) -> u32 {
        DISTRICTS.iter().position(|d| *d == code).unwrap_or(99) as u32
    }

    fn fact(
        district_code: &str,
        status: &str,
        deadline: &str,
        closed: Option<(&str, bool)>,
    ) -> Fact {
        Fact {
            district: district(district_code),
            unit: district(district_code),
            category: 0,
            source: 0,
            nature: 0,
            standing: Standing::of(status),
            found_on: d("2026-06-10"),
            approved_deadline: d(deadline),
            closed_on: closed.and_then(|(c, _)| d(c)),
            closed_on_time: closed.map(|(_, t)| t),
        }
    }

    fn name(g: u32) -> (String, String, String) {
        let code = DISTRICTS
            .get(g as usize)
            .copied()
            .unwrap_or("?")
            .to_string();
        (code.clone(), code.to_uppercase(), code)
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
        let by = split(
            &by_group(&facts, today, |x| x.district),
            "district",
            None,
            name,
        );
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
        let c = concentration(&split(
            &by_group(&facts, today, |x| x.district),
            "district",
            None,
            name,
        ));
        assert_eq!(c.top_two_permille, 400);
        assert!(!c.flagged);
    }

    #[test]
    fn a_limited_split_keeps_the_largest_and_breaks_ties_by_label() {
        let today = d("2026-11-27").unwrap_or_default();
        // xh 5 found; tx and hl 3 found and 2 open each; a 1: the two rows kept are xh
        // and the first of the tie by label (HL before TX).
        let mut facts = fixture();
        facts.push(fact("xh", "issued", "2026-12-31", None));
        facts.push(fact("hl", "issued", "2026-12-31", None));
        facts.push(fact(
            "tx",
            "closed",
            "2026-09-30",
            Some(("2026-09-20", true)),
        ));
        facts.push(fact("a", "issued", "2026-12-31", None));
        let groups = by_group(&facts, today, |x| x.district);
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let by = split(&groups, "district", Some(2), |g| {
            asked.borrow_mut().insert(g);
            name(g)
        });
        let keys: Vec<&str> = by.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["xh", "hl"]);
        // Only the rows kept and the one tied with the last were named, not "a".
        let named: Vec<u32> = asked.into_inner().into_iter().collect();
        assert_eq!(named, [district("xh"), district("tx"), district("hl")]);
        assert_eq!(split(&groups, "district", None, name).rows.len(), 4);
    }

    #[test]
    fn the_tally_of_one_pass_equals_the_separate_counts() {
        let today = d("2026-11-27").unwrap_or_default();
        let facts = fixture();
        let t = tally(&facts, today, 6);
        assert_eq!(t.totals, figures(&facts, today));
        assert_eq!(t.by_district, by_group(&facts, today, |x| x.district));
        assert_eq!(t.by_unit, by_group(&facts, today, |x| x.unit));
        assert_eq!(t.by_nature, by_group(&facts, today, |x| x.nature));
        assert_eq!(t.trend(), trend(&facts, today, 6));
    }

    #[test]
    fn a_tally_kept_up_to_date_equals_counting_again() {
        let today = d("2026-11-27").unwrap_or_default();
        let before = fixture();
        let mut after = before.clone();
        // One closed on time, one withdrawn, one given a later deadline, one moved to
        // another district and unit, and a new one in a district not seen yet.
        after[2] = fact("xh", "closed", "2026-11-01", Some(("2026-10-30", true)));
        after[3].standing = Standing::Withdrawn;
        after[4].approved_deadline = d("2027-01-31");
        after[5] = fact("hl", "closure_requested", "2026-12-31", None);
        after.push(fact("e", "issued", "2026-11-25", None));
        let mut kept = tally(&before, today, 6);
        for (old, new) in before.iter().zip(&after) {
            kept.remove(old);
            kept.add(new);
        }
        kept.add(&after[after.len() - 1]);
        let again = tally(&after, today, 6);
        assert_eq!(kept.totals, again.totals);
        assert_eq!(kept.by_district, again.by_district);
        assert_eq!(kept.by_unit, again.by_unit);
        assert_eq!(kept.by_category, again.by_category);
        assert_eq!(kept.trend(), again.trend());
        assert_eq!(kept.trend(), trend(&after, today, 6));
    }

    #[test]
    fn a_limited_split_keeps_the_largest_as_a_full_sort_would() {
        // Many groups with ties, in a scrambled order.
        let groups: Vec<Figures> = (0..500u32)
            .map(|g| Figures {
                found: i64::from((g * 37) % 23),
                open: i64::from((g * 11) % 5),
                ..Figures::default()
            })
            .collect();
        let name = |g: u32| (format!("{g:04}"), format!("{g:04}"), format!("{g:04}"));
        let labels: Vec<String> = (0..500u32).map(|g| format!("{g:04}")).collect();
        let all = split(&groups, "unit", None, name);
        for limit in [1, 7, 15, 100] {
            let kept = split(&groups, "unit", Some(limit), name);
            assert_eq!(kept.rows, all.rows[..limit].to_vec(), "limit {limit}");
            let cheap = split_by(&groups, "unit", Some(limit), |g| &labels[g as usize], name);
            assert_eq!(cheap.rows, kept.rows, "limit {limit}");
        }
    }

    #[test]
    fn the_trend_of_one_pass_equals_counting_each_month() {
        let today = d("2026-11-27").unwrap_or_default();
        let mut facts = fixture();
        // Found late, closed early, no deadline, closed without a date.
        facts.push(Fact {
            found_on: d("2026-10-05"),
            ..fact("a", "issued", "2026-10-20", None)
        });
        facts.push(Fact {
            found_on: None,
            ..fact("b", "closed", "2026-07-01", Some(("2026-07-10", false)))
        });
        facts.push(Fact {
            approved_deadline: None,
            ..fact("b", "issued", "2026-07-01", None)
        });
        facts.push(Fact {
            closed_on: None,
            ..fact("b", "closed", "2026-07-01", None)
        });
        let fast = trend(&facts, today, 8);
        for p in &fast {
            let start = d(&format!("{}-01", p.month)).unwrap_or_default();
            let end = (month_start(start + Duration::days(40), 0) - Duration::days(1)).min(today);
            let overdue = facts
                .iter()
                .filter(|x| x.standing != Standing::Withdrawn)
                .filter(|x| x.found_on.is_none_or(|f| f <= end))
                .filter(|x| x.standing != Standing::Closed || x.closed_on.is_some_and(|c| c > end))
                .filter(|x| x.approved_deadline.is_some_and(|dl| dl < end))
                .count() as i64;
            assert_eq!(p.overdue_at_end, overdue, "{}", p.month);
        }
        assert_eq!(fast.iter().map(|p| p.found).sum::<i64>(), 11);
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
