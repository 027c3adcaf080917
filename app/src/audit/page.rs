//! The audit log: every administrative change — who, what, when, before and after.

use leptos::prelude::*;

use crate::audit::list_audit;
use crate::errors::{DataTable, EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::time::format_utc;
use crate::{Me, Scope};

const ACTIONS: [(&str, &str); 7] = [
    ("", "Every change"),
    ("member.invited", "Members invited"),
    ("member.role_changed", "Roles changed"),
    ("member.deactivated", "Members deactivated"),
    ("member.reactivated", "Members reactivated"),
    ("member.chat_limit_changed", "Chat limits changed"),
    ("workspace.settings_updated", "Settings changed"),
];

#[component]
pub fn AuditPage() -> impl IntoView {
    let allowed = use_context::<Me>().is_some_and(|me| me.can(Scope::AuditRead));
    if !allowed {
        return view! { <Forbidden page="the audit log"/> }.into_any();
    }
    let action = RwSignal::new(String::new());
    let entries = Resource::new(move || action.get(), |a| list_audit(Some(a)));
    view! {
        <PageHeader title="Audit log" subtitle="Every administrative change: who made it, when, and what it was before and after."/>
        <div class="space-y-4 p-8">
            <div>
                <label for="audit-filter" class="mr-2 text-sm font-medium">"Show"</label>
                <select id="audit-filter" class="rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                    on:change=move |ev| action.set(event_target_value(&ev))>
                    {ACTIONS.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                </select>
            </div>
            <Transition fallback=|| view! { <Loading what="the audit log"/> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <EmptyState title="Nothing recorded" body="Administrative changes appear here as they are made."/> }.into_any(),
                        Ok(list) => view! {
                            <DataTable testid="audit-table" columns=vec!["When", "Who", "What", "Target", "Before", "After"] body_class="align-top">
                                    {list.into_iter().map(|a| view! {
                                        <tr>
                                            <td class="whitespace-nowrap px-4 py-2 text-slate-600">{format_utc(a.created_at)}</td>
                                            <td class="px-4 py-2">{a.actor.unwrap_or_else(|| "Switchboard".into())}</td>
                                            <td class="px-4 py-2 font-mono text-xs">{a.action}</td>
                                            <td class="px-4 py-2">{a.target}</td>
                                            <td class="max-w-xs break-words px-4 py-2 font-mono text-xs text-slate-600">{a.before.unwrap_or_default()}</td>
                                            <td class="max-w-xs break-words px-4 py-2 font-mono text-xs">{a.after.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                            </DataTable>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
    .into_any()
}
