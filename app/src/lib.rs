#![recursion_limit = "512"]
//! Switchboard's pages, components and server functions, shared by the server (SSR) and the
//! browser (hydrated WASM).

pub mod api;
pub mod browser;
mod error;
pub mod events;
pub mod format;
mod layout;
pub mod link;
pub mod macros;
pub mod model;
mod pages;
pub mod socket;

pub use error::AppError;
pub use model::{Me, Role, Scope};

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the application.
pub fn shell(options: LeptosOptions) -> impl IntoView {
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

/// Unread messages in the signed-in member's conversations, shown in the tab title.
#[derive(Clone, Copy)]
pub struct UnreadBadge(pub RwSignal<u32>);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let badge = RwSignal::new(0u32);
    provide_context(UnreadBadge(badge));

    // Lets tests (and people reading the DOM) know the page is interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/switchboard.css"/>
        <Title formatter=move |text: String| {
            let title = if text.is_empty() { "Switchboard".to_string() } else { format!("{text} · Switchboard") };
            match badge.get() {
                0 => title,
                n => format!("({n}) {title}"),
            }
        }/>
        <Router>
            <Routes fallback=pages::errors::NotFound>
                <Route path=path!("/sign-in") view=pages::sign_in::SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/chat/:key") view=pages::chat::ChatPage ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view=pages::invite::InvitePage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=layout::AppShell ssr=SsrMode::Async>
                    <Route path=path!("") view=|| view! { <Redirect path="/inbox"/> }/>
                    <ParentRoute path=path!("/inbox") view=pages::inbox::InboxPage>
                        <Route path=path!("") view=pages::inbox::NoConversation/>
                        <Route path=path!(":id") view=pages::conversation::ConversationView/>
                    </ParentRoute>
                    <Route path=path!("/live") view=pages::live::LivePage/>
                    <Route path=path!("/canned") view=pages::canned::CannedPage/>
                    <Route path=path!("/people") view=pages::people::PeoplePage/>
                    <Route path=path!("/settings") view=pages::settings::SettingsPage/>
                    <Route path=path!("/audit") view=pages::audit::AuditPage/>
                    <Route path=path!("/workflows") view=pages::workflows::WorkflowsPage/>
                    <Route path=path!("/qualifications") view=pages::qualifications::QualificationsPage/>
                    <Route path=path!("/qualifications/:id") view=pages::qualifications::PracticePage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
