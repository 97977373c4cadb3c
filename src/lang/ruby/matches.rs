//! The matches of the facts query (`close_loops.scm`, `fd_ranges.scm`, `spawn_calls.scm`),
//! found by a direct walk instead of the query: tree-sitter's analysis of a pattern rooted at
//! `call` costs ~30 ms per pattern and process against the Ruby grammar, a `for`/`while`/`array`
//! pattern ~3 ms (`examples/query_cost.rs`), which was most of linting one Ruby file. The `.scm`
//! patterns stay the specification; a test checks that this walk finds exactly their matches on
//! every fixture and on look-alikes, so no run compiles that query.
//!
//! Every pattern has a token its match holds at a known place: the `call` patterns name their
//! method (`#any-of?`/`#eq?`), a `for` or `while` loop starts with its keyword, and `[*range]`
//! has its `*` right under the splat. The walk looks at each such leaf and its nearest ancestors,
//! all found in one cursor walk (`ts::leaves_at`).

use std::sync::OnceLock;

use tree_sitter::Node;

use super::loops::{LoopMatch, while_condition};
// Open3's methods: on the constant, and bare where `include Open3` mixes them in
// (`spawn::includes_open3` checks).
use super::spawn::{OPEN3_METHODS, SpawnMatch};
use super::ts;

/// The root node type of the `call` patterns.
const CALL: &str = "call";

/// `close_loops.scm`: block loops.
const LOOP_METHODS: &[&str] = &["upto", "downto", "each", "reverse_each", "times", "step"];
/// `spawn_calls.scm`: calls on a constant, with Open3's methods (`spawn::OPEN3_METHODS`).
const SPAWN_METHODS: &[&str] = &["popen", "spawn", "system", "exec"];
/// `spawn_calls.scm`: Kernel methods called without a receiver.
const KERNEL_METHODS: &[&str] = &["spawn", "system", "exec"];

/// Every method name a `call` pattern accepts (`to_a` and `Array` from `fd_ranges.scm`).
pub(super) fn names() -> impl Iterator<Item = &'static str> {
    LOOP_METHODS
        .iter()
        .chain(OPEN3_METHODS)
        .chain(SPAWN_METHODS)
        .chain(&["to_a", "Array"])
        .copied()
}

/// Every match of the facts query: loops, fd ranges and spawn calls, each list in document
/// order of the token that found it.
pub(super) fn find<'t>(
    root: Node<'t>,
    src: &str,
    loops: &mut Vec<LoopMatch<'t>>,
    ranges: &mut Vec<(Node<'t>, Node<'t>)>,
    spawns: &mut Vec<SpawnMatch<'t>>,
) {
    static NAMES: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let b = src.as_bytes();
    let mut words = ts::whole_words(b, &NAMES, names().chain(["for", "while"]));
    // `[*3..max]`: a `*` leaf is the splat's own token (`**` and `*=` are other tokens).
    words.extend(memchr::memchr_iter(b'*', b).map(|at| (at, at + 1)));
    words.sort_unstable();
    words.dedup();
    for (leaf, parents) in ts::leaves_at(root, &words, 2) {
        let Some(&parent) = parents.first() else {
            continue;
        };
        match (leaf.is_named(), leaf.kind()) {
            (false, "for") if parent.kind() == "for" => for_loop(parent, loops),
            (false, "while") if parent.kind() == "while" => while_loop(parent, loops),
            (false, "*") => {
                if parent.kind() == "splat_argument"
                    && let Some(&array) = parents.get(1)
                    && array.kind() == "array"
                    && array.named_child_count() == 1
                    && array.named_child(0) == Some(parent)
                    && let Some(range) = named_child_of_kind(parent, "range")
                {
                    ranges.push((array, range));
                }
            }
            (true, _) => call(leaf, parent, src, loops, ranges, spawns),
            _ => {}
        }
    }
}

/// `(for pattern: (identifier) value: (in) body: (do))`.
fn for_loop<'t>(node: Node<'t>, loops: &mut Vec<LoopMatch<'t>>) {
    let field =
        |name: &str, kind: &str| node.child_by_field_name(name).filter(|n| n.kind() == kind);
    if let (Some(var), Some(inn), Some(body)) = (
        field("pattern", "identifier"),
        field("value", "in"),
        field("body", "do"),
    ) {
        loops.push(LoopMatch::For {
            node,
            var,
            inn,
            body,
        });
    }
}

/// `(while condition: (binary) body: (do))`, with `while_condition` on the condition.
fn while_loop<'t>(node: Node<'t>, loops: &mut Vec<LoopMatch<'t>>) {
    if let Some(cond) = node.child_by_field_name("condition")
        && cond.kind() == "binary"
        && let Some((var, hi)) = while_condition(cond)
        && let Some(body) = node.child_by_field_name("body")
        && body.kind() == "do"
    {
        loops.push(LoopMatch::While {
            node,
            var,
            hi,
            body,
        });
    }
}

/// A named child of `node` of `kind` (`(splat_argument (range))`).
fn named_child_of_kind<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).find(|n| n.kind() == kind)
}

/// The `call` patterns: `method` is a leaf at one of their method names, `call` its parent.
fn call<'t>(
    method: Node<'t>,
    call: Node<'t>,
    src: &str,
    loops: &mut Vec<LoopMatch<'t>>,
    ranges: &mut Vec<(Node<'t>, Node<'t>)>,
    spawns: &mut Vec<SpawnMatch<'t>>,
) {
    let name = ts::text(method, src);
    if call.kind() != CALL || call.child_by_field_name("method") != Some(method) {
        return;
    }
    let recv = call.child_by_field_name("receiver");
    match (method.kind(), name) {
        ("identifier", n) if LOOP_METHODS.contains(&n) => {
            if let Some(recv) = recv.filter(Node::is_named)
                && let Some(block) = call.child_by_field_name("block")
                && matches!(block.kind(), "block" | "do_block")
                && let Some(params) = block.child_by_field_name("parameters")
                && params.kind() == "block_parameters"
                && let Some(var) = params.named_child(0)
                && var.kind() == "identifier"
            {
                loops.push(LoopMatch::Block {
                    call,
                    recv,
                    method,
                    block,
                    var,
                });
            }
        }
        ("identifier", "to_a") => {
            if let Some(range) = recv
                .filter(|r| r.kind() == "parenthesized_statements")
                .and_then(only_range)
            {
                ranges.push((call, range));
            }
        }
        ("constant", "Array") => {
            if let Some(range) = call
                .child_by_field_name("arguments")
                .filter(|a| a.kind() == "argument_list")
                .and_then(only_range)
            {
                ranges.push((call, range));
            }
        }
        ("identifier", n) => match recv {
            Some(r)
                if matches!(r.kind(), "constant" | "scope_resolution")
                    && (OPEN3_METHODS.contains(&n) || SPAWN_METHODS.contains(&n)) =>
            {
                spawns.push(SpawnMatch {
                    call,
                    recv: Some(r),
                    method,
                })
            }
            None if KERNEL_METHODS.contains(&n) || OPEN3_METHODS.contains(&n) => {
                spawns.push(SpawnMatch {
                    call,
                    recv: None,
                    method,
                })
            }
            _ => {}
        },
        _ => {}
    }
}

/// The `range` that is the only named child of `node` (`. (range) .`).
fn only_range(node: Node) -> Option<Node> {
    (node.named_child_count() == 1)
        .then(|| node.named_child(0))
        .flatten()
        .filter(|n| n.kind() == "range")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tree_sitter::Parser;

    use super::super::{QUERY_FILES, language};
    use super::*;

    use ts::testing::Captures as Match;

    fn walked(root: Node, src: &str) -> BTreeSet<Match> {
        let (mut loops, mut ranges, mut spawns) = (Vec::new(), Vec::new(), Vec::new());
        find(root, src, &mut loops, &mut ranges, &mut spawns);
        let m = |caps: &[(&str, Option<Node>)]| -> Match {
            let mut v: Match = caps
                .iter()
                .filter_map(|(n, node)| node.map(|x| (n.to_string(), x.id())))
                .collect();
            v.sort();
            v
        };
        let mut out = BTreeSet::new();
        for l in &loops {
            out.insert(match *l {
                LoopMatch::Block {
                    call,
                    recv,
                    method,
                    block,
                    var,
                } => m(&[
                    ("loop.call", Some(call)),
                    ("loop.recv", Some(recv)),
                    ("loop.method", Some(method)),
                    ("loop.block", Some(block)),
                    ("loop.var", Some(var)),
                ]),
                LoopMatch::For {
                    node,
                    var,
                    inn,
                    body,
                } => m(&[
                    ("loop.for", Some(node)),
                    ("loop.var", Some(var)),
                    ("loop.in", Some(inn)),
                    ("loop.body", Some(body)),
                ]),
                // The query leaves the condition's shape to `while_condition`.
                LoopMatch::While {
                    node, var, body, ..
                } => m(&[
                    ("loop.while", Some(node)),
                    ("loop.cond", var.parent()),
                    ("loop.body", Some(body)),
                ]),
            });
        }
        for (expr, range) in &ranges {
            out.insert(m(&[
                ("range.expr", Some(*expr)),
                ("range.range", Some(*range)),
            ]));
        }
        for s in &spawns {
            out.insert(m(&[
                ("spawn.call", Some(s.call)),
                ("spawn.recv", s.recv),
                ("spawn.method", Some(s.method)),
            ]));
        }
        out
    }

    #[test]
    fn the_walk_finds_what_the_facts_query_finds() {
        let spec = ts::compile(&language(), QUERY_FILES);
        let mut parser = Parser::new();
        parser.set_language(&language()).unwrap();
        let (mut checked, mut kinds) = (0, BTreeSet::new());
        let mut sources = ts::testing::fixture_sources("rb");
        // Shapes the fixtures may lack: a comment as the first parameter, receivers of each
        // kind, every loop and array spelling next to its look-alikes.
        sources.push((
            "inline".into(),
            "(3..m).to_a\nArray(3...m)\nArray(1, 3..m)\n(1; 3..m).to_a\nx.upto(m) do |fd, y|\nend\n\
             3.times { |(a, b)| }\nfoo.each { || }\nOpen3::popen3('a')\nA::B.spawn('x')\nexec 'x'\n\
             obj.system('x')\nsystem!('x')\nIO.popen('ls')\nProcess.spawn 'x'\n# system 'x'\n\
             \"spawn\"\n:system\nstep = 1\nx.each(&b)\nx.reverse_each do |fd|\nend\n\
             for fd in 3..m do\n  IO.for_fd(fd).close\nend\nfor a, b in pairs\nend\nfor fd in (3..m)\nend\n\
             while fd < m\n  fd += 1\nend\nwhile fd <= m do fd += 1 end\nwhile fd > m\nend\n\
             while ok\nend\nbegin\n  fd += 1\nend while fd < m\nx += 1 while x < m\n\
             until fd >= m\nend\n[*3..m]\n[*3...m]\n[*(3..m)]\n[1, *3..m]\n[*3..m, 1]\n[*a]\n\
             f(*3..m)\n[**h]\n[a * b]\nx = *3..m\n[ *3..m ]\nx.for(1)\n:for\n:while\n"
                .into(),
        ));
        for (path, src) in sources {
            let tree = parser.parse(&src, None).unwrap();
            let (want, roots) = ts::testing::query_matches(&spec, tree.root_node(), &src, |m| {
                let cap = |name: &str| {
                    let i = spec.capture_index_for_name(name)?;
                    m.captures().iter().find(|c| c.index == i).map(|c| c.node)
                };
                // The query leaves the `while` condition's shape to `while_condition`.
                cap("loop.while").is_none() || cap("loop.cond").and_then(while_condition).is_some()
            });
            kinds.extend(roots);
            checked += want.len();
            assert_eq!(walked(tree.root_node(), &src), want, "{path}");
        }
        assert!(checked > 60, "only {checked} matches in the fixtures");
        assert_eq!(
            kinds,
            BTreeSet::from(["array", "call", "for", "while"].map(String::from)),
            "every pattern's root kind is checked"
        );
    }

    #[test]
    fn the_names_are_those_of_the_call_patterns() {
        let mut want = ts::testing::predicate_names(QUERY_FILES);
        want.sort();
        want.dedup();
        let mut got: Vec<&str> = names().collect();
        got.sort();
        got.dedup();
        assert_eq!(got, want);
    }
}
