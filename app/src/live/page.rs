//! The supervisor's live view: who is live, in which status and for how long, on which
//! workflows, with what load against their limit; the queue with waiting times; and the
//! conversations being handled. It follows the live board over the operator socket.

use leptos::prelude::*;

use crate::errors::{DataTable, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::link::OperatorLink;
use crate::live::get_live_board;
use crate::live::{BoardOperator, LiveBoard, OperatorStatus};
use crate::socket::js_now;
use crate::time::format_utc;
use crate::{Me, Scope};

#[component]
pub fn LivePage() -> impl IntoView {
    let allowed = use_context::<Me>().is_some_and(|me| me.can(Scope::ConversationsReadAll));
    if !allowed {
        return view! { <Forbidden page="the live view"/> }.into_any();
    }
    let link = expect_context::<OperatorLink>();
    let initial = Resource::new(|| (), |_| get_live_board());
    // A clock for "time in status" and waiting times, ticking every second in the browser.
    let now = RwSignal::new(0f64);
    Effect::new(move |_| {
        now.set(js_now());
        let handle = set_interval_with_handle(move || now.set(js_now()), std::time::Duration::from_secs(1));
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <PageHeader title="Live" subtitle="Who is live, the queue, and the conversations being handled — as it happens."/>
        <div class="space-y-8 p-8">
            <Suspense fallback=|| view! { <Loading what="the live view"/> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(first) => view! { <Board first=first now/> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="text-xs text-slate-500" role="status">{move || if link.connected.get() { "Updating live." } else { "Reconnecting…" }}</p>
        </div>
    }
    .into_any()
}

fn ago(now: f64, since_ms: i64) -> String {
    if since_ms <= 0 || now <= 0.0 {
        return "—".into();
    }
    let secs = ((now as i64 - since_ms) / 1000).max(0);
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {}s", secs / 60, secs % 60),
        _ => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
    }
}

#[component]
fn Board(first: LiveBoard, now: RwSignal<f64>) -> impl IntoView {
    let link = expect_context::<OperatorLink>();
    let everyone = first.operators.clone();
    let board = Memo::new(move |_| {
        let mut b = link.board.get().unwrap_or_else(|| first.clone());
        // Team members who have not connected yet are listed as offline.
        for o in &everyone {
            if !b.operators.iter().any(|x| x.member_id == o.member_id) {
                b.operators.push(BoardOperator {
                    status: OperatorStatus::Offline,
                    ..o.clone()
                });
            }
        }
        b.operators.sort_by(|a, b| a.name.cmp(&b.name));
        b
    });
    view! {
        <section aria-labelledby="operators-heading">
            <h2 id="operators-heading" class="mb-3 text-base font-semibold">"Operators"</h2>
            <DataTable testid="operators-table" columns=vec!["Operator", "Status", "For", "Live on", "Load"]>
                    {move || board.get().operators.into_iter().map(|o| {
                        let since = o.since_ms;
                        view! {
                            <tr data-testid="operator-row" data-name=o.name.clone()>
                                <td class="px-4 py-2 font-medium">{o.name.clone()}{(!o.connected && o.status != OperatorStatus::Offline).then(|| view! { <span class="ml-2 text-xs text-amber-700">"(disconnected)"</span> })}</td>
                                <td class="px-4 py-2" data-testid="operator-status"><StatusDot status=o.status/></td>
                                <td class="px-4 py-2 tabular-nums text-slate-600">{move || ago(now.get(), since)}</td>
                                <td class="px-4 py-2">{if o.workflows.is_empty() { "—".to_string() } else { o.workflows.join(", ") }}</td>
                                <td class="px-4 py-2 tabular-nums" data-testid="operator-load">{if o.limit > 0 { format!("{} / {}", o.load, o.limit) } else { "—".into() }}</td>
                            </tr>
                        }
                    }).collect_view()}
            </DataTable>
        </section>
        <section aria-labelledby="queue-heading">
            <h2 id="queue-heading" class="mb-3 text-base font-semibold">"Queue"</h2>
            {move || {
                let queue = board.get().queue;
                if queue.is_empty() {
                    return view! { <p class="rounded-lg border border-dashed border-slate-300 bg-white p-4 text-sm text-slate-500" data-testid="queue-empty">"Nobody is waiting for a person."</p> }.into_any();
                }
                view! {
                    <DataTable testid="queue-table" columns=vec!["Position", "Workflow", "Conversation", "Waiting"]>
                            {queue.into_iter().map(|q| {
                                let since = q.since_ms;
                                view! {
                                    <tr>
                                        <td class="px-4 py-2">{q.position}</td>
                                        <td class="px-4 py-2">{q.workflow.clone()}</td>
                                        <td class="px-4 py-2"><a class="text-sky-700 underline" href=format!("/inbox/{}", q.conversation_id)>{format!("#{}", q.conversation_id)}</a></td>
                                        <td class="px-4 py-2 tabular-nums">{move || ago(now.get(), since)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                    </DataTable>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="sessions-heading">
            <h2 id="sessions-heading" class="mb-3 text-base font-semibold">"Being handled"</h2>
            {move || {
                let sessions = board.get().sessions;
                if sessions.is_empty() {
                    return view! { <p class="rounded-lg border border-dashed border-slate-300 bg-white p-4 text-sm text-slate-500">"No operator is handling a conversation right now."</p> }.into_any();
                }
                view! {
                    <DataTable testid="sessions-table" columns=vec!["Customer", "Operator", "Since", "Reassign"]>
                            {sessions.into_iter().map(|s| view! {
                                <tr>
                                    <td class="px-4 py-2"><a class="text-sky-700 underline" href=format!("/inbox/{}", s.conversation_id)>{s.contact.clone()}</a></td>
                                    <td class="px-4 py-2">{s.operator.clone()}</td>
                                    <td class="px-4 py-2 text-slate-600">{format_utc(s.since_ms)}</td>
                                    <td class="px-4 py-2"><Reassign conversation_id=s.conversation_id current=s.member_id/></td>
                                </tr>
                            }).collect_view()}
                    </DataTable>
                }.into_any()
            }}
        </section>
    }
}

/// Gives a conversation being handled to another available operator.
#[component]
fn Reassign(conversation_id: i64, current: i64) -> impl IntoView {
    let link = expect_context::<OperatorLink>();
    let problem = RwSignal::new(None::<String>);
    let choices = move || {
        link.board
            .get()
            .map(|b| {
                b.operators
                    .into_iter()
                    .filter(|o| o.member_id != current && o.status == OperatorStatus::Online && o.load < o.limit)
                    .map(|o| (o.member_id, o.name))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    view! {
        <div class="flex items-center gap-2">
            <label class="sr-only" for=format!("reassign-{conversation_id}")>"Reassign to"</label>
            <select id=format!("reassign-{conversation_id}") data-testid="reassign"
                class="rounded-md border border-slate-300 bg-white py-1 pl-2 pr-8 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    if value.is_empty() { return; }
                    leptos::task::spawn_local(async move {
                        match crate::conversation::transfer_conversation(conversation_id, format!("member:{value}"), "Reassigned from the live view.".into()).await {
                            Ok(()) => problem.set(None),
                            Err(e) => problem.set(Some(e.to_string())),
                        }
                    });
                }>
                <option value="">"Choose…"</option>
                {move || choices().into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
            </select>
            {move || problem.get().map(|p| view! { <span class="text-xs text-red-700" role="alert">{p}</span> })}
        </div>
    }
}

#[component]
fn StatusDot(status: OperatorStatus) -> impl IntoView {
    let colour = match status {
        OperatorStatus::Online => "bg-emerald-500",
        OperatorStatus::Away => "bg-amber-400",
        OperatorStatus::Busy => "bg-red-500",
        OperatorStatus::Offline => "bg-slate-400",
    };
    view! {
        <span class="inline-flex items-center gap-2">
            <span class=format!("h-2.5 w-2.5 rounded-full {colour}") aria-hidden="true"></span>
            {status.label()}
        </span>
    }
}
