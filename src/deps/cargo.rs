//! Rust: the crates a `Cargo.lock` names, found in cargo's extracted registry sources
//! (`$CARGO_HOME/registry/src/*/NAME-VERSION`), a `cargo vendor` directory, git checkouts, or
//! local path dependencies. Cargo is never run; manifests are read as TOML data.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{
    DepsError, Ecosystem, Env, Options, Package, Resolved, lock_dir, sorted_entries, under,
};

/// One `[[package]]` of a `Cargo.lock`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LockedCrate {
    pub name: String,
    pub version: String,
    /// `registry+…`, `sparse+…`, `git+…#rev`; absent for path dependencies and the workspace.
    pub source: Option<String>,
}

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedCrate>,
}

/// Parse a `Cargo.lock`.
pub fn parse_lockfile(text: &str) -> Result<Vec<LockedCrate>, String> {
    toml::from_str::<Lockfile>(text)
        .map(|l| l.package)
        .map_err(|e| e.to_string())
}

/// `[package] name` and `version` of a manifest.
fn manifest_name_version(dir: &Path) -> Option<(String, Option<String>)> {
    let text = fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let v: toml::Value = toml::from_str(&text).ok()?;
    let pkg = v.get("package")?;
    let name = pkg.get("name")?.as_str()?.to_string();
    let version = pkg
        .get("version")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    Some((name, version))
}

/// `$CARGO_HOME`, else `~/.cargo`.
pub fn cargo_home(opts: &Options, env: &Env) -> Option<PathBuf> {
    opts.cargo_home
        .clone()
        .or_else(|| env.get("CARGO_HOME").map(PathBuf::from))
        .or_else(|| env.get("HOME").map(|h| Path::new(h).join(".cargo")))
}

/// Where a locked crate's sources are, if they are on this machine.
pub fn locate(
    krate: &LockedCrate,
    cargo_home: Option<&Path>,
    vendor: Option<&Path>,
    path_deps: &BTreeMap<String, PathBuf>,
) -> Option<PathBuf> {
    let dir_name = format!("{}-{}", krate.name, krate.version);
    if let Some(v) = vendor {
        let versioned = v.join(&dir_name);
        if versioned.is_dir() {
            return Some(versioned);
        }
        // `cargo vendor` names a crate's directory after the crate alone when only one version
        // of it is vendored: check the manifest says the locked version.
        let plain = v.join(&krate.name);
        if manifest_name_version(&plain)
            .is_some_and(|(n, ver)| n == krate.name && ver.as_deref() == Some(&krate.version))
        {
            return Some(plain);
        }
    }
    let source = krate.source.as_deref();
    match source {
        None => path_deps.get(&krate.name).cloned(),
        Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => {
            let home = cargo_home?;
            sorted_entries(&home.join("registry").join("src"))
                .into_iter()
                .map(|index| index.join(&dir_name))
                .find(|d| d.is_dir())
        }
        Some(s) if s.starts_with("git+") => {
            let rev = s.rsplit_once('#')?.1;
            let short: String = rev.chars().take(7).collect();
            let home = cargo_home?;
            sorted_entries(&home.join("git").join("checkouts"))
                .into_iter()
                .map(|repo| repo.join(&short))
                .filter(|d| d.is_dir())
                .find_map(|checkout| crate_in_tree(&checkout, &krate.name))
        }
        Some(_) => None,
    }
}

/// The directory under `root` (at most three levels down) whose manifest names `name`.
fn crate_in_tree(root: &Path, name: &str) -> Option<PathBuf> {
    walkdir::WalkDir::new(root)
        .max_depth(4)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != "target" && e.file_name() != ".git")
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "Cargo.toml")
        .filter_map(|e| e.path().parent().map(Path::to_path_buf))
        .find(|d| manifest_name_version(d).is_some_and(|(n, _)| n == name))
}

/// Path dependencies named in the workspace's manifests, by crate name. Workspace members are
/// the project itself (`fdlint check` lints them) and are not included.
fn path_dependencies(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut manifests = vec![root.to_path_buf()];
    let mut members = vec![fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())];
    let root_manifest: Option<toml::Value> = fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|t| toml::from_str(&t).ok());
    if let Some(ws) = root_manifest.as_ref().and_then(|m| m.get("workspace")) {
        for m in ws
            .get("members")
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str())
        {
            // Globs (`crates/*`) expand to the directories that have a manifest.
            if let Some(prefix) = m.strip_suffix("/*") {
                for d in sorted_entries(&root.join(prefix)) {
                    if d.join("Cargo.toml").is_file() {
                        members.push(fs::canonicalize(&d).unwrap_or_else(|_| d.clone()));
                        manifests.push(d);
                    }
                }
            } else {
                let d = root.join(m);
                members.push(fs::canonicalize(&d).unwrap_or_else(|_| d.clone()));
                manifests.push(d);
            }
        }
    }
    let mut out = BTreeMap::new();
    for dir in manifests {
        let Some(manifest) = fs::read_to_string(dir.join("Cargo.toml"))
            .ok()
            .and_then(|t| toml::from_str::<toml::Value>(&t).ok())
        else {
            continue;
        };
        let mut tables: Vec<&toml::Value> = Vec::new();
        for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
            tables.extend(manifest.get(key));
            if let Some(t) = manifest.get("workspace").and_then(|w| w.get(key)) {
                tables.push(t);
            }
        }
        if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
            for t in targets.values() {
                for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                    tables.extend(t.get(key));
                }
            }
        }
        for table in tables.iter().filter_map(|t| t.as_table()) {
            for dep in table.values() {
                let Some(p) = dep.get("path").and_then(|p| p.as_str()) else {
                    continue;
                };
                let d = under(&dir, Path::new(p));
                let canon = fs::canonicalize(&d).unwrap_or_else(|_| d.clone());
                if members.contains(&canon) {
                    continue;
                }
                if let Some((name, _)) = manifest_name_version(&d) {
                    out.entry(name).or_insert(d);
                }
            }
        }
    }
    out
}

pub(super) fn resolve(
    opts: &Options,
    env: &Env,
    auto: bool,
    out: &mut Resolved,
) -> Result<bool, DepsError> {
    let lock = opts
        .cargo_lock
        .clone()
        .unwrap_or_else(|| opts.project.join("Cargo.lock"));
    let Some(text) = super::read_lockfile(&lock, auto)? else {
        return Ok(false);
    };
    let crates = parse_lockfile(&text).map_err(|message| DepsError::Unreadable {
        path: lock.clone(),
        message,
    })?;
    let root = lock_dir(&lock);
    let home = cargo_home(opts, env);
    let vendor = opts.vendor.clone().or_else(|| {
        let v = root.join("vendor");
        v.is_dir().then_some(v)
    });
    if let Some(v) = &opts.vendor
        && !v.is_dir()
    {
        return Err(DepsError::Missing(v.clone()));
    }
    let path_deps = path_dependencies(&root);
    out.roots.push(format!("Cargo.lock {}", lock.display()));
    if let Some(h) = &home {
        out.roots.push(format!("cargo home {}", h.display()));
    }
    if let Some(v) = &vendor {
        out.roots.push(format!("vendor {}", v.display()));
    }
    let mut missing = Vec::new();
    for krate in &crates {
        match locate(krate, home.as_deref(), vendor.as_deref(), &path_deps) {
            Some(dir) => {
                let package = Package::new(Ecosystem::CratesIo, &krate.name, &krate.version);
                out.packages.push(package.clone());
                super::package_tree(&dir, &package, out);
            }
            // Crates without a source are the workspace's own (or a path dependency not found).
            None if krate.source.is_some() => {
                missing.push(format!("{} {}", krate.name, krate.version));
            }
            None => {}
        }
    }
    if !missing.is_empty() {
        out.missing.push(super::Missing {
            path: lock.clone(),
            what: format!(
                "{} in the cargo registry sources ({}) or a vendor directory",
                super::missing_list(&missing, "crate", "crates", "not found"),
                home.as_ref().map_or_else(
                    || "no cargo home: set CARGO_HOME or --cargo-home".to_string(),
                    |h| h.join("registry").join("src").display().to_string()
                )
            ),
            install: "`cargo fetch --locked` (or `cargo vendor --locked` and --vendor)".into(),
        });
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfile() {
        let text = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"libc\"\nversion = \"0.2.150\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"x\"\n";
        let crates = parse_lockfile(text).unwrap();
        assert_eq!(crates.len(), 2);
        assert_eq!(crates[1].name, "libc");
        assert!(crates[0].source.is_none());
    }
}
