//! Sign-in, sessions and passwords against the database. Server only.

use super::{PartnerDept, Role, Scope, SessionUser, rules};
use crate::AppError;
use crate::db::{Db, key_of};
use chrono::{DateTime, Utc};
use std::sync::OnceLock;
use surrealdb::types::{RecordId, SurrealValue};

/// The session cookie (HttpOnly): a random token whose sha256 is stored in `session`.
pub const SESSION_COOKIE: &str = "rectify_session";
/// The language cookie (Path=/); kept equal to the user's saved choice. The server turns it
/// into the Accept-Language that leptos_i18n renders with (see the session middleware).
pub const LOCALE_COOKIE: &str = "rectify_locale";
pub const LOCALES: [&str; 2] = ["zh", "en"];

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Credentials {
    id: RecordId,
    password_hash: String,
    locked_until: Option<DateTime<Utc>>,
    locale: String,
    must_change_password: bool,
    disabled: Option<bool>,
}

/// A successful sign-in: the token for the cookie, who it is, and their language.
pub struct SignedIn {
    pub token: String,
    pub user: SessionUser,
    pub locale: String,
    /// An administrator created or reset the account: the user must choose a password.
    pub must_change_password: bool,
}

pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let parsed = PasswordHash::new(&hash).map_err(AppError::internal)?;
        Ok(argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(AppError::internal)?
}

/// A hash to verify against when the username is unknown, so that an unknown user
/// takes as long to refuse as a wrong password.
async fn dummy_hash() -> Result<String, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h.clone());
    }
    let h = hash_password(random_token()).await?;
    Ok(DUMMY.get_or_init(|| h).clone())
}

fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Sign in from this machine's own tools (the command line, the benchmark, tests): they
/// share one address. Requests from the network go through [`sign_in_from`].
pub async fn sign_in(
    db: &Db,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<SignedIn, AppError> {
    sign_in_from(db, username, password, "", now).await
}

/// Sign in with a name and password from `address` (the caller as the server sees it).
/// An unknown name is answered as a known one, the lock included: after five guesses
/// one address must wait a quarter of an hour for that name, while the owner signing in
/// from elsewhere is not held up ([`rules::judge_guess`]).
pub async fn sign_in_from(
    db: &Db,
    username: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<SignedIn, AppError> {
    let username = rules::sign_in_username(username)?;
    let password = rules::sign_in_password(password)?;
    let guard = count_guess(db, &username, address, now).await?;
    let last = match rules::judge_guess(guard.guesses, guard.since, now) {
        rules::Guess::Locked { minutes } => return Err(AppError::AccountLocked { minutes }),
        rules::Guess::Check { last } => last,
    };
    let refused = || match last {
        true => AppError::AccountLocked {
            minutes: rules::lock_minutes_left(
                Some(guard.since + chrono::Duration::minutes(rules::LOCK_MINUTES)),
                now,
            )
            .unwrap_or(1),
        },
        false => AppError::BadCredentials,
    };
    let found: Option<Credentials> = db
        .query("SELECT id, password_hash, locked_until, locale, must_change_password, disabled FROM user WHERE username = $username LIMIT 1")
        .bind(("username", username))
        .await?
        .check()?
        .take(0)?;
    let Some(cred) = found else {
        let _ = verify_password(password, dummy_hash().await?).await;
        return Err(refused());
    };
    // Locked by wrong current passwords typed in a session (change_password).
    if let Some(minutes) = rules::lock_minutes_left(cred.locked_until, now) {
        return Err(AppError::AccountLocked { minutes });
    }
    if !verify_password(password, cred.password_hash).await? {
        return Err(refused());
    }
    // Said only to whoever knows the password, so it tells a stranger nothing.
    if cred.disabled == Some(true) {
        return Err(AppError::AccountDisabled);
    }
    db.query("UPDATE $id SET failed_attempts = 0, locked_until = NONE; DELETE $guard;")
        .bind(("id", cred.id.clone()))
        .bind(("guard", guard.id.clone()))
        .await?
        .check()?;
    let token = random_token();
    db.query(
        "CREATE session SET token_hash = $hash, user = $user, created_at = $now, last_seen = $now",
    )
    .bind(("hash", token_hash(&token)))
    .bind(("user", cred.id.clone()))
    .bind(("now", now))
    .await?
    .check()?;
    let user = load_session_user(db, &cred.id)
        .await?
        .ok_or_else(|| AppError::internal("user vanished during sign-in"))?;
    Ok(SignedIn {
        token,
        user,
        locale: cred.locale,
        must_change_password: cred.must_change_password,
    })
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct GuardRow {
    id: RecordId,
    guesses: i64,
    since: DateTime<Utc>,
}

/// Count one guess at `name` from `address`, in one statement: parallel guesses each
/// count (a write conflict is done again), and a window that has ended starts anew.
async fn count_guess(
    db: &Db,
    name: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<GuardRow, AppError> {
    let key = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(format!("{name}\n{address}").as_bytes()))
    };
    let mut last_error = None;
    for _ in 0..8 {
        let answer = db
            .query(
                "UPSERT type::record('sign_in_guard', $key) SET
                    guesses = IF since = NONE OR since <= $window { 1 } ELSE { guesses + 1 },
                    since = IF since = NONE OR since <= $window { $now } ELSE { since },
                    name = $name, address = $address
                 RETURN id, guesses, since",
            )
            .bind(("key", key.clone()))
            .bind(("window", rules::guess_window_start(now)))
            .bind(("now", now))
            .bind(("name", name.to_string()))
            .bind(("address", address.to_string()))
            .await
            .and_then(|r| r.check());
        match answer {
            Ok(mut r) => {
                let row: Option<GuardRow> = r.take(0)?;
                return row.ok_or_else(|| AppError::internal("sign-in guard not written"));
            }
            Err(e) if crate::db::is_write_conflict(&e.to_string()) => last_error = Some(e),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last_error.map_or_else(|| AppError::internal("sign-in guard"), AppError::from))
}

/// Count a wrong password (atomically, so parallel tries all count) and lock the
/// account on the fifth. Returns the error to show.
async fn record_failure(db: &Db, id: &RecordId, now: DateTime<Utc>) -> Result<AppError, AppError> {
    let counts: Vec<i64> = db
        .query("UPDATE $id SET failed_attempts += 1 RETURN VALUE failed_attempts")
        .bind(("id", id.clone()))
        .await?
        .check()?
        .take(0)?;
    let before = counts.first().copied().unwrap_or(1) - 1;
    let outcome = rules::register_failure(before, now);
    match outcome.locked_until {
        Some(until) => {
            db.query("UPDATE $id SET failed_attempts = $failed, locked_until = $until")
                .bind(("id", id.clone()))
                .bind(("failed", outcome.failed_attempts))
                .bind(("until", until))
                .await?
                .check()?;
            Ok(AppError::AccountLocked {
                minutes: rules::LOCK_MINUTES,
            })
        }
        None => Ok(AppError::BadCredentials),
    }
}

/// What a session cookie turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionState {
    /// No cookie, or a token we do not know.
    Absent,
    /// Known, but idle for longer than the timeout: it has been deleted.
    Expired,
    Live(SessionUser),
    /// Signed in, but an administrator set the password: until the user chooses their
    /// own, only the password page, the language and sign-out are open to them.
    MustChangePassword(SessionUser),
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct SessionRow {
    id: RecordId,
    user: RecordId,
    created_at: DateTime<Utc>,
    last_seen: DateTime<Utc>,
}

/// Sessions this process checked in the database a moment ago, by token hash: every
/// page and server function resolves the caller's session, and the same few are asked
/// for again and again. Taken as they were for [`rules::RECHECK_SESSION_SECONDS`] at most
/// ([`rules::may_reuse_session`]); sign-out, password changes and resets forget them.
#[derive(Default)]
struct CheckedSessions(std::sync::Mutex<std::collections::HashMap<String, Checked>>);

struct Checked {
    state: SessionState,
    last_seen: DateTime<Utc>,
    at: DateTime<Utc>,
}

impl CheckedSessions {
    const MEMO: &'static str = "auth.sessions";
    /// Past this many, sessions not checked lately are dropped when one is added.
    const SWEEP_ABOVE: usize = 10_000;

    fn of(db: &Db) -> std::sync::Arc<Self> {
        db.kept::<Self>(Self::MEMO)
    }

    fn map(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Checked>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reuse(&self, hash: &str, now: DateTime<Utc>) -> Option<SessionState> {
        self.map()
            .get(hash)
            .filter(|c| rules::may_reuse_session(c.last_seen, c.at, now))
            .map(|c| c.state.clone())
    }

    fn keep(&self, hash: String, checked: Checked) {
        let mut map = self.map();
        if map.len() >= Self::SWEEP_ABOVE {
            map.retain(|_, c| rules::may_reuse_session(c.last_seen, c.at, checked.at));
        }
        map.insert(hash, checked);
    }
}

/// Forget every session this process checked lately, after sign-outs, password changes
/// and resets, so that they take effect here at once.
pub(crate) fn forget_checked_sessions(db: &Db) {
    CheckedSessions::of(db).map().clear();
}

pub async fn resolve_session(
    db: &Db,
    token: &str,
    now: DateTime<Utc>,
) -> Result<SessionState, AppError> {
    let hash = token_hash(token);
    let checked = CheckedSessions::of(db);
    if let Some(state) = checked.reuse(&hash, now) {
        return Ok(state);
    }
    let row: Option<SessionRow> = db
        .query(
            "SELECT id, user, created_at, last_seen FROM session WHERE token_hash = $hash LIMIT 1",
        )
        .bind(("hash", hash.clone()))
        .await?
        .check()?
        .take(0)?;
    let Some(row) = row else {
        return Ok(SessionState::Absent);
    };
    // A session reused from [`CheckedSessions`] may outlive its lifetime by the two
    // seconds of a recheck at most.
    if !rules::session_is_live(row.last_seen, now)
        || !rules::session_within_lifetime(row.created_at, now)
    {
        db.query("DELETE $id").bind(("id", row.id)).await?.check()?;
        return Ok(SessionState::Expired);
    }
    let mut last_seen = row.last_seen;
    if rules::should_touch(row.last_seen, now) {
        // Best effort: when several requests of one session touch it at once, one may
        // lose the write to another (which did the same); that must not sign anyone out.
        let touched = db
            .query("UPDATE $id SET last_seen = $now")
            .bind(("id", row.id))
            .bind(("now", now))
            .await
            .and_then(|r| r.check());
        match touched {
            Ok(_) => last_seen = now,
            Err(e) => tracing::debug!(error = %e, "session touch skipped"),
        }
    }
    let state = match load_user_and_flag(db, &row.user).await? {
        Some((user, true)) => SessionState::MustChangePassword(user),
        Some((user, false)) => SessionState::Live(user),
        None => return Ok(SessionState::Absent),
    };
    checked.keep(
        hash,
        Checked {
            state: state.clone(),
            last_seen,
            at: now,
        },
    );
    Ok(state)
}

pub async fn sign_out(db: &Db, token: &str) -> Result<(), AppError> {
    let hash = token_hash(token);
    db.query("DELETE session WHERE token_hash = $hash")
        .bind(("hash", hash.clone()))
        .await?
        .check()?;
    CheckedSessions::of(db).map().remove(&hash);
    Ok(())
}

pub async fn set_locale(db: &Db, user_id: &str, locale: &str) -> Result<(), AppError> {
    if !LOCALES.contains(&locale) {
        return Err(AppError::BadRequest);
    }
    db.query("UPDATE $id SET locale = $locale")
        .bind(("id", crate::db::record("user", user_id)))
        .bind(("locale", locale.to_string()))
        .await?
        .check()?;
    Ok(())
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct UserRow {
    id: RecordId,
    username: String,
    display_name: String,
    role: String,
    scope_partner: Option<String>,
    scope_unit: Option<RecordId>,
    unit_name: Option<String>,
    unit_district: Option<RecordId>,
    unit_district_name: Option<String>,
    scope_district: Option<RecordId>,
    district_name: Option<String>,
    must_change_password: bool,
    disabled: Option<bool>,
}

/// The user with the names of their scope, as pages and server functions see them.
pub async fn load_session_user(db: &Db, id: &RecordId) -> Result<Option<SessionUser>, AppError> {
    Ok(load_user_and_flag(db, id).await?.map(|(user, _)| user))
}

/// The user, and whether they must change their password first.
async fn load_user_and_flag(
    db: &Db,
    id: &RecordId,
) -> Result<Option<(SessionUser, bool)>, AppError> {
    let row: Option<UserRow> = db
        .query(
            "SELECT id, username, display_name, role, scope_partner,
                scope_unit, scope_unit.name AS unit_name,
                scope_unit.district AS unit_district, scope_unit.district.name AS unit_district_name,
                scope_district, scope_district.name AS district_name, must_change_password,
                disabled
             FROM ONLY $id",
        )
        .bind(("id", id.clone()))
        .await?
        .check()?
        .take(0)?;
    // A disabled account has no session, whatever a cookie says.
    let Some(row) = row.filter(|r| r.disabled != Some(true)) else {
        return Ok(None);
    };
    let role = Role::parse(&row.role)
        .ok_or_else(|| AppError::internal(format!("unknown role {}", row.role)))?;
    let scope = match role.scope_kind() {
        super::ScopeKind::Everything => Scope::Everything,
        super::ScopeKind::District => match (&row.scope_district, row.district_name) {
            (Some(d), Some(name)) => Scope::District {
                id: key_of(d),
                name,
            },
            _ => {
                return Err(AppError::internal(format!(
                    "district user {} has no district",
                    row.username
                )));
            }
        },
        super::ScopeKind::Unit => match (
            &row.scope_unit,
            row.unit_name,
            &row.unit_district,
            row.unit_district_name,
        ) {
            (Some(u), Some(name), Some(d), Some(district_name)) => Scope::Unit {
                id: key_of(u),
                name,
                district_id: key_of(d),
                district_name,
            },
            _ => {
                return Err(AppError::internal(format!(
                    "unit user {} has no unit",
                    row.username
                )));
            }
        },
        super::ScopeKind::Partner => {
            match row.scope_partner.as_deref().and_then(PartnerDept::parse) {
                Some(p) => Scope::Partner(p),
                None => {
                    return Err(AppError::internal(format!(
                        "partner user {} has no department",
                        row.username
                    )));
                }
            }
        }
    };
    Ok(Some((
        SessionUser {
            id: key_of(&row.id),
            username: row.username,
            display_name: row.display_name,
            role,
            scope,
        },
        row.must_change_password,
    )))
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Lock {
    password_hash: String,
    locked_until: Option<DateTime<Utc>>,
}

/// The user changes their own password: the current one must be right, the new one must
/// follow the policy, be typed the same twice and differ from the current one. Clears
/// "must change" and ends the user's other sessions (a password someone else knew stops
/// working everywhere). Nothing is written when anything is wrong, but a wrong current
/// password, which counts towards the lock.
pub async fn change_password(
    db: &Db,
    user_id: &str,
    keep_token: Option<&str>,
    current: &str,
    new_password: &str,
    confirm: &str,
) -> Result<(), AppError> {
    use crate::error::{Field, Problem};
    if current.is_empty() {
        return Err(AppError::invalid(Field::CurrentPassword, Problem::Required));
    }
    let password = rules::new_password(Field::NewPassword, new_password)?;
    if confirm != new_password {
        return Err(AppError::invalid(Field::ConfirmPassword, Problem::Mismatch));
    }
    let id = crate::db::record("user", user_id);
    let found: Option<Lock> = db
        .query("SELECT password_hash, locked_until FROM ONLY $id")
        .bind(("id", id.clone()))
        .await?
        .check()?
        .take(0)?;
    let Some(found) = found else {
        return Err(AppError::NotFound);
    };
    let now = chrono::Utc::now();
    if let Some(minutes) = rules::lock_minutes_left(found.locked_until, now) {
        return Err(AppError::AccountLocked { minutes });
    }
    if !verify_password(current.to_string(), found.password_hash).await? {
        // A wrong current password counts like a wrong password at sign-in, so a stolen
        // session cannot be used to guess it: the fifth in a row locks the account.
        return Err(match record_failure(db, &id, now).await? {
            locked @ AppError::AccountLocked { .. } => locked,
            _ => AppError::invalid(Field::CurrentPassword, Problem::Wrong),
        });
    }
    if password == current {
        return Err(AppError::invalid(Field::NewPassword, Problem::Taken));
    }
    let new_hash = hash_password(password).await?;
    db.query(
        "BEGIN TRANSACTION;
         UPDATE $id SET password_hash = $hash, must_change_password = false;
         DELETE session WHERE user = $id AND token_hash != $keep;
         COMMIT TRANSACTION;",
    )
    .bind(("id", id))
    .bind(("hash", new_hash))
    .bind(("keep", keep_token.map(token_hash).unwrap_or_default()))
    .await?
    .check()?;
    forget_checked_sessions(db);
    Ok(())
}
