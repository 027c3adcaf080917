//! Channels: where customers write in — a web chat for a site (copy the tag that puts the
//! widget there, say which sites may show it) or an SMS number on Twilio (copy the addresses
//! Twilio posts to); turn one off, delete an unused one.

use leptos::prelude::*;

use crate::channels::{
    delete_channel, list_channels, save_channel, save_email_channel, save_sms_channel, set_channel_enabled,
    ChannelView, EmailView, SmsView,
};
use crate::errors::{EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::lifecycle::ChannelKind;
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
    let kind = RwSignal::new(ChannelKind::Web);
    let account_sid = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let auth_token = RwSignal::new(String::new());
    let api_base_url = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let smtp_host = RwSignal::new(String::new());
    let smtp_port = RwSignal::new(String::from("587"));
    let smtp_security = RwSignal::new(String::from("starttls"));
    let smtp_user = RwSignal::new(String::new());
    let smtp_password = RwSignal::new(String::new());
    let ingest_secret = RwSignal::new(String::new());
    let imap_host = RwSignal::new(String::new());
    let imap_port = RwSignal::new(String::from("993"));
    let imap_security = RwSignal::new(String::from("tls"));
    let imap_user = RwSignal::new(String::new());
    let imap_password = RwSignal::new(String::new());
    let imap_mailbox = RwSignal::new(String::from("INBOX"));
    let imap_interval = RwSignal::new(String::from("60"));
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(c) = editing.get() {
            kind.set(c.kind);
            let sms = c.sms.clone().map(|s| s.settings).unwrap_or_default();
            account_sid.set(sms.account_sid);
            from.set(sms.from);
            api_base_url.set(if sms.api_base_url == crate::channels::TWILIO_API {
                String::new()
            } else {
                sms.api_base_url
            });
            auth_token.set(String::new());
            let mail = c.email.clone().map(|e| e.settings).unwrap_or_default();
            address.set(mail.address);
            display_name.set(mail.display_name);
            smtp_host.set(mail.smtp_host);
            smtp_port.set(if mail.smtp_port == 0 {
                "587".into()
            } else {
                mail.smtp_port.to_string()
            });
            smtp_security.set(if mail.smtp_security.is_empty() {
                "starttls".into()
            } else {
                mail.smtp_security
            });
            smtp_user.set(mail.smtp_user);
            smtp_password.set(String::new());
            ingest_secret.set(String::new());
            let imap = mail.imap.unwrap_or_default();
            imap_host.set(imap.host);
            imap_port.set(if imap.port == 0 {
                "993".into()
            } else {
                imap.port.to_string()
            });
            imap_security.set(if imap.security.is_empty() {
                "tls".into()
            } else {
                imap.security
            });
            imap_user.set(imap.user);
            imap_password.set(String::new());
            imap_mailbox.set(if imap.mailbox.is_empty() {
                "INBOX".into()
            } else {
                imap.mailbox
            });
            imap_interval.set(if imap.interval_secs == 0 {
                "60".into()
            } else {
                imap.interval_secs.to_string()
            });
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
        account_sid.set(String::new());
        from.set(String::new());
        auth_token.set(String::new());
        api_base_url.set(String::new());
        for field in [
            address,
            display_name,
            smtp_host,
            smtp_user,
            smtp_password,
            ingest_secret,
        ] {
            field.set(String::new());
        }
        smtp_port.set("587".into());
        smtp_security.set("starttls".into());
        for field in [imap_host, imap_user, imap_password] {
            field.set(String::new());
        }
        imap_port.set("993".into());
        imap_security.set("tls".into());
        imap_mailbox.set("INBOX".into());
        imap_interval.set("60".into());
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
        let sms = (
            account_sid.get_untracked(),
            from.get_untracked(),
            api_base_url.get_untracked(),
            auth_token.get_untracked(),
        );
        let mail = (
            address.get_untracked(),
            display_name.get_untracked(),
            smtp_host.get_untracked(),
            smtp_port.get_untracked(),
            smtp_security.get_untracked(),
            smtp_user.get_untracked(),
            smtp_password.get_untracked(),
            ingest_secret.get_untracked(),
        );
        let inbox = (
            imap_host.get_untracked(),
            imap_port.get_untracked(),
            imap_security.get_untracked(),
            imap_user.get_untracked(),
            imap_password.get_untracked(),
            imap_mailbox.get_untracked(),
            imap_interval.get_untracked(),
        );
        let chosen = kind.get_untracked();
        leptos::task::spawn_local(async move {
            let result = match chosen {
                ChannelKind::Sms => save_sms_channel(id, n, c, w, sms.0, sms.1, sms.2, sms.3).await,
                ChannelKind::Email => {
                    save_email_channel(
                        id, n, c, w, mail.0, mail.1, mail.2, mail.3, mail.4, mail.5, mail.6, mail.7, inbox.0, inbox.1,
                        inbox.2, inbox.3, inbox.4, inbox.5, inbox.6,
                    )
                    .await
                }
                _ => save_channel(id, n, c, w, s, key, require).await,
            };
            match result {
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
            <h3 class="font-semibold">{move || match (editing.get().is_some(), kind.get()) {
                (true, _) => "Change the channel",
                (false, ChannelKind::Sms) => "New SMS channel",
                (false, ChannelKind::Email) => "New e-mail channel",
                _ => "New web chat channel",
            }}</h3>
            {move || editing.get().is_none().then(|| view! {
                <fieldset>
                    <legend class="block text-sm font-medium">"Kind"</legend>
                    <div class="mt-1 flex gap-4 text-sm">
                        <label class="flex items-center gap-2">
                            <input type="radio" name="channel-kind" prop:checked=move || kind.get() == ChannelKind::Web
                                on:change=move |_| kind.set(ChannelKind::Web)/>
                            "Web chat"
                        </label>
                        <label class="flex items-center gap-2">
                            <input type="radio" name="channel-kind" prop:checked=move || kind.get() == ChannelKind::Sms
                                on:change=move |_| kind.set(ChannelKind::Sms)/>
                            "SMS (Twilio)"
                        </label>
                        <label class="flex items-center gap-2">
                            <input type="radio" name="channel-kind" prop:checked=move || kind.get() == ChannelKind::Email
                                on:change=move |_| kind.set(ChannelKind::Email)/>
                            "E-mail"
                        </label>
                    </div>
                </fieldset>
            })}
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
            <div class="space-y-4" class:hidden=move || kind.get() != ChannelKind::Web>
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
            </div>
            <div class="space-y-4" class:hidden=move || kind.get() != ChannelKind::Sms>
                <div>
                    <label for="sms-account" class="block text-sm font-medium">"Account SID"</label>
                    <input id="sms-account" type="text" autocomplete="off" spellcheck="false" placeholder="AC…" class=format!("{INPUT} font-mono")
                        prop:value=move || account_sid.get() on:input=move |ev| account_sid.set(event_target_value(&ev))/>
                </div>
                <div>
                    <label for="sms-from" class="block text-sm font-medium">"Twilio number or Messaging Service SID"</label>
                    <input id="sms-from" type="text" autocomplete="off" placeholder="+14155550100" class=format!("{INPUT} font-mono")
                        prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/>
                </div>
                <div>
                    <label for="sms-token" class="block text-sm font-medium">
                        {move || if editing.get().is_some_and(|c| c.sms.as_ref().is_some_and(|s| s.has_auth_token)) { "New auth token (blank: keep the current one)" } else { "Auth token" }}
                    </label>
                    <input id="sms-token" type="password" autocomplete="off" class=format!("{INPUT} font-mono") aria-describedby="sms-token-help"
                        prop:value=move || auth_token.get() on:input=move |ev| auth_token.set(event_target_value(&ev))/>
                    <p id="sms-token-help" class="mt-1 text-xs text-slate-600">"The account's primary auth token: it checks Twilio's signatures and sends the replies. Never shown again."</p>
                </div>
                <div>
                    <label for="sms-api" class="block text-sm font-medium">"Twilio API address"</label>
                    <input id="sms-api" type="url" placeholder="https://api.twilio.com" class=INPUT aria-describedby="sms-api-help"
                        prop:value=move || api_base_url.get() on:input=move |ev| api_base_url.set(event_target_value(&ev))/>
                    <p id="sms-api-help" class="mt-1 text-xs text-slate-600">"Blank for Twilio's own. Set only for a proxy or a test double."</p>
                </div>
            </div>
            <div class="space-y-4" class:hidden=move || kind.get() != ChannelKind::Email>
                <div>
                    <label for="mail-address" class="block text-sm font-medium">"Address"</label>
                    <input id="mail-address" type="email" autocomplete="off" placeholder="support@acme.example" class=INPUT
                        prop:value=move || address.get() on:input=move |ev| address.set(event_target_value(&ev))/>
                </div>
                <div>
                    <label for="mail-display" class="block text-sm font-medium">"Sender name"</label>
                    <input id="mail-display" type="text" maxlength="100" placeholder="Acme Support" class=INPUT
                        prop:value=move || display_name.get() on:input=move |ev| display_name.set(event_target_value(&ev))/>
                </div>
                <fieldset class="space-y-3 rounded-md border border-slate-200 p-3">
                    <legend class="px-1 text-sm font-medium">"Outgoing mail (SMTP)"</legend>
                    <div class="grid grid-cols-[1fr_6rem] gap-2">
                        <div>
                            <label for="mail-host" class="block text-sm">"SMTP server"</label>
                            <input id="mail-host" type="text" autocomplete="off" placeholder="smtp.acme.example" class=INPUT
                                prop:value=move || smtp_host.get() on:input=move |ev| smtp_host.set(event_target_value(&ev))/>
                        </div>
                        <div>
                            <label for="mail-port" class="block text-sm">"Port"</label>
                            <input id="mail-port" type="text" inputmode="numeric" class=INPUT
                                prop:value=move || smtp_port.get() on:input=move |ev| smtp_port.set(event_target_value(&ev))/>
                        </div>
                    </div>
                    <div>
                        <label for="mail-security" class="block text-sm">"Security"</label>
                        <select id="mail-security" class=INPUT on:change=move |ev| smtp_security.set(event_target_value(&ev))>
                            <option value="starttls" selected=move || smtp_security.get() == "starttls">"STARTTLS (usually port 587)"</option>
                            <option value="tls" selected=move || smtp_security.get() == "tls">"TLS (usually port 465)"</option>
                            <option value="none" selected=move || smtp_security.get() == "none">"None (a relay on your own network only)"</option>
                        </select>
                    </div>
                    <div>
                        <label for="mail-user" class="block text-sm">"SMTP user (blank: none)"</label>
                        <input id="mail-user" type="text" autocomplete="off" class=INPUT
                            prop:value=move || smtp_user.get() on:input=move |ev| smtp_user.set(event_target_value(&ev))/>
                    </div>
                    <div>
                        <label for="mail-password" class="block text-sm">
                            {move || if editing.get().is_some_and(|c| c.email.as_ref().is_some_and(|e| e.has_smtp_password)) { "New SMTP password (blank: keep the current one)" } else { "SMTP password" }}
                        </label>
                        <input id="mail-password" type="password" autocomplete="new-password" class=INPUT
                            prop:value=move || smtp_password.get() on:input=move |ev| smtp_password.set(event_target_value(&ev))/>
                    </div>
                </fieldset>
                <fieldset class="space-y-3 rounded-md border border-slate-200 p-3">
                    <legend class="px-1 text-sm font-medium">"Incoming mail from a mailbox (IMAP, optional)"</legend>
                    <p class="text-xs text-slate-600">"Instead of delivering to the ingest address, Switchboard can read a mailbox: only mail that arrives after you save, and it never marks anything read."</p>
                    <div class="grid grid-cols-[1fr_6rem] gap-2">
                        <div>
                            <label for="imap-host" class="block text-sm">"IMAP server (blank: none)"</label>
                            <input id="imap-host" type="text" autocomplete="off" placeholder="imap.acme.example" class=INPUT
                                prop:value=move || imap_host.get() on:input=move |ev| imap_host.set(event_target_value(&ev))/>
                        </div>
                        <div>
                            <label for="imap-port" class="block text-sm">"IMAP port"</label>
                            <input id="imap-port" type="text" inputmode="numeric" class=INPUT
                                prop:value=move || imap_port.get() on:input=move |ev| imap_port.set(event_target_value(&ev))/>
                        </div>
                    </div>
                    <div>
                        <label for="imap-security" class="block text-sm">"IMAP security"</label>
                        <select id="imap-security" class=INPUT on:change=move |ev| imap_security.set(event_target_value(&ev))>
                            <option value="tls" selected=move || imap_security.get() == "tls">"TLS (usually port 993)"</option>
                            <option value="none" selected=move || imap_security.get() == "none">"None (a server on your own network only)"</option>
                        </select>
                    </div>
                    <div class="grid grid-cols-2 gap-2">
                        <div>
                            <label for="imap-user" class="block text-sm">"IMAP user"</label>
                            <input id="imap-user" type="text" autocomplete="off" class=INPUT
                                prop:value=move || imap_user.get() on:input=move |ev| imap_user.set(event_target_value(&ev))/>
                        </div>
                        <div>
                            <label for="imap-password" class="block text-sm">
                                {move || if editing.get().is_some_and(|c| c.email.as_ref().is_some_and(|e| e.has_imap_password)) { "New IMAP password (blank: keep)" } else { "IMAP password" }}
                            </label>
                            <input id="imap-password" type="password" autocomplete="new-password" class=INPUT
                                prop:value=move || imap_password.get() on:input=move |ev| imap_password.set(event_target_value(&ev))/>
                        </div>
                    </div>
                    <div class="grid grid-cols-2 gap-2">
                        <div>
                            <label for="imap-mailbox" class="block text-sm">"Folder"</label>
                            <input id="imap-mailbox" type="text" class=INPUT
                                prop:value=move || imap_mailbox.get() on:input=move |ev| imap_mailbox.set(event_target_value(&ev))/>
                        </div>
                        <div>
                            <label for="imap-interval" class="block text-sm">"Check every (seconds)"</label>
                            <input id="imap-interval" type="text" inputmode="numeric" class=INPUT
                                prop:value=move || imap_interval.get() on:input=move |ev| imap_interval.set(event_target_value(&ev))/>
                        </div>
                    </div>
                </fieldset>
                <div>
                    <label for="mail-ingest" class="block text-sm font-medium">
                        {move || if editing.get().is_some_and(|c| c.email.as_ref().is_some_and(|e| e.has_ingest_secret)) { "New ingest secret (blank: keep the current one)" } else { "Ingest secret" }}
                    </label>
                    <div class="flex gap-2">
                        <input id="mail-ingest" type="text" autocomplete="off" spellcheck="false" class=format!("{INPUT} font-mono") placeholder="at least 32 characters"
                            aria-describedby="mail-ingest-help"
                            prop:value=move || ingest_secret.get() on:input=move |ev| ingest_secret.set(event_target_value(&ev))/>
                        <button type="button" class="mt-1 shrink-0 rounded-md border border-slate-300 px-3 text-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                            on:click=move |_| ingest_secret.set(crate::browser::random_hex(32))>"Generate"</button>
                    </div>
                    <p id="mail-ingest-help" class="mt-1 text-xs text-slate-600">"Your mail server sends it with every e-mail it delivers to Switchboard. Copy it there before saving: it is never shown again."</p>
                </div>
            </div>
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
        </form>
    }
}
