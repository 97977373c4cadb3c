//! Python 2 evidence: Python 2-only syntax (`dialect.scm`, then literals the grammar
//! accepts in both dialects) and a `python2` shebang.

use super::*;

/// The keywords and operator that start the Python 2 syntax `dialect.scm` specifies.
const PY2_WORDS: &[&str] = &["print", "exec", "except", "raise"];

/// Python 2 statements and operators (the patterns of `queries/python/dialect.scm`): the
/// first in the text, if any. Found by a walk from the keywords (and `<>`) each pattern holds,
/// not by the query: compiling it was ~28 M instructions, most of linting one Python 2 file. A
/// test requires the walk to find the query's first match on every fixture and on look-alikes.
pub(super) fn python2_syntax(root: Node, src: &str) -> Option<(&'static str, Span)> {
    static WORDS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    let b = src.as_bytes();
    let mut words = ts::whole_words(b, &WORDS, PY2_WORDS.iter().copied());
    words.extend(memchr::memmem::find_iter(b, "<>").map(|at| (at, at + 2)));
    words.sort_unstable();
    words.dedup();
    ts::leaves_at(root, &words, 1)
        .into_iter()
        .filter(|(leaf, _)| !leaf.is_named())
        .find_map(|(leaf, parents)| {
            let parent = *parents.first()?;
            let reason = match (leaf.kind(), parent.kind()) {
                ("print", "print_statement")
                    if parent.child_by_field_name("argument").is_some()
                        || has_child(parent, |c| c.kind() == "chevron") =>
                {
                    "print statement"
                }
                ("exec", "exec_statement") => "exec statement",
                ("except", "except_clause") if comma_between_values(parent) => {
                    "`except X, e` clause"
                }
                ("raise", "raise_statement")
                    if has_child(parent, |c| c.kind() == "expression_list") =>
                {
                    "`raise E, msg` statement"
                }
                ("<>", "comparison_operator") => "`<>` operator",
                _ => return None,
            };
            Some((reason, span(parent)))
        })
}

/// Whether a child of `node` satisfies `f`.
fn has_child(node: Node, f: impl Fn(Node) -> bool) -> bool {
    let mut cursor = node.walk();
    node.children(&mut cursor).any(f)
}

/// `value: (_) . "," . value: (_)`: two `value` children with only a comma between them.
fn comma_between_values(node: Node) -> bool {
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return false;
    }
    // Whether the previous sibling was a value, and whether it was a comma right after one.
    let (mut after_value, mut after_value_comma) = (false, false);
    loop {
        let n = cursor.node();
        let value = cursor.field_name() == Some("value") && n.is_named();
        if value && after_value_comma {
            return true;
        }
        after_value_comma = after_value && !n.is_named() && n.kind() == ",";
        after_value = value;
        if !cursor.goto_next_sibling() {
            return false;
        }
    }
}

/// Python 2 literals: `0777`, `10L`, `` `x` ``. Candidates come from the bytes and are confirmed
/// on the tree (a literal, not text in a string or comment); only the first few are looked at.
pub(super) fn python2_literal(root: Node, src: &str) -> Option<(&'static str, Span)> {
    const MAX_CANDIDATES: usize = 64;
    let b = src.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'.';
    let mut checked = 0;
    for pos in memchr::memchr_iter(b'`', b) {
        checked += 1;
        if checked > MAX_CANDIDATES {
            break;
        }
        let node = root.descendant_for_byte_range(pos, pos + 1)?;
        if matches!(node.kind(), "string" | "string_start")
            && node.start_byte() == pos
            && let Some(n) = Some(node)
                .filter(|n| n.kind() == "string")
                .or_else(|| node.parent())
        {
            return Some(("backtick repr", span(n)));
        }
    }
    let mut i = 0;
    checked = 0;
    while i < b.len() && checked < MAX_CANDIDATES {
        if !b[i].is_ascii_digit() || (i > 0 && is_ident(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &b[start..i];
        let long = i < b.len() && (b[i] == b'l' || b[i] == b'L');
        let end = if long { i + 1 } else { i };
        if end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_' || b[end] == b'.') {
            i = end;
            continue;
        }
        let old_octal = digits.len() > 1
            && digits[0] == b'0'
            && digits.iter().all(|d| (b'0'..=b'7').contains(d))
            && digits.iter().any(|d| *d != b'0');
        if long || old_octal {
            checked += 1;
            if let Some(node) = root.descendant_for_byte_range(start, end)
                && node.kind() == "integer"
                && node.start_byte() == start
                && node.end_byte() == end
            {
                return Some(("Python 2 integer literal", span(node)));
            }
        }
        i = end;
    }
    None
}

/// A `#!` line naming a Python interpreter decides the dialect before any syntax does.
pub(super) fn shebang_dialect(src: &str) -> Option<(PythonDialect, &'static str, Span)> {
    let line = src.lines().next()?;
    if !line.starts_with("#!") {
        return None;
    }
    let sp = Span::new(0, line.len());
    let words = line.split(|c: char| c.is_whitespace() || c == '/');
    for w in words {
        if w.starts_with("python2") {
            return Some((PythonDialect::Python2, "`python2` shebang", sp));
        }
        // Jython's last release line is 2.7; `pypy` (not `pypy3`) is PyPy's Python 2.7.
        if w.starts_with("jython") {
            return Some((
                PythonDialect::Python2,
                "`jython` shebang (Jython is Python 2.7)",
                sp,
            ));
        }
        if w == "pypy" || w.starts_with("pypy2") {
            return Some((
                PythonDialect::Python2,
                "`pypy` shebang (PyPy's Python 2.7)",
                sp,
            ));
        }
        if w.starts_with("python3") {
            return Some((PythonDialect::Python3, "`python3` shebang", sp));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use streaming_iterator::StreamingIterator;
    use tree_sitter::{Parser, QueryCursor};

    use super::*;

    /// The first match of `dialect.scm` (the specification) as `python2_syntax` reports it.
    fn first_query_match(
        query: &tree_sitter::Query,
        root: Node,
        src: &str,
    ) -> Option<(String, Span)> {
        let reasons = [
            ("py2.print", "print statement"),
            ("py2.exec", "exec statement"),
            ("py2.except", "`except X, e` clause"),
            ("py2.raise", "`raise E, msg` statement"),
            ("py2.diamond", "`<>` operator"),
        ];
        let mut cursor = QueryCursor::new();
        let mut ms = cursor.matches(query, root, src.as_bytes());
        let mut first: Option<(String, Span)> = None;
        while let Some(m) = ms.next() {
            for c in m.captures() {
                let name = query.capture_names()[c.index as usize];
                let reason = reasons.iter().find(|(n, _)| *n == name).unwrap().1;
                let sp = span(c.node);
                if first.as_ref().is_none_or(|(_, f)| sp.start < f.start) {
                    first = Some((reason.to_string(), sp));
                }
            }
        }
        first
    }

    #[test]
    fn the_walk_finds_the_first_match_of_dialect_scm() {
        let query = ts::compile(&language(), &QUERY_FILES[3..]);
        let mut parser = Parser::new();
        parser.set_language(&language()).unwrap();
        let mut sources = ts::testing::fixture_sources("py");
        // Each pattern, and the look-alikes Python 3 writes (`print(x)`, `exec(code)`,
        // `except (A, B):`, `raise E(msg)`, `"<>"`, `a < > b` is no operator).
        for s in [
            "print \"x\"\n",
            "print >>sys.stderr, \"oops\"\n",
            "print\n",
            "print(x)\n",
            "print (x)\n",
            "exec \"code\"\n",
            "exec code in ns\n",
            "exec(code)\n",
            "try:\n    pass\nexcept OSError, e:\n    pass\n",
            "try:\n    pass\nexcept (OSError, IOError):\n    pass\n",
            "try:\n    pass\nexcept OSError as e:\n    pass\n",
            "raise ValueError, \"message\"\n",
            "raise ValueError(\"message\")\n",
            "raise\n",
            "if a <> b:\n    pass\n",
            "s = \"<>\"\n# print x\n",
            "x = a < b > c\n",
            "def f():\n    return 1\nprint x\nraise E, m\n",
            "def print_all(): pass\nprinter = 1\nexecute(1)\n",
        ] {
            sources.push((format!("inline: {s:?}"), s.to_string()));
        }
        let mut found = 0;
        for (path, src) in sources {
            let tree = parser.parse(&src, None).unwrap();
            let want = first_query_match(&query, tree.root_node(), &src);
            found += usize::from(want.is_some());
            let got = python2_syntax(tree.root_node(), &src).map(|(r, s)| (r.to_string(), s));
            assert_eq!(got, want, "{path}");
        }
        assert!(found >= 12, "only {found} texts with Python 2 syntax");
    }
}
