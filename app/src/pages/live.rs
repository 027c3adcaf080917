//! The supervisor's live view: who can take conversations and in what state they are.

use leptos::prelude::*;

use super::errors::{EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::api::list_operators;
use crate::{Me, Scope};

#[component]
pub fn LivePage() -> impl IntoView {
    let allowed = use_context::<Me>().is_some_and(|me| me.can(Scope::ConversationsReadAll));
    if !allowed {
        return view! { <Forbidden page="the live view"/> }.into_any();
    }
    let operators = Resource::new(|| (), |_| list_operators());
    view! {
        <PageHeader title="Live" subtitle="Operators of this workspace and their status."/>
        <div class="p-8">
            <Suspense fallback=|| view! { <Loading what="operators"/> }>
                {move || Suspend::new(async move {
                    match operators.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No operators" body="Team members whose role lets them handle conversations appear here."/>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="w-full overflow-hidden rounded-lg border border-slate-200 bg-white text-sm">
                                <caption class="sr-only">"Operators"</caption>
                                <thead class="bg-slate-50 text-left text-xs uppercase text-slate-500">
                                    <tr>
                                        <th scope="col" class="px-4 py-2">"Operator"</th>
                                        <th scope="col" class="px-4 py-2">"Role"</th>
                                        <th scope="col" class="px-4 py-2">"Operator groups"</th>
                                        <th scope="col" class="px-4 py-2">"Status"</th>
                                    </tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {list.into_iter().map(|o| view! {
                                        <tr>
                                            <td class="px-4 py-2 font-medium">{o.name}</td>
                                            <td class="px-4 py-2">{o.role.label()}</td>
                                            <td class="px-4 py-2">{if o.groups.is_empty() { "—".to_string() } else { o.groups.join(", ") }}</td>
                                            <td class="px-4 py-2"><StatusDot status=o.status/></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
    .into_any()
}

#[component]
fn StatusDot(status: String) -> impl IntoView {
    let colour = match status.as_str() {
        "online" => "bg-emerald-500",
        "away" => "bg-amber-400",
        "busy" => "bg-red-500",
        _ => "bg-slate-400",
    };
    let label = match status.as_str() {
        "online" => "Online",
        "away" => "Away",
        "busy" => "Busy",
        _ => "Offline",
    };
    view! {
        <span class="inline-flex items-center gap-2">
            <span class=format!("h-2.5 w-2.5 rounded-full {colour}") aria-hidden="true"></span>
            {label}
        </span>
    }
}
