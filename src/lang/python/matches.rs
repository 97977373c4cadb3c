//! The facts query's patterns (`queries/python/{close_loops,fd_ranges,spawn_calls}.scm`), found
//! by a direct walk instead of a query. Compiling that query was most of linting one Python
//! file (tree-sitter's analysis of its `call`-rooted patterns costs milliseconds each, every
//! process), and running it over `range(range(...))` nested 100,000 deep kept a partial match
//! per level alive. The `.scm` patterns stay the specification: a test checks that this walk
//! finds exactly their matches on every fixture and on look-alikes.
//!
//! Every pattern names a word its match holds at a known place: a `range`/`xrange` callee
//! (loops, `map`, containers, Python 2 ranges), a spawn function's name, or the `while` keyword.
//! The walk finds each whole-word occurrence of those names (`ts::whole_words`), the leaf there
//! and its nearest ancestors, all in one cursor walk (`ts::leaves_at`, linear in the tree,
//! iterative), and checks the rest of the pattern from there.

use std::sync::OnceLock;

use tree_sitter::Node;

use super::ts::{self, text};

/// `@_range` of the loop and container patterns.
const RANGES: &[&str] = &["range", "xrange"];
/// `@range.py2`'s callee: only `range` builds a list.
const PY2_RANGE: &str = "range";
/// `spawn_calls.scm`'s `@spawn.func`.
pub(super) const SPAWN_FUNCS: &[&str] = &[
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
/// `fd_ranges.scm`'s `@_ctor`.
const CTORS: &[&str] = &["list", "set", "frozenset", "tuple", "sorted"];
/// The `while_statement` pattern's keyword.
const WHILE: &str = "while";
/// How many ancestors of a word's leaf a pattern reaches: `for fd in reversed(range(..))`
/// goes from `range` up through the call, its arguments and `reversed(..)` to the `for`.
const LEVELS: usize = 4;

/// The ids of the fields the patterns name, looked up once: `child_by_field_name` looks the
/// name up among the grammar's field names on every call.
struct Fields {
    function: u16,
    arguments: u16,
    left: u16,
    right: u16,
    condition: u16,
    attribute: u16,
    object: u16,
}

fn fields() -> &'static Fields {
    static F: OnceLock<Fields> = OnceLock::new();
    F.get_or_init(|| {
        let lang = super::language();
        let id = |name: &str| {
            lang.field_id_for_name(name)
                .unwrap_or_else(|| panic!("tree-sitter-python has no field `{name}`"))
                .get()
        };
        Fields {
            function: id("function"),
            arguments: id("arguments"),
            left: id("left"),
            right: id("right"),
            condition: id("condition"),
            attribute: id("attribute"),
            object: id("object"),
        }
    })
}

/// Every word the walk starts from.
pub(super) fn names() -> impl Iterator<Item = &'static str> {
    RANGES.iter().chain(SPAWN_FUNCS).chain(&[WHILE]).copied()
}

/// One match of a facts-query pattern, with the captures the extractor reads (the query's
/// capture names in the comments).
#[derive(Debug, Clone, Copy)]
pub(super) enum Match<'t> {
    /// `for fd in range(..)` and `for fd in reversed(range(..))`: `@loop.for`, `@loop.var`,
    /// `@loop.range`.
    For {
        node: Node<'t>,
        var: Node<'t>,
        range: Node<'t>,
    },
    /// `[.. for fd in range(..)]`: `@loop.comprehension` (the clause), `@loop.var`,
    /// `@loop.range`, and the comprehension around the clause, where the call on `fd` is.
    Comprehension {
        #[cfg_attr(
            not(test),
            expect(dead_code, reason = "a capture the query test compares")
        )]
        clause: Node<'t>,
        comp: Option<Node<'t>>,
        var: Node<'t>,
        range: Node<'t>,
    },
    /// `map(os.close, range(..))`: `@loop.map`, `@loop.map_fn`, `@loop.range`.
    Map {
        node: Node<'t>,
        func: Node<'t>,
        range: Node<'t>,
    },
    /// `while fd < maxfd:`: `@loop.while`, `@loop.var`, `@loop.bound`.
    While {
        node: Node<'t>,
        var: Node<'t>,
        bound: Node<'t>,
    },
    /// `list(range(..))`: `@range.container`, `@range.inner`, `@range.args`.
    Container {
        node: Node<'t>,
        #[cfg_attr(
            not(test),
            expect(dead_code, reason = "a capture the query test compares")
        )]
        inner: Node<'t>,
        args: Node<'t>,
    },
    /// `range(..)`: `@range.py2`, `@range.args`, and the call's parent and grandparent (a
    /// container's argument is reported as the container).
    Range {
        node: Node<'t>,
        args: Node<'t>,
        parent: Option<Node<'t>>,
        grandparent: Option<Node<'t>>,
    },
    /// `subprocess.Popen(..)`, `Popen(..)`: `@spawn.call`, `@spawn.module`, `@spawn.func`,
    /// `@spawn.args`.
    Spawn {
        call: Node<'t>,
        module: Option<Node<'t>>,
        func: Node<'t>,
        args: Node<'t>,
    },
}

/// Every match of the facts query's patterns in the tree, in document order of their words.
pub(super) fn find<'t>(root: Node<'t>, src: &str) -> Vec<Match<'t>> {
    static NAMES: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let words = ts::whole_words(src.as_bytes(), &NAMES, names());
    let mut out = Vec::new();
    for (leaf, up) in ts::leaves_at(root, &words, LEVELS) {
        let at = |i: usize| up.get(i).copied();
        let name = text(leaf, src);
        if !leaf.is_named() {
            if leaf.kind() == WHILE
                && let Some(node) = at(0).filter(|n| n.kind() == "while_statement")
                && let Some(cond) = node
                    .child_by_field_id(fields().condition)
                    .filter(|c| c.kind() == "comparison_operator")
                // `. (identifier) @loop.var . (_) @loop.bound`: the first named child and the
                // one right after it (an extra such as a comment counts, as in the query).
                && let Some(var) = cond.named_child(0).filter(|v| v.kind() == "identifier")
                && let Some(bound) = cond.named_child(1)
            {
                out.push(Match::While { node, var, bound });
            }
            continue;
        }
        if leaf.kind() != "identifier" {
            continue;
        }
        if RANGES.contains(&name) {
            if let Some(call) = at(0)
                && let Some(args) = callee_args(call, leaf)
            {
                range_call(call, args, name, &up[1..], src, &mut out);
            }
        } else if SPAWN_FUNCS.contains(&name) {
            spawn_call(leaf, at(0), at(1), &mut out);
        }
    }
    out
}

/// The `argument_list` of `call` when it is a call whose callee is `callee`
/// (`(call function: <callee> arguments: (argument_list))`).
fn callee_args<'t>(call: Node<'t>, callee: Node<'t>) -> Option<Node<'t>> {
    (call.kind() == "call" && call.child_by_field_id(fields().function) == Some(callee))
        .then(|| call.child_by_field_id(fields().arguments))
        .flatten()
        .filter(|a| a.kind() == "argument_list")
}

/// The name of an identifier callee of `call` (`function: (identifier)`).
fn callee_name<'a>(call: Node, src: &'a str) -> Option<&'a str> {
    call.child_by_field_id(fields().function)
        .filter(|f| f.kind() == "identifier")
        .map(|f| text(f, src))
}

/// The identifier a `for` statement or clause binds (`left: (identifier)`).
fn loop_var(node: Node) -> Option<Node> {
    node.child_by_field_id(fields().left)
        .filter(|l| l.kind() == "identifier")
}

/// Whether `child` is the only named child of `node` (`(node . (child) .)`).
fn only_child(node: Node, child: Node) -> bool {
    node.named_child_count() == 1 && node.named_child(0) == Some(child)
}

/// The patterns around a `range`/`xrange` call (`call`, its `args`; `outer` holds the call's
/// ancestors, parent first).
fn range_call<'t>(
    call: Node<'t>,
    args: Node<'t>,
    name: &str,
    outer: &[Node<'t>],
    src: &str,
    out: &mut Vec<Match<'t>>,
) {
    let at = |i: usize| outer.get(i).copied();
    if name == PY2_RANGE {
        out.push(Match::Range {
            node: call,
            args,
            parent: at(0),
            grandparent: at(1),
        });
    }
    let Some(parent) = at(0) else {
        return;
    };
    match parent.kind() {
        "for_statement" => {
            if parent.child_by_field_id(fields().right) == Some(call)
                && let Some(var) = loop_var(parent)
            {
                out.push(Match::For {
                    node: parent,
                    var,
                    range: args,
                });
            }
        }
        "for_in_clause" => {
            // A clause may iterate several expressions (`for fd in range(3), range(4)`, Python
            // 2): the query's `right:` is the first.
            if parent.child_by_field_id(fields().right) == Some(call)
                && let Some(var) = loop_var(parent)
            {
                out.push(Match::Comprehension {
                    clause: parent,
                    comp: at(1),
                    var,
                    range: args,
                });
            }
        }
        "argument_list" => {
            let Some(outer_call) = at(1).filter(|o| {
                o.kind() == "call" && o.child_by_field_id(fields().arguments) == Some(parent)
            }) else {
                return;
            };
            match callee_name(outer_call, src) {
                Some("reversed") if only_child(parent, call) => {
                    if let Some(stmt) = at(2).filter(|s| s.kind() == "for_statement")
                        && stmt.child_by_field_id(fields().right) == Some(outer_call)
                        && let Some(var) = loop_var(stmt)
                    {
                        out.push(Match::For {
                            node: stmt,
                            var,
                            range: args,
                        });
                    }
                }
                // `. (_) @loop.map_fn . (call) .`
                Some("map")
                    if parent.named_child_count() == 2 && parent.named_child(1) == Some(call) =>
                {
                    if let Some(func) = parent.named_child(0) {
                        out.push(Match::Map {
                            node: outer_call,
                            func,
                            range: args,
                        });
                    }
                }
                Some(ctor) if CTORS.contains(&ctor) && only_child(parent, call) => {
                    out.push(Match::Container {
                        node: outer_call,
                        inner: call,
                        args,
                    });
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// The two spawn patterns at a spawn function's name `func`, with its parent and grandparent.
fn spawn_call<'t>(
    func: Node<'t>,
    parent: Option<Node<'t>>,
    grandparent: Option<Node<'t>>,
    out: &mut Vec<Match<'t>>,
) {
    let Some(parent) = parent else {
        return;
    };
    if parent.kind() == "attribute" {
        // `(call function: (attribute object: (identifier) attribute: (identifier)))`
        if parent.child_by_field_id(fields().attribute) == Some(func)
            && let Some(module) = parent
                .child_by_field_id(fields().object)
                .filter(|o| o.kind() == "identifier")
            && let Some(call) = grandparent
            && let Some(args) = callee_args(call, parent)
        {
            out.push(Match::Spawn {
                call,
                module: Some(module),
                func,
                args,
            });
        }
    } else if let Some(args) = callee_args(parent, func) {
        out.push(Match::Spawn {
            call: parent,
            module: None,
            func,
            args,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tree_sitter::Parser;

    use super::super::{QUERY_FILES, language};
    use super::*;
    use ts::testing::Captures;

    fn walked(root: Node, src: &str) -> BTreeSet<Captures> {
        let m = |caps: &[(&str, Option<Node>)]| -> Captures {
            let mut v: Captures = caps
                .iter()
                .filter_map(|(n, node)| node.map(|x| (n.to_string(), x.id())))
                .collect();
            v.sort();
            v
        };
        find(root, src)
            .into_iter()
            .map(|f| match f {
                Match::For { node, var, range } => m(&[
                    ("loop.for", Some(node)),
                    ("loop.var", Some(var)),
                    ("loop.range", Some(range)),
                ]),
                Match::Comprehension {
                    clause,
                    comp,
                    var,
                    range,
                } => {
                    assert_eq!(comp, clause.parent(), "the comprehension is the parent");
                    m(&[
                        ("loop.comprehension", Some(clause)),
                        ("loop.var", Some(var)),
                        ("loop.range", Some(range)),
                    ])
                }
                Match::Map { node, func, range } => m(&[
                    ("loop.map", Some(node)),
                    ("loop.map_fn", Some(func)),
                    ("loop.range", Some(range)),
                ]),
                Match::While { node, var, bound } => m(&[
                    ("loop.while", Some(node)),
                    ("loop.var", Some(var)),
                    ("loop.bound", Some(bound)),
                ]),
                Match::Container { node, inner, args } => m(&[
                    ("range.container", Some(node)),
                    ("range.inner", Some(inner)),
                    ("range.args", Some(args)),
                ]),
                Match::Range {
                    node,
                    args,
                    parent,
                    grandparent,
                } => {
                    assert_eq!(parent, node.parent());
                    assert_eq!(grandparent, node.parent().and_then(|p| p.parent()));
                    m(&[("range.py2", Some(node)), ("range.args", Some(args))])
                }
                Match::Spawn {
                    call,
                    module,
                    func,
                    args,
                } => m(&[
                    ("spawn.call", Some(call)),
                    ("spawn.module", module),
                    ("spawn.func", Some(func)),
                    ("spawn.args", Some(args)),
                ]),
            })
            .collect()
    }

    #[test]
    fn the_walk_finds_what_the_facts_query_finds() {
        let spec = ts::compile(&language(), &QUERY_FILES[..3]);
        let mut parser = Parser::new();
        parser.set_language(&language()).unwrap();
        let (mut checked, mut roots) = (0, BTreeSet::new());
        let mut sources = ts::testing::fixture_sources("py");
        // Shapes the fixtures may lack: comments and line continuations between the parts,
        // clauses over several expressions, callees of other kinds, look-alikes in strings,
        // comments and broken code.
        sources.push((
            "inline".into(),
            "for fd in range(3, n): os.close(fd)\n\
             for fd in xrange(n): pass\n\
             for fd in range(3, n) if x else y: pass\n\
             for (fd) in range(n): pass\n\
             for a, b in range(n): pass\n\
             for fd in reversed(range(3, n)): pass\n\
             for fd in reversed(range(3, n), 1): pass\n\
             for fd in reversed(  # c\n    range(3, n)): pass\n\
             for fd in reversed(range(3, n)  # c\n    ): pass\n\
             for fd in reversed(xrange(n)): pass\n\
             for fd in sorted(range(n)): pass\n\
             x = [os.close(fd) for fd in range(3, n)]\n\
             x = [fd for fd in range(3), range(4)]\n\
             x = [fd for fd in y, range(4)]\n\
             x = {fd for fd in range(n) for y in xrange(fd)}\n\
             x = (os.close(fd) for fd in range(3, n) if fd)\n\
             x = [f for f, g in range(3)]\n\
             map(os.close, range(3, n))\n\
             map(os.close, range(3, n), 1)\n\
             map(range(3, n))\n\
             map(os.close,  # c\n    range(3, n))\n\
             map(lambda fd: os.close(fd), xrange(n))\n\
             m.map(os.close, range(3, n))\n\
             while fd < n:\n    fd += 1\n\
             while fd \\\n    < n: pass\n\
             while (fd < n): pass\n\
             while fd.x < n: pass\n\
             while 3 < fd < n: pass\n\
             while fd: pass\n\
             list(range(3, n))\nset(xrange(n))\nfrozenset(range(n))\ntuple(range(n))\n\
             sorted(range(n))\nlist(range(3, n), 1)\nlist(  # c\n    range(3, n))\n\
             list(x for x in range(3))\nx.list(range(n))\nlist(range(n) # c\n)\n\
             range(3, n)\nrange(*a)\nrange(x for x in y)\nxrange(3)\nx.range(3)\nrange\n\
             range(range(range(3)))\nlist(list(range(3)))\n\
             subprocess.Popen(['ls'], close_fds=False)\nos.popen('ls')\nPopen(['ls'])\n\
             a.b.Popen(['ls'])\nsubprocess.call(x for x in y)\nf().Popen(x)\nPopen3\n\
             os.closerange(3, n)\ncommands.getoutput('ls')\ncheck_output(\n    'ls')\n\
             s = 'range(3) Popen(x) while x < y'\n# range(3)\nprint(\"\"\"call(x)\"\"\")\n\
             7range(3)\n_range(3)\nrange_(3)\nPopen2(x)\npopen2.popen3(x)\n\
             def f(\n    x = range(3\nwhile while fd < n\nfor fd in range(\n"
                .into(),
        ));
        for (path, src) in sources {
            let tree = parser.parse(&src, None).unwrap();
            let (want, _) = ts::testing::query_matches(&spec, tree.root_node(), &src, |_| true);
            for v in &want {
                roots.insert(
                    v.iter()
                        .map(|(n, _)| n.clone())
                        .find(|n| {
                            [
                                "loop.for",
                                "loop.comprehension",
                                "loop.map",
                                "loop.while",
                                "range.container",
                                "range.py2",
                                "spawn.call",
                            ]
                            .contains(&n.as_str())
                        })
                        .unwrap(),
                );
            }
            checked += want.len();
            assert_eq!(walked(tree.root_node(), &src), want, "{path}");
        }
        assert!(checked > 200, "only {checked} matches in the fixtures");
        assert_eq!(roots.len(), 7, "every kind of match is checked: {roots:?}");
    }

    #[test]
    fn the_names_are_those_of_the_patterns() {
        // The names the patterns' predicates accept, but for the callees that sit in the same
        // match around a `range` call; and `while`.
        let companions = [
            "list",
            "set",
            "frozenset",
            "tuple",
            "sorted",
            "reversed",
            "map",
        ];
        let mut want: Vec<&str> = ts::testing::predicate_names(&QUERY_FILES[..3])
            .into_iter()
            .filter(|n| !companions.contains(n))
            .chain([WHILE])
            .collect();
        want.sort();
        want.dedup();
        let mut got: Vec<&str> = names().collect();
        got.sort();
        assert_eq!(got, want);
        let mut ctors = CTORS.to_vec();
        ctors.extend(["reversed", "map"]);
        ctors.sort();
        let mut comp = companions.to_vec();
        comp.sort();
        assert_eq!(ctors, comp);
    }
}
