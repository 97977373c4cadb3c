//! `fdlint deps` and baselines, on the fake but faithful dependency trees under `fixtures/deps/`
//! (a venv's site-packages, a bundle with its Gemfile.lock, a cargo registry with its Cargo.lock).
//!
//! Ruby and Rust attribution is tested through the deps API (which file belongs to which
//! package and version); findings are tested through Python files, which every ecosystem may
//! ship (pygments.rb shipped the incident's helper script).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use fdlint::cli::{self, ExitStatus};
use fdlint::deps::{self, Env, Options};

fn deps_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/deps")
}

/// `package_path -> "name version (ecosystem)"` for every file resolution found.
fn attribution(opts: &Options, env: &Env) -> (BTreeMap<String, String>, deps::Resolved) {
    let resolved = deps::resolve(opts, env).expect("resolves");
    let map = resolved
        .files
        .iter()
        .map(|f| (f.package_path.clone(), f.package.to_string()))
        .collect();
    (map, resolved)
}

fn run(args: &[&str]) -> (ExitStatus, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = std::iter::once("fdlint".to_string()).chain(args.iter().map(|s| s.to_string()));
    let status = cli::run(argv, &mut out, &mut err);
    (
        status,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn json_findings(stdout: &str) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(stdout).expect("JSON output");
    doc["findings"].as_array().unwrap().clone()
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn python_files_are_attributed_by_record_and_egg_info() {
    let opts = Options {
        venv: Some(deps_root().join("venv")),
        ..Options::default()
    };
    let (map, resolved) = attribution(&opts, &Env::default());
    let expected = [
        ("../../../bin/daemonlib-run", "daemonlib 1.0 (pypi)"),
        ("cleanpkg/__init__.py", "cleanpkg 2.3.1 (pypi)"),
        ("daemonlib/__init__.py", "daemonlib 1.0 (pypi)"),
        ("daemonlib/daemon.py", "daemonlib 1.0 (pypi)"),
        ("oldpkg/__init__.py", "oldpkg 0.9 (pypi)"),
        ("stray_module.py", "? (pypi)"),
    ];
    let expected: BTreeMap<String, String> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(map, expected);
    // The console script's RECORD path climbs out of site-packages; it is read where it is.
    let script = resolved
        .files
        .iter()
        .find(|f| f.package_path.ends_with("daemonlib-run"))
        .unwrap();
    assert_eq!(script.path, deps_root().join("venv/bin/daemonlib-run"));
    let names: Vec<String> = resolved.packages.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        names,
        [
            "? (pypi)",
            "cleanpkg 2.3.1 (pypi)",
            "daemonlib 1.0 (pypi)",
            "oldpkg 0.9 (pypi)"
        ]
    );
}

#[test]
fn gems_are_attributed_by_gem_directory() {
    let opts = Options {
        gemfile_lock: Some(deps_root().join("ruby/Gemfile.lock")),
        ..Options::default()
    };
    let (map, resolved) = attribution(&opts, &Env::default());
    let got: Vec<(&str, &str)> = map.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        got,
        [
            ("lib/fdsweeper.rb", "fdsweeper 0.3.0 (rubygems)"),
            // Locked as 1.15.0, installed as nokogiri-1.15.0-x86_64-linux.
            ("lib/nokogiri.rb", "nokogiri 1.15.0 (rubygems)"),
            ("lib/pygments.rb", "pygments.rb 2.4.0 (rubygems)"),
            ("lib/pygments/mentos.py", "pygments.rb 2.4.0 (rubygems)"),
            ("lib/rake.rb", "rake 13.0.6 (rubygems)"),
        ]
    );
    assert_eq!(resolved.missing, []);
}

#[test]
fn gems_are_found_through_gem_home() {
    // A lockfile with no bundle beside it: the gems are found through GEM_HOME alone.
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(
        deps_root().join("ruby/Gemfile.lock"),
        tmp.path().join("Gemfile.lock"),
    )
    .unwrap();
    let env = Env::default().with(
        "GEM_HOME",
        s(&deps_root().join("ruby/vendor/bundle/ruby/3.1.0")),
    );
    let opts = Options {
        gemfile_lock: Some(tmp.path().join("Gemfile.lock")),
        ..Options::default()
    };
    let (map, _) = attribution(&opts, &env);
    assert_eq!(map["lib/fdsweeper.rb"], "fdsweeper 0.3.0 (rubygems)");
}

#[test]
fn crates_are_attributed_from_registry_and_vendor() {
    let root = deps_root().join("rust");
    let opts = Options {
        cargo_lock: Some(root.join("Cargo.lock")),
        cargo_home: Some(root.clone()),
        ..Options::default()
    };
    let (map, resolved) = attribution(&opts, &Env::default());
    let files: Vec<(&str, &str)> = resolved
        .files
        .iter()
        .map(|f| {
            (
                f.path.strip_prefix(&root).unwrap().to_str().unwrap(),
                f.package_path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            (
                "registry/src/index.crates.io-1949cf8c6b5b557f/fdcloser-0.2.1/src/lib.rs",
                "src/lib.rs"
            ),
            (
                "registry/src/index.crates.io-1949cf8c6b5b557f/libc-0.2.150/src/lib.rs",
                "src/lib.rs"
            ),
            (
                "registry/src/index.crates.io-1949cf8c6b5b557f/tidy-1.0.0/src/lib.rs",
                "src/lib.rs"
            ),
            ("vendor/vendored-util/src/lib.rs", "src/lib.rs"),
        ]
    );
    let names: Vec<String> = resolved.packages.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        names,
        [
            "fdcloser 0.2.1 (crates.io)",
            "libc 0.2.150 (crates.io)",
            "tidy 1.0.0 (crates.io)",
            "vendored-util 0.4.2 (crates.io)"
        ]
    );
    assert_eq!(map.len(), 1, "all four files are src/lib.rs");
    assert_eq!(resolved.missing, []);
}

#[test]
fn auto_detection_finds_nothing_in_an_empty_project() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = Options {
        project: tmp.path().to_path_buf(),
        ..Options::default()
    };
    assert!(matches!(
        deps::resolve(&opts, &Env::default()),
        Err(deps::DepsError::NothingFound(_))
    ));
    // With VIRTUAL_ENV set, the venv is found.
    let env = Env::default().with("VIRTUAL_ENV", s(&deps_root().join("venv")));
    let found = deps::resolve(&opts, &env).unwrap();
    assert!(
        found
            .files
            .iter()
            .any(|f| f.package_path == "daemonlib/daemon.py")
    );
}

#[test]
fn findings_carry_their_package() {
    let venv = deps_root().join("venv");
    let (status, out, _) = run(&["deps", "--venv", s(&venv), "--format", "json"]);
    assert_eq!(status, ExitStatus::Findings);
    let findings = json_findings(&out);
    assert_eq!(findings.len(), 1, "{out}");
    assert_eq!(findings[0]["code"], "FD001");
    assert_eq!(
        findings[0]["package"],
        serde_json::json!({"ecosystem": "pypi", "name": "daemonlib", "version": "1.0", "path": "daemonlib/daemon.py"})
    );

    let (_, human, err) = run(&["deps", "--venv", s(&venv), "--color", "never"]);
    assert!(human.starts_with("daemonlib 1.0 (pypi)\n"), "{human}");
    assert!(
        err.contains("1 finding in 1 file; 6 files scanned in"),
        "{err}"
    );
}

#[test]
fn a_gem_shipping_a_python_helper_is_reported_under_the_gem() {
    let lock = deps_root().join("ruby/Gemfile.lock");
    let (_, out, _) = run(&["deps", "--gemfile-lock", s(&lock), "--format", "json"]);
    let py: Vec<_> = json_findings(&out)
        .into_iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with(".py"))
        .collect();
    assert_eq!(py.len(), 1, "{out}");
    assert_eq!(py[0]["code"], "FD001");
    assert_eq!(
        py[0]["package"],
        serde_json::json!({"ecosystem": "rubygems", "name": "pygments.rb", "version": "2.4.0", "path": "lib/pygments/mentos.py", "pin": {"path": "fixtures/deps/ruby/Gemfile.lock", "line": 7}})
    );
}

/// A copy of the fixture venv with daemonlib bumped to 1.1: the dist-info renamed, METADATA and
/// RECORD rewritten, and blank lines and a comment inserted above the loop.
fn bumped_venv(dir: &Path) -> PathBuf {
    let venv = dir.join("venv");
    copy_tree(&deps_root().join("venv"), &venv);
    let sp = venv.join("lib/python3.11/site-packages");
    fs::rename(
        sp.join("daemonlib-1.0.dist-info"),
        sp.join("daemonlib-1.1.dist-info"),
    )
    .unwrap();
    let di = sp.join("daemonlib-1.1.dist-info");
    for f in ["METADATA", "RECORD"] {
        let text = fs::read_to_string(di.join(f)).unwrap();
        let text = text
            .replace("Version: 1.0", "Version: 1.1")
            .replace("daemonlib-1.0.dist-info", "daemonlib-1.1.dist-info");
        fs::write(di.join(f), text).unwrap();
    }
    let module = sp.join("daemonlib/daemon.py");
    let text = fs::read_to_string(&module).unwrap().replace(
        "def close_all_open_files",
        "\n\n# Moved down by the 1.1 release.\n\ndef close_all_open_files",
    );
    fs::write(&module, text).unwrap();
    venv
}

#[test]
fn baseline_accepts_the_findings_it_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    let venv = deps_root().join("venv");
    let (status, _, _) = run(&[
        "deps",
        "--venv",
        s(&venv),
        "--write-baseline",
        s(&baseline),
        "--format",
        "json",
    ]);
    assert_eq!(status, ExitStatus::Findings);
    let text = fs::read_to_string(&baseline).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], 1);
    let entry = &doc["findings"][0];
    assert_eq!(entry["ecosystem"], "pypi");
    assert_eq!(entry["package"], "daemonlib");
    assert_eq!(entry["path"], "daemonlib/daemon.py");
    assert_eq!(entry["rule"], "FD001");
    assert!(entry.get("version").is_none() && entry.get("line").is_none());

    // Writing again gives the same bytes.
    let again = tmp.path().join("again.json");
    run(&["deps", "--venv", s(&venv), "--write-baseline", s(&again)]);
    assert_eq!(text, fs::read_to_string(&again).unwrap());

    let (status, out, err) = run(&[
        "deps",
        "--venv",
        s(&venv),
        "--baseline",
        s(&baseline),
        "--format",
        "json",
    ]);
    assert_eq!(status, ExitStatus::Clean, "{err}");
    assert!(json_findings(&out).is_empty());
    assert!(err.contains("1 known finding in baseline"), "{err}");
}

#[test]
fn baseline_survives_a_version_bump_that_does_not_touch_the_loop() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    run(&[
        "deps",
        "--venv",
        s(&deps_root().join("venv")),
        "--write-baseline",
        s(&baseline),
    ]);
    let venv = bumped_venv(tmp.path());
    // Without the baseline the bumped package still has its finding, under the new version...
    let (_, out, _) = run(&["deps", "--venv", s(&venv), "--format", "json"]);
    let findings = json_findings(&out);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["package"]["version"], "1.1");
    // ...and the baseline still recognises it.
    let (status, out, err) = run(&[
        "deps",
        "--venv",
        s(&venv),
        "--baseline",
        s(&baseline),
        "--format",
        "json",
    ]);
    assert_eq!(status, ExitStatus::Clean, "{err}");
    assert!(json_findings(&out).is_empty(), "{out}");
}

#[test]
fn a_bump_that_brings_a_new_loop_is_reported_with_the_new_version() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    run(&[
        "deps",
        "--venv",
        s(&deps_root().join("venv")),
        "--write-baseline",
        s(&baseline),
    ]);
    let venv = bumped_venv(tmp.path());
    let sp = venv.join("lib/python3.11/site-packages");
    fs::write(
        sp.join("daemonlib/spawn.py"),
        "import os\nimport resource\n\n\ndef spawn(argv):\n    pid = os.fork()\n    if pid == 0:\n        \
         soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n        for fd in range(3, hard):\n            \
         try:\n                os.close(fd)\n            except OSError:\n                pass\n        \
         os.execvp(argv[0], argv)\n    return pid\n",
    )
    .unwrap();
    let record = sp.join("daemonlib-1.1.dist-info/RECORD");
    let mut text = fs::read_to_string(&record).unwrap();
    text.push_str("daemonlib/spawn.py,sha256=x,300\n");
    fs::write(&record, text).unwrap();

    let (status, out, err) = run(&[
        "deps",
        "--venv",
        s(&venv),
        "--baseline",
        s(&baseline),
        "--format",
        "json",
    ]);
    assert_eq!(status, ExitStatus::Findings);
    let findings = json_findings(&out);
    assert_eq!(findings.len(), 1, "{out}");
    assert_eq!(
        findings[0]["package"],
        serde_json::json!({"ecosystem": "pypi", "name": "daemonlib", "version": "1.1", "path": "daemonlib/spawn.py"})
    );
    assert!(err.contains("1 known finding in baseline"), "{err}");
}

#[test]
fn check_supports_baselines_too() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    let incident = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/incident");
    let (status, _, _) = run(&["check", s(&incident), "--write-baseline", s(&baseline)]);
    assert_eq!(status, ExitStatus::Findings);
    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&baseline).unwrap()).unwrap();
    let entry = &doc["findings"][0];
    assert!(entry.get("package").is_none());
    assert!(
        entry["path"]
            .as_str()
            .unwrap()
            .ends_with("fixtures/incident/highlighter_helper.py")
    );
    let (status, _, err) = run(&["check", s(&incident), "--baseline", s(&baseline)]);
    assert_eq!(status, ExitStatus::Clean, "{err}");
    assert!(err.contains("known finding"), "{err}");

    let (status, _, err) = run(&[
        "check",
        s(&incident),
        "--baseline",
        s(&tmp.path().join("none")),
    ]);
    assert_eq!(status, ExitStatus::Error, "{err}");
}

/// The real thing: a virtualenv with python-daemon 2.2.4 from PyPI. Its
/// `daemon/daemon.py` builds `set(range(0, maxfd))` with `maxfd` from
/// `get_maximum_file_descriptors()` (the hard RLIMIT_NOFILE, 2048 when infinite): FD002.
/// Run with `cargo test -- --ignored deps_e2e`; skipped when PyPI cannot be reached.
#[test]
#[ignore = "needs python3 and PyPI; run with `cargo test -- --ignored deps_e2e`"]
fn deps_e2e_python_daemon() {
    use std::process::Command;
    const VERSION: &str = "2.2.4";
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    let made = Command::new("python3")
        .args(["-m", "venv", s(&venv)])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("deps_e2e: skipped: `python3 -m venv` is not available");
        return;
    }
    let pip = |args: &[&str]| {
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "--disable-pip-version-check", "--quiet"])
            .args(args)
            .output()
            .expect("runs pip")
    };
    let probe = pip(&[
        "download",
        "--no-deps",
        "--dest",
        s(tmp.path()),
        "python-daemon==2.2.4",
    ]);
    if !probe.status.success() {
        eprintln!(
            "deps_e2e: skipped: PyPI is unreachable (pip download failed: {})",
            String::from_utf8_lossy(&probe.stderr).trim()
        );
        return;
    }
    let install = pip(&["install", &format!("python-daemon=={VERSION}")]);
    assert!(
        install.status.success(),
        "pip install failed: {}",
        String::from_utf8_lossy(&install.stderr)
    );
    let (status, out, err) = run(&["deps", "--venv", s(&venv), "--format", "json"]);
    eprintln!("deps_e2e: {}", err.trim());
    assert_eq!(status, ExitStatus::Findings, "{err}");
    let ours: Vec<_> = json_findings(&out)
        .into_iter()
        .filter(|f| f["package"]["name"] == "python-daemon")
        .collect();
    assert_eq!(ours.len(), 1, "{out}");
    assert_eq!(ours[0]["code"], "FD002");
    assert_eq!(ours[0]["package"]["version"], VERSION);
    assert_eq!(ours[0]["package"]["ecosystem"], "pypi");
    assert_eq!(ours[0]["package"]["path"], "daemon/daemon.py");
    assert_eq!(ours[0]["line"], 888);
}

#[test]
fn every_format_names_the_package_and_sarif_keeps_baselined_findings() {
    let venv = deps_root().join("venv");
    let (_, sarif, _) = run(&["deps", "--venv", s(&venv), "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(
        result["properties"]["package"],
        serde_json::json!({"ecosystem": "pypi", "name": "daemonlib", "version": "1.0", "path": "daemonlib/daemon.py"})
    );
    assert!(result.get("suppressions").is_none());
    let (_, github, _) = run(&["deps", "--venv", s(&venv), "--format", "github"]);
    assert!(
        github.contains("title=fdlint (FD001) in daemonlib 1.0 (pypi)"),
        "{github}"
    );
    let (_, concise, _) = run(&["deps", "--venv", s(&venv), "--format", "concise"]);
    assert!(
        concise.trim_end().ends_with("[daemonlib 1.0 (pypi)]"),
        "{concise}"
    );

    // With a baseline that records it, the finding is not reported, but SARIF keeps it,
    // marked as suppressed outside the source.
    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    run(&["deps", "--venv", s(&venv), "--write-baseline", s(&baseline)]);
    let (status, sarif, _) = run(&[
        "deps",
        "--venv",
        s(&venv),
        "--baseline",
        s(&baseline),
        "--format",
        "sarif",
    ]);
    assert_eq!(status, ExitStatus::Clean);
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["suppressions"][0]["kind"], "external");
}

/// A copy of the Ruby fixture's lockfile in an empty directory, naming only gems no real gem
/// directory holds, so the process's own GEM_HOME cannot satisfy it.
fn lone_gemfile_lock(dir: &Path) -> PathBuf {
    let lock = dir.join("Gemfile.lock");
    fs::write(
        &lock,
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    fdsweeper (0.3.0)\n    \
         pygments.rb (2.4.0)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  fdsweeper\n  \
         pygments.rb\n",
    )
    .unwrap();
    lock
}

#[test]
fn a_bundle_that_is_not_installed_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = lone_gemfile_lock(tmp.path());
    let (status, out, err) = run(&["deps", "--gemfile-lock", s(&lock), "--format", "json"]);
    assert_eq!(status, ExitStatus::Error, "{err}");
    assert_eq!(out, "", "nothing is reported as if it had been scanned");
    assert!(
        err.contains("2 locked gems are not installed (fdsweeper 0.3.0, pygments.rb 2.4.0)"),
        "{err}"
    );
    assert!(err.contains("`bundle install`"), "{err}");
    assert!(err.contains("--allow-missing"), "{err}");

    // Opting out: a warning, and the exit status is the findings' (there are none).
    let (status, out, err) = run(&[
        "deps",
        "--gemfile-lock",
        s(&lock),
        "--allow-missing",
        "--format",
        "json",
    ]);
    assert_eq!(status, ExitStatus::Clean, "{err}");
    assert!(err.contains("fdlint: warning: "), "{err}");
    assert_eq!(json_findings(&out).len(), 0);
}

#[test]
fn a_bundle_with_some_gems_missing_is_an_error_naming_them() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&deps_root().join("ruby"), tmp.path());
    fs::remove_dir_all(tmp.path().join("vendor/bundle/ruby/3.1.0/gems/rake-13.0.6")).unwrap();
    let lock = tmp.path().join("Gemfile.lock");
    let (status, _, err) = run(&["deps", "--gemfile-lock", s(&lock)]);
    assert_eq!(status, ExitStatus::Error, "{err}");
    assert!(
        err.contains("1 locked gem is not installed (rake 13.0.6)"),
        "{err}"
    );
    // With --allow-missing, the installed gems are scanned and their findings decide.
    let (status, out, err) = run(&[
        "deps",
        "--gemfile-lock",
        s(&lock),
        "--allow-missing",
        "--format",
        "json",
    ]);
    assert_eq!(status, ExitStatus::Findings, "{err}");
    assert!(!json_findings(&out).is_empty());
}

#[test]
fn a_gem_locked_for_another_platform_too_is_not_missing() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&deps_root().join("ruby"), tmp.path());
    let lock = tmp.path().join("Gemfile.lock");
    let text = fs::read_to_string(&lock).unwrap().replace(
        "    rake (13.0.6)\n",
        "    rake (13.0.6)\n    rake (13.0.6-x64-mingw-ucrt)\n",
    );
    fs::write(&lock, text).unwrap();
    let (status, _, err) = run(&["deps", "--gemfile-lock", s(&lock)]);
    assert_eq!(status, ExitStatus::Findings, "{err}");
}

#[test]
fn an_empty_cargo_home_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = deps_root().join("rust/Cargo.lock");
    let (status, out, err) = run(&[
        "deps",
        "--cargo-lock",
        s(&lock),
        "--cargo-home",
        s(tmp.path()),
    ]);
    assert_eq!(status, ExitStatus::Error, "{err}");
    assert_eq!(out, "");
    // vendored-util is found in vendor/ beside the lockfile; the registry crates are not.
    assert!(
        err.contains("3 locked crates are not found (fdcloser 0.2.1, libc 0.2.150, tidy 1.0.0)"),
        "{err}"
    );
    assert!(err.contains("`cargo fetch --locked`"), "{err}");
    assert!(err.contains("cargo vendor"), "{err}");

    let (status, _, err) = run(&[
        "deps",
        "--cargo-lock",
        s(&lock),
        "--cargo-home",
        s(tmp.path()),
        "--allow-missing",
    ]);
    assert_ne!(status, ExitStatus::Error, "{err}");
    assert!(err.contains("fdlint: warning: "), "{err}");
}

#[test]
fn a_scan_that_finds_no_package_is_an_error() {
    // A virtualenv with nothing installed: there is nothing to vouch for.
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("venv/lib/python3.12/site-packages")).unwrap();
    let venv = tmp.path().join("venv");
    let (status, _, err) = run(&["deps", "--venv", s(&venv)]);
    assert_eq!(status, ExitStatus::Error, "{err}");
    assert!(err.contains("no installed package found"), "{err}");
    let (status, _, _) = run(&["deps", "--venv", s(&venv), "--allow-missing"]);
    assert_eq!(status, ExitStatus::Clean);
}

#[test]
fn requirements_without_a_virtualenv_are_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("requirements.txt"), "spawnkit==0.4.0\n").unwrap();
    let opts = Options {
        project: tmp.path().to_path_buf(),
        ..Options::default()
    };
    let resolved = deps::resolve(&opts, &Env::default()).unwrap();
    assert_eq!(resolved.missing.len(), 1, "{:?}", resolved.missing);
    let m = resolved.missing[0].to_string();
    assert!(m.contains("no virtualenv found"), "{m}");
    assert!(m.contains("pip install -r requirements.txt"), "{m}");
}

#[test]
fn a_virtualenv_is_judged_on_its_own_python() {
    let venv = deps_root().join("venv38");
    let (status, out, err) = run(&["deps", "--venv", s(&venv), "--format", "json"]);
    assert_eq!(status, ExitStatus::Findings, "{err}");
    let findings = json_findings(&out);
    assert_eq!(findings.len(), 1, "{out}");
    assert_eq!(findings[0]["code"], "FD005");
    assert_eq!(findings[0]["package"]["name"], "spawnkit");
    let notes = findings[0]["notes"].to_string();
    assert!(notes.contains("Python 3.8"), "{notes}");
    assert!(notes.contains("pyvenv.cfg"), "{notes}");

    // The flag still wins: on 3.12 `os.closerange` is one close_range call.
    let (status, out, _) = run(&[
        "deps",
        "--venv",
        s(&venv),
        "--python-version",
        "3.12",
        "--format",
        "json",
    ]);
    assert_eq!(status, ExitStatus::Clean);
    assert_eq!(json_findings(&out).len(), 0, "{out}");

    // Without a version in pyvenv.cfg, the lib/pythonX.Y directory says it.
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&venv, tmp.path());
    fs::write(tmp.path().join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    let (_, out, _) = run(&["deps", "--venv", s(tmp.path()), "--format", "json"]);
    let findings = json_findings(&out);
    assert_eq!(findings.len(), 1, "{out}");
    assert!(
        findings[0]["notes"].to_string().contains("python3.8"),
        "{out}"
    );

    // A configuration file's python-version does not override the virtualenv's.
    let project = tempfile::tempdir().unwrap();
    let config = project.path().join("fdlint.toml");
    fs::write(&config, "python-version = \"3.12\"\n").unwrap();
    let (_, out, err) = run(&[
        "deps",
        "--venv",
        s(&venv),
        "--config",
        s(&config),
        "--format",
        "json",
    ]);
    assert_eq!(json_findings(&out).len(), 1, "{out}{err}");
}

#[test]
fn debian_system_gems_are_found_in_arch_directories_and_vendor_ruby() {
    let debian = deps_root().join("debian");
    let opts = Options {
        gemfile_lock: Some(debian.join("project/Gemfile.lock")),
        system_gems: true,
        system_root: Some(debian.join("root")),
        ..Options::default()
    };
    let (_, resolved) = attribution(&opts, &Env::default());
    let got: Vec<(String, String, String)> = resolved
        .files
        .iter()
        .map(|f| {
            (
                f.path
                    .strip_prefix(debian.join("root"))
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f.package.to_string(),
                f.package_path.clone(),
            )
        })
        .collect();
    let want = [
        // gem2deb's executables land in /usr/bin.
        (
            "usr/bin/posix-spawn-benchmark",
            "posix-spawn 0.3.13 (rubygems)",
            "bin/posix-spawn-benchmark",
        ),
        // Pure-Ruby gems: files in vendor_ruby, attributed through the gemspec's file list.
        (
            "usr/lib/ruby/vendor_ruby/daemons.rb",
            "daemons 1.4.1 (rubygems)",
            "lib/daemons.rb",
        ),
        (
            "usr/lib/ruby/vendor_ruby/daemons/daemonize.rb",
            "daemons 1.4.1 (rubygems)",
            "lib/daemons/daemonize.rb",
        ),
        (
            "usr/lib/ruby/vendor_ruby/posix-spawn.rb",
            "posix-spawn 0.3.13 (rubygems)",
            "lib/posix-spawn.rb",
        ),
        (
            "usr/lib/ruby/vendor_ruby/posix/spawn.rb",
            "posix-spawn 0.3.13 (rubygems)",
            "lib/posix/spawn.rb",
        ),
        (
            "usr/lib/ruby/vendor_ruby/posix/spawn/child.rb",
            "posix-spawn 0.3.13 (rubygems)",
            "lib/posix/spawn/child.rb",
        ),
        (
            "usr/lib/ruby/vendor_ruby/posix/spawn/version.rb",
            "posix-spawn 0.3.13 (rubygems)",
            "lib/posix/spawn/version.rb",
        ),
        // A gem with a native extension: Debian's arch-specific gem directory.
        (
            "usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/gems/nio4r-2.5.8/lib/nio.rb",
            "nio4r 2.5.8 (rubygems)",
            "lib/nio.rb",
        ),
        (
            "usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/gems/nio4r-2.5.8/lib/nio/version.rb",
            "nio4r 2.5.8 (rubygems)",
            "lib/nio/version.rb",
        ),
    ];
    let mut want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    let mut got = got;
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(resolved.missing, [], "every locked gem is installed");

    // End to end: the vendor_ruby loop is reported under its gem, and nothing is missing.
    let (status, out, err) = run(&[
        "deps",
        "--gemfile-lock",
        s(&debian.join("project/Gemfile.lock")),
        "--system-gems",
        "--system-root",
        s(&debian.join("root")),
        "--format",
        "json",
    ]);
    assert_eq!(status, ExitStatus::Findings, "{err}");
    let findings: Vec<_> = json_findings(&out)
        .into_iter()
        .filter(|f| f["code"] == "FD001")
        .collect();
    assert_eq!(findings.len(), 1, "{out}");
    assert_eq!(
        findings[0]["package"],
        serde_json::json!({"ecosystem": "rubygems", "name": "posix-spawn", "version": "0.3.13", "path": "lib/posix/spawn.rb", "pin": {"path": "fixtures/deps/debian/project/Gemfile.lock", "line": 6}})
    );
    // Without --system-gems, the same lockfile is not installed anywhere fdlint looks.
    let (status, _, err) = run(&[
        "deps",
        "--gemfile-lock",
        s(&debian.join("project/Gemfile.lock")),
        "--system-root",
        s(&debian.join("root")),
    ]);
    assert_eq!(status, ExitStatus::Error, "{err}");
    assert!(err.contains("--system-gems"), "{err}");
}

#[test]
fn dependency_findings_are_located_at_the_line_that_pins_the_package() {
    // The CLI's project is the working directory, the repository root in tests: the fixture
    // lockfile's path is reported relative to it, as a pull request's diff names it.
    let lock = deps_root().join("ruby/Gemfile.lock");
    let rel_lock = "fixtures/deps/ruby/Gemfile.lock";
    let (_, sarif, _) = run(&["deps", "--gemfile-lock", s(&lock), "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    crate::formats::assert_valid_sarif(&log);
    let run0 = &log["runs"][0];
    let result = run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["properties"]["package"]["name"] == "pygments.rb")
        .expect("the pygments.rb finding");
    let at = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        at["artifactLocation"],
        serde_json::json!({"uri": rel_lock, "uriBaseId": "%SRCROOT%"})
    );
    // `    pygments.rb (2.4.0)` is line 7 of the lockfile.
    assert_eq!(at["region"], serde_json::json!({"startLine": 7}));
    let message = result["message"]["text"].as_str().unwrap();
    assert!(
        message.starts_with("pygments.rb 2.4.0 (rubygems), lib/pygments/mentos.py:"),
        "{message}"
    );
    // The dependency's own line, relative to the package's root, as a related location.
    let related = &result["relatedLocations"][0]["physicalLocation"];
    let base = related["artifactLocation"]["uriBaseId"].as_str().unwrap();
    assert_eq!(related["artifactLocation"]["uri"], "lib/pygments/mentos.py");
    let root_uri = run0["originalUriBaseIds"][base]["uri"].as_str().unwrap();
    assert!(
        root_uri.ends_with("/vendor/bundle/ruby/3.1.0/gems/pygments.rb-2.4.0/"),
        "{root_uri}"
    );
    assert_eq!(
        run0["originalUriBaseIds"][base]["description"]["text"],
        "pygments.rb 2.4.0 (rubygems)"
    );
    let json_line = {
        let (_, out, _) = run(&["deps", "--gemfile-lock", s(&lock), "--format", "json"]);
        json_findings(&out)
            .into_iter()
            .find(|f| f["package"]["name"] == "pygments.rb")
            .unwrap()
    };
    assert_eq!(related["region"]["startLine"], json_line["line"]);
    // JSON keeps the dependency's own path, and adds the pin.
    assert!(
        json_line["path"]
            .as_str()
            .unwrap()
            .ends_with("lib/pygments/mentos.py")
    );
    assert_eq!(
        json_line["package"]["pin"],
        serde_json::json!({"path": rel_lock, "line": 7})
    );

    // GitHub annotations: on the lockfile line, the message saying where in the package.
    let (_, github, _) = run(&["deps", "--gemfile-lock", s(&lock), "--format", "github"]);
    let annotation = github
        .lines()
        .find(|l| l.contains("in pygments.rb 2.4.0 (rubygems)"))
        .expect("an annotation for pygments.rb");
    assert!(
        annotation.contains(&format!("file={rel_lock},line=7,title=")),
        "{annotation}"
    );
    assert!(
        annotation.contains(&format!("::lib/pygments/mentos.py:{}: ", json_line["line"])),
        "{annotation}"
    );

    // Cargo.lock: the `version = ` line of the crate's [[package]] table.
    let root = deps_root().join("rust");
    let (_, out, _) = run(&[
        "deps",
        "--cargo-lock",
        s(&root.join("Cargo.lock")),
        "--cargo-home",
        s(&root),
        "--format",
        "json",
    ]);
    let fd = json_findings(&out)
        .into_iter()
        .find(|f| f["package"]["name"] == "fdcloser")
        .expect("the fdcloser finding");
    assert_eq!(
        fd["package"]["pin"],
        serde_json::json!({"path": "fixtures/deps/rust/Cargo.lock", "line": 16})
    );
}

#[test]
fn python_packages_are_pinned_by_lockfiles_then_requirements() {
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join(".venv");
    copy_tree(&deps_root().join("venv"), &venv);
    fs::write(
        tmp.path().join("requirements.txt"),
        "# runtime\nCleanPkg==2.3.1\ndaemonlib>=1.0  # any\n",
    )
    .unwrap();
    let opts = Options {
        project: tmp.path().to_path_buf(),
        ..Options::default()
    };
    let pins = |opts: &Options| -> BTreeMap<String, String> {
        deps::resolve(opts, &Env::default())
            .unwrap()
            .packages
            .iter()
            .filter_map(|p| {
                let pin = p.pin.as_ref()?;
                Some((
                    p.name.clone(),
                    format!("{}:{}", pin.path.display(), pin.line),
                ))
            })
            .collect()
    };
    let got = pins(&opts);
    assert_eq!(
        got["cleanpkg"], "requirements.txt:2",
        "names are PEP 503-normalised"
    );
    assert_eq!(
        got["daemonlib"], "requirements.txt:3",
        "a range still names the package"
    );
    assert!(!got.contains_key("oldpkg"), "{got:?}");
    // An exact lockfile wins over requirements.
    fs::write(
        tmp.path().join("poetry.lock"),
        "[[package]]\nname = \"daemonlib\"\nversion = \"1.0\"\ndescription = \"\"\n",
    )
    .unwrap();
    assert_eq!(pins(&opts)["daemonlib"], "poetry.lock:3");
}
