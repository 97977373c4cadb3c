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
        None,
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
    const ACTIONS: &[&[u8]] = &[b"close", b"cloexec", b"fcntl", b"fstat", b"from_raw_fd"];
    let mut args: Vec<&[u8]> = Vec::new();
    // The arguments of the system calls themselves (not of wrappers named like them).
    let mut direct: Vec<&[u8]> = Vec::new();
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
                    return true;
                }
                continue;
            }
            if t.get(i) != Some(&b'(') {
                continue;
            }
            match rust_first_arg(t, i, 0) {
                RustArg::Name(n) => {
                    // `fn close(fd: c_int)`: a declaration, not a call.
                    let after = skip_rust_trivia(t, skip_rust_prefixes(t, i + 1) + n.len());
                    if t.get(after) == Some(&b':') && t.get(after + 1) != Some(&b':') {
                        continue;
                    }
                    args.push(n);
                    if exact {
                        direct.push(n);
                    }
                }
                RustArg::Any => return true,
                RustArg::None => {}
            }
        }
    }
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
            let k = skip_rust_trivia(t, end);
            if t.get(k) == Some(&b':') && t.get(k + 1) != Some(&b':') {
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
