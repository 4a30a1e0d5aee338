//! Fuzzes configuration values (as environment variables, for every key) and `config.toml` files.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

/// A scratch home for `config.toml`, one per fuzzing process.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("openfatture-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = openfatture_fuzz::config_value_parse(data, scratch());
});
