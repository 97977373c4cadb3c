//! The configuration file: `fdlint.toml`, `.fdlint.toml` or `[tool.fdlint]` in `pyproject.toml`.
//! As in ruff, the closest one to each file applies ([`Hierarchy`]: found by walking up from the
//! file's directory, resolved once per directory and cached); a closer file replaces a farther
//! one entirely, it does not merge with it. It is read and validated here, then merged into
//! [`Settings`] in one place ([`Config::apply`]); command-line flags
//! ([`crate::settings::Overrides`]) are applied after it, on every file's settings, so they win.
//!
//! Every mistake in the file is an error naming the file, the line and the key: a linter that
//! silently ignores a misspelt `selct` runs with settings nobody asked for.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::Deserialize;
use toml::Spanned;

use crate::finding::Severity;
use crate::rules::RuleMeta;
use crate::selection::{self, Layer};
use crate::settings::{DirSettings, Overrides, Settings, Version};
pub use crate::settings::{Exclude, PerFileIgnore};
use crate::source::LineIndex;

/// Configuration file names, in the order they are looked for in each directory.
pub const FILE_NAMES: &[&str] = &["fdlint.toml", ".fdlint.toml", "pyproject.toml"];

/// The configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// The keys of the file, as written. Spans point into the file for error messages.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    severity: Option<std::collections::BTreeMap<Spanned<String>, Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    extend_exclude: Option<Vec<Spanned<String>>>,
    force_exclude: Option<bool>,
    per_file_ignores: Option<std::collections::BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
    python_version: Option<Spanned<String>>,
    ruby_version: Option<Spanned<String>>,
    assume_nofile: Option<Spanned<i64>>,
    fail_on: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    fdlint: Option<RawConfig>,
}

/// A validated configuration file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub selection: Layer,
    pub severity: Vec<(&'static RuleMeta, Severity)>,
    /// `exclude`: replaces the default excludes.
    pub exclude: Option<Exclude>,
    /// `extend-exclude`: added to `exclude` or the defaults.
    pub extend_exclude: Option<Exclude>,
    pub force_exclude: Option<bool>,
    pub per_file_ignores: Option<Vec<PerFileIgnore>>,
    pub python_version: Option<Version>,
    pub ruby_version: Option<Version>,
    pub assume_nofile: Option<u64>,
    /// `Some(None)` is `fail-on = "never"`.
    pub fail_on: Option<Option<Severity>>,
}

impl Config {
    /// Merge the file into the settings (flags are applied afterwards and win).
    pub fn apply(&self, s: &mut Settings) {
        s.rules.apply(&self.selection);
        for (rule, sev) in &self.severity {
            s.rules.set_severity(rule, *sev);
        }
        s.config_file = Some(self.path.clone());
        s.exclusion.root = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .and_then(|p| std::path::absolute(p).ok());
        if let Some(x) = &self.exclude {
            s.exclusion.exclude = Some(x.clone());
        }
        s.exclusion.extend.extend(self.extend_exclude.clone());
        if let Some(f) = self.force_exclude {
            s.force_exclude = f;
        }
        if let Some(p) = &self.per_file_ignores {
            s.per_file_ignores = p.as_slice().into();
        }
        s.python_version = self.python_version.or(s.python_version);
        s.ruby_version = self.ruby_version.or(s.ruby_version);
        s.assume_nofile = self.assume_nofile.unwrap_or(s.assume_nofile);
        if let Some(f) = self.fail_on {
            s.fail_on = f;
        }
    }
}

/// The configuration file that applies to `start` (a file or directory): the first of
/// [`FILE_NAMES`] in it or an ancestor. A `pyproject.toml` counts only if it mentions fdlint.
pub fn find(start: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(start).ok()?;
    let dir = if abs.is_dir() {
        abs.as_path()
    } else {
        abs.parent()?
    };
    dir.ancestors().find_map(config_in)
}

/// The configuration file in the directory `dir` itself (absolute), if any.
pub fn config_in(dir: &Path) -> Option<PathBuf> {
    config_in_listed(dir, None)
}

/// `config_in`, from the walk's listing of `dir` when there is one (`DirSettings::listed`):
/// only the names it saw are looked at, so a directory without one costs no system call.
fn config_in_listed(dir: &Path, names: Option<u8>) -> Option<PathBuf> {
    for name in FILE_NAMES {
        let p = dir.join(name);
        let there = match names {
            Some(bits) => bits & crate::settings::listed_bit(name) != 0,
            None => p.is_file(),
        };
        if !there {
            continue;
        }
        if *name != "pyproject.toml"
            || std::fs::read_to_string(&p).is_ok_and(|t| t.contains("tool.fdlint"))
        {
            // Errors name the file as the user sees it: relative to the current directory when
            // it is below it.
            let cwd = std::env::current_dir().ok();
            return Some(match cwd.as_deref().and_then(|c| p.strip_prefix(c).ok()) {
                Some(rel) => rel.to_path_buf(),
                None => p,
            });
        }
    }
    None
}

/// Per-directory settings of a run, like ruff's hierarchical configuration: a directory's
/// settings are its closest configuration file's (defaults when there is none) with the
/// command line's [`Overrides`] on top. Resolved once per directory and shared: looking up a
/// file costs a hash lookup once its directory has been seen. A configuration file that cannot
/// be used is remembered ([`Hierarchy::errors`]) so that the run can stop with it; its directory
/// gets the defaults meanwhile.
#[derive(Debug)]
pub struct Hierarchy {
    /// Tells this hierarchy's entries in `LAST_DIR` from another's.
    id: u64,
    overrides: Overrides,
    /// Keyed by a path's bytes, as the maps of `runtime::ProjectCache` are: hashing a `Path`
    /// parses its components (4% of a corpus run), and another spelling of the same directory
    /// (`a/b/` for `a/b`) only misses the cache.
    by_dir: RwLock<crate::settings::PathMap<Arc<Settings>>>,
    /// What the walk saw of each directory (`DirSettings::listed`), by the path as walked.
    listed: RwLock<crate::settings::PathMap<u8>>,
    errors: Mutex<Vec<String>>,
}

impl Hierarchy {
    pub fn new(overrides: Overrides) -> Hierarchy {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Hierarchy {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            overrides,
            by_dir: RwLock::default(),
            listed: RwLock::default(),
            errors: Mutex::default(),
        }
    }

    /// The settings of the files directly in `dir` (`""` is the current directory).
    pub fn for_dir(&self, dir: &Path) -> Arc<Settings> {
        // Files come directory by directory: each thread remembers the last directory it
        // asked about, compared as bytes (a `Path`'s hash walks its components: with the map's
        // lock, 4% of a benchmark run's time went to this lookup).
        thread_local! {
            static LAST_DIR: std::cell::RefCell<Option<(u64, PathBuf, Arc<Settings>)>> =
                const { std::cell::RefCell::new(None) };
        }
        let hit = LAST_DIR.with_borrow(|last| {
            last.as_ref()
                .filter(|(id, d, _)| *id == self.id && d.as_os_str() == dir.as_os_str())
                .map(|(_, _, s)| s.clone())
        });
        if let Some(s) = hit {
            return s;
        }
        let s = self.for_dir_uncached(dir);
        LAST_DIR.set(Some((self.id, dir.to_path_buf(), s.clone())));
        s
    }

    fn for_dir_uncached(&self, dir: &Path) -> Arc<Settings> {
        if let Some(s) = self
            .by_dir
            .read()
            .expect("not poisoned")
            .get(dir.as_os_str())
        {
            return s.clone();
        }
        let dir_or_cwd = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let abs = std::path::absolute(dir_or_cwd).unwrap_or_else(|_| dir.to_path_buf());
        let names = self
            .listed
            .read()
            .expect("not poisoned")
            .get(dir.as_os_str())
            .copied();
        let s = self.for_abs_dir(&abs, names);
        self.by_dir
            .write()
            .expect("not poisoned")
            .insert(dir.as_os_str().to_owned(), s.clone());
        s
    }

    /// `names`: the walk's listing of `dir` (`DirSettings::listed`), if it saw it.
    fn for_abs_dir(&self, dir: &Path, names: Option<u8>) -> Arc<Settings> {
        if let Some(s) = self
            .by_dir
            .read()
            .expect("not poisoned")
            .get(dir.as_os_str())
        {
            return s.clone();
        }
        // Lexical: `a/../b` is `b`, as the user means it (std::path::absolute keeps `..`).
        let dir = normalize(dir);
        let s = match config_in_listed(&dir, names) {
            Some(file) => Arc::new(self.settings_from(Some(&file))),
            None => match dir.parent() {
                Some(parent) => self.for_abs_dir(parent, None),
                None => Arc::new(self.settings_from(None)),
            },
        };
        self.by_dir
            .write()
            .expect("not poisoned")
            .insert(dir.as_os_str().to_owned(), s.clone());
        s
    }

    /// Defaults, then the file, then the command line.
    pub fn settings_from(&self, file: Option<&Path>) -> Settings {
        let mut s = Settings::default();
        if let Some(file) = file {
            match load(file) {
                Ok(c) => c.apply(&mut s),
                Err(e) => self
                    .errors
                    .lock()
                    .expect("not poisoned")
                    .push(e.to_string()),
            }
        }
        self.overrides.apply(&mut s);
        s
    }

    /// The configuration files met so far that could not be used, as messages, sorted.
    pub fn errors(&self) -> Vec<String> {
        let mut e = self.errors.lock().expect("not poisoned").clone();
        e.sort();
        e.dedup();
        e
    }
}

impl DirSettings for Hierarchy {
    fn for_dir(&self, dir: &Path) -> Arc<Settings> {
        Hierarchy::for_dir(self, dir)
    }
    fn errors(&self) -> Vec<String> {
        Hierarchy::errors(self)
    }
    fn listed(&self, dir: &Path, names: u8) {
        self.listed
            .write()
            .expect("not poisoned")
            .insert(dir.as_os_str().to_owned(), names);
    }
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Read and validate a configuration file. A `pyproject.toml` without `[tool.fdlint]` is an
/// empty configuration.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parse configuration text; `path` names it in errors and anchors `exclude` globs.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let index = LineIndex::new(text);
    let invalid = |span: Range<usize>, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: index.line_col(text, span.start).line,
        message: bounded(message),
    };
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let raw = if is_pyproject {
        toml::from_str::<Pyproject>(text).map(|p| p.tool.and_then(|t| t.fdlint).unwrap_or_default())
    } else {
        toml::from_str::<RawConfig>(text)
    }
    .map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        invalid(
            span.clone(),
            describe_toml_error(text, &index, span, e.message()),
        )
    })?;

    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut cfg = Config {
        path: path.to_path_buf(),
        ..Config::default()
    };
    let rules = |key: &str, list: &[Spanned<String>]| {
        let mut out = Vec::new();
        for s in list {
            match selection::resolve(s.get_ref()) {
                Ok(r) => out.extend(r),
                Err(e) => return Err(invalid(s.span(), format!("`{key}`: {e}"))),
            }
        }
        Ok(out)
    };
    if let Some(list) = &raw.select {
        cfg.selection.select = Some(rules("select", list)?);
    }
    if let Some(list) = &raw.ignore {
        cfg.selection.ignore = rules("ignore", list)?;
    }
    for (code, sev) in raw.severity.iter().flatten() {
        let found = selection::resolve(code.get_ref())
            .map_err(|e| invalid(code.span(), format!("`severity`: {e}")))?;
        let s = Severity::parse(sev.get_ref()).ok_or_else(|| {
            invalid(
                sev.span(),
                format!(
                    "`severity.{}`: expected \"error\", \"warning\" or \"note\", got \"{}\"",
                    code.get_ref(),
                    sev.get_ref()
                ),
            )
        })?;
        cfg.severity.extend(found.into_iter().map(|r| (r, s)));
    }
    let globs =
        |key: &str, list: &Option<Vec<Spanned<String>>>| -> Result<Option<Exclude>, ConfigError> {
            let Some(list) = list else {
                return Ok(None);
            };
            let patterns: Vec<String> = list.iter().map(|g| g.get_ref().clone()).collect();
            Exclude::new(root, &patterns)
                .map(Some)
                .map_err(|(i, e)| invalid(list[i].span(), format!("`{key}`: {e}")))
        };
    cfg.exclude = globs("exclude", &raw.exclude)?;
    cfg.extend_exclude = globs("extend-exclude", &raw.extend_exclude)?;
    cfg.force_exclude = raw.force_exclude;
    if let Some(map) = &raw.per_file_ignores {
        let mut entries = Vec::new();
        for (glob, list) in map {
            let pattern = glob.get_ref().trim();
            let (negated, body) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern),
            };
            let glob_set = Exclude::new(root, &[body.to_string()])
                .map_err(|(_, e)| invalid(glob.span(), format!("`per-file-ignores`: {e}")))?;
            entries.push(PerFileIgnore {
                pattern: pattern.to_string(),
                negated,
                glob: glob_set,
                rules: rules("per-file-ignores", list)?,
            });
        }
        cfg.per_file_ignores = Some(entries);
    }
    let version = |key: &str, v: &Option<Spanned<String>>| match v {
        None => Ok(None),
        Some(v) => Version::parse(v.get_ref()).map(Some).ok_or_else(|| {
            invalid(
                v.span(),
                format!(
                    "`{key}`: expected a version like \"2.7\" or \"3.12\", got \"{}\"",
                    v.get_ref()
                ),
            )
        }),
    };
    cfg.python_version = version("python-version", &raw.python_version)?;
    cfg.ruby_version = version("ruby-version", &raw.ruby_version)?;
    if let Some(n) = &raw.assume_nofile {
        let v = u64::try_from(*n.get_ref())
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| {
                invalid(
                    n.span(),
                    format!("`assume-nofile`: must be at least 1, got {}", n.get_ref()),
                )
            })?;
        cfg.assume_nofile = Some(v);
    }
    if let Some(f) = &raw.fail_on {
        cfg.fail_on = Some(match f.get_ref().as_str() {
            "never" => None,
            other => Some(Severity::parse(other).ok_or_else(|| {
                invalid(
                    f.span(),
                    format!(
                        "`fail-on`: expected \"error\", \"warning\", \"note\" or \"never\", got \"{other}\""
                    ),
                )
            })?),
        });
    }
    Ok(cfg)
}

/// Error messages echo keys and values as written; a 10 MB value is cut in the middle, so the
/// message stays readable (and the terminal usable).
const MAX_MESSAGE: usize = 400;

fn bounded(message: String) -> String {
    if message.len() <= MAX_MESSAGE {
        return message;
    }
    let mut head = MAX_MESSAGE * 2 / 3;
    while !message.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = message.len() - MAX_MESSAGE / 4;
    while !message.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{} … ({} bytes cut) … {}",
        &message[..head],
        tail - head,
        &message[tail..]
    )
}

/// Reword toml/serde's messages in the file's terms: "unknown key", and the key a bad value
/// belongs to.
fn describe_toml_error(text: &str, index: &LineIndex, span: Range<usize>, message: &str) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return match rest.split_once(", expected ") {
            Some((key, expected)) => format!("unknown key {key} (expected {expected})"),
            None => format!("unknown key {rest}"),
        };
    }
    let line = index.line_of(span.start.min(text.len()));
    let line_text = index.line_text(text, line);
    match line_text.split_once('=') {
        Some((key, _)) if span.start > 0 && !key.trim().is_empty() && !key.contains('[') => {
            format!("`{}`: {message}", key.trim().trim_matches('"'))
        }
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("fdlint.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn valid_file() {
        let c = parse(
            Path::new("fdlint.toml"),
            "select = [\"FD00\"]\nignore = [\"fd-range-materialized\"]\n\
             python-version = \"2.7\"\nassume-nofile = 1048576\nfail-on = \"never\"\n\
             exclude = [\"build/\"]\n[severity]\nFD001 = \"warning\"\n",
        )
        .unwrap();
        let mut s = Settings::default();
        c.apply(&mut s);
        assert_eq!(s.assume_nofile, 1048576);
        assert_eq!(s.fail_on, None);
        assert_eq!(s.python_version, Version::parse("2.7"));
        assert!(
            s.rules
                .is_enabled(&crate::rules::fd001_rlimit_close_loop::RULE)
        );
        assert!(
            !s.rules
                .is_enabled(&crate::rules::fd002_fd_range_materialized::RULE)
        );
        let ex = s.exclusion.exclude.unwrap();
        assert!(ex.is_excluded(Path::new("build"), true));
        assert!(ex.is_excluded(Path::new("build/x.py"), false));
        assert!(!ex.is_excluded(Path::new("src/x.py"), false));
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let e = err("select = [\"FD001\"]\n\nselct = [\"FD001\"]\n");
        assert!(
            e.starts_with("fdlint.toml:3: unknown key `selct` (expected one of `select`"),
            "{e}"
        );
        let e = err("select = [\"FD001\", \"FD999\"]\n");
        assert!(
            e.starts_with("fdlint.toml:1: `select`: unknown rule selector `FD999`"),
            "{e}"
        );
        let e = err("\nassume-nofile = \"many\"\n");
        assert!(
            e.starts_with("fdlint.toml:2: `assume-nofile`: invalid type"),
            "{e}"
        );
        let e = err("assume-nofile = 0\n");
        assert!(
            e.starts_with("fdlint.toml:1: `assume-nofile`: must be at least 1"),
            "{e}"
        );
        let e = err("[severity]\nFD001 = \"loud\"\n");
        assert!(
            e.starts_with("fdlint.toml:2: `severity.FD001`: expected"),
            "{e}"
        );
        let e = err("python-version = \"three\"\n");
        assert!(
            e.starts_with("fdlint.toml:1: `python-version`: expected a version"),
            "{e}"
        );
        let e = err("fail-on = \"always\"\n");
        assert!(e.starts_with("fdlint.toml:1: `fail-on`"), "{e}");
    }

    #[test]
    fn pyproject_section() {
        let p = Path::new("pyproject.toml");
        let c = parse(
            p,
            "[project]\nname = \"x\"\n[tool.fdlint]\nignore = [\"FD002\"]\n",
        )
        .unwrap();
        assert_eq!(c.selection.ignore.len(), 1);
        assert!(
            parse(p, "[project]\nname = \"x\"\n")
                .unwrap()
                .selection
                .ignore
                .is_empty()
        );
        let e = parse(p, "[tool.fdlint]\nselect = []\nbogus = 1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("pyproject.toml:3: unknown key `bogus`"),
            "{e}"
        );
    }

    #[test]
    fn huge_values_are_not_echoed_whole() {
        let value = "x".repeat(10 << 20);
        let mut cut = 0;
        for text in [
            format!("python-version = \"{value}\"\n"),
            format!("select = [\"{value}\"]\n"),
            format!("{value} = 1\n"),
            format!("fail-on = \"{value}\n"),
        ] {
            // Only echoing a value makes a message long; some messages name no value.
            let short = err(&text.replace(&value, &"x".repeat(500)));
            let e = err(&text);
            assert!(e.len() < 1000, "{} bytes: {}", e.len(), &e[..200]);
            assert_eq!(
                short.contains("bytes cut"),
                e.contains("bytes cut"),
                "{short}"
            );
            cut += usize::from(e.contains("bytes cut"));
            assert!(e.starts_with("fdlint.toml:1: "), "{}", &e[..100]);
        }
        assert!(cut >= 2, "{cut} messages cut");
    }
}
