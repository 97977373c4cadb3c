#!/usr/bin/env bash
# The GitHub Action's run step (action.yml), kept in a file so tests can run it locally with a
# simulated GITHUB_* environment (tests/it/action.rs).
#
# Inputs (environment):
#   FDLINT             the fdlint binary (default: `fdlint` on PATH)
#   INPUT_PATHS        whitespace-separated paths to lint (default: .)
#   INPUT_ARGS         whitespace-separated extra arguments for `fdlint check` (no quoting; not
#                      --format or --output-file, which this script sets)
#   INPUT_FAIL_ON      error | warning | note | never (default: warning)
#   INPUT_SARIF_FILE   when set, also write a SARIF log there
#   INPUT_MODE         check (lint INPUT_PATHS) | deps (lint the installed dependencies; INPUT_ARGS
#                      names them, e.g. `--venv .venv`; INPUT_PATHS is not used)
#   INPUT_BASELINE     when set, report only findings not recorded in this baseline file
#   GITHUB_WORKSPACE   the directory fdlint runs in, so paths are relative to the repository
#   GITHUB_STEP_SUMMARY, GITHUB_OUTPUT   files the runner reads back (optional here)
#
# Exit status: fdlint's: 0 nothing at or above INPUT_FAIL_ON, 1 findings, 2 error.
#
# fdlint runs once per report (JSON for the summary and outputs, github for annotations, SARIF):
# each format is fdlint's own tested writer, rather than a second implementation of, say, the
# workflow-command escaping in this script, and linting is fast next to everything else in a job.
set -euo pipefail

fdlint=${FDLINT:-fdlint}
fail_on=${INPUT_FAIL_ON:-warning}
sarif_file=${INPUT_SARIF_FILE:-}
mode=${INPUT_MODE:-check}
case $mode in
    check | deps) ;;
    *)
        echo "::error title=fdlint::mode must be check or deps, not '$mode'"
        exit 2
        ;;
esac
if [[ -n ${GITHUB_WORKSPACE:-} ]]; then
    cd "$GITHUB_WORKSPACE"
fi

# Split on whitespace without globbing: `paths: src tests` gives two paths, `*.py` stays literal.
set -f
IFS=$' \t\n' read -r -d '' -a paths <<<"${INPUT_PATHS:-.}" || true
IFS=$' \t\n' read -r -d '' -a args <<<"${INPUT_ARGS:-}" || true
set +f
if ((${#paths[@]} == 0)); then
    paths=(.)
fi
if [[ -n ${INPUT_BASELINE:-} ]]; then
    args+=(--baseline "$INPUT_BASELINE")
fi
# `fdlint check ARGS -- PATHS` or `fdlint deps ARGS`: what follows the options.
if [[ $mode == deps ]]; then
    targets=()
else
    targets=(-- "${paths[@]}")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
"$fdlint" "$mode" --format json --output-file "$tmp/report.json" --fail-on "$fail_on" \
    ${args[@]+"${args[@]}"} ${targets[@]+"${targets[@]}"} || status=$?
if ((status > 1)); then
    echo "::error title=fdlint::fdlint could not run (exit status $status); see the log above"
    exit "$status"
fi

# Annotations: workflow commands on standard output, which the runner turns into annotations.
"$fdlint" "$mode" --format github --fail-on never --quiet ${args[@]+"${args[@]}"} \
    ${targets[@]+"${targets[@]}"}

if [[ -n $sarif_file ]]; then
    "$fdlint" "$mode" --format sarif --output-file "$sarif_file" --fail-on never --quiet \
        ${args[@]+"${args[@]}"} ${targets[@]+"${targets[@]}"}
fi

python3 - "$tmp/report.json" "$sarif_file" "$fail_on" "$status" <<'PY'
import json
import os
import sys

report_path, sarif_file, fail_on, status = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(report_path, encoding="utf-8") as f:
    report = json.load(f)
findings = report["findings"]
n = len(findings)

# The job summary of one step may be at most 1 MiB; stay well under it.
MAX_ROWS = 500
MAX_BYTES = 500_000


def cell(text):
    text = str(text).replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= 300 else text[:299] + "…"


word = "finding" if n == 1 else "findings"
print(
    f"fdlint: {n} {word} (GitHub shows at most 10 annotations of each severity per step; "
    "the job summary lists them all)"
)

def package_of(f):
    p = f.get("package")
    if not p:
        return ""
    version = f" {p['version']}" if p.get("version") else ""
    return f"{p['name']}{version} ({p['ecosystem']})"


lines = [f"## fdlint: {n} {word}", ""]
if n:
    # Dependency findings are grouped by the package (and version) that brings them in.
    findings = sorted(findings, key=lambda f: (package_of(f), f["path"], f["line"]))
    size = sum(len(l.encode()) + 1 for l in lines)
    shown = 0
    group = None
    for f in findings:
        if shown == MAX_ROWS:
            break
        head = []
        if group is None or package_of(f) != group:
            group = package_of(f)
            count = sum(1 for x in findings if package_of(x) == group)
            if group:
                head += ["", f"### {group}: {count} {'finding' if count == 1 else 'findings'}", ""]
            head += ["| code | severity | location | message |", "|---|---|---|---|"]
        link = f"[{f['code']}]({f['url']})" if f.get("url") else f["code"]
        # A dependency's finding is located at the line that pins the package (the line a
        # bump changes), followed by where it is inside the package.
        pkg = f.get("package")
        if pkg and pkg.get("pin"):
            where = f"{pkg['pin']['path']}:{pkg['pin']['line']} ({pkg['path']}:{f['line']})"
        elif pkg:
            where = f"{pkg['path']}:{f['line']}"
        else:
            where = f"{f['path']}:{f['line']}"
        row = f"| {link} | {f['severity']} | `{cell(where)}` | {cell(f['message'])} |"
        add = head + [row]
        grow = sum(len(l.encode()) + 1 for l in add)
        if size + grow > MAX_BYTES:
            break
        lines += add
        size += grow
        shown += 1
    if shown < n:
        lines += ["", f"{n - shown} more findings not shown; run `fdlint {os.environ.get('INPUT_MODE') or 'check'}` locally to see them all."]
else:
    lines.append("No findings.")
for d in report.get("diagnostics", []):
    if d is report["diagnostics"][0]:
        lines += ["", "Files that could not be fully linted:", ""]
    where = f"{d['path']}:{d['line']}" if d.get("line") else d["path"]
    lines.append(f"- `{cell(where)}`: {cell(d['message'])}")
    if len(lines) > MAX_ROWS * 2:
        break
lines += ["", f"fail-on: `{fail_on}`, exit status {status}"]

summary = os.environ.get("GITHUB_STEP_SUMMARY")
if summary:
    with open(summary, "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
output = os.environ.get("GITHUB_OUTPUT")
if output:
    with open(output, "a", encoding="utf-8") as f:
        f.write(f"findings={n}\n")
        f.write(f"sarif-file={sarif_file}\n")
PY

exit "$status"
