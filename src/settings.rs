//! Validated settings for a run: what the config file and the CLI asked for, checked once, in
//! the shape the pipeline needs.

use crate::cost::DEFAULT_ASSUMED_NOFILE;
use crate::finding::Severity;

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
    pub rules: crate::selection::RuleSelection,
    /// Paths the configuration file excludes from directory walks.
    pub exclude: Option<crate::config::Exclude>,
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
            rules: crate::selection::RuleSelection::default(),
            exclude: None,
            timings: false,
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
