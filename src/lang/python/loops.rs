//! Loops and ranges: what a loop does to its variable (close, flag, probe; through a helper
//! of the same file), `range`/`xrange` bounds, `while fd < n` loops, containers of every fd, and
//! loops that exit early (a search, not a sweep).

use super::*;

/// Whether a `range(..)` call is an argument of `list(..)`, `set(..)`, ...: `args` and `call`
/// are its parent and grandparent.
pub(super) fn is_container_arg(args: Option<Node>, call: Option<Node>, src: &str) -> bool {
    let (Some(args), Some(call)) = (args, call) else {
        return false;
    };
    call.kind() == "call"
        && args.kind() == "argument_list"
        && call.child_by_field_name("function").is_some_and(|f| {
            matches!(
                text(f, src),
                "list" | "set" | "frozenset" | "tuple" | "sorted"
            )
        })
}

/// The last name of a dotted callee: `close` for `os.close`, `fcntl` for `fcntl.fcntl`.
pub(super) fn last_segment<'a>(node: Node, src: &'a str) -> &'a str {
    match node.kind() {
        "attribute" => node
            .child_by_field_name("attribute")
            .map(|a| text(a, src))
            .unwrap_or(""),
        "identifier" => text(node, src),
        _ => "",
    }
}

/// What calling `name` on an fd does, given the call's other arguments.
pub(super) fn action_for_name(name: &str, args: &str) -> Option<FdAction> {
    match name {
        "close" => Some(FdAction::Close),
        "fstat" => Some(FdAction::Probe),
        "set_inheritable" => Some(FdAction::SetCloexec),
        "fcntl" if args.contains("F_SETFD") => Some(FdAction::SetCloexec),
        "fcntl" if args.contains("F_GETFD") => Some(FdAction::Probe),
        _ => None,
    }
}

/// A call that passes the loop variable on: (callee's last name, argument position, call
/// span, the callee's receiver as written: `utils` of `utils.close_fd(fd)`).
pub(super) type PassedFd = (String, usize, Span, Option<String>);

/// The names `action_for_name` knows.
const ACTION_NAMES: &[&str] = &["close", "fstat", "set_inheritable", "fcntl"];

/// The name an fd call is judged by: the callee's last name, or, for a bare name that a
/// `from` import binds to one of `ACTION_NAMES` under another name (`from os import close as
/// os_close`; `aliases`: the file's `Imports::names`), that action's name.
pub(super) fn action_name<'a>(
    func: Node,
    src: &'a str,
    aliases: Option<&HashMap<String, (String, String)>>,
) -> &'a str {
    known_name(func, src, aliases, ACTION_NAMES)
}

/// The callee's last name, or, when it is a bare name that a `from` import binds to one of
/// `known` under another name (`from os import sysconf as _sysconf`), that one: how calls
/// whose meaning is their name are judged through an alias.
pub(super) fn known_name<'a>(
    func: Node,
    src: &'a str,
    aliases: Option<&HashMap<String, (String, String)>>,
    known: &'static [&'static str],
) -> &'a str {
    let name = last_segment(func, src);
    if func.kind() == "identifier"
        && !known.contains(&name)
        && let Some((_, orig)) = aliases.and_then(|a| a.get(name))
        && let Some(k) = known.iter().find(|k| **k == orig.as_str())
    {
        return k;
    }
    name
}

/// The first call inside `scope` that closes, flags or probes the variable `var`, and calls of
/// other functions with `var` as an argument (name, argument position, call span), in order.
/// Nested functions and classes are other scopes and are not searched.
pub(super) fn find_action(
    scope: Node,
    var: &str,
    src: &str,
    aliases: Option<&HashMap<String, (String, String)>>,
) -> (Option<(FdAction, Span)>, Vec<PassedFd>) {
    let mut found = None;
    let mut passed = Vec::new();
    ts::walk(scope, |n| {
        if found.is_some() {
            return false;
        }
        match n.kind() {
            "function_definition" | "class_definition" | "lambda" if n != scope => false,
            "call" => {
                if let (Some(func), Some(args)) = (
                    n.child_by_field_name("function"),
                    n.child_by_field_name("arguments"),
                ) {
                    let mut c = args.walk();
                    let pos = args
                        .named_children(&mut c)
                        .filter(|a| a.kind() != "comment")
                        .position(|a| a.kind() == "identifier" && text(a, src) == var);
                    let name = last_segment(func, src);
                    let judged = action_name(func, src, aliases);
                    match pos {
                        Some(0) if action_for_name(judged, text(args, src)).is_some() => {
                            found = action_for_name(judged, text(args, src)).map(|a| (a, span(n)));
                        }
                        Some(i) if !name.is_empty() => {
                            let receiver = (func.kind() == "attribute")
                                .then(|| func.child_by_field_name("object"))
                                .flatten()
                                .map(|o| text(o, src).to_string());
                            passed.push((name.to_string(), i, span(n), receiver));
                        }
                        _ => {}
                    }
                }
                true
            }
            _ => true,
        }
    });
    (found, passed)
}

impl<'t> Resolver<'t> {
    /// Positional arguments of an `argument_list` as (lower, upper) expressions.
    pub(super) fn range_bounds(&self, args: Node<'t>) -> Option<(Option<Node<'t>>, Node<'t>)> {
        let mut pos = Vec::new();
        let mut cursor = args.walk();
        for a in args.named_children(&mut cursor) {
            match a.kind() {
                "comment" => {}
                "keyword_argument" | "list_splat" | "dictionary_splat" => return None,
                _ => pos.push(a),
            }
        }
        match pos.as_slice() {
            [hi] => Some((None, *hi)),
            [lo, hi] => Some((Some(*lo), *hi)),
            [lo, hi, step] => {
                if self.text(*step).trim_start().starts_with('-') {
                    // range(maxfd - 1, 2, -1) walks down from the bound.
                    Some((Some(*hi), *lo))
                } else {
                    Some((Some(*lo), *hi))
                }
            }
            _ => None,
        }
    }

    pub(super) fn lower_of(&mut self, lo: Option<Node<'t>>) -> Option<u64> {
        match lo {
            None => Some(0),
            Some(n) => match self.eval(n, 0) {
                Val::Int { value, .. } => Some(value),
                _ => None,
            },
        }
    }

    pub(super) fn bound_of(&mut self, hi: Node<'t>) -> Option<Bound> {
        let via = match hi.kind() {
            "identifier" => Some(self.text(hi).to_string()),
            "attribute" => Some(self.text(hi).to_string()).filter(|t| t.len() <= 60),
            "call" => hi
                .child_by_field_name("function")
                .filter(|f| self.function_defs(last_segment(*f, self.src)).is_some())
                .map(|f| format!("{}()", last_segment(f, self.src))),
            _ => None,
        };
        let v = self.eval(hi, 0);
        self.bound_from(v, span(hi), via)
    }

    /// The first fd and the bound of a `range(...)` argument list, when the bound resolves.
    pub(super) fn range_of(&mut self, range_args: Node<'t>) -> Option<(Option<u64>, Bound)> {
        let (lo, hi) = self.range_bounds(range_args)?;
        let bound = self.bound_of(hi)?;
        Some((self.lower_of(lo), bound))
    }

    pub(super) fn close_loop(
        &mut self,
        facts: &mut Facts,
        header: Span,
        range_args: Node<'t>,
        action: FdAction,
        action_span: Span,
    ) {
        if let Some((lower, bound)) = self.range_of(range_args) {
            facts.close_loops.push(CloseLoop {
                span: header,
                action,
                action_span,
                lower,
                bound,
            });
            if action == FdAction::Close {
                self.sweep_for(facts, header, range_args);
            }
        }
    }

    /// An `FdRange` when the bound of `range_args` resolves: whether there is one.
    pub(super) fn fd_range(
        &mut self,
        facts: &mut Facts,
        sp: Span,
        range_args: Node<'t>,
        container: Container,
    ) -> bool {
        // FD002's prefilter requirement wants the limit's own tokens in the file: nothing
        // from the project index bounds a container.
        self.use_index = false;
        let range = self.range_of(range_args);
        self.use_index = true;
        let Some((lower, bound)) = range else {
            return false;
        };
        facts.fd_ranges.push(FdRange {
            span: sp,
            container,
            lower,
            bound,
        });
        true
    }

    /// `while fd < maxfd:` whose body touches `fd` and steps it up.
    pub(super) fn while_loop(
        &mut self,
        facts: &mut Facts,
        node: Node<'t>,
        var: Node<'t>,
        bound: Node<'t>,
    ) {
        let Some(cond) = node.child_by_field_name("condition") else {
            return;
        };
        let op_ok = {
            let mut c = cond.walk();
            let ops: Vec<&str> = cond
                .children_by_field_name("operators", &mut c)
                .map(|o| o.kind())
                .collect();
            matches!(ops.as_slice(), ["<"] | ["<="])
        };
        let Some(body) = node.child_by_field_name("body") else {
            return;
        };
        let name = self.text(var);
        if !op_ok || !increments(body, name, self.src) {
            return;
        }
        let Some((action, action_span)) = self.loop_action(body, name) else {
            return;
        };
        // The query's `(_) @loop.bound` can be an extra between the operands (`while fd \`
        // continued on the next line, or a comment): the bound is the next real operand.
        let mut bound = bound;
        while bound.is_extra() {
            match bound.next_named_sibling() {
                Some(next) => bound = next,
                None => return,
            }
        }
        let Some(b) = self.bound_of(bound) else {
            return;
        };
        // The start is the value the variable has when the loop begins: the last
        // `fd = <start>` before the `while` in the same block (the `fd += 1` in the body would
        // make the name's value unknown), else whatever the name resolves to.
        let start = std::iter::successors(node.prev_named_sibling(), |n| n.prev_named_sibling())
            .find_map(|n| {
                let a = n
                    .named_child(0)
                    .filter(|a| n.kind() == "expression_statement" && a.kind() == "assignment")?;
                let left = a.child_by_field_name("left")?;
                (left.kind() == "identifier" && self.text(left) == name)
                    .then(|| a.child_by_field_name("right"))
            });
        let lower = match start.flatten().map(|r| self.eval(r, 0)) {
            Some(Val::Int { value, .. }) => Some(value),
            Some(_) => None,
            None => match self.eval(var, 0) {
                Val::Int { value, .. } => Some(value),
                _ => None,
            },
        };
        let header = Span::new(node.start_byte(), cond.end_byte());
        facts.close_loops.push(CloseLoop {
            span: header,
            action,
            action_span,
            lower,
            bound: b,
        });
        if action == FdAction::Close {
            let inclusive = op_inclusive(cond);
            self.sweep_while(facts, header, node, var, bound, inclusive);
        }
    }

    /// What a loop body does to its variable: a direct close/flag/probe, or a call of a helper
    /// function in this file that does it to the parameter the variable is passed as
    /// (`close_file_descriptor_if_open(fd)`, `self._close(fd)`). Helpers are followed one level.
    pub(super) fn loop_action(&mut self, scope: Node<'t>, var: &str) -> Option<(FdAction, Span)> {
        if exits_early(scope) {
            // `for fd in range(256, MAXFD): if free(fd): break` searches; it does not sweep.
            return None;
        }
        let (direct, passed) = find_action(scope, var, self.src, Some(&self.imports().names));
        if direct.is_some() {
            return direct;
        }
        for (name, pos, call, _) in &passed {
            let (name, pos, call) = (name, *pos, *call);
            let Some(defs) = self.function_defs(name).cloned() else {
                continue;
            };
            for def in defs {
                let Some(param) = nth_param(def, pos, self.src) else {
                    continue;
                };
                let Some(body) = def.child_by_field_name("body") else {
                    continue;
                };
                if let (Some((action, _)), _) =
                    find_action(body, param, self.src, Some(&self.imports().names))
                {
                    return Some((action, call));
                }
            }
        }
        // A wrapper defined in another module of the project, named like one.
        for (name, pos, call, receiver) in passed {
            if pos == 0
                && let Some(action) = self.outside_action(&name, receiver.as_deref())
            {
                return Some((action, call));
            }
        }
        None
    }
}

/// Whether a `while` condition is `<=` (its operator was checked to be `<` or `<=`).
fn op_inclusive(cond: Node) -> bool {
    let mut c = cond.walk();
    cond.children_by_field_name("operators", &mut c)
        .any(|o| o.kind() == "<=")
}

/// Whether a loop body leaves the loop early (`break`, `return`, `raise` outside a `try`
/// handler), which makes it a search rather than a sweep. Nested loops and functions are not
/// looked into: their `break`/`return` are their own.
pub(super) fn exits_early(body: Node) -> bool {
    let mut found = false;
    ts::walk(body, |n| {
        if found {
            return false;
        }
        match n.kind() {
            "for_statement"
            | "while_statement"
            | "function_definition"
            | "class_definition"
            | "lambda"
                if n != body =>
            {
                false
            }
            "break_statement" | "return_statement" => {
                found = true;
                false
            }
            _ => true,
        }
    });
    found
}

/// `fd += 1` or `fd = fd + 1` somewhere in a while body.
pub(super) fn increments(body: Node, var: &str, src: &str) -> bool {
    let mut found = false;
    ts::walk(body, |n| {
        if found {
            return false;
        }
        match n.kind() {
            "augmented_assignment" => {
                if n.child_by_field_name("left")
                    .is_some_and(|l| text(l, src) == var)
                    && n.child_by_field_name("operator")
                        .is_some_and(|o| text(o, src) == "+=")
                {
                    found = true;
                }
                true
            }
            "assignment" => {
                if n.child_by_field_name("left")
                    .is_some_and(|l| text(l, src) == var)
                    && n.child_by_field_name("right").is_some_and(|r| {
                        r.kind() == "binary_operator"
                            && r.child_by_field_name("left")
                                .is_some_and(|x| text(x, src) == var)
                    })
                {
                    found = true;
                }
                true
            }
            _ => true,
        }
    });
    found
}
