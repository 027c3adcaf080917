//! Plans: every workspace on this instance with its seats and feature flags, each changed
//! here by an instance administrator (workspace admins only read their own in Settings).

use leptos::prelude::*;

use crate::errors::{EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::instance::{instance_workspaces, SetPlan, WorkspacePlan};
use crate::Me;

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";

#[component]
pub fn PlansPage() -> impl IntoView {
    if !use_context::<Me>().is_some_and(|me| me.runs_the_instance()) {
        return view! { <Forbidden page="Plans"/> }.into_any();
    }
    let mine = use_context::<Me>().map(|me| me.workspace_id);
    let workspaces = Resource::new(|| (), |_| instance_workspaces());
    let find = RwSignal::new(String::new());
    view! {
        <PageHeader title="Plans" subtitle="Every workspace on this Switchboard: its seats and features. Only instance administrators change them."/>
        <div class="max-w-4xl space-y-4 p-8">
            <div>
                <label for="find-workspace" class="block text-sm font-medium">"Find a workspace"</label>
                <input id="find-workspace" type="search" placeholder="Name or number" class=INPUT
                    prop:value=move || find.get() on:input=move |ev| find.set(event_target_value(&ev))/>
            </div>
            <Transition fallback=|| view! { <Loading what="workspaces"/> }>
                {move || Suspend::new(async move {
                    match workspaces.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No workspaces yet" body="Create one with switchboard create-owner."/>
                        }.into_any(),
                        Ok(list) => list.into_iter().map(|w| {
                            let yours = Some(w.workspace_id) == mine;
                            let name = w.workspace_name.to_lowercase();
                            let number = w.workspace_id.to_string();
                            let shown = move || {
                                let q = find.get().trim().to_lowercase();
                                q.is_empty() || name.contains(&q) || number == q
                            };
                            view! { <div hidden=move || !shown()><PlanCard workspace=w yours/></div> }
                        }).collect_view().into_any(),
                    }
                })}
            </Transition>
        </div>
    }
    .into_any()
}

/// One workspace's plan, as a form.
#[component]
fn PlanCard(workspace: WorkspacePlan, yours: bool) -> impl IntoView {
    let save = ServerAction::<SetPlan>::new();
    let id = workspace.workspace_id;
    let field = move |name: &str| format!("plan-{id}-{name}");
    let plan = workspace.plan;
    let (members, in_use, first_seats) = (workspace.members, workspace.seats_in_use, plan.human_agents);
    // The seats as last saved.
    let seats = move || match save.value().get() {
        Some(Ok(saved)) => saved.plan.human_agents,
        _ => first_seats,
    };
    let heading = format!("plan-{id}-heading");
    let labelled_by = heading.clone();
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-6" aria-labelledby=labelled_by data-testid="plan-card">
            <div class="mb-4 flex items-baseline justify-between gap-4">
                <h2 id=heading class="text-base font-semibold">
                    {workspace.workspace_name.clone()}
                    {yours.then(|| view! { <span class="ml-2 rounded-full bg-sky-50 px-2 py-0.5 text-xs font-medium text-sky-800">"Your workspace"</span> })}
                </h2>
                <p class="text-sm text-slate-500">{move || format!("Workspace {id} · {members} active members · {in_use} of {} seats in use", seats())}</p>
            </div>
            <ActionForm action=save attr:class="space-y-4" attr:aria-label=format!("Plan of {}", workspace.workspace_name)>
                <input type="hidden" name="workspace_id" value=id.to_string()/>
                <div class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for=field("name") class="block text-sm font-medium">"Plan name"</label>
                        <input id=field("name") name="name" type="text" maxlength="40" required value=plan.name class=INPUT/>
                    </div>
                    <div>
                        <label for=field("seats") class="block text-sm font-medium">"Human agent seats"</label>
                        <input id=field("seats") name="human_agents" type="number" min="0" max="10000" required value=plan.human_agents.to_string() class=INPUT/>
                    </div>
                </div>
                <fieldset class="space-y-2">
                    <legend class="text-sm font-medium">"Features"</legend>
                    <label class="flex items-center gap-3 text-sm">
                        <input type="checkbox" name="operator_enabled" value="on" checked=plan.operator_enabled class="h-4 w-4"/>
                        "Operators"
                    </label>
                    <label class="flex items-center gap-3 text-sm">
                        <input type="checkbox" name="presence_enabled" value="on" checked=plan.presence_enabled class="h-4 w-4"/>
                        "Live presence"
                    </label>
                    <label class="flex items-center gap-3 text-sm">
                        <input type="checkbox" name="managers_handle_chats" value="on" checked=plan.managers_handle_chats class="h-4 w-4"/>
                        "Account managers handle chats"
                    </label>
                </fieldset>
                {move || match save.value().get() {
                    Some(Err(e)) => Some(view! { <ErrorPanel error=e/> }.into_any()),
                    Some(Ok(_)) => Some(view! { <p role="status" class="text-sm text-emerald-700">"Plan saved."</p> }.into_any()),
                    None => None,
                }}
                <button type="submit" disabled=move || save.pending().get()
                    class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2 disabled:opacity-60">
                    {move || if save.pending().get() { "Saving…" } else { "Save plan" }}
                </button>
            </ActionForm>
        </section>
    }
}
