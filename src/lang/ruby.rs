//! Ruby frontend: finds loops that touch every fd number up to a bound (`3.upto(max) { |fd|
//! IO.for_fd(fd).close rescue nil }`) and arrays of every fd number (`(3..max).to_a`), and
//! resolves the bound through the file's local data flow to the fd limit or a guessed constant.
//!
//! The structure comes from one combined tree-sitter query (`queries/ruby/*.scm`): loop shapes,
//! ranges, bindings (assignments and parameter defaults) and method definitions. Everything else
//! (which receiver makes a loop, what the body does with the loop variable, where the bound comes
//! from) is decided here. Whatever cannot be resolved is not a fact.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Language, Node, Parser, Query, QueryCursor};

use super::{FrontendError, FrontendOptions, ts};
use crate::facts::{
    Bound, BoundKind, CloseLoop, Container, Facts, Fallback, FdAction, FdRange, LimitSource, Span,
};

pub const QUERY_FILES: &[(&str, &str)] = &[
    (
        "close_loops.scm",
        include_str!("../../queries/ruby/close_loops.scm"),
    ),
    (
        "fd_ranges.scm",
        include_str!("../../queries/ruby/fd_ranges.scm"),
    ),
    (
        "bindings.scm",
        include_str!("../../queries/ruby/bindings.scm"),
    ),
];

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

/// The combined query and the indices of the captures the code reads.
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
    loop_hi: u32,
    range_expr: u32,
    range_range: u32,
    assign_plain: u32,
    assign_multi: u32,
    assign_cond: u32,
    assign_param: u32,
    assign_name: u32,
    assign_names: u32,
    assign_value: u32,
    method_def: u32,
    method_name: u32,
}

fn compiled() -> &'static Compiled {
    static Q: OnceLock<Compiled> = OnceLock::new();
    Q.get_or_init(|| {
        let query = ts::compile(&language(), QUERY_FILES);
        let idx = |name: &str| {
            query
                .capture_index_for_name(name)
                .unwrap_or_else(|| panic!("ruby query lacks capture @{name}"))
        };
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
            loop_hi: idx("loop.hi"),
            range_expr: idx("range.expr"),
            range_range: idx("range.range"),
            assign_plain: idx("assign.plain"),
            assign_multi: idx("assign.multi"),
            assign_cond: idx("assign.cond"),
            assign_param: idx("assign.param"),
            assign_name: idx("assign.name"),
            assign_names: idx("assign.names"),
            assign_value: idx("assign.value"),
            method_def: idx("method.def"),
            method_name: idx("method.name"),
            query,
        }
    })
}

pub fn extract(text: &str, opts: &FrontendOptions) -> Result<Facts, FrontendError> {
    let tree = ts::parse(&PARSER, &language(), text, opts)?;
    let root = tree.root_node();
    let mut facts = Facts {
        syntax_errors: ts::syntax_errors(&tree, MAX_SYNTAX_ERRORS),
        ..Facts::default()
    };

    let q = compiled();
    let mut ctx = Ctx::new(text);
    let mut loops: Vec<LoopMatch> = Vec::new();
    let mut ranges: Vec<(Node, Node)> = Vec::new();

    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&q.query, root, text.as_bytes());
    while let Some(m) = matches.next() {
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
            if let (Some(var), Some(hi), Some(body)) =
                (get(q.loop_var), get(q.loop_hi), get(q.loop_body))
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
        } else if let Some(def) = get(q.method_def) {
            if let Some(name) = get(q.method_name) {
                ctx.methods
                    .entry(ts::text(name, text).to_string())
                    .or_default()
                    .push(def);
            }
        } else if let Some(value) = get(q.assign_value) {
            let (node, cond) = if let Some(n) = get(q.assign_plain) {
                (n, false)
            } else if let Some(n) = get(q.assign_cond) {
                (n, true)
            } else if let Some(n) = get(q.assign_param) {
                (n, false)
            } else if let Some(n) = get(q.assign_multi) {
                (n, false)
            } else {
                continue;
            };
            if let Some(name) = get(q.assign_name) {
                ctx.add_binding(name, node, value, None, cond);
            } else if let Some(list) = get(q.assign_names) {
                let mut cur = list.walk();
                for (i, target) in list.named_children(&mut cur).enumerate() {
                    if target.kind() == "rest_assignment" {
                        // `a, *rest = ...`: later positions are unknowable.
                        break;
                    }
                    ctx.add_binding(target, node, value, Some(i), cond);
                }
            }
        }
    }
    drop(matches);
    ctx.finish();

    for lm in &loops {
        if let Some(cl) = ctx.close_loop(lm) {
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
        facts.fd_ranges.push(FdRange {
            span: ts::span(expr),
            container: Container::RubyArray,
            lower: range.child_by_field_name("begin").and_then(|b| ctx.lower(b)),
            bound,
        });
    }
    facts.close_loops.sort_by_key(|c| c.span);
    facts.close_loops.dedup_by_key(|c| c.span);
    facts.fd_ranges.sort_by_key(|r| r.span);
    facts.fd_ranges.dedup_by_key(|r| r.span);
    Ok(facts)
}

enum LoopMatch<'t> {
    /// `3.upto(max) { |fd| }`, `(3...max).each do |fd|`, `max.times { |fd| }`.
    Block {
        call: Node<'t>,
        recv: Node<'t>,
        method: Node<'t>,
        block: Node<'t>,
        var: Node<'t>,
    },
    /// `for fd in 3..max`.
    For {
        node: Node<'t>,
        var: Node<'t>,
        inn: Node<'t>,
        body: Node<'t>,
    },
    /// `while fd < max ... fd += 1 end`.
    While {
        node: Node<'t>,
        var: Node<'t>,
        hi: Node<'t>,
        body: Node<'t>,
    },
}

/// One value a name is given somewhere.
struct Binding<'t> {
    /// The assignment (or parameter) node: its end is where the value becomes visible.
    node: Node<'t>,
    value: Node<'t>,
    /// Position in a multiple assignment (`soft, hard = ...`).
    index: Option<usize>,
    /// Whether the assignment may not run on the way to a later use (inside a branch, a rescue,
    /// a loop or a block; `||=`), so that it does not hide earlier assignments.
    conditional: bool,
}

/// What an expression evaluates to, as far as the bound is concerned.
#[derive(Debug, Clone)]
enum Val {
    /// Nothing known: not a fact.
    Unknown,
    /// A name that refers back to itself (`x = x + 1`): neutral when combined.
    Cycle,
    /// The `[soft, hard]` array `Process.getrlimit(:NOFILE)` returns.
    Pair { origin: Span },
    Limit {
        source: LimitSource,
        origin: Span,
        fallbacks: Vec<Fallback>,
        cap: Option<u64>,
    },
    Lit {
        value: u64,
        span: Span,
        name: Option<String>,
    },
}

struct Ctx<'t> {
    src: &'t str,
    /// Local variables, per scope node id and name.
    locals: HashMap<(usize, String), Vec<Binding<'t>>>,
    /// Constants and instance, class and global variables: one namespace for the whole file.
    globals: HashMap<String, Vec<Binding<'t>>>,
    methods: HashMap<String, Vec<Node<'t>>>,
}

const SCOPE_KINDS: &[&str] = &[
    "method",
    "singleton_method",
    "class",
    "module",
    "singleton_class",
    "program",
];

/// Constructs under which an assignment may be skipped.
const CONDITIONAL_KINDS: &[&str] = &[
    "if",
    "unless",
    "if_modifier",
    "unless_modifier",
    "while_modifier",
    "until_modifier",
    "conditional",
    "case",
    "case_match",
    "when",
    "rescue",
    "rescue_modifier",
    "ensure",
    "while",
    "until",
    "for",
    "block",
    "do_block",
    "lambda",
    "binary",
];

fn scope_of(node: Node) -> Option<Node> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if SCOPE_KINDS.contains(&n.kind()) {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

fn is_conditional(node: Node, scope: Option<Node>) -> bool {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if Some(n) == scope {
            return false;
        }
        if CONDITIONAL_KINDS.contains(&n.kind()) {
            return true;
        }
        cur = n.parent();
    }
    false
}

/// The named children of a statement list, comments left out.
fn statements(node: Node) -> Vec<Node> {
    let mut cur = node.walk();
    node.named_children(&mut cur)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// The expressions whose value a body (method body, `begin`, `then`) evaluates to: its last
/// statement and the last statement of each `rescue` clause.
fn value_exprs(node: Node) -> Vec<Node> {
    match node.kind() {
        "body_statement" | "begin" | "then" | "else" | "block_body" | "parenthesized_statements" => {
            let mut out = Vec::new();
            let stmts = statements(node);
            let main: Vec<Node> = stmts
                .iter()
                .copied()
                .filter(|s| !matches!(s.kind(), "rescue" | "else" | "ensure"))
                .collect();
            if let Some(last) = main.last() {
                out.push(*last);
            }
            for s in stmts {
                if s.kind() == "rescue"
                    && let Some(body) = s.child_by_field_name("body")
                    && let Some(last) = statements(body).last()
                {
                    out.push(*last);
                }
            }
            out
        }
        _ => vec![node],
    }
}

fn int_lit(node: Node, src: &str) -> Option<u64> {
    match node.kind() {
        "integer" => ts::parse_int(ts::text(node, src)),
        "parenthesized_statements" => {
            let s = statements(node);
            if s.len() == 1 {
                int_lit(s[0], src)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `IO`, `::IO`, `Foo::IO` → `IO`.
fn const_name<'a>(node: Node, src: &'a str) -> Option<&'a str> {
    match node.kind() {
        "constant" => Some(ts::text(node, src)),
        "scope_resolution" => node
            .child_by_field_name("name")
            .filter(|n| n.kind() == "constant")
            .map(|n| ts::text(n, src)),
        _ => None,
    }
}

fn method_name<'a>(call: Node, src: &'a str) -> &'a str {
    call.child_by_field_name("method")
        .map(|m| ts::text(m, src))
        .unwrap_or("")
}

fn args(call: Node) -> Vec<Node> {
    match call.child_by_field_name("arguments") {
        Some(a) => statements(a),
        None => Vec::new(),
    }
}

impl<'t> Ctx<'t> {
    fn new(src: &'t str) -> Self {
        Ctx {
            src,
            locals: HashMap::new(),
            globals: HashMap::new(),
            methods: HashMap::new(),
        }
    }

    fn text(&self, node: Node) -> &'t str {
        ts::text(node, self.src)
    }

    fn add_binding(
        &mut self,
        target: Node<'t>,
        node: Node<'t>,
        value: Node<'t>,
        index: Option<usize>,
        cond: bool,
    ) {
        let scope = scope_of(node);
        let conditional = cond || is_conditional(node, scope);
        let b = Binding {
            node,
            value,
            index,
            conditional,
        };
        match target.kind() {
            "identifier" => {
                let key = (scope.map_or(0, |s| s.id()), self.text(target).to_string());
                self.locals.entry(key).or_default().push(b);
            }
            "constant" | "instance_variable" | "class_variable" | "global_variable" => {
                self.globals
                    .entry(self.text(target).to_string())
                    .or_default()
                    .push(b);
            }
            "scope_resolution" => {
                if let Some(n) = const_name(target, self.src) {
                    self.globals.entry(n.to_string()).or_default().push(b);
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        for v in self.locals.values_mut() {
            v.sort_by_key(|b| b.node.start_byte());
        }
        for v in self.globals.values_mut() {
            v.sort_by_key(|b| b.node.start_byte());
        }
    }

    // ----- loops -------------------------------------------------------------------------

    fn close_loop(&self, lm: &LoopMatch<'t>) -> Option<CloseLoop> {
        let (span, lower_node, hi, var, body, lower_default) = match *lm {
            LoopMatch::Block {
                call,
                recv,
                method,
                block,
                var,
            } => {
                let (lower, hi, dflt) = self.block_loop_bounds(call, recv, self.text(method))?;
                let end = call
                    .child_by_field_name("arguments")
                    .unwrap_or(method)
                    .end_byte();
                let body = block.child_by_field_name("body")?;
                (
                    Span::new(call.start_byte(), end),
                    lower,
                    hi,
                    var,
                    body,
                    dflt,
                )
            }
            LoopMatch::For {
                node,
                var,
                inn,
                body,
            } => {
                let range = self.range_of(statements(inn).first().copied()?)?;
                (
                    Span::new(node.start_byte(), inn.end_byte()),
                    range.child_by_field_name("begin"),
                    range.child_by_field_name("end")?,
                    var,
                    body,
                    None,
                )
            }
            LoopMatch::While {
                node,
                var,
                hi,
                body,
            } => {
                let name = self.text(var);
                if !self.increments(body, name) {
                    return None;
                }
                let cond = node.child_by_field_name("condition")?;
                (
                    Span::new(node.start_byte(), cond.end_byte()),
                    Some(var),
                    hi,
                    var,
                    body,
                    None,
                )
            }
        };
        let (action, action_span) = self.fd_action(body, self.text(var))?;
        let bound = self.bound(hi)?;
        let lower = lower_default.or_else(|| lower_node.and_then(|n| self.lower(n)));
        Some(CloseLoop {
            span,
            action,
            action_span,
            lower,
            bound,
        })
    }

    /// The lower-bound node, the upper-bound node and a fixed lower bound of a block loop.
    fn block_loop_bounds(
        &self,
        call: Node<'t>,
        recv: Node<'t>,
        method: &str,
    ) -> Option<(Option<Node<'t>>, Node<'t>, Option<u64>)> {
        let a = args(call);
        match method {
            "upto" if a.len() == 1 => Some((Some(recv), a[0], None)),
            "downto" if a.len() == 1 => Some((Some(a[0]), recv, None)),
            "times" if a.is_empty() => Some((None, recv, Some(0))),
            "step" if a.len() == 1 || (a.len() == 2 && int_lit(a[1], self.src) == Some(1)) => {
                Some((Some(recv), a[0], None))
            }
            "each" | "reverse_each" if a.is_empty() => {
                if recv.kind() == "call"
                    && method_name(recv, self.src) == "upto"
                    && recv.child_by_field_name("block").is_none()
                {
                    // `3.upto(max).each do |fd|`
                    let inner = args(recv);
                    let lo = recv.child_by_field_name("receiver")?;
                    return (inner.len() == 1).then_some((Some(lo), inner[0], None));
                }
                let range = self.range_of(recv)?;
                Some((
                    range.child_by_field_name("begin"),
                    range.child_by_field_name("end")?,
                    None,
                ))
            }
            _ => None,
        }
    }

    /// The range an `each` or `for` iterates: `(3..max)`, `3..max`, `(3..max).to_a`,
    /// `Array(3..max)`, `[*3..max]`.
    fn range_of(&self, node: Node<'t>) -> Option<Node<'t>> {
        match node.kind() {
            "range" => Some(node),
            "parenthesized_statements" => {
                let s = statements(node);
                (s.len() == 1 && s[0].kind() == "range").then(|| s[0])
            }
            "call" => {
                let a = args(node);
                match (node.child_by_field_name("receiver"), method_name(node, self.src)) {
                    (Some(r), "to_a") if a.is_empty() => self.range_of(r).filter(|_| {
                        r.kind() == "parenthesized_statements"
                    }),
                    (None, "Array") if a.len() == 1 && a[0].kind() == "range" => Some(a[0]),
                    _ => None,
                }
            }
            "array" => {
                let s = statements(node);
                if s.len() == 1 && s[0].kind() == "splat_argument" {
                    statements(s[0])
                        .first()
                        .copied()
                        .filter(|r| r.kind() == "range")
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Whether a `while` body steps the variable: `fd += 1`, `fd = fd + 1`.
    fn increments(&self, body: Node<'t>, var: &str) -> bool {
        let mut found = false;
        ts::walk(body, |n| {
            if found {
                return false;
            }
            let step = match n.kind() {
                "operator_assignment" => {
                    n.child_by_field_name("operator")
                        .is_some_and(|o| self.text(o) == "+=")
                        && n.child_by_field_name("right")
                            .is_some_and(|r| int_lit(r, self.src).is_some())
                }
                "assignment" => n.child_by_field_name("right").is_some_and(|r| {
                    r.kind() == "binary"
                        && r.child_by_field_name("operator")
                            .is_some_and(|o| self.text(o) == "+")
                        && r.child_by_field_name("left")
                            .is_some_and(|l| self.text(l) == var)
                }),
                _ => false,
            };
            if step
                && n.child_by_field_name("left")
                    .is_some_and(|l| l.kind() == "identifier" && self.text(l) == var)
            {
                found = true;
            }
            !matches!(n.kind(), "method" | "singleton_method" | "class" | "module")
        });
        found
    }

    // ----- fd actions ----------------------------------------------------------------------

    /// The first thing the body does to the fd named by the loop variable.
    fn fd_action(&self, body: Node<'t>, var: &str) -> Option<(FdAction, Span)> {
        let mut found = None;
        ts::walk(body, |n| {
            if found.is_some() {
                return false;
            }
            if n.kind() == "call" {
                found = self.action_at(body, n, var);
            }
            !matches!(
                n.kind(),
                "method" | "singleton_method" | "class" | "module" | "string" | "heredoc_body"
            )
        });
        found
    }

    fn is_var(&self, node: Option<&Node>, var: &str) -> bool {
        node.is_some_and(|n| n.kind() == "identifier" && self.text(*n) == var)
    }

    fn action_at(&self, body: Node<'t>, call: Node<'t>, var: &str) -> Option<(FdAction, Span)> {
        let recv = call.child_by_field_name("receiver")?;
        let method = method_name(call, self.src);
        let a = args(call);
        let recv_const = const_name(recv, self.src)?;
        // `LibC.close(fd)` and other FFI bindings of close(2).
        if method == "close" {
            return (a.len() == 1 && self.is_var(a.first(), var))
                .then(|| (FdAction::Close, ts::span(call)));
        }
        // `IO.for_fd(fd)`, `IO.new(fd)`, `File.for_fd(fd)`, `IO.open(fd)`.
        if !matches!(recv_const, "IO" | "File" | "Socket" | "BasicSocket")
            || !matches!(method, "for_fd" | "new" | "open")
            || !self.is_var(a.first(), var)
        {
            return None;
        }
        let keeps_fd = a.iter().any(|p| {
            p.kind() == "pair"
                && p.child_by_field_name("key")
                    .is_some_and(|k| self.text(k).trim_end_matches(':') == "autoclose")
                && p.child_by_field_name("value")
                    .is_some_and(|v| v.kind() == "false")
        });
        let wrap = if keeps_fd {
            FdAction::Probe
        } else {
            FdAction::Wrap
        };
        let mut parent = call.parent()?;
        if parent.kind() == "rescue_modifier" && parent.child_by_field_name("body") == Some(call) {
            // `io = IO.for_fd(fd) rescue next`
            parent = parent.parent()?;
        }
        if parent.kind() == "call" && parent.child_by_field_name("receiver") == Some(call) {
            return Some(self.use_of_io(parent, wrap));
        }
        // `io = IO.for_fd(fd)` then `io.close`.
        if parent.kind() == "assignment"
            && let Some(left) = parent.child_by_field_name("left")
            && left.kind() == "identifier"
        {
            let io = self.text(left);
            let mut used = None;
            ts::walk(body, |n| {
                if used.is_none()
                    && n.kind() == "call"
                    && n.start_byte() >= parent.end_byte()
                    && self.is_var(n.child_by_field_name("receiver").as_ref(), io)
                {
                    let (act, sp) = self.use_of_io(n, wrap);
                    if act != wrap {
                        used = Some((act, sp));
                    }
                }
                used.is_none()
            });
            if used.is_some() {
                return used;
            }
        }
        Some((wrap, ts::span(call)))
    }

    /// What a call on an IO wrapping the fd does (`.close`, `.close_on_exec = true`,
    /// `.fcntl(F_SETFD, FD_CLOEXEC)`, `.stat`).
    fn use_of_io(&self, call: Node<'t>, wrap: FdAction) -> (FdAction, Span) {
        let method = method_name(call, self.src);
        match method {
            "close" => (FdAction::Close, ts::span(call)),
            "close_on_exec" => match call.parent() {
                Some(p)
                    if p.kind() == "assignment"
                        && p.child_by_field_name("left") == Some(call) =>
                {
                    // Leave out a trailing `rescue nil`, which belongs to the assignment.
                    let end = match p.child_by_field_name("right") {
                        Some(r) if r.kind() == "rescue_modifier" => r
                            .child_by_field_name("body")
                            .map_or(p.end_byte(), |b| b.end_byte()),
                        _ => p.end_byte(),
                    };
                    (FdAction::SetCloexec, Span::new(p.start_byte(), end))
                }
                _ => (wrap, ts::span(call)),
            },
            "fcntl" if args(call).iter().any(|a| self.text(*a).contains("F_SETFD")) => {
                (FdAction::SetCloexec, ts::span(call))
            }
            "stat" | "fstat" | "closed?" | "tty?" | "isatty" => (FdAction::Probe, ts::span(call)),
            _ => (wrap, ts::span(call)),
        }
    }

    // ----- bounds ---------------------------------------------------------------------------

    fn lower(&self, node: Node<'t>) -> Option<u64> {
        if let Some(v) = int_lit(node, self.src) {
            return Some(v);
        }
        match self.resolve(node, 0, 0, &mut Vec::new()) {
            Val::Lit { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Resolve a loop's upper bound.
    fn bound(&self, hi: Node<'t>) -> Option<Bound> {
        let via = self.via(hi, 0);
        match self.resolve(hi, 0, 0, &mut Vec::new()) {
            Val::Pair { origin } => Some(Bound {
                kind: BoundKind::Limit {
                    source: LimitSource::Getrlimit,
                },
                origin,
                via,
                fallbacks: Vec::new(),
                cap: None,
            }),
            Val::Limit {
                source,
                origin,
                fallbacks,
                cap,
            } => Some(Bound {
                kind: BoundKind::Limit { source },
                origin,
                via,
                fallbacks,
                cap,
            }),
            Val::Lit { value, span, name } => Some(Bound {
                kind: BoundKind::Guess { value, name },
                origin: span,
                via,
                fallbacks: Vec::new(),
                cap: None,
            }),
            Val::Unknown | Val::Cycle => None,
        }
    }

    /// The variable, constant or method the bound expression names, seen through conversions
    /// and arithmetic.
    fn via(&self, node: Node<'t>, depth: u32) -> Option<String> {
        if depth > MAX_EXPR_DEPTH {
            return None;
        }
        match node.kind() {
            "identifier" | "instance_variable" | "class_variable" | "global_variable"
            | "constant" => Some(self.text(node).to_string()),
            "scope_resolution" => const_name(node, self.src).map(str::to_string),
            "parenthesized_statements" => {
                let s = statements(node);
                (s.len() == 1).then(|| self.via(s[0], depth + 1)).flatten()
            }
            "element_reference" => self.via(node.child_by_field_name("object")?, depth + 1),
            "rescue_modifier" => self.via(node.child_by_field_name("body")?, depth + 1),
            "binary" => {
                let l = node.child_by_field_name("left")?;
                let r = node.child_by_field_name("right")?;
                match self.text(node.child_by_field_name("operator")?) {
                    "+" | "-" if int_lit(r, self.src).is_some() => self.via(l, depth + 1),
                    "+" if int_lit(l, self.src).is_some() => self.via(r, depth + 1),
                    "||" | "or" => self.via(l, depth + 1),
                    _ => None,
                }
            }
            "call" => {
                let method = method_name(node, self.src);
                let a = args(node);
                match node.child_by_field_name("receiver") {
                    None if method == "Integer" => self.via(*a.first()?, depth + 1),
                    None if a.is_empty() => Some(method.to_string()),
                    Some(r) if r.kind() == "self" && a.is_empty() => Some(method.to_string()),
                    Some(r) => match method {
                        "to_i" | "to_int" | "floor" | "ceil" | "round" | "first" | "last" => {
                            self.via(r, depth + 1)
                        }
                        "min" | "max" if r.kind() != "array" && a.is_empty() => {
                            self.via(r, depth + 1)
                        }
                        "min" | "max" if r.kind() == "array" => statements(r)
                            .into_iter()
                            .find(|e| int_lit(*e, self.src).is_none())
                            .and_then(|e| self.via(e, depth + 1)),
                        _ if a.is_empty()
                            && r.kind() == "constant"
                            && self.methods.contains_key(method) =>
                        {
                            Some(method.to_string())
                        }
                        _ => None,
                    },
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// What an expression evaluates to. `names` counts the names followed, `depth` the
    /// expression levels entered; `visiting` holds the bindings and methods being resolved.
    fn resolve(&self, node: Node<'t>, names: u32, depth: u32, visiting: &mut Vec<usize>) -> Val {
        if depth > MAX_EXPR_DEPTH || names > MAX_NAME_DEPTH {
            return Val::Unknown;
        }
        let d = depth + 1;
        match node.kind() {
            "integer" => match ts::parse_int(self.text(node)) {
                Some(value) => Val::Lit {
                    value,
                    span: ts::span(node),
                    name: None,
                },
                None => Val::Unknown,
            },
            "parenthesized_statements" | "begin" => {
                let alts: Vec<Val> = value_exprs(node)
                    .into_iter()
                    .map(|e| self.resolve(e, names, d, visiting))
                    .collect();
                combine(alts)
            }
            "identifier" => self.resolve_local(node, names, d, visiting),
            "constant" | "instance_variable" | "class_variable" | "global_variable" => {
                self.resolve_global(self.text(node), names, d, visiting)
            }
            "scope_resolution" => match const_name(node, self.src) {
                Some(n) => self.resolve_global(n, names, d, visiting),
                None => Val::Unknown,
            },
            "element_reference" => {
                let Some(obj) = node.child_by_field_name("object") else {
                    return Val::Unknown;
                };
                let idx = statements(node)
                    .into_iter()
                    .filter(|c| *c != obj)
                    .collect::<Vec<_>>();
                let pos = match idx.as_slice() {
                    [i] if i.kind() == "integer" => ts::parse_int(self.text(*i)).map(|v| v as i64),
                    [i] if i.kind() == "unary" && self.text(*i).replace(' ', "") == "-1" => {
                        Some(-1)
                    }
                    _ => None,
                };
                match self.resolve(obj, names, d, visiting) {
                    Val::Pair { origin } => Val::Limit {
                        source: match pos {
                            Some(0) => LimitSource::GetrlimitSoft,
                            Some(1) | Some(-1) => LimitSource::GetrlimitHard,
                            _ => LimitSource::Getrlimit,
                        },
                        origin,
                        fallbacks: Vec::new(),
                        cap: None,
                    },
                    _ => Val::Unknown,
                }
            }
            "call" => self.resolve_call(node, names, d, visiting),
            "binary" => {
                let (Some(l), Some(r), Some(op)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    node.child_by_field_name("operator"),
                ) else {
                    return Val::Unknown;
                };
                match self.text(op) {
                    "||" | "or" => combine(vec![
                        self.resolve(l, names, d, visiting),
                        self.resolve(r, names, d, visiting),
                    ]),
                    "+" | "-" => {
                        let minus = self.text(op) == "-";
                        let (other, k) = if let Some(k) = int_lit(r, self.src) {
                            (l, k)
                        } else if let (false, Some(k)) = (minus, int_lit(l, self.src)) {
                            (r, k)
                        } else {
                            return Val::Unknown;
                        };
                        if k > 64 {
                            // Not an off-by-one adjustment: an unrelated computation.
                            return Val::Unknown;
                        }
                        match self.resolve(other, names, d, visiting) {
                            Val::Lit { value, span, name } => Val::Lit {
                                value: if minus {
                                    value.saturating_sub(k)
                                } else {
                                    value.saturating_add(k)
                                },
                                span,
                                name,
                            },
                            v @ (Val::Limit { .. } | Val::Cycle) => v,
                            _ => Val::Unknown,
                        }
                    }
                    _ => Val::Unknown,
                }
            }
            "conditional" => {
                let alts = ["consequence", "alternative"]
                    .iter()
                    .filter_map(|f| node.child_by_field_name(f))
                    .map(|e| self.resolve(e, names, d, visiting))
                    .collect();
                combine(alts)
            }
            "if" | "unless" | "elsif" => {
                let mut alts = Vec::new();
                for f in ["consequence", "alternative"] {
                    if let Some(b) = node.child_by_field_name(f) {
                        if b.kind() == "elsif" {
                            alts.push(self.resolve(b, names, d, visiting));
                        } else {
                            for e in value_exprs(b) {
                                alts.push(self.resolve(e, names, d, visiting));
                            }
                        }
                    }
                }
                combine(alts)
            }
            "rescue_modifier" => {
                let alts = ["body", "handler"]
                    .iter()
                    .filter_map(|f| node.child_by_field_name(f))
                    .map(|e| self.resolve(e, names, d, visiting))
                    .collect();
                combine(alts)
            }
            "assignment" | "operator_assignment" => match node.child_by_field_name("right") {
                Some(r) => self.resolve(r, names, d, visiting),
                None => Val::Unknown,
            },
            _ => Val::Unknown,
        }
    }

    fn resolve_call(&self, node: Node<'t>, names: u32, d: u32, visiting: &mut Vec<usize>) -> Val {
        let method = method_name(node, self.src);
        let a = args(node);
        let recv = node.child_by_field_name("receiver");
        let recv_const = recv.and_then(|r| const_name(r, self.src));
        // The limit sources.
        if method == "getrlimit" && recv_const == Some("Process") {
            return match a.as_slice() {
                [arg] if self.names_nofile(*arg) => Val::Pair {
                    origin: ts::span(node),
                },
                _ => Val::Unknown,
            };
        }
        if method == "sysconf" && recv_const == Some("Etc") {
            return match a.as_slice() {
                [arg] if self.text(*arg).contains("SC_OPEN_MAX") => Val::Limit {
                    source: LimitSource::Sysconf,
                    origin: ts::span(node),
                    fallbacks: Vec::new(),
                    cap: None,
                },
                _ => Val::Unknown,
            };
        }
        match recv {
            None if method == "Integer" && !a.is_empty() => self.resolve(a[0], names, d, visiting),
            None if a.is_empty() => self.resolve_method(method, names, d, visiting),
            Some(r)
                if a.is_empty()
                    && matches!(r.kind(), "self" | "constant")
                    && self.methods.contains_key(method) =>
            {
                self.resolve_method(method, names, d, visiting)
            }
            Some(r) => match method {
                "to_i" | "to_int" | "floor" | "ceil" | "round" if a.is_empty() => {
                    self.resolve(r, names, d, visiting)
                }
                "first" | "last" | "min" | "max" if a.is_empty() && r.kind() != "array" => {
                    match self.resolve(r, names, d, visiting) {
                        Val::Pair { origin } => Val::Limit {
                            source: if matches!(method, "first" | "min") {
                                LimitSource::GetrlimitSoft
                            } else {
                                LimitSource::GetrlimitHard
                            },
                            origin,
                            fallbacks: Vec::new(),
                            cap: None,
                        },
                        _ => Val::Unknown,
                    }
                }
                "min" | "max" if a.is_empty() => {
                    let vals: Vec<Val> = statements(r)
                        .into_iter()
                        .map(|e| self.resolve(e, names, d, visiting))
                        .collect();
                    if method == "min" {
                        min_of(vals)
                    } else {
                        max_of(vals)
                    }
                }
                _ => Val::Unknown,
            },
            _ => Val::Unknown,
        }
    }

    /// `:NOFILE`, `"NOFILE"`, `Process::RLIMIT_NOFILE`, `RLIMIT_NOFILE`.
    fn names_nofile(&self, arg: Node) -> bool {
        matches!(
            arg.kind(),
            "simple_symbol" | "string" | "constant" | "scope_resolution" | "delimited_symbol"
        ) && {
            let t = self.text(arg).to_ascii_uppercase();
            t.contains("NOFILE") && !t.contains("#{")
        }
    }

    fn resolve_local(&self, node: Node<'t>, names: u32, d: u32, visiting: &mut Vec<usize>) -> Val {
        let name = self.text(node);
        let scope = scope_of(node).map_or(0, |s| s.id());
        let before: Vec<&Binding<'t>> = self
            .locals
            .get(&(scope, name.to_string()))
            .map(|bs| {
                bs.iter()
                    .filter(|b| b.node.end_byte() <= node.start_byte())
                    .collect()
            })
            .unwrap_or_default();
        if before.is_empty() {
            // A bare identifier with no assignment before it is a method call.
            return self.resolve_method(name, names, d, visiting);
        }
        // The last assignment that always runs hides the ones before it.
        let from = before
            .iter()
            .rposition(|b| !b.conditional)
            .unwrap_or_default();
        self.resolve_bindings(name, &before[from..], names, d, visiting)
    }

    fn resolve_global(&self, name: &str, names: u32, d: u32, visiting: &mut Vec<usize>) -> Val {
        match self.globals.get(name) {
            Some(bs) => {
                let all: Vec<&Binding<'t>> = bs.iter().collect();
                self.resolve_bindings(name, &all, names, d, visiting)
            }
            None => Val::Unknown,
        }
    }

    fn resolve_bindings(
        &self,
        name: &str,
        bindings: &[&Binding<'t>],
        names: u32,
        d: u32,
        visiting: &mut Vec<usize>,
    ) -> Val {
        let mut alts = Vec::new();
        for b in bindings {
            let id = b.node.id();
            if visiting.contains(&id) {
                alts.push(Val::Cycle);
                continue;
            }
            visiting.push(id);
            let v = match b.index {
                None => self.resolve(b.value, names + 1, d, visiting),
                Some(i) if b.value.kind() == "right_assignment_list" => {
                    match statements(b.value).get(i) {
                        Some(e) if e.kind() != "splat_argument" => {
                            self.resolve(*e, names + 1, d, visiting)
                        }
                        _ => Val::Unknown,
                    }
                }
                Some(i) => match self.resolve(b.value, names + 1, d, visiting) {
                    Val::Pair { origin } if i < 2 => Val::Limit {
                        source: if i == 0 {
                            LimitSource::GetrlimitSoft
                        } else {
                            LimitSource::GetrlimitHard
                        },
                        origin,
                        fallbacks: Vec::new(),
                        cap: None,
                    },
                    _ => Val::Unknown,
                },
            };
            visiting.pop();
            alts.push(v);
        }
        match combine(alts) {
            Val::Lit {
                value,
                span,
                name: None,
            } => Val::Lit {
                value,
                span,
                name: Some(name.to_string()),
            },
            v => v,
        }
    }

    fn resolve_method(&self, name: &str, names: u32, d: u32, visiting: &mut Vec<usize>) -> Val {
        let Some(defs) = self.methods.get(name) else {
            return Val::Unknown;
        };
        let mut alts = Vec::new();
        for def in defs {
            if def
                .child_by_field_name("parameters")
                .is_some_and(|p| statements(p).iter().any(|p| p.kind() == "identifier"))
            {
                // Required parameters: not a zero-argument helper.
                continue;
            }
            let id = def.id();
            if visiting.contains(&id) {
                alts.push(Val::Cycle);
                continue;
            }
            let Some(body) = def.child_by_field_name("body") else {
                continue;
            };
            visiting.push(id);
            for e in value_exprs(body) {
                alts.push(self.resolve(e, names + 1, d, visiting));
            }
            let mut returns = Vec::new();
            ts::walk(body, |n| {
                if n.kind() == "return" {
                    returns.push(n);
                }
                !matches!(
                    n.kind(),
                    "method" | "singleton_method" | "class" | "module" | "lambda"
                )
            });
            for r in returns {
                match statements(r).first().map(|a| statements(*a)) {
                    Some(vals) if vals.len() == 1 => {
                        alts.push(self.resolve(vals[0], names + 1, d, visiting))
                    }
                    _ => alts.push(Val::Unknown),
                }
            }
            visiting.pop();
        }
        if alts.is_empty() {
            return Val::Unknown;
        }
        combine(alts)
    }
}

/// The value of a name or expression that takes one of several values: any limit wins and the
/// literals become its fallbacks; otherwise all must be literals and the largest is the guess.
fn combine(alts: Vec<Val>) -> Val {
    let alts: Vec<Val> = alts
        .into_iter()
        .filter(|v| !matches!(v, Val::Cycle))
        .collect();
    if alts.is_empty() {
        return Val::Cycle;
    }
    if alts.len() == 1 {
        return alts.into_iter().next().unwrap_or(Val::Unknown);
    }
    let mut limit: Option<(LimitSource, Span)> = None;
    let mut fallbacks: Vec<Fallback> = Vec::new();
    let mut caps: Vec<Option<u64>> = Vec::new();
    let mut lit: Option<(u64, Span, Option<String>)> = None;
    let mut unknown = false;
    for v in alts {
        match v {
            Val::Pair { origin } => {
                limit.get_or_insert((LimitSource::Getrlimit, origin));
                caps.push(None);
            }
            Val::Limit {
                source,
                origin,
                fallbacks: f,
                cap,
            } => {
                limit.get_or_insert((source, origin));
                fallbacks.extend(f);
                caps.push(cap);
            }
            Val::Lit { value, span, name } => {
                fallbacks.push(Fallback { value, span });
                if lit.as_ref().is_none_or(|(v, _, _)| value > *v) {
                    lit = Some((value, span, name));
                }
            }
            Val::Unknown => unknown = true,
            Val::Cycle => {}
        }
    }
    match (limit, lit) {
        (Some((source, origin)), _) => {
            fallbacks.sort_by_key(|f| f.span);
            fallbacks.dedup();
            let cap = if caps.iter().all(Option::is_some) {
                caps.into_iter().flatten().max()
            } else {
                None
            };
            Val::Limit {
                source,
                origin,
                fallbacks,
                cap,
            }
        }
        (None, Some((value, span, name))) if !unknown => Val::Lit { value, span, name },
        _ => Val::Unknown,
    }
}

/// `[limit, 4096].min`: the literal caps the limit.
fn min_of(vals: Vec<Val>) -> Val {
    let mut limit = None;
    let mut cap: Option<u64> = None;
    let mut lit: Option<Val> = None;
    for v in vals {
        match v {
            Val::Pair { .. } | Val::Limit { .. } => {
                if limit.is_none() {
                    limit = Some(v);
                }
            }
            Val::Lit { value, .. } => {
                cap = Some(cap.map_or(value, |c| c.min(value)));
                if matches!(lit, Some(Val::Lit { value: old, .. }) if old <= value) {
                    continue;
                }
                lit = Some(v);
            }
            Val::Unknown | Val::Cycle => return Val::Unknown,
        }
    }
    match limit {
        Some(Val::Pair { origin }) => Val::Limit {
            source: LimitSource::Getrlimit,
            origin,
            fallbacks: Vec::new(),
            cap,
        },
        Some(Val::Limit {
            source,
            origin,
            fallbacks,
            cap: old,
        }) => Val::Limit {
            source,
            origin,
            fallbacks,
            cap: match (old, cap) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        },
        _ => lit.unwrap_or(Val::Unknown),
    }
}

/// `[limit, 1024].max`: at least the limit.
fn max_of(vals: Vec<Val>) -> Val {
    let mut limit = None;
    let mut lit: Option<Val> = None;
    for v in vals {
        match v {
            Val::Pair { .. } | Val::Limit { .. } => {
                if limit.is_none() {
                    limit = Some(v);
                }
            }
            Val::Lit { value, .. } => {
                if matches!(lit, Some(Val::Lit { value: old, .. }) if old >= value) {
                    continue;
                }
                lit = Some(v);
            }
            Val::Unknown | Val::Cycle => return Val::Unknown,
        }
    }
    limit.or(lit).unwrap_or(Val::Unknown)
}

#[cfg(test)]
mod tests {
}
