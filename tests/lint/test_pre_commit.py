"""The pre-commit configuration docs/lint.md shows, run by pre-commit itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_docs import fenced_blocks

ROOT = Path(__file__).resolve().parents[2]


def _documented_config() -> str:
    page = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    [config] = [code for _, code in fenced_blocks(page, ("yaml",)) if "id: obskit-lint" in code]
    return config


def test_the_documented_hook_fails_a_commit_with_a_deprecated_name(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to run pre-commit")
    (tmp_path / ".pre-commit-config.yaml").write_text(_documented_config())
    (tmp_path / "service.py").write_text(
        "from opentelemetry import trace\n\n"
        'trace.get_current_span().set_attribute("http.method", "GET")\n'
    )
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / ".cache"),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    for command in (["git", "init", "-q"], ["git", "add", "."]):
        subprocess.run(command, cwd=tmp_path, check=True, env=env)
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "obskit lint" in result.stdout and "Failed" in result.stdout
    assert "service.py:3:" in result.stdout and "'http.method'" in result.stdout
