//! Dependency roots and which package a file belongs to, for `fdlint deps`.
//!
//! The incident's loop lived in a dependency, so linting the project alone never finds such
//! loops: this module finds the sources a project actually installed (a virtualenv's
//! site-packages, the gems a `Gemfile.lock` names, the crates a `Cargo.lock` names) and turns
//! them into engine [`Target`]s that carry their [`Package`] and their path inside it.
//!
//! Architecture invariant: resolution only reads metadata files (`RECORD`, `Gemfile.lock`,
//! `Cargo.lock`) as data. It never imports, requires or runs anything from an environment, never
//! runs bundler, pip or cargo (a `Gemfile` is code), and never touches the network.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::discover::{lang_by_name, lang_by_shebang};
use crate::facts::Lang;
use crate::pipeline::Target;
pub use crate::pipeline::{Ecosystem, Package};

pub mod cargo;
pub mod pins;
pub mod python;
pub mod ruby;

/// A file of a dependency: where it is on disk, and where it is inside its package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    pub path: PathBuf,
    pub lang: Lang,
    pub package: Arc<Package>,
    /// Relative to the package root (for site-packages: the `RECORD` path), `/`-separated.
    pub package_path: String,
}

/// Something found while resolving that the user should hear about, without stopping the run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Notice {
    pub path: PathBuf,
    pub message: String,
}

/// Packages a lockfile names that are not on this machine, or a whole ecosystem whose
/// installed sources were not found: the scan would not have looked at them. `fdlint deps`
/// makes this an error unless `--allow-missing` is given, so a CI job cannot pass by accident.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Missing {
    /// The lockfile (or project directory) that asked for them.
    pub path: PathBuf,
    /// What is missing: "3 locked gems are not installed (rake 13.0.6, ...)".
    pub what: String,
    /// The command that installs them: "`bundle install`".
    pub install: String,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}; install them with {}",
            self.path.display(),
            self.what,
            self.install
        )
    }
}

/// "3 locked gems are not installed (a 1, b 2, c 3, …)": at most five names.
pub(crate) fn missing_list(
    missing: &[String],
    singular: &str,
    plural: &str,
    state: &str,
) -> String {
    let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
    format!(
        "{} locked {} {} {state} ({}{})",
        missing.len(),
        if missing.len() == 1 { singular } else { plural },
        if missing.len() == 1 { "is" } else { "are" },
        shown.join(", "),
        if missing.len() > 5 { ", …" } else { "" }
    )
}

/// What resolution found.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Every lintable file of every dependency, sorted by path, each path once.
    pub files: Vec<PackageFile>,
    /// Every package found installed, sorted.
    pub packages: Vec<Arc<Package>>,
    pub notices: Vec<Notice>,
    /// Which roots were scanned ("site-packages /x/lib/python3.11/site-packages"), for the user.
    pub roots: Vec<String>,
    /// What was asked for but is not installed (see [`Missing`]).
    pub missing: Vec<Missing>,
    /// The site-packages directories scanned.
    pub site_packages: Vec<PathBuf>,
}

impl Resolved {
    /// The engine's input.
    pub fn targets(&self) -> Vec<Target> {
        self.files
            .iter()
            .map(|f| Target {
                path: f.path.clone(),
                lang: f.lang,
                package: Some(f.package.clone()),
                package_path: Some(f.package_path.clone()),
                sniff: false,
            })
            .collect()
    }

    /// Why the scan did not look at everything the project asked for, one line each: the
    /// missing packages, or that no package was found at all. Empty when it did.
    pub fn incomplete(&self) -> Vec<String> {
        let mut out: Vec<String> = self.missing.iter().map(ToString::to_string).collect();
        if self.packages.is_empty() && self.missing.is_empty() {
            out.push(format!(
                "no installed package found (scanned: {}); install the dependencies first",
                self.roots.join(", ")
            ));
        }
        out
    }

    /// The Python of the virtualenv whose site-packages were scanned, when it says.
    pub fn venv_python(&self) -> Option<crate::runtime::VersionRange> {
        self.site_packages.iter().find_map(|sp| {
            crate::runtime::enclosing_venv(sp).and_then(|v| crate::runtime::venv_python(&v))
        })
    }

    fn notice(&mut self, path: &Path, message: impl Into<String>) {
        self.notices.push(Notice {
            path: path.to_path_buf(),
            message: message.into(),
        });
    }
}

/// The environment variables resolution reads, passed in so tests are hermetic.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The variables of this process that matter here.
    pub fn from_process() -> Env {
        let mut vars = BTreeMap::new();
        for k in [
            "VIRTUAL_ENV",
            "BUNDLE_PATH",
            "GEM_HOME",
            "GEM_PATH",
            "CARGO_HOME",
            "HOME",
        ] {
            if let Some(v) = std::env::var_os(k).filter(|v| !v.is_empty()) {
                vars.insert(k.to_string(), v.to_string_lossy().into_owned());
            }
        }
        Env { vars }
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Env {
        self.vars.insert(key.to_string(), value.into());
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }
}

/// What to scan. With no ecosystem option set, every ecosystem is detected in `project`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The project whose dependencies are scanned (default: the current directory).
    pub project: PathBuf,
    pub venv: Option<PathBuf>,
    pub site_packages: Option<PathBuf>,
    pub gemfile_lock: Option<PathBuf>,
    pub gem_paths: Vec<PathBuf>,
    /// Also look in Debian's system gem directories.
    pub system_gems: bool,
    pub cargo_lock: Option<PathBuf>,
    pub cargo_home: Option<PathBuf>,
    pub vendor: Option<PathBuf>,
    /// Where `--system-gems` looks instead of `/` (tests point it at a fake Debian tree).
    pub system_root: Option<PathBuf>,
}

impl Options {
    fn wants_python(&self) -> bool {
        self.venv.is_some() || self.site_packages.is_some()
    }
    fn wants_ruby(&self) -> bool {
        self.gemfile_lock.is_some() || !self.gem_paths.is_empty() || self.system_gems
    }
    fn wants_rust(&self) -> bool {
        self.cargo_lock.is_some() || self.cargo_home.is_some() || self.vendor.is_some()
    }
    fn auto(&self) -> bool {
        !(self.wants_python() || self.wants_ruby() || self.wants_rust())
    }
}

/// Resolution cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    #[error("{}: no such file or directory", .0.display())]
    Missing(PathBuf),
    #[error("{}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("{}: no site-packages directory found (looked for lib/python*/site-packages)", .0.display())]
    NoSitePackages(PathBuf),
    #[error(
        "no dependencies found: no virtualenv (.venv, venv, $VIRTUAL_ENV), Gemfile.lock or \
         Cargo.lock in {}; name one with --venv, --gemfile-lock or --cargo-lock",
        .0.display()
    )]
    NothingFound(PathBuf),
}

/// Find every installed dependency file the options point at.
pub fn resolve(opts: &Options, env: &Env) -> Result<Resolved, DepsError> {
    let mut out = Resolved::default();
    let auto = opts.auto();
    let mut found_any = false;
    if opts.wants_python() || auto {
        found_any |= python::resolve(opts, env, auto, &mut out)?;
    }
    if opts.wants_ruby() || auto {
        found_any |= ruby::resolve(opts, env, auto, &mut out)?;
    }
    if opts.wants_rust() || auto {
        found_any |= cargo::resolve(opts, env, auto, &mut out)?;
    }
    if auto && !found_any {
        return Err(DepsError::NothingFound(opts.project.clone()));
    }
    pins::attach(opts, &mut out);
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    // A file claimed twice (a namespace package's __init__.py in two RECORDs) keeps the first.
    out.files.dedup_by(|a, b| a.path == b.path);
    out.packages.sort();
    out.packages.dedup();
    out.notices.sort();
    out.missing.sort();
    Ok(out)
}

/// The language of a dependency file: by name, or by shebang for extension-less scripts.
pub(crate) fn file_lang(path: &Path) -> Option<Lang> {
    if let Some(l) = lang_by_name(path) {
        return Some(l);
    }
    let name = path.file_name()?.to_str()?;
    if name.trim_start_matches('.').contains('.') {
        return None;
    }
    let mut f = fs::File::open(path).ok()?;
    let mut buf = [0u8; 256];
    let n = f.read(&mut buf).ok()?;
    lang_by_shebang(buf[..n].split(|b| *b == b'\n').next()?)
}

/// Lexically resolve `.` and `..` (RECORD paths of scripts climb out of site-packages).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `/`-separated form of a relative path, for identities that must not depend on the OS.
pub(crate) fn slash_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Every lintable file under a package directory, attributed to `package`. Symlinks are not
/// followed; `.git`, `target` and `__pycache__` directories are skipped.
pub(crate) fn package_tree(root: &Path, package: &Arc<Package>, out: &mut Resolved) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.depth() > 0
                && e.file_type().is_dir()
                && matches!(
                    e.file_name().to_str(),
                    Some(".git" | "target" | "__pycache__" | "node_modules")
                ))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_default();
                out.notice(&path, e.to_string());
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(lang) = file_lang(entry.path()) else {
            continue;
        };
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        out.files.push(PackageFile {
            path: entry.path().to_path_buf(),
            lang,
            package: package.clone(),
            package_path: slash_path(rel),
        });
    }
}

/// A path given relative to `base` (a lockfile's directory), or absolute.
pub(crate) fn under(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The directory a lockfile lives in (`.` for a bare file name).
pub(crate) fn lock_dir(lock: &Path) -> PathBuf {
    match lock.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The entries of a directory, sorted; empty when it cannot be read.
pub(crate) fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// A lockfile's text; `None` when it does not exist and was only looked for (auto-detection),
/// an error when it was named and is missing or unreadable.
pub(crate) fn read_lockfile(path: &Path, auto: bool) -> Result<Option<String>, DepsError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if auto {
                Ok(None)
            } else {
                Err(DepsError::Missing(path.to_path_buf()))
            }
        }
        Err(e) => Err(DepsError::Unreadable {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_record_paths() {
        assert_eq!(
            normalize(Path::new("/v/lib/python3.11/site-packages/../../../bin/x")),
            PathBuf::from("/v/bin/x")
        );
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
    }

    #[test]
    fn header_line() {
        let p = Package::new(Ecosystem::Rubygems, "pygments.rb", "2.4.0");
        assert_eq!(p.to_string(), "pygments.rb 2.4.0 (rubygems)");
    }
}
