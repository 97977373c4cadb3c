use super::{Context, declare_rule};
use crate::cost::{self, LoopRuntime};
use crate::facts::{Facts, FdOption, Lang, Python3Only, SpawnApi, SpawnCall};
use crate::finding::{Finding, Label, Severity};

declare_rule! {
    /// ## What it does
    /// Finds Python calls that start a child process which inherits the parent's fds, judged
    /// for the Python version the code runs on:
    /// - `subprocess.Popen/call/check_call/check_output/run` with `close_fds=False`;
    /// - in Python 2 code, `subprocess` calls that rely on the Python 2 default
    ///   (`close_fds=False`), `os.popen`, and always `os.popen2/3/4`, `popen2.*` and
    ///   `commands.getoutput/getstatusoutput` (Python 2 only APIs);
    /// - in Python 2 code, `close_fds=True`, which itself loops `close()` over every fd up to
    ///   `SC_OPEN_MAX` in the child.
    ///
    /// ## Why is this bad?
    /// Inherited fds keep pipes and sockets open in children (a peer never sees EOF) and leak
    /// into programs that should not see them. Children that fear such leaks sweep every fd up
    /// to the limit themselves, which is what the incident behind fdlint did. On Python 3.4+
    /// fds Python creates are non-inheritable (PEP 446), so `close_fds=False` only leaks fds
    /// made inheritable on purpose or created by C extensions: a note. On Python 2 every fd is
    /// inheritable: a warning. And on Python 2, `close_fds=True` closes fds with a loop in C up
    /// to `SC_OPEN_MAX`: at a limit of 1,073,741,816 that is minutes per spawn.
    ///
    /// ## Example
    /// ```python
    /// subprocess.Popen(["helper"], close_fds=False)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// subprocess.Popen(["helper"], pass_fds=(log_fd,))  # close_fds=True is the default on 3.2+
    /// ```
    /// On Python 2, use the `subprocess32` backport, which closes only the fds that are open
    /// (its calls are judged like Python 3's: only `close_fds=False` is reported).
    ///
    /// ## Fix safety
    /// No automatic fix: a child may rely on an inherited fd; keep it with `pass_fds=`.
    ///
    /// `close_fds=<variable>` and `**options` are followed through the function's data flow
    /// (`close_fds = False` on one path, `kwargs["close_fds"] = False`, `dict(close_fds=False)`,
    /// `kw.update(...)`, a same-file helper returning the options): a path that reaches the
    /// call with `False` is reported at the assignment that set it. Code that runs only on
    /// Windows (`if sys.platform == "win32":`, the `else:` of `if os.name == "posix":`, the
    /// rest of a function after `if os.name != "nt": return`) is not judged, and a value that
    /// is `False` only there does not count (`close_fds = sys.platform != "win32"` is `True`
    /// on POSIX).
    ///
    /// A call that can only run on Python 3 (`subprocess.run`, `subprocess.DEVNULL`, or a
    /// keyword argument Python 2 lacks: `timeout=`, `pass_fds=`, `start_new_session=`,
    /// `capture_output=`, `text=`, ...) is judged at the Python 3 version it needs, even when
    /// the project's range includes Python 2. The `subprocess32` backport, which has those on
    /// Python 2 and closes fds by default, is judged like Python 3, also when it is bound to
    /// the name `subprocess` (`import subprocess32 as subprocess`, `subprocess = subprocess32`,
    /// a `try:` import of it with the standard module as the fallback). Module aliases
    /// (`import subprocess as sp`) and functions imported under another name (`from subprocess
    /// import Popen as P`, `from os import closerange as cr`) are followed: a call is judged by
    /// the API it resolves to (`import os as o; o.popen(..)` is `os.popen`, fine on Python 3),
    /// and the message names both (`` `run_shell` (`os.popen`) ``).
    ///
    /// ## Known problems
    /// A parameter is judged by its default when that is a literal (`def __init__(...,
    /// close_fds=True)` on Python 2 loops to SC_OPEN_MAX wherever callers omit it); what
    /// callers pass, a default that is not a literal, options passed in from a caller or built
    /// in another module, and a value fdlint cannot read are not reported.
    /// Python 2 is recognised by configuration, the spawning parent's interpreter, Python 2
    /// syntax or a `python2` shebang, or the project's declared range when it includes any 2.x
    /// (`python_requires`, classifiers, the `tox.ini` envlist, `Pipfile`, `.python-version`,
    /// `runtime.txt`, `.tool-versions`): such code is judged at its oldest version.
    pub static RULE = {
        code: "FD004",
        name: "popen-inherits-fds",
        summary: "Python child process inherits the parent's fds (or, on Python 2, loops to close them)",
        languages: &[Lang::Python],
        severity: Severity::Warning,
        reported: "warning (note on Python 3)",
    };
}

pub fn check(ctx: &Context, facts: &Facts, out: &mut Vec<Finding>) {
    if ctx.lang != Lang::Python {
        return;
    }
    for s in &facts.spawns {
        let floor = facts.python3_only.iter().find(|p| p.call == s.span);
        if let Some(f) = judge(ctx, s, floor) {
            out.push(f);
        }
    }
}

const SUBPROCESS32: &str = "on Python 2, use the `subprocess32` backport (`subprocess32.Popen(..., \
                            close_fds=True)` closes only the fds that are open), or upgrade to \
                            Python 3, where `close_fds=True` is the default and cheap";

fn judge(ctx: &Context, s: &SpawnCall, floor: Option<&Python3Only>) -> Option<Finding> {
    // A call that needs Python 3 (`subprocess.run`, `timeout=`, `subprocess.DEVNULL`) never
    // runs on Python 2, where the default is `close_fds=False`: it is judged at the oldest
    // Python 3 it runs on, whatever older versions the project's range also holds.
    let needs_python3 = floor.filter(|_| ctx.python.python2);
    let py2 = ctx.python.python2 && needs_python3.is_none();
    let callee = s.named();
    let child = ctx.links.child_of(s.span);
    let mut labels = Vec::new();
    let (mut severity, message, help, span_label) = match (s.api, s.close_option) {
        (SpawnApi::PyLegacyPopen | SpawnApi::PyOsPopen, _) => {
            // `os.popen` is `subprocess.Popen` with its defaults on Python 3.
            if !py2 && s.api == SpawnApi::PyOsPopen {
                return None;
            }
            (
                Severity::Warning,
                format!(
                    "{callee} starts a child through a shell that inherits every open fd \
                     (Python 2 creates inheritable fds)"
                ),
                format!("use `subprocess` with `close_fds=True` instead; {SUBPROCESS32}"),
                "inherits every fd".to_string(),
            )
        }
        (
            SpawnApi::PySubprocess | SpawnApi::PySubprocess32,
            FdOption::Literal { value: false, span },
        ) => {
            labels.push(Label {
                span,
                message: "set to False here".to_string(),
            });
            if py2 {
                (
                    Severity::Warning,
                    format!(
                        "{callee} with `close_fds=False` lets the child inherit every open fd \
                         (Python 2 creates inheritable fds)"
                    ),
                    if s.api == SpawnApi::PySubprocess32 {
                        "drop `close_fds=False` (`subprocess32` closes inherited fds by default, \
                         listing `/proc/self/fd`) and pass the fds the child needs with \
                         `pass_fds=`"
                            .to_string()
                    } else {
                        format!("pass only what the child needs; {SUBPROCESS32}")
                    },
                    "inherits every fd".to_string(),
                )
            } else {
                (
                    Severity::Note,
                    format!(
                        "{callee} with `close_fds=False` lets the child inherit every \
                         inheritable fd (since Python 3.4 only fds made inheritable on purpose or \
                         created by C extensions)"
                    ),
                    "drop `close_fds=False` (the default is `True` since Python 3.2) and pass \
                     the fds the child needs with `pass_fds=`"
                        .to_string(),
                    "inherits inheritable fds".to_string(),
                )
            }
        }
        (SpawnApi::PySubprocess, FdOption::Absent) if py2 => (
            Severity::Warning,
            format!(
                "{callee} relies on Python 2's default `close_fds=False`: the child inherits \
                 every open fd"
            ),
            SUBPROCESS32.to_string(),
            "inherits every fd".to_string(),
        ),
        (SpawnApi::PySubprocess, FdOption::Literal { value: true, span }) if py2 => {
            labels.push(Label {
                span,
                message: "loops to SC_OPEN_MAX on Python 2".to_string(),
            });
            let n = ctx.settings.assume_nofile.saturating_sub(3);
            (
                Severity::Warning,
                format!(
                    "{callee} with `close_fds=True` on Python 2 calls `close()` on every fd up \
                     to SC_OPEN_MAX in the child: {} calls at a limit of {}, {} per spawn",
                    cost::count(n),
                    cost::count(ctx.settings.assume_nofile),
                    LoopRuntime::Native.time(n)
                ),
                SUBPROCESS32.to_string(),
                format!("{} `close()` calls per spawn", cost::count(n)),
            )
        }
        _ => return None,
    };
    let judged = match needs_python3 {
        Some(p) => format!(
            "judged as Python 3.{} or later: {} needs it, so the call never runs on the Python 2 \
             that {} includes",
            p.minor, p.what, ctx.python.why
        ),
        None => format!("judged as {}", ctx.python.why),
    };
    let mut notes = vec![judged];
    let message = match child {
        Some(c) => {
            severity = Severity::Warning;
            notes.push(format!(
                "the child sweeps every fd up to the fd limit itself ({}): once the parent stops \
                 passing fds, remove that loop",
                c.sweep
            ));
            format!("{message}; the child then sweeps fds itself ({})", c.sweep)
        }
        None => message,
    };
    if let Some(script) = &s.script
        && let Some(c) = child
    {
        labels.push(Label {
            span: script.span,
            message: format!("this script sweeps fds itself ({})", c.sweep),
        });
    }
    labels.sort_by_key(|l| l.span);
    labels.dedup_by_key(|l| l.span);
    Some(Finding {
        rule: &RULE,
        severity,
        span: s.span,
        span_label,
        message,
        help,
        labels,
        notes,
        suppressed: false,
        baselined: false,
        fix: None,
    })
}
