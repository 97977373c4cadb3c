//! Spawn calls: `subprocess`/`os.popen*`/`popen2`/`commands` calls (imports and module
//! aliases resolved) as `SpawnCall`s with their `close_fds`, and the interpreter and script a
//! command names.

use super::options::{FlowCache, OptionFlow};
use super::*;

/// Which modules local names stand for: `import subprocess as sp`, `from os import popen`.
#[derive(Debug, Default)]
pub(super) struct Imports {
    /// Local module name -> module (`sp` -> `subprocess`).
    pub(super) modules: HashMap<String, String>,
    /// Local function name -> (module, name) (`Popen` -> (`subprocess`, `Popen`)).
    pub(super) names: HashMap<String, (String, String)>,
    /// The option flow's cache, kept here because `Imports` lives exactly as long as the
    /// file's spawn calls are judged (`options.rs`).
    pub(super) flow: RefCell<FlowCache>,
}

impl Imports {
    pub(super) fn of(root: Node, src: &str) -> Imports {
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
                                imp.bind_module(t, t);
                            }
                            "aliased_import" => {
                                if let (Some(m), Some(a)) = (
                                    name.child_by_field_name("name"),
                                    name.child_by_field_name("alias"),
                                ) {
                                    imp.bind_module(text(a, src), text(m, src));
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
        imp.rebound_backport(root, src);
        imp
    }

    /// Records that `local` names `module`. A name bound to the `subprocess32` backport
    /// anywhere in the file keeps it: `try: import subprocess32 as subprocess` / `except
    /// ImportError: import subprocess` runs the backport wherever it is installed, and a file
    /// that reaches for the backport is written for it (its calls are judged like Python 3's).
    fn bind_module(&mut self, local: &str, module: &str) {
        if self.modules.get(local).is_some_and(|m| m == SUBPROCESS32) {
            return;
        }
        self.modules.insert(local.to_string(), module.to_string());
    }

    /// `subprocess = subprocess32` (and `subprocess = sp32` of an alias of it): the backport
    /// rebound by assignment, as `import subprocess32; subprocess = subprocess32` does. Only
    /// the backport's aliases are followed; every other module keeps what its imports say.
    fn rebound_backport(&mut self, root: Node, src: &str) {
        let aliases: Vec<String> = self
            .modules
            .iter()
            .filter(|(_, m)| *m == SUBPROCESS32)
            .map(|(l, _)| l.clone())
            .collect();
        for alias in &aliases {
            for leaf in identifiers_named(root, src, alias, usize::MAX) {
                if let Some(parent) = leaf.parent()
                    && parent.kind() == "assignment"
                    && parent.child_by_field_name("right") == Some(leaf)
                    && let Some(left) = parent.child_by_field_name("left")
                    && left.kind() == "identifier"
                {
                    self.modules
                        .insert(text(left, src).to_string(), SUBPROCESS32.to_string());
                }
            }
        }
    }
}

const SUBPROCESS32: &str = "subprocess32";

/// The identifiers spelled `name` in the file, in document order (at most `limit`): each
/// whole-word occurrence that is an identifier leaf (not text in a string or comment).
pub(super) fn identifiers_named<'t>(
    root: Node<'t>,
    src: &str,
    name: &str,
    limit: usize,
) -> Vec<Node<'t>> {
    let b = src.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    let mut out = Vec::new();
    for at in memchr::memmem::find_iter(b, name.as_bytes()) {
        if out.len() >= limit {
            break;
        }
        let end = at + name.len();
        if !crate::prefilter::starts_word(b, at) || b.get(end).is_some_and(|c| is_ident(*c)) {
            continue;
        }
        if let Some(leaf) = root.descendant_for_byte_range(at, end)
            && leaf.kind() == "identifier"
            && leaf.start_byte() == at
            && leaf.end_byte() == end
        {
            out.push(leaf);
        }
    }
    out
}

/// Records an `os.closerange` (or a call of a wrapper of it) once per call.
fn push_closerange(
    facts: &mut Facts,
    sp: Span,
    lower: Option<u64>,
    bound: Bound,
    through: Option<(String, Span)>,
) {
    if !facts.closeranges.iter().any(|c| c.span == sp) {
        facts.closeranges.push(CloseRangeCall {
            span: sp,
            lower,
            bound,
            through,
        });
    }
}

/// Calls of one closerange wrapper looked at, at most.
const MAX_WRAPPER_CALLS: usize = 64;

/// Where a closerange wrapper's parameter lands among a call's positional arguments.
#[derive(Clone, Copy)]
enum WrapperArg {
    /// The `n`th positional argument of the call (`self`/`cls` not counted).
    Param(usize),
    /// A number fixed in the wrapper (`os.closerange(3, hi)`).
    Fixed(u64),
}

/// What a `module.func` call is, if it spawns a child or is `os.closerange`.
pub(super) enum Callee {
    Spawn(SpawnApi),
    CloseRange,
}

pub(super) fn classify(module: &str, func: &str) -> Option<Callee> {
    match (module, func) {
        ("subprocess", "Popen" | "call" | "check_call" | "check_output" | "run") => {
            Some(Callee::Spawn(SpawnApi::PySubprocess))
        }
        ("subprocess32", "Popen" | "call" | "check_call" | "check_output" | "run") => {
            Some(Callee::Spawn(SpawnApi::PySubprocess32))
        }
        ("os", "popen") => Some(Callee::Spawn(SpawnApi::PyOsPopen)),
        ("os", "popen2" | "popen3" | "popen4")
        | ("popen2", "popen2" | "popen3" | "popen4" | "Popen3" | "Popen4")
        | ("commands", "getoutput" | "getstatusoutput") => {
            Some(Callee::Spawn(SpawnApi::PyLegacyPopen))
        }
        ("os" | "posix", "closerange") => Some(Callee::CloseRange),
        _ => None,
    }
}

/// The content of a plain string literal (no f-string interpolation).
pub(super) fn string_value<'a>(n: Node, src: &'a str) -> Option<&'a str> {
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
pub(super) fn is_file_dir(n: Node, src: &str) -> bool {
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
    pub(super) fn single_value(&self, n: Node<'t>) -> Option<Node<'t>> {
        let name = self.text(n);
        let mut defs = self.defs_in(self.scope_of(n), name);
        if defs.is_empty() {
            defs = self.defs_in(self.root, name);
        }
        match defs.as_slice() {
            [Def::Value(v)] => Some(*v),
            _ => None,
        }
    }

    /// A command word or path: a literal, `os.path.join(dirname(__file__), "x.py")`, or a name
    /// assigned one of those. Returns the text and whether it is relative to this file.
    pub(super) fn path_expr(&mut self, n: Node<'t>, depth: usize) -> Option<(String, bool)> {
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
                        let defs = self.defs_in(self.scope_of(*first), self.text(*first));
                        let module_defs = self.defs_in(self.root, self.text(*first));
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
    pub(super) fn command_words(&mut self, n: Node<'t>, depth: usize) -> Vec<(String, bool, Span)> {
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

    pub(super) fn spawn_call(
        &mut self,
        facts: &mut Facts,
        imports: &Imports,
        call: Node<'t>,
        module: Option<Node<'t>>,
        func: Node<'t>,
        args: Node<'t>,
    ) {
        let fname = self.text(func);
        // The module and function the call names, and whether it spells either otherwise
        // (`import os as o`, `from os import popen as run_shell`).
        let (module, name, renamed) = match module {
            Some(m) => {
                let local = self.text(m);
                let real = imports
                    .modules
                    .get(local)
                    .map(String::as_str)
                    .unwrap_or(local);
                (real.to_string(), fname.to_string(), real != local)
            }
            None => match imports.names.get(fname) {
                Some((m, orig)) => (m.clone(), orig.clone(), orig != fname),
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
        let mut splats = 0;
        let mut args_kw = None;
        // The newest Python 3 API the call uses, if any (stdlib `subprocess` only: the
        // `subprocess32` backport has `timeout=`, `pass_fds=` and `run` on Python 2).
        let mut floor: Option<(u8, String)> = None;
        let mut needs = |minor: u8, what: String| {
            if floor.as_ref().is_none_or(|(m, _)| minor > *m) {
                floor = Some((minor, what));
            }
        };
        if api_is_stdlib(&module) && name == "run" {
            needs(5, format!("`{module}.run`"));
        }
        let mut c = args.walk();
        for a in args.named_children(&mut c) {
            if api_is_stdlib(&module) {
                let value = match a.kind() {
                    "keyword_argument" => a.child_by_field_name("value"),
                    _ => Some(a),
                };
                if let Some(v) = value
                    && self.is_stdlib_devnull(imports, v)
                {
                    needs(3, format!("`{}`", self.text(v)));
                }
                if a.kind() == "keyword_argument"
                    && let Some(k) = a.child_by_field_name("name")
                    && let Some(minor) = python3_keyword(self.text(k))
                {
                    needs(minor, format!("`{}=`", self.text(k)));
                }
            }
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
                "dictionary_splat" => {
                    splats += 1;
                    splat = Some(a);
                }
                "list_splat" | "comment" => {}
                _ => positional.push(a),
            }
        }
        if let Callee::CloseRange = kind {
            if let Some((lower, bound)) = self.range_of(args) {
                push_closerange(facts, span(call), lower, bound, None);
            } else {
                self.closerange_wrapper(facts, call, args);
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
                // A variable or expression: its values on the paths that reach the call.
                _ => OptionFlow::new(self, &mut imports.flow.borrow_mut()).flag(v, span(kw)),
            },
            (None, Some(sp)) if !matches!(api, SpawnApi::PyLegacyPopen | SpawnApi::PyOsPopen) => {
                match sp.named_child(0) {
                    // `**kwargs`: the `close_fds` key of the options each path builds.
                    Some(x) if splats == 1 => {
                        OptionFlow::new(self, &mut imports.flow.borrow_mut()).options(x, span(sp))
                    }
                    _ => FdOption::Unknown { span: span(sp) },
                }
            }
            _ => FdOption::Absent,
        };
        let words = match args_kw.or(positional.first().copied()) {
            Some(cmd) => self.command_words(cmd, 0),
            None => Vec::new(),
        };
        let (interpreter, script) = interpreter_and_script(&words);
        if let Some((minor, what)) = floor {
            facts.python3_only.push(Python3Only {
                call: span(call),
                minor,
                what,
            });
        }
        facts.spawns.push(SpawnCall {
            span: span(call),
            api,
            callee: self
                .text(call.child_by_field_name("function").unwrap_or(func))
                .to_string(),
            api_name: renamed.then(|| format!("{module}.{name}")),
            close_option,
            passes_fds: pass_fds,
            interpreter,
            script,
        });
    }
}

impl<'t> Resolver<'t> {
    /// `os.closerange(fd_low, fd_high)` on the parameters of the function that makes it
    /// (subprocess32's `@staticmethod def _closerange(fd_low, fd_high)`): each call of that
    /// function in the file (`self._closerange(start_fd, MAXFD)`, `cls.`/`ClassName.` for a
    /// method, a bare call for a module-level function) is a `CloseRangeCall` at the call,
    /// with the call's arguments in the parameters' places. The wrapper itself has no bound.
    /// A wrapper that lists `/proc/self/fd` or `/dev/fd` first is the fix and is not followed.
    fn closerange_wrapper(&mut self, facts: &mut Facts, call: Node<'t>, args: Node<'t>) {
        let Some((lo, hi)) = self.range_bounds(args) else {
            return;
        };
        let def = self.scope_of(call);
        if def.kind() != "function_definition" {
            return;
        }
        let (Some(name), Some(body)) = (
            def.child_by_field_name("name"),
            def.child_by_field_name("body"),
        ) else {
            return;
        };
        // A function that lists the open fds first and falls back to `os.closerange` where
        // there is no listing (fdlint's own `_fdlint_close_open_fds`) is the fix, not a sweep.
        let body_text = self.text(body);
        if ["/proc/", "/dev/fd"].iter().any(|p| body_text.contains(p)) {
            return;
        }
        let place = |r: &Self, n: Node<'t>| -> Option<WrapperArg> {
            if n.kind() == "identifier" {
                let t = r.text(n);
                return (0..8)
                    .find(|&i| nth_param(def, i, r.src) == Some(t))
                    .map(WrapperArg::Param);
            }
            (n.kind() == "integer")
                .then(|| ts::parse_int(r.text(n)))
                .flatten()
                .map(WrapperArg::Fixed)
        };
        let Some(WrapperArg::Param(hi_at)) = place(self, hi) else {
            return;
        };
        let lo_at = match lo {
            None => WrapperArg::Fixed(0),
            Some(n) => match place(self, n) {
                Some(p) => p,
                None => return,
            },
        };
        // The class the wrapper is a method of (through a decorator such as @staticmethod).
        let holder = def
            .parent()
            .filter(|p| p.kind() == "decorated_definition")
            .unwrap_or(def);
        let class_name = std::iter::successors(holder.parent(), |n| n.parent())
            .find(|n| matches!(n.kind(), "class_definition" | "function_definition"))
            .filter(|n| n.kind() == "class_definition")
            .and_then(|c| c.child_by_field_name("name"))
            .map(|n| self.text(n));
        let fname = self.text(name);
        for leaf in identifiers_named(self.root, self.src, fname, MAX_WRAPPER_CALLS) {
            if !self.budget.step(Stage::Walk) {
                return;
            }
            let Some(parent) = leaf.parent() else {
                continue;
            };
            let callee = match (parent.kind(), class_name) {
                // A method: `self._closerange(..)`, `cls._closerange(..)`, `Popen._closerange(..)`.
                ("attribute", Some(class)) => {
                    let receiver = parent.child_by_field_name("object").map(|o| self.text(o));
                    if parent.child_by_field_name("attribute") != Some(leaf)
                        || !matches!(receiver, Some(r) if r == "self" || r == "cls" || r == class)
                    {
                        continue;
                    }
                    parent
                }
                ("call", None) => leaf,
                _ => continue,
            };
            let Some(site) = callee.parent().filter(|c| {
                c.kind() == "call" && c.child_by_field_name("function") == Some(callee)
            }) else {
                continue;
            };
            // A recursive call inside the wrapper is the wrapper's business.
            if def.byte_range().contains(&site.start_byte()) {
                continue;
            }
            let Some(site_args) = site.child_by_field_name("arguments") else {
                continue;
            };
            let mut c = site_args.walk();
            let positional: Vec<Node<'t>> = site_args
                .named_children(&mut c)
                .filter(|a| a.kind() != "comment")
                .collect();
            if positional.iter().any(|a| {
                matches!(
                    a.kind(),
                    "list_splat" | "dictionary_splat" | "keyword_argument"
                )
            }) {
                continue;
            }
            let Some(&hi_arg) = positional.get(hi_at) else {
                continue;
            };
            let Some(bound) = self.bound_of(hi_arg) else {
                continue;
            };
            let lower = match lo_at {
                WrapperArg::Fixed(v) => Some(v),
                WrapperArg::Param(i) => positional.get(i).and_then(|n| self.lower_of(Some(*n))),
            };
            let through = Some((self.text(callee).to_string(), span(call)));
            push_closerange(facts, span(site), lower, bound, through);
        }
    }
}

/// Whether `module` is the standard library's `subprocess` (not the `subprocess32` backport,
/// which has Python 3's API on Python 2).
fn api_is_stdlib(module: &str) -> bool {
    module == "subprocess"
}

/// The Python 3 minor version that added a keyword argument of `subprocess.Popen` and its
/// helpers: a call passing it raises `TypeError` on Python 2, so it only runs on Python 3.
fn python3_keyword(name: &str) -> Option<u8> {
    Some(match name {
        "pass_fds" | "start_new_session" | "restore_signals" => 2,
        "timeout" => 3,
        "input" => 4,
        "encoding" | "errors" => 6,
        "capture_output" | "text" => 7,
        "user" | "group" | "extra_groups" | "umask" => 9,
        "pipesize" => 10,
        "process_group" => 11,
        _ => return None,
    })
}

impl Resolver<'_> {
    /// `subprocess.DEVNULL` (3.3+), through the module's local names, or `DEVNULL` imported
    /// from `subprocess`.
    fn is_stdlib_devnull(&self, imports: &Imports, v: Node) -> bool {
        match v.kind() {
            "attribute" => {
                v.child_by_field_name("attribute")
                    .is_some_and(|a| self.text(a) == "DEVNULL")
                    && v.child_by_field_name("object").is_some_and(|o| {
                        let local = self.text(o);
                        o.kind() == "identifier"
                            && api_is_stdlib(
                                imports.modules.get(local).map_or(local, String::as_str),
                            )
                    })
            }
            "identifier" => imports
                .names
                .get(self.text(v))
                .is_some_and(|(m, n)| api_is_stdlib(m) && n == "DEVNULL"),
            _ => false,
        }
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

/// `from subprocess import MAXFD`
pub(super) fn imports_from_subprocess(root: Node, name: &str, src: &str) -> bool {
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
