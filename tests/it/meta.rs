//! Meta-tests: conventions the code keeps. Rule docs have their sections, docs/rules.md is
//! current, every rule has fixtures in each of its languages, queries compile and use only
//! predicates the Rust binding evaluates, rules import no parser types, and imports between
//! the top-level modules of `src/` run one way (no cycle).

use std::collections::{BTreeMap, BTreeSet};
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
        for (a, _) in r.fix {
            assert!(
                section.contains(&format!("**{}**", a.as_str())),
                "{}: the fix is {} but its `## Fix safety` section does not say **{}**",
                r.code,
                a.as_str(),
                a.as_str()
            );
        }
        match r.fix {
            [_, ..] => {}
            [] => assert!(
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

/// `main` holds the stdout and stderr locks for the whole run: a print macro anywhere else in
/// the product's code would wait forever on another thread (ARCHITECTURE.md, invariants).
#[test]
fn only_main_prints_to_the_process_streams() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    for e in walkdir::WalkDir::new(&src).sort_by_file_name() {
        let e = e.unwrap();
        let name = e.file_name().to_str().unwrap_or("");
        if !name.ends_with(".rs") || name == "tests.rs" || e.path() == src.join("main.rs") {
            continue;
        }
        let code = non_test_code(&std::fs::read_to_string(e.path()).unwrap());
        for (n, line) in code.lines().enumerate() {
            for mac in ["println!", "print!", "eprintln!", "eprint!", "dbg!"] {
                let hit = line.match_indices(mac).any(|(at, _)| {
                    !line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                if hit {
                    offenders.push(format!("{}:{}: {}", e.path().display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "\n{}", offenders.join("\n"));
}

/// The code of a source file that is not test code: `tests.rs` files are skipped by the caller,
/// an inline `#[cfg(test)] mod tests { ... }` (at the end of a file, by convention) is cut, and
/// `//` comments are blanked so doc links do not count as imports.
fn non_test_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod ") && next.contains('{'))
        {
            break;
        }
        out.push_str(line.split("//").next().unwrap_or(""));
        out.push('\n');
    }
    out
}

/// The top-level modules a piece of code names through `crate::` paths: `use crate::x::...`,
/// `use crate::{x, y::z}` and `crate::x::f()` in code alike.
fn crate_paths(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let ident = |from: usize| -> String {
        code[from..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find("crate::") {
        let start = at + i;
        at = start + "crate::".len();
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        if bytes.get(at) == Some(&b'{') {
            // A group: the names at its top level, each after `{` or `,`.
            let mut depth = 0;
            let mut expect = true;
            for (j, c) in code[at..].char_indices() {
                match c {
                    '{' => {
                        depth += 1;
                        expect = depth == 1;
                        continue;
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        expect = true;
                        continue;
                    }
                    c if c.is_whitespace() => continue,
                    _ if expect => {
                        out.push(ident(at + j));
                        expect = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(at));
        }
    }
    out
}

/// One shortest cycle through `start` in `edges`, if any.
fn cycle_through(
    start: &str,
    edges: &BTreeMap<String, BTreeMap<String, String>>,
) -> Option<Vec<String>> {
    let mut prev: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.to_string()]);
    while let Some(m) = queue.pop_front() {
        for next in edges.get(&m).into_iter().flat_map(|e| e.keys()) {
            if next == start {
                let mut path = vec![m.clone()];
                while let Some(p) = prev.get(path.last().unwrap()) {
                    path.push(p.clone());
                }
                path.reverse();
                path.push(start.to_string());
                return Some(path);
            }
            if !prev.contains_key(next) && next != start {
                prev.insert(next.clone(), m.clone());
                queue.push_back(next.clone());
            }
        }
    }
    None
}

/// Edges between the top-level modules of `src/` (`src/x.rs` and everything under `src/x/`):
/// for each module, the modules it names, each with the first file that does.
fn module_imports(src: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut modules = BTreeSet::new();
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(src).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(src).unwrap().to_path_buf();
        let Some(first) = rel.components().next() else {
            continue;
        };
        let top = first.as_os_str().to_str().unwrap();
        let top = top.strip_suffix(".rs").unwrap_or(top).to_string();
        if e.file_type().is_file() && rel.extension().is_some_and(|x| x == "rs") {
            modules.insert(top.clone());
            if rel.file_name().is_some_and(|n| n != "tests.rs") {
                files.push((top, e.path().to_path_buf()));
            }
        }
    }
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (from, path) in files {
        let code = non_test_code(&std::fs::read_to_string(&path).unwrap());
        for to in crate_paths(&code) {
            if to != from && modules.contains(&to) {
                let shown = path.strip_prefix(src.parent().unwrap()).unwrap();
                edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| shown.display().to_string());
            }
        }
    }
    edges
}

#[test]
fn imports_between_top_level_modules_run_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = module_imports(&src);
    assert!(
        edges.get("engine").is_some_and(|e| e.contains_key("lang")),
        "the scanner sees no imports at all: {edges:?}"
    );
    let mut reported = BTreeSet::new();
    let mut cycles = Vec::new();
    for m in edges.keys() {
        if reported.contains(m) {
            continue;
        }
        if let Some(cycle) = cycle_through(m, &edges) {
            reported.extend(cycle.iter().cloned());
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("  {} -> {} ({})", w[0], w[1], edges[&w[0]][&w[1]]))
                .collect();
            cycles.push(format!("{}\n{}", cycle.join(" -> "), steps.join("\n")));
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between modules of src/ (a lower module names a higher one):\n{}",
        cycles.join("\n")
    );
}

#[test]
fn import_scanner_reads_groups_and_paths_and_skips_comments_and_tests() {
    let code = non_test_code(
        "use crate::a::X;\nuse crate::{b, c::{D, E}};\n// crate::f in a comment\n\
         fn g() { crate::h::i(); $crate::j::K; my_crate::l(); }\n\
         #[cfg(test)]\nmod tests {\n    use crate::m;\n}\n",
    );
    assert_eq!(crate_paths(&code), ["a", "b", "c", "h", "j"]);
}
