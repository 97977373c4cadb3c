//! Loops and ranges: `upto`/`downto`/`step`, `each` over ranges, `times`, `for` and `while`
//! loops, their bounds, what the body does to the loop variable (close, `close_on_exec`, probe;
//! through an `IO` made from it), and loops that exit early (a search, not a sweep).

use super::*;

/// Whether a constant or variable name speaks of fds (`MAXFD`, `max_fd`, `OPEN_MAX`, `nofile`).
pub(super) fn names_fds(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.starts_with("fd") || w.ends_with("fd") || w == "fds")
        || ["open_max", "nofile", "descriptor", "maxfiles", "max_files"]
            .iter()
            .any(|k| n.contains(k))
}

pub(super) enum LoopMatch<'t> {
    /// `3.upto(max) { |fd| }`, `(3...max).each do |fd|`, `max.times { |fd| }`.
    Block {
        call: Node<'t>,
        recv: Node<'t>,
        method: Node<'t>,
        block: Node<'t>,
        var: Node<'t>,
    },
    /// `for fd in 3..max`.
    For {
        node: Node<'t>,
        var: Node<'t>,
        inn: Node<'t>,
        body: Node<'t>,
    },
    /// `while fd < max ... fd += 1 end`.
    While {
        node: Node<'t>,
        var: Node<'t>,
        hi: Node<'t>,
        body: Node<'t>,
    },
}

/// Whether a range literal includes its end (`3..max`, not `3...max`).
pub(super) fn range_includes_end(range: Node) -> bool {
    range
        .child_by_field_name("operator")
        .is_some_and(|o| o.kind() == "..")
}

/// `fd < max` or `fd <= max` as a `while` condition: the variable and the bound.
pub(super) fn while_condition(cond: Node) -> Option<(Node, Node)> {
    let var = cond.child_by_field_name("left")?;
    let op = cond.child_by_field_name("operator")?;
    (var.kind() == "identifier" && matches!(op.kind(), "<" | "<="))
        .then_some(())
        .and(Some((var, cond.child_by_field_name("right")?)))
}

impl<'t> Ctx<'t> {
    pub(super) fn close_loop(&self, lm: &LoopMatch<'t>) -> Option<CloseLoop> {
        let (span, lower_node, hi, var, body, lower_default) = match *lm {
            LoopMatch::Block {
                call,
                recv,
                method,
                block,
                var,
            } => {
                let (lower, hi, dflt) = self.block_loop_bounds(call, recv, self.text(method))?;
                let end = call
                    .child_by_field_name("arguments")
                    .unwrap_or(method)
                    .end_byte();
                let body = block.child_by_field_name("body")?;
                (
                    Span::new(call.start_byte(), end),
                    lower,
                    hi,
                    var,
                    body,
                    dflt,
                )
            }
            LoopMatch::For {
                node,
                var,
                inn,
                body,
            } => {
                let range = self.range_of(statements(inn).first().copied()?)?;
                (
                    Span::new(node.start_byte(), inn.end_byte()),
                    range.child_by_field_name("begin"),
                    range.child_by_field_name("end")?,
                    var,
                    body,
                    None,
                )
            }
            LoopMatch::While {
                node,
                var,
                hi,
                body,
            } => {
                let name = self.text(var);
                if !self.increments(body, name) {
                    return None;
                }
                let cond = node.child_by_field_name("condition")?;
                (
                    Span::new(node.start_byte(), cond.end_byte()),
                    Some(var),
                    hi,
                    var,
                    body,
                    None,
                )
            }
        };
        let (action, action_span) = self.fd_action(body, self.text(var))?;
        let bound = self.bound(hi)?;
        let lower = lower_default.or_else(|| lower_node.and_then(|n| self.lower(n)));
        Some(CloseLoop {
            span,
            action,
            action_span,
            lower,
            bound,
        })
    }

    /// Whether a loop visits its upper bound too: `upto`, `downto` and `step` do, a range does
    /// with `..` (not `...`), a `while` with `<=`; `times` never does.
    pub(super) fn loop_includes_end(&self, lm: &LoopMatch<'t>) -> bool {
        match *lm {
            LoopMatch::Block { recv, method, .. } => match self.text(method) {
                "upto" | "downto" | "step" => true,
                "each" | "reverse_each" => {
                    (recv.kind() == "call" && method_name(recv, self.src) == "upto")
                        || self.range_of(recv).is_some_and(range_includes_end)
                }
                _ => false,
            },
            LoopMatch::For { inn, .. } => statements(inn)
                .first()
                .and_then(|r| self.range_of(*r))
                .is_some_and(range_includes_end),
            LoopMatch::While { node, .. } => node
                .child_by_field_name("condition")
                .and_then(|c| c.child_by_field_name("operator"))
                .is_some_and(|o| o.kind() == "<="),
        }
    }

    /// The lower-bound node, the upper-bound node and a fixed lower bound of a block loop.
    pub(super) fn block_loop_bounds(
        &self,
        call: Node<'t>,
        recv: Node<'t>,
        method: &str,
    ) -> Option<(Option<Node<'t>>, Node<'t>, Option<u64>)> {
        let a = args(call);
        match method {
            "upto" if a.len() == 1 => Some((Some(recv), a[0], None)),
            "downto" if a.len() == 1 => Some((Some(a[0]), recv, None)),
            "times" if a.is_empty() => Some((None, recv, Some(0))),
            "step" if a.len() == 1 || (a.len() == 2 && int_lit(a[1], self.src) == Some(1)) => {
                Some((Some(recv), a[0], None))
            }
            "each" | "reverse_each" if a.is_empty() => {
                if recv.kind() == "call"
                    && method_name(recv, self.src) == "upto"
                    && recv.child_by_field_name("block").is_none()
                {
                    // `3.upto(max).each do |fd|`
                    let inner = args(recv);
                    let lo = recv.child_by_field_name("receiver")?;
                    return (inner.len() == 1).then_some((Some(lo), inner[0], None));
                }
                let range = self.range_of(recv)?;
                Some((
                    range.child_by_field_name("begin"),
                    range.child_by_field_name("end")?,
                    None,
                ))
            }
            _ => None,
        }
    }

    /// The range an `each` or `for` iterates: `(3..max)`, `3..max`, `(3..max).to_a`,
    /// `Array(3..max)`, `[*3..max]`.
    pub(super) fn range_of(&self, node: Node<'t>) -> Option<Node<'t>> {
        match node.kind() {
            "range" => Some(node),
            "parenthesized_statements" => {
                let s = statements(node);
                (s.len() == 1 && s[0].kind() == "range").then(|| s[0])
            }
            "call" => {
                let a = args(node);
                match (
                    node.child_by_field_name("receiver"),
                    method_name(node, self.src),
                ) {
                    (Some(r), "to_a") if a.is_empty() => self
                        .range_of(r)
                        .filter(|_| r.kind() == "parenthesized_statements"),
                    (None, "Array") if a.len() == 1 && a[0].kind() == "range" => Some(a[0]),
                    _ => None,
                }
            }
            "array" => {
                let s = statements(node);
                if s.len() == 1 && s[0].kind() == "splat_argument" {
                    statements(s[0])
                        .first()
                        .copied()
                        .filter(|r| r.kind() == "range")
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Whether a `while` body steps the variable: `fd += 1`, `fd = fd + 1`.
    pub(super) fn increments(&self, body: Node<'t>, var: &str) -> bool {
        let mut found = false;
        ts::walk(body, |n| {
            if found {
                return false;
            }
            let step = match n.kind() {
                "operator_assignment" => {
                    n.child_by_field_name("operator")
                        .is_some_and(|o| self.text(o) == "+=")
                        && n.child_by_field_name("right")
                            .is_some_and(|r| int_lit(r, self.src).is_some())
                }
                "assignment" => n.child_by_field_name("right").is_some_and(|r| {
                    r.kind() == "binary"
                        && r.child_by_field_name("operator")
                            .is_some_and(|o| self.text(o) == "+")
                        && r.child_by_field_name("left")
                            .is_some_and(|l| self.text(l) == var)
                }),
                _ => false,
            };
            if step
                && n.child_by_field_name("left")
                    .is_some_and(|l| l.kind() == "identifier" && self.text(l) == var)
            {
                found = true;
            }
            !matches!(n.kind(), "method" | "singleton_method" | "class" | "module")
        });
        found
    }

    // ----- fd actions ----------------------------------------------------------------------

    /// The first thing the body does to the fd named by the loop variable. A body that can
    /// leave the loop early (`break`, `return`) searches rather than sweeps: no action.
    pub(super) fn fd_action(&self, body: Node<'t>, var: &str) -> Option<(FdAction, Span)> {
        if exits_early(body) {
            return None;
        }
        let mut found = None;
        ts::walk(body, |n| {
            if found.is_some() {
                return false;
            }
            if n.kind() == "call" {
                found = self.action_at(body, n, var);
            }
            !matches!(
                n.kind(),
                "method" | "singleton_method" | "class" | "module" | "string" | "heredoc_body"
            )
        });
        found
    }

    pub(super) fn is_var(&self, node: Option<&Node>, var: &str) -> bool {
        node.is_some_and(|n| n.kind() == "identifier" && self.text(*n) == var)
    }

    pub(super) fn action_at(
        &self,
        body: Node<'t>,
        call: Node<'t>,
        var: &str,
    ) -> Option<(FdAction, Span)> {
        let recv = call.child_by_field_name("receiver")?;
        let method = method_name(call, self.src);
        let a = args(call);
        let recv_const = const_name(recv, self.src)?;
        // `LibC.close(fd)` and other FFI bindings of close(2).
        if method == "close" {
            return (a.len() == 1 && self.is_var(a.first(), var))
                .then(|| (FdAction::Close, ts::span(call)));
        }
        // `IO.for_fd(fd)`, `IO.new(fd)`, `File.for_fd(fd)`, `IO.open(fd)`.
        if !matches!(
            recv_const,
            "IO" | "File"
                | "Socket"
                | "BasicSocket"
                | "TCPSocket"
                | "TCPServer"
                | "UNIXSocket"
                | "UNIXServer"
                | "UDPSocket"
        ) || !matches!(method, "for_fd" | "new" | "open")
            || !self.is_var(a.first(), var)
        {
            return None;
        }
        let keeps_fd = a.iter().any(|p| {
            p.kind() == "pair"
                && p.child_by_field_name("key")
                    .is_some_and(|k| self.text(k).trim_end_matches(':') == "autoclose")
                && p.child_by_field_name("value")
                    .is_some_and(|v| v.kind() == "false")
        });
        let wrap = if keeps_fd {
            FdAction::Probe
        } else {
            FdAction::Wrap
        };
        let mut parent = call.parent()?;
        if parent.kind() == "rescue_modifier" && parent.child_by_field_name("body") == Some(call) {
            // `io = IO.for_fd(fd) rescue next`
            parent = parent.parent()?;
        }
        if parent.kind() == "call" && parent.child_by_field_name("receiver") == Some(call) {
            return Some(self.use_of_io(parent, wrap));
        }
        // `io = IO.for_fd(fd)` then `io.close`.
        if parent.kind() == "assignment"
            && let Some(left) = parent.child_by_field_name("left")
            && left.kind() == "identifier"
        {
            let io = self.text(left);
            let mut used = None;
            ts::walk(body, |n| {
                if used.is_none()
                    && n.kind() == "call"
                    && n.start_byte() >= parent.end_byte()
                    && self.is_var(n.child_by_field_name("receiver").as_ref(), io)
                {
                    let (act, sp) = self.use_of_io(n, wrap);
                    if act != wrap {
                        used = Some((act, sp));
                    }
                }
                used.is_none()
            });
            if used.is_some() {
                return used;
            }
        }
        Some((wrap, ts::span(call)))
    }

    /// What a call on an IO wrapping the fd does (`.close`, `.close_on_exec = true`,
    /// `.fcntl(F_SETFD, FD_CLOEXEC)`, `.stat`).
    pub(super) fn use_of_io(&self, call: Node<'t>, wrap: FdAction) -> (FdAction, Span) {
        let method = method_name(call, self.src);
        match method {
            "close" => (FdAction::Close, ts::span(call)),
            "close_on_exec" => match call.parent() {
                Some(p)
                    if p.kind() == "assignment" && p.child_by_field_name("left") == Some(call) =>
                {
                    // Leave out a trailing `rescue nil`, which belongs to the assignment.
                    let end = match p.child_by_field_name("right") {
                        Some(r) if r.kind() == "rescue_modifier" => r
                            .child_by_field_name("body")
                            .map_or(p.end_byte(), |b| b.end_byte()),
                        _ => p.end_byte(),
                    };
                    (FdAction::SetCloexec, Span::new(p.start_byte(), end))
                }
                _ => (wrap, ts::span(call)),
            },
            "fcntl" if args(call).iter().any(|a| self.text(*a).contains("F_SETFD")) => {
                (FdAction::SetCloexec, ts::span(call))
            }
            "stat" | "fstat" | "closed?" | "tty?" | "isatty" => (FdAction::Probe, ts::span(call)),
            _ => (wrap, ts::span(call)),
        }
    }

    // ----- bounds ---------------------------------------------------------------------------

    pub(super) fn lower(&self, node: Node<'t>) -> Option<u64> {
        if let Some(v) = int_lit(node, self.src) {
            return Some(v);
        }
        match self.resolve(node, 0, 0, &mut Vec::new()) {
            Val::Lit { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Resolve a loop's upper bound.
    pub(super) fn bound(&self, hi: Node<'t>) -> Option<Bound> {
        let via = self.via(hi, 0);
        match self.resolve(hi, 0, 0, &mut Vec::new()) {
            Val::Pair { origin } => Some(Bound::limit(
                LimitSource::Getrlimit,
                origin,
                via,
                Vec::new(),
                None,
            )),
            Val::Limit {
                source,
                origin,
                fallbacks,
                cap,
            } => Some(Bound::limit(source, origin, via, fallbacks, cap)),
            Val::Lit { value, span, name } => Some(Bound::guess(value, name, span, via)),
            Val::Unknown | Val::Cycle => None,
        }
    }
}

/// Whether a loop body leaves the loop early: a `break` not inside a nested block or loop, or a
/// `return` not inside a nested lambda or method.
pub(super) fn exits_early(body: Node) -> bool {
    let mut found = false;
    let mut stack: Vec<(Node, bool)> = vec![(body, false)];
    while let Some((n, nested_loop)) = stack.pop() {
        if found {
            break;
        }
        match n.kind() {
            "break" if !nested_loop => found = true,
            "return" => found = true,
            "method" | "singleton_method" | "class" | "module" | "lambda" if n != body => continue,
            _ => {}
        }
        let nested = nested_loop
            || (n != body && matches!(n.kind(), "block" | "do_block" | "while" | "until" | "for"));
        let mut c = n.walk();
        for ch in n.children(&mut c) {
            stack.push((ch, nested));
        }
    }
    found
}
