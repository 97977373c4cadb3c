//! Ruby: the requirement table (`RUBY`) and its shape checks (an fd action on a loop
//! variable, a spawn method name as a whole identifier on a spawning receiver).

use super::*;

pub(super) const RUBY: &[Requirement] = &[
    // FD001: an fd action called on a loop variable (`ruby_loop_action`): `CONST.close(fd)`,
    // or `IO`/`File`/a socket class `.for_fd`/`.new`/`.open(fd)`.
    (RUBY_LOOP_TOKENS, Some(ruby_loop_action)),
    // FD002 and limit-bounded loops: a limit source.
    (RUBY_LIMIT_TOKENS, None),
    // FD003 spawn calls (also the parents of the link pass): every spawn-family method name
    // contains one of these, and `ruby_spawn_word` checks one occurs as a whole name.
    (RUBY_SPAWN_TOKENS, Some(ruby_spawn_word)),
];

/// `RUBY` for a file's code alone (`rbcode::code_only`: literals, comments and heredoc
/// bodies blanked), which `admit` checks when the lexer can read the file: the same tokens,
/// and FD001's check also wants the action inside a loop over its variable
/// (`ruby_loop_in_blocks`), which needs brackets that literals cannot hide.
pub(super) const RUBY_ON_CODE: &[Requirement] = &[
    (RUBY_LOOP_TOKENS, Some(ruby_loop_action_on_code)),
    (RUBY_LIMIT_TOKENS, None),
    (RUBY_SPAWN_TOKENS, Some(ruby_spawn_word_on_code)),
];

const RUBY_LOOP_TOKENS: &[&[&str]] = &[&["close", "for_fd", "new", "open"]];
const RUBY_LIMIT_TOKENS: &[&[&str]] = &[&["getrlimit", "sysconf", "OPEN_MAX", "NOFILE"]];
const RUBY_SPAWN_TOKENS: &[&[&str]] =
    &[&["spawn", "popen", "system", "exec", "capture", "pipeline"]];

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
    let sites = ruby_action_sites(t);
    let mut args: Vec<&[u8]> = sites.iter().map(|s| s.1).collect();

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

/// Every fd action call in `t` that `ruby_loop_action` counts: where its method name starts,
/// and the name of its first argument.
fn ruby_action_sites(t: &[u8]) -> Vec<(usize, &[u8])> {
    let back = |mut j: usize| {
        while j > 0 && matches!(t[j - 1], b' ' | b'\t' | b'\0') {
            j -= 1;
        }
        j
    };
    let mut sites: Vec<(usize, &[u8])> = Vec::new();
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
                sites.push((at, name));
            }
        }
    }
    sites
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
/// or `exec`, or one of Open3's methods where `include Open3`/`extend Open3` mixes them in,
/// which needs the word `Open3` in the file) or the constant `Open3`, `IO`, `Process` or
/// `Kernel` (also as `::Open3`).
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
/// - anything else: a call without a receiver, which counts for `spawn`, `system`, `exec`
///   (and Open3's methods in a file that names `Open3`) when it may have arguments or a
///   block (`may_take_arguments`: `spawn.where!(..)` or `system = nil` is a name, not a
///   call).
///
/// Wherever the look-back reaches a line break or a `\` continuation (`Open3.\n  popen3`, a
/// leading-dot chain after a comment), the occurrence counts: on the raw text the scan does
/// not read across lines, since a heredoc body or an `=begin` block may stand between a
/// receiver and its method. `system?`, `:system` or a word in a string or a comment also
/// count here: looser is sound. `admit` then checks the requirements again on the text with
/// comments, strings, symbols, heredoc bodies and `=begin` blocks blanked (`rbcode.rs`), when
/// its lexer can tell them from code (`ruby_spawn_word_on_code`).
/// (A full-line comment was once excluded here on the raw text; a multi-line literal that
/// ends on such a line, code after it, made that unsound: the fuzz input
/// `tests/data/fuzz/ruby_comment_line_after_a_backtick.rb`.)
pub(super) fn ruby_spawn_word(t: &[u8]) -> bool {
    spawn_word(t, false)
}

/// `ruby_spawn_word` on a file's code alone (`RUBY_ON_CODE`). Only code is left between a
/// line's start and the code before it, so a name there counts only when that code can pass
/// it a receiver (`line_before_may_continue`), or as a bare call. A blank may be a literal
/// that was blanked (`system "ls"` reads `system     `), so what follows a bare name after
/// blanks is never read (`may_take_arguments`).
fn ruby_spawn_word_on_code(code: &[u8]) -> bool {
    spawn_word(code, true)
}

/// `blanked`: `t` is a file's code alone (`rbcode::code_only`).
fn spawn_word(t: &[u8], blanked: bool) -> bool {
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
    // Names that count without a receiver: Kernel's, and Open3's where it may be mixed in
    // (every other name of `RUBY_SPAWN_NAMES` but IO's `popen`).
    let mixes_open3 = std::cell::OnceCell::new();
    let bare = |name: &[u8]| {
        matches!(name, b"spawn" | b"system" | b"exec")
            || (!matches!(name, b"popen")
                && *mixes_open3.get_or_init(|| memchr::memmem::find(t, b"Open3").is_some()))
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
                // At a line's start the receiver may end a line before (`Open3.\n
                // popen3`). On the code alone, when the code before cannot pass it one, the
                // name has no receiver: it counts as a bare call (`spawn`, `system`, `exec`
                // with arguments or a block), not as `pipeline.get(..)` (a redis local).
                None | Some(b'\n' | b'\r') => {
                    !blanked
                        || line_before_may_continue(t, j)
                        || (bare(name) && may_take_arguments(t, end, blanked))
                }
                Some(b'\\') => true,
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
                    !after_def && bare(name) && may_take_arguments(t, end, blanked)
                }
            }
        })
    })
}

/// Whether the receiver-less name ending at `end` can be a `call` node: tree-sitter-ruby
/// reads a name with neither arguments nor a block as an `identifier` (a local or a method
/// called bare), which `spawn_calls.scm` never matches. So it cannot be a call when what
/// follows ends the expression there: a method called on it (`spawn.where!(..)`, ActiveRecord's
/// relation `spawn`), an index right after it (`system[k]`), a `!` right after it (the
/// name is `exec!`), `)`, `]`, `}`, `,`, `;`, `|`, a line end (`\r` only before `\n`: a lone
/// `\r` is a space to tree-sitter) or the text's end, or an assignment to it (`exec = ..`,
/// but not `==`, `=~`, `=>`). Spaces, tabs and NUL bytes (a space to the frontend) are
/// skipped, but on code whose literals were blanked (`blanked`) a blank may be a literal
/// argument, and the name counts; anything else (`(`, `{`, `do`, an argument, `\` before a
/// continued line, `?`) may start arguments or a block, and counts.
fn may_take_arguments(t: &[u8], end: usize, blanked: bool) -> bool {
    match (t.get(end), t.get(end + 1)) {
        // `spawn.where!(..)`; `system[k] = ..` (with a space, `system [k]` passes an array).
        (Some(b'.'), Some(b)) if is_ident(*b) => return false,
        (Some(b'['), _) => return false,
        // `exec!`: another method's name (but `exec!= x` compares).
        (Some(b'!'), b) if b != Some(&b'=') => return false,
        _ => {}
    }
    let is_blank = |i: usize| t.get(i).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\0'));
    if blanked && is_blank(end) {
        return true;
    }
    let mut i = end;
    while is_blank(i) {
        i += 1;
    }
    match t.get(i) {
        // No argument starts with `|` (`spawn || x` is an `or`).
        None | Some(b')' | b']' | b'}' | b',' | b';' | b'|' | b'\n') => false,
        Some(b'\r') => t.get(i + 1) != Some(&b'\n'),
        Some(b'=') => matches!(t.get(i + 1), Some(b'=' | b'~' | b'>')),
        _ => true,
    }
}

/// Whether the code before the line that starts at `line` (after its indentation) can go
/// on into it as a receiver, in a file's code alone (comments, heredoc bodies and `=begin`
/// blocks blanked, so only code stands between): the last byte before it that is not blank
/// is `.` (`Open3.`, `&.`), `:` (`Kernel::`) or `\\`. No code before: no.
fn line_before_may_continue(code: &[u8], line: usize) -> bool {
    let before = code[..line]
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\0' | b'\n' | b'\r'));
    before.is_some_and(|k| matches!(code[k], b'.' | b':' | b'\\'))
}

/// FD001's check on a file's code alone (`RUBY_ON_CODE`): the file-wide check, then the
/// block check.
fn ruby_loop_action_on_code(code: &[u8]) -> bool {
    ruby_loop_action(code) && ruby_loop_in_blocks(code)
}

/// The block check, on code whose literals and comments `rbcode` blanked: some fd action
/// (`ruby_action_sites`) takes the variable of a loop the frontend can report, after the
/// loop's start and before its end. The loops, as `queries/ruby/close_loops.scm` and
/// `block_loop_bounds`/`range_of` in `src/lang/ruby/loops.rs` have them:
/// - a call of `upto`, `downto`, `step` or `times` on a receiver (after `.`, `&.` or `::`),
///   or of `each`/`reverse_each` on a receiver that can be a range: it ends with a bracketed
///   group holding `..` (`(3..max)`, `[*3..max]`, `Array(3..max)`), with such a group and
///   `.to_a`, or with `upto(..)` (`3.upto(max).each`); with a block (`{` or `do`, after the
///   call's parenthesised or bare arguments) whose first parameter is the variable (`|fd|`,
///   `|fd, i|`);
/// - `for VAR in` with `..` in the rest of the header's line (brackets spanning lines
///   included);
/// - `while VAR` (also `while (VAR`), as the file-wide check has it.
///
/// A brace block ends at its `}`; a `do` block, a `for` or a `while` at the end of the
/// bracket it stands in (the end of the file at the top level: `end` is not matched).
/// Nested blocks and methods count as the body: looser is sound. Gives up (keeps the file)
/// on unbalanced brackets.
fn ruby_loop_in_blocks(c: &[u8]) -> bool {
    let Some(n) = super::nesting::Nesting::new(c.to_vec()) else {
        return true;
    };
    let mut sites = ruby_action_sites(c);
    if sites.is_empty() {
        return false;
    }
    // By argument, then offset: a loop's question is one binary search.
    sites.sort_unstable_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    let acts = |from: usize, to: usize, var: &[u8]| {
        let lo = sites.partition_point(|s| (s.1, s.0) < (var, from));
        sites.get(lo).is_some_and(|s| s.1 == var && s.0 < to)
    };
    let back = |mut k: usize| {
        while k > 0 && c[k - 1].is_ascii_whitespace() {
            k -= 1;
        }
        k
    };
    let spaces = |mut k: usize| {
        while matches!(c.get(k), Some(b' ' | b'\t')) {
            k += 1;
        }
        k
    };
    let words = |word: &'static [u8]| {
        memchr::memmem::find_iter(c, word).filter(move |&at| whole_word(c, at, at + word.len()))
    };
    // The end of a receiver (after `.`, `&.`, `::` and whitespace before the method at `at`).
    let receiver_end = |at: usize| {
        let j = back(at);
        if j >= 2 && matches!(&c[j - 2..j], b"&." | b"::") {
            Some(back(j - 2))
        } else if j >= 1 && c[j - 1] == b'.' {
            Some(back(j - 1))
        } else {
            None
        }
    };
    // Whether the group closing at `close` holds `..`, or is `upto`'s arguments.
    let range_group = |close: usize| {
        let Some(open) = n.open_of(close) else {
            return true;
        };
        if memchr::memmem::find(&c[open..close], b"..").is_some() {
            return true;
        }
        let j = back(open);
        j >= 4 && &c[j - 4..j] == b"upto" && !c.get(j.wrapping_sub(5)).is_some_and(|b| is_ident(*b))
    };
    let may_be_range = |r: usize| {
        if r == 0 {
            return false;
        }
        match c[r - 1] {
            b')' | b']' => range_group(r - 1),
            _ if r >= 4 && &c[r - 4..r] == b"to_a" => receiver_end(r - 4)
                .is_some_and(|e| e > 0 && matches!(c[e - 1], b')' | b']') && range_group(e - 1)),
            _ => false,
        }
    };
    // The first block parameter after a block opener ending at `k`.
    let first_param = |k: usize| {
        let mut k = k;
        while c.get(k).is_some_and(|b| b.is_ascii_whitespace()) {
            k += 1;
        }
        if c.get(k) != Some(&b'|') {
            return None;
        }
        ident_at(c, spaces(k + 1))
    };
    for m in [
        &b"upto"[..],
        b"downto",
        b"step",
        b"times",
        b"each",
        b"reverse_each",
    ] {
        for at in memchr::memmem::find_iter(c, m) {
            if !whole_word(c, at, at + m.len()) {
                continue;
            }
            let Some(r) = receiver_end(at) else {
                continue;
            };
            if matches!(m, b"each" | b"reverse_each") && !may_be_range(r) {
                continue;
            }
            // The block: after parenthesised arguments, or bare ones up to a `do` on the
            // line (a line ending with `,` or `\` goes on).
            let mut k = spaces(at + m.len());
            if c.get(k) == Some(&b'(') {
                let Some(close) = n.close_of(k) else {
                    return true;
                };
                k = spaces(close + 1);
            }
            let mut opener = None;
            if c.get(k) == Some(&b'{') {
                // A brace block right after the call (after bare arguments, a brace block
                // belongs to the last of them).
                opener = Some((k, n.close_of(k).unwrap_or(c.len())));
            }
            let lim = c.len().min(k + 4096);
            while opener.is_none() && k < lim {
                match c[k] {
                    b'(' | b'[' | b'{' => k = n.close_of(k).unwrap_or(c.len()),
                    b'd' if c[k..].starts_with(b"do") && whole_word(c, k, k + 2) => {
                        opener = Some((k, n.enclosing_end(k)));
                        break;
                    }
                    b'\n' => {
                        let j = back(k);
                        if j == 0 || !matches!(c[j - 1], b',' | b'\\') {
                            break;
                        }
                    }
                    _ => {}
                }
                k += 1;
            }
            if opener.is_none() && k >= lim && lim < c.len() {
                // A bare argument list this long: not followed.
                return true;
            }
            let Some((open, end)) = opener else {
                continue;
            };
            let after = if c[open] == b'{' { open + 1 } else { open + 2 };
            if let Some(var) = first_param(after)
                && acts(open, end, var)
            {
                return true;
            }
        }
    }
    // `for VAR in RANGE`
    for at in words(b"for") {
        let Some(var) = ident_at(c, spaces(at + 3)) else {
            continue;
        };
        let k = spaces(spaces(at + 3) + var.len());
        if !(c[k..].starts_with(b"in") && whole_word(c, k, k + 2)) {
            continue;
        }
        let mut j = k + 2;
        let mut ranged = false;
        while j < c.len() && c[j] != b'\n' {
            match c[j] {
                b'(' | b'[' | b'{' => {
                    let close = n.close_of(j).unwrap_or(c.len());
                    ranged |= memchr::memmem::find(&c[j..close], b"..").is_some();
                    j = close;
                }
                b'.' if c.get(j + 1) == Some(&b'.') => ranged = true,
                _ => {}
            }
            j += 1;
        }
        if ranged && acts(at, n.enclosing_end(at), var) {
            return true;
        }
    }
    // `while VAR`
    for at in words(b"while") {
        let mut i = skip_ruby_trivia(c, at + 5);
        while c.get(i) == Some(&b'(') {
            i = skip_ruby_trivia(c, i + 1);
        }
        if let Some(var) = ident_at(c, i)
            && acts(at, n.enclosing_end(at), var)
        {
            return true;
        }
    }
    false
}
