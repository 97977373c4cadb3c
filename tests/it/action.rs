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
