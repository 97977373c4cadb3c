//! Reporters: the only code that writes findings out. Each turns a sorted [`RunResult`] into
//! one output format.

use std::io::{self, Write};

use crate::engine::{FileReport, RunResult};
use crate::finding::Finding;
use crate::source::LineCol;

pub mod human;
pub mod json;

/// The output formats `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphical report with source excerpts (miette).
    Human,
    /// One JSON document with a `findings` array.
    Json,
}

/// Rendering choices for the human report.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
}

pub fn write(
    format: Format,
    result: &RunResult,
    human: HumanOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(result, human, out),
        Format::Json => json::write(result, out),
    }
}

/// Start and end (1-based) of a finding's primary span.
pub fn range(file: &FileReport, f: &Finding) -> (LineCol, LineCol) {
    file.index.range(&file.text, f.span)
}
