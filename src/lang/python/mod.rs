//! Python frontend: tree-sitter-python plus a small, bounded data-flow resolver.
//!
//! The facts query (`queries/python/{close_loops,fd_ranges,spawn_calls}.scm`, run over the regions
//! that hold their tokens) finds candidate loops, containers and calls; `dialect.scm` finds
//! Python 2 syntax when a fact needs the dialect. For each candidate the resolver follows the loop's upper bound through
//! assignments (function scope, then module scope), tuple unpacking, indexing, `min`/`max`,
//! `int()`, arithmetic, conditional expressions, `or` fallbacks, parameter defaults and helper
//! functions in the same file, and reports where the value comes from. A bound it cannot follow
//! is unknown, and an unknown bound is never a finding.
//!
//! By concern: this file runs the queries and turns matches into facts (`extract`);
//! `loops.rs` loops and ranges, `resolve.rs` bindings and value resolution, `spawn.rs` spawn
//! calls, `dialect.rs` Python 2 evidence, `tests.rs` the unit tests.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use tree_sitter::{Node, Parser, Query};

use super::ts::{self, span, text};
use super::{Budget, FrontendError, FrontendOptions};
mod dialect;
mod loops;
mod outside;
mod resolve;
mod spawn;
mod sweep;
#[cfg(test)]
mod tests;

use crate::facts::{
    Bound, CloseLoop, CloseRangeCall, Container, Facts, Fallback, FdAction, FdOption, FdRange,
    LimitSource, PythonDialect, ScriptRef, Span, SpawnApi, SpawnCall,
};
use dialect::*;
use loops::*;
pub use outside::{NOT_HELPERS, WRAPPER_WORDS, index_module, module_index};
use resolve::*;
pub(crate) use spawn::interpreter_and_script;
use spawn::*;

/// Every query file (the meta-test compiles each). The first three make the facts query, run
/// over the regions of a file that hold their tokens (`regions`); `dialect.scm` is run on its
/// own, only when a fact needs the dialect and the text can hold Python 2 syntax.
pub const QUERY_FILES: &[(&str, &str)] = &[
    (
        "close_loops.scm",
        include_str!("../../../queries/python/close_loops.scm"),
    ),
    (
        "fd_ranges.scm",
        include_str!("../../../queries/python/fd_ranges.scm"),
    ),
    (
        "spawn_calls.scm",
        include_str!("../../../queries/python/spawn_calls.scm"),
    ),
    (
        "dialect.scm",
        include_str!("../../../queries/python/dialect.scm"),
    ),
];

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

fn language() -> tree_sitter::Language {
    tree_sitter_python::LANGUAGE.into()
}

/// The facts and dialect queries and the indices of the captures the extractor reads.
struct Compiled {
    query: Query,
    /// Compiled on first use: only files whose dialect matters and may be Python 2 need it.
    dialect: OnceLock<Dialect>,
    loop_var: u32,
    loop_range: u32,
    loop_bound: u32,
    loop_map_fn: u32,
    loop_for: u32,
    loop_comprehension: u32,
    loop_map: u32,
    loop_while: u32,
    range_args: u32,
    range_container: u32,
    range_py2: u32,
    spawn_call: u32,
    spawn_module: u32,
    spawn_func: u32,
    spawn_args: u32,
}

/// `dialect.scm` and the captures `python2_syntax` reads.
struct Dialect {
    query: Query,
    py2: Vec<(u32, &'static str)>,
}

impl Compiled {
    fn dialect(&self) -> &Dialect {
        self.dialect.get_or_init(|| {
            let query = ts::compile(&language(), &QUERY_FILES[3..]);
            let py2 = |name: &str| {
                query
                    .capture_index_for_name(name)
                    .unwrap_or_else(|| panic!("capture @{name} missing from queries/python"))
            };
            Dialect {
                py2: vec![
                    (py2("py2.print"), "print statement"),
                    (py2("py2.exec"), "exec statement"),
                    (py2("py2.except"), "`except X, e` clause"),
                    (py2("py2.raise"), "`raise E, msg` statement"),
                    (py2("py2.diamond"), "`<>` operator"),
                ],
                query,
            }
        })
    }
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let query = ts::compile(&language(), &QUERY_FILES[..3]);
        let idx = |name: &str| {
            query
                .capture_index_for_name(name)
                .unwrap_or_else(|| panic!("capture @{name} missing from queries/python"))
        };
        Compiled {
            loop_var: idx("loop.var"),
            loop_range: idx("loop.range"),
            loop_bound: idx("loop.bound"),
            loop_map_fn: idx("loop.map_fn"),
            loop_for: idx("loop.for"),
            loop_comprehension: idx("loop.comprehension"),
            loop_map: idx("loop.map"),
            loop_while: idx("loop.while"),
            range_args: idx("range.args"),
            range_container: idx("range.container"),
            range_py2: idx("range.py2"),
            spawn_call: idx("spawn.call"),
            spawn_module: idx("spawn.module"),
            spawn_func: idx("spawn.func"),
            spawn_args: idx("spawn.args"),
            query,
            dialect: OnceLock::new(),
        }
    })
}

pub fn extract(src: &str, opts: &FrontendOptions) -> Result<Facts, FrontendError> {
    // tree-sitter-python takes a lone CR for no line break at all (a file of old Mac line
    // endings is one long line of syntax errors); as LF it parses, and both are one byte, so
    // every span stays an offset into `src`. Python reads source with universal newlines, so a
    // lone CR ends a line for it too.
    let lf_text = lone_cr_as_lf(src);
    let src = lf_text.as_deref().unwrap_or(src);
    let tree = ts::parse(&PARSER, &language(), src, opts)?;
    let budget = Budget::new(opts);
    let root = tree.root_node();
    let c = compiled();
    let mut facts = Facts {
        syntax_errors: ts::syntax_errors(&tree, 16),
        ..Facts::default()
    };
    if let Some((dialect, reason, sp)) = shebang_dialect(src) {
        facts.runtime.dialect = dialect;
        facts.runtime.reason = Some((reason.to_string(), sp));
    }

    let mut resolver = Resolver::new(src, root, &budget);
    resolver.index = opts.index.as_deref();
    let mut spawn_candidates = Vec::new();
    // Matches that need their comprehension (the clause's parent) or the call around them: the
    // ancestors are found for all of them in one sweep (`ts::ancestors`) after the query.
    let mut comprehensions = Vec::new();
    let mut py2_ranges = Vec::new();
    ts::for_each_match(&c.query, root, src, regions(src.as_bytes()), &budget, |m| {
        let get = |i: u32| {
            m.captures()
                .iter()
                .find(|cap| cap.index == i)
                .map(|cap| cap.node)
        };
        if let Some(node) = get(c.loop_for) {
            let var = get(c.loop_var).map(|n| text(n, src));
            let range = get(c.loop_range);
            if let (Some(var), Some(range), Some(body)) =
                (var, range, node.child_by_field_name("body"))
            {
                let header = Span::new(node.start_byte(), range.end_byte());
                if let Some((action, action_span)) = resolver.loop_action(body, var) {
                    resolver.close_loop(&mut facts, header, range, action, action_span);
                }
            }
        } else if let Some(node) = get(c.loop_comprehension) {
            // The clause is `for fd in range(..)`; the call on `fd` is in the comprehension.
            if let (Some(var), Some(range)) = (get(c.loop_var), get(c.loop_range)) {
                comprehensions.push((node, var, range));
            }
        } else if let Some(node) = get(c.loop_map) {
            let (Some(func), Some(range)) = (get(c.loop_map_fn), get(c.loop_range)) else {
                return;
            };
            if let Some(action) = action_for_name(last_segment(func, src), "") {
                resolver.close_loop(&mut facts, span(node), range, action, span(func));
            }
        } else if let Some(node) = get(c.loop_while) {
            let (Some(var), Some(bound)) = (get(c.loop_var), get(c.loop_bound)) else {
                return;
            };
            resolver.while_loop(&mut facts, node, var, bound);
        } else if let Some(node) = get(c.range_container) {
            let Some(args) = get(c.range_args) else {
                return;
            };
            let ctor = node
                .child_by_field_name("function")
                .map(|f| text(f, src))
                .unwrap_or("");
            let container = match ctor {
                "set" | "frozenset" => Container::PythonSet,
                _ => Container::PythonList,
            };
            resolver.fd_range(&mut facts, span(node), args, container);
        } else if let Some(node) = get(c.range_py2) {
            if let Some(args) = get(c.range_args) {
                py2_ranges.push((node, args));
            }
        } else if let Some(node) = get(c.spawn_call)
            && let (Some(func), Some(args)) = (get(c.spawn_func), get(c.spawn_args))
        {
            spawn_candidates.push((node, get(c.spawn_module), func, args));
        }
    });
    let clauses: Vec<Node> = comprehensions.iter().map(|(n, ..)| *n).collect();
    let comps = ts::ancestors(root, &clauses, 1);
    for ((_, var, range), comp) in comprehensions.iter().zip(comps) {
        let Some(&comp) = comp.first() else {
            continue;
        };
        let var = text(*var, src);
        if let Some((action, action_span)) = resolver.loop_action(comp, var) {
            resolver.close_loop(&mut facts, span(comp), *range, action, action_span);
        }
    }
    let calls: Vec<Node> = py2_ranges.iter().map(|(n, _)| *n).collect();
    let outer = ts::ancestors(root, &calls, 2);
    for ((node, args), ancestors) in py2_ranges.iter().zip(outer) {
        // `list(range(..))` is reported as the list; the inner range is the same container.
        if !is_container_arg(&ancestors, src) {
            resolver.fd_range(&mut facts, span(*node), *args, Container::Python2Range);
        }
    }
    // `for fd in get_open_fds():` over a helper's range: found from the `for` keywords, only
    // in files that have a `for` over a call and a close in them (the prefilter's shape).
    resolver.helper_loops(&mut facts);
    // Regions come in document order, but a match found through a later region can start
    // before one found through an earlier region: restore document order.
    facts.close_loops.sort_by_key(|l| l.span.start);
    facts.fd_ranges.sort_by_key(|r| r.span.start);
    spawn_candidates.sort_by_key(|(call, ..)| call.start_byte());
    let needs_dialect = !facts.close_loops.is_empty()
        || !facts.fd_ranges.is_empty()
        || !spawn_candidates.is_empty();
    // Python 2 syntax matters only to facts, and can only be where the byte-level hint (a
    // tested superset of this evidence) sees it.
    if needs_dialect
        && facts.runtime.dialect == PythonDialect::Unknown
        && crate::prefilter::python2_hint(src.as_bytes())
    {
        if let Some((reason, sp)) = python2_syntax(c, root, src, &budget) {
            facts.runtime.dialect = PythonDialect::Python2;
            facts.runtime.reason = Some((reason.to_string(), sp));
        } else if let Some((reason, sp)) = python2_literal(root, src) {
            facts.runtime.dialect = PythonDialect::Python2;
            facts.runtime.reason = Some((reason.to_string(), sp));
        }
    }
    if !spawn_candidates.is_empty() {
        let imports = Imports::of(root, src);
        for (call, module, func, args) in spawn_candidates {
            resolver.spawn_call(&mut facts, &imports, call, module, func, args);
        }
    }
    facts.exhausted = budget.exhausted();
    Ok(facts)
}

/// `src` with every CR that no LF follows made an LF, when it has any (see `extract`).
fn lone_cr_as_lf(src: &str) -> Option<String> {
    let b = src.as_bytes();
    let lone = |i: usize| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n');
    memchr::memchr_iter(b'\r', b).find(|&i| lone(i))?;
    let out: Vec<u8> = (0..b.len())
        .map(|i| if lone(i) { b'\n' } else { b[i] })
        .collect();
    // Replacing an ASCII byte with another keeps the text UTF-8.
    String::from_utf8(out).ok()
}

/// The byte ranges the facts query runs over: around every whole-word occurrence of a name
/// that the root of one of its matches must hold (`range`/`xrange` for range loops and
/// containers, `while`, and the spawn functions' names), nearby ones merged. tree-sitter then
/// visits only the nodes on the way to them (a query over the whole tree costs ~2.5x a plain
/// walk of it, whatever its patterns), yet finds every match whose root intersects a range.
fn regions(b: &[u8]) -> Vec<std::ops::Range<usize>> {
    static TOKENS: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    ts::merged_regions(b, &TOKENS, REGION_TOKENS)
}

/// Names whose occurrence a facts-query match needs in its root node (see `regions`): the
/// `#any-of?` names of `queries/python/{close_loops,fd_ranges,spawn_calls}.scm`, and the
/// `while` keyword. The meta-test checks this list against the queries.
pub const REGION_TOKENS: &[&str] = &[
    "range",
    "xrange",
    "while",
    "Popen",
    "call",
    "check_call",
    "check_output",
    "run",
    "popen",
    "popen2",
    "popen3",
    "popen4",
    "Popen3",
    "Popen4",
    "getoutput",
    "getstatusoutput",
    "closerange",
];
