//! `--format sarif`: a SARIF 2.1.0 log, what code-scanning services (GitHub, GitLab, Azure
//! DevOps) and SARIF viewers read. The test suite validates it against the OASIS schema.
//!
//! Choices worth knowing:
//! - Paths are URIs relative to `%SRCROOT%`, the working directory, which
//!   `run.originalUriBaseIds` gives as an absolute `file://` URI; a file outside it gets an
//!   absolute URI. Uploaders such as GitHub's resolve relative URIs against the checkout.
//! - `partialFingerprints` hash the rule, the path and the text of the finding (its span and the
//!   trimmed line it starts on), never a line number, so a finding keeps its identity when code
//!   above it moves; identical findings in one file are told apart by their order.
//! - Suppressed findings are kept and marked (`suppressions: [{"kind": "inSource"}]`), as SARIF
//!   asks, so services can show that they were seen and silenced.
//! - Files that could not be read or parsed become `toolExecutionNotifications`.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use crate::engine::{FileProblem, FileReport, ProblemKind, RunResult};
use crate::finding::{Finding, Severity};
use crate::rules::{self, RuleMeta};

/// The base id every relative artifact URI is resolved against.
pub const SRCROOT: &str = "%SRCROOT%";

/// The key of fdlint's fingerprint in `partialFingerprints`; the version changes whenever the
/// hashed text changes, so that services do not compare unlike fingerprints.
pub const FINGERPRINT_KEY: &str = "fdlintTextHash/v1";

pub fn write(result: &RunResult, root: &Path, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(result, root))?;
    writeln!(out)
}

/// The whole SARIF log, with paths made relative to `root` (an absolute directory).
pub fn log(result: &RunResult, root: &Path) -> Value {
    let mut seen: HashMap<(String, u64), usize> = HashMap::new();
    let mut packages = PackageRoots::default();
    let results: Vec<Value> = result
        .all_findings()
        .map(|(file, f)| {
            let loc = artifact(&file.path, root);
            // A dependency's file is identified by its package and its path inside it, so the
            // fingerprint does not depend on where the package was installed.
            let key = match (&file.package, &file.package_path) {
                (Some(p), Some(path)) => format!("{}:{}/{path}", p.ecosystem, p.name),
                _ => loc.key.clone(),
            };
            let hash = text_hash(&key, file, f);
            let n = seen.entry((key, hash)).or_default();
            *n += 1;
            let fingerprint = format!("{hash:016x}:{n}");
            let mut r = result_object(file, f, &loc, fingerprint);
            relocate_to_pin(&mut r, file, f, root, &mut packages);
            r
        })
        .collect();
    let mut base_ids = serde_json::Map::new();
    base_ids.insert(SRCROOT.to_string(), json!({ "uri": dir_uri(root) }));
    for (id, (dir, what)) in packages.ids() {
        base_ids.insert(
            id,
            json!({ "uri": dir_uri(&dir), "description": { "text": what } }),
        );
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "fdlint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": crate::REPOSITORY,
                    "rules": rules::all().iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
                }
            },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": result
                    .problems
                    .iter()
                    .map(|p| notification(p, root))
                    .collect::<Vec<_>>(),
            }],
            "originalUriBaseIds": base_ids,
            // fdlint counts columns in Unicode scalar values, as SARIF's `unicodeCodePoints`.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn rule_descriptor(r: &RuleMeta) -> Value {
    let doc = markdown(r.doc);
    json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": what_it_does(&doc).unwrap_or_else(|| r.summary.to_string()) },
        "help": { "text": doc, "markdown": doc },
        "helpUri": r.url(),
        "defaultConfiguration": { "level": level(r.default_severity) },
        "properties": {
            "tags": r.languages.iter().map(|l| l.name()).collect::<Vec<_>>(),
        },
    })
}

/// A rule's doc comment as Markdown: `/// text` leaves one space at the start of each line.
fn markdown(doc: &str) -> String {
    let lines: Vec<&str> = doc
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    lines.join("\n").trim().to_string()
}

/// The body of the `## What it does` section, for `fullDescription`.
fn what_it_does(doc: &str) -> Option<String> {
    let (_, rest) = doc.split_once("## What it does")?;
    let body = rest.split("\n## ").next()?;
    let text = body.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

fn region(file: &FileReport, span: crate::facts::Span) -> Value {
    let (s, e) = file.index.range(&file.text, span);
    json!({
        "startLine": s.line,
        "startColumn": s.column,
        "endLine": e.line,
        "endColumn": e.column,
    })
}

fn result_object(file: &FileReport, f: &Finding, loc: &Artifact, fingerprint: String) -> Value {
    let index = rules::all()
        .iter()
        .position(|r| r.code == f.rule.code)
        .expect("every finding's rule is in rules::all()");
    let mut r = json!({
        "ruleId": f.rule.code,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": { "text": f.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": loc.json(),
                "region": region(file, f.span),
            },
            "message": { "text": f.span_label },
        }],
        "relatedLocations": f.labels.iter().enumerate().map(|(i, l)| json!({
            "id": i + 1,
            "physicalLocation": {
                "artifactLocation": loc.json(),
                "region": region(file, l.span),
            },
            "message": { "text": l.message },
        })).collect::<Vec<_>>(),
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint },
        "properties": {
            "help": f.help,
            "notes": f.notes,
        },
    });
    if let Some(x) = &f.fix {
        // SARIF `fix`: one artifact change with its replacements; an insertion is an empty
        // deleted region. SARIF has no notion of safety: the applicability is a property.
        r["fixes"] = json!([{
            "description": { "text": x.message },
            "artifactChanges": [{
                "artifactLocation": loc.json(),
                "replacements": x.edits.iter().map(|e| json!({
                    "deletedRegion": region(file, e.span),
                    "insertedContent": { "text": e.content },
                })).collect::<Vec<_>>(),
            }],
            "properties": { "applicability": x.applicability.as_str() },
        }]);
    }
    if let Some(p) = &file.package {
        r["properties"]["package"] = json!({
            "ecosystem": p.ecosystem.as_str(),
            "name": p.name,
            "version": p.version,
            "path": file.package_path,
        });
    }
    if f.suppressed {
        r["suppressions"] = json!([{ "kind": "inSource" }]);
    } else if f.baselined {
        r["suppressions"] = json!([{
            "kind": "external",
            "justification": "recorded in the fdlint baseline file"
        }]);
    }
    r
}

/// The root directories of the packages whose files findings point into, each with a base id
/// (`PACKAGE1`, ...) in `originalUriBaseIds`, so a related location can give the file's path
/// inside its package.
#[derive(Default)]
struct PackageRoots {
    roots: Vec<(PathBuf, String)>,
}

impl PackageRoots {
    fn id_of(&mut self, dir: &Path, what: String) -> String {
        let i = match self.roots.iter().position(|(d, _)| d == dir) {
            Some(i) => i,
            None => {
                self.roots.push((dir.to_path_buf(), what));
                self.roots.len() - 1
            }
        };
        format!("PACKAGE{}", i + 1)
    }

    fn ids(self) -> impl Iterator<Item = (String, (PathBuf, String))> {
        self.roots
            .into_iter()
            .enumerate()
            .map(|(i, r)| (format!("PACKAGE{}", i + 1), r))
    }
}

/// The directory a dependency's file is in the package of: its path with `package_path`
/// taken off the end (`None` for paths that climb out of it, such as a wheel's scripts).
fn package_root(path: &Path, package_path: &str) -> Option<PathBuf> {
    let rel = Path::new(package_path);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) || !path.ends_with(rel) {
        return None;
    }
    path.ancestors()
        .nth(rel.components().count())
        .map(Path::to_path_buf)
}

/// A dependency's finding is located at the lockfile or requirements line that pins the
/// package, where a pull request that bumps it changes something and code scanning can show
/// it; the dependency's own lines become related locations, relative to the package's root.
/// The message names the package, its version and the file inside it.
fn relocate_to_pin(
    r: &mut Value,
    file: &FileReport,
    f: &Finding,
    root: &Path,
    packages: &mut PackageRoots,
) {
    let (Some(package), Some(package_path)) = (&file.package, &file.package_path) else {
        return;
    };
    let Some(pin) = &package.pin else {
        return;
    };
    let dep = match package_root(&file.path, package_path) {
        Some(dir) => {
            let id = packages.id_of(&dir, package.to_string());
            let segments: Vec<String> = package_path
                .split('/')
                .map(|seg| encode(seg.as_bytes(), false))
                .collect();
            json!({ "uri": segments.join("/"), "uriBaseId": id })
        }
        None => artifact(&file.path, root).json(),
    };
    let line = file.index.line_col(&file.text, f.span.start).line;
    let version = if package.version.is_empty() {
        String::new()
    } else {
        format!(" {}", package.version)
    };
    r["message"]["text"] = json!(format!(
        "{}{version} ({}), {package_path}:{line}: {}",
        package.name, package.ecosystem, f.message
    ));
    r["locations"] = json!([{
        "physicalLocation": {
            "artifactLocation": artifact(&pin.path, root).json(),
            "region": { "startLine": pin.line },
        },
        "message": { "text": format!("{}{version} is pinned here", package.name) },
    }]);
    let mut related = vec![json!({
        "id": 1,
        "physicalLocation": { "artifactLocation": dep.clone(), "region": region(file, f.span) },
        "message": { "text": format!("{package_path}:{line}: {}", f.span_label) },
    })];
    related.extend(f.labels.iter().enumerate().map(|(i, l)| {
        json!({
            "id": i + 2,
            "physicalLocation": { "artifactLocation": dep.clone(), "region": region(file, l.span) },
            "message": { "text": l.message },
        })
    }));
    r["relatedLocations"] = Value::Array(related);
}

fn notification(p: &FileProblem, root: &Path) -> Value {
    let level = match p.kind {
        ProblemKind::IoError | ProblemKind::NotAFile => "error",
        _ => "warning",
    };
    let mut physical = json!({ "artifactLocation": artifact(&p.path, root).json() });
    if let Some(line) = p.line {
        physical["region"] = json!({ "startLine": line });
    }
    let kind = serde_json::to_value(p.kind).unwrap_or(Value::Null);
    json!({
        "level": level,
        "message": { "text": p.message },
        "descriptor": { "id": kind },
        "locations": [{ "physicalLocation": physical }],
    })
}

/// Where a file is, as SARIF names it.
struct Artifact {
    uri: String,
    /// Whether `uri` is relative to `%SRCROOT%`.
    relative: bool,
    /// The path the fingerprint hashes: the relative URI, so it does not depend on the checkout.
    key: String,
}

impl Artifact {
    fn json(&self) -> Value {
        if self.relative {
            json!({ "uri": self.uri, "uriBaseId": SRCROOT })
        } else {
            json!({ "uri": self.uri })
        }
    }
}

fn artifact(path: &Path, root: &Path) -> Artifact {
    let abs = normalize(&root.join(path));
    match abs.strip_prefix(normalize(root)) {
        Ok(rel) if rel.components().next().is_some() => {
            let segments: Vec<String> = rel
                .components()
                .map(|c| encode(&os_bytes(c.as_os_str()), false))
                .collect();
            let uri = segments.join("/");
            Artifact {
                key: uri.clone(),
                uri,
                relative: true,
            }
        }
        _ => {
            let uri = file_uri(&abs);
            Artifact {
                key: uri.clone(),
                uri,
                relative: false,
            }
        }
    }
}

/// `a/./b/../c` -> `a/c`, without touching the file system (the file may be standard input).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn file_uri(abs: &Path) -> String {
    let mut s: Vec<u8> = os_bytes(abs.as_os_str())
        .iter()
        .map(|b| if *b == b'\\' { b'/' } else { *b })
        .collect();
    if s.first() != Some(&b'/') {
        s.insert(0, b'/');
    }
    format!("file://{}", encode(&s, true))
}

/// A path's raw bytes: a name that is not UTF-8 keeps its bytes in the URI (percent-encoded),
/// where a lossy conversion would name another file.
#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(s.as_bytes())
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    match s.to_string_lossy() {
        std::borrow::Cow::Borrowed(b) => std::borrow::Cow::Borrowed(b.as_bytes()),
        std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o.into_bytes()),
    }
}

/// The `%SRCROOT%` URI: a directory, so it ends in `/` (relative URIs resolve under it).
fn dir_uri(root: &Path) -> String {
    let uri = file_uri(&normalize(root));
    if uri.ends_with('/') {
        uri
    } else {
        format!("{uri}/")
    }
}

/// Percent-encodes all but RFC 3986 unreserved characters and `/`. A `:` is kept only in
/// absolute URIs: in a relative one, `a:b.py` would read as the scheme `a`.
fn encode(s: &[u8], keep_colon: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
            || (keep_colon && b == b':')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// FNV-1a (64 bit) of the rule, the path, the finding's span text with whitespace collapsed
/// and the trimmed text of the line the span starts on. A fixed algorithm, not `std`'s
/// `DefaultHasher`, because fingerprints must not change between builds.
fn text_hash(path_key: &str, file: &FileReport, f: &Finding) -> u64 {
    let span_text = file.text.get(f.span.start..f.span.end).unwrap_or("");
    let span_text = span_text.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = file
        .index
        .line_text(&file.text, file.index.line_of(f.span.start))
        .trim();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [f.rule.code, path_key, &span_text, line] {
        for b in part.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris() {
        let root = Path::new("/work/repo");
        let a = artifact(Path::new("./src/a b.py"), root);
        assert_eq!((a.uri.as_str(), a.relative), ("src/a%20b.py", true));
        let a = artifact(Path::new("/work/repo/x/../c:d.py"), root);
        assert_eq!((a.uri.as_str(), a.relative), ("c%3Ad.py", true));
        let a = artifact(Path::new("../other/e.py"), root);
        assert_eq!(
            (a.uri.as_str(), a.relative),
            ("file:///work/other/e.py", false)
        );
        assert_eq!(dir_uri(root), "file:///work/repo/");
        assert_eq!(dir_uri(Path::new("/")), "file:///");
    }

    #[test]
    fn what_it_does_is_one_paragraph() {
        let doc = markdown(" ## What it does\n Finds\n loops.\n\n ## Why is this bad?\n Slow.\n");
        assert_eq!(
            doc,
            "## What it does\nFinds\nloops.\n\n## Why is this bad?\nSlow."
        );
        assert_eq!(what_it_does(&doc).as_deref(), Some("Finds loops."));
    }
}
