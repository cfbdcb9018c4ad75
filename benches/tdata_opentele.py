#!/usr/bin/env python3
"""opentele-ng opening a tdata folder, timed, for benches/tdata_passcode.rs (BENCHMARKS.md).

    python benches/tdata_opentele.py FOLDER PASSCODE_FILE ROUNDS

opens FOLDER with `opentele.td.TDesktop(folder, passcode=...)` ROUNDS times and prints one JSON
object: the library's version, each round's wall-clock seconds (`time.perf_counter`) and the
process's CPU seconds for all rounds, and the first account's user id (which the caller checks:
a timing of a read that failed is no timing). The passcode is read from a file, never the command
line. No network: an audit hook refuses every connection before the package is imported.
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


def main(folder, passcode_file, rounds):
    passcode = Path(passcode_file).read_bytes().decode("utf-8").rstrip("\r\n")
    times = []
    user_id = None
    cpu = time.process_time()
    for _ in range(int(rounds)):
        start = time.perf_counter()
        desktop = td.TDesktop(folder, passcode=passcode)
        times.append(time.perf_counter() - start)
        user_id = desktop.accounts[0].UserId
    cpu = time.process_time() - cpu
    json.dump({
        "library": f"opentele-ng {version('opentele-ng')}",
        "python": sys.version.split()[0],
        "seconds": times,
        "cpu_seconds": cpu,
        "user_id": user_id,
    }, sys.stdout)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
