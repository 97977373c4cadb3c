#!/usr/bin/env bash
# Run every cargo-fuzz target (or the ones named) for N minutes each, one after the other, then
# minimise whatever crashed or timed out.
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]     # default: 5 minutes, every target
#
# Seeds are copied from fixtures/ into fuzz/corpus/<target>/ (not committed; the corpus grows
# there between runs). Each target uses fuzz/dict/<target>.dict: the language's keywords and the
# names the rules look for. Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Environment: FUZZ_JOBS (libFuzzer -jobs, default 1), FUZZ_TIMEOUT (seconds per input before it
# counts as a timeout, default 10), FUZZ_RSS_MB (default 2048), FUZZ_KEEP_GOING=1 (libFuzzer's fork
# mode: a crash, timeout or OOM is written to fuzz/artifacts/ and fuzzing goes on, for long runs).
# A crash or timeout in fuzz/artifacts/<target>/ becomes a regression test under tests/.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-5}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(python ruby rust config suppress fix)
fi
jobs=${FUZZ_JOBS:-1}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
mode=(-jobs="$jobs" -workers="$jobs")
if [[ ${FUZZ_KEEP_GOING:-0} == 1 ]]; then
    mode=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

seed() {
    local target=$1 dir=fuzz/corpus/$1
    mkdir -p "$dir"
    if [[ $target == fix ]]; then
        # The fix target reads its first byte as the language: p, r, s.
        find fixtures -type f \( -name '*.py' -o -name '*.rb' -o -name '*.rs' \) | while read -r f; do
            case $f in *.py) l=p ;; *.rb) l=r ;; *) l=s ;; esac
            { printf '%s' "$l"; cat "$f"; } >"$dir/seed-tmp"
            mv "$dir/seed-tmp" "$dir/seed-$(sha1sum <"$dir/seed-tmp" | cut -c1-16)"
        done
        return
    fi
    case $target in
        python) find fixtures -name '*.py' -type f ;;
        ruby) find fixtures -name '*.rb' -type f ;;
        rust) find fixtures -name '*.rs' -type f ;;
        config) find fixtures docs examples -name '*.toml' -type f; ls Cargo.toml ;;
        suppress) grep -rl 'fdlint:' fixtures ;;
    esac | while read -r f; do
        # Named by content, so seeding twice adds nothing.
        cp "$f" "$dir/seed-$(sha1sum "$f" | cut -c1-16)"
    done
}

for t in "${targets[@]}"; do
    seed "$t"
    mkdir -p "fuzz/artifacts/$t"
    echo "== fuzz $t for $minutes min"
    log=fuzz/artifacts/$t/last-run.log
    # libFuzzer exits non-zero on the first crash; keep going to the next target.
    (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time=$((minutes * 60)) "${mode[@]}" \
        -timeout="$timeout" -rss_limit_mb="$rss" -dict="dict/$t.dict" \
        -print_final_stats=1) 2>&1 | tee "$log" | grep -E '^(#[0-9]+ +(DONE|pulse)|==[0-9]+==|stat::|SUMMARY|artifact_prefix|Test unit written|INFO: exiting|INFO: fuzzed for|.*(crash|timeout|oom)-[0-9a-f]{40})' || true
    [[ $jobs -gt 1 ]] && cat fuzz/fuzz-*.log >>"$log" 2>/dev/null && rm -f fuzz/fuzz-*.log
    for a in fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/timeout-* fuzz/artifacts/"$t"/oom-*; do
        [[ -e $a ]] || continue
        case $a in *.min) continue ;; esac
        [[ -e $a.min ]] && continue
        echo "== minimise $a"
        (cd fuzz && cargo +nightly fuzz tmin "$t" "../$a" -- -timeout="$timeout" 2>&1 |
            grep -E 'CRASH_MIN|written' || true)
        m=$(ls -t fuzz/artifacts/"$t"/minimized-from-* 2>/dev/null | head -1 || true)
        [[ -n $m ]] && mv "$m" "$a.min"
    done
done
echo "== artifacts"
ls -l fuzz/artifacts/*/ 2>/dev/null | grep -E 'crash|timeout|oom' || echo "none"
