//! Benchmark helper (not a test): what compiling each pattern of the embedded tree-sitter
//! queries costs (`Query::new`, one process, best of 5), the per-process startup cost of
//! linting one file of a language.
//!
//! Usage: `cargo run --release --example query_cost`

use std::time::{Duration, Instant};

fn patterns(src: &str) -> Vec<String> {
    // A pattern starts at a line beginning with `(` or `[` at column 0; comments above it belong to it.
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for line in src.lines() {
        if (line.starts_with('(') || line.starts_with('['))
            && cur.trim_start().starts_with(['(', '['])
        {
            out.push(std::mem::take(&mut cur));
        }
        if line.starts_with(';') && cur.trim().is_empty() {
            continue;
        }
        if !line.starts_with(';') {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

fn cost(lang: &tree_sitter::Language, src: &str) -> Duration {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            tree_sitter::Query::new(lang, src).expect("query compiles");
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    for (lang, name, files) in [
        (
            tree_sitter_python::LANGUAGE.into(),
            "python",
            fdlint::lang::python::QUERY_FILES,
        ),
        (
            tree_sitter_ruby::LANGUAGE.into(),
            "ruby",
            fdlint::lang::ruby::QUERY_FILES,
        ),
        (
            tree_sitter_ruby::LANGUAGE.into(),
            "ruby",
            &[fdlint::lang::ruby::BINDINGS_QUERY][..],
        ),
    ] {
        let lang: tree_sitter::Language = lang;
        for (file, src) in files {
            println!(
                "{name}/{file}: {:.2} ms",
                cost(&lang, src).as_secs_f64() * 1e3
            );
            for p in patterns(src) {
                let first = p.lines().next().unwrap_or("");
                println!(
                    "  {:8.2} ms  {first} ... ({} lines)",
                    cost(&lang, &p).as_secs_f64() * 1e3,
                    p.lines().count()
                );
            }
        }
    }
}
