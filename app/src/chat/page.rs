//! The visitor's chat: the page the widget frames (and that works on its own). The visitor is
//! identified by a signed token kept in this browser, so a reload continues the conversation.
//! Messages travel over the visitor socket; a send that cannot go out now waits and is sent
//! again on reconnect with the same idempotency key, so it is stored once.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::chat::{Identity, WidgetChannel};
use crate::conversation::bubble::{Attachments, PendingFiles};
use crate::conversation::AttachmentView;
use crate::events::{MessageBody, MessageView, SenderKind, VisitorCommand, VisitorEvent, TOKEN_REFUSED};
use crate::format;
use crate::socket::{js_now, new_key, ws_url, BrowserCell, Socket};
use crate::time::format_clock;

#[component]
pub fn ChatPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let embedded = move || query.with(|q| q.get("embed")).is_some();
    let key = move || params.with(|p| p.get("key")).unwrap_or_default();
    let channel = Resource::new(key, widget_channel);
    view! {
        <Title text="Chat"/>
        <div class=move || if embedded() { "h-full bg-white" } else { "flex h-full items-center justify-center bg-slate-100 p-4" }>
            <Suspense fallback=|| view! { <p class="p-6 text-sm text-slate-500" role="status">"Opening the chat…"</p> }>
                {move || Suspend::new(async move {
                    match channel.await {
                        Ok(c) => view! { <ChatWindow channel=c embedded=embedded()/> }.into_any(),
                        Err(e) => view! {
                            <div role="alert" class="m-6 max-w-md rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800" data-testid="chat-unavailable">
                                <p class="font-semibold">"This chat is not available."</p>
                                <p class="mt-1">{e.to_string()}</p>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The web chat a key names, or why there is none in words. The server reads it as it renders
/// the page and the browser takes what it sent, so the widget carries no server-function
/// client; were the key to change in the browser, the page is loaded anew from the server.
async fn widget_channel(key: String) -> Result<WidgetChannel, String> {
    #[cfg(feature = "ssr")]
    {
        crate::chat::get_widget_channel(key).await.map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = key;
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
        Err("Opening the chat…".to_string())
    }
}

/// A message the visitor sent that the server has not confirmed yet.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    key: String,
    body: String,
    files: Vec<AttachmentView>,
    error: Option<String>,
}

#[component]
fn ChatWindow(channel: WidgetChannel, embedded: bool) -> impl IntoView {
    let messages = RwSignal::new(Vec::<MessageView>::new());
    let pending = RwSignal::new(Vec::<Pending>::new());
    let typing = RwSignal::new(None::<String>);
    let queue = RwSignal::new(None::<u32>);
    // The rating after the conversation is resolved: asked (`Some(None)`), given (`Some(Some)`).
    let rating = RwSignal::new(None::<Option<u8>>);
    let connected = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Why the site's identify call was refused (kept across reconnects, unlike `problem`).
    let identity_problem = RwSignal::new(None::<String>);
    let draft = RwSignal::new(String::new());
    let socket = BrowserCell::new(|| None::<Socket>);
    let last_typing = StoredValue::new(0f64);
    // The visitor's token: the socket resumes and files are uploaded with it.
    let token = RwSignal::new(None::<String>);
    let files = RwSignal::new(Vec::<AttachmentView>::new());
    let uploading = RwSignal::new(0u32);
    let file_input = NodeRef::<leptos::html::Input>::new();

    let send_command = move |command: &VisitorCommand| -> bool {
        let text = serde_json::to_string(command).unwrap_or_default();
        socket.with(|s| s.as_ref().is_some_and(|s| s.send(&text)))
    };

    // What the site said of its signed-in customer, until the server answers it (sent again
    // on reconnect if the answer was lost).
    let identity_wanted = RwSignal::new(None::<Identity>);
    let chat_key = StoredValue::new(channel.key.clone());
    // Chats on as another visitor (`Some`: a token `identify` gave; `None`: a new visitor, after
    // the site's sign-out or a token the server no longer takes): what was shown goes, and the
    // socket says who it is again.
    let become_visitor = move |next: Option<String>| {
        chat_key.with_value(|k| match &next {
            Some(t) => store_token(k, t),
            None => forget_token(k),
        });
        token.set(next);
        messages.set(Vec::new());
        pending.set(Vec::new());
        typing.set(None);
        queue.set(None);
        rating.set(None);
        socket.with(|s| {
            if let Some(s) = s {
                s.reconnect()
            }
        });
    };

    let on_event = move |text: String| {
        let Ok(event) = serde_json::from_str::<VisitorEvent>(&text) else {
            return;
        };
        match event {
            VisitorEvent::Message { message } => {
                if let Some(key) = &message.idempotency_key {
                    pending.update(|p| p.retain(|x| &x.key != key));
                }
                if message.sender_kind != SenderKind::Contact {
                    typing.set(None);
                }
                if message.sender_kind == SenderKind::Operator {
                    queue.set(None);
                }
                messages.update(|list| {
                    if list.last().is_none_or(|last| message.seq > last.seq) {
                        list.push(message);
                    } else if !list.iter().any(|m| m.seq == message.seq) {
                        list.push(message);
                        list.sort_by_key(|m| m.seq);
                    }
                });
            }
            VisitorEvent::Typing { name, composing } => typing.set(composing.then_some(name)),
            VisitorEvent::Ack { idempotency_key, .. } => {
                pending.update(|p| p.retain(|x| x.key != idempotency_key));
            }
            VisitorEvent::Error {
                message,
                idempotency_key: Some(key),
            } => {
                pending.update(|p| {
                    if let Some(x) = p.iter_mut().find(|x| x.key == key) {
                        x.error = Some(message);
                    }
                });
            }
            VisitorEvent::Error {
                message,
                idempotency_key: None,
            } => problem.set(Some(message)),
            VisitorEvent::Queue { position } => queue.set(Some(position)),
            VisitorEvent::RatingRequested => rating.set(Some(None)),
            VisitorEvent::Rated { rating: stars } => rating.set(Some(Some(stars))),
            VisitorEvent::Token { token: fresh } => {
                chat_key.with_value(|k| store_token(k, &fresh));
                token.set(Some(fresh));
            }
            VisitorEvent::Identified { token: theirs } => {
                identity_wanted.set(None);
                identity_problem.set(None);
                if token.get_untracked().as_ref() != Some(&theirs) {
                    become_visitor(Some(theirs));
                }
            }
            VisitorEvent::IdentityRefused { message } => {
                identity_wanted.set(None);
                identity_problem.set(Some(message));
            }
            VisitorEvent::Pong => {}
        }
    };

    // Says who the visitor is — their token (in this first frame, never in the URL) and what
    // they have, or a new visitor on this chat — then sends what waits.
    let hello = move || {
        match token.get_untracked() {
            Some(t) => {
                let last_seq = messages.with_untracked(|m| m.last().map(|m| m.seq).unwrap_or(0));
                send_command(&VisitorCommand::Resume { token: t, last_seq })
            }
            None => send_command(&VisitorCommand::Start {
                key: chat_key.get_value(),
            }),
        };
        for p in pending.get_untracked().into_iter().filter(|p| p.error.is_none()) {
            send_command(&VisitorCommand::Send {
                body: p.body,
                idempotency_key: p.key,
                attachments: p.files.iter().map(|f| f.id).collect(),
            });
        }
        if let Some(identity) = identity_wanted.get_untracked() {
            send_command(&VisitorCommand::Identify { identity });
        }
    };
    let on_open = move || {
        connected.set(true);
        problem.set(None);
        hello();
    };
    let on_down = move |_: u32, code: u16, reason: String| {
        connected.set(false);
        if code == TOKEN_REFUSED {
            // A token this server does not accept (expired, a new database, a new key): the
            // next connection starts over as a new visitor.
            if token.get_untracked().is_some() {
                become_visitor(None);
            }
        } else if token.get_untracked().is_none() && !reason.is_empty() {
            // A new visitor refused (too many chats from this network, the chat turned off):
            // the socket tries again by itself, with growing pauses.
            problem.set(Some(reason));
        }
    };
    Effect::new(move |_| {
        token.set(chat_key.with_value(|k| stored_token(k)));
        let s = Socket::open(ws_url("/ws/visitor"), on_open, on_event, on_down);
        socket.update(|slot| *slot = Some(s));
        crate::chat::site::ready();
    });
    // The site's signed-in customer, or its sign-out: the chat goes on as that customer (their
    // history, on any browser), or as a new visitor.
    crate::chat::site::listen(move |request| match request {
        crate::chat::site::SiteRequest::Identify(who) => {
            identity_wanted.set(Some(who.clone()));
            send_command(&VisitorCommand::Identify { identity: who });
        }
        crate::chat::site::SiteRequest::Reset => {
            identity_wanted.set(None);
            identity_problem.set(None);
            become_visitor(None);
        }
    });
    #[cfg(feature = "hydrate")]
    on_cleanup(move || {
        socket.with(|s| {
            if let Some(s) = s {
                s.close()
            }
        })
    });

    let submit = move || {
        let text = draft.get_untracked();
        if uploading.get_untracked() > 0 {
            problem.set(Some("Wait for your files to finish uploading.".into()));
            return;
        }
        let attached = files.get_untracked();
        match MessageBody::parse_with_files(&text, attached.len()) {
            Err(e) => problem.set(Some(e.to_string())),
            Ok(body) => {
                problem.set(None);
                // Writing again reopens the conversation: no rating until it is resolved again.
                rating.set(None);
                let key = new_key();
                let body = body.into_string();
                let ids = attached.iter().map(|f| f.id).collect();
                pending.update(|p| {
                    p.push(Pending {
                        key: key.clone(),
                        body: body.clone(),
                        files: attached,
                        error: None,
                    })
                });
                draft.set(String::new());
                files.set(Vec::new());
                send_command(&VisitorCommand::Typing { composing: false });
                // The next keystroke says "typing" again at once.
                last_typing.set_value(0.0);
                send_command(&VisitorCommand::Send {
                    body,
                    idempotency_key: key,
                    attachments: ids,
                });
            }
        }
    };

    let on_files = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let (Some(input), Some(t)) = (file_input.get(), token.get_untracked()) else {
                return;
            };
            for file in crate::browser::take_files(&input) {
                uploading.update(|n| *n += 1);
                let t = t.clone();
                leptos::task::spawn_local(async move {
                    match crate::browser::upload("/widget/attachments", file, Some(&t)).await {
                        Ok(a) => {
                            files.update(|f| f.push(a));
                            problem.set(None);
                        }
                        Err(e) => problem.set(Some(e.to_string())),
                    }
                    uploading.update(|n| *n = n.saturating_sub(1));
                });
            }
        }
    };

    let on_input = move |value: String| {
        draft.set(value);
        let now = js_now();
        if now - last_typing.get_value() > 2000.0 {
            last_typing.set_value(now);
            send_command(&VisitorCommand::Typing { composing: true });
        }
    };

    let bottom = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        messages.track();
        pending.track();
        typing.track();
        #[cfg(feature = "hydrate")]
        if let Some(el) = bottom.get() {
            el.scroll_into_view();
        }
    });

    let colour = channel.colour.clone();
    view! {
        <section
            class=if embedded { "flex h-full flex-col bg-white" } else { "flex h-[36rem] w-full max-w-md flex-col overflow-hidden rounded-xl border border-slate-200 bg-white shadow-lg" }
            aria-label="Chat"
            data-testid="chat"
        >
            <header class="flex items-center gap-3 px-4 py-3 text-white" style=format!("background:{colour}")>
                <div class="min-w-0 flex-1">
                    <h1 class="truncate text-base font-semibold">{channel.name.clone()}</h1>
                    <p class="truncate text-xs opacity-90">{format!("{} · AI assistant, humans on request", channel.workflow_name)}</p>
                </div>
                <span class="flex items-center gap-1 text-xs" role="status" data-testid="connection">
                    <span class=move || if connected.get() { "h-2 w-2 rounded-full bg-emerald-300" } else { "h-2 w-2 rounded-full bg-slate-300" } aria-hidden="true"></span>
                    {move || if connected.get() { "Connected" } else { "Connecting…" }}
                </span>
            </header>
            <div class="flex-1 space-y-3 overflow-y-auto bg-slate-50 px-4 py-4" role="log" aria-live="polite" aria-label="Chat history">
                <div class="flex justify-start"><p class="max-w-[80%] rounded-2xl rounded-bl-sm bg-white px-3 py-2 text-sm shadow-sm">{channel.greeting.clone()}</p></div>
                <For each=move || messages.get() key=|m| m.seq let:m>
                    <VisitorBubble message=m/>
                </For>
                <For each=move || pending.get() key=|p| (p.key.clone(), p.error.clone()) let:p>
                    <div class="flex flex-col items-end" data-testid="pending">
                        {(!p.body.is_empty()).then(|| view! { <p class="max-w-[80%] whitespace-pre-wrap rounded-2xl rounded-br-sm bg-slate-300 px-3 py-2 text-sm text-slate-800">{p.body.clone()}</p> })}
                        {(!p.files.is_empty()).then(|| view! { <p class="text-xs text-slate-600">{p.files.iter().map(|f| f.file_name.clone()).collect::<Vec<_>>().join(", ")}</p> })}
                        {match p.error.clone() {
                            Some(e) => view! { <p class="mt-1 text-xs text-red-700" role="alert">{format!("Not sent: {e}")}</p> }.into_any(),
                            None => view! { <p class="mt-1 text-xs text-slate-500">"Sending…"</p> }.into_any(),
                        }}
                    </div>
                </For>
                {move || typing.get().map(|name| view! {
                    <p class="text-xs italic text-slate-500" data-testid="typing">{format!("{name} is typing…")}</p>
                })}
                <div node_ref=bottom></div>
            </div>
            {move || queue.get().map(|n| view! {
                <p class="border-t border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900" role="status" data-testid="queue-position">
                    {if n <= 1 { "You are next in line for our team. Our assistant can help meanwhile.".to_string() } else { format!("You are number {n} in line for our team. Our assistant can help meanwhile.") }}
                </p>
            })}
            {move || rating.get().map(|given| view! { <RatingCard given send=move |stars: u8, comment: String| {
                send_command(&VisitorCommand::Rate { rating: stars, comment });
            }/> })}
            {move || problem.get().map(|p| view! { <p class="border-t border-red-200 bg-red-50 px-4 py-2 text-sm text-red-800" role="alert">{p}</p> })}
            {move || identity_problem.get().map(|p| view! { <p class="border-t border-red-200 bg-red-50 px-4 py-2 text-sm text-red-800" role="alert" data-testid="identity-problem">{p}</p> })}
            <PendingFiles files uploading class="flex flex-wrap gap-2 border-t border-slate-200 px-3 pt-2"/>
            <form
                class="flex items-end gap-2 border-t border-slate-200 p-3"
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <label class="relative flex h-10 w-10 shrink-0 cursor-pointer items-center justify-center rounded-lg text-slate-500 hover:bg-slate-100 focus-within:ring-2 focus-within:ring-sky-500" title="Attach a file">
                    <svg class="h-5 w-5" fill="none" stroke="currentColor" stroke-width="1.8" viewBox="0 0 24 24" aria-hidden="true"><path stroke-linecap="round" stroke-linejoin="round" d="M15.2 7.5l-6.4 6.4a2 2 0 102.8 2.8l6.4-6.4a4 4 0 10-5.6-5.6l-6.4 6.4a6 6 0 108.5 8.5l6-6"/></svg>
                    <input type="file" multiple class="sr-only" node_ref=file_input on:change=on_files aria-label="Attach a file"
                        accept=".png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.csv,.zip,.doc,.docx,.xls,.xlsx"/>
                </label>
                <label for="chat-message" class="sr-only">"Message"</label>
                <textarea
                    id="chat-message"
                    rows="1"
                    placeholder="Write a message…"
                    maxlength="4000"
                    class="max-h-32 min-h-[2.5rem] flex-1 resize-none rounded-lg border border-slate-300 px-3 py-2 text-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"
                    prop:value=move || draft.get()
                    on:input=move |ev| on_input(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                <button type="submit" class="rounded-lg bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2">
                    "Send"
                </button>
            </form>
        </section>
    }
}

#[component]
fn VisitorBubble(message: MessageView) -> impl IntoView {
    let time = format_clock(message.created_at);
    let files = (!message.attachments.is_empty()).then(|| message.attachments.clone());
    let body = (!message.body.is_empty()).then(|| message.body.clone());
    match message.sender_kind {
        SenderKind::Contact => view! {
            <div class="flex flex-col items-end" data-testid="message" data-sender="contact">
                {body.map(|b| view! { <div class="max-w-[80%] space-y-1 break-words rounded-2xl rounded-br-sm bg-slate-900 px-3 py-2 text-sm text-white" data-testid="message-body">{format::render(&b, "underline text-sky-200")}</div> })}
                {files.map(|f| view! { <Attachments files=f dark=true/> })}
                <p class="mt-1 text-[11px] text-slate-500">{time}</p>
            </div>
        }
        .into_any(),
        SenderKind::System => view! {
            <p class="mx-auto max-w-[90%] text-center text-xs text-slate-600" data-testid="message" data-sender="system">{message.body}</p>
        }
        .into_any(),
        kind => {
            let label = if kind == SenderKind::Ai { format!("{} · AI", message.sender_name) } else { message.sender_name.clone() };
            let sender = if kind == SenderKind::Ai { "ai" } else { "operator" };
            view! {
                <div class="flex flex-col items-start" data-testid="message" data-sender=sender>
                    <p class="mb-1 text-[11px] font-medium text-slate-600">{label}</p>
                    {body.map(|b| view! {
                        <div class=if kind == SenderKind::Ai { "max-w-[80%] space-y-1 break-words rounded-2xl rounded-bl-sm bg-white px-3 py-2 text-sm shadow-sm" } else { "max-w-[80%] space-y-1 break-words rounded-2xl rounded-bl-sm bg-sky-100 px-3 py-2 text-sm text-slate-900" } data-testid="message-body">
                            {format::render(&b, "text-sky-800 underline")}
                        </div>
                    })}
                    {files.map(|f| view! { <Attachments files=f/> })}
                    <p class="mt-1 text-[11px] text-slate-500">{time}</p>
                </div>
            }
            .into_any()
        }
    }
}

fn token_name(key: &str) -> String {
    format!("switchboard.visitor.{key}")
}

fn stored_token(_key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()?
            .local_storage()
            .ok()??
            .get_item(&token_name(_key))
            .ok()?
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = token_name;
        None
    }
}

fn store_token(_key: &str, _token: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(&token_name(_key), _token);
    }
}

fn forget_token(_key: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item(&token_name(_key));
    }
}

/// After the conversation is resolved: five stars and a comment, then thanks.
#[component]
fn RatingCard(given: Option<u8>, send: impl Fn(u8, String) + Copy + Send + Sync + 'static) -> impl IntoView {
    let stars = RwSignal::new(0u8);
    let comment = RwSignal::new(String::new());
    if let Some(n) = given {
        let shown = "★".repeat(n as usize) + &"☆".repeat(5 - n as usize);
        return view! {
            <p class="border-t border-emerald-200 bg-emerald-50 px-4 py-2 text-sm text-emerald-900" role="status" data-testid="rating-thanks">
                {format!("Thank you for rating us {shown}.")}
            </p>
        }
        .into_any();
    }
    view! {
        <form class="space-y-2 border-t border-slate-200 bg-slate-50 px-4 py-3" aria-label="Rate this conversation" data-testid="rating"
            on:submit=move |ev| {
                ev.prevent_default();
                if stars.get_untracked() > 0 {
                    send(stars.get_untracked(), comment.get_untracked());
                }
            }>
            <p class="text-sm font-medium" id="rating-question">"How did we do?"</p>
            <div class="flex gap-1" role="group" aria-labelledby="rating-question">
                {(1..=5u8).map(|n| view! {
                    <button type="button" aria-label=format!("{n} star{}", if n == 1 { "" } else { "s" })
                        aria-pressed=move || (stars.get() == n).to_string()
                        class=move || format!("text-2xl leading-none focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 {}",
                            if stars.get() >= n { "text-amber-500" } else { "text-slate-300 hover:text-amber-300" })
                        on:click=move |_| stars.set(n)>"★"</button>
                }).collect_view()}
            </div>
            <label for="rating-comment" class="sr-only">"Anything to add? (optional)"</label>
            <textarea id="rating-comment" rows="2" maxlength="1000" placeholder="Anything to add? (optional)"
                class="block w-full resize-none rounded-lg border border-slate-300 px-3 py-2 text-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"
                prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
            <button type="submit" disabled=move || stars.get() == 0
                class="rounded-lg bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700 disabled:opacity-40 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Send rating"</button>
        </form>
    }
    .into_any()
}
