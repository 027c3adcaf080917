//! Reports: a period's conversations in figures (supervisors and up), a chart by day, a
//! breakdown by day, workflow, channel, operator group or operator, and the breakdown as CSV.

use leptos::prelude::*;

use crate::errors::{DataTable, EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::reports::{get_report, percent, Figures, Report, Row, Spread, BREAKDOWNS};
use crate::time::format_duration;
use crate::{Me, Scope};

const INPUT: &str = "mt-1 block rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500";

fn spread(s: &Spread) -> String {
    match (s.median_ms, s.p90_ms) {
        (Some(m), Some(p)) => format!("{} · p90 {}", format_duration(m), format_duration(p)),
        _ => "—".into(),
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let allowed = use_context::<Me>().is_some_and(|me| me.can(Scope::ConversationsReadAll));
    if !allowed {
        return view! { <Forbidden page="reports"/> }.into_any();
    }
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let by = RwSignal::new(String::from("workflow"));
    let report = Resource::new(move || (from.get(), to.get()), |(f, t)| get_report(f, t));
    view! {
        <PageHeader title="Reports" subtitle="How conversations went: how many needed a person, how fast people answered and resolved them, how long customers waited."/>
        <div class="space-y-6 p-8">
            <Transition fallback=|| view! { <Loading what="the report"/> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(r) => view! { <ReportView r from to by/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
    .into_any()
}

#[component]
fn ReportView(r: Report, from: RwSignal<String>, to: RwSignal<String>, by: RwSignal<String>) -> impl IntoView {
    let period = (r.from.clone(), r.to.clone());
    let csv = {
        let (f, t) = period.clone();
        move || format!("/api/reports/export?from={f}&to={t}&by={}", by.get())
    };
    let total = r.total.clone();
    let days = r.days.clone();
    let report = StoredValue::new(r);
    view! {
        <div class="flex flex-wrap items-end gap-4" role="group" aria-label="Period">
            <div>
                <label for="report-from" class="block text-sm font-medium">"From"</label>
                <input id="report-from" type="date" class=INPUT value=period.0.clone()
                    on:change=move |ev| from.set(event_target_value(&ev))/>
            </div>
            <div>
                <label for="report-to" class="block text-sm font-medium">"To"</label>
                <input id="report-to" type="date" class=INPUT value=period.1.clone()
                    on:change=move |ev| to.set(event_target_value(&ev))/>
            </div>
            <div>
                <label for="report-by" class="block text-sm font-medium">"Break down by"</label>
                <select id="report-by" class=INPUT on:change=move |ev| by.set(event_target_value(&ev))>
                    {BREAKDOWNS.into_iter().map(|(value, label)| view! {
                        <option value=value selected=move || by.get() == value>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            <a href=csv download class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Export CSV"</a>
        </div>
        <Summary f=total/>
        <DayChart days/>
        {move || {
            let key = by.get();
            let rows: Vec<Row> = report.with_value(|r| r.rows(&key).to_vec());
            let heading = BREAKDOWNS.iter().find(|(k, _)| *k == key).map_or("Day", |(_, l)| *l);
            if rows.is_empty() {
                view! { <EmptyState title="Nothing to break down" body="No conversation in this period has one."/> }.into_any()
            } else {
                view! { <Breakdown heading rows/> }.into_any()
            }
        }}
    }
}

#[component]
fn Summary(f: Figures) -> impl IntoView {
    let card = |label: &'static str, value: String, note: String, testid: &'static str| {
        view! {
            <div class="rounded-lg border border-slate-200 bg-white p-4" data-testid=testid>
                <p class="text-xs font-medium uppercase text-slate-500">{label}</p>
                <p class="mt-1 text-2xl font-semibold" data-testid="value">{value}</p>
                <p class="text-xs text-slate-500">{note}</p>
            </div>
        }
    };
    view! {
        <section aria-label="Summary" class="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            {card("Conversations", f.conversations.to_string(), format!("{} resolved", f.resolved), "figure-conversations")}
            {card("Escalated to people", percent(f.escalation_rate()), format!("{} of {}", f.escalated, f.conversations), "figure-escalated")}
            {card("Handled by a person", percent(f.handoff_rate()), format!("{} of {}", f.handled, f.conversations), "figure-handled")}
            {card("First human reply", f.first_reply.median_ms.map(format_duration).unwrap_or_else(|| "—".into()),
                f.first_reply.p90_ms.map(|p| format!("median · p90 {}", format_duration(p))).unwrap_or_else(|| "no replies".into()), "figure-first-reply")}
            {card("Time to resolution", f.resolution.median_ms.map(format_duration).unwrap_or_else(|| "—".into()),
                f.resolution.p90_ms.map(|p| format!("median · p90 {}", format_duration(p))).unwrap_or_else(|| "none resolved".into()), "figure-resolution")}
            {card("Queue wait", f.queue_wait.median_ms.map(format_duration).unwrap_or_else(|| "—".into()),
                f.queue_wait.p90_ms.map(|p| format!("median · p90 {}", format_duration(p))).unwrap_or_else(|| "nobody waited".into()), "figure-queue-wait")}
            {card("Customer satisfaction", f.csat(),
                if f.rated == 0 { "no ratings yet".to_string() } else { format!("{} rating{} · {} rated 4 or 5", f.rated, if f.rated == 1 { "" } else { "s" }, percent(f.satisfied_rate())) },
                "figure-csat")}
        </section>
    }
}

/// Conversations and escalations per day, as bars drawn in SVG.
#[component]
fn DayChart(days: Vec<Row>) -> impl IntoView {
    let n = days.len().max(1);
    let top = days.iter().map(|d| d.figures.conversations).max().unwrap_or(0).max(1);
    let (width, height, pad) = (720.0_f64, 180.0_f64, 24.0_f64);
    let slot = (width - pad) / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let y = |v: u32| height - pad - (f64::from(v) / f64::from(top)) * (height - 2.0 * pad);
    let summary = format!(
        "Conversations per day, {} to {}: at most {top} a day.",
        days.first().map(|d| d.label.clone()).unwrap_or_default(),
        days.last().map(|d| d.label.clone()).unwrap_or_default()
    );
    let every = (n / 7).max(1);
    view! {
        <section aria-labelledby="chart-heading" class="rounded-lg border border-slate-200 bg-white p-4">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 id="chart-heading" class="text-sm font-semibold">"Conversations per day"</h2>
                <p class="flex gap-4 text-xs text-slate-600">
                    <span><span class="mr-1 inline-block h-2 w-3 rounded-sm bg-slate-400" aria-hidden="true"></span>"Conversations"</span>
                    <span><span class="mr-1 inline-block h-2 w-3 rounded-sm bg-amber-500" aria-hidden="true"></span>"Escalated"</span>
                </p>
            </div>
            <svg viewBox=format!("0 0 {width} {height}") class="mt-2 h-48 w-full" role="img" aria-label=summary data-testid="day-chart">
                <line x1=pad y1=height - pad x2=width y2=height - pad class="stroke-slate-300"/>
                <text x="0" y=pad class="fill-slate-500 text-[10px]">{top.to_string()}</text>
                {days.iter().enumerate().map(|(i, d)| {
                    let x = pad + i as f64 * slot + (slot - bar) / 2.0;
                    let all = d.figures.conversations;
                    let esc = d.figures.escalated;
                    view! {
                        <g>
                            <title>{format!("{}: {all} conversations, {esc} escalated", d.label)}</title>
                            <rect x=x y=y(all) width=bar height=(height - pad - y(all)).max(0.0) class="fill-slate-400" rx="2"/>
                            <rect x=x y=y(esc) width=bar height=(height - pad - y(esc)).max(0.0) class="fill-amber-500" rx="2"/>
                            {(i % every == 0).then(|| view! {
                                <text x=x y=height - 6.0 class="fill-slate-500 text-[10px]">{d.label[5..].to_string()}</text>
                            })}
                        </g>
                    }
                }).collect_view()}
            </svg>
        </section>
    }
}

#[component]
fn Breakdown(heading: &'static str, rows: Vec<Row>) -> impl IntoView {
    view! {
        <DataTable testid="breakdown" columns=vec![heading, "Conversations", "Escalated", "Handled by a person", "First human reply", "Resolution", "Queue wait", "CSAT"]>
            {rows.into_iter().map(|r| {
                let f = r.figures;
                view! {
                    <tr data-testid="breakdown-row">
                        <th scope="row" class="px-4 py-2 text-left font-medium">{r.label}</th>
                        <td class="px-4 py-2">{f.conversations}</td>
                        <td class="px-4 py-2">{format!("{} ({})", f.escalated, percent(f.escalation_rate()))}</td>
                        <td class="px-4 py-2">{format!("{} ({})", f.handled, percent(f.handoff_rate()))}</td>
                        <td class="whitespace-nowrap px-4 py-2 text-slate-600">{spread(&f.first_reply)}</td>
                        <td class="whitespace-nowrap px-4 py-2 text-slate-600">{spread(&f.resolution)}</td>
                        <td class="whitespace-nowrap px-4 py-2 text-slate-600">{spread(&f.queue_wait)}</td>
                        <td class="whitespace-nowrap px-4 py-2 text-slate-600">{if f.rated == 0 { "—".to_string() } else { format!("{} ({})", f.csat(), f.rated) }}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}
