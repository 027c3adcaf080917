//! Accepting an invitation: the invited person chooses a password and is signed in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::auth::password::NewPasswordFields;
use crate::auth::{get_invitation, AcceptInvitation};

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token")).unwrap_or_default();
    let invitation = Resource::new(token, get_invitation);
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = move || accept.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <Title text="Join your team"/>
        <div class="flex min-h-full items-center justify-center px-4 py-12">
            <div class="w-full max-w-sm">
                <Suspense fallback=|| view! { <p class="text-sm text-slate-500" role="status">"Checking the invitation…"</p> }>
                    {move || Suspend::new(async move {
                        match invitation.await {
                            Err(e) => view! {
                                <div role="alert" class="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800" data-testid="invite-problem">
                                    <p class="font-semibold">"This invitation cannot be used."</p>
                                    <p class="mt-1">{e.to_string()}</p>
                                </div>
                            }.into_any(),
                            Ok(inv) => view! {
                                <h1 class="text-xl font-semibold">{format!("Join {} on Switchboard", inv.workspace)}</h1>
                                <p class="mt-1 text-sm text-slate-600">{format!("Welcome, {}. Choose a password for {}.", inv.name, inv.email)}</p>
                                <ActionForm action=accept attr:class="mt-6 space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                                    <input type="hidden" name="token" value=token()/>
                                    <NewPasswordFields label="Password (at least 10 characters)"/>
                                    {move || error().map(|e| view! { <p role="alert" class="rounded-md bg-red-50 p-3 text-sm text-red-800">{e}</p> })}
                                    <button type="submit" class="w-full rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Join and sign in"</button>
                                </ActionForm>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}
