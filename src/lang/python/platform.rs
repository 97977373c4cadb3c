//! Platform guards: code that runs only on Windows (`if sys.platform == "win32":`,
//! `sys.platform.startswith("win")`, `os.name == "nt"`, `platform.system() == "Windows"`,
//! `subprocess._mswindows`, the `else:` of `if os.name == "posix":`, the rest of a block after
//! `if os.name != "nt": return`, names and same-file predicates defined from those) is not
//! judged by the POSIX fd rules: a loop, range, spawn call or `closerange` found there is no
//! fact, and an assignment there does not reach a spawn call on POSIX (`options.rs`).
//!
//! The vocabulary is the Ruby frontend's (`lang/ruby/platform.rs`): a test says `Some(true)`
//! when it holds exactly on Windows, `Some(false)` when it holds exactly off Windows
//! (`sys.platform != "win32"`, `os.name == "posix"`), and `None` when it says nothing about the
//! platform; `implies_windows(test, want)` reads "the test being truthy (`want`) or falsy
//! (`!want`) implies Windows". Unlike Ruby's list, Cygwin and MSYS are not Windows here:
//! their Python has `fork`, real fds and `close_fds`, so the POSIX rules apply there.
//! `sys.platform.startswith("win")` is Windows (no other `sys.platform` starts with `win`),
//! but `"win" in sys.platform` is not (`darwin`).

use super::*;
use crate::facts::Stage;

/// How many names, calls and expression levels a platform test is followed through.
const MAX_TEST_DEPTH: u32 = 12;

/// Whether the file can hold a platform test at all: every atom below needs one of these.
pub(super) fn may_have_guards(src: &str) -> bool {
    [
        "platform",
        "os.name",
        "mswindows",
        "builtin_module_names",
        "getwindowsversion",
    ]
    .iter()
    .any(|t| memchr::memmem::find(src.as_bytes(), t.as_bytes()).is_some())
}

/// What a platform string is read from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subject {
    /// `sys.platform`: `win32` on Windows, `linux`, `darwin`, `cygwin`, ...
    SysPlatform,
    /// `os.name`: `nt` on Windows, `posix` elsewhere.
    OsName,
    /// `platform.system()`: `Windows`, `Linux`, `Darwin`, ...
    System,
}

/// `Some(true)` when `value` is what `subject` says exactly on Windows, `Some(false)` when it
/// is what it says exactly everywhere else, else `None`.
fn value_on_windows(subject: Subject, v: &str, lowered: bool) -> Option<bool> {
    match subject {
        Subject::SysPlatform => matches!(v, "win32" | "win64").then_some(true),
        Subject::OsName => match v {
            "nt" | "ce" => Some(true),
            "posix" => Some(false),
            _ => None,
        },
        // `platform.system()` is capitalised: `"windows"` only matches after `.lower()`.
        Subject::System if lowered => matches!(v, "windows" | "microsoft").then_some(true),
        Subject::System => matches!(v, "Windows" | "Microsoft").then_some(true),
    }
}

/// The statement kinds that end a block's path: nothing after them in the block runs.
fn plain_exit(n: Node, src: &str) -> bool {
    match n.kind() {
        "return_statement" | "raise_statement" | "break_statement" | "continue_statement" => true,
        "expression_statement" => n.named_child(0).is_some_and(|c| {
            c.kind() == "call"
                && c.child_by_field_name("function").is_some_and(|f| {
                    matches!(
                        text(f, src),
                        "sys.exit" | "exit" | "quit" | "os._exit" | "os.abort"
                    )
                })
        }),
        _ => false,
    }
}

/// Modules that exist only on Windows: importing one raises `ImportError` everywhere else.
const WINDOWS_ONLY_MODULES: &[&str] = &[
    "msvcrt",
    "winreg",
    "_winreg",
    "_winapi",
    "winsound",
    "_subprocess",
    "win32api",
    "win32con",
    "win32process",
    "win32event",
    "win32file",
    "pywintypes",
    "win32job",
];

/// `import msvcrt`, `from _winapi import CreateProcess`: nothing after it runs on POSIX.
fn windows_only_import(n: Node, src: &str) -> bool {
    let module = match n.kind() {
        "import_statement" => {
            let mut c = n.walk();
            let names: Vec<Node> = n.children_by_field_name("name", &mut c).collect();
            return names.iter().any(|m| {
                let m = match m.kind() {
                    "aliased_import" => m.child_by_field_name("name"),
                    _ => Some(*m),
                };
                m.is_some_and(|m| WINDOWS_ONLY_MODULES.contains(&text(m, src)))
            });
        }
        "import_from_statement" => n.child_by_field_name("module_name"),
        _ => None,
    };
    module.is_some_and(|m| WINDOWS_ONLY_MODULES.contains(&text(m, src)))
}

/// The branches of an `if` statement: (condition, body), the `else:` without a condition.
pub(super) fn if_branches(n: Node) -> Vec<(Option<Node>, Node)> {
    let mut out = Vec::new();
    if let (Some(c), Some(b)) = (
        n.child_by_field_name("condition"),
        n.child_by_field_name("consequence"),
    ) {
        out.push((Some(c), b));
    }
    let mut cur = n.walk();
    for alt in n.children_by_field_name("alternative", &mut cur) {
        match alt.kind() {
            "elif_clause" => {
                if let (Some(c), Some(b)) = (
                    alt.child_by_field_name("condition"),
                    alt.child_by_field_name("consequence"),
                ) {
                    out.push((Some(c), b));
                }
            }
            "else_clause" => {
                if let Some(b) = alt.child_by_field_name("body") {
                    out.push((None, b));
                }
            }
            _ => {}
        }
    }
    out
}

impl<'t> Resolver<'t> {
    /// `Some(true)` when `test` holds exactly on Windows, `Some(false)` exactly off it.
    pub(super) fn platform_test(&mut self, test: Node<'t>) -> Option<bool> {
        if self.implies_windows(test, true, 0) {
            Some(true)
        } else if self.implies_windows(test, false, 0) {
            Some(false)
        } else {
            None
        }
    }

    /// Which branches of an `if` run on POSIX: for each of `if_branches`, whether it can, and
    /// whether some path falls through with none taken. `decided` says a platform test
    /// ruled something out.
    pub(super) fn posix_branches(&mut self, n: Node<'t>) -> PosixBranches<'t> {
        let mut out = PosixBranches {
            branches: Vec::new(),
            fallthrough: true,
            decided: false,
        };
        for (cond, body) in if_branches(n) {
            if !out.fallthrough {
                out.branches.push((body, false));
                continue;
            }
            match cond {
                None => {
                    out.branches.push((body, true));
                    out.fallthrough = false;
                }
                Some(c) => match self.platform_test(c) {
                    Some(true) => {
                        out.decided = true;
                        out.branches.push((body, false));
                    }
                    Some(false) => {
                        out.decided = true;
                        out.branches.push((body, true));
                        out.fallthrough = false;
                    }
                    None => out.branches.push((body, true)),
                },
            }
        }
        out
    }

    /// Whether no path through `block` goes on after it on POSIX (it returns, raises, breaks,
    /// exits, or takes a platform branch that does), and whether a platform test decided it.
    pub(super) fn block_exits(&mut self, block: Node<'t>, depth: u32) -> (bool, bool) {
        let mut c = block.walk();
        let stmts: Vec<Node<'t>> = block.named_children(&mut c).collect();
        for s in stmts {
            if let (true, decided) = self.statement_exits(s, depth) {
                return (true, decided);
            }
        }
        (false, false)
    }

    /// Whether statement `s` ends every POSIX path through it (see `block_exits`).
    pub(super) fn statement_exits(&mut self, s: Node<'t>, depth: u32) -> (bool, bool) {
        if plain_exit(s, self.src) {
            return (true, false);
        }
        if windows_only_import(s, self.src) {
            return (true, true);
        }
        if depth > MAX_TEST_DEPTH || !self.budget.step(Stage::Resolve) {
            return (false, false);
        }
        match s.kind() {
            "if_statement" => {
                let b = self.posix_branches(s);
                if b.fallthrough {
                    return (false, false);
                }
                let mut decided = b.decided;
                for (body, live) in b.branches {
                    if live {
                        let (exits, d) = self.block_exits(body, depth + 1);
                        if !exits {
                            return (false, false);
                        }
                        decided |= d;
                    }
                }
                (true, decided)
            }
            // `assert sys.platform == "win32"`: fails everywhere else.
            "assert_statement" => match s.named_child(0) {
                Some(t) if self.implies_windows(t, true, 0) => (true, true),
                _ => (false, false),
            },
            _ => (false, false),
        }
    }

    /// Whether the code at `span` runs only on Windows: a branch, operand or rest of a block
    /// around it is reached only when a platform test says Windows.
    pub(super) fn windows_only(&mut self, span: Span, guards: &mut GuardMemo) -> bool {
        let mut cur = self.root;
        loop {
            let mut walker = cur.walk();
            let Some(child) = cur
                .children(&mut walker)
                .find(|c| c.start_byte() <= span.start && span.end <= c.end_byte())
            else {
                return false;
            };
            if self.guards_windows(cur, child, guards) {
                return true;
            }
            if child.start_byte() == span.start && child.end_byte() == span.end {
                return false;
            }
            cur = child;
        }
    }

    /// Whether `parent` runs `child` only on Windows.
    fn guards_windows(
        &mut self,
        parent: Node<'t>,
        child: Node<'t>,
        guards: &mut GuardMemo,
    ) -> bool {
        match parent.kind() {
            "if_statement" => {
                let b = self.posix_branches(parent);
                // `elif_clause`/`else_clause` hold the body: compare by containment.
                b.branches.iter().any(|(body, live)| {
                    !live
                        && child.start_byte() <= body.start_byte()
                        && body.end_byte() <= child.end_byte()
                })
            }
            "conditional_expression" => {
                let mut c = parent.walk();
                let parts: Vec<Node<'t>> = parent.named_children(&mut c).collect();
                match parts.as_slice() {
                    [a, cond, b] => {
                        (child == *a && self.implies_windows(*cond, true, 0))
                            || (child == *b && self.implies_windows(*cond, false, 0))
                    }
                    _ => false,
                }
            }
            "boolean_operator" => {
                let (Some(l), Some(r), Some(op)) = (
                    parent.child_by_field_name("left"),
                    parent.child_by_field_name("right"),
                    parent.child_by_field_name("operator"),
                ) else {
                    return false;
                };
                child == r
                    && match self.text(op) {
                        "and" => self.implies_windows(l, true, 0),
                        "or" => self.implies_windows(l, false, 0),
                        _ => false,
                    }
            }
            // `try: import fcntl` / `except ImportError:` runs only where fcntl is missing.
            "try_statement" => {
                child.kind() == "except_clause"
                    && parent
                        .child_by_field_name("body")
                        .is_some_and(|b| super::options::posix_only_imports(b, self.src))
                    && super::options::catches_import_error(child, self.src)
            }
            // `if os.name != "nt": return` before the code.
            "block" | "module" => {
                let first_exit = match guards.get(&parent.id()) {
                    Some(v) => *v,
                    None => {
                        let mut found = None;
                        let mut c = parent.walk();
                        let stmts: Vec<Node<'t>> = parent.named_children(&mut c).collect();
                        for s in stmts {
                            if let (true, true) = self.statement_exits(s, 0) {
                                found = Some(s.end_byte());
                                break;
                            }
                        }
                        guards.insert(parent.id(), found);
                        found
                    }
                };
                first_exit.is_some_and(|end| child.start_byte() >= end)
            }
            _ => false,
        }
    }

    /// Whether `node` being truthy (`want`) or falsy (`!want`) implies that the code runs on
    /// Windows.
    pub(super) fn implies_windows(&mut self, node: Node<'t>, want: bool, depth: u32) -> bool {
        if depth > MAX_TEST_DEPTH || !self.budget.step(Stage::Resolve) {
            return false;
        }
        let d = depth + 1;
        match node.kind() {
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => self.implies_windows(inner, want, d),
                None => false,
            },
            "not_operator" => match node.child_by_field_name("argument") {
                Some(a) => self.implies_windows(a, !want, d),
                None => false,
            },
            "boolean_operator" => {
                let (Some(l), Some(r), Some(op)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    node.child_by_field_name("operator"),
                ) else {
                    return false;
                };
                let op = self.text(op);
                match (op, want) {
                    ("and", true) | ("or", false) => {
                        self.implies_windows(l, want, d) || self.implies_windows(r, want, d)
                    }
                    ("and", false) | ("or", true) => {
                        self.implies_windows(l, want, d) && self.implies_windows(r, want, d)
                    }
                    _ => false,
                }
            }
            // `WINDOWS = sys.platform == "win32"` ... `if WINDOWS:`
            "identifier" => match self.single_value(node) {
                Some(v) => self.implies_windows(v, want, d),
                None => false,
            },
            "call" => {
                // `def is_windows(): return os.name == "nt"` ... `if is_windows():`
                if let Some(v) = self.predicate_return(node) {
                    return self.implies_windows(v, want, d);
                }
                self.platform_atom(node) == Some(want)
            }
            _ => self.platform_atom(node) == Some(want),
        }
    }

    /// The one returned expression of a same-file function called without arguments.
    fn predicate_return(&mut self, call: Node<'t>) -> Option<Node<'t>> {
        let func = call.child_by_field_name("function")?;
        let args = call.child_by_field_name("arguments")?;
        if func.kind() != "identifier" || args.named_child_count() != 0 {
            return None;
        }
        let defs = self.function_defs(self.text(func))?.clone();
        let [def] = defs.as_slice() else {
            return None;
        };
        let body = def.child_by_field_name("body")?;
        match returns(body).as_slice() {
            [r] => r.named_child(0),
            _ => None,
        }
    }

    /// A platform string (`sys.platform`, `os.name`, `platform.system()`), and whether it was
    /// lowered (`.lower()`).
    fn subject(&self, n: Node<'t>) -> Option<(Subject, bool)> {
        match n.kind() {
            "attribute" => match self.text(n) {
                "sys.platform" => Some((Subject::SysPlatform, false)),
                "os.name" => Some((Subject::OsName, false)),
                _ => None,
            },
            // `from sys import platform`
            "identifier" if self.text(n) == "platform" => Some((Subject::SysPlatform, false)),
            "call" => {
                let func = n.child_by_field_name("function")?;
                let args = n.child_by_field_name("arguments")?;
                if args.named_child_count() != 0 {
                    return None;
                }
                match self.text(func) {
                    "platform.system" => Some((Subject::System, false)),
                    _ if func.kind() == "attribute" => {
                        let attr = func.child_by_field_name("attribute")?;
                        let obj = func.child_by_field_name("object")?;
                        if matches!(self.text(attr), "lower" | "casefold") {
                            let (s, _) = self.subject(obj)?;
                            Some((s, true))
                        } else {
                            None
                        }
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A test that says exactly which platform runs (see the module doc).
    fn platform_atom(&mut self, node: Node<'t>) -> Option<bool> {
        match node.kind() {
            "comparison_operator" => {
                let mut c = node.walk();
                let operands: Vec<Node<'t>> = node.named_children(&mut c).collect();
                let [l, r] = operands.as_slice() else {
                    return None;
                };
                let op: String = {
                    let mut c = node.walk();
                    node.children_by_field_name("operators", &mut c)
                        .map(|o| self.text(o))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let op = op.split_whitespace().collect::<Vec<_>>().join(" ");
                let negated = matches!(op.as_str(), "!=" | "is not" | "not in");
                let holds = match op.as_str() {
                    "==" | "!=" | "is" | "is not" => {
                        let (subject, value) = match (self.subject(*l), self.subject(*r)) {
                            (Some(s), None) => (s, *r),
                            (None, Some(s)) => (s, *l),
                            _ => return None,
                        };
                        let v = string_value(value, self.src)?;
                        value_on_windows(subject.0, v, subject.1)
                    }
                    "in" | "not in" => self.membership(*l, *r),
                    _ => None,
                }?;
                Some(holds != negated)
            }
            "call" => {
                let func = node.child_by_field_name("function")?;
                let args = node.child_by_field_name("arguments")?;
                let mut c = args.walk();
                let a: Vec<Node<'t>> = args.named_children(&mut c).collect();
                // `hasattr(sys, "getwindowsversion")`
                if self.text(func) == "hasattr" {
                    return (a.len() == 2
                        && self.text(a[0]) == "sys"
                        && string_value(a[1], self.src) == Some("getwindowsversion"))
                    .then_some(true);
                }
                // `sys.platform.startswith("win")`, `platform.system().startswith("Win")`
                if func.kind() != "attribute" || a.len() != 1 {
                    return None;
                }
                let attr = self.text(func.child_by_field_name("attribute")?);
                let (subject, lowered) = self.subject(func.child_by_field_name("object")?)?;
                if attr != "startswith" {
                    return None;
                }
                let prefixes: Vec<&str> = match a[0].kind() {
                    "tuple" => {
                        let mut c = a[0].walk();
                        let els: Vec<Node<'t>> = a[0].named_children(&mut c).collect();
                        els.iter()
                            .map(|e| string_value(*e, self.src))
                            .collect::<Option<Vec<_>>>()?
                    }
                    _ => vec![string_value(a[0], self.src)?],
                };
                let windows_prefix = |p: &str| match subject {
                    Subject::SysPlatform => !p.is_empty() && "win32".starts_with(p),
                    Subject::OsName => p == "nt",
                    Subject::System if lowered => {
                        p.len() >= 3 && ("windows".starts_with(p) || "microsoft".starts_with(p))
                    }
                    Subject::System => {
                        p.len() >= 3 && ("Windows".starts_with(p) || "Microsoft".starts_with(p))
                    }
                };
                (!prefixes.is_empty() && prefixes.iter().all(|p| windows_prefix(p))).then_some(true)
            }
            // `subprocess.mswindows` (Python 2), `subprocess._mswindows` (Python 3).
            "attribute" => {
                let t = self.text(node);
                (t.ends_with(".mswindows") || t.ends_with("._mswindows")).then_some(true)
            }
            _ => None,
        }
    }

    /// `sys.platform in ("win32",)`, `"nt" in sys.builtin_module_names`,
    /// `"windows" in platform.system().lower()`: `Some(true)` when membership holds exactly on
    /// Windows, `Some(false)` exactly off it.
    fn membership(&mut self, l: Node<'t>, r: Node<'t>) -> Option<bool> {
        let src = self.src;
        if let Some((subject, lowered)) = self.subject(l)
            && matches!(r.kind(), "tuple" | "list" | "set")
        {
            let mut c = r.walk();
            let els: Vec<Node<'t>> = r.named_children(&mut c).collect();
            let vals: Vec<Option<bool>> = els
                .iter()
                .map(|e| string_value(*e, src).and_then(|v| value_on_windows(subject, v, lowered)))
                .collect();
            return (!vals.is_empty() && vals.iter().all(|v| *v == Some(true))).then_some(true);
        }
        let needle = string_value(l, src)?;
        if self.text(r) == "sys.builtin_module_names" {
            return match needle {
                "nt" => Some(true),
                "posix" => Some(false),
                _ => None,
            };
        }
        // A substring of the platform string: only words no other platform's string holds.
        let (subject, lowered) = self.subject(r)?;
        let windows = match subject {
            Subject::SysPlatform => needle == "win32",
            Subject::System if lowered => matches!(needle, "windows" | "microsoft"),
            Subject::System => matches!(needle, "Windows" | "Microsoft"),
            Subject::OsName => false,
        };
        windows.then_some(true)
    }
}

/// Per `block`/`module` node: the end of its first statement after which nothing runs on
/// POSIX, so each block is looked at once however many facts it holds.
pub(super) type GuardMemo = HashMap<usize, Option<usize>>;

/// See `Resolver::posix_branches`.
pub(super) struct PosixBranches<'t> {
    /// Each branch's body and whether it can run on POSIX.
    pub(super) branches: Vec<(Node<'t>, bool)>,
    /// Whether a POSIX path can take none of the branches.
    pub(super) fallthrough: bool,
    /// Whether a platform test ruled a branch in or out.
    pub(super) decided: bool,
}

/// Drop the facts found in code that runs only on Windows.
pub(super) fn drop_windows_only(resolver: &mut Resolver, facts: &mut Facts) {
    let any = !facts.close_loops.is_empty()
        || !facts.fd_ranges.is_empty()
        || !facts.spawns.is_empty()
        || !facts.closeranges.is_empty();
    if !any || !may_have_guards(resolver.src) {
        return;
    }
    // One walk finds every Windows-only region; each fact is then a binary search, so a file
    // with many facts and many statements stays linear.
    let mut starts: Vec<usize> = facts
        .close_loops
        .iter()
        .map(|l| l.span.start)
        .chain(facts.fd_ranges.iter().map(|r| r.span.start))
        .chain(facts.spawns.iter().map(|s| s.span.start))
        .chain(facts.closeranges.iter().map(|c| c.span.start))
        .collect();
    starts.sort_unstable();
    let mut regions = resolver.windows_regions(&starts);
    regions.sort_by_key(|r| r.start);
    let mut reach = Vec::with_capacity(regions.len());
    let mut furthest = 0;
    for r in &regions {
        furthest = furthest.max(r.end);
        reach.push(furthest);
    }
    let keep = |sp: Span| {
        let i = regions.partition_point(|r| r.start <= sp.start);
        i == 0 || reach[i - 1] < sp.end
    };
    facts.close_loops.retain(|l| keep(l.span));
    facts.fd_ranges.retain(|r| keep(r.span));
    facts.spawns.retain(|s| keep(s.span));
    facts.closeranges.retain(|c| keep(c.span));
    facts.sweep_loops.retain(|s| keep(s.header));
    facts.iterated_ranges.retain(|r| keep(r.range));
}

impl<'t> Resolver<'t> {
    /// The regions that run only on Windows (the same tests as `windows_only`) among the
    /// nodes that hold a fact starting at one of `starts` (sorted): the walk enters no other
    /// subtree, so it costs the facts' ancestors and their siblings, not the whole tree.
    fn windows_regions(&mut self, starts: &[usize]) -> Vec<Span> {
        let mut out = Vec::new();
        let root = self.root;
        let mut guards = GuardMemo::new();
        ts::walk(root, |n| {
            let i = starts.partition_point(|s| *s < n.start_byte());
            if starts.get(i).is_none_or(|s| *s >= n.end_byte()) {
                return false;
            }
            match n.kind() {
                "if_statement" => {
                    for (body, live) in self.posix_branches(n).branches {
                        if !live {
                            out.push(span(body));
                        }
                    }
                }
                "conditional_expression" | "boolean_operator" | "try_statement" => {
                    let mut c = n.walk();
                    let children: Vec<Node<'t>> = n.named_children(&mut c).collect();
                    for ch in children {
                        if self.guards_windows(n, ch, &mut guards) {
                            out.push(span(ch));
                        }
                    }
                }
                "block" | "module" => {
                    let mut c = n.walk();
                    let stmts: Vec<Node<'t>> = n.named_children(&mut c).collect();
                    for s in stmts {
                        if let (true, true) = self.statement_exits(s, 0) {
                            out.push(Span::new(s.end_byte(), n.end_byte()));
                            break;
                        }
                    }
                }
                _ => {}
            }
            true
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::FdOption;
    use crate::lang::FrontendOptions;
    use crate::lang::python::extract;

    /// The `close_fds` option of each spawn call of `src` that is judged.
    fn judged(src: &str) -> Vec<FdOption> {
        extract(src, &FrontendOptions::default())
            .expect("extract")
            .spawns
            .into_iter()
            .map(|s| s.close_option)
            .collect()
    }

    #[test]
    fn windows_only_code_is_not_judged() {
        for body in [
            "if sys.platform == 'win32':\n    Popen(c)",
            "if 'win32' == sys.platform:\n    Popen(c)",
            "if sys.platform.startswith('win'):\n    Popen(c)",
            "if sys.platform.startswith(('win32', 'win')):\n    Popen(c)",
            "if os.name == 'nt':\n    Popen(c)",
            "if os.name is 'nt':\n    Popen(c)",
            "if platform.system() == 'Windows':\n    Popen(c)",
            "if platform.system().lower() == 'windows':\n    Popen(c)",
            "if platform.system() in ('Windows', 'Microsoft'):\n    Popen(c)",
            "if sys.platform in ['win32']:\n    Popen(c)",
            "if 'nt' in sys.builtin_module_names:\n    Popen(c)",
            "if hasattr(sys, 'getwindowsversion'):\n    Popen(c)",
            "if subprocess.mswindows:\n    Popen(c)",
            "if os.name == 'posix':\n    pass\nelse:\n    Popen(c)",
            "if sys.platform != 'win32':\n    pass\nelif x:\n    Popen(c)",
            "if not os.name == 'posix':\n    Popen(c)",
            "if os.name == 'nt' and x:\n    Popen(c)",
            "if not (os.name != 'nt' or x):\n    Popen(c)",
            "W = os.name == 'nt'\nif W:\n    Popen(c)",
            "def win():\n    return os.name == 'nt'\nif win():\n    Popen(c)",
            "x = Popen(c) if os.name == 'nt' else None",
            "x = None if os.name != 'nt' else Popen(c)",
            "x = os.name == 'nt' and Popen(c)",
            "x = os.name == 'posix' or Popen(c)",
            "def f():\n    if os.name != 'nt':\n        return\n    Popen(c)",
            "def f():\n    if sys.platform == 'win32':\n        pass\n    else:\n        raise E\n    Popen(c)",
            "assert sys.platform == 'win32'\nPopen(c)",
            "import msvcrt\nPopen(c)",
            "try:\n    import fcntl\nexcept ImportError:\n    Popen(c)",
            "for x in y:\n    if os.name != 'nt':\n        continue\n    Popen(c)",
        ] {
            let src = format!(
                "import os, sys, platform, subprocess\nfrom subprocess import Popen\n{body}\n"
            );
            assert!(judged(&src).is_empty(), "{body}");
        }
    }

    #[test]
    fn posix_code_and_loose_tests_are_judged() {
        for body in [
            "Popen(c)",
            "if sys.platform == 'win32':\n    pass\nelse:\n    Popen(c)",
            "if os.name == 'posix':\n    Popen(c)",
            "if 'win' in sys.platform:\n    Popen(c)",
            "if sys.platform.startswith('cygwin'):\n    Popen(c)",
            "if sys.platform in ('win32', 'cygwin'):\n    Popen(c)",
            "if sys.platform == 'darwin':\n    Popen(c)",
            "if platform.system() == 'windows':\n    Popen(c)",
            "if os.name == 'nt' or x:\n    Popen(c)",
            "if WINDOWS:\n    Popen(c)",
            "if is_windows():\n    Popen(c)",
            "def f():\n    if x:\n        return\n    Popen(c)",
            "def f():\n    if os.name == 'nt':\n        return\n    Popen(c)",
            "def f():\n    if os.name != 'nt':\n        log()\n    Popen(c)",
            "try:\n    import fcntl, yaml\nexcept ImportError:\n    Popen(c)",
            "try:\n    import fcntl\nexcept OSError:\n    Popen(c)",
            "x = Popen(c) if os.name == 'posix' else None",
        ] {
            let src = format!(
                "import os, sys, platform, subprocess\nfrom subprocess import Popen\n{body}\n"
            );
            assert_eq!(judged(&src).len(), 1, "{body}");
        }
    }

    #[test]
    fn close_fds_values_on_posix() {
        let lit = |o: &FdOption| match o {
            FdOption::Literal { value, .. } => Some(*value),
            _ => None,
        };
        for (body, want) in [
            (
                "c = sys.platform != 'win32'\nPopen(x, close_fds=c)",
                Some(true),
            ),
            ("c = os.name == 'nt'\nPopen(x, close_fds=c)", Some(false)),
            (
                "Popen(x, close_fds=not sys.platform.startswith('win'))",
                Some(true),
            ),
            (
                "Popen(x, close_fds=False if os.name == 'nt' else True)",
                Some(true),
            ),
            (
                "Popen(x, close_fds=True if os.name == 'nt' else False)",
                Some(false),
            ),
            (
                "Popen(x, close_fds='posix' in sys.builtin_module_names)",
                Some(true),
            ),
            (
                "c = True\nif x:\n    c = False\nPopen(x, close_fds=c)",
                Some(false),
            ),
            ("c = True\nif x:\n    c = f()\nPopen(x, close_fds=c)", None),
            ("c = f()\nPopen(x, close_fds=c)", None),
            ("c = False\nc = True\nPopen(x, close_fds=c)", Some(true)),
            ("k = {'close_fds': False}\nPopen(x, **k)", Some(false)),
            (
                "k = {}\nk.setdefault('close_fds', False)\nPopen(x, **k)",
                Some(false),
            ),
            (
                "k = {'close_fds': True}\nk.setdefault('close_fds', False)\nPopen(x, **k)",
                Some(true),
            ),
            ("k = {**base, 'close_fds': True}\nPopen(x, **k)", Some(true)),
            ("k = {'close_fds': True, **base}\nPopen(x, **k)", None),
            ("k = dict(base)\nPopen(x, **k)", None),
            (
                "k = {'close_fds': False}\ndel k['close_fds']\nPopen(x, **k)",
                None,
            ),
            (
                "k = {'close_fds': False}\nk = k.copy()\nPopen(x, **k)",
                Some(false),
            ),
            ("k = {'close_fds': False}\nchange(k)\nPopen(x, **k)", None),
            (
                "try:\n    c = True\nexcept E:\n    c = False\nPopen(x, close_fds=c)",
                Some(false),
            ),
            ("with f() as c:\n    Popen(x, close_fds=c)", None),
            ("a = b\nb = a\nPopen(x, close_fds=a)", None),
        ] {
            let src = format!("import os, sys\nfrom subprocess import Popen\n{body}\n");
            let got = judged(&src);
            assert_eq!(got.len(), 1, "{body}");
            assert_eq!(lit(&got[0]), want, "{body}: {:?}", got[0]);
        }
        // A dict without the key leaves the default: `Absent`.
        let got = judged("from subprocess import Popen\nk = {'cwd': '/'}\nPopen(x, **k)\n");
        assert!(matches!(got[0], FdOption::Absent), "{got:?}");
    }
}
