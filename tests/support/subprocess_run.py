"""Run a snippet in a fresh interpreter: OpenTelemetry's global providers can be set only once
per process, so tests of ``configure()`` and of "no SDK at all" each get their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 60) -> Any:
    """Run ``code``; it prints one JSON document on its last stdout line, which is returned."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning:obskit", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(f"snippet failed ({result.returncode}):\n{result.stderr}")
    lines = result.stdout.strip().splitlines()
    return {"result": json.loads(lines[-1]) if lines else None, "stderr": result.stderr}
