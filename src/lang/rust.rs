//! Rust frontend: parses a file with `syn` and extracts [`CloseLoop`]s and [`FdRange`]s.
//!
//! The file is parsed once; a collector walks the tree recording, per function, every local
//! binding and re-assignment (flow-insensitively: every definition of a name is one alternative
//! value), the structs that `getrlimit(RLIMIT_NOFILE, &mut s)` fills, the file's constants and
//! functions, and the candidate loops and collections. Each candidate's upper bound is then
//! resolved through those definitions (see `resolve`); whatever does not resolve is not a fact.
//!
//! Robustness: a byte scan (`scan`) refuses files nested too deeply for `syn`'s recursive
//! parser, moderately deep files are parsed on a helper thread with a large stack, and
//! `proc_macro2`'s per-thread source map is cleared after every file.
//!
//! What lies outside the file (the crate index's entries, platform guards, names that read as
//! the limit or as a close wrapper) is in `outside.rs`; resolution in `resolve.rs`.
//!
//! Not split further yet, on purpose: this file is still one module of ~1,100 non-test lines
//! (extraction, the collector's visitor, loop actions, `Command` chains) because another branch
//! is changing its `plain_close_loops` handling at the same time, and moving that code now
//! would turn their merge into a rewrite. The intended split, once both are merged:
//! `rust/mod.rs` (extract, `parse_with`), `visit.rs` (`Collector` and its `Visit`), `loops.rs`
//! (`find_action`, `call_action`, `body_only_closes`, `increments`), `spawn.rs`
//! (`command_call`, `arg_words`), `syntax.rs` (the small helpers at the end).

mod outside;
mod resolve;
mod scan;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use proc_macro2::Span as PSpan;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Block, Expr, ExprCall, ExprMethodCall, Pat, Stmt, Type};

use super::{FrontendError, FrontendOptions};
use crate::facts::{
    Bound, BoundKind, CloseLoop, Container, Facts, FdAction, FdOption, FdRange, PlainCloseLoop,
    Span, SpawnApi, SpawnCall,
};
use crate::index::LimitIndex;

/// Files nested deeper than this (brackets) are not analysed.
pub const MAX_NESTING: usize = 256;
/// Files with a longer operator chain in one expression (plus its nesting) are not analysed.
pub const MAX_CHAIN: usize = 1024;
/// Files no deeper than this are parsed on the calling thread; deeper ones on a helper thread.
const INLINE_NESTING: usize = 24;
const INLINE_CHAIN: usize = 64;

pub use outside::index_file;

pub fn extract(text: &str, opts: &FrontendOptions) -> Result<Facts, FrontendError> {
    let base = prelude_len(text);
    let body = &text[base..];
    let shape = scan::scan(body, MAX_NESTING, MAX_CHAIN);
    if shape.depth > MAX_NESTING || shape.chain > MAX_CHAIN {
        return without_deep_items(body, base, shape, opts.index.clone());
    }
    run_sized(
        body,
        base,
        shape,
        opts.index.clone(),
        |c| c.finish(),
        facts_with_error,
    )
}

/// Parse `text` (guarded against deep nesting: a file too deep is refused whole), collect it,
/// and hand the collector to `then`; `broken` makes the result for a file `syn` rejects (the
/// error's span) or that panics. The crate index reads other files through this.
fn parse_with<T: Send>(
    text: &str,
    index: Option<Arc<dyn LimitIndex>>,
    then: impl FnOnce(Collector<'_>) -> T + Send,
    broken: fn(Span) -> T,
) -> Result<T, FrontendError> {
    let base = prelude_len(text);
    let body = &text[base..];
    let shape = scan::scan(body, MAX_NESTING, MAX_CHAIN);
    if shape.depth > MAX_NESTING {
        return Err(FrontendError::TooDeep(MAX_NESTING));
    }
    if shape.chain > MAX_CHAIN {
        return Err(FrontendError::TooDeep(MAX_CHAIN));
    }
    run_sized(body, base, shape, index, then, broken)
}

/// The facts of a file too deep for `syn` as a whole: its top-level items (`scan::items`) that
/// are too deep are blanked out (every byte a space, line breaks kept, so every offset stays
/// the same and the other items still see each other's constants and functions), and the rest
/// is analysed. A file that is one deep item is refused, as before.
fn without_deep_items(
    body: &str,
    base: usize,
    shape: scan::Shape,
    index: Option<Arc<dyn LimitIndex>>,
) -> Result<Facts, FrontendError> {
    let refused = if shape.depth > MAX_NESTING {
        FrontendError::TooDeep(MAX_NESTING)
    } else {
        FrontendError::TooDeep(MAX_CHAIN)
    };
    let mut blanked = body.as_bytes().to_vec();
    let mut first_deep = None;
    let mut kept = 0;
    for item in scan::items(body) {
        let s = scan::scan(&body[item.clone()], MAX_NESTING, MAX_CHAIN);
        if s.depth > MAX_NESTING || s.chain > MAX_CHAIN {
            let limit = if s.depth > MAX_NESTING {
                MAX_NESTING
            } else {
                MAX_CHAIN
            };
            first_deep.get_or_insert((Span::new(base + item.start, base + item.end), limit));
            for b in &mut blanked[item] {
                if !matches!(*b, b'\n' | b'\r') {
                    *b = b' ';
                }
            }
        } else if !body[item].trim().is_empty() {
            kept += 1;
        }
    }
    if kept == 0 || first_deep.is_none() {
        return Err(refused);
    }
    // Only ASCII bytes were written, each over a whole character's bytes.
    let Ok(blanked) = String::from_utf8(blanked) else {
        return Err(refused);
    };
    let shape = scan::scan(&blanked, MAX_NESTING, MAX_CHAIN);
    if shape.depth > MAX_NESTING || shape.chain > MAX_CHAIN {
        return Err(refused);
    }
    let mut facts = run_sized(
        &blanked,
        base,
        shape,
        index,
        |c| c.finish(),
        facts_with_error,
    )?;
    facts.too_deep = first_deep;
    Ok(facts)
}

/// Parse and analyse `body` on this thread when it is shallow, else on a helper thread with a
/// stack sized for its depth.
fn run_sized<T: Send>(
    body: &str,
    base: usize,
    shape: scan::Shape,
    index: Option<Arc<dyn LimitIndex>>,
    then: impl FnOnce(Collector<'_>) -> T + Send,
    broken: fn(Span) -> T,
) -> Result<T, FrontendError> {
    let whole = Span::new(base, base + body.len());
    if shape.depth <= INLINE_NESTING && shape.chain <= INLINE_CHAIN {
        return Ok(run(body, base, index, then, broken));
    }
    // Measured in debug builds: ~24 KiB of stack per nested block, ~8 KiB per chained operator.
    let stack = (8 << 20) + shape.depth * (32 << 10) + shape.chain * (12 << 10);
    std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .name("fdlint-rust-parse".into())
            .stack_size(stack)
            .spawn_scoped(s, || run(body, base, index, then, broken));
        match spawned {
            Ok(handle) => Ok(handle.join().unwrap_or_else(|_| broken(whole))),
            Err(_) => Err(FrontendError::TooDeep(shape.depth)),
        }
    })
}

/// The length of a leading byte-order mark and `#!` shebang line, which `syn` does not parse.
/// (`syn::parse_file` strips them itself but then reports spans relative to the rest.)
fn prelude_len(text: &str) -> usize {
    let mut base = 0;
    if text.starts_with('\u{feff}') {
        base = '\u{feff}'.len_utf8();
    }
    let rest = &text[base..];
    if let Some(after) = rest.strip_prefix("#!")
        && !after.trim_start().starts_with('[')
    {
        base += rest.find('\n').unwrap_or(rest.len());
    }
    base
}

fn facts_with_error(span: Span) -> Facts {
    Facts {
        syntax_errors: vec![span],
        ..Facts::default()
    }
}

/// Parse and analyse `body` on the current thread, then forget its spans.
fn run<T>(
    body: &str,
    base: usize,
    index: Option<Arc<dyn LimitIndex>>,
    then: impl FnOnce(Collector<'_>) -> T,
    broken: fn(Span) -> T,
) -> T {
    let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let file = match syn::parse_str::<syn::File>(body) {
            Ok(f) => f,
            Err(e) => {
                let r = e.span().byte_range();
                let (start, end) = (r.start.min(body.len()), r.end.min(body.len()));
                return broken(Span::new(base + start, base + end.max(start)));
            }
        };
        let mut c = Collector::new(base, index);
        c.visit_file(&file);
        then(c)
    }))
    .unwrap_or_else(|_| broken(Span::new(base, base + body.len())));
    // proc-macro2 keeps every parsed file's text in a thread-local map that otherwise grows
    // for the whole run; no span of this file outlives the collector.
    proc_macro2::extra::invalidate_current_thread_spans();
    out
}

// ---------------------------------------------------------------------------------------------
// Collection

/// A projection applied to a value: a tuple index or a named field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Proj {
    Index(u32),
    Field(String),
}

/// One definition of a local name: `expr`, projected through the pattern path (outermost first).
pub(crate) struct Def<'a> {
    pub expr: &'a Expr,
    pub path: Vec<Proj>,
}

/// A function body's (or the file level's) local data flow.
#[derive(Default)]
pub(crate) struct Scope<'a> {
    pub defs: HashMap<String, Vec<Def<'a>>>,
    /// Struct variables filled by `getrlimit(RLIMIT_NOFILE, &mut name)`, with the call's span.
    pub filled: HashMap<String, PSpan>,
    /// Names passed by `&mut` (or `.as_mut_ptr()`) somewhere: their initialisers are not their
    /// values.
    pub mutated: std::collections::HashSet<String>,
    /// The function's name and its parameters' names in order (the receiver not counted; a
    /// pattern that binds no single name is `""`).
    pub func: Option<String>,
    pub params: Vec<String>,
}

enum CandKind<'a> {
    Loop {
        var: String,
        /// The iterable (`for`, `for_each`) or `None` for a `while` loop.
        range: Option<&'a syn::ExprRange>,
        /// The upper bound of a `while` loop.
        hi: Option<&'a Expr>,
        body: LoopBody<'a>,
    },
    Collect {
        range: &'a syn::ExprRange,
    },
}

#[derive(Clone, Copy)]
enum LoopBody<'a> {
    Block(&'a Block),
    Expr(&'a Expr),
}

struct Cand<'a> {
    scope: usize,
    span: Span,
    kind: CandKind<'a>,
}

pub(crate) struct Collector<'a> {
    base: usize,
    pub scopes: Vec<Scope<'a>>,
    stack: Vec<usize>,
    /// `const`/`static` items anywhere in the file, by name.
    pub consts: HashMap<String, Vec<&'a Expr>>,
    /// Functions and methods anywhere in the file, by name: their scope and body.
    pub fns: HashMap<String, Vec<(usize, &'a Block)>>,
    cands: Vec<Cand<'a>>,
    /// `Command::new(..)` chains and `cmd.arg(..)` calls, keyed by the command they build.
    commands: Vec<CommandBuild>,
    /// `for` loops whose body only calls `libc::close` on the loop variable.
    plain: Vec<PlainCloseLoop>,
    /// Values given to a named field anywhere in the file (`Self { max_fd: e, .. }`,
    /// `self.max_fd = e`), with the scope they are written in.
    pub field_defs: HashMap<String, Vec<(usize, &'a Expr)>>,
    /// Calls by the callee's last path segment or method name: the calling scope and the
    /// arguments (a method call's receiver not counted).
    pub calls: HashMap<String, Vec<(usize, Vec<&'a Expr>)>>,
    /// The crate around the file, for names the file does not define.
    pub index: Option<Arc<dyn LimitIndex>>,
}

/// The words given to one `std::process::Command` (program, then arguments).
struct CommandBuild {
    key: CommandKey,
    span: Span,
    words: Vec<(String, bool, Span)>,
}

#[derive(PartialEq, Eq)]
enum CommandKey {
    /// `Command::new(..)` at this span, built in one chain.
    Chain(Span),
    /// A local `cmd` in scope `usize`, built by statements.
    Var(usize, String),
}

impl<'a> Collector<'a> {
    fn new(base: usize, index: Option<Arc<dyn LimitIndex>>) -> Self {
        Collector {
            base,
            scopes: vec![Scope::default()],
            stack: vec![0],
            consts: HashMap::new(),
            fns: HashMap::new(),
            cands: Vec::new(),
            commands: Vec::new(),
            plain: Vec::new(),
            field_defs: HashMap::new(),
            calls: HashMap::new(),
            index,
        }
    }

    /// String words of `.arg(..)` / `.args([..])` arguments: literals, else a placeholder so
    /// positions stay right.
    fn arg_words(
        &self,
        method: &str,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) -> Vec<(String, bool, Span)> {
        let word = |e: &Expr| (lit_str(e).unwrap_or_default(), false, self.span_of(e));
        match (method, args.first()) {
            ("arg", Some(e)) => vec![word(e)],
            ("args", Some(e)) => {
                let mut inner = e;
                if let Expr::Reference(r) = inner {
                    inner = &r.expr;
                }
                match inner {
                    Expr::Array(a) => a.elems.iter().map(word).collect(),
                    Expr::Macro(m) if m.mac.path.is_ident("vec") => m
                        .mac
                        .parse_body_with(
                            syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
                        )
                        .map(|p| p.iter().map(word).collect())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// Record `.arg`/`.args` calls on a `Command` (a chain from `Command::new`, or a local
    /// holding one).
    fn command_call(&mut self, mc: &'a ExprMethodCall) {
        // Walk the chain down to its root, collecting argument words outermost first.
        let mut parts: Vec<Vec<(String, bool, Span)>> = Vec::new();
        let mut m: &'a ExprMethodCall = mc;
        let mut depth = 0;
        let root: &'a Expr = loop {
            depth += 1;
            if depth > 64 {
                return;
            }
            let name = m.method.to_string();
            if name == "arg" || name == "args" {
                parts.push(self.arg_words(&name, &m.args));
            }
            match &*m.receiver {
                Expr::MethodCall(inner) => m = inner,
                other => break other,
            }
        };
        parts.reverse();
        let mut words: Vec<(String, bool, Span)> = parts.into_iter().flatten().collect();
        let (key, program) = match root {
            Expr::Call(c) if is_command_new(c) => (
                CommandKey::Chain(self.span_of(c)),
                c.args
                    .first()
                    .map(|e| (lit_str(e).unwrap_or_default(), false, self.span_of(e))),
            ),
            Expr::Path(_) => {
                let Some(name) = single_ident(root) else {
                    return;
                };
                let scope = self.cur();
                let program = self.scopes[scope].defs.get(&name).and_then(|defs| {
                    defs.iter().find_map(|d| match d.expr {
                        Expr::Call(c) if is_command_new(c) => c
                            .args
                            .first()
                            .map(|e| (lit_str(e).unwrap_or_default(), false, self.span_of(e))),
                        _ => None,
                    })
                });
                let Some(program) = program else { return };
                (CommandKey::Var(scope, name), Some(program))
            }
            _ => return,
        };
        let span = self.span_of(mc);
        if let Some(existing) = self.commands.iter_mut().find(|c| c.key == key) {
            if let CommandKey::Chain(_) = key {
                // The outermost call of a chain is visited first and already has every word.
                return;
            }
            existing.words.extend(words);
            return;
        }
        if let Some(p) = program {
            words.insert(0, p);
        }
        self.commands.push(CommandBuild { key, span, words });
    }

    pub(crate) fn sp(&self, s: PSpan) -> Span {
        let r = s.byte_range();
        Span::new(self.base + r.start, self.base + r.end.max(r.start))
    }

    pub(crate) fn span_of<T: Spanned>(&self, node: &T) -> Span {
        self.sp(node.span())
    }

    fn cur(&self) -> usize {
        *self.stack.last().unwrap_or(&0)
    }

    fn enter_fn(&mut self, sig: &syn::Signature, block: &'a Block) {
        let name = &sig.ident;
        let id = self.scopes.len();
        let params = sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(pt) => Some(pat_ident(&pt.pat).unwrap_or_default()),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        self.scopes.push(Scope {
            func: Some(name.to_string()),
            params,
            ..Scope::default()
        });
        self.fns
            .entry(name.to_string())
            .or_default()
            .push((id, block));
        self.stack.push(id);
    }

    fn add_def(&mut self, name: String, expr: &'a Expr, path: Vec<Proj>) {
        let cur = self.cur();
        self.scopes[cur]
            .defs
            .entry(name)
            .or_default()
            .push(Def { expr, path });
    }

    fn add_pat_defs(&mut self, pat: &'a Pat, expr: &'a Expr, path: Vec<Proj>) {
        match pat {
            Pat::Ident(pi) => self.add_def(pi.ident.to_string(), expr, path),
            Pat::Tuple(t) => {
                for (i, p) in t.elems.iter().enumerate() {
                    if matches!(p, Pat::Rest(_)) {
                        break;
                    }
                    let mut q = path.clone();
                    q.push(Proj::Index(i as u32));
                    self.add_pat_defs(p, expr, q);
                }
            }
            Pat::TupleStruct(ts) => {
                let last = ts.path.segments.last().map(|s| s.ident.to_string());
                let transparent = matches!(last.as_deref(), Some("Ok" | "Some"));
                if transparent && ts.elems.len() == 1 {
                    self.add_pat_defs(&ts.elems[0], expr, path);
                } else if !matches!(last.as_deref(), Some("Err" | "None")) {
                    for (i, p) in ts.elems.iter().enumerate() {
                        if matches!(p, Pat::Rest(_)) {
                            break;
                        }
                        let mut q = path.clone();
                        q.push(Proj::Index(i as u32));
                        self.add_pat_defs(p, expr, q);
                    }
                }
            }
            Pat::Struct(s) => {
                for f in &s.fields {
                    let mut q = path.clone();
                    q.push(match &f.member {
                        syn::Member::Named(id) => Proj::Field(id.to_string()),
                        syn::Member::Unnamed(ix) => Proj::Index(ix.index),
                    });
                    self.add_pat_defs(&f.pat, expr, q);
                }
            }
            Pat::Reference(r) => self.add_pat_defs(&r.pat, expr, path),
            Pat::Type(t) => self.add_pat_defs(&t.pat, expr, path),
            Pat::Paren(p) => self.add_pat_defs(&p.pat, expr, path),
            Pat::Or(o) => {
                for case in &o.cases {
                    self.add_pat_defs(case, expr, path.clone());
                }
            }
            _ => {}
        }
    }

    fn push_cand(&mut self, span: Span, kind: CandKind<'a>) {
        let scope = self.cur();
        self.cands.push(Cand { scope, span, kind });
    }

    fn finish(self) -> Facts {
        let mut facts = Facts::default();
        let mut seen = std::collections::HashSet::new();
        for cand in &self.cands {
            if !seen.insert((cand.span, matches!(cand.kind, CandKind::Collect { .. }))) {
                continue;
            }
            match &cand.kind {
                CandKind::Loop {
                    var,
                    range,
                    hi,
                    body,
                } => {
                    let Some((action, action_span)) = find_action(&self, *body, var) else {
                        continue;
                    };
                    let (hi, lower) = match (range, hi) {
                        (Some(r), _) => match &r.end {
                            Some(end) => (&**end, r.start.as_deref().and_then(lit_value)),
                            None => continue,
                        },
                        (None, Some(h)) => (*h, resolve::while_lower(&self, cand.scope, var)),
                        (None, None) => continue,
                    };
                    let Some(bound) = resolve::bound(&self, cand.scope, hi) else {
                        continue;
                    };
                    facts.close_loops.push(CloseLoop {
                        span: cand.span,
                        action,
                        action_span,
                        lower,
                        bound,
                    });
                }
                CandKind::Collect { range } => {
                    let Some(end) = &range.end else { continue };
                    let Some(bound) = resolve::bound(&self, cand.scope, end) else {
                        continue;
                    };
                    // `(0..1024).collect()` is just numbers; only a limit or an fd-named
                    // constant makes a collection one of fd numbers.
                    if !bound_is_about_fds(&bound) {
                        continue;
                    }
                    facts.fd_ranges.push(FdRange {
                        span: cand.span,
                        container: Container::RustVec,
                        lower: range.start.as_deref().and_then(lit_value),
                        bound,
                    });
                }
            }
        }
        for c in &self.commands {
            let (interpreter, script) = super::python::interpreter_and_script(&c.words);
            if script.is_none() {
                continue;
            }
            facts.spawns.push(SpawnCall {
                span: c.span,
                api: SpawnApi::RustCommand,
                callee: "Command::new".to_string(),
                api_name: None,
                close_option: FdOption::Absent,
                passes_fds: None,
                interpreter,
                script,
            });
        }
        facts.plain_close_loops = self
            .plain
            .iter()
            .filter(|p| {
                facts
                    .close_loops
                    .iter()
                    .any(|l| l.span == p.header && l.action == FdAction::Close)
            })
            .cloned()
            .collect();
        facts.plain_close_loops.sort_by_key(|p| p.header);
        facts.plain_close_loops.dedup_by_key(|p| p.header);
        facts.close_loops.sort_by_key(|l| l.span);
        facts.fd_ranges.sort_by_key(|r| r.span);
        facts.spawns.sort_by_key(|s| s.span);
        facts
    }
}

impl<'a> Visit<'a> for Collector<'a> {
    // Code that only builds for Windows is not judged by POSIX fd rules.
    fn visit_item(&mut self, i: &'a syn::Item) {
        if !outside::item_attrs(i).is_some_and(outside::windows_only) {
            visit::visit_item(self, i);
        }
    }

    fn visit_impl_item(&mut self, i: &'a syn::ImplItem) {
        let attrs = match i {
            syn::ImplItem::Fn(f) => &f.attrs,
            syn::ImplItem::Const(c) => &c.attrs,
            _ => return visit::visit_impl_item(self, i),
        };
        if !outside::windows_only(attrs) {
            visit::visit_impl_item(self, i);
        }
    }

    fn visit_trait_item(&mut self, i: &'a syn::TraitItem) {
        if !matches!(i, syn::TraitItem::Fn(f) if outside::windows_only(&f.attrs)) {
            visit::visit_trait_item(self, i);
        }
    }

    fn visit_stmt(&mut self, st: &'a Stmt) {
        let windows = match st {
            Stmt::Local(l) => outside::windows_only(&l.attrs),
            Stmt::Expr(e, _) => outside::expr_attrs(e).is_some_and(outside::windows_only),
            Stmt::Macro(m) => outside::windows_only(&m.attrs),
            Stmt::Item(_) => false,
        };
        if !windows {
            visit::visit_stmt(self, st);
        }
    }

    fn visit_expr_if(&mut self, i: &'a syn::ExprIf) {
        match outside::cfg_branch(&i.cond) {
            // `if cfg!(windows) { .. } else { .. }`: only the else branch runs on Unix.
            Some(outside::Branch::Else) => {
                if let Some((_, els)) = &i.else_branch {
                    self.visit_expr(els);
                }
            }
            // `if cfg!(unix) { .. } else { .. }`: the else branch is for other systems.
            Some(outside::Branch::Then) => self.visit_block(&i.then_branch),
            None => visit::visit_expr_if(self, i),
        }
    }

    fn visit_expr_struct(&mut self, e: &'a syn::ExprStruct) {
        for f in &e.fields {
            if let syn::Member::Named(id) = &f.member {
                let cur = self.cur();
                self.field_defs
                    .entry(id.to_string())
                    .or_default()
                    .push((cur, &f.expr));
            }
        }
        visit::visit_expr_struct(self, e);
    }

    fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
        self.enter_fn(&f.sig, &f.block);
        visit::visit_item_fn(self, f);
        self.stack.pop();
    }

    fn visit_impl_item_fn(&mut self, f: &'a syn::ImplItemFn) {
        self.enter_fn(&f.sig, &f.block);
        visit::visit_impl_item_fn(self, f);
        self.stack.pop();
    }

    fn visit_trait_item_fn(&mut self, f: &'a syn::TraitItemFn) {
        match &f.default {
            Some(block) => {
                self.enter_fn(&f.sig, block);
                visit::visit_trait_item_fn(self, f);
                self.stack.pop();
            }
            None => visit::visit_trait_item_fn(self, f),
        }
    }

    fn visit_item_const(&mut self, c: &'a syn::ItemConst) {
        self.consts
            .entry(c.ident.to_string())
            .or_default()
            .push(&c.expr);
        visit::visit_item_const(self, c);
    }

    fn visit_item_static(&mut self, s: &'a syn::ItemStatic) {
        self.consts
            .entry(s.ident.to_string())
            .or_default()
            .push(&s.expr);
        visit::visit_item_static(self, s);
    }

    fn visit_impl_item_const(&mut self, c: &'a syn::ImplItemConst) {
        self.consts
            .entry(c.ident.to_string())
            .or_default()
            .push(&c.expr);
        visit::visit_impl_item_const(self, c);
    }

    fn visit_local(&mut self, l: &'a syn::Local) {
        if let Some(init) = &l.init {
            self.add_pat_defs(&l.pat, &init.expr, Vec::new());
            // `let v: Vec<i32> = (lo..hi).collect();`
            if let Pat::Type(pt) = &l.pat
                && type_is_vec(&pt.ty)
                && let Expr::MethodCall(mc) = &*init.expr
                && mc.method == "collect"
                && mc.args.is_empty()
                && let Some(range) = peel_range(&mc.receiver)
            {
                let span = self.span_of(mc);
                self.push_cand(span, CandKind::Collect { range });
            }
        }
        visit::visit_local(self, l);
    }

    fn visit_expr_let(&mut self, e: &'a syn::ExprLet) {
        self.add_pat_defs(&e.pat, &e.expr, Vec::new());
        visit::visit_expr_let(self, e);
    }

    fn visit_expr_match(&mut self, m: &'a syn::ExprMatch) {
        for arm in &m.arms {
            self.add_pat_defs(&arm.pat, &m.expr, Vec::new());
        }
        visit::visit_expr_match(self, m);
    }

    fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
        if let Some(name) = single_ident(&a.left) {
            self.add_def(name, &a.right, Vec::new());
        }
        if let Expr::Field(f) = &*a.left
            && let syn::Member::Named(id) = &f.member
        {
            let cur = self.cur();
            self.field_defs
                .entry(id.to_string())
                .or_default()
                .push((cur, &a.right));
        }
        visit::visit_expr_assign(self, a);
    }

    fn visit_expr_reference(&mut self, r: &'a syn::ExprReference) {
        if r.mutability.is_some()
            && let Some(name) = single_ident(&r.expr)
        {
            let cur = self.cur();
            self.scopes[cur].mutated.insert(name);
        }
        visit::visit_expr_reference(self, r);
    }

    fn visit_expr_call(&mut self, call: &'a ExprCall) {
        let name = call_name(call);
        if let Some(n) = &name {
            let cur = self.cur();
            let args = call.args.iter().collect();
            self.calls.entry(n.clone()).or_default().push((cur, args));
        }
        match name.as_deref() {
            Some("getrlimit")
                if call.args.len() == 2
                    && mentions_any(&call.args[0], &["RLIMIT_NOFILE", "NOFILE", "Nofile"]) =>
            {
                let span = call.span();
                let mut names = Vec::new();
                idents_in(&call.args[1], &mut names);
                let cur = self.cur();
                for n in names {
                    self.scopes[cur].filled.insert(n, span);
                }
            }
            Some("from_iter") if call.args.len() == 1 && path_has_segment(&call.func, "Vec") => {
                if let Some(range) = peel_range(&call.args[0]) {
                    let span = self.span_of(call);
                    self.push_cand(span, CandKind::Collect { range });
                }
            }
            _ => {}
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, mc: &'a ExprMethodCall) {
        let method = mc.method.to_string();
        if !mc.args.is_empty() {
            let cur = self.cur();
            let args = mc.args.iter().collect();
            self.calls
                .entry(method.clone())
                .or_default()
                .push((cur, args));
        }
        match method.as_str() {
            "arg" | "args" => self.command_call(mc),
            "as_mut_ptr" => {
                if let Some(name) = single_ident(&mc.receiver) {
                    let cur = self.cur();
                    self.scopes[cur].mutated.insert(name);
                }
            }
            "collect" if mc.args.is_empty() => {
                let vec_turbofish = mc.turbofish.as_ref().is_some_and(|t| {
                    t.args.iter().any(|a| match a {
                        syn::GenericArgument::Type(ty) => type_is_vec(ty),
                        _ => false,
                    })
                });
                if vec_turbofish && let Some(range) = peel_range(&mc.receiver) {
                    let span = self.span_of(mc);
                    self.push_cand(span, CandKind::Collect { range });
                }
            }
            "for_each" | "try_for_each" if mc.args.len() == 1 => {
                if let Some(range) = peel_range(&mc.receiver)
                    && let Expr::Closure(cl) = &mc.args[0]
                    && cl.inputs.len() == 1
                    && let Some(var) = pat_ident(&cl.inputs[0])
                {
                    let start = self.span_of(&*mc.receiver).start;
                    let end = self.sp(mc.method.span()).end;
                    self.push_cand(
                        Span::new(start, end.max(start)),
                        CandKind::Loop {
                            var,
                            range: Some(range),
                            hi: None,
                            body: LoopBody::Expr(&cl.body),
                        },
                    );
                }
            }
            _ => {}
        }
        visit::visit_expr_method_call(self, mc);
    }

    fn visit_expr_for_loop(&mut self, f: &'a syn::ExprForLoop) {
        if let Some(var) = pat_ident(&f.pat)
            && let Some(range) = peel_range(&f.expr)
        {
            let start = self.sp(f.for_token.span).start;
            let end = self.span_of(&*f.expr).end;
            if let Expr::Range(r) = &*f.expr
                && let (Some(lo), Some(hi)) = (&r.start, &r.end)
                && f.label.is_none()
                && f.attrs.is_empty()
                && body_only_closes(&f.body, &var)
            {
                self.plain.push(PlainCloseLoop {
                    header: Span::new(start, end.max(start)),
                    statement: Span::new(start, self.sp(f.body.brace_token.span.close()).end),
                    var: self.span_of(&f.pat),
                    lower: self.span_of(&**lo),
                    upper: self.span_of(&**hi),
                    inclusive: matches!(r.limits, syn::RangeLimits::Closed(_)),
                    body: self.span_of(&f.body),
                });
            }
            self.push_cand(
                Span::new(start, end.max(start)),
                CandKind::Loop {
                    var,
                    range: Some(range),
                    hi: None,
                    body: LoopBody::Block(&f.body),
                },
            );
        }
        visit::visit_expr_for_loop(self, f);
    }

    fn visit_expr_while(&mut self, w: &'a syn::ExprWhile) {
        if let Expr::Binary(b) = &*w.cond {
            let (var, hi) = match b.op {
                syn::BinOp::Lt(_) | syn::BinOp::Le(_) => (single_ident(&b.left), &*b.right),
                syn::BinOp::Gt(_) | syn::BinOp::Ge(_) => (single_ident(&b.right), &*b.left),
                _ => (None, &*b.left),
            };
            if let Some(var) = var
                && increments(&w.body, &var)
            {
                let start = self.sp(w.while_token.span).start;
                let end = self.span_of(&*w.cond).end;
                self.push_cand(
                    Span::new(start, end.max(start)),
                    CandKind::Loop {
                        var,
                        range: None,
                        hi: Some(hi),
                        body: LoopBody::Block(&w.body),
                    },
                );
            }
        }
        visit::visit_expr_while(self, w);
    }
}

/// Whether a bound speaks of fds: a limit, or a constant or variable named like one.
fn bound_is_about_fds(b: &Bound) -> bool {
    match &b.kind {
        BoundKind::Limit { .. } => true,
        BoundKind::Guess { name, .. } => name.as_deref().is_some_and(|n| {
            let l = n.to_ascii_lowercase();
            l.contains("fd") || l.contains("open_max") || l.contains("nofile")
        }),
        BoundKind::Unresolved { .. } => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax helpers

/// The integer value of a literal (through parentheses and casts).
/// A string literal's value.
fn lit_str(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(l) => match &l.lit {
            syn::Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        Expr::Reference(r) => lit_str(&r.expr),
        _ => None,
    }
}

/// `Command::new(..)`, `process::Command::new(..)`, `std::process::Command::new(..)`.
fn is_command_new(c: &ExprCall) -> bool {
    match &*c.func {
        Expr::Path(p) => {
            let segs: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            segs.len() >= 2 && segs[segs.len() - 2] == "Command" && segs[segs.len() - 1] == "new"
        }
        _ => false,
    }
}

pub(crate) fn lit_value(e: &Expr) -> Option<u64> {
    match e {
        Expr::Lit(l) => match &l.lit {
            syn::Lit::Int(i) => i.base10_parse::<u64>().ok(),
            _ => None,
        },
        Expr::Paren(p) => lit_value(&p.expr),
        Expr::Group(g) => lit_value(&g.expr),
        Expr::Cast(c) => lit_value(&c.expr),
        _ => None,
    }
}

/// `name` when `e` is a single-segment path.
pub(crate) fn single_ident(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        Expr::Paren(p) => single_ident(&p.expr),
        Expr::Group(g) => single_ident(&g.expr),
        _ => None,
    }
}

/// The loop variable bound by a pattern (`fd`, `&fd`, `fd: i32`, `mut fd`).
fn pat_ident(p: &Pat) -> Option<String> {
    match p {
        Pat::Ident(pi) if pi.subpat.is_none() => Some(pi.ident.to_string()),
        Pat::Reference(r) => pat_ident(&r.pat),
        Pat::Type(t) => pat_ident(&t.pat),
        Pat::Paren(p) => pat_ident(&p.pat),
        _ => None,
    }
}

/// The last path segment of a call's function (`libc::close` → `close`).
pub(crate) fn call_name(call: &ExprCall) -> Option<String> {
    match &*call.func {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn path_has_segment(e: &Expr, seg: &str) -> bool {
    match e {
        Expr::Path(p) => p.path.segments.iter().any(|s| s.ident == seg),
        _ => false,
    }
}

fn type_is_vec(ty: &Type) -> bool {
    match ty {
        Type::Path(tp) => tp.path.segments.last().is_some_and(|s| s.ident == "Vec"),
        Type::Paren(p) => type_is_vec(&p.elem),
        Type::Group(g) => type_is_vec(&g.elem),
        _ => false,
    }
}

/// The range under iterator adapters that keep the loop visiting fd numbers:
/// `(lo..hi)`, `(lo..hi).rev()`, `.step_by(n)`, `.filter(..)`, `.skip(n)`, `.into_iter()`.
pub(crate) fn peel_range(e: &Expr) -> Option<&syn::ExprRange> {
    match e {
        Expr::Range(r) => Some(r),
        Expr::Paren(p) => peel_range(&p.expr),
        Expr::Group(g) => peel_range(&g.expr),
        Expr::MethodCall(mc)
            if matches!(
                mc.method.to_string().as_str(),
                "rev" | "step_by" | "filter" | "skip" | "into_iter" | "inspect" | "by_ref"
            ) =>
        {
            peel_range(&mc.receiver)
        }
        _ => None,
    }
}

/// Whether any path in `e` ends with one of `names` (macro bodies are not looked into).
pub(crate) fn mentions_any(e: &Expr, names: &[&str]) -> bool {
    struct M<'n> {
        names: &'n [&'n str],
        found: bool,
    }
    impl<'ast> Visit<'ast> for M<'_> {
        fn visit_path(&mut self, p: &'ast syn::Path) {
            if let Some(last) = p.segments.last()
                && self.names.iter().any(|n| last.ident == n)
            {
                self.found = true;
            }
            visit::visit_path(self, p);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut m = M {
        names,
        found: false,
    };
    m.visit_expr(e);
    m.found
}

/// Every single-segment path in `e` (`&mut rlim`, `rlim.as_mut_ptr()` → `rlim`).
fn idents_in(e: &Expr, out: &mut Vec<String>) {
    struct I<'o>(&'o mut Vec<String>);
    impl<'ast> Visit<'ast> for I<'_> {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(id) = p.path.get_ident() {
                self.0.push(id.to_string());
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    I(out).visit_expr(e);
}

/// Whether `body` contains `var += 1` (any step) or `var = var + ..`.
fn increments(body: &Block, var: &str) -> bool {
    struct Inc<'v> {
        var: &'v str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Inc<'_> {
        fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
            if matches!(b.op, syn::BinOp::AddAssign(_))
                && single_ident(&b.left).as_deref() == Some(self.var)
            {
                self.found = true;
            }
            visit::visit_expr_binary(self, b);
        }
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            if single_ident(&a.left).as_deref() == Some(self.var)
                && let Expr::Binary(b) = &*a.right
                && matches!(b.op, syn::BinOp::Add(_))
                && single_ident(&b.left).as_deref() == Some(self.var)
            {
                self.found = true;
            }
            visit::visit_expr_assign(self, a);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = Inc { var, found: false };
    v.visit_block(body);
    v.found
}

/// Whether `e` is the loop variable, possibly converted (`fd as i32`, `fd.try_into().unwrap()`,
/// `RawFd::try_from(fd).unwrap()`).
fn is_var(e: &Expr, var: &str) -> bool {
    match e {
        Expr::Path(_) => single_ident(e).as_deref() == Some(var),
        Expr::Paren(p) => is_var(&p.expr, var),
        Expr::Group(g) => is_var(&g.expr, var),
        Expr::Cast(c) => is_var(&c.expr, var),
        Expr::Reference(r) => is_var(&r.expr, var),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => is_var(&u.expr, var),
        Expr::Try(t) => is_var(&t.expr, var),
        Expr::MethodCall(mc)
            if mc.args.len() <= 1
                && matches!(
                    mc.method.to_string().as_str(),
                    "try_into" | "into" | "unwrap" | "expect" | "clone"
                ) =>
        {
            is_var(&mc.receiver, var)
        }
        Expr::Call(c)
            if c.args.len() == 1
                && matches!(call_name(c).as_deref(), Some("from" | "try_from")) =>
        {
            is_var(&c.args[0], var)
        }
        _ => false,
    }
}

/// The strongest fd action in a loop body that touches the loop variable, with its span.
fn find_action(c: &Collector<'_>, body: LoopBody<'_>, var: &str) -> Option<(FdAction, Span)> {
    let (action, span) = body_action(c, body, var, 0)?;
    Some((action, c.sp(span)))
}

/// What a call named `name` does to the fd in argument `arg` (the receiver not counted):
/// the system call itself (`libc::close`, `nix::unistd::close`, `sys::close`, a helper's
/// `.close(fd)`), a wrapper named for it (`close_fd`, `safe_close`, `set_cloexec`), or a
/// function of the same file whose body makes the system call on that parameter (one level).
fn call_action(
    c: &Collector<'_>,
    name: &str,
    args: &[&Expr],
    var: &str,
    qualified: bool,
    method: bool,
    depth: usize,
) -> Option<FdAction> {
    let arg = args.iter().position(|a| is_var(a, var))?;
    if arg == 0 {
        let direct = match name {
            "close" if args.len() == 1 => Some(FdAction::Close),
            "fcntl" if args.len() >= 2 && !method => {
                let rest = &args[1..];
                if rest.iter().any(|a| mentions_any(a, &["F_SETFD"])) {
                    Some(FdAction::SetCloexec)
                } else if rest
                    .iter()
                    .any(|a| mentions_any(a, &["F_GETFD", "F_GETFL"]))
                {
                    Some(FdAction::Probe)
                } else {
                    None
                }
            }
            "fstat" | "fstat64" if !method => Some(FdAction::Probe),
            "from_raw_fd" if args.len() == 1 && qualified => Some(FdAction::Wrap),
            // Inside a same-file wrapper's body only the system calls count (the prefilter's
            // parameter rule relies on it).
            _ if args.len() == 1 && depth == 0 => outside::wrapper_name_action(name),
            _ => None,
        };
        if direct.is_some() {
            return direct;
        }
    }
    // A same-file wrapper: `fn close_fd(fd: RawFd) { unsafe { libc::close(fd); } }`.
    if depth >= 1 {
        return None;
    }
    let fns = c.fns.get(name)?;
    fns.iter().find_map(|&(id, body)| {
        let param = c.scopes[id].params.get(arg)?;
        if param.is_empty() {
            return None;
        }
        body_action(c, LoopBody::Block(body), param, depth + 1).map(|(a, _)| a)
    })
}

fn body_action(
    c: &Collector<'_>,
    body: LoopBody<'_>,
    var: &str,
    depth: usize,
) -> Option<(FdAction, PSpan)> {
    struct A<'v, 'c, 'a> {
        c: &'c Collector<'a>,
        depth: usize,
        var: &'v str,
        found: Vec<(FdAction, PSpan)>,
        /// A `break` of this loop or a `return` from the function: the loop searches, it does
        /// not sweep.
        exits: bool,
        /// Nested loops (their `break` is their own) and closures (their `return` is theirs).
        loops: usize,
        closures: usize,
    }
    impl<'ast> Visit<'ast> for A<'_, '_, '_> {
        fn visit_expr_method_call(&mut self, mc: &'ast ExprMethodCall) {
            let args: Vec<&Expr> = mc.args.iter().collect();
            let name = mc.method.to_string();
            if let Some(a) = call_action(self.c, &name, &args, self.var, false, true, self.depth) {
                self.found.push((a, mc.span()));
            }
            visit::visit_expr_method_call(self, mc);
        }
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            if self.loops == 0 && self.closures == 0 {
                self.exits = true;
            }
            visit::visit_expr_break(self, b);
        }
        fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
            if self.closures == 0 {
                self.exits = true;
            }
            visit::visit_expr_return(self, r);
        }
        fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
            self.loops += 1;
            visit::visit_expr_for_loop(self, e);
            self.loops -= 1;
        }
        fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
            self.loops += 1;
            visit::visit_expr_while(self, e);
            self.loops -= 1;
        }
        fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
            self.loops += 1;
            visit::visit_expr_loop(self, e);
            self.loops -= 1;
        }
        fn visit_expr_closure(&mut self, e: &'ast syn::ExprClosure) {
            self.closures += 1;
            visit::visit_expr_closure(self, e);
            self.closures -= 1;
        }
        fn visit_expr_call(&mut self, call: &'ast ExprCall) {
            if let (Some(name), Expr::Path(p)) = (call_name(call), &*call.func) {
                let args: Vec<&Expr> = call.args.iter().collect();
                let qualified = p.path.segments.len() >= 2;
                if let Some(a) =
                    call_action(self.c, &name, &args, self.var, qualified, false, self.depth)
                {
                    self.found.push((a, call.span()));
                }
            }
            visit::visit_expr_call(self, call);
        }
        // Nested items are other functions; their `fd` is not the loop's.
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut a = A {
        c,
        depth,
        var,
        found: Vec::new(),
        exits: false,
        loops: 0,
        closures: 0,
    };
    match body {
        LoopBody::Block(b) => a.visit_block(b),
        // A `for_each` closure's body: its `return` only ends one iteration.
        LoopBody::Expr(e) => {
            a.closures = 1;
            a.visit_expr(e);
        }
    }
    if a.exits {
        return None;
    }
    let rank = |k: FdAction| match k {
        FdAction::Close => 0,
        FdAction::Wrap => 1,
        FdAction::SetCloexec => 2,
        FdAction::Probe => 3,
    };
    let best = a.found.iter().map(|(k, _)| rank(*k)).min()?;
    a.found.into_iter().find(|(k, _)| rank(*k) == best)
}

/// Whether a loop body does nothing but `libc::close(var)` and ignore the result:
/// `libc::close(fd);`, `unsafe { libc::close(fd) };`, `let _ = libc::close(fd);`. Only the
/// `libc` spelling: the fix that replaces the loop calls `libc::syscall`, so the crate must be
/// there.
fn body_only_closes(body: &Block, var: &str) -> bool {
    fn closes(e: &Expr, var: &str) -> bool {
        match e {
            Expr::Unsafe(u) => match u.block.stmts.as_slice() {
                [Stmt::Expr(e, _)] => closes(e, var),
                _ => false,
            },
            Expr::Paren(p) => closes(&p.expr, var),
            Expr::Call(c) => {
                c.args.len() == 1
                    && single_ident(&c.args[0]).as_deref() == Some(var)
                    && match &*c.func {
                        Expr::Path(p) => {
                            let segs: Vec<String> = p
                                .path
                                .segments
                                .iter()
                                .map(|s| s.ident.to_string())
                                .collect();
                            segs == ["libc", "close"]
                        }
                        _ => false,
                    }
            }
            _ => false,
        }
    }
    match body.stmts.as_slice() {
        [Stmt::Expr(e, _)] => closes(e, var),
        [Stmt::Local(l)] => {
            matches!(l.pat, Pat::Wild(_))
                && l.init
                    .as_ref()
                    .is_some_and(|i| i.diverge.is_none() && closes(&i.expr, var))
        }
        _ => false,
    }
}

/// The value expression of a block: its tail expression.
pub(crate) fn block_tail(b: &Block) -> Option<&Expr> {
    match b.stmts.last() {
        Some(Stmt::Expr(e, None)) => Some(e),
        _ => None,
    }
}
