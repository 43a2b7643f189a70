"""Headless Chromium for the page tests: found once, run with a throwaway profile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.unavailable import unavailable

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """The browser's path; fails under ``CI=true`` (scripts/test installs it), else skips."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        message = "chromium is not installed (apt-get install -y chromium)"
        unavailable(message)
    return found


def browse(profile: Path, *args: str, window: str = "1400,1000") -> str:
    """Run Chromium with ``args`` and a throwaway profile; what it printed (``--dump-dom``)."""
    profile.mkdir(exist_ok=True)
    result = subprocess.run(
        [chromium(), *FLAGS, f"--window-size={window}", f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
