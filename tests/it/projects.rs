//! Project fixtures: small multi-file projects under `fixtures/projects/`, each linted as a
//! directory, where the runtime comes from what the project declares (`setup.py` classifiers,
//! `setup.cfg`, `tox.ini`, `Pipfile`, `runtime.txt`, `.tool-versions`, a gemspec). The findings
//! must be exactly the expected ones (missing and unexpected both fail), each saying which
//! version of the declared range it was judged at and where the range came from. The same files
//! also carry inline markers, so the fixture harness checks them one by one too.

use std::fs;
use std::path::{Path, PathBuf};

use fdlint::engine::run;
use fdlint::finding::Severity;
use fdlint::settings::{Settings, Version};

fn projects() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects")
}

/// `(file relative to the project, line, code, severity, the note's runtime)`.
type Expected = (&'static str, usize, &'static str, Severity, &'static str);

fn lint(dir: &Path, settings: &Settings) -> Vec<(String, usize, String, Severity, String)> {
    let result = run(&[dir.to_path_buf()], settings).expect("the run starts");
    let mut out: Vec<_> = result
        .findings()
        .map(|(file, f)| {
            let rel = file.path.strip_prefix(dir).unwrap_or(&file.path);
            (
                rel.to_string_lossy().replace('\\', "/"),
                file.index.line_col(&file.text, f.span.start).line,
                f.rule.code.to_string(),
                f.severity,
                f.notes
                    .iter()
                    .find(|n| n.starts_with("judged as"))
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

fn check(project: &str, settings: &Settings, expected: &[Expected]) -> Vec<String> {
    let dir = projects().join(project);
    let got = lint(&dir, settings);
    let mut failures = Vec::new();
    for (file, line, code, severity, judged) in expected {
        let hit = got
            .iter()
            .find(|g| g.0 == *file && g.1 == *line && g.2 == *code);
        match hit {
            None => failures.push(format!(
                "error: missing {code} finding\n  --> {project}/{file}:{line}"
            )),
            Some(g) if g.3 != *severity || !g.4.contains(judged) => failures.push(format!(
                "error: {code} at {project}/{file}:{line} is {:?} `{}`, expected {severity:?} \
                 with `{judged}`",
                g.3, g.4
            )),
            Some(_) => {}
        }
    }
    for g in &got {
        if !expected
            .iter()
            .any(|e| e.0 == g.0 && e.1 == g.1 && e.2 == g.2)
        {
            failures.push(format!(
                "error: unexpected {} finding\n  --> {project}/{}:{} ({})",
                g.2, g.0, g.1, g.4
            ));
        }
    }
    failures
}

#[test]
fn every_project_has_exactly_its_expected_findings() {
    use Severity::*;
    let s = Settings::default();
    let cases: &[(&str, &[Expected])] = &[
        // fail2ban's shape: classifiers only, `closerange(0, SC_OPEN_MAX)`.
        (
            "py27_setup_py",
            &[(
                "fail2ban_like/daemon.py",
                7,
                "FD005",
                Error,
                "Python 2.6, the oldest version `2.6 to 2.7` allows (the classifier in ",
            )],
        ),
        // `python_requires` wins over the classifiers; `!=3.8.0` excludes no release line.
        (
            "py_setup_cfg",
            &[(
                "svc/worker.py",
                7,
                "FD005",
                Error,
                "Python 3.7, the oldest version `>=3.7, !=3.8.0` allows (`python_requires` in ",
            )],
        ),
        // A pyproject.toml without a version beside a tox.ini that tests py27.
        (
            "py_tox27",
            &[(
                "spawner.py",
                6,
                "FD004",
                Warning,
                "Python 2.7, the oldest version `2.7 to 3.7` allows (the tox `envlist` in ",
            )],
        ),
        (
            "py_tool_versions",
            &[(
                "sweep.py",
                7,
                "FD001",
                Error,
                "Python 2.7 (the asdf version in ",
            )],
        ),
        (
            "py_pipfile",
            &[(
                "app.py",
                5,
                "FD005",
                Error,
                "Python 3.9 (`python_version` in ",
            )],
        ),
        (
            "py_runtime_txt",
            &[("web.py", 5, "FD004", Warning, "Python 2.7 (the runtime in ")],
        ),
        // Nothing declared: the closerange is a note.
        (
            "py_undeclared",
            &[(
                "tool.py",
                6,
                "FD005",
                Note,
                "nothing says which Python 3 runs it",
            )],
        ),
        // `>=2.7` declared, but `subprocess.run`/`DEVNULL` run only on Python 3: judged at
        // 3.5, where close_fds=True is the default; a plain `call` keeps Python 2's default.
        (
            "py27_python3_api",
            &[
                (
                    "tools/runner.py",
                    10,
                    "FD004",
                    Note,
                    "Python 3.5 or later: `subprocess.run` needs it, so the call never runs on \
                     the Python 2 that Python 2.7, the oldest version `>=2.7` allows",
                ),
                (
                    "tools/runner.py",
                    14,
                    "FD004",
                    Warning,
                    "Python 2.7, the oldest version `>=2.7` allows",
                ),
            ],
        ),
        // Look-alikes: >= 3.10 declared; 2.7 only in a comment and a description.
        ("py310_declared", &[]),
        ("py_comment_only", &[]),
        // unicorn's shape: `>= 2.5.0` includes Ruby 3.x, where close_others defaults to false.
        (
            "gem_open_ended",
            &[
                (
                    "lib/http_server.rb",
                    5,
                    "FD003",
                    Note,
                    "Ruby 3.4 and later, the newest version `>= 2.5.0` allows \
                     (`required_ruby_version` in ",
                ),
                (
                    "lib/http_server.rb",
                    9,
                    "FD003",
                    Note,
                    "Ruby 3.4 and later, the newest version",
                ),
            ],
        ),
        // Every Ruby from 2.0 to 2.5 defaults close_others to true.
        ("gem_old_ruby", &[]),
        // A package whose bounds, close wrappers and fd list are in sibling modules
        // (`from .fdutil import get_maxfd`, `fdutil.FALLBACK_MAXFD`, `get_open_fds()`,
        // `close_fd_no_error(fd)`), and supervisor's `options.minfds` with
        // `options.close_fd(i)`: a configuration value, so a warning that names it. Its
        // look-alikes (a helper listing /proc/self/fd, a small imported constant, a capped
        // limit, a wrapper that closes nothing, a small attribute of another module's class,
        // a `close_fds` false on Windows only) stay silent.
        (
            "py_imported_bound",
            &[
                ("svc/child.py", 11, "FD001", Error, ""),
                ("svc/child.py", 16, "FD001", Warning, ""),
                ("svc/child.py", 21, "FD001", Error, ""),
                ("svc/child.py", 26, "FD001", Error, ""),
                ("svc/child.py", 36, "FD001", Warning, ""),
            ],
        ),
        // A script importing its sibling module (no package), two hops deep, and an import
        // cycle that ends without a value.
        (
            "py_script_sibling",
            &[
                ("closer.py", 10, "FD001", Error, ""),
                ("closer.py", 12, "FD001", Error, ""),
                ("closer.py", 15, "FD001", Error, ""),
                ("closer.py", 17, "FD001", Error, ""),
            ],
        ),
        // One file per shape the prefilter must admit for the project index (the fixture
        // harness lints each with and without the prefilter).
        (
            "py_prefilter_shapes",
            &[
                ("app/fdtools.py", 10, "FD002", Error, ""),
                ("app/helper_loop.py", 8, "FD001", Error, ""),
                ("app/named_range.py", 11, "FD001", Error, ""),
                ("app/unresolved_attribute.py", 7, "FD001", Warning, ""),
                ("app/wrapper_call.py", 6, "FD001", Error, ""),
            ],
        ),
        // ganeti's layout: the package's sources in lib/, installed as `opsd` (the Makefile
        // says so), imported by that name from lib/ and from test/; a wrapper in a module
        // that is nowhere counts by its name, one that is found and closes nothing does not.
        (
            "py_installed_as_other_name",
            &[
                ("lib/utils/process.py", 18, "FD001", Error, ""),
                ("test/test_process.py", 11, "FD001", Error, ""),
                ("test/test_process.py", 16, "FD001", Error, ""),
            ],
        ),
        // python-subprocess32's shape: `2 :: Only`, `os.closerange` reached through a
        // @staticmethod wrapper, and tests that rebind the backport to `subprocess`.
        (
            "py2_only_backport",
            &[
                (
                    "procport.py",
                    29,
                    "FD005",
                    Error,
                    "Python 2.6, the oldest version",
                ),
                (
                    "test_procport.py",
                    19,
                    "FD004",
                    Warning,
                    "Python 2.6, the oldest version",
                ),
            ],
        ),
        // pwntools' shape: `close_fds=True` as a parameter's default on a `>=2.7` project.
        (
            "py27_default_param",
            &[(
                "tubes/process.py",
                8,
                "FD004",
                Warning,
                "Python 2.7, the oldest version `>=2.7` allows",
            )],
        ),
        // A crate whose bounds are a struct field, a helper and a parameter filled from the
        // limit in another module.
        (
            "rs_struct_field_bound",
            &[
                ("src/child.rs", 11, "FD001", Error, ""),
                ("src/child.rs", 17, "FD001", Error, ""),
                ("src/child.rs", 23, "FD001", Error, ""),
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (project, expected) in cases {
        failures.extend(check(project, &s, expected));
    }
    // Every project directory has a case.
    for e in fs::read_dir(projects()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if !cases.iter().any(|(p, _)| *p == name) {
            failures.push(format!(
                "error: fixtures/projects/{name} has no expected findings"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_source_line_of_the_range_is_cited() {
    let got = lint(&projects().join("gem_open_ended"), &Settings::default());
    assert!(
        got[0].4.ends_with("unicorn_like.gemspec:5)"),
        "{}",
        got[0].4
    );
    let got = lint(&projects().join("py27_setup_py"), &Settings::default());
    assert!(got[0].4.ends_with("setup.py:12)"), "{}", got[0].4);
}

#[test]
fn explicit_versions_are_points_and_win() {
    let s = Settings {
        ruby_version: Version::parse("2.5"),
        ..Settings::default()
    };
    assert!(check("gem_open_ended", &s, &[]).is_empty());
    let mut s = Settings {
        python_version: Version::parse("3.12"),
        ..Settings::default()
    };
    assert!(check("py27_setup_py", &s, &[]).is_empty());
    s.python_version = Version::parse("3.8");
    let failures = check(
        "py310_declared",
        &s,
        &[(
            "modern.py",
            7,
            "FD005",
            Severity::Error,
            "configured Python 3.8",
        )],
    );
    assert!(failures.is_empty(), "{failures:?}");
}

/// The walk up from a file goes on past a project file that declares nothing (a sub-package's
/// bare `pyproject.toml` or `setup.py`: a held-out repository had ten under a root `tox.ini`
/// of py24-py27, and their Python 2 calls were judged as Python 3), as pyenv and tox do, and
/// stops at the first directory that declares a version.
#[test]
fn a_project_file_that_declares_nothing_inherits_the_enclosing_declaration() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::create_dir(root.join(".git")).unwrap();
    fs::write(root.join(".python-version"), "2.7.18\n").unwrap();
    let inner = root.join("pkg");
    fs::create_dir(&inner).unwrap();
    let code = "import os\nos.closerange(3, os.sysconf('SC_OPEN_MAX'))\n";
    fs::write(inner.join("tool.py"), code).unwrap();
    // Without a project file, the parent's pin applies.
    let got = lint(root, &Settings::default());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].3, Severity::Error, "{got:?}");
    assert!(got[0].4.contains("Python 2.7"), "{got:?}");
    // With one that declares nothing, still the parent's.
    fs::write(inner.join("pyproject.toml"), "[project]\nname = 'pkg'\n").unwrap();
    fs::write(
        inner.join("setup.py"),
        "from distutils.core import setup\nsetup(name='pkg')\n",
    )
    .unwrap();
    let got = lint(root, &Settings::default());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].3, Severity::Error, "{got:?}");
    assert!(got[0].4.contains("Python 2.7"), "{got:?}");
    // With one that declares a version, the project's own.
    fs::write(
        inner.join("pyproject.toml"),
        "[project]\nname = 'pkg'\nrequires-python = '>=3.12'\n",
    )
    .unwrap();
    let got = lint(root, &Settings::default());
    assert!(got.is_empty(), "{got:?}");
}

/// The directories above the fixtures declare no runtime, so the single-file fixtures keep
/// their verdicts and each project's range is its own.
#[test]
fn nothing_above_the_fixtures_declares_a_runtime() {
    use fdlint::runtime::declare::declarations_in;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [
        root.to_path_buf(),
        root.join("fixtures"),
        root.join("fixtures/projects"),
        root.join("fixtures/python"),
        root.join("fixtures/ruby"),
    ] {
        let d = declarations_in(&dir);
        assert!(
            d.python.is_empty() && d.ruby.is_empty(),
            "{} declares a runtime: {d:?}",
            dir.display()
        );
    }
}

/// A gem for `>= 1.9.3`: `system` is judged at 1.9 (no close-on-exec, a warning), `spawn` at the
/// newest Ruby (a note), where before the lowest version decided both.
#[test]
fn each_ruby_question_takes_its_own_worst_version() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::create_dir(root.join(".git")).unwrap();
    fs::write(
        root.join("g.gemspec"),
        "Gem::Specification.new do |s|\n  s.required_ruby_version = '>= 1.9.3'\nend\n",
    )
    .unwrap();
    fs::write(
        root.join("run.rb"),
        "def a(cmd)\n  system(cmd)\nend\n\ndef b(cmd)\n  spawn(cmd)\nend\n",
    )
    .unwrap();
    let got = lint(root, &Settings::default());
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!((got[0].1, got[0].3), (2, Severity::Warning), "{got:?}");
    assert!(got[0].4.contains("Ruby 1.9, the oldest version"), "{got:?}");
    assert_eq!((got[1].1, got[1].3), (6, Severity::Note), "{got:?}");
    assert!(got[1].4.contains("Ruby 3.4 and later"), "{got:?}");
}

#[test]
fn a_bound_from_another_module_says_where_it_was_read() {
    let dir = projects().join("rs_struct_field_bound");
    let result = run(std::slice::from_ref(&dir), &Settings::default()).expect("the run starts");
    let mut notes: Vec<(usize, String)> = result
        .findings()
        .map(|(file, f)| {
            (
                file.index.line_col(&file.text, f.span.start).line,
                f.notes.first().cloned().unwrap_or_default(),
            )
        })
        .collect();
    notes.sort();
    let want = [
        (
            11,
            "the field `max_fd` is set to the hard fd limit (RLIMIT_NOFILE), read in src/lib.rs:12",
        ),
        (
            17,
            "`open_max()` returns the fd limit (sysconf(_SC_OPEN_MAX), the soft RLIMIT_NOFILE), \
             read in src/lib.rs:21",
        ),
        (
            23,
            "a caller of `sweep` passes `close_limit` the fd limit (sysconf(_SC_OPEN_MAX), the \
             soft RLIMIT_NOFILE), read in src/lib.rs:21",
        ),
    ];
    let got: Vec<(usize, &str)> = notes.iter().map(|(l, n)| (*l, n.as_str())).collect();
    assert_eq!(got, want);
    // Linted alone, the file still sees its crate (as in an editor).
    let child = dir.join("src/child.rs");
    let text = fs::read_to_string(&child).unwrap();
    let alone = fdlint::engine::lint_text(
        &child,
        fdlint::facts::Lang::Rust,
        &text,
        &Settings::default(),
    );
    assert_eq!(alone.findings.len(), 3, "{:#?}", alone.findings);
}
