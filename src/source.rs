//! File text and positions. Spans are byte ranges everywhere; lines and columns are computed
//! only when a finding is reported.

use crate::facts::Span;

/// 1-based line and column (the column counts Unicode scalar values, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Offsets of the first byte of every line.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

/// The offset after every line break of `text`: an LF, a CRLF, or a CR that no LF follows
/// (old Mac line endings, which Python and editors read as line breaks, as the LSP does), in
/// order. Linear: one scan for either byte.
pub fn line_breaks(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr2_iter(b'\n', b'\r', text)
        .filter(move |&i| ends_line(text, i))
        .map(|i| i + 1)
}

/// How many line breaks (`line_breaks`) end in `text[from..to]`: the lines `to` is below
/// `from`. Whether a CR at `to - 1` ends a line is read from the whole text.
pub fn breaks_in(text: &[u8], from: usize, to: usize) -> usize {
    memchr::memchr2_iter(b'\n', b'\r', &text[from..to])
        .filter(|&j| ends_line(text, from + j))
        .count()
}

/// Whether the LF or CR at `i` ends a line (the CR of a CRLF does not: its LF does).
fn ends_line(text: &[u8], i: usize) -> bool {
    text[i] == b'\n' || text.get(i + 1) != Some(&b'\n')
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(line_breaks(text.as_bytes()));
        LineIndex { starts }
    }

    /// 0-based line number of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let start = self.starts[line];
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// The text of a 0-based line, without its line terminator.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.starts.get(line).copied().unwrap_or(text.len());
        let end = self.starts.get(line + 1).copied().unwrap_or(text.len());
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Start and end (1-based, inclusive end) of a span.
    pub fn range(&self, text: &str, span: Span) -> (LineCol, LineCol) {
        (
            self.line_col(text, span.start),
            self.line_col(text, span.end),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_cr_and_crlf_end_lines_as_lf_does() {
        let text = "a\rb\r\nc\nd\r";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 5);
        let at = |c: char| idx.line_col(text, text.find(c).unwrap());
        assert_eq!(at('b'), LineCol { line: 2, column: 1 });
        assert_eq!(at('c'), LineCol { line: 3, column: 1 });
        assert_eq!(at('d'), LineCol { line: 4, column: 1 });
        assert_eq!(idx.line_text(text, 0), "a");
        assert_eq!(idx.line_text(text, 1), "b");
        // The CR of a CRLF ends its line only with the LF, also where a range ends between.
        let crlf = text.find('\n').unwrap();
        assert_eq!(breaks_in(text.as_bytes(), 0, crlf), 1);
        assert_eq!(breaks_in(text.as_bytes(), 0, crlf + 1), 2);
        assert_eq!(breaks_in(text.as_bytes(), 0, text.len()), 4);
    }

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let text = "ab\nçd ef\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        let e = text.find('e').unwrap();
        assert_eq!(idx.line_col(text, e), LineCol { line: 2, column: 4 });
        assert_eq!(idx.line_text(text, 1), "çd ef");
        assert_eq!(idx.line_col(text, text.len()).line, 3);
    }
}
