//! Frontends: one per language, each turning a file's text into [`Facts`].
//!
//! Frontends know syntax and nothing about findings. Python and Ruby are parsed with tree-sitter
//! and matched with the queries in `queries/<lang>/*.scm` (embedded at build time, run only over
//! the regions of a file that can hold a match); Rust is parsed with `syn`.
//!
//! Architecture invariant: a frontend never fails on bad input. Whatever it cannot parse becomes
//! `Facts::syntax_errors`, and whatever it cannot resolve is simply not a fact.

use std::cell::Cell;
use std::time::Duration;

use crate::facts::{Facts, Lang, Stage};

pub(crate) mod clock;
pub mod python;
pub mod ruby;
pub mod rust;
pub(crate) mod ts;

/// Why a frontend produced no facts for a file at all.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum FrontendError {
    #[error("parsing took more than {0} ms of CPU time and was abandoned")]
    Timeout(u64),
    #[error("nesting deeper than {0} levels; the file was not analysed")]
    TooDeep(usize),
    /// Text the parser cannot take without aborting the process (a C `assert` in a grammar's
    /// scanner): refused before parsing. The message says what and why.
    #[error("{0}; the file was not analysed")]
    Refused(&'static str),
}

/// Knobs a frontend needs; the same for every file of a run.
#[derive(Debug, Clone)]
pub struct FrontendOptions {
    /// The most of the thread's CPU time (`clock`) a parse may take before it is abandoned
    /// (guards against pathological inputs); a file smaller than ~16 MB gets less
    /// (`parse_budget_ms`).
    pub parse_timeout_ms: u64,
    /// Stop analysing a parsed file once it has cost this much CPU time after its parse ended (queries, walks,
    /// resolution): the last resort behind the step budgets, which are what normally bound the
    /// work. The facts found by then are kept and the file gets a `timeout` problem.
    pub analysis_timeout_ms: u64,
    /// Steps (values evaluated, bindings followed, nodes walked) one file's analysis may take.
    /// Deterministic, unlike the deadline: what it cuts is the same on every run.
    pub steps: u64,
    /// The project around the file, for names the file uses but does not define (Rust: the
    /// crate's fields, functions and parameters filled with the fd limit). `None`: the file
    /// alone.
    pub index: Option<std::sync::Arc<dyn crate::index::LimitIndex>>,
}

impl Default for FrontendOptions {
    fn default() -> Self {
        FrontendOptions {
            parse_timeout_ms: 5_000,
            analysis_timeout_ms: 2_000,
            steps: DEFAULT_STEPS,
            index: None,
        }
    }
}

impl FrontendOptions {
    /// The CPU time a parse of `len` bytes may take: `PARSE_BASE_MS` plus one millisecond per
    /// `PARSE_BYTES_PER_MS` bytes, at most `parse_timeout_ms`. tree-sitter parses real code at
    /// 11-13 MB/s here (bench/RESULTS.md) and ~4 MB/s on a machine loaded with other work, so a
    /// real file of any size stays well inside it; an input that sends tree-sitter's error
    /// recovery into its slow paths (0.9 MB of `h("` costs more than 5 s) is given up in ~1 s
    /// instead of 5, which an editor or a pre-commit hook feels.
    pub fn parse_budget_ms(&self, len: usize) -> u64 {
        self.parse_timeout_ms
            .min(PARSE_BASE_MS.saturating_add(len as u64 / PARSE_BYTES_PER_MS))
    }
}

/// The parse budget every file gets, however small (`FrontendOptions::parse_budget_ms`).
pub const PARSE_BASE_MS: u64 = 1_000;

/// Bytes per millisecond of parse budget beyond `PARSE_BASE_MS`: 4 MB/s, a third of what
/// tree-sitter parses real code at on the benchmark machine.
pub const PARSE_BYTES_PER_MS: u64 = 4_000;

/// The default step budget of one file. Resolution memoises per (name, scope), so real files
/// need a few thousand steps; this is ~0.2 s of the costliest steps on a release build.
pub const DEFAULT_STEPS: u64 = 2_000_000;

/// The work one file may still cost a frontend: a step budget (deterministic: the same input
/// is cut at the same place on every run) and a deadline (the last resort, checked every
/// `DEADLINE_EVERY` steps and from tree-sitter's query progress callback). Once either runs
/// out every further step is refused, so the frontend returns what it found so far, and
/// `Facts::exhausted` names the stage that ran out first.
///
/// Architecture invariant: every loop of a frontend whose trip count depends on the input
/// beyond a constant factor of its size takes a step, or is bounded by a cap.
#[derive(Debug)]
pub(crate) struct Budget {
    steps: Cell<u64>,
    deadline: Option<clock::Deadline>,
    ticks: Cell<u32>,
    exhausted: Cell<Option<Stage>>,
}

/// How much longer the deadlines (parse and analysis) are in a debug build, the tests'
/// binary: unoptimised, the tree-sitter runtime and the walks run several times slower
/// (100,000 nested `range(`: 0.8 s of CPU in release, 1.9 s in debug; the deadlines count CPU
/// time, `clock`, so load does not add to it). The deadlines are the last resort, not what bounds the
/// work; the step budgets, which are, do not change.
pub(crate) const DEBUG_SLOWDOWN: u64 = if cfg!(debug_assertions) { 5 } else { 1 };

/// How many steps pass between two looks at the clock.
const DEADLINE_EVERY: u32 = 1024;

impl Budget {
    /// The budget of a file whose parse has just ended.
    pub(crate) fn new(opts: &FrontendOptions) -> Self {
        Budget {
            steps: Cell::new(opts.steps),
            deadline: clock::Deadline::after(Duration::from_millis(
                opts.analysis_timeout_ms * DEBUG_SLOWDOWN,
            )),
            ticks: Cell::new(0),
            exhausted: Cell::new(None),
        }
    }

    /// A budget that never runs out, for helpers called outside a file's analysis.
    #[cfg(test)]
    pub(crate) fn unlimited() -> Self {
        Budget {
            steps: Cell::new(u64::MAX),
            deadline: None,
            ticks: Cell::new(0),
            exhausted: Cell::new(None),
        }
    }

    /// Take one step of `stage`'s work: `false` once the budget is spent (and from then on).
    #[inline]
    pub(crate) fn step(&self, stage: Stage) -> bool {
        self.steps_n(stage, 1)
    }

    /// Take `n` steps at once (a loop that costs `n` but cannot stop half-way).
    pub(crate) fn steps_n(&self, stage: Stage, n: u64) -> bool {
        if self.exhausted.get().is_some() {
            return false;
        }
        let left = self.steps.get();
        if left < n {
            self.steps.set(0);
            self.exhaust(stage);
            return false;
        }
        self.steps.set(left - n);
        let t = self.ticks.get().wrapping_add(1);
        self.ticks.set(t);
        if t.is_multiple_of(DEADLINE_EVERY) && self.past_deadline() {
            self.exhaust(stage);
            return false;
        }
        true
    }

    /// Whether the deadline has passed (a look at this thread's CPU clock, `clock`).
    pub(crate) fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| d.passed())
    }

    /// Record that `stage` ran out (the first stage to run out is the one reported).
    pub(crate) fn exhaust(&self, stage: Stage) {
        if self.exhausted.get().is_none() {
            self.exhausted.set(Some(stage));
        }
    }

    /// Whether the budget is spent.
    pub(crate) fn is_spent(&self) -> bool {
        self.exhausted.get().is_some()
    }

    /// The stage that ran out, if one did.
    pub(crate) fn exhausted(&self) -> Option<Stage> {
        self.exhausted.get()
    }
}

/// Whether a name reads as the fd limit: `max_fd`, `maxfd`, `max_fds`, `fd_limit`,
/// `open_max`, `nofile`, `close_limit`, `max_open_files`, `rlimit`, and supervisor's `minfds`
/// (the limit it raises itself to, and then closes up to). A bound so named whose value the
/// frontend cannot see is `BoundKind::Unresolved`, in Rust and Python alike. `min_fd` (the
/// lowest fd) is not one: only the plural `minfds` counts.
pub(crate) fn reads_as_limit(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "maxfd",
        "fdmax",
        "openmax",
        "nofile",
        "fdlimit",
        "limitfd",
        "closelimit",
        "maxopenfiles",
        "rlimit",
        "minfds",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// Extract the facts of one file. Reuses a per-thread parser for tree-sitter languages.
pub fn extract(lang: Lang, text: &str, opts: &FrontendOptions) -> Result<Facts, FrontendError> {
    match lang {
        Lang::Python => python::extract(text, opts),
        Lang::Ruby => ruby::extract(text, opts),
        Lang::Rust => rust::extract(text, opts),
    }
}

/// How many syntax errors the frontend finds in `text` (tree-sitter ERROR/MISSING nodes, a `syn`
/// error); `None` when it gave up on the text. `fdlint --fix` compares a fixed text with its
/// original through this.
pub fn syntax_error_count(lang: Lang, text: &str, opts: &FrontendOptions) -> Option<usize> {
    extract(lang, text, opts)
        .ok()
        .map(|f| f.syntax_errors.len())
}

/// The query source of every language, for the meta-test that compiles them all.
pub fn query_sources() -> Vec<(Lang, &'static str, &'static str)> {
    let mut v = Vec::new();
    for (name, src) in python::QUERY_FILES {
        v.push((Lang::Python, *name, *src));
    }
    for (name, src) in ruby::QUERY_FILES.iter().chain([&ruby::BINDINGS_QUERY]) {
        v.push((Lang::Ruby, *name, *src));
    }
    v
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn the_parse_budget_grows_with_the_file_up_to_the_timeout() {
        let opts = FrontendOptions::default();
        assert_eq!(opts.parse_budget_ms(0), 1_000);
        assert_eq!(opts.parse_budget_ms(900_000), 1_225);
        assert_eq!(opts.parse_budget_ms(4_000_000), 2_000);
        // The 16 MiB size limit: capped at the timeout.
        assert_eq!(opts.parse_budget_ms(16 << 20), 5_000);
        assert_eq!(opts.parse_budget_ms(usize::MAX), 5_000);
        let tight = FrontendOptions {
            parse_timeout_ms: 300,
            ..FrontendOptions::default()
        };
        assert_eq!(tight.parse_budget_ms(0), 300);
    }
}
