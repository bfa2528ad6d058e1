#!/usr/bin/env bash
# Before against after, in one run: two kefusim binaries on the same
# scenarios, interleaved rounds, the best arrivals per second of each (as
# `kefusim run` prints it: the simulation, without start-up and output), and
# their instruction counts for one replication's loop (valgrind callgrind,
# 2 replications less 1, as .ci/speed counts), when valgrind is there.
#
#   benches/before-after.sh BEFORE_BIN AFTER_BIN ROUNDS SCENARIO...
#   KEFUSIM_REPS=40 benches/before-after.sh ...   # 40 replications a run
#
# One replication of a short scenario (the dialogue Double-11 day takes
# 70 ms) is read from the printed "M arrivals/s", two decimals: 1.5%
# steps at 0.6 M. With KEFUSIM_REPS=N (N > 1) the rate is arrivals ÷ the
# printed wall time of N replications on one thread, which for a run of
# a few seconds resolves 0.5%.
#
# e.g. (the commit before a change built into its own target directory):
#   git worktree add /tmp/before <commit>
#   (cd /tmp/before && CARGO_TARGET_DIR=/tmp/before-target cargo build --release)
#   benches/before-after.sh /tmp/before-target/release/kefusim target/release/kefusim 10 \
#       scenarios/bench/mm100.toml scenarios/bench/double11-300-dialogue.toml
set -euo pipefail
before=$1 after=$2 rounds=$3
shift 3

reps=${KEFUSIM_REPS:-1}
rate() { # arrivals per second of the simulation, $reps replications, one thread
  local out
  out=$("$1" run "$2" --replications "$reps" --threads 1 --progress never --no-report 2>&1 >/dev/null)
  if [ "$reps" -gt 1 ]; then
    echo "$out" | sed -n 's/simulated \([0-9]*\) arrivals, [0-9]* events in \([0-9.]*\) s.*/\1 \2/p' |
      awk '{ printf "%.0f\n", $1 / $2 }'
  else
    echo "$out" | sed -n 's/.*(\([0-9.]*\) \([kM]\) arrivals\/s).*/\1 \2/p' |
      awk '{ print $1 * ($2 == "M" ? 1e6 : 1e3) }'
  fi
}
instructions() {
  local one two
  one=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" run "$2" --replications 1 --threads 1 --progress never --no-report 2>&1 >/dev/null | grep -o 'Collected : [0-9]*' | awk '{ print $3 }')
  two=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" run "$2" --replications 2 --threads 1 --progress never --no-report 2>&1 >/dev/null | grep -o 'Collected : [0-9]*' | awk '{ print $3 }')
  echo $((two - one))
}

# The ratios depend on the machine: say which one.
machine=$(awk -F': ' '/^model name/ { m = $2 } /^cpu family/ { f = $2 } /^model\t/ { n = $2 } /^stepping/ { s = $2 } /^cache size/ { c = $2; exit }
  END { if (m != "") printf "%s (family %s, model %s, stepping %s; cache %s)", m, f, n, s, c; else print "unknown" }' /proc/cpuinfo 2>/dev/null || echo unknown)
echo "machine: $machine"
printf '%-44s %12s %12s %8s %14s %14s %8s\n' scenario "before arr/s" "after arr/s" speed-up "before instr" "after instr" ratio
for sc in "$@"; do
  b=0 a=0
  for _ in $(seq "$rounds"); do
    b=$(awk -v x="$(rate "$before" "$sc")" -v m="$b" 'BEGIN { print (x > m ? x : m) }')
    a=$(awk -v x="$(rate "$after" "$sc")" -v m="$a" 'BEGIN { print (x > m ? x : m) }')
  done
  if command -v valgrind >/dev/null 2>&1; then
    bi=$(instructions "$before" "$sc") ai=$(instructions "$after" "$sc")
  else
    bi=0 ai=0
  fi
  printf '%-44s %12s %12s %8s %14s %14s %8s\n' "$sc" "$b" "$a" \
    "$(awk -v b="$b" -v a="$a" 'BEGIN { printf "%.3f", a / b }')" "$bi" "$ai" \
    "$(awk -v b="$bi" -v a="$ai" 'BEGIN { if (a > 0) printf "%.3f", b / a; else print "-" }')"
done
