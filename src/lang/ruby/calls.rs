//! The `call` patterns of the facts query (`close_loops.scm`, `fd_ranges.scm`,
//! `spawn_calls.scm`), found by a direct walk instead of the query: tree-sitter's analysis of
//! a pattern rooted at `call` costs ~30 ms per pattern and process against the Ruby grammar
//! (`examples/query_cost.rs`), which was most of linting one Ruby file. The `.scm` patterns stay
//! the specification; a test checks that this walk finds exactly their matches on every fixture.
//!
//! Every one of those patterns names its method (`#any-of?`/`#eq?`), so each match has that
//! name as a whole word in the text at its `method` child: the walk looks at each such
//! occurrence, the node there, and its parent, all found in one cursor walk (`ts::leaves_at`).

use std::sync::OnceLock;

use tree_sitter::Node;

use super::loops::LoopMatch;
use super::spawn::SpawnMatch;
use super::ts;

/// The node type whose patterns `compile_except` leaves out of the facts query.
pub(super) const ROOT: &str = "call";

/// `close_loops.scm`: block loops.
const LOOP_METHODS: &[&str] = &["upto", "downto", "each", "reverse_each", "times", "step"];
/// `spawn_calls.scm`: calls on a constant.
const SPAWN_METHODS: &[&str] = &[
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
    "popen",
    "spawn",
    "system",
    "exec",
];
/// `spawn_calls.scm`: Kernel methods called without a receiver.
const KERNEL_METHODS: &[&str] = &["spawn", "system", "exec"];

/// Every method name a `call` pattern accepts (`to_a` and `Array` from `fd_ranges.scm`).
pub(super) fn names() -> impl Iterator<Item = &'static str> {
    LOOP_METHODS
        .iter()
        .chain(SPAWN_METHODS)
        .chain(&["to_a", "Array"])
        .copied()
}

/// The matches of the `call` patterns, in document order of their method names.
pub(super) fn find<'t>(
    root: Node<'t>,
    src: &str,
    loops: &mut Vec<LoopMatch<'t>>,
    ranges: &mut Vec<(Node<'t>, Node<'t>)>,
    spawns: &mut Vec<SpawnMatch<'t>>,
) {
    static NAMES: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let words = ts::whole_words(src.as_bytes(), &NAMES, names());
    for (method, parents) in ts::leaves_at(root, &words, 1) {
        let (start, end) = (method.start_byte(), method.end_byte());
        let name = ts::text(method, src);
        let Some(&call) = parents.first() else {
            continue;
        };
        if call.kind() != ROOT
            || method.start_byte() != start
            || method.end_byte() != end
            || call.child_by_field_name("method") != Some(method)
        {
            continue;
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
                        && SPAWN_METHODS.contains(&n) =>
                {
                    spawns.push(SpawnMatch {
                        call,
                        recv: Some(r),
                        method,
                    })
                }
                None if KERNEL_METHODS.contains(&n) => spawns.push(SpawnMatch {
                    call,
                    recv: None,
                    method,
                }),
                _ => {}
            },
            _ => {}
        }
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

    use streaming_iterator::StreamingIterator;
    use tree_sitter::{Parser, QueryCursor};

    use super::super::{QUERY_FILES, language};
    use super::*;

    /// (capture name, node id) of every capture of a match, `_` captures left out.
    type Match = Vec<(String, usize)>;

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
            let LoopMatch::Block {
                call,
                recv,
                method,
                block,
                var,
            } = l
            else {
                panic!("the walk finds block loops only");
            };
            out.insert(m(&[
                ("loop.call", Some(*call)),
                ("loop.recv", Some(*recv)),
                ("loop.method", Some(*method)),
                ("loop.block", Some(*block)),
                ("loop.var", Some(*var)),
            ]));
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
    fn the_walk_finds_what_the_call_patterns_find() {
        let spec = ts::compile(&language(), QUERY_FILES);
        let names = spec.capture_names();
        let mut parser = Parser::new();
        parser.set_language(&language()).unwrap();
        let (mut checked, mut kinds) = (0, BTreeSet::new());
        let mut sources = ts::testing::fixture_sources("rb");
        // Shapes the fixtures may lack: a comment as the first parameter, receivers of each kind.
        sources.push((
            "inline".into(),
            "(3..m).to_a\nArray(3...m)\nArray(1, 3..m)\n(1; 3..m).to_a\nx.upto(m) do |fd, y|\nend\n\
             3.times { |(a, b)| }\nfoo.each { || }\nOpen3::popen3('a')\nA::B.spawn('x')\nexec 'x'\n\
             obj.system('x')\nsystem!('x')\nIO.popen('ls')\nProcess.spawn 'x'\n# system 'x'\n\
             \"spawn\"\n:system\nstep = 1\nx.each(&b)\nx.reverse_each do |fd|\nend\n"
                .into(),
        ));
        for (path, src) in sources {
            let tree = parser.parse(&src, None).unwrap();
            let mut want = BTreeSet::new();
            let mut cursor = QueryCursor::new();
            let mut ms = cursor.matches(&spec, tree.root_node(), src.as_bytes());
            while let Some(m) = ms.next() {
                let root = m
                    .captures()
                    .iter()
                    .map(|c| c.node)
                    .max_by_key(|n| n.end_byte() - n.start_byte())
                    .unwrap();
                if root.kind() != ROOT {
                    continue;
                }
                let mut v: Match = m
                    .captures()
                    .iter()
                    .map(|c| (names[c.index as usize].to_string(), c.node.id()))
                    .filter(|(n, _)| !n.starts_with('_'))
                    .collect();
                v.sort();
                kinds.insert(v[0].0.clone());
                want.insert(v);
            }
            checked += want.len();
            assert_eq!(walked(tree.root_node(), &src), want, "{path}");
        }
        assert!(checked > 50, "only {checked} call matches in the fixtures");
        assert_eq!(kinds.len(), 3, "{kinds:?}");
    }

    #[test]
    fn the_names_are_those_of_the_call_patterns() {
        let calls: Vec<&str> = QUERY_FILES
            .iter()
            .flat_map(|(_, s)| ts::patterns(s))
            .filter(|(root, _)| *root == Some(ROOT))
            .flat_map(|(_, p)| ts::testing::predicate_names(&[("", p)]))
            .collect();
        let mut want: Vec<&str> = calls.clone();
        want.sort();
        want.dedup();
        let mut got: Vec<&str> = names().collect();
        got.sort();
        got.dedup();
        assert_eq!(got, want);
        // What the walk leaves to the query has no `call` root, and the query still compiles.
        let rest = ts::compile_except(&language(), QUERY_FILES, &[ROOT]);
        assert_eq!(rest.pattern_count(), 3, "for, while, [*range]");
    }
}
