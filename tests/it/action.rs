//! The GitHub Action: `action.yml` and the example workflows validated against GitHub's schemas
//! by the real `check-jsonschema`, and the action's run step (`scripts/action-run.sh`) run
//! locally with a simulated `GITHUB_*` environment.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::tools;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn check_jsonschema() -> Option<PathBuf> {
    tools::find("check-jsonschema", "FDLINT_CHECK_JSONSCHEMA")
}

fn validate(tool: &Path, schema: &str, file: &Path) -> Output {
    Command::new(tool)
        .args(["--builtin-schema", schema])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .expect("check-jsonschema runs")
}

#[test]
#[cfg_attr(
    not(fdlint_has_check_jsonschema),
    ignore = "check-jsonschema not found: SKIPPED"
)]
fn action_yml_is_valid_against_the_github_actions_schema() {
    let Some(tool) = check_jsonschema() else {
        return;
    };
    let o = validate(
        &tool,
        "vendor.github-actions",
        &manifest_dir().join("action.yml"),
    );
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // The validator is not vacuous: a composite step without `shell` is rejected.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("action.yml");
    let text = fs::read_to_string(manifest_dir().join("action.yml")).unwrap();
    let broken = text.replace("    - id: run\n      shell: bash\n", "    - id: run\n");
    assert_ne!(text, broken, "the run step moved; update this test");
    fs::write(&bad, broken).unwrap();
    let o = validate(&tool, "vendor.github-actions", &bad);
    assert!(
        !o.status.success(),
        "a step without `shell` passed validation"
    );
}

#[test]
#[cfg_attr(
    not(fdlint_has_check_jsonschema),
    ignore = "check-jsonschema not found: SKIPPED"
)]
fn example_workflows_are_valid_and_match_the_docs() {
    let examples = manifest_dir().join("docs/examples");
    let mut files: Vec<PathBuf> = fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no workflows in docs/examples");
    // The workflow in docs/github-action.md is the file, verbatim.
    let doc = fs::read_to_string(manifest_dir().join("docs/github-action.md")).unwrap();
    let pr = fs::read_to_string(examples.join("fdlint-pr.yml")).unwrap();
    assert!(
        doc.contains(&format!("```yaml\n{pr}```")),
        "docs/github-action.md must contain docs/examples/fdlint-pr.yml verbatim in a yaml block"
    );
    let Some(tool) = check_jsonschema() else {
        return;
    };
    for f in &files {
        let o = validate(&tool, "vendor.github-workflows", f);
        assert!(
            o.status.success(),
            "{}: {}{}",
            f.display(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// What one simulated run of the action's step left behind.
struct StepRun {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    summary: String,
    outputs: String,
}

fn run_step(workspace: &Path, inputs: &[(&str, &str)]) -> StepRun {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("output");
    fs::write(&summary, "").unwrap();
    fs::write(&outputs, "").unwrap();
    let mut c = Command::new("bash");
    c.arg(manifest_dir().join("scripts/action-run.sh"))
        .env("FDLINT", env!("CARGO_BIN_EXE_fdlint"))
        .env("GITHUB_WORKSPACE", workspace)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env_remove("INPUT_PATHS")
        .env_remove("INPUT_ARGS")
        .env_remove("INPUT_FAIL_ON")
        .env_remove("INPUT_SARIF_FILE")
        .env_remove("INPUT_MODE")
        .env_remove("INPUT_BASELINE")
        .current_dir(dir.path())
        .stdin(Stdio::null());
    for (k, v) in inputs {
        c.env(k, v);
    }
    let o = c.output().expect("bash runs");
    StepRun {
        status: o.status.code(),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
        summary: fs::read_to_string(&summary).unwrap(),
        outputs: fs::read_to_string(&outputs).unwrap(),
    }
}

#[test]
fn action_step_on_the_incident_annotates_summarises_and_fails() {
    let out = tempfile::tempdir().unwrap();
    let sarif = out.path().join("fdlint.sarif");
    let r = run_step(
        manifest_dir(),
        &[
            ("INPUT_PATHS", "fixtures/incident"),
            ("INPUT_SARIF_FILE", sarif.to_str().unwrap()),
        ],
    );
    assert_eq!(r.status, Some(1), "{}{}", r.stdout, r.stderr);
    let annotations: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 1, "{}", r.stdout);
    assert!(
        annotations[0].starts_with(
            "::error file=fixtures/incident/highlighter_helper.py,line=18,endLine=18,col=5,\
             endColumn=30,title=fdlint (FD001)::loop calls `close()`"
        ),
        "{}",
        annotations[0]
    );
    assert!(
        r.stdout
            .contains("fdlint: 1 finding (GitHub shows at most 10 annotations")
    );
    assert!(
        r.summary.contains("## fdlint: 1 finding\n"),
        "{}",
        r.summary
    );
    assert!(
        r.summary
            .contains("| code | severity | location | message |")
    );
    assert!(
        r.summary.contains(
            "| [FD001](https://github.com/fdlint/fdlint/blob/main/docs/rules.md#fd001-rlimit-close-loop) \
             | error | `fixtures/incident/highlighter_helper.py:18` | loop calls `close()` on every fd"
        ),
        "{}",
        r.summary
    );
    assert!(r.summary.contains("fail-on: `warning`, exit status 1"));
    assert_eq!(
        r.outputs,
        format!("findings=1\nsarif-file={}\n", sarif.display())
    );
    let log: Value = serde_json::from_str(&fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "FD001");
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/incident/highlighter_helper.py"
    );
}

#[test]
fn action_step_fail_on_and_errors() {
    // Below the threshold: annotated, but the step passes.
    let r = run_step(
        manifest_dir(),
        &[
            ("INPUT_PATHS", "fixtures/incident"),
            ("INPUT_FAIL_ON", "never"),
        ],
    );
    assert_eq!(r.status, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("::error file=fixtures/incident/"));
    assert_eq!(r.outputs, "findings=1\nsarif-file=\n");
    // Extra arguments reach fdlint: with FD001 ignored there is nothing left.
    let r = run_step(
        manifest_dir(),
        &[
            ("INPUT_PATHS", "fixtures/incident"),
            ("INPUT_ARGS", "--ignore FD001,FD002"),
        ],
    );
    assert_eq!(r.status, Some(0), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.outputs, "findings=0\nsarif-file=\n");
    // An error stays exit status 2, with an annotation saying so and no outputs.
    let r = run_step(manifest_dir(), &[("INPUT_PATHS", "does/not/exist")]);
    assert_eq!(r.status, Some(2), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("::error title=fdlint::fdlint could not run (exit status 2)")
    );
    assert!(r.stderr.contains("does/not/exist"), "{}", r.stderr);
    assert_eq!(r.outputs, "");
    let r = run_step(
        manifest_dir(),
        &[
            ("INPUT_PATHS", "fixtures/incident"),
            ("INPUT_FAIL_ON", "bogus"),
        ],
    );
    assert_eq!(r.status, Some(2), "{}{}", r.stdout, r.stderr);
}

#[test]
fn action_step_on_a_clean_tree() {
    let ws = tempfile::tempdir().unwrap();
    fs::create_dir(ws.path().join("src")).unwrap();
    fs::write(
        ws.path().join("src/ok.py"),
        "import os\nos.closerange(3, 256)\n",
    )
    .unwrap();
    let r = run_step(ws.path(), &[]);
    assert_eq!(r.status, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(
        !r.stdout.lines().any(|l| l.starts_with("::")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("fdlint: 0 findings"));
    assert!(
        r.summary.contains("## fdlint: 0 findings\n\nNo findings."),
        "{}",
        r.summary
    );
    assert!(!r.summary.contains("| code |"));
    assert_eq!(r.outputs, "findings=0\nsarif-file=\n");
}

#[test]
fn action_step_summary_is_capped() {
    // 800 findings: 40 files with 20 loops each.
    let ws = tempfile::tempdir().unwrap();
    let mut loop_text = String::from("import os\n");
    for _ in 0..20 {
        loop_text.push_str("for fd in range(3, os.sysconf(\"SC_OPEN_MAX\")):\n    os.close(fd)\n");
    }
    for i in 0..40 {
        fs::write(ws.path().join(format!("m{i:02}.py")), &loop_text).unwrap();
    }
    let r = run_step(ws.path(), &[("INPUT_FAIL_ON", "error")]);
    assert_eq!(r.status, Some(1), "{}", r.stderr);
    assert_eq!(r.outputs, "findings=800\nsarif-file=\n");
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.starts_with("::error "))
            .count(),
        800
    );
    assert!(r.stdout.contains("fdlint: 800 findings"));
    let rows = r
        .summary
        .lines()
        .filter(|l| l.starts_with("| [FD001]"))
        .count();
    assert_eq!(rows, 500);
    assert!(
        r.summary.contains("\n300 more findings not shown;"),
        "{}",
        r.summary
    );
    assert!(r.summary.len() < 512 * 1024, "{} bytes", r.summary.len());
}

#[test]
fn action_step_in_deps_mode_groups_by_package_and_honours_the_baseline() {
    let venv = manifest_dir().join("fixtures/deps/venv");
    let args = format!("--venv {}", venv.display());
    let r = run_step(
        manifest_dir(),
        &[("INPUT_MODE", "deps"), ("INPUT_ARGS", args.as_str())],
    );
    assert_eq!(r.status, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("title=fdlint (FD001) in daemonlib 1.0 (pypi)::"),
        "{}",
        r.stdout
    );
    assert!(
        r.summary.contains("### daemonlib 1.0 (pypi): 1 finding"),
        "{}",
        r.summary
    );
    assert!(r.summary.contains("`daemonlib/daemon.py:"), "{}", r.summary);
    assert!(r.outputs.starts_with("findings=1\n"), "{}", r.outputs);

    // A committed baseline that records the finding makes the step pass.
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let o = Command::new(env!("CARGO_BIN_EXE_fdlint"))
        .args(["deps", "--quiet", "--venv"])
        .arg(&venv)
        .arg("--write-baseline")
        .arg(&baseline)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let r = run_step(
        manifest_dir(),
        &[
            ("INPUT_MODE", "deps"),
            ("INPUT_ARGS", args.as_str()),
            ("INPUT_BASELINE", baseline.to_str().unwrap()),
        ],
    );
    assert_eq!(r.status, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(r.outputs.starts_with("findings=0\n"), "{}", r.outputs);

    let r = run_step(manifest_dir(), &[("INPUT_MODE", "lint")]);
    assert_eq!(r.status, Some(2));
}

fn workflow_files() -> Vec<PathBuf> {
    let dir = manifest_dir().join(".github/workflows");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.iter().any(|f| f.ends_with("release.yml")),
        "{files:?}"
    );
    files
}

/// Every action that a workflow or `action.yml` uses is pinned to a full commit (a tag can be
/// moved).
#[test]
fn actions_are_pinned_to_commits() {
    let mut files = workflow_files();
    files.push(manifest_dir().join("action.yml"));
    let pinned = regex::Regex::new(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$").unwrap();
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        for line in text.lines() {
            let Some(uses) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
            else {
                continue;
            };
            assert!(
                uses.starts_with("./") || pinned.is_match(uses),
                "{}: `{uses}` is not pinned as `owner/name@<40-hex commit> # vX.Y.Z`",
                f.display()
            );
        }
    }
}

/// Every workflow under `.github/workflows/` is valid against GitHub's schema.
#[test]
#[cfg_attr(
    not(fdlint_has_check_jsonschema),
    ignore = "check-jsonschema not found: SKIPPED"
)]
fn workflows_are_valid_against_the_github_workflows_schema() {
    let dir = manifest_dir().join(".github/workflows");
    let files = workflow_files();
    let Some(tool) = check_jsonschema() else {
        return;
    };
    for f in &files {
        let o = validate(&tool, "vendor.github-workflows", f);
        assert!(
            o.status.success(),
            "{}: {}{}",
            f.display(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // Not vacuous: a job without `runs-on` is rejected.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("release.yml");
    let text = fs::read_to_string(dir.join("release.yml")).unwrap();
    let broken = text.replacen("    runs-on: ubuntu-latest\n", "", 1);
    assert_ne!(text, broken);
    fs::write(&bad, broken).unwrap();
    let o = validate(&tool, "vendor.github-workflows", &bad);
    assert!(
        !o.status.success(),
        "a job without runs-on passed validation"
    );
}

/// The Rust target of the release archive `scripts/action-install.sh` picks for a runner.
fn asset_for(os: &str, arch: &str) -> (Option<i32>, String) {
    let o = Command::new("bash")
        .arg(manifest_dir().join("scripts/action-install.sh"))
        .arg("asset-name")
        .env("GITHUB_ACTION_PATH", manifest_dir())
        .env("RUNNER_OS", os)
        .env("RUNNER_ARCH", arch)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        o.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn action_install_maps_the_runner_to_a_release_archive_the_release_builds() {
    let v = env!("CARGO_PKG_VERSION");
    let release = fs::read_to_string(manifest_dir().join(".github/workflows/release.yml")).unwrap();
    for (os, arch, target, ext) in [
        ("Linux", "X64", "x86_64-unknown-linux-musl", "tar.gz"),
        ("Linux", "ARM64", "aarch64-unknown-linux-musl", "tar.gz"),
        ("macOS", "X64", "x86_64-apple-darwin", "tar.gz"),
        ("macOS", "ARM64", "aarch64-apple-darwin", "tar.gz"),
        ("Windows", "X64", "x86_64-pc-windows-msvc", "zip"),
    ] {
        let (status, out) = asset_for(os, arch);
        assert_eq!(status, Some(0), "{os}/{arch}: {out}");
        assert_eq!(out, format!("fdlint-{v}-{target}.{ext}\n"), "{os}/{arch}");
        // The release workflow builds that target.
        assert!(
            release.contains(&format!("target: {target},"))
                || release.contains(&format!("target: {target} }}")),
            "release.yml does not build {target}"
        );
    }
    // No archive: the action builds from source instead.
    for (os, arch) in [
        ("Linux", "ARM"),
        ("Windows", "ARM64"),
        ("FreeBSD", "X64"),
        ("", ""),
    ] {
        let (status, out) = asset_for(os, arch);
        assert_eq!(status, Some(1), "{os}/{arch}: {out}");
        assert!(out.contains("no release archive for"), "{out}");
    }
}

/// A stand-in for the fdlint binary (the debug build is ~100 MB, slow to pack on every test):
/// a script that answers `--version` as fdlint does. `from` says which copy ran.
fn fake_fdlint(path: &Path, from: &str) {
    fs::write(
        path,
        format!(
            "#!/bin/sh\necho \"fdlint {} ({from})\"\n",
            env!("CARGO_PKG_VERSION")
        ),
    )
    .unwrap();
    let o = Command::new("chmod").arg("+x").arg(path).output().unwrap();
    assert!(o.status.success());
}

/// A fake release: a stand-in binary packed as the release packs it, with SHA256SUMS.
fn fake_release(dir: &Path, asset_stem: &str, sums: impl FnOnce(&str) -> String) {
    let tag = dir.join(format!("v{}", env!("CARGO_PKG_VERSION")));
    let stage = dir.join("stage").join(asset_stem);
    fs::create_dir_all(&stage).unwrap();
    fs::create_dir_all(&tag).unwrap();
    fake_fdlint(&stage.join("fdlint"), "release archive");
    let archive = tag.join(format!("{asset_stem}.tar.gz"));
    let o = Command::new("tar")
        .arg("-C")
        .arg(dir.join("stage"))
        .arg("-czf")
        .arg(&archive)
        .arg(asset_stem)
        .output()
        .unwrap();
    assert!(o.status.success());
    let o = Command::new("sha256sum")
        .arg(format!("{asset_stem}.tar.gz"))
        .current_dir(&tag)
        .output()
        .unwrap();
    assert!(o.status.success());
    fs::write(
        tag.join("SHA256SUMS"),
        sums(&String::from_utf8(o.stdout).unwrap()),
    )
    .unwrap();
}

/// One run of `action-install.sh install` on a simulated Linux X64 runner, with `cargo` and
/// `rustup` replaced by fakes that record how they were called (a real source build takes
/// minutes; what matters is where and how it is started). `release` is the base URL.
struct Install {
    status: Option<i32>,
    out: String,
    path: String,
    root: PathBuf,
    cargo_log: Option<String>,
    rustup_log: Option<String>,
    workspace: PathBuf,
}

fn run_install(dir: &Path, release: &str, action_ref: &str) -> Install {
    let fakes = dir.join("fake-bin");
    let logs = dir.join("logs");
    let workspace = dir.join("workspace");
    let root = dir.join("tool-cache");
    fs::create_dir_all(&fakes).unwrap();
    fs::create_dir_all(&logs).unwrap();
    fs::create_dir_all(&workspace).unwrap();
    // The user's toolchain file, which must not decide what builds fdlint.
    fs::write(
        workspace.join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.70\"\n",
    )
    .unwrap();
    fs::write(
        fakes.join("cargo"),
        "#!/bin/sh\n\
         { echo \"cwd=$(pwd)\"; echo \"RUSTUP_TOOLCHAIN=$RUSTUP_TOOLCHAIN\"; \
           echo \"CARGO_TARGET_DIR=$CARGO_TARGET_DIR\"; echo \"args=$*\"; } > \"$FAKE_LOGS/cargo\"\n\
         while [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\n\
         mkdir -p \"$root/bin\" && cp \"$FAKE_FDLINT\" \"$root/bin/fdlint\"\n",
    )
    .unwrap();
    fs::write(
        fakes.join("rustup"),
        "#!/bin/sh\necho \"args=$*\" > \"$FAKE_LOGS/rustup\"\n",
    )
    .unwrap();
    for f in ["cargo", "rustup"] {
        let o = Command::new("chmod")
            .arg("+x")
            .arg(fakes.join(f))
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    fake_fdlint(&dir.join("fake-build-output"), "source build");
    let github_path = dir.join("github-path");
    fs::write(&github_path, "").unwrap();
    let o = Command::new("bash")
        .arg(manifest_dir().join("scripts/action-install.sh"))
        .arg("install")
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", fakes.display()))
        .env("HOME", dir)
        .env("GITHUB_ACTION_PATH", manifest_dir())
        .env("FDLINT_ACTION_REF", action_ref)
        .env("GITHUB_WORKSPACE", &workspace)
        .env("GITHUB_PATH", &github_path)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("RUNNER_TOOL_CACHE", &root)
        .env("RUNNER_TEMP", dir)
        .env("FDLINT_RELEASE_URL", release)
        .env("FAKE_LOGS", &logs)
        .env("FAKE_FDLINT", dir.join("fake-build-output"))
        .current_dir(&workspace)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Install {
        status: o.status.code(),
        out: format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        path: fs::read_to_string(&github_path).unwrap(),
        root,
        cargo_log: fs::read_to_string(logs.join("cargo")).ok(),
        rustup_log: fs::read_to_string(logs.join("rustup")).ok(),
        workspace,
    }
}

fn tag() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

fn linux_stem() -> String {
    format!(
        "fdlint-{}-x86_64-unknown-linux-musl",
        env!("CARGO_PKG_VERSION")
    )
}

#[test]
fn action_install_downloads_and_verifies_the_release_archive() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    fake_release(&release, &linux_stem(), |sums| {
        // Other assets' lines around it, as in a real SHA256SUMS.
        format!(
            "{}  fdlint-x.whl\n{sums}{}  other.zip\n",
            "0".repeat(64),
            "1".repeat(64)
        )
    });
    let url = format!("file://{}", release.display());
    let r = run_install(dir.path(), &url, &tag());
    assert_eq!(r.status, Some(0), "{}", r.out);
    assert!(
        r.out.contains(&format!(
            "fdlint: {}.tar.gz verified (sha256 ",
            linux_stem()
        )),
        "{}",
        r.out
    );
    let version = format!("fdlint {} (release archive)\n", env!("CARGO_PKG_VERSION"));
    assert!(r.out.contains(&version), "{}", r.out);
    let bin = r
        .root
        .join(format!("fdlint/{}/X64/bin", env!("CARGO_PKG_VERSION")));
    assert_eq!(r.path, format!("{}\n", bin.display()));
    assert!(bin.join("fdlint").is_file());
    assert_eq!(r.cargo_log, None, "a release was available, yet cargo ran");

    // Pinned by the release's commit: the same binary. Any other commit: a source build.
    let commit = "0123456789abcdef0123456789abcdef01234567";
    fs::write(
        release.join(tag()).join("source-commit.txt"),
        format!("{commit}\n"),
    )
    .unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let r = run_install(dir2.path(), &url, commit);
    assert_eq!(r.status, Some(0), "{}", r.out);
    assert!(r.out.contains("verified"), "{}", r.out);
    assert_eq!(r.cargo_log, None, "{}", r.out);
    let dir3 = tempfile::tempdir().unwrap();
    let r = run_install(dir3.path(), &url, &commit.replace('0', "f"));
    assert_eq!(r.status, Some(0), "{}", r.out);
    assert!(r.cargo_log.is_some(), "{}", r.out);
}

#[test]
fn action_install_refuses_a_checksum_mismatch() {
    for (what, sums) in [("mismatch", "wrong"), ("missing", "absent")] {
        let dir = tempfile::tempdir().unwrap();
        let release = dir.path().join("release");
        fake_release(&release, &linux_stem(), |real| match sums {
            // The archive's line with one hex digit changed.
            "wrong" => {
                let flipped = if real.starts_with('0') { "1" } else { "0" };
                format!("{flipped}{}", &real[1..])
            }
            _ => format!("{}  fdlint-other.tar.gz\n", "0".repeat(64)),
        });
        let r = run_install(dir.path(), &format!("file://{}", release.display()), &tag());
        assert_eq!(r.status, Some(1), "{what}: {}", r.out);
        let expected = match what {
            "mismatch" => "::error title=fdlint::checksum mismatch for ",
            _ => "::error title=fdlint::SHA256SUMS of release ",
        };
        assert!(r.out.contains(expected), "{what}: {}", r.out);
        assert!(r.out.contains("refusing to install it"), "{}", r.out);
        // Nothing installed, nothing on PATH, and no quiet fallback to a build.
        assert_eq!(r.path, "", "{what}");
        assert_eq!(r.cargo_log, None, "{what}: {}", r.out);
        let installed = walkdir::WalkDir::new(&r.root)
            .into_iter()
            .filter_map(Result::ok)
            .any(|e| e.file_name() == "fdlint");
        assert!(!installed, "{what}: a binary was installed");
    }
}

#[test]
fn action_install_falls_back_to_a_source_build_outside_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    // The download fails: there is no such release.
    let url = format!("file://{}/no-release-here", dir.path().display());
    let r = run_install(dir.path(), &url, &tag());
    assert_eq!(r.status, Some(0), "{}", r.out);
    assert!(
        r.out.contains(&format!(
            "::warning title=fdlint::could not download {}.tar.gz of release {}; building from source instead",
            linux_stem(),
            tag()
        )),
        "{}",
        r.out
    );
    let cargo = r.cargo_log.expect("cargo ran");
    let field = |k: &str| {
        cargo
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} not in {cargo}"))
            .to_string()
    };
    // The pinned toolchain, whatever the workspace's rust-toolchain.toml says; cargo runs in a
    // scratch directory and builds there, never in the workspace or in the action's directory.
    assert_eq!(field("RUSTUP_TOOLCHAIN"), "1.90");
    // The toolchain releases are built with.
    let release = fs::read_to_string(manifest_dir().join(".github/workflows/release.yml")).unwrap();
    assert!(release.contains("  RUST_TOOLCHAIN: \"1.90\"\n"));
    assert_eq!(
        r.rustup_log.as_deref(),
        Some("args=toolchain install 1.90 --profile minimal --no-self-update\n")
    );
    let cwd = PathBuf::from(field("cwd"));
    let target = PathBuf::from(field("CARGO_TARGET_DIR"));
    for p in [&cwd, &target] {
        assert!(
            !p.starts_with(&r.workspace),
            "{} is in the workspace",
            p.display()
        );
        assert!(
            !p.starts_with(manifest_dir()),
            "{} is in the action",
            p.display()
        );
        assert!(
            p.starts_with(dir.path()),
            "{} is not in RUNNER_TEMP",
            p.display()
        );
    }
    // A build of the release's own source goes where the release would have.
    let root = r
        .root
        .join(format!("fdlint/{}/X64", env!("CARGO_PKG_VERSION")));
    assert_eq!(
        field("args"),
        format!(
            "install --locked --path {} --root {}",
            manifest_dir().display(),
            root.display()
        )
    );
    assert_eq!(r.path, format!("{}/bin\n", root.display()));
    let version = format!("fdlint {} (source build)\n", env!("CARGO_PKG_VERSION"));
    assert!(r.out.contains(&version), "{}", r.out);

    // At a ref that is not the release (a branch), it builds without trying to download.
    let dir2 = tempfile::tempdir().unwrap();
    let r = run_install(dir2.path(), &url, "main");
    assert_eq!(r.status, Some(0), "{}", r.out);
    assert!(!r.out.contains("could not download"), "{}", r.out);
    let cargo = r.cargo_log.expect("cargo ran");
    // Installed under the source's hash: a build of one commit is never taken for another's.
    let src = format!(
        "--root {}/fdlint/{}-src-",
        r.root.display(),
        env!("CARGO_PKG_VERSION")
    );
    assert!(cargo.contains(&src), "{cargo}");
}
