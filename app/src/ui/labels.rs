//! Translated names of domain values (roles, departments, fields) and the message for
//! each application error. One place, so every page says the same thing.

use crate::auth::{PartnerDept, Role, Scope};
use crate::error::{AppError, Field, Problem};
use crate::i18n::*;

pub fn role_label(locale: Locale, role: Role) -> String {
    match role {
        Role::CentralOffice => td_string!(locale, roles.central_office),
        Role::BusinessDivision => td_string!(locale, roles.business_division),
        Role::DistrictOffice => td_string!(locale, roles.district_office),
        Role::UnitHead => td_string!(locale, roles.unit_head),
        Role::UnitHandler => td_string!(locale, roles.unit_handler),
        Role::Partner => td_string!(locale, roles.partner),
        Role::Administrator => td_string!(locale, roles.administrator),
    }
    .to_string()
}

pub fn partner_label(locale: Locale, p: PartnerDept) -> String {
    match p {
        PartnerDept::Inspection => td_string!(locale, partners.inspection),
        PartnerDept::Organisation => td_string!(locale, partners.organisation),
        PartnerDept::HumanResources => td_string!(locale, partners.human_resources),
    }
    .to_string()
}

pub fn scope_label(locale: Locale, scope: &Scope) -> String {
    match scope {
        Scope::Everything => td_string!(locale, home.scope_all).to_string(),
        Scope::District { name, .. } => {
            td_string!(locale, home.scope_district, district = name.clone()).to_string()
        }
        Scope::Unit {
            name,
            district_name,
            ..
        } => td_string!(
            locale,
            home.scope_unit,
            unit = name.clone(),
            district = district_name.clone()
        )
        .to_string(),
        Scope::Partner(p) => partner_label(locale, *p),
    }
}

pub fn field_label(locale: Locale, field: Field) -> String {
    match field {
        Field::Username => td_string!(locale, fields.username),
        Field::Password => td_string!(locale, fields.password),
        Field::DisplayName => td_string!(locale, fields.display_name),
        Field::Phone => td_string!(locale, fields.phone),
        Field::Role => td_string!(locale, fields.role),
        Field::District => td_string!(locale, fields.district),
        Field::Unit => td_string!(locale, fields.unit),
        Field::Partner => td_string!(locale, fields.partner),
        Field::Name => td_string!(locale, fields.name),
        Field::Code => td_string!(locale, fields.code),
        Field::NewPassword => td_string!(locale, fields.new_password),
        Field::User => td_string!(locale, fields.user),
    }
    .to_string()
}

pub fn error_text(locale: Locale, error: &AppError) -> String {
    match error {
        AppError::NotSignedIn => td_string!(locale, errors.not_signed_in).to_string(),
        AppError::Forbidden => td_string!(locale, errors.forbidden).to_string(),
        AppError::NotFound => td_string!(locale, errors.not_found).to_string(),
        AppError::BadCredentials => td_string!(locale, errors.bad_credentials).to_string(),
        AppError::AccountLocked { minutes } => {
            td_string!(locale, errors.locked, minutes = *minutes).to_string()
        }
        AppError::Validation { field, problem } => {
            let field = field_label(locale, *field);
            match problem {
                Problem::Required => td_string!(locale, errors.required, field = field).to_string(),
                Problem::TooLong { max } => {
                    td_string!(locale, errors.too_long, field = field, max = *max).to_string()
                }
                Problem::TooShort { min } => {
                    td_string!(locale, errors.too_short, field = field, min = *min).to_string()
                }
                Problem::Invalid => td_string!(locale, errors.invalid, field = field).to_string(),
                Problem::Taken => td_string!(locale, errors.taken, field = field).to_string(),
            }
        }
        AppError::RateLimited => td_string!(locale, errors.rate_limited).to_string(),
        AppError::BadRequest => td_string!(locale, errors.bad_request).to_string(),
        AppError::Internal => td_string!(locale, errors.internal).to_string(),
    }
}
