//! The HTTP application end to end in process: real router, real server functions,
//! a fresh in-memory SurrealDB with the demo city per test.

use app::db::{Db, connect_in_memory};
use app::web::Settings;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use server::{AppState, router};
use tower::ServiceExt;

mod hostile;

struct TestApp {
    router: Router,
    db: Db,
    pages: std::sync::Arc<server::page_cache::PageCache>,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

async fn spawn_app() -> TestApp {
    let db = connect_in_memory().await.unwrap_or_else(|e| panic!("{e}"));
    app::demo::ensure_demo_city(&db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let pages = std::sync::Arc::new(server::page_cache::PageCache::default());
    let router = router(state_of(&db, &pages));
    TestApp { router, db, pages }
}

fn state_of(db: &Db, pages: &std::sync::Arc<server::page_cache::PageCache>) -> AppState {
    AppState {
        db: db.clone(),
        settings: Settings {
            demo: true,
            secure_cookies: false,
            files_dir: std::env::temp_dir().join("rectify-http-tests"),
            push_services: Default::default(),
        },
        leptos_options: LeptosOptions::builder().output_name("rectify").build(),
        limits: Default::default(),
        database: Default::default(),
        pages: pages.clone(),
        proxies: Default::default(),
    }
}

impl TestApp {
    async fn send(&self, req: Request<Body>) -> Reply {
        // A request that never finishes is a failure with its path, not a hung test run.
        let path = req.uri().to_string();
        let res = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            self.router.clone().oneshot(req),
        )
        .await
        .unwrap_or_else(|_| panic!("no answer to {path} within 60 s"))
        .unwrap_or_else(|e| panic!("{e}"));
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, cookie: &str) -> Reply {
        let req = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        self.send(req).await
    }

    /// A plain HTML form post, as a browser with JavaScript off sends it.
    async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        cookie: &str,
        from: &str,
    ) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.post_raw(path, body, cookie, from, &[]).await
    }

    async fn post_raw(
        &self,
        path: &str,
        body: String,
        cookie: &str,
        from: &str,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::post(path)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::REFERER, format!("http://127.0.0.1:3000{from}"))
            .header(header::COOKIE, cookie);
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::from(body)).unwrap_or_else(|e| panic!("{e}")))
            .await
    }

    /// The central office registers an item for 海陵区教育局 through the plain form;
    /// its key.
    async fn register_item(&self, central: &str) -> String {
        let unit = app::org::service::list_units(&self.db, None)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|u| u.name == "海陵区教育局")
            .map(|u| u.id)
            .unwrap_or_else(|| panic!("no unit"));
        let reply = self
            .post_form(
                "/api/register_item",
                &[
                    ("item[unit]", unit.as_str()),
                    ("item[source]", "staffing_check"),
                    ("item[category]", "over_establishment"),
                    ("item[nature]", "violation"),
                    ("item[description]", "超编进人 2 名"),
                    ("item[quantity]", "2"),
                    ("item[found_on]", "2026-10-01"),
                    ("item[deadline]", "2027-03-31"),
                    ("item[head_name]", "周志明"),
                ],
                central,
                "/ledger/new",
            )
            .await;
        assert!(reply.status.is_redirection(), "{}", reply.body);
        let location = reply.location();
        assert!(location.starts_with("/items/"), "{location}");
        location
            .trim_start_matches("/items/")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string()
    }

    async fn demo_password(&self, username: &str) -> String {
        app::demo::accounts(&self.db)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.username == username)
            .map(|a| a.password)
            .unwrap_or_else(|| panic!("no demo account {username}"))
    }

    /// Sign in through the form and return the cookie header a browser would send.
    async fn sign_in(&self, username: &str) -> String {
        let password = self.demo_password(username).await;
        let reply = self
            .post_form(
                "/api/sign_in",
                &[("username", username), ("password", &password)],
                "",
                "/login",
            )
            .await;
        assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
        assert_eq!(reply.location(), "/");
        let session = reply
            .cookie("rectify_session")
            .unwrap_or_else(|| panic!("no session cookie"));
        session.split(';').next().unwrap_or_default().to_string()
    }
}

#[tokio::test]
async fn a_signed_out_visitor_is_sent_to_sign_in() {
    let app = spawn_app().await;
    let reply = app.get("/", "").await;
    assert!(reply.status.is_redirection());
    assert_eq!(reply.location(), "/login");
    let reply = app.get("/admin/users", "").await;
    assert_eq!(reply.location(), "/login");
}

#[tokio::test]
async fn the_sign_in_page_is_chinese_and_lists_the_demo_accounts() {
    let app = spawn_app().await;
    let reply = app.get("/login", "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains(r#"lang="zh""#), "{}", reply.body);
    assert!(reply.body.contains("登录"));
    assert_eq!(reply.body.matches("data-field=\"password\"").count(), 8);
}

#[tokio::test]
async fn signing_in_sets_a_safe_session_cookie_and_opens_the_home() {
    let app = spawn_app().await;
    let password = app.demo_password("unithead").await;
    let reply = app
        .post_form(
            "/api/sign_in",
            &[("username", "unithead"), ("password", &password)],
            "",
            "/login",
        )
        .await;
    assert_eq!(reply.location(), "/");
    let session = reply.cookie("rectify_session").unwrap_or_default();
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(
        !session.contains("Secure"),
        "plain http must not mark it Secure: {session}"
    );
    assert!(
        reply
            .cookie("rectify_locale")
            .is_some_and(|c| c.starts_with("rectify_locale=zh"))
    );
    let cookie = session.split(';').next().unwrap_or_default().to_string();
    let home = app.get("/", &cookie).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("周志明"));
    assert!(home.body.contains("海陵区教育局"));
    // Signed in, the sign-in page sends you home.
    assert_eq!(app.get("/login", &cookie).await.location(), "/");
}

#[tokio::test]
async fn behind_a_tls_proxy_the_cookie_is_secure() {
    let app = spawn_app().await;
    let password = app.demo_password("central").await;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("username", "central"), ("password", password.as_str())])
        .finish();
    let reply = app
        .post_raw(
            "/api/sign_in",
            body,
            "",
            "/login",
            &[("x-forwarded-proto", "https")],
        )
        .await;
    assert!(
        reply
            .cookie("rectify_session")
            .is_some_and(|c| c.contains("; Secure"))
    );
}

#[tokio::test]
async fn a_wrong_password_goes_back_with_the_reason_and_the_username() {
    let app = spawn_app().await;
    let reply = app
        .post_form(
            "/api/sign_in",
            &[("username", "unithead"), ("password", "wrong-pass-1")],
            "",
            "/login",
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.location(),
        "/login?error=bad_credentials&username=unithead"
    );
    assert!(reply.cookie("rectify_session").is_none());
    let page = app.get(reply.location(), "").await;
    assert!(page.body.contains("用户名或密码不正确"));
    assert!(page.body.contains(r#"value="unithead""#));
}

#[tokio::test]
async fn a_malformed_sign_in_changes_nothing() {
    let app = spawn_app().await;
    let reply = app
        .post_raw("/api/sign_in", "%%%=&&&".into(), "", "/login", &[])
        .await;
    assert!(reply.cookie("rectify_session").is_none());
    assert!(!reply.status.is_success());
    let sessions: Vec<i64> = app
        .db
        .query("SELECT VALUE count() FROM session GROUP ALL")
        .await
        .and_then(|r| r.check())
        .and_then(|mut r| r.take(0))
        .unwrap_or_default();
    assert!(sessions.is_empty() || sessions == vec![0]);
}

#[tokio::test]
async fn a_unit_head_is_refused_the_administrator_screens_and_functions() {
    let app = spawn_app().await;
    let cookie = app.sign_in("unithead").await;
    let page = app.get("/admin/users", &cookie).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("403"));
    // The server function refuses too, and nothing is created.
    let reply = app
        .post_form(
            "/api/create_district",
            &[("code", "ZZ"), ("name", "假地区"), ("name_en", "")],
            &cookie,
            "/admin/districts",
        )
        .await;
    assert!(
        reply
            .location()
            .starts_with("/admin/districts?error=forbidden"),
        "{}",
        reply.location()
    );
    let districts = app::org::service::list_districts(&app.db)
        .await
        .unwrap_or_default();
    assert!(districts.iter().all(|d| d.code != "ZZ"));
    let read = app
        .post_raw(
            "/api/admin_users",
            String::new(),
            &cookie,
            "/",
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(read.status, StatusCode::FORBIDDEN);
    assert!(
        !read.body.contains("admin"),
        "no user list may leak: {}",
        read.body
    );
}

#[tokio::test]
async fn the_administrator_creates_a_district_and_a_bad_one_is_explained() {
    let app = spawn_app().await;
    let cookie = app.sign_in("admin").await;
    let ok = app
        .post_form(
            "/api/create_district",
            &[
                ("code", "yz"),
                ("name", "医药高新区"),
                ("name_en", "Medical Hi-tech Zone"),
            ],
            &cookie,
            "/admin/districts",
        )
        .await;
    assert_eq!(ok.location(), "/admin/districts?saved=1");
    let page = app.get("/admin/districts", &cookie).await;
    assert!(page.body.contains("医药高新区") && page.body.contains("YZ"));
    // Pages set no cookies of their own (a cookie without Path=/ would shadow the
    // language choice under /admin).
    assert!(page.cookies().is_empty(), "{:?}", page.cookies());
    let bad = app
        .post_form(
            "/api/create_district",
            &[("code", "YZ"), ("name", "重复"), ("name_en", "")],
            &cookie,
            "/admin/districts",
        )
        .await;
    assert!(
        bad.location()
            .starts_with("/admin/districts?error=invalid&field=code&problem=taken"),
        "{}",
        bad.location()
    );
    let page = app.get(bad.location(), &cookie).await;
    assert!(page.body.contains("“代码”已被使用"), "{}", page.body);
}

/// The tests build a router each, side by side, as a drill or a second server in one
/// process could: building one must not stall a page another is rendering (Leptos holds
/// every resource back while it lists a router's routes, with one flag for the whole
/// process). Routers are built without a pause while the page is asked for, fresh, again
/// and again.
#[tokio::test]
async fn pages_answer_while_other_routers_are_built() {
    let app = spawn_app().await;
    let cookie = app.sign_in("admin").await;
    let building = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    // Stops the building however this test ends, a failed assertion included.
    struct Stop(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(false, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let stop = Stop(building.clone());
    let builder = {
        let (db, pages, building) = (app.db.clone(), app.pages.clone(), building.clone());
        std::thread::spawn(move || {
            let mut built = 0u32;
            while building.load(std::sync::atomic::Ordering::Relaxed) {
                drop(router(state_of(&db, &pages)));
                built += 1;
            }
            built
        })
    };
    for _ in 0..20 {
        let req = Request::get("/admin/districts")
            .header(header::ACCEPT, "text/html")
            .header(header::CACHE_CONTROL, "no-cache")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let page = app.send(req).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("海陵区"), "{}", page.body);
    }
    drop(stop);
    let built = builder
        .join()
        .unwrap_or_else(|_| panic!("building a router panicked"));
    assert!(
        built > 0,
        "no router was built while the pages were asked for"
    );
}

#[tokio::test]
async fn an_unknown_page_is_a_404_in_the_users_language() {
    let app = spawn_app().await;
    let cookie = app.sign_in("central").await;
    let page = app.get("/no-such-page", &cookie).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("页面不存在"));
    let english = app
        .get("/no-such-page", &format!("{cookie}; rectify_locale=en"))
        .await;
    assert!(english.body.contains("Page not found"));
}

#[tokio::test]
async fn the_language_switch_sets_the_cookie_and_returns_to_the_page() {
    let app = spawn_app().await;
    let reply = app
        .post_form(
            "/api/set_language",
            &[("lang", "en")],
            "",
            "/login?signed_out=1",
        )
        .await;
    assert_eq!(reply.location(), "/login?signed_out=1");
    assert!(
        reply
            .cookie("rectify_locale")
            .is_some_and(|c| c.starts_with("rectify_locale=en"))
    );
    let page = app.get("/login", "rectify_locale=en").await;
    assert!(page.body.contains(r#"lang="en""#));
    assert!(page.body.contains("Sign in"));
    let refused = app
        .post_form("/api/set_language", &[("lang", "fr")], "", "/login")
        .await;
    assert!(refused.cookie("rectify_locale").is_none());
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    let cookie = app.sign_in("hailing").await;
    let reply = app.post_form("/api/sign_out", &[], &cookie, "/me").await;
    assert_eq!(reply.location(), "/login?signed_out=1");
    assert!(
        reply
            .cookie("rectify_session")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    assert_eq!(app.get("/", &cookie).await.location(), "/login");
}

/// A multipart body as a browser sends the progress form.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----rectify-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl TestApp {
    async fn post_multipart(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        cookie: &str,
    ) -> Reply {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"));
        self.send(req).await
    }
}

/// The ledger's plain forms work through the real router: registration with nested
/// field names, steps, a plan with indexed rows, and the multipart progress report
/// with its evidence, which only the item's own unit can download.
#[tokio::test]
async fn the_ledger_forms_work_without_javascript_and_evidence_stays_in_scope() {
    let app = spawn_app().await;
    let central = app.sign_in("central").await;
    let id = app.register_item(&central).await;
    let step = |step: &'static str, cookie: String| {
        let id = id.clone();
        let app = &app;
        async move {
            app.post_form(
                "/api/item_step",
                &[("item", &id), ("step", step)],
                &cookie,
                "/",
            )
            .await
        }
    };
    assert!(
        step("issue", central.clone())
            .await
            .location()
            .contains("saved=issue")
    );
    let head = app.sign_in("unithead").await;
    assert!(
        step("acknowledge", head.clone())
            .await
            .location()
            .contains("saved=acknowledge")
    );
    // A step that is not theirs comes back with the error, and changes nothing.
    let refused = app
        .post_form(
            "/api/item_step",
            &[("item", &id), ("step", "withdraw"), ("reason", "不想改")],
            &head,
            "/",
        )
        .await;
    assert!(
        refused.location().contains("error=forbidden"),
        "{}",
        refused.location()
    );
    let out_of_order = step("approve_plan", central.clone()).await;
    assert!(
        out_of_order.location().contains("error=wrong_state"),
        "{}",
        out_of_order.location()
    );
    let reply = app
        .post_form(
            "/api/submit_plan",
            &[
                ("item", id.as_str()),
                ("plan[measures][0][what]", "清退超编人员"),
                ("plan[measures][0][due]", "2027-03-31"),
                ("plan[measures][0][owner]", "王强"),
                ("plan[measures][1][what]", ""),
                ("plan[measures][1][due]", "2027-03-15"),
                ("plan[measures][1][owner]", ""),
            ],
            &head,
            "/",
        )
        .await;
    assert!(
        reply.location().contains("saved=submit_plan"),
        "{}",
        reply.location()
    );
    assert!(
        step("approve_plan", central.clone())
            .await
            .location()
            .contains("saved=approve_plan")
    );

    // Evidence: a fake photo is refused by its content; a real one is kept.
    let (ct, body) = multipart(
        &[("item", &id), ("text", "已清退 1 人"), ("remaining", "1")],
        Some(("现场.jpg", b"<html>not a photo</html>")),
    );
    let refused = app
        .post_multipart("/api/report_progress", &ct, body, &head)
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert!(
        refused.location().contains("problem=file_type"),
        "{}",
        refused.location()
    );
    let jpeg: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];
    let (ct, body) = multipart(
        &[("item", &id), ("text", "已清退 1 人"), ("remaining", "1")],
        Some(("现场.jpg", jpeg)),
    );
    let saved = app
        .post_multipart("/api/report_progress", &ct, body, &head)
        .await;
    assert!(
        saved.location().contains("saved=progress"),
        "{}",
        saved.location()
    );
    let page = app.get(&format!("/items/{id}"), &head).await;
    assert_eq!(page.status, StatusCode::OK);
    let file = page
        .body
        .split("src=\"/files/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no thumbnail on the item page"))
        .to_string();
    let download = app.get(&format!("/files/{file}"), &head).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(
        download
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("image/jpeg")
    );
    assert_eq!(
        download
            .headers
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    // Another unit's contact: no item, no file. Signed out: sent to sign in.
    let other = app.sign_in("inspection").await;
    assert_eq!(
        app.get(&format!("/files/{file}"), &other).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/items/{id}"), &other).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/files/{file}"), "").await.location(),
        "/login"
    );
}

impl TestApp {
    /// The administrator creates a unit head of the first unit with the password
    /// `Admin-given-9`, through the users form.
    async fn admin_creates_unit_head(&self, admin: &str, username: &str, display_name: &str) {
        let units = app::org::service::list_units(&self.db, None)
            .await
            .unwrap_or_default();
        let unit = units.first().map(|u| u.id.clone()).unwrap_or_default();
        let created = self
            .post_form(
                "/api/create_user",
                &[
                    ("user[username]", username),
                    ("user[display_name]", display_name),
                    ("user[phone]", ""),
                    ("user[password]", "Admin-given-9"),
                    ("user[role]", "unit_head"),
                    ("user[district]", ""),
                    ("user[unit]", &unit),
                    ("user[partner]", ""),
                ],
                admin,
                "/admin/users",
            )
            .await;
        assert!(
            created.location().contains("saved=1"),
            "{}",
            created.location()
        );
    }
}

fn header_of<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn security_log(app: &TestApp) -> Vec<app::security::SecurityEvent> {
    app::security::service::list(&app.db, None, 0)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Every response says how it may be used; a page's policy allows only its own scripts,
/// the inline hydration script by this response's nonce, and no other host.
#[tokio::test]
async fn responses_carry_the_security_headers_and_pages_a_policy_with_their_nonce() {
    let app = spawn_app().await;
    let page = app.get("/login", "").await;
    assert_eq!(page.status, StatusCode::OK);
    let policy = header_of(&page, "content-security-policy");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {policy}"));
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    for part in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "form-action 'self'",
    ] {
        assert!(policy.contains(part), "{part} in {policy}");
    }
    assert!(!policy.contains("http"), "no other host: {policy}");
    // A second response has a nonce of its own.
    let again = app.get("/login", "").await;
    assert_ne!(header_of(&again, "content-security-policy"), policy);
    for reply in [
        &page,
        &app.get("/manifest.webmanifest", "").await,
        &app.get("/", "").await,
    ] {
        assert_eq!(header_of(reply, "x-content-type-options"), "nosniff");
        assert_eq!(header_of(reply, "referrer-policy"), "same-origin");
        assert_eq!(header_of(reply, "x-frame-options"), "DENY");
        assert!(header_of(reply, "content-security-policy").contains("frame-ancestors 'none'"));
        assert_eq!(
            header_of(reply, "strict-transport-security"),
            "",
            "not over TLS"
        );
    }
    let tls = app
        .send(
            Request::get("/login")
                .header("x-forwarded-proto", "https")
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert!(header_of(&tls, "strict-transport-security").starts_with("max-age=31536000"));
}

/// A form on another site cannot act for a signed-in user: the post is refused, nothing
/// changes, and the refusal is in the security log.
#[tokio::test]
async fn a_post_from_another_site_is_refused_and_logged() {
    let app = spawn_app().await;
    let cookie = app.sign_in("admin").await;
    let form = "code=XS&name=%E8%B7%A8%E7%AB%99&name_en=";
    for (origin, referer) in [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (None, Some("https://evil.example/page")),
        (None, None),
    ] {
        let mut req = Request::post("/api/create_district")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &cookie);
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(r) = referer {
            req = req.header(header::REFERER, r);
        }
        let reply = app
            .send(req.body(Body::from(form)).unwrap_or_else(|e| panic!("{e}")))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{origin:?} {referer:?}"
        );
    }
    let districts = app::org::service::list_districts(&app.db)
        .await
        .unwrap_or_default();
    assert!(districts.iter().all(|d| d.code != "XS"));
    let log = security_log(&app).await;
    let cross: Vec<_> = log
        .iter()
        .filter(|e| e.kind == app::security::SecurityKind::Refused && e.detail == "cross_site")
        .collect();
    assert_eq!(cross.len(), 4);
    assert!(cross.iter().all(|e| e.username.as_deref() == Some("admin")
        && e.path == "/api/create_district"
        && e.status == 403));
    // From our own page, the same post goes through.
    let ok = app
        .post_form(
            "/api/create_district",
            &[("code", "XS"), ("name", "跨站"), ("name_en", "")],
            &cookie,
            "/admin/districts",
        )
        .await;
    assert!(
        ok.location().starts_with("/admin/districts?saved=1"),
        "{}",
        ok.location()
    );
}

/// One address that keeps failing to sign in must wait, even with a right password;
/// the refusal is in the user's language.
#[tokio::test]
async fn failed_sign_ins_from_one_address_are_limited() {
    let app = spawn_app().await;
    let (limit, _) = server::security::SIGN_IN_FAILURES;
    for i in 0..limit {
        let reply = app
            .post_form(
                "/api/sign_in",
                &[
                    ("username", &format!("nobody{i}")),
                    ("password", "Wrong-pass-1"),
                ],
                "",
                "/login",
            )
            .await;
        assert!(
            reply.location().starts_with("/login?error=bad_credentials"),
            "attempt {i}: {}",
            reply.location()
        );
    }
    let password = app.demo_password("unithead").await;
    let reply = app
        .post_form(
            "/api/sign_in",
            &[("username", "unithead"), ("password", &password)],
            "",
            "/login",
        )
        .await;
    assert_eq!(reply.location(), "/login?error=rate_limited");
    assert!(reply.cookie("rectify_session").is_none());
    let page = app.get(reply.location(), "").await;
    assert!(page.body.contains("操作过于频繁"), "the reason, in Chinese");
    let failed: Option<i64> = app
        .db
        .query("RETURN count(SELECT id FROM security_event WHERE kind = 'sign_in_failed')")
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(failed, Some(i64::from(limit)));
    let log = security_log(&app).await;
    assert!(log.first().is_some_and(|e| e.detail == "rate_limited"));
}

/// Sign-ins, failures, refusals and the administrator's changes are logged (passwords
/// never), the administrator reads them, no one else can, and no one can edit them.
#[tokio::test]
async fn the_security_log_keeps_who_did_what_and_cannot_be_changed() {
    let app = spawn_app().await;
    let _ = app
        .post_form(
            "/api/sign_in",
            &[("username", "unithead"), ("password", "Not-it-123")],
            "",
            "/login",
        )
        .await;
    let head = app.sign_in("unithead").await;
    let refused = app
        .post_form(
            "/api/create_district",
            &[("code", "ZZ"), ("name", "假地区"), ("name_en", "")],
            &head,
            "/",
        )
        .await;
    assert!(refused.location().contains("error=forbidden"));
    assert_eq!(
        app.get("/admin/security", &head).await.status,
        StatusCode::FORBIDDEN
    );
    let admin = app.sign_in("admin").await;
    app.admin_creates_unit_head(&admin, "newhead", "新负责人")
        .await;
    let log = security_log(&app).await;
    let kinds: Vec<_> = log
        .iter()
        .map(|e| (e.kind, e.username.clone().unwrap_or_default()))
        .collect();
    use app::security::SecurityKind as K;
    for expected in [
        (K::SignInFailed, "unithead"),
        (K::SignIn, "unithead"),
        (K::Refused, "unithead"),
        (K::SignIn, "admin"),
        (K::AdminAction, "admin"),
    ] {
        assert!(
            kinds
                .iter()
                .any(|(k, u)| *k == expected.0 && u == expected.1),
            "{expected:?} in {kinds:?}"
        );
    }
    let action = log
        .iter()
        .find(|e| e.kind == K::AdminAction)
        .map(|e| e.detail.clone());
    let action = action.unwrap_or_default();
    assert!(action.starts_with("create_user: "), "{action}");
    assert!(action.contains("user[username]=newhead"), "{action}");
    assert!(
        !action.contains("Admin-given-9"),
        "no password in the log: {action}"
    );
    assert!(log.iter().all(|e| !e.detail.contains("Not-it-123")));
    // The administrator's page shows them, newest first.
    let page = app.get("/admin/security", &admin).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("安全日志") && page.body.contains("管理员操作"));
    let filtered = app.get("/admin/security?kind=sign_in_failed", &admin).await;
    assert!(
        filtered.body.contains("登录失败") && !filtered.body.contains("data-kind=\"admin_action\"")
    );
    // Append-only: no entry can be edited, none younger than the retention deleted.
    for statement in [
        "UPDATE security_event SET detail = 'nothing happened'",
        "DELETE security_event",
    ] {
        let result = app.db.query(statement).await.and_then(|r| r.check());
        assert!(result.is_err(), "{statement} must fail");
    }
    assert_eq!(security_log(&app).await, log);
    assert_eq!(
        app::security::service::purge_expired(&app.db, chrono::Utc::now()).await,
        Ok(0)
    );
}

/// An account the administrator made (or reset) reaches nothing but the password page
/// until its user has chosen their own password.
#[tokio::test]
async fn an_account_the_administrator_made_chooses_its_password_first() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    app.admin_creates_unit_head(&admin, "fresh", "新用户").await;
    let reply = app
        .post_form(
            "/api/sign_in",
            &[("username", "fresh"), ("password", "Admin-given-9")],
            "",
            "/login",
        )
        .await;
    let cookie = reply
        .cookie("rectify_session")
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("signed in"));
    for page in ["/", "/ledger", "/me", "/inbox"] {
        assert_eq!(
            app.get(page, &cookie).await.location(),
            "/password?required=1",
            "{page}"
        );
    }
    let form = app.get("/password?required=1", &cookie).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("请先设置只有您自己知道的新密码"));
    // A script's call gets a refusal, not data.
    let call = app
        .send(
            Request::post("/api/ledger_page")
                .header(header::HOST, "127.0.0.1:3000")
                .header(header::ORIGIN, "http://127.0.0.1:3000")
                .header(header::ACCEPT, "application/json")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    let wrong = app
        .post_form(
            "/api/change_password",
            &[
                ("current_password", "Admin-given-9"),
                ("new_password", "My-own-pass-7"),
                ("confirm_password", "My-own-pass-8"),
            ],
            &cookie,
            "/password",
        )
        .await;
    assert!(
        wrong
            .location()
            .starts_with("/password?error=invalid&field=confirm_password&problem=mismatch"),
        "{}",
        wrong.location()
    );
    let done = app
        .post_form(
            "/api/change_password",
            &[
                ("current_password", "Admin-given-9"),
                ("new_password", "My-own-pass-7"),
                ("confirm_password", "My-own-pass-7"),
            ],
            &cookie,
            "/password",
        )
        .await;
    assert_eq!(done.location(), "/me?password_changed=1");
    let me = app.get("/me?password_changed=1", &cookie).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("密码已修改"));
    assert_eq!(app.get("/", &cookie).await.status, StatusCode::OK);
    assert!(
        security_log(&app)
            .await
            .iter()
            .any(|e| e.kind == app::security::SecurityKind::PasswordChanged
                && e.username.as_deref() == Some("fresh"))
    );
}

/// A page asked for again is served as kept, with a nonce of its own, until something
/// is written; a reload and another person always get it rendered.
#[tokio::test]
async fn a_page_asked_again_is_served_as_kept_until_something_is_written() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let first = app.get("/admin/districts", &admin).await;
    assert_eq!(first.status, StatusCode::OK);
    let served = app.pages.served();
    let again = app.get("/admin/districts", &admin).await;
    assert_eq!(app.pages.served(), served + 1, "served as kept");
    let nonce = |r: &Reply| {
        server::page_cache::nonce_in(header_of(r, "content-security-policy"))
            .unwrap_or_else(|| panic!("no nonce"))
            .to_string()
    };
    let (was, is) = (nonce(&first), nonce(&again));
    assert_ne!(was, is, "each response has its own nonce");
    assert!(
        again.body.contains(&format!("nonce=\"{is}\"")),
        "{}",
        again.body
    );
    assert!(!again.body.contains(&was));
    assert_eq!(first.body.replace(&was, "N"), again.body.replace(&is, "N"));
    assert_eq!(header_of(&again, "x-frame-options"), "DENY");

    // A reload is rendered.
    let reload = Request::get("/admin/districts")
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &admin)
        .header(header::CACHE_CONTROL, "max-age=0")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.send(reload).await.status, StatusCode::OK);
    assert_eq!(app.pages.served(), served + 1, "a reload is rendered");

    // Another person asking for the same page gets their own.
    let head = app.sign_in("unithead").await;
    let theirs = app.get("/admin/districts", &head).await;
    assert_ne!(theirs.status, StatusCode::OK, "a unit head may not see it");
    assert_eq!(app.pages.served(), served + 1);

    // A save through the app: the page shows it at once.
    let saved = app
        .post_form(
            "/api/create_district",
            &[
                ("code", "yz"),
                ("name", "医药高新区"),
                ("name_en", "Medical Hi-tech Zone"),
            ],
            &admin,
            "/admin/districts",
        )
        .await;
    assert_eq!(saved.location(), "/admin/districts?saved=1");
    let after = app.get("/admin/districts", &admin).await;
    assert!(after.body.contains("医药高新区"), "{}", after.body);
    assert_eq!(app.pages.served(), served + 1, "rendered after the save");

    // A write straight to the database (a reminder run, another request): the same.
    let users = app.get("/admin/users", &admin).await;
    assert!(!users.body.contains("改过名的单位负责人"));
    app.db
        .query("UPDATE user SET display_name = '改过名的单位负责人' WHERE username = 'unithead'")
        .await
        .and_then(|r| r.check())
        .unwrap_or_else(|e| panic!("{e}"));
    let users = app.get("/admin/users", &admin).await;
    assert!(users.body.contains("改过名的单位负责人"), "{}", users.body);

    // And kept no longer than FRESH_FOR without a write.
    let kept = app.pages.served();
    tokio::time::sleep(server::page_cache::FRESH_FOR).await;
    app.get("/admin/users", &admin).await;
    assert_eq!(app.pages.served(), kept, "too old to serve");
}

/// Redirects, errors and server functions are never kept.
#[tokio::test]
async fn redirects_errors_and_server_functions_are_never_kept() {
    let app = spawn_app().await;
    for _ in 0..2 {
        assert!(app.get("/", "").await.status.is_redirection());
    }
    let admin = app.sign_in("admin").await;
    for _ in 0..2 {
        let missing = app.get("/no-such-page", &admin).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let reply = app.get("/api/no_such_function", &admin).await;
        assert_ne!(reply.status, StatusCode::OK);
    }
    assert_eq!(app.pages.served(), 0);
}

/// A page's body may be asked for more after its end (the server does), as it is kept.
#[tokio::test]
async fn a_page_body_asked_for_more_after_its_end_says_it_has_ended() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    for _ in 0..2 {
        let req = Request::get("/admin/districts")
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, &admin)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let res = app
            .router
            .clone()
            .oneshot(req)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(res.status(), StatusCode::OK);
        let mut body = res.into_body();
        let mut bytes = 0;
        while let Some(frame) = body.frame().await {
            bytes += frame
                .ok()
                .and_then(|f| f.into_data().ok())
                .map_or(0, |d| d.len());
        }
        assert!(bytes > 0);
        assert!(body.frame().await.is_none(), "still ended");
    }
    assert_eq!(app.pages.served(), 1, "the second was the kept one");
}

/// A cookie header may come in pieces (HTTP/2 sends one per cookie): a kept page is for
/// all of them, never for whoever shares the first.
#[tokio::test]
async fn a_page_kept_for_cookies_in_pieces_is_for_all_the_pieces() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let head = app.sign_in("unithead").await;
    let ask = |session: &str| {
        Request::get("/admin/districts")
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, "rectify_locale=zh")
            .header(header::COOKIE, session)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    for _ in 0..2 {
        assert_eq!(app.send(ask(&admin)).await.status, StatusCode::OK);
    }
    assert_eq!(app.pages.served(), 1, "kept for the administrator");
    let theirs = app.send(ask(&head)).await;
    assert_ne!(theirs.status, StatusCode::OK, "{}", theirs.body);
    assert_eq!(app.pages.served(), 1);
}

/// Many asking for the same page at once (a stale page under load) have it rendered
/// once: the others wait for that rendering and are served what it kept.
#[tokio::test]
async fn a_page_many_ask_for_at_once_is_rendered_once() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let replies =
        futures::future::join_all((0..8).map(|_| app.get("/admin/districts", &admin))).await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    assert_eq!(app.pages.served(), 7, "one rendering, seven copies");
    let nonces: std::collections::HashSet<_> = replies
        .iter()
        .map(|r| header_of(r, "content-security-policy").to_string())
        .collect();
    assert_eq!(nonces.len(), 8, "each with its own nonce");
}
