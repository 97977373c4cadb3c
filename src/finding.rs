//! What a rule reports: a finding with a primary span, labelled secondary spans, a message and
//! a concrete fix in words, and (for fixable findings) the fix as data.

use serde::Serialize;

use crate::edit::{Applicability, Fix};
use crate::facts::{Lang, Span};

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

/// Static description of a rule.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable code, never reused: `FD001`.
    pub code: &'static str,
    /// Kebab-case name of the antipattern: `rlimit-close-loop`.
    pub name: &'static str,
    /// One line for `fdlint rules` and SARIF `shortDescription`.
    pub summary: &'static str,
    /// The full Markdown documentation (the rule's doc comment).
    pub doc: &'static str,
    pub languages: &'static [Lang],
    /// The highest severity the rule reports with.
    pub default_severity: Severity,
    /// The severities as the rule reports them, when it is not always `default_severity`
    /// ("note (warning with evidence)"); empty otherwise.
    pub reported: &'static str,
    /// What the rule can fix, how safely, and in which languages (an empty language list: all
    /// of the rule's languages), one entry per applicability; empty when it fixes nothing. The
    /// rule's `## Fix safety` section says why.
    pub fix: &'static [(Applicability, &'static [Lang])],
}

impl RuleMeta {
    /// The severities as `fdlint rules` lists them.
    pub fn severities(&self) -> &'static str {
        if self.reported.is_empty() {
            self.default_severity.as_str()
        } else {
            self.reported
        }
    }

    /// The fix column of `fdlint rules`: `safe`, `unsafe`, `unsafe (rust)`,
    /// `safe (python); unsafe (ruby, rust)`, or `—`.
    pub fn fix_summary(&self) -> String {
        if self.fix.is_empty() {
            return "—".to_string();
        }
        let parts: Vec<String> = self
            .fix
            .iter()
            .map(|(a, langs)| {
                if langs.is_empty() {
                    a.as_str().to_string()
                } else {
                    let names: Vec<&str> = langs.iter().map(|l| l.name()).collect();
                    format!("{} ({})", a.as_str(), names.join(", "))
                }
            })
            .collect();
        parts.join("; ")
    }

    /// The documentation as Markdown, without the one leading space each `///` line leaves.
    pub fn documentation(&self) -> String {
        let mut out = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// Where the rule's documentation lives online (the section of docs/rules.md).
    pub fn url(&self) -> String {
        format!(
            "{}/blob/main/docs/rules.md#{}-{}",
            crate::REPOSITORY,
            self.code.to_ascii_lowercase(),
            self.name
        )
    }
}
