//! The signed-in member's own account: who they are, how they are alerted, and changing their
//! password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::ChangePassword;
use crate::Me;

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = use_context::<Me>();
    let change = ServerAction::<ChangePassword>::new();
    let pending = change.pending();
    // A new form after each success, so the fields are empty again.
    let done = move || change.value().get().is_some_and(|r| r.is_ok());
    let error = move || change.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <Title text="Your account"/>
        <div class="mx-auto max-w-xl px-6 py-8">
            <h1 class="text-xl font-semibold">"Your account"</h1>
            {me.clone().map(|me| view! {
                <dl data-testid="account-details" class="mt-4 grid grid-cols-[8rem_1fr] gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
                    <dt class="text-slate-500">"Name"</dt><dd>{me.name.clone()}</dd>
                    <dt class="text-slate-500">"Email"</dt><dd>{me.email.clone()}</dd>
                    <dt class="text-slate-500">"Role"</dt><dd>{me.role.label()}</dd>
                    <dt class="text-slate-500">"Workspace"</dt><dd>{me.workspace_name.clone()}</dd>
                </dl>
            })}
            {me.clone().filter(|m| m.can(crate::Scope::OperatorRead)).map(|m| view! { <MyGroups me=m/> })}
            <AlertPreferencesForm/>
            <section class="mt-8" aria-labelledby="password-heading">
                <h2 id="password-heading" class="text-base font-semibold">"Change your password"</h2>
                <p class="mt-1 text-sm text-slate-600">"Your other devices are signed out; this one stays signed in."</p>
                {move || done().then(|| view! {
                    <p class="mt-4 rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900" role="status" data-testid="password-changed">
                        "Your password was changed. Other devices were signed out."
                    </p>
                })}
                <ActionForm action=change attr:class="mt-4 space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                    <div>
                        <label for="current" class="block text-sm font-medium text-slate-700">"Current password"</label>
                        <input id="current" name="current" type="password" autocomplete="current-password" required class=INPUT prop:value=move || { change.version().get(); String::new() }/>
                    </div>
                    <div>
                        <label for="password" class="block text-sm font-medium text-slate-700">"New password (at least 10 characters)"</label>
                        <input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" class=INPUT prop:value=move || { change.version().get(); String::new() }/>
                    </div>
                    <div>
                        <label for="confirm" class="block text-sm font-medium text-slate-700">"The new password again"</label>
                        <input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="10" class=INPUT prop:value=move || { change.version().get(); String::new() }/>
                    </div>
                    {move || error().map(|e| view! { <p role="alert" class="rounded-md bg-red-50 p-3 text-sm text-red-800">{e}</p> })}
                    <button type="submit" disabled=move || pending.get()
                        class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2 disabled:opacity-60">
                        {move || if pending.get() { "Changing…" } else { "Change password" }}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}

/// The operator groups the member is in, with the workflows they bring: what they can go live
/// on (every role that handles conversations may read this, not only those who see the team).
#[component]
fn MyGroups(me: Me) -> impl IntoView {
    let groups = Resource::new(|| (), |_| crate::people::list_groups());
    let mine = me.member_id;
    view! {
        <section class="mt-8" aria-labelledby="groups-heading">
            <h2 id="groups-heading" class="text-base font-semibold">"Your operator groups"</h2>
            <Transition fallback=|| view! { <crate::errors::Loading what="your groups"/> }>
                {move || Suspend::new(async move {
                    match groups.await {
                        Err(e) => view! { <crate::errors::ErrorPanel error=e/> }.into_any(),
                        Ok(list) => {
                            let list: Vec<_> = list.into_iter().filter(|g| g.member_ids.contains(&mine)).collect();
                            if list.is_empty() {
                                view! { <p class="mt-2 text-sm text-slate-600" data-testid="my-groups">"You are in no operator group yet: an admin adds you to one, and its workflows are the ones you can go live on."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="mt-3 space-y-2" role="list" data-testid="my-groups">
                                        {list.into_iter().map(|g| view! {
                                            <li class="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
                                                <p class="font-medium">{g.name}</p>
                                                {g.description.map(|d| view! { <p class="text-slate-600">{d}</p> })}
                                                <p class="mt-1 text-xs text-slate-500">{if g.workflows.is_empty() { "No workflows yet".to_string() } else { format!("Workflows: {}", g.workflows.join(", ")) }}</p>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// How the member is alerted, saved on the server as each box changes.
#[component]
fn AlertPreferencesForm() -> impl IntoView {
    let Some(alerts) = use_context::<crate::layout::Alerts>() else {
        return ().into_any();
    };
    let problem = RwSignal::new(None::<String>);
    let choice = move |label: &'static str,
                       help: &'static str,
                       id: &'static str,
                       get: fn(&crate::AlertPreferences) -> bool,
                       set: fn(&mut crate::AlertPreferences, bool)| {
        view! {
            <label class="flex items-start gap-3 text-sm">
                <input type="checkbox" id=id class="mt-0.5 h-4 w-4" aria-describedby=format!("{id}-help")
                    prop:checked=move || get(&alerts.0.get())
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        alerts.change(|a| set(a, on), problem);
                    }/>
                <span>
                    <span class="font-medium">{label}</span>
                    <span id=format!("{id}-help") class="block text-slate-500">{help}</span>
                </span>
            </label>
        }
    };
    view! {
        <section class="mt-8" aria-labelledby="alerts-heading">
            <h2 id="alerts-heading" class="text-base font-semibold">"Alerts"</h2>
            <p class="mt-1 text-sm text-slate-600">"Kept with your account, for every browser you sign in on."</p>
            <div class="mt-4 space-y-3 rounded-lg border border-slate-200 bg-white p-6 shadow-sm" data-testid="alert-preferences">
                {choice("Sound", "A chime when a conversation is offered or assigned to you, or one of yours gets a message.", "alert-sound", |a| a.sound, |a, on| a.sound = on)}
                {choice("Desktop notifications", "A notification from the browser for the same, once you have allowed it in the member menu.", "alert-desktop", |a| a.desktop, |a, on| a.desktop = on)}
                {choice("E-mail digest when away", "While you are not connected or set to away, an e-mail now and then listing your conversations with new messages and those waiting for your team.", "alert-digest", |a| a.email_digest, |a, on| a.email_digest = on)}
                {move || problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700">{p}</p> })}
            </div>
        </section>
    }
    .into_any()
}
