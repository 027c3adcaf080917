//! Channels: where customers write in — a web chat for a site (copy the tag that puts the
//! widget there, say which sites may show it) or an SMS number on Twilio (copy the addresses
//! Twilio posts to); turn one off, delete an unused one.

use leptos::prelude::*;

use crate::channels::{delete_channel, list_channels, set_channel_enabled, ChannelView, EmailView, SmsView};
use crate::errors::{EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};

use super::form::ChannelForm;
use crate::lifecycle::ChannelKind;
use crate::workflows::list_workflows;
use crate::{Me, Scope};

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
            <section aria-labelledby="channels-heading" class="min-w-0">
                <h2 id="channels-heading" class="sr-only">"Your channels"</h2>
                <Transition fallback=|| view! { <Loading what="channels"/> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(items) if items.is_empty() => view! {
                                <EmptyState title="No channels yet" body="Create a web chat channel or an SMS number on the right."/>
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
    let for_edit = c.clone();
    let chat_path = (c.kind == ChannelKind::Web).then(|| format!("/chat/{}", c.key));
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
                    {chat_path.map(|href| view! { <a href=href target="_blank" rel="noopener" class=BUTTON>"Open the chat"</a> })}
                    <button type="button" class=BUTTON on:click=move |_| editing.set(Some(for_edit.clone()))>"Edit"</button>
                    <button type="button" class=BUTTON on:click=toggle>{if c.enabled { "Turn off" } else { "Turn on" }}</button>
                    <button type="button" class="rounded-md border border-red-200 px-2 py-1 text-xs text-red-700 hover:bg-red-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 disabled:cursor-not-allowed disabled:opacity-50"
                        disabled=in_use title=if in_use { "It has conversations: turn it off instead" } else { "Delete this channel" } on:click=remove>"Delete"</button>
                </div>
            </div>
            {match (c.sms.clone(), c.email.clone()) {
                (Some(sms), _) => view! { <SmsDetails sms/> }.into_any(),
                (_, Some(email)) => view! { <EmailDetails email/> }.into_any(),
                _ => view! { <WebDetails c=c.clone()/> }.into_any(),
            }}
            {move || problem.get().map(|p| view! { <p role="alert" class="mt-2 text-sm text-red-700">{p}</p> })}
        </li>
    }
}

/// A web chat channel's tag for sites, the sites allowed to show it, and how it checks
/// signed-in customers.
#[component]
fn WebDetails(c: ChannelView) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let snippet = c.embed.clone();
    let copy = move |_| {
        let text = snippet.clone();
        leptos::task::spawn_local(async move { copied.set(Some(crate::browser::copy_text(&text).await)) });
    };
    let snippet_id = format!("channel-{}-snippet", c.id);
    view! {
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
    }
}

/// An SMS channel's Twilio number and account, and the addresses to give Twilio.
#[component]
fn SmsDetails(sms: SmsView) -> impl IntoView {
    view! {
        <dl class="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-xs text-slate-700" data-testid="sms-settings">
            <dt class="font-medium">"Number"</dt>
            <dd><code class="rounded bg-slate-100 px-1">{sms.settings.from.clone()}</code></dd>
            <dt class="font-medium">"Twilio account"</dt>
            <dd><code class="rounded bg-slate-100 px-1">{sms.settings.account_sid.clone()}</code></dd>
            <dt class="font-medium">"Auth token"</dt>
            <dd>{if sms.has_auth_token { "set (never shown again)" } else { "missing: texts can neither be checked nor sent" }}</dd>
        </dl>
        <CopyField label="In Twilio, under the number's \u{201c}A message comes in\u{201d} (HTTP POST):" value=sms.inbound_url testid="sms-inbound-url"/>
        <p class="mt-2 text-xs text-slate-600">
            "Delivery reports come to " <code class="rounded bg-slate-100 px-1 break-all">{sms.status_url}</code>
            ", which Switchboard gives Twilio with every reply."
        </p>
    }
}

/// An e-mail channel's address and mail server, and how mail reaches Switchboard.
#[component]
fn EmailDetails(email: EmailView) -> impl IntoView {
    let s = email.settings.clone();
    let pipe = format!(
        "curl --fail -H \"Authorization: Bearer $INGEST_SECRET\" -H \"Content-Type: message/rfc822\" --data-binary @- {}",
        email.ingest_url
    );
    view! {
        <dl class="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-xs text-slate-700" data-testid="email-settings">
            <dt class="font-medium">"Address"</dt>
            <dd><code class="rounded bg-slate-100 px-1">{s.address.clone()}</code>{(!s.display_name.is_empty()).then(|| format!(" as \u{201c}{}\u{201d}", s.display_name))}</dd>
            <dt class="font-medium">"Sends through"</dt>
            <dd><code class="rounded bg-slate-100 px-1">{format!("{}:{}", s.smtp_host, s.smtp_port)}</code>{format!(" ({}{})", match s.smtp_security.as_str() { "tls" => "TLS", "starttls" => "STARTTLS", _ => "no encryption" }, if s.smtp_user.is_empty() { String::new() } else { format!(", as {}", s.smtp_user) })}</dd>
            <dt class="font-medium">"Reads mail from"</dt>
            <dd data-testid="imap-status">{match &s.imap {
                Some(i) => format!("{}@{}:{} {} every {} s. {}", i.user, i.host, i.port, i.mailbox, i.interval_secs, email.imap_status.clone().unwrap_or_else(|| "Not looked yet.".into())),
                None => "no mailbox: mail is delivered to the address below".to_string(),
            }}</dd>
            <dt class="font-medium">"Secrets"</dt>
            <dd>{format!("SMTP password {}; ingest secret {} (never shown again)", if email.has_smtp_password { "set" } else { "not set" }, if email.has_ingest_secret { "set" } else { "missing" })}</dd>
        </dl>
        <CopyField label="Deliver this address's mail here (HTTP POST, raw e-mail, Authorization: Bearer <ingest secret>):" value=email.ingest_url.clone() testid="email-ingest-url"/>
        <p class="mt-2 text-xs text-slate-600">"From a mail server, pipe each message to:"</p>
        <pre class="mt-1 whitespace-pre-wrap break-all rounded-md bg-slate-50 px-3 py-2 font-mono text-[11px] text-slate-800">{pipe}</pre>
    }
}

/// A read-only value with a copy button.
#[component]
fn CopyField(label: &'static str, value: String, testid: &'static str) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let id = format!("copy-{testid}");
    let text = value.clone();
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move { copied.set(Some(crate::browser::copy_text(&text).await)) });
    };
    view! {
        <div class="mt-4">
            <label for=id.clone() class="block text-xs font-medium text-slate-700">{label}</label>
            <div class="mt-1 flex items-center gap-2">
                <input id=id readonly type="text" class="block w-full min-w-0 rounded-md border border-slate-200 bg-slate-50 px-3 py-1.5 font-mono text-xs text-slate-800" prop:value=value data-testid=testid/>
                <button type="button" class=BUTTON on:click=copy>"Copy"</button>
            </div>
            <p class="mt-1 text-xs" role="status">
                {move || match copied.get() {
                    Some(true) => view! { <span class="text-emerald-700">"Copied."</span> }.into_any(),
                    Some(false) => view! { <span class="text-slate-600">"Your browser did not allow copying: select it and copy it."</span> }.into_any(),
                    None => ().into_any(),
                }}
            </p>
        </div>
    }
}
