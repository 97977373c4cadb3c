//! Reporters: the only code that writes findings out. Each turns a sorted [`RunResult`] into
//! one output format.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::engine::{FileReport, RunResult};
use crate::finding::Finding;
use crate::source::LineCol;

pub mod concise;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

/// The output formats `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphical report with source excerpts (miette).
    Human,
    /// One JSON document with a `findings` array.
    Json,
    /// One JSON object per finding per line (the items of `json`'s `findings`).
    JsonLines,
    /// `path:line:col: severity[CODE] message`, one line per finding (gcc style, for editors).
    Concise,
    /// GitHub Actions workflow commands (`::error file=...::message`): annotations on the PR.
    Github,
    /// SARIF 2.1.0, for code scanning (GitHub, GitLab, Azure DevOps) and SARIF viewers.
    Sarif,
}

/// Rendering choices for the human report.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
    /// `--unsafe-fixes`: unsafe fixes count as available (`[*]`) too.
    pub unsafe_fixes: bool,
}

/// Whether a finding has a fix that `--fix` would apply with these options: the `[*]` marker.
pub fn fix_marker(f: &Finding, unsafe_fixes: bool) -> &'static str {
    match &f.fix {
        Some(x) if x.applies(unsafe_fixes) => " [*]",
        _ => "",
    }
}

pub fn write(
    format: Format,
    result: &RunResult,
    human: HumanOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(result, human, out),
        Format::Json => json::write(result, out),
        Format::JsonLines => json::write_lines(result, out),
        Format::Concise => concise::write(result, human.unsafe_fixes, out),
        Format::Github => github::write(result, human.unsafe_fixes, out),
        // SARIF paths are relative to the working directory, which `%SRCROOT%` names.
        Format::Sarif => sarif::write(result, &std::env::current_dir()?, out),
    }
}

/// Start and end (1-based) of a finding's primary span.
pub fn range(file: &FileReport, f: &Finding) -> (LineCol, LineCol) {
    file.index.range(&file.text, f.span)
}

/// Write `bytes` to `path` so that readers see the old file or the whole new one, never a part:
/// a temporary file in the same directory (so the rename stays on one file system), synced,
/// then renamed over `path`.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (tmp, mut file) = crate::atomic::temp_beside(path, "out")?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            fs::rename(&tmp, path)
        });
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}
