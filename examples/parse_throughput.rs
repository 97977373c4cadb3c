//! Benchmark helper (not a test): on the files a run parses
//! (`prefilter::parsed_without_context`), one thread, the raw parse throughput of each
//! language's parser (parser reused, no query) and the cost of the whole frontend
//! (`lang::extract`: parse, queries, resolution). Used by `bench/run.sh`.
//!
//! Usage: `cargo run --release --example parse_throughput -- DIR...`

use std::time::{Duration, Instant};

use fdlint::facts::Lang;

fn main() {
    let roots: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let found = fdlint::discover::discover(&roots, true, None);
    let mut py = tree_sitter::Parser::new();
    py.set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("python grammar");
    let mut rb = tree_sitter::Parser::new();
    rb.set_language(&tree_sitter_ruby::LANGUAGE.into())
        .expect("ruby grammar");
    let mut totals = [(0usize, 0u64, Duration::ZERO, Duration::ZERO); 3];
    let opts = fdlint::lang::FrontendOptions::default();
    for c in &found.files {
        let Ok(bytes) = std::fs::read(&c.path) else {
            continue;
        };
        if bytes.contains(&0) {
            continue;
        }
        if !fdlint::prefilter::parsed_without_context(c.lang, &bytes) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let t = Instant::now();
        let i = match c.lang {
            Lang::Python => {
                std::hint::black_box(py.parse(text.as_bytes(), None));
                0
            }
            Lang::Ruby => {
                std::hint::black_box(rb.parse(text.as_bytes(), None));
                1
            }
            Lang::Rust => {
                let _ = std::hint::black_box(syn::parse_file(&text));
                2
            }
        };
        let e = t.elapsed();
        totals[i].0 += 1;
        totals[i].1 += bytes.len() as u64;
        totals[i].2 += e;
        let t = Instant::now();
        let _ = std::hint::black_box(fdlint::lang::extract(c.lang, &text, &opts));
        totals[i].3 += t.elapsed();
    }
    println!("parser\tfiles\tMB\tseconds\tMB_per_s\tfrontend_s");
    for (name, (n, b, d, f)) in ["tree-sitter-python", "tree-sitter-ruby", "syn"]
        .iter()
        .zip(totals)
    {
        let mb = b as f64 / 1e6;
        let s = d.as_secs_f64();
        println!(
            "{name}\t{n}\t{mb:.1}\t{s:.2}\t{:.1}\t{:.2}",
            if s > 0.0 { mb / s } else { 0.0 },
            f.as_secs_f64()
        );
    }
}
