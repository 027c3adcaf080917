//! A forgotten password: asking for a reset link, and choosing a new password with it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::auth::{get_password_reset, RequestPasswordReset, ResetPassword};

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";
const BUTTON: &str = "w-full rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2 disabled:opacity-60";

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let pending = request.pending();
    view! {
        <Title text="Forgot your password?"/>
        <div class="flex min-h-full items-center justify-center px-4 py-12">
            <div class="w-full max-w-sm">
                <h1 class="text-xl font-semibold">"Forgot your password?"</h1>
                <p class="mt-1 text-sm text-slate-600">"Give the email you sign in with. If it belongs to an account, a link to choose a new password goes there."</p>
                {move || match request.value().get() {
                    Some(Ok(answer)) => view! {
                        <div class="mt-6 rounded-lg border border-sky-200 bg-sky-50 p-4 text-sm text-sky-900" role="status" data-testid="reset-requested">
                            {if answer.emailed {
                                view! {
                                    <p>"If an account uses that email, a link to reset its password is on its way. It works once, for one hour."</p>
                                }.into_any()
                            } else {
                                view! {
                                    <p>"This Switchboard cannot send e-mail. Ask whoever runs it for a reset link: they make one with "<code class="rounded bg-white px-1">"switchboard reset-password --email …"</code>" on the server."</p>
                                }.into_any()
                            }}
                        </div>
                    }.into_any(),
                    other => view! {
                        <ActionForm action=request attr:class="mt-6 space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                            <div>
                                <label for="email" class="block text-sm font-medium text-slate-700">"Email"</label>
                                <input id="email" name="email" type="email" autocomplete="username" required class=INPUT/>
                            </div>
                            {other.and_then(|r| r.err()).map(|e| view! { <p role="alert" class="rounded-md bg-red-50 p-3 text-sm text-red-800">{e.to_string()}</p> })}
                            <button type="submit" disabled=move || pending.get() class=BUTTON>
                                {move || if pending.get() { "Sending…" } else { "Send me a reset link" }}
                            </button>
                        </ActionForm>
                    }.into_any(),
                }}
                <p class="mt-4 text-sm"><a href="/sign-in" class="text-sky-700 underline hover:text-sky-900">"Back to sign in"</a></p>
            </div>
        </div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token")).unwrap_or_default();
    let reset = Resource::new(token, get_password_reset);
    let choose = ServerAction::<ResetPassword>::new();
    let pending = choose.pending();
    let error = move || choose.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <Title text="Choose a new password"/>
        <div class="flex min-h-full items-center justify-center px-4 py-12">
            <div class="w-full max-w-sm">
                <Suspense fallback=|| view! { <p class="text-sm text-slate-500" role="status">"Checking the link…"</p> }>
                    {move || Suspend::new(async move {
                        match reset.await {
                            Err(e) => view! {
                                <div role="alert" class="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800" data-testid="reset-problem">
                                    <p class="font-semibold">"This link cannot be used."</p>
                                    <p class="mt-1">{e.to_string()}</p>
                                    <p class="mt-2"><a href="/forgot-password" class="underline">"Ask for a new link"</a></p>
                                </div>
                            }.into_any(),
                            Ok(found) => view! {
                                <h1 class="text-xl font-semibold">"Choose a new password"</h1>
                                <p class="mt-1 text-sm text-slate-600">{format!("For {} ({}). Every device signed in to this account is signed out.", found.name, found.email)}</p>
                                <ActionForm action=choose attr:class="mt-6 space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                                    <input type="hidden" name="token" value=token()/>
                                    <NewPasswordFields label="New password (at least 10 characters)"/>
                                    {move || error().map(|e| view! { <p role="alert" class="rounded-md bg-red-50 p-3 text-sm text-red-800">{e}</p> })}
                                    <button type="submit" disabled=move || pending.get() class=BUTTON>
                                        {move || if pending.get() { "Saving…" } else { "Save and sign in" }}
                                    </button>
                                </ActionForm>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// A new password and the same again (`password`, `confirm`), for the forms that set one.
#[component]
pub fn NewPasswordFields(label: &'static str) -> impl IntoView {
    view! {
        <div>
            <label for="password" class="block text-sm font-medium text-slate-700">{label}</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" class=INPUT/>
        </div>
        <div>
            <label for="confirm" class="block text-sm font-medium text-slate-700">"The same password again"</label>
            <input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="10" class=INPUT/>
        </div>
    }
}
