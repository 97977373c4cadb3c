//! The byte-level prefilter: decides, before any parsing, whether a file can contain a finding.
//!
//! Parsing is the expensive step (tree-sitter parses Python and Ruby at 12-14 MB/s per thread on
//! the benchmark corpus, ~100x slower than this scan), and most files cannot contain a finding:
//! every fact a frontend reports needs certain literal tokens in the text (a loop that closes fds needs the close call's name; a limit needs
//! `getrlimit` or `sysconf`). Each language has a list of requirements; a requirement is a set of
//! token groups that must ALL occur, a group is satisfied by ANY of its tokens. A file is parsed
//! when any requirement is met. One Aho-Corasick scan per file finds the tokens, and stops as
//! soon as a requirement is met; it is a leftmost-longest search resumed one byte after each
//! match (so that the automaton's SIMD prefilter skips text without tokens, ~10x faster than an
//! overlapping search), with each token also counting for the tokens it contains.
//!
//! Architecture invariant: the prefilter never changes results. A test lints every fixture with
//! and without it and requires identical findings; when a frontend learns a new spelling, its
//! tokens must be added here.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};

use crate::facts::Lang;

mod pycode;

/// A requirement: token groups that must all occur, and optionally a check of the text's shape
/// that must also hold (run at most once per file, only after the tokens were all seen).
type Requirement = (&'static [&'static [&'static str]], Option<Confirm>);

/// A shape check on a file's bytes: false only when the text cannot hold the facts.
type Confirm = fn(&[u8]) -> bool;

/// Requirement tables, per language. Comments say which facts each requirement admits.
const PYTHON: &[Requirement] = &[
    // FD001 close loops: a `range`/`xrange` call or a `while` loop, and an fd action called on
    // the loop variable (checked by `python_loop_action`: in the corpus benchmark, 87% of the
    // Python files that have these tokens only have them in `f.close()`-like calls).
    (
        &[
            &["range", "while"],
            &["close", "fstat", "set_inheritable", "fcntl"],
        ],
        Some(python_loop_action),
    ),
    // FD002 containers: a `range` whose bound is the real limit, which the resolver only
    // recognises through `getrlimit(..NOFILE..)`, `sysconf(..OPEN_MAX..)`, `getdtablesize()`
    // or `subprocess.MAXFD`.
    (
        &[
            &["range"],
            &["NOFILE", "OPEN_MAX", "getdtablesize", "MAXFD"],
        ],
        None,
    ),
    // FD004 spawn calls and FD005 `os.closerange`: `classify` in the frontend recognises
    // `subprocess[32].{Popen,call,check_call,check_output,run}`, `os.popen[234]`,
    // `popen2.*`, `commands.{getoutput,getstatusoutput}` and `{os,posix}.closerange`, through
    // module aliases and `from` imports. The module name `subprocess` appears in the text for
    // every subprocess call (the import names it), `popen` for every os/popen2 one,
    // `getoutput` for every commands one (the function name itself: `commands`, a common
    // word, is not needed), `closerange` for FD005. `Popen` alone is never enough: it is only
    // recognised when imported from `subprocess` or `popen2`, which both contain a token here.
    //
    // Files with `subprocess` but none of these are only weakly admitted (the next
    // requirement): their findings depend on Python 2-ness and the link pass, which the engine
    // checks before parsing them (ARCHITECTURE.md, "Decisions").
    (&[&["getoutput", "closerange"]], None),
    // A `subprocess` call with `close_fds` (`close_fds=False` is a finding on any version).
    (&[&["subprocess"], &["close_fds"]], None),
    // A `subprocess` call without it: admitted, but weakly (see `PYTHON_WEAK` and
    // `Admission::Weak`).
    (&[&["subprocess"]], None),
    // The Python 2 only `os.popen2/3/4` and `popen2.*` calls (a finding on any version):
    // `python_popen_word` with a digit.
    (&[&["popen"]], Some(python_legacy_popen_word)),
    // `os.popen` (and `from os import popen`): a finding only on Python 2, so admitted weakly
    // like a `subprocess` call without `close_fds`.
    (&[&["popen"]], Some(python_popen_word)),
];

const RUBY: &[Requirement] = &[
    // FD001: an fd action called on a loop variable (`ruby_loop_action`): `CONST.close(fd)`,
    // or `IO`/`File`/a socket class `.for_fd`/`.new`/`.open(fd)`.
    (
        &[&["close", "for_fd", "new", "open"]],
        Some(ruby_loop_action),
    ),
    // FD002 and limit-bounded loops: a limit source.
    (&[&["getrlimit", "sysconf", "OPEN_MAX", "NOFILE"]], None),
    // FD003 spawn calls (also the parents of the link pass): every spawn-family method name
    // contains one of these, and `ruby_spawn_word` checks one occurs as a whole name.
    (
        &[&["spawn", "popen", "system", "exec", "capture", "pipeline"]],
        Some(ruby_spawn_word),
    ),
];

const RUST: &[Requirement] = &[
    // FD001: a range or while loop and an fd action called on the loop variable (checked by
    // `rust_loop_action`).
    (
        &[
            &["..", "while"],
            &["close", "fcntl", "fstat", "from_raw_fd"],
        ],
        Some(rust_loop_action),
    ),
    // FD002: a range collected into a `Vec` (`.collect()` or `Vec::from_iter`) whose bound is
    // a limit source (the rule only reports real limits; guesses are never findings).
    (
        &[
            &[".."],
            &[
                "getrlimit",
                "sysconf",
                "getdtablesize",
                "OPEN_MAX",
                "NOFILE",
                "rlimit",
            ],
            &["collect", "from_iter"],
        ],
        None,
    ),
    // Spawn facts for the link pass: the frontend only reports `.arg(..)`/`.args(..)` calls
    // on a `Command::new(..)` chain or on a local initialised by one (`rust_command_arg`).
    (&[&["Command"], &["arg"]], Some(rust_command_arg)),
];

/// Indices in `PYTHON` of the requirements that admit a file only weakly: a `subprocess` call
/// without `close_fds`, or an `os.popen` call, has a finding only when the file is judged
/// Python 2, or when it runs a scanned script that sweeps fds (the link pass). The engine
/// decides those cheaply before parsing such a file (`engine`, "weakly admitted").
const PYTHON_WEAK: &[usize] = &[4, 6];

/// What the prefilter says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// No finding is possible.
    No,
    /// A finding may be in the file: parse it.
    Yes,
    /// Only a weak requirement is met: a finding is possible only under conditions the caller
    /// can check without parsing (see `PYTHON_WEAK`).
    Weak,
}

struct Compiled {
    ac: AhoCorasick,
    /// Requirements (by bit) that admit only weakly.
    weak: u64,
    /// The tokens, by id (for checking the scan against a naive one).
    tokens: Vec<&'static str>,
    /// For each token id, the bit of every group it belongs to (a token may serve several).
    token_bits: Vec<u64>,
    /// Each requirement as the mask of groups that must all be hit, and its shape check.
    requirements: Vec<(u64, Option<Confirm>)>,
}

fn compile(table: &[Requirement], weak_indices: &[usize]) -> Compiled {
    let mut tokens: Vec<&'static str> = Vec::new();
    let mut token_bits: Vec<u64> = Vec::new();
    let mut requirements = Vec::new();
    let mut bit = 0u32;
    for (groups, confirm) in table {
        let mut mask = 0u64;
        for group in *groups {
            assert!(bit < 64, "too many prefilter groups");
            for tok in *group {
                let id = match tokens.iter().position(|t| t == tok) {
                    Some(i) => i,
                    None => {
                        tokens.push(tok);
                        token_bits.push(0);
                        tokens.len() - 1
                    }
                };
                token_bits[id] |= 1 << bit;
            }
            mask |= 1 << bit;
            bit += 1;
        }
        requirements.push((mask, *confirm));
    }
    // A match of a token implies every token inside it (`getrlimit` holds `rlimit`): with
    // leftmost-longest matches, those are never reported at the same position.
    for (i, t) in tokens.iter().enumerate() {
        for (j, u) in tokens.iter().enumerate() {
            if i != j && t.contains(u) {
                token_bits[i] |= token_bits[j];
            }
        }
    }
    // Leftmost-longest (not overlapping) search lets the automaton use its fast SIMD
    // prefilter (Teddy) to skip text without any token; `may_match` resumes one byte after
    // each match start, so tokens that begin inside a match are still seen.
    let ac = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&tokens)
        .expect("prefilter tokens compile");
    Compiled {
        ac,
        weak: weak_indices.iter().fold(0, |m, i| m | (1 << i)),
        tokens,
        token_bits,
        requirements,
    }
}

fn compiled(lang: Lang) -> &'static Compiled {
    static PY: OnceLock<Compiled> = OnceLock::new();
    static RB: OnceLock<Compiled> = OnceLock::new();
    static RS: OnceLock<Compiled> = OnceLock::new();
    match lang {
        Lang::Python => PY.get_or_init(|| compile(PYTHON, PYTHON_WEAK)),
        Lang::Ruby => RB.get_or_init(|| compile(RUBY, &[])),
        Lang::Rust => RS.get_or_init(|| compile(RUST, &[])),
    }
}

/// Whether a run parses `text` when nothing but the text is known (no configured version, no
/// project files, no link pass): admitted, or weakly admitted with a Python 2 hint. What the
/// benchmark helpers (`examples/`) measure.
pub fn parsed_without_context(lang: Lang, text: &[u8]) -> bool {
    match admit(lang, text) {
        Admission::Yes => true,
        Admission::No => false,
        Admission::Weak => python2_hint(text),
    }
}

/// Whether `text` may contain a finding for a file of `lang` (weak admissions included).
pub fn may_match(lang: Lang, text: &[u8]) -> bool {
    admit(lang, text) != Admission::No
}

/// Whether, and how strongly, `text` may contain a finding for a file of `lang`.
pub fn admit(lang: Lang, text: &[u8]) -> Admission {
    let c = compiled(lang);
    let mut seen = 0u64;
    // Requirements whose tokens were all seen but whose shape check failed: never met.
    let mut failed = 0u64;
    let mut weak_met = false;
    let mut at = 0;
    while let Some(m) = c.ac.find(Input::new(text).range(at..)) {
        at = m.start() + 1;
        let bits = c.token_bits[m.pattern().as_usize()];
        if seen | bits == seen {
            continue;
        }
        seen |= bits;
        for (i, (mask, confirm)) in c.requirements.iter().enumerate() {
            if failed & (1 << i) != 0 || seen & mask != *mask {
                continue;
            }
            let met = match confirm {
                None => true,
                Some(check) => check(text),
            };
            if !met {
                failed |= 1 << i;
            } else if c.weak & (1 << i) != 0 {
                // Keep scanning: a strong requirement may still be met.
                weak_met = true;
                failed |= 1 << i;
            } else {
                return Admission::Yes;
            }
        }
    }
    if weak_met {
        Admission::Weak
    } else {
        Admission::No
    }
}

/// Whether Python source may be Python 2 by its own text: a byte-level superset of the evidence
/// the Python frontend accepts (a `python2` shebang, print and exec statements, `except X, e`,
/// `raise E, msg`, `<>`, backticks, `0777` and `10L` literals). False means the frontend would
/// find no Python 2 syntax, so the file's dialect depends only on settings, the project and the
/// link pass.
///
/// The syntax checks look at code only: string contents and comments are blanked first
/// (`pycode`), unless the text does not tokenize cleanly, when they look at all of it.
pub fn python2_hint(text: &[u8]) -> bool {
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if first_line.starts_with(b"#!") && memchr::memmem::find(first_line, b"python2").is_some() {
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
        (at == 0 || !is_ident(t[at - 1]))
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

/// The group bits of every token in `text`, one substring search per token: what the
/// automaton's scan must find (checked in debug builds and tests).
fn naive_seen(c: &Compiled, text: &[u8]) -> u64 {
    c.tokens
        .iter()
        .zip(&c.token_bits)
        .filter(|(t, _)| memchr::memmem::find(text, t.as_bytes()).is_some())
        .fold(0, |acc, (_, bits)| acc | bits)
}

/// Which requirements of `lang`'s table `text` meets, each checked on its own (for measuring
/// the prefilter, e.g. `examples/prefilter_census.rs`; the product only needs [`may_match`]).
#[doc(hidden)]
pub fn requirements_met(lang: Lang, text: &[u8]) -> Vec<bool> {
    let c = compiled(lang);
    let mut seen = 0u64;
    let mut at = 0;
    while let Some(m) = c.ac.find(Input::new(text).range(at..)) {
        at = m.start() + 1;
        seen |= c.token_bits[m.pattern().as_usize()];
    }
    debug_assert_eq!(seen, naive_seen(c, text));
    c.requirements
        .iter()
        .map(|(mask, confirm)| seen & mask == *mask && confirm.is_none_or(|check| check(text)))
        .collect()
}

/// Bytes that can continue a Python identifier (any non-ASCII byte, conservatively).
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Whether `t[at..end]` is a whole identifier: no identifier byte on either side.
fn whole_word(t: &[u8], at: usize, end: usize) -> bool {
    (at == 0 || !is_ident(t[at - 1])) && t.get(end).is_none_or(|b| !is_ident(*b))
}

/// The offset after the whitespace, line continuations and comments starting at `i`.
fn skip_trivia(t: &[u8], mut i: usize) -> usize {
    while i < t.len() {
        match t[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\\' => i += 1,
            b'#' => i = memchr::memchr(b'\n', &t[i..]).map_or(t.len(), |n| i + n),
            _ => break,
        }
    }
    i
}

/// The identifier starting at `i`, if one does.
fn ident_at(t: &[u8], i: usize) -> Option<&[u8]> {
    let first = *t.get(i)?;
    if !is_ident(first) || first.is_ascii_digit() {
        return None;
    }
    let end = t[i..]
        .iter()
        .position(|b| !is_ident(*b))
        .map_or(t.len(), |n| i + n);
    Some(&t[i..end])
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
/// continuations can stand. The check is deliberately looser than the query (it does not tie
/// the call to the loop's body): it must never reject a file the frontend would find a loop in.
fn python_loop_action(t: &[u8]) -> bool {
    const ACTIONS: &[&[u8]] = &[b"close", b"fstat", b"set_inheritable", b"fcntl"];
    // Names passed first to an action call, and whether an action is followed by a comma.
    let mut args: Vec<&[u8]> = Vec::new();
    let mut mapped = false;
    for a in ACTIONS {
        for at in memchr::memmem::find_iter(t, a) {
            if (at > 0 && is_ident(t[at - 1])) || after_def(t, at) {
                // Part of a longer name, or a definition (`def close(self):`), not a call.
                continue;
            }
            let i = skip_trivia(t, at + a.len());
            match t.get(i) {
                Some(b'(') => {
                    // The first argument must be a bare name (`find_action` compares
                    // `identifier` nodes): `close(fd)`, `close(fd, x)`, not `close(self.fd)`,
                    // `close(fds[i])` or `close(fd=3)`.
                    let start = skip_trivia(t, i + 1);
                    if let Some(name) = ident_at(t, start)
                        && matches!(t.get(skip_trivia(t, start + name.len())), Some(b',' | b')'))
                    {
                        args.push(name);
                    }
                }
                Some(b',') => mapped = true,
                _ => {}
            }
        }
    }
    if mapped && memchr::memmem::find(t, b"map").is_some() {
        return true;
    }
    if args.is_empty() {
        return false;
    }
    // A helper that closes its parameter (`def close_if_open(fd): os.close(fd)`) may be called
    // from a loop with the loop variable (`loop_action` follows calls whose callee's last name
    // is a function defined in this file, one level): a helper with a parameter among the
    // action arguments counts when its name is also called somewhere (`NAME(` or
    // `self.NAME (` not preceded by `def`) and the file has a loop of a matched shape.
    let mut helper_closes = false;
    for at in memchr::memmem::find_iter(t, b"def") {
        if (at > 0 && is_ident(t[at - 1])) || t.get(at + 3).is_some_and(|b| is_ident(*b)) {
            continue;
        }
        let Some(helper) = ident_at(t, skip_trivia(t, at + 3)) else {
            continue;
        };
        let Some(open) = memchr::memchr(b'(', &t[at..]).map(|o| at + o) else {
            continue;
        };
        // The matching `)`: defaults may hold parentheses (`def f(flags=(0), fd=None)`) and
        // strings (`sep=")"`), which are skipped whole.
        let mut close = open + 1;
        let mut depth = 1usize;
        while close < t.len() {
            match t[close] {
                q @ (b'\'' | b'"') => {
                    let triple = t[close..].starts_with(&[q, q, q]);
                    let mut k = close + if triple { 3 } else { 1 };
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
                    close = k;
                }
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            close += 1;
        }
        let mut i = open + 1;
        let mut closes_param = false;
        let close = close.min(t.len());
        while i < close {
            if let Some(name) = ident_at(t, i) {
                if args.contains(&name) {
                    closes_param = true;
                    break;
                }
                i += name.len();
            } else {
                i += 1;
            }
        }
        if closes_param && python_called(t, helper) {
            helper_closes = true;
            break;
        }
    }
    let loop_vars = python_loop_vars(t);
    if helper_closes {
        return !loop_vars.is_empty();
    }
    loop_vars.iter().any(|v| args.contains(v))
}

/// The variables of the loops `queries/python/close_loops.scm` matches, read from the text:
/// `for NAME in range(` / `xrange(` / `reversed(` (statements and comprehension clauses: the
/// query wants an `identifier` on the left and one of those calls on the right) and
/// `while NAME OP` where OP starts a comparison (`<`, `>`, `==`, `!=`, `in`, `is`, `not in`:
/// the query wants a `comparison_operator` whose first operand is the name). Between tokens,
/// whitespace, comments and continuations; a keyword inside a longer name also counts (looser).
fn python_loop_vars(t: &[u8]) -> Vec<&[u8]> {
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
            let is_loop = if kw == b"for" {
                ident_at(t, j) == Some(b"in")
                    && ident_at(t, skip_trivia(t, j + 2)).is_some_and(|f| {
                        matches!(f, b"range" | b"xrange" | b"reversed")
                            && t.get(skip_trivia(t, skip_trivia(t, j + 2) + f.len())) == Some(&b'(')
                    })
            } else {
                matches!(t.get(j), Some(b'<' | b'>' | b'=' | b'!'))
                    || matches!(ident_at(t, j), Some(b"in" | b"is" | b"not"))
            };
            if is_loop {
                vars.push(name);
            }
        }
    }
    vars
}

/// Whether `name` is called somewhere other than in its `def`: a whole identifier followed by
/// `(` (after whitespace, comments, continuations), not preceded by the keyword `def`.
fn python_called(t: &[u8], name: &[u8]) -> bool {
    memchr::memmem::find_iter(t, name).any(|at| {
        let end = at + name.len();
        if (at > 0 && is_ident(t[at - 1])) || t.get(end).is_some_and(|b| is_ident(*b)) {
            return false;
        }
        if t.get(skip_trivia(t, end)) != Some(&b'(') {
            return false;
        }
        !after_def(t, at)
    })
}

/// Whether the name at `at` follows the keyword `def` (across whitespace and continuations).
fn after_def(t: &[u8], at: usize) -> bool {
    let mut j = at;
    while j > 0 && matches!(t[j - 1], b' ' | b'\t' | b'\\' | b'\n' | b'\r') {
        j -= 1;
    }
    j < at && j >= 3 && &t[j - 3..j] == b"def" && (j == 3 || !is_ident(t[j - 4]))
}

/// Python's legacy spawn calls (`classify`: `os.popen`, `os.popen2/3/4`, `popen2.popen2/3/4`,
/// `popen2.Popen3/4`) all need one of `popen`, `popen2`, `popen3`, `popen4` as a whole
/// identifier in the text: the function's name, or the module's (`popen2`), in the call or in
/// the import that binds a local name to it. So `_popen`, `nb_popen`, `popen_spawn` or
/// `set_spawning_popen` alone cannot make a spawn fact.
fn python_popen_word(t: &[u8]) -> bool {
    popen_word(t, true)
}

/// `python_popen_word` for the Python 2 only names: `popen2`, `popen3`, `popen4` (functions of
/// `os` and `popen2`, and the `popen2` module whose `Popen3`/`Popen4` classes need it imported).
fn python_legacy_popen_word(t: &[u8]) -> bool {
    popen_word(t, false)
}

fn popen_word(t: &[u8], plain: bool) -> bool {
    memchr::memmem::find_iter(t, b"popen").any(|at| {
        let end = at + 5;
        if matches!(t.get(end), Some(b'2' | b'3' | b'4')) {
            whole_word(t, at, end + 1)
        } else {
            plain && whole_word(t, at, end)
        }
    })
}

/// The classes whose `for_fd`/`new`/`open` wrap an fd number (`action_at` in
/// `src/lang/ruby.rs`).
const RUBY_FD_WRAPPERS: &[&[u8]] = &[
    b"IO",
    b"File",
    b"Socket",
    b"BasicSocket",
    b"TCPSocket",
    b"TCPServer",
    b"UNIXSocket",
    b"UNIXServer",
    b"UDPSocket",
];

/// The offset after Ruby whitespace, line continuations and comments starting at `i`.
fn skip_ruby_trivia(t: &[u8], i: usize) -> usize {
    // Ruby comments start with `#` like Python's.
    skip_trivia(t, i)
}

/// Ruby FD001 needs a loop fact, and the frontend (`queries/ruby/close_loops.scm`,
/// `fd_action` and `action_at` in `src/lang/ruby.rs`) reports one only when:
/// - the loop variable is the first block parameter of `upto`/`downto`/`each`/...
///   (`|fd|`, `|fd, i|`), the variable of `for fd in`, or the left side of `while fd <`;
/// - and the body calls, with the variable as the first argument (an `identifier`, with or
///   without parentheses), `CONST.close` on a constant receiver (`LibC.close(fd)`), or
///   `for_fd`/`new`/`open` on one of `RUBY_FD_WRAPPERS` (`IO.for_fd(fd)`, `UNIXSocket.new fd`).
///
/// So the text has such a call (method name as a whole word after `.`, `&.` or `::`, receiver
/// read back across spaces and tabs; a receiver on another line counts) whose argument name
/// also follows a `|`, `for` or `while` (across whitespace, continuations, comments and `(`).
/// `close_on_exec=`, `fcntl`, `stat` only ever act on an IO such a call made, so they need
/// no token of their own. Looser than the frontend on purpose: it never ties the call to the
/// loop.
fn ruby_loop_action(t: &[u8]) -> bool {
    let back = |mut j: usize| {
        while j > 0 && matches!(t[j - 1], b' ' | b'\t') {
            j -= 1;
        }
        j
    };
    let mut args: Vec<&[u8]> = Vec::new();
    for m in [&b"close"[..], b"for_fd", b"new", b"open"] {
        for at in memchr::memmem::find_iter(t, m) {
            let end = at + m.len();
            if !whole_word(t, at, end) {
                continue;
            }
            let j = back(at);
            let recv_end = if j >= 1 && t[j - 1] == b'.' {
                if j >= 2 && t[j - 2] == b'&' {
                    j - 2
                } else {
                    j - 1
                }
            } else if j >= 2 && &t[j - 2..j] == b"::" {
                j - 2
            } else {
                continue;
            };
            let r = back(recv_end);
            let known = r == 0 || matches!(t[r - 1], b'\n' | b'\r' | b'\\');
            if !known {
                let mut s = r;
                while s > 0 && is_ident(t[s - 1]) {
                    s -= 1;
                }
                let recv = &t[s..r];
                let ok = if m == b"close" {
                    recv.first()
                        .is_some_and(|b| b.is_ascii_uppercase() || *b >= 0x80)
                } else {
                    RUBY_FD_WRAPPERS.contains(&recv)
                };
                if !ok {
                    continue;
                }
            }
            let mut k = end;
            while matches!(t.get(k), Some(b' ' | b'\t')) {
                k += 1;
            }
            if t.get(k) == Some(&b'(') {
                k += 1;
            }
            if let Some(name) = ident_at(t, skip_ruby_trivia(t, k)) {
                args.push(name);
            }
        }
    }
    if args.is_empty() {
        return false;
    }
    for (kw, word) in [(&b"|"[..], false), (b"for", true), (b"while", true)] {
        for at in memchr::memmem::find_iter(t, kw) {
            let end = at + kw.len();
            if word && !whole_word(t, at, end) {
                continue;
            }
            let mut i = skip_ruby_trivia(t, end);
            while t.get(i) == Some(&b'(') {
                i = skip_ruby_trivia(t, i + 1);
            }
            if let Some(name) = ident_at(t, i)
                && args.contains(&name)
            {
                return true;
            }
        }
    }
    false
}

/// The spawn-family method names the Ruby frontend recognises (`api_of` in
/// `src/lang/ruby/spawn.rs`, the same list as `queries/ruby/spawn_calls.scm`).
const RUBY_SPAWN_NAMES: &[&[u8]] = &[
    b"popen3",
    b"popen2",
    b"popen2e",
    b"capture2",
    b"capture2e",
    b"capture2b",
    b"capture3",
    b"pipeline",
    b"pipeline_r",
    b"pipeline_w",
    b"pipeline_rw",
    b"pipeline_start",
    b"popen",
    b"spawn",
    b"system",
    b"exec",
];

/// Ruby FD003 (and the parent side of a link) needs a spawn fact, and the frontend
/// (`queries/ruby/spawn_calls.scm`, then `api_of` and `top_const` in `src/lang/ruby/spawn.rs`)
/// only reports a `call` whose method is an `identifier` spelled exactly as one of
/// `RUBY_SPAWN_NAMES`, and whose receiver is either absent (then the name is `spawn`, `system`
/// or `exec`) or the constant `Open3`, `IO`, `Process` or `Kernel` (also as `::Open3`).
///
/// In the text the method name is then a whole identifier: the bytes on both sides cannot
/// continue one (identifier bytes: ASCII alphanumerics, `_`, every non-ASCII byte), so
/// `filesystem`, `execute`, `exec_query` or `popen_opts` never count. Looking back from the
/// name across spaces and tabs:
/// - `.` or `&.` (a receiver): the receiver must end with one of the four constants
///   (`Open3 .popen3`); a receiver ending in anything else (`conn.exec`, `@db.exec(sql)`,
///   `foo(x).system`) is no constant. `X::name` is read the same way.
/// - `@`, `$` (an instance or global variable), or the keyword `def` (a definition, not a
///   call): no call.
/// - anything else: a call without a receiver, which counts for `spawn`, `system`, `exec`.
///
/// Wherever the look-back reaches a line break or a `\` continuation (`Open3.\n  popen3`, a
/// leading-dot chain after a comment), the occurrence counts: the scan does not read across
/// lines. `system?`, `:system` or a word in a string or a trailing comment also count: looser
/// is sound. A word on a full-line comment does not (`ruby_comment_line`).
fn ruby_spawn_word(t: &[u8]) -> bool {
    const ROOTS: &[&[u8]] = &[
        b"spawn",
        b"popen",
        b"system",
        b"exec",
        b"capture",
        b"pipeline",
    ];
    const RECEIVERS: &[&[u8]] = &[b"Open3", b"IO", b"Process", b"Kernel"];
    let back = |mut j: usize| {
        while j > 0 && matches!(t[j - 1], b' ' | b'\t') {
            j -= 1;
        }
        j
    };
    // Whether the receiver ending at `j` (exclusive, before spaces) is one of RECEIVERS, or
    // cannot be read on this line.
    let receiver_ok = |j: usize| {
        let j = back(j);
        if j == 0 || matches!(t[j - 1], b'\n' | b'\r' | b'\\') {
            return true;
        }
        let mut s = j;
        while s > 0 && is_ident(t[s - 1]) {
            s -= 1;
        }
        RECEIVERS.contains(&&t[s..j])
    };
    ROOTS.iter().any(|root| {
        memchr::memmem::find_iter(t, root).any(|at| {
            if at > 0 && is_ident(t[at - 1]) {
                return false;
            }
            let end = t[at..]
                .iter()
                .position(|b| !is_ident(*b))
                .map_or(t.len(), |n| at + n);
            let name = &t[at..end];
            if !RUBY_SPAWN_NAMES.contains(&name) || ruby_comment_line(t, at) {
                return false;
            }
            let j = back(at);
            match j.checked_sub(1).map(|p| t[p]) {
                None | Some(b'\n' | b'\r' | b'\\') => true,
                Some(b'.') => {
                    let mut r = j - 1;
                    if r > 0 && t[r - 1] == b'&' {
                        r -= 1;
                    }
                    if r > 0 && t[r - 1] == b'.' {
                        // `..name`: a range, not a call with a receiver; count it.
                        return true;
                    }
                    receiver_ok(r)
                }
                Some(b':') if j >= 2 && t[j - 2] == b':' => j == 2 || receiver_ok(j - 2),
                Some(b'@' | b'$') => false,
                _ => {
                    let after_def = j >= 3
                        && &t[j - 3..j] == b"def"
                        && (j == 3 || !is_ident(t[j - 4]))
                        && j < at;
                    !after_def && matches!(name, b"spawn" | b"system" | b"exec")
                }
            }
        })
    })
}

/// Whether the line holding `at` can hold no Ruby code: its first non-blank byte is `#` and the
/// line has no `#{`. Outside a literal such a line is a comment; inside a heredoc or a
/// multi-line string it is text, where only an interpolation (`#{...}`) could hold a call.
/// The one spelling that could make it code is a `%` literal delimited by `#` (`%#...#`),
/// whose closing `#` could start the line: a file with `%#` anywhere gets no exclusions.
fn ruby_comment_line(t: &[u8], at: usize) -> bool {
    let start = memchr::memrchr(b'\n', &t[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &t[at..]).map_or(t.len(), |i| at + i);
    let line = &t[start..end];
    line.iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\x0c'))
        .is_some_and(|b| *b == b'#')
        && memchr::memmem::find(line, b"#{").is_none()
        && memchr::memmem::find(t, b"%#").is_none()
}

/// The offset after the whitespace and comments (`//`, nested `/* */`) starting at `i`.
fn skip_rust_trivia(t: &[u8], mut i: usize) -> usize {
    loop {
        match t.get(i) {
            Some(b' ' | b'\t' | b'\n' | b'\r') => i += 1,
            Some(b'/') if t.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &t[i..]).map_or(t.len(), |n| i + n);
            }
            Some(b'/') if t.get(i + 1) == Some(&b'*') => {
                // Block comments nest in Rust.
                let mut nest = 1usize;
                i += 2;
                while i < t.len() && nest > 0 {
                    if t[i..].starts_with(b"/*") {
                        nest += 1;
                        i += 2;
                    } else if t[i..].starts_with(b"*/") {
                        nest -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            _ => return i,
        }
    }
}

/// After `i`, the prefixes a loop pattern or an fd argument may start with: `&`, `*`, `(`,
/// `mut`, `ref` (with whitespace and comments between).
fn skip_rust_prefixes(t: &[u8], mut i: usize) -> usize {
    loop {
        i = skip_rust_trivia(t, i);
        match t.get(i) {
            Some(b'&' | b'*' | b'(') => i += 1,
            _ => match ident_at(t, i) {
                Some(w @ (b"mut" | b"ref")) => i += w.len(),
                _ => return i,
            },
        }
    }
}

/// Whether `word` occurs in `t` as a whole identifier followed (after whitespace and comments)
/// by something `then` accepts (given the offset after the trivia).
fn rust_word_then(t: &[u8], word: &[u8], then: impl Fn(usize) -> bool) -> bool {
    memchr::memmem::find_iter(t, word).any(|at| {
        let end = at + word.len();
        whole_word(t, at, end) && then(skip_rust_trivia(t, end))
    })
}

/// Rust spawn facts (only used to link a parent to the script it runs) come from
/// `Collector::command_call`: a method call named `arg` or `args` whose receiver chain starts
/// at a call `is_command_new` accepts (a path whose last two segments are `Command` and `new`),
/// or at a local whose definition is such a call. So the text has `Command`, then (after
/// whitespace or comments) `::` and `new`, as whole identifiers; and `arg` or `args` as a whole
/// identifier followed by `(` (or `::`, a turbofish, which syn would accept). Where the `.`
/// before the method stands is not checked (comments may sit between): looser is sound. An
/// imported alias (`use std::process::Command as Cmd`) is not recognised by the frontend
/// either.
fn rust_command_arg(t: &[u8]) -> bool {
    let new = rust_word_then(t, b"Command", |k| {
        t[k..].starts_with(b"::") && {
            let j = skip_rust_trivia(t, k + 2);
            ident_at(t, j) == Some(b"new")
        }
    });
    new && [&b"arg"[..], b"args"].iter().any(|w| {
        rust_word_then(t, w, |k| {
            t.get(k) == Some(&b'(') || t[k..].starts_with(b"::")
        })
    })
}

/// What the first argument of an fd action call can be the loop variable through.
enum RustArg<'t> {
    /// This identifier (`fd`, `&fd`, `*fd`, `(fd)`, `fd as i32`, `fd.try_into()?`, `fd?`).
    Name(&'t [u8]),
    /// A shape the scan does not follow: assume it may be the loop variable.
    Any,
    /// Not a loop variable (a literal, a multi-segment path, a field of `self`, ...).
    None,
}

/// The first argument of a call whose `(` is at `open` (`is_var` in `src/lang/rust.rs`): its
/// first identifier after the prefixes. A path or call (`RawFd::try_from(fd)`, `from(fd)`) is
/// followed into its own first argument when its last segment is `from`/`try_from`; any other
/// path (`libc::STDIN_FILENO`) is no variable. A qualified path (`<T as From<_>>::from(fd)`)
/// or a turbofish is not followed: `Any`.
fn rust_first_arg(t: &[u8], open: usize, depth: u32) -> RustArg<'_> {
    let i = skip_rust_prefixes(t, open + 1);
    if t.get(i) == Some(&b'<') {
        return RustArg::Any;
    }
    let Some(first) = ident_at(t, i) else {
        return RustArg::None;
    };
    let mut last = first;
    let mut k = skip_rust_trivia(t, i + first.len());
    let mut path = false;
    while t[k..].starts_with(b"::") {
        path = true;
        k = skip_rust_trivia(t, k + 2);
        if t.get(k) == Some(&b'<') {
            return RustArg::Any;
        }
        let Some(seg) = ident_at(t, k) else {
            return RustArg::Any;
        };
        last = seg;
        k = skip_rust_trivia(t, k + seg.len());
    }
    if t.get(k) == Some(&b'(') {
        if matches!(last, b"from" | b"try_from") {
            return if depth > 8 {
                RustArg::Any
            } else {
                rust_first_arg(t, k, depth + 1)
            };
        }
        return RustArg::None;
    }
    if path {
        return RustArg::None;
    }
    RustArg::Name(first)
}

/// Rust FD001 needs a loop fact, and the frontend (`find_action` and the `Collector`'s
/// `visit_expr_for_loop`, `for_each`/`try_for_each`, `visit_expr_while` in
/// `src/lang/rust.rs`) reports one only for:
/// - a call `ACTION(ARG, ..)`, ACTION being the last path segment `close`, `fcntl`, `fstat`,
///   `fstat64` or `from_raw_fd` (a function call, never a method call or a macro: syn does not
///   look into macro bodies), whose first argument is the loop variable (`rust_first_arg`);
/// - inside `for VAR in RANGE`, `RANGE.for_each(|VAR| ..)` / `try_for_each`, or
///   `while VAR < HI` / `while HI > VAR` with `VAR += ..` or `VAR = VAR + ..` in the body.
///
/// So a file is kept when some argument name is bound by `for` or a closure's first parameter
/// (`|`, after `&`/`mut`/`(`), or, when the file has `while`, is assigned anywhere
/// (`VAR +=`, `VAR = `, `(VAR) +=`). Whitespace and comments may stand between tokens. Like
/// the Python check, this does not tie the call to the loop, nor the loop to a range: it is
/// looser than the frontend and must stay so.
fn rust_loop_action(t: &[u8]) -> bool {
    const ACTIONS: &[&[u8]] = &[b"close", b"fcntl", b"fstat", b"from_raw_fd"];
    let mut args: Vec<&[u8]> = Vec::new();
    for a in ACTIONS {
        for at in memchr::memmem::find_iter(t, a) {
            if at > 0 && is_ident(t[at - 1]) {
                continue;
            }
            let mut i = at + a.len();
            if *a == b"fstat" && t[i..].starts_with(b"64") {
                i += 2;
            }
            if t.get(i).is_some_and(|b| is_ident(*b)) {
                continue;
            }
            let i = skip_rust_trivia(t, i);
            if t[i..].starts_with(b"::") {
                // A turbofish (`close::<T>(..)`) or a module named like an action: not followed.
                return true;
            }
            if t.get(i) != Some(&b'(') {
                continue;
            }
            match rust_first_arg(t, i, 0) {
                RustArg::Name(n) => args.push(n),
                RustArg::Any => return true,
                RustArg::None => {}
            }
        }
    }
    if args.is_empty() {
        return false;
    }
    // `for VAR in`, `|VAR|`
    for (kw, word) in [(&b"for"[..], true), (b"|", false)] {
        for at in memchr::memmem::find_iter(t, kw) {
            let i = at + kw.len();
            if word && ((at > 0 && is_ident(t[at - 1])) || t.get(i).is_some_and(|b| is_ident(*b))) {
                continue;
            }
            if let Some(name) = ident_at(t, skip_rust_prefixes(t, i))
                && args.contains(&name)
            {
                return true;
            }
        }
    }
    // `while` loops: the variable is incremented in the body.
    let has_while = memchr::memmem::find_iter(t, b"while").any(|at| whole_word(t, at, at + 5));
    if has_while {
        for name in &args {
            for at in memchr::memmem::find_iter(t, name) {
                let end = at + name.len();
                if (at > 0 && is_ident(t[at - 1])) || t.get(end).is_some_and(|b| is_ident(*b)) {
                    continue;
                }
                let mut k = skip_rust_trivia(t, end);
                while t.get(k) == Some(&b')') {
                    k = skip_rust_trivia(t, k + 1);
                }
                let assigns = t[k..].starts_with(b"+=")
                    || (t.get(k) == Some(&b'=') && t.get(k + 1) != Some(&b'='));
                if assigns {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weak_requirements_are_subprocess_and_os_popen() {
        assert_eq!(PYTHON[PYTHON_WEAK[0]].0, &[&["subprocess"][..]][..]);
        assert_eq!(PYTHON[PYTHON_WEAK[1]].0, &[&["popen"][..]][..]);
        for weak in [
            &b"import subprocess\nsubprocess.call(['ls'])\n"[..],
            b"import os\nos.popen('ls').read()\n",
            b"from os import popen\npopen('ls')\nsubprocess.run(['ls'])\n",
        ] {
            assert_eq!(admit(Lang::Python, weak), Admission::Weak);
        }
        for strong in [
            &b"import os\nos.popen3('ls')\n"[..],
            b"import popen2\np = popen2.Popen3('ls')\n",
            b"from subprocess import run\nrun(['ls'], close_fds=False)\n",
        ] {
            assert_eq!(admit(Lang::Python, strong), Admission::Yes);
        }
        let strong =
            b"import subprocess\nsubprocess.call(['ls'], close_fds=False)\nos.closerange(3, 9)\n";
        assert_eq!(admit(Lang::Python, strong), Admission::Yes);
    }

    #[test]
    fn python2_hints_cover_the_frontends_evidence() {
        let opts = crate::lang::FrontendOptions::default();
        // Every file the frontend judges Python 2 (given a fact that needs the dialect) has a
        // hint; plain Python 3 has none.
        for src in [
            "print 'x'\n",
            "print >>sys.stderr, 'x'\n",
            "print\"x\"\n",
            "exec 'code'\n",
            "try:\n  pass\nexcept OSError, e:\n  pass\n",
            "try:\n  pass\nexcept (OSError, IOError), e:\n  pass\n",
            "raise ValueError, 'bad'\n",
            "if a <> b:\n  pass\n",
            "s = `x`\n",
            "x = 0777\n",
            "n = 10L\n",
            "#!/usr/bin/env python2\n",
        ] {
            let src = format!("{src}import subprocess\nsubprocess.call(['ls'])\n");
            let facts = crate::lang::extract(Lang::Python, &src, &opts).unwrap();
            assert_eq!(
                facts.runtime.dialect,
                crate::facts::PythonDialect::Python2,
                "frontend: {src}"
            );
            assert!(python2_hint(src.as_bytes()), "hint: {src}");
        }
        for src in [
            "print('x')\nprint(a, b)\nx = print\n",
            "try:\n  pass\nexcept (OSError, IOError) as e:\n  raise ValueError('a, b')\n",
            "raise ValueError(f'{a}, {b}') from e\n",
            "x = 0o777 + 0 + 00 + 1.0777 + 10\nn = 'L'\n",
            "exec(code)\nd = {1: print}\n",
            "# print the result, except when raise x, y\n    # exec this\n",
        ] {
            assert!(!python2_hint(src.as_bytes()), "hint: {src}");
        }
    }

    #[test]
    fn requirements() {
        assert!(may_match(
            Lang::Python,
            b"for fd in range(3, n):\n    os.close(fd)\n"
        ));
        assert!(!may_match(Lang::Python, b"for x in range(10): print(x)\n"));
        assert!(!may_match(Lang::Python, b"f.close()\n"));
        assert!(may_match(
            Lang::Ruby,
            b"3.upto(n) { |fd| IO.for_fd(fd).close }"
        ));
        assert!(!may_match(Lang::Ruby, b"puts 'hello'"));
        for spawn in [
            &b"Open3.popen3(cmd) do |i, o, e, t| end"[..],
            b"out, st = Open3.capture2(cmd)",
            b"system \"ls\", \"-l\"",
            b"Kernel.exec(cmd)",
            b"IO.popen(cmd)",
            b"Open3.pipeline_r(a, b)",
        ] {
            assert!(may_match(Lang::Ruby, spawn));
        }
        assert!(may_match(
            Lang::Rust,
            b"for fd in 3..n { libc::close(fd); }"
        ));
        assert!(!may_match(Lang::Rust, b"fn main() { drop(f); }"));
    }

    /// Every shape the Python frontend reports a loop for passes the prefilter; look-alikes
    /// that only share tokens do not.
    #[test]
    fn python_shapes() {
        let opts = crate::lang::FrontendOptions::default();
        let loops = |src: &str| {
            crate::lang::extract(Lang::Python, src, &opts)
                .unwrap()
                .close_loops
                .len()
        };
        let positives = [
            "for fd in range(3, 4096):\n    os.close(fd)\n",
            "for \\\n  fd in range(3, 4096):\n    os.close \\\n (fd)\n",
            "for fd in xrange(4096):\n    os . close (  fd )\n",
            "[os.fstat(n)\n for  # c\n n in range(3, 4096)]\n",
            "list(map(os.close\n , range(3, 4096)))\n",
            "fd = 3\nwhile fd < 4096:\n    os.set_inheritable(fd, False)\n    fd += 1\n",
            "fd = 3\nwhile fd \\\n  < 4096:\n    os.close(fd)\n    fd += 1\n",
            "for fd in reversed(range(3, 4096)):\n    fcntl.fcntl(fd, fcntl.F_SETFD, 1)\n",
            "for é in range(3, 4096):\n    os.close(é)\n",
            // Helpers that close their parameter, called from the loop.
            "def shut(fd):\n    os.close(fd)\nfor n in range(3, 4096):\n    shut(n)\n",
            "def shut(flags=(0), sep=\")\", fd=None):\n    os.close(fd)\nfor n in range(3, 4096):\n    self.shut (1, 2, n)\n",
        ];
        // Any comparison may start a `while` loop the query matches (the frontend judges the
        // operator), so the prefilter keeps them all.
        for src in [
            "fd = 3\nwhile fd != 4096:\n    os.close(fd)\n    fd += 1\n",
            "fd = 3\nwhile fd not in stop:\n    os.close(fd)\n    fd += 1\n",
            "fd = 3\nwhile fd is not None:\n    os.close(fd)\n",
        ] {
            assert!(may_match(Lang::Python, src.as_bytes()), "{src:?}");
        }
        for src in positives {
            assert_eq!(loops(src), 1, "frontend finds no loop in {src:?}");
            assert!(
                may_match(Lang::Python, src.as_bytes()),
                "prefilter drops {src:?}"
            );
        }
        let negatives = [
            "for line in range(4096):\n    print(line)\nf.close()\n",
            "while True:\n    sock.close()\n",
            "for x in range(4096):\n    fclose(x)\n",
            "for x in range(4096):\n    os.close(y)\n",
            "class C:\n    def close(self):\n        pass\n    def go(self):\n        for i in range(9):\n            self.go()\n",
            "for x in range(4096):\n    os.close(self.fd)\n",
            "def shut(fd):\n    os.close(fd)\nfor n in range(3, 4096):\n    print(n)\n",
            // Loops over anything but a range call: pipes, lists, enumerate.
            "for fd in (r, w):\n    os.close(fd)\nfor i in range(3):\n    pass\n",
            "for fd in fds:\n    os.close(fd)\n",
            "for fd in enumerate(range(4096)):\n    os.close(fd)\n",
            "for fd, _ in pairs(range(4096)):\n    os.close(fd)\n",
            "while fd:\n    os.close(fd)\n    fd = nxt()\n",
            "while (fd < 4096):\n    os.close(fd)\n",
            "def shut(fd):\n    os.close(fd)\nfor n in items:\n    shut(n)\n",
        ];
        for src in negatives {
            assert_eq!(loops(src), 0, "frontend finds a loop in {src:?}");
            assert!(
                !may_match(Lang::Python, src.as_bytes()),
                "prefilter keeps {src:?}"
            );
        }
        // Legacy popen calls need a whole `popen[234]` name; longer names are no call.
        for src in [
            "import os\nos.popen('ls')\n",
            "from os import popen3\npopen3('ls')\n",
            "import popen2\npopen2.Popen4('ls')\n",
        ] {
            assert_eq!(
                crate::lang::extract(Lang::Python, src, &opts)
                    .unwrap()
                    .spawns
                    .len(),
                1,
                "{src}"
            );
            assert!(
                may_match(Lang::Python, src.as_bytes()),
                "prefilter drops {src:?}"
            );
        }
        let src =
            "from x.nb_popen import NonBlockingPopen\nset_spawning_popen(1)\nself._popen = 1\n";
        assert!(
            crate::lang::extract(Lang::Python, src, &opts)
                .unwrap()
                .spawns
                .is_empty()
        );
        assert!(!may_match(Lang::Python, src.as_bytes()));
        // FD002 needs no action, only a range and a limit source.
        assert!(may_match(
            Lang::Python,
            b"fds = list(range(resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        ));
    }

    fn facts(lang: Lang, src: &str) -> crate::facts::Facts {
        crate::lang::extract(lang, src, &crate::lang::FrontendOptions::default()).unwrap()
    }

    /// The leftmost-longest scan that resumes after each match start sees every token a
    /// naive search sees, also where tokens overlap or contain each other.
    #[test]
    fn scan_sees_every_token() {
        let texts: &[&[u8]] = &[
            b"getrlimit",
            b"closerange",
            b"...rlimit..",
            b"closerange(3, n) close(fd)",
            b"popen2 subprocess",
            b"xxgetdtablesizexOPEN_MAXNOFILE",
            b"Open3.capture2e spawn system exec pipeline_r",
            b"IO.for_fd(fd) File.new open close",
            b"from_raw_fd from_iter collect Command arg while",
        ];
        for lang in [Lang::Python, Lang::Ruby, Lang::Rust] {
            for t in texts {
                // requirements_met asserts the scan equals the naive search (debug builds).
                let _ = requirements_met(lang, t);
            }
        }
        for (path, lang) in crate::discover::discover(
            &[std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")],
            true,
            None,
        )
        .files
        .into_iter()
        .map(|c| (c.path, c.lang))
        {
            let _ = requirements_met(lang, &std::fs::read(path).unwrap());
        }
    }

    /// Every spelling of a Rust loop the frontend reports passes the prefilter on its own;
    /// look-alikes do not.
    #[test]
    fn rust_shapes() {
        let max = "fn max() -> i32 { unsafe { libc::sysconf(libc::_SC_OPEN_MAX) as i32 } }\n";
        let positives = [
            "fn f() { for fd in 3..max() { unsafe { libc::close(fd) }; } }",
            "fn f() { for fd in 3..max() { unsafe { libc::close(fd as i32) }; } }",
            "fn f() { for fd in 3..max() { let _ = close( /* c /* nested */ */ &fd); } }",
            "fn f() { for fd in 3..max() { let _ = close(&mut fd); } }",
            "fn f() { (3..max()).for_each(|fd| unsafe { libc::close(*fd); }); }",
            "fn f() { (3..max()).for_each(move |&fd| unsafe { libc::close(fd); }); }",
            "fn f() { (3..max()).try_for_each(|fd: i32| nix::unistd::close(fd)); }",
            "fn f() { for mut fd in 3..max() { let _ = close(fd.try_into().unwrap()); } }",
            "fn f() { for fd in 3..max() { let _ = close(RawFd::try_from(fd).unwrap()); } }",
            "fn f() { for fd in 3..max() { let _ = close(i32::from(fd)); } }",
            "fn f() { for fd in 3..max() { let _ = close((fd)); } }",
            "fn f() { for fd in 3..max() { let _ = close(fd?); } }",
            "fn f() { for fd in 3..max() { let _ = File::from_raw_fd(\n fd\n); } }",
            "fn f() { for fd in 3..max() { unsafe { libc::fstat64(fd, &mut st) }; } }",
            "fn f() { for fd in 3..max() { unsafe { libc::fcntl(fd, libc::F_SETFD, 1) }; } }",
            "fn f() { let hi = max(); let mut fd = 3; while hi > fd { unsafe { libc::close(fd) }; fd = fd + 1; } }",
            "fn f() { let hi = max(); let mut n = 3; while (n) < hi { unsafe { libc::close(n) }; (n) += 1; } }",
        ];
        for body in positives {
            let src = format!("{max}{body}\n");
            assert_eq!(
                facts(Lang::Rust, &src).close_loops.len(),
                1,
                "frontend finds no loop in {body}"
            );
            assert!(
                may_match(Lang::Rust, src.as_bytes()),
                "prefilter drops {body}"
            );
        }
        let negatives = [
            "fn f() { for i in 0..10 { println!(\"{i}\"); } unsafe { libc::close(self.fd) }; }",
            "fn f() { for i in 0..10 { t += i; } unsafe { libc::close(libc::STDIN_FILENO) }; }",
            "fn close(&mut self) { for i in 0..3 { g(i); } }",
            "fn f() { for i in 0..10 { close!(i); } }",
        ];
        for body in negatives {
            let src = format!("{max}{body}\n");
            assert!(facts(Lang::Rust, &src).close_loops.is_empty(), "{body}");
            assert!(
                !may_match(Lang::Rust, src.as_bytes()),
                "prefilter keeps {body}"
            );
        }
        // FD002: a limit, a range and a collection.
        let collect =
            "fn f() -> Vec<i32> { let n = unsafe { libc::getdtablesize() }; Vec::from_iter(3..n) }";
        assert_eq!(facts(Lang::Rust, collect).fd_ranges.len(), 1);
        assert!(may_match(Lang::Rust, collect.as_bytes()));
        // Spawn facts (for the link pass): a Command running a script.
        let spawns = [
            "fn f() { Command::new(\"python2\").arg(\"helpers/x.py\").spawn(); }",
            "fn f() { std::process::Command :: new(\"python2\")\n .args([\"x.py\"]).spawn(); }",
            "fn f() { let mut c = Command::new(\"ruby\"); c.arg /* script */ (\"bin/run.rb\"); }",
        ];
        for src in spawns {
            assert_eq!(facts(Lang::Rust, src).spawns.len(), 1, "{src}");
            assert!(
                may_match(Lang::Rust, src.as_bytes()),
                "prefilter drops {src}"
            );
        }
        for src in [
            "fn f() { let target = 1; Command::new(\"ls\"); }",
            "fn f() { cmd.arg(\"x.py\"); }",
            "fn f() { App::new(\"x\").arg(Arg::new(\"y\")); }",
        ] {
            assert!(facts(Lang::Rust, src).spawns.is_empty(), "{src}");
            assert!(
                !may_match(Lang::Rust, src.as_bytes()),
                "prefilter keeps {src}"
            );
        }
    }

    /// Every spelling of a Ruby close loop the frontend reports passes the prefilter on its
    /// own; look-alikes do not.
    #[test]
    fn ruby_loop_shapes() {
        let positives = [
            "3.upto(4096) { |fd| IO.for_fd(fd).close rescue nil }",
            "(3..65536).each { |fd| IO.open(fd).close rescue nil }",
            "3.upto(4096) { |fd| LibC.close(fd) }",
            "(3..4096).each do |fd|\n  UNIXSocket.new(fd).close rescue nil\nend",
            "(3..4096).each do | fd, i |\n  io = File.for_fd fd\n  io.close\nend",
            "for fd in 3..4096\n  ::IO.new(fd, autoclose: false).close_on_exec = true\nend",
            "fd = 3\nwhile fd < 4096\n  IO\n    .for_fd(fd).close rescue nil\n  fd += 1\nend",
            "4096.times { |fd| TCPSocket&.for_fd( fd ).close rescue nil }",
        ];
        for src in positives {
            assert_eq!(
                facts(Lang::Ruby, src).close_loops.len(),
                1,
                "frontend: {src:?}"
            );
            assert!(
                may_match(Lang::Ruby, src.as_bytes()),
                "prefilter drops {src:?}"
            );
        }
        let negatives = [
            "f = File.new(path)\n3.times { |i| puts i }\nf.close",
            "3.upto(4096) { |fd| conn.close(fd) }",
            "(0..9).each { |i| Foo.new(i) }",
        ];
        for src in negatives {
            assert!(
                facts(Lang::Ruby, src).close_loops.is_empty(),
                "frontend: {src:?}"
            );
            assert!(
                !may_match(Lang::Ruby, src.as_bytes()),
                "prefilter keeps {src:?}"
            );
        }
    }

    /// Every spelling of a Ruby spawn call the frontend reports passes the prefilter on its
    /// own; longer names and other receivers do not.
    #[test]
    fn ruby_shapes() {
        let positives = [
            "Open3.popen3(cmd) { |i, o, e, t| o.read }",
            "Open3 .popen2e(cmd) { |i, o, t| o.read }",
            "::Open3.capture2(cmd)",
            "Open3.\n  capture2e(cmd)",
            "Open3\n  .capture2b(cmd)",
            "Open3 # comment\n  .capture3(cmd)",
            "Open3::pipeline_r(a, b) { |o, ts| o.read }",
            "Open3.pipeline_w(a) { |i, ts| i.close }",
            "Open3.pipeline_rw(a) { |i, o, ts| o.read }",
            "Open3.pipeline_start(a) { |ts| ts }",
            "Open3.pipeline(a, b)",
            "IO.popen(cmd, &:read)",
            "IO\t.popen(cmd, &:read)",
            "Process.spawn(cmd)",
            "Process&.spawn(cmd)",
            "Kernel.spawn(cmd)",
            "Kernel::system(cmd)",
            "Process.exec(cmd)",
            "pid = spawn(cmd)",
            "system \"make\"",
            "ok = !system(\"make\")",
            "[1].each { |x| system(\"make\", x) }",
            "exec \"python2\", \"x.py\"",
            "x = 1\nexec(cmd)",
            // A `#` line in a heredoc with an interpolation is code.
            "s = <<~EOS\n  # run: #{system(\"make\")}\nEOS\n",
        ];
        for src in positives {
            assert_eq!(facts(Lang::Ruby, src).spawns.len(), 1, "frontend: {src:?}");
            assert!(
                may_match(Lang::Ruby, src.as_bytes()),
                "prefilter drops {src:?}"
            );
        }
        // A `%` literal delimited by `#` could end where a comment seems to start (Ruby reads
        // `%#...#` as a string; tree-sitter-ruby does not): such files get no exclusions.
        assert!(may_match(Lang::Ruby, b"s = %#\n# system 'make'\n"));
        let negatives = [
            "def filesystem; @filesystem; end",
            "execute(sql)\nexec_query(sql)",
            "@conn.exec(sql)\nconn.exec(sql)\nfoo(x).system(y)",
            "Runner.system(x)\nMyOpen3.popen3(x)",
            "@system = 1\n$exec = 2",
            "def spawned?; @spawned; end",
            "{ capture: true, pipeline_depth: 3, popen_opts: 1 }",
            "# Runs on any system; exec(cmd) was the old way.\n  # system \"make\"\nx = 1\n",
            "s = <<~EOS\n  # run system(\"make\") by hand\nEOS\n",
        ];
        for src in negatives {
            assert!(
                facts(Lang::Ruby, src).spawns.is_empty(),
                "frontend: {src:?}"
            );
            assert!(
                !may_match(Lang::Ruby, src.as_bytes()),
                "prefilter keeps {src:?}"
            );
        }
    }
}
