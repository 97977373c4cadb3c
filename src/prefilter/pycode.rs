//! A byte-level Python lexer that blanks out what is not code: the text of string literals
//! (f-strings' literal parts included) and comments. The Python 2 hints
//! (`super::python2_hint`) run on its output, so that prose in docstrings (reST
//! ``` ``code`` ```, "print the result") and messages no longer looks like Python 2 syntax.
//!
//! Soundness (the hints must stay a superset of the frontend's evidence, which tree-sitter finds
//! in code only): the lexer only ever blanks bytes that Python's own tokenizer puts inside a
//! string literal's text or a comment. The replacement fields of f-strings (and t-strings) are
//! code: the lexer follows them (with 3.12's nested quotes and format specs) and blanks only
//! the strings and comments inside them. Wherever the text does not tokenize cleanly (an
//! unterminated string or field, nesting deeper than `MAX_DEPTH`), there is no answer and the
//! caller looks at the raw text instead: tree-sitter's error recovery may read such text
//! differently.

/// Deepest nesting of f-string replacement fields followed (each level is a stack frame).
const MAX_DEPTH: u32 = 16;

/// Blanking for string text (quotes and braces kept, so `print"x"` stays a statement).
const STRING_FILL: u8 = b'_';

/// `text` with the text of every string literal replaced by `_` and every comment by spaces,
/// or `None` when the text does not tokenize cleanly.
pub fn code_only(text: &[u8]) -> Option<Vec<u8>> {
    let mut lx = Lexer {
        t: text,
        out: text.to_vec(),
        i: 0,
        backslash: None,
    };
    lx.code(Mode::Top, 0)?;
    Some(lx.out)
}

struct Lexer<'a> {
    t: &'a [u8],
    out: Vec<u8>,
    i: usize,
    /// The next backslash at or after `i` as last searched (`None`: not searched yet), so that the
    /// top level jumps between the bytes that matter with one SIMD search each.
    backslash: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The file: runs to the end of the text.
    Top,
    /// An f-string replacement field (`{...}`): runs to its closing `}`.
    Field,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Lexer<'_> {
    /// Code, from `self.i` to the end of the text (`Top`) or past the `}` closing a replacement
    /// field (`Field`).
    fn code(&mut self, mode: Mode, depth: u32) -> Option<()> {
        let mut brackets = 0u32;
        loop {
            if mode == Mode::Top {
                // At the top level only comments, strings and backslashes matter (brackets
                // only decide where a replacement field ends): jump to the next of them.
                self.i = self.next_at_top();
            }
            let Some(&b) = self.t.get(self.i) else {
                break;
            };
            match b {
                b'#' => {
                    let end = memchr::memchr(b'\n', &self.t[self.i..])
                        .map_or(self.t.len(), |n| self.i + n);
                    self.out[self.i..end].fill(b' ');
                    self.i = end;
                }
                b'\'' | b'"' => self.string(depth)?,
                b'\\' => self.i += 2,
                b'(' | b'[' | b'{' => {
                    brackets += 1;
                    self.i += 1;
                }
                b')' | b']' | b'}' if brackets > 0 => {
                    brackets -= 1;
                    self.i += 1;
                }
                b'}' if mode == Mode::Field => {
                    self.i += 1;
                    return Some(());
                }
                b':' if mode == Mode::Field && brackets == 0 => {
                    // A format spec: literal text with nested fields, up to the field's `}`.
                    self.i += 1;
                    return self.format_spec(depth);
                }
                _ => self.i += 1,
            }
        }
        // A field must be closed inside its f-string.
        (mode == Mode::Top).then_some(())
    }

    /// The offset of the first `#`, quote or backslash at or after `self.i` (the end of the
    /// text when there is none).
    fn next_at_top(&mut self) -> usize {
        let t = self.t;
        let i = self.i;
        if i >= t.len() {
            // Past the end after an escape's two bytes: the caller stops there.
            return i;
        }
        let special = memchr::memchr3(b'#', b'\'', b'"', &t[i..]).map_or(t.len(), |n| i + n);
        let backslash = match self.backslash {
            Some(b) if b >= i => b,
            _ => {
                let b = memchr::memchr(b'\\', &t[i..]).map_or(t.len(), |n| i + n);
                self.backslash = Some(b);
                b
            }
        };
        special.min(backslash)
    }

    /// A format spec (after `{x:`), through the `}` that closes the field.
    fn format_spec(&mut self, depth: u32) -> Option<()> {
        while let Some(&b) = self.t.get(self.i) {
            match b {
                b'{' => {
                    self.i += 1;
                    self.field(depth)?;
                }
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => {
                    self.out[self.i] = STRING_FILL;
                    self.i += 1;
                }
            }
        }
        None
    }

    /// A replacement field whose `{` has just been consumed.
    fn field(&mut self, depth: u32) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.code(Mode::Field, depth + 1)
    }

    /// The string literal whose opening quote is at `self.i`.
    fn string(&mut self, depth: u32) -> Option<()> {
        let quote = self.t[self.i];
        let mut p = self.i;
        while p > 0 && is_ident(self.t[p - 1]) {
            p -= 1;
        }
        let prefix = &self.t[p..self.i];
        let is_prefix = !prefix.is_empty()
            && prefix.len() <= 3
            && prefix.iter().all(|c| b"rRbBuUfFtT".contains(c));
        // A name before the quote that is no prefix (`print"x"`, `else"y"`) is its own token.
        let formatted = is_prefix && prefix.iter().any(|c| b"fFtT".contains(c));
        let triple = self.t[self.i..].starts_with(&[quote; 3]);
        let open = if triple { 3 } else { 1 };
        self.i += open;
        loop {
            let b = *self.t.get(self.i)?;
            match b {
                b'\\' => {
                    let end = (self.i + 2).min(self.t.len());
                    self.out[self.i..end].fill(STRING_FILL);
                    self.i += 2;
                }
                b'\n' if !triple => return None,
                b'{' if formatted => {
                    if self.t.get(self.i + 1) == Some(&b'{') {
                        self.out[self.i..self.i + 2].fill(STRING_FILL);
                        self.i += 2;
                    } else {
                        self.i += 1;
                        self.field(depth)?;
                    }
                }
                _ if b == quote && (!triple || self.t[self.i..].starts_with(&[quote; 3])) => {
                    self.i += open;
                    return Some(());
                }
                _ => {
                    self.out[self.i] = STRING_FILL;
                    self.i += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::code_only;

    fn code(s: &str) -> Option<String> {
        code_only(s.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn blanks_strings_and_comments() {
        assert_eq!(
            code("x = 'a`b'  # print x\n").as_deref(),
            Some("x = '___'           \n")
        );
        assert_eq!(
            code("\"\"\"Doc with ``code``\nand <> here.\"\"\"\ns = r'\\''\n").as_deref(),
            Some(format!("\"\"\"{}\"\"\"\ns = r'__'\n", "_".repeat(30)).as_str())
        );
        assert_eq!(code("print\"x\"\n").as_deref(), Some("print\"_\"\n"));
        assert_eq!(
            code("a = b'\\n' if c else'`'\n").as_deref(),
            Some("a = b'__' if c else'_'\n")
        );
    }

    #[test]
    fn blanks_f_string_text_and_follows_their_fields() {
        for (src, want) in [
            (
                "f'{x!r:>{w}} `{y}`' + f\"{z}\"\n",
                "f'{x!r:_{w}}__{y}_' + f\"{z}\"\n",
            ),
            (
                "f\"{d[\"key\"]}\" + f'''{ {'a': 1}['a'] }\n'''\n",
                "f\"{d[\"___\"]}\" + f'''{ {'_': 1}['_'] }_'''\n",
            ),
            ("rf'{{literal}} {x:'>10}'\n", "rf'____________{x:____}'\n"),
            ("t\"{a:{b}{c}}\" # the end\n", "t\"{a:{b}{c}}\"          \n"),
            // Fields are code: Python 2 syntax there stays visible.
            ("f'{`x`} <>'\n", "f'{`x`}___'\n"),
        ] {
            assert_eq!(code(src).as_deref(), Some(want), "{src:?}");
        }
        assert_eq!(code("f'{x}' 'y'\n").as_deref(), Some("f'{x}' '_'\n"));
    }

    #[test]
    fn no_answer_for_text_that_does_not_tokenize() {
        for src in [
            "x = 'unterminated\ny = 1\n",
            "x = \"\"\"never closed\n",
            "f'{x'\n",
            "f'{x:{'\n",
            "s = 'ends in a backslash\\",
        ] {
            assert_eq!(code(src), None, "{src:?}");
        }
        let deep = format!("{}x{}", "f'{".repeat(40), "}'".repeat(40));
        assert_eq!(code(&deep), None);
        let ok = format!("{}x{}", "f'{".repeat(10), "}'".repeat(10));
        assert!(code(&ok).is_some());
    }
}
