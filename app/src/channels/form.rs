//! The form that adds or edits a channel: its name, colour and workflow, then what its kind
//! needs (a web chat's sites and identity secret; Twilio's account; an e-mail address with its
//! SMTP and, optionally, IMAP servers).

use leptos::prelude::*;

use crate::channels::{save_channel, save_email_channel, save_sms_channel, ChannelView};
use crate::lifecycle::ChannelKind;
use crate::workflows::WorkflowSummary;

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";

#[component]
pub(super) fn ChannelForm(
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
