//! The Rust crate index: for a file, the crate it belongs to (the nearest `Cargo.toml` whose
//! `src/`, `tests/`, `examples/` or `benches/` holds it), and the fields, functions and
//! parameters that crate's modules fill with the fd limit.
//!
//! Built lazily: only when the frontend meets a loop bound it cannot resolve in its own file
//! does it ask, and only the crate's `src/**/*.rs` files whose bytes name a limit API
//! (`LIMIT_TOKENS`) are parsed. Results are cached per file by (modification time, length) and
//! per crate by the fingerprint of its file list, so a changed file is read again (the editor
//! sees saved changes) and a run reads each file at most once. The walk is bounded
//! (`MAX_FILES`, `MAX_DEPTH`, `MAX_BYTES`); past the bounds the index is partial, never wrong.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::SystemTime;

use aho_corasick::AhoCorasick;

use super::{Key, LimitFact, LimitIndex};
use crate::facts::LimitSource;

/// Bytes a file must contain for it to be able to fill anything with the fd limit: the limit
/// APIs the frontend's resolver recognises (`resolve.rs`: `sysconf` of `_SC_OPEN_MAX` /
/// `OPEN_MAX`, `getrlimit` of `RLIMIT_NOFILE` / `Nofile`, `getdtablesize`, a `libc::rlimit`'s
/// `rlim_cur`/`rlim_max`). A file without any of them resolves no value to a limit.
pub const LIMIT_TOKENS: &[&str] = &[
    "getrlimit",
    "NOFILE",
    "Nofile",
    "sysconf",
    "OPEN_MAX",
    "getdtablesize",
    "rlim_cur",
    "rlim_max",
];

const MAX_FILES: usize = 5_000;
const MAX_DEPTH: usize = 24;
const MAX_BYTES: u64 = 4 << 20;

/// What one file fills with the limit: the name, the limit read, and the byte offset of the
/// read (for its line).
pub type Entry = (Key, LimitSource, usize);

/// The function that reads one file's entries (`lang::rust::index_file`).
pub type Indexer = fn(&str) -> Vec<Entry>;

/// `(modification time, length)` of a file when it was indexed.
type Stamp = (Option<SystemTime>, u64);

/// A crate's files as last seen: its index is current while they are.
type Listing = Vec<(PathBuf, Stamp)>;

#[derive(Default)]
struct Cache {
    files: HashMap<PathBuf, (Stamp, Arc<Vec<Entry>>)>,
    crates: HashMap<PathBuf, (Listing, Arc<CrateLimits>)>,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);

static TOKENS: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(LIMIT_TOKENS).expect("the tokens compile"));

/// Whether `bytes` name a limit API at all.
pub fn mentions_limit(bytes: &[u8]) -> bool {
    TOKENS.is_match(bytes)
}

/// Every limit fact of one crate, by key.
#[derive(Debug, Default)]
pub struct CrateLimits {
    map: HashMap<Key, Vec<LimitFact>>,
}

/// The crate around one file, indexed on first use.
pub struct CrateRef {
    file: PathBuf,
    indexer: Indexer,
    limits: OnceLock<Option<(PathBuf, Arc<CrateLimits>)>>,
}

impl std::fmt::Debug for CrateRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrateRef")
            .field("file", &self.file)
            .finish()
    }
}

impl CrateRef {
    pub fn new(file: &Path, indexer: Indexer) -> CrateRef {
        CrateRef {
            file: file.to_path_buf(),
            indexer,
            limits: OnceLock::new(),
        }
    }
}

impl LimitIndex for CrateRef {
    fn limits(&self, key: &Key) -> Vec<LimitFact> {
        let limits = self.limits.get_or_init(|| {
            let root = crate_root(&self.file)?;
            // On a thread of its own: the frontend asking is in the middle of its own file,
            // and parsing another file on its thread would clear that file's spans
            // (`proc_macro2`'s source map is per thread).
            let indexer = self.indexer;
            let limits = std::thread::scope(|s| {
                std::thread::Builder::new()
                    .name("fdlint-crate-index".into())
                    .stack_size(32 << 20)
                    .spawn_scoped(s, || index_crate(&root, indexer))
                    .ok()?
                    .join()
                    .ok()
            })?;
            Some((root, limits))
        });
        let Some((root, limits)) = limits else {
            return Vec::new();
        };
        // The file being read speaks for itself (its text may be newer than the disk's).
        let own = self.file.strip_prefix(root).unwrap_or(&self.file);
        limits
            .map
            .get(key)
            .map(|v| v.iter().filter(|f| f.path != own).cloned().collect())
            .unwrap_or_default()
    }
}

/// The crate root of `file`: the nearest ancestor with a `Cargo.toml` whose `src`, `tests`,
/// `examples` or `benches` directory holds the file (or whose `build.rs` it is). A `.rs` file
/// elsewhere (a fixture directory, a script) belongs to no crate.
pub fn crate_root(file: &Path) -> Option<PathBuf> {
    let mut dir = file.parent()?;
    for _ in 0..MAX_DEPTH {
        if dir.join("Cargo.toml").is_file() {
            let rel = file.strip_prefix(dir).ok()?;
            let first = rel.components().next()?.as_os_str();
            let inside = ["src", "tests", "examples", "benches"]
                .iter()
                .any(|d| first == *d)
                || rel == Path::new("build.rs");
            return inside.then(|| dir.to_path_buf());
        }
        if dir.join(".git").exists() {
            return None;
        }
        dir = dir.parent()?;
    }
    None
}

fn stamp(meta: &std::fs::Metadata) -> Stamp {
    (meta.modified().ok(), meta.len())
}

/// The `.rs` files under `root/src`, sorted, with their stamps.
fn crate_files(root: &Path) -> Listing {
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(root.join("src"))
        .max_depth(MAX_DEPTH)
        .follow_links(false)
        .sort_by_file_name();
    for e in walk.into_iter().filter_map(Result::ok) {
        if out.len() >= MAX_FILES {
            break;
        }
        let p = e.path();
        if e.file_type().is_file()
            && p.extension().is_some_and(|x| x == "rs")
            && let Ok(meta) = e.metadata()
            && meta.len() <= MAX_BYTES
        {
            out.push((p.to_path_buf(), stamp(&meta)));
        }
    }
    out
}

fn index_crate(root: &Path, indexer: Indexer) -> Arc<CrateLimits> {
    let files = crate_files(root);
    {
        let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, limits)) = cache.crates.get(root)
            && *seen == files
        {
            return limits.clone();
        }
    }
    let mut map: HashMap<Key, Vec<LimitFact>> = HashMap::new();
    for (path, st) in &files {
        let cached = {
            let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .files
                .get(path)
                .filter(|(s, _)| s == st)
                .map(|(_, e)| e.clone())
        };
        let entries = match cached {
            Some(e) => e,
            None => {
                let entries = Arc::new(index_file(path, indexer));
                let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
                cache.files.insert(path.clone(), (*st, entries.clone()));
                entries
            }
        };
        for (key, source, line) in entries.iter() {
            map.entry(key.clone()).or_default().push(LimitFact {
                source: *source,
                path: path.strip_prefix(root).unwrap_or(path).to_path_buf(),
                line: *line,
            });
        }
    }
    let limits = Arc::new(CrateLimits { map });
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .crates
        .insert(root.to_path_buf(), (files, limits.clone()));
    limits
}

/// One file's entries, with byte offsets turned into lines. Unreadable, non-UTF-8 and
/// limit-free files have none.
fn index_file(path: &Path, indexer: Indexer) -> Vec<Entry> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    if !mentions_limit(&bytes) {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Vec::new();
    };
    indexer(text)
        .into_iter()
        .map(|(k, s, at)| {
            let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at.min(bytes.len())]).count();
            (k, s, line)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_root_needs_a_source_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        std::fs::create_dir_all(root.join("src/sys")).unwrap();
        std::fs::create_dir_all(root.join("fixtures")).unwrap();
        assert_eq!(
            crate_root(&root.join("src/sys/fd.rs")).as_deref(),
            Some(root)
        );
        assert_eq!(crate_root(&root.join("build.rs")).as_deref(), Some(root));
        assert_eq!(crate_root(&root.join("fixtures/a.rs")), None);
    }

    #[test]
    fn only_files_naming_a_limit_api_are_read() {
        assert!(mentions_limit(
            b"unsafe { libc::sysconf(libc::_SC_OPEN_MAX) }"
        ));
        assert!(mentions_limit(
            b"let r = getrlimit(Resource::RLIMIT_NOFILE)?;"
        ));
        assert!(!mentions_limit(
            b"fn close_fd(fd: RawFd) { unsafe { libc::close(fd); } }"
        ));
    }
}
