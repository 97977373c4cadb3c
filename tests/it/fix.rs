//! End-to-end tests of `fdlint check --fix`, `--unsafe-fixes`, `--diff` and `--fix-only`: what
//! is written, what is left alone (read-only files, files changed meanwhile, standard input,
//! dependencies), line endings and permissions kept, and fixes in every report format.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::cli::fdlint;

const RUBY: &str = "require \"open3\"\n\ndef render(src)\n  Open3.popen3(\"python3\", \"helper.py\") do |i, o, _e, t|\n    i.write(src)\n  end\nend\n\ndef start(cmd)\n  Process.spawn(cmd, :chdir => \"/\")\nend\n";

const RUST: &str = "fn sweep() {\n    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } as i32;\n    for fd in 3..max {\n        unsafe { libc::close(fd) };\n    }\n}\n";

fn run_in(dir: &Path, args: &[&str]) -> Output {
    fdlint()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("fdlint runs")
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn project(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn fix_applies_safe_fixes_and_unsafe_ones_only_when_asked() {
    let (dir, path) = project("app.rb", RUBY);
    // FD003's fix is unsafe: `--fix` alone leaves the file as it is and says so.
    let o = run_in(dir.path(), &["check", "--isolated", "--fix", "app.rb"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), RUBY);
    assert!(
        err(&o).contains("2 hidden fixes can be enabled with the `--unsafe-fixes` option."),
        "{}",
        err(&o)
    );
    let o = run_in(
        dir.path(),
        &["check", "--isolated", "--fix", "--unsafe-fixes", "app.rb"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains("Found 2 findings (2 fixed, 0 remaining)."),
        "{}",
        err(&o)
    );
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains(
            "Open3.popen3(\"python3\", \"helper.py\", close_others: true) do |i, o, _e, t|"
        ),
        "{fixed}"
    );
    // The call's own `=>` style.
    assert!(
        fixed.contains("Process.spawn(cmd, :chdir => \"/\", :close_others => true)"),
        "{fixed}"
    );
    // Converged: nothing left to fix.
    let o = run_in(
        dir.path(),
        &["check", "--isolated", "--diff", "--unsafe-fixes", "app.rb"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
}

#[test]
fn diff_prints_a_unified_diff_changes_nothing_and_exits_1() {
    let (dir, path) = project("app.rb", RUBY);
    let o = run_in(
        dir.path(),
        &["check", "--isolated", "--diff", "--unsafe-fixes", "app.rb"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let diff = out(&o);
    assert!(
        diff.starts_with("--- a/app.rb\n+++ b/app.rb\n@@ "),
        "{diff}"
    );
    assert!(
        diff.contains("-  Process.spawn(cmd, :chdir => \"/\")\n+  Process.spawn(cmd, :chdir => \"/\", :close_others => true)\n"),
        "{diff}"
    );
    assert!(err(&o).contains("Would fix 2 findings."), "{}", err(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), RUBY);
    // Without --unsafe-fixes there is nothing to apply.
    let o = run_in(dir.path(), &["check", "--isolated", "--diff", "app.rb"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
}

#[test]
fn fix_only_reports_nothing_about_what_remains() {
    // Not fixable: the first fd that is not open raises and ends the loop.
    let python = "import os, resource\nmaxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\nfor fd in range(3, maxfd):\n    os.close(fd)\n";
    let (dir, _) = project("a.py", python);
    std::fs::write(dir.path().join("app.rb"), RUBY).unwrap();
    let o = run_in(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--fix-only",
            "--unsafe-fixes",
            "--format",
            "json",
            ".",
        ],
    );
    // The FD001 error in a.py has no fix: --fix-only neither reports it nor fails on it.
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
    assert!(
        std::fs::read_to_string(dir.path().join("app.rb"))
            .unwrap()
            .contains("close_others: true")
    );
    // `--fix` reports it and fails on it.
    let o = run_in(dir.path(), &["check", "--isolated", "--fix", "a.py"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(out(&o).contains("FD001"), "{}", out(&o));
}

#[test]
fn read_only_files_are_not_fixed() {
    let (dir, path) = project("app.rb", RUBY);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let o = run_in(
        dir.path(),
        &["check", "--isolated", "--fix", "--unsafe-fixes", "app.rb"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("app.rb: the file is read-only; not fixed"),
        "{}",
        err(&o)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), RUBY);
}

#[test]
fn a_file_changed_between_read_and_write_is_not_overwritten() {
    let (dir, path) = project("app.rb", RUBY);
    let o = fdlint()
        .current_dir(dir.path())
        .env("FDLINT_TEST_TOUCH_BEFORE_RENAME", "1")
        .args(["check", "--isolated", "--fix", "--unsafe-fixes", "app.rb"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("changed on disk since it was read"),
        "{}",
        err(&o)
    );
    // The concurrent edit survives; the fix was not written over it.
    let now = std::fs::read_to_string(&path).unwrap();
    assert_eq!(now, format!("{RUBY}\n# edited meanwhile\n"));
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn crlf_files_keep_crlf_and_permissions_are_kept() {
    let crlf = RUST.replace('\n', "\r\n");
    let (dir, path) = project("sweep.rs", &crlf);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o750)).unwrap();
    let o = run_in(
        dir.path(),
        &["check", "--isolated", "--fix", "--unsafe-fixes", "sweep.rs"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(fixed.contains("libc::SYS_close_range"), "{fixed}");
    assert_eq!(
        fixed.matches('\n').count(),
        fixed.matches("\r\n").count(),
        "a lone LF in a CRLF file:\n{fixed:?}"
    );
    assert!(fixed.ends_with("}\r\n"));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o750);
}

#[test]
fn fixes_in_json_human_concise_github_and_sarif() {
    let (dir, _) = project("app.rb", RUBY);
    let o = run_in(
        dir.path(),
        &["check", "--isolated", "--format", "json", "app.rb"],
    );
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let fix = &v["findings"][0]["fix"];
    assert_eq!(fix["applicability"], "unsafe");
    assert_eq!(fix["message"], "pass `close_others: true`");
    let edit = &fix["edits"][0];
    assert_eq!(edit["content"], ", close_others: true");
    assert_eq!(edit["start"], edit["end"]);
    let at = edit["start"].as_u64().unwrap() as usize;
    assert_eq!(&RUBY[at - 11..at], "\"helper.py\"");
    assert_eq!(
        (edit["line"].as_u64(), edit["column"].as_u64()),
        (Some(4), Some(38))
    );

    let concise = |extra: &[&str]| {
        let mut a = vec!["check", "--isolated", "--format", "concise"];
        a.extend(extra);
        a.push("app.rb");
        out(&run_in(dir.path(), &a))
    };
    assert!(!concise(&[]).contains("[*]"));
    assert!(concise(&["--unsafe-fixes"]).contains("app.rb:4:3: note[FD003] [*] `Open3.popen3`"));

    let human = out(&run_in(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--color",
            "never",
            "--unsafe-fixes",
            "app.rb",
        ],
    ));
    assert!(human.contains("FD003(spawn-inherits-fds) [*]"), "{human}");
    assert!(
        human.contains("fix available: pass `close_others: true` (unsafe"),
        "{human}"
    );

    let github = out(&run_in(
        dir.path(),
        &["check", "--isolated", "--format", "github", "app.rb"],
    ));
    assert!(
        github.contains("(unsafe fix with --unsafe-fixes: pass `close_others: true`)"),
        "{github}"
    );

    let o = run_in(
        dir.path(),
        &["check", "--isolated", "--format", "sarif", "app.rb"],
    );
    let log: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    crate::formats::assert_valid_sarif(&log);
    let fix = &log["runs"][0]["results"][0]["fixes"][0];
    assert_eq!(fix["properties"]["applicability"], "unsafe");
    let r = &fix["artifactChanges"][0]["replacements"][0];
    assert_eq!(r["insertedContent"]["text"], ", close_others: true");
    assert_eq!(r["deletedRegion"]["startLine"], 4);
    assert_eq!(
        r["deletedRegion"]["startColumn"],
        r["deletedRegion"]["endColumn"]
    );
}

#[test]
fn standard_input_and_dependencies_are_never_fixed() {
    let o = fdlint()
        .args(["check", "--fix", "--stdin-filename", "x.rb", "-"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("do not apply to standard input"),
        "{}",
        err(&o)
    );
    let o = fdlint().args(["deps", "--fix"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "`deps` has no --fix");
}

/// A fix whose result does not parse is dropped with a diagnostic; the file is left as it was.
#[test]
fn a_fix_that_breaks_the_syntax_is_dropped() {
    use fdlint::facts::{Lang, Span};
    use fdlint::fix::{Edit, Fix};
    let text = "def f\n  system(\"ls\")\nend\n";
    let path = Path::new("x.rb");
    let settings = fdlint::settings::Settings::default();
    let mut findings = fdlint::engine::lint_text(path, Lang::Ruby, text, &settings).findings;
    assert_eq!(findings.len(), 1);
    findings[0].fix = Some(Fix::safe(
        "break it",
        vec![Edit::replacement(Span::new(0, 3), "de(")],
    ));
    let fixed = fdlint::fix::fix_text(path, Lang::Ruby, text, &findings, &settings, false);
    assert_eq!(fixed.text, text);
    assert_eq!(fixed.applied, 0);
    assert_eq!(fixed.dropped.len(), 1);
    assert_eq!(fixed.dropped[0].line, 2);
    assert!(fixed.converged);

    // With a good fix beside it, the good one is still applied.
    let text = "def f\n  system(\"ls\")\nend\n\ndef g\n  system(\"id\")\nend\n";
    let mut findings = fdlint::engine::lint_text(path, Lang::Ruby, text, &settings).findings;
    assert_eq!(findings.len(), 2);
    assert!(findings[1].fix.is_some());
    findings[0].fix = Some(Fix::safe(
        "break it",
        vec![Edit::replacement(Span::new(0, 3), "de(")],
    ));
    let fixed = fdlint::fix::fix_text(path, Lang::Ruby, text, &findings, &settings, true);
    // Pass 1 applies the good fix and drops the bad one; pass 2 lints again, and the first
    // call's own (real) fix is applied then.
    assert_eq!(fixed.dropped.len(), 1);
    assert_eq!(fixed.applied, 2);
    assert!(
        fixed.text.contains("system(\"ls\", close_others: true)"),
        "{}",
        fixed.text
    );
    assert!(
        fixed.text.contains("system(\"id\", close_others: true)"),
        "{}",
        fixed.text
    );
    assert!(fixed.text.starts_with("def f\n"), "{}", fixed.text);
    assert!(fixed.converged);
}

const PY_SWEEP: &str = "import os\nimport resource\n\n\ndef close_fds():\n    maxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n    for fd in range(3, maxfd):\n        try:\n            os.close(fd)\n        except OSError:\n            pass\n";

#[test]
fn python_sweep_gets_closerange_and_the_helper_only_with_unsafe_fixes() {
    // Where `os.closerange` is one system call (CPython >= 3.10), `--fix` writes it, and
    // nothing is left to report.
    let (dir, path) = project("a.py", PY_SWEEP);
    let args = ["check", "--isolated", "--python-version", "3.12"];
    let o = run_in(dir.path(), &[&args[..], &["--fix", "a.py"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(
        fixed.ends_with("    maxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n    os.closerange(3, maxfd)\n"),
        "{fixed}"
    );
    // Where it is a loop (here Python 3.8), `--fix` still writes it, and FD005 then says it is
    // a loop; `--unsafe-fixes` writes the helper instead.
    let (dir, path) = project("a.py", PY_SWEEP);
    let args = ["check", "--isolated", "--python-version", "3.8"];
    let o = run_in(dir.path(), &[&args[..], &["--diff", "a.py"]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        out(&o).contains("+    os.closerange(3, maxfd)\n"),
        "{}",
        out(&o)
    );
    let o = run_in(dir.path(), &[&args[..], &["--fix", "a.py"]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(out(&o).contains("FD005"), "{}", out(&o));
    std::fs::write(&path, PY_SWEEP).unwrap();
    let o = run_in(
        dir.path(),
        &[&args[..], &["--fix", "--unsafe-fixes", "a.py"]].concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains("\n\n\ndef _fdlint_close_open_fds(lo, hi):\n"),
        "{fixed}"
    );
    assert!(
        fixed.ends_with("    _fdlint_close_open_fds(3, maxfd)\n"),
        "{fixed}"
    );
    assert!(!fixed.contains("for fd in range"), "{fixed}");
    // Converged.
    let o = run_in(
        dir.path(),
        &[&args[..], &["--diff", "--unsafe-fixes", "a.py"]].concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
}

#[test]
fn two_python_sweeps_share_one_helper() {
    let text = format!(
        "{PY_SWEEP}\n\ndef again():\n    for fd in range(os.sysconf(\"SC_OPEN_MAX\")):\n        try:\n            os.close(fd)\n        except:\n            pass\n"
    );
    let (dir, path) = project("a.py", &text);
    let o = run_in(
        dir.path(),
        &["check", "--isolated", "--fix", "--unsafe-fixes", "a.py"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        fixed.matches("def _fdlint_close_open_fds(").count(),
        1,
        "{fixed}"
    );
    assert!(
        fixed.contains("    _fdlint_close_open_fds(3, maxfd)\n"),
        "{fixed}"
    );
    assert!(
        fixed.contains("    _fdlint_close_open_fds(0, os.sysconf(\"SC_OPEN_MAX\"))\n"),
        "{fixed}"
    );
}
