//! A Ruby lexer for the prefilter: which bytes of a file are code, as tree-sitter-ruby reads
//! them. `code_only` returns a copy of the text with every byte that is not code (comments,
//! string, symbol, regexp, character, `%` and backtick literals, hash labels, heredoc bodies,
//! `=begin` blocks) replaced by a space, line breaks kept, and the
//! prefilter's Ruby requirements are then checked on that copy: a spawn word in prose, a
//! string, a symbol or a label admits no file. Interpolations (`#{...}`, also in heredocs)
//! stay code.
//!
//! Soundness is the point, not coverage: the findings come from tree-sitter-ruby's tree, so
//! what counts is how tree-sitter-ruby reads a spelling, not how Ruby does. Where that depends
//! on context (`y /2; z # /` is a division in Ruby when `y` is a local variable; tree-sitter,
//! which tracks no variables, reads a regexp), the reading was probed, one spelling at a time,
//! with a spawn call that one reading hides and the other does not
//! (`tests.rs`: `ruby_lexer_agrees_with_tree_sitter_on_ambiguous_spellings`), and the lexer
//! follows the probes:
//! - `/` opens a regexp where an expression starts (after an operator, `(`, `,`, a keyword,
//!   or at the start of a line, whatever the line before ended with) and after a name and a
//!   space with no space after it (`foo /x/`); it divides after a name without a space and
//!   after `)`, `]`, `}`, a number, a string or a symbol;
//! - `%` opens a literal where an expression starts and after a name (`foo %w(a)`,
//!   `foo%(a)`); after `)`, `]` or a number it is a modulo;
//! - `<<` and a name or a quote opens a heredoc where an expression starts and after a name
//!   or a string (`x <<EOS`: tree-sitter does not know `x` is a variable), never with a space
//!   after `<<`;
//! - `?` and a character is a character literal where an expression starts (`chomp(?/)`);
//! - `:` and a name is a symbol after an operator, and the ternary's `:` after a value
//!   (`c ? a :system(x)` calls `system`); a label is a name and `:` after `(`, `,` or `{`.
//!
//! Every other spelling whose reading depends on context makes it give up (`lex` says why;
//! `code_only` is then `None` and the file is judged on its whole text, as before):
//! `/=` and `%=` after a value, `%` and a delimiter after a string or `)`, a heredoc start
//! after `)`, a number or `class`, `?` and punctuation after a value, operator method
//! names (`def /`, ``def ` ``, `x./`), `%` delimiters tree-sitter reads differently from Ruby
//! (`%#`, `%;`, `%=`, `%\`, whitespace), escaped character literals beyond one letter
//! (`?\u0041`), a heredoc line that only nearly ends it (`EOS ` with a trailing space, an
//! indented `EOS` for `<<EOS`), a line break in an interpolation in a heredoc or in a literal
//! after a heredoc's start, a heredoc opened in an interpolation, a regexp whose end falls
//! inside a character class (`/[/]/`), a `__END__` line (after a syntax error tree-sitter's
//! recovery reads on past it), brackets that do not pair up in the code (a syntax error, after
//! which the recovery may read literals as code), anything unterminated, a NUL byte (tree-sitter ends a
//! comment there), and nesting deeper than [`MAX_DEPTH`]. On the benchmark corpus it gives up
//! on 4 of the 299 Ruby files a run parses.
//!
//! Linear in the text: every byte is looked at a bounded number of times. It runs only on
//! files the whole text admits.

use super::is_ident;

/// How deep literals and interpolations may nest before the lexer gives up.
const MAX_DEPTH: usize = 64;

/// What came before the current position in code, for the bytes whose reading depends on it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Prev {
    /// An operator, an opening bracket, `,`, `;`, a keyword that takes an expression, or the
    /// start of the file: an expression starts here (`/` opens a regexp).
    Op,
    /// An identifier-like value: a local or method name (also with `?`/`!`), a constant, an
    /// instance or global variable, `self`, `end`. tree-sitter reads `<<EOS` after it as a
    /// heredoc, `/x` after a space as a regexp, `/` without a space as a division.
    Ident,
    /// A string literal's end: a heredoc may follow (adjacent literals concatenate).
    StrEnd,
    /// `)`, `]`, `}`, a number, a symbol, a character literal: `/` after it divides.
    Close,
    /// Any other value (a regexp, a `%w` list, a backtick, `nil`, `class`): ambiguous
    /// spellings after it make the lexer give up.
    Value,
    /// `.`/`&.` or `def`: an operator here is a method name.
    Method,
}

/// A literal being read.
#[derive(Clone, Copy, Debug)]
struct Lit {
    /// The closing delimiter, and the opening one when it nests (`%w(a (b) c)`), else 0.
    close: u8,
    open: u8,
    nest: u32,
    interp: bool,
    regex: bool,
    /// Open `[` of a character class in a regexp.
    class: u32,
    /// What the code after the literal reads as.
    after: Prev,
}

enum Frame {
    /// Code: the top level, or an interpolation `#{...}` with its open braces.
    Code {
        braces: u32,
    },
    Lit(Lit),
    /// A heredoc's body, from its first line to its terminator line.
    Heredoc(Pending),
}

/// A heredoc whose body starts after the current line.
struct Pending {
    id: Vec<u8>,
    /// `<<~` and `<<-`: the terminator may be indented.
    indent: bool,
    interp: bool,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0c' | b'\x0b')
}

/// Keywords after which an expression starts.
const EXPR_KEYWORDS: &[&[u8]] = &[
    b"and", b"begin", b"break", b"case", b"do", b"else", b"elsif", b"ensure", b"if", b"in",
    b"next", b"not", b"or", b"rescue", b"return", b"then", b"unless", b"until", b"when", b"while",
    b"yield",
];

/// The text with every non-code byte blanked (see the module documentation), or `None` when
/// the lexer cannot be sure which bytes are code.
pub(super) fn code_only(t: &[u8]) -> Option<Vec<u8>> {
    lex(t).ok()
}

fn blank(out: &mut [u8], a: usize, b: usize) {
    for c in &mut out[a..b] {
        if !matches!(*c, b'\n' | b'\r') {
            *c = b' ';
        }
    }
}

/// The `%` literal types (`%w[..]`), and the delimiters tree-sitter-ruby was checked to read
/// as Ruby does after a type and without one (`%(..)`): never `#`, `;`, `=`, `\`, a
/// backtick, whitespace or a letter.
const PERCENT_TYPES: &[u8] = b"qQwWiIsrx";
const TYPED_DELIMS: &[u8] = b"([{<|!/^~-+*.,:@$&?%'\"";
const BARE_DELIMS: &[u8] = b"([{<|!/^~-+*.,:@$&?";

/// [`code_only`], or why the lexer gave up.
pub(super) fn lex(t: &[u8]) -> Result<Vec<u8>, &'static str> {
    let out = lex_literals(t)?;
    // Brackets that do not pair up in the code are a syntax error, after which tree-sitter's
    // recovery may read literals, heredoc bodies or `=begin` blocks as code (mutated fixtures
    // lost findings that way): the whole text is judged.
    if !super::nesting::balanced(&out) {
        return Err("unbalanced brackets");
    }
    Ok(out)
}

/// `lex` without the bracket check.
fn lex_literals(t: &[u8]) -> Result<Vec<u8>, &'static str> {
    if memchr::memchr(0, t).is_some() {
        // tree-sitter ends a comment at a NUL, Ruby does not.
        return Err("a NUL byte");
    }
    let mut out = t.to_vec();
    let mut stack: Vec<Frame> = vec![Frame::Code { braces: 0 }];
    let mut pending: Vec<Pending> = Vec::new();
    // Heredoc bodies on the stack.
    let mut heredocs = 0usize;
    let mut prev = Prev::Op;
    // The last code byte that was not whitespace, and whether whitespace followed it.
    let mut last = 0u8;
    let mut spaced = false;
    let mut i = 0usize;
    let n = t.len();
    while i < n {
        let c = t[i];
        let depth = stack.len();
        let bol = i == 0 || t[i - 1] == b'\n';
        match stack.last_mut().expect("the top frame stays") {
            Frame::Heredoc(h) => {
                if bol {
                    let end = memchr::memchr(b'\n', &t[i..]).map_or(n, |k| i + k);
                    let line = &t[i..end];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let s = line
                        .iter()
                        .position(|b| !is_space(*b))
                        .unwrap_or(line.len());
                    let trimmed = &line[s..];
                    if (if h.indent { trimmed } else { line }) == h.id.as_slice() {
                        blank(&mut out, i, end);
                        i = (end + 1).min(n);
                        stack.pop();
                        heredocs -= 1;
                        if !pending.is_empty() {
                            stack.push(Frame::Heredoc(pending.remove(0)));
                            heredocs += 1;
                        }
                        continue;
                    }
                    if trimmed.starts_with(&h.id)
                        && trimmed.get(h.id.len()).is_none_or(|b| !is_ident(*b))
                    {
                        // `EOS ` or `  EOS` where only `EOS` ends it: how tree-sitter reads
                        // it was not settled.
                        return Err("a heredoc line that could end it");
                    }
                }
                if c == b'\\' {
                    if matches!(t.get(i + 1), Some(b'\n' | b'\r')) {
                        return Err("a line continuation in a heredoc");
                    }
                    let e = (i + 2).min(n);
                    blank(&mut out, i, e);
                    i = e;
                } else if h.interp && c == b'#' && t.get(i + 1) == Some(&b'{') {
                    open_interpolation(&mut stack, &mut out, i)?;
                    i += 2;
                    (prev, last, spaced) = (Prev::Op, b'{', false);
                } else {
                    blank(&mut out, i, i + 1);
                    i += 1;
                }
                continue;
            }
            Frame::Lit(lit) => {
                let lit_start = i;
                if c == b'\\' {
                    i = (i + 2).min(n);
                } else if lit.interp && c == b'#' && t.get(i + 1) == Some(&b'{') {
                    open_interpolation(&mut stack, &mut out, i)?;
                    i += 2;
                    (prev, last, spaced) = (Prev::Op, b'{', false);
                    continue;
                } else if c == b'\n' && (!pending.is_empty() || heredocs > 0) {
                    return Err("a multi-line literal after a heredoc start or in a heredoc");
                } else if lit.regex && c == b'[' && lit.open != b'[' {
                    lit.class += 1;
                    i += 1;
                } else if lit.regex && c == b']' && lit.class > 0 && lit.open != b'[' {
                    lit.class -= 1;
                    i += 1;
                } else if lit.open != 0 && c == lit.open {
                    lit.nest += 1;
                    i += 1;
                } else if c == lit.close {
                    if lit.nest > 0 {
                        lit.nest -= 1;
                        i += 1;
                    } else {
                        if lit.class > 0 {
                            // `/[/]/`: where the regexp ends was not settled.
                            return Err("a regexp ending inside a character class");
                        }
                        i += 1;
                        if lit.regex {
                            while i < n && t[i].is_ascii_lowercase() {
                                i += 1;
                            }
                        }
                        prev = lit.after;
                        last = b'"';
                        spaced = false;
                        blank(&mut out, lit_start, i);
                        stack.pop();
                        continue;
                    }
                } else {
                    i += 1;
                }
                blank(&mut out, lit_start, i);
                continue;
            }
            Frame::Code { braces } => {
                if bol && depth == 1 {
                    // Column 0 of the top level.
                    if c == b'=' && starts_line_word(t, i + 1, b"begin") {
                        let end = find_line_word(t, i, b"=end").ok_or("an unterminated =begin")?;
                        blank(&mut out, i, end);
                        i = end;
                        continue;
                    }
                    if c == b'_' && line_is(t, i, b"__END__") {
                        // What follows is no code in a file tree-sitter parses cleanly, but
                        // after a syntax error its recovery reads on past `__END__` (a
                        // mutated fixture lost two `system` findings when the tail was
                        // blanked): the whole text is judged.
                        return Err("__END__");
                    }
                }
                if c == b'\n' {
                    // tree-sitter reads `/`, `%`, `<<` and `?` at the start of a line as the
                    // start of an expression, whatever the line before ended with, also
                    // inside brackets (probed).
                    if prev != Prev::Method {
                        prev = Prev::Op;
                    }
                    i += 1;
                    if heredocs > 0 {
                        return Err("a line break in an interpolation in a heredoc");
                    }
                    if !pending.is_empty() {
                        if depth > 1 {
                            return Err("a heredoc opened in an interpolation");
                        }
                        stack.push(Frame::Heredoc(pending.remove(0)));
                        heredocs += 1;
                    }
                    continue;
                }
                if is_space(c) {
                    spaced = true;
                    i += 1;
                    continue;
                }
                let after_space = spaced;
                spaced = false;
                let next = t.get(i + 1).copied();
                match c {
                    b'#' => {
                        let end = memchr::memchr(b'\n', &t[i..]).map_or(n, |k| i + k);
                        blank(&mut out, i, end);
                        i = end;
                        // The comment is whitespace to what follows.
                        spaced = true;
                        continue;
                    }
                    b'\\' => {
                        // A line continuation; anything else is no Ruby.
                        let k = if t.get(i + 1) == Some(&b'\r') {
                            i + 2
                        } else {
                            i + 1
                        };
                        if t.get(k) != Some(&b'\n') || !pending.is_empty() {
                            return Err("a backslash outside a literal");
                        }
                        i = k + 1;
                        spaced = true;
                        continue;
                    }
                    b'"' | b'\'' | b'`' => {
                        if c == b'`' && prev == Prev::Method {
                            return Err("a backtick method name");
                        }
                        let after = if c == b'`' { Prev::Value } else { Prev::StrEnd };
                        open_lit(&mut stack, &mut out, i, 1, c, c != b'\'', false, after)?;
                        i += 1;
                        continue;
                    }
                    b'/' => {
                        let regex = match prev {
                            Prev::Op => true,
                            Prev::Method => return Err("`/` after a method dot"),
                            _ => match next {
                                None => false,
                                Some(b) if is_space(b) || b == b'\n' => false,
                                Some(b'=') => return Err("`/=` after a value"),
                                // `foo /x/` is a regexp, `foo/x` and `(a) /x` divisions.
                                Some(_) => match prev {
                                    Prev::Ident => after_space,
                                    Prev::StrEnd | Prev::Close => false,
                                    _ if !after_space => false,
                                    _ => return Err("`/` after a value and a space"),
                                },
                            },
                        };
                        if regex {
                            open_lit(&mut stack, &mut out, i, 1, b'/', true, true, Prev::Value)?;
                            i += 1;
                            continue;
                        }
                    }
                    b'%' => {
                        // A literal's type and delimiter, if it can open one here.
                        let opener = match next {
                            Some(k) if PERCENT_TYPES.contains(&k) => t
                                .get(i + 2)
                                .filter(|d| TYPED_DELIMS.contains(d))
                                .map(|d| (k, *d, 3)),
                            Some(d) if BARE_DELIMS.contains(&d) => Some((b'Q', d, 2)),
                            _ => None,
                        };
                        let literal = match (prev, next) {
                            (Prev::Method, _) => return Err("`%` after a method dot"),
                            (_, None) => false,
                            (Prev::Op, _) => match opener {
                                Some(_) => true,
                                None => return Err("a `%` literal read differently"),
                            },
                            (_, Some(b)) if is_space(b) || b == b'\n' => false,
                            (_, Some(b'=')) => return Err("`%=` after a value"),
                            // `foo %w(a b)` and `foo%(a)` open literals (probed).
                            (Prev::Ident, _) if opener.is_some() => true,
                            (_, Some(b)) if opener.is_none() && is_ident(b) => false,
                            _ => return Err("`%` and a delimiter after a value"),
                        };
                        if literal {
                            let (kind, d, len) = opener.expect("checked");
                            let interp = matches!(kind, b'Q' | b'W' | b'I' | b'r' | b'x');
                            let after = match kind {
                                b'q' | b'Q' => Prev::StrEnd,
                                _ => Prev::Value,
                            };
                            open_lit(&mut stack, &mut out, i, len, d, interp, kind == b'r', after)?;
                            i += len;
                            continue;
                        }
                    }
                    b'<' if next == Some(b'<') => {
                        if let Some((h, len)) = heredoc_start(t, i + 2) {
                            match prev {
                                Prev::Op | Prev::Ident | Prev::StrEnd => {}
                                _ => return Err("a heredoc start after a value"),
                            }
                            if depth > 1 {
                                return Err("a heredoc opened in an interpolation");
                            }
                            pending.push(h);
                            blank(&mut out, i, i + 2 + len);
                            i += 2 + len;
                            prev = Prev::StrEnd;
                            last = b'"';
                            continue;
                        }
                        // A shift, `<<=`, or a method named `<<`.
                        i += 2;
                        prev = Prev::Op;
                        last = b'<';
                        continue;
                    }
                    b'?' => {
                        if i > 0 && is_ident(t[i - 1]) && !after_space {
                            // A method name's `?` (`empty?`).
                            if matches!(next, Some(b'"' | b'\'' | b'`' | b'\\')) {
                                return Err("a quote after a method name's `?`");
                            }
                            i += 1;
                            prev = Prev::Ident;
                            last = c;
                            continue;
                        }
                        match next {
                            None => {}
                            Some(b) if is_space(b) || b == b'\n' => {}
                            Some(b) if b.is_ascii_alphanumeric() || b == b'_' => {}
                            Some(_) if prev == Prev::Op => {
                                // A character literal: no operand for a ternary here (probed:
                                // `chomp(?/)`, `x != ?%`, `?\r`, `?"`).
                                let e = match next {
                                    Some(b'\\') => match t.get(i + 2) {
                                        Some(b)
                                            if b.is_ascii_alphanumeric()
                                                && !b"abefnrstv".contains(b) =>
                                        {
                                            return Err("an escaped character literal");
                                        }
                                        Some(_) => i + 3,
                                        None => return Err("an unterminated literal or heredoc"),
                                    },
                                    Some(b) if b.is_ascii() => i + 2,
                                    _ => return Err("`?` and punctuation"),
                                };
                                if t.get(e).is_some_and(|b| is_ident(*b)) {
                                    return Err("`?` and punctuation");
                                }
                                blank(&mut out, i, e);
                                i = e;
                                prev = Prev::Close;
                                last = b'"';
                                continue;
                            }
                            Some(_) => return Err("`?` and punctuation"),
                        }
                    }
                    b':' => {
                        if next == Some(b':') {
                            i += 2;
                            prev = Prev::Op;
                            last = b':';
                            continue;
                        }
                        match next {
                            Some(q @ (b'"' | b'\'')) => {
                                open_lit(
                                    &mut stack,
                                    &mut out,
                                    i,
                                    2,
                                    q,
                                    q == b'"',
                                    false,
                                    Prev::Close,
                                )?;
                                i += 2;
                                continue;
                            }
                            Some(b'/' | b'%' | b'<' | b'`') => {
                                // An operator's symbol as an argument or element (`:<<,`,
                                // `respond_to?(:<)`, `[:`]`): probed.
                                let op = [&b"<=>"[..], b"<<", b"<=", b"<", b"/", b"%", b"`"]
                                    .into_iter()
                                    .find(|op| t[i + 1..].starts_with(op))
                                    .ok_or("an operator symbol")?;
                                let e = i + 1 + op.len();
                                if !t.get(e).is_none_or(|b| b",)]}\n\r".contains(b)) {
                                    return Err("an operator symbol");
                                }
                                blank(&mut out, i, e);
                                i = e;
                                prev = Prev::Close;
                                last = b'"';
                                continue;
                            }
                            Some(b) if is_ident(b) && !b.is_ascii_digit() => {
                                let mut e = i + 1;
                                while e < n && is_ident(t[e]) {
                                    e += 1;
                                }
                                if matches!(t.get(e), Some(b'?' | b'!')) {
                                    e += 1;
                                }
                                if prev == Prev::Op {
                                    // A symbol: after an operator, `(`, `,` or a keyword no
                                    // operand ends here, so this `:` is no ternary's.
                                    blank(&mut out, i, e);
                                    i = e;
                                    prev = Prev::Close;
                                    last = b'"';
                                    continue;
                                }
                                // `c ? a :b` reads as `:` and then a name, which may be
                                // no name; what follows it is ambiguous either way.
                                i = e;
                                prev = Prev::Value;
                                last = b'a';
                                continue;
                            }
                            _ => {}
                        }
                    }
                    b'$' => {
                        let e = match next {
                            Some(b) if is_ident(b) && !b.is_ascii_digit() => ident_end(t, i + 1),
                            Some(b) if b.is_ascii_digit() => {
                                let mut e = i + 1;
                                while e < n && t[e].is_ascii_digit() {
                                    e += 1;
                                }
                                e
                            }
                            Some(b'-') if t.get(i + 2).is_some_and(|b| is_ident(*b)) => i + 3,
                            // Probed: `$"`, `$'` and `` $` `` are globals.
                            Some(
                                b'!' | b'@' | b'&' | b'+' | b'~' | b'=' | b'/' | b'\\' | b','
                                | b';' | b'.' | b'<' | b'>' | b'*' | b'$' | b'?' | b':' | b'"'
                                | b'\'' | b'`',
                            ) => i + 2,
                            _ => return Err("an unusual global variable"),
                        };
                        i = e;
                        prev = Prev::Ident;
                        last = b'$';
                        continue;
                    }
                    b'@' => {
                        let mut e = i + 1;
                        if t.get(e) == Some(&b'@') {
                            e += 1;
                        }
                        if t.get(e).is_some_and(|b| is_ident(*b)) {
                            i = ident_end(t, e);
                            prev = Prev::Ident;
                            last = b'@';
                            continue;
                        }
                    }
                    b'.' => {
                        if next == Some(b'.') {
                            let mut e = i + 2;
                            if t.get(e) == Some(&b'.') {
                                e += 1;
                            }
                            i = e;
                            prev = Prev::Op;
                            last = b'.';
                            continue;
                        }
                        i += 1;
                        prev = Prev::Method;
                        last = c;
                        continue;
                    }
                    b'{' => {
                        *braces += 1;
                        i += 1;
                        prev = Prev::Op;
                        last = c;
                        continue;
                    }
                    b'}' => {
                        if *braces == 0 && depth > 1 {
                            // The end of an interpolation: back in its literal.
                            blank(&mut out, i, i + 1);
                            stack.pop();
                            i += 1;
                            continue;
                        }
                        *braces = braces.saturating_sub(1);
                        i += 1;
                        prev = Prev::Close;
                        last = c;
                        continue;
                    }
                    b')' | b']' => {
                        i += 1;
                        prev = Prev::Close;
                        last = c;
                        continue;
                    }
                    b'0'..=b'9' => {
                        let mut e = i;
                        while e < n
                            && (is_ident(t[e])
                                || (t[e] == b'.' && t.get(e + 1).is_some_and(u8::is_ascii_digit)))
                        {
                            e += 1;
                        }
                        i = e;
                        prev = Prev::Close;
                        last = b'0';
                        continue;
                    }
                    _ if is_ident(c) => {
                        let e = ident_end(t, i);
                        let word = &t[i..e];
                        let was_method = prev == Prev::Method;
                        i = e;
                        // `save!` (not `x != y`): one name.
                        if t.get(i) == Some(&b'!') && !matches!(t.get(i + 1), Some(b'=' | b'~')) {
                            i += 1;
                        }
                        // A label (`system: true`) in an argument list or a hash.
                        if t.get(i) == Some(&b':')
                            && t.get(i + 1) != Some(&b':')
                            && matches!(last, b'(' | b',' | b'{')
                            && prev == Prev::Op
                        {
                            blank(&mut out, e - word.len(), i + 1);
                            i += 1;
                            last = b',';
                            continue;
                        }
                        last = b'a';
                        prev = if was_method {
                            Prev::Ident
                        } else if word == b"def" {
                            Prev::Method
                        } else if matches!(
                            word,
                            b"class" | b"nil" | b"true" | b"false" | b"__FILE__" | b"__LINE__"
                        ) {
                            // `class <<self` is no heredoc; what tree-sitter makes of the
                            // others before `<<EOS` or `/x/` was not probed.
                            Prev::Value
                        } else if EXPR_KEYWORDS.contains(&word) {
                            Prev::Op
                        } else {
                            Prev::Ident
                        };
                        continue;
                    }
                    _ => {}
                }
                // Any other operator or punctuation.
                i += 1;
                prev = Prev::Op;
                last = c;
            }
        }
    }
    if stack.len() != 1 || !pending.is_empty() {
        return Err("an unterminated literal or heredoc");
    }
    Ok(out)
}

/// Enters the interpolation whose `#{` is at `at` (blanked: the code is what it holds).
fn open_interpolation(
    stack: &mut Vec<Frame>,
    out: &mut [u8],
    at: usize,
) -> Result<(), &'static str> {
    if stack.len() >= MAX_DEPTH {
        return Err("nesting too deep");
    }
    blank(out, at, at + 2);
    stack.push(Frame::Code { braces: 0 });
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn open_lit(
    stack: &mut Vec<Frame>,
    out: &mut [u8],
    at: usize,
    len: usize,
    delim: u8,
    interp: bool,
    regex: bool,
    after: Prev,
) -> Result<(), &'static str> {
    if stack.len() >= MAX_DEPTH {
        return Err("nesting too deep");
    }
    let (open, close) = match delim {
        b'(' => (b'(', b')'),
        b'[' => (b'[', b']'),
        b'{' => (b'{', b'}'),
        b'<' => (b'<', b'>'),
        d => (0, d),
    };
    for c in &mut out[at..at + len] {
        *c = b' ';
    }
    stack.push(Frame::Lit(Lit {
        close,
        open,
        nest: 0,
        interp,
        regex,
        class: 0,
        after,
    }));
    Ok(())
}

fn ident_end(t: &[u8], mut i: usize) -> usize {
    while i < t.len() && is_ident(t[i]) {
        i += 1;
    }
    i
}

/// Whether `word` starts at `i` and is followed by whitespace or the end of the line.
fn starts_line_word(t: &[u8], i: usize, word: &[u8]) -> bool {
    t[i..].starts_with(word)
        && t.get(i + word.len())
            .is_none_or(|b| is_space(*b) || *b == b'\n')
}

/// Whether the line at `i` is exactly `word` (a `\r` before its line break allowed).
fn line_is(t: &[u8], i: usize, word: &[u8]) -> bool {
    let end = memchr::memchr(b'\n', &t[i..]).map_or(t.len(), |k| i + k);
    let line = &t[i..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line == word
}

/// The offset after the line (from the one after `from`) that starts with `word` at column
/// 0 followed by whitespace or its end (`=end`), or `None` when there is none.
fn find_line_word(t: &[u8], from: usize, word: &[u8]) -> Option<usize> {
    let mut at = memchr::memchr(b'\n', &t[from..]).map(|k| from + k + 1)?;
    loop {
        if starts_line_word(t, at, word) {
            return Some(memchr::memchr(b'\n', &t[at..]).map_or(t.len(), |k| at + k + 1));
        }
        at = memchr::memchr(b'\n', &t[at..]).map(|k| at + k + 1)?;
    }
}

/// A heredoc start after `<<` at `i`: `~`/`-`, then a name or a quoted one. Its length.
fn heredoc_start(t: &[u8], i: usize) -> Option<(Pending, usize)> {
    let mut k = i;
    let indent = matches!(t.get(k), Some(b'~' | b'-'));
    if indent {
        k += 1;
    }
    match *t.get(k)? {
        q @ (b'"' | b'\'' | b'`') => {
            let close = memchr::memchr2(q, b'\n', &t[k + 1..]).map(|e| k + 1 + e)?;
            if t[close] != q || close == k + 1 {
                return None;
            }
            let id = t[k + 1..close].to_vec();
            Some((
                Pending {
                    id,
                    indent,
                    interp: q != b'\'',
                },
                close + 1 - i,
            ))
        }
        b if is_ident(b) && !b.is_ascii_digit() => {
            let e = ident_end(t, k);
            Some((
                Pending {
                    id: t[k..e].to_vec(),
                    indent,
                    interp: true,
                },
                e - i,
            ))
        }
        _ => None,
    }
}
