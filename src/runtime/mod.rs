//! Which Python and Ruby a file runs on, and why: configuration, then what spawns it, then the
//! file's own syntax, then what the project declares, else "modern".
//!
//! What a project declares is a range ([`VersionRange`]), read by [`declare`] from every file
//! projects declare it in, found by walking up from the file's directory. The nearest
//! directory that declares a runtime decides it, and the walk stops at the repository root
//! (`.git`). A project file that declares nothing (a sub-package's bare `setup.py`) does not
//! stop it: that code runs on what the project around it declares. Each rule then asks the range for the version
//! worst for its own question, and says which one it judged.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::facts::{Facts, PythonDialect, Span};
use crate::settings::{Settings, Version};
use crate::source::LineIndex;

pub mod declare;
pub mod range;

pub use range::{Runtime, Source, VersionRange};

/// Version ranges a project declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectVersions {
    pub python: Option<VersionRange>,
    pub ruby: Option<VersionRange>,
}

impl ProjectVersions {
    /// Whether the declared Python range includes Python 2 (the prefilter then parses files it
    /// would otherwise defer).
    pub fn may_be_python2(&self) -> bool {
        self.python
            .as_ref()
            .is_some_and(|r| r.oldest_where(|v| v.major == 2).is_some())
    }
}

/// The first version number in a requirement: `>=3.8,<4` -> 3.8, `~> 2.7.1` -> 2.7,
/// `ruby-2.5.1` -> 2.5, `3.12.1` -> 3.12.
pub fn lower_bound(spec: &str) -> Option<Version> {
    let start = spec.find(|c: char| c.is_ascii_digit())?;
    let rest = &spec[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let mut parts = rest[..end].split('.').filter(|p| !p.is_empty());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok());
    Some(Version { major, minor })
}

/// The Python of a virtualenv, from its `pyvenv.cfg` (`version = 3.8.10`, or `version_info`)
/// or its `lib/pythonX.Y` directory: a package installed there runs on that Python, whatever
/// its own metadata says. This is the hook for `fdlint deps --venv`: pin the venv's
/// site-packages with [`ProjectCache::pin_python`].
pub fn venv_python(venv: &Path) -> Option<VersionRange> {
    let cfg = venv.join("pyvenv.cfg");
    if let Ok(text) = fs::read_to_string(&cfg) {
        for (i, line) in text.lines().enumerate() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if matches!(key.trim(), "version" | "version_info")
                && let Some(v) =
                    declare::pin_version(Runtime::Python, value).filter(|v| v.minor.is_some())
            {
                return Some(VersionRange::point(
                    Runtime::Python,
                    v,
                    Source::file(cfg, i + 1, "the virtualenv's `version`"),
                ));
            }
        }
    }
    let lib = venv.join("lib");
    let mut found: Vec<(Version, PathBuf)> = fs::read_dir(&lib)
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            let v = declare::pin_version(Runtime::Python, name.strip_prefix("python")?)?;
            v.minor.is_some().then(|| (v, e.path()))
        })
        .collect();
    found.sort_by_key(|(v, _)| (v.major, v.minor));
    let (v, path) = found.into_iter().next()?;
    Some(VersionRange::point(
        Runtime::Python,
        v,
        Source {
            path: Some(path),
            line: None,
            what: "the virtualenv's library directory".to_string(),
        },
    ))
}

/// The virtualenv `dir` is inside of, if any: the nearest ancestor with a `pyvenv.cfg`, or the
/// root above a `lib/pythonX.Y/site-packages` directory that `dir` is in.
pub fn enclosing_venv(dir: &Path) -> Option<PathBuf> {
    venv_among(dir, |a| a.join("pyvenv.cfg").is_file())
}

/// `enclosing_venv`, with the `pyvenv.cfg` test given.
fn venv_among(dir: &Path, has_cfg: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    for a in dir.ancestors() {
        if has_cfg(a) {
            return Some(a.to_path_buf());
        }
        let name = a.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "site-packages"
            && let Some(py) = a.parent()
            && py
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("python"))
            && let Some(lib) = py.parent()
            && lib.file_name().is_some_and(|n| n == "lib" || n == "lib64")
        {
            return lib.parent().map(Path::to_path_buf);
        }
    }
    None
}

/// What one directory declares, combined.
#[derive(Debug, Default)]
struct DirVersions {
    python: Option<VersionRange>,
    ruby: Option<VersionRange>,
}

/// Per-run cache of project versions by directory, plus the directories whose Python is
/// known from outside the project (a virtualenv).
#[derive(Debug, Default)]
pub struct ProjectCache {
    /// Every map is keyed by a directory's bytes (see `config::Hierarchy`).
    by_dir: Mutex<crate::settings::PathMap<ProjectVersions>>,
    /// What each directory itself declares, so that a parent's files are read once however
    /// many subdirectories the walk comes from.
    declared: Mutex<crate::settings::PathMap<Arc<DirVersions>>>,
    /// Per directory: whether it is a virtualenv's root or holds `.git`, looked up once however
    /// many directories below it the run asks about (`for_file` walks up from each).
    marks: Mutex<crate::settings::PathMap<DirMarks>>,
    pinned_python: Vec<(PathBuf, VersionRange)>,
}

/// What `ProjectCache::for_file` asks of a directory on its way up.
#[derive(Debug, Clone, Copy)]
struct DirMarks {
    venv: bool,
    git: bool,
}

impl ProjectCache {
    fn marks(&self, dir: &Path) -> DirMarks {
        if let Some(m) = self.marks.lock().expect("cache lock").get(dir.as_os_str()) {
            return *m;
        }
        let m = DirMarks {
            venv: dir.join("pyvenv.cfg").is_file(),
            git: dir.join(".git").exists(),
        };
        self.marks
            .lock()
            .expect("cache lock")
            .insert(dir.as_os_str().to_owned(), m);
        m
    }

    /// `enclosing_venv`, with each directory's `pyvenv.cfg` looked up once per run.
    fn enclosing_venv(&self, dir: &Path) -> Option<PathBuf> {
        venv_among(dir, |a| self.marks(a).venv)
    }

    /// Files under `dir` run on `range`, whatever their projects declare (a virtualenv's
    /// site-packages: see [`venv_python`]). The nearest pinned directory wins.
    pub fn pin_python(&mut self, dir: &Path, range: VersionRange) {
        let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        self.pinned_python.push((dir, range));
        self.pinned_python
            .sort_by_key(|(d, _)| std::cmp::Reverse(d.components().count()));
        self.by_dir.lock().expect("cache lock").clear();
    }

    fn declared_in(&self, dir: &Path) -> Arc<DirVersions> {
        if let Some(d) = self
            .declared
            .lock()
            .expect("cache lock")
            .get(dir.as_os_str())
        {
            return d.clone();
        }
        let here = declare::declarations_in(dir);
        let d = Arc::new(DirVersions {
            python: declare::combine(&here.python),
            ruby: declare::combine(&here.ruby),
        });
        self.declared
            .lock()
            .expect("cache lock")
            .insert(dir.as_os_str().to_owned(), d.clone());
        d
    }

    /// The versions declared nearest to `file`, walking up to the project's or repository's
    /// root.
    pub fn for_file(&self, file: &Path) -> ProjectVersions {
        let Some(dir) = file.parent() else {
            return ProjectVersions::default();
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Some(v) = self.by_dir.lock().expect("cache lock").get(dir.as_os_str()) {
            return v.clone();
        }
        let abs = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut found = ProjectVersions::default();
        let (mut python_done, mut ruby_done) = (false, false);
        if let Some((_, r)) = self.pinned_python.iter().find(|(d, _)| abs.starts_with(d)) {
            found.python = Some(r.clone());
            python_done = true;
        } else if let Some(r) = self.enclosing_venv(&abs).and_then(|v| venv_python(&v)) {
            // A package installed in a virtualenv runs on the virtualenv's Python, whatever its
            // own metadata (or a project around the virtualenv) declares.
            found.python = Some(r);
            python_done = true;
        }
        let mut cur = Some(abs.as_path());
        while let Some(d) = cur {
            let here = self.declared_in(d);
            // A project file that declares nothing (a sub-package's bare `setup.py`, a vendored
            // gem's gemspec without `required_ruby_version`) does not end the search: the code
            // runs on what the project around it declares (a held-out repository's root
            // `tox.ini` said py24-py27 above ten sub-packages with bare `setup.py` files).
            if !python_done {
                found.python = here.python.clone();
                python_done = found.python.is_some();
            }
            if !ruby_done {
                found.ruby = here.ruby.clone();
                ruby_done = found.ruby.is_some();
            }
            if (python_done && ruby_done) || self.marks(d).git {
                break;
            }
            cur = d.parent();
        }
        self.by_dir
            .lock()
            .expect("cache lock")
            .insert(dir.as_os_str().to_owned(), found.clone());
        found
    }
}

/// How files point at each other: who spawns a script, which spawn runs a sweeping script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// The interpreter a parent runs this file with (`python2`), and the parent
    /// (`app/manager.rb:12`).
    pub interpreter: Option<(String, String)>,
    /// Spawn calls that run this file: `app/manager.rb:12 (`Open3.popen3`)`.
    pub parents: Vec<String>,
    /// Spawn calls in this file whose child sweeps fds itself.
    pub children: Vec<ChildLink>,
}

/// A spawn call in this file that runs a script with an FD001 loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildLink {
    pub spawn: Span,
    /// `helpers/highlight.py:18`
    pub sweep: String,
}

impl Links {
    pub fn child_of(&self, spawn: Span) -> Option<&ChildLink> {
        self.children.iter().find(|c| c.spawn == spawn)
    }
}

/// Which Python a file is judged for, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonTarget {
    /// The versions the file may run on; `None` when nothing says.
    pub range: Option<VersionRange>,
    /// The version judged by default: the oldest of the range. Every Python question fdlint
    /// asks is worst on the oldest Python (Python 2's lists and inheritable fds, PEP 446 from
    /// 3.4, `os.closerange` a loop below 3.10); a rule with another question asks
    /// [`PythonTarget::worst_for`].
    pub version: Option<Version>,
    /// Whether the judged version is Python 2 (the range includes 2.x).
    pub python2: bool,
    /// Human-readable reason: "configured Python 2.7", "Python 2 code (print statement on
    /// line 3)", "Python 2.7, the oldest version `>=2.7` allows (`python_requires` in
    /// setup.py:12)".
    pub why: String,
}

impl PythonTarget {
    fn of(range: VersionRange, why: Option<String>) -> Self {
        let version = range.oldest();
        PythonTarget {
            python2: version.is_some_and(|v| v.major == 2),
            why: why.unwrap_or_else(|| version.map_or_else(String::new, |v| range.judged_at(v))),
            version,
            range: Some(range),
        }
    }

    pub fn resolve(
        settings: &Settings,
        facts: &Facts,
        text: &str,
        index: &LineIndex,
        project: &ProjectVersions,
        links: &Links,
    ) -> Self {
        let point = |version: Version, what: String| {
            let source = Source {
                path: None,
                line: None,
                what: what.clone(),
            };
            Self::of(
                VersionRange::point(Runtime::Python, version, source),
                Some(what),
            )
        };
        if let Some(v) = settings.python_version {
            return point(v, format!("configured Python {v}"));
        }
        if let Some((interp, parent)) = &links.interpreter {
            let v = interp.trim_start_matches("python");
            if let Some(version) = lower_bound(v).filter(|_| !v.is_empty()) {
                return point(
                    version,
                    format!("Python {version}: {parent} runs it with `{interp}`"),
                );
            }
        }
        match (&facts.runtime.dialect, &facts.runtime.reason) {
            (PythonDialect::Python2, Some((reason, span))) => {
                return point(
                    Version {
                        major: 2,
                        minor: Some(7),
                    },
                    format!(
                        "Python 2 code ({reason} on line {})",
                        index.line_col(text, span.start).line
                    ),
                );
            }
            (PythonDialect::Python3, Some((reason, _))) => {
                // Python 3 syntax rules out the 2.x part of what the project declares.
                if let Some(r) = project.python.as_ref().and_then(|r| r.from_major(3)) {
                    return Self::of(r, None);
                }
                return PythonTarget {
                    range: None,
                    version: Some(Version {
                        major: 3,
                        minor: None,
                    }),
                    python2: false,
                    why: format!("Python 3 ({reason})"),
                };
            }
            _ => {}
        }
        if let Some(r) = &project.python {
            return Self::of(r.clone(), None);
        }
        PythonTarget {
            range: None,
            version: None,
            python2: false,
            why: "Python 3 (no Python 2 syntax or version found)".to_string(),
        }
    }

    /// The oldest version of the range for which `bad` holds; `None` also when the minor
    /// version is unknown.
    pub fn worst_for(&self, bad: impl Fn(Version) -> bool) -> Option<Version> {
        self.range.as_ref()?.oldest_where(bad)
    }

    /// Whether nothing says which Python 3 minor the file runs on.
    pub fn minor_unknown(&self) -> bool {
        self.version.is_none_or(|v| v.minor.is_none())
    }

    /// "judged as ..." wording for a version of the range.
    pub fn judged_at(&self, version: Version) -> String {
        match &self.range {
            Some(r) if Some(version) != self.version || !r.is_point() => r.judged_at(version),
            _ => self.why.clone(),
        }
    }
}

/// Which Ruby a file is judged for, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubyTarget {
    /// The versions the file may run on; `None` when nothing says (judged as the newest).
    pub range: Option<VersionRange>,
    pub why: String,
}

impl RubyTarget {
    pub fn resolve(settings: &Settings, project: &ProjectVersions) -> Self {
        if let Some(v) = settings.ruby_version {
            let why = format!("configured Ruby {v}");
            let source = Source {
                path: None,
                line: None,
                what: why.clone(),
            };
            return RubyTarget {
                range: Some(VersionRange::point(Runtime::Ruby, v, source)),
                why,
            };
        }
        if let Some(r) = &project.ruby {
            return RubyTarget {
                why: r.spec.clone(),
                range: Some(r.clone()),
            };
        }
        RubyTarget {
            range: None,
            why: "Ruby >= 2.6 (no version declared)".to_string(),
        }
    }

    /// The oldest version of the range for which `bad` holds.
    pub fn oldest_where(&self, bad: impl Fn(Version) -> bool) -> Option<Version> {
        self.range.as_ref()?.oldest_where(bad)
    }

    /// The newest version of the range for which `bad` holds.
    pub fn newest_where(&self, bad: impl Fn(Version) -> bool) -> Option<Version> {
        self.range.as_ref()?.newest_where(bad)
    }

    /// "judged as ..." wording for a version of the range (or the default when none is known).
    pub fn judged_at(&self, version: Option<Version>) -> String {
        match (&self.range, version) {
            (Some(r), Some(_)) if r.is_point() && r.source.path.is_none() => self.why.clone(),
            (Some(r), Some(v)) => r.judged_at(v),
            _ => self.why.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bounds() {
        let v = |s: &str| lower_bound(s).map(|v| v.to_string());
        assert_eq!(v(">=3.8,<4").as_deref(), Some("3.8"));
        assert_eq!(v("~> 2.7.1").as_deref(), Some("2.7"));
        assert_eq!(v("ruby-2.5.1").as_deref(), Some("2.5"));
        assert_eq!(v("3.12.1\n").as_deref(), Some("3.12"));
        assert_eq!(v("3").as_deref(), Some("3"));
        assert_eq!(v("system"), None);
    }

    #[test]
    fn virtualenvs_pin_their_python() {
        let tmp = tempfile::tempdir().unwrap();
        let venv = tmp.path().join("venv");
        let site = venv.join("lib/python3.8/site-packages/pkg");
        fs::create_dir_all(&site).unwrap();
        // No pyvenv.cfg: the library directory says 3.8.
        let r = venv_python(&venv).unwrap();
        assert_eq!(r.oldest().unwrap().to_string(), "3.8");
        fs::write(
            venv.join("pyvenv.cfg"),
            "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.9.18\n",
        )
        .unwrap();
        let r = venv_python(&venv).unwrap();
        assert_eq!(r.oldest().unwrap().to_string(), "3.9");
        assert_eq!(r.source.line, Some(3));
        // A package that declares >= 3.10 still runs on the venv's 3.9.
        fs::write(
            site.join("pyproject.toml"),
            "[project]\nrequires-python = \">=3.10\"\n",
        )
        .unwrap();
        let file = site.join("m.py");
        // Found on the walk up, without pinning: the virtualenv beats the package's metadata.
        let found = ProjectCache::default().for_file(&file);
        assert_eq!(found.python.unwrap().oldest().unwrap().to_string(), "3.9");
        // Outside a virtualenv the package's own declaration decides.
        let plain = tmp.path().join("plain/pkg");
        fs::create_dir_all(&plain).unwrap();
        fs::write(
            plain.join("pyproject.toml"),
            "[project]\nrequires-python = \">=3.10\"\n",
        )
        .unwrap();
        let outside = ProjectCache::default().for_file(&plain.join("m.py"));
        assert_eq!(
            outside.python.unwrap().oldest().unwrap().to_string(),
            "3.10"
        );
        let mut cache = ProjectCache::default();
        cache.pin_python(&venv.join("lib/python3.8/site-packages"), r);
        let pinned = cache.for_file(&file).python.unwrap();
        assert_eq!(pinned.oldest().unwrap().to_string(), "3.9");
        assert!(venv_python(tmp.path()).is_none());
    }
}
