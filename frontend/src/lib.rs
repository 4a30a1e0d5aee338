//! The wasm entry point of the browser app: mounts [`app::App`] into `<body>` when the module starts.
//! Built by `cargo leptos build` for `wasm32-unknown-unknown`; empty on other targets.

/// Called by wasm-bindgen when the module is instantiated: installs the panic hook and mounts the app.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
