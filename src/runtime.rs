//! Which Python and Ruby a file runs on, and why: configuration, then what spawns it, then the
//! file's own syntax, then the project's version files, else "modern".
//!
//! Project evidence is read from small files next to the code (`.python-version`,
//! `pyproject.toml`'s `requires-python`, `.ruby-version`, the `Gemfile`'s `ruby` line, a
//! `*.gemspec`'s `required_ruby_version`), found by walking up from the file's directory to the
//! repository root. The lower bound of a range is the version judged: code that allows 3.8 may
//! run on 3.8.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::facts::{Facts, PythonDialect, Span};
use crate::settings::{Settings, Version};
use crate::source::LineIndex;

/// A version and where it came from (`.python-version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub version: Version,
    pub why: String,
}

/// Versions a project declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectVersions {
    pub python: Option<Evidence>,
    pub ruby: Option<Evidence>,
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

fn read_small(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 256 * 1024 {
        return None;
    }
    fs::read_to_string(path).ok()
}

/// `requires-python = ">=3.8"` in `[project]` (or poetry's `python = "^3.8"`).
fn pyproject_python(text: &str) -> Option<Version> {
    for line in text.lines() {
        let l = line.trim();
        for key in ["requires-python", "python"] {
            if let Some(rest) = l.strip_prefix(key) {
                let rest = rest.trim_start();
                if let Some(v) = rest.strip_prefix('=') {
                    return lower_bound(v.trim().trim_matches(['"', '\'']));
                }
            }
        }
    }
    None
}

/// `ruby "2.7.0"` / `ruby '~> 3.1'` in a Gemfile.
fn gemfile_ruby(text: &str) -> Option<Version> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let rest = l
            .strip_prefix("ruby ")
            .or_else(|| l.strip_prefix("ruby("))?;
        let rest = rest.trim_start();
        if rest.starts_with(['"', '\'']) {
            lower_bound(rest)
        } else {
            None
        }
    })
}

/// `spec.required_ruby_version = ">= 2.3"` in a gemspec.
fn gemspec_ruby(text: &str) -> Option<Version> {
    text.lines().find_map(|l| {
        let (_, rest) = l.split_once("required_ruby_version")?;
        lower_bound(rest.split_once('=')?.1)
    })
}

/// The Python of the virtualenv `dir` is, or is inside of: `pyvenv.cfg`'s `version` (or
/// `version_info`, written by uv and virtualenv), else the name of its `lib/pythonX.Y`
/// directory. `dir` is the virtualenv itself or its `lib/pythonX.Y` directory (a file under
/// site-packages meets the second on its way up to the first). A package installed in a 3.8
/// virtualenv runs on 3.8, whatever the project around it declares.
pub fn venv_python(dir: &Path) -> Option<Evidence> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let lib = dir.parent().filter(|p| {
        p.file_name()
            .is_some_and(|n| n == "lib" || n == "lib64" || n == "Lib")
    });
    let in_lib = lib.is_some() && name.starts_with("python") && dir.join("site-packages").is_dir();
    let venv = match lib.and_then(Path::parent) {
        Some(v) if in_lib => v,
        _ => dir,
    };
    let cfg = venv.join("pyvenv.cfg");
    if let Some(text) = read_small(&cfg) {
        let value = |key: &str| {
            text.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key).then(|| v.trim().to_string())
            })
        };
        for key in ["version", "version_info"] {
            if let Some(version) = value(key).as_deref().and_then(lower_bound)
                && version.minor.is_some()
            {
                return Some(Evidence {
                    version,
                    why: format!("`{key}` in {}", cfg.display()),
                });
            }
        }
    }
    if !in_lib && !cfg.is_file() {
        return None;
    }
    // `pyvenv.cfg` without a version: the `lib/pythonX.Y` directory names it.
    let lib_dirs: Vec<PathBuf> = if in_lib {
        vec![dir.to_path_buf()]
    } else {
        ["lib", "lib64"]
            .iter()
            .flat_map(|l| fs::read_dir(venv.join(l)).into_iter().flatten())
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect()
    };
    lib_dirs.iter().find_map(|d| {
        let n = d.file_name()?.to_str()?;
        let version = lower_bound(n.strip_prefix("python")?)?;
        (version.minor.is_some() && d.join("site-packages").is_dir()).then(|| Evidence {
            version,
            why: format!("the virtualenv's {}", d.display()),
        })
    })
}

fn versions_in(dir: &Path) -> ProjectVersions {
    let mut v = ProjectVersions::default();
    if let Some(e) = venv_python(dir) {
        v.python = Some(e);
    }
    if v.python.is_none()
        && let Some(t) = read_small(&dir.join(".python-version"))
    {
        v.python = lower_bound(t.lines().next().unwrap_or("")).map(|version| Evidence {
            version,
            why: format!("{}", dir.join(".python-version").display()),
        });
    }
    if v.python.is_none()
        && let Some(t) = read_small(&dir.join("pyproject.toml"))
    {
        v.python = pyproject_python(&t).map(|version| Evidence {
            version,
            why: format!(
                "requires-python in {}",
                dir.join("pyproject.toml").display()
            ),
        });
    }
    if let Some(t) = read_small(&dir.join(".ruby-version")) {
        v.ruby = lower_bound(t.lines().next().unwrap_or("")).map(|version| Evidence {
            version,
            why: format!("{}", dir.join(".ruby-version").display()),
        });
    }
    if v.ruby.is_none()
        && let Some(t) = read_small(&dir.join("Gemfile"))
    {
        v.ruby = gemfile_ruby(&t).map(|version| Evidence {
            version,
            why: format!("the `ruby` line of {}", dir.join("Gemfile").display()),
        });
    }
    if v.ruby.is_none()
        && let Ok(rd) = fs::read_dir(dir)
    {
        let mut specs: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "gemspec"))
            .collect();
        specs.sort();
        for spec in specs {
            if let Some(version) = read_small(&spec).as_deref().and_then(gemspec_ruby) {
                v.ruby = Some(Evidence {
                    version,
                    why: format!("required_ruby_version in {}", spec.display()),
                });
                break;
            }
        }
    }
    v
}

/// Per-run cache of project versions by directory.
#[derive(Debug, Default)]
pub struct ProjectCache {
    by_dir: Mutex<HashMap<PathBuf, ProjectVersions>>,
}

impl ProjectCache {
    /// The versions declared nearest to `file`, walking up to the repository root.
    pub fn for_file(&self, file: &Path) -> ProjectVersions {
        let Some(dir) = file.parent() else {
            return ProjectVersions::default();
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Some(v) = self.by_dir.lock().expect("cache lock").get(dir) {
            return v.clone();
        }
        let mut found = ProjectVersions::default();
        let abs = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut cur = Some(abs.as_path());
        while let Some(d) = cur {
            let here = versions_in(d);
            if found.python.is_none() {
                found.python = here.python;
            }
            if found.ruby.is_none() {
                found.ruby = here.ruby;
            }
            if (found.python.is_some() && found.ruby.is_some()) || d.join(".git").exists() {
                break;
            }
            cur = d.parent();
        }
        self.by_dir
            .lock()
            .expect("cache lock")
            .insert(dir.to_path_buf(), found.clone());
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
    pub version: Option<Version>,
    pub python2: bool,
    /// Human-readable reason: "configured Python 2.7", "print statement on line 3".
    pub why: String,
}

impl PythonTarget {
    pub fn resolve(
        settings: &Settings,
        facts: &Facts,
        text: &str,
        index: &LineIndex,
        project: &ProjectVersions,
        links: &Links,
    ) -> Self {
        let known = |version: Version, why: String| PythonTarget {
            version: Some(version),
            python2: version.major == 2,
            why,
        };
        if let Some(v) = settings.python_version {
            return known(v, format!("configured Python {v}"));
        }
        if let Some((interp, parent)) = &links.interpreter {
            let v = interp.trim_start_matches("python");
            if let Some(version) = lower_bound(v).filter(|_| !v.is_empty()) {
                return known(
                    version,
                    format!("Python {version}: {parent} runs it with `{interp}`"),
                );
            }
        }
        match (&facts.runtime.dialect, &facts.runtime.reason) {
            (PythonDialect::Python2, Some((reason, span))) => {
                return known(
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
                if let Some(e) = &project.python {
                    return known(e.version, format!("Python {} ({})", e.version, e.why));
                }
                return PythonTarget {
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
        if let Some(e) = &project.python {
            return known(e.version, format!("Python {} ({})", e.version, e.why));
        }
        PythonTarget {
            version: None,
            python2: false,
            why: "Python 3 (no Python 2 syntax or version found)".to_string(),
        }
    }
}

/// Which Ruby a file is judged for, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubyTarget {
    pub version: Option<Version>,
    pub why: String,
}

impl RubyTarget {
    pub fn resolve(settings: &Settings, project: &ProjectVersions) -> Self {
        if let Some(v) = settings.ruby_version {
            return RubyTarget {
                version: Some(v),
                why: format!("configured Ruby {v}"),
            };
        }
        if let Some(e) = &project.ruby {
            return RubyTarget {
                version: Some(e.version),
                why: format!("Ruby {} ({})", e.version, e.why),
            };
        }
        RubyTarget {
            version: None,
            why: "Ruby >= 2.6 (no version declared)".to_string(),
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
        assert_eq!(
            pyproject_python("[project]\nrequires-python = \">=3.9\"\n")
                .map(|v| v.to_string())
                .as_deref(),
            Some("3.9")
        );
        assert_eq!(
            gemfile_ruby("source 'x'\nruby '2.4.1'\n")
                .map(|v| v.to_string())
                .as_deref(),
            Some("2.4")
        );
        assert_eq!(gemfile_ruby("gem 'ruby-prof'\n"), None);
        assert_eq!(
            gemspec_ruby("  s.required_ruby_version = '>= 1.9.3'\n")
                .map(|v| v.to_string())
                .as_deref(),
            Some("1.9")
        );
    }
}
