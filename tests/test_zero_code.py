"""``opentelemetry-instrument python app.py`` with obskit installed: obskit's configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

APP = """
import obskit

@obskit.traced
def price(order_id):
    obskit.get_logger("app").info("priced")
    return 3

price("o-1")
"""


def test_opentelemetry_instrument_runs_obskits_configurator(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    instrument = Path(sys.executable).with_name("opentelemetry-instrument")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OBSKIT_"))}
    env.update(
        OTEL_SERVICE_NAME="zero",
        OTEL_TRACES_EXPORTER="console",
        OBSKIT_ENVIRONMENT="production",
        PATH=os.pathsep.join([str(instrument.parent), env.get("PATH", "")]),
    )
    result = subprocess.run(
        [str(instrument), sys.executable, "app.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    [span] = [doc for doc in _documents(result.stdout) if doc.get("name") == "price"]
    assert span["resource"]["attributes"]["service.name"] == "zero"
    [line] = [json.loads(x) for x in result.stderr.splitlines() if '"priced"' in x]
    assert line["trace_id"] == span["context"]["trace_id"].removeprefix("0x")


def _documents(text: str) -> list[dict[str, object]]:
    """The JSON documents the console exporters print one after another."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while (start := text.find("{", position)) != -1:
        document, position = decoder.raw_decode(text, start)
        found.append(document)
    return found
