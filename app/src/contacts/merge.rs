//! Merging two contacts who are the same customer (they wrote from two browsers, or by two
//! channels): find the other one by name, e-mail or phone, and bring their conversations,
//! identities, labels and data records over to the contact in view.

use leptos::prelude::*;

use crate::contacts::{merge_contacts, search_contacts, ContactDetail, ContactMatch};
use crate::AppError;

#[component]
pub fn MergeContacts(
    conversation: impl Fn() -> i64 + Copy + Send + Sync + 'static,
    apply: impl Fn(Result<ContactDetail, AppError>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Result<Vec<ContactMatch>, AppError>>);
    let merged = RwSignal::new(None::<String>);
    let search = move || {
        let q = query.get_untracked();
        if q.trim().chars().count() < 2 {
            found.set(Some(Err(AppError::invalid("Find", "type at least two letters"))));
            return;
        }
        let cid = conversation();
        leptos::task::spawn_local(async move { found.set(Some(search_contacts(cid, q).await)) });
    };
    let merge = move |other: ContactMatch| {
        let cid = conversation();
        leptos::task::spawn_local(async move {
            let r = merge_contacts(cid, other.id).await;
            if r.is_ok() {
                merged.set(Some(format!("Merged {} into this contact.", other.name)));
                found.set(None);
                query.set(String::new());
            }
            apply(r);
        });
    };
    view! {
        <details class="mt-4" data-testid="merge-contacts">
            <summary class="cursor-pointer text-xs font-medium text-slate-600 hover:text-slate-900">"Merge with another contact"</summary>
            <form class="mt-2 flex gap-1" on:submit=move |ev| { ev.prevent_default(); search(); }>
                <label for="merge-query" class="sr-only">"Find another contact"</label>
                <input id="merge-query" type="search" maxlength="100" placeholder="Name, e-mail or phone"
                    class="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 text-xs focus:outline-none focus:ring-2 focus:ring-sky-500"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
                <button type="submit" class="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Find"</button>
            </form>
            {move || merged.get().map(|m| view! { <p class="mt-2 text-xs text-emerald-700" role="status">{m}</p> })}
            {move || found.get().map(|r| match r {
                Err(e) => view! { <p class="mt-2 text-xs text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="mt-2 text-xs text-slate-500">"No other contact matches."</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="mt-2 space-y-1" data-testid="merge-candidates">
                        {list.into_iter().map(|c| {
                            let details = [c.email.clone(), c.phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                            let count = format!("{} conversation{}", c.conversations, if c.conversations == 1 { "" } else { "s" });
                            let label = format!("Merge {} into this contact", c.name);
                            let name = c.name.clone();
                            view! {
                                <li class="flex items-center justify-between gap-2 rounded-md border border-slate-200 px-2 py-1">
                                    <span class="min-w-0 text-xs">
                                        <span class="block truncate font-medium">{name}</span>
                                        <span class="block truncate text-slate-500">{if details.is_empty() { count } else { format!("{details} · {count}") }}</span>
                                    </span>
                                    <button type="button" aria-label=label class="shrink-0 rounded-md bg-slate-900 px-2 py-1 text-xs font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                                        on:click=move |_| merge(c.clone())>"Merge"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
            <p class="mt-2 text-[11px] text-slate-500">"Their conversations, identities, labels and data records move here; details this contact lacks are taken from theirs. A visitor chatting as the merged contact starts a new chat."</p>
        </details>
    }
}
