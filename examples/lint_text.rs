//! Benchmark helper (not a test): lint files in memory the way the fuzz targets do
//! (`engine::lint_text`, NUL bytes and invalid UTF-8 included, which `fdlint check` skips as
//! binary), with and without the prefilter, and print the time, the findings and the problems
//! of each. For timing the inputs under `tests/data/fuzz/`.
//!
//! Usage: `cargo run --release --example lint_text -- FILE...`

use std::path::Path;
use std::time::Instant;

use fdlint::facts::Lang;
use fdlint::settings::Settings;

fn main() {
    for arg in std::env::args_os().skip(1) {
        let path = Path::new(&arg);
        let lang = match path.extension().and_then(|e| e.to_str()) {
            Some("py") => Lang::Python,
            Some("rb") => Lang::Ruby,
            Some("rs") => Lang::Rust,
            _ => {
                eprintln!("{}: unknown language", path.display());
                continue;
            }
        };
        let bytes = std::fs::read(path).expect("readable file");
        let text = String::from_utf8_lossy(&bytes);
        for prefilter in [true, false] {
            let settings = Settings {
                prefilter,
                ..Settings::default()
            };
            let t0 = Instant::now();
            let linted = fdlint::engine::lint_text(path, lang, &text, &settings);
            let took = t0.elapsed();
            let findings: Vec<String> = linted
                .findings
                .iter()
                .map(|f| {
                    let t = text.get(f.span.start..f.span.end).unwrap_or("");
                    let t: String = t.chars().take(60).collect();
                    format!("{}@{}..{} {t:?}", f.rule.code, f.span.start, f.span.end)
                })
                .collect();
            let problems: Vec<String> = linted
                .problems
                .iter()
                .map(|p| format!("{:?}", p.kind))
                .collect();
            println!(
                "{} prefilter={prefilter}: {took:.2?} findings {findings:?} problems {problems:?}",
                path.display()
            );
        }
    }
}
