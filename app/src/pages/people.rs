//! People: the team, its operator groups, and what each role may do.

use leptos::prelude::*;

use super::errors::{EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::api::{list_groups, list_members};
use crate::model::format_utc;
use crate::{Me, Role, Scope};

#[component]
pub fn PeoplePage() -> impl IntoView {
    let allowed = use_context::<Me>().is_some_and(|me| me.can(Scope::MembersRead));
    if !allowed {
        return view! { <Forbidden page="People"/> }.into_any();
    }
    let members = Resource::new(|| (), |_| list_members());
    let groups = Resource::new(|| (), |_| list_groups());
    view! {
        <PageHeader title="People" subtitle="Team members, operator groups and the permissions of each role."/>
        <div class="space-y-10 p-8">
            <section aria-labelledby="members-heading">
                <h2 id="members-heading" class="mb-3 text-base font-semibold">"Team members"</h2>
                <Suspense fallback=|| view! { <Loading what="team members"/> }>
                    {move || Suspend::new(async move {
                        match members.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(list) => view! {
                                <table class="w-full overflow-hidden rounded-lg border border-slate-200 bg-white text-sm" data-testid="members-table">
                                    <thead class="bg-slate-50 text-left text-xs uppercase text-slate-500">
                                        <tr>
                                            <th scope="col" class="px-4 py-2">"Name"</th>
                                            <th scope="col" class="px-4 py-2">"Email"</th>
                                            <th scope="col" class="px-4 py-2">"Role"</th>
                                            <th scope="col" class="px-4 py-2">"State"</th>
                                            <th scope="col" class="px-4 py-2">"Added"</th>
                                        </tr>
                                    </thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {list.into_iter().map(|m| view! {
                                            <tr>
                                                <td class="px-4 py-2 font-medium">{m.name}</td>
                                                <td class="px-4 py-2">{m.email}</td>
                                                <td class="px-4 py-2">{m.role.label()}</td>
                                                <td class="px-4 py-2">{if m.active { "Active" } else { "Deactivated" }}</td>
                                                <td class="px-4 py-2 text-slate-500">{format_utc(m.created_at)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <section aria-labelledby="groups-heading">
                <h2 id="groups-heading" class="mb-3 text-base font-semibold">"Operator groups"</h2>
                <Suspense fallback=|| view! { <Loading what="operator groups"/> }>
                    {move || Suspend::new(async move {
                        match groups.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(list) if list.is_empty() => view! {
                                <EmptyState title="No operator groups" body="Operator groups connect team members to the workflows they handle."/>
                            }.into_any(),
                            Ok(list) => view! {
                                <ul class="grid gap-4 md:grid-cols-2" role="list">
                                    {list.into_iter().map(|g| view! {
                                        <li class="rounded-lg border border-slate-200 bg-white p-4">
                                            <p class="font-medium">{g.name}</p>
                                            {g.description.map(|d| view! { <p class="text-sm text-slate-500">{d}</p> })}
                                            <dl class="mt-3 space-y-1 text-sm">
                                                <div class="flex gap-2"><dt class="text-slate-500">"Members:"</dt><dd>{if g.members.is_empty() { "none".into() } else { g.members.join(", ") }}</dd></div>
                                                <div class="flex gap-2"><dt class="text-slate-500">"Workflows:"</dt><dd>{if g.workflows.is_empty() { "none".into() } else { g.workflows.join(", ") }}</dd></div>
                                            </dl>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <PermissionsTable/>
        </div>
    }
    .into_any()
}

/// The permissions of each role, read from the same table the server enforces.
#[component]
fn PermissionsTable() -> impl IntoView {
    view! {
        <section aria-labelledby="permissions-heading">
            <h2 id="permissions-heading" class="mb-3 text-base font-semibold">"Roles and permissions"</h2>
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                <table class="w-full text-sm" data-testid="permissions-table">
                    <thead class="bg-slate-50 text-left text-xs text-slate-500">
                        <tr>
                            <th scope="col" class="px-4 py-2">"Scope"</th>
                            {Role::ALL.into_iter().map(|r| view! { <th scope="col" class="px-4 py-2">{r.label()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {Scope::ALL.into_iter().map(|s| view! {
                            <tr>
                                <th scope="row" class="px-4 py-2 text-left font-mono text-xs font-normal">{s.as_str()}</th>
                                {Role::ALL.into_iter().map(|r| {
                                    let yes = r.has(s);
                                    view! {
                                        <td class="px-4 py-2">
                                            <span aria-hidden="true" class=if yes { "text-emerald-600" } else { "text-slate-300" }>{if yes { "✓" } else { "—" }}</span>
                                            <span class="sr-only">{if yes { "allowed" } else { "not allowed" }}</span>
                                        </td>
                                    }
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
