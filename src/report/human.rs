//! The default report: miette's graphical diagnostics, the loop as the primary span and the
//! bound's origin, fallbacks and the per-fd call as labelled secondary spans.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
};

use super::HumanOptions;
use crate::edit::Applicability;
use crate::engine::{FileReport, RunResult};
use crate::finding::{Finding, Severity};

/// Adapts a finding to miette's `Diagnostic` for rendering.
struct Render<'a> {
    finding: &'a Finding,
    marker: &'static str,
    source: Source,
    help: String,
    /// Maps the finding's byte offsets into `source` (identity unless an excerpt was cut).
    shift: Shift,
}

/// The text a finding is rendered from: an excerpt of the file (the lines shown, long ones
/// cut), or the whole file for a finding without a span inside it.
enum Source {
    Whole(NamedSource<Arc<str>>),
    Excerpt(Excerpt),
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        match self {
            Source::Whole(s) => s.read_span(span, before, after),
            Source::Excerpt(e) => e.read_span(span, before, after),
        }
    }
}

/// Lines of context miette shows around each label (`with_context_lines`).
const CONTEXT_LINES: usize = 1;
/// Lines longer than this many bytes are cut around the spans on them.
const LONG_LINE: usize = 400;
/// Bytes kept on either side of a span's point on a cut line.
const KEEP_BEFORE: usize = 60;
const KEEP_AFTER: usize = 140;

/// The lines a finding shows (its labels' lines and one line of context around them), with
/// every long line cut to a window around the points of the spans on it, `…` marking each
/// cut, as runs of consecutive file lines (`Run`): a bound at the top of a file and a loop
/// 5,000 lines below it are two runs, not the 5,000 lines between. Line numbers and columns
/// stay the file's.
struct Excerpt {
    name: String,
    text: String,
    runs: Vec<Run>,
}

/// Consecutive file lines of an excerpt.
struct Run {
    /// Where the run's text starts in the excerpt's text, and ends.
    start: usize,
    end: usize,
    /// 0-based file line of the run's first line.
    first_line: usize,
    /// Per line of the run: characters cut from its start, less the `…` put in their place.
    col_shift: Vec<usize>,
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // The run holding the span's start (miette asks for one label's span at a time).
        let i = self
            .runs
            .partition_point(|r| r.start <= span.offset())
            .saturating_sub(1);
        let run = self.runs.get(i).ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new(span.offset().saturating_sub(run.start).into(), span.len());
        let inner = self.text[run.start..run.end].read_span(&local, before, after)?;
        let line = inner.line();
        let column = match inner.column() {
            0 => 0,
            c => c + run.col_shift.get(line).copied().unwrap_or(0),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + run.start).into(),
                inner.span().len(),
            ),
            line + run.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// File offset -> excerpt offset, per cut-out piece: `(file start, file end, excerpt start)`.
#[derive(Default)]
struct Shift(Vec<(usize, usize, usize)>);

impl Shift {
    fn map(&self, offset: usize) -> usize {
        if self.0.is_empty() {
            return offset;
        }
        // The piece holding the offset, else the nearest one before it (clamped to its end).
        let i = self
            .0
            .partition_point(|(s, _, _)| *s <= offset)
            .saturating_sub(1);
        let (s, e, at) = self.0[i];
        at + offset.clamp(s, e) - s
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The lines `finding` shows, as an excerpt: always, because miette finds a span's line by
/// scanning the source from its start (40k findings in a 1 MB file were 40k scans of it), and
/// lines longer than [`LONG_LINE`] are cut.
fn excerpt(file: &FileReport, finding: &Finding) -> Option<(Excerpt, Shift)> {
    let text: &str = &file.text;
    let mut points = vec![finding.span.start, finding.span.end];
    for l in &finding.labels {
        points.extend([l.span.start, l.span.end]);
    }
    points.retain(|p| *p <= text.len());
    points.sort_unstable();
    // A line's text is a slice of `text`: its offsets are where it starts and ends.
    let line_start =
        |line: usize| file.index.line_text(text, line).as_ptr() as usize - text.as_ptr() as usize;
    let line_end = |line: usize| line_start(line) + file.index.line_text(text, line).len();
    let last_line = file.index.line_count() - 1;
    let first = file.index.line_of(points[0]).saturating_sub(1);
    let last = (file.index.line_of(*points.last()?) + 1).min(last_line);
    let mut out = String::new();
    let mut shift = Shift::default();
    let mut runs: Vec<Run> = Vec::new();
    // The lines miette shows: those of the points and the context around each. Lines
    // farther from every point are left out, each run of shown lines keeping its own first line: copied,
    // they made a bound at the top of a file and 5,000 loops below it 5,000 copies of the
    // whole file, each scanned by miette (12 s of rendering).
    // miette joins two labels' snippets when their context lines meet or nearly do, reading
    // every line between them: a margin of twice the context keeps those lines too.
    // A span over several lines shows all of them.
    const MARGIN: usize = 2 * CONTEXT_LINES + 2;
    let mut shown_lines: Vec<(usize, usize)> = std::iter::once(finding.span)
        .chain(finding.labels.iter().map(|l| l.span))
        .filter(|sp| sp.start <= text.len())
        .map(|sp| {
            let (a, b) = (
                file.index.line_of(sp.start),
                file.index.line_of(sp.end.min(text.len())),
            );
            (a.saturating_sub(MARGIN), b + MARGIN)
        })
        .collect();
    shown_lines.sort_unstable();
    let shown = |line: usize| {
        // The intervals starting at or before the line; one of them may reach it.
        let n = shown_lines.partition_point(|(a, _)| *a <= line);
        shown_lines[..n].iter().any(|(_, b)| line <= *b)
    };
    let mut previous: Option<usize> = None;
    for line in (first..=last).filter(|l| shown(*l)) {
        let (s, e) = (line_start(line), line_end(line));
        if previous.is_some_and(|p| p + 1 == line) {
            out.push('\n');
        } else {
            // The newline ends the run's last line (an empty last line is still a line).
            if let Some(r) = runs.last_mut() {
                out.push('\n');
                r.end = out.len();
            }
            runs.push(Run {
                start: out.len(),
                end: 0,
                first_line: line,
                col_shift: Vec::new(),
            });
        }
        previous = Some(line);
        let col_shift = &mut runs.last_mut().expect("a run was started").col_shift;
        if e - s <= LONG_LINE {
            shift.0.push((s, e + 1, out.len()));
            out.push_str(&text[s..e]);
            col_shift.push(0);
            continue;
        }
        // Windows around the points on this line, merged where they overlap.
        let mut windows: Vec<(usize, usize)> = Vec::new();
        for &p in points.iter().filter(|p| (s..=e).contains(*p)) {
            let w = (
                floor_char(text, p.saturating_sub(KEEP_BEFORE).max(s)),
                ceil_char(text, (p + KEEP_AFTER).min(e)),
            );
            match windows.last_mut() {
                Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
                _ => windows.push(w),
            }
        }
        if windows.is_empty() {
            // A context line: its start.
            windows.push((s, ceil_char(text, (s + KEEP_BEFORE + KEEP_AFTER).min(e))));
        }
        col_shift.push(match windows[0].0 {
            ws if ws > s => text[s..ws].chars().count() - 1,
            _ => 0,
        });
        let mut at = s;
        for (ws, we) in windows {
            if ws > at {
                out.push('…');
            }
            shift.0.push((ws, we, out.len()));
            out.push_str(&text[ws..we]);
            at = we;
        }
        if at < e {
            out.push('…');
        }
    }
    if let Some(r) = runs.last_mut() {
        r.end = out.len();
    }
    Some((
        Excerpt {
            name: file.path.display().to_string(),
            text: out,
            runs,
        },
        shift,
    ))
}

impl fmt::Debug for Render<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl fmt::Display for Render<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for Render<'_> {}

impl Diagnostic for Render<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!(
            "fdlint::{}({}){}",
            self.finding.rule.code, self.finding.rule.name, self.marker
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.help))
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.rule.url()))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let f = self.finding;
        let at = |span: crate::facts::Span| {
            let start = self.shift.map(span.start);
            (start, self.shift.map(span.end).saturating_sub(start))
        };
        let primary = LabeledSpan::new_primary_with_span(Some(f.span_label.clone()), at(f.span));
        let rest = f
            .labels
            .iter()
            .filter(|l| l.span != f.span)
            .map(move |l| LabeledSpan::new_with_span(Some(l.message.clone()), at(l.span)));
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }
}

fn handler(opts: HumanOptions) -> GraphicalReportHandler {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false)
        .with_urls(false)
        .with_context_lines(CONTEXT_LINES)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
}

/// Render one file's findings.
pub fn render_file(file: &FileReport, opts: HumanOptions) -> String {
    let h = handler(opts);
    let mut s = String::new();
    for f in file.findings.iter().filter(|f| f.is_active()) {
        let mut help = f.help.clone();
        for n in &f.notes {
            help.push_str("\nnote: ");
            help.push_str(n);
        }
        if let Some(x) = &f.fix {
            help.push_str(&match x.applicability {
                Applicability::Safe => format!("\nfix available: {} (`--fix`)", x.message),
                Applicability::Unsafe => format!(
                    "\nfix available: {} (unsafe: `--fix --unsafe-fixes`)",
                    x.message
                ),
            });
        }
        help.push_str(&format!("\ndocs: {}", f.rule.url()));
        let (source, shift) = match excerpt(file, f) {
            Some((e, shift)) => (Source::Excerpt(e), shift),
            None => (
                Source::Whole(NamedSource::new(
                    file.path.display().to_string(),
                    file.text.clone(),
                )),
                Shift::default(),
            ),
        };
        let r = Render {
            finding: f,
            marker: super::fix_marker(f, opts.unsafe_fixes),
            source,
            help,
            shift,
        };
        let _ = h.render_report(&mut s, &r);
        s.push('\n');
    }
    s
}

pub fn write(result: &RunResult, opts: HumanOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut package = None;
    for file in &result.files {
        // Dependency findings are grouped under a `name version (ecosystem)` header line.
        if let Some(p) = &file.package
            && package != Some(p)
        {
            writeln!(out, "{p}")?;
            package = Some(p);
        }
        out.write_all(render_file(file, opts).as_bytes())?;
    }
    Ok(())
}
