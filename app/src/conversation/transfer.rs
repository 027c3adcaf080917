//! Transferring a conversation to another operator or group, with a note.

use leptos::prelude::*;

use crate::conversation::{get_transfer_options, transfer_conversation};
use crate::inbox::state::Inbox;

use super::page::{BUTTON, WAIT_FOR_REPLY};

/// Moves the conversation to another operator or group, with a note for the team.
#[component]
pub fn TransferPanel(id: i64, open: RwSignal<bool>) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let options = Resource::new(move || id, get_transfer_options);
    let target = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let submit = move || {
        if inbox.replying(id) {
            inbox.problem.set(Some(WAIT_FOR_REPLY.into()));
            return;
        }
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
            <button type="submit" class=BUTTON disabled=move || inbox.replying(id) title=move || inbox.replying(id).then_some(WAIT_FOR_REPLY)>"Transfer"</button>
            <button type="button" class="rounded-md px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-100" on:click=move |_| open.set(false)>"Cancel"</button>
        </form>
    }
}
