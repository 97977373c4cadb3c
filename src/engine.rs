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
use crate::facts::Facts;
use crate::facts::Lang;
use crate::finding::Finding;
use crate::lang::{self, FrontendError, FrontendOptions};
use crate::link;
use crate::prefilter;
use crate::rules::{self, Context};
use crate::runtime::{Links, ProjectCache, PythonTarget, RubyTarget};
use crate::settings::Settings;
use crate::source::LineIndex;
use crate::suppress;

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
    /// An `fdlint: ignore` comment that names no rules, or cannot be read.
    InvalidSuppression,
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
    /// The findings that count: every finding but the suppressed ones. Reporters, counts and
    /// the exit status use these.
    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.all_findings().filter(|(_, f)| !f.suppressed)
    }

    /// Every finding, suppressed ones included (for SARIF, which records suppressions).
    pub fn all_findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files
            .iter()
            .flat_map(|f| f.findings.iter().map(move |x| (f, x)))
    }

    /// Files with at least one finding that is not suppressed.
    pub fn files_with_findings(&self) -> usize {
        self.files
            .iter()
            .filter(|f| f.findings.iter().any(|x| !x.suppressed))
            .count()
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
    /// The facts, when the file has any that the cross-file link pass needs (spawn calls,
    /// close loops).
    pub facts: Option<Arc<Facts>>,
}

/// Lint text that is already in memory (a file's content, or standard input), with the
/// project's version files for context but no cross-file links.
pub fn lint_text(path: &Path, lang: Lang, text: &str, settings: &Settings) -> Linted {
    lint_text_with(path, lang, text, settings, &ProjectCache::default())
}

fn lint_text_with(
    path: &Path,
    lang: Lang,
    text: &str,
    settings: &Settings,
    projects: &ProjectCache,
) -> Linted {
    let mut out = Linted::default();
    if settings.prefilter && !prefilter::may_match(lang, text.as_bytes()) {
        // No finding is possible, but suppression comments can still be unused or malformed.
        suppress::apply(path, lang, text, settings, true, &mut out);
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
    out.findings = judge(
        path,
        lang,
        text,
        &index,
        &facts,
        settings,
        projects,
        &Links::default(),
    );
    // With syntax errors, findings may be missing, so "unused" suppressions are not reported.
    suppress::apply(
        path,
        lang,
        text,
        settings,
        facts.syntax_errors.is_empty(),
        &mut out,
    );
    out.findings
        .sort_by_key(|f| (f.span.start, f.rule.code, f.span.end));
    if link::is_linkable(&facts) {
        out.facts = Some(Arc::new(facts));
    }
    out
}

/// Run the rules over a file's facts.
#[allow(clippy::too_many_arguments)] // Each argument is a distinct input of judging.
pub(crate) fn judge(
    path: &Path,
    lang: Lang,
    text: &str,
    index: &LineIndex,
    facts: &Facts,
    settings: &Settings,
    projects: &ProjectCache,
    links: &Links,
) -> Vec<Finding> {
    let needs_project = !facts.close_loops.is_empty()
        || !facts.fd_ranges.is_empty()
        || !facts.spawns.is_empty()
        || !facts.closeranges.is_empty();
    let project = if needs_project {
        projects.for_file(path)
    } else {
        Default::default()
    };
    let ctx = Context {
        lang,
        settings,
        text,
        index,
        python: PythonTarget::resolve(settings, facts, text, index, &project, links),
        ruby: RubyTarget::resolve(settings, &project),
        links,
    };
    let mut findings = rules::check(&ctx, facts);
    findings.sort_by_key(|f| (f.span.start, f.rule.code, f.span.end));
    findings
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
    decode(path, bytes)
}

/// Bytes as text to lint: binary files are refused; invalid UTF-8 is replaced and noted.
fn decode(path: &Path, bytes: Vec<u8>) -> Result<(String, Option<FileProblem>), FileProblem> {
    let problem = |kind, message: String| FileProblem {
        path: path.to_path_buf(),
        kind,
        line: None,
        message,
    };
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

/// What one worker produced for one file.
struct PerFile {
    report: Option<FileReport>,
    problems: Vec<FileProblem>,
    len: u64,
    parsed: bool,
    linkable: Option<link::Linkable>,
}

fn lint_candidate(c: &Target, settings: &Settings, projects: &ProjectCache) -> PerFile {
    let (text, note) = match read(&c.path, settings) {
        Ok(x) => x,
        Err(p) => {
            return PerFile {
                report: None,
                problems: vec![p],
                len: 0,
                parsed: false,
                linkable: None,
            };
        }
    };
    let len = text.len() as u64;
    let mut linted = lint_text_with(&c.path, c.lang, &text, settings, projects);
    linted.problems.extend(note);
    let keep_text = !linted.findings.is_empty() || linted.facts.is_some();
    let text: Option<Arc<str>> = keep_text.then(|| Arc::from(text));
    let linkable = match (&linted.facts, &text) {
        (Some(facts), Some(text)) => Some(link::Linkable {
            path: c.path.clone(),
            lang: c.lang,
            text: text.clone(),
            facts: facts.clone(),
        }),
        _ => None,
    };
    let report = match text {
        Some(text) if !linted.findings.is_empty() => Some(FileReport {
            path: c.path.clone(),
            lang: c.lang,
            index: LineIndex::new(&text),
            text,
            findings: linted.findings,
            package: c.package.clone(),
            package_path: c.package_path.clone(),
        }),
        _ => None,
    };
    PerFile {
        report,
        problems: linted.problems,
        len,
        parsed: linted.parsed,
        linkable,
    }
}

/// Lint bytes that come from no file (standard input) as if they were the file `path`, and add
/// them to `result`, which stays sorted.
pub fn add_text(
    result: &mut RunResult,
    path: &Path,
    lang: Lang,
    bytes: Vec<u8>,
    settings: &Settings,
) {
    let t = Instant::now();
    result.stats.files_discovered += 1;
    result.stats.bytes_read += bytes.len() as u64;
    let len = bytes.len() as u64;
    match decode(path, bytes) {
        Err(p) => result.problems.push(p),
        Ok((text, note)) => {
            let linted = lint_text(path, lang, &text, settings);
            if linted.parsed {
                result.stats.files_parsed += 1;
                result.stats.bytes_parsed += len;
            } else if linted.problems.is_empty() {
                result.stats.files_prefiltered_out += 1;
            }
            result.problems.extend(note);
            result.problems.extend(linted.problems);
            if !linted.findings.is_empty() {
                result.files.push(FileReport {
                    path: path.to_path_buf(),
                    lang,
                    index: LineIndex::new(&text),
                    text: Arc::from(text),
                    findings: linted.findings,
                    package: None,
                    package_path: None,
                });
            }
        }
    }
    result.stats.lint_time += t.elapsed();
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    result.problems.sort();
}

/// Lint every file under `paths`.
pub fn run(paths: &[PathBuf], settings: &Settings) -> Result<RunResult, RunError> {
    let t0 = Instant::now();
    let found = discover::discover(paths, settings.no_ignore, settings.exclude.as_ref());
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
    let projects = ProjectCache::default();
    let per_file: Vec<PerFile> = pool.install(|| {
        targets
            .par_iter()
            .map(|c| lint_candidate(c, settings, &projects))
            .collect()
    });
    let mut result = RunResult {
        stats: Stats {
            files_discovered: targets.len(),
            ..Stats::default()
        },
        ..RunResult::default()
    };
    let mut linkables = Vec::new();
    for f in per_file {
        result.stats.bytes_read += f.len;
        if f.parsed {
            result.stats.files_parsed += 1;
            result.stats.bytes_parsed += f.len;
        } else if f.problems.is_empty() {
            result.stats.files_prefiltered_out += 1;
        }
        result.files.extend(f.report);
        result.problems.extend(f.problems);
        linkables.extend(f.linkable);
    }
    // Cross-file pass: spawn calls that run a scanned script, and the scripts they run, are
    // judged again knowing about each other.
    for (linkable, links) in link::resolve(&linkables) {
        let index = LineIndex::new(&linkable.text);
        let findings = judge(
            &linkable.path,
            linkable.lang,
            &linkable.text,
            &index,
            &linkable.facts,
            settings,
            &projects,
            &links,
        );
        // Suppressions apply as in the first pass (their problems were reported then).
        let mut relinted = Linted {
            findings,
            ..Linted::default()
        };
        suppress::apply(
            &linkable.path,
            linkable.lang,
            &linkable.text,
            settings,
            linkable.facts.syntax_errors.is_empty(),
            &mut relinted,
        );
        let mut findings = relinted.findings;
        findings.sort_by_key(|f| (f.span.start, f.rule.code, f.span.end));
        result.files.retain(|f| f.path != linkable.path);
        if !findings.is_empty() {
            let target = targets.iter().find(|t| t.path == linkable.path);
            result.files.push(FileReport {
                path: linkable.path.clone(),
                lang: linkable.lang,
                text: linkable.text.clone(),
                index,
                findings,
                package: target.and_then(|t| t.package.clone()),
                package_path: target.and_then(|t| t.package_path.clone()),
            });
        }
    }
    result.stats.lint_time = t1.elapsed();
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    result.problems.sort();
    Ok(result)
}
