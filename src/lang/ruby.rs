//! Ruby frontend: finds loops that touch every fd number up to a bound (`3.upto(max) { |fd|
//! IO.for_fd(fd).close rescue nil }`) and arrays of every fd number (`(3..max).to_a`), and
//! resolves the bound through the file's local data flow to the fd limit or a guessed constant.
//!
//! The candidates come from the facts query (`queries/ruby/{close_loops,fd_ranges,spawn_calls}.scm`,
//! run over the regions that hold their tokens): loop shapes, ranges and spawn calls. The
//! bindings of a name (assignments and parameter defaults, as `queries/ruby/bindings.scm`
//! specifies them) and method definitions are looked up when a resolution needs them. Everything
//! else (which receiver makes a loop, what the body does with the loop variable, where the bound
//! comes from) is decided here. Whatever cannot be resolved is not a fact. Calls that start child
//! processes (`Open3.popen3`, `spawn`, `system`, ...) are judged in the `spawn` submodule.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Language, Node, Parser, Query, QueryCursor};

use super::{FrontendError, FrontendOptions, ts};
use crate::facts::{
    Bound, BoundKind, CloseLoop, Container, Facts, Fallback, FdAction, FdRange, LimitSource, Span,
};

/// The facts query: candidate loops, fd ranges and spawn calls, run over the regions of a file
/// that hold their tokens (`regions`).
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
        "spawn_calls.scm",
        include_str!("../../queries/ruby/spawn_calls.scm"),
    ),
];

/// What counts as a binding of a name (assignments, `||=`/`&&=`, multiple assignment, parameter
/// defaults) and a method definition, as a query: the specification the lazy lookup
/// (`Ctx::index_name`, `Ctx::index_methods`) is tested against on every fixture. Running it over
/// a whole tree costs ~115 ns per node; the lookup visits only the nodes of the names resolved.
pub const BINDINGS_QUERY: (&str, &str) = (
    "bindings.scm",
    include_str!("../../queries/ruby/bindings.scm"),
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

mod spawn;

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
    let tree = ts::parse(&PARSER, &language(), text, opts)?;
    let root = tree.root_node();
    let mut facts = Facts {
        syntax_errors: ts::syntax_errors(&tree, MAX_SYNTAX_ERRORS),
        ..Facts::default()
    };

    let q = compiled();
    let mut ctx = Ctx::new(text, root);
    let mut loops: Vec<LoopMatch> = Vec::new();
    let mut ranges: Vec<(Node, Node)> = Vec::new();
    let mut spawns: Vec<spawn::SpawnMatch> = Vec::new();

    let mut cursor = QueryCursor::new();
    // A match whose root holds tokens of several regions is found once per region.
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for region in regions(text.as_bytes()) {
        cursor.set_byte_range(region);
        let mut matches = cursor.matches(&q.query, root, text.as_bytes());
        while let Some(m) = matches.next() {
            let get = |idx: u32| m.captures().iter().find(|c| c.index == idx).map(|c| c.node);
            if !ts::first_sighting(&mut seen, m) {
                continue;
            }
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
        }
    }
    if loops.is_empty() && ranges.is_empty() && spawns.is_empty() {
        return Ok(facts);
    }
    ctx.index_methods();

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
        };
        if !fd_context {
            continue;
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
    facts.spawns.sort_by_key(|s| s.span);
    facts.spawns.dedup_by_key(|s| s.span);
    facts.close_loops.sort_by_key(|c| c.span);
    facts.close_loops.dedup_by_key(|c| c.span);
    facts.fd_ranges.sort_by_key(|r| r.span);
    facts.fd_ranges.dedup_by_key(|r| r.span);
    Ok(facts)
}

/// Whether a constant or variable name speaks of fds (`MAXFD`, `max_fd`, `OPEN_MAX`, `nofile`).
fn names_fds(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.starts_with("fd") || w.ends_with("fd") || w == "fds")
        || ["open_max", "nofile", "descriptor", "maxfiles", "max_files"]
            .iter()
            .any(|k| n.contains(k))
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
#[derive(Clone, Copy)]
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
    root: Node<'t>,
    /// Local variables, per scope node id and name, in document order; filled per name on
    /// first lookup (`index_name`).
    locals: RefCell<HashMap<(usize, String), Vec<Binding<'t>>>>,
    /// Constants and instance, class and global variables: one namespace for the whole file.
    globals: RefCell<HashMap<String, Vec<Binding<'t>>>>,
    /// Names whose bindings are in `locals`/`globals`.
    indexed: RefCell<std::collections::HashSet<String>>,
    /// Method definitions by name (`index_methods`).
    methods: HashMap<String, Vec<Node<'t>>>,
    /// Expression steps the spawn resolvers may still take for the current call, so that names
    /// that share subexpressions cannot make the work exponential.
    spawn_steps: std::cell::Cell<u32>,
    /// `spawn::Ctx::hash_use` per scope and local name.
    spawn_hash_uses: RefCell<HashMap<(usize, String), spawn::HashUse>>,
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

/// The scope `node` is in (its nearest `SCOPE_KINDS` ancestor), and whether a
/// `CONDITIONAL_KINDS` construct stands between the two (an assignment there may be skipped).
///
/// One descent from the root: `Node::parent` itself descends from the root each time, so
/// climbing ancestors one `parent()` at a time costs the depth squared.
fn scope_and_condition<'t>(root: Node<'t>, node: Node<'t>) -> (Option<Node<'t>>, bool) {
    let mut scope = None;
    let mut conditional = false;
    let mut cur = root;
    while cur != node {
        if SCOPE_KINDS.contains(&cur.kind()) {
            scope = Some(cur);
            conditional = false;
        } else if CONDITIONAL_KINDS.contains(&cur.kind()) {
            conditional = true;
        }
        match cur.child_with_descendant(node) {
            Some(next) if next != cur => cur = next,
            _ => break,
        }
    }
    (scope, conditional)
}

/// `fd < max` or `fd <= max` as a `while` condition: the variable and the bound.
fn while_condition(cond: Node) -> Option<(Node, Node)> {
    let var = cond.child_by_field_name("left")?;
    let op = cond.child_by_field_name("operator")?;
    (var.kind() == "identifier" && matches!(op.kind(), "<" | "<="))
        .then_some(())
        .and(Some((var, cond.child_by_field_name("right")?)))
}

/// The binding `node` (a name where it occurs) makes, as `queries/ruby/bindings.scm` defines
/// them: (target, assignment or parameter node, value, position in a multiple assignment,
/// conditional `||=`/`&&=`).
#[allow(clippy::type_complexity)]
fn binding_at(node: Node) -> Option<(Node, Node, Node, Option<usize>, bool)> {
    const NAMES: &[&str] = &[
        "identifier",
        "constant",
        "instance_variable",
        "class_variable",
        "global_variable",
    ];
    if !NAMES.contains(&node.kind()) {
        return None;
    }
    let mut target = node;
    let mut parent = node.parent()?;
    // `Foo::BAR = 1` binds `BAR` (a plain or multiple assignment, not `||=`).
    let scoped = parent.kind() == "scope_resolution"
        && node.kind() == "constant"
        && parent.child_by_field_name("name") == Some(node);
    if scoped {
        target = parent;
        parent = parent.parent()?;
    }
    let is_left = |p: Node, t: Node| p.child_by_field_name("left") == Some(t);
    match parent.kind() {
        "assignment" if is_left(parent, target) => Some((
            target,
            parent,
            parent.child_by_field_name("right")?,
            None,
            false,
        )),
        "operator_assignment" if !scoped && is_left(parent, target) => {
            let op = parent.child_by_field_name("operator")?;
            matches!(op.kind(), "||=" | "&&=").then_some(()).and(Some((
                target,
                parent,
                parent.child_by_field_name("right")?,
                None,
                true,
            )))
        }
        "left_assignment_list" => {
            let assign = parent
                .parent()
                .filter(|a| a.kind() == "assignment" && is_left(*a, parent))?;
            let mut cur = parent.walk();
            for (i, t) in parent.named_children(&mut cur).enumerate() {
                if t.kind() == "rest_assignment" {
                    return None;
                }
                if t == target {
                    return Some((
                        target,
                        assign,
                        assign.child_by_field_name("right")?,
                        Some(i),
                        false,
                    ));
                }
            }
            None
        }
        "optional_parameter" | "keyword_parameter"
            if !scoped
                && node.kind() == "identifier"
                && parent.child_by_field_name("name") == Some(node) =>
        {
            Some((
                target,
                parent,
                parent.child_by_field_name("value")?,
                None,
                false,
            ))
        }
        _ => None,
    }
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
        "body_statement"
        | "begin"
        | "then"
        | "else"
        | "block_body"
        | "parenthesized_statements" => {
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
    fn new(src: &'t str, root: Node<'t>) -> Self {
        Ctx {
            src,
            root,
            locals: RefCell::new(HashMap::new()),
            globals: RefCell::new(HashMap::new()),
            indexed: RefCell::new(std::collections::HashSet::new()),
            methods: HashMap::new(),
            spawn_steps: std::cell::Cell::new(0),
            spawn_hash_uses: RefCell::new(HashMap::new()),
        }
    }

    fn text(&self, node: Node) -> &'t str {
        ts::text(node, self.src)
    }

    /// The nearest `SCOPE_KINDS` ancestor of `node`.
    fn scope_of(&self, node: Node<'t>) -> Option<Node<'t>> {
        scope_and_condition(self.root, node).0
    }

    /// Every method definition, by name: the `method`/`singleton_method` parent of each `def`.
    fn index_methods(&mut self) {
        for def in ts::keyword_parents(self.root, self.src, "def", &["method", "singleton_method"])
        {
            if let Some(name) = def.child_by_field_name("name") {
                self.methods
                    .entry(self.text(name).to_string())
                    .or_default()
                    .push(def);
            }
        }
    }

    /// The bindings of local `name` in the scope with node id `scope`, in document order.
    fn local_bindings(&self, scope: usize, name: &str) -> Option<Vec<Binding<'t>>> {
        self.index_name(name);
        self.locals
            .borrow()
            .get(&(scope, name.to_string()))
            .cloned()
    }

    /// The bindings of a constant or an instance, class or global variable, in document order.
    fn global_bindings(&self, name: &str) -> Option<Vec<Binding<'t>>> {
        self.index_name(name);
        self.globals.borrow().get(name).cloned()
    }

    /// Collect every binding of `name` (what `queries/ruby/bindings.scm` matches for it), once:
    /// each whole-word occurrence of the name is looked up in the tree, and kept when it is the
    /// target of an assignment (plain, `||=`/`&&=`, or a position of a multiple assignment
    /// before any `*rest`), or a parameter with a default.
    fn index_name(&self, name: &str) {
        if name.is_empty() || self.indexed.borrow().contains(name) {
            return;
        }
        self.indexed.borrow_mut().insert(name.to_string());
        let b = self.src.as_bytes();
        let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        let sigil = matches!(name.as_bytes()[0], b'@' | b'$');
        let mut found: Vec<(Node<'t>, Node<'t>, Node<'t>, Option<usize>, bool)> = Vec::new();
        for at in memchr::memmem::find_iter(b, name.as_bytes()) {
            let end = at + name.len();
            let before = at.checked_sub(1).map(|i| b[i]);
            if before.is_some_and(|c| is_ident(c) || c == b'@' || (!sigil && c == b'$'))
                || b.get(end).is_some_and(|c| is_ident(*c))
            {
                continue;
            }
            let Some(n) = self.root.descendant_for_byte_range(at, end) else {
                continue;
            };
            if n.start_byte() != at || n.end_byte() != end {
                continue;
            }
            if let Some(binding) = binding_at(n) {
                found.push(binding);
            }
        }
        // Bindings in document order of their assignment (as the query's consumers expect).
        found.sort_by_key(|f| f.1.start_byte());
        for (target, node, value, index, cond) in found {
            self.add_binding(target, node, value, index, cond);
        }
    }

    fn add_binding(
        &self,
        target: Node<'t>,
        node: Node<'t>,
        value: Node<'t>,
        index: Option<usize>,
        cond: bool,
    ) {
        let (scope, in_condition) = scope_and_condition(self.root, node);
        let conditional = cond || in_condition;
        let b = Binding {
            node,
            value,
            index,
            conditional,
        };
        match target.kind() {
            "identifier" => {
                let key = (scope.map_or(0, |s| s.id()), self.text(target).to_string());
                self.locals.borrow_mut().entry(key).or_default().push(b);
            }
            "constant" | "instance_variable" | "class_variable" | "global_variable" => {
                self.globals
                    .borrow_mut()
                    .entry(self.text(target).to_string())
                    .or_default()
                    .push(b);
            }
            "scope_resolution" => {
                if let Some(n) = const_name(target, self.src) {
                    self.globals
                        .borrow_mut()
                        .entry(n.to_string())
                        .or_default()
                        .push(b);
                }
            }
            _ => {}
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
                match (
                    node.child_by_field_name("receiver"),
                    method_name(node, self.src),
                ) {
                    (Some(r), "to_a") if a.is_empty() => self
                        .range_of(r)
                        .filter(|_| r.kind() == "parenthesized_statements"),
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

    /// The first thing the body does to the fd named by the loop variable. A body that can
    /// leave the loop early (`break`, `return`) searches rather than sweeps: no action.
    fn fd_action(&self, body: Node<'t>, var: &str) -> Option<(FdAction, Span)> {
        if exits_early(body) {
            return None;
        }
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
        if !matches!(
            recv_const,
            "IO" | "File"
                | "Socket"
                | "BasicSocket"
                | "TCPSocket"
                | "TCPServer"
                | "UNIXSocket"
                | "UNIXServer"
                | "UDPSocket"
        ) || !matches!(method, "for_fd" | "new" | "open")
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
                    if p.kind() == "assignment" && p.child_by_field_name("left") == Some(call) =>
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
            Val::Pair { origin } => Some(Bound::limit(
                LimitSource::Getrlimit,
                origin,
                via,
                Vec::new(),
                None,
            )),
            Val::Limit {
                source,
                origin,
                fallbacks,
                cap,
            } => Some(Bound::limit(source, origin, via, fallbacks, cap)),
            Val::Lit { value, span, name } => Some(Bound::guess(value, name, span, via)),
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
        let scope_node = self.scope_of(node);
        if self.block_param_shadows(node, scope_node, name) {
            return Val::Unknown;
        }
        let scope = scope_node.map_or(0, |s| s.id());
        let bindings = self.local_bindings(scope, name).unwrap_or_default();
        let before: Vec<&Binding<'t>> = bindings
            .iter()
            .filter(|b| b.node.end_byte() <= node.start_byte())
            .collect();
        if before.is_empty() {
            // A bare identifier with no assignment before it is a parameter or a method call.
            if scope_node
                .and_then(|s| s.child_by_field_name("parameters"))
                .is_some_and(|p| self.declares(p, name))
            {
                return Val::Unknown;
            }
            return self.resolve_method(name, names, d, visiting);
        }
        // The last assignment that always runs hides the ones before it.
        let from = before
            .iter()
            .rposition(|b| !b.conditional)
            .unwrap_or_default();
        self.resolve_bindings(name, &before[from..], names, d, visiting)
    }

    /// Whether a block between `node` and its scope has a parameter called `name`.
    fn block_param_shadows(&self, node: Node<'t>, scope: Option<Node<'t>>, name: &str) -> bool {
        let mut cur = node.parent();
        while let Some(n) = cur {
            if Some(n) == scope {
                return false;
            }
            if matches!(n.kind(), "block" | "do_block" | "lambda")
                && n.child_by_field_name("parameters")
                    .is_some_and(|p| self.declares(p, name))
            {
                return true;
            }
            cur = n.parent();
        }
        false
    }

    /// Whether a parameter list declares `name` (`a`, `a = 1`, `a:`, `*a`, `**a`, `&a`).
    fn declares(&self, params: Node<'t>, name: &str) -> bool {
        statements(params).into_iter().any(|p| {
            let id = if p.kind() == "identifier" {
                Some(p)
            } else {
                p.child_by_field_name("name")
            };
            id.is_some_and(|i| self.text(i) == name)
        })
    }

    fn resolve_global(&self, name: &str, names: u32, d: u32, visiting: &mut Vec<usize>) -> Val {
        match self.global_bindings(name) {
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

/// Whether a loop body leaves the loop early: a `break` not inside a nested block or loop, or a
/// `return` not inside a nested lambda or method.
fn exits_early(body: Node) -> bool {
    let mut found = false;
    let mut stack: Vec<(Node, bool)> = vec![(body, false)];
    while let Some((n, nested_loop)) = stack.pop() {
        if found {
            break;
        }
        match n.kind() {
            "break" if !nested_loop => found = true,
            "return" => found = true,
            "method" | "singleton_method" | "class" | "module" | "lambda" if n != body => continue,
            _ => {}
        }
        let nested = nested_loop
            || (n != body && matches!(n.kind(), "block" | "do_block" | "while" | "until" | "for"));
        let mut c = n.walk();
        for ch in n.children(&mut c) {
            stack.push((ch, nested));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(src: &str) -> Facts {
        extract(src, &FrontendOptions::default()).expect("extract")
    }

    fn at(src: &str, span: Span) -> &str {
        &src[span.start..span.end]
    }

    /// Every Ruby fixture, plus binding spellings the fixtures may lack.
    fn ruby_sources() -> Vec<(String, String)> {
        let mut out = ts::testing::fixture_sources("rb");
        out.push((
            "spellings".into(),
            "A::B = 1\nA::C ||= 2\n@x, $y, *rest, z = 1, 2, 3, 4\n(a, b), c = [1, 2], 3\n\
             a = b = 5\nMAX ||= 3\n@@n &&= 4\nx += 1\ndef m(p = 1, q: 2, *r, s:, &blk)\n  \
             p = q if s\nend\ndef self.n; end\ndef o=(v); @o = v; end\nfoo(x = 1)\n\
             h = { a: 1 }\nbegin\n  t = 1\nrescue => e\nend\n@x = '@x = 2'\n# y = 3\n"
                .into(),
        ));
        out
    }

    #[test]
    fn lazy_bindings_equal_the_bindings_query() {
        type Key = (String, Vec<(usize, usize, Option<usize>, bool)>);
        type Dump = (Vec<Key>, Vec<Key>, Vec<(String, Vec<usize>)>);
        fn dump(ctx: &Ctx) -> Dump {
            let ids = |bs: &Vec<Binding>| {
                bs.iter()
                    .map(|b| (b.node.id(), b.value.id(), b.index, b.conditional))
                    .collect::<Vec<_>>()
            };
            let mut locals: Vec<Key> = ctx
                .locals
                .borrow()
                .iter()
                .map(|((scope, n), bs)| (format!("{scope}:{n}"), ids(bs)))
                .collect();
            let mut globals: Vec<Key> = ctx
                .globals
                .borrow()
                .iter()
                .map(|(n, bs)| (n.clone(), ids(bs)))
                .collect();
            let mut methods: Vec<(String, Vec<usize>)> = ctx
                .methods
                .iter()
                .map(|(n, ds)| (n.clone(), ds.iter().map(|d| d.id()).collect()))
                .collect();
            locals.sort();
            globals.sort();
            methods.sort();
            (locals, globals, methods)
        }
        let query = Query::new(&language(), BINDINGS_QUERY.1).expect("bindings.scm compiles");
        let cap = |n: &str| query.capture_index_for_name(n).unwrap();
        let mut parser = Parser::new();
        parser.set_language(&language()).unwrap();
        let mut bindings = 0;
        for (path, src) in ruby_sources() {
            let tree = parser.parse(&src, None).unwrap();
            let root = tree.root_node();
            // The reference: every match of the query, added as the frontend used to.
            let mut reference = Ctx::new(&src, root);
            let mut cursor = QueryCursor::new();
            let mut matches = cursor.matches(&query, root, src.as_bytes());
            while let Some(m) = matches.next() {
                let get = |i: u32| m.captures().iter().find(|c| c.index == i).map(|c| c.node);
                if let (Some(def), Some(name)) = (get(cap("method.def")), get(cap("method.name"))) {
                    reference
                        .methods
                        .entry(ts::text(name, &src).to_string())
                        .or_default()
                        .push(def);
                    continue;
                }
                let Some(value) = get(cap("assign.value")) else {
                    continue;
                };
                let (node, cond) = [
                    ("assign.plain", false),
                    ("assign.cond", true),
                    ("assign.param", false),
                    ("assign.multi", false),
                ]
                .into_iter()
                .find_map(|(c, cond)| get(cap(c)).map(|n| (n, cond)))
                .unwrap();
                if let Some(name) = get(cap("assign.name")) {
                    reference.add_binding(name, node, value, None, cond);
                } else if let Some(list) = get(cap("assign.names")) {
                    let mut cur = list.walk();
                    for (i, target) in list.named_children(&mut cur).enumerate() {
                        if target.kind() == "rest_assignment" {
                            break;
                        }
                        reference.add_binding(target, node, value, Some(i), cond);
                    }
                }
            }
            for v in reference.locals.borrow_mut().values_mut() {
                v.sort_by_key(|b| b.node.start_byte());
            }
            for v in reference.globals.borrow_mut().values_mut() {
                v.sort_by_key(|b| b.node.start_byte());
            }
            // The lazy lookup, asked about every name in the file.
            let mut lazy = Ctx::new(&src, root);
            lazy.index_methods();
            ts::walk(root, |n| {
                if matches!(
                    n.kind(),
                    "identifier"
                        | "constant"
                        | "instance_variable"
                        | "class_variable"
                        | "global_variable"
                ) {
                    lazy.index_name(ts::text(n, &src));
                }
                true
            });
            let want = dump(&reference);
            bindings += want.0.len() + want.1.len();
            assert_eq!(dump(&lazy), want, "{path}");
        }
        assert!(
            bindings > 100,
            "only {bindings} bound names in the fixtures"
        );
    }

    #[test]
    fn region_queries_find_what_a_whole_tree_query_finds() {
        let q = compiled();
        let mut parser = Parser::new();
        parser.set_language(&language()).unwrap();
        let mut checked = 0;
        for (path, src) in ruby_sources() {
            let tree = parser.parse(&src, None).unwrap();
            let (regional, whole) =
                ts::testing::compare(&q.query, &tree, &src, &regions(src.as_bytes()));
            checked += whole.len();
            assert_eq!(regional, whole, "{path}");
        }
        assert!(checked > 50, "only {checked} matches in the fixtures");
        let mut names = ts::testing::predicate_names(QUERY_FILES);
        names.extend(["for", "while", ".."]);
        for n in names {
            assert!(
                REGION_TOKENS.contains(&n),
                "`{n}` missing from REGION_TOKENS"
            );
        }
    }

    /// The only close loop of `src`.
    fn one_loop(src: &str) -> CloseLoop {
        let f = facts(src);
        assert_eq!(f.close_loops.len(), 1, "{:#?}", f.close_loops);
        f.close_loops.into_iter().next().unwrap()
    }

    fn limit(source: LimitSource) -> BoundKind {
        BoundKind::Limit { source }
    }

    #[test]
    fn upto_with_multiple_assignment() {
        let src = "def d\n  soft, hard = Process.getrlimit(:NOFILE)\n  3.upto(hard) { |fd| IO.for_fd(fd).close rescue nil }\nend\n";
        let c = one_loop(src);
        assert_eq!(at(src, c.span), "3.upto(hard)");
        assert_eq!(c.action, FdAction::Close);
        assert_eq!(at(src, c.action_span), "IO.for_fd(fd).close");
        assert_eq!(c.lower, Some(3));
        assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
        assert_eq!(at(src, c.bound.origin), "Process.getrlimit(:NOFILE)");
        assert_eq!(c.bound.via.as_deref(), Some("hard"));
        assert!(c.bound.fallbacks.is_empty());
        assert_eq!(c.bound.cap, None);
    }

    #[test]
    fn underscore_multiple_assignment_and_soft() {
        let src = "_, hard = Process.getrlimit(:NOFILE)\nsoft, = Process.getrlimit(:NOFILE)\n3.upto(hard) { |fd| IO.for_fd(fd).close }\n3.upto(soft) { |fd| IO.for_fd(fd).close }\n";
        let f = facts(src);
        assert_eq!(f.close_loops.len(), 2);
        assert_eq!(
            f.close_loops[0].bound.kind,
            limit(LimitSource::GetrlimitHard)
        );
        assert_eq!(
            f.close_loops[1].bound.kind,
            limit(LimitSource::GetrlimitSoft)
        );
    }

    #[test]
    fn each_over_exclusive_range_with_do_block() {
        let src = "max = Process.getrlimit(Process::RLIMIT_NOFILE).first\n(3...max).each do |fd|\n  begin\n    IO.for_fd(fd).close\n  rescue Errno::EBADF\n  end\nend\n";
        let c = one_loop(src);
        assert_eq!(at(src, c.span), "(3...max).each");
        assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitSoft));
        assert_eq!(
            at(src, c.bound.origin),
            "Process.getrlimit(Process::RLIMIT_NOFILE)"
        );
    }

    #[test]
    fn times_has_lower_zero_and_direct_call_has_no_via() {
        let src =
            "Process.getrlimit(\"NOFILE\")[0].times { |fd| File.for_fd(fd).close rescue nil }\n";
        let c = one_loop(src);
        assert_eq!(at(src, c.span), "Process.getrlimit(\"NOFILE\")[0].times");
        assert_eq!(c.lower, Some(0));
        assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitSoft));
        assert_eq!(c.bound.via, None);
    }

    #[test]
    fn for_loop_with_sysconf_and_rescue_fallback() {
        let src = "max = Etc.sysconf(Etc::SC_OPEN_MAX) rescue 256\nfor fd in 3..max do\n  IO.for_fd(fd, autoclose: true) rescue nil\nend\n";
        let c = one_loop(src);
        assert_eq!(at(src, c.span), "for fd in 3..max");
        assert_eq!(c.action, FdAction::Wrap);
        assert_eq!(at(src, c.action_span), "IO.for_fd(fd, autoclose: true)");
        assert_eq!(c.bound.kind, limit(LimitSource::Sysconf));
        assert_eq!(at(src, c.bound.origin), "Etc.sysconf(Etc::SC_OPEN_MAX)");
        assert_eq!(c.bound.fallbacks.len(), 1);
        assert_eq!(c.bound.fallbacks[0].value, 256);
        assert_eq!(at(src, c.bound.fallbacks[0].span), "256");
    }

    #[test]
    fn while_loop_with_infinity_fallback() {
        let src = "def c\n  fd = 3\n  max = Process.getrlimit(:NOFILE)[1]\n  max = 65536 if max == Process::RLIM_INFINITY\n  while fd <= max\n    IO.for_fd(fd).fcntl(Fcntl::F_SETFD, Fcntl::FD_CLOEXEC) rescue nil\n    fd += 1\n  end\nend\n";
        let c = one_loop(src);
        assert_eq!(at(src, c.span), "while fd <= max");
        assert_eq!(c.action, FdAction::SetCloexec);
        assert_eq!(
            at(src, c.action_span),
            "IO.for_fd(fd).fcntl(Fcntl::F_SETFD, Fcntl::FD_CLOEXEC)"
        );
        assert_eq!(c.lower, Some(3));
        assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
        assert_eq!(c.bound.fallbacks.len(), 1);
        assert_eq!(c.bound.fallbacks[0].value, 65536);
    }

    #[test]
    fn while_conditions() {
        let body = "\n  IO.for_fd(fd).close rescue nil\n  fd += 1\nend\n";
        let lim = "max = Process.getrlimit(:NOFILE)[1]\nfd = 3\n";
        for cond in ["fd < max", "fd <= max"] {
            one_loop(&format!("{lim}while {cond}{body}"));
        }
        for cond in [
            "fd > max",
            "fd != max",
            "max > fd",
            "fd.succ < max",
            "fd < max && ok",
        ] {
            let f = facts(&format!("{lim}while {cond}{body}"));
            assert!(f.close_loops.is_empty(), "{cond}: {:#?}", f.close_loops);
        }
    }

    #[test]
    fn close_on_exec_assignment() {
        let src = "MAX_FD = Process.getrlimit(:NOFILE)[1]\n(3..MAX_FD).each { |fd| IO.for_fd(fd).close_on_exec = true rescue nil }\n";
        let c = one_loop(src);
        assert_eq!(c.action, FdAction::SetCloexec);
        assert_eq!(at(src, c.action_span), "IO.for_fd(fd).close_on_exec = true");
        assert_eq!(c.bound.via.as_deref(), Some("MAX_FD"));
        assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
    }

    #[test]
    fn begin_rescue_fallback_and_arithmetic() {
        let src = "def c\n  begin\n    max = Integer(Process.getrlimit(:NOFILE)[1].to_i)\n  rescue StandardError\n    max = 1024\n  end\n  3.upto(max - 1) { |fd| IO.new(fd).close rescue nil }\nend\n";
        let c = one_loop(src);
        assert_eq!(at(src, c.span), "3.upto(max - 1)");
        assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
        assert_eq!(c.bound.via.as_deref(), Some("max"));
        assert_eq!(
            c.bound
                .fallbacks
                .iter()
                .map(|f| f.value)
                .collect::<Vec<_>>(),
            vec![1024]
        );
    }

    #[test]
    fn or_default_and_ternary_fallbacks() {
        let src = "def a(o)\n  max = o[:max] || Process.getrlimit(:NOFILE)[1] || 4096\n  3.upto(max) { |fd| IO.for_fd(fd).close }\nend\ndef b(cap)\n  max = cap ? 2048 : Process.getrlimit(:NOFILE).last\n  3.upto(max) { |fd| IO.for_fd(fd).close }\nend\n";
        let f = facts(src);
        assert_eq!(f.close_loops.len(), 2);
        assert_eq!(f.close_loops[0].bound.fallbacks[0].value, 4096);
        assert_eq!(f.close_loops[1].bound.fallbacks[0].value, 2048);
        assert_eq!(
            f.close_loops[1].bound.kind,
            limit(LimitSource::GetrlimitHard)
        );
    }

    #[test]
    fn or_assign_follows_unknown_first_value() {
        let src = "def a(o)\n  max = o[:max]\n  max ||= Process.getrlimit(:NOFILE)[1]\n  (3..max).each { |fd| IO.for_fd(fd).close }\nend\n";
        assert_eq!(one_loop(src).bound.kind, limit(LimitSource::GetrlimitHard));
    }

    #[test]
    fn min_caps_and_max_keeps_limit() {
        let src = "max = [Process.getrlimit(:NOFILE).last, 4096].min\n3.upto(max) { |fd| IO.for_fd(fd).close }\n";
        let c = one_loop(src);
        assert_eq!(c.bound.cap, Some(4096));
        assert!(c.bound.fallbacks.is_empty());
        let src = "def m\n  max = Process.getrlimit(:NOFILE)[0]\n  max = [max, 4096].min\n  3.upto(max) { |fd| IO.for_fd(fd).close }\nend\n";
        let c = one_loop(src);
        assert_eq!(c.bound.cap, Some(4096));
        assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitSoft));
        let src = "max = [Process.getrlimit(:NOFILE)[0], 1024].max\n3.upto(max) { |fd| IO.for_fd(fd).close }\n";
        let c = one_loop(src);
        assert_eq!(c.bound.cap, None);
        assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitSoft));
    }

    #[test]
    fn helper_method_bound() {
        let src = "class S\n  def max_fd\n    return 256 if $dumb\n    Process.getrlimit(:NOFILE).last\n  end\n  def sweep\n    (3..self.max_fd).each { |fd| IO.for_fd(fd).close rescue nil }\n    3.upto(max_fd) { |fd| IO.for_fd(fd).close rescue nil }\n  end\nend\n";
        let f = facts(src);
        assert_eq!(f.close_loops.len(), 2);
        for c in &f.close_loops {
            assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
            assert_eq!(c.bound.via.as_deref(), Some("max_fd"));
            assert_eq!(c.bound.fallbacks[0].value, 256);
        }
    }

    #[test]
    fn endless_and_rescue_methods() {
        let src = "def self.lim = Process.getrlimit(:NOFILE)[1]\ndef lim2\n  Process.getrlimit(:NOFILE)[0]\nrescue\n  1024\nend\n3.upto(lim) { |fd| IO.for_fd(fd).close }\n3.upto(lim2) { |fd| IO.for_fd(fd).close }\n";
        let f = facts(src);
        assert_eq!(f.close_loops.len(), 2);
        assert_eq!(
            f.close_loops[0].bound.kind,
            limit(LimitSource::GetrlimitHard)
        );
        assert_eq!(
            f.close_loops[1].bound.kind,
            limit(LimitSource::GetrlimitSoft)
        );
        assert_eq!(f.close_loops[1].bound.fallbacks[0].value, 1024);
    }

    #[test]
    fn guesses() {
        let src = "MAXFD = 1024\n3.upto(8192) { |fd| IO.for_fd(fd).close }\n(3...MAXFD).each { |fd| IO.for_fd(fd).close }\ndef x\n  n = 300\n  n = 512 if $big\n  3.upto(n) { |fd| IO.for_fd(fd).close }\nend\n3.upto(10) { |fd| IO.for_fd(fd).close }\n";
        let f = facts(src);
        let kinds: Vec<_> = f.close_loops.iter().map(|c| c.bound.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                BoundKind::Guess {
                    value: 8192,
                    name: None
                },
                BoundKind::Guess {
                    value: 1024,
                    name: Some("MAXFD".into())
                },
                BoundKind::Guess {
                    value: 512,
                    name: Some("n".into())
                },
                BoundKind::Guess {
                    value: 10,
                    name: None
                },
            ]
        );
        assert_eq!(at(src, f.close_loops[0].bound.origin), "8192");
        assert_eq!(f.close_loops[0].bound.via, None);
    }

    #[test]
    fn guess_mixed_with_unknown_is_no_fact() {
        let src =
            "def x(a)\n  n = 300\n  n = a if a\n  3.upto(n) { |fd| IO.for_fd(fd).close }\nend\n";
        assert!(facts(src).close_loops.is_empty());
    }

    #[test]
    fn downto_step_and_upto_each() {
        let src = "h = Process.getrlimit(:NOFILE)[1]\nh.downto(3) { |fd| IO.for_fd(fd).close }\n3.step(h, 1) { |fd| IO.for_fd(fd).close }\n3.upto(h).each { |fd| IO.for_fd(fd).close }\n3.step(h, 2) { |fd| IO.for_fd(fd).close }\n";
        let f = facts(src);
        let spans: Vec<_> = f.close_loops.iter().map(|c| at(src, c.span)).collect();
        assert_eq!(spans, vec!["h.downto(3)", "3.step(h, 1)", "3.upto(h).each"]);
        assert!(f.close_loops.iter().all(|c| c.lower == Some(3)));
    }

    #[test]
    fn probe_and_local_io() {
        let src = "M = Process.getrlimit(:NOFILE)[1]\n3.upto(M) { |fd| IO.for_fd(fd, autoclose: false).stat rescue nil }\n3.upto(M) do |fd|\n  io = IO.for_fd(fd) rescue next\n  io.close\nend\n3.upto(M) { |fd| IO.for_fd(fd) rescue nil }\n";
        let f = facts(src);
        let acts: Vec<_> = f
            .close_loops
            .iter()
            .map(|c| (c.action, at(src, c.action_span)))
            .collect();
        assert_eq!(
            acts,
            vec![
                (FdAction::Probe, "IO.for_fd(fd, autoclose: false).stat"),
                (FdAction::Close, "io.close"),
                (FdAction::Wrap, "IO.for_fd(fd)"),
            ]
        );
    }

    #[test]
    fn fd_ranges() {
        let src = "max = Process.getrlimit(:NOFILE)[1]\na = (3..max).to_a\nb = Array(3...max)\nc = [*0..max]\nd = (0..10).to_a\ne = [*1..Process.getrlimit(:CORE)[1]]\n";
        let f = facts(src);
        let got: Vec<_> = f
            .fd_ranges
            .iter()
            .map(|r| (at(src, r.span), r.lower, r.bound.kind.clone()))
            .collect();
        let hard = limit(LimitSource::GetrlimitHard);
        assert_eq!(
            got,
            vec![
                ("(3..max).to_a", Some(3), hard.clone()),
                ("Array(3...max)", Some(3), hard.clone()),
                ("[*0..max]", Some(0), hard),
            ]
        );
        let src = "MAXFD = 1024\na = (0...MAXFD).to_a\nb = (0x2000..0x200A).to_a\nc = (3..4096).to_a.each { |fd| IO.for_fd(fd).close }\nd = [*0..N]\nN = 512\n";
        let got: Vec<_> = facts(src)
            .fd_ranges
            .iter()
            .map(|r| at(src, r.span).to_string())
            .collect();
        assert_eq!(got, vec!["(0...MAXFD).to_a", "(3..4096).to_a"]);
        assert!(
            f.fd_ranges
                .iter()
                .all(|r| r.container == Container::RubyArray)
        );
    }

    #[test]
    fn fd_names() {
        for n in [
            "MAXFD", "MAX_FD", "max_fd", "maxfd", "OPEN_MAX", "fd_limit", "nofile",
        ] {
            assert!(names_fds(n), "{n}");
        }
        for n in ["N", "MAX", "SIZE", "buffer", "offset", "default"] {
            assert!(!names_fds(n), "{n}");
        }
    }

    #[test]
    fn negatives_have_no_facts() {
        for src in [
            "Dir.children('/proc/self/fd').each { |f| IO.for_fd(f.to_i).close rescue nil }",
            "fds.each { |fd| IO.for_fd(fd).close rescue nil }",
            "ObjectSpace.each_object(IO) { |io| io.close }",
            "m = Process.getrlimit(:NOFILE)[1]\n3.upto(m) { |i| IO.for_fd(3).close }",
            "m = Process.getrlimit(:NOFILE)[1]\n3.upto(m) { |fd| io.close }",
            "m = Process.getrlimit(:NOFILE)[1]\n3.upto(m) { |fd| puts fd }",
            "m = Process.getrlimit(:CORE)[1]\n3.upto(m) { |fd| IO.for_fd(fd).close }",
            "m = Process.getrlimit(:NOFILE)\nProcess.setrlimit(:NOFILE, m[1])",
            "s = \"3.upto(Process.getrlimit(:NOFILE)[1]) { |fd| IO.for_fd(fd).close }\"",
            "# 3.upto(Process.getrlimit(:NOFILE)[1]) { |fd| IO.for_fd(fd).close }",
            "def close_range(r)\n  r.each { |x| x.close }\nend",
            "3.upto(n) { |fd| IO.for_fd(fd).close }",
            "m = ENV['M'].to_i\n3.upto(m) { |fd| IO.for_fd(fd).close }",
            "x = x + 1\n3.upto(x) { |fd| IO.for_fd(fd).close }",
            "def a = b\ndef b = a\n3.upto(a) { |fd| IO.for_fd(fd).close }",
            "m = Process.getrlimit(:NOFILE)[1]\nfd = 3\nwhile fd < m\n  IO.for_fd(fd).close\nend",
        ] {
            let f = facts(src);
            assert!(
                f.close_loops.is_empty() && f.fd_ranges.is_empty(),
                "{src}: {f:#?}"
            );
        }
    }

    #[test]
    fn parameters_shadow_helper_methods() {
        let src = "def max\n  Process.getrlimit(:NOFILE)[1]\nend\ndef a(max)\n  3.upto(max) { |fd| IO.for_fd(fd).close }\nend\ndef b\n  [1].each { |max| 3.upto(max) { |fd| IO.for_fd(fd).close } }\nend\n3.upto(max) { |fd| IO.for_fd(fd).close }\n";
        let f = facts(src);
        assert_eq!(f.close_loops.len(), 1, "{f:#?}");
        assert_eq!(f.close_loops[0].bound.via.as_deref(), Some("max"));
    }

    #[test]
    fn locals_do_not_leak_between_methods() {
        let src = "def a\n  lim = Process.getrlimit(:NOFILE)[1]\nend\ndef b\n  3.upto(lim) { |fd| IO.for_fd(fd).close }\nend\n";
        assert!(facts(src).close_loops.is_empty());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 20_000;
        let mut src = String::from("x = ");
        src.push_str(&"[".repeat(depth));
        src.push_str(&"]".repeat(depth));
        src.push_str(
            "\nm = Process.getrlimit(:NOFILE)[1]\n3.upto(m) { |fd| IO.for_fd(fd).close }\n",
        );
        let f = facts(&src);
        assert_eq!(f.close_loops.len(), 1);
        let mut src = String::from("m = ");
        src.push_str(&"(".repeat(depth));
        src.push_str("Process.getrlimit(:NOFILE)[1]");
        src.push_str(&")".repeat(depth));
        src.push_str("\n3.upto(m) { |fd| IO.for_fd(fd).close }\n");
        let _ = facts(&src);
    }

    #[test]
    fn broken_input_reports_syntax_errors() {
        let src = "def a\n  m = Process.getrlimit(:NOFILE)[1]\n  3.upto(m) { |fd| IO.for_fd(fd).close }\nend\ndef b(\n  [1, 2\n";
        let f = facts(src);
        assert!(!f.syntax_errors.is_empty());
        let _ = facts("\u{0}\u{ffff}(((( 3.upto( { |");
    }

    #[test]
    fn query_style() {
        for (name, src) in QUERY_FILES {
            for (i, line) in src.lines().enumerate() {
                let t = line.trim_start();
                let indent = line.len() - t.len();
                assert!(indent % 2 == 0, "{name}:{}: odd indent", i + 1);
                assert!(!line.contains('\t'), "{name}:{}: tab", i + 1);
                for p in ["#not-", "#set!", "#is?", "#is-not?", "#select-adjacent!"] {
                    assert!(!t.contains(p), "{name}:{}: predicate {p}", i + 1);
                }
            }
        }
        let _ = compiled();
    }
}
