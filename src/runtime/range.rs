//! Version ranges: what a project declares (`>=2.7, !=3.0.*`, `~> 2.5`, classifiers from 2.7 to
//! 3.9) is a set of release lines, and each rule asks for the version in it that is worst for
//! its own question (`oldest_where(|v| v.below(3, 10))`, `newest_where(|v| v.at_least(2, 6))`).
//!
//! Release lines are `major.minor`; patch levels never change an fd default, so they are
//! dropped. An open upper bound means "up to the newest release": the newest line fdlint
//! knows, reported as "and later".

use std::fmt;
use std::path::PathBuf;

use crate::settings::Version;

/// Which runtime a range is of: their release lines differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runtime {
    Python,
    Ruby,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Python => "Python",
            Runtime::Ruby => "Ruby",
        }
    }

    /// Every release line, oldest first. The last one stands for "the newest and later".
    fn lines(self) -> &'static [(u32, u32)] {
        match self {
            Runtime::Python => &[
                (2, 0),
                (2, 1),
                (2, 2),
                (2, 3),
                (2, 4),
                (2, 5),
                (2, 6),
                (2, 7),
                (3, 0),
                (3, 1),
                (3, 2),
                (3, 3),
                (3, 4),
                (3, 5),
                (3, 6),
                (3, 7),
                (3, 8),
                (3, 9),
                (3, 10),
                (3, 11),
                (3, 12),
                (3, 13),
                (3, 14),
            ],
            Runtime::Ruby => &[
                (1, 8),
                (1, 9),
                (2, 0),
                (2, 1),
                (2, 2),
                (2, 3),
                (2, 4),
                (2, 5),
                (2, 6),
                (2, 7),
                (3, 0),
                (3, 1),
                (3, 2),
                (3, 3),
                (3, 4),
            ],
        }
    }

    /// The newest release line of `major`, or of the major before it.
    fn last_line_below(self, major: u32, minor: u32) -> Option<Version> {
        self.lines()
            .iter()
            .rev()
            .find(|&&(ma, mi)| (ma, mi) < (major, minor))
            .map(|&(major, minor)| v(major, minor))
    }
}

fn v(major: u32, minor: u32) -> Version {
    Version {
        major,
        minor: Some(minor),
    }
}

fn key(x: Version) -> (u32, u32) {
    (x.major, x.minor.unwrap_or(0))
}

/// Where a declared range came from: a file, the line, and what on it (`python_requires`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The declaring file; `None` for configuration and flags.
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
    /// What declared it: "`python_requires` in", "configured".
    pub what: String,
}

impl Source {
    pub fn file(path: PathBuf, line: usize, what: impl Into<String>) -> Source {
        Source {
            path: Some(path),
            line: Some(line),
            what: what.into(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.line) {
            (Some(p), Some(l)) => write!(f, "{} in {}:{l}", self.what, p.display()),
            (Some(p), None) => write!(f, "{} in {}", self.what, p.display()),
            _ => f.write_str(&self.what),
        }
    }
}

/// The runtime versions a file may run on, and where that was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange {
    pub runtime: Runtime,
    /// The oldest version; a minor of `None` only in a point range of an unknown minor
    /// (`--python-version 3`).
    pub min: Version,
    /// The newest version, inclusive; `None`: no upper bound (the newest release and later).
    pub max: Option<Version>,
    /// Whole release lines excluded (`!=3.0.*`).
    pub excluded: Vec<Version>,
    /// The declaration as written (`>=2.7, !=3.0.*`), for messages.
    pub spec: String,
    pub source: Source,
}

impl VersionRange {
    /// One version: a configured value, a pin, or what syntax proves.
    pub fn point(runtime: Runtime, version: Version, source: Source) -> VersionRange {
        VersionRange {
            runtime,
            min: version,
            max: Some(version),
            excluded: Vec::new(),
            spec: version.to_string(),
            source,
        }
    }

    /// Whether this is a single version.
    pub fn is_point(&self) -> bool {
        self.max == Some(self.min) || self.versions().len() == 1
    }

    /// The versions of the range, oldest first: every known release line within the bounds,
    /// plus the bounds themselves when fdlint does not know them as release lines.
    pub fn versions(&self) -> Vec<Version> {
        if self.min.minor.is_none() && self.max == Some(self.min) {
            return vec![self.min];
        }
        let lo = key(self.min);
        let hi = self.max.map(key);
        let mut out: Vec<Version> = self
            .runtime
            .lines()
            .iter()
            .map(|&(a, b)| v(a, b))
            .chain(std::iter::once(v(lo.0, lo.1)))
            .chain(self.max.filter(|m| m.minor != Some(u32::MAX)))
            .filter(|x| key(*x) >= lo && hi.is_none_or(|h| key(*x) <= h))
            .filter(|x| !self.excluded.iter().any(|e| key(*e) == key(*x)))
            .collect();
        out.sort_by_key(|x| key(*x));
        out.dedup_by_key(|x| key(*x));
        out
    }

    /// The oldest version of the range for which `bad` holds.
    pub fn oldest_where(&self, bad: impl Fn(Version) -> bool) -> Option<Version> {
        self.versions().into_iter().find(|x| bad(*x))
    }

    /// The newest version of the range for which `bad` holds.
    pub fn newest_where(&self, bad: impl Fn(Version) -> bool) -> Option<Version> {
        self.versions().into_iter().rev().find(|x| bad(*x))
    }

    pub fn oldest(&self) -> Option<Version> {
        self.oldest_where(|_| true)
    }

    /// Whether `version` is the newest line fdlint knows and the range has no upper bound: it
    /// stands for every later release too.
    pub fn is_open_end(&self, version: Version) -> bool {
        self.max.is_none() && self.versions().last() == Some(&version)
    }

    /// "Python 2.7, the oldest version `>=2.7` allows (`python_requires` in setup.py:12)".
    pub fn judged_at(&self, version: Version) -> String {
        let name = self.runtime.name();
        let shown = if self.is_open_end(version) {
            format!("{version} and later")
        } else {
            version.to_string()
        };
        if self.is_point() {
            return format!("{name} {shown} ({})", self.source);
        }
        let versions = self.versions();
        let place = if versions.first() == Some(&version) {
            "the oldest version"
        } else if versions.last() == Some(&version) {
            "the newest version"
        } else {
            "a version"
        };
        format!(
            "{name} {shown}, {place} `{}` allows ({})",
            self.spec, self.source
        )
    }

    /// Narrow the range to versions from `major.0` on, when any are left (a file with Python 3
    /// syntax in a project that also supports 2.7 runs on 3).
    pub fn from_major(&self, major: u32) -> Option<VersionRange> {
        let min = self
            .versions()
            .into_iter()
            .find(|x| x.major >= major)
            .filter(|x| self.max.is_none_or(|m| key(m) >= key(*x)))?;
        Some(VersionRange {
            min,
            ..self.clone()
        })
    }
}

/// A requirement's bounds before they become a range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bounds {
    pub min: Option<Version>,
    pub max: Option<Version>,
    pub excluded: Vec<Version>,
}

impl Bounds {
    pub fn into_range(self, runtime: Runtime, spec: &str, source: Source) -> VersionRange {
        VersionRange {
            runtime,
            min: self.min.unwrap_or_else(|| {
                let (a, b) = runtime.lines()[0];
                v(a, b)
            }),
            max: self.max,
            excluded: self.excluded,
            spec: spec.trim().to_string(),
            source,
        }
    }

    fn raise_min(&mut self, x: Version) {
        if self.min.is_none_or(|m| key(x) > key(m)) {
            self.min = Some(x);
        }
    }

    fn lower_max(&mut self, x: Version) {
        if self.max.is_none_or(|m| key(x) < key(m)) {
            self.max = Some(x);
        }
    }
}

/// `3.8.1` -> (3, Some(8), true); `3` -> (3, None, false); `3.8.*` -> (3, Some(8), false).
fn numbers(s: &str) -> Option<(u32, Option<u32>, bool)> {
    let s = s.trim().trim_matches(['"', '\'']).trim();
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '*'))
        .unwrap_or(s.len());
    let mut parts = s[..end].split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok());
    let patch = parts.next().is_some_and(|p| p != "*" && !p.is_empty());
    Some((major, minor, patch))
}

/// Every version of a major: `3` -> 3.0 to the newest 3.x.
fn whole_major(major: u32) -> (Version, Version) {
    (v(major, 0), v(major, u32::MAX))
}

/// Parse one requirement, PEP 440 (`>=2.7, !=3.0.*, <4`, `~=3.8`, `==3.9.*`), Poetry (`^3.8`,
/// `~3.8`, `^2.7 || ^3.6`) or RubyGems (`>= 2.5.0`, `~> 2.7`, several clauses), into bounds.
/// A bare version is that release line (`3.8.2` -> 3.8; `3` -> every 3.x). `None` when no
/// clause names a version (`*`, `system`).
pub fn parse_requirement(runtime: Runtime, spec: &str) -> Option<Bounds> {
    let alternatives: Vec<Bounds> = spec
        .split("||")
        .filter_map(|alt| parse_clauses(runtime, alt))
        .collect();
    let mut it = alternatives.into_iter();
    let mut hull = it.next()?;
    for b in it {
        hull.min = match (hull.min, b.min) {
            (Some(x), Some(y)) => Some(if key(x) <= key(y) { x } else { y }),
            _ => None,
        };
        hull.max = match (hull.max, b.max) {
            (Some(x), Some(y)) => Some(if key(x) >= key(y) { x } else { y }),
            _ => None,
        };
        hull.excluded.retain(|e| b.excluded.contains(e));
    }
    Some(hull)
}

fn parse_clauses(runtime: Runtime, spec: &str) -> Option<Bounds> {
    let mut b = Bounds::default();
    let mut any = false;
    for clause in spec.split(',') {
        let c = clause.trim().trim_matches(['"', '\'']).trim();
        if c.is_empty() {
            continue;
        }
        let (op, rest) = split_op(c);
        let Some((major, minor, patch)) = numbers(rest) else {
            continue;
        };
        any = true;
        match (op, minor) {
            (">=" | ">", Some(mi)) => b.raise_min(v(major, mi)),
            (">=" | ">", None) => b.raise_min(v(major, 0)),
            ("<=", Some(mi)) => b.lower_max(v(major, mi)),
            ("<=", None) => b.lower_max(whole_major(major).1),
            ("<", Some(mi)) if patch => b.lower_max(v(major, mi)),
            ("<", Some(mi)) => {
                if let Some(x) = runtime.last_line_below(major, mi) {
                    b.lower_max(x);
                }
            }
            ("<", None) => {
                if let Some(x) = runtime.last_line_below(major, 0) {
                    b.lower_max(x);
                }
            }
            ("!=", Some(mi)) if !patch => b.excluded.push(v(major, mi)),
            ("!=", _) => {}
            // `~=3.8`, `~> 2.7`, `^3.8`: this minor and every later one of the major;
            // `~=3.8.1`, `~> 2.7.1`, `~3.8`: this minor only.
            ("^", Some(mi)) => {
                b.raise_min(v(major, mi));
                b.lower_max(whole_major(major).1);
            }
            ("~=" | "~>", Some(mi)) if !patch => {
                b.raise_min(v(major, mi));
                b.lower_max(whole_major(major).1);
            }
            ("~=" | "~>" | "~" | "==" | "===" | "=" | "", Some(mi)) => {
                b.raise_min(v(major, mi));
                b.lower_max(v(major, mi));
            }
            (_, None) => {
                let (lo, hi) = whole_major(major);
                b.raise_min(lo);
                b.lower_max(hi);
            }
            _ => any = false,
        }
    }
    any.then_some(b)
}

fn split_op(c: &str) -> (&str, &str) {
    for op in [
        "===", "~=", "~>", "==", "!=", ">=", "<=", ">", "<", "^", "~", "=",
    ] {
        if let Some(rest) = c.strip_prefix(op) {
            return (op, rest.trim_start());
        }
    }
    ("", c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(rt: Runtime, spec: &str) -> VersionRange {
        parse_requirement(rt, spec).expect(spec).into_range(
            rt,
            spec,
            Source {
                path: None,
                line: None,
                what: "test".into(),
            },
        )
    }

    fn shown(r: &VersionRange) -> Vec<String> {
        r.versions().iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn pep440_requirements() {
        let r = range(Runtime::Python, ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*");
        assert_eq!(r.oldest().unwrap().to_string(), "2.7");
        let vs = shown(&r);
        assert!(!vs.contains(&"3.0".to_string()) && !vs.contains(&"3.3".to_string()));
        assert!(vs.contains(&"3.4".to_string()));
        assert!(r.max.is_none());
        assert_eq!(
            shown(&range(Runtime::Python, "~=3.8")).first().unwrap(),
            "3.8"
        );
        assert_eq!(
            shown(&range(Runtime::Python, "~=3.8")).last().unwrap(),
            "3.14"
        );
        assert_eq!(shown(&range(Runtime::Python, "~=3.8.1")), ["3.8"]);
        assert_eq!(
            shown(&range(Runtime::Python, ">=3.6,<3.10"))
                .last()
                .unwrap(),
            "3.9"
        );
        assert_eq!(
            shown(&range(Runtime::Python, ">=2.6,<3")).last().unwrap(),
            "2.7"
        );
        assert_eq!(shown(&range(Runtime::Python, "==3.9.*")), ["3.9"]);
        assert_eq!(
            shown(&range(Runtime::Python, "<3.10.2")).last().unwrap(),
            "3.10"
        );
        assert_eq!(
            shown(&range(Runtime::Python, "^2.7 || ^3.6"))
                .first()
                .unwrap(),
            "2.7"
        );
        assert!(shown(&range(Runtime::Python, "^2.7 || ^3.6")).contains(&"3.12".to_string()));
        assert_eq!(shown(&range(Runtime::Python, "3.11.4")), ["3.11"]);
        assert!(parse_requirement(Runtime::Python, "*").is_none());
        assert!(parse_requirement(Runtime::Python, "system").is_none());
    }

    #[test]
    fn rubygems_requirements() {
        let r = range(Runtime::Ruby, ">= 2.5.0");
        assert_eq!(r.oldest().unwrap().to_string(), "2.5");
        let newest = r.newest_where(|v| v.at_least(2, 6)).unwrap();
        assert_eq!(newest.to_string(), "3.4");
        assert!(
            r.judged_at(newest)
                .contains("3.4 and later, the newest version")
        );
        let old = range(Runtime::Ruby, ">= 2.0, < 2.6");
        assert_eq!(old.newest_where(|v| v.at_least(2, 6)), None);
        assert_eq!(shown(&range(Runtime::Ruby, "~> 2.7")), ["2.7"]);
        assert_eq!(shown(&range(Runtime::Ruby, "~> 2.7.1")), ["2.7"]);
        assert_eq!(
            shown(&range(Runtime::Ruby, "~> 3.1")).last().unwrap(),
            "3.4"
        );
    }

    #[test]
    fn worst_versions() {
        let r = range(Runtime::Python, ">=3.8");
        assert_eq!(
            r.oldest_where(|v| v.below(3, 10)).map(|v| v.to_string()),
            Some("3.8".into())
        );
        assert_eq!(
            range(Runtime::Python, ">=3.10").oldest_where(|v| v.below(3, 10)),
            None
        );
        let unknown_minor = VersionRange::point(
            Runtime::Python,
            Version {
                major: 3,
                minor: None,
            },
            Source {
                path: None,
                line: None,
                what: "configured".into(),
            },
        );
        assert_eq!(unknown_minor.versions().len(), 1);
        assert_eq!(unknown_minor.oldest_where(|v| v.below(3, 10)), None);
        let both = range(Runtime::Python, ">=2.7");
        assert_eq!(
            both.from_major(3).unwrap().oldest().unwrap().to_string(),
            "3.0"
        );
        assert!(range(Runtime::Python, "<3").from_major(3).is_none());
    }
}
