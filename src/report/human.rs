//! The default report: miette's graphical diagnostics, the loop as the primary span and the
//! bound's origin, fallbacks and the per-fd call as labelled secondary spans.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use super::HumanOptions;
use crate::edit::Applicability;
use crate::engine::{FileReport, RunResult};
use crate::finding::{Finding, Severity};

/// Adapts a finding to miette's `Diagnostic` for rendering.
struct Render<'a> {
    finding: &'a Finding,
    marker: &'static str,
    source: NamedSource<Arc<str>>,
    help: String,
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
        let primary = LabeledSpan::new_primary_with_span(
            Some(f.span_label.clone()),
            (f.span.start, f.span.len()),
        );
        let rest = f.labels.iter().filter(|l| l.span != f.span).map(|l| {
            LabeledSpan::new_with_span(Some(l.message.clone()), (l.span.start, l.span.len()))
        });
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
        .with_context_lines(1)
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
        let r = Render {
            finding: f,
            marker: super::fix_marker(f, opts.unsafe_fixes),
            source: NamedSource::new(file.path.display().to_string(), file.text.clone()),
            help,
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
