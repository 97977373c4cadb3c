//! Bindings and resolution: `Resolver` follows a bound through assignments (function scope,
//! then module scope), unpacking, indexing, `min`/`max`, `int()`, arithmetic, conditionals,
//! `or`, parameter defaults and helper functions' `return`s, with a depth limit and a cycle
//! guard; `combine` merges the values a name takes on different paths. Values are memoised per
//! (name, scope) and every evaluation takes a step of the file's `Budget`.

use std::cell::OnceCell;
use std::rc::Rc;

use super::*;
use crate::facts::Stage;
use crate::lang::Budget;

/// What the resolver knows about a value.
#[derive(Debug, Clone)]
pub(super) enum Val {
    Limit {
        source: LimitSource,
        origin: Span,
        fallbacks: Vec<Fallback>,
        cap: Option<u64>,
    },
    Int {
        value: u64,
        span: Span,
        name: Option<String>,
    },
    /// `getrlimit(RLIMIT_NOFILE)` as a whole: a (soft, hard) pair.
    Pair {
        origin: Span,
    },
    /// Defined out of sight: a parameter, an attribute no assignment shows, a name or
    /// function neither the file nor the project index defines. `name` is the unseen name
    /// (an unresolved bound warns only when it reads as the fd limit).
    Unseen {
        name: String,
    },
    Unknown,
}

/// Merge the values a name can have on different paths.
pub(super) fn combine(vals: Vec<Val>) -> Val {
    let mut limit: Option<Val> = None;
    let mut ints: Vec<(u64, Span, Option<String>)> = Vec::new();
    let mut unknown = false;
    let mut pair = None;
    let mut unseen: Option<String> = None;
    for v in vals {
        match v {
            Val::Limit {
                source,
                origin,
                fallbacks,
                cap,
            } => match &mut limit {
                None => {
                    limit = Some(Val::Limit {
                        source,
                        origin,
                        fallbacks,
                        cap,
                    })
                }
                Some(Val::Limit {
                    fallbacks: fb,
                    cap: c,
                    ..
                }) => {
                    fb.extend(fallbacks);
                    *c = match (*c, cap) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                }
                Some(_) => unreachable!("only limits are stored"),
            },
            Val::Int { value, span, name } => ints.push((value, span, name)),
            Val::Pair { origin } => pair = Some(origin),
            Val::Unseen { name } => {
                unseen.get_or_insert(name);
            }
            Val::Unknown => unknown = true,
        }
    }
    if let Some(Val::Limit {
        source,
        origin,
        mut fallbacks,
        cap,
    }) = limit
    {
        for (value, span, _) in ints {
            if !fallbacks.iter().any(|f| f.span == span) {
                fallbacks.push(Fallback { value, span });
            }
        }
        fallbacks.sort_by_key(|f| f.span);
        return Val::Limit {
            source,
            origin,
            fallbacks,
            cap,
        };
    }
    if let Some(origin) = pair {
        if ints.is_empty() && !unknown && unseen.is_none() {
            return Val::Pair { origin };
        }
        return Val::Unknown;
    }
    if ints.is_empty()
        && let Some(name) = unseen
    {
        // Out of sight on some path and nothing numeric on any: what bounds it is unseen.
        return Val::Unseen { name };
    }
    if unknown || unseen.is_some() || ints.is_empty() {
        return Val::Unknown;
    }
    let (value, span, name) = ints
        .into_iter()
        .max_by_key(|(v, _, _)| *v)
        .expect("non-empty");
    Val::Int { value, span, name }
}

/// Follows values through one file. Function lookups, the definitions of each scope and the
/// value of each (name, scope) are computed once per file: without the cache, a name assigned
/// three times from a name assigned three times ... (`a2 = a1` x3 ... `a12 = a11` x3) was
/// evaluated 3^12 times, each rescanning its scope (79 s for 362 bytes).
pub(super) struct Resolver<'t> {
    pub(super) src: &'t str,
    pub(super) root: Node<'t>,
    pub(super) functions: Option<HashMap<&'t str, Vec<Node<'t>>>>,
    /// Names being resolved, to cut cycles such as `n = n + 1`.
    pub(super) active: Vec<(usize, String)>,
    /// The file's work budget: every evaluation takes a step.
    pub(super) budget: &'t Budget,
    /// Every `def` of the file, by start: a node's scope is the innermost one holding it.
    defs_by_start: OnceCell<Vec<Node<'t>>>,
    /// The definitions of every name directly in a scope (by the scope's node id: a `def` at
    /// byte 0 starts where the module does), built with
    /// one walk of the scope the first time one of its names is looked up.
    scope_defs: RefCell<HashMap<usize, Rc<ScopeDefs<'t>>>>,
    /// Where each name occurs in a scope (by the scope's node id), for the sweep check.
    pub(super) occurrences: RefCell<HashMap<(usize, String), Rc<super::sweep::Occurrences>>>,
    /// The value of a name in a scope: see `Memo`.
    memo: HashMap<(usize, &'t str), Vec<Memo>>,
    /// Values of helper calls' `return` statements, by function.
    returns: HashMap<usize, Rc<Vec<Node<'t>>>>,
    /// Whether the module has `from subprocess import <name>`, by name.
    subprocess_imports: HashMap<&'t str, bool>,
    /// `sweep::maybe_shadowed` per name: a scan of the whole text, once per file, not once
    /// per loop (a file of many sweeps and many `range(` calls made it quadratic).
    shadowed: RefCell<HashMap<&'t str, bool>>,
    /// The lowest index of `active` that a cycle cut returned `Unknown` for, in the evaluation
    /// under way: a value that depends on a cut of an outer frame is not memoised.
    pub(super) cut_at: usize,
    /// Whether the evaluation under way stopped somewhere at `MAX_DEPTH`: its value then
    /// depends on the depth it started at.
    depth_cut: bool,
    /// The project around the file (`crate::index::python`), asked only for what the file
    /// cannot resolve itself (`outside.rs`).
    pub(super) index: Option<&'t dyn crate::index::LimitIndex>,
    /// Whether this evaluation may ask the index: not for FD002 containers, whose
    /// prefilter requirement wants the limit's own tokens in the file.
    pub(super) use_index: bool,
    /// Whether a loop's close may be another module's wrapper: not in `for fd in helper()`
    /// loops, whose prefilter shape admits only direct closes and same-file helpers.
    pub(super) outside_actions: bool,
    /// The file's imports, read on first use.
    pub(super) imports: OnceCell<Imports>,
    /// Attribute assignments and class attributes of the file, by name (`attr_defs`).
    pub(super) attrs: OnceCell<HashMap<&'t str, Vec<Def<'t>>>>,
    /// Where a value the index gave was set, by the span of its use in this file, in words.
    pub(super) elsewhere: HashMap<Span, String>,
}

/// The definitions of each name directly in one scope, in document order.
pub(super) type ScopeDefs<'t> = HashMap<&'t str, Vec<Def<'t>>>;

/// A memoised value of a name, evaluated at `depth`. When nothing in the evaluation was cut
/// at `MAX_DEPTH` (`depth_cut` false) the value holds at `depth` and every shallower one;
/// otherwise only at `depth` itself. Either way a lookup gives what evaluating again would,
/// so the cache changes no result.
#[derive(Debug, Clone)]
pub(super) struct Memo {
    depth: usize,
    /// The value was computed with the index allowed (`Resolver::use_index`).
    index: bool,
    depth_cut: bool,
    val: Val,
}

pub(super) const MAX_DEPTH: usize = 12;

impl<'t> Resolver<'t> {
    pub(super) fn new(src: &'t str, root: Node<'t>, budget: &'t Budget) -> Self {
        Resolver {
            src,
            root,
            functions: None,
            active: Vec::new(),
            budget,
            defs_by_start: OnceCell::new(),
            scope_defs: RefCell::new(HashMap::new()),
            occurrences: RefCell::new(HashMap::new()),
            memo: HashMap::new(),
            returns: HashMap::new(),
            subprocess_imports: HashMap::new(),
            shadowed: RefCell::new(HashMap::new()),
            cut_at: usize::MAX,
            depth_cut: false,
            index: None,
            use_index: true,
            outside_actions: true,
            imports: OnceCell::new(),
            attrs: OnceCell::new(),
            elsewhere: HashMap::new(),
        }
    }

    pub(super) fn text(&self, n: Node) -> &'t str {
        text(n, self.src)
    }

    /// Whether `name` may not be the builtin in this file (`sweep::maybe_shadowed`), memoised.
    pub(super) fn maybe_shadowed(&self, name: &'t str) -> bool {
        *self
            .shadowed
            .borrow_mut()
            .entry(name)
            .or_insert_with(|| super::sweep::maybe_shadowed(self.root, self.src, name))
    }
}

impl<'t> Resolver<'t> {
    pub(super) fn function_defs(&mut self, name: &str) -> Option<&Vec<Node<'t>>> {
        if self.functions.is_none() {
            let mut map: HashMap<&'t str, Vec<Node<'t>>> = HashMap::new();
            let src = self.src;
            for n in ts::keyword_parents(self.root, src, "def", &["function_definition"]) {
                if let Some(id) = n.child_by_field_name("name") {
                    map.entry(text(id, src)).or_default().push(n);
                }
            }
            self.functions = Some(map);
        }
        self.functions.as_ref().and_then(|m| m.get(name))
    }

    /// The function (or the module) whose locals `n`'s names are: the innermost `def` holding
    /// it. Found from the `def`s' byte ranges, not by climbing `Node::parent`, which descends
    /// from the root on every call (the depth squared per lookup).
    pub(super) fn scope_of(&self, n: Node<'t>) -> Node<'t> {
        let defs = self.defs_by_start.get_or_init(|| {
            let mut v = ts::keyword_parents(self.root, self.src, "def", &["function_definition"]);
            v.sort_by_key(|d| (d.start_byte(), std::cmp::Reverse(d.end_byte())));
            v
        });
        let (start, end) = (n.start_byte(), n.end_byte());
        let upto = defs.partition_point(|d| d.start_byte() <= start);
        defs[..upto]
            .iter()
            .rev()
            .find(|d| d.end_byte() >= end && *d != &n)
            .copied()
            .unwrap_or(self.root)
    }

    /// The definitions of `name` directly in `scope` (`all_definitions`), from the scope's index.
    pub(super) fn defs_in(&self, scope: Node<'t>, name: &str) -> Vec<Def<'t>> {
        let key = scope.id();
        let index = {
            let mut map = self.scope_defs.borrow_mut();
            Rc::clone(
                map.entry(key)
                    .or_insert_with(|| Rc::new(all_definitions(scope, self.src))),
            )
        };
        index.get(name).cloned().unwrap_or_default()
    }

    /// The `return` statements of a helper function (`returns`), walked once per function.
    pub(super) fn returns_of(&mut self, def: Node<'t>) -> Rc<Vec<Node<'t>>> {
        let v = self.returns.entry(def.id()).or_insert_with(|| {
            Rc::new(match def.child_by_field_name("body") {
                Some(body) => returns(body),
                None => Vec::new(),
            })
        });
        Rc::clone(v)
    }

    pub(super) fn eval(&mut self, n: Node<'t>, depth: usize) -> Val {
        if depth > MAX_DEPTH {
            self.depth_cut = true;
            return Val::Unknown;
        }
        if !self.budget.step(Stage::Resolve) {
            return Val::Unknown;
        }
        let d = depth + 1;
        match n.kind() {
            "integer" => match ts::parse_int(self.text(n)) {
                Some(value) => Val::Int {
                    value,
                    span: span(n),
                    name: None,
                },
                None => Val::Unknown,
            },
            "parenthesized_expression" => match n.named_child(0) {
                Some(inner) => self.eval(inner, d),
                None => Val::Unknown,
            },
            "identifier" => self.eval_name(n, d),
            "attribute" => {
                let t = self.text(n);
                if t == "subprocess.MAXFD" {
                    return Val::Limit {
                        source: LimitSource::SubprocessMaxfd,
                        origin: span(n),
                        fallbacks: Vec::new(),
                        cap: None,
                    };
                }
                self.eval_attribute(n, d)
            }
            "subscript" => {
                let (Some(value), Some(index)) = (
                    n.child_by_field_name("value"),
                    n.child_by_field_name("subscript"),
                ) else {
                    return Val::Unknown;
                };
                match (self.eval(value, d), self.text(index)) {
                    (Val::Pair { origin }, "0") => limit(LimitSource::GetrlimitSoft, origin),
                    (Val::Pair { origin }, "1" | "-1") => limit(LimitSource::GetrlimitHard, origin),
                    _ => Val::Unknown,
                }
            }
            "call" => self.eval_call(n, d),
            "binary_operator" => {
                let (Some(l), Some(r), Some(op)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                    n.child_by_field_name("operator"),
                ) else {
                    return Val::Unknown;
                };
                let op = self.text(op);
                let (lv, rv) = (self.eval(l, d), self.eval(r, d));
                match (op, lv, rv) {
                    ("+" | "-", v @ Val::Limit { .. }, Val::Int { .. } | Val::Unknown) => v,
                    ("+", Val::Int { .. }, v @ Val::Limit { .. }) => v,
                    // `options.minfds - 1`: still the unseen bound.
                    ("+" | "-", v @ Val::Unseen { .. }, Val::Int { .. }) => v,
                    (op, Val::Int { value: a, .. }, Val::Int { value: b, .. }) => {
                        let value = match op {
                            "+" => a.checked_add(b),
                            "-" => a.checked_sub(b),
                            "*" => a.checked_mul(b),
                            "//" => a.checked_div(b),
                            "<<" => u32::try_from(b).ok().and_then(|b| a.checked_shl(b)),
                            "**" => u32::try_from(b).ok().and_then(|b| a.checked_pow(b)),
                            _ => None,
                        };
                        value.map_or(Val::Unknown, |value| Val::Int {
                            value,
                            span: span(n),
                            name: None,
                        })
                    }
                    _ => Val::Unknown,
                }
            }
            "conditional_expression" => {
                // `a if cond else b`: the first and last named children are the two values.
                let vals: Vec<Node> = {
                    let mut c = n.walk();
                    n.named_children(&mut c).collect()
                };
                match (vals.first(), vals.last()) {
                    (Some(a), Some(b)) if vals.len() == 3 => {
                        let (a, b) = (self.eval(*a, d), self.eval(*b, d));
                        combine(vec![a, b])
                    }
                    _ => Val::Unknown,
                }
            }
            "boolean_operator" => {
                let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    return Val::Unknown;
                };
                let (a, b) = (self.eval(l, d), self.eval(r, d));
                combine(vec![a, b])
            }
            _ => Val::Unknown,
        }
    }

    pub(super) fn eval_call(&mut self, n: Node<'t>, d: usize) -> Val {
        let (Some(func), Some(args)) = (
            n.child_by_field_name("function"),
            n.child_by_field_name("arguments"),
        ) else {
            return Val::Unknown;
        };
        // `from os import sysconf as sc`: a limit call under another name is that call.
        let name = known_name(func, self.src, Some(&self.imports().names), LIMIT_CALLS);
        let args_text = self.text(args);
        let positional: Vec<Node<'t>> = {
            let mut c = args.walk();
            args.named_children(&mut c)
                .filter(|a| a.kind() != "comment")
                .collect()
        };
        match name {
            "getrlimit" if args_text.contains("NOFILE") => Val::Pair { origin: span(n) },
            "sysconf" if args_text.contains("OPEN_MAX") => limit(LimitSource::Sysconf, span(n)),
            "getdtablesize" => limit(LimitSource::Getdtablesize, span(n)),
            "int" | "long" | "abs" if positional.len() == 1 => self.eval(positional[0], d),
            "min" | "max" if !positional.is_empty() => {
                let vals: Vec<Val> = positional.iter().map(|a| self.eval(*a, d)).collect();
                if vals
                    .iter()
                    .any(|v| matches!(v, Val::Unknown | Val::Pair { .. } | Val::Unseen { .. }))
                {
                    // min() with a value we cannot see may be small; max() with one
                    // keeps the limit. Unknown either way unless max() has a limit.
                    if name == "max" && vals.iter().any(|v| matches!(v, Val::Limit { .. })) {
                        return combine(
                            vals.into_iter()
                                .filter(|v| matches!(v, Val::Limit { .. }))
                                .collect(),
                        );
                    }
                    return Val::Unknown;
                }
                let min_int = vals
                    .iter()
                    .filter_map(|v| match v {
                        Val::Int { value, .. } => Some(*value),
                        _ => None,
                    })
                    .min();
                let has_limit = vals.iter().any(|v| matches!(v, Val::Limit { .. }));
                if name == "min" && has_limit {
                    let merged = combine(
                        vals.into_iter()
                            .filter(|v| matches!(v, Val::Limit { .. }))
                            .collect(),
                    );
                    if let Val::Limit {
                        source,
                        origin,
                        fallbacks,
                        cap,
                    } = merged
                    {
                        let cap = match (cap, min_int) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        return Val::Limit {
                            source,
                            origin,
                            fallbacks,
                            cap,
                        };
                    }
                    return Val::Unknown;
                }
                if name == "max" && has_limit {
                    return combine(
                        vals.into_iter()
                            .filter(|v| matches!(v, Val::Limit { .. }))
                            .collect(),
                    );
                }
                let pick = if name == "min" {
                    min_int
                } else {
                    vals.iter()
                        .filter_map(|v| match v {
                            Val::Int { value, .. } => Some(*value),
                            _ => None,
                        })
                        .max()
                };
                pick.map_or(Val::Unknown, |value| Val::Int {
                    value,
                    span: span(n),
                    name: None,
                })
            }
            _ => {
                // A helper in this file that returns the bound.
                let Some(defs) = self.function_defs(name).cloned() else {
                    // Defined in another module of the project, or out of sight.
                    return self.outside_call(n, func, name);
                };
                let key = (n.start_byte(), format!("{name}()"));
                if let Some(i) = self.active.iter().position(|k| *k == key) {
                    self.cut_at = self.cut_at.min(i);
                    return Val::Unknown;
                }
                self.active.push(key);
                let mut vals = Vec::new();
                for def in defs {
                    if def.child_by_field_name("body").is_some() {
                        for r in self.returns_of(def).iter() {
                            match r.named_child(0) {
                                Some(e) => vals.push(self.eval(e, d)),
                                None => vals.push(Val::Unknown),
                            }
                        }
                    }
                }
                self.active.pop();
                if vals.is_empty() {
                    Val::Unknown
                } else {
                    combine(vals)
                }
            }
        }
    }

    /// The values a name can hold where `use_site` reads it: assignments in the enclosing
    /// function (and its parameter defaults), else at module level. Memoised per (name,
    /// scope): see `Memo`; a value that a cycle cut of an outer name made is not kept.
    pub(super) fn eval_name(&mut self, use_site: Node<'t>, d: usize) -> Val {
        let name = self.text(use_site);
        let mut scope = self.scope_of(use_site);
        loop {
            let key = (scope.id(), name.to_string());
            if let Some(i) = self.active.iter().position(|k| *k == key) {
                self.cut_at = self.cut_at.min(i);
                return Val::Unknown;
            }
            let defs = self.defs_in(scope, name);
            if !defs.is_empty() {
                let memo_key = (scope.id(), name);
                let index = self.use_index;
                if let Some(m) = self.memo.get(&memo_key).and_then(|ms| {
                    ms.iter().find(|m| {
                        m.index == index && (m.depth == d || (!m.depth_cut && d <= m.depth))
                    })
                }) {
                    self.depth_cut |= m.depth_cut;
                    return m.val.clone();
                }
                let frame = self.active.len();
                let (outer_cut, outer_depth_cut) = (self.cut_at, self.depth_cut);
                self.cut_at = usize::MAX;
                self.depth_cut = false;
                self.active.push(key);
                let vals: Vec<Val> = defs.into_iter().map(|def| self.eval_def(def, d)).collect();
                self.active.pop();
                let v = match combine(vals) {
                    Val::Int { value, span, .. } => Val::Int {
                        value,
                        span,
                        name: Some(name.to_string()),
                    },
                    v => v,
                };
                let (cut, depth_cut) = (self.cut_at, self.depth_cut);
                // A spent budget leaves values unknown that are not: keep nothing from then on.
                if cut >= frame && !self.budget.is_spent() {
                    self.memo.entry(memo_key).or_default().push(Memo {
                        depth: d,
                        index,
                        depth_cut,
                        val: v.clone(),
                    });
                }
                self.cut_at = outer_cut.min(if cut < frame { cut } else { usize::MAX });
                self.depth_cut = outer_depth_cut || depth_cut;
                return v;
            }
            // The root is not always a `module`: a file tree-sitter cannot parse at all is one
            // `ERROR` node, and waiting for a `module` looped forever on it.
            if scope == self.root {
                break;
            }
            scope = self.root;
        }
        let root = self.root;
        let src = self.src;
        let imported = *self
            .subprocess_imports
            .entry(name)
            .or_insert_with(|| imports_from_subprocess(root, name, src));
        if imported {
            return limit(LimitSource::SubprocessMaxfd, span(use_site));
        }
        // `from .util import MAXFD`: what that module of the project gives it.
        if let Some(v) = self.imported_value(name, span(use_site)) {
            return v;
        }
        Val::Unseen {
            name: name.to_string(),
        }
    }

    pub(super) fn eval_def(&mut self, def: Def<'t>, d: usize) -> Val {
        match def {
            Def::Value(v) => self.eval(v, d),
            Def::Unpack(rhs, i) => match rhs.kind() {
                "expression_list" | "tuple" => match rhs.named_child(i as u32) {
                    Some(e) => self.eval(e, d),
                    None => Val::Unknown,
                },
                _ => match (self.eval(rhs, d), i) {
                    (Val::Pair { origin }, 0) => limit(LimitSource::GetrlimitSoft, origin),
                    (Val::Pair { origin }, 1) => limit(LimitSource::GetrlimitHard, origin),
                    _ => Val::Unknown,
                },
            },
            Def::Param(name) => Val::Unseen {
                name: name.to_string(),
            },
            Def::Opaque => Val::Unknown,
        }
    }
}

/// The calls `eval_call` reads as the fd limit (with `NOFILE`/`OPEN_MAX` in their arguments
/// for the first two), by their own names.
const LIMIT_CALLS: &[&str] = &["getrlimit", "sysconf", "getdtablesize"];

pub(super) fn limit(source: LimitSource, origin: Span) -> Val {
    Val::Limit {
        source,
        origin,
        fallbacks: Vec::new(),
        cap: None,
    }
}

/// One way a name gets a value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Def<'t> {
    /// `name = expr`, a parameter default.
    Value(Node<'t>),
    /// `a, name = expr`: element `usize` of `expr`.
    Unpack(Node<'t>, usize),
    /// A parameter without default: its value comes from callers out of sight.
    Param(&'t str),
    /// A `for` target, `with .. as name`, `+=`: not knowable.
    Opaque,
}

/// The definitions of every name directly in `scope` (not in nested functions or classes), each
/// name's in document order (parameters first): one walk of the scope, which
/// `Resolver::defs_in` keeps.
pub(super) fn all_definitions<'t>(scope: Node<'t>, src: &'t str) -> ScopeDefs<'t> {
    let mut out: ScopeDefs<'t> = HashMap::new();
    if scope.kind() == "function_definition"
        && let Some(params) = scope.child_by_field_name("parameters")
    {
        let mut c = params.walk();
        for p in params.named_children(&mut c) {
            match p.kind() {
                "identifier" => {
                    let name = text(p, src);
                    out.entry(name).or_default().push(Def::Param(name));
                }
                "default_parameter" | "typed_default_parameter" => {
                    if let Some(n) = p.child_by_field_name("name")
                        && let Some(v) = p.child_by_field_name("value")
                    {
                        out.entry(text(n, src)).or_default().push(Def::Value(v));
                    }
                }
                "typed_parameter" => {
                    if let Some(n) = p.named_child(0) {
                        let name = text(n, src);
                        out.entry(name).or_default().push(Def::Param(name));
                    }
                }
                _ => {}
            }
        }
    }
    let body = if scope.kind() == "function_definition" {
        match scope.child_by_field_name("body") {
            Some(b) => b,
            None => return out,
        }
    } else {
        scope
    };
    ts::walk(body, |n| match n.kind() {
        "function_definition" | "class_definition" | "lambda" => false,
        "assignment" => {
            let Some((left, right)) = assignment_parts(n) else {
                return true;
            };
            match left.kind() {
                "identifier" => out
                    .entry(text(left, src))
                    .or_default()
                    .push(Def::Value(right)),
                "pattern_list" | "tuple_pattern" | "list_pattern" => {
                    let mut c = left.walk();
                    for (i, el) in left.named_children(&mut c).enumerate() {
                        if el.kind() == "identifier" {
                            out.entry(text(el, src))
                                .or_default()
                                .push(Def::Unpack(right, i));
                        }
                    }
                }
                _ => {}
            }
            true
        }
        "for_statement" => {
            if let Some(l) = n.child_by_field_name("left")
                && l.kind() == "identifier"
            {
                out.entry(text(l, src)).or_default().push(Def::Opaque);
            }
            true
        }
        "as_pattern_target" | "named_expression" => {
            if let Some(l) = n.named_child(0) {
                out.entry(text(l, src)).or_default().push(Def::Opaque);
            }
            true
        }
        _ => true,
    });
    out
}

/// The name of the parameter that receives positional argument `pos` of a call (`self`/`cls`
/// of a method are skipped: `self.f(fd)` passes `fd` to the second parameter).
/// An `assignment`'s target and the value it finally assigns: for `a = b = expr`, `a` and
/// `expr` (`b = expr` is an assignment of its own).
pub(super) fn assignment_parts(n: Node) -> Option<(Node, Node)> {
    let left = n.child_by_field_name("left")?;
    let mut right = n.child_by_field_name("right")?;
    while right.kind() == "assignment" {
        match right.child_by_field_name("right") {
            Some(r) => right = r,
            None => break,
        }
    }
    Some((left, right))
}

pub(super) fn nth_param<'a>(def: Node, pos: usize, src: &'a str) -> Option<&'a str> {
    let params = def.child_by_field_name("parameters")?;
    let mut c = params.walk();
    let names: Vec<&str> = params
        .named_children(&mut c)
        .filter_map(|p| match p.kind() {
            "identifier" => Some(text(p, src)),
            "default_parameter" | "typed_parameter" | "typed_default_parameter" => p
                .child_by_field_name("name")
                .or_else(|| p.named_child(0))
                .map(|n| text(n, src)),
            _ => None,
        })
        .collect();
    let skip = usize::from(matches!(names.first(), Some(&"self") | Some(&"cls")));
    names.get(pos + skip).copied()
}

/// `return` statements of a function body, not of functions nested in it.
pub(super) fn returns(body: Node) -> Vec<Node> {
    let mut out = Vec::new();
    ts::walk(body, |n| match n.kind() {
        "function_definition" | "class_definition" | "lambda" => false,
        "return_statement" => {
            out.push(n);
            false
        }
        _ => true,
    });
    out
}
