use super::{Context, declare_rule};
use crate::edit::{Edit, Fix};
use crate::facts::{Facts, FdOption, Lang, SlotPlace, SpawnApi, SpawnCall};
use crate::finding::{Finding, Label, Severity};
use crate::settings::Version;

declare_rule! {
    /// ## What it does
    /// Finds Ruby calls that start a child process without `close_others: true`:
    /// `Open3.popen3/popen2/popen2e/capture2/capture2e/capture3/pipeline*`, `IO.popen`,
    /// `Process.spawn`, `spawn`, `system`, `exec` and `Process.exec`, with the option absent or
    /// `close_others: false`. Open3's methods are also found called bare where `include Open3`
    /// or `extend Open3` mixes them in (in the class or module around the call, or at the
    /// file's top level). Backticks and `%x()` take no options and are not reported.
    ///
    /// ## Why is this bad?
    /// Since Ruby 2.6 `close_others` defaults to false for every spawn API: the child inherits
    /// every fd that is not marked close-on-exec. Ruby marks the fds it creates close-on-exec
    /// (since 2.0), so what leaks is fds from C extensions, FFI, native libraries, IOs with
    /// `close_on_exec = false`, and fds inherited from Ruby's own parent. A child that fears
    /// such leaks tends to close "everything" itself, with a loop up to the fd limit: that is
    /// how the incident behind fdlint happened (a Ruby app started a Python helper with
    /// `Open3.popen3`, and the helper swept a billion fds). `close_others: true` costs O(the
    /// highest fd Ruby knows about), not O(the limit).
    ///
    /// An explicit `close_others: false` is a deliberate opt-out, and its message says so:
    /// what it leaks, and that passing the fds the child needs explicitly (`3 => 3`,
    /// `io => io`) with `close_others: true` keeps the rest closed.
    ///
    /// The finding is a note by default: on Ruby >= 2.0 most fds are already close-on-exec. It
    /// is a warning when the child is known to sweep fds itself (a scanned script with an FD001
    /// loop), when the call passes fds explicitly (`3 => w`) without `close_others`, or when
    /// `system`/`exec` run on Ruby < 2.0 (no close-on-exec by default). On Ruby 2.0–2.5 (and for
    /// `spawn`/`IO.popen` on 1.9) the default is `close_others: true` and a missing option is
    /// not reported.
    ///
    /// The Ruby is `--ruby-version` (or the configuration), else the range the project
    /// declares: a gemspec's `required_ruby_version`, the `Gemfile`'s `ruby` line,
    /// `.ruby-version` or `.tool-versions`. A range is judged at the version where the call
    /// leaks most: a gem with `required_ruby_version = ">= 2.5.0"` also runs on Ruby 3.x, so
    /// it is judged there, not at 2.5; only a range that ends before 2.6 (`[">= 2.0", "<
    /// 2.6"]`) is silent. The finding's note says which version it judged and which file and
    /// line declared the range.
    ///
    /// ## Example
    /// ```ruby
    /// stdin, stdout, stderr, wait = Open3.popen3("python2", File.join(__dir__, "helper.py"))
    /// ```
    ///
    /// Use instead:
    /// ```ruby
    /// stdin, stdout, stderr, wait =
    ///   Open3.popen3("python2", File.join(__dir__, "helper.py"), close_others: true)
    /// ```
    /// and drop the child's own sweep.
    ///
    /// ## Fix safety
    /// The fix adds `close_others: true` in the call's own spelling (after its keyword
    /// arguments, `:close_others => true` where they use `=>`, inside its trailing hash literal,
    /// or as a new trailing hash), or turns a `close_others: false` written in the call into
    /// `true`. Options held in a variable or constant are not edited, since other calls may share
    /// them. It is **unsafe**: a child that relies on an fd it inherits without being told (a
    /// socket handed down by a supervisor, a C extension's descriptor) loses it. Fds the call
    /// passes explicitly (`3 => io`, `[4, 5] => w`) stay open in the child: Ruby closes only the
    /// fds that are not redirected.
    ///
    /// The options are read as people build them: keyword arguments, a trailing hash, a hash
    /// held in a local or constant and changed key by key (`opts[:close_others] = true`,
    /// `opts.merge!(...)`, `opts.store(...)`), the trailing hash of a splatted array
    /// (`args << {close_others: true}; spawn(*args)`), or a hash returned by a method of the
    /// same file (`spawn(cmd, **spawn_options(cfg))`). A call is silent when `close_others:
    /// true` is reached on every path. Code that runs only on Windows (`if Gem.win_platform?`,
    /// `RUBY_PLATFORM =~ /mswin|mingw/`) is not judged.
    ///
    /// ## Known problems
    /// Options built in another file, passed in as a parameter or `**opts`, or changed on only
    /// some paths cannot be known and are not reported (`exec(*argv)` of an `argv` from
    /// elsewhere may end with an options hash). JRuby and TruffleRuby defaults may differ.
    pub static RULE = {
        code: "FD003",
        name: "spawn-inherits-fds",
        summary: "Ruby spawn call lets the child inherit fds (no `close_others: true`)",
        languages: &[Lang::Ruby],
        severity: Severity::Warning,
        reported: "note (warning with evidence)",
        fix: (crate::edit::Applicability::Unsafe, &[]),
    };
}

fn is_ruby(api: SpawnApi) -> bool {
    matches!(
        api,
        SpawnApi::RubySpawn
            | SpawnApi::RubyIoPopen
            | SpawnApi::RubyOpen3
            | SpawnApi::RubySystem
            | SpawnApi::RubyExec
    )
}

/// The Ruby version of the file's range a call is judged at, and whether that Ruby is older
/// than 2.0: the version where the call leaks most. `None`: on every version of the range
/// `close_others` defaults to true for this API and the call is fine.
///
/// A declared range (`required_ruby_version = ">= 2.5.0"`) includes every later Ruby, where
/// the default is false: such a call is judged at the newest version, not the oldest.
fn judged_version(api: SpawnApi, ctx: &Context, explicit_false: bool) -> Option<Option<Version>> {
    let Some(range) = &ctx.ruby.range else {
        // Nothing declared: a current Ruby.
        return Some(None);
    };
    let system_or_exec = matches!(api, SpawnApi::RubySystem | SpawnApi::RubyExec);
    // 1.9: `system`/`exec` default to false, and fds are not close-on-exec: the worst case.
    if system_or_exec && let Some(v) = range.oldest_where(|v| v.below(2, 0)) {
        return Some(Some(v));
    }
    // 2.6 and later: false for every API.
    if let Some(v) = range.newest_where(|v| !v.below(2, 6)) {
        return Some(Some(v));
    }
    // Only versions where the default is true: an explicit `false` still counts.
    explicit_false.then(|| range.newest_where(|_| true))
}

pub fn check(ctx: &Context, facts: &Facts, out: &mut Vec<Finding>) {
    if ctx.lang != Lang::Ruby {
        return;
    }
    for s in facts.spawns.iter().filter(|s| is_ruby(s.api)) {
        if let Some(mut f) = judge(ctx, s) {
            f.fix = facts
                .option_slots
                .iter()
                .find(|o| o.call == s.span)
                .map(|o| fix(o.place));
            out.push(f);
        }
    }
}

/// `close_others: true` written at the slot the frontend found.
fn fix(place: SlotPlace) -> Fix {
    let edit = match place {
        SlotPlace::Insert { at, comma, rocket } => Edit::insertion(
            at,
            format!(
                "{}{}",
                if comma { ", " } else { "" },
                if rocket {
                    ":close_others => true"
                } else {
                    "close_others: true"
                }
            ),
        ),
        SlotPlace::Value { span } => Edit::replacement(span, "true"),
    };
    Fix::unsafe_edits("pass `close_others: true`", vec![edit])
}

fn judge(ctx: &Context, s: &SpawnCall) -> Option<Finding> {
    let explicit_false = match s.close_option {
        FdOption::Literal { value: true, .. } | FdOption::Unknown { .. } => return None,
        FdOption::Literal { value: false, .. } => true,
        FdOption::Absent => false,
    };
    let judged = judged_version(s.api, ctx, explicit_false)?;
    let old_ruby = judged.is_some_and(|v| v.below(2, 0));
    let child = ctx.links.child_of(s.span);
    let callee = s.named();
    let how = if explicit_false {
        "with `close_others: false`"
    } else {
        "without `close_others: true`"
    };
    let mut labels = Vec::new();
    let mut notes = vec![format!("judged as {}", ctx.ruby.judged_at(judged))];
    let (severity, message) = if let Some(c) = child {
        (
            Severity::Warning,
            format!(
                "{callee} starts a child {how}, and the child sweeps every fd up to the fd \
                 limit itself ({}): pass `close_others: true` and remove the loop in {}",
                c.sweep, c.sweep
            ),
        )
    } else if let Some(p) = s.passes_fds {
        labels.push(Label {
            span: p,
            message: "fds passed on purpose".to_string(),
        });
        (
            Severity::Warning,
            format!(
                "{callee} passes fds to the child explicitly {how}: every other fd that is \
                 not close-on-exec leaks along with them"
            ),
        )
    } else if explicit_false {
        (
            if old_ruby {
                Severity::Warning
            } else {
                Severity::Note
            },
            format!(
                "{callee} opts out of closing fds with `close_others: false`: the child \
                 inherits every fd of this process that is not close-on-exec{}, not only the ones \
                 it needs",
                if old_ruby {
                    " (on Ruby < 2.0 that is every open fd)"
                } else {
                    " (fds from C extensions, FFI, or IOs with `close_on_exec = false`)"
                }
            ),
        )
    } else if old_ruby {
        (
            Severity::Warning,
            format!(
                "{callee} starts a child {how} on Ruby < 2.0, where fds are not close-on-exec \
                 by default: the child inherits every open fd"
            ),
        )
    } else {
        (
            Severity::Note,
            format!(
                "{callee} starts a child {how}: it inherits every fd that is not \
                 close-on-exec (fds from C extensions, FFI, or IOs with `close_on_exec = false`)"
            ),
        )
    };
    if !old_ruby && child.is_none() {
        notes.push(
            "`close_others` defaults to false since Ruby 2.6; fds Ruby creates are close-on-exec \
             since 2.0"
                .to_string(),
        );
    }
    if let FdOption::Literal { span, .. } = s.close_option {
        labels.push(Label {
            span,
            message: "set to false here".to_string(),
        });
    }
    if let Some(script) = &s.script {
        labels.push(Label {
            span: script.span,
            message: match child {
                Some(c) => format!("this script sweeps fds itself ({})", c.sweep),
                None => "the child".to_string(),
            },
        });
    }
    labels.sort_by_key(|l| l.span);
    labels.dedup_by_key(|l| l.span);
    Some(Finding {
        rule: &RULE,
        severity,
        span: s.span,
        span_label: if explicit_false {
            "`close_others: false`".to_string()
        } else {
            "no `close_others: true`".to_string()
        },
        message,
        help: if explicit_false && child.is_none() {
            "if the child needs some of this process's fds, pass them explicitly (`3 => 3`, \
             `io => io`) with `close_others: true`: redirected fds stay open in the child and \
             the rest are closed"
                .to_string()
        } else {
            "pass `close_others: true` (it marks only the fds Ruby knows about, O(highest fd), \
             not O(limit)), and pass the fds the child needs explicitly (`3 => io`)"
                .to_string()
        },
        labels,
        notes,
        suppressed: false,
        baselined: false,
        fix: None,
    })
}
