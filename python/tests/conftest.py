"""Shared helpers of the package's tests. The tests use no pytest plugin: each async test body
runs under asyncio.run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "spec" / "examples"


def example(name: str) -> str:
    """A session string of spec/examples/, without its line break."""
    return (EXAMPLES / name).read_text().strip()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def python_env() -> dict:
    """The environment for child Python processes: this interpreter's package path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    # `python -c` puts the working folder first on its path; run from python/, the package's
    # source folder (without its built extension) would shadow the installed package.
    env["PYTHONSAFEPATH"] = "1"
    return env
