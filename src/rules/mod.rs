//! The rules: each judges language-neutral facts and words findings. One file per rule; the
//! rule's doc comment is the single source of `fdlint explain`, `docs/rules.md` and SARIF help.
//!
//! Architecture invariant: nothing under `rules/` imports tree-sitter or syn types (a meta-test
//! greps for it).

use crate::facts::{Facts, Lang};
use crate::finding::Finding;
pub use crate::finding::RuleMeta;
pub use crate::runtime::{Links, PythonTarget, RubyTarget};
use crate::settings::Settings;
use crate::source::LineIndex;

pub mod fd001_rlimit_close_loop;
pub mod fd002_fd_range_materialized;
pub mod fd003_spawn_inherits_fds;
pub mod fd004_popen_inherits_fds;
pub mod fd005_closerange_loops;
pub mod fd100_unused_suppression;

mod docs;
pub use docs::docs_markdown;

/// Declares a rule's [`RuleMeta`] from its doc comment, as clippy's `declare_clippy_lint!` does:
/// the doc comment is captured as data, so the documentation lives once, next to the code.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub static $ident:ident = {
            code: $code:literal,
            name: $name:literal,
            summary: $summary:literal,
            languages: $langs:expr,
            severity: $sev:expr
            $(, reported: $rep:literal)?
            $(, fix: $($fix:expr),+)? $(,)?
        };
    ) => {
        $(#[doc = $doc])*
        pub static $ident: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            code: $code,
            name: $name,
            summary: $summary,
            doc: concat!($($doc, "\n",)*),
            languages: $langs,
            default_severity: $sev,
            reported: [$($rep,)? ""][0],
            fix: &[$($($fix),+)?],
        };
    };
}
pub(crate) use declare_rule;

/// Every rule, in code order.
pub fn all() -> &'static [&'static RuleMeta] {
    static ALL: [&RuleMeta; 6] = [
        &fd001_rlimit_close_loop::RULE,
        &fd002_fd_range_materialized::RULE,
        &fd003_spawn_inherits_fds::RULE,
        &fd004_popen_inherits_fds::RULE,
        &fd005_closerange_loops::RULE,
        &fd100_unused_suppression::RULE,
    ];
    &ALL
}

pub fn by_code(code: &str) -> Option<&'static RuleMeta> {
    all()
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

/// What a rule can see besides the facts.
pub struct Context<'a> {
    pub lang: Lang,
    pub settings: &'a Settings,
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub python: PythonTarget,
    pub ruby: RubyTarget,
    /// How this file and others point at each other (spawner and spawned).
    pub links: &'a Links,
}

impl Context<'_> {
    pub fn line(&self, offset: usize) -> usize {
        self.index.line_col(self.text, offset).line
    }
}

/// Run every selected rule that applies to the file's language, then apply the configured
/// severity overrides. (FD100 is not here: it judges suppression comments, in
/// [`crate::suppress`].)
pub fn check(ctx: &Context, facts: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    let on = |r: &RuleMeta| ctx.settings.rules.is_enabled(r);
    if on(&fd001_rlimit_close_loop::RULE) {
        fd001_rlimit_close_loop::check(ctx, facts, &mut out);
    }
    if on(&fd002_fd_range_materialized::RULE) {
        fd002_fd_range_materialized::check(ctx, facts, &mut out);
    }
    if on(&fd003_spawn_inherits_fds::RULE) {
        fd003_spawn_inherits_fds::check(ctx, facts, &mut out);
    }
    if on(&fd004_popen_inherits_fds::RULE) {
        fd004_popen_inherits_fds::check(ctx, facts, &mut out);
    }
    if on(&fd005_closerange_loops::RULE) {
        fd005_closerange_loops::check(ctx, facts, &mut out);
    }
    ctx.settings.rules.override_severities(&mut out);
    out
}

/// Whether a guessed bound (`range(3, 256)`, `MAXFD = 1024`) is a guess of the fd limit rather
/// than a small, deliberate range: literals from 256 (the historical `subprocess.MAXFD`
/// fallback), constants named like an fd limit from 64.
pub fn is_limit_guess(value: u64, name: Option<&str>) -> bool {
    value >= 256 || (value >= 64 && name.is_some_and(fd_limit_name))
}

/// Whether a probe loop's guessed bound (`for fd in range(8192): os.fstat(fd)`) is a guess of
/// the fd limit: literals from 1,024, the lowest default soft limit, so a probe that stops
/// there claims to see every fd of a default process; constants named like an fd limit from
/// 64. A smaller literal probe is a bounded search or fill (CPython's tests `dup2` into the
/// free fds below 256).
pub fn is_probe_guess(value: u64, name: Option<&str>) -> bool {
    value >= 1024 || (value >= 64 && name.is_some_and(fd_limit_name))
}

/// Names that say "the fd limit": `MAXFD`, `max_fd`, `OPEN_MAX`, `fd_max`, `NOFILE`...
pub fn fd_limit_name(name: &str) -> bool {
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
        "maxfiles",
        "maxopenfiles",
        "fdlimit",
        "fdcount",
    ]
    .iter()
    .any(|k| n.contains(k))
}
