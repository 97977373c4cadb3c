//! The byte-level prefilter: decides, before any parsing, whether a file can contain a finding.
//!
//! Parsing is the expensive step (tree-sitter parses Python and Ruby at ~7 MB/s per thread), and
//! most files cannot contain a finding: every fact a frontend reports needs certain literal
//! tokens in the text (a loop that closes fds needs the close call's name; a limit needs
//! `getrlimit` or `sysconf`). Each language has a list of requirements; a requirement is a set of
//! token groups that must ALL occur, a group is satisfied by ANY of its tokens. A file is parsed
//! when any requirement is met. One Aho-Corasick pass per file finds the tokens, and stops as
//! soon as a requirement is met.
//!
//! Architecture invariant: the prefilter never changes results. A test lints every fixture with
//! and without it and requires identical findings; when a frontend learns a new spelling, its
//! tokens must be added here.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::facts::Lang;

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
    // FD004 spawn calls and FD005 `os.closerange`: the module or function names.
    (
        &[&["subprocess", "popen", "Popen", "commands", "closerange"]],
        None,
    ),
];

const RUBY: &[Requirement] = &[
    // FD001: an fd action on a number (IO.for_fd / IO.new / File.for_fd / fcntl / cloexec).
    (
        &[&[
            "for_fd",
            "IO.new",
            "File.new",
            "F_SETFD",
            "close_on_exec",
            "F_GETFD",
        ]],
        None,
    ),
    // FD002 and limit-bounded loops: a limit source.
    (&[&["getrlimit", "sysconf", "OPEN_MAX", "NOFILE"]], None),
    // FD003 spawn calls: every spawn-family method name contains one of these.
    (
        &[&[
            "spawn", "popen", "system", "exec", "capture", "pipeline", "Open3",
        ]],
        None,
    ),
];

const RUST: &[Requirement] = &[
    // FD001: a range or while loop and an fd action.
    (
        &[
            &["..", "while"],
            &["close", "fcntl", "fstat", "from_raw_fd"],
        ],
        None,
    ),
    // FD002: a range and a limit source.
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
        ],
        None,
    ),
];

struct Compiled {
    ac: AhoCorasick,
    /// For each token id, the bit of every group it belongs to (a token may serve several).
    token_bits: Vec<u64>,
    /// Each requirement as the mask of groups that must all be hit, and its shape check.
    requirements: Vec<(u64, Option<Confirm>)>,
}

fn compile(table: &[Requirement]) -> Compiled {
    let mut tokens: Vec<&str> = Vec::new();
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
    let ac = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&tokens)
        .expect("prefilter tokens compile");
    Compiled {
        ac,
        token_bits,
        requirements,
    }
}

fn compiled(lang: Lang) -> &'static Compiled {
    static PY: OnceLock<Compiled> = OnceLock::new();
    static RB: OnceLock<Compiled> = OnceLock::new();
    static RS: OnceLock<Compiled> = OnceLock::new();
    match lang {
        Lang::Python => PY.get_or_init(|| compile(PYTHON)),
        Lang::Ruby => RB.get_or_init(|| compile(RUBY)),
        Lang::Rust => RS.get_or_init(|| compile(RUST)),
    }
}

/// Whether `text` may contain a finding for a file of `lang`.
pub fn may_match(lang: Lang, text: &[u8]) -> bool {
    let c = compiled(lang);
    let mut seen = 0u64;
    // Requirements whose tokens were all seen but whose shape check failed: never met.
    let mut failed = 0u64;
    for m in c.ac.find_overlapping_iter(text) {
        let bits = c.token_bits[m.pattern().as_usize()];
        if seen | bits == seen {
            continue;
        }
        seen |= bits;
        for (i, (mask, confirm)) in c.requirements.iter().enumerate() {
            if failed & (1 << i) != 0 || seen & mask != *mask {
                continue;
            }
            match confirm {
                None => return true,
                Some(check) if check(text) => return true,
                Some(_) => failed |= 1 << i,
            }
        }
    }
    false
}

/// Bytes that can continue a Python identifier (any non-ASCII byte, conservatively).
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
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
///   `ACTION(NAME` in it, where ACTION is the last segment of the callee (`os.close`, `close`);
/// - `map(ACTION, range(...))`, where ACTION is followed by a comma.
///
/// ACTION is `close`, `fstat`, `set_inheritable` or `fcntl`. Between the tokens of a shape only
/// whitespace, comments and line continuations can stand. The check is deliberately looser than
/// the query (it does not tie the call to the loop's body, nor the loop to a range): it must
/// never reject a file the frontend would find a loop in.
fn python_loop_action(t: &[u8]) -> bool {
    const ACTIONS: &[&[u8]] = &[b"close", b"fstat", b"set_inheritable", b"fcntl"];
    // Names passed first to an action call, and whether an action is followed by a comma.
    let mut args: Vec<&[u8]> = Vec::new();
    let mut mapped = false;
    for a in ACTIONS {
        for at in memchr::memmem::find_iter(t, a) {
            if at > 0 && is_ident(t[at - 1]) {
                continue;
            }
            let i = skip_trivia(t, at + a.len());
            match t.get(i) {
                Some(b'(') => {
                    if let Some(name) = ident_at(t, skip_trivia(t, i + 1)) {
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
    // from a loop with the loop variable: any parameter name counts like a loop variable.
    for at in memchr::memmem::find_iter(t, b"def") {
        if (at > 0 && is_ident(t[at - 1])) || t.get(at + 3).is_some_and(|b| is_ident(*b)) {
            continue;
        }
        let Some(open) = memchr::memchr(b'(', &t[at..]).map(|o| at + o) else {
            continue;
        };
        let close = memchr::memchr(b')', &t[open..]).map_or(t.len(), |c| open + c);
        let mut i = open + 1;
        while i < close {
            if let Some(name) = ident_at(t, i) {
                if args.contains(&name) {
                    return true;
                }
                i += name.len();
            } else {
                i += 1;
            }
        }
    }
    for kw in [&b"for"[..], b"while"] {
        for at in memchr::memmem::find_iter(t, kw) {
            let i = at + kw.len();
            if t.get(i).is_some_and(|b| is_ident(*b)) {
                continue;
            }
            if let Some(name) = ident_at(t, skip_trivia(t, i))
                && args.contains(&name)
            {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "for fd in reversed(range(3, 4096)):\n    fcntl.fcntl(fd, fcntl.F_SETFD, 1)\n",
            "for é in range(3, 4096):\n    os.close(é)\n",
        ];
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
        ];
        for src in negatives {
            assert_eq!(loops(src), 0, "frontend finds a loop in {src:?}");
            assert!(
                !may_match(Lang::Python, src.as_bytes()),
                "prefilter keeps {src:?}"
            );
        }
        // FD002 needs no action, only a range and a limit source.
        assert!(may_match(
            Lang::Python,
            b"fds = list(range(resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        ));
    }
}
