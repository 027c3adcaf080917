//! The signed-in application frame: sidebar navigation that follows the member's scopes, the
//! member menu with sign-out, and the redirect to sign-in when the session is gone.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;

use crate::api::{current_member, SignOut};
use crate::pages::errors::ErrorPanel;
use crate::{Me, Scope};

/// A page's entry in the sidebar, and the scope that shows it.
struct NavEntry {
    href: &'static str,
    label: &'static str,
    scope: Scope,
    icon: &'static str,
}

const NAV: [NavEntry; 4] = [
    NavEntry { href: "/inbox", label: "Inbox", scope: Scope::OperatorRead, icon: "M3 7l9 6 9-6M5 5h14a2 2 0 012 2v10a2 2 0 01-2 2H5a2 2 0 01-2-2V7a2 2 0 012-2z" },
    NavEntry { href: "/live", label: "Live", scope: Scope::ConversationsReadAll, icon: "M12 8v4l3 2m6-2a9 9 0 11-18 0 9 9 0 0118 0z" },
    NavEntry { href: "/people", label: "People", scope: Scope::MembersRead, icon: "M17 20h5v-2a4 4 0 00-5-3.9M9 20H4v-2a4 4 0 015-3.9m8-6.1a4 4 0 11-8 0 4 4 0 018 0z" },
    NavEntry { href: "/settings", label: "Settings", scope: Scope::SettingsWrite, icon: "M10.3 4.3a1.7 1.7 0 013.4 0 1.7 1.7 0 002.6 1.1 1.7 1.7 0 012.4 2.4 1.7 1.7 0 001 2.5 1.7 1.7 0 010 3.4 1.7 1.7 0 00-1 2.6 1.7 1.7 0 01-2.4 2.4 1.7 1.7 0 00-2.6 1 1.7 1.7 0 01-3.4 0 1.7 1.7 0 00-2.5-1 1.7 1.7 0 01-2.4-2.4 1.7 1.7 0 00-1.1-2.6 1.7 1.7 0 010-3.4 1.7 1.7 0 001.1-2.5 1.7 1.7 0 012.4-2.4 1.7 1.7 0 002.5-1.1zM15 12a3 3 0 11-6 0 3 3 0 016 0z" },
];

#[component]
pub fn AppShell() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_member());
    let location = use_location();

    view! {
        <Suspense fallback=|| view! { <FullPageLoading/> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(me) => {
                        provide_context(me.clone());
                        view! { <Frame me/> }.into_any()
                    }
                    Err(e) if e.needs_sign_in() => {
                        let reason = if matches!(e, crate::AppError::SessionExpired) { "expired" } else { "signed_out" };
                        let next = location.pathname.get_untracked();
                        let path = format!("/sign-in?reason={reason}&next={}", encode(&next));
                        view! { <Redirect path/> }.into_any()
                    }
                    Err(e) => view! { <div class="p-8"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Suspense>
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

#[component]
fn Frame(me: Me) -> impl IntoView {
    let location = use_location();
    let entries = NAV
        .iter()
        .filter(|e| me.can(e.scope))
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
                <header class="flex h-14 shrink-0 items-center justify-end border-b border-slate-200 bg-white px-6">
                    <MemberMenu me=me.clone()/>
                </header>
                <main id="main" tabindex="-1" class="min-h-0 flex-1 overflow-y-auto focus:outline-none">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

#[component]
fn MemberMenu(me: Me) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let initials: String = me
        .name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    view! {
        <details class="relative" data-testid="member-menu">
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
                <ActionForm action=sign_out>
                    <button type="submit" class="mt-1 w-full rounded px-2 py-2 text-left text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">
                        "Sign out"
                    </button>
                </ActionForm>
            </div>
        </details>
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
