#!/usr/bin/env bash
# check-rules.sh — run the semgrep and ast-grep peer rules on fixtures/ and check them against the
# annotations there: the line after a "ruleid: <id>" comment must be reported (by rule <id>),
# nothing else may be. Exit status 0 only if both tools match exactly.
# Uses the venv that run-peers.sh installs (CORPUS/tools/venv); run run-peers.sh once first, or
# point VENV at any venv with semgrep and ast-grep-cli.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CORPUS=${CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/fdlint-bench-corpus}
VENV=${VENV:-$CORPUS/tools/venv}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$HERE/fixtures"
SEMGREP_SEND_METRICS=off SEMGREP_ENABLE_VERSION_CHECK=0 "$VENV/bin/semgrep" scan -q --metrics=off \
  --disable-version-check --no-git-ignore --x-ignore-semgrepignore-files --config ../semgrep.yml \
  --json -o "$tmp/semgrep.json" . 2>/dev/null
"$VENV/bin/ast-grep" scan -c ../ast-grep/sgconfig.yml --no-ignore hidden --no-ignore dot \
  --no-ignore exclude --no-ignore global --no-ignore parent --no-ignore vcs --json=stream . > "$tmp/ast-grep.json"
python3 - "$tmp" <<'PY'
import glob, json, os, re, sys
tmp = sys.argv[1]
expected, forbidden = set(), set()
for f in sorted(glob.glob("*.*")):
    for i, line in enumerate(open(f), start=1):
        m = re.search(r"(ruleid|ok): ([\w-]+)", line)
        if m:
            (expected if m.group(1) == "ruleid" else forbidden).add((m.group(2), f, i + 1))
got = {
    "semgrep": {(r["check_id"].rsplit(".", 1)[-1], os.path.normpath(r["path"]), r["start"]["line"])
                for r in json.load(open(f"{tmp}/semgrep.json"))["results"]},
    "ast-grep": {(r["ruleId"], os.path.normpath(r["file"]), r["range"]["start"]["line"] + 1)
                 for r in map(json.loads, filter(str.strip, open(f"{tmp}/ast-grep.json")))},
}
ok = True
for tool, g in got.items():
    missed, extra = sorted(expected - g), sorted(g - expected)
    print(f"{tool:8s}: {len(g & expected)}/{len(expected)} expected findings, "
          f"{len(missed)} missed, {len(extra)} unexpected ({len(g & forbidden)} on 'ok' lines)")
    for x in missed: print("   missed    ", *x)
    for x in extra: print("   unexpected", *x)
    ok &= not missed and not extra
sys.exit(0 if ok else 1)
PY
