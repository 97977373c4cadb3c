//! fdlint's data in LSP's terms: byte offsets as positions in the negotiated encoding, file
//! paths as `file://` URIs, findings and file problems as diagnostics, edits as workspace edits.
//!
//! Spans are byte ranges everywhere in fdlint; LSP counts characters in UTF-16 code units by
//! default (UTF-8 or UTF-32 when the client offers them). The conversion happens only here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;

use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Position, PositionEncodingKind, Range, TextEdit, Uri, WorkspaceEdit,
};
use percent_encoding::percent_decode_str;

use crate::engine::{FileProblem, ProblemKind};
use crate::facts::Span;
use crate::finding::{Finding, Severity};

/// The `source` of every diagnostic the server publishes.
pub const SOURCE: &str = "fdlint";

/// How a [`Position`]'s `character` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// The encoding to use among those the client offers: UTF-8 when offered (it is fdlint's
    /// own, so no counting), then UTF-32, else UTF-16, which every client must support.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        let offered = offered.unwrap_or_default();
        if offered.contains(&PositionEncodingKind::UTF8) {
            Encoding::Utf8
        } else if offered.contains(&PositionEncodingKind::UTF32) {
            Encoding::Utf32
        } else {
            Encoding::Utf16
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn units(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf32 => 1,
        }
    }
}

/// A document's line starts, for converting between byte offsets and positions. Lines end at
/// `\n`, `\r\n` or a lone `\r`, as the LSP counts them; the `\r` of a CRLF is the end of its line's content, so a position past the content
/// of a CRLF line is clamped before the `\r`.
#[derive(Debug, Clone)]
pub struct Lines {
    starts: Vec<usize>,
    encoding: Encoding,
}

impl Lines {
    pub fn new(text: &str, encoding: Encoding) -> Lines {
        let mut starts = vec![0];
        starts.extend(crate::source::line_breaks(text.as_bytes()));
        Lines { starts, encoding }
    }

    /// The byte range of a 0-based line's content, without its terminator.
    pub fn line_range(&self, text: &str, line: usize) -> Span {
        let Some(&start) = self.starts.get(line) else {
            return Span::new(text.len(), text.len());
        };
        let mut end = self.starts.get(line + 1).map_or(text.len(), |s| s - 1);
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        Span::new(start, end)
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// The position of a byte offset (clamped to the text, and back to a char boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.starts[line];
        let character = match self.encoding {
            Encoding::Utf8 => offset - start,
            enc => text[start..offset].chars().map(|c| enc.units(c)).sum(),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start),
            self.position(text, span.end),
        )
    }

    /// The byte offset of a position. A line past the end is the end of the text; a character
    /// past the line's content is the end of the content; one inside a character (half of a
    /// UTF-16 surrogate pair) is that character's start.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let line = self.line_range(text, pos.line as usize);
        let content = &text[line.start..line.end];
        let want = pos.character as usize;
        let mut units = 0;
        for (i, c) in content.char_indices() {
            let next = units + self.encoding.units(c);
            if next > want {
                return line.start + i;
            }
            units = next;
        }
        line.end
    }
}

/// The file a `file://` URI names; `None` for other schemes (`untitled:`) and for URIs with a
/// host other than `localhost`.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s
        .strip_prefix("file://")
        .or_else(|| s.strip_prefix("FILE://"))?;
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(i) if rest[..i].eq_ignore_ascii_case("localhost") => &rest[i..],
        _ => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    Some(PathBuf::from(decoded.into_owned()))
}

fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Note => DiagnosticSeverity::INFORMATION,
    }
}

/// A finding as a diagnostic: code, severity, a link to the rule's documentation, the help and
/// notes after the message, and every label as related information in the same document.
pub fn diagnostic(uri: &Uri, text: &str, lines: &Lines, f: &Finding) -> Diagnostic {
    let mut message = f.message.clone();
    if !f.help.is_empty() {
        message.push_str("\nhelp: ");
        message.push_str(&f.help);
    }
    for n in &f.notes {
        message.push_str("\nnote: ");
        message.push_str(n);
    }
    let mut related = Vec::with_capacity(f.labels.len() + 1);
    if !f.span_label.is_empty() {
        related.push(DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), lines.range(text, f.span)),
            message: f.span_label.clone(),
        });
    }
    related.extend(f.labels.iter().map(|l| DiagnosticRelatedInformation {
        location: Location::new(uri.clone(), lines.range(text, l.span)),
        message: l.message.clone(),
    }));
    Diagnostic {
        range: lines.range(text, f.span),
        severity: Some(severity(f.severity)),
        code: Some(NumberOrString::String(f.rule.code.to_string())),
        code_description: Uri::from_str(&f.rule.url())
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// A file problem (syntax error, timeout, unusable suppression comment) as a diagnostic on its
/// line, or on the first line when it has none. It has no code: it is not a rule's finding.
pub fn problem_diagnostic(text: &str, lines: &Lines, p: &FileProblem) -> Diagnostic {
    let line = p.line.map_or(0, |l| l.saturating_sub(1));
    let span = lines.line_range(text, line);
    let severity = match p.kind {
        ProblemKind::InvalidSuppression => DiagnosticSeverity::WARNING,
        _ => DiagnosticSeverity::INFORMATION,
    };
    Diagnostic {
        range: lines.range(text, span),
        severity: Some(severity),
        source: Some(SOURCE.to_string()),
        message: p.message.clone(),
        ..Diagnostic::default()
    }
}

/// Byte-range edits of one document as a workspace edit. Edits are sorted by position; an edit
/// that overlaps one before it is dropped (as ruff applies fixes: never overlapping), so the
/// result is always applicable. Returns `None` when no edit is left.
pub fn workspace_edit<'a>(
    uri: &Uri,
    text: &str,
    lines: &Lines,
    edits: impl IntoIterator<Item = (Span, &'a str)>,
) -> Option<WorkspaceEdit> {
    let mut edits: Vec<(Span, &str)> = edits
        .into_iter()
        .filter(|(s, _)| s.start <= s.end && s.end <= text.len())
        .collect();
    edits.sort_by_key(|(s, _)| (s.start, s.end));
    let mut out: Vec<TextEdit> = Vec::with_capacity(edits.len());
    let mut last_end = 0;
    let mut last_insert_at = None;
    for (span, content) in edits {
        // Two insertions at one offset are ambiguous in order; so is anything that starts
        // inside the previous edit's range.
        if span.start < last_end || (span.is_empty() && last_insert_at == Some(span.start)) {
            continue;
        }
        if span.is_empty() {
            last_insert_at = Some(span.start);
        }
        last_end = span.end;
        out.push(TextEdit::new(lines.range(text, span), content.to_string()));
    }
    if out.is_empty() {
        return None;
    }
    Some(WorkspaceEdit::new(HashMap::from([(uri.clone(), out)])))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use super::*;

    fn uri() -> Uri {
        Uri::from_str("file:///tmp/x.py").unwrap()
    }

    /// Apply LSP text edits the way a client does (positions in `enc`), for round trips.
    pub(crate) fn apply(text: &str, edits: &[TextEdit], enc: Encoding) -> String {
        let lines = Lines::new(text, enc);
        let mut spans: Vec<(usize, usize, &str)> = edits
            .iter()
            .map(|e| {
                (
                    lines.offset(text, e.range.start),
                    lines.offset(text, e.range.end),
                    e.new_text.as_str(),
                )
            })
            .collect();
        spans.sort_by_key(|s| (s.0, s.1));
        let mut out = text.to_string();
        for (start, end, new) in spans.into_iter().rev() {
            out.replace_range(start..end, new);
        }
        out
    }

    #[test]
    fn positions_count_utf16_units() {
        // `é` is 2 bytes and 1 UTF-16 unit; `😀` is 4 bytes and 2 units (a surrogate pair).
        let text = "aé😀b\nx";
        let lines = Lines::new(text, Encoding::Utf16);
        let b = text.find('b').unwrap();
        assert_eq!(b, 7);
        assert_eq!(lines.position(text, b), Position::new(0, 4));
        assert_eq!(lines.offset(text, Position::new(0, 4)), b);
        // Inside the surrogate pair: the emoji's start.
        assert_eq!(lines.offset(text, Position::new(0, 3)), 3);
        assert_eq!(lines.position(text, text.len()), Position::new(1, 1));
        // Past the end of a line or of the text: clamped.
        assert_eq!(lines.offset(text, Position::new(0, 99)), 8);
        assert_eq!(lines.offset(text, Position::new(7, 0)), text.len());
        // An offset inside a character moves back to its start.
        assert_eq!(lines.position(text, 2), Position::new(0, 1));

        let utf8 = Lines::new(text, Encoding::Utf8);
        assert_eq!(utf8.position(text, b), Position::new(0, 7));
        assert_eq!(utf8.offset(text, Position::new(0, 7)), b);
        let utf32 = Lines::new(text, Encoding::Utf32);
        assert_eq!(utf32.position(text, b), Position::new(0, 3));
    }

    #[test]
    fn crlf_lines_end_before_the_carriage_return() {
        let text = "ab\r\ncd\r\n";
        let lines = Lines::new(text, Encoding::Utf16);
        assert_eq!(lines.line_range(text, 0), Span::new(0, 2));
        assert_eq!(lines.line_range(text, 1), Span::new(4, 6));
        assert_eq!(lines.offset(text, Position::new(0, 10)), 2);
        assert_eq!(lines.position(text, 4), Position::new(1, 0));
        assert_eq!(lines.line_range(text, 2), Span::new(8, 8));
    }

    #[test]
    fn workspace_edits_convert_byte_ranges_and_round_trip() {
        // Non-ASCII text before and inside the edits, CRLF line endings.
        let text = "s = 'ünïcödé'  # 😀\r\nfor fd in range(3, maxfd):\r\n    os.close(fd)\r\n";
        let range_at = text.find("range").unwrap();
        let maxfd = text.find("maxfd").unwrap();
        let end_of_first = text.find("\r\n").unwrap();
        let edits = [
            (Span::new(maxfd, maxfd + 5), "limit"),
            (
                Span::new(end_of_first, end_of_first),
                "  # fdlint: ignore[FD001]",
            ),
            (Span::new(range_at, range_at + 5), "xrange"),
        ];
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let lines = Lines::new(text, enc);
            let we =
                workspace_edit(&uri(), text, &lines, edits.iter().map(|(s, c)| (*s, *c))).unwrap();
            let changes = &we.changes.unwrap()[&uri()];
            assert_eq!(changes.len(), 3);
            let applied = apply(text, changes, enc);
            assert_eq!(
                applied,
                "s = 'ünïcödé'  # 😀  # fdlint: ignore[FD001]\r\n\
                 for fd in xrange(3, limit):\r\n    os.close(fd)\r\n",
                "{enc:?}"
            );
        }
        // In UTF-16 the end of the first line is after `😀`'s two units.
        let lines = Lines::new(text, Encoding::Utf16);
        let we = workspace_edit(
            &uri(),
            text,
            &lines,
            [(Span::new(end_of_first, end_of_first), "x")],
        )
        .unwrap();
        let e = &we.changes.unwrap()[&uri()][0];
        assert_eq!(e.range.start, Position::new(0, 19));
    }

    #[test]
    fn overlapping_and_out_of_range_edits_are_dropped() {
        let text = "abcdef";
        let lines = Lines::new(text, Encoding::Utf16);
        let we = workspace_edit(
            &uri(),
            text,
            &lines,
            [
                (Span::new(1, 4), "X"),
                (Span::new(2, 3), "Y"),
                (Span::new(4, 4), "Z"),
                (Span::new(4, 4), "W"),
                (Span::new(5, 99), "out"),
            ],
        )
        .unwrap();
        let changes = &we.changes.unwrap()[&uri()];
        assert_eq!(apply(text, changes, Encoding::Utf16), "aXZef");
        assert!(workspace_edit(&uri(), text, &lines, []).is_none());
    }

    #[test]
    fn file_uris() {
        let u = Uri::from_str("file:///tmp/a%20dir/%C3%A7%231.py").unwrap();
        assert_eq!(uri_to_path(&u).unwrap(), Path::new("/tmp/a dir/ç#1.py"));
        let local = Uri::from_str("file://localhost/tmp/x.py").unwrap();
        assert_eq!(uri_to_path(&local).unwrap(), Path::new("/tmp/x.py"));
        assert!(uri_to_path(&Uri::from_str("untitled:Untitled-1").unwrap()).is_none());
        assert!(uri_to_path(&Uri::from_str("file://host/x.py").unwrap()).is_none());
    }
}
