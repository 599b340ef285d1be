//! The ledger's services against a fresh in-memory SurrealDB per test: every lifecycle
//! step, allowed and refused, and every scope rule.
#![cfg(feature = "ssr")]

use app::AppError;
use app::admin::NewUser;
use app::admin::service::create_user;
use app::auth::SessionUser;
use app::auth::service::load_session_user;
use app::db::{Db, connect_in_memory, record};
use app::error::{Field, Problem};
use app::ledger::lifecycle::Status;
use app::ledger::service as ledger;
use app::ledger::{
    DigestInput, ItemFilter, MeasureInput, NewItem, PlanInput, ProgressInput, Upload,
};
use app::org::service::{create_district, create_unit};
use chrono::{DateTime, Duration, Utc};
use std::path::PathBuf;

/// 2026-11-27 10:00 in Shanghai.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T02:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn ok<T>(r: Result<T, AppError>) -> T {
    r.unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
}

const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1,
];

struct World {
    db: Db,
    files: PathBuf,
    unit_a: String,
    unit_b: String,
    district_1: String,
    central: SessionUser,
    division: SessionUser,
    district_office_1: SessionUser,
    district_office_2: SessionUser,
    head_a: SessionUser,
    handler_a: SessionUser,
    head_b: SessionUser,
    inspection: SessionUser,
    organisation: SessionUser,
    human_resources: SessionUser,
    admin: SessionUser,
}

async fn user(
    db: &Db,
    username: &str,
    role: &str,
    district: &str,
    unit: &str,
    partner: &str,
) -> SessionUser {
    let id = ok(create_user(
        db,
        &NewUser {
            username: username.into(),
            display_name: format!("用户{username}"),
            password: "taizhou2026".into(),
            role: role.into(),
            district: district.into(),
            unit: unit.into(),
            partner: partner.into(),
            ..Default::default()
        },
    )
    .await);
    ok(load_session_user(db, &record("user", &id)).await)
        .unwrap_or_else(|| panic!("no user {username}"))
}

async fn world() -> World {
    let db = connect_in_memory().await.unwrap_or_else(|e| panic!("{e}"));
    let d1 = ok(create_district(&db, "HL", "海陵区", "Hailing").await);
    let d2 = ok(create_district(&db, "GG", "高港区", "Gaogang").await);
    let unit_a = ok(create_unit(&db, &d1, "海陵区教育局").await);
    let unit_b = ok(create_unit(&db, &d2, "高港区教育局").await);
    let files = std::env::temp_dir().join(format!("rectify-ledger-test-{}", rand_suffix()));
    World {
        central: user(&db, "central", "central_office", "", "", "").await,
        division: user(&db, "division", "business_division", "", "", "").await,
        district_office_1: user(&db, "hailing", "district_office", &d1, "", "").await,
        district_office_2: user(&db, "gaogang", "district_office", &d2, "", "").await,
        head_a: user(&db, "head.a", "unit_head", "", &unit_a, "").await,
        handler_a: user(&db, "handler.a", "unit_handler", "", &unit_a, "").await,
        head_b: user(&db, "head.b", "unit_head", "", &unit_b, "").await,
        inspection: user(&db, "inspection", "partner", "", "", "inspection").await,
        organisation: user(&db, "organisation", "partner", "", "", "organisation").await,
        human_resources: user(&db, "hr.bureau", "partner", "", "", "human_resources").await,
        admin: user(&db, "admin", "administrator", "", "", "").await,
        db,
        files,
        unit_a,
        unit_b,
        district_1: d1,
    }
}

fn rand_suffix() -> String {
    format!("{}-{:?}", std::process::id(), std::thread::current().id()).replace(['(', ')'], "")
        + &Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_string()
}

fn new_item(unit: &str, nature: &str, deadline: &str) -> NewItem {
    NewItem {
        unit: unit.into(),
        source: "inspection_tour".into(),
        category: "over_establishment".into(),
        nature: nature.into(),
        description: "超编进入事业人员 3 名,未履行编制使用审批手续".into(),
        legal_basis: "《机构编制工作条例》第二十八条".into(),
        quantity: "3".into(),
        found_on: "2026-10-15".into(),
        found_in: "2026 年第三轮巡察".into(),
        deadline: deadline.into(),
        supervising_office: "监督检查处".into(),
        head_name: "周志明".into(),
        handler_name: "李娜".into(),
        handler_phone: "0523-86831234".into(),
        ..NewItem::default()
    }
}

async fn status_of(w: &World, id: &str) -> Status {
    ok(ledger::get_item(&w.db, &w.central, id, now()).await)
        .summary
        .status
}

async fn event_count(w: &World) -> i64 {
    ok(ledger::verify_ledger(&w.db).await).events
}

fn plan(due: &str) -> PlanInput {
    PlanInput {
        measures: vec![
            MeasureInput {
                what: "清退超编人员".into(),
                due: due.into(),
                owner: "王强".into(),
            },
            MeasureInput {
                what: "完善进人审批制度".into(),
                due: due.into(),
                owner: "周志明".into(),
            },
        ],
        ..PlanInput::default()
    }
}

fn progress(text: &str, remaining: &str) -> ProgressInput {
    ProgressInput {
        text: text.into(),
        remaining: remaining.into(),
        ..ProgressInput::default()
    }
}

/// A photo as the progress form brings it, received into the world's files folder.
async fn photo(w: &World) -> Vec<Upload> {
    vec![ok(Upload::from_bytes(&w.files, "现场.jpg", JPEG).await)]
}

/// Register and walk an item to "in rectification" (violation) or "digesting".
async fn working_item(w: &World, nature: &str, deadline: &str) -> String {
    let (id, _) = ok(ledger::register_item(
        &w.db,
        &w.central,
        &new_item(&w.unit_a, nature, deadline),
        now(),
    )
    .await);
    ok(ledger::issue(&w.db, &w.central, &id, now()).await);
    ok(ledger::acknowledge(&w.db, &w.head_a, &id, now()).await);
    let p = if nature == "violation" {
        plan("2026-12-20")
    } else {
        PlanInput {
            digest: vec![DigestInput {
                period: "2027-06".into(),
                target: "1".into(),
            }],
            next_review: "2027-01-15".into(),
            ..PlanInput::default()
        }
    };
    ok(ledger::submit_plan(&w.db, &w.handler_a, &id, &p, now()).await);
    ok(ledger::approve_plan(&w.db, &w.central, &id, now()).await);
    id
}

#[tokio::test]
async fn a_violation_goes_from_registration_to_closed_on_time() {
    let w = world().await;
    let (id, number) = ok(ledger::register_item(
        &w.db,
        &w.central,
        &new_item(&w.unit_a, "violation", "2026-12-31"),
        now(),
    )
    .await);
    assert_eq!(number, "2026-TZ-0001");
    assert_eq!(status_of(&w, &id).await, Status::Registered);
    assert_eq!(
        ok(ledger::issue(&w.db, &w.central, &id, now()).await),
        Status::Issued
    );
    assert_eq!(
        ok(ledger::acknowledge(&w.db, &w.head_a, &id, now()).await),
        Status::Acknowledged
    );
    assert_eq!(
        ok(ledger::submit_plan(&w.db, &w.handler_a, &id, &plan("2026-12-20"), now()).await),
        Status::PlanReview
    );
    assert_eq!(
        ok(ledger::approve_plan(&w.db, &w.central, &id, now()).await),
        Status::InRectification
    );
    ok(ledger::report_progress(
        &w.db,
        &w.head_a,
        &id,
        &progress("已清退 3 人", "0"),
        &photo(&w).await,
        &w.files,
        now(),
    )
    .await);
    assert_eq!(
        ok(ledger::request_closure(&w.db, &w.head_a, &id, "全部清退,制度已完善", &[], now()).await),
        Status::ClosureRequested
    );
    let later = now() + Duration::days(3);
    assert_eq!(
        ok(ledger::co_sign(&w.db, &w.central, &id, true, "同意", later).await),
        Status::ClosureRequested
    );
    assert_eq!(
        ok(ledger::co_sign(&w.db, &w.inspection, &id, true, "", later).await),
        Status::ClosureRequested
    );
    assert_eq!(
        ok(ledger::co_sign(&w.db, &w.organisation, &id, true, "同意销号", later).await),
        Status::Closed
    );
    let d = ok(ledger::get_item(&w.db, &w.head_a, &id, later).await);
    assert_eq!(d.summary.status, Status::Closed);
    assert_eq!(d.summary.closed_on_time, Some(true));
    assert_eq!(d.closed_on.as_deref(), Some("2026-11-30"));
    assert_eq!(d.quantity_remaining, Some(0));
    assert_eq!(d.measures.len(), 2);
    assert_eq!(d.progress[0].attachments.len(), 1);
    assert!(d.acceptance.iter().all(|c| c.passed == Some(true)));
    let actions: Vec<&str> = d.timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "register",
            "issue",
            "acknowledge",
            "submit_plan",
            "approve_plan",
            "report_progress",
            "request_closure",
            "pass_acceptance",
            "pass_acceptance",
            "pass_acceptance"
        ]
    );
    let report = ok(ledger::verify_ledger(&w.db).await);
    assert_eq!(report.events, 10);
    assert_eq!(report.first_break, None);
}

/// A unit with more items than SurrealDB reads through an index in one go (32 values in
/// an `IN` list): the measures of every one of them are still on its list.
#[tokio::test]
async fn a_unit_with_many_items_sees_every_items_measures() {
    let w = world().await;
    let many = app::db::INDEXED_IN_MAX + 3;
    for _ in 0..many {
        working_item(&w, "violation", "2026-12-31").await;
    }
    let mine = ok(ledger::unit_items(&w.db, &w.head_a, now()).await);
    assert_eq!(mine.len(), many);
    for item in &mine {
        let mut owners = item.measure_owners.clone();
        owners.sort();
        assert_eq!(owners, ["周志明", "王强"], "{}", item.number);
    }
}

#[tokio::test]
async fn a_policy_caused_item_needs_a_schedule_and_is_digested() {
    let w = world().await;
    let (id, _) = ok(ledger::register_item(
        &w.db,
        &w.central,
        &new_item(&w.unit_a, "policy_caused", "2027-12-31"),
        now(),
    )
    .await);
    ok(ledger::issue(&w.db, &w.central, &id, now()).await);
    ok(ledger::acknowledge(&w.db, &w.handler_a, &id, now()).await);
    let without = ledger::submit_plan(&w.db, &w.head_a, &id, &PlanInput::default(), now()).await;
    assert_eq!(
        without,
        Err(AppError::invalid(Field::Digest, Problem::Required))
    );
    assert_eq!(status_of(&w, &id).await, Status::Acknowledged);
    let id2 = working_item(&w, "policy_caused", "2027-12-31").await;
    let d = ok(ledger::get_item(&w.db, &w.head_a, &id2, now()).await);
    assert_eq!(d.summary.status, Status::Digesting);
    assert_eq!(d.digest.len(), 1);
    assert_eq!(d.next_review.as_deref(), Some("2027-01-15"));
}

#[tokio::test]
async fn refused_steps_say_why_and_change_nothing() {
    let w = world().await;
    let (id, _) = ok(ledger::register_item(
        &w.db,
        &w.central,
        &new_item(&w.unit_a, "violation", "2026-12-31"),
        now(),
    )
    .await);
    let events = event_count(&w).await;
    // Out of order.
    assert_eq!(
        ledger::acknowledge(&w.db, &w.head_a, &id, now()).await,
        Err(AppError::WrongState)
    );
    assert_eq!(
        ledger::approve_plan(&w.db, &w.central, &id, now()).await,
        Err(AppError::WrongState)
    );
    // Not theirs to take.
    assert_eq!(
        ledger::issue(&w.db, &w.head_a, &id, now()).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        ledger::issue(&w.db, &w.division, &id, now()).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        ledger::issue(&w.db, &w.district_office_1, &id, now()).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        ledger::withdraw(&w.db, &w.head_a, &id, "不想改", now()).await,
        Err(AppError::Forbidden)
    );
    // A withdrawal needs its reason.
    assert_eq!(
        ledger::withdraw(&w.db, &w.central, &id, " ", now()).await,
        Err(AppError::invalid(Field::Reason, Problem::Required))
    );
    ok(ledger::issue(&w.db, &w.central, &id, now()).await);
    assert_eq!(
        ledger::acknowledge(&w.db, &w.central, &id, now()).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        ledger::acknowledge(&w.db, &w.inspection, &id, now()).await,
        Err(AppError::NotFound)
    );
    assert_eq!(event_count(&w).await, events + 1);
    assert_eq!(status_of(&w, &id).await, Status::Issued);
    // Only the unit side reports progress, and only while working.
    assert_eq!(
        ledger::report_progress(
            &w.db,
            &w.head_a,
            &id,
            &progress("x", ""),
            &[],
            &w.files,
            now()
        )
        .await,
        Err(AppError::WrongState)
    );
    // Closure needs evidence on the item.
    let working = working_item(&w, "violation", "2026-12-31").await;
    assert_eq!(
        ledger::request_closure(&w.db, &w.head_a, &working, "已整改", &[], now()).await,
        Err(AppError::invalid(Field::Files, Problem::Required))
    );
    assert_eq!(status_of(&w, &working).await, Status::InRectification);
    // A co-signer not named, or a unit, cannot co-sign.
    ok(ledger::report_progress(
        &w.db,
        &w.head_a,
        &working,
        &progress("完成", "0"),
        &photo(&w).await,
        &w.files,
        now(),
    )
    .await);
    ok(ledger::request_closure(
        &w.db,
        &w.head_a,
        &working,
        "已整改",
        &["inspection".into()],
        now(),
    )
    .await);
    assert_eq!(
        ledger::co_sign(&w.db, &w.organisation, &working, true, "", now()).await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        ledger::co_sign(&w.db, &w.head_a, &working, true, "", now()).await,
        Err(AppError::Forbidden)
    );
    ok(ledger::co_sign(&w.db, &w.inspection, &working, true, "", now()).await);
    assert_eq!(
        ledger::co_sign(&w.db, &w.inspection, &working, true, "", now()).await,
        Err(AppError::Forbidden)
    );
}

#[tokio::test]
async fn a_returned_plan_carries_its_reason_back_to_the_unit() {
    let w = world().await;
    let (id, _) = ok(ledger::register_item(
        &w.db,
        &w.central,
        &new_item(&w.unit_a, "violation", "2026-12-31"),
        now(),
    )
    .await);
    ok(ledger::issue(&w.db, &w.central, &id, now()).await);
    ok(ledger::acknowledge(&w.db, &w.head_a, &id, now()).await);
    ok(ledger::submit_plan(&w.db, &w.head_a, &id, &plan("2026-12-20"), now()).await);
    assert_eq!(
        ledger::return_plan(&w.db, &w.central, &id, "", now()).await,
        Err(AppError::invalid(Field::Reason, Problem::Required))
    );
    assert_eq!(
        ok(ledger::return_plan(&w.db, &w.central, &id, "措施不具体", now()).await),
        Status::Acknowledged
    );
    let d = ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await);
    assert_eq!(d.plan_returned_reason.as_deref(), Some("措施不具体"));
    // Resubmitting replaces the plan and clears the reason.
    ok(ledger::submit_plan(&w.db, &w.head_a, &id, &plan("2026-12-21"), now()).await);
    let d = ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await);
    assert_eq!(d.plan_returned_reason, None);
    assert_eq!(d.measures.len(), 2);
    assert!(d.measures.iter().all(|m| m.due == "2026-12-21"));
}

#[tokio::test]
async fn an_extension_moves_only_the_approved_deadline_and_on_time_stays_honest() {
    let w = world().await;
    let id = working_item(&w, "violation", "2026-12-31").await;
    assert_eq!(
        ledger::request_extension(&w.db, &w.head_a, &id, "安置需时", "2026-12-31", now()).await,
        Err(AppError::invalid(Field::NewDeadline, Problem::NotLater))
    );
    ok(ledger::request_extension(&w.db, &w.head_a, &id, "人员安置需时", "2027-03-31", now()).await);
    assert_eq!(
        ledger::request_extension(&w.db, &w.handler_a, &id, "再延", "2027-04-30", now()).await,
        Err(AppError::WrongState)
    );
    assert_eq!(
        ledger::decide_extension(&w.db, &w.head_a, &id, true, "", now()).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        ledger::decide_extension(&w.db, &w.central, &id, false, "", now()).await,
        Err(AppError::invalid(Field::Opinion, Problem::Required))
    );
    ok(ledger::decide_extension(&w.db, &w.central, &id, true, "同意", now()).await);
    let d = ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await);
    assert_eq!(d.summary.original_deadline, "2026-12-31");
    assert_eq!(d.summary.approved_deadline, "2027-03-31");
    assert_eq!(d.extensions[0].approved, Some(true));
    // Closed after the original deadline, inside the extension: not on time.
    let late = DateTime::parse_from_rfc3339("2027-02-01T02:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{e}"));
    ok(ledger::report_progress(
        &w.db,
        &w.head_a,
        &id,
        &progress("完成", "0"),
        &photo(&w).await,
        &w.files,
        late,
    )
    .await);
    ok(ledger::request_closure(
        &w.db,
        &w.head_a,
        &id,
        "完成",
        &["inspection".into(), "organisation".into()],
        late,
    )
    .await);
    for signer in [&w.central, &w.inspection, &w.organisation] {
        ok(ledger::co_sign(&w.db, signer, &id, true, "", late).await);
    }
    let d = ok(ledger::get_item(&w.db, &w.central, &id, late).await);
    assert_eq!(d.summary.status, Status::Closed);
    assert_eq!(d.summary.closed_on_time, Some(false));
}

#[tokio::test]
async fn a_return_sends_the_item_back_with_the_opinion_and_a_new_round_starts() {
    let w = world().await;
    let id = working_item(&w, "violation", "2026-12-31").await;
    ok(ledger::report_progress(
        &w.db,
        &w.head_a,
        &id,
        &progress("完成", "0"),
        &photo(&w).await,
        &w.files,
        now(),
    )
    .await);
    ok(ledger::request_closure(&w.db, &w.head_a, &id, "完成", &[], now()).await);
    ok(ledger::co_sign(&w.db, &w.central, &id, true, "", now()).await);
    assert_eq!(
        ledger::co_sign(&w.db, &w.inspection, &id, false, "", now()).await,
        Err(AppError::invalid(Field::Opinion, Problem::Required))
    );
    assert_eq!(
        ok(ledger::co_sign(&w.db, &w.inspection, &id, false, "佐证材料不足", now()).await),
        Status::InRectification
    );
    let d = ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await);
    let returned = d.acceptance.iter().find(|c| c.passed == Some(false));
    assert_eq!(returned.map(|c| c.opinion.as_str()), Some("佐证材料不足"));
    // The organisation department can no longer act on the returned round.
    assert_eq!(
        ledger::co_sign(&w.db, &w.organisation, &id, true, "", now()).await,
        Err(AppError::WrongState)
    );
    ok(ledger::request_closure(&w.db, &w.head_a, &id, "补充材料", &[], now()).await);
    for signer in [&w.central, &w.inspection, &w.organisation] {
        ok(ledger::co_sign(&w.db, signer, &id, true, "", now()).await);
    }
    assert_eq!(status_of(&w, &id).await, Status::Closed);
}

#[tokio::test]
async fn a_closed_item_never_reopens_and_a_recurrence_is_a_new_linked_item() {
    let w = world().await;
    let id = working_item(&w, "violation", "2026-12-31").await;
    ok(ledger::report_progress(
        &w.db,
        &w.head_a,
        &id,
        &progress("完成", "0"),
        &photo(&w).await,
        &w.files,
        now(),
    )
    .await);
    ok(ledger::request_closure(&w.db, &w.head_a, &id, "完成", &[], now()).await);
    for signer in [&w.central, &w.inspection, &w.organisation] {
        ok(ledger::co_sign(&w.db, signer, &id, true, "", now()).await);
    }
    assert_eq!(
        ledger::withdraw(&w.db, &w.central, &id, "误登", now()).await,
        Err(AppError::WrongState)
    );
    assert_eq!(
        ledger::issue(&w.db, &w.central, &id, now()).await,
        Err(AppError::WrongState)
    );
    assert_eq!(
        ledger::report_progress(
            &w.db,
            &w.head_a,
            &id,
            &progress("x", ""),
            &[],
            &w.files,
            now()
        )
        .await,
        Err(AppError::WrongState)
    );
    assert_eq!(
        ledger::request_closure(&w.db, &w.head_a, &id, "x", &[], now()).await,
        Err(AppError::WrongState)
    );
    let closed_number = ok(ledger::get_item(&w.db, &w.central, &id, now()).await)
        .summary
        .number;
    let mut again = new_item(&w.unit_a, "violation", "2027-06-30");
    again.recurrence_of = closed_number.clone();
    assert_eq!(
        ledger::register_item(&w.db, &w.division, &again, now()).await,
        Err(AppError::Forbidden)
    );
    let (new_id, new_number) = ok(ledger::register_item(&w.db, &w.central, &again, now()).await);
    assert_ne!(new_number, closed_number);
    let d = ok(ledger::get_item(&w.db, &w.central, &new_id, now()).await);
    assert_eq!(d.recurrence_of.map(|(_, n)| n), Some(closed_number));
    // Only a closed item can recur.
    let open = working_item(&w, "violation", "2026-12-31").await;
    let mut bad = new_item(&w.unit_a, "violation", "2027-06-30");
    bad.recurrence_of = ok(ledger::get_item(&w.db, &w.central, &open, now()).await)
        .summary
        .number;
    assert_eq!(
        ledger::register_item(&w.db, &w.central, &bad, now()).await,
        Err(AppError::invalid(Field::RecurrenceOf, Problem::Invalid))
    );
}

#[tokio::test]
async fn numbers_are_never_reused_and_withdrawal_keeps_the_number() {
    let w = world().await;
    let (a, n1) = ok(ledger::register_item(
        &w.db,
        &w.central,
        &new_item(&w.unit_a, "violation", "2026-12-31"),
        now(),
    )
    .await);
    ok(ledger::withdraw(&w.db, &w.central, &a, "重复登记", now()).await);
    let (_, n2) = ok(ledger::register_item(
        &w.db,
        &w.division,
        &new_item(&w.unit_b, "violation", "2026-12-31"),
        now(),
    )
    .await);
    assert_eq!((n1.as_str(), n2.as_str()), ("2026-TZ-0001", "2026-TZ-0002"));
    let d = ok(ledger::get_item(&w.db, &w.central, &a, now()).await);
    assert_eq!(d.summary.status, Status::Withdrawn);
    assert_eq!(d.withdrawn_reason.as_deref(), Some("重复登记"));
    // Bad input is refused and takes no number.
    let mut bad = new_item(&w.unit_a, "violation", "2026-12-31");
    bad.description = String::new();
    assert_eq!(
        ledger::register_item(&w.db, &w.central, &bad, now()).await,
        Err(AppError::invalid(Field::Description, Problem::Required))
    );
    let (_, n3) = ok(ledger::register_item(
        &w.db,
        &w.central,
        &new_item(&w.unit_a, "violation", "2026-12-31"),
        now(),
    )
    .await);
    assert_eq!(n3, "2026-TZ-0003");
    // Units and partners do not register.
    for u in [&w.head_a, &w.inspection, &w.district_office_1, &w.admin] {
        assert_eq!(
            ledger::register_item(
                &w.db,
                u,
                &new_item(&w.unit_a, "violation", "2026-12-31"),
                now()
            )
            .await,
            Err(AppError::Forbidden)
        );
    }
}

#[tokio::test]
async fn notifications_share_the_item_and_record_the_read_receipt() {
    let w = world().await;
    let id = working_item(&w, "violation", "2026-12-31").await;
    assert_eq!(
        ledger::get_item(&w.db, &w.human_resources, &id, now())
            .await
            .map(|_| ()),
        Err(AppError::NotFound)
    );
    assert_eq!(
        ledger::notify(&w.db, &w.head_a, &id, "human_resources", "", now()).await,
        Err(AppError::Forbidden)
    );
    ok(ledger::notify(&w.db, &w.central, &id, "human_resources", "同步通报", now()).await);
    let d = ok(ledger::get_item(&w.db, &w.central, &id, now()).await);
    assert_eq!(d.notifications.len(), 1);
    assert_eq!(d.notifications[0].read_at, None);
    assert!(ok(ledger::mark_notifications_read(
        &w.db,
        &w.human_resources,
        &id,
        now()
    )
    .await));
    assert!(!ok(ledger::mark_notifications_read(
        &w.db,
        &w.human_resources,
        &id,
        now()
    )
    .await));
    let d = ok(ledger::get_item(&w.db, &w.human_resources, &id, now()).await);
    assert!(d.notifications[0].read_at.is_some());
    // The district office comments on its district's item; the history keeps it.
    ok(ledger::comment(
        &w.db,
        &w.district_office_1,
        &id,
        "已督促单位加快进度",
        now(),
    )
    .await);
    assert_eq!(
        ledger::comment(&w.db, &w.head_a, &id, "x", now()).await,
        Err(AppError::Forbidden)
    );
    let d = ok(ledger::get_item(&w.db, &w.central, &id, now()).await);
    assert!(d.timeline.iter().any(|e| e.action == "comment"));
    assert!(d.timeline.iter().any(|e| e.action == "notification_read"));
}

#[tokio::test]
async fn a_unit_head_of_unit_b_gets_nothing_of_unit_a() {
    let w = world().await;
    let id = working_item(&w, "violation", "2026-12-31").await;
    ok(ledger::report_progress(
        &w.db,
        &w.head_a,
        &id,
        &progress("进展", "1"),
        &photo(&w).await,
        &w.files,
        now(),
    )
    .await);
    let attachment = ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await).progress[0]
        .attachments[0]
        .id
        .clone();
    // Single item, steps, download.
    assert_eq!(
        ledger::get_item(&w.db, &w.head_b, &id, now())
            .await
            .map(|_| ()),
        Err(AppError::NotFound)
    );
    assert_eq!(
        ledger::request_extension(&w.db, &w.head_b, &id, "r", "2027-01-31", now()).await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        ledger::report_progress(
            &w.db,
            &w.head_b,
            &id,
            &progress("x", ""),
            &[],
            &w.files,
            now()
        )
        .await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        ledger::attachment_for_download(&w.db, &w.head_b, &attachment)
            .await
            .map(|_| ()),
        Err(AppError::NotFound)
    );
    assert!(
        ledger::attachment_for_download(&w.db, &w.head_a, &attachment)
            .await
            .is_ok()
    );
    // Lists and search.
    let everything = ItemFilter {
        q: "超编".into(),
        ..ItemFilter::default()
    };
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.head_b, &everything, now()).await).total,
        0
    );
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.head_a, &everything, now()).await).total,
        1
    );
    assert!(ok(ledger::unit_items(&w.db, &w.head_b, now()).await).is_empty());
    assert_eq!(
        ok(ledger::unit_items(&w.db, &w.head_a, now()).await).len(),
        1
    );
    // Asking for unit A's items by filter does not widen the scope.
    let by_unit = ItemFilter {
        unit: w.unit_a.clone(),
        ..ItemFilter::default()
    };
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.head_b, &by_unit, now()).await).total,
        0
    );
}

#[tokio::test]
async fn districts_partners_and_the_administrator_see_only_their_share() {
    let w = world().await;
    let id = working_item(&w, "violation", "2026-12-31").await;
    let all = ItemFilter::default();
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.district_office_1, &all, now()).await).total,
        1
    );
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.district_office_2, &all, now()).await).total,
        0
    );
    let by_district = ItemFilter {
        district: w.district_1.clone(),
        ..ItemFilter::default()
    };
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.district_office_2, &by_district, now()).await).total,
        0
    );
    assert_eq!(
        ledger::get_item(&w.db, &w.district_office_2, &id, now())
            .await
            .map(|_| ()),
        Err(AppError::NotFound)
    );
    assert!(
        ledger::get_item(&w.db, &w.district_office_1, &id, now())
            .await
            .is_ok()
    );
    // A partner sees what is shared with it: nothing yet, then the closure it co-signs.
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.inspection, &all, now()).await).total,
        0
    );
    assert!(ok(ledger::acceptance_queue(&w.db, &w.inspection, now()).await).is_empty());
    ok(ledger::report_progress(
        &w.db,
        &w.head_a,
        &id,
        &progress("完成", "0"),
        &photo(&w).await,
        &w.files,
        now(),
    )
    .await);
    ok(ledger::request_closure(&w.db, &w.head_a, &id, "完成", &["inspection".into()], now()).await);
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.inspection, &all, now()).await).total,
        1
    );
    assert_eq!(
        ok(ledger::acceptance_queue(&w.db, &w.inspection, now()).await).len(),
        1
    );
    // Once it has passed the request leaves its queue, and stays in the central office's.
    assert_eq!(
        ok(ledger::acceptance_queue(&w.db, &w.central, now()).await).len(),
        1
    );
    ok(ledger::co_sign(&w.db, &w.inspection, &id, true, "", now()).await);
    assert!(ok(ledger::acceptance_queue(&w.db, &w.inspection, now()).await).is_empty());
    assert_eq!(
        ok(ledger::acceptance_queue(&w.db, &w.central, now()).await).len(),
        1
    );
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.organisation, &all, now()).await).total,
        0
    );
    assert_eq!(
        ledger::acceptance_queue(&w.db, &w.head_a, now())
            .await
            .map(|_| ()),
        Err(AppError::Forbidden)
    );
    // The administrator manages accounts, not the ledger.
    assert_eq!(
        ledger::list_items(&w.db, &w.admin, &all, now())
            .await
            .map(|_| ()),
        Err(AppError::Forbidden)
    );
    assert_eq!(
        ledger::get_item(&w.db, &w.admin, &id, now())
            .await
            .map(|_| ()),
        Err(AppError::Forbidden)
    );
    // The business division supervises what it registered.
    let mine = ItemFilter {
        mine: "1".into(),
        ..ItemFilter::default()
    };
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.division, &mine, now()).await).total,
        0
    );
    ok(ledger::register_item(
        &w.db,
        &w.division,
        &new_item(&w.unit_b, "violation", "2026-12-31"),
        now(),
    )
    .await);
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.division, &mine, now()).await).total,
        1
    );
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.central, &mine, now()).await).total,
        1
    );
    // The business division and the central office see the whole ledger.
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.division, &all, now()).await).total,
        2
    );
    assert_eq!(
        ok(ledger::list_items(&w.db, &w.central, &all, now()).await).total,
        2
    );
}

#[tokio::test]
async fn the_ledger_filters_search_and_pages() {
    let w = world().await;
    let mut ids = Vec::new();
    for i in 0..23 {
        let mut item = new_item(
            if i % 2 == 0 { &w.unit_a } else { &w.unit_b },
            "violation",
            if i < 3 { "2026-11-20" } else { "2026-12-31" },
        );
        if i == 7 {
            item.description = "自行设置“总监”等领导职务名称".into();
            item.category = "invented_titles".into();
        }
        let (id, _) =
            ok(ledger::register_item(&w.db, &w.central, &item, now() - Duration::days(30)).await);
        ids.push(id);
    }
    let page = |f: ItemFilter| {
        let db = w.db.clone();
        let central = w.central.clone();
        async move { ok(ledger::list_items(&db, &central, &f, now()).await) }
    };
    let first = page(ItemFilter::default()).await;
    assert_eq!((first.total, first.items.len(), first.pages), (23, 20, 2));
    assert_eq!(
        page(ItemFilter {
            page: "2".into(),
            ..ItemFilter::default()
        })
        .await
        .items
        .len(),
        3
    );
    // Most urgent first: the three overdue ones lead.
    assert!(
        first.items[..3]
            .iter()
            .all(|i| i.approved_deadline == "2026-11-20")
    );
    assert_eq!(
        page(ItemFilter {
            overdue: "1".into(),
            ..ItemFilter::default()
        })
        .await
        .total,
        3
    );
    assert_eq!(
        page(ItemFilter {
            district: w.district_1.clone(),
            ..ItemFilter::default()
        })
        .await
        .total,
        12
    );
    assert_eq!(
        page(ItemFilter {
            unit: w.unit_b.clone(),
            ..ItemFilter::default()
        })
        .await
        .total,
        11
    );
    assert_eq!(
        page(ItemFilter {
            category: "invented_titles".into(),
            ..ItemFilter::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        page(ItemFilter {
            q: "总监".into(),
            ..ItemFilter::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        page(ItemFilter {
            q: "2026-tz-0005".into(),
            ..ItemFilter::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        page(ItemFilter {
            status: "registered".into(),
            ..ItemFilter::default()
        })
        .await
        .total,
        23
    );
    assert_eq!(
        page(ItemFilter {
            status: "closed".into(),
            ..ItemFilter::default()
        })
        .await
        .total,
        0
    );
    assert_eq!(
        page(ItemFilter {
            due_from: "2026-12-01".into(),
            due_to: "2026-12-31".into(),
            ..ItemFilter::default()
        })
        .await
        .total,
        20
    );
    assert_eq!(
        page(ItemFilter {
            nature: "policy_caused".into(),
            ..ItemFilter::default()
        })
        .await
        .total,
        0
    );
    assert_eq!(
        page(ItemFilter {
            source: "inspection_tour".into(),
            ..ItemFilter::default()
        })
        .await
        .total,
        23
    );
}

#[tokio::test]
async fn evidence_is_checked_by_content_and_stored_by_hash() {
    let w = world().await;
    let id = working_item(&w, "violation", "2026-12-31").await;
    let fake = vec![ok(Upload::from_bytes(
        &w.files,
        "photo.jpg",
        b"<script>alert(1)</script>",
    )
    .await)];
    assert_eq!(
        ledger::report_progress(
            &w.db,
            &w.head_a,
            &id,
            &progress("进展", ""),
            &fake,
            &w.files,
            now()
        )
        .await,
        Err(AppError::invalid(Field::Files, Problem::FileType))
    );
    let huge = vec![ok(Upload::from_bytes(
        &w.files,
        "big.pdf",
        &[b"%PDF-1.7\n".as_slice(), &vec![0u8; 11 * 1024 * 1024]].concat(),
    )
    .await)];
    assert_eq!(
        ledger::report_progress(
            &w.db,
            &w.head_a,
            &id,
            &progress("进展", ""),
            &huge,
            &w.files,
            now()
        )
        .await,
        Err(AppError::invalid(
            Field::Files,
            Problem::FileTooLarge { max_mb: 10 }
        ))
    );
    assert!(
        ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await)
            .progress
            .is_empty()
    );
    ok(ledger::report_progress(
        &w.db,
        &w.head_a,
        &id,
        &progress("进展", "2"),
        &photo(&w).await,
        &w.files,
        now(),
    )
    .await);
    let (sha, kind, name) = ok(ledger::attachment_for_download(
        &w.db,
        &w.head_a,
        &ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await).progress[0].attachments[0].id,
    )
    .await);
    assert_eq!(kind, app::ledger::evidence::FileKind::Jpeg);
    assert_eq!(name, "现场.jpg");
    let stored = std::fs::read(ledger::stored_path(&w.files, &sha)).unwrap_or_default();
    assert_eq!(stored, JPEG);
}

#[tokio::test]
async fn tampering_with_the_history_is_found() {
    let w = world().await;
    let _ = working_item(&w, "violation", "2026-12-31").await;
    assert_eq!(ok(ledger::verify_ledger(&w.db).await).first_break, None);
    w.db.query("UPDATE event SET after = '{\"status\":\"closed\"}' WHERE seq = 3")
        .await
        .and_then(|r| r.check())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ok(ledger::verify_ledger(&w.db).await).first_break,
        Some(app::ledger::chain::Break::Altered { seq: 3 })
    );
    w.db.query("DELETE event WHERE seq = 3")
        .await
        .and_then(|r| r.check())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ok(ledger::verify_ledger(&w.db).await).first_break,
        Some(app::ledger::chain::Break::Missing { after_seq: 2 })
    );
}

#[tokio::test]
async fn measures_are_marked_done_by_the_unit_only() {
    let w = world().await;
    let id = working_item(&w, "violation", "2026-12-31").await;
    let m = ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await).measures[0]
        .id
        .clone();
    assert_eq!(
        ledger::complete_measure(&w.db, &w.central, &id, &m, now()).await,
        Err(AppError::Forbidden)
    );
    ok(ledger::complete_measure(&w.db, &w.handler_a, &id, &m, now()).await);
    assert_eq!(
        ledger::complete_measure(&w.db, &w.handler_a, &id, &m, now()).await,
        Err(AppError::WrongState)
    );
    let d = ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await);
    assert_eq!(d.measures[0].done_on.as_deref(), Some("2026-11-27"));
    let _ = &w.unit_b;
}

#[tokio::test]
async fn the_central_office_records_accountability_and_keeps_the_lists() {
    let w = world().await;
    let id = working_item(&w, "violation", "2026-12-31").await;
    assert_eq!(
        ledger::record_accountability(&w.db, &w.head_a, &id, "约谈", now()).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        ledger::record_accountability(&w.db, &w.central, &id, "", now()).await,
        Err(AppError::invalid(Field::Text, Problem::Required))
    );
    ok(
        ledger::record_accountability(&w.db, &w.central, &id, "对单位主要负责人进行约谈", now())
            .await,
    );
    let d = ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await);
    assert_eq!(
        d.accountability.as_deref(),
        Some("对单位主要负责人进行约谈")
    );
    assert!(
        d.timeline
            .iter()
            .any(|e| e.action == "record_accountability")
    );
    // The editable lists: the administrator adds a category; names stay unique. The
    // unit's list has been read first, so the names it keeps are those from before.
    assert!(!ok(ledger::unit_items(&w.db, &w.head_a, now()).await).is_empty());
    ok(ledger::add_list_entry(
        &w.db,
        &w.admin,
        "category",
        "违规设置议事协调机构",
        "Unapproved coordination body",
    )
    .await);
    assert_eq!(
        ledger::add_list_entry(&w.db, &w.admin, "category", "违规设置议事协调机构", "Again").await,
        Err(AppError::invalid(Field::Name, Problem::Taken))
    );
    assert_eq!(
        ledger::add_list_entry(&w.db, &w.head_a, "source", "自查", "Self").await,
        Err(AppError::Forbidden)
    );
    let categories = ok(ledger::list_categories(&w.db).await);
    assert_eq!(categories.len(), 7);
    assert_eq!(
        categories.last().map(|c| c.name.as_str()),
        Some("违规设置议事协调机构")
    );
    // A registration can use the new category at once, and lists name it at once.
    let mut item = new_item(&w.unit_a, "violation", "2026-12-31");
    item.category = categories[6].code.clone();
    let (new_id, _) = ok(ledger::register_item(&w.db, &w.central, &item, now()).await);
    let mine = ok(ledger::unit_items(&w.db, &w.head_a, now()).await);
    let Some(listed) = mine.iter().find(|s| s.id == new_id) else {
        panic!("the new item is not in the unit's list");
    };
    assert_eq!(listed.category.name, "违规设置议事协调机构");
    assert_eq!(listed.category.name_en, "Unapproved coordination body");
    let d = ok(ledger::get_item(&w.db, &w.head_a, &new_id, now()).await);
    assert_eq!(d.summary.category.name, "违规设置议事协调机构");
}

#[tokio::test]
async fn a_persons_files_of_a_day_stop_at_the_quota_even_when_sent_at_once() {
    use app::ledger::evidence::DAILY_FILE_BYTES;
    use app::ledger::quota;
    let w = world().await;
    // Eight parallel submissions of a quarter each: four are counted, four refused.
    let quarter = DAILY_FILE_BYTES / 4;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (db, who) = (w.db.clone(), w.head_b.id.clone());
            tokio::spawn(async move { quota::take(&db, &who, quarter, now()).await })
        })
        .collect();
    let mut counted = 0;
    for t in tasks {
        if ok(t.await.unwrap_or_else(|e| panic!("{e}"))) {
            counted += 1;
        }
    }
    assert_eq!(counted, 4);
    // A report that would take the day past the quota is refused and stores nothing.
    let id = working_item(&w, "violation", "2026-12-31").await;
    assert!(ok(quota::take(
        &w.db,
        &w.head_a.id,
        DAILY_FILE_BYTES - 1,
        now()
    )
    .await));
    let photos = photo(&w).await;
    assert_eq!(
        ledger::report_progress(
            &w.db,
            &w.head_a,
            &id,
            &progress("现场照片", ""),
            &photos,
            &w.files,
            now()
        )
        .await,
        Err(AppError::invalid(
            Field::Files,
            Problem::QuotaUsed { max_mb: 500 }
        ))
    );
    let sha = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(JPEG))
    };
    assert!(!ledger::stored_path(&w.files, &sha).exists());
    assert!(
        ok(ledger::get_item(&w.db, &w.head_a, &id, now()).await)
            .progress
            .is_empty()
    );
    // The next day (China time) the quota starts again.
    let tomorrow = now() + Duration::days(1);
    ok(ledger::report_progress(
        &w.db,
        &w.head_a,
        &id,
        &progress("现场照片", ""),
        &photos,
        &w.files,
        tomorrow,
    )
    .await);
    assert!(ledger::stored_path(&w.files, &sha).exists());
}
