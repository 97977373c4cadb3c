//! Sweep loops a fix can rewrite (`SweepLoop`) and `range()`s only iterated (`IteratedRange`).
//!
//! A `for fd in range(lo, hi)` or `while fd < hi` loop becomes a `SweepLoop` only when the
//! rewrite to `os.closerange(lo, hi)` cannot change what the program does: the body is one
//! `try` whose only statement is `os.close(fd)` and whose one handler catches what `os.close`
//! raises (`OSError`, `EnvironmentError`, `os.error`, `Exception`, `BaseException`, a tuple
//! of names holding one of them, or a bare `except:`) and does nothing (`pass`/`continue`); the
//! range has no step; there is no `else:`, no comment to lose; the loop variable (and a
//! handler's `as e`) is not read after the loop, by a nested function or through
//! `global`/`nonlocal`; `range` is the builtin.
//!
//! `map(os.close, range(lo, hi))` in a `try` is not one: in Python 2 it stops at the first
//! fd that is not open (the exception leaves the `map`), and in Python 3 `map` is lazy and the
//! statement closes nothing, so `os.closerange` would close fds the original never closes.

use super::*;
use std::rc::Rc;

use crate::facts::{CloserangeName, IteratedRange, Stage, SweepLoop};
use crate::lang::Budget;

/// Exception names that catch what `os.close` raises on every Python.
const CATCHES_OSERROR: &[&str] = &["OSError", "EnvironmentError", "Exception", "BaseException"];

fn named_children<'t>(n: Node<'t>) -> Vec<Node<'t>> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|x| x.kind() != "comment")
        .collect()
}

/// Whether `name` may not be the builtin: an identifier `name` anywhere in the file that is
/// not the callee of a call (`xrange = range`, `from compat import range`, `def range(...)`).
/// Words in comments and strings do not count.
pub(super) fn maybe_shadowed(root: Node, src: &str, name: &str) -> bool {
    let b = src.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    memchr::memmem::find_iter(b, name.as_bytes()).any(|at| {
        let end = at + name.len();
        if (at > 0 && is_ident(b[at - 1])) || b.get(end).is_some_and(|c| is_ident(*c)) {
            return false;
        }
        // A call (`range(`) that no `def`/`class` names is no binding: decided on the bytes,
        // without the tree lookup below, which costs the node's depth (a file of 8,000
        // nested `range(` calls made this quadratic).
        let next = b[end..].iter().find(|c| !matches!(c, b' ' | b'\t'));
        let before = src[..at].trim_end();
        if next == Some(&b'(') && !before.ends_with("def") && !before.ends_with("class") {
            return false;
        }
        let Some(leaf) = root.descendant_for_byte_range(at, end) else {
            return true;
        };
        if leaf.kind() != "identifier" {
            // A comment, a string, a keyword argument's name: not a binding of the builtin.
            return matches!(leaf.kind(), "ERROR");
        }
        !leaf
            .parent()
            .is_some_and(|p| p.kind() == "call" && p.child_by_field_name("function") == Some(leaf))
    })
}

/// The scope a loop's variable lives in: the enclosing function's body, or the module. `None`
/// for a loop in a class body (the variable would be a class attribute).
fn scope_of(node: Node) -> Option<Node> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        match n.kind() {
            "function_definition" => return n.child_by_field_name("body"),
            "class_definition" => return None,
            "module" => return Some(n),
            _ => {}
        }
        cur = n.parent();
    }
    None
}

/// Where a name occurs in one scope: the start of every identifier spelled so, and of those
/// inside a nested function, lambda or class of the scope or a `global`/`nonlocal`
/// statement, each in document order. Found with one walk of the scope per name
/// (`Resolver::used_outside` keeps them), where each loop used to walk its whole scope and
/// climb `Node::parent` from every occurrence (2,000 sweep loops in one module ran out of
/// budget).
#[derive(Debug, Default)]
pub(super) struct Occurrences {
    all: Vec<usize>,
    nested: Vec<usize>,
}

impl Occurrences {
    fn of(scope: Node, name: &str, src: &str, budget: &Budget) -> Occurrences {
        let mut out = Occurrences::default();
        // The ends of the nested constructs the walk is inside (pre-order: innermost last).
        let mut open: Vec<usize> = Vec::new();
        ts::walk(scope, |n| {
            if !budget.step(Stage::Walk) {
                return false;
            }
            let start = n.start_byte();
            while open.last().is_some_and(|&end| end <= start) {
                open.pop();
            }
            match n.kind() {
                "function_definition"
                | "lambda"
                | "class_definition"
                | "global_statement"
                | "nonlocal_statement" => open.push(n.end_byte()),
                "identifier" if text(n, src) == name => {
                    out.all.push(start);
                    if !open.is_empty() {
                        out.nested.push(start);
                    }
                }
                _ => {}
            }
            true
        });
        out
    }

    /// Whether one occurrence outside `stmt` comes after it or is nested.
    fn outside(&self, stmt: Node) -> bool {
        let (lo, hi) = (stmt.start_byte(), stmt.end_byte());
        let within = |v: &[usize]| v.partition_point(|&s| s < hi) - v.partition_point(|&s| s < lo);
        self.all.last().is_some_and(|&s| s >= hi) || within(&self.nested) < self.nested.len()
    }
}

impl<'t> Resolver<'t> {
    /// Whether `name` is read or bound anywhere in `scope` after `stmt`, inside a nested
    /// function, lambda or class of the scope, or named by `global`/`nonlocal`. What comes
    /// before the loop in the scope itself (`fd = 3` before `while fd < n`) is fine. A spent
    /// budget answers yes: no sweep is offered on what was not looked at.
    fn used_outside(&self, scope: Node<'t>, stmt: Node<'t>, name: &str) -> bool {
        let key = (scope.id(), name.to_string());
        let occ =
            {
                let mut map = self.occurrences.borrow_mut();
                Rc::clone(map.entry(key).or_insert_with(|| {
                    Rc::new(Occurrences::of(scope, name, self.src, self.budget))
                }))
            };
        self.budget.is_spent() || occ.outside(stmt)
    }
}

/// The direct child of the module that holds `node`, and where its line starts.
fn top_level(node: Node) -> Option<usize> {
    let mut cur = node;
    while let Some(p) = cur.parent() {
        if p.kind() == "module" {
            return Some(cur.start_byte());
        }
        cur = p;
    }
    None
}

/// The one statement of a block, when it has exactly one.
fn only_statement(block: Node) -> Option<Node> {
    match named_children(block).as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// `os.close(fd)` (any alias of `os` or `posix`) or `close(fd)` imported from `os`: how
/// `os.closerange` is spelled here.
fn close_call(
    stmt: Node,
    var: &str,
    src: &str,
    imports: &Imports,
    root: Node,
) -> Option<CloserangeName> {
    if stmt.kind() != "expression_statement" {
        return None;
    }
    let call = only_statement(stmt)?;
    if call.kind() != "call" {
        return None;
    }
    let args = named_children(call.child_by_field_name("arguments")?);
    if !matches!(args.as_slice(), [a] if a.kind() == "identifier" && text(*a, src) == var) {
        return None;
    }
    let func = call.child_by_field_name("function")?;
    match func.kind() {
        "attribute" => {
            let obj = func.child_by_field_name("object")?;
            let attr = func.child_by_field_name("attribute")?;
            let alias = text(obj, src);
            let module = imports.modules.get(alias)?;
            (obj.kind() == "identifier"
                && text(attr, src) == "close"
                && matches!(module.as_str(), "os" | "posix"))
            .then(|| CloserangeName::Module {
                alias: alias.to_string(),
            })
        }
        "identifier" => {
            let (module, orig) = imports.names.get(text(func, src))?;
            if !(matches!(module.as_str(), "os" | "posix") && orig == "close") {
                return None;
            }
            // Prefer a name the file already has for `os.closerange`, then the module.
            let mut names: Vec<&String> = imports
                .names
                .iter()
                .filter(|(_, (m, o))| matches!(m.as_str(), "os" | "posix") && o == "closerange")
                .map(|(local, _)| local)
                .collect();
            names.sort();
            if let Some(name) = names.first() {
                return Some(CloserangeName::Name {
                    name: name.to_string(),
                });
            }
            let mut aliases: Vec<&String> = imports
                .modules
                .iter()
                .filter(|(_, m)| matches!(m.as_str(), "os" | "posix"))
                .map(|(a, _)| a)
                .collect();
            aliases.sort();
            if let Some(alias) = aliases.first() {
                return Some(CloserangeName::Module {
                    alias: alias.to_string(),
                });
            }
            // Add `from os import closerange` after the module-level import of `close`.
            let import = ts::keyword_parents(root, src, "import", &["import_from_statement"])
                .into_iter()
                .find(|n| {
                    n.parent().is_some_and(|p| p.kind() == "module")
                        && n.child_by_field_name("module_name")
                            .is_some_and(|m| matches!(text(m, src), "os" | "posix"))
                })?;
            let line_start = src[..import.start_byte()].rfind('\n').map_or(0, |i| i + 1);
            Some(CloserangeName::Import {
                after: import.end_byte(),
                indent: src[line_start..import.start_byte()].to_string(),
            })
        }
        _ => None,
    }
}

/// Whether an `except` type catches what `os.close` raises.
fn catches_oserror(t: Node, src: &str, imports: &Imports) -> bool {
    match t.kind() {
        "identifier" => CATCHES_OSERROR.contains(&text(t, src)),
        "attribute" => {
            t.child_by_field_name("object").is_some_and(|o| {
                imports
                    .modules
                    .get(text(o, src))
                    .is_some_and(|m| m == "os" || m == "posix")
            }) && t
                .child_by_field_name("attribute")
                .is_some_and(|a| text(a, src) == "error")
        }
        "tuple" | "parenthesized_expression" => {
            let parts = named_children(t);
            parts
                .iter()
                .all(|p| matches!(p.kind(), "identifier" | "attribute"))
                && parts.iter().any(|p| catches_oserror(*p, src, imports))
        }
        _ => false,
    }
}

/// `try: os.close(fd) / except OSError: pass`: the spelling of `os.closerange`, and the
/// handler's `as` name, if any.
fn try_close_pass(
    stmt: Node,
    var: &str,
    src: &str,
    imports: &Imports,
    root: Node,
) -> Option<(CloserangeName, Option<String>)> {
    if stmt.kind() != "try_statement" {
        return None;
    }
    let spelled = close_call(
        only_statement(stmt.child_by_field_name("body")?)?,
        var,
        src,
        imports,
        root,
    )?;
    let clauses: Vec<Node> = named_children(stmt)
        .into_iter()
        .filter(|c| c.kind() != "block")
        .collect();
    let [handler] = clauses.as_slice() else {
        return None;
    };
    if handler.kind() != "except_clause" {
        return None;
    }
    let mut c = handler.walk();
    let values: Vec<Node> = handler.children_by_field_name("value", &mut c).collect();
    // `except OSError as e` is `(as_pattern OSError alias: (as_pattern_target e))`.
    let (caught, alias) = match values.as_slice() {
        [] => (None, None),
        [v] if v.kind() == "as_pattern" => {
            let target = v.child_by_field_name("alias")?;
            let name = named_children(target).into_iter().next()?;
            if name.kind() != "identifier" {
                return None;
            }
            (v.named_child(0), Some(text(name, src).to_string()))
        }
        [t] => (Some(*t), None),
        _ => return None,
    };
    if caught.is_some_and(|t| !catches_oserror(t, src, imports))
        || handler.child_by_field_name("alias").is_some()
    {
        return None;
    }
    let body = named_children(*handler)
        .into_iter()
        .find(|n| n.kind() == "block")?;
    let does_nothing = only_statement(body)
        .is_some_and(|s| matches!(s.kind(), "pass_statement" | "continue_statement"));
    does_nothing.then_some((spelled, alias))
}

impl<'t> Resolver<'t> {
    /// A `for` loop FD001 just recorded as `header`, when it is a plain sweep.
    pub(super) fn sweep_for(&self, facts: &mut Facts, header: Span, range_args: Node<'t>) {
        let src = self.src;
        let Some(call) = range_args.parent() else {
            return;
        };
        let Some(stmt) = call.parent() else {
            return;
        };
        if stmt.kind() != "for_statement"
            || stmt.child_by_field_name("right") != Some(call)
            || stmt.child_by_field_name("alternative").is_some()
            || text(stmt, src).starts_with("async")
            || call
                .child_by_field_name("function")
                .is_none_or(|f| self.maybe_shadowed(text(f, src)))
        {
            return;
        }
        let (lower, upper) = match named_children(range_args).as_slice() {
            [hi] => (None, *hi),
            [lo, hi] => (Some(span(*lo)), *hi),
            _ => return,
        };
        if named_children(range_args).iter().any(|a| {
            matches!(
                a.kind(),
                "list_splat" | "keyword_argument" | "dictionary_splat"
            )
        }) {
            return;
        }
        let Some(var) = stmt.child_by_field_name("left") else {
            return;
        };
        let Some(body) = stmt.child_by_field_name("body") else {
            return;
        };
        let var = text(var, src);
        self.push_sweep(facts, header, stmt, body, var, lower, span(upper), false);
    }

    /// `while fd < hi:` (or `<=`) whose body is the `try` and then `fd += 1`: the sweep starts
    /// at `fd`'s value before the loop, so the fix passes `fd` itself as the start.
    pub(super) fn sweep_while(
        &self,
        facts: &mut Facts,
        header: Span,
        stmt: Node<'t>,
        var: Node<'t>,
        bound: Node<'t>,
        inclusive: bool,
    ) {
        let src = self.src;
        let name = text(var, src);
        if stmt.child_by_field_name("alternative").is_some()
            || !matches!(bound.kind(), "identifier" | "attribute" | "integer")
        {
            return;
        }
        let Some(body) = stmt.child_by_field_name("body") else {
            return;
        };
        let [first, step] = named_children(body)[..] else {
            return;
        };
        let steps = match step.kind() {
            "expression_statement" => only_statement(step).is_some_and(|s| {
                let left_is_var = s
                    .child_by_field_name("left")
                    .is_some_and(|l| l.kind() == "identifier" && text(l, src) == name);
                let right = s.child_by_field_name("right");
                left_is_var
                    && match s.kind() {
                        "augmented_assignment" => {
                            s.child_by_field_name("operator")
                                .is_some_and(|o| text(o, src) == "+=")
                                && right.is_some_and(|r| text(r, src) == "1")
                        }
                        "assignment" => right.is_some_and(|r| {
                            let t: String = text(r, src).split_whitespace().collect();
                            t == format!("{name}+1")
                        }),
                        _ => false,
                    }
            }),
            _ => false,
        };
        if !steps {
            return;
        }
        // The sweep starts from the variable's value before the loop.
        self.push_sweep_body(
            facts,
            header,
            stmt,
            first,
            name,
            Some(span(var)),
            span(bound),
            inclusive,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn push_sweep(
        &self,
        facts: &mut Facts,
        header: Span,
        stmt: Node<'t>,
        body: Node<'t>,
        var: &str,
        lower: Option<Span>,
        upper: Span,
        inclusive: bool,
    ) {
        let Some(only) = only_statement(body) else {
            return;
        };
        self.push_sweep_body(facts, header, stmt, only, var, lower, upper, inclusive);
    }

    #[allow(clippy::too_many_arguments)]
    fn push_sweep_body(
        &self,
        facts: &mut Facts,
        header: Span,
        stmt: Node<'t>,
        try_stmt: Node<'t>,
        var: &str,
        lower: Option<Span>,
        upper: Span,
        inclusive: bool,
    ) {
        let src = self.src;
        // A comment in the loop would be lost with it, except one ending the header's line,
        // which the fix keeps. A `#` in the header itself (a comment between the range's
        // arguments, or in a string there) also means no fix: the arguments are copied.
        if src[header.start..header.end].contains('#') {
            return;
        }
        let line_end = src[header.end..]
            .find('\n')
            .map_or(src.len(), |i| header.end + i);
        let comment = src[header.end..line_end]
            .find('#')
            .map(|i| Span::new(header.end + i, line_end));
        if line_end < stmt.end_byte() && src[line_end..stmt.end_byte()].contains('#') {
            return;
        }
        let imports = Imports::of(self.root, src);
        let Some((closerange, alias)) = try_close_pass(try_stmt, var, src, &imports, self.root)
        else {
            return;
        };
        let Some(scope) = scope_of(stmt) else {
            return;
        };
        if self.used_outside(scope, stmt, var)
            || alias.is_some_and(|a| a == var || self.used_outside(scope, stmt, &a))
        {
            return;
        }
        let Some(top_level) = top_level(stmt) else {
            return;
        };
        facts.sweep_loops.push(SweepLoop {
            header,
            statement: span(stmt),
            lower,
            upper,
            inclusive,
            closerange: Some(closerange),
            top_level,
            comment,
        });
    }

    /// A Python 2 `range(...)` FD002 may report, iterated directly by a `for` statement or a
    /// comprehension's `for` clause (`parent`, the call's): `xrange` yields the same numbers
    /// without the list.
    pub(super) fn iterated_range(
        &self,
        facts: &mut Facts,
        range_call: Node<'t>,
        parent: Option<Node<'t>>,
    ) {
        let src = self.src;
        let (Some(parent), Some(func)) = (parent, range_call.child_by_field_name("function"))
        else {
            return;
        };
        if matches!(parent.kind(), "for_statement" | "for_in_clause")
            && parent.child_by_field_name("right") == Some(range_call)
            && func.kind() == "identifier"
            && text(func, src) == "range"
            && !self.maybe_shadowed("range")
            && !self.maybe_shadowed("xrange")
        {
            facts.iterated_ranges.push(IteratedRange {
                range: span(range_call),
                name: span(func),
            });
        }
    }
}
