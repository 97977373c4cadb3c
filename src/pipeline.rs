//! The pipeline's vocabulary: what goes in (a [`Target`], with the [`Package`] it belongs to)
//! and what comes out of linting one file ([`Linted`]: findings and [`FileProblem`]s). It lives
//! below the modules that pass it along (`engine`, `deps`, `suppress`, `report`), so none of
//! them has to import another to name it.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::facts::{Facts, Lang};
use crate::finding::Finding;

/// Why a file was not (fully) analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The file or directory could not be read.
    IoError,
    /// Not a regular file, or not lintable.
    NotAFile,
    /// Larger than the size limit.
    TooLarge,
    /// Contains NUL bytes.
    Binary,
    /// Not valid UTF-8: linted with replacement characters.
    NotUtf8,
    /// The parser recovered from syntax errors: findings may be incomplete.
    ParseError,
    /// A stage ran out of its budget: parsing took too long (no findings), or a later stage
    /// (query, walk, resolve) ran out of steps or time (the findings made before it are kept).
    /// The message names the stage.
    Timeout,
    /// Nested too deeply to analyse safely.
    TooDeep,
    /// An `fdlint: ignore` comment that names no rules, or cannot be read.
    InvalidSuppression,
    /// fdlint itself failed on this file (a panic, caught): a bug to report. The run goes on
    /// and ends with exit status 2.
    InternalError,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FileProblem {
    pub path: PathBuf,
    pub kind: ProblemKind,
    /// 1-based line, where the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

/// The package registry a dependency comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Ecosystem {
    #[serde(rename = "pypi")]
    Pypi,
    #[serde(rename = "rubygems")]
    Rubygems,
    #[serde(rename = "crates.io")]
    CratesIo,
}

impl Ecosystem {
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Pypi => "pypi",
            Ecosystem::Rubygems => "rubygems",
            Ecosystem::CratesIo => "crates.io",
        }
    }
}

impl std::fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An installed dependency. Files that belong to no known distribution are given the name `?`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// The lockfile or requirements line that pins it in the project, where there is one:
    /// where SARIF, GitHub annotations and the job summary put its findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<Pin>,
}

impl Package {
    pub fn new(ecosystem: Ecosystem, name: &str, version: &str) -> Arc<Package> {
        Arc::new(Package {
            ecosystem,
            name: name.to_string(),
            version: version.to_string(),
            pin: None,
        })
    }
}

/// The line that pins a package, in a file relative to the project when it is inside it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pin {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
}

impl std::fmt::Display for Package {
    /// `pygments.rb 2.4.0 (rubygems)`: the human report's header line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.version.is_empty() {
            write!(f, "{} ({})", self.name, self.ecosystem)
        } else {
            write!(f, "{} {} ({})", self.name, self.version, self.ecosystem)
        }
    }
}

/// A file to lint, and the dependency it belongs to when it is one.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    pub lang: Lang,
    pub package: Option<Arc<Package>>,
    pub package_path: Option<String>,
    /// `lang` is the file name's, and the worker reads the first line of the bytes it reads
    /// to settle it (`discover::Candidate::sniff`).
    pub sniff: bool,
}

/// What linting one file's text produced.
#[derive(Debug, Default)]
pub struct Linted {
    pub findings: Vec<Finding>,
    pub problems: Vec<FileProblem>,
    pub parsed: bool,
    /// The facts, when the file has any that the cross-file link pass needs (spawn calls,
    /// close loops).
    pub facts: Option<Arc<Facts>>,
}
