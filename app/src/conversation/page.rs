//! The open conversation: its history (in pages, newest first), who else is viewing, the
//! controls to take over, hand back, transfer and resolve, the composer (replies and notes,
//! formatting, files, canned responses with macros), and the information panel beside it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::canned::list_canned;
use crate::canned::CannedResponse;
use crate::contacts::panel::InfoPanel;
use crate::contacts::ContactDetail;
use crate::conversation::AttachmentView;
use crate::conversation::{
    get_conversation, get_history, get_transfer_options, resolve_conversation, restore_to_ai, take_over,
    transfer_conversation,
};
use crate::events::{MessageBody, MessageView, OperatorCommand, SenderKind};
use crate::format;
use crate::inbox::page::{status_badge, Inbox, Pending};
use crate::lifecycle::{Handler, Status};
use crate::macros::{self, MacroValues};
use crate::socket::{js_now, new_key};
use crate::time::format_clock;
use crate::{Me, Scope};

const BUTTON: &str = "rounded-md bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60";
const QUIET: &str = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60";

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
                            inbox.upsert(summary);
                            inbox.thread.set(detail.messages);
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

    let summary = move || id.get().and_then(|cid| inbox.summary(cid));

    let act = move |which: &'static str| {
        let Some(cid) = id.get_untracked() else { return };
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

    // Keep the newest message in view as the thread grows (not when older pages load).
    let bottom = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |last: Option<i64>| {
        let newest = inbox.thread.with(|t| t.last().map(|m| m.seq).unwrap_or(0));
        inbox.typing.track();
        inbox.pending.track();
        #[cfg(feature = "hydrate")]
        if let Some(el) = bottom.get() {
            if last != Some(newest) || newest == 0 {
                el.scroll_into_view();
            }
        }
        let _ = last;
        newest
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
                                <p class="truncate text-xs text-slate-500">
                                    {format!("{} · ", s.channel_name)}
                                    <span class=format!("rounded-full px-2 py-0.5 font-medium {}", status_badge(s.status)) data-testid="conversation-status">{s.status.as_str()}</span>
                                    {format!(" · {handler_text}")}
                                </p>
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
                                    <button type="button" on:click=move |_| act("restore") disabled=move || busy.get() class=QUIET>"Restore to AI"</button>
                                })}
                                {(s.status != Status::Resolved).then(|| view! {
                                    <button type="button" on:click=move |_| transfer_open.update(|o| *o = !*o) aria-expanded=move || transfer_open.get().to_string() class=QUIET>"Transfer"</button>
                                    <button type="button" on:click=move |_| act("resolve") disabled=move || busy.get() class=QUIET title="Resolve (e)">"Resolve"</button>
                                })}
                                {(s.status == Status::Resolved).then(|| view! {
                                    <button type="button" on:click=move |_| act("reopen") disabled=move || busy.get() class=QUIET>"Reopen"</button>
                                })}
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
                    <For each=move || inbox.thread.get() key=|m| m.seq let:m>
                        <Bubble message=m token=None/>
                    </For>
                    <For each=move || inbox.pending.get() key=|p| p.key.clone() let:p>
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

/// Files attached to a message: images as thumbnails, the rest as links. Visitors pass their
/// token so the server knows them.
#[component]
pub fn Attachments(files: Vec<AttachmentView>, token: Option<String>, #[prop(optional)] dark: bool) -> impl IntoView {
    let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
    view! {
        <div class="mt-1 flex flex-wrap gap-2" data-testid="attachments">
            {files.into_iter().map(|f| {
                let href = format!("{}{query}", f.path());
                if f.is_image() {
                    let src = href.clone();
                    view! {
                        <a href=href target="_blank" rel="noopener" class="block overflow-hidden rounded-md border border-slate-200 bg-white" title=f.file_name.clone()>
                            <img src=src alt=f.file_name.clone() class="h-28 max-w-[14rem] object-cover" loading="lazy"/>
                        </a>
                    }.into_any()
                } else {
                    view! {
                        <a href=href target="_blank" rel="noopener" data-testid="attachment-link"
                            class=if dark { "inline-flex items-center gap-1 rounded-md bg-slate-700 px-2 py-1 text-xs text-white underline" } else { "inline-flex items-center gap-1 rounded-md border border-slate-200 bg-white px-2 py-1 text-xs text-slate-800 underline" }>
                            {format!("📎 {} ({})", f.file_name, f.size_label())}
                        </a>
                    }.into_any()
                }
            }).collect_view()}
        </div>
    }
}

/// Files uploaded for the message being written, each removable, and how many are still
/// uploading. Shared by the composer and the widget.
#[component]
pub fn PendingFiles(
    files: RwSignal<Vec<AttachmentView>>,
    uploading: RwSignal<u32>,
    class: &'static str,
) -> impl IntoView {
    view! {
        {move || (!files.with(Vec::is_empty) || uploading.get() > 0).then(|| view! {
            <ul class=class aria-label="Files to send" data-testid="pending-files">
                {files.get().into_iter().map(|f| {
                    let id = f.id;
                    view! {
                        <li class="flex items-center gap-1 rounded-full bg-slate-100 px-2 py-0.5 text-xs">
                            {format!("{} ({})", f.file_name, f.size_label())}
                            <button type="button" class="text-slate-500 hover:text-slate-900" aria-label=format!("Remove {}", f.file_name)
                                on:click=move |_| files.update(|l| l.retain(|x| x.id != id))>"×"</button>
                        </li>
                    }
                }).collect_view()}
                {move || (uploading.get() > 0).then(|| view! { <li class="text-xs text-slate-500" role="status">"Uploading…"</li> })}
            </ul>
        })}
    }
}

/// One message of the thread as the team sees it.
#[component]
pub fn Bubble(message: MessageView, token: Option<String>) -> impl IntoView {
    let time = format_clock(message.created_at);
    let files = (!message.attachments.is_empty()).then(|| message.attachments.clone());
    let body = (!message.body.is_empty()).then(|| message.body.clone());
    if message.internal {
        let author = if message.sender_kind == SenderKind::Operator {
            format!("Note by {}", message.sender_name)
        } else {
            "Only your team sees this".to_string()
        };
        return view! {
            <div class="mx-auto max-w-[80%] rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-950" data-testid="message" data-sender="internal">
                <p class="mb-1 text-[10px] font-semibold uppercase tracking-wide text-amber-800">{format!("{author} · {time}")}</p>
                {body.map(|b| view! { <div class="space-y-1 break-words">{format::render(&b, "underline")}</div> })}
                {files.map(|f| view! { <Attachments files=f token=token.clone()/> })}
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
                {body.map(|b| view! { <div class="max-w-[70%] space-y-1 break-words rounded-2xl rounded-br-sm bg-slate-900 px-3 py-2 text-sm text-white" data-testid="message-body">{format::render(&b, "underline text-sky-200")}</div> })}
                {files.map(|f| view! { <Attachments files=f token=token.clone() dark=true/> })}
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
                    {body.map(|b| view! {
                        <div class=if ai { "max-w-[70%] space-y-1 break-words rounded-2xl rounded-bl-sm border border-sky-200 bg-sky-50 px-3 py-2 text-sm" } else { "max-w-[70%] space-y-1 break-words rounded-2xl rounded-bl-sm bg-white px-3 py-2 text-sm shadow-sm" } data-testid="message-body">
                            {format::render(&b, "text-sky-700 underline")}
                        </div>
                    })}
                    {files.map(|f| view! { <Attachments files=f token=token.clone()/> })}
                    <p class="mt-1 text-[11px] text-slate-500">{time}</p>
                </div>
            }
            .into_any()
        }
    }
}

/// Wraps the textarea's selection in markup (or inserts it), keeping the selection.
fn wrap_selection(
    area: &NodeRef<leptos::html::Textarea>,
    draft: RwSignal<String>,
    before: &str,
    after: &str,
    placeholder: &str,
) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = area.get() {
        let value = el.value();
        let chars: Vec<char> = value.chars().collect();
        // The DOM counts UTF-16 units; convert to char indices.
        let to_char = |units: u32| -> usize {
            let mut n = 0u32;
            let mut i = 0usize;
            while i < chars.len() && n < units {
                n += chars[i].len_utf16() as u32;
                i += 1;
            }
            i
        };
        let start = to_char(el.selection_start().ok().flatten().unwrap_or(0));
        let end = to_char(el.selection_end().ok().flatten().unwrap_or(0)).max(start);
        let selected: String = chars[start..end].iter().collect();
        let inner = if selected.is_empty() {
            placeholder.to_string()
        } else {
            selected
        };
        let head: String = chars[..start].iter().collect();
        let tail: String = chars[end..].iter().collect();
        let new_value = format!("{head}{before}{inner}{after}{tail}");
        draft.set(new_value.clone());
        el.set_value(&new_value);
        let units = |s: &str| s.encode_utf16().count() as u32;
        let sel_start = units(&head) + units(before);
        let _ = el.focus();
        let _ = el.set_selection_range(sel_start, sel_start + units(&inner));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (area, draft, before, after, placeholder);
}

/// The `/word` being typed at the end of the draft, for the canned-response search.
pub fn canned_query(draft: &str) -> Option<&str> {
    let word_start = draft.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
    let word = &draft[word_start..];
    let q = word.strip_prefix('/')?;
    (word_start == 0 || draft[..word_start].ends_with('\n') || draft[..word_start].ends_with(' ')).then_some(q)
}

#[component]
fn Composer() -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let open = expect_context::<Open>();
    let me_name = use_context::<Me>().map(|m| m.name).unwrap_or_default();
    let draft = RwSignal::new(String::new());
    let files = RwSignal::new(Vec::<AttachmentView>::new());
    let uploading = RwSignal::new(0u32);
    let last_typing = StoredValue::new(0f64);
    let area = NodeRef::<leptos::html::Textarea>::new();
    let file_input = NodeRef::<leptos::html::Input>::new();
    let canned = Resource::new(|| (), |_| list_canned());
    let highlighted = RwSignal::new(0usize);
    let popup_closed = RwSignal::new(false);
    let note = inbox.compose_note;

    // Each conversation starts with an empty composer.
    Effect::new(move |_| {
        open.id.track();
        draft.set(String::new());
        files.set(Vec::new());
    });

    let matches = move || -> Vec<CannedResponse> {
        let d = draft.get();
        let Some(q) = canned_query(&d) else { return vec![] };
        if popup_closed.get() {
            return vec![];
        }
        canned
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.matches(q))
            .take(8)
            .collect()
    };
    let pick = move |c: CannedResponse| {
        let d = draft.get_untracked();
        let start = d.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
        draft.set(format!("{}{}", &d[..start], c.body));
        highlighted.set(0);
        crate::browser::focus("composer");
    };
    let values = move || {
        open.contact.with(|c| MacroValues {
            contact_name: c.as_ref().map(|c| c.name.clone()),
            contact_email: c.as_ref().and_then(|c| c.email.clone()),
            contact_phone: c.as_ref().and_then(|c| c.phone.clone()),
            operator_name: Some(me_name.clone()),
        })
    };
    let unknown = move || draft.with(|d| macros::unknown_macros(d));

    let submit = move || {
        let Some(cid) = open.id.get_untracked() else { return };
        let unknown = macros::unknown_macros(&draft.get_untracked());
        if !unknown.is_empty() {
            inbox
                .problem
                .set(Some(format!("Not sent: {}.", macros::unknown_message(&unknown))));
            return;
        }
        if uploading.get_untracked() > 0 {
            inbox
                .problem
                .set(Some("Wait for the files to finish uploading.".into()));
            return;
        }
        let attachments: Vec<i64> = files.with_untracked(|f| f.iter().map(|a| a.id).collect());
        match MessageBody::parse_with_files(&draft.get_untracked(), attachments.len()) {
            Err(e) => inbox.problem.set(Some(e.to_string())),
            Ok(body) => {
                let key = new_key();
                let body = body.into_string();
                let internal = note.get_untracked();
                if inbox.send(&OperatorCommand::Send {
                    conversation_id: cid,
                    body: body.clone(),
                    idempotency_key: key.clone(),
                    internal,
                    attachments,
                }) {
                    inbox.pending.update(|p| p.push(Pending { key, body, internal }));
                    if !internal {
                        inbox.send(&OperatorCommand::Typing {
                            conversation_id: cid,
                            composing: false,
                        });
                        last_typing.set_value(0.0);
                    }
                    draft.set(String::new());
                    files.set(Vec::new());
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
        popup_closed.set(false);
        highlighted.set(0);
        let Some(cid) = open.id.get_untracked() else { return };
        if note.get_untracked() {
            return;
        }
        let now = js_now();
        if now - last_typing.get_value() > 2000.0 {
            last_typing.set_value(now);
            inbox.send(&OperatorCommand::Typing {
                conversation_id: cid,
                composing: true,
            });
        }
    };

    let on_files = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let Some(input) = file_input.get() else { return };
            let Some(cid) = open.id.get_untracked() else { return };
            for file in crate::browser::take_files(&input) {
                uploading.update(|n| *n += 1);
                leptos::task::spawn_local(async move {
                    match crate::browser::upload(&format!("/api/attachments?conversation_id={cid}"), file).await {
                        Ok(a) => {
                            files.update(|f| f.push(a));
                            inbox.problem.set(None);
                        }
                        Err(e) => inbox.problem.set(Some(e.to_string())),
                    }
                    uploading.update(|n| *n = n.saturating_sub(1));
                });
            }
        }
    };

    let tab = move |is_note: bool, label: &'static str| {
        view! {
            <button type="button" role="tab" aria-selected=move || (note.get() == is_note).to_string()
                class=move || if note.get() == is_note { if is_note { "rounded-t-md border-b-2 border-amber-500 px-3 py-1 text-sm font-semibold text-amber-900" } else { "rounded-t-md border-b-2 border-slate-900 px-3 py-1 text-sm font-semibold" } } else { "px-3 py-1 text-sm text-slate-500 hover:text-slate-800" }
                on:click=move |_| { note.set(is_note); crate::browser::focus("composer"); }>
                {label}
            </button>
        }
    };
    let tool = move |icon: &'static str,
                     title: &'static str,
                     before: &'static str,
                     after: &'static str,
                     placeholder: &'static str| {
        view! {
            <button type="button" title=title aria-label=title
                class="rounded p-1 text-slate-600 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                on:click=move |_| wrap_selection(&area, draft, before, after, placeholder)>
                <svg class="h-4 w-4" fill="none" stroke="currentColor" stroke-width="2" viewBox="0 0 24 24" aria-hidden="true"><path stroke-linecap="round" stroke-linejoin="round" d=icon/></svg>
            </button>
        }
    };

    view! {
        <form class=move || if note.get() { "border-t border-amber-200 bg-amber-50/60 px-4 pb-4 pt-2" } else { "border-t border-slate-200 bg-white px-4 pb-4 pt-2" }
            on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div class="flex items-center justify-between">
                <div role="tablist" aria-label="Write" class="flex gap-1">
                    {tab(false, "Reply")}
                    {tab(true, "Note")}
                </div>
                <div class="flex items-center gap-1" role="toolbar" aria-label="Formatting">
                    {tool("M7 5h6a3.5 3.5 0 010 7H7zm0 7h7a3.5 3.5 0 010 7H7z", "Bold", "**", "**", "bold text")}
                    {tool("M11 5h6M7 19h6M14 5l-4 14", "Italic", "_", "_", "italic text")}
                    {tool("M10 14a4 4 0 005.7 0l3-3a4 4 0 00-5.7-5.7l-1 1M14 10a4 4 0 00-5.7 0l-3 3a4 4 0 005.7 5.7l1-1", "Link", "[", "](https://)", "link text")}
                    {tool("M9 6h11M9 12h11M9 18h11M4.5 6h.01M4.5 12h.01M4.5 18h.01", "Bulleted list", "\n- ", "", "item")}
                    <label class="relative cursor-pointer rounded p-1 text-slate-600 hover:bg-slate-100 focus-within:ring-2 focus-within:ring-sky-500" title="Attach files">
                        <svg class="h-4 w-4" fill="none" stroke="currentColor" stroke-width="2" viewBox="0 0 24 24" aria-hidden="true"><path stroke-linecap="round" stroke-linejoin="round" d="M15.2 7.5l-6.4 6.4a2 2 0 102.8 2.8l6.4-6.4a4 4 0 10-5.6-5.6l-6.4 6.4a6 6 0 108.5 8.5l6-6"/></svg>
                        <input type="file" multiple class="sr-only" node_ref=file_input on:change=on_files aria-label="Attach files"
                            accept=".png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.csv,.zip,.doc,.docx,.xls,.xlsx"/>
                    </label>
                </div>
            </div>
            <PendingFiles files uploading class="mt-2 flex flex-wrap gap-2"/>
            <div class="relative mt-2 flex items-end gap-2">
                {move || {
                    let found = matches();
                    (!found.is_empty()).then(|| view! {
                        <ul role="listbox" id="canned-list" aria-label="Canned responses" data-testid="canned-popup"
                            class="absolute bottom-full left-0 z-20 mb-2 max-h-64 w-full max-w-lg overflow-y-auto rounded-md border border-slate-200 bg-white py-1 shadow-lg">
                            {found.into_iter().enumerate().map(|(i, c)| {
                                let chosen = c.clone();
                                view! {
                                    <li role="option" id=format!("canned-{i}") aria-selected=move || (highlighted.get() == i).to_string()
                                        class=move || if highlighted.get() == i { "cursor-pointer bg-sky-50 px-3 py-2 text-sm" } else { "cursor-pointer px-3 py-2 text-sm hover:bg-slate-50" }
                                        on:mousedown=move |ev| { ev.prevent_default(); pick(chosen.clone()); }>
                                        <span class="font-mono text-xs text-sky-700">{format!("/{}", c.shortcut)}</span>
                                        " " <span class="font-medium">{c.title.clone()}</span>
                                        <span class="block truncate text-xs text-slate-500">{c.body.clone()}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })
                }}
                <label for="composer" class="sr-only">{move || if note.get() { "Note for your team" } else { "Reply" }}</label>
                <textarea id="composer" node_ref=area rows="3" maxlength="4000"
                    placeholder=move || if note.get() { "A note only your team sees…" } else { "Reply to the customer… (Enter sends, Shift+Enter for a new line, / for canned responses)" }
                    aria-autocomplete="list" aria-controls="canned-list"
                    class="max-h-48 min-h-[4rem] flex-1 resize-none rounded-lg border border-slate-300 px-3 py-2 text-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"
                    prop:value=move || draft.get()
                    on:input=move |ev| on_input(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        let found = matches();
                        if !found.is_empty() {
                            match ev.key().as_str() {
                                "ArrowDown" => { ev.prevent_default(); highlighted.update(|h| *h = (*h + 1) % found.len()); return; }
                                "ArrowUp" => { ev.prevent_default(); highlighted.update(|h| *h = (*h + found.len() - 1) % found.len()); return; }
                                "Enter" | "Tab" => {
                                    ev.prevent_default();
                                    let i = highlighted.get_untracked().min(found.len() - 1);
                                    pick(found[i].clone());
                                    return;
                                }
                                "Escape" => { ev.prevent_default(); ev.stop_propagation(); popup_closed.set(true); return; }
                                _ => {}
                            }
                        }
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                <button type="submit" class=move || if note.get() { "rounded-lg bg-amber-600 px-4 py-2 text-sm font-semibold text-white hover:bg-amber-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-amber-500" } else { "rounded-lg bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2" }>
                    {move || if note.get() { "Save note" } else { "Send" }}
                </button>
            </div>
            {move || {
                let unknown = unknown();
                if !unknown.is_empty() {
                    return Some(view! { <p class="mt-1 text-xs text-red-700" role="alert" data-testid="macro-warning">{macros::unknown_message(&unknown)}</p> }.into_any());
                }
                let d = draft.get();
                macros::has_macros(&d).then(|| {
                    let preview = macros::expand(&d, &values()).unwrap_or_default();
                    view! { <p class="mt-1 truncate text-xs text-slate-500" data-testid="macro-preview">{format!("Sends as: {}", format::plain(&preview))}</p> }.into_any()
                })
            }}
        </form>
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
            <button type="submit" class=BUTTON>"Transfer"</button>
            <button type="button" class="rounded-md px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-100" on:click=move |_| open.set(false)>"Cancel"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::canned_query;

    #[test]
    fn a_slash_word_at_the_end_searches_canned_responses() {
        assert_eq!(canned_query("/ref"), Some("ref"));
        assert_eq!(canned_query("Hello /ref"), Some("ref"));
        assert_eq!(canned_query("Hello\n/"), Some(""));
        assert_eq!(canned_query("see a/b"), None);
        assert_eq!(canned_query("done /ref now"), None);
        assert_eq!(canned_query(""), None);
    }
}
