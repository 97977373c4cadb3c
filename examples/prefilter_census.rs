//! Benchmark helper (not a test): which prefilter requirement admits how many files and bytes
//! per language, and how many files and bytes a run then parses
//! (`prefilter::parsed_without_context`). `examples/parse_throughput.rs` times the parsing.
//!
//! Usage: `cargo run --release --example prefilter_census -- DIR...`
//!
//! It also lists why the Ruby lexer (`prefilter::ruby_lexer_gave_up`) gave up on parsed Ruby
//! files (`CENSUS_GAVE_UP=1` names them), and reports how many weakly admitted Python files `prefilter::python2_hint` sends to the
//! parser, and with `CENSUS_AUDIT_PY2=1` checks on every Python file (parsing them all, slow)
//! that the hint covers the frontend's Python 2 evidence, listing any file where it does not.
//! `CENSUS_AUDIT_FACTS=Rust` (or `Python`, `Ruby`, comma-separated) parses every file of those
//! languages that the prefilter rules out and lists each one where the frontend still finds a
//! loop, a range, a spawn or a `closerange` (slow; a Python loop to a small literal is such a
//! fact without ever being a finding, so only Rust and Ruby should list none).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fdlint::facts::Lang;

fn main() {
    let roots: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let found = fdlint::discover::discover(&roots, true, None);
    let opts = fdlint::lang::FrontendOptions::default();
    // lang -> requirement index -> (files, bytes) admitted by it (a file may count for several)
    let mut by_req: BTreeMap<(Lang, usize), (usize, u64)> = BTreeMap::new();
    // lang -> (files read, bytes read, files parsed, bytes parsed, prefilter time)
    let mut totals: BTreeMap<Lang, (usize, u64, usize, u64, Duration)> = BTreeMap::new();
    // CENSUS_LIST=Python:0 lists the files that requirement admits on stderr;
    // CENSUS_LIST=Python:parsed the files parsed without context.
    let list = std::env::var("CENSUS_LIST").ok();
    let audit = std::env::var_os("CENSUS_AUDIT_PY2").is_some();
    let audit_facts = std::env::var("CENSUS_AUDIT_FACTS").unwrap_or_default();
    let audit_facts: Vec<&str> = audit_facts.split(',').filter(|s| !s.is_empty()).collect();
    // (files with facts, of which ruled out)
    let mut facts_files = 0usize;
    let mut facts_misses = 0usize;
    // (weakly admitted files, of which hinted, bytes hinted, hint time)
    let mut weak = (0usize, 0usize, 0u64, Duration::ZERO);
    let mut audit_misses = 0usize;
    // Why the Ruby lexer gave up on a parsed file (its whole text was judged): (files, bytes).
    let mut gave_up: BTreeMap<&'static str, (usize, u64)> = BTreeMap::new();
    for c in &found.files {
        let Ok(bytes) = std::fs::read(&c.path) else {
            continue;
        };
        if bytes[..bytes.len().min(8192)].contains(&0) {
            continue;
        }
        let t = totals.entry(c.lang).or_default();
        t.0 += 1;
        t.1 += bytes.len() as u64;
        let t0 = Instant::now();
        let keep = fdlint::prefilter::parsed_without_context(c.lang, &bytes);
        t.4 += t0.elapsed();
        if keep && list.as_deref() == Some(&format!("{:?}:parsed", c.lang)) {
            eprintln!("{}", c.path.display());
        }
        for (i, met) in fdlint::prefilter::requirements_met(c.lang, &bytes)
            .into_iter()
            .enumerate()
        {
            if met {
                if list.as_deref() == Some(&format!("{:?}:{i}", c.lang)) {
                    eprintln!("{}", c.path.display());
                }
                let e = by_req.entry((c.lang, i)).or_default();
                e.0 += 1;
                e.1 += bytes.len() as u64;
            }
        }
        if c.lang == Lang::Python {
            if fdlint::prefilter::admit(c.lang, &bytes) == fdlint::prefilter::Admission::Weak {
                let t0 = Instant::now();
                let hinted = fdlint::prefilter::python2_hint(&bytes);
                weak.3 += t0.elapsed();
                weak.0 += 1;
                if hinted {
                    weak.1 += 1;
                    weak.2 += bytes.len() as u64;
                }
            }
            if audit && !fdlint::prefilter::python2_hint(&bytes) {
                // A spawn call makes the frontend look for every kind of evidence.
                let text = format!(
                    "{}\nimport subprocess\nsubprocess.call(['ls'])\n",
                    String::from_utf8_lossy(&bytes)
                );
                if let Ok(facts) = fdlint::lang::extract(c.lang, &text, &opts)
                    && facts.runtime.dialect == fdlint::facts::PythonDialect::Python2
                {
                    audit_misses += 1;
                    eprintln!(
                        "AUDIT: Python 2 evidence without a hint: {} ({:?})",
                        c.path.display(),
                        facts.runtime.reason.as_ref().map(|r| &r.0)
                    );
                }
            }
        }
        if audit_facts.contains(&format!("{:?}", c.lang).as_str()) {
            let text = String::from_utf8_lossy(&bytes);
            let ruled_out =
                fdlint::prefilter::admit(c.lang, &bytes) == fdlint::prefilter::Admission::No;
            if let Ok(f) = fdlint::lang::extract(c.lang, &text, &opts)
                && !(f.close_loops.is_empty()
                    && f.fd_ranges.is_empty()
                    && f.spawns.is_empty()
                    && f.closeranges.is_empty())
            {
                facts_files += 1;
                if ruled_out {
                    facts_misses += 1;
                    eprintln!(
                        "AUDIT: facts in a file the prefilter rules out: {} ({} loops, {} ranges, {} spawns, {} closeranges)",
                        c.path.display(),
                        f.close_loops.len(),
                        f.fd_ranges.len(),
                        f.spawns.len(),
                        f.closeranges.len()
                    );
                }
            }
        }
        if !keep {
            continue;
        }
        if c.lang == Lang::Ruby
            && let Some(why) = fdlint::prefilter::ruby_lexer_gave_up(&bytes)
        {
            let e = gave_up.entry(why).or_default();
            e.0 += 1;
            e.1 += bytes.len() as u64;
            if std::env::var_os("CENSUS_GAVE_UP").is_some() {
                // The line: the end of the shortest prefix it gives up on for the same reason.
                let (mut lo, mut hi) = (0, bytes.len());
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if fdlint::prefilter::ruby_lexer_gave_up(&bytes[..mid]) == Some(why) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                let line = 1 + bytes[..lo].iter().filter(|b| **b == b'\n').count();
                eprintln!("{}:{line}: {why}", c.path.display());
            }
        }
        t.2 += 1;
        t.3 += bytes.len() as u64;
    }
    println!("lang\tfiles\tMB\tparsed\tparsed_MB\tprefilter_s");
    for (lang, (f, b, pf, pb, pt)) in &totals {
        println!(
            "{lang:?}\t{f}\t{:.1}\t{pf}\t{:.1}\t{:.2}",
            *b as f64 / 1e6,
            *pb as f64 / 1e6,
            pt.as_secs_f64()
        );
    }
    println!(
        "\nPython weakly admitted: {} files, {} with a Python 2 hint ({:.1} MB, parsed), hint {:.3} s",
        weak.0,
        weak.1,
        weak.2 as f64 / 1e6,
        weak.3.as_secs_f64()
    );
    if audit {
        println!("Python 2 hint audit: {audit_misses} files with evidence but no hint");
    }
    if !audit_facts.is_empty() {
        println!(
            "facts audit ({}): {facts_files} files with facts, {facts_misses} of them ruled out",
            audit_facts.join(",")
        );
    }
    println!("\nRuby files parsed on their whole text (the lexer gave up), by reason:");
    for (why, (f, b)) in &gave_up {
        println!("  {f}\t{:.2} MB\t{why}", *b as f64 / 1e6);
    }
    println!("\nlang\trequirement\tfiles\tMB");
    for ((lang, i), (f, b)) in &by_req {
        println!("{lang:?}\t{i}\t{f}\t{:.1}", *b as f64 / 1e6);
    }
}
