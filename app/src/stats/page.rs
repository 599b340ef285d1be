//! 统计 (the dashboard): the figures of the city (or a district), each a link to exactly
//! those items in the ledger; where open items concentrate; the trend; snapshots.

use super::UNIT_ROWS;
use super::api::{FreezeDashboard, dashboard_data};
use super::svg::{Bar, bar_chart, trend_chart};
use super::{Dashboard, DashboardView, Figures, Split};
use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::notice::{ErrorNotice, SuccessNotice, query_value};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The figures a dashboard shows, in order, by their names in the ledger's filters.
const FIGURES: [&str; 6] = ["found", "closed", "on_time", "open", "overdue", "due_week"];

fn figure_value(f: &Figures, which: &str) -> i64 {
    match which {
        "found" => f.found,
        "closed" => f.closed,
        "on_time" => f.closed_on_time,
        "open" => f.open,
        "overdue" => f.overdue,
        _ => f.due_this_week,
    }
}

fn figure_label(l: Locale, which: &str) -> String {
    match which {
        "found" => td_string!(l, stats.found),
        "closed" => td_string!(l, stats.closed),
        "on_time" => td_string!(l, stats.on_time),
        "open" => td_string!(l, stats.open),
        "overdue" => td_string!(l, stats.overdue),
        _ => td_string!(l, stats.due_week),
    }
    .to_string()
}

/// The ledger view of exactly the items behind a figure, within a group of a split.
pub fn ledger_href(d: &Dashboard, group: Option<(&str, &str)>, which: &str) -> String {
    let mut query: Vec<String> = Vec::new();
    if let Some((dimension, key)) = group {
        query.push(format!("{dimension}={key}"));
    }
    match which {
        "found" => query.push("status=found".into()),
        "closed" => query.push("status=closed".into()),
        "on_time" => query.push("status=closed&on_time=1".into()),
        "open" => query.push("status=open".into()),
        "overdue" => query.push("overdue=1".into()),
        _ => query.push(format!(
            "status=open&due_from={}&due_to={}",
            d.week_from, d.week_to
        )),
    }
    format!("/ledger?{}", query.join("&"))
}

/// 66.6% (per-thousand to a percentage with one decimal).
pub fn percent(permille: i64) -> String {
    format!("{}.{}%", permille / 10, permille % 10)
}

fn dimension_title(l: Locale, dimension: &str) -> String {
    match dimension {
        "district" => td_string!(l, stats.by_district),
        "unit" => td_string!(l, stats.by_unit),
        "category" => td_string!(l, stats.by_category),
        "source" => td_string!(l, stats.by_source),
        _ => td_string!(l, stats.by_nature),
    }
    .to_string()
}

#[component]
fn SplitTable(dashboard: Dashboard, split: Split) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let rows = if split.dimension == "unit" {
        split
            .rows
            .iter()
            .take(UNIT_ROWS)
            .cloned()
            .collect::<Vec<_>>()
    } else {
        split.rows.clone()
    };
    let dimension = split.dimension.clone();
    view! {
        <section class="card" data-testid=format!("split-{}", split.dimension)>
            <h2>{dimension_title(l, &split.dimension)}</h2>
            <div class="table-scroll">
                <table class="table stats-table">
                    <thead><tr>
                        <th></th>
                        {FIGURES.iter().map(|w| view! { <th>{figure_label(l, w)}</th> }).collect_view()}
                        <th>{t!(i18n, stats.on_time_rate)}</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| {
                            let label = if l == Locale::en { r.label_en.clone() } else { r.label.clone() };
                            let d = dashboard.clone();
                            let dim = dimension.clone();
                            view! {
                                <tr data-key=r.key.clone()>
                                    <th scope="row">{label}</th>
                                    {FIGURES.iter().map(|w| {
                                        let href = ledger_href(&d, Some((dim.as_str(), r.key.as_str())), w);
                                        view! { <td><a href=href data-figure=*w>{figure_value(&r.figures, w)}</a></td> }
                                    }).collect_view()}
                                    <td>{r.figures.on_time_permille().map(percent).unwrap_or_else(|| "–".into())}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn DashboardBody(view: DashboardView) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let d = view.dashboard.clone();
    let previous = view.previous.clone();
    let tiles = FIGURES.iter().map(|w| {
        let value = figure_value(&d.totals, w);
        let change = previous.as_ref().map(|(_, p)| value - figure_value(p, w));
        view! {
            <a class="stat-tile" href=ledger_href(&d, None, w) data-testid=format!("total-{w}")>
                <span class="stat-value">{value}</span>
                <span class="stat-label">{figure_label(l, w)}</span>
                {change.map(|c| view! { <span class="stat-change hint">{if c > 0 { format!("+{c}") } else { c.to_string() }}</span> })}
            </a>
        }
    }).collect_view();
    let rate = d
        .totals
        .on_time_permille()
        .map(percent)
        .unwrap_or_else(|| "–".into());
    let c = d.concentration.clone();
    let bars: Vec<Bar> = c
        .shares
        .iter()
        .enumerate()
        .map(|(i, s)| Bar {
            label: if l == Locale::en {
                s.label_en.clone()
            } else {
                s.label.clone()
            },
            value: s.open,
            href: ledger_href(&d, Some(("district", s.key.as_str())), "open"),
            marked: c.flagged && i < 2,
        })
        .collect();
    let concentration_chart = bar_chart(td_string!(l, stats.open_by_district), &bars);
    let trend = trend_chart(
        td_string!(l, stats.trend),
        &d.trend,
        [
            td_string!(l, stats.found),
            td_string!(l, stats.closed),
            td_string!(l, stats.overdue_at_end),
        ],
    );
    // The central office starts a look-back on the two districts in one tap.
    let start_look_back = current_user()
        .filter(|u| u.role == Role::CentralOffice)
        .map(|_| {
            let keys: Vec<String> = c.shares.iter().take(2).map(|s| s.key.clone()).collect();
            format!("/campaigns/new?kind=look_back&districts={}", keys.join(","))
        });
    let flag = c.flagged.then(|| {
        let names: Vec<String> = c
            .shares
            .iter()
            .take(2)
            .map(|s| if l == Locale::en { s.label_en.clone() } else { s.label.clone() })
            .collect();
        view! {
            <div class="notice notice-error" role="alert" data-testid="concentration-flag">
                {td_string!(l, stats.concentrated, first = names.first().cloned().unwrap_or_default(), second = names.get(1).cloned().unwrap_or_default(), share = percent(c.top_two_permille)).to_string()}
                {start_look_back.clone().map(|href| view! { " "<a class="button" href=href data-testid="start-look-back">{td_string!(l, stats.start_look_back)}</a> })}
            </div>
        }
    });
    let splits = d.splits.clone();
    let trend_rows = d.trend.clone();
    view! {
        <div class="stat-tiles" data-testid="totals">
            {tiles}
            <div class="stat-tile"><span class="stat-value" data-testid="on-time-rate">{rate}</span><span class="stat-label">{t!(i18n, stats.on_time_rate)}</span></div>
        </div>
        {previous.map(|(info, _)| view! { <p class="hint">{td_string!(l, stats.change_since, label = info.label.clone()).to_string()}</p> })}
        {flag}
        <section class="card chart-card" data-testid="chart-districts">
            <h2>{t!(i18n, stats.open_by_district)}</h2>
            <div inner_html=concentration_chart></div>
        </section>
        <section class="card chart-card" data-testid="chart-trend">
            <h2>{t!(i18n, stats.trend)}</h2>
            <div inner_html=trend></div>
            <div class="table-scroll">
                <table class="table stats-table">
                    <thead><tr><th>{t!(i18n, stats.month)}</th><th>{t!(i18n, stats.found)}</th><th>{t!(i18n, stats.closed)}</th><th>{t!(i18n, stats.overdue_at_end)}</th></tr></thead>
                    <tbody>
                        {trend_rows.into_iter().map(|p| view! { <tr><th scope="row">{p.month}</th><td>{p.found}</td><td>{p.closed}</td><td>{p.overdue_at_end}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        {splits.into_iter().map(|s| view! { <SplitTable dashboard=d.clone() split=s /> }).collect_view()}
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    if !matches!(
        user.role,
        Role::CentralOffice | Role::BusinessDivision | Role::DistrictOffice
    ) {
        return view! { <PageError error=AppError::Forbidden /> }.into_any();
    }
    let i18n = use_i18n();
    let snapshot = query_value("snapshot");
    let data = Resource::new(move || snapshot.clone(), dashboard_data);
    view! {
        <AppFrame user>
            <h1>{t!(i18n, stats.title)}</h1>
            <SuccessNotice flag="frozen">{move || t!(i18n, stats.frozen)}</SuccessNotice>
            <ErrorNotice />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    match data.await {
                        Ok(v) => {
                            let chosen = v.snapshot.as_ref().map(|s| s.id.clone()).unwrap_or_default();
                            view! {
                                {(!v.dashboard.scope_name.is_empty()).then(|| view! { <p class="hint">{v.dashboard.scope_name.clone()}</p> })}
                                <p class="hint" data-testid="as-of">{match &v.snapshot {
                                    Some(s) => td_string!(l, stats.as_of_snapshot, label = s.label.clone(), at = s.taken_at.clone()).to_string(),
                                    None => td_string!(l, stats.as_of_today, day = v.dashboard.today.clone()).to_string(),
                                }}</p>
                                {(!v.snapshots.is_empty()).then(|| view! {
                                    <form method="get" action="/dashboard" class="inline-form" data-testid="snapshots">
                                        <label><span>{t!(i18n, stats.snapshot)}</span>
                                            <select name="snapshot">
                                                <option value="">{t!(i18n, stats.live)}</option>
                                                {v.snapshots.iter().map(|s| view! { <option value=s.id.clone() selected=s.id == chosen>{s.label.clone()}</option> }).collect_view()}
                                            </select>
                                        </label>
                                        <button type="submit" class="button">{t!(i18n, stats.show)}</button>
                                    </form>
                                })}
                                <DashboardBody view=v.clone() />
                                <p><a class="button" href=crate::exchange::STATS_EXPORT_PATH download data-testid="export-stats">{t!(i18n, stats.export)}</a></p>
                                {v.may_freeze.then(|| view! {
                                    <form method="post" action=FreezeDashboard::PATH>
                                        <button type="submit" class="button secondary">{t!(i18n, stats.freeze)}</button>
                                    </form>
                                })}
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
