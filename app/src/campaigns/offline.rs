//! Offline first: the island that keeps a return or verification form as a draft on the
//! device (IndexedDB), checks it with the same rules as the server, queues it when sent
//! and sends the queue when the connection returns (or when asked). A draft leaves the
//! device only after the server confirms receipt; every send carries an id made on the
//! device (a replay is stored once) and the version the draft was based on.
//!
//! The form itself is rendered on the server and works as a plain form without
//! JavaScript; the island only enhances it (found by its id).

use super::rules::{ReturnSpec, VerificationSpec};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the island checks a draft against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfflineSpec {
    Return(ReturnSpec),
    Verification(VerificationSpec),
}

/// The island's words, translated on the server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineLabels {
    /// "Kept on this phone (not sent yet)"
    pub kept: String,
    /// "Draft restored from this phone"
    pub restored: String,
    /// "Ready to send: waiting for the network"
    pub ready: String,
    /// "Sending…"
    pub sending: String,
    /// "{n} waiting to be sent on this phone" ({n} replaced)
    pub waiting: String,
    /// "Send now"
    pub send_now: String,
    /// "Please correct:"
    pub correct: String,
    /// "Sign in again to send; the draft stays on this phone"
    pub signed_out: String,
    /// "The server refused the draft: …"
    pub refused: String,
    /// Problem code → text ("required" → "必填", …).
    pub problems: Vec<(String, String)>,
}

/// The status panel of an offline form. `form_id` is the form it enhances, `draft_key`
/// names its draft on the device.
#[island]
pub fn OfflineForm(
    form_id: String,
    draft_key: String,
    spec: OfflineSpec,
    labels: OfflineLabels,
) -> impl IntoView {
    let state = RwSignal::new(String::new());
    let waiting = RwSignal::new(0usize);
    let problems = RwSignal::new(Vec::<String>::new());
    // Set once the draft (if any) is back in the form and the form is watched.
    let ready = RwSignal::new(false);
    let l = StoredValue::new(labels);
    #[cfg(feature = "hydrate")]
    {
        let ctx = browser::Ctx {
            form_id: form_id.clone(),
            draft_key: draft_key.clone(),
            spec: spec.clone(),
            labels: l.get_value(),
            state,
            waiting,
            problems,
            ready,
        };
        Effect::new(move |_| browser::start(ctx.clone()));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (&form_id, &draft_key, &spec);
    let send_now = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(browser::flush_all(state, waiting, problems, l.get_value()));
    };
    let message = move || {
        l.with_value(|l| match state.get().as_str() {
            "kept" => l.kept.clone(),
            "restored" => l.restored.clone(),
            "ready" => l.ready.clone(),
            "sending" => l.sending.clone(),
            "signed_out" => l.signed_out.clone(),
            "refused" => l.refused.clone(),
            _ => String::new(),
        })
    };
    view! {
        <div class="offline-panel" data-testid="offline-panel" data-state=move || state.get() data-waiting=move || waiting.get() data-ready=move || ready.get().to_string()>
            <p role="status" data-testid="offline-status">{message}</p>
            <Show when=move || { waiting.get() > 0 }>
                <p class="offline-waiting" data-testid="offline-waiting">
                    {move || l.with_value(|l| l.waiting.replace("{n}", &waiting.get().to_string()))}
                </p>
                <button type="button" class="button" data-testid="send-now" on:click=send_now>
                    {move || l.with_value(|l| l.send_now.clone())}
                </button>
            </Show>
            <Show when=move || !problems.with(Vec::is_empty)>
                <div class="notice notice-error" role="alert" data-testid="draft-problems">
                    <strong>{move || l.with_value(|l| l.correct.clone())}</strong>
                    <ul>{move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                </div>
            </Show>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    //! IndexedDB, the form and fetch, through web-sys.
    use super::{OfflineLabels, OfflineSpec};
    use crate::campaigns::rules::{self, InputProblem, Sent};
    use js_sys::{Array, Object, Promise, Reflect};
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{
        File, FormData, HtmlFormElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement,
        IdbDatabase, IdbRequest, IdbTransactionMode,
    };

    const DB_NAME: &str = "rectify";
    const STORE: &str = "drafts";

    #[derive(Clone)]
    pub struct Ctx {
        pub form_id: String,
        pub draft_key: String,
        pub spec: OfflineSpec,
        pub labels: OfflineLabels,
        pub state: RwSignal<String>,
        pub waiting: RwSignal<usize>,
        pub problems: RwSignal<Vec<String>>,
        pub ready: RwSignal<bool>,
    }

    fn get(o: &JsValue, k: &str) -> JsValue {
        Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
    }

    fn set(o: &Object, k: &str, v: &JsValue) {
        let _ = Reflect::set(o, &JsValue::from_str(k), v);
    }

    /// A request's result, awaited.
    async fn done(req: IdbRequest) -> Result<JsValue, JsValue> {
        let promise = Promise::new(&mut |resolve, reject| {
            let ok_req = req.clone();
            let on_ok = Closure::once_into_js(move || {
                let _ = resolve.call1(
                    &JsValue::NULL,
                    &ok_req.result().unwrap_or(JsValue::UNDEFINED),
                );
            });
            let on_err = Closure::once_into_js(move || {
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("indexeddb"));
            });
            req.set_onsuccess(Some(on_ok.unchecked_ref()));
            req.set_onerror(Some(on_err.unchecked_ref()));
        });
        JsFuture::from(promise).await
    }

    async fn open() -> Result<IdbDatabase, JsValue> {
        let factory = window()
            .indexed_db()?
            .ok_or_else(|| JsValue::from_str("no indexeddb"))?;
        let req = factory.open_with_u32(DB_NAME, 1)?;
        let upgrade_req = req.clone();
        let on_upgrade = Closure::once_into_js(move || {
            if let Ok(db) = upgrade_req
                .result()
                .and_then(|r| r.dyn_into::<IdbDatabase>())
            {
                let params = web_sys::IdbObjectStoreParameters::new();
                params.set_key_path(&JsValue::from_str("key"));
                let _ = db.create_object_store_with_optional_parameters(STORE, &params);
            }
        });
        req.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
        done(req.into()).await?.dyn_into::<IdbDatabase>()
    }

    async fn store_op(
        mode: IdbTransactionMode,
        op: impl FnOnce(&web_sys::IdbObjectStore) -> Result<IdbRequest, JsValue>,
    ) -> Result<JsValue, JsValue> {
        let db = open().await?;
        let req = db
            .transaction_with_str_and_mode(STORE, mode)
            .and_then(|tx| tx.object_store(STORE))
            .and_then(|store| op(&store));
        let result = match req {
            Ok(req) => done(req).await,
            Err(e) => Err(e),
        };
        db.close();
        result
    }

    async fn read(key: &str) -> Option<JsValue> {
        let k = JsValue::from_str(key);
        store_op(IdbTransactionMode::Readonly, |s| s.get(&k))
            .await
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    async fn all() -> Vec<JsValue> {
        store_op(IdbTransactionMode::Readonly, |s| s.get_all())
            .await
            .ok()
            .map(|v| Array::from(&v).iter().collect())
            .unwrap_or_default()
    }

    async fn write(draft: &Object) -> bool {
        store_op(IdbTransactionMode::Readwrite, |s| s.put(draft))
            .await
            .is_ok()
    }

    async fn remove(key: &str) {
        let k = JsValue::from_str(key);
        let _ = store_op(IdbTransactionMode::Readwrite, |s| s.delete(&k)).await;
    }

    fn form(id: &str) -> Option<HtmlFormElement> {
        document().get_element_by_id(id)?.dyn_into().ok()
    }

    /// The form's fields as `[name, value]` pairs (value text or a File).
    fn entries(form: &HtmlFormElement) -> Array {
        let out = Array::new();
        if let Ok(fd) = FormData::new_with_form(form)
            && let Ok(Some(iter)) = js_sys::try_iter(&fd)
        {
            for pair in iter.flatten() {
                out.push(&pair);
            }
        }
        out
    }

    fn pair_parts(pair: &JsValue) -> (String, JsValue) {
        let a = Array::from(pair);
        (a.get(0).as_string().unwrap_or_default(), a.get(1))
    }

    /// Text fields and the names of file fields with a file, for the rules.
    fn sent_of(entries: &Array) -> Sent {
        let mut pairs = Vec::new();
        let mut files = Vec::new();
        for pair in entries.iter() {
            let (name, value) = pair_parts(&pair);
            if let Some(text) = value.as_string() {
                pairs.push((name, text));
            } else if let Ok(f) = value.dyn_into::<File>()
                && f.size() > 0.0
            {
                files.push(name);
            }
        }
        Sent::new(&pairs, files)
    }

    fn check(spec: &OfflineSpec, sent: &Sent, submit: bool) -> Vec<InputProblem> {
        match spec {
            OfflineSpec::Return(s) => rules::read_return(s, sent, submit).err(),
            OfflineSpec::Verification(s) => rules::read_verification(s, sent, submit).err(),
        }
        .unwrap_or_default()
    }

    /// "<label>: <problem>" for each problem; the inputs are marked invalid.
    fn describe(form_id: &str, labels: &OfflineLabels, problems: &[InputProblem]) -> Vec<String> {
        let f = form(form_id);
        if let Some(f) = &f
            && let Ok(marked) = f.query_selector_all("[aria-invalid]")
        {
            for i in 0..marked.length() {
                if let Some(el) = marked
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = el.remove_attribute("aria-invalid");
                }
            }
        }
        problems
            .iter()
            .map(|p| {
                let el = f.as_ref().and_then(|f| {
                    f.query_selector(&format!("[name=\"{}\"]", p.input))
                        .ok()
                        .flatten()
                });
                if let Some(el) = &el {
                    let _ = el.set_attribute("aria-invalid", "true");
                }
                let label = el
                    .and_then(|e| e.get_attribute("data-label"))
                    .unwrap_or_else(|| p.input.clone());
                let code = p.problem.code();
                let text = labels
                    .problems
                    .iter()
                    .find(|(k, _)| k == code)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| code.to_string());
                format!("{label}: {text}")
            })
            .collect()
    }

    /// Put a stored draft back into the form (files too, where the browser allows).
    fn restore(form: &HtmlFormElement, entries: &Array) {
        let pairs: Vec<(String, JsValue)> = entries.iter().map(|p| pair_parts(&p)).collect();
        let elements = form.elements();
        for i in 0..elements.length() {
            let Some(el) = elements.item(i) else { continue };
            if let Ok(input) = el.clone().dyn_into::<HtmlInputElement>() {
                let name = input.name();
                if name.is_empty() || name == "client_id" {
                    continue;
                }
                let values: Vec<&JsValue> = pairs
                    .iter()
                    .filter(|(n, _)| *n == name)
                    .map(|(_, v)| v)
                    .collect();
                match input.type_().as_str() {
                    "checkbox" | "radio" => {
                        let v = input.value();
                        input.set_checked(
                            values
                                .iter()
                                .any(|x| x.as_string().as_deref() == Some(v.as_str())),
                        );
                    }
                    "file" => {
                        let files: Vec<File> = values
                            .iter()
                            .filter_map(|v| (*v).clone().dyn_into::<File>().ok())
                            .filter(|f| f.size() > 0.0)
                            .collect();
                        if !files.is_empty()
                            && let Ok(dt) = web_sys::DataTransfer::new()
                        {
                            for f in &files {
                                let _ = dt.items().add_with_file(f);
                            }
                            input.set_files(dt.files().as_ref());
                        }
                    }
                    "submit" | "button" => {}
                    _ => {
                        if let Some(v) = values.last().and_then(|v| v.as_string()) {
                            input.set_value(&v);
                        }
                    }
                }
            } else if let Ok(sel) = el.clone().dyn_into::<HtmlSelectElement>() {
                if let Some(v) = pairs
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == sel.name())
                    .and_then(|(_, v)| v.as_string())
                {
                    sel.set_value(&v);
                }
            } else if let Ok(ta) = el.dyn_into::<HtmlTextAreaElement>()
                && let Some(v) = pairs
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == ta.name())
                    .and_then(|(_, v)| v.as_string())
            {
                ta.set_value(&v);
            }
        }
    }

    fn new_client_id() -> String {
        let mut bytes = [0u8; 16];
        let filled = window()
            .crypto()
            .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).map(|_| ()))
            .is_ok();
        if !filled {
            for b in bytes.iter_mut() {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
        }
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn draft_object(
        key: &str,
        url: &str,
        entries: &Array,
        status: &str,
        client_id: &str,
    ) -> Object {
        let o = Object::new();
        set(&o, "key", &JsValue::from_str(key));
        set(&o, "url", &JsValue::from_str(url));
        set(&o, "entries", entries);
        set(&o, "status", &JsValue::from_str(status));
        set(&o, "client_id", &JsValue::from_str(client_id));
        set(&o, "saved_at", &JsValue::from_f64(js_sys::Date::now()));
        o
    }

    async fn count_waiting() -> usize {
        all()
            .await
            .iter()
            .filter(|d| get(d, "status").as_string().as_deref() == Some("queued"))
            .count()
    }

    thread_local! {
        /// Bumped by every change and every send of a form: a draft write that lost the
        /// race to a newer one (typing, then tapping send) is dropped, never written over it.
        static SEQ: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    fn bump() -> u64 {
        SEQ.with(|s| {
            s.set(s.get() + 1);
            s.get()
        })
    }

    fn current(seq: u64) -> bool {
        SEQ.with(|s| s.get() == seq)
    }

    /// Keep the form as it is now as a draft on the device (unless something newer
    /// was written meanwhile).
    async fn keep(ctx: &Ctx) {
        let Some(f) = form(&ctx.form_id) else { return };
        let mine = bump();
        let draft = draft_object(&ctx.draft_key, &f.action(), &entries(&f), "draft", "");
        let written = store_op(IdbTransactionMode::Readwrite, |s| {
            if current(mine) {
                s.put(&draft)
            } else {
                Err(JsValue::from_str("superseded"))
            }
        })
        .await
        .is_ok();
        if written && current(mine) {
            ctx.state.set("kept".into());
        }
        ctx.waiting.set(count_waiting().await);
    }

    /// What sending one draft came to.
    enum Sent_ {
        Confirmed(String),
        Offline,
        SignedOut,
        Refused(Vec<InputProblem>),
    }

    async fn send(draft: &JsValue) -> Sent_ {
        let Ok(fd) = FormData::new() else {
            return Sent_::Offline;
        };
        for pair in Array::from(&get(draft, "entries")).iter() {
            let (name, value) = pair_parts(&pair);
            if name == "client_id" {
                continue;
            }
            if let Some(text) = value.as_string() {
                let _ = fd.append_with_str(&name, &text);
            } else if let Ok(file) = value.dyn_into::<File>() {
                if file.size() > 0.0 {
                    let _ = fd.append_with_str(
                        &format!("taken-{name}"),
                        &(file.last_modified() as i64).to_string(),
                    );
                }
                let _ = fd.append_with_blob_and_filename(&name, &file, &file.name());
            }
        }
        let _ = fd.append_with_str(
            "client_id",
            &get(draft, "client_id").as_string().unwrap_or_default(),
        );
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&fd);
        let headers = web_sys::Headers::new().ok();
        if let Some(h) = &headers {
            let _ = h.set("x-rectify-queue", "1");
            init.set_headers(h);
        }
        let url = get(draft, "url").as_string().unwrap_or_default();
        let Ok(res) = JsFuture::from(window().fetch_with_str_and_init(&url, &init)).await else {
            return Sent_::Offline;
        };
        let Ok(res) = res.dyn_into::<web_sys::Response>() else {
            return Sent_::Offline;
        };
        let status = res.status();
        let body = match res.json() {
            Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::NULL),
            Err(_) => JsValue::NULL,
        };
        if res.ok() {
            let outcome = get(&body, "outcome").as_string().unwrap_or_default();
            let redirect = get(&body, "redirect").as_string().unwrap_or_default();
            return Sent_::Confirmed(format!("{redirect}?sent={outcome}"));
        }
        if status == 401 {
            return Sent_::SignedOut;
        }
        if status >= 500 || status == 0 || status == 429 {
            return Sent_::Offline;
        }
        let error: Option<crate::AppError> = js_sys::JSON::stringify(&get(&body, "error"))
            .ok()
            .and_then(|s| s.as_string())
            .and_then(|s| serde_json::from_str(&s).ok());
        Sent_::Refused(match error {
            Some(crate::AppError::Form(p)) => p,
            _ => Vec::new(),
        })
    }

    /// Send every queued draft on the device; each leaves the device only when the server
    /// confirmed it. A draft of the open page that was received takes the page to its
    /// new state.
    pub async fn flush_all(
        state: RwSignal<String>,
        waiting: RwSignal<usize>,
        problems: RwSignal<Vec<String>>,
        labels: OfflineLabels,
    ) {
        let here = page_key();
        for draft in all().await {
            if get(&draft, "status").as_string().as_deref() != Some("queued") {
                continue;
            }
            let key = get(&draft, "key").as_string().unwrap_or_default();
            let mine = here.as_deref() == Some(key.as_str());
            if mine {
                state.set("sending".into());
            }
            match send(&draft).await {
                Sent_::Confirmed(next) => {
                    remove(&key).await;
                    if mine {
                        let _ = window().location().set_href(&next);
                        return;
                    }
                }
                Sent_::Offline => {
                    if mine {
                        state.set("ready".into());
                    }
                }
                Sent_::SignedOut => {
                    if mine {
                        state.set("signed_out".into());
                    }
                }
                Sent_::Refused(found) => {
                    // Back to a draft, with what the server found, for the user to fix.
                    let entries = Array::from(&get(&draft, "entries"));
                    let url = get(&draft, "url").as_string().unwrap_or_default();
                    write(&draft_object(&key, &url, &entries, "draft", "")).await;
                    if mine {
                        state.set("refused".into());
                        if let Some(id) = form_id_for(&key) {
                            problems.set(describe(&id, &labels, &found));
                        }
                    }
                }
            }
        }
        waiting.set(count_waiting().await);
    }

    thread_local! {
        static PAGE: std::cell::RefCell<Option<(String, String)>> = const { std::cell::RefCell::new(None) };
    }

    fn page_key() -> Option<String> {
        PAGE.with(|p| p.borrow().as_ref().map(|(k, _)| k.clone()))
    }

    fn form_id_for(key: &str) -> Option<String> {
        PAGE.with(|p| {
            p.borrow()
                .as_ref()
                .filter(|(k, _)| k == key)
                .map(|(_, id)| id.clone())
        })
    }

    pub fn start(ctx: Ctx) {
        let Some(f) = form(&ctx.form_id) else { return };
        PAGE.with(|p| *p.borrow_mut() = Some((ctx.draft_key.clone(), ctx.form_id.clone())));
        {
            let ctx = ctx.clone();
            let f = f.clone();
            leptos::task::spawn_local(async move {
                if let Some(d) = read(&ctx.draft_key).await {
                    restore(&f, &Array::from(&get(&d, "entries")));
                    let queued = get(&d, "status").as_string().as_deref() == Some("queued");
                    ctx.state
                        .set(if queued { "ready" } else { "restored" }.into());
                }
                ctx.waiting.set(count_waiting().await);
                ctx.ready.set(true);
                if window().navigator().on_line() {
                    flush_all(ctx.state, ctx.waiting, ctx.problems, ctx.labels.clone()).await;
                }
            });
        }
        let on_change = {
            let ctx = ctx.clone();
            Closure::<dyn FnMut()>::new(move || {
                let ctx = ctx.clone();
                leptos::task::spawn_local(async move { keep(&ctx).await });
            })
        };
        let _ = f.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        let _ = f.add_event_listener_with_callback("input", on_change.as_ref().unchecked_ref());
        on_change.forget();
        let on_submit = {
            let ctx = ctx.clone();
            let f = f.clone();
            Closure::<dyn FnMut(web_sys::SubmitEvent)>::new(move |ev: web_sys::SubmitEvent| {
                ev.prevent_default();
                let intent = ev
                    .submitter()
                    .and_then(|b| b.get_attribute("value"))
                    .unwrap_or_else(|| "submit".into());
                let list = entries(&f);
                list.push(
                    &Array::of2(&JsValue::from_str("intent"), &JsValue::from_str(&intent)).into(),
                );
                let submit = intent == "submit";
                let found = check(&ctx.spec, &sent_of(&list), submit);
                ctx.problems
                    .set(describe(&ctx.form_id, &ctx.labels, &found));
                let ctx = ctx.clone();
                let url = f.action();
                // Anything typed before this send and not yet written is superseded.
                bump();
                leptos::task::spawn_local(async move {
                    let status = if found.is_empty() { "queued" } else { "draft" };
                    let id = if found.is_empty() {
                        new_client_id()
                    } else {
                        String::new()
                    };
                    write(&draft_object(&ctx.draft_key, &url, &list, status, &id)).await;
                    if found.is_empty() {
                        ctx.state.set("ready".into());
                        ctx.waiting.set(count_waiting().await);
                        flush_all(ctx.state, ctx.waiting, ctx.problems, ctx.labels.clone()).await;
                    } else {
                        ctx.state.set("kept".into());
                    }
                });
            })
        };
        let _ = f.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
        on_submit.forget();
        let on_online = {
            let ctx = ctx.clone();
            Closure::<dyn FnMut()>::new(move || {
                leptos::task::spawn_local(flush_all(
                    ctx.state,
                    ctx.waiting,
                    ctx.problems,
                    ctx.labels.clone(),
                ));
            })
        };
        let _ =
            window().add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        // Also try now and then: "online" is not always told.
        let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(
            on_online.as_ref().unchecked_ref(),
            30_000,
        );
        on_online.forget();
    }
}
