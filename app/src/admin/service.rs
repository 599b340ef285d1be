//! User accounts in the database. Server only.

use super::{NewUser, UserSummary};
use crate::AppError;
use crate::auth::rules;
use crate::auth::service::hash_password;
use crate::auth::{PartnerDept, Role, ScopeKind};
use crate::db::{Db, key_of, record};
use crate::error::{Field, Problem};
use crate::org::service::{district_exists, unit_exists};
use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct UserListRow {
    id: RecordId,
    username: String,
    display_name: String,
    role: String,
    phone: Option<String>,
    unit_name: Option<String>,
    district_name: Option<String>,
    scope_partner: Option<String>,
    locked_until: Option<DateTime<Utc>>,
    disabled: Option<bool>,
    /// The guesses of each address whose window is still open ([`rules::judge_guess`]).
    guesses: Vec<i64>,
}

/// The accounts, each shown locked while it is locked, or while some address has used
/// up its guesses at it.
pub async fn list_users(db: &Db, now: DateTime<Utc>) -> Result<Vec<UserSummary>, AppError> {
    let rows: Vec<UserListRow> = db
        .query(
            "SELECT id, username, display_name, role, phone, scope_partner, locked_until, disabled,
                scope_unit.name AS unit_name, scope_district.name AS district_name,
                (SELECT VALUE guesses FROM sign_in_guard
                    WHERE name = $parent.username AND since > $window) AS guesses
             FROM user ORDER BY username",
        )
        .bind(("window", rules::guess_window_start(now)))
        .await?
        .check()?
        .take(0)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let role = Role::parse(&r.role)?;
            Some(UserSummary {
                id: key_of(&r.id),
                username: r.username,
                display_name: r.display_name,
                role,
                scope_name: r.unit_name.or(r.district_name).or(r.scope_partner),
                phone: r.phone,
                locked: rules::lock_minutes_left(r.locked_until, now).is_some()
                    || r.guesses.iter().any(|&n| n >= rules::MAX_FAILED_ATTEMPTS),
                disabled: r.disabled == Some(true),
            })
        })
        .collect())
}

pub async fn username_taken(db: &Db, username: &str) -> Result<bool, AppError> {
    let found: Option<RecordId> = db
        .query("SELECT VALUE id FROM user WHERE username = $username LIMIT 1")
        .bind(("username", username.to_string()))
        .await?
        .check()?
        .take(0)?;
    Ok(found.is_some())
}

/// The administrator creates an account after checking every field; nothing is written
/// if any is wrong. The user must choose their own password at their first sign-in.
pub async fn create_user(db: &Db, input: &NewUser) -> Result<String, AppError> {
    create_account(db, input, true).await
}

/// Create an account; `must_change_password` is false only where the person who typed
/// the password is its user (the command line's first administrator) or the password is
/// public anyway (the demo's accounts).
pub async fn create_account(
    db: &Db,
    input: &NewUser,
    must_change_password: bool,
) -> Result<String, AppError> {
    let username = rules::new_username(&input.username)?;
    let display_name = rules::required_text(
        Field::DisplayName,
        &input.display_name,
        rules::DISPLAY_NAME_MAX,
    )?;
    let phone = rules::phone(&input.phone)?;
    let password = rules::new_password(Field::Password, &input.password)?;
    if input.role.trim().is_empty() {
        return Err(AppError::invalid(Field::Role, Problem::Required));
    }
    let role =
        Role::parse(input.role.trim()).ok_or(AppError::invalid(Field::Role, Problem::Invalid))?;
    let (mut district, mut unit, mut partner) = (None, None, None);
    match role.scope_kind() {
        ScopeKind::Everything => {}
        ScopeKind::District => {
            let d = input.district.trim();
            if d.is_empty() {
                return Err(AppError::invalid(Field::District, Problem::Required));
            }
            if !district_exists(db, d).await? {
                return Err(AppError::invalid(Field::District, Problem::Invalid));
            }
            district = Some(record("district", d));
        }
        ScopeKind::Unit => {
            let u = input.unit.trim();
            if u.is_empty() {
                return Err(AppError::invalid(Field::Unit, Problem::Required));
            }
            if !unit_exists(db, u).await? {
                return Err(AppError::invalid(Field::Unit, Problem::Invalid));
            }
            unit = Some(record("unit", u));
        }
        ScopeKind::Partner => {
            let p = input.partner.trim();
            if p.is_empty() {
                return Err(AppError::invalid(Field::Partner, Problem::Required));
            }
            partner = Some(
                PartnerDept::parse(p)
                    .ok_or(AppError::invalid(Field::Partner, Problem::Invalid))?
                    .as_str()
                    .to_string(),
            );
        }
    }
    if username_taken(db, &username).await? {
        return Err(AppError::invalid(Field::Username, Problem::Taken));
    }
    let hash = hash_password(password).await?;
    let id: Option<RecordId> = db
        .query(
            "CREATE ONLY user SET username = $username, display_name = $display_name, phone = $phone,
                password_hash = $hash, role = $role, scope_district = $district, scope_unit = $unit,
                scope_partner = $partner, locale = 'zh', failed_attempts = 0, created_at = time::now(),
                must_change_password = $must_change
             RETURN VALUE id",
        )
        .bind(("username", username))
        .bind(("display_name", display_name))
        .bind(("phone", phone))
        .bind(("hash", hash))
        .bind(("role", role.as_str()))
        .bind(("district", district))
        .bind(("unit", unit))
        .bind(("partner", partner))
        .bind(("must_change", must_change_password))
        .await?
        .check()
        .map_err(|e| {
            // The unique index catches a race between two administrators.
            if e.to_string().contains("user_username") {
                AppError::invalid(Field::Username, Problem::Taken)
            } else {
                AppError::from(e)
            }
        })?
        .take(0)?;
    id.map(|i| key_of(&i))
        .ok_or_else(|| AppError::internal("user not created"))
}

/// Set a new password, lift any lock and end the user's sessions. The user must choose
/// their own password at their next sign-in.
pub async fn reset_password(db: &Db, user_id: &str, new_password: &str) -> Result<(), AppError> {
    if user_id.trim().is_empty() {
        return Err(AppError::invalid(Field::User, Problem::Required));
    }
    let password = rules::new_password(Field::NewPassword, new_password)?;
    let id = record("user", user_id.trim());
    if !crate::db::exists(db, &id).await? {
        return Err(AppError::invalid(Field::User, Problem::Invalid));
    }
    let hash = hash_password(password).await?;
    db.query(
        "BEGIN TRANSACTION;
         UPDATE $id SET password_hash = $hash, failed_attempts = 0, locked_until = NONE,
             must_change_password = true;
         DELETE session WHERE user = $id;
         DELETE sign_in_guard WHERE name = $id.username;
         COMMIT TRANSACTION;",
    )
    .bind(("id", id))
    .bind(("hash", hash))
    .await?
    .check()?;
    crate::auth::service::forget_checked_sessions(db);
    Ok(())
}

/// Disable an account (its sessions end at once and it cannot sign in) or enable it
/// again. An administrator cannot disable their own account, so that one always remains.
pub async fn set_disabled(
    db: &Db,
    admin_id: &str,
    user_id: &str,
    disabled: bool,
) -> Result<(), AppError> {
    let user_id = user_id.trim();
    if user_id.is_empty() {
        return Err(AppError::invalid(Field::User, Problem::Required));
    }
    if disabled && user_id == admin_id {
        return Err(AppError::invalid(Field::User, Problem::Invalid));
    }
    let id = record("user", user_id);
    if !crate::db::exists(db, &id).await? {
        return Err(AppError::invalid(Field::User, Problem::Invalid));
    }
    db.query(
        "BEGIN TRANSACTION;
         UPDATE $id SET disabled = $disabled;
         IF $disabled { DELETE session WHERE user = $id };
         COMMIT TRANSACTION;",
    )
    .bind(("id", id))
    .bind(("disabled", disabled))
    .await?
    .check()?;
    crate::auth::service::forget_checked_sessions(db);
    Ok(())
}
