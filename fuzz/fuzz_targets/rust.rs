//! The Rust frontend through the whole pipeline, with and without the prefilter.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::lint_both_ways(fdlint::facts::Lang::Rust, "x.rs", data);
});
