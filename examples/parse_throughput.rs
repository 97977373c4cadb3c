//! Benchmark helper (not a test): raw parse throughput of each language's parser on the files
//! a run parses (the prefilter admits them; weakly admitted ones only with a Python 2 hint), one
//! thread, parser reused, no query. Used by `bench/run.sh`.
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
    let mut totals = [(0usize, 0u64, Duration::ZERO); 3];
    for c in &found.files {
        let Ok(bytes) = std::fs::read(&c.path) else {
            continue;
        };
        if bytes.contains(&0) {
            continue;
        }
        // What a run parses: admitted files, and weakly admitted ones that may be Python 2.
        let parsed = match fdlint::prefilter::admit(c.lang, &bytes) {
            fdlint::prefilter::Admission::Yes => true,
            fdlint::prefilter::Admission::No => false,
            fdlint::prefilter::Admission::Weak => fdlint::prefilter::python2_hint(&bytes),
        };
        if !parsed {
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
    }
    println!("parser\tfiles\tMB\tseconds\tMB_per_s");
    for (name, (n, b, d)) in ["tree-sitter-python", "tree-sitter-ruby", "syn"]
        .iter()
        .zip(totals)
    {
        let mb = b as f64 / 1e6;
        let s = d.as_secs_f64();
        println!(
            "{name}\t{n}\t{mb:.1}\t{s:.2}\t{:.1}",
            if s > 0.0 { mb / s } else { 0.0 }
        );
    }
}
