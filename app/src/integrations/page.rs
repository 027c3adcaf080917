//! Integrations: API tokens for scripts and other systems, made and revoked by admins. A new
//! token is shown once; the list shows what each may do, whom it acts as and when it was used.

use leptos::prelude::*;

use crate::errors::{DataTable, EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::integrations::{
    create_api_token, list_api_tokens, revoke_api_token, ApiTokenView, NewApiToken, TOKEN_SCOPES,
};
use crate::time::format_utc;
use crate::{Me, Scope};

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let me = use_context::<Me>();
    if !me.as_ref().is_some_and(|m| m.can(Scope::SettingsWrite)) {
        return view! { <Forbidden page="integrations"/> }.into_any();
    }
    let version = RwSignal::new(0u32);
    let tokens = Resource::new(move || version.get(), |_| list_api_tokens());
    let made = RwSignal::new(None::<NewApiToken>);
    view! {
        <PageHeader title="Integrations" subtitle="API tokens let your scripts and systems use Switchboard's REST API."/>
        <div class="grid gap-8 p-8 lg:grid-cols-[1fr_24rem]">
            <section aria-labelledby="tokens-heading" class="min-w-0 space-y-4">
                <div class="flex items-baseline justify-between gap-4">
                    <h2 id="tokens-heading" class="text-lg font-semibold">"API tokens"</h2>
                    <a href="/api/v1/docs" class="text-sm font-medium text-sky-700 underline hover:text-sky-900">"API reference"</a>
                </div>
                {move || made.get().map(|m| view! { <NewTokenShown made=m/> })}
                <Transition fallback=|| view! { <Loading what="API tokens"/> }>
                    {move || Suspend::new(async move {
                        match tokens.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(list) if list.is_empty() => view! {
                                <EmptyState title="No API tokens yet" body="Create one on the right and use it as a Bearer token with /api/v1."/>
                            }.into_any(),
                            Ok(list) => view! {
                                <DataTable testid="token-table" columns=vec!["Name", "Token", "May", "Acts as", "Created", "Last used", ""]>
                                    {list.into_iter().map(|t| view! { <TokenRow t version/> }).collect_view()}
                                </DataTable>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <aside>
                <TokenForm version made/>
            </aside>
        </div>
    }
    .into_any()
}

/// The token just made, with the one chance to copy it.
#[component]
fn NewTokenShown(made: NewApiToken) -> impl IntoView {
    let token = made.token.clone();
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let text = token.clone();
        leptos::task::spawn_local(async move { copied.set(Some(crate::browser::copy_text(&text).await)) });
    };
    view! {
        <div role="status" class="rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-sm" data-testid="new-token">
            <p class="font-semibold text-emerald-900">{format!("Token “{}” created", made.view.name)}</p>
            <p class="mt-1 text-emerald-900">"Copy it now: Switchboard keeps only a fingerprint of it and cannot show it again."</p>
            <div class="mt-2 flex gap-2">
                <label for="new-token-value" class="sr-only">"The token, to copy"</label>
                <input id="new-token-value" readonly type="text" class="block w-full rounded-md border border-emerald-300 bg-white px-3 py-2 font-mono text-xs"
                    value=made.token.clone()/>
                <button type="button" class="shrink-0 rounded-md bg-emerald-700 px-3 py-2 text-xs font-semibold text-white hover:bg-emerald-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-500"
                    on:click=copy>{move || match copied.get() { Some(true) => "Copied", Some(false) => "Select and copy it", None => "Copy" }}</button>
            </div>
        </div>
    }
}

#[component]
fn TokenRow(t: ApiTokenView, version: RwSignal<u32>) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let id = t.id;
    let name = t.name.clone();
    let revoke = move |_| {
        leptos::task::spawn_local(async move {
            match revoke_api_token(id).await {
                Ok(_) => version.update(|v| *v += 1),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let revoked = t.revoked_at.is_some();
    view! {
        <tr data-testid="token-row" class=if revoked { "text-slate-400" } else { "" }>
            <td class="px-4 py-2 font-medium">{t.name.clone()}</td>
            <td class="px-4 py-2 font-mono text-xs">{format!("{}…", t.prefix)}</td>
            <td class="px-4 py-2">
                <ul class="flex flex-wrap gap-1">
                    {t.scopes.iter().map(|s| view! { <li class="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">{s.clone()}</li> }).collect_view()}
                </ul>
            </td>
            <td class="px-4 py-2">{t.acts_as.clone()}</td>
            <td class="whitespace-nowrap px-4 py-2 text-slate-600">{format_utc(t.created_at)}</td>
            <td class="whitespace-nowrap px-4 py-2 text-slate-600">{t.last_used_at.map(format_utc).unwrap_or_else(|| "Never".into())}</td>
            <td class="px-4 py-2 text-right">
                {if let Some(at) = t.revoked_at {
                    view! { <span class="text-xs">{format!("Revoked {}", format_utc(at))}</span> }.into_any()
                } else {
                    view! {
                        <button type="button" aria-label=format!("Revoke {name}")
                            class="rounded-md border border-red-200 px-2 py-1 text-xs text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500"
                            on:click=revoke>"Revoke"</button>
                    }.into_any()
                }}
                {move || problem.get().map(|p| view! { <p role="alert" class="mt-1 text-xs text-red-700">{p}</p> })}
            </td>
        </tr>
    }
}

#[component]
fn TokenForm(version: RwSignal<u32>, made: RwSignal<Option<NewApiToken>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![Scope::OperatorRead.as_str().to_string()]);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move || {
        let (n, scopes) = (name.get_untracked(), chosen.get_untracked().join(" "));
        busy.set(true);
        leptos::task::spawn_local(async move {
            match create_api_token(n, scopes).await {
                Ok(token) => {
                    problem.set(None);
                    name.set(String::new());
                    made.set(Some(token));
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="space-y-4 rounded-lg border border-slate-200 bg-white p-4" aria-label="New API token" data-testid="token-form"
            on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <h3 class="font-semibold">"New API token"</h3>
            <p class="text-xs text-slate-500">"The token acts as you: what it may do is what you may do, narrowed to the scopes below."</p>
            <div>
                <label for="token-name" class="block text-sm font-medium">"Token name"</label>
                <input id="token-name" type="text" maxlength="80" placeholder="CRM sync" class=INPUT
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            </div>
            <fieldset>
                <legend class="text-sm font-medium">"It may"</legend>
                <div class="mt-2 space-y-2">
                    {TOKEN_SCOPES.into_iter().map(|(scope, what)| {
                        let value = scope.as_str();
                        let id = format!("token-scope-{}", value.replace([':', '_'], "-"));
                        view! {
                            <div class="flex items-start gap-2">
                                <input type="checkbox" id=id.clone() class="mt-0.5 h-4 w-4 rounded border-slate-300 text-sky-600 focus:ring-sky-500"
                                    prop:checked=move || chosen.with(|c| c.iter().any(|s| s == value))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| {
                                            c.retain(|s| s != value);
                                            if on { c.push(value.to_string()); }
                                        });
                                    }/>
                                <label for=id class="text-sm">
                                    <span class="font-mono text-xs">{value}</span>
                                    <span class="block text-xs text-slate-500">{what}</span>
                                </label>
                            </div>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            {move || problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700" data-testid="token-problem">{p}</p> })}
            <button type="submit" disabled=move || busy.get()
                class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 disabled:opacity-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2">
                "Create token"
            </button>
        </form>
    }
}
