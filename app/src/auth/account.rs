//! The signed-in member's own account: who they are, and changing their password.

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
            {me.map(|me| view! {
                <dl data-testid="account-details" class="mt-4 grid grid-cols-[8rem_1fr] gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
                    <dt class="text-slate-500">"Name"</dt><dd>{me.name.clone()}</dd>
                    <dt class="text-slate-500">"Email"</dt><dd>{me.email.clone()}</dd>
                    <dt class="text-slate-500">"Role"</dt><dd>{me.role.label()}</dd>
                    <dt class="text-slate-500">"Workspace"</dt><dd>{me.workspace_name.clone()}</dd>
                </dl>
            })}
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
