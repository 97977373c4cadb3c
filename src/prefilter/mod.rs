//! The byte-level prefilter: decides, before any parsing, whether a file can contain a finding.
//!
//! Parsing is the expensive step (tree-sitter parses Python and Ruby at 5.5-6.2 MB/s per thread
//! on the files a benchmark corpus run parses, `examples/parse_throughput.rs`; ~100x slower
//! than this scan), and most files cannot contain a finding:
//! every fact a frontend reports needs certain literal tokens in the text (a loop that closes fds needs the close call's name; a limit needs
//! `getrlimit` or `sysconf`). Each language has a list of requirements; a requirement is a set of
//! token groups that must ALL occur, a group is satisfied by ANY of its tokens. A file is parsed
//! when any requirement is met. One Aho-Corasick scan per file finds the tokens, and stops as
//! soon as a requirement is met; it is a leftmost-longest search resumed one byte after each
//! match (so that the automaton's SIMD prefilter skips text without tokens, ~10x faster than an
//! overlapping search), with each token also counting for the tokens it contains. After each
//! match that hits a new group, the scan goes on with an automaton of only the tokens still
//! worth finding (a token of a group not yet hit, of a requirement that can still be met;
//! built once per thread and token set, `Compiled::narrowed`), so a common token (`..` in Rust,
//! `new` in Ruby) stops the scan once per file, not at each occurrence. Tokens
//! common enough to stop the scan on most lines (`lazy_tokens`) are not in the automaton: a
//! group of them is looked for with a substring search once the rest of a requirement is met.
//!
//! Architecture invariant: the prefilter never changes results. A test lints every fixture with
//! and without it and requires identical findings; when a frontend learns a new spelling, its
//! tokens must be added here.
//!
//! By language: this file holds the shared scanner (the compiled automaton, `admit`, the
//! byte-level word helpers); `python.rs`, `ruby.rs` and `rust.rs` each hold their language's
//! requirement table and the shape checks it names; `pycode.rs` the Python lexer behind
//! `python2_hint` and the block check, `pyblock.rs` Python's statements and blocks read from
//! that lexer's output (is an fd action inside its loop's statement?), `rbcode.rs` the Ruby
//! lexer, `rsblock.rs` Rust's literals and brackets (is an fd action inside its loop's body?),
//! `nesting.rs` the bracket pairs both Rust's and Ruby's block checks read; `tests.rs` the
//! unit tests.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};

use crate::facts::Lang;

mod nesting;
mod pyblock;
mod pycode;
mod python;
mod rbcode;
mod rsblock;
mod ruby;
mod rust;
#[cfg(test)]
mod tests;

use python::*;
pub use python::{NOT_HELPERS, WRAPPER_WORDS, not_a_wrapper, python2_hint};
use ruby::*;
use rust::*;

/// A requirement: token groups that must all occur, and optionally a check of the text's shape
/// that must also hold (run at most once per file, only after the tokens were all seen).
type Requirement = (&'static [&'static [&'static str]], Option<Confirm>);

/// A shape check on a file's bytes: false only when the text cannot hold the facts.
type Confirm = fn(&[u8]) -> bool;

/// What the prefilter says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// No finding is possible.
    No,
    /// A finding may be in the file: parse it.
    Yes,
    /// Only a weak requirement is met: a finding is possible only under conditions the caller
    /// can check without parsing (see `PYTHON_WEAK` and `RUST_WEAK`).
    Weak,
}

struct Compiled {
    /// The tokens that are not lazy (`lazy_tokens`).
    ac: AhoCorasick,
    /// Groups (by bit) whose tokens are all lazy: looked for with one substring search each,
    /// only when a requirement's other groups are met.
    lazy: u64,
    /// Each lazy group's bit and tokens.
    lazy_groups: Vec<(u64, Vec<&'static str>)>,
    /// Requirements (by bit) that admit only weakly.
    weak: u64,
    /// The tokens, by id (for checking the scan against a naive one).
    tokens: Vec<&'static str>,
    /// For each token id, the bit of every group it belongs to (a token may serve several).
    token_bits: Vec<u64>,
    /// Which token ids the automaton holds (its pattern ids index `automaton_ids`).
    automaton_ids: Vec<usize>,
    /// Each requirement as the mask of groups that must all be hit, and its shape check.
    requirements: Vec<(u64, Option<Confirm>)>,
    /// The automaton's tokens as a mask of token ids (`narrowed` starts from it).
    all_tokens: u64,
    /// Which table this is, for `narrowed`'s cache.
    table: usize,
}

/// An automaton of some of a table's tokens (`Compiled::narrowed`).
struct Narrowed {
    /// Its tokens, as a mask of token ids.
    tokens: u64,
    ac: AhoCorasick,
    /// For each of its pattern ids, the token id.
    ids: Vec<usize>,
}

/// How many narrowed automata a thread keeps, for all tables together. Past the cap, an
/// automaton for a new set of tokens is built for its text and dropped after it.
const NARROWED_CACHE: usize = 2048;

fn build_automaton(tokens: impl IntoIterator<Item = &'static str>) -> AhoCorasick {
    // Leftmost-longest (not overlapping) search lets the automaton use its fast SIMD
    // prefilter (Teddy) to skip text without any token; `admit_text` resumes one byte after
    // each match start, so tokens that begin inside a match are still seen.
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(tokens)
        .expect("prefilter tokens compile")
}

/// Tokens so common in code that the scan would stop at almost every line for them (`for` and
/// `range` are on most lines of Python loops): left out of the automaton, and looked for only
/// once a requirement's other groups are met. A group is lazy when all its tokens are.
fn lazy_tokens(lang_table: &[Requirement]) -> &'static [&'static str] {
    if std::ptr::eq(lang_table, PYTHON) {
        &["for", "while", "range"]
    } else {
        &[]
    }
}

fn compile(table: &[Requirement], weak_indices: &[usize]) -> Compiled {
    let lazy_words = lazy_tokens(table);
    let mut tokens: Vec<&'static str> = Vec::new();
    let mut token_bits: Vec<u64> = Vec::new();
    let mut requirements = Vec::new();
    let mut lazy = 0u64;
    let mut lazy_groups = Vec::new();
    let mut bit = 0u32;
    for (groups, confirm) in table {
        let mut mask = 0u64;
        for group in *groups {
            assert!(bit < 64, "too many prefilter groups");
            let lazy_here = group.iter().filter(|t| lazy_words.contains(t)).count();
            assert!(
                lazy_here == 0 || lazy_here == group.len(),
                "a lazy token shares a group with others: {group:?}"
            );
            if lazy_here > 0 {
                lazy |= 1 << bit;
                lazy_groups.push((1u64 << bit, group.to_vec()));
            }
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
        assert!(
            mask & !lazy != 0,
            "a requirement needs a group the automaton looks for"
        );
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
    assert!(tokens.len() <= 64, "too many prefilter tokens");
    let automaton_ids: Vec<usize> = (0..tokens.len())
        .filter(|i| !lazy_words.contains(&tokens[*i]))
        .collect();
    let ac = build_automaton(automaton_ids.iter().map(|i| tokens[*i]));
    static TABLES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    Compiled {
        ac,
        all_tokens: automaton_ids.iter().fold(0, |m, i| m | (1 << i)),
        table: TABLES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        lazy,
        lazy_groups,
        automaton_ids,
        weak: weak_indices.iter().fold(0, |m, i| m | (1 << i)),
        tokens,
        token_bits,
        requirements,
    }
}

impl Compiled {
    /// The tokens still worth finding once the groups `seen` were hit and the requirements
    /// `failed` can no longer be met: those that would hit a group, other than a lazy one
    /// (looked for by substring search), of a requirement still open. Once seen, a token is
    /// never worth finding again, so it stops the scan at most once per text.
    fn useful_tokens(&self, seen: u64, failed: u64) -> u64 {
        let open = self
            .requirements
            .iter()
            .enumerate()
            .filter(|(i, _)| failed & (1 << i) == 0)
            .fold(0, |m, (_, (mask, _))| m | mask);
        let wanted = open & !seen & !self.lazy;
        self.automaton_ids
            .iter()
            .filter(|id| self.token_bits[**id] & wanted != 0)
            .fold(0, |m, id| m | (1 << id))
    }

    /// The automaton of just the tokens `tokens` (a mask of token ids, a subset of
    /// `all_tokens`), built once per thread and kept (up to `NARROWED_CACHE`).
    /// A file with a common token (`..` in Rust, `new` in Ruby) would otherwise restart the
    /// scan at every occurrence of it.
    fn narrowed(&self, tokens: u64) -> std::rc::Rc<Narrowed> {
        use std::cell::RefCell;
        use std::collections::HashMap;
        use std::rc::Rc;
        thread_local! {
            static CACHE: RefCell<HashMap<(usize, u64), Rc<Narrowed>, foldhash::fast::RandomState>> =
                RefCell::default();
        }
        CACHE.with_borrow_mut(|cache| {
            if let Some(n) = cache.get(&(self.table, tokens)) {
                return n.clone();
            }
            let ids: Vec<usize> = self
                .automaton_ids
                .iter()
                .copied()
                .filter(|id| tokens & (1 << id) != 0)
                .collect();
            // All of them: the table's own automaton (a clone shares it).
            let ac = if tokens == self.all_tokens {
                self.ac.clone()
            } else {
                build_automaton(ids.iter().map(|id| self.tokens[*id]))
            };
            let n = Rc::new(Narrowed { tokens, ac, ids });
            if cache.len() < NARROWED_CACHE {
                cache.insert((self.table, tokens), n.clone());
            }
            n
        })
    }

    /// The lazy groups among `groups` (bits) that `text` holds a token of.
    fn lazy_seen(&self, text: &[u8], groups: u64) -> u64 {
        self.lazy_groups
            .iter()
            .filter(|(bit, words)| {
                groups & bit != 0
                    && words
                        .iter()
                        .any(|w| memchr::memmem::find(text, w.as_bytes()).is_some())
            })
            .fold(0, |acc, (bit, _)| acc | bit)
    }
}

/// The compiled table of `lang`; with `code`, Ruby's table for a file's code alone
/// (`RUBY_ON_CODE`).
fn compiled_for(lang: Lang, code: bool) -> &'static Compiled {
    static PY: OnceLock<Compiled> = OnceLock::new();
    static RB: OnceLock<Compiled> = OnceLock::new();
    static RS: OnceLock<Compiled> = OnceLock::new();
    static RB_CODE: OnceLock<Compiled> = OnceLock::new();
    if code {
        assert_eq!(lang, Lang::Ruby, "only Ruby has a table for code alone");
        return RB_CODE.get_or_init(|| compile(RUBY_ON_CODE, &[]));
    }
    match lang {
        Lang::Python => PY.get_or_init(|| compile(PYTHON, PYTHON_WEAK)),
        Lang::Ruby => RB.get_or_init(|| compile(RUBY, &[])),
        Lang::Rust => RS.get_or_init(|| compile(RUST, RUST_WEAK)),
    }
}

fn compiled(lang: Lang) -> &'static Compiled {
    compiled_for(lang, false)
}

/// Whether a run parses `text` when nothing but the text is known (no configured version, no
/// project files, no link pass): admitted, or weakly admitted with a Python 2 hint. What the
/// benchmark helpers (`examples/`) measure.
pub fn parsed_without_context(lang: Lang, text: &[u8]) -> bool {
    match admit(lang, text) {
        Admission::Yes => true,
        Admission::No => false,
        Admission::Weak => lang == Lang::Python && python2_hint(text),
    }
}

/// Whether `text` may contain a finding for a file of `lang` (weak admissions included).
pub fn may_match(lang: Lang, text: &[u8]) -> bool {
    admit(lang, text) != Admission::No
}

/// Whether, and how strongly, `text` may contain a finding for a file of `lang`.
///
/// A Ruby file that meets a requirement is judged again on its code alone (`rbcode`: strings,
/// comments, symbols and heredoc bodies blanked) whenever the lexer is sure which bytes are
/// code: a spawn word in prose admits nothing, and FD001's check then also reads the code's
/// brackets (`RUBY_ON_CODE`).
pub fn admit(lang: Lang, text: &[u8]) -> Admission {
    let c = compiled(lang);
    let first = admit_text(c, text);
    if lang == Lang::Ruby
        && first != Admission::No
        && let Some(code) = rbcode::code_only(text)
    {
        return admit_text(compiled_for(lang, true), &code);
    }
    first
}

fn admit_text(c: &Compiled, text: &[u8]) -> Admission {
    let mut seen = 0u64;
    // Lazy groups looked for so far, and those found.
    let (mut looked, mut found) = (0u64, 0u64);
    // Requirements whose tokens were all seen but whose shape check failed: never met.
    let mut failed = 0u64;
    let mut weak_met = false;
    let mut at = 0;
    // The automaton of the tokens still worth finding (`Compiled::narrowed`): a token stops
    // the scan at most once.
    let mut scan = c.narrowed(c.all_tokens);
    while let Some(m) = scan.ac.find(Input::new(text).range(at..)) {
        at = m.start() + 1;
        let bits = c.token_bits[scan.ids[m.pattern().as_usize()]];
        if seen | bits == seen {
            continue;
        }
        seen |= bits;
        for (i, (mask, confirm)) in c.requirements.iter().enumerate() {
            if failed & (1 << i) != 0 || seen & mask & !c.lazy != mask & !c.lazy {
                continue;
            }
            // The lazy groups it needs, each looked for once per text.
            let need = mask & c.lazy & !seen & !looked;
            if need != 0 {
                looked |= need;
                found |= c.lazy_seen(text, need);
            }
            if (seen | found) & mask != *mask {
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
        let useful = c.useful_tokens(seen, failed);
        if useful == 0 {
            break;
        }
        if useful != scan.tokens {
            scan = c.narrowed(useful);
        }
    }
    if weak_met {
        Admission::Weak
    } else {
        Admission::No
    }
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

/// Why the Ruby lexer could not tell code from the rest of `text` (`None`: it could), for
/// measuring how often the prefilter judges a Ruby file on its whole text.
#[doc(hidden)]
pub fn ruby_lexer_gave_up(text: &[u8]) -> Option<&'static str> {
    rbcode::lex(text).err()
}

/// Which requirements of `lang`'s table `text` meets, each checked on its own (for measuring
/// the prefilter, e.g. `examples/prefilter_census.rs`; the product only needs [`may_match`]).
#[doc(hidden)]
pub fn requirements_met(lang: Lang, text: &[u8]) -> Vec<bool> {
    let code = match lang {
        Lang::Ruby => rbcode::code_only(text),
        _ => None,
    };
    let c = compiled_for(lang, code.is_some());
    let text = code.as_deref().unwrap_or(text);
    let mut seen = 0u64;
    let mut at = 0;
    while let Some(m) = c.ac.find(Input::new(text).range(at..)) {
        at = m.start() + 1;
        seen |= c.token_bits[c.automaton_ids[m.pattern().as_usize()]];
    }
    seen |= c.lazy_seen(text, c.lazy);
    // The naive search also sets a lazy group's bit through a token that contains one of its
    // words; the scan sees those words with its substring search.
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

/// Whether `t[at..end]` is a whole identifier: it starts one (`starts_word`) and no
/// identifier byte follows.
fn whole_word(t: &[u8], at: usize, end: usize) -> bool {
    starts_word(t, at) && t.get(end).is_none_or(|b| !is_ident(*b))
}

/// Whether an identifier can start at `at`: no identifier byte before it, or the identifier
/// bytes before it start with a digit. tree-sitter lexes `7system` as the number `7` and then
/// `system` (the broken Ruby `7system".exec"` is a `system` call to it), so the word counts
/// there too. Looking back stops after `LOOK_BACK` bytes and then counts the word: looser is
/// sound, and the scan stays linear on a run such as `7system7system...`.
pub(crate) fn starts_word(t: &[u8], at: usize) -> bool {
    const LOOK_BACK: usize = 64;
    let mut s = at;
    while s > 0 && is_ident(t[s - 1]) {
        if at - s >= LOOK_BACK {
            return true;
        }
        s -= 1;
    }
    s == at || t[s].is_ascii_digit()
}

/// Whether the identifier bytes `run` (as read back from a `.`) end with the name `name`
/// where it starts an identifier: all of `run`, or after bytes that start with a digit
/// (`7IO` is the number `7` and then `IO`, see `starts_word`).
fn run_is(run: &[u8], name: &[u8]) -> bool {
    run == name || (run.ends_with(name) && run.first().is_some_and(|b| b.is_ascii_digit()))
}

/// The offset after the whitespace, line continuations and comments starting at `i`.
fn skip_trivia(t: &[u8], mut i: usize) -> usize {
    while i < t.len() {
        match t[i] {
            // A NUL byte too: the Ruby frontend parses it as a space.
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\\' | b'\0' => i += 1,
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
