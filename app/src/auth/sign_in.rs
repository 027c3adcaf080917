//! The sign-in page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::auth::SignIn;

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let notice = move || match query.with(|q| q.get("reason")).as_deref() {
        Some("expired") => Some("Your session has expired. Please sign in again."),
        Some("signed_out") => Some("You are signed out."),
        _ => None,
    };
    let error = move || sign_in.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    let pending = sign_in.pending();

    view! {
        <Title text="Sign in"/>
        <div class="flex min-h-full items-center justify-center px-4 py-12">
            <div class="w-full max-w-sm">
                <div class="mb-8 flex items-center gap-3">
                    <span class="flex h-10 w-10 items-center justify-center rounded-lg bg-sky-500 text-lg font-bold text-white" aria-hidden="true">"S"</span>
                    <div>
                        <h1 class="text-xl font-semibold">"Sign in to Switchboard"</h1>
                        <p class="text-sm text-slate-500">"The live operator console"</p>
                    </div>
                </div>
                {move || notice().map(|n| view! {
                    <p class="mb-4 rounded-md border border-sky-200 bg-sky-50 p-3 text-sm text-sky-900" role="status" data-testid="sign-in-notice">{n}</p>
                })}
                <ActionForm action=sign_in attr:class="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                    <input type="hidden" name="next" prop:value=next/>
                    <div>
                        <label for="email" class="block text-sm font-medium text-slate-700">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required
                            class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"/>
                    </div>
                    <div>
                        <label for="password" class="block text-sm font-medium text-slate-700">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required
                            class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"/>
                    </div>
                    {move || error().map(|e| view! {
                        <p class="rounded-md bg-red-50 p-3 text-sm text-red-800" role="alert" data-testid="sign-in-error">{e}</p>
                    })}
                    <button type="submit" disabled=move || pending.get()
                        class="w-full rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2 disabled:opacity-60">
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="mt-4 text-center text-sm">
                    <a href="/forgot-password" class="text-sky-700 underline hover:text-sky-900">"Forgot your password?"</a>
                </p>
            </div>
        </div>
    }
}
