//! Python: the requirement table (`PYTHON`, its weak entries), the shape checks it names (an
//! fd action called on a loop variable, a popen word) and `python2_hint`.

use super::*;

/// The words a close wrapper defined in another module must have in its name to be followed
/// there (`close_fd`, `utils.close_fd_no_error`, `CloseFdNoError`, `set_cloexec`). Defined here, below
/// the frontend (`lang::python::outside` follows them), because the prefilter looks for exactly
/// these, so it admits every file whose loop calls one.
pub const WRAPPER_WORDS: &[&str] = &["close", "Close", "CLOSE", "cloexec", "CLOEXEC"];

/// Names that hold a wrapper word but compare numbers, never close fds (numpy's `allclose`,
/// `isclose`, `assert_allclose`, and the `xp_assert_close`-style test helpers): the frontend
/// does not follow them (`outside::wrapper_name`) and the prefilter does not count them. In
/// the corpus, such calls in `for i in range(..)` loops of scientific test suites were most of
/// the files the wrapper shape admitted.
pub const NOT_WRAPPERS: &[&str] = &["allclose", "isclose", "assert_close"];

/// Whether an identifier holds one of `NOT_WRAPPERS`.
pub fn not_a_wrapper(name: &[u8]) -> bool {
    NOT_WRAPPERS
        .iter()
        .any(|w| memchr::memmem::find(name, w.as_bytes()).is_some())
}

/// Callees of a `for` header that are not helpers returning fds: the query's own loops and
/// builtins that only re-order or pair what they are given. The prefilter skips them too.
pub const NOT_HELPERS: &[&str] = &[
    "range",
    "xrange",
    "reversed",
    "sorted",
    "enumerate",
    "zip",
    "list",
    "tuple",
    "set",
    "iter",
    "map",
    "filter",
];

/// Requirement tables, per language. Comments say which facts each requirement admits.
pub(super) const PYTHON: &[Requirement] = &[
    // FD001 close loops: a `range`/`xrange` call, a `while` loop, a `for` over a helper's
    // range (`for fd in get_open_fds()`) or over a name the file assigns (`for fd in fds:`
    // after `fds = range(..)`), and an fd action called on the loop variable
    // (checked by `python_loop_action`: in the corpus benchmark, 87% of the Python files
    // that have these tokens only have them in `f.close()`-like calls). The action may be a
    // wrapper defined in another module, which the frontend follows only when its name has
    // one of `WRAPPER_WORDS` in it (`close_fd`, `CloseFdNoError`, `set_cloexec`): those
    // words are tokens here too. The bound is never read, so a bound the project index
    // resolves (an attribute, an imported name) needs nothing more.
    (
        &[
            &["range", "while", "for"],
            &[
                "close",
                "fstat",
                "set_inheritable",
                "fcntl",
                "Close",
                "CLOSE",
                "cloexec",
                "CLOEXEC",
            ],
        ],
        Some(python_loop_action),
    ),
    // FD002 containers: a `range` whose bound is the real limit, which the resolver only
    // recognises through `getrlimit(..NOFILE..)`, `sysconf(..OPEN_MAX..)`, `getdtablesize()`
    // or `subprocess.MAXFD` (FD002 never asks the project index). On any version, a
    // `list`/`set`/`frozenset`/`tuple`/`sorted` of the range (`python_range_container`)...
    (
        &[
            &["range"],
            &["NOFILE", "OPEN_MAX", "getdtablesize", "MAXFD"],
        ],
        Some(python_range_container),
    ),
    // FD004 spawn calls and FD005 `os.closerange`: `classify` in the frontend recognises
    // `subprocess[32].{Popen,call,check_call,check_output,run}`, `os.popen[234]`,
    // `popen2.*`, `commands.{getoutput,getstatusoutput}` and `{os,posix}.closerange`, through
    // module aliases and `from` imports. The module name `subprocess` appears in the text for
    // every subprocess call (the import names it), `popen` for every os/popen2 one,
    // `getoutput`/`getstatusoutput` for the commands ones (`get-status-output` does not hold
    // `getoutput`), with the module's name `commands` as a whole word (`python_commands_word`:
    // in the call, or in the import that binds the name; `subprocess.getoutput`, the Python 3
    // function, is no legacy call), `closerange` for FD005 (`python_closerange_call`: a call
    // or import of it, not a mock's attribute or a call to a literal bound). `Popen` alone is
    // never enough: it is only recognised when imported from `subprocess` or `popen2`, which
    // both contain a token here.
    //
    // Files with `subprocess` but none of these are only weakly admitted (the next
    // requirements): their findings depend on Python 2-ness and the link pass, which the
    // engine checks before parsing them (ARCHITECTURE.md, "Decisions").
    (&[&["closerange"]], Some(python_closerange_call)),
    (
        &[&["getoutput", "getstatusoutput"], &["commands"]],
        Some(python_commands_word),
    ),
    // A `subprocess` call with a `close_fds` that may be false (`python_close_fds_not_true`):
    // `close_fds=False` is a finding on any version. `close_fds=True` is one only in Python 2
    // code, like a call without it: a file whose every `close_fds` is a literal `True` is
    // admitted weakly by the next requirement.
    (
        &[&["subprocess"], &["close_fds"]],
        Some(python_close_fds_not_true),
    ),
    // A `subprocess` call without it: admitted, but weakly (see `PYTHON_WEAK` and
    // `Admission::Weak`).
    (&[&["subprocess"]], None),
    // The Python 2 only `os.popen2/3/4` and `popen2.*` calls (a finding on any version):
    // `python_popen_word` with a digit.
    (&[&["popen"]], Some(python_legacy_popen_word)),
    // `os.popen` (and `from os import popen`): a finding only on Python 2, so admitted weakly
    // like a `subprocess` call without `close_fds`.
    (&[&["popen"]], Some(python_popen_word)),
    // ...and a bare `range(..)`, which holds a list only in Python 2 code (FD002 skips a
    // `Container::Python2Range` unless the file is judged Python 2; such a file has no close
    // loop, or the first requirement would admit it, so the link pass never judges it as a
    // swept child either): admitted weakly.
    (
        &[
            &["range"],
            &["NOFILE", "OPEN_MAX", "getdtablesize", "MAXFD"],
        ],
        None,
    ),
];

/// Indices in `PYTHON` of the requirements that admit a file only weakly: a `subprocess` call
/// without `close_fds`, or an `os.popen` call, has a finding only when the file is judged
/// Python 2, or when it runs a scanned script that sweeps fds (the link pass). The engine
/// decides those cheaply before parsing such a file (`engine`, "weakly admitted").
pub(super) const PYTHON_WEAK: &[usize] = &[5, 7, 8];

/// Whether Python source may be Python 2 by its own text: a byte-level superset of the evidence
/// the Python frontend accepts (a `python2`, `jython` or `pypy` shebang, print and exec statements, `except X, e`,
/// `raise E, msg`, `<>`, backticks, `0777` and `10L` literals). False means the frontend would
/// find no Python 2 syntax, so the file's dialect depends only on settings, the project and the
/// link pass.
///
/// The syntax checks look at code only: string contents and comments are blanked first
/// (`pycode`), unless the text does not tokenize cleanly, when they look at all of it.
pub fn python2_hint(text: &[u8]) -> bool {
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if first_line.starts_with(b"#!")
        && [&b"python2"[..], b"jython", b"pypy"]
            .iter()
            .any(|w| memchr::memmem::find(first_line, w).is_some())
    {
        return true;
    }
    let code = pycode::code_only(text);
    let t = code.as_deref().unwrap_or(text);
    if memchr::memchr(b'`', t).is_some() || memchr::memmem::find(t, b"<>").is_some() {
        return true;
    }
    // A word on a full-line comment is prose (a `#` that starts a line cannot be in code).
    let in_comment_line = |at: usize| {
        let start = memchr::memrchr(b'\n', &t[..at]).map_or(0, |i| i + 1);
        t[start..at]
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'#')
    };
    let word_at = |at: usize, w: &[u8]| {
        starts_word(t, at)
            && t.get(at + w.len()).is_none_or(|b| !is_ident(*b))
            && !in_comment_line(at)
    };
    // `print x`, `print >>f, x`, `print"x"`, `exec "code"`: the keyword followed by anything
    // but `(`, `=`, `.`, `,`, `)`, `:` or the end of the line (a call, an assignment, a bare name).
    for w in [&b"print"[..], b"exec"] {
        for at in memchr::memmem::find_iter(t, w) {
            if !word_at(at, w) {
                continue;
            }
            let mut i = at + w.len();
            while t.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
                i += 1;
            }
            match t.get(i) {
                None
                | Some(
                    b'(' | b'=' | b'.' | b',' | b')' | b']' | b'}' | b':' | b'\n' | b'\r' | b'#',
                ) => {}
                Some(_) => return true,
            }
        }
    }
    // `except X, e:` / `except (A, B), e:` and `raise E, msg`: a comma after the first
    // expression, at bracket depth 0, on the same logical line (a superset: any such comma).
    for w in [&b"except"[..], b"raise"] {
        for at in memchr::memmem::find_iter(t, w) {
            if !word_at(at, w) {
                continue;
            }
            let mut depth = 0i32;
            let mut quote: Option<u8> = None;
            let mut i = at + w.len();
            while let Some(&b) = t.get(i) {
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) if b == b'\\' => i += 1,
                    Some(_) => {}
                    None => match b {
                        b'\'' | b'"' => quote = Some(b),
                        b'(' | b'[' | b'{' => depth += 1,
                        b')' | b']' | b'}' => depth -= 1,
                        b',' if depth <= 0 => return true,
                        b'\n' if depth <= 0 => break,
                        b':' | b'#' if depth <= 0 => break,
                        _ => {}
                    },
                }
                i += 1;
            }
        }
    }
    // `0777`, `10L`.
    let mut i = 0;
    while i < t.len() {
        if !t[i].is_ascii_digit() || (i > 0 && (is_ident(t[i - 1]) || t[i - 1] == b'.')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < t.len() && t[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &t[start..i];
        if t.get(i).is_some_and(|b| *b == b'l' || *b == b'L')
            && t.get(i + 1).is_none_or(|b| !is_ident(*b))
        {
            return true;
        }
        if digits.len() > 1
            && digits[0] == b'0'
            && digits.iter().all(|d| (b'0'..=b'7').contains(d))
            && digits.iter().any(|d| *d != b'0')
        {
            return true;
        }
    }
    false
}

/// Python FD001 needs a loop fact, and every loop fact the frontend reports has one of these
/// shapes (`queries/python/close_loops.scm` and `find_action`):
/// - `for NAME in ...` (statement or comprehension) or `while NAME < ...`, with a call
///   `ACTION(NAME)` or `ACTION(NAME, ...)` in it, where ACTION is the last segment of the
///   callee (`os.close`, `close`) and NAME is the whole first argument;
/// - `map(ACTION, range(...))`, where ACTION is followed by a comma.
///
/// ACTION is `close`, `fstat`, `set_inheritable` or `fcntl`, and the loop is over a `range`
/// (see `python_loop_vars`). Between the tokens of a shape only whitespace, comments and line
/// continuations can stand. The call must be inside the loop's statement (`pyblock`: the
/// loop's logical line and the block under it), the variable's loop being one that starts
/// there; where the file's blocks cannot be read (`pyblock::blocks` gives no answer, or the
/// text does not tokenize), anywhere in the file. The check is deliberately looser than the
/// query (a statement holds more than the loop's body): it must never reject a file the
/// frontend would find a loop in.
/// The longest parameter list `python_loop_action` reads (see its use).
const MAX_PARAMS_BYTES: usize = 64 * 1024;

pub(super) fn python_loop_action(t: &[u8]) -> bool {
    // `close` is also a wrapper word: its calls are found by the wrapper scan below, one
    // pass over the text fewer (every `close` that starts a word starts a match of it: a
    // match that overlapped it would end in letters right before it).
    const _: () = assert!(matches!(WRAPPER_WORDS[0].as_bytes(), b"close"));
    // Names passed first to an action call, with the call's offset and the least literal
    // bound a loop must have for the call to make a finding (`min_literal_bound`), and whether
    // an action is followed by a comma.
    let mut args: Vec<(&[u8], usize, u64)> = Vec::new();
    let mut mapped = false;
    // A call of the action `a` spelled by the `len` bytes at `at` (its own name or an alias
    // of it). `from os import close as _c`: the frontend judges `_c(fd)` as `close(fd)`
    // (`loops::action_name`), so the alias is returned, to be looked for in turn.
    let mut action_at = |a: &'static [u8], at: usize, len: usize| -> Option<&[u8]> {
        if !starts_word(t, at) || after_def(t, at) {
            // Part of a longer name, or a definition (`def close(self):`), not a call.
            return None;
        }
        let i = skip_trivia(t, at + len);
        if ident_at(t, i) == Some(b"as") {
            return ident_at(t, skip_trivia(t, i + 2));
        }
        match t.get(i) {
            Some(b'(') => {
                // The first argument must be a bare name (`find_action` compares
                // `identifier` nodes): `close(fd)`, `close(fd, x)`, not `close(self.fd)`,
                // `close(fds[i])` or `close(fd=3)`.
                let start = skip_trivia(t, i + 1);
                if let Some(name) = ident_at(t, start)
                    && matches!(t.get(skip_trivia(t, start + name.len())), Some(b',' | b')'))
                {
                    args.push((name, at, min_literal_bound(a)));
                }
            }
            Some(b',') => {
                // `map(os.close, range(..))`: the pattern wants the `range`/`xrange` call
                // as the argument right after the action (`map(f.close, items)` is no
                // loop).
                let r = skip_trivia(t, i + 1);
                if let Some(w @ (b"range" | b"xrange")) = ident_at(t, r)
                    && t.get(skip_trivia(t, r + w.len())) == Some(&b'(')
                {
                    mapped = true;
                }
            }
            _ => {}
        }
        None
    };
    let mut aliases: Vec<(&[u8], &'static [u8])> = Vec::new();
    // A wrapper of another module (`utils.close_fd_no_error(fd)`, `options.close_fd(i)`):
    // the frontend follows a callee whose last name holds one of `WRAPPER_WORDS`, called
    // with the loop variable as its first argument. One scan finds the wrapper words and the
    // other actions (no word of either list can overlap one of the other).
    let mut wrapped: Vec<(&[u8], usize)> = Vec::new();
    for m in action_ac().find_iter(t) {
        let at = m.start();
        if let Some(a) = m.pattern().as_usize().checked_sub(WRAPPER_WORDS.len()) {
            let a = FD_ACTIONS[a];
            if let Some(alias) = action_at(a, at, a.len()) {
                aliases.push((alias, a));
            }
            continue;
        }
        if t[at..].starts_with(b"close")
            && let Some(alias) = action_at(b"close", at, 5)
        {
            aliases.push((alias, b"close"));
        }
        let mut start = at;
        while start > 0 && is_ident(t[start - 1]) {
            start -= 1;
        }
        let mut end = at;
        while end < t.len() && is_ident(t[end]) {
            end += 1;
        }
        if after_def(t, start) || not_a_wrapper(&t[start..end]) {
            continue;
        }
        let i = skip_trivia(t, end);
        if t.get(i) == Some(&b'(') {
            let first = skip_trivia(t, i + 1);
            if let Some(name) = ident_at(t, first)
                && matches!(t.get(skip_trivia(t, first + name.len())), Some(b',' | b')'))
            {
                wrapped.push((name, start));
            }
        }
    }
    for (alias, a) in aliases {
        for at in memchr::memmem::find_iter(t, alias) {
            if t.get(at + alias.len()).is_none_or(|b| !is_ident(*b)) {
                action_at(a, at, alias.len());
            }
        }
    }
    // The pattern's callee is the plain name `map` (`mapping(`, `bitmap` or `self.map` is not).
    if mapped
        && memchr::memmem::find_iter(t, b"map")
            .any(|at| whole_word(t, at, at + 3) && t.get(skip_trivia(t, at + 3)) == Some(&b'('))
    {
        return true;
    }
    if args.is_empty() && wrapped.is_empty() {
        return false;
    }
    let loop_vars = python_loop_vars(t);
    // The action calls in the order of the text (found per action word), so that those inside
    // a helper's statement are a slice.
    args.sort_unstable_by_key(|(_, at, _)| *at);
    // First as if every action were inside every loop (cheap: most files stop here), then,
    // when the file's blocks can be read, inside its loop's statement.
    if !loop_action_in(t, &args, &wrapped, &loop_vars, None) {
        return false;
    }
    let Some(code) = pycode::code_only(t) else {
        return true;
    };
    let Some(blocks) = pyblock::blocks(&code) else {
        return true;
    };
    loop_action_in(t, &args, &wrapped, &loop_vars, Some((&blocks, &code)))
}

/// The end of `python_loop_action`: whether an action call (`args`), a wrapper call
/// (`wrapped`) or a helper's call is inside a loop of its variable (`loop_vars`), each loop's
/// reach being its statement (`blocks` and the blanked code) or, without blocks, the file.
fn loop_action_in(
    t: &[u8],
    args: &[(&[u8], usize, u64)],
    wrapped: &[(&[u8], usize)],
    loop_vars: &[(&[u8], bool, usize)],
    blocks: Option<(&pyblock::Blocks, &[u8])>,
) -> bool {
    // Each loop once: its variable, whether it is one of the query's, its reach and its
    // literal bound. A loop statement that leaves early (`leaves_early`) is left out:
    // `loop_action` gives up on it (`exits_early`).
    let exits = blocks.map(|(b, code)| early_exits(code, b));
    let found: Vec<Loop> = loop_vars
        .iter()
        .filter_map(|&(var, query, at)| {
            let reach = match (blocks, exits.as_deref()) {
                (Some((b, code)), Some(exits)) => {
                    if leaves_early(code, b, exits, at) {
                        return None;
                    }
                    b.statement_at(at).unwrap_or((0, usize::MAX))
                }
                _ => (0, usize::MAX),
            };
            Some(Loop {
                var,
                query,
                reach,
                bound: literal_range_bound(t, at),
            })
        })
        .collect();
    let loops = |min: u64| LoopSpans::new(&found, false, min);
    let (closing, probing) = (loops(CLOSE_GUESS), loops(PROBE_GUESS));
    let query_loops = LoopSpans::new(&found, true, CLOSE_GUESS);
    let holds = |v: &[u8], at: usize, min: u64| {
        if min >= PROBE_GUESS {
            probing.holds(v, at)
        } else {
            closing.holds(v, at)
        }
    };
    let blocks = blocks.map(|(b, _)| b);
    let all_names = sorted_names(args);
    // A helper that closes its parameter (`def close_if_open(fd): os.close(fd)`) may be called
    // from a loop with the loop variable (`loop_action` follows calls whose callee's last name
    // is a function defined in this file, one level, when the loop variable is one of the
    // call's positional arguments): a helper with a parameter among the action arguments counts
    // when its name is called somewhere (`NAME(` or `self.NAME (` not preceded by `def`) with
    // the variable of a loop of a matched shape among the words of its arguments, inside that
    // loop's statement. The helper's action must be inside the helper's own statement.
    // Each with the least literal bound of the actions inside it.
    let mut helpers: Vec<(&[u8], u64)> = Vec::new();
    for at in memchr::memmem::find_iter(t, b"def") {
        if !starts_word(t, at) || t.get(at + 3).is_some_and(|b| is_ident(*b)) {
            continue;
        }
        let Some(helper) = ident_at(t, skip_trivia(t, at + 3)) else {
            continue;
        };
        // `def NAME(`, trivia allowed before the parenthesis (a search for the next `(`
        // anywhere made 100,000 `def x` lines quadratic).
        let open = skip_trivia(t, skip_trivia(t, at + 3) + helper.len());
        if t.get(open) != Some(&b'(') {
            continue;
        }
        // The matching `)`: defaults may hold parentheses (`def f(flags=(0), fd=None)`) and
        // strings (`sep=")"`), which are skipped whole. A parameter list longer than
        // `MAX_PARAMS_BYTES` is taken to name an action argument (admitting more is sound): an
        // unclosed `(` per `def` made the search for `)` quadratic.
        let Some(close) = closing_paren(t, open, MAX_PARAMS_BYTES) else {
            // Which helper that is, and where it is called, is not worked out.
            return !loop_vars.is_empty();
        };
        // The names of the action calls inside the helper's statement (of all of them without
        // blocks), each once, looked up by binary search: a file of 10,000 `close(fd)` calls
        // and as many `def`s compared every parameter with every argument.
        let local;
        let (names, min): (&[&[u8]], u64) = match blocks.and_then(|b| b.statement_at(at)) {
            Some((s, e)) => {
                let inside = &args[args.partition_point(|(_, a, _)| *a < s)
                    ..args.partition_point(|(_, a, _)| *a < e)];
                local = sorted_names(inside);
                let min = inside
                    .iter()
                    .map(|(_, _, m)| *m)
                    .min()
                    .unwrap_or(CLOSE_GUESS);
                (&local, min)
            }
            None => (&all_names, CLOSE_GUESS),
        };
        let mut i = open + 1;
        let mut closes_param = false;
        while i < close && !closes_param && !names.is_empty() {
            if let Some(name) = ident_at(t, i) {
                if names.binary_search(&name).is_ok() {
                    closes_param = true;
                    break;
                }
                i += name.len();
            } else {
                i += 1;
            }
        }
        if closes_param {
            helpers.push((helper, min));
        }
    }
    if !helpers.is_empty() && !loop_vars.is_empty() {
        // By name, the least bound first, which `dedup_by_key` keeps.
        helpers.sort_unstable();
        helpers.dedup_by_key(|(h, _)| *h);
        // The loop passes its variable to the helper as a positional argument (`find_action`'s
        // `passed` calls): some call of the helper inside a loop's statement has that loop's
        // variable among its arguments.
        if helpers
            .iter()
            .any(|(h, min)| python_called_with(t, h, &|w, at| holds(w, at, *min)))
        {
            return true;
        }
    }
    if args.iter().any(|(v, at, min)| holds(v, *at, *min)) {
        return true;
    }
    // Another module's wrapper is followed only in the query's loops (over `range`,
    // `xrange`, `reversed`, or `while`), not in `for NAME in helper()` loops.
    wrapped.iter().any(|(v, at)| query_loops.holds(v, *at))
}

/// Whether the loop whose keyword is at `at` in the blanked `code` is a statement (the
/// keyword first on its logical line, maybe after `async`) whose block leaves it early the
/// way `exits_early` sees it: a `break` or `return` first on its line (one after `if x:` or
/// `;` is not counted) that no nested `for`, `while`, `def`, `class` or `async`
/// statement holds. A clause line on the way (`else:`, `elif`, `except`, `finally`) counts as
/// nested, since it may be a nested loop's (`for x in y: ... else: break`, which
/// `exits_early` does not look into). A comprehension (the keyword inside its line) never
/// leaves early. `exits`: the file's `early_exits`.
fn leaves_early(code: &[u8], blocks: &pyblock::Blocks, exits: &[bool], at: usize) -> bool {
    let Some(k) = blocks.index_at(at) else {
        return false;
    };
    let (start, end) = blocks.span(k);
    let head = code[start..at.min(end)].trim_ascii();
    (head.is_empty() || head == b"async") && exits[k]
}

/// For each statement of `blocks`, whether a `break` or `return` first on its line has it as
/// its nearest nesting statement: the
/// nearest holding it (itself included) that `exits_early` does not look into, or may not
/// (`leaves_early`): one whose line holds `for`, `while`, `def`, `class`, `async` or
/// `lambda`, a clause (`else`, `elif`, `except`, `finally`), one that starts with a word run
/// into a quote or a `\`, or opens a block without `if`, `try`, `with`, `match` or `case`. One pass over the code: a loop statement
/// leaves early exactly when it is marked.
fn early_exits(code: &[u8], blocks: &pyblock::Blocks) -> Vec<bool> {
    let mut nest: Vec<usize> = Vec::with_capacity(blocks.len());
    for i in 0..blocks.len() {
        let (s, e) = blocks.span(i);
        // The statement's own logical line: up to the next statement, which starts the next.
        let own = if i + 1 < blocks.len() {
            &code[s..blocks.span(i + 1).0]
        } else {
            &code[s..e]
        };
        let line = own.trim_ascii();
        let n = line
            .iter()
            .position(|b| !is_ident(*b))
            .unwrap_or(line.len());
        let first = &line[..n];
        // Words that open a scope or a loop anywhere on the line: `if x: while y:` is no
        // Python, but tree-sitter's recovery may read a loop there.
        let mut words = line.split(|b| !is_ident(*b)).filter(|w| !w.is_empty());
        let nesting_word = words.any(|w| {
            matches!(
                w,
                b"for" | b"while" | b"def" | b"class" | b"async" | b"lambda"
            )
        });
        let opens = line.last() == Some(&b':');
        let nests = nesting_word
            || matches!(first, b"else" | b"elif" | b"except" | b"finally")
            // A word run into a quote or a backslash (`u'x'else:`, `els\` then `e:`), or a
            // line that opens a block without a compound statement's keyword (`whtry:ile x:`):
            // tree-sitter's recovery may find a clause or a loop there.
            || matches!(line.get(n), Some(b'\'' | b'"' | b'\\'))
            || (opens
                && !matches!(
                    first,
                    b"if" | b"try" | b"with" | b"match" | b"case"
                ));
        // A statement's parent comes before it.
        let v = if nests {
            i
        } else {
            blocks.parent(i).map_or(usize::MAX, |p| nest[p])
        };
        nest.push(v);
    }
    let mut exits = vec![false; blocks.len()];
    for w in [&b"break"[..], b"return"] {
        for q in memchr::memmem::find_iter(code, w) {
            if !whole_word(code, q, q + w.len()) {
                continue;
            }
            // Back over the blanks before it (each blank is passed for one word at most).
            let mut b = q;
            while b > 0 && matches!(code[b - 1], b' ' | b'\t' | b'\x0c') {
                b -= 1;
            }
            // First on its line: a `break` after `if x:` or `;` is not counted, since on a
            // line that is not Python (`if x:while y: break`) tree-sitter's recovery may nest
            // it in a loop of its own.
            if b > 0 && !matches!(code[b - 1], b'\n' | b'\r') {
                continue;
            }
            // And a whole statement: a `break` ends it, a `return` is not followed by `:`
            // (`break:` is no statement; tree-sitter's recovery may make the line a header).
            let mut a = q + w.len();
            while a < code.len() && matches!(code[a], b' ' | b'\t' | b'\x0c') {
                a += 1;
            }
            let next = code.get(a).copied();
            let whole = match w {
                b"break" => matches!(next, None | Some(b'\n' | b'\r' | b';')),
                _ => next != Some(b':'),
            };
            if !whole {
                continue;
            }
            if let Some(&n) = blocks.index_at(q).and_then(|i| nest.get(i))
                && n != usize::MAX
            {
                exits[n] = true;
            }
        }
    }
    exits
}

/// The least literal bound that makes a close, flag or probe loop a finding: FD001 reports a
/// loop to a guessed bound from `rules::is_limit_guess` (256) and a probe (`fstat`) from
/// `rules::is_probe_guess` (1,024), for a literal (no name: the lower thresholds of names like
/// `MAXFD` do not apply). The link pass and FD002 want a real limit, never a literal.
const CLOSE_GUESS: u64 = 256;
const PROBE_GUESS: u64 = 1024;

/// `min_literal_bound` of an action word: a probe (`fstat`) wants the higher one.
fn min_literal_bound(action: &[u8]) -> u64 {
    if action == b"fstat" {
        PROBE_GUESS
    } else {
        CLOSE_GUESS
    }
}

/// The bound of `for NAME in range(..)` (or `xrange`, or either inside `reversed(..)`) whose
/// `for` is at `at`, when it is a plain decimal literal (`range(0, 256)`, `range(1_000)`):
/// its value read in decimal (a Python 2 octal `0400` reads smaller to Python: the decimal
/// value is never below it). `None` for anything else: a name, a call, arithmetic, a step.
fn literal_range_bound(t: &[u8], at: usize) -> Option<u64> {
    if !t[at..].starts_with(b"for") {
        return None;
    }
    let mut i = skip_trivia(t, at + 3);
    i = skip_trivia(t, i + ident_at(t, i)?.len());
    if ident_at(t, i)? != b"in" {
        return None;
    }
    i = skip_trivia(t, i + 2);
    let mut f = ident_at(t, i)?;
    if f == b"reversed" {
        i = skip_trivia(t, i + f.len());
        if t.get(i) != Some(&b'(') {
            return None;
        }
        i = skip_trivia(t, i + 1);
        f = ident_at(t, i)?;
    }
    if !matches!(f, b"range" | b"xrange") {
        return None;
    }
    let open = skip_trivia(t, i + f.len());
    if t.get(open) != Some(&b'(') {
        return None;
    }
    let close = open + 1 + memchr::memchr(b')', t.get(open + 1..)?)?;
    let args = &t[open + 1..close];
    let parts: Vec<&[u8]> = args.split(|b| *b == b',').collect();
    if parts.len() > 2
        || args
            .iter()
            .any(|b| !matches!(b, b'0'..=b'9' | b'_' | b',' | b' '))
    {
        return None;
    }
    let hi = parts.last()?.trim_ascii();
    if hi.is_empty() || !hi[0].is_ascii_digit() || hi.len() > 18 {
        return None;
    }
    hi.iter()
        .filter(|b| b.is_ascii_digit())
        .try_fold(0u64, |v, b| {
            v.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
}

/// The names of `calls`, sorted, each once.
fn sorted_names<'a>(calls: &[(&'a [u8], usize, u64)]) -> Vec<&'a [u8]> {
    let mut v: Vec<&[u8]> = calls.iter().map(|(n, _, _)| *n).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The statements of a file's loops by their variable: whether a call at some offset with a
/// variable as its argument can be in the loop of that variable (`pyblock`). Without the
/// file's blocks, any loop of the variable anywhere counts (`Loop::reach`).
struct LoopSpans<'t> {
    /// Variable -> its loops' statements as (start, end), sorted by start, and the largest end
    /// among the first k for each k (a prefix maximum: some statement starting at or before
    /// an offset reaches past it exactly when that maximum does).
    by_var: std::collections::HashMap<&'t [u8], (Vec<usize>, Vec<usize>)>,
}

/// A loop `python_loop_vars` found, as `loop_action_in` reads it.
struct Loop<'t> {
    var: &'t [u8],
    /// One of the query's loops (over `range`, `xrange`, `reversed`, or a `while`).
    query: bool,
    /// Its statement, or the whole text without blocks.
    reach: (usize, usize),
    /// `literal_range_bound`.
    bound: Option<u64>,
}

impl<'t> LoopSpans<'t> {
    /// The loops of `found` (only the query's with `query`) whose literal bound, if any, is
    /// at least `min`.
    fn new(found: &[Loop<'t>], query: bool, min: u64) -> Self {
        let mut spans: std::collections::HashMap<&'t [u8], Vec<(usize, usize)>> =
            std::collections::HashMap::new();
        for l in found {
            if (query && !l.query) || l.bound.is_some_and(|b| b < min) {
                continue;
            }
            spans.entry(l.var).or_default().push(l.reach);
        }
        let by_var = spans
            .into_iter()
            .map(|(v, mut s)| {
                s.sort_unstable();
                let starts = s.iter().map(|(a, _)| *a).collect();
                let ends = s
                    .iter()
                    .scan(0usize, |m, (_, e)| {
                        *m = (*m).max(*e);
                        Some(*m)
                    })
                    .collect();
                (v, (starts, ends))
            })
            .collect();
        LoopSpans { by_var }
    }

    /// Whether some loop of `var` has `at` inside its statement.
    fn holds(&self, var: &[u8], at: usize) -> bool {
        let Some((starts, ends)) = self.by_var.get(var) else {
            return false;
        };
        let k = starts.partition_point(|s| *s <= at);
        k > 0 && ends[k - 1] > at
    }
}

/// The variables of the loops `queries/python/close_loops.scm` matches, read from the text:
/// `for NAME in range(` / `xrange(` / `reversed(` (statements and comprehension clauses: the
/// query wants an `identifier` on the left and one of those calls on the right) and
/// `while NAME OP` where OP starts a comparison (`<`, `>`, `==`, `!=`, `in`, `is`, `not in`:
/// the query wants a `comparison_operator` whose first operand is the name). Between tokens,
/// whitespace, comments and continuations; a keyword inside a longer name also counts (looser).
/// Each variable comes with whether its loop is one of the query's (a `while`, or a `for` over
/// `range`/`xrange`/`reversed`) rather than a `for` over another call, and the keyword's offset.
pub(super) fn python_loop_vars(t: &[u8]) -> Vec<(&[u8], bool, usize)> {
    let mut vars = Vec::new();
    for kw in [&b"for"[..], b"while"] {
        for at in memchr::memmem::find_iter(t, kw) {
            let i = at + kw.len();
            if t.get(i).is_some_and(|b| is_ident(*b)) {
                continue;
            }
            let Some(name) = ident_at(t, skip_trivia(t, i)) else {
                continue;
            };
            let j = skip_trivia(t, skip_trivia(t, i) + name.len());
            let mut query_loop = kw != b"for";
            let is_loop = if kw == b"for" {
                // `in` and then a call of a dotted name: `range(`, `xrange(`, `reversed(`
                // (the query's loops), or any helper (`get_open_fds(`, `util.fds(`), whose
                // loops the frontend finds from the `for` keyword.
                ident_at(t, j) == Some(b"in") && {
                    let mut k = skip_trivia(t, j + 2);
                    let head = ident_at(t, k);
                    // `for fd in fds:` over a name the file assigns (`fds = range(..)`,
                    // `named_range_loop`): a loop whose wrappers of other modules are not
                    // followed.
                    if let Some(h) = head
                        && t.get(skip_trivia(t, k + h.len())) == Some(&b':')
                        && assigned_here(t, h)
                    {
                        vars.push((name, false, at));
                        continue;
                    }
                    let mut call = false;
                    while let Some(f) = ident_at(t, k) {
                        let after = skip_trivia(t, k + f.len());
                        match t.get(after) {
                            Some(b'(') => {
                                query_loop = matches!(f, b"range" | b"xrange" | b"reversed");
                                // The builtins the frontend never takes for a helper, and
                                // callees it cannot follow (`helper_range`: a function this
                                // file defines, or one reached through an imported name).
                                call = query_loop
                                    || (!NOT_HELPERS.iter().any(|n| n.as_bytes() == f)
                                        && (defined_here(t, f)
                                            || head.is_some_and(|h| imported_here(t, h))));
                                break;
                            }
                            Some(b'.') => k = skip_trivia(t, after + 1),
                            _ => break,
                        }
                    }
                    call
                }
            } else {
                matches!(t.get(j), Some(b'<' | b'>' | b'=' | b'!'))
                    || matches!(ident_at(t, j), Some(b"in" | b"is" | b"not"))
            };
            if is_loop {
                vars.push((name, query_loop, at));
            }
        }
    }
    vars
}

/// Whether the text has `NAME = range(` or `NAME = xrange(` (not `==`), with NAME a whole
/// word: an assignment the frontend may take for the name's binding to a range
/// (`named_range_loop` wants a `range`/`xrange` call as the value). Chains count
/// (`fds = all_fds = range(..)`, the frontend's `assignment_parts` takes the last value), and
/// so does an annotation (`fds: Iterable[int] = range(..)`: anything up to the `=` on its
/// line). Looser than the frontend: an attribute `x.fds =` or a keyword argument
/// `f(fds=range(3))` counts too, and `range` may be a local name.
fn assigned_here(t: &[u8], name: &[u8]) -> bool {
    let is_eq = |i: usize| t.get(i) == Some(&b'=') && t.get(i + 1) != Some(&b'=');
    memchr::memmem::find_iter(t, name).any(|at| {
        let end = at + name.len();
        if !starts_word(t, at) || t.get(end).is_some_and(|b| is_ident(*b)) {
            return false;
        }
        let mut i = skip_trivia(t, end);
        if t.get(i) == Some(&b':') {
            // An annotation: on to the `=` of the same line.
            let line_end = memchr::memchr(b'\n', &t[i..]).map_or(t.len(), |n| i + n);
            match memchr::memchr(b'=', &t[i..line_end]) {
                Some(n) => i += n,
                None => return false,
            }
        }
        if !is_eq(i) {
            return false;
        }
        // The value, through a chain of `other =` targets.
        let mut k = skip_trivia(t, i + 1);
        for _ in 0..16 {
            let Some(word) = ident_at(t, k) else {
                return false;
            };
            let after = skip_trivia(t, k + word.len());
            if matches!(word, b"range" | b"xrange") && t.get(after) == Some(&b'(') {
                return true;
            }
            if !is_eq(after) {
                return false;
            }
            k = skip_trivia(t, after + 1);
        }
        false
    })
}

/// The containers of `queries/python/fd_ranges.scm` that hold a list on any Python version:
/// `CTOR(range(` or `CTOR(xrange(`, CTOR one of the pattern's constructors as a whole
/// identifier, with only whitespace, comments and continuations between the tokens (the
/// pattern wants the range call as the constructor's only argument, and both callees as plain
/// identifiers), and a range whose arguments may reach the limit (`may_name_a_limit`:
/// `list(range(10))`, the common spelling in test suites, cannot).
pub(super) fn python_range_container(t: &[u8]) -> bool {
    ["list", "set", "frozenset", "tuple", "sorted"]
        .iter()
        .any(|ctor| {
            memchr::memmem::find_iter(t, ctor.as_bytes()).any(|at| {
                let end = at + ctor.len();
                if !whole_word(t, at, end) {
                    return false;
                }
                let open = skip_trivia(t, end);
                if t.get(open) != Some(&b'(') {
                    return false;
                }
                let r = skip_trivia(t, open + 1);
                let Some(w @ (b"range" | b"xrange")) = ident_at(t, r) else {
                    return false;
                };
                let args = skip_trivia(t, r + w.len());
                t.get(args) == Some(&b'(') && may_name_a_limit(t, args)
            })
        })
}

/// Whether the argument list opening at `open` may hold a bound that reaches the fd limit:
/// the resolver reaches one only through a name (`MAXFD`, a variable) or a call
/// (`getrlimit(..)`, `os.sysconf(..)`, a helper), so arguments with no identifier in them
/// (digits, hexadecimal literals, operators, brackets, whitespace) cannot. Anything else
/// counts: a letter outside a `0x` literal (`1e5` and `10L` too), a string, a comment, an
/// argument list whose end is not found within `MAX_PARAMS_BYTES`.
fn may_name_a_limit(t: &[u8], open: usize) -> bool {
    let Some(close) = closing_paren(t, open, MAX_PARAMS_BYTES) else {
        return true;
    };
    let mut i = open + 1;
    while i < close {
        let b = t[i];
        if b == b'0' && matches!(t.get(i + 1), Some(b'x' | b'X')) && (i == 0 || !is_ident(t[i - 1]))
        {
            // A hexadecimal literal: its digits (a-f included) are no name.
            i += 2;
            while i < close && (t[i].is_ascii_hexdigit() || t[i] == b'_') {
                i += 1;
            }
            continue;
        }
        if (is_ident(b) && !b.is_ascii_digit() && b != b'_') || matches!(b, b'\'' | b'"' | b'#') {
            return true;
        }
        if b == b'_' {
            // `_` alone is a name; `1_000` is a number.
            if i == 0 || !t[i - 1].is_ascii_digit() {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// Whether the text has `def NAME` (a function the frontend may find by that name; methods
/// too, as `function_defs` finds them by their last name).
fn defined_here(t: &[u8], name: &[u8]) -> bool {
    memchr::memmem::find_iter(t, name).any(|at| {
        starts_word(t, at)
            && !t.get(at + name.len()).is_some_and(|b| is_ident(*b))
            && after_def(t, at)
    })
}

/// Whether `name` is among the words after an `import` keyword, to the end of its statement
/// (a parenthesised list up to its `)`, else the line and its backslash continuations): every
/// name an import statement binds (`import a.b` binds `a`, `import a as b` `b`, `from m import
/// (x, y as z)` `x` and `z`) is such a word. Looser than the frontend's `Imports`: a word in a
/// comment or string after `import`, or an `import` inside a string, counts too.
fn imported_here(t: &[u8], name: &[u8]) -> bool {
    memchr::memmem::find_iter(t, b"import").any(|at| {
        if !starts_word(t, at) || t.get(at + 6).is_some_and(|b| is_ident(*b)) {
            return false;
        }
        let mut i = skip_trivia(t, at + 6);
        let paren = t.get(i) == Some(&b'(');
        while i < t.len() {
            match t[i] {
                b')' if paren => return false,
                // A lone CR never ends the statement here (looser); CRLF is an LF.
                b'\n' if !paren => {
                    let before = if t[i - 1] == b'\r' {
                        t[i - 2]
                    } else {
                        t[i - 1]
                    };
                    if before != b'\\' {
                        return false;
                    }
                }
                b if is_ident(b) => {
                    let start = i;
                    while i < t.len() && is_ident(t[i]) {
                        i += 1;
                    }
                    if &t[start..i] == name {
                        return true;
                    }
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        false
    })
}

/// The fd actions other than `close` (a wrapper word, found with them) that
/// `python_loop_action` looks for.
const FD_ACTIONS: &[&[u8]] = &[b"fstat", b"set_inheritable", b"fcntl"];

/// `WRAPPER_WORDS` of the Python frontend, found anywhere in a name, then `FD_ACTIONS`
/// (pattern ids from `WRAPPER_WORDS.len()` on). Leftmost-first, so that the automaton skips
/// text with its SIMD prefilter (the standard match kind's prefilter stops at every `c`).
fn action_ac() -> &'static aho_corasick::AhoCorasick {
    static AC: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let words = WRAPPER_WORDS
            .iter()
            .map(|w| w.as_bytes())
            .chain(FD_ACTIONS.iter().copied());
        aho_corasick::AhoCorasickBuilder::new()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(words)
            .expect("words compile")
    })
}

/// The offset of the `)` that closes the `(` at `open`, at most `limit` bytes on: parentheses
/// inside string literals (`sep=")"`) and comments (`# :)`) do not count. `None` when the text
/// or the limit ends first.
fn closing_paren(t: &[u8], open: usize, limit: usize) -> Option<usize> {
    let end = t.len().min(open.saturating_add(limit));
    let mut depth = 0usize;
    let mut i = open;
    while i < end {
        match t[i] {
            q @ (b'\'' | b'"') => {
                let triple = t[i..].starts_with(&[q, q, q]);
                let mut k = i + if triple { 3 } else { 1 };
                while k < t.len() {
                    if t[k] == b'\\' {
                        k += 2;
                    } else if triple && t[k..].starts_with(&[q, q, q]) {
                        k += 2;
                        break;
                    } else if !triple && (t[k] == q || t[k] == b'\n') {
                        break;
                    } else {
                        k += 1;
                    }
                }
                i = k;
            }
            b'#' => i = memchr::memchr(b'\n', &t[i..]).map_or(t.len(), |n| i + n),
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether `name` is called (as `python_called` finds it) with an identifier `arg` among the
/// ones between its parentheses for which `wanted(arg, call)` holds (`call`: the name's
/// offset). An argument list whose end is not found soon counts as holding one, and so do all
/// calls once their argument lists add up to more than the text itself (nested calls
/// `h(h(h(...)))` would make the scan quadratic): looser is sound.
fn python_called_with(t: &[u8], name: &[u8], wanted: &dyn Fn(&[u8], usize) -> bool) -> bool {
    let mut budget = t.len().saturating_add(MAX_PARAMS_BYTES);
    memchr::memmem::find_iter(t, name).any(|at| {
        let end = at + name.len();
        if !starts_word(t, at) || t.get(end).is_some_and(|b| is_ident(*b)) {
            return false;
        }
        let open = skip_trivia(t, end);
        if t.get(open) != Some(&b'(') || after_def(t, at) {
            return false;
        }
        let Some(close) = closing_paren(t, open, MAX_PARAMS_BYTES) else {
            return true;
        };
        if close - open > budget {
            return true;
        }
        budget -= close - open;
        let mut i = open + 1;
        while i < close {
            match ident_at(t, i) {
                Some(w) if wanted(w, at) => return true,
                Some(w) => i += w.len(),
                None => i += 1,
            }
        }
        false
    })
}

/// Whether the name at `at` follows the keyword `def` (across whitespace and continuations).
pub(super) fn after_def(t: &[u8], at: usize) -> bool {
    after_word(t, at, b"def")
}

/// Whether `commands` stands as a whole word: `classify` recognises `getoutput` and
/// `getstatusoutput` only of the module `commands`, which its call names (`commands.getoutput`,
/// `c.getoutput` after `import commands as c`) or the `from commands import ...` that binds the
/// bare name does. Both names are code there, so when the text tokenizes (`pycode`), they
/// are looked for in its code alone: six's `MovedAttribute("getoutput", "commands", ...)` and
/// IPython's prose about shell commands name no module (9 files, 0.3 MB of the corpus that
/// were parsed for nothing).
pub(super) fn python_commands_word(t: &[u8]) -> bool {
    let word =
        |t: &[u8]| memchr::memmem::find_iter(t, b"commands").any(|at| whole_word(t, at, at + 8));
    match pycode::code_only(t) {
        Some(code) => {
            word(&code)
                && [&b"getoutput"[..], b"getstatusoutput"]
                    .iter()
                    .any(|w| memchr::memmem::find(&code, w).is_some())
        }
        None => word(t),
    }
}

/// Whether some `close_fds` may be false. The frontend reads a `close_fds` value in two
/// places only: a keyword argument named `close_fds` (of the spawn call, of `dict(..)` or
/// `.update(..)`: `options.rs`), and a string whose whole text is `close_fds` (a dict key, a
/// subscript key, `setdefault`'s first argument). A variable, a parameter or its default
/// (`def f(close_fds=False)`, `close_fds = flag`) reaches a call only through such a keyword
/// (`close_fds=close_fds`), which counts on its own; the positional argument is never read.
/// So an occurrence counts when it is a whole word followed by `=` (not `==`; the keyword,
/// also across lines and comments inside the call's parentheses) or the whole text of a
/// string literal (the same quote right before and after it). `def close_fds(*fds)`,
/// `not close_fds`, `_execute_child(args, close_fds, ..)` or `close_fds is None` do not.
///
/// A counted occurrence is set to a literal `True` (or `1`) when it is `close_fds`, maybe a
/// closing quote and `]`, then `=` (not `==`), `:` or `,`, then `True` or `1` as the whole value
/// (followed by `,`, `)`, `]`, `}`, `;`, a comment or the end of the line): `close_fds=True`,
/// `"close_fds": True`, `kwargs["close_fds"] = True`. Every other counted occurrence may be
/// false (`close_fds=False`, `close_fds=flag`, `close_fds=True if x else False`,
/// `kwargs.pop("close_fds")`).
pub(super) fn python_close_fds_not_true(t: &[u8]) -> bool {
    let blanks = |mut i: usize| {
        while t.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
            i += 1;
        }
        i
    };
    memchr::memmem::find_iter(t, b"close_fds").any(|at| {
        let end = at + b"close_fds".len();
        if !whole_word(t, at, end) {
            return false;
        }
        let quote = at.checked_sub(1).map(|q| t[q]);
        let quoted = matches!(quote, Some(b'\'' | b'"')) && t.get(end) == quote.as_ref();
        let mut i = end;
        if quoted {
            i += 1;
            if t.get(i) == Some(&b']') {
                i += 1;
            }
            i = blanks(i);
            match t.get(i) {
                Some(b'=') if t.get(i + 1) != Some(&b'=') => {}
                Some(b':' | b',') => {}
                _ => return true,
            }
        } else {
            if after_def(t, at) {
                return false;
            }
            let eq = skip_trivia(t, end);
            if t.get(eq) != Some(&b'=') || t.get(eq + 1) == Some(&b'=') {
                return false;
            }
            if blanks(end) != eq {
                // The value of a keyword split over lines: not read here.
                return true;
            }
            i = eq;
        }
        i = blanks(i + 1);
        let value = match ident_at(t, i) {
            Some(b"True") => 4,
            _ if t.get(i) == Some(&b'1') && t.get(i + 1).is_none_or(|b| !is_ident(*b)) => 1,
            _ => return true,
        };
        i = blanks(i + value);
        !matches!(
            t.get(i),
            None | Some(b',' | b')' | b']' | b'}' | b';' | b'#' | b'\n' | b'\r')
        )
    })
}

/// Whether an `os.closerange` call may reach the fd limit (FD005 reports only a bound that
/// resolves to the limit, `Reach::Limit`). `classify` recognises the function by the name
/// `closerange`, called as an attribute of a module alias or bound by `from os import
/// closerange` (the import then names it); a wrapper's body holds such a call. Looked for in
/// the code alone when the text tokenizes (`pycode`: `patch("os.closerange")` and prose are
/// not calls), an occurrence does not count when it
/// - is part of a longer name (`test_closerange`, `mock_os_closerange`),
/// - is defined (`def closerange(lo, hi):`) or bound by `as` (`patch(..) as closerange`):
///   neither names `os.closerange`, and a bare call resolves only through an import,
/// - is followed by `.` (`os.closerange.assert_called_with(..)`, a mock's attribute),
/// - is called with exactly two arguments whose second is an integer literal
///   (`os.closerange(3, 256)`: `eval` gives a number, a `Guess` bound, never `Limit`, and a
///   wrapper needs a parameter there) or a subscript whose index is one expression holding a
///   letter (`fds[i + 1]`: `eval` resolves a subscript only with the index `0`, `1` or `-1`,
///   and a wrapper needs a bare parameter).
///
/// Every other occurrence counts (an import, a call with any other arguments, a reference).
pub(super) fn python_closerange_call(t: &[u8]) -> bool {
    let code = pycode::code_only(t);
    let c: &[u8] = code.as_deref().unwrap_or(t);
    memchr::memmem::find_iter(c, b"closerange").any(|at| {
        let end = at + b"closerange".len();
        if !whole_word(c, at, end) || after_def(c, at) || after_word(c, at, b"as") {
            return false;
        }
        let mut next = end;
        while matches!(c.get(next), Some(b' ' | b'\t')) {
            next += 1;
        }
        if c.get(next) == Some(&b'.') {
            return false;
        }
        let open = skip_trivia(c, end);
        !(c.get(open) == Some(&b'(') && literal_bound_call(c, open))
    })
}

/// Whether the keyword `word` stands right before `at`, blanks and line continuations
/// between (`def close(`, `as closerange`).
fn after_word(t: &[u8], at: usize, word: &[u8]) -> bool {
    let mut j = at;
    while j > 0 && matches!(t[j - 1], b' ' | b'\t' | b'\\' | b'\n' | b'\r') {
        j -= 1;
    }
    let n = word.len();
    j < at && j >= n && &t[j - n..j] == word && (j == n || !is_ident(t[j - n - 1]))
}

/// Whether the call whose `(` is at `open` has exactly two arguments, the second an integer
/// literal or `name[index]` with an index of one expression holding a letter (see
/// `python_closerange_call`). Any string, comment, splat, keyword or unclosed bracket in the
/// arguments makes it false.
fn literal_bound_call(t: &[u8], open: usize) -> bool {
    const MAX_ARGS_BYTES: usize = 512;
    let end = t.len().min(open + MAX_ARGS_BYTES);
    // The closing brackets expected, innermost last.
    let mut open_brackets: Vec<u8> = Vec::new();
    let mut commas = Vec::new();
    let mut close = None;
    for (k, &b) in t.iter().enumerate().take(end).skip(open + 1) {
        match b {
            b'\'' | b'"' | b'#' | b'*' | b'=' => return false,
            b'(' => open_brackets.push(b')'),
            b'[' => open_brackets.push(b']'),
            b'{' => open_brackets.push(b'}'),
            b')' if open_brackets.is_empty() => {
                close = Some(k);
                break;
            }
            // (The guard pops the bracket it closes.)
            b')' | b']' | b'}' if open_brackets.pop() != Some(b) => return false,
            b',' if open_brackets.is_empty() => commas.push(k),
            _ => {}
        }
    }
    let Some(close) = close else {
        return false;
    };
    let trim = |s: &[u8]| -> (usize, usize) {
        let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\\');
        let a = s.iter().position(|b| !ws(b)).unwrap_or(s.len());
        let z = s.iter().rposition(|b| !ws(b)).map_or(a, |z| z + 1);
        (a, z.max(a))
    };
    let second = match commas.as_slice() {
        [c1] => (c1 + 1, close),
        [c1, c2]
            if {
                let (a, z) = trim(&t[c2 + 1..close]);
                a == z
            } =>
        {
            (c1 + 1, *c2)
        }
        _ => return false,
    };
    let (a, z) = trim(&t[second.0..second.1]);
    let arg = &t[second.0 + a..second.0 + z];
    if !arg.is_empty() && arg[0].is_ascii_digit() {
        let digits = |s: &[u8], hex: bool| {
            !s.is_empty()
                && s.iter()
                    .all(|b| *b == b'_' || b.is_ascii_digit() || (hex && b.is_ascii_hexdigit()))
        };
        return match arg {
            [b'0', b'x' | b'X', rest @ ..] => digits(rest, true),
            [b'0', b'o' | b'O' | b'b' | b'B', rest @ ..] => digits(rest, false),
            _ => digits(arg, false),
        };
    }
    // `name[index]` (dotted names allowed), the `]` closing the first `[` last.
    let Some(open_sub) = arg.iter().position(|b| *b == b'[') else {
        return false;
    };
    let name = &arg[..open_sub];
    if name.is_empty()
        || name[0].is_ascii_digit()
        || !name.iter().all(|b| is_ident(*b) || *b == b'.')
        || arg.last() != Some(&b']')
    {
        return false;
    }
    let index = &arg[open_sub + 1..arg.len() - 1];
    let mut d = 0usize;
    for &b in index {
        match b {
            b'[' | b'(' | b'{' => d += 1,
            b']' | b')' | b'}' => match d.checked_sub(1) {
                Some(n) => d = n,
                None => return false,
            },
            b',' | b':' => return false,
            _ => {}
        }
    }
    d == 0 && index.iter().any(|b| b.is_ascii_alphabetic() || *b == b'_')
}

/// Python's legacy spawn calls (`classify`: `os.popen`, `os.popen2/3/4`, `popen2.popen2/3/4`,
/// `popen2.Popen3/4`) all need one of `popen`, `popen2`, `popen3`, `popen4` as a whole
/// identifier in the text: the function's name, or the module's (`popen2`), in the call or in
/// the import that binds a local name to it. So `_popen`, `nb_popen`, `popen_spawn` or
/// `set_spawning_popen` alone cannot make a spawn fact.
pub(super) fn python_popen_word(t: &[u8]) -> bool {
    popen_word(t, true)
}

/// `python_popen_word` for the Python 2 only names: `popen2`, `popen3`, `popen4` (functions of
/// `os` and `popen2`, and the `popen2` module whose `Popen3`/`Popen4` classes need it imported).
pub(super) fn python_legacy_popen_word(t: &[u8]) -> bool {
    popen_word(t, false)
}

pub(super) fn popen_word(t: &[u8], plain: bool) -> bool {
    memchr::memmem::find_iter(t, b"popen").any(|at| {
        let end = at + 5;
        if matches!(t.get(end), Some(b'2' | b'3' | b'4')) {
            whole_word(t, at, end + 1)
        } else {
            plain && whole_word(t, at, end)
        }
    })
}
