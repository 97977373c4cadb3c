//! What lies outside a loop's own function: the crate index's entries for one file
//! (`index_file`), platform guards (`#[cfg(windows)]`, `if cfg!(windows)`), and the names
//! that read as an fd limit or as a close wrapper.

use syn::{Attribute, Expr, Meta};

use super::{Collector, FdAction, parse_with, resolve};
use crate::index::Key;
use crate::index::rust::Entry;

/// The fields, functions and call arguments of one file that hold the fd limit, for the crate
/// index (`crate::index::rust`). Resolved with the file's own data flow only (no index: an
/// entry never rests on another file's entry, so building the index needs no order).
pub fn index_file(text: &str) -> Vec<Entry> {
    parse_with(text, None, |c| entries(&c), |_| Vec::new()).unwrap_or_default()
}

fn entries(c: &Collector<'_>) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut names: Vec<&String> = c.field_defs.keys().collect();
    names.sort();
    for name in names {
        if let Some((source, span)) = resolve::field_limit(c, name) {
            out.push((Key::Field(name.clone()), source, span.start));
        }
    }
    let mut fns: Vec<&String> = c.fns.keys().collect();
    fns.sort();
    for name in fns {
        if let Some((source, span)) = resolve::fn_limit(c, name) {
            out.push((Key::Fn(name.clone()), source, span.start));
        }
    }
    let mut calls: Vec<(&String, _)> = c.calls.iter().collect();
    calls.sort_by_key(|(n, _)| *n);
    for (func, sites) in calls {
        for (scope, args) in sites {
            for (index, arg) in args.iter().enumerate() {
                if let Some((source, span)) = resolve::value_limit(c, *scope, arg) {
                    out.push((
                        Key::Param {
                            func: func.clone(),
                            index,
                        },
                        source,
                        span.start,
                    ));
                }
            }
        }
    }
    out
}

pub(crate) use crate::lang::reads_as_limit;

/// What a one-argument call named like an fd wrapper does: `close_fd`, `close_nointr`,
/// `safe_close`, `sys_close` close; `set_cloexec`, `set_close_on_exec` flag. `close_range` and
/// `closefrom` already sweep in one call and are not wrappers.
pub(crate) fn wrapper_name_action(name: &str) -> Option<FdAction> {
    let l = name.to_ascii_lowercase();
    if l.contains("cloexec") || l.contains("close_on_exec") {
        return Some(FdAction::SetCloexec);
    }
    if l.contains("range") || l.contains("from") {
        return None;
    }
    (l.starts_with("close_") || l.ends_with("_close")).then_some(FdAction::Close)
}

/// The attributes of an item, when it has them.
pub(crate) fn item_attrs(i: &syn::Item) -> Option<&[Attribute]> {
    use syn::Item::*;
    Some(match i {
        Fn(x) => &x.attrs,
        Impl(x) => &x.attrs,
        Mod(x) => &x.attrs,
        Const(x) => &x.attrs,
        Static(x) => &x.attrs,
        Struct(x) => &x.attrs,
        Trait(x) => &x.attrs,
        Use(x) => &x.attrs,
        Macro(x) => &x.attrs,
        _ => return None,
    })
}

/// The attributes of the statement-level expressions that carry a `#[cfg]` in practice.
pub(crate) fn expr_attrs(e: &Expr) -> Option<&[Attribute]> {
    Some(match e {
        Expr::Block(x) => &x.attrs,
        Expr::Unsafe(x) => &x.attrs,
        Expr::ForLoop(x) => &x.attrs,
        Expr::While(x) => &x.attrs,
        Expr::Loop(x) => &x.attrs,
        Expr::If(x) => &x.attrs,
        Expr::Call(x) => &x.attrs,
        Expr::MethodCall(x) => &x.attrs,
        _ => return None,
    })
}

/// Whether a `#[cfg(..)]` among `attrs` only holds on Windows.
pub(crate) fn windows_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<Meta>().is_ok_and(|m| pred(&m) == Some(true))
    })
}

/// A cfg predicate's truth on a Unix target, when the predicate decides it by platform alone:
/// `Some(true)` for Windows-only (`windows`, `target_os = "windows"`, `not(unix)`),
/// `Some(false)` for Unix (`unix`, `not(windows)`), `None` otherwise. Answers "is it
/// Windows-only?" with `Some(true)`.
fn pred(m: &Meta) -> Option<bool> {
    match m {
        Meta::Path(p) if p.is_ident("windows") => Some(true),
        Meta::Path(p) if p.is_ident("unix") => Some(false),
        Meta::NameValue(nv)
            if nv.path.is_ident("target_os") || nv.path.is_ident("target_family") =>
        {
            match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => match s.value().as_str() {
                    "windows" => Some(true),
                    "unix" | "linux" | "macos" | "freebsd" | "openbsd" | "netbsd" | "android"
                    | "ios" | "illumos" | "solaris" | "dragonfly" => Some(false),
                    _ => None,
                },
                _ => None,
            }
        }
        Meta::List(l) => {
            let inner = l
                .parse_args_with(
                    syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated,
                )
                .ok()?;
            let vals: Vec<Option<bool>> = inner.iter().map(pred).collect();
            if l.path.is_ident("not") {
                match vals.as_slice() {
                    [Some(v)] => Some(!v),
                    _ => None,
                }
            } else if l.path.is_ident("all") {
                // Windows-only if any part is; Unix if every part is.
                if vals.contains(&Some(true)) {
                    Some(true)
                } else if !vals.is_empty() && vals.iter().all(|v| *v == Some(false)) {
                    Some(false)
                } else {
                    None
                }
            } else if l.path.is_ident("any") {
                if !vals.is_empty() && vals.iter().all(|v| *v == Some(true)) {
                    Some(true)
                } else if vals.contains(&Some(false)) {
                    Some(false)
                } else {
                    None
                }
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Which branch of an `if` runs on Unix when its condition is a platform `cfg!`.
pub(crate) enum Branch {
    Then,
    Else,
}

pub(crate) fn cfg_branch(cond: &Expr) -> Option<Branch> {
    let (negated, e) = match cond {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => (true, &*u.expr),
        e => (false, e),
    };
    let Expr::Macro(m) = e else { return None };
    if !m.mac.path.is_ident("cfg") {
        return None;
    }
    let windows = pred(&m.mac.parse_body::<Meta>().ok()?)?;
    Some(if windows != negated {
        Branch::Else
    } else {
        Branch::Then
    })
}
