//! Ruby: the requirement table (`RUBY`) and its shape checks (an fd action on a loop
//! variable, a spawn method name as a whole identifier on a spawning receiver).

use super::*;

pub(super) const RUBY: &[Requirement] = &[
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

/// The classes whose `for_fd`/`new`/`open` wrap an fd number (`action_at` in
/// `src/lang/ruby/loops.rs`).
pub(super) const RUBY_FD_WRAPPERS: &[&[u8]] = &[
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
pub(super) fn skip_ruby_trivia(t: &[u8], i: usize) -> usize {
    // Ruby comments start with `#` like Python's.
    skip_trivia(t, i)
}

/// Ruby FD001 needs a loop fact, and the frontend (`queries/ruby/close_loops.scm`,
/// `fd_action` and `action_at` in `src/lang/ruby/loops.rs`) reports one only when:
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
pub(super) fn ruby_loop_action(t: &[u8]) -> bool {
    let back = |mut j: usize| {
        while j > 0 && matches!(t[j - 1], b' ' | b'\t' | b'\0') {
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
                    // A constant, also after a number (`7IO`, see `starts_word`).
                    let constant = |b: &u8| b.is_ascii_uppercase() || *b >= 0x80;
                    recv.first().is_some_and(constant)
                        || (recv.first().is_some_and(u8::is_ascii_digit)
                            && recv.iter().any(constant))
                } else {
                    RUBY_FD_WRAPPERS.iter().any(|w| run_is(recv, w))
                };
                if !ok {
                    continue;
                }
            }
            let mut k = end;
            while matches!(t.get(k), Some(b' ' | b'\t' | b'\0')) {
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
    // Each name once, looked up by binary search (10,000 `IO.for_fd(fd)` and as many `|`s).
    args.sort_unstable();
    args.dedup();
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
                && args.binary_search(&name).is_ok()
            {
                return true;
            }
        }
    }
    false
}

/// The spawn-family method names the Ruby frontend recognises (`api_of` in
/// `src/lang/ruby/spawn.rs`, the same list as `queries/ruby/spawn_calls.scm`).
pub(super) const RUBY_SPAWN_NAMES: &[&[u8]] = &[
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
/// lines. `system?`, `:system` or a word in a string or a comment also count here: looser is
/// sound. `admit` then checks the requirements again on the text with comments, strings,
/// symbols and heredoc bodies blanked (`rbcode.rs`), when its lexer can tell them from code.
/// (A full-line comment was once excluded here on the raw text; a multi-line literal that
/// ends on such a line, code after it, made that unsound: the fuzz input
/// `tests/data/fuzz/ruby_comment_line_after_a_backtick.rb`.)
pub(super) fn ruby_spawn_word(t: &[u8]) -> bool {
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
        while j > 0 && matches!(t[j - 1], b' ' | b'\t' | b'\0') {
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
        RECEIVERS.iter().any(|r| run_is(&t[s..j], r))
    };
    ROOTS.iter().any(|root| {
        memchr::memmem::find_iter(t, root).any(|at| {
            if !starts_word(t, at) {
                return false;
            }
            let end = t[at..]
                .iter()
                .position(|b| !is_ident(*b))
                .map_or(t.len(), |n| at + n);
            let name = &t[at..end];
            if !RUBY_SPAWN_NAMES.contains(&name) {
                return false;
            }
            // `@spawn`, `$spawn`: a variable, but only right before the word: `$   spawn(...)`
            // is a stray `$` and then a call to tree-sitter (found by the Ruby fuzzer).
            if at > 0 && matches!(t[at - 1], b'@' | b'$') {
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
