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

use crate::discover;
use crate::facts::{Facts, Lang};
use crate::finding::Finding;
use crate::lang::{self, FrontendError, FrontendOptions};
use crate::link;
pub use crate::pipeline::{FileProblem, Linted, Package, ProblemKind, Target};
use crate::prefilter;
use crate::rules::{self, Context};
use crate::runtime::{Links, ProjectCache, PythonTarget, RubyTarget};
use crate::settings::Settings;
use crate::source::LineIndex;
use crate::suppress;

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
    /// Where the worker threads' time went (measured only when `Settings::timings` is set).
    pub phases: Phases,
    /// Files and bytes per language, read and parsed.
    pub languages: BTreeMap<Lang, LangStats>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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
    /// The findings that count: every finding but the suppressed ones. Reporters, counts and
    /// the exit status use these.
    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.all_findings().filter(|(_, f)| f.is_active())
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
            .filter(|f| f.findings.iter().any(Finding::is_active))
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
    /// A configuration file below the first path cannot be used.
    #[error("{0}")]
    Config(String),
}

/// Lint text that is already in memory (a file's content, or standard input), with the
/// project's version files for context but no cross-file links.
pub fn lint_text(path: &Path, lang: Lang, text: &str, settings: &Settings) -> Linted {
    if settings.prefilter && !prefilter::may_match(lang, text.as_bytes()) {
        return unparsed(path, lang, text, settings);
    }
    analyse(
        path,
        lang,
        text,
        settings,
        &ProjectCache::default(),
        &mut None,
        &mut Phases::default(),
    )
    .0
}

/// A file the prefilter ruled out: no finding is possible, but suppression comments can still
/// be unused or malformed.
fn unparsed(path: &Path, lang: Lang, text: &str, settings: &Settings) -> Linted {
    let mut out = Linted::default();
    suppress::apply(path, lang, text, settings, true, &mut out);
    out
}

/// Parse and check text the prefilter let through. Also returns the line index, when one was
/// built, so that a file with findings does not build it twice.
fn analyse(
    path: &Path,
    lang: Lang,
    text: &str,
    settings: &Settings,
    projects: &ProjectCache,
    clock: &mut Option<Instant>,
    phases: &mut Phases,
) -> (Linted, Option<LineIndex>) {
    let mut out = Linted {
        parsed: true,
        ..Linted::default()
    };
    let opts = FrontendOptions {
        parse_timeout_ms: settings.parse_timeout_ms,
        // The crate around a Rust file, or the modules a Python file imports: read only if
        // the frontend meets a bound, close call or fd list it cannot resolve in the file.
        index: match lang {
            Lang::Rust => Some(Arc::new(crate::index::rust::CrateRef::new(
                path,
                lang::rust::index_file,
            )) as Arc<dyn crate::index::LimitIndex>),
            Lang::Python => Some(lang::python::module_index(path)),
            Lang::Ruby => None,
        },
        ..FrontendOptions::default()
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
                    FrontendError::Refused(_) => ProblemKind::ParseError,
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
    if let Some((deep, limit)) = facts.too_deep {
        let line = index.line_col(text, deep.start).line;
        out.problems.push(FileProblem {
            path: path.to_path_buf(),
            kind: ProblemKind::TooDeep,
            line: Some(line),
            message: format!(
                "the item on line {line} is nested deeper than {limit} levels and was not \
                 analysed; the rest of the file was"
            ),
        });
    }
    if let Some(stage) = facts.exhausted {
        out.problems.push(FileProblem {
            path: path.to_path_buf(),
            kind: ProblemKind::Timeout,
            line: None,
            message: format!(
                "the {stage} stage ran out of its work budget and was cut short; the \
                 findings made are reported, others may be missing"
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
        facts.syntax_errors.is_empty() && facts.exhausted.is_none() && facts.too_deep.is_none(),
        &mut out,
    );
    out.findings
        .sort_by_key(|f| (f.span.start, f.rule.code, f.span.end));
    if link::is_linkable(&facts) {
        out.facts = Some(Arc::new(facts));
    }
    lap(clock, &mut phases.rules);
    (out, Some(index))
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

thread_local! {
    /// Each worker's read buffer, reused from file to file: most files are read, prefiltered
    /// out and dropped, so they need no allocation of their own.
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Read a file into `bytes` for linting, or say why it cannot be linted.
///
/// Discovery only hands over regular files (the walk's entry types, `explicit_file`'s stat),
/// so a file is opened and read without a `stat` of its own (one system call per file fewer:
/// 47,000 on the benchmark corpus). It is opened non-blocking: should a FIFO or a device have
/// taken its place since, the open does not wait for a writer and a read does not wait for
/// input (regular files ignore the flag); whatever it yields is bounded by the size limit.
/// Only a file over the limit is `stat`ed, for the size the report gives.
fn read(path: &Path, settings: &Settings, bytes: &mut Vec<u8>) -> Result<(), FileProblem> {
    let problem = |kind, message: String| FileProblem {
        path: path.to_path_buf(),
        kind,
        line: None,
        message,
    };
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| problem(ProblemKind::IoError, e.to_string()))?;
    bytes.clear();
    // Read at most one byte past the limit.
    (&mut f)
        .take(settings.max_file_size + 1)
        .read_to_end(bytes)
        .map_err(|e| problem(ProblemKind::IoError, e.to_string()))?;
    if bytes.len() as u64 > settings.max_file_size {
        bytes.clear();
        return Err(problem(
            ProblemKind::TooLarge,
            match f.metadata() {
                Ok(meta) if meta.is_file() => format!(
                    "{} bytes, larger than the {} byte limit; skipped",
                    meta.len(),
                    settings.max_file_size
                ),
                _ => format!(
                    "larger than the {} byte limit; skipped",
                    settings.max_file_size
                ),
            },
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
    let line = crate::source::breaks_in(bytes, 0, valid_up_to) + 1;
    FileProblem {
        path: path.to_path_buf(),
        kind: ProblemKind::NotUtf8,
        line: Some(line),
        message: format!(
            "not valid UTF-8 (first bad byte on line {line}); linted with replacement characters"
        ),
    }
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
            let line = crate::source::breaks_in(&bytes, 0, valid) + 1;
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
    lang: Lang,
    len: u64,
    parsed: bool,
    phases: Phases,
    linkable: Option<link::Linkable>,
    /// Weakly admitted and not parsed: the link pass may still need it (see `weak_needs_parse`).
    deferred: Option<Target>,
    /// Not a file to lint after all (its shebang names another interpreter): not counted.
    skipped: bool,
}

/// How a worker treats a file the prefilter admits only weakly (a Python file whose only
/// possible findings need Python 2, such as an FD004 `subprocess` call without `close_fds`; a
/// Rust file whose only facts are spawns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weak {
    /// Parse it only if it can be Python 2 by settings, project or its own text; else defer it
    /// to the link pass.
    Defer,
    /// Parse it (the link pass found it needed).
    Parse,
}

/// Whether a weakly admitted file must be parsed now: a Python file that is Python 2 code by
/// configuration, by the project's version files or possibly by its own syntax (a byte-level
/// superset of the frontend's evidence), where a `subprocess` call without `close_fds`, an
/// `os.popen` call or a bare `range()` of the limit is a finding; any file with a suppression
/// comment (FD100 judges those). Otherwise its only role is in the link pass, which asks for it
/// by name (a Rust file's spawn facts serve nothing else).
fn weak_needs_parse(
    c: &Target,
    settings: &Settings,
    projects: &ProjectCache,
    bytes: &[u8],
) -> bool {
    if c.lang != Lang::Python {
        return suppress::mentions_marker(bytes);
    }
    if let Some(v) = settings.python_version {
        return v.major == 2;
    }
    prefilter::python2_hint(bytes)
        || suppress::mentions_marker(bytes)
        || projects.for_file(&c.path).may_be_python2()
}

fn lint_candidate(c: &Target, settings: &Settings, projects: &ProjectCache) -> PerFile {
    lint_isolated(c, settings, projects, Weak::Defer)
}

/// `lint_candidate_as`, with a panic caught and turned into an `internal-error` problem for
/// the file, so that a bug met on one file does not end the run.
fn lint_isolated(c: &Target, settings: &Settings, projects: &ProjectCache, weak: Weak) -> PerFile {
    isolated(&c.path, || lint_candidate_as(c, settings, projects, weak)).unwrap_or_else(|p| {
        PerFile {
            report: None,
            problems: vec![p],
            lang: c.lang,
            len: 0,
            parsed: false,
            phases: Phases::default(),
            linkable: None,
            deferred: None,
            skipped: false,
        }
    })
}

/// Run the work on one file, catching a panic as the file's `internal-error` problem (with the
/// panic's message). The work's state is dropped on a panic (nothing half-done is kept), so
/// asserting unwind safety is sound; per-thread buffers are cleared before each use.
pub(crate) fn isolated<T>(path: &Path, work: impl FnOnce() -> T) -> Result<T, FileProblem> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        FileProblem {
            path: path.to_path_buf(),
            kind: ProblemKind::InternalError,
            line: None,
            message: format!(
                "internal error: fdlint panicked on this file ({what}); the file was skipped. \
                 Please report it at {}/issues",
                crate::REPOSITORY
            ),
        }
    })
}

/// Debug builds only (tests): `FDLINT_DEBUG_PANIC_ON=NAME` makes the worker panic on any file
/// whose name is NAME, so tests can check that a panic is isolated. Release builds have no such
/// hook.
#[cfg(debug_assertions)]
fn debug_panic_hook(path: &Path) {
    static NAME: std::sync::OnceLock<Option<std::ffi::OsString>> = std::sync::OnceLock::new();
    let name = NAME.get_or_init(|| std::env::var_os("FDLINT_DEBUG_PANIC_ON"));
    if let Some(n) = name
        && path.file_name() == Some(n.as_os_str())
    {
        panic!("FDLINT_DEBUG_PANIC_ON matched {}", path.display());
    }
}

fn lint_candidate_as(
    c: &Target,
    settings: &Settings,
    projects: &ProjectCache,
    weak: Weak,
) -> PerFile {
    let mut out = PerFile {
        report: None,
        problems: Vec::new(),
        lang: c.lang,
        len: 0,
        parsed: false,
        phases: Phases::default(),
        linkable: None,
        deferred: None,
        skipped: false,
    };
    #[cfg(debug_assertions)]
    debug_panic_hook(&c.path);
    let mut clock = settings.timings.then(Instant::now);
    // The target with the language its first line gives it, when that is another one.
    let mut retarget: Option<Target> = None;
    // Ok(text) to parse, Err(text) for a file the prefilter ruled out that holds a suppression
    // comment (checked for unused codes), or nothing.
    let text = READ_BUF.with_borrow_mut(|bytes| {
        let read = read(&c.path, settings, bytes);
        lap(&mut clock, &mut out.phases.read);
        if let Err(p) = read {
            out.problems.push(p);
            return None;
        }
        if c.sniff {
            // What the walk would have read the first line for (`discover::lang_of`).
            match discover::lang_after_first_line(bytes, c.lang) {
                Ok(lang) if lang != c.lang => {
                    retarget = Some(Target {
                        lang,
                        sniff: false,
                        ..c.clone()
                    });
                }
                Ok(_) => {}
                Err(_) => {
                    // Another interpreter runs it (`#!/bin/sh`): no file to lint, and not
                    // counted as one.
                    out.skipped = true;
                    return None;
                }
            }
        }
        let c = retarget.as_ref().unwrap_or(c);
        out.lang = c.lang;
        out.len = bytes.len() as u64;
        // The prefilter looks at bytes, so text that is thrown away is never copied.
        let utf8 = std::str::from_utf8(bytes).map_err(|e| e.valid_up_to());
        if let Err(valid) = utf8 {
            out.problems.push(not_utf8(&c.path, bytes, valid));
        }
        lap(&mut clock, &mut out.phases.read);
        let keep = !settings.prefilter
            || match prefilter::admit(c.lang, bytes) {
                prefilter::Admission::Yes => true,
                prefilter::Admission::No => false,
                prefilter::Admission::Weak => {
                    weak == Weak::Parse || weak_needs_parse(c, settings, projects, bytes) || {
                        out.deferred = Some(c.clone());
                        false
                    }
                }
            };
        lap(&mut clock, &mut out.phases.prefilter);
        let owned = |bytes: &[u8]| match utf8 {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        };
        let text = if keep {
            Some(Ok(owned(bytes)))
        } else if suppress::mentions_marker(bytes) {
            Some(Err(owned(bytes)))
        } else {
            None
        };
        // One huge file must not pin its buffer for the rest of the run.
        if bytes.capacity() > 4 << 20 {
            *bytes = Vec::new();
        }
        text
    });
    let c = retarget.as_ref().unwrap_or(c);
    let text = match text {
        None => return out,
        Some(Err(text)) => {
            let linted = unparsed(&c.path, c.lang, &text, settings);
            out.problems.extend(linted.problems);
            if !linted.findings.is_empty() {
                out.report = Some(FileReport {
                    path: c.path.clone(),
                    lang: c.lang,
                    index: LineIndex::new(&text),
                    text: Arc::from(text),
                    findings: linted.findings,
                    package: c.package.clone(),
                    package_path: c.package_path.clone(),
                });
            }
            return out;
        }
        Some(Ok(text)) => text,
    };
    lap(&mut clock, &mut out.phases.read);
    let (linted, index) = analyse(
        &c.path,
        c.lang,
        &text,
        settings,
        projects,
        &mut clock,
        &mut out.phases,
    );
    out.parsed = linted.parsed;
    out.problems.extend(linted.problems);
    let keep_text = !linted.findings.is_empty() || linted.facts.is_some();
    if !keep_text {
        return out;
    }
    let text: Arc<str> = Arc::from(text);
    if let Some(facts) = linted.facts {
        out.linkable = Some(link::Linkable {
            path: c.path.clone(),
            lang: c.lang,
            text: text.clone(),
            facts,
        });
    }
    if !linted.findings.is_empty() {
        out.report = Some(FileReport {
            path: c.path.clone(),
            lang: c.lang,
            index: index.unwrap_or_else(|| LineIndex::new(&text)),
            text,
            findings: linted.findings,
            package: c.package.clone(),
            package_path: c.package_path.clone(),
        });
    }
    out
}

/// Read standard input (or any stream) for linting as the file `path`, with the size limit of
/// files: reading stops one byte past the limit, so an endless stream (`< /dev/zero`) ends at
/// once with a `too-large` problem and memory stays bounded.
pub fn read_bounded(
    path: &Path,
    r: &mut dyn Read,
    settings: &Settings,
) -> std::io::Result<Result<Vec<u8>, FileProblem>> {
    let mut bytes = Vec::new();
    r.take(settings.max_file_size + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > settings.max_file_size {
        return Ok(Err(FileProblem {
            path: path.to_path_buf(),
            kind: ProblemKind::TooLarge,
            line: None,
            message: format!(
                "standard input is larger than the {} byte limit; skipped",
                settings.max_file_size
            ),
        }));
    }
    Ok(Ok(bytes))
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
            let linted = match isolated(path, || lint_text(path, lang, &text, settings)) {
                Ok(l) => l,
                Err(p) => Linted {
                    problems: vec![p],
                    ..Linted::default()
                },
            };
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

/// Lint every file under `paths`. The walk runs on its own thread and feeds the worker pool
/// as it goes, so reading and parsing start with the first file found; results are sorted
/// once at the end, so their order does not depend on the walk or on thread timing.
pub fn run(paths: &[PathBuf], settings: &Settings) -> Result<RunResult, RunError> {
    let t0 = Instant::now();
    // A missing root is a usage error: say so before any work.
    for p in paths {
        if let Err(e) = fs::symlink_metadata(p)
            && e.kind() == std::io::ErrorKind::NotFound
        {
            return Err(RunError::MissingPath(p.clone()));
        }
    }
    let pool = pool(settings)?;
    let projects = ProjectCache::default();
    // Unbounded: the walk never waits for the workers (47k targets are ~5 MB).
    let (tx, rx) = std::sync::mpsc::channel::<Target>();
    let (found, walked, gathered) = std::thread::scope(|s| {
        let walker = s.spawn(move || {
            // Two roots may reach the same file (`fdlint check src src/a.py`): lint it once.
            // One root never yields a path twice (links inside it are not followed).
            let dedup = paths.len() > 1;
            let mut seen = std::collections::HashSet::new();
            let found = discover::discover_each(paths, settings.no_ignore, settings, |c| {
                if !dedup || seen.insert(c.path.clone()) {
                    // The receiver only goes away if the pool panicked.
                    let _ = tx.send(Target {
                        path: c.path,
                        lang: c.lang,
                        package: None,
                        package_path: None,
                        sniff: c.sniff,
                    });
                }
            });
            (found, t0.elapsed())
        });
        let gathered = pool.install(|| {
            rx.into_iter()
                .par_bridge()
                // Each file's own settings: its closest configuration file, per-file-ignores.
                .map(|c| lint_candidate(&c, &settings.for_path(&c.path), &projects))
                .fold(Gathered::default, Gathered::add)
                .reduce(Gathered::default, Gathered::merge)
        });
        let (found, walked) = walker.join().expect("the walk does not panic");
        (found, walked, gathered)
    });
    if let Some(p) = found.missing_roots.first() {
        return Err(RunError::MissingPath(p.clone()));
    }
    // A configuration file met on the way that cannot be used stops the run, as the first
    // path's does.
    if let Some(errors) = settings.hierarchy.as_ref().map(|h| h.errors())
        && !errors.is_empty()
    {
        return Err(RunError::Config(errors.join("\n")));
    }
    let mut result = finish(gathered, &[], settings, &projects);
    // The walk overlaps linting: count its time as discovery and the rest of the run as
    // linting, so that the two still add up to the run's wall time.
    result.stats.discover_time = walked;
    result.stats.lint_time = t0.elapsed().saturating_sub(walked);
    result
        .problems
        .extend(found.issues.into_iter().map(|i| FileProblem {
            path: i.path,
            kind: match i.kind {
                discover::IssueKind::Io => ProblemKind::IoError,
                discover::IssueKind::NotLintable => ProblemKind::NotAFile,
            },
            line: None,
            message: i.message,
        }));
    result.problems.sort();
    Ok(result)
}

fn pool(settings: &Settings) -> Result<rayon::ThreadPool, RunError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        // syn parses recursively; deep (but accepted) nesting needs room.
        .stack_size(32 * 1024 * 1024)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))
}

/// Lint these files (already discovered, e.g. a dependency's files) on the worker pool.
/// `stats.discover_time` is left at zero for the caller to fill in.
pub fn run_files(targets: &[Target], settings: &Settings) -> Result<RunResult, RunError> {
    let pool = pool(settings)?;
    let t1 = Instant::now();
    let projects = ProjectCache::default();
    let gathered = pool.install(|| {
        targets
            .par_iter()
            .map(|c| lint_candidate(c, settings, &projects))
            .fold(Gathered::default, Gathered::add)
            .reduce(Gathered::default, Gathered::merge)
    });
    let mut result = finish(gathered, targets, settings, &projects);
    result.stats.lint_time = t1.elapsed();
    Ok(result)
}

/// What the workers produced, folded per thread as files are done (so that nothing is kept
/// per file that has no finding: memory does not grow with the number of files).
#[derive(Default)]
struct Gathered {
    stats: Stats,
    files: Vec<FileReport>,
    problems: Vec<FileProblem>,
    linkables: Vec<link::Linkable>,
    deferred: Vec<Target>,
}

impl Gathered {
    fn add(mut self, o: PerFile) -> Self {
        if o.skipped {
            return self;
        }
        let s = &mut self.stats;
        s.files_discovered += 1;
        let l = s.languages.entry(o.lang).or_default();
        s.bytes_read += o.len;
        l.bytes_read += o.len;
        l.files_read += usize::from(o.len > 0 || o.problems.is_empty());
        if o.parsed {
            s.files_parsed += 1;
            s.bytes_parsed += o.len;
            l.files_parsed += 1;
            l.bytes_parsed += o.len;
        } else if o.problems.iter().all(|p| {
            matches!(
                p.kind,
                ProblemKind::NotUtf8 | ProblemKind::InvalidSuppression
            )
        }) {
            s.files_prefiltered_out += 1;
        }
        s.phases += o.phases;
        self.files.extend(o.report);
        self.problems.extend(o.problems);
        self.linkables.extend(o.linkable);
        self.deferred.extend(o.deferred);
        self
    }

    fn merge(mut self, o: Gathered) -> Self {
        let s = &mut self.stats;
        s.files_discovered += o.stats.files_discovered;
        s.files_prefiltered_out += o.stats.files_prefiltered_out;
        s.files_parsed += o.stats.files_parsed;
        s.bytes_read += o.stats.bytes_read;
        s.bytes_parsed += o.stats.bytes_parsed;
        s.phases += o.stats.phases;
        for (lang, l) in o.stats.languages {
            let m = s.languages.entry(lang).or_default();
            m.files_read += l.files_read;
            m.bytes_read += l.bytes_read;
            m.files_parsed += l.files_parsed;
            m.bytes_parsed += l.bytes_parsed;
        }
        self.files.extend(o.files);
        self.problems.extend(o.problems);
        self.linkables.extend(o.linkables);
        self.deferred.extend(o.deferred);
        self
    }
}

/// Parse the deferred files the link pass needs: a deferred file sweeps nothing (that would
/// have admitted it), so it matters only as the parent of a scanned script that sweeps, and a
/// spawn can only name that script if the file's text holds the script's file name.
fn parse_deferred(gathered: &mut Gathered, settings: &Settings, projects: &ProjectCache) {
    let deferred = std::mem::take(&mut gathered.deferred);
    let sweeps: Vec<String> = gathered
        .linkables
        .iter()
        .filter(|l| link::sweeps(&l.facts))
        .filter_map(|l| l.path.file_name()?.to_str().map(str::to_string))
        .collect();
    if deferred.is_empty() || sweeps.is_empty() {
        return;
    }
    for t in deferred {
        let names_a_sweep = fs::read(&t.path).is_ok_and(|b| {
            sweeps
                .iter()
                .any(|n| memchr::memmem::find(&b, n.as_bytes()).is_some())
        });
        if !names_a_sweep {
            continue;
        }
        let mut o = lint_isolated(&t, &settings.for_path(&t.path), projects, Weak::Parse);
        // The first pass counted it as read and ruled out, and reported its encoding.
        o.problems.retain(|p| p.kind != ProblemKind::NotUtf8);
        let s = &mut gathered.stats;
        s.files_discovered = s.files_discovered.saturating_sub(1);
        s.files_prefiltered_out = s.files_prefiltered_out.saturating_sub(1);
        s.bytes_read = s.bytes_read.saturating_sub(o.len);
        let lang = s.languages.entry(t.lang).or_default();
        lang.files_read = lang.files_read.saturating_sub(1);
        lang.bytes_read = lang.bytes_read.saturating_sub(o.len);
        *gathered = std::mem::take(gathered).add(o);
    }
}

/// Sum up the workers' output, run the link pass and sort. `targets` gives the package of a
/// file that the link pass reports on (empty when no file belongs to a package).
fn finish(
    gathered: Gathered,
    targets: &[Target],
    settings: &Settings,
    projects: &ProjectCache,
) -> RunResult {
    let mut gathered = gathered;
    parse_deferred(&mut gathered, settings, projects);
    let mut result = RunResult {
        stats: gathered.stats,
        files: gathered.files,
        problems: gathered.problems,
    };
    let mut linkables = gathered.linkables;
    // The link pass reads parents in order (the first interpreter named wins): sort them.
    linkables.sort_by(|a: &link::Linkable, b| a.path.cmp(&b.path));
    // Cross-file pass: spawn calls that run a scanned script, and the scripts they run, are
    // judged again knowing about each other.
    for (linkable, links) in link::resolve(&linkables) {
        let settings = &*settings.for_path(&linkable.path);
        let index = LineIndex::new(&linkable.text);
        let findings = judge(
            &linkable.path,
            linkable.lang,
            &linkable.text,
            &index,
            &linkable.facts,
            settings,
            projects,
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
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    result.problems.sort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read` does not `stat` a file first: a FIFO that took a file's place since discovery
    /// neither blocks the open (no writer) nor the read; a file over the limit still reports
    /// its size.
    #[cfg(unix)]
    #[test]
    fn read_neither_blocks_on_a_fifo_nor_loses_the_size_of_a_large_file() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("swapped.py");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(ok.success());
        let settings = Settings::default();
        let mut bytes = b"left over".to_vec();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let r = read(&fifo, &Settings::default(), &mut bytes);
            tx.send((r.is_ok(), bytes.len())).unwrap();
        });
        let (ok, len) = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO returned");
        assert!(ok);
        assert_eq!(len, 0);
        let big = dir.path().join("big.py");
        let limit = settings.max_file_size;
        fs::write(&big, vec![b'x'; limit as usize + 10]).unwrap();
        let p = read(&big, &settings, &mut bytes).unwrap_err();
        assert_eq!(p.kind, ProblemKind::TooLarge);
        assert_eq!(
            p.message,
            format!(
                "{} bytes, larger than the {limit} byte limit; skipped",
                limit + 10
            )
        );
        assert!(bytes.is_empty());
    }

    #[test]
    fn a_panic_becomes_an_internal_error_of_its_file() {
        let path = Path::new("src/boom.py");
        let p = isolated(path, || -> Linted { panic!("index out of bounds: 7") }).unwrap_err();
        assert_eq!(p.kind, ProblemKind::InternalError);
        assert_eq!(p.path, path);
        assert!(
            p.message.contains("index out of bounds: 7"),
            "{}",
            p.message
        );
        let p = isolated(path, || -> u8 { std::panic::panic_any(3u8) }).unwrap_err();
        assert!(
            p.message.contains("a panic without a message"),
            "{}",
            p.message
        );
        assert_eq!(isolated(path, || 5).unwrap(), 5);
    }

    #[test]
    fn stdin_reads_stop_past_the_limit() {
        let settings = Settings {
            max_file_size: 1000,
            ..Settings::default()
        };
        let mut endless = std::io::repeat(b'x');
        let p = read_bounded(Path::new("x.py"), &mut endless, &settings)
            .unwrap()
            .unwrap_err();
        assert_eq!(p.kind, ProblemKind::TooLarge);
        let mut exact = std::io::repeat(b'x').take(1000);
        let b = read_bounded(Path::new("x.py"), &mut exact, &settings)
            .unwrap()
            .unwrap();
        assert_eq!(b.len(), 1000);
    }
}
