//! The inbox's keyboard shortcuts and their help.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use super::state::{inbox_href, Inbox};

/// The shortcuts, in one place for the handler and the help sheet.
pub const SHORTCUTS: [(&str, &str); 8] = [
    ("j  or  Alt+↓", "Next conversation"),
    ("k  or  Alt+↑", "Previous conversation"),
    ("r", "Reply: focus the composer"),
    ("n", "Write a note for the team"),
    ("e", "Resolve the open conversation"),
    ("/", "Search conversations"),
    ("?", "Show these shortcuts"),
    ("Esc", "Close this sheet, or leave the composer"),
];

/// Keyboard shortcuts for the inbox; letters only act when no field has the focus.
pub fn shortcuts(inbox: Inbox) {
    let navigate = use_navigate();
    let location = use_location();
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        let typing = ev
            .target()
            .and_then(|t| {
                use leptos::wasm_bindgen::JsCast;
                t.dyn_into::<leptos::web_sys::Element>().ok()
            })
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.has_attribute("contenteditable")
            });
        let key = ev.key();
        if key == "Escape" {
            if inbox.help_open.get_untracked() {
                inbox.help_open.set(false);
            } else if typing {
                if let Some(el) = ev.target().and_then(|t| {
                    use leptos::wasm_bindgen::JsCast;
                    t.dyn_into::<leptos::web_sys::HtmlElement>().ok()
                }) {
                    let _ = el.blur();
                }
            }
            return;
        }
        if ev.ctrl_key() || ev.meta_key() {
            return;
        }
        let step = match key.as_str() {
            "ArrowDown" if ev.alt_key() => Some(1),
            "ArrowUp" if ev.alt_key() => Some(-1),
            "j" if !typing && !ev.alt_key() => Some(1),
            "k" if !typing && !ev.alt_key() => Some(-1),
            _ => None,
        };
        if let Some(step) = step {
            ev.prevent_default();
            if let Some(id) = inbox.neighbour(step) {
                navigate(&inbox_href(&inbox.query.get_untracked(), Some(id)), Default::default());
            }
            return;
        }
        if typing || ev.alt_key() {
            return;
        }
        match key.as_str() {
            "?" => {
                ev.prevent_default();
                inbox.help_open.set(true);
            }
            "/" => {
                ev.prevent_default();
                crate::browser::focus("inbox-search");
            }
            "r" | "n" if location.pathname.get_untracked().starts_with("/inbox/") => {
                ev.prevent_default();
                inbox.compose_note.set(key == "n");
                crate::browser::focus("composer");
            }
            "e" => {
                if let Some(id) = inbox.open.get_untracked() {
                    ev.prevent_default();
                    leptos::task::spawn_local(async move {
                        match crate::conversation::resolve_conversation(id).await {
                            Ok(s) => inbox.upsert(s),
                            Err(e) => inbox.problem.set(Some(e.to_string())),
                        }
                    });
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
}

#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    view! {
        {move || inbox.help_open.get().then(|| view! {
            <div class="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4" on:click=move |_| inbox.help_open.set(false)>
                <div role="dialog" aria-modal="true" aria-labelledby="shortcuts-heading" data-testid="shortcut-help"
                    class="w-full max-w-md rounded-lg bg-white p-6 shadow-xl" on:click=|ev| ev.stop_propagation()>
                    <div class="flex items-center justify-between">
                        <h2 id="shortcuts-heading" class="text-base font-semibold">"Keyboard shortcuts"</h2>
                        <button type="button" autofocus class="rounded px-2 py-1 text-sm text-slate-600 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                            on:click=move |_| inbox.help_open.set(false)>"Close"</button>
                    </div>
                    <dl class="mt-4 divide-y divide-slate-100 text-sm">
                        {SHORTCUTS.into_iter().map(|(keys, what)| view! {
                            <div class="flex justify-between gap-4 py-2">
                                <dt><kbd class="rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 font-mono text-xs">{keys}</kbd></dt>
                                <dd class="text-slate-700">{what}</dd>
                            </div>
                        }).collect_view()}
                    </dl>
                    <p class="mt-4 text-xs text-slate-500">"In the composer: Enter sends, Shift+Enter starts a new line, / searches canned responses."</p>
                </div>
            </div>
        })}
    }
}
