#!/usr/bin/env bash
# Rewrites the profile of profile-guided optimisation,
# .cargo/pgo/kefusim.profdata, which every optimised build uses (see
# .cargo/pgo/rustc-wrapper). Run it after changing the hot path (the
# event loop, routing, the queue, statistics), then `.ci/speed --update`,
# and commit the profile, llvm-major and the baselines together.
#
#   benches/pgo-train.sh          # about 5 minutes (an instrumented build)
#
# 1. builds kefusim and the ratio bench instrumented, in their own target
#    directory (KEFUSIM_PGO=generate=DIR: .cargo/pgo/rustc-wrapper adds
#    `-C profile-generate` where it would add `-C profile-use`, so the
#    crates and flags are those of a normal optimised build);
# 2. runs the training workload, one thread:
#    - every shipped scenario (scenarios/*.toml, 2 replications, with its
#      report, so report and output code is trained too),
#    - the bench scenarios (scenarios/bench/*.toml, 2 replications),
#    - one round of the ratio bench (`--bench ratio`), so the bare loop
#      it compares kefusim with is optimised with a profile as well;
# 3. merges the raw profiles (llvm-profdata of the toolchain's
#    llvm-tools component, installed with rustup if missing), keeping only
#    functions that ran (--sparse), and records the LLVM major version.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup component add llvm-tools >/dev/null 2>&1 || true
sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$sysroot/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  echo "pgo-train: $profdata not found (rustup component add llvm-tools)" >&2
  exit 1
fi

mkdir -p "${CARGO_TARGET_DIR:-target}/pgo-train"
work=$(cd "${CARGO_TARGET_DIR:-target}/pgo-train" && pwd) # absolute: rustc runs elsewhere
raw="$work/raw"
rm -rf "$raw" "$work/out"
mkdir -p "$raw" "$work/out"
export CARGO_TARGET_DIR="$work/target"
# .cargo/pgo/rustc-wrapper instruments where it would use the profile.
export KEFUSIM_PGO="generate=$raw"

echo "pgo-train: instrumented build"
cargo build --release --locked --quiet
bench=$(cargo bench --locked --bench ratio --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
if [ -z "$bench" ]; then
  echo "pgo-train: the ratio bench did not build" >&2
  exit 1
fi
bin=$CARGO_TARGET_DIR/release/kefusim
# Only the training runs count (should a build script or proc macro have
# been instrumented, it wrote a profile while building).
rm -rf "$raw"
mkdir -p "$raw"

echo "pgo-train: training runs"
for f in scenarios/*.toml; do
  name=$(basename "$f" .toml)
  # Exit code 5 (a threshold missed) is a complete run.
  "$bin" run "$f" --replications 2 --threads 1 --progress never \
    --out "$work/out/$name" >/dev/null 2>&1 || [ $? = 5 ]
done
for f in scenarios/bench/*.toml; do
  "$bin" run "$f" --replications 2 --threads 1 --progress never --no-report >/dev/null 2>&1 || [ $? = 5 ]
done
# The dialogue model's day again: its handlers are its own, but the event
# loop and the queue are shared, and their branch weights would otherwise
# be those of the M/M/c loops (the 10,000-agent case and the ratio bench
# run several times as many events).
"$bin" run scenarios/bench/double11-300-dialogue.toml --replications 10 --threads 1 --progress never --no-report >/dev/null 2>&1 || [ $? = 5 ]
KEFUSIM_RATIO_ROUNDS=1 "$bench" --bench >/dev/null

echo "pgo-train: merging"
"$profdata" merge --sparse -o .cargo/pgo/kefusim.profdata "$raw"/*.profraw
rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p' >.cargo/pgo/llvm-major
ls -l .cargo/pgo/kefusim.profdata
echo "pgo-train: done; rebuild from clean (cargo clean -p kefusim is not enough: dependencies use the profile too): cargo clean && cargo build --release"
