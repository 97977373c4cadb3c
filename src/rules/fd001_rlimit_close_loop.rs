use super::{Context, declare_rule, is_limit_guess, is_probe_guess};
use crate::cost::{self, LoopRuntime};
use crate::edit::{Edit, Fix};
use crate::facts::{
    Bound, BoundKind, CloseLoop, CloserangeName, Container, Facts, FdAction, Lang, LimitSource,
    Span,
};
use crate::finding::{Finding, Label, Severity};

declare_rule! {
    /// ## What it does
    /// Finds loops that close (or set `FD_CLOEXEC` on, or `fstat`) every file descriptor number
    /// from 3 up to the process's fd limit, one call per number, where the bound comes from
    /// `getrlimit(RLIMIT_NOFILE)`, `sysconf(_SC_OPEN_MAX)`, `getdtablesize()`,
    /// `subprocess.MAXFD` or a constant that guesses the limit. In Python the close call and
    /// the limit's call are known by their names, also under another one a `from` import
    /// gives them (`from os import close as os_close`, `from os import sysconf as _sysconf`).
    ///
    /// ## Why is this bad?
    /// The loop's cost is the fd *limit*, not the number of open fds, and the limit belongs to
    /// the environment, not the code. Under systemd >= 240, `LimitNOFILE=infinity` (and Docker
    /// before v25, containerd before 2.0) hands processes a limit of 1,073,741,816: such a loop
    /// then makes a billion `close()` calls, ~2–5 minutes from C and ~10 minutes from a Python
    /// loop, for every process that runs it. In a real outage a Python 2 helper spawned for every
    /// request did exactly this after a host upgrade raised the hard limit, and Python 2's
    /// `range()` first built a ~32 GiB list, so the OOM killer took the children while the load
    /// stayed at 260 for hours. Nothing in the code had changed.
    ///
    /// A loop bounded by a literal guess (`range(3, 256)`, `MAXFD = 1024`) has the opposite
    /// problem: it is cheap, but every fd above the guess stays open. It is reported as a
    /// warning, and so is a probe loop over a guess of at least 1,024 (`os.fstat(fd)` or
    /// `fcntl(fd, F_GETFD)` for fd in `range(8192)`), or over a constant named like the limit:
    /// the fds it finds open are the ones the code goes on to close or pass on, and every fd
    /// above the guess is never looked at. A smaller literal probe is a bounded search.
    ///
    /// In Python, loops over what a helper returns count too: `for fd in get_open_fds():`
    /// over a helper whose every `return` is such a range is an error. A helper that lists the
    /// open fds (`/proc/self/fd`, `/dev/fd`) on some paths and returns a range of every fd up
    /// to the limit on others (gentoo portage's `get_open_fds()`, defined three ways, the last
    /// `return range(max_fd_limit)` where neither listing exists, and that one also on PyPy's
    /// `EAGAIN`) is a **warning** naming the fallback's lines: the loop is cheap where the
    /// listing works, which is most of the time, but a chroot or container without `/proc`
    /// turns it into the full sweep, and a reviewer would want that fallback made
    /// `os.closerange`. A fallback that is a small guess (`range(3, 256)`) is silent. Only a
    /// helper of the same file is judged this way; an imported helper whose returns mix a
    /// listing and a range is still taken for the fix. A loop over a name bound to such a range
    /// (`fds = range(0, maxfd)` then `for fd in fds:`) is a loop over the range.
    ///
    /// ## Example
    /// ```python
    /// maxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    /// if maxfd == resource.RLIM_INFINITY:
    ///     maxfd = 65536
    /// for fd in range(3, maxfd):
    ///     try:
    ///         os.close(fd)
    ///     except OSError:
    ///         pass
    /// ```
    /// ```ruby
    /// 3.upto(Process.getrlimit(:NOFILE).last) { |fd| IO.for_fd(fd).close rescue nil }
    /// ```
    /// ```rust
    /// let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } as i32;
    /// for fd in 3..max {
    ///     unsafe { libc::close(fd) };
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// os.closerange(3, maxfd)  # CPython >= 3.10: one close_range(2) call
    /// # Python 2 / CPython < 3.10: close only what is open
    /// for name in os.listdir("/proc/self/fd"):
    ///     ...
    /// # or, when the loop prepares a child: subprocess's close_fds=True (the default since 3.2)
    /// ```
    /// ```ruby
    /// # in the parent: spawn the child with close_others: true
    /// Open3.popen3("helper", close_others: true)
    /// ```
    /// ```rust
    /// // Linux >= 5.9; fall back to walking /proc/self/fd on ENOSYS
    /// unsafe { libc::syscall(libc::SYS_close_range, 3, u32::MAX, 0) };
    /// ```
    ///
    /// ## Fix safety
    /// Rust: a `for fd in lo..hi` loop whose body only calls `libc::close(fd)` and ignores the
    /// result is rewritten (in a block) into one `close_range(2)` system call over the same
    /// range (`libc::syscall(libc::SYS_close_range, lo, hi - 1, 0)`), keeping the loop as the
    /// fallback when the call fails (`ENOSYS` before Linux 5.9, a seccomp filter) and on other
    /// systems (`#[cfg(not(target_os = "linux"))]`); the fallback loop carries an
    /// `fdlint: ignore[FD001]` comment. The same fds are closed and errors are ignored as
    /// before, and the raw system call is async-signal-safe, so the fix also holds in a
    /// `pre_exec` closure. It is **unsafe** because the code must then build against a `libc`
    /// that defines `SYS_close_range` (libc >= 0.2.80 on Linux), and because a loop whose
    /// bound is read after a fork sees the same bound only if nothing changes it in between.
    ///
    /// Python: a `for fd in range(lo, hi)` or `while fd < hi` sweep up to the fd limit whose
    /// body is only `try: os.close(fd)` with one handler that catches `OSError` (or
    /// `EnvironmentError`, `os.error`, `Exception`, a bare `except:`, a tuple holding one of
    /// them) and does nothing becomes `os.closerange(lo, hi)` (`range(hi)` starts at 0,
    /// `while fd <= hi` ends at `hi + 1`, and a `while` loop starts at `fd`). It is **safe**:
    /// `os.closerange` closes the same numbers and ignores the same errors, and builds no list
    /// (on every Python; on CPython >= 3.10 with glibc >= 2.34 it is one `close_range(2)`
    /// call). It is not offered when the range has a step, the loop has an `else:` or a
    /// comment inside, the loop variable or the handler's `as` name is read after the loop, by
    /// a nested function or through `global`, when the handler does anything, when `range` may
    /// be rebound, or for a guessed bound (the warning is about the fds above the guess, which
    /// `closerange` would leave open too). `map(os.close, range(...))` in a `try` gets no fix:
    /// Python 2's `map` stops at the first fd that is not open and Python 3's is lazy and closes
    /// nothing, so `os.closerange` would close fds the original does not. One difference
    /// remains: a bound above 2,147,483,647 (macOS reports an unlimited hard limit as
    /// 2^63 - 1) makes the loop run practically for ever, and `os.closerange` raise
    /// `OverflowError`.
    ///
    /// Where `os.closerange` is itself a loop (Python 2, CPython < 3.10, PyPy, and code for
    /// which no Python 3 minor version is known, as FD005 judges), `--unsafe-fixes` applies a
    /// better alternative instead: a call of `_fdlint_close_open_fds(lo, hi)`, a helper added
    /// once per file before the first top-level statement holding such a sweep, which closes
    /// only the fds listed in `/proc/self/fd` (Linux) or `/dev/fd` (macOS) and falls back to
    /// `os.closerange` where there is no listing. It is **unsafe** because the listing is
    /// taken once: an fd another thread opens during the sweep is not closed, where the loop
    /// would have closed it if its number came later; and a `/dev/fd` or `/proc` that does not
    /// list every fd (a foreign `/proc` mounted in a chroot) would leave fds open. The report
    /// shows the safe fix; `--unsafe-fixes` applies the alternative in its place.
    ///
    /// Ruby: a `lo.upto(hi)`, `(lo..hi).each` or `hi.times` block whose body only closes the
    /// fd through an IO and swallows the error (`IO.for_fd(fd).close rescue nil`, a `begin`
    /// or `do` block with an empty `rescue` of `StandardError`, `SystemCallError` or
    /// `Errno::EBADF`) is rewritten to run the same block over the fds `/proc/self/fd` lists
    /// that lie in the range (`Dir.entries`, which every Ruby has), with the loop kept, under
    /// an `fdlint: ignore[FD001]` comment, as the fallback where `/proc` is missing. Skipping
    /// an fd that is not open is what the body did with it (it swallowed the `Errno::EBADF`).
    /// It is **unsafe** because the listing is taken once (an fd another thread opens during
    /// the sweep is not closed), because it adds a local variable `fdlint_fds`, and because the
    /// statement's value changes (the loop's was its receiver), which matters when it is the
    /// last statement of a method whose result is used.
    ///
    /// ## Known problems
    /// The bound is followed within one file only: a limit passed in as a parameter, or read in
    /// another module, is not seen. `libc::close_range` ties a Rust binary to glibc >= 2.34;
    /// prefer the raw syscall or the `close_fds` crate when the binary must run on older
    /// systems.
    pub static RULE = {
        code: "FD001",
        name: "rlimit-close-loop",
        summary: "loop closes every fd up to the fd limit, one call per fd",
        languages: &[Lang::Python, Lang::Ruby, Lang::Rust],
        severity: Severity::Error,
        reported: "error (warning if guessed)",
        fix: (crate::edit::Applicability::Safe, &[Lang::Python]),
            (crate::edit::Applicability::Unsafe, &[Lang::Ruby, Lang::Rust]),
    };
}

pub fn check(ctx: &Context, facts: &Facts, out: &mut Vec<Finding>) {
    for l in &facts.close_loops {
        if let Some(f) = judge(ctx, facts, l) {
            out.push(f);
        }
    }
}

/// The bound the loop really runs to at the assumed limit, and whether it is the limit itself.
pub(crate) enum Reach {
    /// Runs to the assumed fd limit.
    Limit(LimitSource),
    /// Stops at a guess (a literal, a constant, or `min(limit, N)`).
    Guess(u64),
    /// Runs to a bound named like the fd limit whose value fdlint cannot see.
    Unresolved,
}

pub(crate) fn reach(bound: &Bound) -> Option<Reach> {
    match (&bound.kind, bound.cap) {
        (BoundKind::Limit { source }, None) => Some(Reach::Limit(*source)),
        (BoundKind::Limit { .. }, Some(cap)) => {
            is_limit_guess(cap, None).then_some(Reach::Guess(cap))
        }
        (BoundKind::Guess { value, name }, _) => {
            is_limit_guess(*value, name.as_deref()).then_some(Reach::Guess(*value))
        }
        (BoundKind::Unresolved { .. }, _) => Some(Reach::Unresolved),
    }
}

fn runtime(lang: Lang) -> LoopRuntime {
    match lang {
        Lang::Python => LoopRuntime::Python,
        Lang::Ruby => LoopRuntime::Ruby,
        Lang::Rust => LoopRuntime::Native,
    }
}

fn judge(ctx: &Context, facts: &Facts, l: &CloseLoop) -> Option<Finding> {
    let reach = reach(&l.bound)?;
    if l.action == FdAction::Probe {
        match reach {
            // Probing below a bound fdlint cannot see leaks nothing it can name.
            Reach::Unresolved => return None,
            Reach::Guess(value) => {
                let name = match &l.bound.kind {
                    BoundKind::Guess { name, .. } => name.as_deref(),
                    _ => None,
                };
                if !is_probe_guess(value, name) {
                    return None;
                }
            }
            Reach::Limit(_) => {}
        }
    }
    let nofile = ctx.settings.assume_nofile;
    let lower = l.lower.unwrap_or(0);
    // `3.upto(n)` and `(3..n)` visit `n` too: one call more than `3...n`.
    let inclusive = facts.includes_end(l.span);
    let count_to = |end: u64| (end + u64::from(inclusive)).saturating_sub(lower);
    let call = format!("`{}`", l.action.syscall());
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    let (severity, message, span_label) = match reach {
        Reach::Limit(source) => {
            let calls = count_to(nofile);
            let mut message = format!(
                "loop calls {call} on every fd up to {}{}: {} calls at RLIMIT_NOFILE = {}, {} per \
                 run",
                if inclusive { "and including " } else { "" },
                source.describe(),
                cost::count(calls),
                cost::count(nofile),
                runtime(ctx.lang).time(calls)
            );
            // The incident's shape: the loop's own `range()` is a list under Python 2.
            if let Some(list) = own_python2_list(ctx, facts, l) {
                message.push_str(&format!(
                    ", after `range()` has built a {} list of every fd number under Python 2",
                    cost::bytes(
                        cost::bytes_per_element(Container::Python2Range, true) * list as f64
                    )
                ));
                notes.push(format!("judged as {}", ctx.python.why));
            }
            labels.push(Label {
                span: l.bound.origin,
                message: match source {
                    _ if l.bound.elsewhere.is_some() => {
                        "holds the limit (see the note)".to_string()
                    }
                    LimitSource::GetrlimitHard => "hard limit read here".to_string(),
                    LimitSource::GetrlimitSoft => "soft limit read here".to_string(),
                    _ => "limit read here".to_string(),
                },
            });
            if !source.is_hard() {
                notes.push(
                    "the soft limit is often 1024, but services started with \
                     `LimitNOFILE=infinity` and containers under Docker < 25 get 1,073,741,816 \
                     for both limits"
                        .to_string(),
                );
            }
            // A helper that lists the open fds and returns the range only as its fallback
            // (portage's `get_open_fds()`): the loop sweeps only where the fallback runs.
            let severity = match facts.fallback_ranges.iter().find(|f| f.loop_span == l.span) {
                Some(f) => {
                    let lines: Vec<String> = f
                        .returns
                        .iter()
                        .map(|r| ctx.index.line_col(ctx.text, r.start).line.to_string())
                        .collect();
                    message.push_str(&format!(
                        ", where `{}()` returns its fallback range instead of the open fds",
                        f.helper
                    ));
                    for r in &f.returns {
                        labels.push(Label {
                            span: *r,
                            message: "fallback: every fd up to the limit".to_string(),
                        });
                    }
                    notes.push(format!(
                        "`{}()` lists the open fds on some paths; its `return` of a range of \
                         every fd ({} {}) runs where that listing is missing or fails (no \
                         `/proc/self/fd` or `/dev/fd`: a chroot or container without /proc, \
                         some BSDs): make that fallback `os.closerange(lo, limit)` (one \
                         `close_range(2)` call on CPython >= 3.10) rather than a loop",
                        f.helper,
                        if lines.len() == 1 { "line" } else { "lines" },
                        lines.join(", ")
                    ));
                    Severity::Warning
                }
                None => Severity::Error,
            };
            (
                severity,
                message,
                format!("{} {call} calls", cost::count(calls)),
            )
        }
        Reach::Guess(value) => {
            let calls = count_to(value);
            let what = match (&l.bound.kind, &l.bound.via) {
                (BoundKind::Limit { source }, _) => {
                    format!("{} capped at {}", source.describe(), cost::count(value))
                }
                (BoundKind::Guess { name: Some(n), .. }, _) => {
                    format!("`{n}` = {}, a guess of the fd limit", cost::count(value))
                }
                _ => format!("{}, a guess of the fd limit", cost::count(value)),
            };
            labels.push(Label {
                span: l.bound.origin,
                message: "guessed limit".to_string(),
            });
            (
                Severity::Warning,
                format!(
                    "loop calls {call} on each fd {} {what}: fds {} {} are never {} when the real \
                     limit is higher",
                    if inclusive {
                        "up to and including"
                    } else {
                        "below"
                    },
                    if inclusive { "above" } else { "at or above" },
                    cost::count(value),
                    match l.action {
                        FdAction::SetCloexec => "marked close-on-exec",
                        // A probe that lists the open fds misses every fd above the guess.
                        FdAction::Probe => "looked at",
                        _ => "closed",
                    }
                ),
                format!("{} {call} calls", cost::count(calls)),
            )
        }
        Reach::Unresolved => {
            let written = ctx
                .text
                .get(l.bound.origin.start..l.bound.origin.end)
                .filter(|t| t.len() <= 60 && !t.contains('\n'));
            let name = match (&l.bound.kind, written) {
                (_, Some(t)) => t.to_string(),
                (BoundKind::Unresolved { name }, None) => name.clone(),
                _ => "the bound".to_string(),
            };
            labels.push(Label {
                span: l.bound.origin,
                message: "named like the fd limit; its value is set out of sight".to_string(),
            });
            // Where fdlint looked: Rust's crate index, Python's imported project modules.
            let looked = match ctx.lang {
                Lang::Python => "file or the project modules it imports",
                _ => "file or its crate",
            };
            notes.push(format!(
                "fdlint found no assignment, caller or definition of this bound in the \
                 {looked}; if it holds RLIMIT_NOFILE, the loop makes one call per possible fd, \
                 up to 1,073,741,816 under `LimitNOFILE=infinity`"
            ));
            (
                Severity::Warning,
                format!(
                    "loop calls {call} on every fd below `{name}`, which reads as the fd limit \
                     but whose value fdlint cannot resolve"
                ),
                format!("one {call} call per fd below `{name}`"),
            )
        }
    };
    if let Some(w) = &l.bound.elsewhere {
        notes.insert(0, w.clone());
    }
    for fb in &l.bound.fallbacks {
        labels.push(Label {
            span: fb.span,
            message: format!("fallback bound {}", cost::count(fb.value)),
        });
    }
    if l.action_span != l.span {
        labels.push(Label {
            span: l.action_span,
            message: format!("one {call} per fd"),
        });
    }
    if matches!(reach, Reach::Limit(_)) && nofile == cost::DEFAULT_ASSUMED_NOFILE {
        notes.push(
            "costs assume RLIMIT_NOFILE = 1,073,741,816, what systemd >= 240 hands out for \
             `LimitNOFILE=infinity`; set another value with --assume-nofile"
                .to_string(),
        );
    }
    // The fix depends on the Python version: say which one the finding assumed.
    if ctx.lang == Lang::Python && !notes.iter().any(|n| n.starts_with("judged as")) {
        notes.push(format!("judged as {}", ctx.python.why));
    }
    if !ctx.links.parents.is_empty() {
        notes.insert(
            0,
            format!(
                "this script is started by {}: have the parent close fds for it instead \
                 (`close_others: true` in Ruby, `close_fds=True` in Python) and remove this loop",
                ctx.links.parents.join(", ")
            ),
        );
    }
    labels.sort_by_key(|l| l.span);
    labels.dedup_by_key(|l| l.span);
    Some(Finding {
        rule: &RULE,
        severity,
        span: l.span,
        span_label,
        message,
        help: help(ctx, l.action),
        labels,
        notes,
        suppressed: false,
        baselined: false,
        fix: rust_close_range_fix(ctx, facts, l)
            .or_else(|| sweep_fix(ctx, facts, l))
            .or_else(|| ruby_sweep_fix(ctx, facts, l)),
    })
}

/// Ruby: a block sweep whose body only closes the fd and swallows the error runs the same
/// block over the fds `/proc/self/fd` lists that are in the loop's range, and keeps the loop
/// (suppressed) as the fallback where there is no `/proc`. Unsafe: see `## Fix safety`.
fn ruby_sweep_fix(ctx: &Context, facts: &Facts, l: &CloseLoop) -> Option<Fix> {
    if ctx.lang != Lang::Ruby || !matches!(reach(&l.bound), Some(Reach::Limit(_))) {
        return None;
    }
    let s = facts.sweep_loops.iter().find(|s| s.header == l.span)?;
    let text = |sp: Span| ctx.text.get(sp.start..sp.end);
    // Parenthesised unless a single token, so the range reads as written.
    let operand = |t: &str| {
        if t.chars()
            .all(|c| c.is_alphanumeric() || "_.:[]()@".contains(c))
        {
            t.to_string()
        } else {
            format!("({t})")
        }
    };
    let lo = match s.lower {
        Some(sp) => operand(text(sp)?),
        None => "0".to_string(),
    };
    let hi = operand(text(s.upper)?);
    let op = if s.inclusive { ".." } else { "..." };
    let statement = text(s.statement)?;
    let block = ctx.text.get(s.header.end..s.statement.end)?.trim_start();
    let line_start = ctx.text[..s.statement.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let ind: String = ctx.text[line_start..s.statement.start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let deeper = |t: &str| t.replace('\n', "\n  ");
    let new = format!(
        "if (fdlint_fds = (Dir.entries(\"/proc/self/fd\") rescue nil))\n\
         {ind}  # Close only the fds that are open (Linux); the loop is the fallback without /proc.\n\
         {ind}  fdlint_fds.grep(/\\A\\d+\\z/).map(&:to_i).grep({lo}{op}{hi}).each {}\n\
         {ind}else\n\
         {ind}  # fdlint: ignore[FD001] -- the fallback where /proc/self/fd is missing\n\
         {ind}  {}\n\
         {ind}end",
        deeper(block),
        deeper(statement),
    );
    Some(Fix::unsafe_edits(
        "close only the open fds (from `/proc/self/fd`), the loop as the fallback",
        vec![Edit::replacement(s.statement, new)],
    ))
}

/// The name of the helper the unsafe Python fix adds (once per file).
pub(crate) const PY_HELPER: &str = "_fdlint_close_open_fds";

/// The helper the unsafe Python fix inserts at module level: it closes only the fds that are
/// open, listed from `/proc/self/fd` (Linux) or `/dev/fd` (macOS, where it lists every open
/// fd), and falls back to `os.closerange` elsewhere. Its own `closerange` is bounded by a
/// parameter, which fdlint does not follow, so fixing converges.
const PY_HELPER_DEF: &str = r#"def _fdlint_close_open_fds(lo, hi):
    """Close the open fds in range(lo, hi), ignoring errors, as os.closerange does.

    The fds are listed from /proc/self/fd (Linux) or /dev/fd (macOS), so this costs one
    close() per open fd instead of one per number up to the fd limit; elsewhere, and where the
    listing is missing (no /proc in a chroot or container), it is os.closerange. Added by
    `fdlint check --fix --unsafe-fixes` (FD001).
    """
    import os
    import sys

    for listing in ("/proc/self/fd", "/dev/fd"):
        if listing == "/dev/fd" and sys.platform != "darwin":
            continue
        try:
            names = os.listdir(listing)
        except OSError:
            continue
        for name in names:
            fd = int(name)
            if lo <= fd < hi:
                try:
                    os.close(fd)
                except OSError:
                    pass
        return
    os.closerange(lo, hi)


"#;

/// Python: a sweep whose body only closes the fd and ignores the error becomes
/// `os.closerange(lo, hi)` (safe: the same fds are closed and errors ignored the same way).
/// Where `os.closerange` is itself a loop (Python 2, CPython < 3.10, PyPy, or no minor
/// version known), the unsafe alternative calls a helper that closes only the open fds.
fn sweep_fix(ctx: &Context, facts: &Facts, l: &CloseLoop) -> Option<Fix> {
    // A guessed bound's warning is about the fds above the guess, which `closerange` over the
    // same numbers would leave open too: rewriting it would only hide the warning.
    if ctx.lang != Lang::Python || !matches!(reach(&l.bound), Some(Reach::Limit(_))) {
        return None;
    }
    let s = facts.sweep_loops.iter().find(|s| s.header == l.span)?;
    let text = |sp: Span| ctx.text.get(sp.start..sp.end);
    let lo = match s.lower {
        Some(sp) => text(sp)?.to_string(),
        None => "0".to_string(),
    };
    let hi = if s.inclusive {
        format!("{} + 1", text(s.upper)?)
    } else {
        text(s.upper)?.to_string()
    };
    // A comment that ended the header's line ends the new call's.
    let comment = match s.comment {
        Some(c) => format!("  {}", text(c)?.trim_end()),
        None => String::new(),
    };
    let mut edits = Vec::new();
    let callee = match s.closerange.as_ref()? {
        CloserangeName::Module { alias } => format!("{alias}.closerange"),
        CloserangeName::Name { name } => name.clone(),
        CloserangeName::Import { after, indent } => {
            edits.push(Edit::insertion(
                *after,
                format!("\n{indent}from os import closerange"),
            ));
            "closerange".to_string()
        }
    };
    edits.push(Edit::replacement(
        s.statement,
        format!("{callee}({lo}, {hi}){comment}"),
    ));
    let safe = Fix::safe(
        format!("replace the loop with `{callee}({lo}, {hi})`"),
        edits,
    );
    let loops_here = ctx
        .python
        .worst_for(|v| v.major == 2 || v.below(3, 10))
        .is_some()
        || ctx.python.minor_unknown();
    if !loops_here {
        return Some(safe);
    }
    let mut alt = Vec::new();
    if !ctx.text.contains(&format!("def {PY_HELPER}(")) {
        // Every sweep's alternative inserts the helper at the same place, before the first
        // top-level statement holding a sweep: one insertion wins a pass, and the others see
        // the helper in the next.
        let at = facts.sweep_loops.iter().map(|s| s.top_level).min()?;
        alt.push(Edit::insertion(at, PY_HELPER_DEF));
    }
    alt.push(Edit::replacement(
        s.statement,
        format!("{PY_HELPER}({lo}, {hi}){comment}"),
    ));
    Some(safe.with_unsafe_alternative(Fix::unsafe_edits(
        format!(
            "close only the open fds in range({lo}, {hi}) (from `/proc/self/fd`), with \
             `os.closerange` as the fallback"
        ),
        alt,
    )))
}

/// Rust: `for fd in lo..hi { libc::close(fd); }` becomes one `close_range(2)` system call,
/// with the loop kept as the fallback where the call fails (`ENOSYS` before Linux 5.9, or a
/// seccomp filter) and on other systems. The fallback loop carries a suppression comment: it is
/// the acknowledged slow path, and a second `--fix` must find nothing to do.
fn rust_close_range_fix(ctx: &Context, facts: &Facts, l: &CloseLoop) -> Option<Fix> {
    if ctx.lang != Lang::Rust {
        return None;
    }
    let p = facts
        .plain_close_loops
        .iter()
        .find(|p| p.header == l.span)?;
    let text = |s: Span| ctx.text.get(s.start..s.end);
    let (var, lo, hi, body) = (text(p.var)?, text(p.lower)?, text(p.upper)?, text(p.body)?);
    if matches!(var, "lo" | "hi" | "swept") {
        return None;
    }
    let line_start = ctx.text[..p.statement.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let ind: String = ctx.text[line_start..p.statement.start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let (cmp, last, range) = if p.inclusive {
        ("<=", "hi", "..=")
    } else {
        ("<", "hi - 1", "..")
    };
    let body = body.replace('\n', "\n        ");
    let new = format!(
        "{{\n\
         {ind}    // One close_range(2) call (Linux >= 5.9) instead of one close() per fd; the\n\
         {ind}    // loop is the fallback where the call fails (ENOSYS) or does not exist.\n\
         {ind}    let (lo, hi) = ({lo}, {hi});\n\
         {ind}    #[cfg(target_os = \"linux\")]\n\
         {ind}    let swept = lo {cmp} hi\n\
         {ind}        && unsafe {{\n\
         {ind}            libc::syscall(\n\
         {ind}                libc::SYS_close_range,\n\
         {ind}                lo as libc::c_uint,\n\
         {ind}                libc::c_uint::try_from({last}).unwrap_or(libc::c_uint::MAX),\n\
         {ind}                0 as libc::c_uint,\n\
         {ind}            )\n\
         {ind}        }} == 0;\n\
         {ind}    #[cfg(not(target_os = \"linux\"))]\n\
         {ind}    let swept = false;\n\
         {ind}    if !swept {{\n\
         {ind}        // fdlint: ignore[FD001] -- the fallback where close_range(2) is missing\n\
         {ind}        for {var} in lo{range}hi {body}\n\
         {ind}    }}\n\
         {ind}}}"
    );
    Some(Fix::unsafe_edits(
        "close the range with one `close_range(2)` call, the loop as its fallback",
        vec![Edit::replacement(p.statement, new)],
    ))
}

/// The element count of the loop's own Python 2 list, when the loop iterates a bare `range()`
/// that is an fd range of the file and the file is judged as Python 2.
pub(crate) fn own_python2_list(ctx: &Context, facts: &Facts, l: &CloseLoop) -> Option<u64> {
    if ctx.lang != Lang::Python || !ctx.python.python2 {
        return None;
    }
    facts
        .fd_ranges
        .iter()
        .find(|r| r.container == Container::Python2Range && facts.range_heads_loop(r.span, l.span))
        .map(|r| {
            ctx.settings
                .assume_nofile
                .saturating_sub(r.lower.unwrap_or(0))
        })
}

/// The concrete fix for the file's language, runtime version and what the loop does.
fn help(ctx: &Context, action: FdAction) -> String {
    match ctx.lang {
        Lang::Python => {
            let walk = "walk the fds that are open instead: `for fd in [int(n) for n in \
                        os.listdir('/proc/self/fd')]` (Linux; `/dev/fd` on macOS and the BSDs)";
            match (action, &ctx.python) {
                (FdAction::SetCloexec, _) => format!(
                    "{walk}, and set the flag on those; when this prepares a child process, let \
                     `subprocess` close the fds instead (`close_fds=True`, `pass_fds=` for the \
                     ones the child needs)"
                ),
                (FdAction::Probe, _) => format!("{walk}: the listing already says which are open"),
                (_, t) if t.python2 => format!(
                    "{walk}; on Python 2, `os.closerange()` is still a `close()` loop (in C, \
                     ~0.2 s per million fds) and `subprocess`'s `close_fds=True` loops too, so \
                     the listing is the fix; `xrange()` at least avoids the list"
                ),
                (_, t) if t.worst_for(|v| v.below(3, 10)).is_some() => format!(
                    "{walk}; `os.closerange()` only becomes a single `close_range(2)` call from \
                     CPython 3.10"
                ),
                _ => "replace the loop with `os.closerange(3, maxfd)`, a single `close_range(2)` \
                      call on CPython >= 3.10 built with glibc >= 2.34; when the loop prepares \
                      a child process, drop it: `subprocess` closes inherited fds itself \
                      (`close_fds=True`, the default since 3.2; `pass_fds=` keeps the ones the \
                      child needs)"
                    .to_string(),
            }
        }
        Lang::Ruby if action == FdAction::Probe => "walk the fds that are open instead: \
             `Dir.children('/proc/self/fd').map(&:to_i)` (Linux; `/dev/fd` elsewhere): the \
             listing already says which are open"
            .to_string(),
        Lang::Rust if action == FdAction::Probe => "walk the fds that are open instead: read \
             `/proc/self/fd` (Linux; `/dev/fd` on macOS and the BSDs) with `std::fs::read_dir`: \
             the listing already says which are open"
            .to_string(),
        Lang::Ruby => "close only the fds that are open: \
             `Dir.children('/proc/self/fd').map(&:to_i)` (Linux; `/dev/fd` elsewhere); better, \
             drop the loop and have the parent spawn this process with `close_others: true`, \
             which marks only the fds Ruby knows about instead of looping to the limit"
            .to_string(),
        Lang::Rust => {
            let flag = if action == FdAction::SetCloexec {
                "libc::CLOSE_RANGE_CLOEXEC (Linux >= 5.11)"
            } else {
                "0"
            };
            format!(
                "make one `close_range(2)` call instead: `libc::syscall(libc::SYS_close_range, 3, \
                 u32::MAX, {flag})` (Linux >= 5.9; on ENOSYS walk `/proc/self/fd`), or use the \
                 `close_fds` crate; `libc::close_range` would tie the binary to glibc >= 2.34, \
                 and a `pre_exec` hook must not allocate, so read `/proc/self/fd` before forking"
            )
        }
    }
}
