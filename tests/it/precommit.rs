//! The pre-commit hooks (`.pre-commit-hooks.yaml`), run by the real pre-commit in throwaway
//! repositories: `fdlint-rust` (built from source by `try-repo`) fails on a bad file and passes
//! once the loop is fixed or suppressed, or excluded by the configuration (the hooks pass
//! `--force-exclude`); `fdlint` (language: python) installs the wheel from a local index with no
//! Rust toolchain on PATH.
//!
//! Slow: pre-commit builds the `fdlint-rust` hook with `cargo install` for each `try-repo`,
//! which uses a fresh store every time. The builds share one target directory and an
//! unoptimised release profile (environment overrides that pre-commit passes through to cargo),
//! so only the first one compiles the dependencies.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::tools;

fn git(dir: &Path, args: &[&str]) -> Output {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn init_repo(dir: &Path) {
    git(dir, &["init", "-q"]);
    git(dir, &["config", "user.name", "fdlint tests"]);
    git(dir, &["config", "user.email", "tests@fdlint.invalid"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
}

/// A repository holding this checkout's files as they are in the working tree, committed.
/// `try-repo` on the checkout itself would see only tracked files (plus their changes), so a
/// new, not yet added source file would be missing from the hook's build.
fn snapshot_of_this_checkout(dest: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = git(
        root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    for name in o.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).expect("UTF-8 file names");
        let from = root.join(name);
        if !from.is_file() {
            continue; // Deleted in the working tree.
        }
        let to = dest.join(name);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(&from, &to).unwrap();
    }
    init_repo(dest);
    git(dest, &["add", "-A"]);
    git(dest, &["commit", "-q", "-m", "snapshot"]);
}

const BAD: &str = "import os\n\nfor fd in range(3, os.sysconf(\"SC_OPEN_MAX\")): os.close(fd)\n";
const FIXED: &str = "import os\n\nos.closerange(3, os.sysconf(\"SC_OPEN_MAX\"))\n";
const SUPPRESSED: &str = "import os\n\nfor fd in range(3, os.sysconf(\"SC_OPEN_MAX\")): os.close(fd)  \
                          # fdlint: ignore[FD001] -- reason\n";
const GOOD: &str = "import subprocess\n\nsubprocess.run([\"true\"], close_fds=True)\n";

#[test]
#[cfg_attr(not(fdlint_has_pre_commit), ignore = "pre-commit not found: SKIPPED")]
fn pre_commit_hook_fails_on_the_loop_and_passes_when_fixed_or_suppressed() {
    let Some(pre_commit) = tools::find("pre-commit", "FDLINT_PRE_COMMIT") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let hook_repo = tmp.path().join("hook-repo");
    let work = tmp.path().join("work");
    let home = tmp.path().join("pre-commit-home");
    fs::create_dir_all(&hook_repo).unwrap();
    fs::create_dir_all(&work).unwrap();
    snapshot_of_this_checkout(&hook_repo);

    init_repo(&work);
    fs::write(work.join("good.py"), GOOD).unwrap();
    let try_repo = |contents: &str| -> (Option<i32>, String) {
        fs::write(work.join("bad.py"), contents).unwrap();
        git(&work, &["add", "-A"]);
        let o = Command::new(&pre_commit)
            .arg("try-repo")
            .arg(&hook_repo)
            .args(["fdlint-rust", "--all-files", "--color", "never"])
            .current_dir(&work)
            .env("PRE_COMMIT_HOME", &home)
            .env(
                "CARGO_TARGET_DIR",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-cargo-target"),
            )
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .env_remove("SKIP")
            .stdin(Stdio::null())
            .output()
            .expect("pre-commit runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.code(), text)
    };

    let (status, out) = try_repo(BAD);
    assert_eq!(status, Some(1), "{out}");
    assert!(out.contains("fdlint") && out.contains("Failed"), "{out}");
    assert!(out.contains("bad.py"), "{out}");
    assert!(out.contains("FD001"), "{out}");
    assert!(!out.contains("good.py"), "{out}");

    let (status, out) = try_repo(FIXED);
    assert_eq!(status, Some(0), "{out}");
    assert!(out.contains("Passed"), "{out}");

    let (status, out) = try_repo(SUPPRESSED);
    assert_eq!(status, Some(0), "{out}");
    assert!(out.contains("Passed"), "{out}");

    // pre-commit names every staged file, so the configuration's `exclude` holds only because
    // the hook passes --force-exclude: the excluded file is not linted.
    fs::write(work.join("fdlint.toml"), "exclude = [\"bad.py\"]\n").unwrap();
    let (status, out) = try_repo(BAD);
    assert_eq!(status, Some(0), "{out}");
    assert!(out.contains("Passed"), "{out}");
    assert!(!out.contains("FD001"), "{out}");
}

/// The `language: python` hook, as a user's `.pre-commit-config.yaml` names it, installed by
/// `pre-commit run` from a local wheel index (pip reads `PIP_NO_INDEX` / `PIP_FIND_LINKS` from
/// the environment pre-commit passes on) with a PATH without cargo or rustup: the hook repository's
/// root `pyproject.toml` is a shim that requires the `fdlint` wheel, so nothing is compiled.
/// The first run's time (creating the hook's virtualenv, installing, linting) is the figure in
/// docs/pre-commit.md.
#[test]
#[cfg_attr(
    not(all(fdlint_has_pre_commit, fdlint_has_maturin)),
    ignore = "pre-commit or maturin not found: SKIPPED"
)]
fn pre_commit_python_hook_installs_the_wheel_without_rust() {
    let Some(pre_commit) = tools::find("pre-commit", "FDLINT_PRE_COMMIT") else {
        return;
    };
    let Some(wheels) = crate::wheel::built_wheel() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let hook_repo = tmp.path().join("hook-repo");
    let work = tmp.path().join("work");
    fs::create_dir_all(&hook_repo).unwrap();
    fs::create_dir_all(&work).unwrap();
    snapshot_of_this_checkout(&hook_repo);
    let rev = git(&hook_repo, &["rev-parse", "HEAD"]).stdout;
    let rev = String::from_utf8(rev).unwrap();

    init_repo(&work);
    fs::write(
        work.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: fdlint\n",
            hook_repo.display(),
            rev.trim()
        ),
    )
    .unwrap();
    fs::write(work.join("good.py"), GOOD).unwrap();
    let bin = pre_commit.parent().unwrap();
    let path = crate::wheel::path_without_rust(bin);
    let run = |contents: &str| -> (Option<i32>, String, f64) {
        fs::write(work.join("bad.py"), contents).unwrap();
        git(&work, &["add", "-A"]);
        let start = std::time::Instant::now();
        let o = Command::new(&pre_commit)
            .args(["run", "--all-files", "--color", "never"])
            .current_dir(&work)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", tmp.path().join("pre-commit-home"))
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", wheels)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .env_remove("SKIP")
            .stdin(Stdio::null())
            .output()
            .expect("pre-commit runs");
        let secs = start.elapsed().as_secs_f64();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.code(), text, secs)
    };

    let (status, out, cold) = run(BAD);
    assert_eq!(status, Some(1), "{out}");
    assert!(out.contains("fdlint") && out.contains("Failed"), "{out}");
    assert!(out.contains("bad.py") && out.contains("FD001"), "{out}");
    assert!(!out.contains("good.py"), "{out}");
    let (status, out, warm) = run(FIXED);
    assert_eq!(status, Some(0), "{out}");
    assert!(out.contains("Passed"), "{out}");
    // The hook's environment has the wheel's binary, not a build.
    let envs = tmp.path().join("pre-commit-home");
    let installed: Vec<_> = walkdir::WalkDir::new(&envs)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "fdlint" && e.path().parent().unwrap().ends_with("bin"))
        .collect();
    assert_eq!(installed.len(), 1, "{installed:?}");
    eprintln!(
        "pre-commit: `pre-commit run --all-files` of the python hook from a local wheel index: \
         first run (virtualenv + install + lint) {cold:.1} s, next run {warm:.1} s"
    );
}

/// `.pre-commit-hooks.yaml` is a valid manifest (pre-commit's own check) with the python hook as
/// `fdlint` and the source build as `fdlint-rust`, both running the same command.
#[test]
fn hook_manifest_is_valid_with_a_python_and_a_rust_hook() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<&str> = text.split("\n- id: ").skip(1).collect();
    assert_eq!(hooks.len(), 2, "{text}");
    assert!(hooks[0].starts_with("fdlint\n") && hooks[0].contains("\n  language: python\n"));
    assert!(hooks[1].starts_with("fdlint-rust\n") && hooks[1].contains("\n  language: rust\n"));
    for h in &hooks {
        assert!(
            h.contains("\n  entry: fdlint check --force-exclude\n"),
            "{h}"
        );
    }
    let Some(pre_commit) = tools::find("pre-commit", "FDLINT_PRE_COMMIT") else {
        return;
    };
    let o = Command::new(&pre_commit)
        .arg("validate-manifest")
        .arg(root.join(".pre-commit-hooks.yaml"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
