//! The project index: names defined anywhere in a project and what they hold, for the facts a
//! frontend cannot see in the file it is reading (a struct field filled from `getrlimit` in a
//! constructor of another module, a helper returning `sysconf(_SC_OPEN_MAX)`, the limit a
//! caller passes to a parameter).
//!
//! This module holds only language-neutral data and the lookup interface, so frontends depend
//! on it and it depends on no frontend: each language's index is built by a function the
//! engine hands in (Rust: `lang::rust::index_file`, Python: `lang::python::index_module`).
//! Rust's is the crate index (`rust.rs`); Python's is the module index (`python.rs`), which
//! answers the same questions for names reached through one imported module
//! (`Key::Module`), and also what a function there does to its argument (`fd_action`) and
//! which range of fds it returns (`fd_range`).

use std::fmt::Debug;
use std::path::PathBuf;

use crate::facts::{FdAction, LimitSource};

pub mod python;
pub mod rust;

/// A name as the code that uses it spells it, without the receiver or module path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A field of some value (`self.max_fd`, `config.fd_limit`).
    Field(String),
    /// A function or method called by its last path segment (`sys::max_fd()`, `h.max_fd()`).
    Fn(String),
    /// The `index`th argument (receiver not counted) of calls to `func`.
    Param { func: String, index: usize },
    /// A name of another module of the project, as the file reaches it through an import
    /// (Python): `module` as the import spells it, leading dots kept (`.util`, `pkg.mod`),
    /// and `key` what is asked of that module: `Field` for a top-level name, a class
    /// attribute or an attribute assigned there (`util.MAXFD`, `options.minfds`), `Fn` for a
    /// function or method defined there (`get_maxfd()`, `options.close_fd(fd)`).
    Module { module: String, key: Box<Key> },
}

/// What a name holds, for an index that sees more than limits (Python).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// The fd limit, capped by `min(limit, N)` when `cap` is set.
    Limit {
        source: LimitSource,
        cap: Option<u64>,
    },
    /// A number (a guess of the limit, or no fd limit at all).
    Int(u64),
    /// Comes from something out of sight there too (a parameter, a call of nothing
    /// defined, a configuration value), last named so.
    Unseen(String),
    /// Visibly something else (`len(fds)`).
    Unknown,
}

/// A value a name is given outside the file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueFact {
    pub held: Held,
    /// Relative to the asking file's directory or project.
    pub path: PathBuf,
    /// 1-based line of the value.
    pub line: usize,
}

/// What a function defined outside the file does to one of its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFact {
    pub action: FdAction,
    pub path: PathBuf,
    /// 1-based line of the call that does it.
    pub line: usize,
}

/// A range of fd numbers a function defined outside the file returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeFact {
    /// The first fd, when known.
    pub lower: Option<u64>,
    /// The end of the range.
    pub bound: ValueFact,
}

/// A name that holds the fd limit, and where that was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitFact {
    pub source: LimitSource,
    /// Relative to the project (crate) root.
    pub path: PathBuf,
    /// 1-based line of the expression that reads the limit.
    pub line: usize,
}

/// What a frontend asks of the project around the file it reads.
pub trait LimitIndex: Send + Sync + Debug {
    /// Every place, outside the file being read, where `key` is given the fd limit.
    fn limits(&self, key: &Key) -> Vec<LimitFact>;

    /// Every value `key` is given outside the file, limits or not. Empty: no definition of
    /// it was found (out of sight). By default, the limits.
    fn values(&self, key: &Key) -> Vec<ValueFact> {
        self.limits(key)
            .into_iter()
            .map(|f| ValueFact {
                held: Held::Limit {
                    source: f.source,
                    cap: None,
                },
                path: f.path,
                line: f.line,
            })
            .collect()
    }

    /// What calling the function `key` does to its positional argument `arg` (receiver not
    /// counted), when it closes, flags or probes it.
    fn fd_action(&self, _key: &Key, _arg: usize) -> Option<ActionFact> {
        None
    }

    /// The range of every fd the function `key` returns (`return range(3, maxfd)`).
    fn fd_range(&self, _key: &Key) -> Option<RangeFact> {
        None
    }

    /// Whether the module an import spells (`Key::Module::module`) is a file of the project
    /// this index can read. An index that reads no modules finds none.
    fn finds_module(&self, _module: &str) -> bool {
        false
    }
}
