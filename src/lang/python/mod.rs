//! Python frontend: tree-sitter-python plus a small, bounded data-flow resolver.
//!
//! The facts query (`queries/python/{close_loops,fd_ranges,spawn_calls}.scm`, run over the regions
//! that hold their tokens) finds candidate loops, containers and calls; `dialect.scm` finds
//! Python 2 syntax when a fact needs the dialect. For each candidate the resolver follows the loop's upper bound through
//! assignments (function scope, then module scope), tuple unpacking, indexing, `min`/`max`,
//! `int()`, arithmetic, conditional expressions, `or` fallbacks, parameter defaults and helper
//! functions in the same file, and reports where the value comes from. A bound it cannot follow
//! is unknown, and an unknown bound is never a finding.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Parser, Query, QueryCursor};

use super::ts::{self, span, text};
use super::{FrontendError, FrontendOptions};
use crate::facts::{
    Bound, CloseLoop, CloseRangeCall, Container, Facts, Fallback, FdAction, FdOption, FdRange,
    LimitSource, PythonDialect, ScriptRef, Span, SpawnApi, SpawnCall,
};

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
    dialect: Query,
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
    py2: Vec<(u32, &'static str)>,
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let (facts_files, dialect_files) = QUERY_FILES.split_at(3);
        let query = ts::compile(&language(), facts_files);
        let dialect = ts::compile(&language(), dialect_files);
        let idx = |name: &str| {
            query
                .capture_index_for_name(name)
                .unwrap_or_else(|| panic!("capture @{name} missing from queries/python"))
        };
        let py2 = |name: &str| {
            dialect
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
            py2: vec![
                (py2("py2.print"), "print statement"),
                (py2("py2.exec"), "exec statement"),
                (py2("py2.except"), "`except X, e` clause"),
                (py2("py2.raise"), "`raise E, msg` statement"),
                (py2("py2.diamond"), "`<>` operator"),
            ],
            query,
            dialect,
        }
    })
}

pub fn extract(src: &str, opts: &FrontendOptions) -> Result<Facts, FrontendError> {
    let tree = ts::parse(&PARSER, &language(), src, opts)?;
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

    let mut resolver = Resolver::new(src, root);
    let mut spawn_candidates = Vec::new();
    let mut cursor = QueryCursor::new();
    // A match whose root holds tokens of several regions is found once per region.
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for region in regions(src.as_bytes()) {
        cursor.set_byte_range(region);
        let mut matches = cursor.matches(&c.query, root, src.as_bytes());
        while let Some(m) = matches.next() {
            let get = |i: u32| {
                m.captures()
                    .iter()
                    .find(|cap| cap.index == i)
                    .map(|cap| cap.node)
            };
            if !ts::first_sighting(&mut seen, m) {
                continue;
            }
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
                let (Some(var), Some(range), Some(comp)) =
                    (get(c.loop_var), get(c.loop_range), node.parent())
                else {
                    continue;
                };
                let var = text(var, src);
                if let Some((action, action_span)) = resolver.loop_action(comp, var) {
                    resolver.close_loop(&mut facts, span(comp), range, action, action_span);
                }
            } else if let Some(node) = get(c.loop_map) {
                let (Some(func), Some(range)) = (get(c.loop_map_fn), get(c.loop_range)) else {
                    continue;
                };
                if let Some(action) = action_for_name(last_segment(func, src), "") {
                    resolver.close_loop(&mut facts, span(node), range, action, span(func));
                }
            } else if let Some(node) = get(c.loop_while) {
                let (Some(var), Some(bound)) = (get(c.loop_var), get(c.loop_bound)) else {
                    continue;
                };
                resolver.while_loop(&mut facts, node, var, bound);
            } else if let Some(node) = get(c.range_container) {
                let Some(args) = get(c.range_args) else {
                    continue;
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
                let Some(args) = get(c.range_args) else {
                    continue;
                };
                // `list(range(..))` is reported as the list; the inner range is the same container.
                if is_container_arg(node, src) {
                    continue;
                }
                resolver.fd_range(&mut facts, span(node), args, Container::Python2Range);
            } else if let Some(node) = get(c.spawn_call)
                && let (Some(func), Some(args)) = (get(c.spawn_func), get(c.spawn_args))
            {
                spawn_candidates.push((node, get(c.spawn_module), func, args));
            }
        }
    }
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
        if let Some((reason, sp)) = python2_syntax(c, root, src) {
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
    Ok(facts)
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

/// Python 2 statements and operators (`queries/python/dialect.scm`): the first, if any.
fn python2_syntax(c: &Compiled, root: Node, src: &str) -> Option<(&'static str, Span)> {
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&c.dialect, root, src.as_bytes());
    while let Some(m) = matches.next() {
        for (idx, reason) in &c.py2 {
            if let Some(cap) = m.captures().iter().find(|cap| cap.index == *idx) {
                return Some((reason, span(cap.node)));
            }
        }
    }
    None
}

/// Python 2 literals: `0777`, `10L`, `` `x` ``. Candidates come from the bytes and are confirmed
/// on the tree (a literal, not text in a string or comment); only the first few are looked at.
fn python2_literal(root: Node, src: &str) -> Option<(&'static str, Span)> {
    const MAX_CANDIDATES: usize = 64;
    let b = src.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'.';
    let mut checked = 0;
    for pos in memchr::memchr_iter(b'`', b) {
        checked += 1;
        if checked > MAX_CANDIDATES {
            break;
        }
        let node = root.descendant_for_byte_range(pos, pos + 1)?;
        if matches!(node.kind(), "string" | "string_start")
            && node.start_byte() == pos
            && let Some(n) = Some(node)
                .filter(|n| n.kind() == "string")
                .or_else(|| node.parent())
        {
            return Some(("backtick repr", span(n)));
        }
    }
    let mut i = 0;
    checked = 0;
    while i < b.len() && checked < MAX_CANDIDATES {
        if !b[i].is_ascii_digit() || (i > 0 && is_ident(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &b[start..i];
        let long = i < b.len() && (b[i] == b'l' || b[i] == b'L');
        let end = if long { i + 1 } else { i };
        if end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_' || b[end] == b'.') {
            i = end;
            continue;
        }
        let old_octal = digits.len() > 1
            && digits[0] == b'0'
            && digits.iter().all(|d| (b'0'..=b'7').contains(d))
            && digits.iter().any(|d| *d != b'0');
        if long || old_octal {
            checked += 1;
            if let Some(node) = root.descendant_for_byte_range(start, end)
                && node.kind() == "integer"
                && node.start_byte() == start
                && node.end_byte() == end
            {
                return Some(("Python 2 integer literal", span(node)));
            }
        }
        i = end;
    }
    None
}

/// A `#!` line naming a Python interpreter decides the dialect before any syntax does.
fn shebang_dialect(src: &str) -> Option<(PythonDialect, &'static str, Span)> {
    let line = src.lines().next()?;
    if !line.starts_with("#!") {
        return None;
    }
    let sp = Span::new(0, line.len());
    let words = line.split(|c: char| c.is_whitespace() || c == '/');
    for w in words {
        if w.starts_with("python2") {
            return Some((PythonDialect::Python2, "`python2` shebang", sp));
        }
        if w.starts_with("python3") {
            return Some((PythonDialect::Python3, "`python3` shebang", sp));
        }
    }
    None
}

fn is_container_arg(range_call: Node, src: &str) -> bool {
    let Some(args) = range_call.parent() else {
        return false;
    };
    let Some(call) = args.parent() else {
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
fn last_segment<'a>(node: Node, src: &'a str) -> &'a str {
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
fn action_for_name(name: &str, args: &str) -> Option<FdAction> {
    match name {
        "close" => Some(FdAction::Close),
        "fstat" => Some(FdAction::Probe),
        "set_inheritable" => Some(FdAction::SetCloexec),
        "fcntl" if args.contains("F_SETFD") => Some(FdAction::SetCloexec),
        "fcntl" if args.contains("F_GETFD") => Some(FdAction::Probe),
        _ => None,
    }
}

/// A call that passes the loop variable on: (callee's last name, argument position, call span).
type PassedFd = (String, usize, Span);

/// The first call inside `scope` that closes, flags or probes the variable `var`, and calls of
/// other functions with `var` as an argument (name, argument position, call span), in order.
/// Nested functions and classes are other scopes and are not searched.
fn find_action(scope: Node, var: &str, src: &str) -> (Option<(FdAction, Span)>, Vec<PassedFd>) {
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
                    match pos {
                        Some(0) if action_for_name(name, text(args, src)).is_some() => {
                            found = action_for_name(name, text(args, src)).map(|a| (a, span(n)));
                        }
                        Some(i) if !name.is_empty() => passed.push((name.to_string(), i, span(n))),
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

/// Which modules local names stand for: `import subprocess as sp`, `from os import popen`.
#[derive(Debug, Default)]
struct Imports {
    /// Local module name -> module (`sp` -> `subprocess`).
    modules: HashMap<String, String>,
    /// Local function name -> (module, name) (`Popen` -> (`subprocess`, `Popen`)).
    names: HashMap<String, (String, String)>,
}

impl Imports {
    fn of(root: Node, src: &str) -> Imports {
        let mut imp = Imports::default();
        let statements = ts::keyword_parents(
            root,
            src,
            "import",
            &["import_statement", "import_from_statement"],
        );
        for n in statements {
            match n.kind() {
                "import_statement" => {
                    let mut c = n.walk();
                    for name in n.children_by_field_name("name", &mut c) {
                        match name.kind() {
                            "dotted_name" => {
                                let t = text(name, src);
                                imp.modules.insert(t.to_string(), t.to_string());
                            }
                            "aliased_import" => {
                                if let (Some(m), Some(a)) = (
                                    name.child_by_field_name("name"),
                                    name.child_by_field_name("alias"),
                                ) {
                                    imp.modules
                                        .insert(text(a, src).to_string(), text(m, src).to_string());
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "import_from_statement" => {
                    let Some(module) = n.child_by_field_name("module_name") else {
                        continue;
                    };
                    let module = text(module, src).to_string();
                    let mut c = n.walk();
                    for name in n.children_by_field_name("name", &mut c) {
                        let (orig, local) = match name.kind() {
                            "dotted_name" => (text(name, src), text(name, src)),
                            "aliased_import" => match (
                                name.child_by_field_name("name"),
                                name.child_by_field_name("alias"),
                            ) {
                                (Some(m), Some(a)) => (text(m, src), text(a, src)),
                                _ => continue,
                            },
                            _ => continue,
                        };
                        imp.names
                            .insert(local.to_string(), (module.clone(), orig.to_string()));
                    }
                }
                _ => {}
            }
        }
        imp
    }
}

/// What a `module.func` call is, if it spawns a child or is `os.closerange`.
enum Callee {
    Spawn(SpawnApi),
    CloseRange,
}

fn classify(module: &str, func: &str) -> Option<Callee> {
    match (module, func) {
        ("subprocess", "Popen" | "call" | "check_call" | "check_output" | "run") => {
            Some(Callee::Spawn(SpawnApi::PySubprocess))
        }
        ("subprocess32", "Popen" | "call" | "check_call" | "check_output" | "run") => {
            Some(Callee::Spawn(SpawnApi::PySubprocess32))
        }
        ("os", "popen" | "popen2" | "popen3" | "popen4")
        | ("popen2", "popen2" | "popen3" | "popen4" | "Popen3" | "Popen4")
        | ("commands", "getoutput" | "getstatusoutput") => {
            Some(Callee::Spawn(SpawnApi::PyLegacyPopen))
        }
        ("os" | "posix", "closerange") => Some(Callee::CloseRange),
        _ => None,
    }
}

/// The content of a plain string literal (no f-string interpolation).
fn string_value<'a>(n: Node, src: &'a str) -> Option<&'a str> {
    if n.kind() != "string" {
        return None;
    }
    let mut c = n.walk();
    let mut content = None;
    for ch in n.children(&mut c) {
        match ch.kind() {
            "string_content" => content = Some(text(ch, src)),
            "string_start" | "string_end" => {}
            _ => return None,
        }
    }
    Some(content.unwrap_or(""))
}

/// Join path segments and resolve `.` and `..` (`a/../b` -> `b`).
pub(crate) fn normalise_path(parts: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in parts {
        for seg in part.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    if out.last().is_some_and(|l| *l != "..") {
                        out.pop();
                    } else {
                        out.push("..");
                    }
                }
                s => out.push(s),
            }
        }
    }
    let joined = out.join("/");
    if parts.first().is_some_and(|p| p.starts_with('/')) {
        format!("/{joined}")
    } else {
        joined
    }
}

/// `os.path.dirname(__file__)` and its `abspath`/`realpath` variants.
fn is_file_dir(n: Node, src: &str) -> bool {
    let t: String = text(n, src).split_whitespace().collect();
    matches!(
        t.as_str(),
        "os.path.dirname(__file__)"
            | "os.path.dirname(os.path.abspath(__file__))"
            | "os.path.dirname(os.path.realpath(__file__))"
            | "path.dirname(__file__)"
            | "dirname(__file__)"
    )
}

impl<'t> Resolver<'t> {
    /// The one value a name is assigned where `n` reads it (its function, else the module), if
    /// it has exactly one.
    fn single_value(&self, n: Node<'t>) -> Option<Node<'t>> {
        let name = self.text(n);
        let mut defs = definitions(enclosing_scope(n), name, self.src);
        if defs.is_empty() {
            defs = definitions(self.root, name, self.src);
        }
        match defs.as_slice() {
            [Def::Value(v)] => Some(*v),
            _ => None,
        }
    }

    /// A command word or path: a literal, `os.path.join(dirname(__file__), "x.py")`, or a name
    /// assigned one of those. Returns the text and whether it is relative to this file.
    fn path_expr(&mut self, n: Node<'t>, depth: usize) -> Option<(String, bool)> {
        if depth > 4 {
            return None;
        }
        if let Some(v) = string_value(n, self.src) {
            return Some((v.to_string(), false));
        }
        match n.kind() {
            "call" => {
                let func = n.child_by_field_name("function")?;
                let args = n.child_by_field_name("arguments")?;
                let ft = self.text(func);
                if !(ft == "os.path.join" || ft == "join" || ft == "path.join") {
                    return None;
                }
                let mut c = args.walk();
                let parts: Vec<Node<'t>> = args.named_children(&mut c).collect();
                let (rel, rest) = match parts.first() {
                    Some(first) if is_file_dir(*first, self.src) => (true, &parts[1..]),
                    Some(first) if first.kind() == "identifier" => {
                        // HERE = os.path.dirname(__file__)
                        let defs =
                            definitions(enclosing_scope(*first), self.text(*first), self.src);
                        let module_defs = definitions(self.root, self.text(*first), self.src);
                        let is_here = defs
                            .iter()
                            .chain(module_defs.iter())
                            .any(|d| matches!(d, Def::Value(v) if is_file_dir(*v, self.src)));
                        if is_here {
                            (true, &parts[1..])
                        } else {
                            (false, &parts[..])
                        }
                    }
                    _ => (false, &parts[..]),
                };
                let mut segs = Vec::new();
                for p in rest {
                    segs.push(string_value(*p, self.src)?.to_string());
                }
                let refs: Vec<&str> = segs.iter().map(String::as_str).collect();
                Some((normalise_path(&refs), rel))
            }
            "identifier" => self
                .single_value(n)
                .and_then(|v| self.path_expr(v, depth + 1)),
            _ => None,
        }
    }

    /// The words of a command: a list/tuple of words, or a shell string.
    fn command_words(&mut self, n: Node<'t>, depth: usize) -> Vec<(String, bool, Span)> {
        if depth > 4 {
            return Vec::new();
        }
        match n.kind() {
            "list" | "tuple" => {
                let mut c = n.walk();
                let els: Vec<Node<'t>> = n.named_children(&mut c).collect();
                let mut out = Vec::new();
                for e in els {
                    match self.path_expr(e, depth + 1) {
                        Some((w, rel)) => out.push((w, rel, span(e))),
                        // A word we cannot read (sys.executable, a variable): keep its place.
                        None => out.push((String::new(), false, span(e))),
                    }
                }
                out
            }
            "string" => match string_value(n, self.src) {
                Some(v) => v
                    .split_whitespace()
                    .map(|w| (w.to_string(), false, span(n)))
                    .collect(),
                None => Vec::new(),
            },
            "identifier" => match self.single_value(n) {
                Some(v) => self.command_words(v, depth + 1),
                None => Vec::new(),
            },
            _ => match self.path_expr(n, depth + 1) {
                Some((w, rel)) => vec![(w, rel, span(n))],
                None => Vec::new(),
            },
        }
    }

    fn spawn_call(
        &mut self,
        facts: &mut Facts,
        imports: &Imports,
        call: Node<'t>,
        module: Option<Node<'t>>,
        func: Node<'t>,
        args: Node<'t>,
    ) {
        let fname = self.text(func);
        let (module, name) = match module {
            Some(m) => {
                let local = self.text(m);
                let real = imports
                    .modules
                    .get(local)
                    .map(String::as_str)
                    .unwrap_or(local);
                (real.to_string(), fname.to_string())
            }
            None => match imports.names.get(fname) {
                Some((m, orig)) => (m.clone(), orig.clone()),
                None => return,
            },
        };
        let Some(kind) = classify(&module, &name) else {
            return;
        };
        let mut positional = Vec::new();
        let mut close_fds = None;
        let mut pass_fds = None;
        let mut splat = None;
        let mut args_kw = None;
        let mut c = args.walk();
        for a in args.named_children(&mut c) {
            match a.kind() {
                "keyword_argument" => {
                    let (Some(k), Some(v)) = (
                        a.child_by_field_name("name"),
                        a.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    match self.text(k) {
                        "close_fds" => close_fds = Some((a, v)),
                        "pass_fds" => pass_fds = Some(span(a)),
                        "args" => args_kw = Some(v),
                        _ => {}
                    }
                }
                "dictionary_splat" => splat = Some(a),
                "list_splat" | "comment" => {}
                _ => positional.push(a),
            }
        }
        if let Callee::CloseRange = kind {
            if let Some((lower, bound)) = self.range_of(args) {
                facts.closeranges.push(CloseRangeCall {
                    span: span(call),
                    lower,
                    bound,
                });
            }
            return;
        }
        let Callee::Spawn(api) = kind else {
            return;
        };
        let close_option = match (close_fds, splat) {
            (Some((kw, v)), _) => match self.text(v) {
                "True" | "1" => FdOption::Literal {
                    value: true,
                    span: span(kw),
                },
                "False" | "0" => FdOption::Literal {
                    value: false,
                    span: span(kw),
                },
                _ => FdOption::Unknown { span: span(kw) },
            },
            (None, Some(sp)) if api != SpawnApi::PyLegacyPopen => {
                FdOption::Unknown { span: span(sp) }
            }
            _ => FdOption::Absent,
        };
        let words = match args_kw.or(positional.first().copied()) {
            Some(cmd) => self.command_words(cmd, 0),
            None => Vec::new(),
        };
        let (interpreter, script) = interpreter_and_script(&words);
        facts.spawns.push(SpawnCall {
            span: span(call),
            api,
            callee: self
                .text(call.child_by_field_name("function").unwrap_or(func))
                .to_string(),
            close_option,
            passes_fds: pass_fds,
            interpreter,
            script,
        });
    }
}

/// The interpreter a command names (`python2`, from `/usr/bin/env python2` too) and the script
/// it runs: the first later word that looks like a script path.
pub(crate) fn interpreter_and_script(
    words: &[(String, bool, Span)],
) -> (Option<String>, Option<ScriptRef>) {
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_string();
    let is_interp = |w: &str| {
        let b = base(w);
        b.starts_with("python") || b.starts_with("pypy") || b.starts_with("ruby")
    };
    let mut i = 0;
    if words.first().is_some_and(|(w, _, _)| base(w) == "env") {
        i = 1;
        while words.get(i).is_some_and(|(w, _, _)| w.starts_with('-')) {
            i += 1;
        }
    }
    let interpreter = match words.get(i) {
        Some((w, _, _)) if is_interp(w) => {
            i += 1;
            Some(base(w))
        }
        _ => None,
    };
    let looks_like_script = |w: &str| {
        !w.is_empty()
            && !w.starts_with('-')
            && ([".py", ".rb", ".pl", ".sh"].iter().any(|e| w.ends_with(e))
                || (w.contains('/') && !w.rsplit('/').next().unwrap_or("").contains('.')))
    };
    let script = words[i.min(words.len())..]
        .iter()
        .find(|(w, _, _)| looks_like_script(w))
        .map(|(w, rel, sp)| ScriptRef {
            path: normalise_path(&[w.as_str()]),
            span: *sp,
            relative_to_file: *rel,
        });
    (interpreter, script)
}

/// What the resolver knows about a value.
#[derive(Debug, Clone)]
enum Val {
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
    Unknown,
}

/// Merge the values a name can have on different paths.
fn combine(vals: Vec<Val>) -> Val {
    let mut limit: Option<Val> = None;
    let mut ints: Vec<(u64, Span, Option<String>)> = Vec::new();
    let mut unknown = false;
    let mut pair = None;
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
        if ints.is_empty() && !unknown {
            return Val::Pair { origin };
        }
        return Val::Unknown;
    }
    if unknown || ints.is_empty() {
        return Val::Unknown;
    }
    let (value, span, name) = ints
        .into_iter()
        .max_by_key(|(v, _, _)| *v)
        .expect("non-empty");
    Val::Int { value, span, name }
}

/// Follows values through one file. Function lookups are cached per file.
struct Resolver<'t> {
    src: &'t str,
    root: Node<'t>,
    functions: Option<HashMap<&'t str, Vec<Node<'t>>>>,
    /// Names being resolved, to cut cycles such as `n = n + 1`.
    active: Vec<(usize, String)>,
}

const MAX_DEPTH: usize = 12;

impl<'t> Resolver<'t> {
    fn new(src: &'t str, root: Node<'t>) -> Self {
        Resolver {
            src,
            root,
            functions: None,
            active: Vec::new(),
        }
    }

    fn text(&self, n: Node) -> &'t str {
        text(n, self.src)
    }

    /// Positional arguments of an `argument_list` as (lower, upper) expressions.
    fn range_bounds(&self, args: Node<'t>) -> Option<(Option<Node<'t>>, Node<'t>)> {
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

    fn lower_of(&mut self, lo: Option<Node<'t>>) -> Option<u64> {
        match lo {
            None => Some(0),
            Some(n) => match self.eval(n, 0) {
                Val::Int { value, .. } => Some(value),
                _ => None,
            },
        }
    }

    fn bound_of(&mut self, hi: Node<'t>) -> Option<Bound> {
        let via = match hi.kind() {
            "identifier" => Some(self.text(hi).to_string()),
            "call" => hi
                .child_by_field_name("function")
                .filter(|f| self.function_defs(last_segment(*f, self.src)).is_some())
                .map(|f| format!("{}()", last_segment(f, self.src))),
            _ => None,
        };
        match self.eval(hi, 0) {
            Val::Limit {
                source,
                origin,
                fallbacks,
                cap,
            } => Some(Bound::limit(source, origin, via, fallbacks, cap)),
            Val::Int { value, span, name } => Some(Bound::guess(value, name, span, via)),
            Val::Pair { .. } | Val::Unknown => None,
        }
    }

    /// The first fd and the bound of a `range(...)` argument list, when the bound resolves.
    fn range_of(&mut self, range_args: Node<'t>) -> Option<(Option<u64>, Bound)> {
        let (lo, hi) = self.range_bounds(range_args)?;
        let bound = self.bound_of(hi)?;
        Some((self.lower_of(lo), bound))
    }

    fn close_loop(
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
        }
    }

    fn fd_range(
        &mut self,
        facts: &mut Facts,
        sp: Span,
        range_args: Node<'t>,
        container: Container,
    ) {
        if let Some((lower, bound)) = self.range_of(range_args) {
            facts.fd_ranges.push(FdRange {
                span: sp,
                container,
                lower,
                bound,
            });
        }
    }

    /// `while fd < maxfd:` whose body touches `fd` and steps it up.
    fn while_loop(&mut self, facts: &mut Facts, node: Node<'t>, var: Node<'t>, bound: Node<'t>) {
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
        let lower = match self.eval(var, 0) {
            Val::Int { value, .. } => Some(value),
            _ => None,
        };
        facts.close_loops.push(CloseLoop {
            span: Span::new(node.start_byte(), cond.end_byte()),
            action,
            action_span,
            lower,
            bound: b,
        });
    }

    /// What a loop body does to its variable: a direct close/flag/probe, or a call of a helper
    /// function in this file that does it to the parameter the variable is passed as
    /// (`close_file_descriptor_if_open(fd)`, `self._close(fd)`). Helpers are followed one level.
    fn loop_action(&mut self, scope: Node<'t>, var: &str) -> Option<(FdAction, Span)> {
        if exits_early(scope) {
            // `for fd in range(256, MAXFD): if free(fd): break` searches; it does not sweep.
            return None;
        }
        let (direct, passed) = find_action(scope, var, self.src);
        if direct.is_some() {
            return direct;
        }
        for (name, pos, call) in passed {
            let Some(defs) = self.function_defs(&name).cloned() else {
                continue;
            };
            for def in defs {
                let Some(param) = nth_param(def, pos, self.src) else {
                    continue;
                };
                let Some(body) = def.child_by_field_name("body") else {
                    continue;
                };
                if let (Some((action, _)), _) = find_action(body, param, self.src) {
                    return Some((action, call));
                }
            }
        }
        None
    }

    fn function_defs(&mut self, name: &str) -> Option<&Vec<Node<'t>>> {
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

    fn eval(&mut self, n: Node<'t>, depth: usize) -> Val {
        if depth > MAX_DEPTH {
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
                Val::Unknown
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

    fn eval_call(&mut self, n: Node<'t>, d: usize) -> Val {
        let (Some(func), Some(args)) = (
            n.child_by_field_name("function"),
            n.child_by_field_name("arguments"),
        ) else {
            return Val::Unknown;
        };
        let name = last_segment(func, self.src);
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
                    .any(|v| matches!(v, Val::Unknown | Val::Pair { .. }))
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
                    return Val::Unknown;
                };
                let key = (n.start_byte(), format!("{name}()"));
                if self.active.contains(&key) {
                    return Val::Unknown;
                }
                self.active.push(key);
                let mut vals = Vec::new();
                for def in defs {
                    if let Some(body) = def.child_by_field_name("body") {
                        for r in returns(body) {
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
    /// function (and its parameter defaults), else at module level.
    fn eval_name(&mut self, use_site: Node<'t>, d: usize) -> Val {
        let name = self.text(use_site);
        let mut scope = enclosing_scope(use_site);
        loop {
            let key = (scope.start_byte(), name.to_string());
            if self.active.contains(&key) {
                return Val::Unknown;
            }
            let defs = definitions(scope, name, self.src);
            if !defs.is_empty() {
                self.active.push(key);
                let vals: Vec<Val> = defs.into_iter().map(|def| self.eval_def(def, d)).collect();
                self.active.pop();
                let v = combine(vals);
                return match v {
                    Val::Int { value, span, .. } => Val::Int {
                        value,
                        span,
                        name: Some(name.to_string()),
                    },
                    v => v,
                };
            }
            if scope.kind() == "module" {
                break;
            }
            scope = self.root;
        }
        if imports_from_subprocess(self.root, name, self.src) {
            return limit(LimitSource::SubprocessMaxfd, span(use_site));
        }
        Val::Unknown
    }

    fn eval_def(&mut self, def: Def<'t>, d: usize) -> Val {
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
            Def::Opaque => Val::Unknown,
        }
    }
}

fn limit(source: LimitSource, origin: Span) -> Val {
    Val::Limit {
        source,
        origin,
        fallbacks: Vec::new(),
        cap: None,
    }
}

/// One way a name gets a value.
#[derive(Debug, Clone, Copy)]
enum Def<'t> {
    /// `name = expr`, a parameter default.
    Value(Node<'t>),
    /// `a, name = expr`: element `usize` of `expr`.
    Unpack(Node<'t>, usize),
    /// A parameter without default, a `for` target, `with .. as name`: not knowable.
    Opaque,
}

/// The function (or module) whose local `use_site`'s names are.
fn enclosing_scope(n: Node) -> Node {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if matches!(p.kind(), "function_definition" | "module") {
            return p;
        }
        cur = p;
    }
    cur
}

/// Every definition of `name` directly in `scope` (not in nested functions or classes).
fn definitions<'t>(scope: Node<'t>, name: &str, src: &str) -> Vec<Def<'t>> {
    let mut out = Vec::new();
    if scope.kind() == "function_definition"
        && let Some(params) = scope.child_by_field_name("parameters")
    {
        let mut c = params.walk();
        for p in params.named_children(&mut c) {
            match p.kind() {
                "identifier" if text(p, src) == name => out.push(Def::Opaque),
                "default_parameter" | "typed_default_parameter" => {
                    if p.child_by_field_name("name")
                        .is_some_and(|n| text(n, src) == name)
                        && let Some(v) = p.child_by_field_name("value")
                    {
                        out.push(Def::Value(v));
                    }
                }
                "typed_parameter" if p.named_child(0).is_some_and(|n| text(n, src) == name) => {
                    out.push(Def::Opaque);
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
            let (Some(left), Some(mut right)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) else {
                return true;
            };
            // a = b = expr
            while right.kind() == "assignment" {
                match right.child_by_field_name("right") {
                    Some(r) => right = r,
                    None => break,
                }
            }
            match left.kind() {
                "identifier" if text(left, src) == name => out.push(Def::Value(right)),
                "pattern_list" | "tuple_pattern" | "list_pattern" => {
                    let mut c = left.walk();
                    for (i, el) in left.named_children(&mut c).enumerate() {
                        if el.kind() == "identifier" && text(el, src) == name {
                            out.push(Def::Unpack(right, i));
                        }
                    }
                }
                _ => {}
            }
            true
        }
        "for_statement" => {
            if n.child_by_field_name("left")
                .is_some_and(|l| l.kind() == "identifier" && text(l, src) == name)
            {
                out.push(Def::Opaque);
            }
            true
        }
        "as_pattern_target" | "named_expression" => {
            if n.named_child(0).is_some_and(|l| text(l, src) == name) {
                out.push(Def::Opaque);
            }
            true
        }
        _ => true,
    });
    out
}

/// Whether a loop body leaves the loop early (`break`, `return`, `raise` outside a `try`
/// handler), which makes it a search rather than a sweep. Nested loops and functions are not
/// looked into: their `break`/`return` are their own.
fn exits_early(body: Node) -> bool {
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

/// The name of the parameter that receives positional argument `pos` of a call (`self`/`cls`
/// of a method are skipped: `self.f(fd)` passes `fd` to the second parameter).
fn nth_param<'a>(def: Node, pos: usize, src: &'a str) -> Option<&'a str> {
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
fn returns(body: Node) -> Vec<Node> {
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

/// `fd += 1` or `fd = fd + 1` somewhere in a while body.
fn increments(body: Node, var: &str, src: &str) -> bool {
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

/// `from subprocess import MAXFD`
fn imports_from_subprocess(root: Node, name: &str, src: &str) -> bool {
    let mut c = root.walk();
    root.named_children(&mut c).any(|n| {
        n.kind() == "import_from_statement"
            && n.child_by_field_name("module_name")
                .is_some_and(|m| text(m, src) == "subprocess")
            && {
                let mut c2 = n.walk();
                n.children_by_field_name("name", &mut c2)
                    .any(|x| text(x, src) == name)
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::BoundKind;

    fn facts(src: &str) -> Facts {
        extract(src, &FrontendOptions::default()).expect("parses")
    }

    fn slice(src: &str, s: Span) -> &str {
        &src[s.start..s.end]
    }

    #[test]
    fn region_queries_find_what_a_whole_tree_query_finds() {
        let c = compiled();
        let mut parser = Parser::new();
        parser.set_language(&language()).unwrap();
        let mut checked = 0;
        for (path, src) in ts::testing::fixture_sources("py") {
            let tree = parser.parse(&src, None).unwrap();
            let (regional, whole) =
                ts::testing::compare(&c.query, &tree, &src, &regions(src.as_bytes()));
            checked += whole.len();
            assert_eq!(regional, whole, "{path}");
        }
        assert!(checked > 50, "only {checked} matches in the fixtures");
        // The tokens are the names the queries' predicates accept, and `while`; `list`, `set`,
        // `reversed`, `map`... sit in the same match as a `range` token.
        let companions = [
            "list",
            "set",
            "frozenset",
            "tuple",
            "sorted",
            "reversed",
            "map",
        ];
        let mut names = ts::testing::predicate_names(&QUERY_FILES[..3]);
        names.push("while");
        for n in names.into_iter().filter(|n| !companions.contains(n)) {
            assert!(
                REGION_TOKENS.contains(&n),
                "`{n}` missing from REGION_TOKENS"
            );
        }
    }

    #[test]
    fn keyword_lookups_find_what_a_full_walk_finds() {
        // Every Python fixture plus look-alikes in strings, comments and broken code.
        let mut sources: Vec<String> = ts::testing::fixture_sources("py")
            .into_iter()
            .map(|(_, src)| src)
            .collect();
        sources.push(
            "'''import os\ndef f(): pass'''\n# import sys\ndef g(x):\n    import subprocess as sp\n    async def h(): from os import popen\nclass C:\n    def m(self): import(\n".into(),
        );
        assert!(sources.len() > 10);
        let mut parser = Parser::new();
        parser.set_language(&language()).unwrap();
        for src in &sources {
            let tree = parser.parse(src, None).unwrap();
            for (kw, kinds) in [
                ("import", &["import_statement", "import_from_statement"][..]),
                ("def", &["function_definition"][..]),
            ] {
                let mut walked = Vec::new();
                ts::walk(tree.root_node(), |n| {
                    if kinds.contains(&n.kind()) {
                        walked.push(n.id());
                    }
                    true
                });
                let looked_up: Vec<usize> = ts::keyword_parents(tree.root_node(), src, kw, kinds)
                    .iter()
                    .map(|n| n.id())
                    .collect();
                assert_eq!(looked_up, walked, "{kw} in {src}");
            }
        }
    }

    #[test]
    fn incident_loop_with_infinity_fallback() {
        let src = "import os, resource\n\
def close_fds():\n    maxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n    if maxfd == resource.RLIM_INFINITY:\n        maxfd = 65536\n    for fd in range(3, maxfd):\n        try:\n            os.close(fd)\n        except OSError:\n            pass\n";
        let f = facts(src);
        assert_eq!(f.close_loops.len(), 1, "{f:#?}");
        let l = &f.close_loops[0];
        assert_eq!(slice(src, l.span), "for fd in range(3, maxfd)");
        assert_eq!(l.lower, Some(3));
        assert_eq!(l.action, FdAction::Close);
        assert_eq!(slice(src, l.action_span), "os.close(fd)");
        assert_eq!(
            l.bound.kind,
            BoundKind::Limit {
                source: LimitSource::GetrlimitHard
            }
        );
        assert_eq!(
            slice(src, l.bound.origin),
            "resource.getrlimit(resource.RLIMIT_NOFILE)"
        );
        assert_eq!(l.bound.via.as_deref(), Some("maxfd"));
        assert_eq!(l.bound.fallbacks.len(), 1);
        assert_eq!(l.bound.fallbacks[0].value, 65536);
        // range() in a file of unknown dialect is still reported as a potential list; the rule
        // decides by the effective Python version.
        assert_eq!(f.fd_ranges.len(), 1);
        assert_eq!(f.fd_ranges[0].container, Container::Python2Range);
    }

    #[test]
    fn tuple_unpacking_and_min_cap() {
        let src = "from resource import getrlimit, RLIMIT_NOFILE\nimport os\nsoft, hard = getrlimit(RLIMIT_NOFILE)\nn = min(hard, 4096)\nfor fd in range(n):\n    os.close(fd)\n";
        let l = &facts(src).close_loops[0];
        assert_eq!(
            l.bound.kind,
            BoundKind::Limit {
                source: LimitSource::GetrlimitHard
            }
        );
        assert_eq!(l.bound.cap, Some(4096));
        assert_eq!(l.lower, Some(0));
    }

    #[test]
    fn sysconf_with_try_fallback_and_helper() {
        let src = "import os\ndef get_maxfd():\n    try:\n        maxfd = os.sysconf('SC_OPEN_MAX')\n    except (AttributeError, ValueError):\n        maxfd = 256\n    return maxfd\n\ndef sweep():\n    for fd in reversed(range(3, get_maxfd())):\n        os.close(fd)\n";
        let l = &facts(src).close_loops[0];
        assert_eq!(
            l.bound.kind,
            BoundKind::Limit {
                source: LimitSource::Sysconf
            }
        );
        assert_eq!(l.bound.via.as_deref(), Some("get_maxfd()"));
        assert_eq!(l.bound.fallbacks[0].value, 256);
    }

    #[test]
    fn python2_evidence() {
        for (src, reason) in [
            ("print 'x'\n", "print statement"),
            (
                "try:\n  pass\nexcept OSError, e:\n  pass\n",
                "`except X, e` clause",
            ),
            ("x = 0777\n", "Python 2 integer literal"),
            ("n = 10L\n", "Python 2 integer literal"),
            ("s = `n`\n", "backtick repr"),
            ("#!/usr/bin/env python2\nx = 1\n", "`python2` shebang"),
        ] {
            // Literal evidence is only looked for when a fact needs the dialect.
            let src = &format!("{src}import subprocess\nsubprocess.call(['ls'])\n");
            let f = facts(src);
            assert_eq!(f.runtime.dialect, PythonDialect::Python2, "{src}");
            assert_eq!(f.runtime.reason.as_ref().unwrap().0, reason);
        }
        for src in [
            "print('x')\n",
            "try:\n  pass\nexcept (A, B) as e:\n  pass\n",
            "x = 0o777\n",
            "x = 00\ny = '0777 `x` 10L'\n# 0777 `y`\nz = 1.0777\n",
        ] {
            let src = &format!("{src}import subprocess\nsubprocess.call(['ls'])\n");
            assert_eq!(facts(src).runtime.dialect, PythonDialect::Unknown, "{src}");
        }
    }

    #[test]
    fn negatives_produce_no_loops() {
        for src in [
            "import os\nfor fd in os.listdir('/proc/self/fd'):\n    os.close(int(fd))\n",
            "import os\ndef f(fds):\n    for fd in fds:\n        os.close(fd)\n",
            "import os, resource\nm = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\nfor fd in range(3, m):\n    os.close(3)\n",
            "import os\ndef f(n):\n    for fd in range(3, n):\n        os.close(fd)\n",
            "s = 'for fd in range(3, maxfd): os.close(fd)'\n# for fd in range(3, MAXFD): os.close(fd)\n",
            "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))\n",
        ] {
            assert!(facts(src).close_loops.is_empty(), "{src}");
        }
    }

    #[test]
    fn while_and_map_and_comprehension() {
        let src = "import os\nMAXFD = os.sysconf('SC_OPEN_MAX')\nfd = 3\nwhile fd < MAXFD:\n    try:\n        os.close(fd)\n    except OSError:\n        pass\n    fd += 1\nlist(map(os.close, range(3, MAXFD)))\n[os.fstat(i) for i in xrange(3, MAXFD)]\n";
        let f = facts(src);
        let spans: Vec<&str> = f.close_loops.iter().map(|l| slice(src, l.span)).collect();
        assert_eq!(
            spans,
            [
                "while fd < MAXFD",
                "map(os.close, range(3, MAXFD))",
                "[os.fstat(i) for i in xrange(3, MAXFD)]"
            ]
        );
        assert_eq!(f.close_loops[0].lower, Some(3));
        assert_eq!(f.close_loops[2].action, FdAction::Probe);
    }

    #[test]
    fn spawn_calls_and_scripts() {
        let src = "import os, subprocess\nfrom subprocess import Popen\nHERE = os.path.dirname(__file__)\nHELPER = os.path.join(HERE, 'helpers', '..', 'helpers', 'hl.py')\ndef go(kw):\n    subprocess.Popen(['/usr/bin/env', 'python2', HELPER], close_fds=False, pass_fds=(3,))\n    Popen('python3 /opt/x/run.py --fast', shell=True)\n    subprocess.call(['ls'], **kw)\n    os.closerange(3, os.sysconf('SC_OPEN_MAX'))\n    runner.run(['x'], close_fds=False)\n";
        let f = facts(src);
        assert_eq!(f.spawns.len(), 3, "{:#?}", f.spawns);
        let a = &f.spawns[0];
        assert_eq!(a.api, SpawnApi::PySubprocess);
        assert_eq!(a.callee, "subprocess.Popen");
        assert!(matches!(
            a.close_option,
            FdOption::Literal { value: false, .. }
        ));
        assert!(a.passes_fds.is_some());
        assert_eq!(a.interpreter.as_deref(), Some("python2"));
        let script = a.script.as_ref().unwrap();
        assert_eq!(script.path, "helpers/hl.py");
        assert!(script.relative_to_file);
        let b = &f.spawns[1];
        assert_eq!(b.callee, "Popen");
        assert_eq!(b.close_option, FdOption::Absent);
        assert_eq!(b.interpreter.as_deref(), Some("python3"));
        assert_eq!(b.script.as_ref().unwrap().path, "/opt/x/run.py");
        assert!(!b.script.as_ref().unwrap().relative_to_file);
        assert!(matches!(f.spawns[2].close_option, FdOption::Unknown { .. }));
        assert_eq!(f.closeranges.len(), 1);
        assert_eq!(f.closeranges[0].lower, Some(3));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let src = format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000));
        let _ = facts(&src);
        let src = format!(
            "maxfd = {}\nfor fd in range(3, maxfd):\n    os.close(fd)\n",
            "-".repeat(100_000) + "1"
        );
        let _ = facts(&src);
    }
}
