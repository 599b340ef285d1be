//! The authorisation matrix: every server function, HTTP route and page, called through
//! the real router by every role and by a visitor who is not signed in, on an object in
//! the caller's scope; then by each role with a scope (district office, unit head, unit
//! contact, partner) on the same kind of object outside its scope. Every answer must be
//! what the matrix says: allowed, or refused (not signed in, forbidden, not found).
//! Lists are checked too: no answer to a scoped caller names an item outside its scope.
//! The calls run in order on one database, as a day's work would: an allowed call may
//! move an item on (later ones may then answer "wrong state", which is an answer, not a
//! refusal), so calls that would widen a scope (sharing an item with the partner tried
//! here) are made so that they do not.
//!
//! The matrix is checked against the router's own lists (`server_fn_paths`, the page
//! routes, `server::http_routes`): a server function, route or page without an entry
//! fails the test, and so does an entry for one that no longer exists.

use app::db::Db;
use app::web::Settings;
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use server::{AppState, router};
use std::collections::{BTreeMap, BTreeSet};
use tower::ServiceExt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    Nobody,
    Central,
    Division,
    District,
    Head,
    Handler,
    Partner,
    Admin,
}
use Caller::*;

const CALLERS: [Caller; 8] = [
    Nobody, Central, Division, District, Head, Handler, Partner, Admin,
];

impl Caller {
    fn username(self) -> Option<&'static str> {
        match self {
            Nobody => None,
            Central => Some("central"),
            Division => Some("division"),
            District => Some("hailing"),
            Head => Some("unithead"),
            Handler => Some("handler"),
            Partner => Some("inspection"),
            Admin => Some("admin"),
        }
    }
    /// Roles whose scope is less than everything: they are also tried outside it.
    fn scoped(self) -> bool {
        matches!(self, District | Head | Handler | Partner)
    }
}

const ANYONE: &[Caller] = &CALLERS;
const SIGNED_IN: &[Caller] = &[Central, Division, District, Head, Handler, Partner, Admin];
/// Everyone who reads the ledger (the administrator manages accounts, not items).
const READERS: &[Caller] = &[Central, Division, District, Head, Handler, Partner];
const ADMIN: &[Caller] = &[Admin];
const CENTRAL: &[Caller] = &[Central];

/// How the call is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    /// A server function, posted as a form by a script (answers in JSON).
    ServerFn,
    /// A page, opened by a browser.
    Page,
    /// A plain HTTP route: GET, or a multipart POST.
    Get,
    Multipart,
    /// A plain HTML form posted to an HTTP route.
    Form,
}

/// Whether the object the call names exists and is the caller's to see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Object {
    /// In scope for everyone in `who`; scoped callers are tried on one outside too.
    Home,
    /// Nothing names an object, or the call is about the caller's own things.
    Own,
    /// The named object does not exist (no such upload, visit or file here): those in
    /// `who` get an answer or "not found", everyone else a refusal. This checks the
    /// role gate only; the scope of such objects is tested in their own suites.
    Missing,
}

struct Entry {
    path: &'static str,
    via: Via,
    args: &'static [(&'static str, &'static str)],
    object: Object,
    who: &'static [Caller],
}

const fn e(
    path: &'static str,
    via: Via,
    args: &'static [(&'static str, &'static str)],
    object: Object,
    who: &'static [Caller],
) -> Entry {
    Entry {
        path,
        via,
        args,
        object,
        who,
    }
}

use Object::{Home, Missing, Own};
use Via::{Form, Get, Multipart, Page, ServerFn};

const MATRIX: &[Entry] = &[
    // Accounts and the organisation (the administrator).
    e("/api/admin_districts", ServerFn, &[], Own, ADMIN),
    e("/api/admin_units", ServerFn, &[], Own, ADMIN),
    e("/api/admin_users", ServerFn, &[], Own, ADMIN),
    e(
        "/api/create_district",
        ServerFn,
        &[("code", "MX{n}"), ("name", "矩阵地区{n}"), ("name_en", "")],
        Own,
        ADMIN,
    ),
    e(
        "/api/create_unit",
        ServerFn,
        &[("district", "{district}"), ("name", "矩阵单位{n}")],
        Own,
        ADMIN,
    ),
    e(
        "/api/create_user",
        ServerFn,
        &[
            ("user[username]", "matrix{n}"),
            ("user[display_name]", "矩阵"),
            ("user[phone]", ""),
            ("user[password]", "Matrix-pass-1"),
            ("user[role]", "unit_handler"),
            ("user[district]", ""),
            ("user[unit]", "{unit}"),
            ("user[partner]", ""),
        ],
        Own,
        ADMIN,
    ),
    e(
        "/api/reset_password",
        ServerFn,
        &[("user", "{spare_user}"), ("new_password", "Matrix-pass-2")],
        Own,
        ADMIN,
    ),
    e(
        "/api/set_account_disabled",
        ServerFn,
        &[("user", "{spare_user}"), ("disabled", "false")],
        Own,
        ADMIN,
    ),
    e(
        "/api/security_log",
        ServerFn,
        &[("kind", ""), ("page", "0")],
        Own,
        ADMIN,
    ),
    // Signing in and the account.
    e(
        "/api/sign_in",
        ServerFn,
        &[("username", "nobody-here"), ("password", "Wrong-pass-1")],
        Own,
        ANYONE,
    ),
    e("/api/sign_out", ServerFn, &[], Own, ANYONE),
    e(
        "/api/set_language",
        ServerFn,
        &[("lang", "zh")],
        Own,
        ANYONE,
    ),
    e("/api/demo_accounts", ServerFn, &[], Own, ANYONE),
    e(
        "/api/change_password",
        ServerFn,
        &[
            ("current_password", "Not-the-one-1"),
            ("new_password", "Matrix-pass-3"),
            ("confirm_password", "Matrix-pass-3"),
        ],
        Own,
        SIGNED_IN,
    ),
    // Reminders, the inbox, push and channels.
    e("/api/inbox_entries", ServerFn, &[], Own, SIGNED_IN),
    e("/api/inbox_unread", ServerFn, &[], Own, SIGNED_IN),
    e(
        "/api/mark_reminder_read",
        ServerFn,
        &[("id", "{reminder}")],
        Home,
        &[Head],
    ),
    e("/api/reminder_ladder", ServerFn, &[], Own, ADMIN),
    e(
        "/api/update_reminder_rung",
        ServerFn,
        &[
            ("rung[code]", "t7"),
            ("rung[offset_days]", "-7"),
            ("rung[repeat_days]", "0"),
            ("rung[enabled]", "on"),
            ("rung[unit_head]", "on"),
            ("rung[unit_handler]", "on"),
            ("rung[measure_owner]", ""),
            ("rung[district_office]", ""),
            ("rung[central_office]", ""),
            ("rung[co_signers]", ""),
        ],
        Own,
        ADMIN,
    ),
    e("/api/push_public_key", ServerFn, &[], Own, SIGNED_IN),
    e(
        "/api/save_push_subscription",
        ServerFn,
        &[
            ("endpoint", "http://127.0.0.1:9/push/{n}"),
            ("p256dh", "x"),
            ("auth", "y"),
            ("device", "matrix"),
        ],
        Own,
        SIGNED_IN,
    ),
    e(
        "/api/forget_push_subscription",
        ServerFn,
        &[("endpoint", "http://127.0.0.1:9/push/none")],
        Own,
        SIGNED_IN,
    ),
    e("/api/push_device_count", ServerFn, &[], Own, SIGNED_IN),
    e("/api/send_test_push", ServerFn, &[], Own, SIGNED_IN),
    e("/api/channels_view", ServerFn, &[], Own, ADMIN),
    e(
        "/api/add_channel",
        ServerFn,
        &[
            ("channel[kind]", "wecom"),
            ("channel[name]", "矩阵群{n}"),
            ("channel[url]", "http://127.0.0.1:9/robot"),
            ("channel[secret]", ""),
            ("channel[template]", ""),
            ("channel[scope]", ""),
        ],
        Own,
        ADMIN,
    ),
    e(
        "/api/remove_channel",
        ServerFn,
        &[("id", "no-such-channel")],
        Missing,
        ADMIN,
    ),
    e(
        "/api/test_channel",
        ServerFn,
        &[("id", "no-such-channel")],
        Missing,
        ADMIN,
    ),
    e(
        "/api/save_reminder_settings",
        ServerFn,
        &[
            ("quiet_from", "22:00"),
            ("quiet_until", "07:00"),
            ("summary_time", "08:30"),
        ],
        Own,
        ADMIN,
    ),
    // Statistics and the exchange.
    e(
        "/api/dashboard_data",
        ServerFn,
        &[("snapshot", "")],
        Own,
        &[Central, Division, District],
    ),
    e("/api/freeze_dashboard", ServerFn, &[], Own, CENTRAL),
    e(
        "/api/import_batch",
        ServerFn,
        &[("batch", "no-such-batch")],
        Missing,
        &[Central, Division],
    ),
    e(
        "/api/confirm_import",
        ServerFn,
        &[("batch", "no-such-batch")],
        Missing,
        &[Central, Division],
    ),
    // The ledger.
    e("/api/ledger_choices", ServerFn, &[], Own, READERS),
    e(
        "/api/ledger_page",
        ServerFn,
        &[("filter[status]", "")],
        Own,
        READERS,
    ),
    e("/api/my_items", ServerFn, &[], Own, &[Head, Handler]),
    e(
        "/api/acceptance_items",
        ServerFn,
        &[],
        Own,
        &[Central, Partner],
    ),
    e(
        "/api/item_detail",
        ServerFn,
        &[("id", "{item}")],
        Home,
        &[Central, Division, District, Head, Handler],
    ),
    e(
        "/api/register_item",
        ServerFn,
        &[
            ("item[unit]", "{unit}"),
            ("item[source]", "{source}"),
            ("item[category]", "{category}"),
            ("item[nature]", "general"),
            ("item[description]", "矩阵测试登记的问题"),
            ("item[legal_basis]", ""),
            ("item[quantity]", "1"),
            ("item[found_on]", "2026-11-01"),
            ("item[found_in]", ""),
            ("item[deadline]", "2027-03-01"),
            ("item[supervising_office]", ""),
            ("item[head_name]", "周志明"),
            ("item[handler_name]", ""),
            ("item[handler_phone]", ""),
        ],
        Own,
        &[Central, Division],
    ),
    e(
        "/api/item_step",
        ServerFn,
        &[("item", "{item}"), ("step", "acknowledge"), ("reason", "")],
        Home,
        &[Central, Division, District, Head, Handler],
    ),
    e(
        "/api/submit_plan",
        ServerFn,
        &[("item", "{item}"), ("plan[next_review]", "")],
        Home,
        &[Central, Division, District, Head, Handler],
    ),
    e(
        "/api/complete_measure",
        ServerFn,
        &[("item", "{item}"), ("measure", "{measure}")],
        Home,
        &[Head, Handler],
    ),
    e(
        "/api/request_extension",
        ServerFn,
        &[
            ("item", "{item}"),
            ("reason", "矩阵"),
            ("new_deadline", "2027-06-01"),
        ],
        Home,
        &[Head, Handler],
    ),
    e(
        "/api/decide_extension",
        ServerFn,
        &[("item", "{item}"), ("decision", "approve"), ("opinion", "")],
        Home,
        CENTRAL,
    ),
    e(
        "/api/request_closure",
        ServerFn,
        // Without a note: refused for the missing note, so the item is not shared with
        // the co-signing departments (which would put it in the partner's scope).
        &[("item", "{item}"), ("note", "")],
        Home,
        &[Head, Handler],
    ),
    e(
        "/api/co_sign",
        ServerFn,
        &[("item", "{item}"), ("decision", "pass"), ("opinion", "")],
        Home,
        CENTRAL,
    ),
    e(
        "/api/notify_department",
        ServerFn,
        &[("item", "{item}"), ("dept", "organisation"), ("note", "")],
        Home,
        CENTRAL,
    ),
    e(
        "/api/record_accountability",
        ServerFn,
        &[("item", "{item}"), ("text", "矩阵")],
        Home,
        CENTRAL,
    ),
    e(
        "/api/comment_item",
        ServerFn,
        &[("item", "{item}"), ("text", "矩阵")],
        Home,
        &[Central, Division, District],
    ),
    e(
        "/api/add_list_entry",
        ServerFn,
        &[
            ("table", "category"),
            ("name", "矩阵类别{n}"),
            ("name_en", ""),
        ],
        Own,
        &[Central, Admin],
    ),
    e("/api/ledger_lists", ServerFn, &[], Own, SIGNED_IN),
    e("/api/check_history", ServerFn, &[], Own, CENTRAL),
    e("/api/home_overview", ServerFn, &[], Own, SIGNED_IN),
    // Look-back campaigns.
    e(
        "/api/campaigns_data",
        ServerFn,
        &[],
        Own,
        &[Central, Division, District, Head, Handler],
    ),
    e(
        "/api/campaign_data",
        ServerFn,
        &[("id", "{campaign}")],
        Home,
        &[Central, Division, District],
    ),
    e(
        "/api/return_data",
        ServerFn,
        &[("id", "{return}")],
        Home,
        &[Central, Division, District],
    ),
    e(
        "/api/verification_data",
        ServerFn,
        &[("id", "no-such-visit")],
        Missing,
        READERS,
    ),
    e(
        "/api/campaign_state",
        ServerFn,
        &[("id", "{campaign}"), ("open", "false")],
        Home,
        CENTRAL,
    ),
    e(
        "/api/review_return",
        ServerFn,
        &[
            ("id", "{return}"),
            ("accept", "false"),
            ("comments", "矩阵"),
        ],
        Home,
        CENTRAL,
    ),
    e(
        "/api/resolve_conflict",
        ServerFn,
        &[("id", "no-such-conflict"), ("take", "false")],
        Missing,
        CENTRAL,
    ),
    e("/api/campaign_places", ServerFn, &[], Own, CENTRAL),
    // Plain HTTP routes.
    e(
        "/api/report_progress",
        Multipart,
        &[
            ("item", "{item}"),
            ("text", "矩阵进展"),
            ("remaining", ""),
            ("reasons", ""),
            ("next_steps", ""),
        ],
        Home,
        &[Head, Handler],
    ),
    e(
        "/files/{id}",
        Get,
        &[("id", "no-such-file")],
        Missing,
        READERS,
    ),
    e("/ledger/export", Get, &[], Own, READERS),
    e(
        "/dashboard/export",
        Get,
        &[],
        Own,
        &[Central, Division, District],
    ),
    e(
        "/api/import_ledger",
        Multipart,
        &[],
        Own,
        &[Central, Division],
    ),
    e(
        "/api/campaign_return",
        Multipart,
        &[
            ("return", "{return}"),
            ("base_version", "0"),
            ("client_id", "matrix-{n}"),
            ("intent", "draft"),
        ],
        Home,
        &[District],
    ),
    e(
        "/api/verification",
        Multipart,
        &[
            ("verification", "no-such-visit"),
            ("base_version", "0"),
            ("client_id", "matrix-{n}"),
        ],
        Missing,
        READERS,
    ),
    e("/api/create_campaign", Form, &[("name", "")], Own, CENTRAL),
    e(
        "/api/plan_verification",
        Form,
        &[
            ("campaign", "{campaign}"),
            ("unit", "{unit}"),
            ("verifier", ""),
            ("planned_on", ""),
        ],
        Home,
        CENTRAL,
    ),
    e(
        "/campaign-files/{owner}/{sha}",
        Get,
        &[("owner", "return:none"), ("sha", "00")],
        Missing,
        READERS,
    ),
    // Pages.
    e("/", Page, &[], Own, SIGNED_IN),
    e("/login", Page, &[], Own, ANYONE),
    e("/me", Page, &[], Own, SIGNED_IN),
    e("/offline", Page, &[], Own, ANYONE),
    e("/password", Page, &[], Own, SIGNED_IN),
    e("/admin/districts", Page, &[], Own, ADMIN),
    e("/admin/units", Page, &[], Own, ADMIN),
    e("/admin/users", Page, &[], Own, ADMIN),
    e("/admin/lists", Page, &[], Own, &[Central, Admin]),
    e("/admin/reminders", Page, &[], Own, ADMIN),
    e("/admin/channels", Page, &[], Own, ADMIN),
    e("/admin/security", Page, &[], Own, ADMIN),
    e("/ledger", Page, &[], Own, READERS),
    e("/dashboard", Page, &[], Own, &[Central, Division, District]),
    e("/ledger/new", Page, &[], Own, &[Central, Division]),
    e("/ledger/import", Page, &[], Own, &[Central, Division]),
    e("/ledger/history", Page, &[], Own, CENTRAL),
    e("/acceptance", Page, &[], Own, &[Central, Partner]),
    e("/inbox", Page, &[], Own, SIGNED_IN),
    e(
        "/items/:id",
        Page,
        &[("id", "{item}")],
        Home,
        &[Central, Division, District, Head, Handler],
    ),
    e(
        "/campaigns",
        Page,
        &[],
        Own,
        &[Central, Division, District, Head, Handler],
    ),
    e("/campaigns/new", Page, &[], Own, CENTRAL),
    e(
        "/campaigns/:id",
        Page,
        &[("id", "{campaign}")],
        Home,
        &[Central, Division, District],
    ),
    e(
        "/returns/:id",
        Page,
        &[("id", "{return}")],
        Home,
        &[Central, Division, District],
    ),
    e(
        "/verifications/:id",
        Page,
        &[("id", "no-such-visit")],
        Missing,
        READERS,
    ),
    e(
        "/items/:id/notice",
        Page,
        &[("id", "{item}")],
        Home,
        &[Central, Division, District, Head, Handler],
    ),
    e(
        "/items/:id/closure-sheet",
        Page,
        &[("id", "{item}")],
        Home,
        &[Central, Division, District, Head, Handler],
    ),
];

/// What an answer was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Allowed,
    NotSignedIn,
    Forbidden,
    NotFound,
    /// The call did not decode: the matrix's arguments are wrong, not the app.
    Undecoded,
}

impl Answer {
    fn refused(self) -> bool {
        matches!(
            self,
            Answer::NotSignedIn | Answer::Forbidden | Answer::NotFound
        )
    }
}

/// The objects of the demo city the calls name: each "home" one is in the scope of the
/// district office 海陵区, the unit 海陵区教育局 and its people; each "away" one is not.
struct Objects {
    home: BTreeMap<&'static str, String>,
    away: BTreeMap<&'static str, String>,
}

async fn first(db: &Db, sql: &str) -> String {
    let ids: Vec<surrealdb::types::RecordId> = db
        .query(sql)
        .await
        .and_then(|r| r.check())
        .and_then(|mut r| r.take(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    ids.first()
        .map(app::db::key_of)
        .unwrap_or_else(|| panic!("nothing for {sql}"))
}

async fn objects(db: &Db) -> Objects {
    let hl = "(SELECT VALUE id FROM district WHERE code = 'HL')[0]";
    let unit = "(SELECT VALUE id FROM unit WHERE name = '海陵区教育局')[0]";
    let mut home = BTreeMap::new();
    let mut away = BTreeMap::new();
    // An item of the unit being rectified, with a measure to complete, if it has one.
    let with_measure = format!(
        "SELECT VALUE item FROM measure WHERE item.unit = {unit} AND item.status IN ['acknowledged', 'plan_review', 'in_rectification', 'digesting'] ORDER BY item LIMIT 1"
    );
    let found: Vec<surrealdb::types::RecordId> = db
        .query(with_measure.as_str())
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_default();
    let item = match found.first() {
        Some(i) => app::db::key_of(i),
        None => {
            let sql = format!("SELECT VALUE id FROM item WHERE unit = {unit} ORDER BY id LIMIT 1");
            first(db, &sql).await
        }
    };
    let measure: Vec<surrealdb::types::RecordId> = db
        .query("SELECT VALUE id FROM measure WHERE item = type::record('item', $item) LIMIT 1")
        .bind(("item", item.clone()))
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_default();
    home.insert(
        "measure",
        measure
            .first()
            .map(app::db::key_of)
            .unwrap_or_else(|| "no-such-measure".into()),
    );
    home.insert("item", item);
    // Outside the district, and not shared with the partner department either.
    let away_item = format!(
        "SELECT VALUE id FROM item WHERE unit.district != {hl} AND !('inspection' IN shared_with) ORDER BY id LIMIT 1"
    );
    away.insert("item", first(db, &away_item).await);
    home.insert(
        "unit",
        first(db, &format!("SELECT VALUE id FROM {unit}")).await,
    );
    home.insert(
        "district",
        first(db, &format!("SELECT VALUE id FROM {hl}")).await,
    );
    home.insert(
        "source",
        first(db, "SELECT VALUE id FROM source ORDER BY id LIMIT 1").await,
    );
    home.insert(
        "category",
        first(db, "SELECT VALUE id FROM category ORDER BY id LIMIT 1").await,
    );
    home.insert(
        "campaign",
        first(db, "SELECT VALUE id FROM campaign ORDER BY id LIMIT 1").await,
    );
    home.insert(
        "return",
        first(
            db,
            &format!(
                "SELECT VALUE id FROM campaign_return WHERE district = {hl} AND unit = NONE LIMIT 1"
            ),
        )
        .await,
    );
    away.insert(
        "return",
        first(
            db,
            &format!("SELECT VALUE id FROM campaign_return WHERE district != {hl} LIMIT 1"),
        )
        .await,
    );
    home.insert(
        "reminder",
        first(
            db,
            "SELECT VALUE id FROM reminder WHERE recipient.username = 'unithead' LIMIT 1",
        )
        .await,
    );
    away.insert("reminder", first(db, "SELECT VALUE id FROM reminder WHERE recipient.username != 'unithead' AND recipient.username != 'handler' LIMIT 1").await);
    home.insert(
        "spare_user",
        first(db, "SELECT VALUE id FROM user WHERE username = 'spare'").await,
    );
    Objects { home, away }
}

struct Matrix {
    router: Router,
    db: Db,
    cookies: BTreeMap<Caller, String>,
    calls: usize,
}

async fn spawn() -> (Matrix, Objects) {
    let db = app::db::connect_in_memory()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app::demo::ensure_demo_city(&db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let files = std::env::temp_dir().join(format!("rectify-matrix-{}", std::process::id()));
    app::demo::ensure_demo_ledger(&db, &files)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A spare account for the password reset.
    let spare = app::admin::NewUser {
        username: "spare".into(),
        display_name: "备用".into(),
        password: "Spare-pass-1".into(),
        role: "central_office".into(),
        ..Default::default()
    };
    // A reminder in the unit head's inbox, and one in the central office's.
    db.query(
        "FOR $who IN ['unithead', 'central'] {
            CREATE reminder SET item = (SELECT VALUE id FROM item WHERE unit.name = '海陵区教育局' ORDER BY id LIMIT 1)[0],
                rule = 't7', occurrence = 0,
                recipient = (SELECT VALUE id FROM user WHERE username = $who)[0],
                day = '2026-11-27', due_at = time::now(), state = 'sent',
                created_at = time::now(), sent_at = time::now();
        }",
    )
    .await
    .and_then(|r| r.check())
    .unwrap_or_else(|e| panic!("{e}"));
    app::admin::service::create_account(&db, &spare, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let objects = objects(&db).await;
    let router = router(AppState {
        db: db.clone(),
        settings: Settings {
            demo: true,
            secure_cookies: false,
            files_dir: files,
            push_services: Default::default(),
        },
        leptos_options: LeptosOptions::builder().output_name("rectify").build(),
        limits: Default::default(),
        database: Default::default(),
        pages: Default::default(),
        proxies: Default::default(),
    });
    (
        Matrix {
            router,
            db,
            cookies: BTreeMap::new(),
            calls: 0,
        },
        objects,
    )
}

impl Matrix {
    /// A fresh session per call: a call may sign its caller out or change their language.
    async fn cookie(&mut self, caller: Caller) -> String {
        let Some(username) = caller.username() else {
            return String::new();
        };
        let password = app::demo::accounts(&self.db)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.username == username)
            .map(|a| a.password)
            .unwrap_or_else(|| panic!("no demo account {username}"));
        let signed = app::auth::service::sign_in(&self.db, username, &password, chrono::Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{username}: {e}"));
        let cookie = format!("rectify_session={}", signed.token);
        self.cookies.insert(caller, cookie.clone());
        cookie
    }

    async fn call(
        &mut self,
        entry: &Entry,
        caller: Caller,
        args: &[(String, String)],
    ) -> (Answer, String) {
        self.calls += 1;
        let cookie = self.cookie(caller).await;
        let mut path = entry.path.to_string();
        let mut rest = Vec::new();
        for (k, v) in args {
            let (colon, brace) = (format!(":{k}"), format!("{{{k}}}"));
            if path.contains(&colon) || path.contains(&brace) {
                path = path.replace(&colon, v).replace(&brace, v);
            } else {
                rest.push((k.clone(), v.clone()));
            }
        }
        let builder = |method: Method, path: &str, accept: &str| {
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::HOST, "127.0.0.1:3000")
                .header(header::ORIGIN, "http://127.0.0.1:3000")
                .header(header::ACCEPT, accept)
                .header(header::COOKIE, &cookie)
        };
        let req = match entry.via {
            Via::ServerFn => {
                let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&rest).finish();
                builder(Method::POST, &path, "application/json")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
            }
            Via::Page | Via::Get => builder(Method::GET, &path, "text/html").body(Body::empty()),
            Via::Form => {
                let body = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&rest)
                    .finish();
                builder(Method::POST, &path, "text/html")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
            }
            Via::Multipart => {
                let boundary = "matrixboundary";
                let mut body = String::new();
                for (k, v) in &rest {
                    body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
                }
                body.push_str(&format!("--{boundary}--\r\n"));
                builder(Method::POST, &path, "application/json")
                    .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                    .body(Body::from(body))
            }
        }
        .unwrap_or_else(|e| panic!("{e}"));
        let res = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            self.router.clone().oneshot(req),
        )
        .await
        .unwrap_or_else(|_| panic!("no answer to {path}"))
        .unwrap_or_else(|e| panic!("{e}"));
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let error = serde_json::from_str::<app::AppError>(&body).ok();
        use app::AppError as E;
        let browser = entry.via != Via::ServerFn;
        let answer = match (error, status.as_u16()) {
            (Some(E::NotSignedIn), _) => Answer::NotSignedIn,
            (Some(E::Forbidden), _) => Answer::Forbidden,
            (Some(E::NotFound), _) => Answer::NotFound,
            (Some(E::BadRequest), _) => Answer::Undecoded,
            // Any other error (a wrong password, a bad field, a wrong state) is an answer
            // to someone the function listened to.
            (Some(_), _) => Answer::Allowed,
            (None, 401) => Answer::NotSignedIn,
            (None, 403) => Answer::Forbidden,
            (None, 404) => Answer::NotFound,
            (None, 400 | 415 | 422) => Answer::Undecoded,
            _ if location.contains("error=forbidden") => Answer::Forbidden,
            _ if location.contains("error=not_found") => Answer::NotFound,
            _ if location.contains("error=not_signed_in") => Answer::NotSignedIn,
            _ if location.contains("error=bad_request") => Answer::Undecoded,
            _ if browser && location.starts_with("/login") => Answer::NotSignedIn,
            _ => Answer::Allowed,
        };
        (answer, body)
    }
}

fn fill(
    entry: &Entry,
    objects: &BTreeMap<&'static str, String>,
    n: usize,
) -> Vec<(String, String)> {
    entry
        .args
        .iter()
        .map(|(k, v)| {
            let mut v = v.replace("{n}", &n.to_string());
            for (name, id) in objects {
                v = v.replace(&format!("{{{name}}}"), id);
            }
            (k.to_string(), v)
        })
        .collect()
}

/// `{id}` and `:id` are the same route parameter.
fn normal(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => seg.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_server_function_route_and_page_has_an_entry() {
    let mut listed: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    listed.extend(
        server::http_routes::<()>()
            .into_iter()
            .map(|(_, p, _)| p.to_string()),
    );
    listed.extend(
        // Through the server's one list: listing the routes anew would hold back the pages
        // the other tests are rendering (see `server::page_routes`).
        server::page_routes().into_iter().map(|r| normal(r.path())),
    );
    let entries: BTreeSet<String> = MATRIX.iter().map(|e| normal(e.path)).collect();
    let missing: Vec<_> = listed.difference(&entries).collect();
    let stale: Vec<_> = entries.difference(&listed).collect();
    assert!(missing.is_empty(), "no entry in the matrix for {missing:?}");
    assert!(
        stale.is_empty(),
        "entries for what no longer exists: {stale:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_allowed_or_refused_as_the_matrix_says() {
    let (mut m, objects) = spawn().await;
    let report = std::env::var("MATRIX_REPORT").is_ok();
    let away_item = objects.away.get("item").cloned().unwrap_or_default();
    // The home objects, with those that have one outside the scope swapped for it.
    let mut outside = objects.home.clone();
    outside.extend(objects.away.clone());
    let mut wrong = Vec::new();
    let mut observed = Vec::new();
    let mut n = 0;
    for entry in MATRIX {
        let mut allowed = Vec::new();
        for caller in CALLERS {
            n += 1;
            let args = fill(entry, &objects.home, n);
            let (answer, body) = m.call(entry, caller, &args).await;
            if answer == Answer::Undecoded {
                wrong.push(format!(
                    "{} by {caller:?}: the arguments did not decode",
                    entry.path
                ));
                continue;
            }
            if !answer.refused() || (entry.object == Missing && answer == Answer::NotFound) {
                allowed.push(caller);
            }
            let expected = entry.who.contains(&caller);
            let ok = match (expected, entry.object) {
                (true, Missing) => matches!(answer, Answer::Allowed | Answer::NotFound),
                (true, _) => answer == Answer::Allowed,
                (false, _) => answer.refused(),
            };
            if !ok {
                wrong.push(format!(
                    "{} by {caller:?}: {answer:?}, matrix says {}",
                    entry.path,
                    if expected { "allowed" } else { "refused" }
                ));
            }
            // Lists: nothing outside a scoped caller's scope is ever named.
            if caller.scoped() && body.contains(&away_item) {
                wrong.push(format!(
                    "{} by {caller:?}: names an item outside its scope",
                    entry.path
                ));
            }
            // Outside the scope: refused, whatever the role may do in its own.
            if entry.object == Home && caller.scoped() && expected {
                let away = fill(entry, &outside, n);
                let away_differs = away != args;
                if away_differs {
                    let (answer, _) = m.call(entry, caller, &away).await;
                    if !answer.refused() {
                        wrong.push(format!(
                            "{} by {caller:?} outside its scope: {answer:?}",
                            entry.path
                        ));
                    }
                }
            }
        }
        observed.push(format!("{:<34} {:?}", entry.path, allowed));
    }
    if report {
        println!("{}", observed.join("\n"));
    }
    println!(
        "matrix: {} entries, {} callers, {} calls",
        MATRIX.len(),
        CALLERS.len(),
        m.calls
    );
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
