//! Fixes as data, and applying them: `fdlint check --fix`, `--unsafe-fixes`, `--diff`.
//!
//! A rule attaches a [`Fix`] to a finding: byte-range [`Edit`]s into the file's text plus an
//! [`Applicability`], as ruff does. Nothing here knows a rule or a language's syntax: edits are
//! applied sorted and never overlapping (an edit that conflicts with one already taken waits for
//! the next pass), the text is linted again in memory, and passes repeat until nothing fixable
//! is left or [`MAX_PASSES`] is reached. A fix whose result has more syntax errors than the
//! original is dropped with a diagnostic.
//!
//! Architecture invariants: a fix is applied only if the fixed text still parses; a file is
//! written atomically (temporary file in its directory, then rename) with its permissions, line
//! endings, encoding and trailing newline kept, and never over a file that changed on disk since
//! it was read.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::time::SystemTime;

use crate::engine::{self, Linted};
use crate::facts::Lang;
use crate::finding::Finding;
use crate::lang;
use crate::settings::Settings;

pub use crate::edit::{Applicability, Edit, Fix};

/// How many fix passes a file gets before fixing is declared not to converge.
pub const MAX_PASSES: usize = 10;

/// Whether the text's lines end with `\r\n` (decided by its first line end).
pub fn uses_crlf(text: &str) -> bool {
    text.find('\n')
        .is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r')
}

/// `content` with its `\n` line ends turned into `\r\n` when the file uses CRLF.
fn line_ends(content: &str, crlf: bool) -> std::borrow::Cow<'_, str> {
    if !crlf || !content.contains('\n') {
        return content.into();
    }
    let mut out = String::with_capacity(content.len() + 8);
    let mut prev = '\0';
    for c in content.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out.into()
}

/// Apply as many of `fixes` as do not overlap, in order of position: a fix whose edits touch
/// a range another accepted fix edits waits for the next pass. Returns the new text and the
/// indices of the fixes applied.
pub fn apply(text: &str, fixes: &[&Fix]) -> (String, Vec<usize>) {
    let mut order: Vec<(usize, Vec<&Edit>)> = fixes
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((i, f.sorted_edits()?)))
        .filter(|(_, e)| {
            !e.is_empty()
                && e.iter().all(|e| {
                    e.span.end <= text.len()
                        && text.is_char_boundary(e.span.start)
                        && text.is_char_boundary(e.span.end)
                })
        })
        .collect();
    order.sort_by_key(|(i, e)| (e[0].span.start, e[0].span.end, *i));
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = Vec::new();
    for (i, edits) in order {
        let conflicts = edits.iter().any(|e| {
            taken.iter().any(|t| {
                (e.span.start < t.span.end && t.span.start < e.span.end)
                    || e.span.start == t.span.start
                    || (e.span.is_empty() && e.span.start == t.span.end)
                    || (t.span.is_empty() && t.span.start == e.span.end)
            })
        });
        if !conflicts {
            taken.extend(edits);
            applied.push(i);
        }
    }
    taken.sort_by_key(|e| (e.span.start, e.span.end));
    let crlf = uses_crlf(text);
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in taken {
        out.push_str(&text[at..e.span.start]);
        out.push_str(&line_ends(&e.content, crlf));
        at = e.span.end;
    }
    out.push_str(&text[at..]);
    applied.sort_unstable();
    (out, applied)
}

/// A fix that was not applied because the text it produced did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedFix {
    pub rule: &'static str,
    /// 1-based line of the finding in the text the fix was made on.
    pub line: usize,
    pub message: String,
}

/// What fixing one file's text produced.
#[derive(Debug)]
pub struct Fixed {
    pub text: String,
    /// Fixes applied, over all passes.
    pub applied: usize,
    /// Fixes dropped because their result did not parse.
    pub dropped: Vec<DroppedFix>,
    /// Whether the last pass still had fixes that could be applied.
    pub converged: bool,
    /// The findings of the fixed text (linted in memory, without cross-file links).
    pub remaining: Linted,
}

/// The syntax errors of a text, for comparing a fixed text with its original. `None` when the
/// frontend gave up (too deep, too slow): such a text is never accepted as a fix.
fn syntax_errors(lang: Lang, text: &str, settings: &Settings) -> Option<usize> {
    lang::syntax_error_count(
        lang,
        text,
        &lang::FrontendOptions {
            parse_timeout_ms: settings.parse_timeout_ms,
            ..Default::default()
        },
    )
}

fn wanted<'a>(findings: &'a [Finding], unsafe_fixes: bool, skip: &[Fix]) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| f.is_active())
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applies(unsafe_fixes) && !skip.contains(x))
        })
        .collect()
}

/// Fix one text: lint, apply the fixes that apply, lint the result again, until nothing is left
/// to fix. `first` is the lint of `text` the caller already has (with cross-file links).
pub fn fix_text(
    path: &Path,
    lang: Lang,
    text: &str,
    first: &[Finding],
    settings: &Settings,
    unsafe_fixes: bool,
) -> Fixed {
    let Some(baseline_errors) = syntax_errors(lang, text, settings) else {
        return Fixed {
            text: text.to_string(),
            applied: 0,
            dropped: Vec::new(),
            converged: true,
            remaining: engine::lint_text(path, lang, text, settings),
        };
    };
    let mut cur = text.to_string();
    let mut applied = 0;
    let mut dropped = Vec::new();
    // Fixes that broke the syntax: not tried again in later passes.
    let mut broken: Vec<Fix> = Vec::new();
    let mut findings: Vec<Finding> = first.to_vec();
    let mut converged = false;
    for _ in 0..MAX_PASSES {
        let todo = wanted(&findings, unsafe_fixes, &broken);
        if todo.is_empty() {
            converged = true;
            break;
        }
        let fixes: Vec<&Fix> = todo.iter().filter_map(|f| f.fix.as_ref()).collect();
        let (next, taken) = apply(&cur, &fixes);
        let ok = |t: &str| syntax_errors(lang, t, settings).is_some_and(|n| n <= baseline_errors);
        let next = if ok(&next) {
            applied += taken.len();
            next
        } else {
            // One at a time, from the end of the text, so earlier spans stay valid: keep each
            // fix whose result parses, drop the others.
            let index = crate::source::LineIndex::new(&cur);
            let mut one = cur.clone();
            let mut order = taken.clone();
            order.sort_by_key(|&i| {
                std::cmp::Reverse(fixes[i].edits.iter().map(|e| e.span.start).min())
            });
            for i in order {
                let (candidate, t) = apply(&one, &[fixes[i]]);
                if !t.is_empty() && ok(&candidate) {
                    one = candidate;
                    applied += 1;
                } else {
                    dropped.push(DroppedFix {
                        rule: todo[i].rule.code,
                        line: index.line_col(&cur, todo[i].span.start).line,
                        message: fixes[i].message.clone(),
                    });
                    broken.push(fixes[i].clone());
                }
            }
            one
        };
        if next == cur {
            converged = wanted(&findings, unsafe_fixes, &broken).is_empty();
            break;
        }
        cur = next;
        findings = engine::lint_text(path, lang, &cur, settings).findings;
    }
    let remaining = engine::lint_text(path, lang, &cur, settings);
    if !converged {
        converged = wanted(&remaining.findings, unsafe_fixes, &broken).is_empty();
    }
    Fixed {
        text: cur,
        applied,
        dropped,
        converged,
        remaining,
    }
}

/// Why a fixed file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the file changed on disk since it was read; not overwritten (run fdlint again)")]
    Changed,
    #[error("the file is read-only; not fixed")]
    ReadOnly,
    #[error("could not write the fixed file: {0}")]
    Io(#[from] io::Error),
}

/// What a file was when it was read: its bytes and modification time.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub bytes: Vec<u8>,
    pub modified: Option<SystemTime>,
}

impl Snapshot {
    pub fn read(path: &Path) -> io::Result<Snapshot> {
        let bytes = fs::read(path)?;
        let modified = fs::metadata(path)?.modified().ok();
        Ok(Snapshot { bytes, modified })
    }

    fn unchanged(&self, path: &Path) -> io::Result<bool> {
        let modified = fs::metadata(path)?.modified().ok();
        Ok(modified == self.modified && fs::read(path)? == self.bytes)
    }
}

/// Write `text` over `path` atomically: a temporary file in the same directory with the
/// original's permissions, synced, then renamed over it, but only if the file on disk still is
/// `read` (compared just before the rename). A read-only file is not replaced.
pub fn write_fixed(path: &Path, read: &Snapshot, text: &str) -> Result<(), WriteError> {
    let meta = fs::metadata(path)?;
    if meta.permissions().readonly() {
        return Err(WriteError::ReadOnly);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut attempt = 0;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(
            ".{}.fdlint-fix-{}-{attempt}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e.into()),
        }
    };
    let result = (|| {
        file.write_all(text.as_bytes())?;
        file.set_permissions(meta.permissions())?;
        file.sync_all()?;
        drop(file);
        before_rename_hook(path);
        if !read.unchanged(path)? {
            return Err(WriteError::Changed);
        }
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Test hook: with `FDLINT_TEST_TOUCH_BEFORE_RENAME` set (only in debug builds), append a line
/// to the file between writing the temporary file and the rename, as a concurrent editor would.
fn before_rename_hook(path: &Path) {
    if cfg!(debug_assertions)
        && std::env::var_os("FDLINT_TEST_TOUCH_BEFORE_RENAME").is_some()
        && let Ok(mut f) = fs::OpenOptions::new().append(true).open(path)
    {
        let _ = f.write_all(b"\n# edited meanwhile\n");
    }
}

/// What `--fix` or `--diff` should do with a run's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    /// Write the fixed files (`--fix`, `--fix-only`); otherwise only compute diffs (`--diff`).
    pub write: bool,
    /// Apply unsafe fixes too (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
}

/// What fixing a run did.
#[derive(Debug, Default)]
pub struct RunFixes {
    /// Fixes applied (or, with `--diff`, that would be).
    pub fixed: usize,
    /// Files changed (or that would be).
    pub files: usize,
    /// Unified diffs, in file order (`--diff`).
    pub diffs: Vec<String>,
    /// Files that could not be fixed as asked (read-only, changed meanwhile, write failures):
    /// the run's exit status is 2.
    pub errors: Vec<String>,
    /// Fixes dropped, files that did not converge: reported, not errors.
    pub notes: Vec<String>,
}

/// Fix every file of `result` that has fixes to apply, replacing its text and findings with the
/// fixed ones when they are written. Files of dependencies (`fdlint deps`) are never fixed.
pub fn fix_run(result: &mut engine::RunResult, settings: &Settings, mode: Mode) -> RunFixes {
    let mut out = RunFixes::default();
    for file in &mut result.files {
        if file.package.is_some() || wanted(&file.findings, mode.unsafe_fixes, &[]).is_empty() {
            continue;
        }
        let path = file.path.clone();
        let shown = path.display();
        let read = match Snapshot::read(&path) {
            Ok(r) => r,
            Err(e) => {
                out.errors
                    .push(format!("{shown}: cannot read the file to fix it: {e}"));
                continue;
            }
        };
        if read.bytes != file.text.as_bytes() {
            out.errors.push(match std::str::from_utf8(&read.bytes) {
                Ok(_) => format!("{shown}: {}", WriteError::Changed),
                Err(_) => format!("{shown}: not valid UTF-8; not fixed (the encoding is kept)"),
            });
            continue;
        }
        let fixed = fix_text(
            &path,
            file.lang,
            &file.text,
            &file.findings,
            settings,
            mode.unsafe_fixes,
        );
        for d in &fixed.dropped {
            out.notes.push(format!(
                "{shown}:{}: {} fix dropped: `{}` would introduce a syntax error",
                d.line, d.rule, d.message
            ));
        }
        if !fixed.converged {
            out.notes.push(format!(
                "{shown}: fixes did not converge after {MAX_PASSES} passes; run again or report a bug"
            ));
        }
        if fixed.applied == 0 || fixed.text.as_str() == &*file.text {
            continue;
        }
        if !mode.write {
            out.diffs.push(unified_diff(&path, &file.text, &fixed.text));
            out.fixed += fixed.applied;
            out.files += 1;
            continue;
        }
        match write_fixed(&path, &read, &fixed.text) {
            Ok(()) => {
                out.fixed += fixed.applied;
                out.files += 1;
                file.index = crate::source::LineIndex::new(&fixed.text);
                file.text = fixed.text.into();
                file.findings = fixed.remaining.findings;
            }
            Err(e) => out.errors.push(format!("{shown}: {e}")),
        }
    }
    out
}

/// How many active findings have a fix `--fix` applies, and how many only an unsafe one that
/// it does not (for the summary's "hidden fixes" line).
pub fn fixable(result: &engine::RunResult, unsafe_fixes: bool) -> (usize, usize) {
    let mut shown = 0;
    let mut hidden = 0;
    for (file, f) in result.findings() {
        if file.package.is_some() {
            continue;
        }
        match &f.fix {
            Some(x) if x.applies(unsafe_fixes) => shown += 1,
            Some(_) => hidden += 1,
            None => {}
        }
    }
    (shown, hidden)
}

/// A unified diff of one file's fix, with `a/` and `b/` paths as `git diff` writes them.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{}", name.trim_start_matches('/')),
            &format!("b/{}", name.trim_start_matches('/')),
        )
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Span;

    fn fix(edits: Vec<Edit>) -> Fix {
        Fix::safe("test", edits)
    }

    #[test]
    fn applies_sorted_non_overlapping_edits() {
        let a = fix(vec![Edit::replacement(Span::new(4, 5), "X")]);
        let b = fix(vec![Edit::insertion(0, ">")]);
        let (out, taken) = apply("abc def", &[&a, &b]);
        assert_eq!(out, ">abc Xef");
        assert_eq!(taken, vec![0, 1]);
    }

    #[test]
    fn overlapping_fix_waits() {
        let a = fix(vec![Edit::replacement(Span::new(0, 3), "X")]);
        let b = fix(vec![Edit::replacement(Span::new(2, 5), "Y")]);
        let (out, taken) = apply("abcdef", &[&b, &a]);
        assert_eq!(out, "Xdef");
        assert_eq!(taken, vec![1]);
        // Two insertions at one point would have an undefined order: the second waits.
        let c = fix(vec![Edit::insertion(3, "1")]);
        let d = fix(vec![Edit::insertion(3, "2")]);
        assert_eq!(apply("abcdef", &[&c, &d]).1, vec![0]);
    }

    #[test]
    fn a_fix_with_overlapping_edits_is_never_applied() {
        let bad = fix(vec![
            Edit::replacement(Span::new(0, 3), "X"),
            Edit::replacement(Span::new(1, 2), "Y"),
        ]);
        assert_eq!(apply("abcdef", &[&bad]), ("abcdef".to_string(), vec![]));
        let out_of_range = fix(vec![Edit::replacement(Span::new(0, 99), "X")]);
        assert!(apply("abc", &[&out_of_range]).1.is_empty());
    }

    #[test]
    fn crlf_files_keep_crlf_in_inserted_text() {
        let a = fix(vec![Edit::insertion(4, "x\ny\r\n")]);
        assert_eq!(apply("ab\r\ncd\r\n", &[&a]).0, "ab\r\nx\r\ny\r\ncd\r\n");
        let b = fix(vec![Edit::insertion(3, "x\ny\r\n")]);
        assert_eq!(apply("ab\ncd\n", &[&b]).0, "ab\nx\ny\r\ncd\n");
        assert!(uses_crlf("a\r\nb"));
        assert!(!uses_crlf("a\nb\r\n"));
    }

    #[test]
    fn diff_names_both_sides() {
        let d = unified_diff(Path::new("x.rb"), "a\nb\n", "a\nc\n");
        assert!(d.starts_with("--- a/x.rb\n+++ b/x.rb\n"), "{d}");
        assert!(d.contains("-b\n+c\n"), "{d}");
    }
}
