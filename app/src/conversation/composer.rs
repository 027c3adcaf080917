//! The reply box: formatting, canned responses, files, notes and sending.

use leptos::prelude::*;

use crate::canned::list_canned;
use crate::canned::CannedResponse;
use crate::conversation::AttachmentView;
use crate::events::{MessageBody, OperatorCommand};
use crate::format;
use crate::inbox::state::Inbox;
use crate::macros::{self, MacroValues};
use crate::socket::js_now;
use crate::Me;

use super::bubble::PendingFiles;
use super::page::Open;

/// Wraps the textarea's selection in markup (or inserts it), keeping the selection.
pub fn wrap_selection(
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
pub fn Composer() -> impl IntoView {
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
        if !note.get_untracked() {
            if let Some(why) = inbox.reply_blocked.get_untracked() {
                inbox
                    .problem
                    .set(Some(format!("Not sent. {why} You can still write a note.")));
                return;
            }
        }
        let attachments: Vec<i64> = files.with_untracked(|f| f.iter().map(|a| a.id).collect());
        match MessageBody::parse_with_files(&draft.get_untracked(), attachments.len()) {
            Err(e) => inbox.problem.set(Some(e.to_string())),
            Ok(body) => {
                let internal = note.get_untracked();
                if inbox.send_message(cid, body.into_string(), internal, attachments) {
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
                    match crate::browser::upload(&format!("/api/attachments?conversation_id={cid}"), file, None).await {
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
            {move || (!note.get()).then(|| inbox.reply_blocked.get()).flatten().map(|why| view! {
                <p class="mt-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950" role="status" data-testid="reply-blocked">
                    {why} " Replies cannot be sent; a note for your team still can."
                </p>
            })}
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
                <button type="submit" disabled=move || !note.get() && inbox.reply_blocked.with(Option::is_some)
                    class=move || if note.get() { "rounded-lg bg-amber-600 px-4 py-2 text-sm font-semibold text-white hover:bg-amber-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-amber-500" } else { "rounded-lg bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50" }>
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
