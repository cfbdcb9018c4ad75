"""Each fork's real Client, created offline, with the package's storage given through the
fork's own storage parameter: it resolves cached ids, usernames and phone numbers through its own
resolve_peer with no network, exports the same session string, and keeps update states, with the
same answers as the fork's own storage (tests/fork_client.py runs both in the fork's venv).

The venvs are those .ci/run makes, `<distribution>-<version>` under PYROSESSION_VENVS; without
it the tests are skipped, and with it a missing venv fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

import pyrosession

HERE = Path(__file__).resolve().parent
VENVS = os.environ.get("PYROSESSION_VENVS")

FORKS = [
    "pyrofork-2.3.69",
    "kurigram-2.2.26",
    "kurigram-2.2.9",
    "pyrotgfork-2.2.24.1",
    "pyrotgfork-2.1.18",
    "hydrogram-0.2.0",
]

# Forks that cache every username of a peer with several: the package keeps one (a Peer has one
# username, python/README.md), so the second resolves only through the network.
SEVERAL_USERNAMES = {"pyrofork", "kurigram", "pyrotgfork"}


def run_fork(venv: Path, distribution: str, tmp_path: Path) -> Dict[str, Any]:
    # Only this package on the path, not this venv's site-packages (whose pyrogram would shadow
    # the fork's).
    path = tmp_path / "path"
    path.mkdir()
    (path / "pyrosession").symlink_to(Path(pyrosession.__file__).resolve().parent)
    env = dict(os.environ, PYTHONPATH=str(path))
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(HERE / "fork_client.py"), distribution, str(work)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    result: Dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("fork", FORKS)
def test_fork_client_resolves_offline_as_with_its_own_storage(fork: str, tmp_path: Path) -> None:
    if VENVS is None:
        pytest.skip("PYROSESSION_VENVS is not set")
    venv = Path(VENVS) / fork
    assert (venv / "bin" / "python").exists(), f"no venv {venv}"
    distribution = fork.split("-")[0]
    r = run_fork(venv, distribution, tmp_path)
    ours, theirs = r["ours"], r["theirs"]
    differ = [q for q, a, b in zip(r["queries"], ours["answers"], theirs["answers"]) if a != b]
    if distribution in SEVERAL_USERNAMES:
        assert differ == ["'second'"]
        assert ours["answers"][r["queries"].index("'second'")] == "network"
    else:
        assert differ == []
    answers = dict(zip(r["queries"], ours["answers"]))
    assert answers["777"] == answers["'@alice'"] == answers["'+15551234567'"]
    assert answers["777"].endswith("InputPeerUser(user_id=777, access_hash=-5)")
    assert answers["'first'"].endswith("InputPeerUser(user_id=779, access_hash=11)")
    assert answers["'chatters'"].endswith("InputPeerChannel(channel_id=1987654321, access_hash=43)")
    assert answers["'@nobody'"] == answers["999"] == "network"
    assert ours["string"] == theirs["string"] == (
        Path(HERE.parents[1] / "spec/examples/v2.txt").read_text().strip()
    )
    assert ours["states"] == theirs["states"]
    if distribution != "hydrogram":
        assert ours["states"], "the fork's update-state calls were not made"
