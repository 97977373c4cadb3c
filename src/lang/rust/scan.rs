//! A cheap byte scan that estimates how deep `syn` will recurse on a file, before parsing it.
//!
//! `syn` is a recursive-descent parser and its syntax tree is dropped and visited recursively,
//! so a file with very deep nesting overflows the stack. Two things make the tree deep: nested
//! brackets, and long operator chains (`- - - x`, `a = b = c`, `a.b().c()...`) within one
//! statement. The scan skips comments, strings and char literals (roughly) and measures both.

/// What the scan found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// The deepest nesting of `(`, `[` and `{`.
    pub depth: usize,
    /// The most operator characters in one expression (summed over the enclosing brackets).
    pub chain: usize,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Scan `s`, stopping early once `depth` exceeds `max_depth` or `chain` exceeds `max_chain`.
pub fn scan(s: &str, max_depth: usize, max_chain: usize) -> Shape {
    let b = s.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut shape = Shape::default();
    // Operator count of the current expression at each open bracket level, and their sum.
    let mut levels: Vec<usize> = vec![0];
    let mut total = 0usize;
    while i < n {
        let c = b[i];
        if let Some(next) = skip_opaque(s, i) {
            i = next;
            continue;
        }
        match c {
            b'(' | b'[' | b'{' => {
                levels.push(0);
                total += 1;
                if levels.len() - 1 > shape.depth {
                    shape.depth = levels.len() - 1;
                    if shape.depth > max_depth {
                        return shape;
                    }
                }
            }
            b')' | b']' | b'}' => {
                if levels.len() > 1 {
                    let inner = levels.pop().unwrap_or(0);
                    total -= inner + 1;
                }
                if c == b'}' {
                    // A closing brace usually ends an item, a statement or a match arm.
                    if let Some(last) = levels.last_mut() {
                        total -= *last;
                        *last = 0;
                    }
                }
            }
            b';' | b',' => {
                if let Some(last) = levels.last_mut() {
                    total -= *last;
                    *last = 0;
                }
            }
            b'=' if b.get(i + 1) == Some(&b'>') => {
                // A match arm separator.
                if let Some(last) = levels.last_mut() {
                    total -= *last;
                    *last = 0;
                }
                i += 2;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'>') => {
                i += 2;
                continue;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'!' | b'=' | b'<' | b'>'
            | b'.' => {
                if let Some(last) = levels.last_mut() {
                    *last += 1;
                    total += 1;
                }
                // `total` counts each open bracket once and each operator once.
                if total > shape.chain {
                    shape.chain = total;
                    if shape.chain > max_chain {
                        return shape;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    shape
}

/// Where the comment, string, char literal or lifetime starting at `i` ends (the index after
/// it), or `None` when none starts there.
fn skip_opaque(s: &str, mut i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let n = b.len();
    let c = b[i];
    match c {
        b'/' if b.get(i + 1) == Some(&b'/') => {
            i = memchr::memchr(b'\n', &b[i..]).map_or(n, |k| i + k);
            Some(i)
        }
        b'/' if b.get(i + 1) == Some(&b'*') => {
            let mut nest = 1usize;
            i += 2;
            while i < n && nest > 0 {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    nest += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    nest -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            Some(i)
        }
        b'"' => {
            i += 1;
            while i < n && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            Some(i)
        }
        b'r' if matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
            && (i == 0
                || !is_ident_byte(b[i - 1])
                || (b[i - 1] == b'b' && (i < 2 || !is_ident_byte(b[i - 2])))) =>
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while j < n && b[j] == b'#' {
                hashes += 1;
                j += 1;
            }
            if j < n && b[j] == b'"' {
                j += 1;
                // Find `"` followed by `hashes` hashes.
                loop {
                    match memchr::memchr(b'"', &b[j..]) {
                        None => {
                            j = n;
                            break;
                        }
                        Some(k) => {
                            let q = j + k;
                            let end = q + 1 + hashes;
                            if end <= n && b[q + 1..end].iter().all(|&h| h == b'#') {
                                j = end;
                                break;
                            }
                            j = q + 1;
                        }
                    }
                }
                i = j;
                return Some(i);
            }
            // `r#ident` (a raw identifier): fall through as an ordinary byte.
            i += 1;
            Some(i)
        }
        b'\'' => {
            // A char literal (`'a'`, `'\n'`, `'é'`) or a lifetime (`'a`).
            if b.get(i + 1) == Some(&b'\\') {
                let lim = (i + 16).min(n);
                i = (i + 3..lim)
                    .find(|&k| b[k] == b'\'')
                    .map_or(i + 1, |k| k + 1);
            } else {
                let len = s[i + 1..].chars().next().map_or(1, char::len_utf8);
                if b.get(i + 1 + len) == Some(&b'\'') {
                    i += 2 + len;
                } else {
                    i += 1;
                }
            }
            Some(i)
        }
        _ => None,
    }
}

/// The byte ranges of the top-level items of `s`, in order: each ends at a `;` or a closing
/// brace back at bracket depth zero (attributes and comments before an item belong to it).
/// A file too deep for `syn` is analysed without the items that are too deep, found by
/// scanning each of these on its own.
pub fn items(s: &str) -> Vec<std::ops::Range<usize>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut depth, mut i) = (0, 0usize, 0);
    while i < b.len() {
        if let Some(next) = skip_opaque(s, i) {
            i = next;
            continue;
        }
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.push(start..i + 1);
                    start = i + 1;
                }
            }
            b';' if depth == 0 => {
                out.push(start..i + 1);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < b.len() {
        out.push(start..b.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_and_chain() {
        let s = scan("fn f() { let x = (1 + [2]); }", 256, 1024);
        assert_eq!(s.depth, 3);
        let s = scan("// ((((((\n\"(((((\" r#\"((((\"# '(' 'a f(x)", 256, 1024);
        assert_eq!(s.depth, 1);
        let s = scan(&format!("fn f() {{ {}1; }}", "- ".repeat(500)), 256, 1024);
        assert!(s.chain >= 500, "{s:?}");
        let arms: String = (0..2000).map(|i| format!("{i} => {{ a.b() }}\n")).collect();
        let s = scan(&format!("fn f() {{ match x {{ {arms} }} }}"), 256, 1024);
        assert!(s.chain < 16, "{s:?}");
        let s = scan(&"(".repeat(100_000), 256, 1024);
        assert_eq!(s.depth, 257);
    }
}
