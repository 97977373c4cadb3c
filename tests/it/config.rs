//! End-to-end tests of the configuration file, `--select`/`--ignore`, `--config`, `--isolated`
//! and inline suppressions.

use std::path::Path;
use std::process::Output;

use crate::cli::fdlint;

const LOOP: &str = "import os\nimport resource\n\nhard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\nfor fd in range(3, hard):\n    os.close(fd)\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn check(dir: &Path, args: &[&str]) -> Output {
    fdlint()
        .arg("check")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("fdlint runs")
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn codes(o: &Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}:{}", f["code"].as_str().unwrap(), f["line"]))
        .collect()
}

#[test]
fn unknown_keys_are_errors_naming_file_line_and_key() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "fdlint.toml",
        "ignore = [\"FD002\"]\nselct = [\"FD001\"]\n",
    );
    write(d.path(), "a.py", LOOP);
    let o = check(d.path(), &["."]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).starts_with("fdlint: error: fdlint.toml:2: unknown key `selct` (expected one of"),
        "{}",
        err(&o)
    );
    // --isolated does not read it.
    assert_eq!(check(d.path(), &["--isolated", "."]).status.code(), Some(1));
}

#[test]
fn config_selects_and_flags_override() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "fdlint.toml", "ignore = [\"FD00\"]\n");
    write(d.path(), "src/pkg/a.py", LOOP);
    // Found by walking up from the scanned directory.
    let o = check(d.path(), &["src/pkg"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        check(d.path(), &["--select", "FD001", "src/pkg"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        check(d.path(), &["--isolated", "src/pkg"]).status.code(),
        Some(1)
    );
    assert_eq!(
        check(
            d.path(),
            &[
                "--isolated",
                "--ignore",
                "rlimit-close-loop,FD002",
                "src/pkg"
            ]
        )
        .status
        .code(),
        Some(0)
    );
    let o = check(d.path(), &["--select", "FD999", "src"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--select: unknown rule selector `FD999`"),
        "{}",
        err(&o)
    );
}

#[test]
fn pyproject_severity_and_explicit_config() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.fdlint.severity]\nFD001 = \"note\"\n",
    );
    write(d.path(), "a.py", LOOP);
    let o = check(d.path(), &["--format", "json", "a.py"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"][0]["severity"], "note");
    write(d.path(), "strict.toml", "fail-on = \"note\"\n");
    assert_eq!(
        check(d.path(), &["--config", "strict.toml", "a.py"])
            .status
            .code(),
        Some(1)
    );
    let o = check(d.path(), &["--config", "missing.toml", "a.py"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("missing.toml"), "{}", err(&o));
}

#[test]
fn exclude_applies_to_walks_but_not_to_named_files() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        ".fdlint.toml",
        "exclude = [\"vendor/\"]\nextend-exclude = [\"*_gen.py\"]\n",
    );
    write(d.path(), "vendor/lib/a.py", LOOP);
    write(d.path(), "src/b_gen.py", LOOP);
    write(d.path(), "src/c.py", LOOP);
    let o = check(d.path(), &["--format", "json", "."]);
    assert_eq!(codes(&o), ["FD001:5"], "{}", err(&o));
    let o = check(d.path(), &["--format", "json", "vendor/lib/a.py"]);
    assert_eq!(codes(&o), ["FD001:5"], "{}", err(&o));
}

#[test]
fn suppressed_findings_do_not_count() {
    let d = tempfile::tempdir().unwrap();
    let text = LOOP.replace("hard):", "hard):  # fdlint: ignore[FD001] -- capped");
    write(d.path(), "a.py", &text);
    let o = check(d.path(), &["--format", "json", "a.py"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(codes(&o).is_empty());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["findings"], 0);
    assert_eq!(v["summary"]["files_with_findings"], 0);
    let o = check(d.path(), &["a.py"]);
    assert!(o.stdout.is_empty());
    assert!(err(&o).contains("0 findings in 0 files"), "{}", err(&o));
}

#[test]
fn a_suppression_without_codes_is_rejected() {
    let d = tempfile::tempdir().unwrap();
    let text = LOOP.replace("hard):", "hard):  # fdlint: ignore");
    write(d.path(), "a.py", &text);
    let o = check(d.path(), &["--format", "json", "a.py"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(codes(&o), ["FD001:5"]);
    assert!(
        err(&o).contains(
            "a.py:5: a suppression must name the rules it silences: `fdlint: ignore[FD001]`"
        ),
        "{}",
        err(&o)
    );
}

#[test]
fn unused_suppressions_are_reported_only_for_selected_rules() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "a.py",
        "import os\nos.closerange(3, 1024)  # fdlint: ignore[FD001]\n",
    );
    let o = check(d.path(), &["--format", "json", "a.py"]);
    assert_eq!(codes(&o), ["FD100:2"], "{}", err(&o));
    let o = check(d.path(), &["--format", "json", "--ignore", "FD001", "a.py"]);
    assert!(codes(&o).is_empty());
    let o = check(d.path(), &["--format", "json", "--ignore", "FD100", "a.py"]);
    assert!(codes(&o).is_empty());
}

/// `path:CODE` for each finding of a JSON report, sorted.
fn found(o: &Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    let mut out: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["path"].as_str().unwrap(),
                f["code"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    out
}

fn check_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = fdlint()
        .arg("check")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("fdlint runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_closest_configuration_file_applies_to_each_file() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "fdlint.toml", "ignore = [\"FD001\"]\n");
    write(d.path(), "a.py", LOOP);
    // A subdirectory's file replaces the root's for its own files (it is not merged with it).
    write(d.path(), "sub/fdlint.toml", "select = [\"ALL\"]\n");
    write(d.path(), "sub/b.py", LOOP);
    write(
        d.path(),
        "other/pyproject.toml",
        "[project]\nname = \"other\"\n\n[tool.fdlint]\nselect = [\"FD001\"]\n",
    );
    write(d.path(), "other/deep/c.py", LOOP);
    // A pyproject.toml without [tool.fdlint] is not a configuration file: the root's applies.
    write(
        d.path(),
        "plain/pyproject.toml",
        "[project]\nname = \"plain\"\n",
    );
    write(d.path(), "plain/d.py", LOOP);
    let want = ["./other/deep/c.py:FD001", "./sub/b.py:FD001"];
    let o = check(d.path(), &["--format", "json", "."]);
    assert_eq!(found(&o), want, "{}", err(&o));
    // Whatever the order of the paths: the first one's file used to apply to all.
    let o = check(
        d.path(),
        &[
            "--format",
            "json",
            "./sub/b.py",
            "./a.py",
            "./other",
            "./plain",
        ],
    );
    assert_eq!(found(&o), want, "{}", err(&o));
    let o = check(d.path(), &["--format", "json", "./a.py", "./sub"]);
    assert_eq!(found(&o), ["./sub/b.py:FD001"], "{}", err(&o));
    // Flags override every file's configuration.
    let o = check(d.path(), &["--format", "json", "--ignore", "FD001", "."]);
    assert!(found(&o).is_empty(), "{}", err(&o));
    let o = check(d.path(), &["--format", "json", "--select", "FD001", "."]);
    assert_eq!(found(&o).len(), 4, "{}", err(&o));
    // --config names one file for all; --isolated reads none.
    let o = check(
        d.path(),
        &["--format", "json", "--config", "fdlint.toml", "."],
    );
    assert!(found(&o).is_empty(), "{}", err(&o));
    let o = check(d.path(), &["--format", "json", "--isolated", "."]);
    assert_eq!(found(&o).len(), 4, "{}", err(&o));
}

#[test]
fn a_broken_configuration_file_below_the_first_path_stops_the_run() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.py", LOOP);
    write(d.path(), "sub/.fdlint.toml", "selct = [\"FD001\"]\n");
    write(d.path(), "sub/b.py", LOOP);
    let o = check(d.path(), &["."]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("sub/.fdlint.toml:1: unknown key `selct`"),
        "{}",
        err(&o)
    );
}

#[test]
fn stdin_takes_its_configuration_and_excludes_from_the_file_it_stands_for() {
    let d = tempfile::tempdir().unwrap();
    // The working directory's configuration selects everything; the file's own excludes
    // `gen/` and ignores FD005.
    write(d.path(), "fdlint.toml", "select = [\"ALL\"]\n");
    write(
        d.path(),
        "proj/fdlint.toml",
        "ignore = [\"FD005\"]\nexclude = [\"gen/\"]\n",
    );
    let closerange = "import os\nos.closerange(3, os.sysconf(\"SC_OPEN_MAX\"))\n";
    let args = |name: &'static str| {
        [
            "--format",
            "json",
            "--python-version",
            "3.8",
            "--stdin-filename",
            name,
            "-",
        ]
    };
    let o = check_stdin(d.path(), &args("proj/x.py"), closerange);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(codes(&o).is_empty(), "{}", err(&o));
    let o = check_stdin(d.path(), &args("elsewhere/x.py"), closerange);
    assert_eq!(codes(&o), ["FD005:2"], "{}", err(&o));
    // Excluded only with --force-exclude, as a named file is.
    let o = check_stdin(d.path(), &args("proj/gen/x.py"), LOOP);
    assert_eq!(codes(&o), ["FD001:5"], "{}", err(&o));
    let mut forced = args("proj/gen/x.py").to_vec();
    forced.insert(0, "--force-exclude");
    let o = check_stdin(d.path(), &forced, LOOP);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(codes(&o).is_empty(), "{}", err(&o));
}

#[test]
fn virtualenvs_and_tool_caches_are_excluded_by_default() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "app.py", LOOP);
    for dir in [
        ".venv/lib/python3.12/site-packages/pkg",
        ".tox/py312/lib",
        ".nox/tests/lib",
        ".mypy_cache/3.12",
        "node_modules/pkg",
        "build/lib/app",
    ] {
        write(d.path(), &format!("{dir}/mod.py"), LOOP);
    }
    // A virtualenv by its pyvenv.cfg, whatever its name; a gem bundle.
    write(
        d.path(),
        "env-3.8/pyvenv.cfg",
        "home = /usr/bin\nversion = 3.8.18\n",
    );
    write(d.path(), "env-3.8/lib/python3.8/site-packages/m.py", LOOP);
    write(d.path(), "vendor/bundle/ruby/3.3.0/gems/g-1/lib/g.py", LOOP);
    // Directories that only share a name with a tool's are linted: CPython's own `venv`
    // package, pip's `operations/build`.
    write(d.path(), "lib/venv/__init__.py", LOOP);
    write(d.path(), "pip/operations/build/wheel.py", LOOP);
    let o = check(d.path(), &["--format", "json", "."]);
    assert_eq!(
        found(&o),
        [
            "./app.py:FD001",
            "./lib/venv/__init__.py:FD001",
            "./pip/operations/build/wheel.py:FD001"
        ],
        "{}",
        err(&o)
    );
    let o = check(d.path(), &["--show-files"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "./app.py\n./lib/venv/__init__.py\n./pip/operations/build/wheel.py\n"
    );
    // A named file is linted anyway, unless --force-exclude.
    let named = ".venv/lib/python3.12/site-packages/pkg/mod.py";
    let o = check(d.path(), &["--format", "json", named]);
    assert_eq!(codes(&o), ["FD001:5"], "{}", err(&o));
    let o = check(d.path(), &["--format", "json", "--force-exclude", named]);
    assert!(codes(&o).is_empty(), "{}", err(&o));
    assert!(
        err(&o).contains("no Python, Ruby or Rust files found"),
        "{}",
        err(&o)
    );
    // `exclude` replaces the defaults (as in ruff; `extend-exclude` adds to them).
    // node_modules and VCS directories are never entered.
    write(d.path(), "fdlint.toml", "exclude = [\"pip/\"]\n");
    let o = check(d.path(), &["--format", "json", "."]);
    assert_eq!(found(&o).len(), 9, "{:?}", found(&o));
    assert!(found(&o).contains(&"./.venv/lib/python3.12/site-packages/pkg/mod.py:FD001".into()));
}

#[test]
fn exclude_flags_replace_and_extend_the_configuration() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "fdlint.toml",
        "exclude = [\"gen/\"]\nextend-exclude = [\"*_pb2.py\"]\n",
    );
    write(d.path(), "gen/a.py", LOOP);
    write(d.path(), "src/b_pb2.py", LOOP);
    write(d.path(), "src/c.py", LOOP);
    write(d.path(), "tools/d.py", LOOP);
    write(d.path(), ".venv/e.py", LOOP);
    // `exclude` replaced the defaults, so `.venv` is linted here.
    let o = check(d.path(), &["--format", "json", "."]);
    assert_eq!(
        found(&o),
        [
            "./.venv/e.py:FD001",
            "./src/c.py:FD001",
            "./tools/d.py:FD001"
        ],
        "{}",
        err(&o)
    );
    let o = check(
        d.path(),
        &["--format", "json", "--extend-exclude", "tools/,.venv", "."],
    );
    assert_eq!(found(&o), ["./src/c.py:FD001"], "{}", err(&o));
    // --exclude replaces the file's `exclude` (not its extend-exclude).
    let o = check(
        d.path(),
        &["--format", "json", "--exclude", "src/c.py,tools", "."],
    );
    assert_eq!(
        found(&o),
        ["./.venv/e.py:FD001", "./gen/a.py:FD001"],
        "{}",
        err(&o)
    );
    // Named files: linted, unless --force-exclude (then through a parent directory too).
    let o = check(d.path(), &["--format", "json", "gen/a.py", "src/b_pb2.py"]);
    assert_eq!(
        found(&o),
        ["gen/a.py:FD001", "src/b_pb2.py:FD001"],
        "{}",
        err(&o)
    );
    let o = check(
        d.path(),
        &[
            "--format",
            "json",
            "--force-exclude",
            "gen/a.py",
            "src/b_pb2.py",
            "src/c.py",
        ],
    );
    assert_eq!(found(&o), ["src/c.py:FD001"], "{}", err(&o));
    let o = check(d.path(), &["--exclude", "[z-a]", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("--exclude: bad glob `[z-a]`"),
        "{}",
        err(&o)
    );
}

#[test]
fn per_file_ignores_silence_rules_for_matching_files() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "pyproject.toml",
        "[tool.fdlint.per-file-ignores]\n\"tests/**\" = [\"FD001\"]\n\"legacy_*.py\" = [\"rlimit-close-loop\"]\n\"!src/**\" = [\"FD002\"]\n",
    );
    write(d.path(), "tests/unit/t.py", LOOP);
    write(d.path(), "pkg/legacy_daemon.py", LOOP);
    write(d.path(), "pkg/daemon.py", LOOP);
    let list = "import resource\nhard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\nfds = list(range(hard))\n";
    write(d.path(), "src/fds.py", list);
    write(d.path(), "scripts/fds.py", list);
    let o = check(d.path(), &["--format", "json", "."]);
    assert_eq!(
        found(&o),
        ["./pkg/daemon.py:FD001", "./src/fds.py:FD002"],
        "{}",
        err(&o)
    );
    // Named files too, and a suppression comment for an ignored rule is not "unused".
    let text = LOOP.replace("hard):", "hard):  # fdlint: ignore[FD001]");
    write(d.path(), "tests/s.py", &text);
    let o = check(
        d.path(),
        &["--format", "json", "tests/s.py", "tests/unit/t.py"],
    );
    assert!(found(&o).is_empty(), "{:?} {}", found(&o), err(&o));
    let o = check(d.path(), &["--show-settings", "pkg/legacy_daemon.py"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("per-file-ignores.\"legacy_*.py\" = [\"FD001\"] (applies to this file)"),
        "{text}"
    );
    let o = check(
        d.path(),
        &["--format", "json", "--select", "FD001", "tests"],
    );
    assert!(
        found(&o).is_empty(),
        "per-file-ignores apply after the flags: {}",
        err(&o)
    );
    write(
        d.path(),
        "pyproject.toml",
        "[tool.fdlint.per-file-ignores]\n\"x.py\" = [\"FD999\"]\n",
    );
    let o = check(d.path(), &["."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("pyproject.toml:2: `per-file-ignores`: unknown rule selector `FD999`"),
        "{}",
        err(&o)
    );
}

#[test]
fn show_settings_names_the_file_and_the_values_for_a_path() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "fdlint.toml", "python-version = \"2.7\"\n");
    write(
        d.path(),
        "sub/fdlint.toml",
        "select = [\"FD001\", \"FD005\"]\nfail-on = \"error\"\nextend-exclude = [\"gen/\"]\n\n[severity]\nFD005 = \"warning\"\n",
    );
    write(d.path(), "sub/a.py", LOOP);
    let o = check(
        d.path(),
        &["--show-settings", "--assume-nofile", "4096", "sub/a.py"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let sep = std::path::MAIN_SEPARATOR;
    for line in [
        "Settings for: sub/a.py\n".to_string(),
        format!("Configuration file: sub{sep}fdlint.toml\n"),
        "select = [\"FD001\", \"FD005\"]\n".to_string(),
        "severity.FD005 = \"warning\"\n".to_string(),
        // Not merged with the root's: the Python version comes from the project's files.
        "python-version = (from the project's files)\n".to_string(),
        "assume-nofile = 4096\n".to_string(),
        "fail-on = \"error\"\n".to_string(),
        "extend-exclude = [\"gen/\"]".to_string(),
        "force-exclude = false\n".to_string(),
    ] {
        assert!(text.contains(&line), "{line:?} in:\n{text}");
    }
    let o = check(d.path(), &["--show-settings", "."]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Configuration file: fdlint.toml\n"), "{text}");
    assert!(text.contains("python-version = \"2.7\"\n"), "{text}");
    assert!(text.contains("exclude = [\".bzr\""), "{text}");
    // Nothing is linted.
    assert!(!text.contains("FD001]"), "{text}");
    assert!(err(&o).is_empty(), "{}", err(&o));
}

/// The walk reads which configuration, virtualenv and ignore files a directory has from its
/// listing (`settings::LISTED`, sorted first) instead of asking the file system per directory:
/// each kind of entry still works, also when the listing cannot say (a symbolic link), when a
/// directory holds nothing else, and for a shebang script that happens to bear such a name.
#[test]
fn configuration_venvs_and_ignores_are_read_from_the_walks_listing() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "app.py", LOOP);
    write(p, "sub/fdlint.toml", "extend-exclude = [\"skip_*.py\"]\n");
    write(p, "sub/skip_me.py", LOOP);
    write(p, "sub/deep/kept.py", LOOP);
    write(p, "sub/deep/skip_too.py", LOOP);
    // A configuration by a symbolic link: only the file system can say it is a file.
    write(p, "linked/skip_me.py", LOOP);
    write(p, "linked/kept.py", LOOP);
    #[cfg(unix)]
    std::os::unix::fs::symlink("../sub/fdlint.toml", p.join("linked/fdlint.toml")).unwrap();
    // A virtualenv whose directory holds its pyvenv.cfg and only directories, and one whose
    // pyvenv.cfg is all it holds at the top.
    write(p, "env/pyvenv.cfg", "home = /usr/bin\n");
    write(p, "env/lib/m.py", LOOP);
    write(p, "env2/pyvenv.cfg", "home = /usr/bin\n");
    // A .gitignore in a directory that holds nothing else at its own level.
    write(p, "ign/.gitignore", "*.py\n");
    write(p, "ign/a/gone.py", LOOP);
    // A script named like a configuration file, run by Python.
    write(p, "tools/pyproject.toml", "#!/usr/bin/env python\n");
    let o = check(p, &["--show-files"]);
    let mut want = vec!["./app.py", "./sub/deep/kept.py"];
    if cfg!(unix) {
        want.insert(1, "./linked/kept.py");
    } else {
        want.insert(1, "./linked/kept.py");
        want.insert(2, "./linked/skip_me.py");
    }
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .collect::<Vec<_>>(),
        want,
        "{}",
        err(&o)
    );
    // With `--no-ignore` the .gitignore does not apply, the rest does.
    let o = check(p, &["--show-files", "--no-ignore"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("./ign/a/gone.py\n"),
        "{}",
        err(&o)
    );
}
