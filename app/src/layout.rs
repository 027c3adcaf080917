//! The signed-in application frame: sidebar navigation that follows the member's scopes, the
//! member menu with sign-out, and the redirect to sign-in when the session is gone.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;

use crate::auth::{current_member, SignOut, SignOutEverywhere};
use crate::errors::ErrorPanel;
use crate::events::OperatorCommand;
use crate::link::OperatorLink;
use crate::live::{MyPresence, OperatorStatus};
use crate::{AppError, Me, Scope};

/// A page's entry in the sidebar, and the scope that shows it.
struct NavEntry {
    href: &'static str,
    label: &'static str,
    scope: Scope,
    icon: &'static str,
}

const NAV: [NavEntry; 12] = [
    NavEntry { href: "/inbox", label: "Inbox", scope: Scope::OperatorRead, icon: "M3 7l9 6 9-6M5 5h14a2 2 0 012 2v10a2 2 0 01-2 2H5a2 2 0 01-2-2V7a2 2 0 012-2z" },
    NavEntry { href: "/live", label: "Live", scope: Scope::ConversationsReadAll, icon: "M12 8v4l3 2m6-2a9 9 0 11-18 0 9 9 0 0118 0z" },
    NavEntry { href: "/reports", label: "Reports", scope: Scope::ConversationsReadAll, icon: "M4 20V10m6 10V4m6 16v-7m4 7H3" },
    NavEntry { href: "/history", label: "History", scope: Scope::OperatorRead, icon: "M3 12a9 9 0 109-9 9.7 9.7 0 00-6.7 2.7L3 8m0-5v5h5m4-1v5l4 2" },
    NavEntry { href: "/canned", label: "Canned responses", scope: Scope::OperatorRead, icon: "M7 8h10M7 12h6m-6 8l-4-4V6a2 2 0 012-2h14a2 2 0 012 2v8a2 2 0 01-2 2H11l-4 4z" },
    NavEntry { href: "/people", label: "People", scope: Scope::MembersRead, icon: "M17 20h5v-2a4 4 0 00-5-3.9M9 20H4v-2a4 4 0 015-3.9m8-6.1a4 4 0 11-8 0 4 4 0 018 0z" },
    NavEntry { href: "/channels", label: "Channels", scope: Scope::ChannelsWrite, icon: "M8 12h.01M12 12h.01M16 12h.01M21 12c0 4.4-4 8-9 8a9.9 9.9 0 01-4.3-.9L3 20l1.4-3.7C3.5 15 3 13.6 3 12c0-4.4 4-8 9-8s9 3.6 9 8z" },
    NavEntry { href: "/integrations", label: "Integrations", scope: Scope::SettingsWrite, icon: "M10 14a3.5 3.5 0 005 0l3-3a3.5 3.5 0 00-5-5l-1 1m1 4a3.5 3.5 0 00-5 0l-3 3a3.5 3.5 0 005 5l1-1" },
    NavEntry { href: "/settings", label: "Settings", scope: Scope::SettingsWrite, icon: "M10.3 4.3a1.7 1.7 0 013.4 0 1.7 1.7 0 002.6 1.1 1.7 1.7 0 012.4 2.4 1.7 1.7 0 001 2.5 1.7 1.7 0 010 3.4 1.7 1.7 0 00-1 2.6 1.7 1.7 0 01-2.4 2.4 1.7 1.7 0 00-2.6 1 1.7 1.7 0 01-3.4 0 1.7 1.7 0 00-2.5-1 1.7 1.7 0 01-2.4-2.4 1.7 1.7 0 00-1.1-2.6 1.7 1.7 0 010-3.4 1.7 1.7 0 001.1-2.5 1.7 1.7 0 012.4-2.4 1.7 1.7 0 002.5-1.1zM15 12a3 3 0 11-6 0 3 3 0 016 0z" },
    NavEntry {
        href: "/workflows",
        label: "Workflows",
        scope: Scope::WorkflowsWrite,
        icon: "M8 10h.01M12 10h.01M16 10h.01M9 16H5a2 2 0 01-2-2V6a2 2 0 012-2h14a2 2 0 012 2v8a2 2 0 01-2 2h-5l-5 5v-5z",
    },
    NavEntry {
        href: "/qualifications",
        label: "Qualifications",
        scope: Scope::OperatorWrite,
        icon: "M9 12l2 2 4-4M7.8 4.7a3.4 3.4 0 001.9-.8 3.4 3.4 0 014.6 0 3.4 3.4 0 001.9.8 3.4 3.4 0 013.1 3.1c.1.7.3 1.4.8 1.9a3.4 3.4 0 010 4.6 3.4 3.4 0 00-.8 1.9 3.4 3.4 0 01-3.1 3.1 3.4 3.4 0 00-1.9.8 3.4 3.4 0 01-4.6 0 3.4 3.4 0 00-1.9-.8 3.4 3.4 0 01-3.1-3.1 3.4 3.4 0 00-.8-1.9 3.4 3.4 0 010-4.6 3.4 3.4 0 00.8-1.9 3.4 3.4 0 013.1-3.1z",
    },
    NavEntry {
        href: "/audit",
        label: "Audit log",
        scope: Scope::AuditRead,
        icon: "M9 5H7a2 2 0 00-2 2v12a2 2 0 002 2h10a2 2 0 002-2V7a2 2 0 00-2-2h-2M9 5a2 2 0 002 2h2a2 2 0 002-2M9 5a2 2 0 012-2h2a2 2 0 012 2m-6 9l2 2 4-4",
    },
];

#[component]
pub fn AppShell() -> impl IntoView {
    // On a page load the server knows the member before it renders and hands them to the
    // browser with the page, so the frame and the page inside it are built once, in step on
    // both sides (a page built inside a Suspense that waits for the member may be built twice
    // on the server, and its resources then no longer match the browser's when it hydrates).
    // A console page opened later in the browser alone asks the server.
    let known = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        return Some(crate::service::page_member());
        #[cfg(not(feature = "ssr"))]
        None::<Result<Me, AppError>>
    })
    .into_inner();
    match known {
        Some(me) => member_or_sign_in(me),
        None => {
            let me = OnceResource::new(current_member());
            view! {
                <Suspense fallback=|| view! { <FullPageLoading/> }>
                    {Suspend::new(async move { member_or_sign_in(me.await) })}
                </Suspense>
            }
            .into_any()
        }
    }
}

/// The console for the member, or the way to sign in when there is none.
fn member_or_sign_in(me: Result<Me, AppError>) -> AnyView {
    match me {
        Ok(me) => {
            provide_context(me.clone());
            view! { <Frame me/> }.into_any()
        }
        Err(e) if e.needs_sign_in() => {
            let reason = if matches!(e, AppError::SessionExpired) {
                "expired"
            } else {
                "signed_out"
            };
            let next = use_location().pathname.get_untracked();
            let path = format!("/sign-in?reason={reason}&next={}", encode(&next));
            view! { <Redirect path/> }.into_any()
        }
        Err(e) => view! { <div class="p-8"><ErrorPanel error=e/></div> }.into_any(),
    }
}

/// Percent-encodes a path for a query parameter.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn FullPageLoading() -> impl IntoView {
    view! {
        <div class="flex h-full items-center justify-center" role="status" aria-live="polite">
            <span class="text-sm text-slate-500">"Loading Switchboard…"</span>
        </div>
    }
}

/// The instance's administrators' page, shown only to them.
const PLANS: NavEntry = NavEntry {
    href: "/plans",
    label: "Plans",
    scope: Scope::SettingsWrite,
    icon: "M3 10h18M7 15h1m4 0h1m-7 4h12a3 3 0 003-3V8a3 3 0 00-3-3H6a3 3 0 00-3 3v8a3 3 0 003 3z",
};

/// The member's alert preferences as the console uses them now (saved on the server).
#[derive(Clone, Copy)]
pub struct Alerts(pub RwSignal<crate::AlertPreferences>);

impl Alerts {
    /// Changes the preferences here at once and keeps them on the server; a refusal is
    /// undone here and said in `problem`.
    pub fn change(self, f: impl FnOnce(&mut crate::AlertPreferences), problem: RwSignal<Option<String>>) {
        let before = self.0.get_untracked();
        self.0.update(f);
        let wanted = self.0.get_untracked();
        leptos::task::spawn_local(async move {
            match crate::auth::save_alerts(wanted).await {
                Ok(saved) => {
                    problem.set(None);
                    self.0.set(saved);
                }
                Err(e) => {
                    problem.set(Some(e.to_string()));
                    self.0.set(before);
                }
            }
        });
    }
}

#[component]
fn Frame(me: Me) -> impl IntoView {
    let location = use_location();
    provide_context(OperatorLink::open());
    provide_context(Alerts(RwSignal::new(me.alerts)));
    let can_go_live = me.can(Scope::OperatorWrite);
    let entries = NAV
        .iter()
        .filter(|e| me.can(e.scope))
        .chain(me.runs_the_instance().then_some(&PLANS))
        .map(|e| {
            let href = e.href;
            let current = move || location.pathname.get().starts_with(href);
            view! {
                <li>
                    <a
                        href=href
                        aria-current=move || current().then_some("page")
                        class=move || {
                            let base = "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400";
                            if current() { format!("{base} bg-slate-800 text-white") } else { format!("{base} text-slate-300 hover:bg-slate-800 hover:text-white") }
                        }
                    >
                        <svg class="h-5 w-5 shrink-0" fill="none" stroke="currentColor" stroke-width="1.8" viewBox="0 0 24 24" aria-hidden="true">
                            <path stroke-linecap="round" stroke-linejoin="round" d=e.icon/>
                        </svg>
                        {e.label}
                    </a>
                </li>
            }
        })
        .collect_view();

    view! {
        <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-sm">"Skip to content"</a>
        <div class="flex h-full">
            <nav aria-label="Main" class="flex w-56 shrink-0 flex-col bg-slate-900 px-3 py-4">
                <div class="mb-6 flex items-center gap-2 px-3">
                    <span class="flex h-8 w-8 items-center justify-center rounded-md bg-sky-500 font-bold text-white" aria-hidden="true">"S"</span>
                    <div class="min-w-0">
                        <p class="text-sm font-semibold text-white">"Switchboard"</p>
                        <p class="truncate text-xs text-slate-400" data-testid="workspace-name">{me.workspace_name.clone()}</p>
                    </div>
                </div>
                <ul class="flex flex-col gap-1" role="list">{entries}</ul>
            </nav>
            <div class="flex min-w-0 flex-1 flex-col">
                <header class="flex h-14 shrink-0 items-center justify-between gap-4 border-b border-slate-200 bg-white px-6">
                    <div class="min-w-0">{can_go_live.then(|| view! { <StatusControl/> })}</div>
                    <MemberMenu me=me.clone()/>
                </header>
                {can_go_live.then(|| view! { <Offers/> })}
                <WaitingAlerts/>
                <Notifier me=me.member_id/>
                <main id="main" tabindex="-1" class="relative min-h-0 flex-1 overflow-y-auto focus:outline-none">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

#[component]
fn MemberMenu(me: Me) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let initials: String = me
        .name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    // The menu closes when its link takes the member to another page.
    let menu = NodeRef::<leptos::html::Details>::new();
    let close = move |_| {
        if let Some(details) = menu.get() {
            let _ = details.remove_attribute("open");
        }
    };
    view! {
        <details class="relative" data-testid="member-menu" node_ref=menu>
            <summary class="flex cursor-pointer list-none items-center gap-3 rounded-md px-2 py-1 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">
                <span class="flex h-8 w-8 items-center justify-center rounded-full bg-slate-700 text-xs font-semibold text-white" aria-hidden="true">{initials}</span>
                <span class="text-left">
                    <span class="block text-sm font-medium">{me.name.clone()}</span>
                    <span class="block text-xs text-slate-500">{me.role.label()}</span>
                </span>
                <span class="sr-only">"Open the member menu"</span>
            </summary>
            <div class="absolute right-0 z-20 mt-2 w-64 rounded-md border border-slate-200 bg-white p-2 shadow-lg">
                <p class="truncate px-2 py-1 text-xs text-slate-500">{me.email.clone()}</p>
                <AlertSettings/>
                <a href="/account" on:click=close class="mt-1 block w-full rounded px-2 py-2 text-left text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">
                    "Your account and password"
                </a>
                <ActionForm action=sign_out>
                    <button type="submit" class="mt-1 w-full rounded px-2 py-2 text-left text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">
                        "Sign out"
                    </button>
                </ActionForm>
                <ActionForm action=everywhere>
                    <button type="submit" class="w-full rounded px-2 py-2 text-left text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500" title="Ends your sessions on every computer and phone">
                        "Sign out everywhere"
                    </button>
                </ActionForm>
            </div>
        </details>
    }
}

/// The operator's status at the top of every screen: go live on workflows, then online, away
/// or busy, or offline. Every tab of the member shows the same presence.
#[component]
fn StatusControl() -> impl IntoView {
    let link = expect_context::<OperatorLink>();
    view! {
        <div class="flex items-center gap-3" data-testid="status-control">
            {move || match link.presence.get() {
                None => view! { <span class="text-sm text-slate-500" role="status">"Connecting…"</span> }.into_any(),
                Some(p) if p.live_workflows.is_empty() => view! { <GoLiveMenu presence=p/> }.into_any(),
                Some(p) => view! { <LiveStatus presence=p/> }.into_any(),
            }}
            {move || link.notice.get().map(|n| view! {
                <p role="alert" class="max-w-md truncate text-sm text-red-700" data-testid="status-notice" title=n.clone()>{n.clone()}</p>
            })}
        </div>
    }
}

#[component]
fn GoLiveMenu(presence: MyPresence) -> impl IntoView {
    let link = expect_context::<OperatorLink>();
    let chosen = RwSignal::new(presence.available_workflows.iter().map(|w| w.id).collect::<Vec<i64>>());
    let none = presence.available_workflows.is_empty();
    view! {
        <span class="flex items-center gap-2 text-sm text-slate-600" data-testid="presence">
            <span class="h-2.5 w-2.5 rounded-full bg-slate-400" aria-hidden="true"></span>"Offline"
        </span>
        <details class="relative" data-testid="go-live">
            <summary class="cursor-pointer list-none rounded-md bg-emerald-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-emerald-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-400">"Go live"</summary>
            <div class="absolute left-0 z-30 mt-2 w-72 rounded-md border border-slate-200 bg-white p-4 shadow-lg">
                {if none {
                    view! { <p class="text-sm text-slate-600">"You are not in an operator group with workflows yet. Ask an admin to add you to one."</p> }.into_any()
                } else {
                    view! {
                        <fieldset>
                            <legend class="text-sm font-medium">"Workflows to handle"</legend>
                            <div class="mt-2 space-y-2">
                                {presence.available_workflows.iter().map(|w| {
                                    let id = w.id;
                                    view! {
                                        <label class="flex items-center gap-2 text-sm">
                                            <input type="checkbox" class="h-4 w-4"
                                                prop:checked=move || chosen.with(|c| c.contains(&id))
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    chosen.update(|c| { c.retain(|x| *x != id); if on { c.push(id); } });
                                                }/>
                                            {w.name.clone()}
                                        </label>
                                    }
                                }).collect_view()}
                            </div>
                        </fieldset>
                        <button type="button" class="mt-4 w-full rounded-md bg-emerald-600 px-3 py-2 text-sm font-semibold text-white hover:bg-emerald-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-400"
                            on:click=move |_| {
                                link.notice.set(None);
                                link.send(&OperatorCommand::GoLive { workflow_ids: chosen.get_untracked() });
                            }>
                            "Start taking conversations"
                        </button>
                    }.into_any()
                }}
            </div>
        </details>
    }
}

#[component]
fn LiveStatus(presence: MyPresence) -> impl IntoView {
    let link = expect_context::<OperatorLink>();
    let dot = match presence.status {
        OperatorStatus::Online => "bg-emerald-500",
        OperatorStatus::Away => "bg-amber-400",
        OperatorStatus::Busy => "bg-red-500",
        OperatorStatus::Offline => "bg-slate-400",
    };
    let workflows = presence
        .live_workflows
        .iter()
        .map(|w| w.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let current = presence.status;
    view! {
        <span class=format!("h-2.5 w-2.5 rounded-full {dot}") aria-hidden="true"></span>
        <label class="sr-only" for="status-select">"Status"</label>
        <select id="status-select" data-testid="status-select"
            class="rounded-md border border-slate-300 bg-white py-1 pl-2 pr-8 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
            on:change=move |ev| {
                if let Some(status) = OperatorStatus::parse(&event_target_value(&ev)) {
                    link.notice.set(None);
                    link.send(&OperatorCommand::SetStatus { status });
                }
            }>
            {[OperatorStatus::Online, OperatorStatus::Away, OperatorStatus::Busy].into_iter().map(|s| view! {
                <option value=s.as_str() selected=s == current>{s.label()}</option>
            }).collect_view()}
        </select>
        <span class="hidden truncate text-sm text-slate-600 lg:inline" data-testid="presence">
            {format!("Live on {workflows} · {} of {} chats", presence.load, presence.limit)}
        </span>
        <button type="button" class="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
            on:click=move |_| { link.send(&OperatorCommand::GoOffline); }>
            "Go offline"
        </button>
    }
}

/// Supervisors' alerts of conversations waiting too long with nobody live, each linked to its
/// conversation and dismissed by hand.
#[component]
fn WaitingAlerts() -> impl IntoView {
    let link = expect_context::<OperatorLink>();
    view! {
        <For each=move || link.waiting_alerts.get() key=|(id, _)| *id let:alert>
            {
                let id = alert.0;
                view! {
                    <div role="alert" data-testid="waiting-alert" class="flex items-center gap-3 border-b border-amber-300 bg-amber-50 px-6 py-2 text-sm text-amber-900">
                        <span class="flex-1">{alert.1.clone()}</span>
                        <a href=format!("/inbox/{id}") class="font-semibold underline hover:text-amber-950"
                            on:click=move |_| link.waiting_alerts.update(|a| a.retain(|(x, _)| *x != id))>"Open it"</a>
                        <button type="button" aria-label="Dismiss" class="rounded px-1 hover:bg-amber-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-amber-500"
                            on:click=move |_| link.waiting_alerts.update(|a| a.retain(|(x, _)| *x != id))>"×"</button>
                    </div>
                }
            }
        </For>
    }
}

/// Conversations offered to the operator, each to accept or decline.
#[component]
fn Offers() -> impl IntoView {
    let link = expect_context::<OperatorLink>();
    let navigate = leptos_router::hooks::use_navigate();
    view! {
        <div class="pointer-events-none fixed right-4 top-16 z-40 w-80 space-y-2" aria-live="assertive">
            <For each=move || link.offers.get() key=|o| o.conversation.id let:offer>
                {
                    let id = offer.conversation.id;
                    let navigate = navigate.clone();
                    view! {
                        <div role="alertdialog" aria-label="Incoming conversation" data-testid="offer"
                            class="pointer-events-auto rounded-lg border border-sky-200 bg-white p-4 shadow-lg">
                            <p class="text-xs font-semibold uppercase tracking-wide text-sky-700">
                                {if offer.pooled { "Waiting for anyone on your team" } else { "Offered to you" }}
                            </p>
                            <p class="mt-1 font-semibold">{format!("{} · {}", offer.conversation.contact_name, offer.workflow_name)}</p>
                            <p class="truncate text-sm text-slate-600">{offer.conversation.last_message.clone().unwrap_or_default()}</p>
                            <div class="mt-3 flex gap-2">
                                <button type="button" class="flex-1 rounded-md bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                                    on:click=move |_| {
                                        link.notice.set(None);
                                        link.send(&OperatorCommand::Accept { conversation_id: id });
                                        navigate(&format!("/inbox/{id}"), Default::default());
                                    }>"Accept"</button>
                                <button type="button" class="flex-1 rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                                    on:click=move |_| { link.send(&OperatorCommand::Decline { conversation_id: id }); }>"Decline"</button>
                            </div>
                        </div>
                    }
                }
            </For>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_paths_are_encoded_for_the_query_string() {
        assert_eq!(super::encode("/settings"), "/settings");
        assert_eq!(super::encode("/inbox?x=1&y"), "/inbox%3Fx%3D1%26y");
    }
}

/// Sound and desktop notification preferences, in the member menu.
#[component]
fn AlertSettings() -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let permission = RwSignal::new(String::from("default"));
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| permission.set(crate::browser::notification_permission()));
    view! {
        <div class="border-b border-slate-100 px-2 pb-2">
            <button type="button" data-testid="notifications-toggle"
                class="w-full rounded px-2 py-2 text-left text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60"
                disabled=move || permission.get() != "default"
                on:click=move |_| crate::browser::ask_notification_permission(move |p| permission.set(p))>
                {move || match permission.get().as_str() {
                    "granted" => "Desktop notifications are on",
                    "denied" => "Desktop notifications are blocked in this browser",
                    "unsupported" => "This browser cannot show notifications",
                    _ => "Turn on desktop notifications",
                }}
            </button>
            <label class="flex items-center gap-2 px-2 py-1 text-sm text-slate-700">
                <input type="checkbox" class="h-4 w-4" prop:checked=move || alerts.0.get().sound
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        alerts.change(|a| a.sound = on, problem);
                    }/>
                "Play a sound for new conversations and messages"
            </label>
            {move || problem.get().map(|p| view! { <p role="alert" class="px-2 text-xs text-red-700">{p}</p> })}
        </div>
    }
}

/// Tells the member when something needs them: a chime and a desktop notification when a
/// conversation is offered to them, and when one of theirs is assigned or gets a message while
/// the tab is hidden. Keeps the unread count of their conversations for the tab title.
#[component]
fn Notifier(me: i64) -> impl IntoView {
    use std::collections::HashMap;

    use crate::events::OperatorEvent;
    use crate::inbox::{ConversationSummary, InboxQuery};

    let link = expect_context::<OperatorLink>();
    let badge = use_context::<crate::UnreadBadge>();
    // My conversations and the last message seen of each.
    let mine = StoredValue::new(HashMap::<i64, i64>::new());
    let refresh = move || {
        leptos::task::spawn_local(async move {
            let query = InboxQuery {
                view: "mine".into(),
                ..Default::default()
            };
            if let Ok(page) = crate::inbox::inbox_page(query).await {
                mine.set_value(page.conversations.iter().map(|c| (c.id, c.last_seq)).collect());
                link.mine_unread.set(page.mine_unread);
            }
        });
    };
    if let Some(b) = badge {
        Effect::new(move |_| b.0.set(link.mine_unread.get()));
        on_cleanup(move || b.0.set(0));
    }
    link.on_connect(refresh);
    let prefs = expect_context::<Alerts>().0;
    let alert = move |title: String, body: String, path: String| {
        let prefs = prefs.get_untracked();
        if prefs.sound {
            crate::browser::chime();
        }
        if prefs.desktop {
            crate::browser::notify(&title, &body, &path);
        }
    };
    link.listen(move |event| match event {
        OperatorEvent::Offer { offer } => alert(
            format!("Conversation offered: {}", offer.conversation.contact_name),
            format!(
                "{} · {}",
                offer.workflow_name,
                offer
                    .conversation
                    .last_message
                    .as_deref()
                    .map(crate::format::plain)
                    .unwrap_or_default()
            ),
            format!("/inbox/{}", offer.conversation.id),
        ),
        OperatorEvent::Conversation { conversation: c } => {
            let before = mine.with_value(|m| m.get(&c.id).copied());
            let hidden = crate::browser::tab_hidden();
            let path = format!("/inbox/{}", c.id);
            if c.assignee_id == Some(me) && c.status != crate::lifecycle::Status::Resolved {
                mine.update_value(|m| {
                    m.insert(c.id, c.last_seq);
                });
                match before {
                    None => {
                        if hidden {
                            alert(
                                format!("Assigned to you: {}", c.contact_name),
                                c.channel_name.clone(),
                                path,
                            );
                        }
                        refresh();
                    }
                    Some(seen) if c.last_seq > seen => {
                        let theirs = ConversationSummary::counts_as_unread(c.last_sender_kind, c.last_sender_id, me);
                        if c.last_seq > seen + 1 {
                            // Several messages since (or changes the server merged while this
                            // console was behind): whoever wrote the last, ask for the total.
                            refresh();
                        } else if theirs {
                            link.mine_unread.update(|n| *n += 1);
                        }
                        if theirs && hidden {
                            alert(
                                format!("New message from {}", c.contact_name),
                                c.last_message.as_deref().map(crate::format::plain).unwrap_or_default(),
                                path,
                            );
                        }
                    }
                    Some(_) => {}
                }
            } else if before.is_some() {
                mine.update_value(|m| {
                    m.remove(&c.id);
                });
                refresh();
            }
        }
        OperatorEvent::Read { .. } => refresh(),
        OperatorEvent::WaitingAlert {
            conversation_id,
            contact_name,
            workflow_name,
            ..
        } => alert(
            format!("Waiting with nobody live: {contact_name}"),
            format!("{workflow_name}: nobody live can take it."),
            format!("/inbox/{conversation_id}"),
        ),
        _ => {}
    });
}
