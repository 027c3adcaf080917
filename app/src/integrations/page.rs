//! Integrations: API tokens for scripts and other systems, made and revoked by admins (a new
//! token is shown once; the list shows what each may do, whom it acts as and when it was used),
//! and webhooks: endpoints sent signed events, with each one's delivery log and a test event.

use leptos::prelude::*;

use crate::errors::{DataTable, EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::integrations::{
    create_api_token, delete_webhook, list_api_tokens, list_webhooks, revoke_api_token, save_webhook,
    set_webhook_enabled, test_webhook, webhook_deliveries, ApiTokenView, NewApiToken, WebhookDeliveryView, WebhookView,
    TOKEN_SCOPES, WEBHOOK_EVENTS,
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
        <PageHeader title="Integrations" subtitle="API tokens let your scripts and systems use Switchboard's REST API; webhooks tell them what happens."/>
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
                                <ul class="space-y-3" role="list" data-testid="token-list">
                                    {list.into_iter().map(|t| view! { <TokenRow t version/> }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <aside>
                <TokenForm version made/>
            </aside>
            <Webhooks/>
        </div>
    }
    .into_any()
}

const BUTTON: &str = "rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500";

/// The webhooks: the endpoints on the left, the form to add or change one on the right.
#[component]
fn Webhooks() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let hooks = Resource::new(move || version.get(), |_| list_webhooks());
    let editing = RwSignal::new(None::<WebhookView>);
    view! {
        <section aria-labelledby="webhooks-heading" class="min-w-0 space-y-4">
            <div>
                <h2 id="webhooks-heading" class="text-lg font-semibold">"Webhooks"</h2>
                <p class="mt-1 text-sm text-slate-500">"Switchboard posts each event you choose to your URL as JSON, signed with the endpoint's secret (" <code class="rounded bg-slate-100 px-1 text-xs">"Switchboard-Signature"</code> "), and retries what fails."</p>
            </div>
            <Transition fallback=|| view! { <Loading what="webhooks"/> }>
                {move || Suspend::new(async move {
                    match hooks.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No webhooks yet" body="Add a URL on the right to be told when conversations and contacts change."/>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="space-y-3" role="list" data-testid="webhook-list">
                                {list.into_iter().map(|hook| view! { <WebhookItem hook version editing/> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <aside>
            <WebhookForm version editing/>
        </aside>
    }
}

#[component]
fn WebhookItem(hook: WebhookView, version: RwSignal<u32>, editing: RwSignal<Option<WebhookView>>) -> impl IntoView {
    let id = hook.id;
    let problem = RwSignal::new(None::<String>);
    let show_secret = RwSignal::new(false);
    let show_log = RwSignal::new(false);
    let log_version = RwSignal::new(0u32);
    let act = move |call: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), crate::AppError>>>>| {
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(()) => {
                    problem.set(None);
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let test = move |_| {
        leptos::task::spawn_local(async move {
            match test_webhook(id).await {
                Ok(_) => {
                    problem.set(None);
                    show_log.set(true);
                    log_version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let enabled = hook.enabled;
    let toggle = move |_| {
        act(Box::pin(
            async move { set_webhook_enabled(id, !enabled).await.map(drop) },
        ))
    };
    let remove = move |_| act(Box::pin(async move { delete_webhook(id).await }));
    let for_edit = hook.clone();
    let secret = hook.secret.clone();
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-4" data-testid="webhook-item">
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div class="min-w-0">
                    <p class="break-all font-mono text-sm">{hook.url.clone()}</p>
                    <ul class="mt-2 flex flex-wrap gap-1" aria-label="Events">
                        {hook.events.iter().map(|e| view! { <li class="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">{e.clone()}</li> }).collect_view()}
                    </ul>
                </div>
                {if hook.enabled {
                    view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800">"On"</span> }.into_any()
                } else {
                    view! { <span class="rounded-full bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700">"Off"</span> }.into_any()
                }}
            </div>
            {hook.disabled_reason.clone().map(|why| view! {
                <p role="alert" class="mt-2 rounded-md border border-red-200 bg-red-50 p-2 text-sm text-red-800" data-testid="webhook-off-reason">{why}</p>
            })}
            <div class="mt-3 flex flex-wrap gap-2">
                <button type="button" class=BUTTON disabled=!hook.enabled on:click=test>"Send test event"</button>
                <button type="button" class=BUTTON aria-expanded=move || show_log.get().to_string()
                    on:click=move |_| show_log.update(|s| *s = !*s)>{move || if show_log.get() { "Hide deliveries" } else { "Deliveries" }}</button>
                <button type="button" class=BUTTON on:click=move |_| show_secret.update(|s| *s = !*s)>
                    {move || if show_secret.get() { "Hide signing secret" } else { "Show signing secret" }}
                </button>
                <button type="button" class=BUTTON on:click=move |_| editing.set(Some(for_edit.clone()))>"Edit"</button>
                <button type="button" class=BUTTON on:click=toggle>{if hook.enabled { "Turn off" } else { "Turn on" }}</button>
                <button type="button" class="rounded-md border border-red-200 px-2 py-1 text-xs text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500"
                    on:click=remove>"Delete"</button>
            </div>
            {move || show_secret.get().then(|| view! {
                <p class="mt-2 break-all rounded bg-slate-100 px-2 py-1 font-mono text-xs" data-testid="webhook-secret">{secret.clone()}</p>
            })}
            {move || problem.get().map(|p| view! { <p role="alert" class="mt-2 text-sm text-red-700">{p}</p> })}
            {move || show_log.get().then(|| view! { <DeliveryLog id log_version/> })}
        </li>
    }
}

/// An endpoint's latest deliveries, kept up to date while shown.
#[component]
fn DeliveryLog(id: i64, log_version: RwSignal<u32>) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| {
        let handle = set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(2));
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    let log = Resource::new(move || (tick.get(), log_version.get()), move |_| webhook_deliveries(id));
    view! {
        <div class="mt-3">
            <Transition fallback=|| view! { <Loading what="deliveries"/> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="text-sm text-slate-500">"Nothing sent yet. Send a test event to try the endpoint."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <DataTable testid="delivery-log" columns=vec!["When", "Event", "Result", "Attempts", "Answer"] body_class="align-top">
                                {list.into_iter().map(|d| view! { <DeliveryRow d/> }).collect_view()}
                            </DataTable>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn DeliveryRow(d: WebhookDeliveryView) -> impl IntoView {
    let (label, class) = match d.status.as_str() {
        "delivered" => ("Delivered".to_string(), "text-emerald-700"),
        "failed" => ("Failed".to_string(), "text-red-700"),
        _ if d.attempts == 0 => ("Sending".to_string(), "text-slate-600"),
        _ => (
            format!("Retrying {}", d.next_attempt_at.map(format_utc).unwrap_or_default()),
            "text-amber-700",
        ),
    };
    let answer = match (d.response_status, d.error.clone()) {
        (Some(code), _) if d.status == "delivered" => format!("HTTP {code}"),
        (_, Some(error)) => error,
        (Some(code), None) => format!("HTTP {code}"),
        (None, None) => String::new(),
    };
    view! {
        <tr data-testid="delivery-row">
            <td class="whitespace-nowrap px-4 py-2 text-slate-600">{format_utc(d.created_at)}</td>
            <td class="px-4 py-2 font-mono text-xs">{d.event}</td>
            <td class=format!("px-4 py-2 font-medium {class}")>{label}</td>
            <td class="px-4 py-2">{d.attempts}</td>
            <td class="max-w-xs break-words px-4 py-2 text-xs text-slate-700">{answer}</td>
        </tr>
    }
}

#[component]
fn WebhookForm(version: RwSignal<u32>, editing: RwSignal<Option<WebhookView>>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(h) = editing.get() {
            url.set(h.url);
            chosen.set(h.events);
            saved.set(false);
        }
    });
    let reset = move || {
        editing.set(None);
        url.set(String::new());
        chosen.set(Vec::new());
    };
    let submit = move || {
        let id = editing.get_untracked().map(|h| h.id.to_string()).unwrap_or_default();
        let (u, events) = (url.get_untracked(), chosen.get_untracked().join(" "));
        leptos::task::spawn_local(async move {
            match save_webhook(id, u, events).await {
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
        <form novalidate class="space-y-4 rounded-lg border border-slate-200 bg-white p-4" aria-label="Webhook" data-testid="webhook-form"
            on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <h3 class="font-semibold">{move || if editing.get().is_some() { "Change the webhook" } else { "New webhook" }}</h3>
            <div>
                <label for="webhook-url" class="block text-sm font-medium">"Endpoint URL"</label>
                <input id="webhook-url" type="url" maxlength="2000" placeholder="https://crm.example.com/hooks/switchboard" class=INPUT
                    prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/>
            </div>
            <Choices legend="Send these events" id_prefix="webhook-event" items=WEBHOOK_EVENTS.to_vec() chosen/>
            {move || problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700" data-testid="webhook-problem">{p}</p> })}
            {move || saved.get().then(|| view! { <p role="status" class="text-sm text-emerald-700">"Saved."</p> })}
            <div class="flex gap-2">
                <button type="submit" class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2">
                    {move || if editing.get().is_some() { "Save webhook" } else { "Add webhook" }}
                </button>
                {move || editing.get().is_some().then(|| view! {
                    <button type="button" class="rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100" on:click=move |_| reset()>"Cancel"</button>
                })}
            </div>
        </form>
    }
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
    let used = t
        .last_used_at
        .map(|at| format!("last used {}", format_utc(at)))
        .unwrap_or_else(|| "never used".into());
    view! {
        <li data-testid="token-row" class=if revoked { "rounded-lg border border-slate-200 bg-slate-50 p-4 text-slate-500" } else { "rounded-lg border border-slate-200 bg-white p-4" }>
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div class="min-w-0">
                    <p class="font-medium">{t.name.clone()}" "<span class="font-mono text-xs text-slate-500">{format!("{}…", t.prefix)}</span></p>
                    <p class="mt-1 text-xs text-slate-500">{format!("Acts as {} · made {} · {used}", t.acts_as, format_utc(t.created_at))}</p>
                </div>
                {if let Some(at) = t.revoked_at {
                    view! { <span class="text-xs">{format!("Revoked {}", format_utc(at))}</span> }.into_any()
                } else {
                    view! {
                        <button type="button" aria-label=format!("Revoke {name}")
                            class="rounded-md border border-red-200 px-2 py-1 text-xs text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500"
                            on:click=revoke>"Revoke"</button>
                    }.into_any()
                }}
            </div>
            <ul class="mt-2 flex flex-wrap gap-1" aria-label="May">
                {t.scopes.iter().map(|s| view! { <li class="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">{s.clone()}</li> }).collect_view()}
            </ul>
            {move || problem.get().map(|p| view! { <p role="alert" class="mt-1 text-xs text-red-700">{p}</p> })}
        </li>
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
            <Choices legend="It may" id_prefix="token-scope"
                items=TOKEN_SCOPES.iter().map(|(scope, what)| (scope.as_str(), *what)).collect() chosen/>
            {move || problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700" data-testid="token-problem">{p}</p> })}
            <button type="submit" disabled=move || busy.get()
                class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 disabled:opacity-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2">
                "Create token"
            </button>
        </form>
    }
}

/// Checkboxes for named choices, each with what it means; `chosen` holds the names checked.
#[component]
fn Choices(
    legend: &'static str,
    id_prefix: &'static str,
    items: Vec<(&'static str, &'static str)>,
    chosen: RwSignal<Vec<String>>,
) -> impl IntoView {
    view! {
        <fieldset>
            <legend class="text-sm font-medium">{legend}</legend>
            <div class="mt-2 space-y-2">
                {items.into_iter().map(|(value, what)| {
                    let id = format!("{id_prefix}-{}", value.replace([':', '_', '.'], "-"));
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
    }
}
