//! Spawn options through the data flow of the function (or module) that makes the call:
//! `close_fds=close_fds` takes the values the variable holds on the POSIX paths that reach the
//! call, and `**kwargs` the `close_fds` key of the options a path builds (`{...}`,
//! `dict(close_fds=False)`, `kwargs["close_fds"] = False`, `update`/`setdefault`/`pop`/`del`,
//! `.copy()`, a same-file helper's `return`s).
//!
//! The walk is a small abstract interpretation over the statements, in order: an assignment
//! replaces the tracked value on every path; each `if` branch that can run on POSIX
//! (`platform.rs`) is walked from the same state and the results are joined; a branch that
//! returns or raises ends its paths; a loop body is walked once from its entry state joined
//! with every value the body assigns (what a later iteration can bring back), so the walk stays
//! linear. A parameter is `Unknown` on entry, unless its default is a literal `True`/`False`:
//! that is its value on the path where callers omit it (pwntools' `def __init__(...,
//! close_fds=True)` then `Popen(..., close_fds=close_fds)` on Python 2), a global
//! takes what the module holds after its top level has run, anything else fdlint cannot read
//! is `Unknown`. A call is then `close_fds=False` when any path gives `False` (reported at the
//! assignment that set it), `True` or absent only when every path agrees, else unknown, which
//! no rule reports.

use super::platform::GuardMemo;
use super::*;
use crate::facts::Stage;

/// How many names a value is followed through.
const MAX_FLOW_DEPTH: u32 = 8;

/// How many nested blocks the walk enters (Python itself stops at 100 indentation levels).
const MAX_NESTING: u32 = 100;

/// What one path gives the call's `close_fds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opt {
    /// An options dict without the key: the API's default.
    Absent,
    Lit(bool, Span),
    Unknown,
}

/// Whether the tracked name is the flag itself or an options dict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Mode {
    Flag,
    Options,
}

/// The values the tracked name holds on the live POSIX paths at a point (none: no path).
type State = Vec<Opt>;

fn join(a: &mut State, b: &[Opt]) {
    for v in b {
        if !a.contains(v) {
            a.push(*v);
        }
    }
}

fn within(n: Node, sp: Span) -> bool {
    n.start_byte() <= sp.start && sp.end <= n.end_byte()
}

/// The option the call gets from the values of every path (see the module doc).
fn to_option(vals: &[Opt], given: Span) -> FdOption {
    if let Some(span) = vals
        .iter()
        .filter_map(|v| match v {
            Opt::Lit(false, s) => Some(*s),
            _ => None,
        })
        .min()
    {
        return FdOption::Literal { value: false, span };
    }
    if let Some(Opt::Lit(true, span)) = vals.first()
        && vals.iter().all(|v| matches!(v, Opt::Lit(true, _)))
    {
        return FdOption::Literal {
            value: true,
            span: *span,
        };
    }
    if !vals.is_empty() && vals.iter().all(|v| *v == Opt::Absent) {
        return FdOption::Absent;
    }
    FdOption::Unknown { span: given }
}

/// One walk's target: the name, what it is, and the point whose state is wanted.
struct Walk<'t> {
    name: &'t str,
    mode: Mode,
    site: Option<Span>,
    depth: u32,
    at_site: Option<State>,
    /// States carried out of the innermost loop by `break`/`continue`.
    escaped: Vec<State>,
    /// How many blocks deep the walk is.
    nest: u32,
}

/// What the option flow keeps for a whole file: values per (use site, mode), and per (name,
/// mode) the state before each top-level statement, so module-level calls do not each walk
/// the module from its start.
#[derive(Debug, Default)]
pub(super) struct FlowCache {
    memo: HashMap<(usize, Mode), State>,
    guards: GuardMemo,
    prefixes: HashMap<(String, Mode), std::rc::Rc<ModulePrefix>>,
}

/// The state before each top-level statement (start, end, state), and after the last.
#[derive(Debug)]
struct ModulePrefix {
    before: Vec<(usize, usize, State)>,
    after: State,
}

/// The option flow for one file's spawn calls.
pub(super) struct OptionFlow<'r, 'c, 't> {
    r: &'r mut Resolver<'t>,
    cache: &'c mut FlowCache,
}

impl<'r, 'c, 't> OptionFlow<'r, 'c, 't> {
    pub(super) fn new(r: &'r mut Resolver<'t>, cache: &'c mut FlowCache) -> Self {
        OptionFlow { r, cache }
    }

    /// The module-level states of `name` (see `FlowCache`).
    fn prefix(&mut self, name: &'t str, mode: Mode, depth: u32) -> std::rc::Rc<ModulePrefix> {
        let key = (name.to_string(), mode);
        if let Some(p) = self.cache.prefixes.get(&key) {
            return std::rc::Rc::clone(p);
        }
        let root = self.r.root;
        let mut w = Walk {
            name,
            mode,
            site: None,
            depth,
            at_site: None,
            escaped: Vec::new(),
            nest: 1,
        };
        let mut c = root.walk();
        let stmts: Vec<Node<'t>> = root.named_children(&mut c).collect();
        let mut state = Vec::new();
        let mut before = Vec::with_capacity(stmts.len());
        for s in stmts {
            before.push((s.start_byte(), s.end_byte(), state.clone()));
            state = self.statement(&mut w, s, state);
        }
        let p = std::rc::Rc::new(ModulePrefix {
            before,
            after: state,
        });
        self.cache.prefixes.insert(key, std::rc::Rc::clone(&p));
        p
    }

    /// The state of a module-level name at `site`, from the module's prefix states.
    fn module_at(&mut self, name: &'t str, mode: Mode, site: Option<Span>, depth: u32) -> State {
        let p = self.prefix(name, mode, depth);
        let Some(site) = site else {
            return p.after.clone();
        };
        let i = p
            .before
            .partition_point(|(start, _, _)| *start <= site.start);
        let Some((start, end, state)) = i.checked_sub(1).map(|i| p.before[i].clone()) else {
            return vec![Opt::Unknown];
        };
        if site.end > end {
            return vec![Opt::Unknown];
        }
        let root = self.r.root;
        let Some(stmt) = root.descendant_for_byte_range(start, end).map(|mut n| {
            while n.start_byte() != start || n.end_byte() != end {
                match n.parent() {
                    Some(p) => n = p,
                    None => break,
                }
            }
            n
        }) else {
            return vec![Opt::Unknown];
        };
        let mut w = Walk {
            name,
            mode,
            site: Some(site),
            depth,
            at_site: None,
            escaped: Vec::new(),
            nest: 1,
        };
        self.statement(&mut w, stmt, state);
        w.at_site.unwrap_or_default()
    }

    /// `close_fds=<value>`: the option the call gets. `given` is the keyword argument.
    pub(super) fn flag(&mut self, value: Node<'t>, given: Span) -> FdOption {
        let vals = self.flag_value(value, 0);
        to_option(&vals, given)
    }

    /// `**<value>`: the option the call gets from the splatted options.
    pub(super) fn options(&mut self, value: Node<'t>, given: Span) -> FdOption {
        let vals = self.dict_value(value, 0);
        to_option(&vals, given)
    }

    /// The values of a `close_fds` expression on POSIX.
    fn flag_value(&mut self, n: Node<'t>, depth: u32) -> State {
        if depth > MAX_FLOW_DEPTH || !self.r.budget.step(Stage::Resolve) {
            return vec![Opt::Unknown];
        }
        let d = depth + 1;
        match n.kind() {
            "true" => vec![Opt::Lit(true, span(n))],
            "false" => vec![Opt::Lit(false, span(n))],
            "integer" => match self.r.text(n) {
                "1" => vec![Opt::Lit(true, span(n))],
                "0" => vec![Opt::Lit(false, span(n))],
                _ => vec![Opt::Unknown],
            },
            "parenthesized_expression" => match n.named_child(0) {
                Some(inner) => self.flag_value(inner, d),
                None => vec![Opt::Unknown],
            },
            "identifier" => self.name_at(n, Mode::Flag, d),
            "not_operator" => match n.child_by_field_name("argument") {
                Some(a) => match self.r.platform_test(a) {
                    Some(w) => vec![Opt::Lit(w, span(n))],
                    None => self
                        .flag_value(a, d)
                        .into_iter()
                        .map(|v| match v {
                            Opt::Lit(b, _) => Opt::Lit(!b, span(n)),
                            other => other,
                        })
                        .collect(),
                },
                None => vec![Opt::Unknown],
            },
            "conditional_expression" => self.choice(n, Mode::Flag, d),
            _ => match self.r.platform_test(n) {
                // `sys.platform != "win32"` is True on POSIX, `os.name == "nt"` False.
                Some(w) => vec![Opt::Lit(!w, span(n))],
                None => vec![Opt::Unknown],
            },
        }
    }

    /// `a if test else b`: the branch POSIX takes, or both.
    fn choice(&mut self, n: Node<'t>, mode: Mode, d: u32) -> State {
        let mut c = n.walk();
        let parts: Vec<Node<'t>> = n.named_children(&mut c).collect();
        let [a, test, b] = parts.as_slice() else {
            return vec![Opt::Unknown];
        };
        let value = |me: &mut Self, x: Node<'t>| match mode {
            Mode::Flag => me.flag_value(x, d),
            Mode::Options => me.dict_value(x, d),
        };
        match self.r.platform_test(*test) {
            Some(true) => value(self, *b),
            Some(false) => value(self, *a),
            None => {
                let mut out = value(self, *a);
                let other = value(self, *b);
                join(&mut out, &other);
                out
            }
        }
    }

    /// The `close_fds` key of an options expression, per path.
    fn dict_value(&mut self, n: Node<'t>, depth: u32) -> State {
        if depth > MAX_FLOW_DEPTH || !self.r.budget.step(Stage::Resolve) {
            return vec![Opt::Unknown];
        }
        let d = depth + 1;
        match n.kind() {
            "dictionary" => {
                let mut cur = vec![Opt::Absent];
                let mut c = n.walk();
                let els: Vec<Node<'t>> = n.named_children(&mut c).collect();
                for el in els {
                    match el.kind() {
                        "pair" => {
                            let (Some(k), Some(v)) = (
                                el.child_by_field_name("key"),
                                el.child_by_field_name("value"),
                            ) else {
                                continue;
                            };
                            match string_value(k, self.r.src) {
                                Some("close_fds") => cur = self.flag_value(v, d),
                                Some(_) => {}
                                None => cur = vec![Opt::Unknown],
                            }
                        }
                        "dictionary_splat" => {
                            let inner = match el.named_child(0) {
                                Some(x) => self.dict_value(x, d),
                                None => vec![Opt::Unknown],
                            };
                            cur = overlay(&cur, &inner);
                        }
                        "comment" => {}
                        _ => cur = vec![Opt::Unknown],
                    }
                }
                cur
            }
            "parenthesized_expression" => match n.named_child(0) {
                Some(inner) => self.dict_value(inner, d),
                None => vec![Opt::Unknown],
            },
            "identifier" => self.name_at(n, Mode::Options, d),
            "conditional_expression" => self.choice(n, Mode::Options, d),
            "call" => self.dict_call(n, d),
            _ => vec![Opt::Unknown],
        }
    }

    /// `dict(...)`, `x.copy()`, `copy.copy(x)`, or a same-file helper returning options.
    fn dict_call(&mut self, n: Node<'t>, d: u32) -> State {
        let (Some(func), Some(args)) = (
            n.child_by_field_name("function"),
            n.child_by_field_name("arguments"),
        ) else {
            return vec![Opt::Unknown];
        };
        let mut c = args.walk();
        let args: Vec<Node<'t>> = args
            .named_children(&mut c)
            .filter(|a| a.kind() != "comment")
            .collect();
        let ft = self.r.text(func);
        match ft {
            "dict" => {
                let mut cur = vec![Opt::Absent];
                for a in args {
                    match a.kind() {
                        "keyword_argument" => {
                            let (Some(k), Some(v)) = (
                                a.child_by_field_name("name"),
                                a.child_by_field_name("value"),
                            ) else {
                                continue;
                            };
                            if self.r.text(k) == "close_fds" {
                                cur = self.flag_value(v, d);
                            }
                        }
                        "dictionary_splat" => {
                            let inner = match a.named_child(0) {
                                Some(x) => self.dict_value(x, d),
                                None => vec![Opt::Unknown],
                            };
                            cur = overlay(&cur, &inner);
                        }
                        _ => cur = overlay(&cur, &self.dict_value(a, d)),
                    }
                }
                cur
            }
            "copy.copy" | "copy.deepcopy" if args.len() == 1 => self.dict_value(args[0], d),
            _ if func.kind() == "attribute" && args.is_empty() => {
                let attr = func
                    .child_by_field_name("attribute")
                    .map(|a| self.r.text(a));
                match (attr, func.child_by_field_name("object")) {
                    (Some("copy"), Some(obj)) => self.dict_value(obj, d),
                    _ => vec![Opt::Unknown],
                }
            }
            _ if func.kind() == "identifier" => {
                let Some(defs) = self.r.function_defs(ft).cloned() else {
                    return vec![Opt::Unknown];
                };
                let mut out = Vec::new();
                for def in defs {
                    let Some(body) = def.child_by_field_name("body") else {
                        continue;
                    };
                    for r in returns(body) {
                        if self.r.windows_only(span(r), &mut self.cache.guards) {
                            continue;
                        }
                        match r.named_child(0) {
                            Some(e) => {
                                let v = self.dict_value(e, d);
                                join(&mut out, &v);
                            }
                            None => join(&mut out, &[Opt::Unknown]),
                        }
                    }
                }
                if out.is_empty() {
                    vec![Opt::Unknown]
                } else {
                    out
                }
            }
            _ => vec![Opt::Unknown],
        }
    }

    /// The values of the name `use_site` reads, on the POSIX paths that reach it.
    fn name_at(&mut self, use_site: Node<'t>, mode: Mode, depth: u32) -> State {
        let key = (use_site.start_byte(), mode);
        if let Some(v) = self.cache.memo.get(&key) {
            return v.clone();
        }
        // A cycle (`a = b`, `b = a`) reads as unknown.
        self.cache.memo.insert(key, vec![Opt::Unknown]);
        let v = self.name_at_uncached(use_site, mode, depth);
        let v = if v.is_empty() { vec![Opt::Unknown] } else { v };
        self.cache.memo.insert(key, v.clone());
        v
    }

    fn name_at_uncached(&mut self, use_site: Node<'t>, mode: Mode, depth: u32) -> State {
        let name = self.r.text(use_site);
        let scope = self.r.scope_of(use_site);
        let site = Some(span(use_site));
        if scope.kind() == "function_definition" {
            let Some(body) = scope.child_by_field_name("body") else {
                return vec![Opt::Unknown];
            };
            let defs = self.r.defs_in(scope, name);
            if !defs.is_empty() {
                // A parameter with a literal default holds it on the path where callers omit
                // it (`def __init__(self, close_fds=True)` on Python 2 loops to SC_OPEN_MAX
                // there), any other parameter is unknown on entry; a local is unbound until
                // assigned.
                let entry = if is_parameter(scope, name, self.r.src) {
                    match (mode, literal_default(scope, name, self.r.src)) {
                        (Mode::Flag, Some(lit)) => vec![lit],
                        _ => vec![Opt::Unknown],
                    }
                } else {
                    Vec::new()
                };
                return self.walk(body, name, mode, site, entry, depth);
            }
            if self.r.scope_of(scope).kind() != "module" {
                return vec![Opt::Unknown];
            }
            // A global: what the module holds once its top level has run.
            if self.r.defs_in(self.r.root, name).is_empty() {
                return vec![Opt::Unknown];
            }
            return self.module_at(name, mode, None, depth);
        }
        if self.r.defs_in(self.r.root, name).is_empty() {
            return vec![Opt::Unknown];
        }
        self.module_at(name, mode, site, depth)
    }

    /// Walk `block` for `name`: the state at `site`, or after the block when there is none.
    fn walk(
        &mut self,
        block: Node<'t>,
        name: &'t str,
        mode: Mode,
        site: Option<Span>,
        entry: State,
        depth: u32,
    ) -> State {
        let mut w = Walk {
            name,
            mode,
            site,
            depth,
            at_site: None,
            escaped: Vec::new(),
            nest: 0,
        };
        let after = self.block(&mut w, block, entry);
        match site {
            Some(_) => w.at_site.unwrap_or_default(),
            None => after,
        }
    }

    fn block(&mut self, w: &mut Walk<'t>, block: Node<'t>, state: State) -> State {
        // Statements nested deeper than any real code: unknown, and no deeper recursion.
        if w.nest >= MAX_NESTING {
            if Self::site_in(w, block) {
                w.at_site = Some(vec![Opt::Unknown]);
            }
            return vec![Opt::Unknown];
        }
        w.nest += 1;
        let out = self.block_statements(w, block, state);
        w.nest -= 1;
        out
    }

    fn block_statements(&mut self, w: &mut Walk<'t>, block: Node<'t>, mut state: State) -> State {
        let mut c = block.walk();
        let stmts: Vec<Node<'t>> = block.named_children(&mut c).collect();
        for s in stmts {
            if w.at_site.is_some() {
                break;
            }
            state = self.statement(w, s, state);
        }
        state
    }

    fn site_in(w: &Walk, n: Node) -> bool {
        w.site.is_some_and(|sp| within(n, sp))
    }

    fn statement(&mut self, w: &mut Walk<'t>, s: Node<'t>, state: State) -> State {
        // A step per statement, and more for a long one (its text is searched for the name).
        let cost = 1 + (s.end_byte() - s.start_byte()) as u64 / 4096;
        if !self.r.budget.steps_n(Stage::Resolve, cost) {
            if Self::site_in(w, s) {
                w.at_site = Some(vec![Opt::Unknown]);
            }
            return vec![Opt::Unknown];
        }
        let here = Self::site_in(w, s);
        match s.kind() {
            "if_statement" => {
                if s.child_by_field_name("condition")
                    .is_some_and(|c| Self::site_in(w, c))
                {
                    w.at_site = Some(state);
                    return Vec::new();
                }
                let b = self.r.posix_branches(s);
                let mut out = Vec::new();
                for (body, live) in b.branches {
                    if Self::site_in(w, body) {
                        if live {
                            self.block(w, body, state.clone());
                        }
                        // A call in a Windows-only branch has no POSIX value (and no fact).
                        w.at_site.get_or_insert_with(Vec::new);
                        return Vec::new();
                    }
                    if live {
                        let v = self.block(w, body, state.clone());
                        join(&mut out, &v);
                    }
                }
                if b.fallthrough {
                    join(&mut out, &state);
                }
                out
            }
            "for_statement" | "while_statement" => {
                let body = s.child_by_field_name("body");
                if !body.is_some_and(|b| Self::site_in(w, b))
                    && s.child_by_field_name("alternative")
                        .is_none_or(|a| !Self::site_in(w, a))
                    && here
                {
                    // In the loop's header.
                    w.at_site = Some(state);
                    return Vec::new();
                }
                let Some(body) = body else {
                    return state;
                };
                let mut entry = state;
                let assigned = self.assigned_in(w, body);
                join(&mut entry, &assigned);
                if matches!(s.kind(), "for_statement")
                    && s.child_by_field_name("left")
                        .is_some_and(|l| self.r.text(l) == w.name)
                {
                    join(&mut entry, &[Opt::Unknown]);
                }
                w.escaped.push(Vec::new());
                let after_body = self.block(w, body, entry.clone());
                let escaped = w.escaped.pop().unwrap_or_default();
                if w.at_site.is_some() {
                    return Vec::new();
                }
                let mut after = entry;
                join(&mut after, &after_body);
                let mut out = match s
                    .child_by_field_name("alternative")
                    .and_then(|a| a.child_by_field_name("body"))
                {
                    Some(alt) => self.block(w, alt, after),
                    None => after,
                };
                join(&mut out, &escaped);
                out
            }
            "try_statement" => self.try_statement(w, s, state),
            "with_statement" => match s.child_by_field_name("body") {
                Some(body) if Self::site_in(w, body) || !here => {
                    if self.binds_in_header(w, s) {
                        return self.block(w, body, vec![Opt::Unknown]);
                    }
                    self.block(w, body, state)
                }
                _ => {
                    w.at_site = Some(state);
                    Vec::new()
                }
            },
            "match_statement" => {
                let mut out = state.clone();
                let mut cases = Vec::new();
                ts::walk(s, |n| match n.kind() {
                    "case_clause" => {
                        cases.push(n);
                        false
                    }
                    "match_statement" if n != s => false,
                    _ => true,
                });
                for case in cases {
                    if let Some(body) = case.child_by_field_name("consequence") {
                        let v = self.block(w, body, state.clone());
                        if w.at_site.is_some() {
                            return Vec::new();
                        }
                        join(&mut out, &v);
                    }
                }
                if here && w.at_site.is_none() {
                    w.at_site = Some(state);
                }
                out
            }
            "class_definition" | "decorated_definition" | "function_definition" => {
                if here {
                    match s.child_by_field_name("body").or_else(|| {
                        s.child_by_field_name("definition")
                            .filter(|d| d.kind() == "class_definition")
                            .and_then(|d| d.child_by_field_name("body"))
                    }) {
                        Some(body) if s.kind() != "function_definition" => {
                            self.block(w, body, state);
                        }
                        _ => w.at_site = Some(vec![Opt::Unknown]),
                    }
                    return Vec::new();
                }
                state
            }
            "return_statement" | "raise_statement" => {
                if here {
                    w.at_site = Some(state);
                }
                Vec::new()
            }
            "break_statement" | "continue_statement" => {
                if let Some(e) = w.escaped.last_mut() {
                    join(e, &state);
                }
                Vec::new()
            }
            _ => {
                if here {
                    w.at_site = Some(state);
                    return Vec::new();
                }
                let (exits, _) = self.r.statement_exits(s, 0);
                if exits {
                    return Vec::new();
                }
                self.transfer(w, s, state)
            }
        }
    }

    /// `with open(x) as name:` rebinds the tracked name.
    fn binds_in_header(&self, w: &Walk<'t>, s: Node<'t>) -> bool {
        let mut found = false;
        let src = self.r.src;
        let name = w.name;
        let mut c = s.walk();
        let children: Vec<Node<'t>> = s.children(&mut c).collect();
        for ch in children {
            if ch.kind() == "with_clause" {
                ts::walk(ch, |n| {
                    if n.kind() == "as_pattern_target" && text(n, src) == name {
                        found = true;
                    }
                    !found
                });
            }
        }
        found
    }

    fn try_statement(&mut self, w: &mut Walk<'t>, s: Node<'t>, state: State) -> State {
        let Some(body) = s.child_by_field_name("body") else {
            return state;
        };
        let posix_imports = posix_only_imports(body, self.r.src);
        let after_body = self.block(w, body, state.clone());
        if w.at_site.is_some() {
            return Vec::new();
        }
        // A handler may start from any point of the body.
        let mut handler_entry = state;
        join(&mut handler_entry, &after_body);
        let assigned = self.assigned_in(w, body);
        join(&mut handler_entry, &assigned);
        let mut out = Vec::new();
        let mut finally = None;
        let mut normal = after_body;
        let mut c = s.walk();
        let clauses: Vec<Node<'t>> = s.named_children(&mut c).collect();
        for cl in clauses {
            match cl.kind() {
                "except_clause" | "except_group_clause" => {
                    // `try: import fcntl` / `except ImportError:` runs only where fcntl is
                    // missing: Windows.
                    if posix_imports && catches_import_error(cl, self.r.src) {
                        if Self::site_in(w, cl) {
                            w.at_site = Some(Vec::new());
                            return Vec::new();
                        }
                        continue;
                    }
                    let Some(hb) = block_child(cl) else {
                        continue;
                    };
                    let v = self.block(w, hb, handler_entry.clone());
                    if w.at_site.is_some() {
                        return Vec::new();
                    }
                    join(&mut out, &v);
                }
                "else_clause" => {
                    if let Some(b) = cl.child_by_field_name("body") {
                        normal = self.block(w, b, normal);
                        if w.at_site.is_some() {
                            return Vec::new();
                        }
                    }
                }
                "finally_clause" => finally = block_child(cl),
                _ => {}
            }
        }
        join(&mut out, &normal);
        match finally {
            Some(f) => self.block(w, f, out),
            None => out,
        }
    }

    /// Every value a body may assign to the tracked name (for loop and `try` entry states).
    fn assigned_in(&mut self, w: &Walk<'t>, body: Node<'t>) -> State {
        let src = self.r.src;
        let name = w.name;
        let mut stmts = Vec::new();
        ts::walk(body, |n| match n.kind() {
            "function_definition" | "class_definition" | "lambda" => false,
            "expression_statement" | "delete_statement" => {
                if ts_mentions(n, name, src) {
                    stmts.push(n);
                }
                false
            }
            _ => true,
        });
        let mut out = Vec::new();
        for s in stmts {
            let mut probe = Walk {
                name,
                mode: w.mode,
                site: None,
                depth: w.depth,
                at_site: None,
                escaped: Vec::new(),
                nest: 0,
            };
            // What the statement leaves when it changes the name; a statement that leaves
            // the name alone gives back the marker it was handed.
            let marker = Opt::Lit(true, Span::new(usize::MAX, usize::MAX));
            let v = self.transfer(&mut probe, s, vec![marker]);
            let v: State = v.into_iter().filter(|x| *x != marker).collect();
            join(&mut out, &v);
        }
        out
    }

    /// The effect of a simple statement on the tracked name.
    fn transfer(&mut self, w: &mut Walk<'t>, s: Node<'t>, state: State) -> State {
        let src = self.r.src;
        if !ts_mentions(s, w.name, src) {
            return state;
        }
        let d = w.depth + 1;
        let first = s.named_child(0);
        match (s.kind(), first.map(|f| f.kind())) {
            ("expression_statement", Some("assignment")) => {
                let a = first.expect("matched");
                let mut targets = Vec::new();
                let mut right = a;
                while right.kind() == "assignment" {
                    if let Some(l) = right.child_by_field_name("left") {
                        targets.push(l);
                    }
                    match right.child_by_field_name("right") {
                        Some(r) => right = r,
                        None => return vec![Opt::Unknown],
                    }
                }
                let mut state = state;
                for t in targets {
                    match t.kind() {
                        "identifier" if text(t, src) == w.name => {
                            state = match w.mode {
                                Mode::Flag => self.flag_value(right, d),
                                Mode::Options => self.dict_value(right, d),
                            };
                        }
                        "pattern_list" | "tuple_pattern" | "list_pattern"
                            if ts_mentions(t, w.name, src) =>
                        {
                            state = vec![Opt::Unknown];
                        }
                        "subscript" if w.mode == Mode::Options => {
                            let (Some(obj), Some(key)) = (
                                t.child_by_field_name("value"),
                                t.child_by_field_name("subscript"),
                            ) else {
                                continue;
                            };
                            if obj.kind() != "identifier" || text(obj, src) != w.name {
                                continue;
                            }
                            match string_value(key, src) {
                                Some("close_fds") => state = self.flag_value(right, d),
                                Some(_) => {}
                                None => state = vec![Opt::Unknown],
                            }
                        }
                        _ => {}
                    }
                }
                // The value may also pass the dict to a call (`x = f(kwargs)`).
                if w.mode == Mode::Options && self.passes_on(right, w.name) {
                    return vec![Opt::Unknown];
                }
                state
            }
            ("expression_statement", Some("augmented_assignment")) => {
                let a = first.expect("matched");
                match a.child_by_field_name("left") {
                    Some(l) if text(l, src) == w.name => vec![Opt::Unknown],
                    _ => state,
                }
            }
            ("delete_statement", _) if w.mode == Mode::Options => {
                let mut out = state;
                ts::walk(s, |n| {
                    if n.kind() == "subscript"
                        && n.child_by_field_name("value")
                            .is_some_and(|v| text(v, src) == w.name)
                    {
                        out = match n
                            .child_by_field_name("subscript")
                            .and_then(|k| string_value(k, src))
                        {
                            Some("close_fds") => vec![Opt::Absent],
                            Some(_) => out.clone(),
                            None => vec![Opt::Unknown],
                        };
                        return false;
                    }
                    true
                });
                out
            }
            ("expression_statement", Some("call")) if w.mode == Mode::Options => {
                let call = first.expect("matched");
                self.method_effect(w, call, state)
            }
            _ => {
                if w.mode == Mode::Options && self.passes_on(s, w.name) {
                    return vec![Opt::Unknown];
                }
                state
            }
        }
    }

    /// `kwargs.update(...)`, `setdefault`, `pop`, `clear` on the tracked dict.
    fn method_effect(&mut self, w: &mut Walk<'t>, call: Node<'t>, state: State) -> State {
        let src = self.r.src;
        let d = w.depth + 1;
        let (Some(func), Some(args)) = (
            call.child_by_field_name("function"),
            call.child_by_field_name("arguments"),
        ) else {
            return state;
        };
        let on_name = func.kind() == "attribute"
            && func
                .child_by_field_name("object")
                .is_some_and(|o| o.kind() == "identifier" && text(o, src) == w.name);
        if !on_name {
            return if self.passes_on(call, w.name) {
                vec![Opt::Unknown]
            } else {
                state
            };
        }
        let method = func
            .child_by_field_name("attribute")
            .map(|a| text(a, src))
            .unwrap_or("");
        let mut c = args.walk();
        let args: Vec<Node<'t>> = args
            .named_children(&mut c)
            .filter(|a| a.kind() != "comment")
            .collect();
        let key_is_close_fds = |a: Option<&Node<'t>>| a.and_then(|k| string_value(*k, src));
        match method {
            "update" => {
                let mut cur = state;
                for a in args {
                    match a.kind() {
                        "keyword_argument" => {
                            if a.child_by_field_name("name")
                                .is_some_and(|k| text(k, src) == "close_fds")
                                && let Some(v) = a.child_by_field_name("value")
                            {
                                cur = self.flag_value(v, d);
                            }
                        }
                        _ => {
                            let inner = match a.kind() {
                                "dictionary_splat" => match a.named_child(0) {
                                    Some(x) => self.dict_value(x, d),
                                    None => vec![Opt::Unknown],
                                },
                                _ => self.dict_value(a, d),
                            };
                            cur = overlay(&cur, &inner);
                        }
                    }
                }
                cur
            }
            "setdefault" => match key_is_close_fds(args.first()) {
                Some("close_fds") => {
                    let v = match args.get(1) {
                        Some(v) => self.flag_value(*v, d),
                        None => vec![Opt::Unknown],
                    };
                    let mut out = Vec::new();
                    for p in state {
                        match p {
                            Opt::Absent => join(&mut out, &v),
                            other => join(&mut out, &[other]),
                        }
                    }
                    out
                }
                Some(_) => state,
                None => vec![Opt::Unknown],
            },
            "pop" => match key_is_close_fds(args.first()) {
                Some("close_fds") => vec![Opt::Absent],
                Some(_) => state,
                None => vec![Opt::Unknown],
            },
            "clear" => vec![Opt::Absent],
            "get" | "keys" | "items" | "values" | "copy" | "__contains__" => state,
            _ => vec![Opt::Unknown],
        }
    }

    /// Whether `n` hands the dict named `name` to a call that may change it (`f(kwargs)`,
    /// `f(**kwargs)` elsewhere, `kwargs.update` inside an expression).
    fn passes_on(&self, n: Node<'t>, name: &str) -> bool {
        let src = self.r.src;
        let mut found = false;
        ts::walk(n, |x| {
            if found {
                return false;
            }
            match x.kind() {
                "lambda" | "function_definition" | "class_definition" => false,
                "argument_list" => {
                    let mut c = x.walk();
                    found = x.named_children(&mut c).any(|a| {
                        (a.kind() == "identifier" && text(a, src) == name)
                            || (a.kind() == "dictionary_splat"
                                && a.named_child(0).is_some_and(|i| text(i, src) == name))
                    });
                    true
                }
                "call" => {
                    if let Some(f) = x.child_by_field_name("function")
                        && f.kind() == "attribute"
                        && f.child_by_field_name("object")
                            .is_some_and(|o| o.kind() == "identifier" && text(o, src) == name)
                    {
                        let m = f
                            .child_by_field_name("attribute")
                            .map(|a| text(a, src))
                            .unwrap_or("");
                        if !matches!(m, "get" | "keys" | "items" | "values" | "copy") {
                            found = true;
                        }
                    }
                    true
                }
                _ => true,
            }
        });
        found
    }
}

/// Options `inner` laid over `cur`: a key `inner` has wins, an absent one keeps `cur`'s.
fn overlay(cur: &[Opt], inner: &[Opt]) -> State {
    let mut out = Vec::new();
    for i in inner {
        match i {
            Opt::Absent => join(&mut out, cur),
            other => join(&mut out, &[*other]),
        }
    }
    out
}

/// Whether `name` occurs in `n` as a whole word.
fn ts_mentions(n: Node, name: &str, src: &str) -> bool {
    let t = text(n, src).as_bytes();
    memchr::memmem::find_iter(t, name.as_bytes()).any(|at| {
        let end = at + name.len();
        let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        (at == 0 || !ident(t[at - 1])) && t.get(end).is_none_or(|c| !ident(*c))
    })
}

/// Whether `name` is a parameter of the function `def`.
fn is_parameter(def: Node, name: &str, src: &str) -> bool {
    let Some(params) = def.child_by_field_name("parameters") else {
        return false;
    };
    let mut c = params.walk();
    params.named_children(&mut c).any(|p| {
        let n = match p.kind() {
            "identifier" => Some(p),
            "default_parameter" | "typed_default_parameter" => p.child_by_field_name("name"),
            "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" => {
                p.named_child(0)
            }
            _ => None,
        };
        n.is_some_and(|n| text(n, src) == name)
    })
}

/// The default of parameter `name` of `def` when it is a literal `True`/`False` (`1`/`0`),
/// at the `name=value` that sets it.
fn literal_default(def: Node, name: &str, src: &str) -> Option<Opt> {
    let params = def.child_by_field_name("parameters")?;
    let mut c = params.walk();
    let p = params.named_children(&mut c).find(|p| {
        matches!(p.kind(), "default_parameter" | "typed_default_parameter")
            && p.child_by_field_name("name")
                .is_some_and(|n| text(n, src) == name)
    })?;
    let value = match text(p.child_by_field_name("value")?, src) {
        "True" | "1" => true,
        "False" | "0" => false,
        _ => return None,
    };
    Some(Opt::Lit(value, span(p)))
}

/// The block of an `except`/`finally` clause.
fn block_child(n: Node) -> Option<Node> {
    let mut c = n.walk();
    n.named_children(&mut c).find(|x| x.kind() == "block")
}

/// Modules that exist on POSIX only: importing them fails only on Windows.
const POSIX_ONLY_MODULES: &[&str] = &[
    "fcntl", "termios", "pwd", "grp", "resource", "posix", "tty", "pty", "syslog", "crypt",
];

/// Whether a `try` body does nothing but import POSIX-only modules.
pub(super) fn posix_only_imports(body: Node, src: &str) -> bool {
    let mut c = body.walk();
    let stmts: Vec<Node> = body
        .named_children(&mut c)
        .filter(|s| s.kind() != "comment")
        .collect();
    !stmts.is_empty()
        && stmts.iter().all(|s| {
            s.kind() == "import_statement" && {
                let mut c = s.walk();
                let names: Vec<Node> = s.children_by_field_name("name", &mut c).collect();
                names.iter().all(|n| {
                    let m = match n.kind() {
                        "aliased_import" => n.child_by_field_name("name"),
                        _ => Some(*n),
                    };
                    m.is_some_and(|m| POSIX_ONLY_MODULES.contains(&text(m, src)))
                })
            }
        })
}

/// `except ImportError:` (or `ModuleNotFoundError`, or a tuple of them).
pub(super) fn catches_import_error(clause: Node, src: &str) -> bool {
    let Some(t) = clause.named_child(0).filter(|n| n.kind() != "block") else {
        return false;
    };
    let t = match t.kind() {
        "as_pattern" => match t.named_child(0) {
            Some(x) => x,
            None => return false,
        },
        _ => t,
    };
    let ok = |n: Node| matches!(text(n, src), "ImportError" | "ModuleNotFoundError");
    match t.kind() {
        "tuple" | "parenthesized_expression" => {
            let mut c = t.walk();
            let els: Vec<Node> = t.named_children(&mut c).collect();
            !els.is_empty() && els.into_iter().all(ok)
        }
        _ => ok(t),
    }
}
