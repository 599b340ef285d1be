//! The administrator's reminder ladder: when each rung falls, whether it repeats, who
//! gets it, whether it is on.

use super::api::{UpdateReminderRung, reminder_ladder};
use super::ladder::{Anchor, Recipient};
use super::page::rule_label;
use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::notice::{ErrorNotice, SuccessNotice};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

fn anchor_label(l: Locale, a: Anchor) -> String {
    match a {
        Anchor::Deadline => td_string!(l, reminder_admin.anchor_deadline),
        Anchor::MeasureDue => td_string!(l, reminder_admin.anchor_measure_due),
        Anchor::ClosureRequested => td_string!(l, reminder_admin.anchor_closure_requested),
        Anchor::Weekly => td_string!(l, reminder_admin.anchor_weekly),
        Anchor::ReturnDue => td_string!(l, reminder_admin.anchor_return_due),
    }
    .to_string()
}

fn recipient_label(l: Locale, r: Recipient) -> String {
    match r {
        Recipient::UnitHead => td_string!(l, reminder_admin.unit_head),
        Recipient::UnitHandler => td_string!(l, reminder_admin.unit_handler),
        Recipient::MeasureOwner => td_string!(l, reminder_admin.measure_owner),
        Recipient::DistrictOffice => td_string!(l, reminder_admin.district_office),
        Recipient::CentralOffice => td_string!(l, reminder_admin.central_office),
        Recipient::CoSigners => td_string!(l, reminder_admin.co_signers),
    }
    .to_string()
}

#[component]
pub fn ReminderRulesPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    if user.role != Role::Administrator {
        return view! { <PageError error=AppError::Forbidden /> }.into_any();
    }
    let i18n = use_i18n();
    let rungs = Resource::new(|| (), |_| reminder_ladder());
    view! {
        <AppFrame user>
            <h1>{t!(i18n, reminder_admin.title)}</h1>
            <SuccessNotice flag="saved">{move || t!(i18n, admin.saved)}</SuccessNotice>
            <ErrorNotice />
            <p class="hint">{t!(i18n, reminder_admin.quiet)} " " <a href="/admin/channels">{t!(i18n, channel_admin.title)}</a></p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    match rungs.await {
                        Ok(list) => view! {
                            <div data-testid="ladder">
                                {list.into_iter().map(|r| view! {
                                    <form method="post" action=UpdateReminderRung::PATH class="card stack" data-rule=r.rule.code.clone()>
                                        <h2>{rule_label(l, &r.rule.code)} <span class="hint">" · " {anchor_label(l, r.rule.anchor)}</span></h2>
                                        <input type="hidden" name="rung[code]" value=r.rule.code.clone() />
                                        <div class="pair">
                                            <label><span>{t!(i18n, fields.offset_days)}</span><input name="rung[offset_days]" inputmode="numeric" maxlength="4" value=r.rule.offset_days.to_string() /></label>
                                            <label><span>{t!(i18n, fields.repeat_days)}</span><input name="rung[repeat_days]" inputmode="numeric" maxlength="2" value=r.rule.repeat_days.map(|d| d.to_string()).unwrap_or_default() /></label>
                                        </div>
                                        <fieldset>
                                            <legend>{t!(i18n, fields.recipients)}</legend>
                                            {Recipient::ALL.into_iter().map(|who| view! {
                                                <label class="check"><input type="checkbox" name=format!("rung[{}]", who.as_str()) value="1" checked=r.rule.recipients.contains(&who) />{recipient_label(l, who)}</label>
                                            }).collect_view()}
                                        </fieldset>
                                        <label class="check"><input type="checkbox" name="rung[enabled]" value="1" checked=r.enabled />{t!(i18n, reminder_admin.enabled)}</label>
                                        <button type="submit" class="button">{t!(i18n, reminder_admin.save)}</button>
                                    </form>
                                }).collect_view()}
                            </div>
                        }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}
