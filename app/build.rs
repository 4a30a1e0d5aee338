//! Sets `cfg(wasm_split_build)` when the browser app is built for wasm-splitting, i.e. by
//! `cargo leptos build --split`, which links the wasm with `-Clink-args=--emit-relocs`.
//!
//! Only then may the back office be a wasm split point (`router::back_office`): a split
//! point imports a placeholder module that only cargo-leptos' splitter resolves, so in any other
//! wasm build (plain `cargo leptos build`) the app would not start.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wasm_split_build)");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    let rustflags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let emits_relocations = rustflags.split('\u{1f}').any(|flag| flag.contains("--emit-relocs"));
    if wasm && emits_relocations {
        println!("cargo::rustc-cfg=wasm_split_build");
    }
}
