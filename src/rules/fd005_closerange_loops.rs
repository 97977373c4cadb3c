use super::fd001_rlimit_close_loop::{Reach, reach};
use super::{Context, declare_rule};
use crate::cost::{self, LoopRuntime};
use crate::facts::{Facts, Lang};
use crate::finding::{Finding, Label, Severity};

declare_rule! {
    /// ## What it does
    /// Finds `os.closerange(lo, limit)` where the upper bound is the fd limit, in code that runs
    /// on a Python where `os.closerange` is still a loop: Python 2 and CPython < 3.10.
    ///
    /// ## Why is this bad?
    /// `os.closerange` looks like one call, but before CPython 3.10 it is a plain `close()`
    /// loop in C over every number in the range (~0.2 s per million fds, measured on 2.7). At a
    /// limit of 1,073,741,816 that is minutes per call. From CPython 3.10 (built with
    /// glibc >= 2.34) it is a single `close_range(2)` system call, and the same line is fine:
    /// the rule stays silent for those targets.
    ///
    /// ## Example
    /// ```python
    /// # Python 2
    /// os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// for name in os.listdir("/proc/self/fd"):  # only the fds that are open
    ///     ...
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix.
    ///
    /// ## Known problems
    /// PyPy's `os.closerange` is a loop too, but PyPy cannot be told from CPython by the source;
    /// set `--python-version` to the CPython version PyPy is compatible with only if you accept
    /// that. CPython >= 3.10 built against a C library without `close_range` (glibc < 2.34,
    /// musl) still loops.
    pub static RULE = {
        code: "FD005",
        name: "closerange-loops",
        summary: "`os.closerange` up to the fd limit on a Python where it is still a loop",
        languages: &[Lang::Python],
        severity: Severity::Error,
    };
}

pub fn check(ctx: &Context, facts: &Facts, out: &mut Vec<Finding>) {
    if ctx.lang != Lang::Python {
        return;
    }
    let loops = ctx.python.python2 || ctx.python.version.is_some_and(|v| v.below(3, 10));
    if !loops {
        return;
    }
    for c in &facts.closeranges {
        let Some(Reach::Limit(source)) = reach(&c.bound) else {
            continue;
        };
        let nofile = ctx.settings.assume_nofile;
        let calls = nofile.saturating_sub(c.lower.unwrap_or(0));
        let help = if ctx.python.python2 {
            "close only the fds that are open: `for fd in [int(n) for n in \
             os.listdir('/proc/self/fd')]` (Linux; `/dev/fd` on macOS and the BSDs)"
        } else {
            "from CPython 3.10 (glibc >= 2.34) `os.closerange` is one `close_range(2)` call; on \
             older versions close only the fds listed in `/proc/self/fd`"
        };
        out.push(Finding {
            rule: &RULE,
            severity: Severity::Error,
            span: c.span,
            span_label: format!("{} `close()` calls", cost::count(calls)),
            message: format!(
                "`os.closerange` is a `close()` loop on this Python: {} calls up to {} at \
                 RLIMIT_NOFILE = {}, {} per call",
                cost::count(calls),
                source.describe(),
                cost::count(nofile),
                LoopRuntime::Native.time(calls)
            ),
            help: help.to_string(),
            labels: vec![Label {
                span: c.bound.origin,
                message: "limit read here".to_string(),
            }],
            notes: vec![format!("judged as {}", ctx.python.why)],
            suppressed: false,
            baselined: false,
            fix: None,
        });
    }
}
