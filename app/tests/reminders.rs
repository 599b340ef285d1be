//! The reminder scheduler against a fresh in-memory SurrealDB, with a moved clock.
#![cfg(feature = "ssr")]

mod support;

use app::AppError;
use app::admin::NewUser;
use app::auth::SessionUser;
use app::db::Db;
use app::ledger::service as ledger;
use app::reminders::service as reminders;
use chrono::Duration;
use support::*;

/// The item reminders in a person's inbox (the weekly summary has tests of its own).
async fn rules_of(w: &World, who: &SessionUser) -> Vec<String> {
    let mut rules: Vec<String> = ok(reminders::inbox(&w.db, who).await)
        .into_iter()
        .map(|e| e.rule)
        .filter(|r| r != "weekly_summary")
        .collect();
    rules.sort();
    rules
}

#[tokio::test]
async fn the_right_people_get_the_right_reminders_as_the_clock_moves() {
    let w = world().await;
    // Nothing falls due on the day of issue.
    assert!(ok(reminders::tick(&w.db, "a", at("2026-11-01")).await).is_empty());
    // T-30: the unit head and the handler.
    let digests = ok(reminders::tick(&w.db, "a", at("2026-12-01")).await);
    assert_eq!(digests.len(), 2);
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t30"]);
    assert_eq!(rules_of(&w, &w.handler).await, ["deadline_t30"]);
    assert!(rules_of(&w, &w.district).await.is_empty());
    // Ticking again at the same time sends nothing more.
    assert!(ok(reminders::tick(&w.db, "a", at("2026-12-01")).await).is_empty());
    // Measure T-3 goes to the unit's contact, who passes it to the named owner.
    ok(reminders::tick(&w.db, "a", at("2026-12-12")).await);
    assert_eq!(
        rules_of(&w, &w.handler).await,
        ["deadline_t30", "measure_t3"]
    );
    for day in [
        "2026-12-15",
        "2026-12-24",
        "2026-12-28",
        "2026-12-30",
        "2026-12-31",
    ] {
        ok(reminders::tick(&w.db, "a", at(day)).await);
    }
    assert_eq!(
        rules_of(&w, &w.head).await,
        [
            "deadline_t0",
            "deadline_t1",
            "deadline_t3",
            "deadline_t30",
            "deadline_t7"
        ]
    );
    // Overdue day 1: the unit head and the district office; day 7: the central office.
    ok(reminders::tick(&w.db, "a", at("2027-01-01")).await);
    assert_eq!(rules_of(&w, &w.district).await, ["overdue_1"]);
    assert!(rules_of(&w, &w.central).await.is_empty());
    ok(reminders::tick(&w.db, "a", at("2027-01-07")).await);
    assert_eq!(rules_of(&w, &w.central).await, ["overdue_7"]);
    ok(reminders::tick(&w.db, "a", at("2027-01-14")).await);
    assert_eq!(rules_of(&w, &w.central).await, ["overdue_7", "overdue_7"]);
    // Nobody outside the item's unit and district hears of it.
    assert!(rules_of(&w, &w.other_head).await.is_empty());
    // Inbox: unread count, mark read; another person's reminder is not found.
    assert_eq!(ok(reminders::unread_count(&w.db, &w.head).await), 6);
    let first = ok(reminders::inbox(&w.db, &w.head).await)[0].id.clone();
    ok(reminders::mark_read(&w.db, &w.head, &first, at("2027-01-14")).await);
    assert_eq!(ok(reminders::unread_count(&w.db, &w.head).await), 5);
    assert_eq!(
        reminders::mark_read(&w.db, &w.other_head, &first, at("2027-01-14")).await,
        Err(AppError::NotFound)
    );
}

#[tokio::test]
async fn two_schedulers_on_one_database_deliver_each_reminder_once() {
    let w = world().await;
    let now = at("2026-12-01");
    let (a, b) = tokio::join!(
        reminders::tick(&w.db, "a", now),
        reminders::tick(&w.db, "b", now)
    );
    let delivered: usize = [ok(a), ok(b)]
        .iter()
        .flat_map(|d| d.iter().map(|x| x.reminders.len()))
        .sum();
    assert_eq!(delivered, 2);
    assert_eq!(ok(reminders::inbox(&w.db, &w.head).await).len(), 1);
}

/// Four schedulers on four threads race through the same day: a write conflict between
/// their transactions (reported on the COMMIT, the statements before it only "not
/// executed") is retried, never returned as an error, and each reminder arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn schedulers_racing_on_threads_deliver_each_reminder_once() {
    let w = world().await;
    let now = at("2026-12-01");
    let racers: Vec<_> = (0..4)
        .map(|i| {
            let db = w.db.clone();
            tokio::spawn(async move { reminders::tick(&db, &format!("racer-{i}"), now).await })
        })
        .collect();
    let mut delivered = 0;
    for racer in racers {
        let digests = ok(racer
            .await
            .unwrap_or_else(|e| panic!("a scheduler panicked: {e}")));
        delivered += digests.iter().map(|d| d.reminders.len()).sum::<usize>();
    }
    // A racer that lost every try leaves its work to the next run.
    let after = ok(reminders::tick(&w.db, "late", now).await);
    delivered += after.iter().map(|d| d.reminders.len()).sum::<usize>();
    assert_eq!(
        delivered, 2,
        "T-30 to the unit head and the handler, once each"
    );
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t30"]);
    assert_eq!(rules_of(&w, &w.handler).await, ["deadline_t30"]);
}

#[tokio::test]
async fn a_crash_after_claiming_loses_nothing_and_sends_nothing_twice() {
    let w = world().await;
    let now = at("2026-12-01");
    ok(reminders::plan(&w.db, &app::reminders::ladder::default_ladder(), now).await);
    // Instance A claims, then dies before delivering.
    let claimed = ok(reminders::claim(&w.db, "a", now).await);
    assert_eq!(claimed.len(), 2);
    // While A's lease holds, B takes nothing.
    assert!(ok(reminders::tick(&w.db, "b", now + Duration::seconds(30)).await).is_empty());
    // After the lease, B delivers them.
    let later = now + Duration::seconds(reminders::LEASE_SECONDS + 1);
    let digests = ok(reminders::tick(&w.db, "b", later).await);
    assert_eq!(digests.iter().map(|d| d.reminders.len()).sum::<usize>(), 2);
    // A comes back and tries to deliver what it claimed: nothing twice.
    assert!(ok(reminders::deliver(&w.db, "a", &claimed, later, None).await).is_empty());
    assert_eq!(ok(reminders::inbox(&w.db, &w.head).await).len(), 1);
}

#[tokio::test]
async fn reminders_stop_when_the_item_closes() {
    let w = world().await;
    ok(reminders::plan(
        &w.db,
        &app::reminders::ladder::default_ladder(),
        at("2026-12-01"),
    )
    .await);
    ok(ledger::withdraw(&w.db, &w.central, &w.item, "重复登记", at("2026-12-01")).await);
    assert!(ok(reminders::tick(&w.db, "a", at("2026-12-01")).await).is_empty());
    assert!(ok(reminders::tick(&w.db, "a", at("2026-12-24")).await).is_empty());
    assert!(ok(reminders::inbox(&w.db, &w.head).await).is_empty());
}

async fn partner(db: &Db, username: &str, dept: &str) -> SessionUser {
    account(
        db,
        NewUser {
            username: username.into(),
            display_name: username.into(),
            role: "partner".into(),
            partner: dept.into(),
            ..Default::default()
        },
    )
    .await
}

#[tokio::test]
async fn a_closure_request_waiting_five_days_reminds_the_pending_co_signers() {
    let w = world().await;
    let inspection = partner(&w.db, "inspection", "inspection").await;
    let organisation = partner(&w.db, "orgdept", "organisation").await;
    let hr = partner(&w.db, "hr.bureau", "human_resources").await;
    let files = std::env::temp_dir().join(format!("rectify-reminders-{}", std::process::id()));
    let photo = vec![ok(app::ledger::Upload::from_bytes(
        &files,
        "p.jpg",
        &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0],
    )
    .await)];
    let t = at("2026-12-01");
    let text = app::ledger::ProgressInput {
        text: "完成".into(),
        ..Default::default()
    };
    ok(ledger::report_progress(&w.db, &w.head, &w.item, &text, &photo, &files, t).await);
    ok(ledger::request_closure(&w.db, &w.head, &w.item, "申请销号", &[], t).await);
    ok(ledger::co_sign(&w.db, &inspection, &w.item, true, "", at("2026-12-02")).await);
    ok(reminders::tick(&w.db, "a", at("2026-12-05")).await);
    assert!(rules_of(&w, &organisation).await.is_empty());
    ok(reminders::tick(&w.db, "a", at("2026-12-06")).await);
    // Five days on: those who have not decided are reminded; who passed, or is not
    // named, is not.
    assert_eq!(rules_of(&w, &organisation).await, ["acceptance_waiting_5"]);
    assert!(
        rules_of(&w, &w.central)
            .await
            .contains(&"acceptance_waiting_5".to_string())
    );
    assert!(rules_of(&w, &inspection).await.is_empty());
    assert!(rules_of(&w, &hr).await.is_empty());
}

#[tokio::test]
async fn an_approved_extension_moves_the_reminders_with_the_deadline() {
    let w = world().await;
    ok(reminders::tick(&w.db, "a", at("2026-12-24")).await);
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t7"]);
    ok(ledger::request_extension(
        &w.db,
        &w.head,
        &w.item,
        "人员安置需时",
        "2027-01-31",
        at("2026-12-25"),
    )
    .await);
    ok(ledger::decide_extension(&w.db, &w.central, &w.item, true, "同意", at("2026-12-26")).await);
    // The old deadline passes without an overdue reminder...
    for day in ["2026-12-31", "2027-01-01"] {
        ok(reminders::tick(&w.db, "a", at(day)).await);
    }
    assert!(rules_of(&w, &w.district).await.is_empty());
    // ...and the new one gets its own ladder (T-30 of 2027-01-31 fell on 2027-01-01).
    ok(reminders::tick(&w.db, "a", at("2027-01-24")).await);
    assert_eq!(
        rules_of(&w, &w.head).await,
        ["deadline_t30", "deadline_t7", "deadline_t7"]
    );
}

#[tokio::test]
async fn the_administrator_edits_the_ladder_and_the_scheduler_follows_it() {
    let w = world().await;
    let admin = user(&w.db, "admin", "administrator", "", "").await;
    let rungs = ok(reminders::ladder(&w.db).await);
    assert_eq!(rungs.len(), app::reminders::ladder::default_ladder().len());
    assert_eq!(
        reminders::update_rung(
            &w.db,
            &w.central,
            "deadline_t30",
            "-14",
            "",
            &["unit_head".into()],
            true
        )
        .await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        reminders::update_rung(&w.db, &admin, "deadline_t30", "-14", "", &[], true).await,
        Err(AppError::invalid(
            app::error::Field::Recipients,
            app::error::Problem::Required
        ))
    );
    // T-30 becomes T-14 to the unit head only; T-7 is switched off.
    ok(reminders::update_rung(
        &w.db,
        &admin,
        "deadline_t30",
        "-14",
        "",
        &["unit_head".into()],
        true,
    )
    .await);
    ok(reminders::update_rung(
        &w.db,
        &admin,
        "deadline_t7",
        "-7",
        "",
        &["unit_head".into()],
        false,
    )
    .await);
    ok(reminders::tick(&w.db, "a", at("2026-12-01")).await);
    assert!(rules_of(&w, &w.head).await.is_empty());
    ok(reminders::tick(&w.db, "a", at("2026-12-17")).await);
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t30"]);
    assert!(
        !rules_of(&w, &w.handler)
            .await
            .iter()
            .any(|r| r.starts_with("deadline"))
    );
    ok(reminders::tick(&w.db, "a", at("2026-12-24")).await);
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t30"]);
    let t30 = ok(reminders::ladder(&w.db).await)
        .into_iter()
        .find(|r| r.rule.code == "deadline_t30")
        .unwrap_or_else(|| panic!("rung gone"));
    assert_eq!(t30.rule.offset_days, -14);
}

/// The runs of a day read only the items written since the run before (a province's
/// million items are not read every minute), and still plan a change; a new day's first
/// run reads the items with a milestone on it.
#[tokio::test]
async fn later_runs_of_a_day_plan_the_items_written_since() {
    let w = world().await;
    let item = app::db::record("item", &w.item);
    let set_deadline = |deadline: &'static str| {
        let db = w.db.clone();
        let item = item.clone();
        async move {
            db.query("UPDATE $item SET approved_deadline = $deadline")
                .bind(("item", item))
                .bind(("deadline", deadline))
                .await
                .and_then(|r| r.check())
                .unwrap_or_else(|e| panic!("{e}"));
        }
    };
    ok(reminders::tick(&w.db, "a", at("2026-12-01")).await);
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t30"]);
    // Written after the day's first run: the deadline moves to three days away.
    set_deadline("2026-12-04").await;
    ok(reminders::tick(&w.db, "a", at("2026-12-01") + Duration::minutes(1)).await);
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t3", "deadline_t30"]);
    // As if the planner's last run came after the next write: that run does not read the
    // item again …
    w.db.query("UPDATE reminder_plan:state SET at = time::now() + 1h")
        .await
        .and_then(|r| r.check())
        .unwrap_or_else(|e| panic!("{e}"));
    set_deadline("2026-12-02").await;
    ok(reminders::tick(&w.db, "a", at("2026-12-01") + Duration::minutes(2)).await);
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t3", "deadline_t30"]);
    // … and the next day's first run reads it (its deadline falls that day), catching up
    // on the days missed (T-1 yesterday; T-3 of the new deadline fell on 11-29, within
    // the catch-up days).
    ok(reminders::tick(&w.db, "a", at("2026-12-02")).await);
    assert_eq!(
        rules_of(&w, &w.head).await,
        [
            "deadline_t0",
            "deadline_t1",
            "deadline_t3",
            "deadline_t3",
            "deadline_t30"
        ]
    );
}

/// A new day's reminders are planned in batches: each run reads about so many items with
/// a milestone on the days it catches up with, keeps the rest for the next run, and says
/// so; together the runs plan every one.
#[tokio::test]
async fn a_new_day_is_planned_in_batches_that_together_plan_everything() {
    // Three more items like the first, due a day apart: T-30 of all four falls between
    // 11-28 and 12-01, the days the first run of 12-01 catches up with.
    planned_in_batches(["2026-12-28", "2026-12-29", "2026-12-30"]).await;
}

/// A run that has used its time finding anchor days' items (the database slowed down)
/// leaves the days left to the runs after it, and together they plan every reminder.
#[tokio::test]
async fn a_run_out_of_time_leaves_the_days_left_to_the_next() {
    let w = world().await;
    three_more_items(&w, ["2026-12-28", "2026-12-29", "2026-12-30"]).await;
    let rules = app::reminders::ladder::default_ladder();
    let now = at("2026-12-01");
    // No time: a run stops at the first find that brings items, however much room its
    // batch has.
    let no_time = reminders::Batches {
        anchored_ms: 0,
        ..Default::default()
    };
    assert!(ok(reminders::plan_at_most(&w.db, &rules, now, no_time).await).more);
    // The items were written before the first run: the runs after it must find them on
    // their anchor days, not as items written since.
    items_written_before_the_last_run(&w).await;
    let mut runs = 1;
    while ok(reminders::plan_at_most(&w.db, &rules, now, no_time).await).more {
        runs += 1;
        assert!(runs < 100, "the runs never end");
    }
    assert!(runs > 1, "one run did it all");
    // Head and contact, each item's T-30, as one run with time enough plans them.
    assert_eq!(t30_count(&w).await, 8);
}

/// A run whose planning took too long leaves its delivery to the next run, which only
/// delivers: runs then take turns, and every reminder still arrives, once.
#[tokio::test]
async fn a_slow_plan_leaves_the_delivery_to_the_next_run() {
    let w = world().await;
    let now = at("2026-12-01");
    // No time at all to deliver after planning: every run that plans leaves its
    // delivery. The planning itself has all the time it takes, so that what it leaves
    // depends on the data, not on how busy the machine is.
    let hurried = reminders::Pace {
        deliver_after_plan_ms: 0,
        ..reminders::Pace::whole()
    };
    let first = ok(reminders::tick_paced(&w.db, "a", now, None, hurried).await);
    assert!(first.digests.is_empty(), "the planning run delivered");
    assert!(first.more, "the next run was not asked for at once");
    // T-30: the unit head and the handler, planned but not yet in their inboxes.
    assert!(rules_of(&w, &w.head).await.is_empty());
    let second = ok(reminders::tick_paced(&w.db, "a", now, None, hurried).await);
    assert_eq!(second.digests.len(), 2, "the next run delivered");
    assert!(
        !second.more,
        "nothing was left to plan or deliver, yet the next run was asked for at once"
    );
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t30"]);
    assert_eq!(rules_of(&w, &w.handler).await, ["deadline_t30"]);
    // And the runs after it deliver nothing twice.
    for _ in 0..4 {
        let again = ok(reminders::tick_paced(&w.db, "a", now, None, hurried).await);
        assert!(again.digests.is_empty());
    }
    assert_eq!(rules_of(&w, &w.head).await, ["deadline_t30"]);
}

/// One day can hold more items than a run reads (one deadline for a whole campaign): the
/// runs read it a page at a time, each item once.
#[tokio::test]
async fn a_day_with_more_items_than_a_run_reads_is_read_in_pages() {
    planned_in_batches(["2026-12-30", "2026-12-30", "2026-12-30"]).await;
}

/// Three more items of the world's unit, registered and issued on 11-01, due on
/// `deadlines`.
async fn three_more_items(w: &World, deadlines: [&str; 3]) {
    let unit: Option<surrealdb::types::RecordId> =
        w.db.query("SELECT VALUE unit FROM ONLY $item")
            .bind(("item", app::db::record("item", &w.item)))
            .await
            .and_then(|mut r| r.take(0))
            .unwrap_or_else(|e| panic!("{e}"));
    let unit = app::db::key_of(&unit.unwrap_or_else(|| panic!("the item has a unit")));
    for deadline in deadlines {
        let t = at("2026-11-01");
        let (item, _) = ok(ledger::register_item(
            &w.db,
            &w.central,
            &app::ledger::NewItem {
                unit: unit.clone(),
                source: "inspection_tour".into(),
                category: "over_establishment".into(),
                nature: "violation".into(),
                description: format!("超编进人，限 {deadline} 前整改"),
                found_on: "2026-10-20".into(),
                deadline: deadline.into(),
                head_name: "head".into(),
                ..app::ledger::NewItem::default()
            },
            t,
        )
        .await);
        ok(ledger::issue(&w.db, &w.central, &item, t).await);
    }
}

/// How many T-30 reminders are planned.
async fn t30_count(w: &World) -> i64 {
    let n: Vec<i64> =
        w.db.query("SELECT VALUE count() FROM reminder WHERE rule = 'deadline_t30' GROUP ALL")
            .await
            .and_then(|mut r| r.take(0))
            .unwrap_or_else(|e| panic!("{e}"));
    n.first().copied().unwrap_or(0)
}

/// A crowded day's items are found once and then read a page a run; items that join the
/// day meanwhile are planned too (through their write), each once.
#[tokio::test]
async fn items_that_join_a_day_being_read_in_pages_are_planned() {
    let w = world().await;
    three_more_items(&w, ["2026-12-30", "2026-12-30", "2026-12-30"]).await;
    let rules = app::reminders::ladder::default_ladder();
    let now = at("2026-12-01");
    let one_a_run = reminders::Batches {
        anchored: 1,
        written: reminders::PLAN_BATCH,
        settle_seconds: 0,
        anchored_ms: reminders::PLAN_ANCHORED_MS,
    };
    assert!(ok(reminders::plan_at_most(&w.db, &rules, now, one_a_run).await).more);
    items_written_before_the_last_run(&w).await;
    // Part of the way into the crowded day, three more are registered on it.
    assert!(ok(reminders::plan_at_most(&w.db, &rules, now, one_a_run).await).more);
    three_more_items(&w, ["2026-12-30", "2026-12-30", "2026-12-30"]).await;
    let mut runs = 2;
    while ok(reminders::plan_at_most(&w.db, &rules, now, one_a_run).await).more {
        runs += 1;
        assert!(runs < 20, "the runs never end");
    }
    // The world's item and six on the crowded day: head and contact each.
    assert_eq!(t30_count(&w).await, 14);
}

/// Items written in bulk after the day was caught up with (an import of thousands) are
/// read a batch a run, oldest write first, each planned once, and the runs end.
#[tokio::test]
async fn a_bulk_write_is_read_a_batch_a_run() {
    let w = world().await;
    let rules = app::reminders::ladder::default_ladder();
    let now = at("2026-12-01");
    let mut runs = 0;
    while ok(reminders::plan_at_most(&w.db, &rules, now, Default::default()).await).more {
        runs += 1;
        assert!(runs < 10, "the runs of the day never end");
    }
    // The world's item: its head and contact.
    assert_eq!(t30_count(&w).await, 2);
    three_more_items(&w, ["2026-12-28", "2026-12-29", "2026-12-30"]).await;
    // Written a moment ago: read at once, not after the usual time a commit may take.
    let one_written = reminders::Batches {
        anchored: reminders::PLAN_BATCH,
        written: 1,
        settle_seconds: 0,
        anchored_ms: reminders::PLAN_ANCHORED_MS,
    };
    let later = now + Duration::minutes(1);
    let mut runs = 1;
    while ok(reminders::plan_at_most(&w.db, &rules, later, one_written).await).more {
        runs += 1;
        assert!(runs < 20, "the runs never end");
    }
    assert!(runs >= 4, "{runs} runs for three items written, one a run");
    assert_eq!(t30_count(&w).await, 8);
}

/// One item of the days caught up with a run.
const ONE_DAY_ITEM: reminders::Batches = reminders::Batches {
    anchored: 1,
    written: reminders::PLAN_BATCH,
    settle_seconds: reminders::WRITE_SETTLE_SECONDS,
    anchored_ms: reminders::PLAN_ANCHORED_MS,
};

/// Three more items due on `deadlines`, planned one item a run.
async fn planned_in_batches(deadlines: [&str; 3]) {
    let w = world().await;
    three_more_items(&w, deadlines).await;
    let rules = app::reminders::ladder::default_ladder();
    let t30 = || t30_count(&w);
    let now = at("2026-12-01");
    let first = ok(reminders::plan_at_most(&w.db, &rules, now, ONE_DAY_ITEM).await);
    assert!(first.more);
    // One item read: its head and contact.
    assert_eq!(t30().await, 2);
    // The items were written before the first run: the runs after it must find them on
    // their anchor days, not as items written since.
    items_written_before_the_last_run(&w).await;
    let mut runs = 1;
    while ok(reminders::plan_at_most(&w.db, &rules, now, ONE_DAY_ITEM).await).more {
        runs += 1;
        assert!(runs < 10, "the runs never end");
    }
    assert!(runs >= 4, "{runs} runs for four items one at a time");
    assert_eq!(t30().await, 8);
    // Caught up: a later run of the day has nothing left.
    assert_eq!(
        ok(reminders::plan_at_most(&w.db, &rules, now + Duration::minutes(1), ONE_DAY_ITEM).await),
        reminders::Planned {
            new: 0,
            more: false
        }
    );
    // The runs deliver it all: head and contact have each item's T-30.
    ok(reminders::tick(&w.db, "a", now).await);
    assert_eq!(
        rules_of(&w, &w.head).await,
        [
            "deadline_t30",
            "deadline_t30",
            "deadline_t30",
            "deadline_t30"
        ]
    );
}

/// The badge on every page counts unread reminders only as far as it shows them: the
/// central office with hundreds unread costs no more than a head with three.
#[tokio::test]
async fn the_unread_count_stops_where_the_badge_does() {
    let w = world().await;
    let add = |state: &'static str, read: bool, n: i64| {
        let db = w.db.clone();
        let me = app::db::record("user", &w.central.id);
        async move {
            db.query(
                "FOR $i IN 1..=$n {
                    CREATE reminder CONTENT { rule: 'overdue_7', occurrence: $i, recipient: $me,
                        day: '2027-01-07', due_at: d'2027-01-07T00:00:00Z', state: $state,
                        created_at: d'2027-01-07T00:00:00Z', sent_at: d'2027-01-07T00:00:00Z',
                        read_at: IF $read { d'2027-01-08T00:00:00Z' } ELSE { NONE } };
                }",
            )
            .bind(("n", n))
            .bind(("me", me))
            .bind(("state", state))
            .bind(("read", read))
            .await
            .and_then(|r| r.check())
            .unwrap_or_else(|e| panic!("{e}"));
        }
    };
    // Read and undelivered ones do not count.
    add("sent", true, 150).await;
    add("pending", false, 20).await;
    add("sent", false, 3).await;
    assert_eq!(ok(reminders::unread_count(&w.db, &w.central).await), 3);
    assert_eq!(app::reminders::badge(3).as_deref(), Some("3"));
    add("sent", false, 200).await;
    let counted = ok(reminders::unread_count(&w.db, &w.central).await);
    assert_eq!(counted, app::reminders::BADGE_COUNTS_TO + 1);
    assert_eq!(app::reminders::badge(counted).as_deref(), Some("99+"));
    // The head's own count is untouched.
    assert_eq!(ok(reminders::unread_count(&w.db, &w.head).await), 0);
}

/// As if the items had been written before the last run: the runs after it must find
/// them on their anchor days, not as items written since.
async fn items_written_before_the_last_run(w: &World) {
    w.db.query("UPDATE reminder_plan:state SET at = time::now()")
        .await
        .and_then(|r| r.check())
        .unwrap_or_else(|e| panic!("{e}"));
}
