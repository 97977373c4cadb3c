//! The pre-commit hook (`.pre-commit-hooks.yaml`), run by the real `pre-commit try-repo` in a
//! throwaway repository: it fails on a bad file, and passes once the loop is fixed or suppressed,
//! or excluded by the configuration (the hook passes `--force-exclude`).
//!
//! Slow: pre-commit builds the hook with `cargo install` (language: rust) for each `try-repo`,
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
            .args(["fdlint", "--all-files", "--color", "never"])
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
