//! Language-neutral facts that the frontends extract and the rules judge.
//!
//! This is the contract between the two halves of fdlint: frontends (`crate::lang`) know syntax
//! and never create findings; rules (`crate::rules`) know the antipatterns and never see a
//! tree-sitter node or a `syn` type. Everything a rule needs to word its message (where the bound
//! came from, which fallback constant replaces it, which call touches the fd) is recorded here as
//! plain data with byte spans into the file's text.

use serde::Serialize;

/// A half-open byte range into a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The source language of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Python,
    Ruby,
    Rust,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Ruby => "ruby",
            Lang::Rust => "rust",
        }
    }
    /// The line-comment leader used by inline markers and suppressions.
    pub fn comment(self) -> &'static str {
        match self {
            Lang::Python | Lang::Ruby => "#",
            Lang::Rust => "//",
        }
    }
}

/// Which API produced the fd limit that bounds a loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitSource {
    /// `getrlimit(RLIMIT_NOFILE)` (any language) where the soft/hard half is known.
    GetrlimitSoft,
    GetrlimitHard,
    /// `getrlimit(RLIMIT_NOFILE)` used as a whole or through an index we cannot read.
    Getrlimit,
    /// `sysconf(_SC_OPEN_MAX)` (Python `os.sysconf`, Ruby `Etc.sysconf`, Rust `libc`/`nix`).
    Sysconf,
    /// `getdtablesize()`.
    Getdtablesize,
    /// Python 2 `subprocess.MAXFD` (itself `sysconf("SC_OPEN_MAX")`).
    SubprocessMaxfd,
}

impl LimitSource {
    /// How a message names the limit ("the hard fd limit").
    pub fn describe(self) -> &'static str {
        match self {
            LimitSource::GetrlimitSoft => "the soft fd limit (RLIMIT_NOFILE)",
            LimitSource::GetrlimitHard => "the hard fd limit (RLIMIT_NOFILE)",
            LimitSource::Getrlimit => "the fd limit (RLIMIT_NOFILE)",
            LimitSource::Sysconf => "the fd limit (sysconf(_SC_OPEN_MAX), the soft RLIMIT_NOFILE)",
            LimitSource::Getdtablesize => "the fd limit (getdtablesize(), the soft RLIMIT_NOFILE)",
            LimitSource::SubprocessMaxfd => {
                "the fd limit (subprocess.MAXFD, sysconf(\"SC_OPEN_MAX\"))"
            }
        }
    }
    /// Whether the value is the hard limit, which systemd sets to 1,073,741,816 and which no
    /// program ever lowers by raising its soft limit.
    pub fn is_hard(self) -> bool {
        matches!(self, LimitSource::GetrlimitHard)
    }
}

/// What bounds a loop (or a materialised range) from above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BoundKind {
    /// The real fd limit, read at run time.
    Limit { source: LimitSource },
    /// A literal or constant that guesses the limit (`range(3, 256)`, `MAXFD = 1024`).
    Guess {
        value: u64,
        /// The constant's name when the guess is a named constant.
        name: Option<String>,
    },
    /// A name that reads as the fd limit (`max_fd`, `fd_limit`, `close_limit`) whose value the
    /// frontend cannot see (a parameter no caller fills visibly, a field set elsewhere): a
    /// warning that names it, never silence and never an error.
    Unresolved { name: String },
}

/// A constant that replaces the limit on some path (`if maxfd == RLIM_INFINITY: maxfd = 65536`,
/// `except: maxfd = 256`, `.unwrap_or(1024)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fallback {
    pub value: u64,
    pub span: Span,
}

/// Where a loop's upper bound comes from, resolved through the file's data flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bound {
    pub kind: BoundKind,
    /// The expression that produces the limit (the `getrlimit` call, the literal).
    pub origin: Span,
    /// The variable, constant or helper function the loop names, when it does not use the
    /// origin directly (`maxfd`, `get_maxfd()`).
    pub via: Option<String>,
    /// Constants used in place of the limit on some paths.
    pub fallbacks: Vec<Fallback>,
    /// `min(limit, N)`: the loop never goes past N.
    pub cap: Option<u64>,
    /// Where the limit was found when it lies outside the loop's own function and file, in
    /// words (`` `max_fd` is set from `getrlimit` in src/sys.rs:14 ``). Filled from the
    /// project index (`crate::index`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elsewhere: Option<String>,
}

impl Bound {
    /// The real limit, read by `origin`.
    pub fn limit(
        source: LimitSource,
        origin: Span,
        via: Option<String>,
        fallbacks: Vec<Fallback>,
        cap: Option<u64>,
    ) -> Bound {
        Bound {
            kind: BoundKind::Limit { source },
            origin,
            via,
            fallbacks,
            cap,
            elsewhere: None,
        }
    }

    /// A literal (or a constant holding one) guessing the limit.
    pub fn guess(value: u64, name: Option<String>, origin: Span, via: Option<String>) -> Bound {
        Bound {
            kind: BoundKind::Guess { value, name },
            origin,
            via,
            fallbacks: Vec::new(),
            cap: None,
            elsewhere: None,
        }
    }
}

/// What a loop does to each fd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FdAction {
    /// `close(fd)` in any of its spellings.
    Close,
    /// `fcntl(fd, F_SETFD, FD_CLOEXEC)`, `close_on_exec = true`.
    SetCloexec,
    /// `fstat(fd)` and other probes that only ask whether the fd is open.
    Probe,
    /// Wrapping the number in an owning handle that closes it (`IO.for_fd(fd)`,
    /// `OwnedFd::from_raw_fd(fd)`).
    Wrap,
}

impl FdAction {
    pub fn syscall(self) -> &'static str {
        match self {
            FdAction::Close | FdAction::Wrap => "close()",
            FdAction::SetCloexec => "fcntl()",
            FdAction::Probe => "fstat()",
        }
    }
}

/// A container that holds one element per fd number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// Python 2 `range(...)`: a list of int objects.
    Python2Range,
    /// `list(range(...))` in any Python.
    PythonList,
    /// `set(range(...))` in any Python.
    PythonSet,
    /// Ruby `(lo..hi).to_a`.
    RubyArray,
    /// Rust `(lo..hi).collect::<Vec<_>>()`.
    RustVec,
}

/// A loop that visits every fd number from `lower` up to a bound and touches each one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloseLoop {
    /// The loop's header (`for fd in range(3, maxfd):`, `3.upto(max) do |fd|`); the primary span.
    pub span: Span,
    /// The call that touches the fd inside the loop.
    pub action: FdAction,
    pub action_span: Span,
    /// The first fd the loop visits, when it is a literal.
    pub lower: Option<u64>,
    pub bound: Bound,
}

/// A container of every fd number up to a bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FdRange {
    pub span: Span,
    pub container: Container,
    pub lower: Option<u64>,
    pub bound: Bound,
}

/// How sure the frontend is that a Python file is Python 2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PythonDialect {
    /// No evidence either way.
    #[default]
    Unknown,
    /// Syntax or a shebang that only Python 2 accepts or uses.
    Python2,
    /// Syntax that only Python 3 accepts (f-strings, `print(..., end=)`, `nonlocal`, ...).
    Python3,
}

/// Evidence about the runtime a file targets, found in the file itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuntimeEvidence {
    pub dialect: PythonDialect,
    /// What made the frontend decide (`print statement`, `shebang python2`), with its span.
    pub reason: Option<(String, Span)>,
}

/// The family of a process-spawning API, which decides its fd-inheritance defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpawnApi {
    /// Ruby `Process.spawn`, `Kernel#spawn`, `spawn`.
    RubySpawn,
    /// Ruby `IO.popen`.
    RubyIoPopen,
    /// Ruby `Open3.popen3/popen2/popen2e/capture2/capture2e/capture3/pipeline*` (all call
    /// `spawn`).
    RubyOpen3,
    /// Ruby `system`, `Kernel#system`.
    RubySystem,
    /// Ruby `exec`, `Kernel#exec`, `Process.exec`.
    RubyExec,
    /// Python `subprocess.Popen/call/check_call/check_output/run`.
    PySubprocess,
    /// The `subprocess32` backport on Python 2: Python 3.2's semantics (`close_fds=True` by
    /// default, closing only the fds that are open).
    PySubprocess32,
    /// Python 2's `os.popen2/3/4`, `popen2.*`, `commands.getoutput/getstatusoutput`: no
    /// `close_fds` at all, and gone in Python 3.
    PyLegacyPopen,
    /// `os.popen`: no `close_fds` on Python 2; on Python 3 a `subprocess.Popen` with its
    /// defaults (`close_fds=True`).
    PyOsPopen,
    /// Rust `std::process::Command`.
    RustCommand,
}

/// What a spawn call says about closing inherited fds (`close_others:` in Ruby,
/// `close_fds=` in Python).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FdOption {
    /// Not given: the API's default applies.
    Absent,
    /// Given as a literal true/false.
    Literal { value: bool, span: Span },
    /// Given, but its value (or the options hash, or `**kwargs`) is computed elsewhere.
    Unknown { span: Span },
}

/// A script a spawn call runs, named by a string literal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptRef {
    /// The path as written, joined when built with `File.join`/`os.path.join`
    /// (`helpers/mentos.py`).
    pub path: String,
    pub span: Span,
    /// The path was built relative to the spawning file (`__dir__`, `__FILE__`, `__file__`).
    pub relative_to_file: bool,
}

/// A call that starts a child process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpawnCall {
    /// The call, without a trailing block.
    pub span: Span,
    pub api: SpawnApi,
    /// The callee as written (`Open3.popen3`, `subprocess.Popen`, `run_shell`).
    pub callee: String,
    /// The API's own name (`os.popen`) when the callee as written names it otherwise: through
    /// an import alias (`from os import popen as run_shell`, `import os as o`). Messages name
    /// both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_name: Option<String>,
    pub close_option: FdOption,
    /// Fds passed to the child on purpose (`3 => io` redirects, `pass_fds=`).
    pub passes_fds: Option<Span>,
    /// The interpreter named by a literal (`python2`, `/usr/bin/python`), if any.
    pub interpreter: Option<String>,
    pub script: Option<ScriptRef>,
}

impl SpawnCall {
    /// The callee for a message, in backticks: as written, and the API it stands for when
    /// that is spelled otherwise (`` `run_shell` (`os.popen`) ``).
    pub fn named(&self) -> String {
        match &self.api_name {
            Some(api) => format!("`{}` (`{api}`)", self.callee),
            None => format!("`{}`", self.callee),
        }
    }
}

/// A loop over a helper whose range of every fd is only its fallback (`Facts::fallback_ranges`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FallbackRange {
    /// The `CloseLoop::span` of the loop.
    pub loop_span: Span,
    /// The helper as the loop calls it (`get_open_fds`).
    pub helper: String,
    /// The helper's `return range(..)` statements.
    pub returns: Vec<Span>,
}

/// A Python spawn call that needs Python 3 (`Facts::python3_only`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Python3Only {
    /// The `SpawnCall::span` of the call.
    pub call: Span,
    /// The oldest Python 3 minor version the call runs on (`5` for `subprocess.run`).
    pub minor: u8,
    /// What needs it, as the note says it (`` `subprocess.run` ``, `` `timeout=` ``).
    pub what: String,
}

/// `os.closerange(lo, hi)` with a bound that is the fd limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloseRangeCall {
    pub span: Span,
    pub lower: Option<u64>,
    pub bound: Bound,
    /// When the call is of a same-file wrapper (`self._closerange(lo, MAXFD)`): the callee as
    /// written and the span of the wrapper's own `os.closerange(..)`.
    pub through: Option<(String, Span)>,
}

/// Where a spawn call can take `close_others: true`, written in the call's own spelling. Filled
/// by the Ruby frontend for calls whose options are visible in the call itself (keyword
/// arguments, a trailing hash literal, or no options at all); an options hash held elsewhere
/// gets no slot, since editing it would change other calls too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionSlot {
    /// The `SpawnCall::span` of the call.
    pub call: Span,
    pub place: SlotPlace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SlotPlace {
    /// Insert the option at `at`: after a `, ` when `comma`, as `:close_others => true` when
    /// the call's options are written with `=>` (`rocket`), else as `close_others: true`.
    Insert {
        at: usize,
        comma: bool,
        rocket: bool,
    },
    /// `close_others: false` written in the call itself: the span of its `false`.
    Value { span: Span },
}

/// A counted `for` loop whose body does nothing but close the loop variable and ignore the
/// result (`for fd in 3..max { unsafe { libc::close(fd) }; }`): the shape a fix can replace
/// with one `close_range(2)` call, keeping the loop as the fallback. Filled by the Rust
/// frontend; the same fields would serve Python's `for fd in range(lo, hi): os.close(fd)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlainCloseLoop {
    /// The `CloseLoop::span` of the same loop (its header).
    pub header: Span,
    /// The whole loop statement, body included.
    pub statement: Span,
    /// The loop variable as written.
    pub var: Span,
    /// The range's start and end expressions as written.
    pub lower: Span,
    pub upper: Span,
    /// Whether the end is included (`lo..=hi`).
    pub inclusive: bool,
    /// The loop body, braces included.
    pub body: Span,
}

/// A Python or Ruby loop over a range of fd numbers whose body does nothing but close the loop
/// variable and ignore the error (`for fd in range(3, n): try: os.close(fd) / except OSError:
/// pass`; `3.upto(n) { |fd| IO.for_fd(fd).close rescue nil }`): the shape a fix can replace
/// with `os.closerange(lo, hi)` or a walk of the open fds. Filled by `src/lang/python/loops.rs`
/// and `src/lang/ruby/loops.rs` only when nothing else in the body or after the loop depends
/// on the loop (the loop variable, a handler's `as e` name are not read afterwards; no
/// `else:`, no step). (Rust's counterpart is [`PlainCloseLoop`], whose fields differ: Rust
/// ranges always have a start and the body is kept as the fallback.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepLoop {
    /// The `CloseLoop::span` of the same loop (its header).
    pub header: Span,
    /// The whole loop statement, body included: what the fix replaces.
    pub statement: Span,
    /// The first fd as written; `None` when the range starts at 0 (`range(hi)`, `hi.times`).
    pub lower: Option<Span>,
    /// The bound as written.
    pub upper: Span,
    /// Whether `upper` itself is closed (`while fd <= hi`, `lo.upto(hi)`, `lo..hi`).
    pub inclusive: bool,
    /// Python: how `os.closerange` is spelled where the loop is (`None` in Ruby).
    pub closerange: Option<CloserangeName>,
    /// Where a module-level helper can go: the start of the line of the top-level statement
    /// that holds the loop (its first decorator, for a decorated definition).
    pub top_level: usize,
    /// A comment ending the header's line (`# close inherited fds`), kept by the fix. Loops
    /// with comments elsewhere are not `SweepLoop`s.
    pub comment: Option<Span>,
}

/// How a Python file can call `os.closerange`: through the module as the file imports it
/// (`os`, `import os as _os`), by a name imported from it (`from os import closerange`), or by
/// adding `from os import closerange` after the statement that imports `close` (at `after`, the
/// end of that import statement; `indent` is that statement's indentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CloserangeName {
    Module { alias: String },
    Name { name: String },
    Import { after: usize, indent: String },
}

/// A Python 2 `range(...)` of every fd number that a `for` statement (or a comprehension's
/// `for`) iterates directly, where `range` is the builtin: `name` is the span of the word
/// `range`, which `xrange` can replace without changing what the loop sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IteratedRange {
    /// The `FdRange::span` of the same call.
    pub range: Span,
    pub name: Span,
}

impl Facts {
    /// Whether the range at `range` is the header of the loop at `lp`: inside it, or bound
    /// to the name the loop iterates (`named_ranges`).
    pub fn range_heads_loop(&self, range: Span, lp: Span) -> bool {
        (range.start >= lp.start && range.end <= lp.end) || self.named_ranges.contains(&(lp, range))
    }

    /// Whether the loop or range at `span` visits its upper bound too (`inclusive_ends`).
    pub fn includes_end(&self, span: Span) -> bool {
        self.inclusive_ends.contains(&span)
    }
}

/// Everything a frontend found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    pub close_loops: Vec<CloseLoop>,
    pub fd_ranges: Vec<FdRange>,
    pub spawns: Vec<SpawnCall>,
    pub closeranges: Vec<CloseRangeCall>,
    pub runtime: RuntimeEvidence,
    /// Where fixes can add `close_others: true` to spawn calls (Ruby).
    pub option_slots: Vec<OptionSlot>,
    /// Close loops simple enough to rewrite (Rust).
    pub plain_close_loops: Vec<PlainCloseLoop>,
    /// Close loops simple enough to rewrite (Python, Ruby).
    pub sweep_loops: Vec<SweepLoop>,
    /// Python 2 `range()`s of fd numbers iterated directly by a `for` (Python).
    pub iterated_ranges: Vec<IteratedRange>,
    /// The `CloseLoop::span`s and `FdRange::span`s whose upper bound is itself visited
    /// (`3.upto(n)`, `(3..n)`, `while fd <= n`), so that the count is `n - lower + 1`. A side
    /// table rather than a field, so that frontends whose ranges all exclude the end (Python's
    /// `range`) need not know it exists.
    pub inclusive_ends: Vec<Span>,
    /// Python spawn calls that can only run on Python 3 (`subprocess.run`, `timeout=`,
    /// `subprocess.DEVNULL`, ...), with the oldest Python 3 minor they need: FD004 judges them
    /// there, not at a Python 2 the project's range also includes. A side table, so the Ruby
    /// and Rust frontends' `SpawnCall`s need not know it exists.
    pub python3_only: Vec<Python3Only>,
    /// `(CloseLoop::span, FdRange::span)`: a loop over a name whose binding is that range
    /// (`fds = range(0, maxfd)` ... `for fd in fds:`), so that the range is that loop's
    /// header as much as an inline one is (FD002 folds a Python 2 list into the FD001
    /// finding). A side table, so frontends without such loops need not know it exists.
    pub named_ranges: Vec<(Span, Span)>,
    /// Loops over a helper that lists the open fds on some paths and returns a range of every
    /// fd up to the limit on others (gentoo portage's `get_open_fds()`: `/proc/self/fd`, else
    /// `range(max_fd_limit)`): the `CloseLoop` is that range's, and FD001 says it only runs
    /// where the fallback does. Python; a side table like `inclusive_ends`.
    pub fallback_ranges: Vec<FallbackRange>,
    /// Regions the parser could not make sense of (tree-sitter ERROR/MISSING nodes, a `syn` error).
    pub syntax_errors: Vec<Span>,
    /// The stage whose work budget ran out, when one did: the facts are those found before it
    /// (`lang::Budget`), and the file gets a `timeout` problem naming the stage.
    pub exhausted: Option<Stage>,
    /// The first part of the file nested too deeply to analyse, when the rest was analysed
    /// without it (Rust: the items past the depth guard; `nesting` is the guard's limit).
    pub too_deep: Option<(Span, usize)>,
}

/// A stage of the work on one file, named when its budget runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// tree-sitter parsing, or the Rust frontend's `syn` parse of an item.
    Parse,
    /// Finding the facts queries' matches (by the walks that stand in for the `.scm` queries).
    Query,
    /// Following names and bindings to the values of bounds and options.
    Resolve,
    /// Walking the tree for what a match needs (loop bodies, ancestors, helper functions).
    Walk,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Parse => "parse",
            Stage::Query => "query",
            Stage::Resolve => "resolve",
            Stage::Walk => "walk",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
