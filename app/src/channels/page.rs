//! Channels: the web chat channels customers write in — create one for a site, copy the tag
//! that puts the widget there, say which sites may show it, turn it off, delete an unused one.

use leptos::prelude::*;

use crate::channels::{delete_channel, list_channels, save_channel, set_channel_enabled, ChannelView};
use crate::errors::{EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::workflows::{list_workflows, WorkflowSummary};
use crate::{Me, Scope};

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";
const BUTTON: &str = "rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500";

#[component]
pub fn ChannelsPage() -> impl IntoView {
    let me = use_context::<Me>();
    if !me.as_ref().is_some_and(|m| m.can(Scope::ChannelsWrite)) {
        return view! { <Forbidden page="Channels"/> }.into_any();
    }
    let version = RwSignal::new(0u32);
    let list = Resource::new(move || version.get(), |_| list_channels());
    let workflows = Resource::new(|| (), |_| list_workflows());
    let editing = RwSignal::new(None::<ChannelView>);
    view! {
        <PageHeader title="Channels" subtitle="Where customers write in. Each channel feeds one workflow; its colour marks its conversations in the inbox."/>
        <div class="grid gap-8 p-8 lg:grid-cols-[1fr_26rem]">
            <section aria-labelledby="channels-heading">
                <h2 id="channels-heading" class="sr-only">"Your channels"</h2>
                <Transition fallback=|| view! { <Loading what="channels"/> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(items) if items.is_empty() => view! {
                                <EmptyState title="No channels yet" body="Create a web chat channel on the right, then put its tag on your site."/>
                            }.into_any(),
                            Ok(items) => view! {
                                <ul class="space-y-4" role="list" data-testid="channel-list">
                                    {items.into_iter().map(|c| view! { <ChannelItem c version editing/> }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <aside>
                <Transition fallback=|| view! { <Loading what="the form"/> }>
                    {move || Suspend::new(async move {
                        match workflows.await {
                            Ok(w) => view! { <ChannelForm workflows=w version editing/> }.into_any(),
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        }
                    })}
                </Transition>
            </aside>
        </div>
    }
    .into_any()
}

#[component]
fn ChannelItem(c: ChannelView, version: RwSignal<u32>, editing: RwSignal<Option<ChannelView>>) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<bool>);
    let id = c.id;
    let enabled = c.enabled;
    let toggle = move |_| {
        leptos::task::spawn_local(async move {
            match set_channel_enabled(id, !enabled).await {
                Ok(_) => version.update(|v| *v += 1),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let remove = move |_| {
        leptos::task::spawn_local(async move {
            match delete_channel(id).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let snippet = c.embed.clone();
    let copy = move |_| {
        let text = snippet.clone();
        leptos::task::spawn_local(async move { copied.set(Some(crate::browser::copy_text(&text).await)) });
    };
    let for_edit = c.clone();
    let snippet_id = format!("channel-{}-snippet", c.id);
    let chat_path = format!("/chat/{}", c.key);
    let in_use = c.conversations > 0;
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-5" data-testid="channel" data-key=c.key.clone()>
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div class="min-w-0">
                    <p class="flex items-center gap-2 font-semibold">
                        <span class="inline-block h-3 w-3 rounded-full" style=format!("background:{}", c.colour) aria-hidden="true"></span>
                        {c.name.clone()}
                        <span class="rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium text-slate-700">{c.kind.label()}</span>
                        {(!c.enabled).then(|| view! { <span class="rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900" data-testid="channel-off">"Off"</span> })}
                    </p>
                    <p class="mt-1 text-xs text-slate-600">
                        {format!("Feeds {} · {} conversation{} · key ", c.workflow_name, c.conversations, if c.conversations == 1 { "" } else { "s" })}
                        <code class="rounded bg-slate-100 px-1">{c.key.clone()}</code>
                    </p>
                </div>
                <div class="flex shrink-0 flex-wrap gap-2">
                    <a href=chat_path target="_blank" rel="noopener" class=BUTTON>"Open the chat"</a>
                    <button type="button" class=BUTTON on:click=move |_| editing.set(Some(for_edit.clone()))>"Edit"</button>
                    <button type="button" class=BUTTON on:click=toggle>{if c.enabled { "Turn off" } else { "Turn on" }}</button>
                    <button type="button" class="rounded-md border border-red-200 px-2 py-1 text-xs text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 disabled:cursor-not-allowed disabled:opacity-50"
                        disabled=in_use title=if in_use { "It has conversations: turn it off instead" } else { "Delete this channel" } on:click=remove>"Delete"</button>
                </div>
            </div>
            <div class="mt-4">
                <label for=snippet_id.clone() class="block text-xs font-medium text-slate-700">"Put this on every page of your site, before </body>:"</label>
                <div class="mt-1 flex items-start gap-2">
                    <textarea id=snippet_id readonly rows="2" class="block w-full resize-none rounded-md border border-slate-200 bg-slate-50 px-3 py-2 font-mono text-xs text-slate-800" data-testid="embed-snippet">{c.embed.clone()}</textarea>
                    <button type="button" class=BUTTON on:click=copy>"Copy"</button>
                </div>
                <p class="mt-1 text-xs" role="status">
                    {move || match copied.get() {
                        Some(true) => view! { <span class="text-emerald-700">"Copied."</span> }.into_any(),
                        Some(false) => view! { <span class="text-slate-600">"Your browser did not allow copying: select the tag and copy it."</span> }.into_any(),
                        None => ().into_any(),
                    }}
                </p>
            </div>
            <div class="mt-3 text-xs text-slate-700" data-testid="allowed-sites">
                {if c.allowed_sites.is_empty() {
                    view! { <p>"Any site may show this chat. List your sites (Edit) so that no other site can."</p> }.into_any()
                } else {
                    view! {
                        <p class="font-medium">"Only these sites may show this chat:"</p>
                        <ul class="mt-1 flex flex-wrap gap-1">
                            {c.allowed_sites.iter().map(|s| view! { <li><code class="rounded bg-slate-100 px-1">{s.clone()}</code></li> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </div>
            <p class="mt-2 text-xs text-slate-700" data-testid="identity-check">
                {match (c.has_identity_secret, c.require_verified) {
                    (false, _) => "Signed-in customers: no identity secret yet (Edit to set one).",
                    (true, false) => "Signed-in customers: verified when the site signs them; unsigned details only name the visitor.",
                    (true, true) => "Signed-in customers: only identities the site signs are accepted.",
                }}
            </p>
            {move || problem.get().map(|p| view! { <p role="alert" class="mt-2 text-sm text-red-700">{p}</p> })}
        </li>
    }
}

#[component]
fn ChannelForm(
    workflows: Vec<WorkflowSummary>,
    version: RwSignal<u32>,
    editing: RwSignal<Option<ChannelView>>,
) -> impl IntoView {
    let first_workflow = workflows.first().map(|w| w.id.to_string()).unwrap_or_default();
    let name = RwSignal::new(String::new());
    let colour = RwSignal::new(String::from("#0ea5e9"));
    let workflow = RwSignal::new(first_workflow.clone());
    let sites = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let require_verified = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(c) = editing.get() {
            name.set(c.name);
            colour.set(c.colour);
            workflow.set(c.workflow_id.to_string());
            sites.set(c.allowed_sites.join("\n"));
            secret.set(String::new());
            require_verified.set(c.require_verified);
            saved.set(None);
            problem.set(None);
        }
    });
    let reset = move || {
        editing.set(None);
        name.set(String::new());
        colour.set("#0ea5e9".into());
        workflow.set(first_workflow.clone());
        sites.set(String::new());
        secret.set(String::new());
        require_verified.set(false);
    };
    let reset_after = reset.clone();
    let submit = move || {
        let id = editing.get_untracked().map(|c| c.id.to_string()).unwrap_or_default();
        let (n, c, w, s) = (
            name.get_untracked(),
            colour.get_untracked(),
            workflow.get_untracked(),
            sites.get_untracked(),
        );
        let key = secret.get_untracked();
        let require = require_verified.get_untracked().then(|| "on".to_string());
        let reset = reset_after.clone();
        leptos::task::spawn_local(async move {
            match save_channel(id, n, c, w, s, key, require).await {
                Ok(channel) => {
                    problem.set(None);
                    saved.set(Some(format!("Saved \u{201c}{}\u{201d}.", channel.name)));
                    reset();
                    version.update(|v| *v += 1);
                }
                Err(e) => {
                    saved.set(None);
                    problem.set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <form class="space-y-4 rounded-lg border border-slate-200 bg-white p-5" aria-label="Web chat channel" data-testid="channel-form"
            on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <h3 class="font-semibold">{move || if editing.get().is_some() { "Change the channel" } else { "New web chat channel" }}</h3>
            <div>
                <label for="channel-name" class="block text-sm font-medium">"Name"</label>
                <input id="channel-name" type="text" maxlength="60" placeholder="Shop website" class=INPUT
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            </div>
            <div>
                <label for="channel-colour" class="block text-sm font-medium">"Colour"</label>
                <div class="mt-1 flex items-center gap-2">
                    <input id="channel-colour" type="color" class="h-9 w-12 cursor-pointer rounded border border-slate-300"
                        prop:value=move || colour.get() on:input=move |ev| colour.set(event_target_value(&ev))/>
                    <span class="font-mono text-xs text-slate-600">{move || colour.get()}</span>
                </div>
            </div>
            <div>
                <label for="channel-workflow" class="block text-sm font-medium">"Workflow it feeds"</label>
                <select id="channel-workflow" class=INPUT on:change=move |ev| workflow.set(event_target_value(&ev))>
                    {workflows.into_iter().map(|w| {
                        let value = w.id.to_string();
                        let check = value.clone();
                        view! { <option value=value selected=move || workflow.get() == check>{w.name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="channel-sites" class="block text-sm font-medium">"Sites allowed to show the chat"</label>
                <textarea id="channel-sites" rows="3" class=INPUT placeholder="https://www.example.com" aria-describedby="channel-sites-help"
                    prop:value=move || sites.get() on:input=move |ev| sites.set(event_target_value(&ev))></textarea>
                <p id="channel-sites-help" class="mt-1 text-xs text-slate-600">"One per line, like https://www.example.com or https://*.example.com. Empty: any site."</p>
            </div>
            <fieldset class="space-y-2 rounded-md border border-slate-200 p-3">
                <legend class="px-1 text-sm font-medium">"Signed-in customers"</legend>
                <p class="text-xs text-slate-600">
                    "Your site calls " <code class="rounded bg-slate-100 px-1">"Switchboard.identify({id, name, email}, hmac)"</code>
                    " with the HMAC-SHA256 of the customer's id under this secret, computed on your server; the customer then continues their conversations on any browser."
                </p>
                <label for="channel-secret" class="block text-sm">
                    {move || if editing.get().is_some_and(|c| c.has_identity_secret) { "New identity secret (blank: keep the current one)" } else { "Identity secret" }}
                </label>
                <div class="flex gap-2">
                    <input id="channel-secret" type="text" autocomplete="off" spellcheck="false" class=format!("{INPUT} font-mono") placeholder="at least 32 characters"
                        prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev))/>
                    <button type="button" class="mt-1 shrink-0 rounded-md border border-slate-300 px-3 text-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                        on:click=move |_| secret.set(crate::browser::random_hex(32))>"Generate"</button>
                </div>
                <p class="text-xs text-slate-600">"Copy it to your site's server before saving: it is never shown again."</p>
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" prop:checked=move || require_verified.get() on:change=move |ev| require_verified.set(event_target_checked(&ev))/>
                    "Require verified identities (refuse an identify call without a valid hmac)"
                </label>
            </fieldset>
            {move || problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700" data-testid="channel-problem">{p}</p> })}
            {move || saved.get().map(|s| view! { <p role="status" class="text-sm text-emerald-700">{s}</p> })}
            <div class="flex gap-2">
                <button type="submit" class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2">
                    {move || if editing.get().is_some() { "Save changes" } else { "Create channel" }}
                </button>
                {move || editing.get().is_some().then(|| {
                    let reset = reset.clone();
                    view! { <button type="button" class="rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100" on:click=move |_| reset()>"Cancel"</button> }
                })}
            </div>
            <p class="text-xs text-slate-500">"SMS and e-mail channels are not built yet."</p>
        </form>
    }
}
