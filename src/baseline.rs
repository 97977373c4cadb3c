//! Baselines: the findings a project has accepted, so that a run reports only new ones.
//!
//! A pull request that bumps a dependency should fail only when the bump brings in a new
//! finding. So a finding's identity must survive a version bump that does not touch the
//! offending code, and edits elsewhere in the file: it is the ecosystem, the package NAME (not
//! its version), the path inside the package (for `fdlint check`: the path relative to the
//! current directory), the rule code, and a hash of the offending source (the finding's primary
//! span with whitespace collapsed). Line numbers are not part of it.
//!
//! Identities are a multiset: two identical loops in one file are two entries, and a baseline
//! with one of them leaves the other reported.
//!
//! Architecture invariant: a baseline file is deterministic: sorted, versioned, and the same
//! findings always write the same bytes.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

use crate::deps::slash_path;
use crate::engine::{FileReport, RunResult};
use crate::finding::Finding;

/// The version of the baseline file format; bumped when identities change meaning.
pub const FORMAT_VERSION: u32 = 1;

/// What identifies a finding across runs, versions and line shifts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Identity {
    /// `pypi`, `rubygems`, `crates.io`; absent for the project's own files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// The package name, never its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// `/`-separated path inside the package, or relative to the current directory.
    pub path: String,
    pub rule: String,
    /// FNV-1a (64-bit, hex) of the primary span's text with whitespace runs collapsed.
    pub hash: String,
}

/// A baseline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Identity>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: not a fdlint baseline: {message}")]
    Format { path: String, message: String },
    #[error("{path}: baseline format version {found}; this fdlint reads version {FORMAT_VERSION}")]
    Version { path: String, found: u32 },
}

/// 64-bit FNV-1a: small, stable across platforms and releases, and enough to tell loops apart.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The offending source, normalised: whitespace runs (including line breaks and indentation)
/// collapsed to one space, so re-indenting or re-wrapping a loop keeps its identity.
pub fn normalized_source(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A path for a project file's identity: relative to the current directory where it can be,
/// without `./`, `/`-separated.
fn project_path(path: &Path) -> String {
    let rel = if path.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.to_path_buf())
    } else {
        path.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    };
    slash_path(&rel)
}

/// The identity of one finding of one file.
pub fn identity(file: &FileReport, f: &Finding) -> Identity {
    let source = file.text.get(f.span.start..f.span.end).unwrap_or("");
    Identity {
        ecosystem: file
            .package
            .as_ref()
            .map(|p| p.ecosystem.as_str().to_string()),
        package: file.package.as_ref().map(|p| p.name.clone()),
        path: file
            .package_path
            .clone()
            .unwrap_or_else(|| project_path(&file.path)),
        rule: f.rule.code.to_string(),
        hash: format!("{:016x}", fnv1a64(normalized_source(source).as_bytes())),
    }
}

impl Baseline {
    /// The baseline that accepts every finding of `result`.
    pub fn from_result(result: &RunResult) -> Baseline {
        let mut findings: Vec<Identity> = result.findings().map(|(f, x)| identity(f, x)).collect();
        findings.sort();
        Baseline {
            version: FORMAT_VERSION,
            findings,
        }
    }

    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let text = fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: shown.clone(),
            source,
        })?;
        #[derive(Deserialize)]
        struct Head {
            version: u32,
        }
        let head: Head = serde_json::from_str(&text).map_err(|e| BaselineError::Format {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        if head.version != FORMAT_VERSION {
            return Err(BaselineError::Version {
                path: shown,
                found: head.version,
            });
        }
        serde_json::from_str(&text).map_err(|e| BaselineError::Format {
            path: shown,
            message: e.to_string(),
        })
    }

    /// Write the baseline: pretty JSON, sorted, through a temporary file renamed into place.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        text.push('\n');
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path.file_name().map_or_else(
            || "baseline".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let tmp = dir.join(format!(".{name}.fdlint-tmp-{}", std::process::id()));
        let written = fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(())
    }

    /// For every finding of `result` (per file, in order), whether the baseline accepts it.
    /// Reporters that keep accepted findings (SARIF marks them suppressed) use this directly.
    pub fn matches(&self, result: &RunResult) -> Vec<Vec<bool>> {
        let mut left: HashMap<&Identity, usize> = HashMap::new();
        for id in &self.findings {
            *left.entry(id).or_default() += 1;
        }
        result
            .files
            .iter()
            .map(|file| {
                file.findings
                    .iter()
                    .map(|f| {
                        if f.suppressed {
                            return false;
                        }
                        match left.get_mut(&identity(file, f)) {
                            Some(n) if *n > 0 => {
                                *n -= 1;
                                true
                            }
                            _ => false,
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Mark the findings the baseline accepts (reporters skip them, SARIF keeps them as
    /// externally suppressed); count them in `stats.known_in_baseline`.
    pub fn apply(&self, result: &mut RunResult) -> usize {
        let matched = self.matches(result);
        let mut known = 0;
        for (file, m) in result.files.iter_mut().zip(matched) {
            for (f, accepted) in file.findings.iter_mut().zip(m) {
                if accepted && !f.suppressed {
                    f.baselined = true;
                    known += 1;
                }
            }
        }
        result.stats.known_in_baseline += known;
        known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_ignores_layout() {
        let a = "for fd in range(3, maxfd):\n    os.close(fd)";
        let b = "for fd in range(3, maxfd):\n\n        os.close(fd)  ";
        assert_eq!(normalized_source(a), normalized_source(b));
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
