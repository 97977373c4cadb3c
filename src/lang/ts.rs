//! Helpers shared by the tree-sitter frontends (Python and Ruby).

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::sync::OnceLock;
use std::time::Duration;

#[cfg(test)]
use tree_sitter::Query;
use tree_sitter::{Language, Node, Parser, Tree};

use super::{FrontendError, FrontendOptions};
use crate::facts::Span;

pub fn span(node: Node) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

pub fn text<'a>(node: Node, src: &'a str) -> &'a str {
    src.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

/// Parse `text` with a parser kept per thread and per language, abandoning the parse once it has
/// run longer than the configured timeout.
pub fn parse(
    parsers: &'static std::thread::LocalKey<RefCell<Option<Parser>>>,
    language: &Language,
    text: &str,
    opts: &FrontendOptions,
) -> Result<Tree, FrontendError> {
    parsers.with(|cell| {
        let mut slot = cell.borrow_mut();
        let parser = slot.get_or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(language)
                .expect("grammar ABI matches the tree-sitter runtime");
            p
        });
        // On this thread's CPU clock (`clock`): a busy machine does not abandon the parse.
        let budget_ms = opts.parse_budget_ms(text.len());
        let deadline =
            super::clock::Deadline::after(Duration::from_millis(budget_ms * super::DEBUG_SLOWDOWN));
        // tree-sitter calls back every 100 parse operations (~170 bytes of real code); a look
        // at the thread's CPU clock is a system call (100,000 of them on the benchmark corpus),
        // so only every `CLOCK_EVERY`th call looks.
        const CLOCK_EVERY: u32 = 16;
        let mut calls = 0u32;
        let mut check = |_: &tree_sitter::ParseState| {
            calls = calls.wrapping_add(1);
            if calls.is_multiple_of(CLOCK_EVERY) && deadline.is_some_and(|d| d.passed()) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let bytes = text.as_bytes();
        let tree = parser.parse_with_options(
            &mut |offset, _| bytes.get(offset..).unwrap_or(&[]),
            None,
            Some(tree_sitter::ParseOptions::new().progress_callback(&mut check)),
        );
        match tree {
            Some(t) => Ok(t),
            None => {
                // A cancelled parse leaves state behind; start afresh next time.
                parser.reset();
                Err(FrontendError::Timeout(budget_ms))
            }
        }
    })
}

/// Compile query files into one query, for the tests that check a walk against the query it
/// replaces (no run compiles a query). Panics on an invalid query.
#[cfg(test)]
pub fn compile(language: &Language, files: &[(&str, &str)]) -> Query {
    let src: String = files.iter().map(|(_, s)| *s).collect::<Vec<_>>().join("\n");
    Query::new(language, &src).unwrap_or_else(|e| panic!("invalid embedded query: {e}"))
}

/// `src` with every byte `from` made `to` (both ASCII, so the text stays UTF-8 and every span
/// stays an offset into `src`), when it has any: the text a frontend parses where the grammar
/// reads a byte otherwise than the language does.
pub fn replace_byte(src: &str, from: u8, to: u8) -> Option<String> {
    debug_assert!(from.is_ascii() && to.is_ascii());
    memchr::memchr(from, src.as_bytes())?;
    let out: Vec<u8> = src
        .bytes()
        .map(|b| if b == from { to } else { b })
        .collect();
    String::from_utf8(out).ok()
}

/// Spans of ERROR and MISSING nodes, outermost only, at most `limit` of them.
pub fn syntax_errors(tree: &Tree, limit: usize) -> Vec<Span> {
    let mut out = Vec::new();
    if !tree.root_node().has_error() {
        return out;
    }
    let mut cursor = tree.walk();
    let mut descend = true;
    loop {
        let node = cursor.node();
        if descend {
            if node.is_error() || node.is_missing() {
                out.push(span(node));
                if out.len() >= limit {
                    break;
                }
            } else if node.has_error() && cursor.goto_first_child() {
                continue;
            }
        }
        if cursor.goto_next_sibling() {
            descend = true;
        } else if cursor.goto_parent() {
            descend = false;
        } else {
            break;
        }
    }
    out
}

/// Every descendant of `node` (itself included) in document order, visited without recursion so
/// that deeply nested input cannot overflow the stack. `f` returns `false` to skip a subtree.
pub fn walk<'t>(node: Node<'t>, mut f: impl FnMut(Node<'t>) -> bool) {
    let mut cursor = node.walk();
    let mut descend = true;
    loop {
        let n = cursor.node();
        if descend && f(n) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return;
            }
            if cursor.goto_next_sibling() {
                descend = true;
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The whole-word occurrences of `names` in `b` (byte ranges in order), as tree-sitter lexes
/// words: no identifier byte after one, and none before it unless those start with a digit
/// (`7system` is a number and then `system`, `prefilter::starts_word`). `automaton` caches the
/// names' leftmost-longest automaton (`popen3` over `popen`; a shorter name that is a prefix of
/// a longer one is followed by an identifier byte there, so it is no whole word either).
pub fn whole_words(
    b: &[u8],
    automaton: &'static OnceLock<aho_corasick::AhoCorasick>,
    names: impl IntoIterator<Item = &'static str>,
) -> Vec<(usize, usize)> {
    let names = automaton.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(names)
            .expect("names compile")
    });
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    names
        .find_iter(b)
        .map(|m| (m.start(), m.end()))
        .filter(|&(start, end)| {
            crate::prefilter::starts_word(b, start) && !b.get(end).is_some_and(|c| is_ident(*c))
        })
        .collect()
}

/// The leaves that span exactly one of `words` (sorted byte ranges, as `whole_words` gives
/// them), each with its nearest `levels` ancestors (parent first), in document order. One
/// cursor walk that enters only nodes holding a word's start, keeping the path from the root:
/// looking each word up from the root (`descendant_for_byte_range`, then `Node::parent`, which
/// descends from the root again) costs its depth, which made 40,000 nested `Array(` calls and
/// 100,000 nested `range(` calls quadratic. Iterative, so deep input cannot overflow the stack.
pub fn leaves_at<'t>(
    root: Node<'t>,
    words: &[(usize, usize)],
    levels: usize,
) -> Vec<(Node<'t>, Vec<Node<'t>>)> {
    let mut out = Vec::new();
    if words.is_empty() {
        return out;
    }
    let mut cursor = root.walk();
    // The ancestors of the cursor's node, root first.
    let mut path: Vec<Node<'t>> = Vec::new();
    // The first word that does not start before the cursor's node: nodes come in document
    // order, each starting where or after the one before it did, so it only moves forward.
    let mut i = 0;
    loop {
        let node = cursor.node();
        let (s, e) = (node.start_byte(), node.end_byte());
        while words.get(i).is_some_and(|&(a, _)| a < s) {
            i += 1;
        }
        let holds = words.get(i).is_some_and(|&(a, _)| a < e);
        let mut entered = false;
        if holds {
            if words[i] == (s, e) && node.child_count() == 0 {
                out.push((node, path.iter().rev().take(levels).copied().collect()));
            }
            // Past the children that end before the word: they hold no word still to find.
            if cursor.goto_first_child_for_byte(words[i].0).is_some() {
                path.push(node);
                entered = true;
            }
        }
        if !entered {
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return out;
                }
                path.pop();
            }
        }
    }
}

/// For each of `spans` (sorted by start, then end), the nodes from `root` down to the node with
/// exactly that range or, if none has it, the deepest node holding it: `path[0]` is `root`,
/// each next node the first child of the one before that holds the span. One forward cursor
/// walk for all of them: a span after the previous one is reached by moving to later siblings,
/// not by descending from the root again, which scanned the root's children once per span (a
/// Ruby file of 10,000 loops took a minute).
pub fn enclosing_paths<'t>(root: Node<'t>, spans: &[(usize, usize)]) -> Vec<Vec<Node<'t>>> {
    let holds = |n: Node, (s, e): (usize, usize)| n.start_byte() <= s && e <= n.end_byte();
    let mut out = Vec::with_capacity(spans.len());
    let mut cursor = root.walk();
    let mut path = vec![root];
    for &span in spans {
        let s = span.0;
        // Up (or forward among siblings) to a node that holds the span.
        while path.len() > 1 && !holds(cursor.node(), span) {
            if cursor.node().end_byte() <= s && cursor.goto_next_sibling() {
                path.pop();
                path.push(cursor.node());
            } else {
                cursor.goto_parent();
                path.pop();
            }
        }
        if !holds(root, span) {
            out.push(Vec::new());
            continue;
        }
        // A descent stops at the outermost node with exactly the span (a string and its
        // statement can share one range): back up to it when the walk is below it.
        if let Some(i) = path
            .iter()
            .position(|n| (n.start_byte(), n.end_byte()) == span)
        {
            while path.len() > i + 1 {
                cursor.goto_parent();
                path.pop();
            }
        }
        // Down through the first child that holds it, until the node is the span itself.
        loop {
            let n = cursor.node();
            if (n.start_byte(), n.end_byte()) == span
                || cursor.goto_first_child_for_byte(s).is_none()
            {
                break;
            }
            let found = loop {
                let c = cursor.node();
                if holds(c, span) {
                    break true;
                }
                if c.start_byte() > s || !cursor.goto_next_sibling() {
                    break false;
                }
            };
            if !found {
                cursor.goto_parent();
                break;
            }
            path.push(cursor.node());
        }
        out.push(path.clone());
    }
    out
}

/// The nodes of one of `kinds` whose keyword child `keyword` sits at a whole-word occurrence
/// of it in `src`, in document order. Every such statement has its keyword in the text, so this
/// finds what a walk of the whole tree for those kinds finds, for one descent per occurrence
/// (the word in a string or comment is a string or comment node, and is skipped).
pub fn keyword_parents<'t>(
    root: Node<'t>,
    src: &str,
    keyword: &str,
    kinds: &[&str],
) -> Vec<Node<'t>> {
    let b = src.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    let mut out = Vec::new();
    for at in memchr::memmem::find_iter(b, keyword.as_bytes()) {
        let end = at + keyword.len();
        if !crate::prefilter::starts_word(b, at) || b.get(end).is_some_and(|c| is_ident(*c)) {
            continue;
        }
        if let Some(leaf) = root.descendant_for_byte_range(at, end)
            && !leaf.is_named()
            && leaf.kind() == keyword
            && let Some(parent) = leaf.parent()
            && kinds.contains(&parent.kind())
        {
            out.push(parent);
        }
    }
    out
}

/// Parse an integer literal the way Python and Ruby spell them (`1_024`, `0x400`, `0o777`,
/// `0777`, `65536L`).
pub fn parse_int(lit: &str) -> Option<u64> {
    let s: String = lit.chars().filter(|c| *c != '_').collect();
    let s = s.trim_end_matches(['l', 'L']);
    let lower = s.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        u64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        u64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') {
        u64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse().ok()
    }
}

/// For the frontends' tests: every fixture of a language, and the names a query's predicates
/// accept.
#[cfg(test)]
pub mod testing {
    use std::collections::BTreeSet;

    use streaming_iterator::StreamingIterator;
    use tree_sitter::{Node, Query, QueryCursor, QueryMatch};

    /// (capture name, node id) of every capture of a match, `_` captures left out, sorted.
    pub type Captures = Vec<(String, usize)>;

    /// Every match of `query` over `root` that `keep` accepts, as capture lists, and the node
    /// kinds at the matches' roots (their widest captures): what a walk that replaces the
    /// query must find.
    pub fn query_matches(
        query: &Query,
        root: Node,
        src: &str,
        keep: impl Fn(&QueryMatch) -> bool,
    ) -> (BTreeSet<Captures>, BTreeSet<String>) {
        let names = query.capture_names();
        let (mut out, mut kinds) = (BTreeSet::new(), BTreeSet::new());
        let mut cursor = QueryCursor::new();
        let mut ms = cursor.matches(query, root, src.as_bytes());
        while let Some(m) = ms.next() {
            if !keep(m) {
                continue;
            }
            let mut v: Captures = m
                .captures()
                .iter()
                .map(|c| (names[c.index as usize].to_string(), c.node.id()))
                .filter(|(n, _)| !n.starts_with('_'))
                .collect();
            v.sort();
            if let Some(r) = m
                .captures()
                .iter()
                .map(|c| c.node)
                .max_by_key(|n| n.end_byte() - n.start_byte())
            {
                kinds.insert(r.kind().to_string());
            }
            out.insert(v);
        }
        (out, kinds)
    }

    /// (path, text) of every file under `fixtures/` whose name ends in `.{ext}`.
    pub fn fixture_sources(ext: &str) -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == ext))
            .map(|e| {
                let text = std::fs::read(e.path()).unwrap();
                let text = String::from_utf8_lossy(&text).into_owned();
                (e.path().display().to_string(), text)
            })
            .collect()
    }

    /// The string arguments of the `#any-of?` and `#eq?` predicates in query sources.
    pub fn predicate_names<'a>(sources: &[(&'a str, &'a str)]) -> Vec<&'a str> {
        sources
            .iter()
            .flat_map(|(_, q)| q.lines())
            .filter(|l| l.contains("(#any-of?") || l.contains("(#eq?"))
            .flat_map(|l| l.split('"').skip(1).step_by(2))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path to `span` the way a descent from the root finds it (the first child holding
    /// it, level by level): what `enclosing_paths` must give for each span.
    fn descend<'t>(root: Node<'t>, (s, e): (usize, usize)) -> Vec<Node<'t>> {
        let holds = |n: Node| n.start_byte() <= s && e <= n.end_byte();
        if !holds(root) {
            return Vec::new();
        }
        let mut path = vec![root];
        let mut cur = root;
        while (cur.start_byte(), cur.end_byte()) != (s, e) {
            let mut walker = cur.walk();
            let Some(child) = cur.children(&mut walker).find(|c| holds(*c)) else {
                break;
            };
            path.push(child);
            cur = child;
        }
        path
    }

    #[test]
    fn enclosing_paths_are_the_descents_from_the_root() {
        let mut checked = 0;
        for (ext, language) in [
            ("py", Language::from(tree_sitter_python::LANGUAGE)),
            ("rb", Language::from(tree_sitter_ruby::LANGUAGE)),
        ] {
            let mut parser = Parser::new();
            parser.set_language(&language).unwrap();
            for (path, src) in testing::fixture_sources(ext) {
                let tree = parser.parse(&src, None).unwrap();
                // Every named node's range, sub-ranges of none (to test the deepest holder),
                // and a range outside the text.
                let mut spans = Vec::new();
                walk(tree.root_node(), |n| {
                    if n.is_named() && n.end_byte() > n.start_byte() {
                        spans.push((n.start_byte(), n.end_byte()));
                        if n.end_byte() - n.start_byte() > 2 {
                            spans.push((n.start_byte() + 1, n.end_byte() - 1));
                        }
                    }
                    true
                });
                spans.push((src.len(), src.len() + 1));
                spans.sort_unstable();
                spans.dedup();
                let got = enclosing_paths(tree.root_node(), &spans);
                for (span, p) in spans.iter().zip(&got) {
                    let want = descend(tree.root_node(), *span);
                    assert_eq!(p, &want, "{path}: {span:?}");
                }
                checked += spans.len();
            }
        }
        assert!(checked > 10_000, "only {checked} spans");
    }
}
