//! The fixture harness: every file under `fixtures/` (but `fixtures/deps/`) is linted with every
//! rule, and its findings must be exactly the inline markers (`# expect: FD001`,
//! `// expect: FD001, FD002`) on the line where each finding starts. Missing and unexpected
//! findings both fail, with clippy-style messages. Every fixture is also linted without the
//! prefilter, and the findings must be identical: the prefilter never costs recall.
//!
//! Fixable fixtures have a `.fixed` file beside them (clippy's convention: `spawn_calls.rb` ->
//! `spawn_calls.fixed`) holding the text after every fix, unsafe ones included; the harness
//! applies the fixes, compares, re-parses the result and lints it again: nothing may be left
//! to fix. `UPDATE_FIXED=1 cargo test fixed_files` rewrites the `.fixed` files.
//!
//! A fixture can set options in a comment among its first five lines:
//! `fdlint-test: --python-version 2.7 --assume-nofile 1048576`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fdlint::discover::{lang_by_name, lang_by_shebang};
use fdlint::engine::lint_text;
use fdlint::settings::{Settings, Version};
use fdlint::source::LineIndex;

pub fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every fixture file, with its language.
pub fn fixture_files() -> Vec<(PathBuf, fdlint::facts::Lang)> {
    let mut out = Vec::new();
    let root = fixture_root();
    for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let e = e.expect("fixtures are readable");
        // Relative to the root: a checkout in a directory named `deps` keeps its fixtures.
        let rel = e.path().strip_prefix(&root).unwrap_or(e.path());
        if !e.file_type().is_file()
            || rel.starts_with("deps")
            || e.path().extension().is_some_and(|x| x == "fixed")
        {
            continue;
        }
        let lang = lang_by_name(e.path()).or_else(|| {
            let text = std::fs::read(e.path()).ok()?;
            lang_by_shebang(text.split(|b| *b == b'\n').next()?)
        });
        if let Some(lang) = lang {
            out.push((e.path().to_path_buf(), lang));
        }
    }
    out
}

fn settings_for(text: &str) -> Settings {
    let mut s = Settings::default();
    for line in text.lines().take(5) {
        let Some((_, opts)) = line.split_once("fdlint-test:") else {
            continue;
        };
        let mut it = opts.split_whitespace();
        while let Some(flag) = it.next() {
            let val = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
            match flag {
                "--python-version" => s.python_version = Version::parse(val),
                "--ruby-version" => s.ruby_version = Version::parse(val),
                "--assume-nofile" => s.assume_nofile = val.parse().unwrap(),
                other => panic!("unknown fixture option {other}"),
            }
        }
    }
    s
}

/// `(line, code)` -> count, from the markers.
fn expectations(text: &str) -> BTreeMap<(usize, String), usize> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some(pos) = line.find("expect:") else {
            continue;
        };
        let before = &line[..pos];
        if !(before.contains('#') || before.contains("//")) {
            continue;
        }
        for code in line[pos + "expect:".len()..].split(',') {
            let code = code.split_whitespace().next().unwrap_or("");
            assert!(
                code.len() == 5 && code.starts_with("FD"),
                "bad marker `{}` on line {}",
                line.trim(),
                i + 1
            );
            *out.entry((i + 1, code.to_string())).or_default() += 1;
        }
    }
    out
}

fn actual(
    path: &Path,
    lang: fdlint::facts::Lang,
    text: &str,
    s: &Settings,
) -> BTreeMap<(usize, String), usize> {
    let idx = LineIndex::new(text);
    let mut out = BTreeMap::new();
    for f in lint_text(path, lang, text, s).findings {
        if f.suppressed {
            continue;
        }
        let line = idx.line_col(text, f.span.start).line;
        *out.entry((line, f.rule.code.to_string())).or_default() += 1;
    }
    out
}

/// `(line, code)` -> count, from a run of the engine over the one file.
fn actual_as_run(
    path: &Path,
    lang: fdlint::facts::Lang,
    text: &str,
    s: &Settings,
) -> BTreeMap<(usize, String), usize> {
    let target = fdlint::engine::Target {
        path: path.to_path_buf(),
        lang,
        package: None,
        package_path: None,
        sniff: false,
    };
    let run = fdlint::engine::run_files(&[target], s).expect("the run starts");
    let idx = LineIndex::new(text);
    let mut out = BTreeMap::new();
    for (_, f) in run.findings() {
        let line = idx.line_col(text, f.span.start).line;
        *out.entry((line, f.rule.code.to_string())).or_default() += 1;
    }
    out
}

#[test]
fn every_fixture_has_exactly_its_marked_findings() {
    let files = fixture_files();
    assert!(files.len() >= 3, "fixtures missing");
    let mut failures = Vec::new();
    for (path, lang) in &files {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let settings = settings_for(&text);
        let expected = expectations(&text);
        let got = actual(path, *lang, &text, &settings);
        let rel = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path);
        let lines: Vec<&str> = text.lines().collect();
        for (key, n) in &expected {
            let g = got.get(key).copied().unwrap_or(0);
            if g < *n {
                failures.push(format!(
                    "error: missing {} finding\n  --> {}:{}\n   | {}\n",
                    key.1,
                    rel.display(),
                    key.0,
                    lines[key.0 - 1].trim()
                ));
            }
        }
        for (key, n) in &got {
            let e = expected.get(key).copied().unwrap_or(0);
            if *n > e {
                failures.push(format!(
                    "error: unexpected {} finding\n  --> {}:{}\n   | {}\n",
                    key.1,
                    rel.display(),
                    key.0,
                    lines.get(key.0 - 1).map_or("", |l| l.trim())
                ));
            }
        }
        let mut unfiltered = settings.clone();
        unfiltered.prefilter = false;
        let without = actual(path, *lang, &text, &unfiltered);
        if without != got {
            failures.push(format!(
                "error: the prefilter changed the findings of {}\n  with: {got:?}\n  without: {without:?}\n",
                rel.display()
            ));
        }
        // The same file linted as a run over files does it: read from disk, where the
        // prefilter may also defer weakly admitted files to the link pass.
        let as_run = actual_as_run(path, *lang, &text, &settings);
        if as_run != got {
            failures.push(format!(
                "error: a run over the file found other findings than linting its text: {}\n  run: {as_run:?}\n  text: {got:?}\n",
                rel.display()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The `.fixed` file of a fixture.
fn fixed_path(path: &Path) -> PathBuf {
    path.with_extension("fixed")
}

#[test]
fn fixed_files_match_and_fixing_converges() {
    let update = std::env::var_os("UPDATE_FIXED").is_some();
    let opts = fdlint::lang::FrontendOptions::default();
    let mut failures = Vec::new();
    let mut fixed_any = 0;
    for (path, lang) in fixture_files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // Non-UTF-8 fixtures are never fixed.
        };
        let settings = settings_for(&text);
        let rel = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path)
            .to_path_buf();
        let first = lint_text(&path, lang, &text, &settings).findings;
        let fixed = fdlint::fix::fix_text(&path, lang, &text, &first, &settings, true);
        let expected_path = fixed_path(&path);
        let expected = std::fs::read_to_string(&expected_path).ok();
        if fixed.applied == 0 {
            if expected.is_some() {
                failures.push(format!(
                    "error: {} has nothing to fix but a .fixed file",
                    rel.display()
                ));
            }
            continue;
        }
        fixed_any += 1;
        if update {
            std::fs::write(&expected_path, &fixed.text).unwrap();
        } else if expected.as_deref() != Some(fixed.text.as_str()) {
            failures.push(format!(
                "error: the fixes of {} differ from {} (UPDATE_FIXED=1 rewrites it)\n{}",
                rel.display(),
                fixed_path(&rel).display(),
                fdlint::fix::unified_diff(
                    &fixed_path(&rel),
                    expected.as_deref().unwrap_or(""),
                    &fixed.text
                )
            ));
        }
        // The fixed text parses with no more errors than the original, ...
        let before = fdlint::lang::syntax_error_count(lang, &text, &opts).unwrap();
        let after = fdlint::lang::syntax_error_count(lang, &fixed.text, &opts).unwrap();
        if after > before || !fixed.dropped.is_empty() {
            failures.push(format!(
                "error: fixing {} broke the syntax ({before} -> {after} errors; dropped {:?})",
                rel.display(),
                fixed.dropped
            ));
        }
        // ... and a second run has nothing left to fix.
        let again = lint_text(&path, lang, &fixed.text, &settings).findings;
        let left: Vec<String> = again
            .iter()
            .filter(|f| f.is_active() && f.fix.is_some())
            .map(|f| format!("{} at byte {}", f.rule.code, f.span.start))
            .collect();
        if !fixed.converged || !left.is_empty() {
            failures.push(format!(
                "error: fixing {} does not converge: still fixable: {left:?}",
                rel.display()
            ));
        }
        // Fixing adds no finding that was not there.
        let codes = |fs: &[fdlint::finding::Finding]| {
            let mut v: Vec<&str> = fs
                .iter()
                .filter(|f| f.is_active() && f.fix.is_none())
                .map(|f| f.rule.code)
                .collect();
            v.sort_unstable();
            v
        };
        if codes(&again) != codes(&first) {
            failures.push(format!(
                "error: fixing {} changed the unfixable findings: {:?} -> {:?}",
                rel.display(),
                codes(&first),
                codes(&again)
            ));
        }
    }
    assert!(fixed_any >= 2, "no fixture has fixes");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_fixed_file_has_its_fixture() {
    for e in walkdir::WalkDir::new(fixture_root()) {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "fixed") {
            let stem = e.path().with_extension("");
            let parent = stem.parent().unwrap();
            let name = stem.file_name().unwrap().to_string_lossy().into_owned();
            let found = std::fs::read_dir(parent).unwrap().any(|f| {
                let p = f.unwrap().path();
                p.extension().is_some_and(|x| x != "fixed")
                    && p.file_stem().is_some_and(|s| s.to_string_lossy() == name)
            });
            assert!(found, "{} has no fixture beside it", e.path().display());
        }
    }
}
