//! `--format json`: one JSON document; `--format json-lines`: one finding per line. Both are
//! documented in docs/output-formats.md.

use std::io::{self, Write};

use serde::Serialize;

use crate::deps::Package;
use crate::engine::{FileProblem, RunResult, Stats};

#[derive(Serialize)]
struct Document<'a> {
    version: &'static str,
    findings: Vec<JsonFinding<'a>>,
    diagnostics: &'a [FileProblem],
    summary: Summary<'a>,
}

#[derive(Serialize)]
pub struct JsonLabel<'a> {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: &'a str,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub code: &'static str,
    pub rule: &'static str,
    pub severity: &'static str,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: &'a str,
    pub help: &'a str,
    pub labels: Vec<JsonLabel<'a>>,
    pub notes: &'a [String],
    pub url: String,
    /// The fix, when the rule has one for this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<JsonFix<'a>>,
    /// The dependency the file belongs to (`fdlint deps`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<JsonPackage<'a>>,
}

#[derive(Serialize)]
pub struct JsonFix<'a> {
    pub message: &'a str,
    /// `safe` (applied by `--fix`) or `unsafe` (only with `--unsafe-fixes`).
    pub applicability: &'static str,
    pub edits: Vec<JsonEdit<'a>>,
}

/// One replacement: the byte range (`start`..`end`, half-open, into the file as read) and the
/// same range as 1-based lines and character columns (the end column is exclusive).
#[derive(Serialize)]
pub struct JsonEdit<'a> {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub content: &'a str,
}

#[derive(Serialize)]
pub struct JsonPackage<'a> {
    #[serde(flatten)]
    pub package: &'a Package,
    /// The file's path inside the package.
    pub path: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary<'a> {
    findings: usize,
    files_with_findings: usize,
    #[serde(flatten)]
    stats: &'a Stats,
}

pub fn findings(result: &RunResult) -> Vec<JsonFinding<'_>> {
    result
        .findings()
        .map(|(file, f)| {
            let (start, end) = super::range(file, f);
            JsonFinding {
                code: f.rule.code,
                rule: f.rule.name,
                severity: f.severity.as_str(),
                path: file.path.display().to_string(),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                message: &f.message,
                help: &f.help,
                labels: f
                    .labels
                    .iter()
                    .map(|l| {
                        let (s, e) = file.index.range(&file.text, l.span);
                        JsonLabel {
                            line: s.line,
                            column: s.column,
                            end_line: e.line,
                            end_column: e.column,
                            message: &l.message,
                        }
                    })
                    .collect(),
                notes: &f.notes,
                url: f.rule.url(),
                fix: f.fix.as_ref().map(|x| JsonFix {
                    message: &x.message,
                    applicability: x.applicability.as_str(),
                    edits: x
                        .edits
                        .iter()
                        .map(|e| {
                            let (s, end) = file.index.range(&file.text, e.span);
                            JsonEdit {
                                start: e.span.start,
                                end: e.span.end,
                                line: s.line,
                                column: s.column,
                                end_line: end.line,
                                end_column: end.column,
                                content: &e.content,
                            }
                        })
                        .collect(),
                }),
                package: file.package.as_deref().map(|package| JsonPackage {
                    package,
                    path: file.package_path.as_deref(),
                }),
            }
        })
        .collect()
}

pub fn write(result: &RunResult, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        version: env!("CARGO_PKG_VERSION"),
        findings: findings(result),
        diagnostics: &result.problems,
        summary: Summary {
            findings: result.findings().count(),
            files_with_findings: result.files_with_findings(),
            stats: &result.stats,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// One compact JSON object per finding per line, the same objects as `json`'s `findings`: a
/// consumer can act on each line as it arrives and never holds the whole report.
pub fn write_lines(result: &RunResult, out: &mut dyn Write) -> io::Result<()> {
    for f in findings(result) {
        serde_json::to_writer(&mut *out, &f)?;
        writeln!(out)?;
    }
    Ok(())
}
