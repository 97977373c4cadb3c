//! The pipeline of one run: discovery, then on worker threads per file: read, prefilter,
//! frontend, rules; then one sort. Reporting is the caller's job.
//!
//! Architecture invariants: a file that cannot be read or parsed becomes a [`FileProblem`] and
//! the run goes on; the result is sorted, so output does not depend on thread timing.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::discover::{self, Candidate};
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
    /// Where the worker threads' time went (measured only when `Settings::timings` is set).
    pub phases: Phases,
    /// Files and bytes per language, read and parsed.
    pub languages: BTreeMap<Lang, LangStats>,
}

/// Time spent in each step of linting a file, summed over all files and worker threads (so it
/// can exceed the wall time). Zero unless `Settings::timings` is set.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Phases {
    /// Opening, stat-ing and reading files, and checking they are text.
    #[serde(serialize_with = "ms")]
    pub read: Duration,
    /// The byte-level prefilter.
    #[serde(serialize_with = "ms")]
    pub prefilter: Duration,
    /// Parsing and extracting facts (the frontends).
    #[serde(serialize_with = "ms")]
    pub parse: Duration,
    /// Rules, and building the line index for findings and problems.
    #[serde(serialize_with = "ms")]
    pub rules: Duration,
}

impl std::ops::AddAssign for Phases {
    fn add_assign(&mut self, o: Phases) {
        self.read += o.read;
        self.prefilter += o.prefilter;
        self.parse += o.parse;
        self.rules += o.rules;
    }
}

/// Files and bytes of one language.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LangStats {
    pub files_read: usize,
    pub bytes_read: u64,
    pub files_parsed: usize,
    pub bytes_parsed: u64,
}

/// Adds the time since the last lap to `into`; does nothing (and reads no clock) when timing
/// is off, so a run without `--statistics` pays nothing for it.
fn lap(clock: &mut Option<Instant>, into: &mut Duration) {
    if let Some(last) = clock {
        let now = Instant::now();
        *into += now - *last;
        *last = now;
    }
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
    if settings.prefilter && !prefilter::may_match(lang, text.as_bytes()) {
        return Linted::default();
    }
    let mut clock = None;
    analyse(
        path,
        lang,
        text,
        settings,
        &mut clock,
        &mut Phases::default(),
    )
    .0
}

/// Parse and check text the prefilter let through. Also returns the line index, when one was
/// built, so that a file with findings does not build it twice.
fn analyse(
    path: &Path,
    lang: Lang,
    text: &str,
    settings: &Settings,
    clock: &mut Option<Instant>,
    phases: &mut Phases,
) -> (Linted, Option<LineIndex>) {
    let mut out = Linted {
        parsed: true,
        ..Linted::default()
    };
    let opts = FrontendOptions {
        parse_timeout_ms: settings.parse_timeout_ms,
    };
    let facts = lang::extract(lang, text, &opts);
    lap(clock, &mut phases.parse);
    let facts = match facts {
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
            return (out, None);
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
    lap(clock, &mut phases.rules);
    (out, Some(index))
}

thread_local! {
    /// Each worker's read buffer, reused from file to file: most files are read, prefiltered
    /// out and dropped, so they need no allocation of their own.
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Read a file into `bytes` for linting, or say why it cannot be linted.
fn read(path: &Path, settings: &Settings, bytes: &mut Vec<u8>) -> Result<(), FileProblem> {
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
    bytes.clear();
    bytes.reserve(meta.len() as usize + 1);
    // Read at most one byte past the limit: the file may have grown since the stat.
    (&mut f)
        .take(settings.max_file_size + 1)
        .read_to_end(bytes)
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
    Ok(())
}

/// The note for a file that is not valid UTF-8 (it is linted with replacement characters).
fn not_utf8(path: &Path, bytes: &[u8], valid_up_to: usize) -> FileProblem {
    let line = bytes[..valid_up_to].iter().filter(|b| **b == b'\n').count() + 1;
    FileProblem {
        path: path.to_path_buf(),
        kind: ProblemKind::NotUtf8,
        line: Some(line),
        message: format!(
            "not valid UTF-8 (first bad byte on line {line}); linted with replacement characters"
        ),
    }
}

/// What linting one discovered file produced.
struct Outcome {
    report: Option<FileReport>,
    problems: Vec<FileProblem>,
    lang: Lang,
    len: u64,
    parsed: bool,
    phases: Phases,
}

fn lint_candidate(c: &Candidate, settings: &Settings) -> Outcome {
    let mut out = Outcome {
        report: None,
        problems: Vec::new(),
        lang: c.lang,
        len: 0,
        parsed: false,
        phases: Phases::default(),
    };
    let mut clock = settings.timings.then(Instant::now);
    let text = READ_BUF.with_borrow_mut(|bytes| {
        let read = read(&c.path, settings, bytes);
        lap(&mut clock, &mut out.phases.read);
        if let Err(p) = read {
            out.problems.push(p);
            return None;
        }
        out.len = bytes.len() as u64;
        // The prefilter looks at bytes, so text that is thrown away is never copied.
        let utf8 = std::str::from_utf8(bytes).map_err(|e| e.valid_up_to());
        if let Err(valid) = utf8 {
            out.problems.push(not_utf8(&c.path, bytes, valid));
        }
        lap(&mut clock, &mut out.phases.read);
        let keep = !settings.prefilter || prefilter::may_match(c.lang, bytes);
        lap(&mut clock, &mut out.phases.prefilter);
        let text = keep.then(|| match utf8 {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        });
        // One huge file must not pin its buffer for the rest of the run.
        if bytes.capacity() > 4 << 20 {
            *bytes = Vec::new();
        }
        text
    });
    let Some(text) = text else {
        return out;
    };
    lap(&mut clock, &mut out.phases.read);
    let (linted, index) = analyse(
        &c.path,
        c.lang,
        &text,
        settings,
        &mut clock,
        &mut out.phases,
    );
    out.parsed = linted.parsed;
    out.problems.extend(linted.problems);
    if !linted.findings.is_empty() {
        out.report = Some(FileReport {
            path: c.path.clone(),
            lang: c.lang,
            index: index.unwrap_or_else(|| LineIndex::new(&text)),
            text: Arc::from(text),
            findings: linted.findings,
        });
    }
    out
}

/// Lint every file under `paths`.
pub fn run(paths: &[PathBuf], settings: &Settings) -> Result<RunResult, RunError> {
    let t0 = Instant::now();
    let found = discover::discover(paths, settings.no_ignore);
    if let Some(p) = found.missing_roots.first() {
        return Err(RunError::MissingPath(p.clone()));
    }
    let discover_time = t0.elapsed();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        // syn parses recursively; deep (but accepted) nesting needs room.
        .stack_size(32 * 1024 * 1024)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let t1 = Instant::now();
    let per_file: Vec<_> = pool.install(|| {
        found
            .files
            .par_iter()
            .map(|c| lint_candidate(c, settings))
            .collect()
    });
    let mut result = RunResult {
        stats: Stats {
            files_discovered: found.files.len(),
            discover_time,
            ..Stats::default()
        },
        ..RunResult::default()
    };
    result
        .problems
        .extend(found.issues.into_iter().map(|i| FileProblem {
            path: i.path,
            kind: ProblemKind::IoError,
            line: None,
            message: i.message,
        }));
    for o in per_file {
        let s = &mut result.stats;
        let l = s.languages.entry(o.lang).or_default();
        s.bytes_read += o.len;
        l.bytes_read += o.len;
        l.files_read += usize::from(o.len > 0 || o.problems.is_empty());
        if o.parsed {
            s.files_parsed += 1;
            s.bytes_parsed += o.len;
            l.files_parsed += 1;
            l.bytes_parsed += o.len;
        } else if o.problems.iter().all(|p| p.kind == ProblemKind::NotUtf8) {
            s.files_prefiltered_out += 1;
        }
        s.phases += o.phases;
        result.files.extend(o.report);
        result.problems.extend(o.problems);
    }
    result.stats.lint_time = t1.elapsed();
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    result.problems.sort();
    Ok(result)
}
