//! The information panel beside a conversation: channel, who has it, its status and category,
//! the team's notes, the contact's details (name, e-mail, phone, labels, data records) and
//! their earlier conversations.

use leptos::prelude::*;

use crate::contacts::ContactDetail;
use crate::contacts::{contact_data, contact_label, get_contact, update_contact};
use crate::conversation::page::Open;
use crate::conversation::{
    list_categories, reopen_conversation, resolve_conversation, restore_to_ai, set_conversation_category, take_over,
};
use crate::events::SenderKind;
use crate::inbox::state::{inbox_href, Inbox};
use crate::lifecycle::{Handler, Status};
use crate::time::format_utc;
use crate::{AppError, Me, Scope};

const FIELD: &str = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1 text-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";
const SMALL_BUTTON: &str = "rounded-md border border-slate-300 bg-white px-2 py-1 text-xs font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60";

#[component]
pub fn InfoPanel() -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let open = expect_context::<Open>();
    let can_write = use_context::<Me>().is_some_and(|m| m.can(Scope::OperatorWrite));
    let can_erase = use_context::<Me>().is_some_and(|m| m.can(Scope::SettingsWrite));
    let categories = Resource::new(|| (), |_| list_categories());
    let problem = RwSignal::new(None::<String>);
    let summary = move || open.id.get().and_then(|id| inbox.open_conversation(id));
    // The contact's section is built once per contact; edits update it in place.
    let contact_id = Memo::new(move |_| open.contact.with(|c| c.as_ref().map(|c| c.id)));

    // The contact follows the open conversation.
    Effect::new(move |_| {
        let (Some(id), _) = (open.id.get(), open.contact_version.get()) else {
            open.contact.set(None);
            return;
        };
        leptos::task::spawn_local(async move {
            match get_contact(id).await {
                Ok(c) if open.id.get_untracked() == Some(id) => open.contact.set(Some(c)),
                Ok(_) => {}
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    });
    let apply = move |r: Result<ContactDetail, AppError>| match r {
        Ok(c) => {
            problem.set(None);
            open.contact.set(Some(c));
        }
        Err(e) => problem.set(Some(e.to_string())),
    };

    let set_status = move |status: String| {
        let Some(id) = open.id.get_untracked() else { return };
        let Some(current) = summary().map(|s| s.status) else {
            return;
        };
        let Some(status) = Status::parse(&status) else { return };
        if status == current {
            return;
        }
        leptos::task::spawn_local(async move {
            let result = match status {
                Status::Resolved => resolve_conversation(id).await,
                Status::Active => take_over(id).await,
                Status::Open if current == Status::Resolved => reopen_conversation(id).await,
                Status::Open => restore_to_ai(id).await,
                Status::Waiting => Err(AppError::invalid(
                    "Status",
                    "a conversation waits for a person when it is escalated or transferred; use Transfer to send it to the queue",
                )),
            };
            match result {
                Ok(s) => {
                    problem.set(None);
                    inbox.upsert(s);
                }
                Err(e) => {
                    problem.set(Some(e.to_string()));
                    // Show the real status again.
                    inbox.conversations.update(|_| {});
                }
            }
        });
    };
    let set_category = move |value: String| {
        let Some(id) = open.id.get_untracked() else { return };
        leptos::task::spawn_local(async move {
            match set_conversation_category(id, value).await {
                Ok(s) => {
                    problem.set(None);
                    inbox.upsert(s);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };

    let notes = move || {
        inbox.thread.with(|t| {
            t.iter()
                .filter(|m| m.internal && m.sender_kind == SenderKind::Operator)
                .rev()
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let note_draft = RwSignal::new(String::new());
    let save_note = move || {
        let Some(id) = open.id.get_untracked() else { return };
        let body = note_draft.get_untracked();
        if body.trim().is_empty() {
            problem.set(Some("Write the note first.".into()));
            return;
        }
        if inbox.send_message(id, body.trim().to_string(), true, vec![]) {
            note_draft.set(String::new());
            problem.set(None);
        } else {
            problem.set(Some("Not connected right now; the note is still in the box.".into()));
        }
    };

    view! {
        <aside id="info-panel" aria-label="Conversation details" data-testid="info-panel"
            class="relative w-72 shrink-0 space-y-6 overflow-y-auto border-l border-slate-200 bg-white p-4 text-sm">
            {move || problem.get().map(|p| view! { <p role="alert" class="rounded-md bg-red-50 p-2 text-xs text-red-800" data-testid="panel-problem">{p}</p> })}
            <section aria-labelledby="panel-chat">
                <h3 id="panel-chat" class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Chat information"</h3>
                {move || summary().map(|s| {
                    let category_id = s.category.clone();
                    view! {
                        <dl class="mt-2 space-y-2">
                            <div class="flex justify-between gap-2"><dt class="text-slate-500">"Channel"</dt>
                                <dd class="flex items-center gap-1"><span class="h-2.5 w-2.5 rounded-full" style=format!("background:{}", s.channel_colour) aria-hidden="true"></span>{s.channel_name.clone()}</dd></div>
                            <div class="flex justify-between gap-2"><dt class="text-slate-500">"Assigned to"</dt>
                                <dd data-testid="panel-assignee">{s.assignee.clone().unwrap_or_else(|| if s.handler == Handler::Ai { "The assistant".into() } else { "Nobody yet".into() })}</dd></div>
                        </dl>
                        <label for="panel-status" class="mt-3 block text-slate-500">"Status"</label>
                        <select id="panel-status" class=FIELD disabled=!can_write on:change=move |ev| set_status(event_target_value(&ev))>
                            {Status::ALL.iter().map(|st| view! {
                                <option value=st.as_str() selected=s.status == *st>{st.as_str()}</option>
                            }).collect_view()}
                        </select>
                        <label for="panel-category" class="mt-3 block text-slate-500">"Category"</label>
                        <select id="panel-category" class=FIELD disabled=!can_write on:change=move |ev| set_category(event_target_value(&ev))>
                            <option value="" selected=category_id.is_none()>"No category"</option>
                            <Transition>
                                {move || {
                                    let current = category_id.clone();
                                    Suspend::new(async move {
                                        categories.await.unwrap_or_default().into_iter().map(|c| {
                                            let selected = current.as_deref() == Some(c.name.as_str());
                                            view! { <option value=c.id.to_string() selected=selected>{c.name.clone()}</option> }
                                        }).collect_view()
                                    })
                                }}
                            </Transition>
                        </select>
                    }
                })}
            </section>

            <section aria-labelledby="panel-notes">
                <h3 id="panel-notes" class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Notes"</h3>
                <p class="mt-1 text-xs text-slate-500">"Only your team sees notes; the customer never does."</p>
                {can_write.then(|| view! {
                    <form class="mt-2 space-y-2" on:submit=move |ev| { ev.prevent_default(); save_note(); }>
                        <label for="panel-note" class="sr-only">"New note"</label>
                        <textarea id="panel-note" rows="2" maxlength="4000" placeholder="Leave context for your team…" class=FIELD
                            prop:value=move || note_draft.get() on:input=move |ev| note_draft.set(event_target_value(&ev))></textarea>
                        <button type="submit" class=SMALL_BUTTON>"Save note"</button>
                    </form>
                })}
                <ul class="mt-2 space-y-2" data-testid="notes">
                    {move || {
                        let list = notes();
                        if list.is_empty() {
                            return view! { <li class="text-xs text-slate-500">"No notes yet."</li> }.into_any();
                        }
                        list.into_iter().map(|n| view! {
                            <li class="rounded-md border border-amber-200 bg-amber-50 p-2" data-testid="note">
                                <p class="whitespace-pre-wrap text-amber-950">{n.body.clone()}</p>
                                <p class="mt-1 text-[11px] text-amber-800">{format!("{} · {}", n.sender_name, format_utc(n.created_at))}</p>
                            </li>
                        }).collect_view().into_any()
                    }}
                </ul>
            </section>

            {move || contact_id.get().map(|_| view! { <ContactSection can_write apply/> })}
            {can_erase.then(|| view! { <crate::contacts::privacy::Privacy/> })}
        </aside>
    }
}

#[component]
fn ContactSection(
    can_write: bool,
    apply: impl Fn(Result<ContactDetail, AppError>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let open = expect_context::<Open>();
    let id = move || open.id.get_untracked().unwrap_or_default();
    let initial = open.contact.get_untracked();
    let name = RwSignal::new(initial.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let email = RwSignal::new(initial.as_ref().and_then(|c| c.email.clone()).unwrap_or_default());
    let phone = RwSignal::new(initial.as_ref().and_then(|c| c.phone.clone()).unwrap_or_default());
    let new_label = RwSignal::new(String::new());
    let new_key = RwSignal::new(String::new());
    let new_value = RwSignal::new(String::new());
    let saved = RwSignal::new(false);
    let save = move || {
        let (cid, n, e, p) = (id(), name.get_untracked(), email.get_untracked(), phone.get_untracked());
        leptos::task::spawn_local(async move {
            let r = update_contact(cid, n, e, p).await;
            if let Ok(c) = &r {
                name.set(c.name.clone());
                email.set(c.email.clone().unwrap_or_default());
                phone.set(c.phone.clone().unwrap_or_default());
                // The list and the header show the new name.
                if let Some(mut s) = inbox.summary(cid) {
                    s.contact_name = c.name.clone();
                    inbox.upsert(s);
                }
            }
            saved.set(r.is_ok());
            apply(r);
        });
    };
    let label = move |l: String, add: bool| {
        let cid = id();
        leptos::task::spawn_local(async move {
            let r = contact_label(cid, l, add).await;
            if r.is_ok() && add {
                new_label.set(String::new());
            }
            apply(r);
        });
    };
    let data = move |k: String, v: String| {
        let cid = id();
        leptos::task::spawn_local(async move {
            let r = contact_data(cid, k, v).await;
            if r.is_ok() {
                new_key.set(String::new());
                new_value.set(String::new());
            }
            apply(r);
        });
    };
    let query = inbox.query;
    let labels = move || {
        open.contact
            .with(|c| c.as_ref().map(|c| c.labels.clone()).unwrap_or_default())
    };
    let records = move || {
        open.contact
            .with(|c| c.as_ref().map(|c| c.data.clone()).unwrap_or_default())
    };
    let earlier = move || {
        let current = open.id.get();
        open.contact.with(|c| {
            c.as_ref()
                .map(|c| {
                    c.conversations
                        .iter()
                        .filter(|x| Some(x.id) != current)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section aria-labelledby="panel-contact" data-testid="contact">
            <h3 id="panel-contact" class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Contact"</h3>
            <form class="mt-2 space-y-2" on:submit=move |ev| { ev.prevent_default(); save(); }>
                <div><label for="contact-name" class="text-xs text-slate-500">"Name"</label>
                    <input id="contact-name" type="text" maxlength="100" class=FIELD disabled=!can_write prop:value=move || name.get() on:input=move |ev| { saved.set(false); name.set(event_target_value(&ev)); }/></div>
                <div><label for="contact-email" class="text-xs text-slate-500">"E-mail"</label>
                    <input id="contact-email" type="email" class=FIELD disabled=!can_write prop:value=move || email.get() on:input=move |ev| { saved.set(false); email.set(event_target_value(&ev)); }/></div>
                <div><label for="contact-phone" class="text-xs text-slate-500">"Phone"</label>
                    <input id="contact-phone" type="tel" class=FIELD disabled=!can_write prop:value=move || phone.get() on:input=move |ev| { saved.set(false); phone.set(event_target_value(&ev)); }/></div>
                {can_write.then(|| view! {
                    <div class="flex items-center gap-2">
                        <button type="submit" class=SMALL_BUTTON>"Save contact"</button>
                        {move || saved.get().then(|| view! { <span class="text-xs text-emerald-700" role="status">"Saved."</span> })}
                    </div>
                })}
            </form>

            <h4 class="mt-4 text-xs font-medium text-slate-500">"Labels"</h4>
            <ul class="mt-1 flex flex-wrap gap-1" data-testid="labels">
                {move || {
                    let list = labels();
                    if list.is_empty() {
                        return view! { <li class="text-xs text-slate-500">"No labels."</li> }.into_any();
                    }
                    list.into_iter().map(|l| {
                        let name = l.clone();
                        view! {
                            <li class="flex items-center gap-1 rounded-full bg-sky-100 px-2 py-0.5 text-xs text-sky-900">
                                {l.clone()}
                                {can_write.then(|| view! { <button type="button" class="text-sky-700 hover:text-sky-950" aria-label=format!("Remove label {}", name) on:click=move |_| label(name.clone(), false)>"×"</button> })}
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
            {can_write.then(|| view! {
                <form class="mt-2 flex gap-1" on:submit=move |ev| { ev.prevent_default(); label(new_label.get_untracked(), true); }>
                    <label for="new-label" class="sr-only">"New label"</label>
                    <input id="new-label" type="text" maxlength="40" placeholder="Add a label" class="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 text-xs focus:outline-none focus:ring-2 focus:ring-sky-500"
                        prop:value=move || new_label.get() on:input=move |ev| new_label.set(event_target_value(&ev))/>
                    <button type="submit" class=SMALL_BUTTON>"Add"</button>
                </form>
            })}

            <h4 class="mt-4 text-xs font-medium text-slate-500">"Data records"</h4>
            <dl class="mt-1 space-y-1" data-testid="data-records">
                {move || {
                    let list = records();
                    if list.is_empty() {
                        return view! { <p class="text-xs text-slate-500">"No data records."</p> }.into_any();
                    }
                    list.into_iter().map(|(k, v)| {
                        let key = k.clone();
                        view! {
                            <div class="flex items-start justify-between gap-2 text-xs">
                                <dt class="text-slate-500">{k.clone()}</dt>
                                <dd class="flex items-center gap-1 text-right">{v.clone()}
                                    {can_write.then(|| view! { <button type="button" class="text-slate-400 hover:text-slate-900" aria-label=format!("Remove {}", key) on:click=move |_| data(key.clone(), String::new())>"×"</button> })}
                                </dd>
                            </div>
                        }
                    }).collect_view().into_any()
                }}
            </dl>
            {can_write.then(|| view! {
                <form class="mt-2 flex gap-1" on:submit=move |ev| { ev.prevent_default(); data(new_key.get_untracked(), new_value.get_untracked()); }>
                    <label for="new-key" class="sr-only">"Key"</label>
                    <input id="new-key" type="text" maxlength="40" placeholder="Key" class="w-24 rounded-md border border-slate-300 px-2 py-1 text-xs focus:outline-none focus:ring-2 focus:ring-sky-500"
                        prop:value=move || new_key.get() on:input=move |ev| new_key.set(event_target_value(&ev))/>
                    <label for="new-value" class="sr-only">"Value"</label>
                    <input id="new-value" type="text" maxlength="500" placeholder="Value" class="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 text-xs focus:outline-none focus:ring-2 focus:ring-sky-500"
                        prop:value=move || new_value.get() on:input=move |ev| new_value.set(event_target_value(&ev))/>
                    <button type="submit" class=SMALL_BUTTON>"Set"</button>
                </form>
            })}

            {move || {
                let known = open.contact.with(|c| c.as_ref().map(|c| c.identities.clone()).unwrap_or_default());
                (!known.is_empty()).then(|| view! {
                    <p class="mt-3 text-xs text-slate-600" data-testid="identities">
                        {known.into_iter().map(|(kind, value)| match kind.as_str() {
                            "web" => format!("Signed in on the site as {value}"),
                            "phone" => format!("Texts from {value}"),
                            "email" => format!("E-mails from {value}"),
                            other => format!("{other}: {value}"),
                        }).collect::<Vec<_>>().join(" · ")}
                    </p>
                })
            }}

            <h4 class="mt-4 text-xs font-medium text-slate-500">"Earlier conversations"</h4>
            <ul class="mt-1 space-y-1" data-testid="earlier">
                {move || {
                    let list = earlier();
                    if list.is_empty() {
                        return view! { <li class="text-xs text-slate-500">"None."</li> }.into_any();
                    }
                    list.into_iter().map(|x| view! {
                        <li>
                            <a class="block rounded-md px-2 py-1 hover:bg-slate-50" href=move || inbox_href(&query.get(), Some(x.id))>
                                <span class="text-xs font-medium">{format!("{} · {}", x.channel_name, x.status)}</span>
                                <span class="block truncate text-xs text-slate-500">{x.last_message.clone().map(|m| crate::format::plain(&m)).unwrap_or_default()}</span>
                                <span class="block text-[11px] text-slate-400">{format_utc(x.last_activity_at)}</span>
                            </a>
                        </li>
                    }).collect_view().into_any()
                }}
            </ul>
            {can_write.then(|| view! { <crate::contacts::merge::MergeContacts conversation=id apply/> })}
        </section>
    }
}
