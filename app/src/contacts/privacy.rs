//! A customer's privacy requests, for those who run the workspace: download everything held
//! about them as JSON, or erase it all for good (once their conversations are resolved).

use leptos::prelude::*;

use crate::contacts::erase_contact;
use crate::conversation::page::Open;
use crate::inbox::state::{inbox_href, Inbox};

const BUTTON: &str = "rounded-md border border-slate-300 bg-white px-2 py-1 text-xs font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60";
const DANGER: &str = "rounded-md border border-red-300 bg-white px-2 py-1 text-xs font-medium text-red-800 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 disabled:opacity-60";

#[component]
pub fn Privacy() -> impl IntoView {
    let open = expect_context::<Open>();
    let inbox = expect_context::<Inbox>();
    let navigate = leptos_router::hooks::use_navigate();
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let export = move || {
        open.id
            .get()
            .map(|id| format!("/api/contacts/export?conversation_id={id}"))
            .unwrap_or_default()
    };
    let erase = move |_| {
        let Some(id) = open.id.get_untracked() else { return };
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match erase_contact(id).await {
                Ok(_) => {
                    confirming.set(false);
                    inbox.conversations.update(|list| list.retain(|c| c.id != id));
                    navigate(&inbox_href(&inbox.query.get_untracked(), None), Default::default());
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <section aria-labelledby="panel-privacy" class="mt-6" data-testid="privacy">
            <h3 id="panel-privacy" class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Privacy"</h3>
            <p class="mt-1 text-xs text-slate-600">"When a customer asks to see or delete what you hold about them."</p>
            <div class="mt-2 flex flex-wrap gap-2">
                <a href=export download class=BUTTON>"Export their data (JSON)"</a>
                {move || (!confirming.get()).then(|| view! {
                    <button type="button" class=DANGER on:click=move |_| { problem.set(None); confirming.set(true); }>"Erase their data…"</button>
                })}
            </div>
            {move || confirming.get().then(|| view! {
                <div role="alertdialog" aria-labelledby="erase-title" aria-describedby="erase-body" class="mt-2 rounded-md border border-red-200 bg-red-50 p-3">
                    <p id="erase-title" class="text-sm font-medium text-red-900">"Erase this customer and everything about them?"</p>
                    <p id="erase-body" class="mt-1 text-xs text-red-900">"Their details, every conversation, message and file are deleted for good; this cannot be undone. Resolve their open conversations first."</p>
                    <div class="mt-2 flex gap-2">
                        <button type="button" class="rounded-md bg-red-700 px-2 py-1 text-xs font-semibold text-white hover:bg-red-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 disabled:opacity-60"
                            disabled=move || busy.get() on:click=erase.clone()>
                            {move || if busy.get() { "Erasing…" } else { "Erase for good" }}
                        </button>
                        <button type="button" class=BUTTON on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                </div>
            })}
            {move || problem.get().map(|p| view! { <p role="alert" class="mt-2 text-xs text-red-700" data-testid="privacy-problem">{p}</p> })}
        </section>
    }
}
