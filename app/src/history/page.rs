//! History: every operator session — who handled which conversation, from when to when, and
//! how it ended — newest first, filtered by operator, workflow and outcome. Supervisors see
//! the whole team's; everyone else their own.

use leptos::prelude::*;

use crate::errors::{DataTable, EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::history::{outcome_label, sessions_page, HistoryPage, HistoryQuery, SessionView, OUTCOMES};
use crate::people::list_members;
use crate::time::{format_duration, format_utc};
use crate::workflows::list_workflows;
use crate::{Me, Scope};

const SELECT: &str = "rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500";

#[component]
pub fn HistoryPage() -> impl IntoView {
    let me = use_context::<Me>();
    if !me.as_ref().is_some_and(|m| m.can(Scope::OperatorRead)) {
        return view! { <Forbidden page="the history"/> }.into_any();
    }
    let everyone = me.as_ref().is_some_and(|m| m.can(Scope::ConversationsReadAll));
    let operator = RwSignal::new(String::new());
    let workflow = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let query = move || HistoryQuery {
        operator: operator.get(),
        workflow: workflow.get(),
        outcome: outcome.get(),
        before: String::new(),
    };
    let first = Resource::new(query, sessions_page);
    let workflows = Resource::new(|| (), |_| list_workflows());
    let members = Resource::new(
        move || everyone,
        |everyone| async move {
            if everyone {
                list_members().await
            } else {
                Ok(Vec::new())
            }
        },
    );
    view! {
        <PageHeader title="History" subtitle=if everyone {
            "Every takeover by the team: who handled which conversation, for how long, and how it ended."
        } else {
            "The conversations you handled: for how long, and how it ended."
        }/>
        <div class="space-y-4 p-8">
            <div class="flex flex-wrap items-end gap-4" role="group" aria-label="Filters">
                {everyone.then(|| view! {
                    <div>
                        <label for="history-operator" class="block text-sm font-medium">"Operator"</label>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                let list = members.await.unwrap_or_default();
                                view! {
                                    <select id="history-operator" class=SELECT on:change=move |ev| operator.set(event_target_value(&ev))>
                                        <option value="">"Everyone"</option>
                                        {list.into_iter().map(|m| view! { <option value=m.id.to_string()>{m.name}</option> }).collect_view()}
                                    </select>
                                }
                            })}
                        </Transition>
                    </div>
                })}
                <div>
                    <label for="history-workflow" class="block text-sm font-medium">"Workflow"</label>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let list = workflows.await.unwrap_or_default();
                            view! {
                                <select id="history-workflow" class=SELECT on:change=move |ev| workflow.set(event_target_value(&ev))>
                                    <option value="">"Every workflow"</option>
                                    {list.into_iter().map(|w| view! { <option value=w.id.to_string()>{w.name}</option> }).collect_view()}
                                </select>
                            }
                        })}
                    </Transition>
                </div>
                <div>
                    <label for="history-outcome" class="block text-sm font-medium">"Outcome"</label>
                    <select id="history-outcome" class=SELECT on:change=move |ev| outcome.set(event_target_value(&ev))>
                        <option value="">"Any outcome"</option>
                        {OUTCOMES.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading what="the history"/> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(page) if page.sessions.is_empty() => view! {
                            <EmptyState title="Nothing here yet" body="When an operator takes a conversation over, it is listed here with how it ended."/>
                        }.into_any(),
                        Ok(page) => view! { <Sessions page query=query()/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
    .into_any()
}

/// The sessions found, and the pages after them as they are asked for.
#[component]
fn Sessions(page: HistoryPage, query: HistoryQuery) -> impl IntoView {
    let rows = RwSignal::new(page.sessions);
    let next = RwSignal::new(page.next);
    let problem = RwSignal::new(None::<String>);
    let query = StoredValue::new(query);
    let more = move |_| {
        let Some(before) = next.get_untracked() else { return };
        let q = HistoryQuery {
            before,
            ..query.get_value()
        };
        leptos::task::spawn_local(async move {
            match sessions_page(q).await {
                Ok(page) => {
                    rows.update(|r| r.extend(page.sessions));
                    next.set(page.next);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <DataTable testid="history-table" columns=vec!["Conversation", "Operator", "Workflow", "Started", "Lasted", "Outcome"]>
            <For each=move || rows.get() key=|s| s.id let:s>
                <SessionRow s/>
            </For>
        </DataTable>
        {move || problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700">{p}</p> })}
        {move || next.get().is_some().then(|| view! {
            <button type="button" on:click=more
                class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Show older"</button>
        })}
    }
}

#[component]
fn SessionRow(s: SessionView) -> impl IntoView {
    let lasted = s.ended_at.map(|end| format_duration(end - s.accepted_at));
    let (badge, class) = match s.outcome.as_deref() {
        Some("completed") => (outcome_label(s.outcome.as_deref()), "bg-emerald-100 text-emerald-800"),
        Some("disconnected") => (outcome_label(s.outcome.as_deref()), "bg-red-100 text-red-800"),
        None => (outcome_label(None), "bg-sky-100 text-sky-800"),
        Some(other) => (outcome_label(Some(other)), "bg-slate-100 text-slate-700"),
    };
    view! {
        <tr data-testid="history-row">
            <td class="px-4 py-2"><a href=format!("/inbox/{}", s.conversation_id) class="font-medium text-sky-700 underline hover:text-sky-900">{s.contact_name}</a></td>
            <td class="px-4 py-2">{s.operator}</td>
            <td class="px-4 py-2 text-slate-600">{s.workflow}</td>
            <td class="whitespace-nowrap px-4 py-2 text-slate-600">{format_utc(s.accepted_at)}</td>
            <td class="whitespace-nowrap px-4 py-2 text-slate-600">{lasted.unwrap_or_else(|| "—".into())}</td>
            <td class="px-4 py-2"><span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {class}") data-testid="outcome">{badge}</span></td>
        </tr>
    }
}
