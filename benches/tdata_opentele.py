#!/usr/bin/env python3
"""opentele-ng opening tdata folders, timed, for benches/tdata_passcode.rs (BENCHMARKS.md).

    python benches/tdata_opentele.py PASSCODE_FILE

prints one JSON line naming the library and the Python, then, for each line of standard input
(a folder's path), opens that folder once with `opentele.td.TDesktop(folder, passcode=...)` and
prints one JSON line: the opening's wall-clock seconds (`time.perf_counter`), the process's CPU
seconds for it (`time.process_time`) and the first account's user id, which the caller checks (a
timing of a read that failed is no timing). The caller interleaves these openings with the other
libraries' and its own, so that a change of the machine's load hits every side alike. The
passcode is read from a file, never the command line. No network: an audit hook refuses every
connection before the package is imported.
"""

import json
import logging
import sys
import time
from importlib.metadata import version
from pathlib import Path


def _no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"):
        raise RuntimeError(f"the benchmark allows no network access ({event})")


sys.addaudithook(_no_network)
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
logging.disable(logging.CRITICAL)

from opentele import td  # noqa: E402  (after the hook)


def reply(value):
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def main(passcode_file):
    passcode = Path(passcode_file).read_bytes().decode("utf-8").split("\n")[0].rstrip("\r")
    reply({
        "library": f"opentele-ng {version('opentele-ng')}",
        "runtime": f"Python {sys.version.split()[0]}",
    })
    for line in sys.stdin:
        folder = line.rstrip("\n")
        cpu = time.process_time()
        start = time.perf_counter()
        desktop = td.TDesktop(folder, passcode=passcode)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        reply({"seconds": seconds, "cpu_seconds": cpu, "user_id": desktop.accounts[0].UserId})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
