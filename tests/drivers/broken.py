"""A driver that breaks the protocol in the way its argument names, after answering hello
(tests/cli.rs, conform_survives_broken_drivers). Reads requests as the protocol says."""
import json
import sys
import time

mode = sys.argv[1]
out = sys.stdout.buffer
for n, line in enumerate(sys.stdin):
    request = json.loads(line)
    rid = request["id"]
    if request["op"] == "hello":
        out.write(json.dumps({"id": rid, "ok": {"implementation": f"broken ({mode})"}}).encode() + b"\n")
        out.flush()
        continue
    if mode == "hang":
        time.sleep(3600)
    elif mode == "endless":
        while True:
            out.write(b"x" * 65536)
            out.flush()
    elif mode == "not-utf8":
        out.write(b"\xff\xfe\n")
    elif mode == "exit":
        sys.exit(3)
    elif mode == "unknown-kind":
        out.write(json.dumps({"id": rid, "error": {"kind": "NOT_FOUND", "message": "?"}}).encode() + b"\n")
    out.flush()
