//! Ruby: the gems a `Gemfile.lock` names, found in the gem directories that hold them and
//! attributed by their `gems/NAME-VERSION` directory. The lockfile is read as text: bundler and
//! Ruby are never run (a `Gemfile` is code).

use std::fs;
use std::path::{Path, PathBuf};

use super::{
    DepsError, Ecosystem, Env, Options, Package, Resolved, lock_dir, sorted_entries, under,
};

/// Where a locked gem comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GemSource {
    /// A `GEM` section: a gem server.
    Registry,
    /// A `PATH` section: a directory, relative to the lockfile.
    Path(String),
    /// A `GIT` section: a repository checked out by bundler at this revision.
    Git { remote: String, revision: String },
}

/// One `    name (version)` line of a `specs:` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedGem {
    pub name: String,
    /// The version without the platform: `1.15.0`.
    pub version: String,
    /// The platform suffix, when the lockfile pins one: `x86_64-linux`.
    pub platform: Option<String>,
    pub source: GemSource,
}

/// Parse the `GEM`, `PATH` and `GIT` sections of a `Gemfile.lock`.
pub fn parse_lockfile(text: &str) -> Vec<LockedGem> {
    let mut out = Vec::new();
    let mut section = "";
    let mut remote = String::new();
    let mut revision = String::new();
    let mut in_specs = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if !line.starts_with(' ') {
            section = line.trim();
            remote.clear();
            revision.clear();
            in_specs = false;
            continue;
        }
        if !matches!(section, "GEM" | "PATH" | "GIT") {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim();
        if indent == 2 {
            in_specs = body == "specs:";
            if let Some(r) = body.strip_prefix("remote:") {
                remote = r.trim().to_string();
            } else if let Some(r) = body.strip_prefix("revision:") {
                revision = r.trim().to_string();
            }
            continue;
        }
        // Gems are indented four spaces; their own dependencies six.
        if indent != 4 || !in_specs {
            continue;
        }
        let Some((name, rest)) = body.split_once(" (") else {
            continue;
        };
        let full = rest.trim_end_matches(')');
        let (version, platform) = match full.split_once('-') {
            Some((v, p)) => (v.to_string(), Some(p.to_string())),
            None => (full.to_string(), None),
        };
        let source = match section {
            "PATH" => GemSource::Path(remote.clone()),
            "GIT" => GemSource::Git {
                remote: remote.clone(),
                revision: revision.clone(),
            },
            _ => GemSource::Registry,
        };
        out.push(LockedGem {
            name: name.trim().to_string(),
            version,
            platform,
            source,
        });
    }
    out
}

/// `BUNDLE_PATH` from a `.bundle/config` (YAML, one `KEY: "value"` per line).
fn bundle_config_path(project: &Path) -> Option<String> {
    let text = fs::read_to_string(project.join(".bundle").join("config")).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == "BUNDLE_PATH").then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// `BASE/ruby/*/gems`: the layout of a bundle path.
fn bundle_gem_dirs(base: &Path) -> Vec<PathBuf> {
    sorted_entries(&base.join("ruby"))
        .into_iter()
        .map(|d| d.join("gems"))
        .filter(|d| d.is_dir())
        .collect()
}

/// A gem home (`DIR/gems`), a bundle path (`DIR/ruby/*/gems`), or a gems directory itself.
fn gem_dirs_of(dir: &Path) -> Vec<PathBuf> {
    if dir.join("gems").is_dir() {
        return vec![dir.join("gems")];
    }
    let bundle = bundle_gem_dirs(dir);
    if !bundle.is_empty() {
        return bundle;
    }
    if dir.is_dir() {
        vec![dir.to_path_buf()]
    } else {
        Vec::new()
    }
}

/// Every directory that may hold `NAME-VERSION` gem directories, in the order they are searched.
pub fn gem_dirs(opts: &Options, env: &Env, project: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for d in &opts.gem_paths {
        dirs.extend(gem_dirs_of(d));
    }
    dirs.extend(bundle_gem_dirs(&project.join("vendor").join("bundle")));
    for bp in [
        bundle_config_path(project),
        env.get("BUNDLE_PATH").map(str::to_owned),
    ]
    .into_iter()
    .flatten()
    {
        dirs.extend(bundle_gem_dirs(&under(project, Path::new(&bp))));
    }
    if let Some(home) = env.get("GEM_HOME") {
        dirs.extend(gem_dirs_of(Path::new(home)));
    }
    if let Some(path) = env.get("GEM_PATH") {
        for p in path.split(':').filter(|p| !p.is_empty()) {
            dirs.extend(gem_dirs_of(Path::new(p)));
        }
    }
    if opts.system_gems {
        for root in ["/usr/share/rubygems-integration", "/var/lib/gems"] {
            for d in sorted_entries(Path::new(root)) {
                if d.join("gems").is_dir() {
                    dirs.push(d.join("gems"));
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(fs::canonicalize(d).unwrap_or_else(|_| d.clone())));
    dirs
}

/// Where a locked gem is installed, if it is.
pub fn locate(gem: &LockedGem, dirs: &[PathBuf], project: &Path) -> Option<PathBuf> {
    match &gem.source {
        GemSource::Registry => {
            let exact = match &gem.platform {
                Some(p) => format!("{}-{}-{p}", gem.name, gem.version),
                None => format!("{}-{}", gem.name, gem.version),
            };
            let platformed = format!("{}-{}-", gem.name, gem.version);
            for d in dirs {
                let path = d.join(&exact);
                if path.is_dir() {
                    return Some(path);
                }
            }
            // A lock without a platform still installs a platform gem (`nokogiri-1.15.0-x86_64-linux`).
            dirs.iter().find_map(|d| {
                sorted_entries(d).into_iter().find(|p| {
                    p.is_dir()
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with(&platformed))
                })
            })
        }
        GemSource::Path(remote) => {
            let dir = under(project, Path::new(remote));
            // The project's own gemspec (`remote: .`) is the project, not a dependency.
            let same = fs::canonicalize(&dir).ok() == fs::canonicalize(project).ok();
            (!same && dir.is_dir()).then(|| gem_in_repo(&dir, &gem.name))
        }
        GemSource::Git { revision, .. } => {
            let short: String = revision.chars().take(12).collect();
            if short.is_empty() {
                return None;
            }
            let suffix = format!("-{short}");
            dirs.iter().find_map(|d| {
                let bundler = d.parent()?.join("bundler").join("gems");
                sorted_entries(&bundler)
                    .into_iter()
                    .find(|p| {
                        p.is_dir()
                            && p.file_name()
                                .and_then(|n| n.to_str())
                                .is_some_and(|n| n.ends_with(&suffix))
                    })
                    .map(|repo| gem_in_repo(&repo, &gem.name))
            })
        }
    }
}

/// A repository may hold several gems, each in a directory named after it.
fn gem_in_repo(repo: &Path, name: &str) -> PathBuf {
    let sub = repo.join(name);
    if !repo.join(format!("{name}.gemspec")).is_file()
        && sub.join(format!("{name}.gemspec")).is_file()
    {
        sub
    } else {
        repo.to_path_buf()
    }
}

pub(super) fn resolve(
    opts: &Options,
    env: &Env,
    auto: bool,
    out: &mut Resolved,
) -> Result<bool, DepsError> {
    let lock = opts
        .gemfile_lock
        .clone()
        .unwrap_or_else(|| opts.project.join("Gemfile.lock"));
    let Some(text) = super::read_lockfile(&lock, auto)? else {
        return Ok(false);
    };
    let project = lock_dir(&lock);
    let dirs = gem_dirs(opts, env, &project);
    out.roots.push(format!("Gemfile.lock {}", lock.display()));
    for d in &dirs {
        out.roots.push(format!("gems {}", d.display()));
    }
    let gems = parse_lockfile(&text);
    let mut missing = Vec::new();
    for gem in &gems {
        match locate(gem, &dirs, &project) {
            Some(dir) => {
                let package = Package::new(Ecosystem::Rubygems, &gem.name, &gem.version);
                out.packages.push(package.clone());
                super::package_tree(&dir, &package, out);
            }
            // The project's own gemspec (`PATH` with `remote: .`) is not a dependency.
            None if matches!(&gem.source, GemSource::Path(r)
                if fs::canonicalize(under(&project, Path::new(r))).ok()
                    == fs::canonicalize(&project).ok()) => {}
            None => missing.push(format!("{} {}", gem.name, gem.version)),
        }
    }
    if !missing.is_empty() {
        let what = if dirs.is_empty() {
            format!(
                "no gem directory found (vendor/bundle, BUNDLE_PATH, .bundle/config, GEM_HOME, \
                 GEM_PATH, --gem-path{}), so {}",
                if opts.system_gems {
                    ", --system-gems"
                } else {
                    ""
                },
                super::missing_list(&missing, "gem", "gems", "not installed")
            )
        } else {
            super::missing_list(&missing, "gem", "gems", "not installed")
        };
        out.missing.push(super::Missing {
            path: lock.clone(),
            what,
            install: "`bundle install` (or name their directory with --gem-path)".into(),
        });
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfile_sections() {
        let lock = "GIT\n  remote: https://example.com/x.git\n  revision: 0123456789abcdef\n  specs:\n    xgem (0.1.0)\n\nPATH\n  remote: ../local\n  specs:\n    local (0.2)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.15.0-x86_64-linux)\n      racc (~> 1.4)\n    pygments.rb (2.4.0)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  pygments.rb\n";
        let gems = parse_lockfile(lock);
        let names: Vec<&str> = gems.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["xgem", "local", "nokogiri", "pygments.rb"]);
        assert_eq!(gems[2].version, "1.15.0");
        assert_eq!(gems[2].platform.as_deref(), Some("x86_64-linux"));
        assert_eq!(gems[1].source, GemSource::Path("../local".into()));
        assert!(
            matches!(&gems[0].source, GemSource::Git { revision, .. } if revision == "0123456789abcdef")
        );
    }
}
