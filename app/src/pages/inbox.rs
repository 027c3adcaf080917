//! The inbox: the conversations the member may see, most recent activity first.

use leptos::prelude::*;

use super::errors::{EmptyState, ErrorPanel, Loading, PageHeader};
use crate::api::list_conversations;
use crate::model::format_utc;

#[component]
pub fn InboxPage() -> impl IntoView {
    let conversations = Resource::new(|| (), |_| list_conversations(None));
    view! {
        <PageHeader title="Inbox" subtitle="Conversations on your workflows, most recent activity first."/>
        <div class="p-8">
            <Suspense fallback=|| view! { <Loading what="conversations"/> }>
                {move || Suspend::new(async move {
                    match conversations.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No conversations yet" body="When visitors write on one of your channels, their conversations appear here."/>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" aria-label="Conversations">
                                {list.into_iter().map(|c| view! {
                                    <li class="flex items-center gap-4 px-4 py-3">
                                        <span class="w-20 shrink-0 text-xs font-medium uppercase text-slate-500">{c.channel_kind}</span>
                                        <div class="min-w-0 flex-1">
                                            <p class="truncate font-medium">{c.contact_name}</p>
                                            <p class="truncate text-sm text-slate-500">{c.last_message.unwrap_or_default()}</p>
                                        </div>
                                        <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700">{c.status}</span>
                                        <span class="w-40 shrink-0 text-right text-xs text-slate-500">{format_utc(c.last_activity_at)}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
