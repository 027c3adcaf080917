//! The operator inbox: the conversations the member may see — filtered by view, status,
//! channel and workflow, searched, paged — with unread counts that follow the operator socket,
//! keyboard shortcuts, and the open conversation beside it (`conversation.rs`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use crate::conversation::get_conversation_summary;
use crate::conversation::Viewer;
use crate::events::{MessageView, OperatorCommand, OperatorEvent, SenderKind};
use crate::inbox::inbox_page;
use crate::inbox::{ConversationSummary, InboxQuery, StatusCounts};
use crate::lifecycle::{Handler, Status};
use crate::link::OperatorLink;
use crate::socket::js_now;
use crate::time::format_utc;
use crate::workflows::list_workflows;
use crate::Me;

/// A message this member sent that the server has not confirmed yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub key: String,
    pub body: String,
    pub internal: bool,
}

/// The inbox's live state, shared by the list and the open conversation.
#[derive(Clone, Copy)]
pub struct Inbox {
    pub conversations: RwSignal<Vec<ConversationSummary>>,
    pub counts: RwSignal<StatusCounts>,
    pub next: RwSignal<Option<String>>,
    pub loaded: RwSignal<bool>,
    pub loading_more: RwSignal<bool>,
    pub connected: RwSignal<bool>,
    pub open: RwSignal<Option<i64>>,
    pub thread: RwSignal<Vec<MessageView>>,
    pub thread_loaded: RwSignal<bool>,
    /// Older messages exist before the first one shown.
    pub has_earlier: RwSignal<bool>,
    pub typing: RwSignal<Option<String>>,
    /// Others on the team who have the open conversation open too.
    pub viewers: RwSignal<Vec<Viewer>>,
    pub pending: RwSignal<Vec<Pending>>,
    pub problem: RwSignal<Option<String>>,
    pub query: Memo<InboxQuery>,
    pub help_open: RwSignal<bool>,
    /// The composer writes a note for the team rather than a reply.
    pub compose_note: RwSignal<bool>,
    pub me: StoredValue<i64>,
    pub link: OperatorLink,
    /// Counts the live changes applied to the list, so that a reload which was in flight while
    /// one arrived is not allowed to put the older state back.
    live_changes: StoredValue<u64>,
}

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

const VIEWS: [(&str, &str); 3] = [("mine", "Mine"), ("unassigned", "Unassigned"), ("", "All")];

/// The inbox address for a query (and an open conversation).
pub fn inbox_href(q: &InboxQuery, id: Option<i64>) -> String {
    let mut params = Vec::new();
    for (k, v) in [
        ("view", &q.view),
        ("status", &q.status),
        ("channel", &q.channel),
        ("workflow", &q.workflow),
        ("q", &q.q),
    ] {
        if !v.is_empty() {
            params.push(format!("{k}={}", encode(v)));
        }
    }
    let path = match id {
        Some(id) => format!("/inbox/{id}"),
        None => "/inbox".to_string(),
    };
    if params.is_empty() {
        path
    } else {
        format!("{path}?{}", params.join("&"))
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

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

impl Inbox {
    fn new(link: OperatorLink, query: Memo<InboxQuery>, me: i64) -> Self {
        Inbox {
            conversations: RwSignal::new(Vec::new()),
            counts: RwSignal::new(StatusCounts::default()),
            next: RwSignal::new(None),
            loaded: RwSignal::new(false),
            loading_more: RwSignal::new(false),
            connected: link.connected,
            open: RwSignal::new(None),
            thread: RwSignal::new(Vec::new()),
            thread_loaded: RwSignal::new(false),
            has_earlier: RwSignal::new(false),
            typing: RwSignal::new(None),
            viewers: RwSignal::new(Vec::new()),
            pending: RwSignal::new(Vec::new()),
            problem: RwSignal::new(None),
            query,
            help_open: RwSignal::new(false),
            compose_note: RwSignal::new(false),
            me: StoredValue::new(me),
            link,
            live_changes: StoredValue::new(0),
        }
    }

    pub fn send(&self, command: &OperatorCommand) -> bool {
        self.link.send(command)
    }

    /// Puts a conversation in the list (or replaces it), newest activity first.
    pub fn upsert(&self, c: ConversationSummary) {
        self.conversations.update(|list| {
            list.retain(|x| x.id != c.id);
            list.push(c);
            list.sort_by(|a, b| b.last_activity_at.cmp(&a.last_activity_at).then(b.id.cmp(&a.id)));
        });
    }

    pub fn summary(&self, id: i64) -> Option<ConversationSummary> {
        self.conversations.with(|l| l.iter().find(|c| c.id == id).cloned())
    }

    /// Reloads the first page for the current filters. A page fetched while live changes
    /// arrived may predate them, so it is fetched again (a few times at most) rather than shown.
    pub fn reload_list(self) {
        self.reload_list_within(3);
    }

    fn reload_list_within(self, attempts: u8) {
        let query = self.query.get_untracked();
        let changes = self.live_changes.get_value();
        leptos::task::spawn_local(async move {
            match inbox_page(query.clone()).await {
                // A newer query may have replaced this one meanwhile.
                Ok(_) if self.query.get_untracked() != query => return,
                Ok(_) if self.live_changes.get_value() != changes && attempts > 1 => {
                    return self.reload_list_within(attempts - 1);
                }
                Ok(page) => {
                    self.conversations.set(page.conversations);
                    self.counts.set(page.counts);
                    self.next.set(page.next);
                    self.link.mine_unread.set(page.mine_unread);
                    self.problem.set(None);
                }
                Err(e) => self.problem.set(Some(e.to_string())),
            }
            self.loaded.set(true);
        });
    }

    fn load_more(self) {
        let Some(before) = self.next.get_untracked() else {
            return;
        };
        let query = InboxQuery {
            before,
            ..self.query.get_untracked()
        };
        self.loading_more.set(true);
        leptos::task::spawn_local(async move {
            match inbox_page(query).await {
                Ok(page) => {
                    self.conversations.update(|l| {
                        for c in page.conversations {
                            if !l.iter().any(|x| x.id == c.id) {
                                l.push(c);
                            }
                        }
                    });
                    self.next.set(page.next);
                }
                Err(e) => self.problem.set(Some(e.to_string())),
            }
            self.loading_more.set(false);
        });
    }

    /// Whether a conversation belongs in the list under the current filters (search aside,
    /// which only the server can answer).
    fn fits(&self, c: &ConversationSummary) -> bool {
        let q = self.query.get_untracked();
        let me = self.me.get_value();
        (q.view.is_empty()
            || (q.view == "mine" && c.assignee_id == Some(me))
            || (q.view == "unassigned" && c.assignee_id.is_none()))
            && (q.status.is_empty() || q.status == c.status.as_str())
            && (q.channel.is_empty() || q.channel == c.channel_kind.as_str())
            && (q.workflow.is_empty() || q.workflow == c.workflow_id.to_string())
    }

    fn reading(&self, id: i64) -> bool {
        self.open.get_untracked() == Some(id) && !crate::browser::tab_hidden()
    }

    /// Tells the server (and this member's other tabs) that the open conversation is read.
    pub fn mark_read(&self, id: i64, seq: i64) {
        if seq > 0 {
            self.send(&OperatorCommand::Read {
                conversation_id: id,
                seq,
            });
        }
        self.conversations.update(|l| {
            if let Some(c) = l.iter_mut().find(|c| c.id == id) {
                c.unread = 0;
            }
        });
    }

    fn refetch(self, id: i64) {
        leptos::task::spawn_local(async move {
            if let Ok(s) = get_conversation_summary(id).await {
                if self.fits(&s) {
                    self.upsert(s);
                }
            }
        });
    }

    /// A conversation changed: keep the list, the counts and the unread numbers right.
    fn changed(&self, mut c: ConversationSummary) {
        let me = self.me.get_value();
        let existing = self.summary(c.id);
        let fits = self.fits(&c);
        self.counts.update(|counts| {
            let bump = |counts: &mut StatusCounts, status: Status, by: i32| {
                let slot = match status {
                    Status::Open => &mut counts.open,
                    Status::Waiting => &mut counts.waiting,
                    Status::Active => &mut counts.active,
                    Status::Resolved => &mut counts.resolved,
                };
                *slot = (*slot as i32 + by).max(0) as u32;
            };
            match &existing {
                Some(old) if old.status != c.status => {
                    bump(counts, old.status, -1);
                    bump(counts, c.status, 1);
                }
                None if fits && self.query.get_untracked().q.is_empty() => bump(counts, c.status, 1),
                _ => {}
            }
        });
        if !fits {
            self.conversations.update(|l| l.retain(|x| x.id != c.id));
            return;
        }
        match existing {
            Some(old) => {
                c.unread = if c.last_seq <= old.last_seq {
                    old.unread
                } else if self.reading(c.id) {
                    0
                } else if c.last_seq == old.last_seq + 1 {
                    old.unread
                        + u32::from(ConversationSummary::counts_as_unread(
                            c.last_sender_kind,
                            c.last_sender_id,
                            me,
                        ))
                } else {
                    // Several messages at once: ask the server for the exact number.
                    self.refetch(c.id);
                    old.unread
                };
                self.upsert(c);
            }
            None if self.query.get_untracked().q.is_empty() => {
                let id = c.id;
                self.upsert(c);
                self.refetch(id);
            }
            None => {}
        }
    }

    fn handle(&self, event: &OperatorEvent) {
        if matches!(event, OperatorEvent::Conversation { .. } | OperatorEvent::Read { .. }) {
            self.live_changes.update_value(|n| *n += 1);
        }
        match event.clone() {
            OperatorEvent::Conversation { conversation } => self.changed(conversation),
            OperatorEvent::Message { message } => {
                if self.open.get_untracked() != Some(message.conversation_id) {
                    return;
                }
                if message.sender_kind != SenderKind::Operator || message.internal {
                    self.typing.set(None);
                }
                if let Some(key) = &message.idempotency_key {
                    self.pending.update(|p| p.retain(|x| &x.key != key));
                }
                let (id, seq) = (message.conversation_id, message.seq);
                self.thread.update(|t| {
                    if !t.iter().any(|m| m.seq == message.seq) {
                        t.push(message);
                        t.sort_by_key(|m| m.seq);
                    }
                });
                if !crate::browser::tab_hidden() {
                    self.mark_read(id, seq);
                }
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
            OperatorEvent::Viewers {
                conversation_id,
                viewers,
            } => {
                if self.open.get_untracked() == Some(conversation_id) {
                    let me = self.me.get_value();
                    self.viewers
                        .set(viewers.into_iter().filter(|v| v.member_id != me).collect());
                }
            }
            OperatorEvent::Read { conversation_id, seq } => {
                let stale = self.summary(conversation_id).is_some_and(|c| c.last_seq > seq);
                if stale {
                    self.refetch(conversation_id);
                } else {
                    self.conversations.update(|l| {
                        if let Some(c) = l.iter_mut().find(|c| c.id == conversation_id) {
                            c.unread = 0;
                        }
                    });
                }
            }
            OperatorEvent::Ack { idempotency_key, .. } => {
                self.pending.update(|p| p.retain(|x| x.key != idempotency_key))
            }
            OperatorEvent::Error {
                message,
                idempotency_key: Some(key),
            } => {
                self.pending.update(|p| p.retain(|x| x.key != key));
                self.problem.set(Some(message));
            }
            // Refusals of presence and offer commands are shown by the status control.
            OperatorEvent::Error {
                idempotency_key: None, ..
            } => {}
            OperatorEvent::Presence { .. }
            | OperatorEvent::Offer { .. }
            | OperatorEvent::OfferClosed { .. }
            | OperatorEvent::Board { .. }
            | OperatorEvent::Pong => {}
        }
    }

    /// The conversation `step` places after (1) or before (-1) the open one.
    fn neighbour(&self, step: i32) -> Option<i64> {
        self.conversations.with_untracked(|l| {
            let at = self
                .open
                .get_untracked()
                .and_then(|id| l.iter().position(|c| c.id == id));
            let target = match at {
                None if step > 0 => Some(0),
                None => None,
                Some(i) => {
                    let j = i as i32 + step;
                    (j >= 0).then_some(j as usize)
                }
            };
            target.and_then(|j| l.get(j)).map(|c| c.id)
        })
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
    link.on_connect(move || inbox.reload_list());

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

/// The shortcuts, in one place for the handler and the help sheet.
pub const SHORTCUTS: [(&str, &str); 8] = [
    ("j  or  Alt+↓", "Next conversation"),
    ("k  or  Alt+↑", "Previous conversation"),
    ("r", "Reply: focus the composer"),
    ("n", "Write a note for the team"),
    ("e", "Resolve the open conversation"),
    ("/", "Search conversations"),
    ("?", "Show these shortcuts"),
    ("Esc", "Close this sheet, or leave the composer"),
];

/// Keyboard shortcuts for the inbox; letters only act when no field has the focus.
fn shortcuts(inbox: Inbox) {
    let navigate = use_navigate();
    let location = use_location();
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        let typing = ev
            .target()
            .and_then(|t| {
                use leptos::wasm_bindgen::JsCast;
                t.dyn_into::<leptos::web_sys::Element>().ok()
            })
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.has_attribute("contenteditable")
            });
        let key = ev.key();
        if key == "Escape" {
            if inbox.help_open.get_untracked() {
                inbox.help_open.set(false);
            } else if typing {
                if let Some(el) = ev.target().and_then(|t| {
                    use leptos::wasm_bindgen::JsCast;
                    t.dyn_into::<leptos::web_sys::HtmlElement>().ok()
                }) {
                    let _ = el.blur();
                }
            }
            return;
        }
        if ev.ctrl_key() || ev.meta_key() {
            return;
        }
        let step = match key.as_str() {
            "ArrowDown" if ev.alt_key() => Some(1),
            "ArrowUp" if ev.alt_key() => Some(-1),
            "j" if !typing && !ev.alt_key() => Some(1),
            "k" if !typing && !ev.alt_key() => Some(-1),
            _ => None,
        };
        if let Some(step) = step {
            ev.prevent_default();
            if let Some(id) = inbox.neighbour(step) {
                navigate(&inbox_href(&inbox.query.get_untracked(), Some(id)), Default::default());
            }
            return;
        }
        if typing || ev.alt_key() {
            return;
        }
        match key.as_str() {
            "?" => {
                ev.prevent_default();
                inbox.help_open.set(true);
            }
            "/" => {
                ev.prevent_default();
                crate::browser::focus("inbox-search");
            }
            "r" | "n" if location.pathname.get_untracked().starts_with("/inbox/") => {
                ev.prevent_default();
                inbox.compose_note.set(key == "n");
                crate::browser::focus("composer");
            }
            "e" => {
                if let Some(id) = inbox.open.get_untracked() {
                    ev.prevent_default();
                    leptos::task::spawn_local(async move {
                        match crate::conversation::resolve_conversation(id).await {
                            Ok(s) => inbox.upsert(s),
                            Err(e) => inbox.problem.set(Some(e.to_string())),
                        }
                    });
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
}

#[component]
fn ShortcutHelp() -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    view! {
        {move || inbox.help_open.get().then(|| view! {
            <div class="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4" on:click=move |_| inbox.help_open.set(false)>
                <div role="dialog" aria-modal="true" aria-labelledby="shortcuts-heading" data-testid="shortcut-help"
                    class="w-full max-w-md rounded-lg bg-white p-6 shadow-xl" on:click=|ev| ev.stop_propagation()>
                    <div class="flex items-center justify-between">
                        <h2 id="shortcuts-heading" class="text-base font-semibold">"Keyboard shortcuts"</h2>
                        <button type="button" autofocus class="rounded px-2 py-1 text-sm text-slate-600 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                            on:click=move |_| inbox.help_open.set(false)>"Close"</button>
                    </div>
                    <dl class="mt-4 divide-y divide-slate-100 text-sm">
                        {SHORTCUTS.into_iter().map(|(keys, what)| view! {
                            <div class="flex justify-between gap-4 py-2">
                                <dt><kbd class="rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 font-mono text-xs">{keys}</kbd></dt>
                                <dd class="text-slate-700">{what}</dd>
                            </div>
                        }).collect_view()}
                    </dl>
                    <p class="mt-4 text-xs text-slate-500">"In the composer: Enter sends, Shift+Enter starts a new line, / searches canned responses."</p>
                </div>
            </div>
        })}
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
