//! Sweep loops a fix can rewrite (`SweepLoop`): `lo.upto(hi)`, `(lo..hi).each` and `hi.times`
//! blocks whose body only closes the fd and swallows the error (`IO.for_fd(fd).close rescue
//! nil`; `begin IO.for_fd(fd).close; rescue; end`; a `do` block with its own `rescue`). The fix
//! keeps the block as written and runs it over the open fds only, so the body must swallow the
//! error a closed fd raises (`Errno::EBADF`): skipping such an fd is then the same as visiting
//! it. `IO.for_fd(fd, autoclose: false)` closes nothing and is a probe, not a sweep.

use super::*;
use crate::facts::SweepLoop;

/// Exceptions a `rescue` may name and still swallow `Errno::EBADF` (a bare `rescue` is
/// `StandardError`).
const SWALLOWS_EBADF: &[&str] = &["StandardError", "SystemCallError", "EBADF", "Exception"];

impl<'t> Ctx<'t> {
    /// The `SweepLoop` of a block loop FD001 recorded as `cl`, when it is a plain sweep.
    pub(super) fn sweep_loop(&self, lm: &LoopMatch<'t>, cl: &CloseLoop) -> Option<SweepLoop> {
        let LoopMatch::Block {
            call,
            recv,
            method,
            block,
            var,
        } = *lm
        else {
            return None;
        };
        if cl.action != FdAction::Close
            || statements(block.child_by_field_name("parameters")?).len() != 1
            || !matches!(
                call.parent().map(|p| p.kind()),
                Some("program" | "body_statement" | "block_body" | "then" | "else" | "begin")
            )
        {
            return None;
        }
        let a = args(call);
        let (lower, upper, inclusive) = match (self.text(method), a.as_slice()) {
            ("upto", [hi]) => (Some(ts::span(recv)), ts::span(*hi), true),
            ("times", []) => (None, ts::span(recv), false),
            ("each", []) if recv.kind() == "parenthesized_statements" => {
                let range = self.range_of(recv)?;
                let op = range.child_by_field_name("operator")?;
                (
                    Some(ts::span(range.child_by_field_name("begin")?)),
                    ts::span(range.child_by_field_name("end")?),
                    self.text(op) == "..",
                )
            }
            _ => return None,
        };
        let var = self.text(var);
        let body = block.child_by_field_name("body")?;
        if !self.only_closes(body, var) {
            return None;
        }
        Some(SweepLoop {
            header: cl.span,
            statement: ts::span(call),
            lower,
            upper,
            inclusive,
            closerange: None,
            top_level: call.start_byte(),
            comment: None,
        })
    }

    /// Whether a block body does nothing but close `var` through an IO and swallow the error.
    fn only_closes(&self, body: Node<'t>, var: &str) -> bool {
        let s = statements(body);
        match s.as_slice() {
            // `{ |fd| IO.for_fd(fd).close rescue nil }`
            [m] if m.kind() == "rescue_modifier" => {
                m.child_by_field_name("body")
                    .is_some_and(|b| self.is_io_close(b, var))
                    && m.child_by_field_name("handler")
                        .is_some_and(|h| h.kind() == "nil")
            }
            // `do |fd| begin IO.for_fd(fd).close; rescue; end end`
            [b] if b.kind() == "begin" => self.only_closes(*b, var),
            // `do |fd| IO.for_fd(fd).close; rescue Errno::EBADF; end`
            [c, r] if body.kind() != "block_body" => {
                self.is_io_close(*c, var) && r.kind() == "rescue" && self.swallows(*r)
            }
            _ => false,
        }
    }

    /// A `rescue` clause with no body and no variable, rescuing what `Errno::EBADF` is.
    fn swallows(&self, r: Node<'t>) -> bool {
        if r.child_by_field_name("body").is_some() || r.child_by_field_name("variable").is_some() {
            return false;
        }
        match r.child_by_field_name("exceptions") {
            None => true,
            Some(e) => statements(e)
                .iter()
                .any(|x| const_name(*x, self.src).is_some_and(|n| SWALLOWS_EBADF.contains(&n))),
        }
    }

    /// `IO.for_fd(var).close` (or `IO.new`, `File.for_fd`), with no other argument.
    fn is_io_close(&self, n: Node<'t>, var: &str) -> bool {
        if n.kind() != "call" || method_name(n, self.src) != "close" || !args(n).is_empty() {
            return false;
        }
        let Some(io) = n.child_by_field_name("receiver") else {
            return false;
        };
        io.kind() == "call"
            && matches!(method_name(io, self.src), "for_fd" | "new")
            && io
                .child_by_field_name("receiver")
                .and_then(|r| const_name(r, self.src))
                .is_some_and(|c| matches!(c, "IO" | "File"))
            && matches!(args(io).as_slice(), [a] if self.is_var(Some(a), var))
            && io.child_by_field_name("block").is_none()
    }
}
