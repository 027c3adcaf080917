//! The operator inbox: the conversations the member may see — filtered by view, status,
//! channel and workflow, searched, paged — with unread counts that follow the operator socket,
//! keyboard shortcuts, and the open conversation beside it (`conversation.rs`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::inbox::{ConversationSummary, InboxQuery, Showing};
use crate::lifecycle::{Handler, Status};
use crate::link::OperatorLink;
use crate::socket::js_now;
use crate::time::format_utc;
use crate::workflows::list_workflows;
use crate::Me;

use super::shortcuts::{shortcuts, ShortcutHelp};
use super::state::{inbox_href, Inbox};

pub const CHANNELS: [(&str, &str); 7] = [
    ("web", "Web chat"),
    ("sms", "SMS"),
    ("email", "E-mail"),
    ("whatsapp", "WhatsApp"),
    ("messenger", "Messenger"),
    ("instagram", "Instagram"),
    ("api", "API"),
];

/// The status filters, in the order a team works through them (`None`: all).
const STATUSES: [Option<Status>; 5] = [
    None,
    Some(Status::Waiting),
    Some(Status::Active),
    Some(Status::Open),
    Some(Status::Resolved),
];

const VIEWS: [(&str, &str); 4] = [
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("", "All"),
    ("snoozed", "Snoozed"),
];

/// "just now", "4m", "3h", "2d": how long ago, for lists.
pub fn ago(now: f64, ms: i64) -> String {
    if now <= 0.0 || ms <= 0 {
        return String::new();
    }
    let secs = ((now as i64 - ms) / 1000).max(0);
    match secs {
        0..=44 => "just now".into(),
        45..=3599 => format!("{}m", (secs / 60).max(1)),
        3600..=86_399 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let link = expect_context::<OperatorLink>();
    let me = use_context::<Me>().map(|m| m.member_id).unwrap_or_default();
    let raw = use_query_map();
    let query = Memo::new(move |_| {
        raw.with(|q| InboxQuery {
            view: q.get("view").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            channel: q.get("channel").unwrap_or_default(),
            workflow: q.get("workflow").unwrap_or_default(),
            q: q.get("q").unwrap_or_default(),
            before: String::new(),
        })
    });
    let inbox = Inbox::new(link, query, me);
    provide_context(inbox);
    let navigate = use_navigate();
    let go = move |q: InboxQuery| {
        navigate(&inbox_href(&q, inbox.open.get_untracked()), Default::default());
    };

    Effect::new(move |_| {
        query.track();
        inbox.reload_list();
    });
    link.listen(move |event| inbox.handle(event));
    link.on_connect(move || {
        inbox.resend_pending();
        inbox.reload_list();
    });
    // Elsewhere in the console, only one's own conversations' changes are needed.
    on_cleanup(move || link.show(Showing::Own));

    // A clock for "waiting 3m" and "5m ago".
    let now = RwSignal::new(0f64);
    Effect::new(move |_| {
        now.set(js_now());
        let handle = set_interval_with_handle(move || now.set(js_now()), std::time::Duration::from_secs(30));
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });

    let workflows = Resource::new(|| (), |_| list_workflows());
    let search = RwSignal::new(query.get_untracked().q);
    let search_timer = StoredValue::new(None::<leptos::prelude::TimeoutHandle>);
    let go_search = go.clone();
    let on_search = move |value: String| {
        search.set(value.clone());
        if let Some(h) = search_timer.get_value() {
            h.clear();
        }
        let go = go_search.clone();
        let handle = set_timeout_with_handle(
            move || {
                go(InboxQuery {
                    q: value.trim().to_string(),
                    ..query.get_untracked()
                })
            },
            std::time::Duration::from_millis(300),
        );
        search_timer.set_value(handle.ok());
    };

    shortcuts(inbox);

    let go_channel = go.clone();
    let go_workflow = go.clone();
    view! {
        <Title text="Inbox"/>
        <div class="flex h-full min-h-0">
            <section class="relative flex w-80 shrink-0 flex-col border-r border-slate-200 bg-white" aria-labelledby="inbox-heading">
                <div class="flex items-center justify-between gap-2 px-4 pt-4">
                    <h1 id="inbox-heading" class="text-lg font-semibold">"Inbox"</h1>
                    <div class="flex items-center gap-3">
                        <span class="flex items-center gap-1 text-xs text-slate-500" role="status" data-testid="inbox-connection">
                            <span class=move || if inbox.connected.get() { "h-2 w-2 rounded-full bg-emerald-500" } else { "h-2 w-2 rounded-full bg-slate-300" } aria-hidden="true"></span>
                            {move || if inbox.connected.get() { "Live" } else { "Connecting…" }}
                        </span>
                        <button type="button" class="rounded border border-slate-300 px-1.5 text-xs font-semibold text-slate-600 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                            aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" on:click=move |_| inbox.help_open.set(true)>"?"</button>
                    </div>
                </div>
                <div class="px-3 pt-3">
                    <label for="inbox-search" class="sr-only">"Search conversations"</label>
                    <input id="inbox-search" type="search" placeholder="Search name, e-mail, phone or messages (/)" maxlength="200"
                        class="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"
                        prop:value=move || search.get()
                        on:input=move |ev| on_search(event_target_value(&ev))/>
                </div>
                <nav aria-label="Whose conversations" class="flex gap-1 px-3 pt-3">
                    {VIEWS.into_iter().map(|(value, label)| {
                        let href = move || inbox_href(&InboxQuery { view: value.to_string(), ..query.get() }, None);
                        let current = move || query.with(|q| q.view == value);
                        view! {
                            <a href=href aria-current=move || current().then_some("page") data-testid="inbox-view"
                                class=move || if current() { "flex-1 rounded-md bg-slate-900 px-2 py-1 text-center text-xs font-semibold text-white" } else { "flex-1 rounded-md bg-slate-100 px-2 py-1 text-center text-xs font-medium text-slate-700 hover:bg-slate-200" }>
                                {label}
                            </a>
                        }
                    }).collect_view()}
                </nav>
                <nav aria-label="Filter by status" class="flex flex-wrap gap-1 px-3 py-2">
                    {STATUSES.into_iter().map(|status| {
                        let value = status.map(Status::as_str).unwrap_or_default();
                        let label = status.map(Status::label).unwrap_or("All");
                        let href = move || inbox_href(&InboxQuery { status: value.to_string(), ..query.get() }, None);
                        let current = move || query.with(|q| q.status == value);
                        view! {
                            <a href=href aria-current=move || current().then_some("page")
                                class=move || if current() { "rounded-full bg-slate-900 px-3 py-1 text-xs font-medium text-white" } else { "rounded-full bg-slate-100 px-3 py-1 text-xs font-medium text-slate-700 hover:bg-slate-200" }>
                                {label} " " <span class="opacity-70" data-testid=format!("count-{}", if value.is_empty() { "all" } else { value })>{move || inbox.counts.with(|c| c.of(status))}</span>
                            </a>
                        }
                    }).collect_view()}
                </nav>
                <div class="flex gap-2 px-3 pb-2">
                    <label class="sr-only" for="filter-channel">"Channel"</label>
                    <select id="filter-channel" class="min-w-0 flex-1 rounded-md border border-slate-300 bg-white py-1 pl-2 pr-7 text-xs focus:outline-none focus:ring-2 focus:ring-sky-500"
                        on:change=move |ev| go_channel(InboxQuery { channel: event_target_value(&ev), ..query.get_untracked() })>
                        <option value="" selected=move || query.with(|q| q.channel.is_empty())>"All channels"</option>
                        {CHANNELS.into_iter().map(|(v, l)| view! { <option value=v selected=move || query.with(|q| q.channel == v)>{l}</option> }).collect_view()}
                    </select>
                    <label class="sr-only" for="filter-workflow">"Workflow"</label>
                    <select id="filter-workflow" class="min-w-0 flex-1 rounded-md border border-slate-300 bg-white py-1 pl-2 pr-7 text-xs focus:outline-none focus:ring-2 focus:ring-sky-500"
                        on:change=move |ev| go_workflow(InboxQuery { workflow: event_target_value(&ev), ..query.get_untracked() })>
                        <option value="" selected=move || query.with(|q| q.workflow.is_empty())>"All workflows"</option>
                        <Transition>
                            {move || Suspend::new(async move {
                                workflows.await.unwrap_or_default().into_iter().map(|w| {
                                    let id = w.id.to_string();
                                    let selected = id.clone();
                                    view! { <option value=id selected=move || query.with(|q| q.workflow == selected)>{w.name.clone()}</option> }
                                }).collect_view()
                            })}
                        </Transition>
                    </select>
                </div>
                <div class="relative min-h-0 flex-1 overflow-y-auto border-t border-slate-100">
                    {move || {
                        if !inbox.loaded.get() {
                            return view! { <p class="p-4 text-sm text-slate-500" role="status">"Loading conversations…"</p> }.into_any();
                        }
                        if inbox.conversations.with(Vec::is_empty) {
                            let filtered = query.with(|q| !q.q.is_empty() || !q.status.is_empty() || !q.view.is_empty() || !q.channel.is_empty() || !q.workflow.is_empty());
                            return view! {
                                <div class="p-6 text-center text-sm text-slate-500" data-testid="empty-state">
                                    {if filtered {
                                        view! { <p class="font-medium text-slate-700">"Nothing matches these filters"</p><p class="mt-1">"Try another view or search, or clear the filters."</p><a class="mt-2 inline-block text-sky-700 underline" href="/inbox">"Clear filters"</a> }.into_any()
                                    } else {
                                        view! { <p class="font-medium text-slate-700">"No conversations yet"</p><p class="mt-1">"Conversations that need a person, or that you monitor, appear here as they happen."</p> }.into_any()
                                    }}
                                </div>
                            }.into_any();
                        }
                        view! {
                            <ul role="list" aria-label="Conversations" class="divide-y divide-slate-100">
                                <For each=move || inbox.conversations.get() key=|c| (c.id, c.last_seq, c.unread, c.status.clone(), c.assignee_id, c.category.clone()) let:c>
                                    <ConversationRow c=c now/>
                                </For>
                            </ul>
                            {move || inbox.next.get().is_some().then(|| view! {
                                <div class="p-3">
                                    <button type="button" class="w-full rounded-md border border-slate-300 py-1.5 text-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60"
                                        disabled=move || inbox.loading_more.get() on:click=move |_| inbox.load_more()>
                                        {move || if inbox.loading_more.get() { "Loading…" } else { "Load more conversations" }}
                                    </button>
                                </div>
                            })}
                        }.into_any()
                    }}
                </div>
                {move || inbox.problem.get().filter(|_| inbox.open.get().is_none()).map(|p| view! {
                    <p class="border-t border-red-200 bg-red-50 px-4 py-2 text-sm text-red-800" role="alert">{p}</p>
                })}
            </section>
            <div class="flex min-w-0 flex-1 flex-col">
                <Outlet/>
            </div>
        </div>
        <ShortcutHelp/>
    }
}

pub fn status_badge(status: Status) -> &'static str {
    match status {
        Status::Waiting => "bg-amber-100 text-amber-900",
        Status::Active => "bg-emerald-100 text-emerald-900",
        Status::Resolved => "bg-slate-200 text-slate-700",
        Status::Open => "bg-sky-100 text-sky-900",
    }
}

#[component]
fn ConversationRow(c: ConversationSummary, now: RwSignal<f64>) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let id = c.id;
    let href = move || inbox_href(&inbox.query.get(), Some(id));
    let selected = move || inbox.open.get() == Some(id);
    let handler = if c.handler == Handler::Ai {
        "AI".to_string()
    } else {
        c.assignee.clone().unwrap_or_else(|| "Unassigned".into())
    };
    let preview = c.last_message.as_deref().map(crate::format::plain).unwrap_or_default();
    let unread = c.unread;
    let name_class = if unread > 0 {
        "min-w-0 flex-1 truncate font-semibold"
    } else {
        "min-w-0 flex-1 truncate font-medium"
    };
    let preview_class = if unread > 0 {
        "mt-1 truncate text-sm text-slate-900"
    } else {
        "mt-1 truncate text-sm text-slate-600"
    };
    let waiting_since = (c.status == Status::Waiting).then_some(c.escalated_at).flatten();
    let last = c.last_activity_at;
    view! {
        <li>
            <a href=href
                aria-current=move || selected().then_some("true")
                data-testid="conversation-row"
                class=move || format!("block px-4 py-3 focus:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-sky-500 {}", if selected() { "bg-sky-50" } else { "hover:bg-slate-50" })>
                <div class="flex items-center gap-2">
                    <span class="rounded px-1.5 py-0.5 text-[10px] font-semibold uppercase text-white" style=format!("background:{}", c.channel_colour) title=c.channel_name.clone() data-testid="channel-chip">{c.channel_kind.as_str()}</span>
                    <span class=name_class>{c.contact_name.clone()}</span>
                    {(unread > 0).then(|| view! {
                        <span class="rounded-full bg-sky-600 px-1.5 text-[11px] font-semibold text-white" data-testid="unread" aria-label=format!("{unread} unread")>{unread}</span>
                    })}
                    <span class=format!("rounded-full px-2 py-0.5 text-[11px] font-medium {}", status_badge(c.status)) data-testid="status">{c.status.as_str()}</span>
                </div>
                <p class=preview_class>{preview}</p>
                <p class="mt-1 flex justify-between gap-2 text-[11px] text-slate-500">
                    <span class="truncate" data-testid="handler">
                        {handler}
                        {c.category.clone().map(|cat| view! { " · " <span class="text-slate-600">{cat}</span> })}
                    </span>
                    <span class="shrink-0" title=format_utc(last)>
                        {move || match waiting_since {
                            Some(since) => format!("waiting {}", ago(now.get(), since)),
                            None => ago(now.get(), last),
                        }}
                    </span>
                </p>
            </a>
        </li>
    }
}

#[component]
pub fn NoConversation() -> impl IntoView {
    view! {
        <div class="flex h-full items-center justify-center p-8 text-center text-sm text-slate-500">
            <div>
                <p>"Select a conversation to read it and reply."</p>
                <p class="mt-2 text-xs">"Press " <kbd class="rounded border border-slate-300 bg-white px-1">"j"</kbd> " to open the first one, " <kbd class="rounded border border-slate-300 bg-white px-1">"?"</kbd> " for all shortcuts."</p>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_addresses_keep_the_filters_and_encode_the_search() {
        let q = InboxQuery {
            view: "mine".into(),
            q: "Maria López & co".into(),
            ..Default::default()
        };
        assert_eq!(
            inbox_href(&q, Some(7)),
            "/inbox/7?view=mine&q=Maria%20L%C3%B3pez%20%26%20co"
        );
        assert_eq!(inbox_href(&InboxQuery::default(), None), "/inbox");
    }

    #[test]
    fn times_ago_are_short() {
        let now = 1_000_000_000.0;
        assert_eq!(ago(now, 1_000_000_000 - 10_000), "just now");
        assert_eq!(ago(now, 1_000_000_000 - 5 * 60_000), "5m");
        assert_eq!(ago(now, 1_000_000_000 - 3 * 3_600_000), "3h");
        assert_eq!(ago(0.0, 5), "");
    }
}
