//! The Python project index: for a file, the other modules of its project that it imports, and
//! what a name of one of them holds (a constant, a helper's `return`, an attribute assigned
//! there), does (a close wrapper) or returns (a range of every fd).
//!
//! Demand-driven, never eager: nothing is read until the frontend meets, in a file the
//! prefilter admitted, a loop whose bound, close call or fd list it cannot resolve in the file
//! itself. It then asks about one name of one imported module (`Key::Module`); the module is
//! found on disk the way Python would find it inside the project (a relative import from the
//! file's package, an absolute one from the directory above the file's top-level package or
//! beside the file), parsed, and only that name is resolved there, through the module's own
//! data flow and, for what that module imports in turn, the same index one hop further.
//! Answers are cached per (module file, question) in a process-wide cache shared by the worker
//! threads and checked against the file's modification time and length (an editor sees saved
//! changes). Bounded: `MAX_HOPS` modules deep, modules up to `MAX_BYTES`, a question already
//! being answered further up the chain (an import cycle) answers nothing, and the cache is
//! emptied past `MAX_ENTRIES`. Past the bounds the index is partial, never wrong.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::SystemTime;

use super::{ActionFact, Held, Key, LimitFact, LimitIndex, RangeFact, ValueFact};
use crate::facts::FdAction;

/// Modules followed from the file that asks: the file's own imports are hop 1.
pub const MAX_HOPS: usize = 4;
/// A module larger than this is not read (1 MiB: generated tables, not helpers).
pub const MAX_BYTES: u64 = 1 << 20;
/// Answers kept before the cache is emptied.
const MAX_ENTRIES: usize = 50_000;
/// Directories climbed to find the top of a package.
const MAX_DEPTH: usize = 32;

/// A question about one name of one module, asked of that module's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Question {
    /// Every value the name is given there (`Key::Field`: a top-level name, a class
    /// attribute, an attribute assigned anywhere; `Key::Fn`: a function's `return`s).
    Values(Key),
    /// What calling the function does to its positional argument `usize`.
    Action(Key, usize),
    /// The range of every fd the function returns.
    Range(Key),
}

/// What a module's text answers, with byte offsets into that text.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub values: Vec<(Held, usize)>,
    pub action: Option<(FdAction, usize)>,
    pub range: Option<(Option<u64>, Held, usize)>,
}

/// The function that answers a question from a module's text (`lang::python::index_module`),
/// handed in by the engine so that the index imports no frontend. `index` is the module's own
/// view of the project, for the names it imports in turn.
pub type Indexer = fn(text: &str, question: &Question, index: &ModuleRef) -> Answer;

/// `(modification time, length)` of a file when it was read.
type Stamp = (Option<SystemTime>, u64);

#[derive(Default)]
struct Cache {
    /// `(importing directory, module spelling)` -> the module's file.
    found: HashMap<(PathBuf, String), Option<PathBuf>>,
    /// `(module file, question)` -> the answer, lines already counted.
    answers: HashMap<(PathBuf, Question), (Stamp, Lined)>,
    /// `(directory, package name)` -> whether a build file there names the package.
    installs: HashMap<(PathBuf, String), bool>,
}

/// An answer with lines instead of offsets.
#[derive(Debug, Clone, Default)]
struct Lined {
    values: Vec<(Held, usize)>,
    action: Option<(FdAction, usize)>,
    range: Option<(Option<u64>, Held, usize)>,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);

/// One file's view of its project, asked through `LimitIndex`.
pub struct ModuleRef {
    file: PathBuf,
    indexer: Indexer,
    /// The (module, question) pairs being answered above this one: a cycle stops here.
    chain: Vec<(PathBuf, Question)>,
}

impl std::fmt::Debug for ModuleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleRef")
            .field("file", &self.file)
            .field("hops", &self.chain.len())
            .finish()
    }
}

impl ModuleRef {
    pub fn new(file: &Path, indexer: Indexer) -> ModuleRef {
        ModuleRef {
            file: file.to_path_buf(),
            indexer,
            chain: Vec::new(),
        }
    }

    /// The answer of the module `key` names to `question` (the inner key), or nothing when the
    /// module is not a file of the project, is the file itself, or is too far or in a cycle.
    fn ask(&self, key: &Key, make: fn(Key) -> Question) -> Option<(PathBuf, Lined)> {
        let Key::Module { module, key } = key else {
            return None;
        };
        if self.chain.len() >= MAX_HOPS {
            return None;
        }
        let path = find_module(&self.file, module)?;
        if path == self.file {
            return None;
        }
        let question = make((**key).clone());
        let pair = (path.clone(), question.clone());
        if self.chain.contains(&pair) {
            return None;
        }
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_BYTES {
            return None;
        }
        let st: Stamp = (meta.modified().ok(), meta.len());
        {
            let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((s, a)) = cache.answers.get(&pair)
                && *s == st
            {
                return Some((path, a.clone()));
            }
        }
        let bytes = std::fs::read(&path).ok()?;
        let text = String::from_utf8_lossy(&bytes);
        let mut chain = self.chain.clone();
        chain.push(pair.clone());
        let inner = ModuleRef {
            file: path.clone(),
            indexer: self.indexer,
            chain,
        };
        let a = (self.indexer)(&text, &question, &inner);
        let line =
            |at: usize| 1 + memchr::memchr_iter(b'\n', &bytes[..at.min(bytes.len())]).count();
        let lined = Lined {
            values: a.values.into_iter().map(|(h, at)| (h, line(at))).collect(),
            action: a.action.map(|(x, at)| (x, line(at))),
            range: a.range.map(|(lo, h, at)| (lo, h, line(at))),
        };
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if cache.answers.len() >= MAX_ENTRIES {
            cache.answers.clear();
        }
        cache.answers.insert(pair, (st, lined.clone()));
        Some((path, lined))
    }

    /// How a note names a module file: relative to the asking file's directory when below
    /// it, else to the directory above its top-level package, else as found.
    fn shown(&self, path: &Path) -> PathBuf {
        let dir = self.file.parent().unwrap_or(Path::new(""));
        if let Ok(p) = path.strip_prefix(dir) {
            return p.to_path_buf();
        }
        let top = package_root(dir);
        path.strip_prefix(&top).unwrap_or(path).to_path_buf()
    }
}

impl LimitIndex for ModuleRef {
    fn limits(&self, key: &Key) -> Vec<LimitFact> {
        self.values(key)
            .into_iter()
            .filter_map(|v| match v.held {
                Held::Limit { source, .. } => Some(LimitFact {
                    source,
                    path: v.path,
                    line: v.line,
                }),
                _ => None,
            })
            .collect()
    }

    fn values(&self, key: &Key) -> Vec<ValueFact> {
        let Some((path, a)) = self.ask(key, Question::Values) else {
            return Vec::new();
        };
        let shown = self.shown(&path);
        a.values
            .into_iter()
            .map(|(held, line)| ValueFact {
                held,
                path: shown.clone(),
                line,
            })
            .collect()
    }

    fn fd_action(&self, key: &Key, arg: usize) -> Option<ActionFact> {
        // The argument position is part of the question; `ask` takes a constructor.
        let Key::Module { module, key: inner } = key else {
            return None;
        };
        let wrapped = Key::Module {
            module: module.clone(),
            key: Box::new(Key::Param {
                func: match &**inner {
                    Key::Fn(f) => f.clone(),
                    _ => return None,
                },
                index: arg,
            }),
        };
        let (path, a) = self.ask(&wrapped, |k| match k {
            Key::Param { func, index } => Question::Action(Key::Fn(func), index),
            k => Question::Values(k),
        })?;
        let (action, line) = a.action?;
        Some(ActionFact {
            action,
            path: self.shown(&path),
            line,
        })
    }

    fn finds_module(&self, module: &str) -> bool {
        find_module(&self.file, module).is_some()
    }

    fn fd_range(&self, key: &Key) -> Option<RangeFact> {
        let (path, a) = self.ask(key, Question::Range)?;
        let (lower, held, line) = a.range?;
        Some(RangeFact {
            lower,
            bound: ValueFact {
                held,
                path: self.shown(&path),
                line,
            },
        })
    }
}

/// The directory above the top-level package holding `dir` (the first ancestor without an
/// `__init__.py`), or `dir` itself when it is no package.
fn package_root(dir: &Path) -> PathBuf {
    let mut d = dir.to_path_buf();
    for _ in 0..MAX_DEPTH {
        if !d.join("__init__.py").is_file() {
            return d;
        }
        match d.parent() {
            Some(p) => d = p.to_path_buf(),
            None => return d,
        }
    }
    d
}

/// The file of module `module` (as an import spells it, leading dots for relative ones) seen
/// from `file`: `base/a/b.py` or `base/a/b/__init__.py`, where `base` is the file's package
/// climbed one level per dot after the first for a relative import, and otherwise the file's
/// own directory (a script importing its sibling) and then the directory above its top-level
/// package (`from pkg.mod import x`). Nothing outside those: the standard library and
/// installed packages are not the project.
pub fn find_module(file: &Path, module: &str) -> Option<PathBuf> {
    let dir = file.parent()?.to_path_buf();
    let key = (dir.clone(), module.to_string());
    {
        let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.found.get(&key) {
            return found.clone();
        }
    }
    let found = locate(&dir, module);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.found.len() >= MAX_ENTRIES {
        cache.found.clear();
    }
    cache.found.insert(key, found.clone());
    found
}

fn locate(dir: &Path, module: &str) -> Option<PathBuf> {
    let dots = module.bytes().take_while(|b| *b == b'.').count();
    let rest = &module[dots..];
    let parts: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('.').map(str::trim).collect()
    };
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return None;
    }
    let at = |base: &Path| -> Option<PathBuf> {
        let mut p = base.to_path_buf();
        for part in &parts {
            p.push(part);
        }
        if parts.is_empty() {
            let init = p.join("__init__.py");
            return init.is_file().then_some(init);
        }
        let file = p.with_extension("py");
        if file.is_file() {
            return Some(file);
        }
        let init = p.join("__init__.py");
        init.is_file().then_some(init)
    };
    if dots > 0 {
        let mut base = dir.to_path_buf();
        for _ in 1..dots {
            base = base.parent()?.to_path_buf();
        }
        return at(&base);
    }
    if let Some(f) = at(dir) {
        return Some(f);
    }
    let top = package_root(dir);
    if top != dir
        && let Some(f) = at(&top)
    {
        return Some(f);
    }
    other_roots(dir, &top, &parts, &at)
}

/// Directories climbed from the importing file to look for other roots of the project.
const MAX_ROOT_CLIMB: usize = 6;

/// Files whose text may name the package a directory is installed as (`setup.py`'s
/// `package_dir={"ganeti": "lib"}`, a Makefile copying `lib/` to `.../ganeti`).
const INSTALL_FILES: &[&str] = &[
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "Makefile",
    "Makefile.am",
    "Makefile.in",
    "configure.ac",
    "meson.build",
];

/// Where an absolute import may live besides the file's directory and the directory above its
/// top-level package: climbing from the latter (at most `MAX_ROOT_CLIMB` directories, and not
/// past the first that marks a project's root: `.git`, `setup.py`, `setup.cfg`,
/// `pyproject.toml`, `Makefile.am`, `configure.ac`), each ancestor, its `src/` and its `lib/`
/// that are no package themselves (a test beside a src layout: `tests/test_x.py` importing `pkg.util` from `src/pkg/`); and
/// a package directory installed under another name (ganeti's `lib/`, installed as
/// `ganeti`): the file's own top-level package, or an ancestor's `lib/` or `src/` package,
/// stands for the import's first name when that name is at least two deep (`ganeti.utils`,
/// never a bare `import os`) and a build file of the ancestor holding it names it as a word.
fn other_roots(
    dir: &Path,
    top: &Path,
    parts: &[&str],
    at: &dyn Fn(&Path) -> Option<PathBuf>,
) -> Option<PathBuf> {
    if parts.is_empty() {
        return None;
    }
    // The file's top-level package directory, when the file is in a package.
    let own_package = (top != dir)
        .then(|| {
            dir.ancestors()
                .find(|a| a.parent() == Some(top))
                .map(Path::to_path_buf)
        })
        .flatten();
    // Only directories that are no package can be on `sys.path`: the climb starts at the
    // directory above the file's top-level package.
    let mut a = top.to_path_buf();
    for _ in 0..MAX_ROOT_CLIMB {
        for base in [a.clone(), a.join("src"), a.join("lib")] {
            if base != dir
                && base != top
                && base.is_dir()
                && !base.join("__init__.py").is_file()
                && let Some(f) = at(&base)
            {
                return Some(f);
            }
        }
        if parts.len() >= 2 {
            let mut packages = vec![a.join("lib"), a.join("src")];
            if let Some(p) = own_package.as_ref().filter(|p| p.parent() == Some(&a)) {
                packages.insert(0, p.clone());
            }
            for pkg in packages {
                let renamed = pkg.file_name().is_some_and(|n| n != parts[0]);
                if renamed
                    && pkg.join("__init__.py").is_file()
                    && names_package(&a, parts[0])
                    && let Some(f) = at_parts(&pkg, &parts[1..])
                {
                    return Some(f);
                }
            }
        }
        if is_project_root(&a) {
            break;
        }
        match a.parent() {
            Some(p) => a = p.to_path_buf(),
            None => break,
        }
    }
    None
}

/// `base/a/b.py` or `base/a/b/__init__.py` for `parts` `[a, b]`.
fn at_parts(base: &Path, parts: &[&str]) -> Option<PathBuf> {
    let mut p = base.to_path_buf();
    for part in parts {
        p.push(part);
    }
    let file = p.with_extension("py");
    if file.is_file() {
        return Some(file);
    }
    let init = p.join("__init__.py");
    init.is_file().then_some(init)
}

/// Whether `dir` is the root of a project: nothing above it is looked at.
fn is_project_root(dir: &Path) -> bool {
    [
        ".git",
        "setup.py",
        "setup.cfg",
        "pyproject.toml",
        "Makefile.am",
        "configure.ac",
    ]
    .iter()
    .any(|m| dir.join(m).exists())
}

/// Whether one of `INSTALL_FILES` in `dir` holds `name` as a whole word (each read once per
/// run, at most `MAX_BYTES`).
fn names_package(dir: &Path, name: &str) -> bool {
    let key = (dir.to_path_buf(), name.to_string());
    {
        let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.installs.get(&key) {
            return *v;
        }
    }
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let named = INSTALL_FILES.iter().any(|f| {
        let path = dir.join(f);
        if std::fs::metadata(&path).map_or(true, |m| !m.is_file() || m.len() > MAX_BYTES) {
            return false;
        }
        let Ok(text) = std::fs::read(&path) else {
            return false;
        };
        memchr::memmem::find_iter(&text, name.as_bytes()).any(|at| {
            let end = at + name.len();
            (at == 0 || !is_ident(text[at - 1])) && text.get(end).is_none_or(|c| !is_ident(*c))
        })
    });
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.installs.len() >= MAX_ENTRIES {
        cache.installs.clear();
    }
    cache.installs.insert(key, named);
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_found_as_python_finds_them_inside_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("pkg/sub")).unwrap();
        for f in [
            "pkg/__init__.py",
            "pkg/util.py",
            "pkg/sub/__init__.py",
            "pkg/sub/child.py",
            "pkg/sub/helpers.py",
            "script_util.py",
        ] {
            std::fs::write(root.join(f), "").unwrap();
        }
        let child = root.join("pkg/sub/child.py");
        assert_eq!(
            find_module(&child, ".helpers"),
            Some(root.join("pkg/sub/helpers.py"))
        );
        assert_eq!(
            find_module(&child, "..util"),
            Some(root.join("pkg/util.py"))
        );
        assert_eq!(
            find_module(&child, "pkg.util"),
            Some(root.join("pkg/util.py"))
        );
        assert_eq!(
            find_module(&child, "..sub"),
            Some(root.join("pkg/sub/__init__.py"))
        );
        // A sibling of a script, not of a package module.
        assert_eq!(
            find_module(&root.join("main.py"), "script_util"),
            Some(root.join("script_util.py"))
        );
        // The standard library is not the project.
        assert_eq!(find_module(&child, "os"), None);
        assert_eq!(find_module(&child, "...x"), None);
        assert_eq!(find_module(&child, "pkg..util"), None);
    }

    #[test]
    fn a_package_installed_under_another_name_and_a_src_layout_are_found() {
        let layout = |makefile: Option<&str>| {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            for d in ["lib/utils", "test", "src/tool", "tests"] {
                std::fs::create_dir_all(root.join(d)).unwrap();
            }
            for f in [
                "lib/__init__.py",
                "lib/utils/__init__.py",
                "lib/utils/process.py",
                "lib/utils/wrapper.py",
                "lib/os.py",
                "src/tool/__init__.py",
                "src/tool/fdutil.py",
            ] {
                std::fs::write(root.join(f), "").unwrap();
            }
            if let Some(text) = makefile {
                std::fs::write(root.join("Makefile.am"), text).unwrap();
            }
            dir
        };
        // Nothing names `opsd`: lib/ is not taken for it.
        let unnamed = layout(None);
        let process = unnamed.path().join("lib/utils/process.py");
        assert_eq!(find_module(&process, "opsd.utils.wrapper"), None);
        let dir = layout(Some("pkgpythondir = $(libdir)/opsd\n"));
        let root = dir.path();
        let process = root.join("lib/utils/process.py");
        let test = root.join("test/test_process.py");
        for file in [&process, &test] {
            assert_eq!(
                find_module(file, "opsd.utils.wrapper"),
                Some(root.join("lib/utils/wrapper.py"))
            );
        }
        // A bare top-level name is never the renamed package, nor a word the build file only
        // holds inside another (`opsdx`).
        assert_eq!(find_module(&process, "os"), None);
        assert_eq!(find_module(&process, "opsdx.utils.wrapper"), None);
        // A test beside a src layout.
        assert_eq!(
            find_module(&root.join("tests/test_fd.py"), "tool.fdutil"),
            Some(root.join("src/tool/fdutil.py"))
        );
    }
}
