#![recursion_limit = "512"]
//! Switchboard's pages, components and server functions, shared by the server (SSR) and the
//! browser (hydrated WASM).

// Shared by every feature: who may do what, errors, the live protocol, formatting.
mod access;
pub mod browser;
mod error;
mod errors;
pub mod escalation;
pub mod events;
pub mod format;
mod layout;
pub mod lifecycle;
pub mod link;
pub mod macros;
#[cfg(feature = "ssr")]
pub mod service;
pub mod socket;
pub mod time;

// One module per feature: its types, its server functions and its pages.
pub mod audit;
pub mod auth;
pub mod canned;
pub mod channels;
pub mod chat;
pub mod contacts;
pub mod conversation;
pub mod history;
pub mod inbox;
pub mod instance;
pub mod integrations;
pub mod live;
pub mod people;
pub mod qualifications;
pub mod reports;
pub mod settings;
pub mod workflows;

pub use access::{AlertPreferences, Me, Role, Scope};
pub use error::AppError;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy, LazyRoute, SsrMode};

/// The HTML document around the application.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's inline scripts carry this response's nonce; the server's security headers
    // (server/src/http.rs) allow exactly that nonce in the Content-Security-Policy.
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = http::HeaderValue::from_str(&nonce) {
            response.insert_header(http::HeaderName::from_static(SCRIPT_NONCE_HEADER), value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <MetaTags/>
            </head>
            <body class="h-full text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

/// The response header a page names its script nonce in, for the security headers to use
/// (they remove it before the response leaves).
pub const SCRIPT_NONCE_HEADER: &str = "x-switchboard-script-nonce";

/// Unread messages in the signed-in member's conversations, shown in the tab title.
#[derive(Clone, Copy)]
pub struct UnreadBadge(pub RwSignal<u32>);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let badge = RwSignal::new(0u32);
    provide_context(UnreadBadge(badge));
    // True while the router loads the next page (its code, the first time it is shown).
    let navigating = RwSignal::new(false);

    view! {
        <Stylesheet id="leptos" href="/pkg/switchboard.css"/>
        <Title formatter=move |text: String| {
            let title = if text.is_empty() { "Switchboard".to_string() } else { format!("{text} · Switchboard") };
            // The server has no unread count to show, and it writes the title when the page's
            // reactive values may be gone already (reading one then panicked and cut the
            // response off): only the browser reads it.
            let unread = if cfg!(feature = "hydrate") { badge.get() } else { 0 };
            match unread {
                0 => title,
                n => format!("({n}) {title}"),
            }
        }/>
        <Show when=move || navigating.get()>
            <div role="progressbar" aria-label="Opening the page"
                class="fixed inset-x-0 top-0 z-50 h-1 animate-pulse bg-sky-600"></div>
        </Show>
        <Router set_is_routing=navigating>
            <Routes fallback=errors::NotFound>
                <Route path=path!("/sign-in") view={Lazy::<SignIn>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/chat/:key") view={Lazy::<Chat>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view={Lazy::<Invite>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view={Lazy::<ForgotPassword>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/reset-password/:token") view={Lazy::<ResetPassword>::new()} ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view={Lazy::<Console>::new()} ssr=SsrMode::Async>
                    <Route path=path!("") view=|| view! { <Redirect path="/inbox"/> }/>
                    <ParentRoute path=path!("/inbox") view={Lazy::<Inbox>::new()}>
                        <Route path=path!("") view=inbox::page::NoConversation/>
                        <Route path=path!(":id") view={Lazy::<Conversation>::new()}/>
                    </ParentRoute>
                    <Route path=path!("/live") view={Lazy::<Live>::new()}/>
                    <Route path=path!("/history") view={Lazy::<History>::new()}/>
                    <Route path=path!("/reports") view={Lazy::<Reports>::new()}/>
                    <Route path=path!("/account") view={Lazy::<Account>::new()}/>
                    <Route path=path!("/canned") view={Lazy::<Canned>::new()}/>
                    <Route path=path!("/people") view={Lazy::<People>::new()}/>
                    <Route path=path!("/channels") view={Lazy::<Channels>::new()}/>
                    <Route path=path!("/settings") view={Lazy::<Settings>::new()}/>
                    <Route path=path!("/audit") view={Lazy::<Audit>::new()}/>
                    <Route path=path!("/integrations") view={Lazy::<Integrations>::new()}/>
                    <Route path=path!("/plans") view={Lazy::<Plans>::new()}/>
                    <Route path=path!("/workflows") view={Lazy::<Workflows>::new()}/>
                    <Route path=path!("/qualifications") view={Lazy::<Qualifications>::new()}/>
                    <Route path=path!("/qualifications/:id") view={Lazy::<Practice>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Pages whose code the browser fetches when they are first shown: `cargo leptos build --split`
/// cuts the code reachable only from a `#[lazy]` function into chunks of its own. Each group
/// below is one such function (one split point): a visitor's chat loads none of the console,
/// the console none of the chat or the administration, and few split points keep the chunks
/// few (every combination of split points that shares code becomes a chunk).
///
/// `lazy_pages!(Group, render, __preload_render: Route => page, ...)` defines the route types
/// for `Lazy::<Route>` and the lazy `render` function behind them.
macro_rules! lazy_pages {
    ($pages:ident, $render:ident, $preload:ident: $($route:ident => $page:path),* $(,)?) => {
        #[derive(Clone, Copy)]
        #[repr(u8)]
        enum $pages {
            $($route,)*
        }

        #[leptos::lazy]
        fn $render(page: $pages) -> AnyView {
            match page {
                $($pages::$route => $page().into_any(),)*
            }
        }

        $(
            struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    $render($pages::$route).await
                }

                async fn preload() {
                    #[cfg(target_arch = "wasm32")]
                    $preload().await;
                }
            }
        )*
    };
}

// What a visitor sees: the chat, inside the widget or on its own page.
lazy_pages! {
    VisitorPage, visitor_page, __preload_visitor_page:
    Chat => chat::page::ChatPage,
}

// The way in: signing in, and accepting an invitation.
lazy_pages! {
    EntrancePage, entrance_page, __preload_entrance_page:
    SignIn => auth::sign_in::SignInPage,
    Invite => auth::invite::InvitePage,
    ForgotPassword => auth::password::ForgotPasswordPage,
    ResetPassword => auth::password::ResetPasswordPage,
}

// What an operator works in all day: the frame, the inbox and the live view.
lazy_pages! {
    ConsolePage, console_page, __preload_console_page:
    Console => layout::AppShell,
    Inbox => inbox::page::InboxPage,
    Conversation => conversation::page::ConversationView,
    Live => live::page::LivePage,
    Account => auth::account::AccountPage,
}

// Administration, fetched the first time one of its pages is opened.
lazy_pages! {
    AdminPage, admin_page, __preload_admin_page:
    Canned => canned::page::CannedPage,
    History => history::page::HistoryPage,
    Reports => reports::page::ReportsPage,
    People => people::page::PeoplePage,
    Channels => channels::page::ChannelsPage,
    Settings => settings::page::SettingsPage,
    Audit => audit::page::AuditPage,
    Integrations => integrations::page::IntegrationsPage,
    Plans => instance::page::PlansPage,
    Workflows => workflows::page::WorkflowsPage,
    Qualifications => qualifications::page::QualificationsPage,
    Practice => qualifications::page::PracticePage,
}
