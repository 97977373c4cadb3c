//! Frontends: one per language, each turning a file's text into [`Facts`].
//!
//! Frontends know syntax and nothing about findings. Python and Ruby are parsed with tree-sitter
//! and matched with the queries in `queries/<lang>/*.scm` (embedded at build time, run only over
//! the regions of a file that can hold a match); Rust is parsed with `syn`.
//!
//! Architecture invariant: a frontend never fails on bad input. Whatever it cannot parse becomes
//! `Facts::syntax_errors`, and whatever it cannot resolve is simply not a fact.

use crate::facts::{Facts, Lang};

pub mod python;
pub mod ruby;
pub mod rust;
pub(crate) mod ts;

/// Why a frontend produced no facts for a file at all.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum FrontendError {
    #[error("parsing took longer than {0} ms and was abandoned")]
    Timeout(u64),
    #[error("nesting deeper than {0} levels; the file was not analysed")]
    TooDeep(usize),
}

/// Knobs a frontend needs; the same for every file of a run.
#[derive(Debug, Clone)]
pub struct FrontendOptions {
    /// Abandon a parse after this long (guards against pathological inputs).
    pub parse_timeout_ms: u64,
    /// The project around the file, for names the file uses but does not define (Rust: the
    /// crate's fields, functions and parameters filled with the fd limit). `None`: the file
    /// alone.
    pub index: Option<std::sync::Arc<dyn crate::index::LimitIndex>>,
}

impl Default for FrontendOptions {
    fn default() -> Self {
        FrontendOptions {
            parse_timeout_ms: 5_000,
            index: None,
        }
    }
}

/// Extract the facts of one file. Reuses a per-thread parser for tree-sitter languages.
pub fn extract(lang: Lang, text: &str, opts: &FrontendOptions) -> Result<Facts, FrontendError> {
    match lang {
        Lang::Python => python::extract(text, opts),
        Lang::Ruby => ruby::extract(text, opts),
        Lang::Rust => rust::extract(text, opts),
    }
}

/// How many syntax errors the frontend finds in `text` (tree-sitter ERROR/MISSING nodes, a `syn`
/// error); `None` when it gave up on the text. `fdlint --fix` compares a fixed text with its
/// original through this.
pub fn syntax_error_count(lang: Lang, text: &str, opts: &FrontendOptions) -> Option<usize> {
    extract(lang, text, opts)
        .ok()
        .map(|f| f.syntax_errors.len())
}

/// The query source of every language, for the meta-test that compiles them all.
pub fn query_sources() -> Vec<(Lang, &'static str, &'static str)> {
    let mut v = Vec::new();
    for (name, src) in python::QUERY_FILES {
        v.push((Lang::Python, *name, *src));
    }
    for (name, src) in ruby::QUERY_FILES.iter().chain([&ruby::BINDINGS_QUERY]) {
        v.push((Lang::Ruby, *name, *src));
    }
    v
}
