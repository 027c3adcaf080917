//! Workspace settings: name, chat limit and disconnect timeout; the plan's seats and feature
//! flags to read.

use leptos::prelude::*;

use crate::conversation::{add_category, delete_category, list_categories};
use crate::errors::{ErrorPanel, Forbidden, Loading, PageHeader};
use crate::settings::{get_workspace_settings, UpdateWorkspaceSettings};
use crate::settings::{Plan, SettingsView};
use crate::{Me, Scope};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let allowed = use_context::<Me>().is_some_and(|me| me.can(Scope::SettingsWrite));
    if !allowed {
        return view! { <Forbidden page="Settings"/> }.into_any();
    }
    let update = ServerAction::<UpdateWorkspaceSettings>::new();
    let settings = Resource::new(move || update.version().get(), |_| get_workspace_settings());
    view! {
        <PageHeader title="Settings" subtitle="How this workspace runs: its plan, chat limits and timeouts."/>
        <div class="max-w-2xl space-y-8 p-8">
            <Transition fallback=|| view! { <Loading what="settings"/> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(s) => view! { <PlanSummary plan=s.plan.clone() in_use=s.seats_in_use/> <SettingsForm current=s update/> }.into_any(),
                    }
                })}
            </Transition>
            <Categories/>
        </div>
    }
    .into_any()
}

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";

/// The workspace's plan, read-only: only the instance's administrators change it.
#[component]
fn PlanSummary(plan: Plan, in_use: i64) -> impl IntoView {
    let on_off = |on: bool| if on { "On" } else { "Off" };
    let rows = [
        ("Human agent seats", format!("{} ({in_use} in use)", plan.human_agents)),
        ("Operators", on_off(plan.operator_enabled).to_string()),
        ("Live presence", on_off(plan.presence_enabled).to_string()),
        (
            "Account managers handle chats",
            on_off(plan.managers_handle_chats).to_string(),
        ),
    ];
    view! {
        <section class="mb-8 rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="plan-heading" data-testid="plan-summary">
            <div class="flex items-baseline justify-between gap-4">
                <h2 id="plan-heading" class="text-sm font-semibold">"Plan"</h2>
                <span class="rounded-full bg-sky-50 px-3 py-0.5 text-sm font-medium text-sky-800">{plan.name.clone()}</span>
            </div>
            <dl class="mt-4 grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-4">
                {rows.into_iter().map(|(term, value)| view! {
                    <div>
                        <dt class="text-slate-500">{term}</dt>
                        <dd class="font-medium">{value}</dd>
                    </div>
                }).collect_view()}
            </dl>
            <p class="mt-4 text-sm text-slate-600">
                "Seats and features come with the workspace's plan, which only the administrator of this Switchboard changes. Contact your account admin to add seats or turn a feature on."
            </p>
        </section>
    }
}

#[component]
fn SettingsForm(current: SettingsView, update: ServerAction<UpdateWorkspaceSettings>) -> impl IntoView {
    let settings = current.settings;
    let result = move || update.value().get();
    view! {
        <ActionForm action=update attr:class="space-y-6 rounded-lg border border-slate-200 bg-white p-6" attr:aria-label="Workspace settings">
            <div>
                <label for="name" class="block text-sm font-medium">"Workspace name"</label>
                <input id="name" name="name" type="text" maxlength="80" required value=settings.name class=INPUT/>
            </div>
            <div class="grid gap-4 sm:grid-cols-2">
                <div>
                    <label for="default_chat_limit" class="block text-sm font-medium">"Default chat limit"</label>
                    <input id="default_chat_limit" name="default_chat_limit" type="number" min="1" max="100" required value=settings.default_chat_limit.to_string() class=INPUT/>
                </div>
                <div>
                    <label for="disconnect_timeout_secs" class="block text-sm font-medium">"Disconnect timeout (s)"</label>
                    <input id="disconnect_timeout_secs" name="disconnect_timeout_secs" type="number" min="5" max="3600" required value=settings.disconnect_timeout_secs.to_string() class=INPUT/>
                </div>
            </div>
            <label class="flex items-start gap-3 text-sm">
                <input type="checkbox" name="reroute_on_disconnect" value="on" checked=settings.reroute_on_disconnect class="mt-0.5 h-4 w-4"/>
                <span><span class="font-medium">"Hand conversations on when an operator leaves"</span><span class="block text-slate-500">"When an operator disconnects past the timeout or goes offline, their conversations go to the next available operator. Otherwise they keep them."</span></span>
            </label>
            {move || match result() {
                Some(Err(e)) => Some(view! { <ErrorPanel error=e/> }.into_any()),
                Some(Ok(_)) => Some(view! { <p role="status" class="text-sm text-emerald-700" data-testid="settings-saved">"Settings saved."</p> }.into_any()),
                None => None,
            }}
            <button type="submit" disabled=move || update.pending().get()
                class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2 disabled:opacity-60">
                {move || if update.pending().get() { "Saving…" } else { "Save settings" }}
            </button>
        </ActionForm>
    }
}

/// The workspace's conversation categories, which operators file conversations under.
#[component]
fn Categories() -> impl IntoView {
    let list = RwSignal::new(None::<Result<Vec<crate::conversation::CategoryView>, crate::AppError>>);
    let name = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move { list.set(Some(list_categories().await)) });
    });
    let apply = move |r: Result<Vec<crate::conversation::CategoryView>, crate::AppError>| match r {
        Ok(l) => {
            problem.set(None);
            list.set(Some(Ok(l)));
        }
        Err(e) => problem.set(Some(e.to_string())),
    };
    let add = move || {
        let n = name.get_untracked();
        leptos::task::spawn_local(async move {
            let r = add_category(n).await;
            if r.is_ok() {
                name.set(String::new());
            }
            apply(r);
        });
    };
    view! {
        <section class="space-y-4 rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="categories-heading">
            <div>
                <h2 id="categories-heading" class="text-sm font-semibold">"Conversation categories"</h2>
                <p class="text-sm text-slate-500">"Operators file conversations under these in the information panel."</p>
            </div>
            {move || match list.get() {
                None => view! { <Loading what="categories"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorPanel error=e/> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! { <p class="text-sm text-slate-500">"No categories yet."</p> }.into_any(),
                Some(Ok(items)) => view! {
                    <ul class="flex flex-wrap gap-2" data-testid="categories">
                        {items.into_iter().map(|c| {
                            let id = c.id;
                            view! {
                                <li class="flex items-center gap-1 rounded-full bg-slate-100 px-3 py-1 text-sm">
                                    {c.name.clone()}
                                    <button type="button" class="text-slate-500 hover:text-slate-900" aria-label=format!("Delete category {}", c.name)
                                        on:click=move |_| leptos::task::spawn_local(async move { apply(delete_category(id).await) })>"×"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <form class="flex gap-2" on:submit=move |ev| { ev.prevent_default(); add(); }>
                <label for="new-category" class="sr-only">"New category"</label>
                <input id="new-category" type="text" maxlength="40" placeholder="e.g. Billing" class="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <button type="submit" class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Add category"</button>
            </form>
            {move || problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700">{p}</p> })}
        </section>
    }
}
