//! Server functions of the administrator's screens. Every one checks the role first.

use super::{NewUser, UserSummary};
use crate::AppError;
use crate::org::{District, Unit};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn admin() -> Result<crate::auth::SessionUser, AppError> {
    crate::auth::require_role(&[crate::auth::Role::Administrator])
}

#[server(endpoint = "admin_districts")]
pub async fn admin_districts() -> Result<Vec<District>, AppError> {
    admin()?;
    crate::org::service::list_districts(&crate::web::db()?).await
}

#[server(endpoint = "admin_units")]
pub async fn admin_units() -> Result<Vec<Unit>, AppError> {
    admin()?;
    crate::org::service::list_units(&crate::web::db()?, None).await
}

#[server(endpoint = "admin_users")]
pub async fn admin_users() -> Result<Vec<UserSummary>, AppError> {
    admin()?;
    super::service::list_users(&crate::web::db()?, chrono::Utc::now()).await
}

#[server(endpoint = "create_district")]
pub async fn create_district(code: String, name: String, name_en: String) -> Result<(), AppError> {
    use crate::web;
    let result = async {
        let user = admin()?;
        let id = crate::org::service::create_district(&web::db()?, &code, &name, &name_en).await?;
        tracing::info!(admin = %user.username, district = %id, "district created");
        Ok(())
    }
    .await;
    let keep = [("code", code), ("name", name), ("name_en", name_en)];
    web::finish_form(
        result,
        "/admin/districts",
        &[("saved", "1".into())],
        "/admin/districts",
        &keep,
    )
}

#[server(endpoint = "create_unit")]
pub async fn create_unit(district: String, name: String) -> Result<(), AppError> {
    use crate::web;
    let result = async {
        let user = admin()?;
        let id = crate::org::service::create_unit(&web::db()?, &district, &name).await?;
        tracing::info!(admin = %user.username, unit = %id, "unit created");
        Ok(())
    }
    .await;
    let keep = [("district", district), ("name", name)];
    web::finish_form(
        result,
        "/admin/units",
        &[("saved", "1".into())],
        "/admin/units",
        &keep,
    )
}

#[server(endpoint = "create_user")]
pub async fn create_user(user: NewUser) -> Result<(), AppError> {
    use crate::web;
    let result = async {
        let admin = admin()?;
        let id = super::service::create_user(&web::db()?, &user).await?;
        tracing::info!(admin = %admin.username, user = %id, "user created");
        Ok(())
    }
    .await;
    // Everything but the password goes back into the form.
    let keep = [
        ("username", user.username),
        ("display_name", user.display_name),
        ("phone", user.phone),
        ("role", user.role),
        ("district", user.district),
        ("unit", user.unit),
        ("partner", user.partner),
    ];
    web::finish_form(
        result,
        "/admin/users",
        &[("saved", "1".into())],
        "/admin/users",
        &keep,
    )
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(user: String, new_password: String) -> Result<(), AppError> {
    use crate::web;
    let result = async {
        let admin = admin()?;
        super::service::reset_password(&web::db()?, &user, &new_password).await?;
        tracing::info!(admin = %admin.username, user = %user, "password reset");
        Ok(())
    }
    .await;
    web::finish_form(
        result,
        "/admin/users",
        &[("reset", "1".into())],
        "/admin/users",
        &[],
    )
}

#[server(endpoint = "set_account_disabled")]
pub async fn set_account_disabled(user: String, disabled: bool) -> Result<(), AppError> {
    use crate::web;
    let result = async {
        let admin = admin()?;
        super::service::set_disabled(&web::db()?, &admin.id, &user, disabled).await?;
        tracing::info!(admin = %admin.username, user = %user, disabled, "account disabled or enabled");
        Ok(())
    }
    .await;
    let flag = if disabled { "disabled" } else { "enabled" };
    web::finish_form(
        result,
        "/admin/users",
        &[(flag, "1".into())],
        "/admin/users",
        &[],
    )
}
