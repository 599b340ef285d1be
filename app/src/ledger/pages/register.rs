//! Registering an item (登记): the central office and the business divisions.

use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ledger::api::{RegisterItem, load_ledger_choices};
use crate::ledger::lifecycle::Nature;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::labels::{entry_name, nature_label};
use crate::ui::notice::{ErrorNotice, query_value};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

fn option(value: String, label: String, chosen: &str) -> impl IntoView + use<> {
    let selected = value == chosen;
    view! { <option value=value selected=selected>{label}</option> }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    if !matches!(user.role, Role::CentralOffice | Role::BusinessDivision) {
        return view! { <PageError error=AppError::Forbidden /> }.into_any();
    }
    let i18n = use_i18n();
    let choices = Resource::new(|| (), |_| load_ledger_choices());
    view! {
        <AppFrame user>
            <h1>{t!(i18n, ledger.register)}</h1>
            <ErrorNotice />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    match choices.await {
                        Ok(c) => {
                            let (unit, source, category, nature) = (query_value("unit"), query_value("source"), query_value("category"), query_value("nature"));
                            let text = |name: &'static str, field: &'static str, max: &'static str| view! {
                                <input name=format!("item[{name}]") maxlength=max value=query_value(field) />
                            };
                            view! {
                                <form method="post" action=RegisterItem::PATH class="card stack" data-testid="register-form">
                                    <label><span>{t!(i18n, fields.unit)}</span><select name="item[unit]">
                                        <option value="">{t!(i18n, admin.choose)}</option>
                                        {c.units.iter().map(|u| option(u.id.clone(), format!("{} · {}", u.district_name, u.name), &unit)).collect_view()}
                                    </select></label>
                                    <label><span>{t!(i18n, fields.source)}</span><select name="item[source]">
                                        <option value="">{t!(i18n, admin.choose)}</option>
                                        {c.sources.iter().map(|e| option(e.code.clone(), entry_name(l, e), &source)).collect_view()}
                                    </select></label>
                                    <label><span>{t!(i18n, fields.category)}</span><select name="item[category]">
                                        <option value="">{t!(i18n, admin.choose)}</option>
                                        {c.categories.iter().map(|e| option(e.code.clone(), entry_name(l, e), &category)).collect_view()}
                                    </select></label>
                                    <label><span>{t!(i18n, fields.nature)}</span><select name="item[nature]">
                                        <option value="">{t!(i18n, admin.choose)}</option>
                                        {[Nature::Violation, Nature::PolicyCaused].into_iter().map(|n| option(n.as_str().into(), nature_label(l, n), &nature)).collect_view()}
                                    </select></label>
                                    <label><span>{t!(i18n, fields.description)}</span><textarea name="item[description]" maxlength="2000" rows="4">{query_value("description")}</textarea></label>
                                    <label><span>{t!(i18n, fields.legal_basis)}</span><textarea name="item[legal_basis]" maxlength="2000" rows="2">{query_value("legal_basis")}</textarea></label>
                                    <label><span>{t!(i18n, fields.quantity)}</span><input name="item[quantity]" inputmode="numeric" maxlength="6" value=query_value("quantity") /></label>
                                    <label><span>{t!(i18n, fields.found_on)}</span><input type="date" name="item[found_on]" value=query_value("found_on") /></label>
                                    <label><span>{t!(i18n, fields.found_in)}</span>{text("found_in", "found_in", "100")}</label>
                                    <label><span>{t!(i18n, fields.deadline)}</span><input type="date" name="item[deadline]" value=query_value("deadline") /></label>
                                    <label><span>{t!(i18n, fields.supervising_office)}</span>{text("supervising_office", "supervising_office", "100")}</label>
                                    <label><span>{t!(i18n, fields.head_name)}</span>{text("head_name", "head_name", "40")}</label>
                                    <label><span>{t!(i18n, fields.handler_name)}</span>{text("handler_name", "handler_name", "40")}</label>
                                    <label><span>{t!(i18n, fields.handler_phone)}</span><input type="tel" name="item[handler_phone]" maxlength="20" value=query_value("handler_phone") /></label>
                                    <label><span>{t!(i18n, fields.recurrence_of)}</span>{text("recurrence_of", "recurrence_of", "100")}</label>
                                    <button type="submit" class="button primary">{t!(i18n, ledger.register)}</button>
                                </form>
                            }.into_any()
                        }
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}
