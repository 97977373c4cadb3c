//! Fixes as data: byte-range [`Edit`]s with an [`Applicability`], the vocabulary findings carry
//! (as ruff's `Edit`/`Fix`). It sits below `finding` so that findings can hold fixes while
//! `fix` (which applies them and re-lints through the engine) stands above the engine.

use serde::Serialize;

use crate::facts::Span;

/// One replacement of a byte range of the file's text. An insertion is an empty span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// A `crate::facts::Span` byte range into the text the finding was made on.
    pub span: Span,
    /// What replaces the range, written with `\n` line ends; applying the edit to a CRLF file
    /// writes `\r\n`.
    pub content: String,
}

impl Edit {
    pub fn insertion(at: usize, content: impl Into<String>) -> Edit {
        Edit {
            span: Span::new(at, at),
            content: content.into(),
        }
    }
    pub fn replacement(span: Span, content: impl Into<String>) -> Edit {
        Edit {
            span,
            content: content.into(),
        }
    }
}

/// Whether a fix keeps the program's behaviour in every case (`Safe`, applied by `--fix`) or
/// may change it in some (`Unsafe`, applied only with `--unsafe-fixes`). Each rule's
/// `## Fix safety` section says which cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// A rewrite that resolves a finding: the edits are applied together or not at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What the fix does, for the report ("add `close_others: true`").
    pub message: String,
    /// Non-overlapping edits, in any order.
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
    /// A better rewrite that may change behaviour in some case, applied instead of this one
    /// when unsafe fixes are enabled (FD001's Python sweep: `os.closerange` is the safe fix,
    /// closing only the open fds the unsafe alternative). Always `Unsafe`; reports describe the
    /// primary fix.
    #[serde(skip)]
    pub alternative: Option<Box<Fix>>,
}

impl Fix {
    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            message: message.into(),
            edits,
            applicability: Applicability::Safe,
            alternative: None,
        }
    }
    pub fn unsafe_edits(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            message: message.into(),
            edits,
            applicability: Applicability::Unsafe,
            alternative: None,
        }
    }

    /// This fix with `alternative` as the rewrite `--unsafe-fixes` applies instead.
    pub fn with_unsafe_alternative(mut self, alternative: Fix) -> Fix {
        debug_assert!(alternative.alternative.is_none());
        self.alternative = Some(Box::new(Fix {
            applicability: Applicability::Unsafe,
            ..alternative
        }));
        self
    }

    /// The fix applied when unsafe fixes are (or are not) enabled: the unsafe alternative when
    /// there is one and they are, else this fix if it applies.
    pub fn chosen(&self, unsafe_fixes: bool) -> Option<&Fix> {
        match &self.alternative {
            Some(alt) if unsafe_fixes => Some(alt),
            _ => self.applies(unsafe_fixes).then_some(self),
        }
    }

    /// Whether this fix is applied when unsafe fixes are (or are not) enabled.
    pub fn applies(&self, unsafe_fixes: bool) -> bool {
        unsafe_fixes || self.applicability == Applicability::Safe
    }

    /// The edits sorted by position, or `None` when two of them overlap (a malformed fix).
    pub(crate) fn sorted_edits(&self) -> Option<Vec<&Edit>> {
        let mut edits: Vec<&Edit> = self.edits.iter().collect();
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        edits
            .windows(2)
            .all(|w| w[0].span.end <= w[1].span.start && !both_insert_at(w[0], w[1]))
            .then_some(edits)
    }
}

fn both_insert_at(a: &Edit, b: &Edit) -> bool {
    a.span.is_empty() && b.span.is_empty() && a.span.start == b.span.start
}
