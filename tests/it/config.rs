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
