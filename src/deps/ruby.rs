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
        for d in system_gem_homes(&system_root(opts)) {
            if d.join("gems").is_dir() {
                dirs.push(d.join("gems"));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(fs::canonicalize(d).unwrap_or_else(|_| d.clone())));
    dirs
}

/// The directory `--system-gems` searches under: `/`, or a fake tree in tests.
fn system_root(opts: &Options) -> PathBuf {
    opts.system_root
        .clone()
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The gem homes of Debian's packaged gems: `/usr/share/rubygems-integration/{all,3.1.0}`,
/// the arch-specific `/usr/lib/<triplet>/rubygems-integration/<ver>` (gems with native
/// extensions), and `gem install`'s `/var/lib/gems/<ver>`. Each holds `specifications/` and
/// may hold `gems/`.
pub fn system_gem_homes(root: &Path) -> Vec<PathBuf> {
    let mut homes = sorted_entries(&root.join("usr/share/rubygems-integration"));
    for triplet in sorted_entries(&root.join("usr/lib")) {
        homes.extend(sorted_entries(&triplet.join("rubygems-integration")));
    }
    homes.extend(sorted_entries(&root.join("var/lib/gems")));
    homes.retain(|h| h.is_dir());
    homes
}

/// The string literals of a gemspec's `NAME = [...]` array (`s.files = ["lib/a.rb".freeze,
/// ...]`), read as text: gemspecs are Ruby, and fdlint never runs them. `None` when the
/// gemspec has no such literal array (it builds the list with code, e.g. `git ls-files`).
pub fn gemspec_array(text: &str, name: &str) -> Option<Vec<String>> {
    let suffix = format!(".{name}");
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        if let Some((lhs, rhs)) = line.split_once('=')
            && lhs.trim_end().ends_with(&suffix)
            && rhs.trim_start().starts_with('[')
        {
            start = Some(offset + lhs.len() + 1 + rhs.find('[')?);
            break;
        }
        offset += line.len();
    }
    let start = start?;
    let mut out = Vec::new();
    let mut chars = text[start + 1..].chars();
    while let Some(c) = chars.next() {
        match c {
            ']' => return Some(out),
            '"' | '\'' => {
                let mut lit = String::new();
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => lit.extend(chars.next()),
                        d if d == c => break,
                        d => lit.push(d),
                    }
                }
                out.push(lit);
            }
            _ => {}
        }
    }
    None
}

/// A gem Debian installed into `vendor_ruby`: its gemspec (`specifications/NAME-VERSION.gemspec`
/// in a system gem home, with no `gems/NAME-VERSION` directory beside it) lists its files;
/// those under its require paths are in `/usr/lib/ruby/vendor_ruby` (and the arch-specific
/// `/usr/lib/<triplet>/ruby/vendor_ruby`), its executables in `/usr/bin`. Returns each file
/// found with its path inside the gem.
pub fn vendor_ruby_files(root: &Path, name: &str, version: &str) -> Option<Vec<(PathBuf, String)>> {
    let spec_name = format!("{name}-{version}.gemspec");
    let spec = system_gem_homes(root)
        .into_iter()
        .map(|h| h.join("specifications").join(&spec_name))
        .find(|p| p.is_file())?;
    let text = fs::read_to_string(&spec).ok()?;
    let files = gemspec_array(&text, "files")?;
    let require_paths = gemspec_array(&text, "require_paths").unwrap_or_else(|| vec!["lib".into()]);
    let executables = gemspec_array(&text, "executables").unwrap_or_default();
    // gem2deb installs a gem's `bin/` executables into /usr/bin.
    let bindir = "bin";
    let mut vendor_dirs = vec![root.join("usr/lib/ruby/vendor_ruby")];
    for triplet in sorted_entries(&root.join("usr/lib")) {
        let arch = triplet.join("ruby/vendor_ruby");
        vendor_dirs.extend(sorted_entries(&arch).into_iter().filter(|d| d.is_dir()));
        vendor_dirs.push(arch);
    }
    let mut out = Vec::new();
    for file in &files {
        let installed = require_paths
            .iter()
            .find_map(|rp| file.strip_prefix(&format!("{}/", rp.trim_end_matches('/'))))
            .and_then(|rel| {
                vendor_dirs
                    .iter()
                    .map(|d| d.join(rel))
                    .find(|p| p.is_file())
            })
            .or_else(|| {
                let exe = file.strip_prefix(&format!("{bindir}/"))?;
                executables
                    .iter()
                    .any(|e| e == exe)
                    .then(|| root.join("usr/bin").join(exe))
                    .filter(|p| p.is_file())
            });
        if let Some(path) = installed {
            out.push((path, file.clone()));
        }
    }
    Some(out)
}

/// How a located gem is installed: a gem directory, or (Debian's `vendor_ruby`) files listed
/// by its gemspec, each with its path inside the gem.
enum Installed {
    Dir(PathBuf),
    Files(Vec<(PathBuf, String)>),
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
    // A lockfile lists a gem once per platform it is locked for (`ffi (1.15.5)` and
    // `ffi (1.15.5-x64-mingw-ucrt)`); one machine installs one of them.
    let mut installed = std::collections::HashSet::new();
    for gem in &gems {
        let found = match locate(gem, &dirs, &project) {
            Some(dir) => Some(Installed::Dir(dir)),
            None if opts.system_gems && gem.source == GemSource::Registry => {
                vendor_ruby_files(&system_root(opts), &gem.name, &gem.version).map(Installed::Files)
            }
            None => None,
        };
        let package = Package::new(Ecosystem::Rubygems, &gem.name, &gem.version);
        match found {
            Some(Installed::Dir(dir)) => {
                installed.insert((&gem.name, &gem.version));
                out.packages.push(package.clone());
                super::package_tree(&dir, &package, out);
            }
            Some(Installed::Files(files)) => {
                installed.insert((&gem.name, &gem.version));
                out.packages.push(package.clone());
                for (path, package_path) in files {
                    if let Some(lang) = super::file_lang(&path) {
                        out.files.push(super::PackageFile {
                            path,
                            lang,
                            package: package.clone(),
                            package_path,
                        });
                    }
                }
            }
            // The project's own gemspec (`PATH` with `remote: .`) is not a dependency.
            None if matches!(&gem.source, GemSource::Path(r)
                if fs::canonicalize(under(&project, Path::new(r))).ok()
                    == fs::canonicalize(&project).ok()) => {}
            None => missing.push((&gem.name, &gem.version)),
        }
    }
    missing.retain(|g| !installed.contains(g));
    missing.dedup();
    let missing: Vec<String> = missing.iter().map(|(n, v)| format!("{n} {v}")).collect();
    if !missing.is_empty() {
        let list = super::missing_list(&missing, "gem", "gems", "not installed");
        let what = match (dirs.is_empty(), opts.system_gems) {
            (true, false) => format!(
                "no gem directory found (vendor/bundle, BUNDLE_PATH, .bundle/config, GEM_HOME, \
                 GEM_PATH, --gem-path; Debian's packaged gems need --system-gems), so {list}"
            ),
            (true, true) => format!(
                "no gem directory found (vendor/bundle, BUNDLE_PATH, .bundle/config, GEM_HOME, \
                 GEM_PATH, --gem-path, Debian's system gems), so {list}"
            ),
            (false, _) => list,
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
    fn gemspec_arrays_are_read_as_text() {
        let spec = "Gem::Specification.new do |s|\n  s.name = \"x\".freeze\n  s.files = [\"lib/a.rb\".freeze, 'lib/b\\'c.rb',\n    \"lib/]d.rb\".freeze]\n  s.require_paths = [\"lib\".freeze]\nend\n";
        assert_eq!(
            gemspec_array(spec, "files").unwrap(),
            ["lib/a.rb", "lib/b'c.rb", "lib/]d.rb"]
        );
        assert_eq!(gemspec_array(spec, "require_paths").unwrap(), ["lib"]);
        // A list built by code is not guessed at.
        assert_eq!(
            gemspec_array("  s.files = `git ls-files`.split\n", "files"),
            None
        );
        assert_eq!(gemspec_array(spec, "executables"), None);
    }

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
