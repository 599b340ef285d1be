//! The screens of campaigns: the list, a new campaign, a campaign's progress, a return
//! (the form for those who fill it, the review beside the ledger for the central office)
//! and an on-site verification. Every form is a plain HTML form; the return and the
//! verification are enhanced by the offline island.

use super::api::{
    ResolveConflict, ReviewReturn, SetCampaignState, campaign_data, campaigns_data, return_data,
    verification_data,
};
use super::offline::{OfflineForm, OfflineLabels, OfflineSpec};
use super::rules::{
    CampaignKind, CampaignState, Finding, QUESTION_ROWS, QuestionKind, Standing, Summary,
    TARGET_ROWS, Truth, decode_problems,
};
use super::{
    AttachedItem, CREATE_CAMPAIGN_PATH, CampaignView, ItemCheck, PLAN_VERIFICATION_PATH,
    RETURN_PATH, ReturnContent, ReturnView, StoredFile, VERIFY_PATH, VerificationView, file_path,
};
use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ledger::lifecycle::Status;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::labels::{entry_name, status_label};
use crate::ui::notice::{ErrorNotice, SuccessNotice, query_value};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

pub fn kind_label(l: Locale, k: CampaignKind) -> String {
    match k {
        CampaignKind::LookBack => td_string!(l, campaign.kind_look_back),
        CampaignKind::Special => td_string!(l, campaign.kind_special),
    }
    .to_string()
}

pub fn state_label(l: Locale, s: CampaignState) -> String {
    match s {
        CampaignState::Draft => td_string!(l, campaign.state_draft),
        CampaignState::Open => td_string!(l, campaign.state_open),
        CampaignState::Closed => td_string!(l, campaign.state_closed),
    }
    .to_string()
}

pub fn standing_label(l: Locale, s: Standing) -> String {
    match s {
        Standing::Pending => td_string!(l, campaign.standing_pending),
        Standing::Missing => td_string!(l, campaign.standing_missing),
        Standing::Submitted => td_string!(l, campaign.standing_submitted),
        Standing::Late => td_string!(l, campaign.standing_late),
        Standing::Returned => td_string!(l, campaign.standing_returned),
        Standing::Accepted => td_string!(l, campaign.standing_accepted),
    }
    .to_string()
}

pub fn truth_label(l: Locale, t: Truth) -> String {
    match t {
        Truth::Rectified => td_string!(l, campaign.truth_rectified),
        Truth::InProgress => td_string!(l, campaign.truth_in_progress),
        Truth::NotStarted => td_string!(l, campaign.truth_not_started),
    }
    .to_string()
}

pub fn finding_label(l: Locale, f: Finding) -> String {
    match f {
        Finding::Confirmed => td_string!(l, campaign.finding_confirmed),
        Finding::Partly => td_string!(l, campaign.finding_partly),
        Finding::NotConfirmed => td_string!(l, campaign.finding_not_confirmed),
    }
    .to_string()
}

fn question_kind_label(l: Locale, k: QuestionKind) -> String {
    match k {
        QuestionKind::YesNo => td_string!(l, campaign.q_yes_no),
        QuestionKind::Number => td_string!(l, campaign.q_number),
        QuestionKind::Text => td_string!(l, campaign.q_text),
        QuestionKind::Choice => td_string!(l, campaign.q_choice),
        QuestionKind::Photo => td_string!(l, campaign.q_photo),
    }
    .to_string()
}

fn item_status(l: Locale, code: &str) -> String {
    Status::parse(code)
        .map(|s| status_label(l, s))
        .unwrap_or_else(|| code.to_string())
}

/// The island's words in the user's language.
fn offline_labels(l: Locale) -> OfflineLabels {
    OfflineLabels {
        kept: td_string!(l, campaign.offline_kept).to_string(),
        restored: td_string!(l, campaign.offline_restored).to_string(),
        ready: td_string!(l, campaign.offline_ready).to_string(),
        sending: td_string!(l, campaign.offline_sending).to_string(),
        waiting: td_string!(l, campaign.offline_waiting).to_string(),
        send_now: td_string!(l, campaign.send_now).to_string(),
        correct: td_string!(l, campaign.correct).to_string(),
        signed_out: td_string!(l, campaign.offline_signed_out).to_string(),
        refused: td_string!(l, campaign.offline_refused).to_string(),
        problems: vec![
            (
                "required".into(),
                td_string!(l, campaign.p_required).to_string(),
            ),
            (
                "invalid".into(),
                td_string!(l, campaign.p_invalid).to_string(),
            ),
            (
                "not_later".into(),
                td_string!(l, campaign.p_not_later).to_string(),
            ),
            (
                "too_long".into(),
                td_string!(l, campaign.p_too_long).to_string(),
            ),
            (
                "file_too_large".into(),
                td_string!(l, campaign.p_file_too_large).to_string(),
            ),
            (
                "file_type".into(),
                td_string!(l, campaign.p_file_type).to_string(),
            ),
            (
                "quota_used".into(),
                td_string!(l, campaign.p_quota_used).to_string(),
            ),
        ],
    }
}

/// The problems a refused plain form brought back, each as "<input>: <problem>".
#[component]
fn FormProblems() -> impl IntoView {
    let l = use_i18n().get_locale_untracked();
    let labels = offline_labels(l);
    let problems = decode_problems(&query_value("problems"));
    (!problems.is_empty()).then(|| {
        view! {
            <div class="notice notice-error" role="alert" data-testid="form-problems">
                <strong>{labels.correct.clone()}</strong>
                <ul>
                    {problems.into_iter().map(|p| {
                        let code = p.problem.code();
                        let text = labels.problems.iter().find(|(k, _)| k == code).map(|(_, v)| v.clone()).unwrap_or_else(|| code.to_string());
                        view! { <li data-input=p.input.clone()>{format!("{}: {text}", p.input)}</li> }
                    }).collect_view()}
                </ul>
            </div>
        }
    })
}

/// A fresh submission id for a plain form (a device's queue makes its own).
fn server_client_id() -> String {
    #[cfg(feature = "ssr")]
    {
        use rand::Rng;
        format!("{:032x}", rand::rngs::OsRng.r#gen::<u128>())
    }
    #[cfg(not(feature = "ssr"))]
    String::new()
}

fn file_links(owner_kind: char, owner: String, files: Vec<StoredFile>) -> impl IntoView {
    (!files.is_empty()).then(|| {
        view! {
            <ul class="file-list">
                {files.into_iter().map(|f| {
                    let href = file_path(owner_kind, &owner, &f.sha256);
                    let thumb = f.kind.starts_with("image") || matches!(f.kind.as_str(), "jpeg" | "png" | "webp" | "heic" | "gif");
                    view! {
                        <li>
                            <a href=href.clone() target="_blank" rel="noopener">
                                {thumb.then(|| view! { <img src=href.clone() alt=f.file_name.clone() class="thumb" loading="lazy" /> })}
                                <span>{f.file_name.clone()}</span>
                            </a>
                            <span class="hint" data-testid="taken-at">{f.taken_at.clone()}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

// ---------------------------------------------------------------- the list

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    let i18n = use_i18n();
    let central = user.role == Role::CentralOffice;
    let data = Resource::new(|| (), |_| campaigns_data());
    view! {
        <AppFrame user>
            <h1>{t!(i18n, campaign.title)}</h1>
            <ErrorNotice />
            {central.then(|| view! { <p><a class="button primary" href="/campaigns/new" data-testid="new-campaign">{t!(i18n, campaign.new_campaign)}</a></p> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    match data.await {
                        Ok((campaigns, visits)) => view! {
                            {campaigns.is_empty().then(|| view! { <p class="hint">{t!(i18n, campaign.none)}</p> })}
                            <ul class="item-list" data-testid="campaign-list">
                                {campaigns.into_iter().map(|c| {
                                    let href = format!("/campaigns/{}", c.id);
                                    view! {
                                        <li class="card">
                                            <a href=href><strong>{c.name.clone()}</strong></a>
                                            <p class="hint">{format!("{} · {} · {} – {}", kind_label(l, c.kind), state_label(l, c.state), c.opens, c.closes)}</p>
                                            {c.mine.into_iter().map(|(rid, s)| view! {
                                                <a class="button" href=format!("/returns/{rid}") data-testid="my-return">
                                                    {td_string!(l, campaign.my_return).to_string()}" · "{standing_label(l, s)}
                                                </a>
                                            }).collect_view()}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            {(!visits.is_empty()).then(|| view! {
                                <h2>{t!(i18n, campaign.my_visits)}</h2>
                                <ul class="item-list" data-testid="my-visits">
                                    {visits.into_iter().map(|v| view! {
                                        <li class="card">
                                            <a href=format!("/verifications/{}", v.id)>{v.unit_name.clone()}</a>
                                            <p class="hint">{format!("{} · {} · {} · {}", v.campaign_name, v.planned_on, v.verifier_name, if v.recorded { td_string!(l, campaign.visit_recorded) } else { td_string!(l, campaign.visit_planned) })}</p>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })}
                        }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}

// ---------------------------------------------------------------- a new campaign

#[component]
pub fn NewCampaignPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    if user.role != Role::CentralOffice {
        return view! { <PageError error=AppError::Forbidden /> }.into_any();
    }
    let i18n = use_i18n();
    let places = Resource::new(|| (), |_| super::api::campaign_places());
    // Districts chosen beforehand (the dashboard's "start a look-back" on a concentration).
    let chosen: Vec<String> = query_value("districts")
        .split(',')
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .collect();
    view! {
        <AppFrame user>
            <h1>{t!(i18n, campaign.new_campaign)}</h1>
            <ErrorNotice />
            <FormProblems />
            <Suspense fallback=|| ()>
                {move || { let chosen = chosen.clone(); Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    let (districts, units) = match places.await {
                        Ok(p) => p,
                        Err(e) => return view! { <PageError error=e /> }.into_any(),
                    };
                    view! {
                        <form method="post" action=CREATE_CAMPAIGN_PATH class="card form" data-testid="campaign-form">
                            <label><span>{t!(i18n, campaign.name)}</span>
                                <input name="name" required maxlength="80" value=query_value("name") /></label>
                            <label><span>{t!(i18n, campaign.kind)}</span>
                                <select name="kind">
                                    <option value="look_back">{kind_label(l, CampaignKind::LookBack)}</option>
                                    <option value="special" selected=query_value("kind") == "special">{kind_label(l, CampaignKind::Special)}</option>
                                </select></label>
                            <div class="row">
                                <label><span>{t!(i18n, campaign.opens)}</span><input type="date" name="opens" required value=query_value("opens") /></label>
                                <label><span>{t!(i18n, campaign.closes)}</span><input type="date" name="closes" required value=query_value("closes") /></label>
                            </div>
                            <fieldset><legend>{t!(i18n, campaign.districts)}</legend>
                                {districts.into_iter().map(|(id, name)| view! {
                                    <label class="check"><input type="checkbox" name="districts" checked=chosen.contains(&id) value=id />{name}</label>
                                }).collect_view()}
                            </fieldset>
                            <label><span>{t!(i18n, campaign.units_optional)}</span>
                                <select name="units" multiple size="6">
                                    {units.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                                </select></label>
                            <label class="check"><input type="checkbox" name="unit_returns" />{t!(i18n, campaign.unit_returns)}</label>
                            <fieldset><legend>{t!(i18n, campaign.questions)}</legend>
                                {(0..QUESTION_ROWS).map(|n| view! {
                                    <div class="row question-row">
                                        <select name=format!("q-{n}-kind") aria-label=td_string!(l, campaign.q_kind).to_string()>
                                            {[QuestionKind::YesNo, QuestionKind::Number, QuestionKind::Text, QuestionKind::Choice, QuestionKind::Photo].into_iter().map(|k| view! { <option value=k.as_str()>{question_kind_label(l, k)}</option> }).collect_view()}
                                        </select>
                                        <input name=format!("q-{n}-label") placeholder=td_string!(l, campaign.q_label).to_string() />
                                        <input name=format!("q-{n}-choices") placeholder=td_string!(l, campaign.q_choices).to_string() />
                                        <label class="check"><input type="checkbox" name=format!("q-{n}-required") />{t!(i18n, campaign.q_required)}</label>
                                    </div>
                                }).collect_view()}
                            </fieldset>
                            <fieldset><legend>{t!(i18n, campaign.targets)}</legend>
                                {(0..TARGET_ROWS).map(|n| view! {
                                    <div class="row">
                                        <input name=format!("t-{n}-label") placeholder=td_string!(l, campaign.t_label).to_string() />
                                        <input name=format!("t-{n}-goal") inputmode="numeric" placeholder=td_string!(l, campaign.t_goal).to_string() />
                                    </div>
                                }).collect_view()}
                            </fieldset>
                            <button type="submit" class="button primary big">{t!(i18n, campaign.create)}</button>
                        </form>
                    }.into_any()
                })}}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}

// ---------------------------------------------------------------- a campaign

#[component]
pub fn CampaignPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .unwrap_or_default();
    let data = Resource::new(move || id.clone(), campaign_data);
    view! {
        <AppFrame user>
            <ErrorNotice />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(c) => view! { <CampaignBody c /> }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}

#[component]
fn CampaignBody(c: CampaignView) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let id = c.id.clone();
    let step = match (c.manage, c.state) {
        (true, CampaignState::Draft) => Some((true, td_string!(l, campaign.open).to_string())),
        (true, CampaignState::Open) => Some((false, td_string!(l, campaign.close).to_string())),
        _ => None,
    };
    let summaries: Vec<_> = c
        .form
        .questions
        .iter()
        .cloned()
        .zip(c.summaries.clone())
        .collect();
    let mut units: Vec<(String, String)> = c
        .items
        .iter()
        .map(|i| (i.unit.clone(), i.unit_name.clone()))
        .collect();
    units.sort();
    units.dedup();
    view! {
        <h1 data-testid="campaign-name">{c.name.clone()}</h1>
        <SuccessNotice flag="created">{move || t!(i18n, campaign.created)}</SuccessNotice>
        <SuccessNotice flag="saved">{move || t!(i18n, campaign.saved)}</SuccessNotice>
        <SuccessNotice flag="planned">{move || t!(i18n, campaign.planned)}</SuccessNotice>
        <section class="card">
            <p data-testid="campaign-state">{format!("{} · {}", kind_label(l, c.kind), state_label(l, c.state))}</p>
            <p class="hint">{format!("{} {} – {}", td_string!(l, campaign.window), c.opens, c.closes)}</p>
            <p class="hint">{format!("{}: {}", td_string!(l, campaign.districts), c.districts.join("、"))}</p>
            {(!c.units.is_empty()).then(|| view! { <p class="hint">{format!("{}: {}", td_string!(l, campaign.units), c.units.join("、"))}</p> })}
            {c.manage.then(|| view! { <p class="hint" data-testid="attached-count">{td_string!(l, campaign.attached, count = c.items.len()).to_string()}</p> })}
            {step.map(|(open, label)| view! {
                <form method="post" action=SetCampaignState::PATH>
                    <input type="hidden" name="id" value=id.clone() />
                    <input type="hidden" name="open" value=open.to_string() />
                    <button type="submit" class="button primary big" data-testid="campaign-step">{label}</button>
                </form>
            })}
        </section>
        <section class="card" data-testid="progress">
            <h2>{t!(i18n, campaign.progress)}</h2>
            <div class="table-scroll"><table class="table">
                <thead><tr><th>{t!(i18n, campaign.place)}</th><th>{t!(i18n, campaign.standing)}</th><th>{t!(i18n, campaign.submitted_at)}</th></tr></thead>
                <tbody>
                    {c.progress.iter().map(|p| view! {
                        <tr data-standing=p.standing.as_str()>
                            <th scope="row"><a href=format!("/returns/{}", p.return_id)>{p.place.clone()}</a></th>
                            <td>{standing_label(l, p.standing)}{(p.conflicts > 0).then(|| view! { " · "<span class="chip chip-amber">{t!(i18n, campaign.conflict_flag)}</span> })}</td>
                            <td>{p.submitted_at.clone().unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        </section>
        {(!summaries.is_empty()).then(|| view! {
            <section class="card" data-testid="summaries">
                <h2>{t!(i18n, campaign.answers)}</h2>
                <ul>
                    {summaries.into_iter().map(|(q, s)| {
                        let text = match s {
                            Summary::YesNo(y, n) => td_string!(l, campaign.sum_yes_no, yes = y, no = n).to_string(),
                            Summary::Number(count, sum) => td_string!(l, campaign.sum_number, count = count, sum = sum).to_string(),
                            Summary::Choice(cs) => cs.into_iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(" · "),
                            Summary::Count(n) => td_string!(l, campaign.sum_count, count = n).to_string(),
                        };
                        view! { <li><strong>{q.label.clone()}</strong>": "{text}</li> }
                    }).collect_view()}
                </ul>
            </section>
        })}
        {(!c.targets.is_empty()).then(|| view! {
            <section class="card" data-testid="targets">
                <h2>{t!(i18n, campaign.targets)}</h2>
                <ul>
                    {c.targets.iter().map(|(t, done)| view! {
                        <li data-target=t.id.clone()><strong>{t.label.clone()}</strong>": "{format!("{done} / {}", t.goal)}
                            <progress max=t.goal.to_string() value=done.to_string()></progress></li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        {(c.manage || !c.verifications.is_empty()).then(|| view! {
            <section class="card" id="verifications" data-testid="verifications">
                <h2>{t!(i18n, campaign.verifications)}</h2>
                <ul>
                    {c.verifications.iter().map(|v| view! {
                        <li><a href=format!("/verifications/{}", v.id)>{format!("{} · {} · {}", v.unit_name, v.verifier_name, v.planned_on)}</a>
                            " "{if v.recorded { td_string!(l, campaign.visit_recorded) } else { td_string!(l, campaign.visit_planned) }}</li>
                    }).collect_view()}
                </ul>
                {(c.manage && !c.items.is_empty()).then(|| view! {
                    <form method="post" action=PLAN_VERIFICATION_PATH class="form" data-testid="plan-verification">
                        <input type="hidden" name="campaign" value=c.id.clone() />
                        <fieldset><legend>{t!(i18n, campaign.pick_items)}</legend>
                            {c.items.iter().map(|i| view! {
                                <label class="check"><input type="checkbox" name="items" value=i.key.clone() />{format!("{} {} · {}", i.number, i.unit_name, i.description.chars().take(30).collect::<String>())}</label>
                            }).collect_view()}
                        </fieldset>
                        <label><span>{t!(i18n, campaign.or_unit)}</span>
                            <select name="unit"><option value="">"—"</option>
                                {units.into_iter().map(|(k, n)| view! { <option value=k>{n}</option> }).collect_view()}
                            </select></label>
                        <label><span>{t!(i18n, campaign.verifier)}</span>
                            <select name="verifier" required>
                                {c.verifiers.iter().map(|(k, n)| view! { <option value=k.clone()>{n.clone()}</option> }).collect_view()}
                            </select></label>
                        <label><span>{t!(i18n, campaign.planned_on)}</span><input type="date" name="planned_on" required value=c.today.clone() /></label>
                        <button type="submit" class="button">{t!(i18n, campaign.plan)}</button>
                    </form>
                })}
            </section>
        })}
    }
}

// ---------------------------------------------------------------- a return

#[component]
pub fn ReturnPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .unwrap_or_default();
    let data = Resource::new(move || id.clone(), return_data);
    view! {
        <AppFrame user>
            <ErrorNotice />
            <FormProblems />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(r) => view! { <ReturnBody r /> }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}

fn sent_notice(l: Locale) -> Option<AnyView> {
    let sent = query_value("sent");
    let text = match sent.as_str() {
        "saved" => td_string!(l, campaign.sent_saved),
        "submitted" => td_string!(l, campaign.sent_submitted),
        "conflict" => td_string!(l, campaign.sent_conflict),
        _ => return None,
    };
    let class = if sent == "conflict" {
        "notice notice-error"
    } else {
        "notice notice-ok"
    };
    Some(view! { <div class=class role="status" data-testid="sent-notice" data-sent=sent>{text}</div> }.into_any())
}

#[component]
fn ReturnBody(r: ReturnView) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let header = view! {
        <p><a href=format!("/campaigns/{}", r.campaign_id)>{r.campaign_name.clone()}</a></p>
        <h1 data-testid="return-place">{td_string!(l, campaign.return_of, place = r.place.clone()).to_string()}</h1>
        {sent_notice(l)}
        <SuccessNotice flag="accepted">{move || t!(i18n, campaign.accepted_notice)}</SuccessNotice>
        <SuccessNotice flag="returned">{move || t!(i18n, campaign.returned_notice)}</SuccessNotice>
        <SuccessNotice flag="resolved">{move || t!(i18n, campaign.resolved_notice)}</SuccessNotice>
        <p data-testid="return-state" data-state=r.state.as_str()>
            {format!("{} · {} {}", standing_label(l, r.standing), td_string!(l, campaign.closes), r.closes)}
        </p>
        {r.comments.clone().map(|c| view! { <div class="notice notice-error" data-testid="return-comments"><strong>{t!(i18n, campaign.comments)}</strong>" "{c}</div> })}
        {(!r.registered.is_empty()).then(|| view! {
            <p class="notice notice-ok" data-testid="registered">{td_string!(l, campaign.registered, numbers = r.registered.join("、")).to_string()}</p>
        })}
    };
    let body = if r.editable {
        view! { <ReturnForm r=r.clone() /> }.into_any()
    } else {
        view! { <ReturnRead r=r.clone() /> }.into_any()
    };
    view! {
        {header}
        <Conflicts r=r.clone() />
        {body}
        {r.reviewable.then(|| view! { <ReviewForm id=r.id.clone() conflicts=!r.conflicts.is_empty() /> })}
    }
}

#[component]
fn Conflicts(r: ReturnView) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let manage = current_user().is_some_and(|u| u.role == Role::CentralOffice);
    (!r.conflicts.is_empty()).then(|| view! {
        <section class="card conflict" data-testid="conflicts">
            <h2>{t!(i18n, campaign.conflicts)}</h2>
            <p class="hint">{t!(i18n, campaign.conflicts_hint)}</p>
            {r.conflicts.iter().map(|c| {
                let cr = ReturnView { content: c.content.clone(), ..r.clone() };
                view! {
                    <details class="card" open>
                        <summary>{td_string!(l, campaign.conflict_line, by = c.by_name.clone(), at = c.at.clone(), base = c.base_version, newest = c.newest_version).to_string()}</summary>
                        <ContentRead r=cr owner=('p', c.id.clone()) />
                        {manage.then(|| view! {
                            <form method="post" action=ResolveConflict::PATH class="row">
                                <input type="hidden" name="id" value=c.id.clone() />
                                <button type="submit" name="take" value="true" class="button" data-testid="take-conflict">{t!(i18n, campaign.take)}</button>
                                <button type="submit" name="take" value="false" class="button" data-testid="set-aside">{t!(i18n, campaign.set_aside)}</button>
                            </form>
                        })}
                    </details>
                }
            }).collect_view()}
        </section>
    })
}

#[component]
fn ReviewForm(id: String, conflicts: bool) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card" data-testid="review">
            <h2>{t!(i18n, campaign.review)}</h2>
            {conflicts.then(|| view! { <p class="notice notice-error">{t!(i18n, campaign.decide_conflicts_first)}</p> })}
            <form method="post" action=ReviewReturn::PATH class="form">
                <input type="hidden" name="id" value=id />
                <label><span>{t!(i18n, campaign.comments)}</span><textarea name="comments" rows="3">{query_value("comments")}</textarea></label>
                <div class="row">
                    <button type="submit" name="accept" value="true" class="button primary big" data-testid="accept-return">{t!(i18n, campaign.accept)}</button>
                    <button type="submit" name="accept" value="false" class="button" data-testid="send-back">{t!(i18n, campaign.send_back)}</button>
                </div>
            </form>
        </section>
    }
}

fn reported_truth(content: &ReturnContent, item: &str) -> (Option<Truth>, String) {
    content
        .answers
        .items
        .iter()
        .find(|i| i.item == item)
        .map(|i| (i.truth, i.note.clone()))
        .unwrap_or((None, String::new()))
}

/// Whether what a return says of an item disagrees with the ledger (for the reviewer).
fn disagrees(ledger_status: &str, truth: Option<Truth>) -> bool {
    match truth {
        Some(Truth::Rectified) => ledger_status != "closed",
        Some(Truth::InProgress | Truth::NotStarted) => ledger_status == "closed",
        None => false,
    }
}

#[component]
fn ReturnRead(r: ReturnView) -> impl IntoView {
    let id = r.id.clone();
    view! { <ContentRead r owner=('r', id) /> }
}

/// A return's content, read only, each item beside its ledger state.
#[component]
fn ContentRead(r: ReturnView, owner: (char, String)) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let c = r.content.clone();
    let files_of = move |input: String| -> Vec<StoredFile> {
        c.files
            .iter()
            .filter(|f| f.input == input)
            .cloned()
            .collect()
    };
    let files_of = StoredValue::new(files_of);
    let owner = StoredValue::new(owner);
    let content = r.content.clone();
    view! {
        <section class="card" data-testid="return-items">
            <h2>{td_string!(l, campaign.items_heading, count = r.items.len()).to_string()}</h2>
            <ul class="item-list">
                {r.items.iter().map(|i| {
                    let (truth, note) = reported_truth(&content, &i.key);
                    let flag = disagrees(&i.status, truth);
                    let (k, o) = owner.get_value();
                    view! {
                        <li class="card" data-item=i.key.clone()>
                            <a href=format!("/items/{}", i.key)><strong>{i.number.clone()}</strong></a>" "{i.unit_name.clone()}
                            <p>{i.description.clone()}</p>
                            <p class="hint">{format!("{}: {} · {} {}", td_string!(l, campaign.ledger_says), item_status(l, &i.status), td_string!(l, campaign.deadline), i.approved_deadline)}</p>
                            <p data-testid="reported">{format!("{}: {}", td_string!(l, campaign.return_says), truth.map(|t| truth_label(l, t)).unwrap_or_else(|| "—".into()))}
                                {flag.then(|| view! { " "<span class="chip chip-amber" data-testid="disagrees">{t!(i18n, campaign.disagrees)}</span> })}</p>
                            {(!note.is_empty()).then(|| view! { <p>{note.clone()}</p> })}
                            {file_links(k, o, files_of.with_value(|f| f(format!("evidence-{}", i.key))))}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        {(!r.spec.form.questions.is_empty()).then(|| view! {
            <section class="card">
                <h2>{t!(i18n, campaign.questions)}</h2>
                <dl>
                    {r.spec.form.questions.iter().map(|q| {
                        let a = content.answers.answers.get(&q.id).cloned().unwrap_or_default();
                        let a = match a.as_str() { "yes" => td_string!(l, campaign.yes).to_string(), "no" => td_string!(l, campaign.no).to_string(), _ => a };
                        let (k, o) = owner.get_value();
                        view! { <dt>{q.label.clone()}</dt><dd>{a}{file_links(k, o, files_of.with_value(|f| f(format!("answer-{}", q.id))))}</dd> }
                    }).collect_view()}
                </dl>
            </section>
        })}
        {(!r.spec.form.targets.is_empty()).then(|| view! {
            <section class="card">
                <h2>{t!(i18n, campaign.targets)}</h2>
                <ul>{r.spec.form.targets.iter().map(|t| view! { <li>{format!("{}: {} / {}", t.label, content.answers.figures.get(&t.id).copied().unwrap_or(0), t.goal)}</li> }).collect_view()}</ul>
            </section>
        })}
        {(!content.answers.new_problems.is_empty()).then(|| view! {
            <section class="card" data-testid="new-problems">
                <h2>{t!(i18n, campaign.new_problems)}</h2>
                <ul>
                    {content.answers.new_problems.iter().map(|p| {
                        let unit = r.units.iter().find(|(k, _)| *k == p.unit).map(|(_, n)| n.clone()).unwrap_or_default();
                        let cat = r.categories.iter().find(|c| c.code == p.category).map(|c| entry_name(l, c)).unwrap_or_default();
                        let (k, o) = owner.get_value();
                        view! { <li>{format!("{unit} · {cat} · {} · {} {} · {}", p.description, td_string!(l, campaign.deadline), p.deadline, p.head_name)}
                            {file_links(k, o, files_of.with_value(|f| f(format!("new-{}-photo", p.row))))}</li> }
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

/// A labelled file input for photos (the phone offers its camera).
fn photo_input(name: String, label: String) -> impl IntoView {
    view! {
        <label class="photo-input"><span>{label.clone()}</span>
            <input type="file" name=name accept="image/*,application/pdf" data-label=label /></label>
    }
}

#[component]
fn ReturnForm(r: ReturnView) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let form_id = "return-form".to_string();
    let content = r.content.clone();
    let labels = offline_labels(l);
    let spec = OfflineSpec::Return(r.spec.clone());
    let draft_key = format!("return:{}", r.id);
    let owner = r.id.clone();
    let files_of = {
        let c = content.clone();
        move |input: String| -> Vec<StoredFile> {
            c.files
                .iter()
                .filter(|f| f.input == input)
                .cloned()
                .collect()
        }
    };
    let files_of = StoredValue::new(files_of);
    let new_rows: Vec<usize> = (0..r.spec.rows).collect();
    view! {
        <form id="return-form" method="post" action=RETURN_PATH enctype="multipart/form-data" class="return-form" data-testid="return-form">
            <input type="hidden" name="return" value=r.id.clone() />
            <input type="hidden" name="base_version" value=r.version.to_string() />
            <input type="hidden" name="client_id" value=server_client_id() />
            <OfflineForm form_id=form_id draft_key spec labels />
            <section class="card">
                <h2>{td_string!(l, campaign.items_heading, count = r.items.len()).to_string()}</h2>
                {r.items.is_empty().then(|| view! { <p class="hint">{t!(i18n, campaign.no_items)}</p> })}
                {r.items.iter().map(|i| {
                    let (truth, note) = reported_truth(&content, &i.key);
                    let status_name = format!("status-{}", i.key);
                    let item_label = format!("{} {}", i.number, td_string!(l, campaign.true_status));
                    let o = owner.clone();
                    view! {
                        <fieldset class="card item-report" data-item=i.key.clone()>
                            <legend><strong>{i.number.clone()}</strong>" "{i.unit_name.clone()}</legend>
                            <p>{i.description.clone()}</p>
                            <p class="hint">{format!("{}: {} · {} {}", td_string!(l, campaign.ledger_says), item_status(l, &i.status), td_string!(l, campaign.deadline), i.approved_deadline)}</p>
                            <div class="choices">
                                {Truth::ALL.iter().map(|t| view! {
                                    <label class="check big-choice"><input type="radio" name=status_name.clone() value=t.as_str() checked=truth == Some(*t) data-label=item_label.clone() />{truth_label(l, *t)}</label>
                                }).collect_view()}
                            </div>
                            <label><span>{t!(i18n, campaign.evidence_note)}</span>
                                <textarea name=format!("note-{}", i.key) rows="2" data-label=format!("{} {}", i.number, td_string!(l, campaign.evidence_note))>{note}</textarea></label>
                            {photo_input(format!("evidence-{}", i.key), td_string!(l, campaign.evidence_photo).to_string())}
                            {file_links('r', o, files_of.with_value(|f| f(format!("evidence-{}", i.key))))}
                        </fieldset>
                    }
                }).collect_view()}
            </section>
            {(!r.spec.form.questions.is_empty()).then(|| view! {
                <section class="card">
                    <h2>{t!(i18n, campaign.questions)}</h2>
                    {r.spec.form.questions.iter().map(|q| {
                        let name = format!("answer-{}", q.id);
                        let given = content.answers.answers.get(&q.id).cloned().unwrap_or_default();
                        let label = format!("{}{}", q.label, if q.required { " *" } else { "" });
                        let input = match q.kind {
                            QuestionKind::YesNo => view! {
                                <div class="choices">
                                    <label class="check big-choice"><input type="radio" name=name.clone() value="yes" checked=given == "yes" data-label=q.label.clone() />{t!(i18n, campaign.yes)}</label>
                                    <label class="check big-choice"><input type="radio" name=name.clone() value="no" checked=given == "no" data-label=q.label.clone() />{t!(i18n, campaign.no)}</label>
                                </div>
                            }.into_any(),
                            QuestionKind::Number => view! { <input name=name.clone() inputmode="decimal" value=given.clone() data-label=q.label.clone() /> }.into_any(),
                            QuestionKind::Text => view! { <textarea name=name.clone() rows="2" data-label=q.label.clone()>{given.clone()}</textarea> }.into_any(),
                            QuestionKind::Choice => view! {
                                <select name=name.clone() data-label=q.label.clone()>
                                    <option value="">"—"</option>
                                    {q.choices.iter().map(|c| view! { <option value=c.clone() selected=*c == given>{c.clone()}</option> }).collect_view()}
                                </select>
                            }.into_any(),
                            QuestionKind::Photo => view! {
                                <input type="file" name=name.clone() accept="image/*" data-label=q.label.clone() />
                                {file_links('r', owner.clone(), files_of.with_value(|f| f(name.clone())))}
                            }.into_any(),
                        };
                        view! { <div class="question"><p><strong>{label}</strong></p>{input}</div> }
                    }).collect_view()}
                </section>
            })}
            {(!r.spec.form.targets.is_empty()).then(|| view! {
                <section class="card">
                    <h2>{t!(i18n, campaign.targets)}</h2>
                    {r.spec.form.targets.iter().map(|t| view! {
                        <label><span>{format!("{} ({} {})", t.label, td_string!(l, campaign.goal), t.goal)}</span>
                            <input name=format!("target-{}", t.id) inputmode="numeric" value=content.answers.figures.get(&t.id).map(|n| n.to_string()).unwrap_or_default() data-label=t.label.clone() /></label>
                    }).collect_view()}
                </section>
            })}
            <section class="card" data-testid="new-problem-rows">
                <h2>{t!(i18n, campaign.new_problems)}</h2>
                <p class="hint">{t!(i18n, campaign.new_problems_hint)}</p>
                {new_rows.into_iter().map(|n| {
                    let given = content.answers.new_problems.iter().find(|p| p.row == n).cloned();
                    let g = |f: fn(&super::rules::NewProblem) -> String| given.as_ref().map(f).unwrap_or_default();
                    let lab = |x: &str| format!("{} {} · {x}", td_string!(l, campaign.new_problem), n + 1);
                    let unit = g(|p| p.unit.clone());
                    let cat = g(|p| p.category.clone());
                    let nature = g(|p| p.nature.clone());
                    view! {
                        <fieldset class="card new-problem" data-row=n>
                            <legend>{format!("{} {}", td_string!(l, campaign.new_problem), n + 1)}</legend>
                            <label><span>{t!(i18n, campaign.unit)}</span>
                                <select name=format!("new-{n}-unit") data-label=lab(td_string!(l, campaign.unit))>
                                    <option value="">"—"</option>
                                    {r.units.iter().map(|(k, name)| view! { <option value=k.clone() selected=*k == unit>{name.clone()}</option> }).collect_view()}
                                </select></label>
                            <label><span>{t!(i18n, campaign.category)}</span>
                                <select name=format!("new-{n}-category") data-label=lab(td_string!(l, campaign.category))>
                                    {r.categories.iter().map(|c| view! { <option value=c.code.clone() selected=c.code == cat>{entry_name(l, c)}</option> }).collect_view()}
                                </select></label>
                            <label><span>{t!(i18n, campaign.nature)}</span>
                                <select name=format!("new-{n}-nature") data-label=lab(td_string!(l, campaign.nature))>
                                    <option value="violation">{crate::ui::labels::nature_label(l, crate::ledger::lifecycle::Nature::Violation)}</option>
                                    <option value="policy_caused" selected=nature == "policy_caused">{crate::ui::labels::nature_label(l, crate::ledger::lifecycle::Nature::PolicyCaused)}</option>
                                </select></label>
                            <label><span>{t!(i18n, campaign.description)}</span>
                                <textarea name=format!("new-{n}-description") rows="2" data-label=lab(td_string!(l, campaign.description))>{g(|p| p.description.clone())}</textarea></label>
                            <div class="row">
                                <label><span>{t!(i18n, campaign.deadline)}</span>
                                    <input type="date" name=format!("new-{n}-deadline") value=g(|p| p.deadline.clone()) data-label=lab(td_string!(l, campaign.deadline)) /></label>
                                <label><span>{t!(i18n, campaign.head)}</span>
                                    <input name=format!("new-{n}-head") value=g(|p| p.head_name.clone()) data-label=lab(td_string!(l, campaign.head)) /></label>
                            </div>
                            {photo_input(format!("new-{n}-photo"), td_string!(l, campaign.photo).to_string())}
                            {file_links('r', owner.clone(), files_of.with_value(|f| f(format!("new-{n}-photo"))))}
                        </fieldset>
                    }
                }).collect_view()}
            </section>
            <div class="row sticky-actions">
                <button type="submit" name="intent" value="save" class="button" data-testid="save-draft">{t!(i18n, campaign.save_draft)}</button>
                <button type="submit" name="intent" value="submit" class="button primary big" data-testid="submit-return">{t!(i18n, campaign.submit)}</button>
            </div>
        </form>
    }
}

// ---------------------------------------------------------------- a verification

#[component]
pub fn VerificationPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .unwrap_or_default();
    let data = Resource::new(move || id.clone(), verification_data);
    view! {
        <AppFrame user>
            <ErrorNotice />
            <FormProblems />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <VerificationBody v /> }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}

#[component]
fn VerificationBody(v: VerificationView) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let header = view! {
        {v.campaign.clone().map(|(id, name)| view! { <p><a href=format!("/campaigns/{id}")>{name}</a></p> })}
        <h1>{td_string!(l, campaign.visit_of, unit = v.unit_name.clone()).to_string()}</h1>
        {sent_notice(l)}
        <p class="hint" data-testid="visit-state">{format!("{} · {} · {}", v.verifier_name, v.planned_on, if v.recorded { td_string!(l, campaign.visit_recorded) } else { td_string!(l, campaign.visit_planned) })}</p>
        {(!v.registered.is_empty()).then(|| view! {
            <p class="notice notice-ok" data-testid="registered">{td_string!(l, campaign.registered, numbers = v.registered.join("、")).to_string()}</p>
        })}
    };
    let body = if v.editable {
        view! { <VerificationForm v=v.clone() /> }.into_any()
    } else {
        view! { <VerificationRead v=v.clone() /> }.into_any()
    };
    view! { {header}{body} }
}

fn item_head(i: &AttachedItem, l: Locale) -> impl IntoView + use<> {
    view! {
        <a href=format!("/items/{}", i.key)><strong>{i.number.clone()}</strong></a>" "{i.unit_name.clone()}
        <p>{i.description.clone()}</p>
        <p class="hint">{format!("{}: {}", td_string!(l, campaign.ledger_says), item_status(l, &i.status))}</p>
    }
}

#[component]
fn VerificationRead(v: VerificationView) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let rec = v.content.record.clone();
    view! {
        <section class="card" data-testid="visit-record">
            {(!rec.visited_on.is_empty()).then(|| view! {
                <p>{format!("{} {} · {}: {}", td_string!(l, campaign.visited_on), rec.visited_on, td_string!(l, campaign.people), rec.people)}</p>
            })}
            <ul class="item-list">
                {v.items.iter().map(|i| {
                    let f = rec.findings.iter().find(|f| f.item == i.key).cloned();
                    view! {
                        <li class="card">{item_head(i, l)}
                            {f.map(|f| view! { <p data-testid="finding">{f.finding.map(|x| finding_label(l, x)).unwrap_or_default()}" "{f.note}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(!rec.summary.is_empty()).then(|| view! { <p>{rec.summary.clone()}</p> })}
            {file_links('v', v.id.clone(), v.content.files.clone())}
        </section>
        {(!v.recorded && !v.editable).then(|| view! { <p class="hint">{t!(i18n, campaign.visit_not_yours)}</p> })}
    }
}

#[component]
fn VerificationForm(v: VerificationView) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let form_id = "verification-form".to_string();
    let spec = OfflineSpec::Verification(v.spec.clone());
    let lab = |x: &str| format!("{} · {x}", td_string!(l, campaign.new_problem));
    view! {
        <form id="verification-form" method="post" action=VERIFY_PATH enctype="multipart/form-data" class="return-form" data-testid="verification-form">
            <input type="hidden" name="verification" value=v.id.clone() />
            <input type="hidden" name="base_version" value=v.version.to_string() />
            <input type="hidden" name="client_id" value=server_client_id() />
            <input type="hidden" name="intent" value="submit" />
            <OfflineForm form_id draft_key=format!("verification:{}", v.id) spec labels=offline_labels(l) />
            <section class="card">
                <div class="row">
                    <label><span>{t!(i18n, campaign.visited_on)}</span><input type="date" name="visited_on" value=v.spec.today.clone() data-label=td_string!(l, campaign.visited_on).to_string() /></label>
                    <label><span>{t!(i18n, campaign.people)}</span><input name="people" data-label=td_string!(l, campaign.people).to_string() /></label>
                </div>
            </section>
            {v.items.iter().map(|i| {
                let name = format!("finding-{}", i.key);
                let label = format!("{} {}", i.number, td_string!(l, campaign.finding));
                view! {
                    <fieldset class="card item-report">
                        <legend>{item_head(i, l)}</legend>
                        <div class="choices">
                            {Finding::ALL.iter().map(|f| view! {
                                <label class="check big-choice"><input type="radio" name=name.clone() value=f.as_str() data-label=label.clone() />{finding_label(l, *f)}</label>
                            }).collect_view()}
                        </div>
                        <label><span>{t!(i18n, campaign.finding_note)}</span><textarea name=format!("fnote-{}", i.key) rows="2" data-label=format!("{} {}", i.number, td_string!(l, campaign.finding_note))></textarea></label>
                    </fieldset>
                }
            }).collect_view()}
            <section class="card">
                <label><span>{t!(i18n, campaign.summary)}</span><textarea name="summary" rows="3"></textarea></label>
                <label class="photo-input"><span>{t!(i18n, campaign.photos)}</span><input type="file" name="photos" accept="image/*" multiple data-label=td_string!(l, campaign.photos).to_string() /></label>
            </section>
            <fieldset class="card new-problem">
                <legend>{t!(i18n, campaign.new_problem_on_site)}</legend>
                <label><span>{t!(i18n, campaign.unit)}</span>
                    <select name="new-0-unit" data-label=lab(td_string!(l, campaign.unit))>
                        <option value="">"—"</option>
                        {v.units.iter().map(|(k, n)| view! { <option value=k.clone()>{n.clone()}</option> }).collect_view()}
                    </select></label>
                <label><span>{t!(i18n, campaign.category)}</span>
                    <select name="new-0-category">
                        {v.categories.iter().map(|c| view! { <option value=c.code.clone()>{entry_name(l, c)}</option> }).collect_view()}
                    </select></label>
                <label><span>{t!(i18n, campaign.description)}</span><textarea name="new-0-description" rows="2" data-label=lab(td_string!(l, campaign.description))></textarea></label>
                <div class="row">
                    <label><span>{t!(i18n, campaign.deadline)}</span><input type="date" name="new-0-deadline" data-label=lab(td_string!(l, campaign.deadline)) /></label>
                    <label><span>{t!(i18n, campaign.head)}</span><input name="new-0-head" data-label=lab(td_string!(l, campaign.head)) /></label>
                </div>
                {photo_input("new-0-photo".into(), td_string!(l, campaign.photo).to_string())}
            </fieldset>
            <div class="row sticky-actions">
                <button type="submit" name="intent" value="submit" class="button primary big" data-testid="record-visit">{t!(i18n, campaign.record_visit)}</button>
            </div>
        </form>
    }
}

// ---------------------------------------------------------------- on the item page

/// The look-back and on-site checks of an item.
#[component]
pub fn ItemChecks(checks: Vec<ItemCheck>) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    (!checks.is_empty()).then(|| view! {
        <section class="card" id="checks" data-testid="item-checks">
            <h2>{t!(i18n, campaign.checks)}</h2>
            <ul>
                {checks.into_iter().map(|c| {
                    let outcome = match c.kind.as_str() {
                        "look_back" => Truth::parse(&c.outcome).map(|t| truth_label(l, t)),
                        _ => Finding::parse(&c.outcome).map(|f| finding_label(l, f)),
                    }.unwrap_or_default();
                    let kind = if c.kind == "look_back" { td_string!(l, campaign.check_look_back) } else { td_string!(l, campaign.check_on_site) };
                    view! {
                        <li data-kind=c.kind.clone()>
                            <strong>{format!("{kind} · {outcome}")}</strong>
                            <p class="hint">{format!("{} · {} · {}", c.on, c.by_name, c.campaign_name)}</p>
                            {(!c.note.is_empty()).then(|| view! { <p>{c.note.clone()}</p> })}
                            {file_links('c', c.id.clone(), c.files.clone())}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    })
}
