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

/// Requirement tables, per language. Comments say which facts each requirement admits.
const PYTHON: &[&[&[&str]]] = &[
    // FD001 close loops and FD002 fd ranges: a `range`/`xrange` call or a `while` loop, and
    // either an fd action or a limit source.
    &[
        &["range", "while"],
        &[
            "close",
            "fstat",
            "inheritable",
            "fcntl",
            "getrlimit",
            "sysconf",
            "getdtablesize",
            "MAXFD",
        ],
    ],
    // FD004 spawn calls and FD005 `os.closerange`: the module or function names.
    &[&["subprocess", "popen", "Popen", "commands", "closerange"]],
];

const RUBY: &[&[&[&str]]] = &[
    // FD001: an fd action on a number (IO.for_fd / IO.new / File.for_fd / fcntl / cloexec).
    &[&[
        "for_fd",
        "IO.new",
        "File.new",
        "F_SETFD",
        "close_on_exec",
        "F_GETFD",
    ]],
    // FD002 and limit-bounded loops: a limit source.
    &[&["getrlimit", "sysconf", "OPEN_MAX", "NOFILE"]],
    // FD003 spawn calls: every spawn-family method name contains one of these.
    &[&[
        "spawn", "popen", "system", "exec", "capture", "pipeline", "Open3",
    ]],
];

const RUST: &[&[&[&str]]] = &[
    // FD001: a range or while loop and an fd action.
    &[
        &["..", "while"],
        &["close", "fcntl", "fstat", "from_raw_fd"],
    ],
    // FD002: a range and a limit source.
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
];

struct Compiled {
    ac: AhoCorasick,
    /// For each token id, the bit of every group it belongs to (a token may serve several).
    token_bits: Vec<u64>,
    /// Each requirement as the mask of groups that must all be hit.
    requirements: Vec<u64>,
}

fn compile(table: &[&[&[&str]]]) -> Compiled {
    let mut tokens: Vec<&str> = Vec::new();
    let mut token_bits: Vec<u64> = Vec::new();
    let mut requirements = Vec::new();
    let mut bit = 0u32;
    for req in table {
        let mut mask = 0u64;
        for group in *req {
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
        requirements.push(mask);
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
    for m in c.ac.find_overlapping_iter(text) {
        seen |= c.token_bits[m.pattern().as_usize()];
        if c.requirements.iter().any(|r| seen & r == *r) {
            return true;
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
}
