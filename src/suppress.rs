//! Inline suppressions: `# fdlint: ignore[FD001]` (Python, Ruby) or `// fdlint: ignore[FD001]`
//! (Rust) on a finding's first line, or alone on the line above it; `fdlint: ignore-file[FD001]`
//! anywhere in a file silences the rule for the whole file. Several codes go in one comment
//! (`ignore[FD001, FD002]`); anything after the `]` is a free-form reason
//! (`# fdlint: ignore[FD001] -- the limit is capped by our unit file`).
//!
//! Suppressed findings are kept, flagged [`Finding::suppressed`](crate::finding::Finding), so
//! SARIF can record them; every other reporter, the counts and the exit status skip them. Codes
//! that silence nothing become FD100 findings, and a suppression that names no rules is a
//! diagnostic: a blanket `fdlint: ignore` would hide findings nobody has read.
//!
//! Comments are found by text, not by parsing, so the pass costs one `memmem` scan on files
//! without markers. A marker counts when the comment leader (`#` or `//`) precedes `fdlint:`
//! with only whitespace between. Known limitation: a string literal holding such text
//! (`s = "# fdlint: ignore[FD001]"`) is read as a comment.

use std::collections::HashMap;
use std::path::Path;

use memchr::memmem;

use crate::facts::{Lang, Span};
use crate::finding::Finding;
use crate::pipeline::{FileProblem, Linted, ProblemKind};
use crate::rules::{self, fd100_unused_suppression as fd100};
use crate::settings::Settings;
use crate::source::LineIndex;

const MARKER: &[u8] = b"fdlint:";

/// One suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// `ignore-file`: applies to the whole file.
    pub file_level: bool,
    /// 0-based line of the comment.
    pub line: usize,
    /// The comment is alone on its line, so it applies to the next line.
    pub own_line: bool,
    /// The codes as written, with their spans.
    pub codes: Vec<(String, Span)>,
}

impl Directive {
    fn scope(&self) -> &'static str {
        if self.file_level {
            "in this file"
        } else if self.own_line {
            "on the next line"
        } else {
            "on this line"
        }
    }
}

/// A suppression comment that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// 0-based line.
    pub line: usize,
    pub message: String,
}

/// The line a marker is on, found once per line however many markers it holds (a line of a
/// million `# fdlint: ignore[` is scanned once, not once per marker).
#[derive(Default)]
struct LineCache {
    /// Byte range of the current line.
    start: usize,
    end: usize,
    /// Offset of the line's first character that is neither whitespace nor part of the
    /// comment leader: a marker whose leader ends at or before it is alone on its line.
    first_code: usize,
    valid: bool,
}

impl LineCache {
    fn at(&mut self, bytes: &[u8], pos: usize, lead: &str) -> &Self {
        if !(self.valid && self.start <= pos && pos < self.end) {
            // A line ends at an LF, a CRLF or a lone CR (`source::line_breaks`); the line
            // before a CRLF's LF also ends at its CR.
            self.start = memchr::memrchr2(b'\n', b'\r', &bytes[..pos]).map_or(0, |i| i + 1);
            self.end =
                memchr::memchr2(b'\n', b'\r', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            self.first_code = bytes[self.start..self.end]
                .iter()
                .position(|b| !b.is_ascii_whitespace() && !lead.as_bytes().contains(b))
                .map_or(self.end, |i| self.start + i);
            self.valid = true;
        }
        self
    }
}

/// Every suppression comment of a file, and the ones that cannot be used. Linear in the text:
/// each line is looked at once, and a code list ends at its `]` or at the next marker on the
/// line (`# fdlint: ignore[ # fdlint: ignore[FD001]` is one unclosed comment, then one good).
pub fn parse(lang: Lang, text: &str, index: &LineIndex) -> (Vec<Directive>, Vec<Malformed>) {
    let bytes = text.as_bytes();
    let lead = lang.comment();
    let mut found = Vec::new();
    let mut bad: Vec<Malformed> = Vec::new();
    let markers: Vec<usize> = memmem::find_iter(bytes, MARKER).collect();
    let mut cache = LineCache::default();
    for (k, &pos) in markers.iter().enumerate() {
        let &LineCache {
            start: line_start,
            end: line_end,
            first_code,
            ..
        } = cache.at(bytes, pos, lead);
        let Some(before) = text.get(line_start..pos) else {
            continue;
        };
        let Some(code) = before.trim_end().strip_suffix(lead) else {
            continue;
        };
        // `` `# fdlint: ignore[FD001]` `` in documentation, or `"// fdlint: ..."` starting a string:
        // an example of a suppression, not one.
        if code.ends_with(['`', '"', '\'']) {
            continue;
        }
        let own_line = first_code >= line_start + code.len();
        let after_start = pos + MARKER.len();
        // This comment's text ends at the line's end or at the next marker on the line.
        let after_end = markers
            .get(k + 1)
            .map_or(line_end, |next| (*next).min(line_end));
        let Some(after) = text.get(after_start..after_end) else {
            continue;
        };
        let trimmed = after.trim_start();
        let (file_level, rest) = if let Some(r) = trimmed.strip_prefix("ignore-file") {
            (true, r)
        } else if let Some(r) = trimmed.strip_prefix("ignore") {
            (false, r)
        } else {
            // `fdlint:` followed by something else is prose, not a directive.
            continue;
        };
        if rest
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '[')
        {
            continue;
        }
        let line = index.line_of(pos);
        let kw = if file_level { "ignore-file" } else { "ignore" };
        let mut malformed = |message: String| {
            // One diagnostic per line is enough: a line of a thousand broken comments is one
            // mistake to fix.
            if bad.last().is_none_or(|m| m.line != line) {
                bad.push(Malformed { line, message });
            }
        };
        let rest_trim = rest.trim_start();
        let Some(list) = rest_trim.strip_prefix('[') else {
            malformed(format!(
                "a suppression must name the rules it silences: `fdlint: {kw}[FD001]`"
            ));
            continue;
        };
        let Some(close) = memchr::memchr(b']', list.as_bytes()) else {
            malformed(format!(
                "unclosed `[` in suppression: write `fdlint: {kw}[FD001]`"
            ));
            continue;
        };
        // `list` is a suffix of `after`.
        let list_start = after_start + after.len() - list.len();
        let mut codes = Vec::new();
        let mut offset = 0;
        for part in list[..close].split(',') {
            let t = part.trim();
            if !t.is_empty() {
                let start = list_start + offset + (part.len() - part.trim_start().len());
                codes.push((t.to_string(), Span::new(start, start + t.len())));
            }
            offset += part.len() + 1;
        }
        if codes.is_empty() {
            malformed(format!(
                "a suppression must name the rules it silences: `fdlint: {kw}[FD001]`"
            ));
            continue;
        }
        found.push(Directive {
            file_level,
            line,
            own_line,
            codes,
        });
    }
    (found, bad)
}

/// Whether `bytes` may hold a suppression comment (a cheap test before reading them as text).
pub fn mentions_marker(bytes: &[u8]) -> bool {
    memmem::find(bytes, MARKER).is_some()
}

/// Flag the findings the file's comments suppress; report unused codes as FD100 (when
/// `report_unused`, FD100 is selected and so is the rule the code names) and malformed
/// comments as diagnostics.
pub fn apply(
    path: &Path,
    lang: Lang,
    text: &str,
    settings: &Settings,
    report_unused: bool,
    out: &mut Linted,
) {
    if memmem::find(text.as_bytes(), MARKER).is_none() {
        return;
    }
    let index = LineIndex::new(text);
    let (directives, malformed) = parse(lang, text, &index);
    out.problems
        .extend(malformed.into_iter().map(|m| FileProblem {
            path: path.to_path_buf(),
            kind: ProblemKind::InvalidSuppression,
            line: Some(m.line + 1),
            message: m.message,
        }));
    let mut used: Vec<Vec<bool>> = directives
        .iter()
        .map(|d| vec![false; d.codes.len()])
        .collect();
    let mut applicable = Applicable::new(&directives);
    mark(&mut applicable, &index, &mut out.findings, &mut used);
    if !report_unused || !settings.rules.is_enabled(&fd100::RULE) {
        return;
    }
    let mut unused = Vec::new();
    for (d, used) in directives.iter().zip(&used) {
        for ((code, span), used) in d.codes.iter().zip(used) {
            if *used {
                continue;
            }
            match rules::by_code(code) {
                None => unused.push(fd100::finding(*span, code, fd100::Unused::UnknownRule)),
                // FD100 itself is never reported unused: its findings are made after this.
                Some(r) if std::ptr::eq(r, &fd100::RULE) => {}
                Some(r) if !settings.rules.is_enabled(r) => {}
                Some(_) => unused.push(fd100::finding(
                    *span,
                    code,
                    fd100::Unused::NothingSilenced(d.scope()),
                )),
            }
        }
    }
    // `ignore[FD100]` silences FD100 like any other rule.
    mark(&mut applicable, &index, &mut unused, &mut used);
    settings.rules.override_severities(&mut unused);
    out.findings.extend(unused);
}

/// The codes of every directive that name one rule, per line they apply to (and for the whole
/// file): marking a finding is a lookup, not a scan of the directives, so the cost is linear in
/// findings plus codes (40k comments each naming a rule no finding has used to be 40k x 40k).
#[derive(Default)]
struct Applicable {
    /// The codes that name rule `rule.code` on a line (`(line, code)`), or in the whole file
    /// (`line` = `usize::MAX`): `(directive, code index)` pairs.
    by_line: HashMap<(usize, &'static str), Targets>,
}

#[derive(Default)]
struct Targets {
    codes: Vec<(usize, usize)>,
    /// Already marked used: the next finding only needs to be flagged.
    marked: bool,
}

const WHOLE_FILE: usize = usize::MAX;

impl Applicable {
    fn new(directives: &[Directive]) -> Self {
        let mut a = Applicable::default();
        for (di, d) in directives.iter().enumerate() {
            for (ci, (code, _)) in d.codes.iter().enumerate() {
                let Some(rule) = rules::by_code(code) else {
                    continue;
                };
                let mut add = |line| {
                    a.by_line
                        .entry((line, rule.code))
                        .or_default()
                        .codes
                        .push((di, ci));
                };
                if d.file_level {
                    add(WHOLE_FILE);
                } else {
                    add(d.line);
                    if d.own_line {
                        add(d.line + 1);
                    }
                }
            }
        }
        a
    }
}

fn mark(
    applicable: &mut Applicable,
    index: &LineIndex,
    findings: &mut [Finding],
    used: &mut [Vec<bool>],
) {
    if applicable.by_line.is_empty() {
        return;
    }
    for f in findings {
        let line = index.line_of(f.span.start);
        for key in [(line, f.rule.code), (WHOLE_FILE, f.rule.code)] {
            let Some(t) = applicable.by_line.get_mut(&key) else {
                continue;
            };
            f.suppressed = true;
            if !t.marked {
                for &(di, ci) in &t.codes {
                    used[di][ci] = true;
                }
                t.marked = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(lang: Lang, text: &str) -> (Vec<Directive>, Vec<Malformed>) {
        parse(lang, text, &LineIndex::new(text))
    }

    #[test]
    fn comments_only() {
        let text = "x = 1  # fdlint: ignore[FD001, FD002] -- reason\n\
                    # fdlint: ignore-file[FD002]\n\
                    y = 'fdlint: ignore[FD001]'\n\
                    #fdlint:ignore[rlimit-close-loop]\n\
                    # fdlint: ignored is prose\n\
                    # see fdlint: the linter\n";
        let (d, bad) = directives(Lang::Python, text);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].line, 0);
        assert!(!d[0].own_line && !d[0].file_level);
        let codes: Vec<&str> = d[0].codes.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["FD001", "FD002"]);
        let (_, span) = &d[0].codes[1];
        assert_eq!(&text[span.start..span.end], "FD002");
        assert!(d[1].file_level && d[1].own_line);
        assert_eq!(d[2].codes[0].0, "rlimit-close-loop");
    }

    #[test]
    fn examples_in_documentation_are_not_directives() {
        let (d, bad) = directives(
            Lang::Rust,
            "//! Write `// fdlint: ignore[FD001]` above the loop.\nlet s = \"// fdlint: ignore\";\n",
        );
        assert!(d.is_empty() && bad.is_empty(), "{d:?} {bad:?}");
    }

    #[test]
    fn rust_leader() {
        let (d, _) = directives(
            Lang::Rust,
            "let x = 1; // fdlint: ignore[FD001]\n# fdlint: ignore[FD001]\n",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 0);
    }

    #[test]
    fn bare_suppressions_are_rejected() {
        let (d, bad) = directives(
            Lang::Python,
            "# fdlint: ignore\n# fdlint: ignore[]\n# fdlint: ignore-file[FD001\n",
        );
        assert!(d.is_empty());
        assert_eq!(bad.len(), 3);
        assert!(
            bad[0]
                .message
                .starts_with("a suppression must name the rules it silences")
        );
        assert_eq!(bad[2].line, 2);
    }

    #[test]
    fn markers_on_one_line_end_at_the_next_marker() {
        let text = "# fdlint: ignore[ # fdlint: ignore[FD001] # fdlint: ignore[FD002]\n";
        let (d, bad) = directives(Lang::Python, text);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].message.starts_with("unclosed `[`"));
        let codes: Vec<&str> = d
            .iter()
            .flat_map(|d| d.codes.iter().map(|(c, _)| c.as_str()))
            .collect();
        assert_eq!(codes, ["FD001", "FD002"]);
        assert!(!d[0].own_line && !d[1].own_line);
    }

    #[test]
    fn own_line_is_decided_by_the_line_start() {
        let (d, _) = directives(
            Lang::Python,
            "  ## fdlint: ignore[FD001]\nx = 1 # fdlint: ignore[FD001]\n",
        );
        assert!(d[0].own_line);
        assert!(!d[1].own_line);
    }

    /// 100k unclosed markers on one line, and 40k lines each with a code nothing uses: both
    /// were quadratic (a rescan of the line per marker; findings x directives when marking).
    #[test]
    fn many_markers_are_linear() {
        let line = "# fdlint: ignore[".repeat(100_000);
        let t = std::time::Instant::now();
        let (d, bad) = directives(Lang::Python, &line);
        assert!(d.is_empty());
        assert_eq!(bad.len(), 1);
        let lines = "# fdlint: ignore[FD001]\n".repeat(40_000);
        let mut out = Linted::default();
        apply(
            Path::new("x.py"),
            Lang::Python,
            &lines,
            &Settings::default(),
            true,
            &mut out,
        );
        assert_eq!(out.findings.len(), 40_000);
        assert!(out.findings.iter().all(|f| f.rule.code == "FD100"));
        // Quadratic, this took minutes in a debug build; linear, well under a second.
        assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
    }
}
