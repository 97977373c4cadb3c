//! Which files a run lints: walking directories (walkdir), honouring `.gitignore`, and telling
//! Python, Ruby and Rust files apart by extension, name or shebang.
//!
//! walkdir does the walking, as the design asks; `.gitignore` semantics (negation, anchoring,
//! directory-only patterns, nested files) come from the `ignore` crate's matcher, ripgrep's own,
//! rather than a hand-written glob engine. Explicitly named files are linted whatever the
//! ignore files and excludes say, unless `--force-exclude` asks otherwise; one that fdlint
//! cannot lint is reported, never silently skipped.
//!
//! A file with a Python, Ruby or Rust extension or name is one of those, unless (Python and
//! Ruby) its shebang names another interpreter (`upgrade.rb` starting `#!/bin/sh` is a shell
//! script) or the other of the two; any other file whose extension is not a known other kind
//! (C, shell, Markdown, images, ...) is a script if its first line is a Python or Ruby shebang
//! (`tool.cgi`, `bin/serve`). First lines are read from at most 256 bytes, so discovery never
//! reads more than the first line of a file it does not lint.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use walkdir::WalkDir;

use crate::config::Exclude;
use crate::facts::Lang;
use crate::settings::{Settings, listed_bit, listed_bit_of};

/// What discovery asks about exclusion: the run's settings answer per directory (hierarchical
/// configuration); a bare [`Exclude`] (or none) answers for tools that walk a tree alone.
pub trait Filter: Sync {
    /// Whether a path met while walking a directory is left out.
    fn excluded(&self, path: &Path, is_dir: bool) -> bool;
    /// Whether a path named on the command line is left out (`--force-exclude`).
    fn excludes_named(&self, _path: &Path, _is_dir: bool) -> bool {
        false
    }
    /// `excluded` for a directory met while walking, told whether it holds a `pyvenv.cfg`
    /// (`None`: look; the walk knows from the directory's listing, `settings::LISTED`).
    fn excluded_dir(&self, path: &Path, _venv: Option<bool>) -> bool {
        self.excluded(path, true)
    }
    /// The walk has seen every entry of `dir` named in `settings::LISTED` (`DirSettings::listed`).
    fn listed(&self, _dir: &Path, _names: u8) {}
}

impl Filter for Option<&Exclude> {
    fn excluded(&self, path: &Path, is_dir: bool) -> bool {
        self.is_some_and(|x| x.is_excluded(path, is_dir))
    }
}

/// The last component of a path the walk built (`dir.join(name)`), as bytes, found without
/// parsing the path (`walkdir::DirEntry::file_name` parses its components: in the sort of each
/// directory's entries, that was 14% of a walk's CPU).
fn name_bytes(path: &Path) -> &[u8] {
    let b = path.as_os_str().as_encoded_bytes();
    match b
        .iter()
        .rposition(|c| std::path::is_separator(char::from(*c)))
    {
        Some(i) => &b[i + 1..],
        None => b,
    }
}

fn parent_dir(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

impl Filter for Settings {
    fn excluded(&self, path: &Path, is_dir: bool) -> bool {
        self.for_dir_entries(parent_dir(path))
            .exclusion
            .is_excluded(path, is_dir)
    }

    fn excluded_dir(&self, path: &Path, venv: Option<bool>) -> bool {
        self.for_dir_entries(parent_dir(path))
            .exclusion
            .is_excluded_with(path, true, venv)
    }

    fn listed(&self, dir: &Path, names: u8) {
        if let Some(h) = &self.hierarchy {
            h.listed(dir, names);
        }
    }

    fn excludes_named(&self, path: &Path, is_dir: bool) -> bool {
        let s = self.for_dir_entries(parent_dir(path));
        s.force_exclude && s.exclusion.excludes_named_path(path, is_dir)
    }
}

/// A file to lint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    pub lang: Lang,
    /// The language comes from the file's name and its first line has not been read: a
    /// shebang may still name another language, or another interpreter, which makes it no file
    /// to lint (`lang_after_first_line`). The walk leaves this to whoever reads the file next
    /// (the engine's worker reads it anyway: one `open` per file instead of two).
    pub sniff: bool,
}

/// A path that could not be walked or is not lintable, reported without stopping the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkIssue {
    pub path: PathBuf,
    pub kind: IssueKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// Could not be read or walked.
    Io,
    /// Named on the command line, but a FIFO, socket or device, or not a Python, Ruby or Rust
    /// file.
    NotLintable,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<Candidate>,
    pub issues: Vec<WalkIssue>,
    /// Roots that do not exist at all: the run cannot do what was asked (exit 2).
    pub missing_roots: Vec<PathBuf>,
}

/// Directories never entered, whatever the ignore files and excludes say.
const ALWAYS_SKIPPED: &[&str] = &[".git", ".hg", ".svn", "node_modules", "__pycache__"];

/// Extensions of files that are something else than a Python or Ruby script even when they
/// start with a shebang (other languages, data, documents, binaries, backups and templates):
/// never opened by discovery. Compared in lower case.
#[rustfmt::skip]
const OTHER_EXTENSIONS: &[&str] = &[
    "7z", "a", "ac", "adoc", "am", "arff", "asm", "avi", "awk", "bak", "bash", "bat", "bin", "bmp",
    "bz2", "c", "cc", "cfg", "cjs", "class", "clj", "cljs", "cmake", "cmd", "conf", "cpp", "cr",
    "crt", "cs", "csh", "css", "csv", "cxx", "d", "dart", "dat", "db", "dbf", "der", "diff", "dll",
    "doctree", "dot", "dylib", "egg", "el", "eot", "erb", "erl", "ex", "example", "exe", "exs", "f",
    "f90", "feature", "fish", "fs", "geojson", "gif", "go", "gradle", "gz", "h", "haml", "hbs",
    "hcl", "hh", "hpp", "hrl", "hs", "htm", "html", "hxx", "ico", "in", "ini", "ipynb", "j2", "jar",
    "java", "jinja", "jinja2", "jl", "jpeg", "jpg", "js", "json", "jsonl", "jsx", "key", "ksh",
    "kt", "kts", "less", "lib", "liquid", "list", "lock", "log", "lua", "lzma", "m", "m4",
    "markdown", "mat", "md", "mjs", "mk", "ml", "mli", "mm", "mo", "mov", "mp3", "mp4", "mustache",
    "nim", "nix", "npy", "npz", "o", "obj", "ogg", "old", "org", "orig", "otf", "parquet", "patch",
    "pdf", "pem", "php", "pkl", "pl", "plist", "pm", "png", "po", "pot", "properties", "proto",
    "ps1", "psd1", "psm1", "pub", "pxd", "pxi", "pyc", "pyd", "pyi", "pyo", "pyx", "r", "rar",
    "rbi", "rbs", "rdoc", "rej", "rhtml", "ronn", "rst", "s", "sample", "sass", "sav", "scala",
    "scss", "sed", "service", "sh", "shp", "shx", "slim", "so", "sql", "sqlite", "stderr", "stdout",
    "svg", "swift", "swo", "swp", "t", "tar", "tcl", "template", "tex", "tf", "tgz", "thrift",
    "tiff", "tmp", "tmpl", "toml", "tpl", "ts", "tsv", "tsx", "tt", "ttf", "txt", "typed", "vb",
    "vim", "wasm", "wav", "webp", "whl", "woff", "woff2", "xml", "xz", "yaml", "yml", "zig", "zip",
    "zsh", "zst"
];

/// Language by file name alone.
pub fn lang_by_name(path: &Path) -> Option<Lang> {
    // As bytes: `bad\xff.py` is a Python file whatever the bytes before its extension.
    let name = path.file_name()?.as_encoded_bytes();
    if let b"Rakefile" | b"Gemfile" | b"Guardfile" | b"Capfile" | b"Vagrantfile" | b"Podfile" = name
    {
        return Some(Lang::Ruby);
    }
    // What `Path::extension` is: after the last dot, unless that dot starts the name.
    let dot = name.iter().rposition(|c| *c == b'.').filter(|i| *i > 0)?;
    match &name[dot + 1..] {
        b"py" | b"pyw" => Some(Lang::Python),
        b"rb" | b"rake" | b"gemspec" | b"ru" => Some(Lang::Ruby),
        b"rs" => Some(Lang::Rust),
        _ => None,
    }
}

/// Language from a `#!` line: the interpreter it runs (`python`, `python2.7`, `python3.11`,
/// `pypy3`, `jython`, `ruby`, `ruby2.7`, `jruby`), directly or through `env` (`env python3 -u`,
/// `env -S ruby -w`, `env -S uv run --script`). Only the program decides: a word later on the
/// line (`#!/bin/sh python`) does not.
pub fn lang_by_shebang(first_line: &[u8]) -> Option<Lang> {
    match shebang(first_line)? {
        Shebang::Lang(l) => Some(l),
        Shebang::Foreign(_) | Shebang::Other => None,
    }
}

/// What a `#!` line runs.
enum Shebang<'a> {
    /// Python or Ruby.
    Lang(Lang),
    /// A known interpreter of another language (`sh`, `bash`, `perl`, `node`): the program.
    Foreign(&'a str),
    /// Something else (`bundle`, a wrapper of the project's own).
    Other,
}

/// The program a `#!` line runs, read as `lang_by_shebang` says; `None` without a shebang.
fn shebang(first_line: &[u8]) -> Option<Shebang<'_>> {
    let line = std::str::from_utf8(first_line.strip_prefix(b"#!")?).ok()?;
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else {
        return Some(Shebang::Other);
    };
    let mut program = basename(first);
    if program == "env" {
        // env's own options and NAME=value assignments come before the program.
        program = loop {
            let Some(w) = words.next() else {
                return Some(Shebang::Other);
            };
            match w {
                "-S"
                | "--split-string"
                | "-i"
                | "--ignore-environment"
                | "-"
                | "-v"
                | "--debug" => {}
                "-u" | "--unset" | "-C" | "--chdir" => {
                    if words.next().is_none() {
                        return Some(Shebang::Other);
                    }
                }
                _ if w.starts_with("-S") => break basename(&w[2..]),
                _ if w.starts_with('-') || w.contains('=') => {}
                _ => break basename(w),
            }
        };
    }
    if program == "uv" && words.next() == Some("run") {
        return Some(Shebang::Lang(Lang::Python));
    }
    Some(match interpreter_lang(program) {
        Some(l) => Shebang::Lang(l),
        None if foreign_interpreter(program) => Shebang::Foreign(program),
        None => Shebang::Other,
    })
}

/// Interpreters of languages fdlint does not lint, with or without a version (`bash5`,
/// `perl5.36`, `node18`): a script run by one of these is not Python or Ruby, whatever its
/// name. Wrappers that run a Python or Ruby program (`bundle`, `nix-shell`, `rake`) are not
/// here.
fn foreign_interpreter(program: &str) -> bool {
    const SHELLS_AND_OTHERS: &[&str] = &[
        "sh",
        "bash",
        "dash",
        "zsh",
        "ksh",
        "mksh",
        "pdksh",
        "ash",
        "csh",
        "tcsh",
        "fish",
        "busybox",
        "perl",
        "node",
        "nodejs",
        "deno",
        "bun",
        "php",
        "lua",
        "luajit",
        "tclsh",
        "wish",
        "expect",
        "awk",
        "gawk",
        "mawk",
        "nawk",
        "sed",
        "make",
        "gmake",
        "Rscript",
        "pwsh",
        "osascript",
        "julia",
        "elixir",
        "escript",
        "guile",
        "racket",
        "ocaml",
        "groovy",
    ];
    let stem = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    SHELLS_AND_OTHERS.contains(&stem)
}

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// `python`, `python3`, `python3.12`, `python2.7-dbg`, `pythonw`, `pypy3.10`, `jython`;
/// `ruby`, `ruby2.7`, `jruby`, `truffleruby`.
fn interpreter_lang(program: &str) -> Option<Lang> {
    let versioned = |stem: &str| {
        program.strip_prefix(stem).is_some_and(|rest| {
            let rest = rest.strip_prefix('w').unwrap_or(rest);
            // Debian's debug builds (`python3.12-dbg`); not `python3-config`.
            let version = rest.strip_suffix("-dbg").unwrap_or(rest);
            version.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
    };
    if ["python", "pypy", "jython"].into_iter().any(versioned) {
        return Some(Lang::Python);
    }
    if ["ruby", "jruby", "truffleruby"].into_iter().any(versioned) {
        return Some(Lang::Ruby);
    }
    None
}

/// The language of a file without an extension we know, read from its first line.
fn sniff(path: &Path) -> Option<Lang> {
    first_line(path, lang_by_shebang)?
}

/// `f` of the file's first line (at most 256 bytes read, `\r` left out); `None` when the file
/// cannot be read.
fn first_line<T>(path: &Path, f: impl FnOnce(&[u8]) -> T) -> Option<T> {
    let mut file = fs::File::open(path).ok()?;
    let mut buf = [0u8; 256];
    let n = file.read(&mut buf).ok()?;
    Some(f(first_line_of(&buf[..n])))
}

/// The first line of a file's bytes, as `first_line` reads it: within the first 256 bytes, up
/// to the first `\n`, `\r` left out.
fn first_line_of(bytes: &[u8]) -> &[u8] {
    let head = &bytes[..bytes.len().min(256)];
    let first = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    first.strip_suffix(b"\r").unwrap_or(first)
}

/// The language of a file that is `name` by its name, given its bytes: what `lang_of_named`
/// says, from bytes already read (a `Candidate` with `sniff` set).
pub fn lang_after_first_line(bytes: &[u8], name: Lang) -> Result<Lang, String> {
    if name == Lang::Rust {
        return Ok(name);
    }
    by_shebang_line(first_line_of(bytes), name)
}

fn by_shebang_line(line: &[u8], name: Lang) -> Result<Lang, String> {
    match shebang(line) {
        Some(Shebang::Lang(l)) => Ok(l),
        Some(Shebang::Foreign(p)) => Err(p.to_string()),
        _ => Ok(name),
    }
}

/// The language of a file that is `name` by extension or name, after its shebang had its
/// say: the language the shebang names (`tool.rb` starting `#!/usr/bin/env python3` is
/// Python), or `Err(program)` when another interpreter runs it (`upgrade.rb` starting
/// `#!/bin/sh`: linting a shell script as Ruby reports shell words as Ruby calls). A Rust
/// file's `#!` is an inner attribute (`#![allow(..)]`) or a `cargo`/`rust-script` line: it
/// stays Rust, unread.
fn lang_of_named(path: &Path, name: Lang) -> Result<Lang, String> {
    if name == Lang::Rust {
        return Ok(name);
    }
    match first_line(path, |l| by_shebang_line(l, name)) {
        Some(r) => r,
        // Unreadable: the lint reports it.
        None => Ok(name),
    }
}

/// Whether a file that is not Python, Ruby or Rust by name may be a script: its extension (if
/// any) is not a known other kind of file.
fn may_be_script(path: &Path) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        None => true,
        Some(ext) => !OTHER_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()),
    }
}

/// The language of a file on disk: by name or extension, unless its shebang names another
/// language (a Python or Ruby interpreter decides; `#!/bin/sh` makes it no file to lint),
/// else (for a file whose extension is not another kind's) by its shebang.
pub fn lang_of(path: &Path) -> Option<Lang> {
    let (lang, sniff) = walk_lang(path)?;
    settle(Candidate {
        path: path.to_path_buf(),
        lang,
        sniff,
    })
    .map(|c| c.lang)
}

/// The language a walk gives a file, and whether its first line is still to be read
/// (`Candidate::sniff`): a file named as Python or Ruby is handed on unread, its reader checks
/// the shebang; any other file whose extension may be a script's is read here for one.
fn walk_lang(path: &Path) -> Option<(Lang, bool)> {
    match lang_by_name(path) {
        Some(lang) => Some((lang, lang != Lang::Rust)),
        None => may_be_script(path)
            .then(|| sniff(path))
            .flatten()
            .map(|lang| (lang, false)),
    }
}

/// A cargo build directory: `target/` holding `CACHEDIR.TAG` or `.rustc_info.json`.
fn is_cargo_target(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "target")
        && (dir.join("CACHEDIR.TAG").exists() || dir.join(".rustc_info.json").exists())
}

/// Gitignore matchers from the repository root down to `dir`'s parent (the ones that apply to
/// a walk rooted at `dir`).
fn ancestor_ignores(dir: &Path) -> Vec<(PathBuf, Gitignore)> {
    let Ok(abs) = fs::canonicalize(dir) else {
        return Vec::new();
    };
    let mut chain = Vec::new();
    let mut cur = abs.parent();
    while let Some(d) = cur {
        chain.push(d.to_path_buf());
        if d.join(".git").exists() {
            break;
        }
        cur = d.parent();
    }
    // Only inside a git work tree do parent .gitignore files apply.
    if !chain.last().is_some_and(|d| d.join(".git").exists()) {
        return Vec::new();
    }
    chain.reverse();
    chain
        .into_iter()
        .filter_map(|d| load_ignore(&d).map(|g| (d, g)))
        .collect()
}

fn load_ignore(dir: &Path) -> Option<Gitignore> {
    load_ignore_listed(dir, None)
}

/// `load_ignore`, from the walk's listing of `dir` when there is one (`settings::LISTED`): a file it did
/// not see is not looked for.
fn load_ignore_listed(dir: &Path, names: Option<u8>) -> Option<Gitignore> {
    let mut files = Vec::new();
    let gi = dir.join(".gitignore");
    if names.map_or_else(|| gi.is_file(), |n| n & listed_bit(".gitignore") != 0) {
        files.push(gi);
    }
    let exclude = dir.join(".git/info/exclude");
    if names.is_none_or(|n| n & listed_bit(".git") != 0) && exclude.is_file() {
        files.push(exclude);
    }
    if files.is_empty() {
        return None;
    }
    let mut b = GitignoreBuilder::new(dir);
    for f in files {
        // A malformed line is skipped by the builder; the rest of the file still applies.
        let _ = b.add(f);
    }
    b.build().ok().filter(|g| !g.is_empty())
}

fn ignored(stack: &[(PathBuf, Gitignore)], path: &Path, is_dir: bool) -> bool {
    // Deeper files override shallower ones; within a file the last match wins.
    for (_, g) in stack.iter().rev() {
        let m = g.matched(path, is_dir);
        if m.is_ignore() {
            return true;
        }
        if m.is_whitelist() {
            return false;
        }
    }
    false
}

/// Find the files to lint under `roots`. `exclude` prunes what directory walks find; files
/// named in `roots` are always linted.
pub fn discover(roots: &[PathBuf], no_ignore: bool, exclude: Option<&Exclude>) -> Discovered {
    let mut files = Vec::new();
    let mut out = discover_each(roots, no_ignore, &exclude, |c| files.extend(settle(c)));
    files.sort();
    files.dedup();
    out.files = files;
    out
}

/// A candidate with its language settled: a `sniff` candidate's first line read (with its own
/// `open`, for callers that do not read the file anyway); `None` when another interpreter runs
/// it.
pub fn settle(mut c: Candidate) -> Option<Candidate> {
    if c.sniff {
        c.lang = lang_of_named(&c.path, c.lang).ok()?;
        c.sniff = false;
    }
    Some(c)
}

/// Like [`discover`], but with any [`Filter`] (the run's [`Settings`]: exclusion per
/// directory, `--force-exclude`), handing each file to `emit` as soon as it is found (in walk
/// order, and a file reached through two roots twice), so that linting can start while the walk
/// goes on. The returned `files` is empty. A Python or Ruby file comes with `sniff` set: its
/// shebang is the reader's to check (see [`settle`]).
pub fn discover_each(
    roots: &[PathBuf],
    no_ignore: bool,
    filter: &dyn Filter,
    mut emit: impl FnMut(Candidate),
) -> Discovered {
    let mut out = Discovered::default();
    for root in roots {
        // A root that is a symlink to a directory is walked (walkdir follows roots); links
        // inside it are not.
        match fs::symlink_metadata(root) {
            Ok(_) => {}
            Err(e) => {
                if e.kind() == std::io::ErrorKind::NotFound {
                    out.missing_roots.push(root.clone());
                } else {
                    out.issues.push(WalkIssue {
                        path: root.clone(),
                        kind: IssueKind::Io,
                        message: e.to_string(),
                    });
                }
                continue;
            }
        };
        let is_dir = root.is_dir();
        if filter.excludes_named(root, is_dir) {
            continue;
        }
        if !is_dir {
            explicit_file(root, &mut out, &mut emit);
            continue;
        }
        walk_dir(root, no_ignore, filter, &mut out, &mut emit);
    }
    out
}

/// A file named on the command line: linted whatever the ignore files say, if we know its
/// language, else reported; FIFOs and devices are never opened.
fn explicit_file(path: &Path, out: &mut Discovered, emit: &mut impl FnMut(Candidate)) {
    let issue = |kind, message: String| WalkIssue {
        path: path.to_path_buf(),
        kind,
        message,
    };
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            out.issues.push(issue(IssueKind::Io, e.to_string()));
            return;
        }
    };
    if !meta.is_file() {
        out.issues.push(issue(
            IssueKind::NotLintable,
            "not a regular file (FIFO, socket or device); not read".to_string(),
        ));
        return;
    }
    // A named file is sniffed whatever its extension: the user says it is worth a look.
    let lang = match lang_by_name(path).map(|name| lang_of_named(path, name)) {
        Some(Ok(lang)) => Some(lang),
        Some(Err(program)) => {
            out.issues.push(issue(
                IssueKind::NotLintable,
                format!(
                    "not linted: its first line runs it with `{program}`, so it is not a \
                     Python or Ruby file whatever its name"
                ),
            ));
            return;
        }
        None => sniff(path),
    };
    match lang {
        Some(lang) => emit(Candidate {
            path: path.to_path_buf(),
            lang,
            sniff: false,
        }),
        None => out.issues.push(issue(
            IssueKind::NotLintable,
            "not linted: not a Python, Ruby or Rust file (no .py, .rb or .rs extension, and no \
             python or ruby shebang on its first line)"
                .to_string(),
        )),
    }
}

/// What the walk has seen of the directory whose entries it is meeting, while it meets the
/// names in `settings::LISTED` (sorted first): which are there, and those entries, judged once all are
/// known (`walk_dir`).
struct Listing {
    dir: PathBuf,
    /// The directory's depth in the walk.
    depth: usize,
    /// Bit `i`: `settings::LISTED[i]` is there (`.git` as a directory, the others as regular files).
    names: u8,
    /// False when one of them is a symbolic link (or another kind of file), which only the file
    /// system can say what it points to: lookups in this directory ask it, as without a listing.
    exact: bool,
    /// The entries with those names, not yet judged.
    pending: Vec<walkdir::DirEntry>,
}

/// A directory's ignore files.
type Ignores = (PathBuf, Gitignore);

/// The ignore files that apply where the walk is, each with its directory.
type IgnoreStack = Vec<Ignores>;

/// What becomes of a directory once its listed names are known.
enum Listed {
    /// A virtualenv (`pyvenv.cfg`) the exclusion settings leave out: skip the rest of it.
    Excluded,
    Walked,
}

fn walk_dir(
    root: &Path,
    no_ignore: bool,
    filter: &dyn Filter,
    out: &mut Discovered,
    emit: &mut impl FnMut(Candidate),
) {
    let mut stack: Vec<(PathBuf, Gitignore)> = if no_ignore {
        Vec::new()
    } else {
        ancestor_ignores(root)
    };
    let base_len = stack.len();
    // Directories whose .gitignore is on the stack, by depth, so it can be popped on leaving.
    let mut pushed_at: Vec<usize> = Vec::new();
    // Within a directory, the names of `settings::LISTED` first, then the rest by name.
    let mut it = WalkDir::new(root)
        .follow_links(false)
        .sort_by(|a, b| {
            fn key(e: &walkdir::DirEntry) -> (bool, &[u8]) {
                let name = name_bytes(e.path());
                (listed_bit_of(name) == 0, name)
            }
            key(a).cmp(&key(b))
        })
        .into_iter();
    let mut listing: Option<Listing> = None;
    // A virtualenv left out after its first entries were met: the rest of it is skipped.
    let mut skipping: Option<PathBuf> = None;
    let mut file = |path: &Path, stack: &[(PathBuf, Gitignore)]| {
        if (!no_ignore && ignored(stack, path, false)) || filter.excluded(path, false) {
            return;
        }
        if let Some((lang, sniff)) = walk_lang(path) {
            emit(Candidate {
                path: path.to_path_buf(),
                lang,
                sniff,
            });
        }
    };
    // The listed names of `l.dir` are all known: tell the settings, judge the virtualenv,
    // read the ignore files, then the entries that waited. `keep`: leave the directory's
    // ignore files on the stack for the entries that follow (false once the walk has left it).
    let settle = |l: Listing,
                  stack: &mut IgnoreStack,
                  pushed_at: &mut Vec<usize>,
                  file: &mut dyn FnMut(&Path, &[Ignores]),
                  keep: bool| {
        if l.exact {
            filter.listed(&l.dir, l.names);
        }
        let venv = l.exact.then_some(l.names & listed_bit("pyvenv.cfg") != 0);
        if l.depth > 0 && venv != Some(false) && filter.excluded_dir(&l.dir, venv) {
            return Listed::Excluded;
        }
        let pushed = !no_ignore
            && match load_ignore_listed(&l.dir, l.exact.then_some(l.names)) {
                Some(g) => {
                    stack.push((l.dir.clone(), g));
                    pushed_at.push(l.depth);
                    true
                }
                None => false,
            };
        for e in &l.pending {
            file(e.path(), stack);
        }
        if pushed && !keep {
            pushed_at.pop();
            stack.pop();
        }
        Listed::Walked
    };
    // The directories whose listed names are known, by depth (the walk is depth first).
    let mut settled: Vec<PathBuf> = Vec::new();
    loop {
        let entry = match it.next() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                out.issues.push(WalkIssue {
                    path: e.path().map(Path::to_path_buf).unwrap_or_default(),
                    kind: IssueKind::Io,
                    message: e
                        .io_error()
                        .map_or_else(|| e.to_string(), ToString::to_string),
                });
                continue;
            }
        };
        let depth = entry.depth();
        while pushed_at.last().is_some_and(|d| *d >= depth) {
            pushed_at.pop();
            stack.pop();
        }
        debug_assert!(stack.len() >= base_len);
        let ft = entry.file_type();
        if depth > 0 {
            let parent = parent_dir(entry.path());
            if skipping.as_deref() == Some(parent) {
                if ft.is_dir() {
                    it.skip_current_dir();
                }
                continue;
            }
            skipping = None;
            // As bytes: both come from this walk's paths, spelled alike (`Path`'s `==`
            // compares parsed components).
            let is_settled = settled
                .get(depth - 1)
                .is_some_and(|d| d.as_os_str() == parent.as_os_str());
            if !is_settled {
                if listing
                    .as_ref()
                    .is_some_and(|l| l.dir.as_os_str() != parent.as_os_str())
                {
                    // The walk left a directory that held nothing but listed names.
                    let l = listing.take().expect("checked");
                    settle(l, &mut stack, &mut pushed_at, &mut file, false);
                }
                let l = listing.get_or_insert_with(|| Listing {
                    dir: parent.to_path_buf(),
                    depth: depth - 1,
                    names: 0,
                    exact: true,
                    pending: Vec::new(),
                });
                let bit = listed_bit_of(name_bytes(entry.path()));
                if bit != 0 {
                    if ft.is_file() && bit != listed_bit(".git") {
                        l.names |= bit;
                        l.pending.push(entry);
                        continue;
                    }
                    if ft.is_dir() && bit == listed_bit(".git") {
                        l.names |= bit;
                    } else if ft.is_symlink() {
                        l.exact = false;
                    }
                    // Judged now, as any entry: `.git` is skipped, a link is not followed.
                } else {
                    let l = listing.take().expect("just set");
                    let dir = l.dir.clone();
                    settled.truncate(depth - 1);
                    settled.push(dir.clone());
                    if let Listed::Excluded = settle(l, &mut stack, &mut pushed_at, &mut file, true)
                    {
                        if ft.is_dir() {
                            it.skip_current_dir();
                        }
                        skipping = Some(dir);
                        continue;
                    }
                }
            }
        }
        let path = entry.path();
        if ft.is_dir() {
            if depth > 0 {
                let name = entry.file_name().to_string_lossy();
                // A `pyvenv.cfg` in it is judged once its listing is known (`settle`).
                if ALWAYS_SKIPPED.contains(&name.as_ref())
                    || is_cargo_target(path)
                    || (!no_ignore && ignored(&stack, path, true))
                    || filter.excluded_dir(path, Some(false))
                {
                    it.skip_current_dir();
                }
            }
            // Its ignore files are read once its listing is known.
            continue;
        }
        if !ft.is_file() {
            // Symlinks are not followed; FIFOs, sockets and devices are never opened.
            continue;
        }
        file(path, &stack);
    }
    if let Some(l) = listing.take() {
        settle(l, &mut stack, &mut pushed_at, &mut file, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lang_by_name` reads the extension from bytes as `Path::extension` would, and
    /// `name_bytes` is `Path::file_name` for the paths a walk builds.
    #[test]
    fn names_read_as_bytes_agree_with_path() {
        for name in [
            "a.py",
            ".py",
            "..py",
            "a.b.py",
            "py",
            "a.",
            "a.pyw",
            "x.tar.rb",
            "Gemfile",
            "Gemfile.rb",
            ".Gemfile",
            "a.RS",
            "a.rs.bak",
            "\u{e9}t\u{e9}.py",
        ] {
            let path = Path::new("dir/sub").join(name);
            let want = match path.file_name().and_then(|n| n.to_str()) {
                Some(
                    "Rakefile" | "Gemfile" | "Guardfile" | "Capfile" | "Vagrantfile" | "Podfile",
                ) => Some(Lang::Ruby),
                _ => match path.extension().and_then(|e| e.to_str()) {
                    Some("py" | "pyw") => Some(Lang::Python),
                    Some("rb" | "rake" | "gemspec" | "ru") => Some(Lang::Ruby),
                    Some("rs") => Some(Lang::Rust),
                    _ => None,
                },
            };
            assert_eq!(lang_by_name(&path), want, "{name}");
            if let Some(n) = path.file_name() {
                assert_eq!(name_bytes(&path), n.as_encoded_bytes(), "{name}");
            }
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let bad = Path::new(std::ffi::OsStr::from_bytes(b"dir/bad\xff.py"));
            assert_eq!(lang_by_name(bad), Some(Lang::Python));
            assert_eq!(name_bytes(bad), b"bad\xff.py");
        }
    }

    #[test]
    fn languages() {
        assert_eq!(lang_by_name(Path::new("a/b.py")), Some(Lang::Python));
        assert_eq!(lang_by_name(Path::new("Rakefile")), Some(Lang::Ruby));
        assert_eq!(lang_by_name(Path::new("x.gemspec")), Some(Lang::Ruby));
        assert_eq!(lang_by_name(Path::new("lib.rs")), Some(Lang::Rust));
        assert_eq!(lang_by_name(Path::new("x.txt")), None);
        assert_eq!(
            lang_by_shebang(b"#!/usr/bin/env python2"),
            Some(Lang::Python)
        );
        assert_eq!(
            lang_by_shebang(b"#!/usr/bin/python3.11 -u"),
            Some(Lang::Python)
        );
        assert_eq!(lang_by_shebang(b"#! /usr/bin/env ruby"), Some(Lang::Ruby));
        assert_eq!(lang_by_shebang(b"#!/bin/sh"), None);
    }

    #[test]
    fn shebang_interpreters() {
        let py = Some(Lang::Python);
        let rb = Some(Lang::Ruby);
        for line in [
            "#!/usr/bin/python2.7",
            "#!/usr/bin/env python3 -u",
            "#!/usr/bin/env pypy",
            "#!/opt/pypy3/bin/pypy3",
            "#!/usr/bin/env jython",
            "#!/usr/bin/env -S python3 -X dev",
            "#!/usr/bin/env -i PYTHONPATH=. python",
            "#!/usr/bin/python3.12-dbg",
            "#!/usr/bin/env -S uv run --script",
        ] {
            assert_eq!(lang_by_shebang(line.as_bytes()), py, "{line}");
        }
        for line in [
            "#!/usr/bin/ruby2.7",
            "#!/usr/bin/env -S ruby -w",
            "#!/usr/bin/env jruby",
            "#!/usr/local/bin/truffleruby",
        ] {
            assert_eq!(lang_by_shebang(line.as_bytes()), rb, "{line}");
        }
        for line in [
            "#!/bin/sh python",
            "#!/usr/bin/env bash",
            "#!/usr/bin/env python-config",
            "#!/usr/bin/env rubocop",
            "#!/usr/bin/env node",
            "# python",
        ] {
            assert_eq!(lang_by_shebang(line.as_bytes()), None, "{line}");
        }
    }

    #[test]
    fn scripts_by_shebang_whatever_their_extension() {
        let d = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = d.path().join(name);
            fs::write(&p, text).unwrap();
            p
        };
        let py = "#!/usr/bin/env python2.7\nimport os\n";
        assert_eq!(lang_of(&write("tool.cgi", py)), Some(Lang::Python));
        assert_eq!(lang_of(&write("app.fcgi", py)), Some(Lang::Python));
        assert_eq!(lang_of(&write("serve", py)), Some(Lang::Python));
        assert_eq!(
            lang_of(&write("task.rb2", "#!/usr/bin/ruby2.7\r\nputs 1\n")),
            Some(Lang::Ruby)
        );
        // Another kind of file is never a script, whatever its first line says.
        assert_eq!(lang_of(&write("run.sh", py)), None);
        assert_eq!(lang_of(&write("notes.TXT", py)), None);
        assert_eq!(lang_of(&write("tool.py.bak", py)), None);
        assert_eq!(lang_of(&write("data.cgi", "no shebang\n")), None);
    }

    #[test]
    fn a_named_file_run_by_another_interpreter_is_not_linted() {
        let d = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = d.path().join(name);
            fs::write(&p, text).unwrap();
            p
        };
        // A shell script with a `.rb` name (a test fixture that re-executes a server).
        let sh = "#!/bin/sh\nexec bundle exec einhorn \"$@\"\n";
        for (name, text) in [
            ("upgrade_reexec.rb", sh),
            ("setup.py", "#!/bin/bash\nset -e\n"),
            ("run.py", "#!/usr/bin/env bash\r\nexec python3 -m app\n"),
            ("gen.rb", "#!/usr/bin/perl -w\nprint 1;\n"),
            ("tool.py", "#!/usr/bin/env -S node --no-warnings\n"),
            ("Rakefile", "#!/bin/zsh\n"),
            ("x.rb", "#!/usr/local/bin/bash5\n"),
        ] {
            let p = write(name, text);
            assert_eq!(lang_of(&p), None, "{name}");
            assert!(
                lang_of_named(&p, lang_by_name(&p).unwrap()).is_err(),
                "{name}"
            );
        }
        // The shebang names the language: it decides, whatever the extension.
        assert_eq!(
            lang_of(&write("tool.rb", "#!/usr/bin/env python3\nimport os\n")),
            Some(Lang::Python)
        );
        // Look-alikes that stay what their name says: no shebang, Ruby's or Python's own, a
        // wrapper that runs Ruby or Python, a bare `#!`, a Rust inner attribute, a shell
        // shebang further down.
        for (name, text, lang) in [
            ("a.rb", "# frozen_string_literal: true\n", Lang::Ruby),
            ("a.rb", "#!/usr/bin/env ruby -w\n", Lang::Ruby),
            ("config.ru", "#!/usr/bin/env rackup -s thin\n", Lang::Ruby),
            ("bin.rb", "#!/usr/bin/env bundle exec ruby\n", Lang::Ruby),
            (
                "shell.py",
                "#!/usr/bin/env nix-shell\n#!nix-shell -i python3\n",
                Lang::Python,
            ),
            ("t.py", "#!/usr/bin/env\n", Lang::Python),
            ("t.py", "#!<<PYTHON>>\n", Lang::Python),
            ("t.py", "\"\"\"Doc.\n#!/bin/sh\n\"\"\"\n", Lang::Python),
            ("lib.rs", "#![allow(dead_code)]\n", Lang::Rust),
            ("script.rs", "#!/bin/sh\n", Lang::Rust),
            ("empty.py", "", Lang::Python),
        ] {
            assert_eq!(lang_of(&write(name, text)), Some(lang), "{name}: {text}");
        }
    }
}
