#!/usr/bin/env bash
# Runs the benchmarks and real Pyrogram's anchor on the same workload, then writes
# BENCHMARKS.md. Needs a Python with pyrogram==2.0.106 (PYROSESSION_PYTHON, default the venv
# .ci/run makes) and a quiet machine: nothing else should run meanwhile.
#
# A shared machine's speed drifts (the same lookup has measured 2x apart an hour later), so the
# whole workload runs in passes, ours and Pyrogram's alternating, and the report takes each id's
# fastest median over the passes, for every side alike, and shows how far the passes spread.
#
#   bash benches/report.sh                      # sizes 1000, 100000, 1000000; 3 passes
#   PYROSESSION_BENCH_SIZES=1000,100000 PYROSESSION_BENCH_PASSES=1 bash benches/report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYROSESSION_PYTHON:-target/ci-venvs/pyrogram-2.0.106/bin/python}"
export PYROSESSION_BENCH_SIZES="${PYROSESSION_BENCH_SIZES:-1000,100000,1000000}"
passes="${PYROSESSION_BENCH_PASSES:-3}"
rm -rf target/criterion target/bench-passes
mkdir -p target/bench-passes
for pass in $(seq 1 "$passes"); do
  echo "=== pass $pass of $passes" >&2
  # Each size's lookups in a process of their own: after the smaller sizes' databases were built
  # and dropped in the same process, lookups at 1,000,000 ran at either of two speeds, 2x apart,
  # from one process to the next, with the same build (the code before reads were held as well).
  IFS=, read -ra each <<< "$PYROSESSION_BENCH_SIZES"
  for n in "${each[@]}"; do
    PYROSESSION_BENCH_SIZES="$n" cargo bench --bench peer_lookup -- get_peer_by
  done
  PYROSESSION_BENCH_SIZES= cargo bench --bench peer_lookup -- update_peers
  cargo bench --bench session_string
  mv target/criterion "target/bench-passes/criterion-$pass"
  "$PY" benches/pyrogram_anchor.py "$PYROSESSION_BENCH_SIZES" > "target/bench-passes/pyrogram_anchor-$pass.jsonl"
done
cargo bench -q --bench peak_memory | grep '^{' > target/bench-passes/peak_memory.json
# The sections at the end, the Python package's (benches/python_storage.py) and the fuzz
# targets', are measured by their own commands (given in each): kept as they are.
fuzz_section=$(sed -n -E '/^## (The Python package|Fuzz targets)/,$p' BENCHMARKS.md 2>/dev/null || true)
python3 benches/report.py target/bench-passes > BENCHMARKS.md
if [ -n "$fuzz_section" ]; then
  printf '\n%s\n' "$fuzz_section" >> BENCHMARKS.md
fi
echo "wrote BENCHMARKS.md" >&2
