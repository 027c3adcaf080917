//! Error states shown to a person: not found, not allowed, and any error in words.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::AppError;

/// Sets the HTTP status of the page being rendered on the server.
pub fn set_page_status(_status: u16) {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(_status) {
            options.set_status(status);
        }
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_page_status(404);
    view! {
        <Title text="Page not found"/>
        <div class="flex min-h-full flex-col items-center justify-center gap-4 p-8 text-center">
            <p class="text-sm font-semibold text-sky-700">"404"</p>
            <h1 class="text-2xl font-bold">"This page does not exist"</h1>
            <p class="max-w-md text-slate-600">"The address may be mistyped, or the page may have moved."</p>
            <a href="/inbox" class="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Go to the inbox"</a>
        </div>
    }
}

/// Shown in place of a page the member's role does not reach.
#[component]
pub fn Forbidden(page: &'static str) -> impl IntoView {
    set_page_status(403);
    view! {
        <Title text="Not allowed"/>
        <div class="mx-auto max-w-xl p-8" role="alert" data-testid="forbidden">
            <h1 class="text-xl font-semibold">{format!("You do not have access to {page}")}</h1>
            <p class="mt-2 text-slate-600">"Your role does not include this part of Switchboard. Ask an admin of your workspace if you need it."</p>
        </div>
    }
}

/// An error in words, with the status where it helps.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    view! {
        <div role="alert" class="rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-800">
            <p class="font-medium">{error.to_string()}</p>
        </div>
    }
}

/// The loading line inside a page.
#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! {
        <p class="p-6 text-sm text-slate-500" role="status" aria-live="polite">{format!("Loading {what}…")}</p>
    }
}

/// An empty list, said plainly with what would fill it.
#[component]
pub fn EmptyState(title: &'static str, body: &'static str) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-dashed border-slate-300 bg-white p-10 text-center" data-testid="empty-state">
            <p class="font-medium text-slate-800">{title}</p>
            <p class="mt-1 text-sm text-slate-500">{body}</p>
        </div>
    }
}

/// A table of records: a heading row from `columns` (an empty name is a column of actions,
/// named for screen readers), then the rows.
#[component]
pub fn DataTable(
    testid: &'static str,
    columns: Vec<&'static str>,
    /// Extra classes for the body (`align-top`, …).
    #[prop(optional)]
    body_class: &'static str,
    children: Children,
) -> impl IntoView {
    let headings = columns
        .into_iter()
        .map(|c| {
            let name = if c.is_empty() {
                view! { <span class="sr-only">"Actions"</span> }.into_any()
            } else {
                c.into_any()
            };
            view! { <th scope="col" class="px-4 py-2">{name}</th> }
        })
        .collect_view();
    view! {
        // A table wider than its column scrolls inside it rather than under what is beside it.
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="w-full text-sm" data-testid=testid>
                <thead class="bg-slate-50 text-left text-xs uppercase text-slate-500">
                    <tr>{headings}</tr>
                </thead>
                <tbody class=format!("divide-y divide-slate-100 {body_class}")>{children()}</tbody>
            </table>
        </div>
    }
}

/// A page's heading row.
#[component]
pub fn PageHeader(title: &'static str, #[prop(optional)] subtitle: Option<&'static str>) -> impl IntoView {
    view! {
        <Title text=title/>
        <div class="border-b border-slate-200 bg-white px-8 py-5">
            <h1 class="text-xl font-semibold">{title}</h1>
            {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-500">{s}</p> })}
        </div>
    }
}
