//! Rust's nesting read from the bytes: the text with comments and literal contents blanked,
//! and every bracket paired with its partner. `rust_loop_action` uses it to ask whether an fd
//! action is inside a loop's body rather than anywhere in the file (in the corpus benchmark,
//! every Rust file the file-wide check admitted was a socket or fd library that closes an fd
//! in one function and loops over a range in another: none held a finding).
//!
//! Blanked, to spaces (line breaks kept): `//` and nested `/* */` comments (doc comments
//! too: syn makes attributes of them, never code), the contents of string literals (`"..."`,
//! `b"..."`, `c"..."`, with `\` escapes) and raw strings (`r"..."`, `r#"..."#`, `br`, `cr`),
//! and character literals (`'x'`, `'\n'`, `'\u{..}'`, `b'x'`), their quotes kept. A `'`
//! that starts no character literal is a lifetime or a label, left as written; `r#name` is a
//! raw identifier.
//!
//! Soundness is with respect to syn, which accepts only well-formed token trees: where the
//! text is not one, syn reports a parse error and no loop, so nothing is lost by giving up.
//! `read` gives up (the caller looks at the whole file, as before) on an unterminated
//! comment, string or character literal, a closing bracket with none open or of another
//! kind, or a bracket still open at the end.

use super::is_ident;
pub(super) use super::nesting::Nesting as RustCode;

/// Spans of a loop's or function's header and body (see `RustCode::header_and_body`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct HeaderAndBody {
    pub(super) header: (usize, usize),
    pub(super) body: (usize, usize),
}

impl RustCode {
    /// The first `{` at bracket depth 0 at or after `from`, before any `;` or closing bracket
    /// at that depth, with its partner: after a loop's or a function's header, its body.
    /// Brackets in between are skipped whole.
    pub(super) fn body_after(&self, from: usize) -> Option<(usize, usize)> {
        let c = &self.code;
        let mut k = from;
        while k < c.len() {
            match c[k] {
                b'{' => return self.close_of(k).map(|end| (k, end)),
                b'(' | b'[' => k = self.close_of(k)?,
                b';' | b'}' | b')' | b']' => return None,
                _ => {}
            }
            k += 1;
        }
        None
    }

    /// The header and body of the loop or function whose header starts at `from`: the header
    /// up to `body_after`'s braces and the braces when the header is plain (`plain_header`);
    /// else, for both, everything from `from` to the end of the bracket the header stands in
    /// (header and body are in there somewhere). `None` when no `{` follows at all.
    pub(super) fn header_and_body(&self, from: usize) -> Option<HeaderAndBody> {
        let (open, close) = self.body_after(from)?;
        Some(if self.plain_header(from, open) {
            HeaderAndBody {
                header: (from, open),
                body: (open, close),
            }
        } else {
            let end = self.enclosing_end(from);
            HeaderAndBody {
                header: (from, end),
                body: (from, end),
            }
        })
    }

    /// Whether the first `{` after a header (`code[from..open]`) surely starts the body: the
    /// header, outside its brackets, has no keyword that takes a block of its own (`unsafe`,
    /// `async`, `const`, `loop`, `if`, `match`, `while`, `for`, `else`, `move`, `return`,
    /// `break`), and ends the way an expression or a type ends (an identifier, a literal, `)`,
    /// `]`, `>` or `?`), so that the `{` cannot be a block an operator still waits for
    /// (`0..{ n }`, `0..unsafe { n }`, `-> Foo<{ N }>`).
    fn plain_header(&self, from: usize, open: usize) -> bool {
        const BLOCK_WORDS: &[&[u8]] = &[
            b"unsafe", b"async", b"const", b"loop", b"if", b"match", b"while", b"for", b"else",
            b"move", b"return", b"break",
        ];
        let c = &self.code;
        let Some(last) = c[from..open].iter().rposition(|b| !b.is_ascii_whitespace()) else {
            return false;
        };
        if !(is_ident(c[from + last])
            || matches!(c[from + last], b')' | b']' | b'>' | b'?' | b'"' | b'\''))
        {
            return false;
        }
        let mut k = from;
        while k < open {
            match c[k] {
                b'(' | b'[' => match self.close_of(k) {
                    Some(end) => k = end + 1,
                    None => return false,
                },
                b if is_ident(b) => {
                    let end = c[k..open]
                        .iter()
                        .position(|b| !is_ident(*b))
                        .map_or(open, |n| k + n);
                    if BLOCK_WORDS.contains(&&c[k..end]) {
                        return false;
                    }
                    k = end;
                }
                _ => k += 1,
            }
        }
        true
    }
}

/// How many bytes the UTF-8 character whose first byte is `b` takes (1 for a stray byte).
fn utf8_len(b: u8) -> usize {
    match b {
        0xf0..=0xf7 => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// Blank `code[from..to]` (line breaks kept).
fn blank(code: &mut [u8], from: usize, to: usize) {
    for b in &mut code[from..to] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
}

/// Read `t` as Rust (see the module documentation); `None` when it is not well formed.
pub(super) fn read(t: &[u8]) -> Option<RustCode> {
    let mut code = t.to_vec();
    let mut i = 0;
    while i < t.len() {
        match t[i] {
            b'/' if t.get(i + 1) == Some(&b'/') => {
                let end = memchr::memchr(b'\n', &t[i..]).map_or(t.len(), |n| i + n);
                blank(&mut code, i, end);
                i = end;
            }
            b'/' if t.get(i + 1) == Some(&b'*') => {
                let mut nest = 1usize;
                let mut k = i + 2;
                while nest > 0 {
                    match t.get(k..k + 2)? {
                        b"/*" => {
                            nest += 1;
                            k += 2;
                        }
                        b"*/" => {
                            nest -= 1;
                            k += 2;
                        }
                        _ => k += 1,
                    }
                }
                blank(&mut code, i, k);
                i = k;
            }
            b'"' => {
                let mut k = i + 1;
                loop {
                    match *t.get(k)? {
                        b'\\' => k += 2,
                        b'"' => break,
                        _ => k += 1,
                    }
                }
                blank(&mut code, i + 1, k);
                i = k + 1;
            }
            b'r' if raw_prefix(t, i) => {
                let mut k = i + 1;
                while t.get(k) == Some(&b'#') {
                    k += 1;
                }
                let hashes = k - i - 1;
                if t.get(k) != Some(&b'"') {
                    // `r#name`, a raw identifier (or `r` itself).
                    i += 1;
                    continue;
                }
                let open = k;
                let mut end = open + 1;
                loop {
                    let q = end + memchr::memchr(b'"', t.get(end..)?)?;
                    if t.len() >= q + 1 + hashes
                        && t[q + 1..q + 1 + hashes].iter().all(|&b| b == b'#')
                    {
                        end = q;
                        break;
                    }
                    end = q + 1;
                }
                blank(&mut code, open + 1, end);
                i = end + 1 + hashes;
            }
            b'\'' => {
                if t.get(i + 1) == Some(&b'\\') {
                    // An escape: `'\n'`, `'\''`, `'\u{10FFFF}'`.
                    let from = i + 3;
                    let close =
                        from + memchr::memchr(b'\'', t.get(from..(from + 10).min(t.len()))?)?;
                    blank(&mut code, i + 1, close);
                    i = close + 1;
                } else if let Some(&c) = t.get(i + 1)
                    && c != b'\''
                    && t.get(i + 1 + utf8_len(c)) == Some(&b'\'')
                {
                    let close = i + 1 + utf8_len(c);
                    blank(&mut code, i + 1, close);
                    i = close + 1;
                } else {
                    // A lifetime or a label.
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    RustCode::new(code)
}

/// Whether the `r` at `i` may start a raw string: the identifier it ends so far is `r`, `br`
/// or `cr`, and `"` or `#` follows.
fn raw_prefix(t: &[u8], i: usize) -> bool {
    if !matches!(t.get(i + 1), Some(b'"' | b'#')) {
        return false;
    }
    let mut s = i;
    while s > 0 && is_ident(t[s - 1]) {
        s -= 1;
    }
    matches!(&t[s..=i], b"r" | b"br" | b"cr")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(t: &str) -> String {
        String::from_utf8(read(t.as_bytes()).expect("reads").code).unwrap()
    }

    #[test]
    fn blanks_comments_and_literals() {
        assert_eq!(code("a // c { \nb"), format!("a{}\nb", " ".repeat(8)));
        assert_eq!(
            code("a /* x /* { */ y */ b"),
            format!("a {} b", " ".repeat(17))
        );
        assert_eq!(code(r#"f("{ \" }")"#), r#"f("      ")"#);
        assert_eq!(code(r###"f(r#"{ "" }"#)"###), r###"f(r#"      "#)"###);
        assert_eq!(code(r#"f(br"{")"#), r#"f(br" ")"#);
        assert_eq!(
            code("f('{', '\\'', '\\u{7b}', b'}')"),
            "f(' ', '  ', '      ', b' ')"
        );
        assert_eq!(code("f('é')"), "f('  ')");
        // Lifetimes, labels and raw identifiers stay.
        assert_eq!(
            code("fn f<'a>(x: &'a T) { 'l: loop {} }"),
            "fn f<'a>(x: &'a T) { 'l: loop {} }"
        );
        assert_eq!(code("let r#type = r#in;"), "let r#type = r#in;");
    }

    #[test]
    fn pairs_brackets() {
        let t = "fn f() { for i in (0..n) { g('}') } }";
        let c = read(t.as_bytes()).unwrap();
        let open = t.find('{').unwrap();
        assert_eq!(c.close_of(open), Some(t.len() - 1));
        let body = c.body_after(t.find(" in").unwrap()).unwrap();
        assert_eq!(&t[body.0..=body.1], "{ g('}') }");
        assert_eq!(c.close_of(1), None);
        assert_eq!(c.open_of(t.len() - 1), Some(open));
        assert_eq!(c.open_of(open), None);
        for t in ["()", "([]{})", "(", ")", "(]", "{[}]", ""] {
            assert_eq!(
                super::super::nesting::balanced(t.as_bytes()),
                RustCode::new(t.as_bytes().to_vec()).is_some(),
                "{t}"
            );
        }
    }

    #[test]
    fn gives_up_on_broken_text() {
        for t in [
            "fn f() {",
            "fn f() }",
            "fn f() { (] }",
            "\"open",
            "/* open",
            "/* /* */",
            "r#\"open\"",
            "'\\",
        ] {
            assert!(read(t.as_bytes()).is_none(), "{t:?}");
        }
    }
}
