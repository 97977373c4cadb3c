//! Inputs that once made one file take minutes or lose its findings, each named after what
//! broke. The inputs are generated here (as the fuzz targets would), not committed. Each runs
//! the built binary with a generous limit (debug builds included) and checks that the real
//! finding in the file is still reported, and the `timeout` problem where a budget is what
//! ends the work.

use std::path::Path;
use std::time::{Duration, Instant};

use super::cli::fdlint;

/// What one run over one file reported.
struct Report {
    /// (code, line) of every finding.
    findings: Vec<(String, u64)>,
    /// (kind, message) of every file problem.
    problems: Vec<(String, String)>,
    elapsed: Duration,
}

/// Much more than any of these inputs takes now (well under a second on a release build),
/// much less than they took before (from 20 s to several minutes).
const LIMIT: Duration = Duration::from_secs(10);

fn lint(name: &str, text: &[u8], extra: &[&str]) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    lint_path(&path, extra)
}

fn lint_path(path: &Path, extra: &[&str]) -> Report {
    let start = Instant::now();
    let out = fdlint()
        .args(["check", "--isolated", "--format", "json"])
        .args(extra)
        .arg(path)
        .output()
        .expect("fdlint runs");
    let elapsed = start.elapsed();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit status {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let findings = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let problems = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_string(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let r = Report {
        findings,
        problems,
        elapsed,
    };
    assert!(
        r.elapsed < LIMIT,
        "{} took {:?} (limit {LIMIT:?})",
        path.display(),
        r.elapsed
    );
    r
}

fn has(r: &Report, code: &str, line: u64) -> bool {
    r.findings.iter().any(|(c, l)| c == code && *l == line)
}

fn timeouts(r: &Report) -> Vec<&str> {
    r.problems
        .iter()
        .filter(|(k, _)| k == "timeout")
        .map(|(_, m)| m.as_str())
        .collect()
}

/// `a2 = a1` three (or four) times, ... up to `a12`, then a loop to `a12`: every definition of
/// every name was evaluated, 3^12 paths, each rescanning the module (79 s for 362 bytes).
#[test]
fn python_names_assigned_repeatedly_from_the_previous_name() {
    for copies in [3, 4] {
        let mut src = String::from("import os\na1 = 1024\n");
        for i in 2..=12 {
            for _ in 0..copies {
                src.push_str(&format!("a{i} = a{}\n", i - 1));
            }
        }
        let line = src.lines().count() as u64 + 1;
        src.push_str("for fd in range(3, a12):\n    os.close(fd)\n");
        let r = lint("names.py", src.as_bytes(), &[]);
        assert!(has(&r, "FD001", line), "{:?}", r.findings);
        assert!(timeouts(&r).is_empty(), "{:?}", r.problems);
    }
}

/// The same shape in Ruby, where the assignments are conditional (an unconditional one hides
/// the ones before it): 8^7 paths (14 s).
#[test]
fn ruby_names_assigned_conditionally_from_the_previous_name() {
    let mut src = String::from("a1 = Process.getrlimit(:NOFILE)[0]\n");
    for i in 2..=8 {
        for _ in 0..8 {
            src.push_str(&format!("a{i} = a{} if c\n", i - 1));
        }
    }
    let line = src.lines().count() as u64 + 1;
    src.push_str("3.upto(a8) { |fd| IO.for_fd(fd).close rescue nil }\n");
    let r = lint("names.rb", src.as_bytes(), &[]);
    assert!(has(&r, "FD001", line), "{:?}", r.findings);
    assert!(timeouts(&r).is_empty(), "{:?}", r.problems);
}

/// `x = range(range(...range(3)...))` (8,000 deep here): the container check asked `Node::parent` twice per
/// `range`, each a descent from the root (8,000 deep: 8.8 s; 100,000: minutes), and then the
/// facts query kept a partial match per level (cut short at a match limit). The patterns are
/// found by one linear walk now: no stage is cut short, and the loop after it is found.
#[test]
fn python_nested_range_calls() {
    let n = 8_000;
    let src = format!(
        "import os\nx = {}3{}\nfor fd in range(3, 1024):\n    os.close(fd)\n",
        "range(".repeat(n),
        ")".repeat(n)
    );
    let r = lint("nested.py", src.as_bytes(), &[]);
    assert!(has(&r, "FD001", 3), "{:?}", r.findings);
    assert!(timeouts(&r).is_empty(), "{:?}", r.problems);
}

/// `Array((` nested 40,000 deep kept one partial match per level alive (99 s), and plain
/// `Array(` 40,000 deep took 18 s: the query now runs with a match limit.
#[test]
fn ruby_nested_array_calls() {
    let finding = "3.upto(Process.getrlimit(:NOFILE)[0]) { |fd| IO.for_fd(fd).close rescue nil }\n";
    for open in ["Array((", "Array("] {
        let src = format!("{finding}{}\n", open.repeat(40_000));
        let r = lint("nested.rb", src.as_bytes(), &[]);
        assert!(has(&r, "FD001", 1), "{open}: {:?}", r.findings);
    }
}

/// Old Mac line endings: tree-sitter-python takes a lone CR for no line break, so the first
/// comment swallowed the whole file and its finding was lost. Python itself reads them as
/// line breaks.
#[test]
fn python_lone_cr_line_endings() {
    let src = b"#!/usr/bin/env python\r# close fds\rimport os\rfor fd in range(3, 1024):\r    os.close(fd)\r";
    let r = lint("lone_cr.py", src, &[]);
    // A lone CR ends a line for the report too (`source::line_breaks`): the loop is on line 4,
    // where it was reported on line 1 when only LFs were counted.
    assert!(has(&r, "FD001", 4), "{:?} {:?}", r.findings, r.problems);
    assert!(
        !r.problems.iter().any(|(k, _)| k == "parse-error"),
        "{:?}",
        r.problems
    );
}

/// Lone-CR line endings in the human report and the LSP: the finding's line and column, the
/// excerpt of its line, and a suppression comment on the line above the loop's body.
#[test]
fn lone_cr_lines_are_counted_in_reports_and_suppressions() {
    let src = b"import os\r# fdlint: ignore[FD001]\rfor fd in range(3, 1024):\r    os.close(fd)\rdef f():\r  for fd in range(3, 2048): os.close(fd)\r";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lone_cr.py");
    std::fs::write(&path, src).unwrap();
    let out = fdlint()
        .args(["check", "--isolated", "--color", "never"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // The first loop is suppressed by the comment on the line above it; the second loop,
    // in a function on line 6, is reported at its column.
    assert!(text.contains("lone_cr.py:6:3]"), "{text}");
    assert!(!text.contains("lone_cr.py:3:"), "{text}");
    assert!(text.contains("6 │   for fd in range(3, 2048)"), "{text}");
}

/// A spawn word right after a digit (`7system`): tree-sitter reads the number and then the
/// call, and the prefilter, which took `7system` for one identifier, ruled the file out.
#[test]
fn ruby_spawn_word_after_a_digit_passes_the_prefilter() {
    let src = b"7system\".exec\"\n";
    let with = lint("digit.rb", src, &[]);
    let without = lint("digit.rb", src, &["--no-prefilter"]);
    assert!(has(&without, "FD003", 1), "{:?}", without.findings);
    assert_eq!(with.findings, without.findings);
}

/// A Rust file with one item nested past the depth guard lost the findings of every item;
/// now only the deep item is left out, and the file says which one.
#[test]
fn rust_items_past_the_depth_guard_leave_the_rest_analysed() {
    let deep = format!(
        "fn deep() {{ let _ = {}0{}; }}\n",
        "(".repeat(300),
        ")".repeat(300)
    );
    let src = format!(
        "{deep}fn sweep() {{\n    let max_fd = unsafe {{ libc::sysconf(libc::_SC_OPEN_MAX) }} as i32;\n    \
         for fd in 3..max_fd {{\n        unsafe {{ libc::close(fd) }};\n    }}\n}}\n"
    );
    let r = lint("deep.rs", src.as_bytes(), &[]);
    assert!(has(&r, "FD001", 4), "{:?} {:?}", r.findings, r.problems);
    let deep: Vec<_> = r.problems.iter().filter(|(k, _)| k == "too-deep").collect();
    assert!(
        deep.len() == 1 && deep[0].1.contains("line 1"),
        "{:?}",
        r.problems
    );
}

/// Thousands of sweep loops (`try: os.close(fd) except OSError: pass`) in one module: each
/// loop walked the whole module for later uses of its variable, climbing `Node::parent` from
/// each, and scanned the whole text for a rebinding of `range` (2,000 loops: a `timeout`
/// problem and 396 of the 2,000 findings, release build). Now one walk per name and one scan
/// per file.
#[test]
fn python_thousands_of_sweep_loops_in_one_module() {
    let mut src = String::from(
        "import os, resource\nMAXFD = resource.getrlimit(resource.RLIMIT_NOFILE)[0]\n",
    );
    // 1,000 here: a debug build's facts query on 2,000 nears the analysis deadline.
    for _ in 0..1000 {
        src.push_str(
            "for fd in range(3, MAXFD):\n    try:\n        os.close(fd)\n    except OSError:\n        pass\n",
        );
    }
    let r = lint("sweeps.py", src.as_bytes(), &[]);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let fd001 = r.findings.iter().filter(|(c, _)| c == "FD001").count();
    assert_eq!(fd001, 1000);
}

/// Thousands of loops in one Ruby file: the Windows-guard check descended from the root for
/// each fact, scanning the root's children every time (10,000 loops: 61 s, release build).
/// Now the paths to all facts come from one forward walk.
#[test]
fn ruby_thousands_of_loops_in_one_file() {
    let mut src = String::from("m = Process.getrlimit(:NOFILE)[1]\n");
    for _ in 0..3000 {
        src.push_str("3.upto(m) { |fd| IO.for_fd(fd).close rescue nil }\n");
    }
    let r = lint("loops.rb", src.as_bytes(), &[]);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let fd001 = r.findings.iter().filter(|(c, _)| c == "FD001").count();
    assert_eq!(fd001, 3000);
}

/// Thousands of `close(fd)` calls in one Rust file: the prefilter's shape check scanned the
/// text for each call's argument once per call (10,000 loops: 7 s before parsing began).
#[test]
fn rust_thousands_of_close_calls_in_one_file() {
    let mut src = String::from(
        "fn main() {\n    let m = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } as i32;\n",
    );
    for _ in 0..3000 {
        src.push_str("    for fd in 3..m { unsafe { libc::close(fd); } }\n");
    }
    src.push_str("}\n");
    let r = lint("loops.rs", src.as_bytes(), &[]);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let fd001 = r.findings.iter().filter(|(c, _)| c == "FD001").count();
    assert_eq!(fd001, 3000);
}

/// The default report of thousands of findings whose bound is defined at the top of the file:
/// each finding's excerpt copied every line from the bound's to the loop's, and miette scanned
/// each copy (5,000 findings: 12 s of rendering). The lines between are empty now, and the
/// rendering is the same.
#[test]
fn human_report_of_thousands_of_findings_below_their_bound() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loops.py");
    let mut src =
        String::from("import os, resource\nM = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n");
    for _ in 0..3000 {
        src.push_str("for fd in range(3, M):\n    os.close(fd)\n");
    }
    std::fs::write(&path, &src).unwrap();
    let start = Instant::now();
    let out = fdlint()
        .args(["check", "--isolated", "--color", "never"])
        .arg(&path)
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(elapsed < LIMIT, "took {elapsed:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("FD001").count(), 3000);
    // The last loop's snippet shows the bound's line and the loop's, not the lines between.
    let last = text.rsplit("FD001").next().unwrap();
    assert!(last.contains(" 2 │ M = resource.getrlimit"), "{last}");
    assert!(last.contains("6001 │ for fd in range(3, M):"), "{last}");
    assert!(!last.contains("5999 │"), "{last}");
}
