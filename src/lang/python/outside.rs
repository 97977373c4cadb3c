//! What lies outside a loop's own data flow: attributes (`self.MAXFD`, `options.minfds`,
//! class attributes), names imported from other modules of the project (`from .util import
//! get_maxfd`, `util.MAXFD`), close wrappers and fd-range helpers defined there, and the
//! answers this file gives when another file's index asks about one of its names
//! (`index_module`).
//!
//! The project index (`crate::index::python`) is asked only from here, and only when the file
//! itself cannot answer: an attribute no assignment of the file names, a name the file
//! imports but does not define, a call to a helper it does not define.

use std::sync::Arc;

use super::*;
use crate::facts::{BoundKind, FallbackRange, Stage};
use crate::index::python::{Answer, ModuleRef, Question};
use crate::index::{Held, Key, LimitIndex};
use crate::lang::reads_as_limit;

pub use crate::prefilter::{NOT_HELPERS, WRAPPER_WORDS};

/// What a callee whose definition cannot be found does to its first argument, by its name:
/// it closes an fd when the name holds both `close` and `fd` (`CloseFdNoError`, `close_fd`,
/// `closefd_quietly`) or ends in `_close` (`safe_close`, `sys_close`), and flags it when it
/// holds `cloexec` or `close_on_exec`. Names of calls that close many fds at once
/// (`closerange`, `close_all_fds`, `close_fds_from`) are not wrappers of one close.
pub(super) fn reads_as_fd_close(name: &str) -> Option<FdAction> {
    let l = name.to_ascii_lowercase();
    if crate::prefilter::not_a_wrapper(name.as_bytes()) {
        return None;
    }
    if l.contains("cloexec") || l.contains("close_on_exec") {
        return Some(FdAction::SetCloexec);
    }
    if ["range", "from", "all", "fds"]
        .iter()
        .any(|w| l.contains(w))
    {
        return None;
    }
    ((l.contains("close") && l.contains("fd")) || l.ends_with("_close")).then_some(FdAction::Close)
}

/// Whether a callee's name has one of `WRAPPER_WORDS` in it.
pub(super) fn wrapper_name(name: &str) -> bool {
    WRAPPER_WORDS.iter().any(|w| name.contains(w))
        && !crate::prefilter::not_a_wrapper(name.as_bytes())
}

/// At most this many imported modules are asked about an attribute of an unknown receiver.
const MAX_MODULES: usize = 24;

/// The steps one answer for another file's index may take.
const INDEX_STEPS: u64 = 200_000;

/// Answer another file's question about one name of this module (`text`), for the project
/// index. `index` is this module's own view of the project, one hop further.
pub fn index_module(text: &str, question: &Question, index: &ModuleRef) -> Answer {
    let opts = FrontendOptions {
        steps: INDEX_STEPS,
        ..FrontendOptions::default()
    };
    let Ok(tree) = ts::parse(&PARSER, &language(), text, &opts) else {
        return Answer::default();
    };
    let budget = Budget::new(&opts);
    let root = tree.root_node();
    let mut r = Resolver::new(text, root, &budget);
    r.index = Some(index as &dyn LimitIndex);
    let mut out = Answer::default();
    match question {
        Question::Values(Key::Field(name)) => {
            let mut defs: Vec<Def> = r.defs_in(root, name);
            defs.extend(r.attr_defs(name));
            if defs.is_empty() {
                if let Some(v) = r.imported_value(name, Span::new(0, 0)) {
                    out.values.push(held(&v, 0));
                }
                return out;
            }
            for def in defs {
                let at = def_start(def);
                let v = r.eval_def(def, 0);
                out.values.push(held(&v, at));
            }
        }
        Question::Values(Key::Fn(name)) => {
            let defs = r.function_defs(name).cloned().unwrap_or_default();
            if defs.is_empty() {
                if let Some(v) = r.imported_call(name, Span::new(0, 0)) {
                    out.values.push(held(&v, 0));
                }
                return out;
            }
            for def in defs {
                for ret in r.returns_of(def).iter() {
                    let v = match ret.named_child(0) {
                        Some(e) => r.eval(e, 0),
                        None => Val::Unknown,
                    };
                    out.values.push(held(&v, ret.start_byte()));
                }
            }
        }
        Question::Action(Key::Fn(name), pos) => {
            for def in r.function_defs(name).cloned().unwrap_or_default() {
                if let Some(param) = nth_param(def, *pos, text)
                    && let Some(body) = def.child_by_field_name("body")
                    && let Some((action, sp)) = r.body_action(body, param)
                {
                    out.action = Some((action, sp.start));
                    break;
                }
            }
        }
        Question::Range(Key::Fn(name)) => {
            let defs = r.function_defs(name).cloned().unwrap_or_default();
            if let Some((lower, v)) = r.helper_range_here(&defs) {
                let at = match &v {
                    Val::Limit { origin, .. } => origin.start,
                    Val::Int { span, .. } => span.start,
                    _ => 0,
                };
                out.range = Some((lower, held(&v, at).0, at));
            }
        }
        _ => {}
    }
    out
}

/// What the index is told a value is.
fn held(v: &Val, at: usize) -> (Held, usize) {
    match v {
        Val::Limit { source, cap, .. } => (
            Held::Limit {
                source: *source,
                cap: *cap,
            },
            at,
        ),
        Val::Int { value, .. } => (Held::Int(*value), at),
        Val::Unseen { name } => (Held::Unseen(name.clone()), at),
        Val::Pair { .. } | Val::Unknown => (Held::Unknown, at),
    }
}

fn def_start(def: Def) -> usize {
    match def {
        Def::Value(n) | Def::Unpack(n, _) => n.start_byte(),
        Def::Opaque | Def::Param(_) => 0,
    }
}

/// The module spelling of `from MODULE import NAME` when NAME is itself a module
/// (`from . import util` -> `.util`, `from pkg import mod` -> `pkg.mod`).
fn submodule(module: &str, name: &str) -> String {
    if module.bytes().all(|b| b == b'.') {
        format!("{module}{name}")
    } else {
        format!("{module}.{name}")
    }
}

impl<'t> Resolver<'t> {
    /// The file's imports, read on first use.
    pub(super) fn imports(&self) -> &Imports {
        self.imports
            .get_or_init(|| Imports::of(self.root, self.src))
    }

    /// The index, when this evaluation may consult it.
    fn index(&self) -> Option<&'t dyn LimitIndex> {
        self.index.filter(|_| self.use_index)
    }

    /// The module an expression names when it is an imported module (`util` after `import
    /// util` or `from . import util`, `pkg.mod` after `import pkg.mod`).
    fn module_named(&self, obj: Node<'t>) -> Option<String> {
        let t = self.text(obj);
        let imp = self.imports();
        if let Some(m) = imp.modules.get(t) {
            return Some(m.clone());
        }
        if obj.kind() == "identifier"
            && let Some((module, orig)) = imp.names.get(t)
        {
            return Some(submodule(module, orig));
        }
        None
    }

    /// The modules this file imports that may be files of the project, for an attribute or
    /// method of a receiver whose type cannot be seen: every `import m`, every `from m import
    /// ...` module, and each imported name as a possible submodule.
    fn project_modules(&self) -> Vec<String> {
        let imp = self.imports();
        // The modules named by imports first, then imported names that may be submodules
        // (`from supervisor import events`), each group sorted (the result decides nothing
        // by order: a value is combined over all, an action is the first module's that has
        // one).
        let mut named: Vec<String> = imp.modules.values().cloned().collect();
        named.extend(imp.names.values().map(|(m, _)| m.clone()));
        named.sort();
        named.dedup();
        let mut subs: Vec<String> = imp
            .names
            .values()
            .map(|(m, o)| submodule(m, o))
            .filter(|m| !named.contains(m))
            .collect();
        subs.sort();
        subs.dedup();
        named.extend(subs);
        named.truncate(MAX_MODULES);
        named
    }

    /// Every assignment of an attribute named `name` in the file (`self.name = ..`,
    /// `options.name = ..`, `self.a, self.name = ..`; `+=` makes it unknown) and every class
    /// attribute of that name, found with one walk of the file on first use.
    pub(super) fn attr_defs(&self, name: &str) -> Vec<Def<'t>> {
        let map = self.attrs.get_or_init(|| {
            let src = self.src;
            let mut out: HashMap<&'t str, Vec<Def<'t>>> = HashMap::new();
            let attr_name = |n: Node<'t>| {
                (n.kind() == "attribute")
                    .then(|| n.child_by_field_name("attribute"))
                    .flatten()
                    .map(|a| text(a, src))
            };
            ts::walk(self.root, |n| {
                match n.kind() {
                    "assignment" => {
                        let Some((left, right)) = assignment_parts(n) else {
                            return true;
                        };
                        if let Some(a) = attr_name(left) {
                            out.entry(a).or_default().push(Def::Value(right));
                        } else if matches!(left.kind(), "pattern_list" | "tuple_pattern") {
                            let mut c = left.walk();
                            for (i, el) in left.named_children(&mut c).enumerate() {
                                if let Some(a) = attr_name(el) {
                                    out.entry(a).or_default().push(Def::Unpack(right, i));
                                }
                            }
                        }
                    }
                    "augmented_assignment" => {
                        if let Some(a) = n.child_by_field_name("left").and_then(attr_name) {
                            out.entry(a).or_default().push(Def::Opaque);
                        }
                    }
                    "class_definition" => {
                        if let Some(body) = n.child_by_field_name("body") {
                            let mut c = body.walk();
                            for st in body.named_children(&mut c) {
                                let Some(a) = st.named_child(0).filter(|a| {
                                    st.kind() == "expression_statement" && a.kind() == "assignment"
                                }) else {
                                    continue;
                                };
                                if let (Some(l), Some(r)) = (
                                    a.child_by_field_name("left"),
                                    a.child_by_field_name("right"),
                                ) && l.kind() == "identifier"
                                {
                                    out.entry(text(l, src)).or_default().push(Def::Value(r));
                                }
                            }
                        }
                    }
                    _ => {}
                }
                true
            });
            out
        });
        map.get(name).cloned().unwrap_or_default()
    }

    /// `receiver.name`: an imported module's name, else the file's assignments of the
    /// attribute, else the imported modules' (an attribute of an object whose class lives
    /// elsewhere). An attribute whose value nothing shows as a number or the limit is out of
    /// sight (`Unseen`): set from configuration, a parameter, another module.
    pub(super) fn eval_attribute(&mut self, n: Node<'t>, d: usize) -> Val {
        let (Some(obj), Some(attr)) = (
            n.child_by_field_name("object"),
            n.child_by_field_name("attribute"),
        ) else {
            return Val::Unknown;
        };
        let name = self.text(attr);
        if let Some(module) = self.module_named(obj) {
            let key = Key::Module {
                module,
                key: Box::new(Key::Field(name.to_string())),
            };
            return self
                .outside_value(&key, name, span(n), false)
                .unwrap_or(Val::Unseen {
                    name: name.to_string(),
                });
        }
        let defs = self.attr_defs(name);
        if !defs.is_empty() {
            let key = (usize::MAX, format!(".{name}"));
            if let Some(i) = self.active.iter().position(|k| *k == key) {
                // Given only from itself (`self.fd_limit = config.fd_limit`): out of sight.
                self.cut_at = self.cut_at.min(i);
                return Val::Unseen {
                    name: name.to_string(),
                };
            }
            self.active.push(key);
            let vals: Vec<Val> = defs.into_iter().map(|def| self.eval_def(def, d)).collect();
            self.active.pop();
            return match combine(vals) {
                Val::Int { value, span, .. } => Val::Int {
                    value,
                    span,
                    name: Some(name.to_string()),
                },
                Val::Unseen { .. } => Val::Unseen {
                    name: name.to_string(),
                },
                v => v,
            };
        }
        if self.index().is_some() {
            let mut vals = Vec::new();
            for module in self.project_modules() {
                let key = Key::Module {
                    module,
                    key: Box::new(Key::Field(name.to_string())),
                };
                if let Some(v) = self.outside_value(&key, name, span(n), false) {
                    vals.push(v);
                }
            }
            if !vals.is_empty() {
                return match combine(vals) {
                    v @ (Val::Limit { .. } | Val::Int { .. }) => v,
                    _ => Val::Unseen {
                        name: name.to_string(),
                    },
                };
            }
        }
        Val::Unseen {
            name: name.to_string(),
        }
    }

    /// What the index says `key` holds, as a value used at `at` in this file (`None`: the
    /// module is not the project's, or does not define the name). `call` says whether the
    /// name is called (for the note's wording).
    fn outside_value(&mut self, key: &Key, name: &str, at: Span, call: bool) -> Option<Val> {
        let index = self.index()?;
        let facts = index.values(key);
        if facts.is_empty() {
            return None;
        }
        let shown = |f: &crate::index::ValueFact| {
            format!(
                "{}:{}",
                f.path.display().to_string().replace('\\', "/"),
                f.line
            )
        };
        let what = if call {
            format!("`{name}()` returns")
        } else {
            format!("`{name}` is set to")
        };
        let mut vals = Vec::new();
        let mut note: Option<(bool, String)> = None;
        for f in &facts {
            match &f.held {
                Held::Limit { source, cap } => {
                    let hard = source.is_hard();
                    if note.as_ref().is_none_or(|(h, _)| !h && hard) {
                        note = Some((
                            hard,
                            format!("{what} {}, read in {}", source.describe(), shown(f)),
                        ));
                    }
                    vals.push(Val::Limit {
                        source: *source,
                        origin: at,
                        fallbacks: Vec::new(),
                        cap: *cap,
                    });
                }
                Held::Int(value) => {
                    if note.is_none() {
                        note = Some((
                            false,
                            format!("{what} {} in {}", crate::cost::count(*value), shown(f)),
                        ));
                    }
                    vals.push(Val::Int {
                        value: *value,
                        span: at,
                        name: Some(name.to_string()),
                    });
                }
                Held::Unseen(n) => vals.push(Val::Unseen { name: n.clone() }),
                Held::Unknown => vals.push(Val::Unknown),
            }
        }
        let v = combine(vals);
        if let (Some((_, note)), Val::Limit { .. } | Val::Int { .. }) = (note, &v) {
            self.elsewhere.insert(at, note);
        }
        Some(v)
    }

    /// A name the file imports from another module of the project (`from .util import
    /// MAXFD`): what that module gives it.
    pub(super) fn imported_value(&mut self, name: &str, at: Span) -> Option<Val> {
        let (module, orig) = self.imports().names.get(name).cloned()?;
        let key = Key::Module {
            module,
            key: Box::new(Key::Field(orig)),
        };
        self.outside_value(&key, name, at, false)
    }

    /// A call of a function the file imports (`from .util import get_maxfd`): what the
    /// function returns there.
    pub(super) fn imported_call(&mut self, name: &str, at: Span) -> Option<Val> {
        let (module, orig) = self.imports().names.get(name).cloned()?;
        let key = Key::Module {
            module,
            key: Box::new(Key::Fn(orig)),
        };
        self.outside_value(&key, name, at, true)
    }

    /// A call the file cannot follow itself: `func` is its callee. `util.get_maxfd()` and an
    /// imported `get_maxfd()` are asked of their module; anything else is out of sight.
    pub(super) fn outside_call(&mut self, call: Node<'t>, func: Node<'t>, name: &str) -> Val {
        let at = span(call);
        let found = match func.kind() {
            "identifier" => self.imported_call(name, at),
            "attribute" => match func.child_by_field_name("object") {
                Some(obj) => match self.module_named(obj) {
                    Some(module) => {
                        let key = Key::Module {
                            module,
                            key: Box::new(Key::Fn(name.to_string())),
                        };
                        self.outside_value(&key, name, at, true)
                    }
                    None => None,
                },
                None => None,
            },
            _ => None,
        };
        found.unwrap_or(Val::Unseen {
            name: name.to_string(),
        })
    }

    /// What a wrapper's body does to its parameter: a direct close/flag/probe, or one level
    /// through a function of the same module.
    pub(super) fn body_action(&mut self, body: Node<'t>, param: &str) -> Option<(FdAction, Span)> {
        let (direct, passed) = find_action(body, param, self.src, Some(&self.imports().names));
        if direct.is_some() {
            return direct;
        }
        for (name, pos, call, _) in passed {
            for def in self.function_defs(&name).cloned().unwrap_or_default() {
                if let Some(p) = nth_param(def, pos, self.src)
                    && let Some(b) = def.child_by_field_name("body")
                    && let (Some((action, _)), _) =
                        find_action(b, p, self.src, Some(&self.imports().names))
                {
                    return Some((action, call));
                }
            }
        }
        None
    }

    /// A call that passes the loop variable first to a wrapper defined in another module
    /// (`utils.close_fd_no_error(fd)`, an imported `close_fd(fd)`, `options.close_fd(i)`),
    /// whose name has one of `WRAPPER_WORDS` in it: what its body there does to it.
    ///
    /// When the module the callee comes from is named by an import but is no file fdlint can
    /// find (an installed package, a layout it does not guess), the name alone decides
    /// (`reads_as_fd_close`: `CloseFdNoError`, `close_fd`, `safe_close`), as Rust's
    /// `call_action` does for wrappers it cannot see.
    pub(super) fn outside_action(
        &mut self,
        name: &str,
        receiver: Option<&str>,
    ) -> Option<FdAction> {
        if !self.outside_actions || !wrapper_name(name) || self.function_defs(name).is_some() {
            return None;
        }
        let imp = self.imports();
        // The module an import names for the callee, if any.
        let imported = match receiver {
            None => imp.names.get(name).map(|(m, _)| m.clone()),
            Some(r) => imp
                .modules
                .get(r)
                .cloned()
                .or_else(|| imp.names.get(r).map(|(m, o)| submodule(m, o))),
        };
        let Some(index) = self.index() else {
            return imported.and_then(|_| reads_as_fd_close(name));
        };
        // `from pkg import obj` may import an object of a module that is found (`pkg`), not
        // a submodule `pkg.obj`: then its definition is in sight, and the name decides nothing.
        let parent_found = || {
            receiver
                .and_then(|r| imp.names.get(r))
                .is_some_and(|(m, _)| index.finds_module(m))
        };
        if let Some(module) = &imported
            && !index.finds_module(module)
            && !parent_found()
        {
            return reads_as_fd_close(name);
        }
        let fn_key = |module: String, f: &str| Key::Module {
            module,
            key: Box::new(Key::Fn(f.to_string())),
        };
        let keys: Vec<Key> = match receiver {
            None => match imp.names.get(name) {
                Some((module, orig)) => vec![fn_key(module.clone(), orig)],
                None => Vec::new(),
            },
            Some(r) => match imp
                .modules
                .get(r)
                .cloned()
                .or_else(|| imp.names.get(r).map(|(m, o)| submodule(m, o)))
            {
                Some(module) => vec![fn_key(module, name)],
                None => self
                    .project_modules()
                    .into_iter()
                    .map(|m| fn_key(m, name))
                    .collect(),
            },
        };
        keys.iter()
            .find_map(|k| index.fd_action(k, 0))
            .map(|f| f.action)
    }

    /// The range every `return` of these definitions gives (`return range(3, maxfd)`,
    /// `return list(range(..))`): the lowest first fd and the combined bound, or nothing when
    /// some `return` gives anything else (a listing of `/proc/self/fd` is the fix, not a
    /// sweep).
    pub(super) fn helper_range_here(&mut self, defs: &[Node<'t>]) -> Option<(Option<u64>, Val)> {
        let mut vals = Vec::new();
        let mut lower: Option<Option<u64>> = None;
        for def in defs {
            let rets = self.returns_of(*def);
            if rets.is_empty() {
                return None;
            }
            for ret in rets.iter() {
                let args = ret
                    .named_child(0)
                    .and_then(|e| range_args_of(e, self.src))?;
                let (lo, hi) = self.range_bounds(args)?;
                let lo = self.lower_of(lo);
                lower = Some(match lower {
                    None => lo,
                    Some(prev) => prev.zip(lo).map(|(a, b)| a.min(b)),
                });
                vals.push(self.eval(hi, 0));
            }
        }
        if vals.is_empty() {
            return None;
        }
        Some((lower.flatten(), combine(vals)))
    }

    /// Some `return` of these definitions gives a range of the limit (`return
    /// range(max_fd_limit)`) and another gives something else (a listing of `/proc/self/fd`):
    /// the lowest first fd, the combined bound of the ranges, and their `return` statements.
    /// The range is the helper's fallback, used where the listing is not.
    fn helper_fallback_here(&mut self, defs: &[Node<'t>]) -> Option<(Option<u64>, Val, Vec<Span>)> {
        let mut vals = Vec::new();
        let mut lower: Option<Option<u64>> = None;
        let mut ranges = Vec::new();
        let mut others = false;
        for def in defs {
            let rets = self.returns_of(*def);
            others |= rets.is_empty();
            for ret in rets.iter() {
                let bounds = ret
                    .named_child(0)
                    .and_then(|e| range_args_of(e, self.src))
                    .and_then(|args| self.range_bounds(args));
                let Some((lo, hi)) = bounds else {
                    others = true;
                    continue;
                };
                let v = self.eval(hi, 0);
                if !matches!(v, Val::Limit { .. }) {
                    others = true;
                    continue;
                }
                let lo = self.lower_of(lo);
                lower = Some(match lower {
                    None => lo,
                    Some(prev) => prev.zip(lo).map(|(a, b)| a.min(b)),
                });
                vals.push(v);
                ranges.push(span(*ret));
            }
        }
        if vals.is_empty() || !others {
            return None;
        }
        Some((lower.flatten(), combine(vals), ranges))
    }

    /// `for fd in get_open_fds(): os.close(fd)`: loops over what a helper returns, when the
    /// helper (of this file, or of an imported module) returns a range of every fd.
    pub(super) fn helper_loops(&mut self, facts: &mut Facts) {
        let src = self.src;
        for n in ts::keyword_parents(self.root, src, "for", &["for_statement"]) {
            if !self.budget.step(Stage::Resolve) {
                return;
            }
            let (Some(left), Some(right), Some(body)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
                n.child_by_field_name("body"),
            ) else {
                continue;
            };
            if left.kind() != "identifier" {
                continue;
            }
            if right.kind() == "identifier" {
                self.named_range_loop(facts, n, left, right, body);
                continue;
            }
            if right.kind() != "call" {
                continue;
            }
            let Some(func) = right.child_by_field_name("function") else {
                continue;
            };
            let name = last_segment(func, src);
            // A dotted name only (`get_open_fds`, `util.fds`), as the prefilter reads it.
            let dotted = text(func, src).bytes().all(|b| {
                b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 || b".\\ \t\r\n".contains(&b)
            });
            if name.is_empty() || NOT_HELPERS.contains(&name) || !dotted {
                continue;
            }
            // Another module's wrappers are followed only in the query's loops (the
            // prefilter's shape for them).
            self.outside_actions = false;
            let action = self.loop_action(body, text(left, src));
            self.outside_actions = true;
            let Some((action, action_span)) = action else {
                continue;
            };
            let Some((lower, bound, fallbacks)) = self.helper_range(right, func, name) else {
                continue;
            };
            if !fallbacks.is_empty() {
                facts.fallback_ranges.push(FallbackRange {
                    loop_span: Span::new(n.start_byte(), right.end_byte()),
                    helper: name.to_string(),
                    returns: fallbacks,
                });
            }
            facts.close_loops.push(CloseLoop {
                span: Span::new(n.start_byte(), right.end_byte()),
                action,
                action_span,
                lower,
                bound,
            });
        }
    }

    /// `for fd in fds:` where `fds` is bound, in the loop's function or else at module level,
    /// to `range(..)`/`xrange(..)` of the limit on some path (`test_fds = range(0, MAXFD)`
    /// beside `test_fds = map(int, argv)`): a loop over that range. The range is recorded as
    /// the loop's header (`Facts::named_ranges`). Another module's wrappers are not followed,
    /// as in `for fd in helper():` loops (the prefilter's shape).
    fn named_range_loop(
        &mut self,
        facts: &mut Facts,
        n: Node<'t>,
        left: Node<'t>,
        right: Node<'t>,
        body: Node<'t>,
    ) {
        let src = self.src;
        let name = text(right, src);
        let mut defs = self.defs_in(self.scope_of(n), name);
        if defs.is_empty() {
            defs = self.defs_in(self.root, name);
        }
        let ranges: Vec<(Node<'t>, Node<'t>)> = defs
            .iter()
            .filter_map(|d| match d {
                Def::Value(v) if v.kind() == "call" => {
                    let f = v.child_by_field_name("function")?;
                    let builtin = matches!(text(f, src), "range" | "xrange")
                        && f.kind() == "identifier"
                        && !self.maybe_shadowed(text(f, src));
                    builtin
                        .then(|| v.child_by_field_name("arguments"))
                        .flatten()
                        .map(|a| (*v, a))
                }
                _ => None,
            })
            .collect();
        if ranges.is_empty() {
            return;
        }
        self.outside_actions = false;
        let action = self.loop_action(body, text(left, src));
        self.outside_actions = true;
        let Some((action, action_span)) = action else {
            return;
        };
        // The binding that reaches the limit, else the first whose bound resolves.
        let mut resolved = Vec::new();
        for (call, args) in ranges {
            if let Some(r) = self.range_of(args) {
                resolved.push((call, r));
            }
        }
        let at = resolved
            .iter()
            .position(|(_, (_, b))| matches!(b.kind, BoundKind::Limit { .. }))
            .unwrap_or(0);
        if at >= resolved.len() {
            return;
        }
        let (call, (lower, bound)) = resolved.swap_remove(at);
        let header = Span::new(n.start_byte(), right.end_byte());
        facts.close_loops.push(CloseLoop {
            span: header,
            action,
            action_span,
            lower,
            bound,
        });
        facts.named_ranges.push((header, span(call)));
    }

    /// The range a helper call returns: the file's own helper, else the imported one's.
    fn helper_range(
        &mut self,
        call: Node<'t>,
        func: Node<'t>,
        name: &str,
    ) -> Option<(Option<u64>, Bound, Vec<Span>)> {
        let via = Some(format!("{name}()"));
        if let Some(defs) = self.function_defs(name).cloned() {
            if let Some((lower, v)) = self.helper_range_here(&defs) {
                return Some((lower, self.bound_from(v, span(call), via)?, Vec::new()));
            }
            let (lower, v, fallbacks) = self.helper_fallback_here(&defs)?;
            return Some((lower, self.bound_from(v, span(call), via)?, fallbacks));
        }
        let index = self.index()?;
        let module = match func.kind() {
            "identifier" => {
                let (m, orig) = self.imports().names.get(name)?.clone();
                Key::Module {
                    module: m,
                    key: Box::new(Key::Fn(orig)),
                }
            }
            "attribute" => Key::Module {
                module: self.module_named(func.child_by_field_name("object")?)?,
                key: Box::new(Key::Fn(name.to_string())),
            },
            _ => return None,
        };
        let fact = index.fd_range(&module)?;
        let at = span(call);
        let place = format!(
            "{}:{}",
            fact.bound.path.display().to_string().replace('\\', "/"),
            fact.bound.line
        );
        let (kind, note) = match fact.bound.held {
            Held::Limit { source, cap } => (
                Bound {
                    kind: BoundKind::Limit { source },
                    origin: at,
                    via,
                    fallbacks: Vec::new(),
                    cap,
                    elsewhere: None,
                },
                format!(
                    "`{name}()` returns a range of every fd up to {}, read in {place}",
                    source.describe()
                ),
            ),
            Held::Int(value) => (
                Bound::guess(value, None, at, via),
                format!(
                    "`{name}()` returns a range of every fd below {} in {place}",
                    crate::cost::count(value)
                ),
            ),
            Held::Unseen(_) | Held::Unknown => return None,
        };
        let mut b = kind;
        b.elsewhere = Some(note);
        Some((fact.lower, b, Vec::new()))
    }

    /// A value as the bound of a loop whose header is `at`.
    pub(super) fn bound_from(&self, v: Val, at: Span, via: Option<String>) -> Option<Bound> {
        match v {
            Val::Limit {
                source,
                origin,
                fallbacks,
                cap,
            } => {
                let mut b = Bound::limit(source, origin, via, fallbacks, cap);
                b.elsewhere = self.elsewhere.get(&origin).cloned();
                Some(b)
            }
            Val::Int { value, span, name } => {
                let mut b = Bound::guess(value, name, span, via);
                b.elsewhere = self.elsewhere.get(&span).cloned();
                Some(b)
            }
            Val::Unseen { name } if reads_as_limit(&name) => Some(Bound {
                kind: BoundKind::Unresolved { name },
                origin: at,
                via,
                fallbacks: Vec::new(),
                cap: None,
                elsewhere: None,
            }),
            Val::Unseen { .. } | Val::Pair { .. } | Val::Unknown => None,
        }
    }
}

/// The argument list of the `range(..)` an expression is: `range(..)`, `xrange(..)`, or one
/// of them in `list(..)`, `tuple(..)`, `set(..)`, `sorted(..)`.
fn range_args_of<'t>(e: Node<'t>, src: &str) -> Option<Node<'t>> {
    if e.kind() != "call" {
        return None;
    }
    let f = text(e.child_by_field_name("function")?, src);
    let args = e.child_by_field_name("arguments")?;
    match f {
        "range" | "xrange" => Some(args),
        "list" | "tuple" | "set" | "frozenset" | "sorted" => {
            let mut c = args.walk();
            let inner: Vec<Node> = args
                .named_children(&mut c)
                .filter(|a| a.kind() != "comment")
                .collect();
            match inner.as_slice() {
                [one] => range_args_of(*one, src),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The index a Python file asks through: its project's modules (`crate::index::python`).
pub fn module_index(path: &std::path::Path) -> Arc<dyn LimitIndex> {
    Arc::new(ModuleRef::new(path, index_module))
}
