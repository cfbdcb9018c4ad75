#!/usr/bin/env python3
"""Runs a `string_codec` driver over the recorded corpus and prints its agreement with Pyrogram.

    python3 spec/drivers/corpus.py "<driver command line>" [--json] [--first N]

The corpus is spec/vectors/pyrogram_corpus.json: 10,928 near-valid strings with real Pyrogram
2.0.106's verdict on each (spec/conformance.md §8.4). The driver speaks the protocol of
spec/conformance.md; this script sends `hello`, then one `decode_string` per string, and compares
each answer as the suite's `codec.corpus` scenario does: a string Pyrogram accepts must decode to
the same six fields (the key compared by its auth_key_id, `format` compared when the driver gives
one); a string Pyrogram rejects must fail with `invalid_string`.

Standard library only; needs no Pyrogram. An offline companion to `pyrosession conform`, used to
measure the libraries before the suite ran the corpus itself.
"""

import hashlib
import json
import shlex
import subprocess
import sys
from collections import Counter, OrderedDict
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "vectors" / "pyrogram_corpus.json"
FIELDS = ("dc_id", "api_id", "test_mode", "auth_key", "user_id", "is_bot")


def auth_key_id(hex_key):
    """The crate's AuthKeyId: the low 64 bits of the key's SHA-1, little-endian, as 16 hex digits."""
    try:
        key = bytes.fromhex(hex_key)
    except (TypeError, ValueError):
        return None
    if len(key) != 256:
        return None
    return f"{int.from_bytes(hashlib.sha1(key).digest()[12:20], 'little'):016x}"


def same(a, b):
    """JSON equality, as the runner compares: 1 is not true, 4.0 is not 4."""
    return type(a) is type(b) and a == b


def judge(expected, answer):
    """None when the answer agrees with Pyrogram, else (class, what differs)."""
    if "error" in answer:
        kind = answer["error"].get("kind")
        if not expected["accepted"]:
            if kind == "invalid_string":
                return None
            return "wrong_kind", f"fails with {kind}, expected invalid_string"
        return "rejects_accepted", f"{kind}: {answer['error'].get('message', '')}"
    got = answer.get("ok")
    if not expected["accepted"]:
        return "accepts_rejected", f"accepts it as {json.dumps(got)[:300]}; Pyrogram: {expected['error']}"
    if not isinstance(got, dict):
        return "not_an_object", f"answers {json.dumps(got)[:200]}"
    for field in FIELDS:
        if field not in got:
            return f"field:{field}", f"{field} not given"
        if field == "auth_key":
            if auth_key_id(got[field]) != expected["auth_key_id"]:
                return "field:auth_key", "a different key (auth_key_id " \
                    f"{auth_key_id(got[field])}, Pyrogram {expected['auth_key_id']})"
        elif not same(got[field], expected[field]):
            return f"field:{field}", f"{field} {json.dumps(got[field])}, Pyrogram {json.dumps(expected[field])}"
    if "format" in got and got["format"] != expected["format"]:
        return "field:format", f"format {got['format']}, Pyrogram {expected['format']}"
    return None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    as_json = "--json" in sys.argv
    if len(args) != 1:
        sys.exit(__doc__)
    corpus = json.loads(CORPUS.read_text())[1:]
    driver = subprocess.Popen(shlex.split(args[0]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def call(req_id, op, **kw):
        driver.stdin.write(json.dumps({"id": req_id, "op": op, **kw}) + "\n")
        driver.stdin.flush()
        line = driver.stdout.readline()
        if not line:
            sys.exit(f"the driver exited during {op}")
        answer = json.loads(line)
        if answer.get("id") != req_id:
            sys.exit(f"the answer to {op} has id {answer.get('id')!r}")
        return answer

    hello = call(1, "hello")["ok"]
    by_kind = OrderedDict()
    classes = Counter()
    first = OrderedDict()
    for i, entry in enumerate(corpus):
        answer = call(i + 2, "decode_string", session_string=entry["input"])
        verdict = judge(entry["pyrogram"], answer)
        kind = entry["kind"]
        total, agree = by_kind.get(kind, (0, 0))
        by_kind[kind] = (total + 1, agree + (verdict is None))
        if verdict is not None:
            classes[verdict[0]] += 1
            first.setdefault(verdict[0], {"kind": kind, "name": entry.get("name"), "input": entry["input"],
                                          "pyrogram": entry["pyrogram"], "detail": verdict[1]})
    driver.stdin.close()
    driver.wait(timeout=5)

    agree = sum(a for _, a in by_kind.values())
    report = {
        "implementation": hello.get("implementation"),
        "inputs": len(corpus),
        "agree": agree,
        "by_kind": [{"kind": k, "inputs": t, "agree": a} for k, (t, a) in by_kind.items()],
        "disagreements": [{"class": c, "count": classes[c], "first": first[c]} for c in first],
    }
    if as_json:
        print(json.dumps(report, indent=1))
        return
    print(f"{report['implementation']}: {agree} of {len(corpus)} strings agree with pyrogram 2.0.106"
          f" ({100 * agree / len(corpus):.2f}%)")
    print(f"{'kind':<20} {'inputs':>7} {'agree':>7}")
    for k, (t, a) in by_kind.items():
        print(f"{k:<20} {t:>7} {a:>7}")
    for c, f in first.items():
        print(f"\n{c}: {classes[c]} strings; first ({f['kind']}{' ' + f['name'] if f['name'] else ''}): {f['detail']}")
        print(f"  input: {json.dumps(f['input'])}")


if __name__ == "__main__":
    main()
