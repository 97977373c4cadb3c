use super::fd001_rlimit_close_loop::{Reach, own_python2_list, reach};
use super::{Context, declare_rule};
use crate::cost;
use crate::edit::{Edit, Fix};
use crate::facts::{Container, Facts, FdRange, Lang};
use crate::finding::{Finding, Label, Severity};

declare_rule! {
    /// ## What it does
    /// Finds containers that hold one element for every fd number up to the fd limit: Python 2
    /// `range(...)` (a list), `list(range(...))` / `set(range(...))` in any Python, Ruby
    /// `(3..max).to_a`, Rust `(3..max).collect::<Vec<_>>()`.
    ///
    /// ## Why is this bad?
    /// The container's size is the fd limit. At 1,073,741,816 (systemd's value for
    /// `LimitNOFILE=infinity`) a Python 2 `range()` needs ~32.6 GiB (32.6 bytes per element,
    /// measured on CPython 2.7.18) before the first fd is touched, and the process dies in
    /// `MemoryError` or the OOM killer. This is how the incident behind fdlint used 32 GB per
    /// child.
    ///
    /// When the container is the header of a loop that FD001 reports, FD001's finding carries
    /// the memory cost and this rule stays silent, so one loop gives one finding.
    ///
    /// ## Example
    /// ```python
    /// # Python 2
    /// for fd in range(3, resource.getrlimit(resource.RLIMIT_NOFILE)[1]):
    ///     ...
    /// open_fds = set(range(0, hard))
    /// ```
    /// ```ruby
    /// fds = (3..Process.getrlimit(:NOFILE)[1]).to_a
    /// ```
    /// ```rust
    /// let fds: Vec<i32> = (3..max).collect();
    /// ```
    ///
    /// Use instead: iterate lazily (`xrange`, `(3..max).each`, an iterator), or better, list
    /// the fds that are open (`/proc/self/fd`).
    ///
    /// ## Fix safety
    /// Python 2: a `range(...)` that a `for` statement or a comprehension's `for` iterates
    /// directly becomes `xrange(...)`, which yields the same numbers one at a time instead of
    /// building the list first. The fix is **safe**: the loop sees the same values in the same
    /// order, and nothing else sees the container. It is offered only when the file runs on
    /// Python 2 alone (Python 2 syntax, a `python2` shebang or parent, or a declared range
    /// without any 3.x: Python 3 has no `xrange`), when the file never rebinds `range` or
    /// `xrange`, and not for a `range()` that is kept in a variable, passed on, or built into
    /// another container. `xrange` takes C `long` bounds: on a 32-bit Python 2 a bound above
    /// 2,147,483,647 raises `OverflowError`, where `range` would first try to build a list of
    /// two billion elements and fail with `MemoryError`.
    ///
    /// ## Known problems
    /// Python 2 is recognised by its syntax (print statements, `except X, e`, backticks, `0777`,
    /// `10L`, `<>`) or a `python2` shebang, set with `--python-version`, or declared by the
    /// project (any 2.x in `python_requires`/`requires-python`, the classifiers, the `tox.ini`
    /// envlist, `Pipfile`, `.python-version`, `runtime.txt` or `.tool-versions`); 2/3-compatible
    /// code without any of these is judged as Python 3.
    pub static RULE = {
        code: "FD002",
        name: "fd-range-materialized",
        summary: "container holds every fd number up to the fd limit",
        languages: &[Lang::Python, Lang::Ruby, Lang::Rust],
        severity: Severity::Error,
        fix: (crate::edit::Applicability::Safe, &[Lang::Python]),
    };
}

pub fn check(ctx: &Context, facts: &Facts, out: &mut Vec<Finding>) {
    for r in &facts.fd_ranges {
        if r.container == Container::Python2Range
            && !(ctx.lang == Lang::Python && ctx.python.python2)
        {
            continue;
        }
        // Only the real limit makes a container dangerous; a guessed bound is small.
        let Some(Reach::Limit(source)) = reach(&r.bound) else {
            continue;
        };
        if folded_into_fd001(ctx, facts, r) {
            continue;
        }
        // `(3..max).to_a` holds `max` too.
        let inclusive = facts.includes_end(r.span);
        let n = (ctx.settings.assume_nofile + u64::from(inclusive))
            .saturating_sub(r.lower.unwrap_or(0));
        let python2 = ctx.lang == Lang::Python && ctx.python.python2;
        let size = cost::bytes(cost::bytes_per_element(r.container, python2) * n as f64);
        let (what, per, help) = describe(r.container, python2);
        let mut notes = Vec::new();
        if r.container == Container::Python2Range {
            notes.push(format!("judged as {}", ctx.python.why));
        }
        out.push(Finding {
            rule: &RULE,
            severity: Severity::Error,
            span: r.span,
            span_label: format!("{} elements, {size}", cost::count(n)),
            message: format!(
                "{what} holds every fd number up to {}{}: {} elements at RLIMIT_NOFILE = {}, \
                 {size} ({per})",
                if inclusive { "and including " } else { "" },
                source.describe(),
                cost::count(n),
                cost::count(ctx.settings.assume_nofile),
            ),
            help: help.to_string(),
            labels: vec![Label {
                span: r.bound.origin,
                message: "limit read here".to_string(),
            }],
            notes,
            suppressed: false,
            baselined: false,
            fix: xrange_fix(ctx, facts, r),
        });
    }
}

/// Python 2: a `range()` that a `for` iterates directly becomes `xrange()`, which yields the
/// same numbers without building the list. Only when the file runs on Python 2 alone: Python 3
/// has no `xrange`.
fn xrange_fix(ctx: &Context, facts: &Facts, r: &FdRange) -> Option<Fix> {
    if r.container != Container::Python2Range
        || !ctx.python.python2
        || ctx.python.worst_for(|v| v.major >= 3).is_some()
    {
        return None;
    }
    let it = facts.iterated_ranges.iter().find(|i| i.range == r.span)?;
    Some(Fix::safe(
        "iterate `xrange()` instead of building the `range()` list",
        vec![Edit::replacement(it.name, "xrange")],
    ))
}

/// A bare Python 2 `range()` that is the header of a loop FD001 reports (inline, or bound to
/// the name the loop iterates) is part of that finding.
fn folded_into_fd001(ctx: &Context, facts: &Facts, r: &FdRange) -> bool {
    r.container == Container::Python2Range
        && facts.close_loops.iter().any(|l| {
            facts.range_heads_loop(r.span, l.span)
                && matches!(reach(&l.bound), Some(Reach::Limit(_)))
                && own_python2_list(ctx, facts, l).is_some()
        })
}

fn describe(c: Container, python2: bool) -> (&'static str, &'static str, &'static str) {
    match c {
        // Measured on CPython 2.7.18 (docs/FACTS.md §8, `cost::PY2_LIST_BYTES`/`PY2_SET_BYTES`).
        Container::PythonList if python2 => (
            "the list",
            "33 bytes per element under Python 2",
            "iterate `xrange()` lazily instead of building a list, or better, list the fds \
             that are open: `os.listdir('/proc/self/fd')`",
        ),
        Container::PythonSet if python2 => (
            "the set",
            "56 bytes per element under Python 2",
            "test membership against the bounds (`lo <= fd < hi`), or list the fds that are \
             open: `os.listdir('/proc/self/fd')`",
        ),
        Container::Python2Range => (
            "`range()` builds a list that",
            "32.6 bytes per element under Python 2",
            "use `xrange()`, or better, list the fds that are open: \
             `os.listdir('/proc/self/fd')` (Linux; `/dev/fd` elsewhere)",
        ),
        Container::PythonList => (
            "the list",
            "40 bytes per element on 64-bit CPython 3",
            "iterate the `range()` lazily instead of building a list, or better, list the fds \
             that are open: `os.listdir('/proc/self/fd')`",
        ),
        Container::PythonSet => (
            "the set",
            "67 bytes per element on 64-bit CPython 3",
            "test membership against the `range()` itself (`fd in range(lo, hi)` is O(1)), or \
             list the fds that are open: `os.listdir('/proc/self/fd')`",
        ),
        Container::RubyArray => (
            "`to_a` builds an array that",
            "8 bytes per element",
            "iterate the range lazily (`(3...max).each`), or better, list the fds that are \
             open: `Dir.children('/proc/self/fd')`",
        ),
        Container::RustVec => (
            "`collect()` builds a `Vec` that",
            "at least 4 bytes per element",
            "iterate the range lazily, or better, read the open fds from `/proc/self/fd` or \
             make one `close_range(2)` call",
        ),
    }
}
