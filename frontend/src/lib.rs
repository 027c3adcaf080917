#![recursion_limit = "512"]
//! The browser half of Switchboard: hydrates the server-rendered pages.

use leptos::prelude::document;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes: the code of the page being shown is fetched, then the page hydrated (what
    // `leptos::mount::hydrate_lazy` does, with a mark once every handler is attached).
    wasm_bindgen_futures::spawn_local(async {
        let body = document().body().expect("the page has a body");
        leptos::mount::hydrate_from_async(body.clone(), app::App).await.forget();
        // Lets tests (and people reading the DOM) know the page is interactive.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
