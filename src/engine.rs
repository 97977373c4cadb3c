//! The pipeline of one run: discovery, then on worker threads per file: read, prefilter,
//! frontend, rules; then one sort. Reporting is the caller's job.
//!
//! Architecture invariants: a file that cannot be read or parsed becomes a [`FileProblem`] and
//! the run goes on; the result is sorted, so output does not depend on thread timing.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::deps::Package;
use crate::discover;
use crate::facts::Lang;
use crate::finding::Finding;
use crate::lang::{self, FrontendError, FrontendOptions};
use crate::prefilter;
use crate::rules::{self, Context, PythonTarget};
use crate::settings::Settings;
use crate::source::LineIndex;

/// Why a file was not (fully) analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The file or directory could not be read.
    IoError,
    /// Not a regular file, or not lintable.
    NotAFile,
    /// Larger than the size limit.
    TooLarge,
    /// Contains NUL bytes.
    Binary,
    /// Not valid UTF-8: linted with replacement characters.
    NotUtf8,
    /// The parser recovered from syntax errors: findings may be incomplete.
    ParseError,
    /// Parsing took too long.
    Timeout,
    /// Nested too deeply to analyse safely.
    TooDeep,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FileProblem {
    pub path: PathBuf,
    pub kind: ProblemKind,
    /// 1-based line, where the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

/// The findings of one file, with the text they point into.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    pub lang: Lang,
    pub text: Arc<str>,
    pub index: LineIndex,
    pub findings: Vec<Finding>,
    /// The dependency the file belongs to (`fdlint deps`); `None` for the project's own files.
    pub package: Option<Arc<Package>>,
    /// The file's path inside its package (`fdlint deps`): what baselines identify it by.
    pub package_path: Option<String>,
}

/// A file to lint, and the dependency it belongs to when it is one.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    pub lang: Lang,
    pub package: Option<Arc<Package>>,
    pub package_path: Option<String>,
}

/// Counters for `--statistics`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub files_discovered: usize,
    pub files_prefiltered_out: usize,
    pub files_parsed: usize,
    pub bytes_read: u64,
    pub bytes_parsed: u64,
    #[serde(serialize_with = "ms")]
    pub discover_time: Duration,
    #[serde(serialize_with = "ms")]
    pub lint_time: Duration,
    /// Findings dropped because the `--baseline` file already records them.
    #[serde(skip_serializing_if = "is_zero")]
    pub known_in_baseline: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

#[derive(Debug, Default)]
pub struct RunResult {
    /// Files with at least one finding, sorted by path.
    pub files: Vec<FileReport>,
    pub problems: Vec<FileProblem>,
    pub stats: Stats,
}

impl RunResult {
    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files
            .iter()
            .flat_map(|f| f.findings.iter().map(move |x| (f, x)))
    }
}

/// The run cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{}: no such file or directory", .0.display())]
    MissingPath(PathBuf),
    #[error("could not start worker threads: {0}")]
    Threads(String),
}

/// What linting one file's text produced.
#[derive(Debug, Default)]
pub struct Linted {
    pub findings: Vec<Finding>,
    pub problems: Vec<FileProblem>,
    pub parsed: bool,
}

/// Lint text that is already in memory (a file's content, or standard input).
pub fn lint_text(path: &Path, lang: Lang, text: &str, settings: &Settings) -> Linted {
    let mut out = Linted::default();
    if settings.prefilter && !prefilter::may_match(lang, text.as_bytes()) {
        return out;
    }
    out.parsed = true;
    let opts = FrontendOptions {
        parse_timeout_ms: settings.parse_timeout_ms,
    };
    let facts = match lang::extract(lang, text, &opts) {
        Ok(f) => f,
        Err(e) => {
            out.problems.push(FileProblem {
                path: path.to_path_buf(),
                kind: match e {
                    FrontendError::Timeout(_) => ProblemKind::Timeout,
                    FrontendError::TooDeep(_) => ProblemKind::TooDeep,
                },
                line: None,
                message: e.to_string(),
            });
            return out;
        }
    };
    let index = LineIndex::new(text);
    if let Some(first) = facts.syntax_errors.first() {
        let line = index.line_col(text, first.start).line;
        out.problems.push(FileProblem {
            path: path.to_path_buf(),
            kind: ProblemKind::ParseError,
            line: Some(line),
            message: format!(
                "syntax error on line {line}{}; findings in this file may be incomplete",
                match facts.syntax_errors.len() {
                    1 => String::new(),
                    n => format!(" and {} more", n - 1),
                }
            ),
        });
    }
    let ctx = Context {
        lang,
        settings,
        text,
        index: &index,
        python: PythonTarget::resolve(settings, &facts, text, &index),
    };
    out.findings = rules::check(&ctx, &facts);
    out.findings
        .sort_by_key(|f| (f.span.start, f.rule.code, f.span.end));
    out
}

/// Read a file for linting, or say why it cannot be linted.
fn read(path: &Path, settings: &Settings) -> Result<(String, Option<FileProblem>), FileProblem> {
    let problem = |kind, message: String| FileProblem {
        path: path.to_path_buf(),
        kind,
        line: None,
        message,
    };
    let mut f = fs::File::open(path).map_err(|e| problem(ProblemKind::IoError, e.to_string()))?;
    let meta = f
        .metadata()
        .map_err(|e| problem(ProblemKind::IoError, e.to_string()))?;
    if !meta.is_file() {
        return Err(problem(
            ProblemKind::NotAFile,
            "not a regular file; not read".to_string(),
        ));
    }
    if meta.len() > settings.max_file_size {
        return Err(problem(
            ProblemKind::TooLarge,
            format!(
                "{} bytes, larger than the {} byte limit; skipped",
                meta.len(),
                settings.max_file_size
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    // Read at most one byte past the limit: the file may have grown since the stat.
    (&mut f)
        .take(settings.max_file_size + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| problem(ProblemKind::IoError, e.to_string()))?;
    if bytes.len() as u64 > settings.max_file_size {
        return Err(problem(
            ProblemKind::TooLarge,
            format!(
                "larger than the {} byte limit; skipped",
                settings.max_file_size
            ),
        ));
    }
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        return Err(problem(
            ProblemKind::Binary,
            "binary file (contains NUL bytes); skipped".to_string(),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok((s, None)),
        Err(e) => {
            let bytes = e.into_bytes();
            let valid = std::str::from_utf8(&bytes).map_or_else(|e| e.valid_up_to(), |_| 0);
            let line = bytes[..valid].iter().filter(|b| **b == b'\n').count() + 1;
            Ok((
                String::from_utf8_lossy(&bytes).into_owned(),
                Some(FileProblem {
                    path: path.to_path_buf(),
                    kind: ProblemKind::NotUtf8,
                    line: Some(line),
                    message: format!(
                        "not valid UTF-8 (first bad byte on line {line}); linted with \
                         replacement characters"
                    ),
                }),
            ))
        }
    }
}

fn lint_candidate(
    c: &Target,
    settings: &Settings,
) -> (Option<FileReport>, Vec<FileProblem>, u64, bool) {
    let (text, note) = match read(&c.path, settings) {
        Ok(x) => x,
        Err(p) => return (None, vec![p], 0, false),
    };
    let len = text.len() as u64;
    let mut linted = lint_text(&c.path, c.lang, &text, settings);
    linted.problems.extend(note);
    let report = (!linted.findings.is_empty()).then(|| FileReport {
        path: c.path.clone(),
        lang: c.lang,
        index: LineIndex::new(&text),
        text: Arc::from(text),
        findings: linted.findings,
        package: c.package.clone(),
        package_path: c.package_path.clone(),
    });
    (report, linted.problems, len, linted.parsed)
}

/// Lint every file under `paths`.
pub fn run(paths: &[PathBuf], settings: &Settings) -> Result<RunResult, RunError> {
    let t0 = Instant::now();
    let found = discover::discover(paths, settings.no_ignore);
    if let Some(p) = found.missing_roots.first() {
        return Err(RunError::MissingPath(p.clone()));
    }
    let targets: Vec<Target> = found
        .files
        .into_iter()
        .map(|c| Target {
            path: c.path,
            lang: c.lang,
            package: None,
            package_path: None,
        })
        .collect();
    let discover_time = t0.elapsed();
    let mut result = run_files(&targets, settings)?;
    result.stats.discover_time = discover_time;
    result
        .problems
        .extend(found.issues.into_iter().map(|i| FileProblem {
            path: i.path,
            kind: ProblemKind::IoError,
            line: None,
            message: i.message,
        }));
    result.problems.sort();
    Ok(result)
}

/// Lint these files (already discovered, e.g. a dependency's files) on the worker pool.
/// `stats.discover_time` is left at zero for the caller to fill in.
pub fn run_files(targets: &[Target], settings: &Settings) -> Result<RunResult, RunError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        // syn parses recursively; deep (but accepted) nesting needs room.
        .stack_size(32 * 1024 * 1024)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let t1 = Instant::now();
    let per_file: Vec<_> = pool.install(|| {
        targets
            .par_iter()
            .map(|c| lint_candidate(c, settings))
            .collect()
    });
    let mut result = RunResult {
        stats: Stats {
            files_discovered: targets.len(),
            ..Stats::default()
        },
        ..RunResult::default()
    };
    for (report, problems, len, parsed) in per_file {
        result.stats.bytes_read += len;
        if parsed {
            result.stats.files_parsed += 1;
            result.stats.bytes_parsed += len;
        } else if problems.is_empty() {
            result.stats.files_prefiltered_out += 1;
        }
        result.files.extend(report);
        result.problems.extend(problems);
    }
    result.stats.lint_time = t1.elapsed();
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    result.problems.sort();
    Ok(result)
}
