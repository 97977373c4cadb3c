//! The configuration parser, as `fdlint.toml` and as `pyproject.toml`: never a panic, and an
//! error message stays short whatever the input (values are truncated when echoed).
#![no_main]

use std::path::Path;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["fdlint.toml", "pyproject.toml"] {
        if let Err(e) = fdlint::config::parse(Path::new(name), text) {
            let msg = e.to_string();
            assert!(msg.len() < 4096, "a {} byte error message", msg.len());
        }
    }
});
