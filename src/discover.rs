//! Which files a run lints: walking directories (walkdir), honouring `.gitignore`, and telling
//! Python, Ruby and Rust files apart by extension, name or shebang.
//!
//! walkdir does the walking, as the design asks; `.gitignore` semantics (negation, anchoring,
//! directory-only patterns, nested files) come from the `ignore` crate's matcher, ripgrep's own,
//! rather than a hand-written glob engine. Explicitly named files are always linted.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use walkdir::WalkDir;

use crate::config::Exclude;
use crate::facts::Lang;

/// A file to lint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    pub lang: Lang,
}

/// A path that could not be walked or is not lintable, reported without stopping the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkIssue {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<Candidate>,
    pub issues: Vec<WalkIssue>,
    /// Roots that do not exist at all: the run cannot do what was asked (exit 2).
    pub missing_roots: Vec<PathBuf>,
}

/// Directories never entered, whatever the ignore files say.
const ALWAYS_SKIPPED: &[&str] = &[".git", ".hg", ".svn", "node_modules", "__pycache__"];

/// Language by file name alone.
pub fn lang_by_name(path: &Path) -> Option<Lang> {
    // Lossy: `bad\xff.py` is a Python file whatever the bytes before its extension.
    let name = path.file_name()?.to_string_lossy();
    match name.as_ref() {
        "Rakefile" | "Gemfile" | "Guardfile" | "Capfile" | "Vagrantfile" | "Podfile" => {
            return Some(Lang::Ruby);
        }
        _ => {}
    }
    match path.extension()?.to_string_lossy().as_ref() {
        "py" | "pyw" => Some(Lang::Python),
        "rb" | "rake" | "gemspec" | "ru" => Some(Lang::Ruby),
        "rs" => Some(Lang::Rust),
        _ => None,
    }
}

/// Language from a `#!` line: `python`, `python2`, `python3.11`, `ruby`, `env -S ruby -w`.
pub fn lang_by_shebang(first_line: &[u8]) -> Option<Lang> {
    let line = std::str::from_utf8(first_line.strip_prefix(b"#!")?).ok()?;
    for word in line.split(|c: char| c.is_whitespace() || c == '/') {
        let w = word.trim();
        if w.starts_with("python") || w == "pypy" || w.starts_with("pypy") {
            return Some(Lang::Python);
        }
        if w.starts_with("ruby") || w == "jruby" {
            return Some(Lang::Ruby);
        }
    }
    None
}

/// The language of a file without an extension we know, read from its first line.
fn sniff(path: &Path) -> Option<Lang> {
    let mut f = fs::File::open(path).ok()?;
    let mut buf = [0u8; 256];
    let n = f.read(&mut buf).ok()?;
    let first = buf[..n].split(|b| *b == b'\n').next()?;
    lang_by_shebang(first)
}

fn has_extension(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().trim_start_matches('.').contains('.'))
}

/// A cargo build directory: `target/` holding `CACHEDIR.TAG` or `.rustc_info.json`.
fn is_cargo_target(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "target")
        && (dir.join("CACHEDIR.TAG").exists() || dir.join(".rustc_info.json").exists())
}

/// Gitignore matchers from the repository root down to `dir`'s parent (the ones that apply to
/// a walk rooted at `dir`).
fn ancestor_ignores(dir: &Path) -> Vec<(PathBuf, Gitignore)> {
    let Ok(abs) = fs::canonicalize(dir) else {
        return Vec::new();
    };
    let mut chain = Vec::new();
    let mut cur = abs.parent();
    while let Some(d) = cur {
        chain.push(d.to_path_buf());
        if d.join(".git").exists() {
            break;
        }
        cur = d.parent();
    }
    // Only inside a git work tree do parent .gitignore files apply.
    if !chain.last().is_some_and(|d| d.join(".git").exists()) {
        return Vec::new();
    }
    chain.reverse();
    chain
        .into_iter()
        .filter_map(|d| load_ignore(&d).map(|g| (d, g)))
        .collect()
}

fn load_ignore(dir: &Path) -> Option<Gitignore> {
    let mut files = Vec::new();
    let gi = dir.join(".gitignore");
    if gi.is_file() {
        files.push(gi);
    }
    let exclude = dir.join(".git/info/exclude");
    if exclude.is_file() {
        files.push(exclude);
    }
    if files.is_empty() {
        return None;
    }
    let mut b = GitignoreBuilder::new(dir);
    for f in files {
        // A malformed line is skipped by the builder; the rest of the file still applies.
        let _ = b.add(f);
    }
    b.build().ok().filter(|g| !g.is_empty())
}

fn ignored(stack: &[(PathBuf, Gitignore)], path: &Path, is_dir: bool) -> bool {
    // Deeper files override shallower ones; within a file the last match wins.
    for (_, g) in stack.iter().rev() {
        let m = g.matched(path, is_dir);
        if m.is_ignore() {
            return true;
        }
        if m.is_whitelist() {
            return false;
        }
    }
    false
}

/// Find the files to lint under `roots`. `exclude` (the configuration file's) prunes what
/// directory walks find; files named in `roots` are always linted.
pub fn discover(roots: &[PathBuf], no_ignore: bool, exclude: Option<&Exclude>) -> Discovered {
    let mut files = Vec::new();
    let mut out = discover_each(roots, no_ignore, exclude, |c| files.push(c));
    files.sort();
    files.dedup();
    out.files = files;
    out
}

/// Like [`discover`], but hands each file to `emit` as soon as it is found (in walk order,
/// and a file reached through two roots twice), so that linting can start while the walk goes
/// on. The returned `files` is empty.
pub fn discover_each(
    roots: &[PathBuf],
    no_ignore: bool,
    exclude: Option<&Exclude>,
    mut emit: impl FnMut(Candidate),
) -> Discovered {
    let mut out = Discovered::default();
    for root in roots {
        // A root that is a symlink to a directory is walked (walkdir follows roots); links
        // inside it are not.
        match fs::symlink_metadata(root) {
            Ok(_) => {}
            Err(e) => {
                if e.kind() == std::io::ErrorKind::NotFound {
                    out.missing_roots.push(root.clone());
                } else {
                    out.issues.push(WalkIssue {
                        path: root.clone(),
                        message: e.to_string(),
                    });
                }
                continue;
            }
        };
        if !root.is_dir() {
            explicit_file(root, &mut out, &mut emit);
            continue;
        }
        walk_dir(root, no_ignore, exclude, &mut out, &mut emit);
    }
    out
}

/// A file named on the command line: linted whatever the ignore files say, if we know its
/// language; FIFOs and devices are never opened.
fn explicit_file(path: &Path, out: &mut Discovered, emit: &mut impl FnMut(Candidate)) {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            out.issues.push(WalkIssue {
                path: path.to_path_buf(),
                message: e.to_string(),
            });
            return;
        }
    };
    if !meta.is_file() {
        out.issues.push(WalkIssue {
            path: path.to_path_buf(),
            message: "not a regular file (FIFO, socket or device); not read".to_string(),
        });
        return;
    }
    let lang = lang_by_name(path).or_else(|| {
        if has_extension(path) {
            None
        } else {
            sniff(path)
        }
    });
    if let Some(lang) = lang {
        emit(Candidate {
            path: path.to_path_buf(),
            lang,
        });
    }
}

fn walk_dir(
    root: &Path,
    no_ignore: bool,
    exclude: Option<&Exclude>,
    out: &mut Discovered,
    emit: &mut impl FnMut(Candidate),
) {
    let mut stack: Vec<(PathBuf, Gitignore)> = if no_ignore {
        Vec::new()
    } else {
        ancestor_ignores(root)
    };
    let base_len = stack.len();
    // Directories whose .gitignore is on the stack, by depth, so it can be popped on leaving.
    let mut pushed_at: Vec<usize> = Vec::new();
    let mut it = WalkDir::new(root).follow_links(false).into_iter();
    loop {
        let entry = match it.next() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                out.issues.push(WalkIssue {
                    path: e.path().map(Path::to_path_buf).unwrap_or_default(),
                    message: e
                        .io_error()
                        .map_or_else(|| e.to_string(), ToString::to_string),
                });
                continue;
            }
        };
        let depth = entry.depth();
        while pushed_at.last().is_some_and(|d| *d >= depth) {
            pushed_at.pop();
            stack.pop();
        }
        debug_assert!(stack.len() >= base_len);
        let ft = entry.file_type();
        let path = entry.path();
        if ft.is_dir() {
            if depth > 0 {
                let name = entry.file_name().to_string_lossy();
                if ALWAYS_SKIPPED.contains(&name.as_ref())
                    || is_cargo_target(path)
                    || (!no_ignore && ignored(&stack, path, true))
                    || exclude.is_some_and(|x| x.is_excluded(path, true))
                {
                    it.skip_current_dir();
                    continue;
                }
            }
            if !no_ignore && let Some(g) = load_ignore(path) {
                stack.push((path.to_path_buf(), g));
                pushed_at.push(depth);
            }
            continue;
        }
        if !ft.is_file() {
            // Symlinks are not followed; FIFOs, sockets and devices are never opened.
            continue;
        }
        if (!no_ignore && ignored(&stack, path, false))
            || exclude.is_some_and(|x| x.is_excluded(path, false))
        {
            continue;
        }
        let lang = match lang_by_name(path) {
            Some(l) => Some(l),
            None if !has_extension(path) => sniff(path),
            None => None,
        };
        if let Some(lang) = lang {
            emit(Candidate {
                path: path.to_path_buf(),
                lang,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        assert_eq!(lang_by_name(Path::new("a/b.py")), Some(Lang::Python));
        assert_eq!(lang_by_name(Path::new("Rakefile")), Some(Lang::Ruby));
        assert_eq!(lang_by_name(Path::new("x.gemspec")), Some(Lang::Ruby));
        assert_eq!(lang_by_name(Path::new("lib.rs")), Some(Lang::Rust));
        assert_eq!(lang_by_name(Path::new("x.txt")), None);
        assert_eq!(
            lang_by_shebang(b"#!/usr/bin/env python2"),
            Some(Lang::Python)
        );
        assert_eq!(
            lang_by_shebang(b"#!/usr/bin/python3.11 -u"),
            Some(Lang::Python)
        );
        assert_eq!(lang_by_shebang(b"#! /usr/bin/env ruby"), Some(Lang::Ruby));
        assert_eq!(lang_by_shebang(b"#!/bin/sh"), None);
    }
}
