//! Meta-tests: conventions the code keeps. Rule docs have their sections, docs/rules.md is
//! current, every rule has fixtures in each of its languages, queries compile and use only
//! predicates the Rust binding evaluates, and rules import no parser types.

use std::path::Path;

use fdlint::facts::Lang;
use fdlint::rules;

use crate::fixtures::{fixture_files, fixture_root};

const DOC_SECTIONS: &[&str] = &[
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "Use instead",
    "## Fix safety",
    "## Known problems",
];

/// A fixable rule's `## Fix safety` section names its applicability in bold (`**unsafe**`), so
/// that the doc and `fdlint rules` cannot disagree.
#[test]
fn fix_safety_sections_match_the_declared_fixes() {
    for r in rules::all() {
        let section = r
            .doc
            .split("## Fix safety")
            .nth(1)
            .and_then(|s| s.split("\n ## ").next())
            .unwrap_or_else(|| panic!("{} has no fix safety section", r.code));
        match r.fix {
            Some((a, _)) => assert!(
                section.contains(&format!("**{}**", a.as_str())),
                "{}: the fix is {} but its `## Fix safety` section does not say **{}**",
                r.code,
                a.as_str(),
                a.as_str()
            ),
            None => assert!(
                !section.contains("**safe**") && !section.contains("**unsafe**"),
                "{}: no fix declared, but its `## Fix safety` section describes one",
                r.code
            ),
        }
    }
}

#[test]
fn rule_docs_have_every_section() {
    let mut missing = Vec::new();
    for r in rules::all() {
        for s in DOC_SECTIONS {
            if !r.doc.contains(s) {
                missing.push(format!("{} ({}) has no `{s}`", r.code, r.name));
            }
        }
    }
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
}

#[test]
fn docs_rules_md_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let fresh = rules::docs_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/rules.md is out of date with the rules' doc comments; regenerate it with\n\n    \
         UPDATE_DOCS=1 cargo test docs_rules_md_is_current\n"
    );
}

/// Rules and languages whose fixtures are still being written. Entries are removed as the
/// fixtures land; an entry whose fixtures exist fails the test, so the list cannot go stale.
const FIXTURES_PENDING: &[(&str, Lang)] = &[];

#[test]
fn every_rule_has_fixtures_in_each_of_its_languages() {
    assert!(
        !FIXTURES_PENDING
            .iter()
            .any(|(c, l)| *l == Lang::Python && (*c == "FD001" || *c == "FD002")),
        "FD001 and FD002 must have Python fixtures"
    );
    let files = fixture_files();
    let mut failures = Vec::new();
    for r in rules::all() {
        for lang in r.languages {
            let dir = fixture_root().join(lang.name());
            let marker = format!("expect: {}", r.code);
            let covered = files.iter().any(|(p, l)| {
                l == lang
                    && p.starts_with(&dir)
                    && std::fs::read_to_string(p).is_ok_and(|t| {
                        t.lines().any(|line| {
                            line.split_once("expect:").is_some_and(|(_, codes)| {
                                codes
                                    .split(',')
                                    .any(|c| c.split_whitespace().next() == Some(r.code))
                            })
                        })
                    })
            });
            let pending = FIXTURES_PENDING.contains(&(r.code, *lang));
            match (covered, pending) {
                (false, false) => failures.push(format!(
                    "{} ({}) has no fixture under fixtures/{}/ with a `{marker}` marker",
                    r.code,
                    r.name,
                    lang.name()
                )),
                (true, true) => failures.push(format!(
                    "{} has {} fixtures now: remove it from FIXTURES_PENDING",
                    r.code,
                    lang.name()
                )),
                _ => {}
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The predicates tree-sitter's Rust binding evaluates and that the queries may use. The
/// binding silently ignores unknown ones, so a typo (`#eq` without `?`) would match everything.
const KNOWN_PREDICATES: &[&str] = &["eq?", "not-eq?", "any-of?", "match?", "not-match?"];

/// The `#name` predicates of a query, skipping comments and strings.
fn predicates(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ';' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '#' => {
                let mut name = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_alphanumeric() || "-_?!".contains(c) {
                        name.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(name);
            }
            _ => {}
        }
    }
    out
}

#[test]
fn queries_compile_and_use_only_known_predicates() {
    let sources = fdlint::lang::query_sources();
    assert!(!sources.is_empty());
    let mut failures = Vec::new();
    for (lang, name, src) in sources {
        let language: tree_sitter::Language = match lang {
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::Ruby => tree_sitter_ruby::LANGUAGE.into(),
            Lang::Rust => panic!("Rust is parsed with syn and has no queries"),
        };
        match tree_sitter::Query::new(&language, src) {
            Ok(q) => {
                for i in 0..q.pattern_count() {
                    if !q.general_predicates(i).is_empty() {
                        failures.push(format!(
                            "queries/{}/{name}: pattern {i} uses a predicate the binding ignores",
                            lang.name()
                        ));
                    }
                }
            }
            Err(e) => failures.push(format!(
                "queries/{}/{name} does not compile: {e}",
                lang.name()
            )),
        }
        for p in predicates(src) {
            if !KNOWN_PREDICATES.contains(&p.as_str()) {
                failures.push(format!(
                    "queries/{}/{name} uses `#{p}`; allowed: {}",
                    lang.name(),
                    KNOWN_PREDICATES.join(", ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn predicate_scanner_skips_comments_and_strings() {
    let src = "; #set! in a comment\n((x) @a (#eq? @a \"#not-a-predicate\"))\n(#matches? @a \"x\")";
    assert_eq!(predicates(src), ["eq?", "matches?"]);
}

#[test]
fn rules_import_no_parser_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let mut offenders = Vec::new();
    for e in walkdir::WalkDir::new(&dir) {
        let e = e.unwrap();
        if !e.file_type().is_file() {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        for needle in ["tree_sitter", "syn::"] {
            if text.contains(needle) {
                offenders.push(format!("{} mentions `{needle}`", e.path().display()));
            }
        }
    }
    assert!(offenders.is_empty(), "\n{}", offenders.join("\n"));
}
