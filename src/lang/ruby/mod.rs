//! Ruby frontend: finds loops that touch every fd number up to a bound (`3.upto(max) { |fd|
//! IO.for_fd(fd).close rescue nil }`) and arrays of every fd number (`(3..max).to_a`), and
//! resolves the bound through the file's local data flow to the fd limit or a guessed constant.
//!
//! The candidates are the matches of the facts query
//! (`queries/ruby/{close_loops,fd_ranges,spawn_calls}.scm`: loop shapes, ranges and spawn calls),
//! found by a walk from their tokens (`matches.rs`), the query being their tested specification. The
//! bindings of a name (assignments and parameter defaults, as `queries/ruby/bindings.scm`
//! specifies them) and method definitions are looked up when a resolution needs them. Everything
//! else (which receiver makes a loop, what the body does with the loop variable, where the bound
//! comes from) is decided in this
//! folder. Whatever cannot be resolved is not a fact. Calls that start child
//! processes (`Open3.popen3`, `spawn`, `system`, ...) are judged in the `spawn` submodule.
//!
//! By concern: this file turns matches into facts (`extract`), `matches.rs` finds them;
//! `bindings.rs` the file's `Ctx` and the per-name binding lookup, `loops.rs` loops, ranges and
//! fd actions, `resolve.rs` values and the bounds algebra, `spawn.rs` spawn calls,
//! `platform.rs` the Windows-only code that is not judged, `tests.rs`
//! the unit tests.

use std::cell::RefCell;
use std::collections::HashMap;

use tree_sitter::{Language, Node, Parser};

use super::{FrontendError, FrontendOptions, ts};
mod bindings;
mod loops;
mod matches;
mod platform;
mod resolve;
mod spawn;
mod sweep;
#[cfg(test)]
mod tests;

use crate::facts::{
    Bound, BoundKind, CloseLoop, Container, Facts, Fallback, FdAction, FdRange, LimitSource, Span,
};
use bindings::*;
use loops::*;
use resolve::*;

/// The facts query: candidate loops, fd ranges and spawn calls. Never compiled by a run:
/// `matches::find` walks for its matches, and a test requires the two to agree.
pub const QUERY_FILES: &[(&str, &str)] = &[
    (
        "close_loops.scm",
        include_str!("../../../queries/ruby/close_loops.scm"),
    ),
    (
        "fd_ranges.scm",
        include_str!("../../../queries/ruby/fd_ranges.scm"),
    ),
    (
        "spawn_calls.scm",
        include_str!("../../../queries/ruby/spawn_calls.scm"),
    ),
];

/// What counts as a binding of a name (assignments, `||=`/`&&=`, multiple assignment, parameter
/// defaults) and a method definition, as a query: the specification the lazy lookup
/// (`Ctx::index_name`, `Ctx::index_methods`) is tested against on every fixture. Running it over
/// a whole tree costs ~115 ns per node; the lookup visits only the nodes of the names resolved.
pub const BINDINGS_QUERY: (&str, &str) = (
    "bindings.scm",
    include_str!("../../../queries/ruby/bindings.scm"),
);

/// How many names (variables, constants, methods) a bound may go through.
const MAX_NAME_DEPTH: u32 = 8;
/// How deep an expression the resolver looks into.
const MAX_EXPR_DEPTH: u32 = 48;
/// At most this many syntax-error regions are reported per file.
const MAX_SYNTAX_ERRORS: usize = 32;

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

fn language() -> Language {
    tree_sitter_ruby::LANGUAGE.into()
}

pub fn extract(text: &str, opts: &FrontendOptions) -> Result<Facts, FrontendError> {
    // tree-sitter ends a comment at a NUL byte and parses the rest of the line as code; Ruby
    // reads a comment to the end of the line (and a string keeps the NUL as a character), so
    // `# ...\0... spawn fact` was a `spawn` call to the frontend and a comment to the
    // prefilter. Parsed as a space it stays comment or string text, at the same offsets.
    let spaced = ts::replace_byte(text, 0, b' ');
    let text = spaced.as_deref().unwrap_or(text);
    if has_long_heredoc_word(text.as_bytes()) {
        return Err(FrontendError::Refused(
            "a heredoc word longer than 250 characters, which tree-sitter-ruby's scanner \
             cannot store (it aborts the process)",
        ));
    }
    let tree = ts::parse(&PARSER, &language(), text, opts)?;
    let budget = crate::lang::Budget::new(opts);
    let root = tree.root_node();
    let mut facts = Facts {
        syntax_errors: ts::syntax_errors(&tree, MAX_SYNTAX_ERRORS),
        ..Facts::default()
    };

    let mut ctx = Ctx::new(text, root, &budget);
    let mut loops: Vec<LoopMatch> = Vec::new();
    let mut ranges: Vec<(Node, Node)> = Vec::new();
    let mut spawns: Vec<spawn::SpawnMatch> = Vec::new();
    matches::find(root, text, &mut loops, &mut ranges, &mut spawns);
    if loops.is_empty() && ranges.is_empty() && spawns.is_empty() {
        facts.exhausted = budget.exhausted();
        return Ok(facts);
    }
    ctx.index_methods();

    for lm in &loops {
        if let Some(cl) = ctx.close_loop(lm) {
            facts.sweep_loops.extend(ctx.sweep_loop(lm, &cl));
            if ctx.loop_includes_end(lm) {
                facts.inclusive_ends.push(cl.span);
            }
            facts.close_loops.push(cl);
        }
    }
    for &(expr, range) in &ranges {
        let Some(hi) = range.child_by_field_name("end") else {
            continue;
        };
        let Some(bound) = ctx.bound(hi) else {
            continue;
        };
        // A literal bound says nothing about fds unless the array feeds a close loop or the
        // bound is named for fds (`MAXFD`): `(0x2000..0x200A).to_a` is a list of code points.
        let fd_context = match &bound.kind {
            BoundKind::Limit { .. } => true,
            BoundKind::Guess { name, .. } => {
                name.as_deref().is_some_and(names_fds)
                    || facts
                        .close_loops
                        .iter()
                        .any(|c| c.span.start <= expr.start_byte() && expr.end_byte() <= c.span.end)
            }
            BoundKind::Unresolved { .. } => false,
        };
        if !fd_context {
            continue;
        }
        if range_includes_end(range) {
            facts.inclusive_ends.push(ts::span(expr));
        }
        facts.fd_ranges.push(FdRange {
            span: ts::span(expr),
            container: Container::RubyArray,
            lower: range
                .child_by_field_name("begin")
                .and_then(|b| ctx.lower(b)),
            bound,
        });
    }
    for sm in &spawns {
        if let Some(sc) = ctx.spawn_call(sm, &mut facts.option_slots) {
            facts.spawns.push(sc);
        }
    }
    // Code that runs only on Windows is not judged by POSIX fd rules (`platform.rs`).
    let mut spans: Vec<Span> = (facts.close_loops.iter().map(|c| c.span))
        .chain(facts.fd_ranges.iter().map(|r| r.span))
        .chain(facts.spawns.iter().map(|s| s.span))
        .collect();
    spans.sort_unstable();
    spans.dedup();
    let windows: Vec<Span> = (spans.iter().zip(ctx.windows_only(&spans)))
        .filter_map(|(s, w)| w.then_some(*s))
        .collect();
    let posix = |s: &Span| windows.binary_search(s).is_err();
    facts.close_loops.retain(|c| posix(&c.span));
    facts.fd_ranges.retain(|r| posix(&r.span));
    facts.spawns.retain(|s| posix(&s.span));
    facts.spawns.sort_by_key(|s| s.span);
    facts.spawns.dedup_by_key(|s| s.span);
    facts.close_loops.sort_by_key(|c| c.span);
    facts.close_loops.dedup_by_key(|c| c.span);
    facts.sweep_loops.sort_by_key(|c| c.header);
    facts.sweep_loops.dedup_by_key(|c| c.header);
    facts.fd_ranges.sort_by_key(|r| r.span);
    facts.fd_ranges.dedup_by_key(|r| r.span);
    facts.exhausted = budget.exhausted();
    Ok(facts)
}

/// The longest heredoc word tree-sitter-ruby's scanner can save in its state: it stores the
/// length in one byte, and a longer word (`<<'` and an unclosed quote, the rest of the file
/// then being the word) fails an `assert` in its `deserialize`, which aborts the whole
/// process. Kept below 255 for margin.
const MAX_HEREDOC_WORD: usize = 250;

/// Whether some `<<` (with `-` or `~`) may start a heredoc whose word is longer than
/// `MAX_HEREDOC_WORD` characters, as the scanner reads one (`scan_heredoc_word`): after a
/// quote, every character up to the same quote or the end of the text; else a run of
/// letters, digits and `_` (any non-ASCII character counted as one, looser than the
/// scanner). Every `<<` counts, in strings and trailing comments too, except on a line that
/// is a comment from its start (`# see \`#<<\`` in pry's documentation): no heredoc starts
/// there, and inside a literal that spans lines no heredoc starts either (a line that starts
/// with `#{` is an interpolation, and counts). A refused file is rare; an aborted run is not
/// acceptable.
fn has_long_heredoc_word(t: &[u8]) -> bool {
    memchr::memmem::find_iter(t, b"<<").any(|at| {
        let line = memchr::memrchr(b'\n', &t[..at]).map_or(0, |n| n + 1);
        let first = t[line..at].iter().position(|b| !matches!(b, b' ' | b'\t'));
        if let Some(k) = first
            && t[line + k] == b'#'
            && t.get(line + k + 1) != Some(&b'{')
        {
            return false;
        }
        let mut i = at + 2;
        if matches!(t.get(i), Some(b'-' | b'~')) {
            i += 1;
        }
        let chars = |bytes: &[u8]| bytes.iter().filter(|b| (**b & 0xc0) != 0x80).count();
        match t.get(i) {
            Some(&q @ (b'\'' | b'"' | b'`')) => {
                let rest = &t[i + 1..];
                // Up to 4 bytes a character: look no further than the limit can reach.
                let window = &rest[..rest.len().min(4 * (MAX_HEREDOC_WORD + 1))];
                match memchr::memchr(q, window) {
                    Some(n) => chars(&window[..n]) > MAX_HEREDOC_WORD,
                    None => chars(window) > MAX_HEREDOC_WORD,
                }
            }
            _ => {
                let run = t[i..]
                    .iter()
                    .take(4 * (MAX_HEREDOC_WORD + 1))
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b >= 0x80)
                    .count();
                chars(&t[i..i + run]) > MAX_HEREDOC_WORD
            }
        }
    })
}
