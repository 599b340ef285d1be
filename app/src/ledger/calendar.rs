//! Deadline arithmetic in Asia/Shanghai calendar days (UTC+8 all year: China keeps no
//! daylight saving time): today's date, days left, urgency, working days and the
//! reverse schedule of a plan's measures. Public holidays are not known here; weekends
//! are skipped.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// The form a calendar date travels in: `YYYY-MM-DD`.
pub const DATE_FORMAT: &str = "%Y-%m-%d";

pub fn shanghai() -> FixedOffset {
    match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => offset,
        None => unreachable!("8 hours east of UTC is a valid offset"),
    }
}

/// The calendar date in Shanghai at instant `now`.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&shanghai()).date_naive()
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), DATE_FORMAT).ok()
}

pub fn format_date(d: NaiveDate) -> String {
    d.format(DATE_FORMAT).to_string()
}

/// An instant (RFC 3339) as Shanghai wall-clock time, `YYYY-MM-DD HH:MM`; unreadable
/// input is returned as it is.
pub fn local_stamp(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&shanghai())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// Days from `today` until `deadline`: negative when overdue.
pub fn days_left(deadline: NaiveDate, today: NaiveDate) -> i64 {
    (deadline - today).num_days()
}

/// How urgent an open item is, for the countdown chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Urgency {
    /// 逾期 N 天 (red).
    Overdue { days: i64 },
    /// 7 days or fewer left (amber).
    Soon { days: i64 },
    /// More than 7 days left (green).
    Calm { days: i64 },
}

pub fn urgency(deadline: NaiveDate, today: NaiveDate) -> Urgency {
    let days = days_left(deadline, today);
    if days < 0 {
        Urgency::Overdue { days: -days }
    } else if days <= 7 {
        Urgency::Soon { days }
    } else {
        Urgency::Calm { days }
    }
}

pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The working day on or before `d`.
pub fn working_day_on_or_before(mut d: NaiveDate) -> NaiveDate {
    while !is_working_day(d) {
        d -= Duration::days(1);
    }
    d
}

/// `n` working days before `d` (`d` itself moved back to a working day first).
pub fn working_days_before(d: NaiveDate, n: u32) -> NaiveDate {
    let mut d = working_day_on_or_before(d);
    for _ in 0..n {
        d = working_day_on_or_before(d - Duration::days(1));
    }
    d
}

/// Working days after `from` up to and including `to` (0 when `to` is not later).
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut count = 0;
    let mut d = from;
    while d < to {
        d += Duration::days(1);
        if is_working_day(d) {
            count += 1;
        }
    }
    count
}

/// Reverse scheduling (倒排): proposed due dates for `measures` measures, the last on
/// the deadline (or the working day before it), each earlier one an equal share of the
/// working days left before it. Never before `today`; earlier measures come first.
pub fn reverse_schedule(deadline: NaiveDate, today: NaiveDate, measures: usize) -> Vec<NaiveDate> {
    if measures == 0 {
        return Vec::new();
    }
    let available = working_days_between(today, deadline);
    let step = (available / measures as u32).max(1);
    (0..measures)
        .map(|i| {
            let back = step * (measures - 1 - i) as u32;
            working_days_before(deadline, back).max(today)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap_or_else(|| panic!("bad date {s}"))
    }

    #[test]
    fn today_is_the_shanghai_date_even_late_in_the_utc_evening() {
        let late_utc = DateTime::parse_from_rfc3339("2026-11-27T17:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(today(late_utc), d("2026-11-28"));
    }

    #[test]
    fn stamps_are_shown_in_shanghai_time() {
        assert_eq!(local_stamp("2026-11-27T17:30:00Z"), "2026-11-28 01:30");
        assert_eq!(local_stamp("garbage"), "garbage");
    }

    #[test]
    fn urgency_bands_follow_the_chip_colours() {
        let today = d("2026-11-27");
        assert_eq!(
            urgency(d("2026-11-20"), today),
            Urgency::Overdue { days: 7 }
        );
        assert_eq!(urgency(d("2026-11-27"), today), Urgency::Soon { days: 0 });
        assert_eq!(urgency(d("2026-12-04"), today), Urgency::Soon { days: 7 });
        assert_eq!(urgency(d("2026-12-05"), today), Urgency::Calm { days: 8 });
    }

    #[test]
    fn weekends_are_skipped_when_counting_back() {
        // 2026-11-30 is a Monday.
        assert_eq!(working_days_before(d("2026-11-30"), 1), d("2026-11-27"));
        // A Sunday deadline moves back to Friday.
        assert_eq!(working_day_on_or_before(d("2026-11-29")), d("2026-11-27"));
        assert_eq!(working_days_between(d("2026-11-27"), d("2026-12-04")), 5);
    }

    #[test]
    fn reverse_schedule_ends_on_the_deadline_and_spreads_back() {
        // Friday 2026-11-27 to Thursday 2026-12-31: 24 working days, 3 measures => 8 apart.
        let plan = reverse_schedule(d("2026-12-31"), d("2026-11-27"), 3);
        assert_eq!(
            plan,
            vec![d("2026-12-09"), d("2026-12-21"), d("2026-12-31")]
        );
        assert!(plan.iter().all(|x| is_working_day(*x)));
        assert!(plan.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn reverse_schedule_never_proposes_the_past() {
        let plan = reverse_schedule(d("2026-11-30"), d("2026-11-27"), 4);
        assert_eq!(plan.len(), 4);
        assert!(plan.iter().all(|x| *x >= d("2026-11-27")));
        assert_eq!(plan.last(), Some(&d("2026-11-30")));
        assert!(reverse_schedule(d("2026-11-30"), d("2026-11-27"), 0).is_empty());
    }
}
