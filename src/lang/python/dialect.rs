//! Python 2 evidence: Python 2-only syntax (`dialect.scm`, then literals the grammar
//! accepts in both dialects) and a `python2` shebang.

use super::*;

/// Python 2 statements and operators (`queries/python/dialect.scm`): the first, if any.
pub(super) fn python2_syntax(
    root: Node,
    src: &str,
    budget: &Budget,
) -> Option<(&'static str, Span)> {
    let d = dialect();
    ts::find_match(&d.query, root, src, budget, |m| {
        d.py2.iter().find_map(|(idx, reason)| {
            m.captures()
                .iter()
                .find(|cap| cap.index == *idx)
                .map(|cap| (*reason, span(cap.node)))
        })
    })
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
