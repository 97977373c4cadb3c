//! Where a project pins each dependency: the lockfile or requirements line a dependency bump
//! changes. Reporters that attach findings to a pull request's diff (SARIF, GitHub annotations,
//! the job summary) locate a dependency's findings there, since the dependency's own files are
//! outside the repository. Files are read line by line as text; nothing is run.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Ecosystem, Options, Package, Resolved, python};

pub use crate::pipeline::Pin;

/// One pin found in a file: the package's name as written, the version when the line fixes
/// one, and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinLine {
    pub name: String,
    pub version: Option<String>,
    pub line: usize,
}

/// `Gemfile.lock`: the `    name (version)` lines of `specs:` blocks (four spaces: six are a
/// gem's own dependencies).
pub fn gemfile_lock(text: &str) -> Vec<PinLine> {
    let mut out = Vec::new();
    let mut in_specs = false;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let body = line.trim();
        match indent {
            0 => in_specs = false,
            2 => in_specs = body == "specs:",
            4 if in_specs => {
                if let Some((name, rest)) = body.split_once(" (") {
                    let full = rest.trim_end_matches(')');
                    let version = full.split_once('-').map_or(full, |(v, _)| v);
                    out.push(PinLine {
                        name: name.to_string(),
                        version: Some(version.to_string()),
                        line: i + 1,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// `Cargo.lock`, `poetry.lock`, `uv.lock`: `[[package]]` tables with `name = "..."` and
/// `version = "..."` lines; the version line is the one a bump changes.
pub fn package_tables(text: &str) -> Vec<PinLine> {
    let mut out = Vec::new();
    let mut name: Option<String> = None;
    let mut version: Option<(String, usize)> = None;
    let mut flush = |name: &mut Option<String>, version: &mut Option<(String, usize)>| {
        if let (Some(n), Some((v, l))) = (name.take(), version.take()) {
            out.push(PinLine {
                name: n,
                version: Some(v),
                line: l,
            });
        }
    };
    let mut in_package = false;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('[') {
            if in_package {
                flush(&mut name, &mut version);
            }
            in_package = l == "[[package]]";
            continue;
        }
        if !in_package {
            continue;
        }
        let Some((k, v)) = l.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_string();
        match k.trim() {
            "name" => name = Some(v),
            "version" => version = Some((v, i + 1)),
            _ => {}
        }
    }
    if in_package {
        flush(&mut name, &mut version);
    }
    out
}

/// `requirements*.txt`: one requirement per line (`name[extra]==1.0 ; marker  # comment`);
/// options (`-r`, `-e`, `--hash`) and continuation lines name no package.
pub fn requirements(text: &str) -> Vec<PinLine> {
    let mut out = Vec::new();
    let mut continued = false;
    for (i, raw) in text.lines().enumerate() {
        let was_continued = continued;
        continued = raw.trim_end().ends_with('\\');
        if was_continued {
            continue;
        }
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        let end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(line.len());
        if end == 0 {
            continue;
        }
        let rest = line[end..].trim_start();
        let rest = match rest.strip_prefix('[') {
            Some(r) => r.split_once(']').map_or("", |(_, r)| r).trim_start(),
            None => rest,
        };
        let version = rest
            .strip_prefix("===")
            .or_else(|| rest.strip_prefix("=="))
            .map(|v| {
                v.split([';', ',', ' ', '\\'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .filter(|v| !v.is_empty() && !v.contains('*'));
        out.push(PinLine {
            name: line[..end].to_string(),
            version,
            line: i + 1,
        });
    }
    out
}

/// `Pipfile.lock` (JSON written with four-space indentation): a package's `"version":
/// "==1.0"` line inside its `"name": {` object of `default` or `develop`.
pub fn pipfile_lock(text: &str) -> Vec<PinLine> {
    let mut out = Vec::new();
    let mut section = false;
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let l = line.trim();
        if indent == 4 {
            section = l.starts_with("\"default\"") || l.starts_with("\"develop\"");
            current = None;
        } else if section && indent == 8 && l.ends_with('{') {
            current = l.split('"').nth(1).map(str::to_owned);
        } else if section
            && indent == 12
            && let Some(name) = &current
            && let Some(v) = l.strip_prefix("\"version\":")
        {
            let v = v.trim().trim_end_matches(',').trim_matches('"');
            out.push(PinLine {
                name: name.clone(),
                version: v.strip_prefix("==").map(str::to_owned),
                line: i + 1,
            });
        }
    }
    out
}

/// PEP 503's normalised name: `Foo_Bar.baz` -> `foo-bar-baz`.
pub fn normalize_python_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The files that pin each ecosystem's packages, with their parser.
type Parser = fn(&str) -> Vec<PinLine>;

fn pin_files(opts: &Options) -> Vec<(Ecosystem, PathBuf, Parser)> {
    let mut files: Vec<(Ecosystem, PathBuf, Parser)> = Vec::new();
    let gemfile_lock = opts
        .gemfile_lock
        .clone()
        .unwrap_or_else(|| opts.project.join("Gemfile.lock"));
    files.push((Ecosystem::Rubygems, gemfile_lock, gemfile_lock_parser));
    let cargo_lock = opts
        .cargo_lock
        .clone()
        .unwrap_or_else(|| opts.project.join("Cargo.lock"));
    files.push((Ecosystem::CratesIo, cargo_lock, package_tables));
    // Exact lockfiles first: they pin what was installed; requirements may pin a range.
    for (name, parse) in [
        ("poetry.lock", package_tables as Parser),
        ("uv.lock", package_tables),
        ("Pipfile.lock", pipfile_lock),
    ] {
        debug_assert!(python::PYTHON_MANIFESTS.contains(&name));
        files.push((Ecosystem::Pypi, opts.project.join(name), parse));
    }
    for req in python::requirements_files(&opts.project) {
        files.push((Ecosystem::Pypi, req, requirements));
    }
    files
}

fn gemfile_lock_parser(text: &str) -> Vec<PinLine> {
    gemfile_lock(text)
}

fn key(ecosystem: Ecosystem, name: &str) -> (Ecosystem, String) {
    match ecosystem {
        Ecosystem::Pypi => (ecosystem, normalize_python_name(name)),
        _ => (ecosystem, name.to_string()),
    }
}

/// Give every resolved package the line that pins it, where the project has one: the line
/// that names its exact version, else (requirements with a range) the first that names it.
pub(super) fn attach(opts: &Options, out: &mut Resolved) {
    // (ecosystem, name) -> [(version, pin)], in the order of `pin_files`.
    type Candidates = Vec<(Option<String>, Pin)>;
    let mut pins: HashMap<(Ecosystem, String), Candidates> = HashMap::new();
    for (ecosystem, path, parse) in pin_files(opts) {
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let shown = path
            .strip_prefix(&opts.project)
            .map(Path::to_path_buf)
            .unwrap_or(path);
        for p in parse(&text) {
            pins.entry(key(ecosystem, &p.name)).or_default().push((
                p.version,
                Pin {
                    path: shown.clone(),
                    line: p.line,
                },
            ));
        }
    }
    if pins.is_empty() {
        return;
    }
    let pin_of = |p: &Package| -> Option<Pin> {
        let candidates = pins.get(&key(p.ecosystem, &p.name))?;
        candidates
            .iter()
            .find(|(v, _)| v.as_deref() == Some(p.version.as_str()))
            .or_else(|| candidates.iter().find(|(v, _)| v.is_none()))
            .map(|(_, pin)| pin.clone())
    };
    let mut pinned: HashMap<Arc<Package>, Arc<Package>> = HashMap::new();
    let mut with_pin = |p: &Arc<Package>| -> Arc<Package> {
        pinned
            .entry(p.clone())
            .or_insert_with(|| match pin_of(p) {
                Some(pin) => Arc::new(Package {
                    pin: Some(pin),
                    ..(**p).clone()
                }),
                None => p.clone(),
            })
            .clone()
    };
    for f in &mut out.files {
        f.package = with_pin(&f.package);
    }
    for p in &mut out.packages {
        *p = with_pin(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lines() {
        let text = "# top\n-r base.txt\nRequests[socks]==2.31.0 ; python_version > \"3\"  # pinned\nflask>=2\nnumpy==1.26.* \n--hash=sha256:x\nlxml==5.1.0 \\\n    --hash=sha256:y\n";
        let got: Vec<(String, Option<String>, usize)> = requirements(text)
            .into_iter()
            .map(|p| (p.name, p.version, p.line))
            .collect();
        assert_eq!(
            got,
            [
                ("Requests".into(), Some("2.31.0".into()), 3),
                ("flask".into(), None, 4),
                ("numpy".into(), None, 5),
                ("lxml".into(), Some("5.1.0".into()), 7),
            ]
        );
        assert_eq!(normalize_python_name("Foo_Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize_python_name("python-daemon"), "python-daemon");
    }

    #[test]
    fn lockfile_lines() {
        let cargo = "version = 4\n\n[[package]]\nname = \"libc\"\nversion = \"0.2.150\"\nsource = \"x\"\n\n[[package]]\nname = \"tidy\"\nversion = \"1.0.0\"\n\n[metadata]\nversion = \"9\"\n";
        let got: Vec<(String, usize)> = package_tables(cargo)
            .into_iter()
            .map(|p| (format!("{} {}", p.name, p.version.unwrap()), p.line))
            .collect();
        assert_eq!(got, [("libc 0.2.150".into(), 5), ("tidy 1.0.0".into(), 10)]);
        let gems = "GEM\n  remote: x\n  specs:\n    nokogiri (1.15.0-x86_64-linux)\n      racc (~> 1.4)\n    rake (13.0.6)\n\nDEPENDENCIES\n    rake\n";
        let got: Vec<(String, usize)> = gemfile_lock(gems)
            .into_iter()
            .map(|p| (format!("{} {}", p.name, p.version.unwrap()), p.line))
            .collect();
        assert_eq!(
            got,
            [("nokogiri 1.15.0".into(), 4), ("rake 13.0.6".into(), 6)]
        );
        let pipfile = "{\n    \"_meta\": {\n        \"hash\": {\n            \"sha256\": \"x\"\n        }\n    },\n    \"default\": {\n        \"python-daemon\": {\n            \"hashes\": [\n                \"sha256:a\"\n            ],\n            \"index\": \"pypi\",\n            \"version\": \"==2.2.4\"\n        }\n    },\n    \"develop\": {}\n}\n";
        let got: Vec<(String, Option<String>, usize)> = pipfile_lock(pipfile)
            .into_iter()
            .map(|p| (p.name, p.version, p.line))
            .collect();
        assert_eq!(got, [("python-daemon".into(), Some("2.2.4".into()), 13)]);
    }
}
