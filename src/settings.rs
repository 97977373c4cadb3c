//! Validated settings for a run: what the config file and the CLI asked for, checked once, in
//! the shape the pipeline needs. A run's [`Settings`] are those of its first path; with
//! hierarchical configuration (`config::Hierarchy`, a [`DirSettings`]) each file gets its own through
//! [`Settings::for_path`], which also applies `per-file-ignores`.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::cost::DEFAULT_ASSUMED_NOFILE;
use crate::finding::{Finding, RuleMeta, Severity};

/// Directories `fdlint check` never enters unless `exclude` replaces this list: ruff's
/// default `exclude`, plus `__pycache__`, minus three names that are also real source
/// directories in the code fdlint scans (`build`: pip's `operations/build`, Rust crates'
/// build-script modules; `venv`: CPython's own `venv` package; `dist`: Python namespace
/// packages, and it holds archives or compiled JavaScript otherwise). Those are recognised by
/// their contents instead: see [`default_excluded`].
pub const DEFAULT_EXCLUDE: &[&str] = &[
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "node_modules",
    "site-packages",
];

/// Which paths discovery leaves out: `exclude` (or the defaults) plus every `extend-exclude`.
#[derive(Debug, Clone, Default)]
pub struct Exclusion {
    /// `None`: the defaults.
    pub exclude: Option<Exclude>,
    pub extend: Vec<Exclude>,
    /// Where the defaults stop applying to a named file's parents (the configuration file's
    /// directory; `None`: the working directory).
    pub root: Option<PathBuf>,
}

/// Names whose presence in a directory the walk reads from the directory's listing instead of
/// asking the file system for each directory (four `statx` calls per directory, ~80,000 on the
/// benchmark corpus): the configuration files, a virtualenv's `pyvenv.cfg`, git's files. The
/// walk sorts them first among a directory's entries, so it has seen all of them before
/// anything in the directory is judged.
pub const LISTED: &[&str] = &[
    ".fdlint.toml",
    ".git",
    ".gitignore",
    "fdlint.toml",
    "pyproject.toml",
    "pyvenv.cfg",
];

/// The bit of `name` in a listing (`LISTED`), 0 for any other name.
pub fn listed_bit(name: &str) -> u8 {
    listed_bit_of(name.as_bytes())
}

/// [`listed_bit`] of a name's bytes (the walk's sort reads names as bytes).
pub fn listed_bit_of(name: &[u8]) -> u8 {
    LISTED
        .iter()
        .position(|n| n.as_bytes() == name)
        .map_or(0, |i| 1 << i)
}

/// A map keyed by a path's bytes (`OsString`), hashed with foldhash: the per-directory caches
/// (`config::Hierarchy`, `runtime::ProjectCache`) take a lookup per file and per directory, and
/// SipHash was 3% of a walk's CPU. (A `Path` key would hash its parsed components.)
pub type PathMap<V> = std::collections::HashMap<std::ffi::OsString, V, foldhash::fast::RandomState>;

/// Whether a directory entry is one of the default excludes: a name of [`DEFAULT_EXCLUDE`], a
/// virtualenv whatever its name (`pyvenv.cfg`: venv, and virtualenv since 20.0), a
/// setuptools `build/` directory (`build/lib`, `build/lib.<platform>`, `build/bdist.*`,
/// `build/scripts-X.Y`: copies of the project's own files) or Bundler's `vendor/bundle`
/// (installed gems: `fdlint deps` scans those).
pub fn default_excluded(path: &Path, is_dir: bool) -> bool {
    default_excluded_with(path, is_dir, None)
}

/// `default_excluded`, told whether a directory holds a `pyvenv.cfg` (`None`: look).
pub fn default_excluded_with(path: &Path, is_dir: bool, venv: Option<bool>) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if DEFAULT_EXCLUDE.contains(&name) {
        return true;
    }
    if !is_dir {
        return false;
    }
    let parent_is = |n: &str| {
        path.parent()
            .and_then(Path::file_name)
            .is_some_and(|p| p == n)
    };
    venv.unwrap_or_else(|| path.join("pyvenv.cfg").is_file())
        || (name == "bundle" && parent_is("vendor"))
        || (name == "build" && is_setuptools_build(path))
}

fn is_setuptools_build(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        e.file_name().to_str().is_some_and(|n| {
            n == "lib"
                || n.starts_with("lib.")
                || n.starts_with("bdist.")
                || n.starts_with("scripts-")
                || n.starts_with("temp.")
        })
    })
}

impl Exclusion {
    /// Whether a path met while walking is excluded (its parents were checked when they were
    /// entered).
    pub fn is_excluded(&self, path: &Path, is_dir: bool) -> bool {
        self.is_excluded_with(path, is_dir, None)
    }

    /// `is_excluded`, told whether a directory holds a `pyvenv.cfg` (`None`: look), as the
    /// walk knows from the directory's listing (`discover::LISTED`).
    pub fn is_excluded_with(&self, path: &Path, is_dir: bool, venv: Option<bool>) -> bool {
        let by_exclude = match &self.exclude {
            None => default_excluded_with(path, is_dir, venv),
            Some(x) => x.is_excluded(path, is_dir),
        };
        by_exclude || self.extend.iter().any(|x| x.is_excluded(path, is_dir))
    }

    /// Whether a path named on the command line is excluded, by itself or by a parent below
    /// the configuration file's directory (`--force-exclude`).
    pub fn excludes_named_path(&self, path: &Path, is_dir: bool) -> bool {
        if self.is_excluded(path, is_dir) {
            return true;
        }
        if self.exclude.is_some() {
            // Globs already look at every parent below their anchor.
            return false;
        }
        let root = match &self.root {
            Some(r) => r.clone(),
            None => std::env::current_dir().unwrap_or_default(),
        };
        let Ok(abs) = std::path::absolute(path) else {
            return false;
        };
        let Ok(rel) = abs.strip_prefix(&root) else {
            return false;
        };
        let mut dir = root;
        let mut parts: Vec<_> = rel.components().collect();
        parts.pop();
        parts.into_iter().any(|c| {
            dir.push(c);
            default_excluded(&dir, true)
        })
    }
}

/// What the command line sets: applied on top of every configuration file, so it wins.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub selection: Layer,
    pub assume_nofile: Option<u64>,
    pub python_version: Option<Version>,
    pub ruby_version: Option<Version>,
    /// `Some(None)` is `--fail-on never`.
    pub fail_on: Option<Option<Severity>>,
    /// `--exclude`: replaces the configuration's `exclude` (and the defaults).
    pub exclude: Option<Exclude>,
    /// `--extend-exclude`.
    pub extend_exclude: Option<Exclude>,
    pub force_exclude: bool,
    pub no_ignore: bool,
    pub no_prefilter: bool,
    pub threads: usize,
    pub timings: bool,
}

impl Overrides {
    pub fn apply(&self, s: &mut Settings) {
        s.rules.apply(&self.selection);
        s.assume_nofile = self.assume_nofile.unwrap_or(s.assume_nofile);
        s.python_version = self.python_version.or(s.python_version);
        s.ruby_version = self.ruby_version.or(s.ruby_version);
        if let Some(f) = self.fail_on {
            s.fail_on = f;
        }
        if let Some(x) = &self.exclude {
            s.exclusion.exclude = Some(x.clone());
        }
        s.exclusion.extend.extend(self.extend_exclude.clone());
        s.force_exclude |= self.force_exclude;
        s.no_ignore = self.no_ignore;
        s.prefilter = !self.no_prefilter;
        s.threads = self.threads;
        s.timings = self.timings;
    }
}

/// The settings of one file: the run's own, its directory's (shared), or a copy with
/// `per-file-ignores` applied.
pub enum Resolved<'a> {
    Run(&'a Settings),
    Dir(Arc<Settings>),
    File(Box<Settings>),
}

impl Deref for Resolved<'_> {
    type Target = Settings;
    fn deref(&self) -> &Settings {
        match self {
            Resolved::Run(s) => s,
            Resolved::Dir(s) => s,
            Resolved::File(s) => s,
        }
    }
}

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
    /// Paths discovery leaves out.
    pub exclusion: Exclusion,
    /// Apply the exclusion to files named on the command line too (`--force-exclude`).
    pub force_exclude: bool,
    /// `per-file-ignores`, applied by [`Settings::for_path`] (shared: the settings of a file
    /// they apply to are a copy).
    pub per_file_ignores: Arc<[PerFileIgnore]>,
    /// The configuration file these settings come from.
    pub config_file: Option<PathBuf>,
    /// Per-directory settings (hierarchical configuration); `None`: these settings apply to
    /// every file.
    pub hierarchy: Option<Arc<dyn DirSettings>>,
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
            exclusion: Exclusion::default(),
            force_exclude: false,
            per_file_ignores: Arc::new([]),
            config_file: None,
            hierarchy: None,
            timings: false,
        }
    }
}

impl Settings {
    /// The settings that apply to the file `path`: its directory's closest configuration file
    /// (with hierarchical configuration), then its `per-file-ignores`.
    pub fn for_path(&self, path: &Path) -> Resolved<'_> {
        let base = match &self.hierarchy {
            Some(h) => Resolved::Dir(h.for_dir(path.parent().unwrap_or(Path::new("")))),
            None => Resolved::Run(self),
        };
        let ignore: Vec<_> = base
            .per_file_ignores
            .iter()
            .filter(|p| p.applies_to(path))
            .flat_map(|p| p.rules.iter().copied())
            .collect();
        if ignore.is_empty() {
            return base;
        }
        let mut s = Settings::clone(&base);
        s.rules.apply(&Layer {
            select: None,
            ignore,
        });
        Resolved::File(Box::new(s))
    }

    /// What --show-settings prints for `path`: where the settings come from and their values,
    /// one `key = value` line each, in the configuration file's terms.
    pub fn describe(&self, path: &Path, all_rules: &[&'static RuleMeta]) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let quoted = |v: &[String]| {
            let items: Vec<String> = v.iter().map(|p| format!("{p:?}")).collect();
            format!("[{}]", items.join(", "))
        };
        let version = |v: Option<Version>| {
            v.map_or("(from the project's files)".to_string(), |v| {
                format!("{:?}", v.to_string())
            })
        };
        let _ = writeln!(o, "Settings for: {}", path.display());
        let _ = writeln!(
            o,
            "Configuration file: {}",
            self.config_file
                .as_ref()
                .map_or("none (defaults)".to_string(), |p| p.display().to_string())
        );
        let codes: Vec<String> = self
            .rules
            .enabled_among(all_rules)
            .iter()
            .map(|c| (*c).to_string())
            .collect();
        let _ = writeln!(o, "select = {}", quoted(&codes));
        for (code, sev) in self.rules.severity_overrides() {
            let _ = writeln!(o, "severity.{code} = \"{sev}\"");
        }
        let _ = writeln!(o, "python-version = {}", version(self.python_version));
        let _ = writeln!(o, "ruby-version = {}", version(self.ruby_version));
        let _ = writeln!(o, "assume-nofile = {}", self.assume_nofile);
        let _ = writeln!(
            o,
            "fail-on = \"{}\"",
            self.fail_on.map_or("never".to_string(), |s| s.to_string())
        );
        match &self.exclusion.exclude {
            None => {
                let d: Vec<String> = DEFAULT_EXCLUDE.iter().map(|d| (*d).to_string()).collect();
                let _ = writeln!(
                    o,
                    "exclude = {} (the defaults; also virtualenvs, setuptools build/ and vendor/bundle)",
                    quoted(&d)
                );
            }
            Some(x) => {
                let _ = writeln!(
                    o,
                    "exclude = {} (relative to {})",
                    quoted(x.patterns()),
                    x.root().display()
                );
            }
        }
        for x in &self.exclusion.extend {
            let _ = writeln!(
                o,
                "extend-exclude = {} (relative to {})",
                quoted(x.patterns()),
                x.root().display()
            );
        }
        let _ = writeln!(o, "force-exclude = {}", self.force_exclude);
        for p in self.per_file_ignores.iter() {
            let codes: Vec<String> = p.rules.iter().map(|r| r.code.to_string()).collect();
            let applies = if p.applies_to(path) {
                " (applies to this file)"
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "per-file-ignores.{:?} = {}{applies}",
                p.pattern(),
                quoted(&codes)
            );
        }
        let _ = writeln!(o, "respect-gitignore = {}", !self.no_ignore);
        o
    }

    /// The settings of the directory holding `path` (a directory itself, or a file's parent),
    /// for what discovery decides about its entries.
    pub fn for_dir_entries(&self, dir: &Path) -> Resolved<'_> {
        match &self.hierarchy {
            Some(h) => Resolved::Dir(h.for_dir(dir)),
            None => Resolved::Run(self),
        }
    }
}

/// Excluded paths: gitignore-style globs relative to the directory they are anchored at (the
/// configuration file's, or the working directory for `--exclude`): `build/`,
/// `tests/fixtures/**`, `*_pb2.py`. Checked during discovery.
#[derive(Debug, Clone)]
pub struct Exclude {
    root: PathBuf,
    patterns: Vec<String>,
    matcher: Gitignore,
}

impl Exclude {
    /// Globs anchored at `root`. `Err((i, message))` names the first bad pattern.
    pub fn new(root: &Path, patterns: &[String]) -> Result<Exclude, (usize, String)> {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let mut b = GitignoreBuilder::new(&root);
        for (i, g) in patterns.iter().enumerate() {
            b.add_line(None, g)
                .map_err(|e| (i, format!("bad glob `{g}`: {e}")))?;
        }
        let matcher = b.build().map_err(|e| (0, e.to_string()))?;
        Ok(Exclude {
            root,
            patterns: patterns.to_vec(),
            matcher,
        })
    }

    /// The globs, as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The directory the globs are relative to.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether a path (file or directory) is excluded, by itself or through a parent. Paths
    /// outside the anchor directory never are.
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

/// One `per-file-ignores` entry: files matching a glob (relative to the configuration file's
/// directory, gitignore-style: `tests/**`, `*_test.py`; `!glob` for the files that do *not*
/// match, as in ruff) do not get findings of these rules.
#[derive(Debug, Clone)]
pub struct PerFileIgnore {
    pub(crate) pattern: String,
    pub(crate) negated: bool,
    pub(crate) glob: Exclude,
    pub rules: Vec<&'static RuleMeta>,
}

impl PerFileIgnore {
    /// The glob as written (with its `!`).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether the entry applies to the file `path`.
    pub fn applies_to(&self, path: &Path) -> bool {
        let inside = std::path::absolute(path).is_ok_and(|a| a.starts_with(self.glob.root()));
        inside && self.glob.is_excluded(path, false) != self.negated
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

impl RuleSelection {
    /// The codes of the rules among `all` that are enabled, in `all`'s order.
    pub fn enabled_among(&self, all: &[&'static RuleMeta]) -> Vec<&'static str> {
        all.iter()
            .filter(|r| self.is_enabled(r))
            .map(|r| r.code)
            .collect()
    }

    /// The severity overrides, by rule code.
    pub fn severity_overrides(&self) -> impl Iterator<Item = (&'static str, Severity)> + '_ {
        self.severity.iter().map(|(c, s)| (*c, *s))
    }
}

/// Settings per directory (hierarchical configuration: `config::Hierarchy`), behind a trait so
/// that `settings` stands below `config`, which reads the files.
pub trait DirSettings: std::fmt::Debug + Send + Sync {
    /// The settings of the files directly in `dir`.
    fn for_dir(&self, dir: &Path) -> Arc<Settings>;
    /// The configuration files met so far that could not be used, as messages, sorted.
    fn errors(&self) -> Vec<String>;
    /// The walk has seen every entry of `dir` (a path as walked) whose name is in
    /// `discover::LISTED`: `names` has bit `i` set when `LISTED[i]` is there as a regular
    /// file. A later `for_dir(dir)` looks up its configuration file from this instead of the
    /// file system.
    fn listed(&self, _dir: &Path, _names: u8) {}
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
