//! Behavioural proof of every fix template: fdlint's own snippets (never scanned code), before
//! and after fdlint fixes them, run under real runtimes in a child process with a high fd limit
//! and a known set of fds opened above 3 by a `bash` wrapper (with gaps: 5, 7, 8, 12, 300; some
//! marked close-on-exec by the snippet itself). Each run prints the fds it has open at the end
//! (from `/proc/self/fd`) and the time the swept part took; the test compares the two versions.
//!
//! - Rust FD001 (`for fd in lo..hi { libc::close(fd) }` -> `close_range(2)`): both versions
//!   leave exactly the same fds open, and the fixed one is faster.
//! - Ruby FD003 (`close_others: true`): the parent's fds are the same after both; the fixed
//!   child has exactly what the original child has minus the inherited fds, and keeps the fd
//!   the call passes explicitly (`9 => io`). (It closes fds on purpose, so "the same fds" is not
//!   its contract; its time is reported, not compared: it is one spawn either way.)
//!
//! - Python FD001 (a `for`/`while` sweep with `try: os.close(fd) / except OSError: pass`):
//!   the safe fix (`os.closerange`) and the unsafe alternative (the helper that closes only the
//!   fds `/proc/self/fd` lists) each leave exactly the fds the loop leaves, and are faster,
//!   under pyenv's CPython 2.7, 3.8 and 3.12 and Debian's PyPy 3.
//! - Python FD002 (`range()` -> `xrange()` in a comprehension, Python 2.7): the same fds are
//!   seen (times reported, not compared: the list it saves is small at a test's fd limit).
//!
//! - Ruby FD001 (`3.upto(max) { |fd| IO.for_fd(fd).close rescue nil }` -> the same block over
//!   the fds `/proc/self/fd` lists): both leave exactly the same fds open, the fixed one faster.
//!
//! A missing runtime (cargo, ruby, a Python) skips its part with a SKIPPED line, unless
//! `FDLINT_REQUIRE_TOOLS=1`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use fdlint::facts::Lang;
use fdlint::settings::Settings;

use crate::tools;

/// The fd limit the snippets run under, when the hard limit allows it.
const WANTED_NOFILE: u64 = 65_536;

/// The fds the wrapper opens (without close-on-exec) before running a snippet.
const KNOWN: &[u32] = &[5, 7, 8, 12, 300];

/// Everything fdlint fixes in `text` (unsafe fixes included), checked to have changed it.
fn fixed(name: &str, lang: Lang, text: &str) -> String {
    let settings = Settings::default();
    let path = Path::new(name);
    let first = fdlint::engine::lint_text(path, lang, text, &settings).findings;
    let f = fdlint::fix::fix_text(path, lang, text, &first, &settings, true);
    assert!(f.applied > 0, "fdlint found nothing to fix in {name}");
    assert!(f.converged && f.dropped.is_empty());
    f.text
}

/// The soft limit the wrapper sets: `WANTED_NOFILE`, or the hard limit when it is lower (an
/// unprivileged sandbox cannot raise it; the run says so).
fn nofile() -> u64 {
    let out = Command::new("bash")
        .args(["-c", "ulimit -Hn"])
        .output()
        .expect("bash runs");
    let hard = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let hard: u64 = if hard == "unlimited" {
        u64::MAX
    } else {
        hard.parse().expect("ulimit -Hn prints a number")
    };
    if hard < WANTED_NOFILE {
        eprintln!(
            "NOTE: fix_proof: the hard fd limit is {hard} (< {WANTED_NOFILE}) and cannot be \
             raised here; the snippets run with RLIMIT_NOFILE = {hard}"
        );
    }
    hard.min(WANTED_NOFILE)
}

/// Run `program args...` under the wrapper: the soft fd limit raised, the known fds open.
fn wrapped(program: &Path, args: &[&str]) -> (String, u64) {
    let n = nofile();
    let opens: String = KNOWN.iter().map(|fd| format!(" {fd}</dev/null")).collect();
    let script = format!("ulimit -n {n} && exec{opens} && exec \"$@\"");
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("wrapper")
        .arg(program)
        .args(args)
        .output()
        .expect("the wrapper runs");
    assert!(
        out.status.success(),
        "{} failed: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8(out.stdout).unwrap(), n)
}

/// The value of `key: ...` in a snippet's output.
fn field<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no `{key}:` in\n{out}"))
}

fn fd_set(s: &str) -> BTreeSet<u32> {
    s.split_whitespace().map(|x| x.parse().unwrap()).collect()
}

// ---------------------------------------------------------------------------------------------
// Rust: FD001's close_range(2) template.

const RUST_SNIPPET: &str = r#"fn open_fds() -> String {
    let mut fds: Vec<u32> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().parse().unwrap())
        .collect();
    fds.sort();
    fds.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(" ")
}

fn sweep() {
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } as i32;
    for fd in 3..max {
        unsafe { libc::close(fd) };
    }
}

fn main() {
    // Some of the inherited fds close-on-exec, some not: the sweep closes both kinds.
    unsafe { libc::fcntl(7, libc::F_SETFD, libc::FD_CLOEXEC) };
    println!("before: {}", open_fds());
    let t = std::time::Instant::now();
    sweep();
    println!("ns: {}", t.elapsed().as_nanos());
    println!("after: {}", open_fds());
}
"#;

/// Builds the two versions as binaries of one throwaway cargo project (offline: `libc` comes
/// from the local registry, as fdlint's own build left it).
fn build_rust(original: &str, fixed: &str) -> Option<(PathBuf, PathBuf, tempfile::TempDir)> {
    let cargo = tools::find("cargo", "FDLINT_CARGO")?;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src/bin")).unwrap();
    let libc_version =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
            .unwrap()
            .split("name = \"libc\"\nversion = \"")
            .nth(1)
            .and_then(|s| s.split('"').next().map(str::to_string))
            .expect("Cargo.lock pins libc");
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"proof\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nlibc = \"={libc_version}\"\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(root.join("src/bin/original.rs"), original).unwrap();
    std::fs::write(root.join("src/bin/fixed.rs"), fixed).unwrap();
    let out = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--release", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", root.join("target"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the proof programs do not build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = root.join("target/release");
    Some((bin.join("original"), bin.join("fixed"), dir))
}

#[test]
#[cfg_attr(not(fdlint_has_cargo), ignore = "cargo not found: SKIPPED")]
fn rust_close_range_fix_closes_the_same_fds_faster() {
    let fixed_text = fixed("proof.rs", Lang::Rust, RUST_SNIPPET);
    assert!(fixed_text.contains("libc::SYS_close_range"), "{fixed_text}");
    let Some((original, fixed, _dir)) = build_rust(RUST_SNIPPET, &fixed_text) else {
        eprintln!("SKIPPED: fix_proof rust (no cargo)");
        return;
    };
    let (a, n) = wrapped(&original, &[]);
    let (b, _) = wrapped(&fixed, &[]);
    // The wrapper's fds were there before the sweep, in both.
    for out in [&a, &b] {
        let before = fd_set(field(out, "before"));
        assert!(KNOWN.iter().all(|k| before.contains(k)), "{out}");
    }
    assert_eq!(field(&a, "after"), field(&b, "after"), "\n{a}\n{b}");
    assert!(
        fd_set(field(&a, "after")).iter().all(|fd| *fd <= 3),
        "the sweep left fds open: {a}"
    );
    let (ta, tb): (u64, u64) = (
        field(&a, "ns").parse().unwrap(),
        field(&b, "ns").parse().unwrap(),
    );
    eprintln!(
        "fix_proof rust FD001 at RLIMIT_NOFILE = {n}: loop {:.3} ms, close_range {:.3} ms",
        ta as f64 / 1e6,
        tb as f64 / 1e6
    );
    assert!(tb < ta, "the fixed sweep is not faster: {tb} ns vs {ta} ns");
}

// ---------------------------------------------------------------------------------------------
// Ruby: FD003's `close_others: true`.

const RUBY_SNIPPET: &str = r#"def open_fds
  Dir.children("/proc/self/fd").map(&:to_i).sort.join(" ")
end

extra = File.open("/dev/null")
r, w = IO.pipe
t = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
pid = Process.spawn("/bin/ls", "/proc/self/fd", out: w, 9 => extra)
Process.wait(pid)
elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - t
w.close
puts "child: #{r.read.split.map(&:to_i).sort.join(" ")}"
puts "ns: #{elapsed}"
puts "parent: #{open_fds}"
"#;

#[test]
#[cfg_attr(not(fdlint_has_ruby), ignore = "ruby not found: SKIPPED")]
fn ruby_close_others_fix_closes_only_inherited_fds_and_keeps_passed_ones() {
    let fixed_text = fixed("proof.rb", Lang::Ruby, RUBY_SNIPPET);
    assert!(
        fixed_text.contains("9 => extra, close_others: true)"),
        "{fixed_text}"
    );
    let Some(ruby) = tools::find("ruby", "FDLINT_RUBY") else {
        eprintln!("SKIPPED: fix_proof ruby (no ruby)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (dir.path().join("original.rb"), dir.path().join("fixed.rb"));
    std::fs::write(&pa, RUBY_SNIPPET).unwrap();
    std::fs::write(&pb, &fixed_text).unwrap();
    let (a, n) = wrapped(&ruby, &[pa.to_str().unwrap()]);
    let (b, _) = wrapped(&ruby, &[pb.to_str().unwrap()]);
    // The parent is not touched by the fix.
    assert_eq!(field(&a, "parent"), field(&b, "parent"), "\n{a}\n{b}");
    let (ca, cb) = (fd_set(field(&a, "child")), fd_set(field(&b, "child")));
    // The original child inherits every known fd (and whatever else the test runner left
    // open without close-on-exec); the fixed one has only the standard streams, `ls`'s own
    // directory fd (3) and the fd passed on purpose (`9 => extra`), which it keeps.
    let known: BTreeSet<u32> = KNOWN.iter().copied().collect();
    assert!(known.is_subset(&ca), "the original child: {ca:?}");
    assert!(ca.contains(&9), "the original child: {ca:?}");
    assert_eq!(cb, BTreeSet::from([0, 1, 2, 3, 9]), "the fixed child\n{b}");
    assert!(cb.is_subset(&ca), "\n{a}\n{b}");
    eprintln!(
        "fix_proof ruby FD003 at RLIMIT_NOFILE = {n}: spawn+wait {:.3} ms without, {:.3} ms \
         with close_others: true (child fds {ca:?} -> {cb:?})",
        field(&a, "ns").parse::<f64>().unwrap() / 1e6,
        field(&b, "ns").parse::<f64>().unwrap() / 1e6,
    );
}

// ---------------------------------------------------------------------------------------------
// Python: FD001's `os.closerange` (safe) and close-only-the-open-fds helper (unsafe), and
// FD002's `xrange` (safe, Python 2), each under every interpreter it is for.

/// The interpreters the Python templates run under: pyenv's CPython 2.7, 3.8 and 3.12 (where
/// `os.closerange` is a C loop, a C loop, and one `close_range(2)` call) and Debian's PyPy 3
/// (where it is an RPython loop).
fn pythons() -> Vec<(&'static str, PathBuf)> {
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")))
        .unwrap_or_default()
        .join("versions");
    let mut out = Vec::new();
    for (name, minor) in [
        ("python2.7", "2.7."),
        ("python3.8", "3.8."),
        ("python3.12", "3.12."),
    ] {
        let found = std::fs::read_dir(&pyenv).ok().and_then(|d| {
            let mut v: Vec<PathBuf> = d
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with(minor))
                .map(|e| e.path().join("bin").join(name))
                .filter(|p| p.is_file())
                .collect();
            v.sort();
            v.pop()
        });
        match found {
            Some(p) => out.push((name, p)),
            None => {
                assert!(
                    !tools::tools_required(),
                    "{name} not found under {} and FDLINT_REQUIRE_TOOLS=1 requires it",
                    pyenv.display()
                );
                eprintln!("SKIPPED: fix_proof python under {name} (not installed)");
            }
        }
    }
    match tools::find("pypy3", "FDLINT_PYPY3") {
        Some(p) => out.push(("pypy3", p)),
        None => eprintln!("SKIPPED: fix_proof python under pypy3 (not installed)"),
    }
    out
}

/// What fdlint makes of `text` with `--fix` (`unsafe_fixes` false) or `--fix --unsafe-fixes`.
fn fixed_with(name: &str, text: &str, settings: &Settings, unsafe_fixes: bool) -> String {
    let path = Path::new(name);
    let first = fdlint::engine::lint_text(path, Lang::Python, text, settings).findings;
    let f = fdlint::fix::fix_text(path, Lang::Python, text, &first, settings, unsafe_fixes);
    assert!(f.applied > 0, "fdlint found nothing to fix in {name}");
    assert!(f.converged && f.dropped.is_empty());
    f.text
}

/// Runs both versions of a Python snippet under `python` with the known fds open; asserts
/// that they leave the same fds open (and print the same `result:`, when they print one), and
/// returns the two times in nanoseconds.
fn run_python_pair(python: &Path, original: &str, fixed: &str) -> (u64, u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (dir.path().join("original.py"), dir.path().join("fixed.py"));
    std::fs::write(&pa, original).unwrap();
    std::fs::write(&pb, fixed).unwrap();
    let (a, n) = wrapped(python, &[pa.to_str().unwrap()]);
    let (b, _) = wrapped(python, &[pb.to_str().unwrap()]);
    for out in [&a, &b] {
        let before = fd_set(field(out, "before"));
        assert!(KNOWN.iter().all(|k| before.contains(k)), "{out}");
    }
    assert_eq!(field(&a, "after"), field(&b, "after"), "\n{a}\n{b}");
    let swept = !a.contains("result: ");
    if swept {
        // The sweep closed the wrapper's fds (what is left: the standard streams and the
        // listing's own directory fd).
        let after = fd_set(field(&a, "after"));
        assert!(
            after.iter().all(|fd| *fd <= 3),
            "the sweep left fds open: {a}"
        );
    } else {
        assert_eq!(field(&a, "result"), field(&b, "result"), "\n{a}\n{b}");
        assert!(field(&a, "result").parse::<u32>().unwrap() >= 8, "{a}");
    }
    (
        field(&a, "ns").parse().unwrap(),
        field(&b, "ns").parse().unwrap(),
        n,
    )
}

/// The harness part every Python snippet shares: the fds open, measured around `sweep()`.
const PY_MAIN: &str = r#"

def open_fds():
    return " ".join(str(fd) for fd in sorted(int(n) for n in os.listdir("/proc/self/fd")))


# Some of the inherited fds close-on-exec, some not; a pipe of the interpreter's own.
fcntl.fcntl(7, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
pipe = os.pipe()
print("before: " + open_fds())
t = time.time()
result = sweep()
print("ns: %d" % int((time.time() - t) * 1e9))
print("after: " + open_fds())
if result is not None:
    print("result: %r" % (result,))
"#;

const PY_FOR_SWEEP: &str = r#"import fcntl
import os
import resource
import time


def sweep():
    maxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    for fd in range(3, maxfd):
        try:
            os.close(fd)
        except OSError:
            pass
"#;

const PY_WHILE_SWEEP: &str = r#"import fcntl
import os
import time


def sweep():
    maxfd = os.sysconf("SC_OPEN_MAX")
    fd = 3
    while fd < maxfd:
        try:
            os.close(fd)
        except (OSError, ValueError):
            pass
        fd += 1
"#;

const PY_FROM_IMPORT_SWEEP: &str = r#"import fcntl
import os
import time
from os import close, sysconf


def sweep():
    for fd in range(3, sysconf("SC_OPEN_MAX")):
        try:
            close(fd)
        except:
            pass
"#;

fn ms(ns: u64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

#[test]
#[cfg_attr(not(fdlint_has_pypy3), ignore = "pypy3 not found: SKIPPED")]
fn python_sweep_fixes_close_the_same_fds_faster() {
    let settings = Settings::default();
    let mut report = Vec::new();
    for (template, body) in [
        ("for", PY_FOR_SWEEP),
        ("while", PY_WHILE_SWEEP),
        ("from-import", PY_FROM_IMPORT_SWEEP),
    ] {
        let original = format!("{body}{PY_MAIN}");
        let safe = fixed_with("proof.py", &original, &settings, false);
        assert!(
            safe.contains("    os.closerange(") || safe.contains("    closerange("),
            "{safe}"
        );
        assert!(!safe.contains("_fdlint_close_open_fds"), "{safe}");
        let unsafe_ = fixed_with("proof.py", &original, &settings, true);
        assert!(unsafe_.contains("    _fdlint_close_open_fds("), "{unsafe_}");
        for (name, python) in pythons() {
            let (ta, tb, n) = run_python_pair(&python, &original, &safe);
            let (_, tc, _) = run_python_pair(&python, &original, &unsafe_);
            report.push(format!(
                "fix_proof python FD001 {template} loop under {name} at RLIMIT_NOFILE = {n}: \
                 loop {}, os.closerange {}, open-fds helper {}",
                ms(ta),
                ms(tb),
                ms(tc)
            ));
            // The helper closes a handful of fds instead of one per number.
            assert!(
                tc < ta,
                "{name}: the helper is not faster: {tc} ns vs {ta} ns"
            );
            assert!(
                tb < ta,
                "{name}: os.closerange is not faster: {tb} ns vs {ta} ns"
            );
        }
    }
    for line in report {
        eprintln!("{line}");
    }
}

const PY2_XRANGE: &str = r#"import fcntl
import os
import time


def is_open(fd):
    return os.path.exists("/proc/self/fd/%d" % fd)


def sweep():
    print "listing"
    return len([fd for fd in range(0, os.sysconf("SC_OPEN_MAX")) if is_open(fd)])
"#;

#[test]
fn python2_xrange_fix_sees_the_same_fds() {
    let original = format!("{PY2_XRANGE}{PY_MAIN}");
    let fixed = fixed_with("proof.py", &original, &Settings::default(), false);
    assert!(fixed.contains("for fd in xrange(0, "), "{fixed}");
    let Some((name, python)) = pythons().into_iter().find(|(n, _)| *n == "python2.7") else {
        return;
    };
    let (ta, tb, n) = run_python_pair(&python, &original, &fixed);
    eprintln!(
        "fix_proof python FD002 under {name} at RLIMIT_NOFILE = {n}: range() {}, xrange() {}",
        ms(ta),
        ms(tb)
    );
    // Not compared: at the 20,000-65,536 fds a test can open, the list costs ~0.7-2 MiB and
    // well under a millisecond, within the noise of the `stat` per fd; what `xrange()` saves
    // is the 32.6 bytes per element (~32.6 GiB at 1,073,741,816) before the first fd.
}

// ---------------------------------------------------------------------------------------------
// Ruby: FD001's close-only-the-open-fds rewrite of a block sweep.

const RUBY_SWEEP: &str = r#"require "fcntl"

def open_fds
  Dir.children("/proc/self/fd").map(&:to_i).sort.join(" ")
end

def sweep
  3.upto(Process.getrlimit(:NOFILE)[1]) { |fd| IO.for_fd(fd).close rescue nil }
  nil
end

# Some of the inherited fds close-on-exec, some not.
IO.for_fd(7, autoclose: false).fcntl(Fcntl::F_SETFD, Fcntl::FD_CLOEXEC)
puts "before: #{open_fds}"
t = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
sweep
puts "ns: #{Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - t}"
puts "after: #{open_fds}"
"#;

#[test]
#[cfg_attr(not(fdlint_has_ruby), ignore = "ruby not found: SKIPPED")]
fn ruby_sweep_fix_closes_the_same_fds_faster() {
    let fixed_text = fixed("proof.rb", Lang::Ruby, RUBY_SWEEP);
    assert!(
        fixed_text.contains("fdlint_fds.grep(/\\A\\d+\\z/)"),
        "{fixed_text}"
    );
    let Some(ruby) = tools::find("ruby", "FDLINT_RUBY") else {
        eprintln!("SKIPPED: fix_proof ruby FD001 (no ruby)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (dir.path().join("original.rb"), dir.path().join("fixed.rb"));
    std::fs::write(&pa, RUBY_SWEEP).unwrap();
    std::fs::write(&pb, &fixed_text).unwrap();
    let (a, n) = wrapped(&ruby, &[pa.to_str().unwrap()]);
    let (b, _) = wrapped(&ruby, &[pb.to_str().unwrap()]);
    for out in [&a, &b] {
        let before = fd_set(field(out, "before"));
        assert!(KNOWN.iter().all(|k| before.contains(k)), "{out}");
    }
    assert_eq!(field(&a, "after"), field(&b, "after"), "\n{a}\n{b}");
    // Both versions keep what Ruby refuses to close (its reserved fds: `IO.for_fd` raises,
    // rescued), and the listing's directory fd takes the lowest free number: every known fd
    // above 5 is closed.
    let after = fd_set(field(&a, "after"));
    assert!(
        KNOWN.iter().filter(|k| **k > 5).all(|k| !after.contains(k)),
        "the sweep left fds open: {a}"
    );
    let (ta, tb): (u64, u64) = (
        field(&a, "ns").parse().unwrap(),
        field(&b, "ns").parse().unwrap(),
    );
    eprintln!(
        "fix_proof ruby FD001 at RLIMIT_NOFILE = {n}: loop {}, open fds only {}",
        ms(ta),
        ms(tb)
    );
    assert!(tb < ta, "the fixed sweep is not faster: {tb} ns vs {ta} ns");
}
