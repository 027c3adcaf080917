//! What the page embedding the chat asks of it, through the widget's loader (`widget.js`):
//! `Switchboard.identify(...)` and `Switchboard.reset()` arrive as window messages from the
//! parent page; the chat says when it is ready for them.

use crate::chat::Identity;

/// A request from the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiteRequest {
    /// Its signed-in customer.
    Identify(Identity),
    /// Its customer signed out: forget them in this browser.
    Reset,
}

/// Calls `on` with each request the embedding page sends (messages from another window are
/// ignored), while the calling component lives.
pub fn listen(on: impl Fn(SiteRequest) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::Reflect;
        let handle = leptos::prelude::window_event_listener(leptos::ev::message, move |e: web_sys::MessageEvent| {
            let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
            let from_parent = match (e.source(), parent) {
                (Some(source), Some(parent)) => js_sys::Object::is(&source, &parent),
                _ => false,
            };
            if !from_parent {
                return;
            }
            let data = e.data();
            let text = |v: &wasm_bindgen::JsValue, k: &str| {
                Reflect::get(v, &k.into())
                    .ok()
                    .and_then(|x| x.as_string())
                    .unwrap_or_default()
            };
            match text(&data, "type").as_str() {
                "switchboard:identify" => {
                    let user = Reflect::get(&data, &"user".into()).unwrap_or_default();
                    on(SiteRequest::Identify(Identity {
                        id: text(&user, "id"),
                        name: text(&user, "name"),
                        email: text(&user, "email"),
                        phone: text(&user, "phone"),
                        attributes: text(&user, "attributes"),
                        hmac: text(&data, "hmac"),
                    }));
                }
                "switchboard:reset" => on(SiteRequest::Reset),
                _ => {}
            }
        });
        leptos::prelude::on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = on;
}

/// Tells the embedding page (if any) that the chat takes its requests now.
pub fn ready() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        if let Ok(Some(parent)) = w.parent() {
            if !js_sys::Object::is(&parent, &w) {
                let message = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&message, &"type".into(), &"switchboard:ready".into());
                let _ = parent.post_message(&message, "*");
            }
        }
    }
}
