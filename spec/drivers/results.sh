#!/usr/bin/env bash
# Regenerates spec/conformance-results.md: the conformance suite run against this crate, real
# Pyrogram 2.0.106 and each fork (through spec/drivers/pyrogram.py), and each PostgreSQL add-on
# and each converter through its own driver (spec/conformance.md §8.6). The add-ons run on the
# server of PYROSESSION_PG_URL, or on a throwaway one that .ci/pg-cluster starts and stops here.
#
#   VENVS=target/ci-venvs NODE_DIRS=target/ci-node bash spec/drivers/results.sh
#
# VENVS holds one venv per implementation, named <distribution>-<version>, and NODE_DIRS one npm
# folder per JavaScript library (.ci/run makes them; missing ones are made here from the
# registries).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENVS="${VENVS:-target/ci-venvs}"
NODE_DIRS="${NODE_DIRS:-target/ci-node}"
IMPLEMENTATIONS=(pyrogram==2.0.106 pyrofork==2.3.69 kurigram==2.2.26 kurigram==2.2.9 pyrotgfork==2.2.24.1 pyrotgfork==2.1.18 hydrogram==0.2.0)

cargo build -q --bin pyrosession
out="$(mktemp -d)"
pgdir=""
trap '[ -z "$pgdir" ] || { .ci/pg-cluster stop "$pgdir" >/dev/null; rm -rf "$pgdir"; }; rm -rf "$out"' EXIT
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

# The PostgreSQL add-ons and the converters, each with its driver: venv folder, driver script,
# pip requirements.
converter() {
  local dir="$VENVS/$1" script="$2"; shift 2
  if [ ! -x "$dir/bin/python" ]; then
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
  fi
  target/debug/pyrosession conform --json --driver "$dir/bin/python spec/drivers/$script" > "$out/$(printf %02d $i)-$script.json" || true
  i=$((i + 1))
}
# The PostgreSQL add-ons, each with the Pyrogram it is written for, on the server of
# PYROSESSION_PG_URL or, without one, a throwaway server from .ci/pg-cluster.
if [ -z "${PYROSESSION_PG_URL:-}" ]; then
  pgdir="$(mktemp -u -d "${TMPDIR:-/tmp}/pyrosession-results-pg.XXXXXXXX")"
  .ci/pg-cluster start "$pgdir" > "$out/pg.env"
  . "$out/pg.env"
fi
converter pyrogram-asyncpg-storage-0.1 pyrogram_asyncpg_storage.py \
  pyrogram-asyncpg-storage==0.1 pyrogram==2.0.106 asyncpg==0.32.0
converter pyrogram-aiopg-storage-0.3 pyrogram_aiopg_storage.py \
  pyrogram-aiopg-storage==0.3 pyrogram==1.4.16 aiopg==1.4.0 SQLAlchemy==1.4.54 psycopg2-binary==2.9.13
converter tgconvertor-0.3.0 tgconvertor.py "tgconvertor[pyrogram]==0.3.0" pyrogram==2.0.106
converter opentele-ng-1.5.0 opentele.py "opentele-ng[pyrogram]==1.5.0" pyrofork==2.3.69
converter telegram-session-converter-0.1.3 telegram_session_converter.py telegram-session-converter==0.1.3
mtcute="$NODE_DIRS/mtcute-convert-0.29.7"
if [ ! -f "$mtcute/node_modules/@mtcute/convert/package.json" ]; then
  mkdir -p "$mtcute"
  (cd "$mtcute" && echo '{"private":true}' > package.json &&
    npm install --silent --no-audit --no-fund @mtcute/convert@0.29.7 @mtcute/core@0.29.7 @fuman/utils@0.0.19)
fi
target/debug/pyrosession conform --json --driver "node spec/drivers/mtcute_convert.js $mtcute" > "$out/$(printf %02d $i)-mtcute.json" || true
i=$((i + 1))
for script in minimal_codec.py minimal_codec.js; do
  runner=python3; [ "${script##*.}" = js ] && runner=node
  target/debug/pyrosession conform --json --driver "$runner spec/drivers/$script" > "$out/$(printf %02d $i)-$script.json" || true
  i=$((i + 1))
done

python3 - "$out" > spec/conformance-results.md <<'PY'
import glob, json, sys
reports = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + "/*.json"))]
names = [r["implementation"] for r in reports]
divergences = {d["id"]: d for d in json.load(open("spec/divergences.json"))[1:] if "scenario" in d}
mark = {"pass": "pass", "known_divergence": "**differs**", "fail": "FAIL", "unexpected_pass": "UNEXPECTED PASS",
        "driver_error": "DRIVER ERROR", "not_applicable": "n/a"}
print("# Conformance results\n")
print("Measured by `spec/drivers/results.sh`: the conformance suite (spec/conformance.md) run against this")
print("crate in process, against Pyrogram and each fork through `spec/drivers/pyrogram.py`, and against each")
print("PostgreSQL add-on (on one PostgreSQL 15 server) and each converter through its own driver")
print("(spec/conformance.md §8.6). **differs** marks a known divergence from")
print("the specification, listed with its reason in `spec/divergences.json`; n/a a scenario of a profile the")
print("implementation does not have (§8.1). The details below are what each implementation did, each marked")
print("bug (it breaks the implementation's own purpose) or choice (it departs from Pyrogram on purpose).")
print("Regenerate after changing a scenario, a driver or the list.\n")
print("| scenario | profile | section | " + " | ".join(names) + " |")
print("|---|---|---|" + "---|" * len(names))
for i, s in enumerate(reports[0]["scenarios"]):
    cells = [mark.get(r["scenarios"][i]["result"], r["scenarios"][i]["result"]) for r in reports]
    print(f"| `{s['id']}` | {s['profile']} | {s['section']} | " + " | ".join(cells) + " |")
print("\n| implementation | profiles | passed | known divergences | failed | not applicable | corpus: agree with Pyrogram |")
print("|---|---|---|---|---|---|---|")
for r in reports:
    c = r["counts"]
    bad = c["fail"] + c["unexpected_pass"] + c["driver_error"]
    corpus = r["corpus"]
    agree = f"{corpus['agree']:,} of {corpus['inputs']:,} ({corpus['agree'] * 10000 // corpus['inputs'] / 100:.2f} %)" if corpus else "—"
    print(f"| {r['implementation']} | {', '.join(r['profiles'])} | {c['pass']} | {c['known_divergence']} | {bad} | {c['not_applicable']} | {agree} |")
print("\n## The string corpus, by implementation\n")
print("Each class of disagreement with Pyrogram 2.0.106 on the 10,928 strings of")
print("`spec/vectors/pyrogram_corpus.json` (spec/conformance.md §8.4), and the first string of each.\n")
for r in reports:
    corpus = r["corpus"]
    if not corpus or not corpus["disagreements"]:
        continue
    print(f"### {r['implementation']}\n")
    for d in corpus["disagreements"]:
        f = d["first"]
        where = f["kind"] + (f" `{f['name']}`" if f.get("name") else "")
        detail = f["detail"].replace("|", "\\|")
        print(f"- `{d['class']}`: {d['count']:,} string{'' if d['count'] == 1 else 's'}; first ({where}): {detail}")
    print()
print("## What differs, by implementation\n")
for r in reports:
    rows = [s for s in r["scenarios"] if s["result"] not in ("pass", "not_applicable")]
    if not rows:
        continue
    print(f"### {r['implementation']}\n")
    for s in rows:
        detail = s["detail"].replace("|", "\\|")
        ids = [i for i in divergences if detail.endswith(f"[{i}]")]
        nature = f"**{divergences[ids[0]]['nature']}**: " if ids and "nature" in divergences[ids[0]] else ""
        why = f" — {divergences[ids[0]]['implementation_does']}" if ids and "nature" in divergences[ids[0]] else ""
        print(f"- `{s['id']}` ({s['section']}): {nature}{detail}{why}")
    print()
PY
echo "wrote spec/conformance-results.md" >&2
