"""Fixtures for the lint tests: private copies of the sample projects and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from obskit.cli import main

SAMPLES = Path(__file__).parent / "samples"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


RunCli = Callable[..., Run]


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample shop service, and the working directory set to it."""
    target = tmp_path / "shop"
    shutil.copytree(SAMPLES / "shop", target, symlinks=True)
    monkeypatch.chdir(target)
    return target


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run ``obskit ...`` in-process; returns the exit status and what it printed."""

    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
