#!/usr/bin/env bash
# A/B timing on a noisy machine: runs each command once per round, round after round, so that
# a slow minute slows every command alike (hyperfine runs all of one command, then the next).
# Prints each command's median wall and median CPU (user+sys) over the rounds.
#
# Usage: bench/ab.sh ROUNDS 'CMD1' 'CMD2' ...   (each CMD runs under bash -c, output discarded)
set -euo pipefail
rounds=$1
shift
declare -a times
for ((r = 0; r < rounds; r++)); do
  i=0
  for c in "$@"; do
    t=$({ /usr/bin/time -f '%e %U %S' bash -c "$c >/dev/null 2>&1"; } 2>&1 | tail -1)
    times[i]="${times[i]:-} $t"
    i=$((i + 1))
  done
done
i=0
for c in "$@"; do
  echo "${times[i]}" | python3 -c '
import statistics, sys
v = [float(x) for x in sys.stdin.read().split()]
wall, cpu = v[0::3], [u + s for u, s in zip(v[1::3], v[2::3])]
print("median wall %.3f s  cpu %.3f s  (wall %.3f-%.3f)  " % (statistics.median(wall), statistics.median(cpu), min(wall), max(wall)), end="")'
  echo "$c"
  i=$((i + 1))
done
