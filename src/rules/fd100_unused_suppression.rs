use super::declare_rule;
use crate::facts::{Lang, Span};
use crate::finding::{Finding, Severity};

declare_rule! {
    /// ## What it does
    /// Finds `fdlint: ignore[...]` and `fdlint: ignore-file[...]` comments that silence nothing:
    /// the rule they name reports no finding on that line (or in that file), or the code they
    /// name is not a rule at all. A suppression is only judged when the rule it names is
    /// selected, so `--select FD001` does not flag every `ignore[FD002]`.
    ///
    /// ## Why is this bad?
    /// A suppression outlives the code it was written for. Once the loop it excused is
    /// rewritten or moved, the comment silences nothing, yet it will silence the next finding
    /// that lands on that line, unreviewed. A misspelt code (`ignore[FD01]`) never silenced
    /// anything, and the author believes it did.
    ///
    /// ## Example
    /// ```python
    /// os.closerange(3, 1024)  # fdlint: ignore[FD001] -- capped by our unit file
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// os.closerange(3, 1024)
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix yet. Removing the code from the comment (or the comment) is
    /// always safe: the suppression has no effect.
    ///
    /// ## Known problems
    /// Suppression comments are found by text, not by parsing: a string literal that looks
    /// like a comment (`s = "# fdlint: ignore[FD001]"`) is read as one. In files with syntax
    /// errors, findings may be missing, so unused suppressions are not reported there.
    pub static RULE = {
        code: "FD100",
        name: "unused-suppression",
        summary: "suppression comment silences nothing",
        languages: &[Lang::Python, Lang::Ruby, Lang::Rust],
        severity: Severity::Warning,
    };
}

/// Why a code in a suppression comment is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unused {
    /// The rule reports nothing where the comment applies: "on this line", "in this file".
    NothingSilenced(&'static str),
    /// The code names no rule.
    UnknownRule,
}

/// The finding for one code of a suppression comment; `span` is the code inside the comment.
pub fn finding(span: Span, code: &str, why: Unused) -> Finding {
    let (message, span_label, help) = match why {
        Unused::NothingSilenced(scope) => (
            format!("unused suppression: `{code}` reports nothing {scope}"),
            "silences nothing".to_string(),
            format!(
                "remove `{code}` from the comment (or the whole comment if it is the only code)"
            ),
        ),
        Unused::UnknownRule => (
            format!("unused suppression: `{code}` is not a rule"),
            "unknown rule".to_string(),
            "use a code from `fdlint rules`, or remove it".to_string(),
        ),
    };
    Finding {
        rule: &RULE,
        severity: Severity::Warning,
        span,
        span_label,
        message,
        help,
        labels: Vec::new(),
        notes: Vec::new(),
        suppressed: false,
        baselined: false,
        fix: None,
    }
}
