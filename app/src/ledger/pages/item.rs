//! The item page: everything about one item, and the next step as one large button.

use super::DeadlineChip;
use crate::AppError;
use crate::auth::{PartnerDept, current_user};
use crate::i18n::*;
use crate::ledger::acceptance::CoSigner;
use crate::ledger::api::{
    CoSign, CommentItem, CompleteMeasure, DecideExtension, ItemStep, NotifyDepartment,
    RecordAccountability, RequestClosure, RequestExtension, SubmitPlan, load_item_detail,
};
use crate::ledger::calendar::local_stamp;
use crate::ledger::evidence::{FileKind, REPORT_PROGRESS_PATH, download_path};
use crate::ledger::lifecycle::Nature;
use crate::ledger::{Action, ItemDetail};
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::labels::{
    action_label, co_signer_label, entry_name, event_label, nature_label, partner_label,
    status_label,
};
use crate::ui::notice::{ErrorNotice, query_value};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ItemPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .unwrap_or_default();
    let detail = Resource::new(move || id.clone(), load_item_detail);
    view! {
        <AppFrame user>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <ItemView d /> }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}

/// The hidden field naming the item in every form.
fn item_field(id: &str) -> impl IntoView + use<> {
    view! { <input type="hidden" name="item" value=id.to_string() /> }
}

/// Steps done with one tap post straight away; the others open their form below.
fn primary_button(d: &ItemDetail) -> AnyView {
    let l = use_i18n().get_locale_untracked();
    let Some(action) = d.actions.first().copied() else {
        return ().into_any();
    };
    let label = action_label(l, action);
    let one_tap = match action {
        Action::Issue => Some("issue"),
        Action::Acknowledge => Some("acknowledge"),
        Action::ApprovePlan => Some("approve_plan"),
        _ => None,
    };
    match one_tap {
        Some(step) => view! {
            <form method="post" action=ItemStep::PATH class="primary-action">
                {item_field(&d.summary.id)}
                <input type="hidden" name="step" value=step />
                <button type="submit" class="button primary big" data-testid="primary-action">{label}</button>
            </form>
        }
        .into_any(),
        None => {
            let anchor = format!("#act-{}", action_anchor(action));
            view! {
                <a class="button primary big primary-action" href=anchor data-testid="primary-action">{label}</a>
            }
            .into_any()
        }
    }
}

fn action_anchor(action: Action) -> &'static str {
    match action {
        Action::SubmitPlan => "plan",
        Action::ReportProgress => "progress",
        Action::RequestExtension | Action::DecideExtension => "extension",
        Action::RequestClosure | Action::CoSign => "acceptance",
        Action::Notify => "notify",
        Action::Comment => "comment",
        Action::Withdraw => "withdraw",
        Action::RecordAccountability => "accountability",
        Action::ReturnPlan => "plan",
        Action::RegisterRecurrence => "recurrence",
        Action::Issue | Action::Acknowledge | Action::ApprovePlan => "top",
    }
}

#[component]
fn ItemView(d: ItemDetail) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let s = d.summary.clone();
    let can = |a: Action| d.actions.contains(&a);
    let quantity = d.quantity_baseline.map(|b| {
        view! {
            <dt>{t!(i18n, ledger.baseline)}</dt><dd>{b}</dd>
            <dt>{t!(i18n, ledger.remaining_now)}</dt><dd data-testid="remaining">{d.quantity_remaining.unwrap_or(b)}</dd>
        }
    });
    let saved_flag = query_value("saved");
    view! {
        <article class="item-page" id="top" data-status=s.status.as_str() data-number=s.number.clone()>
            <header class="item-head">
                <p class="item-top">
                    <span class="mono" data-testid="number">{s.number.clone()}</span>
                    <DeadlineChip urgency=s.urgency closed_on_time=s.closed_on_time />
                    <span class="status" data-testid="status">{status_label(l, s.status)}</span>
                </p>
                <h1 class="item-title">{s.unit_name.clone()}</h1>
                <p class="item-desc-full">{s.description.clone()}</p>
            </header>
            {(!saved_flag.is_empty()).then(|| view! { <div class="notice notice-ok" role="status" data-testid="saved">{t!(i18n, ledger.saved)}</div> })}
            <ErrorNotice />
            {d.plan_returned_reason.clone().map(|r| view! {
                <div class="notice notice-error" role="note">{td_string!(l, ledger.plan_returned, reason = r)}</div>
            })}
            {primary_button(&d)}
            <section class="card">
                <h2>{t!(i18n, ledger.facts)}</h2>
                <dl class="facts">
                    <dt>{t!(i18n, fields.category)}</dt><dd>{entry_name(l, &s.category)}</dd>
                    <dt>{t!(i18n, fields.source)}</dt><dd>{entry_name(l, &s.source)}</dd>
                    <dt>{t!(i18n, fields.nature)}</dt><dd>{nature_label(l, s.nature)}</dd>
                    <dt>{t!(i18n, fields.district)}</dt><dd>{s.district_name.clone()}</dd>
                    <dt>{t!(i18n, ledger.original_deadline)}</dt><dd data-testid="original-deadline">{s.original_deadline.clone()}</dd>
                    <dt>{t!(i18n, ledger.approved_deadline)}</dt><dd data-testid="approved-deadline">{s.approved_deadline.clone()}</dd>
                    <dt>{t!(i18n, ledger.first_responsible)}</dt><dd>{s.head_name.clone()}</dd>
                    <dt>{t!(i18n, fields.handler_name)}</dt><dd>{d.handler_name.clone()} " " <a href=format!("tel:{}", d.handler_phone)>{d.handler_phone.clone()}</a></dd>
                    {quantity}
                    <dt>{t!(i18n, fields.found_on)}</dt><dd>{d.found_on.clone()}</dd>
                    <dt>{t!(i18n, fields.found_in)}</dt><dd>{d.found_in.clone()}</dd>
                    <dt>{t!(i18n, fields.legal_basis)}</dt><dd>{d.legal_basis.clone()}</dd>
                    <dt>{t!(i18n, fields.supervising_office)}</dt><dd>{d.supervising_office.clone()}</dd>
                    {d.recurrence_of.clone().map(|(id, number)| view! {
                        <dt>{t!(i18n, ledger.recurrence)}</dt><dd><a href=format!("/items/{id}")>{number}</a></dd>
                    })}
                    {d.closed_on.clone().map(|c| view! { <dt>{t!(i18n, ledger.closed_on)}</dt><dd data-testid="closed-on">{c}</dd> })}
                    {d.withdrawn_reason.clone().map(|r| view! { <dt>{t!(i18n, ledger.withdrawn_reason)}</dt><dd>{r}</dd> })}
                </dl>
                <p class="button-row print-links">
                    <a class="button" href=format!("/items/{}/notice", s.id)>{t!(i18n, ledger.print_notice)}</a>
                    <a class="button" href=format!("/items/{}/closure-sheet", s.id)>{t!(i18n, ledger.print_closure)}</a>
                </p>
            </section>
            <PlanSection d=d.clone() can_submit=can(Action::SubmitPlan) can_return=can(Action::ReturnPlan) can_progress=can(Action::ReportProgress) />
            <ProgressSection d=d.clone() can_report=can(Action::ReportProgress) />
            <ExtensionSection d=d.clone() can_request=can(Action::RequestExtension) can_decide=can(Action::DecideExtension) />
            <AcceptanceSection d=d.clone() can_request=can(Action::RequestClosure) can_sign=can(Action::CoSign) />
            <NotifySection d=d.clone() can_notify=can(Action::Notify) />
            {can(Action::Comment).then(|| view! {
                <section class="card" id="act-comment">
                    <h2>{t!(i18n, action.comment)}</h2>
                    <form method="post" action=CommentItem::PATH class="stack">
                        {item_field(&s.id)}
                        <label><span>{t!(i18n, fields.text)}</span><textarea name="text" maxlength="2000" rows="3">{query_value("text")}</textarea></label>
                        <button type="submit" class="button">{t!(i18n, action.comment)}</button>
                    </form>
                </section>
            })}
            {(d.accountability.is_some() || can(Action::RecordAccountability)).then(|| view! {
                <section class="card" id="act-accountability">
                    <h2>{t!(i18n, ledger.accountability)}</h2>
                    {d.accountability.clone().map(|a| view! { <p data-testid="accountability">{a}</p> })}
                    {can(Action::RecordAccountability).then(|| view! {
                        <details>
                            <summary>{t!(i18n, action.record_accountability)}</summary>
                            <form method="post" action=RecordAccountability::PATH class="stack">
                                {item_field(&s.id)}
                                <label><span>{t!(i18n, fields.text)}</span><textarea name="text" maxlength="2000" rows="3"></textarea></label>
                                <button type="submit" class="button">{t!(i18n, action.record_accountability)}</button>
                            </form>
                        </details>
                    })}
                </section>
            })}
            {can(Action::RegisterRecurrence).then(|| view! {
                <section class="card" id="act-recurrence">
                    <a class="button" href=format!("/ledger/new?recurrence_of={}", s.number)>{t!(i18n, action.register_recurrence)}</a>
                </section>
            })}
            {can(Action::Withdraw).then(|| view! {
                <details class="card" id="act-withdraw">
                    <summary>{t!(i18n, action.withdraw)}</summary>
                    <form method="post" action=ItemStep::PATH class="stack">
                        {item_field(&s.id)}
                        <input type="hidden" name="step" value="withdraw" />
                        <label><span>{t!(i18n, fields.reason)}</span><textarea name="reason" maxlength="2000" rows="2"></textarea></label>
                        <button type="submit" class="button danger">{t!(i18n, action.withdraw)}</button>
                    </form>
                </details>
            })}
            <RemindersSent d=d.clone() />
            <crate::campaigns::pages::ItemChecks checks=d.checks.clone() />
            <Timeline d=d.clone() />
        </article>
    }
}

#[component]
fn PlanSection(
    d: ItemDetail,
    can_submit: bool,
    can_return: bool,
    can_progress: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = d.summary.id.clone();
    let measures = d.measures.clone();
    let has_plan = !measures.is_empty() || !d.digest.is_empty();
    let table = (!measures.is_empty()).then(|| {
        let id = id.clone();
        view! {
            <table class="table measures" data-testid="measures">
                <thead><tr><th>{t!(i18n, fields.measures)}</th><th>{t!(i18n, fields.due)}</th><th>{t!(i18n, fields.owner)}</th><th></th></tr></thead>
                <tbody>
                    {measures.into_iter().map(|m| {
                        let id = id.clone();
                        view! {
                            <tr>
                                <td>{m.what}</td>
                                <td class="mono">{m.due}</td>
                                <td>{m.owner}</td>
                                <td>{match m.done_on {
                                    Some(done) => view! { <span class="chip chip-done">{t!(i18n, ledger.measure_done)} " " {done}</span> }.into_any(),
                                    None if can_progress => view! {
                                        <form method="post" action=CompleteMeasure::PATH>
                                            {item_field(&id)}
                                            <input type="hidden" name="measure" value=m.id />
                                            <button type="submit" class="link-button">{t!(i18n, ledger.mark_done)}</button>
                                        </form>
                                    }.into_any(),
                                    None => ().into_any(),
                                }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
    });
    let digest = (!d.digest.is_empty()).then(|| view! {
        <table class="table">
            <thead><tr><th>{t!(i18n, ledger.digest_period)}</th><th>{t!(i18n, ledger.digest_target)}</th></tr></thead>
            <tbody>{d.digest.clone().into_iter().map(|s| view! { <tr><td class="mono">{s.period}</td><td>{s.target}</td></tr> }).collect_view()}</tbody>
        </table>
    });
    let review = d
        .next_review
        .clone()
        .map(|r| view! { <p>{t!(i18n, fields.next_review)} ":" <span class="mono">{r}</span></p> });
    view! {
        <section class="card" id="act-plan">
            <h2>{t!(i18n, ledger.plan)}</h2>
            {(!has_plan).then(|| view! { <p class="hint">{t!(i18n, ledger.no_plan)}</p> })}
            {table}
            {digest}
            {review}
            {can_submit.then(|| view! { <PlanForm d=d.clone() /> })}
            {can_return.then(|| view! {
                <form method="post" action=ItemStep::PATH class="stack">
                    {item_field(&id)}
                    <input type="hidden" name="step" value="return_plan" />
                    <label><span>{t!(i18n, fields.reason)}</span><textarea name="reason" maxlength="2000" rows="2"></textarea></label>
                    <button type="submit" class="button">{t!(i18n, action.return_plan)}</button>
                </form>
            })}
        </section>
    }
}

/// The plan form: as many measure rows as asked for (a plain GET changes the number),
/// each due date proposed by reverse scheduling from the approved deadline.
#[component]
fn PlanForm(d: ItemDetail) -> impl IntoView {
    let i18n = use_i18n();
    let count = query_value("measures")
        .parse::<usize>()
        .unwrap_or(3)
        .clamp(1, 5);
    let proposals = d.proposals.get(count - 1).cloned().unwrap_or_default();
    let policy = d.summary.nature == Nature::PolicyCaused;
    let here = format!("/items/{}", d.summary.id);
    view! {
        <form method="get" action=here.clone() class="inline-form">
            <label><span>{t!(i18n, ledger.measure_count)}</span>
                <select name="measures">
                    {(1..=5).map(|n| view! { <option value=n.to_string() selected=n == count>{n}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit" class="button">{t!(i18n, ledger.change_count)}</button>
        </form>
        <form method="post" action=SubmitPlan::PATH class="stack" data-testid="plan-form">
            {item_field(&d.summary.id)}
            <p class="hint">{t!(i18n, ledger.proposed_hint)}</p>
            {(0..count).map(|i| {
                let due = proposals.get(i).cloned().unwrap_or_default();
                view! {
                    <fieldset class="measure-row">
                        <legend>{format!("{}", i + 1)}</legend>
                        <label><span>{t!(i18n, fields.measures)}</span><textarea name=format!("plan[measures][{i}][what]") maxlength="2000" rows="2"></textarea></label>
                        <label><span>{t!(i18n, fields.due)}</span><input type="date" name=format!("plan[measures][{i}][due]") value=due /></label>
                        <label><span>{t!(i18n, fields.owner)}</span><input name=format!("plan[measures][{i}][owner]") maxlength="40" /></label>
                    </fieldset>
                }
            }).collect_view()}
            {policy.then(|| view! {
                <h3>{t!(i18n, fields.digest)}</h3>
                {(0..3).map(|i| view! {
                    <div class="pair">
                        <label><span>{t!(i18n, ledger.digest_period)}</span><input name=format!("plan[digest][{i}][period]") maxlength="20" /></label>
                        <label><span>{t!(i18n, ledger.digest_target)}</span><input name=format!("plan[digest][{i}][target]") inputmode="numeric" maxlength="6" /></label>
                    </div>
                }).collect_view()}
                <label><span>{t!(i18n, fields.next_review)}</span><input type="date" name="plan[next_review]" /></label>
            })}
            <button type="submit" class="button primary">{t!(i18n, action.submit_plan)}</button>
        </form>
    }
}

#[component]
fn ProgressSection(d: ItemDetail, can_report: bool) -> impl IntoView {
    let i18n = use_i18n();
    let reports = d.progress.clone();
    view! {
        <section class="card" id="act-progress">
            <h2 id="progress">{t!(i18n, ledger.progress)}</h2>
            {reports.is_empty().then(|| view! { <p class="hint">{t!(i18n, ledger.no_progress)}</p> })}
            <ol class="progress-list" data-testid="progress-list">
                {reports.into_iter().map(|p| view! {
                    <li class="progress">
                        <p class="hint">{local_stamp(&p.at)} " · " {p.author_name}</p>
                        <p>{p.text}</p>
                        {p.remaining.map(|r| view! { <p class="hint">{t!(i18n, fields.remaining)} ":" {r}</p> })}
                        {(!p.reasons.is_empty()).then(|| view! { <p class="hint">{t!(i18n, fields.reason)} ":" {p.reasons.clone()}</p> })}
                        {(!p.next_steps.is_empty()).then(|| view! { <p class="hint">{t!(i18n, fields.next_steps)} ":" {p.next_steps.clone()}</p> })}
                        <ul class="thumbs">
                            {p.attachments.into_iter().map(|a| {
                                let href = download_path(&a.id);
                                if a.kind.is_image() {
                                    let src = href.clone();
                                    view! { <li><a href=href><img src=src alt=a.file_name.clone() loading="lazy" width="96" height="96" class="thumb" /></a></li> }.into_any()
                                } else {
                                    let icon = if a.kind == FileKind::Pdf { "PDF" } else { "DOC" };
                                    view! { <li><a href=href class="file-link"><span class="file-kind">{icon}</span> {a.file_name}</a></li> }.into_any()
                                }
                            }).collect_view()}
                        </ul>
                    </li>
                }).collect_view()}
            </ol>
            {can_report.then(|| view! {
                <form method="post" action=REPORT_PROGRESS_PATH enctype="multipart/form-data" class="stack" data-testid="progress-form">
                    {item_field(&d.summary.id)}
                    <label><span>{t!(i18n, fields.text)}</span><textarea name="text" maxlength="2000" rows="3">{query_value("text")}</textarea></label>
                    {d.quantity_baseline.map(|_| view! {
                        <label><span>{t!(i18n, fields.remaining)}</span><input name="remaining" inputmode="numeric" maxlength="6" value=query_value("remaining") /></label>
                    })}
                    <label><span>{t!(i18n, fields.reason)}</span><input name="reasons" maxlength="2000" value=query_value("reasons") /></label>
                    <label><span>{t!(i18n, fields.next_steps)}</span><input name="next_steps" maxlength="2000" value=query_value("next_steps") /></label>
                    <label><span>{t!(i18n, fields.files)}</span>
                        <input type="file" name="files" multiple accept="image/*,application/pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx" />
                    </label>
                    <p class="hint">{t!(i18n, ledger.photo_hint)}</p>
                    <button type="submit" class="button primary">{t!(i18n, action.report_progress)}</button>
                </form>
            })}
        </section>
    }
}

#[component]
fn ExtensionSection(d: ItemDetail, can_request: bool, can_decide: bool) -> impl IntoView {
    let i18n = use_i18n();
    if d.extensions.is_empty() && !can_request {
        return ().into_any();
    }
    let id = d.summary.id.clone();
    view! {
        <section class="card" id="act-extension">
            <h2>{t!(i18n, ledger.extensions)}</h2>
            <ul class="plain-list">
                {d.extensions.clone().into_iter().map(|e| view! {
                    <li data-testid="extension">
                        <span class="mono">{e.new_deadline}</span> " · " {e.reason} " · "
                        <strong>{match e.approved {
                            None => t_string!(i18n, ledger.pending).to_string(),
                            Some(true) => t_string!(i18n, ledger.approved).to_string(),
                            Some(false) => t_string!(i18n, ledger.refused).to_string(),
                        }}</strong>
                        {e.opinion.map(|o| view! { " · " {o} })}
                    </li>
                }).collect_view()}
            </ul>
            {can_request.then(|| view! {
                <form method="post" action=RequestExtension::PATH class="stack">
                    {item_field(&id)}
                    <label><span>{t!(i18n, fields.reason)}</span><textarea name="reason" maxlength="2000" rows="2">{query_value("reason")}</textarea></label>
                    <label><span>{t!(i18n, fields.new_deadline)}</span><input type="date" name="new_deadline" value=query_value("new_deadline") /></label>
                    <button type="submit" class="button">{t!(i18n, action.request_extension)}</button>
                </form>
            })}
            {can_decide.then(|| view! {
                <form method="post" action=DecideExtension::PATH class="stack">
                    {item_field(&id)}
                    <label><span>{t!(i18n, fields.opinion)}</span><textarea name="opinion" maxlength="2000" rows="2"></textarea></label>
                    <div class="button-row">
                        <button type="submit" name="decision" value="approve" class="button primary">{t!(i18n, ledger.approve)}</button>
                        <button type="submit" name="decision" value="refuse" class="button">{t!(i18n, ledger.refuse)}</button>
                    </div>
                </form>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn AcceptanceSection(d: ItemDetail, can_request: bool, can_sign: bool) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let id = d.summary.id.clone();
    view! {
        <section class="card" id="act-acceptance">
            <h2>{t!(i18n, ledger.acceptance)}</h2>
            {d.closure_note.clone().map(|n| view! { <p>{t!(i18n, ledger.closure_note)} ":" {n}</p> })}
            <ul class="plain-list" data-testid="co-signers">
                {d.acceptance.clone().into_iter().map(|c| view! {
                    <li data-co-signer=c.co_signer.as_str()>
                        <strong>{co_signer_label(l, c.co_signer)}</strong> " · "
                        {match c.passed {
                            None => t_string!(i18n, ledger.waiting).to_string(),
                            Some(true) => t_string!(i18n, ledger.pass).to_string(),
                            Some(false) => t_string!(i18n, ledger.return_it).to_string(),
                        }}
                        {(!c.opinion.is_empty()).then(|| view! { " · " <span class="opinion">{c.opinion.clone()}</span> })}
                        {(!c.by_name.is_empty()).then(|| view! { <span class="hint">" · " {c.by_name.clone()} " " {local_stamp(&c.at)}</span> })}
                    </li>
                }).collect_view()}
            </ul>
            {can_request.then(|| view! {
                <form method="post" action=RequestClosure::PATH class="stack" data-testid="closure-form">
                    {item_field(&id)}
                    <p class="hint">{t!(i18n, ledger.evidence_needed)}</p>
                    <label><span>{t!(i18n, ledger.closure_note)}</span><textarea name="note" maxlength="2000" rows="2">{query_value("note")}</textarea></label>
                    <fieldset>
                        <legend>{t!(i18n, fields.co_signers)}</legend>
                        <label class="check"><input type="checkbox" checked disabled />{co_signer_label(l, CoSigner::Central)}</label>
                        {PartnerDept::ALL.into_iter().map(|p| {
                            let default = CoSigner::DEFAULT.contains(&CoSigner::Partner(p));
                            view! { <label class="check"><input type="checkbox" name=p.as_str() value="1" checked=default />{partner_label(l, p)}</label> }
                        }).collect_view()}
                    </fieldset>
                    <button type="submit" class="button primary">{t!(i18n, action.request_closure)}</button>
                </form>
            })}
            {can_sign.then(|| view! {
                <form method="post" action=CoSign::PATH class="stack" data-testid="co-sign-form">
                    {item_field(&id)}
                    <label><span>{t!(i18n, fields.opinion)}</span><textarea name="opinion" maxlength="2000" rows="2">{query_value("opinion")}</textarea></label>
                    <div class="button-row">
                        <button type="submit" name="decision" value="pass" class="button primary">{t!(i18n, ledger.pass)}</button>
                        <button type="submit" name="decision" value="return" class="button">{t!(i18n, ledger.return_it)}</button>
                    </div>
                </form>
            })}
        </section>
    }
}

#[component]
fn NotifySection(d: ItemDetail, can_notify: bool) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    if d.notifications.is_empty() && !can_notify {
        return ().into_any();
    }
    view! {
        <section class="card" id="act-notify">
            <h2>{t!(i18n, ledger.notifications)}</h2>
            <ul class="plain-list">
                {d.notifications.clone().into_iter().map(|n| view! {
                    <li data-testid="notification" data-dept=n.dept.as_str()>
                        <strong>{partner_label(l, n.dept)}</strong> " · " {local_stamp(&n.sent_at)} " · "
                        {match n.read_at {
                            Some(at) => td_string!(l, ledger.read_at, at = local_stamp(&at)).to_string(),
                            None => td_string!(l, ledger.unread).to_string(),
                        }}
                        {(!n.note.is_empty()).then(|| view! { <p class="hint">{n.note.clone()}</p> })}
                    </li>
                }).collect_view()}
            </ul>
            {can_notify.then(|| view! {
                <form method="post" action=NotifyDepartment::PATH class="stack">
                    {item_field(&d.summary.id)}
                    <label><span>{t!(i18n, fields.dept)}</span>
                        <select name="dept">
                            {PartnerDept::ALL.into_iter().map(|p| view! { <option value=p.as_str()>{partner_label(l, p)}</option> }).collect_view()}
                        </select>
                    </label>
                    <label><span>{t!(i18n, fields.note)}</span><input name="note" maxlength="2000" /></label>
                    <button type="submit" class="button">{t!(i18n, action.notify)}</button>
                </form>
            })}
        </section>
    }
    .into_any()
}

/// Values worth showing from an event: the words people wrote and the dates set.
const SHOWN_DETAILS: [&str; 10] = [
    "comment",
    "reason",
    "opinion",
    "note",
    "text",
    "plan_returned_reason",
    "withdrawn_reason",
    "new_deadline",
    "approved_deadline",
    "accountability",
];

#[component]
fn Timeline(d: ItemDetail) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    view! {
        <section class="card">
            <h2>{t!(i18n, ledger.timeline)}</h2>
            <ol class="timeline" data-testid="timeline">
                {d.timeline.into_iter().map(|e| {
                    let shown: Vec<String> = e.detail.iter()
                        .filter(|(k, _)| SHOWN_DETAILS.contains(&k.as_str()))
                        .map(|(_, v)| v.clone())
                        .collect();
                    view! {
                        <li data-action=e.action.clone()>
                            <span class="mono hint">{local_stamp(&e.at)}</span> " "
                            <strong>{event_label(l, &e.action)}</strong> " · " {e.actor_name}
                            {(!shown.is_empty()).then(|| view! { <p class="hint">{shown.join(" · ")}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// 提醒记录: every reminder delivered about the item, to whom and whether it was read.
#[component]
fn RemindersSent(d: ItemDetail) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    if d.reminders.is_empty() && d.deliveries.is_empty() {
        return ().into_any();
    }
    let deliveries = d.deliveries.clone();
    view! {
        <section class="card">
            <h2>{t!(i18n, ledger.reminders_sent)}</h2>
            <ul class="plain-list" data-testid="reminders-sent">
                {d.reminders.into_iter().map(|r| view! {
                    <li data-rule=r.rule.clone()>
                        <strong>{crate::reminders::page::rule_label(l, &r.rule)}</strong> " · " {r.recipient_name}
                        <span class="hint">" · " {local_stamp(&r.sent_at)} " · "
                            {if r.read { t_string!(i18n, ledger.reminder_read).to_string() } else { t_string!(i18n, ledger.unread).to_string() }}
                        </span>
                    </li>
                }).collect_view()}
            </ul>
            {(!deliveries.is_empty()).then(|| view! {
                <h3>{t!(i18n, delivery.title)}</h3>
                <ul class="plain-list" data-testid="deliveries">
                    {deliveries.into_iter().map(|entry| view! { <crate::reminders::channels_page::DeliveryLine entry /> }).collect_view()}
                </ul>
            })}
        </section>
    }
    .into_any()
}
