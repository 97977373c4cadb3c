//! Python: a virtualenv's site-packages, each file attributed to the distribution that installed
//! it through `*.dist-info/RECORD` (or, for old installs, `*.egg-info/installed-files.txt` or
//! `top_level.txt`). Only the installer's records are read; nothing is imported.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    DepsError, Ecosystem, Env, Options, Package, PackageFile, Resolved, file_lang, normalize,
    slash_path, sorted_entries,
};
use crate::facts::Lang;

/// The name given to files under site-packages that no distribution claims.
pub const UNATTRIBUTED: &str = "?";

pub(super) fn resolve(
    opts: &Options,
    env: &Env,
    auto: bool,
    out: &mut Resolved,
) -> Result<bool, DepsError> {
    let dirs: Vec<PathBuf> = if let Some(sp) = &opts.site_packages {
        if !sp.is_dir() {
            return Err(DepsError::Missing(sp.clone()));
        }
        vec![sp.clone()]
    } else if let Some(venv) = &opts.venv {
        if !venv.is_dir() {
            return Err(DepsError::Missing(venv.clone()));
        }
        let found = site_packages_of(venv);
        if found.is_empty() {
            return Err(DepsError::NoSitePackages(venv.clone()));
        }
        found
    } else if auto {
        let mut candidates = vec![opts.project.join(".venv"), opts.project.join("venv")];
        candidates.extend(env.get("VIRTUAL_ENV").map(PathBuf::from));
        candidates
            .iter()
            .map(|v| site_packages_of(v))
            .find(|f| !f.is_empty())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    for sp in &dirs {
        out.roots.push(format!("site-packages {}", sp.display()));
        out.site_packages.push(sp.clone());
        scan_site_packages(sp, out);
    }
    if dirs.is_empty() && auto {
        // The project pins Python packages but none are installed where fdlint looks.
        if let Some(manifest) = PYTHON_MANIFESTS
            .iter()
            .map(|m| opts.project.join(m))
            .find(|p| p.is_file())
            .or_else(|| requirements_files(&opts.project).into_iter().next())
        {
            out.missing.push(super::Missing {
                path: manifest.clone(),
                what: "no virtualenv found (.venv, venv, $VIRTUAL_ENV), so its packages are \
                       not installed"
                    .into(),
                install: install_command(&manifest),
            });
            return Ok(true);
        }
    }
    Ok(!dirs.is_empty())
}

/// Lockfiles that pin a project's Python packages (requirements files are found by name).
pub const PYTHON_MANIFESTS: [&str; 3] = ["poetry.lock", "uv.lock", "Pipfile.lock"];

/// `requirements*.txt` in `dir`, sorted.
pub fn requirements_files(dir: &Path) -> Vec<PathBuf> {
    sorted_entries(dir)
        .into_iter()
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("requirements") && n.ends_with(".txt"))
        })
        .collect()
}

/// The command that installs what `manifest` pins into a new `.venv`.
fn install_command(manifest: &Path) -> String {
    let name = manifest
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("requirements.txt");
    match name {
        "poetry.lock" => {
            "`poetry install` (with `virtualenvs.in-project = true`, or --venv)".into()
        }
        "uv.lock" => "`uv sync`".into(),
        "Pipfile.lock" => "`PIPENV_VENV_IN_PROJECT=1 pipenv sync` (or --venv)".into(),
        _ => format!("`python3 -m venv .venv && .venv/bin/pip install -r {name}` (or --venv)"),
    }
}

/// `lib/python*/site-packages` (and `lib64`, and Windows' `Lib/site-packages`) under a venv,
/// each real directory once (`lib64` is often a link to `lib`).
pub fn site_packages_of(venv: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for lib in ["lib", "lib64"] {
        for d in sorted_entries(&venv.join(lib)) {
            let is_python = d
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("python") || n.starts_with("pypy"));
            let sp = d.join("site-packages");
            if is_python && sp.is_dir() {
                found.push(sp);
            }
        }
    }
    let win = venv.join("Lib").join("site-packages");
    if win.is_dir() {
        found.push(win);
    }
    let mut seen = HashSet::new();
    found.retain(|p| seen.insert(fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    found
}

/// Attribute every lintable file of one site-packages directory.
pub fn scan_site_packages(sp: &Path, out: &mut Resolved) {
    let mut claimed: HashSet<PathBuf> = HashSet::new();
    for entry in sorted_entries(sp) {
        let Some(name) = entry
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
        else {
            continue;
        };
        if let Some(stem) = name.strip_suffix(".dist-info") {
            if entry.is_dir() {
                dist_info(sp, &entry, stem, &mut claimed, out);
            }
        } else if let Some(stem) = name.strip_suffix(".egg-info") {
            egg_info(sp, &entry, stem, &mut claimed, out);
        }
    }
    unattributed(sp, &claimed, out);
}

/// `Name:` and `Version:` from core metadata (METADATA, PKG-INFO): RFC 822 headers up to the
/// first blank line.
pub fn parse_metadata(text: &str) -> (Option<String>, Option<String>) {
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.trim() {
                "Name" if name.is_none() => name = Some(v.trim().to_string()),
                "Version" if version.is_none() => version = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    (name, version)
}

/// `name-1.0` (a dist-info or egg-info directory's stem) split into name and version.
fn split_stem(stem: &str) -> (String, String) {
    // Egg-info stems may carry a Python tag: `name-1.0-py3.11`.
    let mut parts = stem.splitn(3, '-');
    let name = parts.next().unwrap_or(stem).to_string();
    let version = parts.next().unwrap_or("").to_string();
    (name, version)
}

fn package_from(meta_file: &Path, stem: &str) -> Arc<Package> {
    let text = fs::read_to_string(meta_file).unwrap_or_default();
    let (name, version) = parse_metadata(&text);
    let (stem_name, stem_version) = split_stem(stem);
    Package::new(
        Ecosystem::Pypi,
        &name.unwrap_or(stem_name),
        &version.unwrap_or(stem_version),
    )
}

/// The first field of a RECORD line (CSV: `path,hash,size`; a path with a comma is quoted).
pub fn record_path(line: &str) -> Option<String> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.is_empty() {
        return None;
    }
    if let Some(rest) = line.strip_prefix('"') {
        let mut field = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    return Some(field);
                }
            } else {
                field.push(c);
            }
        }
        return Some(field);
    }
    Some(line.split(',').next().unwrap_or(line).to_string())
}

fn claim(
    path: PathBuf,
    package_path: String,
    package: &Arc<Package>,
    claimed: &mut HashSet<PathBuf>,
    out: &mut Resolved,
) {
    // The language first: it is decided by name for all but extension-less scripts, so the
    // many `.pyc` and `.so` entries of a RECORD cost no system call.
    let Some(lang) = file_lang(&path) else {
        return;
    };
    if path.is_file() && claimed.insert(path.clone()) {
        out.files.push(PackageFile {
            path,
            lang,
            package: package.clone(),
            package_path,
        });
    }
}

fn dist_info(
    sp: &Path,
    dir: &Path,
    stem: &str,
    claimed: &mut HashSet<PathBuf>,
    out: &mut Resolved,
) {
    let package = package_from(&dir.join("METADATA"), stem);
    out.packages.push(package.clone());
    match fs::read_to_string(dir.join("RECORD")) {
        Ok(record) => {
            for line in record.lines() {
                let Some(rel) = record_path(line) else {
                    continue;
                };
                let rel = rel.replace('\\', "/");
                claim(normalize(&sp.join(&rel)), rel, &package, claimed, out);
            }
        }
        Err(_) => {
            out.notice(
                dir,
                format!("no RECORD; attributing {package} by top_level.txt"),
            );
            top_level(sp, dir, &package, claimed, out);
        }
    }
}

fn egg_info(
    sp: &Path,
    entry: &Path,
    stem: &str,
    claimed: &mut HashSet<PathBuf>,
    out: &mut Resolved,
) {
    // A distutils install leaves a single PKG-INFO-format file named `*.egg-info`.
    let meta = if entry.is_dir() {
        entry.join("PKG-INFO")
    } else {
        entry.to_path_buf()
    };
    let package = package_from(&meta, stem);
    out.packages.push(package.clone());
    if !entry.is_dir() {
        return;
    }
    match fs::read_to_string(entry.join("installed-files.txt")) {
        Ok(list) => {
            for line in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let path = normalize(&entry.join(line));
                let rel = path
                    .strip_prefix(sp)
                    .map(slash_path)
                    .unwrap_or_else(|_| line.replace('\\', "/"));
                claim(path, rel, &package, claimed, out);
            }
        }
        Err(_) => top_level(sp, entry, &package, claimed, out),
    }
}

/// Old installs without a file list: `top_level.txt` names the importable modules.
fn top_level(
    sp: &Path,
    meta_dir: &Path,
    package: &Arc<Package>,
    claimed: &mut HashSet<PathBuf>,
    out: &mut Resolved,
) {
    let Ok(text) = fs::read_to_string(meta_dir.join("top_level.txt")) else {
        return;
    };
    for module in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let module = module.replace('\\', "/");
        let file = sp.join(format!("{module}.py"));
        claim(file, format!("{module}.py"), package, claimed, out);
        let dir = sp.join(&module);
        if dir.is_dir() {
            let mut tree = Resolved::default();
            super::package_tree(&dir, package, &mut tree);
            for f in tree.files {
                let rel = format!("{module}/{}", f.package_path);
                claim(f.path, rel, package, claimed, out);
            }
        }
    }
}

/// Python files under site-packages that no distribution claims, as package `?`.
fn unattributed(sp: &Path, claimed: &HashSet<PathBuf>, out: &mut Resolved) {
    let package = Package::new(Ecosystem::Pypi, UNATTRIBUTED, "");
    let walker = walkdir::WalkDir::new(sp)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            !(e.depth() > 0
                && e.file_type().is_dir()
                && (n == "__pycache__" || n.ends_with(".dist-info") || n.ends_with(".egg-info")))
        });
    let mut any = false;
    for e in walker.filter_map(Result::ok) {
        if !e.file_type().is_file()
            || crate::discover::lang_by_name(e.path()) != Some(Lang::Python)
            || claimed.contains(&normalize(e.path()))
        {
            continue;
        }
        any = true;
        let rel = e.path().strip_prefix(sp).unwrap_or(e.path());
        out.files.push(PackageFile {
            path: normalize(e.path()),
            lang: Lang::Python,
            package: package.clone(),
            package_path: slash_path(rel),
        });
    }
    if any {
        out.packages.push(package);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_fields() {
        assert_eq!(
            record_path("daemon/daemon.py,sha256=abc,123").as_deref(),
            Some("daemon/daemon.py")
        );
        assert_eq!(
            record_path("\"a,b/c.py\",sha256=x,1").as_deref(),
            Some("a,b/c.py")
        );
        assert_eq!(
            record_path("../../../bin/tool,,").as_deref(),
            Some("../../../bin/tool")
        );
        assert_eq!(record_path(""), None);
    }

    #[test]
    fn metadata_headers() {
        let (n, v) =
            parse_metadata("Metadata-Version: 2.1\nName: python-daemon\nVersion: 2.2.4\n\nName: x");
        assert_eq!(n.as_deref(), Some("python-daemon"));
        assert_eq!(v.as_deref(), Some("2.2.4"));
        assert_eq!(
            split_stem("lockfile-0.12.2-py3.11"),
            ("lockfile".into(), "0.12.2".into())
        );
    }
}
