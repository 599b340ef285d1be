//! Checking what people type into the ledger's forms: pure, so every rule is tested
//! without a database. The service calls these before it writes anything.

use super::calendar::{format_date, parse_date};
use super::lifecycle::Nature;
use super::{DigestInput, MeasureInput, NewItem, PlanInput, ProgressInput};
use crate::AppError;
use crate::auth::rules::{optional_text, phone, required_text};
use crate::error::{Field, Problem};
use chrono::NaiveDate;

pub const DESCRIPTION_MAX: u32 = 2000;
pub const TEXT_MAX: u32 = 2000;
pub const SHORT_MAX: u32 = 100;
pub const NAME_MAX: u32 = 40;
pub const MAX_MEASURES: usize = 10;
pub const MAX_DIGEST_STEPS: usize = 12;

/// A registration that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidItem {
    pub unit: String,
    pub source: String,
    pub category: String,
    pub nature: Nature,
    pub description: String,
    pub legal_basis: String,
    pub quantity: Option<i64>,
    pub found_on: NaiveDate,
    pub found_in: String,
    pub deadline: NaiveDate,
    pub supervising_office: String,
    pub head_name: String,
    pub handler_name: String,
    pub handler_phone: String,
    pub recurrence_of: Option<String>,
}

pub fn required_date(field: Field, value: &str) -> Result<NaiveDate, AppError> {
    if value.trim().is_empty() {
        return Err(AppError::invalid(field, Problem::Required));
    }
    parse_date(value).ok_or(AppError::invalid(field, Problem::Invalid))
}

/// A count of people or posts: a whole number from 0 to 100000; empty means none.
pub fn optional_quantity(field: Field, value: &str) -> Result<Option<i64>, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<i64>() {
        Ok(n) if (0..=100_000).contains(&n) => Ok(Some(n)),
        _ => Err(AppError::invalid(field, Problem::Invalid)),
    }
}

pub fn parse_nature(value: &str) -> Result<Nature, AppError> {
    match value.trim() {
        "" => Err(AppError::invalid(Field::Nature, Problem::Required)),
        v => Nature::parse(v).ok_or(AppError::invalid(Field::Nature, Problem::Invalid)),
    }
}

fn required_choice(field: Field, value: &str) -> Result<String, AppError> {
    required_text(field, value, SHORT_MAX)
}

/// Every field of a new item; the deadline may not come before the finding.
pub fn valid_item(input: &NewItem) -> Result<ValidItem, AppError> {
    let unit = required_choice(Field::Unit, &input.unit)?;
    let source = required_choice(Field::Source, &input.source)?;
    let category = required_choice(Field::Category, &input.category)?;
    let nature = parse_nature(&input.nature)?;
    let description = required_text(Field::Description, &input.description, DESCRIPTION_MAX)?;
    let legal_basis =
        optional_text(Field::LegalBasis, &input.legal_basis, TEXT_MAX)?.unwrap_or_default();
    let quantity = optional_quantity(Field::Quantity, &input.quantity)?;
    let found_on = required_date(Field::FoundOn, &input.found_on)?;
    let found_in = optional_text(Field::FoundIn, &input.found_in, SHORT_MAX)?.unwrap_or_default();
    let deadline = required_date(Field::Deadline, &input.deadline)?;
    if deadline < found_on {
        return Err(AppError::invalid(Field::Deadline, Problem::NotLater));
    }
    let supervising_office = optional_text(
        Field::SupervisingOffice,
        &input.supervising_office,
        SHORT_MAX,
    )?
    .unwrap_or_default();
    let head_name = required_text(Field::HeadName, &input.head_name, NAME_MAX)?;
    let handler_name =
        optional_text(Field::HandlerName, &input.handler_name, NAME_MAX)?.unwrap_or_default();
    let handler_phone = phone(&input.handler_phone)
        .map_err(|_| AppError::invalid(Field::HandlerPhone, Problem::Invalid))?
        .unwrap_or_default();
    let recurrence_of = optional_text(Field::RecurrenceOf, &input.recurrence_of, SHORT_MAX)?;
    Ok(ValidItem {
        unit,
        source,
        category,
        nature,
        description,
        legal_basis,
        quantity,
        found_on,
        found_in,
        deadline,
        supervising_office,
        head_name,
        handler_name,
        handler_phone,
        recurrence_of,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidMeasure {
    pub what: String,
    pub due: String,
    pub owner: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidPlan {
    pub measures: Vec<ValidMeasure>,
    pub digest: Vec<(String, i64)>,
    pub next_review: Option<String>,
}

fn blank_measure(m: &MeasureInput) -> bool {
    m.what.trim().is_empty() && m.owner.trim().is_empty()
}

fn blank_step(d: &DigestInput) -> bool {
    d.period.trim().is_empty() && d.target.trim().is_empty()
}

/// A plan: rows left wholly empty are ignored. A violation needs at least one measure;
/// a policy-caused item needs a digestion schedule and a next review date. Every due
/// date lies between today and the approved deadline.
pub fn valid_plan(
    input: &PlanInput,
    nature: Nature,
    today: NaiveDate,
    deadline: NaiveDate,
) -> Result<ValidPlan, AppError> {
    let rows: Vec<&MeasureInput> = input
        .measures
        .iter()
        .filter(|m| !blank_measure(m))
        .collect();
    if rows.len() > MAX_MEASURES {
        return Err(AppError::invalid(Field::Measures, Problem::Invalid));
    }
    let mut measures = Vec::new();
    for m in rows {
        let what = required_text(Field::Measures, &m.what, TEXT_MAX)?;
        let owner = required_text(Field::Owner, &m.owner, NAME_MAX)?;
        let due = required_date(Field::Due, &m.due)?;
        if due < today || due > deadline {
            return Err(AppError::invalid(Field::Due, Problem::Invalid));
        }
        measures.push(ValidMeasure {
            what,
            due: format_date(due),
            owner,
        });
    }
    let mut digest = Vec::new();
    let mut next_review = None;
    match nature {
        Nature::Violation => {
            if measures.is_empty() {
                return Err(AppError::invalid(Field::Measures, Problem::Required));
            }
        }
        Nature::PolicyCaused => {
            let steps: Vec<&DigestInput> = input.digest.iter().filter(|d| !blank_step(d)).collect();
            if steps.is_empty() {
                return Err(AppError::invalid(Field::Digest, Problem::Required));
            }
            if steps.len() > MAX_DIGEST_STEPS {
                return Err(AppError::invalid(Field::Digest, Problem::Invalid));
            }
            for d in steps {
                let period = required_text(Field::Digest, &d.period, 20)?;
                let target = optional_quantity(Field::Digest, &d.target)?
                    .ok_or(AppError::invalid(Field::Digest, Problem::Required))?;
                digest.push((period, target));
            }
            let review = required_date(Field::NextReview, &input.next_review)?;
            if review < today {
                return Err(AppError::invalid(Field::NextReview, Problem::Invalid));
            }
            next_review = Some(format_date(review));
        }
    }
    Ok(ValidPlan {
        measures,
        digest,
        next_review,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidProgress {
    pub text: String,
    pub remaining: Option<i64>,
    pub reasons: String,
    pub next_steps: String,
}

/// A progress report; the remaining quantity may not exceed the baseline.
pub fn valid_progress(
    input: &ProgressInput,
    baseline: Option<i64>,
) -> Result<ValidProgress, AppError> {
    let text = required_text(Field::Text, &input.text, TEXT_MAX)?;
    let remaining = optional_quantity(Field::Remaining, &input.remaining)?;
    if let (Some(r), Some(b)) = (remaining, baseline)
        && r > b
    {
        return Err(AppError::invalid(Field::Remaining, Problem::Invalid));
    }
    Ok(ValidProgress {
        text,
        remaining,
        reasons: optional_text(Field::Reason, &input.reasons, TEXT_MAX)?.unwrap_or_default(),
        next_steps: optional_text(Field::NextSteps, &input.next_steps, TEXT_MAX)?
            .unwrap_or_default(),
    })
}

/// An extension request: a reason, and a new date later than the approved deadline.
pub fn valid_extension(
    reason: &str,
    new_deadline: &str,
    approved: NaiveDate,
) -> Result<(String, NaiveDate), AppError> {
    let reason = required_text(Field::Reason, reason, TEXT_MAX)?;
    let date = required_date(Field::NewDeadline, new_deadline)?;
    if date <= approved {
        return Err(AppError::invalid(Field::NewDeadline, Problem::NotLater));
    }
    Ok((reason, date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap_or_else(|| panic!("{s}"))
    }

    fn item() -> NewItem {
        NewItem {
            unit: "u1".into(),
            source: "inspection_tour".into(),
            category: "over_establishment".into(),
            nature: "violation".into(),
            description: "超编进人 3 名".into(),
            quantity: "3".into(),
            found_on: "2026-03-01".into(),
            deadline: "2026-12-31".into(),
            head_name: "周志明".into(),
            ..NewItem::default()
        }
    }

    #[test]
    fn a_complete_registration_passes() {
        let v = valid_item(&item()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.quantity, Some(3));
        assert_eq!(v.deadline, d("2026-12-31"));
    }

    #[test]
    fn registration_names_the_first_wrong_field() {
        let mut i = item();
        i.description = "  ".into();
        assert_eq!(
            valid_item(&i),
            Err(AppError::invalid(Field::Description, Problem::Required))
        );
        let mut i = item();
        i.deadline = "2026-02-01".into();
        assert_eq!(
            valid_item(&i),
            Err(AppError::invalid(Field::Deadline, Problem::NotLater))
        );
        let mut i = item();
        i.quantity = "-2".into();
        assert_eq!(
            valid_item(&i),
            Err(AppError::invalid(Field::Quantity, Problem::Invalid))
        );
        let mut i = item();
        i.nature = "other".into();
        assert_eq!(
            valid_item(&i),
            Err(AppError::invalid(Field::Nature, Problem::Invalid))
        );
    }

    fn measure(what: &str, due: &str, owner: &str) -> MeasureInput {
        MeasureInput {
            what: what.into(),
            due: due.into(),
            owner: owner.into(),
        }
    }

    #[test]
    fn a_violation_plan_needs_measures_within_the_deadline() {
        let today = d("2026-11-27");
        let deadline = d("2026-12-31");
        let empty = PlanInput {
            measures: vec![measure("", "2026-12-01", "")],
            ..PlanInput::default()
        };
        assert_eq!(
            valid_plan(&empty, Nature::Violation, today, deadline),
            Err(AppError::invalid(Field::Measures, Problem::Required))
        );
        let late = PlanInput {
            measures: vec![measure("清退", "2027-01-05", "王")],
            ..PlanInput::default()
        };
        assert_eq!(
            valid_plan(&late, Nature::Violation, today, deadline),
            Err(AppError::invalid(Field::Due, Problem::Invalid))
        );
        let no_owner = PlanInput {
            measures: vec![measure("清退", "2026-12-05", "")],
            ..PlanInput::default()
        };
        assert_eq!(
            valid_plan(&no_owner, Nature::Violation, today, deadline),
            Err(AppError::invalid(Field::Owner, Problem::Required))
        );
        let ok = PlanInput {
            measures: vec![measure("清退", "2026-12-05", "王"), measure("", "", "")],
            ..PlanInput::default()
        };
        assert_eq!(
            valid_plan(&ok, Nature::Violation, today, deadline).map(|p| p.measures.len()),
            Ok(1)
        );
    }

    #[test]
    fn a_policy_plan_needs_a_schedule_and_a_review_date() {
        let today = d("2026-11-27");
        let deadline = d("2027-12-31");
        let no_schedule = PlanInput::default();
        assert_eq!(
            valid_plan(&no_schedule, Nature::PolicyCaused, today, deadline),
            Err(AppError::invalid(Field::Digest, Problem::Required))
        );
        let plan = PlanInput {
            digest: vec![DigestInput {
                period: "2027-06".into(),
                target: "5".into(),
            }],
            next_review: "2027-01-15".into(),
            ..PlanInput::default()
        };
        let v = valid_plan(&plan, Nature::PolicyCaused, today, deadline)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.digest, vec![("2027-06".to_string(), 5)]);
        assert_eq!(v.next_review.as_deref(), Some("2027-01-15"));
    }

    #[test]
    fn progress_and_extensions_are_checked() {
        let p = ProgressInput {
            text: "已清退 2 人".into(),
            remaining: "5".into(),
            ..ProgressInput::default()
        };
        assert_eq!(
            valid_progress(&p, Some(3)),
            Err(AppError::invalid(Field::Remaining, Problem::Invalid))
        );
        assert!(valid_progress(&p, Some(8)).is_ok());
        assert_eq!(
            valid_extension("人员安置需时", "2026-12-31", d("2026-12-31")),
            Err(AppError::invalid(Field::NewDeadline, Problem::NotLater))
        );
        assert_eq!(
            valid_extension("", "2027-03-31", d("2026-12-31")),
            Err(AppError::invalid(Field::Reason, Problem::Required))
        );
        assert!(valid_extension("人员安置需时", "2027-03-31", d("2026-12-31")).is_ok());
    }
}
