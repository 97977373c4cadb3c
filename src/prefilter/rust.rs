//! Rust: the requirement table (`RUST`) and its shape checks (an fd action on a loop variable,
//! a `Command::new` naming an interpreter).

use super::*;

pub(super) const RUST: &[Requirement] = &[
    // FD001: a range or while loop and an fd action called on the loop variable (checked by
    // `rust_loop_action`).
    (
        &[
            &["..", "while"],
            &["close", "cloexec", "fcntl", "fstat", "from_raw_fd"],
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
        Some(rust_range_collect),
    ),
    // Spawn facts for the link pass: the frontend only reports `.arg(..)`/`.args(..)` calls
    // on a `Command::new(..)` chain or on a local initialised by one (`rust_command_arg`).
    // No rule reports a Rust spawn on its own, so the file matters only as the parent of a
    // scanned script that sweeps fds: admitted weakly (`RUST_WEAK`).
    (&[&["Command"], &["arg"]], Some(rust_command_arg)),
];

/// Indices in `RUST` of the requirements that admit a file only weakly: spawn facts, which
/// only the link pass uses (the engine defers such a file, and the link pass parses it when its
/// text names a sweeping script).
pub(super) const RUST_WEAK: &[usize] = &[2];

/// The offset after the whitespace and comments (`//`, nested `/* */`) starting at `i`.
pub(super) fn skip_rust_trivia(t: &[u8], mut i: usize) -> usize {
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
pub(super) fn skip_rust_prefixes(t: &[u8], mut i: usize) -> usize {
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
pub(super) fn rust_word_then(t: &[u8], word: &[u8], then: impl Fn(usize) -> bool) -> bool {
    memchr::memmem::find_iter(t, word).any(|at| {
        let end = at + word.len();
        whole_word(t, at, end) && then(skip_rust_trivia(t, end))
    })
}

/// Whether the `for` whose keyword ends at `i` may be a loop the frontend reports: its
/// iterable must be a range (`peel_range`: `lo..hi`, in parentheses or under adapters such as
/// `.rev()`), so the bytes from its `in` to the body's `{` (the first at bracket depth 0,
/// comments, string and character literals skipped) hold `..`. No `in` within 256 bytes, before a `{` or
/// `;`, means no `for` loop (`impl Trait for Type {`, `for<'a>`); an iterable whose body is
/// not found within 4 KB counts.
pub(super) fn rust_for_over_range(t: &[u8], i: usize) -> bool {
    let lim = t.len().min(i + 256);
    let mut k = i;
    let start = loop {
        if k >= lim {
            return false;
        }
        match t[k] {
            b'{' | b';' => return false,
            b'i' if t[k..].starts_with(b"in") && whole_word(t, k, k + 2) => break k + 2,
            _ => k += 1,
        }
    };
    let lim = t.len().min(start + 4096);
    let mut depth = 0usize;
    let mut k = start;
    while k < lim {
        match t[k] {
            b'.' if t.get(k + 1) == Some(&b'.') => return true,
            b'/' if matches!(t.get(k + 1), Some(b'/' | b'*')) => {
                k = skip_rust_trivia(t, k);
                continue;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'{' if depth == 0 => return false,
            b'"' => {
                k += 1;
                while k < t.len() && t[k] != b'"' {
                    k += if t[k] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if t.get(k + 2) == Some(&b'\'') => k += 2,
            _ => {}
        }
        k += 1;
    }
    true
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
pub(super) fn rust_command_arg(t: &[u8]) -> bool {
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

/// Whether the identifier ending at `end` is declared there: `:` follows (after whitespace
/// and comments), not `::` (`fd: RawFd`, not `fcntl::F_SETFD`).
fn declared_at(t: &[u8], end: usize) -> bool {
    let k = skip_rust_trivia(t, end);
    t.get(k) == Some(&b':') && t.get(k + 1) != Some(&b':')
}

/// Whether the identifier ending at `end` is assigned there: `+=` or `=` (not `==`) follows,
/// after closing parentheses (`(n) += 1`), whitespace and comments.
fn assigned_at(t: &[u8], end: usize) -> bool {
    let mut k = skip_rust_trivia(t, end);
    while t.get(k) == Some(&b')') {
        k = skip_rust_trivia(t, k + 1);
    }
    t[k..].starts_with(b"+=") || (t.get(k) == Some(&b'=') && t.get(k + 1) != Some(&b'='))
}

/// What the first argument of an fd action call can be the loop variable through.
pub(super) enum RustArg<'t> {
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
pub(super) fn rust_first_arg(t: &[u8], open: usize, depth: u32) -> RustArg<'_> {
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

/// Rust FD001 needs a loop fact, and the frontend (`find_action`/`call_action` and the
/// `Collector`'s `visit_expr_for_loop`, `for_each`/`try_for_each`, `visit_expr_while` in
/// `src/lang/rust.rs`) reports one only for:
/// - a call `ACTION(ARG, ..)` or method call `.ACTION(ARG, ..)`, ACTION being the last path
///   segment `close`, `fcntl`, `fstat`, `fstat64`, `from_raw_fd` or a wrapper's name
///   (`outside::wrapper_name_action`: an identifier containing `close` or `cloexec`; never a
///   macro: syn does not look into macro bodies), whose first argument is the loop variable
///   (`rust_first_arg`); here any identifier containing an action word counts;
/// - or a call of a same-file function whose body calls `close`/`fcntl`/`fstat`/`from_raw_fd`
///   itself (not a wrapper) on one of its parameters: that call's argument is then a parameter
///   name, declared as `NAME:`, and any such declaration admits the file, whatever the loop
///   variable is called. `close(fd: c_int)` is a declaration, never a call: skipped;
/// - inside `for VAR in RANGE`, `RANGE.for_each(|VAR| ..)` / `try_for_each`, or
///   `while VAR < HI` / `while HI > VAR` with `VAR += ..` or `VAR = VAR + ..` in the body.
///
/// So a file is kept when some argument name is bound by a `for` whose iterable holds `..`
/// (`rust_for_over_range`: `peel_range` needs a range expression there) or by the closure
/// parameter right after `for_each(`/`try_for_each(` (also after `move`; after `&`/`mut`/`(`),
/// or, when the file has `while`, is assigned anywhere (`VAR +=`, `VAR = `, `(VAR) +=`).
/// Whitespace and comments may stand between tokens. Like the Python check, this does not tie
/// the call to the loop, nor a `for_each` to a range: it is looser than the frontend and must
/// stay so.
pub(super) fn rust_loop_action(t: &[u8]) -> bool {
    let Some(sites) = action_sites(t) else {
        return true;
    };
    file_loop_action(t, &sites) && rust_loop_in_blocks(t)
}

/// A call of an fd action whose first argument may be the loop variable: where its name
/// starts, the argument's identifier, and whether the call is the system call itself (the
/// only calls a same-file wrapper's body counts).
pub(super) struct Site<'t> {
    at: usize,
    arg: &'t [u8],
    direct: bool,
}

/// Every fd action call in `t` (see `rust_loop_action`), or `None` when a call's argument is
/// a shape the scan does not follow (then the file is kept).
fn action_sites(t: &[u8]) -> Option<Vec<Site<'_>>> {
    const ACTIONS: &[&[u8]] = &[b"close", b"cloexec", b"fcntl", b"fstat", b"from_raw_fd"];
    let mut sites = Vec::new();
    for a in ACTIONS {
        for at in memchr::memmem::find_iter(t, a) {
            let wrapper = matches!(*a, b"close" | b"cloexec");
            if at > 0 && is_ident(t[at - 1]) && !wrapper {
                continue;
            }
            let mut i = at + a.len();
            if *a == b"fstat" && t[i..].starts_with(b"64") {
                i += 2;
            }
            let mut exact = true;
            if wrapper {
                // `close_fd`, `safe_close`, `set_cloexec`: the whole identifier, kept when
                // `outside::wrapper_name_action` may accept it (compared without case).
                let mut start = at;
                while start > 0 && is_ident(t[start - 1]) {
                    start -= 1;
                }
                while t.get(i).is_some_and(|b| is_ident(*b)) {
                    i += 1;
                }
                let id = t[start..i].to_ascii_lowercase();
                let named = id == b"close"
                    || id.starts_with(b"close_")
                    || id.ends_with(b"_close")
                    || memchr::memmem::find(&id, b"cloexec").is_some()
                    || memchr::memmem::find(&id, b"close_on_exec").is_some();
                if !named {
                    continue;
                }
                exact = start == at && i == at + a.len() && *a == b"close";
            }
            if t.get(i).is_some_and(|b| is_ident(*b)) {
                continue;
            }
            let i = skip_rust_trivia(t, i);
            if t[i..].starts_with(b"::") {
                // A turbofish (`close::<T>(..)`): not followed. A module named like an action
                // (`fcntl::fcntl(..)`, `use nix::fcntl::{..}`, `close_fds::close_open_fds(..)`)
                // is no call of it: the call's last segment is an occurrence of its own.
                if t.get(skip_rust_trivia(t, i + 2)) == Some(&b'<') {
                    return None;
                }
                continue;
            }
            if t.get(i) != Some(&b'(') {
                continue;
            }
            match rust_first_arg(t, i, 0) {
                RustArg::Name(n) => {
                    // `fn close(fd: c_int)`: a declaration, not a call.
                    if declared_at(t, skip_rust_prefixes(t, i + 1) + n.len()) {
                        continue;
                    }
                    sites.push(Site {
                        at,
                        arg: n,
                        direct: exact,
                    });
                }
                RustArg::Any => return None,
                RustArg::None => {}
            }
        }
    }
    Some(sites)
}

/// The file-wide check (see `rust_loop_action`): some action's argument is bound by a range
/// loop, a `for_each` closure or an assignment in a file with `while` anywhere in the file.
fn file_loop_action(t: &[u8], sites: &[Site<'_>]) -> bool {
    let mut args: Vec<&[u8]> = sites.iter().map(|s| s.arg).collect();
    let mut direct: Vec<&[u8]> = sites.iter().filter(|s| s.direct).map(|s| s.arg).collect();
    if args.is_empty() {
        return false;
    }
    // Each name once: a file of 10,000 `close(fd)` calls scanned the text for `fd` 10,000
    // times (8 s).
    args.sort_unstable();
    args.dedup();
    direct.sort_unstable();
    direct.dedup();
    // A same-file wrapper's parameter: `fn shut(x: RawFd) { libc::close(x) }` (its body counts
    // only the system calls, `call_action` at depth 1).
    for name in &direct {
        for at in memchr::memmem::find_iter(t, name) {
            let end = at + name.len();
            if (at > 0 && is_ident(t[at - 1])) || t.get(end).is_some_and(|b| is_ident(*b)) {
                continue;
            }
            if declared_at(t, end) {
                return true;
            }
        }
    }
    // `for VAR in RANGE`, `RANGE.for_each(|VAR| ..)`
    for at in memchr::memmem::find_iter(t, b"for") {
        let i = at + 3;
        if (at > 0 && is_ident(t[at - 1])) || t.get(i).is_some_and(|b| is_ident(*b)) {
            continue;
        }
        if let Some(name) = ident_at(t, skip_rust_prefixes(t, i))
            && args.binary_search(&name).is_ok()
            && rust_for_over_range(t, i)
        {
            return true;
        }
    }
    for word in [&b"for_each"[..], b"try_for_each"] {
        for at in memchr::memmem::find_iter(t, word) {
            let end = at + word.len();
            if !whole_word(t, at, end) {
                continue;
            }
            let open = skip_rust_trivia(t, end);
            if t.get(open) != Some(&b'(') {
                continue;
            }
            let mut k = skip_rust_trivia(t, open + 1);
            if ident_at(t, k) == Some(b"move") {
                k = skip_rust_trivia(t, k + 4);
            }
            if t.get(k) != Some(&b'|') {
                continue;
            }
            if let Some(name) = ident_at(t, skip_rust_prefixes(t, k + 1))
                && args.binary_search(&name).is_ok()
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
                if assigned_at(t, end) {
                    return true;
                }
            }
        }
    }
    false
}

/// The block check, run on a file the file-wide check keeps: some fd action on a loop's
/// variable stands inside that loop's body (`rsblock`: comments and literals blanked, every
/// bracket paired). The loops, as the frontend's (`visit_expr_for_loop`, `for_each`, `while`):
/// - `for VAR in ITER {BODY}` with `..` in `ITER` (between `in` and the body's `{` at bracket
///   depth 0);
/// - `for_each(|VAR| ..)` / `try_for_each`, the body being the call's parentheses;
/// - `while COND {BODY}`, for each identifier of `COND` that `BODY` assigns (`VAR +=`,
///   `VAR =`).
///
/// An action is a `Site` whose argument is `VAR`, or a call of a same-file wrapper with `VAR`
/// as a whole word among its arguments. A wrapper is a `fn NAME` whose header declares a
/// parameter (`PARAM:`) that a direct `Site` in its body takes: `call_action` looks one
/// level into such a function, counting only the system calls. A nested function or closure
/// in a loop's body counts as the body (the frontend leaves nested items out; looser is
/// sound), and so do macro bodies, which syn does not read at all.
///
/// Gives up (keeps the file) where `rsblock::read` does, or where a wrapper is called with a
/// turbofish (`shut::<T>(fd)`).
fn rust_loop_in_blocks(t: &[u8]) -> bool {
    let Some(rc) = rsblock::read(t) else {
        return true;
    };
    let c = &rc.code[..];
    let Some(mut sites) = action_sites(c) else {
        return true;
    };
    if sites.is_empty() {
        return false;
    }
    sites.sort_unstable_by_key(|s| s.at);
    // Work done looking into bodies; past the budget the file is kept (hostile input: nested
    // loops over a body full of calls).
    let budget = std::cell::Cell::new(1usize << 22);
    let spend = |n: usize| {
        let left = budget.get().saturating_sub(n);
        budget.set(left);
        left == 0
    };
    let words = |word: &'static [u8]| {
        memchr::memmem::find_iter(c, word).filter(move |&at| whole_word(c, at, at + word.len()))
    };
    let in_span = |(from, to): (usize, usize)| {
        let lo = sites.partition_point(|s| s.at < from);
        let hi = sites.partition_point(|s| s.at < to);
        &sites[lo..hi.max(lo)]
    };
    // Whether `name` is declared (`name:`, not `name::`) in `from..to`.
    let declares = |(from, to): (usize, usize), name: &[u8]| {
        memchr::memmem::find_iter(&c[from..to], name).any(|k| {
            let (s, e) = (from + k, from + k + name.len());
            whole_word(c, s, e) && declared_at(c, e)
        })
    };
    // Same-file wrappers: functions whose body makes a direct call on a declared parameter.
    let mut wrappers: Vec<&[u8]> = Vec::new();
    for at in words(b"fn") {
        let i = skip_rust_trivia(c, at + 2);
        let Some(name) = ident_at(c, i) else {
            continue;
        };
        let Some(hb) = rc.header_and_body(i + name.len()) else {
            continue;
        };
        let body = in_span(hb.body);
        if spend(body.len()) {
            return true;
        }
        if body.iter().any(|s| s.direct && declares(hb.header, s.arg)) {
            wrappers.push(name);
        }
    }
    wrappers.sort_unstable();
    wrappers.dedup();
    // Every call of a wrapper, as the span of its parentheses (a turbofish is not followed).
    let mut calls: Vec<(usize, usize)> = Vec::new();
    for w in &wrappers {
        for k in memchr::memmem::find_iter(c, w) {
            if !whole_word(c, k, k + w.len()) {
                continue;
            }
            let j = skip_rust_trivia(c, k + w.len());
            if c[j..].starts_with(b"::") {
                return true;
            }
            if c.get(j) == Some(&b'(')
                && let Some(end) = rc.close_of(j)
            {
                calls.push((j, end));
            }
        }
    }
    calls.sort_unstable();
    let calls_in = |(from, to): (usize, usize)| {
        let lo = calls.partition_point(|&(o, _)| o < from);
        let hi = calls.partition_point(|&(o, _)| o < to);
        &calls[lo..hi.max(lo)]
    };
    let has_word = |(from, to): (usize, usize), name: &[u8]| {
        memchr::memmem::find_iter(&c[from..to], name)
            .any(|k| whole_word(c, from + k, from + k + name.len()))
    };
    // Whether the body acts on `var`; `None` when the budget ran out.
    let acts = |body: (usize, usize), var: &[u8]| -> Option<bool> {
        let here = in_span(body);
        let wrapped = calls_in(body);
        if spend(here.len() + wrapped.len()) {
            return None;
        }
        Some(here.iter().any(|s| s.arg == var) || wrapped.iter().any(|&call| has_word(call, var)))
    };
    // `for VAR in ITER {BODY}`
    for at in words(b"for") {
        let i = at + 3;
        let Some(var) = ident_at(c, skip_rust_prefixes(c, i)) else {
            continue;
        };
        let lim = c.len().min(i + 256);
        let Some(k) = (i..lim)
            .find(|&k| c[k] == b'i' && c[k..].starts_with(b"in") && whole_word(c, k, k + 2))
        else {
            continue;
        };
        if c[i..k].iter().any(|&b| matches!(b, b'{' | b';')) {
            continue;
        }
        let Some(hb) = rc.header_and_body(k + 2) else {
            continue;
        };
        let (h0, h1) = hb.header;
        if memchr::memmem::find(&c[h0..h1], b"..").is_some() {
            match acts(hb.body, var) {
                Some(false) => {}
                _ => return true,
            }
        }
    }
    // `for_each(|VAR| ..)`
    for word in [&b"for_each"[..], b"try_for_each"] {
        for at in words(word) {
            let open = skip_rust_trivia(c, at + word.len());
            if c.get(open) != Some(&b'(') {
                continue;
            }
            let mut k = skip_rust_trivia(c, open + 1);
            if ident_at(c, k) == Some(b"move") {
                k = skip_rust_trivia(c, k + 4);
            }
            if c.get(k) != Some(&b'|') {
                continue;
            }
            if let Some(var) = ident_at(c, skip_rust_prefixes(c, k + 1))
                && let Some(close) = rc.close_of(open)
            {
                match acts((open, close), var) {
                    Some(false) => {}
                    _ => return true,
                }
            }
        }
    }
    // `while COND {BODY}`: the candidates are the names the body's actions take.
    for at in words(b"while") {
        let Some(hb) = rc.header_and_body(at + 5) else {
            continue;
        };
        let body = hb.body;
        let assigned = |var: &[u8]| {
            memchr::memmem::find_iter(&c[body.0..body.1], var).any(|k| {
                let (s, e) = (body.0 + k, body.0 + k + var.len());
                whole_word(c, s, e) && assigned_at(c, e)
            })
        };
        let here = in_span(body);
        let wrapped = calls_in(body);
        if spend(here.len() + wrapped.len()) {
            return true;
        }
        let mut names: Vec<&[u8]> = here.iter().map(|s| s.arg).collect();
        for &(from, to) in wrapped {
            let mut k = from;
            while k < to {
                match ident_at(c, k) {
                    Some(w) => {
                        names.push(w);
                        k += w.len();
                    }
                    None => k += 1,
                }
            }
        }
        names.sort_unstable();
        names.dedup();
        let scanned = (hb.header.1 - hb.header.0) + (body.1 - body.0);
        if spend(names.len() * (1 + scanned / 64)) {
            return true;
        }
        if names
            .iter()
            .any(|var| has_word(hb.header, var) && assigned(var) && acts(body, var) != Some(false))
        {
            return true;
        }
    }
    false
}

/// Rust FD002 needs a collection fact, and the frontend (`visit_local` and `visit_expr_call`
/// in `src/lang/rust.rs`) reports one only for `let PAT: Vec<..> = RECV.collect();` or
/// `Vec::from_iter(ARG)` where `RECV` / `ARG` is a range under `peel_range`'s parentheses and
/// adapters (`(lo..hi)`, `(lo..hi).rev()`), and only when the bound is a limit or an
/// fd-named constant, never a literal.
///
/// So, on the code (`rsblock`: comments and literals blanked), some `from_iter` is followed by
/// parentheses holding `..`, or some `.collect` has a receiver chain, read back through
/// `.method(..)` calls, that starts with a parenthesised group holding `..`; in both, a group that is
/// only `LIT..LIT` (or `..=`) with decimal literals does not count. A turbofish on the way
/// (`.step_by::<..>`, `from_iter::<..>`) is not followed: the file is kept, as it is where
/// the code cannot be read.
pub(super) fn rust_range_collect(t: &[u8]) -> bool {
    let Some(rc) = rsblock::read(t) else {
        return true;
    };
    let c = &rc.code[..];
    let back = |mut k: usize| {
        while k > 0 && c[k - 1].is_ascii_whitespace() {
            k -= 1;
        }
        k
    };
    // Whether the group `(open, close)` holds a range that may be bounded by a limit.
    let range_in = |open: usize, close: usize| {
        let inner = &c[open + 1..close];
        if memchr::memmem::find(inner, b"..").is_none() {
            return false;
        }
        let literal_only = inner.iter().all(|b| {
            b.is_ascii_digit() || b.is_ascii_whitespace() || matches!(b, b'.' | b'=' | b'_')
        });
        !literal_only
    };
    for at in memchr::memmem::find_iter(c, b"from_iter") {
        if !whole_word(c, at, at + 9) {
            continue;
        }
        let j = skip_rust_trivia(c, at + 9);
        if c[j..].starts_with(b"::") {
            return true;
        }
        if c.get(j) == Some(&b'(')
            && let Some(close) = rc.close_of(j)
            && range_in(j, close)
        {
            return true;
        }
    }
    for at in memchr::memmem::find_iter(c, b"collect") {
        if !whole_word(c, at, at + 7) {
            continue;
        }
        let mut k = back(at);
        if k == 0 || c[k - 1] != b'.' {
            continue;
        }
        // Read the receiver chain back from the `.`.
        let mut steps = 0;
        loop {
            steps += 1;
            k = back(k - 1);
            if k == 0 || steps > 64 {
                break;
            }
            match c[k - 1] {
                b')' => {
                    let Some(open) = rc.open_of(k - 1) else {
                        break;
                    };
                    // A method call's arguments (its name and `.` before them), or else the
                    // parenthesised range, which ends the chain. A function call's
                    // (`f(3..n)`) is no range.
                    let j = back(open);
                    if j > 0 && c[j - 1] == b'>' {
                        return true;
                    }
                    let mut s = j;
                    while s > 0 && is_ident(c[s - 1]) {
                        s -= 1;
                    }
                    if s == j {
                        if range_in(open, k - 1) {
                            return true;
                        }
                        break;
                    }
                    let d = back(s);
                    if d == 0 || c[d - 1] != b'.' {
                        break;
                    }
                    k = d;
                }
                b'>' => return true,
                _ => break,
            }
        }
    }
    false
}
