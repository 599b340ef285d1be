//! The reminder ladder (DESIGN §4) as data and pure rules: which milestones remind whom,
//! when each falls, and quiet hours. The scheduler (server) materialises reminders from
//! these; the administrator edits the ladder.

use crate::stats::figures::{Fact, Standing};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// What a rule counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The item's approved deadline (negative offsets: before it; positive: overdue).
    Deadline,
    /// A measure's due date.
    MeasureDue,
    /// The day a closure request was made (acceptance waiting).
    ClosureRequested,
    /// Every week: the weekly summary; `offset_days` is the weekday (0 = Monday).
    Weekly,
    /// The last day of an open campaign, for returns not yet submitted.
    ReturnDue,
}

/// Who a reminder goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    UnitHead,
    UnitHandler,
    MeasureOwner,
    DistrictOffice,
    CentralOffice,
    CoSigners,
}

impl Recipient {
    pub const ALL: [Recipient; 6] = [
        Recipient::UnitHead,
        Recipient::UnitHandler,
        Recipient::MeasureOwner,
        Recipient::DistrictOffice,
        Recipient::CentralOffice,
        Recipient::CoSigners,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::UnitHead => "unit_head",
            Recipient::UnitHandler => "unit_handler",
            Recipient::MeasureOwner => "measure_owner",
            Recipient::DistrictOffice => "district_office",
            Recipient::CentralOffice => "central_office",
            Recipient::CoSigners => "co_signers",
        }
    }

    pub fn parse(s: &str) -> Option<Recipient> {
        Recipient::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl Anchor {
    pub fn as_str(self) -> &'static str {
        match self {
            Anchor::Deadline => "deadline",
            Anchor::MeasureDue => "measure_due",
            Anchor::ClosureRequested => "closure_requested",
            Anchor::Weekly => "weekly",
            Anchor::ReturnDue => "return_due",
        }
    }

    pub fn parse(s: &str) -> Option<Anchor> {
        [
            Anchor::Deadline,
            Anchor::MeasureDue,
            Anchor::ClosureRequested,
            Anchor::Weekly,
            Anchor::ReturnDue,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// A rung as the administrator edits it: offsets within a year, repeats from 1 to 90
/// days (empty: none), at least one recipient.
pub fn valid_rung(
    offset_days: &str,
    repeat_days: &str,
    recipients: &[String],
) -> Result<(i64, Option<i64>, Vec<Recipient>), crate::AppError> {
    use crate::error::{Field, Problem};
    let bad = |f| crate::AppError::invalid(f, Problem::Invalid);
    let offset = offset_days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (-365..=365).contains(d))
        .ok_or(bad(Field::OffsetDays))?;
    let repeat = match repeat_days.trim() {
        "" => None,
        r => Some(
            r.parse::<i64>()
                .ok()
                .filter(|d| (1..=90).contains(d))
                .ok_or(bad(Field::RepeatDays))?,
        ),
    };
    let mut to = Vec::new();
    for r in recipients {
        let r = Recipient::parse(r.trim()).ok_or(bad(Field::Recipients))?;
        if !to.contains(&r) {
            to.push(r);
        }
    }
    if to.is_empty() {
        return Err(crate::AppError::invalid(
            Field::Recipients,
            Problem::Required,
        ));
    }
    Ok((offset, repeat, to))
}

/// One rung of the ladder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable name, part of every reminder's idempotency key.
    pub code: String,
    pub anchor: Anchor,
    /// Days after the anchor (negative: before).
    pub offset_days: i64,
    /// Repeat every so many days after the first time (escalation), if any.
    pub repeat_days: Option<i64>,
    pub recipients: Vec<Recipient>,
}

fn rule(
    code: &str,
    anchor: Anchor,
    offset_days: i64,
    repeat: Option<i64>,
    to: &[Recipient],
) -> Rule {
    Rule {
        code: code.to_string(),
        anchor,
        offset_days,
        repeat_days: repeat,
        recipients: to.to_vec(),
    }
}

/// DESIGN §4's default ladder.
pub fn default_ladder() -> Vec<Rule> {
    use Recipient::*;
    let unit = [UnitHead, UnitHandler];
    vec![
        rule("deadline_t30", Anchor::Deadline, -30, None, &unit),
        rule("deadline_t7", Anchor::Deadline, -7, None, &unit),
        rule("deadline_t3", Anchor::Deadline, -3, None, &unit),
        rule("deadline_t1", Anchor::Deadline, -1, None, &unit),
        rule("deadline_t0", Anchor::Deadline, 0, None, &unit),
        rule(
            "overdue_1",
            Anchor::Deadline,
            1,
            None,
            &[UnitHead, DistrictOffice],
        ),
        rule("overdue_7", Anchor::Deadline, 7, Some(7), &[CentralOffice]),
        rule("measure_t3", Anchor::MeasureDue, -3, None, &[MeasureOwner]),
        rule("measure_t0", Anchor::MeasureDue, 0, None, &[MeasureOwner]),
        rule(
            "acceptance_waiting_5",
            Anchor::ClosureRequested,
            5,
            None,
            &[CoSigners],
        ),
        rule("weekly_summary", Anchor::Weekly, 0, None, &[CentralOffice]),
        // Look-back returns (DESIGN §5): the district office for its district's return,
        // the unit's head and contact for a unit's own return.
        rule(
            "return_t7",
            Anchor::ReturnDue,
            -7,
            None,
            &[DistrictOffice, UnitHead, UnitHandler],
        ),
        rule(
            "return_t1",
            Anchor::ReturnDue,
            -1,
            None,
            &[DistrictOffice, UnitHead, UnitHandler],
        ),
    ]
}

/// The moment of this week's summary at or before `now`: the rule's weekday (0 = Monday)
/// at `at` Shanghai time, in the week of `now`; `None` before it has come this week.
pub fn weekly_moment(weekday: i64, at: NaiveTime, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    let local = now.with_timezone(&shanghai());
    let monday =
        local.date_naive() - Duration::days(i64::from(local.weekday().num_days_from_monday()));
    let day = monday + Duration::days(weekday.clamp(0, 6));
    let moment = shanghai()
        .from_local_datetime(&day.and_time(at))
        .single()?
        .with_timezone(&Utc);
    (moment <= now).then_some(moment)
}

/// The weekly summary's figures on `today` (open, overdue, due this week from Monday to
/// Sunday, closed last week): the city's, and each district's by its number. Withdrawn
/// registrations are not counted.
pub fn week_figures(facts: &[Fact], today: NaiveDate) -> (super::Figures, Vec<super::Figures>) {
    use chrono::Datelike;
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let sunday = monday + Duration::days(6);
    let last_monday = monday - Duration::days(7);
    let mut city = super::Figures::default();
    let mut by_district: Vec<super::Figures> = Vec::new();
    for x in facts {
        let add = |f: &mut super::Figures| match x.standing {
            Standing::Open => {
                f.open += 1;
                if let Some(d) = x.approved_deadline {
                    f.overdue += i64::from(d < today);
                    f.due_this_week += i64::from(d >= monday && d <= sunday);
                }
            }
            Standing::Closed => {
                f.closed_last_week +=
                    i64::from(x.closed_on.is_some_and(|c| c >= last_monday && c < monday));
            }
            Standing::Withdrawn => {}
        };
        add(&mut city);
        let d = x.district as usize;
        if d >= by_district.len() {
            by_district.resize(d + 1, super::Figures::default());
        }
        add(&mut by_district[d]);
    }
    (city, by_district)
}

/// The day of occurrence `n` (0 = the first) of `rule` for an anchor date, or `None` when
/// the rule does not repeat and `n > 0`.
pub fn occurrence_day(rule: &Rule, anchor: NaiveDate, n: u32) -> Option<NaiveDate> {
    let first = anchor + Duration::days(rule.offset_days);
    match (n, rule.repeat_days) {
        (0, _) => Some(first),
        (n, Some(every)) if every > 0 => Some(first + Duration::days(every * i64::from(n))),
        _ => None,
    }
}

/// The occurrences of `rule` that have fallen due by `today` and are not before
/// `since` (the day the reminder became relevant, e.g. when the item was issued: a T-30
/// reminder is pointless for an item issued with 10 days left). Oldest first.
pub fn due_occurrences(
    rule: &Rule,
    anchor: NaiveDate,
    since: NaiveDate,
    today: NaiveDate,
) -> Vec<(u32, NaiveDate)> {
    let mut out = Vec::new();
    let mut n = 0;
    while let Some(day) = occurrence_day(rule, anchor, n) {
        if day > today {
            break;
        }
        if day >= since {
            out.push((n, day));
        }
        n += 1;
        if n > 10_000 {
            break;
        }
    }
    out
}

/// A repeating rung reaches back this far at most: an item overdue for ten years is not
/// escalated again by it.
pub const REPEAT_REACH_DAYS: i64 = 3660;

/// One day that rungs count from: every item, measure or closure request anchored on it
/// has a reminder falling due on a day the planner is catching up with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AnchorDay {
    pub anchor: Anchor,
    pub day: NaiveDate,
}

impl AnchorDay {
    /// As the planner keeps it between runs: `deadline 2026-12-31`.
    pub fn to_text(self) -> String {
        let anchor = match self.anchor {
            Anchor::Deadline => "deadline",
            Anchor::MeasureDue => "measure_due",
            Anchor::ClosureRequested => "closure_requested",
            Anchor::Weekly => "weekly",
            Anchor::ReturnDue => "return_due",
        };
        format!("{anchor} {}", self.day.format("%Y-%m-%d"))
    }

    pub fn parse(text: &str) -> Option<AnchorDay> {
        let (anchor, day) = text.split_once(' ')?;
        let anchor = match anchor {
            "deadline" => Anchor::Deadline,
            "measure_due" => Anchor::MeasureDue,
            "closure_requested" => Anchor::ClosureRequested,
            _ => return None,
        };
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
        Some(AnchorDay { anchor, day })
    }
}

/// One anchor day's items a page at a time (a day can hold more items than a planner run
/// reads: one deadline set for a whole campaign): of `items`, in the order of their `key`,
/// those after `after`, at most `room` (at least one); and the last key taken when some
/// are left for the next run.
pub fn next_page<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
    after: Option<&str>,
    room: usize,
) -> (Vec<T>, Option<String>) {
    items.sort_by_cached_key(&key);
    items.dedup_by(|a, b| key(a) == key(b));
    items.retain(|i| after.is_none_or(|a| key(i).as_str() > a));
    if items.len() <= room.max(1) {
        return (items, None);
    }
    items.truncate(room.max(1));
    let last = items.last().map(&key);
    (items, last)
}

/// What a run reads of anchor days whose items were found ([`take_days`]).
#[derive(Debug, PartialEq)]
pub struct DaysTaken<T> {
    /// The items to read, at most the room there was.
    pub items: Vec<T>,
    /// How many of the days were read to their end.
    pub days_done: usize,
    /// Where a day with more items than the room left was stopped (its last item read).
    pub stopped_at: Option<String>,
    /// The items found of the days not read to their end (the one stopped in, whole):
    /// kept for the next runs, so that a crowded day is found once, not once a page.
    pub left: std::collections::HashMap<AnchorDay, Vec<T>>,
}

/// The items of `days` (in the planner's order) to read in a run with `room` for more:
/// whole days while they fit, then a page of the day that does not ([`next_page`]),
/// going on after `after` where an earlier run stopped in that day. `found` holds each
/// day's items (a day missing from it has none).
pub fn take_days<T: Clone>(
    days: &[AnchorDay],
    mut found: std::collections::HashMap<AnchorDay, Vec<T>>,
    key: impl Fn(&T) -> String,
    after: Option<(AnchorDay, &str)>,
    room: usize,
) -> DaysTaken<T> {
    let (mut items, mut days_done, mut stopped_at) = (Vec::new(), 0, None);
    for day in days {
        if items.len() >= room {
            break;
        }
        let of_day = found.remove(day).unwrap_or_default();
        let cursor = after.filter(|(d, _)| d == day).map(|(_, k)| k);
        // Only a day with more items than the room left can be stopped in and kept.
        let whole = (of_day.len() > room - items.len()).then(|| of_day.clone());
        let (page, stopped) = next_page(of_day, &key, cursor, room - items.len());
        items.extend(page);
        if stopped.is_some() {
            found.insert(*day, whole.unwrap_or_default());
            stopped_at = stopped;
            break;
        }
        days_done += 1;
    }
    found.retain(|d, _| days[days_done..].contains(d));
    DaysTaken {
        items,
        days_done,
        stopped_at,
        left: found,
    }
}

/// The anchor days with an occurrence of some rung on a day from `from` to `today`: the
/// items, measures and closure requests the planner must read to catch up with those
/// days, and no others (a province's open items are far too many to read every day).
/// A repeating rung reaches back [`REPEAT_REACH_DAYS`]. Sorted, each once. The weekly
/// summary and campaign returns are planned apart.
pub fn anchors_falling_due(rules: &[Rule], from: NaiveDate, today: NaiveDate) -> Vec<AnchorDay> {
    let reach = today - Duration::days(REPEAT_REACH_DAYS);
    let mut out = std::collections::BTreeSet::new();
    for rule in rules {
        if matches!(rule.anchor, Anchor::Weekly | Anchor::ReturnDue) {
            continue;
        }
        let mut day = from;
        while day <= today {
            let mut anchor = day - Duration::days(rule.offset_days);
            out.insert(AnchorDay {
                anchor: rule.anchor,
                day: anchor,
            });
            if let Some(every) = rule.repeat_days.filter(|e| *e > 0) {
                anchor -= Duration::days(every);
                while anchor >= reach {
                    out.insert(AnchorDay {
                        anchor: rule.anchor,
                        day: anchor,
                    });
                    anchor -= Duration::days(every);
                }
            }
            day += Duration::days(1);
        }
    }
    out.into_iter().collect()
}

/// Quiet hours in Shanghai: from 22:00 to 07:30 nothing is pushed.
pub const QUIET_FROM: (u32, u32) = (22, 0);
pub const QUIET_UNTIL: (u32, u32) = (7, 30);

fn shanghai() -> chrono::FixedOffset {
    match chrono::FixedOffset::east_opt(8 * 3600) {
        Some(o) => o,
        None => unreachable!("8 hours east of UTC is a valid offset"),
    }
}

/// When a push due at `at` may go out: `at` itself outside quiet hours, otherwise the
/// end of the quiet hours (07:30 Shanghai).
pub fn release_time(at: DateTime<Utc>) -> DateTime<Utc> {
    let from = NaiveTime::from_hms_opt(QUIET_FROM.0, QUIET_FROM.1, 0).unwrap_or_default();
    let until = NaiveTime::from_hms_opt(QUIET_UNTIL.0, QUIET_UNTIL.1, 0).unwrap_or_default();
    release_after_quiet(at, from, until)
}

/// "HH:MM" as a time of day.
pub fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

/// Quiet hours as the administrator sets them (Shanghai time, `from` may be after `until`
/// to span midnight; equal times mean no quiet hours). Invalid times are named.
pub fn valid_quiet_hours(
    from: &str,
    until: &str,
) -> Result<(NaiveTime, NaiveTime), crate::AppError> {
    use crate::error::{Field, Problem};
    match (parse_time_of_day(from), parse_time_of_day(until)) {
        (Some(f), Some(u)) => Ok((f, u)),
        _ => Err(crate::AppError::invalid(
            Field::QuietHours,
            Problem::Invalid,
        )),
    }
}

/// When something due at `at` may go out with quiet hours from `from` to `until`
/// (Shanghai time).
pub fn release_after_quiet(at: DateTime<Utc>, from: NaiveTime, until: NaiveTime) -> DateTime<Utc> {
    let local = at.with_timezone(&shanghai());
    let time = local.time();
    let release_day = if from > until {
        // Spans midnight, e.g. 22:00–07:30.
        if time >= from {
            local.date_naive() + Duration::days(1)
        } else if time < until {
            local.date_naive()
        } else {
            return at;
        }
    } else if from < until && time >= from && time < until {
        local.date_naive()
    } else {
        return at;
    };
    shanghai()
        .from_local_datetime(&release_day.and_time(until))
        .single()
        .map_or(at, |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weekly_figures_count_the_city_and_each_district() {
        // Wednesday 2026-12-30: the week is 12-28 to 01-03, last week 12-21 to 12-27.
        let fact = |district: u32, standing: Standing, deadline: &str, closed: Option<&str>| Fact {
            district,
            standing,
            approved_deadline: Some(d(deadline)),
            closed_on: closed.map(d),
            ..Fact::default()
        };
        let facts = [
            fact(0, Standing::Open, "2026-12-29", None), // overdue and due this week
            fact(0, Standing::Open, "2027-01-03", None), // due this week
            fact(1, Standing::Open, "2027-02-01", None),
            fact(1, Standing::Closed, "2026-12-01", Some("2026-12-21")), // last week
            fact(1, Standing::Closed, "2026-12-01", Some("2026-12-28")), // this week
            fact(2, Standing::Withdrawn, "2026-12-01", None),
        ];
        let (city, by) = week_figures(&facts, d("2026-12-30"));
        let four = |f: &crate::reminders::Figures| {
            (f.open, f.overdue, f.due_this_week, f.closed_last_week)
        };
        assert_eq!(four(&city), (3, 1, 2, 1));
        assert_eq!(
            by.iter().map(four).collect::<Vec<_>>(),
            [(2, 1, 2, 0), (1, 0, 0, 1), (0, 0, 0, 0)]
        );
    }

    fn d(s: &str) -> NaiveDate {
        crate::ledger::calendar::parse_date(s).unwrap_or_else(|| panic!("{s}"))
    }

    fn find(code: &str) -> Rule {
        default_ladder()
            .into_iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("no rule {code}"))
    }

    #[test]
    fn the_deadline_rungs_fall_on_the_designed_days() {
        let deadline = d("2026-12-31");
        let days: Vec<NaiveDate> = [
            "deadline_t30",
            "deadline_t7",
            "deadline_t3",
            "deadline_t1",
            "deadline_t0",
            "overdue_1",
        ]
        .iter()
        .filter_map(|c| occurrence_day(&find(c), deadline, 0))
        .collect();
        assert_eq!(
            days,
            vec![
                d("2026-12-01"),
                d("2026-12-24"),
                d("2026-12-28"),
                d("2026-12-30"),
                d("2026-12-31"),
                d("2027-01-01")
            ]
        );
        assert_eq!(occurrence_day(&find("deadline_t7"), deadline, 1), None);
    }

    #[test]
    fn overdue_escalation_repeats_every_seven_days() {
        let rule = find("overdue_7");
        let due = due_occurrences(&rule, d("2026-11-01"), d("2026-10-01"), d("2026-11-23"));
        assert_eq!(
            due,
            vec![
                (0, d("2026-11-08")),
                (1, d("2026-11-15")),
                (2, d("2026-11-22"))
            ]
        );
    }

    /// Every anchor with an occurrence on one of the days caught up with is among those
    /// the planner reads, and no other: checked against `due_occurrences` for each rung of
    /// the default ladder, a repeating one, and one a day after the anchor.
    #[test]
    fn the_planner_reads_exactly_the_anchors_with_a_reminder_on_the_days_caught_up() {
        let mut rules = default_ladder();
        rules.push(rule(
            "every_day",
            Anchor::MeasureDue,
            2,
            Some(1),
            &[Recipient::UnitHead],
        ));
        let (from, today) = (d("2026-12-01"), d("2026-12-04"));
        let anchors = anchors_falling_due(&rules, from, today);
        let mut sorted = anchors.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(anchors, sorted, "sorted, each once");
        for rule in rules
            .iter()
            .filter(|r| !matches!(r.anchor, Anchor::Weekly | Anchor::ReturnDue))
        {
            let mut day = d("2025-01-01");
            while day <= d("2027-03-01") {
                let due = !due_occurrences(rule, day, from, today).is_empty();
                let read = anchors.contains(&AnchorDay {
                    anchor: rule.anchor,
                    day,
                });
                assert!(!due || read, "{} anchored on {day} is not read", rule.code);
                day += Duration::days(1);
            }
        }
        // Each anchor read has a reminder due on one of the days under some rung.
        for a in &anchors {
            assert!(
                rules
                    .iter()
                    .any(|r| r.anchor == a.anchor
                        && !due_occurrences(r, a.day, from, today).is_empty()),
                "{a:?} is read for nothing"
            );
        }
        // No catching up: nothing to read.
        assert!(anchors_falling_due(&rules, today, from).is_empty());
        // A repeating rung reaches back ten years, and no further.
        let weekly = anchors_falling_due(&[find("overdue_7")], today, today);
        assert_eq!(weekly.first().map(|a| a.day), Some(d("2016-12-02")));
        assert_eq!(weekly.last().map(|a| a.day), Some(d("2026-11-27")));
        assert_eq!(weekly.len(), 522);
    }

    #[test]
    fn a_crowded_day_is_read_in_pages_that_together_hold_each_item_once() {
        let keys: Vec<String> = (0..10).rev().map(|i| format!("i{i:03}")).collect();
        let (mut seen, mut after) = (Vec::new(), None::<String>);
        for run in 0.. {
            assert!(run < 10, "the pages end");
            let (page, last) = next_page(keys.clone(), String::clone, after.as_deref(), 4);
            assert!(!page.is_empty() && page.len() <= 4);
            seen.extend(page);
            match last {
                Some(l) => after = Some(l),
                None => break,
            }
        }
        let mut all = keys.clone();
        all.sort();
        assert_eq!(seen, all);
        // Room for them all: one page, nothing left; no room: still one item.
        assert_eq!(next_page(keys.clone(), String::clone, None, 10).1, None);
        assert_eq!(
            next_page(keys.clone(), String::clone, None, 0).0,
            vec!["i000".to_string()]
        );
        // Past the last key (the items moved to other days): nothing, and done.
        assert_eq!(
            next_page(keys, String::clone, Some("i999"), 4),
            (Vec::new(), None)
        );
    }

    #[test]
    fn days_found_together_are_read_whole_while_they_fit_then_a_page_and_the_rest_kept() {
        let day = |n: u32| AnchorDay {
            anchor: Anchor::Deadline,
            day: d(&format!("2026-12-{n:02}")),
        };
        let keys = |prefix: &str, n: usize| -> Vec<String> {
            (0..n).map(|i| format!("{prefix}{i:02}")).collect()
        };
        // Latest first, as the planner goes; day 2 has none.
        let days = [day(4), day(3), day(2), day(1)];
        let found = || {
            std::collections::HashMap::from([
                (day(4), keys("a", 3)),
                (day(3), keys("b", 5)),
                (day(1), keys("d", 2)),
            ])
        };
        // Room for all: every day done, nothing kept.
        let all = take_days(&days, found(), String::clone, None, 20);
        assert_eq!((all.items.len(), all.days_done), (10, 4));
        assert_eq!((all.stopped_at, all.left.len()), (None, 0));
        // Room for 5: day 4 whole, two of day 3, and days 3 to 1 kept for the next run.
        let first = take_days(&days, found(), String::clone, None, 5);
        assert_eq!(first.items, ["a00", "a01", "a02", "b00", "b01"]);
        assert_eq!(first.days_done, 1);
        assert_eq!(first.stopped_at.as_deref(), Some("b01"));
        assert_eq!(first.left.get(&day(3)), Some(&keys("b", 5)));
        assert_eq!(first.left.get(&day(1)), Some(&keys("d", 2)));
        assert!(!first.left.contains_key(&day(4)));
        // The next run, from what was kept: the rest of day 3, day 2 (none) and day 1.
        let next = take_days(
            &days[first.days_done..],
            first.left,
            String::clone,
            Some((day(3), "b01")),
            5,
        );
        assert_eq!(next.items, ["b02", "b03", "b04", "d00", "d01"]);
        assert_eq!(
            (next.days_done, next.stopped_at, next.left.len()),
            (3, None, 0)
        );
        // A full room stops before a day, which is kept whole and not begun.
        let exact = take_days(&days, found(), String::clone, None, 3);
        assert_eq!((exact.items.len(), exact.days_done), (3, 1));
        assert_eq!(exact.stopped_at, None);
        assert_eq!(exact.left.get(&day(3)), Some(&keys("b", 5)));
    }

    #[test]
    fn an_anchor_day_is_kept_as_text_and_read_back() {
        for anchor in [
            Anchor::Deadline,
            Anchor::MeasureDue,
            Anchor::ClosureRequested,
        ] {
            let a = AnchorDay {
                anchor,
                day: d("2026-12-31"),
            };
            assert_eq!(AnchorDay::parse(&a.to_text()), Some(a));
        }
        assert_eq!(
            AnchorDay::parse("deadline 2026-12-31").map(|a| a.anchor),
            Some(Anchor::Deadline)
        );
        for bad in [
            "",
            "deadline",
            "weekly 2026-12-31",
            "deadline 2026-13-01",
            "x 2026-12-31",
        ] {
            assert_eq!(AnchorDay::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn rungs_before_the_item_existed_are_skipped() {
        let rule = find("deadline_t30");
        assert!(
            due_occurrences(&rule, d("2026-12-31"), d("2026-12-20"), d("2026-12-31")).is_empty()
        );
        assert_eq!(
            due_occurrences(&rule, d("2026-12-31"), d("2026-11-01"), d("2026-12-31")),
            vec![(0, d("2026-12-01"))]
        );
    }

    #[test]
    fn an_edited_rung_is_checked() {
        use crate::error::{Field, Problem};
        let to = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            valid_rung("-14", "", &to(&["unit_head", "unit_head"])),
            Ok((-14, None, vec![Recipient::UnitHead]))
        );
        assert_eq!(
            valid_rung("7", "7", &to(&["central_office"])),
            Ok((7, Some(7), vec![Recipient::CentralOffice]))
        );
        assert_eq!(
            valid_rung("x", "", &to(&["unit_head"])),
            Err(crate::AppError::invalid(
                Field::OffsetDays,
                Problem::Invalid
            ))
        );
        assert_eq!(
            valid_rung("1", "0", &to(&["unit_head"])),
            Err(crate::AppError::invalid(
                Field::RepeatDays,
                Problem::Invalid
            ))
        );
        assert_eq!(
            valid_rung("1", "", &[]),
            Err(crate::AppError::invalid(
                Field::Recipients,
                Problem::Required
            ))
        );
        assert_eq!(
            valid_rung("1", "", &to(&["everyone"])),
            Err(crate::AppError::invalid(
                Field::Recipients,
                Problem::Invalid
            ))
        );
    }

    #[test]
    fn quiet_hours_hold_pushes_until_half_past_seven() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        // 23:00 Shanghai -> 07:30 next morning.
        assert_eq!(
            release_time(at("2026-11-27T15:00:00Z")),
            at("2026-11-27T23:30:00Z")
        );
        // 06:00 Shanghai -> 07:30 the same morning.
        assert_eq!(
            release_time(at("2026-11-27T22:00:00Z")),
            at("2026-11-27T23:30:00Z")
        );
        // 10:00 Shanghai: straight away.
        assert_eq!(
            release_time(at("2026-11-28T02:00:00Z")),
            at("2026-11-28T02:00:00Z")
        );
        // 07:30 exactly is no longer quiet; 22:00 exactly is.
        assert_eq!(
            release_time(at("2026-11-27T23:30:00Z")),
            at("2026-11-27T23:30:00Z")
        );
        assert_eq!(
            release_time(at("2026-11-27T14:00:00Z")),
            at("2026-11-27T23:30:00Z")
        );
    }

    #[test]
    fn quiet_hours_set_by_the_administrator_may_lie_within_one_day() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let (from, until) = valid_quiet_hours("12:00", "14:00").unwrap_or_else(|e| panic!("{e:?}"));
        // 13:00 Shanghai -> 14:00.
        assert_eq!(
            release_after_quiet(at("2026-11-27T05:00:00Z"), from, until),
            at("2026-11-27T06:00:00Z")
        );
        // 15:00 Shanghai: straight away.
        assert_eq!(
            release_after_quiet(at("2026-11-27T07:00:00Z"), from, until),
            at("2026-11-27T07:00:00Z")
        );
        // Equal times: no quiet hours at all.
        let (f, u) = valid_quiet_hours("00:00", "00:00").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            release_after_quiet(at("2026-11-27T17:00:00Z"), f, u),
            at("2026-11-27T17:00:00Z")
        );
        assert!(valid_quiet_hours("25:00", "07:00").is_err());
        assert!(valid_quiet_hours("22:00", "").is_err());
    }

    #[test]
    fn the_weekly_summary_falls_on_monday_morning_in_shanghai() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let nine = parse_time_of_day("09:00").unwrap_or_else(|| panic!("time"));
        // Monday 2026-11-30, 08:59 Shanghai: not yet.
        assert_eq!(weekly_moment(0, nine, at("2026-11-30T00:59:00Z")), None);
        // 09:00 Shanghai that Monday: now.
        assert_eq!(
            weekly_moment(0, nine, at("2026-11-30T01:00:00Z")),
            Some(at("2026-11-30T01:00:00Z"))
        );
        // Sunday night (UTC still Sunday, Shanghai already... Sunday 23:00): last Monday's.
        assert_eq!(
            weekly_moment(0, nine, at("2026-12-06T15:00:00Z")),
            Some(at("2026-11-30T01:00:00Z"))
        );
        // Sunday 16:30 UTC is Monday 00:30 in Shanghai: the new week's has not come yet.
        assert_eq!(weekly_moment(0, nine, at("2026-12-06T16:30:00Z")), None);
        assert!(find("weekly_summary").recipients == vec![Recipient::CentralOffice]);
    }
}
