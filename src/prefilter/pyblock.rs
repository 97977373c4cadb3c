//! Python's block structure read from the bytes: which statement, with the block under it,
//! holds a given offset. `python_loop_action` uses it to ask whether an fd action is inside a
//! loop's statement rather than anywhere in the file (in the corpus benchmark, most Python
//! files with both a `for fd in range(..)` and an `os.close(fd)` had them in different loops:
//! test suites that find a free fd in one loop and close it after the loop).
//!
//! The input is `pycode::code_only`'s output: string text blanked (line breaks inside strings
//! too, so a string never ends a line), comments blanked, everything else as written. On that,
//! a *logical line* starts at a line break outside brackets and not after a `\`
//! continuation, and its *statement* runs to the next logical line indented no deeper
//! (Python's rule: a compound statement's block is the run of deeper lines after it). A
//! statement is a superset of every loop node tree-sitter builds from its first line: the
//! `for` or `while` statement, a comprehension anywhere in it, and a nested `def` (which the
//! frontend leaves out; looser is sound).
//!
//! Soundness is with respect to tree-sitter's reading where the text is Python; where it is
//! not, tree-sitter's error recovery could make a block of something else, so `blocks` gives
//! up (no answer: the caller looks at the whole file, as before) on every sign that indentation
//! or brackets are broken: a closing bracket with none open or of another kind, a bracket or
//! a continuation still open at the end, a dedent to a column no enclosing line has, a tab in
//! indentation mixed with spaces, a form feed, vertical tab or NUL where indentation ends, a
//! carriage return that does not end a line.

/// Statements by the offset of their first line: `(start, end)`, sorted by `start` (nested
/// statements come after the one they are in, so the spans nest).
#[derive(Debug)]
pub(super) struct Blocks {
    spans: Vec<(usize, usize)>,
    /// The statement each one is in (`usize::MAX` at the top level).
    parents: Vec<usize>,
}

impl Blocks {
    /// The innermost statement whose first logical line holds `at` (by index): the statement
    /// the last logical line starting at or before `at` begins. `None` before the first line.
    pub(super) fn index_at(&self, at: usize) -> Option<usize> {
        let i = self.spans.partition_point(|(s, _)| *s <= at);
        i.checked_sub(1)
    }

    /// The span of the statement `index_at` finds.
    pub(super) fn statement_at(&self, at: usize) -> Option<(usize, usize)> {
        self.index_at(at).map(|i| self.spans[i])
    }

    /// How many statements there are (indices run from 0, parents before children).
    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The span of statement `i`: from its first line's start to the next statement's.
    pub(super) fn span(&self, i: usize) -> (usize, usize) {
        self.spans[i]
    }

    /// The statement that statement `i` is in (a line of its block).
    pub(super) fn parent(&self, i: usize) -> Option<usize> {
        Some(self.parents[i]).filter(|p| *p != usize::MAX)
    }
}

/// The statements of blanked Python code, or `None` when the text's indentation or brackets
/// are broken (see the module docs).
pub(super) fn blocks(code: &[u8]) -> Option<Blocks> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut parents: Vec<usize> = Vec::new();
    // Open statements: (index in `spans`, indentation).
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut brackets: Vec<u8> = Vec::new();
    // The indentation character of the file (`b' '` or `b'\t'`), once one is seen.
    let mut indent_char: Option<u8> = None;
    let mut continued = false;
    // The logical line being read: its indentation, whether it starts a compound statement
    // (`for`, `if`, `def`, ...), whether a `:` stands outside brackets, its last byte that is
    // not blank.
    let mut logical: Option<Logical> = None;
    let mut line_start = 0usize;
    while line_start < code.len() {
        let line_end =
            memchr::memchr(b'\n', &code[line_start..]).map_or(code.len(), |n| line_start + n);
        let line = &code[line_start..line_end];
        // A carriage return ends a line only before a line feed.
        if let Some(cr) = memchr::memchr(b'\r', line)
            && cr + 1 != line.len()
        {
            return None;
        }
        let body = line.strip_suffix(b"\r").unwrap_or(line);
        let indent = body
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'))
            .unwrap_or(body.len());
        // Other control bytes where indentation ends (a vertical tab, a NUL): tree-sitter's
        // scanner may count them as indentation or not; not probed, so no answer.
        if body
            .get(indent)
            .is_some_and(|b| matches!(b, b'\x0b' | b'\0'))
        {
            return None;
        }
        let blank = indent == body.len();
        if brackets.is_empty() && !continued && !blank {
            for &b in &body[..indent] {
                if b == b'\x0c' || *indent_char.get_or_insert(b) != b {
                    return None;
                }
            }
            // The line before must be whole Python: a compound statement's header has its
            // `:`, a block follows a `:` and nothing else is followed by a deeper line (Python
            // rejects anything else, and tree-sitter's error recovery may join the lines: a
            // `for fd in` broken before its `range(..):` is one loop to it).
            let broken = match logical.take() {
                Some(prev) => !prev.whole() || (prev.last == b':') != (indent > prev.indent),
                None => indent > 0,
            };
            if broken {
                return None;
            }
            let first = &body[indent..];
            // No statement starts with these.
            if matches!(
                first[0],
                b')' | b']'
                    | b'}'
                    | b':'
                    | b','
                    | b';'
                    | b'='
                    | b'!'
                    | b'?'
                    | b'$'
                    | b'^'
                    | b'|'
                    | b'&'
                    | b'>'
                    | b'<'
                    | b'/'
                    | b'%'
                    // A line that is only a continuation: tree-sitter takes the indentation
                    // of the line after it.
                    | b'\\'
            ) {
                return None;
            }
            let word_len = first
                .iter()
                .position(|b| !is_ident(*b))
                .unwrap_or(first.len());
            logical = Some(Logical {
                indent,
                compound: matches!(
                    &first[..word_len],
                    b"for"
                        | b"while"
                        | b"if"
                        | b"elif"
                        | b"else"
                        | b"try"
                        | b"except"
                        | b"finally"
                        | b"with"
                        | b"def"
                        | b"class"
                        | b"async"
                ),
                colon: false,
                last: 0,
            });
            // Close every open statement indented as deep or deeper; a dedent must land on
            // the column of one of them.
            let deeper = open.last().is_some_and(|(_, i)| *i > indent);
            let mut landed = !deeper;
            while let Some(&(k, i)) = open.last() {
                if i < indent {
                    break;
                }
                landed |= i == indent;
                spans[k].1 = line_start;
                open.pop();
            }
            if !landed {
                return None;
            }
            parents.push(open.last().map_or(usize::MAX, |(k, _)| *k));
            open.push((spans.len(), indent));
            spans.push((line_start, code.len()));
        }
        for &b in body {
            if let Some(l) = logical.as_mut() {
                if !b.is_ascii_whitespace() {
                    l.last = b;
                }
                l.colon |= b == b':' && brackets.is_empty();
            }
            match b {
                b'(' | b'[' | b'{' => brackets.push(b),
                b')' | b']' | b'}' => {
                    let want = match b {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    if brackets.pop() != Some(want) {
                        return None;
                    }
                }
                _ => {}
            }
        }
        continued = body.last() == Some(&b'\\');
        line_start = line_end + 1;
    }
    if !brackets.is_empty() || continued || logical.is_some_and(|l| !l.whole() || l.last == b':') {
        return None;
    }
    Some(Blocks { spans, parents })
}

/// A logical line, as `blocks` reads it.
struct Logical {
    indent: usize,
    compound: bool,
    colon: bool,
    last: u8,
}

impl Logical {
    /// Whether nothing about the line alone says Python rejects it: a compound statement has
    /// its `:`.
    fn whole(&self) -> bool {
        !self.compound || self.colon
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::blocks;
    use crate::prefilter::pycode::code_only;

    /// The lines (1-based, first and last) of the statement holding the last `marker`.
    fn statement_of(src: &str, marker: &str) -> Option<(usize, usize)> {
        let code = code_only(src.as_bytes()).expect("tokenizes");
        let b = blocks(&code)?;
        let at = src.rfind(marker).expect("marker");
        let (s, e) = b.statement_at(at)?;
        let line = |o: usize| src[..o].matches('\n').count() + 1;
        // The end is the start of the next statement's line: the last line is the one before.
        Some((line(s), line(e.max(s + 1) - 1)))
    }

    #[test]
    fn a_statement_is_its_line_and_the_deeper_lines_after_it() {
        let src = "\
def f(n):
    for fd in range(3, n):
        if fd:

            # a comment at column 0 does not end the block
# like this one
            os.close(fd)
    os.close(fd)
";
        assert_eq!(statement_of(src, "for fd"), Some((2, 7)));
        assert_eq!(statement_of(src, "def f"), Some((1, 8)));
        // The last line is a statement of its own.
        assert_eq!(statement_of(src, "close(fd)\n"), Some((8, 8)));
    }

    #[test]
    fn brackets_strings_and_continuations_do_not_end_a_line() {
        let src = "\
x = [
os.close(fd)
    for fd in range(3, n)
]
s = '''
text at column 0
''' + f'{
y}'
t = a + \\
b
z = 1
";
        assert_eq!(statement_of(src, "for fd"), Some((1, 4)));
        assert_eq!(statement_of(src, "text at"), Some((5, 8)));
        assert_eq!(statement_of(src, "b\nz"), Some((9, 10)));
        assert_eq!(statement_of(src, "z = 1"), Some((11, 11)));
    }

    #[test]
    fn broken_indentation_or_brackets_give_no_answer() {
        for src in [
            // A dedent to a column no enclosing line has.
            "def f():\n        x = 1\n    y = 2\n",
            // Tabs and spaces, a form feed.
            "def f():\n\tx = 1\n        y = 2\n",
            "def f():\n\x0c    x = 1\n",
            "def f():\n    \x0bx = 1\n",
            // Brackets: unclosed, stray, crossed; a continuation at the end.
            "x = (1,\n",
            "x = 1)\n",
            "x = (1]\n",
            "x = 1 + \\",
            // A carriage return inside a line.
            "x = 1\ry = 2\n",
            // Lines Python rejects, which tree-sitter's recovery may join or nest: a loop's
            // header broken before its `:`, a block opened with nothing under it, a deeper
            // line after no `:`, a first line indented, a line that starts with `:` or is
            // only a continuation.
            "for fd in\nrange(3, n):\n    os.close(fd)\n",
            "for fd in range(3, n):\nos.close(fd)\n",
            "x = 1\n    os.close(fd)\n",
            "    x = 1\n",
            "for fd in range(3, n):\n    :else:\n",
            "def f():\n  \\\n    x = 1\n",
            "for fd in range(3, n):\n",
        ] {
            let code = code_only(src.as_bytes()).expect("tokenizes");
            assert!(blocks(&code).is_none(), "{src:?}");
        }
        // Tabs alone, and CRLF line ends, are fine.
        for src in ["def f():\n\tx = 1\n\ty = 2\n", "def f():\r\n    x = 1\r\n"] {
            let code = code_only(src.as_bytes()).expect("tokenizes");
            assert!(blocks(&code).is_some(), "{src:?}");
        }
    }
}
