//! Browser services the pages use: uploading a file, desktop notifications and a sound, whether
//! the tab is hidden, focusing an element. On the server each is a no-op, so pages call them
//! without caring where they render.

#[cfg(feature = "hydrate")]
use crate::conversation::AttachmentView;
#[cfg(feature = "hydrate")]
use crate::AppError;

/// Uploads a file the person chose to `path` (the file is the request body, its name in the
/// query) and returns what the server stored.
#[cfg(feature = "hydrate")]
pub async fn upload(path: &str, file: web_sys::File, bearer: Option<&str>) -> Result<AttachmentView, AppError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let transport = |e: wasm_bindgen::JsValue| AppError::Transport(format!("{e:?}"));
    let name = js_sys::encode_uri_component(&file.name());
    let url = format!("{path}{}name={name}", if path.contains('?') { '&' } else { '?' });
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(transport)?;
    let kind = file.type_();
    headers
        .set(
            "content-type",
            if kind.is_empty() {
                "application/octet-stream"
            } else {
                &kind
            },
        )
        .map_err(transport)?;
    if let Some(token) = bearer {
        headers
            .set("authorization", &format!("Bearer {token}"))
            .map_err(transport)?;
    }
    init.set_headers(&headers);
    init.set_body(&file);
    let window = web_sys::window().ok_or_else(|| AppError::Transport("no window".into()))?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|_| AppError::Transport("the upload did not reach the server".into()))?
        .dyn_into()
        .map_err(transport)?;
    let text = JsFuture::from(response.text().map_err(transport)?)
        .await
        .map_err(transport)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|e| AppError::Transport(e.to_string()))
    } else {
        // The server answers `{ "error": "…", "kind": AppError }`.
        let parsed: Option<AppError> = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| serde_json::from_value(v["kind"].clone()).ok());
        Err(parsed.unwrap_or_else(|| AppError::Transport(format!("the upload failed ({})", response.status()))))
    }
}

/// The files chosen in a file input, cleared afterwards so the same file can be chosen again.
#[cfg(feature = "hydrate")]
pub fn take_files(input: &web_sys::HtmlInputElement) -> Vec<web_sys::File> {
    let mut out = Vec::new();
    if let Some(list) = input.files() {
        for i in 0..list.length() {
            if let Some(f) = list.get(i) {
                out.push(f);
            }
        }
    }
    input.set_value("");
    out
}

/// Whether the person is looking at another tab or window.
pub fn tab_hidden() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// Desktop notifications: `"granted"`, `"denied"`, `"default"` (not asked yet) or
/// `"unsupported"`.
pub fn notification_permission() -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let supported = web_sys::window()
            .and_then(|w| js_sys::Reflect::has(&w, &JsValue::from_str("Notification")).ok())
            .unwrap_or(false);
        if !supported {
            return "unsupported".into();
        }
        match web_sys::Notification::permission() {
            web_sys::NotificationPermission::Granted => "granted".into(),
            web_sys::NotificationPermission::Denied => "denied".into(),
            _ => "default".into(),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        "unsupported".into()
    }
}

/// Asks for permission to show desktop notifications; `done` gets the answer.
pub fn ask_notification_permission(done: impl Fn(String) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen_futures::JsFuture;
        if let Ok(promise) = web_sys::Notification::request_permission() {
            leptos::task::spawn_local(async move {
                let _ = JsFuture::from(promise).await;
                done(notification_permission());
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = done;
}

/// Shows a desktop notification (if allowed); clicking it brings the tab forward at `path`.
pub fn notify(title: &str, body: &str, path: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;
        if notification_permission() != "granted" {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        options.set_body(body);
        options.set_tag(path);
        if let Ok(n) = web_sys::Notification::new_with_options(title, &options) {
            let path = path.to_string();
            let click = Closure::<dyn FnMut()>::new(move || {
                if let Some(w) = web_sys::window() {
                    let _ = w.focus();
                    let _ = w.location().set_href(&path);
                }
            });
            n.set_onclick(Some(click.as_ref().unchecked_ref()));
            click.forget();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (title, body, path);
}

/// A short two-tone chime, made with the Web Audio API (no file to load).
pub fn chime() {
    #[cfg(feature = "hydrate")]
    {
        let Ok(ctx) = web_sys::AudioContext::new() else {
            return;
        };
        let now = ctx.current_time();
        for (i, freq) in [880.0f32, 1174.7].iter().enumerate() {
            let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
                return;
            };
            osc.set_type(web_sys::OscillatorType::Sine);
            osc.frequency().set_value(*freq);
            let start = now + i as f64 * 0.12;
            gain.gain().set_value(0.0);
            let _ = gain.gain().linear_ramp_to_value_at_time(0.15, start + 0.01);
            let _ = gain.gain().linear_ramp_to_value_at_time(0.0, start + 0.25);
            let _ = osc.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&ctx.destination());
            let _ = osc.start_with_when(start);
            let _ = osc.stop_with_when(start + 0.3);
        }
    }
}

/// Puts the keyboard focus on the element with this id.
pub fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Copies `text` to the clipboard; false when the browser refuses (the person can still select
/// it and copy it themselves).
pub async fn copy_text(_text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::Reflect;
        use wasm_bindgen::JsCast;
        let copy = async {
            let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
            let clipboard = Reflect::get(&navigator, &"clipboard".into()).ok()?;
            let write: js_sys::Function = Reflect::get(&clipboard, &"writeText".into()).ok()?.dyn_into().ok()?;
            let promise: js_sys::Promise = write.call1(&clipboard, &_text.into()).ok()?.dyn_into().ok()?;
            wasm_bindgen_futures::JsFuture::from(promise).await.ok()
        };
        copy.await.is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// `bytes` random bytes as hex, from the browser's cryptographic generator (empty on the
/// server, or if the browser has none).
pub fn random_hex(_bytes: usize) -> String {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::Reflect;
        use wasm_bindgen::JsCast;
        let fill = || -> Option<String> {
            let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
            let get: js_sys::Function = Reflect::get(&crypto, &"getRandomValues".into()).ok()?.dyn_into().ok()?;
            let array = js_sys::Uint8Array::new_with_length(_bytes as u32);
            get.call1(&crypto, &array).ok()?;
            Some(array.to_vec().iter().map(|b| format!("{b:02x}")).collect())
        };
        fill().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}
