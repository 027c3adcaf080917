//! The open conversation: its history (in pages, newest first), who else is viewing, the
//! controls to take over, hand back, transfer and resolve, the composer (replies and notes,
//! formatting, files, canned responses with macros), and the information panel beside it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::contacts::panel::InfoPanel;
use crate::contacts::ContactDetail;
use crate::conversation::{get_conversation, get_history, resolve_conversation, restore_to_ai, take_over};
use crate::events::OperatorCommand;
use crate::inbox::page::status_badge;
use crate::inbox::state::Inbox;
use crate::lifecycle::{Handler, Status};
use crate::{Me, Scope};

use super::bubble::Bubble;
use super::composer::Composer;
use super::transfer::TransferPanel;

pub const BUTTON: &str = "rounded-md bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60";
pub const QUIET: &str = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60";
/// Why handing back or transferring waits: the reply would otherwise take the conversation again.
pub const WAIT_FOR_REPLY: &str = "Your reply is still being sent; hand the conversation on once it has gone.";

/// What the open conversation shares with its panel and composer.
#[derive(Clone, Copy)]
pub struct Open {
    pub id: Memo<Option<i64>>,
    pub contact: RwSignal<Option<ContactDetail>>,
    /// Bumped to make the panel reload the contact.
    pub contact_version: RwSignal<u32>,
}

#[component]
pub fn ConversationView() -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let me = use_context::<Me>();
    let can_write = me.as_ref().is_some_and(|m| m.can(Scope::OperatorWrite));
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).and_then(|s| s.parse::<i64>().ok()));
    let open = Open {
        id,
        contact: RwSignal::new(None),
        contact_version: RwSignal::new(0),
    };
    provide_context(open);
    let busy = RwSignal::new(false);
    let transfer_open = RwSignal::new(false);
    let panel_open = RwSignal::new(true);
    let loading_earlier = RwSignal::new(false);

    // Open the conversation named in the address: load its history, follow it live.
    Effect::new(move |previous: Option<Option<i64>>| {
        let current = id.get();
        if let Some(Some(old)) = previous {
            if Some(old) != current {
                inbox.send(&OperatorCommand::Unwatch { conversation_id: old });
            }
        }
        inbox.open.set(current);
        inbox.thread.set(Vec::new());
        inbox.thread_loaded.set(false);
        inbox.has_earlier.set(false);
        inbox.typing.set(None);
        inbox.reply_blocked.set(None);
        inbox.subject.set(None);
        inbox.viewers.set(Vec::new());
        inbox.problem.set(None);
        transfer_open.set(false);
        if let Some(cid) = current {
            leptos::task::spawn_local(async move {
                match get_conversation(cid).await {
                    Ok(detail) => {
                        if inbox.open.get_untracked() == Some(cid) {
                            inbox
                                .has_earlier
                                .set(detail.messages.first().is_some_and(|m| m.seq > 1));
                            let mut summary = detail.summary;
                            summary.unread = 0;
                            inbox.open_summary.set(Some(summary.clone()));
                            // In the list when its view shows it (not a snoozed one in All).
                            if inbox.fits(&summary) || !inbox.query.get_untracked().q.is_empty() {
                                inbox.upsert(summary);
                            }
                            inbox.thread.set(detail.messages);
                            inbox.reply_blocked.set(detail.reply_blocked);
                            inbox.subject.set(detail.subject);
                            inbox.thread_loaded.set(true);
                            watch(inbox);
                        }
                    }
                    Err(e) => {
                        inbox.problem.set(Some(e.to_string()));
                        inbox.thread_loaded.set(true);
                    }
                }
            });
        }
        current
    });
    inbox.link.on_connect(move || watch(inbox));
    on_cleanup(move || {
        if let Some(cid) = inbox.open.get_untracked() {
            inbox.send(&OperatorCommand::Unwatch { conversation_id: cid });
        }
        inbox.open.set(None);
    });

    let summary = move || id.get().and_then(|cid| inbox.open_conversation(cid));

    let act = move |which: &'static str| {
        let Some(cid) = id.get_untracked() else { return };
        if which == "restore" && inbox.replying(cid) {
            inbox.problem.set(Some(WAIT_FOR_REPLY.into()));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = match which {
                "take_over" => take_over(cid).await,
                "restore" => restore_to_ai(cid).await,
                "reopen" => crate::conversation::reopen_conversation(cid).await,
                _ => resolve_conversation(cid).await,
            };
            match result {
                Ok(s) => {
                    inbox.upsert(s);
                    inbox.problem.set(None);
                }
                Err(e) => inbox.problem.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };

    let load_earlier = move |_| {
        let (Some(cid), Some(first)) = (
            id.get_untracked(),
            inbox.thread.with_untracked(|t| t.first().map(|m| m.seq)),
        ) else {
            return;
        };
        loading_earlier.set(true);
        leptos::task::spawn_local(async move {
            match get_history(cid, first).await {
                Ok(older) => {
                    inbox.has_earlier.set(older.first().is_some_and(|m| m.seq > 1));
                    inbox.thread.update(|t| {
                        for m in older {
                            if !t.iter().any(|x| x.seq == m.seq) {
                                t.push(m);
                            }
                        }
                        t.sort_by_key(|m| m.seq);
                    });
                }
                Err(e) => inbox.problem.set(Some(e.to_string())),
            }
            loading_earlier.set(false);
        });
    };

    // What this member sent here that the server has not confirmed yet.
    let pending_here = move || {
        let open = id.get();
        inbox.pending.with(|p| {
            p.iter()
                .filter(|p| Some(p.conversation_id) == open)
                .cloned()
                .collect::<Vec<_>>()
        })
    };

    // Keep the newest message, what is being sent and who is typing in view as they change
    // (not when older pages load).
    let bottom = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |last: Option<(i64, usize, bool)>| {
        let newest = inbox.thread.with(|t| t.last().map(|m| m.seq).unwrap_or(0));
        let end = (newest, inbox.pending.with(Vec::len), inbox.typing.with(Option::is_some));
        #[cfg(feature = "hydrate")]
        if let Some(el) = bottom.get() {
            if last != Some(end) || newest == 0 {
                el.scroll_into_view();
            }
        }
        let _ = last;
        end
    });

    view! {
        <div class="flex h-full min-h-0">
            <div class="flex min-w-0 flex-1 flex-col">
                <header class="flex flex-wrap items-center gap-x-3 gap-y-2 border-b border-slate-200 bg-white px-6 py-3">
                    {move || summary().map(|s| {
                        let handler_text = if s.handler == Handler::Ai { "The assistant is handling this conversation".to_string() } else { format!("Handled by {}", s.assignee.clone().unwrap_or_else(|| "a person".into())) };
                        view! {
                            <div class="min-w-[12rem] flex-1">
                                <h2 class="truncate text-base font-semibold" data-testid="conversation-title">{s.contact_name.clone()}</h2>
                                {move || inbox.subject.get().map(|subject| {
                                    let title = subject.clone();
                                    view! { <p class="truncate text-sm text-slate-700" data-testid="conversation-subject" title=title>{subject}</p> }
                                })}
                                <p class="truncate text-xs text-slate-500">
                                    {format!("{} · ", s.channel_name)}
                                    <span class=format!("rounded-full px-2 py-0.5 font-medium {}", status_badge(s.status)) data-testid="conversation-status">{s.status.as_str()}</span>
                                    {format!(" · {handler_text}")}
                                </p>
                                {s.resolved_at.map(|at| view! {
                                    <p class="truncate text-xs text-slate-500" data-testid="resolved-by">
                                        {format!("Resolved {}{}", crate::time::format_utc(at), s.resolved_by.clone().map(|n| format!(" by {n}")).unwrap_or_default())}
                                    </p>
                                })}
                            </div>
                        }
                    })}
                    {move || (can_write && summary().is_some()).then(|| {
                        let s = summary().unwrap();
                        view! {
                            <div class="flex shrink-0 gap-2">
                                {(s.handler == Handler::Ai && s.status != Status::Resolved).then(|| view! {
                                    <button type="button" on:click=move |_| act("take_over") disabled=move || busy.get() class=BUTTON>"Take over"</button>
                                })}
                                {(s.handler == Handler::Human).then(|| view! {
                                    <button type="button" on:click=move |_| act("restore") disabled=move || busy.get() || inbox.replying(s.id) class=QUIET
                                        title=move || inbox.replying(s.id).then_some(WAIT_FOR_REPLY)>"Restore to AI"</button>
                                })}
                                {(s.status != Status::Resolved).then(|| view! {
                                    <button type="button" on:click=move |_| transfer_open.update(|o| *o = !*o) aria-expanded=move || transfer_open.get().to_string() class=QUIET>"Transfer"</button>
                                    <button type="button" on:click=move |_| act("resolve") disabled=move || busy.get() class=QUIET title="Resolve (e)">"Resolve"</button>
                                })}
                                {(s.status == Status::Resolved).then(|| view! {
                                    <button type="button" on:click=move |_| act("reopen") disabled=move || busy.get() class=QUIET>"Reopen"</button>
                                })}
                                {(s.status != Status::Resolved).then(|| view! { <SnoozeMenu id busy snoozed=s.snoozed_until/> })}
                            </div>
                        }
                    })}
                    <button type="button" class="rounded-md border border-slate-300 bg-white p-1.5 text-slate-600 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                        aria-controls="info-panel" aria-expanded=move || panel_open.get().to_string()
                        aria-label=move || if panel_open.get() { "Hide details" } else { "Show details" }
                        title=move || if panel_open.get() { "Hide details" } else { "Show details" }
                        on:click=move |_| panel_open.update(|o| *o = !*o)>
                        <svg class="h-5 w-5" fill="none" stroke="currentColor" stroke-width="1.8" viewBox="0 0 24 24" aria-hidden="true"><path stroke-linecap="round" stroke-linejoin="round" d="M4 5h16v14H4zM15 5v14"/></svg>
                    </button>
                </header>
                {move || {
                    let others = inbox.viewers.get();
                    (!others.is_empty()).then(|| {
                        let names: Vec<String> = others.iter().map(|v| v.name.clone()).collect();
                        let text = if names.len() == 1 { format!("{} is also viewing this conversation.", names[0]) } else { format!("{} are also viewing this conversation.", names.join(", ")) };
                        view! { <p class="border-b border-amber-200 bg-amber-50 px-6 py-1.5 text-xs text-amber-900" role="status" data-testid="viewers">{text}</p> }
                    })
                }}
                {move || (transfer_open.get() && id.get().is_some()).then(|| view! { <TransferPanel id=id.get().unwrap() open=transfer_open/> })}
                <div class="relative min-h-0 flex-1 space-y-3 overflow-y-auto bg-slate-50 px-6 py-4" role="log" aria-live="polite" aria-label="Conversation history" data-testid="thread">
                    {move || (!inbox.thread_loaded.get()).then(|| view! { <p class="text-sm text-slate-500" role="status">"Loading the conversation…"</p> })}
                    {move || inbox.has_earlier.get().then(|| view! {
                        <div class="text-center">
                            <button type="button" class="rounded-full border border-slate-300 bg-white px-3 py-1 text-xs hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60"
                                disabled=move || loading_earlier.get() on:click=load_earlier>
                                {move || if loading_earlier.get() { "Loading…" } else { "Load earlier messages" }}
                            </button>
                        </div>
                    })}
                    <For each=move || inbox.thread.get() key=|m| (m.seq, m.delivery.as_ref().map(|d| d.status)) let:m>
                        <Bubble message=m/>
                    </For>
                    <For each=pending_here key=|p| p.key.clone() let:p>
                        <div class="flex flex-col items-end">
                            <p class=if p.internal { "max-w-[70%] whitespace-pre-wrap rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm opacity-70" } else { "max-w-[70%] whitespace-pre-wrap rounded-2xl bg-slate-300 px-3 py-2 text-sm" }>{p.body.clone()}</p>
                            <p class="text-[11px] text-slate-500">"Sending…"</p>
                        </div>
                    </For>
                    {move || inbox.typing.get().map(|name| view! { <p class="text-xs italic text-slate-500" data-testid="typing">{format!("{name} is typing…")}</p> })}
                    <div node_ref=bottom></div>
                </div>
                {move || inbox.problem.get().map(|p| view! { <p class="border-t border-red-200 bg-red-50 px-6 py-2 text-sm text-red-800" role="alert" data-testid="inbox-problem">{p}</p> })}
                {can_write.then(|| view! { <Composer/> })}
            </div>
            {move || panel_open.get().then(|| view! { <InfoPanel/> })}
        </div>
    }
}

/// (Re)subscribes to the open conversation from the last message this page has.
fn watch(inbox: Inbox) {
    if let Some(id) = inbox.open.get_untracked() {
        let last_seq = inbox.thread.with_untracked(|t| t.last().map(|m| m.seq).unwrap_or(0));
        if inbox.thread_loaded.get_untracked() {
            inbox.send(&OperatorCommand::Watch {
                conversation_id: id,
                last_seq,
            });
        }
    }
}

/// Puts the conversation aside (it leaves the inbox's views for Snoozed) until a time or the
/// customer's next message; or brings it back.
#[component]
fn SnoozeMenu(id: Memo<Option<i64>>, busy: RwSignal<bool>, snoozed: Option<i64>) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let open = RwSignal::new(false);
    let snooze = move |until: String| {
        let Some(cid) = id.get_untracked() else { return };
        busy.set(true);
        open.set(false);
        leptos::task::spawn_local(async move {
            match crate::conversation::snooze_conversation(cid, until).await {
                // As any change: a snoozed conversation leaves the list's views but Snoozed.
                Ok(s) => {
                    inbox.changed(s);
                    inbox.problem.set(None);
                }
                Err(e) => inbox.problem.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    let later = |hours: f64| (crate::socket::js_now() + hours * 3_600_000.0).round() as i64;
    let now = crate::socket::js_now() as i64;
    match snoozed.filter(|until| *until > now) {
        Some(until) => {
            let when = if until == crate::inbox::UNTIL_REPLY {
                "until the customer writes".to_string()
            } else {
                format!("until {}", crate::time::format_utc(until))
            };
            view! {
                <span class="self-center text-xs text-slate-600" data-testid="snoozed">{format!("Snoozed {when}")}</span>
                <button type="button" class=QUIET disabled=move || busy.get() on:click=move |_| snooze(String::new())>"Unsnooze"</button>
            }
            .into_any()
        }
        None => view! {
            <div class="relative">
                <button type="button" class=QUIET aria-haspopup="menu" aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)>"Snooze"</button>
                {move || open.get().then(|| view! {
                    <div role="menu" aria-label="Snooze until" class="absolute right-0 z-20 mt-1 w-56 rounded-md border border-slate-200 bg-white py-1 text-sm shadow-lg">
                        <button type="button" role="menuitem" class="block w-full px-3 py-1.5 text-left hover:bg-slate-100 focus:bg-slate-100 focus:outline-none"
                            on:click=move |_| snooze(later(1.0).to_string())>"For an hour"</button>
                        <button type="button" role="menuitem" class="block w-full px-3 py-1.5 text-left hover:bg-slate-100 focus:bg-slate-100 focus:outline-none"
                            on:click=move |_| snooze(later(4.0).to_string())>"For four hours"</button>
                        <button type="button" role="menuitem" class="block w-full px-3 py-1.5 text-left hover:bg-slate-100 focus:bg-slate-100 focus:outline-none"
                            on:click=move |_| snooze(later(24.0).to_string())>"Until tomorrow"</button>
                        <button type="button" role="menuitem" class="block w-full px-3 py-1.5 text-left hover:bg-slate-100 focus:bg-slate-100 focus:outline-none"
                            on:click=move |_| snooze("reply".to_string())>"Until the customer writes"</button>
                    </div>
                })}
            </div>
        }
        .into_any(),
    }
}
