#!/usr/bin/env bash
# run.sh — the fdlint benchmark: fdlint against ripgrep (the I/O floor), semgrep and ast-grep on
# the corpus built by make-corpus.sh, plus a scaling check. Writes a Markdown report.
#
# In one run:
#   * builds fdlint (`cargo build --release --locked`) and the parse_throughput example;
#   * reuses or builds the corpus ($CORPUS, default ~/.cache/fdlint-bench-corpus; make-corpus.sh);
#   * warms the page cache, then per tool: hyperfine (median wall, mean user+sys) and one run
#     under /usr/bin/time -v (peak RSS, output -> findings);
#       fdlint    fdlint check --no-ignore --fail-on never --format json -j JOBS SRC
#       rg        rg --no-config -c -uuu -j JOBS -tpy -truby -trust PATTERN SRC (same files)
#       semgrep / ast-grep   exactly as run-peers.sh invokes them (PEERS=0 skips them)
#   * one `fdlint --statistics` run: files/MB per language read and parsed, CPU per phase;
#   * raw parse throughput of each parser, and the whole frontend's time, on the files a run
#     parses (examples/parse_throughput.rs);
#   * scaling: half the corpus, the corpus, the corpus twice (hard-linked copies, two distinct
#     directories so discovery does not dedup them), and -j 1 vs -j JOBS.
# Throughput denominators are the language source files of run-peers.sh (*.py *.pyi *.rb *.rake
# *.gemspec *.ru *.rs) for every tool; fdlint's own count of discovered files is reported too.
#
# Knobs: CORPUS  JOBS=2  RUNS=5 (fdlint, rg)  PEER_RUNS=3  PEERS=1  SCALING=1
#        OUT=<raw results dir>  RESULTS=bench/RESULTS.md (where the Markdown goes; - for stdout)
# Benchmarks are not tests: nothing in CI or `cargo test` runs this script.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
CORPUS=${CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/fdlint-bench-corpus}
SRC=$CORPUS/src
JOBS=${JOBS:-2}
RUNS=${RUNS:-5}
PEER_RUNS=${PEER_RUNS:-3}
PEERS=${PEERS:-1}
SCALING=${SCALING:-1}
OUT=${OUT:-$CORPUS/results/fdlint-$(date -u +%Y%m%dT%H%M%SZ)}
RESULTS=${RESULTS:-$BENCH_DIR/RESULTS.md}
VENV=$CORPUS/tools/venv
PEERS_DIR=$BENCH_DIR/peers
RG_PATTERN='RLIMIT_NOFILE|SC_OPEN_MAX|popen|spawn|close'
export SEMGREP_SEND_METRICS=off SEMGREP_ENABLE_VERSION_CHECK=0

log() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[bench] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

for t in rg hyperfine; do command -v $t >/dev/null || die "$t is missing (apt-get install ripgrep hyperfine)"; done
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"

log "building fdlint (release, locked)"
build() { (cd "$REPO_DIR" && cargo build -q --release --locked && cargo build -q --release --locked --example parse_throughput); }
# cargo's `rustc -` target-info probe has read other processes' output on this machine and then
# caches the failure (see .ci/run): drop the cache and retry once, one job at a time.
if ! build 2>"${TMPDIR:-/tmp}/fdlint-bench-build.log"; then
  cat "${TMPDIR:-/tmp}/fdlint-bench-build.log" >&2
  grep -q 'failed to run `rustc` to learn about target-specific information' "${TMPDIR:-/tmp}/fdlint-bench-build.log" \
    || die "build failed"
  log "cargo's rustc probe failed (toolchain race): retrying without its cache, -j 1"
  rm -f "$REPO_DIR/target/.rustc_info.json"
  CARGO_BUILD_JOBS=1 build || die "build failed"
fi
TARGET_DIR=$(cd "$REPO_DIR" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
FDLINT=$TARGET_DIR/release/fdlint
PARSE=$TARGET_DIR/release/examples/parse_throughput

if [[ ! -d $SRC/python || ! -d $SRC/ruby || ! -d $SRC/rust ]]; then
  log "no corpus in $SRC: building it with make-corpus.sh (a few minutes)"
  CORPUS=$CORPUS "$BENCH_DIR/make-corpus.sh"
fi
if [[ $PEERS != 0 ]]; then
  [[ -x $VENV/bin/semgrep && -x $VENV/bin/ast-grep ]] || die "semgrep/ast-grep missing in $VENV: run bench/run-peers.sh once (it installs them) or PEERS=0"
fi
mkdir -p "$OUT"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
export LOAD0

# size_of DIR -> "files bytes" of the language sources under DIR (run-peers.sh's definition)
size_of() {
  find -L "$1" -type f \( -name '*.py' -o -name '*.pyi' -o -name '*.rb' -o -name '*.rake' \
       -o -name '*.gemspec' -o -name '*.ru' -o -name '*.rs' \) -printf '%s\n' \
    | awk '{n++; s+=$1} END {print n+0, s+0}'
}

# cmd_for TOOL DIR JOBS OUTFILE -> a shell-quoted command line
cmd_for() {
  local tool=$1 dir=$2 j=$3 out=$4
  case $tool in
    fdlint)   printf '%q ' "$FDLINT" check --no-ignore --fail-on never --format json -q -j "$j" "$dir" ;;
    rg)       printf '%q ' rg --no-config -c -uuu -j "$j" -tpy -truby -trust "$RG_PATTERN" "$dir" ;;
    semgrep)  printf '%q ' "$VENV/bin/semgrep" scan --metrics=off --disable-version-check \
                --no-git-ignore --x-ignore-semgrepignore-files --max-target-bytes=0 -j "$j" \
                --config "$PEERS_DIR/semgrep.yml" --json -o "$out" -q "$dir" ;;
    ast-grep) printf '%q ' "$VENV/bin/ast-grep" scan -c "$PEERS_DIR/ast-grep/sgconfig.yml" \
                --no-ignore hidden --no-ignore dot --no-ignore exclude --no-ignore global \
                --no-ignore parent --no-ignore vcs -j "$j" --json=stream "$dir" ;;
  esac
}

findings() {
  python3 - "$1" "$2" <<'EOF'
import collections, json, sys
tool, path = sys.argv[1], sys.argv[2]
c = collections.Counter()
if tool == "rg":
    files = lines = 0
    for l in open(path, errors="replace"):
        l = l.rstrip("\n")
        if l:
            files += 1; lines += int(l.rsplit(":", 1)[1])
    print(f"({lines} matching lines in {files} files)"); sys.exit()
if tool == "fdlint":
    for f in json.load(open(path))["findings"]:
        c[f.get("code") or f.get("rule", {}).get("code") or str(f.get("rule"))] += 1
elif tool == "semgrep":
    for r in json.load(open(path))["results"]:
        c[r["check_id"].rsplit(".", 1)[-1].split("-")[0]] += 1
else:
    for l in open(path):
        if l.strip():
            c[json.loads(l)["ruleId"].split("-")[0]] += 1
print(f"{sum(c.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + ")")
EOF
}

# measure NAME TOOL DIR JOBS RUNS -> appends a TSV row: name tool median user sys rss files mb findings
measure() {
  local name=$1 tool=$2 dir=$3 j=$4 runs=$5 o=$OUT/$1.out cmd files bytes
  cmd=$(cmd_for "$tool" "$dir" "$j" "$o")
  read -r files bytes < <(size_of "$dir")
  log "$name: hyperfine ($runs runs): $cmd"
  local warm=1; [[ $tool == semgrep || $tool == ast-grep ]] && warm=0
  hyperfine -N --style basic --output=pipe --warmup "$warm" --runs "$runs" \
      --export-json "$OUT/$name.hyperfine.json" "$cmd" >"$OUT/$name.hyperfine.txt" 2>&1 \
    || { cat "$OUT/$name.hyperfine.txt" >&2; die "$name failed"; }
  if [[ $tool == semgrep ]]; then
    eval "/usr/bin/time -v -o $(printf %q "$OUT/$name.time") $cmd" >/dev/null
  else
    eval "/usr/bin/time -v -o $(printf %q "$OUT/$name.time") $cmd" >"$o"
  fi
  python3 - "$OUT/$name.hyperfine.json" "$OUT/$name.time" "$name" "$tool" "$files" "$bytes" \
      "$(findings "$tool" "$o")" >> "$OUT/rows.tsv" <<'EOF'
import json, re, statistics, sys
hf, tv, name, tool, files, nbytes, found = sys.argv[1:8]
r = json.load(open(hf))["results"][0]
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(tv).read()).group(1)) / 1024
print("\t".join(map(str, [name, tool, statistics.median(r["times"]), r["user"], r["system"], rss, files, int(nbytes) / 1e6, found])))
EOF
  tail -n1 "$OUT/rows.tsv" >&2
}

: > "$OUT/rows.tsv"
log "warming the page cache"
find "$SRC" -type f -print0 | xargs -0 cat > /dev/null
measure fdlint fdlint "$SRC" "$JOBS" "$RUNS"
measure rg rg "$SRC" "$JOBS" "$RUNS"
if [[ $PEERS != 0 ]]; then
  measure semgrep semgrep "$SRC" "$JOBS" "$PEER_RUNS"
  measure ast-grep ast-grep "$SRC" "$JOBS" "$PEER_RUNS"
fi

log "fdlint --statistics"
"$FDLINT" check --no-ignore --fail-on never --statistics -j "$JOBS" "$SRC" 2>&1 >/dev/null \
  | grep -v '^fdlint: ' > "$OUT/statistics.txt" || true
log "parse cost (1 thread) on the files a run parses"
"$PARSE" "$SRC" > "$OUT/parse.tsv"

if [[ $SCALING != 0 ]]; then
  # Scale targets: hard-linked copies (cheap, and plain directories: fdlint follows no links
  # inside a tree). half = every second package directory of each language.
  SCALE=$CORPUS/scale
  if [[ ! -d $SCALE/double/b ]]; then
    log "building scale targets in $SCALE (hard links)"
    rm -rf "$SCALE"; mkdir -p "$SCALE/half" "$SCALE/double"
    for lang in python ruby rust; do
      mkdir -p "$SCALE/half/$lang"
      i=0
      for d in "$SRC/$lang"/*; do
        if (( i++ % 2 == 0 )); then cp -al "$d" "$SCALE/half/$lang/"; fi
      done
    done
    cp -al "$SRC" "$SCALE/double/a"; cp -al "$SRC" "$SCALE/double/b"
  fi
  measure scale-half fdlint "$SCALE/half" "$JOBS" "$RUNS"
  measure scale-double fdlint "$SCALE/double" "$JOBS" "$RUNS"
  measure scale-j1 fdlint "$SRC" 1 "$RUNS"
  measure rg-j1 rg "$SRC" 1 "$RUNS"
fi

log "writing the report"
{
  for n in fdlint rg semgrep ast-grep scale-half scale-double scale-j1 rg-j1; do
    [[ -f $OUT/$n.hyperfine.json ]] || continue
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["command"])' "$OUT/$n.hyperfine.json"
  done
  echo "$FDLINT check --no-ignore --fail-on never --statistics -j $JOBS $SRC"
  echo "$PARSE $SRC"
} > "$OUT/commands.txt"
export FDLINT REPO_DIR VENV SRC
python3 - "$OUT" "$JOBS" "$RUNS" "$PEER_RUNS" > "$OUT/RESULTS.md" <<'EOF'
import csv, os, subprocess, sys, datetime
out, jobs, runs, peer_runs = sys.argv[1:5]
rows = {r[0]: r for r in csv.reader(open(f"{out}/rows.tsv"), delimiter="\t")}
sh = lambda c: subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
def f(x): return float(x)
print(f"# fdlint benchmark results\n")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
cpu = sh("lscpu | sed -n 's/^Model name: *//p'")
ram = sh("free -g | awk '/Mem:/{print $2}'")
print(f"- machine: {sh('nproc')} CPUs ({cpu}), {ram} GiB RAM, kernel {sh('uname -r')}, "
      f"load average before the run: {os.environ.get('LOAD0', '?')}")
fdv = sh(os.environ["FDLINT"] + " --version")
head = sh("git -C " + os.environ["REPO_DIR"] + " rev-parse --short HEAD")
vers = f"- {fdv} at {head}; {sh('rg --version | head -1')}; {sh('hyperfine --version')}"
if "semgrep" in rows:
    venv = os.environ["VENV"]
    vers += f"; semgrep {sh(venv + '/bin/semgrep --version')}; {sh(venv + '/bin/ast-grep --version')}"
print(vers)
print(f"- corpus: {os.environ['SRC']} ; warm page cache; -j {jobs}; wall = median of {runs} hyperfine runs "
      f"({peer_runs} for semgrep/ast-grep), CPU = mean user+sys, RSS = one /usr/bin/time -v run\n")
print("| tool | wall s | CPU s | peak RSS MB | files | MB | files/s | MB/s | findings |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for k in ["fdlint", "rg", "semgrep", "ast-grep"]:
    if k not in rows: continue
    _, tool, med, u, s, rss, files, mb, found = rows[k]
    print(f"| {k} | {f(med):.3f} | {f(u)+f(s):.2f} | {f(rss):.0f} | {files} | {f(mb):.0f} | {int(files)/f(med):,.0f} | {f(mb)/f(med):,.1f} | {found} |")
fd = f(rows["fdlint"][2])
print()
r = [f"fdlint/rg = **{fd / f(rows['rg'][2]):.2f}x**"]
for p in ["semgrep", "ast-grep"]:
    if p in rows: r.append(f"{p}/fdlint = **{f(rows[p][2]) / fd:.0f}x**")
print("Ratios (wall): " + ", ".join(r) + "\n")
if "scale-half" in rows:
    print("## Scaling\n")
    print("| target | MB | wall s | MB/s | s per 100 MB |")
    print("|---|---:|---:|---:|---:|")
    for k, name in [("scale-half", "half the corpus"), ("fdlint", "the corpus"), ("scale-double", "the corpus twice")]:
        mb, med = f(rows[k][7]), f(rows[k][2])
        print(f"| {name} | {mb:.0f} | {med:.3f} | {mb/med:.0f} | {100*med/mb:.3f} |")
    print()
    print("| threads | fdlint wall s | fdlint CPU s | rg wall s |")
    print("|---|---:|---:|---:|")
    for k, rk, j in [("scale-j1", "rg-j1", "1"), ("fdlint", "rg", jobs)]:
        print(f"| {j} | {f(rows[k][2]):.3f} | {f(rows[k][3])+f(rows[k][4]):.2f} | {f(rows[rk][2]):.3f} |")
    print()
print("## Where fdlint's time goes (`fdlint check --statistics`, one run)\n\n```")
print(open(f"{out}/statistics.txt").read().rstrip())
print("```\n\n## Parse cost, 1 thread, on the files a run parses\n")
print("Raw parse: the parser alone, reused, no query; frontend: `lang::extract` (parse, queries,")
print("resolution) on the same files.\n")
print("| parser | files | MB | raw parse s | raw MB/s | frontend s |\n|---|---:|---:|---:|---:|---:|")
for l in list(open(f"{out}/parse.tsv"))[1:]:
    print("| " + " | ".join(l.split()) + " |")
print("\n## Commands\n\n```")
print(open(f"{out}/commands.txt").read().rstrip())
print("```")
EOF
if [[ $RESULTS == - ]]; then cat "$OUT/RESULTS.md"; else cp "$OUT/RESULTS.md" "$RESULTS"; log "wrote $RESULTS"; fi
