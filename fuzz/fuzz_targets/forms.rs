//! The forms users send, as the server decodes and checks them: any URL-encoded body must
//! be read as a new ledger item, a plan, a progress report, an extension, a look-back
//! return, an on-site verification and a new campaign, each giving a value or the
//! problems to show, never a panic; an error's query (the redirect after a plain form
//! post) decodes to what it encoded.
#![no_main]

use app::campaigns::rules::{
    ReturnSpec, Sent, VerificationSpec, read_campaign, read_return, read_verification,
};
use app::error::{AppError, decode_problems, encode_problems};
use app::ledger::lifecycle::Nature;
use app::ledger::rules::{valid_extension, valid_item, valid_plan, valid_progress};
use app::ledger::{NewItem, PlanInput, ProgressInput};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    let deadline = NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date");

    // The ledger's forms, decoded as the server functions decode them.
    if let Ok(item) = serde_qs::from_bytes::<NewItem>(data) {
        if let Ok(valid) = valid_item(&item) {
            // What was accepted is within the rules it was checked against.
            assert!(!valid.description.trim().is_empty());
        }
    }
    if let Ok(plan) = serde_qs::from_bytes::<PlanInput>(data) {
        let _ = valid_plan(&plan, Nature::Violation, today, deadline);
        let _ = valid_plan(&plan, Nature::PolicyCaused, today, deadline);
    }
    if let Ok(progress) = serde_qs::from_bytes::<ProgressInput>(data) {
        if let Ok(valid) = valid_progress(&progress, Some(10)) {
            assert!(valid.remaining.is_none_or(|r| (0..=10).contains(&r)));
        }
    }
    if let (Some(reason), Some(date)) = (get("reason"), get("new_deadline")) {
        if let Ok((_, new)) = valid_extension(&reason, &date, deadline) {
            assert!(new > deadline);
        }
    }

    // The look-back's forms (multipart in the app; the same name/value pairs here).
    let files: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k.starts_with("file:"))
        .map(|(k, _)| k.trim_start_matches("file:").to_string())
        .collect();
    let sent = Sent::new(&pairs, files);
    let campaign = read_campaign(&sent);
    let form = campaign
        .as_ref()
        .map(|c| c.form.clone())
        .unwrap_or_default();
    let spec = ReturnSpec {
        items: vec!["i1".into(), "i2".into()],
        form,
        units: vec!["海陵区教育局".into()],
        categories: vec!["over_establishment".into()],
        rows: 3,
        today: "2026-06-01".into(),
    };
    for submit in [false, true] {
        if let Ok(answers) = read_return(&spec, &sent, submit) {
            assert_eq!(answers.items.len(), spec.items.len());
            if submit {
                assert!(answers.items.iter().all(|i| i.truth.is_some()));
            }
        }
        let verification = VerificationSpec {
            items: spec.items.clone(),
            units: spec.units.clone(),
            categories: spec.categories.clone(),
            today: spec.today.clone(),
        };
        let _ = read_verification(&verification, &sent, submit);
    }

    // The redirect after a plain form post carries the error in the query.
    if let Some(error) = AppError::from_query(&get) {
        let again: Vec<(&str, String)> = error.to_query();
        let back = AppError::from_query(|k: &str| {
            again.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        });
        assert_eq!(back, Some(error));
    }
    if let Some(encoded) = get("problems") {
        let problems = decode_problems(&encoded);
        assert_eq!(decode_problems(&encode_problems(&problems)), problems);
    }
});
