//! Ruby frontend: finds loops that touch every fd number up to a bound (`3.upto(max) { |fd|
//! IO.for_fd(fd).close rescue nil }`) and arrays of every fd number (`(3..max).to_a`), and
//! resolves the bound through the file's local data flow to the fd limit or a guessed constant.
//!
//! The candidates come from the facts query (`queries/ruby/{close_loops,fd_ranges,spawn_calls}.scm`,
//! run over the regions that hold their tokens): loop shapes, ranges and spawn calls. The
//! bindings of a name (assignments and parameter defaults, as `queries/ruby/bindings.scm`
//! specifies them) and method definitions are looked up when a resolution needs them. Everything
//! else (which receiver makes a loop, what the body does with the loop variable, where the bound
//! comes from) is decided in this
//! folder. Whatever cannot be resolved is not a fact. Calls that start child
//! processes (`Open3.popen3`, `spawn`, `system`, ...) are judged in the `spawn` submodule.
//!
//! By concern: this file runs the queries and turns matches into facts (`extract`);
//! `bindings.rs` the file's `Ctx` and the per-name binding lookup, `loops.rs` loops, ranges and
//! fd actions, `resolve.rs` values and the bounds algebra, `spawn.rs` spawn calls,
//! `platform.rs` the Windows-only code that is not judged, `tests.rs`
//! the unit tests.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use tree_sitter::{Language, Node, Parser, Query};

use super::{FrontendError, FrontendOptions, ts};
mod bindings;
mod calls;
mod loops;
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

/// The facts query: candidate loops, fd ranges and spawn calls, run over the regions of a file
/// that hold their tokens (`regions`).
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

/// Names whose occurrence a facts-query match needs in its root node (see `regions`): the
/// `#any-of?`/`#eq?` names of the facts query, the `for` and `while` keywords, and `..` (every
/// range holds it). A test checks the list against the queries, and region matches against
/// whole-tree matches on every fixture.
pub const REGION_TOKENS: &[&str] = &[
    "upto",
    "downto",
    "each",
    "reverse_each",
    "times",
    "step",
    "for",
    "while",
    "..",
    "to_a",
    "Array",
    "popen3",
    "popen2",
    "popen2e",
    "capture2",
    "capture2e",
    "capture2b",
    "capture3",
    "pipeline",
    "pipeline_r",
    "pipeline_w",
    "pipeline_rw",
    "pipeline_start",
    "popen",
    "spawn",
    "system",
    "exec",
];

/// The byte ranges the facts query runs over (`ts::merged_regions`).
fn regions(b: &[u8]) -> Vec<std::ops::Range<usize>> {
    static TOKENS: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    ts::merged_regions(b, &TOKENS, REGION_TOKENS)
}

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

/// The facts query and the indices of the captures the code reads.
struct Compiled {
    query: Query,
    loop_call: u32,
    loop_recv: u32,
    loop_method: u32,
    loop_block: u32,
    loop_var: u32,
    loop_for: u32,
    loop_in: u32,
    loop_body: u32,
    loop_while: u32,
    loop_cond: u32,
    range_expr: u32,
    range_range: u32,
    spawn_call: u32,
    spawn_recv: u32,
    spawn_method: u32,
}

fn compiled() -> &'static Compiled {
    static Q: OnceLock<Compiled> = OnceLock::new();
    Q.get_or_init(|| {
        // The `call` patterns are found by `calls::find`; their own captures are absent here.
        let query = ts::compile_except(&language(), QUERY_FILES, &[calls::ROOT]);
        let idx = |name: &str| query.capture_index_for_name(name).unwrap_or(u32::MAX);
        Compiled {
            loop_call: idx("loop.call"),
            loop_recv: idx("loop.recv"),
            loop_method: idx("loop.method"),
            loop_block: idx("loop.block"),
            loop_var: idx("loop.var"),
            loop_for: idx("loop.for"),
            loop_in: idx("loop.in"),
            loop_body: idx("loop.body"),
            loop_while: idx("loop.while"),
            loop_cond: idx("loop.cond"),
            range_expr: idx("range.expr"),
            range_range: idx("range.range"),
            spawn_call: idx("spawn.call"),
            spawn_recv: idx("spawn.recv"),
            spawn_method: idx("spawn.method"),
            query,
        }
    })
}

pub fn extract(text: &str, opts: &FrontendOptions) -> Result<Facts, FrontendError> {
    // tree-sitter ends a comment at a NUL byte and parses the rest of the line as code; Ruby
    // reads a comment to the end of the line (and a string keeps the NUL as a character), so
    // `# ...\0... spawn fact` was a `spawn` call to the frontend and a comment to the
    // prefilter. Parsed as a space it stays comment or string text, at the same offsets.
    let spaced = ts::replace_byte(text, 0, b' ');
    let text = spaced.as_deref().unwrap_or(text);
    let tree = ts::parse(&PARSER, &language(), text, opts)?;
    let budget = crate::lang::Budget::new(opts);
    let root = tree.root_node();
    let mut facts = Facts {
        syntax_errors: ts::syntax_errors(&tree, MAX_SYNTAX_ERRORS),
        ..Facts::default()
    };

    let q = compiled();
    let mut ctx = Ctx::new(text, root, &budget);
    let mut loops: Vec<LoopMatch> = Vec::new();
    let mut ranges: Vec<(Node, Node)> = Vec::new();
    let mut spawns: Vec<spawn::SpawnMatch> = Vec::new();

    ts::for_each_match(
        &q.query,
        root,
        text,
        regions(text.as_bytes()),
        &budget,
        |m| {
            let get = |idx: u32| m.captures().iter().find(|c| c.index == idx).map(|c| c.node);
            if let Some(call) = get(q.loop_call) {
                if let (Some(recv), Some(method), Some(block), Some(var)) = (
                    get(q.loop_recv),
                    get(q.loop_method),
                    get(q.loop_block),
                    get(q.loop_var),
                ) {
                    loops.push(LoopMatch::Block {
                        call,
                        recv,
                        method,
                        block,
                        var,
                    });
                }
            } else if let Some(node) = get(q.loop_for) {
                if let (Some(var), Some(inn), Some(body)) =
                    (get(q.loop_var), get(q.loop_in), get(q.loop_body))
                {
                    loops.push(LoopMatch::For {
                        node,
                        var,
                        inn,
                        body,
                    });
                }
            } else if let Some(node) = get(q.loop_while) {
                if let (Some((var, hi)), Some(body)) =
                    (get(q.loop_cond).and_then(while_condition), get(q.loop_body))
                {
                    loops.push(LoopMatch::While {
                        node,
                        var,
                        hi,
                        body,
                    });
                }
            } else if let Some(expr) = get(q.range_expr) {
                if let Some(range) = get(q.range_range) {
                    ranges.push((expr, range));
                }
            } else if let Some(call) = get(q.spawn_call)
                && let Some(method) = get(q.spawn_method)
            {
                spawns.push(spawn::SpawnMatch {
                    call,
                    recv: get(q.spawn_recv),
                    method,
                });
            }
        },
    );
    calls::find(root, text, &mut loops, &mut ranges, &mut spawns);
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
    facts.close_loops.retain(|c| !ctx.windows_only(c.span));
    facts.fd_ranges.retain(|r| !ctx.windows_only(r.span));
    facts.spawns.retain(|s| !ctx.windows_only(s.span));
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
