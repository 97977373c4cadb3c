//! The project index: names defined anywhere in a project and what they hold, for the facts a
//! frontend cannot see in the file it is reading (a struct field filled from `getrlimit` in a
//! constructor of another module, a helper returning `sysconf(_SC_OPEN_MAX)`, the limit a
//! caller passes to a parameter).
//!
//! This module holds only language-neutral data and the lookup interface, so frontends depend
//! on it and it depends on no frontend: each language's index is built by a function the
//! engine hands in (Rust: `lang::rust::index_file`). Only Rust has an index so far
//! (`rust.rs`); another language's index answers the same `LimitIndex::limits` question with
//! its own `Key`s.

use std::fmt::Debug;
use std::path::PathBuf;

use crate::facts::LimitSource;

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
}
