use super::fd001_rlimit_close_loop::{Reach, reach};
use super::{Context, declare_rule};
use crate::cost::{self, LoopRuntime};
use crate::facts::{Facts, Lang};
use crate::finding::{Finding, Label, Severity};

declare_rule! {
    /// ## What it does
    /// Finds `os.closerange(lo, limit)` where the upper bound is the fd limit, in code that may
    /// run on a Python where `os.closerange` is still a loop: Python 2 and CPython < 3.10.
    /// The Python is the oldest the file may run on: configuration, the spawning parent's
    /// interpreter, Python 2 syntax, or the range the project declares (`requires-python`,
    /// `python_requires` and classifiers in `setup.py`/`setup.cfg`/`pyproject.toml`, the
    /// `tox.ini` envlist, `Pipfile`, `.python-version`, `runtime.txt`, `.tool-versions`).
    /// When nothing says which Python runs the code, the call is a note.
    ///
    /// ## Why is this bad?
    /// `os.closerange` looks like one call, but it is a plain `close()` loop in C over every
    /// number in the range (~0.2 s per million fds, measured on 2.7) on Python 2, on CPython
    /// <= 3.9, on PyPy (its `os.closerange` is RPython's `rposix.closerange`, a loop over
    /// `os.close`: `pypy/pypy` `rpython/rlib/rposix.py`), and on a CPython >= 3.10 built
    /// against a C library without `close_range` (glibc < 2.34, musl): `HAVE_CLOSE_RANGE` is
    /// a configure-time check (CPython `Python/fileutils.c` `_Py_closerange`, bpo-40423 /
    /// python/cpython#22651). At a limit of 1,073,741,816 that is minutes per call. CPython
    /// <= 3.9 is not history: Python 3.9 is the default `python3` of RHEL 9 for its whole life
    /// cycle (Red Hat, "Installing and using dynamic programming languages", RHEL 9, §1.1) and
    /// of Debian 11 (lists.debian.org/debian-gis/2020/10/msg00000.html). From CPython 3.10
    /// built with glibc >= 2.34 it is a single `close_range(2)` system call, and the same line
    /// is fine: the rule stays silent when every version the project declares is >= 3.10.
    /// Sources for each of these: docs/FACTS.md §2.3 and §2.5.
    ///
    /// A function of the same file that calls `os.closerange` on its own parameters
    /// (subprocess32's `@staticmethod def _closerange(fd_low, fd_high)`) is followed: each
    /// call of it whose arguments reach the limit (`self._closerange(start_fd, MAXFD)`) is
    /// reported at that call, naming the `os.closerange` inside.
    ///
    /// ## Example
    /// ```python
    /// # Python 2
    /// os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    /// ```
    ///
    /// Use instead, on every Python:
    /// ```python
    /// for name in os.listdir("/proc/self/fd"):  # only the fds that are open
    ///     ...
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix.
    ///
    /// ## Known problems
    /// PyPy and the C library CPython was built with cannot be told from the source: a project
    /// that declares only CPython >= 3.10 is trusted to run on a CPython with `close_range`.
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
    // The oldest version the file may run on that still loops; with no minor known, a note.
    let judged = ctx.python.worst_for(|v| v.major == 2 || v.below(3, 10));
    let unknown = judged.is_none() && ctx.python.minor_unknown();
    if judged.is_none() && !unknown {
        return;
    }
    for c in &facts.closeranges {
        let Some(Reach::Limit(source)) = reach(&c.bound) else {
            continue;
        };
        let nofile = ctx.settings.assume_nofile;
        let calls = nofile.saturating_sub(c.lower.unwrap_or(0));
        let listing = "close only the fds that are open: `for fd in [int(n) for n in \
                       os.listdir('/proc/self/fd')]` (Linux; `/dev/fd` on macOS and the BSDs)";
        // A same-file wrapper's call says what it calls.
        let callee = match &c.through {
            Some((name, _)) => format!("`{name}` calls `os.closerange`, which"),
            None => "`os.closerange`".to_string(),
        };
        let (severity, message, help, note) = match judged {
            Some(v) => (
                Severity::Error,
                format!(
                    "{callee} is a `close()` loop on this Python: {} calls up to {} at \
                     RLIMIT_NOFILE = {}, {} per call",
                    cost::count(calls),
                    source.describe(),
                    cost::count(nofile),
                    LoopRuntime::Native.time(calls)
                ),
                if v.major == 2 {
                    listing.to_string()
                } else {
                    format!(
                        "from CPython 3.10 (glibc >= 2.34) `os.closerange` is one \
                         `close_range(2)` call; on older versions {listing}"
                    )
                },
                format!("judged as {}", ctx.python.judged_at(v)),
            ),
            None => (
                Severity::Note,
                format!(
                    "{} is a `close()` loop on Python 2, CPython <= 3.9 (the default `python3` \
                     of RHEL 9 and Debian 11), PyPy, and CPython built against glibc < 2.34, \
                     where it makes {} calls at RLIMIT_NOFILE = {}, {} per call",
                    match &c.through {
                        Some((name, _)) => format!(
                            "`{name}` calls `os.closerange` up to {}, which",
                            source.describe()
                        ),
                        None => format!("`os.closerange` up to {}", source.describe()),
                    },
                    cost::count(calls),
                    cost::count(nofile),
                    LoopRuntime::Native.time(calls)
                ),
                format!(
                    "{listing}, which holds on every Python; or declare the versions the code \
                     runs on (`requires-python`, `python_requires`) if they are all CPython >= \
                     3.10"
                ),
                format!(
                    "judged as {}: nothing says which Python 3 runs it",
                    ctx.python.why
                ),
            ),
        };
        out.push(Finding {
            rule: &RULE,
            severity,
            span: c.span,
            span_label: format!("{} `close()` calls", cost::count(calls)),
            message,
            help,
            labels: {
                let mut labels = vec![Label {
                    span: c.bound.origin,
                    message: "limit read here".to_string(),
                }];
                if let Some((_, inner)) = &c.through {
                    labels.push(Label {
                        span: *inner,
                        message: "the `os.closerange` it calls".to_string(),
                    });
                }
                labels.sort_by_key(|l| l.span);
                labels
            },
            notes: vec![note],
            suppressed: false,
            baselined: false,
            fix: None,
        });
    }
}
