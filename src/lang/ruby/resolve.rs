//! Resolution: the `Val` of an expression (`Process.getrlimit`, `Etc.sysconf`, constants,
//! locals, helper methods, `rescue`/`||` fallbacks, `min`/`max` of arrays, arithmetic), with
//! name and expression depth limits and a cycle guard; `combine`, `min_of`, `max_of`.

use super::*;

/// What an expression evaluates to, as far as the bound is concerned.
#[derive(Debug, Clone)]
pub(super) enum Val {
    /// Nothing known: not a fact.
    Unknown,
    /// A name that refers back to itself (`x = x + 1`): neutral when combined.
    Cycle,
    /// The `[soft, hard]` array `Process.getrlimit(:NOFILE)` returns.
    Pair { origin: Span },
    Limit {
        source: LimitSource,
        origin: Span,
        fallbacks: Vec<Fallback>,
        cap: Option<u64>,
    },
    Lit {
        value: u64,
        span: Span,
        name: Option<String>,
    },
}

impl Val {
    /// The limit read out of a `Process.getrlimit(:NOFILE)` pair (`[0]`, `.first`, `soft, _ =`).
    fn from_pair(origin: Span, source: LimitSource) -> Val {
        Val::Limit {
            source,
            origin,
            fallbacks: Vec::new(),
            cap: None,
        }
    }
}

impl<'t> Ctx<'t> {
    /// The variable, constant or method the bound expression names, seen through conversions
    /// and arithmetic.
    pub(super) fn via(&self, node: Node<'t>, depth: u32) -> Option<String> {
        if depth > MAX_EXPR_DEPTH {
            return None;
        }
        match node.kind() {
            "identifier" | "instance_variable" | "class_variable" | "global_variable"
            | "constant" => Some(self.text(node).to_string()),
            "scope_resolution" => const_name(node, self.src).map(str::to_string),
            "parenthesized_statements" => {
                let s = statements(node);
                (s.len() == 1).then(|| self.via(s[0], depth + 1)).flatten()
            }
            "element_reference" => self.via(node.child_by_field_name("object")?, depth + 1),
            "rescue_modifier" => self.via(node.child_by_field_name("body")?, depth + 1),
            "binary" => {
                let l = node.child_by_field_name("left")?;
                let r = node.child_by_field_name("right")?;
                match self.text(node.child_by_field_name("operator")?) {
                    "+" | "-" if int_lit(r, self.src).is_some() => self.via(l, depth + 1),
                    "+" if int_lit(l, self.src).is_some() => self.via(r, depth + 1),
                    "||" | "or" => self.via(l, depth + 1),
                    _ => None,
                }
            }
            "call" => {
                let method = method_name(node, self.src);
                let a = args(node);
                match node.child_by_field_name("receiver") {
                    None if method == "Integer" => self.via(*a.first()?, depth + 1),
                    None if a.is_empty() => Some(method.to_string()),
                    Some(r) if r.kind() == "self" && a.is_empty() => Some(method.to_string()),
                    Some(r) => match method {
                        "to_i" | "to_int" | "floor" | "ceil" | "round" | "first" | "last" => {
                            self.via(r, depth + 1)
                        }
                        "min" | "max" if r.kind() != "array" && a.is_empty() => {
                            self.via(r, depth + 1)
                        }
                        "min" | "max" if r.kind() == "array" => statements(r)
                            .into_iter()
                            .find(|e| int_lit(*e, self.src).is_none())
                            .and_then(|e| self.via(e, depth + 1)),
                        _ if a.is_empty()
                            && r.kind() == "constant"
                            && self.methods.contains_key(method) =>
                        {
                            Some(method.to_string())
                        }
                        _ => None,
                    },
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// What an expression evaluates to. `names` counts the names followed, `depth` the
    /// expression levels entered; `visiting` holds the bindings and methods being resolved.
    pub(super) fn resolve(
        &self,
        node: Node<'t>,
        names: u32,
        depth: u32,
        visiting: &mut Vec<usize>,
    ) -> Val {
        if depth > MAX_EXPR_DEPTH
            || names > MAX_NAME_DEPTH
            || !self.budget.step(crate::facts::Stage::Resolve)
        {
            return Val::Unknown;
        }
        let d = depth + 1;
        match node.kind() {
            "integer" => match ts::parse_int(self.text(node)) {
                Some(value) => Val::Lit {
                    value,
                    span: ts::span(node),
                    name: None,
                },
                None => Val::Unknown,
            },
            "parenthesized_statements" | "begin" => {
                let alts: Vec<Val> = value_exprs(node)
                    .into_iter()
                    .map(|e| self.resolve(e, names, d, visiting))
                    .collect();
                combine(alts)
            }
            "identifier" => self.resolve_local(node, names, d, visiting),
            "constant" | "instance_variable" | "class_variable" | "global_variable" => {
                self.resolve_global(self.text(node), names, d, visiting)
            }
            "scope_resolution" => match const_name(node, self.src) {
                Some(n) => self.resolve_global(n, names, d, visiting),
                None => Val::Unknown,
            },
            "element_reference" => {
                let Some(obj) = node.child_by_field_name("object") else {
                    return Val::Unknown;
                };
                let idx = statements(node)
                    .into_iter()
                    .filter(|c| *c != obj)
                    .collect::<Vec<_>>();
                let pos = match idx.as_slice() {
                    [i] if i.kind() == "integer" => ts::parse_int(self.text(*i)).map(|v| v as i64),
                    [i] if i.kind() == "unary" && self.text(*i).replace(' ', "") == "-1" => {
                        Some(-1)
                    }
                    _ => None,
                };
                match self.resolve(obj, names, d, visiting) {
                    Val::Pair { origin } => Val::from_pair(
                        origin,
                        match pos {
                            Some(0) => LimitSource::GetrlimitSoft,
                            Some(1) | Some(-1) => LimitSource::GetrlimitHard,
                            _ => LimitSource::Getrlimit,
                        },
                    ),
                    _ => Val::Unknown,
                }
            }
            "call" => self.resolve_call(node, names, d, visiting),
            "binary" => {
                let (Some(l), Some(r), Some(op)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    node.child_by_field_name("operator"),
                ) else {
                    return Val::Unknown;
                };
                match self.text(op) {
                    "||" | "or" => combine(vec![
                        self.resolve(l, names, d, visiting),
                        self.resolve(r, names, d, visiting),
                    ]),
                    "+" | "-" => {
                        let minus = self.text(op) == "-";
                        let (other, k) = if let Some(k) = int_lit(r, self.src) {
                            (l, k)
                        } else if let (false, Some(k)) = (minus, int_lit(l, self.src)) {
                            (r, k)
                        } else {
                            return Val::Unknown;
                        };
                        if k > 64 {
                            // Not an off-by-one adjustment: an unrelated computation.
                            return Val::Unknown;
                        }
                        match self.resolve(other, names, d, visiting) {
                            Val::Lit { value, span, name } => Val::Lit {
                                value: if minus {
                                    value.saturating_sub(k)
                                } else {
                                    value.saturating_add(k)
                                },
                                span,
                                name,
                            },
                            v @ (Val::Limit { .. } | Val::Cycle) => v,
                            _ => Val::Unknown,
                        }
                    }
                    _ => Val::Unknown,
                }
            }
            "conditional" => {
                let alts = ["consequence", "alternative"]
                    .iter()
                    .filter_map(|f| node.child_by_field_name(f))
                    .map(|e| self.resolve(e, names, d, visiting))
                    .collect();
                combine(alts)
            }
            "if" | "unless" | "elsif" => {
                let mut alts = Vec::new();
                for f in ["consequence", "alternative"] {
                    if let Some(b) = node.child_by_field_name(f) {
                        if b.kind() == "elsif" {
                            alts.push(self.resolve(b, names, d, visiting));
                        } else {
                            for e in value_exprs(b) {
                                alts.push(self.resolve(e, names, d, visiting));
                            }
                        }
                    }
                }
                combine(alts)
            }
            "rescue_modifier" => {
                let alts = ["body", "handler"]
                    .iter()
                    .filter_map(|f| node.child_by_field_name(f))
                    .map(|e| self.resolve(e, names, d, visiting))
                    .collect();
                combine(alts)
            }
            "assignment" | "operator_assignment" => match node.child_by_field_name("right") {
                Some(r) => self.resolve(r, names, d, visiting),
                None => Val::Unknown,
            },
            _ => Val::Unknown,
        }
    }

    pub(super) fn resolve_call(
        &self,
        node: Node<'t>,
        names: u32,
        d: u32,
        visiting: &mut Vec<usize>,
    ) -> Val {
        let method = method_name(node, self.src);
        let a = args(node);
        let recv = node.child_by_field_name("receiver");
        let recv_const = recv.and_then(|r| const_name(r, self.src));
        // The limit sources.
        if method == "getrlimit" && recv_const == Some("Process") {
            return match a.as_slice() {
                [arg] if self.names_nofile(*arg) => Val::Pair {
                    origin: ts::span(node),
                },
                _ => Val::Unknown,
            };
        }
        if method == "sysconf" && recv_const == Some("Etc") {
            return match a.as_slice() {
                [arg] if self.text(*arg).contains("SC_OPEN_MAX") => Val::Limit {
                    source: LimitSource::Sysconf,
                    origin: ts::span(node),
                    fallbacks: Vec::new(),
                    cap: None,
                },
                _ => Val::Unknown,
            };
        }
        match recv {
            None if method == "Integer" && !a.is_empty() => self.resolve(a[0], names, d, visiting),
            None if a.is_empty() => self.resolve_method(method, names, d, visiting),
            Some(r)
                if a.is_empty()
                    && matches!(r.kind(), "self" | "constant")
                    && self.methods.contains_key(method) =>
            {
                self.resolve_method(method, names, d, visiting)
            }
            Some(r) => match method {
                "to_i" | "to_int" | "floor" | "ceil" | "round" if a.is_empty() => {
                    self.resolve(r, names, d, visiting)
                }
                "first" | "last" | "min" | "max" if a.is_empty() && r.kind() != "array" => {
                    match self.resolve(r, names, d, visiting) {
                        Val::Pair { origin } => Val::from_pair(
                            origin,
                            if matches!(method, "first" | "min") {
                                LimitSource::GetrlimitSoft
                            } else {
                                LimitSource::GetrlimitHard
                            },
                        ),
                        _ => Val::Unknown,
                    }
                }
                "min" | "max" if a.is_empty() => {
                    let vals: Vec<Val> = statements(r)
                        .into_iter()
                        .map(|e| self.resolve(e, names, d, visiting))
                        .collect();
                    if method == "min" {
                        min_of(vals)
                    } else {
                        max_of(vals)
                    }
                }
                _ => Val::Unknown,
            },
            _ => Val::Unknown,
        }
    }

    /// `:NOFILE`, `"NOFILE"`, `Process::RLIMIT_NOFILE`, `RLIMIT_NOFILE`.
    pub(super) fn names_nofile(&self, arg: Node) -> bool {
        matches!(
            arg.kind(),
            "simple_symbol" | "string" | "constant" | "scope_resolution" | "delimited_symbol"
        ) && {
            let t = self.text(arg).to_ascii_uppercase();
            t.contains("NOFILE") && !t.contains("#{")
        }
    }

    pub(super) fn resolve_local(
        &self,
        node: Node<'t>,
        names: u32,
        d: u32,
        visiting: &mut Vec<usize>,
    ) -> Val {
        let name = self.text(node);
        let scope_node = self.scope_of(node);
        if self.block_param_shadows(node, scope_node, name) {
            return Val::Unknown;
        }
        let scope = scope_node.map_or(0, |s| s.id());
        let bindings = self.local_bindings(scope, name).unwrap_or_default();
        let before: Vec<&Binding<'t>> = bindings
            .iter()
            .filter(|b| b.node.end_byte() <= node.start_byte())
            .collect();
        if before.is_empty() {
            // A bare identifier with no assignment before it is a parameter or a method call.
            if scope_node
                .and_then(|s| s.child_by_field_name("parameters"))
                .is_some_and(|p| self.declares(p, name))
            {
                return Val::Unknown;
            }
            return self.resolve_method(name, names, d, visiting);
        }
        // The last assignment that always runs hides the ones before it.
        let from = before
            .iter()
            .rposition(|b| !b.conditional)
            .unwrap_or_default();
        self.resolve_bindings(name, &before[from..], names, d, visiting)
    }

    /// Whether a block between `node` and its scope has a parameter called `name`. One descent
    /// from the scope: climbing with `Node::parent` (which descends from the root on each call)
    /// cost the depth squared per name.
    pub(super) fn block_param_shadows(
        &self,
        node: Node<'t>,
        scope: Option<Node<'t>>,
        name: &str,
    ) -> bool {
        let mut cur = scope.unwrap_or(self.root);
        while let Some(next) = cur.child_with_descendant(node) {
            if next == node || next == cur {
                return false;
            }
            if matches!(next.kind(), "block" | "do_block" | "lambda")
                && next
                    .child_by_field_name("parameters")
                    .is_some_and(|p| self.declares(p, name))
            {
                return true;
            }
            cur = next;
        }
        false
    }

    /// Whether a parameter list declares `name` (`a`, `a = 1`, `a:`, `*a`, `**a`, `&a`).
    pub(super) fn declares(&self, params: Node<'t>, name: &str) -> bool {
        statements(params).into_iter().any(|p| {
            let id = if p.kind() == "identifier" {
                Some(p)
            } else {
                p.child_by_field_name("name")
            };
            id.is_some_and(|i| self.text(i) == name)
        })
    }

    pub(super) fn resolve_global(
        &self,
        name: &str,
        names: u32,
        d: u32,
        visiting: &mut Vec<usize>,
    ) -> Val {
        match self.global_bindings(name) {
            Some(bs) => {
                let all: Vec<&Binding<'t>> = bs.iter().collect();
                self.resolve_bindings(name, &all, names, d, visiting)
            }
            None => Val::Unknown,
        }
    }

    pub(super) fn resolve_bindings(
        &self,
        name: &str,
        bindings: &[&Binding<'t>],
        names: u32,
        d: u32,
        visiting: &mut Vec<usize>,
    ) -> Val {
        let mut alts = Vec::new();
        for b in bindings {
            let id = b.node.id();
            if let Some(i) = visiting.iter().position(|v| *v == id) {
                self.cut_at.set(self.cut_at.get().min(i));
                alts.push(Val::Cycle);
                continue;
            }
            let key = (id, names, d);
            if let Some(v) = self.resolved.borrow().get(&key) {
                alts.push(v.clone());
                continue;
            }
            let frame = visiting.len();
            let outer_cut = self.cut_at.replace(usize::MAX);
            visiting.push(id);
            let v = match b.index {
                None => self.resolve(b.value, names + 1, d, visiting),
                Some(i) if b.value.kind() == "right_assignment_list" => {
                    match statements(b.value).get(i) {
                        Some(e) if e.kind() != "splat_argument" => {
                            self.resolve(*e, names + 1, d, visiting)
                        }
                        _ => Val::Unknown,
                    }
                }
                Some(i) => match self.resolve(b.value, names + 1, d, visiting) {
                    Val::Pair { origin } if i < 2 => Val::from_pair(
                        origin,
                        if i == 0 {
                            LimitSource::GetrlimitSoft
                        } else {
                            LimitSource::GetrlimitHard
                        },
                    ),
                    _ => Val::Unknown,
                },
            };
            visiting.pop();
            let cut = self.cut_at.get();
            // A spent budget leaves values unknown that are not: keep nothing from then on.
            if cut >= frame && !self.budget.is_spent() {
                self.resolved.borrow_mut().insert(key, v.clone());
            }
            self.cut_at
                .set(outer_cut.min(if cut < frame { cut } else { usize::MAX }));
            alts.push(v);
        }
        match combine(alts) {
            Val::Lit {
                value,
                span,
                name: None,
            } => Val::Lit {
                value,
                span,
                name: Some(name.to_string()),
            },
            v => v,
        }
    }

    pub(super) fn resolve_method(
        &self,
        name: &str,
        names: u32,
        d: u32,
        visiting: &mut Vec<usize>,
    ) -> Val {
        let Some(defs) = self.methods.get(name) else {
            return Val::Unknown;
        };
        let mut alts = Vec::new();
        for def in defs {
            if def
                .child_by_field_name("parameters")
                .is_some_and(|p| statements(p).iter().any(|p| p.kind() == "identifier"))
            {
                // Required parameters: not a zero-argument helper.
                continue;
            }
            let id = def.id();
            if let Some(i) = visiting.iter().position(|v| *v == id) {
                self.cut_at.set(self.cut_at.get().min(i));
                alts.push(Val::Cycle);
                continue;
            }
            let Some(body) = def.child_by_field_name("body") else {
                continue;
            };
            visiting.push(id);
            for e in value_exprs(body) {
                alts.push(self.resolve(e, names + 1, d, visiting));
            }
            let mut returns = Vec::new();
            ts::walk(body, |n| {
                // The `return` statement, not its keyword (an unnamed node of the same kind).
                if n.kind() == "return" && n.is_named() {
                    returns.push(n);
                }
                !matches!(
                    n.kind(),
                    "method" | "singleton_method" | "class" | "module" | "lambda"
                )
            });
            for r in returns {
                match statements(r).first().map(|a| statements(*a)) {
                    Some(vals) if vals.len() == 1 => {
                        alts.push(self.resolve(vals[0], names + 1, d, visiting))
                    }
                    _ => alts.push(Val::Unknown),
                }
            }
            visiting.pop();
        }
        if alts.is_empty() {
            return Val::Unknown;
        }
        combine(alts)
    }
}

/// The value of a name or expression that takes one of several values: any limit wins and the
/// literals become its fallbacks; otherwise all must be literals and the largest is the guess.
pub(super) fn combine(alts: Vec<Val>) -> Val {
    let alts: Vec<Val> = alts
        .into_iter()
        .filter(|v| !matches!(v, Val::Cycle))
        .collect();
    if alts.is_empty() {
        return Val::Cycle;
    }
    if alts.len() == 1 {
        return alts.into_iter().next().unwrap_or(Val::Unknown);
    }
    let mut limit: Option<(LimitSource, Span)> = None;
    let mut fallbacks: Vec<Fallback> = Vec::new();
    let mut caps: Vec<Option<u64>> = Vec::new();
    let mut lit: Option<(u64, Span, Option<String>)> = None;
    let mut unknown = false;
    for v in alts {
        match v {
            Val::Pair { origin } => {
                limit.get_or_insert((LimitSource::Getrlimit, origin));
                caps.push(None);
            }
            Val::Limit {
                source,
                origin,
                fallbacks: f,
                cap,
            } => {
                limit.get_or_insert((source, origin));
                fallbacks.extend(f);
                caps.push(cap);
            }
            Val::Lit { value, span, name } => {
                fallbacks.push(Fallback { value, span });
                if lit.as_ref().is_none_or(|(v, _, _)| value > *v) {
                    lit = Some((value, span, name));
                }
            }
            Val::Unknown => unknown = true,
            Val::Cycle => {}
        }
    }
    match (limit, lit) {
        (Some((source, origin)), _) => {
            fallbacks.sort_by_key(|f| f.span);
            fallbacks.dedup();
            let cap = if caps.iter().all(Option::is_some) {
                caps.into_iter().flatten().max()
            } else {
                None
            };
            Val::Limit {
                source,
                origin,
                fallbacks,
                cap,
            }
        }
        (None, Some((value, span, name))) if !unknown => Val::Lit { value, span, name },
        _ => Val::Unknown,
    }
}

/// `[limit, 4096].min`: the literal caps the limit.
pub(super) fn min_of(vals: Vec<Val>) -> Val {
    let mut limit = None;
    let mut cap: Option<u64> = None;
    let mut lit: Option<Val> = None;
    for v in vals {
        match v {
            Val::Pair { .. } | Val::Limit { .. } => {
                if limit.is_none() {
                    limit = Some(v);
                }
            }
            Val::Lit { value, .. } => {
                cap = Some(cap.map_or(value, |c| c.min(value)));
                if matches!(lit, Some(Val::Lit { value: old, .. }) if old <= value) {
                    continue;
                }
                lit = Some(v);
            }
            Val::Unknown | Val::Cycle => return Val::Unknown,
        }
    }
    match limit {
        Some(Val::Pair { origin }) => Val::Limit {
            source: LimitSource::Getrlimit,
            origin,
            fallbacks: Vec::new(),
            cap,
        },
        Some(Val::Limit {
            source,
            origin,
            fallbacks,
            cap: old,
        }) => Val::Limit {
            source,
            origin,
            fallbacks,
            cap: match (old, cap) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        },
        _ => lit.unwrap_or(Val::Unknown),
    }
}

/// `[limit, 1024].max`: at least the limit.
pub(super) fn max_of(vals: Vec<Val>) -> Val {
    let mut limit = None;
    let mut lit: Option<Val> = None;
    for v in vals {
        match v {
            Val::Pair { .. } | Val::Limit { .. } => {
                if limit.is_none() {
                    limit = Some(v);
                }
            }
            Val::Lit { value, .. } => {
                if matches!(lit, Some(Val::Lit { value: old, .. }) if old >= value) {
                    continue;
                }
                lit = Some(v);
            }
            Val::Unknown | Val::Cycle => return Val::Unknown,
        }
    }
    limit.or(lit).unwrap_or(Val::Unknown)
}
