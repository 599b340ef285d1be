//! Sign-in, lockout, sessions and accounts against a fresh in-memory SurrealDB per test
//! (the real engine).
#![cfg(feature = "ssr")]

use app::AppError;
use app::admin::NewUser;
use app::admin::service::{create_account, create_user, list_users, reset_password, set_disabled};
use app::auth::service::{
    SessionState, change_password, resolve_session, set_locale, sign_in, sign_in_from, sign_out,
};
use app::auth::{Role, Scope};
use app::db::{Db, connect_in_memory};
use app::error::{Field, Problem};
use app::org::service::{create_district, create_unit};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

async fn db() -> Db {
    match connect_in_memory().await {
        Ok(db) => db,
        Err(e) => panic!("in-memory SurrealDB: {e}"),
    }
}

/// A district, a unit in it, and a unit head of that unit with `password`, which they
/// chose themselves.
async fn unit_head(db: &Db, username: &str, password: &str) -> (String, String) {
    let district = create_district(db, "HL", "海陵区", "Hailing")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let unit = create_unit(db, &district, "海陵区教育局")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    create_account(
        db,
        &NewUser {
            username: username.into(),
            display_name: "周志明".into(),
            password: password.into(),
            role: "unit_head".into(),
            unit: unit.clone(),
            ..Default::default()
        },
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    (district, unit)
}

#[tokio::test]
async fn a_unit_head_signs_in_with_the_scope_of_their_unit() {
    let db = db().await;
    let (district, unit) = unit_head(&db, "zhou", "taizhou2026").await;
    let signed = sign_in(&db, " Zhou ", "taizhou2026", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(signed.user.role, Role::UnitHead);
    assert_eq!(signed.locale, "zh");
    assert_eq!(
        signed.user.scope,
        Scope::Unit {
            id: unit,
            name: "海陵区教育局".into(),
            district_id: district,
            district_name: "海陵区".into(),
        }
    );
    let state = resolve_session(&db, &signed.token, t0() + Duration::minutes(5)).await;
    assert_eq!(state, Ok(SessionState::Live(signed.user.clone())));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_refusal() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    assert_eq!(
        sign_in(&db, "zhou", "wrong-one-1", t0()).await.err(),
        Some(AppError::BadCredentials)
    );
    assert_eq!(
        sign_in(&db, "nobody", "wrong-one-1", t0()).await.err(),
        Some(AppError::BadCredentials)
    );
}

#[tokio::test]
async fn empty_or_overlong_input_is_refused_before_any_lookup() {
    let db = db().await;
    assert_eq!(
        sign_in(&db, "  ", "x", t0()).await.err(),
        Some(AppError::invalid(Field::Username, Problem::Required))
    );
    assert_eq!(
        sign_in(&db, "zhou", "", t0()).await.err(),
        Some(AppError::invalid(Field::Password, Problem::Required))
    );
    assert_eq!(
        sign_in(&db, &"u".repeat(65), "x", t0()).await.err(),
        Some(AppError::invalid(
            Field::Username,
            Problem::TooLong { max: 64 }
        ))
    );
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_fifteen_minutes() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    for _ in 0..4 {
        assert_eq!(
            sign_in(&db, "zhou", "nope-nope-1", t0()).await.err(),
            Some(AppError::BadCredentials)
        );
    }
    assert_eq!(
        sign_in(&db, "zhou", "nope-nope-1", t0()).await.err(),
        Some(AppError::AccountLocked { minutes: 15 })
    );
    // The sixth try, even with the right password, is refused while locked.
    assert_eq!(
        sign_in(&db, "zhou", "taizhou2026", t0() + Duration::minutes(1))
            .await
            .err(),
        Some(AppError::AccountLocked { minutes: 14 })
    );
    let users = list_users(&db, t0() + Duration::minutes(1))
        .await
        .unwrap_or_default();
    assert!(users.iter().any(|u| u.username == "zhou" && u.locked));
    // After the lock, the right password works again.
    assert!(
        sign_in(&db, "zhou", "taizhou2026", t0() + Duration::minutes(15))
            .await
            .is_ok()
    );
}

/// Twenty guesses sent at once are counted before any password is checked: no more
/// than a slow attacker's five are ever checked.
#[tokio::test]
async fn a_burst_of_parallel_guesses_gets_five_at_most() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let db = db.clone();
        burst.spawn(async move {
            sign_in_from(&db, "zhou", "nope-nope-1", "198.51.100.7", t0())
                .await
                .err()
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = burst.join_next().await {
        answers.push(answer.unwrap_or_else(|e| panic!("{e}")));
    }
    let checked = answers
        .iter()
        .filter(|a| **a == Some(AppError::BadCredentials))
        .count();
    assert_eq!(checked, 4, "{answers:?}");
    assert!(
        answers.iter().all(|a| matches!(
            a,
            Some(AppError::BadCredentials | AppError::AccountLocked { .. })
        )),
        "{answers:?}"
    );
    // The right password from that address waits too.
    assert!(matches!(
        sign_in_from(&db, "zhou", "taizhou2026", "198.51.100.7", t0())
            .await
            .err(),
        Some(AppError::AccountLocked { .. })
    ));
}

/// A name that is no account is answered as one that is, up to the lock: the lock does
/// not tell that the account exists.
#[tokio::test]
async fn an_unknown_name_locks_like_a_known_one() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    for name in ["zhou", "nobody"] {
        let answers: Vec<Option<AppError>> = {
            let mut v = Vec::new();
            for _ in 0..6 {
                v.push(
                    sign_in_from(&db, name, "nope-nope-1", "198.51.100.7", t0())
                        .await
                        .err(),
                );
            }
            v
        };
        let mut expected = vec![Some(AppError::BadCredentials); 4];
        expected.push(Some(AppError::AccountLocked { minutes: 15 }));
        expected.push(Some(AppError::AccountLocked { minutes: 15 }));
        assert_eq!(answers, expected, "{name}");
    }
}

/// Someone who locks an account out from their address does not lock its owner out.
#[tokio::test]
async fn a_lock_out_from_one_address_leaves_the_owner_signing_in_from_another() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    for _ in 0..10 {
        let _ = sign_in_from(&db, "zhou", "nope-nope-1", "198.51.100.7", t0()).await;
    }
    assert!(
        sign_in_from(
            &db,
            "zhou",
            "taizhou2026",
            "203.0.113.9",
            t0() + Duration::minutes(1)
        )
        .await
        .is_ok()
    );
    assert!(matches!(
        sign_in_from(
            &db,
            "zhou",
            "taizhou2026",
            "198.51.100.7",
            t0() + Duration::minutes(1)
        )
        .await
        .err(),
        Some(AppError::AccountLocked { minutes: 14 })
    ));
    // The administrator sees the account under attack, and a reset clears it.
    let users = list_users(&db, t0() + Duration::minutes(1))
        .await
        .unwrap_or_default();
    let zhou = users
        .iter()
        .find(|u| u.username == "zhou" && u.locked)
        .unwrap_or_else(|| panic!("{users:?}"));
    reset_password(&db, &zhou.id, "Fresh-pass-2026")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let users = list_users(&db, t0() + Duration::minutes(1))
        .await
        .unwrap_or_default();
    assert!(users.iter().any(|u| u.username == "zhou" && !u.locked));
}

#[tokio::test]
async fn an_idle_session_ends_after_thirty_minutes() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    let signed = sign_in(&db, "zhou", "taizhou2026", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Used at minute 20: the idle clock starts again.
    assert!(matches!(
        resolve_session(&db, &signed.token, t0() + Duration::minutes(20)).await,
        Ok(SessionState::Live(_))
    ));
    assert!(matches!(
        resolve_session(&db, &signed.token, t0() + Duration::minutes(49)).await,
        Ok(SessionState::Live(_))
    ));
    assert_eq!(
        resolve_session(&db, &signed.token, t0() + Duration::minutes(80)).await,
        Ok(SessionState::Expired)
    );
    // Gone for good.
    assert_eq!(
        resolve_session(&db, &signed.token, t0() + Duration::minutes(81)).await,
        Ok(SessionState::Absent)
    );
}

/// A session used all day long still ends twelve hours after its sign-in.
#[tokio::test]
async fn a_busy_session_ends_twelve_hours_after_sign_in() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    let signed = sign_in(&db, "zhou", "taizhou2026", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut now = t0();
    while now < t0() + Duration::hours(12) - Duration::minutes(20) {
        now += Duration::minutes(20);
        assert!(
            matches!(
                resolve_session(&db, &signed.token, now).await,
                Ok(SessionState::Live(_))
            ),
            "at {now}"
        );
    }
    assert_eq!(
        resolve_session(&db, &signed.token, t0() + Duration::hours(12)).await,
        Ok(SessionState::Expired)
    );
}

#[tokio::test]
async fn sign_out_ends_the_session_and_unknown_tokens_are_absent() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    let signed = sign_in(&db, "zhou", "taizhou2026", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Resolved a moment before (and so remembered by this process): signing out still
    // ends it at once.
    assert!(matches!(
        resolve_session(&db, &signed.token, t0()).await,
        Ok(SessionState::Live(_))
    ));
    assert_eq!(sign_out(&db, &signed.token).await, Ok(()));
    assert_eq!(
        resolve_session(&db, &signed.token, t0()).await,
        Ok(SessionState::Absent)
    );
    assert_eq!(
        resolve_session(&db, "forged", t0()).await,
        Ok(SessionState::Absent)
    );
}

#[tokio::test]
async fn the_chosen_language_is_remembered_on_the_user() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    let first = sign_in(&db, "zhou", "taizhou2026", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set_locale(&db, &first.user.id, "en").await, Ok(()));
    assert_eq!(
        set_locale(&db, &first.user.id, "fr").await,
        Err(AppError::BadRequest)
    );
    let again = sign_in(&db, "zhou", "taizhou2026", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.locale, "en");
}

#[tokio::test]
async fn a_password_reset_unlocks_and_signs_out_everywhere() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    let signed = sign_in(&db, "zhou", "taizhou2026", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        resolve_session(&db, &signed.token, t0()).await,
        Ok(SessionState::Live(_))
    ));
    for _ in 0..5 {
        let _ = sign_in(&db, "zhou", "nope-nope-1", t0()).await;
    }
    assert_eq!(
        reset_password(&db, &signed.user.id, "short").await,
        Err(AppError::invalid(
            Field::NewPassword,
            Problem::TooShort { min: 8 }
        ))
    );
    assert_eq!(
        reset_password(&db, &signed.user.id, "new-password-9").await,
        Ok(())
    );
    assert_eq!(
        resolve_session(&db, &signed.token, t0()).await,
        Ok(SessionState::Absent)
    );
    let again = sign_in(&db, "zhou", "new-password-9", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The administrator knows this password: the user must choose their own.
    assert!(again.must_change_password);
    assert!(matches!(
        resolve_session(&db, &again.token, t0()).await,
        Ok(SessionState::MustChangePassword(_))
    ));
    assert_eq!(
        sign_in(&db, "zhou", "taizhou2026", t0()).await.err(),
        Some(AppError::BadCredentials)
    );
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_everywhere_and_cannot_sign_in_until_enabled() {
    let db = db().await;
    unit_head(&db, "zhou", "taizhou2026").await;
    let admin = create_account(
        &db,
        &NewUser {
            username: "admin".into(),
            display_name: "管理员".into(),
            password: "admin-pass-2026".into(),
            role: "administrator".into(),
            ..Default::default()
        },
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let signed = sign_in(&db, "zhou", "taizhou2026", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let zhou = signed.user.id.clone();
    assert_eq!(set_disabled(&db, &admin, &zhou, true).await, Ok(()));
    assert_eq!(
        resolve_session(&db, &signed.token, t0()).await,
        Ok(SessionState::Absent)
    );
    // Only the right password learns that the account is disabled.
    assert_eq!(
        sign_in(&db, "zhou", "taizhou2026", t0()).await.err(),
        Some(AppError::AccountDisabled)
    );
    assert_eq!(
        sign_in(&db, "zhou", "wrong-password", t0()).await.err(),
        Some(AppError::BadCredentials)
    );
    let listed = list_users(&db, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        listed
            .iter()
            .map(|u| (u.username.as_str(), u.disabled))
            .collect::<Vec<_>>(),
        vec![("admin", false), ("zhou", true)]
    );
    // The administrator keeps their own account; a name that is no account is refused.
    assert_eq!(
        set_disabled(&db, &admin, &admin, true).await,
        Err(AppError::invalid(Field::User, Problem::Invalid))
    );
    assert_eq!(
        set_disabled(&db, &admin, "nobody", true).await,
        Err(AppError::invalid(Field::User, Problem::Invalid))
    );
    assert_eq!(set_disabled(&db, &admin, &zhou, false).await, Ok(()));
    let again = sign_in(&db, "zhou", "taizhou2026", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        resolve_session(&db, &again.token, t0()).await,
        Ok(SessionState::Live(_))
    ));
}

#[tokio::test]
async fn an_account_the_administrator_made_must_choose_its_own_password_first() {
    let db = db().await;
    let district = create_district(&db, "HL", "海陵区", "Hailing")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let unit = create_unit(&db, &district, "海陵区教育局")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = create_user(
        &db,
        &NewUser {
            username: "liming".into(),
            display_name: "李明".into(),
            password: "Given-by-admin-1".into(),
            role: "unit_head".into(),
            unit,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let phone = sign_in(&db, "liming", "Given-by-admin-1", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let laptop = sign_in(&db, "liming", "Given-by-admin-1", t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(phone.must_change_password);
    assert_eq!(
        resolve_session(&db, &phone.token, t0()).await,
        Ok(SessionState::MustChangePassword(phone.user.clone()))
    );
    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        let (db, id, token) = (db.clone(), id.clone(), phone.token.clone());
        async move { change_password(&db, &id, Some(&token), current, new, confirm).await }
    };
    // Each wrong input is named, and nothing changes.
    assert_eq!(
        change("", "Mine-own-pass-2", "Mine-own-pass-2").await,
        Err(AppError::invalid(Field::CurrentPassword, Problem::Required))
    );
    assert_eq!(
        change("Wrong-pass-1", "Mine-own-pass-2", "Mine-own-pass-2").await,
        Err(AppError::invalid(Field::CurrentPassword, Problem::Wrong))
    );
    assert_eq!(
        change("Given-by-admin-1", "short1", "short1").await,
        Err(AppError::invalid(
            Field::NewPassword,
            Problem::TooShort { min: 8 }
        ))
    );
    assert_eq!(
        change("Given-by-admin-1", "onlyletters", "onlyletters").await,
        Err(AppError::invalid(Field::NewPassword, Problem::Invalid))
    );
    assert_eq!(
        change("Given-by-admin-1", "Mine-own-pass-2", "Mine-own-pass-3").await,
        Err(AppError::invalid(Field::ConfirmPassword, Problem::Mismatch))
    );
    assert_eq!(
        change("Given-by-admin-1", "Given-by-admin-1", "Given-by-admin-1").await,
        Err(AppError::invalid(Field::NewPassword, Problem::Taken))
    );
    assert!(matches!(
        resolve_session(&db, &laptop.token, t0()).await,
        Ok(SessionState::MustChangePassword(_))
    ));
    assert_eq!(
        change("Given-by-admin-1", "Mine-own-pass-2", "Mine-own-pass-2").await,
        Ok(())
    );
    // This phone goes on, now free; the other device must sign in again.
    assert_eq!(
        resolve_session(&db, &phone.token, t0()).await,
        Ok(SessionState::Live(phone.user.clone()))
    );
    assert_eq!(
        resolve_session(&db, &laptop.token, t0()).await,
        Ok(SessionState::Absent)
    );
    assert!(
        sign_in(&db, "liming", "Mine-own-pass-2", t0())
            .await
            .is_ok()
    );
    assert_eq!(
        sign_in(&db, "liming", "Given-by-admin-1", t0()).await.err(),
        Some(AppError::BadCredentials)
    );
    // (A right password at sign-in starts the count of wrong ones again.)
    assert!(
        sign_in(&db, "liming", "Mine-own-pass-2", t0())
            .await
            .is_ok()
    );
    // Guessing the current password through the form locks the account as sign-in does.
    for _ in 0..4 {
        assert_eq!(
            change_password(
                &db,
                &id,
                None,
                "Guess-pass-1",
                "Other-pass-3",
                "Other-pass-3"
            )
            .await,
            Err(AppError::invalid(Field::CurrentPassword, Problem::Wrong))
        );
    }
    assert!(matches!(
        change_password(
            &db,
            &id,
            None,
            "Guess-pass-1",
            "Other-pass-3",
            "Other-pass-3"
        )
        .await,
        Err(AppError::AccountLocked { .. })
    ));
    assert!(matches!(
        change_password(
            &db,
            &id,
            None,
            "Mine-own-pass-2",
            "Other-pass-3",
            "Other-pass-3"
        )
        .await,
        Err(AppError::AccountLocked { .. })
    ));
}
