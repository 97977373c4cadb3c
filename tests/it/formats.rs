//! The output formats: snapshots of each (the exact text is the product), the editor snippets of
//! docs/output-formats.md applied to real `concise` output, GitHub's escaping, SARIF against the
//! OASIS schema, `--stdin-filename`, `--output-file`, and stdout staying machine-readable.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::cli::fdlint;

const INCIDENT: &str = "fixtures/incident/highlighter_helper.py";
/// Only warnings (guessed fd limits).
const WARNINGS: &str = "fixtures/python/literal_guesses.py";
const FORMATS: [&str; 6] = ["human", "json", "json-lines", "concise", "github", "sarif"];

fn run(args: &[&str]) -> Output {
    fdlint()
        .args(args)
        .arg("--color=never")
        .output()
        .expect("fdlint runs")
}

/// Run with `stdin` piped in.
fn run_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = fdlint()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fdlint starts");
    // fdlint may exit before reading (usage errors): a closed pipe is its answer, not a failure.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().expect("fdlint runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(manifest_dir().join(path)).unwrap()
}

/// Output with what changes from run to run or machine to machine (times, the checkout's
/// location) replaced, for snapshots.
fn stable(format: &str, out: &str) -> String {
    match format {
        "json" => {
            let mut v: Value = serde_json::from_str(out).unwrap();
            v["summary"]["discover_time"] = 0.into();
            v["summary"]["lint_time"] = 0.into();
            serde_json::to_string_pretty(&v).unwrap() + "\n"
        }
        "sarif" => {
            let mut v: Value = serde_json::from_str(out).unwrap();
            v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///SRCROOT/".into();
            serde_json::to_string_pretty(&v).unwrap() + "\n"
        }
        _ => out.to_string(),
    }
}

#[test]
fn snapshots_of_every_format() {
    for (name, path) in [("incident", INCIDENT), ("warnings", WARNINGS)] {
        for format in FORMATS {
            if (format, name) == ("human", "incident") {
                // tests/it/cli.rs snapshots that one.
                continue;
            }
            let o = run(&["check", "--format", format, path]);
            assert_eq!(o.status.code(), Some(1), "{format} {path}: {}", stderr(&o));
            insta::assert_snapshot!(format!("{format}_{name}"), stable(format, &stdout(&o)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `concise` and the editor snippets of docs/output-formats.md.

fn doc() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| repo_file("docs/output-formats.md"))
}

/// The fenced code block of `lang` in the doc that contains `needle`.
fn doc_block(lang: &str, needle: &str) -> &'static str {
    let fence = format!("```{lang}\n");
    doc()
        .split(fence.as_str())
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .find(|b| b.contains(needle))
        .unwrap_or_else(|| panic!("docs/output-formats.md has a {lang} block with {needle}"))
}

/// What every editor must recover from a `concise` line: the json-lines fields.
#[derive(Debug, PartialEq)]
struct Parsed {
    file: String,
    line: usize,
    column: usize,
    severity: String,
    message: Option<String>,
}

/// The `concise` lines and, for each, the json-lines finding it must parse into, from runs on
/// fixtures with errors and warnings, and on standard input under a name with spaces.
fn concise_cases() -> Vec<(String, Parsed)> {
    let mut cases = Vec::new();
    let mut add = |concise: Output, json: Output| {
        let lines: Vec<String> = stdout(&concise).lines().map(String::from).collect();
        let objects: Vec<Value> = stdout(&json)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), objects.len());
        assert!(!lines.is_empty());
        for (line, v) in lines.into_iter().zip(objects) {
            let expect = Parsed {
                file: v["path"].as_str().unwrap().to_string(),
                line: v["line"].as_u64().unwrap() as usize,
                column: v["column"].as_u64().unwrap() as usize,
                severity: v["severity"].as_str().unwrap().to_string(),
                // A finding with a fix `--fix` applies is marked `[*]` before its message,
                // and editors read the marker as part of it.
                message: Some(format!(
                    "{}{}",
                    if v["fix"]["applicability"] == "safe" {
                        "[*] "
                    } else {
                        ""
                    },
                    v["message"].as_str().unwrap()
                )),
            };
            cases.push((line, expect));
        }
    };
    for path in [INCIDENT, WARNINGS, "fixtures/python/close_loops.py"] {
        add(
            run(&["check", "-q", "--format", "concise", path]),
            run(&["check", "-q", "--format", "json-lines", path]),
        );
    }
    let text = repo_file(INCIDENT);
    let name = "dir with spaces/helper [v2].py";
    add(
        run_stdin(
            &[
                "check",
                "-q",
                "--format",
                "concise",
                "--stdin-filename",
                name,
            ],
            &text,
        ),
        run_stdin(
            &[
                "check",
                "-q",
                "--format",
                "json-lines",
                "--stdin-filename",
                name,
            ],
            &text,
        ),
    );
    let severities: Vec<&str> = cases.iter().map(|(_, p)| p.severity.as_str()).collect();
    assert!(severities.contains(&"error") && severities.contains(&"warning"));
    cases
}

/// Vim's `efm_to_regpat()` (src/quickfix.c), for formats without a `%A`-style prefix, emitting
/// a Rust regex instead of a vim one. What vim does, and so what this does:
/// - the pattern is anchored: `^...$`;
/// - `%f` followed by a literal character becomes `.\{-1,}` (lazy, at least one), so a file name
///   may contain spaces and the rest of the pattern decides where it ends;
/// - `%l`, `%c`, `%n` become `\d\+`, `%t` one character `.`, `%m` `.\+` (not empty), `%r` `.*`;
/// - `%*[...]` copies the bracket expression and appends `\+` (one or more);
/// - a literal character among `.*^$~[` is escaped (so `[` is a literal bracket), `\x` is `x`,
///   anything else is itself (`]` outside a bracket expression is literal in vim).
///
/// Returns the regex and the conversion letter of each capture group, in order.
fn vim_efm_to_regex(efm: &str) -> (String, Vec<char>) {
    let chars: Vec<char> = efm.chars().collect();
    let mut re = String::from("^");
    let mut groups = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '%' {
            i += 1;
            let conv = chars[i];
            match conv {
                'f' => {
                    let next = chars.get(i + 1);
                    assert!(
                        next.is_some_and(|n| *n != '\\' && *n != '%'),
                        "only `%f` followed by a literal is modelled"
                    );
                    re.push_str("(.+?)");
                    groups.push('f');
                }
                'l' | 'c' | 'n' | 'e' | 'k' => {
                    re.push_str(r"(\d+)");
                    groups.push(conv);
                }
                't' => {
                    re.push_str("(.)");
                    groups.push('t');
                }
                'm' => {
                    re.push_str("(.+)");
                    groups.push('m');
                }
                'r' => {
                    re.push_str("(.*)");
                    groups.push('r');
                }
                '*' => {
                    i += 1;
                    assert_eq!(chars[i], '[', "only `%*[...]` is modelled");
                    re.push('[');
                    i += 1;
                    if chars[i] == '^' {
                        re.push('^');
                        i += 1;
                    }
                    // The first character may be `]` and is then literal, as in vim.
                    let mut first = true;
                    while first || chars[i] != ']' {
                        first = false;
                        let m = chars[i];
                        if "[]\\&~-".contains(m) {
                            re.push('\\');
                        }
                        re.push(m);
                        i += 1;
                    }
                    re.push_str("]+");
                }
                other => panic!("`%{other}` is not modelled"),
            }
        } else if c == '\\' && i + 1 < chars.len() {
            i += 1;
            re.push_str(&regex::escape(&chars[i].to_string()));
        } else {
            re.push_str(&regex::escape(&c.to_string()));
        }
        i += 1;
    }
    re.push('$');
    (re, groups)
}

/// How vim reads `%t`: the quickfix type letter, as `:clist` shows it.
fn vim_type(c: &str) -> String {
    match c {
        "e" | "E" => "error",
        "w" | "W" => "warning",
        "n" | "N" => "note",
        "i" | "I" => "info",
        other => panic!("vim would not know type {other:?}"),
    }
    .to_string()
}

#[test]
fn concise_parses_with_the_documented_vim_errorformat() {
    // The errorformat of the vim and the nvim-lint snippets: the same string, used twice.
    let found: Vec<&str> = Regex::new(r"'(%f:[^']*)'")
        .unwrap()
        .captures_iter(doc())
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(found.len(), 2, "the vim and nvim-lint snippets: {found:?}");
    assert_eq!(found[0], found[1]);
    assert!(doc_block("vim", "errorformat").contains(found[0]));
    assert!(doc_block("lua", "from_errorformat").contains(found[0]));
    let (re, groups) = vim_efm_to_regex(found[0]);
    // What vim compiles it to, `^\(.\{-1,}\):\(\d\+\):\(\d\+\): \(.\)[^[]\+\[[^]]\+] \(.\+\)$`,
    // in Rust's syntax.
    assert_eq!(re, r"^(.+?):(\d+):(\d+): (.)[^\[]+\[[^\]]+\] (.+)$");
    assert_eq!(groups, ['f', 'l', 'c', 't', 'm']);
    let re = Regex::new(&re).unwrap();
    for (line, expect) in concise_cases() {
        let c = re
            .captures(&line)
            .unwrap_or_else(|| panic!("errorformat does not match {line}"));
        let got = Parsed {
            file: c[1].to_string(),
            line: c[2].parse().unwrap(),
            column: c[3].parse().unwrap(),
            severity: vim_type(&c[4]),
            message: Some(c[5].to_string()),
        };
        assert_eq!(got, expect, "{line}");
    }
}

/// An Emacs regexp (as the string's contents, after elisp unescaping) in Rust's syntax: in
/// Emacs `\(`, `\)`, `\|` group and alternate while `(`, `)`, `|`, `{`, `}` are literal; `\[` is
/// a literal bracket and a `]` outside a bracket expression is literal.
fn emacs_to_regex(emacs: &str) -> String {
    let mut out = String::new();
    let mut chars = emacs.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next().expect("a backslash escapes something") {
                '(' => {
                    if chars.peek() == Some(&'?') {
                        chars.next();
                        assert_eq!(chars.next(), Some(':'), "only shy groups are modelled");
                        out.push_str("(?:");
                    } else {
                        out.push('(');
                    }
                }
                ')' => out.push(')'),
                '|' => out.push('|'),
                '[' => out.push_str(r"\["),
                ']' => out.push_str(r"\]"),
                '.' => out.push_str(r"\."),
                other => panic!("`\\{other}` is not modelled"),
            },
            '[' => {
                out.push('[');
                for m in chars.by_ref() {
                    out.push(m);
                    if m == ']' {
                        break;
                    }
                }
            }
            '(' | ')' | '|' | '{' | '}' | ']' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn concise_parses_with_the_documented_emacs_regexp() {
    let block = doc_block("elisp", "compilation-error-regexp-alist");
    let literal = Regex::new(r#"'\(fdlint "((?:[^"\\]|\\.)*)"\s+1 2 3 \(4 \. 5\)\)\)"#)
        .unwrap()
        .captures(block)
        .expect("the elisp snippet has (fdlint \"REGEXP\" 1 2 3 (4 . 5))")[1]
        .to_string();
    // The elisp string's contents: `\\` is one backslash, `\"` a quote.
    let emacs = literal.replace(r"\\", "\u{0}").replace(r#"\""#, "\"");
    let emacs = emacs.replace('\u{0}', "\\");
    let re = emacs_to_regex(&emacs);
    assert_eq!(
        re,
        r"^(.+?):([0-9]+):([0-9]+): (?:error|(warning)|(note))\[FD[0-9]+\] "
    );
    let re = Regex::new(&re).unwrap();
    for (line, expect) in concise_cases() {
        let c = re
            .captures(&line)
            .unwrap_or_else(|| panic!("the emacs regexp does not match {line}"));
        // compilation mode's TYPE (4 . 5): warning if group 4 matched, info if 5, else error.
        let severity = match (c.get(4), c.get(5)) {
            (Some(_), _) => "warning",
            (None, Some(_)) => "note",
            (None, None) => "error",
        };
        let got = Parsed {
            file: c[1].to_string(),
            line: c[2].parse().unwrap(),
            column: c[3].parse().unwrap(),
            severity: severity.to_string(),
            // Compilation mode shows the whole line, not a message group.
            message: None,
        };
        assert_eq!(
            got,
            Parsed {
                message: None,
                ..expect
            },
            "{line}"
        );
    }
}

#[test]
fn concise_parses_with_the_documented_vscode_problem_matcher() {
    let tasks: Value = serde_json::from_str(doc_block("json", "problemMatcher"))
        .expect("the tasks.json snippet is JSON");
    let matcher = &tasks["tasks"][0]["problemMatcher"];
    assert_eq!(matcher["fileLocation"][0], "relative");
    let pattern = &matcher["pattern"];
    // JavaScript and Rust agree on this regexp's syntax and meaning (no lookaround, no
    // backreferences, lazy `+?` in both).
    let re = Regex::new(pattern["regexp"].as_str().unwrap()).unwrap();
    let group = |name: &str| pattern[name].as_u64().unwrap() as usize;
    for (line, expect) in concise_cases() {
        let c = re
            .captures(&line)
            .unwrap_or_else(|| panic!("the problem matcher does not match {line}"));
        let got = Parsed {
            file: c[group("file")].to_string(),
            line: c[group("line")].parse().unwrap(),
            column: c[group("column")].parse().unwrap(),
            // VS Code reads `error`, `warning`; `note` it maps to info.
            severity: c[group("severity")].to_string(),
            message: Some(c[group("message")].to_string()),
        };
        assert_eq!(got, expect, "{line}");
        assert!(c[group("code")].starts_with("FD"));
    }
}

// ---------------------------------------------------------------------------------------------
// `github`.

#[test]
fn github_escaping_is_that_of_actions_core() {
    use fdlint::report::github::{escape_data, escape_property};
    assert_eq!(escape_data("100% a:b, c\r\nd"), "100%25 a:b, c%0D%0Ad");
    assert_eq!(
        escape_property("100% a:b, c\r\nd"),
        "100%25 a%3Ab%2C c%0D%0Ad"
    );
    // `%` first, or the escapes themselves would be escaped again.
    assert_eq!(escape_data("%0A"), "%250A");

    let o = run_stdin(
        &[
            "check",
            "-q",
            "--format",
            "github",
            "--stdin-filename",
            "odd, name: 100%.py",
        ],
        &repo_file(INCIDENT),
    );
    let out = stdout(&o);
    assert!(
        out.starts_with("::error file=odd%2C name%3A 100%25.py,line=18,endLine=18,col=5,"),
        "{out}"
    );
    assert!(out.contains(",title=fdlint (FD001)::loop calls"), "{out}");
}

#[test]
fn github_levels_and_columns() {
    let out = stdout(&run(&["check", "--format", "github", WARNINGS]));
    assert!(
        out.lines().all(|l| l.starts_with("::warning file=")),
        "{out}"
    );
    // Findings spanning lines have no columns.
    let text = "import os, resource\n\
                for fd in range(3,\n        resource.getrlimit(resource.RLIMIT_NOFILE)[1]):\n    \
                os.close(fd)\n";
    let out = stdout(&run_stdin(
        &["check", "--format", "github", "--stdin-filename", "m.py"],
        text,
    ));
    assert_eq!(
        out.lines().next().unwrap().split("::").nth(1).unwrap(),
        "error file=m.py,line=2,endLine=3,title=fdlint (FD001)"
    );
}

// ---------------------------------------------------------------------------------------------
// `sarif`.

fn sarif_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        // A `pattern` of the official schema (`language`, in two places) has an unescaped `]`: a literal
        // in JavaScript's non-Unicode regexes, an error in the strict syntax the `jsonschema`
        // crate checks every schema's patterns with, which no option turns off. Escaping it keeps
        // its meaning; the file itself stays the published one (see tests/data/README.md).
        let text = repo_file("tests/data/sarif-schema-2.1.0.json");
        let lone = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
        assert_eq!(text.matches(lone).count(), 2, "the schema changed");
        let text = text.replace(lone, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
        let schema: Value = serde_json::from_str(&text).unwrap();
        // Format assertions off, as the schema's README asks: SARIF consumers do not check them.
        jsonschema::draft7::options()
            .should_validate_formats(false)
            .build(&schema)
            .expect("the SARIF schema compiles")
    })
}

pub fn assert_valid_sarif(log: &Value) {
    let errors: Vec<String> = sarif_validator()
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

fn sarif_of(args: &[&str]) -> Value {
    let mut all = vec!["check", "-q", "--format", "sarif"];
    all.extend(args);
    let o = run(&all);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("SARIF is JSON")
}

#[test]
fn sarif_is_valid_against_the_schema() {
    // All fixtures: findings of both severities in three languages, plus files that do not
    // parse or are not UTF-8 (notifications).
    let log = sarif_of(&["fixtures"]);
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
    assert!(
        !log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_valid_sarif(&log);
    // No findings at all is valid too.
    assert_valid_sarif(&sarif_of(&["fixtures/python/close_loops_negatives.py"]));
}

#[test]
fn sarif_schema_validation_rejects_invalid_logs() {
    let log = sarif_of(&[INCIDENT]);
    assert_valid_sarif(&log);
    let invalid = [
        ("no version", {
            let mut l = log.clone();
            l.as_object_mut().unwrap().remove("version");
            l
        }),
        ("fatal level", {
            let mut l = log.clone();
            l["runs"][0]["results"][0]["level"] = "fatal".into();
            l
        }),
        ("line 0", {
            let mut l = log.clone();
            l["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                0.into();
            l
        }),
        ("unknown suppression kind", {
            let mut l = log.clone();
            l["runs"][0]["results"][0]["suppressions"] = serde_json::json!([{"kind": "maybe"}]);
            l
        }),
    ];
    for (what, l) in invalid {
        assert!(
            !sarif_validator().is_valid(&l),
            "the validator accepted a log with {what}"
        );
    }
}

#[test]
fn sarif_suppressed_findings_are_marked_and_valid() {
    let settings = fdlint::settings::Settings::default();
    let mut result = fdlint::engine::run(&[PathBuf::from(INCIDENT)], &settings).unwrap();
    result.files[0].findings[0].suppressed = true;
    let log = fdlint::report::sarif::log(&result, &manifest_dir());
    assert_eq!(
        log["runs"][0]["results"][0]["suppressions"],
        serde_json::json!([{"kind": "inSource"}])
    );
    assert_valid_sarif(&log);
    result.files[0].findings[0].suppressed = false;
    let log = fdlint::report::sarif::log(&result, &manifest_dir());
    assert!(log["runs"][0]["results"][0].get("suppressions").is_none());
}

#[test]
fn sarif_paths_are_relative_to_the_working_directory() {
    let root_uri = format!("file://{}/", manifest_dir().display());
    let absolute = manifest_dir().join(INCIDENT);
    for arg in [INCIDENT, "./fixtures/incident", absolute.to_str().unwrap()] {
        let log = sarif_of(&[arg]);
        let run = &log["runs"][0];
        assert_eq!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"], root_uri);
        let loc = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(loc["uri"], INCIDENT, "{arg}");
        assert_eq!(loc["uriBaseId"], "%SRCROOT%");
    }
}

#[test]
fn sarif_rules_and_results_carry_the_metadata() {
    let log = sarif_of(&[INCIDENT]);
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "fdlint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["informationUri"], fdlint::REPOSITORY);
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), fdlint::rules::all().len());
    for (r, meta) in rules.iter().zip(fdlint::rules::all()) {
        assert_eq!(r["id"], meta.code);
        assert_eq!(r["name"], meta.name);
        assert_eq!(r["shortDescription"]["text"], meta.summary);
        assert_eq!(r["helpUri"], meta.url());
        assert_eq!(
            r["defaultConfiguration"]["level"],
            meta.default_severity.as_str()
        );
        let md = r["help"]["markdown"].as_str().unwrap();
        assert!(md.starts_with("## What it does\n"), "{md}");
        let full = r["fullDescription"]["text"].as_str().unwrap();
        assert!(!full.contains('\n') && !full.contains("##"), "{full}");
    }
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "FD001");
    assert_eq!(
        rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "FD001"
    );
    assert_eq!(result["level"], "error");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        [
            &region["startLine"],
            &region["startColumn"],
            &region["endLine"],
            &region["endColumn"]
        ],
        [18, 5, 18, 30]
    );
    let related: Vec<&str> = result["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        related,
        [
            "hard limit read here",
            "fallback bound 65,536",
            "one `close()` per fd"
        ]
    );
}

#[test]
fn sarif_file_problems_are_tool_execution_notifications() {
    let log = sarif_of(&["fixtures/python/broken_syntax.py"]);
    let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 1);
    let n = &notes[0];
    assert_eq!(n["level"], "warning");
    assert_eq!(n["descriptor"]["id"], "parse-error");
    let loc = &n["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "fixtures/python/broken_syntax.py"
    );
    assert_eq!(loc["region"]["startLine"], 4);
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

/// The fingerprints and start lines of a text's findings, linted as `name`.
fn fingerprints(text: &str, name: &str) -> Vec<(String, u64)> {
    let o = run_stdin(
        &["check", "-q", "--format", "sarif", "--stdin-filename", name],
        text,
    );
    let log: Value = serde_json::from_str(&stdout(&o)).unwrap();
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["partialFingerprints"]["fdlintTextHash/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect()
}

#[test]
fn sarif_fingerprints_survive_lines_inserted_above() {
    let text = repo_file("fixtures/python/close_loops.py");
    let before = fingerprints(&text, "close_loops.py");
    assert!(before.len() > 3);
    // Identical findings in one file still get distinct fingerprints.
    let mut unique: Vec<&String> = before.iter().map(|(f, _)| f).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len());

    // Three blank lines and a comment after the imports, above every finding.
    let first = before.iter().map(|(_, l)| *l).min().unwrap() as usize;
    let mut lines: Vec<&str> = text.lines().collect();
    lines.splice(first - 1..first - 1, ["", "", "# moved", ""]);
    let shifted = fingerprints(&(lines.join("\n") + "\n"), "close_loops.py");
    assert_eq!(shifted.len(), before.len());
    for ((f0, l0), (f1, l1)) in before.iter().zip(&shifted) {
        assert_eq!(*l1, l0 + 4);
        assert_eq!(
            f0, f1,
            "the fingerprint of the finding on line {l0} changed"
        );
    }

    // Another file, or another loop, is another finding.
    let other = fingerprints(&text, "elsewhere.py");
    assert_ne!(other[0].0, before[0].0);
    let incident = repo_file(INCIDENT);
    let edited = incident.replace("range(3, maxfd)", "range(4, maxfd)");
    assert_ne!(
        fingerprints(&incident, "h.py")[0].0,
        fingerprints(&edited, "h.py")[0].0
    );
}

// ---------------------------------------------------------------------------------------------
// Standard output, standard input, output files.

#[test]
fn stdout_stays_machine_readable_with_findings_and_problems() {
    // fixtures/ has findings, a file that does not parse and one that is not UTF-8.
    for format in ["json", "sarif"] {
        let o = run(&["check", "--format", format, "fixtures"]);
        assert_eq!(o.status.code(), Some(1));
        serde_json::from_str::<Value>(&stdout(&o))
            .unwrap_or_else(|e| panic!("--format {format}: stdout is not JSON: {e}"));
        let err = stderr(&o);
        assert!(
            err.contains("findings in"),
            "the summary is on stderr: {err}"
        );
        assert!(
            err.contains("broken_syntax.py"),
            "problems are on stderr: {err}"
        );
    }
    let o = run(&[
        "check",
        "--format",
        "json-lines",
        "--statistics",
        "fixtures",
    ]);
    let out = stdout(&o);
    assert!(out.lines().count() > 10);
    for line in out.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    let re = Regex::new(r"^[^:]+:\d+:\d+: (error|warning|note)\[FD\d{3}\] .+$").unwrap();
    for format in ["concise", "github"] {
        let out = stdout(&run(&["check", "--format", format, "fixtures"]));
        for line in out.lines() {
            match format {
                "concise" => assert!(re.is_match(line), "{line}"),
                _ => assert!(line.starts_with("::"), "{line}"),
            }
        }
    }
    // --quiet: nothing on stderr.
    let o = run(&["check", "--quiet", "--format", "json", "fixtures"]);
    assert_eq!(stderr(&o), "");
}

#[test]
fn stdin_filename_lints_standard_input() {
    let text = repo_file(INCIDENT);
    // No paths: standard input only, under the given name, its language from the name.
    let o = run_stdin(
        &[
            "check",
            "--format",
            "concise",
            "--stdin-filename",
            "src/h.py",
        ],
        &text,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("src/h.py:18:5: error[FD001] "));
    assert!(stderr(&o).contains("1 finding in 1 file; 1 file scanned"));
    // `-` among other paths: both, sorted by path.
    let o = run_stdin(
        &[
            "check",
            "-q",
            "--format",
            "concise",
            "--stdin-filename",
            "a.py",
            WARNINGS,
            "-",
        ],
        &text,
    );
    let out = stdout(&o);
    let files: Vec<&str> = out.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(files[0], "a.py");
    assert!(files[1..].iter().all(|f| *f == WARNINGS));
    // The name picks the language: the same text as Ruby has no finding.
    let o = run_stdin(&["check", "--stdin-filename", "h.rb"], &text);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Errors: no name for `-`, a name without `-` among paths, a name of no known language.
    for args in [
        &["check", "-"][..],
        &["check", "--stdin-filename", "a.py", INCIDENT],
        &["check", "--stdin-filename", "notes.txt"],
    ] {
        // No shebang: a shebang would name the language.
        let o = run_stdin(args, "x = 1\n");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).starts_with("fdlint: error: "), "{}", stderr(&o));
    }
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn output_file_replaces_the_file_and_a_write_failure_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.sarif");
    std::fs::write(&target, "old").unwrap();
    let o = run(&[
        "check",
        "--format",
        "sarif",
        "--output-file",
        target.to_str().unwrap(),
        INCIDENT,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("1 finding in 1 file"));
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(
        written,
        stdout(&run(&["check", "--format", "sarif", INCIDENT]))
    );
    assert_eq!(
        dir_entries(dir.path()),
        ["report.sarif"],
        "no temporary file left"
    );

    // A directory that does not exist, and a path that is a directory: exit 2, nothing left.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    for bad in [dir.path().join("missing/report.json"), sub.clone()] {
        let o = run(&[
            "check",
            "--format",
            "json",
            "-o",
            bad.to_str().unwrap(),
            INCIDENT,
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", bad.display());
        assert!(
            stderr(&o).contains("fdlint: error: could not write"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(dir_entries(dir.path()), ["report.sarif", "sub"]);
    assert!(dir_entries(&sub).is_empty());
}
