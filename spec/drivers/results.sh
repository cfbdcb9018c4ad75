#!/usr/bin/env bash
# Regenerates spec/conformance-results.md: the conformance suite run against this crate, real
# Pyrogram 2.0.106 and each fork, through spec/drivers/pyrogram.py.
#
#   VENVS=target/ci-venvs bash spec/drivers/results.sh
#
# VENVS holds one venv per implementation, named <distribution>-<version> (.ci/run makes them;
# missing ones are created here from PyPI).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENVS="${VENVS:-target/ci-venvs}"
IMPLEMENTATIONS=(pyrogram==2.0.106 pyrofork==2.3.69 kurigram==2.2.26 kurigram==2.2.9 pyrotgfork==2.2.24.1 pyrotgfork==2.1.18 hydrogram==0.2.0)

cargo build -q --bin pyrosession
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
target/debug/pyrosession conform --json > "$out/00-pyrosession.json" || true
i=1
for req in "${IMPLEMENTATIONS[@]}"; do
  dir="$VENVS/${req%%==*}-${req##*==}"
  if [ ! -x "$dir/bin/python" ]; then
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$req"
  fi
  target/debug/pyrosession conform --json --driver "$dir/bin/python spec/drivers/pyrogram.py" > "$out/$(printf %02d $i)-$req.json" || true
  i=$((i + 1))
done

python3 - "$out" > spec/conformance-results.md <<'PY'
import glob, json, sys
reports = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + "/*.json"))]
names = [r["implementation"] for r in reports]
mark = {"pass": "pass", "known_divergence": "**differs**", "fail": "FAIL", "unexpected_pass": "UNEXPECTED PASS", "driver_error": "DRIVER ERROR"}
print("# Conformance results\n")
print("Measured by `spec/drivers/results.sh`: the conformance suite (spec/conformance.md) run against this")
print("crate in process and against each library through `spec/drivers/pyrogram.py`. **differs** marks a")
print("known divergence from the specification, listed with its reason in `spec/divergences.json`; the")
print("details below are what each implementation did. Regenerate after changing a scenario or a driver.\n")
print("| scenario | section | " + " | ".join(names) + " |")
print("|---|---|" + "---|" * len(names))
for i, s in enumerate(reports[0]["scenarios"]):
    cells = [mark.get(r["scenarios"][i]["result"], r["scenarios"][i]["result"]) for r in reports]
    print(f"| `{s['id']}` | {s['section']} | " + " | ".join(cells) + " |")
print("\n| implementation | passed | known divergences | failed |\n|---|---|---|---|")
for r in reports:
    res = [s["result"] for s in r["scenarios"]]
    bad = sum(1 for x in res if x not in ("pass", "known_divergence"))
    print(f"| {r['implementation']} | {res.count('pass')} | {res.count('known_divergence')} | {bad} |")
print("\n## What differs, by implementation\n")
for r in reports:
    rows = [s for s in r["scenarios"] if s["result"] != "pass"]
    if not rows:
        continue
    print(f"### {r['implementation']}\n")
    for s in rows:
        detail = s["detail"].replace("|", "\\|")
        print(f"- `{s['id']}` ({s['section']}): {detail}")
    print()
PY
echo "wrote spec/conformance-results.md" >&2
