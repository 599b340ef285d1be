//! Look-back campaigns against the real database (SurrealDB in memory): the states of a
//! return, who may see and do what, a replayed submission stored once, a parallel
//! update flagged and never applied, acceptance feeding the ledger, and on-site
//! verification.

mod support;

use app::AppError;
use app::campaigns::rules::{
    CampaignDraft, CampaignForm, CampaignKind, Question, QuestionKind, Sent, Standing, Target,
};
use app::campaigns::service::{self as campaigns, FormFile};
use app::campaigns::{Outcome, ReturnView};
use app::db::Db;
use app::error::Problem;
use app::ledger::incoming::Incoming;
use app::ledger::service as ledger;
use app::ledger::{ItemFilter, calendar::parse_date};
use std::path::PathBuf;
use support::{World, at, ok, user, world};

const PHOTO: &[u8] = include_bytes!("../src/demo/evidence.png");

fn files_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rectify-campaigns-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn draft() -> CampaignDraft {
    CampaignDraft {
        name: "2026年整改回头看".into(),
        kind: CampaignKind::Special,
        opens: parse_date("2026-12-01").unwrap_or_default(),
        closes: parse_date("2026-12-10").unwrap_or_default(),
        form: CampaignForm {
            questions: vec![Question {
                id: "q0".into(),
                kind: QuestionKind::YesNo,
                label: "是否完成自查".into(),
                choices: vec![],
                required: true,
            }],
            targets: vec![Target {
                id: "t0".into(),
                label: "清退编外人员".into(),
                goal: 211,
            }],
        },
    }
}

/// A campaign over 海陵区 and 高港区, units filing their own returns too, opened.
async fn campaign(w: &World) -> String {
    let districts = vec![
        app::db::key_of(&w.district_record()),
        other_district(&w.db).await,
    ];
    let id = ok(campaigns::create_campaign(
        &w.db,
        &w.central,
        &draft(),
        &districts,
        &[],
        true,
        at("2026-12-01"),
    )
    .await);
    ok(campaigns::open_campaign(&w.db, &w.central, &id, at("2026-12-01")).await);
    id
}

async fn other_district(db: &Db) -> String {
    let ids: Vec<surrealdb::types::RecordId> = db
        .query("SELECT VALUE id FROM district WHERE code = 'GG'")
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_else(|e| panic!("{e}"));
    app::db::key_of(&ids[0])
}

trait DistrictOf {
    fn district_record(&self) -> surrealdb::types::RecordId;
}

impl DistrictOf for World {
    fn district_record(&self) -> surrealdb::types::RecordId {
        match &self.district.scope {
            app::auth::Scope::District { id, .. } => app::db::record("district", id),
            _ => panic!("district office without district"),
        }
    }
}

fn pairs(p: &[(&str, &str)]) -> Sent {
    let v: Vec<(String, String)> = p
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Sent::new(&v, std::iter::empty())
}

/// The files under `dir`, stored or waiting to be.
fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| match e.file_type() {
                Ok(t) if t.is_dir() => files_under(&e.path()),
                _ => 1,
            })
            .sum()
    })
}

/// A photo as the form brings it, received into `dir`.
async fn photo(input: &str, dir: &std::path::Path) -> FormFile {
    FormFile {
        input: input.into(),
        file: ok(Incoming::from_bytes(dir, "现场.png", PHOTO).await),
        taken_ms: Some(1_795_000_000_000),
    }
}

/// The district office's return in the campaign.
async fn district_return(w: &World, campaign: &str) -> ReturnView {
    let list = ok(campaigns::list_campaigns(&w.db, &w.district, at("2026-12-02")).await);
    let line = list
        .iter()
        .find(|c| c.id == campaign)
        .unwrap_or_else(|| panic!("campaign not listed"));
    assert_eq!(line.mine.len(), 1, "one return for the district office");
    ok(campaigns::return_view(&w.db, &w.district, &line.mine[0].0, at("2026-12-02")).await)
}

/// A complete return: the item in progress, yes, 50 cleared, one new problem with a photo.
fn complete(r: &ReturnView, unit: &str) -> Sent {
    let item = r.items[0].key.clone();
    let mut p = vec![
        (format!("status-{item}"), "in_progress".to_string()),
        (format!("note-{item}"), "已清退 1 人".to_string()),
        ("answer-q0".into(), "yes".into()),
        ("target-t0".into(), "50".into()),
        ("new-0-unit".into(), unit.to_string()),
        ("new-0-category".into(), "irregular_hiring".into()),
        ("new-0-nature".into(), "violation".into()),
        ("new-0-description".into(), "自查发现编外聘用 3 人".into()),
        ("new-0-deadline".into(), "2027-03-31".into()),
        ("new-0-head".into(), "张局长".into()),
    ];
    p.push(("new-1-category".into(), "irregular_hiring".into()));
    Sent::new(&p, std::iter::empty())
}

#[tokio::test]
async fn opening_attaches_the_open_items_and_gives_every_place_its_return() {
    let w = world().await;
    let id = campaign(&w).await;
    let view = ok(campaigns::campaign_view(&w.db, &w.central, &id, at("2026-12-02")).await);
    assert_eq!(view.items.len(), 1, "the one open item in scope");
    // Two district returns and one per unit (one unit in each district).
    assert_eq!(view.progress.len(), 4);
    assert!(
        view.progress
            .iter()
            .all(|p| p.standing == Standing::Pending)
    );
    // Opening twice is refused; nothing doubles.
    assert_eq!(
        campaigns::open_campaign(&w.db, &w.central, &id, at("2026-12-02")).await,
        Err(AppError::WrongState)
    );
    let r = district_return(&w, &id).await;
    assert_eq!(r.items.len(), 1);
    assert!(r.editable);
    // The unit head sees the unit's return only.
    let mine = ok(campaigns::list_campaigns(&w.db, &w.head, at("2026-12-02")).await);
    assert_eq!(mine[0].mine.len(), 1);
    let unit_view = ok(campaigns::campaign_view(&w.db, &w.head, &id, at("2026-12-02")).await);
    assert_eq!(unit_view.progress.len(), 1);
    assert!(unit_view.items.is_empty() && unit_view.verifiers.is_empty());
}

#[tokio::test]
async fn scopes_are_checked_on_the_server() {
    let w = world().await;
    let id = campaign(&w).await;
    let r = district_return(&w, &id).await;
    let gg = other_district(&w.db).await;
    let gaogang = user(&w.db, "gaogang", "district_office", &gg, "").await;
    let business = user(&w.db, "biz", "business_division", "", "").await;
    let partner = support::account(
        &w.db,
        app::admin::NewUser {
            username: "xunchaban".into(),
            display_name: "巡察办".into(),
            role: "partner".into(),
            partner: "inspection".into(),
            ..Default::default()
        },
    )
    .await;
    let dir = files_dir("scopes");
    let send = |u: app::auth::SessionUser, cid: &'static str| {
        let w_db = w.db.clone();
        let rid = r.id.clone();
        let dir = dir.clone();
        async move {
            campaigns::submit_return(
                &w_db,
                &u,
                &rid,
                &pairs(&[]),
                &[],
                cid,
                0,
                false,
                &dir,
                at("2026-12-02"),
            )
            .await
        }
    };
    // Another district's office, a unit head and a partner do not even see the return.
    assert_eq!(
        campaigns::return_view(&w.db, &gaogang, &r.id, at("2026-12-02"))
            .await
            .err(),
        Some(AppError::NotFound)
    );
    assert_eq!(
        send(gaogang.clone(), "client-gaogang-1").await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        send(w.head.clone(), "client-head-0001").await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        send(partner.clone(), "client-partner-1").await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        campaigns::campaign_view(&w.db, &partner, &id, at("2026-12-02"))
            .await
            .err(),
        Some(AppError::NotFound)
    );
    // The business division reads but neither fills nor reviews.
    assert!(
        campaigns::return_view(&w.db, &business, &r.id, at("2026-12-02"))
            .await
            .is_ok()
    );
    assert_eq!(
        send(business.clone(), "client-business").await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        campaigns::review_return(&w.db, &business, &r.id, true, "", at("2026-12-02")).await,
        Err(AppError::Forbidden)
    );
    // Only the central office creates, opens and closes campaigns and plans visits.
    assert_eq!(
        campaigns::create_campaign(
            &w.db,
            &w.district,
            &draft(),
            std::slice::from_ref(&gg),
            &[],
            false,
            at("2026-12-01")
        )
        .await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        campaigns::close_campaign(&w.db, &w.district, &id, at("2026-12-02")).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        campaigns::plan_verification(
            &w.db,
            &w.district,
            Some(&id),
            "",
            std::slice::from_ref(&w.item),
            &w.district.id,
            "2026-12-05",
            at("2026-12-02")
        )
        .await,
        Err(AppError::Forbidden)
    );
    // Nothing was written by any of the refused calls.
    let again = ok(campaigns::return_view(&w.db, &w.district, &r.id, at("2026-12-02")).await);
    assert_eq!(again.version, 0);
}

#[tokio::test]
async fn a_return_goes_from_draft_to_accepted_and_feeds_the_ledger() {
    let w = world().await;
    let id = campaign(&w).await;
    let r = district_return(&w, &id).await;
    let dir = files_dir("states");
    let unit = r.units[0].0.clone();
    let item = r.items[0].key.clone();
    // A draft may be incomplete.
    let saved = campaigns::submit_return(
        &w.db,
        &w.district,
        &r.id,
        &pairs(&[("answer-q0", "yes")]),
        &[],
        "draft-000001",
        0,
        false,
        &dir,
        at("2026-12-02"),
    )
    .await;
    assert_eq!(saved, Ok(Outcome::Saved));
    // A submission names every missing input, and changes nothing.
    let refused = campaigns::submit_return(
        &w.db,
        &w.district,
        &r.id,
        &pairs(&[]),
        &[],
        "submit-00001",
        1,
        true,
        &dir,
        at("2026-12-02"),
    )
    .await;
    match refused {
        Err(AppError::Form(problems)) => {
            assert!(
                problems
                    .iter()
                    .any(|p| p.input == format!("status-{item}") && p.problem == Problem::Required)
            );
            assert!(problems.iter().any(|p| p.input == "answer-q0"));
        }
        other => panic!("expected the form's problems, got {other:?}"),
    }
    assert_eq!(
        ok(campaigns::return_view(&w.db, &w.district, &r.id, at("2026-12-02")).await).version,
        1
    );
    // The complete return with a photo of the new problem.
    let sent = campaigns::submit_return(
        &w.db,
        &w.district,
        &r.id,
        &complete(&r, &unit),
        &[photo("new-0-photo", &dir).await],
        "submit-00002",
        1,
        true,
        &dir,
        at("2026-12-03"),
    )
    .await;
    assert_eq!(sent, Ok(Outcome::Submitted));
    let v = ok(campaigns::return_view(&w.db, &w.district, &r.id, at("2026-12-03")).await);
    assert_eq!(v.standing, Standing::Submitted);
    assert!(!v.editable, "with the reviewer now");
    assert_eq!(v.content.files.len(), 1);
    assert_eq!(
        v.content.files[0].taken_at, "2026-11-18 19:06",
        "the phone's time, in Shanghai"
    );
    // Not editable while submitted.
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.district,
            &r.id,
            &complete(&r, &unit),
            &[],
            "submit-00003",
            2,
            true,
            &dir,
            at("2026-12-03")
        )
        .await,
        Err(AppError::WrongState)
    );
    // Sent back: comments are required.
    assert!(matches!(
        campaigns::review_return(&w.db, &w.central, &r.id, false, " ", at("2026-12-04")).await,
        Err(AppError::Validation { .. })
    ));
    ok(campaigns::review_return(
        &w.db,
        &w.central,
        &r.id,
        false,
        "请补充佐证",
        at("2026-12-04"),
    )
    .await);
    let v = ok(campaigns::return_view(&w.db, &w.district, &r.id, at("2026-12-04")).await);
    assert_eq!(v.standing, Standing::Returned);
    assert_eq!(v.comments.as_deref(), Some("请补充佐证"));
    assert!(v.editable);
    // Submitted again (the photo is kept from before), then accepted.
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.district,
            &r.id,
            &complete(&r, &unit),
            &[],
            "submit-00004",
            v.version,
            true,
            &dir,
            at("2026-12-05")
        )
        .await,
        Ok(Outcome::Submitted)
    );
    let numbers =
        ok(campaigns::review_return(&w.db, &w.central, &r.id, true, "", at("2026-12-06")).await);
    assert_eq!(numbers.len(), 1);
    let v = ok(campaigns::return_view(&w.db, &w.central, &r.id, at("2026-12-06")).await);
    assert_eq!(v.standing, Standing::Accepted);
    assert_eq!(v.registered, numbers);
    // The new problem is a ledger item with source 自查回头看, in the unit's scope.
    let found = ok(ledger::list_items(
        &w.db,
        &w.central,
        &ItemFilter {
            q: numbers[0].clone(),
            ..ItemFilter::default()
        },
        at("2026-12-06"),
    )
    .await);
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].source.code, "look_back");
    let detail = ok(ledger::get_item(&w.db, &w.head, &found.items[0].id, at("2026-12-06")).await);
    assert_eq!(detail.summary.description, "自查发现编外聘用 3 人");
    // The attached item's status went into its checks and history.
    let item_rec = app::db::record("item", &item);
    let checks = ok(campaigns::item_checks(&w.db, &item_rec).await);
    assert_eq!(checks.len(), 1);
    assert_eq!(
        (checks[0].kind.as_str(), checks[0].outcome.as_str()),
        ("look_back", "in_progress")
    );
    let history = ok(ledger::get_item(&w.db, &w.central, &item, at("2026-12-06")).await);
    assert!(history.timeline.iter().any(|e| e.action == "look_back"));
    assert!(ok(ledger::verify_ledger(&w.db).await).first_break.is_none());
    // The campaign's progress counts the target and the answer.
    let view = ok(campaigns::campaign_view(&w.db, &w.central, &id, at("2026-12-06")).await);
    assert_eq!(view.targets[0].1, 50);
    assert_eq!(
        view.summaries[0],
        app::campaigns::rules::Summary::YesNo(1, 0)
    );
    // Accepted is final.
    assert_eq!(
        campaigns::review_return(&w.db, &w.central, &r.id, true, "", at("2026-12-07")).await,
        Err(AppError::WrongState)
    );
    // Sent from an older version (as a submission without its version is), with a
    // photo: refused, and neither a parallel update nor a file is kept.
    let late = files_dir("accepted-late");
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.district,
            &r.id,
            &complete(&r, &unit),
            &[photo(&format!("evidence-{item}"), &late).await],
            "late-00001",
            0,
            true,
            &late,
            at("2026-12-07")
        )
        .await,
        Err(AppError::WrongState)
    );
    let v = ok(campaigns::return_view(&w.db, &w.central, &r.id, at("2026-12-07")).await);
    assert!(v.conflicts.is_empty());
    assert_eq!(files_under(&late), 0);
}

#[tokio::test]
async fn a_replayed_submission_is_stored_once() {
    let w = world().await;
    let id = campaign(&w).await;
    let r = district_return(&w, &id).await;
    let dir = files_dir("replay");
    let unit = r.units[0].0.clone();
    for _ in 0..3 {
        let o = campaigns::submit_return(
            &w.db,
            &w.district,
            &r.id,
            &complete(&r, &unit),
            &[photo("new-0-photo", &dir).await],
            "device-replay-1",
            0,
            true,
            &dir,
            at("2026-12-03"),
        )
        .await;
        assert_eq!(o, Ok(Outcome::Submitted), "the same answer every time");
    }
    let v = ok(campaigns::return_view(&w.db, &w.central, &r.id, at("2026-12-03")).await);
    assert_eq!(v.version, 1, "applied once");
    assert!(v.conflicts.is_empty(), "a replay is not a parallel update");
    let receipts: Vec<i64> =
        w.db.query("RETURN count((SELECT id FROM submission))")
            .await
            .and_then(|mut x| x.take(0))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(receipts, vec![1]);
    // The same id for another return is refused, not taken as a replay.
    let unit_return = ok(campaigns::list_campaigns(&w.db, &w.head, at("2026-12-03")).await)[0].mine
        [0]
    .0
    .clone();
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.head,
            &unit_return,
            &pairs(&[]),
            &[],
            "device-replay-1",
            0,
            false,
            &dir,
            at("2026-12-03")
        )
        .await,
        Err(AppError::BadRequest)
    );
}

#[tokio::test]
async fn a_parallel_update_is_flagged_for_the_reviewer_and_overwrites_nothing() {
    let w = world().await;
    let id = campaign(&w).await;
    let r = district_return(&w, &id).await;
    let dir = files_dir("parallel");
    let item = r.items[0].key.clone();
    let colleague = user(
        &w.db,
        "hailing2",
        "district_office",
        &app::db::key_of(&w.district_record()),
        "",
    )
    .await;
    // Two phones opened version 0; the first saves, the second sends on the old version.
    let first = pairs(&[
        (&format!("status-{item}"), "in_progress"),
        ("answer-q0", "yes"),
    ]);
    let second = pairs(&[
        (&format!("status-{item}"), "not_started"),
        ("answer-q0", "no"),
    ]);
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.district,
            &r.id,
            &first,
            &[],
            "phone-a-00001",
            0,
            false,
            &dir,
            at("2026-12-03")
        )
        .await,
        Ok(Outcome::Saved)
    );
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &colleague,
            &r.id,
            &second,
            &[],
            "phone-b-00001",
            0,
            true,
            &dir,
            at("2026-12-03")
        )
        .await,
        Ok(Outcome::Conflict)
    );
    let v = ok(campaigns::return_view(&w.db, &w.central, &r.id, at("2026-12-03")).await);
    assert_eq!(v.version, 1);
    assert_eq!(
        v.content.answers.answers.get("q0").map(String::as_str),
        Some("yes"),
        "not overwritten"
    );
    assert_eq!(v.conflicts.len(), 1);
    assert_eq!(v.conflicts[0].base_version, 0);
    assert_eq!(
        v.conflicts[0]
            .content
            .answers
            .answers
            .get("q0")
            .map(String::as_str),
        Some("no")
    );
    let progress =
        ok(campaigns::campaign_view(&w.db, &w.central, &id, at("2026-12-03")).await).progress;
    assert!(
        progress.iter().any(|p| p.conflicts == 1),
        "flagged on the campaign's progress"
    );
    // The reviewer takes the parallel version: it becomes the return (and was a submission).
    ok(campaigns::resolve_conflict(
        &w.db,
        &w.central,
        &v.conflicts[0].id,
        true,
        at("2026-12-04"),
    )
    .await);
    let v = ok(campaigns::return_view(&w.db, &w.central, &r.id, at("2026-12-04")).await);
    assert_eq!(
        v.content.answers.answers.get("q0").map(String::as_str),
        Some("no")
    );
    assert_eq!(v.standing, Standing::Submitted);
    assert!(v.conflicts.is_empty());
}

#[tokio::test]
async fn late_and_missing_follow_the_window() {
    let w = world().await;
    let id = campaign(&w).await;
    let r = district_return(&w, &id).await;
    let dir = files_dir("window");
    let after = at("2026-12-11");
    let view = ok(campaigns::campaign_view(&w.db, &w.central, &id, after).await);
    assert!(
        view.progress
            .iter()
            .all(|p| p.standing == Standing::Missing)
    );
    let item = r.items[0].key.clone();
    let sent = pairs(&[
        (&format!("status-{item}"), "not_started"),
        ("answer-q0", "no"),
    ]);
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.district,
            &r.id,
            &sent,
            &[],
            "late-0000001",
            0,
            true,
            &dir,
            after
        )
        .await,
        Ok(Outcome::Submitted)
    );
    let v = ok(campaigns::return_view(&w.db, &w.central, &r.id, after).await);
    assert_eq!(v.standing, Standing::Late);
    // Closed: no more submissions.
    ok(campaigns::close_campaign(&w.db, &w.central, &id, after).await);
    let unit_return = ok(campaigns::list_campaigns(&w.db, &w.head, after).await)[0].mine[0]
        .0
        .clone();
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.head,
            &unit_return,
            &pairs(&[]),
            &[],
            "closed-000001",
            0,
            false,
            &dir,
            after
        )
        .await,
        Err(AppError::WrongState)
    );
}

#[tokio::test]
async fn an_on_site_verification_updates_the_ledger() {
    let w = world().await;
    let id = campaign(&w).await;
    let dir = files_dir("visit");
    let key = ok(campaigns::plan_verification(
        &w.db,
        &w.central,
        Some(&id),
        "",
        std::slice::from_ref(&w.item),
        &w.district.id,
        "2026-12-05",
        at("2026-12-02"),
    )
    .await);
    // Someone else may not record it; the verifier's list shows it.
    assert!(
        ok(campaigns::my_verifications(&w.db, &w.district).await)
            .iter()
            .any(|v| v.id == key)
    );
    let v = ok(campaigns::verification_view(&w.db, &w.district, &key, at("2026-12-05")).await);
    assert!(v.editable);
    let unit = v.units[0].0.clone();
    let fields = vec![
        ("visited_on".to_string(), "2026-12-05".to_string()),
        ("people".into(), "张三、李四;单位:王五".into()),
        (format!("finding-{}", w.item), "partly".into()),
        (format!("fnote-{}", w.item), "仍有 1 人未清退".into()),
        ("new-0-unit".into(), unit),
        ("new-0-category".into(), "irregular_hiring".into()),
        ("new-0-description".into(), "现场发现临时聘用 2 人".into()),
        ("new-0-deadline".into(), "2027-02-28".into()),
        ("new-0-head".into(), "张局长".into()),
    ];
    let sent = Sent::new(&fields, std::iter::empty());
    assert_eq!(
        campaigns::record_verification(
            &w.db,
            &w.head,
            &key,
            &sent,
            &[],
            "visit-head-0001",
            0,
            &dir,
            at("2026-12-05")
        )
        .await,
        Err(AppError::NotFound)
    );
    for _ in 0..2 {
        assert_eq!(
            campaigns::record_verification(
                &w.db,
                &w.district,
                &key,
                &sent,
                &[photo("photos", &dir).await],
                "visit-0000001",
                0,
                &dir,
                at("2026-12-05")
            )
            .await,
            Ok(Outcome::Submitted)
        );
    }
    // Recorded from another device meanwhile: refused, nothing overwritten.
    assert_eq!(
        campaigns::record_verification(
            &w.db,
            &w.district,
            &key,
            &sent,
            &[],
            "visit-0000002",
            0,
            &dir,
            at("2026-12-05")
        )
        .await,
        Err(AppError::WrongState)
    );
    let v = ok(campaigns::verification_view(&w.db, &w.central, &key, at("2026-12-05")).await);
    assert!(v.recorded);
    assert_eq!(v.registered.len(), 1, "the new problem registered once");
    let checks = ok(campaigns::item_checks(&w.db, &app::db::record("item", &w.item)).await);
    assert_eq!(checks.len(), 1);
    assert_eq!(
        (checks[0].kind.as_str(), checks[0].outcome.as_str()),
        ("on_site", "partly")
    );
    assert_eq!(checks[0].files.len(), 1);
    let found = ok(ledger::list_items(
        &w.db,
        &w.central,
        &ItemFilter {
            q: v.registered[0].clone(),
            ..ItemFilter::default()
        },
        at("2026-12-05"),
    )
    .await);
    assert_eq!(found.items[0].source.code, "on_site");
    assert!(ok(ledger::verify_ledger(&w.db).await).first_break.is_none());
    // The photo is served to those who see the item, not to another unit.
    let sha = checks[0].files[0].sha256.clone();
    let owner = format!("c-{}", checks[0].id);
    assert!(
        campaigns::file_for_download(&w.db, &w.head, &owner, &sha)
            .await
            .is_ok()
    );
    assert_eq!(
        campaigns::file_for_download(&w.db, &w.other_head, &owner, &sha)
            .await
            .err(),
        Some(AppError::NotFound)
    );
}

#[tokio::test]
async fn returns_not_in_are_reminded_through_the_ladder() {
    use app::reminders::service as reminders;
    let w = world().await;
    let id = campaign(&w).await;
    let r = district_return(&w, &id).await;
    let dir = files_dir("remind");
    let of_returns = |list: Vec<app::reminders::InboxEntry>| -> Vec<(String, String)> {
        list.into_iter()
            .filter(|e| e.link.starts_with("/returns/"))
            .map(|e| (e.rule, e.link))
            .collect()
    };
    // The campaign closes on 2026-12-10: T-7 is 2026-12-03.
    ok(reminders::tick(&w.db, "a", at("2026-12-02")).await);
    assert!(of_returns(ok(reminders::inbox(&w.db, &w.district).await)).is_empty());
    ok(reminders::tick(&w.db, "a", at("2026-12-03")).await);
    let got = of_returns(ok(reminders::inbox(&w.db, &w.district).await));
    assert_eq!(
        got,
        vec![("return_t7".to_string(), format!("/returns/{}", r.id))]
    );
    // The unit's own return reminds the unit's head (and contact), not the district.
    let head = of_returns(ok(reminders::inbox(&w.db, &w.head).await));
    assert_eq!(head.len(), 1);
    assert_ne!(head[0].1, got[0].1);
    // Submitted: no T-1 for the district; the unit, still missing, gets it.
    let item = r.items[0].key.clone();
    let sent = pairs(&[
        (&format!("status-{item}"), "in_progress"),
        ("answer-q0", "yes"),
    ]);
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.district,
            &r.id,
            &sent,
            &[],
            "remind-00001",
            0,
            true,
            &dir,
            at("2026-12-05")
        )
        .await,
        Ok(Outcome::Submitted)
    );
    ok(reminders::tick(&w.db, "a", at("2026-12-09")).await);
    assert_eq!(
        of_returns(ok(reminders::inbox(&w.db, &w.district).await)).len(),
        1
    );
    let head = of_returns(ok(reminders::inbox(&w.db, &w.head).await));
    assert!(head.iter().any(|(rule, _)| rule == "return_t1"));
}

#[tokio::test]
async fn a_return_can_carry_more_new_problems_than_the_first_blank_rows() {
    let w = world().await;
    let id = campaign(&w).await;
    let r = district_return(&w, &id).await;
    assert_eq!(r.spec.rows, 2);
    let dir = files_dir("rows");
    let unit = r.units[0].0.clone();
    let row = |n: usize| -> Vec<(String, String)> {
        vec![
            (format!("new-{n}-unit"), unit.clone()),
            (format!("new-{n}-category"), "irregular_hiring".into()),
            (format!("new-{n}-description"), format!("新问题 {n}")),
            (format!("new-{n}-deadline"), "2027-03-31".into()),
            (format!("new-{n}-head"), "张局长".into()),
        ]
    };
    let two: Vec<(String, String)> = row(0).into_iter().chain(row(1)).collect();
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.district,
            &r.id,
            &Sent::new(&two, std::iter::empty()),
            &[],
            "rows-0000001",
            0,
            false,
            &dir,
            at("2026-12-02")
        )
        .await,
        Ok(Outcome::Saved)
    );
    // Coming back, two blank rows follow the two filled ones.
    let v = ok(campaigns::return_view(&w.db, &w.district, &r.id, at("2026-12-02")).await);
    assert_eq!(v.spec.rows, 4);
    let three: Vec<(String, String)> = two.into_iter().chain(row(2)).collect();
    assert_eq!(
        campaigns::submit_return(
            &w.db,
            &w.district,
            &r.id,
            &Sent::new(&three, std::iter::empty()),
            &[],
            "rows-0000002",
            1,
            false,
            &dir,
            at("2026-12-02")
        )
        .await,
        Ok(Outcome::Saved)
    );
    let v = ok(campaigns::return_view(&w.db, &w.district, &r.id, at("2026-12-02")).await);
    assert_eq!(v.content.answers.new_problems.len(), 3);
    assert_eq!(v.spec.rows, 5);
}
