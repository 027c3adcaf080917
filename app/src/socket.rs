//! A WebSocket in the browser that reconnects by itself, with growing pauses, until closed.
//! On the server (SSR) there is no socket: `Socket::open` returns a handle that sends nothing.

/// A new idempotency key for a message the browser sends.
pub fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let a = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let b = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        format!("{:x}-{a:08x}{b:08x}", js_sys::Date::now() as u64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// The browser's clock in Unix milliseconds (0 on the server).
pub fn js_now() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// The full URL of a path on this site (as the browser sees it).
pub fn site_url(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        format!("{origin}{path}")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        path.to_string()
    }
}

/// The `ws://` or `wss://` URL of a path on this site.
pub fn ws_url(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let location = web_sys::window().expect("a window").location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        format!("{scheme}://{}{path}", location.host().unwrap_or_default())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        path.to_string()
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use std::cell::{Cell, RefCell};
    use std::rc::{Rc, Weak};

    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

    type Handlers = (
        Closure<dyn FnMut(Event)>,
        Closure<dyn FnMut(MessageEvent)>,
        Closure<dyn FnMut(CloseEvent)>,
    );

    struct Inner {
        url: RefCell<String>,
        ws: RefCell<Option<WebSocket>>,
        handlers: RefCell<Option<Handlers>>,
        on_open: Box<dyn Fn()>,
        on_text: Box<dyn Fn(String)>,
        on_down: Box<dyn Fn(u32, u16, String)>,
        stopped: Cell<bool>,
        failures: Cell<u32>,
    }

    /// A reconnecting socket. Dropping it does not close it; call `close`.
    #[derive(Clone)]
    pub struct Socket(Rc<Inner>);

    impl Socket {
        /// Opens `url`. `on_open` runs after every (re)connect, `on_text` for each text frame,
        /// `on_down` whenever the socket is down, with the number of failed attempts in a row,
        /// the close code and its reason.
        pub fn open(
            url: String,
            on_open: impl Fn() + 'static,
            on_text: impl Fn(String) + 'static,
            on_down: impl Fn(u32, u16, String) + 'static,
        ) -> Socket {
            let inner = Rc::new(Inner {
                url: RefCell::new(url),
                ws: RefCell::new(None),
                handlers: RefCell::new(None),
                on_open: Box::new(on_open),
                on_text: Box::new(on_text),
                on_down: Box::new(on_down),
                stopped: Cell::new(false),
                failures: Cell::new(0),
            });
            connect(&inner);
            Socket(inner)
        }

        /// Sends a text frame; false when the socket is not open right now.
        pub fn send(&self, text: &str) -> bool {
            match self.0.ws.borrow().as_ref() {
                Some(ws) if ws.ready_state() == WebSocket::OPEN => ws.send_with_str(text).is_ok(),
                _ => false,
            }
        }

        pub fn is_open(&self) -> bool {
            self.0
                .ws
                .borrow()
                .as_ref()
                .is_some_and(|ws| ws.ready_state() == WebSocket::OPEN)
        }

        /// Connects to another URL from now on (a new visitor token, say).
        pub fn set_url(&self, url: String) {
            *self.0.url.borrow_mut() = url;
        }

        /// Drops the connection and makes a new one (which runs `on_open` again).
        pub fn reconnect(&self) {
            if let Some(ws) = self.0.ws.borrow().as_ref() {
                let _ = ws.close();
            }
        }

        pub fn close(&self) {
            self.0.stopped.set(true);
            if let Some(ws) = self.0.ws.borrow_mut().take() {
                let _ = ws.close();
            }
        }
    }

    fn connect(inner: &Rc<Inner>) {
        if inner.stopped.get() {
            return;
        }
        let url = inner.url.borrow().clone();
        let Ok(ws) = WebSocket::new(&url) else {
            schedule(inner);
            return;
        };
        let weak: Weak<Inner> = Rc::downgrade(inner);
        let on_open = {
            let weak = weak.clone();
            Closure::<dyn FnMut(Event)>::new(move |_| {
                if let Some(inner) = weak.upgrade() {
                    inner.failures.set(0);
                    (inner.on_open)();
                }
            })
        };
        let on_message = {
            let weak = weak.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let (Some(inner), Some(text)) = (weak.upgrade(), e.data().as_string()) {
                    (inner.on_text)(text);
                }
            })
        };
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            if let Some(inner) = weak.upgrade() {
                inner.failures.set(inner.failures.get() + 1);
                (inner.on_down)(inner.failures.get(), e.code(), e.reason());
                schedule(&inner);
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *inner.ws.borrow_mut() = Some(ws);
        *inner.handlers.borrow_mut() = Some((on_open, on_message, on_close));
    }

    fn schedule(inner: &Rc<Inner>) {
        if inner.stopped.get() {
            return;
        }
        let pause = (250u32 << inner.failures.get().min(6)).min(10_000);
        let weak = Rc::downgrade(inner);
        let retry = Closure::once_into_js(move || {
            if let Some(inner) = weak.upgrade() {
                connect(&inner);
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), pause as i32);
        }
    }
}

#[cfg(feature = "hydrate")]
pub use imp::Socket;

/// On the server there is nothing to connect: the page is rendered, then hydrated.
#[cfg(not(feature = "hydrate"))]
#[derive(Clone)]
pub struct Socket;

#[cfg(not(feature = "hydrate"))]
impl Socket {
    pub fn open(
        _url: String,
        _on_open: impl Fn() + 'static,
        _on_text: impl Fn(String) + 'static,
        _on_down: impl Fn(u32, u16, String) + 'static,
    ) -> Socket {
        Socket
    }
    pub fn send(&self, _text: &str) -> bool {
        false
    }
    pub fn is_open(&self) -> bool {
        false
    }
    pub fn set_url(&self, _url: String) {}
    pub fn reconnect(&self) {}
    pub fn close(&self) {}
}

/// Storage for browser-only values that are not `Send` (a socket, callbacks). In the browser
/// it is a local stored value; on the server it holds nothing, so no such value is ever
/// created or dropped on a server thread.
pub struct BrowserCell<T: 'static> {
    #[cfg(feature = "hydrate")]
    inner: leptos::prelude::StoredValue<T, leptos::prelude::LocalStorage>,
    _value: std::marker::PhantomData<fn() -> T>,
}

impl<T: 'static> Clone for BrowserCell<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for BrowserCell<T> {}

impl<T: 'static> BrowserCell<T> {
    pub fn new(_value: impl FnOnce() -> T) -> Self {
        BrowserCell {
            #[cfg(feature = "hydrate")]
            inner: leptos::prelude::StoredValue::new_local(_value()),
            _value: std::marker::PhantomData,
        }
    }

    /// Reads the value; on the server, `R::default()`.
    pub fn with<R: Default>(&self, _f: impl FnOnce(&T) -> R) -> R {
        #[cfg(feature = "hydrate")]
        {
            use leptos::prelude::WithValue;
            self.inner.try_with_value(_f).unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            R::default()
        }
    }

    pub fn update(&self, _f: impl FnOnce(&mut T)) {
        #[cfg(feature = "hydrate")]
        {
            use leptos::prelude::UpdateValue;
            self.inner.update_value(_f);
        }
    }
}
