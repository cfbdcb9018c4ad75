#!/usr/bin/env bash
# Runs the benchmarks and real Pyrogram's anchor on the same workload, then writes
# BENCHMARKS.md. Needs a Python with pyrogram==2.0.106 (PYROSESSION_PYTHON, default the venv
# .ci/run makes) and a quiet machine: nothing else should run meanwhile.
#
#   bash benches/report.sh                      # sizes 1000, 100000, 1000000
#   PYROSESSION_BENCH_SIZES=1000,100000 bash benches/report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYROSESSION_PYTHON:-target/ci-venvs/pyrogram-2.0.106/bin/python}"
export PYROSESSION_BENCH_SIZES="${PYROSESSION_BENCH_SIZES:-1000,100000,1000000}"
rm -rf target/criterion
cargo bench --bench peer_lookup --bench session_string
cargo bench -q --bench peak_memory | grep '^{' > target/peak_memory.json
"$PY" benches/pyrogram_anchor.py "$PYROSESSION_BENCH_SIZES" > target/pyrogram_anchor.jsonl
python3 benches/report.py > BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
