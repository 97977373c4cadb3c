//! What a rule reports: a finding with a primary span, labelled secondary spans, a message and
//! a concrete fix in words, and (for fixable findings) the fix as data.

use serde::Serialize;

use crate::facts::Span;
use crate::fix::Fix;
use crate::rules::RuleMeta;

/// How bad a finding is. Ordered: `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "note" | "info" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A secondary span with a short explanation ("hard limit read here").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    /// The loop or call the finding is about.
    pub span: Span,
    /// The label of the primary span.
    pub span_label: String,
    pub message: String,
    pub help: String,
    pub labels: Vec<Label>,
    /// Assumptions the finding rests on ("assumed Python 2: print statement on line 3").
    pub notes: Vec<String>,
    /// Silenced by an `fdlint: ignore[...]` comment: kept for SARIF, skipped by other reporters,
    /// counts and the exit status.
    pub suppressed: bool,
    /// Recorded in the `--baseline` file: known, so not reported as new. Kept (like suppressed
    /// findings) for SARIF, skipped by other reporters, counts and the exit status.
    pub baselined: bool,
    /// The rewrite that resolves the finding, when the rule can write one.
    pub fix: Option<Fix>,
}

impl Finding {
    /// Whether the finding is reported: neither suppressed in the source nor in the baseline.
    pub fn is_active(&self) -> bool {
        !self.suppressed && !self.baselined
    }
}
