//! Bindings: the file's `Ctx` (source, tree, the bindings and methods found so far), the
//! scopes and conditions a binding lives in, and the per-name lookup of assignments and
//! parameter defaults (`index_name`; `queries/ruby/bindings.scm` is its tested specification).
//! Also the small syntax helpers every concern uses (`statements`, `args`, `method_name`).

use super::*;

/// One value a name is given somewhere.
#[derive(Clone, Copy)]
pub(super) struct Binding<'t> {
    /// The assignment (or parameter) node: its end is where the value becomes visible.
    pub(super) node: Node<'t>,
    pub(super) value: Node<'t>,
    /// Position in a multiple assignment (`soft, hard = ...`).
    pub(super) index: Option<usize>,
    /// Whether the assignment may not run on the way to a later use (inside a branch, a rescue,
    /// a loop or a block; `||=`), so that it does not hide earlier assignments.
    pub(super) conditional: bool,
}

pub(super) struct Ctx<'t> {
    pub(super) src: &'t str,
    pub(super) root: Node<'t>,
    /// Local variables, per scope node id and name, in document order; filled per name on
    /// first lookup (`index_name`).
    pub(super) locals: RefCell<HashMap<(usize, String), Vec<Binding<'t>>>>,
    /// Constants and instance, class and global variables: one namespace for the whole file.
    pub(super) globals: RefCell<HashMap<String, Vec<Binding<'t>>>>,
    /// Names whose bindings are in `locals`/`globals`.
    pub(super) indexed: RefCell<std::collections::HashSet<String>>,
    /// Method definitions by name (`index_methods`).
    pub(super) methods: HashMap<String, Vec<Node<'t>>>,
    /// Expression steps the spawn resolvers may still take for the current call, so that names
    /// that share subexpressions cannot make the work exponential.
    pub(super) spawn_steps: std::cell::Cell<u32>,
    /// `platform::Ctx::called_only_on_windows` per method node id.
    pub(super) windows_methods: RefCell<HashMap<usize, bool>>,
    /// `spawn::Ctx::hash_use` per scope and local name.
    pub(super) spawn_hash_uses: RefCell<HashMap<(usize, String), spawn::HashUse>>,
    /// The file's work budget: every resolution step takes one.
    pub(super) budget: &'t crate::lang::Budget,
    /// The value of a binding, by (binding node id, names followed, expression depth): the
    /// same binding reached again at the same depths is not resolved again. A name bound
    /// several times from a name bound several times ... made the work exponential.
    pub(super) resolved: RefCell<HashMap<(usize, u32, u32), Val>>,
    /// The lowest index of `visiting` that a cycle cut made a `Cycle` for, in the resolution
    /// under way: a value that depends on an outer binding's cut is not kept in `resolved`.
    pub(super) cut_at: std::cell::Cell<usize>,
}

pub(super) const SCOPE_KINDS: &[&str] = &[
    "method",
    "singleton_method",
    "class",
    "module",
    "singleton_class",
    "program",
];

/// Constructs under which an assignment may be skipped.
pub(super) const CONDITIONAL_KINDS: &[&str] = &[
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
pub(super) fn scope_and_condition<'t>(root: Node<'t>, node: Node<'t>) -> (Option<Node<'t>>, bool) {
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

/// The binding `node` (a name where it occurs) makes, as `queries/ruby/bindings.scm` defines
/// them: (target, assignment or parameter node, value, position in a multiple assignment,
/// conditional `||=`/`&&=`).
#[allow(clippy::type_complexity)]
pub(super) fn binding_at(node: Node) -> Option<(Node, Node, Node, Option<usize>, bool)> {
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
pub(super) fn statements(node: Node) -> Vec<Node> {
    let mut cur = node.walk();
    node.named_children(&mut cur)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// The expressions whose value a body (method body, `begin`, `then`) evaluates to: its last
/// statement and the last statement of each `rescue` clause.
pub(super) fn value_exprs(node: Node) -> Vec<Node> {
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

pub(super) fn int_lit(node: Node, src: &str) -> Option<u64> {
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
pub(super) fn const_name<'a>(node: Node, src: &'a str) -> Option<&'a str> {
    match node.kind() {
        "constant" => Some(ts::text(node, src)),
        "scope_resolution" => node
            .child_by_field_name("name")
            .filter(|n| n.kind() == "constant")
            .map(|n| ts::text(n, src)),
        _ => None,
    }
}

pub(super) fn method_name<'a>(call: Node, src: &'a str) -> &'a str {
    call.child_by_field_name("method")
        .map(|m| ts::text(m, src))
        .unwrap_or("")
}

pub(super) fn args(call: Node) -> Vec<Node> {
    match call.child_by_field_name("arguments") {
        Some(a) => statements(a),
        None => Vec::new(),
    }
}

impl<'t> Ctx<'t> {
    pub(super) fn new(src: &'t str, root: Node<'t>, budget: &'t crate::lang::Budget) -> Self {
        Ctx {
            src,
            root,
            locals: RefCell::new(HashMap::new()),
            globals: RefCell::new(HashMap::new()),
            indexed: RefCell::new(std::collections::HashSet::new()),
            methods: HashMap::new(),
            spawn_steps: std::cell::Cell::new(0),
            spawn_hash_uses: RefCell::new(HashMap::new()),
            windows_methods: RefCell::new(HashMap::new()),
            budget,
            resolved: RefCell::new(HashMap::new()),
            cut_at: std::cell::Cell::new(usize::MAX),
        }
    }

    pub(super) fn text(&self, node: Node) -> &'t str {
        ts::text(node, self.src)
    }

    /// The nearest `SCOPE_KINDS` ancestor of `node`.
    pub(super) fn scope_of(&self, node: Node<'t>) -> Option<Node<'t>> {
        scope_and_condition(self.root, node).0
    }

    /// Every method definition, by name: the `method`/`singleton_method` parent of each `def`.
    pub(super) fn index_methods(&mut self) {
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
    pub(super) fn local_bindings(&self, scope: usize, name: &str) -> Option<Vec<Binding<'t>>> {
        self.index_name(name);
        self.locals
            .borrow()
            .get(&(scope, name.to_string()))
            .cloned()
    }

    /// The bindings of a constant or an instance, class or global variable, in document order.
    pub(super) fn global_bindings(&self, name: &str) -> Option<Vec<Binding<'t>>> {
        self.index_name(name);
        self.globals.borrow().get(name).cloned()
    }

    /// Collect every binding of `name` (what `queries/ruby/bindings.scm` matches for it), once:
    /// each whole-word occurrence of the name is looked up in the tree, and kept when it is the
    /// target of an assignment (plain, `||=`/`&&=`, or a position of a multiple assignment
    /// before any `*rest`), or a parameter with a default.
    pub(super) fn index_name(&self, name: &str) {
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

    pub(super) fn add_binding(
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
}
