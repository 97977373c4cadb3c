//! Validated settings for a run: what the config file and the CLI asked for, checked once, in
//! the shape the pipeline needs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ignore::gitignore::Gitignore;

use crate::cost::DEFAULT_ASSUMED_NOFILE;
use crate::finding::{Finding, RuleMeta, Severity};

/// A `MAJOR.MINOR` runtime version (`2.7`, `3.12`); a bare `3` means "some 3.x".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: Option<u32>,
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let mut it = s.splitn(3, '.');
        let major = it.next()?.parse().ok()?;
        let minor = match it.next() {
            Some(m) => Some(m.parse().ok()?),
            None => None,
        };
        Some(Version { major, minor })
    }

    /// Whether this version is known to be at least `major.minor`.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.major > major || (self.major == major && self.minor.is_some_and(|m| m >= minor))
    }

    /// Whether this version is known to be older than `major.minor`.
    pub fn below(&self, major: u32, minor: u32) -> bool {
        self.major < major || (self.major == major && self.minor.is_some_and(|m| m < minor))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.minor {
            Some(m) => write!(f, "{}.{}", self.major, m),
            None => write!(f, "{}", self.major),
        }
    }
}

/// Everything a run needs to know, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The RLIMIT_NOFILE value costs are computed at.
    pub assume_nofile: u64,
    /// The Python version the code runs on, when configured.
    pub python_version: Option<Version>,
    /// The Ruby version the code runs on, when configured.
    pub ruby_version: Option<Version>,
    /// Findings at or above this severity make the exit status 1; `None` never does.
    pub fail_on: Option<Severity>,
    /// Skip files that cannot contain a finding before parsing them (never changes results).
    pub prefilter: bool,
    /// Ignore `.gitignore` files.
    pub no_ignore: bool,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Files larger than this are reported and skipped.
    pub max_file_size: u64,
    /// Abandon a parse after this many milliseconds.
    pub parse_timeout_ms: u64,
    /// Which rules run, and severity overrides (config `select`/`ignore`/`severity`, flags).
    pub rules: RuleSelection,
    /// Paths the configuration file excludes from directory walks.
    pub exclude: Option<Exclude>,
    /// Measure the time each phase takes (`--statistics`); off, no clock is read per file.
    pub timings: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            assume_nofile: DEFAULT_ASSUMED_NOFILE,
            python_version: None,
            ruby_version: None,
            fail_on: Some(Severity::Warning),
            prefilter: true,
            no_ignore: false,
            threads: 0,
            max_file_size: 16 * 1024 * 1024,
            parse_timeout_ms: 5_000,
            rules: RuleSelection::default(),
            exclude: None,
            timings: false,
        }
    }
}

/// Excluded paths: gitignore-style globs relative to the configuration file's directory
/// (`build/`, `tests/fixtures/**`, `*_pb2.py`), checked during discovery.
#[derive(Debug, Clone)]
pub struct Exclude {
    pub(crate) root: PathBuf,
    pub(crate) matcher: Gitignore,
}

impl Exclude {
    /// Whether a walked path (file or directory) is excluded. Paths outside the configuration
    /// file's directory never are.
    pub fn is_excluded(&self, path: &Path, is_dir: bool) -> bool {
        let Ok(abs) = std::path::absolute(path) else {
            return false;
        };
        match abs.strip_prefix(&self.root) {
            Ok(rel) if !rel.as_os_str().is_empty() => self
                .matcher
                .matched_path_or_any_parents(rel, is_dir)
                .is_ignore(),
            _ => false,
        }
    }
}

/// One layer of selection: what it selects (replacing earlier layers) and ignores.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub select: Option<Vec<&'static RuleMeta>>,
    pub ignore: Vec<&'static RuleMeta>,
}

/// The enabled rules and per-rule severity overrides of a run.
///
/// Selection is held as "every rule, or the codes selected" minus the codes ignored since, so
/// that the default (every rule) needs no list of the rules: `settings` stays below `rules`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleSelection {
    /// `None`: every rule; otherwise the codes a layer selected.
    selected: Option<Vec<&'static str>>,
    /// Codes ignored while `selected` is `None` (every rule).
    ignored: Vec<&'static str>,
    severity: BTreeMap<&'static str, Severity>,
}

impl RuleSelection {
    /// Apply one layer on top of the current selection.
    pub fn apply(&mut self, layer: &Layer) {
        if let Some(select) = &layer.select {
            self.selected = Some(select.iter().map(|r| r.code).collect());
            self.ignored.clear();
        }
        let ignore = layer.ignore.iter().map(|r| r.code);
        match &mut self.selected {
            Some(selected) => selected.retain(|code| !layer.ignore.iter().any(|r| r.code == *code)),
            None => self.ignored.extend(ignore),
        }
        for codes in self.selected.iter_mut().chain([&mut self.ignored]) {
            codes.sort_unstable();
            codes.dedup();
        }
    }

    pub fn is_enabled(&self, rule: &RuleMeta) -> bool {
        self.selected
            .as_ref()
            .map_or(!self.ignored.contains(&rule.code), |s| {
                s.contains(&rule.code)
            })
    }

    /// Report every finding of `rule` at `severity`.
    pub fn set_severity(&mut self, rule: &'static RuleMeta, severity: Severity) {
        self.severity.insert(rule.code, severity);
    }

    /// The configured severity overrides, applied to fresh findings.
    pub fn override_severities(&self, findings: &mut [Finding]) {
        if self.severity.is_empty() {
            return;
        }
        for f in findings {
            if let Some(s) = self.severity.get(f.rule.code) {
                f.severity = *s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v = Version::parse("3.9").unwrap();
        assert!(v.below(3, 10));
        assert!(!v.at_least(3, 10));
        let v = Version::parse("3").unwrap();
        assert!(!v.below(3, 10) && !v.at_least(3, 10));
        assert!(Version::parse("2.7").unwrap().below(3, 0));
        assert!(Version::parse("x").is_none());
        assert!(Version::parse("3.x").is_none());
    }
}
