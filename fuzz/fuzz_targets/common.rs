//! The whole pipeline on one text (text -> facts -> findings -> suppressions), once with the
//! prefilter and once without: both must agree, as the fixture harness requires of fixtures.

use std::path::Path;

use fdlint::engine::{self, Linted, ProblemKind};
use fdlint::facts::Lang;
use fdlint::settings::Settings;

fn key(l: &Linted, with_fd100: bool) -> Vec<(&'static str, usize, usize, bool)> {
    l.findings
        .iter()
        .filter(|f| with_fd100 || f.rule.code != "FD100")
        .map(|f| (f.rule.code, f.span.start, f.span.end, f.suppressed))
        .collect()
}

pub fn lint_both_ways(lang: Lang, name: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let path = Path::new(name);
    let on = Settings::default();
    let off = Settings {
        prefilter: false,
        ..Settings::default()
    };
    let with = engine::lint_text(path, lang, &text, &on);
    let without = engine::lint_text(path, lang, &text, &off);
    for l in [&with, &without] {
        for f in &l.findings {
            assert!(f.span.start <= f.span.end && f.span.end <= text.len(), "{f:?}");
        }
    }
    // A file the frontend gave up on has no findings to compare.
    let gave_up = without
        .problems
        .iter()
        .any(|p| matches!(p.kind, ProblemKind::Timeout | ProblemKind::TooDeep));
    if gave_up {
        return;
    }
    // With syntax errors the parsed path does not report unused suppressions (findings may be
    // missing), the ruled-out path does: compare FD100 only on clean parses.
    let clean = !without
        .problems
        .iter()
        .any(|p| p.kind == ProblemKind::ParseError);
    assert_eq!(
        key(&with, clean),
        key(&without, clean),
        "the prefilter changed the findings"
    );
}
