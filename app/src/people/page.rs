//! People: the team, its operator groups, and what each role may do.

use leptos::prelude::*;

use crate::errors::{DataTable, EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::people::{
    change_role, create_group, delete_group, group_member, group_workflow, list_groups, list_members,
    set_member_active, set_member_chat_limit, update_group, InviteMember,
};
use crate::people::{GroupSummary, MemberSummary};
use crate::time::format_utc;
use crate::workflows::list_workflows;
use crate::workflows::WorkflowSummary;
use crate::{Me, Role, Scope};

#[component]
pub fn PeoplePage() -> impl IntoView {
    let allowed = use_context::<Me>().is_some_and(|me| me.can(Scope::MembersRead));
    if !allowed {
        return view! { <Forbidden page="People"/> }.into_any();
    }
    let me = use_context::<Me>();
    let manage = me.as_ref().is_some_and(|m| m.can(Scope::MembersWrite));
    let my_id = me.as_ref().map(|m| m.member_id).unwrap_or_default();
    let version = RwSignal::new(0u32);
    let problem = RwSignal::new(None::<String>);
    let members = Resource::new(move || version.get(), |_| list_members());
    let manage_groups = me.as_ref().is_some_and(|m| m.can(Scope::MembersWrite));
    let groups_version = RwSignal::new(0u32);
    let group_problem = RwSignal::new(None::<String>);
    let groups = Resource::new(move || groups_version.get(), |_| list_groups());
    let workflows = Resource::new(|| (), |_| list_workflows());
    view! {
        <PageHeader title="People" subtitle="Team members, operator groups and the permissions of each role."/>
        <div class="space-y-10 p-8">
            <section aria-labelledby="members-heading">
                <h2 id="members-heading" class="mb-3 text-base font-semibold">"Team members"</h2>
                {manage.then(|| view! { <InviteForm version/> })}
                {move || problem.get().map(|p| view! { <p role="alert" class="mb-3 rounded-md bg-red-50 p-3 text-sm text-red-800" data-testid="people-problem">{p}</p> })}
                <Transition fallback=|| view! { <Loading what="team members"/> }>
                    {move || Suspend::new(async move {
                        match members.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(list) => view! {
                                <DataTable
                                    testid="members-table"
                                    columns={
                                        let mut columns = vec!["Name", "Email", "Role", "Chat limit", "State", "Added"];
                                        if manage { columns.push(""); }
                                        columns
                                    }
                                >
                                    {list.into_iter().map(|m| view! { <MemberRow m=m manage=manage me=my_id version problem/> }).collect_view()}
                                </DataTable>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section aria-labelledby="groups-heading">
                <h2 id="groups-heading" class="mb-3 text-base font-semibold">"Operator groups"</h2>
                {manage_groups.then(|| view! { <CreateGroup version=groups_version problem=group_problem/> })}
                {move || group_problem.get().map(|p| view! { <p role="alert" class="mb-3 rounded-md bg-red-50 p-3 text-sm text-red-800" data-testid="group-problem">{p}</p> })}
                <Transition fallback=|| view! { <Loading what="operator groups"/> }>
                    {move || Suspend::new(async move {
                        let (groups, members, workflows) = (groups.await, members.await, workflows.await);
                        match (groups, members, workflows) {
                            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => view! { <ErrorPanel error=e/> }.into_any(),
                            (Ok(list), _, _) if list.is_empty() => view! {
                                <EmptyState title="No operator groups" body="Operator groups connect team members to the workflows they handle."/>
                            }.into_any(),
                            (Ok(list), Ok(team), Ok(flows)) => view! {
                                <ul class="grid gap-4 md:grid-cols-2" role="list">
                                    {list.into_iter().map(|g| view! {
                                        <GroupCard g=g team=team.clone() flows=flows.clone() manage=manage_groups version=groups_version problem=group_problem/>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <PermissionsTable/>
        </div>
    }
    .into_any()
}

const CELL: &str =
    "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500";

/// Adds a member by invitation and shows the link to hand over.
#[component]
fn InviteForm(version: RwSignal<u32>) -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = invite.value().get() {
            version.update(|v| *v += 1);
        }
    });
    let link = move || match invite.value().get() {
        Some(Ok(inv)) => Some(inv),
        _ => None,
    };
    view! {
        <details class="mb-4 rounded-lg border border-slate-200 bg-white p-4" data-testid="invite">
            <summary class="cursor-pointer text-sm font-semibold">"Add a team member"</summary>
            <ActionForm action=invite attr:class="mt-3 flex flex-wrap items-end gap-3">
                <div>
                    <label for="invite-name" class="block text-xs font-medium text-slate-700">"Name"</label>
                    <input id="invite-name" name="name" type="text" required maxlength="100" class=CELL/>
                </div>
                <div>
                    <label for="invite-email" class="block text-xs font-medium text-slate-700">"Email"</label>
                    <input id="invite-email" name="email" type="email" required class=CELL/>
                </div>
                <div>
                    <label for="invite-role" class="block text-xs font-medium text-slate-700">"Role"</label>
                    <select id="invite-role" name="role" class=CELL>
                        {Role::ALL.into_iter().rev().map(|r| view! { <option value=r.as_str() selected=r == Role::Agent>{r.label()}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Create invitation"</button>
            </ActionForm>
            {move || match invite.value().get() {
                Some(Err(e)) => Some(view! { <p role="alert" class="mt-3 text-sm text-red-700">{e.to_string()}</p> }.into_any()),
                _ => None,
            }}
            {move || link().map(|inv| {
                let url = crate::socket::site_url(&inv.path);
                view! {
                    <div class="mt-3 rounded-md bg-emerald-50 p-3 text-sm" role="status">
                        <label for="invite-link" class="block font-medium text-emerald-900">"Invitation link — send it to them; it works once, until " {format_utc(inv.expires_at)}</label>
                        <input id="invite-link" readonly data-testid="invite-link" class="mt-1 w-full rounded border border-emerald-200 bg-white px-2 py-1 font-mono text-xs" value=url/>
                        {inv.emailed.then(|| view! { <p class="mt-2 text-emerald-900" data-testid="invite-emailed">"We also e-mailed the link to them."</p> })}
                        {inv.email_problem.clone().map(|p| view! { <p class="mt-2 text-amber-900" data-testid="invite-email-problem">{format!("The e-mail could not be sent ({p}); hand the link over yourself.")}</p> })}
                    </div>
                }
            })}
        </details>
    }
}

#[component]
fn MemberRow(
    m: MemberSummary,
    manage: bool,
    me: i64,
    version: RwSignal<u32>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = m.id;
    let mine = id == me;
    let done = move |r: Result<MemberSummary, crate::AppError>| match r {
        Ok(_) => {
            problem.set(None);
            version.update(|v| *v += 1);
        }
        Err(e) => problem.set(Some(e.to_string())),
    };
    let role_cell = if manage && !mine {
        let current = m.role;
        view! {
            <label class="sr-only" for=format!("role-{id}")>{format!("Role of {}", m.name)}</label>
            <select id=format!("role-{id}") class=CELL data-testid="role-select"
                on:change=move |ev| {
                    let role = event_target_value(&ev);
                    leptos::task::spawn_local(async move { done(change_role(id, role).await) });
                }>
                {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == current>{r.label()}</option> }).collect_view()}
            </select>
        }.into_any()
    } else {
        view! { {m.role.label()} }.into_any()
    };
    let limit_cell = if manage {
        let value = m.chat_limit.map(|l| l.to_string()).unwrap_or_default();
        view! {
            <label class="sr-only" for=format!("limit-{id}")>{format!("Chat limit of {}", m.name)}</label>
            <input id=format!("limit-{id}") type="number" min="1" max="100" placeholder="default" class=format!("{CELL} w-24") value=value
                on:change=move |ev| {
                    let limit = event_target_value(&ev);
                    leptos::task::spawn_local(async move { done(set_member_chat_limit(id, limit).await) });
                }/>
        }.into_any()
    } else {
        view! { {m.chat_limit.map(|l| l.to_string()).unwrap_or_else(|| "default".into())} }.into_any()
    };
    let state = if !m.active {
        "Deactivated"
    } else if m.invited {
        "Invited"
    } else {
        "Active"
    };
    let active = m.active;
    view! {
        <tr data-testid="member-row" data-email=m.email.clone()>
            <td class="px-4 py-2 font-medium">{m.name.clone()}</td>
            <td class="px-4 py-2">{m.email.clone()}</td>
            <td class="px-4 py-2">{role_cell}</td>
            <td class="px-4 py-2">{limit_cell}</td>
            <td class="px-4 py-2" data-testid="member-state">{state}</td>
            <td class="px-4 py-2 text-slate-500">{format_utc(m.created_at)}</td>
            {manage.then(|| view! {
                <td class="px-4 py-2 text-right">
                    {(!mine).then(|| view! {
                        <button type="button" class="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                            on:click=move |_| { leptos::task::spawn_local(async move { done(set_member_active(id, !active).await) }); }>
                            {if active { "Deactivate" } else { "Reactivate" }}
                        </button>
                    })}
                </td>
            })}
        </tr>
    }
}

#[component]
fn CreateGroup(version: RwSignal<u32>, problem: RwSignal<Option<String>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let submit = move || {
        let (n, d) = (name.get_untracked(), description.get_untracked());
        leptos::task::spawn_local(async move {
            match create_group(n, d).await {
                Ok(_) => {
                    problem.set(None);
                    name.set(String::new());
                    description.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <form class="mb-4 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4" aria-label="Create an operator group"
            on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div>
                <label for="group-name" class="block text-xs font-medium text-slate-700">"Group name"</label>
                <input id="group-name" type="text" maxlength="80" class=CELL prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            </div>
            <div class="min-w-[16rem] flex-1">
                <label for="group-description" class="block text-xs font-medium text-slate-700">"Description (optional)"</label>
                <input id="group-description" type="text" maxlength="500" class=format!("{CELL} w-full") prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/>
            </div>
            <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Create operator group"</button>
        </form>
    }
}

#[component]
fn GroupCard(
    g: GroupSummary,
    team: Vec<MemberSummary>,
    flows: Vec<WorkflowSummary>,
    manage: bool,
    version: RwSignal<u32>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = g.id;
    let done = move |r: Result<GroupSummary, crate::AppError>| match r {
        Ok(_) => {
            problem.set(None);
            version.update(|v| *v += 1);
        }
        Err(e) => problem.set(Some(e.to_string())),
    };
    let members: Vec<(i64, String)> = g.member_ids.iter().copied().zip(g.members.iter().cloned()).collect();
    let addable: Vec<MemberSummary> = team
        .into_iter()
        .filter(|m| m.active && !g.member_ids.contains(&m.id))
        .collect();
    let name = RwSignal::new(g.name.clone());
    let description = RwSignal::new(g.description.clone().unwrap_or_default());
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-4" data-testid="group-card" data-name=g.name.clone()>
            <div class="flex items-start justify-between gap-2">
                <div>
                    <p class="font-medium">{g.name.clone()}</p>
                    {g.description.clone().map(|d| view! { <p class="text-sm text-slate-500">{d}</p> })}
                </div>
                {manage.then(|| view! {
                    <button type="button" class="rounded-md px-2 py-1 text-sm text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-400"
                        on:click=move |_| {
                            leptos::task::spawn_local(async move {
                                match delete_group(id).await {
                                    Ok(()) => { problem.set(None); version.update(|v| *v += 1); }
                                    Err(e) => problem.set(Some(e.to_string())),
                                }
                            });
                        }>"Delete"</button>
                })}
            </div>
            <h3 class="mt-3 text-xs font-semibold uppercase text-slate-500">"Members"</h3>
            <ul class="mt-1 flex flex-wrap gap-2" role="list">
                {if members.is_empty() { Some(view! { <li class="text-sm text-slate-500">"none"</li> }) } else { None }}
                {members.into_iter().map(|(mid, mname)| view! {
                    <li class="flex items-center gap-1 rounded-full bg-slate-100 px-2 py-0.5 text-sm">
                        {mname.clone()}
                        {manage.then(|| view! {
                            <button type="button" class="rounded-full px-1 text-slate-500 hover:text-red-700" aria-label=format!("Remove {mname}")
                                on:click=move |_| { leptos::task::spawn_local(async move { done(group_member(id, mid, false).await) }); }>"×"</button>
                        })}
                    </li>
                }).collect_view()}
            </ul>
            {manage.then(|| view! {
                <div class="mt-2">
                    <label class="sr-only" for=format!("add-member-{id}")>{format!("Add a member to {}", g.name)}</label>
                    <select id=format!("add-member-{id}") class=CELL data-testid="add-member"
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            if let Ok(mid) = value.parse::<i64>() {
                                leptos::task::spawn_local(async move { done(group_member(id, mid, true).await) });
                            }
                        }>
                        <option value="">"Add a member…"</option>
                        {addable.into_iter().map(|m| view! { <option value=m.id.to_string()>{format!("{} ({})", m.name, m.role.label())}</option> }).collect_view()}
                    </select>
                </div>
            })}
            <h3 class="mt-3 text-xs font-semibold uppercase text-slate-500">"Workflows"</h3>
            <div class="mt-1 space-y-1">
                {flows.into_iter().map(|w| {
                    let wid = w.id;
                    let on = g.workflow_ids.contains(&wid);
                    view! {
                        <label class="flex items-center gap-2 text-sm">
                            <input type="checkbox" class="h-4 w-4" checked=on disabled=!manage
                                on:change=move |ev| {
                                    let assigned = event_target_checked(&ev);
                                    leptos::task::spawn_local(async move { done(group_workflow(id, wid, assigned).await) });
                                }/>
                            {w.name.clone()}
                        </label>
                    }
                }).collect_view()}
            </div>
            {manage.then(|| view! {
                <details class="mt-3">
                    <summary class="cursor-pointer text-sm text-sky-800">"Rename or describe"</summary>
                    <form class="mt-2 space-y-2" on:submit=move |ev| {
                        ev.prevent_default();
                        let (n, d) = (name.get_untracked(), description.get_untracked());
                        leptos::task::spawn_local(async move { done(update_group(id, n, d).await) });
                    }>
                        <label class="block text-xs font-medium text-slate-700">"Name"
                            <input type="text" maxlength="80" class=format!("{CELL} mt-1 w-full") prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                        </label>
                        <label class="block text-xs font-medium text-slate-700">"Description"
                            <input type="text" maxlength="500" class=format!("{CELL} mt-1 w-full") prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/>
                        </label>
                        <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50">"Save"</button>
                    </form>
                </details>
            })}
        </li>
    }
}

/// The permissions of each role, read from the same table the server enforces (with what the
/// workspace's plan adds).
#[component]
fn PermissionsTable() -> impl IntoView {
    let managers = use_context::<Me>().is_some_and(|me| me.managers_handle_chats);
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
                                    let yes = r.allows(s, managers);
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
            <p class="mt-2 text-sm text-slate-500">
                {if managers {
                    "This workspace's plan lets account managers handle chats (operator:write)."
                } else {
                    "Account managers handle chats only where the workspace's plan allows it."
                }}
            </p>
        </section>
    }
}
