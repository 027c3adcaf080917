//! Canned responses: write, change and delete pre-written replies for oneself, an operator
//! group or the whole workspace. In the composer, `/` and a shortcut inserts one; its macros
//! are filled in when it is sent.

use leptos::prelude::*;

use crate::canned::{delete_canned, list_canned, save_canned};
use crate::canned::{CannedResponse, CannedScope};
use crate::errors::{EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::macros::MACROS;
use crate::people::list_groups;
use crate::people::GroupSummary;
use crate::{Me, Scope};

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";

#[component]
pub fn CannedPage() -> impl IntoView {
    let me = use_context::<Me>();
    let allowed = me.as_ref().is_some_and(|m| m.can(Scope::OperatorRead));
    if !allowed {
        return view! { <Forbidden page="Canned responses"/> }.into_any();
    }
    let can_write = me.as_ref().is_some_and(|m| m.can(Scope::OperatorWrite));
    let version = RwSignal::new(0u32);
    let list = Resource::new(move || version.get(), |_| list_canned());
    let groups = Resource::new(|| (), |_| list_groups());
    let editing = RwSignal::new(None::<CannedResponse>);
    view! {
        <PageHeader title="Canned responses" subtitle="Pre-written replies: type / and a shortcut in the composer. Macros are filled in when you send."/>
        <div class="grid gap-8 p-8 lg:grid-cols-[1fr_24rem]">
            <section aria-labelledby="canned-list-heading">
                <h2 id="canned-list-heading" class="sr-only">"Your canned responses"</h2>
                <Transition fallback=|| view! { <Loading what="canned responses"/> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(items) if items.is_empty() => view! {
                                <EmptyState title="No canned responses yet" body="Write one on the right; it is ready in the composer at once."/>
                            }.into_any(),
                            Ok(items) => view! {
                                <ul class="space-y-3" role="list" data-testid="canned-list">
                                    {items.into_iter().map(|c| view! { <CannedItem c version editing/> }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            {can_write.then(|| view! {
                <aside class="space-y-4">
                    <Transition fallback=|| view! { <Loading what="the form"/> }>
                        {move || Suspend::new(async move {
                            let groups = groups.await.unwrap_or_default();
                            view! { <CannedForm groups version editing/> }
                        })}
                    </Transition>
                    <div class="rounded-lg border border-slate-200 bg-white p-4 text-sm">
                        <h3 class="font-semibold">"Macros"</h3>
                        <p class="mt-1 text-xs text-slate-500">"Add a fallback after a bar for when the value is missing: " <code class="rounded bg-slate-100 px-1">"{{contact.first_name | there}}"</code></p>
                        <dl class="mt-2 space-y-1">
                            {MACROS.into_iter().map(|(m, what)| view! {
                                <div class="flex justify-between gap-2 text-xs"><dt><code class="rounded bg-slate-100 px-1">{format!("{{{{{m}}}}}")}</code></dt><dd class="text-slate-600">{what}</dd></div>
                            }).collect_view()}
                        </dl>
                    </div>
                </aside>
            })}
        </div>
    }
    .into_any()
}

fn scope_label(c: &CannedResponse) -> String {
    match c.scope {
        CannedScope::Workspace => "Everyone in the workspace".into(),
        CannedScope::Group => format!("Group {}", c.group.clone().unwrap_or_default()),
        CannedScope::Personal => "Only you".into(),
    }
}

#[component]
fn CannedItem(c: CannedResponse, version: RwSignal<u32>, editing: RwSignal<Option<CannedResponse>>) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let id = c.id;
    let remove = move |_| {
        leptos::task::spawn_local(async move {
            match delete_canned(id).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let for_edit = c.clone();
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-4" data-testid="canned-item">
            <div class="flex items-start justify-between gap-3">
                <div class="min-w-0">
                    <p class="font-semibold"><span class="font-mono text-sm text-sky-700">{format!("/{}", c.shortcut)}</span>" " {c.title.clone()}</p>
                    <p class="text-xs text-slate-500">{scope_label(&c)}</p>
                </div>
                {c.editable.then(|| view! {
                    <div class="flex shrink-0 gap-2">
                        <button type="button" class="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                            on:click=move |_| editing.set(Some(for_edit.clone()))>"Edit"</button>
                        <button type="button" class="rounded-md border border-red-200 px-2 py-1 text-xs text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500"
                            on:click=remove>"Delete"</button>
                    </div>
                })}
            </div>
            <p class="mt-2 whitespace-pre-wrap text-sm text-slate-700">{c.body.clone()}</p>
            {move || problem.get().map(|p| view! { <p role="alert" class="mt-2 text-sm text-red-700">{p}</p> })}
        </li>
    }
}

#[component]
fn CannedForm(
    groups: Vec<GroupSummary>,
    version: RwSignal<u32>,
    editing: RwSignal<Option<CannedResponse>>,
) -> impl IntoView {
    let me = use_context::<Me>();
    let my_id = me.as_ref().map(|m| m.member_id).unwrap_or_default();
    let admin = me.as_ref().is_some_and(|m| m.can(Scope::SettingsWrite));
    let supervisor = me.as_ref().is_some_and(|m| m.can(Scope::ConversationsReadAll));
    let my_groups: Vec<GroupSummary> = groups
        .into_iter()
        .filter(|g| supervisor || g.member_ids.contains(&my_id))
        .collect();
    let scope = RwSignal::new(String::from("personal"));
    let shortcut = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    // Editing fills the form with the response.
    Effect::new(move |_| {
        if let Some(c) = editing.get() {
            scope.set(match c.scope {
                CannedScope::Group => format!("group:{}", c.group_id.unwrap_or_default()),
                other => other.as_str().to_string(),
            });
            shortcut.set(c.shortcut);
            title.set(c.title);
            body.set(c.body);
            saved.set(false);
        }
    });
    let reset = move || {
        editing.set(None);
        shortcut.set(String::new());
        title.set(String::new());
        body.set(String::new());
    };
    let submit = move || {
        let id = editing.get_untracked().map(|c| c.id.to_string()).unwrap_or_default();
        let chosen = scope.get_untracked();
        let (scope_name, group) = match chosen.split_once(':') {
            Some((s, g)) => (s.to_string(), g.to_string()),
            None => (chosen, String::new()),
        };
        let (s, t, b) = (shortcut.get_untracked(), title.get_untracked(), body.get_untracked());
        leptos::task::spawn_local(async move {
            match save_canned(id, scope_name, group, s, t, b).await {
                Ok(_) => {
                    problem.set(None);
                    saved.set(true);
                    reset();
                    version.update(|v| *v += 1);
                }
                Err(e) => {
                    saved.set(false);
                    problem.set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <form class="space-y-4 rounded-lg border border-slate-200 bg-white p-4" aria-label="Canned response" data-testid="canned-form"
            on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <h3 class="font-semibold">{move || if editing.get().is_some() { "Change the canned response" } else { "New canned response" }}</h3>
            <div>
                <label for="canned-scope" class="block text-sm font-medium">"Available to"</label>
                <select id="canned-scope" class=INPUT disabled=move || editing.get().is_some() on:change=move |ev| scope.set(event_target_value(&ev))>
                    <option value="personal" selected=move || scope.get() == "personal">"Only me"</option>
                    {my_groups.into_iter().map(|g| {
                        let value = format!("group:{}", g.id);
                        let check = value.clone();
                        view! { <option value=value selected=move || scope.get() == check>{format!("Group {}", g.name)}</option> }
                    }).collect_view()}
                    {admin.then(|| view! { <option value="workspace" selected=move || scope.get() == "workspace">"Everyone in the workspace"</option> })}
                </select>
            </div>
            <div>
                <label for="canned-shortcut" class="block text-sm font-medium">"Shortcut"</label>
                <input id="canned-shortcut" type="text" maxlength="32" placeholder="refund" class=INPUT
                    prop:value=move || shortcut.get() on:input=move |ev| shortcut.set(event_target_value(&ev))/>
            </div>
            <div>
                <label for="canned-title" class="block text-sm font-medium">"Title"</label>
                <input id="canned-title" type="text" maxlength="80" class=INPUT
                    prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>
            </div>
            <div>
                <label for="canned-body" class="block text-sm font-medium">"Text"</label>
                <textarea id="canned-body" rows="5" maxlength="4000" class=INPUT placeholder="Hi {{contact.first_name | there}}, …"
                    prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            </div>
            {move || problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700" data-testid="canned-problem">{p}</p> })}
            {move || saved.get().then(|| view! { <p role="status" class="text-sm text-emerald-700">"Saved."</p> })}
            <div class="flex gap-2">
                <button type="submit" class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2">
                    {move || if editing.get().is_some() { "Save changes" } else { "Add canned response" }}
                </button>
                {move || editing.get().is_some().then(|| view! {
                    <button type="button" class="rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100" on:click=move |_| reset()>"Cancel"</button>
                })}
            </div>
        </form>
    }
}
