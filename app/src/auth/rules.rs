//! Pure sign-in and account rules: lockout, idle timeout, what a valid username,
//! name or password is. No database, no clock of their own: `now` is passed in.

use crate::error::{AppError, Field, Problem};
use chrono::{DateTime, Duration, Utc};

/// Wrong passwords in a row that lock the account.
pub const MAX_FAILED_ATTEMPTS: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// A session unused this long is over.
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;
/// A session ends this long after its sign-in however busy it is: a token that leaks
/// (a shared computer, a copied cookie) stops working by the end of the working day.
pub const SESSION_LIFETIME_HOURS: i64 = 12;
/// A session's last-seen time is written at most this often (one write per minute, not per click).
pub const TOUCH_EVERY_SECONDS: i64 = 60;

pub const USERNAME_MAX: u32 = 32;
pub const USERNAME_MIN: u32 = 3;
pub const PASSWORD_MIN: u32 = 8;
pub const PASSWORD_MAX: u32 = 128;
pub const DISPLAY_NAME_MAX: u32 = 40;
pub const PHONE_MAX: u32 = 20;

/// Whole minutes (rounded up) the account stays locked, or `None` when it is not locked.
pub fn lock_minutes_left(locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<i64> {
    let until = locked_until?;
    if until <= now {
        return None;
    }
    let secs = (until - now).num_seconds();
    Some(((secs + 59) / 60).max(1))
}

/// What one more wrong password does: the new count, and the lock if it starts now.
#[derive(Debug, PartialEq, Eq)]
pub struct FailureOutcome {
    pub failed_attempts: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

pub fn register_failure(failed_attempts_before: i64, now: DateTime<Utc>) -> FailureOutcome {
    let failed = failed_attempts_before + 1;
    if failed >= MAX_FAILED_ATTEMPTS {
        // The counter starts again once the lock ends.
        FailureOutcome {
            failed_attempts: 0,
            locked_until: Some(now + Duration::minutes(LOCK_MINUTES)),
        }
    } else {
        FailureOutcome {
            failed_attempts: failed,
            locked_until: None,
        }
    }
}

/// What a guess at a password may do, given how many guesses (this one counted) one
/// address has made at one account name since its window began. Every guess counts
/// before the password is checked, so a burst of parallel guesses gets no more than a
/// slow one; a right password clears the count.
#[derive(Debug, PartialEq, Eq)]
pub enum Guess {
    /// Check the password; `last` when a wrong one now locks this address out.
    Check { last: bool },
    /// Refused unchecked until the window ends.
    Locked { minutes: i64 },
}

pub fn judge_guess(guesses: i64, since: DateTime<Utc>, now: DateTime<Utc>) -> Guess {
    let minutes =
        lock_minutes_left(Some(since + Duration::minutes(LOCK_MINUTES)), now).unwrap_or(1);
    match guesses {
        n if n > MAX_FAILED_ATTEMPTS => Guess::Locked { minutes },
        n => Guess::Check {
            last: n == MAX_FAILED_ATTEMPTS,
        },
    }
}

/// Guesses made before this moment no longer count at `now`.
pub fn guess_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::minutes(LOCK_MINUTES)
}

/// A session is live while it has been used within the idle timeout.
pub fn session_is_live(last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_seen < Duration::minutes(IDLE_TIMEOUT_MINUTES)
}

/// A session is within its lifetime while its sign-in was less than
/// [`SESSION_LIFETIME_HOURS`] ago.
pub fn session_within_lifetime(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - created_at < Duration::hours(SESSION_LIFETIME_HOURS)
}

pub fn should_touch(last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_seen >= Duration::seconds(TOUCH_EVERY_SECONDS)
}

/// How long a session this process has just checked is taken as it was, without asking
/// the database again. Sign-out, a password change and a reset made through this process
/// take effect at once; made through another instance of the server, within this long.
pub const RECHECK_SESSION_SECONDS: i64 = 2;

/// Whether a session checked at `checked` (its `last_seen` as it then stood) may be taken
/// as it was at `now`: checked within [`RECHECK_SESSION_SECONDS`] (not in the future),
/// still live, and not yet due to be touched (touching goes to the database).
pub fn may_reuse_session(
    last_seen: DateTime<Utc>,
    checked: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let since = now - checked;
    since >= Duration::zero()
        && since < Duration::seconds(RECHECK_SESSION_SECONDS)
        && session_is_live(last_seen, now)
        && !should_touch(last_seen, now)
}

fn char_len(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX)
}

/// Trimmed, non-empty text of at most `max` characters.
pub fn required_text(field: Field, value: &str, max: u32) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, Problem::Required));
    }
    if char_len(v) > max {
        return Err(AppError::invalid(field, Problem::TooLong { max }));
    }
    Ok(v.to_string())
}

/// Trimmed optional text: empty means none.
pub fn optional_text(field: Field, value: &str, max: u32) -> Result<Option<String>, AppError> {
    let v = value.trim();
    if v.is_empty() {
        Ok(None)
    } else {
        required_text(field, v, max).map(Some)
    }
}

/// A username as typed at sign-in: only presence and length are checked, so that a
/// mistyped name gets the same "wrong username or password" as a wrong password.
pub fn sign_in_username(value: &str) -> Result<String, AppError> {
    required_text(Field::Username, value, 64).map(|u| u.to_lowercase())
}

pub fn sign_in_password(value: &str) -> Result<String, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(Field::Password, Problem::Required));
    }
    if char_len(value) > PASSWORD_MAX {
        return Err(AppError::invalid(
            Field::Password,
            Problem::TooLong { max: PASSWORD_MAX },
        ));
    }
    Ok(value.to_string())
}

/// A new username: 3–32 of a–z, 0–9, `.`, `_`, `-`; stored lower-case.
pub fn new_username(value: &str) -> Result<String, AppError> {
    let v = required_text(Field::Username, value, USERNAME_MAX)?.to_lowercase();
    if !v
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AppError::invalid(Field::Username, Problem::Invalid));
    }
    if char_len(&v) < USERNAME_MIN {
        return Err(AppError::invalid(
            Field::Username,
            Problem::TooShort { min: USERNAME_MIN },
        ));
    }
    Ok(v)
}

/// A new password: at least 8 characters, with letters and digits.
pub fn new_password(field: Field, value: &str) -> Result<String, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, Problem::Required));
    }
    let len = char_len(value);
    if len < PASSWORD_MIN {
        return Err(AppError::invalid(
            field,
            Problem::TooShort { min: PASSWORD_MIN },
        ));
    }
    if len > PASSWORD_MAX {
        return Err(AppError::invalid(
            field,
            Problem::TooLong { max: PASSWORD_MAX },
        ));
    }
    let letters = value.chars().any(char::is_alphabetic);
    let digits = value.chars().any(|c| c.is_ascii_digit());
    if !(letters && digits) {
        return Err(AppError::invalid(field, Problem::Invalid));
    }
    Ok(value.to_string())
}

/// A mainland mobile or office number: digits, spaces, `-` and a leading `+`.
pub fn phone(value: &str) -> Result<Option<String>, AppError> {
    let Some(v) = optional_text(Field::Phone, value, PHONE_MAX)? else {
        return Ok(None);
    };
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || c == '-' || c == ' ' || (c == '+' && i == 0));
    if !allowed || digits < 5 {
        return Err(AppError::invalid(Field::Phone, Problem::Invalid));
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn the_fifth_wrong_password_locks_for_fifteen_minutes() {
        let mut failed = 0;
        for _ in 0..4 {
            let o = register_failure(failed, t0());
            assert_eq!(o.locked_until, None);
            failed = o.failed_attempts;
        }
        assert_eq!(failed, 4);
        let fifth = register_failure(failed, t0());
        assert_eq!(fifth.locked_until, Some(t0() + Duration::minutes(15)));
        // Guesses from one address: four checked, the fifth checked as the last, then
        // none checked until the window of the first has passed.
        for n in 1..MAX_FAILED_ATTEMPTS {
            assert_eq!(judge_guess(n, t0(), t0()), Guess::Check { last: false });
        }
        assert_eq!(judge_guess(5, t0(), t0()), Guess::Check { last: true });
        assert_eq!(
            judge_guess(6, t0(), t0() + Duration::minutes(1)),
            Guess::Locked { minutes: 14 }
        );
        assert_eq!(guess_window_start(t0() + Duration::minutes(15)), t0());
        assert_eq!(fifth.failed_attempts, 0);
    }

    #[test]
    fn lock_time_left_rounds_up_and_ends() {
        let until = Some(t0() + Duration::minutes(15));
        assert_eq!(lock_minutes_left(until, t0()), Some(15));
        assert_eq!(
            lock_minutes_left(until, t0() + Duration::seconds(61)),
            Some(14)
        );
        assert_eq!(
            lock_minutes_left(until, t0() + Duration::minutes(14) + Duration::seconds(59)),
            Some(1)
        );
        assert_eq!(lock_minutes_left(until, t0() + Duration::minutes(15)), None);
        assert_eq!(lock_minutes_left(None, t0()), None);
    }

    #[test]
    fn sessions_end_after_thirty_idle_minutes() {
        assert!(session_is_live(t0(), t0() + Duration::minutes(29)));
        assert!(!session_is_live(t0(), t0() + Duration::minutes(30)));
        assert!(session_within_lifetime(t0(), t0() + Duration::minutes(719)));
        assert!(!session_within_lifetime(t0(), t0() + Duration::hours(12)));
        assert!(!should_touch(t0(), t0() + Duration::seconds(30)));
        assert!(should_touch(t0(), t0() + Duration::seconds(60)));
    }

    #[test]
    fn a_session_checked_a_moment_ago_is_taken_as_it_was() {
        let seen = t0();
        let checked = t0() + Duration::seconds(10);
        let at = |ms: i64| checked + Duration::milliseconds(ms);
        assert!(may_reuse_session(seen, checked, at(0)));
        assert!(may_reuse_session(seen, checked, at(1_999)));
        // Asked again after the recheck interval, or with the clock set back.
        assert!(!may_reuse_session(seen, checked, at(2_000)));
        assert!(!may_reuse_session(seen, checked, at(-1)));
        // Due to be touched, or idle too long: the database decides.
        let late = t0() + Duration::seconds(59);
        assert!(may_reuse_session(
            seen,
            late,
            late + Duration::milliseconds(500)
        ));
        assert!(!may_reuse_session(seen, late, late + Duration::seconds(1)));
        let stale = t0() - Duration::minutes(IDLE_TIMEOUT_MINUTES);
        assert!(!may_reuse_session(stale, checked, at(1)));
    }

    #[test]
    fn usernames_are_checked_and_lower_cased() {
        assert_eq!(new_username("  Wang.Li "), Ok("wang.li".to_string()));
        assert_eq!(
            new_username(""),
            Err(AppError::invalid(Field::Username, Problem::Required))
        );
        assert_eq!(
            new_username("ab"),
            Err(AppError::invalid(
                Field::Username,
                Problem::TooShort { min: 3 }
            ))
        );
        assert_eq!(
            new_username(&"a".repeat(33)),
            Err(AppError::invalid(
                Field::Username,
                Problem::TooLong { max: 32 }
            ))
        );
        assert_eq!(
            new_username("王丽"),
            Err(AppError::invalid(Field::Username, Problem::Invalid))
        );
    }

    #[test]
    fn passwords_need_length_letters_and_digits() {
        assert!(new_password(Field::Password, "taizhou2026").is_ok());
        assert_eq!(
            new_password(Field::Password, "short1"),
            Err(AppError::invalid(
                Field::Password,
                Problem::TooShort { min: 8 }
            ))
        );
        assert_eq!(
            new_password(Field::Password, "onlyletters"),
            Err(AppError::invalid(Field::Password, Problem::Invalid))
        );
        assert_eq!(
            sign_in_password(""),
            Err(AppError::invalid(Field::Password, Problem::Required))
        );
    }

    #[test]
    fn text_fields_are_trimmed_and_bounded_in_characters_not_bytes() {
        assert_eq!(
            required_text(Field::Name, " 海陵区 ", 3),
            Ok("海陵区".to_string())
        );
        assert_eq!(
            required_text(Field::Name, "海陵区编办", 3),
            Err(AppError::invalid(Field::Name, Problem::TooLong { max: 3 }))
        );
        assert_eq!(optional_text(Field::Phone, "   ", 5), Ok(None));
    }

    #[test]
    fn phone_numbers_accept_the_usual_forms() {
        assert_eq!(
            phone("138 0523 1234"),
            Ok(Some("138 0523 1234".to_string()))
        );
        assert_eq!(phone("+86-523-86831234").map(|p| p.is_some()), Ok(true));
        assert_eq!(phone(""), Ok(None));
        assert_eq!(
            phone("call me"),
            Err(AppError::invalid(Field::Phone, Problem::Invalid))
        );
    }
}
