#!/usr/bin/env bash
# Fuzzes every parser of outside input (fuzz/fuzz_targets/): socket frames, message formatting,
# macros, uploads' type detection, Twilio's webhooks and e-mail. Each target runs RUNS
# executions (10 million unless RUNS says otherwise) from its corpus in fuzz/corpus/, which
# keeps what libFuzzer found new; a crash stops the script with the input in fuzz/artifacts/.
#   ./scripts/fuzz.sh                 # every target
#   RUNS=100000 ./scripts/fuzz.sh email socket_frames
#   MAX_SECONDS=600 ./scripts/fuzz.sh  # each target stops after 10 minutes if not done sooner
# cargo-fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them. The
# sanitizer is off (safe Rust; a panic or a failed assertion is what is looked for), the build
# optimised. Not part of the test command (it is a long run); the figures are in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/switchboard/target/fuzz}"
RUNS="${RUNS:-10000000}"
MAX_SECONDS="${MAX_SECONDS:-0}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi
mkdir -p fuzz/logs
for t in "${targets[@]}"; do
  echo "==> $t: $RUNS runs"
  start=$(date +%s)
  cargo fuzz run --fuzz-dir fuzz --sanitizer none -O "$t" "fuzz/corpus/$t" -- \
    -runs="$RUNS" -max_total_time="$MAX_SECONDS" -max_len=65536 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    > "fuzz/logs/$t.log" 2>&1 || { tail -40 "fuzz/logs/$t.log"; exit 1; }
  end=$(date +%s)
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  echo "    $execs executions in $((end - start)) s, no crash; corpus $corpus inputs"
done
