//! Fix application (`fdlint check --fix --unsafe-fixes` on one text) in every language: never a
//! panic; a text that parsed still parses after its fixes; a text no fix applied to is returned
//! byte for byte; every remaining finding's span lies inside the fixed text. The first byte
//! names the language (`p` Python, `r` Ruby, `s` Rust; any other byte by its value), the rest
//! is the text: `scripts/fuzz.sh` seeds it so from fixtures/.
#![no_main]

use std::path::Path;

use fdlint::engine::{self, Linted, ProblemKind};
use fdlint::facts::Lang;
use fdlint::settings::Settings;

fn gave_up(l: &Linted) -> bool {
    l.problems
        .iter()
        .any(|p| matches!(p.kind, ProblemKind::Timeout | ProblemKind::TooDeep))
}

fn parse_error(l: &Linted) -> bool {
    l.problems.iter().any(|p| p.kind == ProblemKind::ParseError)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (lang, name) = match first {
        b'p' => (Lang::Python, "x.py"),
        b'r' => (Lang::Ruby, "x.rb"),
        b's' => (Lang::Rust, "x.rs"),
        b => [(Lang::Python, "x.py"), (Lang::Ruby, "x.rb"), (Lang::Rust, "x.rs")][b as usize % 3],
    };
    let text = String::from_utf8_lossy(rest);
    let path = Path::new(name);
    let settings = Settings::default();
    let linted = engine::lint_text(path, lang, &text, &settings);
    if gave_up(&linted) {
        return;
    }
    let fixed = fdlint::fix::fix_text(path, lang, &text, &linted.findings, &settings, true);
    if fixed.applied == 0 {
        assert_eq!(fixed.text, text, "no fix applied, yet the text changed");
    }
    let out = &fixed.remaining;
    for f in &out.findings {
        assert!(
            f.span.start <= f.span.end && f.span.end <= fixed.text.len(),
            "{f:?}"
        );
    }
    if !gave_up(out) && !parse_error(&linted) {
        assert!(
            !parse_error(out),
            "the fixes broke the syntax of a text that parsed:\n{}",
            fixed.text
        );
    }
});
