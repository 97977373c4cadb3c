//! Ruby calls that start a child process (`Open3.popen3`, `IO.popen`, `spawn`, `system`, `exec`)
//! and what they say about the fds the child inherits.
//!
//! The query (`queries/ruby/spawn_calls.scm`) finds calls by method name; this module checks the
//! receiver, reads the `close_others` option in any of its spellings (keyword arguments, a
//! trailing hash, a hash held in a local variable or constant, `merge`), notices explicit fd
//! redirects (`3 => w`), and reads the command for an interpreter and a script path so that the
//! rules can link a parent to the script it starts.
//!
//! Precision comes first: when the options may be built somewhere this file does not show
//! (`**opts`, a parameter named `opts`, a method result), the option is `Unknown`, never `Absent`,
//! so that no rule claims `close_others` is missing when it may not be.

use tree_sitter::Node;

use super::{CONDITIONAL_KINDS, Ctx, args, statements, value_exprs};
use crate::facts::{FdOption, OptionSlot, ScriptRef, SlotPlace, Span, SpawnApi, SpawnCall};
use crate::lang::ts;

/// How many names and expression levels the option and command resolvers follow.
const MAX_DEPTH: u32 = 12;
/// How many expressions the resolvers may visit for one call.
const MAX_STEPS: u32 = 2_000;

/// Stands for `__dir__` (the directory of the file) inside a resolved string.
const DIR: char = '\u{1}';
/// Stands for `__FILE__` (the file itself) inside a resolved string.
const FILE: char = '\u{2}';

/// A call the query found; its receiver and name are checked here.
pub(super) struct SpawnMatch<'t> {
    pub call: Node<'t>,
    pub recv: Option<Node<'t>>,
    pub method: Node<'t>,
}

/// `Open3`'s methods that start children (all call `spawn`).
pub(super) const OPEN3_METHODS: &[&str] = &[
    "popen3",
    "popen2",
    "popen2e",
    "capture2",
    "capture2e",
    "capture2b",
    "capture3",
    "pipeline",
    "pipeline_r",
    "pipeline_w",
    "pipeline_rw",
    "pipeline_start",
];

/// The API a receiver and method name select; `None` for anything else (`Open3.foo`).
fn api_of(recv: Option<&str>, method: &str) -> Option<SpawnApi> {
    Some(match (recv, method) {
        (Some("Open3"), m) if OPEN3_METHODS.contains(&m) => SpawnApi::RubyOpen3,
        (Some("IO"), "popen") => SpawnApi::RubyIoPopen,
        (None | Some("Process" | "Kernel"), "spawn") => SpawnApi::RubySpawn,
        (None | Some("Kernel"), "system") => SpawnApi::RubySystem,
        (None | Some("Kernel" | "Process"), "exec") => SpawnApi::RubyExec,
        _ => return None,
    })
}

/// Whether `Open3` is mixed in where `call` runs: an `include Open3` or `extend Open3`
/// statement directly in the body of a class or module around the call, or at the file's
/// top level (which mixes it into `Object`). A class reopened in another file, or a mixin
/// through another module, is not seen.
fn includes_open3(call: Node, src: &str) -> bool {
    let mixes_in = |stmt: Node| {
        stmt.kind() == "call"
            && stmt.child_by_field_name("receiver").is_none()
            && stmt
                .child_by_field_name("method")
                .is_some_and(|m| matches!(ts::text(m, src), "include" | "extend"))
            && stmt
                .child_by_field_name("arguments")
                .filter(|a| a.kind() == "argument_list")
                .is_some_and(|a| {
                    let mut c = a.walk();
                    a.named_children(&mut c)
                        .any(|x| top_const(x, src) == Some("Open3"))
                })
    };
    let any_stmt = |body: Node| {
        let mut c = body.walk();
        body.named_children(&mut c).any(mixes_in)
    };
    let mut n = call.parent();
    while let Some(p) = n {
        match p.kind() {
            "class" | "module" | "singleton_class"
                if p.child_by_field_name("body").is_some_and(any_stmt) =>
            {
                return true;
            }
            "program" => return any_stmt(p),
            _ => {}
        }
        n = p.parent();
    }
    false
}

/// `Open3` or `::Open3`, but not `Foo::Open3`, which is some other module.
fn top_const<'a>(node: Node, src: &'a str) -> Option<&'a str> {
    match node.kind() {
        "constant" => Some(ts::text(node, src)),
        "scope_resolution" if node.child_by_field_name("scope").is_none() => node
            .child_by_field_name("name")
            .filter(|n| n.kind() == "constant")
            .map(|n| ts::text(n, src)),
        _ => None,
    }
}

/// Whether a name says it holds spawn options (`opts`, `options`, `popen_opts`, `kwargs`).
fn names_options(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("opt") || n.contains("kw")
}

/// One entry of the options, in order: a `key => value` pair, or something whose keys are not
/// visible (`**opts`, a parameter).
#[derive(Clone, Copy)]
enum Opt<'t> {
    /// `key => value` in a hash literal or keyword arguments (`span` is the pair), or a key set
    /// later (`opts[:close_others] = true`, `opts.store(:close_others, true)`; `span` is that
    /// statement). `value` is `None` for Ruby 3.1's `{close_others:}` shorthand.
    Entry {
        key: Node<'t>,
        value: Option<Node<'t>>,
        span: Span,
    },
    Opaque(Span),
}

impl<'t> Opt<'t> {
    /// A `pair` node as an entry; `None` for a pair without a key (broken input).
    fn pair(p: Node<'t>) -> Option<Opt<'t>> {
        Some(Opt::Entry {
            key: p.child_by_field_name("key")?,
            value: p.child_by_field_name("value"),
            span: ts::span(p),
        })
    }
}

/// A change made to a local hash or array after it is assigned and before the spawn call reads
/// it, in the order written (see `Ctx::mutations`).
struct Mutation<'t> {
    kind: MutationKind<'t>,
    /// The statement may be skipped on the way to the call (a branch, a modifier, a block).
    conditional: bool,
    /// The whole statement.
    span: Span,
}

enum MutationKind<'t> {
    /// `opts[:k] = v`, `opts.store(:k, v)`.
    Set { key: Node<'t>, value: Node<'t> },
    /// `opts.merge!(h)`, `opts.update(k: v)`: the call's arguments.
    Merge(Vec<Node<'t>>),
    /// `opts.delete(:k)`.
    Delete(Node<'t>),
    /// `args << x`, `args.push(x, y)`, `args.append(x)`: the elements added at the end.
    Append(Vec<Node<'t>>),
    /// `args.concat(more)`, `args += more`: arrays whose elements are added at the end.
    Concat(Vec<Node<'t>>),
    /// `args.unshift(x)`, `args.prepend(x)`: elements added at the front.
    Prepend(Vec<Node<'t>>),
    /// Anything else that changes the value in place (`clear`, `replace`, `pop`, `insert`,
    /// `opts[:k] ||= v`, a `!` method).
    Opaque,
}

/// What an argument is, as far as the options are concerned.
enum OptClass<'t> {
    /// A hash whose entries are known.
    Hash(Vec<Opt<'t>>),
    /// Possibly an options hash, with contents that cannot be seen.
    Unknown(Span),
    /// Not an options hash (a string, an array, a command).
    Not,
}

/// One element of an argument array as far as it can be seen (see `Ctx::array_elems`).
#[derive(Clone)]
enum Elem<'t> {
    /// An element that is there, at this place, on every path.
    Sure(Node<'t>),
    /// Elements added on a path that may be skipped (`args << "-v" if verbose`): all of them
    /// or none.
    Maybe(Vec<Elem<'t>>),
    /// Any number of strings (`*ARGV`, `*cmd.split`): never an options hash, and no word that
    /// can be read.
    Strings,
    /// A splat that cannot be read: any number of elements of any kind.
    Unknown,
}

/// A candidate for the last element of a splatted array (see `Ctx::splat_options`).
struct Tail<'t> {
    node: Node<'t>,
    /// The element is there on every path (else it was added on a path that may be skipped).
    sure: bool,
    /// The element right before it, added with it, is a flag (`"--dir", dir`): it is that
    /// flag's value.
    after_flag: bool,
}

/// How a local variable is used in its scope (see `Ctx::hash_use`).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct HashUse {
    mutated: bool,
    keyed: bool,
}

/// A word of the command line, with sentinels for `__dir__` and `__FILE__`.
struct Word {
    text: String,
    span: Span,
}

impl<'t> Ctx<'t> {
    /// The call as a fact, and (into `slots`) where a fix can add `close_others: true`.
    pub(super) fn spawn_call(
        &self,
        m: &SpawnMatch<'t>,
        slots: &mut Vec<OptionSlot>,
    ) -> Option<SpawnCall> {
        let method = self.text(m.method);
        let api = match m.recv {
            // A file that defines its own `spawn` calls that one.
            None if self.methods.contains_key(method) => return None,
            // `include Open3` .. `popen3(cmd)`: Open3's methods called bare where the module
            // is mixed in.
            None if OPEN3_METHODS.contains(&method) => {
                if !includes_open3(m.call, self.src) {
                    return None;
                }
                SpawnApi::RubyOpen3
            }
            None => api_of(None, method)?,
            Some(r) => api_of(Some(top_const(r, self.src)?), method)?,
        };
        let api_name =
            (m.recv.is_none() && api == SpawnApi::RubyOpen3).then(|| format!("Open3.{method}"));
        let call = m.call;
        if self.execs_first(call) {
            return None;
        }
        self.spawn_steps.set(MAX_STEPS);
        let end = call
            .child_by_field_name("arguments")
            .unwrap_or(m.method)
            .end_byte();
        let (opts, positional, splat_last) = self.split_args(&args(call));
        let pipeline = method.starts_with("pipeline");
        let words = self.command_words(api, pipeline, &positional);
        let (interpreter, script) = interpreter_and_script(&words);
        let span = Span::new(call.start_byte(), end);
        let close_option = self.close_option(&opts);
        let slot = match close_option {
            // `spawn(*args, close_others: true)` breaks a call whose array ends with its options.
            FdOption::Absent if splat_last && !opts.is_empty() => None,
            _ => self.option_slot(call, &opts, &positional, close_option, span),
        };
        if let Some(place) = slot {
            slots.push(OptionSlot { call: span, place });
        }
        Some(SpawnCall {
            span,
            api,
            callee: self.src[call.start_byte()..m.method.end_byte()].to_string(),
            api_name,
            close_option,
            passes_fds: opts.iter().find_map(|o| match o {
                Opt::Entry {
                    key,
                    value: Some(value),
                    span,
                } if self.passes_fd(*key, *value) => Some(*span),
                _ => None,
            }),
            interpreter,
            script,
        })
    }

    /// Whether evaluating the call's arguments surely runs `exec` first (`exec(exec(cmd))`,
    /// or what shell text parses to, `exec bundle exec --flag x`): `exec` never returns, so
    /// this call never starts a child, and only the inner one is the spawn. An `exec` under a
    /// branch, a block or `&&`/`||` (`CONDITIONAL_KINDS`) may not run, and one the file
    /// defines itself may return: neither counts.
    fn execs_first(&self, call: Node<'t>) -> bool {
        let Some(arguments) = call.child_by_field_name("arguments") else {
            return false;
        };
        let mut found = false;
        ts::walk(arguments, |n| {
            if found || (n != arguments && CONDITIONAL_KINDS.contains(&n.kind())) {
                return false;
            }
            if n.kind() == "call" && super::method_name(n, self.src) == "exec" {
                let recv = n.child_by_field_name("receiver");
                found = match recv {
                    None => !self.methods.contains_key("exec"),
                    Some(r) => matches!(top_const(r, self.src), Some("Kernel" | "Process")),
                };
            }
            !found
        });
        found
    }

    // ----- options --------------------------------------------------------------------------

    /// Where `close_others: true` can be written in this call: after its keyword arguments (in
    /// their `=>` or `:` style), inside its trailing hash literal, or as a new trailing hash;
    /// or over the `false` of a `close_others: false` written in the call. `None` when the
    /// options live elsewhere (a variable, a constant, `**opts` of a hash built elsewhere), so
    /// that a fix never edits what other calls share.
    fn option_slot(
        &self,
        call: Node<'t>,
        opts: &[Opt<'t>],
        positional: &[Node<'t>],
        close: FdOption,
        span: Span,
    ) -> Option<SlotPlace> {
        let inside = |s: Span| span.start <= s.start && s.end <= span.end;
        match close {
            FdOption::Literal {
                value: false,
                span: pair,
            } if inside(pair) => {
                let value = opts.iter().find_map(|o| match o {
                    Opt::Entry { value, span, .. } if *span == pair => *value,
                    _ => None,
                })?;
                return Some(SlotPlace::Value {
                    span: ts::span(value),
                });
            }
            FdOption::Absent => {}
            _ => return None,
        }
        let written: Vec<Node<'t>> = args(call)
            .into_iter()
            .filter(|a| !matches!(a.kind(), "block_argument" | "heredoc_body"))
            .collect();
        let last = *written.last()?;
        let rocket_of = |pairs: &mut dyn Iterator<Item = Node<'t>>| {
            // The style of the last symbol key: integer and IO keys (`3 => w`) need `=>`
            // whatever the style.
            pairs
                .filter(|p| {
                    p.kind() == "pair"
                        && p.child_by_field_name("key").is_some_and(|k| {
                            matches!(
                                k.kind(),
                                "hash_key_symbol" | "simple_symbol" | "delimited_symbol"
                            )
                        })
                })
                .last()
                .is_some_and(|p| {
                    let mut cur = p.walk();
                    p.children(&mut cur)
                        .any(|c| !c.is_named() && c.kind() == "=>")
                })
        };
        let keywords = written
            .iter()
            .any(|a| matches!(a.kind(), "pair" | "hash_splat_argument"));
        if keywords {
            // Every keyword argument must be visible in the call: `**opts` of a hash built
            // elsewhere would make the options shared.
            if opts.iter().any(|o| matches!(o, Opt::Opaque(_))) {
                return None;
            }
            return Some(SlotPlace::Insert {
                at: last.end_byte(),
                comma: true,
                rocket: rocket_of(&mut written.iter().copied()),
            });
        }
        if positional.contains(&last) {
            // No options at all: a new trailing hash.
            return Some(SlotPlace::Insert {
                at: last.end_byte(),
                comma: true,
                rocket: false,
            });
        }
        // The options are the trailing positional argument: only a hash literal written here
        // can take the key.
        if last.kind() != "hash" || opts.iter().any(|o| matches!(o, Opt::Opaque(_))) {
            return None;
        }
        let entries = statements(last);
        match entries.last() {
            Some(e) => Some(SlotPlace::Insert {
                at: e.end_byte(),
                comma: true,
                rocket: rocket_of(&mut entries.iter().copied()),
            }),
            None => Some(SlotPlace::Insert {
                at: last.end_byte() - 1,
                comma: false,
                rocket: false,
            }),
        }
    }

    /// The options (in order), the positional arguments before them, and whether the last
    /// positional argument is a splat (whose array may hold the options, so that a new trailing
    /// hash would turn that one into a command word).
    fn split_args(&self, all: &[Node<'t>]) -> (Vec<Opt<'t>>, Vec<Node<'t>>, bool) {
        let mut opts = Vec::new();
        let mut positional = Vec::new();
        let mut keywords = false;
        for &a in all {
            match a.kind() {
                "pair" => {
                    keywords = true;
                    opts.extend(Opt::pair(a));
                }
                "hash_splat_argument" => {
                    keywords = true;
                    self.splat_opts(a, &mut opts, 0);
                }
                "block_argument" => {}
                _ => positional.push(a),
            }
        }
        // A splatted array as the last argument may end with the options hash
        // (`args << {close_others: true}; spawn(*args)`), as in Ruby; an array that cannot be
        // seen (`exec(*argv)` of a parameter) may hold one.
        if !keywords
            && let Some(&last) = positional.last()
            && last.kind() == "splat_argument"
        {
            let elems = statements(last)
                .first()
                .and_then(|i| self.array_elems(*i, 0));
            match elems {
                None => opts.push(Opt::Opaque(ts::span(last))),
                Some(elems) => match self.splat_options(&elems, &positional, last) {
                    OptClass::Hash(items) => opts = items,
                    OptClass::Unknown(span) => opts.push(Opt::Opaque(span)),
                    OptClass::Not => {}
                },
            }
            return (opts, positional, true);
        }
        // Without keyword arguments, the options are a trailing positional hash
        // (`spawn(cmd, {close_others: true})`, `spawn(cmd, opts)`).
        if !keywords && positional.len() >= 2 {
            match self.classify(positional[positional.len() - 1], 0) {
                OptClass::Hash(items) => {
                    opts = items;
                    positional.pop();
                }
                OptClass::Unknown(span) => {
                    opts.push(Opt::Opaque(span));
                    positional.pop();
                }
                OptClass::Not => {}
            }
        }
        (opts, positional, false)
    }

    /// The options a splatted last argument holds (`spawn(cmd, *args)`): its array's last
    /// element when that is a hash, as in Ruby. Every element that can end the array is a
    /// candidate: the one surely there last, and each element added after it on a path that may
    /// be skipped (the last of its group: `args += ["--dir", dir] if x` adds both or neither);
    /// when the array may be empty, the argument before the splat too. A candidate surely
    /// there is read as a trailing argument written in the call is (`classify`); one that may
    /// be missing must be visibly no hash (`not_hash`: a string, `%w[]`, `x.to_s`, a local
    /// holding one) or a flag's value (`"--dir", Eye.dir`), or nothing is known. So
    /// `args << "--quiet" if q` keeps the options absent, while `args << extra if x` or a
    /// hash added on one path makes them `Unknown`.
    fn splat_options(
        &self,
        elems: &[Elem<'t>],
        positional: &[Node<'t>],
        splat: Node<'t>,
    ) -> OptClass<'t> {
        let unknown = OptClass::Unknown(ts::span(splat));
        let mut tails = Vec::new();
        let Some(ends) = self.tails(elems, true, &mut tails) else {
            return unknown;
        };
        // `spawn(env, cmd, *args)` with `args` empty ends with `cmd`; a lone argument before
        // the splat is the command.
        if !ends && positional.len() >= 3 {
            tails.push(Tail {
                node: positional[positional.len() - 2],
                sure: true,
                after_flag: false,
            });
        }
        let maybes_fine = tails
            .iter()
            .filter(|t| !t.sure)
            .all(|t| t.after_flag || self.not_hash(t.node, 0));
        if !maybes_fine {
            return unknown;
        }
        match tails.iter().find(|t| t.sure) {
            // The array surely ends here: read as before, when the call has more than the
            // command.
            Some(t) if tails.len() == 1 => {
                if elems.len() + positional.len() > 2 {
                    self.classify(t.node, 0)
                } else {
                    OptClass::Not
                }
            }
            // On the paths that add more it is no longer last: fine only if it is no hash.
            Some(t) => match self.classify(t.node, 0) {
                OptClass::Not => OptClass::Not,
                _ => unknown,
            },
            None => OptClass::Not,
        }
    }

    /// The candidates for the last of `elems` (see `splat_options`), last first; whether one
    /// of them is surely there (`Some(false)`: the elements may all be missing); `None` when an
    /// element that cannot be read may end them.
    fn tails(&self, elems: &[Elem<'t>], sure: bool, out: &mut Vec<Tail<'t>>) -> Option<bool> {
        for (i, e) in elems.iter().enumerate().rev() {
            match e {
                Elem::Sure(n) => {
                    let after_flag = i > 0
                        && matches!(&elems[i - 1], Elem::Sure(p)
                            if self.value(*p, 0).is_some_and(|v| v.starts_with('-')));
                    out.push(Tail {
                        node: *n,
                        sure,
                        after_flag,
                    });
                    return Some(true);
                }
                // A group may be missing: what comes before it may end the array too.
                Elem::Maybe(group) => {
                    self.tails(group, false, out)?;
                }
                Elem::Strings => {}
                Elem::Unknown => return None,
            }
        }
        Some(false)
    }

    /// Whether an expression is visibly not a hash: a literal of another kind (string,
    /// symbol, number, array, `%w[]`, `nil`), a string built from parts (`"a#{x}"`,
    /// `File.join`, `"a" + x`), a conversion (`x.to_s`, `x.to_path`), a `File` path (`File.join(dir, x)`), a branch whose every value
    /// is one of those, or a name holding one. A method result or a parameter may be a hash.
    fn not_hash(&self, node: Node<'t>, depth: u32) -> bool {
        if depth > MAX_DEPTH || !self.step() {
            return false;
        }
        let d = depth + 1;
        match node.kind() {
            "string" | "bare_string" | "chained_string" | "heredoc_beginning" | "subshell"
            | "string_array" | "symbol_array" | "array" | "simple_symbol" | "delimited_symbol"
            | "bare_symbol" | "integer" | "float" | "rational" | "complex" | "character"
            | "regex" | "nil" | "true" | "false" | "range" => true,
            "parenthesized_statements" => {
                matches!(statements(node).as_slice(), [one] if self.not_hash(*one, d))
            }
            "if" | "unless" | "conditional" | "case" => {
                let mut values = Vec::new();
                branch_values(node, &mut values, 0);
                // A missing branch (the construct itself, or a `when` without a body) is nil.
                values
                    .iter()
                    .all(|v| *v == node || v.kind() == "when" || self.not_hash(*v, d))
            }
            "identifier" => self.local_value(node).is_some_and(|v| self.not_hash(v, d)),
            "constant" | "scope_resolution" => super::const_name(node, self.src)
                .and_then(|n| self.global_value(n))
                .is_some_and(|v| self.not_hash(v, d)),
            // A string, array or number combined with something stays one (a Hash has no
            // `+`, `*` or `%`).
            "binary" => {
                node.child_by_field_name("operator")
                    .is_some_and(|o| matches!(self.text(o), "+" | "*" | "%"))
                    && node
                        .child_by_field_name("left")
                        .is_some_and(|l| self.not_hash(l, d))
            }
            "call" => {
                let recv = node.child_by_field_name("receiver");
                let method = super::method_name(node, self.src);
                let path_op = matches!(
                    method,
                    "join" | "expand_path" | "absolute_path" | "realpath" | "basename" | "dirname"
                );
                (recv.is_some()
                    && args(node).is_empty()
                    && matches!(
                        method,
                        "to_s"
                            | "to_str"
                            | "to_path"
                            | "to_i"
                            | "to_f"
                            | "inspect"
                            | "shelljoin"
                            | "shellescape"
                    ))
                    || (path_op && recv.and_then(|r| top_const(r, self.src)) == Some("File"))
                    || self.value(node, d).is_some()
            }
            _ => false,
        }
    }

    /// `**opts`: the entries of the hash it names, when visible.
    fn splat_opts(&self, splat: Node<'t>, out: &mut Vec<Opt<'t>>, depth: u32) {
        let inner = statements(splat).first().copied();
        match inner.map(|i| self.classify(i, depth + 1)) {
            Some(OptClass::Hash(items)) => out.extend(items),
            _ => out.push(Opt::Opaque(ts::span(splat))),
        }
    }

    /// Take one resolver step; `false` once the call's budget is spent.
    fn step(&self) -> bool {
        let left = self.spawn_steps.get();
        self.spawn_steps.set(left.saturating_sub(1));
        left > 0
    }

    fn classify(&self, node: Node<'t>, depth: u32) -> OptClass<'t> {
        if depth > MAX_DEPTH || !self.step() {
            return OptClass::Unknown(ts::span(node));
        }
        let d = depth + 1;
        match node.kind() {
            "hash" => {
                let mut items = Vec::new();
                for c in statements(node) {
                    match c.kind() {
                        "pair" => items.extend(Opt::pair(c)),
                        "hash_splat_argument" => self.splat_opts(c, &mut items, d),
                        _ => items.push(Opt::Opaque(ts::span(c))),
                    }
                }
                OptClass::Hash(items)
            }
            // The keyword arguments of `args.push(cmd, close_others: true)` (see
            // `apply_array_mutations`).
            "argument_list" => {
                let mut items = Vec::new();
                for c in statements(node) {
                    match c.kind() {
                        "pair" => items.extend(Opt::pair(c)),
                        "hash_splat_argument" => self.splat_opts(c, &mut items, d),
                        _ => {}
                    }
                }
                OptClass::Hash(items)
            }
            "parenthesized_statements" => match statements(node).as_slice() {
                [one] => self.classify(*one, d),
                _ => OptClass::Not,
            },
            // `x ? { close_others: true } : {}`, `opts || {}`: a hash on some path.
            "conditional" | "binary" => {
                let hashy = ["consequence", "alternative", "left", "right"]
                    .iter()
                    .filter_map(|f| node.child_by_field_name(f))
                    .any(|b| !matches!(self.classify(b, d), OptClass::Not));
                if hashy {
                    OptClass::Unknown(ts::span(node))
                } else {
                    OptClass::Not
                }
            }
            "identifier" => {
                let name = self.text(node);
                if matches!(name, "__dir__" | "__FILE__") {
                    return OptClass::Not;
                }
                match self.local_value(node) {
                    Some(v) => match self.classify(v, d) {
                        OptClass::Hash(items) if self.hash_use(node, name).mutated => {
                            match self.mutations(node, name, v) {
                                Some(ms) => self.apply_hash_mutations(items, &ms, d),
                                None => OptClass::Unknown(ts::span(node)),
                            }
                        }
                        OptClass::Hash(items) => OptClass::Hash(items),
                        OptClass::Unknown(_) => OptClass::Unknown(ts::span(node)),
                        OptClass::Not => OptClass::Not,
                    },
                    // `spawn(cmd, spawn_options)`: a method of this file called without
                    // parentheses, when no local of that name is in sight.
                    None if self.methods.contains_key(name)
                        && self
                            .local_bindings(self.scope_of(node).map_or(0, |s| s.id()), name)
                            .is_none() =>
                    {
                        self.helper_options(node, name, d)
                    }
                    None if names_options(name) || self.hash_use(node, name).keyed => {
                        OptClass::Unknown(ts::span(node))
                    }
                    None => OptClass::Not,
                }
            }
            "constant" | "scope_resolution" => {
                match super::const_name(node, self.src).and_then(|n| self.global_value(n)) {
                    Some(v) => match self.classify(v, d) {
                        OptClass::Unknown(_) => OptClass::Unknown(ts::span(node)),
                        c => c,
                    },
                    None if names_options(self.text(node)) => OptClass::Unknown(ts::span(node)),
                    None => OptClass::Not,
                }
            }
            // Instance, class and global variables can be changed from anywhere.
            "instance_variable" | "class_variable" | "global_variable" => {
                let name = self.text(node);
                let hash = self.global_bindings(name).is_some_and(|bs| {
                    bs.iter()
                        .any(|b| matches!(self.classify(b.value, d), OptClass::Hash(_)))
                });
                if hash || names_options(name) {
                    OptClass::Unknown(ts::span(node))
                } else {
                    OptClass::Not
                }
            }
            "call" => {
                let method = super::method_name(node, self.src);
                let recv = node.child_by_field_name("receiver");
                match (recv, method) {
                    // `base.merge(close_others: true)`: later entries win, as in Ruby.
                    (Some(r), "merge" | "merge!" | "update") => {
                        let mut items = match self.classify(r, d) {
                            OptClass::Hash(items) => items,
                            _ => vec![Opt::Opaque(ts::span(r))],
                        };
                        for a in args(node) {
                            match a.kind() {
                                "pair" => items.extend(Opt::pair(a)),
                                "hash_splat_argument" => self.splat_opts(a, &mut items, d),
                                _ => match self.classify(a, d) {
                                    OptClass::Hash(more) => items.extend(more),
                                    _ => items.push(Opt::Opaque(ts::span(a))),
                                },
                            }
                        }
                        OptClass::Hash(items)
                    }
                    (Some(r), "dup" | "clone" | "freeze" | "to_h") if args(node).is_empty() => {
                        match self.classify(r, d) {
                            OptClass::Unknown(_) => OptClass::Unknown(ts::span(node)),
                            c => c,
                        }
                    }
                    // `spawn_options(cfg)`, `self.spawn_options`: a method of this file.
                    (None | Some(_), m)
                        if recv.is_none_or(|r| r.kind() == "self")
                            && self.methods.contains_key(m) =>
                    {
                        self.helper_options(node, m, d)
                    }
                    _ if names_options(method) => OptClass::Unknown(ts::span(node)),
                    _ => OptClass::Not,
                }
            }
            _ => OptClass::Not,
        }
    }

    /// The options a method of this file returns (`def spawn_options(cfg) { close_others:
    /// true, chdir: cfg.dir } end`): every value it can return (its last expression, through
    /// `if`/`case`/`begin` branches, and each `return`) must be a hash that agrees with the
    /// others on `close_others` (`either_path`: absent on one path and `false` on another
    /// agree, the fds leak either way), or the result is `Unknown`. A method defined more than once, or returning
    /// something other than a hash on some path, is `Unknown` too when its name speaks of
    /// options, and not options at all otherwise.
    fn helper_options(&self, call: Node<'t>, name: &str, d: u32) -> OptClass<'t> {
        let unknown = OptClass::Unknown(ts::span(call));
        let fallback = || {
            if names_options(name) {
                OptClass::Unknown(ts::span(call))
            } else {
                OptClass::Not
            }
        };
        let Some([def]) = self.methods.get(name).map(Vec::as_slice) else {
            return fallback();
        };
        let Some(body) = def.child_by_field_name("body") else {
            return fallback();
        };
        let mut exprs = Vec::new();
        for e in value_exprs(body) {
            branch_values(e, &mut exprs, 0);
        }
        ts::walk(body, |n| {
            // The `return` statement, not its keyword (an unnamed node of the same kind).
            if n.kind() == "return" && n.is_named() {
                match n.named_child(0).map(statements).as_deref() {
                    Some([one]) => branch_values(*one, &mut exprs, 0),
                    // `return` alone returns nil; `return a, b` an array.
                    _ => exprs.push(n),
                }
            }
            !matches!(
                n.kind(),
                "method" | "singleton_method" | "class" | "module" | "lambda"
            )
        });
        let is_close = |o: &Opt<'t>| matches!(o, Opt::Entry { key, .. } if self.symbol_name(*key) == Some("close_others"));
        // Every path's entries but `close_others`, then the one entry that says what all
        // paths agree on (none when it is absent on some path).
        let mut all: Vec<Opt<'t>> = Vec::new();
        let mut state: Option<FdOption> = None;
        let mut entry: Option<Opt<'t>> = None;
        let mut not = false;
        for e in exprs {
            match self.classify(e, d) {
                OptClass::Hash(items) => {
                    let close = self.close_option(&items);
                    let merged = match state {
                        None if matches!(close, FdOption::Unknown { .. }) => return unknown,
                        None => close,
                        Some(s) => match either_path(s, close) {
                            Some(m) => m,
                            None => return unknown,
                        },
                    };
                    if entry.is_none() {
                        entry = items.iter().rev().find(|o| is_close(o)).copied();
                    }
                    state = Some(merged);
                    all.extend(items.into_iter().filter(|o| !is_close(o)));
                }
                OptClass::Unknown(_) => return unknown,
                OptClass::Not => not = true,
            }
        }
        match (state, not) {
            (Some(s), false) => {
                if matches!(s, FdOption::Literal { .. }) {
                    all.extend(entry);
                }
                OptClass::Hash(all)
            }
            _ => fallback(),
        }
    }

    /// The changes made to local `name` (read at `read`, last assigned `value`) between that
    /// assignment and the read, in order; `None` when one of them cannot be read.
    fn mutations(&self, read: Node<'t>, name: &str, value: Node<'t>) -> Option<Vec<Mutation<'t>>> {
        let mut uses = Vec::new();
        self.uses_in_scope(read, name, |n| {
            if n.start_byte() >= value.end_byte() && n.end_byte() <= read.start_byte() {
                uses.push(n);
            }
        });
        let mut out = Vec::new();
        for n in uses {
            let Some(p) = n.parent() else { continue };
            let recv_of = |c: Node<'t>| c.child_by_field_name("receiver") == Some(n);
            let (kind, stmt) = match p.kind() {
                "element_reference" if p.child_by_field_name("object") == Some(n) => {
                    let Some(a) = p.parent().filter(|a| {
                        matches!(a.kind(), "assignment" | "operator_assignment")
                            && a.child_by_field_name("left") == Some(p)
                    }) else {
                        continue;
                    };
                    let index = statements(p)
                        .into_iter()
                        .filter(|i| *i != n)
                        .collect::<Vec<_>>();
                    match (a.kind(), index.as_slice(), a.child_by_field_name("right")) {
                        ("assignment", [key], Some(value)) => {
                            (MutationKind::Set { key: *key, value }, a)
                        }
                        _ => (MutationKind::Opaque, a),
                    }
                }
                "binary" if p.child_by_field_name("left") == Some(n) => {
                    if p.child_by_field_name("operator")
                        .is_none_or(|o| self.text(o) != "<<")
                    {
                        continue;
                    }
                    // `args << a << b`
                    let mut top = p;
                    let mut added = vec![p.child_by_field_name("right")?];
                    while let Some(up) = top.parent().filter(|u| {
                        u.kind() == "binary"
                            && u.child_by_field_name("left") == Some(top)
                            && u.child_by_field_name("operator")
                                .is_some_and(|o| self.text(o) == "<<")
                    }) {
                        added.push(up.child_by_field_name("right")?);
                        top = up;
                    }
                    (MutationKind::Append(added), top)
                }
                "call" if recv_of(p) => {
                    let a = args(p);
                    let kind = match super::method_name(p, self.src) {
                        "push" | "append" | "<<" => MutationKind::Append(a),
                        "concat" => MutationKind::Concat(a),
                        "unshift" | "prepend" => MutationKind::Prepend(a),
                        "merge!" | "update" => MutationKind::Merge(a),
                        "store" | "[]=" if a.len() == 2 => MutationKind::Set {
                            key: a[0],
                            value: a[1],
                        },
                        "delete" if a.len() == 1 => MutationKind::Delete(a[0]),
                        m if m.ends_with('!')
                            || matches!(
                                m,
                                "store"
                                    | "[]="
                                    | "delete"
                                    | "delete_if"
                                    | "replace"
                                    | "clear"
                                    | "keep_if"
                                    | "insert"
                                    | "pop"
                                    | "shift"
                                    | "fill"
                                    | "compare_by_identity"
                                    | "default="
                            ) =>
                        {
                            MutationKind::Opaque
                        }
                        _ => continue,
                    };
                    (kind, p)
                }
                "operator_assignment" if p.child_by_field_name("left") == Some(n) => {
                    match p.child_by_field_name("operator").map(|o| self.text(o)) {
                        // Bindings: `local_value` has seen them.
                        Some("||=" | "&&=") => continue,
                        Some("+=") => (
                            MutationKind::Concat(vec![p.child_by_field_name("right")?]),
                            p,
                        ),
                        _ => (MutationKind::Opaque, p),
                    }
                }
                _ => continue,
            };
            out.push(Mutation {
                kind,
                conditional: self.skippable_before(stmt, read),
                span: ts::span(stmt),
            });
        }
        Some(out)
    }

    /// Whether `stmt` may not run on the way to `read`: a `CONDITIONAL_KINDS` construct holds
    /// `stmt` but not `read` (`opts[:k] = v if x`, a branch, a block).
    fn skippable_before(&self, stmt: Node<'t>, read: Node<'t>) -> bool {
        let holds =
            |a: Node, b: Node| a.start_byte() <= b.start_byte() && b.end_byte() <= a.end_byte();
        let mut cur = self.root;
        while cur != stmt {
            if !holds(cur, read) && CONDITIONAL_KINDS.contains(&cur.kind()) {
                return true;
            }
            match cur.child_with_descendant(stmt) {
                Some(next) if next != cur => cur = next,
                _ => break,
            }
        }
        false
    }

    /// A hash's entries after the changes made to it in place. A change that may be skipped
    /// keeps the entries known when it leaves `close_others` alone, sets it to the `true` it
    /// already has, or sets it to `false` where it was absent or false (the child inherits the
    /// fds either way: `either_path`); else the result is `Unknown` at that change.
    fn apply_hash_mutations(
        &self,
        mut items: Vec<Opt<'t>>,
        ms: &[Mutation<'t>],
        d: u32,
    ) -> OptClass<'t> {
        let is_close = |k: Node<'t>| self.symbol_name(k) == Some("close_others");
        for m in ms {
            let mut added: Vec<Opt<'t>> = Vec::new();
            match &m.kind {
                MutationKind::Set { key, value } => added.push(Opt::Entry {
                    key: *key,
                    value: Some(*value),
                    span: m.span,
                }),
                MutationKind::Merge(a) => {
                    for x in a {
                        match x.kind() {
                            "pair" => added.extend(Opt::pair(*x)),
                            "hash_splat_argument" => self.splat_opts(*x, &mut added, d),
                            _ => match self.classify(*x, d) {
                                OptClass::Hash(more) => added.extend(more),
                                _ => added.push(Opt::Opaque(ts::span(*x))),
                            },
                        }
                    }
                }
                MutationKind::Delete(k) if self.symbol_name(*k).is_some() && !is_close(*k) => {}
                _ => return OptClass::Unknown(m.span),
            }
            if m.conditional {
                let touches = added.iter().any(|o| match o {
                    Opt::Entry { key, .. } => is_close(*key),
                    Opt::Opaque(_) => true,
                });
                if touches {
                    let before = self.close_option(&items);
                    let after = self.close_option(&added);
                    match either_path(before, after) {
                        None => return OptClass::Unknown(m.span),
                        // Both paths agree: the hash as it was says so.
                        Some(_) => {
                            added.retain(|o| !matches!(o, Opt::Entry { key, .. } if is_close(*key)))
                        }
                    }
                }
            }
            items.extend(added);
        }
        OptClass::Hash(items)
    }

    /// An array's elements after the changes made to it in place; `None` when one cannot be
    /// read. Elements added on a path that may be skipped are one `Elem::Maybe` group.
    fn apply_array_mutations(
        &self,
        mut elems: Vec<Elem<'t>>,
        ms: &[Mutation<'t>],
        depth: u32,
    ) -> Option<Vec<Elem<'t>>> {
        for m in ms {
            let mut added = Vec::new();
            let (nodes, concat) = match &m.kind {
                MutationKind::Append(a) | MutationKind::Prepend(a) => (a, false),
                MutationKind::Concat(a) => (a, true),
                _ => return None,
            };
            // `args.push(cmd, close_others: true)`: the keywords are one trailing hash.
            let mut keywords_added = false;
            for &x in nodes {
                if matches!(x.kind(), "pair" | "hash_splat_argument") {
                    if !keywords_added {
                        keywords_added = true;
                        added.push(x.parent().map_or(Elem::Unknown, Elem::Sure));
                    }
                    continue;
                }
                let inner = match x.kind() {
                    "splat_argument" => statements(x).first().copied(),
                    _ if concat => Some(x),
                    _ => {
                        added.push(Elem::Sure(x));
                        continue;
                    }
                };
                match inner.and_then(|i| self.array_elems(i, depth + 1)) {
                    Some(more) => added.extend(more),
                    None => added.push(Elem::Unknown),
                }
            }
            if m.conditional {
                added = vec![Elem::Maybe(added)];
            }
            if matches!(m.kind, MutationKind::Prepend(_)) {
                added.extend(elems);
                elems = added;
            } else {
                elems.extend(added);
            }
        }
        Some(elems)
    }

    /// The one value a local variable surely holds where `node` reads it: the last assignment
    /// before it that always runs on the way to `node`, when no conditional assignment follows. Parameters, block
    /// parameters and names assigned on several paths have no single value.
    fn local_value(&self, node: Node<'t>) -> Option<Node<'t>> {
        let name = self.text(node);
        let scope_node = self.scope_of(node);
        if self.block_param_shadows(node, scope_node, name) {
            return None;
        }
        let key = (scope_node.map_or(0, |s| s.id()), name.to_string());
        let bindings = self.local_bindings(key.0, &key.1)?;
        let before: Vec<_> = bindings
            .iter()
            .filter(|b| b.node.end_byte() <= node.start_byte())
            .collect();
        // A binding inside a block or branch that also holds the read (`fork do cmd = [...];
        // exec(*cmd) end`) always runs before it.
        let from = before
            .iter()
            .rposition(|b| !b.conditional || !self.skippable_before(b.node, node))?;
        match &before[from..] {
            [b] if b.node.kind() == "assignment" && b.index.is_none() => Some(b.value),
            _ => None,
        }
    }

    /// The value of a constant assigned exactly once in the file.
    fn global_value(&self, name: &str) -> Option<Node<'t>> {
        match self.global_bindings(name)?.as_slice() {
            [b] if b.node.kind() == "assignment" && b.index.is_none() => Some(b.value),
            _ => None,
        }
    }

    /// Every use of local `name` in the scope of `node` (nested blocks included, nested methods
    /// and classes left out).
    fn uses_in_scope(&self, node: Node<'t>, name: &str, mut f: impl FnMut(Node<'t>)) {
        let Some(scope) = self.scope_of(node) else {
            return;
        };
        ts::walk(scope, |n| {
            if n != scope
                && matches!(
                    n.kind(),
                    "method" | "singleton_method" | "class" | "module" | "singleton_class"
                )
            {
                return false;
            }
            if n.kind() == "identifier" && self.text(n) == name {
                f(n);
            }
            true
        });
    }

    /// How local `name` is used in the scope of `node`: whether it is changed in place as a
    /// hash (`opts[:close_others] = true`, `opts.merge!(...)`), so that its literal is not the
    /// whole story, and whether it is used as a hash at all (`opts[:chdir]`, `opts.merge`),
    /// which says that a parameter or method result of that name is an options hash. Memoised
    /// per scope and name: a file may call `system` with the same variable a thousand times.
    fn hash_use(&self, node: Node<'t>, name: &str) -> HashUse {
        let key = (self.scope_of(node).map_or(0, |s| s.id()), name.to_string());
        if let Some(u) = self.spawn_hash_uses.borrow().get(&key) {
            return *u;
        }
        let mut u = HashUse::default();
        self.uses_in_scope(node, name, |n| {
            let Some(p) = n.parent() else {
                return;
            };
            if p.kind() == "element_reference" && p.child_by_field_name("object") == Some(n) {
                if p.parent().is_some_and(|a| {
                    matches!(a.kind(), "assignment" | "operator_assignment")
                        && a.child_by_field_name("left") == Some(p)
                }) {
                    u.mutated = true;
                }
                if statements(p)
                    .iter()
                    .any(|i| *i != n && matches!(i.kind(), "simple_symbol" | "delimited_symbol"))
                {
                    u.keyed = true;
                }
            }
            // `args << x`, `args += [x]`: the array grows after its literal.
            let left_of = |k: &str| p.kind() == k && p.child_by_field_name("left") == Some(n);
            if (left_of("binary")
                && p.child_by_field_name("operator")
                    .is_some_and(|o| self.text(o) == "<<"))
                || (left_of("operator_assignment")
                    && p.child_by_field_name("operator")
                        .is_some_and(|o| !matches!(self.text(o), "||=" | "&&=")))
            {
                u.mutated = true;
            }
            if p.kind() == "call" && p.child_by_field_name("receiver") == Some(n) {
                let m = super::method_name(p, self.src);
                if m.ends_with('!')
                    || matches!(
                        m,
                        "update"
                            | "store"
                            | "delete"
                            | "replace"
                            | "clear"
                            | "[]="
                            | "keep_if"
                            | "delete_if"
                            | "push"
                            | "append"
                            | "<<"
                            | "concat"
                            | "unshift"
                            | "prepend"
                            | "insert"
                            | "pop"
                            | "shift"
                            | "fill"
                    )
                {
                    u.mutated = true;
                }
                if matches!(
                    m,
                    "merge" | "merge!" | "update" | "store" | "key?" | "fetch"
                ) {
                    u.keyed = true;
                }
            }
        });
        self.spawn_hash_uses.borrow_mut().insert(key, u);
        u
    }

    /// `close_others` as the options finally have it: a later entry overrides an earlier one, and
    /// an opaque entry after (or without) the key may hold it.
    fn close_option(&self, opts: &[Opt<'t>]) -> FdOption {
        let mut state = FdOption::Absent;
        for o in opts {
            match o {
                Opt::Entry { key, value, span } => {
                    if self.symbol_name(*key) != Some("close_others") {
                        continue;
                    }
                    let span = *span;
                    state = match value.map(|v| v.kind()) {
                        Some("true") => FdOption::Literal { value: true, span },
                        Some("false") => FdOption::Literal { value: false, span },
                        _ => FdOption::Unknown { span },
                    };
                }
                Opt::Opaque(span) => state = FdOption::Unknown { span: *span },
            }
        }
        state
    }

    /// The name of a symbol key in any spelling: `close_others:`, `:close_others =>`,
    /// `"close_others":`, `:"close_others" =>`.
    fn symbol_name(&self, key: Node<'t>) -> Option<&'t str> {
        match key.kind() {
            "hash_key_symbol" => Some(self.text(key)),
            "simple_symbol" => self.text(key).strip_prefix(':'),
            // A string key is a symbol only in the `"name": value` form.
            "delimited_symbol" | "string" => {
                let is_sym = key.kind() == "delimited_symbol"
                    || key
                        .next_sibling()
                        .is_some_and(|s| !s.is_named() && self.text(s) == ":");
                let parts = statements(key);
                match parts.as_slice() {
                    [c] if is_sym && c.kind() == "string_content" => Some(self.text(*c)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether an options pair hands the child an fd beyond 0-2: `3 => w`, `w => w`,
    /// `@sock => @sock`, `[3, 4] => w`. `:out => w`, `2 => 1` and `3 => :close` do not.
    fn passes_fd(&self, key: Node<'t>, value: Node<'t>) -> bool {
        if value.kind() == "simple_symbol" && self.text(value) == ":close" {
            return false;
        }
        let high_fd = |n: Node| n.kind() == "integer" && ts::parse_int(self.text(n)) >= Some(3);
        let io_var = |n: Node| matches!(n.kind(), "identifier" | "instance_variable");
        match key.kind() {
            "integer" => high_fd(key),
            "identifier" | "instance_variable" => io_var(value),
            "array" => statements(key).into_iter().any(|e| high_fd(e) || io_var(e)),
            _ => false,
        }
    }

    // ----- command --------------------------------------------------------------------------

    /// The command's words (`None` where a word cannot be read), env hash left out.
    fn command_words(
        &self,
        api: SpawnApi,
        pipeline: bool,
        positional: &[Node<'t>],
    ) -> Vec<Option<Word>> {
        let mut cmd = positional;
        if cmd.len() >= 2 && self.is_env(cmd[0]) {
            cmd = &cmd[1..];
        }
        // `IO.popen(cmd, "r+")` and `Open3.pipeline(cmd1, cmd2)`: the first is the command.
        let first_only = api == SpawnApi::RubyIoPopen || pipeline;
        if first_only {
            cmd = &cmd[..cmd.len().min(1)];
        }
        let mut words = Vec::new();
        match cmd {
            [] => {}
            [one] if one.kind() != "splat_argument" => match self.array_elems(*one, 0) {
                Some(elems) => self.elem_words(&word_nodes(&elems), &mut words),
                None => match self.value(*one, 0) {
                    // One string is a shell command line.
                    Some(text) => words.extend(text.split_whitespace().map(|w| {
                        Some(Word {
                            text: w.to_string(),
                            span: ts::span(*one),
                        })
                    })),
                    None => words.push(None),
                },
            },
            many => {
                let mut elems = Vec::new();
                for &a in many {
                    if a.kind() == "splat_argument" {
                        match statements(a).first().and_then(|i| self.array_elems(*i, 0)) {
                            Some(e) => elems.extend(word_nodes(&e)),
                            None => {
                                elems.push(None);
                                break;
                            }
                        }
                    } else {
                        elems.push(Some(a));
                    }
                }
                self.elem_words(&elems, &mut words);
            }
        }
        words
    }

    /// Words from separate arguments or array elements: each is one word, unsplit. The first
    /// may be `[cmd, argv0]`.
    fn elem_words(&self, elems: &[Option<Node<'t>>], out: &mut Vec<Option<Word>>) {
        for (i, e) in elems.iter().enumerate() {
            let Some(mut e) = *e else {
                out.push(None);
                return;
            };
            if i == 0 && e.kind() == "array" {
                match statements(e).first() {
                    Some(c) => e = *c,
                    None => {
                        out.push(None);
                        return;
                    }
                }
            }
            out.push(self.value(e, 0).map(|text| Word {
                text,
                span: ts::span(e),
            }));
        }
    }

    /// Whether a leading argument is the environment hash.
    fn is_env(&self, node: Node<'t>) -> bool {
        match self.classify(node, 0) {
            OptClass::Hash(_) => true,
            _ => {
                matches!(node.kind(), "identifier" | "constant")
                    && self.text(node).to_ascii_lowercase().contains("env")
            }
        }
    }

    /// The elements of an array literal an expression names (`["python2", x]`, `%w[a b]`,
    /// `cmd` assigned one, then grown in place); `Elem::Unknown` stands for a splat that
    /// cannot be read.
    fn array_elems(&self, node: Node<'t>, depth: u32) -> Option<Vec<Elem<'t>>> {
        if depth > MAX_DEPTH || !self.step() {
            return None;
        }
        if self.strings_only(node) {
            return Some(vec![Elem::Strings]);
        }
        match node.kind() {
            "array" => {
                let mut out = Vec::new();
                for e in statements(node) {
                    if e.kind() == "splat_argument" {
                        match statements(e)
                            .first()
                            .and_then(|i| self.array_elems(*i, depth + 1))
                        {
                            Some(more) => out.extend(more),
                            None => out.push(Elem::Unknown),
                        }
                    } else {
                        out.push(Elem::Sure(e));
                    }
                }
                Some(out)
            }
            "string_array" => Some(statements(node).into_iter().map(Elem::Sure).collect()),
            "parenthesized_statements" => match statements(node).as_slice() {
                [one] => self.array_elems(*one, depth + 1),
                _ => None,
            },
            "identifier" => {
                let value = self.local_value(node)?;
                let elems = self.array_elems(value, depth + 1)?;
                let name = self.text(node);
                if !self.hash_use(node, name).mutated {
                    return Some(elems);
                }
                let ms = self.mutations(node, name, value)?;
                self.apply_array_mutations(elems, &ms, depth)
            }
            "constant" | "scope_resolution" => {
                let name = super::const_name(node, self.src)?;
                self.array_elems(self.global_value(name)?, depth + 1)
            }
            "call"
                if matches!(
                    super::method_name(node, self.src),
                    "freeze" | "dup" | "to_a"
                ) && args(node).is_empty() =>
            {
                self.array_elems(node.child_by_field_name("receiver")?, depth + 1)
            }
            // `[START_CTX[0]].concat(START_CTX[:argv])`, `cmd.to_ary + [uri, name]`: the parts
            // that cannot be read are unknown elements, and what follows them is still known.
            "call" if super::method_name(node, self.src) == "concat" => {
                let recv = node.child_by_field_name("receiver")?;
                let mut out = self
                    .array_elems(recv, depth + 1)
                    .unwrap_or_else(|| vec![Elem::Unknown]);
                for a in args(node) {
                    out.extend(
                        self.array_elems(a, depth + 1)
                            .unwrap_or_else(|| vec![Elem::Unknown]),
                    );
                }
                Some(out)
            }
            "binary"
                if node
                    .child_by_field_name("operator")
                    .is_some_and(|o| self.text(o) == "+") =>
            {
                let left = node.child_by_field_name("left")?;
                let right = node.child_by_field_name("right")?;
                // `a + b` is an array only when one side is seen to be one.
                let r = self.array_elems(right, depth + 1);
                let l = self.array_elems(left, depth + 1);
                if l.is_none() && r.is_none() {
                    return None;
                }
                let mut out = l.unwrap_or_else(|| vec![Elem::Unknown]);
                out.extend(r.unwrap_or_else(|| vec![Elem::Unknown]));
                Some(out)
            }
            _ => None,
        }
    }

    /// Arrays that hold only strings, so that no options hash can hide in them: `ARGV` (and
    /// its slices), `str.split(...)`, `Shellwords.split(...)`, `str.shellsplit`. The array
    /// stands as one `Elem::Strings`.
    fn strings_only(&self, node: Node<'t>) -> bool {
        let argv = |n: Node<'t>| matches!(self.text(n), "ARGV" | "::ARGV");
        match node.kind() {
            "constant" | "scope_resolution" => argv(node),
            "element_reference" => node.child_by_field_name("object").is_some_and(argv),
            "call" => {
                let recv = node.child_by_field_name("receiver");
                match super::method_name(node, self.src) {
                    "split" | "shellsplit" | "shellwords" => {
                        recv.is_some_and(|r| !matches!(self.text(r), "File" | "::File"))
                    }
                    "drop" | "first" | "last" | "take" | "slice" | "dup" => recv.is_some_and(argv),
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// The string an expression evaluates to, with `__dir__` and `__FILE__` as sentinels:
    /// literals, interpolation, `+`, `File.join`, `File.dirname`, `File.expand_path`,
    /// `Pathname`, and names assigned one of those.
    fn value(&self, node: Node<'t>, depth: u32) -> Option<String> {
        if depth > MAX_DEPTH || !self.step() {
            return None;
        }
        let d = depth + 1;
        match node.kind() {
            "string" | "bare_string" => {
                let mut out = String::new();
                let mut cur = node.walk();
                for c in node.named_children(&mut cur) {
                    match c.kind() {
                        "string_content" => {
                            out.extend(self.text(c).chars().filter(|ch| *ch != DIR && *ch != FILE))
                        }
                        "interpolation" => match statements(c).as_slice() {
                            [one] => out.push_str(&self.value(*one, d)?),
                            _ => return None,
                        },
                        _ => return None,
                    }
                }
                Some(out)
            }
            "identifier" => match self.text(node) {
                "__dir__" => Some(DIR.to_string()),
                "__FILE__" => Some(FILE.to_string()),
                _ => self.value(self.local_value(node)?, d),
            },
            "constant" | "scope_resolution" => {
                let name = super::const_name(node, self.src)?;
                self.value(self.global_value(name)?, d)
            }
            "parenthesized_statements" => match statements(node).as_slice() {
                [one] => self.value(*one, d),
                _ => None,
            },
            "binary" => {
                let op = node.child_by_field_name("operator")?;
                if self.text(op) != "+" {
                    return None;
                }
                let l = self.value(node.child_by_field_name("left")?, d)?;
                let r = self.value(node.child_by_field_name("right")?, d)?;
                Some(l + &r)
            }
            "call" => self.call_value(node, d),
            _ => None,
        }
    }

    fn call_value(&self, node: Node<'t>, d: u32) -> Option<String> {
        let method = super::method_name(node, self.src);
        let a = args(node);
        let recv = node.child_by_field_name("receiver");
        let recv_const = recv.and_then(|r| top_const(r, self.src));
        let vals = |nodes: &[Node<'t>]| -> Option<Vec<String>> {
            nodes.iter().map(|n| self.value(*n, d)).collect()
        };
        match (recv_const, method) {
            (Some("File"), "join") if !a.is_empty() => Some(vals(&a)?.join("/")),
            (Some("File"), "dirname") if a.len() == 1 => Some(self.value(a[0], d)? + "/.."),
            (Some("File"), "expand_path" | "absolute_path" | "realpath")
                if a.len() == 1 || a.len() == 2 =>
            {
                let p = self.value(a[0], d)?;
                if p.starts_with('~') {
                    return None;
                }
                if p.starts_with('/') || a.len() == 1 {
                    return Some(p);
                }
                Some(self.value(a[1], d)? + "/" + &p)
            }
            (Some("Pathname"), "new") if a.len() == 1 => self.value(a[0], d),
            (Some("RbConfig" | "Gem"), "ruby") if a.is_empty() => Some("ruby".to_string()),
            (None, "Pathname") if recv.is_none() && a.len() == 1 => self.value(a[0], d),
            _ => {
                let r = recv?;
                match method {
                    "to_s" | "to_path" | "freeze" | "dup" if a.is_empty() => self.value(r, d),
                    // `Pathname(__dir__).join("helpers", "x.py")`, `Pathname(__dir__) / "x.py"`.
                    "join" if !a.is_empty() && self.pathname_like(r) => {
                        let mut parts = vec![self.value(r, d)?];
                        parts.extend(vals(&a)?);
                        Some(parts.join("/"))
                    }
                    _ => None,
                }
            }
        }
    }

    /// Whether an expression is a `Pathname` (so that `.join` joins paths, not array items).
    fn pathname_like(&self, node: Node<'t>) -> bool {
        node.kind() == "call"
            && (super::method_name(node, self.src) == "Pathname"
                || node
                    .child_by_field_name("receiver")
                    .and_then(|r| top_const(r, self.src))
                    == Some("Pathname"))
    }
}

/// The expressions `node` may evaluate to, through `if`/`unless`/ternary/`case` branches,
/// `begin` bodies and parentheses; a branch that is missing (an `if` without `else`) is the
/// construct itself, which is not a hash.
fn branch_values<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>, depth: u32) {
    if depth > MAX_DEPTH {
        out.push(node);
        return;
    }
    let d = depth + 1;
    match node.kind() {
        "if" | "unless" | "elsif" | "conditional" => {
            for f in ["consequence", "alternative"] {
                match node.child_by_field_name(f) {
                    Some(b) => branch_values(b, out, d),
                    None => out.push(node),
                }
            }
        }
        "case" => {
            let mut has_else = false;
            for c in statements(node) {
                match c.kind() {
                    "when" => match c.child_by_field_name("body") {
                        Some(b) => branch_values(b, out, d),
                        None => out.push(c),
                    },
                    "else" => {
                        has_else = true;
                        branch_values(c, out, d);
                    }
                    _ => {}
                }
            }
            if !has_else {
                out.push(node);
            }
        }
        "then" | "else" | "begin" | "parenthesized_statements" | "body_statement" => {
            let values = value_exprs(node);
            if values.is_empty() {
                out.push(node);
            }
            for v in values {
                branch_values(v, out, d);
            }
        }
        _ => out.push(node),
    }
}

/// What `close_others` is when one path gives `a` and another `b`: the same literal; absent
/// when one is absent and the other absent or `false` (the child inherits the fds on both:
/// absent is the weaker claim, judged like a missing key); `None` (unknown) when a path may
/// give `true` and another not, or either is unknown.
fn either_path(a: FdOption, b: FdOption) -> Option<FdOption> {
    use FdOption::{Absent, Literal};
    match (a, b) {
        (Literal { value: x, .. }, Literal { value: y, .. }) if x == y => Some(a),
        (Absent, Absent | Literal { value: false, .. })
        | (Literal { value: false, .. }, Absent) => Some(Absent),
        _ => None,
    }
}

/// The elements as command words: those surely there, up to the first that is not (`None`
/// there, and nothing after it: its position is not known).
fn word_nodes<'t>(elems: &[Elem<'t>]) -> Vec<Option<Node<'t>>> {
    let mut out = Vec::new();
    for e in elems {
        match e {
            Elem::Sure(n) => out.push(Some(*n)),
            _ => {
                out.push(None);
                break;
            }
        }
    }
    out
}

/// The interpreter (`python2`) and the script a command line runs.
fn interpreter_and_script(words: &[Option<Word>]) -> (Option<String>, Option<ScriptRef>) {
    let mut i = 0;
    let known = |i: usize| words.get(i).and_then(|w| w.as_ref());
    let is_assign = |w: &Word| {
        w.text.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    // `FOO=1 /usr/bin/env -i BAR=2 python2 x.py`
    while known(i).is_some_and(is_assign) {
        i += 1;
    }
    if known(i).is_some_and(|w| basename(&w.text) == "env") {
        i += 1;
        while known(i).is_some_and(|w| w.text.starts_with('-') || is_assign(w)) {
            i += 1;
        }
    }
    let Some(first) = known(i) else {
        return (None, None);
    };
    let base = basename(&first.text);
    let interp = !first.text.contains([DIR, FILE])
        && ["python", "pypy", "ruby"]
            .iter()
            .any(|p| base.starts_with(p));
    if !interp {
        return (None, script_ref(first));
    }
    let interpreter = Some(base.to_string());
    for w in &words[i + 1..] {
        let Some(w) = w else { break };
        if matches!(w.text.as_str(), "-m" | "-c" | "-e") {
            break;
        }
        if w.text.starts_with('-') {
            continue;
        }
        if let Some(s) = script_ref(w) {
            return (interpreter, Some(s));
        }
    }
    (interpreter, None)
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A word as a script path, when it looks like one: a script extension (`.py`, `.rb`, `.pl`,
/// `.sh`), or no extension and a directory part (or built from `__dir__`).
fn script_ref(w: &Word) -> Option<ScriptRef> {
    let (path, relative_to_file) = normalize(&w.text)?;
    let base = basename(&path);
    let looks = match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => matches!(ext, "py" | "rb" | "pl" | "sh"),
        _ => !base.is_empty() && (relative_to_file || path.contains('/')),
    };
    looks.then_some(ScriptRef {
        path,
        span: w.span,
        relative_to_file,
    })
}

/// Resolve `.` and `..`, drop `./`, and turn a leading `__dir__`/`__FILE__` into a path relative
/// to the file's directory. `None` when a sentinel is anywhere but at the start, or the path
/// still names something inside the file itself.
fn normalize(text: &str) -> Option<(String, bool)> {
    let sentinels = text.matches([DIR, FILE]).count();
    let (rest, rel, mut comps): (&str, bool, Vec<&str>) = match text.chars().next() {
        Some(DIR) if sentinels == 1 => (&text[DIR.len_utf8()..], true, Vec::new()),
        Some(FILE) if sentinels == 1 => (&text[FILE.len_utf8()..], true, vec!["\u{2}"]),
        _ if sentinels == 0 => (text, false, Vec::new()),
        _ => return None,
    };
    let absolute = !rel && rest.starts_with('/');
    for c in rest.split('/') {
        match c {
            "" | "." => {}
            ".." => match comps.last() {
                Some(l) if *l != ".." => {
                    comps.pop();
                }
                _ if absolute => {}
                _ => comps.push(".."),
            },
            _ => comps.push(c),
        }
    }
    if comps.contains(&"\u{2}") {
        return None;
    }
    let joined = comps.join("/");
    Some((
        if absolute {
            format!("/{joined}")
        } else {
            joined
        },
        rel,
    ))
}

#[cfg(test)]
mod tests;
