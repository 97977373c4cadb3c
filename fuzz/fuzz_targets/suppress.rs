//! The suppression parser in every language: never a panic, every code's span is the code.
#![no_main]

use fdlint::facts::Lang;
use fdlint::source::LineIndex;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let index = LineIndex::new(&text);
    let lines = text.bytes().filter(|b| *b == b'\n').count() + 1;
    for lang in [Lang::Python, Lang::Ruby, Lang::Rust] {
        let (found, bad) = fdlint::suppress::parse(lang, &text, &index);
        for d in &found {
            assert!(d.line < lines);
            assert!(!d.codes.is_empty());
            for (code, span) in &d.codes {
                assert_eq!(&text[span.start..span.end], code.as_str());
            }
        }
        for m in &bad {
            assert!(m.line < lines);
        }
    }
});
