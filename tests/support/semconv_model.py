"""Where the vendored official semantic-conventions model lives (Apache-2.0, with its LICENSE)."""

from __future__ import annotations

from pathlib import Path

MODEL = Path(__file__).resolve().parents[1] / "conventions" / "semconv" / "model"
