//! The operator inbox: the conversations the member may see, updating live over the operator
//! socket, and the open conversation with its full history, the composer, and the controls to
//! take over, hand back to the assistant and resolve.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{
    get_conversation, get_transfer_options, list_conversations, resolve_conversation, restore_to_ai, take_over,
    transfer_conversation,
};
use crate::events::{MessageBody, MessageView, OperatorCommand, OperatorEvent, SenderKind};
use crate::link::OperatorLink;
use crate::model::{format_clock, format_utc, ConversationSummary};
use crate::socket::{js_now, new_key};
use crate::{Me, Scope};

/// The inbox's live state, shared by the list and the open conversation.
#[derive(Clone, Copy)]
struct Inbox {
    conversations: RwSignal<Vec<ConversationSummary>>,
    loaded: RwSignal<bool>,
    connected: RwSignal<bool>,
    open: RwSignal<Option<i64>>,
    thread: RwSignal<Vec<MessageView>>,
    thread_loaded: RwSignal<bool>,
    typing: RwSignal<Option<String>>,
    pending: RwSignal<Vec<(String, String)>>,
    problem: RwSignal<Option<String>>,
    link: OperatorLink,
}

impl Inbox {
    fn new(link: OperatorLink) -> Self {
        Inbox {
            conversations: RwSignal::new(Vec::new()),
            loaded: RwSignal::new(false),
            connected: link.connected,
            open: RwSignal::new(None),
            thread: RwSignal::new(Vec::new()),
            thread_loaded: RwSignal::new(false),
            typing: RwSignal::new(None),
            pending: RwSignal::new(Vec::new()),
            problem: RwSignal::new(None),
            link,
        }
    }

    fn send(&self, command: &OperatorCommand) -> bool {
        self.link.send(command)
    }

    fn upsert(&self, c: ConversationSummary) {
        self.conversations.update(|list| {
            list.retain(|x| x.id != c.id);
            list.push(c);
            list.sort_by(|a, b| b.last_activity_at.cmp(&a.last_activity_at).then(b.id.cmp(&a.id)));
        });
    }

    fn summary(&self, id: i64) -> Option<ConversationSummary> {
        self.conversations.with(|l| l.iter().find(|c| c.id == id).cloned())
    }

    fn reload_list(self) {
        leptos::task::spawn_local(async move {
            match crate::api::inbox_page(Default::default()).await {
                Ok(page) => {
                    self.conversations.set(page.conversations);
                    self.problem.set(None);
                }
                Err(e) => self.problem.set(Some(e.to_string())),
            }
            self.loaded.set(true);
        });
    }

    fn watch_open(&self) {
        if let Some(id) = self.open.get_untracked() {
            let last_seq = self.thread.with_untracked(|t| t.last().map(|m| m.seq).unwrap_or(0));
            self.send(&OperatorCommand::Watch {
                conversation_id: id,
                last_seq,
            });
        }
    }

    fn handle(&self, event: &OperatorEvent) {
        match event.clone() {
            OperatorEvent::Conversation { conversation } => self.upsert(conversation),
            OperatorEvent::Message { message } => {
                if self.open.get_untracked() != Some(message.conversation_id) {
                    return;
                }
                if message.sender_kind != SenderKind::Operator {
                    self.typing.set(None);
                }
                if let Some(key) = &message.idempotency_key {
                    self.pending.update(|p| p.retain(|(k, _)| k != key));
                }
                self.thread.update(|t| {
                    if !t.iter().any(|m| m.seq == message.seq) {
                        t.push(message);
                        t.sort_by_key(|m| m.seq);
                    }
                });
            }
            OperatorEvent::Typing {
                conversation_id,
                name,
                composing,
                ..
            } => {
                if self.open.get_untracked() == Some(conversation_id) {
                    self.typing.set(composing.then_some(name));
                }
            }
            OperatorEvent::Ack { idempotency_key, .. } => {
                self.pending.update(|p| p.retain(|(k, _)| *k != idempotency_key))
            }
            OperatorEvent::Error {
                message,
                idempotency_key: Some(key),
            } => {
                self.pending.update(|p| p.retain(|(k, _)| *k != key));
                self.problem.set(Some(message));
            }
            // Refusals of presence and offer commands are shown by the status control.
            OperatorEvent::Error {
                idempotency_key: None, ..
            } => {}
            // Presence, offers and the live board belong to the frame and the live view.
            OperatorEvent::Presence { .. }
            | OperatorEvent::Offer { .. }
            | OperatorEvent::OfferClosed { .. }
            | OperatorEvent::Board { .. }
            | OperatorEvent::Viewers { .. }
            | OperatorEvent::Read { .. }
            | OperatorEvent::Pong => {}
        }
    }
}

const STATUSES: [(&str, &str); 5] = [
    ("", "All"),
    ("waiting", "Waiting"),
    ("active", "Active"),
    ("open", "Open"),
    ("resolved", "Resolved"),
];

#[component]
pub fn InboxPage() -> impl IntoView {
    let link = expect_context::<OperatorLink>();
    let inbox = Inbox::new(link);
    provide_context(inbox);
    let query = use_query_map();
    let status = move || query.with(|q| q.get("status")).unwrap_or_default();

    Effect::new(move |_| inbox.reload_list());
    link.listen(move |event| inbox.handle(event));
    link.on_connect(move || {
        inbox.watch_open();
        inbox.reload_list();
    });

    let visible = move || {
        let s = status();
        inbox.conversations.with(|l| {
            l.iter()
                .filter(|c| s.is_empty() || c.status == s)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let count = move |s: &str| {
        inbox
            .conversations
            .with(|l| l.iter().filter(|c| s.is_empty() || c.status == s).count())
    };

    view! {
        <Title text="Inbox"/>
        <div class="flex h-full min-h-0">
            <section class="flex w-96 shrink-0 flex-col border-r border-slate-200 bg-white" aria-labelledby="inbox-heading">
                <div class="flex items-center justify-between px-4 pt-4">
                    <h1 id="inbox-heading" class="text-lg font-semibold">"Inbox"</h1>
                    <span class="flex items-center gap-1 text-xs text-slate-500" role="status" data-testid="inbox-connection">
                        <span class=move || if inbox.connected.get() { "h-2 w-2 rounded-full bg-emerald-500" } else { "h-2 w-2 rounded-full bg-slate-300" } aria-hidden="true"></span>
                        {move || if inbox.connected.get() { "Live" } else { "Connecting…" }}
                    </span>
                </div>
                <nav aria-label="Filter by status" class="flex flex-wrap gap-1 px-3 py-3">
                    {STATUSES.into_iter().map(|(value, label)| {
                        let href = if value.is_empty() { "/inbox".to_string() } else { format!("/inbox?status={value}") };
                        view! {
                            <a href=href
                                aria-current=move || (status() == value).then_some("page")
                                class=move || if status() == value { "rounded-full bg-slate-900 px-3 py-1 text-xs font-medium text-white" } else { "rounded-full bg-slate-100 px-3 py-1 text-xs font-medium text-slate-700 hover:bg-slate-200" }>
                                {label} " " <span class="opacity-70">{move || count(value)}</span>
                            </a>
                        }
                    }).collect_view()}
                </nav>
                <div class="min-h-0 flex-1 overflow-y-auto">
                    {move || {
                        if !inbox.loaded.get() {
                            return view! { <p class="p-4 text-sm text-slate-500" role="status">"Loading conversations…"</p> }.into_any();
                        }
                        let list = visible();
                        if list.is_empty() {
                            return view! {
                                <div class="p-6 text-center text-sm text-slate-500" data-testid="empty-state">
                                    <p class="font-medium text-slate-700">"No conversations yet"</p>
                                    <p class="mt-1">"Conversations that need a person, or that you monitor, appear here as they happen."</p>
                                </div>
                            }.into_any();
                        }
                        view! {
                            <ul role="list" aria-label="Conversations" class="divide-y divide-slate-100">
                                {list.into_iter().map(|c| view! { <ConversationRow c=c status=status()/> }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </div>
            </section>
            <div class="flex min-w-0 flex-1 flex-col">
                <Outlet/>
            </div>
        </div>
    }
}

fn status_badge(status: &str) -> &'static str {
    match status {
        "waiting" => "bg-amber-100 text-amber-900",
        "active" => "bg-emerald-100 text-emerald-900",
        "resolved" => "bg-slate-200 text-slate-700",
        _ => "bg-sky-100 text-sky-900",
    }
}

#[component]
fn ConversationRow(c: ConversationSummary, status: String) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let id = c.id;
    let href = if status.is_empty() {
        format!("/inbox/{id}")
    } else {
        format!("/inbox/{id}?status={status}")
    };
    let selected = move || inbox.open.get() == Some(id);
    let handler = if c.handler == "ai" {
        "AI".to_string()
    } else {
        c.assignee.clone().unwrap_or_else(|| "Unassigned".into())
    };
    view! {
        <li>
            <a href=href
                aria-current=move || selected().then_some("true")
                data-testid="conversation-row"
                class=move || format!("block px-4 py-3 focus:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-sky-500 {}", if selected() { "bg-sky-50" } else { "hover:bg-slate-50" })>
                <div class="flex items-center gap-2">
                    <span class="rounded px-1.5 py-0.5 text-[10px] font-semibold uppercase text-white" style=format!("background:{}", c.channel_colour) title=c.channel_name.clone() data-testid="channel-chip">{c.channel_kind.clone()}</span>
                    <span class="min-w-0 flex-1 truncate font-medium">{c.contact_name.clone()}</span>
                    <span class=format!("rounded-full px-2 py-0.5 text-[11px] font-medium {}", status_badge(&c.status)) data-testid="status">{c.status.clone()}</span>
                </div>
                <p class="mt-1 truncate text-sm text-slate-600">{c.last_message.clone().unwrap_or_default()}</p>
                <p class="mt-1 flex justify-between text-[11px] text-slate-500">
                    <span data-testid="handler">{handler}</span>
                    <span>{format_utc(c.last_activity_at)}</span>
                </p>
            </a>
        </li>
    }
}

#[component]
pub fn NoConversation() -> impl IntoView {
    view! {
        <div class="flex h-full items-center justify-center p-8 text-center text-sm text-slate-500">
            <p>"Select a conversation to read it and reply."</p>
        </div>
    }
}

#[component]
pub fn ConversationView() -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let me = use_context::<Me>();
    let can_write = me.as_ref().is_some_and(|m| m.can(Scope::OperatorWrite));
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).and_then(|s| s.parse::<i64>().ok());
    let draft = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let transfer_open = RwSignal::new(false);
    let last_typing = StoredValue::new(0f64);

    // Open the conversation named in the address: load its history, follow it live.
    Effect::new(move |previous: Option<Option<i64>>| {
        let current = id();
        if let Some(Some(old)) = previous {
            if Some(old) != current {
                inbox.send(&OperatorCommand::Unwatch { conversation_id: old });
            }
        }
        inbox.open.set(current);
        inbox.thread.set(Vec::new());
        inbox.thread_loaded.set(false);
        inbox.typing.set(None);
        inbox.problem.set(None);
        if let Some(cid) = current {
            leptos::task::spawn_local(async move {
                match get_conversation(cid).await {
                    Ok(detail) => {
                        if inbox.open.get_untracked() == Some(cid) {
                            inbox.upsert(detail.summary);
                            inbox.thread.set(detail.messages);
                            inbox.thread_loaded.set(true);
                            inbox.watch_open();
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
    on_cleanup(move || {
        if let Some(cid) = inbox.open.get_untracked() {
            inbox.send(&OperatorCommand::Unwatch { conversation_id: cid });
        }
        inbox.open.set(None);
    });

    let summary = move || id().and_then(|cid| inbox.summary(cid));

    let act = move |which: &'static str| {
        let Some(cid) = id() else { return };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = match which {
                "take_over" => take_over(cid).await,
                "restore" => restore_to_ai(cid).await,
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

    let submit = move || {
        let Some(cid) = id() else { return };
        match MessageBody::parse(&draft.get_untracked()) {
            Err(e) => inbox.problem.set(Some(e.to_string())),
            Ok(body) => {
                let key = new_key();
                let body = body.into_string();
                if inbox.send(&OperatorCommand::Send {
                    conversation_id: cid,
                    body: body.clone(),
                    idempotency_key: key.clone(),
                    internal: false,
                    attachments: vec![],
                }) {
                    inbox.pending.update(|p| p.push((key, body)));
                    inbox.send(&OperatorCommand::Typing {
                        conversation_id: cid,
                        composing: false,
                    });
                    draft.set(String::new());
                    inbox.problem.set(None);
                } else {
                    inbox.problem.set(Some(
                        "Not connected right now; your message is still in the box. Try again in a moment.".into(),
                    ));
                }
            }
        }
    };

    let on_input = move |value: String| {
        draft.set(value);
        let Some(cid) = id() else { return };
        let now = js_now();
        if now - last_typing.get_value() > 2000.0 {
            last_typing.set_value(now);
            inbox.send(&OperatorCommand::Typing {
                conversation_id: cid,
                composing: true,
            });
        }
    };

    let bottom = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        inbox.thread.track();
        inbox.typing.track();
        #[cfg(feature = "hydrate")]
        if let Some(el) = bottom.get() {
            el.scroll_into_view();
        }
    });

    view! {
        <header class="flex items-center gap-3 border-b border-slate-200 bg-white px-6 py-3">
            {move || summary().map(|s| {
                let handler_text = if s.handler == "ai" { "The assistant is handling this conversation".to_string() } else { format!("Handled by {}", s.assignee.clone().unwrap_or_else(|| "a person".into())) };
                view! {
                    <div class="min-w-0 flex-1">
                        <h2 class="truncate text-base font-semibold" data-testid="conversation-title">{s.contact_name.clone()}</h2>
                        <p class="truncate text-xs text-slate-500">
                            {format!("{} · ", s.channel_name)}
                            <span class=format!("rounded-full px-2 py-0.5 font-medium {}", status_badge(&s.status)) data-testid="conversation-status">{s.status.clone()}</span>
                            {format!(" · {handler_text}")}
                        </p>
                    </div>
                }
            })}
            {move || (can_write && summary().is_some()).then(|| {
                let s = summary().unwrap();
                view! {
                    <div class="flex shrink-0 gap-2">
                        {(s.handler == "ai").then(|| view! {
                            <button type="button" on:click=move |_| act("take_over") disabled=move || busy.get()
                                class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60">"Take over"</button>
                        })}
                        {(s.handler == "human").then(|| view! {
                            <button type="button" on:click=move |_| act("restore") disabled=move || busy.get()
                                class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60">"Restore to AI"</button>
                        })}
                        {(s.status != "resolved").then(|| view! {
                            <button type="button" on:click=move |_| transfer_open.update(|o| *o = !*o) aria-expanded=move || transfer_open.get().to_string()
                                class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Transfer"</button>
                            <button type="button" on:click=move |_| act("resolve") disabled=move || busy.get()
                                class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60">"Resolve"</button>
                        })}
                    </div>
                }
            })}
        </header>
        {move || (transfer_open.get() && id().is_some()).then(|| view! { <TransferPanel id=id().unwrap() open=transfer_open/> })}
        <div class="min-h-0 flex-1 space-y-3 overflow-y-auto bg-slate-50 px-6 py-4" role="log" aria-live="polite" aria-label="Conversation history" data-testid="thread">
            {move || (!inbox.thread_loaded.get()).then(|| view! { <p class="text-sm text-slate-500" role="status">"Loading the conversation…"</p> })}
            <For each=move || inbox.thread.get() key=|m| m.seq let:m>
                <OperatorBubble message=m/>
            </For>
            <For each=move || inbox.pending.get() key=|p| p.0.clone() let:p>
                <div class="flex flex-col items-end"><p class="max-w-[70%] whitespace-pre-wrap rounded-2xl bg-slate-300 px-3 py-2 text-sm">{p.1.clone()}</p><p class="text-[11px] text-slate-500">"Sending…"</p></div>
            </For>
            {move || inbox.typing.get().map(|name| view! { <p class="text-xs italic text-slate-500" data-testid="typing">{format!("{name} is typing…")}</p> })}
            <div node_ref=bottom></div>
        </div>
        {move || inbox.problem.get().map(|p| view! { <p class="border-t border-red-200 bg-red-50 px-6 py-2 text-sm text-red-800" role="alert" data-testid="inbox-problem">{p}</p> })}
        {can_write.then(|| view! {
            <form class="flex items-end gap-2 border-t border-slate-200 bg-white p-4" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label for="composer" class="sr-only">"Reply"</label>
                <textarea id="composer" rows="2" maxlength="4000" placeholder="Reply to the customer… (Enter sends, Shift+Enter for a new line)"
                    class="max-h-40 min-h-[3rem] flex-1 resize-none rounded-lg border border-slate-300 px-3 py-2 text-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"
                    prop:value=move || draft.get()
                    on:input=move |ev| on_input(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                <button type="submit" class="rounded-lg bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2">"Send"</button>
            </form>
        })}
    }
}

/// Moves the conversation to another operator or group, with a note for the team.
#[component]
fn TransferPanel(id: i64, open: RwSignal<bool>) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let options = Resource::new(move || id, get_transfer_options);
    let target = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let submit = move || {
        let to = target.get_untracked();
        if to.is_empty() {
            inbox
                .problem
                .set(Some("Choose an operator or a group to transfer to.".into()));
            return;
        }
        let text = note.get_untracked();
        leptos::task::spawn_local(async move {
            match transfer_conversation(id, to, text).await {
                Ok(()) => {
                    inbox.problem.set(None);
                    open.set(false);
                }
                Err(e) => inbox.problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <form class="flex flex-wrap items-end gap-3 border-b border-slate-200 bg-sky-50 px-6 py-3" aria-label="Transfer the conversation"
            on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500" role="status">"Loading who can take it…"</p> }>
                {move || Suspend::new(async move {
                    match options.await {
                        Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(o) => view! {
                            <div>
                                <label for="transfer-to" class="block text-xs font-medium text-slate-700">"Transfer to"</label>
                                <select id="transfer-to" class="mt-1 rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                                    on:change=move |ev| target.set(event_target_value(&ev))>
                                    <option value="">"Choose…"</option>
                                    <optgroup label="Operators">
                                        {o.operators.into_iter().map(|op| view! {
                                            <option value=format!("member:{}", op.member_id) disabled=!op.available>
                                                {if op.available { op.name.clone() } else { format!("{} (not available)", op.name) }}
                                            </option>
                                        }).collect_view()}
                                    </optgroup>
                                    <optgroup label="Operator groups">
                                        {o.groups.into_iter().map(|g| view! { <option value=format!("group:{}", g.id)>{g.name.clone()}</option> }).collect_view()}
                                    </optgroup>
                                </select>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <div class="min-w-[16rem] flex-1">
                <label for="transfer-note" class="block text-xs font-medium text-slate-700">"Note for the team (optional)"</label>
                <input id="transfer-note" type="text" maxlength="1000" class="mt-1 w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                    prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/>
            </div>
            <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Transfer"</button>
            <button type="button" class="rounded-md px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-100" on:click=move |_| open.set(false)>"Cancel"</button>
        </form>
    }
}

#[component]
fn OperatorBubble(message: MessageView) -> impl IntoView {
    let time = format_clock(message.created_at);
    if message.internal {
        return view! {
            <div class="mx-auto max-w-[80%] rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-xs text-amber-900" data-testid="message" data-sender="internal">
                <p>{message.body}</p>
                <p class="mt-1 text-[10px] uppercase tracking-wide text-amber-700">{format!("Only your team sees this · {time}")}</p>
            </div>
        }
        .into_any();
    }
    match message.sender_kind {
        SenderKind::System => view! {
            <p class="mx-auto max-w-[80%] text-center text-xs text-slate-600" data-testid="message" data-sender="system">{format!("{} · {time}", message.body)}</p>
        }
        .into_any(),
        SenderKind::Operator => view! {
            <div class="flex flex-col items-end" data-testid="message" data-sender="operator">
                <p class="mb-1 text-[11px] font-medium text-slate-600">{message.sender_name}</p>
                <p class="max-w-[70%] whitespace-pre-wrap rounded-2xl rounded-br-sm bg-slate-900 px-3 py-2 text-sm text-white">{message.body}</p>
                <p class="mt-1 text-[11px] text-slate-500">{time}</p>
            </div>
        }
        .into_any(),
        kind => {
            let ai = kind == SenderKind::Ai;
            let label = if ai { format!("{} · AI", message.sender_name) } else { message.sender_name.clone() };
            view! {
                <div class="flex flex-col items-start" data-testid="message" data-sender=if ai { "ai" } else { "contact" }>
                    <p class="mb-1 text-[11px] font-medium text-slate-600">{label}</p>
                    <p class=if ai { "max-w-[70%] whitespace-pre-wrap rounded-2xl rounded-bl-sm border border-sky-200 bg-sky-50 px-3 py-2 text-sm" } else { "max-w-[70%] whitespace-pre-wrap rounded-2xl rounded-bl-sm bg-white px-3 py-2 text-sm shadow-sm" }>{message.body}</p>
                    <p class="mt-1 text-[11px] text-slate-500">{time}</p>
                </div>
            }
            .into_any()
        }
    }
}
