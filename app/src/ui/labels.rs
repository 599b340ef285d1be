//! Translated names of domain values (roles, departments, fields) and the message for
//! each application error. One place, so every page says the same thing.

use crate::auth::{PartnerDept, Role, Scope};
use crate::error::{AppError, Field, Problem};
use crate::i18n::*;
use crate::ledger::acceptance::CoSigner;
use crate::ledger::lifecycle::{Nature, Status};
use crate::ledger::{Action, ListEntry};

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
        Field::Item => td_string!(locale, fields.item),
        Field::Source => td_string!(locale, fields.source),
        Field::Category => td_string!(locale, fields.category),
        Field::Nature => td_string!(locale, fields.nature),
        Field::Description => td_string!(locale, fields.description),
        Field::LegalBasis => td_string!(locale, fields.legal_basis),
        Field::Quantity => td_string!(locale, fields.quantity),
        Field::FoundOn => td_string!(locale, fields.found_on),
        Field::FoundIn => td_string!(locale, fields.found_in),
        Field::Deadline => td_string!(locale, fields.deadline),
        Field::SupervisingOffice => td_string!(locale, fields.supervising_office),
        Field::HeadName => td_string!(locale, fields.head_name),
        Field::HandlerName => td_string!(locale, fields.handler_name),
        Field::HandlerPhone => td_string!(locale, fields.handler_phone),
        Field::Reason => td_string!(locale, fields.reason),
        Field::Measures => td_string!(locale, fields.measures),
        Field::Due => td_string!(locale, fields.due),
        Field::Owner => td_string!(locale, fields.owner),
        Field::Digest => td_string!(locale, fields.digest),
        Field::NextReview => td_string!(locale, fields.next_review),
        Field::Text => td_string!(locale, fields.text),
        Field::Remaining => td_string!(locale, fields.remaining),
        Field::Files => td_string!(locale, fields.files),
        Field::Opinion => td_string!(locale, fields.opinion),
        Field::CoSigners => td_string!(locale, fields.co_signers),
        Field::Dept => td_string!(locale, fields.dept),
        Field::RecurrenceOf => td_string!(locale, fields.recurrence_of),
        Field::Extension => td_string!(locale, fields.extension),
        Field::NewDeadline => td_string!(locale, fields.new_deadline),
        Field::Note => td_string!(locale, fields.note),
        Field::NextSteps => td_string!(locale, fields.next_steps),
        Field::OffsetDays => td_string!(locale, fields.offset_days),
        Field::RepeatDays => td_string!(locale, fields.repeat_days),
        Field::Recipients => td_string!(locale, fields.recipients),
        Field::ChannelKind => td_string!(locale, fields.channel_kind),
        Field::ChannelName => td_string!(locale, fields.channel_name),
        Field::ChannelUrl => td_string!(locale, fields.channel_url),
        Field::ChannelTemplate => td_string!(locale, fields.channel_template),
        Field::QuietHours => td_string!(locale, fields.quiet_hours),
        Field::PushSubscription => td_string!(locale, fields.push_subscription),
        Field::CurrentPassword => td_string!(locale, fields.current_password),
        Field::ConfirmPassword => td_string!(locale, fields.confirm_password),
    }
    .to_string()
}

pub fn error_text(locale: Locale, error: &AppError) -> String {
    match error {
        AppError::NotSignedIn => td_string!(locale, errors.not_signed_in).to_string(),
        AppError::Forbidden => td_string!(locale, errors.forbidden).to_string(),
        AppError::NotFound => td_string!(locale, errors.not_found).to_string(),
        AppError::BadCredentials => td_string!(locale, errors.bad_credentials).to_string(),
        AppError::AccountDisabled => td_string!(locale, errors.account_disabled).to_string(),
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
                Problem::NotLater => {
                    td_string!(locale, errors.not_later, field = field).to_string()
                }
                Problem::FileTooLarge { max_mb } => {
                    td_string!(locale, errors.file_too_large, field = field, max = *max_mb)
                        .to_string()
                }
                Problem::FileType => {
                    td_string!(locale, errors.file_type, field = field).to_string()
                }
                Problem::QuotaUsed { max_mb } => {
                    td_string!(locale, errors.quota_used, max = *max_mb).to_string()
                }
                Problem::Wrong => td_string!(locale, errors.wrong, field = field).to_string(),
                Problem::Mismatch => td_string!(locale, errors.mismatch, field = field).to_string(),
            }
        }
        AppError::WrongState => td_string!(locale, errors.wrong_state).to_string(),
        AppError::RateLimited => td_string!(locale, errors.rate_limited).to_string(),
        AppError::BadRequest => td_string!(locale, errors.bad_request).to_string(),
        AppError::Form(problems) => {
            td_string!(locale, errors.form, count = problems.len()).to_string()
        }
        AppError::Unavailable => td_string!(locale, errors.unavailable).to_string(),
        AppError::Internal => td_string!(locale, errors.internal).to_string(),
    }
}

pub fn status_label(locale: Locale, status: Status) -> String {
    match status {
        Status::Registered => td_string!(locale, status.registered),
        Status::Issued => td_string!(locale, status.issued),
        Status::Acknowledged => td_string!(locale, status.acknowledged),
        Status::PlanReview => td_string!(locale, status.plan_review),
        Status::InRectification => td_string!(locale, status.in_rectification),
        Status::Digesting => td_string!(locale, status.digesting),
        Status::ClosureRequested => td_string!(locale, status.closure_requested),
        Status::Closed => td_string!(locale, status.closed),
        Status::Withdrawn => td_string!(locale, status.withdrawn),
    }
    .to_string()
}

pub fn nature_label(locale: Locale, nature: Nature) -> String {
    match nature {
        Nature::Violation => td_string!(locale, nature.violation),
        Nature::PolicyCaused => td_string!(locale, nature.policy_caused),
    }
    .to_string()
}

pub fn co_signer_label(locale: Locale, c: CoSigner) -> String {
    match c {
        CoSigner::Central => td_string!(locale, cosigner.central).to_string(),
        CoSigner::Partner(p) => partner_label(locale, p),
    }
}

pub fn action_label(locale: Locale, action: Action) -> String {
    match action {
        Action::Issue => td_string!(locale, action.issue),
        Action::Acknowledge => td_string!(locale, action.acknowledge),
        Action::SubmitPlan => td_string!(locale, action.submit_plan),
        Action::ApprovePlan => td_string!(locale, action.approve_plan),
        Action::ReturnPlan => td_string!(locale, action.return_plan),
        Action::ReportProgress => td_string!(locale, action.report_progress),
        Action::RequestExtension => td_string!(locale, action.request_extension),
        Action::DecideExtension => td_string!(locale, action.decide_extension),
        Action::RequestClosure => td_string!(locale, action.request_closure),
        Action::CoSign => td_string!(locale, action.co_sign),
        Action::Withdraw => td_string!(locale, action.withdraw),
        Action::Notify => td_string!(locale, action.notify),
        Action::Comment => td_string!(locale, action.comment),
        Action::RecordAccountability => td_string!(locale, action.record_accountability),
        Action::RegisterRecurrence => td_string!(locale, action.register_recurrence),
    }
    .to_string()
}

/// The name of a history event's action; unknown names are shown as stored.
pub fn event_label(locale: Locale, action: &str) -> String {
    match action {
        "register" => td_string!(locale, event.register),
        "import" => td_string!(locale, event.import),
        "issue" => td_string!(locale, event.issue),
        "acknowledge" => td_string!(locale, event.acknowledge),
        "submit_plan" => td_string!(locale, event.submit_plan),
        "approve_plan" => td_string!(locale, event.approve_plan),
        "return_plan" => td_string!(locale, event.return_plan),
        "report_progress" => td_string!(locale, event.report_progress),
        "complete_measure" => td_string!(locale, event.complete_measure),
        "request_extension" => td_string!(locale, event.request_extension),
        "approve_extension" => td_string!(locale, event.approve_extension),
        "refuse_extension" => td_string!(locale, event.refuse_extension),
        "request_closure" => td_string!(locale, event.request_closure),
        "pass_acceptance" => td_string!(locale, event.pass_acceptance),
        "return_acceptance" => td_string!(locale, event.return_acceptance),
        "withdraw" => td_string!(locale, event.withdraw),
        "notify" => td_string!(locale, event.notify),
        "notification_read" => td_string!(locale, event.notification_read),
        "comment" => td_string!(locale, event.comment),
        "record_accountability" => td_string!(locale, event.record_accountability),
        "look_back" => td_string!(locale, event.look_back),
        "look_back_register" => td_string!(locale, event.look_back_register),
        "on_site_check" => td_string!(locale, event.on_site_check),
        "on_site_register" => td_string!(locale, event.on_site_register),
        other => return other.to_string(),
    }
    .to_string()
}

/// A category's or source's name in the user's language.
pub fn entry_name(locale: Locale, entry: &ListEntry) -> String {
    match locale {
        Locale::en => entry.name_en.clone(),
        _ => entry.name.clone(),
    }
}
