//! End-to-end tests of the `fdlint` binary: exit codes, JSON output, the human report, and a
//! directory walk with ignored, binary, non-UTF-8, special and unreadable entries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn fdlint() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fdlint"));
    c.env_remove("NO_COLOR").env("COLUMNS", "100");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.stdin(Stdio::null());
    c
}

pub fn run(args: &[&str]) -> Output {
    fdlint().args(args).output().expect("fdlint runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

const INCIDENT: &str = "fixtures/incident/highlighter_helper.py";

#[test]
fn exit_status_is_1_with_findings_and_0_without() {
    let o = run(&["check", INCIDENT]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = run(&["check", "fixtures/python/close_loops_negatives.py"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("0 findings in 0 files; 1 file scanned"));
}

#[test]
fn fail_on_decides_the_exit_status() {
    // literal_guesses.py has only warnings.
    let f = "fixtures/python/literal_guesses.py";
    assert_eq!(run(&["check", f]).status.code(), Some(1));
    assert_eq!(
        run(&["check", "--fail-on", "error", f]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["check", "--fail-on", "never", INCIDENT])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn exit_status_is_2_on_usage_errors_and_missing_paths() {
    let o = run(&["check", "no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/dir: no such file or directory"));
    assert_eq!(
        run(&["check", "--python-version", "three"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["check", "--assume-nofile", "0", INCIDENT])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["check", "--bogus"]).status.code(), Some(2));
    assert_eq!(run(&["explain", "FD999"]).status.code(), Some(2));
}

#[test]
fn json_output_has_the_documented_fields() {
    let o = run(&["check", "--format", "json", INCIDENT]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("stdout is JSON");
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f["code"], "FD001");
    assert_eq!(f["rule"], "rlimit-close-loop");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["path"], INCIDENT);
    assert_eq!(f["line"], 18);
    assert_eq!(f["column"], 5);
    assert_eq!(f["end_line"], 18);
    assert_eq!(f["end_column"], 30);
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("1,073,741,813 calls"), "{msg}");
    assert!(msg.contains("~32.6 GiB list"), "{msg}");
    assert!(f["help"].as_str().unwrap().contains("/proc/self/fd"));
    let labels: Vec<&str> = f["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "hard limit read here",
            "fallback bound 65,536",
            "one `close()` per fd"
        ]
    );
    assert_eq!(v["summary"]["findings"], 1);
    // The summary line goes to stderr, so stdout stays machine-readable.
    assert!(stderr(&o).contains("1 finding in 1 file"));
}

#[test]
fn assume_nofile_changes_the_cost() {
    let o = run(&[
        "check",
        "--format",
        "json",
        "--assume-nofile",
        "1048576",
        INCIDENT,
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("1,048,573 calls at RLIMIT_NOFILE = 1,048,576"),
        "{msg}"
    );
}

#[test]
fn python_version_flag_decides_the_dialect() {
    // Without Python 2 evidence a bare range() is lazy: FD002 stays silent for this file...
    let f = "fixtures/python/fd_ranges.py";
    let o = run(&["check", "--format", "json", f]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 2);
    // ...and --python-version 2.7 makes the lazy `range(3, maxfd)` a list.
    let o = run(&["check", "--format", "json", "--python-version", "2.7", f]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let codes: Vec<(u64, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, [(8, "FD002"), (14, "FD002"), (20, "FD002")]);
}

#[test]
fn human_report_snapshot() {
    let o = run(&["check", "--color", "never", INCIDENT]);
    insta::assert_snapshot!("human_incident", stdout(&o));
}

#[test]
fn rules_and_explain() {
    let o = run(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("CODE   NAME"), "{out}");
    assert!(
        lines[0].contains("SEVERITY") && lines[0].contains("FIX"),
        "{out}"
    );
    assert!(out.contains("FD001  rlimit-close-loop"), "{out}");
    assert!(out.contains("FD002  fd-range-materialized"), "{out}");
    let fd003 = lines.iter().find(|l| l.starts_with("FD003")).unwrap();
    assert!(fd003.contains("note (warning with evidence)"), "{fd003}");
    assert!(fd003.contains(" unsafe "), "{fd003}");
    let fd002 = lines.iter().find(|l| l.starts_with("FD002")).unwrap();
    assert!(fd002.contains(" safe (python) "), "{fd002}");
    let fd004 = lines.iter().find(|l| l.starts_with("FD004")).unwrap();
    assert!(fd004.contains(" — "), "{fd004}");
    let o = run(&["rules", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), fdlint::rules::all().len());
    let fd001 = &list[0];
    assert_eq!(fd001["code"], "FD001");
    assert_eq!(fd001["fix"][0]["applicability"], "safe");
    assert_eq!(fd001["fix"][0]["languages"], serde_json::json!(["python"]));
    assert_eq!(fd001["fix"][1]["applicability"], "unsafe");
    assert_eq!(
        fd001["fix"][1]["languages"],
        serde_json::json!(["ruby", "rust"])
    );
    assert_eq!(list[2]["severities"], "note (warning with evidence)");
    assert_eq!(list[1]["fix"][0]["applicability"], "safe");
    assert_eq!(list[3]["fix"], serde_json::Value::Null);
    let o = run(&["explain", "FD001"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("# FD001 (rlimit-close-loop)"));
    assert!(out.contains("## Why is this bad?"));
    // Names work too.
    assert_eq!(stdout(&run(&["explain", "rlimit-close-loop"])), out);
}

fn write(path: &Path, content: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

const LOOP: &str = "import os\nfor fd in range(3, os.sysconf('SC_OPEN_MAX')):\n    os.close(fd)\n";

/// A tree with a finding in a normal file, and in files that must be skipped or survived.
fn messy_tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    write(&root.join(".git/HEAD"), b"ref: refs/heads/main\n");
    write(&root.join(".gitignore"), b"ignored/\n*.gen.py\n");
    write(&root.join("app/worker.py"), LOOP.as_bytes());
    write(&root.join("ignored/worker.py"), LOOP.as_bytes());
    write(&root.join("app/code.gen.py"), LOOP.as_bytes());
    write(&root.join("node_modules/pkg/x.py"), LOOP.as_bytes());
    write(&root.join(".git/hooks/x.py"), LOOP.as_bytes());
    write(
        &root.join("target/CACHEDIR.TAG"),
        b"Signature: 8a477f597d28d172789f06886806bc55\n",
    );
    write(&root.join("target/debug/build.rs"), b"fn main() {}\n");
    // An extensionless script found by its shebang.
    write(
        &root.join("bin/helper"),
        format!("#!/usr/bin/env python2\n{LOOP}").as_bytes(),
    );
    // Bad input: binary, non-UTF-8, broken syntax, deep nesting.
    write(&root.join("app/blob.py"), b"\x00\x01\x02close range while");
    write(
        &root.join("app/latin1.py"),
        b"# caf\xe9\nimport os\nfor fd in range(3, os.sysconf('SC_OPEN_MAX')):\n    os.close(fd)\n",
    );
    write(
        &root.join("app/broken.py"),
        b"def (:\n  pass\nfor fd in range(3, n):\n    os.close(fd)\n",
    );
    let deep = format!(
        "x = {}1{}\nfor fd in range(3, n):\n    os.close(fd)\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    write(&root.join("app/deep.py"), deep.as_bytes());
    // Larger than the 16 MiB limit: reported and skipped, never read whole.
    let mut huge = LOOP.as_bytes().to_vec();
    huge.resize(17 * 1024 * 1024, b'#');
    write(&root.join("app/huge.py"), &huge);
    (dir, root)
}

#[test]
fn walk_honours_gitignore_and_survives_bad_input() {
    let (_dir, root) = messy_tree();
    #[cfg(unix)]
    {
        // A FIFO must never be opened (opening it would block forever).
        let fifo = root.join("app/pipe.py");
        let ok = Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success());
        assert!(matches!(ok, Ok(true)), "mkfifo failed");
        std::os::unix::fs::symlink(root.join("ignored"), root.join("app/link")).unwrap();
    }
    let o = fdlint()
        .args(["check", "--format", "json"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut paths: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = f["path"].as_str().unwrap();
            p.strip_prefix(root.to_str().unwrap()).unwrap().to_string()
        })
        .collect();
    paths.sort();
    assert_eq!(paths, ["/app/latin1.py", "/app/worker.py", "/bin/helper"]);
    let kinds: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let p = d["path"].as_str().unwrap();
            let name = Path::new(p)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, d["kind"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        kinds.contains(&("blob.py".into(), "binary".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("latin1.py".into(), "not-utf8".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("broken.py".into(), "parse-error".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("huge.py".into(), "too-large".into())),
        "{kinds:?}"
    );

    // --no-ignore brings the ignored files back, but never .git or node_modules.
    let o = fdlint()
        .args(["check", "--format", "json", "--no-ignore"])
        .arg(&root)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 5);

    // An ignored file named explicitly is linted.
    let o = fdlint()
        .args(["check", "--format", "json"])
        .arg(root.join("ignored/worker.py"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn unreadable_file_is_reported_and_the_run_goes_on() {
    let (_dir, root) = messy_tree();
    let secret = root.join("app/secret.py");
    write(&secret, LOOP.as_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    if std::fs::read(&secret).is_ok() {
        // Running as root: permissions do not stop reads. A directory named like a source file
        // fails to read the same way.
        eprintln!("note: running as root, checking an unreadable path with a directory instead");
        std::fs::remove_file(&secret).unwrap();
        std::fs::create_dir(&secret).unwrap();
        let o = fdlint()
            .args(["check", "--format", "json"])
            .arg(&secret)
            .arg(root.join("app/worker.py"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        return;
    }
    let o = fdlint()
        .args(["check", "--format", "json"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "io-error" && d["path"].as_str().unwrap().ends_with("secret.py"))
    );
}

#[test]
fn broken_pipe_is_not_an_error() {
    let mut child = fdlint()
        .args(["check", "fixtures"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(2));
    assert_ne!(status.code(), None, "killed by a signal");
}

fn json_findings(args: &[&str]) -> Vec<serde_json::Value> {
    let o = run(args);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("stdout is JSON");
    v["findings"].as_array().unwrap().clone()
}

#[test]
fn spawn_and_sweep_are_linked_across_languages() {
    let f = json_findings(&["check", "--format", "json", "fixtures/link"]);
    assert_eq!(f.len(), 2, "{f:#?}");
    let sweep = f.iter().find(|x| x["code"] == "FD001").unwrap();
    let spawn = f.iter().find(|x| x["code"] == "FD003").unwrap();
    assert_eq!(sweep["path"], "fixtures/link/helpers/highlight.py");
    assert_eq!(spawn["path"], "fixtures/link/worker_manager.rb");
    // The spawn names the loop to remove, and is raised from a note to a warning.
    assert_eq!(spawn["severity"], "warning");
    let msg = spawn["message"].as_str().unwrap();
    assert!(
        msg.contains("remove the loop in fixtures/link/helpers/highlight.py:16"),
        "{msg}"
    );
    // The loop names its parent, and the parent's `python2` makes it Python 2 code.
    let notes: Vec<&str> = sweep["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes[0].contains("started by fixtures/link/worker_manager.rb:18 (`Open3.popen3`)"),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("runs it with `python2`")),
        "{notes:?}"
    );
    assert!(
        sweep["message"]
            .as_str()
            .unwrap()
            .contains("~32.6 GiB list")
    );

    // Linted alone, neither knows about the other.
    let alone = json_findings(&[
        "check",
        "--format",
        "json",
        "fixtures/link/worker_manager.rb",
    ]);
    assert_eq!(alone[0]["severity"], "note");
    let alone = json_findings(&[
        "check",
        "--format",
        "json",
        "fixtures/link/helpers/highlight.py",
    ]);
    assert!(!alone[0]["message"].as_str().unwrap().contains("GiB list"));
}

/// A Rust parent is admitted only weakly (its spawn facts serve only the link pass): deferred,
/// and parsed by the link pass only when its text names a script that sweeps. Linked, the
/// sweep's finding names it and takes its `python2`; naming another script, it is never parsed.
#[test]
fn a_rust_parent_is_parsed_only_for_the_link() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("helpers")).unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::copy(
        "fixtures/link/helpers/highlight.py",
        dir.path().join("helpers/sweep.py"),
    )
    .unwrap();
    let launch = dir.path().join("src/launch.rs");
    let parent = |script: &str| {
        std::fs::write(
            &launch,
            format!(
                "use std::process::Command;\n\nfn main() {{\n    \
                 let _ = Command::new(\"python2\").arg(\"helpers/{script}\").spawn();\n}}\n"
            ),
        )
        .unwrap();
        let o = fdlint()
            .args([
                "check",
                "--format",
                "json",
                "--statistics",
                "--fail-on",
                "never",
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        (v["findings"].as_array().unwrap().clone(), stderr(&o))
    };
    let (f, err) = parent("sweep.py");
    assert_eq!(f.len(), 1, "{f:#?}");
    let notes = f[0]["notes"].to_string();
    assert!(
        notes.contains("started by") && notes.contains("launch.rs:4"),
        "{notes}"
    );
    assert!(notes.contains("runs it with `python2`"), "{notes}");
    assert!(err.contains("rust   1 read (0.0 MB), 1 parsed"), "{err}");
    let (f, err) = parent("other.py");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(!f[0]["notes"].to_string().contains("launch.rs"));
    assert!(err.contains("rust   1 read (0.0 MB), 0 parsed"), "{err}");
}

#[test]
fn ruby_version_decides_close_others_defaults() {
    // Ruby 2.0-2.5 closes non-standard fds by default: nothing to report.
    let f = json_findings(&[
        "check",
        "--format",
        "json",
        "--ruby-version",
        "2.5",
        "fixtures/link/worker_manager.rb",
    ]);
    assert!(f.is_empty(), "{f:#?}");
    // Ruby 1.9's system() neither closes fds nor has close-on-exec fds: a warning.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.rb");
    std::fs::write(&file, "system(\"make\", \"install\")\n").unwrap();
    let o = fdlint()
        .args(["check", "--format", "json", "--ruby-version", "1.9"])
        .arg(&file)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"][0]["code"], "FD003");
    assert_eq!(v["findings"][0]["severity"], "warning");
    assert_eq!(o.status.code(), Some(1));
    // On a modern Ruby the same call is a note, which does not fail the run.
    let o = fdlint()
        .args(["check", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"][0]["severity"], "note");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn project_files_decide_the_python_version() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".git"), "").unwrap();
    std::fs::write(dir.path().join(".python-version"), "3.9.18\n").unwrap();
    let file = dir.path().join("daemon.py");
    std::fs::write(
        &file,
        "import os\nos.closerange(3, os.sysconf('SC_OPEN_MAX'))\n",
    )
    .unwrap();
    let o = fdlint()
        .args(["check", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"][0]["code"], "FD005", "{v:#}");
    let note = v["findings"][0]["notes"][0].as_str().unwrap();
    assert!(
        note.contains("Python 3.9") && note.contains(".python-version"),
        "{note}"
    );
    // The flag wins over the project file.
    let o = fdlint()
        .args(["check", "--format", "json", "--python-version", "3.12"])
        .arg(&file)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["findings"].as_array().unwrap().is_empty());
}

#[test]
fn weakly_admitted_subprocess_files_still_count_when_they_matter() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join(".git"), "").unwrap();
    // A Python 3 parent with a plain subprocess call (no finding of its own): parsed only
    // because it names a scanned script that sweeps fds.
    write(
        &root.join("app/parent.py"),
        b"import os\nimport subprocess\n\ndef highlight():\n    return subprocess.call(['python2', os.path.join(os.path.dirname(__file__), 'helper.py')])\n",
    );
    write(
        &root.join("app/helper.py"),
        b"import os, resource\nmaxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\nfor fd in range(3, maxfd):\n    try:\n        os.close(fd)\n    except OSError:\n        pass\n",
    );
    // A subprocess call in a project that declares Python 2.7: the default close_fds=False.
    write(&root.join("legacy/.python-version"), b"2.7.18\n");
    write(&root.join("legacy/.git"), b"");
    write(
        &root.join("legacy/run.py"),
        b"import subprocess\nsubprocess.call(['make'])\n",
    );
    // A subprocess call with no Python 2 evidence and no link: nothing to parse.
    write(
        &root.join("app/quiet.py"),
        b"import subprocess\nsubprocess.call(['make'])\n",
    );
    let lint = |extra: &[&str]| {
        let o = fdlint()
            .args(["check", "--format", "json", "--statistics"])
            .args(extra)
            .arg(root)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        (v, stderr(&o))
    };
    let (v, err) = lint(&[]);
    let findings = v["findings"].as_array().unwrap();
    let by_file = |name: &str| {
        findings
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(name))
            .collect::<Vec<_>>()
    };
    let helper = by_file("helper.py");
    assert_eq!(helper.len(), 1, "{v:#}");
    let notes = helper[0]["notes"].to_string();
    assert!(notes.contains("parent.py:5"), "{notes}");
    assert!(notes.contains("runs it with `python2`"), "{notes}");
    let legacy = by_file("run.py");
    assert_eq!(legacy.len(), 1, "{v:#}");
    assert_eq!(legacy[0]["code"], "FD004");
    assert_eq!(legacy[0]["severity"], "warning");
    assert!(by_file("quiet.py").is_empty());
    // quiet.py was not parsed; the others were.
    assert!(
        err.contains("4 discovered, 1 ruled out by the prefilter, 3 parsed"),
        "{err}"
    );
    // And the prefilter changed nothing.
    let (all, _) = lint(&["--no-prefilter"]);
    assert_eq!(all["findings"], v["findings"]);
}

#[test]
fn scripts_are_found_by_their_shebang_whatever_their_extension() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let body = "import os, resource\nhard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\nfor fd in range(3, hard):\n    os.close(fd)\n";
    let rb = "max = Process.getrlimit(:NOFILE)[1]\n3.upto(max) { |fd| IO.for_fd(fd).close rescue nil }\n";
    let scripts = [
        ("cgi-bin/tool.cgi", format!("#!/usr/bin/python2.7\n{body}")),
        ("app.fcgi", format!("#!/usr/bin/env python3 -u\n{body}")),
        ("bin/serve", format!("#!/usr/bin/env -S pypy3 -O\n{body}")),
        ("bin/jy", format!("#!/opt/jython/bin/jython\n{body}")),
        ("bin/task.rb27", format!("#!/usr/bin/ruby2.7\n{rb}")),
    ];
    for (name, text) in &scripts {
        write(&root.join(name), text.as_bytes());
    }
    // Other kinds of files are never scripts, whatever their first line says.
    write(
        &root.join("run.sh"),
        format!("#!/usr/bin/env python\n{body}").as_bytes(),
    );
    write(
        &root.join("README.md"),
        format!("#!/usr/bin/env python\n{body}").as_bytes(),
    );
    write(&root.join("bin/shell"), b"#!/bin/sh\nexec python \"$@\"\n");
    let o = fdlint()
        .args(["check", "--show-files", "."])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(
        stdout(&o),
        "./app.fcgi\n./bin/jy\n./bin/serve\n./bin/task.rb27\n./cgi-bin/tool.cgi\n",
        "{}",
        stderr(&o)
    );
    let o = fdlint()
        .args(["check", "--format", "concise", "."])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    for (name, _) in &scripts {
        assert!(out.contains(&format!("./{name}:")), "{name} in {out}");
    }
    // Named on the command line, a script is linted by its shebang too.
    let o = fdlint()
        .args(["check", "--format", "concise", "cgi-bin/tool.cgi"])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("cgi-bin/tool.cgi:4:1: error[FD001]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_named_file_that_cannot_be_linted_is_reported() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    write(&root.join("tool.cgi"), b"#!/usr/bin/perl\nprint 1;\n");
    write(
        &root.join("notes.txt"),
        b"for fd in range(3, hard): os.close(fd)\n",
    );
    let o = fdlint()
        .args(["check", "tool.cgi", "notes.txt"])
        .current_dir(root)
        .output()
        .unwrap();
    // As ruff does for "No Python files found": a warning, exit status 0.
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    for name in ["tool.cgi", "notes.txt"] {
        assert!(
            err.contains(&format!(
                "fdlint: {name}: not linted: not a Python, Ruby or Rust file"
            )),
            "{err}"
        );
    }
    assert!(
        err.contains("fdlint: warning: no Python, Ruby or Rust files found to lint"),
        "{err}"
    );
    // The JSON report carries them as diagnostics.
    let o = fdlint()
        .args(["check", "--format", "json", "tool.cgi"])
        .current_dir(root)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["path"], "tool.cgi", "{v}");
    assert_eq!(v["diagnostics"][0]["kind"], "not-a-file", "{v}");
    // A directory without sources gets the warning, --quiet silences it.
    std::fs::create_dir_all(root.join("empty")).unwrap();
    let o = run_in(root, &["check", "empty"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("no Python, Ruby or Rust files found"),
        "{}",
        stderr(&o)
    );
    let o = run_in(root, &["check", "--quiet", "empty"]);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

/// Regression (a held-out run on real code): a shell script named `.rb` (a test fixture that
/// re-executes a server) was linted as Ruby, its `exec bundle exec ...` line reported twice.
/// A `.py`/`.rb` file whose shebang names another interpreter is not Python or Ruby: a walk
/// leaves it out (`--show-files` too) and naming it reports it, like any file fdlint cannot
/// lint; a shebang naming Python or Ruby decides the language whatever the extension.
#[test]
fn a_shell_script_named_rb_or_py_is_not_linted() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let sh = b"#!/bin/sh\n\nif [ \"$1\" = \"--with-state-fd\" ]; then\n  sleep 6\nfi\nexec bundle exec --keep-file-descriptors einhorn \"$@\"\n";
    write(&root.join("fixtures/upgrade_reexec.rb"), sh);
    write(
        &root.join("fixtures/bootstrap.py"),
        b"#!/usr/bin/env bash\nexec python3 -c 'import os; os.closerange(3, 65536)'\n",
    );
    // The look-alikes: Ruby that runs the same command, and a Python script named `.rb`.
    write(
        &root.join("bin/reexec.rb"),
        b"#!/usr/bin/env ruby\nexec \"bundle\", \"exec\", \"--keep-file-descriptors\", \"einhorn\", *ARGV\n",
    );
    write(
        &root.join("bin/tool.rb"),
        b"#!/usr/bin/env python2\nimport subprocess\nsubprocess.call(['ls'])\n",
    );
    let o = run_in(root, &["check", "--show-files", "."]);
    assert_eq!(
        stdout(&o),
        "./bin/reexec.rb\n./bin/tool.rb\n",
        "{}",
        stderr(&o)
    );
    let o = run_in(root, &["check", "--format", "concise", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    // The Ruby `exec` once, the Python 2 call as Python; nothing from the shell scripts.
    assert_eq!(
        out.matches("./bin/reexec.rb:2:1: note[FD003]").count(),
        1,
        "{out}"
    );
    assert!(out.contains("./bin/tool.rb:3:1: warning[FD004]"), "{out}");
    assert!(!out.contains("fixtures/"), "{out}");
    assert!(!stderr(&o).contains("fixtures/"), "{}", stderr(&o));
    // The walk hands `.py`/`.rb` files on unread and the worker reads the shebang from the
    // bytes it reads anyway: the shell scripts are not counted as scanned either.
    assert!(stderr(&o).contains("2 files scanned"), "{}", stderr(&o));
    // Named on the command line: reported, not linted, exit 0 as for other such files.
    let o = run_in(
        root,
        &[
            "check",
            "fixtures/upgrade_reexec.rb",
            "fixtures/bootstrap.py",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "{}", stderr(&o));
    let err = stderr(&o);
    for (name, program) in [
        ("fixtures/upgrade_reexec.rb", "sh"),
        ("fixtures/bootstrap.py", "bash"),
    ] {
        assert!(
            err.contains(&format!(
                "fdlint: {name}: not linted: its first line runs it with `{program}`"
            )),
            "{err}"
        );
    }
    assert!(
        err.contains("no Python, Ruby or Rust files found to lint"),
        "{err}"
    );
    let o = run_in(
        root,
        &["check", "--show-files", "fixtures/upgrade_reexec.rb"],
    );
    assert_eq!(stdout(&o), "", "{}", stderr(&o));
    assert!(stderr(&o).contains("not linted"), "{}", stderr(&o));
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    fdlint()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("fdlint runs")
}
