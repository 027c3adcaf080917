#![recursion_limit = "512"]
//! The browser half of Switchboard: hydrates the server-rendered pages.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes: the chunk of the page being shown is fetched before hydration starts.
    leptos::mount::hydrate_lazy(app::App);
}
