//! Readers for every file in which projects declare their runtime, read as text and never run:
//! `pyproject.toml` (`requires-python`, Poetry's `python`, classifiers), `setup.py`
//! (`python_requires=`, classifiers, with a small Python tokenizer so that comments and other
//! strings never count), `setup.cfg`, `tox.ini`'s envlist, `Pipfile`, `.python-version`,
//! `runtime.txt`, `.tool-versions`, `.ruby-version`, the `Gemfile`'s `ruby` line and a
//! `*.gemspec`'s `required_ruby_version`.
//!
//! A declaration is either a *constraint* an installer enforces (`python_requires`,
//! `requires-python`, `required_ruby_version`, the Gemfile's `ruby`), which is the range when
//! there is one, or a *claim* that the code runs on some versions (classifiers, tox
//! environments, version pins), whose hull is the range otherwise.

use std::fs;
use std::path::Path;
#[cfg(test)]
use std::path::PathBuf;

use super::range::{Bounds, Runtime, Source, VersionRange, parse_requirement};
use crate::settings::Version;

/// Whether an installer enforces a declaration or it only says where the code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Constraint,
    Claim,
    /// A claim without a minor (`Programming Language :: Python :: 3`): it says the range
    /// reaches into that major, so it can lift the hull's upper end, but never sets its
    /// lower end and alone says nothing.
    Major,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub kind: Kind,
    pub range: VersionRange,
}

/// What one directory declares.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub python: Vec<Declaration>,
    pub ruby: Vec<Declaration>,
}

fn read_small(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 512 * 1024 {
        return None;
    }
    fs::read_to_string(path).ok()
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// Every declaration in `dir`. One directory listing, then only the files that exist are read.
pub fn declarations_in(dir: &Path) -> Declared {
    let mut out = Declared::default();
    let Ok(rd) = fs::read_dir(dir) else {
        return out;
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    let has = |n: &str| names.iter().any(|x| x == n);
    let read = |n: &str| {
        if has(n) {
            read_small(&dir.join(n))
        } else {
            None
        }
    };
    let path = |n: &str| dir.join(n);
    let py = &mut out.python;
    if let Some(t) = read("pyproject.toml") {
        py.extend(pyproject(&t, &path("pyproject.toml")));
    }
    if let Some(t) = read("setup.cfg") {
        py.extend(setup_cfg(&t, &path("setup.cfg")));
    }
    if let Some(t) = read("setup.py") {
        py.extend(setup_py(&t, &path("setup.py")));
    }
    if let Some(t) = read("tox.ini") {
        py.extend(tox_ini(&t, &path("tox.ini")));
    }
    if let Some(t) = read("Pipfile") {
        py.extend(pipfile(&t, &path("Pipfile")));
    }
    if let Some(t) = read(".python-version") {
        py.extend(pins(&t, &path(".python-version"), Runtime::Python));
    }
    if let Some(t) = read("runtime.txt") {
        py.extend(runtime_txt(&t, &path("runtime.txt")));
    }
    if let Some(t) = read(".tool-versions") {
        let (p, r) = tool_versions(&t, &path(".tool-versions"));
        out.python.extend(p);
        out.ruby.extend(r);
    }
    for n in names.iter().filter(|n| n.ends_with(".gemspec")) {
        if let Some(t) = read(n) {
            out.ruby.extend(gemspec(&t, &path(n)));
        }
    }
    if let Some(t) = read("Gemfile") {
        out.ruby.extend(gemfile(&t, &path("Gemfile")));
    }
    if let Some(t) = read(".ruby-version") {
        out.ruby
            .extend(pins(&t, &path(".ruby-version"), Runtime::Ruby));
    }
    out
}

/// The range a directory's declarations give: the first constraint, else the hull of the
/// claims (cited at the oldest claim).
pub fn combine(decls: &[Declaration]) -> Option<VersionRange> {
    if let Some(c) = decls.iter().find(|d| d.kind == Kind::Constraint) {
        return Some(c.range.clone());
    }
    let claims: Vec<&VersionRange> = decls
        .iter()
        .filter(|d| d.kind == Kind::Claim)
        .map(|d| &d.range)
        .collect();
    let open_major = decls
        .iter()
        .filter(|d| d.kind == Kind::Major)
        .map(|d| d.range.min.major)
        .max();
    let oldest = claims
        .iter()
        .min_by_key(|r| (r.min.major, r.min.minor.unwrap_or(0)))?;
    let reaches_later_major =
        open_major.is_some_and(|m| claims.iter().all(|r| r.max.is_some_and(|x| x.major <= m)));
    if claims.len() == 1 && !reaches_later_major {
        return Some((*oldest).clone());
    }
    let max = claims.iter().try_fold(None::<Version>, |acc, r| {
        let m = r.max?;
        Some(Some(match acc {
            Some(a) if (a.major, a.minor) >= (m.major, m.minor) => a,
            _ => m,
        }))
    });
    // `:: 3` beside `:: 2.7`: every 3.x may be meant, up to the newest.
    let max = if reaches_later_major { None } else { max };
    let mut range = VersionRange {
        max: max.flatten(),
        excluded: Vec::new(),
        ..(*oldest).clone()
    };
    let newest = range.versions().last().copied().unwrap_or(range.min);
    range.spec = if range.max.is_none() {
        format!("{} and later", range.min)
    } else {
        format!("{} to {newest}", range.min)
    };
    Some(range)
}

fn constraint(rt: Runtime, spec: &str, source: Source) -> Option<Declaration> {
    Some(Declaration {
        kind: Kind::Constraint,
        range: parse_requirement(rt, spec)?.into_range(rt, spec, source),
    })
}

fn claim(rt: Runtime, version: Version, spec: &str, source: Source) -> Declaration {
    let mut range = VersionRange::point(rt, version, source);
    range.spec = spec.to_string();
    Declaration {
        kind: Kind::Claim,
        range,
    }
}

/// `Programming Language :: Python :: 2.7` -> 2.7; `:: 2` and `:: 2 :: Only` -> 2.7 (the
/// Python 2 anyone runs); `:: 3` says no minor and counts for nothing.
pub fn classifier_version(text: &str) -> Option<Version> {
    let rest = text
        .trim()
        .strip_prefix("Programming Language :: Python :: ")?;
    let rest = rest.strip_suffix(" :: Only").unwrap_or(rest).trim();
    let mut parts = rest.split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(m) => m.parse().ok()?,
        None if major == 2 => 7,
        None => return None,
    };
    if parts.next().is_some() || !(2..=3).contains(&major) {
        return None;
    }
    Some(Version {
        major,
        minor: Some(minor),
    })
}

/// `Programming Language :: Python :: 3` (or `3 :: Only`): a major with no minor.
fn classifier_major(text: &str) -> Option<u32> {
    let rest = text
        .trim()
        .strip_prefix("Programming Language :: Python :: ")?;
    let rest = rest.strip_suffix(" :: Only").unwrap_or(rest).trim();
    rest.parse().ok().filter(|m| *m == 3)
}

fn classifier_claims<'a>(
    items: impl Iterator<Item = (&'a str, usize)>,
    path: &Path,
) -> Vec<Declaration> {
    items
        .filter_map(|(text, line)| {
            let source = Source::file(path.to_path_buf(), line, "the classifier");
            let spec = format!("`{}`", text.trim());
            if let Some(v) = classifier_version(text) {
                return Some(claim(Runtime::Python, v, &spec, source));
            }
            let major = classifier_major(text)?;
            let mut d = claim(
                Runtime::Python,
                Version {
                    major,
                    minor: Some(0),
                },
                &spec,
                source,
            );
            d.kind = Kind::Major;
            d.range.max = None;
            Some(d)
        })
        .collect()
}

/// The line of the first `key` at the start of a line (after indentation), for TOML and INI.
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(['=', ':']))
        })
        .map(|i| i + 1)
}

/// `pyproject.toml`: `[project] requires-python`, `[tool.poetry.dependencies] python`, and
/// `[project] classifiers` (or Poetry's).
pub fn pyproject(text: &str, path: &Path) -> Vec<Declaration> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let src = |key: &str, what: &str| {
        Source::file(
            path.to_path_buf(),
            key_line(text, key).unwrap_or(1),
            what.to_string(),
        )
    };
    let project = doc.get("project").and_then(|p| p.as_table());
    let poetry = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.as_table());
    if let Some(spec) = project
        .and_then(|p| p.get("requires-python"))
        .and_then(|v| v.as_str())
    {
        out.extend(constraint(
            Runtime::Python,
            spec,
            src("requires-python", "`requires-python`"),
        ));
    }
    if let Some(spec) = poetry
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.get("python"))
        .and_then(|v| v.as_str())
    {
        out.extend(constraint(
            Runtime::Python,
            spec,
            src("python", "Poetry's `python` dependency"),
        ));
    }
    let classifiers = project
        .and_then(|p| p.get("classifiers"))
        .or_else(|| poetry.and_then(|p| p.get("classifiers")))
        .and_then(|c| c.as_array());
    if let Some(list) = classifiers {
        let items: Vec<(&str, usize)> = list
            .iter()
            .filter_map(|c| c.as_str())
            .map(|c| (c, text.find(c).map_or(1, |o| line_at(text, o))))
            .collect();
        out.extend(classifier_claims(items.into_iter(), path));
    }
    out
}

/// One `key = value` of an INI file: the value's pieces (the key's line and each continuation
/// line) with their line numbers.
struct IniEntry {
    section: String,
    key: String,
    parts: Vec<(String, usize)>,
    line: usize,
}

impl IniEntry {
    fn value(&self) -> String {
        let v: Vec<&str> = self.parts.iter().map(|(p, _)| p.as_str()).collect();
        v.join("\n").trim().to_string()
    }
}

/// A minimal INI reader: continuation lines (indented) extend the last value; comments (`#`,
/// `;` at the start of a line) are skipped.
fn ini(text: &str) -> Vec<IniEntry> {
    let mut out: Vec<IniEntry> = Vec::new();
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.parts.push((trimmed.to_string(), i + 1));
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if let Some(pos) = trimmed.find(['=', ':']) {
            let first = trimmed[pos + 1..].trim();
            out.push(IniEntry {
                section: section.clone(),
                key: trimmed[..pos].trim().replace('-', "_"),
                parts: if first.is_empty() {
                    Vec::new()
                } else {
                    vec![(first.to_string(), i + 1)]
                },
                line: i + 1,
            });
        }
    }
    out
}

/// `setup.cfg`: `[options] python_requires` and `[metadata] classifiers`.
pub fn setup_cfg(text: &str, path: &Path) -> Vec<Declaration> {
    let mut out = Vec::new();
    for e in ini(text) {
        if e.section == "options" && e.key == "python_requires" {
            out.extend(constraint(
                Runtime::Python,
                &e.value(),
                Source::file(path.to_path_buf(), e.line, "`python_requires`"),
            ));
        } else if e.section == "metadata" && e.key == "classifiers" {
            let items = e.parts.iter().map(|(c, l)| (c.as_str(), *l));
            out.extend(classifier_claims(items, path));
        }
    }
    out
}

/// A Python token, as much as `setup.py` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    Name(&'a str),
    Str(String),
    Op(char),
}

/// Tokenize Python source: names, string literals (prefixes, triple quotes, escapes), single
/// punctuation. Comments are skipped, so a `# Python 2.7` remark never counts.
fn py_tokens(text: &str) -> Vec<(Tok<'_>, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_whitespace() || c == b'\\' {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            let word = &text[start..i];
            let is_prefix = word.len() <= 2
                && word.chars().all(|ch| "rRbBuUfF".contains(ch))
                && i < b.len()
                && (b[i] == b'"' || b[i] == b'\'');
            if !is_prefix {
                out.push((Tok::Name(word), start));
            }
            continue;
        }
        if c == b'"' || c == b'\'' {
            let start = i;
            let triple = b.len() >= i + 3 && b[i + 1] == c && b[i + 2] == c;
            let q = if triple { 3 } else { 1 };
            i += q;
            let body = i;
            let mut end = b.len();
            while i < b.len() {
                if b[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if !triple && b[i] == b'\n' {
                    end = i;
                    break;
                }
                if b[i] == c && (!triple || (b.len() >= i + 3 && b[i + 1] == c && b[i + 2] == c)) {
                    end = i;
                    i += q;
                    break;
                }
                i += 1;
            }
            let end = end.min(b.len());
            out.push((Tok::Str(text[body.min(end)..end].to_string()), start));
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            continue;
        }
        // Punctuation: only the first byte of a multi-byte char matters for `=`, `:`, `[`.
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push((Tok::Op(ch), i));
        i += ch.len_utf8();
    }
    out
}

/// The strings from `toks[i]` on, implicitly concatenated (`">=2.7, " "!=3.0.*"`).
fn strings_at(toks: &[(Tok<'_>, usize)], mut i: usize) -> Option<String> {
    let mut s = String::new();
    let mut any = false;
    while let Some((Tok::Str(part), _)) = toks.get(i) {
        s.push_str(part);
        any = true;
        i += 1;
    }
    any.then_some(s)
}

/// `setup.py`: `python_requires=` as a keyword, a dict entry or through a module constant, and
/// every string literal that is exactly a `Programming Language :: Python :: X.Y` classifier.
pub fn setup_py(text: &str, path: &Path) -> Vec<Declaration> {
    let toks = py_tokens(text);
    let mut out = Vec::new();
    let assigned = |name: &str| {
        toks.windows(3).find_map(|w| match w {
            [(Tok::Name(n), _), (Tok::Op('='), _), (Tok::Str(_), _)] if *n == name => {
                let at = toks.iter().position(|t| std::ptr::eq(t, &w[2]))?;
                strings_at(&toks, at).map(|s| (s, w[2].1))
            }
            _ => None,
        })
    };
    for (k, (t, at)) in toks.iter().enumerate() {
        let is_key = match t {
            Tok::Name("python_requires") => matches!(toks.get(k + 1), Some((Tok::Op('='), _))),
            Tok::Str(s) if s == "python_requires" => {
                matches!(toks.get(k + 1), Some((Tok::Op(':'), _)))
            }
            _ => false,
        };
        if !is_key {
            continue;
        }
        let value = match toks.get(k + 2) {
            Some((Tok::Str(_), _)) => strings_at(&toks, k + 2).map(|s| (s, *at)),
            Some((Tok::Name(n), _)) => assigned(n),
            _ => None,
        };
        if let Some((spec, offset)) = value
            && let Some(d) = constraint(
                Runtime::Python,
                &spec,
                Source::file(
                    path.to_path_buf(),
                    line_at(text, offset),
                    "`python_requires`",
                ),
            )
        {
            out.push(d);
            break;
        }
    }
    let items: Vec<(&str, usize)> = toks
        .iter()
        .filter_map(|(t, at)| match t {
            Tok::Str(s) => Some((s.as_str(), line_at(text, *at))),
            _ => None,
        })
        .collect();
    out.extend(classifier_claims(items.into_iter(), path));
    out
}

/// Expand tox's generative names: `py{27,36}-django{18,19}`, `py3{8-11}`.
pub fn expand_braces(s: &str) -> Vec<String> {
    let Some(open) = s.find('{') else {
        return vec![s.to_string()];
    };
    let Some(close) = s[open..].find('}').map(|c| c + open) else {
        return vec![s.to_string()];
    };
    let (head, inner, tail) = (&s[..open], &s[open + 1..close], &s[close + 1..]);
    let mut alts = Vec::new();
    for item in inner.split(',') {
        let item = item.trim();
        match item
            .split_once('-')
            .map(|(a, b)| (a.parse::<u32>(), b.parse::<u32>()))
        {
            Some((Ok(a), Ok(b))) if a <= b && b - a <= 64 => {
                alts.extend((a..=b).map(|n| n.to_string()));
            }
            _ => alts.push(item.to_string()),
        }
    }
    alts.iter()
        .flat_map(|a| expand_braces(&format!("{head}{a}{tail}")))
        .collect()
}

/// A tox factor that names a Python: `py27`, `py310`, `py3.8`, `pypy`, `pypy38`. `py3`
/// names no minor.
pub fn tox_factor(f: &str) -> Option<Version> {
    let digits = f.strip_prefix("pypy").or_else(|| f.strip_prefix("py"))?;
    if digits.is_empty() {
        // `pypy` is PyPy 2.7; a bare `py` is whatever python is.
        return f.starts_with("pypy").then_some(Version {
            major: 2,
            minor: Some(7),
        });
    }
    let (major, minor) = match digits.split_once('.') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None if digits.len() >= 2 && digits.bytes().all(|c| c.is_ascii_digit()) => {
            (digits[..1].parse().ok()?, digits[1..].parse().ok()?)
        }
        None => return None,
    };
    (2..=3).contains(&major).then_some(Version {
        major,
        minor: Some(minor),
    })
}

/// `tox.ini`: the `[tox]` section's `envlist` (or `env_list`).
pub fn tox_ini(text: &str, path: &Path) -> Vec<Declaration> {
    let mut out = Vec::new();
    for e in ini(text) {
        if e.section != "tox" || e.key != "envlist" && e.key != "env_list" {
            continue;
        }
        for (row, line) in &e.parts {
            // Commas inside braces belong to the generator, not the list.
            let mut depth = 0i32;
            let mut start = 0;
            let mut names = Vec::new();
            for (i, ch) in row.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(&row[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            names.push(&row[start..]);
            for name in names.iter().flat_map(|n| expand_braces(n.trim())) {
                for f in name.split('-') {
                    if let Some(v) = tox_factor(f) {
                        out.push(claim(
                            Runtime::Python,
                            v,
                            &format!("tox environment `{name}`"),
                            Source::file(path.to_path_buf(), *line, "the tox `envlist`"),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// `Pipfile`: `[requires] python_full_version` or `python_version`.
pub fn pipfile(text: &str, path: &Path) -> Vec<Declaration> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(req) = doc.get("requires").and_then(|r| r.as_table()) else {
        return Vec::new();
    };
    for key in ["python_full_version", "python_version"] {
        if let Some(spec) = req.get(key).and_then(|v| v.as_str())
            && let Some(b) = parse_requirement(Runtime::Python, spec)
        {
            let source = Source::file(
                path.to_path_buf(),
                key_line(text, key).unwrap_or(1),
                format!("`{key}`"),
            );
            return vec![Declaration {
                kind: Kind::Claim,
                range: b.into_range(Runtime::Python, spec, source),
            }];
        }
    }
    Vec::new()
}

/// A version pin as pyenv, rbenv, rvm or asdf write it: `3.12.1`, `2.7`, `pypy2.7-7.3.1`,
/// `ruby-2.5.1`. `system`, `miniconda3-latest`, `jruby-9.4` name no version of the language.
pub fn pin_version(rt: Runtime, token: &str) -> Option<Version> {
    let t = token.trim();
    let t = match rt {
        Runtime::Python => t
            .strip_prefix("pypy")
            .or_else(|| t.strip_prefix("cpython-"))
            .or_else(|| t.strip_prefix("python-"))
            .unwrap_or(t),
        Runtime::Ruby => t.strip_prefix("ruby-").unwrap_or(t),
    };
    if !t.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let b: Bounds = parse_requirement(rt, t.split(['-', '_']).next()?)?;
    match (b.min, b.max) {
        (Some(lo), Some(hi)) if lo == hi => Some(lo),
        // `3`: a major without a minor.
        (Some(lo), _) => Some(Version {
            major: lo.major,
            minor: None,
        }),
        _ => None,
    }
}

fn pin_claims(rt: Runtime, tokens: &[(&str, usize)], path: &Path, what: &str) -> Vec<Declaration> {
    tokens
        .iter()
        .filter_map(|(tok, line)| {
            let v = pin_version(rt, tok)?;
            Some(claim(
                rt,
                v,
                tok,
                Source::file(path.to_path_buf(), *line, what.to_string()),
            ))
        })
        .collect()
}

/// `.python-version` / `.ruby-version`: one or more versions, one per line or separated by
/// spaces (pyenv accepts several).
pub fn pins(text: &str, path: &Path, rt: Runtime) -> Vec<Declaration> {
    let tokens: Vec<(&str, usize)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with('#'))
        .flat_map(|(i, l)| l.split_whitespace().map(move |t| (t, i + 1)))
        .collect();
    pin_claims(rt, &tokens, path, "the version")
}

/// `runtime.txt` (Heroku): `python-2.7.18`.
pub fn runtime_txt(text: &str, path: &Path) -> Vec<Declaration> {
    let tokens: Vec<(&str, usize)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| Some((l.trim().strip_prefix("python-")?, i + 1)))
        .collect();
    pin_claims(Runtime::Python, &tokens, path, "the runtime")
}

/// `.tool-versions` (asdf, mise): `python 3.11.4 2.7.18`, `ruby 3.2.2`.
pub fn tool_versions(text: &str, path: &Path) -> (Vec<Declaration>, Vec<Declaration>) {
    let (mut py, mut rb) = (Vec::new(), Vec::new());
    for (i, l) in text.lines().enumerate() {
        let l = l.split('#').next().unwrap_or("");
        let mut words = l.split_whitespace();
        let (rt, out) = match words.next() {
            Some("python") => (Runtime::Python, &mut py),
            Some("ruby") => (Runtime::Ruby, &mut rb),
            _ => continue,
        };
        let tokens: Vec<(&str, usize)> = words.map(|w| (w, i + 1)).collect();
        out.extend(pin_claims(rt, &tokens, path, "the asdf version"));
    }
    (py, rb)
}

/// The quoted strings of a Ruby expression, in order: `">= 2.0", "< 2.6"`.
fn ruby_strings(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find(['"', '\'']) {
        let q = rest.as_bytes()[start] as char;
        let after = &rest[start + 1..];
        let Some(end) = after.find(q) else { break };
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    out
}

/// Text up to the end of a Ruby statement starting at `from`: the rest of the line, and
/// further lines while a bracket is open.
fn ruby_statement(text: &str, from: usize) -> &str {
    let mut depth = 0i32;
    for (i, ch) in text[from..].char_indices() {
        match ch {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            '#' if depth <= 0 => return &text[from..from + i],
            '\n' if depth <= 0 => return &text[from..from + i],
            _ => {}
        }
    }
    &text[from..]
}

/// `*.gemspec`: `spec.required_ruby_version = ">= 2.5.0"` (also an array, several strings or
/// `Gem::Requirement.new(...)`).
pub fn gemspec(text: &str, path: &Path) -> Vec<Declaration> {
    let mut search = 0;
    while let Some(pos) = text[search..].find("required_ruby_version") {
        let at = search + pos;
        search = at + "required_ruby_version".len();
        let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
        if text[line_start..at].contains('#') {
            continue;
        }
        let rest = text[search..].trim_start_matches([' ', '\t']);
        let Some(rhs) = rest.strip_prefix('=').filter(|r| !r.starts_with('=')) else {
            continue;
        };
        let from = text.len() - rhs.len();
        let spec = ruby_strings(ruby_statement(text, from)).join(", ");
        if let Some(d) = constraint(
            Runtime::Ruby,
            &spec,
            Source::file(
                path.to_path_buf(),
                line_at(text, at),
                "`required_ruby_version`",
            ),
        ) {
            return vec![d];
        }
    }
    Vec::new()
}

/// The `Gemfile`'s `ruby "2.7.0"` / `ruby '~> 3.1'` line (Bundler refuses another Ruby).
pub fn gemfile(text: &str, path: &Path) -> Vec<Declaration> {
    let mut offset = 0;
    for l in text.split_inclusive('\n') {
        let here = offset;
        offset += l.len();
        let t = l.trim();
        let Some(rest) = t.strip_prefix("ruby ").or_else(|| t.strip_prefix("ruby(")) else {
            continue;
        };
        if !rest.trim_start().starts_with(['"', '\'']) {
            continue;
        }
        let code = ruby_statement(text, here + l.find("ruby").unwrap_or(0));
        let strings: Vec<&str> = ruby_strings(code)
            .into_iter()
            .take_while(|s| s.starts_with(|c: char| c.is_ascii_digit() || "<>=~!".contains(c)))
            .collect();
        if let Some(d) = constraint(
            Runtime::Ruby,
            &strings.join(", "),
            Source::file(path.to_path_buf(), line_at(text, here), "the `ruby` line"),
        ) {
            return vec![d];
        }
    }
    Vec::new()
}

/// The path a declaration was read from (for tests).
#[cfg(test)]
fn p(name: &str) -> PathBuf {
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oldest(d: &[Declaration]) -> Option<String> {
        combine(d).and_then(|r| r.oldest()).map(|v| v.to_string())
    }

    fn lines(d: &[Declaration]) -> Vec<usize> {
        d.iter().filter_map(|d| d.range.source.line).collect()
    }

    #[test]
    fn setup_py_multiline_call_with_classifiers() {
        let text = r#"#!/usr/bin/env python
# Supports Python 2.7 and 3.x
from setuptools import setup

long_description = """Runs on Programming Language :: Python :: 2.6 too."""

setup(
    name="demo",
    version="1.0",
    description='Programming Language :: Python :: 2.5 is in a sentence',
    classifiers=[
        "Development Status :: 5 - Production/Stable",
        'Programming Language :: Python :: 2',
        'Programming Language :: Python :: 2.7',
        "Programming Language :: Python :: 3.6",  # also 2.6, said in a comment
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: Implementation :: PyPy",
    ],
)
"#;
        let d = setup_py(text, &p("setup.py"));
        assert_eq!(oldest(&d).as_deref(), Some("2.7"));
        assert_eq!(lines(&d), [13, 14, 15, 16]);
        let r = combine(&d).unwrap();
        assert_eq!(r.versions().last().unwrap().to_string(), "3.9");
        assert_eq!(r.source.line, Some(13));
    }

    #[test]
    fn setup_py_python_requires_forms() {
        let kw = "setup(\n    name='x',\n    python_requires='>=2.7, !=3.0.*, !=3.1.*',\n)\n";
        let d = setup_py(kw, &p("setup.py"));
        assert_eq!(d[0].kind, Kind::Constraint);
        assert_eq!(d[0].range.source.line, Some(3));
        assert_eq!(oldest(&d).as_deref(), Some("2.7"));
        let concat = "setup(python_requires=(\">=3.6, \"\n  \"<3.10\"))";
        // Parenthesised: not a plain string right after `=`, so not read.
        assert!(setup_py(concat, &p("setup.py")).is_empty());
        let adjacent = "setup(python_requires=\">=3.6, \" \"<3.10\")";
        let r = combine(&setup_py(adjacent, &p("setup.py"))).unwrap();
        assert_eq!(r.versions().last().unwrap().to_string(), "3.9");
        let via_const = "PY_REQ = '~=3.7'\nsetup(python_requires=PY_REQ)\n";
        assert_eq!(
            oldest(&setup_py(via_const, &p("setup.py"))).as_deref(),
            Some("3.7")
        );
        let dict = "kw = {\n  'python_requires': '>=3.8',\n}\nsetup(**kw)\n";
        assert_eq!(
            oldest(&setup_py(dict, &p("setup.py"))).as_deref(),
            Some("3.8")
        );
        // The constraint wins over stale classifiers.
        let both =
            "setup(python_requires='>=3.8', classifiers=['Programming Language :: Python :: 2.7'])";
        assert_eq!(
            oldest(&setup_py(both, &p("setup.py"))).as_deref(),
            Some("3.8")
        );
    }

    #[test]
    fn setup_py_look_alikes() {
        let text = "# python_requires='>=2.7'\n# 'Programming Language :: Python :: 2.7'\n\
                    setup(description=\"python_requires='>=2.7'\", \
                    long_description='Programming Language :: Python :: 2.7 and more')\n\
                    if sys.version_info < (2, 7): raise SystemExit\n";
        assert!(setup_py(text, &p("setup.py")).is_empty());
        let py3_only = "setup(classifiers=['Programming Language :: Python :: 3 :: Only'])";
        assert_eq!(combine(&setup_py(py3_only, &p("setup.py"))), None);
        // `:: 3` beside `:: 2.7` reaches every 3.x.
        let both = "setup(classifiers=['Programming Language :: Python :: 2.7',\n\
                    'Programming Language :: Python :: 3'])";
        let r = combine(&setup_py(both, &p("setup.py"))).unwrap();
        assert_eq!(r.oldest().unwrap().to_string(), "2.7");
        assert!(r.max.is_none() && r.spec == "2.7 and later", "{r:?}");
    }

    #[test]
    fn setup_cfg_options_and_classifiers() {
        let text = "[metadata]\nname = demo\nclassifiers =\n    Programming Language :: Python :: 2.7\n    # a comment\n    Programming Language :: Python :: 3.8\n\n[options]\npython_requires = >=2.7, !=3.0.*\npackages = find:\n";
        let d = setup_cfg(text, &p("setup.cfg"));
        assert_eq!(d.len(), 3);
        assert_eq!(d[2].kind, Kind::Constraint);
        assert_eq!(d[2].range.source.line, Some(9));
        assert_eq!(d[0].range.source.line, Some(4));
        assert_eq!(oldest(&d).as_deref(), Some("2.7"));
        let only = "[metadata]\nclassifiers =\n    Programming Language :: Python :: 3.7\n    Programming Language :: Python :: 3.11\n";
        let r = combine(&setup_cfg(only, &p("setup.cfg"))).unwrap();
        assert_eq!(r.oldest().unwrap().to_string(), "3.7");
        assert_eq!(r.versions().last().unwrap().to_string(), "3.11");
        let other_section = "[tool:pytest]\npython_requires = >=2.7\n";
        assert!(setup_cfg(other_section, &p("setup.cfg")).is_empty());
    }

    #[test]
    fn tox_envlists() {
        let text = "[tox]\nenvlist = py27, py3{8,9}-django{22,32}, pypy3, lint\n\n[testenv:py27]\ndeps = x\n";
        let d = tox_ini(text, &p("tox.ini"));
        let vs: Vec<String> = d.iter().map(|d| d.range.min.to_string()).collect();
        assert_eq!(vs, ["2.7", "3.8", "3.8", "3.9", "3.9"]);
        assert_eq!(lines(&d)[0], 2);
        let multi = "[tox]\nenv_list =\n    py3{10-12}\n    docs\n";
        let d = tox_ini(multi, &p("tox.ini"));
        let vs: Vec<String> = d.iter().map(|d| d.range.min.to_string()).collect();
        assert_eq!(vs, ["3.10", "3.11", "3.12"]);
        assert_eq!(oldest(&d).as_deref(), Some("3.10"));
        let not_tox = "[testenv]\nenvlist = py27\n[flake8]\nmax-line-length = 100\n";
        assert!(tox_ini(not_tox, &p("tox.ini")).is_empty());
        assert_eq!(
            tox_factor("py310").map(|v| v.to_string()).as_deref(),
            Some("3.10")
        );
        assert_eq!(
            tox_factor("py3.9").map(|v| v.to_string()).as_deref(),
            Some("3.9")
        );
        assert_eq!(tox_factor("py3"), None);
        assert_eq!(tox_factor("pytest"), None);
        assert_eq!(
            tox_factor("pypy").map(|v| v.to_string()).as_deref(),
            Some("2.7")
        );
    }

    #[test]
    fn pipfile_pins_runtime_txt_tool_versions() {
        let pf = "[[source]]\nurl = \"https://pypi.org/simple\"\n\n[packages]\nrequests = \"*\"\n\n[requires]\npython_version = \"2.7\"\n";
        let d = pipfile(pf, &p("Pipfile"));
        assert_eq!(oldest(&d).as_deref(), Some("2.7"));
        assert_eq!(d[0].range.source.line, Some(8));
        let full = "[requires]\npython_full_version = \"3.9.18\"\npython_version = \"3.9\"\n";
        assert_eq!(pipfile(full, &p("Pipfile"))[0].range.source.line, Some(2));
        assert!(pipfile("[packages]\npython_version = \"2.7\"\n", &p("Pipfile")).is_empty());
        let rt = runtime_txt("python-2.7.18\n", &p("runtime.txt"));
        assert_eq!(oldest(&rt).as_deref(), Some("2.7"));
        assert!(runtime_txt("2.7.18\n", &p("runtime.txt")).is_empty());
        let (py, rb) = tool_versions(
            "# tools\nnodejs 18.0.0\npython 3.11.4 2.7.18\nruby 3.2.2 # main\n",
            &p(".tool-versions"),
        );
        assert_eq!(oldest(&py).as_deref(), Some("2.7"));
        assert_eq!(
            combine(&py).unwrap().versions().last().unwrap().to_string(),
            "3.11"
        );
        assert_eq!(oldest(&rb).as_deref(), Some("3.2"));
        assert_eq!(rb[0].range.source.line, Some(4));
        let pv = pins("pypy2.7-7.3.1\n", &p(".python-version"), Runtime::Python);
        assert_eq!(oldest(&pv).as_deref(), Some("2.7"));
        assert!(pins("system\n", &p(".python-version"), Runtime::Python).is_empty());
        assert!(
            pins(
                "miniconda3-latest\n",
                &p(".python-version"),
                Runtime::Python
            )
            .is_empty()
        );
        assert!(pins("jruby-9.4.0\n", &p(".ruby-version"), Runtime::Ruby).is_empty());
        let rv = pins("ruby-2.5.1\n", &p(".ruby-version"), Runtime::Ruby);
        assert_eq!(oldest(&rv).as_deref(), Some("2.5"));
    }

    #[test]
    fn pyproject_forms() {
        let text = "[project]\nname = \"x\"\nrequires-python = \">=3.8\"\nclassifiers = [\n  \"Programming Language :: Python :: 2.7\",\n]\n";
        let d = pyproject(text, &p("pyproject.toml"));
        assert_eq!(d[0].range.source.line, Some(3));
        assert_eq!(oldest(&d).as_deref(), Some("3.8"));
        let classifiers = "[project]\nname = \"x\"\nclassifiers = [\n  \"Programming Language :: Python :: 3.7\",\n  \"Programming Language :: Python :: 3.12\",\n]\n";
        let d = pyproject(classifiers, &p("pyproject.toml"));
        assert_eq!(oldest(&d).as_deref(), Some("3.7"));
        assert_eq!(d[0].range.source.line, Some(4));
        let poetry = "[tool.poetry.dependencies]\npython = \"^2.7 || ^3.6\"\n";
        assert_eq!(
            oldest(&pyproject(poetry, &p("pyproject.toml"))).as_deref(),
            Some("2.7")
        );
        let other = "[tool.black]\ntarget-version = ['py27']\n[tool.x]\npython = \"2.7\"\n";
        assert!(pyproject(other, &p("pyproject.toml")).is_empty());
    }

    #[test]
    fn gemspecs_and_gemfiles() {
        let spec = "Gem::Specification.new do |s|\n  s.name = 'x'\n  # s.required_ruby_version = '>= 1.8'\n  s.required_ruby_version = \">= 2.5.0\"\nend\n";
        let d = gemspec(spec, &p("x.gemspec"));
        assert_eq!(d[0].range.source.line, Some(4));
        let r = combine(&d).unwrap();
        assert_eq!(r.oldest().unwrap().to_string(), "2.5");
        assert!(r.max.is_none());
        let arr = "  spec.required_ruby_version = [\">= 2.0\",\n    \"< 2.6\"]\n";
        let r = combine(&gemspec(arr, &p("x.gemspec"))).unwrap();
        assert_eq!(r.versions().last().unwrap().to_string(), "2.5");
        let req = "spec.required_ruby_version = Gem::Requirement.new('~> 2.7')\n";
        assert_eq!(
            oldest(&gemspec(req, &p("x.gemspec"))).as_deref(),
            Some("2.7")
        );
        let cmp = "raise 'old' unless spec.required_ruby_version == '>= 1.9'\n";
        assert!(gemspec(cmp, &p("x.gemspec")).is_empty());
        let gf = "source 'https://rubygems.org'\ngem 'ruby-prof'\nruby '~> 3.1', '>= 3.1.2'\n";
        let d = gemfile(gf, &p("Gemfile"));
        assert_eq!(d[0].range.source.line, Some(3));
        assert_eq!(oldest(&d).as_deref(), Some("3.1"));
        assert!(gemfile("ruby file: '.ruby-version'\n", &p("Gemfile")).is_empty());
        assert!(gemfile("gem 'ruby-prof'\n", &p("Gemfile")).is_empty());
    }
}
