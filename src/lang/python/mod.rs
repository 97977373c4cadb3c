//! Python frontend: tree-sitter-python plus a small, bounded data-flow resolver.
//!
//! The facts query's patterns (`queries/python/{close_loops,fd_ranges,spawn_calls}.scm`) are
//! found by a direct walk from the words they name (`matches.rs`): candidate loops, containers
//! and calls. `dialect.scm` finds Python 2 syntax when a fact needs the dialect. For each
//! candidate the resolver follows the loop's upper bound through
//! assignments (function scope, then module scope), tuple unpacking, indexing, `min`/`max`,
//! `int()`, arithmetic, conditional expressions, `or` fallbacks, parameter defaults and helper
//! functions in the same file, and reports where the value comes from. A bound it cannot follow
//! is unknown, and an unknown bound is never a finding.
//!
//! By concern: this file turns matches into facts (`extract`); `matches.rs` finds the
//! matches, `loops.rs` loops and ranges, `resolve.rs` bindings and value resolution, `spawn.rs`
//! spawn calls, `dialect.rs` Python 2 evidence, `tests.rs` the unit tests.

use std::cell::RefCell;
use std::collections::HashMap;

use tree_sitter::{Node, Parser};

use super::ts::{self, span, text};
use super::{Budget, FrontendError, FrontendOptions};
mod dialect;
mod loops;
mod matches;
mod options;
mod outside;
mod platform;
mod resolve;
mod spawn;
mod sweep;
#[cfg(test)]
mod tests;

use crate::facts::{
    Bound, CloseLoop, CloseRangeCall, Container, Facts, Fallback, FdAction, FdOption, FdRange,
    LimitSource, Python3Only, PythonDialect, ScriptRef, Span, SpawnApi, SpawnCall, Stage,
};
use dialect::*;
use loops::*;
use matches::Match;
pub use outside::{NOT_HELPERS, WRAPPER_WORDS, index_module, module_index};
use resolve::*;
pub(crate) use spawn::interpreter_and_script;
use spawn::*;

/// Every query file (the meta-test compiles each). The first three are the facts query, the
/// specification of what `matches::find` finds by a walk (a test compares them on every
/// fixture), never compiled by a run; so is `dialect.scm`, whose Python 2 syntax
/// `dialect::python2_syntax` walks for only when a fact needs the dialect and the text can hold
/// it.
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
    for m in matches::find(root, src) {
        // A step per match, as when the query found them.
        if !budget.step(Stage::Query) {
            break;
        }
        match m {
            Match::For { node, var, range } => {
                if let Some(body) = node.child_by_field_name("body") {
                    let header = Span::new(node.start_byte(), range.end_byte());
                    if let Some((action, action_span)) = resolver.loop_action(body, text(var, src))
                    {
                        resolver.close_loop(&mut facts, header, range, action, action_span);
                    }
                }
            }
            Match::Comprehension {
                comp, var, range, ..
            } => {
                // The clause is `for fd in range(..)`; the call on `fd` is in the comprehension.
                if let Some(comp) = comp
                    && let Some((action, action_span)) = resolver.loop_action(comp, text(var, src))
                {
                    resolver.close_loop(&mut facts, span(comp), range, action, action_span);
                }
            }
            Match::Map { node, func, range } => {
                if let Some(action) =
                    action_for_name(action_name(func, src, Some(&resolver.imports().names)), "")
                {
                    resolver.close_loop(&mut facts, span(node), range, action, span(func));
                }
            }
            Match::While { node, var, bound } => resolver.while_loop(&mut facts, node, var, bound),
            Match::Container { node, args, .. } => {
                let container = match node.child_by_field_name("function").map(|f| text(f, src)) {
                    Some("set" | "frozenset") => Container::PythonSet,
                    _ => Container::PythonList,
                };
                resolver.fd_range(&mut facts, span(node), args, container);
            }
            Match::Range {
                node,
                args,
                parent,
                grandparent,
            } => {
                // `list(range(..))` is reported as the list; the inner range is the same
                // container.
                if !is_container_arg(parent, grandparent, src)
                    && resolver.fd_range(&mut facts, span(node), args, Container::Python2Range)
                {
                    resolver.iterated_range(&mut facts, node, parent);
                }
            }
            Match::Spawn {
                call,
                module,
                func,
                args,
            } => spawn_candidates.push((call, module, func, args)),
        }
    }
    // `for fd in get_open_fds():` over a helper's range: found from the `for` keywords, only
    // in files that have a `for` over a call and a close in them (the prefilter's shape).
    resolver.helper_loops(&mut facts);
    // Matches come in document order of their words, which is not always that of the loops:
    // restore document order.
    facts.close_loops.sort_by_key(|l| l.span.start);
    facts.fd_ranges.sort_by_key(|r| r.span.start);
    facts.sweep_loops.sort_by_key(|s| s.header.start);
    facts.iterated_ranges.sort_by_key(|r| r.range.start);
    // `from subprocess import Popen as P`: calls of the local name, which the walk (by the
    // API's own names) does not see; `spawn_call` resolves them through the import.
    let imports =
        (!spawn_candidates.is_empty() || may_alias_an_import(src)).then(|| Imports::of(root, src));
    if let Some(imports) = &imports {
        aliased_spawn_calls(root, src, imports, &mut spawn_candidates);
    }
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
        if let Some((reason, sp)) = python2_syntax(root, src) {
            facts.runtime.dialect = PythonDialect::Python2;
            facts.runtime.reason = Some((reason.to_string(), sp));
        } else if let Some((reason, sp)) = python2_literal(root, src) {
            facts.runtime.dialect = PythonDialect::Python2;
            facts.runtime.reason = Some((reason.to_string(), sp));
        }
    }
    if let Some(imports) = &imports {
        for (call, module, func, args) in spawn_candidates {
            resolver.spawn_call(&mut facts, imports, call, module, func, args);
        }
    }
    // Code that runs only on Windows is not judged by POSIX fd rules (`platform.rs`).
    platform::drop_windows_only(&mut resolver, &mut facts);
    facts.exhausted = budget.exhausted();
    Ok(facts)
}

/// Whether `src` may bind a name with `from .. import NAME as ALIAS`: the word `import` and
/// the word `as` (also at a line's end inside parentheses; looser is only slower).
fn may_alias_an_import(src: &str) -> bool {
    let b = src.as_bytes();
    let is_ident = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_' || *c >= 0x80;
    memchr::memmem::find(b, b"import").is_some()
        && memchr::memmem::find_iter(b, b"as").any(|at| {
            crate::prefilter::starts_word(b, at) && b.get(at + 2).is_none_or(|c| !is_ident(c))
        })
}

/// Calls at most this many per aliased name are looked at.
const MAX_ALIAS_CALLS: usize = 256;

/// The bare calls of every local name that a `from` import binds, under another name, to one
/// of the walk's spawn names (`from subprocess import Popen as P` .. `P(..)`, `from os import
/// closerange as cr`): spawn candidates like the walk's `Popen(..)`. An alias that is itself
/// one of those names is found by the walk already.
fn aliased_spawn_calls<'t>(
    root: Node<'t>,
    src: &str,
    imports: &Imports,
    out: &mut Vec<(Node<'t>, Option<Node<'t>>, Node<'t>, Node<'t>)>,
) {
    let mut aliases: Vec<&str> = imports
        .names
        .iter()
        .filter(|(local, (_, orig))| {
            local.as_str() != orig.as_str()
                && matches::SPAWN_FUNCS.contains(&orig.as_str())
                && !matches::SPAWN_FUNCS.contains(&local.as_str())
        })
        .map(|(local, _)| local.as_str())
        .collect();
    aliases.sort_unstable();
    for alias in aliases {
        for leaf in spawn::identifiers_named(root, src, alias, MAX_ALIAS_CALLS) {
            let Some(call) = leaf
                .parent()
                .filter(|c| c.kind() == "call" && c.child_by_field_name("function") == Some(leaf))
            else {
                continue;
            };
            if let Some(args) = call
                .child_by_field_name("arguments")
                .filter(|a| a.kind() == "argument_list")
            {
                out.push((call, None, leaf, args));
            }
        }
    }
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
