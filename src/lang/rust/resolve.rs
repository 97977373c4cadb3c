//! Resolving a loop's upper bound through the function's local definitions, the file's
//! constants and statics, and the return values of the file's functions.
//!
//! A value is summarised as the set of fd limits and literals it can come from on some path
//! (flow-insensitively). Projections (`.0`, `.rlim_max`, `let (soft, hard) = ..`) are carried
//! down to the call that produces a tuple or struct (`nix`'s and `rustix`'s `getrlimit`, a
//! `libc::rlimit` filled by `libc::getrlimit`).

use std::collections::HashSet;

use syn::visit::{self, Visit};
use syn::{Block, Expr, ExprCall, ExprMethodCall};

use super::outside::reads_as_limit;
use super::{Collector, Proj, block_tail, call_name, lit_value, mentions_any, single_ident};
use crate::facts::{Bound, BoundKind, Fallback, LimitSource, Span};
use crate::index::Key;

/// How many names / function returns a resolution follows.
const MAX_HOPS: usize = 8;
/// How deep a resolution descends into one expression.
const MAX_STEPS: usize = 96;

const NOFILE: &[&str] = &["RLIMIT_NOFILE", "NOFILE", "Nofile"];
const OPEN_MAX: &[&str] = &["_SC_OPEN_MAX", "OPEN_MAX"];

/// Methods whose result carries the receiver's value.
const TRANSPARENT: &[&str] = &[
    "unwrap",
    "expect",
    "ok",
    "flatten",
    "unwrap_unchecked",
    "unwrap_or_default",
    "assume_init",
    "into",
    "try_into",
    "clone",
    "to_owned",
    "saturating_sub",
    "saturating_add",
    "wrapping_sub",
    "wrapping_add",
    "checked_sub",
    "checked_add",
];

#[derive(Debug, Clone)]
struct Lit {
    value: u64,
    span: Span,
    name: Option<String>,
}

#[derive(Debug, Default)]
struct Val {
    limits: Vec<(LimitSource, Span)>,
    lits: Vec<Lit>,
    cap: Option<u64>,
    /// Where a limit found through the crate index was read, in words.
    elsewhere: Option<String>,
    /// A parameter, field or function whose value is defined out of sight (no caller, no
    /// assignment, no body in the file, nothing in the index).
    unknown: Option<String>,
}

impl Val {
    fn limit(source: LimitSource, span: Span) -> Val {
        Val {
            limits: vec![(source, span)],
            ..Val::default()
        }
    }
    fn lit(value: u64, span: Span) -> Val {
        Val {
            lits: vec![Lit {
                value,
                span,
                name: None,
            }],
            ..Val::default()
        }
    }
    fn is_empty(&self) -> bool {
        self.limits.is_empty() && self.lits.is_empty()
    }
    fn union(&mut self, o: Val) {
        self.limits.extend(o.limits);
        self.lits.extend(o.lits);
        if self.elsewhere.is_none() {
            self.elsewhere = o.elsewhere;
        }
        if self.unknown.is_none() {
            self.unknown = o.unknown;
        }
        self.cap = match (self.cap, o.cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    fn tag(&mut self, name: &str) {
        for l in &mut self.lits {
            if l.name.is_none() {
                l.name = Some(name.to_string());
            }
        }
    }
    fn single_lit(&self) -> Option<u64> {
        match (self.limits.is_empty(), self.lits.as_slice()) {
            (true, [l]) => Some(l.value),
            _ => None,
        }
    }
}

struct R<'c, 'a> {
    c: &'c Collector<'a>,
    visited: HashSet<(usize, String)>,
    fns_visited: HashSet<usize>,
}

/// Resolve `hi`, the upper bound of a loop or range in `scope`, to a [`Bound`].
pub(super) fn bound(c: &Collector<'_>, scope: usize, hi: &Expr) -> Option<Bound> {
    let mut r = R {
        c,
        visited: HashSet::new(),
        fns_visited: HashSet::new(),
    };
    let v = r.expr(hi, scope, &[], 0, 0);
    let mut lits = v.lits;
    lits.sort_by_key(|l| l.span);
    lits.dedup_by_key(|l| l.span);
    let via = via_name(c, hi, 0);
    if !v.limits.is_empty() {
        let &(source, origin) = v
            .limits
            .iter()
            .find(|l| l.0.is_hard())
            .unwrap_or(&v.limits[0]);
        return Some(Bound {
            kind: BoundKind::Limit { source },
            origin,
            via,
            fallbacks: lits
                .iter()
                .map(|l| Fallback {
                    value: l.value,
                    span: l.span,
                })
                .collect(),
            cap: v.cap,
            elsewhere: v.elsewhere,
        });
    }
    if lits.is_empty() {
        // Nothing visible holds the value: a name that reads as the fd limit is still worth
        // a warning.
        // Only the unseen name itself counts: `let maxfd = fds.len()` shows its value.
        let name = v.unknown.filter(|n| reads_as_limit(n))?;
        return Some(Bound {
            kind: BoundKind::Unresolved { name },
            origin: c.span_of(hi),
            via,
            fallbacks: Vec::new(),
            cap: None,
            elsewhere: None,
        });
    }
    let best = lits.iter().max_by(|a, b| {
        a.value
            .cmp(&b.value)
            // On a tie keep the first in the file.
            .then(b.span.cmp(&a.span))
    })?;
    Some(Bound {
        kind: BoundKind::Guess {
            value: best.value,
            name: best.name.clone(),
        },
        origin: best.span,
        via,
        fallbacks: Vec::new(),
        cap: v.cap,
        elsewhere: None,
    })
}

fn new_r<'c, 'a>(c: &'c Collector<'a>) -> R<'c, 'a> {
    R {
        c,
        visited: HashSet::new(),
        fns_visited: HashSet::new(),
    }
}

fn first_limit(v: Val) -> Option<(LimitSource, Span)> {
    v.limits
        .iter()
        .find(|l| l.0.is_hard())
        .or(v.limits.first())
        .copied()
}

/// The limit the file's own code gives the field `name`, if any (for the crate index).
pub(super) fn field_limit(c: &Collector<'_>, name: &str) -> Option<(LimitSource, Span)> {
    let mut r = new_r(c);
    first_limit(r.own_field(name, 0, 0))
}

/// The limit the file's function `name` returns, if any (for the crate index).
pub(super) fn fn_limit(c: &Collector<'_>, name: &str) -> Option<(LimitSource, Span)> {
    let mut r = new_r(c);
    first_limit(r.fn_returns(name, &[], 0, 0))
}

/// The limit `e`, an expression in `scope`, holds, if any (for the crate index).
pub(super) fn value_limit(
    c: &Collector<'_>,
    scope: usize,
    e: &Expr,
) -> Option<(LimitSource, Span)> {
    if !matches!(
        e,
        Expr::Path(_) | Expr::Field(_) | Expr::Call(_) | Expr::MethodCall(_) | Expr::Cast(_)
    ) {
        return None;
    }
    let mut r = new_r(c);
    first_limit(r.expr(e, scope, &[], 0, 0))
}

/// The literal first value of a `while` loop's variable (`let mut fd = 3;`).
pub(super) fn while_lower(c: &Collector<'_>, scope: usize, var: &str) -> Option<u64> {
    let defs = c.scopes[scope].defs.get(var)?;
    let lits: Vec<u64> = defs
        .iter()
        .filter(|d| d.path.is_empty())
        .filter_map(|d| lit_value(d.expr))
        .collect();
    match lits.as_slice() {
        [v] => Some(*v),
        _ => None,
    }
}

/// The name the loop uses for its bound: a variable, constant or helper function.
fn via_name(c: &Collector<'_>, e: &Expr, depth: usize) -> Option<String> {
    if depth > 32 {
        return None;
    }
    let d = depth + 1;
    match e {
        Expr::Paren(p) => via_name(c, &p.expr, d),
        Expr::Group(g) => via_name(c, &g.expr, d),
        Expr::Cast(x) => via_name(c, &x.expr, d),
        Expr::Try(x) => via_name(c, &x.expr, d),
        Expr::Reference(x) => via_name(c, &x.expr, d),
        Expr::Unary(x) => via_name(c, &x.expr, d),
        Expr::Block(b) => block_tail(&b.block).and_then(|t| via_name(c, t, d)),
        Expr::Unsafe(b) => block_tail(&b.block).and_then(|t| via_name(c, t, d)),
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_) | syn::BinOp::Sub(_)) => {
            via_name(c, &b.left, d)
        }
        Expr::MethodCall(mc) => {
            let m = mc.method.to_string();
            if TRANSPARENT.contains(&m.as_str())
                || matches!(
                    m.as_str(),
                    "min" | "max" | "unwrap_or" | "unwrap_or_else" | "or" | "or_else" | "map_or"
                )
            {
                via_name(c, &mc.receiver, d)
            } else if single_ident(&mc.receiver).as_deref() == Some("self")
                && c.fns.contains_key(&m)
            {
                Some(m)
            } else {
                None
            }
        }
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Expr::Call(call) => {
            let name = call_name(call)?;
            match name.as_str() {
                "min" | "max" if call.args.len() == 2 => {
                    let pick = if lit_value(&call.args[0]).is_some() {
                        &call.args[1]
                    } else {
                        &call.args[0]
                    };
                    via_name(c, pick, d)
                }
                "from" | "try_from" | "Some" | "Ok" if call.args.len() == 1 => {
                    via_name(c, &call.args[0], d)
                }
                _ if c.fns.contains_key(&name) => Some(name),
                _ => None,
            }
        }
        _ => None,
    }
}

fn fold(op: &syn::BinOp, a: u64, b: u64) -> Option<u64> {
    use syn::BinOp::*;
    match op {
        Add(_) => a.checked_add(b),
        Sub(_) => a.checked_sub(b),
        Mul(_) => a.checked_mul(b),
        Div(_) => a.checked_div(b),
        Shl(_) => u32::try_from(b).ok().and_then(|b| a.checked_shl(b)),
        Shr(_) => u32::try_from(b).ok().and_then(|b| a.checked_shr(b)),
        _ => None,
    }
}

impl<'a> R<'_, 'a> {
    fn expr(
        &mut self,
        e: &'a Expr,
        scope: usize,
        projs: &[Proj],
        hops: usize,
        steps: usize,
    ) -> Val {
        if steps > MAX_STEPS {
            return Val::default();
        }
        let s = steps + 1;
        match e {
            Expr::Paren(p) => self.expr(&p.expr, scope, projs, hops, s),
            Expr::Group(g) => self.expr(&g.expr, scope, projs, hops, s),
            Expr::Cast(x) => self.expr(&x.expr, scope, projs, hops, s),
            Expr::Reference(x) => self.expr(&x.expr, scope, projs, hops, s),
            Expr::Try(x) => self.expr(&x.expr, scope, projs, hops, s),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                self.expr(&u.expr, scope, projs, hops, s)
            }
            Expr::Block(b) => self.block(&b.block, scope, projs, hops, s),
            Expr::Unsafe(b) => self.block(&b.block, scope, projs, hops, s),
            Expr::If(i) => {
                let mut v = self.block(&i.then_branch, scope, projs, hops, s);
                if let Some((_, els)) = &i.else_branch {
                    v.union(self.expr(els, scope, projs, hops, s));
                }
                v
            }
            Expr::Match(m) => {
                let mut v = Val::default();
                for arm in &m.arms {
                    v.union(self.expr(&arm.body, scope, projs, hops, s));
                }
                v
            }
            Expr::Lit(_) if projs.is_empty() => match lit_value(e) {
                Some(n) => Val::lit(n, self.c.span_of(e)),
                None => Val::default(),
            },
            Expr::Binary(b) => {
                if !matches!(
                    b.op,
                    syn::BinOp::Add(_)
                        | syn::BinOp::Sub(_)
                        | syn::BinOp::Mul(_)
                        | syn::BinOp::Div(_)
                        | syn::BinOp::Shl(_)
                        | syn::BinOp::Shr(_)
                ) || !projs.is_empty()
                {
                    return Val::default();
                }
                let l = self.expr(&b.left, scope, projs, hops, s);
                let r = self.expr(&b.right, scope, projs, hops, s);
                if let (Some(x), Some(y)) = (l.single_lit(), r.single_lit()) {
                    return match fold(&b.op, x, y) {
                        Some(n) => Val::lit(n, self.c.span_of(e)),
                        None => Val::default(),
                    };
                }
                match (l.limits.is_empty(), r.limits.is_empty()) {
                    (false, true) => l,
                    (true, false) => r,
                    (false, false) => {
                        let mut l = l;
                        l.union(r);
                        l
                    }
                    (true, true) => l,
                }
            }
            Expr::Field(f) => {
                let mut p = projs.to_vec();
                p.push(match &f.member {
                    syn::Member::Named(id) => Proj::Field(id.to_string()),
                    syn::Member::Unnamed(ix) => Proj::Index(ix.index),
                });
                let v = self.expr(&f.base, scope, &p, hops, s);
                match &f.member {
                    // `self.max_fd`, `config.fd_limit`: what the file, then the crate, assigns
                    // to the field.
                    syn::Member::Named(id)
                        if v.is_empty()
                            && projs.is_empty()
                            && self.out_of_sight(&f.base, scope) =>
                    {
                        let name = id.to_string();
                        let mut own = self.own_field(&name, hops, s);
                        if own.is_empty() {
                            let outside = self.outside(Key::Field(name.clone()), e, &name);
                            if outside.is_empty() && !self.c.field_defs.contains_key(&name) {
                                own.unknown = Some(name);
                            } else {
                                own.union(outside);
                            }
                        }
                        own
                    }
                    _ => v,
                }
            }
            Expr::Tuple(t) => match projs.split_last() {
                Some((Proj::Index(i), rest)) => match t.elems.iter().nth(*i as usize) {
                    Some(el) => self.expr(el, scope, rest, hops, s),
                    None => Val::default(),
                },
                _ => Val::default(),
            },
            Expr::Struct(st) => match projs.split_last() {
                Some((Proj::Field(f), rest)) => {
                    let field = st.fields.iter().find(
                        |fv| matches!(&fv.member, syn::Member::Named(id) if id == f.as_str()),
                    );
                    match field {
                        Some(fv) => self.expr(&fv.expr, scope, rest, hops, s),
                        None => Val::default(),
                    }
                }
                _ => Val::default(),
            },
            Expr::Closure(cl) => self.expr(&cl.body, scope, projs, hops, s),
            Expr::Call(call) => self.call(call, scope, projs, hops, s),
            Expr::MethodCall(mc) => self.method(mc, scope, projs, hops, s),
            Expr::Path(p) => self.path(p, scope, projs, hops, s),
            _ => Val::default(),
        }
    }

    fn block(&mut self, b: &'a Block, scope: usize, projs: &[Proj], hops: usize, s: usize) -> Val {
        match block_tail(b) {
            Some(t) => self.expr(t, scope, projs, hops, s),
            None => Val::default(),
        }
    }

    fn path(
        &mut self,
        p: &'a syn::ExprPath,
        scope: usize,
        projs: &[Proj],
        hops: usize,
        s: usize,
    ) -> Val {
        if p.qself.is_some() {
            return Val::default();
        }
        let c = self.c;
        if let Some(id) = p.path.get_ident() {
            let name = id.to_string();
            let sc = &c.scopes[scope];
            if let Some(call) = sc.filled.get(&name) {
                // A `libc::rlimit` filled by `getrlimit(RLIMIT_NOFILE, &mut name)`.
                return match projs {
                    [Proj::Field(f)] if f == "rlim_cur" => {
                        Val::limit(LimitSource::GetrlimitSoft, c.sp(*call))
                    }
                    [Proj::Field(f)] if f == "rlim_max" => {
                        Val::limit(LimitSource::GetrlimitHard, c.sp(*call))
                    }
                    _ => Val::default(),
                };
            }
            if sc.mutated.contains(&name) {
                // Written through a `&mut`: its initialiser is not its value.
                return Val::default();
            }
            if let Some(defs) = sc.defs.get(&name) {
                if hops >= MAX_HOPS || !self.visited.insert((scope, name.clone())) {
                    return Val::default();
                }
                let mut v = Val::default();
                for d in defs {
                    let mut q = projs.to_vec();
                    q.extend(d.path.iter().rev().cloned());
                    v.union(self.expr(d.expr, scope, &q, hops + 1, s));
                }
                v.tag(&name);
                return v;
            }
            if let Some(i) = sc.params.iter().position(|p| *p == name)
                && let Some(func) = sc.func.clone()
                && projs.is_empty()
            {
                return self.param(&func, i, &name, p, hops, s);
            }
        }
        let Some(last) = p.path.segments.last() else {
            return Val::default();
        };
        let name = last.ident.to_string();
        let Some(exprs) = c.consts.get(&name) else {
            return Val {
                unknown: Some(name),
                ..Val::default()
            };
        };
        if hops >= MAX_HOPS || !self.visited.insert((usize::MAX, name.clone())) {
            return Val::default();
        }
        let mut v = Val::default();
        for e in exprs {
            v.union(self.expr(e, 0, projs, hops + 1, s));
        }
        v.tag(&name);
        v
    }

    fn call(
        &mut self,
        call: &'a ExprCall,
        scope: usize,
        projs: &[Proj],
        hops: usize,
        s: usize,
    ) -> Val {
        let Some(name) = call_name(call) else {
            return Val::default();
        };
        let c = self.c;
        let args: Vec<&'a Expr> = call.args.iter().collect();
        match (name.as_str(), args.as_slice()) {
            ("sysconf", [a]) => {
                if projs.is_empty() && mentions_any(a, OPEN_MAX) {
                    Val::limit(LimitSource::Sysconf, c.span_of(call))
                } else {
                    Val::default()
                }
            }
            ("getdtablesize", []) if projs.is_empty() => {
                Val::limit(LimitSource::Getdtablesize, c.span_of(call))
            }
            ("getrlimit", [a]) if mentions_any(a, NOFILE) => {
                // nix / rlimit: `(soft, hard)`; rustix: `Rlimit { current, maximum }`.
                let source = match projs {
                    [Proj::Index(0)] => LimitSource::GetrlimitSoft,
                    [Proj::Index(1)] => LimitSource::GetrlimitHard,
                    [Proj::Field(f)] if f == "current" || f == "rlim_cur" => {
                        LimitSource::GetrlimitSoft
                    }
                    [Proj::Field(f)] if f == "maximum" || f == "rlim_max" => {
                        LimitSource::GetrlimitHard
                    }
                    _ => return Val::default(),
                };
                Val::limit(source, c.span_of(call))
            }
            ("min" | "max", [a, b]) if projs.is_empty() => {
                self.minmax(name == "min", a, b, scope, hops, s)
            }
            ("Some" | "Ok" | "from" | "try_from", [a]) => self.expr(a, scope, projs, hops, s),
            _ => {
                let local = match &*call.func {
                    Expr::Path(p) => {
                        p.path.segments.len() == 1
                            || p.path.segments.first().is_some_and(|f| {
                                matches!(f.ident.to_string().as_str(), "Self" | "crate" | "super")
                            })
                    }
                    _ => false,
                };
                let external = match &*call.func {
                    Expr::Path(p) => p.path.segments.first().is_some_and(|f| {
                        matches!(
                            f.ident.to_string().as_str(),
                            "libc" | "nix" | "rustix" | "std" | "core" | "alloc"
                        )
                    }),
                    _ => true,
                };
                let mut v = if local {
                    self.fn_returns(&name, projs, hops, s)
                } else {
                    Val::default()
                };
                if v.is_empty() && !external && projs.is_empty() {
                    v = self.outside_fn(&name, call, hops, s);
                }
                v
            }
        }
    }

    fn method(
        &mut self,
        mc: &'a ExprMethodCall,
        scope: usize,
        projs: &[Proj],
        hops: usize,
        s: usize,
    ) -> Val {
        let m = mc.method.to_string();
        let args: Vec<&'a Expr> = mc.args.iter().collect();
        match (m.as_str(), args.as_slice()) {
            (m, _) if TRANSPARENT.contains(&m) => self.expr(&mc.receiver, scope, projs, hops, s),
            ("unwrap_or" | "or" | "unwrap_or_else" | "or_else", [a])
            | ("map_or" | "map_or_else", [a, _]) => {
                let mut v = self.expr(&mc.receiver, scope, projs, hops, s);
                v.union(self.expr(a, scope, projs, hops, s));
                v
            }
            ("min" | "max", [a]) if projs.is_empty() => {
                self.minmax(m == "min", &mc.receiver, a, scope, hops, s)
            }
            // A helper trait or wrapper of the system calls: `helpers.sysconf(_SC_OPEN_MAX)`,
            // `sys.getrlimit(Resource::NOFILE)`, `h.getdtablesize()`.
            ("sysconf", [a]) if projs.is_empty() && mentions_any(a, OPEN_MAX) => {
                Val::limit(LimitSource::Sysconf, self.c.span_of(mc))
            }
            ("getdtablesize", []) if projs.is_empty() => {
                Val::limit(LimitSource::Getdtablesize, self.c.span_of(mc))
            }
            ("getrlimit", [a]) if mentions_any(a, NOFILE) => match projs {
                [Proj::Index(0)] => Val::limit(LimitSource::GetrlimitSoft, self.c.span_of(mc)),
                [Proj::Index(1)] => Val::limit(LimitSource::GetrlimitHard, self.c.span_of(mc)),
                [Proj::Field(f)] if f == "current" || f == "rlim_cur" => {
                    Val::limit(LimitSource::GetrlimitSoft, self.c.span_of(mc))
                }
                [Proj::Field(f)] if f == "maximum" || f == "rlim_max" => {
                    Val::limit(LimitSource::GetrlimitHard, self.c.span_of(mc))
                }
                _ => Val::default(),
            },
            _ => {
                let mut v = if single_ident(&mc.receiver).as_deref() == Some("self") {
                    self.fn_returns(&m, projs, hops, s)
                } else {
                    Val::default()
                };
                if v.is_empty() && projs.is_empty() && args.is_empty() {
                    v = self.outside_fn(&m, mc, hops, s);
                }
                v
            }
        }
    }

    fn minmax(
        &mut self,
        is_min: bool,
        a: &'a Expr,
        b: &'a Expr,
        scope: usize,
        hops: usize,
        s: usize,
    ) -> Val {
        let va = self.expr(a, scope, &[], hops, s);
        let vb = self.expr(b, scope, &[], hops, s);
        let (lim, other) = match (va.limits.is_empty(), vb.limits.is_empty()) {
            (false, true) => (va, vb),
            (true, false) => (vb, va),
            _ => {
                let mut v = va;
                v.union(vb);
                return v;
            }
        };
        let mut lim = lim;
        if is_min && let Some(n) = other.lits.iter().map(|l| l.value).max() {
            lim.cap = Some(lim.cap.map_or(n, |c| c.min(n)));
        }
        lim
    }

    /// Whether `base` of a field access is a value the function does not build itself:
    /// `self`, a parameter, another field, a call's result. A local's fields are its own.
    fn out_of_sight(&self, base: &Expr, scope: usize) -> bool {
        match base {
            Expr::Paren(p) => self.out_of_sight(&p.expr, scope),
            Expr::Reference(r) => self.out_of_sight(&r.expr, scope),
            Expr::Field(_) | Expr::Call(_) | Expr::MethodCall(_) => true,
            Expr::Path(_) => match single_ident(base) {
                Some(n) if n == "self" => true,
                Some(n) => {
                    let sc = &self.c.scopes[scope];
                    !sc.defs.contains_key(&n)
                        && !sc.filled.contains_key(&n)
                        && !sc.mutated.contains(&n)
                }
                None => false,
            },
            _ => false,
        }
    }

    /// The values the file assigns to a field named `name` anywhere.
    fn own_field(&mut self, name: &str, hops: usize, s: usize) -> Val {
        let c = self.c;
        let mut v = Val::default();
        let Some(defs) = c.field_defs.get(name) else {
            return v;
        };
        if hops >= MAX_HOPS || !self.visited.insert((usize::MAX - 1, name.to_string())) {
            return v;
        }
        for &(scope, e) in defs {
            v.union(self.expr(e, scope, &[], hops + 1, s));
        }
        v.tag(name);
        v
    }

    /// What the crate index says `key` holds, as a limit read at `at` (the use in this file).
    fn outside<T: syn::spanned::Spanned>(&mut self, key: Key, at: &T, name: &str) -> Val {
        let Some(index) = &self.c.index else {
            return Val::default();
        };
        let facts = index.limits(&key);
        let Some(f) = facts.iter().find(|f| f.source.is_hard()).or(facts.first()) else {
            return Val::default();
        };
        let what = match &key {
            Key::Field(_) => format!("the field `{name}` is set to"),
            Key::Fn(_) => format!("`{name}()` returns"),
            Key::Param { func, .. } => format!("a caller of `{func}` passes `{name}`"),
            Key::Module { .. } => format!("`{name}` is set to"),
        };
        let mut v = Val::limit(f.source, self.c.span_of(at));
        v.elsewhere = Some(format!(
            "{what} {}, read in {}:{}",
            f.source.describe(),
            f.path.display().to_string().replace('\\', "/"),
            f.line
        ));
        v
    }

    /// A function the file does not define (`sys::max_fd()`, `helpers.open_max()`): the
    /// crate's, else unknown.
    fn outside_fn<T: syn::spanned::Spanned>(
        &mut self,
        name: &str,
        at: &T,
        _hops: usize,
        _s: usize,
    ) -> Val {
        let v = self.outside(Key::Fn(name.to_string()), at, name);
        if v.is_empty() && !self.c.fns.contains_key(name) {
            return Val {
                unknown: Some(name.to_string()),
                ..Val::default()
            };
        }
        v
    }

    /// Parameter `index` (named `name`) of `func`: what the file's callers pass, else what
    /// the crate's callers pass, else unknown.
    fn param(
        &mut self,
        func: &str,
        index: usize,
        name: &str,
        at: &'a syn::ExprPath,
        hops: usize,
        s: usize,
    ) -> Val {
        let c = self.c;
        let mut v = Val::default();
        let sites = c.calls.get(func).map(Vec::as_slice).unwrap_or_default();
        if hops < MAX_HOPS
            && self
                .visited
                .insert((usize::MAX - 2, format!("{func}#{index}")))
        {
            for (scope, args) in sites {
                if let Some(a) = args.get(index) {
                    v.union(self.expr(a, *scope, &[], hops + 1, s));
                }
            }
        }
        if !v.is_empty() {
            v.tag(name);
            return v;
        }
        let outside = self.outside(
            Key::Param {
                func: func.to_string(),
                index,
            },
            at,
            name,
        );
        if !outside.is_empty() {
            return outside;
        }
        if sites.is_empty() {
            v.unknown = Some(name.to_string());
        }
        v
    }

    /// The values a same-file function named `name` returns (tail expression and `return`s).
    fn fn_returns(&mut self, name: &str, projs: &[Proj], hops: usize, s: usize) -> Val {
        let c = self.c;
        let mut v = Val::default();
        let Some(fns) = c.fns.get(name) else {
            return v;
        };
        if hops >= MAX_HOPS {
            return v;
        }
        for &(id, body) in fns {
            if !self.fns_visited.insert(id) {
                continue;
            }
            let mut rets: Vec<&'a Expr> = block_tail(body).into_iter().collect();
            Returns(&mut rets).visit_block(body);
            for r in rets {
                v.union(self.expr(r, id, projs, hops + 1, s));
            }
        }
        v
    }
}

/// Collects `return e` expressions of one function body (not of its closures or nested items).
struct Returns<'r, 'a>(&'r mut Vec<&'a Expr>);

impl<'a> Visit<'a> for Returns<'_, 'a> {
    fn visit_expr_return(&mut self, r: &'a syn::ExprReturn) {
        if let Some(e) = &r.expr {
            self.0.push(e);
        }
        visit::visit_expr_return(self, r);
    }
    fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'a syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'a syn::Item) {}
}
